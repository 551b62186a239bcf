//! Broken and hostile inputs through the binary: metadata JSON, policy files, facts
//! locks, dumps, cargo-vet imports and flags. Each case asserts the exit code and the
//! words of the message, that nothing panicked, and that it ended within seconds.
//! No case touches the network: `--offline`, `--locked` or a refused local port.

use std::io::Write as _;
use std::process::{Output, Stdio};
use std::time::Instant;

use crate::support::case::{Case, TIME_LIMIT};
use crate::support::dump::{tables, tar_gz};
use crate::support::metadata_json::{declare, metadata, node, package};
use serde_json::{Value, json};

const POLICY: &str = r#"schema = 1
[policy]
id = "t"
[[entity]]
id = "evil"
name = "Evil Corp"
reason = "test"
[entity.match]
orgs = ["github.com/evil"]
"#;

/// A policy with a publisher matcher: packages without publisher facts are
/// `missing-facts` (warn), so a degraded source shows without failing the run.
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

/// Asserts the exit code, that stderr holds each of `words`, and that nothing panicked.
#[track_caller]
fn expect(output: &Output, code: i32, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("overflowed its stack"),
        "panic: {stderr}"
    );
    assert_eq!(
        output.status.code(),
        Some(code),
        "stderr: {stderr}\nstdout: {stdout}"
    );
    for word in words {
        assert!(
            stderr.contains(word),
            "`{word}` not in stderr: {stderr}\nstdout: {stdout}"
        );
    }
}

