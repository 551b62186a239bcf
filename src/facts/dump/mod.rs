//! A crates.io database dump (`--db-dump PATH`) as a source of owners and publishers.
//!
//! Takes the `db-dump.tar.gz` as downloaded (or a plain tar) or its extracted folder
//! (`<date>/data/*.csv`) and the crate versions wanted; gives their owners and the
//! publisher of each version, with provenance `db-dump` and `fetched` = the dump's
//! `metadata.json` timestamp.
//!
//! The real archive is ~1.7 GiB compressed, so it is streamed: tables are read row by
//! row, columns by header name (unknown columns ignored, optional ones may be missing),
//! and only rows about wanted crates are kept. A table that needs ids from a table not
//! yet read (the tar holds `users.csv` before `crate_owners.csv`, which says which users
//! matter) is skipped and read in a further pass over the archive, which stops as soon as
//! it has what it needs. Nothing is ever written to disk.
//!
//! Layouts: older `users.csv` has `gh_login`; the 2026 layout has `username` and keeps
//! GitHub logins in `oauth_github.csv`. The crates.io login is `username` when present,
//! else `gh_login`, else the `oauth_github` login.
//!
//! Partial facts are never given as whole ones: a `versions.csv` without `published_by`
//! leaves every publisher unknown, and an owner or publisher whose login the dump does not
//! hold (or an owner of a kind this reader does not know) leaves that crate's owners or
//! that version's publisher unknown; each is said in [`DumpFacts::problems`]. A row the
//! facts depend on that is there twice (a wanted crate name, a version, a user or team
//! id), and an archive holding more than one dump, are errors. Every CSV row, tar long
//! name and PAX header is read only up to a limit (`crate::limits`).

mod archive;
mod assemble;
mod tables;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::Provenance;
use super::publisher::{CrateKey, FactSource, Gathered, PublisherFacts};
use crate::crate_name::CrateName;
use archive::{read_archive, read_folder};

pub(crate) use archive::{member_file_name, tables_dir, tar_stream, timestamp_of_metadata};
pub(crate) use tables::read_all_rows;

/// Why a dump could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The dump file or folder could not be opened.
    #[error("cannot open crates.io dump {}: {source}", path.display())]
    Open {
        /// The dump as given (`--db-dump` or the store's download).
        path: PathBuf,
        /// The I/O error from opening it.
        source: std::io::Error,
    },
    /// The archive could not be read to its end: not gzip, not tar, or cut short.
    #[error(
        "crates.io dump {} is corrupt or truncated ({source}); download it again from https://static.crates.io/db-dump.tar.gz",
        path.display()
    )]
    Archive {
        /// The dump as given.
        path: PathBuf,
        /// The I/O error from reading the archive.
        source: std::io::Error,
    },
    /// A row of a table that could not be read or holds a value that does not parse.
    #[error("crates.io dump {}: {table}.csv line {line}: {message}", path.display())]
    Csv {
        /// The dump as given.
        path: PathBuf,
        /// The table's name without `.csv`, e.g. `crate_owners`.
        table: &'static str,
        /// The 1-based line in that table's CSV file; 0 when unknown.
        line: u64,
        /// What is wrong with the row.
        message: String,
    },
    /// A table lacks a column this tool reads.
    #[error("crates.io dump {}: {table}.csv has no column `{column}`", path.display())]
    MissingColumn {
        /// The dump as given.
        path: PathBuf,
        /// The table's name without `.csv`, e.g. `crates`.
        table: &'static str,
        /// The column's name, e.g. `created_by`.
        column: &'static str,
    },
    /// A table this tool reads is not in the dump.
    #[error(
        "crates.io dump {}: no {table}.csv found (expected `<date>/data/{table}.csv`); is this a crates.io database dump?",
        path.display()
    )]
    MissingTable {
        /// The dump as given.
        path: PathBuf,
        /// The table's name without `.csv`, e.g. `versions`.
        table: &'static str,
    },
    /// The archive holds files under two different dump folders.
    #[error(
        "crates.io dump {}: the archive holds more than one dump (`{first}` and `{second}`); give one dump, as downloaded from https://static.crates.io/db-dump.tar.gz",
        path.display()
    )]
    TwoDumps {
        /// The dump as given.
        path: PathBuf,
        /// The first dump folder met, e.g. `2024-05-01-020011`.
        first: String,
        /// The other dump folder met.
        second: String,
    },
    /// The archive holds the same table twice.
    #[error(
        "crates.io dump {}: the archive holds {table}.csv twice; give one dump, as downloaded from https://static.crates.io/db-dump.tar.gz",
        path.display()
    )]
    TwiceInArchive {
        /// The dump as given.
        path: PathBuf,
        /// The table's name without `.csv`, e.g. `versions`.
        table: &'static str,
    },
}

