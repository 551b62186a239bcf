//! The report: one serde type that is the JSON schema (book: docs/src/output-formats.md, "json"), and its renderers.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::facts::Degraded;
use crate::policy::PolicySource;

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
    /// Extension: the API base URL that answered, for a `crates-io-api` fact from a
    /// `--crates-io-api` other than crates.io (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// Extension: where the pattern is written, `file:line`.
    pub pattern_at: String,
    /// Extension: the pattern's `note`, if any.
    pub note: Option<String>,
}

impl Evidence {
    /// How the fact relates to the pattern, in words: `matches`, or for `[origins]`
    /// findings `is not in` (the fact is flagged because the allow-list lacks it).
    pub fn relation(&self) -> &'static str {
        match self.matcher.as_str() {
            "allow-registries" | "allow-git" => "is not in",
            _ => "matches",
        }
    }

    /// The provenance as shown to a reader: `crates-io-api`, or with the base URL that
    /// answered when it is not crates.io.
    pub fn provenance_text(&self) -> String {
        match &self.api_base {
            Some(base) => format!("{} at {base}", self.provenance),
            None => self.provenance.clone(),
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

pub mod cyclonedx;
pub mod github;
pub mod human;
pub mod lockfile;
pub mod markdown;
pub mod sarif;

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

    /// The JSON form (book: docs/src/output-formats.md, "json"), one object and a newline.
    ///
    /// What [`write_inert_json`] of the whole report gives, byte for byte, with the
    /// findings (nearly all of a big report) rendered on every core, a batch at a time.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        use std::io::Write;

        /// The fields before `findings`, in the order of [`Report`].
        #[derive(Serialize)]
        struct Head<'a> {
            schema: u32,
            tool: &'a Tool,
            policies: &'a [PolicySource],
            today: &'a str,
            summary: &'a Summary,
            degraded: &'a [Degraded],
        }
        /// Findings rendered per unit of work, and per batch written out.
        const CHUNK: usize = 32;
        const BATCH: usize = 64 * CHUNK;

        let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
        let head = Head {
            schema: self.schema,
            tool: &self.tool,
            policies: &self.policies,
            today: &self.today,
            summary: &self.summary,
            degraded: &self.degraded,
        };
        let mut text = Vec::new();
        serialize_inert(&mut text, &head, 0)?;
        // `{ ... "degraded": [...]\n}`: continue the object where its `}` was.
        text.truncate(text.len() - "\n}".len());
        w.write_all(&text)?;
        w.write_all(b",\n  \"findings\": [")?;
        let mut written = 0;
        for batch in self.findings.chunks(BATCH) {
            let parts = crate::parallel::map_chunks(batch, CHUNK, |chunk| {
                let mut text = Vec::with_capacity(chunk.len() * 2048);
                for finding in chunk {
                    // As the pretty formatter begins a value of an array at depth 2.
                    text.extend_from_slice(b",\n    ");
                    serialize_inert(&mut text, finding, 2)?;
                }
                Ok::<_, std::io::Error>(text)
            });
            for part in parts {
                let part = part?;
                // The first value of the array begins with a newline only.
                let skip = usize::from(written == 0 && !part.is_empty());
                w.write_all(&part[skip..])?;
                written += part.len();
            }
        }
        if self.findings.is_empty() {
            w.write_all(b"]")?;
        } else {
            w.write_all(b"\n  ]")?;
        }
        writeln!(w, ",\n  \"default_policy\": {}\n}}", self.default_policy)?;
        w.flush()
    }
}

/// Pretty JSON in which every character that [`is_hidden`] finds (C1 controls, DEL, bidi
/// overrides, zero-width characters; serde_json escapes only C0 controls) is written as a
/// `\uXXXX` escape: the same data for a JSON reader, inert on a terminal.
///
/// Buffered here: serde_json writes every token on its own.
pub fn write_inert_json<T: Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serialize_inert(&mut buffered, value, 0)?;
    std::io::Write::flush(&mut buffered)
}

/// [`write_inert_json`] of a value that sits `depth` levels deep in a document.
fn serialize_inert<W: std::io::Write, T: Serialize + ?Sized>(
    out: W,
    value: &T,
    depth: usize,
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        out,
        InertFormatter {
            depth,
            has_value: false,
        },
    );
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// serde_json's `PrettyFormatter` (two spaces a level), which can start at a depth, and
/// which escapes what [`is_hidden`] finds.
struct InertFormatter {
    depth: usize,
    has_value: bool,
}

impl InertFormatter {
    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(c)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }
}

