//! The sources together, as `check`, `check --offline`, `check --locked` and `fetch` use
//! them: order of preference, what each mode may touch, and the lock `fetch` writes.

use std::path::Path;
use std::time::Duration;

use crate::support::fake_crates_io::{FakeCratesIo, Reply};
use cargo_vendor_audit::facts::api::ApiConfig;
use cargo_vendor_audit::facts::lock::{FactsLock, LockChange};
use cargo_vendor_audit::facts::publisher::{CrateKey, PublisherFacts};
use cargo_vendor_audit::facts::sources::{Mode, SourceOptions, fetch_lock, gather_publisher_facts};
use cargo_vendor_audit::facts::{Owner, Provenance, Publisher, Sourced};

fn key(name: &str) -> CrateKey {
    CrateKey::new(name, "1.0.0")
}

/// A: in the lock. B: in the dump. C: publisher in the imports, owners from the API.
/// D: only the API knows.
fn setup(dir: &Path, server: &FakeCratesIo) -> SourceOptions {
    let mut lock = FactsLock::default();
    lock.packages.insert(
        key("a"),
        PublisherFacts {
            owners: Some(Sourced {
                value: vec![Owner::User {
                    id: 1,
                    login: "alice".into(),
                }],
                provenance: Provenance::DbDump,
                fetched: Some("2026-01-01T00:00:00Z".into()),
            }),
            publisher: Some(Sourced {
                value: None,
                provenance: Provenance::DbDump,
                fetched: Some("2026-01-01T00:00:00Z".into()),
            }),
        },
    );
    let lock_path = dir.join("vendor-audit.lock");
    lock.write(&lock_path).unwrap();

    let data = dir.join("dump/2026-11-27-020000/data");
    std::fs::create_dir_all(&data).unwrap();
    for (name, text) in [
        ("crates.csv", "id,name\n20,b\n"),
        ("crate_owners.csv", "crate_id,owner_id,owner_kind\n20,2,0\n"),
        ("users.csv", "id,gh_login\n2,bob\n"),
        ("teams.csv", "id,login\n"),
        ("versions.csv", "crate_id,num,published_by\n20,1.0.0,2\n"),
    ] {
        std::fs::write(data.join(name), text).unwrap();
    }
    let vet = dir.join("imports.lock");
    std::fs::write(
        &vet,
        "[[publisher.c]]\nversion = \"1.0.0\"\nwhen = \"2026-02-02\"\ntrusted-publisher = \"github:carol/c\"\n",
    )
    .unwrap();

    for (name, login) in [("a", "alice"), ("b", "bob"), ("c", "carol"), ("d", "dave")] {
        server.route(
            &format!("/api/v1/crates/{name}/owners"),
            vec![Reply::json(&format!(
                r#"{{"users":[{{"id":9,"kind":"user","login":"{login}-api"}}]}}"#
            ))],
        );
        server.route(
            &format!("/api/v1/crates/{name}/1.0.0"),
            vec![Reply::json(
                r#"{"version":{"published_by":{"id":9,"login":"api-user"}}}"#,
            )],
        );
    }

    SourceOptions {
        facts_lock: lock_path,
        db_dump: Some(dir.join("dump")),
        vet_imports: Some(vet),
        api: ApiConfig {
            base_url: server.base_url.clone(),
            min_interval: Duration::ZERO,
            ..ApiConfig::default()
        },
        cache_dir: Some(dir.join("cache")),
        cache_max_age: None,
    }
}

fn wanted() -> Vec<CrateKey> {
    vec![key("a"), key("b"), key("c"), key("d")]
}

fn provenances(facts: &PublisherFacts) -> (Option<Provenance>, Option<Provenance>) {
    (
        facts.owners.as_ref().map(|s| s.provenance),
        facts.publisher.as_ref().map(|s| s.provenance),
    )
}

