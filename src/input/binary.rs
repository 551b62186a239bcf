//! `--binary FILE`: the graph of what compiled artifacts contain, from the dependency list
//! that `cargo auditable` embeds (ELF, PE, Mach-O, WebAssembly; book: docs/src/inputs.md).
//!
//! The list is what was built, so no feature or target pruning applies. Each package's
//! kind is the list's (`runtime` = normal, `build`). Several files make one graph: a
//! package in several files is one package, found in each. The list names a source only
//! as `crates.io`, `git`, `local` or `registry`: git and other-registry packages get the
//! source `git+unknown` / `registry+unknown`, so `[origins]` flags them rather than
//! passing them, and the report says that their URLs are unknown.

use std::collections::HashMap;
use std::path::Path;

use auditable_serde::{DependencyKind, Source, VersionInfo};

use super::origin_facts::OriginFacts;
use super::{Notes, graph_from_parts, package};
use crate::facts::Degraded;
use crate::facts::metadata::CRATES_IO_GIT_INDEX;
use crate::graph::{DepKind, Edge, Graph, Package};

/// The largest file read, and the largest dependency list once decompressed.
const FILE_BYTES: usize = 1 << 30;
const LIST_BYTES: usize = 16 << 20;

/// How to make a binary that carries the list, for the error messages.
const HOW_TO_BUILD: &str =
    "build it with `cargo install cargo-auditable && cargo auditable build --release`";

/// The `source` of a package whose git repository or registry the list does not name.
pub const UNKNOWN_GIT: &str = "git+unknown";
/// The `source` of a package from a registry other than crates.io, which the list does not name.
pub const UNKNOWN_REGISTRY: &str = "registry+unknown";

/// The `source` string a package of the list gets.
fn source_string(source: &Source) -> Option<String> {
    match source {
        Source::CratesIo => Some(CRATES_IO_GIT_INDEX.to_string()),
        Source::Git => Some(UNKNOWN_GIT.to_string()),
        Source::Local => None,
        // `registry`, or a kind this reader does not know (`sparse`): a registry whose
        // URL is unknown, so `[origins]` looks at it.
        _ => Some(UNKNOWN_REGISTRY.to_string()),
    }
}

/// Reads one file's list, or says why not.
fn read(path: &Path) -> Result<VersionInfo, String> {
    let limits = auditable_info::Limits {
        input_file_size: FILE_BYTES,
        decompressed_json_size: LIST_BYTES,
    };
    let shown = path.display();
    // The one opener of user-named files: a folder, a device or a pipe (which could feed
    // the reader without end) is refused before it is read, and the size is bounded.
    let (file, _) = crate::limits::open_regular(path, FILE_BYTES as u64).map_err(|e| {
        format!("could not read {shown}: {e}; give the compiled file, e.g. target/release/APP")
    })?;
    let mut reader = std::io::BufReader::new(file);
    auditable_info::audit_info_from_reader(&mut reader, limits).map_err(|e| match e {
        auditable_info::Error::NoAuditData => format!(
            "{shown} carries no dependency list (it was not built with `cargo auditable`): {HOW_TO_BUILD}"
        ),
        auditable_info::Error::Io(e) => format!("could not read {shown}: {e}"),
        auditable_info::Error::InputLimitExceeded => format!(
            "{shown} is larger than the limit of {} MiB",
            FILE_BYTES >> 20
        ),
        auditable_info::Error::OutputLimitExceeded => format!(
            "the dependency list in {shown} is larger than the limit of {} MiB once decompressed",
            LIST_BYTES >> 20
        ),
        auditable_info::Error::BinaryParsing(e) => format!(
            "{shown} is not an executable this tool can read (ELF, PE, Mach-O or WebAssembly), or it is damaged: {e}. Give a compiled file that carries its dependency list; {HOW_TO_BUILD}"
        ),
        other => format!(
            "the dependency list in {shown} is damaged ({other}); rebuild it: {HOW_TO_BUILD}"
        ),
    })
}

