//! The inventory: one entry per reached package, with its facts and what the audit found
//! about it. `list` and the CycloneDX SBOM both read the audit through it, so the two
//! cannot disagree on which package a finding belongs to or what its verdict is.

use std::collections::{BTreeSet, HashMap};

use super::{Code, Finding, Severity};
use crate::facts::PackageFacts;
use crate::graph::{Graph, Package};

/// One reached package of the graph.
pub struct Component<'a> {
    /// The package's index in [`Graph::packages`] (and in the facts).
    pub index: usize,
    /// The package as the graph holds it.
    pub package: &'a Package,
    /// What the fact sources told about it.
    pub facts: &'a PackageFacts,
    /// The findings about this package, in the order the audit gave them.
    pub findings: Vec<&'a Finding>,
}

impl Component<'_> {
    /// The most severe finding's severity; `None` when nothing was found.
    pub fn severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }

    /// The codes of the findings, each once, in code order.
    pub fn codes(&self) -> BTreeSet<&str> {
        self.findings.iter().map(|f| f.code.as_str()).collect()
    }

    /// The entities any finding names, each once, in id order.
    pub fn entities(&self) -> BTreeSet<&str> {
        self.findings
            .iter()
            .filter_map(|f| f.entity.as_deref())
            .collect()
    }

    /// The entities the package matches: those of `restricted-entity` and
    /// `upcoming-restriction` findings, waived ones included, in finding order, each once.
    pub fn matched_entities(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for f in &self.findings {
            if let (Some(e), Code::RestrictedEntity | Code::UpcomingRestriction) =
                (&f.entity, f.code)
                && !out.contains(&e.as_str())
            {
                out.push(e);
            }
        }
        out
    }
}

/// The reached packages of `graph` in graph order, each with its `facts` (indexed like the
/// graph's packages) and the `findings` that name it.
pub fn inventory<'a>(
    graph: &'a Graph,
    facts: &'a [PackageFacts],
    findings: &'a [Finding],
) -> Vec<Component<'a>> {
    let mut by_id: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in findings {
        if let Some(p) = &f.package {
            by_id.entry(p.id.as_str()).or_default().push(f);
        }
    }
    graph
        .reached()
        .map(|i| {
            let package = &graph.packages[i];
            Component {
                index: i,
                package,
                facts: &facts[i],
                findings: by_id.remove(package.id.as_str()).unwrap_or_default(),
            }
        })
        .collect()
}
