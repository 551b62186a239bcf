//! Building the facts store from a crates.io dump in one streamed pass.
//!
//! The tables are read row by row with the dump reader's table reading
//! (`read_all_rows` in [`crate::facts::dump`]), in whatever order the archive holds
//! them: every row of the few columns the store needs is kept, and the file is laid out
//! once all are read.
//! Sources: the `.zip` (members read in place), the `.tar.gz` (streamed once) and an
//! extracted folder.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::format::{self, Header, NONE, put_varint};
use crate::crate_name::CrateName;
use crate::facts::dump::{self, DumpError, read_all_rows};

/// The tables the store reads; `oauth_github` only exists in the 2026 layout.
pub const TABLES: [&str; 6] = [
    "crates",
    "crate_owners",
    "users",
    "teams",
    "versions",
    "oauth_github",
];

fn required(table: &str) -> bool {
    table != "oauth_github"
}

pub use crate::facts::dump::TRUSTED_PUBLISHING_SINCE;

/// A version's publisher as the dump gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum By {
    /// No recorded publisher (a version from before crates.io recorded them).
    None,
    /// Possibly a trusted publisher: for the API to tell.
    Unknown,
    User(u64),
}

struct CrateRow {
    name: String,
    repository: Option<String>,
    homepage: Option<String>,
}

#[derive(Default)]
struct UserRow {
    username: Option<String>,
    gh_login: Option<String>,
}

/// The rows kept while the dump streams by.
#[derive(Default)]
pub struct Builder {
    crates: HashMap<u64, CrateRow>,
    /// (crate id, owner id, is team).
    owners: Vec<(u64, u64, bool)>,
    /// (crate id, number, publisher).
    versions: Vec<(u64, Box<str>, By)>,
    users: HashMap<u64, UserRow>,
    oauth: HashMap<u64, String>,
    teams: HashMap<u64, String>,
    timestamp: Option<String>,
    seen: Vec<&'static str>,
    /// Bytes of CSV read.
    pub csv_bytes: u64,
}

/// What a built store holds, for messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Crates written to the store.
    pub crates: u64,
    /// Versions written, over all crates.
    pub versions: u64,
    /// (crate, owner) pairs written, over all crates.
    pub owners: u64,
}

struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Whether `file` (`crates.csv`, ...) is a table the store reads; gives its name.
    pub fn wants(file: &str) -> Option<&'static str> {
        let stem = file.strip_suffix(".csv")?;
        TABLES.into_iter().find(|t| *t == stem)
    }

    /// Keeps the dump timestamp from the text of its `metadata.json`.
    pub fn set_metadata(&mut self, text: &str) {
        self.timestamp = dump::timestamp_of_metadata(text);
    }

    /// Reads table `table` from `reader`; `path` names the dump in messages.
    pub fn read_table(
        &mut self,
        path: &Path,
        table: &'static str,
        reader: impl Read,
    ) -> Result<(), DumpError> {
        let mut reader = Counting {
            inner: reader,
            count: 0,
        };
        match table {
            "crates" => read_all_rows(
                path,
                table,
                &mut reader,
                &[
                    ("id", true),
                    ("name", true),
                    ("repository", false),
                    ("homepage", false),
                ],
                |row| {
                    let Some(name) = row.text(1) else {
                        return Ok(());
                    };
                    let id = row.id(0)?;
                    self.crates.insert(
                        id,
                        CrateRow {
                            name: CrateName(name).normalized(),
                            repository: row.text(2).map(str::to_string),
                            homepage: row.text(3).map(str::to_string),
                        },
                    );
                    Ok(())
                },
            )?,
            "crate_owners" => read_all_rows(
                path,
                table,
                &mut reader,
                &[
                    ("crate_id", true),
                    ("owner_id", true),
                    ("owner_kind", true),
                    ("deleted", false),
                ],
                |row| {
                    let crate_id = row.id(0)?;
                    if matches!(row.text(3), Some("t" | "true")) {
                        return Ok(());
                    }
                    let owner = row.id(1)?;
                    let team = match row.text(2) {
                        Some("0") => false,
                        Some("1") => true,
                        // An owner kind the dump reader does not know either.
                        _ => return Ok(()),
                    };
                    self.owners.push((crate_id, owner, team));
                    Ok(())
                },
            )?,
            "versions" => read_all_rows(
                path,
                table,
                &mut reader,
                &[
                    ("crate_id", true),
                    ("num", true),
                    ("published_by", false),
                    ("created_at", false),
                ],
                |row| {
                    let crate_id = row.id(0)?;
                    let Some(num) = row.text(1) else {
                        return Ok(());
                    };
                    let by = match row.number(2)? {
                        Some(user) => By::User(user),
                        None if row
                            .text(3)
                            .and_then(|t| t.get(..10))
                            .is_some_and(|day| day >= TRUSTED_PUBLISHING_SINCE) =>
                        {
                            By::Unknown
                        }
                        None => By::None,
                    };
                    self.versions.push((crate_id, num.into(), by));
                    Ok(())
                },
            )?,
            "users" => read_all_rows(
                path,
                table,
                &mut reader,
                &[("id", true), ("username", false), ("gh_login", false)],
                |row| {
                    self.users.insert(
                        row.id(0)?,
                        UserRow {
                            username: row.text(1).map(str::to_string),
                            gh_login: row.text(2).map(str::to_string),
                        },
                    );
                    Ok(())
                },
            )?,
            "teams" => read_all_rows(
                path,
                table,
                &mut reader,
                &[("id", true), ("login", true)],
                |row| {
                    let login = row.text(1).unwrap_or_default().to_string();
                    self.teams.insert(row.id(0)?, login);
                    Ok(())
                },
            )?,
            "oauth_github" => read_all_rows(
                path,
                table,
                &mut reader,
                &[("user_id", true), ("login", true)],
                |row| {
                    let user = row.id(0)?;
                    if let Some(login) = row.text(1) {
                        self.oauth.insert(user, login.to_string());
                    }
                    Ok(())
                },
            )?,
            _ => return Ok(()),
        }
        self.csv_bytes += reader.count;
        self.seen.push(table);
        Ok(())
    }

    /// The first required table not read, if any.
    pub fn missing_table(&self) -> Option<&'static str> {
        TABLES
            .into_iter()
            .find(|t| required(t) && !self.seen.contains(t))
    }

    /// The crates.io login of user `id`, as the dump reader gives it: `username`, else
    /// `gh_login`, else the `oauth_github` login, else empty.
    fn login(&self, id: u64) -> &str {
        let row = self.users.get(&id);
        row.and_then(|r| r.username.as_deref())
            .or_else(|| row.and_then(|r| r.gh_login.as_deref()))
            .or_else(|| self.oauth.get(&id).map(String::as_str))
            .unwrap_or_default()
    }

    /// Lays the store out; `built_at` in Unix seconds.
    pub fn finish(mut self, built_at: u64) -> (Vec<u8>, Counts) {
        let mut strings: Vec<u8> = Vec::new();
        let mut put_str = |s: Option<&str>| -> u32 {
            match s {
                None => NONE,
                Some(s) => {
                    let at = strings.len() as u32;
                    put_varint(&mut strings, s.len() as u64);
                    strings.extend_from_slice(s.as_bytes());
                    at
                }
            }
        };
        let timestamp = put_str(self.timestamp.as_deref());

        // Crates by normalized name; of two crates with one name, the lower id.
        let mut crates: Vec<(&str, u64)> = self
            .crates
            .iter()
            .map(|(id, c)| (c.name.as_str(), *id))
            .collect();
        crates.sort_unstable();
        crates.dedup_by(|b, a| a.0 == b.0);

        // Users and teams referenced, by id.
        let mut user_ids: Vec<u64> = self
            .owners
            .iter()
            .filter(|o| !o.2)
            .map(|o| o.1)
            .chain(self.versions.iter().filter_map(|v| match v.2 {
                By::User(u) => Some(u),
                _ => None,
            }))
            .collect();
        user_ids.sort_unstable();
        user_ids.dedup();
        let mut team_ids: Vec<u64> = self.owners.iter().filter(|o| o.2).map(|o| o.1).collect();
        team_ids.sort_unstable();
        team_ids.dedup();
        let user_index: HashMap<u64, u64> = user_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u64))
            .collect();
        let team_index: HashMap<u64, u64> = team_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u64))
            .collect();

        self.owners.sort_unstable();
        self.owners.dedup();
        self.versions.sort_by_key(|v| v.0);
        let owners_of = group(&self.owners, |o| o.0);
        let versions_of = group(&self.versions, |v| v.0);

        let mut crate_records = Vec::with_capacity(crates.len() * format::CRATE_RECORD);
        let mut owners_blob = Vec::new();
        let mut versions_blob = Vec::new();
        let mut counts = Counts::default();
        // Names first, together and in order: a lookup's binary search then touches a
        // few pages of them, not one page per probe.
        let name_at: Vec<u32> = crates
            .iter()
            .map(|&(name, _)| put_str(Some(name)))
            .collect();
        for (&(_, id), name_at) in crates.iter().zip(name_at) {
            let row = &self.crates[&id];
            let rec = [
                name_at,
                put_str(row.repository.as_deref()),
                put_str(row.homepage.as_deref()),
                owners_blob.len() as u32,
                versions_blob.len() as u32,
            ];
            let owners = owners_of
                .get(&id)
                .map_or(&[][..], |r| &self.owners[r.clone()]);
            put_varint(&mut owners_blob, owners.len() as u64);
            for &(_, owner, team) in owners {
                let index = if team {
                    team_index[&owner]
                } else {
                    user_index[&owner]
                };
                put_varint(&mut owners_blob, (index << 1) | u64::from(team));
            }
            let versions = versions_of
                .get(&id)
                .map_or(&[][..], |r| &self.versions[r.clone()]);
            put_varint(&mut versions_blob, versions.len() as u64);
            for (_, num, by) in versions {
                put_varint(&mut versions_blob, num.len() as u64);
                versions_blob.extend_from_slice(num.as_bytes());
                let code = match by {
                    By::None => 0,
                    By::Unknown => 1,
                    By::User(u) => user_index[u] + 2,
                };
                put_varint(&mut versions_blob, code);
            }
            counts.crates += 1;
            counts.versions += versions.len() as u64;
            counts.owners += owners.len() as u64;
            for v in rec {
                crate_records.extend_from_slice(&v.to_le_bytes());
            }
        }
        let mut accounts = |ids: &[u64], login: &dyn Fn(u64) -> String| -> Vec<u8> {
            let mut out = Vec::with_capacity(ids.len() * format::ACCOUNT_RECORD);
            for &id in ids {
                out.extend_from_slice(&id.to_le_bytes());
                out.extend_from_slice(&put_str(Some(&login(id))).to_le_bytes());
            }
            out
        };
        let users = accounts(&user_ids, &|id| self.login(id).to_string());
        let teams = accounts(&team_ids, &|id| {
            self.teams.get(&id).cloned().unwrap_or_default()
        });

        let mut at = format::HEADER_LEN as u64;
        let mut place = |len: usize| {
            let start = at;
            at += len as u64;
            start
        };
        let crates_at = place(crate_records.len());
        let users_at = place(users.len());
        let teams_at = place(teams.len());
        let strings_at = place(strings.len());
        let owners_at = place(owners_blob.len());
        let _versions_at = place(versions_blob.len());
        let header = Header {
            file_len: at,
            built_at,
            timestamp,
            crates: crates.len() as u32,
            users: user_ids.len() as u32,
            teams: team_ids.len() as u32,
            versions: counts.versions,
            owner_links: counts.owners,
            crates_at,
            users_at,
            teams_at,
            strings: (strings_at, strings.len() as u64),
            owners: (owners_at, owners_blob.len() as u64),
            version_blob: (0, 0),
        };
        let mut out = Vec::with_capacity(at as usize);
        out.extend_from_slice(&header.encode());
        for part in [
            &crate_records,
            &users,
            &teams,
            &strings,
            &owners_blob,
            &versions_blob,
        ] {
            out.extend_from_slice(part);
        }
        (out, counts)
    }
}

