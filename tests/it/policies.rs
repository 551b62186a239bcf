//! The policy stage through the library API: shipped policies, files on disk, `extends`.

use std::fs;
use std::path::{Path, PathBuf};

use cargo_vendor_audit::policy::{self, Confidence, MatchValue, MatcherKind, PolicyErrors};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

fn shipped() -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = fs::read_dir(policies_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    files.sort();
    files
}

fn spec(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

fn load_err(specs: &[String]) -> PolicyErrors {
    policy::load(specs).expect_err("the policy should not load")
}

#[test]
fn every_shipped_policy_loads_on_its_own() {
    for (name, path) in shipped() {
        if let Err(e) = policy::load(&[spec(&path)]) {
            panic!("policies/{name}.toml does not load:\n{e}");
        }
        if let Err(e) = policy::load(&[format!("builtin:{name}")]) {
            panic!("builtin:{name} does not load:\n{e}");
        }
    }
}

#[test]
fn every_shipped_policy_is_a_registered_builtin() {
    let on_disk: Vec<String> = shipped().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        policy::builtin_names(),
        on_disk,
        "register each policies/*.toml in src/policy/builtin.rs"
    );
    for (name, path) in shipped() {
        assert_eq!(
            policy::builtin(&name),
            Some(fs::read_to_string(&path).unwrap().as_str()),
            "builtin:{name} differs from {}",
            path.display()
        );
    }
    assert_eq!(policy::builtin("nope"), None);
}

#[test]
fn us_federal_has_the_researched_entities() {
    let p = policy::load(&["builtin:us-federal".to_string()]).unwrap();
    let ids: Vec<&str> = p.entities.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "kaspersky",
            "huawei",
            "zte",
            "hytera",
            "hikvision",
            "dahua",
            "china-mobile-international-usa",
            "china-telecom-americas",
            "china-unicom-americas",
            "dji",
            "positive-technologies",
            "acronis"
        ]
    );
    assert_eq!(p.citations.len(), 24);
    assert_eq!(p.not_affiliated.len(), 5);
    let kaspersky = p.entity("kaspersky").unwrap();
    assert!(
        kaspersky
            .matchers
            .iter()
            .any(|m| m.kind == MatcherKind::Orgs
                && m.value == MatchValue::Str("github.com/KasperskyLab".into())
                && m.confidence == Confidence::High)
    );
    // Identifiers whose official status is unconfirmed never reach deny.
    let huawei = p.entity("huawei").unwrap();
    for m in &huawei.matchers {
        if m.note.as_deref().is_some_and(|n| n.contains("unconfirmed")) {
            assert_eq!(m.confidence, Confidence::Medium, "{}", m.value);
        }
    }
    assert!(p.sources.len() == 1 && p.sources[0].source == "builtin:us-federal");
    assert!(p.sources[0].reviewed.is_some());
    // Positive Technologies denies on its official org; its staff's domain is only low.
    let pt = p.entity("positive-technologies").unwrap();
    assert_eq!(pt.severity, policy::EntitySeverity::Deny);
    for m in &pt.matchers {
        if m.kind == MatcherKind::EmailDomains {
            assert_eq!(m.confidence, Confidence::Low);
        }
    }
    // OpenHarmony as a whole is low (it mirrors third-party crates); its common
    // libraries are medium.
    for m in &huawei.matchers {
        if let MatchValue::Str(v) = &m.value
            && v.contains("openharmony/")
        {
            let want = if v.contains("commonlibrary_") {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            assert_eq!(m.confidence, want, "{v}");
        }
    }
}

#[test]
fn us_dod_extends_us_federal_and_adds_the_1260h_companies_from_2027_06_30() {
    let p = policy::load(&["builtin:us-dod".to_string()]).unwrap();
    let sources: Vec<&str> = p.sources.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(sources, ["builtin:us-federal", "builtin:us-dod"]);
    let federal = policy::load(&["builtin:us-federal".to_string()]).unwrap();
    let added: Vec<&str> = p
        .entities
        .iter()
        .filter(|e| federal.entity(&e.id).is_none())
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(
        added,
        [
            "tencent",
            "alibaba",
            "baidu",
            "unitree",
            "china-mobile-group",
            "china-telecom-group",
            "china-unicom-group"
        ]
    );
    let s805 = cargo_vendor_audit::date::Date::new(2027, 6, 30);
    for id in added {
        let e = p.entity(id).unwrap();
        assert_eq!(e.severity, policy::EntitySeverity::Deny, "{id}");
        assert_eq!(e.effective, s805, "{id}");
        assert!(e.citations.iter().any(|c| c == "ndaa-fy2024-s805"), "{id}");
        assert!(e.citations.iter().any(|c| c == "dod-1260h-2026"), "{id}");
        // Employee signals stay low.
        for m in &e.matchers {
            if m.kind == MatcherKind::EmailDomains {
                assert_eq!(m.confidence, Confidence::Low, "{id}: {}", m.value);
            }
        }
    }
    // The listed entities of us-federal cite the 1260H list there.
    for id in ["huawei", "hikvision", "dahua", "dji"] {
        let e = p.entity(id).unwrap();
        assert!(e.citations.iter().any(|c| c == "dod-1260h-2026"), "{id}");
    }
}

