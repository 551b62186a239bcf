//! The report: one serde type that is the JSON schema (book: docs/src/output-formats.md, "json"), and its renderers.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::facts::{Degraded, Fact, Provenance};
use crate::policy::{Confidence, Location, MatcherKind, PolicySource};

/// Ordered so that sorting puts `deny` first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// `deny`: fails the run unless `--fail-on never`.
    Deny,
    /// `warn`: fails the run under `--fail-on warn`.
    Warn,
    /// `info`: never fails the run; also the severity of a waived finding.
    Info,
}

impl Severity {
    /// The severity as reports spell it: `deny`, `warn` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }
}

/// The program that wrote the report (`tool`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tool {
    /// `cargo-vendor-audit`.
    pub name: String,
    /// The program's version, e.g. `0.1.0`.
    pub version: String,
}

/// How many packages there were and were audited, and how many findings of each severity
/// after waivers (`summary`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Packages in the metadata.
    pub packages: usize,
    /// Packages audited: reached, in scope of `dependency-kinds`, not first-party
    /// (unless `--include-workspace`).
    pub audited: usize,
    /// Findings of severity `deny`.
    pub deny: usize,
    /// Findings of severity `warn`.
    pub warn: usize,
    /// Findings of severity `info`, waived ones included.
    pub info: usize,
}

/// The package a finding is about (`package`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageRef {
    /// The crate name, e.g. `kav-sdk`.
    pub name: String,
    /// The version, e.g. `1.2.3`.
    pub version: String,
    /// The package id, `SOURCE#NAME@VERSION` as cargo writes it, e.g.
    /// `registry+https://github.com/rust-lang/crates.io-index#foo@1.2.3`.
    pub id: String,
    /// Where the package comes from, as cargo's `source`, e.g.
    /// `registry+https://github.com/rust-lang/crates.io-index`; `null` for a path package.
    pub source: Option<String>,
}

/// What a piece of evidence was held against: a matcher of an entity's `[entity.match]`,
/// or an allow-list of `[origins]`. Serialized as the key the policy writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatcherKey {
    /// An `[entity.match]` matcher.
    Entity(MatcherKind),
    /// `[origins] allow-registries`.
    AllowRegistries,
    /// `[origins] allow-git`.
    AllowGit,
}

impl MatcherKey {
    /// The key as written in the policy, e.g. `orgs` or `allow-registries`.
    pub fn key(self) -> &'static str {
        match self {
            MatcherKey::Entity(kind) => kind.key(),
            MatcherKey::AllowRegistries => "allow-registries",
            MatcherKey::AllowGit => "allow-git",
        }
    }

    /// The `[entity.match]` matcher, when it is one.
    pub fn kind(self) -> Option<MatcherKind> {
        match self {
            MatcherKey::Entity(kind) => Some(kind),
            MatcherKey::AllowRegistries | MatcherKey::AllowGit => None,
        }
    }
}

impl fmt::Display for MatcherKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl Serialize for MatcherKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

/// One fact that matched one pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The matcher, e.g. `orgs`.
    pub matcher: MatcherKey,
    /// The pattern as the policy writes it, e.g. `github.com/KasperskyLab`; for `[origins]`
    /// evidence, the allow-list's entries joined by `, ` (`(empty)` when it has none).
    pub pattern: String,
    /// Which fact matched.
    pub fact: Fact,
    /// The fact's value as found, e.g. `https://github.com/KasperskyLab/kav-sdk` or
    /// `Dev <dev@kaspersky.com>`.
    pub value: String,
    /// How much the match says: the pattern's confidence, e.g. `medium` (`high` for
    /// `[origins]` evidence).
    pub confidence: Confidence,
    /// Where the fact came from, e.g. `cargo-metadata` or `crates-io-api`.
    pub provenance: Provenance,
    /// Extension: when a fetched fact was obtained.
    pub fetched: Option<String>,
    /// Extension: the API base URL that answered, for a `crates-io-api` fact from a
    /// `--crates-io-api` other than crates.io (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// Extension: where the pattern is written, `file:line` (`[origins]` for the
    /// allow-lists).
    pub pattern_at: PolicyLocation,
    /// Extension: the pattern's `note`, if any.
    pub note: Option<String>,
}

