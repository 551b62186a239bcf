//! Unit tests of the policy stage: each class of error, with its exact `file:line:column`.

use super::load::{MemFs, load_with};
use super::*;
use crate::graph::DepKind;

/// A valid file head: lines 1-3. Bodies given to `policy!` start at line 4.
macro_rules! policy {
    ($($body:expr),* $(,)?) => {
        concat!("schema = 1\n[policy]\nid = \"p\"\n", $($body),*)
    };
}

/// A valid entity, lines +0..+5 of where it is put.
macro_rules! entity {
    ($id:expr) => {
        concat!(
            "[[entity]]\nid = \"",
            $id,
            "\"\nname = \"E\"\nreason = \"r\"\n[entity.match]\norgs = [\"github.com/e\"]\n"
        )
    };
}

fn load_mem(
    files: &[(&'static str, &'static str)],
    specs: &[&str],
) -> Result<Policy, PolicyErrors> {
    let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
    load_with(&MemFs(files.to_vec()), &specs)
}

/// Loads `text` as `policy.toml` and gives its problems.
fn problems(text: &'static str) -> Vec<Diagnostic> {
    match load_mem(&[("policy.toml", text)], &["policy.toml"]) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    }
}

fn at(d: &Diagnostic) -> String {
    let l = &d.location;
    format!("{}:{}:{}", l.file, l.line, l.column)
}

/// Asserts exactly one problem, at `where_`, whose message contains `needle`.
#[track_caller]
fn only(text: &'static str, where_: &str, needle: &str) -> Diagnostic {
    let ds = problems(text);
    assert_eq!(
        ds.len(),
        1,
        "expected one problem, got: {}",
        PolicyErrors(ds.clone())
    );
    assert_eq!(at(&ds[0]), where_, "{}", ds[0]);
    assert!(
        ds[0].message.contains(needle),
        "`{needle}` not in: {}",
        ds[0]
    );
    ds[0].clone()
}

#[test]
fn a_minimal_file_loads_with_defaults() {
    let p = load_mem(&[("policy.toml", policy!(entity!("e")))], &["policy.toml"]).unwrap();
    assert_eq!(
        p.settings,
        Settings {
            id: "p".into(),
            ..Settings::default()
        }
    );
    assert_eq!(
        p.sources,
        vec![PolicySource {
            id: "p".into(),
            source: "policy.toml".into(),
            reviewed: None,
        }]
    );
    let e = p.entity("e").unwrap();
    assert_eq!(e.severity, EntitySeverity::Deny);
    assert_eq!(e.matchers[0].kind, MatcherKind::Orgs);
    assert_eq!(e.matchers[0].confidence, Confidence::High);
    assert_eq!(e.matchers[0].location.to_string(), "policy.toml:9");
    assert_eq!(p.origins, Origins::default());
}

#[test]
fn syntax_errors() {
    only(
        "schema = 1\n[policy\nid = \"p\"\n",
        "policy.toml:2:8",
        "invalid TOML: unclosed table",
    );
    let d = only(policy!("id = \"q\"\n"), "policy.toml:4:1", "duplicate key");
    assert!(d.hint.unwrap().contains("once per table"));
    // A date that does not exist is a TOML error too.
    only(
        policy!("title = 2027-02-30\n"),
        "policy.toml:4:9",
        "invalid date",
    );
}

