//! The spanned TOML reader of policy files: typed reads of one key with the diagnostics of a
//! wrong type, a missing key or an unknown one.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{SourceFile, closest};
use super::values::{draft_key_hint, is_id};
use super::{Confidence, Diagnostic, EntitySeverity, Level};
use crate::date::Date;
use crate::graph::{DepKind, Kinds};

/// A value of the spanned tree.
pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// A value with the byte span it was written at.
#[derive(Clone, Debug)]
pub(crate) struct At<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// One table of the tree as [`Checker::walk`] reads it. Every read names its key, and the
/// table keeps the names in the order first asked: they are the keys it may hold, and any
/// other key in it is unknown.
pub(super) struct Table<'t, 'i> {
    table: &'t DeTable<'i>,
    /// Where the table is written: its header, or `0..0` for the top level. Problems about
    /// a missing key point here.
    pub(super) span: Range<usize>,
    /// How messages name the table: `[policy]`, `the top level`, ...
    pub(super) ctx: Cow<'static, str>,
    asked: Vec<&'static str>,
}

impl<'t, 'i> Table<'t, 'i> {
    /// The value of `key`, which is noted as a key this table may hold.
    pub(super) fn get(&mut self, key: &'static str) -> Option<&'t Value<'i>> {
        if !self.asked.contains(&key) {
            self.asked.push(key);
        }
        self.table.get(key)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// A problem for each key of the table that was never asked for, with a hint: the new
    /// form of a draft key, or the closest valid key, and the list of valid keys.
    fn unknown_keys(&self, file: &SourceFile) -> Vec<Diagnostic> {
        let list = self.asked.join(", ");
        self.table
            .keys()
            .filter(|key| !self.asked.contains(&key.get_ref().as_ref()))
            .map(|key| {
                let name = key.get_ref().as_ref();
                let hint = if let Some(h) = draft_key_hint(name) {
                    format!("{h}; valid keys: {list}")
                } else if let Some(best) = closest(name, &self.asked) {
                    format!("did you mean `{best}`? valid keys: {list}")
                } else {
                    format!("valid keys: {list}")
                };
                let message = format!("unknown key `{name}` in {}", self.ctx);
                file.diagnostic(key.span(), message, Some(hint))
            })
            .collect()
    }
}

/// A value written as one of a few words, spelled as the type itself spells it.
pub(super) trait Word: Copy {
    fn word(self) -> &'static str;
}

impl Word for Confidence {
    fn word(self) -> &'static str {
        self.as_str()
    }
}

impl Word for Level {
    fn word(self) -> &'static str {
        self.as_str()
    }
}

impl Word for EntitySeverity {
    fn word(self) -> &'static str {
        self.as_str()
    }
}

impl Word for DepKind {
    fn word(self) -> &'static str {
        self.as_str()
    }
}

/// Reads one file's tree and pushes a diagnostic for every problem it meets.
pub(super) struct Checker<'a> {
    pub(super) file: &'a SourceFile,
    pub(super) diags: &'a mut Vec<Diagnostic>,
}

pub(super) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

pub(super) fn example_for(expected: &str, key: &str) -> String {
    match expected {
        "a string" => format!("write `{key} = \"...\"`"),
        "an array of strings" => format!("write `{key} = [\"...\"]`"),
        "a date" => format!("write the date unquoted as YYYY-MM-DD: `{key} = 2027-02-28`"),
        "an integer" => format!("write `{key} = 1`"),
        "a table" => format!("write it as a table: `[{key}]`"),
        _ => format!("give `{key}` {expected}"),
    }
}