#[test]
fn check_modes_use_the_sources_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeCratesIo::start();
    let options = setup(dir.path(), &server);

    // --locked: the lock only, nothing asked.
    let locked = gather_publisher_facts(&options, Mode::Locked, &wanted()).unwrap();
    assert_eq!(locked.facts.len(), 1);
    assert_eq!(
        provenances(&locked.facts[&key("a")]),
        (Some(Provenance::FactsLock), Some(Provenance::FactsLock))
    );
    assert!(server.requests().is_empty());

    // --offline with an empty cache: lock and files, nothing asked.
    let offline = gather_publisher_facts(&options, Mode::Offline, &wanted()).unwrap();
    assert!(server.requests().is_empty());
    assert_eq!(
        provenances(&offline.facts[&key("b")]),
        (Some(Provenance::DbDump), Some(Provenance::DbDump))
    );
    assert_eq!(
        provenances(&offline.facts[&key("c")]),
        (None, Some(Provenance::CargoVetImports))
    );
    assert!(!offline.facts.contains_key(&key("d")));

    // check: the API is asked only for what the lock and files left missing.
    let online = gather_publisher_facts(&options, Mode::Online, &wanted()).unwrap();
    assert!(online.degraded.is_empty(), "{:?}", online.degraded);
    let mut paths = server.paths();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/api/v1/crates/c/owners",
            "/api/v1/crates/d/1.0.0",
            "/api/v1/crates/d/owners"
        ]
    );
    assert_eq!(
        provenances(&online.facts[&key("c")]),
        (
            Some(Provenance::CratesIoApi),
            Some(Provenance::CargoVetImports)
        )
    );
    assert_eq!(
        online.facts[&key("c")].publisher.as_ref().unwrap().value,
        Some(Publisher::Trusted("github:carol/c".into()))
    );
    assert_eq!(
        provenances(&online.facts[&key("d")]),
        (Some(Provenance::CratesIoApi), Some(Provenance::CratesIoApi))
    );

    // --offline again: the cached answers now fill in, still nothing asked.
    server.clear();
    let offline = gather_publisher_facts(&options, Mode::Offline, &wanted()).unwrap();
    assert!(server.requests().is_empty());
    assert_eq!(offline.facts, online.facts);

    // --locked without a lock: a note, no facts.
    let missing = SourceOptions {
        facts_lock: dir.path().join("nope.lock"),
        ..options.clone()
    };
    let none = gather_publisher_facts(&missing, Mode::Locked, &wanted()).unwrap();
    assert!(none.facts.is_empty());
    assert!(
        none.degraded[0]
            .message
            .contains("cargo vendor-audit fetch")
    );

    // A malformed lock stops check with an error naming it.
    std::fs::write(&options.facts_lock, "schema = 1\n[[package]\n").unwrap();
    let err = gather_publisher_facts(&options, Mode::Online, &wanted())
        .unwrap_err()
        .to_string();
    assert!(err.contains("vendor-audit.lock:2:"), "{err}");
}

#[test]
fn fetch_writes_the_lock_from_files_and_api_and_lists_changes() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeCratesIo::start();
    let options = setup(dir.path(), &server);

    let outcome = fetch_lock(&options, &wanted()).unwrap();
    assert!(outcome.degraded.is_empty(), "{:?}", outcome.degraded);
    // Not from the old lock: a comes from the API now.
    let mut paths = server.paths();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/api/v1/crates/a/1.0.0",
            "/api/v1/crates/a/owners",
            "/api/v1/crates/c/owners",
            "/api/v1/crates/d/1.0.0",
            "/api/v1/crates/d/owners"
        ]
    );
    let written = FactsLock::read(&options.facts_lock).unwrap();
    assert_eq!(written, outcome.lock);
    assert_eq!(written.packages.len(), 4);
    assert_eq!(
        provenances(&written.packages[&key("b")]),
        (Some(Provenance::DbDump), Some(Provenance::DbDump))
    );
    // alice (old lock) went, alice-api came; a's publisher is now recorded.
    assert!(outcome.changes.contains(&LockChange::OwnerRemoved {
        name: "a".into(),
        owner: Owner::User {
            id: 1,
            login: "alice".into()
        }
    }));
    assert!(outcome.changes.contains(&LockChange::OwnerAdded {
        name: "a".into(),
        owner: Owner::User {
            id: 9,
            login: "alice-api".into()
        }
    }));
    assert!(outcome.changes.contains(&LockChange::PublisherChanged {
        key: key("a"),
        old: Some(None),
        new: Some(Some(Publisher::User {
            id: 9,
            login: "api-user".into()
        })),
    }));

    // A second fetch: everything from files and the cache, nothing changed.
    server.clear();
    let again = fetch_lock(&options, &wanted()).unwrap();
    assert!(server.requests().is_empty());
    assert!(again.changes.is_empty(), "{:?}", again.changes);
}
