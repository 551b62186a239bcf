//! Parsing and checking of one policy file.
//!
//! Takes the text of one file, parses it with spans (`toml::de::DeTable`), walks the tree by
//! hand and gives a [`RawFile`]: the file's items, validated on their own, with the spans
//! that the checks made after merging (unknown ids, duplicates) point at. Every problem is
//! pushed as a [`Diagnostic`]; the walk never stops at the first one.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{SourceFile, closest};
use super::{
    Citation, Confidence, Diagnostic, Entity, EntitySeverity, Exception, Level, MatchValue,
    Matcher, MatcherKind, NotAffiliated,
};
use crate::date::Date;
use crate::graph::{DepKind, Kinds};

/// A value with the byte span it was written at.
#[derive(Clone, Debug)]
pub(crate) struct At<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// One file's items, each checked on its own.
#[derive(Debug, Default)]
pub(crate) struct RawFile {
    pub id: Option<At<String>>,
    pub title: Option<String>,
    pub reviewed: Option<Date>,
    pub extends: Vec<At<String>>,
    pub dependency_kinds: Option<Kinds>,
    pub deny_min_confidence: Option<At<Confidence>>,
    pub warn_min_confidence: Option<At<Confidence>>,
    pub missing_facts: Option<Level>,
    pub expired_exception: Option<Level>,
    pub unused_exception: Option<Level>,
    /// Each citation with the span of its `id` value.
    pub citations: Vec<(Citation, Range<usize>)>,
    pub entities: Vec<RawEntity>,
    /// Each exception with the span of its `entity` value, if it names one.
    pub exceptions: Vec<(Exception, Option<Range<usize>>)>,
    /// Each entry with the span of its `entity` value.
    pub not_affiliated: Vec<(NotAffiliated, Range<usize>)>,
    pub unknown_registry: Option<Level>,
    pub unknown_git: Option<Level>,
    pub allow_registries: Option<Vec<String>>,
    pub allow_git: Option<Vec<String>>,
}

#[derive(Debug)]
pub(crate) struct RawEntity {
    pub entity: Entity,
    pub id_span: Range<usize>,
    /// Span of each `citations` value, in order.
    pub citation_spans: Vec<Range<usize>>,
}

const TOP_KEYS: &[&str] = &[
    "schema",
    "policy",
    "citation",
    "entity",
    "exception",
    "not-affiliated",
    "origins",
];
const POLICY_KEYS: &[&str] = &[
    "id",
    "title",
    "reviewed",
    "extends",
    "dependency-kinds",
    "deny-min-confidence",
    "warn-min-confidence",
    "missing-facts",
    "expired-exception",
    "unused-exception",
];
const CITATION_KEYS: &[&str] = &[
    "id",
    "title",
    "instrument",
    "issuer",
    "url",
    "published",
    "effective",
    "notes",
];
const ENTITY_KEYS: &[&str] = &[
    "id",
    "name",
    "aliases",
    "severity",
    "effective",
    "expires",
    "reason",
    "citations",
    "match",
];
const MATCH_VALUE_KEYS: &[&str] = &["value", "confidence", "note"];
const EXCEPTION_KEYS: &[&str] = &[
    "crate",
    "version",
    "entity",
    "kinds",
    "via",
    "reason",
    "approved-by",
    "ticket",
    "expires",
];
const NOT_AFFILIATED_KEYS: &[&str] = &["crate", "entity", "reason", "matchers"];
const ORIGINS_KEYS: &[&str] = &[
    "unknown-registry",
    "unknown-git",
    "allow-registries",
    "allow-git",
];

const CONFIDENCES: &[(&str, Confidence)] = &[
    ("high", Confidence::High),
    ("medium", Confidence::Medium),
    ("low", Confidence::Low),
];
const LEVELS: &[(&str, Level)] = &[
    ("deny", Level::Deny),
    ("warn", Level::Warn),
    ("allow", Level::Allow),
];
const DENY_WARN: &[(&str, Level)] = &[("deny", Level::Deny), ("warn", Level::Warn)];
const SEVERITIES: &[(&str, EntitySeverity)] = &[
    ("deny", EntitySeverity::Deny),
    ("warn", EntitySeverity::Warn),
];
const DEP_KINDS: &[(&str, DepKind)] = &[
    ("normal", DepKind::Normal),
    ("build", DepKind::Build),
    ("dev", DepKind::Dev),
];

/// Parses and checks one file. `None` when the file is not valid TOML (its syntax errors
/// are pushed; the tree of a broken file is not checked further, to avoid follow-on noise).
pub(crate) fn parse_file(file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<RawFile> {
    let (root, errors) = DeTable::parse_recoverable(&file.text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            diags.push(file.diagnostic(
                span,
                format!("invalid TOML: {}", e.message()),
                Some(syntax_hint(e.message())),
            ));
        }
        return None;
    }
    let mut c = Checker { file, diags };
    Some(c.document(root.get_ref()))
}