/// The tables read, in the order their dependencies need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Table {
    Crates,
    CrateOwners,
    Versions,
    Users,
    Teams,
    OauthGithub,
}

impl Table {
    const ALL: [Table; 6] = [
        Table::Crates,
        Table::CrateOwners,
        Table::Versions,
        Table::Users,
        Table::Teams,
        Table::OauthGithub,
    ];

    fn name(self) -> &'static str {
        match self {
            Table::Crates => "crates",
            Table::CrateOwners => "crate_owners",
            Table::Versions => "versions",
            Table::Users => "users",
            Table::Teams => "teams",
            Table::OauthGithub => "oauth_github",
        }
    }

    fn from_file_name(name: &str) -> Option<Table> {
        let stem = name.strip_suffix(".csv")?;
        Table::ALL.into_iter().find(|t| t.name() == stem)
    }

    /// `oauth_github.csv` exists only in the 2026 layout.
    fn required(self) -> bool {
        self != Table::OauthGithub
    }

    /// Tables that must be read before this one can keep only the rows that matter.
    fn after(self) -> &'static [Table] {
        match self {
            Table::Crates => &[],
            Table::CrateOwners | Table::Versions => &[Table::Crates],
            Table::Users | Table::Teams | Table::OauthGithub => {
                &[Table::CrateOwners, Table::Versions]
            }
        }
    }
}

/// The day crates.io began trusted publishing: a version created since then with an empty
/// `published_by` may have been published by a trusted publisher, which the dump does not
/// hold (`trustpub_data` is private), so its publisher is unknown rather than none, and the
/// API is asked about that version alone.
pub const TRUSTED_PUBLISHING_SINCE: &str = "2025-07-01";

/// A version's `published_by` as the dump gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum By {
    /// None recorded, on a version from before trusted publishing.
    None,
    /// None recorded, on a version that a trusted publisher may have published.
    Unknown,
    User(u64),
}

/// What the dump says about the wanted crate versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DumpFacts {
    /// `metadata.json`'s `timestamp`, when present.
    pub timestamp: Option<String>,
    /// Crate versions of crates found in the dump (a crate absent from it is left out;
    /// a version absent from it has `publisher: None`).
    pub facts: BTreeMap<CrateKey, PublisherFacts>,
    /// Facts the dump could not give in full, and so left unknown: a missing column, an
    /// owner or publisher whose login is not in the dump.
    pub problems: Vec<String>,
}

#[derive(Default)]
struct UserRow {
    pub(super) username: Option<String>,
    pub(super) gh_login: Option<String>,
}

