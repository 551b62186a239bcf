//! The graph's inputs (book: docs/src/inputs.md): `cargo metadata`, a `Cargo.lock`, or the
//! dependency lists that `cargo auditable` embeds in binaries. Each gives one [`Graph`];
//! what an input cannot tell (features, targets, repository URLs) it says in its
//! [`Notes`], and the audit turns those into `degraded` entries and `missing-facts`
//! findings rather than letting a matcher silently not fire.

use std::path::PathBuf;

use crate::facts::{Degraded, PackageFacts, Provenance};
use crate::graph::{DepKind, Edge, Graph, GraphOptions, Kinds};
use crate::matcher;
use crate::policy::{Level, MatcherKind, Policy};
use crate::report::{Code, Finding, PackageRef, Report, Severity};
use metadata::MetadataSource;

pub mod binary;
pub mod lockfile;
pub mod metadata;
pub mod origin_facts;

/// Where the graph comes from: exactly one kind per run.
#[derive(Clone, Debug)]
pub enum Input {
    Metadata(MetadataSource),
    Lockfile(PathBuf),
    Binaries(Vec<PathBuf>),
}

/// What an input could not supply, per package and for the whole run.
#[derive(Clone, Debug, Default)]
pub struct Notes {
    /// Said in the report's `degraded` list.
    pub degraded: Vec<Degraded>,
    /// Per package: its `repository`/`homepage` are unknown (no manifest was read and no
    /// other source had them). Empty when the input read every manifest.
    pub unknown_origin: Vec<bool>,
    /// Per package: the files it was found in (`--binary`), named in each finding.
    pub found_in: Vec<Vec<String>>,
    /// Per package: where its manifest facts came from, when not from `cargo metadata`.
    pub manifest_provenance: Vec<Option<Provenance>>,
}

impl Notes {
    /// Gives the manifest facts that an input took from elsewhere their provenance.
    pub fn apply(&self, facts: &mut [PackageFacts]) {
        for (f, provenance) in facts.iter_mut().zip(&self.manifest_provenance) {
            if let Some(provenance) = provenance {
                for u in &mut f.urls {
                    if u.provenance == Provenance::CargoMetadata {
                        u.provenance = *provenance;
                    }
                }
            }
        }
    }
}

/// A package's manifest facts from an [`origin_facts::OriginFacts`] answer (or none).
pub(crate) fn package(
    id: String,
    name: &str,
    version: semver::Version,
    source: Option<String>,
    found: Option<origin_facts::ManifestFacts>,
    workspace_member: bool,
) -> crate::graph::Package {
    let (repository, homepage, authors, license_file, manifest_path) = match found {
        Some(m) => (
            m.repository,
            m.homepage,
            m.authors,
            m.license_file,
            m.manifest_path,
        ),
        None => (None, None, Vec::new(), None, PathBuf::new()),
    };
    crate::graph::Package {
        id,
        name: name.to_string(),
        version,
        source,
        manifest_path,
        repository,
        homepage,
        authors,
        license_file,
        workspace_member,
    }
}

/// Loads the graph of one input.
pub fn load(input: &Input, opts: &GraphOptions) -> Result<(Graph, Notes), String> {
    match input {
        Input::Metadata(source) => {
            let metadata = metadata::load(source).map_err(|e| e.to_string())?;
            let graph = Graph::build(&metadata, opts).map_err(|e| e.to_string())?;
            Ok((graph, Notes::default()))
        }
        Input::Lockfile(path) => lockfile::load(path),
        Input::Binaries(paths) => binary::load(paths),
    }
}