#[test]
fn unknown_keys_everywhere() {
    let d = only(
        "colour = 1\nschema = 1\n[policy]\nid = \"p\"\n",
        "policy.toml:1:1",
        "unknown key `colour` in the top level",
    );
    assert!(d.hint.unwrap().starts_with("valid keys: schema, policy"));

    let d = only(
        "schema = 1\n[policy]\nid = \"p\"\ntitel = \"x\"\n",
        "policy.toml:4:1",
        "unknown key `titel` in [policy]",
    );
    assert!(
        d.hint
            .unwrap()
            .starts_with("did you mean `title`? valid keys: id, title")
    );

    let ds = problems(policy!(
        "[[citation]]\nid = \"c\"\ntitle = \"t\"\ninstrument = \"i\"\nurll = \"u\"\n", // 4-8
        "[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\nsevrity = \"deny\"\n",  // 9-13
        "[entity.match]\ngithub_orgs = [\"x\"]\n",                                     // 14-15
        "hosts = [{ value = \"a.example\", confidnce = \"low\" }]\n",                  // 16
        "[[exception]]\ncrate = \"c\"\nreason = \"r\"\nexpires = 2027-01-01\nexpire = 1\n", // 17-21
        "[[not-affiliated]]\ncrate = \"c\"\nentity = \"e\"\nreason = \"r\"\nreasons = \"r\"\n", // 22-26
        "[origins]\nallow-gits = []\n" // 27-28
    ));
    let got: Vec<(String, &str)> = ds.iter().map(|d| (at(d), d.message.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (
                "policy.toml:8:1".into(),
                "unknown key `urll` in [[citation]]"
            ),
            (
                "policy.toml:13:1".into(),
                "unknown key `sevrity` in [[entity]]"
            ),
            (
                "policy.toml:15:1".into(),
                "unknown key `github_orgs` in [entity.match]"
            ),
            (
                "policy.toml:16:33".into(),
                "unknown key `confidnce` in a `hosts` value table"
            ),
            (
                "policy.toml:21:1".into(),
                "unknown key `expire` in [[exception]]"
            ),
            (
                "policy.toml:26:1".into(),
                "unknown key `reasons` in [[not-affiliated]]"
            ),
            (
                "policy.toml:28:1".into(),
                "unknown key `allow-gits` in [origins]"
            ),
        ]
    );
    assert!(
        ds[1]
            .hint
            .as_ref()
            .unwrap()
            .starts_with("did you mean `severity`?")
    );
    assert!(
        ds[2]
            .hint
            .as_ref()
            .unwrap()
            .contains("orgs = [\"github.com/NAME\"]")
    );
    assert!(
        ds[3]
            .hint
            .as_ref()
            .unwrap()
            .starts_with("did you mean `confidence`?")
    );
    assert_eq!(ds[1].span_len, "sevrity".len());
}

#[test]
fn wrong_types() {
    only(
        policy!("title = 5\n"),
        "policy.toml:4:9",
        "wrong type for `title` in [policy]: expected a string, found an integer",
    );
    only(
        policy!("extends = \"a.toml\"\n"),
        "policy.toml:4:11",
        "expected an array of strings",
    );
    only(
        policy!("[entity]\nid = \"e\"\n"),
        "policy.toml:4:1",
        "expected an array of tables",
    );
    let d = only(
        policy!(
            "[[exception]]\ncrate = \"c\"\nreason = \"r\"\nexpires = 2027-01-01\nvia = [\"a\", 3]\n"
        ),
        "policy.toml:8:13",
        "wrong type for `via` in [[exception]]: expected a string, found an integer",
    );
    assert_eq!(d.hint.unwrap(), "write `via = \"...\"`");
}

#[test]
fn missing_required_keys() {
    let ds = problems(policy!(
        "[[entity]]\nid = \"e\"\nreason = \"r\"\n[entity.match]\nhosts = [\"e.example\"]\n"
    ));
    assert_eq!(ds.len(), 1);
    assert_eq!(at(&ds[0]), "policy.toml:4:1");
    assert_eq!(ds[0].message, "missing required key `name` in [[entity]]");
    assert_eq!(ds[0].span_len, "[[entity]]".len());

    let d = only(
        policy!("[[exception]]\ncrate = \"c\"\nreason = \"r\"\n"),
        "policy.toml:4:1",
        "missing required key `expires` in [[exception]]",
    );
    assert!(d.hint.unwrap().contains("expires = 2027-02-28"));
    only(
        "schema = 1\n",
        "policy.toml:1:1",
        "missing required table [policy]",
    );
    only(
        "[policy]\nid = \"p\"\n",
        "policy.toml:1:1",
        "missing required key `schema`",
    );
    only(
        policy!("[[citation]]\nid = \"c\"\ntitle = \"t\"\n"),
        "policy.toml:4:1",
        "missing required key `instrument` in [[citation]]",
    );
}

#[test]
fn bad_schema() {
    let d = only(
        "schema = 2\n[policy]\nid = \"p\"\n",
        "policy.toml:1:10",
        "unsupported policy schema 2",
    );
    // The hint names what a user has: the reference the binary prints.
    assert!(
        d.hint
            .as_deref()
            .unwrap()
            .contains("cargo vendor-audit policy show builtin:example"),
        "{:?}",
        d.hint
    );
    let d = only(
        "schema = \"cargo-vendor-audit/policy/v1\"\n[policy]\nid = \"p\"\n",
        "policy.toml:1:10",
        "expected the integer 1, found a string",
    );
    assert_eq!(d.hint.unwrap(), "write `schema = 1` (an unquoted integer)");
}

