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
    /// The policy file as the user named it (an `extends` target: joined to the naming file's
    /// folder), or `builtin:NAME`.
    pub file: String,
    /// 1-based line; 0 for a problem with the whole file, such as one that cannot be read.
    pub line: usize,
    /// 1-based column, counted in characters; 0 when `line` is 0.
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
    /// `"low"`: weak on its own; the default of `copyright-holders`, `author-names` and `crates`.
    Low,
    /// `"medium"`: the default of `email-domains`.
    Medium,
    /// `"high"`: the default of the `crates-io-*` matchers, `orgs`, `hosts`, `registries` and
    /// `repositories`.
    High,
}

impl Confidence {
    /// The word as the policy file and the reports write it: `low`, `medium` or `high`.
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
    /// `"deny"`: a finding of severity deny.
    Deny,
    /// `"warn"`: a finding of severity warn.
    Warn,
    /// `"allow"`: no finding.
    Allow,
}

impl Level {
    /// The word as the policy file writes it: `deny`, `warn` or `allow`.
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
    /// `"deny"` (the default): a finding denies when its evidence reaches `deny-min-confidence`.
    Deny,
    /// `"warn"`: its findings warn at most.
    Warn,
}

impl EntitySeverity {
    /// The word as the policy file writes it: `deny` or `warn`.
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
    /// `id` of the last file loaded.
    pub id: String,
    /// `title`, from the last file that sets it; `None` when none does.
    pub title: Option<String>,
    /// `dependency-kinds`; default all three.
    pub dependency_kinds: Kinds,
    /// `deny-min-confidence`: the least confidence of evidence at which a finding of a `deny`
    /// entity denies; default high.
    pub deny_min_confidence: Confidence,
    /// `warn-min-confidence`: the least confidence at which a finding warns (below it: info);
    /// default medium.
    pub warn_min_confidence: Confidence,
    /// `missing-facts`: the severity of a `missing-facts` finding, made when a matcher needs
    /// crates.io owner or publisher facts that are unknown; default warn.
    pub missing_facts: Level,
    /// `deny | warn` only.
    pub expired_exception: Level,
    /// `unused-exception`: the severity of an `unused-exception` finding, made for an exception
    /// that matched no finding; default warn.
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

/// A `[[citation]]`: a legal or administrative text that entities name by id.
#[derive(Clone, Debug, PartialEq)]
pub struct Citation {
    /// `id`: unique in the merged policy, `[a-z0-9-]+`; required.
    pub id: String,
    /// `title`: what the text is called; required.
    pub title: String,
    /// `instrument`: the citable reference, e.g. `Pub. L. 115-91, s.1634`; required.
    pub instrument: String,
    /// `issuer`: who issued the text.
    pub issuer: Option<String>,
    /// `url`: where the text can be read, as written.
    pub url: Option<String>,
    /// `published`: the date the text was published.
    pub published: Option<Date>,
    /// `effective`: the date the text took or takes effect.
    pub effective: Option<Date>,
    /// `notes`: free text about the citation.
    pub notes: Option<String>,
    /// Where its `[[citation]]` header is.
    pub location: Location,
}

/// The matcher kinds of `[entity.match]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatcherKind {
    /// `crates-io-users`: numeric crates.io user ids of the owners and of the version's publisher.
    CratesIoUsers,
    /// `crates-io-logins`: crates.io logins of the owners and of the version's publisher.
    CratesIoLogins,
    /// `crates-io-teams`: crates.io teams, `github:ORG:TEAM`, where TEAM may be `*`.
    CratesIoTeams,
    /// `orgs`: `host/org[/group]`, over repository, homepage and git-source URLs, crates.io teams
    /// and trusted publishers.
    Orgs,
    /// `hosts`: a host or any subdomain of it, in the repository, homepage, git-source or registry
    /// index URL.
    Hosts,
    /// `registries`: the registry index URL, or `crates-io`.
    Registries,
    /// `repositories`: a URL glob over the normalized repository, homepage, git-source and
    /// trusted-publisher URLs.
    Repositories,
    /// `email-domains`: a domain or any subdomain of it, in an `authors` email.
    EmailDomains,
    /// `copyright-holders`: a substring of a copyright line in the sources (read with
    /// `--scan-sources` only).
    CopyrightHolders,
    /// `author-names`: a case-insensitive substring of the name part of an `authors` entry.
    AuthorNames,
    /// `crates`: a glob over the crate name (`-` and `_` equal).
    Crates,
}

impl MatcherKind {
    /// Every kind, in the order the reader takes them and an entity lists its matchers.
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

    /// The kind whose `[entity.match]` key is `key`; `None` for an unknown key.
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
    /// A string, as written: every matcher but `crates-io-users`.
    Str(String),
    /// A numeric crates.io user id: `crates-io-users` only.
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
    /// The `[entity.match]` key the value is listed under.
    pub kind: MatcherKind,
    /// The value as written.
    pub value: MatchValue,
    /// `confidence` of a value table, or else the kind's default.
    pub confidence: Confidence,
    /// `note` of a value table: free text shown with the evidence.
    pub note: Option<String>,
    /// Where the value is written.
    pub location: Location,
}

