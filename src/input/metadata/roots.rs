//! Selecting the roots of the walk: `-p`, `--workspace`, `--exclude`.

use super::Package;
use crate::graph::{GraphError, GraphOptions};

/// The roots, as sorted package indices.
///
/// - `--workspace`: every member, minus `--exclude` (`-p` is then ignored, as cargo does).
/// - `-p SPEC...`: the members each spec names, minus `--exclude`. A spec is a full
///   package id, `name`, `name@version` (the version may be partial: `name@1.2`), or a
///   glob over names (`serde*`). A spec matching no member is `UnknownPackage`; a
///   `name` or `name@version` matching several members is `AmbiguousPackage`.
/// - neither: every member (the book's command-line chapter: "default: every workspace member"), minus
///   `--exclude`. Not `workspace_default_members`: an audit must see what any member
///   pulls in, not only what a bare `cargo build` builds.
///
/// An `--exclude` spec that matches no member is ignored (cargo only warns), and
/// excluding by name excludes every member of that name.
pub(super) fn select(
    packages: &[Package<'_>],
    members: &[usize],
    opts: &GraphOptions,
) -> Result<Vec<usize>, GraphError> {
    let mut roots: Vec<usize> = if opts.workspace || opts.packages.is_empty() {
        members.to_vec()
    } else {
        let mut r = Vec::new();
        for spec in &opts.packages {
            let found = matching(packages, members, spec);
            if found.is_empty() {
                return Err(GraphError::UnknownPackage(spec.clone()));
            }
            if found.len() > 1 && !is_glob(spec) && !is_id(packages, members, spec) {
                let candidates = found
                    .iter()
                    .map(|&i| format!("`{}` ({})", spec_of(&packages[i]), packages[i].id))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(GraphError::AmbiguousPackage {
                    spec: spec.clone(),
                    candidates,
                });
            }
            r.extend(found);
        }
        r
    };
    for spec in &opts.exclude {
        let excluded = matching(packages, members, spec);
        roots.retain(|r| !excluded.contains(r));
    }
    roots.sort_unstable();
    roots.dedup();
    Ok(roots)
}

fn spec_of(p: &Package<'_>) -> String {
    format!("{}@{}", p.name, p.version)
}

fn is_glob(spec: &str) -> bool {
    spec.contains(['*', '?', '['])
}

fn is_id(packages: &[Package<'_>], members: &[usize], spec: &str) -> bool {
    members.iter().any(|&m| *packages[m].id == *spec)
}

/// The members a spec names.
fn matching(packages: &[Package<'_>], members: &[usize], spec: &str) -> Vec<usize> {
    let by_id: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&m| *packages[m].id == *spec)
        .collect();
    if !by_id.is_empty() {
        return by_id;
    }
    if is_glob(spec) {
        let Ok(glob) = globset::Glob::new(spec) else {
            return Vec::new();
        };
        let glob = glob.compile_matcher();
        return members
            .iter()
            .copied()
            .filter(|&m| glob.is_match(&*packages[m].name))
            .collect();
    }
    let (name, version) = match spec.split_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (spec, None),
    };
    members
        .iter()
        .copied()
        .filter(|&m| {
            let p = &packages[m];
            *p.name == *name && version.is_none_or(|v| version_matches(&p.version, v))
        })
        .collect()
}

/// `1`, `1.2`, `1.2.3` and `1.2.3-pre` match as a cargo package id spec does: every
/// component given must be equal.
fn version_matches(version: &semver::Version, spec: &str) -> bool {
    if let Ok(full) = semver::Version::parse(spec) {
        return *version == full;
    }
    let mut parts = spec.split('.');
    let wanted = [version.major, version.minor, version.patch];
    let mut given = 0;
    for (i, part) in parts.by_ref().enumerate() {
        if i >= 3 || part.parse::<u64>().ok() != Some(wanted[i]) {
            return false;
        }
        given += 1;
    }
    given > 0
}

#[cfg(test)]
mod tests {
    use super::version_matches;

    #[test]
    fn partial_versions() {
        let v = semver::Version::parse("1.2.3").unwrap();
        assert!(version_matches(&v, "1"));
        assert!(version_matches(&v, "1.2"));
        assert!(version_matches(&v, "1.2.3"));
        assert!(!version_matches(&v, "1.3"));
        assert!(!version_matches(&v, "1.2.3.4"));
        assert!(!version_matches(&v, ""));
        assert!(!version_matches(&v, "1.2.3-pre"));
    }
}
