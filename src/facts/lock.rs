//! The facts lock `vendor-audit.lock`: publisher facts meant to be committed, like
//! Cargo.lock.
//!
//! Takes the facts gathered by `fetch` and gives a sorted, stable, diffable TOML file:
//! one `[[package]]` table per crate version (sorted by name, then semver), its owners
//! one per line (sorted), its publisher, and for each fact the source it came from and
//! when. Reading then writing gives the same bytes. Writing replaces the file atomically
//! (temporary file + rename in the same folder) while holding an exclusive lock on a
//! hidden sibling (`.vendor-audit.lock.lock`), so concurrent writers never tear it.
//! [`diff`] lists what changed between two locks, for `fetch` to print.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::publisher::{CrateKey, FactSource, Gathered, PublisherFacts};
use super::vet::line_column;
use super::{Owner, Provenance, Publisher, Sourced};
use crate::crate_name::CrateName;

/// The file name looked for at the workspace root.
pub const DEFAULT_FILE_NAME: &str = "vendor-audit.lock";

const SCHEMA: u32 = 1;

const HEADER: &str = "\
# Publisher facts (crates.io owners and version publishers) for cargo vendor-audit.
# Written by `cargo vendor-audit fetch`; commit it, like Cargo.lock. Do not edit by hand.
";

/// Why the lock could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock file could not be read, or is over the size limit.
    #[error("cannot read facts lock {}: {source}", path.display())]
    Read {
        /// The lock file, e.g. `vendor-audit.lock` at the workspace root.
        path: PathBuf,
        /// The I/O error from reading it.
        source: std::io::Error,
    },
    /// The lock is not valid TOML, or an entry is malformed or listed twice.
    #[error(
        "facts lock {}:{line}:{column}: {message}; run `cargo vendor-audit fetch` to write it again",
        path.display()
    )]
    Parse {
        /// The lock file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// The lock could not be written, or its temporary file renamed over it.
    #[error("cannot write facts lock {}: {source}", path.display())]
    Write {
        /// The lock file.
        path: PathBuf,
        /// The I/O error from writing it.
        source: std::io::Error,
    },
}

/// The facts lock: facts per crate version, each with its original source and time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FactsLock {
    /// Facts per crate version, in name-then-version order.
    pub packages: BTreeMap<CrateKey, PublisherFacts>,
}

/// The part of the file before the first `[[package]]` line.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawLock {
    schema: u32,
    #[serde(default)]
    package: Vec<Spanned<RawPackage>>,
}