/// The JSON report of a run, and its `degraded` messages of `source`.
#[track_caller]
fn degraded(output: &Output, source: &str) -> String {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    report["degraded"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["source"] == source)
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------- metadata JSON

#[test]
fn metadata_truncated() {
    let case = Case::new(POLICY);
    let text = metadata(case.path(), &[("foo", "1.0.0")]).to_string();
    case.write("meta.json", &text[..text.len() / 2]);
    expect(
        &case.check(&[]),
        2,
        &["`meta.json` is not valid `cargo metadata` output", "line 1"],
    );
}

#[test]
fn metadata_empty_file() {
    let case = Case::new(POLICY);
    case.write("meta.json", "");
    expect(
        &case.check(&[]),
        2,
        &["is not valid `cargo metadata` output"],
    );
}

#[test]
fn metadata_binary_junk() {
    let case = Case::new(POLICY);
    case.write("meta.json", b"\x1f\x8b\x08\x00\xff\xfe\x00\x00junk\x80\x81");
    expect(
        &case.check(&[]),
        2,
        &["could not read cargo metadata", "UTF-8"],
    );
}

#[test]
fn metadata_wrong_types() {
    let case = Case::new(POLICY);
    let mut m = metadata(case.path(), &[("foo", "1.0.0")]);
    m["packages"] = json!("not a list");
    case.write("meta.json", m.to_string());
    expect(
        &case.check(&[]),
        2,
        &["invalid type", "expected a sequence"],
    );

    let mut m = metadata(case.path(), &[("foo", "1.0.0")]);
    m["packages"][1]["version"] = json!("one.two");
    case.write("meta.json", m.to_string());
    expect(
        &case.check(&[]),
        2,
        &["is not valid `cargo metadata` output"],
    );
}

#[test]
fn metadata_dangling_ids() {
    let case = Case::new(POLICY);
    let mut m = metadata(case.path(), &[("foo", "1.0.0")]);
    m["workspace_members"] = json!(["path+file:///nowhere#ghost@0.1.0"]);
    case.write("meta.json", m.to_string());
    expect(
        &case.check(&[]),
        2,
        &[
            "metadata is inconsistent",
            "ghost@0.1.0",
            "is not in `packages`",
        ],
    );

    let mut m = metadata(case.path(), &[("foo", "1.0.0")]);
    m["resolve"]["nodes"][0]["deps"][0]["pkg"] = json!("registry+x#dangling@9.9.9");
    case.write("meta.json", m.to_string());
    expect(
        &case.check(&[]),
        2,
        &["metadata is inconsistent", "dangling@9.9.9"],
    );
}

#[test]
fn metadata_cycle_ends() {
    let case = Case::new(POLICY);
    let mut m = metadata(case.path(), &[("foo", "1.0.0"), ("bar", "2.0.0")]);
    // foo -> bar -> foo, and foo -> app (a cycle through the root).
    let foo = m["packages"][1].clone();
    let bar = m["packages"][2].clone();
    let app = m["packages"][0].clone();
    declare(&mut m["packages"][1], "bar");
    declare(&mut m["packages"][2], "foo");
    m["resolve"]["nodes"][1] = node(foo["id"].as_str().unwrap(), &[&bar, &app]);
    m["resolve"]["nodes"][2] = node(bar["id"].as_str().unwrap(), &[&foo]);
    m["packages"][2]["repository"] = json!("https://github.com/evil/bar");
    case.write("meta.json", m.to_string());
    let out = case.check(&["--format", "json"]);
    expect(&out, 1, &[]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["package"]["name"], "bar");
}

#[test]
fn metadata_duplicated_nodes() {
    let case = Case::new(POLICY);
    let mut m = metadata(case.path(), &[("foo", "1.0.0")]);
    let dup = m["packages"][1].clone();
    m["packages"].as_array_mut().unwrap().push(dup);
    case.write("meta.json", m.to_string());
    expect(
        &case.check(&[]),
        2,
        &["metadata is inconsistent", "foo@1.0.0", "appears twice"],
    );

    // The same resolve node twice is read as one.
    let mut m = metadata(case.path(), &[("foo", "1.0.0")]);
    let dup = m["resolve"]["nodes"][1].clone();
    m["resolve"]["nodes"].as_array_mut().unwrap().push(dup);
    case.write("meta.json", m.to_string());
    expect(&case.check(&[]), 0, &[]);
}

#[test]
fn metadata_huge_strings() {
    let case = Case::new(POLICY);
    let mut m = metadata(case.path(), &[("foo", "1.0.0")]);
    let huge = "x".repeat(8 << 20);
    m["packages"][1]["description"] = json!(huge);
    m["packages"][1]["authors"] = json!([format!("A <a@{}.example>", "d".repeat(1 << 20))]);
    m["packages"][1]["repository"] = json!(format!("https://github.com/{}", "o/".repeat(100_000)));
    case.write("meta.json", m.to_string());
    expect(&case.check(&[]), 0, &[]);
}

#[test]
fn metadata_deep_nesting() {
    let case = Case::new(POLICY);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let text = metadata(case.path(), &[("foo", "1.0.0")])
        .to_string()
        .replacen("\"metadata\":null", &format!("\"metadata\":{deep}"), 1);
    case.write("meta.json", text);
    expect(
        &case.check(&[]),
        2,
        &["is not valid `cargo metadata` output", "recursion limit"],
    );
}

#[test]
fn metadata_long_chain_no_recursion() {
    // app -> c0 -> c1 -> ... -> c4999: the walk and the path search are not recursive.
    let case = Case::new(POLICY);
    let n = 5000;
    let root = case.path();
    let mut pkgs: Vec<Value> = (0..n)
        .map(|i| package(root, &format!("c{i}"), "1.0.0", true))
        .collect();
    for (i, pkg) in pkgs.iter_mut().enumerate().take(n - 1) {
        declare(pkg, &format!("c{}", i + 1));
    }
    pkgs[n - 1]["repository"] = json!("https://github.com/evil/last");
    let mut app = package(root, "app", "0.1.0", false);
    declare(&mut app, "c0");
    let app_id = app["id"].as_str().unwrap().to_string();
    let mut nodes = vec![node(&app_id, &[&pkgs[0]])];
    for i in 0..n {
        let next: Vec<&Value> = pkgs.get(i + 1).into_iter().collect();
        nodes.push(node(pkgs[i]["id"].as_str().unwrap(), &next));
    }
    let mut packages = vec![app];
    packages.extend(pkgs);
    let m = json!({
        "packages": packages, "workspace_members": [app_id], "workspace_default_members": [app_id],
        "resolve": {"nodes": nodes, "root": app_id}, "target_directory": root.join("target"),
        "version": 1, "workspace_root": root, "metadata": null
    });
    case.write("meta.json", m.to_string());
    // No facts are given: `orgs` would make each of the 5,000 crates.io packages
    // `missing-facts`, each with its 5,000-long path. This case is about the walk.
    case.write(
        "policy.toml",
        POLICY.replace("id = \"t\"", "id = \"t\"\nmissing-facts = \"allow\""),
    );
    let out = case.check(&["--format", "json"]);
    expect(&out, 1, &[]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = report["findings"][0]["paths"][0].as_array().unwrap();
    assert_eq!(path.len(), n + 1);
}

#[test]
fn metadata_no_deps_output() {
    let case = Case::new(POLICY);
    let mut m = metadata(case.path(), &[("foo", "1.0.0")]);
    m["resolve"] = Value::Null;
    case.write("meta.json", m.to_string());
    expect(&case.check(&[]), 2, &["no `resolve` section", "--no-deps"]);
}

#[test]
fn metadata_larger_than_the_limit() {
    let case = Case::new(POLICY);
    case.sparse("meta.json", 300 << 20);
    expect(
        &case.check(&[]),
        2,
        &["`meta.json`", "larger than the limit of 256 MiB"],
    );
}

#[test]
fn metadata_endless_stdin_stops_at_the_limit() {
    let case = Case::new(POLICY);
    let mut cmd = case.command(&[
        "check",
        "--metadata-path",
        "-",
        "--policy",
        "policy.toml",
        "--offline",
    ]);
    cmd.stdin(Stdio::piped());
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b' '; 1 << 20];
        // Until the tool stops reading; bounded in case it never does.
        for _ in 0..400 {
            if pipe.write_all(&chunk).is_err() {
                return true;
            }
        }
        false
    });
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(start.elapsed() < TIME_LIMIT);
    assert!(writer.join().unwrap(), "the tool read past its limit");
    expect(
        &out,
        2,
        &["standard input", "larger than the limit of 256 MiB"],
    );
}

