//! A `cargo metadata --format-version 1` document of any size, shaped like a real workspace.
//!
//! Workspace members (path packages) are the first packages; every other package is reached
//! from a member by at least one normal edge, and has about 4 dependencies in all, some
//! build, dev (only out of members, as cargo builds them), target-specific (`cfg(windows)`,
//! a triple, rarely `cfg(any())`) or optional (switched on by a feature, or only by a weak
//! `dep?/feat` feature, which cargo does not build). Every `resolve` edge has its
//! declaration in `dependencies`, so the graph stage keeps or drops it as cargo would.
//! Registry packages are 93% crates.io, the rest git sources and a private registry;
//! repositories, homepages and author emails spread over thousands of orgs and domains.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Rng, WORDS};

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
const PRIVATE: &str = "sparse+https://registry.corp.example/index/";
const TARGETS: &[&str] = &[
    "cfg(windows)",
    "cfg(unix)",
    "cfg(target_os = \"linux\")",
    "cfg(target_arch = \"wasm32\")",
    "x86_64-pc-windows-msvc",
    "cfg(all(unix, not(target_os = \"macos\")))",
];
const HOSTS: &[(&str, u64)] = &[
    ("github.com", 85),
    ("gitlab.com", 5),
    ("gitee.com", 3),
    ("codeberg.org", 3),
    ("bitbucket.org", 2),
    ("sr.ht", 2),
];

/// Size and seed of a generated graph.
#[derive(Clone, Copy, Debug)]
pub struct GraphSpec {
    pub packages: usize,
    pub seed: u64,
}

/// (dependency index, kind, target, optional, switched on by a feature)
type Dep = (
    usize,
    Option<&'static str>,
    Option<&'static str>,
    bool,
    bool,
);

struct Pkg {
    name: String,
    version: String,
    id: String,
    source: Option<String>,
    member: bool,
    deps: Vec<Dep>,
}

/// A package id as cargo writes it: the source without its `#rev`, then `#name@version`.
fn id_of(source: &str, name: &str, version: &str) -> String {
    let url = source.split('#').next().unwrap_or(source);
    format!("{url}#{name}@{version}")
}

/// Number of workspace members for a graph of `n` packages.
pub fn members(n: usize) -> usize {
    (n / 50).clamp(1, 200)
}

