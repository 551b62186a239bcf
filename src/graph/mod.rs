//! The dependency graph cargo would build: packages, edges with their kind, workspace roots.
//!
//! Holds the packages reached from the selected roots, each with the set of dependency kinds
//! through which it is reached (book: docs/src/inputs.md, "The graph"); `cargo metadata` output is turned into a
//! graph by `input::metadata` (`Graph::build`), the other inputs by `input::graph_from_parts`.
//!
//! Choices made here:
//! - Default roots (no `-p`, no `--workspace`): every workspace member, as the book's
//!   command-line chapter says, not `workspace_default_members` (see `input/metadata/roots.rs`).
//! - A root is reached by the empty path, which counts as `normal`.
//! - Dev edges are kept only out of roots (cargo tests only the selected packages).
//! - Kinds are those of *walks* from a root: through a dev-dependency cycle
//!   (`a -dev-> b -> a -> c`), `c` is also `dev`, since building `b` builds `a` and `c`.
//! - When in doubt, keep: an edge entry with no matching declaration in the parent,
//!   an unknown future dependency kind (counted as normal), a `cfg` that cfg-expr
//!   cannot parse or that stays unknown for a `--target` triple (`target_feature`), or
//!   one nested deeper than `target::MAX_CFG_DEPTH`. Auditing a crate too many beats
//!   missing one.
//! - With `--target`, an edge out of a host unit (a build-dependency, a proc-macro, or
//!   what only they reach) and a build-dependency edge are evaluated against the host
//!   triple, as `cargo tree --target` does; other edges against the `--target` triples.
//! - Which optional dependencies are built is worked out again over what is built
//!   (`input/metadata/features.rs`), as cargo's resolver 2 does, not read from `resolve`'s features.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

mod search;
pub mod target;

pub use search::PathFinder;

/// How a dependency edge is declared. Ordered by strength: `Normal < Build < Dev`.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum DepKind {
    /// `[dependencies]` (`kind: null` in `cargo metadata`'s JSON), and any kind this tool
    /// does not know.
    #[default]
    Normal,
    /// `[build-dependencies]`.
    Build,
    /// `[dev-dependencies]`.
    Dev,
}

impl DepKind {
    /// The three kinds, weakest first: `normal`, `build`, `dev`.
    pub const ALL: [DepKind; 3] = [DepKind::Normal, DepKind::Build, DepKind::Dev];

    /// The kind as the JSON and reports spell it: `normal`, `build` or `dev`.
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Normal => "normal",
            DepKind::Build => "build",
            DepKind::Dev => "dev",
        }
    }

    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for DepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`DepKind`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Kinds(u8);

impl Kinds {
    /// The empty set: reached by no kind.
    pub const NONE: Kinds = Kinds(0);
    /// All three kinds: `normal`, `build` and `dev`.
    pub const ALL: Kinds = Kinds(0b111);

    /// The set holding only `kind`.
    pub fn of(kind: DepKind) -> Kinds {
        Kinds(kind.bit())
    }
    /// Whether `kind` is in the set.
    pub fn contains(self, kind: DepKind) -> bool {
        self.0 & kind.bit() != 0
    }
    /// Adds `kind` to the set.
    pub fn insert(&mut self, kind: DepKind) {
        self.0 |= kind.bit();
    }
    /// Takes `kind` out of the set.
    pub fn remove(&mut self, kind: DepKind) {
        self.0 &= !kind.bit();
    }
    /// Whether the set holds no kind (for a package: not reached).
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The kinds in both `self` and `other`.
    pub fn intersect(self, other: Kinds) -> Kinds {
        Kinds(self.0 & other.0)
    }
    /// Whether every kind in `self` is also in `other`.
    pub fn is_subset(self, other: Kinds) -> bool {
        self.0 & !other.0 == 0
    }
    /// The kinds in order `normal`, `build`, `dev`.
    pub fn iter(self) -> impl Iterator<Item = DepKind> {
        DepKind::ALL.into_iter().filter(move |k| self.contains(*k))
    }
}

impl FromIterator<DepKind> for Kinds {
    fn from_iter<I: IntoIterator<Item = DepKind>>(iter: I) -> Kinds {
        let mut k = Kinds::NONE;
        for kind in iter {
            k.insert(kind);
        }
        k
    }
}

/// One package of the metadata, with the manifest fields the facts stage reads.
#[derive(Clone, Debug)]
pub struct Package {
    /// The opaque package id of `cargo metadata`.
    pub id: String,
    /// The crate's name as written in its manifest, e.g. `serde_json`.
    pub name: String,
    /// The version cargo resolved, e.g. `1.0.108`.
    pub version: semver::Version,
    /// `None` for path packages and workspace members.
    pub source: Option<String>,
    /// Path to the package's `Cargo.toml`, as `cargo metadata` gives it.
    pub manifest_path: PathBuf,
    /// The manifest's `repository` URL, as written.
    pub repository: Option<String>,
    /// The manifest's `homepage` URL, as written.
    pub homepage: Option<String>,
    /// The manifest's `authors` entries, e.g. `Jane Doe <jane@example.com>`.
    pub authors: Vec<String>,
    /// The manifest's `license-file`, relative to the package folder.
    pub license_file: Option<String>,
    /// Whether the package is a member of the workspace (`workspace_members`).
    pub workspace_member: bool,
}

