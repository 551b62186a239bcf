//! Hand-written `cargo metadata` output, for tests that must not run cargo or that break
//! the output on purpose: a workspace `app` and the crates.io packages it depends on.

use std::path::Path;

use serde_json::{Value, json};

pub const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// One package: a member (`registry` false) or a crates.io package.
pub fn package(root: &Path, name: &str, version: &str, registry: bool) -> Value {
    let id = if registry {
        format!("{CRATES_IO}#{name}@{version}")
    } else {
        format!("path+file://{}#{name}@{version}", root.display())
    };
    json!({
        "name": name, "version": version, "id": id,
        "source": if registry { json!(CRATES_IO) } else { Value::Null },
        "dependencies": [], "targets": [], "features": {},
        "manifest_path": root.join(name).join("Cargo.toml"),
        "authors": [], "repository": null, "homepage": null, "metadata": null, "publish": null,
        "license": null, "license_file": null, "description": null, "categories": [],
        "keywords": [], "readme": null, "edition": "2021", "links": null,
        "default_run": null, "rust_version": null
    })
}

/// Declares a plain normal dependency on the crates.io package `dep`.
pub fn declare(pkg: &mut Value, dep: &str) {
    pkg["dependencies"].as_array_mut().unwrap().push(json!({
        "name": dep, "source": CRATES_IO, "req": "*", "kind": null, "rename": null,
        "optional": false, "uses_default_features": true, "features": [], "target": null,
        "registry": null
    }));
}

/// The resolve node of `id`, with a normal edge to each of `deps`.
pub fn node(id: &str, deps: &[&Value]) -> Value {
    json!({
        "id": id, "features": [],
        "dependencies": deps.iter().map(|p| p["id"].clone()).collect::<Vec<_>>(),
        "deps": deps.iter().map(|p| json!({
            "name": p["name"].as_str().unwrap().replace('-', "_"), "pkg": p["id"],
            "dep_kinds": [{"kind": null, "target": null}]
        })).collect::<Vec<_>>()
    })
}

/// `cargo metadata` output for a workspace `app` depending on these crates.io packages.
pub fn metadata(root: &Path, deps: &[(&str, &str)]) -> Value {
    let mut app = package(root, "app", "0.1.0", false);
    let pkgs: Vec<Value> = deps
        .iter()
        .map(|(n, v)| package(root, n, v, true))
        .collect();
    for (n, _) in deps {
        declare(&mut app, n);
    }
    let app_id = app["id"].as_str().unwrap().to_string();
    let mut nodes = vec![node(&app_id, &pkgs.iter().collect::<Vec<_>>())];
    nodes.extend(pkgs.iter().map(|p| node(p["id"].as_str().unwrap(), &[])));
    let mut packages = vec![app];
    packages.extend(pkgs);
    json!({
        "packages": packages, "workspace_members": [app_id],
        "workspace_default_members": [app_id],
        "resolve": {"nodes": nodes, "root": app_id},
        "target_directory": root.join("target"), "version": 1,
        "workspace_root": root, "metadata": null
    })
}
