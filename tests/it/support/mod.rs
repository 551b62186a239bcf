//! End-to-end test support: generated Cargo workspaces in a tempdir, and a runner for the
//! real `cargo-vendor-audit` binary.
//!
//! A [`Fixture`] holds, under one tempdir:
//! - `ws/`: a virtual workspace whose members are [`Krate`]s (path dependencies between them);
//! - `paths/<name>/`: path packages outside the workspace (audited like any dependency);
//! - `vendor/<name>-<version>/`: crates.io packages as a `cargo vendor`-style directory
//!   source, wired by `ws/.cargo/config.toml` (`[source.crates-io] replace-with`), so cargo
//!   reports them with crates.io's source string without touching the network;
//! - `git/<name>/`: one git repository per git package, used through `file://`;
//! - `registry/`: a sparse alternative registry `myreg` served from 127.0.0.1 by a thread;
//! - `cargo-home/`: the `CARGO_HOME` of every cargo run, so the user's cache is never used.
//!
//! Git and registry packages need one `cargo metadata` run without `--offline` when the
//! fixture is built (it only reads `file://` repositories and the 127.0.0.1 server, and
//! crates.io is always replaced by the directory source). Every run of the tool after
//! that is `--offline` with `CARGO_NET_OFFLINE=true`.

#![allow(dead_code)]

pub mod case;
pub mod corpus;
pub mod cyclonedx;
pub mod dump;
pub mod fake_crates_io;
pub mod fake_static;
pub mod metadata_json;
pub mod registry;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tempfile::TempDir;

/// The date every run passes as `--today`.
pub const TODAY: &str = "2026-11-27";
/// crates.io as cargo reports it, whatever the protocol or replacement.
pub const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
/// The name of the alternative registry in `.cargo/config.toml`.
pub const ALT_REGISTRY: &str = "myreg";

/// How a dependency is declared: `[dependencies]`, `[build-dependencies]`, `[dev-dependencies]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Normal,
    Build,
    Dev,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum DepSource {
    /// A workspace member or a package under `paths/`.
    Path,
    /// crates.io (the directory source), with a version requirement.
    CratesIo(String),
    /// `git/<name>` through `file://`.
    Git,
    /// The alternative registry, with a version requirement.
    Registry(String),
}

/// One dependency declaration of a [`Krate`].
#[derive(Clone, Debug)]
pub struct Dep {
    package: String,
    rename: Option<String>,
    source: DepSource,
    kind: Kind,
    target: Option<String>,
    optional: bool,
    features: Vec<String>,
    default_features: bool,
}