/// A graph from its parts: the kinds of each package are those of the walks from the
/// roots (book: docs/src/inputs.md, "The graph"), dev edges taken only out of roots.
pub(crate) fn graph_from_parts(
    packages: Vec<crate::graph::Package>,
    mut edges: Vec<Vec<Edge>>,
    roots: Vec<usize>,
    workspace_root: PathBuf,
) -> Graph {
    for list in &mut edges {
        list.sort_by_key(|e| (e.to, e.kind));
        list.dedup();
    }
    let mut kinds = vec![Kinds::NONE; packages.len()];
    let mut queue = std::collections::VecDeque::new();
    for &r in &roots {
        if !kinds[r].contains(DepKind::Normal) {
            kinds[r].insert(DepKind::Normal);
            queue.push_back((r, DepKind::Normal, true));
        }
    }
    while let Some((at, kind, is_root)) = queue.pop_front() {
        for e in &edges[at] {
            if e.kind == DepKind::Dev && !is_root {
                continue;
            }
            let next = kind.max(e.kind);
            if !kinds[e.to].contains(next) {
                kinds[e.to].insert(next);
                queue.push_back((e.to, next, false));
            }
        }
    }
    Graph {
        packages,
        roots,
        edges,
        kinds,
        workspace_root,
        workspace_metadata: serde_json::Value::Null,
    }
}

/// Matchers that read a package's repository or homepage.
const URL_MATCHERS: [MatcherKind; 3] = [
    MatcherKind::Orgs,
    MatcherKind::Hosts,
    MatcherKind::Repositories,
];

/// Applies an input's notes to a finished report: its `degraded` entries, a
/// `missing-facts` finding for each audited crates.io package whose repository and
/// homepage are unknown while a policy matcher reads them, and the binary each finding's
/// package was found in.
pub fn annotate(
    notes: &Notes,
    graph: &Graph,
    policy: &Policy,
    include_workspace: bool,
    report: &mut Report,
) {
    report.degraded.extend(notes.degraded.iter().cloned());
    let severity = match policy.settings.missing_facts {
        Level::Deny => Some(Severity::Deny),
        Level::Warn => Some(Severity::Warn),
        Level::Allow => None,
    };
    let readers: Vec<&str> = policy
        .entities
        .iter()
        .filter(|e| e.matchers.iter().any(|m| URL_MATCHERS.contains(&m.kind)))
        .map(|e| e.id.as_str())
        .collect();
    if let (Some(severity), false) = (severity, readers.is_empty()) {
        let in_scope = policy.settings.dependency_kinds;
        let finder = graph.path_finder();
        let mut added = Vec::new();
        for i in graph.reached() {
            let pkg = &graph.packages[i];
            let unknown = notes.unknown_origin.get(i).copied().unwrap_or(false);
            if !unknown
                || (pkg.workspace_member && !include_workspace)
                || graph.kinds[i].intersect(in_scope).is_empty()
            {
                continue;
            }
            let sentence = format!(
                "the repository and homepage of {} {} are unknown (the input does not record them and the local cargo registry cache does not have the crate), so the orgs, hosts and repositories matchers of {} could not be evaluated",
                pkg.name,
                pkg.version,
                readers.join(", ")
            );
            // One missing-facts finding per package: join the one about publisher facts.
            if let Some(f) = report.findings.iter_mut().find(|f| {
                f.code == Code::MissingFacts && f.package.as_ref().is_some_and(|p| p.id == pkg.id)
            }) {
                f.message = format!("{}; {sentence}", f.message);
                f.severity = f.severity.min(severity);
                continue;
            }
            let kinds = graph.kinds[i].intersect(in_scope);
            let paths = finder
                .paths(i, kinds, 5)
                .iter()
                .map(|p| p.iter().map(|s| graph.packages[s.package].spec()).collect())
                .collect();
            added.push(Finding {
                code: Code::MissingFacts,
                severity,
                entity: None,
                package: Some(PackageRef {
                    name: pkg.name.clone(),
                    version: pkg.version.to_string(),
                    id: pkg.id.clone(),
                    source: pkg.source.clone(),
                }),
                kinds: kinds.iter().map(|k| k.as_str().to_string()).collect(),
                evidence: Vec::new(),
                paths,
                exception: None,
                message: sentence,
                entity_detail: None,
                path_kinds: Vec::new(),
            });
        }
        report.findings.extend(added);
        matcher::sort(&mut report.findings);
    }
    if !notes.found_in.is_empty() {
        for f in &mut report.findings {
            let Some(p) = &f.package else { continue };
            let Some(i) = graph.packages.iter().position(|q| q.id == p.id) else {
                continue;
            };
            if let Some(files) = notes.found_in.get(i).filter(|f| !f.is_empty()) {
                f.message = format!("{} (in {})", f.message, files.join(", "));
            }
        }
    }
    report.count();
}
