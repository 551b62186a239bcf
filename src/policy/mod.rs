//! The policy: restricted entities, their matchers, citations, exceptions and origin rules.
//!
//! Takes policy files (paths or `builtin:NAME`), parses them with spans, validates them in a
//! second pass that collects every problem, follows `extends`, merges, and gives a compiled
//! [`Policy`] or every [`Diagnostic`] found (book: docs/src/policy.md).
//!
//! Choices made where the policy reference (docs/src/policy.md) is silent:
//! - `schema = 1` is required in every file, `[policy]` with its `id` too.
//! - Dates are TOML dates (`2027-02-28`); a quoted `"2027-02-28"` is accepted as well. A
//!   date-time or a date that does not exist is an error.
//! - `deny-min-confidence` below `warn-min-confidence` is allowed (any evidence that reaches
//!   it denies); `policy check` warns about it.
//! - `expired-exception = "allow"` is an error; only `deny | warn`.
//! - An entity needs an `[entity.match]` table with at least one key, and no matcher array
//!   may be empty. `expires` must be after `effective`.
//! - Merging: `[policy]` keys and `[origins]` levels are taken per key from the last file
//!   that sets them; `allow-registries` and `allow-git` add up (in load order, without
//!   repeats), like exceptions; `allow-registries` is `["crates-io"]` only when no file
//!   sets it. The merged `Settings::id` is the id of the last file loaded.
//! - `extends` takes an array of strings. A builtin may only extend `builtin:NAME`. An
//!   `extends` target is named (in messages and [`Policy::sources`]) by its path joined to
//!   the naming file's folder, with `.` and `..` folded.
//! - A file with TOML syntax errors is not checked further (its tree is partial), and
//!   references to ids are then not checked either, to avoid reporting follow-on noise.
//! - Matcher values are kept as written; the matcher stage compares them case-insensitively
//!   (book: docs/src/policy.md, "Matchers"). Matchers are listed per entity in the order of [`MatcherKind::ALL`].

use std::collections::BTreeMap;
use std::fmt;

use crate::date::Date;
use crate::graph::Kinds;

mod builtin;
mod diagnostic;
mod load;
mod parse;
#[cfg(test)]
mod tests;
mod toml;
mod values;

pub use builtin::{builtin, builtin_names};

/// Loads the policy files named by `specs` (paths relative to the current directory, or
/// `builtin:NAME`), follows their `extends`, merges them in load order and checks them.
///
/// Every problem found in every file is returned, not only the first.
pub fn load(specs: &[String]) -> Result<Policy, PolicyErrors> {
    load::load_with(&load::RealFs, specs)
}

/// Loads one policy given as text, as if it were the file `name` (which names it in
/// messages and anchors its relative `extends`). For tests and embedding.
pub fn load_str(name: &str, text: &str) -> Result<Policy, PolicyErrors> {
    let fs = load::OverlayFs {
        name: std::path::Path::new(name),
        text,
    };
    load::load_with(&fs, &[name.to_string()])
}

/// Where something was written: a policy file (as the user named it, or `builtin:NAME`),
/// 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    /// `file:line`, the form findings print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// How strongly a piece of evidence ties a package to an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// `deny | warn | allow`: what a policy setting asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Deny,
    Warn,
    Allow,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
            Level::Allow => "allow",
        }
    }
}

/// An entity's severity: `deny | warn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntitySeverity {
    Deny,
    Warn,
}

impl EntitySeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            EntitySeverity::Deny => "deny",
            EntitySeverity::Warn => "warn",
        }
    }
}

/// The `[policy]` settings after merging (the file given later wins).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub id: String,
    pub title: Option<String>,
    /// `dependency-kinds`; default all three.
    pub dependency_kinds: Kinds,
    pub deny_min_confidence: Confidence,
    pub warn_min_confidence: Confidence,
    pub missing_facts: Level,
    /// `deny | warn` only.
    pub expired_exception: Level,
    pub unused_exception: Level,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            id: String::new(),
            title: None,
            dependency_kinds: Kinds::ALL,
            deny_min_confidence: Confidence::High,
            warn_min_confidence: Confidence::Medium,
            missing_facts: Level::Warn,
            expired_exception: Level::Deny,
            unused_exception: Level::Warn,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Citation {
    pub id: String,
    pub title: String,
    pub instrument: String,
    pub issuer: Option<String>,
    pub url: Option<String>,
    pub published: Option<Date>,
    pub effective: Option<Date>,
    pub notes: Option<String>,
    pub location: Location,
}

