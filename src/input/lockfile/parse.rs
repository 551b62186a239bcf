//! The one Cargo.lock parser: every `[[package]]` entry with its name, version, source,
//! dependencies, and where its `name = "..."` line is.
//!
//! `--lockfile` builds its graph from the entries and refuses a file it cannot parse
//! ([`Lockfile::from_toml`]); SARIF and annotations put a finding on the line that pulls the
//! crate in, and a lock file they cannot parse costs the locations, never the report
//! ([`Lockfile::parse`]).

use serde::Deserialize;
use toml::Spanned;

/// A place in a text file: 1-based line, and 1-based columns counted in UTF-16 code units
/// (SARIF's default `columnKind`), `end_column` one past the end of the line's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column of the line's first non-blank character.
    pub column: usize,
    /// The column one past the line's last non-blank character.
    pub end_column: usize,
}

impl Span {
    /// The first line, for a package the lock file does not list.
    pub const FIRST_LINE: Span = Span {
        line: 1,
        column: 1,
        end_column: 1,
    };
}

/// One `[[package]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The package's name.
    pub name: String,
    /// The package's version, as written, e.g. `1.2.3`.
    pub version: String,
    /// The `source` line, e.g. `registry+https://github.com/rust-lang/crates.io-index`;
    /// `None` for a path package.
    pub source: Option<String>,
    /// `NAME`, `NAME VERSION` or `NAME VERSION (SOURCE)`, as cargo writes them.
    pub dependencies: Vec<String>,
    /// The `name = ...` line.
    pub span: Span,
}

/// The `[[package]]` entries of one Cargo.lock, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lockfile {
    /// One per `[[package]]` table.
    pub entries: Vec<Entry>,
}

// Named as serde names them in error messages.
#[derive(Deserialize)]
#[serde(expecting = "struct LockFile")]
struct RawLock {
    #[serde(default)]
    package: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(expecting = "struct Entry")]
struct RawEntry {
    name: Spanned<String>,
    version: String,
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl Lockfile {
    /// Parses Cargo.lock text as TOML; keys other than the entries' `name`, `version`,
    /// `source` and `dependencies` are ignored.
    pub fn from_toml(text: &str) -> Result<Lockfile, toml::de::Error> {
        let raw: RawLock = toml::from_str(text)?;
        let entries = raw
            .package
            .into_iter()
            .map(|e| {
                let span = line_span(text, e.name.span().start);
                Entry {
                    name: e.name.into_inner(),
                    version: e.version,
                    source: e.source,
                    dependencies: e.dependencies,
                    span,
                }
            })
            .collect();
        Ok(Lockfile { entries })
    }

    /// [`Lockfile::from_toml`] for the report locations: a file that does not parse gives
    /// no entries.
    pub fn parse(text: &str) -> Lockfile {
        Lockfile::from_toml(text).unwrap_or_default()
    }

    /// Where the entry of this package is: the one with this name, version and source,
    /// else the first with this name and version (a lock file can hold one version
    /// from two sources, and metadata and lock file spell sources alike, but a renamed
    /// registry is better found than lost).
    pub fn find(&self, name: &str, version: &str, source: Option<&str>) -> Option<Span> {
        let mut same = self
            .entries
            .iter()
            .filter(|e| e.name == name && e.version == version);
        let first = same.clone().next()?;
        Some(
            same.find(|e| e.source.as_deref() == source)
                .unwrap_or(first)
                .span,
        )
    }

    /// How many `[[package]]` entries were read.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no `[[package]]` entry was read.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The span of the line holding byte `offset` of `text`: from its first non-blank character
/// to its end (a `\r` before the `\n` is not part of it).
fn line_span(text: &str, offset: usize) -> Span {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let raw = &text[start..end];
    let line = raw.strip_suffix('\r').unwrap_or(raw);
    let index = text[..start].matches('\n').count();
    let indent = line.len() - line.trim_start().len();
    let utf16 = |s: &str| s.encode_utf16().count();
    Span {
        line: index + 1,
        column: utf16(&line[..indent]) + 1,
        end_column: utf16(line.trim_end()) + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "foo",
]

[[package]]
name = "foo"
version = "1.2.3"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "abc"

[[package]]
name = "foo"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "foo"
version = "2.0.0"
source = "git+https://example.com/foo#0123"

[metadata]
name = "not-a-package"
version = "9.9.9"
"#;

    #[test]
    fn finds_name_line_by_name_and_version() {
        let lock = Lockfile::parse(LOCK);
        assert_eq!(lock.len(), 4);
        assert_eq!(
            lock.find("foo", "1.2.3", None),
            Some(Span {
                line: 13,
                column: 1,
                end_column: 13
            })
        );
        assert_eq!(lock.find("app", "0.1.0", None).map(|s| s.line), Some(6));
        assert_eq!(lock.find("foo", "9.9.9", None), None);
        assert_eq!(lock.find("not-a-package", "9.9.9", None), None);
    }

    #[test]
    fn source_picks_between_duplicates() {
        let lock = Lockfile::parse(LOCK);
        let git = Some("git+https://example.com/foo#0123");
        let reg = Some("registry+https://github.com/rust-lang/crates.io-index");
        assert_eq!(lock.find("foo", "2.0.0", git).map(|s| s.line), Some(24));
        assert_eq!(lock.find("foo", "2.0.0", reg).map(|s| s.line), Some(19));
        // An unknown source falls back to the first entry of that name and version.
        assert_eq!(
            lock.find("foo", "2.0.0", Some("x")).map(|s| s.line),
            Some(19)
        );
    }

    #[test]
    fn crlf_and_version_first() {
        let text = "version = 3\r\n\r\n[[package]]\r\nversion = \"0.3.0\"\r\n  name = \"bar\"\r\n";
        let lock = Lockfile::parse(text);
        assert_eq!(
            lock.find("bar", "0.3.0", None),
            Some(Span {
                line: 5,
                column: 3,
                end_column: 15
            })
        );
    }

    #[test]
    fn garbage_gives_nothing() {
        for text in [
            "",
            "[[package]]",
            "[[package]]\nname = \"x",
            "\u{feff}\0\n=\"\"\n",
        ] {
            assert!(Lockfile::parse(text).is_empty(), "{text:?}");
        }
        // An entry without a version is not an entry.
        assert!(Lockfile::parse("[[package]]\nname = \"x\"\n").is_empty());
    }
}
