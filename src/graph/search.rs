//! Queries on a built graph: shortest paths to a package, and `via` walks.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};

use super::{DepKind, Graph, Kinds, Step};
use crate::crate_name::CrateName;

/// Partial paths a single [`PathFinder::paths`] call may create before it gives up
/// and returns what it has: bounds the work on huge, densely connected graphs.
const MAX_PARTIAL_PATHS: usize = 200_000;

const UNREACHED: u32 = u32::MAX;

/// Answers path queries on one graph, built once and shared by every query (and
/// thread). Holds the reverse edges and one breadth-first search from the roots: per
/// package and path kind, the length of the shortest walk from a root (the search's
/// heuristic) and the step it came from.
pub struct PathFinder<'g> {
    graph: &'g Graph,
    /// Per package, the packages with an edge into it and the edge's kind, sorted.
    preds: Vec<Vec<(usize, DepKind)>>,
    /// `dist[p][k]`: shortest walk from a root to `p` whose kind is exactly `k`.
    dist: Vec<[u32; 3]>,
    /// `parent[p][k]`: the (package, kind of the walk so far, edge kind) before `p` on
    /// one such shortest walk; `UNREACHED` package for a root.
    parent: Vec<[(u32, DepKind, DepKind); 3]>,
    is_root: Vec<bool>,
    /// Packages on a cycle of non-dev edges, or reached from one. cargo forbids such
    /// cycles, so this is empty but for other metadata; only these can appear twice
    /// on a walk that does not close with a dev edge.
    cyclic: Vec<bool>,
}

/// A partial path, from `pkg` to the target, as a linked list towards the target.
struct Partial {
    pkg: usize,
    /// Kind of the edge from `pkg` to the next package (`None` at the target).
    edge: Option<DepKind>,
    next: usize,
    /// Edges from `pkg` to the target.
    len: u32,
    /// Strongest edge kind from `pkg` to the target (`None`: no edge yet).
    kind: Option<DepKind>,
    /// `pkg` leaves by a dev-dependency edge, so the path must start at it: cargo
    /// builds dev-dependencies only of the packages it builds as roots.
    closed: bool,
}

impl<'g> PathFinder<'g> {
    /// Indexes `graph` for path queries: reverse edges and the shortest distance from a root, per package and walk kind.
    pub fn new(graph: &'g Graph) -> PathFinder<'g> {
        let n = graph.packages.len().max(graph.edges.len());
        let mut preds: Vec<Vec<(usize, DepKind)>> = vec![Vec::new(); n];
        for (from, out) in graph.edges.iter().enumerate() {
            for e in out {
                if e.to < n {
                    preds[e.to].push((from, e.kind));
                }
            }
        }
        // Edges are visited by increasing `from`, so each list is already sorted.
        let mut is_root = vec![false; n];
        for &r in &graph.roots {
            if r < n {
                is_root[r] = true;
            }
        }
        let mut dist = vec![[UNREACHED; 3]; n];
        let none = (UNREACHED, DepKind::Normal, DepKind::Normal);
        let mut parent = vec![[none; 3]; n];
        let mut queue = VecDeque::new();
        for &r in &graph.roots {
            if r < n && dist[r][DepKind::Normal as usize] == UNREACHED {
                dist[r][DepKind::Normal as usize] = 0;
                queue.push_back((r, DepKind::Normal));
            }
        }
        while let Some((p, k)) = queue.pop_front() {
            let d = dist[p][k as usize];
            for e in graph.edges.get(p).into_iter().flatten() {
                let nk = k.max(e.kind);
                if e.to < n && dist[e.to][nk as usize] == UNREACHED {
                    dist[e.to][nk as usize] = d + 1;
                    parent[e.to][nk as usize] = (p as u32, k, e.kind);
                    queue.push_back((e.to, nk));
                }
            }
        }
        let cyclic = downstream_of_cycles(graph, n);
        PathFinder {
            graph,
            preds,
            dist,
            parent,
            is_root,
            cyclic,
        }
    }

    /// One shortest path of an allowed kind, from the search's parents: O(length).
    /// `None` when there is none, or when the shortest walks repeat a package (possible
    /// only through a dependency cycle).
    fn parent_path(&self, target: usize, allowed: Kinds) -> Option<Vec<Step>> {
        let mut kinds: Vec<DepKind> = allowed
            .iter()
            .filter(|&k| self.dist[target][k as usize] != UNREACHED)
            .collect();
        kinds.sort_by_key(|&k| self.dist[target][k as usize]);
        'kinds: for k in kinds {
            let mut path = Vec::new();
            let mut on_path = HashSet::new();
            let (mut p, mut kind, mut into) = (target, k, None);
            loop {
                if !on_path.insert(p) {
                    continue 'kinds;
                }
                path.push(Step {
                    package: p,
                    edge: into,
                });
                let (prev, prev_kind, edge) = self.parent[p][kind as usize];
                if prev == UNREACHED {
                    break;
                }
                (p, kind, into) = (prev as usize, prev_kind, Some(edge));
            }
            path.reverse();
            // Each step holds the edge into it: shift the edge kinds one step down.
            let edges: Vec<Option<DepKind>> = path.iter().map(|s| s.edge).collect();
            for (i, step) in path.iter_mut().enumerate() {
                step.edge = if i == 0 { None } else { edges[i - 1] };
            }
            return Some(path);
        }
        None
    }