/// The matcher kinds of `[entity.match]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatcherKind {
    CratesIoUsers,
    CratesIoLogins,
    CratesIoTeams,
    Orgs,
    Hosts,
    Registries,
    Repositories,
    EmailDomains,
    CopyrightHolders,
    AuthorNames,
    Crates,
}

impl MatcherKind {
    pub const ALL: [MatcherKind; 11] = [
        MatcherKind::CratesIoUsers,
        MatcherKind::CratesIoLogins,
        MatcherKind::CratesIoTeams,
        MatcherKind::Orgs,
        MatcherKind::Hosts,
        MatcherKind::Registries,
        MatcherKind::Repositories,
        MatcherKind::EmailDomains,
        MatcherKind::CopyrightHolders,
        MatcherKind::AuthorNames,
        MatcherKind::Crates,
    ];

    /// The key as written in `[entity.match]`.
    pub fn key(self) -> &'static str {
        match self {
            MatcherKind::CratesIoUsers => "crates-io-users",
            MatcherKind::CratesIoLogins => "crates-io-logins",
            MatcherKind::CratesIoTeams => "crates-io-teams",
            MatcherKind::Orgs => "orgs",
            MatcherKind::Hosts => "hosts",
            MatcherKind::Registries => "registries",
            MatcherKind::Repositories => "repositories",
            MatcherKind::EmailDomains => "email-domains",
            MatcherKind::CopyrightHolders => "copyright-holders",
            MatcherKind::AuthorNames => "author-names",
            MatcherKind::Crates => "crates",
        }
    }

    pub fn from_key(key: &str) -> Option<MatcherKind> {
        MatcherKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The confidence a value of this kind has unless it says otherwise.
    pub fn default_confidence(self) -> Confidence {
        match self {
            MatcherKind::EmailDomains => Confidence::Medium,
            MatcherKind::CopyrightHolders | MatcherKind::AuthorNames | MatcherKind::Crates => {
                Confidence::Low
            }
            _ => Confidence::High,
        }
    }

    /// Whether this matcher needs crates.io owner or publisher facts: the `crates-io-*`
    /// matchers, and `orgs` and `repositories`, which also compare crates.io teams and
    /// trusted publishers.
    pub fn needs_publisher_facts(self) -> bool {
        self.needs_owners() || self.needs_publisher()
    }

    /// Whether this matcher compares the crates.io owners (users and teams).
    pub fn needs_owners(self) -> bool {
        matches!(
            self,
            MatcherKind::CratesIoUsers
                | MatcherKind::CratesIoLogins
                | MatcherKind::CratesIoTeams
                | MatcherKind::Orgs
        )
    }

    /// Whether this matcher compares the publisher of the exact version.
    pub fn needs_publisher(self) -> bool {
        matches!(
            self,
            MatcherKind::CratesIoUsers
                | MatcherKind::CratesIoLogins
                | MatcherKind::CratesIoTeams
                | MatcherKind::Orgs
                | MatcherKind::Repositories
        )
    }
}

impl fmt::Display for MatcherKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A matcher value: a string, or an integer for `crates-io-users`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MatchValue {
    Str(String),
    Id(u64),
}

impl fmt::Display for MatchValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchValue::Str(s) => f.write_str(s),
            MatchValue::Id(n) => write!(f, "{n}"),
        }
    }
}

