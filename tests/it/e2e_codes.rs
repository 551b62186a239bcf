//! End-to-end: every finding code, the severity rule, exceptions, `--fail-on` and every
//! exit code, the graph options (`-p`, `--target`, `--exclude-dev`, `--include-workspace`),
//! the output options, the two ways of invoking the tool, and policy discovery.

use std::path::Path;
use std::sync::OnceLock;

use crate::support::*;
use serde_json::{Value, json};

/// The workspace most tests audit:
///
/// ```text
/// app (member) ── evil 1.0.0                 github.com/EvilCorp/evil
///              ├─ mid 0.5.0 (path) ── evil, deep 3.0.0   github.com/EvilCorp/deep
///              ├─ builder 0.1.0 (build)      github.com/EvilCorp/builder
///              ├─ tester 0.1.0 (dev)         github.com/EvilCorp/tester
///              ├─ winonly 0.1.0 (cfg(windows)) github.com/EvilCorp/winonly
///              ├─ future-crate 0.1.0         future.example.net
///              ├─ weakdep 0.1.0 (optional, only `weakdep?/std`: not built)
///              ├─ gdep 0.3.0 (file:// git)
///              └─ altdep 0.4.2 (alt registry)
/// tool (member, github.com/EvilCorp/tool) ── toolonly 0.1.0   github.com/EvilCorp/toolonly
/// ```
fn fixture() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        let evil_org = |name: &str, version: &str| {
            Krate::new(name, version).repository(&format!("https://github.com/EvilCorp/{name}"))
        };
        Fixture::builder()
            .member(
                Krate::new("app", "0.1.0")
                    .dep(Dep::crates_io("evil", "1"))
                    .dep(Dep::path("mid"))
                    .dep(Dep::crates_io("builder", "0.1").build())
                    .dep(Dep::crates_io("tester", "0.1").dev())
                    .dep(Dep::crates_io("winonly", "0.1").target("cfg(windows)"))
                    .dep(Dep::crates_io("future-crate", "0.1"))
                    .dep(Dep::crates_io("weakdep", "0.1").optional())
                    .dep(Dep::git("gdep"))
                    .dep(Dep::registry("altdep", "0.4"))
                    .feature("default", &["x"])
                    .feature("x", &["weakdep?/std"]),
            )
            .member(evil_org("tool", "0.1.0").dep(Dep::crates_io("toolonly", "0.1")))
            .path_crate(
                Krate::new("mid", "0.5.0")
                    .dep(Dep::crates_io("evil", "1"))
                    .dep(Dep::crates_io("deep", "3")),
            )
            .vendored(evil_org("evil", "1.0.0"))
            .vendored(evil_org("deep", "3.0.0"))
            .vendored(evil_org("builder", "0.1.0"))
            .vendored(evil_org("tester", "0.1.0"))
            .vendored(evil_org("winonly", "0.1.0"))
            .vendored(evil_org("toolonly", "0.1.0"))
            .vendored(evil_org("weakdep", "0.1.0").feature("std", &[]))
            .vendored(Krate::new("future-crate", "0.1.0").homepage("https://future.example.net/"))
            .git(Krate::new("gdep", "0.3.0"))
            .registry(Krate::new("altdep", "0.4.2"))
            .file("vendor-audit.lock", &facts_lock())
            .file(EMPTY_LOCK, "schema = 1\n")
            .build()
    })
}

/// The crates.io packages the fixture reaches.
const REACHED_VENDORED: [(&str, &str); 7] = [
    ("builder", "0.1.0"),
    ("deep", "3.0.0"),
    ("evil", "1.0.0"),
    ("future-crate", "0.1.0"),
    ("tester", "0.1.0"),
    ("toolonly", "0.1.0"),
    ("winonly", "0.1.0"),
];

/// The facts lock at the fixture's root: every crates.io package reached has known owners
/// (one unrelated user) and no publisher, so that `orgs` and `repositories` can clear them
/// and no `missing-facts` is reported unless a test asks for it ([`no_facts`]).
fn facts_lock() -> String {
    let mut lock = String::from("schema = 1\n\n");
    for (name, version) in REACHED_VENDORED {
        lock.push_str(&format!(
            "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nowners-source = \"crates-io-api\"\nowners-fetched = \"2026-11-20T10:00:00Z\"\nowners = [{{ kind = \"user\", id = 1, login = \"maintainer\" }}]\npublisher-source = \"crates-io-api\"\npublisher-fetched = \"2026-11-20T10:00:00Z\"\npublisher = {{ kind = \"none\" }}\n\n"
        ));
    }
    lock
}

/// An empty facts lock in the fixture's workspace.
const EMPTY_LOCK: &str = "facts-empty.lock";

/// `--facts` naming the empty lock: no owner or publisher is known.
fn no_facts(fx: &Fixture) -> [std::ffi::OsString; 2] {
    ["--facts".into(), fx.ws.join(EMPTY_LOCK).into_os_string()]
}

/// Every package `orgs = ["github.com/EvilCorp"]` finds by default.
const EVILCORP: [&str; 6] = ["builder", "deep", "evil", "tester", "toolonly", "winonly"];

