//! `--format cyclonedx`: the SBOM validates against the official CycloneDX 1.6 schema,
//! is byte-identical across runs with `SOURCE_DATE_EPOCH`, and carries the verdicts.

use crate::support::corpus;
use crate::support::cyclonedx;

use assert_cmd::Command;
use serde_json::Value;

const DEMO: &str = "tests/fixtures/demo/ws/Cargo.toml";

/// Runs the binary with `args` and a fixed `SOURCE_DATE_EPOCH`, offline.
fn run(args: &[&str]) -> (i32, String, String) {
    let cache = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .env("XDG_CACHE_HOME", cache.path())
        .env("CARGO_NET_OFFLINE", "true")
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env_remove("CARGO_TERM_COLOR")
        .args(args)
        .args(["--offline", "--today", "2026-11-27"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

fn demo_sbom() -> (i32, String) {
    let (code, stdout, _) = run(&[
        "vendor-audit",
        "--manifest-path",
        DEMO,
        "--locked",
        "--format",
        "cyclonedx",
    ]);
    (code, stdout)
}

fn component<'a>(bom: &'a Value, name: &str) -> &'a Value {
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

fn properties(c: &Value, name: &str) -> Vec<String> {
    c["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == format!("cargo-vendor-audit:{name}"))
        .map(|p| p["value"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn demo_sbom_is_valid_reproducible_and_carries_the_verdicts() {
    let (code, first) = demo_sbom();
    assert_eq!(code, 1, "the demo has a denial");
    let (_, second) = demo_sbom();
    assert_eq!(first, second, "byte-identical with SOURCE_DATE_EPOCH");
    let bom: Value = serde_json::from_str(&first).unwrap();
    cyclonedx::validate(&bom);
    assert_eq!(bom["metadata"]["timestamp"], "2026-11-18T11:06:40Z");
    assert_eq!(bom["metadata"]["component"]["name"], "app");
    let kav = component(&bom, "kav-sdk");
    assert_eq!(properties(kav, "severity"), ["deny"]);
    assert_eq!(properties(kav, "code"), ["restricted-entity"]);
    assert_eq!(properties(kav, "entity"), ["kaspersky"]);
    // The root depends on what it pulls in.
    let deps = bom["dependencies"].as_array().unwrap();
    let app = deps.iter().find(|d| d["ref"] == "app@0.1.0").unwrap();
    assert!(!app["dependsOn"].as_array().unwrap().is_empty());
    insta::assert_snapshot!(first);
}

#[test]
fn deno_sbom_validates_with_purls_and_references() {
    let deno = corpus::path("deno.metadata.json");
    let (code, stdout, stderr) = run(&[
        "--metadata-path",
        deno.to_str().unwrap(),
        "--policy",
        "tests/fixtures/deno-policy.toml",
        "--format",
        "cyclonedx",
    ]);
    assert!(code == 0 || code == 1, "{stderr}");
    let bom: Value = serde_json::from_str(&stdout).unwrap();
    cyclonedx::validate(&bom);
    let serde = component(&bom, "serde");
    assert!(
        serde["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:cargo/serde@1.")
    );
    assert!(
        serde["externalReferences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["type"] == "vcs" && r["url"].as_str().unwrap().contains("serde"))
    );
    // Every edge names a component (or the subject).
    let refs: std::collections::BTreeSet<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .chain(bom["metadata"]["component"]["bom-ref"].as_str())
        .collect();
    for d in bom["dependencies"].as_array().unwrap() {
        assert!(refs.contains(d["ref"].as_str().unwrap()));
        for to in d["dependsOn"].as_array().unwrap() {
            assert!(refs.contains(to.as_str().unwrap()), "{to}");
        }
    }
}

#[test]
fn an_invalid_sbom_fails_the_schema_check() {
    // The check itself can fail: a component without a name is invalid.
    let bom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "components": [{"type": "library", "version": "1"}]
    });
    assert!(!cyclonedx::errors(&bom).is_empty());
}
