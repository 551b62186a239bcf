//! Which `resolve` edges cargo builds: features worked out again over what is built.
//!
//! `resolve.nodes[].features` come from cargo's dependency resolver, which also counts
//! the features that packages it never builds ask for (a package pulled in only by a
//! weak `dep?/feat`, or reached only through such a package). The feature resolver, which
//! decides what is built, starts from the roots' requested features and follows built
//! edges only. This module does the same, as cargo's resolver 2 does:
//!
//! - The roots' features are those `resolve` lists for them: what `cargo metadata` was
//!   asked for (so metadata made with `--features`, `--all-features` or
//!   `--no-default-features` keeps its meaning), with what other members ask of them.
//! - A package is built for the *target* or for the *host*: build-dependencies,
//!   proc-macros and everything they reach are host units, with their own features.
//! - An edge entry is built when some matching declaration is not optional, or is
//!   optional and switched on in that unit: by its implicit feature, `dep:NAME`, or a
//!   strong `NAME/feat`. A weak `NAME?/feat` only adds `feat` to a `NAME` that is
//!   switched on otherwise.
//! - Dev-dependency edges leave only the target unit of a root.
//! - Along a built edge, the child unit gets the declaration's `features` and, unless
//!   `default-features = false`, its `default` feature.
//!
//! Everything runs from one work queue until nothing changes: no recursion, and each
//! (unit, feature), (unit, switched-on name) and (unit, name, feature) is handled once.
//! A package's `[features]` is read the first time one of its units gets a feature, and
//! only when its features can change what is built (see [`PackageEdges::features_matter`]).

use std::collections::VecDeque;

use super::{Features, Model, Package as MetaPackage, Str};

use super::build::{FastMap, FastSet};
use crate::graph::{DepKind, Edge, GraphError};

/// One `dep_kinds` entry of a resolve node: an edge that may be built.
pub(super) struct Entry {
    pub to: usize,
    pub kind: DepKind,
    /// Kept by `--target` and `cfg(any())` pruning, and not a dev edge that
    /// `--exclude-dev` drops: `[TARGET]` when evaluated for the `--target` triples,
    /// `[HOST]` for the host triple (out of a host unit, or a build-dependency edge).
    pub platform_ok: [bool; 2],
    /// The declarations (indices into the parent's `dependencies`) this entry may come
    /// from, as `decls[start..end]` of [`PackageEdges::decls`].
    pub decls: (u32, u32),
    /// No declaration has this entry's kind and target (metadata of old cargo, or
    /// metadata we do not understand): the edge is kept, auditing too much beats
    /// missing a crate; `decls` are then every declaration of the package, whose
    /// features the child gets.
    pub keep: bool,
}

/// The possible edges out of one package.
#[derive(Default)]
pub(super) struct PackageEdges<'m> {
    pub entries: Vec<Entry>,
    pub decls: Vec<u32>,
    /// (name in the manifest of a declaration, entry), sorted: the entries that a
    /// switched-on name or a `NAME/feat` concerns.
    /// Empty unless `features_matter`.
    pub by_name: Vec<(Str<'m>, u32)>,
    /// Whether the package's features can change anything beyond itself: it has an
    /// optional dependency, or a feature value `NAME/feat` or `NAME?/feat`. When not,
    /// its features are not tracked (a `windows-sys` or `web-sys` with hundreds of
    /// features that only enable each other is never parsed).
    pub features_matter: bool,
}

impl<'m> PackageEdges<'m> {
    fn entries_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = usize> + 's {
        let start = self.by_name.partition_point(|(n, _)| **n < *name);
        self.by_name[start..]
            .iter()
            .take_while(move |(n, _)| **n == *name)
            .map(|&(_, e)| e as usize)
    }
}

/// What the roots ask for.
pub(super) struct Requested<'a, 'm> {
    pub roots: &'a [usize],
    /// Per package, `resolve.nodes[].features`. For a root that is what `cargo
    /// metadata` was asked for (`default` unless `--no-default-features`, `--features`,
    /// `--all-features`), together with what other members ask of it.
    pub node_features: &'a [Option<&'a [Str<'m>]>],
}

/// The built edges, per package, of its target unit and of its host unit.
pub(super) struct Built {
    pub target: Vec<Vec<Edge>>,
    pub host: Vec<Vec<Edge>>,
    /// Per package, whether it is a proc-macro (built for the host only).
    proc_macro: Vec<bool>,
}

impl Built {
    /// The unit (`2 * package`, `+ 1` for the host) that edge `e` out of unit `u` leads
    /// to: the host when `u` is a host unit, for a build edge, and for a proc-macro.
    pub fn child(&self, u: usize, e: &Edge) -> usize {
        let host = u % 2 == HOST || e.kind == DepKind::Build || self.proc_macro[e.to];
        2 * e.to + if host { HOST } else { TARGET }
    }
}

const TARGET: usize = 0;
const HOST: usize = 1;

/// A unit: package `p` for the target is `2p`, for the host `2p + 1`.
type Unit = usize;

#[derive(Default)]
struct UnitState<'m> {
    built: bool,
    features: FastSet<Str<'m>>,
    /// Names of optional dependencies switched on.
    on: FastSet<Str<'m>>,
    /// Per dependency name, the features asked of it (`NAME/feat` and `NAME?/feat`).
    dep_features: FastMap<Str<'m>, Vec<Str<'m>>>,
    /// Per entry, whether it is built (allocated when the unit is built).
    entry_built: Vec<bool>,
}