/// One `[[package]]` entry, read on its own.
#[derive(Deserialize)]
struct RawEntry {
    #[serde(default)]
    package: Vec<Spanned<RawPackage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: String,
    version: String,
    owners_source: Option<Provenance>,
    owners_fetched: Option<Spanned<String>>,
    owners: Option<Vec<RawOwner>>,
    publisher_source: Option<Provenance>,
    publisher_fetched: Option<Spanned<String>>,
    publisher: Option<RawPublisher>,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum RawOwner {
    User { id: u64, login: String },
    Team { id: u64, login: String },
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum RawPublisher {
    User { id: u64, login: String },
    Trusted { repository: String },
    None,
}

impl FactsLock {
    /// The lock holding what `gathered` found (its problems are not recorded).
    pub fn from_gathered(gathered: &Gathered) -> FactsLock {
        FactsLock {
            packages: gathered.facts.clone(),
        }
        .normalized()
    }

    /// The same lock with each owner list in the order the file keeps (users, then teams,
    /// by login), duplicates dropped: what reading the written file gives back.
    pub fn normalized(mut self) -> FactsLock {
        for facts in self.packages.values_mut() {
            if let Some(owners) = &mut facts.owners {
                owners.value.sort_by(compare_owners);
                owners.value.dedup();
            }
        }
        self
    }

    /// The facts recorded for `key`.
    pub fn get(&self, key: &CrateKey) -> Option<&PublisherFacts> {
        self.packages.get(key)
    }

    /// Reads the lock at `path`.
    pub fn read(path: &Path) -> Result<FactsLock, LockError> {
        let text = read_limited(path).map_err(|source| LockError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        FactsLock::parse(&text, path)
    }

    /// Reads the lock at `path`, or `None` when there is no such file.
    pub fn read_if_exists(path: &Path) -> Result<Option<FactsLock>, LockError> {
        match read_limited(path) {
            Ok(text) => FactsLock::parse(&text, path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LockError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses a lock's text; `path` only names it in errors.
    ///
    /// Each `[[package]]` entry is parsed on its own, so the memory a parse takes beyond
    /// the text and the facts is that of one entry (at most
    /// [`FACTS_LOCK_ENTRY_BYTES`](crate::limits::FACTS_LOCK_ENTRY_BYTES)), not of the whole
    /// document. A crate version listed twice is an error naming both entries, and every
    /// `*-fetched` time must be an RFC 3339 time.
    pub fn parse(text: &str, path: &Path) -> Result<FactsLock, LockError> {
        let parse_error = |at: usize, message: String| {
            let (line, column) = line_column(text, at);
            LockError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let limit = crate::limits::FACTS_LOCK_ENTRY_BYTES;
        // (offset of its part of the text, offset of its header, the entry)
        let mut raw_packages: Vec<(usize, usize, RawPackage)> = Vec::new();
        for (i, (offset, chunk)) in entries(text).enumerate() {
            if chunk.len() as u64 > limit {
                return Err(parse_error(
                    offset,
                    format!(
                        "this part of the file is longer than the limit of {} for one entry",
                        crate::limits::describe(limit)
                    ),
                ));
            }
            let toml_error = |e: toml::de::Error| {
                let at = e.span().map(|s| offset + s.start).unwrap_or(offset);
                parse_error(at, e.message().trim().to_string())
            };
            let list = if i == 0 {
                let raw: RawLock = toml::from_str(chunk).map_err(toml_error)?;
                if raw.schema != SCHEMA {
                    let at = chunk.find("schema").unwrap_or(0);
                    return Err(parse_error(
                        offset + at,
                        format!(
                            "schema {} is not known to this version (it reads schema {SCHEMA})",
                            raw.schema
                        ),
                    ));
                }
                raw.package
            } else {
                let raw: RawEntry = toml::from_str(chunk).map_err(toml_error)?;
                raw.package
            };
            for p in list {
                let at = offset + p.span().start;
                raw_packages.push((offset, at, p.into_inner()));
            }
        }
        let mut packages = BTreeMap::new();
        let mut first_at: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (offset, at, p) in raw_packages {
            let norm = (CrateName(&p.name).normalized(), p.version.clone());
            if let Some(&first) = first_at.get(&norm) {
                return Err(parse_error(
                    at,
                    format!(
                        "package `{}` {} is listed twice, at lines {} and {}; which entry holds is unknown, so remove one",
                        p.name.escape_debug(),
                        p.version.escape_debug(),
                        line_column(text, first).0,
                        line_column(text, at).0
                    ),
                ));
            }
            first_at.insert(norm, at);
            let fetched = |time: Option<Spanned<String>>| -> Result<Option<String>, LockError> {
                match time {
                    None => Ok(None),
                    Some(t) if crate::date::is_fact_time(t.get_ref()) => Ok(Some(t.into_inner())),
                    Some(t) => Err(parse_error(
                        offset + t.span().start,
                        format!(
                            "`{}` is not an RFC 3339 time (like 2026-11-27T02:00:00Z) or a date (2026-11-27)",
                            t.get_ref().escape_debug()
                        ),
                    )),
                }
            };
            let owners_fetched = fetched(p.owners_fetched)?;
            let publisher_fetched = fetched(p.publisher_fetched)?;
            let owners = p.owners.map(|list| Sourced {
                value: list
                    .into_iter()
                    .map(|o| match o {
                        RawOwner::User { id, login } => Owner::User { id, login },
                        RawOwner::Team { id, login } => Owner::Team { id, login },
                    })
                    .collect(),
                provenance: p.owners_source.unwrap_or(Provenance::FactsLock),
                fetched: owners_fetched,
            });
            let publisher = p.publisher.map(|raw| Sourced {
                value: match raw {
                    RawPublisher::User { id, login } => Some(Publisher::User { id, login }),
                    RawPublisher::Trusted { repository } => Some(Publisher::Trusted(repository)),
                    RawPublisher::None => None,
                },
                provenance: p.publisher_source.unwrap_or(Provenance::FactsLock),
                fetched: publisher_fetched,
            });
            packages.insert(
                CrateKey::new(p.name, p.version),
                PublisherFacts { owners, publisher },
            );
        }
        Ok(FactsLock { packages })
    }

    /// The lock as TOML: sorted and stable, so a change shows as a small diff.
    pub fn to_toml_string(&self) -> String {
        let mut keys: Vec<&CrateKey> = self.packages.keys().collect();
        keys.sort_by(|a, b| compare_keys(a, b));
        let mut out = String::from(HEADER);
        let _ = writeln!(out, "schema = {SCHEMA}");
        for key in keys {
            let facts = &self.packages[key];
            out.push_str("\n[[package]]\n");
            let _ = writeln!(out, "name = {}", quote(&key.name));
            let _ = writeln!(out, "version = {}", quote(&key.version));
            if let Some(owners) = &facts.owners {
                let _ = writeln!(out, "owners-source = {}", quote(owners.provenance.as_str()));
                if let Some(when) = &owners.fetched {
                    let _ = writeln!(out, "owners-fetched = {}", quote(when));
                }
                let mut list: Vec<&Owner> = owners.value.iter().collect();
                list.sort_by(|a, b| compare_owners(a, b));
                list.dedup();
                if list.is_empty() {
                    out.push_str("owners = []\n");
                } else {
                    out.push_str("owners = [\n");
                    for owner in list {
                        let _ = writeln!(out, "    {},", owner_inline(owner));
                    }
                    out.push_str("]\n");
                }
            }
            if let Some(publisher) = &facts.publisher {
                let _ = writeln!(
                    out,
                    "publisher-source = {}",
                    quote(publisher.provenance.as_str())
                );
                if let Some(when) = &publisher.fetched {
                    let _ = writeln!(out, "publisher-fetched = {}", quote(when));
                }
                let _ = writeln!(
                    out,
                    "publisher = {}",
                    publisher_inline(publisher.value.as_ref())
                );
            }
        }
        out
    }

    /// Writes the lock to `path` atomically, holding a lock on a hidden sibling file so
    /// that concurrent writers take turns; readers see the old or the new file, whole.
    pub fn write(&self, path: &Path) -> Result<(), LockError> {
        let err = |source| LockError::Write {
            path: path.to_path_buf(),
            source,
        };
        let text = self.to_toml_string();
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| DEFAULT_FILE_NAME.to_string());
        let guard =
            crate::files::open_lock_guard(&dir.join(format!(".{name}.lock"))).map_err(err)?;
        match guard.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                // Say what the run waits for: another process writing the same lock.
                eprintln!(
                    "{:>12} for {} (another process is writing it)",
                    "Waiting",
                    path.display()
                );
                guard.lock().map_err(err)?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(err(e)),
        }
        let written = crate::files::write_atomic(path, text.as_bytes()).map_err(err);
        let _ = guard.unlock();
        written
    }
}

fn read_limited(path: &Path) -> std::io::Result<String> {
    crate::limits::read_text(path, crate::limits::FACTS_LOCK_BYTES)
}

/// The parts of a lock's text, each with its byte offset: what comes before the first
/// `[[package]]` line, then each `[[package]]` entry up to the next one. A
/// `[[package]]` line inside a multi-line string cuts that string short, so such a file
/// fails to parse rather than being read another way.
fn entries(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && line.trim() == "[[package]]" {
            starts.push(offset);
        }
        offset += line.len();
    }
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([text.len()]).collect();
    starts
        .into_iter()
        .zip(ends)
        .map(move |(start, end)| (start, &text[start..end]))
}

/// Name, then version by semver precedence (text order when not semver).
fn compare_keys(a: &CrateKey, b: &CrateKey) -> Ordering {
    a.name
        .cmp(&b.name)
        .then_with(|| compare_versions(&a.version, &b.version))
}

fn compare_versions(a: &str, b: &str) -> Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(va), Ok(vb)) => va.cmp(&vb).then_with(|| a.cmp(b)),
        _ => a.cmp(b),
    }
}

/// Users before teams, then by login (case-insensitive), then id.
fn compare_owners(a: &Owner, b: &Owner) -> Ordering {
    let parts = |o: &Owner| match o {
        Owner::User { id, login } => (0, login.to_ascii_lowercase(), *id, login.clone()),
        Owner::Team { id, login } => (1, login.to_ascii_lowercase(), *id, login.clone()),
    };
    parts(a).cmp(&parts(b))
}

/// `s` as a one-line TOML basic string. Never a multi-line one, so no line of a written
/// lock other than an entry's header is `[[package]]` (see [`entries`]).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // What TOML does not allow raw in a basic string.
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn owner_inline(owner: &Owner) -> String {
    match owner {
        Owner::User { id, login } => {
            format!("{{ kind = \"user\", id = {id}, login = {} }}", quote(login))
        }
        Owner::Team { id, login } => {
            format!("{{ kind = \"team\", id = {id}, login = {} }}", quote(login))
        }
    }
}

fn publisher_inline(publisher: Option<&Publisher>) -> String {
    match publisher {
        None => "{ kind = \"none\" }".to_string(),
        Some(Publisher::User { id, login }) => {
            format!("{{ kind = \"user\", id = {id}, login = {} }}", quote(login))
        }
        Some(Publisher::Trusted(repo)) => {
            format!("{{ kind = \"trusted\", repository = {} }}", quote(repo))
        }
    }
}

/// One change between two locks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockChange {
    /// A crates.io owner of crate `name` that the old lock did not list.
    OwnerAdded {
        /// The crate's name as the lock spells it.
        name: String,
        /// The owner added.
        owner: Owner,
    },
    /// An owner the old lock listed and the new one does not.
    OwnerRemoved {
        /// The crate's name as the lock spells it.
        name: String,
        /// The owner removed.
        owner: Owner,
    },
    /// The publisher of `key` differs from the old lock's for that version (or, for a
    /// version new to the lock, from the old lock's newest version of the crate).
    /// `None` = unknown; `Some(None)` = no recorded publisher.
    PublisherChanged {
        /// Which crate version.
        key: CrateKey,
        /// Its publisher in the old lock.
        old: Option<Option<Publisher>>,
        /// Its publisher in the new lock.
        new: Option<Option<Publisher>>,
    },
}

