//! The other graph inputs (book: docs/src/inputs.md): `--lockfile` on the real corpus, and
//! `--binary` on binaries built here with `cargo auditable`.

use crate::support::corpus;
use crate::support::cyclonedx;

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary offline, with `cargo_home` as `$CARGO_HOME` and a fresh cache.
fn run(cargo_home: &Path, args: &[&str]) -> Run {
    let cache = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .env("XDG_CACHE_HOME", cache.path())
        .env("CARGO_HOME", cargo_home)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env_remove("CARGO_TERM_COLOR")
        .args(args)
        .args(["--offline", "--today", "2026-11-27"])
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr))
}

/// `name@version` of every package the lock file reaches from its packages without a
/// source, by a walk written here (dependencies as `NAME`, `NAME VERSION` or
/// `NAME VERSION (SOURCE)`).
fn lockfile_reachable(lock: &Path) -> BTreeSet<String> {
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(lock).unwrap()).unwrap();
    let pkgs = doc["package"].as_array().unwrap();
    let field = |p: &toml::Value, k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let mut queue: VecDeque<usize> = (0..pkgs.len())
        .filter(|&i| field(&pkgs[i], "source").is_none())
        .collect();
    let mut seen: BTreeSet<usize> = queue.iter().copied().collect();
    while let Some(i) = queue.pop_front() {
        let deps = pkgs[i].get("dependencies").and_then(|d| d.as_array());
        for d in deps.into_iter().flatten() {
            let mut words = d.as_str().unwrap().split(' ');
            let name = words.next().unwrap();
            let version = words.next();
            let j = (0..pkgs.len())
                .find(|&j| {
                    field(&pkgs[j], "name").as_deref() == Some(name)
                        && version.is_none_or(|v| field(&pkgs[j], "version").as_deref() == Some(v))
                })
                .unwrap();
            if seen.insert(j) {
                queue.push_back(j);
            }
        }
    }
    seen.iter()
        .map(|&i| {
            format!(
                "{}@{}",
                field(&pkgs[i], "name").unwrap(),
                field(&pkgs[i], "version").unwrap()
            )
        })
        .collect()
}