enum Work<'m> {
    Build(Unit),
    /// A feature name.
    Feature(Unit, Str<'m>),
    /// A value as in `[features]` or a declaration's `features`: `f`, `dep:d`, `d/f`, `d?/f`.
    Value(Unit, Str<'m>),
    SwitchOn(Unit, Str<'m>),
    DepFeature(Unit, Str<'m>, Str<'m>),
}

struct Resolver<'a, 'm> {
    packages: &'m [MetaPackage<'m>],
    edges: &'a [PackageEdges<'m>],
    is_root: Vec<bool>,
    units: Vec<UnitState<'m>>,
    tables: Vec<Option<Features<'m>>>,
    queue: VecDeque<Work<'m>>,
    built: Built,
}

pub(super) fn resolve<'m>(
    model: &'m Model<'m>,
    edges: &[PackageEdges<'m>],
    req: &Requested<'_, 'm>,
) -> Result<Built, GraphError> {
    let n = model.packages.len();
    let mut is_root = vec![false; n];
    for &r in req.roots {
        is_root[r] = true;
    }
    let mut r = Resolver {
        packages: &model.packages,
        edges,
        is_root,
        units: (0..2 * n).map(|_| UnitState::default()).collect(),
        tables: (0..n).map(|_| None).collect(),
        queue: VecDeque::new(),
        built: Built {
            target: vec![Vec::new(); n],
            host: vec![Vec::new(); n],
            proc_macro: model.packages.iter().map(|p| p.proc_macro).collect(),
        },
    };
    r.seed(req);
    r.run()?;
    let mut built = r.built;
    for out in built.target.iter_mut().chain(built.host.iter_mut()) {
        out.sort_by_key(|e| (e.to, e.kind));
        out.dedup();
    }
    Ok(built)
}

fn name_of<'d, 'm>(d: &'d crate::input::metadata::Dependency<'m>) -> &'d Str<'m> {
    d.rename.as_ref().unwrap_or(&d.name)
}

const DEFAULT: Str<'static> = Str(std::borrow::Cow::Borrowed("default"));