    /// Up to `max` shortest simple paths from a root to `target`, root first, whose
    /// kind (strongest edge kind; `normal` for a root alone) is in `allowed`.
    ///
    /// In order of increasing length; among paths of one length, in a deterministic
    /// order (the search expands predecessors by package index). Two paths through
    /// the same packages that differ only in edge kinds count once (the first
    /// found). The search is A* backwards from the target, with the shared search's
    /// distances as an exact heuristic, so it costs about `max` times the path length
    /// times the predecessors per step. It stops after `MAX_PARTIAL_PATHS` partial
    /// paths and then returns what it found, or, having found nothing, the shortest
    /// path the shared search's parents give.
    pub fn paths(&self, target: usize, allowed: Kinds, max: usize) -> Vec<Vec<Step>> {
        let mut found: Vec<Vec<Step>> = Vec::new();
        if max == 0 || target >= self.dist.len() || allowed.is_empty() {
            return found;
        }
        let mut seen: HashSet<Vec<usize>> = HashSet::new();
        let mut arena: Vec<Partial> = Vec::new();
        // Among partial paths of equal estimate, the longest first (it is nearest to a
        // root), then the oldest: depth-first on ties, so a wide graph with many
        // equally short paths does not get searched breadth-first.
        let mut heap: BinaryHeap<Reverse<(u32, Reverse<u32>, usize)>> = BinaryHeap::new();
        if let Some(h) = self.heuristic(target, None, allowed) {
            arena.push(Partial {
                pkg: target,
                edge: None,
                next: usize::MAX,
                len: 0,
                kind: None,
                closed: false,
            });
            heap.push(Reverse((h, Reverse(0), 0)));
        }
        while let Some(Reverse((_, _, idx))) = heap.pop() {
            let (pkg, len, kind, closed) = {
                let p = &arena[idx];
                (p.pkg, p.len, p.kind, p.closed)
            };
            if self.is_root[pkg] && allowed.contains(kind.unwrap_or(DepKind::Normal)) {
                let path = self.unwind(&arena, idx);
                let packages: Vec<usize> = path.iter().map(|s| s.package).collect();
                if is_simple(&packages) && seen.insert(packages) {
                    found.push(path);
                    if found.len() >= max {
                        break;
                    }
                }
            }
            if closed {
                continue;
            }
            for &(pred, edge) in &self.preds[pkg] {
                if arena.len() >= MAX_PARTIAL_PATHS {
                    break;
                }
                // A dev edge is only ever the first edge of a walk, out of a root.
                let dev = edge == DepKind::Dev;
                // Without dev edges a cargo graph has no cycle, so only the last step
                // (a dev edge out of a root) can return to a package of the path, or a
                // step into a package on a cycle of other metadata. (Checking every
                // step walked the whole partial path: quadratic on deep chains.)
                if dev && !self.is_root[pred] {
                    continue;
                }
                if (dev || self.cyclic[pred]) && self.on_path(&arena, idx, pred) {
                    continue;
                }
                let nk = Some(kind.map_or(edge, |k| k.max(edge)));
                let Some(h) = self.heuristic(pred, nk, allowed) else {
                    continue;
                };
                arena.push(Partial {
                    pkg: pred,
                    edge: Some(edge),
                    next: idx,
                    len: len + 1,
                    kind: nk,
                    closed: dev,
                });
                heap.push(Reverse((len + 1 + h, Reverse(len + 1), arena.len() - 1)));
            }
        }
        if found.is_empty()
            && let Some(path) = self.parent_path(target, allowed)
        {
            found.push(path);
        }
        found
    }

