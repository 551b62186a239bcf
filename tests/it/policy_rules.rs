//! Policy rules through the binary: `author-names`, `[[not-affiliated]]` that suppresses only
//! the evidence it reviewed, `missing-facts` for `orgs` and `repositories`, `reviewed` dates
//! and the staleness warning, the confidence thresholds, look-alike identifiers, and
//! `extends` chains that are too deep or name a special file.

use crate::support::metadata_json;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        Case {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `meta.json`: a workspace `app` depending on crates.io packages `(name, version,
    /// authors, repository)`.
    fn metadata(&self, crates: &[(&str, &str, &[&str], Option<&str>)]) {
        let deps: Vec<(&str, &str)> = crates.iter().map(|(n, v, _, _)| (*n, *v)).collect();
        let mut m = metadata_json::metadata(self.path(), &deps);
        for p in m["packages"].as_array_mut().unwrap() {
            if let Some((_, _, authors, repo)) = crates.iter().find(|c| p["name"] == c.0) {
                p["authors"] = json!(authors);
                p["repository"] = json!(repo);
            }
        }
        self.write("meta.json", &m.to_string());
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-vendor-audit"));
        cmd.args(args)
            .current_dir(self.path())
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("HOME", self.path())
            .env("NO_COLOR", "1")
            .env_remove("CARGO_TERM_COLOR")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs, and fails the test rather than hang: a run that has not ended after a
    /// minute is killed.
    fn run(&self, args: &[&str]) -> Output {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        for _ in 0..600 {
            if child.try_wait().unwrap().is_some() {
                return child.wait_with_output().unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = child.kill();
        panic!("cargo-vendor-audit {args:?} did not end");
    }

    /// `check` of `meta.json` with `policy.toml`, the facts lock `lock.toml` only.
    fn check(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "check",
            "--metadata-path",
            "meta.json",
            "--policy",
            "policy.toml",
            "--locked",
            "--facts",
            "lock.toml",
            "--today",
            "2026-11-30",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn report(&self) -> Value {
        let out = self.check(&["--format", "json", "--fail-on", "never"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn findings(report: &Value) -> Vec<&Value> {
    report["findings"].as_array().unwrap().iter().collect()
}

/// `(code, package, severity)` of each finding about an entity or package.
fn summary(report: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = findings(report)
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["package"]["name"].as_str().unwrap_or("-").to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn t(code: &str, pkg: &str, sev: &str) -> (String, String, String) {
    (code.to_string(), pkg.to_string(), sev.to_string())
}

const EMPTY_LOCK: &str = "schema = 1\n";

/// A facts lock entry with one owner (`user:ID:LOGIN` or `team:ID:LOGIN`) and no publisher.
fn lock_entry(name: &str, version: &str, owner: &str) -> String {
    let mut parts = owner.splitn(3, ':');
    let (kind, id, login) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    format!(
        "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nowners-source = \"crates-io-api\"\nowners-fetched = \"2026-11-20T10:00:00Z\"\nowners = [{{ kind = \"{kind}\", id = {id}, login = \"{login}\" }}]\npublisher-source = \"crates-io-api\"\npublisher-fetched = \"2026-11-20T10:00:00Z\"\npublisher = {{ kind = \"none\" }}\n\n"
    )
}

#[test]
fn author_names_match_the_name_part_and_not_a_near_miss() {
    let c = Case::new();
    c.metadata(&[
        ("dbs-bare", "0.2.1", &["Alibaba Dragonball Team"], None),
        (
            "dbs-mail",
            "0.2.1",
            &["ALIBABA DRAGONBALL TEAM <team@example.org>"],
            None,
        ),
        (
            "near-name",
            "1.0.0",
            &["Alibaba Dragon Team <a@example.org>"],
            None,
        ),
        (
            "mail-only",
            "1.0.0",
            &["alibaba-dragonball-team@example.org"],
            None,
        ),
    ]);
    c.write(
        "policy.toml",
        "schema = 1\n[policy]\nid = \"p\"\n\n[[entity]]\nid = \"acme\"\nname = \"Acme\"\nreason = \"listed\"\n[entity.match]\nauthor-names = [\"Alibaba Dragonball Team\"]\n",
    );
    c.write("lock.toml", EMPTY_LOCK);
    let report = c.report();
    // Low by default: info, never a warning.
    assert_eq!(
        summary(&report),
        [
            t("restricted-entity", "dbs-bare", "info"),
            t("restricted-entity", "dbs-mail", "info"),
        ],
        "{report:#}"
    );
    let f = findings(&report)
        .into_iter()
        .find(|f| f["package"]["name"] == "dbs-mail")
        .unwrap();
    let ev = &f["evidence"][0];
    assert_eq!(ev["matcher"], "author-names");
    assert_eq!(ev["fact"], "author");
    assert_eq!(ev["value"], "ALIBABA DRAGONBALL TEAM <team@example.org>");
    assert_eq!(ev["confidence"], "low");

    // At medium, it warns.
    c.write(
        "policy.toml",
        "schema = 1\n[policy]\nid = \"p\"\n\n[[entity]]\nid = \"acme\"\nname = \"Acme\"\nreason = \"listed\"\n[entity.match]\nauthor-names = [{ value = \"Alibaba Dragonball Team\", confidence = \"medium\" }]\n",
    );
    assert_eq!(
        summary(&c.report()),
        [
            t("restricted-entity", "dbs-bare", "warn"),
            t("restricted-entity", "dbs-mail", "warn"),
        ]
    );
}

const REVIEWED_POLICY: &str = r#"schema = 1
[policy]
id = "p"

[[entity]]
id = "acme"
name = "Acme Corp"
reason = "listed"
[entity.match]
crates-io-teams = ["github:AcmeCorp:*"]
email-domains = ["acme.example"]
crates = ["acme-*"]

[[not-affiliated]]
crate = "acme-client"
entity = "acme"
reason = "third-party client, reviewed"
"#;

#[test]
fn not_affiliated_suppresses_only_what_it_reviewed_and_a_later_owner_change_resurfaces() {
    let c = Case::new();
    c.metadata(&[(
        "acme-client",
        "1.0.0",
        &["Eve <eve@acme.example>"],
        Some("https://github.com/someone/acme-client"),
    )]);
    c.write("policy.toml", REVIEWED_POLICY);

    // Reviewed: the name (low) and the author's domain (medium) are suppressed.
    c.write(
        "lock.toml",
        &format!(
            "schema = 1\n\n{}",
            lock_entry("acme-client", "1.0.0", "user:1:someone")
        ),
    );
    let report = c.report();
    assert_eq!(
        summary(&report),
        [t("not-affiliated", "acme-client", "info")],
        "{report:#}"
    );

    // The crate later gains an owner from the entity's own team: high evidence that the
    // review did not see. It makes a finding again, which names the entry.
    c.write(
        "lock.toml",
        &format!(
            "schema = 1\n\n{}",
            lock_entry("acme-client", "1.0.0", "team:9:github:AcmeCorp:owners")
        ),
    );
    let report = c.report();
    assert_eq!(
        summary(&report),
        [
            t("not-affiliated", "acme-client", "info"),
            t("restricted-entity", "acme-client", "deny"),
        ],
        "{report:#}"
    );
    let f = findings(&report)
        .into_iter()
        .find(|f| f["code"] == "restricted-entity")
        .unwrap();
    let matchers: Vec<&str> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["matcher"].as_str().unwrap())
        .collect();
    assert_eq!(matchers, ["crates-io-teams"]);
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("not covered by the `[[not-affiliated]]` entry at policy.toml:14"),
        "{message}"
    );
    let out = c.check(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // explain tells what was suppressed and what was not.
    let out = c.run(&[
        "explain",
        "acme-client",
        "--metadata-path",
        "meta.json",
        "--policy",
        "policy.toml",
        "--locked",
        "--facts",
        "lock.toml",
        "--today",
        "2026-11-30",
    ]);
    let text = stdout(&out);
    assert!(
        text.contains("part of the evidence suppressed by [[not-affiliated]]"),
        "{text}"
    );
    assert!(
        text.contains("match: owner `github:AcmeCorp:owners` ~ crates-io-teams"),
        "{text}"
    );
    assert!(
        text.contains("suppressed: author-email `Eve <eve@acme.example>` ~ email-domains"),
        "{text}"
    );
}

#[test]
fn not_affiliated_matchers_name_what_was_reviewed() {
    let c = Case::new();
    c.metadata(&[("acme-client", "1.0.0", &["Eve <eve@acme.example>"], None)]);
    // Only the name was reviewed: the author's domain still warns, naming the entry.
    c.write(
        "policy.toml",
        &format!("{REVIEWED_POLICY}matchers = [\"crates\"]\n"),
    );
    c.write(
        "lock.toml",
        &format!(
            "schema = 1\n\n{}",
            lock_entry("acme-client", "1.0.0", "user:1:someone")
        ),
    );
    let report = c.report();
    assert_eq!(
        summary(&report),
        [
            t("not-affiliated", "acme-client", "info"),
            t("restricted-entity", "acme-client", "warn"),
        ],
        "{report:#}"
    );
    // An unknown matcher name is an error with a hint.
    c.write(
        "policy.toml",
        &format!("{REVIEWED_POLICY}matchers = [\"crate\"]\n"),
    );
    let out = c.check(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unknown matcher `crate` in `matchers` of [[not-affiliated]]"),
        "{err}"
    );
    assert!(err.contains("did you mean `crates`?"), "{err}");
}

#[test]
fn orgs_and_repositories_cannot_clear_a_package_whose_owners_are_unknown() {
    for matcher in [
        "orgs = [\"github.com/AcmeCorp\"]",
        "repositories = [\"https://github.com/AcmeCorp/*\"]",
    ] {
        let c = Case::new();
        c.metadata(&[
            ("known", "1.0.0", &[], None),
            ("unknown", "1.0.0", &[], None),
        ]);
        c.write(
            "policy.toml",
            &format!(
                "schema = 1\n[policy]\nid = \"p\"\n\n[[entity]]\nid = \"acme\"\nname = \"Acme\"\nreason = \"listed\"\n[entity.match]\n{matcher}\n"
            ),
        );
        c.write(
            "lock.toml",
            &format!(
                "schema = 1\n\n{}",
                lock_entry("known", "1.0.0", "user:1:someone")
            ),
        );
        let report = c.report();
        assert_eq!(
            summary(&report),
            [t("missing-facts", "unknown", "warn")],
            "{matcher}: {report:#}"
        );
        let message = findings(&report)[0]["message"]
            .as_str()
            .unwrap()
            .to_string();
        let kind = matcher.split(' ').next().unwrap();
        assert!(
            message.contains(&format!(
                "so the {kind} matchers of acme could not be evaluated"
            )),
            "{message}"
        );
        // Not a silent pass: the run says so, and `missing-facts = "deny"` fails it.
        let out = c.check(&["--fail-on", "warn"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    }
}

#[test]
fn reviewed_dates_are_shown_and_a_stale_builtin_warns_in_every_report() {
    let c = Case::new();
    c.metadata(&[("plain", "1.0.0", &[], None)]);
    c.write("lock.toml", EMPTY_LOCK);
    let run = |today: &str, format: &str| {
        let out = c.run(&[
            "check",
            "--metadata-path",
            "meta.json",
            "--policy",
            "builtin:us-federal",
            "--locked",
            "--facts",
            "lock.toml",
            "--today",
            today,
            "--format",
            format,
            "--fail-on",
            "never",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let stale = "builtin:us-federal was last reviewed on 2026-11-30, 181 days before 2027-05-30";
    // 180 days after the review: fresh.
    let human = run("2027-05-29", "human");
    assert!(
        human.contains("policy builtin:us-federal (reviewed 2026-11-30)"),
        "{human}"
    );
    assert!(!human.contains("last reviewed"), "{human}");
    // 181 days: stale, with how to update.
    for format in ["human", "markdown", "sarif"] {
        let text = run("2027-05-30", format);
        assert!(text.contains(stale), "{format}: {text}");
        assert!(
            text.contains("update cargo-vendor-audit"),
            "{format}: {text}"
        );
    }
    let human = run("2027-05-30", "human");
    assert!(human.contains(&format!("warning: {stale}")), "{human}");
    let md = run("2027-05-30", "markdown");
    assert!(
        md.contains("<code>builtin:us-federal</code> (reviewed 2026-11-30)"),
        "{md}"
    );
    let sarif: Value = serde_json::from_str(&run("2027-05-30", "sarif")).unwrap();
    assert_eq!(
        sarif["runs"][0]["properties"]["policies"][0]["reviewed"],
        "2026-11-30"
    );
    let json: Value = serde_json::from_str(&run("2027-05-30", "json")).unwrap();
    assert_eq!(json["policies"][0]["reviewed"], "2026-11-30");

    // policy check shows it and warns the same way.
    let out = c.run(&[
        "policy",
        "check",
        "builtin:us-federal",
        "--today",
        "2027-05-30",
    ]);
    let text = stdout(&out);
    assert!(
        text.contains("reviewed: builtin:us-federal on 2026-11-30"),
        "{text}"
    );
    assert!(text.contains(&format!("warning: {stale}")), "{text}");

    // A policy of one's own is shown with its date, never called stale.
    c.write(
        "policy.toml",
        "schema = 1\n[policy]\nid = \"p\"\nreviewed = 2020-01-01\n",
    );
    let out = c.check(&[]);
    let text = stdout(&out);
    assert!(
        text.contains("policy policy.toml (reviewed 2020-01-01)"),
        "{text}"
    );
    assert!(!text.contains("last reviewed"), "{text}");
}

#[test]
fn deny_threshold_below_warn_threshold_is_allowed_and_policy_check_warns() {
    let c = Case::new();
    c.metadata(&[("acme-tool", "1.0.0", &["Eve <eve@acme.example>"], None)]);
    c.write(
        "policy.toml",
        "schema = 1\n[policy]\nid = \"p\"\ndeny-min-confidence = \"low\"\n\n[[entity]]\nid = \"acme\"\nname = \"Acme\"\nreason = \"listed\"\n[entity.match]\nemail-domains = [{ value = \"acme.example\", confidence = \"low\" }]\n",
    );
    c.write("lock.toml", EMPTY_LOCK);
    // Any evidence that reaches the deny threshold denies.
    assert_eq!(
        summary(&c.report()),
        [t("restricted-entity", "acme-tool", "deny")]
    );
    let out = c.run(&["policy", "check", "policy.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "warning: `deny-min-confidence` (low) is below `warn-min-confidence` (medium)"
        ),
        "{text}"
    );
}

#[test]
fn look_alike_policy_identifiers_are_errors_with_a_hint() {
    let c = Case::new();
    c.metadata(&[("plain", "1.0.0", &[], None)]);
    c.write("lock.toml", EMPTY_LOCK);
    for (matcher, needle) in [
        // A Cyrillic `а` (U+0430) in an org.
        (
            "orgs = [\"github.com/K\u{430}sperskyLab\"]",
            "mixes scripts: `\u{430}` (U+0430)",
        ),
        // A zero-width space in a host.
        (
            "hosts = [\"kaspersky\u{200b}.com\"]",
            "invisible character, U+200B",
        ),
        // ... in a repository glob, an e-mail domain, a login, a team.
        (
            "repositories = [\"https://github.com/K\u{430}sperskyLab/*\"]",
            "U+0430",
        ),
        ("email-domains = [\"k\u{430}spersky.com\"]", "U+0430"),
        ("crates-io-logins = [\"k\u{430}spersky\"]", "U+0430"),
        (
            "crates-io-teams = [\"github:K\u{430}sperskyLab:*\"]",
            "U+0430",
        ),
        // An invisible character in a name matcher.
        (
            "copyright-holders = [\"AO Kaspersky\u{200d} Lab\"]",
            "invisible character, U+200D",
        ),
    ] {
        c.write(
            "policy.toml",
            &format!(
                "schema = 1\n[policy]\nid = \"p\"\n\n[[entity]]\nid = \"k\"\nname = \"K\"\nreason = \"listed\"\n[entity.match]\n{matcher}\n"
            ),
        );
        let out = c.check(&[]);
        assert_eq!(out.status.code(), Some(2), "{matcher}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains(needle), "{matcher}: {err}");
        assert!(err.contains("policy.toml:10:"), "{matcher}: {err}");
        assert!(
            err.contains("retype"),
            "{matcher}: the hint says what to do: {err}"
        );
    }
    // Names in another script are fine where names are compared.
    c.write(
        "policy.toml",
        "schema = 1\n[policy]\nid = \"p\"\n\n[[entity]]\nid = \"h\"\nname = \"H\"\nreason = \"listed\"\n[entity.match]\ncopyright-holders = [\"华为技术有限公司\"]\n",
    );
    assert_eq!(c.check(&[]).status.code(), Some(0));
}

#[test]
fn a_very_deep_extends_chain_is_refused_without_overflowing() {
    let c = Case::new();
    c.metadata(&[("plain", "1.0.0", &[], None)]);
    c.write("lock.toml", EMPTY_LOCK);
    let depth = 20_000;
    for i in 0..depth {
        let extends = if i + 1 < depth {
            format!("extends = [\"p{}.toml\"]\n", i + 1)
        } else {
            String::new()
        };
        c.write(
            &format!("p{i}.toml"),
            &format!("schema = 1\n[policy]\nid = \"p{i}\"\n{extends}"),
        );
    }
    std::fs::copy(c.path().join("p0.toml"), c.path().join("policy.toml")).unwrap();
    let out = c.check(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("`extends` chain too deep"), "{err}");
    assert!(err.contains("more than the 64 allowed"), "{err}");
    assert!(!err.contains("overflow"), "{err}");
}

#[cfg(unix)]
#[test]
fn extends_naming_a_fifo_is_an_error_not_a_hang() {
    let c = Case::new();
    c.metadata(&[("plain", "1.0.0", &[], None)]);
    c.write("lock.toml", EMPTY_LOCK);
    let fifo = c.path().join("base.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    c.write(
        "policy.toml",
        "schema = 1\n[policy]\nid = \"p\"\nextends = [\"base.toml\"]\n",
    );
    let out = c.check(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("it is a FIFO (named pipe), not a regular file"),
        "{err}"
    );
    assert!(err.contains("policy.toml:4:"), "{err}");
    // Named directly, too.
    let out = c.run(&["policy", "check", "base.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("named pipe"), "{}", stderr(&out));
}

/// Every entity of the shipped policies cites something, and every cited id is defined.
#[test]
fn shipped_policies_list_every_entity_with_known_citations() {
    let c = Case::new();
    for (name, entities) in [
        (
            "us-federal",
            &[
                "kaspersky",
                "huawei",
                "positive-technologies",
                "acronis",
                "dji",
            ][..],
        ),
        (
            "us-dod",
            &[
                "tencent",
                "alibaba",
                "baidu",
                "unitree",
                "china-mobile-group",
                "huawei",
            ][..],
        ),
    ] {
        let out = c.run(&[
            "policy",
            "check",
            &format!("builtin:{name}"),
            "--today",
            "2026-11-30",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(!text.contains("warning:"), "{text}");
        let (body, cited) = text.split_once("\ncitations:\n").unwrap();
        let defined: Vec<&str> = cited
            .lines()
            .take_while(|l| l.starts_with("  "))
            .map(|l| l.trim().split(':').next().unwrap())
            .collect();
        let mut current = None;
        let mut seen = Vec::new();
        for line in body.lines() {
            if line.starts_with("  ") && !line.starts_with("   ") {
                if let Some(id) = current.take() {
                    panic!("{name}: entity {id} has no citations: {text}");
                }
                current = Some(line.trim().split(' ').next().unwrap().to_string());
            } else if let Some(ids) = line.trim().strip_prefix("citations: ") {
                let id = current.take().unwrap();
                for cited in ids.split(", ") {
                    assert!(defined.contains(&cited), "{name}: {id} cites {cited}");
                }
                seen.push(id);
            }
        }
        assert!(current.is_none(), "{text}");
        for e in entities {
            assert!(
                seen.iter().any(|s| s == e),
                "{name}: {e} not listed: {text}"
            );
        }
    }
}
