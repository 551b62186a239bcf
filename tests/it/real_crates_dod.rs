//! Real crates.io crates of companies on the DoD 1260H list, audited with `builtin:us-dod`
//! and `builtin:us-federal`, offline.
//!
//! `tests/fixtures/corpus/dod-crates.metadata.json.gz` is the `cargo metadata` of a
//! workspace depending on tquic and goosefs-sdk (github.com/Tencent), sgx_types 1.0.9
//! (github.com/baidu), brpc-rs (mesalock-linux, Baidu authors), dbs-utils (openanolis,
//! "Alibaba Dragonball Team"), vm-memory (rust-vmm, whose only author has a
//! linux.alibaba.com address) and the look-alikes tencent-sdk, alibabacloud and
//! dji-log-parser by third parties. `scripts/dod-crates-snapshot.sh` regenerates it.
//!
//! No crates.io owner facts are given (`--locked` with an empty facts lock): the verdicts
//! below come from the metadata alone, and every crates.io package is `missing-facts`.

use crate::support::corpus;

use std::process::{Command, Output};

use serde_json::Value;

fn audit(policy: &str, today: &str) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vendor-audit.lock"), "schema = 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-vendor-audit"))
        .args(["check", "--metadata-path"])
        .arg(corpus::path("dod-crates.metadata.json"))
        .args(["--policy", policy, "--locked", "--facts"])
        .arg(dir.path().join("vendor-audit.lock"))
        .args(["--today", today, "--format", "json"])
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, report)
}

/// `(package, code, severity, entity)` of every finding about an entity, sorted.
fn entity_findings(report: &Value) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["entity"].is_null())
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
            (
                s(&f["package"]["name"]),
                s(&f["code"]),
                s(&f["severity"]),
                s(&f["entity"]),
            )
        })
        .collect();
    out.sort();
    out
}

fn row(pkg: &str, code: &str, sev: &str, entity: &str) -> (String, String, String, String) {
    (pkg.into(), code.into(), sev.into(), entity.into())
}

/// The crates that must never be denied: an employee's multi-vendor crate and look-alikes.
const NEGATIVE: [&str; 4] = ["vm-memory", "tencent-sdk", "alibabacloud", "dji-log-parser"];

fn assert_negative_controls(report: &Value) {
    for f in report["findings"].as_array().unwrap() {
        let name = f["package"]["name"].as_str().unwrap_or("");
        if NEGATIVE.contains(&name) && !f["entity"].is_null() {
            assert_eq!(f["severity"], "info", "{name} must stay below warn: {f:#}");
        }
    }
}

#[test]
fn before_2027_06_30_the_1260h_crates_are_upcoming_restrictions() {
    let (out, report) = audit("builtin:us-dod", "2026-11-30");
    assert_eq!(out.status.code(), Some(0), "warnings do not fail the run");
    assert_eq!(
        entity_findings(&report),
        [
            row("brpc-rs", "upcoming-restriction", "warn", "baidu"),
            row("brpc-sys", "upcoming-restriction", "warn", "baidu"),
            row("dbs-utils", "upcoming-restriction", "warn", "alibaba"),
            row("goosefs-sdk", "upcoming-restriction", "warn", "tencent"),
            row("sgx_types", "upcoming-restriction", "warn", "baidu"),
            row("tquic", "upcoming-restriction", "warn", "tencent"),
            row("vm-memory", "upcoming-restriction", "info", "alibaba"),
        ],
        "{report:#}"
    );
    let tquic = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == "tquic" && f["code"] == "upcoming-restriction")
        .unwrap();
    assert!(
        tquic["message"]
            .as_str()
            .unwrap()
            .contains("(restriction effective 2027-06-30)"),
        "{tquic:#}"
    );
    let cited: Vec<&str> = tquic["entity_detail"]["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        cited,
        [
            "ndaa-fy2021-s1260h",
            "dod-1260h-2025",
            "dod-1260h-2026",
            "ndaa-fy2024-s805"
        ]
    );
    assert_negative_controls(&report);
}

#[test]
fn from_2027_06_30_official_orgs_deny_and_weaker_evidence_warns() {
    let (out, report) = audit("builtin:us-dod", "2027-07-01");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        entity_findings(&report),
        [
            // mesalock-linux and openanolis are official by content only: medium.
            row("brpc-rs", "restricted-entity", "warn", "baidu"),
            row("brpc-sys", "restricted-entity", "warn", "baidu"),
            row("dbs-utils", "restricted-entity", "warn", "alibaba"),
            // github.com/Tencent and github.com/baidu: high.
            row("goosefs-sdk", "restricted-entity", "deny", "tencent"),
            row("sgx_types", "restricted-entity", "deny", "baidu"),
            row("tquic", "restricted-entity", "deny", "tencent"),
            // An Alibaba engineer's address on a rust-vmm crate: low, info only.
            row("vm-memory", "restricted-entity", "info", "alibaba"),
        ],
        "{report:#}"
    );
    // The author names add (low) evidence where no address is given.
    let dbs = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == "dbs-utils" && f["entity"] == "alibaba")
        .unwrap();
    assert!(
        dbs["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["matcher"] == "author-names" && e["value"] == "Alibaba Dragonball Team"),
        "{dbs:#}"
    );
    assert_negative_controls(&report);
}

#[test]
fn us_federal_holds_no_1260h_restriction() {
    let (out, report) = audit("builtin:us-federal", "2027-07-01");
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(entity_findings(&report), [], "{report:#}");
    assert_eq!(report["summary"]["deny"], 0);
}
