//! End-to-end: packages from every kind of source (path, crates.io through a directory
//! source, `file://` git, a sparse alternative registry on 127.0.0.1) as cargo reports
//! them and as the tool audits them, the `[origins]` rules, and the audited set checked
//! against `cargo tree` (the oracle of the book's graph rules, docs/src/inputs.md).

use std::sync::OnceLock;

use crate::support::*;
use serde_json::{Value, json};

/// ```text
/// app (member) ── helper 0.2.0 (path, outside the workspace)
///              ├─ foo 1.2.3 ── bar 2.0.1             (crates.io, directory source)
///              ├─ gdep 0.3.0 (file:// git) ── bar
///              ├─ altdep 0.4.2 (alt registry)
///              ├─ weakdep 0.1.0 (optional, only `weakdep?/std`: not built)
///              ├─ strongopt 0.1.0 (optional, `dep:strongopt` in default)
///              ├─ featdep 0.1.0 (optional, feature `extra`, not default)
///              ├─ pinned 0.1.0 (cfg(any()): never built)
///              ├─ winonly 0.1.0 (cfg(windows))
///              ├─ bdep 0.1.0 (build) ── bbase 0.1.0
///              ├─ trip 0.1.0 (target x86_64-pc-windows-gnu, a plain triple)
///              ├─ never 0.1.0 (cfg(all(unix, windows)): true on no target)
///              ├─ real-name 0.1.0 (renamed `alias`)
///              └─ ddep 0.1.0 (dev) ── bar, ddbuild 0.1.0 (build)
/// sibling (member) ── app (path)
/// ```
fn fixture() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        Fixture::builder()
            .member(
                Krate::new("app", "0.1.0")
                    .dep(Dep::path("helper"))
                    .dep(Dep::crates_io("foo", "1.2"))
                    .dep(Dep::git("gdep"))
                    .dep(Dep::registry("altdep", "0.4"))
                    .dep(Dep::crates_io("weakdep", "0.1").optional())
                    .dep(Dep::crates_io("strongopt", "0.1").optional())
                    .dep(Dep::crates_io("pinned", "=0.1.0").target("cfg(any())"))
                    .dep(Dep::crates_io("winonly", "0.1").target("cfg(windows)"))
                    .dep(Dep::crates_io("bdep", "0.1").build())
                    .dep(Dep::crates_io("ddep", "0.1").dev())
                    .dep(Dep::crates_io("trip", "0.1").target("x86_64-pc-windows-gnu"))
                    .dep(Dep::crates_io("never", "0.1").target("cfg(all(unix, windows))"))
                    .dep(Dep::crates_io("real-name", "0.1").rename("alias"))
                    .feature("default", &["weak", "strong"])
                    .feature("weak", &["weakdep?/std"])
                    .feature("strong", &["dep:strongopt"])
                    .dep(Dep::crates_io("featdep", "0.1").optional())
                    .feature("extra", &["dep:featdep"]),
            )
            .member(Krate::new("sibling", "0.1.0").dep(Dep::path("app").no_default_features()))
            .path_crate(
                Krate::new("helper", "0.2.0").repository("https://github.com/Helpers/helper"),
            )
            .vendored(Krate::new("foo", "1.2.3").dep(Dep::crates_io("bar", "2")))
            .vendored(Krate::new("bar", "2.0.1"))
            .vendored(Krate::new("weakdep", "0.1.0").feature("std", &[]))
            .vendored(Krate::new("strongopt", "0.1.0"))
            .vendored(Krate::new("pinned", "0.1.0"))
            .vendored(Krate::new("featdep", "0.1.0"))
            .vendored(Krate::new("winonly", "0.1.0"))
            .vendored(Krate::new("bdep", "0.1.0").dep(Dep::crates_io("bbase", "0.1")))
            .vendored(Krate::new("bbase", "0.1.0"))
            .vendored(
                Krate::new("ddep", "0.1.0")
                    .dep(Dep::crates_io("bar", "2"))
                    .dep(Dep::crates_io("ddbuild", "0.1").build()),
            )
            .vendored(Krate::new("ddbuild", "0.1.0"))
            .vendored(Krate::new("trip", "0.1.0"))
            .vendored(Krate::new("never", "0.1.0"))
            .vendored(Krate::new("real-name", "0.1.0"))
            .git(Krate::new("gdep", "0.3.0").dep(Dep::crates_io("bar", "2")))
            .registry(Krate::new("altdep", "0.4.2"))
            .build()
    })
}

