//! [`Graph::build`]: roots, edge pruning and the kind walk.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use std::path::PathBuf;
use std::str::FromStr;

use cargo_metadata::cargo_platform::Platform;

use super::{Dependency, Model, Package as MetaPackage, Str};

use super::features::{Built, Entry, PackageEdges, Requested};
use crate::graph::target::{Condition, Target};
use crate::graph::{DepKind, Edge, Graph, GraphError, GraphOptions, Kinds, Package};

pub(super) fn build(metadata: &Model<'_>, opts: &GraphOptions) -> Result<Graph, GraphError> {
    let resolve = metadata.resolve.as_ref().ok_or(GraphError::NoResolve)?;

    let mut index: FastMap<&str, usize> =
        FastMap::with_capacity_and_hasher(metadata.packages.len(), Default::default());
    for (i, p) in metadata.packages.iter().enumerate() {
        if index.insert(&p.id, i).is_some() {
            return Err(GraphError::Inconsistent(format!(
                "package id `{}` appears twice in `packages`",
                p.id
            )));
        }
    }
    let lookup = |id: &str, what: &str| {
        index
            .get(id)
            .copied()
            .ok_or_else(|| GraphError::Inconsistent(format!("{what} `{id}` is not in `packages`")))
    };

    let mut members = Vec::with_capacity(metadata.workspace_members.len());
    for id in &metadata.workspace_members {
        members.push(lookup(id, "workspace member")?);
    }
    let mut is_member = vec![false; metadata.packages.len()];
    for &m in &members {
        is_member[m] = true;
    }

    let roots = super::roots::select(&metadata.packages, &members, opts)?;
    let mut is_root = vec![false; metadata.packages.len()];
    for &r in &roots {
        is_root[r] = true;
    }

    let targets = opts
        .targets
        .iter()
        .map(|t| Target::by_triple(t).map_err(|e| GraphError::UnknownTarget(e.0)))
        .collect::<Result<Vec<_>, _>>()?;
    let host = match &opts.host {
        Some(h) => Some(Target::by_triple(h).map_err(|e| GraphError::UnknownHost(e.0))?),
        None => None,
    };
    // The host matters only under `--target`: without it every edge is kept, and
    // rustc is not asked.
    let host = match host {
        Some(h) => Some(h),
        None if targets.is_empty() => None,
        None => {
            let triple = crate::graph::target::host_triple().map_err(GraphError::NoHost)?;
            Some(Target::by_triple(&triple).map_err(|e| GraphError::UnknownRustcHost(e.0))?)
        }
    };
    let mut platforms = PlatformFilter {
        targets,
        host,
        cache: HashMap::new(),
    };

    let n = metadata.packages.len();
    let mut possible: Vec<PackageEdges<'_>> = (0..n).map(|_| PackageEdges::default()).collect();
    let mut node_features: Vec<Option<&[Str<'_>]>> = vec![None; n];
    for node in &resolve.nodes {
        let from = lookup(&node.id, "resolve node")?;
        node_features[from] = Some(&node.features);
        let parent = &metadata.packages[from];
        let declared = Declarations::new(parent);
        let out = &mut possible[from];
        out.features_matter = parent.dependencies.iter().any(|d| d.optional)
            || parent.features.is_some_and(|raw| raw.get().contains('/'));
        for dep in &node.deps {
            let to = lookup(&dep.pkg, "dependency")?;
            let dep_name: &str = &metadata.packages[to].name;
            // Metadata of cargo before 1.41 has no `dep_kinds`: one plain normal entry.
            let legacy = dep.dep_kinds.is_empty().then_some((DepKind::Normal, None));
            let entries = dep
                .dep_kinds
                .iter()
                .map(|info| (info.kind, info.target.as_deref()))
                .chain(legacy);
            for (kind, target) in entries {
                // cargo builds dev-dependencies only of the packages being tested: the
                // roots (the feature resolver checks that). With `--exclude-dev`, none.
                let kept = !(kind == DepKind::Dev && opts.exclude_dev);
                let platform_ok = match target {
                    _ if !kept => [false; 2],
                    None => [true; 2],
                    Some(platform) => platforms.keeps(platform),
                };
                let start = out.decls.len() as u32;
                let strict = !legacy_entry(dep);
                let keep = !declared.matching(
                    &dep.name,
                    dep_name,
                    Some((kind, target)).filter(|_| strict),
                    &mut out.decls,
                );
                if keep {
                    declared.matching(&dep.name, dep_name, None, &mut out.decls);
                }
                let end = out.decls.len() as u32;
                let e = out.entries.len() as u32;
                if out.features_matter {
                    for i in start..end {
                        let d = &parent.dependencies[out.decls[i as usize] as usize];
                        out.by_name
                            .push((d.rename.as_ref().unwrap_or(&d.name).clone(), e));
                    }
                }
                out.entries.push(Entry {
                    to,
                    kind,
                    platform_ok,
                    decls: (start, end),
                    keep,
                });
            }
        }
        out.by_name.sort_unstable();
        out.by_name.dedup();
    }

    let built = super::features::resolve(
        metadata,
        &possible,
        &Requested {
            roots: &roots,
            node_features: &node_features,
        },
    )?;
    let kinds = walk(&roots, &built);
    // The graph's edges: those of either unit, for paths and `via`.
    let edges: Vec<Vec<Edge>> = built
        .target
        .into_iter()
        .zip(built.host)
        .map(|(mut t, h)| {
            if !h.is_empty() {
                t.extend(h);
                t.sort_by_key(|e| (e.to, e.kind));
                t.dedup();
            }
            t
        })
        .collect();

    let packages = metadata
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| Package {
            id: p.id.to_string(),
            name: p.name.to_string(),
            version: p.version.clone(),
            source: p.source.as_deref().map(str::to_string),
            manifest_path: PathBuf::from(&*p.manifest_path),
            repository: p.repository.as_deref().map(str::to_string),
            homepage: p.homepage.as_deref().map(str::to_string),
            authors: p.authors.iter().map(|a| a.to_string()).collect(),
            license_file: p.license_file.as_deref().map(str::to_string),
            workspace_member: is_member[i],
        })
        .collect();

    Ok(Graph {
        packages,
        roots,
        edges,
        kinds,
        workspace_root: PathBuf::from(&*metadata.workspace_root),
        workspace_metadata: metadata.workspace_metadata.clone(),
    })
}

