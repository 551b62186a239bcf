//! [`Graph::build`]: roots, edge pruning and the kind walk.

use std::cell::OnceCell;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use std::path::PathBuf;
use std::str::FromStr;

use cargo_metadata::cargo_platform::Platform;

use crate::metadata::{Dependency, Model, Node, NodeDep, Package as MetaPackage, Str};

use super::{DepKind, Edge, Graph, GraphError, GraphOptions, Kinds, Package};
use crate::target::{Condition, Target};

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
    let mut platforms = PlatformFilter {
        targets,
        cache: HashMap::new(),
    };

    let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); metadata.packages.len()];
    for node in &resolve.nodes {
        let from = lookup(&node.id, "resolve node")?;
        let parent = &metadata.packages[from];
        let declared = Declarations::new(parent, node);
        let out = &mut edges[from];
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
                // roots. Other members' dev edges (and, with `--exclude-dev`, all of
                // them) are not walked.
                if kind == DepKind::Dev && (opts.exclude_dev || !is_root[from]) {
                    continue;
                }
                if !declared.is_active(dep, dep_name, kind, target)? {
                    continue;
                }
                if let Some(platform) = target
                    && !platforms.keeps(platform)
                {
                    continue;
                }
                out.push(Edge { to, kind });
            }
        }
        out.sort_by_key(|e| (e.to, e.kind));
        out.dedup();
    }

    let kinds = walk(&roots, &edges);

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
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[derive(Default)]
struct FastHasher(u64);

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

/// Breadth-first walk over (package, path kind) states; each state is visited once,
/// so this is O(3 * (packages + edges)). Roots are reached by the empty path, which
/// counts as `normal`.
fn walk(roots: &[usize], edges: &[Vec<Edge>]) -> Vec<Kinds> {
    let mut kinds = vec![Kinds::NONE; edges.len()];
    let mut queue = VecDeque::new();
    for &r in roots {
        if !kinds[r].contains(DepKind::Normal) {
            kinds[r].insert(DepKind::Normal);
            queue.push_back((r, DepKind::Normal));
        }
    }
    while let Some((p, k)) = queue.pop_front() {
        for e in &edges[p] {
            let nk = k.max(e.kind);
            if !kinds[e.to].contains(nk) {
                kinds[e.to].insert(nk);
                queue.push_back((e.to, nk));
            }
        }
    }
    kinds
}

/// Caches, per distinct target expression, whether its edges are kept.
struct PlatformFilter<'m> {
    targets: Vec<Target>,
    cache: HashMap<&'m str, bool>,
}

impl<'m> PlatformFilter<'m> {
    /// Kept when it can be true on some target and, with `--target`, applies to one
    /// of the given triples. A target that cargo's own parser rejects is kept: it
    /// cannot come from cargo, and auditing too much beats missing a crate.
    fn keeps(&mut self, platform: &'m str) -> bool {
        if let Some(&keep) = self.cache.get(platform) {
            return keep;
        }
        let keep = match Platform::from_str(platform) {
            Ok(parsed) => {
                let condition = Condition::from_platform(&parsed);
                condition.is_possible()
                    && (self.targets.is_empty()
                        || self.targets.iter().any(|t| condition.matches(t)))
            }
            Err(_) => true,
        };
        self.cache.insert(platform, keep);
        keep
    }
}

/// A parent's declared dependencies and the optional ones its enabled features switch on.
struct Declarations<'m> {
    parent: &'m MetaPackage<'m>,
    node: &'m Node<'m>,
    /// Names (rename or package name, as in `[dependencies]`) of optional dependencies
    /// switched on: implicit features that are enabled, `dep:NAME` and strong
    /// `NAME/feat` in the definition of an enabled feature. Worked out the first time
    /// an optional declaration is met: most packages have none.
    activated: OnceCell<Vec<Str<'m>>>,
}

impl<'m> Declarations<'m> {
    fn new(parent: &'m MetaPackage<'m>, node: &'m Node<'m>) -> Declarations<'m> {
        Declarations {
            parent,
            node,
            activated: OnceCell::new(),
        }
    }

    fn activated(&self) -> Result<&[Str<'m>], GraphError> {
        if let Some(activated) = self.activated.get() {
            return Ok(activated);
        }
        let features = self.parent.features().map_err(|e| {
            GraphError::Inconsistent(format!(
                "the `features` of package `{}` are not a map of lists of strings: {}",
                self.parent.id,
                // The position would be within the features, not the file.
                crate::metadata::strip_position(&e)
            ))
        })?;
        let mut activated = Vec::new();
        for feature in &self.node.features {
            match features.get(feature) {
                // Not defined in `[features]`: the implicit feature of an optional
                // dependency of that name.
                None => activated.push(feature.clone()),
                Some(items) => {
                    for item in items {
                        if let Some(name) = item.strip_prefix("dep:") {
                            activated.push(item.slice(4..4 + name.len()));
                        } else if let Some((name, _)) = item.split_once('/')
                            && !name.ends_with('?')
                        {
                            activated.push(item.slice(0..name.len()));
                        }
                    }
                }
            }
        }
        Ok(self.activated.get_or_init(|| activated))
    }

    /// Whether one `dep_kinds` entry of `dep` is built: some matching declaration
    /// (same package, extern name, kind and target) is not optional or is switched on.
    fn is_active(
        &self,
        dep: &NodeDep<'_>,
        package_name: &str,
        kind: DepKind,
        target: Option<&str>,
    ) -> Result<bool, GraphError> {
        let decls = || {
            self.parent
                .dependencies
                .iter()
                .filter(move |d| *d.name == *package_name)
        };
        if decls().next().is_none() {
            // No declaration at all: metadata we do not understand. Keep the edge,
            // auditing too much beats missing a crate.
            return Ok(true);
        }
        let same_kind_target =
            |d: &&Dependency<'_>| d.kind == kind && d.target.as_deref() == target;
        // Prefer declarations whose extern name is the resolve's; a dependency without
        // `rename` whose library has another name than the package does not match
        // by name, so fall back to the unrenamed declarations, then to all of them.
        let tiers: [&dyn Fn(&&Dependency<'_>) -> bool; 3] = [
            &|d| extern_name_eq(d.rename.as_deref().unwrap_or(&d.name), &dep.name),
            &|d| d.rename.is_none(),
            &|_| true,
        ];
        for tier in tiers {
            let mut candidates = decls().filter(same_kind_target).filter(tier).peekable();
            if candidates.peek().is_some() {
                for d in candidates {
                    if !d.optional {
                        return Ok(true);
                    }
                    let name: &str = d.rename.as_deref().unwrap_or(&d.name);
                    if self.activated()?.iter().any(|a| **a == *name) {
                        return Ok(true);
                    }
                }
                return Ok(false);
            }
        }
        // Declared, but never with this kind and target: metadata we do not
        // understand; keep the edge.
        Ok(true)
    }
}

/// `toml_name` as an extern crate name (`-` becomes `_`) equals `extern_name`.
fn extern_name_eq(toml_name: &str, extern_name: &str) -> bool {
    toml_name.len() == extern_name.len()
        && toml_name
            .bytes()
            .zip(extern_name.bytes())
            .all(|(a, b)| a == b || (a == b'-' && b == b'_'))
}
