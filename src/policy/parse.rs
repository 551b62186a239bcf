//! Parsing and checking of one policy file.
//!
//! Takes the text of one file, parses it with spans (`toml::de::DeTable`), walks the tree by
//! hand and gives a [`RawFile`]: the file's items, validated on their own, with the spans
//! that the checks made after merging (unknown ids, duplicates) point at. Every problem is
//! pushed as a [`Diagnostic`]; the walk never stops at the first one.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::diagnostic::{SourceFile, closest};
use super::toml::{At, Checker, Value, type_name};
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

impl Checker<'_> {
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
