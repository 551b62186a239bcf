//! The matcher: graph + facts + policy -> findings. A pure function; no I/O.
//!
//! Patterns are indexed once per policy (hash maps on normalized keys, compiled glob
//! sets), so each package costs a few lookups whatever the size of the policy.

mod finding;
mod index;
mod origins;
mod verdict;

use std::sync::OnceLock;

use crate::date::Date;
use crate::facts::PackageFacts;
use crate::graph::{DepKind, Graph, Kinds, PathFinder};
use crate::policy::{MatcherKind, Policy};
use crate::report::{Code, Finding};
use verdict::level_severity;

pub use finding::{entity_ref, exception_ref, sort};
pub use index::{Index, author_name, trusted_publisher_url};
pub use origins::git_allowed;
pub use verdict::severity;

/// How many entities a missing-facts message names before it gives a count.
pub const MISSING_FACTS_ENTITIES_NAMED: usize = 5;

/// How many paths a finding carries at most.
pub const MAX_PATHS: usize = 5;

/// Settings of one evaluation that do not come from the policy.
#[derive(Clone, Debug)]
pub struct Options {
    /// The date against which `effective` and `expires` are compared (`--today`, else today UTC).
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
    /// Every finding of the evaluation.
    pub findings: Vec<Finding>,
    /// How many packages were audited (reached in scope, first-party ones left out unless asked for).
    pub audited: usize,
}

/// (entity index, matcher index within the entity).
type Ref = (usize, usize);

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
}
