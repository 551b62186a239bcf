//! The facts store through the binary: `store import | status | update`, its use by
//! `check` and `fetch` (`--store auto|never|require`, `--offline`, `--locked`), the same
//! facts as `--db-dump`, and downloads from a fake static.crates.io on 127.0.0.1 (Range
//! honoured or ignored, a cut connection, a wrong CRC-32, a 503, two updates at once).

use crate::support::fake_crates_io;
use crate::support::metadata_json;

use std::path::{Path, PathBuf};

use crate::generate::dump::{DumpSpec, wanted, write_tar_gz, write_zip};
use crate::support::fake_static::{FakeStatic, Faults};
use assert_cmd::Command;
use serde_json::Value;

const POLICY: &str = r#"schema = 1
[policy]
id = "store-test"
[[entity]]
id = "someone"
name = "Someone (test)"
reason = "test"
[entity.match]
crates-io-users = [999999999]
"#;

fn spec(crates: usize) -> DumpSpec {
    DumpSpec {
        crates,
        owners: crates * 3,
        versions: crates * 4,
        users: crates / 2 + 1,
        teams: 5,
        seed: 7,
    }
}

struct Setup {
    dir: tempfile::TempDir,
    spec: DumpSpec,
}

impl Setup {
    /// A workspace depending on `packages` crate versions of a generated dump of `crates`.
    fn new(crates: usize, packages: usize) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let spec = spec(crates);
        let d = dir.path();
        std::fs::write(d.join("policy.toml"), POLICY).unwrap();
        let keys = wanted(&spec, packages);
        let deps: Vec<(&str, &str)> = keys
            .iter()
            .map(|k| (k.name.as_str(), k.version.as_str()))
            .collect();
        std::fs::write(
            d.join("metadata.json"),
            metadata_json::metadata(d, &deps).to_string(),
        )
        .unwrap();
        write_tar_gz(&spec, std::fs::File::create(d.join("dump.tar.gz")).unwrap()).unwrap();
        Setup { dir, spec }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn store_file(&self) -> PathBuf {
        self.path("cache/cargo-vendor-audit/store/facts.store")
    }

    fn zip(&self, padding: usize) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        write_zip(&self.spec, &mut out, padding).unwrap();
        out.into_inner()
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("cargo-vendor-audit").unwrap();
        cmd.env("XDG_CACHE_HOME", self.path("cache"))
            .env_remove("CI")
            .current_dir(self.dir.path());
        cmd
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            out.status.code().unwrap(),
            text(&out.stdout),
            text(&out.stderr),
        )
    }

    /// `args` with the graph, policy and a facts lock of this setup.
    fn graph_run(&self, args: &[&str]) -> (i32, String, String) {
        let d = self.dir.path();
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        for (k, v) in [
            ("--metadata-path", d.join("metadata.json")),
            ("--policy", d.join("policy.toml")),
        ] {
            all.push(k.into());
            all.push(v.display().to_string());
        }
        all.extend(["--today".into(), "2026-11-27".into()]);
        if !args.contains(&"--facts") {
            all.push("--facts".into());
            all.push(d.join("vendor-audit.lock").display().to_string());
        }
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        self.run(&refs)
    }

    fn check_json(&self, extra: &[&str]) -> (i32, Value, String) {
        let mut args = vec!["check", "--format", "json", "--fail-on", "never"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = self.graph_run(&args);
        let json =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
        (code, json, stderr)
    }

    fn import(&self) {
        let dump = self.path("dump.tar.gz");
        let (code, out, err) = self.run(&["store", "import", dump.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}{err}");
    }
}

fn missing_facts(report: &Value) -> usize {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "missing-facts")
        .count()
}

fn degraded(report: &Value) -> String {
    report["degraded"].to_string()
}

/// The store answers as long as this for the generated dump of 2026-11-27.
const FRESH: &str = "1000000";