#[test]
fn metadata_junk_on_stdin() {
    let case = Case::new(POLICY);
    let cmd = case.command(&[
        "check",
        "--metadata-path",
        "-",
        "--policy",
        "policy.toml",
        "--offline",
    ]);
    let out = case.run_with(cmd, Some(b"{\"packages\": [1, 2"));
    expect(
        &out,
        2,
        &["standard input is not valid `cargo metadata` output"],
    );
}

#[test]
fn metadata_path_is_a_folder_or_missing() {
    let case = Case::new(POLICY);
    std::fs::remove_file(case.at("meta.json")).unwrap();
    std::fs::create_dir(case.at("meta.json")).unwrap();
    expect(
        &case.check(&[]),
        2,
        &["could not read cargo metadata", "folder"],
    );
    std::fs::remove_dir(case.at("meta.json")).unwrap();
    expect(
        &case.check(&[]),
        2,
        &[
            "could not read cargo metadata from `meta.json`",
            "No such file",
        ],
    );
}

// ---------------------------------------------------------------- policy files

fn check_policy(text: impl AsRef<[u8]>, words: &[&str]) {
    let case = Case::new(POLICY);
    case.write("policy.toml", text);
    expect(&case.check(&[]), 2, words);
}

#[test]
fn policy_binary_junk() {
    check_policy(b"\x00\x01\xff\xfe\x89PNG\r\n", &["policy.toml", "UTF-8"]);
}

#[test]
fn policy_empty() {
    check_policy("", &["policy.toml", "schema"]);
}

#[test]
fn policy_duplicate_keys() {
    check_policy(
        POLICY.replace("id = \"t\"", "id = \"t\"\nid = \"u\""),
        &["policy.toml:4", "duplicate key"],
    );
}

#[test]
fn policy_out_of_range_ids() {
    for value in ["-1", "99999999999999999999999", "1.5", "\"12\""] {
        check_policy(
            POLICY.replace(
                "orgs = [\"github.com/evil\"]",
                &format!("crates-io-users = [{value}]"),
            ),
            &["policy.toml:9"],
        );
    }
}

#[test]
fn policy_empty_values() {
    check_policy(
        POLICY.replace("id = \"t\"", "id = \"\""),
        &["policy.toml:3"],
    );
    check_policy(
        POLICY.replace("\"github.com/evil\"", "\"\""),
        &["policy.toml:9"],
    );
    check_policy(
        POLICY.replace("orgs = [\"github.com/evil\"]", "orgs = []"),
        &["policy.toml"],
    );
}

