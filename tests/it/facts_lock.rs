//! The facts lock: byte-stable round trip, diff, errors with line/column, the lock as a
//! source, and concurrent writers of one lock file and of one API cache.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::SystemTime;

use cargo_vendor_audit::facts::cache::ApiCache;
use cargo_vendor_audit::facts::lock::{FactsLock, LockChange, LockSource, diff};
use cargo_vendor_audit::facts::publisher::{CrateKey, FactSource, PublisherFacts};
use cargo_vendor_audit::facts::{Owner, Provenance, Publisher, Sourced};

fn sourced<T>(value: T, provenance: Provenance, fetched: &str) -> Sourced<T> {
    Sourced {
        value,
        provenance,
        fetched: Some(fetched.to_string()),
    }
}

fn user(id: u64, login: &str) -> Owner {
    Owner::User {
        id,
        login: login.into(),
    }
}

fn sample() -> FactsLock {
    let mut lock = FactsLock::default();
    let owners = vec![
        Owner::Team {
            id: 5,
            login: "github:serde-rs:owners".into(),
        },
        user(3618, "dtolnay"),
    ];
    for (version, publisher) in [
        // Out of semver order on purpose: 1.0.10 sorts after 1.0.9.
        (
            "1.0.10",
            Some(Publisher::User {
                id: 3618,
                login: "dtolnay".into(),
            }),
        ),
        ("1.0.9", None),
    ] {
        lock.packages.insert(
            CrateKey::new("serde", version),
            PublisherFacts {
                owners: Some(sourced(
                    owners.clone(),
                    Provenance::DbDump,
                    "2026-11-27T02:00:00Z",
                )),
                publisher: Some(sourced(
                    publisher,
                    Provenance::DbDump,
                    "2026-11-27T02:00:00Z",
                )),
            },
        );
    }
    lock.packages.insert(
        CrateKey::new("mach2", "0.6.0"),
        PublisherFacts {
            owners: None,
            publisher: Some(sourced(
                Some(Publisher::Trusted("github:JohnTitor/mach2".into())),
                Provenance::CargoVetImports,
                "2025-11-16",
            )),
        },
    );
    lock.packages.insert(
        CrateKey::new("weird \"name\"", "0.1.0"),
        PublisherFacts {
            owners: Some(Sourced {
                value: vec![],
                provenance: Provenance::CratesIoApi,
                fetched: None,
            }),
            publisher: None,
        },
    );
    lock.packages
        .insert(CrateKey::new("unknown", "1.0.0"), PublisherFacts::default());
    lock
}

#[test]
fn round_trip_is_byte_stable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor-audit.lock");
    let lock = sample();
    lock.write(&path).unwrap();
    let first = std::fs::read(&path).unwrap();
    let read = FactsLock::read(&path).unwrap();
    assert_eq!(read, lock.clone().normalized());
    read.write(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), first);

    let text = String::from_utf8(first).unwrap();
    // Sorted by name, then semver; owners users first; one fact per line.
    let serde_at = |v: &str| text.find(&format!("version = \"{v}\"")).unwrap();
    assert!(serde_at("1.0.9") < serde_at("1.0.10"));
    assert!(text.find("name = \"mach2\"").unwrap() < text.find("name = \"serde\"").unwrap());
    assert!(text.contains(
        "owners = [\n    { kind = \"user\", id = 3618, login = \"dtolnay\" },\n    { kind = \"team\", id = 5, login = \"github:serde-rs:owners\" },\n]\n"
    ));
    assert!(text.contains("publisher = { kind = \"none\" }"));
    assert!(text.contains("publisher-source = \"cargo-vet-imports\"\npublisher-fetched = \"2025-11-16\"\npublisher = { kind = \"trusted\", repository = \"github:JohnTitor/mach2\" }"));
    assert!(text.contains("owners = []"));
    assert!(text.starts_with("# "));
}

