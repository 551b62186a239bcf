//! The crates.io API as a fact source through the binary, against fake servers on
//! 127.0.0.1: what a 404, a second server, a redirect, a slow server, a big answer and a
//! failed `fetch` do to the report and the facts lock.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::fake_crates_io::{FakeCratesIo, Reply};
use crate::support::metadata_json::metadata;
use assert_cmd::Command;
use serde_json::Value;

const POLICY: &str = r#"schema = 1
[policy]
id = "pub"
[[entity]]
id = "kasp"
name = "Kaspersky (test)"
reason = "test"
[entity.match]
crates-io-teams = ["github:KasperskyLab:*"]
crates-io-users = [4242]
"#;

const KASP_OWNERS: &str = r#"{"users":[{"id":7,"login":"github:KasperskyLab:rust","kind":"team","name":null,"url":"https://github.com/KasperskyLab","avatar":null}]}"#;
const PLAIN_OWNERS: &str =
    r#"{"users":[{"id":1,"login":"alice","kind":"user","name":null,"url":null,"avatar":null}]}"#;

fn version(num: &str) -> String {
    format!(
        r#"{{"version":{{"num":"{num}","published_by":{{"id":1,"login":"alice"}},"trustpub_data":null}}}}"#
    )
}

/// A workspace of three crates.io packages, a policy and a cache folder.
struct Project {
    dir: tempfile::TempDir,
}

const CRATES: [(&str, &str); 3] = [
    ("kasp-util", "1.0.0"),
    ("clean-dep", "2.0.0"),
    ("other", "0.3.0"),
];

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("policy.toml"), POLICY).unwrap();
        std::fs::write(
            dir.path().join("metadata.json"),
            metadata(dir.path(), &CRATES).to_string(),
        )
        .unwrap();
        Project { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, api: Option<&str>, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("cargo-vendor-audit").unwrap();
        cmd.env("XDG_CACHE_HOME", self.path("cache"))
            .env_remove("CARGO_VENDOR_AUDIT_API_GRACE")
            .args(args)
            .arg("--metadata-path")
            .arg(self.path("metadata.json"))
            .arg("--policy")
            .arg(self.path("policy.toml"))
            .arg("--facts")
            .arg(self.path("vendor-audit.lock"))
            .args(["--today", "2026-11-27"]);
        if let Some(api) = api {
            cmd.args(["--crates-io-api", api, "--api-rate", "50"]);
        }
        cmd
    }

    fn run(&self, api: Option<&str>, args: &[&str]) -> (i32, String, String) {
        output(&mut self.command(api, args))
    }

    fn check_json(&self, api: Option<&str>, extra: &[&str]) -> (i32, Value, String) {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = self.run(api, &args);
        let report =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
        (code, report, stderr)
    }
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Answers every question about the three crates; kasp-util is owned by a Kaspersky team
/// on `kasp` servers, by alice on the others.
fn serve_all(server: &FakeCratesIo, kasp: bool) {
    let kasp_owners = if kasp { KASP_OWNERS } else { PLAIN_OWNERS };
    server.route(
        "/api/v1/crates/kasp-util/owners",
        vec![Reply::json(kasp_owners)],
    );
    for (name, v) in CRATES {
        if name != "kasp-util" {
            server.route(
                &format!("/api/v1/crates/{name}/owners"),
                vec![Reply::json(PLAIN_OWNERS)],
            );
        }
        server.route(
            &format!("/api/v1/crates/{name}/{v}"),
            vec![Reply::json(&version(v))],
        );
    }
}

fn findings<'a>(r: &'a Value, code: &str) -> Vec<&'a str> {
    let mut names: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| f["package"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    names
}

fn degraded(r: &Value) -> Vec<String> {
    r["degraded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{}: {}", d["source"].as_str().unwrap(), d["message"]))
        .collect()
}

/// A URL on 127.0.0.1 where nothing listens: connections are refused.
fn closed_port() -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    url
}

