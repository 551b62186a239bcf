//! `explain` for a flagged, a waived and a clean crate, and `list` in each format and
//! grouping, on the demo workspace (tests/fixtures/demo) through the binary.

use assert_cmd::Command;
use serde_json::Value;

const MANIFEST: &str = "tests/fixtures/demo/ws/Cargo.toml";

/// The default policy plus a waiver for ylong_io.
const POLICY: &str = r#"schema = 1
[policy]
id = "demo"
extends = ["builtin:us-federal"]
[[exception]]
crate = "ylong_io"
version = "=1.0.0"
entity = "huawei"
reason = "Build-time only; reviewed."
ticket = "SEC-7"
expires = 2027-03-31
"#;

fn run(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let out = Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("CARGO_NET_OFFLINE", "true")
        .args(args)
        .args([
            "--manifest-path",
            MANIFEST,
            "--offline",
            "--locked",
            "--today",
            "2026-11-27",
            "--color",
            "never",
        ])
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap(), s(&out.stdout), s(&out.stderr))
}

#[test]
fn explain_a_flagged_crate() {
    let (code, out, err) = run(&["explain", "kav-sdk"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("kav-sdk 1.2.3\n"), "{out}");
    assert!(
        out.contains("  repository: https://github.com/KasperskyLab/kav-sdk [cargo-metadata]"),
        "{out}"
    );
    assert!(out.contains(
        "  author email domain: kaspersky.com (from `Dev <dev@kaspersky.com>`) [cargo-metadata]"
    ));
    assert!(
        out.contains("  app@0.1.0 -> mid@2.0.0 -> kav-sdk@1.2.3\n"),
        "{out}"
    );
    assert!(
        out.contains("  kaspersky (AO Kaspersky Lab): match (deny)\n"),
        "{out}"
    );
    assert!(out.contains(
        "      match: repository `https://github.com/KasperskyLab/kav-sdk` ~ orgs `github.com/KasperskyLab` [high, cargo-metadata]"
    ));
    assert!(
        out.contains("  huawei (Huawei Technologies Company): no match\n"),
        "{out}"
    );
    assert!(out.contains("verdict: deny\n  deny[restricted-entity]: kav-sdk 1.2.3 comes from restricted entity AO Kaspersky Lab"));
}

#[test]
fn explain_a_waived_crate() {
    let (code, out, err) = run(&["explain", "ylong_io@1.0.0"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  reached as: build\n"), "{out}");
    assert!(
        out.contains("  app@0.1.0 -> (build) ylong_io@1.0.0\n"),
        "{out}"
    );
    let policy_line = out
        .lines()
        .find(|l| {
            l.starts_with(
                "  huawei (Huawei Technologies Company): match, waived by the exception at ",
            )
        })
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        policy_line.ends_with("policy.toml:5 until 2027-03-31"),
        "{policy_line}"
    );
    assert!(
        out.ends_with("verdict: clean\n"),
        "waived: no deny or warn: {out}"
    );
}

#[test]
fn explain_a_clean_crate_and_a_missing_one() {
    let (code, out, _) = run(&["explain", "mid"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("  repository, homepage: none given\n"),
        "{out}"
    );
    assert!(!out.contains(": match"), "{out}");
    assert!(out.ends_with("verdict: clean\n"), "{out}");

    let (code, _, err) = run(&["explain", "kav"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("package `kav` is not in the dependency graph (similar: kav-sdk)"),
        "{err}"
    );
}

#[test]
fn explain_shows_a_not_affiliated_suppression_and_the_near_miss() {
    let (_, out, _) = run(&["explain", "huawei-modem"]);
    assert!(
        out.contains(
            "  huawei (Huawei Technologies Company): match suppressed by [[not-affiliated]]\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("near miss: the crate name `huawei-modem` contains `Huawei`"),
        "{out}"
    );
}

#[test]
fn list_as_json_table_and_csv() {
    let (code, out, err) = run(&["list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["huawei-modem", "kav-sdk", "mid", "ylong_io"]);
    let kav = &rows[1];
    assert_eq!(kav["origin"], "path");
    assert_eq!(kav["repository"], "https://github.com/KasperskyLab/kav-sdk");
    assert_eq!(kav["entities"], serde_json::json!(["kaspersky"]));
    assert_eq!(rows[3]["kinds"], serde_json::json!(["build"]));
    assert_eq!(
        rows[3]["entities"],
        serde_json::json!(["huawei"]),
        "waived matches are still listed"
    );

    let (_, table, _) = run(&["list"]);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("PACKAGE") && header.contains("ORIGIN") && header.ends_with("ENTITIES")
    );
    assert!(table.ends_with("4 packages\n"), "{table}");

    let (_, csv, _) = run(&["list", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("name,version,origin,kinds,repository,owners,publisher,entities")
    );
    assert_eq!(
        lines.nth(1),
        Some("kav-sdk,1.2.3,path,normal,https://github.com/KasperskyLab/kav-sdk,-,-,kaspersky")
    );
}

#[test]
fn list_grouped_by_org_and_entity() {
    let (_, out, _) = run(&["list", "--by", "org", "--format", "json"]);
    let groups: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(groups[0]["group"], "(no repository)");
    assert_eq!(groups[0]["count"], 2);
    let orgs: Vec<&str> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(
        orgs,
        [
            "(no repository)",
            "gitee.com/openharmony",
            "github.com/kasperskylab"
        ]
    );

    let (_, out, _) = run(&["list", "--by", "entity", "--format", "csv"]);
    assert_eq!(
        out,
        "entity,count,packages\nhuawei,1,ylong_io@1.0.0\nkaspersky,1,kav-sdk@1.2.3\n"
    );
}