impl Evidence {
    /// How the fact relates to the pattern, in words: `matches`, or for `[origins]`
    /// findings `is not in` (the fact is flagged because the allow-list lacks it).
    pub fn relation(&self) -> &'static str {
        match self.matcher {
            MatcherKey::AllowRegistries | MatcherKey::AllowGit => "is not in",
            MatcherKey::Entity(_) => "matches",
        }
    }

    /// The provenance as shown to a reader: `crates-io-api`, or with the base URL that
    /// answered when it is not crates.io.
    pub fn provenance_text(&self) -> String {
        match &self.api_base {
            Some(base) => format!("{} at {base}", self.provenance),
            None => self.provenance.to_string(),
        }
    }

    /// ``fact `value` matches matcher `pattern` ``, the texts from the crate and the
    /// policy passed through `escape` (each output format has its own).
    pub fn claim(&self, escape: impl Fn(&str) -> String) -> String {
        format!(
            "{} `{}` {} {} `{}`",
            self.fact,
            escape(&self.value),
            self.relation(),
            self.matcher,
            escape(&self.pattern)
        )
    }
}

/// Where a policy entry is written, as findings name it. Serialized, and shown, as
/// `file:line`, `builtin:NAME:LINE`, or `[origins]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PolicyLocation {
    /// A line of a policy file, named as the user named it.
    File {
        /// The file's path as given, e.g. `policy/vendor.toml`.
        path: String,
        /// The 1-based line.
        line: usize,
    },
    /// A line of a policy compiled into the binary, `builtin:NAME`.
    Builtin {
        /// The builtin policy's name, e.g. `us-federal`.
        name: String,
        /// The 1-based line.
        line: usize,
    },
    /// The `[origins]` table, for evidence held against its allow-lists.
    Origins,
}

impl From<&Location> for PolicyLocation {
    fn from(at: &Location) -> PolicyLocation {
        match at.file.strip_prefix("builtin:") {
            Some(name) => PolicyLocation::Builtin {
                name: name.to_string(),
                line: at.line,
            },
            None => PolicyLocation::File {
                path: at.file.clone(),
                line: at.line,
            },
        }
    }
}

impl fmt::Display for PolicyLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyLocation::File { path, line } => write!(f, "{path}:{line}"),
            PolicyLocation::Builtin { name, line } => write!(f, "builtin:{name}:{line}"),
            PolicyLocation::Origins => f.write_str("[origins]"),
        }
    }
}

impl Serialize for PolicyLocation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An exception as written, for findings about exceptions and waived findings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExceptionRef {
    /// The `crate` it waives (JSON key `crate`), e.g. `ylong_io`.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The `version` requirement as written, e.g. `=1.0.0`; `null` for every version.
    pub version: Option<String>,
    /// The id of the only `entity` it waives; `null` for any entity.
    pub entity: Option<String>,
    /// The date it expires, `YYYY-MM-DD`.
    pub expires: String,
    /// Its `reason`, as written.
    pub reason: String,
    /// `file:line`.
    pub at: PolicyLocation,
    /// Extension.
    pub approved_by: Option<String>,
    /// Extension.
    pub ticket: Option<String>,
}

/// A citation as a finding shows it (extension).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CitationRef {
    /// The `[[citation]]`'s `id`, e.g. `ndaa-fy2018-s1634`.
    pub id: String,
    /// Its `title`.
    pub title: String,
    /// Its `instrument`, e.g. `Pub. L. 115-91, s.1634`.
    pub instrument: String,
    /// Its `url`; `null` when it has none.
    pub url: Option<String>,
}

