//! The command line's surface through the binary: help and wording, flag validation,
//! where output goes (a closed pipe, a full device, `--output`), colour, `init` and
//! `policy show`, and how the human and Markdown reports and `explain` present findings.

use crate::support::fake_crates_io;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::metadata_json::{declare, node, package};
use serde_json::{Value, json};

const TODAY: &str = "2026-11-27";

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-vendor-audit"));
    cmd.env_remove("CARGO_TERM_COLOR")
        .env_remove("NO_COLOR")
        .env("CARGO_NET_OFFLINE", "true");
    cmd
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn no_panic(out: &Output) {
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A workspace `app` with a chain of crates.io packages `app -> chain[0] -> chain[1] ...`
/// and, beside it, direct dependencies `direct`; each `(name, repository)`.
fn metadata(root: &Path, chain: &[(&str, Option<&str>)], direct: &[(&str, Option<&str>)]) -> Value {
    let mk = |(name, repo): &(&str, Option<&str>)| {
        let mut p = package(root, name, "1.0.0", true);
        if let Some(r) = repo {
            p["repository"] = json!(r);
        }
        p
    };
    let mut app = package(root, "app", "0.1.0", false);
    let chain: Vec<Value> = chain.iter().map(mk).collect();
    let direct: Vec<Value> = direct.iter().map(mk).collect();
    let mut chain_decl = chain.clone();
    let mut firsts: Vec<&Value> = direct.iter().collect();
    if let Some(first) = chain.first() {
        firsts.insert(0, first);
    }
    for p in &firsts {
        declare(&mut app, p["name"].as_str().unwrap());
    }
    for i in 1..chain.len() {
        let name = chain[i]["name"].as_str().unwrap().to_string();
        declare(&mut chain_decl[i - 1], &name);
    }
    let app_id = app["id"].as_str().unwrap().to_string();
    let mut nodes = vec![node(&app_id, &firsts)];
    for i in 0..chain.len() {
        let next: Vec<&Value> = chain.get(i + 1).into_iter().collect();
        nodes.push(node(chain[i]["id"].as_str().unwrap(), &next));
    }
    nodes.extend(direct.iter().map(|p| node(p["id"].as_str().unwrap(), &[])));
    let mut packages = vec![app];
    packages.extend(chain_decl);
    packages.extend(direct);
    json!({
        "packages": packages, "workspace_members": [app_id],
        "workspace_default_members": [app_id],
        "resolve": {"nodes": nodes, "root": app_id},
        "target_directory": root.join("target"), "version": 1,
        "workspace_root": root, "metadata": null
    })
}

/// A folder with `metadata.json` and `policy.toml`.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(metadata: impl FnOnce(&Path) -> Value, policy: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        let m = metadata(dir.path());
        std::fs::write(
            dir.path().join("metadata.json"),
            serde_json::to_vec(&m).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.path().join("policy.toml"), policy).unwrap();
        Case { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The tool on this case: `args`, then the metadata, the policy, `--offline`, the date.
    fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_on(TODAY, args)
    }

    fn cmd_on(&self, today: &str, args: &[&str]) -> Command {
        let mut cmd = bin();
        cmd.env("XDG_CACHE_HOME", self.path("cache"))
            .args(args)
            .arg("--metadata-path")
            .arg(self.path("metadata.json"))
            .arg("--policy")
            .arg(self.path("policy.toml"))
            .args(["--offline", "--today", today]);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().unwrap();
        no_panic(&out);
        out
    }
}

/// An entity `acme` (deny) matched by its GitHub org, and `beta` (warn) by a crate name.
const POLICY: &str = r#"schema = 1
[policy]
id = "p"
missing-facts = "allow"
[[citation]]
id = "acme-act"
title = "The Acme Act"
instrument = "Pub. L. 1-2"
url = "https://example.gov/acme-act"
[[entity]]
id = "acme"
name = "Acme Corp"
reason = "Acme is restricted by the Acme Act."
citations = ["acme-act"]
[entity.match]
orgs = ["github.com/acme", "gitlab.com/acme"]
[[entity]]
id = "beta"
name = "Beta Inc"
severity = "warn"
reason = "Beta is watched."
[entity.match]
crates = [{ value = "beta-*", confidence = "high" }]
"#;