#[test]
fn bad_ids() {
    let d = only(
        "schema = 1\n[policy]\nid = \"US Federal\"\n",
        "policy.toml:3:6",
        "invalid policy id `US Federal`",
    );
    assert!(d.hint.unwrap().contains("`us-federal`"));
    only(
        policy!(entity!("Kaspersky_Lab")),
        "policy.toml:5:6",
        "invalid entity id",
    );
    only(
        policy!("[[citation]]\nid = \"s.1634\"\ntitle = \"t\"\ninstrument = \"i\"\n"),
        "policy.toml:5:6",
        "invalid citation id",
    );
}

#[test]
fn bad_enum_values() {
    let d = only(
        policy!("deny-min-confidence = \"hgih\"\n"),
        "policy.toml:4:23",
        "invalid value \"hgih\" for `deny-min-confidence` in [policy]",
    );
    assert_eq!(
        d.hint.unwrap(),
        "did you mean \"high\"? expected one of \"high\", \"medium\", \"low\""
    );
    only(
        policy!("missing-facts = \"ignore\"\n"),
        "policy.toml:4:17",
        "invalid value \"ignore\" for `missing-facts`",
    );
    only(
        policy!("dependency-kinds = [\"normal\", \"norml\"]\n"),
        "policy.toml:4:31",
        "invalid value \"norml\"",
    );
    only(
        policy!("dependency-kinds = []\n"),
        "policy.toml:4:20",
        "`dependency-kinds` in [policy] is empty",
    );
    only(
        policy!(
            "[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\nseverity = \"block\"\n[entity.match]\nhosts = [\"e.example\"]\n"
        ),
        "policy.toml:8:12",
        "invalid value \"block\" for `severity` in [[entity]]",
    );
    only(
        policy!(
            "[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\n[entity.match]\nhosts = [{ value = \"e.example\", confidence = \"certain\" }]\n"
        ),
        "policy.toml:9:46",
        "invalid value \"certain\" for `confidence`",
    );
}

#[test]
fn expired_exception_takes_deny_or_warn_only() {
    let d = only(
        policy!("expired-exception = \"allow\"\n"),
        "policy.toml:4:21",
        "invalid value \"allow\" for `expired-exception`",
    );
    assert!(d.hint.unwrap().contains("\"deny\", \"warn\""));
}

#[test]
fn dates() {
    // Native TOML dates and quoted YYYY-MM-DD strings are both accepted.
    let p = load_mem(
        &[(
            "policy.toml",
            policy!("[[exception]]\ncrate = \"c\"\nreason = \"r\"\nexpires = \"2027-02-28\"\n"),
        )],
        &["policy.toml"],
    )
    .unwrap();
    assert_eq!(p.exceptions[0].expires.to_string(), "2027-02-28");
    only(
        policy!("[[exception]]\ncrate = \"c\"\nreason = \"r\"\nexpires = \"2027-02-30\"\n"),
        "policy.toml:7:11",
        "invalid date for `expires` in [[exception]]",
    );
    only(
        policy!("[[exception]]\ncrate = \"c\"\nreason = \"r\"\nexpires = 2027-02-28T10:00:00\n"),
        "policy.toml:7:11",
        "has a time or an offset",
    );
    only(
        policy!("[[citation]]\nid = \"c\"\ntitle = \"t\"\ninstrument = \"i\"\npublished = 2017\n"),
        "policy.toml:8:13",
        "wrong type for `published` in [[citation]]: expected a date, found an integer",
    );
    only(
        policy!(
            "[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\neffective = 2030-01-01\nexpires = 2020-01-01\n[entity.match]\nhosts = [\"e.example\"]\n"
        ),
        "policy.toml:9:11",
        "`expires` (2020-01-01) is not after `effective` (2030-01-01)",
    );
}

#[test]
fn bad_semver_requirement() {
    let d = only(
        policy!(
            "[[exception]]\ncrate = \"c\"\nversion = \"=>1.0\"\nreason = \"r\"\nexpires = 2027-01-01\n"
        ),
        "policy.toml:6:11",
        "invalid semver requirement `=>1.0`",
    );
    assert!(d.hint.unwrap().contains("`=1.0.0`"));
}