/// What the list's reader leaves to its user: one root, and dependency indexes in range
/// (the reader checks only that there is no cycle and at most one root).
fn check(info: &VersionInfo) -> Result<(), String> {
    if !info.packages.iter().any(|p| p.root) {
        return Err("no package is marked as the root".to_string());
    }
    let n = info.packages.len();
    for p in &info.packages {
        if let Some(d) = p.dependencies.iter().find(|&&d| d >= n) {
            return Err(format!(
                "`{} {}` depends on package #{d}, but the list has {n}",
                p.name, p.version
            ));
        }
    }
    Ok(())
}

/// Reads `paths` into one graph.
pub fn load(paths: &[std::path::PathBuf]) -> Result<(Graph, Notes), String> {
    let cache = OriginFacts::from_env();
    let mut packages: Vec<Package> = Vec::new();
    let mut found_in: Vec<Vec<String>> = Vec::new();
    let mut unknown_origin: Vec<bool> = Vec::new();
    let mut manifest_provenance = Vec::new();
    let mut edges: Vec<Vec<Edge>> = Vec::new();
    let mut roots = Vec::new();
    let mut index: HashMap<(String, String, Option<String>), usize> = HashMap::new();
    let mut unknown_urls = 0usize;
    for path in paths {
        let info = read(path)?;
        let file = path.display().to_string();
        check(&info).map_err(|why| {
            format!("the dependency list in {file} is damaged ({why}); rebuild it: {HOW_TO_BUILD}")
        })?;
        let mut here = Vec::with_capacity(info.packages.len());
        for p in &info.packages {
            let source = source_string(&p.source);
            let key = (p.name.clone(), p.version.to_string(), source.clone());
            let i = *index.entry(key).or_insert_with(|| {
                let found = match p.source {
                    Source::CratesIo => cache.lookup(&p.name, &p.version.to_string(), false),
                    Source::Registry | Source::Other(_) => {
                        cache.lookup(&p.name, &p.version.to_string(), true)
                    }
                    _ => None,
                };
                unknown_origin.push(found.is_none() && !p.root);
                manifest_provenance.push(found.as_ref().map(|f| f.provenance));
                if !matches!(p.source, Source::CratesIo | Source::Local) {
                    unknown_urls += 1;
                }
                let id = format!(
                    "{}#{}@{}",
                    source.as_deref().unwrap_or("path+unknown"),
                    p.name,
                    p.version
                );
                packages.push(package(
                    id,
                    &p.name,
                    p.version.clone(),
                    source.clone(),
                    found,
                    p.root,
                ));
                found_in.push(Vec::new());
                edges.push(Vec::new());
                packages.len() - 1
            });
            if found_in[i].last() != Some(&file) {
                found_in[i].push(file.clone());
            }
            if p.root && !roots.contains(&i) {
                roots.push(i);
            }
            here.push(i);
        }
        for (k, p) in info.packages.iter().enumerate() {
            for &d in &p.dependencies {
                let dep = &info.packages[d];
                let kind = match dep.kind {
                    DependencyKind::Build => DepKind::Build,
                    _ => DepKind::Normal,
                };
                edges[here[k]].push(Edge { to: here[d], kind });
            }
        }
    }
    let mut degraded = vec![Degraded {
        source: "binary".to_string(),
        message: "a compiled file's dependency list names no repository, homepage or authors: they come from the local cargo registry cache where it has the crate".to_string(),
    }];
    if unknown_urls > 0 {
        degraded.push(Degraded {
            source: "binary".to_string(),
            message: format!(
                "{unknown_urls} package(s) come from git or a registry other than crates.io, whose URL the dependency list does not record"
            ),
        });
    }
    let root = std::env::current_dir().unwrap_or_default();
    let graph = graph_from_parts(packages, edges, roots, root);
    Ok((
        graph,
        Notes {
            degraded,
            unknown_origin,
            found_in,
            manifest_provenance,
        },
    ))
}
