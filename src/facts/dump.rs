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

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use crate::limits::{DUMP_ROW_BYTES, TAR_HEADER_BYTES, describe};

use super::publisher::{CrateKey, FactSource, Gathered, PublisherFacts, normalize_crate_name};
use super::{Owner, Provenance, Publisher, Sourced};

/// Why a dump could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("cannot open crates.io dump {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "crates.io dump {} is corrupt or truncated ({source}); download it again from https://static.crates.io/db-dump.tar.gz",
        path.display()
    )]
    Archive {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("crates.io dump {}: {table}.csv line {line}: {message}", path.display())]
    Csv {
        path: PathBuf,
        table: &'static str,
        line: u64,
        message: String,
    },
    #[error("crates.io dump {}: {table}.csv has no column `{column}`", path.display())]
    MissingColumn {
        path: PathBuf,
        table: &'static str,
        column: &'static str,
    },
    #[error(
        "crates.io dump {}: no {table}.csv found (expected `<date>/data/{table}.csv`); is this a crates.io database dump?",
        path.display()
    )]
    MissingTable { path: PathBuf, table: &'static str },
    #[error(
        "crates.io dump {}: the archive holds more than one dump (`{first}` and `{second}`); give one dump, as downloaded from https://static.crates.io/db-dump.tar.gz",
        path.display()
    )]
    TwoDumps {
        path: PathBuf,
        first: String,
        second: String,
    },
    #[error(
        "crates.io dump {}: the archive holds {table}.csv twice; give one dump, as downloaded from https://static.crates.io/db-dump.tar.gz",
        path.display()
    )]
    TwiceInArchive { path: PathBuf, table: &'static str },
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
    username: Option<String>,
    gh_login: Option<String>,
}

/// The rows kept while streaming.
struct State<'a> {
    path: &'a Path,
    /// Normalized wanted name -> wanted versions.
    wanted: HashMap<String, HashSet<&'a str>>,
    /// crate id -> normalized name, wanted crates only.
    crate_ids: HashMap<u64, String>,
    /// (crate id, owner id, is team).
    owners: Vec<(u64, u64, bool)>,
    /// Crate ids with an owner of a kind this reader does not know.
    odd_owner_kind: HashSet<u64>,
    /// (crate id, version) -> published_by.
    versions: HashMap<(u64, String), By>,
    /// `versions.csv` has no `published_by` column: publishers are unknown.
    no_published_by: bool,
    users: HashMap<u64, UserRow>,
    oauth: HashMap<u64, String>,
    teams: HashMap<u64, String>,
    user_ids: HashSet<u64>,
    team_ids: HashSet<u64>,
    done: HashSet<Table>,
    timestamp: Option<String>,
    /// The folder holding the first table or `metadata.json` met in an archive: every
    /// other one must be in it too.
    root: Option<String>,
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
                .entry(normalize_crate_name(&key.name))
                .or_default()
                .insert(key.version.as_str());
        }
        state
    }
}

fn read_folder(state: &mut State<'_>) -> Result<(), DumpError> {
    let path = state.path;
    let data = find_data_dir(path).ok_or_else(|| DumpError::MissingTable {
        path: path.to_path_buf(),
        table: Table::Crates.name(),
    })?;
    if let Some(root) = data.parent()
        && let Ok(text) = crate::limits::read_text(
            &root.join("metadata.json"),
            crate::limits::DUMP_METADATA_BYTES,
        )
    {
        state.timestamp = metadata_timestamp(&text);
    }
    // Table::ALL is in dependency order.
    for table in Table::ALL {
        let file = data.join(format!("{}.csv", table.name()));
        // Only a regular file: a FIFO there would block the run.
        match crate::limits::open_regular(&file, u64::MAX) {
            Ok((f, _)) => state.read_table(table, BufReader::new(f))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !table.required() => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DumpError::MissingTable {
                    path: path.to_path_buf(),
                    table: table.name(),
                });
            }
            Err(source) => return Err(DumpError::Open { path: file, source }),
        }
    }
    Ok(())
}

