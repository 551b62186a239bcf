//! End-to-end: the crates.io publisher matchers (`crates-io-users`, `crates-io-logins`,
//! `crates-io-teams`, and `orgs` / `repositories` on teams and trusted publishers) with
//! facts from the facts lock `vendor-audit.lock` at the workspace root (book: docs/src/facts.md).

use std::sync::OnceLock;

use crate::support::*;
use serde_json::Value;

const LOCK: &str = r#"schema = 1

[[package]]
name = "pub-login"
version = "1.0.0"
owners-source = "crates-io-api"
owners-fetched = "2026-11-20T10:00:00Z"
owners = []
publisher-source = "crates-io-api"
publisher-fetched = "2026-11-20T10:00:00Z"
publisher = { kind = "user", id = 777, login = "acme-bot" }

[[package]]
name = "pub-near"
version = "1.0.0"
owners-source = "db-dump"
owners-fetched = "2026-11-20T10:00:00Z"
owners = [
    { kind = "user", id = 123456, login = "acme-bots" },
    { kind = "team", id = 10, login = "github:AcmeCorpX:core" },
]
publisher-source = "db-dump"
publisher-fetched = "2026-11-20T10:00:00Z"
publisher = { kind = "trusted", repository = "github:AcmeCorpX/pub-near" }

[[package]]
name = "pub-team"
version = "1.0.0"
owners-source = "crates-io-api"
owners-fetched = "2026-11-20T10:00:00Z"
owners = [
    { kind = "team", id = 9, login = "github:AcmeCorp:core" },
]
publisher-source = "crates-io-api"
publisher-fetched = "2026-11-20T10:00:00Z"
publisher = { kind = "none" }

[[package]]
name = "pub-trusted"
version = "1.0.0"
owners-source = "crates-io-api"
owners-fetched = "2026-11-20T10:00:00Z"
owners = []
publisher-source = "crates-io-api"
publisher-fetched = "2026-11-20T10:00:00Z"
publisher = { kind = "trusted", repository = "github:AcmeCorp/pub-trusted" }

[[package]]
name = "pub-user"
version = "1.0.0"
owners-source = "crates-io-api"
owners-fetched = "2026-11-20T10:00:00Z"
owners = [
    { kind = "user", id = 12345, login = "someone" },
]
publisher-source = "crates-io-api"
publisher-fetched = "2026-11-20T10:00:00Z"
publisher = { kind = "none" }
"#;

const CRATES: [&str; 6] = [
    "no-facts",
    "pub-login",
    "pub-near",
    "pub-team",
    "pub-trusted",
    "pub-user",
];

fn fixture() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        let mut app = Krate::new("app", "0.1.0").dep(Dep::path("local"));
        let mut b = Fixture::builder();
        for name in CRATES {
            app = app.dep(Dep::crates_io(name, "1"));
            b = b.vendored(Krate::new(name, "1.0.0"));
        }
        b.member(app)
            .path_crate(Krate::new("local", "0.1.0"))
            .file("vendor-audit.lock", LOCK)
            .build()
    })
}

fn one_entity(match_toml: &str) -> String {
    policy("", &entity("acme", match_toml))
}

/// Runs with the lock's facts. Every matcher here compares owners or publishers (`orgs`
/// and `repositories` see teams and trusted publishers too), so `no-facts` (not in the
/// lock) is `missing-facts`: it cannot be cleared.
fn audit(match_toml: &str) -> Value {
    let fx = fixture();
    let run = fx.audit(Some(&one_entity(match_toml))).json();
    let report = run.report();
    let expected = ["no-facts"];
    assert_eq!(
        packages_with(&report, "missing-facts"),
        expected,
        "{report:#}"
    );
    report
}

#[test]
fn crates_io_users_match_owner_ids() {
    let report = audit("crates-io-users = [12345]");
    assert_eq!(packages_with(&report, "restricted-entity"), ["pub-user"]);
    let f = one(&report, "restricted-entity", "pub-user");
    assert_eq!(f["severity"], "deny");
    assert_eq!(
        evidence(f),
        [ev(
            "crates-io-users",
            "12345",
            "owner",
            "someone (user id 12345)",
            "high",
            "facts-lock"
        )]
    );
}