/// One value of `[entity.match]`, with its confidence (given or the kind's default).
#[derive(Clone, Debug, PartialEq)]
pub struct Matcher {
    pub kind: MatcherKind,
    pub value: MatchValue,
    pub confidence: Confidence,
    pub note: Option<String>,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entity {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub severity: EntitySeverity,
    pub effective: Option<Date>,
    pub expires: Option<Date>,
    pub reason: String,
    /// Ids of [`Citation`]s, all known (validated).
    pub citations: Vec<String>,
    pub matchers: Vec<Matcher>,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exception {
    pub crate_name: String,
    /// The requirement as written, and parsed.
    pub version: Option<(String, semver::VersionReq)>,
    pub entity: Option<String>,
    pub kinds: Option<Kinds>,
    pub via: Vec<String>,
    pub reason: String,
    pub approved_by: Option<String>,
    pub ticket: Option<String>,
    pub expires: Date,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NotAffiliated {
    pub crate_name: String,
    pub entity: String,
    pub reason: String,
    /// `matchers`: the kinds of evidence that were reviewed. `None`: every matcher whose
    /// evidence is below high confidence.
    pub matchers: Option<Vec<MatcherKind>>,
    pub location: Location,
}

impl NotAffiliated {
    /// Whether this entry reviewed (and so suppresses) evidence of `kind` at `confidence`.
    pub fn covers(&self, kind: MatcherKind, confidence: Confidence) -> bool {
        match &self.matchers {
            Some(kinds) => kinds.contains(&kind),
            None => confidence < Confidence::High,
        }
    }

    /// What the entry reviewed, in words.
    pub fn scope(&self) -> String {
        match &self.matchers {
            Some(kinds) => kinds.iter().map(|k| k.key()).collect::<Vec<_>>().join(", "),
            None => "evidence below high confidence".to_string(),
        }
    }
}

/// `[origins]`: where crates may come from.
#[derive(Clone, Debug, PartialEq)]
pub struct Origins {
    pub unknown_registry: Level,
    pub unknown_git: Level,
    /// Registry index URLs, or `crates-io`. Default `["crates-io"]`.
    pub allow_registries: Vec<String>,
    /// `host/org` or URL prefixes.
    pub allow_git: Vec<String>,
}

impl Default for Origins {
    fn default() -> Origins {
        Origins {
            unknown_registry: Level::Allow,
            unknown_git: Level::Allow,
            allow_registries: vec!["crates-io".to_string()],
            allow_git: Vec::new(),
        }
    }
}

/// One policy file that went into the merged policy, as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PolicySource {
    pub id: String,
    pub source: String,
    /// Extension: `[policy] reviewed`, when the file's data was last checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<Date>,
}

/// A builtin policy whose `reviewed` date is older than this on `--today` is called stale.
pub const STALE_AFTER_DAYS: i64 = 180;

impl PolicySource {
    /// For a builtin policy reviewed more than [`STALE_AFTER_DAYS`] before `today`: a
    /// warning saying how old it is and how to update.
    pub fn staleness(&self, today: Date) -> Option<String> {
        let reviewed = self.reviewed?;
        let age = today.days_since_epoch() - reviewed.days_since_epoch();
        (self.source.starts_with("builtin:") && age > STALE_AFTER_DAYS).then(|| {
            format!(
                "{} was last reviewed on {reviewed}, {age} days before {today}: the instruments it cites may have changed since; update cargo-vendor-audit (`cargo install cargo-vendor-audit`) for newer policy data, or extend it with your own entries",
                self.source
            )
        })
    }
}

/// The merged, validated policy.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Policy {
    /// The files in the order they were loaded (an `extends` target before the file that names it).
    pub sources: Vec<PolicySource>,
    pub settings: Settings,
    pub citations: BTreeMap<String, Citation>,
    pub entities: Vec<Entity>,
    pub exceptions: Vec<Exception>,
    pub not_affiliated: Vec<NotAffiliated>,
    pub origins: Origins,
}

impl Policy {
    pub fn entity(&self, id: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.id == id)
    }

    /// Whether any entity has a matcher that needs crates.io publisher facts.
    pub fn needs_publisher_facts(&self) -> bool {
        self.entities
            .iter()
            .any(|e| e.matchers.iter().any(|m| m.kind.needs_publisher_facts()))
    }
}

/// One problem in a policy file, printed cargo-style with the source line and a caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    pub message: String,
    /// The text of the offending line (empty when there is none, e.g. an unreadable file).
    pub source_line: String,
    /// How many columns the caret underlines (at least 1).
    pub span_len: usize,
    pub hint: Option<String>,
}

/// Every problem found while loading policies. Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyErrors(pub Vec<Diagnostic>);