/// Writes the metadata JSON of a graph of `spec.packages` packages.
pub fn write_metadata(spec: GraphSpec, out: &mut dyn Write) -> io::Result<()> {
    let mut rng = Rng::new(spec.seed);
    let n = spec.packages.max(1);
    let m = members(n).min(n);
    let orgs = (n / 5).max(50);
    let mut pkgs: Vec<Pkg> = (0..n)
        .map(|i| {
            let member = i < m;
            let name = format!("{}-{}{i}", rng.pick(WORDS), rng.pick(WORDS));
            let version = format!("0.{}.{}", rng.below(40), rng.below(20));
            let (source, id) = if member {
                (None, format!("path+file:///ws/crates/{name}#{version}"))
            } else if rng.chance(4) {
                let org = format!("org{}", rng.below(orgs));
                let src = format!(
                    "git+https://github.com/{org}/{name}?branch=main#{:040x}",
                    rng.next_u64()
                );
                let id = id_of(&src, &name, &version);
                (Some(src), id)
            } else if rng.chance(3) {
                (
                    Some(PRIVATE.to_string()),
                    format!("{PRIVATE}#{name}@{version}"),
                )
            } else {
                (
                    Some(CRATES_IO.to_string()),
                    format!("{CRATES_IO}#{name}@{version}"),
                )
            };
            Pkg {
                name,
                version,
                id,
                source,
                member,
                deps: Vec::new(),
            }
        })
        .collect();
    // One package in 20 is another version of an earlier package's name.
    for i in (m + 1)..n {
        if rng.chance(5) {
            let k = m + rng.below(i - m);
            pkgs[i].name = pkgs[k].name.clone();
            pkgs[i].version = format!("{}.{}.0", 1 + i / 1000, i % 1000);
            pkgs[i].id = match &pkgs[i].source {
                Some(s) => id_of(s, &pkgs[i].name, &pkgs[i].version),
                None => unreachable!("members come first"),
            };
        }
    }

    // The spanning edges: each non-member gets a normal edge from an earlier package.
    let popular = (n / 50).max(1);
    for j in m..n {
        let parent = rng.below(j);
        let target = if rng.chance(10) {
            Some(*rng.pick(&TARGETS[..4]))
        } else {
            None
        };
        let kind = if rng.chance(8) { Some("build") } else { None };
        pkgs[parent].deps.push((j, kind, target, false, false));
    }
    // More edges, to about 4 per package: forward (no cycles but through dev edges),
    // 40% of them to the popular packages at the end (libc, serde and the like).
    for i in 0..n {
        let extra = rng.below(6);
        for _ in 0..extra {
            let to = if rng.chance(40) && i + 1 < n - popular {
                n - popular + rng.below(popular)
            } else if i + 1 < n {
                i + 1 + rng.below(n - i - 1)
            } else {
                continue;
            };
            let kind = match rng.below(100) {
                0..=79 => None,
                80..=89 => Some("build"),
                _ => Some("dev"),
            };
            let target = match rng.below(100) {
                0..=9 => Some(*rng.pick(TARGETS)),
                10 => Some("cfg(any())"),
                _ => None,
            };
            let optional = kind.is_none() && rng.chance(12);
            let enabled = optional && rng.chance(50);
            pkgs[i].deps.push((to, kind, target, optional, enabled));
        }
        // A dependency name appears once per parent (else it would need `rename`).
        let mut names = std::collections::HashSet::new();
        let deps = std::mem::take(&mut pkgs[i].deps);
        pkgs[i].deps = deps
            .into_iter()
            .filter(|d| names.insert(pkgs[d.0].name.clone()))
            .collect();
    }

    write!(out, "{{\"packages\":[")?;
    for (i, p) in pkgs.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &package_json(p, &pkgs, &mut rng, orgs))?;
    }
    let ids: Vec<&str> = pkgs[..m].iter().map(|p| p.id.as_str()).collect();
    write!(
        out,
        "],\"workspace_members\":{},\"workspace_default_members\":{},\"resolve\":{{\"nodes\":[",
        serde_json::to_string(&ids)?,
        serde_json::to_string(&ids)?
    )?;
    for (i, p) in pkgs.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &node_json(p, &pkgs))?;
    }
    write!(
        out,
        "],\"root\":null}},\"target_directory\":\"/ws/target\",\"build_directory\":\"/ws/target\",\"version\":1,\"workspace_root\":\"/ws\",\"metadata\":null}}"
    )?;
    writeln!(out)
}

/// The metadata JSON as a string.
pub fn metadata_string(spec: GraphSpec) -> String {
    let mut buf = Vec::new();
    write_metadata(spec, &mut buf).expect("writing to memory");
    String::from_utf8(buf).expect("JSON is UTF-8")
}

