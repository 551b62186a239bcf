//! Hostile inputs through the binary, one case or more per class of the security model:
//! partial facts never read as whole, no write through a planted link, memory bounded by
//! limits, no hang on special files, times escaped, and what a metadata file can steer.
//! Every case ends within seconds (a hang is killed and fails the case), touches no
//! network (`--offline` and a refused local port) and asserts that nothing panicked.

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::Output;

use crate::support::case::Case;
use crate::support::dump::{tables, tar_gz};
use crate::support::metadata_json::metadata;
use serde_json::Value;

/// Packages without publisher facts are `missing-facts` (warn) under this policy.
const PUBLISHER_POLICY: &str = r#"schema = 1
[policy]
id = "t"
[[entity]]
id = "evil"
name = "Evil Corp"
reason = "test"
[entity.match]
crates-io-users = [4242]
"#;

#[track_caller]
fn code(output: &Output, expected: i32) {
    assert_eq!(
        output.status.code(),
        Some(expected),
        "stderr: {}\nstdout: {}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
}

#[track_caller]
fn report(output: &Output) -> Value {
    code(output, 0);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The report's `degraded` messages of `source`, one per line.
fn degraded(report: &Value, source: &str) -> String {
    report["degraded"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["source"] == source)
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `code` findings of the report, as `name@version`.
fn findings(report: &Value, code: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| format!("{}@{}", f["package"]["name"], f["package"]["version"]).replace('"', ""))
        .collect()
}

// ---------------------------------------------------------------- dumps

/// `check --db-dump` of a dump holding `list`: the JSON report.
fn dump_report(list: &[(String, Vec<u8>)]) -> Value {
    let case = Case::new(PUBLISHER_POLICY);
    case.write("dump.tar.gz", tar_gz(list));
    report(&case.check(&["--db-dump", "dump.tar.gz", "--format", "json"]))
}

#[test]
fn dump_good_one_gives_whole_facts() {
    // The baseline each case below differs from.
    let report = dump_report(&tables("d/data/", &[]));
    assert_eq!(degraded(&report, "db-dump"), "");
    assert_eq!(findings(&report, "missing-facts"), Vec::<String>::new());
}

#[test]
fn dump_missing_a_column_leaves_its_facts_unknown() {
    // No published_by: every publisher would have read as "none recorded".
    let report = dump_report(&tables(
        "d/data/",
        &[("versions.csv", "crate_id,num\n1,1.0.0\n")],
    ));
    let message = degraded(&report, "db-dump");
    assert!(message.contains("no column `published_by`"), "{message}");
    assert_eq!(findings(&report, "missing-facts"), ["foo@1.0.0"]);

    // No login column in users.csv: the owner's login is not known.
    let report = dump_report(&tables(
        "d/data/",
        &[("users.csv", "id,name\n7,Some One\n")],
    ));
    let message = degraded(&report, "db-dump");
    assert!(
        message.contains("owners of 1 crate(s) are unknown"),
        "{message}"
    );
    assert!(message.contains("user id 7"), "{message}");
    assert_eq!(findings(&report, "missing-facts"), ["foo@1.0.0"]);

    // An owner of a kind this version does not know.
    let report = dump_report(&tables(
        "d/data/",
        &[(
            "crate_owners.csv",
            "crate_id,owner_id,owner_kind\n1,7,0\n1,8,2\n",
        )],
    ));
    let message = degraded(&report, "db-dump");
    assert!(message.contains("of a kind"), "{message}");
    assert_eq!(findings(&report, "missing-facts"), ["foo@1.0.0"]);
}

#[test]
fn dump_archive_with_two_dumps_is_refused() {
    // Crates from one dump, the other tables from another: joined, they would give the
    // wrong owners.
    let mut list = tables("2026-11-27-020000/data/", &[]);
    let other = tables(
        "2026-11-28-020000/data/",
        &[("crate_owners.csv", "crate_id,owner_id,owner_kind\n1,9,0\n")],
    );
    list.truncate(1);
    list.extend(other.into_iter().skip(1));
    let report = dump_report(&list);
    let message = degraded(&report, "db-dump");
    assert!(message.contains("more than one dump"), "{message}");
    assert!(
        message.contains("2026-11-27-020000") && message.contains("2026-11-28-020000"),
        "{message}"
    );
    assert_eq!(findings(&report, "missing-facts"), ["foo@1.0.0"]);

    // The same table twice in one dump.
    let mut list = tables("d/data/", &[]);
    list.insert(
        2,
        (
            "d/data/crate_owners.csv".to_string(),
            b"crate_id,owner_id,owner_kind\n1,9,0\n".to_vec(),
        ),
    );
    let message = degraded(&dump_report(&list), "db-dump");
    assert!(message.contains("crate_owners.csv twice"), "{message}");

    // A wanted crate listed twice in crates.csv.
    let message = degraded(
        &dump_report(&tables(
            "d/data/",
            &[("crates.csv", "id,name\n1,foo\n2,Foo\n")],
        )),
        "db-dump",
    );
    assert!(message.contains("crate `foo` is listed twice"), "{message}");
}

/// A plain tar written entry by entry; `hole` bytes of zeros (a hole: no disk, no time)
/// come after an entry's `head` and before its `tail`.
/// One entry of [`sparse_tar`]: kind, name, head, hole length, tail.
type SparseEntry<'a> = (tar::EntryType, &'a str, &'a [u8], u64, &'a [u8]);

fn sparse_tar(path: &Path, entries: &[SparseEntry<'_>]) {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::create(path).unwrap();
    for (kind, name, head, hole, tail) in entries {
        let size = head.len() as u64 + hole + tail.len() as u64;
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_entry_type(*kind);
        header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        file.write_all(header.as_bytes()).unwrap();
        file.write_all(head).unwrap();
        file.seek(SeekFrom::Current(*hole as i64)).unwrap();
        file.write_all(tail).unwrap();
        let pad = (512 - size % 512) % 512;
        file.write_all(&vec![0; pad as usize]).unwrap();
    }
    file.write_all(&[0; 1024]).unwrap();
}

#[test]
fn dump_huge_field_and_tar_header_are_bounded() {
    // 512 MiB in one CSV field, then a 256 MiB GNU long name, under a 512 MiB
    // address-space limit: each is refused at its limit, never held whole.
    let case = Case::new(PUBLISHER_POLICY);
    let regular = tar::EntryType::Regular;
    let list = tables("d/data/", &[]);
    let rest: Vec<_> = list[1..]
        .iter()
        .map(|(n, b)| (regular, n.as_str(), b.as_slice(), 0, &b""[..]))
        .collect();
    let mut entries = vec![(
        regular,
        "d/data/crates.csv",
        &b"id,name\n1,foo"[..],
        512 << 20,
        &b"\n"[..],
    )];
    entries.extend(rest.iter().cloned());
    sparse_tar(&case.at("dump.tar"), &entries);
    let out = case.check_limited(&["--db-dump", "dump.tar", "--format", "json"], 512 << 10);
    let report = report(&out);
    let message = degraded(&report, "db-dump");
    assert!(
        message.contains("crates.csv line 2") && message.contains("limit of 64 MiB"),
        "{message}"
    );
    assert_eq!(findings(&report, "missing-facts"), ["foo@1.0.0"]);

    // A GNU long-name entry ('L') of 256 MiB names the first table.
    let long = tar::EntryType::GNULongName;
    let mut entries = vec![
        (long, "././@LongLink", &b"d/data/"[..], 256 << 20, &b""[..]),
        (regular, "x", &b""[..], 0, &b""[..]),
    ];
    entries.extend(
        list.iter()
            .map(|(n, b)| (regular, n.as_str(), b.as_slice(), 0, &b""[..])),
    );
    sparse_tar(&case.at("dump.tar"), &entries);
    let out = case.check_limited(&["--db-dump", "dump.tar", "--format", "json"], 512 << 10);
    let message = degraded(&report_of(&out), "db-dump");
    assert!(message.contains("long-name or PAX header"), "{message}");
}

fn report_of(out: &Output) -> Value {
    report(out)
}

#[test]
fn dump_folder_with_a_fifo_does_not_hang() {
    let case = Case::new(PUBLISHER_POLICY);
    for (name, bytes) in tables("dump/d/data/", &[]) {
        case.write(&name, bytes);
    }
    std::fs::remove_file(case.at("dump/d/data/versions.csv")).unwrap();
    case.fifo("dump/d/data/versions.csv");
    let report = report(&case.check(&["--db-dump", "dump", "--format", "json"]));
    let message = degraded(&report, "db-dump");
    assert!(
        message.contains("versions.csv") && message.contains("a FIFO"),
        "{message}"
    );
}

// ---------------------------------------------------------------- facts locks

const LOCK_ENTRY: &str = r#"
[[package]]
name = "foo"
version = "1.0.0"
owners-source = "crates-io-api"
owners-fetched = "2026-11-01T00:00:00Z"
owners = [
    { kind = "user", id = 1, login = "a" },
]
publisher-source = "crates-io-api"
publisher-fetched = "2026-11-01T00:00:00Z"
publisher = { kind = "user", id = 1, login = "a" }
"#;

#[test]
fn lock_with_a_package_twice_is_exit_2_naming_both() {
    let case = Case::new(PUBLISHER_POLICY);
    let second = LOCK_ENTRY
        .replace("\"foo\"", "\"Foo\"")
        .replace("id = 1, login = \"a\"", "id = 4242, login = \"evil\"");
    case.write(
        "vendor-audit.lock",
        format!("schema = 1\n{LOCK_ENTRY}{second}"),
    );
    let out = case.check(&["--locked", "--facts", "vendor-audit.lock"]);
    code(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("vendor-audit.lock:15:1")
            && stderr.contains("listed twice, at lines 3 and 15"),
        "{stderr}"
    );
}

#[test]
fn lock_memory_follows_its_size() {
    // 16 MiB of lock, 40,000 packages, under a 320 MiB address-space limit (a whole-
    // document parse took 33 times the file's size).
    let case = Case::new(PUBLISHER_POLICY);
    let mut text = String::from("schema = 1\n");
    let mut i = 0;
    while text.len() < 16 << 20 {
        text.push_str(
            &LOCK_ENTRY
                .replace("\"foo\"", &format!("\"crate{i}\""))
                .replace("login = \"a\"", &format!("login = \"user{i}\"")),
        );
        i += 1;
    }
    text.push_str(LOCK_ENTRY);
    case.write("vendor-audit.lock", text);
    let out = case.check_limited(
        &[
            "--locked",
            "--facts",
            "vendor-audit.lock",
            "--format",
            "json",
        ],
        320 << 10,
    );
    let report = report(&out);
    assert_eq!(findings(&report, "missing-facts"), Vec::<String>::new());

    // One entry larger than an entry can be is refused, by line.
    let mut text = format!("schema = 1\n{LOCK_ENTRY}");
    text.push_str(&LOCK_ENTRY.replace(
        "owners = [\n",
        &format!(
            "owners = [\n{}",
            "    { kind = \"user\", id = 1, login = \"a\" },\n".repeat(200_000)
        ),
    ));
    case.write("vendor-audit.lock", text);
    let out = case.check(&["--locked", "--facts", "vendor-audit.lock"]);
    code(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("vendor-audit.lock:15:1") && stderr.contains("limit of 8 MiB"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------- writing

#[test]
fn lock_guard_link_is_not_followed() {
    let case = Case::new(PUBLISHER_POLICY);
    let dump = tar_gz(&tables("d/data/", &[]));
    case.write("dump.tar.gz", dump);
    // A link planted where the guard goes, to a file that does not exist yet.
    let victim = case.at("victim");
    std::os::unix::fs::symlink(&victim, case.at(".vendor-audit.lock.lock")).unwrap();
    let out = case.run_with(
        case.command(&[
            "fetch",
            "--metadata-path",
            "meta.json",
            "--policy",
            "policy.toml",
            "--db-dump",
            "dump.tar.gz",
            "--offline",
            "--facts",
            "vendor-audit.lock",
        ]),
        None,
    );
    code(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(!victim.exists(), "the guard was created through the link");
    assert!(!case.at("vendor-audit.lock").exists());
}

#[test]
fn output_into_a_fifo_or_device_writes_into_it() {
    let case = Case::new(PUBLISHER_POLICY);
    let fifo = case.fifo("report.fifo");
    // A reader that is there before the run, so opening for writing does not wait.
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags_nonblocking()
        .open(&fifo)
        .unwrap();
    let out = case.check(&["--format", "json", "--output", "report.fifo"]);
    code(&out, 0);
    let mut text = String::new();
    let _ = reader.read_to_string(&mut text);
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(report["schema"], 1);
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );

    // A link planted where the report goes is replaced, never written through.
    let victim = case.write("victim", "precious");
    std::os::unix::fs::symlink(&victim, case.at("report.json")).unwrap();
    let out = case.check(&["--format", "json", "--output", "report.json"]);
    code(&out, 0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let meta = std::fs::symlink_metadata(case.at("report.json")).unwrap();
    assert!(meta.file_type().is_file());

    // /dev/stdout (a link to the process's stdout) and /dev/null (a device).
    let out = case.check(&["--format", "json", "--output", "/dev/stdout"]);
    assert_eq!(report_of(&out)["schema"], 1);
    let out = case.check(&["--format", "json", "--output", "/dev/null"]);
    code(&out, 0);
    assert!(out.stdout.is_empty());
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

trait NonBlocking {
    fn custom_flags_nonblocking(&mut self) -> &mut Self;
}

impl NonBlocking for std::fs::OpenOptions {
    fn custom_flags_nonblocking(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}

// ---------------------------------------------------------------- --scan-sources

/// A metadata whose crates.io package `foo` has `license_file`, with its folder made.
fn scan_case(license_file: &str) -> Case {
    let case = Case::new(PUBLISHER_POLICY);
    let mut meta = metadata(case.path(), &[("foo", "1.0.0")]);
    for p in meta["packages"].as_array_mut().unwrap() {
        if p["name"] == "foo" {
            p["license_file"] = Value::from(license_file);
        }
    }
    case.write("meta.json", meta.to_string());
    case.write("foo/Cargo.toml", "[package]\n");
    case.write("app/Cargo.toml", "[package]\n");
    case.write(
        "policy.toml",
        PUBLISHER_POLICY.replace(
            "crates-io-users = [4242]",
            "copyright-holders = [\"Secret Corp\"]",
        ),
    );
    case
}

#[test]
fn license_file_outside_the_package_is_not_read() {
    for outside in ["../secret/LICENSE", "/SECRET"] {
        let case = scan_case(outside);
        let secret = "Copyright (c) 2024 Secret Corp\n";
        case.write("secret/LICENSE", secret);
        let absolute = case.at("secret/LICENSE");
        let name = if outside.starts_with('/') {
            absolute.to_str().unwrap()
        } else {
            outside
        };
        let case = {
            let mut meta: Value =
                serde_json::from_str(&std::fs::read_to_string(case.at("meta.json")).unwrap())
                    .unwrap();
            for p in meta["packages"].as_array_mut().unwrap() {
                if p["name"] == "foo" {
                    p["license_file"] = Value::from(name);
                }
            }
            case.write("meta.json", meta.to_string());
            case
        };
        let report = report(&case.check(&["--scan-sources", "--format", "json"]));
        assert_eq!(
            findings(&report, "restricted-entity"),
            Vec::<String>::new(),
            "{name}"
        );
        let message = degraded(&report, "crate-sources");
        assert!(message.contains("outside the package folder"), "{message}");
    }
    // Inside, it is read.
    let case = scan_case("docs/LICENSE");
    case.write("foo/docs/LICENSE", "Copyright (c) 2024 Secret Corp\n");
    let report = report(&case.check(&["--scan-sources", "--format", "json"]));
    assert_eq!(findings(&report, "restricted-entity"), ["foo@1.0.0"]);
}

#[test]
fn license_file_that_is_a_fifo_does_not_hang() {
    let case = scan_case("LICENSE.fifo");
    case.fifo("foo/LICENSE.fifo");
    let report = report(&case.check(&["--scan-sources", "--format", "json"]));
    let message = degraded(&report, "crate-sources");
    assert!(
        message.contains("LICENSE.fifo") && message.contains("a FIFO"),
        "{message}"
    );
}

// ---------------------------------------------------------------- times

const PAINT: &str = "\u{1b}]8;;https://evil.example\u{7}";

#[test]
fn fetched_times_are_checked_at_the_source() {
    // The lock: an error naming the line, with the time escaped.
    let case = Case::new(PUBLISHER_POLICY);
    let painted = LOCK_ENTRY.replacen(
        "2026-11-01T00:00:00Z",
        &format!(
            "2026-11-01T00:00:00Z{}",
            PAINT
                .replace('\u{1b}', "\\u001b")
                .replace('\u{7}', "\\u0007")
        ),
        1,
    );
    case.write("vendor-audit.lock", format!("schema = 1\n{painted}"));
    for args in [
        vec!["--locked", "--facts", "vendor-audit.lock"],
        vec!["--locked", "--facts", "vendor-audit.lock", "-v"],
    ] {
        let out = case.check(&args);
        code(&out, 2);
        assert!(!out.stderr.contains(&0x1b) && !out.stdout.contains(&0x1b));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("vendor-audit.lock:7:") && stderr.contains("not an RFC 3339 time"),
            "{stderr}"
        );
    }

    // cargo-vet's `when`: the imports are degraded.
    let case = Case::new(PUBLISHER_POLICY);
    case.write(
        "imports.lock",
        format!(
            "[[publisher.foo]]\nversion = \"1.0.0\"\nwhen = \"2023-06-04{}\"\nuser-id = 1\nuser-login = \"a\"\n",
            PAINT.replace('\u{1b}', "\\u001b").replace('\u{7}', "\\u0007")
        ),
    );
    let out = case.check(&["--vet-imports", "imports.lock", "--format", "json"]);
    let message = degraded(&report(&out), "cargo-vet-imports");
    assert!(message.contains("`when` must be a date"), "{message}");
    assert!(!out.stdout.contains(&0x1b));

    // A dump's metadata.json: no time rather than that one, in check and in explain.
    let mut list = tables("d/data/", &[]);
    list.push((
        "d/metadata.json".to_string(),
        serde_json::json!({ "timestamp": format!("2026-11-27T02:00:00Z{PAINT}") })
            .to_string()
            .into_bytes(),
    ));
    let case = Case::new(PUBLISHER_POLICY);
    case.write("policy.toml", PUBLISHER_POLICY.replace("[4242]", "[7]"));
    case.write("dump.tar.gz", tar_gz(&list));
    let out = case.check(&["--db-dump", "dump.tar.gz", "-v"]);
    assert!(
        !out.stdout.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("db-dump"));
    let out = case.run_with(
        case.command(&[
            "explain",
            "foo",
            "--metadata-path",
            "meta.json",
            "--offline",
            "--db-dump",
            "dump.tar.gz",
        ]),
        None,
    );
    code(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.stdout.contains(&0x1b), "{stdout}");
    assert!(stdout.contains("[db-dump]"), "{stdout}");
}

// ---------------------------------------------------------------- metadata steering

#[test]
fn metadata_workspace_root_cannot_make_the_tool_hang_or_read_without_bound() {
    // The metadata's workspace root holds a Cargo.lock that is a FIFO, then one far
    // larger than its limit: the report is written without the line numbers.
    let case = Case::new(PUBLISHER_POLICY);
    let fifo = case.fifo("Cargo.lock");
    let out = case.check(&["--format", "sarif"]);
    code(&out, 0);
    std::fs::remove_file(&fifo).unwrap();
    std::fs::File::create(case.at("Cargo.lock"))
        .unwrap()
        .set_len(8 << 30)
        .unwrap();
    let out = case.check_limited(&["--format", "sarif"], 1 << 20);
    code(&out, 0);
}