#[test]
fn unknown_citation_id() {
    let d = only(
        policy!(
            "[[citation]]\nid = \"ndaa-s1634\"\ntitle = \"t\"\ninstrument = \"i\"\n",
            "[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\ncitations = [\"ndaa-s1643\"]\n[entity.match]\nhosts = [\"e.example\"]\n"
        ),
        "policy.toml:12:14",
        "unknown citation `ndaa-s1643`",
    );
    assert!(d.hint.unwrap().starts_with("did you mean `ndaa-s1634`?"));
}

#[test]
fn duplicate_ids_in_one_file() {
    let d = only(
        policy!(entity!("e"), entity!("e")),
        "policy.toml:11:6",
        "duplicate entity id `e`",
    );
    assert!(
        d.message
            .contains("policy.toml:5 and again at policy.toml:11"),
        "{d}"
    );
    only(
        policy!(
            "[[citation]]\nid = \"c\"\ntitle = \"t\"\ninstrument = \"i\"\n[[citation]]\nid = \"c\"\ntitle = \"t\"\ninstrument = \"i\"\n"
        ),
        "policy.toml:9:6",
        "duplicate citation id `c`",
    );
}

#[test]
fn duplicate_ids_across_files_name_both_files() {
    let err = load_mem(
        &[
            ("a.toml", policy!(entity!("e"))),
            ("b.toml", policy!(entity!("e"))),
        ],
        &["a.toml", "b.toml"],
    )
    .unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert_eq!(at(&err.0[0]), "b.toml:5:6");
    assert!(
        err.0[0]
            .message
            .contains("in both a.toml (a.toml:5) and b.toml (b.toml:5)"),
        "{}",
        err.0[0]
    );
}

#[test]
fn extends_cycle_names_the_chain() {
    let err = load_mem(
        &[
            (
                "a.toml",
                "schema = 1\n[policy]\nid = \"a\"\nextends = [\"b.toml\"]\n",
            ),
            (
                "b.toml",
                "schema = 1\n[policy]\nid = \"b\"\nextends = [\"sub/../a.toml\"]\n",
            ),
        ],
        &["a.toml"],
    )
    .unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert_eq!(at(&err.0[0]), "b.toml:4:12");
    assert_eq!(
        err.0[0].message,
        "`extends` cycle: a.toml -> b.toml -> a.toml"
    );
}

#[test]
fn extends_to_missing_file_or_folder() {
    let err = load_mem(
        &[
            (
                "dir/a.toml",
                "schema = 1\n[policy]\nid = \"a\"\nextends = [\"gone.toml\", \"../sub\"]\n",
            ),
            ("sub/x.toml", policy!("")),
        ],
        &["dir/a.toml"],
    )
    .unwrap_err();
    let got: Vec<String> = err
        .0
        .iter()
        .map(|d| format!("{} {}", at(d), d.message))
        .collect();
    assert_eq!(
        got,
        vec![
            "dir/a.toml:4:12 cannot read policy file `dir/gone.toml` (named in `extends` of dir/a.toml): no such file",
            "dir/a.toml:4:25 cannot read policy file `sub` (named in `extends` of dir/a.toml): it is a folder",
        ]
    );
}

#[test]
fn unknown_builtin_lists_the_known_ones() {
    let d = only(
        policy!("extends = [\"builtin:us-fed\"]\n"),
        "policy.toml:4:12",
        "unknown builtin policy `builtin:us-fed`",
    );
    assert_eq!(
        d.hint.unwrap(),
        "the builtin policies are: builtin:example, builtin:us-dod, builtin:us-federal"
    );
    let err = load_mem(&[], &["builtin:nope"]).unwrap_err();
    assert_eq!(err.0[0].location.line, 0);
    assert_eq!(err.0[0].location.file, "builtin:nope");
}

#[test]
fn unreadable_spec_is_reported_without_a_line() {
    let err = load_mem(&[], &["vendor-audit.toml"]).unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert_eq!(
        err.0[0].to_string(),
        "error: cannot read policy file `vendor-audit.toml`: no such file\n  --> vendor-audit.toml\n   \
         = help: check the path given to `--policy` (it is relative to the current directory)\n"
    );
}