pub(super) fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Checker<'_> {
    pub(super) fn error(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let d = self.file.diagnostic(span, message, Some(hint.into()));
        self.diags.push(d);
    }

    pub(super) fn wrong_type(&mut self, v: &Value<'_>, key: &str, ctx: &str, expected: &str) {
        self.error(
            v.span(),
            format!(
                "wrong type for `{key}` in {ctx}: expected {expected}, found {}",
                type_name(v.get_ref())
            ),
            example_for(expected, key),
        );
    }

    /// Reads `table` with `read`, then reports each of its keys that `read` did not ask for
    /// as unknown. Those problems are put before the ones `read` found, so that where two
    /// share a position (an unknown key at the very start of a file and the missing
    /// `schema`), the unknown key is listed first.
    pub(super) fn walk<'t, 'i, R>(
        &mut self,
        table: &'t DeTable<'i>,
        span: Range<usize>,
        ctx: impl Into<Cow<'static, str>>,
        read: impl FnOnce(&mut Self, &mut Table<'t, 'i>) -> R,
    ) -> R {
        let mark = self.diags.len();
        let mut t = Table {
            table,
            span,
            ctx: ctx.into(),
            asked: Vec::new(),
        };
        let out = read(self, &mut t);
        let unknown = t.unknown_keys(self.file);
        self.diags.splice(mark..mark, unknown);
        out
    }

    pub(super) fn missing(&mut self, header: &Range<usize>, key: &str, ctx: &str, example: &str) {
        self.error(
            header.clone(),
            format!("missing required key `{key}` in {ctx}"),
            format!("add `{key} = {example}`"),
        );
    }

    pub(super) fn string(
        &mut self,
        t: &mut Table<'_, '_>,
        key: &'static str,
    ) -> Option<At<String>> {
        let v = t.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(At {
                value: s.to_string(),
                span: v.span(),
            }),
            _ => {
                self.wrong_type(v, key, &t.ctx, "a string");
                None
            }
        }
    }

    pub(super) fn required_string(
        &mut self,
        t: &mut Table<'_, '_>,
        key: &'static str,
    ) -> Option<At<String>> {
        if t.get(key).is_none() {
            self.missing(&t.span, key, &t.ctx, "\"...\"");
            return None;
        }
        let value = self.string(t, key)?;
        let ctx = &t.ctx;
        if value.value.trim().is_empty() {
            self.error(
                value.span.clone(),
                format!("`{key}` in {ctx} is empty"),
                format!("a required `{key}` must say something: it is printed with every finding it concerns"),
            );
            return None;
        }
        Some(value)
    }

    pub(super) fn string_array(
        &mut self,
        t: &mut Table<'_, '_>,
        key: &'static str,
    ) -> Option<Vec<At<String>>> {
        let v = t.get(key)?;
        let ctx = &t.ctx;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(v, key, ctx, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => out.push(At {
                    value: s.to_string(),
                    span: item.span(),
                }),
                _ => self.wrong_type(item, key, ctx, "a string"),
            }
        }
        Some(out)
    }

    pub(super) fn id(&mut self, at: &At<String>, what: &str) {
        if !is_id(&at.value) {
            let suggestion: String = at
                .value
                .trim()
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            self.error(
                at.span.clone(),
                format!(
                    "invalid {what} id `{}`: ids are made of lowercase letters, digits and `-`",
                    at.value
                ),
                format!("write it as [a-z0-9-]+, e.g. `{suggestion}`"),
            );
        }
    }

    pub(super) fn date(&mut self, t: &mut Table<'_, '_>, key: &'static str) -> Option<Date> {
        let v = t.get(key)?;
        let ctx = &t.ctx;
        let bad_date = |what: String| {
            (
                format!("invalid date for `{key}` in {ctx}: {what}"),
                format!("write a plain date as YYYY-MM-DD: `{key} = 2027-02-28`"),
            )
        };
        let result = match v.get_ref() {
            DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => Date::new(i32::from(d.year), d.month, d.day)
                    .ok_or_else(|| bad_date(format!("`{dt}` does not exist"))),
                _ => Err(bad_date(format!(
                    "`{dt}` has a time or an offset, a date is expected"
                ))),
            },
            DeValue::String(s) => s
                .parse::<Date>()
                .map_err(|_| bad_date(format!("`{s}` is not a YYYY-MM-DD date that exists"))),
            _ => {
                self.wrong_type(v, key, ctx, "a date");
                return None;
            }
        };
        match result {
            Ok(d) => Some(d),
            Err((message, hint)) => {
                self.error(v.span(), message, hint);
                None
            }
        }
    }

    /// `v` as one of `options`, which hints list in the order given.
    pub(super) fn choice<T: Word>(
        &mut self,
        v: &Value<'_>,
        key: &str,
        ctx: &str,
        options: &[T],
    ) -> Option<T> {
        let names: Vec<&str> = options.iter().map(|o| o.word()).collect();
        let DeValue::String(s) = v.get_ref() else {
            self.wrong_type(v, key, ctx, &format!("one of {}", quoted_list(&names)));
            return None;
        };
        if let Some(t) = options.iter().find(|o| o.word() == s.as_ref()) {
            return Some(*t);
        }
        let mut hint = format!("expected one of {}", quoted_list(&names));
        if let Some(best) = closest(s, &names) {
            hint = format!("did you mean \"{best}\"? {hint}");
        }
        self.error(
            v.span(),
            format!("invalid value \"{s}\" for `{key}` in {ctx}"),
            hint,
        );
        None
    }

    pub(super) fn enum_key<T: Word>(
        &mut self,
        t: &mut Table<'_, '_>,
        key: &'static str,
        options: &[T],
    ) -> Option<At<T>> {
        let v = t.get(key)?;
        self.choice(v, key, &t.ctx, options).map(|value| At {
            value,
            span: v.span(),
        })
    }

    pub(super) fn kinds(&mut self, t: &mut Table<'_, '_>, key: &'static str) -> Option<Kinds> {
        let v = t.get(key)?;
        let ctx = &t.ctx;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(v, key, ctx, "an array of dependency kinds");
            return None;
        };
        if items.is_empty() {
            self.error(
                v.span(),
                format!("`{key}` in {ctx} is empty"),
                format!(
                    "list at least one of {}, or remove the key",
                    quoted_list(&DepKind::ALL.map(DepKind::as_str))
                ),
            );
            return None;
        }
        let mut kinds = Kinds::NONE;
        let mut all_valid = true;
        for item in items {
            match self.choice(item, key, ctx, &DepKind::ALL) {
                Some(kind) => kinds.insert(kind),
                None => all_valid = false,
            }
        }
        all_valid.then_some(kinds)
    }

    /// Takes `key` as an array of tables (`[[key]]`) and reads each of its tables with
    /// `read`, once every entry that is not a table is reported. Gives what `read` gave.
    pub(super) fn tables<'t, 'i, R>(
        &mut self,
        root: &mut Table<'t, 'i>,
        key: &'static str,
        mut read: impl FnMut(&mut Self, &mut Table<'t, 'i>) -> Option<R>,
    ) -> Vec<R> {
        let Some(v) = root.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.error(
                v.span(),
                format!(
                    "wrong type for `{key}`: expected an array of tables, found {}",
                    type_name(v.get_ref())
                ),
                format!("write each entry under its own `[[{key}]]` header (double brackets)"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            if let DeValue::Table(t) = item.get_ref() {
                out.push((t, item.span()));
            } else {
                self.error(
                    item.span(),
                    format!(
                        "wrong type for an entry of `{key}`: expected a table, found {}",
                        type_name(item.get_ref())
                    ),
                    format!("write each entry under its own `[[{key}]]` header"),
                );
            }
        }
        out.into_iter()
            .filter_map(|(t, span)| self.walk(t, span, format!("[[{key}]]"), &mut read))
            .collect()
    }
}