impl Package {
    /// `name@version`, as paths and messages print a package.
    pub fn spec(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// An edge that cargo builds: `from` depends on `to` with this kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Index into [`Graph::packages`] of the dependency.
    pub to: usize,
    /// How the dependency is declared (normal, build or dev).
    pub kind: DepKind,
}

/// One step of a path: the package and the kind of the edge that led into it
/// (`None` for the root).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Index into [`Graph::packages`].
    pub package: usize,
    /// Kind of the edge from the previous step; `None` for the root.
    pub edge: Option<DepKind>,
}

/// Which part of the graph to walk.
#[derive(Clone, Debug, Default)]
pub struct GraphOptions {
    /// `-p/--package` specs (`name`, `name@version` with a full or partial version,
    /// a full package id, or a glob over names); empty means the default roots.
    pub packages: Vec<String>,
    /// `--workspace`: every member is a root.
    pub workspace: bool,
    /// `--exclude` specs; trim the roots (also without `--workspace`). Specs that
    /// match no member are ignored, as cargo only warns about them.
    pub exclude: Vec<String>,
    /// `--target` triples; empty means every target.
    pub targets: Vec<String>,
    /// `--host`: the triple build-dependencies, proc-macros and what only they reach
    /// are built for, and so evaluated against under `--target`. `None`: the host
    /// `rustc -vV` reports, asked only when `targets` is not empty.
    pub host: Option<String>,
    /// `--exclude-dev`: drop dev-dependency edges before the walk.
    pub exclude_dev: bool,
}

/// Why the graph could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The metadata has no `resolve` section, as with `cargo metadata --no-deps`.
    #[error(
        "the metadata has no `resolve` section (was it made with `--no-deps`?): run `cargo metadata --format-version 1` without `--no-deps`"
    )]
    NoResolve,
    /// A `-p` spec that names no workspace member.
    #[error("package `{0}` is not a member of this workspace: pass a workspace member to `-p`")]
    UnknownPackage(String),
    /// A `-p` spec that matches several packages and is neither a glob nor a full id.
    #[error("package spec `{spec}` is ambiguous: it matches {candidates}; add `@VERSION`")]
    AmbiguousPackage {
        /// The `-p` spec as given, e.g. `serde`.
        spec: String,
        /// The matching packages, each as `` `name@version` (id) ``, joined by `, `.
        candidates: String,
    },
    /// A `--target` triple that cfg-expr does not know.
    #[error(
        "unknown target triple `{0}`: give a triple that rustc knows, as `rustc --print target-list` lists"
    )]
    UnknownTarget(String),
    /// The `--host` triple is not one that cfg-expr knows.
    #[error(
        "unknown host triple `{0}` (--host): give a triple that rustc knows, as `rustc --print target-list` lists"
    )]
    UnknownHost(String),
    /// The host triple `rustc -vV` reports is not one that cfg-expr knows.
    #[error(
        "`rustc -vV` reports the host `{0}`, which this tool does not know: pass --host TRIPLE (the host's triple, or the nearest one `rustc --print target-list` lists)"
    )]
    UnknownRustcHost(String),
    /// `--target` was given without `--host` and `rustc -vV` could not be run or read.
    #[error(
        "--target needs the host triple, against which build-dependencies and proc-macros are evaluated: {0}; pass --host TRIPLE"
    )]
    NoHost(String),
    /// The metadata contradicts itself, e.g. an edge to a package id not in `packages`.
    #[error("the metadata is inconsistent: {0}")]
    Inconsistent(String),
}

/// The walked graph.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Every package of the metadata, in its order.
    pub packages: Vec<Package>,
    /// The selected roots (workspace members).
    pub roots: Vec<usize>,
    /// Outgoing edges per package, after pruning (weak features, `cfg(any())`,
    /// `--target`, `--exclude-dev`), one per (dependency, kind), sorted. Dev edges
    /// are kept only out of roots: cargo builds dev-dependencies only of the
    /// packages it tests.
    pub edges: Vec<Vec<Edge>>,
    /// Per package, the kinds through which it is reached from the roots
    /// (empty: not reached).
    pub kinds: Vec<Kinds>,
    /// The workspace's root folder (`workspace_root` of the metadata).
    pub workspace_root: PathBuf,
    /// `[workspace.metadata]`, or null.
    pub workspace_metadata: serde_json::Value,
}

impl Graph {
    /// Packages reached from the roots, in metadata order.
    pub fn reached(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.packages.len()).filter(|&i| !self.kinds[i].is_empty())
    }

    /// Up to `max` shortest paths from a root to `target`, root first, using only
    /// walks whose kind (the strongest edge kind on it) is in `allowed`.
    ///
    /// Builds a [`PathFinder`] each call; use [`Graph::path_finder`] for many queries.
    pub fn paths(&self, target: usize, allowed: Kinds, max: usize) -> Vec<Vec<Step>> {
        self.path_finder().paths(target, allowed, max)
    }

    /// Whether some walk from a root reaches `target` through packages named
    /// `via[0]`, `via[1]`, ... in that order (names compared as crate names).
    ///
    /// The root and `target` themselves may match a `via` entry; each entry needs
    /// its own step of the walk. An empty `via` asks whether `target` is reached.
    pub fn reaches_via(&self, target: usize, via: &[String]) -> bool {
        search::reaches_via(self, target, via)
    }

    /// Precomputes what [`PathFinder::paths`] needs (reverse edges, distances from
    /// the roots), to answer many path queries on one graph in O(paths) each.
    pub fn path_finder(&self) -> PathFinder<'_> {
        PathFinder::new(self)
    }

    /// Names of all packages, for messages.
    pub fn names(&self) -> BTreeSet<&str> {
        self.packages.iter().map(|p| p.name.as_str()).collect()
    }
}