/// The entity of a finding, in full (extension).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityRef {
    /// The `[[entity]]`'s `id`, e.g. `kaspersky`.
    pub id: String,
    /// Its `name`, e.g. `AO Kaspersky Lab`.
    pub name: String,
    /// Its `reason`, as written.
    pub reason: String,
    /// The date its restriction takes effect, `YYYY-MM-DD`; `null` when the policy gives none.
    pub effective: Option<String>,
    /// The `[[citation]]`s its `citations` name, in that order.
    pub citations: Vec<CitationRef>,
    /// `file:line` of the `[[entity]]`.
    pub at: PolicyLocation,
}

/// One finding (an entry of `findings`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of finding it is, e.g. `restricted-entity`.
    pub code: Code,
    /// Its severity after confidence thresholds and waivers.
    pub severity: Severity,
    /// The matched entity's id, e.g. `kaspersky`; `null` for a finding about no entity
    /// (`unapproved-*`, `missing-facts`).
    pub entity: Option<String>,
    /// The package it is about; `null` for a finding about no package (`unused-exception`).
    pub package: Option<PackageRef>,
    /// The dependency kinds through which the package is reached, in the order `normal`,
    /// `build`, `dev`, e.g. `["normal"]`; empty without a package.
    pub kinds: Vec<String>,
    /// What the finding rests on: each fact held against a pattern or an `[origins]` allow-list.
    pub evidence: Vec<Evidence>,
    /// Up to 5 shortest paths, root first, as `name@version`.
    pub paths: Vec<Vec<String>>,
    /// The exception that waived the finding (its severity is then `info`), or the one an
    /// `expired-exception` or `unused-exception` is about; `null` otherwise.
    pub exception: Option<ExceptionRef>,
    /// The finding in one sentence, e.g. ``kav-sdk 1.2.3 comes from restricted entity AO
    /// Kaspersky Lab (kaspersky): repository `...` matches orgs `github.com/KasperskyLab` ``.
    pub message: String,
    /// Extension: the entity's name, reason and citations.
    pub entity_detail: Option<EntityRef>,
    /// Extension: the kinds of the edges along each path (`null` for the root), parallel to `paths`.
    pub path_kinds: Vec<Vec<Option<String>>>,
}

/// The whole report: what `--format json` writes, and what the other formats render.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The version of the report's schema: `1`.
    pub schema: u32,
    /// The program that wrote it.
    pub tool: Tool,
    /// The policies applied, each with its `id`, `source` and `reviewed` date if it has one.
    pub policies: Vec<PolicySource>,
    /// The date `effective` and `expires` were held against (`--today`, else the UTC date),
    /// `YYYY-MM-DD`.
    pub today: String,
    /// The counts.
    pub summary: Summary,
    /// The fact sources that failed (`source`, `message`); empty when none did.
    pub degraded: Vec<Degraded>,
    /// The findings, sorted by severity, then code, then package name and version, then entity.
    pub findings: Vec<Finding>,
    /// Extension: true when no policy was given or found and `builtin:us-federal` was used.
    pub default_policy: bool,
}

mod code;
pub mod cyclonedx;
pub mod github;
pub mod human;
pub mod inventory;
pub mod json;
pub mod markdown;
mod render;
pub mod sarif;

pub use code::Code;
pub use json::write_inert_json;
pub use render::{Format, RenderOptions, Renderer, render, renderer};

/// The least severity that fails the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// A `deny` finding fails the run.
    Deny,
    /// A `deny` or `warn` finding fails the run.
    Warn,
    /// No finding fails the run.
    Never,
}

/// A policy as the reports name it: its source, and when it was reviewed if it says.
pub fn policy_label(p: &PolicySource) -> String {
    match p.reviewed {
        Some(d) => format!("{} (reviewed {d})", p.source),
        None => p.source.clone(),
    }
}

impl Report {
    /// A warning for each builtin policy reviewed more than
    /// [`crate::policy::STALE_AFTER_DAYS`] days before the report's date.
    pub fn stale_policies(&self) -> Vec<String> {
        let Ok(today) = self.today.parse::<crate::date::Date>() else {
            return Vec::new();
        };
        self.policies
            .iter()
            .filter_map(|p| p.staleness(today))
            .collect()
    }

