//! The graph stage on real `cargo metadata` output of ripgrep, wasmtime and deno.
//!
//! Expected numbers were worked out independently of this crate, with a short Python
//! script over the JSON files that applies the SPEC section 2 rules (declared
//! non-optional or switched on by a feature; `cfg(any())` dropped; dev edges only
//! out of roots; BFS over (package, kind)). Where a number is explained by a few
//! edges, the comment lists them (read with `jq` over `resolve.nodes`).

use crate::support::corpus;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use cargo_vendor_audit::graph::{DepKind, Graph, GraphError, GraphOptions, Kinds};
use cargo_vendor_audit::input::metadata::{self, MetadataSource};

fn corpus_path(name: &str) -> std::path::PathBuf {
    corpus::path(&format!("{name}.metadata.json"))
}

fn load(name: &str) -> metadata::Metadata {
    metadata::load(&MetadataSource::File(corpus_path(name))).unwrap_or_else(|e| panic!("{e}"))
}

fn ripgrep() -> &'static metadata::Metadata {
    static M: OnceLock<metadata::Metadata> = OnceLock::new();
    M.get_or_init(|| load("ripgrep"))
}

fn deno() -> &'static metadata::Metadata {
    static M: OnceLock<metadata::Metadata> = OnceLock::new();
    M.get_or_init(|| load("deno"))
}