fn syntax_hint(message: &str) -> String {
    if message.contains("duplicate key") {
        "each key may appear once per table: remove or rename the second one".to_string()
    } else {
        "fix the TOML syntax (see https://toml.io/en/v1.0.0)".to_string()
    }
}

type Value<'i> = Spanned<DeValue<'i>>;

struct Checker<'a> {
    file: &'a SourceFile,
    diags: &'a mut Vec<Diagnostic>,
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_crate_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_host(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_login(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A registry as `registries` and `allow-registries` take it.
fn check_registry(s: &str) -> Result<(), String> {
    if s == "crates-io" {
        return Ok(());
    }
    let rest = s
        .strip_prefix("registry+")
        .or_else(|| s.strip_prefix("sparse+"));
    match rest {
        Some(url)
            if url
                .split_once("://")
                .is_some_and(|(scheme, after)| !scheme.is_empty() && !after.is_empty()) =>
        {
            Ok(())
        }
        _ => Err(
            "write `crates-io` or the index URL with its prefix, as cargo metadata shows it: \
             `sparse+https://registry.example.com/index/` or `registry+https://...`"
                .to_string(),
        ),
    }
}

fn compile_glob(s: &str) -> Result<(), String> {
    // A literal, or a literal and `*`, is a valid glob: skip the parse (a generated
    // policy has tens of thousands of such names and URL prefixes).
    if !matches!(crate::pattern::shape(s), crate::pattern::Shape::Glob) {
        return Ok(());
    }
    globset::GlobBuilder::new(s)
        .case_insensitive(true)
        .build()
        .map(|_| ())
        .map_err(|e| format!("fix the glob: {}", e.kind()))
}

/// Characters a reader cannot see: controls, zero-width and joiner characters, bidi
/// controls, fillers and variation selectors.
fn is_invisible(c: char) -> bool {
    crate::text::is_hidden(c)
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{2000}'..='\u{200a}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{ffa0}'
        )
}

/// `s` with every character outside printable ASCII written as `\u{XXXX}`, so that a
/// look-alike or invisible character shows in a message.
pub(crate) fn visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c.to_string()
            } else {
                format!("\\u{{{:04X}}}", c as u32)
            }
        })
        .collect()
}

/// Identifiers (orgs, hosts, domains, repository globs, logins, teams, registries) are
/// compared byte for byte after ASCII case folding: a Cyrillic `а` or a zero-width space in
/// one makes it look right and never match. `Err((what is wrong, what to do))`.
fn check_identifier_chars(kind: &str, s: &str) -> Result<(), (String, String)> {
    let Some(c) = s.chars().find(|c| !c.is_ascii() || c.is_ascii_control()) else {
        return Ok(());
    };
    let ascii_letters = s.chars().any(|c| c.is_ascii_alphabetic());
    let what = if is_invisible(c) || c.is_ascii_control() {
        format!("holds an invisible character, U+{:04X}", c as u32)
    } else if c.is_alphabetic() && ascii_letters {
        format!(
            "mixes scripts: `{c}` (U+{:04X}) is not an ASCII letter, though it may look like one",
            c as u32
        )
    } else {
        format!("holds a non-ASCII character, `{c}` (U+{:04X})", c as u32)
    };
    Err((
        format!("`{kind}` value `{}` {what}", visible(s)),
        "policy identifiers (orgs, hosts, domains, repository globs, logins, teams) are ASCII and \
         never match a look-alike: retype the value by hand; write an internationalized host in \
         its ASCII `xn--` form and a non-ASCII path character percent-encoded"
            .to_string(),
    ))
}

