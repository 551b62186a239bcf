//! The fields of `cargo metadata --format-version 1` that the graph stage reads, with
//! strings borrowed from the JSON text.
//!
//! `cargo_metadata`'s full model parses every target, every version requirement and every
//! `cfg` of every dependency, and allocates each string; on a 1,000-package graph that was
//! half of the whole audit. This model skips what the audit never reads and borrows every
//! string that has no JSON escape. Unknown fields are ignored, so output of newer cargo
//! versions still loads.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::Deserialize;

pub use crate::graph::DepKind;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The top-level object.
#[derive(Debug, Deserialize)]
pub struct Model<'a> {
    /// Every package cargo resolved, in its order (with `--no-deps`, only the members).
    #[serde(borrow)]
    pub packages: Vec<Package<'a>>,
    /// Package ids of the workspace members.
    #[serde(borrow)]
    pub workspace_members: Vec<Str<'a>>,
    /// Absent or null with `cargo metadata --no-deps`.
    #[serde(borrow, default)]
    pub resolve: Option<Resolve<'a>>,
    /// The workspace's root folder, absolute.
    #[serde(borrow)]
    pub workspace_root: Str<'a>,
    /// `[workspace.metadata]`, or null.
    #[serde(default, rename = "metadata")]
    pub workspace_metadata: serde_json::Value,
}

/// One entry of `packages`.
#[derive(Debug, Deserialize)]
pub struct Package<'a> {
    /// The opaque package id, e.g. `registry+https://github.com/rust-lang/crates.io-index#serde@1.0.200`.
    #[serde(borrow)]
    pub id: Str<'a>,
    /// The crate's name as written in its manifest, e.g. `serde_json`.
    #[serde(borrow)]
    pub name: Str<'a>,
    /// The package's version, e.g. `1.0.108`.
    pub version: semver::Version,
    /// Null for path packages.
    #[serde(borrow, default)]
    pub source: Option<Str<'a>>,
    /// The dependencies declared in the manifest, of every kind and target.
    #[serde(borrow, default)]
    pub dependencies: Vec<Dependency<'a>>,
    /// `[features]`, kept as text: parsed only for a package that is built with a
    /// feature enabled (see [`Package::features`]).
    #[serde(borrow, default)]
    pub features: Option<&'a RawValue>,
    /// Whether a target is a `proc-macro` (built for the host, as build scripts are).
    #[serde(default, rename = "targets", deserialize_with = "has_proc_macro")]
    pub proc_macro: bool,
    /// Absolute path to the package's `Cargo.toml`.
    #[serde(borrow)]
    pub manifest_path: Str<'a>,
    /// The manifest's `repository` URL, as written.
    #[serde(borrow, default)]
    pub repository: Option<Str<'a>>,
    /// The manifest's `homepage` URL, as written.
    #[serde(borrow, default)]
    pub homepage: Option<Str<'a>>,
    /// The manifest's `authors` entries, e.g. `Jane Doe <jane@example.com>`.
    #[serde(borrow, default)]
    pub authors: Vec<Str<'a>>,
    /// The manifest's `license-file`, relative to the package folder.
    #[serde(borrow, default)]
    pub license_file: Option<Str<'a>>,
}

impl<'a> Package<'a> {
    /// Parses `features`, the map of each feature to what it enables.
    pub fn features(&self) -> Result<Features<'a>, serde_json::Error> {
        match self.features {
            Some(raw) => serde_json::from_str(raw.get()),
            None => Ok(Features::default()),
        }
    }
}