impl fmt::Display for LockChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockChange::OwnerAdded { name, owner } => {
                write!(f, "{name}: owner added: {}", describe_owner(owner))
            }
            LockChange::OwnerRemoved { name, owner } => {
                write!(f, "{name}: owner removed: {}", describe_owner(owner))
            }
            LockChange::PublisherChanged { key, old, new } => write!(
                f,
                "{key}: publisher {} (was {})",
                describe_publisher(new.as_ref()),
                describe_publisher(old.as_ref())
            ),
        }
    }
}

fn describe_owner(owner: &Owner) -> String {
    match owner {
        Owner::User { id, login } => format!("user {login} (id {id})"),
        Owner::Team { id, login } => format!("team {login} (id {id})"),
    }
}

fn describe_publisher(p: Option<&Option<Publisher>>) -> String {
    match p {
        None => "unknown".to_string(),
        Some(None) => "not recorded".to_string(),
        Some(Some(Publisher::User { id, login })) => format!("user {login} (id {id})"),
        Some(Some(Publisher::Trusted(repo))) => format!("trusted publisher {repo}"),
    }
}

/// Owner identity for the diff: kind, id and login (case-insensitive).
fn owner_identity(owner: &Owner) -> (u8, u64, String) {
    match owner {
        Owner::User { id, login } => (0, *id, login.to_ascii_lowercase()),
        Owner::Team { id, login } => (1, *id, login.to_ascii_lowercase()),
    }
}

