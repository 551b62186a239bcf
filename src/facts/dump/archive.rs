//! Reading a dump from its archive (gzip or plain tar) or its extracted folder: members
//! by path, long names and PAX headers, the row limit.

use std::cell::Cell;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::{DumpError, State, Table};
use crate::limits::{DUMP_ROW_BYTES, TAR_HEADER_BYTES, describe};
pub(super) fn read_folder(state: &mut State<'_>) -> Result<(), DumpError> {
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
pub(super) fn find_data_dir(path: &Path) -> Option<PathBuf> {
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

pub(super) fn read_archive(state: &mut State<'_>) -> Result<(), DumpError> {
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
pub(super) fn decompress(mut file: File) -> std::io::Result<Box<dyn Read>> {
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

pub(super) enum Entry {
    Metadata,
    Table(Table),
}

/// The GNU long name or PAX `path` that names the next entry of a raw tar stream.
#[derive(Default)]
pub(super) struct LongName {
    pub(super) pending: Option<Vec<u8>>,
}

/// A regular file entry of the archive and its path.
pub(super) type Named<'a, R> = (PathBuf, tar::Entry<'a, R>);

impl LongName {
    /// The path of `entry` when it is a regular file (a pending long name, else its
    /// header's); `None` for every other entry. A long-name or PAX entry is read, up to
    /// [`TAR_HEADER_BYTES`], and kept for the entry after it.
    pub(super) fn path_of<'a, R: Read>(
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
pub(super) fn entry_kind(path: &Path) -> Option<(String, Entry)> {
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
pub(super) fn metadata_timestamp(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let time = value.get("timestamp")?.as_str()?;
    crate::date::is_timestamp(time).then(|| time.to_string())
}

/// Counts the bytes read since the last complete CSV row, failing past the row limit, so
/// that a row is never held whole when it is longer than that.
pub(super) struct RowLimit<R> {
    pub(super) inner: R,
    pub(super) since_row: Rc<Cell<u64>>,
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