/// One declared dependency of a package (`[dependencies]` and friends).
#[derive(Debug, Deserialize)]
pub struct Dependency<'a> {
    /// The package name.
    #[serde(borrow)]
    pub name: Str<'a>,
    /// The name in the manifest when renamed (`foo = { package = "bar" }`).
    #[serde(borrow, default)]
    pub rename: Option<Str<'a>>,
    /// Which table it is declared in; `normal` when cargo gives none.
    #[serde(default, deserialize_with = "dep_kind")]
    pub kind: DepKind,
    /// `x86_64-pc-windows-msvc` or `cfg(...)`, as cargo prints it.
    #[serde(borrow, default)]
    pub target: Option<Str<'a>>,
    /// Whether it is declared `optional = true`.
    #[serde(default)]
    pub optional: bool,
    /// `default-features` (absent: true).
    #[serde(default = "yes")]
    pub uses_default_features: bool,
    /// `features = [...]` of the declaration.
    #[serde(borrow, default)]
    pub features: Vec<Str<'a>>,
}

fn yes() -> bool {
    true
}

/// The `resolve` section.
#[derive(Debug, Deserialize)]
pub struct Resolve<'a> {
    /// One node per resolved package.
    #[serde(borrow)]
    pub nodes: Vec<Node<'a>>,
}

/// One resolved package and its resolved dependencies.
#[derive(Debug, Deserialize)]
pub struct Node<'a> {
    /// The package id this node resolves.
    #[serde(borrow)]
    pub id: Str<'a>,
    /// The dependencies cargo resolved for the package, across all kinds and targets.
    #[serde(borrow, default)]
    pub deps: Vec<NodeDep<'a>>,
    /// The enabled features.
    #[serde(borrow, default)]
    pub features: Vec<Str<'a>>,
}

/// One resolved dependency of a node.
#[derive(Debug, Deserialize)]
pub struct NodeDep<'a> {
    /// The extern crate name (`-` already `_`).
    #[serde(borrow, default)]
    pub name: Str<'a>,
    /// The package id of the dependency.
    #[serde(borrow)]
    pub pkg: Str<'a>,
    /// Empty in the output of cargo before 1.41.
    #[serde(borrow, default)]
    pub dep_kinds: Vec<DepKindInfo<'a>>,
}

/// One (kind, target) under which a resolved dependency is declared.
#[derive(Debug, Deserialize)]
pub struct DepKindInfo<'a> {
    /// The table it is declared in; `normal` when cargo gives none.
    #[serde(default, deserialize_with = "dep_kind")]
    pub kind: DepKind,
    /// `x86_64-pc-windows-msvc` or `cfg(...)`, as cargo prints it; `None` for every target.
    #[serde(borrow, default)]
    pub target: Option<Str<'a>>,
}

/// Whether some entry of `targets` has the kind `proc-macro`; reads only `kind`, and
/// allocates nothing.
fn has_proc_macro<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    /// `kind` holds `proc-macro`.
    struct Kinds(bool);
    impl<'de> Deserialize<'de> for Kinds {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Kinds, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Kinds;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a list of target kinds")
                }
                fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<Kinds, S::Error> {
                    let mut found = false;
                    while let Some(kind) = seq.next_element::<Str<'de>>()? {
                        found |= &*kind == "proc-macro";
                    }
                    Ok(Kinds(found))
                }
            }
            d.deserialize_seq(V)
        }
    }
    #[derive(Deserialize)]
    struct Target {
        #[serde(default)]
        kind: Option<Kinds>,
    }
    struct Targets;
    impl<'de> Visitor<'de> for Targets {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of targets")
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<bool, S::Error> {
            let mut found = false;
            while let Some(t) = seq.next_element::<Target>()? {
                found |= t.kind.is_some_and(|k| k.0);
            }
            Ok(found)
        }
    }
    d.deserialize_any(Targets)
}

/// null is normal. An unknown future kind counts as normal too: auditing too much beats
/// missing a crate.
fn dep_kind<'de, D: Deserializer<'de>>(d: D) -> Result<DepKind, D::Error> {
    let kind: Option<Str<'de>> = Option::deserialize(d)?;
    Ok(match kind.as_deref() {
        Some("dev") => DepKind::Dev,
        Some("build") => DepKind::Build,
        _ => DepKind::Normal,
    })
}

