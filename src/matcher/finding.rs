//! Finding assembly: the package, entity and exception a finding names, its paths, and
//! the report's order.

use std::sync::OnceLock;

use super::MAX_PATHS;
use crate::crate_name::CrateName;
use crate::graph::{Graph, Kinds, PathFinder};
use crate::policy::{Entity, Exception, Policy};
use crate::report::{
    CitationRef, Code, EntityRef, Evidence, ExceptionRef, Finding, PackageRef, PolicyLocation,
    Severity,
};

/// The report's view of a policy exception, with where the policy file declares it.
pub fn exception_ref(x: &Exception) -> ExceptionRef {
    ExceptionRef {
        crate_name: x.crate_name.clone(),
        version: x.version.as_ref().map(|(text, _)| text.clone()),
        entity: x.entity.clone(),
        expires: x.expires.to_string(),
        reason: x.reason.clone(),
        at: PolicyLocation::from(&x.location),
        approved_by: x.approved_by.clone(),
        ticket: x.ticket.clone(),
    }
}

/// The report's view of an entity, with the policy's citations it names and where it is declared.
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
        at: PolicyLocation::from(&entity.location),
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

pub(super) fn evidence_summary(evidence: &[Evidence]) -> String {
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

pub(super) struct PackageCtx<'a> {
    pub(super) graph: &'a Graph,
    pub(super) policy: &'a Policy,
    pub(super) index: usize,
    pub(super) kinds: Kinds,
    pub(super) scope: Kinds,
}

impl PackageCtx<'_> {
    pub(super) fn finding(
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
    pub(super) fn paths(
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

    pub(super) fn exception_applies(&self, x: &Exception, entity: &str) -> bool {
        let pkg = &self.graph.packages[self.index];
        CrateName(x.crate_name.as_str()) == CrateName(pkg.name.as_str())
            && x.version
                .as_ref()
                .is_none_or(|(_, req)| req.matches(&pkg.version))
            && x.entity.as_deref().is_none_or(|e| e == entity)
            && x.kinds.is_none_or(|k| self.kinds.is_subset(k))
            && (x.via.is_empty() || self.graph.reaches_via(self.index, &x.via))
    }
}
