//! The store as a fact source, and when to download it (`--store auto|never|require`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::{Store, describe_age};
use crate::facts::Provenance;
use crate::facts::cache::ApiCache;
use crate::facts::publisher::{CrateKey, FactSource, Gathered, Needed};

/// `--store`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreMode {
    /// Use a fresh store; download one first when many API requests would be needed
    Auto,
    /// Neither read nor download the store
    Never,
    /// Exit 2 when no usable store can be had
    Require,
}

/// More API requests than this (two minutes at the default pace) make `check` and `fetch`
/// download the store first.
pub const UPDATE_THRESHOLD: usize = 120;

/// How the store may be used in one run.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// `--store`: whether the store is used, and whether it must be.
    pub mode: StoreMode,
    /// The store's folder; `None` = [`super::default_dir`].
    pub dir: Option<PathBuf>,
    /// `--store-max-age`.
    pub max_age: Duration,
    /// `--dump-url`.
    pub dump_url: String,
    /// `check` and `fetch` may download the store; `explain` and `list` only read it.
    pub may_update: bool,
    /// `--offline`: a store of any age, no download.
    pub offline: bool,
    /// The API answer cache, to count the requests still needed.
    pub cache: Option<ApiCache>,
}

impl StoreOptions {
    /// The store's folder: the one given, else the machine's default; `None` when there is neither.
    pub fn dir(&self) -> Option<PathBuf> {
        self.dir.clone().or_else(super::default_dir)
    }
}

/// The store as a [`FactSource`]: asked after the lock, `--db-dump` and `--vet-imports`,
/// before the API.
pub struct StoreSource {
    options: StoreOptions,
    /// With `--store require`: why no usable store could be had.
    pub fatal: Option<String>,
}

impl StoreSource {
    /// A source using the store as `options` allow.
    pub fn new(options: StoreOptions) -> StoreSource {
        StoreSource {
            options,
            fatal: None,
        }
    }

    /// API requests still needed for `needed` after the cache (as the API client counts).
    fn requests_needed(&self, needed: &[Needed]) -> usize {
        let cache = self.options.cache.as_ref();
        let mut names = BTreeSet::new();
        let mut count = 0;
        for n in needed {
            if n.owners
                && names.insert(n.key.name.as_str())
                && cache.is_none_or(|c| c.owners(&n.key.name).is_none())
            {
                count += 1;
            }
            if n.publisher
                && cache.is_none_or(|c| c.publisher(&n.key.name, &n.key.version).is_none())
            {
                count += 1;
            }
        }
        count
    }

    /// The store to read for `needed`, downloading it first when the mode says so.
    fn choose(&mut self, needed: &[Needed], gathered: &mut Gathered) -> Option<Store> {
        let source = Provenance::DbDump.as_str();
        let options = &self.options;
        let dir = options.dir()?;
        let path = dir.join(super::FILE_NAME);
        let current = match Store::open(&path) {
            Ok(store) => Some(store),
            Err(_) if !path.exists() => None,
            Err(e) => {
                gathered.degrade(
                    source,
                    format!(
                        "the facts store {} is not usable ({e}); it is ignored, and `cargo vendor-audit store update` rebuilds it",
                        path.display()
                    ),
                );
                None
            }
        };
        let fresh = current.as_ref().is_some_and(|s| s.age() <= options.max_age);
        if fresh {
            return current;
        }
        if options.offline {
            match current {
                Some(store) => {
                    gathered.degrade(
                        source,
                        format!(
                            "the facts store is {} old (dump of {}), older than --store-max-age {} h; used as it is because of --offline",
                            describe_age(store.age()),
                            store.timestamp().unwrap_or("an unknown date"),
                            options.max_age.as_secs() / 3600
                        ),
                    );
                    return Some(store);
                }
                None => {
                    if options.mode == StoreMode::Require {
                        self.fatal = Some(format!(
                            "--store require: no facts store at {}, and --offline forbids downloading one; run `cargo vendor-audit store update` or `store import PATH` first",
                            path.display()
                        ));
                    }
                    return None;
                }
            }
        }
        let requests = self.requests_needed(needed);
        let want_update = options.may_update
            && (options.mode == StoreMode::Require || requests > UPDATE_THRESHOLD);
        if !want_update {
            if options.mode == StoreMode::Require {
                self.fatal = Some(format!(
                    "--store require: no fresh facts store at {}; run `cargo vendor-audit store update` first",
                    path.display()
                ));
            }
            return None;
        }
        let why = match &current {
            None => "there is no facts store on this machine".to_string(),
            Some(s) => format!(
                "the facts store is {} old, older than --store-max-age {} h",
                describe_age(s.age()),
                options.max_age.as_secs() / 3600
            ),
        };
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "{:>12} {why}, and {requests} crates.io API requests would be needed (about {} min at one per second): downloading the crates.io database dump from {} first",
            "Store",
            requests.div_ceil(60),
            options.dump_url
        );
        drop(err);
        // With an old store to fall back on, an update already running is not waited for.
        match super::download::update(&dir, &options.dump_url, current.is_none()) {
            Ok(outcome) => match Store::open(&path) {
                Ok(store) => {
                    let s = store.summary();
                    let mut err = std::io::stderr().lock();
                    let _ = writeln!(
                        err,
                        "{:>12} {} the facts store: dump of {}; {} crates, {} versions, {} owners; {} at {}",
                        "Store",
                        if outcome.by_other {
                            "another update built"
                        } else {
                            "built"
                        },
                        s.timestamp.as_deref().unwrap_or("an unknown date"),
                        s.crates,
                        s.versions,
                        s.owners,
                        super::describe_bytes(s.bytes),
                        path.display()
                    );
                    Some(store)
                }
                Err(e) => {
                    gathered.degrade(source, format!("the new facts store is not usable: {e}"));
                    None
                }
            },
            Err(e) => {
                let stale = current.inspect(|store| {
                    gathered.degrade(
                        source,
                        format!(
                            "updating the facts store failed ({e}); the old store, {} old, is used",
                            describe_age(store.age())
                        ),
                    );
                });
                if stale.is_none() {
                    gathered.degrade(source, format!("updating the facts store failed: {e}"));
                    if options.mode == StoreMode::Require {
                        self.fatal =
                            Some(format!("--store require: no facts store could be had: {e}"));
                    }
                }
                stale
            }
        }
    }
}

impl FactSource for StoreSource {
    fn name(&self) -> &'static str {
        Provenance::DbDump.as_str()
    }

    fn gather(&mut self, wanted: &[CrateKey]) -> Gathered {
        let needed: Vec<Needed> = wanted.iter().cloned().map(Needed::all).collect();
        self.gather_needed(&needed)
    }

    fn gather_needed(&mut self, needed: &[Needed]) -> Gathered {
        let mut gathered = Gathered::default();
        if self.options.mode == StoreMode::Never {
            return gathered;
        }
        let Some(store) = self.choose(needed, &mut gathered) else {
            return gathered;
        };
        for n in needed {
            match store.lookup(&n.key) {
                Ok(Some(facts)) => gathered.add(n.key.clone(), facts),
                Ok(None) => {}
                Err(e) => {
                    gathered.degrade(self.name(), e);
                    break;
                }
            }
        }
        gathered
    }
}
