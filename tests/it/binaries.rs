//! `--binary`: real binaries built here with `cargo auditable` from a generated workspace,
//! audited against the workspace audit of the same source; and files without the data,
//! damaged or hostile ones (exit 2, never a panic).

use crate::support::cyclonedx;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::support::{Dep, Fixture, Krate, Run};
use serde_json::Value;

const POLICY: &str = r#"schema = 1

[policy]
id = "release"
missing-facts = "deny"

[[entity]]
id = "evilcorp"
name = "Evil Corp"
reason = "test"
[entity.match]
orgs = ["github.com/evilcorp"]
"#;

/// Whether `cargo auditable` can run here (`.ci/run` installs it).
fn have_cargo_auditable() -> bool {
    std::process::Command::new("cargo")
        .args(["auditable", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A workspace whose `app` binary depends on a path crate and a registry crate whose
/// repositories are under the restricted org, a plain crates.io crate, and a
/// build-dependency under the restricted org too.
fn fixture() -> Fixture {
    Fixture::builder()
        .member(
            Krate::new("app", "0.1.0")
                .file("src/main.rs", "fn main() {}\n")
                .file("build.rs", "fn main() {}\n")
                .dep(Dep::path("evil-path"))
                .dep(Dep::crates_io("plain", "1"))
                .dep(Dep::registry("altdep", "0.4"))
                .dep(Dep::crates_io("evil-build", "0.1").build()),
        )
        .path_crate(
            Krate::new("evil-path", "0.1.0").repository("https://github.com/EvilCorp/evil-path"),
        )
        .vendored(Krate::new("plain", "1.0.0").repository("https://github.com/someone/plain"))
        .vendored(
            Krate::new("evil-build", "0.1.0").repository("https://github.com/EvilCorp/evil-build"),
        )
        .registry(Krate::new("altdep", "0.4.2").repository("https://github.com/EvilCorp/altdep"))
        .build()
}

/// `cargo auditable build --release` of the fixture; the path of the `app` binary.
///
/// The crates.io crates come from a directory source here; a real build unpacks them
/// into `$CARGO_HOME/registry/src/index.crates.io-*/`, so their manifests are put there
/// as such a build leaves them.
fn build(fx: &Fixture) -> PathBuf {
    let mut cmd = fx.cargo();
    cmd.args(["auditable", "build", "--release", "--offline"]);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cache = fx
        .root
        .join("cargo-home/registry/src/index.crates.io-1949cf8c6b5b557f");
    for name in ["plain-1.0.0", "evil-build-0.1.0"] {
        let from = fx.root.join("vendor").join(name);
        std::fs::create_dir_all(cache.join(name)).unwrap();
        std::fs::copy(from.join("Cargo.toml"), cache.join(name).join("Cargo.toml")).unwrap();
    }
    fx.root.join("target/release/app")
}

/// `(name, code)` of every deny finding, and each denied package's kinds.
fn denied(report: &Value) -> (BTreeSet<String>, Vec<(String, Value)>) {
    let findings = report["findings"].as_array().unwrap();
    let deny = findings
        .iter()
        .filter(|f| f["severity"] == "deny" && !f["package"].is_null());
    let names = deny
        .clone()
        .map(|f| f["package"]["name"].as_str().unwrap().to_string())
        .collect();
    let kinds = deny
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                f["kinds"].clone(),
            )
        })
        .collect();
    (names, kinds)
}

fn finding<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == name && f["severity"] == "deny")
        .unwrap_or_else(|| panic!("no denial of {name}: {report:#}"))
}