/// The rows kept while streaming.
struct State<'a> {
    pub(super) path: &'a Path,
    /// Normalized wanted name -> wanted versions.
    pub(super) wanted: HashMap<String, HashSet<&'a str>>,
    /// crate id -> normalized name, wanted crates only.
    pub(super) crate_ids: HashMap<u64, String>,
    /// (crate id, owner id, is team).
    pub(super) owners: Vec<(u64, u64, bool)>,
    /// Crate ids with an owner of a kind this reader does not know.
    pub(super) odd_owner_kind: HashSet<u64>,
    /// (crate id, version) -> published_by.
    pub(super) versions: HashMap<(u64, String), By>,
    /// `versions.csv` has no `published_by` column: publishers are unknown.
    pub(super) no_published_by: bool,
    pub(super) users: HashMap<u64, UserRow>,
    pub(super) oauth: HashMap<u64, String>,
    pub(super) teams: HashMap<u64, String>,
    pub(super) user_ids: HashSet<u64>,
    pub(super) team_ids: HashSet<u64>,
    pub(super) done: HashSet<Table>,
    pub(super) timestamp: Option<String>,
    /// The folder holding the first table or `metadata.json` met in an archive: every
    /// other one must be in it too.
    pub(super) root: Option<String>,
}

/// Reads the dump at `path` (`.tar.gz`, `.tar` or an extracted folder) for `wanted`.
pub fn read_dump(path: &Path, wanted: &[CrateKey]) -> Result<DumpFacts, DumpError> {
    let mut state = State::new(path, wanted);
    if path.is_dir() {
        read_folder(&mut state)?;
    } else {
        read_archive(&mut state)?;
    }
    Ok(state.finish(wanted))
}

/// Reads tables given as `(file name, CSV bytes)` pairs (`crates.csv`, ...), as
/// [`read_dump`] reads an extracted folder; `name` stands for the dump in messages.
/// Tables the dump layout does not know are ignored. For fuzzing and tests.
pub fn read_tables(
    name: &Path,
    tables: &[(&str, &[u8])],
    wanted: &[CrateKey],
) -> Result<DumpFacts, DumpError> {
    let mut state = State::new(name, wanted);
    for table in Table::ALL {
        let file = format!("{}.csv", table.name());
        match tables.iter().find(|(n, _)| *n == file) {
            Some((_, bytes)) => state.read_table(table, *bytes)?,
            None if !table.required() => {}
            None => {
                return Err(DumpError::MissingTable {
                    path: name.to_path_buf(),
                    table: table.name(),
                });
            }
        }
    }
    Ok(state.finish(wanted))
}

impl<'a> State<'a> {
    fn new(path: &'a Path, wanted: &'a [CrateKey]) -> State<'a> {
        let mut state = State {
            path,
            wanted: HashMap::new(),
            crate_ids: HashMap::new(),
            owners: Vec::new(),
            odd_owner_kind: HashSet::new(),
            versions: HashMap::new(),
            no_published_by: false,
            users: HashMap::new(),
            oauth: HashMap::new(),
            teams: HashMap::new(),
            user_ids: HashSet::new(),
            team_ids: HashSet::new(),
            done: HashSet::new(),
            timestamp: None,
            root: None,
        };
        for key in wanted {
            state
                .wanted
                .entry(CrateName(&key.name).normalized())
                .or_default()
                .insert(key.version.as_str());
        }
        state
    }
}

/// `--db-dump PATH` as a [`FactSource`]: a dump that cannot be read degrades the source.
pub struct DumpSource {
    path: PathBuf,
}

impl DumpSource {
    /// A source reading the dump at `path` (a `.tar.gz` or an unpacked folder).
    pub fn new(path: impl Into<PathBuf>) -> DumpSource {
        DumpSource { path: path.into() }
    }
}

impl FactSource for DumpSource {
    fn name(&self) -> &'static str {
        Provenance::DbDump.as_str()
    }

    fn gather(&mut self, wanted: &[CrateKey]) -> Gathered {
        let mut gathered = Gathered::default();
        match read_dump(&self.path, wanted) {
            Ok(found) => {
                for (key, facts) in found.facts {
                    gathered.add(key, facts);
                }
                for problem in found.problems {
                    gathered.degrade(self.name(), problem);
                }
            }
            Err(e) => gathered.degrade(self.name(), e.to_string()),
        }
        gathered
    }
}