fn build(m: &metadata::Metadata, opts: &GraphOptions) -> Graph {
    Graph::build(m, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// `--target` each of `triples`, built on a Linux host.
fn targets(triples: &[&str]) -> GraphOptions {
    on_host(triples, "x86_64-unknown-linux-gnu")
}

/// `--target` each of `triples`, `--host host`.
fn on_host(triples: &[&str], host: &str) -> GraphOptions {
    GraphOptions {
        targets: triples.iter().map(|t| t.to_string()).collect(),
        host: Some(host.to_string()),
        ..Default::default()
    }
}

/// Index of the only package of that name (panics if none or several).
fn idx(g: &Graph, name: &str) -> usize {
    let found: Vec<usize> = (0..g.packages.len())
        .filter(|&i| g.packages[i].name == name)
        .collect();
    assert_eq!(found.len(), 1, "packages named {name}");
    found[0]
}

fn idx_v(g: &Graph, name: &str, version: &str) -> usize {
    (0..g.packages.len())
        .find(|&i| g.packages[i].name == name && g.packages[i].version.to_string() == version)
        .unwrap_or_else(|| panic!("{name}@{version} not in metadata"))
}

fn reached(g: &Graph, i: usize) -> bool {
    !g.kinds[i].is_empty()
}

fn kinds(list: &[DepKind]) -> Kinds {
    list.iter().copied().collect()
}

fn path_specs(g: &Graph, paths: &[Vec<cargo_vendor_audit::graph::Step>]) -> Vec<Vec<String>> {
    paths
        .iter()
        .map(|p| p.iter().map(|s| g.packages[s.package].spec()).collect())
        .collect()
}

#[test]
fn counts_on_the_three_corpora() {
    // (name, packages, members = default roots, reached, reached non-members)
    let expected = [
        ("ripgrep", 60, 11, 60, 49),
        ("wasmtime", 523, 98, 508, 410),
        ("deno", 1113, 81, 1091, 1010),
    ];
    for (name, packages, members, reached_all, reached_deps) in expected {
        let m = load(name);
        let g = build(&m, &GraphOptions::default());
        assert_eq!(g.packages.len(), packages, "{name}");
        assert_eq!(g.roots.len(), members, "{name}: every member is a root");
        assert!(g.roots.iter().all(|&r| g.packages[r].workspace_member));
        assert_eq!(g.reached().count(), reached_all, "{name}");
        let deps = g
            .reached()
            .filter(|&i| !g.packages[i].workspace_member)
            .count();
        assert_eq!(deps, reached_deps, "{name}");
        // Roots are reached by the empty path: normal.
        assert!(
            g.roots
                .iter()
                .all(|&r| g.kinds[r].contains(DepKind::Normal))
        );
        // `--workspace` gives the same roots as the default.
        let w = build(
            &m,
            &GraphOptions {
                workspace: true,
                ..Default::default()
            },
        );
        assert_eq!(w.roots, g.roots);
        // Edges are sorted and unique, and every target is in range.
        for out in &g.edges {
            assert!(
                out.windows(2)
                    .all(|w| (w[0].to, w[0].kind) < (w[1].to, w[1].kind))
            );
            assert!(out.iter().all(|e| e.to < g.packages.len()));
        }
    }
}

#[test]
fn wasmtime_packages_only_in_resolve_are_not_reached() {
    // 15 packages of wasmtime's resolve are not built: e.g. the 0.244 wasm-tools
    // family, pulled only by the optional `wit-bindgen` 0.51 deps that no enabled
    // feature switches on.
    let m = load("wasmtime");
    let g = build(&m, &GraphOptions::default());
    let not_reached: BTreeSet<String> = (0..g.packages.len())
        .filter(|&i| !reached(&g, i))
        .map(|i| g.packages[i].spec())
        .collect();
    assert_eq!(not_reached.len(), 15, "{not_reached:?}");
    assert!(not_reached.contains("wasmparser@0.244.0"));
    assert!(not_reached.contains("wit-bindgen-rust@0.51.0"));
}

#[test]
fn deno_weak_feature_does_not_build_openssl() {
    // keyring and dbus-secret-service both list openssl in `resolve`, but their
    // enabled `vendored` features only say `openssl?/vendored`; nothing enables
    // `dep:openssl` or a strong `openssl/..`. openssl-sys and openssl-src are reached
    // only through openssl (the only resolve edges into them: openssl -> openssl-sys
    // -> openssl-src), so none of the three is built.
    let g = build(deno(), &GraphOptions::default());
    for (name, version) in [
        ("openssl", "0.10.80"),
        ("openssl-sys", "0.9.116"),
        ("openssl-src", "300.5.0+3.5.0"),
        ("openssl-macros", "0.1.1"),
    ] {
        let i = idx_v(&g, name, version);
        assert!(!reached(&g, i), "{name}@{version} must not be reached");
        assert!(g.paths(i, Kinds::ALL, 5).is_empty());
    }
    // The edge itself is pruned, while keyring's non-optional `log` stays.
    let keyring = idx(&g, "keyring");
    let openssl = idx_v(&g, "openssl", "0.10.80");
    assert!(reached(&g, keyring));
    assert!(g.edges[keyring].iter().all(|e| e.to != openssl));
    assert!(
        g.edges[keyring]
            .iter()
            .any(|e| g.packages[e.to].name == "log")
    );
    // openssl-probe is reached (rustls-native-certs, `cfg(all(unix, not(macos)))`).
    assert!(reached(&g, idx(&g, "openssl-probe")));
}

#[test]
fn cfg_any_edges_are_dropped() {
    // ripgrep: `serde_json -> serde` has one dep_kinds entry, `cfg(any())` (the
    // version pin trick); so has `serde_core -> serde_derive`.
    let g = build(ripgrep(), &GraphOptions::default());
    let serde_json = idx(&g, "serde_json");
    let serde = idx(&g, "serde");
    assert!(g.edges[serde_json].iter().all(|e| e.to != serde));
    let serde_core = idx(&g, "serde_core");
    let serde_derive = idx(&g, "serde_derive");
    assert!(g.edges[serde_core].iter().all(|e| e.to != serde_derive));
    // serde_derive is still reached, as a dev-dependency of ripgrep itself.
    assert_eq!(g.kinds[serde_derive], Kinds::of(DepKind::Dev));
    // No path goes through the dropped edge.
    for p in g.paths(serde, Kinds::ALL, 5) {
        assert!(p.iter().all(|s| s.package != serde_json));
    }
}

#[test]
fn target_triples_select_platform_edges() {
    // Edges into winapi-util are all `cfg(windows)` (grep-cli, ignore, same-file,
    // termcolor, walkdir), and winapi-util -> windows-sys is `cfg(windows)`.
    // getrandom is reached only from jobserver under `cfg(windows)`, and jobserver
    // only from cc, a build-dependency: it is built on a Windows host only.
    // tikv-jemallocator only from ripgrep under
    // `cfg(all(target_env = "musl", target_pointer_width = "64"))`.
    // libc is reached unconditionally through pcre2 and pcre2-sys.
    let m = ripgrep();
    let linux = build(m, &targets(&["x86_64-unknown-linux-gnu"]));
    let windows = build(m, &targets(&["x86_64-pc-windows-msvc"]));
    let musl = build(m, &targets(&["x86_64-unknown-linux-musl"]));
    let both = build(
        m,
        &targets(&["x86_64-unknown-linux-gnu", "x86_64-pc-windows-msvc"]),
    );
    for name in ["winapi-util", "windows-sys"] {
        assert!(!reached(&linux, idx(&linux, name)), "{name} on linux");
        assert!(reached(&windows, idx(&windows, name)), "{name} on windows");
        assert!(reached(&both, idx(&both, name)), "{name} on both");
    }
    let getrandom = idx(&linux, "getrandom");
    assert!(
        !reached(&windows, getrandom),
        "getrandom for windows on linux"
    );
    let on_windows = build(
        m,
        &on_host(&["x86_64-unknown-linux-gnu"], "x86_64-pc-windows-msvc"),
    );
    assert_eq!(on_windows.kinds[getrandom], Kinds::of(DepKind::Build));
    assert!(!reached(&on_windows, idx(&on_windows, "winapi-util")));
    for name in ["tikv-jemallocator", "tikv-jemalloc-sys"] {
        assert!(!reached(&linux, idx(&linux, name)), "{name} on linux-gnu");
        assert!(!reached(&windows, idx(&windows, name)), "{name} on windows");
        assert!(reached(&musl, idx(&musl, name)), "{name} on musl");
    }
    assert!(reached(&linux, idx(&linux, "libc")));
    assert!(reached(&windows, idx(&windows, "libc")));
    // A union of triples reaches exactly the union of each one's packages.
    let union: BTreeSet<usize> = linux.reached().chain(windows.reached()).collect();
    assert_eq!(both.reached().collect::<BTreeSet<_>>(), union);
    // Without --target everything platform-specific is in.
    let all = build(m, &GraphOptions::default());
    assert!(union.iter().all(|&i| reached(&all, i)));
    assert!(all.reached().count() > both.reached().count());
}

#[test]
fn deno_windows_only_crates() {
    let g_linux = build(deno(), &targets(&["x86_64-unknown-linux-gnu"]));
    let g_win = build(
        deno(),
        &on_host(&["x86_64-pc-windows-msvc"], "x86_64-pc-windows-msvc"),
    );
    // winapi is reached only through `cfg(windows)`/`cfg(target_os = "windows")` edges.
    let w = idx_v(&g_linux, "winapi", "0.3.9");
    assert!(!reached(&g_linux, w));
    assert!(reached(&g_win, w));
    // On windows, no unix-only crate: nix is reached only through `cfg(unix)` edges.
    let nix: Vec<usize> = (0..g_win.packages.len())
        .filter(|&i| g_win.packages[i].name == "nix")
        .collect();
    assert!(!nix.is_empty());
    assert!(nix.iter().all(|&i| !reached(&g_win, i)));
    assert!(nix.iter().any(|&i| reached(&g_linux, i)));
    // Built on Linux, a Windows target still has nix, through what runs on the host.
    let cross = build(deno(), &targets(&["x86_64-pc-windows-msvc"]));
    assert!(nix.iter().any(|&i| reached(&cross, i)));
}

#[test]
fn unknown_target_is_an_error() {
    let err = Graph::build(ripgrep(), &targets(&["x86_64-unknown-nowhere"])).unwrap_err();
    assert!(matches!(err, GraphError::UnknownTarget(t) if t == "x86_64-unknown-nowhere"));
}

#[test]
fn kinds_build_only_and_dev_only() {
    let g = build(ripgrep(), &GraphOptions::default());
    // pkg-config: only edge is pcre2-sys's build-dependency.
    assert_eq!(g.kinds[idx(&g, "pkg-config")], Kinds::of(DepKind::Build));
    // cc: build-dependency of pcre2-sys and tikv-jemalloc-sys only.
    assert_eq!(g.kinds[idx(&g, "cc")], Kinds::of(DepKind::Build));
    // regex: dev-dependency of the members grep-matcher and grep-searcher only.
    assert_eq!(g.kinds[idx(&g, "regex")], Kinds::of(DepKind::Dev));
    // memmap2: grep-searcher's normal dependency; nothing else.
    assert_eq!(g.kinds[idx(&g, "memmap2")], Kinds::of(DepKind::Normal));
    // libc: normal (pcre2) and build (cc -> libc under a build-dependency).
    assert_eq!(
        g.kinds[idx(&g, "libc")],
        kinds(&[DepKind::Normal, DepKind::Build])
    );
    // --exclude-dev: dev-only packages are gone, the rest keeps its non-dev kinds.
    let nd = build(
        ripgrep(),
        &GraphOptions {
            exclude_dev: true,
            ..Default::default()
        },
    );
    assert!(!reached(&nd, idx(&nd, "regex")));
    assert!(nd.reached().all(|i| !nd.kinds[i].contains(DepKind::Dev)));
    assert!(nd.edges.iter().flatten().all(|e| e.kind != DepKind::Dev));
    assert_eq!(nd.kinds[idx(&nd, "cc")], Kinds::of(DepKind::Build));
}

#[test]
fn dev_edges_only_out_of_roots() {
    // With `-p ripgrep`, the members grep-matcher/grep-searcher are walked through but
    // not tested, so their dev-dependency regex is not reached.
    let g = build(
        ripgrep(),
        &GraphOptions {
            packages: vec!["ripgrep".into()],
            ..Default::default()
        },
    );
    assert_eq!(g.roots, vec![idx(&g, "ripgrep")]);
    let searcher = idx(&g, "grep-searcher");
    assert!(reached(&g, searcher));
    assert!(g.edges[searcher].iter().all(|e| e.kind != DepKind::Dev));
    assert!(!reached(&g, idx(&g, "regex")));
}

#[test]
fn known_shortest_paths() {
    let g = build(ripgrep(), &GraphOptions::default());
    // pcre2-sys: one shortest path, member grep-pcre2 -> pcre2 -> pcre2-sys.
    let p = g.paths(idx(&g, "pcre2-sys"), Kinds::ALL, 5);
    assert_eq!(
        path_specs(&g, &p[..1]),
        [["grep-pcre2@0.1.10", "pcre2@0.2.11", "pcre2-sys@0.2.10"]]
    );
    assert_eq!(p[0][0].edge, None);
    assert_eq!(p[0][1].edge, Some(DepKind::Normal));
    assert!(p.windows(2).all(|w| w[0].len() <= w[1].len()));
    // windows-sys: two shortest paths of 3, through grep-cli and through ignore.
    let p = g.paths(idx(&g, "windows-sys"), Kinds::ALL, 5);
    let first_two: BTreeSet<Vec<String>> = path_specs(&g, &p[..2]).into_iter().collect();
    let expected: BTreeSet<Vec<String>> = [
        [
            "grep-cli@0.1.12",
            "winapi-util@0.1.11",
            "windows-sys@0.61.2",
        ],
        ["ignore@0.4.33", "winapi-util@0.1.11", "windows-sys@0.61.2"],
    ]
    .iter()
    .map(|p| p.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(first_two, expected);
    assert_eq!(p.len(), 5);
    assert!(p.iter().all(|p| p.len() >= 3));
    // Same answer twice (deterministic), and a PathFinder gives the same.
    assert_eq!(g.paths(idx(&g, "windows-sys"), Kinds::ALL, 5), p);
    assert_eq!(
        g.path_finder().paths(idx(&g, "windows-sys"), Kinds::ALL, 5),
        p
    );
    // regex is dev-only: no normal path, dev paths from grep-matcher or grep-searcher.
    let regex = idx(&g, "regex");
    assert!(g.paths(regex, Kinds::of(DepKind::Normal), 5).is_empty());
    let p = g.paths(regex, Kinds::of(DepKind::Dev), 5);
    assert_eq!(p[0].len(), 2);
    assert_eq!(p[0][1].edge, Some(DepKind::Dev));
}

#[test]
fn paths_on_deno_are_bounded_and_sorted() {
    let g = build(deno(), &GraphOptions::default());
    let finder = g.path_finder();
    for i in g.reached() {
        let p = finder.paths(i, Kinds::ALL, 5);
        assert!(!p.is_empty(), "{}", g.packages[i].spec());
        assert!(p.windows(2).all(|w| w[0].len() <= w[1].len()));
        for path in &p {
            assert!(g.roots.contains(&path[0].package));
            assert_eq!(path.last().unwrap().package, i);
            let unique: BTreeSet<usize> = path.iter().map(|s| s.package).collect();
            assert_eq!(unique.len(), path.len(), "simple path");
        }
    }
}

#[test]
fn reaches_via_on_ripgrep() {
    let g = build(ripgrep(), &GraphOptions::default());
    let pcre2_sys = idx(&g, "pcre2-sys");
    let via = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(g.reaches_via(pcre2_sys, &[]));
    assert!(g.reaches_via(pcre2_sys, &via(&["grep_pcre2", "PCRE2"])));
    // grep's optional grep-pcre2 is off (no `pcre2` feature): only the member
    // grep-pcre2 leads to pcre2.
    assert!(!g.reaches_via(pcre2_sys, &via(&["ripgrep", "grep", "pcre2"])));
    assert!(!g.reaches_via(pcre2_sys, &via(&["grep"])));
    assert!(g.reaches_via(pcre2_sys, &via(&["pcre2-sys"])));
    assert!(!g.reaches_via(pcre2_sys, &via(&["pcre2", "grep-pcre2"])));
    assert!(!g.reaches_via(pcre2_sys, &via(&["memmap2"])));
    let openssl = idx_v(
        &build(deno(), &GraphOptions::default()),
        "openssl",
        "0.10.80",
    );
    let gd = build(deno(), &GraphOptions::default());
    assert!(!gd.reaches_via(openssl, &[]));
    assert!(!gd.reaches_via(openssl, &via(&["keyring"])));
}

#[test]
fn root_selection() {
    let m = ripgrep();
    let opts = |packages: &[&str], workspace: bool, exclude: &[&str]| GraphOptions {
        packages: packages.iter().map(|s| s.to_string()).collect(),
        workspace,
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let specs =
        |g: &Graph| -> Vec<String> { g.roots.iter().map(|&r| g.packages[r].spec()).collect() };
    let g = build(m, &opts(&["grep@0.4.1"], false, &[]));
    assert_eq!(specs(&g), ["grep@0.4.1"]);
    let g = build(m, &opts(&["grep@0.4"], false, &[]));
    assert_eq!(specs(&g), ["grep@0.4.1"]);
    let g = build(
        m,
        &opts(&["path+file:///home/ci/src/ripgrep#15.2.0"], false, &[]),
    );
    assert_eq!(specs(&g), ["ripgrep@15.2.0"]);
    // 7 members match grep-*: cli, index, matcher, pcre2, printer, regex, searcher.
    let g = build(m, &opts(&["grep-*"], false, &["grep-index"]));
    assert_eq!(g.roots.len(), 6);
    let g = build(m, &opts(&[], true, &["ripgrep", "no-such-member"]));
    assert_eq!(g.roots.len(), 10);
    // --exclude without --workspace trims the default set.
    let g = build(m, &opts(&[], false, &["ripgrep"]));
    assert_eq!(g.roots.len(), 10);
    // Excluding every member leaves nothing to walk (not an error).
    let g = build(m, &opts(&[], true, &["*"]));
    assert!(g.roots.is_empty());
    assert_eq!(g.reached().count(), 0);
    // -p is ignored under --workspace, as cargo does.
    let g = build(m, &opts(&["grep"], true, &[]));
    assert_eq!(g.roots.len(), 11);

    for bad in ["serde", "grep@9", "nope", "grep-z*"] {
        let err = Graph::build(m, &opts(&[bad], false, &[])).unwrap_err();
        assert!(
            matches!(&err, GraphError::UnknownPackage(s) if s == bad),
            "{bad}: {err}"
        );
    }
}

/// The ripgrep metadata as JSON, edited by `edit`, parsed back.
fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> metadata::Metadata {
    let text = std::fs::read_to_string(corpus_path("ripgrep")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    metadata::parse(v.to_string(), "edited").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn ambiguous_package_spec() {
    // Rename the member `grep` to `globset`: two members named globset.
    let m = edited(|v| {
        for p in v["packages"].as_array_mut().unwrap() {
            if p["name"] == "grep" {
                p["name"] = "globset".into();
            }
        }
    });
    let err = Graph::build(
        &m,
        &GraphOptions {
            packages: vec!["globset".into()],
            ..Default::default()
        },
    )
    .unwrap_err();
    let GraphError::AmbiguousPackage { spec, candidates } = &err else {
        panic!("{err}")
    };
    assert_eq!(spec, "globset");
    assert!(candidates.contains("globset@0.4.20") && candidates.contains("globset@0.4.1"));
    // With the version it is not ambiguous.
    let g = build(
        &m,
        &GraphOptions {
            packages: vec!["globset@0.4.1".into()],
            ..Default::default()
        },
    );
    assert_eq!(g.roots.len(), 1);
}

#[test]
fn bad_metadata_is_an_error_not_a_panic() {
    let m = edited(|v| v["resolve"] = serde_json::Value::Null);
    assert!(matches!(
        Graph::build(&m, &GraphOptions::default()),
        Err(GraphError::NoResolve)
    ));

    let m = edited(|v| {
        v["resolve"]["nodes"][0]["deps"][0]["pkg"] = "registry+https://x#ghost@1.0.0".into();
    });
    let err = Graph::build(&m, &GraphOptions::default()).unwrap_err();
    assert!(
        matches!(&err, GraphError::Inconsistent(s) if s.contains("ghost@1.0.0")),
        "{err}"
    );

    let m = edited(|v| {
        v["resolve"]["nodes"][3]["id"] = "path+file:///nowhere#ghost@0.1.0".into();
    });
    let err = Graph::build(&m, &GraphOptions::default()).unwrap_err();
    assert!(matches!(&err, GraphError::Inconsistent(s) if s.contains("ghost@0.1.0")));

    let m = edited(|v| {
        v["workspace_members"][0] = "path+file:///nowhere#member@0.1.0".into();
    });
    let err = Graph::build(&m, &GraphOptions::default()).unwrap_err();
    assert!(matches!(&err, GraphError::Inconsistent(s) if s.contains("member@0.1.0")));

    // A resolve without nodes: roots only.
    let m = edited(|v| v["resolve"]["nodes"] = serde_json::json!([]));
    let g = build(&m, &GraphOptions::default());
    assert_eq!(g.reached().count(), 11);
}

#[test]
fn package_fields_come_from_metadata() {
    let g = build(ripgrep(), &GraphOptions::default());
    let rg = &g.packages[idx(&g, "ripgrep")];
    assert!(rg.workspace_member);
    assert_eq!(rg.source, None);
    assert_eq!(rg.id, "path+file:///home/ci/src/ripgrep#15.2.0");
    assert!(rg.manifest_path.ends_with("ripgrep/Cargo.toml"));
    let memchr = &g.packages[idx(&g, "memchr")];
    assert!(!memchr.workspace_member);
    assert_eq!(
        memchr.source.as_deref(),
        Some("registry+https://github.com/rust-lang/crates.io-index")
    );
    assert_eq!(
        memchr.repository.as_deref(),
        Some("https://github.com/BurntSushi/memchr")
    );
    assert!(!memchr.authors.is_empty());
    assert_eq!(g.workspace_root.to_str(), Some("/home/ci/src/ripgrep"));
}

#[test]
fn not_metadata_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\"packages\": [\n  {\"name\": 3}\n]}").unwrap();
    let err = metadata::load(&MetadataSource::File(path.clone())).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("broken.json"), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
    assert!(msg.contains("cargo metadata --format-version 1"), "{msg}");
}

#[test]
fn metadata_of_old_cargo_still_builds() {
    // cargo < 1.71 has no `workspace_default_members`, cargo < 1.41 no `dep_kinds`
    // (every dependency then counts as one plain normal entry).
    let m = edited(|v| {
        v.as_object_mut()
            .unwrap()
            .remove("workspace_default_members");
        for node in v["resolve"]["nodes"].as_array_mut().unwrap() {
            for dep in node["deps"].as_array_mut().unwrap() {
                dep.as_object_mut().unwrap().remove("dep_kinds");
            }
        }
    });
    let g = build(&m, &GraphOptions::default());
    assert_eq!(g.roots.len(), 11);
    assert_eq!(g.reached().count(), 60);
    assert!(g.edges.iter().flatten().all(|e| e.kind == DepKind::Normal));
}

/// Strings with JSON escapes are copied, not borrowed, by the metadata model: the graph is
/// the same. Every `/` (which only strings hold) is written `\/` here.
#[test]
fn escaped_strings_give_the_same_graph() {
    let text = std::fs::read_to_string(corpus_path("ripgrep")).unwrap();
    assert!(text.matches('/').count() > 1000);
    let escaped = metadata::parse(text.replace('/', "\\/"), "escaped").unwrap();
    for opts in [
        GraphOptions::default(),
        targets(&["x86_64-pc-windows-msvc"]),
    ] {
        let plain = build(ripgrep(), &opts);
        let other = build(&escaped, &opts);
        assert_eq!(format!("{other:?}"), format!("{plain:?}"));
    }
}

/// `features` is read for a package that is built with a feature enabled and whose
/// features can change what is built (it has an optional dependency or a `dep/feat`
/// value); then a malformed one is an error that names the package. Other packages'
/// features are never read.
#[test]
fn malformed_features_are_an_error_when_needed() {
    let with = |name: &str, features: serde_json::Value| {
        edited(|v| {
            for p in v["packages"].as_array_mut().unwrap() {
                if p["name"] == name {
                    p["features"] = features.clone();
                }
            }
        })
    };
    // regex has optional dependencies; `default` is enabled.
    for features in [
        serde_json::json!({"default": "not a list"}),
        serde_json::json!(["not", "a", "map"]),
    ] {
        let err = Graph::build(&with("regex", features), &GraphOptions::default()).unwrap_err();
        assert!(
            matches!(&err, GraphError::Inconsistent(s) if s.contains("features") && s.contains("regex@")),
            "{err}"
        );
        assert!(!err.to_string().contains("line 1"), "{err}");
    }
    // termcolor has no optional dependency and no `dep/feat` value.
    let m = with("termcolor", serde_json::json!(3));
    assert_eq!(build(&m, &GraphOptions::default()).reached().count(), 60);
    let wasmtime = load("wasmtime");
    let g = build(&wasmtime, &GraphOptions::default());
    let unbuilt = (0..g.packages.len())
        .find(|&i| g.kinds[i].is_empty())
        .expect("wasmtime's metadata lists packages that are not built");
    let id = g.packages[unbuilt].id.clone();
    let text = std::fs::read_to_string(corpus_path("wasmtime")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for p in v["packages"].as_array_mut().unwrap() {
        if p["id"] == id.as_str() {
            p["features"] = serde_json::json!(3);
        }
    }
    let m = metadata::parse(v.to_string(), "edited").unwrap();
    assert_eq!(
        build(&m, &GraphOptions::default()).reached().count(),
        g.reached().count()
    );
}

/// A `cfg(...)` nested 100,000 deep (cargo's parser recurses on the nesting) is kept
/// unevaluated, as an expression we cannot read: no stack overflow, no lost edge.
#[test]
fn deeply_nested_cfg_is_kept_not_parsed() {
    let deep = format!("cfg({}unix{})", "not(".repeat(100_000), ")".repeat(100_000));
    let mut edited_dep = String::new();
    let m = edited(|v| {
        let node = v["resolve"]["nodes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|n| !n["deps"].as_array().unwrap().is_empty())
            .unwrap();
        let dep = &mut node["deps"][0];
        edited_dep = dep["pkg"].as_str().unwrap().to_string();
        dep["dep_kinds"] = serde_json::json!([{"kind": null, "target": deep}]);
    });
    let g = build(&m, &targets(&["x86_64-unknown-linux-gnu"]));
    let i = (0..g.packages.len())
        .find(|&i| g.packages[i].id == edited_dep)
        .unwrap();
    assert!(!g.kinds[i].is_empty());
}
