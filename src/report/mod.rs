//! The report: one serde type that is the JSON schema (SPEC section 6), and its renderers.

use serde::Serialize;

use crate::facts::Degraded;
use crate::policy::PolicySource;

/// The stable finding codes (SPEC section 5).
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

/// One fact that matched one pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The matcher key, e.g. `orgs`.
    pub matcher: String,
    pub pattern: String,
    /// Which fact matched: `repository`, `homepage`, `git-source`, `registry`,
    /// `author-email`, `owner`, `publisher`, `copyright`, `name`.
    pub fact: String,
    pub value: String,
    pub confidence: String,
    pub provenance: String,
    /// Extension: when a fetched fact was obtained.
    pub fetched: Option<String>,
    /// Extension: where the pattern is written, `file:line`.
    pub pattern_at: String,
    /// Extension: the pattern's `note`, if any.
    pub note: Option<String>,
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
    pub at: String,
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
    pub at: String,
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

pub mod human;

/// `--fail-on`: the least severity that fails the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Deny,
    Warn,
    Never,
}

impl Report {
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

    /// The JSON form (SPEC section 6), one object and a newline.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }
}