    /// A lower bound on the edges from a root to `pkg` for a prefix that, joined to a
    /// suffix of kind `suffix`, gives a path of an allowed kind; `None`: impossible.
    fn heuristic(&self, pkg: usize, suffix: Option<DepKind>, allowed: Kinds) -> Option<u32> {
        let m = suffix.unwrap_or(DepKind::Normal);
        let d = &self.dist[pkg];
        let best = allowed
            .iter()
            .filter(|&k| k >= m)
            .map(|k| {
                if k == m {
                    // Any prefix no stronger than the suffix keeps the kind `m`.
                    DepKind::ALL
                        .iter()
                        .filter(|&&p| p <= m)
                        .map(|&p| d[p as usize])
                        .min()
                        .unwrap_or(UNREACHED)
                } else {
                    d[k as usize]
                }
            })
            .min()
            .unwrap_or(UNREACHED);
        (best != UNREACHED).then_some(best)
    }

    /// Whether `pkg` is already on the partial path starting at `idx`.
    fn on_path(&self, arena: &[Partial], mut idx: usize, pkg: usize) -> bool {
        while idx != usize::MAX {
            if arena[idx].pkg == pkg {
                return true;
            }
            idx = arena[idx].next;
        }
        false
    }

    fn unwind(&self, arena: &[Partial], mut idx: usize) -> Vec<Step> {
        let mut path = Vec::new();
        let mut into: Option<DepKind> = None;
        while idx != usize::MAX {
            let p = &arena[idx];
            path.push(Step {
                package: p.pkg,
                edge: into,
            });
            into = p.edge;
            idx = p.next;
        }
        path
    }

    /// The graph this finder answers for.
    pub fn graph(&self) -> &'g Graph {
        self.graph
    }
}

/// Kahn's algorithm over the non-dev edges: what it cannot peel off (in-degree never
/// zero) is on a cycle or downstream of one.
fn downstream_of_cycles(graph: &Graph, n: usize) -> Vec<bool> {
    let mut indegree = vec![0u32; n];
    for out in &graph.edges {
        for e in out {
            if e.kind != DepKind::Dev && e.to < n {
                indegree[e.to] += 1;
            }
        }
    }
    let mut stack: Vec<usize> = (0..n).filter(|&p| indegree[p] == 0).collect();
    let mut peeled = vec![false; n];
    while let Some(p) = stack.pop() {
        peeled[p] = true;
        for e in graph.edges.get(p).into_iter().flatten() {
            if e.kind != DepKind::Dev && e.to < n {
                indegree[e.to] -= 1;
                if indegree[e.to] == 0 {
                    stack.push(e.to);
                }
            }
        }
    }
    peeled.into_iter().map(|p| !p).collect()
}

/// No package twice.
fn is_simple(packages: &[usize]) -> bool {
    let mut seen = HashSet::with_capacity(packages.len());
    packages.iter().all(|p| seen.insert(*p))
}

