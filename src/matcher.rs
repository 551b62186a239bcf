//! The matcher: graph + facts + policy -> findings. A pure function; no I/O.
//!
//! Patterns are indexed once per policy (hash maps on normalized keys, compiled glob
//! sets), so each package costs a few lookups whatever the size of the policy.

use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::date::Date;
use crate::facts::url::{host_within, normalize};
use crate::facts::{Origin, Owner, PackageFacts, Provenance, Publisher};
use crate::graph::{DepKind, Graph, Kinds, PathFinder, fold_crate_name};
use crate::pattern::{Shape, shape};
use crate::policy::{
    Confidence, Entity, EntitySeverity, Exception, Level, MatchValue, Matcher, MatcherKind,
    NotAffiliated, Policy,
};
use crate::report::{
    CitationRef, Code, EntityRef, Evidence, ExceptionRef, Finding, PackageRef, Severity,
};

/// How many entities a missing-facts message names before it gives a count.
pub const MISSING_FACTS_ENTITIES_NAMED: usize = 5;

/// How many paths a finding carries at most.
pub const MAX_PATHS: usize = 5;

/// Settings of one evaluation that do not come from the policy.
#[derive(Clone, Debug)]
pub struct Options {
    pub today: Date,
    /// Audit workspace members too.
    pub include_workspace: bool,
    /// `--exclude-dev`: dev is out of scope whatever the policy says.
    pub exclude_dev: bool,
}

impl Options {
    /// The dependency kinds in scope: the policy's, without `dev` under `--exclude-dev`.
    pub fn scope(&self, policy: &Policy) -> Kinds {
        let mut scope = policy.settings.dependency_kinds;
        if self.exclude_dev {
            scope.remove(DepKind::Dev);
        }
        scope
    }

    /// The in-scope kinds of package `i` if it is audited (reached in scope, and not
    /// first-party unless `--include-workspace`); `None` otherwise.
    pub fn audited_kinds(&self, graph: &Graph, scope: Kinds, i: usize) -> Option<Kinds> {
        let kinds = graph.kinds[i].intersect(scope);
        let first_party = graph.packages[i].workspace_member && !self.include_workspace;
        (!kinds.is_empty() && !first_party).then_some(kinds)
    }
}

/// The findings, unsorted severities already final, and how many packages were audited.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub audited: usize,
}

/// (entity index, matcher index within the entity).
type Ref = (usize, usize);

/// The policy's matchers, indexed for lookup by fact.
pub struct Index<'p> {
    policy: &'p Policy,
    active: Vec<bool>,
    users: HashMap<u64, Vec<Ref>>,
    logins: HashMap<String, Vec<Ref>>,
    teams: Globs,
    orgs: HashMap<String, OrgIndex>,
    hosts: HashMap<String, Vec<Ref>>,
    registries: HashMap<String, Vec<Ref>>,
    crates_io_registry: Vec<Ref>,
    repositories: Globs,
    email_domains: HashMap<String, Vec<Ref>>,
    copyright: Vec<(String, Ref)>,
    /// `author-names`, lowercased.
    author_names: Vec<(String, Ref)>,
    crates: Globs,
}

/// The `orgs` entries of one host, by their first path segment (`github.com/ORG`).
#[derive(Default)]
struct OrgIndex {
    /// Entries that name the host alone.
    any: Vec<(Vec<String>, Ref)>,
    by_first: HashMap<String, Vec<(Vec<String>, Ref)>>,
}

/// Glob patterns, indexed once per policy.
///
/// A policy generated from a sanctions list holds tens of thousands of globs, and a
/// `GlobSet` of that many is slow to build (seconds) and to run. Most are a literal
/// (`name`) or a literal prefix and one trailing `*` (`https://gitee.com/org/*`,
/// `vendor-*`): those go to hash maps on the lowercased literal. Each other glob is
/// found through the longest literal run it requires (`.example.cn/` of
/// `https://*.example.cn/*`), all of them in one Aho-Corasick automaton, and compiled
/// only when a text contains that run; a glob without such a run (brackets, braces,
/// escapes, or nothing literal of length 3) is compiled up front. Matches are given in
/// pattern order, as one `GlobSet` of every pattern gives them. A text that is not ASCII
/// goes through a `GlobSet` of every pattern, built on first use, so that Unicode case
/// folding stays the regex engine's.
struct Globs {
    /// Every pattern, as written, with its entity and matcher.
    patterns: Vec<(String, Ref)>,
    /// Lowercased literal -> pattern indices.
    exact: HashMap<String, Vec<usize>>,
    /// Lowercased prefix before the trailing `*` -> pattern indices.
    prefixes: HashMap<String, Vec<usize>>,
    /// The distinct lengths of the keys of `prefixes`, in bytes.
    prefix_lens: Vec<usize>,
    /// The lowercased required runs of the other globs; automaton pattern `k` is
    /// `runs[k]`, and is required by the patterns `run_owners[k]`.
    runs: Option<AhoCorasick>,
    run_owners: Vec<Vec<usize>>,
    /// Per pattern index, its glob, compiled on first need (`None`: does not compile).
    lazy: HashMap<usize, std::sync::OnceLock<Option<globset::GlobMatcher>>>,
    /// The globs without a required run, and the pattern index of each.
    set: GlobSet,
    set_index: Vec<usize>,
    /// Every pattern that compiles, for texts that are not ASCII.
    all: std::sync::OnceLock<(GlobSet, Vec<usize>)>,
}

/// The longest literal run of at least 3 bytes that every text a glob matches must
/// contain, lowercased; `None` when the glob has none or has syntax (classes,
/// alternatives, escapes) this does not read.
fn required_run(pattern: &str) -> Option<String> {
    if !pattern.is_ascii() || pattern.contains(['[', ']', '{', '}', '\\']) {
        return None;
    }
    pattern
        .split(['*', '?'])
        .max_by_key(|run| run.len())
        .filter(|run| run.len() >= 3)
        .map(str::to_ascii_lowercase)
}

