//! The cargo-vet imports.lock source on wasmtime's real `supply-chain/imports.lock`,
//! against the crate versions of wasmtime's real `cargo metadata`.

use crate::support::corpus;

use cargo_vendor_audit::facts::publisher::{CrateKey, FactSource};
use cargo_vendor_audit::facts::vet::{VetImports, VetSource};
use cargo_vendor_audit::facts::{Provenance, Publisher};

fn imports() -> std::path::PathBuf {
    corpus::path("wasmtime.imports.lock")
}

fn registry_packages() -> Vec<CrateKey> {
    let text = std::fs::read_to_string(corpus::path("wasmtime.metadata.json")).unwrap();
    let metadata: serde_json::Value = serde_json::from_str(&text).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("registry+"))
        })
        .map(|p| CrateKey::new(p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect()
}

#[test]
fn wasmtime_publishers_match_exact_versions_only() {
    let wanted = registry_packages();
    assert_eq!(wanted.len(), 425);
    let got = VetSource::new(imports()).gather(&wanted);
    assert!(got.degraded.is_empty(), "{:?}", got.degraded);

    // 152 of the 425 registry packages have an entry for their exact version, 24 of
    // them from a trusted publisher.
    assert_eq!(got.facts.len(), 152);
    let trusted = got
        .facts
        .values()
        .filter(|f| {
            matches!(
                f.publisher.as_ref().unwrap().value,
                Some(Publisher::Trusted(_))
            )
        })
        .count();
    assert_eq!(trusted, 24);
    for facts in got.facts.values() {
        assert!(facts.owners.is_none(), "imports.lock knows no owners");
        let p = facts.publisher.as_ref().unwrap();
        assert_eq!(p.provenance, Provenance::CargoVetImports);
        assert!(p.fetched.as_deref().is_some_and(|w| w.len() == 10));
    }

    let aho = &got.facts[&CrateKey::new("aho-corasick", "1.0.2")];
    let p = aho.publisher.as_ref().unwrap();
    assert_eq!(
        p.value,
        Some(Publisher::User {
            id: 189,
            login: "BurntSushi".into()
        })
    );
    assert_eq!(p.fetched.as_deref(), Some("2023-06-04"));

    // mach2 has entries for 0.4.3 (a user) and 0.6.0 (trusted); the graph has 0.6.0.
    let mach2 = &got.facts[&CrateKey::new("mach2", "0.6.0")];
    assert_eq!(
        mach2.publisher.as_ref().unwrap().value,
        Some(Publisher::Trusted("github:JohnTitor/mach2".into()))
    );

    // cc has an entry, but for 1.0.89 only: the graph's 1.2.41 gets nothing.
    assert!(wanted.contains(&CrateKey::new("cc", "1.2.41")));
    assert!(!got.facts.contains_key(&CrateKey::new("cc", "1.2.41")));
    let imports = VetImports::load(&imports()).unwrap();
    assert!(imports.publisher("cc", "1.0.89").is_some());
    // hashbrown: three versions listed, none of them 0.12.3.
    assert!(
        !got.facts
            .contains_key(&CrateKey::new("hashbrown", "0.12.3"))
    );
}

#[test]
fn unreadable_imports_degrade() {
    let got = VetSource::new("tests/fixtures/corpus/no-such.imports.lock")
        .gather(&[CrateKey::new("cc", "1.0.89")]);
    assert!(got.facts.is_empty());
    assert_eq!(got.degraded.len(), 1);
    assert_eq!(got.degraded[0].source, "cargo-vet-imports");
    assert!(got.degraded[0].message.contains("no-such.imports.lock"));
}