#[test]
fn diff_reports_added_and_removed_owners_and_publisher_changes() {
    let old = sample();
    let mut new = sample();
    // A new owner, and a new version of serde published by someone else.
    for (key, facts) in new.packages.iter_mut() {
        if key.name == "serde" {
            facts
                .owners
                .as_mut()
                .unwrap()
                .value
                .push(user(42, "newcomer"));
        }
    }
    let mut v11 = new.packages[&CrateKey::new("serde", "1.0.10")].clone();
    v11.publisher.as_mut().unwrap().value = Some(Publisher::User {
        id: 42,
        login: "newcomer".into(),
    });
    new.packages.insert(CrateKey::new("serde", "1.0.11"), v11);
    // A crate that left the graph: no owners to report, it had none.
    new.packages
        .remove(&CrateKey::new("weird \"name\"", "0.1.0"));

    let changes = diff(&old, &new);
    assert_eq!(
        changes,
        vec![
            LockChange::OwnerAdded {
                name: "serde".into(),
                owner: user(42, "newcomer")
            },
            LockChange::PublisherChanged {
                key: CrateKey::new("serde", "1.0.11"),
                old: Some(Some(Publisher::User {
                    id: 3618,
                    login: "dtolnay".into()
                })),
                new: Some(Some(Publisher::User {
                    id: 42,
                    login: "newcomer".into()
                })),
            },
        ]
    );
    assert_eq!(
        changes[0].to_string(),
        "serde: owner added: user newcomer (id 42)"
    );
    assert_eq!(
        changes[1].to_string(),
        "serde@1.0.11: publisher user newcomer (id 42) (was user dtolnay (id 3618))"
    );

    // Removing an owner, and logins compared case-insensitively.
    let mut fewer = sample();
    for (key, facts) in fewer.packages.iter_mut() {
        if key.name == "serde" {
            let owners = &mut facts.owners.as_mut().unwrap().value;
            owners.retain(|o| matches!(o, Owner::User { .. }));
            owners[0] = user(3618, "DTolnay");
        }
    }
    assert_eq!(
        diff(&old, &fewer),
        vec![LockChange::OwnerRemoved {
            name: "serde".into(),
            owner: Owner::Team {
                id: 5,
                login: "github:serde-rs:owners".into()
            }
        }]
    );
    assert!(diff(&old, &old).is_empty());
}

