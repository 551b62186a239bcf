//! The deno corpus graph (1113 packages) with a test policy, checked against expectations
//! worked out independently: a separate walk over the JSON (a Python script applying the
//! two pruning rules of the book's graph section, docs/src/inputs.md; tests/fixtures/deno_expect.py) gave 1091 reached packages, 1010 audited (81 workspace
//! members), openssl 0.10.80 and 21 others unreached, 57 audited packages with a repository
//! under github.com/microsoft, and 25 with an author at alexcrichton.com.

use crate::support::corpus;

use assert_cmd::Command;
use serde_json::Value;

fn deno() -> std::path::PathBuf {
    corpus::path("deno.metadata.json")
}

fn run(extra: &[&str]) -> (i32, Value) {
    let cache = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .args([
            "--metadata-path",
            deno().to_str().unwrap(),
            "--policy",
            "tests/fixtures/deno-policy.toml",
        ])
        .args(["--today", "2026-11-27", "--format", "json"])
        // The graph is what is tested here: no network, no store, no cache of the machine.
        .args(["--offline", "--store", "never"])
        .env("XDG_CACHE_HOME", cache.path())
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code().unwrap(), json)
}

/// `name@version` of a finding's package.
fn spec(f: &Value) -> String {
    format!(
        "{}@{}",
        f["package"]["name"].as_str().unwrap(),
        f["package"]["version"].as_str().unwrap()
    )
}

fn specs(report: &Value, code: &str, entity: &str) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code && f["entity"] == entity)
        .map(spec)
        .collect();
    v.sort();
    v
}

const MICROSOFT: &[&str] = &[
    "windows-collections@0.2.0",
    "windows-collections@0.3.2",
    "windows-core@0.58.0",
    "windows-core@0.61.2",
    "windows-core@0.62.2",
    "windows-future@0.2.1",
    "windows-future@0.3.2",
    "windows-implement@0.58.0",
    "windows-implement@0.60.2",
    "windows-interface@0.58.0",
    "windows-interface@0.59.3",
    "windows-numerics@0.2.0",
    "windows-numerics@0.3.1",
    "windows-result@0.2.0",
    "windows-result@0.3.4",
    "windows-result@0.4.1",
    "windows-strings@0.1.0",
    "windows-strings@0.4.2",
    "windows-strings@0.5.1",
    "windows-sys@0.48.0",
    "windows-sys@0.52.0",
    "windows-sys@0.59.0",
    "windows-sys@0.60.2",
    "windows-sys@0.61.2",
    "windows-targets@0.48.5",
    "windows-targets@0.52.6",
    "windows-targets@0.53.3",
    "windows-threading@0.1.0",
    "windows-threading@0.2.1",
    "windows@0.58.0",
    "windows@0.61.3",
    "windows@0.62.2",
    "windows_aarch64_gnullvm@0.48.5",
    "windows_aarch64_gnullvm@0.52.6",
    "windows_aarch64_gnullvm@0.53.0",
    "windows_aarch64_msvc@0.48.5",
    "windows_aarch64_msvc@0.52.6",
    "windows_aarch64_msvc@0.53.0",
    "windows_i686_gnu@0.48.5",
    "windows_i686_gnu@0.52.6",
    "windows_i686_gnu@0.53.0",
    "windows_i686_gnullvm@0.52.6",
    "windows_i686_gnullvm@0.53.0",
    "windows_i686_msvc@0.48.5",
    "windows_i686_msvc@0.52.6",
    "windows_i686_msvc@0.53.0",
    "windows_x86_64_gnu@0.48.5",
    "windows_x86_64_gnu@0.52.6",
    "windows_x86_64_gnu@0.53.0",
    "windows_x86_64_gnullvm@0.48.5",
    "windows_x86_64_gnullvm@0.52.6",
    "windows_x86_64_gnullvm@0.53.0",
    "windows_x86_64_msvc@0.48.5",
    "windows_x86_64_msvc@0.52.6",
    "windows_x86_64_msvc@0.53.0",
];

