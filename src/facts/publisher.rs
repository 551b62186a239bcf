//! The shared model of the publisher fact sources: which crate versions are wanted,
//! what a source says about them, and the [`FactSource`] trait every source implements.
//!
//! Sources: the facts lock ([`lock`](super::lock)), a crates.io database dump
//! ([`dump`](super::dump)), a cargo-vet `imports.lock` ([`vet`](super::vet)) and the
//! crates.io web API through a local cache ([`api`](super::api)). [`gather_in_order`]
//! asks them in order of preference; a fact found earlier wins (book: docs/src/facts.md).

use std::collections::BTreeMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{Degraded, Owner, Publisher, Sourced};
use crate::date::Date;

/// One crate version of the graph: `name` as cargo metadata spells it, `version` exact.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CrateKey {
    /// The crate's name as cargo metadata spells it, e.g. `serde_json`.
    pub name: String,
    /// The exact version, e.g. `1.0.108`.
    pub version: String,
}

impl CrateKey {
    /// The key for crate `name` at exact `version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> CrateKey {
        CrateKey {
            name: name.into(),
            version: version.into(),
        }
    }
}

impl fmt::Display for CrateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

/// Whether two crates.io logins (users or `github:org:team`) name the same account.
pub fn same_login(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// What one source says about one crate version.
///
/// `None` = this source does not know. `publisher: Some(Sourced { value: None, .. })` =
/// the source knows the version has no recorded publisher.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublisherFacts {
    /// The crate's crates.io owners, and which source told.
    pub owners: Option<Sourced<Vec<Owner>>>,
    /// Who published this version, and which source told.
    pub publisher: Option<Sourced<Option<Publisher>>>,
}

impl PublisherFacts {
    /// Both facts are known.
    pub fn is_complete(&self) -> bool {
        self.owners.is_some() && self.publisher.is_some()
    }

    /// Neither fact is known.
    pub fn is_empty(&self) -> bool {
        self.owners.is_none() && self.publisher.is_none()
    }

    /// Fills what `self` does not know from `other`; what `self` knows wins.
    pub fn fill_from(&mut self, other: PublisherFacts) {
        if self.owners.is_none() {
            self.owners = other.owners;
        }
        if self.publisher.is_none() {
            self.publisher = other.publisher;
        }
    }
}

/// What a source found: facts per crate version, and the problems it met.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gathered {
    /// Only crate versions the source knows something about appear here.
    pub facts: BTreeMap<CrateKey, PublisherFacts>,
    /// Problems the source met, for the report's `degraded` list.
    pub degraded: Vec<Degraded>,
}

impl Gathered {
    /// Records `facts` for `key`, keeping what was already known.
    pub fn add(&mut self, key: CrateKey, facts: PublisherFacts) {
        if facts.is_empty() {
            return;
        }
        self.facts.entry(key).or_default().fill_from(facts);
    }

    /// Records a problem of source `source`.
    pub fn degrade(&mut self, source: &str, message: impl Into<String>) {
        self.degraded.push(Degraded {
            source: source.to_string(),
            message: message.into(),
        });
    }

    /// Adds what `later` found where nothing is known yet, and its problems.
    pub fn fill_from(&mut self, later: Gathered) {
        for (key, facts) in later.facts {
            self.add(key, facts);
        }
        self.degraded.extend(later.degraded);
    }

    /// The facts known for `key`, if any.
    pub fn get(&self, key: &CrateKey) -> Option<&PublisherFacts> {
        self.facts.get(key)
    }
}

/// A crate version and which of its facts are still unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Needed {
    /// Which crate version.
    pub key: CrateKey,
    /// Whether its crates.io owners are still unknown.
    pub owners: bool,
    /// Whether its publisher is still unknown.
    pub publisher: bool,
}

impl Needed {
    /// Both facts wanted.
    pub fn all(key: CrateKey) -> Needed {
        Needed {
            key,
            owners: true,
            publisher: true,
        }
    }
}

/// A source of crates.io owner and version-publisher facts.
///
/// A source never fails the run: whatever goes wrong is returned as a [`Degraded`] entry
/// in [`Gathered::degraded`], and the crates it could not answer for are left out.
pub trait FactSource {
    /// The source's name as the report's `degraded[].source` shows it (a provenance name).
    fn name(&self) -> &'static str;