#[test]
fn malformed_lock_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor-audit.lock");
    std::fs::write(
        &path,
        "schema = 1\n\n[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nowners = [ { kind = \"user\", id = \"seven\", login = \"a\" } ]\n",
    )
    .unwrap();
    let err = FactsLock::read(&path).unwrap_err().to_string();
    let expected = format!("facts lock {}:6:", path.display());
    assert!(err.starts_with(&expected), "{err}");

    std::fs::write(&path, "schema = 1\n[[package]]\nname = \n").unwrap();
    let err = FactsLock::read(&path).unwrap_err().to_string();
    assert!(err.contains(":3:"), "{err}");

    std::fs::write(&path, "# newer\nschema = 2\n").unwrap();
    let err = FactsLock::read(&path).unwrap_err().to_string();
    assert!(err.contains(":2:1: schema 2"), "{err}");

    assert!(
        FactsLock::read_if_exists(Path::new("/nonexistent/vendor-audit.lock"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn lock_as_a_source_says_facts_lock() {
    let mut source = LockSource::new(sample());
    let got = source.gather(&[
        CrateKey::new("Serde", "1.0.9"),
        CrateKey::new("serde", "2.0.0"),
    ]);
    assert_eq!(got.facts.len(), 1);
    let facts = &got.facts[&CrateKey::new("Serde", "1.0.9")];
    let owners = facts.owners.as_ref().unwrap();
    assert_eq!(owners.provenance, Provenance::FactsLock);
    assert_eq!(owners.fetched.as_deref(), Some("2026-11-27T02:00:00Z"));
    assert_eq!(facts.publisher.as_ref().unwrap().value, None);
}

#[test]
fn concurrent_writers_never_tear_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("vendor-audit.lock"));
    // Two different locks, so a torn file would show.
    let a = sample();
    let mut b = sample();
    for i in 0..200 {
        b.packages.insert(
            CrateKey::new(format!("crate-{i:03}"), "1.0.0"),
            PublisherFacts {
                owners: Some(sourced(
                    vec![user(i, "someone")],
                    Provenance::CratesIoApi,
                    "2026-11-27T00:00:00Z",
                )),
                publisher: None,
            },
        );
    }
    let locks = [a.normalized(), b.normalized()];
    let barrier = Arc::new(Barrier::new(3));
    let writers: Vec<_> = locks
        .iter()
        .cloned()
        .map(|lock| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..50 {
                    lock.write(&path).unwrap();
                }
            })
        })
        .collect();
    let reader = {
        let (path, barrier) = (path.clone(), barrier.clone());
        let locks = locks.clone();
        std::thread::spawn(move || {
            barrier.wait();
            let mut reads = 0;
            while reads < 200 {
                if let Ok(text) = std::fs::read_to_string(&*path) {
                    let lock = FactsLock::parse(&text, &path).expect("always parseable");
                    assert!(locks.contains(&lock));
                    reads += 1;
                }
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    reader.join().unwrap();
    let last = FactsLock::read(&path).unwrap();
    assert!(locks.contains(&last));
    // No temporary file left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn concurrent_writers_of_one_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ApiCache::new(dir.path());
    let barrier = Arc::new(Barrier::new(3));
    let owner_lists: Vec<Vec<Owner>> = vec![
        vec![user(1, "a")],
        (0..300).map(|i| user(i, "many-owners")).collect(),
    ];
    let writers: Vec<_> = owner_lists
        .iter()
        .cloned()
        .map(|owners| {
            let (cache, barrier) = (cache.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..50 {
                    cache
                        .put_owners("shared", Some(&owners), SystemTime::now())
                        .unwrap();
                    cache
                        .put_publisher("shared", "1.0.0", Some(None), SystemTime::now())
                        .unwrap();
                }
            })
        })
        .collect();
    let reader = {
        let (cache, barrier) = (cache.clone(), barrier.clone());
        let owner_lists = owner_lists.clone();
        std::thread::spawn(move || {
            barrier.wait();
            let mut seen = 0;
            while seen < 200 {
                if let Some(hit) = cache.owners("shared") {
                    assert!(owner_lists.contains(hit.value.as_ref().unwrap()));
                    seen += 1;
                }
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    reader.join().unwrap();
    assert!(cache.owners("shared").is_some());
    assert_eq!(
        cache.publisher("shared", "1.0.0").unwrap().value,
        Some(None)
    );
}

#[test]
fn strings_are_written_on_one_line_and_read_back() {
    // A login holding a line that looks like an entry's header, quotes and controls: the
    // lock is read entry by entry, so no string may span lines.
    let mut lock = FactsLock::default();
    let odd = "x\n[[package]]\nname = \"evil\"\r\t'\"\\\u{1b}[2J\u{7f}é";
    lock.packages.insert(
        CrateKey::new("serde", "1.0.0"),
        PublisherFacts {
            owners: Some(sourced(
                vec![user(1, odd)],
                Provenance::CratesIoApi,
                "2026-11-27T02:00:00Z",
            )),
            publisher: Some(sourced(
                Some(Publisher::Trusted(odd.to_string())),
                Provenance::CratesIoApi,
                "2026-11-27T02:00:00Z",
            )),
        },
    );
    let text = lock.to_toml_string();
    assert_eq!(
        text.lines().filter(|l| l.trim() == "[[package]]").count(),
        1,
        "{text}"
    );
    let again = FactsLock::parse(&text, Path::new("vendor-audit.lock")).unwrap();
    assert_eq!(again, lock.clone().normalized());
    assert_eq!(again.to_toml_string(), text);
}
