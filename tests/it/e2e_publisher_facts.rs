//! Publisher facts through the binary: a fake crates.io on 127.0.0.1, the API cache, the
//! facts lock written by `fetch` and read by `check --locked`.

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
orgs = ["github.com/KasperskyLab"]
"#;

struct Setup {
    dir: tempfile::TempDir,
    server: FakeCratesIo,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("policy.toml"), POLICY).unwrap();
        let deps = [
            ("kasp-util", "1.0.0"),
            ("clean-dep", "2.0.0"),
            ("priv-crate", "0.3.0"),
        ];
        std::fs::write(
            dir.path().join("metadata.json"),
            metadata(dir.path(), &deps).to_string(),
        )
        .unwrap();
        let server = FakeCratesIo::start();
        server.route(
            "/api/v1/crates/kasp-util/owners",
            vec![Reply::json(
                r#"{"users":[{"id":7,"login":"github:KasperskyLab:rust","kind":"team","name":null,"url":"https://github.com/KasperskyLab","avatar":null},
                            {"id":42,"login":"someone","kind":"user","name":null,"url":"https://github.com/someone","avatar":null}]}"#,
            )],
        );
        server.route(
            "/api/v1/crates/kasp-util/1.0.0",
            vec![Reply::json(
                r#"{"version":{"num":"1.0.0","published_by":null,"trustpub_data":{"provider":"github","repository":"KasperskyLab/kasp-util","run_id":"1","sha":"abc"}}}"#,
            )],
        );
        server.route(
            "/api/v1/crates/clean-dep/owners",
            vec![Reply::json(r#"{"users":[{"id":1,"login":"alice","kind":"user","name":null,"url":null,"avatar":null}]}"#)],
        );
        server.route(
            "/api/v1/crates/clean-dep/2.0.0",
            vec![Reply::json(r#"{"version":{"num":"2.0.0","published_by":{"id":1,"login":"alice","name":null,"avatar":null,"url":null},"trustpub_data":null}}"#)],
        );
        server.route(
            "/api/v1/crates/priv-crate/owners",
            vec![Reply::json(r#"{"users":[]}"#)],
        );
        server.route(
            "/api/v1/crates/priv-crate/0.3.0",
            vec![Reply::json(
                r#"{"version":{"num":"0.3.0","published_by":null,"trustpub_data":null}}"#,
            )],
        );
        Setup { dir, server }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let d = self.dir.path();
        let out = Command::cargo_bin("cargo-vendor-audit")
            .unwrap()
            .env("XDG_CACHE_HOME", d.join("cache"))
            .args(args)
            .arg("--metadata-path")
            .arg(d.join("metadata.json"))
            .arg("--policy")
            .arg(d.join("policy.toml"))
            .arg("--facts")
            .arg(d.join("vendor-audit.lock"))
            .args([
                "--crates-io-api",
                &self.server.base_url,
                "--api-rate",
                "50",
                "--today",
                "2026-11-27",
            ])
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            out.status.code().unwrap(),
            text(&out.stdout),
            text(&out.stderr),
        )
    }

    fn check_json(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = self.run(&args);
        (
            code,
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}")),
        )
    }
}

fn findings<'a>(r: &'a Value, code: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

#[test]
fn api_facts_fire_publisher_matchers_once_then_come_from_the_cache_and_the_lock() {
    let s = Setup::new();
    let (code, r) = s.check_json(&[]);
    assert_eq!(code, 1, "{r}");
    let hits = findings(&r, "restricted-entity");
    assert_eq!(hits.len(), 1, "{r}");
    assert_eq!(hits[0]["package"]["name"], "kasp-util");
    let evidence: Vec<(String, String, String, String)> = hits[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("matcher"), s("fact"), s("value"), s("provenance"))
        })
        .collect();
    let team = "github:KasperskyLab:rust".to_string();
    let api = "crates-io-api".to_string();
    assert!(
        evidence.contains(&(
            "crates-io-teams".into(),
            "owner".into(),
            team.clone(),
            api.clone()
        )),
        "{evidence:?}"
    );
    assert!(
        evidence.contains(&("orgs".into(), "owner".into(), team, api.clone())),
        "{evidence:?}"
    );
    let tp = "github:KasperskyLab/kasp-util".to_string();
    assert!(
        evidence.contains(&("orgs".into(), "publisher".into(), tp, api)),
        "{evidence:?}"
    );
    assert!(
        !evidence.iter().any(|e| e.0 == "crates-io-users"),
        "user 42 is not 4242: {evidence:?}"
    );
    // Every package's facts are known (priv-crate has no owner and no recorded publisher).
    assert!(findings(&r, "missing-facts").is_empty(), "{r}");
    assert!(r["degraded"].as_array().unwrap().is_empty(), "{r}");

    let mut paths = s.server.paths();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/v1/crates/clean-dep/2.0.0",
            "/api/v1/crates/clean-dep/owners",
            "/api/v1/crates/kasp-util/1.0.0",
            "/api/v1/crates/kasp-util/owners",
            "/api/v1/crates/priv-crate/0.3.0",
            "/api/v1/crates/priv-crate/owners",
        ]
    );
    for req in s.server.requests() {
        let ua = req.user_agent.unwrap_or_default();
        assert!(
            ua.starts_with(&format!("cargo-vendor-audit/{}", env!("CARGO_PKG_VERSION"))),
            "{ua}"
        );
    }

    // A second run and an offline run are answered from the cache: nothing is asked again.
    s.server.clear();
    let (code, r2) = s.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&r2, "restricted-entity").len(), 1);
    let (code, r3) = s.check_json(&["--offline"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&r3, "restricted-entity").len(), 1);
    assert!(s.server.paths().is_empty(), "{:?}", s.server.paths());

    // fetch writes the lock and lists what it holds as changes.
    let (code, stdout, stderr) = s.run(&["fetch"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("kasp-util: owner added: team github:KasperskyLab:rust (id 7)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("Fetched facts for 3 of 3 crates.io packages"),
        "{stderr}"
    );
    let lock = std::fs::read_to_string(s.dir.path().join("vendor-audit.lock")).unwrap();
    assert!(
        lock.contains("kasp-util") && lock.contains("clean-dep"),
        "{lock}"
    );
    let (_, again, _) = s.run(&["fetch"]);
    assert!(
        again.contains("no change since the previous lock"),
        "{again}"
    );

    // check --locked reads only the lock, so the facts' provenance is the lock.
    let (code, r4) = s.check_json(&["--locked"]);
    assert_eq!(code, 1);
    let hit = &findings(&r4, "restricted-entity")[0];
    assert!(
        hit["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["provenance"] == "facts-lock"),
        "{hit}"
    );
    assert!(s.server.paths().is_empty(), "--locked asks nothing");
}

#[test]
fn locked_check_reports_missing_facts_for_a_crate_the_lock_lacks() {
    let s = Setup::new();
    let (code, _, stderr) = s.run(&["fetch"]);
    assert_eq!(code, 0, "{stderr}");
    // The graph gains a crate that the lock has never seen.
    let deps = [
        ("kasp-util", "1.0.0"),
        ("clean-dep", "2.0.0"),
        ("priv-crate", "0.3.0"),
        ("newcomer", "0.1.0"),
    ];
    std::fs::write(
        s.dir.path().join("metadata.json"),
        metadata(s.dir.path(), &deps).to_string(),
    )
    .unwrap();
    s.server.clear();
    let (code, r) = s.check_json(&["--locked"]);
    assert_eq!(code, 1, "kasp-util still denied");
    let missing = findings(&r, "missing-facts");
    assert_eq!(missing.len(), 1, "{r}");
    assert_eq!(missing[0]["package"]["name"], "newcomer");
    assert_eq!(missing[0]["severity"], "warn");
    assert!(s.server.paths().is_empty());
}

#[test]
fn an_unreachable_api_degrades_the_report_and_the_audit_goes_on() {
    let s = Setup::new();
    let d = s.dir.path();
    // A port nothing listens on: connections are refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .env("XDG_CACHE_HOME", d.join("cache"))
        .arg("--metadata-path")
        .arg(d.join("metadata.json"))
        .arg("--policy")
        .arg(d.join("policy.toml"))
        .args([
            "--crates-io-api",
            &url,
            "--api-rate",
            "50",
            "--format",
            "json",
            "--facts",
        ])
        .arg(d.join("none.lock"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "missing facts warn; nothing is denied"
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!r["degraded"].as_array().unwrap().is_empty());
    assert_eq!(r["degraded"][0]["source"], "crates-io-api");
    assert_eq!(findings(&r, "missing-facts").len(), 3, "{r}");
    assert_eq!(r["summary"]["audited"], 3, "no package is hidden");
}

#[test]
fn the_default_api_refuses_a_faster_pace() {
    let s = Setup::new();
    let d = s.dir.path();
    let out = Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .env("XDG_CACHE_HOME", d.join("cache"))
        .arg("--metadata-path")
        .arg(d.join("metadata.json"))
        .arg("--policy")
        .arg(d.join("policy.toml"))
        .args(["--api-rate", "5", "--facts"])
        .arg(d.join("none.lock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("allowed only for a --crates-io-api other than crates.io"),
        "{stderr}"
    );
}

#[test]
fn a_db_dump_folder_gives_owners_and_publishers_without_the_api() {
    let s = Setup::new();
    let data = s.dir.path().join("dump/2026-11-26-020000/data");
    std::fs::create_dir_all(&data).unwrap();
    let write = |name: &str, text: &str| std::fs::write(data.join(name), text).unwrap();
    std::fs::write(
        data.parent().unwrap().join("metadata.json"),
        r#"{"timestamp":"2026-11-26T02:00:00Z","crates_io_commit":"x"}"#,
    )
    .unwrap();
    // Columns in the dump's alphabetical order, with extra ones to skip (2026 layout).
    write(
        "crates.csv",
        "created_at,description,id,name,repository\n2020-01-01,d,1,kasp-util,\n2020-01-01,d,2,clean-dep,\n",
    );
    write(
        "teams.csv",
        "avatar,github_id,id,login,name,org_id\n,5,7,github:KasperskyLab:rust,Rust,9\n",
    );
    write(
        "users.csv",
        "created_at,gh_id,id,name,username\n2020-01-01,11,42,S,someone\n2020-01-01,12,1,A,alice\n",
    );
    write(
        "crate_owners.csv",
        "crate_id,created_at,created_by,owner_id,owner_kind\n1,2020-01-01,,7,1\n1,2020-01-01,,42,0\n2,2020-01-01,,1,0\n",
    );
    write(
        "versions.csv",
        "crate_id,created_at,id,num,published_by,yanked\n1,2020-01-01,100,1.0.0,,f\n2,2020-01-01,200,2.0.0,1,f\n",
    );
    let dump = s.dir.path().join("dump");
    let (code, r) = s.check_json(&["--offline", "--db-dump", dump.to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    let hit = &findings(&r, "restricted-entity")[0];
    assert_eq!(hit["package"]["name"], "kasp-util");
    let team = hit["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["matcher"] == "crates-io-teams")
        .unwrap_or_else(|| panic!("{hit}"));
    assert_eq!(team["value"], "github:KasperskyLab:rust");
    assert_eq!(team["provenance"], "db-dump");
    assert_eq!(team["fetched"], "2026-11-26T02:00:00Z");
    // priv-crate is not in the dump, and --offline leaves the API out: its facts are unknown.
    let missing: Vec<&str> = findings(&r, "missing-facts")
        .iter()
        .map(|f| f["package"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["priv-crate"], "{r}");
    assert!(s.server.paths().is_empty(), "--offline asks nothing");
}