#[test]
fn entity_match_must_exist_and_say_something() {
    only(
        policy!("[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\n"),
        "policy.toml:4:1",
        "[[entity]] has no [entity.match] table",
    );
    only(
        policy!("[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\n[entity.match]\n"),
        "policy.toml:8:1",
        "[entity.match] is empty",
    );
    only(
        policy!(
            "[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\n[entity.match]\norgs = []\n"
        ),
        "policy.toml:9:8",
        "`orgs` in [entity.match] is empty",
    );
}

/// Each matcher body is put at line 9 after `[entity.match]`.
macro_rules! matcher {
    ($line:expr) => {
        policy!(concat!(
            "[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\n[entity.match]\n",
            $line,
            "\n"
        ))
    };
}

#[test]
fn matcher_value_types() {
    only(
        matcher!("crates-io-users = [\"octocat\"]"),
        "policy.toml:9:20",
        "`crates-io-users` takes numeric crates.io user ids",
    );
    only(
        matcher!("crates-io-users = [-1]"),
        "policy.toml:9:20",
        "expected a non-negative integer",
    );
    only(
        matcher!("orgs = [5]"),
        "policy.toml:9:9",
        "`orgs` takes strings, found an integer",
    );
    only(
        matcher!("hosts = [true]"),
        "policy.toml:9:10",
        "expected a string or { value",
    );
    only(
        matcher!("hosts = \"a.example\""),
        "policy.toml:9:9",
        "expected an array",
    );
    only(
        matcher!("hosts = [{ confidence = \"low\" }]"),
        "policy.toml:9:10",
        "missing required key `value`",
    );
    let p = load_mem(
        &[(
            "policy.toml",
            matcher!("crates-io-users = [12345, { value = 7, note = \"bot\" }]"),
        )],
        &["policy.toml"],
    )
    .unwrap();
    let m = &p.entities[0].matchers;
    assert_eq!(
        (m[0].value.clone(), m[1].value.clone()),
        (MatchValue::Id(12345), MatchValue::Id(7))
    );
    assert_eq!(m[1].note.as_deref(), Some("bot"));
}

#[test]
fn malformed_matcher_values() {
    for (line, col, needle) in [
        (
            "orgs = [\"https://github.com/KasperskyLab\"]",
            9,
            "an org is written without a scheme",
        ),
        ("orgs = [\"KasperskyLab\"]", 9, "not an org"),
        ("orgs = [\"github.com/a//b\"]", 9, "not an org"),
        ("hosts = [\"git.example.com/x\"]", 10, "not a bare host"),
        ("email-domains = [\"dev@kaspersky.com\"]", 18, "without `@`"),
        (
            "crates-io-teams = [\"github:KasperskyLab\"]",
            20,
            "not a crates.io team",
        ),
        (
            "crates-io-teams = [\"KasperskyLab:*\"]",
            20,
            "not a crates.io team",
        ),
        ("crates-io-logins = [\"a b\"]", 21, "not a crates.io login"),
        (
            "registries = [\"https://index.example.com/\"]",
            15,
            "not a registry",
        ),
        (
            "repositories = [\"gitee.com/openharmony/*\"]",
            17,
            "a repository glob is a URL",
        ),
        (
            "repositories = [\"https://x.example/[a\"]",
            17,
            "invalid glob",
        ),
        ("crates = [\"kaspersky lab\"]", 11, "not a crate-name glob"),
        (
            "copyright-holders = [\" \"]",
            22,
            "empty `copyright-holders` value",
        ),
    ] {
        let text: &'static str = Box::leak(
            format!("schema = 1\n[policy]\nid = \"p\"\n[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\n[entity.match]\n{line}\n")
                .into_boxed_str(),
        );
        let ds = problems(text);
        assert_eq!(ds.len(), 1, "{line}: {}", PolicyErrors(ds.clone()));
        assert_eq!(at(&ds[0]), format!("policy.toml:9:{col}"), "{line}");
        assert!(ds[0].message.contains(needle), "{line}: {}", ds[0]);
    }
    // And the good forms of each.
    load_mem(
        &[(
            "policy.toml",
            matcher!(
                "orgs = [\"gitee.com/openharmony\", \"gitlab.com/group/sub\"]\nhosts = [\"git.example.com\"]\n\
                 registries = [\"crates-io\", \"registry+https://r.example/index\"]\ncrates-io-teams = [\"github:o:*\", \"github:o:t-1\"]\n\
                 repositories = [\"https://gitee.com/openharmony/*\"]\ncrates = [\"kaspersky-*\"]"
            ),
        )],
        &["policy.toml"],
    )
    .unwrap();
}