/// `PATH/data`, `PATH` itself when it holds `crates.csv`, or `PATH/<newest date>/data`.
fn find_data_dir(path: &Path) -> Option<PathBuf> {
    if path.join("data").join("crates.csv").is_file() {
        return Some(path.join("data"));
    }
    if path.join("crates.csv").is_file() {
        return Some(path.to_path_buf());
    }
    let mut dated: Vec<PathBuf> = std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("data"))
        .filter(|d| d.join("crates.csv").is_file())
        .collect();
    dated.sort();
    dated.pop()
}

fn read_archive(state: &mut State<'_>) -> Result<(), DumpError> {
    let path = state.path;
    let archive_err = |source| DumpError::Archive {
        path: path.to_path_buf(),
        source,
    };
    // Each pass reads the tables whose prerequisites are done; at most one pass per
    // level of dependency (crates; owners and versions; users, teams, oauth).
    let mut known_optional: HashSet<Table> = HashSet::new();
    for pass in 0..3 {
        let (file, _) =
            crate::limits::open_regular(path, u64::MAX).map_err(|source| DumpError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let mut seen: HashSet<Table> = HashSet::new();
        let mut archive = tar::Archive::new(decompress(file).map_err(archive_err)?);
        // Raw: GNU long names and PAX headers are read here, each only up to a limit (the
        // tar crate would hold them whole, whatever their size).
        let mut long = LongName::default();
        for entry in archive.entries().map_err(archive_err)?.raw(true) {
            let entry = entry.map_err(archive_err)?;
            let Some(name) = long.path_of(entry).map_err(archive_err)? else {
                continue;
            };
            let Some((root, what)) = entry_kind(&name.0) else {
                continue;
            };
            let entry = name.1;
            match &state.root {
                None => state.root = Some(root),
                Some(first) if *first != root => {
                    return Err(DumpError::TwoDumps {
                        path: path.to_path_buf(),
                        first: first.clone(),
                        second: root,
                    });
                }
                Some(_) => {}
            }
            match what {
                Entry::Metadata => {
                    if pass == 0 {
                        let mut text = String::new();
                        // A metadata.json larger than this is not one.
                        entry
                            .take(crate::limits::DUMP_METADATA_BYTES)
                            .read_to_string(&mut text)
                            .map_err(archive_err)?;
                        state.timestamp = metadata_timestamp(&text);
                    }
                }
                Entry::Table(table) => {
                    if !seen.insert(table) {
                        return Err(DumpError::TwiceInArchive {
                            path: path.to_path_buf(),
                            table: table.name(),
                        });
                    }
                    if !table.required() {
                        known_optional.insert(table);
                    }
                    if !state.done.contains(&table)
                        && table.after().iter().all(|t| state.done.contains(t))
                    {
                        state.read_table(table, entry)?;
                    }
                }
            }
            // Stop once every table still to read has been met in this pass: the rest of
            // the archive (dependencies, downloads) is most of its size.
            let finished = Table::ALL.iter().all(|t| {
                state.done.contains(t)
                    || seen.contains(t)
                    || (!t.required() && !known_optional.contains(t))
            });
            if finished {
                break;
            }
        }
        let missing = Table::ALL
            .into_iter()
            .find(|t| t.required() && !state.done.contains(t) && !seen.contains(t));
        if let Some(table) = missing {
            return Err(DumpError::MissingTable {
                path: path.to_path_buf(),
                table: table.name(),
            });
        }
        if Table::ALL
            .iter()
            .all(|t| state.done.contains(t) || (!t.required() && !known_optional.contains(t)))
        {
            return Ok(());
        }
    }
    Ok(())
}

/// Gzip when the file starts with the gzip magic, else a plain tar.
fn decompress(mut file: File) -> std::io::Result<Box<dyn Read>> {
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic)?;
    let head = std::io::Cursor::new(magic[..n].to_vec());
    let stream = head.chain(file);
    if magic == [0x1f, 0x8b] {
        Ok(Box::new(flate2::read::GzDecoder::new(BufReader::new(
            stream,
        ))))
    } else {
        Ok(Box::new(BufReader::new(stream)))
    }
}

enum Entry {
    Metadata,
    Table(Table),
}

/// The GNU long name or PAX `path` that names the next entry of a raw tar stream.
#[derive(Default)]
struct LongName {
    pending: Option<Vec<u8>>,
}

/// A regular file entry of the archive and its path.
type Named<'a, R> = (PathBuf, tar::Entry<'a, R>);