#[test]
fn policy_broken_glob() {
    check_policy(
        POLICY.replace("orgs = [\"github.com/evil\"]", "crates = [\"evil-[\"]"),
        &["policy.toml:9", "invalid glob"],
    );
}

#[test]
fn policy_pathological_globs_are_fast() {
    // Globs that backtracking matchers take exponential time on, against long names.
    let case = Case::new(POLICY);
    let star_a = "*a".repeat(60);
    let long_name = "a".repeat(60);
    let repo_glob = format!("https://github.com/{}b", "*a*".repeat(200));
    case.write(
        "policy.toml",
        POLICY.replace(
            "orgs = [\"github.com/evil\"]",
            &format!("crates = [\"{star_a}b\"]\nrepositories = [\"{repo_glob}\"]"),
        ),
    );
    let mut m = metadata(case.path(), &[(&long_name, "1.0.0")]);
    m["packages"][1]["repository"] = json!(format!("https://github.com/{}", "a".repeat(5000)));
    case.write("meta.json", m.to_string());
    expect(&case.check(&[]), 0, &[]);
}

#[test]
fn policy_huge_glob_is_fast() {
    // 400 KB of `a*`: compiled once to an automaton, matched in linear time.
    let case = Case::new(POLICY);
    let star = "a*".repeat(200_000);
    case.write(
        "policy.toml",
        POLICY.replace(
            "orgs = [\"github.com/evil\"]",
            &format!("crates = [\"{star}\"]"),
        ),
    );
    expect(&case.check(&[]), 0, &[]);
}

#[test]
fn policy_extends_a_folder() {
    let case = Case::new(POLICY);
    std::fs::create_dir(case.at("base")).unwrap();
    case.write(
        "policy.toml",
        POLICY.replace("id = \"t\"", "id = \"t\"\nextends = [\"base\"]"),
    );
    expect(&case.check(&[]), 2, &["policy.toml:4", "it is a folder"]);
}

#[test]
fn policy_extends_itself() {
    check_policy(
        POLICY.replace("id = \"t\"", "id = \"t\"\nextends = [\"policy.toml\"]"),
        &["`extends` cycle"],
    );
    check_policy(
        POLICY.replace(
            "id = \"t\"",
            "id = \"t\"\nextends = [\"./sub/../policy.toml\"]",
        ),
        &["`extends` cycle"],
    );
}

#[test]
fn policy_extends_a_missing_file() {
    check_policy(
        POLICY.replace("id = \"t\"", "id = \"t\"\nextends = [\"nope/base.toml\"]"),
        &["policy.toml:4", "no such file", "relative to the file"],
    );
}

#[test]
fn policy_extends_an_endless_device() {
    check_policy(
        POLICY.replace("id = \"t\"", "id = \"t\"\nextends = [\"/dev/zero\"]"),
        &["/dev/zero", "a character device, not a regular file"],
    );
}

#[test]
fn policy_larger_than_the_limit() {
    let case = Case::new(POLICY);
    case.sparse("policy.toml", 33 << 20);
    expect(
        &case.check(&[]),
        2,
        &["policy.toml", "larger than the limit of 32 MiB"],
    );
}

#[test]
fn policy_deep_nesting() {
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    check_policy(format!("{POLICY}x = {deep}\n"), &["policy.toml"]);
    let deep = format!("{}1{}", "{a=".repeat(50_000), "}".repeat(50_000));
    check_policy(format!("{POLICY}y = {deep}\n"), &["policy.toml"]);
}

#[test]
fn policy_unknown_schema_and_keys() {
    check_policy(
        POLICY.replace("schema = 1", "schema = 2"),
        &["policy.toml:1", "schema"],
    );
    check_policy(
        POLICY.replace("id = \"t\"", "id = \"t\"\ncolour = \"red\""),
        &["policy.toml:4", "colour"],
    );
}

#[test]
fn policy_unknown_builtin() {
    let case = Case::new(POLICY);
    let out = case.run(&[
        "check",
        "--metadata-path",
        "meta.json",
        "--policy",
        "builtin:nope",
        "--offline",
    ]);
    expect(&out, 2, &["builtin:nope", "builtin:us-federal"]);
}

// ---------------------------------------------------------------- facts locks