    /// Counts findings by severity into the summary.
    pub fn count(&mut self) {
        let count = |s| self.findings.iter().filter(|f| f.severity == s).count();
        self.summary.deny = count(Severity::Deny);
        self.summary.warn = count(Severity::Warn);
        self.summary.info = count(Severity::Info);
    }

    /// Whether a finding at or above `fail_on` exists.
    pub fn fails(&self, fail_on: FailOn) -> bool {
        match fail_on {
            FailOn::Deny => self.summary.deny > 0,
            FailOn::Warn => self.summary.deny + self.summary.warn > 0,
            FailOn::Never => false,
        }
    }
}

/// What the CI renderers (SARIF, Markdown, GitHub) need beyond the report: the workspace
/// root, to give paths relative to it, its Cargo.lock, to point at a package's entry, and
/// `--fail-on`, for the verdict.
#[derive(Clone, Debug)]
pub struct Context {
    /// The workspace root (`cargo metadata`'s `workspace_root`).
    pub workspace_root: PathBuf,
    /// The text of `Cargo.lock` at the workspace root; `None` when it could not be read.
    pub lockfile: Option<String>,
    /// `--fail-on`, for the verdict.
    pub fail_on: FailOn,
}

impl Context {
    /// A context for this workspace root, with its `Cargo.lock` read if it can be: a
    /// missing, special or too large lock file (the root comes from the metadata, which
    /// may be a file strangers wrote) costs the findings their line numbers, not the report.
    pub fn new(workspace_root: impl Into<PathBuf>, fail_on: FailOn) -> Context {
        let workspace_root = workspace_root.into();
        let lockfile = crate::input::lockfile::read(&workspace_root.join("Cargo.lock")).ok();
        Context {
            workspace_root,
            lockfile,
            fail_on,
        }
    }

    /// Where a policy entry is written, relative to the workspace where it can be.
    pub fn policy_place<'a>(&self, at: &'a PolicyLocation) -> PolicyPlace<'a> {
        match at {
            PolicyLocation::File { path, line } if *line != 0 && !path.is_empty() => {
                let path = Path::new(path);
                match path.strip_prefix(&self.workspace_root) {
                    Ok(inside) => PolicyPlace::File {
                        path: slash_path(inside),
                        relative: true,
                        line: *line,
                    },
                    Err(_) => PolicyPlace::File {
                        path: slash_path(path),
                        relative: path.is_relative(),
                        line: *line,
                    },
                }
            }
            PolicyLocation::Builtin { name, line } if *line != 0 => {
                PolicyPlace::Builtin { name, line: *line }
            }
            _ => PolicyPlace::Other(at.to_string()),
        }
    }
}

/// Where a policy entry (`Evidence::pattern_at`, `EntityRef::at`, `ExceptionRef::at`) is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyPlace<'a> {
    /// A policy file. `relative`: `path` is relative to the workspace root (a path given
    /// relative on the command line is taken as relative to it, as CI runs from there).
    File {
        /// The path with `/` separators, e.g. `policy/vendor.toml`.
        path: String,
        /// Whether `path` is relative to the workspace root.
        relative: bool,
        /// The 1-based line.
        line: usize,
    },
    /// A policy compiled into the binary (`builtin:NAME:LINE`): not a file of the workspace.
    Builtin {
        /// The builtin policy's name, e.g. `us-federal`.
        name: &'a str,
        /// The 1-based line.
        line: usize,
    },
    /// No line of a file (e.g. `[origins]`): shown as it is.
    Other(String),
}

/// A path with `/` separators and without `.` components.
fn slash_path(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let (mut root, mut prefix) = (false, false);
    for c in path.components() {
        match c {
            Component::Prefix(p) => {
                prefix = true;
                parts.push(p.as_os_str().to_string_lossy().into_owned())
            }
            Component::RootDir => root = true,
            Component::CurDir => {}
            Component::ParentDir => parts.push("..".to_string()),
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if root && !prefix {
        format!("/{joined}")
    } else {
        joined
    }
}

pub use crate::text::is_hidden;