const ALEXCRICHTON: &[&str] = &[
    "cfg-if@1.0.3",
    "cmake@0.1.57",
    "crc32fast@1.4.2",
    "filetime@0.2.23",
    "flate2@1.0.35",
    "fnv@1.0.7",
    "futures-timer@3.0.3",
    "http@1.4.0",
    "jobserver@0.1.32",
    "liblzma-sys@0.4.6",
    "liblzma@0.4.6",
    "libz-sys@1.1.20",
    "openssl-probe@0.1.5",
    "pkg-config@0.3.30",
    "proc-macro2@1.0.101",
    "rustc-demangle@0.1.24",
    "scoped-tls@1.0.1",
    "socket2@0.5.5",
    "socket2@0.6.4",
    "stacker@0.1.15",
    "tar@0.4.46",
    "toml@0.5.11",
    "wait-timeout@0.2.1",
    "wit-bindgen@0.51.0",
];

#[test]
fn deno_findings_match_the_independent_walk() {
    let (code, r) = run(&[]);
    assert_eq!(code, 1, "deny findings fail the run");
    assert_eq!(r["summary"]["packages"], 1113);
    assert_eq!(r["summary"]["audited"], 1010);
    // 57 microsoft matches, of which windows-link (2 versions) is reviewed as not affiliated.
    assert_eq!(specs(&r, "restricted-entity", "microsoft"), MICROSOFT);
    assert_eq!(
        specs(&r, "not-affiliated", "microsoft"),
        ["windows-link@0.1.3", "windows-link@0.2.1"]
    );
    // Email domains are medium confidence: warn, not deny.
    let alex: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["entity"] == "alexcrichton")
        .collect();
    assert_eq!(alex.len(), 25);
    let warned = specs(&r, "restricted-entity", "alexcrichton");
    let mut unwaived: Vec<String> = alex
        .iter()
        .filter(|f| f["severity"] == "warn")
        .map(|f| spec(f))
        .collect();
    unwaived.sort();
    assert_eq!(unwaived, ALEXCRICHTON);
    // cc is waived by the exception: kept as info with the exception filled in.
    let cc = alex.iter().find(|f| f["package"]["name"] == "cc").unwrap();
    assert_eq!(cc["severity"], "info");
    assert_eq!(cc["exception"]["crate"], "cc");
    assert_eq!(cc["exception"]["expires"], "2027-01-01");
    assert_eq!(warned.len(), 25);
    // openssl 0.10.80 is only in resolve through keyring's weak `openssl?/vendored`.
    assert!(specs(&r, "restricted-entity", "openssl-name").is_empty());
    assert_eq!(r["summary"]["deny"], 55);
    // 24 unwaived email matches and one unused exception.
    assert_eq!(r["summary"]["warn"], 25);
    assert_eq!(r["summary"]["info"], 3);
    let unused: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unused-exception")
        .collect();
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0]["exception"]["crate"], "not-in-the-graph");
    assert!(unused[0]["package"].is_null());
}

#[test]
fn deno_findings_carry_paths_from_a_root() {
    let (_, r) = run(&[]);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == "windows-sys" && f["package"]["version"] == "0.61.2")
        .unwrap();
    let paths = f["paths"].as_array().unwrap();
    assert!(!paths.is_empty() && paths.len() <= 5);
    let members: Vec<String> = {
        let m: Value = serde_json::from_str(&std::fs::read_to_string(deno()).unwrap()).unwrap();
        m["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["source"].is_null())
            .map(|p| {
                format!(
                    "{}@{}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap()
                )
            })
            .collect()
    };
    let mut last_len = 0;
    for p in paths {
        let p: Vec<&str> = p
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(
            members.iter().any(|m| m == p[0]),
            "path starts at a workspace member: {p:?}"
        );
        assert_eq!(*p.last().unwrap(), "windows-sys@0.61.2");
        assert!(p.len() >= last_len, "shortest first");
        last_len = p.len();
    }
}

#[test]
fn deno_fail_on_never_and_exclude_dev() {
    let (code, r) = run(&["--fail-on", "never", "--exclude-dev"]);
    assert_eq!(code, 0);
    // 60 audited packages are reached only through dev-dependencies.
    assert_eq!(r["summary"]["audited"], 1010 - 60);
}