fn compile(pattern: &str) -> Option<globset::Glob> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .ok()
}

/// A `GlobSet` of `patterns[i]` for each `i` of `which` that compiles (the policy stage
/// has validated every glob; one that still fails is skipped), and the index of each.
fn glob_set(
    patterns: &[(String, Ref)],
    which: impl Iterator<Item = usize>,
) -> (GlobSet, Vec<usize>) {
    let mut builder = GlobSetBuilder::new();
    let mut index = Vec::new();
    for i in which {
        if let Some(glob) = compile(&patterns[i].0) {
            builder.add(glob);
            index.push(i);
        }
    }
    let set = builder.build().unwrap_or_else(|_| GlobSet::empty());
    (set, index)
}

impl Globs {
    fn build(patterns: Vec<(String, Ref)>) -> Globs {
        let mut exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut prefixes: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_run: HashMap<String, Vec<usize>> = HashMap::new();
        let mut globs = Vec::new();
        for (i, (pattern, _)) in patterns.iter().enumerate() {
            // A literal, or a literal and `*`, always compiles.
            match shape(pattern) {
                Shape::Exact(lit) => exact.entry(lit.to_ascii_lowercase()).or_default().push(i),
                Shape::Prefix(lit) => prefixes
                    .entry(lit.to_ascii_lowercase())
                    .or_default()
                    .push(i),
                Shape::Glob => match required_run(pattern) {
                    Some(run) => by_run.entry(run).or_default().push(i),
                    None => globs.push(i),
                },
            }
        }
        let mut prefix_lens: Vec<usize> = prefixes.keys().map(String::len).collect();
        prefix_lens.sort_unstable();
        prefix_lens.dedup();
        let (runs, run_owners): (Vec<String>, Vec<Vec<usize>>) = by_run.into_iter().unzip();
        let lazy = run_owners
            .iter()
            .flatten()
            .map(|&i| (i, std::sync::OnceLock::new()))
            .collect();
        // Runs are plain ASCII text, which the automaton always accepts.
        let runs = (!runs.is_empty())
            .then(|| AhoCorasick::new(&runs).ok())
            .flatten();
        let (set, set_index) = glob_set(&patterns, globs.into_iter());
        Globs {
            patterns,
            exact,
            prefixes,
            prefix_lens,
            runs,
            run_owners,
            lazy,
            set,
            set_index,
            all: std::sync::OnceLock::new(),
        }
    }

    fn matches(&self, text: &str) -> impl Iterator<Item = Ref> + '_ {
        let mut hits: Vec<usize> = Vec::new();
        if self.patterns.is_empty() {
        } else if text.is_ascii() {
            let lower = text.to_ascii_lowercase();
            hits.extend(self.exact.get(&lower).into_iter().flatten());
            for &len in &self.prefix_lens {
                if len > lower.len() {
                    break;
                }
                hits.extend(self.prefixes.get(&lower[..len]).into_iter().flatten());
            }
            if !self.set.is_empty() {
                hits.extend(
                    self.set
                        .matches(text)
                        .into_iter()
                        .map(|i| self.set_index[i]),
                );
            }
            if let Some(runs) = &self.runs {
                let mut candidates: Vec<usize> = runs
                    .find_overlapping_iter(&lower)
                    .flat_map(|m| &self.run_owners[m.pattern().as_usize()])
                    .copied()
                    .collect();
                candidates.sort_unstable();
                candidates.dedup();
                for i in candidates {
                    let glob = self.lazy[&i]
                        .get_or_init(|| compile(&self.patterns[i].0).map(|g| g.compile_matcher()));
                    if glob.as_ref().is_some_and(|g| g.is_match(text)) {
                        hits.push(i);
                    }
                }
            }
            hits.sort_unstable();
        } else {
            let (set, index) = self
                .all
                .get_or_init(|| glob_set(&self.patterns, 0..self.patterns.len()));
            hits.extend(set.matches(text).into_iter().map(|i| index[i]));
        }
        hits.into_iter().map(|i| self.patterns[i].1)
    }
}

/// A registry URL as compared: lowercase, no trailing `/`.
fn registry_key(url: &str) -> String {
    url.trim().trim_end_matches('/').to_ascii_lowercase()
}

fn is_crates_io_name(s: &str) -> bool {
    s.eq_ignore_ascii_case("crates-io") || crate::facts::metadata::is_crates_io(s)
}

/// `host/org/sub` split into a lowercase host and lowercase segments.
fn org_parts(entry: &str) -> (String, Vec<String>) {
    let mut parts = entry.trim_matches('/').split('/').filter(|s| !s.is_empty());
    let host = parts.next().unwrap_or("").to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (host, parts.map(|s| s.to_ascii_lowercase()).collect())
}

