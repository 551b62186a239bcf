//! The report: one serde type that is the JSON schema (book: docs/src/output-formats.md, "json"), and its renderers.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::facts::{Degraded, Fact, Provenance};
use crate::policy::{Confidence, Location, MatcherKind, PolicySource};

/// The stable finding codes (book: docs/src/finding-codes.md, one section each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    RestrictedEntity,
    UpcomingRestriction,
    UnapprovedRegistry,
    UnapprovedGit,
    MissingFacts,
    ExpiredException,
    UnusedException,
    NotAffiliated,
}

impl Code {
    pub const ALL: [Code; 8] = [
        Code::RestrictedEntity,
        Code::UpcomingRestriction,
        Code::UnapprovedRegistry,
        Code::UnapprovedGit,
        Code::MissingFacts,
        Code::ExpiredException,
        Code::UnusedException,
        Code::NotAffiliated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::RestrictedEntity => "restricted-entity",
            Code::UpcomingRestriction => "upcoming-restriction",
            Code::UnapprovedRegistry => "unapproved-registry",
            Code::UnapprovedGit => "unapproved-git",
            Code::MissingFacts => "missing-facts",
            Code::ExpiredException => "expired-exception",
            Code::UnusedException => "unused-exception",
            Code::NotAffiliated => "not-affiliated",
        }
    }

    /// One line on what the code means, for help texts and rule descriptions.
    pub fn description(self) -> &'static str {
        match self {
            Code::RestrictedEntity => "a package matches a restricted entity of the policy",
            Code::UpcomingRestriction => {
                "a package matches an entity whose restriction is not yet effective"
            }
            Code::UnapprovedRegistry => {
                "a package comes from a registry not in `[origins] allow-registries`"
            }
            Code::UnapprovedGit => {
                "a package comes from a git repository not in `[origins] allow-git`"
            }
            Code::MissingFacts => {
                "a publisher matcher could not be evaluated: the package's crates.io owners or publisher are unknown"
            }
            Code::ExpiredException => {
                "an exception that would apply has expired; the finding it covered stands"
            }
            Code::UnusedException => "an exception matched no finding",
            Code::NotAffiliated => {
                "a match was suppressed by a reviewed `[[not-affiliated]]` entry"
            }
        }
    }
}

/// Ordered so that sorting puts `deny` first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Deny,
    Warn,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Packages in the metadata.
    pub packages: usize,
    /// Packages audited: reached, in scope of `dependency-kinds`, not first-party
    /// (unless `--include-workspace`).
    pub audited: usize,
    pub deny: usize,
    pub warn: usize,
    pub info: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageRef {
    pub name: String,
    pub version: String,
    pub id: String,
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
    pub pattern: String,
    /// Which fact matched.
    pub fact: Fact,
    pub value: String,
    pub confidence: Confidence,
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
    File { path: String, line: usize },
    /// A line of a policy compiled into the binary, `builtin:NAME`.
    Builtin { name: String, line: usize },
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
    #[serde(rename = "crate")]
    pub crate_name: String,
    pub version: Option<String>,
    pub entity: Option<String>,
    pub expires: String,
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
    pub id: String,
    pub title: String,
    pub instrument: String,
    pub url: Option<String>,
}

/// The entity of a finding, in full (extension).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityRef {
    pub id: String,
    pub name: String,
    pub reason: String,
    pub effective: Option<String>,
    pub citations: Vec<CitationRef>,
    /// `file:line` of the `[[entity]]`.
    pub at: PolicyLocation,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub entity: Option<String>,
    pub package: Option<PackageRef>,
    pub kinds: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// Up to 5 shortest paths, root first, as `name@version`.
    pub paths: Vec<Vec<String>>,
    pub exception: Option<ExceptionRef>,
    pub message: String,
    /// Extension: the entity's name, reason and citations.
    pub entity_detail: Option<EntityRef>,
    /// Extension: the kinds of the edges along each path (`null` for the root), parallel to `paths`.
    pub path_kinds: Vec<Vec<Option<String>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub schema: u32,
    pub tool: Tool,
    pub policies: Vec<PolicySource>,
    pub today: String,
    pub summary: Summary,
    pub degraded: Vec<Degraded>,
    pub findings: Vec<Finding>,
    /// Extension: true when no policy was given or found and `builtin:us-federal` was used.
    pub default_policy: bool,
}

pub mod cyclonedx;
pub mod github;
pub mod human;
pub mod inventory;
pub mod json;
pub mod markdown;
mod render;
pub mod sarif;

pub use json::write_inert_json;
pub use render::{Format, RenderOptions, Renderer, render, renderer};

/// `--fail-on`: the least severity that fails the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Deny,
    Warn,
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
        path: String,
        relative: bool,
        line: usize,
    },
    /// A policy compiled into the binary (`builtin:NAME:LINE`): not a file of the workspace.
    Builtin { name: &'a str, line: usize },
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