fn check_lock(text: impl AsRef<[u8]>, words: &[&str]) {
    let case = Case::new(POLICY);
    case.write("vendor-audit.lock", text);
    let out = case.check(&["--locked", "--facts", "vendor-audit.lock"]);
    let mut all = vec!["vendor-audit.lock"];
    all.extend_from_slice(words);
    expect(&out, 2, &all);
}

const LOCK: &str = r#"schema = 1

[[package]]
name = "foo"
version = "1.0.0"
owners-source = "crates-io-api"
owners = [
    { kind = "user", id = 1, login = "a" },
]
publisher-source = "crates-io-api"
publisher = { kind = "user", id = 1, login = "a" }
"#;

#[test]
fn lock_truncated() {
    check_lock(
        &LOCK[..LOCK.len() - 20],
        &["run `cargo vendor-audit fetch`"],
    );
}

#[test]
fn lock_unknown_schema() {
    check_lock(
        LOCK.replace("schema = 1", "schema = 9"),
        &[":1:", "schema 9 is not known"],
    );
}

#[test]
fn lock_wrong_types() {
    check_lock(LOCK.replace("owners = [", "owners = \"x\"\nz = ["), &[":"]);
    check_lock(
        LOCK.replace("id = 1, login = \"a\" },", "id = -1, login = \"a\" },"),
        &[":7:", "expected u64"],
    );
    check_lock(
        LOCK.replace("kind = \"user\", id = 1", "kind = \"robot\", id = 1"),
        &[":8:", "robot"],
    );
    check_lock(LOCK.replace("name = \"foo\"\n", ""), &["name"]);
}

#[test]
fn lock_binary_junk() {
    check_lock(b"\xff\xfe\x00schema = 1\x00", &["UTF-8"]);
}

#[test]
fn lock_deep_nesting() {
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    check_lock(format!("{LOCK}x = {deep}\n"), &[]);
}

#[test]
fn lock_larger_than_the_limit() {
    let case = Case::new(POLICY);
    case.sparse("vendor-audit.lock", 65 << 20);
    let out = case.check(&["--locked", "--facts", "vendor-audit.lock"]);
    expect(
        &out,
        2,
        &["vendor-audit.lock", "larger than the limit of 64 MiB"],
    );
}

#[test]
fn lock_is_a_folder() {
    let case = Case::new(POLICY);
    std::fs::create_dir(case.at("vendor-audit.lock")).unwrap();
    let out = case.check(&["--locked", "--facts", "vendor-audit.lock"]);
    expect(&out, 2, &["cannot read facts lock", "folder"]);
}

// ---------------------------------------------------------------- dumps

fn dump_case(dump: &[u8]) -> (Case, Output) {
    let case = Case::new(POLICY);
    case.write("policy.toml", PUBLISHER_POLICY);
    case.write("dump.tar.gz", dump);
    let out = case.check(&["--db-dump", "dump.tar.gz", "--format", "json"]);
    expect(&out, 0, &[]);
    (case, out)
}

#[test]
fn dump_good_one_is_read() {
    // The baseline the broken ones below differ from.
    let good = tar_gz(&tables("2026-11-27-000000/data/", &[]));
    let (_case, out) = dump_case(&good);
    assert_eq!(degraded(&out, "db-dump"), "");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "missing-facts"),
        "{report}"
    );
}

#[test]
fn dump_truncated_gzip() {
    let good = tar_gz(&tables("d/data/", &[]));
    let (_case, out) = dump_case(&good[..good.len() / 2]);
    let message = degraded(&out, "db-dump");
    assert!(message.contains("corrupt or truncated"), "{message}");
    assert!(message.contains("download it again"), "{message}");
}

#[test]
fn dump_not_an_archive() {
    let (_case, out) = dump_case(b"PK\x03\x04 this is a zip, not a tar");
    let message = degraded(&out, "db-dump");
    assert!(message.contains("dump.tar.gz"), "{message}");
}

#[test]
fn dump_malformed_csv() {
    let broken = "id,name\n1,foo\n2,bar,extra,fields\n";
    let (_case, out) = dump_case(&tar_gz(&tables("d/data/", &[("crates.csv", broken)])));
    let message = degraded(&out, "db-dump");
    assert!(message.contains("crates.csv line 3"), "{message}");
}