impl LongName {
    /// The path of `entry` when it is a regular file (a pending long name, else its
    /// header's); `None` for every other entry. A long-name or PAX entry is read, up to
    /// [`TAR_HEADER_BYTES`], and kept for the entry after it.
    fn path_of<'a, R: Read>(
        &mut self,
        mut entry: tar::Entry<'a, R>,
    ) -> std::io::Result<Option<Named<'a, R>>> {
        let kind = entry.header().entry_type();
        let header_bytes = |entry: &mut tar::Entry<'a, R>| -> std::io::Result<Vec<u8>> {
            let mut bytes = Vec::new();
            entry
                .by_ref()
                .take(TAR_HEADER_BYTES + 1)
                .read_to_end(&mut bytes)?;
            if bytes.len() as u64 > TAR_HEADER_BYTES {
                return Err(std::io::Error::other(format!(
                    "a tar long-name or PAX header is longer than the limit of {}",
                    describe(TAR_HEADER_BYTES)
                )));
            }
            Ok(bytes)
        };
        if kind.is_gnu_longname() {
            let mut bytes = header_bytes(&mut entry)?;
            if let Some(end) = bytes.iter().position(|&b| b == 0) {
                bytes.truncate(end);
            }
            self.pending = Some(bytes);
            return Ok(None);
        }
        if kind.is_pax_local_extensions() {
            let bytes = header_bytes(&mut entry)?;
            for ext in tar::PaxExtensions::new(&bytes) {
                let ext = ext?;
                match ext.key_bytes() {
                    b"path" => self.pending = Some(ext.value_bytes().to_vec()),
                    // The size the next header gives is the one read: a PAX size that
                    // differs would make two readers see two different archives.
                    b"size" => {
                        return Err(std::io::Error::other(
                            "a PAX `size` record is not supported in a crates.io dump",
                        ));
                    }
                    _ => {}
                }
            }
            return Ok(None);
        }
        if kind.is_gnu_longlink() || kind.is_pax_global_extensions() {
            header_bytes(&mut entry)?;
            return Ok(None);
        }
        let long = self.pending.take();
        if !kind.is_file() {
            return Ok(None);
        }
        let path = match long {
            Some(bytes) => match String::from_utf8(bytes) {
                Ok(text) => PathBuf::from(text),
                Err(_) => return Ok(None),
            },
            None => match entry.path() {
                Ok(p) => p.into_owned(),
                Err(_) => return Ok(None),
            },
        };
        Ok(Some((path, entry)))
    }
}

/// What a tar entry is, by its path, and the folder of its dump (what comes before
/// `data/` or `metadata.json`); entries whose path is absolute or climbs out (`..`) are
/// ignored whatever their name.
fn entry_kind(path: &Path) -> Option<(String, Entry)> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) | Component::ParentDir => return None,
        }
    }
    match parts.as_slice() {
        [root @ .., "data", file] => {
            Table::from_file_name(file).map(|t| (root.join("/"), Entry::Table(t)))
        }
        ["metadata.json"] => Some((String::new(), Entry::Metadata)),
        [root, "metadata.json"] => Some((root.to_string(), Entry::Metadata)),
        _ => None,
    }
}

/// `metadata.json`'s `timestamp`, when it is an RFC 3339 time (anything else is no time).
fn metadata_timestamp(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let time = value.get("timestamp")?.as_str()?;
    crate::date::is_timestamp(time).then(|| time.to_string())
}

/// Counts the bytes read since the last complete CSV row, failing past the row limit, so
/// that a row is never held whole when it is longer than that.
struct RowLimit<R> {
    inner: R,
    since_row: Rc<Cell<u64>>,
}

impl<R: Read> Read for RowLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.since_row.get().saturating_add(n as u64);
        self.since_row.set(total);
        // The CSV reader reads ahead by its buffer: allow for it.
        if total > DUMP_ROW_BYTES + (64 << 10) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                format!(
                    "a row is longer than the limit of {}",
                    describe(DUMP_ROW_BYTES)
                ),
            ));
        }
        Ok(n)
    }
}

/// Column positions of one table, found by header name.
struct Columns {
    index: HashMap<String, usize>,
}

