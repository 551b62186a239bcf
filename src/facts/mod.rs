//! What is known about each package, and from where.
//!
//! Takes the [`Graph`] and gives one [`PackageFacts`] per package:
//! its origin, URLs, author email domains, crates.io owners and publisher, copyright lines.
//! Every fact carries its [`Provenance`] (book: docs/src/facts.md).

use std::fmt;

/// Where a fact came from.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Provenance {
    /// Read from the `cargo metadata` output.
    CargoMetadata,
    /// Read from the crates.io web API, live or from the API cache.
    CratesIoApi,
    /// Read from the crates.io database dump: `--db-dump`, or the facts store built from it.
    DbDump,
    /// Read from cargo-vet's `supply-chain/imports.lock`.
    CargoVetImports,
    /// Read from the facts lock file (`--facts`, by default `vendor-audit.lock`).
    FactsLock,
    /// Found in the package's own files (`--scan-sources`).
    CrateSources,
    /// A manifest in the local cargo registry cache (`--lockfile`, `--binary`).
    RegistryCache,
}

impl Provenance {
    /// The kebab-case name reports print, e.g. `crates-io-api`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::CargoMetadata => "cargo-metadata",
            Provenance::CratesIoApi => "crates-io-api",
            Provenance::DbDump => "db-dump",
            Provenance::CargoVetImports => "cargo-vet-imports",
            Provenance::FactsLock => "facts-lock",
            Provenance::CrateSources => "crate-sources",
            Provenance::RegistryCache => "registry-cache",
        }
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which fact of a package a pattern was compared with, as the report names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fact {
    /// The manifest's `repository` URL.
    Repository,
    /// The manifest's `homepage` URL.
    Homepage,
    /// The URL of the git repository the package is taken from.
    GitSource,
    /// The registry the package is taken from.
    Registry,
    /// An `authors` entry, by its email domain.
    AuthorEmail,
    /// An `authors` entry, by its name part.
    Author,
    /// A crates.io owner (user or team).
    Owner,
    /// Who published the exact version (a user or a trusted publisher).
    Publisher,
    /// A copyright line in the package's own files.
    Copyright,
    /// The package's name.
    Name,
}

impl Fact {
    /// The fact's name as the report writes it, e.g. `git-source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Fact::Repository => "repository",
            Fact::Homepage => "homepage",
            Fact::GitSource => "git-source",
            Fact::Registry => "registry",
            Fact::AuthorEmail => "author-email",
            Fact::Author => "author",
            Fact::Owner => "owner",
            Fact::Publisher => "publisher",
            Fact::Copyright => "copyright",
            Fact::Name => "name",
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a package comes from, read from its `source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// crates.io, under either of its index URLs.
    CratesIo,
    /// Another registry: the index URL with its `registry+` / `sparse+` prefix.
    Registry(String),
    /// A git repository: the URL without `git+`, query or fragment, and the commit.
    Git {
        /// The repository URL, e.g. `https://github.com/org/repo`.
        url: String,
        /// The commit from the URL's fragment; `None` when there is none.
        rev: Option<String>,
    },
    /// A path package (no source).
    Path,
}

/// A URL-valued fact: the text as found and its normalized form (book: docs/src/policy.md, "Matchers").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlFact {
    /// [`Fact::Repository`], [`Fact::Homepage`] or [`Fact::GitSource`].
    pub field: Fact,
    /// The URL as found: the manifest's `repository` or `homepage` as written, or a git
    /// `source` without its `git+` prefix, query and fragment.
    pub raw: String,
    /// The whole URL after normalization, e.g. `https://github.com/org/repo`.
    pub normalized: String,
    /// The lowercased host, when the URL has one.
    pub host: Option<String>,
    /// The path's segments, lowercased (what `orgs` compares).
    pub segments: Vec<String>,
    /// Which source gave the URL.
    pub provenance: Provenance,
}

/// An author email's domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailFact {
    /// The `authors` entry it came from.
    pub author: String,
    /// Lowercased domain.
    pub domain: String,
}