impl<'p> Index<'p> {
    pub fn new(policy: &'p Policy, today: Date) -> Index<'p> {
        let active = policy
            .entities
            .iter()
            .map(|e| e.expires.is_none_or(|x| today < x))
            .collect();
        let mut users: HashMap<u64, Vec<Ref>> = HashMap::new();
        let mut logins: HashMap<String, Vec<Ref>> = HashMap::new();
        let mut orgs: HashMap<String, OrgIndex> = HashMap::new();
        let mut hosts: HashMap<String, Vec<Ref>> = HashMap::new();
        let mut registries: HashMap<String, Vec<Ref>> = HashMap::new();
        let mut email_domains: HashMap<String, Vec<Ref>> = HashMap::new();
        let (mut teams, mut repositories, mut crates) = (Vec::new(), Vec::new(), Vec::new());
        let mut crates_io_registry = Vec::new();
        let mut copyright = Vec::new();
        let mut author_names = Vec::new();
        for (e, entity) in policy.entities.iter().enumerate() {
            for (m, matcher) in entity.matchers.iter().enumerate() {
                let r = (e, m);
                let text = matcher.value.to_string();
                match (matcher.kind, &matcher.value) {
                    (MatcherKind::CratesIoUsers, MatchValue::Id(id)) => {
                        users.entry(*id).or_default().push(r)
                    }
                    (MatcherKind::CratesIoUsers, MatchValue::Str(s)) => {
                        if let Ok(id) = s.trim().parse() {
                            users.entry(id).or_default().push(r)
                        }
                    }
                    (MatcherKind::CratesIoLogins, _) => {
                        logins.entry(text.to_lowercase()).or_default().push(r)
                    }
                    (MatcherKind::CratesIoTeams, _) => teams.push((text, r)),
                    (MatcherKind::Orgs, _) => {
                        let (host, segs) = org_parts(&text);
                        let on_host = orgs.entry(host).or_default();
                        match segs.first() {
                            Some(first) => on_host
                                .by_first
                                .entry(first.clone())
                                .or_default()
                                .push((segs, r)),
                            None => on_host.any.push((segs, r)),
                        }
                    }
                    (MatcherKind::Hosts, _) => {
                        let h = text.trim().trim_end_matches('.').to_ascii_lowercase();
                        hosts.entry(h).or_default().push(r)
                    }
                    (MatcherKind::Registries, _) if is_crates_io_name(&text) => {
                        crates_io_registry.push(r)
                    }
                    (MatcherKind::Registries, _) => {
                        registries.entry(registry_key(&text)).or_default().push(r)
                    }
                    (MatcherKind::Repositories, _) => repositories.push((text, r)),
                    (MatcherKind::EmailDomains, _) => {
                        let d = text.trim().trim_start_matches('@').to_ascii_lowercase();
                        email_domains.entry(d).or_default().push(r)
                    }
                    (MatcherKind::CopyrightHolders, _) => copyright.push((text.to_lowercase(), r)),
                    (MatcherKind::AuthorNames, _) => {
                        author_names.push((text.trim().to_lowercase(), r))
                    }
                    (MatcherKind::Crates, _) => crates.push((fold_crate_name(&text), r)),
                }
            }
        }
        Index {
            policy,
            active,
            users,
            logins,
            teams: Globs::build(teams),
            orgs,
            hosts,
            registries,
            crates_io_registry,
            repositories: Globs::build(repositories),
            email_domains,
            copyright,
            author_names,
            crates: Globs::build(crates),
        }
    }

    fn matcher(&self, r: Ref) -> &'p Matcher {
        &self.policy.entities[r.0].matchers[r.1]
    }

    /// Every (entity, evidence) pair for one package, from its name, its `authors` entries
    /// as written and its facts.
    pub fn hits(
        &self,
        name: &str,
        authors: &[String],
        facts: &PackageFacts,
    ) -> Vec<(usize, Evidence)> {
        let mut out = Hits {
            index: self,
            hits: Vec::new(),
        };
        let meta = (Provenance::CargoMetadata, None);
        for url in &facts.urls {
            let prov = (url.provenance, None);
            if let Some(host) = &url.host {
                out.orgs(host, &url.segments, url.field, &url.raw, prov.clone());
                out.hosts(host, url.field, &url.raw, prov.clone());
            }
            for r in self.repositories.matches(&url.normalized) {
                out.push(r, url.field, &url.raw, prov.clone());
            }
        }
        if let Some(reg) = &facts.registry {
            if matches!(facts.origin, Origin::CratesIo) {
                for &r in &self.crates_io_registry {
                    out.push(r, "registry", reg, meta.clone());
                }
            } else {
                for &r in self
                    .registries
                    .get(&registry_key(reg))
                    .into_iter()
                    .flatten()
                {
                    out.push(r, "registry", reg, meta.clone());
                }
                let bare = reg.split_once('+').map_or(reg.as_str(), |(_, u)| u);
                if let Some(host) = normalize(bare).host {
                    out.hosts(&host, "registry", reg, meta.clone());
                }
            }
        }
        for email in &facts.emails {
            let mut domain = email.domain.as_str();
            loop {
                for &r in self.email_domains.get(domain).into_iter().flatten() {
                    out.push(r, "author-email", &email.author, meta.clone());
                }
                match domain.split_once('.') {
                    Some((_, rest)) if !rest.is_empty() => domain = rest,
                    _ => break,
                }
            }
        }
        if !self.author_names.is_empty() {
            for author in authors {
                let Some(who) = author_name(author) else {
                    continue;
                };
                let lower = who.to_lowercase();
                for (needle, r) in &self.author_names {
                    if lower.contains(needle.as_str()) {
                        out.push(*r, "author", author, meta.clone());
                    }
                }
            }
        }
        if let Some(owners) = &facts.owners {
            let prov = (owners.provenance, owners.fetched.clone());
            for owner in &owners.value {
                match owner {
                    Owner::User { id, login } => {
                        let shown = format!("{login} (user id {id})");
                        out.user(*id, login, "owner", &shown, prov.clone());
                    }
                    Owner::Team { login, .. } => {
                        for r in self.teams.matches(login) {
                            out.push(r, "owner", login, prov.clone());
                        }
                        // A team `github:ORG:team` belongs to the org `github.com/ORG`.
                        let mut parts = login.splitn(3, ':');
                        if let (Some("github"), Some(org)) = (parts.next(), parts.next()) {
                            let segs = [org.to_ascii_lowercase()];
                            out.orgs("github.com", &segs, "owner", login, prov.clone());
                        }
                    }
                }
            }
        }
        if let Some(publisher) = &facts.publisher {
            let prov = (publisher.provenance, publisher.fetched.clone());
            match &publisher.value {
                Some(Publisher::User { id, login }) => {
                    let shown = format!("{login} (user id {id})");
                    out.user(*id, login, "publisher", &shown, prov);
                }
                Some(Publisher::Trusted(tp)) => {
                    if let Some(url) = trusted_publisher_url(tp) {
                        let n = normalize(&url);
                        let segs: Vec<String> = n.segments().map(str::to_ascii_lowercase).collect();
                        if let Some(host) = &n.host {
                            out.orgs(host, &segs, "publisher", tp, prov.clone());
                        }
                        for r in self.repositories.matches(&n.text) {
                            out.push(r, "publisher", tp, prov.clone());
                        }
                    }
                }
                None => {}
            }
        }
        if let Some(lines) = &facts.copyright {
            for line in lines {
                let lower = line.line.to_lowercase();
                for (needle, r) in &self.copyright {
                    if lower.contains(needle.as_str()) {
                        let shown = format!("{} ({})", line.line, line.file);
                        out.push(*r, "copyright", &shown, (Provenance::CrateSources, None));
                    }
                }
            }
        }
        for r in self.crates.matches(&fold_crate_name(name)) {
            out.push(r, "name", name, meta.clone());
        }
        out.hits
    }
}

