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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};

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

/// What the dump says about the wanted crate versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DumpFacts {
    /// `metadata.json`'s `timestamp`, when present.
    pub timestamp: Option<String>,
    /// Crate versions of crates found in the dump (a crate absent from it is left out;
    /// a version absent from it has `publisher: None`).
    pub facts: BTreeMap<CrateKey, PublisherFacts>,
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
    /// (crate id, version) -> published_by.
    versions: HashMap<(u64, String), Option<u64>>,
    users: HashMap<u64, UserRow>,
    oauth: HashMap<u64, String>,
    teams: HashMap<u64, String>,
    user_ids: HashSet<u64>,
    team_ids: HashSet<u64>,
    done: HashSet<Table>,
    timestamp: Option<String>,
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
            versions: HashMap::new(),
            users: HashMap::new(),
            oauth: HashMap::new(),
            teams: HashMap::new(),
            user_ids: HashSet::new(),
            team_ids: HashSet::new(),
            done: HashSet::new(),
            timestamp: None,
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
        match File::open(&file) {
            Ok(f) => state.read_table(table, BufReader::new(f))?,
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
        let file = File::open(path).map_err(|source| DumpError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut seen: HashSet<Table> = HashSet::new();
        let mut archive = tar::Archive::new(decompress(file).map_err(archive_err)?);
        for entry in archive.entries().map_err(archive_err)? {
            let entry = entry.map_err(archive_err)?;
            let Some(what) = entry_kind(&entry) else {
                continue;
            };
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
                    seen.insert(table);
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

/// What a tar entry is, by its path; entries whose path is absolute or climbs out
/// (`..`) are ignored whatever their name.
fn entry_kind<R: Read>(entry: &tar::Entry<'_, R>) -> Option<Entry> {
    if !entry.header().entry_type().is_file() {
        return None;
    }
    let path = entry.path().ok()?;
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) | Component::ParentDir => return None,
        }
    }
    match parts.as_slice() {
        [.., "data", file] => Table::from_file_name(file).map(Entry::Table),
        ["metadata.json"] | [_, "metadata.json"] => Some(Entry::Metadata),
        _ => None,
    }
}

fn metadata_timestamp(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("timestamp")?.as_str().map(str::to_string)
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
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(reader);
        let csv_err = |e: csv::Error| match e.kind() {
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
        let headers = csv.byte_headers().map_err(csv_err)?;
        let cols = Columns {
            index: headers
                .iter()
                .enumerate()
                .map(|(i, h)| (String::from_utf8_lossy(h).trim().to_string(), i))
                .collect(),
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
                while csv.read_byte_record(&mut row).map_err(csv_err)? {
                    let Some(name) = field(&row, Some(c_name)) else {
                        continue;
                    };
                    let name = normalize_crate_name(name);
                    if self.wanted.contains_key(&name) {
                        self.crate_ids.insert(id(&row, c_id, "id")?, name);
                    }
                }
            }
            Table::CrateOwners => {
                let c_crate = cols.required(table, path, "crate_id")?;
                let c_owner = cols.required(table, path, "owner_id")?;
                let c_kind = cols.required(table, path, "owner_kind")?;
                let c_deleted = cols.optional("deleted");
                while csv.read_byte_record(&mut row).map_err(csv_err)? {
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
                        // An owner kind this reader does not know: not a user, not a team.
                        _ => continue,
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
                while csv.read_byte_record(&mut row).map_err(csv_err)? {
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
                        (Some(i), Some(_)) => Some(id(&row, i, "published_by")?),
                        _ => None,
                    };
                    if let Some(user) = by {
                        self.user_ids.insert(user);
                    }
                    self.versions.insert((crate_id, num.to_string()), by);
                }
            }
            Table::Users => {
                let c_id = cols.required(table, path, "id")?;
                let c_username = cols.optional("username");
                let c_gh_login = cols.optional("gh_login");
                while csv.read_byte_record(&mut row).map_err(csv_err)? {
                    let user = id(&row, c_id, "id")?;
                    if self.user_ids.contains(&user) {
                        self.users.insert(
                            user,
                            UserRow {
                                username: field(&row, c_username).map(str::to_string),
                                gh_login: field(&row, c_gh_login).map(str::to_string),
                            },
                        );
                    }
                }
            }
            Table::Teams => {
                let c_id = cols.required(table, path, "id")?;
                let c_login = cols.required(table, path, "login")?;
                while csv.read_byte_record(&mut row).map_err(csv_err)? {
                    let team = id(&row, c_id, "id")?;
                    if self.team_ids.contains(&team) {
                        let login = field(&row, Some(c_login)).unwrap_or_default();
                        self.teams.insert(team, login.to_string());
                    }
                }
            }
            Table::OauthGithub => {
                let c_user = cols.required(table, path, "user_id")?;
                let c_login = cols.required(table, path, "login")?;
                while csv.read_byte_record(&mut row).map_err(csv_err)? {
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

    fn login(&self, user: u64) -> String {
        let row = self.users.get(&user);
        row.and_then(|r| r.username.clone())
            .or_else(|| row.and_then(|r| r.gh_login.clone()))
            .or_else(|| self.oauth.get(&user).cloned())
            .unwrap_or_default()
    }

    fn finish(self, wanted: &[CrateKey]) -> DumpFacts {
        let by_name: HashMap<&str, u64> = self
            .crate_ids
            .iter()
            .map(|(id, name)| (name.as_str(), *id))
            .collect();
        let mut owners_of: HashMap<u64, Vec<Owner>> = HashMap::new();
        for &(crate_id, owner, team) in &self.owners {
            let owner = if team {
                Owner::Team {
                    id: owner,
                    login: self.teams.get(&owner).cloned().unwrap_or_default(),
                }
            } else {
                Owner::User {
                    id: owner,
                    login: self.login(owner),
                }
            };
            owners_of.entry(crate_id).or_default().push(owner);
        }
        for list in owners_of.values_mut() {
            list.sort();
            list.dedup();
        }
        let sourced = |value| Sourced {
            value,
            provenance: Provenance::DbDump,
            fetched: self.timestamp.clone(),
        };
        let mut facts = BTreeMap::new();
        for key in wanted {
            let Some(&crate_id) = by_name.get(normalize_crate_name(&key.name).as_str()) else {
                continue;
            };
            let owners = owners_of.get(&crate_id).cloned().unwrap_or_default();
            let publisher = self
                .versions
                .get(&(crate_id, key.version.clone()))
                .map(|by| {
                    sourced_publisher(
                        by.map(|user| Publisher::User {
                            id: user,
                            login: self.login(user),
                        }),
                        &self.timestamp,
                    )
                });
            facts.insert(
                key.clone(),
                PublisherFacts {
                    owners: Some(sourced(owners)),
                    publisher,
                },
            );
        }
        DumpFacts {
            timestamp: self.timestamp,
            facts,
        }
    }
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
