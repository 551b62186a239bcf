//! `--lockfile FILE`: the graph of a `Cargo.lock`, without running cargo (book: docs/src/inputs.md).
//!
//! Every `[[package]]` entry is a package; the packages with no `source` (the workspace
//! and its path dependencies) are the roots, walked through the recorded `dependencies`.
//! A lock file records neither features nor targets nor dependency kinds, so every edge
//! counts as `normal` and the graph may hold more than a build would; the report says so.

use std::collections::HashMap;
use std::path::Path;

use super::origin_facts::OriginFacts;
use super::{Notes, graph_from_parts, package};
use crate::facts::Degraded;
use crate::graph::{DepKind, Edge, Graph};
use crate::limits;

mod parse;

pub use parse::{Entry, Lockfile, Span};

/// Reads a Cargo.lock, up to [`limits::CARGO_LOCK_BYTES`]: the one read of the file for
/// both the `--lockfile` graph and the report locations ([`Lockfile`]).
pub fn read(path: &Path) -> std::io::Result<String> {
    limits::read_text(path, limits::CARGO_LOCK_BYTES)
}

/// One `dependencies` item: `NAME`, `NAME VERSION` or `NAME VERSION (SOURCE)`.
fn parse_dependency(text: &str) -> (&str, Option<&str>, Option<&str>) {
    let mut parts = text.splitn(3, ' ');
    let name = parts.next().unwrap_or("");
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    (name, version, source)
}

/// Reads `path` into a graph.
pub fn load(path: &Path) -> Result<(Graph, Notes), String> {
    let what = |e: String| format!("could not read the lock file {}: {e}", path.display());
    let text = read(path).map_err(|e| what(e.to_string()))?;
    let lock = Lockfile::from_toml(&text).map_err(|e| {
        what(format!(
            "{}\nexpected a Cargo.lock as cargo writes it (`cargo generate-lockfile` makes one)",
            e.to_string().trim_end()
        ))
    })?;
    if lock.entries.is_empty() {
        return Err(what(
            "it lists no `[[package]]`; expected a Cargo.lock as cargo writes it".to_string(),
        ));
    }
    let cache = OriginFacts::from_env();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in lock.entries.iter().enumerate() {
        by_name.entry(e.name.as_str()).or_default().push(i);
    }
    let mut packages = Vec::with_capacity(lock.entries.len());
    let mut unknown_origin = Vec::with_capacity(lock.entries.len());
    let mut manifest_provenance = Vec::with_capacity(lock.entries.len());
    for e in &lock.entries {
        let version = semver::Version::parse(&e.version).map_err(|err| {
            what(format!(
                "package `{}` has version `{}`, which is not a semver version: {err}",
                e.name, e.version
            ))
        })?;
        let crates_io = e
            .source
            .as_deref()
            .is_some_and(crate::facts::metadata::is_crates_io_source);
        let found = crates_io
            .then(|| cache.lookup(&e.name, &e.version, false))
            .flatten();
        unknown_origin.push(crates_io && found.is_none());
        manifest_provenance.push(found.as_ref().map(|f| f.provenance));
        let id = match &e.source {
            Some(s) => format!("{s}#{}@{}", e.name, e.version),
            None => format!("path+unknown#{}@{}", e.name, e.version),
        };
        let member = e.source.is_none();
        packages.push(package(
            id,
            &e.name,
            version,
            e.source.clone(),
            found,
            member,
        ));
    }
    let mut edges = vec![Vec::new(); packages.len()];
    for (i, e) in lock.entries.iter().enumerate() {
        for dep in &e.dependencies {
            let (name, version, source) = parse_dependency(dep);
            let candidates: Vec<usize> = by_name
                .get(name)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&j| version.is_none_or(|v| lock.entries[j].version == v))
                .filter(|&j| source.is_none_or(|s| lock.entries[j].source.as_deref() == Some(s)))
                .collect();
            match candidates.as_slice() {
                [j] => edges[i].push(Edge {
                    to: *j,
                    kind: DepKind::Normal,
                }),
                [] => {
                    return Err(what(format!(
                        "`{} {}` depends on `{dep}`, which the file does not list",
                        e.name, e.version
                    )));
                }
                _ => {
                    return Err(what(format!(
                        "`{} {}` depends on `{dep}`, which matches several packages",
                        e.name, e.version
                    )));
                }
            }
        }
    }
    let roots: Vec<usize> = (0..packages.len())
        .filter(|&i| packages[i].source.is_none())
        .collect();
    if roots.is_empty() {
        return Err(what(
            "no package without a `source`, so there is no workspace to start from".to_string(),
        ));
    }
    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let graph = graph_from_parts(packages, edges, roots, root);
    let notes = Notes {
        degraded: vec![Degraded {
            source: "lockfile".to_string(),
            message: format!(
                "{} records no features, targets or dependency kinds: every locked dependency counts as a normal one, so the graph may hold packages a build would not",
                path.display()
            ),
        }],
        unknown_origin,
        found_in: Vec::new(),
        manifest_provenance,
    };
    Ok((graph, notes))
}