#[test]
fn crates_io_logins_match_the_publisher_case_insensitively() {
    let report = audit(r#"crates-io-logins = ["Acme-Bot"]"#);
    // `acme-bots` (pub-near) is a near miss.
    assert_eq!(packages_with(&report, "restricted-entity"), ["pub-login"]);
    assert_eq!(
        evidence(one(&report, "restricted-entity", "pub-login")),
        [ev(
            "crates-io-logins",
            "Acme-Bot",
            "publisher",
            "acme-bot (user id 777)",
            "high",
            "facts-lock"
        )]
    );
}

#[test]
fn crates_io_teams_glob() {
    let report = audit(r#"crates-io-teams = ["github:AcmeCorp:*"]"#);
    // github:AcmeCorpX:core is a near miss.
    assert_eq!(packages_with(&report, "restricted-entity"), ["pub-team"]);
    assert_eq!(
        evidence(one(&report, "restricted-entity", "pub-team")),
        [ev(
            "crates-io-teams",
            "github:AcmeCorp:*",
            "owner",
            "github:AcmeCorp:core",
            "high",
            "facts-lock"
        )]
    );
}

#[test]
fn orgs_match_teams_and_trusted_publishers() {
    let report = audit(r#"orgs = ["github.com/AcmeCorp"]"#);
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        ["pub-team", "pub-trusted"]
    );
    assert_eq!(
        evidence(one(&report, "restricted-entity", "pub-trusted")),
        [ev(
            "orgs",
            "github.com/AcmeCorp",
            "publisher",
            "github:AcmeCorp/pub-trusted",
            "high",
            "facts-lock"
        )]
    );
    assert_eq!(
        evidence(one(&report, "restricted-entity", "pub-team")),
        [ev(
            "orgs",
            "github.com/AcmeCorp",
            "owner",
            "github:AcmeCorp:core",
            "high",
            "facts-lock"
        )]
    );
}

#[test]
fn repositories_see_the_trusted_publisher_as_a_url() {
    let report = audit(r#"repositories = ["https://github.com/acmecorp/pub-*"]"#);
    assert_eq!(packages_with(&report, "restricted-entity"), ["pub-trusted"]);
}

#[test]
fn missing_facts_never_for_path_packages() {
    let fx = fixture();
    let report = fx
        .audit(Some(&one_entity("crates-io-users = [1]")))
        .json()
        .report();
    assert_eq!(find(&report, "missing-facts", "local").len(), 0);
    assert!(
        packages_with(&report, "missing-facts").contains(&"no-facts".to_string()),
        "{report:#}"
    );
}

#[test]
fn facts_option_names_another_lock() {
    let fx = fixture();
    let empty = fx.scratch_path("empty.lock");
    std::fs::write(&empty, "schema = 1\n").unwrap();
    let report = fx
        .audit(Some(&one_entity("crates-io-users = [12345]")))
        .arg("--facts")
        .arg(&empty)
        .json()
        .report();
    assert_eq!(
        packages_with(&report, "missing-facts"),
        CRATES.map(String::from).to_vec()
    );
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        Vec::<String>::new()
    );

    let moved = fx.scratch_path("moved.lock");
    std::fs::write(&moved, LOCK).unwrap();
    let report = fx
        .audit(Some(&one_entity("crates-io-users = [12345]")))
        .arg("--facts")
        .arg(&moved)
        .json()
        .report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["pub-user"]);
}

#[test]
fn a_broken_facts_lock_is_exit_2_naming_it() {
    let fx = fixture();
    let broken = fx.scratch_path("broken.lock");
    std::fs::write(
        &broken,
        "schema = 1\n\n[[package]]\nname = \"x\"\nversion = \n",
    )
    .unwrap();
    let run = fx
        .audit(Some(&one_entity("crates-io-users = [12345]")))
        .arg("--facts")
        .arg(&broken)
        .run();
    run.expect_code(2);
    assert!(
        run.stderr.contains(&format!("{}:5:", broken.display())),
        "{}",
        run.stderr
    );
}