impl Columns {
    fn required(&self, table: Table, path: &Path, name: &'static str) -> Result<usize, DumpError> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| DumpError::MissingColumn {
                path: path.to_path_buf(),
                table: table.name(),
                column: name,
            })
    }

    fn optional(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// One row's field as text; `None` when the column is absent or empty.
fn field(row: &csv::ByteRecord, i: Option<usize>) -> Option<&str> {
    let raw = row.get(i?)?;
    let text = std::str::from_utf8(raw).ok()?;
    (!text.is_empty()).then_some(text)
}

impl State<'_> {
    fn read_table(&mut self, table: Table, reader: impl Read) -> Result<(), DumpError> {
        let path = self.path;
        let since_row = Rc::new(Cell::new(0));
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(RowLimit {
                inner: reader,
                since_row: since_row.clone(),
            });
        // The line of the last row read, for a row too long to have a position.
        let last_line = Cell::new(1u64);
        let csv_err = |e: csv::Error| match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::FileTooLarge => {
                DumpError::Csv {
                    path: path.to_path_buf(),
                    table: table.name(),
                    line: last_line.get() + 1,
                    message: io.to_string(),
                }
            }
            csv::ErrorKind::Io(_) => {
                let csv::ErrorKind::Io(io) = e.into_kind() else {
                    unreachable!()
                };
                DumpError::Archive {
                    path: path.to_path_buf(),
                    source: io,
                }
            }
            _ => DumpError::Csv {
                path: path.to_path_buf(),
                table: table.name(),
                line: e.position().map(|p| p.line()).unwrap_or(0),
                message: e.to_string(),
            },
        };
        let next = |csv: &mut csv::Reader<_>, row: &mut csv::ByteRecord| {
            let more = csv.read_byte_record(row).map_err(csv_err)?;
            since_row.set(0);
            if let Some(p) = row.position() {
                last_line.set(p.line());
            }
            Ok::<bool, DumpError>(more)
        };
        let headers = csv.byte_headers().map_err(csv_err)?.clone();
        since_row.set(0);
        let cols = Columns {
            index: headers
                .iter()
                .enumerate()
                .map(|(i, h)| (String::from_utf8_lossy(h).trim().to_string(), i))
                .collect(),
        };
        let twice = |row: &csv::ByteRecord, what: String| DumpError::Csv {
            path: path.to_path_buf(),
            table: table.name(),
            line: row.position().map(|p| p.line()).unwrap_or(0),
            message: format!(
                "{what} is listed twice; which one holds is unknown, so the dump is not used"
            ),
        };
        let bad = |row: &csv::ByteRecord, column: &str, value: Option<&str>| DumpError::Csv {
            path: path.to_path_buf(),
            table: table.name(),
            line: row.position().map(|p| p.line()).unwrap_or(0),
            message: format!(
                "column `{column}`: expected a number, found `{}`",
                value.unwrap_or("")
            ),
        };
        let id = |row: &csv::ByteRecord, i: usize, column: &str| -> Result<u64, DumpError> {
            let value = field(row, Some(i));
            value
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| bad(row, column, value))
        };
        let mut row = csv::ByteRecord::new();
        match table {
            Table::Crates => {
                let c_id = cols.required(table, path, "id")?;
                let c_name = cols.required(table, path, "name")?;
                while next(&mut csv, &mut row)? {
                    let Some(name) = field(&row, Some(c_name)) else {
                        continue;
                    };
                    let name = normalize_crate_name(name);
                    if self.wanted.contains_key(&name) {
                        let crate_id = id(&row, c_id, "id")?;
                        if self.crate_ids.values().any(|n| *n == name)
                            || self.crate_ids.contains_key(&crate_id)
                        {
                            return Err(twice(&row, format!("crate `{name}`")));
                        }
                        self.crate_ids.insert(crate_id, name);
                    }
                }
            }
            Table::CrateOwners => {
                let c_crate = cols.required(table, path, "crate_id")?;
                let c_owner = cols.required(table, path, "owner_id")?;
                let c_kind = cols.required(table, path, "owner_kind")?;
                let c_deleted = cols.optional("deleted");
                while next(&mut csv, &mut row)? {
                    let crate_id = id(&row, c_crate, "crate_id")?;
                    if !self.crate_ids.contains_key(&crate_id) {
                        continue;
                    }
                    if matches!(field(&row, c_deleted), Some("t" | "true")) {
                        continue;
                    }
                    let owner = id(&row, c_owner, "owner_id")?;
                    let team = match field(&row, Some(c_kind)) {
                        Some("0") => false,
                        Some("1") => true,
                        // An owner kind this reader does not know: not a user, not a team,
                        // so the crate's owners are not known in full.
                        _ => {
                            self.odd_owner_kind.insert(crate_id);
                            continue;
                        }
                    };
                    if team {
                        self.team_ids.insert(owner);
                    } else {
                        self.user_ids.insert(owner);
                    }
                    self.owners.push((crate_id, owner, team));
                }
            }
            Table::Versions => {
                let c_crate = cols.required(table, path, "crate_id")?;
                let c_num = cols.required(table, path, "num")?;
                let c_by = cols.optional("published_by");
                let c_created = cols.optional("created_at");
                self.no_published_by = c_by.is_none();
                while next(&mut csv, &mut row)? {
                    let crate_id = id(&row, c_crate, "crate_id")?;
                    let Some(name) = self.crate_ids.get(&crate_id) else {
                        continue;
                    };
                    let Some(num) = field(&row, Some(c_num)) else {
                        continue;
                    };
                    if !self.wanted.get(name).is_some_and(|v| v.contains(num)) {
                        continue;
                    }
                    let by = match (c_by, field(&row, c_by)) {
                        (Some(i), Some(_)) => By::User(id(&row, i, "published_by")?),
                        _ if field(&row, c_created)
                            .and_then(|t| t.get(..10))
                            .is_some_and(|day| day >= TRUSTED_PUBLISHING_SINCE) =>
                        {
                            By::Unknown
                        }
                        _ => By::None,
                    };
                    if let By::User(user) = by {
                        self.user_ids.insert(user);
                    }
                    if self
                        .versions
                        .insert((crate_id, num.to_string()), by)
                        .is_some()
                    {
                        return Err(twice(&row, format!("version {num} of crate `{name}`")));
                    }
                }
            }
            Table::Users => {
                let c_id = cols.required(table, path, "id")?;
                let c_username = cols.optional("username");
                let c_gh_login = cols.optional("gh_login");
                while next(&mut csv, &mut row)? {
                    let user = id(&row, c_id, "id")?;
                    if self.user_ids.contains(&user) {
                        let known = UserRow {
                            username: field(&row, c_username).map(str::to_string),
                            gh_login: field(&row, c_gh_login).map(str::to_string),
                        };
                        if self.users.insert(user, known).is_some() {
                            return Err(twice(&row, format!("user id {user}")));
                        }
                    }
                }
            }
            Table::Teams => {
                let c_id = cols.required(table, path, "id")?;
                let c_login = cols.required(table, path, "login")?;
                while next(&mut csv, &mut row)? {
                    let team = id(&row, c_id, "id")?;
                    if self.team_ids.contains(&team)
                        && let Some(login) = field(&row, Some(c_login))
                        && self.teams.insert(team, login.to_string()).is_some()
                    {
                        return Err(twice(&row, format!("team id {team}")));
                    }
                }
            }
            Table::OauthGithub => {
                let c_user = cols.required(table, path, "user_id")?;
                let c_login = cols.required(table, path, "login")?;
                while next(&mut csv, &mut row)? {
                    let user = id(&row, c_user, "user_id")?;
                    if self.user_ids.contains(&user)
                        && let Some(login) = field(&row, Some(c_login))
                    {
                        self.oauth.insert(user, login.to_string());
                    }
                }
            }
        }
        self.done.insert(table);
        Ok(())
    }

    /// The crates.io login of `user`; `None` when the dump does not hold it.
    fn login(&self, user: u64) -> Option<String> {
        let row = self.users.get(&user);
        row.and_then(|r| r.username.clone())
            .or_else(|| row.and_then(|r| r.gh_login.clone()))
            .or_else(|| self.oauth.get(&user).cloned())
    }

    fn finish(self, wanted: &[CrateKey]) -> DumpFacts {
        let by_name: HashMap<&str, u64> = self
            .crate_ids
            .iter()
            .map(|(id, name)| (name.as_str(), *id))
            .collect();
        // Per crate: its owners, or why they are not known in full.
        let mut owners_of: HashMap<u64, Result<Vec<Owner>, String>> = HashMap::new();
        for &crate_id in &self.odd_owner_kind {
            owners_of.insert(
                crate_id,
                Err("an owner of a kind this version does not know".to_string()),
            );
        }
        for &(crate_id, owner, team) in &self.owners {
            let owner = if team {
                match self.teams.get(&owner) {
                    Some(login) => Ok(Owner::Team {
                        id: owner,
                        login: login.clone(),
                    }),
                    None => Err(format!("team id {owner} is not in teams.csv")),
                }
            } else {
                match self.login(owner) {
                    Some(login) => Ok(Owner::User { id: owner, login }),
                    None => Err(format!("user id {owner} has no login in the dump")),
                }
            };
            let list = owners_of.entry(crate_id).or_insert_with(|| Ok(Vec::new()));
            match (list, owner) {
                (Ok(list), Ok(owner)) => list.push(owner),
                (list @ Ok(_), Err(why)) => *list = Err(why),
                (Err(_), _) => {}
            }
        }
        for list in owners_of.values_mut().flatten() {
            list.sort();
            list.dedup();
        }
        let sourced = |value| Sourced {
            value,
            provenance: Provenance::DbDump,
            fetched: self.timestamp.clone(),
        };
        let mut problems = Vec::new();
        let mut unknown_owners: BTreeMap<String, String> = BTreeMap::new();
        let mut unknown_publishers: Vec<String> = Vec::new();
        let mut facts = BTreeMap::new();
        for key in wanted {
            let Some(&crate_id) = by_name.get(normalize_crate_name(&key.name).as_str()) else {
                continue;
            };
            let owners = match owners_of.get(&crate_id) {
                None => Some(sourced(Vec::new())),
                Some(Ok(list)) => Some(sourced(list.clone())),
                Some(Err(why)) => {
                    unknown_owners.insert(key.name.clone(), why.clone());
                    None
                }
            };
            let publisher = match self.versions.get(&(crate_id, key.version.clone())) {
                None => None,
                Some(_) if self.no_published_by => None,
                Some(By::Unknown) => None,
                Some(By::None) => Some(sourced_publisher(None, &self.timestamp)),
                Some(By::User(user)) => match self.login(*user) {
                    Some(login) => Some(sourced_publisher(
                        Some(Publisher::User { id: *user, login }),
                        &self.timestamp,
                    )),
                    None => {
                        unknown_publishers.push(format!("{key} (user id {user})"));
                        None
                    }
                },
            };
            facts.insert(key.clone(), PublisherFacts { owners, publisher });
        }
        if self.no_published_by {
            problems.push(format!(
                "crates.io dump {}: versions.csv has no column `published_by`, so version publishers are unknown",
                self.path.display()
            ));
        }
        if !unknown_owners.is_empty() {
            let list: Vec<String> = unknown_owners
                .iter()
                .map(|(name, why)| format!("{name} ({why})"))
                .collect();
            problems.push(format!(
                "crates.io dump {}: the owners of {} crate(s) are unknown: {}",
                self.path.display(),
                list.len(),
                abridged(&list)
            ));
        }
        if !unknown_publishers.is_empty() {
            problems.push(format!(
                "crates.io dump {}: the publisher of {} version(s) has no login in the dump, so it is unknown: {}",
                self.path.display(),
                unknown_publishers.len(),
                abridged(&unknown_publishers)
            ));
        }
        DumpFacts {
            timestamp: self.timestamp,
            facts,
            problems,
        }
    }
}

