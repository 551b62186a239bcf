//! `cargo vendor-audit explain CRATE[@VERSION]`: why a package is in the graph and why it is
//! (or is not) flagged: every fact with its source, every path, every entity tried.

use std::io::Write;

use crate::Failure;
use crate::check::{self, Loaded};
use crate::cli::ExplainArgs;
use crate::facts::url::host_within;
use crate::facts::{self, PackageFacts};
use crate::graph::fold_crate_name;
use crate::list::{origin_text, owner_text, publisher_text};
use crate::matcher;
use crate::policy::{Entity, MatcherKind};
use crate::report::human::clean;
use crate::report::{Code, Finding, Severity};

/// How many paths explain prints at most.
pub const MAX_PATHS: usize = 20;

pub fn run(args: &ExplainArgs, out: &mut dyn Write) -> Result<u8, Failure> {
    let loaded = check::load(&args.graph)?;
    let (name, version) = match args.spec.split_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (args.spec.as_str(), None),
    };
    let graph = &loaded.graph;
    let wanted: Vec<usize> = (0..graph.packages.len())
        .filter(|&i| fold_crate_name(&graph.packages[i].name) == fold_crate_name(name))
        .filter(|&i| version.is_none_or(|v| graph.packages[i].version.to_string() == v))
        .collect();
    if wanted.is_empty() {
        let close: Vec<&str> = graph
            .names()
            .into_iter()
            .filter(|n| fold_crate_name(n).contains(&fold_crate_name(name)))
            .take(5)
            .collect();
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!(" (similar: {})", close.join(", "))
        };
        return Err(Failure::new(format!(
            "package `{}` is not in the dependency graph{hint}; `cargo vendor-audit list` shows every package",
            args.spec
        )));
    }
    let (facts, degraded) = check::gather_facts(&loaded, &args.graph, check::mode(&args.graph))?;
    let opts = check::options(&loaded, &args.graph);
    let outcome = matcher::evaluate(graph, &facts, &loaded.policy, &opts);
    let mut text = Vec::new();
    for d in &degraded {
        writeln!(
            text,
            "warning: fact source `{}` degraded: {}",
            d.source,
            clean(&d.message)
        )
        .ok();
    }
    for (n, &i) in wanted.iter().enumerate() {
        if n > 0 {
            writeln!(text).ok();
        }
        explain_one(&loaded, &facts[i], i, &outcome.findings, &mut text)
            .map_err(|e| Failure::new(format!("could not write: {e}")))?;
    }
    check::write_output(None, &text, out)?;
    Ok(0)
}

fn explain_one(
    loaded: &Loaded,
    f: &PackageFacts,
    i: usize,
    findings: &[Finding],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let graph = &loaded.graph;
    let p = &graph.packages[i];
    writeln!(out, "{} {}", clean(&p.name), p.version)?;
    writeln!(out, "  id: {}", clean(&p.id))?;
    let kinds: Vec<&str> = graph.kinds[i].iter().map(|k| k.as_str()).collect();
    if kinds.is_empty() {
        writeln!(
            out,
            "  not reached from the roots: cargo would not build it (weak feature, target, or --exclude-dev)"
        )?;
    } else {
        writeln!(out, "  reached as: {}", kinds.join(", "))?;
    }
    if p.workspace_member {
        writeln!(
            out,
            "  a workspace member: first-party, audited only with --include-workspace"
        )?;
    }

    writeln!(out, "facts:")?;
    writeln!(out, "  origin: {} [cargo-metadata]", clean(&origin_text(f)))?;
    for u in &f.urls {
        let norm = if u.normalized != u.raw {
            format!(" (normalized {})", clean(&u.normalized))
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {}: {}{norm} [{}]",
            u.field,
            clean(&u.raw),
            u.provenance
        )?;
    }
    if f.urls.is_empty() {
        writeln!(out, "  repository, homepage: none given")?;
    }
    for e in &f.emails {
        writeln!(
            out,
            "  author email domain: {} (from `{}`) [cargo-metadata]",
            e.domain,
            clean(&e.author)
        )?;
    }
    match &f.owners {
        Some(o) => {
            let list: Vec<String> = o.value.iter().map(owner_text).collect();
            let list = clean(&list.join(", "));
            writeln!(
                out,
                "  crates.io owners: {list} [{}]",
                clean(&o.origin_note())
            )?;
        }
        None if matches!(f.origin, facts::Origin::CratesIo) => {
            writeln!(out, "  crates.io owners: unknown (no facts source)")?
        }
        None => writeln!(
            out,
            "  crates.io owners: not applicable (not a crates.io package)"
        )?,
    }
    match &f.publisher {
        Some(pb) => {
            let who = publisher_text(&pb.value);
            let who = if who.is_empty() {
                "none recorded".to_string()
            } else {
                who
            };
            writeln!(
                out,
                "  publisher of {}: {} [{}]",
                p.version,
                clean(&who),
                clean(&pb.origin_note())
            )?;
        }
        None if matches!(f.origin, facts::Origin::CratesIo) => {
            writeln!(out, "  publisher: unknown (no facts source)")?
        }
        None => {}
    }
    match &f.copyright {
        None => writeln!(out, "  copyright lines: not scanned (pass --scan-sources)")?,
        Some(lines) if lines.is_empty() => {
            writeln!(out, "  copyright lines: none found [crate-sources]")?
        }
        Some(lines) => {
            for l in lines {
                writeln!(
                    out,
                    "  copyright: {} ({}) [crate-sources]",
                    clean(&l.line),
                    clean(&l.file)
                )?;
            }
        }
    }

    let paths = graph.paths(i, crate::graph::Kinds::ALL, MAX_PATHS);
    writeln!(
        out,
        "paths from the roots ({} shown, shortest first):",
        paths.len()
    )?;
    for path in &paths {
        let steps: Vec<String> = path
            .iter()
            .map(|s| {
                let spec = graph.packages[s.package].spec();
                match s.edge {
                    Some(k) if k != crate::graph::DepKind::Normal => format!("({k}) {spec}"),
                    _ => spec,
                }
            })
            .collect();
        writeln!(out, "  {}", clean(&steps.join(" -> ")))?;
    }

    let mine: Vec<&Finding> = findings
        .iter()
        .filter(|x| x.package.as_ref().is_some_and(|fp| fp.id == p.id))
        .collect();
    writeln!(out, "entities ({}):", loaded.policy.entities.len())?;
    for e in &loaded.policy.entities {
        let hits: Vec<&&Finding> = mine
            .iter()
            .filter(|x| x.entity.as_deref() == Some(&e.id))
            .collect();
        let status = entity_status(e, &hits, loaded);
        writeln!(out, "  {} ({}): {status}", e.id, clean(&e.name))?;
        for h in &hits {
            for ev in &h.evidence {
                writeln!(
                    out,
                    "      match: {} `{}` ~ {} `{}` [{}, {}]",
                    ev.fact,
                    clean(&ev.value),
                    ev.matcher,
                    clean(&ev.pattern),
                    ev.confidence,
                    ev.provenance
                )?;
            }
        }
        for near in near_misses(e, &p.name, f) {
            writeln!(out, "      near miss: {}", clean(&near))?;
        }
    }

    let verdict = mine
        .iter()
        .filter(|x| x.severity != Severity::Info)
        .map(|x| x.severity)
        .min();
    match verdict {
        Some(s) => {
            writeln!(out, "verdict: {}", s.as_str())?;
            for x in mine.iter().filter(|x| x.severity == s) {
                writeln!(
                    out,
                    "  {}[{}]: {}",
                    s.as_str(),
                    x.code.as_str(),
                    clean(&x.message)
                )?;
            }
        }
        None if kinds.is_empty() => writeln!(out, "verdict: not audited (not reached)")?,
        None => writeln!(out, "verdict: clean")?,
    }
    Ok(())
}

