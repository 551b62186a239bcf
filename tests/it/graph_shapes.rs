//! Graph shapes that once cost quadratic time or a deep recursion, through the binary:
//! a deep dependency chain (run on a small stack), many path packages before the
//! crates.io packages (every `missing-facts` finding needs a path through all of them),
//! and a root with very many direct dependencies. No timing is asserted: each must end
//! with its report.

use std::collections::BTreeMap;

use crate::generate::graph::{Shape, write_shape};
use serde_json::Value;

/// Denies crates named `reg-1*` and asks for crates.io logins, which `--locked` without
/// a facts lock does not have: a `missing-facts` finding for every crates.io package.
const POLICY: &str = "schema = 1\n\n[policy]\nid = \"shapes\"\ntitle = \"Shapes\"\n\n\
    [[entity]]\nid = \"named\"\nname = \"Named\"\nreason = \"test\"\n\
    [entity.match]\ncrates = [\"reg-1*\"]\n\n\
    [[entity]]\nid = \"publisher\"\nname = \"Publisher\"\nreason = \"test\"\n\
    [entity.match]\ncrates-io-logins = [\"someone\"]\n";

/// Runs `check` on the shape with the main thread's stack and every thread's limited to
/// 512 KiB; gives the JSON report.
fn run(shape: Shape) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join("metadata.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&meta).unwrap());
    write_shape(shape, &mut f).unwrap();
    drop(f);
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("cargo-vendor-audit");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -s 512 && exec \"$0\" \"$@\"")
        .arg(&bin)
        .args(["check", "--metadata-path"])
        .arg(&meta)
        .arg("--policy")
        .arg(&policy)
        .args(["--locked", "--format", "json", "--fail-on", "never"])
        .args(["--today", "2026-11-30", "--facts"])
        .arg(dir.path().join("no-such.lock"))
        .env("RUST_MIN_STACK", "524288")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{shape:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{shape:?}: {e}: {stderr}"))
}

/// Findings per code, and the length of the longest path of any finding.
fn summary(report: &Value) -> (BTreeMap<String, usize>, usize) {
    let mut codes = BTreeMap::new();
    let mut longest = 0;
    for f in report["findings"].as_array().unwrap() {
        *codes
            .entry(f["code"].as_str().unwrap().to_string())
            .or_default() += 1;
        for p in f["paths"].as_array().into_iter().flatten() {
            longest = longest.max(p.as_array().map_or(0, Vec::len));
        }
    }
    (codes, longest)
}

#[test]
fn deep_chain_on_a_small_stack() {
    let report = run(Shape::Chain(20_000));
    let (codes, longest) = summary(&report);
    // reg-1 is the only crates.io package: one name match, one missing-facts.
    assert_eq!(codes.get("missing-facts"), Some(&1), "{codes:?}");
    assert_eq!(longest, 20_001);
}

#[test]
fn many_path_packages_before_crates_io() {
    let report = run(Shape::PathsBeforeRegistry {
        paths: 3_000,
        registry: 300,
    });
    let (codes, longest) = summary(&report);
    assert_eq!(codes.get("missing-facts"), Some(&300), "{codes:?}");
    assert_eq!(longest, 3_002);
}

#[test]
fn root_with_many_direct_dependencies() {
    let report = run(Shape::WideRoot(50_000));
    let (codes, longest) = summary(&report);
    assert_eq!(codes.get("missing-facts"), Some(&50_000), "{codes:?}");
    assert_eq!(longest, 2);
}
