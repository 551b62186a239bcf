//! The policy's patterns indexed by the fact they compare, and the hits of one package.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::Ref;
use crate::crate_name::CrateName;
use crate::date::Date;
use crate::facts::url::{host_within, normalize};
use crate::facts::{Fact, Origin, Owner, PackageFacts, Provenance, Publisher};
use crate::pattern::{Shape, shape};
use crate::policy::{MatchValue, Matcher, MatcherKind, Policy};
use crate::report::{Evidence, MatcherKey, PolicyLocation};

/// The policy's matchers, indexed for lookup by fact.
pub struct Index<'p> {
    pub(super) policy: &'p Policy,
    pub(super) active: Vec<bool>,
    pub(super) users: HashMap<u64, Vec<Ref>>,
    pub(super) logins: HashMap<String, Vec<Ref>>,
    pub(super) teams: Globs,
    pub(super) orgs: HashMap<String, OrgIndex>,
    pub(super) hosts: HashMap<String, Vec<Ref>>,
    pub(super) registries: HashMap<String, Vec<Ref>>,
    pub(super) crates_io_registry: Vec<Ref>,
    pub(super) repositories: Globs,
    pub(super) email_domains: HashMap<String, Vec<Ref>>,
    pub(super) copyright: Vec<(String, Ref)>,
    /// `author-names`, lowercased.
    pub(super) author_names: Vec<(String, Ref)>,
    pub(super) crates: Globs,
}

/// The `orgs` entries of one host, by their first path segment (`github.com/ORG`).
#[derive(Default)]
pub(super) struct OrgIndex {
    /// Entries that name the host alone.
    pub(super) any: Vec<(Vec<String>, Ref)>,
    pub(super) by_first: HashMap<String, Vec<(Vec<String>, Ref)>>,
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
pub(super) struct Globs {
    /// Every pattern, as written, with its entity and matcher.
    pub(super) patterns: Vec<(String, Ref)>,
    /// Lowercased literal -> pattern indices.
    pub(super) exact: HashMap<String, Vec<usize>>,
    /// Lowercased prefix before the trailing `*` -> pattern indices.
    pub(super) prefixes: HashMap<String, Vec<usize>>,
    /// The distinct lengths of the keys of `prefixes`, in bytes.
    pub(super) prefix_lens: Vec<usize>,
    /// The lowercased required runs of the other globs; automaton pattern `k` is
    /// `runs[k]`, and is required by the patterns `run_owners[k]`.
    pub(super) runs: Option<AhoCorasick>,
    pub(super) run_owners: Vec<Vec<usize>>,
    /// Per pattern index, its glob, compiled on first need (`None`: does not compile).
    pub(super) lazy: HashMap<usize, std::sync::OnceLock<Option<globset::GlobMatcher>>>,
    /// The globs without a required run, and the pattern index of each.
    pub(super) set: GlobSet,
    pub(super) set_index: Vec<usize>,
    /// Every pattern that compiles, for texts that are not ASCII.
    pub(super) all: std::sync::OnceLock<(GlobSet, Vec<usize>)>,
}

/// The longest literal run of at least 3 bytes that every text a glob matches must
/// contain, lowercased; `None` when the glob has none or has syntax (classes,
/// alternatives, escapes) this does not read.
pub(super) fn required_run(pattern: &str) -> Option<String> {
    if !pattern.is_ascii() || pattern.contains(['[', ']', '{', '}', '\\']) {
        return None;
    }
    pattern
        .split(['*', '?'])
        .max_by_key(|run| run.len())
        .filter(|run| run.len() >= 3)
        .map(str::to_ascii_lowercase)
}

pub(super) fn compile(pattern: &str) -> Option<globset::Glob> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .ok()
}