/// Ranges of `sorted` with one key.
fn group<T>(sorted: &[T], key: impl Fn(&T) -> u64) -> HashMap<u64, std::ops::Range<usize>> {
    let mut out = HashMap::new();
    let mut start = 0;
    while start < sorted.len() {
        let k = key(&sorted[start]);
        let mut end = start + 1;
        while end < sorted.len() && key(&sorted[end]) == k {
            end += 1;
        }
        out.insert(k, start..end);
        start = end;
    }
    out
}

/// Reads the dump at `path` (`.zip`, `.tar.gz`, `.tar` or an extracted folder) into a
/// builder.
pub fn read_dump(path: &Path) -> Result<Builder, DumpError> {
    let mut builder = Builder::new();
    let open_err = |source| DumpError::Open {
        path: path.to_path_buf(),
        source,
    };
    let archive_err = |source| DumpError::Archive {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        let data = dump::tables_dir(path).ok_or_else(|| DumpError::MissingTable {
            path: path.to_path_buf(),
            table: "crates",
        })?;
        if let Some(root) = data.parent()
            && let Ok(text) = crate::limits::read_text(
                &root.join("metadata.json"),
                crate::limits::DUMP_METADATA_BYTES,
            )
        {
            builder.set_metadata(&text);
        }
        for table in TABLES {
            let file = data.join(format!("{table}.csv"));
            match File::open(&file) {
                Ok(f) => builder.read_table(path, table, BufReader::with_capacity(1 << 16, f))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(DumpError::Open { path: file, source }),
            }
        }
    } else {
        let mut file = File::open(path).map_err(open_err)?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).map_err(open_err)?;
        drop(file);
        let file = File::open(path).map_err(open_err)?;
        if n == 4 && &magic == b"PK\x03\x04" {
            read_zip(path, file, &mut builder)?;
        } else {
            let mut archive = tar::Archive::new(dump::tar_stream(file).map_err(archive_err)?);
            for entry in archive.entries().map_err(archive_err)? {
                let mut entry = entry.map_err(archive_err)?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let Ok(member) = entry.path().map(|p| p.into_owned()) else {
                    continue;
                };
                match dump::member_file_name(&member) {
                    Some("metadata.json") => {
                        let text = crate::limits::read_text_from(
                            &mut entry,
                            crate::limits::DUMP_METADATA_BYTES,
                        )
                        .map_err(archive_err)?;
                        builder.set_metadata(&text);
                    }
                    Some(file) => {
                        if let Some(table) = Builder::wants(file) {
                            builder.read_table(path, table, &mut entry)?;
                        }
                    }
                    None => {}
                }
                if builder.missing_table().is_none()
                    && builder.seen.contains(&"oauth_github")
                    && builder.timestamp.is_some()
                {
                    break;
                }
            }
        }
    }
    if let Some(table) = builder.missing_table() {
        return Err(DumpError::MissingTable {
            path: path.to_path_buf(),
            table,
        });
    }
    Ok(builder)
}