/// The first five of `list`, then `...`.
fn abridged(list: &[String]) -> String {
    let mut text = list
        .iter()
        .take(5)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("; ");
    if list.len() > 5 {
        text.push_str("; ...");
    }
    text
}

fn sourced_publisher(
    value: Option<Publisher>,
    fetched: &Option<String>,
) -> Sourced<Option<Publisher>> {
    Sourced {
        value,
        provenance: Provenance::DbDump,
        fetched: fetched.clone(),
    }
}

/// `--db-dump PATH` as a [`FactSource`]: a dump that cannot be read degrades the source.
pub struct DumpSource {
    path: PathBuf,
}

impl DumpSource {
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

// Every row of a table, for readers that keep all of crates.io (the facts store) rather
// than the rows about a few wanted crates. Same CSV settings, column lookup by header name
// and error messages as `read_dump`.

/// One row of a table read by [`read_all_rows`]: its fields by the position of the column
/// in the `columns` asked for.
pub(crate) struct Row<'r> {
    path: &'r Path,
    table: &'static str,
    columns: &'r [(&'static str, Option<usize>)],
    record: &'r csv::ByteRecord,
}

impl Row<'_> {
    /// The field of column `i` as text; `None` when the column is absent or the field empty.
    pub(crate) fn text(&self, i: usize) -> Option<&str> {
        field(self.record, self.columns[i].1)
    }

    /// The field of column `i` as a number; `None` when absent or empty, an error when it is
    /// not a number.
    pub(crate) fn number(&self, i: usize) -> Result<Option<u64>, DumpError> {
        match self.text(i) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| DumpError::Csv {
                path: self.path.to_path_buf(),
                table: self.table,
                line: self.record.position().map(|p| p.line()).unwrap_or(0),
                message: format!(
                    "column `{}`: expected a number, found `{v}`",
                    self.columns[i].0
                ),
            }),
        }
    }

    /// Like [`Row::number`], and an error when the field is empty.
    pub(crate) fn id(&self, i: usize) -> Result<u64, DumpError> {
        self.number(i)?.ok_or_else(|| DumpError::Csv {
            path: self.path.to_path_buf(),
            table: self.table,
            line: self.record.position().map(|p| p.line()).unwrap_or(0),
            message: format!(
                "column `{}`: expected a number, found ``",
                self.columns[i].0
            ),
        })
    }
}