/// The name part of an `authors` entry: `Alibaba Dragonball Team` of
/// `Alibaba Dragonball Team <x@y>`, or the whole entry when it has no address; `None` for a
/// bare address or an empty name.
pub fn author_name(author: &str) -> Option<&str> {
    let name = match author.find('<') {
        Some(i) => &author[..i],
        None if author.contains('@') && !author.trim().contains(char::is_whitespace) => "",
        None => author,
    };
    let name = name.trim();
    (!name.is_empty()).then_some(name)
}

/// `github:OWNER/REPO` -> `https://github.com/OWNER/REPO`; `gitlab:PATH` -> `https://gitlab.com/PATH`.
pub fn trusted_publisher_url(tp: &str) -> Option<String> {
    let (provider, path) = tp.split_once(':')?;
    let host = match provider.to_ascii_lowercase().as_str() {
        "github" => "github.com",
        "gitlab" => "gitlab.com",
        _ => return None,
    };
    Some(format!("https://{host}/{path}"))
}

struct Hits<'a, 'p> {
    index: &'a Index<'p>,
    hits: Vec<(usize, Evidence)>,
}

impl Hits<'_, '_> {
    fn push(&mut self, r: Ref, fact: &str, value: &str, prov: (Provenance, Option<String>)) {
        if !self.index.active[r.0] {
            return;
        }
        let m = self.index.matcher(r);
        let evidence = Evidence {
            matcher: m.kind.key().to_string(),
            pattern: m.value.to_string(),
            fact: fact.to_string(),
            value: value.to_string(),
            confidence: m.confidence.as_str().to_string(),
            provenance: prov.0.as_str().to_string(),
            fetched: prov.1,
            api_base: None,
            pattern_at: m.location.to_string(),
            note: m.note.clone(),
        };
        if !self.hits.iter().any(|(e, ev)| *e == r.0 && *ev == evidence) {
            self.hits.push((r.0, evidence));
        }
    }

    fn orgs(
        &mut self,
        host: &str,
        segs: &[String],
        fact: &str,
        value: &str,
        prov: (Provenance, Option<String>),
    ) {
        let index = self.index;
        let Some(on_host) = index.orgs.get(host) else {
            return;
        };
        let (mut any, mut named) = (on_host.any.as_slice(), &[][..]);
        if let Some(entries) = segs.first().and_then(|s| on_host.by_first.get(s)) {
            named = entries.as_slice();
        }
        // Both lists are in policy order: merge them to keep it.
        loop {
            let (entry, r) = match (any.first(), named.first()) {
                (Some(a), Some(n)) if a.1 < n.1 => {
                    any = &any[1..];
                    a
                }
                (_, Some(n)) => {
                    named = &named[1..];
                    n
                }
                (Some(a), None) => {
                    any = &any[1..];
                    a
                }
                (None, None) => break,
            };
            if entry.len() <= segs.len() && entry.iter().zip(segs).all(|(a, b)| a == b) {
                self.push(*r, fact, value, prov.clone());
            }
        }
    }

    fn hosts(&mut self, host: &str, fact: &str, value: &str, prov: (Provenance, Option<String>)) {
        let index = self.index;
        let mut h = host;
        loop {
            for &r in index.hosts.get(h).into_iter().flatten() {
                debug_assert!(host_within(host, h));
                self.push(r, fact, value, prov.clone());
            }
            match h.split_once('.') {
                Some((_, rest)) if !rest.is_empty() => h = rest,
                _ => break,
            }
        }
    }

    fn user(
        &mut self,
        id: u64,
        login: &str,
        fact: &str,
        shown: &str,
        prov: (Provenance, Option<String>),
    ) {
        let index = self.index;
        for &r in index.users.get(&id).into_iter().flatten() {
            self.push(r, fact, shown, prov.clone());
        }
        for &r in index
            .logins
            .get(&login.to_lowercase())
            .into_iter()
            .flatten()
        {
            self.push(r, fact, shown, prov.clone());
        }
    }
}

/// The severity rule of the book's finding codes (docs/src/finding-codes.md), before exceptions.
pub fn severity(entity: &Entity, best: Confidence, policy: &Policy) -> Severity {
    let s = &policy.settings;
    if entity.severity == EntitySeverity::Deny && best >= s.deny_min_confidence {
        Severity::Deny
    } else if best >= s.warn_min_confidence {
        Severity::Warn
    } else {
        Severity::Info
    }
}

fn level_severity(level: Level) -> Option<Severity> {
    match level {
        Level::Deny => Some(Severity::Deny),
        Level::Warn => Some(Severity::Warn),
        Level::Allow => None,
    }
}

