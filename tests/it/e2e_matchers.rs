//! End-to-end: each matcher kind of `[entity.match]` fires on the package it should, with
//! the evidence the book's json format (docs/src/output-formats.md) describes, and not on a near miss.

use std::sync::OnceLock;

use crate::support::*;
use serde_json::{Value, json};

/// crates.io packages of the fixture (all served by the directory source).
const VENDORED: [(&str, &str); 19] = [
    ("acme-gitlab", "1.0.0"),
    ("acme-gitplus", "1.0.0"),
    ("acme-home", "1.1.0"),
    ("acme-near", "1.0.0"),
    ("acme-repo", "1.0.0"),
    ("acme-userinfo", "1.0.0"),
    ("copy-crate", "0.2.0"),
    ("copy-license", "0.2.0"),
    ("copy-near", "0.2.0"),
    ("host-exact", "0.1.0"),
    ("host-near", "0.1.0"),
    ("host-port", "0.1.0"),
    ("host-sub", "0.1.0"),
    ("mail-near", "0.3.0"),
    ("mail-sub", "0.3.0"),
    ("oh-crate", "2.0.0"),
    ("oh-near", "2.0.0"),
    ("zz-acmetool", "0.1.0"),
    ("zz_acme_tool", "0.1.0"),
];

fn vendored(name: &str, version: &str) -> Krate {
    let k = Krate::new(name, version);
    match name {
        "acme-repo" => k.repository("https://github.com/AcmeCorp/x"),
        "acme-near" => k.repository("https://github.com/AcmeCorpX/x"),
        "acme-gitlab" => k.repository("https://gitlab.com/AcmeCorp/x"),
        "acme-home" => k.homepage("https://www.GitHub.com/acmecorp/site/"),
        "acme-gitplus" => k.repository("git+https://GitHub.com/AcmeCorp/y.git?branch=main#readme"),
        "host-sub" => k.repository("https://git.sub.example.com/team/repo"),
        "host-near" => k
            .repository("https://notexample.com/team/repo")
            .homepage("https://example.com.evil.net/"),
        "host-port" => k.repository("https://git.Example.com:8443/team/repo"),
        "acme-userinfo" => k.repository("https://token@github.com/AcmeCorp/z"),
        "copy-license" => k.file(
            "LICENSE-MIT",
            "MIT License\n\nCopyright (c) 2020 Acme Holdings Inc.\n\nPermission is hereby granted...\n",
        ),
        "host-exact" => k.homepage("https://example.com"),
        "oh-crate" => k.repository("https://gitee.com/openharmony/ylong.git"),
        "oh-near" => k.repository("https://gitee.com/openharmony-sig/ylong"),
        "mail-sub" => k.author("Eve <eve@Dev.Example.org>"),
        "mail-near" => k
            .author("Mallory <mallory@badexample.org>")
            .author("Trent <trent@example.org.evil.net>"),
        "copy-crate" => k.lib_rs("// Copyright (c) 2024 Acme Holdings Inc.\n\n//! Docs.\n"),
        "copy-near" => k.lib_rs("// Copyright (c) 2024 Acme Holding Company\n"),
        _ => k,
    }
}

fn fixture() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        let mut app = Krate::new("app", "0.1.0")
            .dep(Dep::path("helper"))
            .dep(Dep::git("gdep"))
            .dep(Dep::registry("altdep", "0.4"));
        let mut b = Fixture::builder();
        for (name, version) in VENDORED {
            app = app.dep(Dep::crates_io(name, &format!("={version}")));
            b = b.vendored(vendored(name, version));
        }
        b.member(app)
            .path_crate(
                Krate::new("helper", "0.2.0").repository("https://github.com/AcmeCorp/helper"),
            )
            .git(Krate::new("gdep", "0.3.0"))
            .registry(Krate::new("altdep", "0.4.2"))
            .build()
    })
}

fn one_entity(match_toml: &str) -> String {
    policy("", &entity("acme", match_toml))
}