/// What changed from `old` to `new`: owners added and removed per crate, and publisher
/// changes per crate version. Sorted by crate, owner removals before additions.
pub fn diff(old: &FactsLock, new: &FactsLock) -> Vec<LockChange> {
    // Per normalized crate name: its display name and owners (first entry that has them).
    fn owners_by_crate(lock: &FactsLock) -> BTreeMap<String, (String, Vec<Owner>)> {
        let mut map: BTreeMap<String, (String, Vec<Owner>)> = BTreeMap::new();
        let mut known: BTreeSet<String> = BTreeSet::new();
        for (key, facts) in &lock.packages {
            let norm = CrateName(&key.name).normalized();
            let entry = map
                .entry(norm.clone())
                .or_insert_with(|| (key.name.clone(), Vec::new()));
            if let Some(owners) = &facts.owners
                && known.insert(norm)
            {
                entry.1 = owners.value.clone();
            }
        }
        map
    }
    let old_owners = owners_by_crate(old);
    let new_owners = owners_by_crate(new);
    let mut changes = Vec::new();
    let names: BTreeSet<&String> = old_owners.keys().chain(new_owners.keys()).collect();
    for norm in names {
        let empty = (String::new(), Vec::new());
        let (old_name, before) = old_owners.get(norm).unwrap_or(&empty);
        let (new_name, after) = new_owners.get(norm).unwrap_or(&empty);
        let name = if new_name.is_empty() {
            old_name
        } else {
            new_name
        };
        let ids = |list: &Vec<Owner>| -> BTreeSet<(u8, u64, String)> {
            list.iter().map(owner_identity).collect()
        };
        let (before_ids, after_ids) = (ids(before), ids(after));
        let mut removed: Vec<&Owner> = before
            .iter()
            .filter(|o| !after_ids.contains(&owner_identity(o)))
            .collect();
        removed.sort_by(|a, b| compare_owners(a, b));
        removed.dedup();
        let mut added: Vec<&Owner> = after
            .iter()
            .filter(|o| !before_ids.contains(&owner_identity(o)))
            .collect();
        added.sort_by(|a, b| compare_owners(a, b));
        added.dedup();
        changes.extend(removed.into_iter().map(|o| LockChange::OwnerRemoved {
            name: name.clone(),
            owner: o.clone(),
        }));
        changes.extend(added.into_iter().map(|o| LockChange::OwnerAdded {
            name: name.clone(),
            owner: o.clone(),
        }));
    }
    // Publishers: each version of the new lock against the same version of the old one,
    // else the old lock's newest version of that crate.
    let mut newest_old: BTreeMap<String, (&CrateKey, &PublisherFacts)> = BTreeMap::new();
    for (key, facts) in &old.packages {
        let norm = CrateName(&key.name).normalized();
        match newest_old.get(&norm) {
            Some((k, _)) if compare_versions(&k.version, &key.version) != Ordering::Less => {}
            _ => {
                newest_old.insert(norm, (key, facts));
            }
        }
    }
    let mut keys: Vec<&CrateKey> = new.packages.keys().collect();
    keys.sort_by(|a, b| compare_keys(a, b));
    for key in keys {
        let new_value = new.packages[key]
            .publisher
            .as_ref()
            .map(|s| s.value.clone());
        let old_value = match old.packages.get(key) {
            Some(facts) => facts.publisher.as_ref().map(|s| s.value.clone()),
            None => newest_old
                .get(&CrateName(&key.name).normalized())
                .and_then(|(_, f)| f.publisher.as_ref().map(|s| s.value.clone())),
        };
        if new_value.is_none() || same_publisher(&old_value, &new_value) {
            continue;
        }
        changes.push(LockChange::PublisherChanged {
            key: key.clone(),
            old: old_value,
            new: new_value,
        });
    }
    changes
}