impl Dep {
    fn new(package: &str, source: DepSource) -> Dep {
        Dep {
            package: package.to_string(),
            rename: None,
            source,
            kind: Kind::Normal,
            target: None,
            optional: false,
            features: Vec::new(),
            default_features: true,
        }
    }
    /// A path dependency on a member or on a [`FixtureBuilder::path_crate`].
    pub fn path(package: &str) -> Dep {
        Dep::new(package, DepSource::Path)
    }
    /// A crates.io dependency (served by the directory source).
    pub fn crates_io(package: &str, req: &str) -> Dep {
        Dep::new(package, DepSource::CratesIo(req.to_string()))
    }
    /// A git dependency on the repository `git/<package>`.
    pub fn git(package: &str) -> Dep {
        Dep::new(package, DepSource::Git)
    }
    /// A dependency from the alternative registry `myreg`.
    pub fn registry(package: &str, req: &str) -> Dep {
        Dep::new(package, DepSource::Registry(req.to_string()))
    }
    pub fn build(mut self) -> Dep {
        self.kind = Kind::Build;
        self
    }
    pub fn dev(mut self) -> Dep {
        self.kind = Kind::Dev;
        self
    }
    /// `[target.'<target>'.*-dependencies]`.
    pub fn target(mut self, target: &str) -> Dep {
        self.target = Some(target.to_string());
        self
    }
    pub fn optional(mut self) -> Dep {
        self.optional = true;
        self
    }
    pub fn rename(mut self, alias: &str) -> Dep {
        self.rename = Some(alias.to_string());
        self
    }
    pub fn features(mut self, features: &[&str]) -> Dep {
        self.features = features.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn no_default_features(mut self) -> Dep {
        self.default_features = false;
        self
    }
}

/// A package: a workspace member, a path package, a vendored crates.io package, a git
/// package or an alternative-registry package, depending on where the fixture puts it.
#[derive(Clone, Debug)]
pub struct Krate {
    pub name: String,
    pub version: String,
    authors: Vec<String>,
    repository: Option<String>,
    homepage: Option<String>,
    lib_rs: String,
    deps: Vec<Dep>,
    features: Vec<(String, Vec<String>)>,
    files: Vec<(String, String)>,
}

impl Krate {
    pub fn new(name: &str, version: &str) -> Krate {
        Krate {
            name: name.to_string(),
            version: version.to_string(),
            authors: Vec::new(),
            repository: None,
            homepage: None,
            lib_rs: format!("//! The `{name}` test crate.\n"),
            deps: Vec::new(),
            features: Vec::new(),
            files: Vec::new(),
        }
    }
    pub fn author(mut self, author: &str) -> Krate {
        self.authors.push(author.to_string());
        self
    }
    pub fn repository(mut self, url: &str) -> Krate {
        self.repository = Some(url.to_string());
        self
    }
    pub fn homepage(mut self, url: &str) -> Krate {
        self.homepage = Some(url.to_string());
        self
    }
    /// The contents of `src/lib.rs`.
    pub fn lib_rs(mut self, text: &str) -> Krate {
        self.lib_rs = text.to_string();
        self
    }
    pub fn dep(mut self, dep: Dep) -> Krate {
        self.deps.push(dep);
        self
    }
    /// `[features] name = [items]`.
    pub fn feature(mut self, name: &str, items: &[&str]) -> Krate {
        self.features.push((
            name.to_string(),
            items.iter().map(|s| s.to_string()).collect(),
        ));
        self
    }
    /// Another file of the package, path relative to its root.
    pub fn file(mut self, path: &str, text: &str) -> Krate {
        self.files.push((path.to_string(), text.to_string()));
        self
    }
    /// `name@version`, as paths in the report print a package.
    pub fn spec(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// Quotes a string as a TOML basic string.
pub fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// Where things are, for rendering manifests.
struct Layout {
    root: PathBuf,
    members: Vec<String>,
}

impl Layout {
    fn ws(&self) -> PathBuf {
        self.root.join("ws")
    }
    fn path_of(&self, name: &str) -> PathBuf {
        if self.members.iter().any(|m| m == name) {
            self.ws().join(name)
        } else {
            self.root.join("paths").join(name)
        }
    }
    fn git_dir(&self, name: &str) -> PathBuf {
        self.root.join("git").join(name)
    }
    fn git_url(&self, name: &str) -> String {
        format!("file://{}", self.git_dir(name).display())
    }

    fn manifest(&self, k: &Krate) -> String {
        let mut m = String::new();
        writeln!(m, "[package]").unwrap();
        writeln!(m, "name = {}", toml_str(&k.name)).unwrap();
        writeln!(m, "version = {}", toml_str(&k.version)).unwrap();
        writeln!(m, "edition = \"2021\"").unwrap();
        if !k.authors.is_empty() {
            writeln!(m, "authors = {}", toml_list(&k.authors)).unwrap();
        }
        if let Some(r) = &k.repository {
            writeln!(m, "repository = {}", toml_str(r)).unwrap();
        }
        if let Some(h) = &k.homepage {
            writeln!(m, "homepage = {}", toml_str(h)).unwrap();
        }
        if !k.features.is_empty() {
            writeln!(m, "\n[features]").unwrap();
            for (name, items) in &k.features {
                writeln!(m, "{} = {}", toml_str(name), toml_list(items)).unwrap();
            }
        }
        // One table per (target, kind), in a stable order.
        let mut tables: BTreeMap<String, Vec<&Dep>> = BTreeMap::new();
        for d in &k.deps {
            let kind = match d.kind {
                Kind::Normal => "dependencies",
                Kind::Build => "build-dependencies",
                Kind::Dev => "dev-dependencies",
            };
            let table = match &d.target {
                Some(t) => format!("target.{}.{kind}", toml_str(t)),
                None => kind.to_string(),
            };
            tables.entry(table).or_default().push(d);
        }
        for (table, deps) in tables {
            writeln!(m, "\n[{table}]").unwrap();
            for d in deps {
                writeln!(m, "{}", self.dep_line(d)).unwrap();
            }
        }
        m
    }

    fn dep_line(&self, d: &Dep) -> String {
        let mut fields = Vec::new();
        let key = match &d.rename {
            Some(alias) => {
                fields.push(format!("package = {}", toml_str(&d.package)));
                alias.clone()
            }
            None => d.package.clone(),
        };
        match &d.source {
            DepSource::Path => fields.push(format!(
                "path = {}",
                toml_str(&self.path_of(&d.package).display().to_string())
            )),
            DepSource::CratesIo(req) => fields.push(format!("version = {}", toml_str(req))),
            DepSource::Git => fields.push(format!("git = {}", toml_str(&self.git_url(&d.package)))),
            DepSource::Registry(req) => {
                fields.push(format!("version = {}", toml_str(req)));
                fields.push(format!("registry = {}", toml_str(ALT_REGISTRY)));
            }
        }
        if d.optional {
            fields.push("optional = true".to_string());
        }
        if !d.features.is_empty() {
            fields.push(format!("features = {}", toml_list(&d.features)));
        }
        if !d.default_features {
            fields.push("default-features = false".to_string());
        }
        format!("{} = {{ {} }}", toml_str(&key), fields.join(", "))
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn write_package(dir: &Path, layout: &Layout, k: &Krate) {
    write(&dir.join("Cargo.toml"), &layout.manifest(k));
    write(&dir.join("src").join("lib.rs"), &k.lib_rs);
    for (path, text) in &k.files {
        write(&dir.join(path), text);
    }
}

/// A 64-hex-digit stand-in for a `.crate` checksum (a directory source only needs the
/// lock and `.cargo-checksum.json` to agree, and cargo copies it into the lock).
fn fake_checksum(k: &Krate) -> String {
    use std::hash::{Hash, Hasher};
    let mut out = String::new();
    for salt in 0..4u8 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, &k.name, &k.version).hash(&mut h);
        write!(out, "{:016x}", h.finish()).unwrap();
    }
    out
}

/// Builds a [`Fixture`].
#[derive(Default)]
pub struct FixtureBuilder {
    members: Vec<Krate>,
    path_crates: Vec<Krate>,
    vendored: Vec<Krate>,
    git: Vec<Krate>,
    registry: Vec<Krate>,
    files: Vec<(String, String)>,
    workspace_extra: String,
}

impl FixtureBuilder {
    pub fn member(mut self, k: Krate) -> Self {
        self.members.push(k);
        self
    }
    /// A path package outside the workspace folder (so not a member).
    pub fn path_crate(mut self, k: Krate) -> Self {
        self.path_crates.push(k);
        self
    }
    /// A crates.io package, served from the directory source.
    pub fn vendored(mut self, k: Krate) -> Self {
        self.vendored.push(k);
        self
    }
    /// A package in its own git repository `git/<name>`, one commit.
    pub fn git(mut self, k: Krate) -> Self {
        self.git.push(k);
        self
    }
    /// A package of the alternative registry (no dependencies of its own).
    pub fn registry(mut self, k: Krate) -> Self {
        assert!(k.deps.is_empty(), "registry packages are leaves here");
        self.registry.push(k);
        self
    }
    /// A file of the workspace, path relative to `ws/`.
    pub fn file(mut self, path: &str, text: &str) -> Self {
        self.files.push((path.to_string(), text.to_string()));
        self
    }
    /// TOML appended to the workspace `Cargo.toml` (e.g. `[workspace.metadata.x]`).
    pub fn workspace_toml(mut self, text: &str) -> Self {
        self.workspace_extra.push_str(text);
        self.workspace_extra.push('\n');
        self
    }

    pub fn build(self) -> Fixture {
        sweep_stale_fixtures();
        let dir = tempfile::Builder::new()
            .prefix(TEMPDIR_PREFIX)
            .tempdir()
            .expect("create tempdir");
        let root = dir.path().canonicalize().unwrap();
        let layout = Layout {
            root: root.clone(),
            members: self.members.iter().map(|k| k.name.clone()).collect(),
        };
        let ws = layout.ws();
        let cargo_home = root.join("cargo-home");
        std::fs::create_dir_all(&cargo_home).unwrap();
        std::fs::create_dir_all(root.join("vendor")).unwrap();
        std::fs::create_dir_all(root.join("policies")).unwrap();

        // The workspace.
        let mut ws_manifest = String::from("[workspace]\nresolver = \"2\"\nmembers = ");
        ws_manifest.push_str(&toml_list(&layout.members));
        ws_manifest.push_str("\n\n");
        ws_manifest.push_str(&self.workspace_extra);
        write(&ws.join("Cargo.toml"), &ws_manifest);
        for k in &self.members {
            write_package(&ws.join(&k.name), &layout, k);
        }
        for k in &self.path_crates {
            write_package(&root.join("paths").join(&k.name), &layout, k);
        }

        // crates.io: a directory source.
        for k in &self.vendored {
            let d = root
                .join("vendor")
                .join(format!("{}-{}", k.name, k.version));
            write_package(&d, &layout, k);
            write(
                &d.join(".cargo-checksum.json"),
                &format!(r#"{{"files":{{}},"package":"{}"}}"#, fake_checksum(k)),
            );
        }

        // git: one repository per package.
        let mut git_revs = BTreeMap::new();
        for k in &self.git {
            let d = layout.git_dir(&k.name);
            write_package(&d, &layout, k);
            git(&d, &["init", "-q"]);
            git(&d, &["add", "-A"]);
            git(&d, &["commit", "-q", "-m", "initial"]);
            let rev = git(&d, &["rev-parse", "HEAD"]);
            git_revs.insert(k.name.clone(), rev.trim().to_string());
        }

        // The alternative registry.
        let server = if self.registry.is_empty() {
            None
        } else {
            let reg = root.join("registry");
            let stage = root.join("registry-stage");
            std::fs::create_dir_all(reg.join("crates")).unwrap();
            let server = registry::Server::start(reg.clone());
            write(
                &reg.join("index").join("config.json"),
                &format!(r#"{{"dl":"http://127.0.0.1:{}/dl"}}"#, server.port),
            );
            let mut lines: BTreeMap<String, String> = BTreeMap::new();
            for k in &self.registry {
                let dir_name = format!("{}-{}", k.name, k.version);
                write_package(&stage.join(&dir_name), &layout, k);
                let out = reg.join("crates").join(format!("{dir_name}.crate"));
                let cksum = registry::pack(&stage, &dir_name, &out);
                let feats: serde_json::Map<String, Value> = k
                    .features
                    .iter()
                    .map(|(n, items)| (n.clone(), serde_json::json!(items)))
                    .collect();
                let line = serde_json::json!({
                    "name": k.name, "vers": k.version, "deps": [], "cksum": cksum,
                    "features": feats, "yanked": false,
                });
                let entry = lines.entry(registry::index_path(&k.name)).or_default();
                entry.push_str(&line.to_string());
                entry.push('\n');
            }
            for (path, text) in lines {
                write(&reg.join("index").join(path), &text);
            }
            Some(server)
        };

        // Cargo configuration: crates.io is always replaced, so nothing reaches it.
        let mut config = format!(
            "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n\
             [source.vendored-sources]\ndirectory = {}\n",
            toml_str(&root.join("vendor").display().to_string())
        );
        if let Some(s) = &server {
            write!(
                config,
                "\n[registries.{ALT_REGISTRY}]\nindex = {}\n",
                toml_str(&s.index_url())
            )
            .unwrap();
        }
        write(&ws.join(".cargo").join("config.toml"), &config);
        for (path, text) in &self.files {
            write(&ws.join(path), text);
        }

        let fixture = Fixture {
            _dir: dir,
            root,
            ws,
            cargo_home,
            server,
            git_revs,
            counter: AtomicUsize::new(0),
        };
        // Resolve once, filling CARGO_HOME with git checkouts and registry downloads; the
        // network is needed only for `file://` git and the 127.0.0.1 registry.
        let needs_fetch = !self.git.is_empty() || !self.registry.is_empty();
        let mut first = fixture.cargo();
        first.args(["metadata", "--format-version", "1"]);
        if needs_fetch {
            first.env_remove("CARGO_NET_OFFLINE");
        } else {
            first.arg("--offline");
        }
        run_ok(&mut first);
        // And check that an offline run now works, as the tool will do it.
        let mut check = fixture.cargo();
        check.args(["metadata", "--format-version", "1", "--offline"]);
        run_ok(&mut check);
        fixture
    }
}

/// The prefix of every fixture's tempdir.
const TEMPDIR_PREFIX: &str = "vendor-audit-e2e-";

/// Fixtures shared through a `static` are never dropped, so their tempdirs outlive the
/// test process. Once per process, remove those left by runs that ended long ago.
fn sweep_stale_fixtures() {
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(|| {
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        let old = std::time::Duration::from_secs(3600);
        for e in entries.flatten() {
            let stale = e.file_name().to_string_lossy().starts_with(TEMPDIR_PREFIX)
                && e.metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > old);
            if stale {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    });
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = StdCommand::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=E2E Test",
            "-c",
            "user.email=e2e@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_ok(cmd: &mut StdCommand) -> String {
    let out = cmd.output().expect("spawn cargo");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A generated workspace with its sources, ready to audit.
pub struct Fixture {
    _dir: TempDir,
    /// The tempdir (canonical).
    pub root: PathBuf,
    /// The workspace root.
    pub ws: PathBuf,
    pub cargo_home: PathBuf,
    server: Option<registry::Server>,
    git_revs: BTreeMap<String, String>,
    counter: AtomicUsize,
}

impl Fixture {
    pub fn builder() -> FixtureBuilder {
        FixtureBuilder::default()
    }

    pub fn manifest(&self) -> PathBuf {
        self.ws.join("Cargo.toml")
    }

    /// The alternative registry's index URL, as cargo reports it in `source`.
    pub fn registry_url(&self) -> String {
        self.server
            .as_ref()
            .expect("the fixture has no registry packages")
            .index_url()
    }

    /// `file:///.../git/<name>`.
    pub fn git_url(&self, name: &str) -> String {
        format!("file://{}", self.root.join("git").join(name).display())
    }

    /// The package `source` cargo reports for the git package `name`: `git+URL#sha`.
    pub fn git_source(&self, name: &str) -> String {
        format!("git+{}#{}", self.git_url(name), self.git_revs[name])
    }

    /// A cargo command with the fixture's environment (own `CARGO_HOME`, offline),
    /// run in the workspace.
    pub fn cargo(&self) -> StdCommand {
        let mut cmd = StdCommand::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(&self.ws);
        self.apply_env(&mut cmd);
        cmd
    }

    /// The environment of every run: the fixture's `CARGO_HOME`, offline, no colour
    /// settings inherited from the test's environment.
    pub fn apply_env(&self, cmd: &mut StdCommand) {
        cmd.env("CARGO_HOME", &self.cargo_home)
            .env("CARGO_NET_OFFLINE", "true")
            .env("CARGO_TARGET_DIR", self.root.join("target"))
            .env("XDG_CACHE_HOME", self.root.join("cache"))
            // The fixture's registry is on 127.0.0.1: never through a proxy.
            .env("no_proxy", "127.0.0.1,localhost")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("CARGO_TERM_COLOR")
            .env_remove("NO_COLOR")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("RUSTFLAGS");
    }

    /// `cargo metadata --format-version 1 --offline` of the workspace.
    pub fn metadata_json(&self) -> String {
        let mut cmd = self.cargo();
        cmd.args(["metadata", "--format-version", "1", "--offline"]);
        run_ok(&mut cmd)
    }

    /// The package names `cargo tree` prints for every edge kind (the whole workspace
    /// unless `extra` has `-p`): the oracle of the book's graph rules (docs/src/inputs.md, "The graph").
    pub fn cargo_tree_packages(&self, extra: &[&str]) -> Vec<String> {
        let mut cmd = self.cargo();
        cmd.args(["tree", "--offline"]);
        if !extra.iter().any(|a| *a == "-p" || *a == "--package") {
            cmd.arg("--workspace");
        }
        cmd.args(["-e", "normal,build,dev", "--prefix", "none", "-f", "{p}"]);
        cmd.args(extra);
        let out = run_ok(&mut cmd);
        let mut names: Vec<String> = out
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Writes a policy file outside the workspace (so it is never discovered) and gives
    /// its path.
    pub fn write_policy(&self, text: &str) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let path = self
            .root
            .join("policies")
            .join(format!("policy-{}-{n}.toml", std::process::id()));
        write(&path, text);
        path
    }

    /// Writes a policy file named `name` under the fixture's `policies/` (for output that
    /// shows the policy's path and must not change from run to run).
    pub fn write_named_policy(&self, name: &str, text: &str) -> PathBuf {
        let path = self.root.join("policies").join(name);
        write(&path, text);
        path
    }

    /// Output with the run-specific parts replaced: the tempdir by `[ROOT]`, the registry
    /// port by `[PORT]`, git commits by `[REV]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&self.root.display().to_string(), "[ROOT]");
        if let Some(s) = &self.server {
            out = out.replace(&format!("127.0.0.1:{}", s.port), "127.0.0.1:[PORT]");
        }
        for rev in self.git_revs.values() {
            out = out.replace(rev.as_str(), "[REV]");
            out = out.replace(&rev[..7], "[REV]");
        }
        out
    }

    /// A file path under the fixture's tempdir that no other test uses.
    pub fn scratch_path(&self, name: &str) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let dir = self.root.join("scratch").join(n.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    /// The tool as cargo runs it (`cargo-vendor-audit vendor-audit ...`) with the fixture's
    /// environment and no arguments of ours beyond `vendor-audit`.
    pub fn bare_command(&self) -> assert_cmd::Command {
        let mut std_cmd = StdCommand::new(bin());
        std_cmd.current_dir(&self.ws);
        self.apply_env(&mut std_cmd);
        assert_cmd::Command::from_std(std_cmd)
    }

    /// An audit of this workspace with `policy` (TOML text, written to a file), or with
    /// no `--policy` when `None`.
    pub fn audit(&self, policy: Option<&str>) -> Audit<'_> {
        Audit {
            fixture: self,
            policy: policy.map(|p| self.write_policy(p)),
            args: Vec::new(),
            env: Vec::new(),
            direct: false,
            manifest: true,
            offline: true,
            today: Some(TODAY.to_string()),
            color: Some("never".to_string()),
            stdin: None,
        }
    }

    /// An audit of this workspace with the policy file at `path`.
    pub fn audit_file(&self, path: &Path) -> Audit<'_> {
        let mut a = self.audit(None);
        a.policy = Some(path.to_path_buf());
        a
    }

    /// The package id cargo gives the package named `name`.
    pub fn package_id(&self, name: &str) -> String {
        let m: Value = serde_json::from_str(&self.metadata_json()).unwrap();
        let ids: Vec<String> = m["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == name)
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), 1, "package `{name}` in the metadata: {ids:?}");
        ids.into_iter().next().unwrap()
    }
}

/// The path of the binary under test.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("cargo-vendor-audit")
}

/// One run of the tool being set up. By default: run as cargo runs it
/// (`cargo-vendor-audit vendor-audit ...`), with `--manifest-path`, `--offline`,
/// `--today 2026-11-27`, `--color never` and `--policy FILE` after the test's arguments.
pub struct Audit<'f> {
    fixture: &'f Fixture,
    policy: Option<PathBuf>,
    args: Vec<OsString>,
    env: Vec<(String, Option<String>)>,
    direct: bool,
    manifest: bool,
    offline: bool,
    today: Option<String>,
    color: Option<String>,
    stdin: Option<Vec<u8>>,
}

impl Audit<'_> {
    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), Some(value.to_string())));
        self
    }
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }
    /// Run as `cargo-vendor-audit ...` rather than `cargo-vendor-audit vendor-audit ...`.
    pub fn direct(mut self) -> Self {
        self.direct = true;
        self
    }
    /// Leave out `--manifest-path` (the run's directory is the workspace root).
    pub fn no_manifest_path(mut self) -> Self {
        self.manifest = false;
        self
    }
    /// Leave out `--offline` (the environment still has `CARGO_NET_OFFLINE=true`).
    pub fn no_offline(mut self) -> Self {
        self.offline = false;
        self
    }
    /// `--today DATE` instead of 2026-11-27, or no `--today` with `None`.
    pub fn today(mut self, date: Option<&str>) -> Self {
        self.today = date.map(str::to_string);
        self
    }
    /// `--color WHEN` instead of `never`, or no `--color` with `None`.
    pub fn color(mut self, when: Option<&str>) -> Self {
        self.color = when.map(str::to_string);
        self
    }

    /// The full argument list (after argv[0]).
    pub fn argv(&self) -> Vec<OsString> {
        let mut argv: Vec<OsString> = Vec::new();
        if !self.direct {
            argv.push("vendor-audit".into());
        }
        argv.extend(self.args.iter().cloned());
        if self.manifest {
            argv.push("--manifest-path".into());
            argv.push(self.fixture.manifest().into());
        }
        if self.offline {
            argv.push("--offline".into());
        }
        if let Some(t) = &self.today {
            argv.push("--today".into());
            argv.push(t.into());
        }
        if let Some(c) = &self.color {
            argv.push("--color".into());
            argv.push(c.into());
        }
        if let Some(p) = &self.policy {
            argv.push("--policy".into());
            argv.push(p.into());
        }
        argv
    }

    pub fn run(self) -> Run {
        let mut cmd = self.fixture.bare_command();
        cmd.args(self.argv());
        for (k, v) in &self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        if let Some(bytes) = &self.stdin {
            cmd.write_stdin(bytes.clone());
        }
        let out = cmd.output().expect("run cargo-vendor-audit");
        Run {
            code: out.status.code().expect("exit code"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs with `--format json`.
    pub fn json(self) -> Run {
        self.args(["--format", "json"]).run()
    }
}

/// What a run gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The report on stdout, parsed; panics with the run's output if it is not JSON.
    pub fn report(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON report ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The findings of a report.
pub fn findings(report: &Value) -> &Vec<Value> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array in {report:#}"))
}

/// Findings with this code about the package named `name` (any version).
pub fn find<'a>(report: &'a Value, code: &str, name: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["code"] == code && f["package"]["name"] == name)
        .collect()
}

/// The one finding with this code about `name`; panics with the report otherwise.
#[track_caller]
pub fn one<'a>(report: &'a Value, code: &str, name: &str) -> &'a Value {
    let found = find(report, code, name);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one `{code}` finding for `{name}`, got {}: {report:#}",
        found.len()
    );
    found[0]
}

