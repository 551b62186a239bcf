//! The graph's inputs (book: docs/src/inputs.md): `cargo metadata`, a `Cargo.lock`, or the
//! dependency lists that `cargo auditable` embeds in binaries. Each gives one [`Graph`];
//! what an input cannot tell (features, targets, repository URLs) it says in its
//! [`Notes`], and the audit turns those into `degraded` entries and `missing-facts`
//! findings rather than letting a matcher silently not fire.

use std::path::PathBuf;

use crate::facts::{Degraded, PackageFacts, Provenance};
use crate::graph::{DepKind, Edge, Graph, GraphOptions, Kinds};
use metadata::MetadataSource;

pub mod binary;
pub mod lockfile;
pub mod metadata;
pub mod origin_facts;

/// Where the graph comes from: exactly one kind per run.
#[derive(Clone, Debug)]
pub enum Input {
    /// `cargo metadata` output: run by this tool, or read from `--metadata-path`.
    Metadata(MetadataSource),
    /// `--lockfile FILE`: a Cargo.lock read on its own, without cargo.
    Lockfile(PathBuf),
    /// `--binary FILE`...: the dependency lists that cargo-auditable embeds in binaries.
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

/// Why an input gave no graph.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The metadata could not be had or read (cargo failed, the JSON is malformed).
    #[error(transparent)]
    Metadata(#[from] metadata::MetadataError),
    /// The metadata was read but gives no graph (a `-p` spec that names no package).
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    /// `--lockfile` or `--binary`: the message names the file and what is wrong with it.
    #[error("{0}")]
    File(String),
}

/// Loads the graph of one input.
pub fn load(input: &Input, opts: &GraphOptions) -> Result<(Graph, Notes), InputError> {
    match input {
        Input::Metadata(source) => {
            let metadata = metadata::load(source)?;
            let graph = Graph::build(&metadata, opts)?;
            Ok((graph, Notes::default()))
        }
        Input::Lockfile(path) => lockfile::load(path).map_err(InputError::File),
        Input::Binaries(paths) => binary::load(paths).map_err(InputError::File),
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
    // Dev edges are taken out of root packages in every state, not only from a root's first
    // (normal) state: either way the child gets `dev`, the strongest kind, so the kinds
    // reached are the same.
    let is_root = {
        let mut is_root = vec![false; packages.len()];
        for &r in &roots {
            is_root[r] = true;
        }
        is_root
    };
    let kinds = walk_kinds(packages.len(), &roots, |at| {
        let root = is_root[at];
        edges[at]
            .iter()
            .filter(move |e| e.kind != DepKind::Dev || root)
            .map(|e| (e.to, e.kind))
    });
    Graph {
        packages,
        roots,
        edges,
        kinds,
        workspace_root,
        workspace_metadata: serde_json::Value::Null,
    }
}

/// Breadth-first walk over (unit, path kind) states from the `starts`, which are reached by
/// the empty path (`normal`): `step(unit)` gives the edges out of a unit as (unit, edge kind),
/// and a path's kind is the strongest edge kind on it. Each state is visited once, so this is
/// O(3 * (units + edges)). Gives, per unit, the kinds of the paths that reach it.
pub(crate) fn walk_kinds<I>(units: usize, starts: &[usize], step: impl Fn(usize) -> I) -> Vec<Kinds>
where
    I: IntoIterator<Item = (usize, DepKind)>,
{
    let mut seen = vec![Kinds::NONE; units];
    let mut queue = std::collections::VecDeque::new();
    for &s in starts {
        if !seen[s].contains(DepKind::Normal) {
            seen[s].insert(DepKind::Normal);
            queue.push_back((s, DepKind::Normal));
        }
    }
    while let Some((at, kind)) = queue.pop_front() {
        for (to, edge) in step(at) {
            let next = kind.max(edge);
            if !seen[to].contains(next) {
                seen[to].insert(next);
                queue.push_back((to, next));
            }
        }
    }
    seen
}