fn strings(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn evilcorp_orgs() -> String {
    policy("", &entity("evilcorp", r#"orgs = ["github.com/EvilCorp"]"#))
}

/// A policy whose entity `evilcorp` matches only `evil`, plus `body`.
fn only_evil(settings: &str, body: &str) -> String {
    policy(
        settings,
        &format!(
            "{}{}{body}",
            entity(
                "evilcorp",
                r#"repositories = ["https://github.com/EvilCorp/evil"]"#
            ),
            // A second entity that matches nothing, for exceptions naming it.
            entity("other", r#"crates = ["no-such-crate-anywhere"]"#),
        ),
    )
}

fn exception(fields: &str) -> String {
    format!("[[exception]]\n{fields}\nreason = \"reviewed by e2e\"\n\n")
}

fn severity_of(report: &Value, code: &str, name: &str) -> String {
    one(report, code, name)["severity"]
        .as_str()
        .unwrap()
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Severity rule

fn evil_severity(settings: &str, entity_keys: &str, match_toml: &str) -> (String, Value) {
    let fx = fixture();
    let text = policy(settings, &entity_with("evilcorp", entity_keys, match_toml));
    let report = fx.audit(Some(&text)).json().report();
    let f = one(&report, "restricted-entity", "evil").clone();
    (f["severity"].as_str().unwrap().to_string(), f)
}

#[test]
fn severity_deny_needs_a_deny_entity_and_enough_confidence() {
    let orgs = r#"orgs = ["github.com/EvilCorp"]"#;
    let medium = r#"orgs = [{ value = "github.com/EvilCorp", confidence = "medium" }]"#;
    let low = r#"orgs = [{ value = "github.com/EvilCorp", confidence = "low" }]"#;

    assert_eq!(evil_severity("", "", orgs).0, "deny");
    assert_eq!(evil_severity("", "severity = \"deny\"", orgs).0, "deny");
    assert_eq!(evil_severity("", "severity = \"warn\"", orgs).0, "warn");

    let (sev, f) = evil_severity("", "", medium);
    assert_eq!(sev, "warn");
    assert_eq!(evidence(&f)[0]["confidence"], "medium");
    assert_eq!(
        evil_severity("deny-min-confidence = \"medium\"", "", medium).0,
        "deny"
    );
    assert_eq!(
        evil_severity(
            "deny-min-confidence = \"medium\"",
            "severity = \"warn\"",
            medium
        )
        .0,
        "warn"
    );

    let (sev, f) = evil_severity("", "", low);
    assert_eq!(sev, "info");
    assert_eq!(evidence(&f)[0]["confidence"], "low");
    assert_eq!(
        evil_severity("warn-min-confidence = \"low\"", "", low).0,
        "warn"
    );
}

#[test]
fn severity_takes_the_strongest_evidence() {
    let (sev, f) = evil_severity(
        "",
        "",
        "crates = [\"evil\"]\norgs = [\"github.com/EvilCorp\"]",
    );
    assert_eq!(sev, "deny");
    let mut got = evidence(&f);
    got.sort_by_key(|e| e["matcher"].as_str().unwrap().to_string());
    assert_eq!(
        got,
        [
            ev("crates", "evil", "name", "evil", "low", "cargo-metadata"),
            ev(
                "orgs",
                "github.com/EvilCorp",
                "repository",
                "https://github.com/EvilCorp/evil",
                "high",
                "cargo-metadata"
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// upcoming-restriction and entity dates

#[test]
fn upcoming_restriction_before_effective_then_restricted() {
    let fx = fixture();
    let text = policy(
        "",
        &entity_with(
            "evilcorp",
            "effective = 2027-01-01",
            r#"orgs = ["github.com/EvilCorp"]"#,
        ),
    );
    let before = fx.audit(Some(&text)).json();
    before.expect_code(0);
    let report = before.report();
    assert_eq!(
        packages_with(&report, "upcoming-restriction"),
        strings(&EVILCORP)
    );
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        Vec::<String>::new()
    );
    let f = one(&report, "upcoming-restriction", "evil");
    assert_eq!(f["severity"], "warn");
    assert_eq!(f["entity"], "evilcorp");
    assert_eq!(report["today"], TODAY);

    let on = fx.audit(Some(&text)).today(Some("2027-01-01")).json();
    on.expect_code(1);
    let report = on.report();
    assert_eq!(report["today"], "2027-01-01");
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        strings(&EVILCORP)
    );
    assert_eq!(
        packages_with(&report, "upcoming-restriction"),
        Vec::<String>::new()
    );
    assert_eq!(severity_of(&report, "restricted-entity", "evil"), "deny");
}

#[test]
fn upcoming_restriction_with_low_confidence_is_info() {
    let fx = fixture();
    let text = policy(
        "",
        &entity_with(
            "evilcorp",
            "effective = 2027-01-01",
            r#"orgs = [{ value = "github.com/EvilCorp", confidence = "low" }]"#,
        ),
    );
    let report = fx.audit(Some(&text)).json().report();
    assert_eq!(severity_of(&report, "upcoming-restriction", "evil"), "info");
}

#[test]
fn an_entity_no_longer_matches_on_or_after_expires() {
    let fx = fixture();
    let m = r#"orgs = ["github.com/EvilCorp"]"#;
    let expired = policy("", &entity_with("evilcorp", "expires = 2026-11-27", m));
    let run = fx.audit(Some(&expired)).json();
    run.expect_code(0);
    assert_eq!(triples(&run.report()), []);

    let live = policy("", &entity_with("evilcorp", "expires = 2026-11-28", m));
    let run = fx.audit(Some(&live)).json();
    run.expect_code(1);
    assert_eq!(
        packages_with(&run.report(), "restricted-entity"),
        strings(&EVILCORP)
    );
}

// ---------------------------------------------------------------------------------------
// Exceptions

/// Runs `only_evil` with one exception; gives the report and the exit code.
fn with_exception(settings: &str, fields: &str) -> (Value, i32, String) {
    let fx = fixture();
    let text = only_evil(settings, &exception(fields));
    let run = fx.audit(Some(&text)).json();
    (run.report(), run.code, text)
}

/// The waived finding: kept with severity info and the exception filled in.
#[track_caller]
fn assert_waived(report: &Value, code: i32) {
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        triples(report),
        [(
            "restricted-entity".to_string(),
            "evil".to_string(),
            "evilcorp".to_string()
        )]
    );
    let f = one(report, "restricted-entity", "evil");
    assert_eq!(f["severity"], "info");
    let written = f["exception"]["crate"]
        .as_str()
        .unwrap_or_else(|| panic!("{f:#}"));
    assert_eq!(written.to_lowercase().replace('_', "-"), "evil", "{f:#}");
    assert_eq!(
        report["summary"],
        json!({"packages": report["summary"]["packages"], "audited": report["summary"]["audited"],
               "deny": 0, "warn": 0, "info": 1})
    );
}

/// The exception did not apply: the finding stands and the exception is unused.
#[track_caller]
fn assert_not_waived(report: &Value, code: i32) {
    assert_eq!(code, 1, "{report:#}");
    let f = one(report, "restricted-entity", "evil");
    assert_eq!(f["severity"], "deny");
    assert_eq!(f["exception"], Value::Null);
    let unused: Vec<_> = findings(report)
        .iter()
        .filter(|f| f["code"] == "unused-exception")
        .collect();
    assert_eq!(unused.len(), 1, "{report:#}");
    assert_eq!(unused[0]["exception"]["crate"], "evil");
}

#[test]
fn exception_waives_a_finding() {
    let (report, code, text) = with_exception("", "crate = \"evil\"\nexpires = 2027-01-01");
    assert_waived(&report, code);
    let x = &one(&report, "restricted-entity", "evil")["exception"];
    assert_eq!(x["crate"], "evil");
    assert_eq!(x["version"], Value::Null);
    assert_eq!(x["entity"], Value::Null);
    assert_eq!(x["expires"], "2027-01-01");
    assert_eq!(x["reason"], "reviewed by e2e");
    assert_exception_at(x, &text, &report);
}

/// `at` is `file:line`, the file as given to `--policy` and a line of the `[[exception]]`.
#[track_caller]
fn assert_exception_at(x: &Value, text: &str, report: &Value) {
    let at = x["at"].as_str().unwrap_or_else(|| panic!("no `at`: {x:#}"));
    let source = report["policies"][0]["source"].as_str().unwrap();
    let line: usize = at
        .strip_prefix(&format!("{source}:"))
        .unwrap_or_else(|| panic!("`at` {at} is not {source}:LINE"))
        .parse()
        .unwrap_or_else(|_| panic!("`at` {at} has no line number"));
    let first = text.lines().position(|l| l == "[[exception]]").unwrap() + 1;
    let last = first
        + text
            .lines()
            .skip(first)
            .take_while(|l| !l.is_empty())
            .count();
    assert!(
        (first..=last).contains(&line),
        "`at` line {line} is not within the exception (lines {first}-{last})"
    );
}

#[test]
fn exception_crate_names_fold_case_and_dashes() {
    let (r, c, _) = with_exception("", "crate = \"EVIL\"\nexpires = 2027-01-01");
    assert_waived(&r, c);
    // The exception as written.
    assert_eq!(
        one(&r, "restricted-entity", "evil")["exception"]["crate"],
        "EVIL"
    );
}

#[test]
fn exception_version_requirement() {
    let (r, c, _) = with_exception(
        "",
        "crate = \"evil\"\nversion = \"=1.0.0\"\nexpires = 2027-01-01",
    );
    assert_waived(&r, c);
    let (r, c, _) = with_exception(
        "",
        "crate = \"evil\"\nversion = \"^1\"\nexpires = 2027-01-01",
    );
    assert_waived(&r, c);
    let (r, c, _) = with_exception(
        "",
        "crate = \"evil\"\nversion = \"=2.0.0\"\nexpires = 2027-01-01",
    );
    assert_not_waived(&r, c);
    let unused = findings(&r)
        .iter()
        .find(|f| f["code"] == "unused-exception")
        .unwrap();
    assert_eq!(unused["exception"]["version"], "=2.0.0");
}

#[test]
fn exception_entity() {
    let (r, c, _) = with_exception(
        "",
        "crate = \"evil\"\nentity = \"evilcorp\"\nexpires = 2027-01-01",
    );
    assert_waived(&r, c);
    assert_eq!(
        one(&r, "restricted-entity", "evil")["exception"]["entity"],
        "evilcorp"
    );
    let (r, c, _) = with_exception(
        "",
        "crate = \"evil\"\nentity = \"other\"\nexpires = 2027-01-01",
    );
    assert_not_waived(&r, c);
    let unused = findings(&r)
        .iter()
        .find(|f| f["code"] == "unused-exception")
        .unwrap();
    assert_eq!(unused["entity"], "other");
    assert_eq!(unused["exception"]["entity"], "other");
}

#[test]
fn exception_kinds() {
    let (r, c, _) = with_exception(
        "",
        "crate = \"evil\"\nkinds = [\"normal\"]\nexpires = 2027-01-01",
    );
    assert_waived(&r, c);
    let (r, c, _) = with_exception(
        "",
        "crate = \"evil\"\nkinds = [\"build\"]\nexpires = 2027-01-01",
    );
    assert_not_waived(&r, c);
}

#[test]
fn exception_kinds_on_a_build_dependency() {
    let fx = fixture();
    let body = format!(
        "{}{}",
        entity(
            "evilcorp",
            r#"repositories = ["https://github.com/EvilCorp/builder"]"#
        ),
        exception("crate = \"builder\"\nkinds = [\"build\"]\nexpires = 2027-01-01")
    );
    let run = fx.audit(Some(&policy("", &body))).json();
    run.expect_code(0);
    let report = run.report();
    let f = one(&report, "restricted-entity", "builder");
    assert_eq!(kinds(f), ["build"]);
    assert_eq!(f["severity"], "info");
    assert_eq!(f["exception"]["crate"], "builder");
}

#[test]
fn exception_via() {
    let x = |via: &str| format!("crate = \"evil\"\nvia = {via}\nexpires = 2027-01-01");
    let (r, c, _) = with_exception("", &x(r#"["mid"]"#));
    assert_waived(&r, c);
    let (r, c, _) = with_exception("", &x(r#"["app", "mid"]"#));
    assert_waived(&r, c);
    // Wrong order, and a crate that is on no path to evil.
    let (r, c, _) = with_exception("", &x(r#"["mid", "app"]"#));
    assert_not_waived(&r, c);
    let (r, c, _) = with_exception("", &x(r#"["tool"]"#));
    assert_not_waived(&r, c);
}

#[test]
fn expired_exception_is_a_finding_and_the_finding_stands() {
    // Expires today: expired.
    let (r, c, text) = with_exception("", "crate = \"evil\"\nexpires = 2026-11-27");
    assert_eq!(c, 1);
    assert_eq!(
        triples(&r),
        [
            ("expired-exception".into(), "evil".into(), "evilcorp".into()),
            ("restricted-entity".into(), "evil".into(), "evilcorp".into()),
        ]
    );
    let x = one(&r, "expired-exception", "evil");
    assert_eq!(x["severity"], "deny");
    assert_eq!(x["package"]["version"], "1.0.0");
    assert_eq!(x["exception"]["crate"], "evil");
    assert_eq!(x["exception"]["expires"], "2026-11-27");
    assert_eq!(x["exception"]["reason"], "reviewed by e2e");
    assert_exception_at(&x["exception"], &text, &r);
    let f = one(&r, "restricted-entity", "evil");
    assert_eq!(f["severity"], "deny");
    assert_eq!(f["exception"], Value::Null);
    // Not also unused: it would have applied.
    assert_eq!(
        findings(&r)
            .iter()
            .filter(|f| f["code"] == "unused-exception")
            .count(),
        0
    );

    let (r, _, _) = with_exception(
        "expired-exception = \"warn\"",
        "crate = \"evil\"\nexpires = 2026-11-27",
    );
    assert_eq!(severity_of(&r, "expired-exception", "evil"), "warn");
}

#[test]
fn an_expired_exception_next_to_a_valid_one_is_not_unused() {
    let fx = fixture();
    let text = only_evil(
        "",
        &format!(
            "{}{}",
            exception("crate = \"evil\"\nexpires = 2026-01-01"),
            exception("crate = \"evil\"\nexpires = 2027-01-01")
        ),
    );
    let run = fx.audit(Some(&text)).json();
    let report = run.report();
    let f = one(&report, "restricted-entity", "evil");
    assert_eq!(f["severity"], "info");
    assert_eq!(f["exception"]["expires"], "2027-01-01");
    // The expired one matched the finding: it is not "unused".
    let unused: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["code"] == "unused-exception")
        .collect();
    assert_eq!(unused, Vec::<&Value>::new());
}

#[test]
fn unused_exception_levels() {
    let fields = "crate = \"ghost\"\nversion = \"^2\"\nexpires = 2027-01-01";
    let (r, c, text) = with_exception("", fields);
    assert_eq!(c, 1, "evil is still denied");
    let unused: Vec<&Value> = findings(&r)
        .iter()
        .filter(|f| f["code"] == "unused-exception")
        .collect();
    assert_eq!(unused.len(), 1, "{r:#}");
    let u = unused[0];
    assert_eq!(u["severity"], "warn");
    assert_eq!(u["package"], Value::Null);
    assert_eq!(u["entity"], Value::Null);
    assert_eq!(u["exception"]["crate"], "ghost");
    assert_eq!(u["exception"]["version"], "^2");
    assert_eq!(u["exception"]["entity"], Value::Null);
    assert_eq!(u["exception"]["expires"], "2027-01-01");
    assert_eq!(u["exception"]["reason"], "reviewed by e2e");
    assert_exception_at(&u["exception"], &text, &r);

    let (r, _, _) = with_exception("unused-exception = \"deny\"", fields);
    let u = findings(&r)
        .iter()
        .find(|f| f["code"] == "unused-exception")
        .unwrap();
    assert_eq!(u["severity"], "deny");

    let (r, _, _) = with_exception("unused-exception = \"allow\"", fields);
    assert_eq!(
        triples(&r),
        [("restricted-entity".into(), "evil".into(), "evilcorp".into())]
    );
}

#[test]
fn not_affiliated_suppresses_the_match() {
    let fx = fixture();
    // The match is high-confidence, so the entry names the matcher it reviewed.
    let body = "[[not-affiliated]]\ncrate = \"evil\"\nentity = \"evilcorp\"\nreason = \"a namesake\"\nmatchers = [\"repositories\"]\n";
    let run = fx.audit(Some(&only_evil("", body))).json();
    run.expect_code(0);
    let report = run.report();
    assert_eq!(
        triples(&report),
        [("not-affiliated".into(), "evil".into(), "evilcorp".into())]
    );
    let f = one(&report, "not-affiliated", "evil");
    assert_eq!(f["severity"], "info");
    assert_eq!(report["summary"]["info"], 1);
    assert_eq!(report["summary"]["deny"], 0);
}

// ---------------------------------------------------------------------------------------
// missing-facts levels

#[test]
fn missing_facts_levels() {
    let fx = fixture();
    let m = r#"crates-io-logins = ["evil-bot"]"#;
    let reached_vendored = strings(&[
        "builder",
        "deep",
        "evil",
        "future-crate",
        "tester",
        "toolonly",
        "winonly",
    ]);

    let run = fx
        .audit(Some(&policy("", &entity("pubs", m))))
        .args(no_facts(fx))
        .json();
    run.expect_code(0);
    let r = run.report();
    assert_eq!(packages_with(&r, "missing-facts"), reached_vendored);
    assert_eq!(severity_of(&r, "missing-facts", "deep"), "warn");

    let run = fx
        .audit(Some(&policy(
            "missing-facts = \"deny\"",
            &entity("pubs", m),
        )))
        .args(no_facts(fx))
        .json();
    run.expect_code(1);
    let r = run.report();
    assert_eq!(packages_with(&r, "missing-facts"), reached_vendored);
    assert_eq!(severity_of(&r, "missing-facts", "deep"), "deny");
    assert_eq!(r["summary"]["deny"], reached_vendored.len());

    let run = fx
        .audit(Some(&policy(
            "missing-facts = \"allow\"",
            &entity("pubs", m),
        )))
        .args(no_facts(fx))
        .json();
    run.expect_code(0);
    assert_eq!(triples(&run.report()), []);
}

// ---------------------------------------------------------------------------------------
// All codes at once, and the order of the JSON report

fn all_codes_policy() -> String {
    policy(
        "",
        &format!(
            "{}{}{}{}{}{}{}",
            entity(
                "evilcorp",
                "repositories = [\"https://github.com/EvilCorp/evil\", \
                 \"https://github.com/EvilCorp/deep\", \"https://github.com/EvilCorp/builder\"]"
            ),
            entity_with(
                "future",
                "effective = 2027-01-01",
                r#"hosts = ["future.example.net"]"#
            ),
            entity("pubs", r#"crates-io-logins = ["evil-bot"]"#),
            exception("crate = \"deep\"\nexpires = 2026-01-01"),
            exception("crate = \"ghost\"\nexpires = 2027-01-01"),
            "[[not-affiliated]]\ncrate = \"builder\"\nentity = \"evilcorp\"\nreason = \"a namesake\"\nmatchers = [\"repositories\"]\n\n",
            "[origins]\nunknown-registry = \"warn\"\nunknown-git = \"deny\"\n",
        ),
    )
}

fn t(code: &str, name: &str, entity: &str) -> (String, String, String) {
    (code.into(), name.into(), entity.into())
}

#[test]
fn every_code_in_one_report_sorted_as_spec_says() {
    let fx = fixture();
    let run = fx
        .audit(Some(&all_codes_policy()))
        .args(no_facts(fx))
        .json();
    run.expect_code(1);
    let report = run.report();
    let mut expected = vec![
        // deny
        t("expired-exception", "deep", "evilcorp"),
        t("restricted-entity", "deep", "evilcorp"),
        t("restricted-entity", "evil", "evilcorp"),
        t("unapproved-git", "gdep", "-"),
    ];
    // warn
    for name in [
        "builder",
        "deep",
        "evil",
        "future-crate",
        "tester",
        "toolonly",
        "winonly",
    ] {
        expected.push(t("missing-facts", name, "-"));
    }
    expected.push(t("unapproved-registry", "altdep", "-"));
    expected.push(t("unused-exception", "-", "-"));
    expected.push(t("upcoming-restriction", "future-crate", "future"));
    // info
    expected.push(t("not-affiliated", "builder", "evilcorp"));
    assert_eq!(triples(&report), expected, "{report:#}");

    let sevs: Vec<&str> = findings(&report)
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(sevs[..4], ["deny"; 4]);
    assert_eq!(sevs[4..14], ["warn"; 10]);
    assert_eq!(sevs[14..], ["info"]);
    assert_eq!(
        report["summary"]["deny"], 4,
        "summary {:#}",
        report["summary"]
    );
    assert_eq!(report["summary"]["warn"], 10);
    assert_eq!(report["summary"]["info"], 1);
}

#[test]
fn findings_of_one_crate_sort_by_semver_version() {
    // 0.9.0 and 0.10.0 are not semver-compatible, so cargo keeps both.
    let fx = Fixture::builder()
        .member(
            Krate::new("app", "0.1.0")
                .dep(Dep::crates_io("dup", "0.10"))
                .dep(Dep::crates_io("dup", "0.9").rename("dup_old")),
        )
        .vendored(Krate::new("dup", "0.9.0").repository("https://github.com/EvilCorp/dup"))
        .vendored(Krate::new("dup", "0.10.0").repository("https://github.com/EvilCorp/dup"))
        .build();
    let run = fx.audit(Some(&evilcorp_orgs())).json();
    run.expect_code(1);
    let report = run.report();
    // (Each is also `missing-facts`: this fixture has no facts lock.)
    let versions: Vec<&str> = findings(&report)
        .iter()
        .filter(|f| f["code"] == "restricted-entity")
        .map(|f| f["package"]["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["0.9.0", "0.10.0"]);
}

#[test]
fn every_code_renders_in_human_output() {
    let fx = fixture();
    let path = fx.write_policy(&all_codes_policy());
    let normal = fx.audit_file(&path).args(no_facts(fx)).run();
    normal.expect_code(1);
    for needle in [
        "expired-exception",
        "restricted-entity",
        "unapproved-git",
        "unapproved-registry",
        "unused-exception",
        "upcoming-restriction",
        "missing-facts",
        "ghost",
        "gdep",
        "altdep",
        "future-crate",
    ] {
        assert!(
            normal.stdout.contains(needle),
            "no `{needle}` in:\n{}",
            normal.stdout
        );
    }
    // info findings only with -v.
    assert!(
        !normal.stdout.contains("not-affiliated"),
        "{}",
        normal.stdout
    );
    let verbose = fx.audit_file(&path).args(no_facts(fx)).arg("-v").run();
    verbose.expect_code(1);
    assert!(
        verbose.stdout.contains("not-affiliated"),
        "{}",
        verbose.stdout
    );
    assert!(verbose.stdout.contains("a namesake"), "{}", verbose.stdout);
    assert_eq!(normal.stderr, "");
}

#[test]
fn report_top_level_fields() {
    let fx = fixture();
    let run = fx.audit(Some(&evilcorp_orgs())).args(no_facts(fx)).json();
    let report = run.report();
    let keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    for k in [
        "schema", "tool", "policies", "today", "summary", "degraded", "findings",
    ] {
        assert!(keys.iter().any(|x| *x == k), "missing `{k}` in {keys:?}");
    }
    assert_eq!(report["schema"], 1);
    assert_eq!(
        report["tool"],
        json!({"name": "cargo-vendor-audit", "version": env!("CARGO_PKG_VERSION")})
    );
    assert_eq!(report["policies"][0]["id"], "e2e");
    assert_eq!(report["policies"].as_array().unwrap().len(), 1);
    assert_eq!(report["today"], TODAY);
    // --offline with an empty answer cache: the crates.io API is the one degraded source
    // (orgs may match crates.io teams and trusted publishers, so their facts were wanted).
    let degraded = report["degraded"].as_array().unwrap();
    assert_eq!(degraded.len(), 1, "{degraded:?}");
    assert_eq!(degraded[0]["source"], "crates-io-api");
    assert!(
        degraded[0]["message"].as_str().unwrap().contains("offline"),
        "{degraded:?}"
    );
    assert_eq!(report["default_policy"], false);
    // Every package of the metadata, and the audited ones: every reached non-member
    // (weakdep is in the metadata but not built).
    let m: Value = serde_json::from_str(&fx.metadata_json()).unwrap();
    assert_eq!(
        report["summary"]["packages"],
        m["packages"].as_array().unwrap().len()
    );
    assert!(
        m["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "weakdep"),
        "the fixture should list weakdep in the metadata"
    );
    // builder deep evil future-crate tester toolonly winonly mid gdep altdep
    assert_eq!(report["summary"]["audited"], 10);
    assert_eq!(report["summary"]["deny"], EVILCORP.len());
    for f in findings(&report) {
        for k in [
            "code",
            "severity",
            "entity",
            "package",
            "kinds",
            "evidence",
            "paths",
            "exception",
            "message",
        ] {
            assert!(f.get(k).is_some(), "finding without `{k}`: {f:#}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Graph options

#[test]
fn kinds_and_paths() {
    let fx = fixture();
    let report = fx.audit(Some(&evilcorp_orgs())).json().report();
    let f = |n| one(&report, "restricted-entity", n);
    assert_eq!(kinds(f("evil")), ["normal"]);
    assert_eq!(kinds(f("builder")), ["build"]);
    assert_eq!(kinds(f("tester")), ["dev"]);
    assert_eq!(paths(f("deep")), [["app@0.1.0", "mid@0.5.0", "deep@3.0.0"]]);
    assert_eq!(paths(f("toolonly")), [["tool@0.1.0", "toolonly@0.1.0"]]);
    assert_eq!(paths(f("builder")), [["app@0.1.0", "builder@0.1.0"]]);
    // Root first; the shortest first.
    let evil = paths(f("evil"));
    assert_eq!(evil[0], ["app@0.1.0", "evil@1.0.0"]);
    assert!(
        evil.contains(&vec![
            "app@0.1.0".to_string(),
            "mid@0.5.0".to_string(),
            "evil@1.0.0".to_string()
        ]),
        "{evil:?}"
    );
    // Not built: only a weak feature names it.
    assert_eq!(find(&report, "restricted-entity", "weakdep").len(), 0);
}

#[test]
fn exclude_dev_and_dependency_kinds() {
    let fx = fixture();
    let all = fx.audit(Some(&evilcorp_orgs())).json().report();
    let run = fx.audit(Some(&evilcorp_orgs())).arg("--exclude-dev").json();
    run.expect_code(1);
    let report = run.report();
    let without_tester: Vec<&str> = EVILCORP.into_iter().filter(|n| *n != "tester").collect();
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        strings(&without_tester)
    );
    assert_eq!(
        report["summary"]["audited"].as_u64().unwrap() + 1,
        all["summary"]["audited"].as_u64().unwrap()
    );

    let text = policy(
        "dependency-kinds = [\"normal\", \"build\"]",
        &entity("evilcorp", r#"orgs = ["github.com/EvilCorp"]"#),
    );
    let report = fx.audit(Some(&text)).json().report();
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        strings(&without_tester)
    );

    let text = policy(
        "dependency-kinds = [\"build\"]",
        &entity("evilcorp", r#"orgs = ["github.com/EvilCorp"]"#),
    );
    let report = fx.audit(Some(&text)).json().report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["builder"]);
}

#[test]
fn include_workspace_audits_members() {
    let fx = fixture();
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .arg("--include-workspace")
        .json();
    let report = run.report();
    let mut expected = EVILCORP.to_vec();
    expected.push("tool");
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        strings(&expected)
    );
    let tool = one(&report, "restricted-entity", "tool");
    assert_eq!(tool["package"]["source"], Value::Null);
    assert_eq!(paths(tool), [["tool@0.1.0"]]);
}

#[test]
fn package_selects_roots() {
    let fx = fixture();
    let report = fx
        .audit(Some(&evilcorp_orgs()))
        .args(["-p", "tool"])
        .json()
        .report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["toolonly"]);
    assert_eq!(report["summary"]["audited"], 1);

    let report = fx
        .audit(Some(&evilcorp_orgs()))
        .args(["--package", "app"])
        .json()
        .report();
    let app_only: Vec<&str> = EVILCORP.into_iter().filter(|n| *n != "toolonly").collect();
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        strings(&app_only)
    );
}

#[test]
fn package_spec_with_version_and_exclude() {
    let fx = fixture();
    let report = fx
        .audit(Some(&evilcorp_orgs()))
        .args(["-p", "tool@0.1.0"])
        .json()
        .report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["toolonly"]);

    let report = fx
        .audit(Some(&evilcorp_orgs()))
        .args(["--workspace", "--exclude", "app"])
        .json()
        .report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["toolonly"]);
}

#[test]
fn unknown_package_is_exit_2() {
    let fx = fixture();
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .args(["-p", "no-such-member"])
        .run();
    run.expect_code(2);
    assert!(run.stderr.contains("no-such-member"), "{}", run.stderr);
}

#[test]
fn target_keeps_only_edges_for_the_triple() {
    let fx = fixture();
    let linux = fx
        .audit(Some(&evilcorp_orgs()))
        .args(["--target", "x86_64-unknown-linux-gnu"])
        .json()
        .report();
    let not_windows: Vec<&str> = EVILCORP.into_iter().filter(|n| *n != "winonly").collect();
    assert_eq!(
        packages_with(&linux, "restricted-entity"),
        strings(&not_windows)
    );

    let windows = fx
        .audit(Some(&evilcorp_orgs()))
        .args(["--target", "x86_64-pc-windows-msvc"])
        .json()
        .report();
    assert_eq!(
        packages_with(&windows, "restricted-entity"),
        strings(&EVILCORP)
    );
    assert_eq!(
        paths(one(&windows, "restricted-entity", "winonly")),
        [["app@0.1.0", "winonly@0.1.0"]]
    );

    let both = fx
        .audit(Some(&evilcorp_orgs()))
        .args([
            "--target",
            "x86_64-unknown-linux-gnu",
            "--target",
            "x86_64-pc-windows-msvc",
        ])
        .json()
        .report();
    assert_eq!(
        packages_with(&both, "restricted-entity"),
        strings(&EVILCORP)
    );
}

// ---------------------------------------------------------------------------------------
// --fail-on and exit codes

#[test]
fn fail_on() {
    let fx = fixture();
    let deny = evilcorp_orgs();
    let warn = policy(
        "",
        &entity_with(
            "evilcorp",
            "severity = \"warn\"",
            r#"orgs = ["github.com/EvilCorp"]"#,
        ),
    );
    let info = policy("", &entity("evilcorp", r#"crates = ["evil"]"#));
    let code = |text: &str, fail_on: Option<&str>| {
        let mut a = fx.audit(Some(text)).arg("-q");
        if let Some(f) = fail_on {
            a = a.args(["--fail-on", f]);
        }
        a.run().code
    };
    assert_eq!(code(&deny, None), 1);
    assert_eq!(code(&deny, Some("deny")), 1);
    assert_eq!(code(&deny, Some("warn")), 1);
    assert_eq!(code(&deny, Some("never")), 0);
    assert_eq!(code(&warn, None), 0);
    assert_eq!(code(&warn, Some("deny")), 0);
    assert_eq!(code(&warn, Some("warn")), 1);
    assert_eq!(code(&warn, Some("never")), 0);
    assert_eq!(code(&info, Some("warn")), 0);
    assert_eq!(code(&info, None), 0);
}

#[test]
fn clean_run_exits_0() {
    let fx = fixture();
    let run = fx
        .audit(Some(&policy(
            "",
            &entity("nobody", r#"orgs = ["github.com/Nobody"]"#),
        )))
        .json();
    run.expect_code(0);
    let report = run.report();
    assert_eq!(triples(&report), []);
    assert_eq!(
        [
            &report["summary"]["deny"],
            &report["summary"]["warn"],
            &report["summary"]["info"]
        ],
        [0, 0, 0]
    );
}

#[test]
fn bad_policy_is_exit_2_with_file_line_column() {
    let fx = fixture();
    let text = "schema = 1\n\n[policy]\nid = \"e2e\"\ncolour = \"blue\"\n";
    let path = fx.write_policy(text);
    let run = fx.audit(None).arg("--policy").arg(&path).run();
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    let at = format!("{}:5:1", path.display());
    assert!(
        run.stderr.contains(&at),
        "expected `{at}` in:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("colour"), "{}", run.stderr);
}

#[test]
fn policy_syntax_error_is_exit_2_with_its_line() {
    let fx = fixture();
    let text = "schema = 1\n\n[policy]\nid = \"e2e\"\n\n[[entity]]\nid = \"x\nname = \"X\"\n";
    let path = fx.write_policy(text);
    let run = fx.audit(None).arg("--policy").arg(&path).run();
    run.expect_code(2);
    let at = format!("{}:7:", path.display());
    assert!(
        run.stderr.contains(&at),
        "expected `{at}` in:\n{}",
        run.stderr
    );
}

#[test]
fn missing_policy_file_is_exit_2() {
    let fx = fixture();
    let path = fx.root.join("policies").join("does-not-exist.toml");
    let run = fx.audit(None).arg("--policy").arg(&path).run();
    run.expect_code(2);
    assert!(
        run.stderr.contains(&path.display().to_string()),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_metadata_file_is_exit_2() {
    let fx = fixture();
    let path = fx.root.join("no-such-metadata.json");
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .arg("--metadata-path")
        .arg(&path)
        .run();
    run.expect_code(2);
    assert!(
        run.stderr.contains(&path.display().to_string()),
        "{}",
        run.stderr
    );
}

#[test]
fn invalid_metadata_json_is_exit_2() {
    let fx = fixture();
    let path = fx.scratch_path("metadata.json");
    std::fs::write(&path, "{\"packages\": [").unwrap();
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .arg("--metadata-path")
        .arg(&path)
        .run();
    run.expect_code(2);
    assert!(
        run.stderr.contains(&path.display().to_string()),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_flag_is_exit_2() {
    let fx = fixture();
    let run = fx.audit(Some(&evilcorp_orgs())).arg("--no-such-flag").run();
    run.expect_code(2);
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn bad_option_values_are_exit_2() {
    let fx = fixture();
    for args in [
        ["--fail-on", "sometimes"],
        ["--format", "yaml"],
        ["--target", "no-such-triple-anywhere"],
    ] {
        let run = fx.audit(Some(&evilcorp_orgs())).args(args).run();
        run.expect_code(2);
        assert!(run.stderr.contains(args[1]), "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
    }
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .color(Some("sometimes"))
        .run();
    run.expect_code(2);
    assert!(run.stderr.contains("sometimes"), "{}", run.stderr);
    // -v and -q exclude each other.
    let run = fx.audit(Some(&evilcorp_orgs())).args(["-v", "-q"]).run();
    run.expect_code(2);
    assert_eq!(run.stdout, "");
}

#[test]
fn missing_manifest_is_exit_2_naming_it() {
    let fx = fixture();
    let manifest = fx.root.join("nowhere").join("Cargo.toml");
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .no_manifest_path()
        .arg("--manifest-path")
        .arg(&manifest)
        .run();
    run.expect_code(2);
    assert!(
        run.stderr.contains(&manifest.display().to_string()),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_today_is_exit_2() {
    let fx = fixture();
    for bad in ["2026-13-01", "2026-02-30", "27/11/2026", "tomorrow"] {
        let run = fx.audit(Some(&evilcorp_orgs())).today(Some(bad)).run();
        run.expect_code(2);
        assert!(run.stderr.contains(bad), "{bad}: {}", run.stderr);
    }
}

#[test]
fn cargo_metadata_failure_is_exit_2() {
    let fx = Fixture::builder()
        .member(Krate::new("app", "0.1.0"))
        .build();
    let manifest = fx.ws.join("app").join("Cargo.toml");
    std::fs::write(&manifest, "[package]\nname = \"app\"\nversion = \n").unwrap();
    let run = fx.audit(Some(&evilcorp_orgs())).run();
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("Cargo.toml"), "{}", run.stderr);
}

#[test]
fn metadata_from_a_file_or_stdin_gives_the_same_report() {
    let fx = fixture();
    let from_cargo = fx.audit(Some(&evilcorp_orgs())).json();
    from_cargo.expect_code(1);
    let metadata = fx.metadata_json();
    let path = fx.scratch_path("metadata.json");
    std::fs::write(&path, &metadata).unwrap();

    let from_file = fx
        .audit(Some(&evilcorp_orgs()))
        .arg("--metadata-path")
        .arg(&path)
        .json();
    from_file.expect_code(1);
    let from_stdin = fx
        .audit(Some(&evilcorp_orgs()))
        .args(["--metadata-path", "-"])
        .stdin(metadata)
        .json();
    from_stdin.expect_code(1);

    let strip = |mut r: Value| {
        // The policy file differs per run.
        r["policies"] = Value::Null;
        for f in r["findings"].as_array_mut().unwrap() {
            if let Some(evs) = f["evidence"].as_array_mut() {
                for e in evs {
                    e.as_object_mut().unwrap().remove("pattern_at");
                }
            }
            f.as_object_mut().unwrap().remove("entity_detail");
        }
        r
    };
    let a = strip(from_cargo.report());
    assert_eq!(a, strip(from_file.report()));
    assert_eq!(a, strip(from_stdin.report()));
    assert_eq!(packages_with(&a, "restricted-entity"), strings(&EVILCORP));
}

/// A `cargo` that is a wrapper (rustup, a shim) may print lines around the JSON: the JSON
/// is the first line that starts with `{`. A wrapper that prints no JSON is exit 2.
#[test]
fn metadata_from_a_chatty_cargo_wrapper() {
    use std::os::unix::fs::PermissionsExt;
    let fx = fixture();
    let plain = fx.audit(Some(&evilcorp_orgs())).json();
    plain.expect_code(1);
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let wrapper = fx.scratch_path("chatty-cargo");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho 'info: a wrapper speaks first'\n'{real}' \"$@\"\nrc=$?\necho '[and last]'\nexit $rc\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let chatty = fx
        .audit(Some(&evilcorp_orgs()))
        .env("CARGO", wrapper.to_str().unwrap())
        .json();
    chatty.expect_code(1);
    let found = packages_with(&chatty.report(), "restricted-entity");
    assert_eq!(found, packages_with(&plain.report(), "restricted-entity"));
    assert_eq!(found, strings(&EVILCORP));

    let silent = fx.scratch_path("silent-cargo");
    std::fs::write(&silent, "#!/bin/sh\necho 'no JSON here'\n").unwrap();
    std::fs::set_permissions(&silent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .env("CARGO", silent.to_str().unwrap())
        .run();
    run.expect_code(2);
    assert!(
        run.stderr.contains("printed no JSON object"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Output

#[test]
fn output_file_holds_the_report() {
    let fx = fixture();
    let path = fx.scratch_path("report.json");
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .arg("--output")
        .arg(&path)
        .json();
    run.expect_code(1);
    assert_eq!(run.stdout, "");
    let text = std::fs::read_to_string(&path).expect("the report file");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        strings(&EVILCORP)
    );

    let human = fx.scratch_path("report.txt");
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .arg("--output")
        .arg(&human)
        .run();
    run.expect_code(1);
    assert_eq!(run.stdout, "");
    let text = std::fs::read_to_string(&human).unwrap();
    assert!(text.contains("evil"), "{text}");
    assert!(!has_ansi(&text));
}

#[test]
fn ci_formats_carry_the_same_findings_and_exit_code() {
    let fx = fixture();
    let path = fx.write_policy(&policy(
        "",
        &entity(
            "evilcorp",
            r#"repositories = ["https://github.com/EvilCorp/evil"]"#,
        ),
    ));

    let run = fx.audit_file(&path).args(["--format", "sarif"]).run();
    run.expect_code(1);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif:#}");
    assert_eq!(results[0]["ruleId"], "restricted-entity");
    assert!(
        results[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("evil 1.0.0"),
        "{sarif:#}"
    );

    let run = fx.audit_file(&path).args(["--format", "github"]).run();
    run.expect_code(1);
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    assert!(errors[0].contains("evil"), "{}", run.stdout);

    let run = fx.audit_file(&path).args(["--format", "markdown"]).run();
    run.expect_code(1);
    assert!(run.stdout.contains("evil"), "{}", run.stdout);
    assert!(run.stdout.contains("restricted-entity"), "{}", run.stdout);
}

#[test]
fn output_to_an_unwritable_place_is_exit_2() {
    let fx = fixture();
    // Under a regular file: no folder can be made there.
    let file = fx.scratch_path("a-file");
    std::fs::write(&file, "").unwrap();
    let path = file.join("report.json");
    let run = fx
        .audit(Some(&evilcorp_orgs()))
        .arg("--output")
        .arg(&path)
        .json();
    run.expect_code(2);
    assert!(
        run.stderr.contains(&path.display().to_string()),
        "{}",
        run.stderr
    );
}

/// The index of the first line at or after `from` that contains `needle`.
fn line_index(lines: &[&str], needle: &str, from: usize) -> usize {
    lines[from..]
        .iter()
        .position(|l| l.contains(needle))
        .map(|i| i + from)
        .unwrap_or_else(|| {
            panic!(
                "no line with `{needle}` after line {from}:\n{}",
                lines.join("\n")
            )
        })
}

#[test]
fn human_output_shows_crate_entity_reason_evidence_and_tree() {
    let fx = fixture();
    let text = policy(
        "",
        &entity(
            "evilcorp",
            r#"repositories = ["https://github.com/EvilCorp/dee*"]"#,
        ),
    );
    let run = fx.audit(Some(&text)).run();
    run.expect_code(1);
    let out = &run.stdout;
    assert!(!has_ansi(out), "{out}");
    assert!(out.contains("restricted-entity"), "{out}");
    assert!(out.contains(&entity_name("evilcorp")), "{out}");
    assert!(out.contains(&entity_reason("evilcorp")), "{out}");
    // The evidence: the fact's value and the pattern.
    assert!(out.contains("https://github.com/EvilCorp/deep"), "{out}");
    assert!(out.contains("https://github.com/EvilCorp/dee*"), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    // The inverse tree: deep, then mid, then app below it.
    let top = line_index(&lines, "deep v3.0.0", 0);
    let mid = line_index(&lines, "mid v0.5.0", top + 1);
    let app = line_index(&lines, "app v0.1.0", mid + 1);
    assert_eq!((mid, app), (top + 1, top + 2), "{out}");
    // Only the summary line mentions the other packages' count; evil is not listed.
    assert!(!out.contains("evil v1.0.0"), "{out}");
    let last = lines.last().unwrap();
    assert!(last.contains("1 denied"), "{out}");
}

fn snapshot(name: &str, text: &str) {
    insta::assert_snapshot!(name, text);
}

#[test]
fn human_output_snapshot() {
    let fx = fixture();
    let text = policy(
        "",
        &entity(
            "evilcorp",
            r#"repositories = ["https://github.com/EvilCorp/dee*", "https://github.com/EvilCorp/evil"]"#,
        ),
    );
    let path = fx.write_named_policy("human-snapshot.toml", &text);
    let run = fx.audit_file(&path).run();
    run.expect_code(1);
    snapshot("e2e_human_restricted", &fx.redact(&run.stdout));
}

#[test]
fn human_output_snapshot_every_code_verbose() {
    let fx = fixture();
    let path = fx.write_named_policy("all-codes.toml", &all_codes_policy());
    let run = fx.audit_file(&path).args(no_facts(fx)).arg("-v").run();
    run.expect_code(1);
    snapshot("e2e_human_every_code_verbose", &fx.redact(&run.stdout));
}

#[test]
fn human_output_shows_warnings_but_not_info_unless_verbose() {
    let fx = fixture();
    let text = policy(
        "",
        &format!(
            "{}{}",
            entity_with(
                "warner",
                "severity = \"warn\"",
                r#"repositories = ["https://github.com/EvilCorp/deep"]"#
            ),
            entity("namey", r#"crates = ["evil"]"#)
        ),
    );
    let normal = fx.audit(Some(&text)).run();
    normal.expect_code(0);
    assert!(normal.stdout.contains("deep"), "{}", normal.stdout);
    assert!(
        !normal.stdout.contains(&entity_name("namey")),
        "{}",
        normal.stdout
    );
    let verbose = fx.audit(Some(&text)).arg("-v").run();
    verbose.expect_code(0);
    assert!(
        verbose.stdout.contains(&entity_name("namey")),
        "{}",
        verbose.stdout
    );
    assert!(verbose.stdout.contains("evil"), "{}", verbose.stdout);
}

#[test]
fn quiet_prints_only_the_summary() {
    let fx = fixture();
    let path = fx.write_policy(&evilcorp_orgs());
    let full = fx.audit_file(&path).run();
    let quiet = fx.audit_file(&path).arg("-q").run();
    quiet.expect_code(1);
    assert_eq!(quiet.stdout.lines().count(), 1, "{}", quiet.stdout);
    assert_eq!(
        quiet.stdout.trim_end(),
        full.stdout.trim_end().lines().last().unwrap()
    );
    assert!(!quiet.stdout.contains("evil"), "{}", quiet.stdout);
    assert!(full.stdout.lines().count() > 10, "{}", full.stdout);
}

#[test]
fn color_always_and_never() {
    let fx = fixture();
    let always = fx.audit(Some(&evilcorp_orgs())).color(Some("always")).run();
    always.expect_code(1);
    assert!(has_ansi(&always.stdout), "{}", always.stdout);
    let never = fx
        .audit(Some(&evilcorp_orgs()))
        .color(Some("never"))
        .env("CARGO_TERM_COLOR", "always")
        .run();
    assert!(!has_ansi(&never.stdout), "{}", never.stdout);
    let env_always = fx
        .audit(Some(&evilcorp_orgs()))
        .color(None)
        .env("CARGO_TERM_COLOR", "always")
        .run();
    assert!(has_ansi(&env_always.stdout), "{}", env_always.stdout);
    // JSON never has colour.
    let json = fx
        .audit(Some(&evilcorp_orgs()))
        .color(Some("always"))
        .json();
    json.report();
    assert!(!has_ansi(&json.stdout));
}

/// Runs the audit under a pseudo-terminal (`script`), so that `--color auto` would colour.
fn run_in_tty(fx: &Fixture, policy_text: &str, no_color: bool) -> String {
    let audit = fx.audit(Some(policy_text)).color(None);
    let mut words = vec![bin().display().to_string()];
    words.extend(
        audit
            .argv()
            .iter()
            .map(|a| a.to_string_lossy().into_owned()),
    );
    let line = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(&fx.ws);
    fx.apply_env(&mut cmd);
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().expect("run script");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn no_color_is_honoured_on_a_terminal() {
    let pty = std::process::Command::new("script")
        .args(["-q", "-e", "-c", "true", "/dev/null"])
        .output();
    if !pty.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: `script` cannot give a pseudo-terminal here");
        return;
    }
    let fx = fixture();
    let tty = run_in_tty(fx, &evilcorp_orgs(), false);
    assert!(tty.contains("evil"), "{tty}");
    assert!(has_ansi(&tty), "auto colours a terminal: {tty}");
    let no_color = run_in_tty(fx, &evilcorp_orgs(), true);
    assert!(no_color.contains("evil"), "{no_color}");
    assert!(!has_ansi(&no_color), "NO_COLOR: {no_color}");
}

// ---------------------------------------------------------------------------------------
// Invocation

#[test]
fn invoked_as_cargo_does_and_directly() {
    let fx = fixture();
    let text = evilcorp_orgs();
    let as_cargo = fx.audit(Some(&text)).json();
    let as_cargo_check = fx.audit(Some(&text)).arg("check").json();
    let direct = fx.audit(Some(&text)).direct().json();
    let direct_check = fx.audit(Some(&text)).direct().arg("check").json();
    for run in [&as_cargo, &as_cargo_check, &direct, &direct_check] {
        run.expect_code(1);
        assert_eq!(
            packages_with(&run.report(), "restricted-entity"),
            strings(&EVILCORP)
        );
    }
}

#[test]
fn cargo_runs_it_as_a_subcommand() {
    let fx = fixture();
    let path = fx.write_policy(&evilcorp_orgs());
    let bin_dir = bin().parent().unwrap().to_path_buf();
    let paths = std::env::var_os("PATH").unwrap_or_default();
    let mut search = vec![bin_dir];
    search.extend(std::env::split_paths(&paths));
    let mut cmd = fx.cargo();
    cmd.env("PATH", std::env::join_paths(search).unwrap())
        .args([
            "vendor-audit",
            "--format",
            "json",
            "--offline",
            "--today",
            TODAY,
        ])
        .arg("--policy")
        .arg(&path);
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        strings(&EVILCORP)
    );
}

#[test]
fn help_and_version_exit_0() {
    let fx = fixture();
    for (args, needle) in [
        (vec!["vendor-audit", "--help"], "check"),
        (vec!["vendor-audit", "check", "--help"], "--fail-on"),
        (vec!["--help"], "check"),
        (vec!["vendor-audit", "--version"], env!("CARGO_PKG_VERSION")),
    ] {
        let out = fx.bare_command().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(needle), "{args:?}: {stdout}");
    }
}

// ---------------------------------------------------------------------------------------
// Several policies, builtins, --locked

#[test]
fn several_policies_merge_and_the_later_settings_win() {
    let fx = fixture();
    let a = fx.write_policy(&format!(
        "schema = 1\n\n[policy]\nid = \"first\"\ndeny-min-confidence = \"medium\"\n\n{}",
        entity(
            "evilcorp",
            r#"orgs = [{ value = "github.com/EvilCorp", confidence = "medium" }]"#
        )
    ));
    let b = fx.write_policy(&format!(
        "schema = 1\n\n[policy]\nid = \"second\"\ndeny-min-confidence = \"high\"\n\n{}",
        entity("namey", r#"crates = ["deep"]"#)
    ));
    let run = fx
        .audit(None)
        .arg("--policy")
        .arg(&a)
        .arg("--policy")
        .arg(&b)
        .json();
    let report = run.report();
    assert_eq!(
        report["policies"],
        json!([{"id": "first", "source": a.display().to_string()},
               {"id": "second", "source": b.display().to_string()}])
    );
    // Both files' entities; `second` sets deny-min-confidence high, so medium is warn.
    assert_eq!(severity_of(&report, "restricted-entity", "evil"), "warn");
    let deep: Vec<&str> = find(&report, "restricted-entity", "deep")
        .iter()
        .map(|f| f["entity"].as_str().unwrap())
        .collect();
    assert_eq!(deep, ["evilcorp", "namey"]);
    run.expect_code(0);

    // The other order: `first` is later, medium is enough to deny.
    let run = fx
        .audit(None)
        .arg("--policy")
        .arg(&b)
        .arg("--policy")
        .arg(&a)
        .json();
    run.expect_code(1);
    assert_eq!(
        severity_of(&run.report(), "restricted-entity", "evil"),
        "deny"
    );
}

#[test]
fn extends_loads_the_base_first() {
    let fx = fixture();
    let base = fx.write_named_policy(
        "extends-base.toml",
        &format!(
            "schema = 1\n\n[policy]\nid = \"base\"\n\n{}",
            entity("evilcorp", r#"orgs = ["github.com/EvilCorp"]"#)
        ),
    );
    let child = fx.write_named_policy(
        "extends-child.toml",
        "schema = 1\n\n[policy]\nid = \"child\"\nextends = [\"extends-base.toml\"]\n",
    );
    let run = fx.audit_file(&child).json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(
        report["policies"],
        json!([{"id": "base", "source": base.display().to_string()},
               {"id": "child", "source": child.display().to_string()}])
    );
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        strings(&EVILCORP)
    );
}

#[test]
fn the_same_entity_in_two_policies_is_exit_2_naming_both() {
    let fx = fixture();
    let a = fx.write_policy(&policy("", &entity("evilcorp", r#"crates = ["a"]"#)));
    let b = fx.write_policy(&policy("", &entity("evilcorp", r#"crates = ["b"]"#)));
    let run = fx
        .audit(None)
        .arg("--policy")
        .arg(&a)
        .arg("--policy")
        .arg(&b)
        .run();
    run.expect_code(2);
    for p in [&a, &b] {
        assert!(
            run.stderr.contains(&p.display().to_string()),
            "{} not named in:\n{}",
            p.display(),
            run.stderr
        );
    }
}

#[test]
fn builtin_policy_by_name() {
    let fx = fixture();
    let run = fx
        .audit(None)
        .args(["--policy", "builtin:us-federal"])
        .json();
    let report = run.report();
    assert_eq!(
        report["policies"],
        json!([{"id": "us-federal", "source": "builtin:us-federal", "reviewed": "2026-11-30"}])
    );
    assert_eq!(report["default_policy"], false);
    let run = fx
        .audit(None)
        .args(["--policy", "builtin:no-such-policy"])
        .run();
    run.expect_code(2);
    assert!(run.stderr.contains("no-such-policy"), "{}", run.stderr);
}

#[test]
fn locked_and_frozen_are_forwarded_to_cargo() {
    let fx = discovery_fixture(&[], "");
    let text = named_policy("locked");
    std::fs::remove_file(fx.ws.join("Cargo.lock")).unwrap();
    for flag in ["--locked", "--frozen"] {
        let run = fx.audit(Some(&text)).arg(flag).run();
        run.expect_code(2);
        assert!(run.stderr.contains("lock"), "{flag}: {}", run.stderr);
    }
    // Without them cargo writes the lock, and then they pass.
    fx.audit(Some(&text)).run().expect_code(1);
    assert!(fx.ws.join("Cargo.lock").is_file());
    for flag in ["--locked", "--frozen"] {
        fx.audit(Some(&text)).arg(flag).run().expect_code(1);
    }
}

// ---------------------------------------------------------------------------------------
// Policy discovery

/// A small workspace with a denied crate, and the given files.
fn discovery_fixture(files: &[(&str, &str)], workspace_toml: &str) -> Fixture {
    let mut b = Fixture::builder()
        .member(Krate::new("app", "0.1.0").dep(Dep::crates_io("evil", "1")))
        .vendored(Krate::new("evil", "1.0.0").repository("https://github.com/EvilCorp/evil"))
        .workspace_toml(workspace_toml);
    for (path, text) in files {
        b = b.file(path, text);
    }
    b.build()
}

fn named_policy(id: &str) -> String {
    format!(
        "schema = 1\n\n[policy]\nid = \"{id}\"\n\n{}",
        entity("evilcorp", r#"orgs = ["github.com/EvilCorp"]"#)
    )
}

#[track_caller]
fn assert_policy_used(fx: &Fixture, id: &str, source: &Path) {
    for run in [
        fx.audit(None).json(),
        fx.audit(None).no_manifest_path().json(),
    ] {
        run.expect_code(1);
        let report = run.report();
        assert_eq!(
            report["policies"],
            json!([{"id": id, "source": source.display().to_string()}])
        );
        assert_eq!(report["default_policy"], false);
        assert_eq!(packages_with(&report, "restricted-entity"), ["evil"]);
    }
}

#[test]
fn policy_discovered_at_the_workspace_root_first() {
    let fx = discovery_fixture(
        &[
            ("vendor-audit.toml", &named_policy("at-root")),
            (".cargo/vendor-audit.toml", &named_policy("in-dot-cargo")),
        ],
        "[workspace.metadata.vendor-audit]\npolicy = \"meta.toml\"\n",
    );
    std::fs::write(fx.ws.join("meta.toml"), named_policy("from-metadata")).unwrap();
    assert_policy_used(&fx, "at-root", &fx.ws.join("vendor-audit.toml"));
}

#[test]
fn policy_discovered_from_a_member_manifest_or_directory() {
    let fx = discovery_fixture(&[("vendor-audit.toml", &named_policy("at-root"))], "");
    let source = fx.ws.join("vendor-audit.toml").display().to_string();
    let run = fx
        .audit(None)
        .no_manifest_path()
        .arg("--manifest-path")
        .arg(fx.ws.join("app").join("Cargo.toml"))
        .json();
    run.expect_code(1);
    assert_eq!(
        run.report()["policies"],
        json!([{"id": "at-root", "source": source}])
    );

    let mut cmd = fx.bare_command();
    cmd.current_dir(fx.ws.join("app")).args([
        "vendor-audit",
        "--format",
        "json",
        "--offline",
        "--today",
        TODAY,
    ]);
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["policies"],
        json!([{"id": "at-root", "source": source}])
    );
}

#[test]
fn a_broken_discovered_policy_is_exit_2_naming_it() {
    let fx = discovery_fixture(
        &[(
            "vendor-audit.toml",
            "schema = 1\n\n[policy]\nid = \"x\"\nbogus = 1\n",
        )],
        "",
    );
    let run = fx.audit(None).run();
    run.expect_code(2);
    let at = format!("{}:5:1", fx.ws.join("vendor-audit.toml").display());
    assert!(
        run.stderr.contains(&at),
        "expected `{at}` in:\n{}",
        run.stderr
    );
}

#[test]
fn policy_discovered_in_dot_cargo() {
    let fx = discovery_fixture(
        &[(".cargo/vendor-audit.toml", &named_policy("in-dot-cargo"))],
        "[workspace.metadata.vendor-audit]\npolicy = \"meta.toml\"\n",
    );
    std::fs::write(fx.ws.join("meta.toml"), named_policy("from-metadata")).unwrap();
    assert_policy_used(
        &fx,
        "in-dot-cargo",
        &fx.ws.join(".cargo").join("vendor-audit.toml"),
    );
}

#[test]
fn policy_named_in_workspace_metadata() {
    let fx = discovery_fixture(
        &[("policy/meta.toml", &named_policy("from-metadata"))],
        "[workspace.metadata.vendor-audit]\npolicy = \"policy/meta.toml\"\n",
    );
    assert_policy_used(
        &fx,
        "from-metadata",
        &fx.ws.join("policy").join("meta.toml"),
    );
}

#[test]
fn default_policy_is_builtin_us_federal() {
    let fx = discovery_fixture(&[], "");
    let run = fx.audit(None).json();
    let report = run.report();
    // The builtin policy has publisher matchers and no facts source exists here.
    assert_eq!(triples(&report), [t("missing-facts", "evil", "-")]);
    assert_eq!(run.code, i32::from(report["summary"]["deny"] != 0));
    assert_eq!(
        report["policies"],
        json!([{"id": "us-federal", "source": "builtin:us-federal", "reviewed": "2026-11-30"}])
    );
    assert_eq!(report["default_policy"], true);

    let human = fx.audit(None).run();
    assert!(
        human.stdout.contains("builtin:us-federal"),
        "{}",
        human.stdout
    );
}

#[test]
fn explicit_policy_beats_discovery() {
    let fx = discovery_fixture(&[("vendor-audit.toml", &named_policy("at-root"))], "");
    let run = fx
        .audit(Some(&policy(
            "",
            &entity("nobody", r#"crates = ["nothing"]"#),
        )))
        .json();
    run.expect_code(0);
    let report = run.report();
    assert_eq!(report["policies"][0]["id"], "e2e");
    assert_eq!(report["default_policy"], false);
}