fn parse_confidence(s: &str) -> Confidence {
    match s {
        "high" => Confidence::High,
        "medium" => Confidence::Medium,
        _ => Confidence::Low,
    }
}

pub fn exception_ref(x: &Exception) -> ExceptionRef {
    ExceptionRef {
        crate_name: x.crate_name.clone(),
        version: x.version.as_ref().map(|(text, _)| text.clone()),
        entity: x.entity.clone(),
        expires: x.expires.to_string(),
        reason: x.reason.clone(),
        at: x.location.to_string(),
        approved_by: x.approved_by.clone(),
        ticket: x.ticket.clone(),
    }
}

pub fn entity_ref(entity: &Entity, policy: &Policy) -> EntityRef {
    EntityRef {
        id: entity.id.clone(),
        name: entity.name.clone(),
        reason: entity.reason.clone(),
        effective: entity.effective.map(|d| d.to_string()),
        citations: entity
            .citations
            .iter()
            .filter_map(|id| policy.citations.get(id))
            .map(|c| CitationRef {
                id: c.id.clone(),
                title: c.title.clone(),
                instrument: c.instrument.clone(),
                url: c.url.clone(),
            })
            .collect(),
        at: entity.location.to_string(),
    }
}

/// Runs the whole evaluation.
pub fn evaluate(graph: &Graph, facts: &[PackageFacts], policy: &Policy, opts: &Options) -> Outcome {
    let index = Index::new(policy, opts.today);
    let scope = opts.scope(policy);
    let specs: Vec<OnceLock<String>> = graph.packages.iter().map(|_| OnceLock::new()).collect();
    let publisher_entities: Vec<&str> = policy
        .entities
        .iter()
        .zip(&index.active)
        .filter(|(e, active)| **active && e.matchers.iter().any(|m| m.kind.needs_publisher_facts()))
        .map(|(e, _)| e.id.as_str())
        .collect();
    // Joined once, and named in every missing-facts message: a few, then a count (a policy generated from a
    // sanctions list can have thousands).
    let publisher_list = match publisher_entities.len() {
        n if n > MISSING_FACTS_ENTITIES_NAMED => format!(
            "{} and {} more",
            publisher_entities[..MISSING_FACTS_ENTITIES_NAMED].join(", "),
            n - MISSING_FACTS_ENTITIES_NAMED
        ),
        _ => publisher_entities.join(", "),
    };
    let publisher_matchers = publisher_matchers(policy, &index.active);
    let finder = graph.path_finder();
    let shared = Shared {
        graph,
        facts,
        policy,
        opts,
        index: &index,
        scope,
        publisher_entities: &publisher_entities,
        publisher_list: &publisher_list,
        publisher_matchers: &publisher_matchers,
        finder: &finder,
        specs: &specs,
    };
    let reached: Vec<usize> = graph.reached().collect();
    let mut used = vec![false; policy.exceptions.len()];
    let mut findings = Vec::new();
    let mut audited = 0;
    for part in shared.run(&reached) {
        for (u, p) in used.iter_mut().zip(part.used) {
            *u |= p;
        }
        findings.extend(part.findings);
        audited += part.audited;
    }

    for (x, exc) in policy.exceptions.iter().enumerate() {
        if used[x] {
            continue;
        }
        if let Some(sev) = level_severity(policy.settings.unused_exception) {
            let message = format!(
                "the exception for {} at {} matched no finding; remove it or correct it",
                exc.crate_name, exc.location
            );
            findings.push(Finding {
                code: Code::UnusedException,
                severity: sev,
                entity: exc.entity.clone(),
                package: None,
                kinds: Vec::new(),
                evidence: Vec::new(),
                paths: Vec::new(),
                exception: Some(exception_ref(exc)),
                message,
                entity_detail: exc
                    .entity
                    .as_deref()
                    .and_then(|id| policy.entity(id))
                    .map(|e| entity_ref(e, policy)),
                path_kinds: Vec::new(),
            });
        }
    }
    sort(&mut findings);
    Outcome { findings, audited }
}

/// Which facts the policy's owner and publisher matchers read, and their kinds in words.
struct PublisherMatchers {
    owners: bool,
    publisher: bool,
    /// `crates-io-*`, `orgs`, `repositories`, as many as the policy uses.
    kinds: String,
}

fn publisher_matchers(policy: &Policy, active: &[bool]) -> PublisherMatchers {
    let mut out = PublisherMatchers {
        owners: false,
        publisher: false,
        kinds: String::new(),
    };
    let mut groups: Vec<&str> = Vec::new();
    for (entity, _) in policy.entities.iter().zip(active).filter(|(_, a)| **a) {
        for m in &entity.matchers {
            out.owners |= m.kind.needs_owners();
            out.publisher |= m.kind.needs_publisher();
            let group = match m.kind {
                MatcherKind::CratesIoUsers
                | MatcherKind::CratesIoLogins
                | MatcherKind::CratesIoTeams => "crates-io-*",
                MatcherKind::Orgs => "orgs",
                MatcherKind::Repositories => "repositories",
                _ => continue,
            };
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    let order = ["crates-io-*", "orgs", "repositories"];
    groups.sort_by_key(|g| order.iter().position(|o| o == g));
    out.kinds = match groups.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.to_string(),
        None => String::new(),
    };
    out
}

/// What every package's evaluation reads.
struct Shared<'a> {
    graph: &'a Graph,
    facts: &'a [PackageFacts],
    policy: &'a Policy,
    opts: &'a Options,
    index: &'a Index<'a>,
    scope: Kinds,
    publisher_entities: &'a [&'a str],
    publisher_list: &'a str,
    publisher_matchers: &'a PublisherMatchers,
    finder: &'a PathFinder<'a>,
    /// Each package's `name@version`, made once: most packages are on many paths.
    specs: &'a [OnceLock<String>],
}