/// Reads every row of `table` (`crates`, `users`, ...) from `reader`, giving `each` the
/// fields of `columns` (name, required) in that order. `path` names the dump in messages.
pub(crate) fn read_all_rows(
    path: &Path,
    table: &'static str,
    reader: impl Read,
    columns: &[(&'static str, bool)],
    mut each: impl FnMut(&Row<'_>) -> Result<(), DumpError>,
) -> Result<(), DumpError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        let message = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(source) => DumpError::Archive {
                path: path.to_path_buf(),
                source,
            },
            _ => DumpError::Csv {
                path: path.to_path_buf(),
                table,
                line,
                message,
            },
        }
    };
    let headers = csv.byte_headers().map_err(csv_err)?;
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (String::from_utf8_lossy(h).trim().to_string(), i))
        .collect();
    let mut found = Vec::with_capacity(columns.len());
    for &(name, required) in columns {
        let at = index.get(name).copied();
        if at.is_none() && required {
            return Err(DumpError::MissingColumn {
                path: path.to_path_buf(),
                table,
                column: name,
            });
        }
        found.push((name, at));
    }
    let mut record = csv::ByteRecord::new();
    while csv.read_byte_record(&mut record).map_err(csv_err)? {
        each(&Row {
            path,
            table,
            columns: &found,
            record: &record,
        })?;
    }
    Ok(())
}

/// What a member of a dump archive is, by its path: a table's file name (`crates.csv`,
/// only for `<...>/data/NAME.csv`) or `metadata.json`; `None` for anything else, and for a
/// path that is absolute or climbs out.
pub(crate) fn member_file_name(path: &Path) -> Option<&str> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) | Component::ParentDir => return None,
        }
    }
    match parts.as_slice() {
        [.., "data", file] if file.ends_with(".csv") => Some(file),
        ["metadata.json"] | [_, "metadata.json"] => Some("metadata.json"),
        _ => None,
    }
}

/// The folder of an extracted dump that holds its tables (`PATH/data`, `PATH`, or
/// `PATH/<newest date>/data`).
pub(crate) fn tables_dir(path: &Path) -> Option<PathBuf> {
    find_data_dir(path)
}

/// A dump archive's tar stream: gunzipped when the file is gzip, else as it is.
pub(crate) fn tar_stream(file: File) -> std::io::Result<Box<dyn Read>> {
    decompress(file)
}

/// The `timestamp` of a dump's `metadata.json`.
pub(crate) fn timestamp_of_metadata(text: &str) -> Option<String> {
    metadata_timestamp(text)
}