#[test]
fn import_status_and_check_read_the_store() {
    let s = Setup::new(60, 5);
    let (code, out, _) = s.run(&["store", "status"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no facts store at"), "{out}");

    let dump = s.path("dump.tar.gz");
    let (code, out, err) = s.run(&["store", "import", dump.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("built the facts store from")
            && out.contains("dump of 2026-11-27T02:00:00.000000Z")
            && out.contains("60 crates, 240 versions"),
        "{out}"
    );
    assert!(s.store_file().is_file());

    let (code, out, _) = s.run(&["store", "status"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("holds: 60 crates, 240 versions"), "{out}");
    assert!(out.contains("dump: 2026-11-27T02:00:00.000000Z ("), "{out}");

    // Without the store and without network, the facts are missing; with it, they are not.
    let (_, without, _) = s.check_json(&["--offline", "--store", "never"]);
    assert_eq!(missing_facts(&without), 5, "{without}");
    let (_, with, _) = s.check_json(&["--offline", "--store-max-age", FRESH]);
    assert_eq!(missing_facts(&with), 0, "{with}");
    assert_eq!(degraded(&with), "[]");

    // A store older than --store-max-age is still used offline, with a note of its age.
    let (_, stale, _) = s.check_json(&["--offline"]);
    assert_eq!(missing_facts(&stale), 0, "{stale}");
    assert!(
        degraded(&stale)
            .contains("older than --store-max-age 24 h; used as it is because of --offline"),
        "{stale}"
    );

    // --locked never reads the store.
    let (_, locked, _) = s.check_json(&["--locked", "--store-max-age", FRESH]);
    assert_eq!(missing_facts(&locked), 5, "{locked}");
}

#[test]
fn import_of_something_that_is_not_a_dump_is_exit_2() {
    let s = Setup::new(10, 1);
    let missing = s.path("no-such-dump.zip");
    let (code, _, err) = s.run(&["store", "import", missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("store import failed: cannot open crates.io dump"),
        "{err}"
    );
    std::fs::create_dir_all(s.path("empty")).unwrap();
    let empty = s.path("empty");
    let (code, _, err) = s.run(&["store", "import", empty.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no crates.csv found"), "{err}");
    std::fs::write(s.path("bad.zip"), b"PK\x03\x04 not really a zip").unwrap();
    let bad = s.path("bad.zip");
    let (code, _, err) = s.run(&["store", "import", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is corrupt or truncated"), "{err}");
    assert!(!s.store_file().exists());
}

#[test]
fn store_db_dump_and_zip_give_the_same_facts() {
    let s = Setup::new(60, 8);
    let dump = s.path("dump.tar.gz");
    let fetch = |lock: &str, extra: &[&str]| {
        let lock = s.path(lock);
        let mut args = vec!["fetch", "--offline", "--facts", lock.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (code, out, err) = s.graph_run(&args);
        assert_eq!(code, 0, "{out}{err}");
        std::fs::read_to_string(lock).unwrap()
    };
    let from_dump = fetch(
        "dump.lock",
        &["--db-dump", dump.to_str().unwrap(), "--store", "never"],
    );
    assert!(from_dump.contains("db-dump"), "{from_dump}");
    assert!(
        from_dump.contains("2026-11-27T02:00:00.000000Z"),
        "{from_dump}"
    );

    s.import();
    let from_store = fetch("store.lock", &["--store-max-age", FRESH]);
    assert_eq!(from_store, from_dump);

    // The same dump as a .zip, imported.
    std::fs::write(s.path("dump.zip"), s.zip(1000)).unwrap();
    let zip = s.path("dump.zip");
    let (code, out, err) = s.run(&["store", "import", zip.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let from_zip = fetch("zip.lock", &["--store-max-age", FRESH]);
    assert_eq!(from_zip, from_dump);
}

#[test]
fn a_damaged_store_is_ignored_with_a_note() {
    let s = Setup::new(30, 3);
    s.import();
    let bytes = std::fs::read(s.store_file()).unwrap();
    for (what, damaged) in [
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("garbage", b"not a store at all, but long enough to hold a header.......................................................................................".to_vec()),
    ] {
        std::fs::write(s.store_file(), &damaged).unwrap();
        let (_, report, _) = s.check_json(&["--offline", "--store-max-age", FRESH]);
        assert_eq!(missing_facts(&report), 3, "{what}: {report}");
        assert!(
            degraded(&report).contains("is not usable") && degraded(&report).contains("store update` rebuilds it"),
            "{what}: {report}"
        );
        let (code, out, _) = s.run(&["store", "status"]);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(out.contains("is not usable"), "{what}: {out}");
    }
}

#[test]
fn require_without_a_usable_store_is_exit_2() {
    let s = Setup::new(30, 3);
    let (code, out, err) = s.graph_run(&["check", "--offline", "--store", "require"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--store require: no facts store at"), "{err}");
    s.import();
    let (code, _, err) = s.graph_run(&[
        "check",
        "--offline",
        "--store",
        "require",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{err}");
}

fn update(s: &Setup, url: &str) -> (i32, String, String) {
    s.run(&["store", "update", "--dump-url", url])
}

#[test]
fn update_fetches_only_the_needed_members_when_ranges_are_honoured() {
    let s = Setup::new(60, 5);
    let file = s.zip(3 << 20);
    let len = file.len() as u64;
    let server = FakeStatic::start(
        file,
        Faults {
            ranges: true,
            ..Faults::default()
        },
    );
    let (code, out, err) = update(&s, &server.url);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("updated the facts store from")
            && out.contains("60 crates, 240 versions")
            && out.contains("(only the members needed)"),
        "{out}"
    );
    assert!(
        err.contains("fetching the 7 members the store needs"),
        "{err}"
    );
    assert!(
        server.bytes_sent() < len / 2,
        "sent {} of {len}",
        server.bytes_sent()
    );
    let (code, out, _) = s.run(&["store", "status"]);
    assert_eq!(code, 0, "{out}");
    // Nothing of the download is left behind.
    assert!(
        !s.path("cache/cargo-vendor-audit/store/download/db-dump.zip.part")
            .exists()
    );
}

#[test]
fn update_streams_the_whole_file_when_ranges_are_ignored() {
    let s = Setup::new(60, 5);
    let file = s.zip(1 << 20);
    let len = file.len() as u64;
    let server = FakeStatic::start(file, Faults::default());
    let (code, out, err) = update(&s, &server.url);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("does not answer range requests"), "{err}");
    assert!(out.contains("60 crates, 240 versions"), "{out}");
    assert!(server.bytes_sent() >= len);
}

#[test]
fn a_cut_connection_resumes_with_ranges() {
    let s = Setup::new(60, 5);
    let file = s.zip(3 << 20);
    let server = FakeStatic::start(
        file,
        Faults {
            ranges: true,
            cut_once_above: Some(200 << 10),
            ..Faults::default()
        },
    );
    let (code, out, err) = update(&s, &server.url);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("60 crates, 240 versions"), "{out}");
    // The cut answer was asked again from where it stopped.
    assert!(
        server.ranges_asked().len() >= 2,
        "{:?}",
        server.ranges_asked()
    );
}

#[test]
fn an_interrupted_update_is_resumed_by_the_next() {
    let s = Setup::new(60, 5);
    s.import();
    let before = std::fs::read(s.store_file()).unwrap();
    let file = s.zip(3 << 20);
    let len = file.len() as u64;
    let server = FakeStatic::start(
        file,
        Faults {
            ranges: true,
            cut_all_above: Some(1024),
            ..Faults::default()
        },
    );
    let (code, out, err) = update(&s, &server.url);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("the next update resumes it"), "{err}");
    assert_eq!(std::fs::read(s.store_file()).unwrap(), before);
    let first = server.bytes_sent();

    server.stop_cutting();
    let (code, out, err) = update(&s, &server.url);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("resuming an interrupted download ("), "{err}");
    assert!(out.contains("60 crates, 240 versions"), "{out}");
    // The second run fetched only what the first did not get, and in all, far less than
    // the whole file.
    assert!(
        server.bytes_sent() < len / 2,
        "{} of {len}",
        server.bytes_sent()
    );
    assert!(
        server.bytes_sent() - first < first,
        "{first} then {}",
        server.bytes_sent()
    );
}

#[test]
fn a_cut_connection_without_ranges_fails_cleanly_and_keeps_the_old_store() {
    let s = Setup::new(60, 5);
    s.import();
    let before = std::fs::read(s.store_file()).unwrap();
    let server = FakeStatic::start(
        s.zip(1 << 20),
        Faults {
            cut_once_above: Some(100 << 10),
            ..Faults::default()
        },
    );
    let (code, out, err) = update(&s, &server.url);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("was cut after") && err.contains("the old store is kept"),
        "{err}"
    );
    assert_eq!(std::fs::read(s.store_file()).unwrap(), before);
}

/// `file` with the CRC-32 of member `name` changed in its local header and the directory.
fn break_crc(mut file: Vec<u8>, name: &str) -> Vec<u8> {
    let name = name.as_bytes();
    let mut changed = 0;
    for i in 0..file.len().saturating_sub(46) {
        if file[i..i + 4] == *b"PK\x03\x04" && file[i + 30..].starts_with(name) {
            file[i + 14] ^= 0xff;
            changed += 1;
        }
        if file[i..i + 4] == *b"PK\x01\x02" && file[i + 46..].starts_with(name) {
            file[i + 16] ^= 0xff;
            changed += 1;
        }
    }
    assert_eq!(changed, 2);
    file
}

#[test]
fn a_member_with_a_wrong_crc_installs_nothing() {
    let s = Setup::new(60, 5);
    s.import();
    let before = std::fs::read(s.store_file()).unwrap();
    for ranges in [true, false] {
        let server = FakeStatic::start(
            break_crc(s.zip(1000), "data/users.csv"),
            Faults {
                ranges,
                ..Faults::default()
            },
        );
        let (code, out, err) = update(&s, &server.url);
        assert_eq!(code, 2, "{out}{err}");
        assert!(
            err.contains("users.csv is corrupt") || err.contains("checksum"),
            "{err}"
        );
        assert!(err.contains("the old store is kept"), "{err}");
        assert_eq!(std::fs::read(s.store_file()).unwrap(), before);
    }
}

#[test]
fn a_503_fails_and_keeps_the_old_store() {
    let s = Setup::new(30, 3);
    s.import();
    let before = std::fs::read(s.store_file()).unwrap();
    let server = FakeStatic::start(
        s.zip(1000),
        Faults {
            status: Some(503),
            ..Faults::default()
        },
    );
    let (code, out, err) = update(&s, &server.url);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("answered HTTP 503"), "{err}");
    assert_eq!(std::fs::read(s.store_file()).unwrap(), before);
}

#[test]
fn a_second_update_waits_for_the_first() {
    use std::io::{BufRead, BufReader};
    let s = Setup::new(30, 3);
    let server = FakeStatic::start(
        s.zip(1000),
        Faults {
            ranges: true,
            gate: true,
            ..Faults::default()
        },
    );
    let spawn = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("cargo-vendor-audit"))
            .env("XDG_CACHE_HOME", s.path("cache"))
            .args(["store", "update", "--dump-url", &server.url])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    // The first holds the lock once its first request reached the server.
    while server.requests() == 0 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut second = spawn();
    let mut err = BufReader::new(second.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("another `store update` is running"), "{line}");
    server.open_gate();
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = second.wait_with_output().unwrap();
    assert!(second.status.success());
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(
        out.contains("another update installed the store while this one waited"),
        "{out}"
    );
}

#[test]
fn auto_downloads_the_store_when_many_api_requests_would_be_needed() {
    // 70 packages: 140 API requests, above the 120 that make `check` fetch the store.
    let s = Setup::new(200, 70);
    let server = FakeStatic::start(
        s.zip(1000),
        Faults {
            ranges: true,
            ..Faults::default()
        },
    );
    let dead_api = "http://127.0.0.1:9";
    let (_, report, err) = s.check_json(&[
        "--dump-url",
        &server.url,
        "--crates-io-api",
        dead_api,
        "--store-max-age",
        FRESH,
    ]);
    assert!(
        err.contains("there is no facts store on this machine, and 140 crates.io API requests would be needed"),
        "{err}"
    );
    // What the README's quick start shows a newcomer.
    assert!(
        err.contains("Store fetching the 7 members the store needs: ")
            && err.contains("Store built the facts store: dump of 2026-11-27T02:00:00.000000Z; 200 crates, 800 versions, "),
        "{err}"
    );
    assert_eq!(missing_facts(&report), 0, "{report}");
    assert!(s.store_file().is_file());

    // A few packages: no download, the API is asked.
    let s = Setup::new(200, 5);
    let server = FakeStatic::start(s.zip(1000), Faults::default());
    let (_, report, err) = s.check_json(&["--dump-url", &server.url, "--crates-io-api", dead_api]);
    assert_eq!(server.requests(), 0, "{err}");
    assert!(!s.store_file().exists());
    assert_eq!(missing_facts(&report), 5, "{report}");

    // `fetch` downloads it too, and writes a lock from the store alone; `list` does not.
    let s = Setup::new(200, 70);
    let server = FakeStatic::start(
        s.zip(1000),
        Faults {
            ranges: true,
            ..Faults::default()
        },
    );
    let (_, _, _) = s.graph_run(&[
        "list",
        "--dump-url",
        &server.url,
        "--crates-io-api",
        dead_api,
    ]);
    assert_eq!(server.requests(), 0);
    let (code, out, err) = s.graph_run(&[
        "fetch",
        "--dump-url",
        &server.url,
        "--crates-io-api",
        dead_api,
        "--store-max-age",
        FRESH,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("downloading the crates.io database dump"),
        "{err}"
    );
    let lock = std::fs::read_to_string(s.path("vendor-audit.lock")).unwrap();
    assert_eq!(lock.matches("[[package]]").count(), 70, "{lock}");
    assert!(!lock.contains("crates-io-api"), "{lock}");

    // --store never: no download even when many requests would be needed.
    let s = Setup::new(200, 70);
    let server = FakeStatic::start(s.zip(1000), Faults::default());
    let (_, _, _) = s.check_json(&[
        "--dump-url",
        &server.url,
        "--crates-io-api",
        dead_api,
        "--store",
        "never",
    ]);
    assert_eq!(server.requests(), 0);
}

/// The facts of a lock without where and when they came from.
fn values(lock: &Path) -> Vec<(String, String)> {
    use cargo_vendor_audit::facts::lock::FactsLock;
    let lock = FactsLock::read(lock).unwrap();
    lock.packages
        .iter()
        .map(|(k, f)| {
            (
                k.to_string(),
                format!(
                    "{:?} {:?}",
                    f.owners.as_ref().map(|o| &o.value),
                    f.publisher.as_ref().map(|p| &p.value)
                ),
            )
        })
        .collect()
}

#[test]
fn the_api_gives_the_same_facts_as_the_store() {
    use cargo_vendor_audit::facts::lock::FactsLock;
    use cargo_vendor_audit::facts::{Owner, Publisher};
    use fake_crates_io::{FakeCratesIo, Reply};
    let s = Setup::new(60, 8);
    s.import();
    let store_lock = s.path("store.lock");
    let (code, out, err) = s.graph_run(&[
        "fetch",
        "--offline",
        "--store-max-age",
        FRESH,
        "--facts",
        store_lock.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // crates.io's API answering what the dump says.
    let api = FakeCratesIo::start();
    for (key, facts) in &FactsLock::read(&store_lock).unwrap().packages {
        let owners: Vec<String> = facts
            .owners
            .as_ref()
            .unwrap()
            .value
            .iter()
            .map(|o| match o {
                Owner::User { id, login } => {
                    format!(r#"{{"id":{id},"login":"{login}","kind":"user"}}"#)
                }
                Owner::Team { id, login } => {
                    format!(r#"{{"id":{id},"login":"{login}","kind":"team"}}"#)
                }
            })
            .collect();
        api.route(
            &format!("/api/v1/crates/{}/owners", key.name),
            vec![Reply::json(&format!(
                r#"{{"users":[{}]}}"#,
                owners.join(",")
            ))],
        );
        let by = match &facts.publisher.as_ref().unwrap().value {
            Some(Publisher::User { id, login }) => format!(r#"{{"id":{id},"login":"{login}"}}"#),
            _ => "null".to_string(),
        };
        api.route(
            &format!("/api/v1/crates/{}/{}", key.name, key.version),
            vec![Reply::json(&format!(
                r#"{{"version":{{"num":"{}","published_by":{by},"trustpub_data":null}}}}"#,
                key.version
            ))],
        );
    }
    let api_lock = s.path("api.lock");
    let (code, out, err) = s.graph_run(&[
        "fetch",
        "--store",
        "never",
        "--crates-io-api",
        &api.base_url,
        "--api-rate",
        "100",
        "--facts",
        api_lock.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        std::fs::read_to_string(&api_lock)
            .unwrap()
            .contains("crates-io-api")
    );
    assert_eq!(values(&api_lock), values(&store_lock));
}

#[test]
fn a_recent_version_without_publisher_is_asked_of_the_api() {
    use fake_crates_io::{FakeCratesIo, Reply};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("dump/2026-11-27-020000/data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        d.join("dump/2026-11-27-020000/metadata.json"),
        r#"{"timestamp":"2026-11-27T02:00:00Z"}"#,
    )
    .unwrap();
    for (file, text) in [
        (
            "crates.csv",
            "id,name,repository,homepage\n1,tp-crate,,\n2,old-crate,,\n",
        ),
        (
            "crate_owners.csv",
            "crate_id,owner_id,owner_kind\n1,10,0\n2,10,0\n",
        ),
        ("users.csv", "id,username\n10,alice\n"),
        ("teams.csv", "id,login\n"),
        (
            "versions.csv",
            "crate_id,num,published_by,created_at\n1,1.0.0,,2026-03-01 10:00:00+00\n2,0.1.0,,2018-03-01 10:00:00+00\n",
        ),
    ] {
        std::fs::write(data.join(file), text).unwrap();
    }
    std::fs::write(
        d.join("metadata.json"),
        metadata_json::metadata(d, &[("tp-crate", "1.0.0"), ("old-crate", "0.1.0")]).to_string(),
    )
    .unwrap();
    let api = FakeCratesIo::start();
    api.route(
        "/api/v1/crates/tp-crate/1.0.0",
        vec![Reply::json(
            r#"{"version":{"num":"1.0.0","published_by":null,"trustpub_data":{"provider":"github","repository":"someorg/tp-crate","run_id":"1","sha":"abc"}}}"#,
        )],
    );
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("cargo-vendor-audit")
            .unwrap()
            .env("XDG_CACHE_HOME", d.join("cache"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["store", "import", d.join("dump").to_str().unwrap()]);
    let lock = d.join("vendor-audit.lock");
    run(&[
        "fetch",
        "--metadata-path",
        d.join("metadata.json").to_str().unwrap(),
        "--policy",
        "builtin:us-federal",
        "--facts",
        lock.to_str().unwrap(),
        "--crates-io-api",
        &api.base_url,
        "--api-rate",
        "100",
        "--store-max-age",
        FRESH,
    ]);
    let text = std::fs::read_to_string(&lock).unwrap();
    // Only the recent version's publisher was asked of the API.
    assert_eq!(
        api.paths(),
        vec!["/api/v1/crates/tp-crate/1.0.0".to_string()]
    );
    assert!(
        text.contains(
            r#"publisher = { kind = "trusted", repository = "github:someorg/tp-crate" }"#
        ),
        "{text}"
    );
    assert_eq!(
        text.matches("publisher-source = \"db-dump\"").count(),
        1,
        "{text}"
    );
}