/// Checks one matcher value; `Err((what is wrong, what to do))`.
fn check_matcher(kind: MatcherKind, value: &MatchValue) -> Result<(), (String, String)> {
    let s = match (kind, value) {
        (MatcherKind::CratesIoUsers, MatchValue::Id(_)) => return Ok(()),
        (MatcherKind::CratesIoUsers, MatchValue::Str(_)) => {
            return Err((
                "`crates-io-users` takes numeric crates.io user ids, found a string".into(),
                "write the id as a bare integer, e.g. `crates-io-users = [12345]`; \
                 use `crates-io-logins` for logins"
                    .into(),
            ));
        }
        (_, MatchValue::Id(_)) => {
            return Err((
                format!("`{kind}` takes strings, found an integer"),
                "write the value in quotes".into(),
            ));
        }
        (_, MatchValue::Str(s)) => s.as_str(),
    };
    let bad = |what: &str, hint: &str| Err((format!("{what}: `{s}`"), hint.to_string()));
    if s.trim().is_empty() {
        return bad(&format!("empty `{kind}` value"), "remove it or fill it in");
    }
    match kind {
        MatcherKind::CopyrightHolders | MatcherKind::AuthorNames => {
            // Names may be written in any script, but not with characters no one sees.
            if let Some(c) = s.chars().find(|&c| is_invisible(c)) {
                return Err((
                    format!(
                        "`{kind}` value `{}` holds an invisible character, U+{:04X}",
                        visible(s),
                        c as u32
                    ),
                    "retype the name without it: an invisible character makes the value look right and never match".to_string(),
                ));
            }
        }
        MatcherKind::Crates => {}
        _ => check_identifier_chars(kind.key(), s)?,
    }
    match kind {
        MatcherKind::CratesIoUsers => Ok(()),
        MatcherKind::CratesIoLogins => {
            if is_login(s) {
                Ok(())
            } else {
                bad(
                    "not a crates.io login",
                    "write the login as crates.io shows it (letters, digits, `-`, `_`), e.g. `octocat`",
                )
            }
        }
        MatcherKind::CratesIoTeams => {
            let parts: Vec<&str> = s.split(':').collect();
            let ok = parts.len() == 3
                && parts[0] == "github"
                && is_login(parts[1])
                && !parts[2].is_empty()
                && parts[2]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*');
            if ok {
                Ok(())
            } else {
                bad(
                    "not a crates.io team",
                    "write `github:ORG:TEAM`, where TEAM may be `*` for every team of ORG, \
                     e.g. `github:KasperskyLab:*`",
                )
            }
        }
        MatcherKind::Orgs => {
            if s.contains("://") {
                return bad(
                    "an org is written without a scheme",
                    "write `host/org`, e.g. `github.com/KasperskyLab` (no `https://`)",
                );
            }
            let segments: Vec<&str> = s.split('/').collect();
            let ok = segments.len() >= 2
                && is_host(segments[0])
                && segments[0].contains('.')
                && segments[1..].iter().all(|seg| {
                    !seg.is_empty() && !seg.contains('*') && !seg.chars().any(char::is_whitespace)
                });
            if ok {
                Ok(())
            } else {
                bad(
                    "not an org",
                    "write `host/org` or `host/group/subgroup`, e.g. `github.com/KasperskyLab` \
                     or `gitee.com/openharmony`, with no empty segment, trailing `/` or glob",
                )
            }
        }
        MatcherKind::Hosts => {
            if is_host(s) {
                Ok(())
            } else {
                bad(
                    "not a bare host",
                    "write only the host name, e.g. `git.example.com` (no scheme, path or port); \
                     it also matches every subdomain",
                )
            }
        }
        MatcherKind::EmailDomains => {
            if s.contains('@') {
                bad(
                    "an email domain is written without `@`",
                    "write the domain only, e.g. `kaspersky.com`; it also matches every subdomain",
                )
            } else if is_host(s) {
                Ok(())
            } else {
                bad(
                    "not a domain",
                    "write the domain only, e.g. `kaspersky.com`",
                )
            }
        }
        MatcherKind::Registries => check_registry(s).or_else(|hint| bad("not a registry", &hint)),
        MatcherKind::Repositories => {
            if !s.contains("://") {
                return bad(
                    "a repository glob is a URL",
                    "write a URL glob with its scheme, e.g. `https://gitee.com/openharmony/*` \
                     (`*` matches any run of characters, `/` included)",
                );
            }
            compile_glob(s).or_else(|hint| bad("invalid glob", &hint))
        }
        MatcherKind::CopyrightHolders | MatcherKind::AuthorNames => Ok(()),
        MatcherKind::Crates => {
            if s.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*' | b'?' | b'[' | b']')
            }) {
                compile_glob(s).or_else(|hint| bad("invalid glob", &hint))
            } else {
                bad(
                    "not a crate-name glob",
                    "write a crate name with `*` where any run of characters may stand, e.g. `kaspersky-*`",
                )
            }
        }
    }
}

/// Hints for keys of the old draft style, which used per-forge keys.
fn draft_key_hint(key: &str) -> Option<&'static str> {
    Some(match key {
        "github_orgs" | "github-orgs" => {
            "orgs are written with their host: `orgs = [\"github.com/NAME\"]`"
        }
        "gitee_orgs" | "gitee-orgs" => {
            "orgs are written with their host: `orgs = [\"gitee.com/NAME\"]`"
        }
        "gitlab_groups" | "gitlab-groups" => {
            "groups are written with their host: `orgs = [\"gitlab.com/GROUP\"]`"
        }
        "gitcode_orgs" | "gitcode-orgs" => {
            "orgs are written with their host: `orgs = [\"gitcode.com/NAME\"]`"
        }
        "homepage_domains" | "homepage-domains" => "use `hosts = [\"example.com\"]`",
        "repository_globs" | "repository-globs" => "use `repositories = [\"https://host/org/*\"]`",
        "crate_name_globs" | "crate-name-globs" => "use `crates = [\"name-*\"]`",
        "crates_io_user_ids" | "crates-io-user-ids" => "use `crates-io-users = [12345]`",
        _ => return None,
    })
}

