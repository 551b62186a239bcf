//! Faults around the run: a cache folder that cannot be written, a full disk while the
//! facts lock is written, a `fetch` killed in the middle, two runs at once, and a
//! network that drops in the middle of an answer. Each ends in a clear message, a
//! `degraded` entry or exit 2, and no lost data. Servers bind 127.0.0.1 only.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::fake_crates_io::{FakeCratesIo, Reply};
use crate::support::metadata_json::metadata;
use serde_json::Value;

const POLICY: &str = r#"schema = 1
[policy]
id = "t"
[[entity]]
id = "evil"
name = "Evil Corp"
reason = "test"
[entity.match]
crates-io-users = [4242]
"#;

/// A facts lock as `fetch` writes it, for `foo 1.0.0`, owned and published by user 1.
const OLD_LOCK: &str = r#"# Publisher facts (crates.io owners and version publishers) for cargo vendor-audit.
# Written by `cargo vendor-audit fetch`; commit it, like Cargo.lock. Do not edit by hand.
schema = 1

[[package]]
name = "foo"
version = "1.0.0"
owners-source = "crates-io-api"
owners-fetched = "2026-11-01T00:00:00Z"
owners = [
    { kind = "user", id = 1, login = "alice" },
]
publisher-source = "crates-io-api"
publisher-fetched = "2026-11-01T00:00:00Z"
publisher = { kind = "user", id = 1, login = "alice" }
"#;

const OWNERS: &str =
    r#"{"users":[{"id":1,"login":"alice","kind":"user","name":null,"url":null,"avatar":null}]}"#;
const VERSION: &str = r#"{"version":{"num":"1.0.0","published_by":{"id":1,"login":"alice","name":null,"avatar":null,"url":null},"trustpub_data":null}}"#;

struct Setup {
    dir: tempfile::TempDir,
    /// Where the lock lives (the temp dir, or a small filesystem mounted in it).
    lock: PathBuf,
    cache: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("policy.toml"), POLICY).unwrap();
        std::fs::write(
            dir.path().join("meta.json"),
            metadata(dir.path(), &[("foo", "1.0.0")]).to_string(),
        )
        .unwrap();
        let lock = dir.path().join("vendor-audit.lock");
        std::fs::write(&lock, OLD_LOCK).unwrap();
        let cache = dir.path().join("cache");
        Setup { dir, lock, cache }
    }

    fn command(&self, args: &[&str], api: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-vendor-audit"));
        cmd.args(args)
            .arg("--metadata-path")
            .arg(self.dir.path().join("meta.json"))
            .arg("--policy")
            .arg(self.dir.path().join("policy.toml"))
            .arg("--facts")
            .arg(&self.lock)
            .args(["--crates-io-api", api, "--api-rate", "100"])
            .env("XDG_CACHE_HOME", &self.cache)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn run(&self, args: &[&str], api: &str) -> Output {
        let start = Instant::now();
        let out = self.command(args, api).output().unwrap();
        assert!(start.elapsed() < Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        out
    }

    fn lock_text(&self) -> String {
        std::fs::read_to_string(&self.lock).unwrap()
    }

    /// Files a crashed or failed write could leave beside the lock.
    fn temp_files(&self) -> Vec<String> {
        std::fs::read_dir(self.lock.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }
}

fn good_server() -> FakeCratesIo {
    let server = FakeCratesIo::start();
    server.route("/api/v1/crates/foo/owners", vec![Reply::json(OWNERS)]);
    server.route("/api/v1/crates/foo/1.0.0", vec![Reply::json(VERSION)]);
    server
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} {}",
            String::from_utf8_lossy(&out.stdout),
            stderr(out)
        )
    })
}

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

fn missing_facts(report: &Value) -> usize {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "missing-facts")
        .count()
}

#[test]
fn cache_folder_not_writable_degrades_and_still_answers() {
    let s = Setup::new();
    // A file where the cache folder should be: nothing can be created under it, even
    // by root (permission bits do not stop root).
    std::fs::write(&s.cache, "not a folder").unwrap();
    std::fs::remove_file(&s.lock).unwrap();
    let server = good_server();
    let out = s.run(&["check", "--format", "json"], &server.base_url);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&out);
    let message = degraded(&r, "crates-io-api");
    assert!(
        message.contains("cannot write the crates.io answer cache"),
        "{r}"
    );
    assert!(message.contains("not kept for the next run"), "{r}");
    // The answers were still used.
    assert_eq!(missing_facts(&r), 0, "{r}");
    assert_eq!(std::fs::read_to_string(&s.cache).unwrap(), "not a folder");
}