/// crates.io packages that are built (not weakdep, pinned or never).
const BUILT_VENDORED: [&str; 10] = [
    "bar",
    "bbase",
    "bdep",
    "ddbuild",
    "ddep",
    "real-name",
    "trip",
    "foo",
    "strongopt",
    "winonly",
];

fn built_vendored() -> Vec<String> {
    strings(&BUILT_VENDORED)
}

fn strings(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn origins(toml: &str) -> String {
    policy("", &format!("[origins]\n{toml}\n"))
}

#[test]
fn cargo_reports_each_source_as_expected() {
    let fx = fixture();
    let m: Value = serde_json::from_str(&fx.metadata_json()).unwrap();
    let mut got: Vec<(String, Value)> = m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_string(), p["source"].clone()))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let crates_io = Value::from(CRATES_IO);
    let expected: Vec<(String, Value)> = vec![
        ("altdep".into(), Value::from(fx.registry_url())),
        ("app".into(), Value::Null),
        ("bar".into(), crates_io.clone()),
        ("bbase".into(), crates_io.clone()),
        ("bdep".into(), crates_io.clone()),
        ("ddbuild".into(), crates_io.clone()),
        ("ddep".into(), crates_io.clone()),
        ("foo".into(), crates_io.clone()),
        ("gdep".into(), Value::from(fx.git_source("gdep"))),
        ("helper".into(), Value::Null),
        ("never".into(), crates_io.clone()),
        ("pinned".into(), crates_io.clone()),
        ("real-name".into(), crates_io.clone()),
        ("sibling".into(), Value::Null),
        ("strongopt".into(), crates_io.clone()),
        ("trip".into(), crates_io.clone()),
        ("weakdep".into(), crates_io.clone()),
        ("winonly".into(), crates_io.clone()),
    ];
    assert_eq!(got, expected);
    assert!(
        fx.registry_url().starts_with("sparse+http://127.0.0.1:"),
        "{}",
        fx.registry_url()
    );
}

