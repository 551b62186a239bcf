//! The graph stage against cargo itself: generated path-only workspaces, real
//! `cargo metadata --offline`, and `cargo tree` as the oracle for the set of packages
//! cargo builds (book: docs/src/inputs.md, "The graph").

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use cargo_vendor_audit::graph::{DepKind, Graph, GraphOptions, Kinds};
use cargo_vendor_audit::input::metadata::{self, CargoInvocation, MetadataSource};

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A library package `name` at `dir` with extra manifest text.
fn package(dir: &Path, name: &str, extra: &str) {
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{extra}"
        ),
    );
    write(&dir.join("src/lib.rs"), "");
}

/// A leaf library with a feature `x` (so `NAME/x` and `NAME?/x` are valid).
fn leaf(root: &Path, name: &str) {
    package(&root.join("deps").join(name), name, "[features]\nx = []\n");
}

fn dep(name: &str, rest: &str) -> String {
    format!("{name} = {{ path = \"../../../deps/{name}\"{rest} }}\n")
}

/// The workspace: `ws/` (virtual: members `app`, `lib2`) and non-member path
/// packages in `deps/`, outside the workspace so they are not members.
///
/// What each package tests, and whether cargo builds it:
/// - `a`: normal dep of both members; its `v` feature (enabled by app) is only
///   `a-weak?/x`, so its optional `a-weak` is not built (deno's openssl pattern).
/// - `opt-on`: optional, implicit feature enabled by app's default: built.
/// - `opt-off`: optional, never enabled: not even in resolve.
/// - `weak`: optional, app's `f = ["weak?/x"]` enabled: in resolve, not built.
/// - `strong`: optional, app's `g = ["strong/x"]` enabled: built.
/// - `dep-colon`: optional, app's `h = ["dep:dep-colon"]`: built.
/// - `renamed-pkg` as `ren`: optional, app's `r = ["dep:ren"]`: built.
/// - `renamed-weak` as `rw`: optional, only `rw?/x`: not built.
/// - `twice`: optional under `cfg(unix)` (never enabled), plain under `cfg(windows)`:
///   built, for windows only.
/// - `winonly`: `cfg(windows)`. `unixonly`: `cfg(unix)`. `triple-only`: the plain
///   triple `x86_64-pc-windows-msvc`.
/// - `pinned`: only under `cfg(any())`: cargo tree lists it, cargo never builds it.
/// - `bdep` -> `bdep-child`: build-dependency of app and its normal dep: build.
/// - `ddep` with build-dep `ddep-build`: dev-dependency of app: both dev.
/// - `mixed`: normal dep of `a`, dev-dep of app: normal and dev.
/// - `l2dev`: dev-dependency of member lib2: dev, only when lib2 is a root.
/// - `ddep-dev`: dev-dependency of the non-member `ddep`: not even in the metadata.
fn generate(root: &Path) {
    let ws = root.join("ws");
    write(
        &ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"crates/app\", \"crates/lib2\"]\nresolver = \"2\"\n",
    );
    let app = format!(
        "[dependencies]\n{}{}{}{}{}{}{}{}{}\
         [target.'cfg(windows)'.dependencies]\n{}{}\
         [target.'cfg(unix)'.dependencies]\n{}{}\
         [target.x86_64-pc-windows-msvc.dependencies]\n{}\
         [target.'cfg(any())'.dependencies]\n{}\
         [build-dependencies]\n{}\
         [dev-dependencies]\n{}{}\
         [features]\ndefault = [\"opt-on\", \"f\", \"g\", \"h\", \"r\", \"fw\"]\n\
         f = [\"weak?/x\"]\ng = [\"strong/x\"]\nh = [\"dep:dep-colon\"]\nr = [\"dep:ren\"]\n\
         fw = [\"rw?/x\"]\n",
        dep("a", ", features = [\"v\"]"),
        dep("opt-on", ", optional = true"),
        dep("opt-off", ", optional = true"),
        dep("weak", ", optional = true"),
        dep("strong", ", optional = true"),
        dep("dep-colon", ", optional = true"),
        "ren = { package = \"renamed-pkg\", path = \"../../../deps/renamed-pkg\", optional = true }\n",
        "rw = { package = \"renamed-weak\", path = \"../../../deps/renamed-weak\", optional = true }\n",
        "",
        dep("winonly", ""),
        dep("twice", ""),
        dep("unixonly", ""),
        dep("twice", ", optional = true"),
        dep("triple-only", ""),
        dep("pinned", ""),
        dep("bdep", ""),
        dep("ddep", ""),
        dep("mixed", ""),
    );
    package(&ws.join("crates/app"), "app", &app);
    package(
        &ws.join("crates/lib2"),
        "lib2",
        &format!(
            "[dependencies]\n{}[dev-dependencies]\n{}",
            dep("a", ""),
            dep("l2dev", "")
        ),
    );

    let deps = root.join("deps");
    package(
        &deps.join("a"),
        "a",
        "[dependencies]\n\
         a-weak = { path = \"../a-weak\", optional = true }\n\
         mixed = { path = \"../mixed\" }\n\
         [features]\nv = [\"a-weak?/x\"]\n",
    );
    package(
        &deps.join("bdep"),
        "bdep",
        "[dependencies]\nbdep-child = { path = \"../bdep-child\" }\n",
    );
    package(
        &deps.join("ddep"),
        "ddep",
        "[build-dependencies]\nddep-build = { path = \"../ddep-build\" }\n\
         [dev-dependencies]\nddep-dev = { path = \"../ddep-dev\" }\n",
    );
    for name in [
        "a-weak",
        "opt-on",
        "opt-off",
        "weak",
        "strong",
        "dep-colon",
        "renamed-pkg",
        "renamed-weak",
        "winonly",
        "unixonly",
        "triple-only",
        "twice",
        "pinned",
        "bdep-child",
        "ddep-build",
        "ddep-dev",
        "mixed",
        "l2dev",
    ] {
        leaf(root, name);
    }
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(cargo())
        .args(args)
        .current_dir(dir)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Package names that `cargo tree ... --prefix none -f '{p}'` prints
/// (lines `name v0.1.0 (/path)`, possibly with ` (*)`).
fn tree_names(ws: &Path, edges: &str, extra: &[&str]) -> BTreeSet<String> {
    let mut args = vec![
        "tree",
        "--offline",
        "--prefix",
        "none",
        "-f",
        "{p}",
        "-e",
        edges,
    ];
    args.extend_from_slice(extra);
    run(ws, &args)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

const ALL_EDGES: &str = "normal,build,dev";

fn reached_names(g: &Graph) -> BTreeSet<String> {
    g.reached().map(|i| g.packages[i].name.clone()).collect()
}

fn kinds_of(g: &Graph, name: &str) -> Kinds {
    let i = (0..g.packages.len())
        .find(|&i| g.packages[i].name == name)
        .unwrap_or_else(|| panic!("{name} not in metadata"));
    g.kinds[i]
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

struct Fixture {
    _dir: tempfile::TempDir,
    ws: std::path::PathBuf,
    metadata: metadata::Metadata,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let ws = dir.path().join("ws");
    // Through the loader, as the tool runs it.
    let metadata = metadata::load(&MetadataSource::Cargo(CargoInvocation {
        manifest_path: Some(ws.join("Cargo.toml")),
        offline: true,
        ..Default::default()
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    Fixture {
        _dir: dir,
        ws,
        metadata,
    }
}

fn build(f: &Fixture, opts: GraphOptions) -> Graph {
    Graph::build(&f.metadata, &opts).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn reached_set_equals_cargo_tree() {
    let f = fixture();
    let in_resolve: BTreeSet<String> = f
        .metadata
        .model()
        .resolve
        .as_ref()
        .unwrap()
        .nodes
        .iter()
        .map(|n| {
            let packages = &f.metadata.model().packages;
            packages
                .iter()
                .find(|p| p.id == n.id)
                .unwrap()
                .name
                .to_string()
        })
        .collect();
    // The fixture exercises what it means to: these are listed in `resolve`
    // although cargo does not build them.
    for name in ["weak", "a-weak", "renamed-weak", "pinned"] {
        assert!(in_resolve.contains(name), "{name} should be in resolve");
    }

    let g = build(&f, GraphOptions::default());
    let ours = reached_names(&g);
    let tree = tree_names(&f.ws, ALL_EDGES, &["--workspace", "--target", "all"]);
    // cargo tree --target all keeps `cfg(any())` edges; `pinned` is reached only so.
    let mut expected = tree.clone();
    assert!(
        expected.remove("pinned"),
        "cargo tree lists pinned: {tree:?}"
    );
    assert_eq!(ours, expected);
    assert_eq!(
        ours,
        set(&[
            "app",
            "lib2",
            "a",
            "mixed",
            "opt-on",
            "strong",
            "dep-colon",
            "renamed-pkg",
            "winonly",
            "unixonly",
            "triple-only",
            "twice",
            "bdep",
            "bdep-child",
            "ddep",
            "ddep-build",
            "l2dev",
        ])
    );
}

#[test]
fn per_target_equals_cargo_tree() {
    let f = fixture();
    for triple in ["x86_64-unknown-linux-gnu", "x86_64-pc-windows-msvc"] {
        let g = build(
            &f,
            GraphOptions {
                targets: vec![triple.into()],
                ..Default::default()
            },
        );
        // For one triple cargo evaluates `cfg(any())` too: no exception.
        let tree = tree_names(&f.ws, ALL_EDGES, &["--workspace", "--target", triple]);
        assert_eq!(reached_names(&g), tree, "{triple}");
    }
    let linux = build(
        &f,
        GraphOptions {
            targets: vec!["x86_64-unknown-linux-gnu".into()],
            ..Default::default()
        },
    );
    let names = reached_names(&linux);
    assert!(names.contains("unixonly"));
    // `twice` is optional (off) for unix and plain for windows only.
    for absent in ["winonly", "twice", "triple-only", "pinned"] {
        assert!(!names.contains(absent), "{absent} on linux");
    }
}

#[test]
fn per_package_roots_equal_cargo_tree() {
    let f = fixture();
    for member in ["app", "lib2"] {
        let g = build(
            &f,
            GraphOptions {
                packages: vec![member.into()],
                ..Default::default()
            },
        );
        let mut tree = tree_names(&f.ws, ALL_EDGES, &["-p", member, "--target", "all"]);
        tree.remove("pinned");
        assert_eq!(reached_names(&g), tree, "-p {member}");
    }
}

#[test]
fn kinds_by_reasoning() {
    let f = fixture();
    let g = build(&f, GraphOptions::default());
    let n = Kinds::of(DepKind::Normal);
    let b = Kinds::of(DepKind::Build);
    let d = Kinds::of(DepKind::Dev);
    let nd: Kinds = [DepKind::Normal, DepKind::Dev].into_iter().collect();
    // Members are roots: reached by the empty path, normal.
    assert_eq!(kinds_of(&g, "app"), n);
    assert_eq!(kinds_of(&g, "lib2"), n);
    assert_eq!(kinds_of(&g, "a"), n);
    assert_eq!(kinds_of(&g, "strong"), n);
    assert_eq!(kinds_of(&g, "renamed-pkg"), n);
    // bdep is a build-dependency, bdep-child a normal dep of it: the path is build.
    assert_eq!(kinds_of(&g, "bdep"), b);
    assert_eq!(kinds_of(&g, "bdep-child"), b);
    // A build-dependency of a dev-dependency is dev.
    assert_eq!(kinds_of(&g, "ddep"), d);
    assert_eq!(kinds_of(&g, "ddep-build"), d);
    assert_eq!(kinds_of(&g, "l2dev"), d);
    // mixed: app -> a -> mixed (normal) and app -dev-> mixed.
    assert_eq!(kinds_of(&g, "mixed"), nd);
    // Not built at all.
    for name in ["weak", "a-weak", "renamed-weak", "pinned"] {
        assert!(kinds_of(&g, name).is_empty(), "{name}");
    }
    // cargo does not even resolve dev-dependencies of non-members.
    assert!(g.packages.iter().all(|p| p.name != "ddep-dev"));

    // -p app: lib2 is no root, so its dev-dependency l2dev is not reached.
    let g = build(
        &f,
        GraphOptions {
            packages: vec!["app".into()],
            ..Default::default()
        },
    );
    assert!(kinds_of(&g, "l2dev").is_empty());
    assert!(kinds_of(&g, "lib2").is_empty());

    // --exclude-dev: ddep and its build-dependency are gone, mixed is normal only.
    let g = build(
        &f,
        GraphOptions {
            exclude_dev: true,
            ..Default::default()
        },
    );
    assert!(kinds_of(&g, "ddep").is_empty());
    assert!(kinds_of(&g, "ddep-build").is_empty());
    assert_eq!(kinds_of(&g, "mixed"), n);
    // cargo tree agrees on the set with `-e normal,build`.
    let mut tree = tree_names(&f.ws, "normal,build", &["--workspace", "--target", "all"]);
    tree.remove("pinned");
    assert_eq!(reached_names(&g), tree);
}

#[test]
fn paths_in_the_fixture() {
    let f = fixture();
    let g = build(&f, GraphOptions::default());
    let idx = |name: &str| {
        (0..g.packages.len())
            .find(|&i| g.packages[i].name == name)
            .unwrap()
    };
    let specs = |p: &[cargo_vendor_audit::graph::Step]| -> Vec<String> {
        p.iter()
            .map(|s| g.packages[s.package].name.clone())
            .collect()
    };
    let p = g.paths(idx("ddep-build"), Kinds::ALL, 5);
    assert_eq!(p.len(), 1);
    assert_eq!(specs(&p[0]), ["app", "ddep", "ddep-build"]);
    assert_eq!(p[0][1].edge, Some(DepKind::Dev));
    assert_eq!(p[0][2].edge, Some(DepKind::Build));
    // mixed: the dev path is shorter, the normal one goes through `a`.
    let p = g.paths(idx("mixed"), Kinds::ALL, 5);
    let all: Vec<Vec<String>> = p.iter().map(|p| specs(p)).collect();
    assert_eq!(all[0], ["app", "mixed"]);
    assert!(all.contains(&vec!["app".into(), "a".into(), "mixed".into()]));
    assert!(all.contains(&vec!["lib2".into(), "a".into(), "mixed".into()]));
    let p = g.paths(idx("mixed"), Kinds::of(DepKind::Normal), 5);
    assert_eq!(specs(&p[0]).len(), 3);
    assert!(g.reaches_via(idx("bdep-child"), &["app".into(), "bdep".into()]));
    assert!(!g.reaches_via(idx("bdep-child"), &["lib2".into()]));
}

#[test]
fn cargo_failure_carries_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let err = metadata::load(&MetadataSource::Cargo(CargoInvocation {
        manifest_path: Some(dir.path().join("Cargo.toml")),
        offline: true,
        ..Default::default()
    }))
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("metadata --format-version 1"), "{msg}");
    assert!(msg.contains("exit status"), "{msg}");
    assert!(msg.contains("Cargo.toml"), "{msg}");
}

/// Real projects and one path-only workspace, with their `cargo metadata` output and
/// `cargo tree --workspace --target all -e normal,build,dev --prefix none -f '{p}'`
/// listing committed under `tests/fixtures/graph/` (made by `scripts/graph-fixtures.sh`;
/// nothing here runs cargo or touches the network).
mod committed {
    use std::collections::BTreeSet;
    use std::io::Read;
    use std::path::PathBuf;

    use cargo_vendor_audit::graph::{DepKind, Graph, GraphOptions, Kinds};
    use cargo_vendor_audit::input::metadata;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph")
    }

    pub fn metadata_text(project: &str) -> String {
        let gz = std::fs::read(dir().join(format!("{project}.metadata.json.gz"))).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    /// `name@version` of every line of the cargo tree listing.
    fn tree(project: &str) -> BTreeSet<String> {
        let text = std::fs::read_to_string(dir().join(format!("{project}.tree.txt"))).unwrap();
        text.lines()
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let name = words.next()?;
                let version = words.next()?.strip_prefix('v')?;
                Some(format!("{name}@{version}"))
            })
            .collect()
    }

    fn graph(project: &str) -> Graph {
        let m = metadata::parse(metadata_text(project), project).unwrap();
        Graph::build(&m, &GraphOptions::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn reached(g: &Graph) -> BTreeSet<String> {
        g.reached().map(|i| g.packages[i].spec()).collect()
    }

    /// Packages whose every incoming `resolve` edge is under `cfg(any())`: the version
    /// pin that cargo never builds but `cargo tree --target all` lists (SPEC section 2).
    fn pinned_only(project: &str) -> BTreeSet<String> {
        let m: serde_json::Value = serde_json::from_str(&metadata_text(project)).unwrap();
        let spec = |id: &str| {
            let p = m["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == id)
                .unwrap();
            format!(
                "{}@{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        };
        let mut pinned = BTreeSet::new();
        let mut other = BTreeSet::new();
        for node in m["resolve"]["nodes"].as_array().unwrap() {
            for dep in node["deps"].as_array().unwrap() {
                let to = spec(dep["pkg"].as_str().unwrap());
                for k in dep["dep_kinds"].as_array().unwrap() {
                    if k["target"] == "cfg(any())" {
                        pinned.insert(to.clone());
                    } else {
                        other.insert(to.clone());
                    }
                }
            }
        }
        pinned.difference(&other).cloned().collect()
    }

    fn check(project: &str) -> Graph {
        let g = graph(project);
        let ours = reached(&g);
        let mut theirs = tree(project);
        for pin in pinned_only(project) {
            theirs.remove(&pin);
        }
        assert!(theirs.len() > 5, "{project}: listing too short");
        let extra: Vec<_> = ours.difference(&theirs).collect();
        let missing: Vec<_> = theirs.difference(&ours).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{project}: reached but not in cargo tree: {extra:?}; in cargo tree but not reached: {missing:?}"
        );
        g
    }

    #[test]
    fn tokio_full() {
        check("tokio-full");
    }

    /// `quinn` is in `resolve` only through reqwest's weak `quinn?/rustls...`; the
    /// `quinn-proto` it pulls in asks `rustls-pki-types` for its `web` feature, whose
    /// `web-time` cargo therefore never builds.
    #[test]
    fn reqwest_rustls() {
        let g = check("reqwest-rustls");
        let all: BTreeSet<String> = g.packages.iter().map(|p| p.spec()).collect();
        let ours = reached(&g);
        for pruned in ["web-time@1.1.0", "quinn-proto@0.11.19"] {
            assert!(all.contains(pruned), "{pruned} should be in the metadata");
            assert!(!ours.contains(pruned), "{pruned} is not built");
        }
    }

    #[test]
    fn sqlx_postgres_sqlite_tokio() {
        check("sqlx");
    }

    #[test]
    fn clap_derive() {
        check("clap-derive");
    }

    #[test]
    fn serde_derive() {
        check("serde-derive");
    }

    /// Host and target features apart: `shared`'s `heavy` feature is asked for only by
    /// app's build-dependency, so `heavy-dep` is built for the host alone (kind build);
    /// `helper`'s `macro` only by the proc-macro `pm`. `pruned`, reached only by a weak
    /// feature, asks `shared` for `extra`, which is therefore not built.
    #[test]
    fn host_and_target_features() {
        let g = check("features-ws");
        let kinds = |name: &str| {
            let i = (0..g.packages.len())
                .find(|&i| g.packages[i].name == name)
                .unwrap_or_else(|| panic!("{name} not in metadata"));
            g.kinds[i]
        };
        let n = Kinds::of(DepKind::Normal);
        let b = Kinds::of(DepKind::Build);
        let nb: Kinds = [DepKind::Normal, DepKind::Build].into_iter().collect();
        let nd: Kinds = [DepKind::Normal, DepKind::Dev].into_iter().collect();
        assert_eq!(kinds("heavy-dep"), b);
        assert_eq!(kinds("shared"), nb);
        assert_eq!(kinds("pm"), n);
        assert_eq!(kinds("macro-dep"), n);
        assert_eq!(kinds("helper"), nd);
        for absent in ["pruned", "extra-dep"] {
            assert!(kinds(absent).is_empty(), "{absent}");
        }
    }
}

/// Through the binary: a policy naming `web-time` finds nothing on the reqwest project,
/// since cargo does not build it; the same policy finds `rustls-pki-types`, which is.
#[test]
fn binary_does_not_audit_what_only_pruned_features_enable() {
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join("reqwest.metadata.json");
    std::fs::write(&meta, committed::metadata_text("reqwest-rustls")).unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "schema = 1\n\n[policy]\nid = \"t\"\ntitle = \"t\"\n\n\
         [[entity]]\nid = \"pruned\"\nname = \"Pruned\"\nreason = \"test\"\n\
         [entity.match]\ncrates = [\"web-time\", \"rustls-pki-types\"]\n",
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("cargo-vendor-audit")
        .unwrap()
        .arg("--metadata-path")
        .arg(&meta)
        .arg("--policy")
        .arg(&policy)
        .args(["--locked", "--format", "json", "--fail-on", "never"])
        .args(["--today", "2026-11-30"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["entity"] == "pruned")
        .map(|f| f["package"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["rustls-pki-types"]), "{report}");
}

/// `--target` and the host: build-dependencies, proc-macros and what only they reach
/// are built for the host, so their edges are evaluated against the host triple, as
/// `cargo tree --target` does. Member `app` (workspace `hws/`, path packages in
/// `hdeps/`):
/// - `bunix`, `bwin`, `bmac`: build-dependencies under `cfg(unix)`, `cfg(windows)`,
///   `cfg(target_os = "macos")`; `btriple` under the plain triple
///   `x86_64-unknown-linux-gnu`.
/// - `bplain`: plain build-dependency, with normal deps `bplain-unix` (`cfg(unix)`)
///   and `bplain-win` (`cfg(windows)`): host edges.
/// - `pm`: proc-macro, with `pm-unix` and `pm-win` under `cfg(unix)`/`cfg(windows)`.
/// - `pmwin`: a proc-macro under `cfg(windows)` normal deps: the edge into it is
///   app's, evaluated for the target.
/// - `nwin`, `nunix`: normal deps under `cfg(windows)`, `cfg(unix)`.
/// - `both`: normal and build-dependency, with `both-win` under `cfg(windows)`: for
///   the target unit `both-win` follows the target, for the host unit the host.
/// - `dunix`: dev-dependency under `cfg(unix)`: the target's.
mod host {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use cargo_vendor_audit::graph::{Graph, GraphOptions};
    use cargo_vendor_audit::input::metadata::{self, CargoInvocation, MetadataSource};

    use super::{ALL_EDGES, package, reached_names, set, tree_names, write};

    const LINUX: &str = "x86_64-unknown-linux-gnu";
    const WINDOWS: &str = "x86_64-pc-windows-msvc";
    const MAC: &str = "aarch64-apple-darwin";

    fn dep(name: &str) -> String {
        format!("{name} = {{ path = \"../../../hdeps/{name}\" }}\n")
    }

    fn sibling(name: &str) -> String {
        format!("{name} = {{ path = \"../{name}\" }}\n")
    }

    fn generate(root: &Path) {
        let ws = root.join("hws");
        write(
            &ws.join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/app\"]\nresolver = \"2\"\n",
        );
        let app = format!(
            "[dependencies]\n{}{}\
             [target.'cfg(windows)'.dependencies]\n{}{}\
             [target.'cfg(unix)'.dependencies]\n{}\
             [build-dependencies]\n{}{}\
             [target.'cfg(unix)'.build-dependencies]\n{}\
             [target.'cfg(windows)'.build-dependencies]\n{}\
             [target.'cfg(target_os = \"macos\")'.build-dependencies]\n{}\
             [target.x86_64-unknown-linux-gnu.build-dependencies]\n{}\
             [target.'cfg(unix)'.dev-dependencies]\n{}",
            dep("pm"),
            dep("both"),
            dep("nwin"),
            dep("pmwin"),
            dep("nunix"),
            dep("bplain"),
            dep("both"),
            dep("bunix"),
            dep("bwin"),
            dep("bmac"),
            dep("btriple"),
            dep("dunix"),
        );
        package(&ws.join("crates/app"), "app", &app);
        let deps = root.join("hdeps");
        let proc_macro = "[lib]\nproc-macro = true\n\n";
        package(
            &deps.join("pm"),
            "pm",
            &format!(
                "{proc_macro}[target.'cfg(unix)'.dependencies]\n{}\
                 [target.'cfg(windows)'.dependencies]\n{}",
                sibling("pm-unix"),
                sibling("pm-win")
            ),
        );
        package(&deps.join("pmwin"), "pmwin", proc_macro);
        package(
            &deps.join("bplain"),
            "bplain",
            &format!(
                "[target.'cfg(unix)'.dependencies]\n{}\
                 [target.'cfg(windows)'.dependencies]\n{}",
                sibling("bplain-unix"),
                sibling("bplain-win")
            ),
        );
        package(
            &deps.join("both"),
            "both",
            &format!(
                "[target.'cfg(windows)'.dependencies]\n{}",
                sibling("both-win")
            ),
        );
        for name in [
            "pm-unix",
            "pm-win",
            "bplain-unix",
            "bplain-win",
            "both-win",
            "nwin",
            "nunix",
            "bunix",
            "bwin",
            "bmac",
            "btriple",
            "dunix",
        ] {
            package(&deps.join(name), name, "");
        }
    }

    pub struct Fixture {
        pub dir: tempfile::TempDir,
        pub ws: PathBuf,
        pub metadata: metadata::Metadata,
    }

    pub fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path());
        let ws = dir.path().join("hws");
        let metadata = metadata::load(&MetadataSource::Cargo(CargoInvocation {
            manifest_path: Some(ws.join("Cargo.toml")),
            offline: true,
            ..Default::default()
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        Fixture { dir, ws, metadata }
    }

    fn names(f: &Fixture, targets: &[&str], host: Option<&str>) -> BTreeSet<String> {
        let g = Graph::build(
            &f.metadata,
            &GraphOptions {
                targets: targets.iter().map(|t| t.to_string()).collect(),
                host: host.map(str::to_string),
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        reached_names(&g)
    }

    fn rustc_host() -> String {
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let out = std::process::Command::new(rustc)
            .arg("-vV")
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("host: "))
            .unwrap()
            .trim()
            .to_string()
    }

    /// For each target, the set equals `cargo tree --target T` (whose host is rustc's),
    /// with the host asked of rustc and with it given as `--host`.
    #[test]
    fn per_target_with_host_equals_cargo_tree() {
        let f = fixture();
        let host = rustc_host();
        for triple in [LINUX, WINDOWS, MAC] {
            let tree = tree_names(&f.ws, ALL_EDGES, &["--workspace", "--target", triple]);
            assert_eq!(names(&f, &[triple], None), tree, "--target {triple}");
            assert_eq!(
                names(&f, &[triple], Some(&host)),
                tree,
                "--target {triple} --host {host}"
            );
        }
        // Several targets: the union of what each keeps.
        let tree = tree_names(
            &f.ws,
            ALL_EDGES,
            &["--workspace", "--target", LINUX, "--target", WINDOWS],
        );
        assert_eq!(names(&f, &[LINUX, WINDOWS], None), tree);
    }

    /// With the host given, whatever machine runs this.
    #[test]
    fn host_edges_follow_the_host() {
        let f = fixture();
        let always = [
            "app", "pm", "pmwin", "both", "bplain", "nwin", "nunix", "bunix", "bwin", "bmac",
            "btriple", "dunix",
        ];
        let with = |extra: &[&str]| {
            let mut s: BTreeSet<String> = extra.iter().map(|s| s.to_string()).collect();
            s.extend(set(&always));
            s
        };
        // Windows target built on Linux: the `cfg(unix)` build-dependency and the unix
        // deps of the proc-macro and of the build-dependency are kept, their windows
        // ones are not; the windows normal deps and the proc-macro under
        // `cfg(windows)` are kept.
        let ours = names(&f, &[WINDOWS], Some(LINUX));
        let expected: BTreeSet<String> = with(&["pm-unix", "bplain-unix", "both-win"])
            .into_iter()
            .filter(|n| !["nunix", "bwin", "bmac", "dunix"].contains(&n.as_str()))
            .collect();
        assert_eq!(ours, expected);
        // Linux target built on Windows: the other way round; `both-win` is reached
        // through the host unit of `both`.
        let ours = names(&f, &[LINUX], Some(WINDOWS));
        let expected: BTreeSet<String> = with(&["pm-win", "bplain-win", "both-win"])
            .into_iter()
            .filter(|n| !["nwin", "pmwin", "bunix", "bmac", "btriple"].contains(&n.as_str()))
            .collect();
        assert_eq!(ours, expected);
        // Linux target built on macOS: the macOS build-dependency is kept, `both-win` not.
        let ours = names(&f, &[LINUX], Some(MAC));
        assert!(ours.contains("bmac") && ours.contains("bunix") && ours.contains("pm-unix"));
        for absent in ["bwin", "btriple", "both-win", "pm-win", "nwin"] {
            assert!(!ours.contains(absent), "{absent}: {ours:?}");
        }
        // Without --target, every edge is kept, whatever the host.
        let all = names(&f, &[], None);
        assert_eq!(all, names(&f, &[], Some(MAC)));
        assert_eq!(
            all,
            with(&["pm-unix", "pm-win", "bplain-unix", "bplain-win", "both-win"])
        );
    }
}

/// Through the binary: `--host` decides the build-dependencies under `--target`.
mod host_cli {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn files(f: &super::host::Fixture) -> (PathBuf, PathBuf) {
        let meta = f.dir.path().join("metadata.json");
        let out = std::process::Command::new(super::cargo())
            .args(["metadata", "--format-version", "1", "--offline"])
            .current_dir(&f.ws)
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::write(&meta, out.stdout).unwrap();
        let policy = f.dir.path().join("policy.toml");
        std::fs::write(
            &policy,
            "schema = 1\n\n[policy]\nid = \"t\"\ntitle = \"t\"\n\n\
             [[entity]]\nid = \"build-only\"\nname = \"Build only\"\nreason = \"test\"\n\
             [entity.match]\ncrates = [\"bmac\", \"bunix\", \"bwin\", \"pm-win\"]\n",
        )
        .unwrap();
        (meta, policy)
    }

    /// Runs the binary on the metadata file with `RUSTC` set to `rustc`.
    fn run(meta: &Path, policy: &Path, args: &[&str], rustc: &str) -> std::process::Output {
        assert_cmd::Command::cargo_bin("cargo-vendor-audit")
            .unwrap()
            .env("RUSTC", rustc)
            .arg("--metadata-path")
            .arg(meta)
            .arg("--policy")
            .arg(policy)
            .args(["--format", "json", "--fail-on", "never"])
            .args(["--today", "2026-11-30"])
            .args(args)
            .output()
            .unwrap()
    }

    fn found(out: &std::process::Output) -> BTreeSet<String> {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["entity"] == "build-only")
            .map(|f| f["package"]["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn host_decides_build_dependencies() {
        let f = super::host::fixture();
        let (meta, policy) = files(&f);
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let linux = ["--target", "x86_64-unknown-linux-gnu"];
        // Built on macOS: the `cfg(target_os = "macos")` build-dependency is kept.
        let mac = found(&run(
            &meta,
            &policy,
            &[linux[0], linux[1], "--host", "aarch64-apple-darwin"],
            &rustc,
        ));
        assert_eq!(mac, super::set(&["bmac", "bunix"]));
        // Built on Windows: the windows build-dependency and the proc-macro's windows
        // dependency.
        let win = found(&run(
            &meta,
            &policy,
            &[linux[0], linux[1], "--host", "x86_64-pc-windows-msvc"],
            &rustc,
        ));
        assert_eq!(win, super::set(&["bwin", "pm-win"]));
        // A Windows target built on Linux keeps the `cfg(unix)` build-dependency.
        let cross = found(&run(
            &meta,
            &policy,
            &[
                "--target",
                "x86_64-pc-windows-msvc",
                "--host",
                "x86_64-unknown-linux-gnu",
            ],
            &rustc,
        ));
        assert_eq!(cross, super::set(&["bunix"]));
    }

    #[test]
    fn host_errors_are_exit_2() {
        let f = super::host::fixture();
        let (meta, policy) = files(&f);
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).to_string();

        // An unknown host triple.
        let out = run(
            &meta,
            &policy,
            &[
                "--target",
                "x86_64-unknown-linux-gnu",
                "--host",
                "no-such-host-triple",
            ],
            &rustc,
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("unknown host triple `no-such-host-triple`"));
        assert!(out.stdout.is_empty());

        // --host only means something with --target.
        let out = run(
            &meta,
            &policy,
            &["--host", "x86_64-unknown-linux-gnu"],
            &rustc,
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("--target"), "{}", stderr(&out));

        // rustc cannot be run: --target without --host is a clear error...
        let missing = f.dir.path().join("no-such-rustc");
        let missing = missing.to_str().unwrap();
        let out = run(
            &meta,
            &policy,
            &["--target", "x86_64-unknown-linux-gnu"],
            missing,
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let msg = stderr(&out);
        assert!(
            msg.contains("no-such-rustc -vV") && msg.contains("--host"),
            "{msg}"
        );
        // ...with --host, or without --target, rustc is not needed.
        let given = found(&run(
            &meta,
            &policy,
            &[
                "--target",
                "x86_64-pc-windows-msvc",
                "--host",
                "x86_64-unknown-linux-gnu",
            ],
            missing,
        ));
        assert_eq!(given, super::set(&["bunix"]));
        let all = found(&run(&meta, &policy, &[], missing));
        assert_eq!(all, super::set(&["bmac", "bunix", "bwin", "pm-win"]));
    }
}