fn package_json(p: &Pkg, all: &[Pkg], rng: &mut Rng, orgs: usize) -> Value {
    let org = match rng.below(10) {
        0 => format!("{}-rs", rng.pick(WORDS)),
        _ => format!("org{}", rng.below(orgs)),
    };
    let host = {
        let roll = rng.below(100) as u64;
        let mut acc = 0;
        HOSTS
            .iter()
            .find(|(_, w)| {
                acc += w;
                roll < acc
            })
            .map_or("github.com", |(h, _)| *h)
    };
    let repository = match rng.below(100) {
        0..=4 => Value::Null,
        5..=7 => json!(format!(
            "https://git.{}{}.example/{}",
            org,
            rng.below(9),
            p.name
        )),
        8..=9 => json!(format!("git+https://{host}/{org}/{}.git", p.name)),
        _ => json!(format!("https://{host}/{org}/{}", p.name)),
    };
    let homepage = if rng.chance(30) {
        json!(format!("https://{}.{}.example", p.name, rng.pick(WORDS)))
    } else {
        Value::Null
    };
    let domains = [
        "gmail.com",
        "users.noreply.github.com",
        "outlook.com",
        "protonmail.com",
    ];
    let authors: Vec<String> = (0..rng.below(3))
        .map(|k| {
            let domain = if rng.chance(50) {
                (*rng.pick(&domains)).to_string()
            } else {
                format!("{}{}.example", rng.pick(WORDS), rng.below(2000))
            };
            format!("Author {k} <dev{}@{domain}>", rng.below(100_000))
        })
        .collect();
    let mut features = serde_json::Map::new();
    // `default` switches on the optional dependencies that are enabled.
    let mut default = vec!["std".to_string()];
    default.extend(
        p.deps
            .iter()
            .filter(|d| d.3 && d.4)
            .map(|d| all[d.0].name.clone()),
    );
    features.insert("default".into(), json!(default));
    features.insert("std".into(), json!([]));
    let mut weak = Vec::new();
    let dependencies: Vec<Value> = p
        .deps
        .iter()
        .map(|&(to, kind, target, optional, enabled)| {
            let d = &all[to];
            if optional && !enabled {
                weak.push(format!("{}?/std", d.name));
            }
            json!({
                "name": d.name,
                "source": d.source.as_ref().map(|s| s.split(['?', '#']).next().unwrap_or(s)),
                "req": format!("^{}", d.version),
                "kind": kind,
                "rename": null,
                "optional": optional,
                "uses_default_features": true,
                "features": [],
                "target": target,
                "registry": null,
            })
        })
        .collect();
    if !weak.is_empty() {
        features.insert("extras".into(), json!(weak));
    }
    let manifest_path = match &p.source {
        None => format!("/ws/crates/{}/Cargo.toml", p.name),
        Some(_) => format!(
            "/home/ci/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/{}-{}/Cargo.toml",
            p.name, p.version
        ),
    };
    let lib = manifest_path.replace("Cargo.toml", "src/lib.rs");
    json!({
        "name": p.name,
        "version": p.version,
        "id": p.id,
        "license": "MIT OR Apache-2.0",
        "license_file": null,
        "description": format!("The {} crate, generated for benchmarks.", p.name),
        "source": p.source,
        "dependencies": dependencies,
        "targets": [{
            "kind": ["lib"],
            "crate_types": ["lib"],
            "name": p.name.replace('-', "_"),
            "src_path": lib,
            "edition": "2021",
            "doc": true,
            "doctest": true,
            "test": true,
        }],
        "features": features,
        "manifest_path": manifest_path,
        "metadata": null,
        "publish": null,
        "authors": authors,
        "categories": [],
        "keywords": [],
        "readme": "README.md",
        "repository": repository,
        "homepage": homepage,
        "documentation": format!("https://docs.rs/{}", p.name),
        "edition": "2021",
        "links": null,
        "default_run": null,
        "rust_version": if p.member { Value::Null } else { json!("1.70") },
    })
}

fn node_json(p: &Pkg, all: &[Pkg]) -> Value {
    let mut dependencies: Vec<&str> = p.deps.iter().map(|d| all[d.0].id.as_str()).collect();
    dependencies.sort_unstable();
    dependencies.dedup();
    let deps: Vec<Value> = p
        .deps
        .iter()
        .map(|&(to, kind, target, _, _)| {
            let d = &all[to];
            json!({
                "name": d.name.replace('-', "_"),
                "pkg": d.id,
                "dep_kinds": [{"kind": kind, "target": target}],
            })
        })
        .collect();
    let mut features: Vec<String> = vec!["default".into(), "std".into()];
    for &(to, _, _, optional, enabled) in &p.deps {
        if optional && enabled {
            features.push(all[to].name.clone());
        }
    }
    features.sort();
    features.dedup();
    json!({
        "id": p.id,
        "dependencies": dependencies,
        "deps": deps,
        "features": features,
    })
}

