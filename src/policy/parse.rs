//! Parsing and checking of one policy file.
//!
//! Takes the text of one file, parses it with spans (`toml::de::DeTable`), walks the tree by
//! hand and gives a [`RawFile`]: the file's items, validated on their own, with the spans
//! that the checks made after merging (unknown ids, duplicates) point at. Every problem is
//! pushed as a [`Diagnostic`]; the walk never stops at the first one.
//!
//! Each table is read through [`Checker::walk`]: a key the walk does not ask for is
//! unknown, and the hint for it lists the keys in the order the walk asks for them.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::diagnostic::{SourceFile, closest};
use super::toml::{At, Checker, Table, Value, type_name};
use super::values::{check_identifier_chars, check_matcher, check_registry, is_crate_name};
use super::{
    Citation, Confidence, Diagnostic, Entity, EntitySeverity, Exception, Level, MatchValue,
    Matcher, MatcherKind, NotAffiliated,
};
use crate::date::Date;
use crate::graph::Kinds;

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

const CONFIDENCES: &[Confidence] = &[Confidence::High, Confidence::Medium, Confidence::Low];
const LEVELS: &[Level] = &[Level::Deny, Level::Warn, Level::Allow];
const DENY_WARN: &[Level] = &[Level::Deny, Level::Warn];
const SEVERITIES: &[EntitySeverity] = &[EntitySeverity::Deny, EntitySeverity::Warn];

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
    Some(c.walk(root.get_ref(), 0..0, "the top level", Checker::document))
}

fn syntax_hint(message: &str) -> String {
    if message.contains("duplicate key") {
        "each key may appear once per table: remove or rename the second one".to_string()
    } else {
        "fix the TOML syntax (see https://toml.io/en/v1.0.0)".to_string()
    }
}

