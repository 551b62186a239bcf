//! Cargo.lock, scanned just enough to point at a package: where each `[[package]]` entry's
//! `name = "..."` line is, so SARIF and annotations can put a finding on the line that
//! pulls the crate in.
//!
//! A line scanner, not a TOML parser: cargo writes the file in a fixed shape (one key per
//! line, `name` then `version`), and a lock file we cannot read should cost a location,
//! never the report. CRLF line ends and keys in either order are accepted.

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

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    name: String,
    version: String,
    source: Option<String>,
    /// The `name = ...` line, or the `[[package]]` header if the entry has no name line.
    span: Span,
}

/// The `[[package]]` entries of one Cargo.lock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lockfile {
    entries: Vec<Entry>,
}

impl Lockfile {
    /// Scans Cargo.lock text. Never fails: what it cannot read, it skips.
    pub fn parse(text: &str) -> Lockfile {
        let mut entries = Vec::new();
        let mut current: Option<Partial> = None;
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                entries.extend(current.take().and_then(Partial::finish));
                if trimmed == "[[package]]" {
                    current = Some(Partial::new(span_of(i, line)));
                }
                continue;
            }
            let Some(entry) = current.as_mut() else {
                continue;
            };
            let Some((key, value)) = key_value(trimmed) else {
                continue;
            };
            match key {
                "name" => {
                    entry.name = Some(value);
                    entry.name_span = Some(span_of(i, line));
                }
                "version" => entry.version = Some(value),
                "source" => entry.source = Some(value),
                _ => {}
            }
        }
        entries.extend(current.and_then(Partial::finish));
        Lockfile { entries }
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

struct Partial {
    header: Span,
    name: Option<String>,
    name_span: Option<Span>,
    version: Option<String>,
    source: Option<String>,
}

impl Partial {
    fn new(header: Span) -> Partial {
        Partial {
            header,
            name: None,
            name_span: None,
            version: None,
            source: None,
        }
    }

    fn finish(self) -> Option<Entry> {
        Some(Entry {
            name: self.name?,
            version: self.version?,
            source: self.source,
            span: self.name_span.unwrap_or(self.header),
        })
    }
}

/// The span of line `index` (0-based): from its first non-blank character to its end.
fn span_of(index: usize, line: &str) -> Span {
    let indent = line.len() - line.trim_start().len();
    let utf16 = |s: &str| s.encode_utf16().count();
    let text = line.trim_end();
    Span {
        line: index + 1,
        column: utf16(&line[..indent]) + 1,
        end_column: utf16(text) + 1,
    }
}

/// `key = "value"` (or a literal `'value'`), the only shape cargo writes for the keys we read.
fn key_value(line: &str) -> Option<(&str, String)> {
    let (key, rest) = line.split_once('=')?;
    let key = key.trim();
    let rest = rest.trim();
    if let Some(body) = rest.strip_prefix('\'') {
        return Some((key, body.split_once('\'')?.0.to_string()));
    }
    let body = rest.strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some((key, value)),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
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