/// What the evaluation of some packages gave.
struct Part {
    findings: Vec<Finding>,
    /// Per exception, whether some finding used it.
    used: Vec<bool>,
    audited: usize,
}

/// Packages per unit of work handed to a thread.
const CHUNK: usize = 64;

impl Shared<'_> {
    /// Evaluates the packages, in chunks spread over the machine's cores; the parts
    /// come back in the order of `packages`, so the result is that of one thread.
    fn run(&self, packages: &[usize]) -> Vec<Part> {
        crate::parallel::map_chunks(packages, CHUNK, |chunk| self.part(chunk))
    }

    fn part(&self, packages: &[usize]) -> Part {
        let mut out = Part {
            findings: Vec::new(),
            used: vec![false; self.policy.exceptions.len()],
            audited: 0,
        };
        for &i in packages {
            self.package(i, &mut out);
        }
        out
    }

    /// Every finding of one package.
    fn package(&self, i: usize, out: &mut Part) {
        let Shared {
            graph,
            facts,
            policy,
            opts,
            index,
            scope,
            publisher_entities,
            publisher_list,
            publisher_matchers,
            finder,
            specs,
        } = *self;
        let pkg = &graph.packages[i];
        let Some(kinds) = opts.audited_kinds(graph, scope, i) else {
            return;
        };
        out.audited += 1;
        let f = &facts[i];
        let ctx = PackageCtx {
            graph,
            policy,
            index: i,
            kinds,
            scope,
        };
        let mut local = Vec::new();

        // restricted-entity / upcoming-restriction / not-affiliated
        let mut by_entity: Vec<(usize, Vec<Evidence>)> = Vec::new();
        for (e, ev) in index.hits(&pkg.name, &pkg.authors, f) {
            match by_entity.iter_mut().find(|(x, _)| *x == e) {
                Some((_, list)) => list.push(ev),
                None => by_entity.push((e, vec![ev])),
            }
        }
        for (e, mut evidence) in by_entity {
            let entity = &policy.entities[e];
            evidence.sort_by(|a, b| {
                parse_confidence(&b.confidence)
                    .cmp(&parse_confidence(&a.confidence))
                    .then_with(|| a.matcher.cmp(&b.matcher))
            });
            // A `[[not-affiliated]]` entry suppresses only the evidence it reviewed; the
            // rest still makes a finding, which names the entry.
            let reviews: Vec<&NotAffiliated> = policy
                .not_affiliated
                .iter()
                .filter(|n| {
                    n.entity == entity.id
                        && fold_crate_name(&n.crate_name) == fold_crate_name(&pkg.name)
                })
                .collect();
            let covered_by = |ev: &Evidence| {
                let kind = MatcherKind::from_key(&ev.matcher);
                let confidence = parse_confidence(&ev.confidence);
                reviews
                    .iter()
                    .find(|n| kind.is_some_and(|k| n.covers(k, confidence)))
                    .copied()
            };
            let (suppressed, evidence): (Vec<Evidence>, Vec<Evidence>) = evidence
                .into_iter()
                .partition(|ev| covered_by(ev).is_some());
            if let Some(na) = suppressed.first().and_then(covered_by) {
                let summary = evidence_summary(&suppressed);
                let message = format!(
                    "{} {} matches {} ({}), but the `[[not-affiliated]]` entry at {} says it is not affiliated: {} (match: {summary})",
                    pkg.name, pkg.version, entity.name, entity.id, na.location, na.reason
                );
                local.push(ctx.finding(
                    Code::NotAffiliated,
                    Severity::Info,
                    Some(entity),
                    suppressed,
                    message,
                ));
            }
            if evidence.is_empty() {
                continue;
            }
            let best = parse_confidence(&evidence[0].confidence);
            let mut summary = evidence_summary(&evidence);
            if let Some(na) = reviews.first() {
                summary.push_str(&format!(
                    " (not covered by the `[[not-affiliated]]` entry at {}, which reviewed {} only: this evidence needs a new review)",
                    na.location,
                    na.scope()
                ));
            }
            let mut sev = severity(entity, best, policy);
            let upcoming = entity.effective.is_some_and(|d| opts.today < d);
            let code = if upcoming {
                if sev == Severity::Deny {
                    sev = Severity::Warn;
                }
                Code::UpcomingRestriction
            } else {
                Code::RestrictedEntity
            };
            let when = match (upcoming, entity.effective) {
                (true, Some(d)) => format!(" (restriction effective {d})"),
                _ => String::new(),
            };
            let message = format!(
                "{} {} comes from restricted entity {} ({}){when}: {summary}",
                pkg.name, pkg.version, entity.name, entity.id
            );
            let mut finding = ctx.finding(code, sev, Some(entity), evidence, message);
            let candidates: Vec<usize> = (0..policy.exceptions.len())
                .filter(|&x| ctx.exception_applies(&policy.exceptions[x], &entity.id))
                .collect();
            if let Some(&x) = candidates
                .iter()
                .find(|&&x| opts.today < policy.exceptions[x].expires)
            {
                // Every exception that matched is used, an expired one beside the one
                // that waives included: it is stale (`policy check` says so), not unused.
                for &c in &candidates {
                    out.used[c] = true;
                }
                let exc = &policy.exceptions[x];
                finding.severity = Severity::Info;
                finding.message = format!(
                    "{} [waived until {} by the exception at {}: {}]",
                    finding.message, exc.expires, exc.location, exc.reason
                );
                finding.exception = Some(exception_ref(exc));
            } else {
                for &x in &candidates {
                    out.used[x] = true;
                    let exc = &policy.exceptions[x];
                    if let Some(sev) = level_severity(policy.settings.expired_exception) {
                        let message = format!(
                            "the exception for {} at {} expired on {}; the finding it covered ({} from {}) stands",
                            exc.crate_name,
                            exc.location,
                            exc.expires,
                            pkg.spec(),
                            entity.id
                        );
                        let mut f = ctx.finding(
                            Code::ExpiredException,
                            sev,
                            Some(entity),
                            Vec::new(),
                            message,
                        );
                        f.exception = Some(exception_ref(exc));
                        local.push(f);
                    }
                }
            }
            local.push(finding);
        }

        // missing-facts: a matcher that compares owners or the publisher cannot clear a
        // crates.io package whose owners or publisher are unknown.
        let owners_missing = f.owners.is_none() && publisher_matchers.owners;
        let publisher_missing = f.publisher.is_none() && publisher_matchers.publisher;
        if matches!(f.origin, Origin::CratesIo)
            && !publisher_entities.is_empty()
            && (owners_missing || publisher_missing)
            && let Some(sev) = level_severity(policy.settings.missing_facts)
        {
            let what = match (owners_missing, publisher_missing) {
                (true, true) => "crates.io owners and publisher",
                (true, false) => "crates.io owners",
                _ => "publisher",
            };
            let message = format!(
                "the {what} of {} {} are unknown, so the {} matchers of {} could not be evaluated",
                pkg.name, pkg.version, publisher_matchers.kinds, publisher_list
            );
            local.push(ctx.finding(Code::MissingFacts, sev, None, Vec::new(), message));
        }

        // origins
        let origins = &policy.origins;
        match &f.origin {
            Origin::CratesIo | Origin::Registry(_) => {
                let reg = f.registry.as_deref().unwrap_or("");
                let allowed = origins.allow_registries.iter().any(|a| {
                    if is_crates_io_name(a) {
                        matches!(f.origin, Origin::CratesIo)
                    } else {
                        registry_key(a) == registry_key(reg)
                    }
                });
                if let (false, Some(sev)) = (allowed, level_severity(origins.unknown_registry)) {
                    let ev = origin_evidence(
                        "allow-registries",
                        &origins.allow_registries,
                        "registry",
                        reg,
                    );
                    let message = format!(
                        "{} {} comes from registry {reg}, which `[origins] allow-registries` does not list",
                        pkg.name, pkg.version
                    );
                    local.push(ctx.finding(Code::UnapprovedRegistry, sev, None, vec![ev], message));
                }
            }
            Origin::Git { url, .. } => {
                let allowed = origins.allow_git.iter().any(|a| git_allowed(a, url));
                if let (false, Some(sev)) = (allowed, level_severity(origins.unknown_git)) {
                    let ev = origin_evidence("allow-git", &origins.allow_git, "git-source", url);
                    let message = format!(
                        "{} {} comes from git repository {url}, which `[origins] allow-git` does not list",
                        pkg.name, pkg.version
                    );
                    local.push(ctx.finding(Code::UnapprovedGit, sev, None, vec![ev], message));
                }
            }
            Origin::Path => {}
        }

        if !local.is_empty() {
            let (paths, path_kinds) = ctx.paths(finder, specs);
            for f in &mut local {
                f.paths = paths.clone();
                f.path_kinds = path_kinds.clone();
            }
            out.findings.extend(local);
        }
    }
}