/// Every audited package gets an `info` finding from `crates = ["*"]`.
fn everything() -> String {
    policy("", &entity("all", r#"crates = ["*"]"#))
}

#[test]
fn audited_set_is_what_cargo_tree_prints() {
    let fx = fixture();
    let tree = fx.cargo_tree_packages(&["--target", "all"]);
    // The fixture is what it claims: weakdep is not built, pinned only through cfg(any()).
    assert!(!tree.contains(&"weakdep".to_string()), "{tree:?}");
    assert!(tree.contains(&"pinned".to_string()), "{tree:?}");
    assert!(tree.contains(&"strongopt".to_string()), "{tree:?}");
    // never's cfg(all(unix, windows)) holds on no target either.
    assert!(tree.contains(&"never".to_string()), "{tree:?}");
    let expected: Vec<String> = tree
        .into_iter()
        .filter(|n| n != "pinned" && n != "never")
        .collect();

    let run = fx
        .audit(Some(&everything()))
        .arg("--include-workspace")
        .json();
    run.expect_code(0);
    let report = run.report();
    assert_eq!(packages_with(&report, "restricted-entity"), expected);
    assert_eq!(report["summary"]["audited"], expected.len());
    assert_eq!(report["summary"]["info"], expected.len());

    // Members are walked through but not audited by default.
    let run = fx.audit(Some(&everything())).json();
    let members = ["app", "sibling"];
    let non_members: Vec<String> = expected
        .iter()
        .filter(|n| !members.contains(&n.as_str()))
        .cloned()
        .collect();
    assert_eq!(
        packages_with(&run.report(), "restricted-entity"),
        non_members
    );
}

#[test]
fn audited_set_for_one_target_is_what_cargo_tree_prints() {
    let fx = fixture();
    // (triple, present, absent)
    for (triple, present, absent) in [
        ("x86_64-unknown-linux-gnu", vec![], vec!["winonly", "trip"]),
        ("x86_64-pc-windows-gnu", vec!["winonly", "trip"], vec![]),
        ("x86_64-pc-windows-msvc", vec!["winonly"], vec!["trip"]),
    ] {
        let tree = fx.cargo_tree_packages(&["--target", triple]);
        for name in &present {
            assert!(tree.contains(&name.to_string()), "{triple}: {tree:?}");
        }
        for name in &absent {
            assert!(!tree.contains(&name.to_string()), "{triple}: {tree:?}");
        }
        let run = fx
            .audit(Some(&everything()))
            .args(["--include-workspace", "--target", triple])
            .json();
        assert_eq!(
            packages_with(&run.report(), "restricted-entity"),
            tree,
            "{triple}"
        );
    }
}

#[test]
fn kinds_are_the_strongest_edge_on_each_path() {
    let fx = fixture();
    let report = fx.audit(Some(&everything())).json().report();
    let k = |n| kinds(one(&report, "restricted-entity", n));
    assert_eq!(k("foo"), ["normal"]);
    // bar: through foo and gdep (normal), and through the dev-dependency ddep.
    assert_eq!(k("bar"), ["normal", "dev"]);
    assert_eq!(k("bdep"), ["build"]);
    assert_eq!(k("bbase"), ["build"]);
    assert_eq!(k("ddep"), ["dev"]);
    // A build-dependency of a dev-dependency is dev.
    assert_eq!(k("ddbuild"), ["dev"]);
    // Renamed: found through the package, not the extern name.
    assert_eq!(k("real-name"), ["normal"]);
    // From every root, shortest first: sibling builds app, and so app's build-dependency.
    assert_eq!(
        paths(one(&report, "restricted-entity", "bbase")),
        [
            vec!["app@0.1.0", "bdep@0.1.0", "bbase@0.1.0"],
            vec!["sibling@0.1.0", "app@0.1.0", "bdep@0.1.0", "bbase@0.1.0"]
        ]
    );
}

#[test]
fn paths_keep_to_the_kinds_in_scope() {
    let fx = fixture();
    let report = fx.audit(Some(&everything())).json().report();
    let bar = paths(one(&report, "restricted-entity", "bar"));
    assert!(
        bar.iter().any(|p| p.contains(&"ddep@0.1.0".to_string())),
        "{bar:?}"
    );
    // Without dev edges, bar is reached only through foo and gdep.
    let report = fx
        .audit(Some(&everything()))
        .arg("--exclude-dev")
        .json()
        .report();
    let f = one(&report, "restricted-entity", "bar");
    assert_eq!(kinds(f), ["normal"]);
    let bar = paths(f);
    assert!(!bar.is_empty());
    for p in &bar {
        assert!(!p.contains(&"ddep@0.1.0".to_string()), "{bar:?}");
    }
    assert_eq!(find(&report, "restricted-entity", "ddep").len(), 0);
    // Only dev in scope: bar is audited as dev, through ddep only.
    let text = policy(
        "dependency-kinds = [\"dev\"]",
        &entity("all", r#"crates = ["*"]"#),
    );
    let report = fx.audit(Some(&text)).json().report();
    let f = one(&report, "restricted-entity", "bar");
    assert_eq!(kinds(f), ["dev"]);
    assert_eq!(paths(f)[0], ["app@0.1.0", "ddep@0.1.0", "bar@2.0.1"]);
    assert_eq!(find(&report, "restricted-entity", "foo").len(), 0);
}

#[test]

fn paths_do_not_follow_dev_dependencies_of_a_dependency() {
    let fx = fixture();
    // sibling depends on app, but building sibling does not build app's dev-dependencies:
    // `-p sibling` does not reach ddep, so no path from sibling may lead to it, and an
    // exception `via = ["sibling"]` must not apply to it.
    let only_sibling = fx
        .audit(Some(&everything()))
        .args(["-p", "sibling"])
        .json()
        .report();
    assert_eq!(find(&only_sibling, "restricted-entity", "ddep").len(), 0);

    let text = policy(
        "",
        &format!(
            "{}[[exception]]\ncrate = \"ddep\"\nvia = [\"sibling\"]\nreason = \"r\"\nexpires = 2027-01-01\n",
            entity("all", r#"crates = ["*"]"#)
        ),
    );
    let report = fx.audit(Some(&text)).json().report();
    let f = one(&report, "restricted-entity", "ddep");
    assert_eq!(paths(f), [["app@0.1.0", "ddep@0.1.0"]]);
    assert_eq!(f["exception"], Value::Null, "{f:#}");
}

#[test]
fn audited_set_from_one_root_is_what_cargo_tree_prints() {
    let fx = fixture();
    let tree = fx.cargo_tree_packages(&["--target", "all", "-p", "sibling"]);
    assert!(!tree.contains(&"ddep".to_string()), "{tree:?}");
    let expected: Vec<String> = tree
        .into_iter()
        .filter(|n| n != "pinned" && n != "never")
        .collect();
    let run = fx
        .audit(Some(&everything()))
        .args(["--include-workspace", "-p", "sibling"])
        .json();
    let audited = packages_with(&run.report(), "restricted-entity");
    // `cargo metadata` unifies features over the whole workspace, so a package switched
    // on only by a feature that another member enables (strongopt: app's default feature,
    // which sibling turns off) may be audited too; nothing else may differ.
    let extra: Vec<&String> = audited.iter().filter(|n| !expected.contains(n)).collect();
    let missing: Vec<&String> = expected.iter().filter(|n| !audited.contains(n)).collect();
    assert_eq!(missing, Vec::<&String>::new(), "audited {audited:?}");
    assert!(
        extra.iter().all(|n| *n == "strongopt"),
        "audited {audited:?}, cargo tree {expected:?}"
    );
}

#[test]
fn exception_kinds_must_cover_every_kind_the_package_is_reached_by() {
    let fx = fixture();
    let waived = |kinds: &str| {
        let text = policy(
            "",
            &format!(
                "{}[[exception]]\ncrate = \"bar\"\nkinds = {kinds}\nreason = \"r\"\nexpires = 2027-01-01\n",
                entity("barred", r#"crates = ["bar"]"#)
            ),
        );
        let report = fx.audit(Some(&text)).json().report();
        !one(&report, "restricted-entity", "bar")["exception"].is_null()
    };
    // bar is reached through normal and dev edges.
    assert!(!waived(r#"["dev"]"#));
    assert!(!waived(r#"["normal"]"#));
    assert!(waived(r#"["normal", "dev"]"#));
}

#[test]
fn path_packages_are_audited_with_a_null_source() {
    let fx = fixture();
    let run = fx
        .audit(Some(&policy(
            "",
            &entity("helpers", r#"orgs = ["github.com/Helpers"]"#),
        )))
        .json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["helper"]);
    let f = one(&report, "restricted-entity", "helper");
    assert_eq!(
        f["package"],
        json!({"name": "helper", "version": "0.2.0", "id": fx.package_id("helper"), "source": null})
    );
}

#[test]
fn directory_source_packages_are_crates_io_packages() {
    let fx = fixture();
    let run = fx
        .audit(Some(&policy(
            "",
            &entity("cio", r#"registries = ["crates-io"]"#),
        )))
        .json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        built_vendored()
    );
    let f = one(&report, "restricted-entity", "foo");
    assert_eq!(
        f["package"],
        json!({"name": "foo", "version": "1.2.3", "id": fx.package_id("foo"), "source": CRATES_IO})
    );
    // Allowed by the default `allow-registries = ["crates-io"]`.
    let run = fx
        .audit(Some(&origins(
            "unknown-registry = \"deny\"\nunknown-git = \"deny\"",
        )))
        .json();
    assert_eq!(
        packages_with(&run.report(), "unapproved-registry"),
        ["altdep"]
    );
}

// ---------------------------------------------------------------------------------------
// git

#[test]
fn unknown_git_deny_flags_the_git_package() {
    let fx = fixture();
    let run = fx.audit(Some(&origins("unknown-git = \"deny\""))).json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(
        triples(&report),
        [(
            "unapproved-git".to_string(),
            "gdep".to_string(),
            "-".to_string()
        )]
    );
    let f = one(&report, "unapproved-git", "gdep");
    assert_eq!(f["severity"], "deny");
    assert_eq!(f["entity"], Value::Null);
    assert_eq!(
        f["package"],
        json!({"name": "gdep", "version": "0.3.0", "id": fx.package_id("gdep"), "source": fx.git_source("gdep")})
    );
    assert_eq!(kinds(f), ["normal"]);
    assert_eq!(
        paths(f),
        [
            vec!["app@0.1.0", "gdep@0.3.0"],
            vec!["sibling@0.1.0", "app@0.1.0", "gdep@0.3.0"]
        ]
    );
    let evidence = f["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{f:#}");
    assert_eq!(evidence[0]["value"], fx.git_url("gdep"));

    let run = fx.audit(Some(&origins("unknown-git = \"warn\""))).json();
    run.expect_code(0);
    assert_eq!(
        one(&run.report(), "unapproved-git", "gdep")["severity"],
        "warn"
    );

    // The default is allow.
    let run = fx.audit(Some(&origins(""))).json();
    run.expect_code(0);
    assert_eq!(triples(&run.report()), []);
}

#[test]
fn allow_git_prefixes_and_near_misses() {
    let fx = fixture();
    let url = fx.git_url("gdep");
    let parent = url.trim_end_matches("/gdep").to_string();
    let near = url.trim_end_matches('p').to_string();
    let flagged = |allow: &str| {
        let text = origins(&format!(
            "unknown-git = \"deny\"\nallow-git = [{}]",
            toml_str(allow)
        ));
        let run = fx.audit(Some(&text)).json();
        let flagged = packages_with(&run.report(), "unapproved-git");
        (run.code, flagged)
    };
    assert_eq!(flagged(&url), (0, vec![]));
    assert_eq!(flagged(&parent), (0, vec![]));
    assert_eq!(flagged(&format!("{url}/")), (0, vec![]));
    // `.../gde` is not a prefix of `.../gdep` at a `/` boundary.
    assert_eq!(flagged(&near), (1, vec!["gdep".to_string()]));
    assert_eq!(
        flagged(&format!("{parent}/other")),
        (1, vec!["gdep".to_string()])
    );
    assert_eq!(
        flagged("github.com/some-org"),
        (1, vec!["gdep".to_string()])
    );
}

#[test]
fn repositories_glob_sees_the_git_source() {
    let fx = fixture();
    let pattern = format!("{}/*", fx.root.join("git").display());
    let pattern = format!("file://{pattern}");
    let text = policy(
        "",
        &entity(
            "gitters",
            &format!("repositories = [{}]", toml_str(&pattern)),
        ),
    );
    let run = fx.audit(Some(&text)).json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["gdep"]);
    assert_eq!(
        evidence(one(&report, "restricted-entity", "gdep")),
        [ev(
            "repositories",
            &pattern,
            "git-source",
            &fx.git_url("gdep"),
            "high",
            "cargo-metadata"
        )]
    );
}

// ---------------------------------------------------------------------------------------
// Alternative registry

#[test]
fn unknown_registry_deny_flags_the_alt_registry_package() {
    let fx = fixture();
    let url = fx.registry_url();
    let run = fx
        .audit(Some(&origins("unknown-registry = \"deny\"")))
        .json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(
        triples(&report),
        [(
            "unapproved-registry".to_string(),
            "altdep".to_string(),
            "-".to_string()
        )]
    );
    let f = one(&report, "unapproved-registry", "altdep");
    assert_eq!(f["severity"], "deny");
    assert_eq!(f["entity"], Value::Null);
    assert_eq!(
        f["package"],
        json!({"name": "altdep", "version": "0.4.2", "id": fx.package_id("altdep"), "source": url})
    );
    assert_eq!(
        paths(f),
        [
            vec!["app@0.1.0", "altdep@0.4.2"],
            vec!["sibling@0.1.0", "app@0.1.0", "altdep@0.4.2"]
        ]
    );
    let evidence = f["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{f:#}");
    assert_eq!(evidence[0]["value"], url);

    let run = fx
        .audit(Some(&origins("unknown-registry = \"warn\"")))
        .json();
    run.expect_code(0);
    assert_eq!(
        one(&run.report(), "unapproved-registry", "altdep")["severity"],
        "warn"
    );
}

#[test]
fn allow_registries() {
    let fx = fixture();
    let url = fx.registry_url();
    let flagged = |allow: &str| {
        let text = origins(&format!(
            "unknown-registry = \"deny\"\nallow-registries = {allow}"
        ));
        packages_with(
            &fx.audit(Some(&text)).json().report(),
            "unapproved-registry",
        )
    };
    assert_eq!(
        flagged(&format!("[\"crates-io\", {}]", toml_str(&url))),
        Vec::<String>::new()
    );
    // Only the alt registry: now every crates.io package is unapproved.
    assert_eq!(flagged(&format!("[{}]", toml_str(&url))), built_vendored());
    // Another port is another registry.
    assert_eq!(
        flagged("[\"crates-io\", \"sparse+http://127.0.0.1:1/index/\"]"),
        ["altdep"]
    );
}

#[test]
fn hosts_see_the_registry_index_url() {
    let fx = fixture();
    let url = fx.registry_url();
    let run = fx
        .audit(Some(&policy(
            "",
            &entity("local", r#"hosts = ["127.0.0.1"]"#),
        )))
        .json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["altdep"]);
    assert_eq!(
        evidence(one(&report, "restricted-entity", "altdep")),
        [ev(
            "hosts",
            "127.0.0.1",
            "registry",
            &url,
            "high",
            "cargo-metadata"
        )]
    );
}

// ---------------------------------------------------------------------------------------
// Feature flags are forwarded to cargo metadata

#[test]
fn feature_flags_are_forwarded() {
    let fx = fixture();
    let has = |list: &[String], name: &str| list.iter().any(|n| n == name);
    for (flags, with, without) in [
        (vec![], vec!["strongopt"], vec!["featdep", "weakdep"]),
        (
            vec!["--features", "app/extra"],
            vec!["featdep", "strongopt"],
            vec!["weakdep"],
        ),
        // The implicit feature `weakdep` switches it on.
        (
            vec!["--all-features"],
            vec!["featdep", "strongopt", "weakdep"],
            vec![],
        ),
        (
            vec!["--no-default-features"],
            vec!["foo"],
            vec!["featdep", "strongopt"],
        ),
    ] {
        let mut tree_args = vec!["--target", "all"];
        tree_args.extend(&flags);
        let expected: Vec<String> = fx
            .cargo_tree_packages(&tree_args)
            .into_iter()
            .filter(|n| !["pinned", "never", "app", "sibling"].contains(&n.as_str()))
            .collect();
        let run = fx.audit(Some(&everything())).args(&flags).json();
        run.expect_code(0);
        let audited = packages_with(&run.report(), "restricted-entity");
        assert_eq!(audited, expected, "{flags:?}");
        for name in with {
            assert!(has(&audited, name), "{flags:?}: {name} in {audited:?}");
        }
        for name in without {
            assert!(!has(&audited, name), "{flags:?}: {name} not in {audited:?}");
        }
    }
}

#[test]

fn human_output_does_not_say_an_unapproved_origin_matches_the_allow_list() {
    let fx = fixture();
    let run = fx
        .audit(Some(&origins(
            "unknown-registry = \"deny\"\nunknown-git = \"deny\"",
        )))
        .run();
    run.expect_code(1);
    assert!(run.stdout.contains("altdep"), "{}", run.stdout);
    assert!(run.stdout.contains("gdep"), "{}", run.stdout);
    for claim in ["matches allow-registries", "matches allow-git"] {
        assert!(
            !run.stdout.contains(claim),
            "the output claims `{claim}`:\n{}",
            run.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------
// A git dependency on a forge, through edited metadata (`--metadata-path`)

/// The fixture's metadata with gdep's `file://` repository replaced by `url`.
fn metadata_with_git_url(fx: &Fixture, url: &str) -> std::path::PathBuf {
    let metadata = fx.metadata_json().replace(&fx.git_url("gdep"), url);
    assert!(metadata.contains(&format!("git+{url}#")), "{metadata}");
    let path = fx.scratch_path("metadata.json");
    std::fs::write(&path, metadata).unwrap();
    path
}

#[test]
fn git_sources_on_a_forge_match_orgs_and_allow_git() {
    let fx = fixture();
    let url = "https://GitHub.com/My-Org/gdep.git";
    let metadata = metadata_with_git_url(fx, url);
    let run_with = |text: &str| {
        fx.audit(Some(text))
            .arg("--metadata-path")
            .arg(&metadata)
            .json()
    };

    let run = run_with(&policy(
        "",
        &entity("myorg", r#"orgs = ["github.com/my-org"]"#),
    ));
    run.expect_code(1);
    let report = run.report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["gdep"]);
    let f = one(&report, "restricted-entity", "gdep");
    assert_eq!(
        evidence(f),
        [ev(
            "orgs",
            "github.com/my-org",
            "git-source",
            url,
            "high",
            "cargo-metadata"
        )]
    );
    assert!(
        f["package"]["source"]
            .as_str()
            .unwrap()
            .starts_with(&format!("git+{url}#")),
        "{f:#}"
    );

    let flagged = |allow: &str| {
        let text = origins(&format!(
            "unknown-git = \"deny\"\nallow-git = [{}]",
            toml_str(allow)
        ));
        packages_with(&run_with(&text).report(), "unapproved-git")
    };
    let none: Vec<String> = Vec::new();
    assert_eq!(flagged("github.com/my-org"), none);
    assert_eq!(flagged("github.com/MY-ORG"), none);
    assert_eq!(flagged("https://github.com/my-org/gdep"), none);
    assert_eq!(flagged("github.com/my-org-x"), ["gdep"]);
    assert_eq!(flagged("github.com/my"), ["gdep"]);
    assert_eq!(flagged("gitlab.com/my-org"), ["gdep"]);
    assert_eq!(flagged("https://github.com/my-org/gde"), ["gdep"]);
}

#[test]
fn crates_io_under_its_sparse_url_is_crates_io() {
    let fx = fixture();
    let sparse = "sparse+https://index.crates.io/";
    let metadata = fx.metadata_json().replace(CRATES_IO, sparse);
    let path = fx.scratch_path("metadata.json");
    std::fs::write(&path, metadata).unwrap();
    let run_with = |text: &str| {
        fx.audit(Some(text))
            .arg("--metadata-path")
            .arg(&path)
            .json()
    };

    let run = run_with(&policy("", &entity("cio", r#"registries = ["crates-io"]"#)));
    run.expect_code(1);
    let report = run.report();
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        built_vendored()
    );
    assert_eq!(
        one(&report, "restricted-entity", "foo")["package"]["source"],
        sparse
    );

    // Allowed by the default `allow-registries = ["crates-io"]`: only the alt registry.
    let run = run_with(&origins("unknown-registry = \"deny\""));
    assert_eq!(
        packages_with(&run.report(), "unapproved-registry"),
        ["altdep"]
    );

    // And publisher matchers want facts for them.
    let run = run_with(&policy("", &entity("pubs", "crates-io-users = [1]")));
    assert_eq!(
        packages_with(&run.report(), "missing-facts"),
        built_vendored()
    );
}