fn example_for(expected: &str, key: &str) -> String {
    match expected {
        "a string" => format!("write `{key} = \"...\"`"),
        "an array of strings" => format!("write `{key} = [\"...\"]`"),
        "a date" => format!("write the date unquoted as YYYY-MM-DD: `{key} = 2027-02-28`"),
        "an integer" => format!("write `{key} = 1`"),
        "a table" => format!("write it as a table: `[{key}]`"),
        _ => format!("give `{key}` {expected}"),
    }
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>, hint: impl Into<String>) {
        let d = self.file.diagnostic(span, message, Some(hint.into()));
        self.diags.push(d);
    }

    fn wrong_type(&mut self, v: &Value<'_>, key: &str, ctx: &str, expected: &str) {
        self.error(
            v.span(),
            format!(
                "wrong type for `{key}` in {ctx}: expected {expected}, found {}",
                type_name(v.get_ref())
            ),
            example_for(expected, key),
        );
    }

    /// Reports every key of `table` that is not in `valid`.
    fn check_keys(&mut self, table: &DeTable<'_>, ctx: &str, valid: &[&str]) {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if valid.contains(&name) {
                continue;
            }
            let list = valid.join(", ");
            let hint = if let Some(h) = draft_key_hint(name) {
                format!("{h}; valid keys: {list}")
            } else if let Some(best) = closest(name, valid) {
                format!("did you mean `{best}`? valid keys: {list}")
            } else {
                format!("valid keys: {list}")
            };
            self.error(key.span(), format!("unknown key `{name}` in {ctx}"), hint);
        }
    }

    fn missing(&mut self, header: &Range<usize>, key: &str, ctx: &str, example: &str) {
        self.error(
            header.clone(),
            format!("missing required key `{key}` in {ctx}"),
            format!("add `{key} = {example}`"),
        );
    }

    fn string(&mut self, t: &DeTable<'_>, key: &str, ctx: &str) -> Option<At<String>> {
        let v = t.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(At {
                value: s.to_string(),
                span: v.span(),
            }),
            _ => {
                self.wrong_type(v, key, ctx, "a string");
                None
            }
        }
    }

    fn required_string(
        &mut self,
        t: &DeTable<'_>,
        header: &Range<usize>,
        key: &str,
        ctx: &str,
    ) -> Option<At<String>> {
        if t.get(key).is_none() {
            self.missing(header, key, ctx, "\"...\"");
            return None;
        }
        let value = self.string(t, key, ctx)?;
        if value.value.trim().is_empty() {
            self.error(
                value.span.clone(),
                format!("`{key}` in {ctx} is empty"),
                format!("a required `{key}` must say something: it is printed with every finding it concerns"),
            );
            return None;
        }
        Some(value)
    }

    fn string_array(&mut self, t: &DeTable<'_>, key: &str, ctx: &str) -> Option<Vec<At<String>>> {
        let v = t.get(key)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(v, key, ctx, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => out.push(At {
                    value: s.to_string(),
                    span: item.span(),
                }),
                _ => self.wrong_type(item, key, ctx, "a string"),
            }
        }
        Some(out)
    }

    fn id(&mut self, at: &At<String>, what: &str) {
        if !is_id(&at.value) {
            let suggestion: String = at
                .value
                .trim()
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            self.error(
                at.span.clone(),
                format!(
                    "invalid {what} id `{}`: ids are made of lowercase letters, digits and `-`",
                    at.value
                ),
                format!("write it as [a-z0-9-]+, e.g. `{suggestion}`"),
            );
        }
    }

    fn date(&mut self, t: &DeTable<'_>, key: &str, ctx: &str) -> Option<Date> {
        let v = t.get(key)?;
        let bad_date = |what: String| {
            (
                format!("invalid date for `{key}` in {ctx}: {what}"),
                format!("write a plain date as YYYY-MM-DD: `{key} = 2027-02-28`"),
            )
        };
        let result = match v.get_ref() {
            DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => Date::new(i32::from(d.year), d.month, d.day)
                    .ok_or_else(|| bad_date(format!("`{dt}` does not exist"))),
                _ => Err(bad_date(format!(
                    "`{dt}` has a time or an offset, a date is expected"
                ))),
            },
            DeValue::String(s) => s
                .parse::<Date>()
                .map_err(|_| bad_date(format!("`{s}` is not a YYYY-MM-DD date that exists"))),
            _ => {
                self.wrong_type(v, key, ctx, "a date");
                return None;
            }
        };
        match result {
            Ok(d) => Some(d),
            Err((message, hint)) => {
                self.error(v.span(), message, hint);
                None
            }
        }
    }

    fn choice<T: Copy>(
        &mut self,
        v: &Value<'_>,
        key: &str,
        ctx: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let DeValue::String(s) = v.get_ref() else {
            self.wrong_type(v, key, ctx, &format!("one of {}", quoted_list(&names)));
            return None;
        };
        if let Some((_, t)) = options.iter().find(|(n, _)| *n == s.as_ref()) {
            return Some(*t);
        }
        let mut hint = format!("expected one of {}", quoted_list(&names));
        if let Some(best) = closest(s, &names) {
            hint = format!("did you mean \"{best}\"? {hint}");
        }
        self.error(
            v.span(),
            format!("invalid value \"{s}\" for `{key}` in {ctx}"),
            hint,
        );
        None
    }

    fn enum_key<T: Copy>(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        ctx: &str,
        options: &[(&str, T)],
    ) -> Option<At<T>> {
        let v = t.get(key)?;
        self.choice(v, key, ctx, options).map(|value| At {
            value,
            span: v.span(),
        })
    }

    fn kinds(&mut self, t: &DeTable<'_>, key: &str, ctx: &str) -> Option<Kinds> {
        let v = t.get(key)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(v, key, ctx, "an array of dependency kinds");
            return None;
        };
        if items.is_empty() {
            self.error(
                v.span(),
                format!("`{key}` in {ctx} is empty"),
                "list at least one of \"normal\", \"build\", \"dev\", or remove the key",
            );
            return None;
        }
        let mut kinds = Kinds::NONE;
        let mut all_valid = true;
        for item in items {
            match self.choice(item, key, ctx, DEP_KINDS) {
                Some(kind) => kinds.insert(kind),
                None => all_valid = false,
            }
        }
        all_valid.then_some(kinds)
    }

    /// Takes `key` as an array of tables (`[[key]]`).
    fn tables<'t, 'i>(&mut self, root: &'t DeTable<'i>, key: &str) -> Vec<&'t Value<'i>> {
        let Some(v) = root.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.error(
                v.span(),
                format!(
                    "wrong type for `{key}`: expected an array of tables, found {}",
                    type_name(v.get_ref())
                ),
                format!("write each entry under its own `[[{key}]]` header (double brackets)"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            if let DeValue::Table(_) = item.get_ref() {
                out.push(item);
            } else {
                self.error(
                    item.span(),
                    format!(
                        "wrong type for an entry of `{key}`: expected a table, found {}",
                        type_name(item.get_ref())
                    ),
                    format!("write each entry under its own `[[{key}]]` header"),
                );
            }
        }
        out
    }

    fn document(&mut self, root: &DeTable<'_>) -> RawFile {
        let mut raw = RawFile::default();
        self.check_keys(root, "the top level", TOP_KEYS);
        match root.get("schema") {
            None => self.error(
                0..0,
                "missing required key `schema` at the top level",
                "add `schema = 1` as the first line",
            ),
            Some(v) => {
                let n = v
                    .get_ref()
                    .as_integer()
                    .and_then(|i| i64::from_str_radix(i.as_str(), i.radix()).ok());
                match n {
                    Some(1) => {}
                    Some(n) => self.error(
                        v.span(),
                        format!("unsupported policy schema {n}: this version of cargo-vendor-audit reads schema 1"),
                        "write `schema = 1` and use the keys of SPEC section 4, or upgrade cargo-vendor-audit",
                    ),
                    None => self.error(
                        v.span(),
                        format!(
                            "wrong type for `schema`: expected the integer 1, found {}",
                            type_name(v.get_ref())
                        ),
                        "write `schema = 1` (an unquoted integer)",
                    ),
                }
            }
        }
        match root.get("policy") {
            None => self.error(
                0..0,
                "missing required table [policy]",
                "add a `[policy]` table with at least `id = \"my-policy\"`",
            ),
            Some(v) => match v.get_ref() {
                DeValue::Table(t) => self.policy(t, v.span(), &mut raw),
                _ => self.wrong_type(v, "policy", "the top level", "a table"),
            },
        }
        for v in self.tables(root, "citation") {
            if let DeValue::Table(t) = v.get_ref()
                && let Some(c) = self.citation(t, v.span())
            {
                raw.citations.push(c);
            }
        }
        for v in self.tables(root, "entity") {
            if let DeValue::Table(t) = v.get_ref()
                && let Some(e) = self.entity(t, v.span())
            {
                raw.entities.push(e);
            }
        }
        for v in self.tables(root, "exception") {
            if let DeValue::Table(t) = v.get_ref()
                && let Some(e) = self.exception(t, v.span())
            {
                raw.exceptions.push(e);
            }
        }
        for v in self.tables(root, "not-affiliated") {
            if let DeValue::Table(t) = v.get_ref()
                && let Some(n) = self.not_affiliated(t, v.span())
            {
                raw.not_affiliated.push(n);
            }
        }
        if let Some(v) = root.get("origins") {
            match v.get_ref() {
                DeValue::Table(t) => self.origins(t, &mut raw),
                _ => self.wrong_type(v, "origins", "the top level", "a table"),
            }
        }
        raw
    }

    fn policy(&mut self, t: &DeTable<'_>, header: Range<usize>, raw: &mut RawFile) {
        const CTX: &str = "[policy]";
        self.check_keys(t, CTX, POLICY_KEYS);
        if let Some(id) = self.required_string(t, &header, "id", CTX) {
            self.id(&id, "policy");
            raw.id = Some(id);
        }
        raw.title = self.string(t, "title", CTX).map(|a| a.value);
        raw.reviewed = self.date(t, "reviewed", CTX);
        if let Some(extends) = self.string_array(t, "extends", CTX) {
            raw.extends = extends;
        }
        raw.dependency_kinds = self.kinds(t, "dependency-kinds", CTX);
        raw.deny_min_confidence = self.enum_key(t, "deny-min-confidence", CTX, CONFIDENCES);
        raw.warn_min_confidence = self.enum_key(t, "warn-min-confidence", CTX, CONFIDENCES);
        raw.missing_facts = self
            .enum_key(t, "missing-facts", CTX, LEVELS)
            .map(|a| a.value);
        raw.expired_exception = self
            .enum_key(t, "expired-exception", CTX, DENY_WARN)
            .map(|a| a.value);
        raw.unused_exception = self
            .enum_key(t, "unused-exception", CTX, LEVELS)
            .map(|a| a.value);
    }

    fn citation(
        &mut self,
        t: &DeTable<'_>,
        header: Range<usize>,
    ) -> Option<(Citation, Range<usize>)> {
        const CTX: &str = "[[citation]]";
        self.check_keys(t, CTX, CITATION_KEYS);
        let id = self.required_string(t, &header, "id", CTX);
        if let Some(id) = &id {
            self.id(id, "citation");
        }
        let title = self.required_string(t, &header, "title", CTX);
        let instrument = self.required_string(t, &header, "instrument", CTX);
        let citation = Citation {
            id: id.as_ref().map(|a| a.value.clone()).unwrap_or_default(),
            title: title.map(|a| a.value).unwrap_or_default(),
            instrument: instrument.map(|a| a.value).unwrap_or_default(),
            issuer: self.string(t, "issuer", CTX).map(|a| a.value),
            url: self.string(t, "url", CTX).map(|a| a.value),
            published: self.date(t, "published", CTX),
            effective: self.date(t, "effective", CTX),
            notes: self.string(t, "notes", CTX).map(|a| a.value),
            location: self.file.location(header.start),
        };
        id.map(|id| (citation, id.span))
    }

    fn entity(&mut self, t: &DeTable<'_>, header: Range<usize>) -> Option<RawEntity> {
        const CTX: &str = "[[entity]]";
        self.check_keys(t, CTX, ENTITY_KEYS);
        let id = self.required_string(t, &header, "id", CTX);
        if let Some(id) = &id {
            self.id(id, "entity");
        }
        let name = self.required_string(t, &header, "name", CTX);
        let reason = self.required_string(t, &header, "reason", CTX);
        let aliases = self.string_array(t, "aliases", CTX).unwrap_or_default();
        let severity = self
            .enum_key(t, "severity", CTX, SEVERITIES)
            .map_or(EntitySeverity::Deny, |a| a.value);
        let effective = self.date(t, "effective", CTX);
        let expires = self.date(t, "expires", CTX);
        if let (Some(from), Some(to)) = (effective, expires)
            && to <= from
        {
            let span = t.get("expires").map(|v| v.span()).unwrap_or(header.clone());
            self.error(
                span,
                format!("`expires` ({to}) is not after `effective` ({from}) in [[entity]]: the entity would never apply"),
                "fix one of the two dates, or remove the entity",
            );
        }
        let citations = self.string_array(t, "citations", CTX).unwrap_or_default();
        for c in &citations {
            self.id(c, "citation");
        }
        let matchers = match t.get("match") {
            None => {
                self.error(
                    header.clone(),
                    "[[entity]] has no [entity.match] table: it could never match a crate",
                    "add an `[entity.match]` table with at least one matcher, e.g. `orgs = [\"github.com/NAME\"]`",
                );
                Vec::new()
            }
            Some(v) => match v.get_ref() {
                DeValue::Table(m) => self.matchers(m, v.span()),
                _ => {
                    self.wrong_type(v, "match", CTX, "a table");
                    Vec::new()
                }
            },
        };
        let id = id?;
        Some(RawEntity {
            entity: Entity {
                id: id.value.clone(),
                name: name.map(|a| a.value).unwrap_or_default(),
                aliases: aliases.into_iter().map(|a| a.value).collect(),
                severity,
                effective,
                expires,
                reason: reason.map(|a| a.value).unwrap_or_default(),
                citations: citations.iter().map(|a| a.value.clone()).collect(),
                matchers,
                location: self.file.location(header.start),
            },
            id_span: id.span,
            citation_spans: citations.into_iter().map(|a| a.span).collect(),
        })
    }

    fn matchers(&mut self, m: &DeTable<'_>, header: Range<usize>) -> Vec<Matcher> {
        const CTX: &str = "[entity.match]";
        let valid: Vec<&str> = MatcherKind::ALL.iter().map(|k| k.key()).collect();
        self.check_keys(m, CTX, &valid);
        if m.is_empty() {
            self.error(
                header,
                "[entity.match] is empty: the entity could never match a crate",
                format!("add at least one matcher: {}", valid.join(", ")),
            );
            return Vec::new();
        }
        let mut out = Vec::new();
        for kind in MatcherKind::ALL {
            let Some(v) = m.get(kind.key()) else {
                continue;
            };
            let DeValue::Array(items) = v.get_ref() else {
                self.wrong_type(v, kind.key(), CTX, "an array");
                continue;
            };
            if items.is_empty() {
                self.error(
                    v.span(),
                    format!("`{kind}` in [entity.match] is empty"),
                    "add at least one value, or remove the key",
                );
                continue;
            }
            for item in items {
                if let Some(matcher) = self.matcher(kind, item) {
                    out.push(matcher);
                }
            }
        }
        out
    }

    /// One value of a matcher array: a plain value or `{ value, confidence, note }`.
    fn matcher(&mut self, kind: MatcherKind, item: &Value<'_>) -> Option<Matcher> {
        let key = kind.key();
        let (value_v, confidence, note) = match item.get_ref() {
            DeValue::Table(t) => {
                let ctx = format!("a `{key}` value table");
                self.check_keys(t, &ctx, MATCH_VALUE_KEYS);
                let confidence = self.enum_key(t, "confidence", &ctx, CONFIDENCES);
                let note = self.string(t, "note", &ctx).map(|a| a.value);
                let Some(v) = t.get("value") else {
                    self.missing(&item.span(), "value", &ctx, "\"...\"");
                    return None;
                };
                (v, confidence.map(|a| a.value), note)
            }
            _ => (item, None, None),
        };
        let value = match value_v.get_ref() {
            DeValue::String(s) => MatchValue::Str(s.to_string()),
            DeValue::Integer(i) => match u64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => MatchValue::Id(n),
                Err(_) => {
                    self.error(
                        value_v.span(),
                        format!("invalid `{key}` value {i}: expected a non-negative integer"),
                        "crates.io user ids are non-negative integers, e.g. `12345`",
                    );
                    return None;
                }
            },
            other => {
                let expected = if kind == MatcherKind::CratesIoUsers {
                    "a non-negative integer"
                } else {
                    "a string"
                };
                self.error(
                    value_v.span(),
                    format!(
                        "wrong type for a `{key}` value: expected {expected} or {{ value = ..., confidence = \"...\", note = \"...\" }}, found {}",
                        type_name(other)
                    ),
                    format!("write e.g. `{key} = [{}]`", if kind == MatcherKind::CratesIoUsers { "12345" } else { "\"...\"" }),
                );
                return None;
            }
        };
        if let Err((message, hint)) = check_matcher(kind, &value) {
            self.error(
                value_v.span(),
                format!("invalid `{key}` value in [entity.match]: {message}"),
                hint,
            );
            return None;
        }
        Some(Matcher {
            kind,
            value,
            confidence: confidence.unwrap_or(kind.default_confidence()),
            note,
            location: self.file.location(value_v.span().start),
        })
    }

    fn crate_name(&mut self, at: &At<String>, key: &str, ctx: &str) {
        if !is_crate_name(&at.value) {
            self.error(
                at.span.clone(),
                format!("invalid crate name `{}` for `{key}` in {ctx}", at.value),
                "write the crate's name as in Cargo.toml (letters, digits, `-`, `_`)",
            );
        }
    }

    fn exception(
        &mut self,
        t: &DeTable<'_>,
        header: Range<usize>,
    ) -> Option<(Exception, Option<Range<usize>>)> {
        const CTX: &str = "[[exception]]";
        self.check_keys(t, CTX, EXCEPTION_KEYS);
        let krate = self.required_string(t, &header, "crate", CTX);
        if let Some(k) = &krate {
            self.crate_name(k, "crate", CTX);
        }
        let version = self
            .string(t, "version", CTX)
            .and_then(|v| match semver::VersionReq::parse(&v.value) {
                Ok(req) => Some((v.value, req)),
                Err(e) => {
                    self.error(
                        v.span,
                        format!(
                            "invalid semver requirement `{}` for `version` in [[exception]]: {e}",
                            v.value
                        ),
                        "write a requirement as in Cargo.toml, e.g. `=1.0.0`, `^1.2` or `>=1, <2`",
                    );
                    None
                }
            });
        let entity = self.string(t, "entity", CTX);
        if let Some(e) = &entity {
            self.id(e, "entity");
        }
        let kinds = self.kinds(t, "kinds", CTX);
        let via = self.string_array(t, "via", CTX).unwrap_or_default();
        for v in &via {
            self.crate_name(v, "via", CTX);
        }
        let reason = self.required_string(t, &header, "reason", CTX);
        let approved_by = self.string(t, "approved-by", CTX).map(|a| a.value);
        let ticket = self.string(t, "ticket", CTX).map(|a| a.value);
        let expires = if t.get("expires").is_none() {
            self.error(
                header.clone(),
                "missing required key `expires` in [[exception]]: every waiver needs an end date",
                "add `expires = YYYY-MM-DD`, e.g. `expires = 2027-02-28`, the date the waiver should be reviewed",
            );
            None
        } else {
            self.date(t, "expires", CTX)
        };
        let exception = Exception {
            crate_name: krate?.value,
            version,
            entity: entity.as_ref().map(|a| a.value.clone()),
            kinds,
            via: via.into_iter().map(|a| a.value).collect(),
            reason: reason.map(|a| a.value).unwrap_or_default(),
            approved_by,
            ticket,
            expires: expires.unwrap_or(Date {
                year: 1970,
                month: 1,
                day: 1,
            }),
            location: self.file.location(header.start),
        };
        Some((exception, entity.map(|a| a.span)))
    }

    fn not_affiliated(
        &mut self,
        t: &DeTable<'_>,
        header: Range<usize>,
    ) -> Option<(NotAffiliated, Range<usize>)> {
        const CTX: &str = "[[not-affiliated]]";
        self.check_keys(t, CTX, NOT_AFFILIATED_KEYS);
        let krate = self.required_string(t, &header, "crate", CTX);
        if let Some(k) = &krate {
            self.crate_name(k, "crate", CTX);
        }
        let entity = self.required_string(t, &header, "entity", CTX);
        if let Some(e) = &entity {
            self.id(e, "entity");
        }
        let reason = self.required_string(t, &header, "reason", CTX);
        let matchers = self.not_affiliated_matchers(t, CTX);
        let entity = entity?;
        Some((
            NotAffiliated {
                crate_name: krate?.value,
                entity: entity.value,
                reason: reason.map(|a| a.value).unwrap_or_default(),
                matchers,
                location: self.file.location(header.start),
            },
            entity.span,
        ))
    }

    /// `matchers` of a `[[not-affiliated]]` entry: matcher keys, at least one.
    fn not_affiliated_matchers(&mut self, t: &DeTable<'_>, ctx: &str) -> Option<Vec<MatcherKind>> {
        let list = self.string_array(t, "matchers", ctx)?;
        let valid: Vec<&str> = MatcherKind::ALL.iter().map(|k| k.key()).collect();
        if list.is_empty() {
            let span = t.get("matchers").map(|v| v.span()).unwrap_or(0..0);
            self.error(
                span,
                format!("`matchers` in {ctx} is empty: the entry would review no evidence"),
                "list the matchers whose evidence was reviewed, e.g. `matchers = [\"crates\", \"email-domains\"]`, or remove the key (default: every matcher whose evidence is below high confidence)",
            );
            return None;
        }
        let mut kinds = Vec::new();
        for at in &list {
            match MatcherKind::from_key(&at.value) {
                Some(k) => {
                    if !kinds.contains(&k) {
                        kinds.push(k);
                    }
                }
                None => {
                    let hint = match closest(&at.value, &valid) {
                        Some(best) => {
                            format!("did you mean `{best}`? matchers: {}", valid.join(", "))
                        }
                        None => format!("matchers: {}", valid.join(", ")),
                    };
                    self.error(
                        at.span.clone(),
                        format!("unknown matcher `{}` in `matchers` of {ctx}", at.value),
                        hint,
                    );
                }
            }
        }
        (kinds.len() == list.len() || !kinds.is_empty()).then_some(kinds)
    }

    fn origins(&mut self, t: &DeTable<'_>, raw: &mut RawFile) {
        const CTX: &str = "[origins]";
        self.check_keys(t, CTX, ORIGINS_KEYS);
        raw.unknown_registry = self
            .enum_key(t, "unknown-registry", CTX, LEVELS)
            .map(|a| a.value);
        raw.unknown_git = self
            .enum_key(t, "unknown-git", CTX, LEVELS)
            .map(|a| a.value);
        if let Some(list) = self.string_array(t, "allow-registries", CTX) {
            for r in &list {
                if let Err(hint) = check_registry(&r.value) {
                    self.error(
                        r.span.clone(),
                        format!(
                            "invalid registry `{}` in `allow-registries` of [origins]",
                            r.value
                        ),
                        hint,
                    );
                }
            }
            raw.allow_registries = Some(list.into_iter().map(|a| a.value).collect());
        }
        if let Some(list) = self.string_array(t, "allow-git", CTX) {
            for g in &list {
                if let Err((message, hint)) = check_identifier_chars("allow-git", &g.value) {
                    self.error(
                        g.span.clone(),
                        format!("invalid entry in `allow-git` of [origins]: {message}"),
                        hint,
                    );
                    continue;
                }
                let ok = if g.value.contains("://") {
                    g.value
                        .split_once("://")
                        .is_some_and(|(_, rest)| !rest.is_empty())
                } else {
                    check_matcher(MatcherKind::Orgs, &MatchValue::Str(g.value.clone())).is_ok()
                };
                if !ok {
                    self.error(
                        g.span.clone(),
                        format!("invalid entry `{}` in `allow-git` of [origins]", g.value),
                        "write `host/org` (e.g. `github.com/my-org`) or a URL prefix (e.g. `https://git.internal.example/`)",
                    );
                }
            }
            raw.allow_git = Some(list.into_iter().map(|a| a.value).collect());
        }
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::compile_glob;

    #[test]
    fn plain_text_is_a_glob_and_bad_syntax_is_not() {
        for ok in [
            "vendor",
            "vendor-*",
            "https://gitee.com/org/*",
            "",
            "*",
            "a*b",
            "[ab]c",
        ] {
            assert!(compile_glob(ok).is_ok(), "{ok}");
        }
        for bad in ["a[", "{a,b", "x\\", "a[z-a]*"] {
            assert!(compile_glob(bad).is_err(), "{bad}");
        }
    }
}