/// The map on package ids, which come from our own input: a fast,
/// non-keyed hash (FxHash's mixing) instead of SipHash, which showed in profiles of big graphs.
pub(super) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
pub(super) type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

#[derive(Default)]
pub(super) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.write(&[b]);
    }
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// The kinds per package: [`walk_kinds`](crate::input::walk_kinds) over units, a unit being a
/// package built for the target (`2p`) or for the host (`2p + 1`), the roots starting at
/// their target unit. A package's kinds are those of both its units.
fn walk(roots: &[usize], built: &Built) -> Vec<Kinds> {
    let n = built.target.len();
    let units: Vec<usize> = roots.iter().map(|&r| 2 * r).collect();
    let seen = crate::input::walk_kinds(2 * n, &units, |u| {
        let out = if u % 2 == 1 {
            &built.host[u / 2]
        } else {
            &built.target[u / 2]
        };
        out.iter().map(move |e| (built.child(u, e), e.kind))
    });
    (0..n)
        .map(|p| {
            let (t, h) = (seen[2 * p], seen[2 * p + 1]);
            t.iter().chain(h.iter()).collect()
        })
        .collect()
}

/// Caches, per distinct target expression, whether its edges are kept.
struct PlatformFilter<'m> {
    /// `--target`; empty means every target.
    targets: Vec<Target>,
    /// The host, under `--target`.
    host: Option<Target>,
    /// Per expression, `[kept for the targets, kept for the host]`.
    cache: HashMap<&'m str, [bool; 2]>,
}