/// A `GlobSet` of `patterns[i]` for each `i` of `which` that compiles (the policy stage
/// has validated every glob; one that still fails is skipped), and the index of each.
pub(super) fn glob_set(
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
    pub(super) fn build(patterns: Vec<(String, Ref)>) -> Globs {
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

    pub(super) fn matches(&self, text: &str) -> impl Iterator<Item = Ref> + '_ {
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
pub(super) fn registry_key(url: &str) -> String {
    url.trim().trim_end_matches('/').to_ascii_lowercase()
}

pub(super) fn is_crates_io_name(s: &str) -> bool {
    s.eq_ignore_ascii_case("crates-io") || crate::facts::metadata::is_crates_io_source(s)
}

/// `host/org/sub` split into a lowercase host and lowercase segments.
pub(super) fn org_parts(entry: &str) -> (String, Vec<String>) {
    let mut parts = entry.trim_matches('/').split('/').filter(|s| !s.is_empty());
    let host = parts.next().unwrap_or("").to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (host, parts.map(|s| s.to_ascii_lowercase()).collect())
}

impl<'p> Index<'p> {
    /// Indexes the matchers of every entity of `policy`, noting which are in force on `today`.
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
                    (MatcherKind::Crates, _) => crates.push((CrateName(&text).pattern_form(), r)),
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

    pub(super) fn matcher(&self, r: Ref) -> &'p Matcher {
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
                    out.push(r, Fact::Registry, reg, meta.clone());
                }
            } else {
                for &r in self
                    .registries
                    .get(&registry_key(reg))
                    .into_iter()
                    .flatten()
                {
                    out.push(r, Fact::Registry, reg, meta.clone());
                }
                let bare = reg.split_once('+').map_or(reg.as_str(), |(_, u)| u);
                if let Some(host) = normalize(bare).host {
                    out.hosts(&host, Fact::Registry, reg, meta.clone());
                }
            }
        }
        for email in &facts.emails {
            let mut domain = email.domain.as_str();
            loop {
                for &r in self.email_domains.get(domain).into_iter().flatten() {
                    out.push(r, Fact::AuthorEmail, &email.author, meta.clone());
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
                        out.push(*r, Fact::Author, author, meta.clone());
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
                        out.user(*id, login, Fact::Owner, &shown, prov.clone());
                    }
                    Owner::Team { login, .. } => {
                        for r in self.teams.matches(login) {
                            out.push(r, Fact::Owner, login, prov.clone());
                        }
                        // A team `github:ORG:team` belongs to the org `github.com/ORG`.
                        let mut parts = login.splitn(3, ':');
                        if let (Some("github"), Some(org)) = (parts.next(), parts.next()) {
                            let segs = [org.to_ascii_lowercase()];
                            out.orgs("github.com", &segs, Fact::Owner, login, prov.clone());
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
                    out.user(*id, login, Fact::Publisher, &shown, prov);
                }
                Some(Publisher::Trusted(tp)) => {
                    if let Some(url) = trusted_publisher_url(tp) {
                        let n = normalize(&url);
                        let segs: Vec<String> = n.segments().map(str::to_ascii_lowercase).collect();
                        if let Some(host) = &n.host {
                            out.orgs(host, &segs, Fact::Publisher, tp, prov.clone());
                        }
                        for r in self.repositories.matches(&n.text) {
                            out.push(r, Fact::Publisher, tp, prov.clone());
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
                        out.push(
                            *r,
                            Fact::Copyright,
                            &shown,
                            (Provenance::CrateSources, None),
                        );
                    }
                }
            }
        }
        for r in self.crates.matches(&CrateName(name).pattern_form()) {
            out.push(r, Fact::Name, name, meta.clone());
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

pub(super) struct Hits<'a, 'p> {
    pub(super) index: &'a Index<'p>,
    pub(super) hits: Vec<(usize, Evidence)>,
}

impl Hits<'_, '_> {
    pub(super) fn push(
        &mut self,
        r: Ref,
        fact: Fact,
        value: &str,
        prov: (Provenance, Option<String>),
    ) {
        if !self.index.active[r.0] {
            return;
        }
        let m = self.index.matcher(r);
        let evidence = Evidence {
            matcher: MatcherKey::Entity(m.kind),
            pattern: m.value.to_string(),
            fact,
            value: value.to_string(),
            confidence: m.confidence,
            provenance: prov.0,
            fetched: prov.1,
            api_base: None,
            pattern_at: PolicyLocation::from(&m.location),
            note: m.note.clone(),
        };
        if !self.hits.iter().any(|(e, ev)| *e == r.0 && *ev == evidence) {
            self.hits.push((r.0, evidence));
        }
    }

    pub(super) fn orgs(
        &mut self,
        host: &str,
        segs: &[String],
        fact: Fact,
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

    pub(super) fn hosts(
        &mut self,
        host: &str,
        fact: Fact,
        value: &str,
        prov: (Provenance, Option<String>),
    ) {
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

    pub(super) fn user(
        &mut self,
        id: u64,
        login: &str,
        fact: Fact,
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