/// A graph of a shape that stresses one part of the graph stage, rather than a
/// realistic one. One workspace member `root`; path packages are named `path-N`,
/// crates.io packages `reg-N`.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// `root -> path-1 -> ... -> path-N -> reg-1`: a chain `n` packages deep.
    Chain(usize),
    /// A chain of `paths` path packages, the last depending on `registry` crates.io
    /// packages: every crates.io package's path runs through all path packages.
    PathsBeforeRegistry { paths: usize, registry: usize },
    /// `root` with `n` direct crates.io dependencies.
    WideRoot(usize),
}

impl Shape {
    /// A short name for file names and bench rows.
    pub fn label(&self) -> String {
        match self {
            Shape::Chain(n) => format!("chain-{n}"),
            Shape::PathsBeforeRegistry { paths, registry } => {
                format!("paths-{paths}-before-registry-{registry}")
            }
            Shape::WideRoot(n) => format!("wide-root-{n}"),
        }
    }
}

/// Writes the metadata JSON of a [`Shape`]. Every package has a `default` feature, every
/// edge its declaration (normal, not optional), so the graph stage resolves features
/// over the whole graph.
pub fn write_shape(shape: Shape, out: &mut dyn Write) -> io::Result<()> {
    // (name, is a path package, dependencies as indices)
    let mut pkgs: Vec<(String, bool, Vec<usize>)> = vec![("root".into(), true, Vec::new())];
    let add = |pkgs: &mut Vec<(String, bool, Vec<usize>)>, name: String, path: bool| {
        pkgs.push((name, path, Vec::new()));
        pkgs.len() - 1
    };
    match shape {
        Shape::Chain(n) => {
            let mut prev = 0;
            for i in 1..n {
                let p = add(&mut pkgs, format!("path-{i}"), true);
                pkgs[prev].2.push(p);
                prev = p;
            }
            let r = add(&mut pkgs, "reg-1".into(), false);
            pkgs[prev].2.push(r);
        }
        Shape::PathsBeforeRegistry { paths, registry } => {
            let mut prev = 0;
            for i in 1..=paths {
                let p = add(&mut pkgs, format!("path-{i}"), true);
                pkgs[prev].2.push(p);
                prev = p;
            }
            for i in 1..=registry {
                let r = add(&mut pkgs, format!("reg-{i}"), false);
                pkgs[prev].2.push(r);
            }
        }
        Shape::WideRoot(n) => {
            for i in 1..=n {
                let r = add(&mut pkgs, format!("reg-{i}"), false);
                pkgs[0].2.push(r);
            }
        }
    }
    let id = |(name, path, _): &(String, bool, Vec<usize>)| {
        if *path {
            format!("path+file:///ws/{name}#{name}@1.0.0")
        } else {
            format!("{CRATES_IO}#{name}@1.0.0")
        }
    };
    write!(out, "{{\"packages\":[")?;
    for (i, p) in pkgs.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let (name, path, deps) = p;
        let source = if *path { Value::Null } else { json!(CRATES_IO) };
        let manifest = if *path {
            format!("/ws/{name}/Cargo.toml")
        } else {
            format!(
                "/home/ci/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/{name}-1.0.0/Cargo.toml"
            )
        };
        write!(
            out,
            "{{\"name\":{},\"version\":\"1.0.0\",\"id\":{},\"source\":{},\"dependencies\":[",
            json!(name),
            json!(id(p)),
            source
        )?;
        for (j, &d) in deps.iter().enumerate() {
            if j > 0 {
                out.write_all(b",")?;
            }
            write!(
                out,
                "{{\"name\":{},\"req\":\"^1\",\"kind\":null,\"optional\":false,\"uses_default_features\":true,\"features\":[],\"target\":null}}",
                json!(pkgs[d].0)
            )?;
        }
        write!(
            out,
            "],\"targets\":[{{\"kind\":[\"lib\"],\"name\":{}}}],\"features\":{{\"default\":[\"std\"],\"std\":[]}},\"manifest_path\":{},\"repository\":{},\"authors\":[]}}",
            json!(name.replace('-', "_")),
            json!(manifest),
            json!(format!("https://github.com/shape-org/{name}"))
        )?;
    }
    write!(
        out,
        "],\"workspace_members\":[{}],\"resolve\":{{\"nodes\":[",
        json!(id(&pkgs[0]))
    )?;
    for (i, p) in pkgs.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{{\"id\":{},\"deps\":[", json!(id(p)))?;
        for (j, &d) in p.2.iter().enumerate() {
            if j > 0 {
                out.write_all(b",")?;
            }
            write!(
                out,
                "{{\"name\":{},\"pkg\":{},\"dep_kinds\":[{{\"kind\":null,\"target\":null}}]}}",
                json!(pkgs[d].0.replace('-', "_")),
                json!(id(&pkgs[d]))
            )?;
        }
        write!(out, "],\"features\":[\"default\",\"std\"]}}")?;
    }
    writeln!(
        out,
        "],\"root\":null}},\"target_directory\":\"/ws/target\",\"version\":1,\"workspace_root\":\"/ws\",\"metadata\":null}}"
    )
}