#[test]
fn lock_folder_not_writable_is_exit_2_and_names_it() {
    let mut s = Setup::new();
    let server = good_server();
    // The lock's folder is a file: nothing can be written there.
    let blocked = s.dir.path().join("blocked");
    std::fs::write(&blocked, "").unwrap();
    s.lock = blocked.join("vendor-audit.lock");
    let out = s.run(&["fetch"], &server.base_url);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write facts lock"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("blocked/vendor-audit.lock"),
        "{}",
        stderr(&out)
    );
}

/// A tmpfs of `size` mounted at `dir`, unmounted when dropped; `None` (with a note on
/// stderr) where mounting is not permitted.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::piped())
            .output();
        match status {
            Ok(out) if out.status.success() => Some(Mount(dir.to_path_buf())),
            Ok(out) => {
                skip_note(&format!(
                    "cannot mount a tmpfs here ({})",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
                None
            }
            Err(e) => {
                skip_note(&format!("no `mount` ({e})"));
                None
            }
        }
    }
}

/// Written to the real stderr, past the test harness's capture, so a skip is seen.
fn skip_note(why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "note: SKIPPED disk_full_while_writing_the_lock_keeps_the_old_lock: {why}"
    );
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn disk_full_while_writing_the_lock_keeps_the_old_lock() {
    let mut s = Setup::new();
    let small = s.dir.path().join("small");
    let Some(_mount) = Mount::tmpfs(&small, "64k") else {
        return;
    };
    s.lock = small.join("vendor-audit.lock");
    std::fs::write(&s.lock, OLD_LOCK).unwrap();
    // Fill the rest of the filesystem.
    {
        let mut filler = std::fs::File::create(small.join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while filler
            .write_all(&block)
            .and_then(|_| filler.sync_all())
            .is_ok()
        {}
    }
    // New facts: the new lock differs from the old one, and does not fit.
    let server = FakeCratesIo::start();
    server.route(
        "/api/v1/crates/foo/owners",
        vec![Reply::json(
            r#"{"users":[{"id":2,"login":"bob","kind":"user"},{"id":3,"login":"carol","kind":"user"}]}"#,
        )],
    );
    server.route("/api/v1/crates/foo/1.0.0", vec![Reply::json(VERSION)]);
    let out = s.run(&["fetch"], &server.base_url);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot write facts lock"), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(s.lock_text(), OLD_LOCK, "the old lock is byte-identical");
    assert!(s.temp_files().is_empty(), "{:?}", s.temp_files());
}

#[test]
fn killed_fetch_keeps_the_old_lock_and_leaves_nothing_to_trip_on() {
    let s = Setup::new();
    let server = FakeCratesIo::start();
    let slow = Duration::from_secs(20);
    server.route(
        "/api/v1/crates/foo/owners",
        vec![Reply::json(OWNERS).delayed(slow)],
    );
    server.route(
        "/api/v1/crates/foo/1.0.0",
        vec![Reply::json(VERSION).delayed(slow)],
    );
    let mut child = s.command(&["fetch"], &server.base_url).spawn().unwrap();
    let start = Instant::now();
    while server.requests().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(15), "no request came");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let _ = child.wait().unwrap();
    assert_eq!(s.lock_text(), OLD_LOCK);
    assert!(s.temp_files().is_empty(), "{:?}", s.temp_files());
    // A later run reads the old lock as it was...
    let out = s.run(&["check", "--locked", "--format", "json"], &server.base_url);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(missing_facts(&report(&out)), 0);
    // ...and a later fetch is not blocked by anything the killed one left.
    let good = good_server();
    let out = s.run(&["fetch"], &good.base_url);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn two_fetches_at_once_leave_one_whole_lock() {
    let s = Setup::new();
    std::fs::remove_file(&s.lock).unwrap();
    let server = FakeCratesIo::start();
    let a_bit = Duration::from_millis(200);
    server.route(
        "/api/v1/crates/foo/owners",
        vec![Reply::json(OWNERS).delayed(a_bit)],
    );
    server.route(
        "/api/v1/crates/foo/1.0.0",
        vec![Reply::json(VERSION).delayed(a_bit)],
    );
    // Separate caches, so both really ask and write at about the same time.
    let children: Vec<_> = (0..2)
        .map(|i| {
            let mut cmd = s.command(&["fetch"], &server.base_url);
            cmd.env("XDG_CACHE_HOME", s.dir.path().join(format!("cache{i}")));
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let text = s.lock_text();
    assert!(text.contains("login = \"alice\""), "{text}");
    assert!(s.temp_files().is_empty(), "{:?}", s.temp_files());
    let out = s.run(&["check", "--locked", "--format", "json"], &server.base_url);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(missing_facts(&report(&out)), 0);
}

#[test]
fn two_checks_at_once_share_the_cache() {
    let s = Setup::new();
    std::fs::remove_file(&s.lock).unwrap();
    let server = good_server();
    let children: Vec<_> = (0..2)
        .map(|_| {
            s.command(&["check", "--format", "json"], &server.base_url)
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let r = report(&out);
        assert_eq!(missing_facts(&r), 0, "{r}");
        assert_eq!(degraded(&r, "crates-io-api"), "", "{r}");
    }
    // The cache holds whole answers: an offline run against the same API finds them.
    let out = s.run(
        &["check", "--offline", "--format", "json"],
        &server.base_url,
    );
    assert_eq!(missing_facts(&report(&out)), 0);
}

/// A server that answers every request with the headers and the first bytes of a body,
/// then hangs up: a network that drops mid-answer.
struct DroppingServer {
    base_url: String,
    stop: Arc<AtomicBool>,
    hits: Arc<std::sync::atomic::AtomicUsize>,
}

impl DroppingServer {
    fn start() -> DroppingServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stop2, hits2) = (stop.clone(), hits.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop2.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                hits2.fetch_add(1, Ordering::SeqCst);
                stream.set_nonblocking(false).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                    line.clear();
                }
                let mut stream = stream;
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"users\":[{\"id\":1,\"lo",
                );
                let _ = stream.flush();
                drop(stream);
            }
        });
        DroppingServer {
            base_url,
            stop,
            hits,
        }
    }
}