/// An `[[entity]]`: a restricted entity and how to recognize its crates.
#[derive(Clone, Debug, PartialEq)]
pub struct Entity {
    /// `id`: unique in the merged policy, `[a-z0-9-]+`; findings, exceptions and not-affiliated
    /// entries name the entity by it.
    pub id: String,
    /// `name`: the entity's legal name as listed; required.
    pub name: String,
    /// `aliases`: other names of the entity; empty when absent.
    pub aliases: Vec<String>,
    /// `severity`: `deny | warn`; default deny.
    pub severity: EntitySeverity,
    /// `effective`: before this date its findings are `upcoming-restriction` and warn at most;
    /// `None`: in force.
    pub effective: Option<Date>,
    /// `expires`: from this date on the entity no longer matches; after `effective` when both are
    /// set.
    pub expires: Option<Date>,
    /// `reason`: why the entity is restricted, printed with every finding; required.
    pub reason: String,
    /// Ids of [`Citation`]s, all known (validated).
    pub citations: Vec<String>,
    /// The values of `[entity.match]`, kind by kind in the order of [`MatcherKind::ALL`], each
    /// kind's in the order written. Never empty.
    pub matchers: Vec<Matcher>,
    /// Where its `[[entity]]` header is.
    pub location: Location,
}

/// An `[[exception]]`: a waiver for a real match, until `expires`.
#[derive(Clone, Debug, PartialEq)]
pub struct Exception {
    /// `crate`: the crate it waives, compared as a crate name (ASCII case and `-`/`_` folded);
    /// required.
    pub crate_name: String,
    /// The requirement as written, and parsed.
    pub version: Option<(String, semver::VersionReq)>,
    /// `entity`: only findings for this entity id; `None`: any entity.
    pub entity: Option<String>,
    /// `kinds`: only when every dependency kind the package is reached through is listed; `None`:
    /// any kinds.
    pub kinds: Option<Kinds>,
    /// `via`: only when some path from a root passes through these crates in this order; empty:
    /// any path.
    pub via: Vec<String>,
    /// `reason`: why the waiver was granted; required.
    pub reason: String,
    /// `approved-by`: who approved it, as written.
    pub approved_by: Option<String>,
    /// `ticket`: a tracker reference, as written.
    pub ticket: Option<String>,
    /// `expires`: the first day the waiver no longer applies; required.
    pub expires: Date,
    /// Where its `[[exception]]` header is.
    pub location: Location,
}

/// A `[[not-affiliated]]` entry: a reviewed false positive. It suppresses only the evidence it
/// reviewed (see [`NotAffiliated::covers`]).
#[derive(Clone, Debug, PartialEq)]
pub struct NotAffiliated {
    /// `crate`: the crate that matched, compared as a crate name; required.
    pub crate_name: String,
    /// `entity`: the id of the entity it matched, known in the merged policy; required.
    pub entity: String,
    /// `reason`: why the crate is not the entity's; required.
    pub reason: String,
    /// `matchers`: the kinds of evidence that were reviewed. `None`: every matcher whose
    /// evidence is below high confidence.
    pub matchers: Option<Vec<MatcherKind>>,
    /// Where its `[[not-affiliated]]` header is.
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
    /// `unknown-registry`: the severity of `unapproved-registry`, for a registry not in
    /// `allow-registries`; default allow.
    pub unknown_registry: Level,
    /// `unknown-git`: the severity of `unapproved-git`, for a git source not in `allow-git`;
    /// default allow.
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
    /// `[policy] id` of the file.
    pub id: String,
    /// The file as the user named it (an `extends` target: joined to the naming file's folder), or
    /// `builtin:NAME`.
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
    /// The merged `[policy]` settings.
    pub settings: Settings,
    /// The `[[citation]]` tables of every file, by id.
    pub citations: BTreeMap<String, Citation>,
    /// The `[[entity]]` tables of every file, in load order.
    pub entities: Vec<Entity>,
    /// The `[[exception]]` tables of every file, in load order.
    pub exceptions: Vec<Exception>,
    /// The `[[not-affiliated]]` entries of every file, in load order.
    pub not_affiliated: Vec<NotAffiliated>,
    /// The merged `[origins]` table.
    pub origins: Origins,
}

impl Policy {
    /// The entity with id `id`, if there is one.
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
    /// Where the problem is; line 0 for a problem with the whole file.
    pub location: Location,
    /// What is wrong, printed after `error:`.
    pub message: String,
    /// The text of the offending line (empty when there is none, e.g. an unreadable file).
    pub source_line: String,
    /// How many columns the caret underlines (at least 1).
    pub span_len: usize,
    /// What to do about it, printed after `= help:`.
    pub hint: Option<String>,
}

/// Every problem found while loading policies. Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyErrors(pub Vec<Diagnostic>);