#[test]
fn dump_non_numeric_id() {
    let broken = "id,name\nDROP TABLE,foo\n";
    let (_case, out) = dump_case(&tar_gz(&tables("d/data/", &[("crates.csv", broken)])));
    let message = degraded(&out, "db-dump");
    assert!(message.contains("expected a number"), "{message}");
    assert!(message.contains("DROP TABLE"), "{message}");
}

#[test]
fn dump_missing_column_and_table() {
    let (_case, out) = dump_case(&tar_gz(&tables(
        "d/data/",
        &[("crates.csv", "name\nfoo\n")],
    )));
    let message = degraded(&out, "db-dump");
    assert!(message.contains("has no column `id`"), "{message}");

    let mut list = tables("d/data/", &[]);
    list.retain(|(n, _)| !n.ends_with("users.csv"));
    let (_case, out) = dump_case(&tar_gz(&list));
    let message = degraded(&out, "db-dump");
    assert!(message.contains("no users.csv found"), "{message}");
}

#[test]
fn dump_entries_escaping_the_folder_are_ignored() {
    for prefix in ["../data/", "/data/", "d/../../data/"] {
        let (case, out) = dump_case(&tar_gz(&tables(prefix, &[])));
        let message = degraded(&out, "db-dump");
        assert!(
            message.contains("no crates.csv found"),
            "{prefix}: {message}"
        );
        // Nothing is ever written out of an archive.
        assert!(!case.path().join("data").exists());
        assert!(
            !case
                .path()
                .parent()
                .unwrap()
                .join("data/crates.csv")
                .exists()
        );
    }
}

#[test]
fn dump_huge_entry_is_streamed() {
    // 256 MiB of table nobody needs before the tables that matter, under a 160 MiB
    // address-space limit: the dump is streamed, never held in memory.
    let mut list = vec![(
        "d/data/version_downloads.csv".to_string(),
        vec![b'0'; 256 << 20],
    )];
    list.extend(tables("d/data/", &[]));
    let dump = tar_gz(&list);
    drop(list);
    let case = Case::new(POLICY);
    case.write("policy.toml", PUBLISHER_POLICY);
    case.write("dump.tar.gz", &dump);
    let out = case.check_limited(&["--db-dump", "dump.tar.gz", "--format", "json"], 163840);
    expect(&out, 0, &[]);
    assert_eq!(degraded(&out, "db-dump"), "");
}

#[test]
fn dump_folder_without_tables() {
    let case = Case::new(POLICY);
    case.write("policy.toml", PUBLISHER_POLICY);
    case.write("dump/README.md", "not a dump");
    let out = case.check(&["--db-dump", "dump", "--format", "json"]);
    expect(&out, 0, &[]);
    let message = degraded(&out, "db-dump");
    assert!(
        message.contains("is this a crates.io database dump?"),
        "{message}"
    );
}

// ---------------------------------------------------------------- cargo-vet imports

fn vet_case(text: impl AsRef<[u8]>) -> String {
    let case = Case::new(POLICY);
    case.write("policy.toml", PUBLISHER_POLICY);
    case.write("imports.lock", text);
    let out = case.check(&["--vet-imports", "imports.lock", "--format", "json"]);
    expect(&out, 0, &[]);
    degraded(&out, "cargo-vet-imports")
}

#[test]
fn vet_imports_broken_toml() {
    let message = vet_case("[[publisher.foo]]\nversion = \"1.0.0\nwhen = 3\n");
    assert!(message.contains("imports.lock:2:"), "{message}");
}

#[test]
fn vet_imports_wrong_types() {
    let message = vet_case("[[publisher.foo]]\nversion = \"1.0.0\"\nuser-id = \"me\"\n");
    assert!(message.contains("imports.lock:3:"), "{message}");
    let message = vet_case("publisher = 5\n");
    assert!(message.contains("imports.lock:1:"), "{message}");
}

#[test]
fn vet_imports_larger_than_the_limit() {
    let case = Case::new(POLICY);
    case.write("policy.toml", PUBLISHER_POLICY);
    case.sparse("imports.lock", 65 << 20);
    let out = case.check(&["--vet-imports", "imports.lock", "--format", "json"]);
    expect(&out, 0, &[]);
    let message = degraded(&out, "cargo-vet-imports");
    assert!(
        message.contains("larger than the limit of 64 MiB"),
        "{message}"
    );
}

// ---------------------------------------------------------------- flags