/// The metadata JSON of a [`Shape`] as a string.
pub fn shape_string(shape: Shape) -> String {
    let mut buf = Vec::new();
    write_shape(shape, &mut buf).expect("writing to memory");
    String::from_utf8(buf).expect("JSON is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use cargo_vendor_audit::graph::{Graph, GraphOptions};

    #[test]
    fn parses_and_reaches_every_package() {
        let spec = GraphSpec {
            packages: 600,
            seed: 1,
        };
        let text = metadata_string(spec);
        assert_eq!(text, metadata_string(spec), "deterministic");
        let metadata = cargo_vendor_audit::input::metadata::parse(text, "generated").unwrap();
        assert_eq!(metadata.model().packages.len(), 600);
        let graph = Graph::build(&metadata, &GraphOptions::default()).unwrap();
        assert_eq!(graph.roots.len(), members(600));
        assert_eq!(graph.reached().count(), 600);
        let edges: usize = graph.edges.iter().map(Vec::len).sum();
        assert!((1200..3000).contains(&edges), "{edges} edges");
    }

    /// Every shape builds, and a deep chain goes through the graph stage (build, kinds,
    /// paths, `via`) on a small stack: no walk recurses on the input's depth.
    #[test]
    fn shapes_on_a_small_stack() {
        let run = || {
            for shape in [
                Shape::Chain(50_000),
                Shape::PathsBeforeRegistry {
                    paths: 2_000,
                    registry: 20,
                },
                Shape::WideRoot(20_000),
            ] {
                let metadata =
                    cargo_vendor_audit::input::metadata::parse(shape_string(shape), "shape")
                        .unwrap();
                let n = metadata.model().packages.len();
                let graph = Graph::build(&metadata, &GraphOptions::default()).unwrap();
                assert_eq!(graph.reached().count(), n, "{shape:?}");
                let last = n - 1;
                let paths =
                    graph
                        .path_finder()
                        .paths(last, cargo_vendor_audit::graph::Kinds::ALL, 5);
                assert_eq!(paths.len(), 1, "{shape:?}");
                assert_eq!(paths[0][0].package, 0);
                assert_eq!(paths[0].last().unwrap().package, last);
                assert!(graph.reaches_via(last, &["root".to_string()]));
            }
        };
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
    }
}
