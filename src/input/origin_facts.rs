//! Manifest facts (repository, homepage, authors) for packages an input names without
//! their manifest (`--lockfile`, `--binary`).
//!
//! [`OriginFacts`] asks its [`ManifestSource`]s in order; the one here is the local cargo
//! registry cache, `$CARGO_HOME/registry/src/*/NAME-VERSION/Cargo.toml`, where cargo
//! unpacked the crate. Another source of these facts (a local store of every crate's
//! repository and homepage) implements [`ManifestSource`] and goes in front of it in
//! [`OriginFacts::from_env`].

use std::path::{Path, PathBuf};

use crate::facts::Provenance;
use crate::limits;

/// The largest manifest read from the cache.
const MANIFEST_BYTES: u64 = 1 << 20;

/// What a manifest says about where a package comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestFacts {
    /// The manifest's `repository` URL, as written.
    pub repository: Option<String>,
    /// The manifest's `homepage` URL, as written.
    pub homepage: Option<String>,
    /// The manifest's `authors` entries, e.g. `Jane Doe <jane@example.com>`.
    pub authors: Vec<String>,
    /// The manifest's `license-file`, relative to the package folder.
    pub license_file: Option<String>,
    /// The manifest read, where there is one (`--scan-sources` reads its folder).
    pub manifest_path: PathBuf,
    /// Where the facts came from, as the report names it.
    pub provenance: Provenance,
}

/// A source of manifest facts for registry packages.
pub trait ManifestSource: Send + Sync {
    /// The facts of `name` `version` of crates.io (or, with `any_registry`, of any
    /// registry), if this source has them.
    fn lookup(&self, name: &str, version: &str, any_registry: bool) -> Option<ManifestFacts>;
}

/// The sources of manifest facts, asked in order; the first answer wins.
#[derive(Default)]
pub struct OriginFacts {
    sources: Vec<Box<dyn ManifestSource>>,
}

impl OriginFacts {
    /// The sources this machine has.
    pub fn from_env() -> OriginFacts {
        OriginFacts {
            sources: vec![Box::new(RegistryCache::from_env())],
        }
    }

    /// The manifest facts of package `name` `version`, if a source has them.
    pub fn lookup(&self, name: &str, version: &str, any_registry: bool) -> Option<ManifestFacts> {
        self.sources
            .iter()
            .find_map(|s| s.lookup(name, version, any_registry))
    }
}

/// The local cargo registry cache.
#[derive(Clone, Debug, Default)]
pub struct RegistryCache {
    /// `$CARGO_HOME/registry/src/*` folders in a fixed order, each with whether it is
    /// crates.io's (`index.crates.io-*`, `github.com-*`).
    cache_dirs: Vec<(PathBuf, bool)>,
}

impl RegistryCache {
    /// The cache of `$CARGO_HOME`, else of `~/.cargo`.
    pub fn from_env() -> RegistryCache {
        let home = std::env::var_os("CARGO_HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| dirs::home_dir().map(|h| h.join(".cargo")));
        let mut cache_dirs = Vec::new();
        if let Some(home) = home
            && let Ok(entries) = std::fs::read_dir(home.join("registry").join("src"))
        {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let crates_io =
                    name.starts_with("index.crates.io-") || name.starts_with("github.com-");
                cache_dirs.push((entry.path(), crates_io));
            }
        }
        cache_dirs.sort();
        RegistryCache { cache_dirs }
    }
}

impl ManifestSource for RegistryCache {
    fn lookup(&self, name: &str, version: &str, any_registry: bool) -> Option<ManifestFacts> {
        self.cache_dirs
            .iter()
            .filter(|(_, crates_io)| *crates_io || any_registry)
            .map(|(d, _)| d.join(format!("{name}-{version}")).join("Cargo.toml"))
            .find(|p| p.is_file())
            .and_then(|p| read_manifest(&p))
    }
}

/// The `[package]` facts of one manifest; `None` when it cannot be read or parsed (the
/// package then counts as one whose facts are unknown).
fn read_manifest(path: &Path) -> Option<ManifestFacts> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        package: Package,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        repository: Option<String>,
        homepage: Option<String>,
        #[serde(default)]
        authors: Vec<String>,
        #[serde(rename = "license-file")]
        license_file: Option<String>,
    }
    let text = limits::read_text(path, MANIFEST_BYTES).ok()?;
    let m: Manifest = toml::from_str(&text).ok()?;
    Some(ManifestFacts {
        repository: m.package.repository,
        homepage: m.package.homepage,
        authors: m.package.authors,
        license_file: m.package.license_file,
        manifest_path: path.to_path_buf(),
        provenance: Provenance::RegistryCache,
    })
}