#[test]
fn flag_unknown() {
    let case = Case::new(POLICY);
    expect(
        &case.check(&["--frobnicate"]),
        2,
        &["unexpected argument '--frobnicate'"],
    );
}

#[test]
fn flag_bad_values() {
    let case = Case::new(POLICY);
    expect(
        &case.check(&["--fail-on", "always"]),
        2,
        &["invalid value 'always'", "--fail-on"],
    );
    expect(
        &case.check(&["--format", "xml"]),
        2,
        &["invalid value 'xml'"],
    );
    expect(&case.check(&["--today", "2026-13-45"]), 2, &["--today"]);
    expect(
        &case.check(&["--color", "sometimes"]),
        2,
        &["invalid value 'sometimes'"],
    );
}

#[test]
fn flag_api_rate_and_url() {
    let case = Case::new(POLICY);
    expect(
        &case.check(&["--api-rate", "0"]),
        2,
        &["invalid value '0' for '--api-rate", "requests per second"],
    );
    expect(
        &case.check(&["--api-rate", "NaN"]),
        2,
        &["invalid value 'NaN' for '--api-rate", "requests per second"],
    );
    let out = case.run(&[
        "check",
        "--metadata-path",
        "meta.json",
        "--policy",
        "policy.toml",
        "--crates-io-api",
        "ftp://example.com",
    ]);
    expect(&out, 2, &["ftp://example.com", "not an http(s) URL"]);
}

#[test]
fn flag_unknown_package_and_target() {
    let case = Case::new(POLICY);
    expect(
        &case.check(&["-p", "ghost"]),
        2,
        &["`ghost` is not a member"],
    );
    expect(
        &case.check(&["--target", "nonsense-triple"]),
        2,
        &["unknown target triple `nonsense-triple`"],
    );
}

#[test]
fn flag_output_into_a_folder() {
    let case = Case::new(POLICY);
    std::fs::create_dir(case.at("out")).unwrap();
    expect(
        &case.check(&["--output", "out"]),
        2,
        &["could not write the report to out"],
    );
    // Its temporary file is gone too.
    let left: Vec<_> = std::fs::read_dir(case.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn flag_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let case = Case::new(POLICY);
    let mut cmd = case.command(&["check", "--policy"]);
    cmd.arg(std::ffi::OsStr::from_bytes(b"\xff\xfe.toml"))
        .args(["--metadata-path", "meta.json", "--offline"]);
    let out = case.run_with(cmd, None);
    assert_ne!(out.status.code(), Some(0));
    expect(&out, 2, &[]);
}

#[test]
fn flag_missing_value() {
    let case = Case::new(POLICY);
    expect(
        &case.run(&["check", "--policy"]),
        2,
        &["a value is required for '--policy"],
    );
}

// ---------------------------------------------------------------- hostile crate metadata

/// Text a hostile manifest can carry: a CSI colour, a screen clear, an OSC 8 hyperlink
/// closed by a bell, an OSC title, a carriage return that overwrites the line, C1 CSI,
/// a bidi override, Markdown and workflow-command syntax.
const HOSTILE: &str = "evil\u{1b}[31mRED\u{1b}[2J\u{1b}]8;;https://phish.example\u{7}click\u{1b}]8;;\u{7}\u{1b}]0;title\u{7}\rOK\u{9b}31m\u{202e}txt.exe|*b*[l](https://x)<img src=x>%0A::error::forged\n::warning::forged";

fn hostile_case() -> Case {
    let case = Case::new(POLICY);
    let mut m = metadata(case.path(), &[("evil-crate", "1.0.0")]);
    let p = &mut m["packages"][1];
    p["repository"] = json!(format!("https://github.com/evil/{HOSTILE}"));
    p["homepage"] = json!(format!("https://{HOSTILE}.example/"));
    p["description"] = json!(HOSTILE);
    p["authors"] = json!([format!("{HOSTILE} <x@evil.example>")]);
    case.write("meta.json", m.to_string());
    case.write(
        "policy.toml",
        POLICY.replace(
            "orgs = [\"github.com/evil\"]",
            "orgs = [\"github.com/evil\"]\nemail-domains = [\"evil.example\"]",
        ),
    );
    case
}

/// No raw escape, bell, carriage return, C1 control or bidi override in `bytes`.
#[track_caller]
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for bad in ['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}'] {
        assert!(
            !text.contains(bad),
            "{what} carries {bad:?} from the crate: {text}"
        );
    }
}

