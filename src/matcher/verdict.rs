//! What a package's hits become: severity, not-affiliated reviews, upcoming restrictions,
//! exceptions (waived, expired, unused) and missing facts.

use super::finding::{PackageCtx, evidence_summary, exception_ref};
use super::{Part, Shared, origins};
use crate::crate_name::CrateName;
use crate::facts::Origin;
use crate::policy::{Confidence, Entity, EntitySeverity, Level, NotAffiliated, Policy};
use crate::report::{Code, Evidence, Severity};

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

pub(super) fn level_severity(level: Level) -> Option<Severity> {
    match level {
        Level::Deny => Some(Severity::Deny),
        Level::Warn => Some(Severity::Warn),
        Level::Allow => None,
    }
}

impl Shared<'_> {
    /// Every finding of one package.
    pub(super) fn package(&self, i: usize, out: &mut Part) {
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
                b.confidence
                    .cmp(&a.confidence)
                    .then_with(|| a.matcher.key().cmp(b.matcher.key()))
            });
            // A `[[not-affiliated]]` entry suppresses only the evidence it reviewed; the
            // rest still makes a finding, which names the entry.
            let reviews: Vec<&NotAffiliated> = policy
                .not_affiliated
                .iter()
                .filter(|n| {
                    n.entity == entity.id
                        && CrateName(n.crate_name.as_str()) == CrateName(pkg.name.as_str())
                })
                .collect();
            let covered_by = |ev: &Evidence| {
                let kind = ev.matcher.kind();
                reviews
                    .iter()
                    .find(|n| kind.is_some_and(|k| n.covers(k, ev.confidence)))
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
            let best = evidence[0].confidence;
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

        origins::check(&ctx, f, &mut local);

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