impl<'m> PlatformFilter<'m> {
    /// Whether an edge under `platform` is kept when evaluated for the targets and
    /// for the host (indexed as units are, see [`Entry::platform_ok`]). Kept when it
    /// can be true on some target and, with `--target`, applies to one of the given
    /// triples (for the host: to the host triple). A target that cargo's own parser
    /// rejects is kept: it cannot come from cargo, and auditing too much beats
    /// missing a crate.
    fn keeps(&mut self, platform: &'m str) -> [bool; 2] {
        if let Some(&keep) = self.cache.get(platform) {
            return keep;
        }
        // cargo's parser and the evaluation recurse on the nesting: keep a deeper
        // expression unevaluated (cargo itself never writes one).
        let parsed = if crate::graph::target::too_deep(platform) {
            None
        } else {
            Platform::from_str(platform).ok()
        };
        let keep = match parsed {
            Some(parsed) => {
                let condition = Condition::from_platform(&parsed);
                if !condition.is_possible() {
                    [false; 2]
                } else if self.targets.is_empty() {
                    [true; 2]
                } else {
                    let for_targets = self.targets.iter().any(|t| condition.matches(t));
                    let for_host = self.host.as_ref().is_none_or(|h| condition.matches(h));
                    [for_targets, for_host]
                }
            }
            None => [true; 2],
        };
        self.cache.insert(platform, keep);
        keep
    }
}

/// Up to this many declarations are scanned rather than sorted and searched.
const SCAN_DECLARATIONS: usize = 16;

/// A parent's declared dependencies, indexed by package name: a root with very many
/// dependencies costs O(d log d), not O(d^2).
struct Declarations<'m> {
    parent: &'m MetaPackage<'m>,
    /// Indices into `parent.dependencies`, sorted by package name.
    by_package: Vec<u32>,
}

impl<'m> Declarations<'m> {
    fn new(parent: &'m MetaPackage<'m>) -> Declarations<'m> {
        let mut by_package: Vec<u32> = (0..parent.dependencies.len() as u32).collect();
        // A short list is scanned (most packages declare a few dependencies).
        if by_package.len() > SCAN_DECLARATIONS {
            by_package.sort_by(|&a, &b| {
                let deps = &parent.dependencies;
                deps[a as usize].name.cmp(&deps[b as usize].name)
            });
        }
        Declarations { parent, by_package }
    }

    /// Pushes onto `out` the declarations that one `dep_kinds` entry of a resolved
    /// dependency (extern name `extern_name`, package `package_name`) comes from: same
    /// package, kind and target. Prefers declarations whose extern name is the
    /// resolve's; a dependency without `rename` whose library has another name than the
    /// package does not match by name, so falls back to the unrenamed declarations,
    /// then to all of them. `None` for `kind_target` matches any kind and target.
    /// Returns false, pushing nothing, when the package is not declared so.
    fn matching(
        &self,
        extern_name: &str,
        package_name: &str,
        kind_target: Option<(DepKind, Option<&str>)>,
        out: &mut Vec<u32>,
    ) -> bool {
        let deps = &self.parent.dependencies;
        let named = if self.by_package.len() > SCAN_DECLARATIONS {
            let start = self
                .by_package
                .partition_point(|&i| *deps[i as usize].name < *package_name);
            let len = self.by_package[start..]
                .iter()
                .take_while(|&&i| *deps[i as usize].name == *package_name)
                .count();
            &self.by_package[start..start + len]
        } else {
            &self.by_package[..]
        };
        let same = named
            .iter()
            .filter(|&&i| *deps[i as usize].name == *package_name)
            .filter(|&&i| {
                let d = &deps[i as usize];
                kind_target
                    .is_none_or(|(kind, target)| d.kind == kind && d.target.as_deref() == target)
            });
        let tiers: [&dyn Fn(&Dependency<'_>) -> bool; 3] = [
            &|d| extern_name_eq(d.rename.as_deref().unwrap_or(&d.name), extern_name),
            &|d| d.rename.is_none(),
            &|_| true,
        ];
        for tier in tiers {
            let before = out.len();
            out.extend(same.clone().copied().filter(|&i| tier(&deps[i as usize])));
            if out.len() > before {
                return true;
            }
        }
        false
    }
}

/// Metadata of cargo before 1.41: no `dep_kinds`, so the kind and target of the
/// declaration are unknown and any declaration of the package matches.
fn legacy_entry(dep: &crate::input::metadata::NodeDep<'_>) -> bool {
    dep.dep_kinds.is_empty()
}

/// `toml_name` as an extern crate name (`-` becomes `_`) equals `extern_name`.
fn extern_name_eq(toml_name: &str, extern_name: &str) -> bool {
    toml_name.len() == extern_name.len()
        && toml_name
            .bytes()
            .zip(extern_name.bytes())
            .all(|(a, b)| a == b || (a == b'-' && b == b'_'))
}