#[test]
fn hostile_metadata_cannot_paint_the_terminal() {
    let case = hostile_case();
    for color in ["never", "always"] {
        for verbosity in ["-v", "-q"] {
            let out = case.check(&["--color", color, verbosity]);
            expect(&out, 1, &[]);
            let stdout = String::from_utf8_lossy(&out.stdout);
            if color == "always" {
                // Our own colours are fine; the crate's escape sequences are not. Every ESC
                // left must start one of our SGR sequences (`ESC [ digits ; m`).
                for (i, _) in stdout.match_indices('\u{1b}') {
                    let rest = &stdout[i + 1..];
                    let seq: String = rest.chars().take_while(|c| *c != 'm').collect();
                    assert!(
                        seq.starts_with('[')
                            && seq[1..].chars().all(|c| c.is_ascii_digit() || c == ';'),
                        "foreign escape sequence: {:?}",
                        &rest[..rest.len().min(40)]
                    );
                }
                assert!(!stdout.contains("]8;;") || !stdout.contains('\u{7}'));
                assert!(!stdout.contains('\r') && !stdout.contains('\u{202e}'));
            } else {
                assert_inert("check", &out.stdout);
            }
            assert_inert("check stderr", &out.stderr);
        }
    }
    let out = case.run(&[
        "explain",
        "evil-crate",
        "--metadata-path",
        "meta.json",
        "--policy",
        "policy.toml",
        "--offline",
        "--color",
        "never",
    ]);
    assert_inert("explain", &out.stdout);
    assert_inert("explain stderr", &out.stderr);
    for format in ["table", "csv"] {
        let out = case.run(&[
            "list",
            "--format",
            format,
            "--metadata-path",
            "meta.json",
            "--policy",
            "policy.toml",
            "--offline",
        ]);
        assert_eq!(out.status.code(), Some(0));
        assert_inert(format, &out.stdout);
    }
}

#[test]
fn hostile_metadata_keeps_reports_valid() {
    let case = hostile_case();
    // JSON: valid, and it says exactly what the crate wrote (escaped, not dropped).
    let out = case.check(&["--format", "json"]);
    expect(&out, 1, &[]);
    assert_inert("json", &out.stdout);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let values: Vec<&str> = report["findings"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert!(values.iter().any(|v| v.contains(HOSTILE)), "{values:?}");

    // SARIF: valid JSON.
    let out = case.check(&["--format", "sarif"]);
    expect(&out, 1, &[]);
    assert_inert("sarif", &out.stdout);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");

    // Markdown: no raw HTML, no link, no line break out of a table cell.
    let out = case.check(&["--format", "markdown"]);
    expect(&out, 1, &[]);
    assert_inert("markdown", &out.stdout);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(!md.contains("<img"), "{md}");
    assert!(!md.contains("](https://x)"), "{md}");
    for line in md.lines().filter(|l| l.starts_with('|')) {
        assert!(line.trim_end().ends_with('|'), "a row broken: {line}");
    }

    // GitHub workflow commands: one command per line, none forged by the crate.
    let out = case.check(&["--format", "github"]);
    expect(&out, 1, &[]);
    assert_inert("github", &out.stdout);
    let gh = String::from_utf8_lossy(&out.stdout);
    for line in gh.lines() {
        assert!(
            !line.starts_with("::error::forged") && !line.starts_with("::warning::forged"),
            "forged workflow command: {line}"
        );
    }
    // The crate's own `%0A` stays text (`%250A`): GitHub would decode a raw one to a
    // line break.
    assert!(gh.contains("%250A::error::forged"), "{gh}");
}

#[test]
fn hostile_ids_in_errors_are_escaped() {
    let case = Case::new(POLICY);
    let mut m = metadata(case.path(), &[("foo", "1.0.0")]);
    m["workspace_members"] = json!([format!("ghost\u{1b}]0;pwned\u{7}\u{1b}[2J\r")]);
    case.write("meta.json", m.to_string());
    let out = case.check(&[]);
    expect(&out, 2, &["metadata is inconsistent", "ghost"]);
    assert_inert("error", &out.stderr);
}