/// The report's order (book: docs/src/finding-codes.md): severity, then code, then package name and version, then entity.
///
/// Each finding's version is parsed once, not at every comparison: the comparison is
/// the same, and a stable sort of the indices gives the same order as one of the items.
pub fn sort(findings: &mut [Finding]) {
    let versions: Vec<Option<semver::Version>> = findings
        .iter()
        .map(|f| {
            f.package
                .as_ref()
                .and_then(|p| semver::Version::parse(&p.version).ok())
        })
        .collect();
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&x, &y| {
        let (a, b) = (&findings[x], &findings[y]);
        fn name(f: &Finding) -> Option<&str> {
            f.package.as_ref().map(|p| p.name.as_str())
        }
        a.severity
            .cmp(&b.severity)
            .then_with(|| a.code.as_str().cmp(b.code.as_str()))
            .then_with(|| name(a).cmp(&name(b)))
            .then_with(|| versions[x].cmp(&versions[y]))
            .then_with(|| a.entity.cmp(&b.entity))
            .then_with(|| a.message.cmp(&b.message))
    });
    // dest[i]: where the finding now at i goes; swap each into place.
    let mut dest = vec![0; order.len()];
    for (k, &i) in order.iter().enumerate() {
        dest[i] = k;
    }
    for i in 0..dest.len() {
        while dest[i] != i {
            let d = dest[i];
            findings.swap(i, d);
            dest.swap(i, d);
        }
    }
}

fn evidence_summary(evidence: &[Evidence]) -> String {
    let first = &evidence[0];
    let more = match evidence.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    format!(
        "{} `{}` matches {} `{}`{more}",
        first.fact, first.value, first.matcher, first.pattern
    )
}

fn origin_evidence(key: &str, list: &[String], fact: &str, value: &str) -> Evidence {
    Evidence {
        matcher: key.to_string(),
        pattern: if list.is_empty() {
            "(empty)".to_string()
        } else {
            list.join(", ")
        },
        fact: fact.to_string(),
        value: value.to_string(),
        confidence: Confidence::High.as_str().to_string(),
        provenance: Provenance::CargoMetadata.as_str().to_string(),
        fetched: None,
        api_base: None,
        pattern_at: "[origins]".to_string(),
        note: None,
    }
}