/// A crates.io owner.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// A user account on crates.io.
    User {
        /// The crates.io user id.
        id: u64,
        /// The user's login (their GitHub login), e.g. `dtolnay`.
        login: String,
    },
    /// `login` is `github:org:team`.
    Team {
        /// The crates.io team id.
        id: u64,
        /// The team's login, e.g. `github:rust-lang:libs`.
        login: String,
    },
}

/// Who published the exact version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Publisher {
    /// A crates.io user who published the version themselves.
    User {
        /// The crates.io user id.
        id: u64,
        /// The user's login (their GitHub login), e.g. `dtolnay`.
        login: String,
    },
    /// `github:owner/repo` or `gitlab:group/project`.
    Trusted(String),
}

/// A fact obtained from a source other than the metadata, with when it was obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The fact itself.
    pub value: T,
    /// Which source gave it.
    pub provenance: Provenance,
    /// RFC 3339 time the source was read or the fact fetched, when known.
    pub fetched: Option<String>,
}

impl<T> Sourced<T> {
    /// `provenance` or `provenance, fetched`, as reports print where a fact came from.
    pub fn origin_note(&self) -> String {
        match &self.fetched {
            Some(when) => format!("{}, {when}", self.provenance),
            None => self.provenance.to_string(),
        }
    }
}

/// A copyright line found in the package's own files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyrightFact {
    /// The line as found, trimmed, e.g. `Copyright (c) 2021 Example Corp`.
    pub line: String,
    /// The file it was found in, relative to the package root.
    pub file: String,
}

/// Everything known about one package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageFacts {
    /// Where the package comes from, read from its `source`.
    pub origin: Origin,
    /// The registry index URL as `source` gives it (registry packages only).
    pub registry: Option<String>,
    /// Repository, homepage and git-source URLs.
    pub urls: Vec<UrlFact>,
    /// Domains of the email addresses in the manifest's `authors`.
    pub emails: Vec<EmailFact>,
    /// crates.io owners; `None` when no source told.
    pub owners: Option<Sourced<Vec<Owner>>>,
    /// The publisher of this exact version; `None` when no source told. `Some` with a
    /// `None` value: a source answered, and the version has no recorded publisher.
    pub publisher: Option<Sourced<Option<Publisher>>>,
    /// Copyright lines; `None` unless `--scan-sources` read the package's files.
    pub copyright: Option<Vec<CopyrightFact>>,
}

/// A fact source that could not be used: the report lists it under `degraded`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Degraded {
    /// Which source, by its kebab-case name (e.g. `facts-lock`, `lockfile`, `binary`).
    pub source: String,
    /// What went wrong, for the person reading the report.
    pub message: String,
}

pub mod api;
pub mod cache;
pub mod crate_sources;
pub mod dump;
pub mod lock;
pub mod metadata;
pub mod publisher;
pub mod sources;
pub mod store;
pub mod text;
pub mod url;
pub mod vet;

use crate::graph::Graph;

/// Facts for every package of the graph from the metadata, and with `scan_sources` the
/// copyright lines of each reached package's own files.
pub fn gather(graph: &Graph, scan_sources: bool) -> (Vec<PackageFacts>, Vec<Degraded>) {
    let mut facts: Vec<PackageFacts> = graph.packages.iter().map(metadata::facts).collect();
    let mut degraded = Vec::new();
    if scan_sources {
        let mut unreadable = Vec::new();
        for i in graph.reached() {
            let pkg = &graph.packages[i];
            match crate_sources::scan(&pkg.manifest_path, pkg.license_file.as_deref()) {
                Ok(lines) => facts[i].copyright = Some(lines),
                Err(e) => unreadable.push(format!("{} ({e})", pkg.spec())),
            }
        }
        if !unreadable.is_empty() {
            let shown: Vec<_> = unreadable.iter().take(5).map(String::as_str).collect();
            degraded.push(Degraded {
                source: Provenance::CrateSources.as_str().to_string(),
                message: format!(
                    "the sources of {} package(s) could not be read, so their copyright lines are unknown: {}{}",
                    unreadable.len(),
                    shown.join("; "),
                    if unreadable.len() > 5 { "; ..." } else { "" }
                ),
            });
        }
    }
    (facts, degraded)
}