fn names(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn vendored_names() -> Vec<String> {
    names(&VENDORED.map(|(n, _)| n))
}

#[test]
fn orgs_match_the_org_on_its_host_and_not_lookalikes() {
    let fx = fixture();
    let run = fx
        .audit(Some(&one_entity(r#"orgs = ["github.com/AcmeCorp"]"#)))
        .json();
    run.expect_code(1);
    let report = run.report();
    // Not AcmeCorpX on github.com, not AcmeCorp on gitlab.com.
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        names(&[
            "acme-gitplus",
            "acme-home",
            "acme-repo",
            "acme-userinfo",
            "helper"
        ])
    );

    let f = one(&report, "restricted-entity", "acme-repo");
    assert_eq!(f["code"], "restricted-entity");
    assert_eq!(f["severity"], "deny");
    assert_eq!(f["entity"], "acme");
    assert_eq!(
        f["package"],
        json!({"name": "acme-repo", "version": "1.0.0", "id": fx.package_id("acme-repo"), "source": CRATES_IO})
    );
    assert_eq!(kinds(f), ["normal"]);
    assert_eq!(
        evidence(f),
        [ev(
            "orgs",
            "github.com/AcmeCorp",
            "repository",
            "https://github.com/AcmeCorp/x",
            "high",
            "cargo-metadata"
        )]
    );
    assert_eq!(paths(f), [["app@0.1.0", "acme-repo@1.0.0"]]);
    assert_eq!(f["exception"], Value::Null);
    assert!(f["message"].is_string(), "{f:#}");

    // Normalization: `www.`, case and the trailing `/` of the homepage do not matter;
    // the evidence shows the value as written.
    let home = one(&report, "restricted-entity", "acme-home");
    assert_eq!(
        evidence(home),
        [ev(
            "orgs",
            "github.com/AcmeCorp",
            "homepage",
            "https://www.GitHub.com/acmecorp/site/",
            "high",
            "cargo-metadata"
        )]
    );

    // `git+`, `.git`, the query and the fragment are dropped before comparing.
    assert_eq!(
        evidence(one(&report, "restricted-entity", "acme-gitplus")),
        [ev(
            "orgs",
            "github.com/AcmeCorp",
            "repository",
            "git+https://GitHub.com/AcmeCorp/y.git?branch=main#readme",
            "high",
            "cargo-metadata"
        )]
    );

    // A path package is audited too, and has no source.
    let helper = one(&report, "restricted-entity", "helper");
    assert_eq!(
        helper["package"],
        json!({"name": "helper", "version": "0.2.0", "id": fx.package_id("helper"), "source": null})
    );
    assert_eq!(paths(helper), [["app@0.1.0", "helper@0.2.0"]]);
}

#[test]
fn orgs_compare_the_host() {
    let fx = fixture();
    let run = fx
        .audit(Some(&one_entity(r#"orgs = ["gitlab.com/AcmeCorp"]"#)))
        .json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["acme-gitlab"]);
    assert_eq!(
        evidence(one(&report, "restricted-entity", "acme-gitlab")),
        [ev(
            "orgs",
            "gitlab.com/AcmeCorp",
            "repository",
            "https://gitlab.com/AcmeCorp/x",
            "high",
            "cargo-metadata"
        )]
    );
}

#[test]
fn hosts_match_the_host_and_its_subdomains_only() {
    let fx = fixture();
    let run = fx
        .audit(Some(&one_entity(r#"hosts = ["example.com"]"#)))
        .json();
    run.expect_code(1);
    let report = run.report();
    // Not notexample.com, not example.com.evil.net; the port does not matter.
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        names(&["host-exact", "host-port", "host-sub"])
    );
    let f = one(&report, "restricted-entity", "host-sub");
    assert_eq!(f["severity"], "deny");
    assert_eq!(
        evidence(f),
        [ev(
            "hosts",
            "example.com",
            "repository",
            "https://git.sub.example.com/team/repo",
            "high",
            "cargo-metadata"
        )]
    );
    assert_eq!(
        evidence(one(&report, "restricted-entity", "host-exact")),
        [ev(
            "hosts",
            "example.com",
            "homepage",
            "https://example.com",
            "high",
            "cargo-metadata"
        )]
    );
}

#[test]
fn registries_match_the_alternative_registry_url() {
    let fx = fixture();
    let url = fx.registry_url();
    let run = fx
        .audit(Some(&one_entity(&format!(
            "registries = [{}]",
            toml_str(&url)
        ))))
        .json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["altdep"]);
    let f = one(&report, "restricted-entity", "altdep");
    assert_eq!(f["severity"], "deny");
    assert_eq!(
        f["package"],
        json!({"name": "altdep", "version": "0.4.2", "id": fx.package_id("altdep"), "source": url})
    );
    assert_eq!(
        evidence(f),
        [ev(
            "registries",
            &url,
            "registry",
            &url,
            "high",
            "cargo-metadata"
        )]
    );
    assert_eq!(paths(f), [["app@0.1.0", "altdep@0.4.2"]]);
}

#[test]
fn registries_near_miss_another_port() {
    let fx = fixture();
    let run = fx
        .audit(Some(&one_entity(
            r#"registries = ["sparse+http://127.0.0.1:1/index/"]"#,
        )))
        .json();
    run.expect_code(0);
    assert_eq!(triples(&run.report()), []);
}

#[test]
fn registries_crates_io_matches_exactly_the_crates_io_packages() {
    let fx = fixture();
    let run = fx
        .audit(Some(&one_entity(r#"registries = ["crates-io"]"#)))
        .json();
    run.expect_code(1);
    let report = run.report();
    // Directory-source packages are crates.io packages; path, git and alt-registry ones are not.
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        vendored_names()
    );
    assert_eq!(
        evidence(one(&report, "restricted-entity", "oh-near")),
        [ev(
            "registries",
            "crates-io",
            "registry",
            CRATES_IO,
            "high",
            "cargo-metadata"
        )]
    );
}

#[test]
fn repositories_glob_over_normalized_urls() {
    let fx = fixture();
    // Case-insensitive; `openharmony-sig` is a near miss.
    let run = fx
        .audit(Some(&one_entity(
            r#"repositories = ["https://gitee.com/OpenHarmony/*"]"#,
        )))
        .json();
    run.expect_code(1);
    let report = run.report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["oh-crate"]);
    assert_eq!(
        evidence(one(&report, "restricted-entity", "oh-crate")),
        [ev(
            "repositories",
            "https://gitee.com/OpenHarmony/*",
            "repository",
            "https://gitee.com/openharmony/ylong.git",
            "high",
            "cargo-metadata"
        )]
    );
}

#[test]
fn repositories_glob_compares_the_normalized_url() {
    let fx = fixture();
    let run = fx
        .audit(Some(&one_entity(
            r#"repositories = ["https://github.com/acmecorp/y"]"#,
        )))
        .json();
    run.expect_code(1);
    assert_eq!(
        packages_with(&run.report(), "restricted-entity"),
        ["acme-gitplus"]
    );
}

#[test]
fn email_domains_match_subdomains_not_lookalikes() {
    let fx = fixture();
    let run = fx
        .audit(Some(&one_entity(r#"email-domains = ["example.org"]"#)))
        .json();
    // medium confidence: a warning, so the default `--fail-on deny` passes.
    run.expect_code(0);
    let report = run.report();
    assert_eq!(packages_with(&report, "restricted-entity"), ["mail-sub"]);
    let f = one(&report, "restricted-entity", "mail-sub");
    assert_eq!(f["severity"], "warn");
    assert_eq!(
        evidence(f),
        [ev(
            "email-domains",
            "example.org",
            "author-email",
            "Eve <eve@Dev.Example.org>",
            "medium",
            "cargo-metadata"
        )]
    );
    assert_eq!(report["summary"]["warn"], 1, "{:#}", report["summary"]);
    assert_eq!(report["summary"]["deny"], 0);
}

#[test]
fn copyright_holders_need_scan_sources() {
    let fx = fixture();
    let text = one_entity(r#"copyright-holders = ["Acme Holdings Inc"]"#);
    let run = fx.audit(Some(&text)).arg("--scan-sources").json();
    run.expect_code(0);
    let report = run.report();
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        names(&["copy-crate", "copy-license"])
    );
    assert_eq!(
        evidence(one(&report, "restricted-entity", "copy-license")),
        [ev(
            "copyright-holders",
            "Acme Holdings Inc",
            "copyright",
            "Copyright (c) 2020 Acme Holdings Inc. (LICENSE-MIT)",
            "low",
            "crate-sources"
        )]
    );
    let f = one(&report, "restricted-entity", "copy-crate");
    // low confidence: info.
    assert_eq!(f["severity"], "info");
    assert_eq!(
        evidence(f),
        [ev(
            "copyright-holders",
            "Acme Holdings Inc",
            "copyright",
            "Copyright (c) 2024 Acme Holdings Inc. (src/lib.rs)",
            "low",
            "crate-sources"
        )]
    );

    let without = fx.audit(Some(&text)).json();
    without.expect_code(0);
    assert_eq!(triples(&without.report()), []);
}

#[test]
fn crates_glob_over_folded_names() {
    let fx = fixture();
    let run = fx
        .audit(Some(&one_entity(r#"crates = ["zz-acme-*"]"#)))
        .json();
    run.expect_code(0);
    let report = run.report();
    // `-` and `_` compare equal; `zz-acmetool` is a near miss.
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        ["zz_acme_tool"]
    );
    let f = one(&report, "restricted-entity", "zz_acme_tool");
    assert_eq!(f["severity"], "info");
    // Case does not matter either.
    let upper = fx
        .audit(Some(&one_entity(r#"crates = ["ZZ_ACME-*"]"#)))
        .json()
        .report();
    assert_eq!(packages_with(&upper, "restricted-entity"), ["zz_acme_tool"]);
    assert_eq!(
        evidence(f),
        [ev(
            "crates",
            "zz-acme-*",
            "name",
            "zz_acme_tool",
            "low",
            "cargo-metadata"
        )]
    );
}

/// No publisher facts source exists in these runs: every crates.io package gets
/// `missing-facts`, and no path, git or alt-registry package does.
fn publisher_matcher_gives_missing_facts(match_toml: &str) {
    let fx = fixture();
    let run = fx.audit(Some(&one_entity(match_toml))).json();
    run.expect_code(0);
    let report = run.report();
    assert_eq!(packages_with(&report, "missing-facts"), vendored_names());
    assert_eq!(
        packages_with(&report, "restricted-entity"),
        Vec::<String>::new()
    );
    for name in ["helper", "gdep", "altdep", "app"] {
        assert_eq!(find(&report, "missing-facts", name).len(), 0, "{name}");
    }
    let f = one(&report, "missing-facts", "acme-repo");
    assert_eq!(f["severity"], "warn");
    assert_eq!(f["entity"], Value::Null);
    assert_eq!(f["package"]["source"], CRATES_IO);
    assert_eq!(f["package"]["version"], "1.0.0");
    assert_eq!(f["exception"], Value::Null);
    assert_eq!(paths(f), [["app@0.1.0", "acme-repo@1.0.0"]]);
    assert_eq!(report["summary"]["warn"], VENDORED.len());
}

#[test]
fn crates_io_users_give_missing_facts() {
    publisher_matcher_gives_missing_facts("crates-io-users = [12345]");
}

#[test]
fn crates_io_logins_give_missing_facts() {
    publisher_matcher_gives_missing_facts(r#"crates-io-logins = ["acme-bot"]"#);
}

#[test]
fn crates_io_teams_give_missing_facts() {
    publisher_matcher_gives_missing_facts(r#"crates-io-teams = ["github:AcmeCorp:*"]"#);
}