#[test]
fn unknown_entity_in_exception_and_not_affiliated() {
    let ds = problems(policy!(
        entity!("hikvision"), // 4-9
        "[[exception]]\ncrate = \"c\"\nentity = \"hikvison\"\nreason = \"r\"\nexpires = 2027-01-01\n", // 10-14
        "[[not-affiliated]]\ncrate = \"zte\"\nentity = \"zte\"\nreason = \"r\"\n" // 15-18
    ));
    let got: Vec<String> = ds
        .iter()
        .map(|d| format!("{} {}", at(d), d.message))
        .collect();
    assert_eq!(
        got,
        vec![
            "policy.toml:12:10 unknown entity `hikvison`: no [[entity]] has this id in the policies loaded",
            "policy.toml:17:10 unknown entity `zte`: no [[entity]] has this id in the policies loaded",
        ]
    );
    assert!(
        ds[0]
            .hint
            .as_ref()
            .unwrap()
            .starts_with("did you mean `hikvision`?")
    );
}

#[test]
fn not_affiliated_may_name_an_entity_of_an_extended_file() {
    let p = load_mem(
        &[
            ("base.toml", "schema = 1\n[policy]\nid = \"base\"\n[[entity]]\nid = \"zte\"\nname = \"Z\"\nreason = \"r\"\n[entity.match]\nemail-domains = [\"zte.com.cn\"]\n"),
            ("top.toml", "schema = 1\n[policy]\nid = \"top\"\nextends = [\"base.toml\"]\n[[not-affiliated]]\ncrate = \"zte\"\nentity = \"zte\"\nreason = \"editor\"\n"),
        ],
        &["top.toml"],
    )
    .unwrap();
    assert_eq!(p.not_affiliated[0].location.to_string(), "top.toml:5");
}

#[test]
fn deny_threshold_may_be_below_warn_threshold() {
    // The policy reference (docs/src/policy.md): any evidence that reaches it denies; `policy check` warns.
    let p = load_mem(
        &[("policy.toml", policy!("deny-min-confidence = \"low\"\n"))],
        &["policy.toml"],
    )
    .unwrap();
    assert_eq!(p.settings.deny_min_confidence, Confidence::Low);
    assert_eq!(p.settings.warn_min_confidence, Confidence::Medium);
}

#[test]
fn all_problems_are_collected() {
    let ds = problems(
        "schema = 2\n\
         [policy]\n\
         id = \"P\"\n\
         [[entity]]\n\
         id = \"e\"\n\
         name = \"E\"\n\
         reason = \"r\"\n\
         sevrity = \"deny\"\n\
         [entity.match]\n\
         orgs = [\"https://github.com/e\"]\n\
         [[exception]]\n\
         crate = \"c\"\n\
         reason = \"r\"\n\
         expires = 2027-01-01\n\
         version = \"one\"\n",
    );
    let got: Vec<String> = ds.iter().map(at).collect();
    assert_eq!(
        got,
        [
            "policy.toml:1:10",
            "policy.toml:3:6",
            "policy.toml:8:1",
            "policy.toml:10:9",
            "policy.toml:15:11"
        ]
    );
}

#[test]
fn merge_later_settings_win_and_lists_add_up() {
    let p = load_mem(
        &[
            (
                "base.toml",
                "schema = 1\n[policy]\nid = \"base\"\ntitle = \"Base\"\ndependency-kinds = [\"normal\"]\nmissing-facts = \"deny\"\n\
                 [origins]\nunknown-git = \"deny\"\nallow-git = [\"github.com/a\"]\n",
            ),
            (
                "top.toml",
                "schema = 1\n[policy]\nid = \"top\"\nextends = [\"base.toml\"]\nmissing-facts = \"allow\"\n\
                 [origins]\nallow-git = [\"github.com/b\"]\nallow-registries = [\"sparse+https://r.example/\"]\n",
            ),
        ],
        &["top.toml"],
    )
    .unwrap();
    assert_eq!(p.settings.id, "top");
    assert_eq!(p.settings.title.as_deref(), Some("Base"));
    assert_eq!(p.settings.dependency_kinds, Kinds::of(DepKind::Normal));
    assert_eq!(p.settings.missing_facts, Level::Allow);
    assert_eq!(p.origins.unknown_git, Level::Deny);
    assert_eq!(p.origins.allow_git, ["github.com/a", "github.com/b"]);
    assert_eq!(p.origins.allow_registries, ["sparse+https://r.example/"]);
    let sources: Vec<(&str, &str)> = p
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.source.as_str()))
        .collect();
    assert_eq!(sources, [("base", "base.toml"), ("top", "top.toml")]);
}

