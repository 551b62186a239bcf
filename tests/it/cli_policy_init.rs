//! `init` and `policy check` through the binary.

use assert_cmd::Command;

fn bin() -> Command {
    Command::cargo_bin("cargo-vendor-audit").unwrap()
}

#[test]
fn init_writes_a_policy_that_loads_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let first = bin()
        .current_dir(dir.path())
        .args(["vendor-audit", "init"])
        .output()
        .unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let path = dir.path().join("vendor-audit.toml");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("extends = [\"builtin:us-federal\"]"));
    assert!(written.contains("# [[exception]]") && written.contains("# [origins]"));

    let check = bin()
        .current_dir(dir.path())
        .args(["policy", "check", "vendor-audit.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(stdout.contains("policy my-workspace: valid"), "{stdout}");
    assert!(stdout.contains("kaspersky (AO Kaspersky Lab)"), "{stdout}");

    std::fs::write(&path, "mine\n").unwrap();
    let second = bin().current_dir(dir.path()).arg("init").output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "mine\n",
        "the old file is untouched"
    );
}

#[test]
fn policy_check_warns_about_exceptions_that_expire_soon() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        r#"schema = 1
[policy]
id = "p"
[[entity]]
id = "acme"
name = "Acme"
reason = "test"
[entity.match]
orgs = ["github.com/acme"]
[[exception]]
crate = "soon"
reason = "r"
expires = 2026-12-10
[[exception]]
crate = "later"
reason = "r"
expires = 2027-06-01
[[exception]]
crate = "gone"
reason = "r"
expires = 2026-11-01
"#,
    )
    .unwrap();
    let out = bin()
        .args(["policy", "check"])
        .arg(&policy)
        .args(["--today", "2026-11-27"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("warning: the exception for soon at"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expires on 2026-12-10 (in 13 days)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: the exception for gone at")
            && stdout.contains("expired on 2026-11-01")
    );
    assert!(
        !stdout.contains("warning: the exception for later"),
        "{stdout}"
    );
}

#[test]
fn policy_check_reports_every_problem_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("bad.toml");
    std::fs::write(
        &policy,
        "schema = 1\n[policy]\nid = \"p\"\n[[entity]]\nid = \"acme\"\nname = \"Acme\"\nreason = \"r\"\nsevrity = \"deny\"\n[entity.match]\norgs = [\"github.com/acme\"]\nhosts = [42]\n",
    )
    .unwrap();
    let out = bin()
        .args(["policy", "check"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = policy.display().to_string();
    assert!(stderr.contains(&format!("{file}:8:1")), "{stderr}");
    assert!(stderr.contains("did you mean `severity`?"), "{stderr}");
    assert!(stderr.contains(&format!("{file}:11:10")), "{stderr}");
}