impl serde_json::ser::Formatter for InertFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // serde_json has escaped C0 controls already; only DEL and non-ASCII remain.
        if fragment.bytes().all(|b| b < 0x7f) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_hidden(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
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
        let lockfile = crate::limits::read_text(
            &workspace_root.join("Cargo.lock"),
            crate::limits::CARGO_LOCK_BYTES,
        )
        .ok();
        Context {
            workspace_root,
            lockfile,
            fail_on,
        }
    }

    /// Where a policy entry is written, from a finding's `file:line`.
    pub fn policy_place<'a>(&self, at: &'a str) -> PolicyPlace<'a> {
        let Some((file, line)) = at.rsplit_once(':') else {
            return PolicyPlace::Other(at);
        };
        let Ok(line) = line.parse::<usize>() else {
            return PolicyPlace::Other(at);
        };
        if line == 0 || file.is_empty() {
            return PolicyPlace::Other(at);
        }
        if let Some(name) = file.strip_prefix("builtin:") {
            return PolicyPlace::Builtin { name, line };
        }
        let path = Path::new(file);
        match path.strip_prefix(&self.workspace_root) {
            Ok(inside) => PolicyPlace::File {
                path: slash_path(inside),
                relative: true,
                line,
            },
            Err(_) => PolicyPlace::File {
                path: slash_path(path),
                relative: path.is_relative(),
                line,
            },
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
    /// No `file:line` (e.g. `[origins]`): shown as it is.
    Other(&'a str),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_json_escapes_what_serde_json_leaves_raw() {
        let text = "a\u{1b}[2J\u{9b}31m\u{7f}\u{202e}\u{feff}\u{1f600}é";
        let mut out = Vec::new();
        write_inert_json(&mut out, &serde_json::json!({ "k": text })).unwrap();
        let json = String::from_utf8(out).unwrap();
        assert!(!json.chars().any(|c| c != '\n' && is_hidden(c)), "{json}");
        assert!(json.contains(r"\u009b31m\u007f\u202e\ufeff"), "{json}");
        // The same data for a JSON reader; printable characters stay as they are.
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["k"], text);
        assert!(json.contains("\u{1f600}é"), "{json}");
    }

    fn finding(i: usize) -> Finding {
        Finding {
            code: Code::MissingFacts,
            severity: Severity::Warn,
            entity: i.is_multiple_of(3).then(|| "acme".to_string()),
            package: Some(PackageRef {
                name: format!("crate-{i}\u{202e}"),
                version: "1.0.0".into(),
                id: format!("registry+https://x#crate-{i}@1.0.0"),
                source: None,
            }),
            kinds: vec!["normal".into()],
            evidence: Vec::new(),
            paths: vec![vec!["app@0.1.0".into(), format!("crate-{i}@1.0.0")]; i % 3],
            exception: None,
            message: format!("message {i}\u{1b}[2J"),
            entity_detail: None,
            path_kinds: vec![vec![None, Some("normal".into())]; i % 3],
        }
    }

    /// Where nothing needs escaping, the output is serde_json's own pretty printing.
    #[test]
    fn inert_json_is_serde_json_pretty() {
        let value = serde_json::json!({
            "a": [], "b": {}, "c": [1, [2, []], {"d": null, "e": [{}]}],
            "f": "text", "g": {"h": {"i": [true, false]}}
        });
        let mut out = Vec::new();
        write_inert_json(&mut out, &value).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    /// The batched, multi-threaded writer gives what serializing the whole report gives.
    #[test]
    fn write_json_is_the_report_serialized() {
        for n in [0, 1, 2, 127, 128, 129, 9000] {
            let report = Report {
                schema: 1,
                tool: Tool {
                    name: "cargo-vendor-audit".into(),
                    version: "0.1.0".into(),
                },
                policies: vec![PolicySource {
                    id: "p".into(),
                    source: "builtin:p".into(),
                    reviewed: None,
                }],
                today: "2026-11-27".into(),
                summary: Summary::default(),
                degraded: vec![Degraded {
                    source: "api".into(),
                    message: "down".into(),
                }],
                findings: (0..n).map(finding).collect(),
                default_policy: n.is_multiple_of(2),
            };
            let mut expected = Vec::new();
            write_inert_json(&mut expected, &report).unwrap();
            expected.push(b'\n');
            let mut got = Vec::new();
            report.write_json(&mut got).unwrap();
            assert!(
                got == expected,
                "{n} findings:\n{}",
                String::from_utf8_lossy(&got)
            );
        }
    }
}