/// `[origins] allow-git`: a `host/org` entry matches like `orgs`; an entry with a scheme is
/// a prefix of the normalized URL, ending at a `/` boundary.
pub fn git_allowed(entry: &str, url: &str) -> bool {
    let n = normalize(url);
    if entry.contains("://") {
        let prefix = normalize(entry).text;
        let text = n.text.to_ascii_lowercase();
        let prefix = prefix.to_ascii_lowercase();
        text == prefix || text.starts_with(&format!("{prefix}/"))
    } else {
        let (host, segs) = org_parts(entry);
        let have: Vec<String> = n.segments().map(str::to_ascii_lowercase).collect();
        n.host.as_deref() == Some(host.as_str())
            && segs.len() <= have.len()
            && segs.iter().zip(&have).all(|(a, b)| a == b)
    }
}

struct PackageCtx<'a> {
    graph: &'a Graph,
    policy: &'a Policy,
    index: usize,
    kinds: Kinds,
    scope: Kinds,
}

impl PackageCtx<'_> {
    fn finding(
        &self,
        code: Code,
        severity: Severity,
        entity: Option<&Entity>,
        evidence: Vec<Evidence>,
        message: String,
    ) -> Finding {
        let pkg = &self.graph.packages[self.index];
        Finding {
            code,
            severity,
            entity: entity.map(|e| e.id.clone()),
            package: Some(PackageRef {
                name: pkg.name.clone(),
                version: pkg.version.to_string(),
                id: pkg.id.clone(),
                source: pkg.source.clone(),
            }),
            kinds: self.kinds.iter().map(|k| k.as_str().to_string()).collect(),
            evidence,
            paths: Vec::new(),
            exception: None,
            message,
            entity_detail: entity.map(|e| entity_ref(e, self.policy)),
            path_kinds: Vec::new(),
        }
    }

    /// The paths as `name@version` lists; `specs` caches each package's text, as most
    /// packages are on the paths of many findings.
    fn paths(
        &self,
        finder: &PathFinder,
        specs: &[OnceLock<String>],
    ) -> (Vec<Vec<String>>, Vec<Vec<Option<String>>>) {
        let paths = finder.paths(self.index, self.scope, MAX_PATHS);
        let names = paths
            .iter()
            .map(|p| {
                p.iter()
                    .map(|s| {
                        specs[s.package]
                            .get_or_init(|| self.graph.packages[s.package].spec())
                            .clone()
                    })
                    .collect()
            })
            .collect();
        let kinds = paths
            .iter()
            .map(|p| {
                p.iter()
                    .map(|s| s.edge.map(|k| k.as_str().to_string()))
                    .collect()
            })
            .collect();
        (names, kinds)
    }

    fn exception_applies(&self, x: &Exception, entity: &str) -> bool {
        let pkg = &self.graph.packages[self.index];
        fold_crate_name(&x.crate_name) == fold_crate_name(&pkg.name)
            && x.version
                .as_ref()
                .is_none_or(|(_, req)| req.matches(&pkg.version))
            && x.entity.as_deref().is_none_or(|e| e == entity)
            && x.kinds.is_none_or(|k| self.kinds.is_subset(k))
            && (x.via.is_empty() || self.graph.reaches_via(self.index, &x.via))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_name_is_the_part_before_the_address() {
        assert_eq!(
            author_name("Alibaba Dragonball Team <x@example.org>"),
            Some("Alibaba Dragonball Team")
        );
        assert_eq!(author_name("  Baidu  "), Some("Baidu"));
        assert_eq!(author_name("lvillis<lvillis@outlook.com>"), Some("lvillis"));
        // A bare address has no name; nor has `<...>` alone.
        assert_eq!(author_name("team@example.org"), None);
        assert_eq!(author_name("<team@example.org>"), None);
        assert_eq!(author_name(""), None);
        // A name with an `@` and a space is still a name.
        assert_eq!(author_name("Team @ Example"), Some("Team @ Example"));
    }

    /// The indexed globs give what one `GlobSet` of every pattern gives, in its order.
    #[test]
    fn indexed_globs_match_as_one_glob_set() {
        let patterns = [
            "https://gitee.com/openharmony/*",
            "https://GITEE.com/openharmony/*",
            "https://gitee.com/*",
            "*",
            "vendor-*",
            "Vendor_x-*",
            "exact-name",
            "EXACT-name",
            "https://*.example.cn/*",
            "https://github.com/org/{a,b}*",
            "crate-?",
            "lit\\*eral*",
            "[ab]c*",
            "github:Huawei:*",
            "ünïcode-*",
            "",
            "http://*.example.cn/*",
            "*.EXAMPLE.cn/*",
            "https://*.ex?mple.cn/*",
            "x*yz*",
            "*-entity-*-core",
        ];
        let items: Vec<(String, Ref)> = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_string(), (i, 0)))
            .collect();
        let globs = Globs::build(items.clone());
        let (all, index) = glob_set(&items, 0..items.len());
        for text in [
            "https://gitee.com/openharmony/ylong",
            "https://gitee.com/OpenHarmony",
            "https://gitee.com/openharmony/",
            "vendor-a",
            "VENDOR-",
            "vendor_x-1",
            "exact-name",
            "Exact-Name",
            "exact-name2",
            "https://git.example.cn/a",
            "https://github.com/org/b1",
            "crate-1",
            "lit*eral-x",
            "bcd",
            "github:huawei:owners",
            "ÜNÏCODE-x",
            "ünïcode-y",
            "\u{212a}exact",
            "",
            "https://a.b.EXAMPLE.CN/x",
            "http://git.example.cn/",
            "https://example.cn/",
            "https://x.exbmple.cn/y",
            "xayz",
            "xyz",
            "acme-entity-7-core",
            "acme-entity--core",
        ] {
            let want: Vec<Ref> = all
                .matches(text)
                .into_iter()
                .map(|i| items[index[i]].1)
                .collect();
            let got: Vec<Ref> = globs.matches(text).collect();
            assert_eq!(got, want, "{text:?}");
        }
    }
}