/// A cargo home whose registry cache holds the manifest of every crates.io package of
/// `metadata` (repository, homepage, authors), as cargo leaves it after a build.
fn cargo_home_from(metadata: &Path) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let m: Value = serde_json::from_str(&std::fs::read_to_string(metadata).unwrap()).unwrap();
    let src = home
        .path()
        .join("registry/src/index.crates.io-1949cf8c6b5b557f");
    for p in m["packages"].as_array().unwrap() {
        let source = p["source"].as_str().unwrap_or("");
        if !source.contains("crates.io-index") {
            continue;
        }
        let dir = src.join(format!(
            "{}-{}",
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = format!(
            "[package]\nname = {}\nversion = {}\nauthors = {}\n",
            p["name"], p["version"], p["authors"]
        );
        for key in ["repository", "homepage"] {
            if let Some(v) = p[key].as_str() {
                text.push_str(&format!("{key} = {}\n", Value::from(v)));
            }
        }
        std::fs::write(dir.join("Cargo.toml"), text).unwrap();
    }
    home
}

/// `(name@version, code, entity)` of every deny finding.
fn denials(report: &Value) -> BTreeSet<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "deny" && !f["package"].is_null())
        .map(|f| {
            (
                format!(
                    "{}@{}",
                    f["package"]["name"].as_str().unwrap(),
                    f["package"]["version"].as_str().unwrap()
                ),
                f["code"].as_str().unwrap().to_string(),
                f["entity"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The `name@version` of every component of an SBOM, the subject included.
fn components(bom: &Value) -> BTreeSet<String> {
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .chain(bom["metadata"].get("component"))
        .map(|c| {
            format!(
                "{}@{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect()
}

/// For a corpus project: the lockfile's packages are its reachable set, and the lockfile
/// audit denies what the metadata audit denies, for every package both graphs hold.
fn lockfile_matches_metadata(project: &str) {
    let lock = corpus::path(&format!("{project}.Cargo.lock"));
    let metadata = corpus::path(&format!("{project}.metadata.json"));
    let home = cargo_home_from(&metadata);
    let policy = ["--policy", "tests/fixtures/deno-policy.toml"];
    let lock_arg = ["--lockfile", lock.to_str().unwrap()];
    let meta_arg = ["--metadata-path", metadata.to_str().unwrap()];

    let sbom = run(
        home.path(),
        &[&lock_arg[..], &policy, &["--format", "cyclonedx"]].concat(),
    );
    let bom = json(&sbom);
    cyclonedx::validate(&bom);
    assert_eq!(components(&bom), lockfile_reachable(&lock), "{project}");

    let by_lock = run(
        home.path(),
        &[&lock_arg[..], &policy, &["--format", "json"]].concat(),
    );
    let by_meta = run(
        home.path(),
        &[&meta_arg[..], &policy, &["--format", "json"]].concat(),
    );
    let lock_report = json(&by_lock);
    assert!(
        lock_report["degraded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["source"] == "lockfile"
                && d["message"]
                    .as_str()
                    .unwrap()
                    .contains("no features, targets")),
        "the report says features and targets were not applied"
    );
    let meta_sbom = run(
        home.path(),
        &[&meta_arg[..], &policy, &["--format", "cyclonedx"]].concat(),
    );
    let built = components(&json(&meta_sbom));
    let from_lock: BTreeSet<_> = denials(&lock_report)
        .into_iter()
        .filter(|(spec, _, _)| built.contains(spec))
        .collect();
    let from_meta = denials(&json(&by_meta));
    assert!(
        !from_meta.is_empty(),
        "{project}: the test policy denies something"
    );
    assert_eq!(from_lock, from_meta, "{project}");
}

#[test]
fn lockfile_deno() {
    lockfile_matches_metadata("deno");
}

#[test]
fn lockfile_wasmtime() {
    lockfile_matches_metadata("wasmtime");
}

#[test]
fn lockfile_ripgrep() {
    lockfile_matches_metadata("ripgrep");
}

const SMALL_LOCK: &str = r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "evil-sdk",
 "helper",
]

[[package]]
name = "evil-sdk"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "0000000000000000000000000000000000000000000000000000000000000000"

[[package]]
name = "helper"
version = "0.2.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "0000000000000000000000000000000000000000000000000000000000000000"
dependencies = [
 "evil-sdk 1.0.0",
]

[[package]]
name = "unreached"
version = "9.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "0000000000000000000000000000000000000000000000000000000000000000"
"#;

const ORGS_POLICY: &str = r#"schema = 1

[policy]
id = "test"

[[entity]]
id = "evilcorp"
name = "Evil Corp"
reason = "test"
[entity.match]
orgs = ["github.com/evilcorp"]
"#;

/// A folder with `Cargo.lock` (SMALL_LOCK) and `policy.toml` (ORGS_POLICY).
fn small_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), SMALL_LOCK).unwrap();
    std::fs::write(dir.path().join("policy.toml"), ORGS_POLICY).unwrap();
    dir
}

fn small_args(dir: &Path) -> Vec<String> {
    vec![
        "--lockfile".into(),
        dir.join("Cargo.lock").display().to_string(),
        "--policy".into(),
        dir.join("policy.toml").display().to_string(),
        "--format".into(),
        "json".into(),
    ]
}

fn specs_with(report: &Value, code: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| {
            format!(
                "{}@{}",
                f["package"]["name"].as_str().unwrap(),
                f["package"]["version"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn lockfile_facts_come_from_the_registry_cache_or_are_missing() {
    let dir = small_project();
    let args = small_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // Empty cargo home: the orgs matcher cannot be evaluated, and says so.
    let empty = tempfile::tempdir().unwrap();
    let r = run(empty.path(), &args);
    let report = json(&r);
    assert_eq!(
        specs_with(&report, "missing-facts"),
        ["evil-sdk@1.0.0", "helper@0.2.0"]
    );
    assert!(specs_with(&report, "restricted-entity").is_empty());
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("repository and homepage"), "{message}");
    assert!(message.contains("evilcorp"), "{message}");
    assert_eq!(report["summary"]["audited"], 2, "unreached is not audited");

    // The crate unpacked in the cache: its repository is known and matches.
    let home = tempfile::tempdir().unwrap();
    for (name, version, repo) in [
        ("evil-sdk", "1.0.0", "https://github.com/EvilCorp/sdk"),
        ("helper", "0.2.0", "https://github.com/someone/helper"),
    ] {
        let d = home
            .path()
            .join("registry/src/index.crates.io-1949cf8c6b5b557f")
            .join(format!("{name}-{version}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"{version}\"\nrepository = \"{repo}\"\n"
            ),
        )
        .unwrap();
    }
    let r = run(home.path(), &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report = json(&r);
    assert_eq!(specs_with(&report, "restricted-entity"), ["evil-sdk@1.0.0"]);
    // What stays unknown is the crates.io owners (`orgs` compares crates.io teams too),
    // never the repository the cache gave.
    let missing: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "missing-facts")
        .collect();
    assert!(
        missing.iter().all(|f| !f["message"]
            .as_str()
            .unwrap()
            .contains("repository and homepage")),
        "{missing:?}"
    );
    let paths = &report["findings"][0]["paths"];
    assert!(
        paths
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == &serde_json::json!(["app@0.1.0", "evil-sdk@1.0.0"])),
        "{paths}"
    );
}

#[test]
fn a_malformed_lockfile_is_exit_2_with_the_place() {
    let dir = small_project();
    let lock = dir.path().join("Cargo.lock");
    let home = tempfile::tempdir().unwrap();
    let args = small_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    for (text, expect) in [
        (
            "version = 4\n[[package]]\nname = \"app\"\nversion = \n",
            "line 4",
        ),
        (
            "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"ghost\"]\n",
            "`ghost`",
        ),
        ("version = 4\n", "no `[[package]]`"),
        (
            "[[package]]\nname = \"x\"\nversion = \"not.a.version\"\n",
            "not a semver version",
        ),
    ] {
        std::fs::write(&lock, text).unwrap();
        let r = run(home.path(), &args);
        assert_eq!(r.code, 2, "{text}: {}", r.stderr);
        assert!(
            r.stderr.contains(&lock.display().to_string()),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(expect), "{expect}: {}", r.stderr);
    }
    std::fs::remove_file(&lock).unwrap();
    let r = run(home.path(), &args);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("could not read the lock file"),
        "{}",
        r.stderr
    );
}

#[test]
fn graph_inputs_are_alternatives() {
    let dir = small_project();
    let home = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock").display().to_string();
    for other in [
        &["--manifest-path", "Cargo.toml"][..],
        &["--metadata-path", "m.json"],
        &["--binary", "app"],
        &["--target", "x86_64-unknown-linux-gnu"],
        &["--features", "x"],
        &["-p", "app"],
    ] {
        let r = run(
            home.path(),
            &[&["--lockfile", lock.as_str()][..], other].concat(),
        );
        assert_eq!(r.code, 2, "{other:?}");
        assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    }
    let r = run(
        home.path(),
        &["--binary", "app", "--metadata-path", "m.json"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
}

#[test]
fn the_sbom_of_a_lockfile_names_suppliers_and_publishers_with_their_source() {
    let dir = small_project();
    let facts = dir.path().join("vendor-audit.lock");
    std::fs::write(
        &facts,
        r#"schema = 1

[[package]]
name = "helper"
version = "0.2.0"
owners-source = "crates-io-api"
owners-fetched = "2026-11-27T10:02:11Z"
owners = [
    { kind = "user", id = 42, login = "someone" },
    { kind = "team", id = 7, login = "github:helpers:rust" },
]
publisher-source = "crates-io-api"
publisher-fetched = "2026-11-27T10:02:12Z"
publisher = { kind = "trusted", repository = "github:helpers/helper" }
"#,
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock").display().to_string();
    let r = run(
        home.path(),
        &["--lockfile", &lock, "--locked", "--format", "cyclonedx"],
    );
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let bom = json(&r);
    cyclonedx::validate(&bom);
    let helper = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "helper")
        .unwrap();
    assert_eq!(helper["purl"], "pkg:cargo/helper@0.2.0");
    assert_eq!(helper["supplier"]["name"], "someone, github:helpers:rust");
    assert_eq!(
        helper["supplier"]["contact"][1]["name"],
        "github:helpers:rust"
    );
    assert_eq!(
        helper["publisher"],
        "trusted publisher github:helpers/helper"
    );
    let props: Vec<(String, String)> = helper["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    for name in ["owners-source", "publisher-source"] {
        let value = &props
            .iter()
            .find(|(n, _)| n == &format!("cargo-vendor-audit:{name}"))
            .unwrap_or_else(|| panic!("{name}: {props:?}"))
            .1;
        assert!(
            value.starts_with("facts-lock") || value.starts_with("crates-io-api"),
            "{value}"
        );
    }
    // The lock file's note is in the SBOM too.
    assert!(
        bom["metadata"]["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["value"].as_str().unwrap().starts_with("lockfile: "))
    );
    assert_eq!(bom["metadata"]["component"]["name"], "app");
}

#[test]
fn a_version_1_lockfile_is_read() {
    // Cargo's first format: every dependency as `NAME VERSION (SOURCE)`, checksums apart.
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        r#"[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "dep 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "dep"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "dep"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum dep 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)" = "00"
"#,
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let r = run(
        home.path(),
        &[
            "--lockfile",
            lock.to_str().unwrap(),
            "--format",
            "cyclonedx",
        ],
    );
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert_eq!(
        components(&json(&r)),
        ["app@0.1.0", "dep@1.0.0"].map(String::from).into()
    );
}

#[test]
fn a_lockfile_run_finds_the_policy_beside_the_lock_file() {
    let dir = small_project();
    std::fs::rename(
        dir.path().join("policy.toml"),
        dir.path().join("vendor-audit.toml"),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock").display().to_string();
    let r = run(home.path(), &["--lockfile", &lock, "--format", "json"]);
    let report = json(&r);
    assert_eq!(report["policies"][0]["id"], "test", "{report:#}");
    assert_eq!(report["default_policy"], false);
}