impl Checker<'_> {
    fn document(&mut self, root: &mut Table<'_, '_>) -> RawFile {
        let mut raw = RawFile::default();
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
                        "write `schema = 1` and use the keys of the policy reference (`cargo vendor-audit policy show builtin:example` prints them all), or upgrade cargo-vendor-audit",
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
                DeValue::Table(t) => {
                    self.walk(t, v.span(), "[policy]", |c, t| c.policy(t, &mut raw))
                }
                _ => self.wrong_type(v, "policy", &root.ctx, "a table"),
            },
        }
        raw.citations = self.tables(root, "citation", Self::citation);
        raw.entities = self.tables(root, "entity", Self::entity);
        raw.exceptions = self.tables(root, "exception", Self::exception);
        raw.not_affiliated = self.tables(root, "not-affiliated", Self::not_affiliated);
        if let Some(v) = root.get("origins") {
            match v.get_ref() {
                DeValue::Table(t) => {
                    self.walk(t, v.span(), "[origins]", |c, t| c.origins(t, &mut raw))
                }
                _ => self.wrong_type(v, "origins", &root.ctx, "a table"),
            }
        }
        raw
    }

    fn policy(&mut self, t: &mut Table<'_, '_>, raw: &mut RawFile) {
        if let Some(id) = self.required_string(t, "id") {
            self.id(&id, "policy");
            raw.id = Some(id);
        }
        raw.title = self.string(t, "title").map(|a| a.value);
        raw.reviewed = self.date(t, "reviewed");
        if let Some(extends) = self.string_array(t, "extends") {
            raw.extends = extends;
        }
        raw.dependency_kinds = self.kinds(t, "dependency-kinds");
        raw.deny_min_confidence = self.enum_key(t, "deny-min-confidence", CONFIDENCES);
        raw.warn_min_confidence = self.enum_key(t, "warn-min-confidence", CONFIDENCES);
        raw.missing_facts = self.enum_key(t, "missing-facts", LEVELS).map(|a| a.value);
        raw.expired_exception = self
            .enum_key(t, "expired-exception", DENY_WARN)
            .map(|a| a.value);
        raw.unused_exception = self
            .enum_key(t, "unused-exception", LEVELS)
            .map(|a| a.value);
    }

    fn citation(&mut self, t: &mut Table<'_, '_>) -> Option<(Citation, Range<usize>)> {
        let id = self.required_string(t, "id");
        if let Some(id) = &id {
            self.id(id, "citation");
        }
        let title = self.required_string(t, "title");
        let instrument = self.required_string(t, "instrument");
        let citation = Citation {
            id: id.as_ref().map(|a| a.value.clone()).unwrap_or_default(),
            title: title.map(|a| a.value).unwrap_or_default(),
            instrument: instrument.map(|a| a.value).unwrap_or_default(),
            issuer: self.string(t, "issuer").map(|a| a.value),
            url: self.string(t, "url").map(|a| a.value),
            published: self.date(t, "published"),
            effective: self.date(t, "effective"),
            notes: self.string(t, "notes").map(|a| a.value),
            location: self.file.location(t.span.start),
        };
        id.map(|id| (citation, id.span))
    }

    fn entity(&mut self, t: &mut Table<'_, '_>) -> Option<RawEntity> {
        let id = self.required_string(t, "id");
        if let Some(id) = &id {
            self.id(id, "entity");
        }
        let name = self.required_string(t, "name");
        let aliases = self.string_array(t, "aliases").unwrap_or_default();
        let severity = self
            .enum_key(t, "severity", SEVERITIES)
            .map_or(EntitySeverity::Deny, |a| a.value);
        let effective = self.date(t, "effective");
        let expires = self.date(t, "expires");
        if let (Some(from), Some(to)) = (effective, expires)
            && to <= from
        {
            let span = t.get("expires").map_or(t.span.clone(), |v| v.span());
            self.error(
                span,
                format!("`expires` ({to}) is not after `effective` ({from}) in [[entity]]: the entity would never apply"),
                "fix one of the two dates, or remove the entity",
            );
        }
        let reason = self.required_string(t, "reason");
        let citations = self.string_array(t, "citations").unwrap_or_default();
        for c in &citations {
            self.id(c, "citation");
        }
        let matchers = match t.get("match") {
            None => {
                self.error(
                    t.span.clone(),
                    "[[entity]] has no [entity.match] table: it could never match a crate",
                    "add an `[entity.match]` table with at least one matcher, e.g. `orgs = [\"github.com/NAME\"]`",
                );
                Vec::new()
            }
            Some(v) => match v.get_ref() {
                DeValue::Table(m) => self.walk(m, v.span(), "[entity.match]", Self::matchers),
                _ => {
                    self.wrong_type(v, "match", &t.ctx, "a table");
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
                location: self.file.location(t.span.start),
            },
            id_span: id.span,
            citation_spans: citations.into_iter().map(|a| a.span).collect(),
        })
    }

    fn matchers(&mut self, m: &mut Table<'_, '_>) -> Vec<Matcher> {
        if m.is_empty() {
            let valid: Vec<&str> = MatcherKind::ALL.iter().map(|k| k.key()).collect();
            self.error(
                m.span.clone(),
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
                self.wrong_type(v, kind.key(), &m.ctx, "an array");
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
                self.walk(t, item.span(), ctx, |c, t| {
                    let value = t.get("value");
                    let confidence = c.enum_key(t, "confidence", CONFIDENCES);
                    let note = c.string(t, "note").map(|a| a.value);
                    if value.is_none() {
                        c.missing(&t.span, "value", &t.ctx, "\"...\"");
                    }
                    Some((value?, confidence.map(|a| a.value), note))
                })?
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

    fn exception(&mut self, t: &mut Table<'_, '_>) -> Option<(Exception, Option<Range<usize>>)> {
        let krate = self.required_string(t, "crate");
        if let Some(k) = &krate {
            self.crate_name(k, "crate", &t.ctx);
        }
        let version =
            self.string(t, "version")
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
        let entity = self.string(t, "entity");
        if let Some(e) = &entity {
            self.id(e, "entity");
        }
        let kinds = self.kinds(t, "kinds");
        let via = self.string_array(t, "via").unwrap_or_default();
        for v in &via {
            self.crate_name(v, "via", &t.ctx);
        }
        let reason = self.required_string(t, "reason");
        let approved_by = self.string(t, "approved-by").map(|a| a.value);
        let ticket = self.string(t, "ticket").map(|a| a.value);
        let expires = if t.get("expires").is_none() {
            self.error(
                t.span.clone(),
                "missing required key `expires` in [[exception]]: every waiver needs an end date",
                "add `expires = YYYY-MM-DD`, e.g. `expires = 2027-02-28`, the date the waiver should be reviewed",
            );
            None
        } else {
            self.date(t, "expires")
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
            location: self.file.location(t.span.start),
        };
        Some((exception, entity.map(|a| a.span)))
    }

    fn not_affiliated(&mut self, t: &mut Table<'_, '_>) -> Option<(NotAffiliated, Range<usize>)> {
        let krate = self.required_string(t, "crate");
        if let Some(k) = &krate {
            self.crate_name(k, "crate", &t.ctx);
        }
        let entity = self.required_string(t, "entity");
        if let Some(e) = &entity {
            self.id(e, "entity");
        }
        let reason = self.required_string(t, "reason");
        let matchers = self.not_affiliated_matchers(t);
        let entity = entity?;
        Some((
            NotAffiliated {
                crate_name: krate?.value,
                entity: entity.value,
                reason: reason.map(|a| a.value).unwrap_or_default(),
                matchers,
                location: self.file.location(t.span.start),
            },
            entity.span,
        ))
    }

    /// `matchers` of a `[[not-affiliated]]` entry: matcher keys, at least one.
    fn not_affiliated_matchers(&mut self, t: &mut Table<'_, '_>) -> Option<Vec<MatcherKind>> {
        let list = self.string_array(t, "matchers")?;
        let span = t.get("matchers").map_or(0..0, |v| v.span());
        let ctx = &t.ctx;
        let valid: Vec<&str> = MatcherKind::ALL.iter().map(|k| k.key()).collect();
        if list.is_empty() {
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

    fn origins(&mut self, t: &mut Table<'_, '_>, raw: &mut RawFile) {
        raw.unknown_registry = self
            .enum_key(t, "unknown-registry", LEVELS)
            .map(|a| a.value);
        raw.unknown_git = self.enum_key(t, "unknown-git", LEVELS).map(|a| a.value);
        if let Some(list) = self.string_array(t, "allow-registries") {
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
        if let Some(list) = self.string_array(t, "allow-git") {
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