#[test]
fn a_binary_audit_denies_what_the_workspace_audit_denies() {
    if !have_cargo_auditable() {
        panic!("cargo auditable is not installed: `cargo install --locked cargo-auditable`");
    }
    let fx = fixture();
    let app = build(&fx);

    let workspace = fx.audit(Some(POLICY)).json();
    workspace.expect_code(1);
    let binary = fx
        .audit(Some(POLICY))
        .no_manifest_path()
        .arg("--binary")
        .arg(&app)
        .json();
    binary.expect_code(1);
    let (by_workspace, _) = denied(&workspace.report());
    let (by_binary, kinds) = denied(&binary.report());
    assert_eq!(by_binary, by_workspace);
    // `plain` has no crates.io owner facts here, which `orgs` needs (it compares crates.io
    // teams too): `missing-facts`, denied by this policy, in both audits alike.
    assert_eq!(
        by_binary,
        ["altdep", "evil-build", "evil-path", "plain"]
            .map(String::from)
            .into()
    );
    let report = binary.report();
    // Kinds from the binary's list.
    assert!(kinds.contains(&("evil-build".to_string(), serde_json::json!(["build"]))));
    assert!(kinds.contains(&("altdep".to_string(), serde_json::json!(["normal"]))));
    // Registry facts from the cache cargo unpacked the crate into.
    // (Each also has a `missing-facts` denial: no crates.io owner facts in this test.)
    for name in ["altdep", "evil-build"] {
        assert!(
            report["findings"].as_array().unwrap().iter().any(|f| {
                f["package"]["name"] == name
                    && f["severity"] == "deny"
                    && f["code"] == "restricted-entity"
            }),
            "{name}: {report:#}"
        );
    }
    // A path crate's manifest is not in the binary: its facts are missing, not passed.
    let path = finding(&report, "evil-path");
    assert_eq!(path["code"], "missing-facts");
    assert!(
        path["message"]
            .as_str()
            .unwrap()
            .contains("repository and homepage")
    );
    // Each finding names the binary.
    let shown = app.display().to_string();
    for f in report["findings"].as_array().unwrap() {
        if !f["package"].is_null() {
            assert!(f["message"].as_str().unwrap().contains(&shown), "{f}");
        }
    }
    assert!(
        report["degraded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["source"] == "binary")
    );

    // Two binaries: one report, each finding naming both files it is in.
    let copy = fx.root.join("app-copy");
    std::fs::copy(&app, &copy).unwrap();
    let both = fx
        .audit(Some(POLICY))
        .no_manifest_path()
        .args([
            "--binary".as_ref(),
            app.as_os_str(),
            "--binary".as_ref(),
            copy.as_os_str(),
        ])
        .json();
    both.expect_code(1);
    let message = finding(&both.report(), "altdep")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&format!("(in {shown}, {})", copy.display())),
        "{message}"
    );

    // The SBOM of the binary validates.
    let sbom = fx
        .audit(Some(POLICY))
        .no_manifest_path()
        .args(["--binary".as_ref(), app.as_os_str()])
        .args(["--format", "cyclonedx"])
        .run();
    sbom.expect_code(1);
    let bom: Value = serde_json::from_str(&sbom.stdout).unwrap();
    cyclonedx::validate(&bom);
    assert_eq!(bom["metadata"]["component"]["name"], "app");

    // A truncated copy: exit 2, no panic.
    let bytes = std::fs::read(&app).unwrap();
    for len in [16, 4096, bytes.len() / 2] {
        let cut = fx.root.join(format!("app-cut-{len}"));
        std::fs::write(&cut, &bytes[..len]).unwrap();
        let run = fx
            .audit(Some(POLICY))
            .no_manifest_path()
            .arg("--binary")
            .arg(&cut)
            .run();
        expect_exit_2(&run, &cut);
    }
}

fn expect_exit_2(run: &Run, file: &Path) {
    assert_eq!(run.code, 2, "{}: {}", file.display(), run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&file.display().to_string()),
        "{}",
        run.stderr
    );
}