#[test]
fn diamond_loads_each_file_once_in_order() {
    let p = load_mem(
        &[
            (
                "root.toml",
                "schema = 1\n[policy]\nid = \"root\"\nextends = [\"left.toml\", \"right.toml\"]\n",
            ),
            (
                "left.toml",
                "schema = 1\n[policy]\nid = \"left\"\nextends = [\"common/base.toml\"]\n",
            ),
            (
                "right.toml",
                "schema = 1\n[policy]\nid = \"right\"\nextends = [\"./common/base.toml\"]\n",
            ),
            ("common/base.toml", policy!(entity!("e"))),
        ],
        &["root.toml", "common/base.toml"],
    )
    .unwrap();
    let ids: Vec<&str> = p.sources.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["p", "left", "right", "root"]);
    assert_eq!(p.entities.len(), 1);
}

#[test]
fn builtins_load_and_can_be_extended() {
    let p = load_mem(&[], &["builtin:us-federal"]).unwrap();
    assert_eq!(
        p.sources,
        [PolicySource {
            id: "us-federal".into(),
            source: "builtin:us-federal".into(),
            reviewed: crate::date::Date::new(2026, 11, 30),
        }]
    );
    assert!(p.entity("kaspersky").is_some());
    let p = load_mem(&[], &["builtin:example"]).unwrap();
    let sources: Vec<&str> = p.sources.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(sources, ["builtin:us-federal", "builtin:example"]);
    assert!(p.entity("example-corp").is_some() && p.entity("huawei").is_some());
}

#[test]
fn no_specs_is_an_error() {
    let err = load_mem(&[], &[]).unwrap_err();
    assert!(
        err.0[0]
            .hint
            .as_ref()
            .unwrap()
            .contains("builtin:us-federal")
    );
}

#[test]
fn load_str_names_the_text_as_the_given_file() {
    let p = load_str("inline.toml", policy!(entity!("e"))).unwrap();
    assert_eq!(p.sources[0].source, "inline.toml");
    let err = load_str("inline.toml", policy!("colour = 1\n")).unwrap_err();
    assert_eq!(at(&err.0[0]), "inline.toml:4:1");
}

#[test]
fn origins_values_are_checked() {
    let ds = problems(policy!(
        "[origins]\n",                                                  // 4
        "unknown-registry = \"block\"\n",                               // 5
        "allow-registries = [\"crates-io\", \"https://r.example/\"]\n", // 6
        "allow-git = [\"github.com/my-org\", \"https://git.internal.example/\", \"my-org\"]\n", // 7
    ));
    let got: Vec<String> = ds.iter().map(at).collect();
    assert_eq!(
        got,
        ["policy.toml:5:20", "policy.toml:6:34", "policy.toml:7:68"]
    );
    assert!(
        ds[1]
            .message
            .contains("invalid registry `https://r.example/`")
    );
    assert!(
        ds[2]
            .message
            .contains("invalid entry `my-org` in `allow-git`")
    );
}

#[test]
fn exception_fields_are_kept() {
    let p = load_str(
        "policy.toml",
        policy!(
            entity!("e"),
            "[[exception]]\ncrate = \"ylong_io\"\nversion = \"=1.0.0\"\nentity = \"e\"\nkinds = [\"build\"]\n",
            "via = [\"my-app\", \"ylong_runtime\"]\nreason = \"r\"\napproved-by = \"me\"\nticket = \"T-1\"\nexpires = 2027-02-28\n",
        ),
    )
    .unwrap();
    let ex = &p.exceptions[0];
    assert_eq!(ex.crate_name, "ylong_io");
    assert_eq!(ex.version.as_ref().unwrap().0, "=1.0.0");
    assert!(
        ex.version
            .as_ref()
            .unwrap()
            .1
            .matches(&semver::Version::new(1, 0, 0))
    );
    assert_eq!(ex.kinds, Some(Kinds::of(DepKind::Build)));
    assert_eq!(ex.via, ["my-app", "ylong_runtime"]);
    assert_eq!(
        (ex.approved_by.as_deref(), ex.ticket.as_deref()),
        (Some("me"), Some("T-1"))
    );
    assert_eq!(ex.location.to_string(), "policy.toml:10");
}