fn acme_case() -> Case {
    Case::new(
        |root| {
            metadata(
                root,
                &[],
                &[
                    ("acme-one", Some("https://github.com/acme/one")),
                    ("acme-two", Some("https://github.com/acme/two")),
                    ("acme-three", Some("https://github.com/acme/three")),
                ],
            )
        },
        POLICY,
    )
}

#[test]
fn a_mistyped_subcommand_gets_a_suggestion() {
    let out = bin().args(["vendor-audit", "chek"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unrecognized subcommand 'chek'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a similar subcommand exists: 'check'"),
        "{stderr}"
    );
}

#[test]
fn policy_help_shows_examples() {
    let out = bin().args(["policy", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Examples:"), "{stdout}");
    assert!(
        stdout.contains("cargo vendor-audit policy check vendor-audit.toml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("cargo vendor-audit policy show builtin:example"),
        "{stdout}"
    );
}

#[test]
fn an_impossible_date_is_not_a_real_date() {
    for args in [
        &["--today", "2026-02-30"][..],
        &[
            "policy",
            "check",
            "builtin:us-federal",
            "--today",
            "2026-02-30",
        ],
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("`2026-02-30` is not a real date: February 2026 has 28 days"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("expected a date as YYYY-MM-DD"),
            "{stderr}"
        );
    }
    let out = bin().args(["--today", "2026-2-3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected a date as YYYY-MM-DD, found `2026-2-3`"));
}

#[test]
fn numeric_flags_are_checked_before_anything_runs() {
    // A crates.io package, so the API settings are used (the run is --offline).
    let case = acme_case();
    for (flag, value) in [
        ("--api-rate", "1e-20"),
        ("--api-rate", "NaN"),
        ("--api-rate", "inf"),
        ("--api-rate", "-1"),
        ("--api-rate", "0"),
        ("--api-rate", "1e300"),
        ("--api-rate", "fast"),
        ("--cache-max-age", "18446744073709551615"),
        ("--cache-max-age", "-1"),
    ] {
        for sub in ["check", "fetch", "explain", "list"] {
            let mut args = vec![sub];
            if sub == "explain" {
                args.push("acme-one");
            }
            let arg = format!("{flag}={value}");
            args.push(&arg);
            let out = case.run(&args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{sub} {flag} {value}: {stderr}");
            assert!(
                stderr.contains(&format!("invalid value '{value}' for '{flag}")),
                "{sub} {flag} {value}: {stderr}"
            );
        }
    }
    let out = case.run(&["--api-rate", "1e-20"]);
    assert!(
        text(&out.stderr).contains("give a number of requests per second from 0.001 to 1000"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn policy_show_prints_a_builtin_policy() {
    let shipped = std::fs::read_to_string("policies/example.toml").unwrap();
    for name in ["builtin:example", "example"] {
        let out = bin().args(["policy", "show", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), shipped);
    }
    let out = bin()
        .args(["policy", "show", "builtin:us-federal"])
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        std::fs::read_to_string("policies/us-federal.toml").unwrap()
    );
    let out = bin()
        .args(["policy", "show", "builtin:nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("there is no builtin policy `builtin:nope`; the builtin policies are builtin:example, builtin:us-dod, builtin:us-federal"),
        "{stderr}"
    );
}

#[test]
fn init_points_to_policy_show_not_to_a_file_users_lack() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin().current_dir(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("vendor-audit.toml")).unwrap();
    assert!(!written.contains("policies/example.toml"), "{written}");
    assert!(
        written.contains("`cargo vendor-audit policy show builtin:example`"),
        "{written}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("in the current directory (no Cargo.toml here or above"),
        "{stderr}"
    );
}

#[test]
fn init_in_a_member_directory_writes_at_the_workspace_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"member\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("member/src")).unwrap();
    std::fs::write(
        root.join("member/Cargo.toml"),
        "[package]\nname = \"member\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(root.join("member/src/lib.rs"), "").unwrap();
    let out = bin()
        .current_dir(root.join("member"))
        .env("CARGO_HOME", root.join("cargo-home"))
        .arg("init")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        root.join("vendor-audit.toml").is_file(),
        "the policy is where `check` reads it"
    );
    assert!(!root.join("member/vendor-audit.toml").exists());
    assert!(
        stderr.contains("at the workspace root, where `check` looks for it"),
        "{stderr}"
    );
    // A path given is taken as it is.
    let out = bin()
        .current_dir(root.join("member"))
        .env("CARGO_HOME", root.join("cargo-home"))
        .args(["init", "here.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(root.join("member/here.toml").is_file());
    // From elsewhere, --manifest-path names the workspace.
    std::fs::remove_file(root.join("vendor-audit.toml")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(elsewhere.path())
        .env("CARGO_HOME", root.join("cargo-home"))
        .arg("init")
        .arg("--manifest-path")
        .arg(root.join("member/Cargo.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(root.join("vendor-audit.toml").is_file());
    assert!(!elsewhere.path().join("vendor-audit.toml").exists());
}

#[test]
fn output_to_a_file_still_prints_the_summary_on_stderr() {
    let case = acme_case();
    let report = case.path("report.json");
    let out = case.run(&["--format", "json", "--output", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: 3 denied, 0 warnings, 0 info in 3 audited packages (4 in the graph); policy "
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("report written to {}", report.display())),
        "{stderr}"
    );
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["summary"]["deny"], 3);
}

#[test]
fn list_to_a_file_says_on_stderr_what_it_listed_and_where() {
    let case = acme_case();
    let listed = case.path("list.json");
    let out = case.run(&[
        "list",
        "--format",
        "json",
        "--output",
        listed.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "listed 3 packages; written to {}",
            listed.display()
        )),
        "{stderr}"
    );
    assert!(std::fs::metadata(&listed).unwrap().len() > 0);
}

/// `--output /dev/full`: the write error is exit 2 and named, and the device is written
/// into, not replaced by a regular file.
#[cfg(target_os = "linux")]
#[test]
fn output_to_a_full_device_is_exit_2_and_the_device_stays() {
    use std::os::unix::fs::FileTypeExt;
    let case = acme_case();
    for command in [&["--format", "json"][..], &["list"][..]] {
        let mut args = command.to_vec();
        args.extend(["--output", "/dev/full"]);
        let out = case.run(&args);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("/dev/full"), "{stderr}");
        assert!(stderr.contains("No space left on device"), "{stderr}");
        assert!(
            std::fs::metadata("/dev/full")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
}

/// Runs `cmd` with its standard output a pipe whose reading end is closed at once, as
/// `| head` does once it has read enough.
fn run_into_a_closed_pipe(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    out
}

#[test]
fn a_closed_pipe_is_a_normal_end() {
    let mut cmd = bin();
    cmd.args(["policy", "check", "builtin:us-federal", "--today", TODAY]);
    let out = run_into_a_closed_pipe(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");

    let mut cmd = bin();
    cmd.args(["policy", "show", "builtin:us-federal"]);
    let out = run_into_a_closed_pipe(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let case = acme_case();
    for (args, code) in [
        (&["check"][..], 1),
        (&["check", "--format", "json"], 1),
        (&["check", "--format", "markdown"], 1),
        (&["explain", "acme-one"], 0),
        (&["list"], 0),
    ] {
        let out = run_into_a_closed_pipe(case.cmd(args));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_device_is_an_error_named() {
    let case = acme_case();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["check", "--format", "sarif"],
        &["explain", "acme-one"],
        &["list"],
    ] {
        let out = case.cmd(args).stdout(full()).output().unwrap();
        no_panic(&out);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("could not write") && stderr.contains("No space left on device"),
            "{args:?}: {stderr}"
        );
    }
    for args in [
        &["policy", "check", "builtin:us-federal"][..],
        &["policy", "show", "builtin:us-federal"],
        &["--help"],
        &["explain", "--help"],
    ] {
        let out = bin().args(args).stdout(full()).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn the_verdict_is_error_when_warnings_fail_the_run() {
    let case = Case::new(|root| metadata(root, &[], &[("beta-one", None)]), POLICY);
    let out = case.run(&["-q"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(
            "warning: 0 denied, 1 warning, 0 info in 1 audited package (2 in the graph);"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("--fail-on"), "{stdout}");
    let out = case.run(&["-q", "--fail-on", "warn"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("error: 0 denied, 1 warning,"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("; --fail-on warn fails the run"),
        "{stdout}"
    );
}

#[test]
fn policy_check_writes_severities_as_the_policy_does() {
    let out = bin()
        .args(["policy", "check", "builtin:us-federal", "--today", TODAY])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("  kaspersky (AO Kaspersky Lab): deny, effective 2018-10-01"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("Deny") && !stdout.contains("Warn,"),
        "{stdout}"
    );

    // One of a thing is singular.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        format!("{POLICY}[[exception]]\ncrate = \"x\"\nreason = \"r\"\nexpires = 2027-01-01\n"),
    )
    .unwrap();
    let out = bin()
        .args(["policy", "check", "--today", TODAY])
        .arg(&policy)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.contains("\n2 entities, 1 citation\n"), "{stdout}");
    assert!(stdout.contains("  beta (Beta Inc): warn, at "), "{stdout}");
    assert!(stdout.contains("\n1 exception\n"), "{stdout}");
    assert!(stdout.contains("\n0 not-affiliated entries\n"), "{stdout}");
}

#[test]
fn one_group_is_one_group() {
    let case = acme_case();
    let out = case.run(&["list", "--by", "entity"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.ends_with("\n1 group\n"), "{stdout}");
}

#[test]
fn the_api_pace_below_a_second_is_said_as_requests_per_second() {
    let server = fake_crates_io::FakeCratesIo::start();
    let names: Vec<String> = (0..12).map(|i| format!("pkg-{i}")).collect();
    let direct: Vec<(&str, Option<&str>)> = names.iter().map(|n| (n.as_str(), None)).collect();
    let case = Case::new(|root| metadata(root, &[], &direct), POLICY);
    // Not --offline: the questions go to the fake API on 127.0.0.1.
    let out = bin()
        .env("XDG_CACHE_HOME", case.path("cache"))
        .args(["--metadata-path"])
        .arg(case.path("metadata.json"))
        .arg("--policy")
        .arg(case.path("policy.toml"))
        .args(["--today", TODAY, "--crates-io-api", &server.base_url])
        .args(["--api-rate", "200"])
        .output()
        .unwrap();
    no_panic(&out);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("up to 200 requests per second"), "{stderr}");
    assert!(!stderr.contains("0.0s"), "{stderr}");
}

#[test]
fn an_entity_s_reason_and_citations_are_printed_once() {
    let case = acme_case();
    let out = case.run(&["--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("error[restricted-entity]").count(),
        3,
        "{stdout}"
    );
    assert_eq!(
        stdout
            .matches("= reason: Acme is restricted by the Acme Act.")
            .count(),
        1,
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("= cited: The Acme Act").count(),
        1,
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("reason and citations above").count(),
        2,
        "{stdout}"
    );

    let out = case.run(&["--format", "markdown"]);
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout
            .matches("Acme is restricted by the Acme Act.")
            .count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "### Entities\n\n- **Acme Corp** (<code>acme</code>): <code>Acme is restricted by the Acme Act.</code>\n  - cited: <code>The Acme Act (Pub. L. 1-2)</code>, <code>https://example.gov/acme-act</code>\n"
        ),
        "{stdout}"
    );
}

#[test]
fn explain_shows_no_near_miss_for_a_fact_that_matched() {
    let case = Case::new(
        |root| {
            metadata(
                root,
                &[],
                &[
                    ("one-sdk", Some("https://github.com/acme/one")),
                    ("other-sdk", Some("https://codeberg.org/acme/one")),
                ],
            )
        },
        POLICY,
    );
    let out = case.run(&["explain", "one-sdk"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("match: repository `https://github.com/acme/one` ~ orgs `github.com/acme`"),
        "{stdout}"
    );
    assert!(!stdout.contains("near miss"), "{stdout}");
    // A fact that matched nothing is still a near miss.
    let out = case.run(&["explain", "other-sdk"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("near miss: repository `https://codeberg.org/acme/one` is under the same org on another host than orgs `github.com/acme`"),
        "{stdout}"
    );
}

#[test]
fn explain_says_none_for_an_empty_owner_list() {
    let case = acme_case();
    std::fs::write(
        case.path("facts.lock"),
        r#"schema = 1

[[package]]
name = "acme-one"
version = "1.0.0"
owners-source = "crates-io-api"
owners-fetched = "2026-11-20T10:00:00Z"
owners = []
"#,
    )
    .unwrap();
    let facts = case.path("facts.lock");
    let out = case.run(&[
        "explain",
        "acme-one",
        "--locked",
        "--facts",
        facts.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("  crates.io owners: none [facts-lock, 2026-11-20T10:00:00Z]\n"),
        "{stdout}"
    );
}

/// `app -> deep-0 -> deep-1 -> ... -> deep-{n-1}`, the last one matched by `acme`.
fn deep_case(n: usize) -> Case {
    let names: Vec<String> = (0..n).map(|i| format!("deep-{i}")).collect();
    let chain: Vec<(&str, Option<&str>)> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let repo = (i + 1 == n).then_some("https://github.com/acme/deep");
            (name.as_str(), repo)
        })
        .collect();
    Case::new(|root| metadata(root, &chain, &[]), POLICY)
}

#[test]
fn a_very_deep_chain_is_drawn_to_a_bounded_depth() {
    let n = 50_000;
    let case = deep_case(n);
    let out = case.run(&["--color", "never"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(stdout.len() < 64 * 1024, "{} bytes", stdout.len());
    assert!(
        stdout.contains("   deep-49999 v1.0.0\n   └── deep-49998 v1.0.0\n"),
        "{stdout}"
    );
    // Levels above the package: deep-49998 .. deep-0, then app.
    let drawn = 32;
    assert!(
        stdout.contains(&format!(
            "└── ... {} more levels up to app v0.1.0\n",
            n - drawn
        )),
        "{stdout}"
    );
    let out = case.run(&["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.len() < 64 * 1024, "{} bytes", stdout.len());
    assert!(
        stdout.contains(&format!("… {} more …", n + 1 - 12)),
        "{stdout}"
    );
}

#[test]
fn a_chain_at_the_depth_limit_is_drawn_whole() {
    // 32 levels above the package: deep-30 .. deep-0 and app.
    let case = deep_case(32);
    let out = case.run(&["--color", "never"]);
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("more level"), "{stdout}");
    assert!(stdout.contains("└── app v0.1.0\n"), "{stdout}");
    let case = deep_case(33);
    let out = case.run(&["--color", "never"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("└── ... 1 more level up to app v0.1.0\n"),
        "{stdout}"
    );
}

const ESC: &str = "\u{1b}[";

#[test]
fn colour_follows_the_flag_then_cargo_term_color_then_no_color() {
    let case = acme_case();
    // (flag, CARGO_TERM_COLOR, NO_COLOR, coloured); standard output is never a terminal here.
    let cases = [
        (Some("always"), None, Some("1"), true),
        (Some("never"), Some("always"), None, false),
        (Some("always"), Some("never"), Some("1"), true),
        (None, Some("always"), Some("1"), true),
        (None, Some("never"), None, false),
        (None, None, Some("1"), false),
        (None, None, None, false),
        (Some("auto"), Some("always"), None, false),
    ];
    for (flag, term, no_color, coloured) in cases {
        let mut cmd = case.cmd(&[]);
        if let Some(f) = flag {
            cmd.args(["--color", f]);
        }
        if let Some(t) = term {
            cmd.env("CARGO_TERM_COLOR", t);
        }
        if let Some(n) = no_color {
            cmd.env("NO_COLOR", n);
        }
        let out = cmd.output().unwrap();
        let stdout = text(&out.stdout);
        assert_eq!(
            stdout.contains(ESC),
            coloured,
            "{flag:?} {term:?} {no_color:?}: {stdout}"
        );
    }
}

#[test]
fn policy_errors_are_coloured_when_colour_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "schema = 1\n[policy]\nid = \"p\"\nsevrity = 1\n").unwrap();
    let bad = bad.to_str().unwrap();
    let case = acme_case();
    let policy_check = |extra: &[&str], term: Option<&str>| {
        let mut cmd = bin();
        cmd.args(["policy", "check", bad]).args(extra);
        if let Some(t) = term {
            cmd.env("CARGO_TERM_COLOR", t);
        }
        cmd
    };
    let mut audit = case.cmd(&["--color", "always"]);
    audit.args(["--policy", bad]);
    for (mut cmd, coloured) in [
        (policy_check(&["--color", "always"], None), true),
        (policy_check(&[], Some("always")), true),
        (policy_check(&[], None), false),
        (policy_check(&["--color", "never"], Some("always")), false),
        (audit, true),
    ] {
        let out = cmd.output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("sevrity"), "{stderr}");
        assert_eq!(stderr.contains(ESC), coloured, "{stderr:?}");
        if coloured {
            assert!(stderr.contains("\u{1b}[1;31merror\u{1b}[0m"), "{stderr:?}");
            assert!(stderr.contains("-->\u{1b}[0m"), "{stderr:?}");
            assert!(
                stderr.contains(" \u{1b}[1;31m^^^^^^^\u{1b}[0m"),
                "{stderr:?}"
            );
        }
    }
}

#[test]
fn an_exception_no_longer_applies_on_its_expires_day() {
    let policy = format!(
        "{POLICY}[[exception]]\ncrate = \"acme-one\"\nreason = \"reviewed\"\nexpires = 2026-11-27\n"
    );
    let case = Case::new(
        |root| {
            metadata(
                root,
                &[],
                &[("acme-one", Some("https://github.com/acme/one"))],
            )
        },
        &policy,
    );
    // The day before: waived.
    let out = case
        .cmd_on("2026-11-26", &["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["severity"], "info");
    assert_eq!(json["findings"][0]["code"], "restricted-entity");
    // The `expires` day itself: expired.
    let out = case.run(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["expired-exception", "restricted-entity"], "{json}");
    assert_eq!(json["summary"]["deny"], 2, "{json}");
}

#[test]
fn explain_keeps_the_two_ends_of_a_very_deep_path() {
    let n = 2_000;
    let case = deep_case(n);
    let out = case.run(&["explain", &format!("deep-{}", n - 1)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.len() < 16 * 1024, "{} bytes", stdout.len());
    // app and deep-0 .. deep-1999: 2,001 steps, 16 at each end.
    assert!(
        stdout.contains("  app@0.1.0 -> deep-0@1.0.0 -> "),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            " -> deep-14@1.0.0 -> ... {} more ... -> deep-{}@1.0.0 -> ",
            n + 1 - 32,
            n - 16
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(" -> deep-{}@1.0.0\n", n - 1)),
        "{stdout}"
    );
}

#[test]
fn init_with_a_broken_manifest_says_so_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \n").unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env("CARGO_HOME", dir.path().join("cargo-home"))
        .arg("init")
        .output()
        .unwrap();
    no_panic(&out);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("could not find the workspace root, where the policy belongs"),
        "{stderr}"
    );
    assert!(stderr.contains("cargo vendor-audit init PATH"), "{stderr}");
    assert!(!dir.path().join("vendor-audit.toml").exists());
}
