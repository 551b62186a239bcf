//! Reading the dump's CSV tables: columns by header name, the rows about wanted crates,
//! and every row for the facts store.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use super::archive::RowLimit;
use super::{By, DumpError, State, TRUSTED_PUBLISHING_SINCE, Table, UserRow};
use crate::crate_name::CrateName;
/// Column positions of one table, found by header name.
pub(super) struct Columns {
    pub(super) index: HashMap<String, usize>,
}

impl Columns {
    pub(super) fn required(
        &self,
        table: Table,
        path: &Path,
        name: &'static str,
    ) -> Result<usize, DumpError> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| DumpError::MissingColumn {
                path: path.to_path_buf(),
                table: table.name(),
                column: name,
            })
    }

    pub(super) fn optional(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// One row's field as text; `None` when the column is absent or empty.
pub(super) fn field(row: &csv::ByteRecord, i: Option<usize>) -> Option<&str> {
    let raw = row.get(i?)?;
    let text = std::str::from_utf8(raw).ok()?;
    (!text.is_empty()).then_some(text)
}

impl State<'_> {
    pub(super) fn read_table(&mut self, table: Table, reader: impl Read) -> Result<(), DumpError> {
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
                    let name = CrateName(name).normalized();
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
    pub(super) fn login(&self, user: u64) -> Option<String> {
        let row = self.users.get(&user);
        row.and_then(|r| r.username.clone())
            .or_else(|| row.and_then(|r| r.gh_login.clone()))
            .or_else(|| self.oauth.get(&user).cloned())
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