#[test]
fn an_empty_required_string_is_an_error() {
    only(
        policy!(
            "[[entity]]\nid = \"a\"\nname = \"A\"\nreason = \"  \"\n[entity.match]\norgs = [\"github.com/a\"]\n"
        ),
        "policy.toml:7:10",
        "`reason` in [[entity]] is empty",
    );
}

#[test]
fn reviewed_author_names_and_not_affiliated_matchers_are_read() {
    let p = load_mem(
        &[(
            "policy.toml",
            concat!(
                "schema = 1\n[policy]\nid = \"p\"\nreviewed = 2026-11-30\n",
                "[[entity]]\nid = \"e\"\nname = \"E\"\nreason = \"r\"\n[entity.match]\n",
                "author-names = [\"E Team\"]\n",
                "[[not-affiliated]]\ncrate = \"x\"\nentity = \"e\"\nreason = \"r\"\nmatchers = [\"crates\", \"author-names\"]\n",
            ),
        )],
        &["policy.toml"],
    )
    .unwrap();
    assert_eq!(p.sources[0].reviewed, crate::date::Date::new(2026, 11, 30));
    let m = &p.entity("e").unwrap().matchers[0];
    assert_eq!(m.kind, MatcherKind::AuthorNames);
    assert_eq!(m.confidence, Confidence::Low);
    let na = &p.not_affiliated[0];
    assert_eq!(
        na.matchers,
        Some(vec![MatcherKind::Crates, MatcherKind::AuthorNames])
    );
    assert!(na.covers(MatcherKind::Crates, Confidence::High));
    assert!(!na.covers(MatcherKind::Orgs, Confidence::Low));
    // Without `matchers`: everything below high.
    let default = NotAffiliated {
        matchers: None,
        ..na.clone()
    };
    assert!(default.covers(MatcherKind::EmailDomains, Confidence::Medium));
    assert!(!default.covers(MatcherKind::CratesIoTeams, Confidence::High));
}

#[test]
fn bad_reviewed_date_and_empty_matchers_are_errors() {
    only(
        policy!("reviewed = \"yesterday\"\n"),
        "policy.toml:4:12",
        "invalid date for `reviewed` in [policy]",
    );
    only(
        concat!(
            policy!(),
            entity!("e"),
            "[[not-affiliated]]\ncrate = \"x\"\nentity = \"e\"\nreason = \"r\"\nmatchers = []\n"
        ),
        "policy.toml:14:12",
        "`matchers` in [[not-affiliated]] is empty",
    );
}

#[test]
fn look_alike_identifiers_are_refused_with_a_hint() {
    let d = only(
        concat!(
            policy!(),
            "[[entity]]\nid = \"k\"\nname = \"K\"\nreason = \"r\"\n[entity.match]\n",
            "orgs = [\"github.com/K\u{430}sperskyLab\"]\n"
        ),
        "policy.toml:9:9",
        "mixes scripts",
    );
    assert!(d.message.contains(r"github.com/K\u{0430}sperskyLab"), "{d}");
    assert!(d.hint.unwrap().contains("ASCII"));
    only(
        concat!(
            policy!(),
            "[origins]\nallow-git = [\"github.com/my\u{200b}org\"]\n"
        ),
        "policy.toml:5:14",
        "invisible character, U+200B",
    );
}

#[test]
fn an_extends_chain_deeper_than_the_limit_is_one_error() {
    let n = super::load::MAX_EXTENDS_DEPTH + 10;
    let files: Vec<(&'static str, &'static str)> = (0..n)
        .map(|i| {
            let name: &'static str = Box::leak(format!("p{i}.toml").into_boxed_str());
            let text: &'static str = Box::leak(
                format!(
                    "schema = 1\n[policy]\nid = \"p{i}\"\nextends = [\"p{}.toml\"]\n",
                    i + 1
                )
                .into_boxed_str(),
            );
            (name, text)
        })
        .collect();
    let err = load_mem(&files, &["p0.toml"]).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert!(
        err.0[0].message.contains("`extends` chain too deep"),
        "{err}"
    );
    assert_eq!(err.0[0].location.file, "p63.toml");
}
