//! Which publisher fact sources `check` and `fetch` use, in which order (book: docs/src/facts.md).
//!
//! Takes the resolved options (`--facts`, `--db-dump`, `--vet-imports`,
//! `--crates-io-api`, `--api-rate`, the cache dir) and the mode, and gives the gathered
//! facts; for `fetch`, also writes the facts lock and lists what changed. The caller
//! passes only crates.io packages: the dump and the API know nothing else.

use std::path::PathBuf;
use std::time::Duration;

use super::api::{ApiConfig, ApiError, CratesIoApi};
use super::cache::{ApiCache, DEFAULT_PUBLISHER_MAX_AGE};
use super::dump::DumpSource;
use super::lock::{FactsLock, LockChange, LockError, LockSource, diff};
use super::publisher::{CrateKey, FactSource, Gathered, gather_in_order};
use super::vet::VetSource;
use super::{Degraded, Provenance};
use crate::facts::store::source::{StoreOptions, StoreSource};

/// How the sources may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `check`: the lock, the files given, then the API through the cache for what is
    /// still missing (answers go to the cache, not the lock).
    Online,
    /// `check --offline`: the lock, the files given and cached API answers; no network.
    Offline,
    /// `check --locked` / `--frozen`: the lock only; no cache, no network.
    Locked,
    /// `fetch`: the files given and the API through the cache; not the old lock.
    Fetch,
}

/// The resolved fact-source options.
#[derive(Clone, Debug)]
pub struct SourceOptions {
    /// `--facts PATH`, else `vendor-audit.lock` at the workspace root.
    pub facts_lock: PathBuf,
    /// `--db-dump PATH`: a crates.io database dump to read, if given.
    pub db_dump: Option<PathBuf>,
    /// `--vet-imports PATH`: a cargo-vet `imports.lock` to read, if given.
    pub vet_imports: Option<PathBuf>,
    /// `--crates-io-api` goes in `base_url`, `--api-rate` in `min_interval`.
    pub api: ApiConfig,
    /// The API answer cache; `None` = [`ApiCache::default_dir`].
    pub cache_dir: Option<PathBuf>,
    /// `--cache-max-age`: the oldest cached owners answer to use (publishers of a version
    /// do not change, so they are kept at least as long as the default).
    pub cache_max_age: Option<Duration>,
}

impl SourceOptions {
    /// Defaults for a workspace: its lock, no files, crates.io, the machine's cache.
    pub fn new(facts_lock: impl Into<PathBuf>) -> SourceOptions {
        SourceOptions {
            facts_lock: facts_lock.into(),
            db_dump: None,
            vet_imports: None,
            api: ApiConfig::default(),
            cache_dir: None,
            cache_max_age: None,
        }
    }
}

/// What stops the facts from being gathered at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// The facts lock could not be read or written.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The API client refused its configuration (`--crates-io-api`, `--api-rate`).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The facts store failed in a way that must stop the run; the text says why.
    #[error("{0}")]
    Store(String),
}

/// Gathers publisher facts for `wanted` from the sources `mode` allows, in the order of the book (docs/src/facts.md):
/// lock, dump, cargo-vet imports, API. A source that fails degrades; only a malformed
/// facts lock (a committed file to fix) or a refused API setting is an error.
pub fn gather_publisher_facts(
    options: &SourceOptions,
    mode: Mode,
    wanted: &[CrateKey],
) -> Result<Gathered, SourcesError> {
    gather_with_store(options, None, mode, wanted)
}

/// [`gather_publisher_facts`] with the facts store (book: docs/src/facts.md, "The facts store") asked after the
/// cargo-vet imports and before the API; `store: None` = not used.
pub fn gather_with_store(
    options: &SourceOptions,
    store: Option<StoreOptions>,
    mode: Mode,
    wanted: &[CrateKey],
) -> Result<Gathered, SourcesError> {
    let mut early = Vec::new();
    let mut lock = None;
    if mode != Mode::Fetch {
        match FactsLock::read_if_exists(&options.facts_lock)? {
            Some(found) => lock = Some(LockSource::new(found)),
            None if mode == Mode::Locked => early.push(Degraded {
                source: Provenance::FactsLock.as_str().to_string(),
                message: format!(
                    "no facts lock at {}: run `cargo vendor-audit fetch` to write it",
                    options.facts_lock.display()
                ),
            }),
            None => {}
        }
    }
    let mut dump = options
        .db_dump
        .as_ref()
        .filter(|_| mode != Mode::Locked)
        .map(DumpSource::new);
    let mut vet = options
        .vet_imports
        .as_ref()
        .filter(|_| mode != Mode::Locked)
        .map(VetSource::new);
    let mut cache_for_store = None;
    let mut api = match mode {
        Mode::Locked => None,
        Mode::Online | Mode::Offline | Mode::Fetch => {
            let cache = options
                .cache_dir
                .clone()
                .or_else(ApiCache::default_dir)
                .map(ApiCache::new)
                .map(|c| match options.cache_max_age {
                    Some(age) => c.with_max_age(age, age.max(DEFAULT_PUBLISHER_MAX_AGE)),
                    None => c,
                });
            cache_for_store = cache.clone();
            let config = ApiConfig {
                offline: options.api.offline || mode == Mode::Offline,
                ..options.api.clone()
            };
            Some(CratesIoApi::new(config, cache)?)
        }
    };
    let mut sources: Vec<&mut dyn FactSource> = Vec::new();
    if let Some(s) = lock.as_mut() {
        sources.push(s);
    }
    if let Some(s) = dump.as_mut() {
        sources.push(s);
    }
    if let Some(s) = vet.as_mut() {
        sources.push(s);
    }
    // `--locked`/`--frozen` never read the store.
    let mut store = store.filter(|_| mode != Mode::Locked).map(|o| {
        StoreSource::new(StoreOptions {
            cache: cache_for_store,
            offline: o.offline || mode == Mode::Offline,
            ..o
        })
    });
    if let Some(s) = store.as_mut() {
        sources.push(s);
    }
    if let Some(s) = api.as_mut() {
        sources.push(s);
    }
    let mut gathered = gather_in_order(&mut sources, wanted);
    if let Some(why) = store.and_then(|s| s.fatal) {
        return Err(SourcesError::Store(why));
    }
    early.append(&mut gathered.degraded);
    gathered.degraded = early;
    Ok(gathered)
}