fn same_publisher(a: &Option<Option<Publisher>>, b: &Option<Option<Publisher>>) -> bool {
    match (a, b) {
        (
            Some(Some(Publisher::User { id: i, login: l })),
            Some(Some(Publisher::User { id: j, login: m })),
        ) => i == j && l.eq_ignore_ascii_case(m),
        (Some(Some(Publisher::Trusted(x))), Some(Some(Publisher::Trusted(y)))) => {
            x.eq_ignore_ascii_case(y)
        }
        _ => a == b,
    }
}

/// The facts lock as a [`FactSource`] for `check`: its facts come with provenance
/// `facts-lock` (the lock keeps the original source for people reading it) and the
/// time they were fetched.
pub struct LockSource {
    lock: FactsLock,
}

impl LockSource {
    /// A source answering from `lock`.
    pub fn new(lock: FactsLock) -> LockSource {
        LockSource { lock }
    }
}

impl FactSource for LockSource {
    fn name(&self) -> &'static str {
        Provenance::FactsLock.as_str()
    }

    fn gather(&mut self, wanted: &[CrateKey]) -> Gathered {
        let mut by_norm: BTreeMap<(String, &str), &PublisherFacts> = BTreeMap::new();
        for (key, facts) in &self.lock.packages {
            by_norm.insert(
                (CrateName(&key.name).normalized(), key.version.as_str()),
                facts,
            );
        }
        let mut gathered = Gathered::default();
        for key in wanted {
            let Some(facts) =
                by_norm.get(&(CrateName(&key.name).normalized(), key.version.as_str()))
            else {
                continue;
            };
            gathered.add(
                key.clone(),
                PublisherFacts {
                    owners: facts.owners.as_ref().map(|s| Sourced {
                        value: s.value.clone(),
                        provenance: Provenance::FactsLock,
                        fetched: s.fetched.clone(),
                    }),
                    publisher: facts.publisher.as_ref().map(|s| Sourced {
                        value: s.value.clone(),
                        provenance: Provenance::FactsLock,
                        fetched: s.fetched.clone(),
                    }),
                },
            );
        }
        gathered
    }
}
