//! cargo-vet's `supply-chain/imports.lock` as a source of version publishers.
//!
//! Takes the file's `[[publisher.NAME]]` entries (`version`, `when`, and either
//! `user-id`/`user-login`/`user-name` or `trusted-publisher`) and gives the publisher of
//! exactly that version, with provenance `cargo-vet-imports` and `fetched` = `when`.
//! Everything else in the file (`[audits]`, `[[unpublished]]`, unknown keys) is ignored.
//! The file knows nothing about owners.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::publisher::{CrateKey, FactSource, Gathered, PublisherFacts};
use super::{Provenance, Publisher, Sourced};
use crate::crate_name::CrateName;

/// Why an imports.lock could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VetError {
    /// The imports file could not be read, or is over the size limit.
    #[error("cannot read cargo-vet imports {}: {source}", path.display())]
    Read {
        /// The imports file, e.g. `supply-chain/imports.lock`.
        path: PathBuf,
        /// The I/O error from reading it.
        source: std::io::Error,
    },
    /// The imports file is not valid TOML or an entry has the wrong shape.
    #[error("cargo-vet imports {}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The imports file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// What is wrong there.
        message: String,
    },
}

/// One version's publisher as the imports.lock records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VetPublisher {
    /// Who published the version: a user, or a trusted publisher.
    pub publisher: Publisher,
    /// The entry's `when` (a date, `YYYY-MM-DD`).
    pub when: Option<String>,
}

/// The publisher entries of one imports.lock, by normalized crate name and version.
#[derive(Clone, Debug, Default)]
pub struct VetImports {
    entries: HashMap<(String, String), VetPublisher>,
}

#[derive(Deserialize)]
struct RawLock {
    #[serde(default)]
    publisher: HashMap<String, Vec<RawPublisher>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPublisher {
    version: String,
    when: Option<toml::Spanned<toml::Value>>,
    user_id: Option<u64>,
    user_login: Option<String>,
    trusted_publisher: Option<String>,
}

impl VetImports {
    /// Reads and parses the imports.lock at `path`.
    pub fn load(path: &Path) -> Result<VetImports, VetError> {
        let text =
            crate::limits::read_text(path, crate::limits::VET_IMPORTS_BYTES).map_err(|source| {
                VetError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        VetImports::parse(&text, path)
    }

    /// Parses an imports.lock's text; `path` only names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<VetImports, VetError> {
        let raw: RawLock = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_column(text, s.start))
                .unwrap_or((1, 1));
            VetError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        let mut entries = HashMap::new();
        for (name, list) in raw.publisher {
            let name = CrateName(&name).normalized();
            for entry in list {
                let publisher = match (entry.trusted_publisher, entry.user_id) {
                    (Some(trusted), _) => Publisher::Trusted(trusted),
                    (None, Some(id)) => Publisher::User {
                        id,
                        login: entry.user_login.unwrap_or_default(),
                    },
                    // An entry naming nobody tells nothing: leave the version unknown.
                    (None, None) => continue,
                };
                let when = match entry.when {
                    None => None,
                    Some(w) => {
                        let at = w.span().start;
                        let text_of = match w.into_inner() {
                            toml::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        // Strict, so that what is shown later is a time and nothing else.
                        if !crate::date::is_fact_time(&text_of) {
                            let (line, column) = line_column(text, at);
                            return Err(VetError::Parse {
                                path: path.to_path_buf(),
                                line,
                                column,
                                message: format!(
                                    "`when` must be a date (YYYY-MM-DD) or an RFC 3339 time, found `{}`",
                                    text_of.escape_debug()
                                ),
                            });
                        }
                        Some(text_of)
                    }
                };
                entries.insert(
                    (name.clone(), entry.version),
                    VetPublisher { publisher, when },
                );
            }
        }
        Ok(VetImports { entries })
    }

    /// The recorded publisher of exactly `name` `version`.
    pub fn publisher(&self, name: &str, version: &str) -> Option<&VetPublisher> {
        self.entries
            .get(&(CrateName(name).normalized(), version.to_string()))
    }

    /// How many version entries were read.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no version entry was read.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// `--vet-imports PATH` as a [`FactSource`]: the file is read on the first `gather`, and a
/// file that cannot be read or parsed degrades the source instead of failing the run.
pub struct VetSource {
    path: PathBuf,
    loaded: Option<Result<VetImports, String>>,
}

impl VetSource {
    /// A source reading the imports file at `path` (`--vet-imports`).
    pub fn new(path: impl Into<PathBuf>) -> VetSource {
        VetSource {
            path: path.into(),
            loaded: None,
        }
    }
}

impl FactSource for VetSource {
    fn name(&self) -> &'static str {
        Provenance::CargoVetImports.as_str()
    }

    fn gather(&mut self, wanted: &[CrateKey]) -> Gathered {
        let path = &self.path;
        let loaded = self
            .loaded
            .get_or_insert_with(|| VetImports::load(path).map_err(|e| e.to_string()));
        let mut gathered = Gathered::default();
        match loaded {
            Err(message) => gathered.degrade(Provenance::CargoVetImports.as_str(), message.clone()),
            Ok(imports) => {
                for key in wanted {
                    if let Some(found) = imports.publisher(&key.name, &key.version) {
                        gathered.add(
                            key.clone(),
                            PublisherFacts {
                                owners: None,
                                publisher: Some(Sourced {
                                    value: Some(found.publisher.clone()),
                                    provenance: Provenance::CargoVetImports,
                                    fetched: found.when.clone(),
                                }),
                            },
                        );
                    }
                }
            }
        }
        gathered
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[[unpublished.cranelift]]
version = "0.136.0-dev"
audited_as = "0.134.3"

[[publisher.aho-corasick]]
version = "1.0.2"
when = "2023-06-04"
user-id = 189
user-login = "BurntSushi"
user-name = "Andrew Gallant"
some-future-key = true

[[publisher.third-party2]]
version = "10.0.0"
when = "2022-12-18"
trusted-publisher = "github:testing/third-party2"

[audits.mozilla.audits.foo]
who = "x"
"#;

    #[test]
    fn reads_users_and_trusted_publishers_for_exact_versions() {
        let imports = VetImports::parse(SAMPLE, Path::new("imports.lock")).unwrap();
        assert_eq!(imports.len(), 2);
        let aho = imports.publisher("aho_corasick", "1.0.2").unwrap();
        assert_eq!(
            aho.publisher,
            Publisher::User {
                id: 189,
                login: "BurntSushi".into()
            }
        );
        assert_eq!(aho.when.as_deref(), Some("2023-06-04"));
        assert!(imports.publisher("aho-corasick", "1.0.3").is_none());
        assert_eq!(
            imports
                .publisher("third-party2", "10.0.0")
                .unwrap()
                .publisher,
            Publisher::Trusted("github:testing/third-party2".into())
        );
    }

    #[test]
    fn malformed_file_names_line_and_column() {
        let err = VetImports::parse("[[publisher.x]]\nversion = \n", Path::new("i.lock"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cargo-vet imports i.lock:2:"), "{err}");
    }

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }
}