    /// Finds what the source knows about the `wanted` crate versions.
    fn gather(&mut self, wanted: &[CrateKey]) -> Gathered;

    /// Like [`FactSource::gather`], told which facts are still missing, so a costly source
    /// (the API) asks only for those. The default asks for everything.
    fn gather_needed(&mut self, needed: &[Needed]) -> Gathered {
        let keys: Vec<CrateKey> = needed.iter().map(|n| n.key.clone()).collect();
        self.gather(&keys)
    }
}

/// Asks `sources` in order of preference; a fact found earlier wins, and a later source
/// is asked only about the facts still missing.
pub fn gather_in_order(sources: &mut [&mut dyn FactSource], wanted: &[CrateKey]) -> Gathered {
    let mut all = Gathered::default();
    for source in sources.iter_mut() {
        let needed: Vec<Needed> = wanted
            .iter()
            .filter_map(|key| {
                let known = all.facts.get(key);
                let owners = known.is_none_or(|f| f.owners.is_none());
                let publisher = known.is_none_or(|f| f.publisher.is_none());
                (owners || publisher).then(|| Needed {
                    key: key.clone(),
                    owners,
                    publisher,
                })
            })
            .collect();
        if needed.is_empty() {
            break;
        }
        let found = source.gather_needed(&needed);
        all.fill_from(found);
    }
    all
}

/// `now` as an RFC 3339 UTC time to the second, e.g. `2026-11-27T21:30:00Z`.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// `time` as an RFC 3339 UTC time to the second.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let date = Date::from_days_since_epoch(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crate_name::CrateName;
    use crate::facts::Provenance;
    use std::time::Duration;

    #[test]
    fn names_compare_with_dash_and_underscore_equal() {
        assert_eq!(CrateName("Foo_Bar-baz").normalized(), "foo-bar-baz");
        assert!(same_login("BurntSushi", "burntsushi"));
        assert!(same_login("github:Org:Team", "github:org:team"));
    }

    #[test]
    fn formats_rfc3339() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
    }

    struct Fixed(&'static str, Gathered, Vec<Vec<Needed>>);
    impl FactSource for Fixed {
        fn name(&self) -> &'static str {
            self.0
        }
        fn gather(&mut self, _: &[CrateKey]) -> Gathered {
            unreachable!()
        }
        fn gather_needed(&mut self, needed: &[Needed]) -> Gathered {
            self.2.push(needed.to_vec());
            self.1.clone()
        }
    }

    fn sourced<T>(value: T, provenance: Provenance) -> Sourced<T> {
        Sourced {
            value,
            provenance,
            fetched: None,
        }
    }

    #[test]
    fn earlier_source_wins_and_later_is_asked_only_what_is_missing() {
        let a = CrateKey::new("a", "1.0.0");
        let b = CrateKey::new("b", "2.0.0");
        let mut first = Gathered::default();
        first.add(
            a.clone(),
            PublisherFacts {
                owners: None,
                publisher: Some(sourced(None, Provenance::CargoVetImports)),
            },
        );
        let mut second = Gathered::default();
        for key in [&a, &b] {
            second.add(
                key.clone(),
                PublisherFacts {
                    owners: Some(sourced(vec![], Provenance::CratesIoApi)),
                    publisher: Some(sourced(
                        Some(Publisher::Trusted("github:x/y".into())),
                        Provenance::CratesIoApi,
                    )),
                },
            );
        }
        second.degrade("crates-io-api", "something");
        let mut s1 = Fixed("one", first, vec![]);
        let mut s2 = Fixed("two", second, vec![]);
        let all = gather_in_order(&mut [&mut s1, &mut s2], &[a.clone(), b.clone()]);
        assert_eq!(
            s2.2[0],
            vec![
                Needed {
                    key: a.clone(),
                    owners: true,
                    publisher: false
                },
                Needed::all(b.clone())
            ]
        );
        let fa = all.get(&a).unwrap();
        assert_eq!(
            fa.publisher.as_ref().unwrap().provenance,
            Provenance::CargoVetImports
        );
        assert_eq!(
            fa.owners.as_ref().unwrap().provenance,
            Provenance::CratesIoApi
        );
        assert!(all.get(&b).unwrap().is_complete());
        assert_eq!(all.degraded.len(), 1);
    }
}