/// Reads the store's members of a zip (the layout of `db-dump.zip`: `metadata.json` and
/// `data/*.csv`, with or without a dated folder), checking each member's CRC-32 and size.
pub fn read_zip<R: Read + std::io::Seek>(
    path: &Path,
    reader: R,
    builder: &mut Builder,
) -> Result<(), DumpError> {
    let archive_err = |source| DumpError::Archive {
        path: path.to_path_buf(),
        source,
    };
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| archive_err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    for (index, file) in super::download::needed_members(&zip) {
        let member = zip
            .by_index(index)
            .map_err(|e| archive_err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        let expected = (member.size(), member.crc32());
        let mut checked = Checked {
            inner: member,
            crc: crc32fast::Hasher::new(),
            len: 0,
            expected,
            name: file.clone(),
        };
        if file == "metadata.json" {
            let text =
                crate::limits::read_text_from(&mut checked, crate::limits::DUMP_METADATA_BYTES)
                    .map_err(archive_err)?;
            checked.finish().map_err(archive_err)?;
            builder.set_metadata(&text);
        } else if let Some(table) = Builder::wants(&file) {
            builder.read_table(path, table, &mut checked)?;
            checked.finish().map_err(archive_err)?;
        }
    }
    Ok(())
}

/// A zip member read with its CRC-32 and size checked at the end.
struct Checked<R> {
    inner: R,
    crc: crc32fast::Hasher,
    len: u64,
    expected: (u64, u32),
    name: String,
}

impl<R: Read> Checked<R> {
    /// Reads what is left and checks the whole member.
    fn finish(&mut self) -> std::io::Result<()> {
        std::io::copy(self, &mut std::io::sink())?;
        Ok(())
    }

    fn verify(&self) -> std::io::Result<()> {
        let crc = self.crc.clone().finalize();
        if self.len != self.expected.0 || crc != self.expected.1 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "member {} is corrupt: {} bytes with CRC-32 {crc:08x}, the zip directory says {} bytes with CRC-32 {:08x}",
                    self.name, self.len, self.expected.0, self.expected.1
                ),
            ));
        }
        Ok(())
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            // The zip reader's own check, said as ours.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                self.verify()?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        if n == 0 {
            self.verify()?;
        }
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}