/// `(code, package name or "-", entity or "-")` of every finding, in report order.
pub fn triples(report: &Value) -> Vec<(String, String, String)> {
    findings(report)
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
            (s(&f["code"]), s(&f["package"]["name"]), s(&f["entity"]))
        })
        .collect()
}

/// Names of the packages with a finding of this code.
pub fn packages_with(report: &Value, code: &str) -> Vec<String> {
    let mut names: Vec<String> = findings(report)
        .iter()
        .filter(|f| f["code"] == code)
        .filter_map(|f| f["package"]["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A policy file: `settings` go into `[policy]` (after `id`), `body` follows
/// (entities, exceptions, `[origins]`...).
pub fn policy(settings: &str, body: &str) -> String {
    format!("schema = 1\n\n[policy]\nid = \"e2e\"\n{settings}\n\n{body}\n")
}

/// An `[[entity]]` with a generated name and reason, and `match_toml` as its `[entity.match]`.
pub fn entity(id: &str, match_toml: &str) -> String {
    entity_with(id, "", match_toml)
}

/// As [`entity`], with extra keys (`severity`, `effective`...) before `[entity.match]`.
pub fn entity_with(id: &str, keys: &str, match_toml: &str) -> String {
    format!(
        "[[entity]]\nid = \"{id}\"\nname = \"{}\"\nreason = \"{}\"\n{keys}\n[entity.match]\n{match_toml}\n\n",
        entity_name(id),
        entity_reason(id)
    )
}

/// The name [`entity`] gives an entity.
pub fn entity_name(id: &str) -> String {
    format!("Entity {id} Ltd")
}

/// The reason [`entity`] gives an entity.
pub fn entity_reason(id: &str) -> String {
    format!("{id} is on the e2e test list")
}

/// Whether text holds an ANSI escape sequence.
pub fn has_ansi(text: &str) -> bool {
    text.contains("\x1b[")
}

/// The evidence of a finding with only the fields of the first JSON schema (docs/src/output-formats.md) (extensions dropped).
pub fn evidence(finding: &Value) -> Vec<Value> {
    finding["evidence"]
        .as_array()
        .unwrap_or_else(|| panic!("no evidence array in {finding:#}"))
        .iter()
        .map(|e| {
            serde_json::json!({
                "matcher": e["matcher"], "pattern": e["pattern"], "fact": e["fact"],
                "value": e["value"], "confidence": e["confidence"], "provenance": e["provenance"],
            })
        })
        .collect()
}

/// One evidence entry as [`evidence`] gives it.
pub fn ev(
    matcher: &str,
    pattern: &str,
    fact: &str,
    value: &str,
    confidence: &str,
    provenance: &str,
) -> Value {
    serde_json::json!({
        "matcher": matcher, "pattern": pattern, "fact": fact,
        "value": value, "confidence": confidence, "provenance": provenance,
    })
}

/// The `paths` of a finding as strings.
pub fn paths(finding: &Value) -> Vec<Vec<String>> {
    serde_json::from_value(finding["paths"].clone())
        .unwrap_or_else(|e| panic!("paths of {finding:#}: {e}"))
}

/// The `kinds` of a finding.
pub fn kinds(finding: &Value) -> Vec<String> {
    serde_json::from_value(finding["kinds"].clone())
        .unwrap_or_else(|e| panic!("kinds of {finding:#}: {e}"))
}