impl Drop for DroppingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[test]
fn network_dropping_mid_answer_degrades_and_poisons_nothing() {
    let s = Setup::new();
    std::fs::remove_file(&s.lock).unwrap();
    let server = DroppingServer::start();
    let out = s.run(&["check", "--format", "json"], &server.base_url);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&out);
    let message = degraded(&r, "crates-io-api");
    assert!(message.contains("reading the answer"), "{r}");
    assert_eq!(missing_facts(&r), 1, "{r}");
    assert!(server.hits.load(Ordering::SeqCst) >= 1);
    // Nothing half-read was cached: a good server is asked again and answers.
    let good = good_server();
    let out = s.run(&["check", "--format", "json"], &good.base_url);
    let r = report(&out);
    assert_eq!(missing_facts(&r), 0, "{r}");
    assert_eq!(good.paths().len(), 2, "{:?}", good.paths());
}

#[test]
fn fetch_with_the_network_dropping_keeps_the_old_facts() {
    let s = Setup::new();
    let server = DroppingServer::start();
    let before = s.lock_text();
    let out = s.run(&["fetch"], &server.base_url);
    // No source answered anything: the old lock is left as it was, and fetch fails.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("degraded"), "{err}");
    assert!(err.contains("was not written"), "{err}");
    assert_eq!(s.lock_text(), before);
    // The lock still says what the old one said.
    let out = s.run(&["check", "--locked", "--format", "json"], &server.base_url);
    assert_eq!(missing_facts(&report(&out)), 0);
    assert!(s.lock_text().contains("login = \"alice\""));
}

#[test]
fn api_answer_larger_than_the_limit_degrades() {
    let s = Setup::new();
    std::fs::remove_file(&s.lock).unwrap();
    let server = FakeCratesIo::start();
    let huge = format!(
        r#"{{"users":[{{"id":1,"login":"{}","kind":"user"}}]}}"#,
        "a".repeat(5 << 20)
    );
    server.route("/api/v1/crates/foo/owners", vec![Reply::json(&huge)]);
    server.route("/api/v1/crates/foo/1.0.0", vec![Reply::json(VERSION)]);
    let out = s.run(&["check", "--format", "json"], &server.base_url);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&out);
    let message = degraded(&r, "crates-io-api");
    assert!(message.contains("larger than the limit of 4 MiB"), "{r}");
    assert_eq!(missing_facts(&r), 1, "{r}");
}

#[test]
fn malformed_api_answers_degrade() {
    let s = Setup::new();
    std::fs::remove_file(&s.lock).unwrap();
    let server = FakeCratesIo::start();
    server.route(
        "/api/v1/crates/foo/owners",
        vec![Reply::json(r#"{"users":"\u001b[2J"}"#)],
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    server.route(
        "/api/v1/crates/foo/1.0.0",
        vec![Reply::json(&format!(r#"{{"version":{deep}}}"#))],
    );
    let out = s.run(&["check", "--format", "json"], &server.base_url);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&out);
    let message = degraded(&r, "crates-io-api");
    assert!(message.contains("malformed answer from crates.io"), "{r}");
    assert_eq!(missing_facts(&r), 1, "{r}");
}