impl<'m> Resolver<'_, 'm> {
    fn seed(&mut self, req: &Requested<'_, 'm>) {
        for &root in req.roots {
            let unit = 2 * root + TARGET;
            self.queue.push_back(Work::Build(unit));
            for f in req.node_features[root].into_iter().flatten() {
                self.queue.push_back(Work::Feature(unit, f.clone()));
            }
        }
    }

    fn table(&mut self, p: usize) -> Result<&Features<'m>, GraphError> {
        if self.tables[p].is_none() {
            let parsed = self.packages[p]
                .features()
                .map_err(|e| self.malformed(p, &e))?;
            self.tables[p] = Some(parsed);
        }
        Ok(self.tables[p].as_ref().expect("just set"))
    }

    fn malformed(&self, p: usize, e: &serde_json::Error) -> GraphError {
        GraphError::Inconsistent(format!(
            "the `features` of package `{}` are not a map of lists of strings: {}",
            self.packages[p].id,
            // The position would be within the features, not the file.
            crate::input::metadata::strip_position(e)
        ))
    }

    fn run(&mut self) -> Result<(), GraphError> {
        while let Some(work) = self.queue.pop_front() {
            match work {
                Work::Build(u) => self.build(u),
                Work::Feature(u, f) => self.feature(u, f)?,
                Work::Value(u, v) => self.value(u, v)?,
                Work::SwitchOn(u, name) => self.switch_on(u, name),
                Work::DepFeature(u, name, f) => self.dep_feature(u, name, f),
            }
        }
        Ok(())
    }

    fn build(&mut self, u: Unit) {
        if self.units[u].built {
            return;
        }
        let p = u / 2;
        let count = self.edges[p].entries.len();
        let state = &mut self.units[u];
        state.built = true;
        state.entry_built = vec![false; count];
        for e in 0..count {
            self.try_entry(u, e);
        }
    }

    fn feature(&mut self, u: Unit, f: Str<'m>) -> Result<(), GraphError> {
        if !self.edges[u / 2].features_matter || self.units[u].features.contains(&f) {
            return Ok(());
        }
        let p = u / 2;
        self.table(p)?;
        let table = self.tables[p].as_ref().expect("parsed just above");
        match table.get(&f) {
            Some(values) => {
                let values = values.map_err(|e| self.malformed(p, &e))?;
                for v in values {
                    self.queue.push_back(Work::Value(u, v));
                }
            }
            // Not in `[features]`: the implicit feature of an optional dependency
            // (older cargo leaves those out of the metadata).
            None => self.queue.push_back(Work::SwitchOn(u, f.clone())),
        }
        self.units[u].features.insert(f);
        Ok(())
    }

    fn value(&mut self, u: Unit, v: Str<'m>) -> Result<(), GraphError> {
        if !self.edges[u / 2].features_matter {
            return Ok(());
        }
        if let Some(name) = v.strip_prefix("dep:") {
            let name = v.slice(4..4 + name.len());
            self.queue.push_back(Work::SwitchOn(u, name));
        } else if let Some((name, _)) = v.split_once('/') {
            let feat = v.slice(name.len() + 1..v.len());
            if let Some(weak) = name.strip_suffix('?') {
                let name = v.slice(0..weak.len());
                self.queue.push_back(Work::DepFeature(u, name, feat));
            } else {
                let name = v.slice(0..name.len());
                self.queue.push_back(Work::SwitchOn(u, name.clone()));
                // As cargo: a strong `NAME/feat` also enables the feature `NAME` when
                // one exists (the implicit feature of an optional dependency).
                if self.table(u / 2)?.contains(&name) {
                    self.queue.push_back(Work::Feature(u, name.clone()));
                }
                self.queue.push_back(Work::DepFeature(u, name, feat));
            }
        } else {
            self.queue.push_back(Work::Feature(u, v));
        }
        Ok(())
    }

    fn switch_on(&mut self, u: Unit, name: Str<'m>) {
        let state = &mut self.units[u];
        if state.on.contains(&name) {
            return;
        }
        state.on.insert(name.clone());
        if !state.built {
            return;
        }
        let edges = self.edges;
        let p = u / 2;
        for e in edges[p].entries_named(&name) {
            if self.units[u].entry_built[e] {
                // Built already through another declaration: this one's features too.
                let child = self.child(u, e);
                self.give(u, e, child, Some(&name));
            } else {
                self.try_entry(u, e);
            }
        }
    }

    fn dep_feature(&mut self, u: Unit, name: Str<'m>, f: Str<'m>) {
        let asked = self.units[u].dep_features.entry(name.clone()).or_default();
        if asked.contains(&f) {
            return;
        }
        asked.push(f.clone());
        if !self.units[u].built {
            return;
        }
        let edges = self.edges;
        for e in edges[u / 2].entries_named(&name) {
            if self.units[u].entry_built[e] {
                let child = self.child(u, e);
                self.queue.push_back(Work::Feature(child, f.clone()));
            }
        }
    }

    /// The unit an entry's edge leads to.
    fn child(&self, u: Unit, e: usize) -> Unit {
        let entry = &self.edges[u / 2].entries[e];
        self.built.child(
            u,
            &Edge {
                to: entry.to,
                kind: entry.kind,
            },
        )
    }

    /// Builds entry `e` of unit `u` if a matching declaration is switched on.
    fn try_entry(&mut self, u: Unit, e: usize) {
        let p = u / 2;
        let edges = &self.edges[p];
        let entry = &edges.entries[e];
        // As cargo: an edge out of a host unit, or a build-dependency edge, is built
        // for the host and so evaluated against the host triple.
        let for_host = u % 2 == HOST || entry.kind == DepKind::Build;
        if !entry.platform_ok[if for_host { HOST } else { TARGET }]
            || (entry.kind == DepKind::Dev && (u % 2 == HOST || !self.is_root[p]))
        {
            return;
        }
        let (start, end) = entry.decls;
        let state = &self.units[u];
        let decls = &self.packages[p].dependencies;
        let active = entry.keep
            || edges.decls[start as usize..end as usize].iter().any(|&d| {
                let d = &decls[d as usize];
                !d.optional || state.on.contains(name_of(d))
            });
        if !active {
            return;
        }
        self.units[u].entry_built[e] = true;
        let child = self.child(u, e);
        let edge = Edge {
            to: entry.to,
            kind: entry.kind,
        };
        if u % 2 == HOST {
            self.built.host[p].push(edge);
        } else {
            self.built.target[p].push(edge);
        }
        self.queue.push_back(Work::Build(child));
        self.give(u, e, child, None);
    }

    /// Gives the child of a built entry the features its switched-on declarations
    /// ask for (only those named `only`, when given).
    fn give(&mut self, u: Unit, e: usize, child: Unit, only: Option<&str>) {
        if !self.edges[child / 2].features_matter {
            return;
        }
        let p = u / 2;
        let edges = &self.edges[p];
        let (start, end) = edges.entries[e].decls;
        if start == end {
            // No declaration to read: the usual case, default features.
            self.queue.push_back(Work::Feature(child, DEFAULT));
            return;
        }
        let state = &self.units[u];
        for &d in &edges.decls[start as usize..end as usize] {
            let d = &self.packages[p].dependencies[d as usize];
            let name = name_of(d);
            let off = d.optional && !state.on.contains(name) && !edges.entries[e].keep;
            if only.is_some_and(|o| **name != *o) || off {
                continue;
            }
            if d.uses_default_features {
                self.queue.push_back(Work::Feature(child, DEFAULT));
            }
            for f in &d.features {
                self.queue.push_back(Work::Value(child, f.clone()));
            }
            for f in state.dep_features.get(name).into_iter().flatten() {
                self.queue.push_back(Work::Feature(child, f.clone()));
            }
        }
    }
}