#[test]
fn extends_is_relative_to_the_naming_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "org/base.toml",
        "schema = 1\n[policy]\nid = \"base\"\nextends = [\"builtin:us-federal\"]\n",
    );
    let top = write(
        dir.path(),
        "project/vendor-audit.toml",
        "schema = 1\n[policy]\nid = \"project\"\nextends = [\"../org/base.toml\"]\n\
         [[exception]]\ncrate = \"ylong_io\"\nentity = \"huawei\"\nreason = \"reviewed\"\nexpires = 2027-02-28\n",
    );
    let p = policy::load(&[spec(&top)]).unwrap();
    let ids: Vec<&str> = p.sources.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["us-federal", "base", "project"]);
    assert_eq!(
        p.sources[1].source,
        spec(&dir.path().join("org/base.toml")),
        "an extends target is named by its resolved path"
    );
    assert_eq!(p.settings.id, "project");
    assert_eq!(p.exceptions.len(), 1);
}

#[test]
fn diamond_is_loaded_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "base.toml",
        "schema = 1\n[policy]\nid = \"base\"\n[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\n[entity.match]\nhosts = [\"e.example\"]\n",
    );
    write(
        d,
        "a.toml",
        "schema = 1\n[policy]\nid = \"a\"\nextends = [\"base.toml\"]\n",
    );
    write(
        d,
        "b.toml",
        "schema = 1\n[policy]\nid = \"b\"\nextends = [\"./base.toml\"]\n",
    );
    let top = write(
        d,
        "top.toml",
        "schema = 1\n[policy]\nid = \"top\"\nextends = [\"a.toml\", \"b.toml\"]\n",
    );
    let p = policy::load(&[spec(&top)]).unwrap();
    let ids: Vec<&str> = p.sources.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["base", "a", "b", "top"]);
}

#[test]
fn extends_cycle_is_an_error_naming_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = write(
        d,
        "a.toml",
        "schema = 1\n[policy]\nid = \"a\"\nextends = [\"b.toml\"]\n",
    );
    write(
        d,
        "b.toml",
        "schema = 1\n[policy]\nid = \"b\"\nextends = [\"a.toml\"]\n",
    );
    let err = load_err(&[spec(&a)]);
    assert_eq!(err.0.len(), 1, "{err}");
    let d0 = &err.0[0];
    assert_eq!((d0.location.line, d0.location.column), (4, 12));
    assert!(d0.location.file.ends_with("b.toml"));
    let b = spec(&d.join("b.toml"));
    assert_eq!(
        d0.message,
        format!("`extends` cycle: {} -> {b} -> {}", spec(&a), spec(&a))
    );
}

#[test]
fn extends_to_a_missing_file_or_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("folder")).unwrap();
    let top = write(
        dir.path(),
        "top.toml",
        "schema = 1\n[policy]\nid = \"top\"\nextends = [\"missing.toml\", \"folder\"]\n",
    );
    let err = load_err(&[spec(&top)]);
    let got: Vec<(usize, usize, bool)> = err
        .0
        .iter()
        .map(|d| {
            (
                d.location.line,
                d.location.column,
                d.message.contains("no such file") || d.message.contains("it is a folder"),
            )
        })
        .collect();
    assert_eq!(got, [(4, 12, true), (4, 28, true)], "{err}");
    assert!(err.0[1].message.contains("it is a folder"));
}

#[test]
fn duplicate_ids_across_files_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let mine = write(
        dir.path(),
        "mine.toml",
        "schema = 1\n[policy]\nid = \"mine\"\n\n[[entity]]\nid = \"kaspersky\"\nname = \"K\"\nreason = \"r\"\n[entity.match]\nhosts = [\"k.example\"]\n",
    );
    let err = load_err(&["builtin:us-federal".to_string(), spec(&mine)]);
    assert_eq!(err.0.len(), 1, "{err}");
    let d = &err.0[0];
    assert_eq!(d.location.file, spec(&mine));
    assert_eq!((d.location.line, d.location.column), (6, 6));
    assert!(d.message.contains("builtin:us-federal"), "{d}");
    assert!(d.message.contains(&spec(&mine)), "{d}");
}

#[test]
fn one_file_with_five_errors_gives_five_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.toml",
        "schema = 1\n\
         [policy]\n\
         id = \"bad\"\n\
         warn-min-confidence = \"hihg\"\n\
         [[entity]]\n\
         id = \"e\"\n\
         name = \"E\"\n\
         reason = \"r\"\n\
         citations = [\"nowhere\"]\n\
         [entity.match]\n\
         email-domains = [\"dev@e.example\"]\n\
         crates-io-users = [\"octocat\"]\n\
         [[exception]]\n\
         crate = \"c\"\n\
         reason = \"r\"\n",
    );
    let err = load_err(&[spec(&bad)]);
    let at: Vec<(usize, usize)> = err
        .0
        .iter()
        .map(|d| (d.location.line, d.location.column))
        .collect();
    assert_eq!(at, [(4, 23), (9, 14), (11, 18), (12, 20), (13, 1)], "{err}");
    assert!(
        err.to_string()
            .ends_with("could not load the policy: 5 problems found")
    );
}

#[test]
fn unreadable_spec_names_the_file() {
    let err = load_err(&["does/not/exist.toml".to_string()]);
    assert_eq!(err.0.len(), 1);
    assert_eq!(err.0[0].location.file, "does/not/exist.toml");
    assert!(
        err.to_string()
            .contains("cannot read policy file `does/not/exist.toml`: no such file")
    );
}