/// A WebAssembly module whose only section is a custom `.dep-v0` section holding `payload`.
fn wasm_with(payload: &[u8]) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    let name = b".dep-v0";
    let mut body = Vec::new();
    leb(name.len(), &mut body);
    body.extend_from_slice(name);
    body.extend_from_slice(payload);
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    out.push(0);
    leb(body.len(), &mut out);
    out.extend(body);
    out
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The binary, offline, with `args`, in a folder of its own.
fn bare(dir: &Path, args: &[&std::ffi::OsStr]) -> Run {
    let out = assert_cmd::Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .current_dir(dir)
        .env("CARGO_HOME", dir.join("cargo-home"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .args(args)
        .args(["--offline", "--today", "2026-11-27", "--format", "json"])
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_crafted_dependency_list_is_read_and_hostile_ones_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("module.wasm");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "schema = 1\n[policy]\nid = \"o\"\n[origins]\nunknown-git = \"deny\"\nallow-git = [\"github.com/my-org\"]\n",
    )
    .unwrap();
    let audit = |bytes: &[u8]| {
        std::fs::write(&file, bytes).unwrap();
        bare(
            dir.path(),
            &[
                "--binary".as_ref(),
                file.as_os_str(),
                "--policy".as_ref(),
                policy.as_os_str(),
            ],
        )
    };

    // A well-formed list: read, with kinds and sources.
    let good = r#"{"packages":[
        {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
        {"name":"dep","version":"1.0.0","source":"crates.io"},
        {"name":"gen","version":"0.2.0","source":"git","kind":"build"}]}"#;
    let run = audit(&wasm_with(&zlib(good.as_bytes())));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["audited"], 2);
    let git = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == "gen")
        .unwrap();
    assert_eq!(git["kinds"], serde_json::json!(["build"]));
    assert_eq!(git["package"]["source"], "git+unknown");
    assert!(
        report["degraded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["message"]
                .as_str()
                .unwrap()
                .starts_with("1 package(s) come from git")),
        "{report:#}"
    );

    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bomb = vec![b' '; 64 << 20];
    for payload in [
        zlib(br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","dependencies":[7],"root":true}]}"#),
        zlib(br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","dependencies":[1],"root":true},{"name":"b","version":"1.0.0","source":"local","dependencies":[0]}]}"#),
        zlib(br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","root":true},{"name":"b","version":"1.0.0","source":"local","root":true}]}"#),
        zlib(br#"{"packages":[{"name":"a","version":"1.0.0","source":"local"}]}"#),
        zlib(br#"{"packages":[]}"#),
        zlib(br#"{"packages":[{"name":"a","version":"not-semver","source":"local","root":true}]}"#),
        zlib(deep.as_bytes()),
        zlib(b"\xff\xfe not utf-8"),
        zlib(&bomb),
        b"not zlib at all".to_vec(),
    ]
    .into_iter()
    .enumerate()
    {
        let run = audit(&wasm_with(&payload.1));
        assert_eq!(run.code, 2, "payload {}: {}", payload.0, run.stdout);
        expect_exit_2(&run, &file);
    }
}

#[test]
fn files_without_a_dependency_list_are_exit_2_saying_how_to_build_one() {
    let dir = tempfile::tempdir().unwrap();
    // This test program: an executable built without `cargo auditable`.
    let plain = std::env::current_exe().unwrap();
    let run = bare(dir.path(), &["--binary".as_ref(), plain.as_os_str()]);
    expect_exit_2(&run, &plain);
    assert!(
        run.stderr
            .contains("cargo install cargo-auditable && cargo auditable build --release"),
        "{}",
        run.stderr
    );
    // Not an executable at all, a folder, a missing file.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just text\n").unwrap();
    let missing = dir.path().join("missing");
    let device = PathBuf::from("/dev/zero");
    for f in [&text, &dir.path().to_path_buf(), &missing, &device] {
        let run = bare(dir.path(), &["--binary".as_ref(), f.as_os_str()]);
        expect_exit_2(&run, f);
    }
}

/// The README and the book together (docs/src/*.md, in name order).
fn book_text() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files.insert(0, root.join("README.md"));
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The book's release pipeline (docs/src/inputs.md and output-formats.md), run as shown
/// in the fixture's workspace: each fenced
/// block after a `<!-- release-pipeline: NAME -->` marker is a command (`$ ...`) and an
/// excerpt of what it prints (`...` stands for lines left out; a JSON block is one
/// component of `sbom.json`).
#[test]
fn the_readme_release_pipeline_runs_as_shown() {
    if !have_cargo_auditable() {
        panic!("cargo auditable is not installed: `cargo install --locked cargo-auditable`");
    }
    let fx = Fixture::builder()
        .member(
            Krate::new("app", "0.1.0")
                .file("src/main.rs", "fn main() {}\n")
                .dep(Dep::crates_io("plain", "1"))
                .dep(Dep::registry("altdep", "0.4")),
        )
        .vendored(Krate::new("plain", "1.0.0").repository("https://github.com/someone/plain"))
        .registry(Krate::new("altdep", "0.4.2").repository("https://github.com/EvilCorp/altdep"))
        .file("vendor-audit.toml", README_POLICY)
        .build();
    let readme = book_text();
    // Every copy of a block, in the README and in the book.
    let blocks = |name: &str| -> Vec<String> {
        let marker = format!("<!-- release-pipeline: {name} -->");
        let found: Vec<String> = readme
            .match_indices(&marker)
            .map(|(at, _)| {
                let rest = &readme[at..];
                let start = rest.find("```").unwrap();
                let body = &rest[start..];
                let body = &body[body.find('\n').unwrap() + 1..];
                body[..body.find("```").unwrap()].to_string()
            })
            .collect();
        assert!(!found.is_empty(), "the book has no {marker}");
        found
    };
    let ws = fx.root.join("ws");

    // 1. The build.
    let mut cmd = fx.cargo();
    cmd.args(["auditable", "build", "--release"])
        .env("CARGO_TARGET_DIR", ws.join("target"));
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stderr).to_string();
    for text in blocks("build") {
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("$ cargo auditable build --release"));
        for line in lines.filter(|l| *l != "...") {
            assert!(
                printed.lines().any(|p| p == line),
                "{line:?} not in:\n{printed}"
            );
        }
    }

    // 2. The audit and the SBOM, from the binary.
    for (name, text) in ["audit", "sbom"]
        .into_iter()
        .flat_map(|name| blocks(name).into_iter().map(move |t| (name, t)))
    {
        let mut lines = text.lines();
        let command = lines.next().unwrap().strip_prefix("$ cargo ").unwrap();
        let out = fx
            .bare_command()
            .current_dir(&ws)
            .args(command.split(' '))
            .args(["--offline", "--today", "2026-11-27"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{command}");
        let printed = String::from_utf8_lossy(&out.stdout).to_string();
        if name == "audit" {
            for line in lines.filter(|l| *l != "...") {
                assert!(
                    printed.lines().any(|p| p == line),
                    "{line:?} not in:\n{printed}"
                );
            }
        } else {
            assert!(printed.is_empty());
            let sbom: Value =
                serde_json::from_str(&std::fs::read_to_string(ws.join("sbom.json")).unwrap())
                    .unwrap();
            cyclonedx::validate(&sbom);
            let shown: Value = serde_json::from_str(&lines.collect::<Vec<_>>().join("\n")).unwrap();
            let component = sbom["components"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == shown["name"])
                .unwrap();
            assert_eq!(component, &shown);
        }
    }
}

const README_POLICY: &str = r#"schema = 1

[policy]
id = "release"

[[entity]]
id = "evilcorp"
name = "Evil Corp"
reason = "Repositories under github.com/EvilCorp."
[entity.match]
orgs = ["github.com/EvilCorp"]
"#;