/// See [`Graph::reaches_via`]. A breadth-first walk over (package, number of `via`
/// names matched so far); matching each name at the first chance is optimal for a
/// subsequence, so this is O((via + 1) * (packages + edges)).
pub(super) fn reaches_via(graph: &Graph, target: usize, via: &[String]) -> bool {
    if target >= graph.packages.len() {
        return false;
    }
    // Without `via`, the walk's answer is `kinds` (when the graph has them).
    if via.is_empty()
        && graph.kinds.len() == graph.packages.len()
        && !graph.kinds[target].is_empty()
    {
        return true;
    }
    // A name that no package has: no walk can match it (saves the walk).
    if via.iter().any(|v| {
        !graph
            .packages
            .iter()
            .any(|p| CrateName(p.name.as_str()) == CrateName(v.as_str()))
    }) {
        return false;
    }
    let n = via.len();
    let width = n + 1;
    let advance = |pkg: usize, matched: usize| {
        if matched < n
            && CrateName(graph.packages[pkg].name.as_str()) == CrateName(via[matched].as_str())
        {
            matched + 1
        } else {
            matched
        }
    };
    let mut seen = vec![false; graph.packages.len() * width];
    let mut queue = VecDeque::new();
    // The third field: the walk starts here, so dev-dependency edges may be taken.
    for &r in &graph.roots {
        if r >= graph.packages.len() {
            continue;
        }
        let j = advance(r, 0);
        if !seen[r * width + j] {
            seen[r * width + j] = true;
            queue.push_back((r, j, true));
        }
    }
    while let Some((p, j, start)) = queue.pop_front() {
        if p == target && j == n {
            return true;
        }
        for e in graph.edges.get(p).into_iter().flatten() {
            if e.to >= graph.packages.len() || (e.kind == DepKind::Dev && !start) {
                continue;
            }
            let nj = advance(e.to, j);
            if !seen[e.to * width + nj] {
                seen[e.to * width + nj] = true;
                queue.push_back((e.to, nj, false));
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Edge, Package};

    fn pkg(name: &str) -> Package {
        Package {
            id: name.into(),
            name: name.into(),
            version: semver::Version::new(1, 0, 0),
            source: None,
            manifest_path: Default::default(),
            repository: None,
            homepage: None,
            authors: vec![],
            license_file: None,
            workspace_member: false,
        }
    }

    /// A graph by hand: `edges` as (from, to, kind).
    fn graph(names: &[&str], roots: &[usize], edges: &[(usize, usize, DepKind)]) -> Graph {
        let mut out = vec![Vec::new(); names.len()];
        for &(f, t, kind) in edges {
            out[f].push(Edge { to: t, kind });
        }
        Graph {
            packages: names.iter().map(|n| pkg(n)).collect(),
            roots: roots.to_vec(),
            edges: out,
            kinds: vec![Kinds::NONE; names.len()],
            workspace_root: Default::default(),
            workspace_metadata: serde_json::Value::Null,
        }
    }

    fn names(g: &Graph, paths: &[Vec<Step>]) -> Vec<String> {
        paths
            .iter()
            .map(|p| {
                p.iter()
                    .map(|s| g.packages[s.package].name.as_str())
                    .collect::<Vec<_>>()
                    .join(">")
            })
            .collect()
    }

    use DepKind::{Build, Dev, Normal};

    #[test]
    fn shortest_first_and_deterministic() {
        // r -> a -> t, r -> b -> c -> t, r -> t2 (unrelated)
        let g = graph(
            &["r", "a", "b", "c", "t"],
            &[0],
            &[
                (0, 1, Normal),
                (0, 2, Normal),
                (1, 4, Normal),
                (2, 3, Normal),
                (3, 4, Normal),
            ],
        );
        let p = g.paths(4, Kinds::ALL, 5);
        assert_eq!(names(&g, &p), ["r>a>t", "r>b>c>t"]);
        assert_eq!(p[0][0].edge, None);
        assert_eq!(p[0][1].edge, Some(Normal));
        assert_eq!(names(&g, &g.paths(4, Kinds::ALL, 1)), ["r>a>t"]);
        assert!(g.paths(4, Kinds::ALL, 0).is_empty());
    }

    #[test]
    fn kinds_filter_paths() {
        // r -dev-> a -> t ; r -> b -build-> t
        let g = graph(
            &["r", "a", "b", "t"],
            &[0],
            &[(0, 1, Dev), (1, 3, Normal), (0, 2, Normal), (2, 3, Build)],
        );
        assert_eq!(names(&g, &g.paths(3, Kinds::of(Dev), 5)), ["r>a>t"]);
        assert_eq!(names(&g, &g.paths(3, Kinds::of(Build), 5)), ["r>b>t"]);
        assert!(g.paths(3, Kinds::of(Normal), 5).is_empty());
        assert_eq!(names(&g, &g.paths(3, Kinds::ALL, 5)).len(), 2);
    }

    #[test]
    fn paths_may_pass_through_another_root() {
        // root r0 -dev-> root r1 -> t: a dev path exists only through r0.
        let g = graph(&["r0", "r1", "t"], &[0, 1], &[(0, 1, Dev), (1, 2, Normal)]);
        assert_eq!(names(&g, &g.paths(2, Kinds::of(Normal), 5)), ["r1>t"]);
        assert_eq!(names(&g, &g.paths(2, Kinds::of(Dev), 5)), ["r0>r1>t"]);
    }

    #[test]
    fn simple_paths_only_with_cycles() {
        // r -> a <-> b, b -> t
        let g = graph(
            &["r", "a", "b", "t"],
            &[0],
            &[
                (0, 1, Normal),
                (1, 2, Normal),
                (2, 1, Normal),
                (2, 3, Normal),
            ],
        );
        assert_eq!(names(&g, &g.paths(3, Kinds::ALL, 10)), ["r>a>b>t"]);
    }

    /// A long cycle of normal edges (which cargo forbids) gives simple paths only, and
    /// the search ends.
    #[test]
    fn long_normal_cycle_ends() {
        let n = 3_000;
        let mut names = vec!["r".to_string()];
        let mut edges = vec![(0, 1, Normal)];
        for i in 1..=n {
            names.push(format!("a{i}"));
            if i < n {
                edges.push((i, i + 1, Normal));
            }
        }
        edges.push((n, 1, Normal));
        names.push("t".into());
        edges.push((n, n + 1, Normal));
        let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        let g = graph(&refs, &[0], &edges);
        let p = g.paths(n + 1, Kinds::ALL, 5);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].len(), n + 2);
    }

    #[test]
    fn root_target_and_unreachable() {
        let g = graph(&["r", "x"], &[0], &[]);
        assert_eq!(names(&g, &g.paths(0, Kinds::ALL, 5)), ["r"]);
        assert!(g.paths(1, Kinds::ALL, 5).is_empty());
        assert!(g.paths(99, Kinds::ALL, 5).is_empty());
    }

    #[test]
    fn parallel_edges_of_two_kinds_count_once() {
        let g = graph(&["r", "t"], &[0], &[(0, 1, Normal), (0, 1, Dev)]);
        assert_eq!(g.paths(1, Kinds::ALL, 5).len(), 1);
        assert_eq!(g.paths(1, Kinds::of(Dev), 5)[0][1].edge, Some(Dev));
    }

    #[test]
    fn dense_graph_is_bounded() {
        // Layers of 30 packages, fully connected layer to layer: 30^6 paths.
        let width = 30;
        let layers = 7;
        let mut names = vec!["r".to_string()];
        let mut edges = Vec::new();
        for l in 0..layers {
            for i in 0..width {
                names.push(format!("p{l}_{i}"));
                let me = names.len() - 1;
                if l == 0 {
                    edges.push((0, me, Normal));
                } else {
                    for j in 0..width {
                        edges.push((1 + (l - 1) * width + j, me, Normal));
                    }
                }
            }
        }
        names.push("t".into());
        let t = names.len() - 1;
        for j in 0..width {
            edges.push((1 + (layers - 1) * width + j, t, Normal));
        }
        let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        let g = graph(&refs, &[0], &edges);
        let p = g.paths(t, Kinds::ALL, 5);
        assert_eq!(p.len(), 5);
        assert!(p.iter().all(|p| p.len() == layers + 2));
        // Only dev paths were asked for and there are none: must still end.
        assert!(g.paths(t, Kinds::of(Dev), 5).is_empty());
    }

    #[test]
    fn via_in_order() {
        // r -> a -> b -> t, r -> c -> t
        let g = graph(
            &["r", "a", "b-x", "c", "t"],
            &[0],
            &[
                (0, 1, Normal),
                (1, 2, Normal),
                (2, 4, Normal),
                (0, 3, Normal),
                (3, 4, Normal),
            ],
        );
        let via = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(g.reaches_via(4, &via(&["a", "B_x"])));
        assert!(g.reaches_via(4, &via(&["r", "a"])));
        assert!(g.reaches_via(4, &via(&["c"])));
        assert!(g.reaches_via(4, &via(&["c", "t"])));
        assert!(!g.reaches_via(4, &via(&["b-x", "a"])));
        assert!(!g.reaches_via(4, &via(&["a", "c"])));
        assert!(!g.reaches_via(4, &via(&["a", "a"])));
        assert!(!g.reaches_via(4, &via(&["zzz"])));
        assert!(!g.reaches_via(99, &via(&["a"])));
    }
}
