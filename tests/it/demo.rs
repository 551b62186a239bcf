//! The demo workspace in tests/fixtures/demo (the examples of the README and the book come
//! from it): the whole human report and `explain`, snapshotted through the binary with real
//! `cargo metadata`, offline.

use assert_cmd::Command;

const MANIFEST: &str = "tests/fixtures/demo/ws/Cargo.toml";

fn run(args: &[&str]) -> (i32, String) {
    let cache = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .env("XDG_CACHE_HOME", cache.path())
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("CARGO_TERM_COLOR")
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
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn demo_human_report() {
    let (code, stdout) = run(&["vendor-audit", "--scan-sources", "-v"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn demo_explain() {
    let (code, stdout) = run(&["explain", "ylong_io", "--scan-sources"]);
    assert_eq!(code, 0);
    // The package id holds an absolute path; keep the snapshot portable.
    let root = std::fs::canonicalize("tests/fixtures/demo").unwrap();
    insta::assert_snapshot!(stdout.replace(&root.display().to_string(), "[DEMO]"));
}

#[test]
fn demo_quiet_prints_only_the_summary() {
    let (code, stdout) = run(&["-q"]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "error: 1 denied, 1 warning, 1 info in 4 audited packages (5 in the graph); policy builtin:us-federal (reviewed 2026-11-30); today 2026-11-27\n"
    );
}