/// What `fetch` did.
#[derive(Debug)]
pub struct FetchOutcome {
    /// The lock as written, or (when nothing was gathered) the old lock, left in place.
    pub lock: FactsLock,
    /// Whether the lock file was written.
    pub written: bool,
    /// Packages asked about.
    pub asked: usize,
    /// Packages some source answered for in this fetch.
    pub answered: usize,
    /// Packages whose facts (some or all) were kept from the old lock, with their old date,
    /// because no source could answer this time.
    pub kept: usize,
    /// What changed since the old lock (all of it when there was none).
    pub changes: Vec<LockChange>,
    /// Sources that failed.
    pub degraded: Vec<Degraded>,
}

/// `fetch`: gathers facts for `wanted` from the dump, the imports and the API (not the old
/// lock), writes the facts lock, and lists what changed since the old one. An old lock
/// that cannot be parsed is replaced (and said so); it does not stop the fetch. A source
/// that fails does not erase what the old lock knew: its facts stay, with their old date,
/// for the packages no source could answer. When no source answered anything at all, the
/// lock is not written (the old one stays as it was).
pub fn fetch_lock(
    options: &SourceOptions,
    wanted: &[CrateKey],
) -> Result<FetchOutcome, SourcesError> {
    fetch_lock_with_store(options, None, wanted)
}

/// [`fetch_lock`], reading the facts store too (`store: None` = not used).
pub fn fetch_lock_with_store(
    options: &SourceOptions,
    store: Option<StoreOptions>,
    wanted: &[CrateKey],
) -> Result<FetchOutcome, SourcesError> {
    let mut gathered = gather_with_store(options, store, Mode::Fetch, wanted)?;
    let answered = wanted
        .iter()
        .filter(|k| gathered.get(k).is_some_and(|f| !f.is_empty()))
        .count();
    let old = match FactsLock::read_if_exists(&options.facts_lock) {
        Ok(old) => old.unwrap_or_default(),
        Err(e) => {
            gathered.degraded.push(Degraded {
                source: Provenance::FactsLock.as_str().to_string(),
                message: format!("{e}; it is replaced, and changes are listed against nothing"),
            });
            FactsLock::default()
        }
    };
    if !wanted.is_empty() && answered == 0 {
        return Ok(FetchOutcome {
            lock: old,
            written: false,
            asked: wanted.len(),
            answered,
            kept: 0,
            changes: Vec::new(),
            degraded: gathered.degraded,
        });
    }
    let mut lock = FactsLock::from_gathered(&gathered);
    let mut kept = 0;
    if !gathered.degraded.is_empty() {
        for key in wanted {
            let Some(previous) = old.get(key).filter(|p| !p.is_empty()) else {
                continue;
            };
            let facts = lock.packages.entry(key.clone()).or_default();
            if !facts.is_complete() {
                let before = facts.clone();
                facts.fill_from(previous.clone());
                if *facts != before {
                    kept += 1;
                }
            }
        }
        lock = lock.normalized();
    }
    lock.write(&options.facts_lock)?;
    Ok(FetchOutcome {
        changes: diff(&old, &lock),
        lock,
        written: true,
        asked: wanted.len(),
        answered,
        kept,
        degraded: gathered.degraded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::publisher::PublisherFacts;
    use crate::facts::{Owner, Sourced};

    #[test]
    fn fetch_with_failing_sources_keeps_the_old_facts() {
        let dir = tempfile::tempdir().unwrap();
        let key = CrateKey::new("foo", "1.0.0");
        let mut old = FactsLock::default();
        old.packages.insert(
            key.clone(),
            PublisherFacts {
                owners: Some(Sourced {
                    value: vec![Owner::User {
                        id: 1,
                        login: "alice".into(),
                    }],
                    provenance: Provenance::CratesIoApi,
                    fetched: Some("2026-11-01T00:00:00Z".into()),
                }),
                publisher: None,
            },
        );
        let path = dir.path().join("vendor-audit.lock");
        old.write(&path).unwrap();
        // Every source fails: a dump that is not there, an API with no network.
        let mut options = SourceOptions::new(&path);
        options.db_dump = Some(dir.path().join("no-such-dump.tar.gz"));
        options.api.offline = true;
        options.cache_dir = Some(dir.path().join("cache"));
        let before = std::fs::read(&path).unwrap();
        let outcome = fetch_lock(&options, std::slice::from_ref(&key)).unwrap();
        assert_eq!(outcome.lock.get(&key), old.get(&key));
        assert!(!outcome.written && outcome.answered == 0);
        assert_eq!(std::fs::read(&path).unwrap(), before, "the old lock stays");
        assert!(outcome.changes.is_empty(), "{:?}", outcome.changes);
        assert!(!outcome.degraded.is_empty());
    }
}