#[test]
fn a_server_answering_404_to_everything_degrades_the_report() {
    let p = Project::new();
    // No route: every question is answered 404.
    let server = FakeCratesIo::start();
    let (code, r, _) = p.check_json(Some(&server.base_url), &[]);
    assert_eq!(code, 0, "missing facts only warn by default: {r:#}");
    assert_eq!(
        findings(&r, "missing-facts"),
        ["clean-dep", "kasp-util", "other"],
        "{r:#}"
    );
    let notes = degraded(&r);
    assert!(
        notes
            .iter()
            .any(|d| d.starts_with("crates-io-api") && d.contains("HTTP 404")),
        "{notes:#?}"
    );
    assert_eq!(r["summary"]["audited"], 3, "no package is hidden");

    // And from the cache on the next run: a 404 was not kept as an answer.
    let (code, r, _) = p.check_json(Some(&server.base_url), &["--fail-on", "warn"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(findings(&r, "missing-facts").len(), 3, "{r:#}");
}

#[test]
fn two_api_servers_sharing_one_cache_never_cross() {
    let p = Project::new();
    let a = FakeCratesIo::start();
    serve_all(&a, true);
    let b = FakeCratesIo::start();
    serve_all(&b, false);

    let (code, r, _) = p.check_json(Some(&a.base_url), &[]);
    assert_eq!(code, 1, "A's answers deny kasp-util: {r:#}");
    assert_eq!(findings(&r, "restricted-entity"), ["kasp-util"]);
    // The evidence names the server that answered.
    let evidence = &r["findings"][0]["evidence"][0];
    assert_eq!(evidence["provenance"], "crates-io-api", "{evidence:#}");
    assert_eq!(evidence["api_base"], a.base_url.as_str(), "{evidence:#}");
    for format in ["human", "github", "sarif"] {
        let (_, shown, _) = p.run(Some(&a.base_url), &["check", "--format", format]);
        assert!(
            shown.contains(&format!("from crates-io-api at {}", a.base_url)),
            "{format}: {shown}"
        );
    }

    // B is asked itself, and its answers are its own.
    let (code, r, _) = p.check_json(Some(&b.base_url), &[]);
    assert_eq!(code, 0, "B's owners are clean: {r:#}");
    assert!(findings(&r, "restricted-entity").is_empty(), "{r:#}");
    assert!(
        b.paths()
            .contains(&"/api/v1/crates/kasp-util/owners".to_string()),
        "{:?}",
        b.paths()
    );
    // Offline, each base reads only its own answers.
    let (code, r, _) = p.check_json(Some(&b.base_url), &["--offline"]);
    assert_eq!(code, 0, "{r:#}");
    assert!(findings(&r, "missing-facts").is_empty(), "{r:#}");
    let (code, r, _) = p.check_json(Some(&a.base_url), &["--offline"]);
    assert_eq!(code, 1, "{r:#}");
    // crates.io itself has no cached answer: the test servers' answers are not its own.
    let (code, r, _) = p.check_json(None, &["--offline"]);
    assert_eq!(code, 0, "{r:#}");
    assert!(findings(&r, "restricted-entity").is_empty(), "{r:#}");
    assert_eq!(findings(&r, "missing-facts").len(), 3, "{r:#}");
}

const OLD_LOCK: &str = r#"schema = 1

[[package]]
name = "kasp-util"
version = "1.0.0"
owners-source = "crates-io-api"
owners-fetched = "2026-11-01T10:00:00Z"
owners = [
    { kind = "team", id = 7, login = "github:KasperskyLab:rust" },
]
publisher-source = "crates-io-api"
publisher-fetched = "2026-11-01T10:00:00Z"
publisher = { kind = "user", id = 1, login = "alice" }
"#;

#[test]
fn fetch_with_the_network_down_keeps_the_old_lock_and_fails() {
    let p = Project::new();
    let lock = p.path("vendor-audit.lock");
    std::fs::write(&lock, OLD_LOCK).unwrap();
    let (code, stdout, stderr) = p.run(Some(&closed_port()), &["fetch"]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(!stdout.contains("no change"), "{stdout}");
    assert!(!stderr.contains("no change"), "{stderr}");
    assert!(stderr.contains("was not written"), "{stderr}");
    // What works without network is said.
    assert!(
        stderr.contains("commit vendor-audit.lock") && stderr.contains("--locked"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), OLD_LOCK);
    // The old facts still deny.
    let (code, r, _) = p.check_json(None, &["--locked"]);
    assert_eq!(code, 1, "{r:#}");

    // Without an old lock, nothing is written either.
    std::fs::remove_file(&lock).unwrap();
    let (code, _, stderr) = p.run(Some(&closed_port()), &["fetch"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!lock.exists());
}

#[test]
fn fetch_with_a_failing_source_keeps_the_old_facts_with_their_date() {
    let p = Project::new();
    let lock = p.path("vendor-audit.lock");
    std::fs::write(&lock, OLD_LOCK).unwrap();
    // The server knows clean-dep and other; kasp-util is 404 this time.
    let server = FakeCratesIo::start();
    serve_all(&server, false);
    server.route("/api/v1/crates/kasp-util/owners", vec![Reply::status(404)]);
    server.route("/api/v1/crates/kasp-util/1.0.0", vec![Reply::status(404)]);
    let (code, stdout, stderr) = p.run(Some(&server.base_url), &["fetch"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Fetched facts for 2 of 3 crates.io packages"),
        "{stderr}"
    );
    assert!(
        stderr.contains("kept the previous lock's facts, with their old dates, for 1 package"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text.contains("owners-fetched = \"2026-11-01T10:00:00Z\"")
            && text.contains("github:KasperskyLab:rust")
            && text.contains("clean-dep"),
        "{text}"
    );
    let (code, r, _) = p.check_json(None, &["--locked"]);
    assert_eq!(code, 1, "kasp-util is still denied: {r:#}");
}

#[test]
fn explain_asks_only_about_the_crate_explained() {
    let p = Project::new();
    let server = FakeCratesIo::start();
    serve_all(&server, true);
    let (code, stdout, stderr) = p.run(Some(&server.base_url), &["explain", "clean-dep"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("clean-dep 2.0.0"), "{stdout}");
    assert!(
        stdout.contains(&format!("[crates-io-api at {}, ", server.base_url)),
        "{stdout}"
    );
    let mut paths = server.paths();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/v1/crates/clean-dep/2.0.0",
            "/api/v1/crates/clean-dep/owners"
        ]
    );
}

#[test]
fn list_says_what_it_will_fetch_and_which_sources_failed() {
    let p = Project::new();
    let server = FakeCratesIo::start();
    serve_all(&server, true);
    server.route("/api/v1/crates/other/owners", vec![Reply::status(404)]);
    let (code, stdout, stderr) = p.run(Some(&server.base_url), &["list"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("kasp-util"), "{stdout}");
    let plan = stderr
        .lines()
        .position(|l| {
            l.contains("owners and publishers of 3 crates.io package(s)")
                && l.contains(&server.base_url)
        })
        .unwrap_or_else(|| panic!("{stderr}"));
    let failed = stderr
        .lines()
        .position(|l| {
            l.contains("fact source `crates-io-api` degraded")
                && l.contains("/other/owners")
                && l.contains("HTTP 404")
        })
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(plan < failed, "{stderr}");

    let (code, _, stderr) = p.run(None, &["list", "--locked"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("from the facts lock only (--locked): no network"),
        "{stderr}"
    );
}

#[test]
fn a_big_owners_answer_is_kept_and_read_back_offline() {
    let p = Project::new();
    let server = FakeCratesIo::start();
    serve_all(&server, true);
    // About 3 MB: under the 4 MiB answer limit, and far over it once pretty-printed.
    let mut users: Vec<String> = (100_000..160_000)
        .map(|i| format!(r#"{{"id":{i},"login":"user{i}","kind":"user"}}"#))
        .collect();
    users.push(r#"{"id":7,"login":"github:KasperskyLab:rust","kind":"team"}"#.to_string());
    let body = format!(r#"{{"users":[{}]}}"#, users.join(","));
    assert!(body.len() > 2_500_000 && body.len() < 4 << 20);
    server.route("/api/v1/crates/kasp-util/owners", vec![Reply::json(&body)]);
    let (code, r, _) = p.check_json(Some(&server.base_url), &[]);
    assert_eq!(code, 1, "{:#}", r["degraded"]);
    assert_eq!(findings(&r, "restricted-entity"), ["kasp-util"]);

    server.clear();
    let (code, r, _) = p.check_json(Some(&server.base_url), &["--offline"]);
    assert_eq!(
        code, 1,
        "the denial survives an offline run: {:#}",
        r["degraded"]
    );
    assert_eq!(findings(&r, "restricted-entity"), ["kasp-util"]);
    assert!(findings(&r, "missing-facts").is_empty(), "{r:#}");
    assert!(server.paths().is_empty());
}

#[test]
fn a_redirect_to_another_host_is_refused() {
    let p = Project::new();
    let elsewhere = FakeCratesIo::start();
    serve_all(&elsewhere, true);
    let api = FakeCratesIo::start();
    serve_all(&api, false);
    // kasp-util's owners are sent to another server; clean-dep's within the API's host.
    api.route(
        "/api/v1/crates/kasp-util/owners",
        vec![Reply::status(302).header(
            "Location",
            &format!("{}/api/v1/crates/kasp-util/owners", elsewhere.base_url),
        )],
    );
    api.route(
        "/api/v1/crates/clean-dep/owners",
        vec![Reply::status(301).header("Location", "/moved/clean-dep/owners")],
    );
    api.route("/moved/clean-dep/owners", vec![Reply::json(PLAIN_OWNERS)]);
    let (code, r, _) = p.check_json(Some(&api.base_url), &[]);
    assert!(elsewhere.paths().is_empty(), "{:?}", elsewhere.paths());
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(findings(&r, "missing-facts"), ["kasp-util"], "{r:#}");
    let notes = degraded(&r);
    assert!(
        notes
            .iter()
            .any(|d| d.contains("redirect") && d.contains("refused")),
        "{notes:#?}"
    );
    assert!(
        api.paths().contains(&"/moved/clean-dep/owners".to_string()),
        "a redirect within the API's host is followed: {:?}",
        api.paths()
    );
}

/// Runs `check --format json` with the API phase allowed `grace` seconds beyond its pace.
fn check_with_grace(p: &Project, api: &str, grace: &str) -> (i32, Value, String) {
    let mut cmd = p.command(Some(api), &["check", "--format", "json"]);
    cmd.env("CARGO_VENDOR_AUDIT_API_GRACE", grace);
    let (code, stdout, stderr) = output(&mut cmd);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    (code, report, stderr)
}

#[test]
fn a_slow_server_is_bounded_by_the_deadline() {
    let p = Project::new();
    let server = FakeCratesIo::start();
    for (name, v) in CRATES {
        for path in [
            format!("/api/v1/crates/{name}/owners"),
            format!("/api/v1/crates/{name}/{v}"),
        ] {
            server.route(
                &path,
                vec![Reply::json(PLAIN_OWNERS).delayed(Duration::from_secs(25))],
            );
        }
    }
    let (code, r, stderr) = check_with_grace(&p, &server.base_url, "1");
    assert_eq!(code, 0, "{r:#}");
    assert!(
        stderr.contains(&format!("asking the crates.io API at {}", server.base_url)),
        "what is waited for is said: {stderr}"
    );
    let notes = degraded(&r);
    assert!(
        notes
            .iter()
            .any(|d| d.contains("too slow") && d.contains("ran out")),
        "{notes:#?}"
    );
    assert_eq!(findings(&r, "missing-facts").len(), 3, "{r:#}");
    assert_eq!(server.requests().len(), 1, "no question after the deadline");
}

#[test]
fn a_long_retry_after_is_not_waited_out() {
    let p = Project::new();
    let server = FakeCratesIo::start();
    serve_all(&server, true);
    server.route(
        "/api/v1/crates/kasp-util/owners",
        vec![Reply::status(429).header("Retry-After", "60")],
    );
    let (code, r, _) = check_with_grace(&p, &server.base_url, "2");
    assert_eq!(code, 0, "{r:#}");
    let notes = degraded(&r);
    assert!(
        notes
            .iter()
            .any(|d| d.contains("too slow") && d.contains("HTTP 429")),
        "{notes:#?}"
    );
    assert!(
        findings(&r, "missing-facts").contains(&"kasp-util"),
        "{r:#}"
    );
}

#[test]
fn a_bad_grace_setting_is_exit_2() {
    let p = Project::new();
    let mut cmd = p.command(Some(&closed_port()), &["check"]);
    cmd.env("CARGO_VENDOR_AUDIT_API_GRACE", "soon");
    let (code, _, stderr) = output(&mut cmd);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("CARGO_VENDOR_AUDIT_API_GRACE"), "{stderr}");
}

#[test]
fn fetch_says_when_it_waits_for_another_writer() {
    let p = Project::new();
    let server = FakeCratesIo::start();
    serve_all(&server, false);
    let guard = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(p.path(".vendor-audit.lock.lock"))
        .unwrap();
    guard.lock().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cargo-vendor-audit"))
        .env("XDG_CACHE_HOME", p.path("cache"))
        .args(["fetch", "--metadata-path"])
        .arg(p.path("metadata.json"))
        .arg("--facts")
        .arg(p.path("vendor-audit.lock"))
        .args(["--crates-io-api", &server.base_url, "--api-rate", "50"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            if line.contains("Waiting") {
                let _ = tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    // Not a timing check: a bound so that a run that never says so cannot hang the test.
    let said = rx.recv_timeout(Duration::from_secs(120));
    guard.unlock().unwrap();
    let status = child.wait().unwrap();
    let all = reader.join().unwrap();
    let said = said.unwrap_or_else(|_| panic!("no waiting notice: {all}"));
    assert!(said.contains(&lock_name(&p)), "{said}");
    assert!(status.success(), "{all}");
}

fn lock_name(p: &Project) -> String {
    Path::new(&p.path("vendor-audit.lock"))
        .display()
        .to_string()
}

#[test]
fn an_unreachable_api_says_what_works_without_network() {
    let p = Project::new();
    let (code, stdout, stderr) = p.run(Some(&closed_port()), &["check"]);
    assert_eq!(code, 0, "missing facts only warn: {stdout}\n{stderr}");
    let hint = stdout
        .lines()
        .find(|l| {
            l.contains("fact source `crates-io-api` degraded") && l.contains("cannot be reached")
        })
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        hint.contains("run `cargo vendor-audit fetch` where the network is")
            && hint.contains("commit vendor-audit.lock")
            && hint.contains("check --locked"),
        "{hint}"
    );
}
