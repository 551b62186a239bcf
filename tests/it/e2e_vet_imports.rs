//! `--vet-imports` through the binary: wasmtime's real cargo-vet imports.lock with its
//! metadata; publishers count for exactly the versions they published.

use crate::support::corpus;

use assert_cmd::Command;
use serde_json::Value;

const POLICY: &str = r#"schema = 1
[policy]
id = "vet"
[[entity]]
id = "bs"
name = "A publisher (test)"
reason = "test: crates whose exact version this login published"
[entity.match]
crates-io-logins = ["burntsushi"]
"#;

#[test]
fn vet_publishers_match_exact_versions_only() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let out = Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .arg("--metadata-path")
        .arg(corpus::path("wasmtime.metadata.json"))
        .arg("--vet-imports")
        .arg(corpus::path("wasmtime.imports.lock"))
        .arg("--offline")
        .args(["--format", "json", "--today", "2026-11-27", "--facts"])
        .arg(dir.path().join("none.lock"))
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hits: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "restricted-entity")
        .collect();
    let mut specs: Vec<String> = hits
        .iter()
        .map(|f| {
            format!(
                "{}@{}",
                f["package"]["name"].as_str().unwrap(),
                f["package"]["version"].as_str().unwrap()
            )
        })
        .collect();
    specs.sort();
    // Worked out from the two files with a script: every (crate, version) of the graph whose
    // [[publisher.NAME]] entry for that version has user-login BurntSushi.
    assert_eq!(
        specs,
        [
            "aho-corasick@1.0.2",
            "bstr@1.6.0",
            "memchr@2.7.6",
            "regex-automata@0.3.3",
            "regex-automata@0.4.11",
            "regex-syntax@0.7.4",
            "regex-syntax@0.8.5",
            "regex@1.9.1",
            "same-file@1.0.6",
            "termcolor@1.4.1",
            "walkdir@2.5.0",
            "winapi-util@0.1.5",
        ]
    );
    let ev = &hits[0]["evidence"][0];
    assert_eq!(ev["matcher"], "crates-io-logins");
    assert_eq!(ev["fact"], "publisher");
    assert_eq!(ev["provenance"], "cargo-vet-imports");
    assert_eq!(ev["confidence"], "high");
    // The imports name byteorder 1.4.3's publisher; the graph has another version of it.
    assert!(!specs.iter().any(|s| s.starts_with("byteorder@")));
}