fn entity_status(e: &Entity, hits: &[&&Finding], loaded: &Loaded) -> String {
    if e.expires.is_some_and(|d| loaded.today >= d) {
        return format!("expired on {}, no longer matches", e.expires.unwrap());
    }
    let Some(h) = hits.iter().find(|h| {
        matches!(
            h.code,
            Code::RestrictedEntity | Code::UpcomingRestriction | Code::NotAffiliated
        )
    }) else {
        return "no match".to_string();
    };
    match (&h.code, &h.exception) {
        (Code::NotAffiliated, _) => "match suppressed by [[not-affiliated]]".to_string(),
        (_, Some(x)) => format!(
            "match, waived by the exception at {} until {}",
            x.at, x.expires
        ),
        (Code::UpcomingRestriction, _) => format!(
            "match ({}), restriction not yet effective",
            h.severity.as_str()
        ),
        _ => format!("match ({})", h.severity.as_str()),
    }
}

/// Facts that come close to an entity's patterns without matching: the same org on another
/// host, a look-alike domain, the entity's name in a crate name or URL.
pub fn near_misses(e: &Entity, crate_name: &str, f: &PackageFacts) -> Vec<String> {
    let mut out = Vec::new();
    for m in &e.matchers {
        let pattern = m.value.to_string();
        match m.kind {
            MatcherKind::Orgs => {
                let mut parts = pattern.split('/');
                let host = parts.next().unwrap_or("").to_ascii_lowercase();
                let org: Vec<String> = parts.map(str::to_ascii_lowercase).collect();
                for u in &f.urls {
                    let segs = &u.segments;
                    let same_org =
                        !org.is_empty() && segs.len() >= org.len() && segs[..org.len()] == org[..];
                    if same_org && u.host.as_deref() != Some(host.as_str()) {
                        out.push(format!(
                            "{} `{}` is under the same org on another host than orgs `{pattern}`",
                            u.field, u.raw
                        ));
                    }
                }
            }
            MatcherKind::EmailDomains | MatcherKind::Hosts => {
                let label = pattern.split('.').next().unwrap_or("").to_ascii_lowercase();
                let domains = f
                    .emails
                    .iter()
                    .map(|e| e.domain.clone())
                    .chain(f.urls.iter().filter_map(|u| u.host.clone()));
                for d in domains {
                    if label.len() >= 4
                        && d.contains(&label)
                        && !host_within(&d, &pattern.to_ascii_lowercase())
                    {
                        out.push(format!(
                            "domain `{d}` looks like {} `{pattern}` but is not it",
                            m.kind
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    let folded = fold_crate_name(crate_name);
    for alias in std::iter::once(&e.name).chain(&e.aliases) {
        let word = alias.split_whitespace().next().unwrap_or("");
        let a = fold_crate_name(word);
        if a.len() >= 3 && folded.contains(&a) {
            out.push(format!(
                "the crate name `{crate_name}` contains `{word}` (from `{alias}`); a name alone is not provenance"
            ));
            break;
        }
    }
    out.sort();
    out.dedup();
    out
}