/// A JSON string, borrowed from the text unless it holds an escape.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Str<'a>(pub Cow<'a, str>);

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'a> Str<'a> {
    /// A part of the string, still borrowed from the text when the whole is.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Str<'a> {
        match &self.0 {
            Cow::Borrowed(s) => Str(Cow::Borrowed(&s[range])),
            Cow::Owned(s) => Str(Cow::Owned(s[range].to_string())),
        }
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Str<'a>, D::Error> {
        struct StrVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for StrVisitor<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(StrVisitor(PhantomData))
    }
}

/// `features`: each feature and, still as JSON text, what it enables; sorted by name for
/// lookup. A value is parsed only when its feature is looked up: a package built with
/// two of its hundred features reads two lists.
#[derive(Debug, Default)]
pub struct Features<'a>(Vec<(Str<'a>, &'a str)>);

impl<'a> Features<'a> {
    fn find(&self, name: &str) -> Option<usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(name)).ok()
    }

    /// Whether `[features]` defines `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// What the feature `name` enables, if `[features]` defines it; an error when that
    /// is not a list of strings.
    pub fn get(&self, name: &str) -> Option<Result<Vec<Str<'a>>, serde_json::Error>> {
        self.find(name).map(|i| serde_json::from_str(self.0[i].1))
    }

    /// cargo prints them sorted. Of a key given twice keep the last, as a map would:
    /// reversed, the stable sort puts it first of its run.
    fn sorted(mut entries: Vec<(Str<'a>, &'a str)>) -> Features<'a> {
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        Features(entries)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Features<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Features<'a>, D::Error> {
        struct FeaturesVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for FeaturesVisitor<'a> {
            type Value = Features<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of feature names to lists of strings")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Features<'a>, M::Error> {
                let mut entries: Vec<(Str<'a>, &'a str)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((key, value)) = map.next_entry::<Str<'a>, &'a RawValue>()? {
                    entries.push((key, value.get()));
                }
                Ok(Features::sorted(entries))
            }
        }
        d.deserialize_map(FeaturesVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let v: Vec<Str> = serde_json::from_str(r#"["plain", "C:\\path", "\u00e9"]"#).unwrap();
        assert!(matches!(v[0].0, Cow::Borrowed("plain")));
        assert!(matches!(&v[1].0, Cow::Owned(s) if s == "C:\\path"));
        assert_eq!(&*v[2], "é");
    }

    #[test]
    fn features_are_looked_up_by_name() {
        let f: Features = serde_json::from_str(
            r#"{"std": ["alloc", "dep:libc"], "alloc": [], "default": ["std"]}"#,
        )
        .unwrap();
        let len = |f: &Features, name: &str| f.get(name).map(|v| v.unwrap().len());
        assert_eq!(len(&f, "std"), Some(2));
        assert_eq!(len(&f, "alloc"), Some(0));
        assert!(f.get("libc").is_none());
        assert!(f.contains("default") && !f.contains("libc"));
        let twice: Features = serde_json::from_str(r#"{"a": ["x"], "b": [], "a": ["y"]}"#).unwrap();
        assert_eq!(&*twice.get("a").unwrap().unwrap()[0], "y");
        let bad: Features = serde_json::from_str(r#"{"a": "x"}"#).unwrap();
        assert!(bad.get("a").unwrap().is_err());
    }

    #[test]
    fn kinds_null_dev_build_and_unknown() {
        let d: Vec<DepKindInfo> = serde_json::from_str(
            r#"[{"kind": null}, {"kind": "dev"}, {"kind": "build", "target": "cfg(unix)"}, {"kind": "future"}, {}]"#,
        )
        .unwrap();
        let kinds: Vec<DepKind> = d.iter().map(|i| i.kind).collect();
        use DepKind::*;
        assert_eq!(kinds, [Normal, Dev, Build, Normal, Normal]);
        assert_eq!(d[2].target.as_deref(), Some("cfg(unix)"));
    }
}
