//! `cargo vendor-audit explain CRATE[@VERSION]`: why a package is in the graph and why it is
//! (or is not) flagged: every fact with its source, every path, every entity tried.

use std::io::Write;

use crate::Error;
use crate::pipeline::{self, Loaded};
use clap::Args;

use crate::args::GraphArgs;
use crate::crate_name::CrateName;
use crate::facts::text::{origin_text, owner_text, publisher_text};
use crate::facts::url::host_within;
use crate::facts::{self, PackageFacts};
use crate::matcher;
use crate::policy::{Entity, MatcherKind};
use crate::report::human::clean;
use crate::report::{Code, Finding, Severity};

/// How many paths explain prints at most.
pub const MAX_PATHS: usize = 20;
/// Steps shown at each end of a longer path.
pub const PATH_END: usize = 16;

/// The options of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The package: NAME or NAME@VERSION
    #[arg(value_name = "CRATE[@VERSION]")]
    pub spec: String,
    /// The options that choose the graph, the policy and the fact sources.
    #[command(flatten)]
    pub graph: GraphArgs,
}

/// Runs `explain`: prints the facts, the paths and the verdict for one package; fails when the package is not in the graph.
pub fn run(args: &ExplainArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let loaded = pipeline::load(&args.graph)?;
    let (name, version) = match args.spec.split_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (args.spec.as_str(), None),
    };
    let graph = &loaded.graph;
    let wanted: Vec<usize> = (0..graph.packages.len())
        .filter(|&i| CrateName(graph.packages[i].name.as_str()) == CrateName(name))
        .filter(|&i| version.is_none_or(|v| graph.packages[i].version.to_string() == v))
        .collect();
    if wanted.is_empty() {
        let close: Vec<&str> = graph
            .names()
            .into_iter()
            .filter(|n| CrateName(*n).contains(&CrateName(name)))
            .take(5)
            .collect();
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!(" (similar: {})", close.join(", "))
        };
        return Err(Error::Usage(format!(
            "package `{}` is not in the dependency graph{hint}; `cargo vendor-audit list` shows every package",
            args.spec
        )));
    }
    // Owners and publishers are asked only about the crate explained.
    let (facts, degraded) = pipeline::gather_facts_with(
        &loaded,
        &args.graph,
        pipeline::mode(&args.graph),
        Some(&wanted),
        false,
    )?;
    let opts = pipeline::options(&loaded, &args.graph);
    let mut outcome = matcher::evaluate(graph, &facts, &loaded.policy, &opts);
    pipeline::name_api_base(&mut outcome.findings, &args.graph);
    let api_base = api_base(&args.graph);
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
        explain_one(
            &loaded,
            &facts[i],
            i,
            &outcome.findings,
            api_base,
            &mut text,
        )
        .map_err(|source| Error::Write {
            doing: "write",
            source,
        })?;
    }
    pipeline::write_output(None, &text, out)?;
    Ok(0)
}

/// The `--crates-io-api` base when it is not crates.io.
fn api_base(args: &GraphArgs) -> Option<&str> {
    let base = args.crates_io_api.trim_end_matches('/');
    (!base.eq_ignore_ascii_case(facts::api::DEFAULT_BASE_URL)).then_some(base)
}

/// Where a fact came from and when, naming the API base that answered when it is not
/// crates.io.
fn origin_of<T>(fact: &facts::Sourced<T>, api_base: Option<&str>) -> String {
    match api_base {
        Some(base) if fact.provenance == facts::Provenance::CratesIoApi => {
            clean(&fact.origin_note().replacen(
                fact.provenance.as_str(),
                &format!("{} at {base}", fact.provenance),
                1,
            ))
        }
        _ => clean(&fact.origin_note()),
    }
}

fn explain_one(
    loaded: &Loaded,
    f: &PackageFacts,
    i: usize,
    findings: &[Finding],
    api_base: Option<&str>,
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
            let list = if list.is_empty() {
                "none".to_string()
            } else {
                clean(&list.join(", "))
            };
            writeln!(
                out,
                "  crates.io owners: {list} [{}]",
                origin_of(o, api_base)
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
                origin_of(pb, api_base)
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
        let step = |s: &crate::graph::Step| {
            let spec = graph.packages[s.package].spec();
            match s.edge {
                Some(k) if k != crate::graph::DepKind::Normal => format!("({k}) {spec}"),
                _ => spec,
            }
        };
        // A long chain keeps its two ends: where it starts and what leads to the package.
        let steps: Vec<String> = if path.len() > 2 * PATH_END {
            let left_out = path.len() - 2 * PATH_END;
            path[..PATH_END]
                .iter()
                .map(step)
                .chain(std::iter::once(format!("... {left_out} more ...")))
                .chain(path[path.len() - PATH_END..].iter().map(step))
                .collect()
        } else {
            path.iter().map(step).collect()
        };
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
            // Evidence a `[[not-affiliated]]` entry reviewed is shown as suppressed; the
            // rest is a match, even when an entry exists.
            let label = if h.code == Code::NotAffiliated {
                "suppressed"
            } else {
                "match"
            };
            for ev in &h.evidence {
                writeln!(
                    out,
                    "      {label}: {} `{}` ~ {} `{}` [{}, {}]",
                    ev.fact,
                    clean(&ev.value),
                    ev.matcher,
                    clean(&ev.pattern),
                    ev.confidence.as_str(),
                    ev.provenance
                )?;
            }
        }
        // A fact that matched the entity is a match, not also a near miss.
        let matched: Vec<&str> = hits
            .iter()
            .flat_map(|h| &h.evidence)
            .map(|ev| ev.value.as_str())
            .collect();
        for near in near_misses(e, &p.name, f, &matched) {
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
    let Some(h) = hits
        .iter()
        .find(|h| matches!(h.code, Code::RestrictedEntity | Code::UpcomingRestriction))
        .or_else(|| hits.iter().find(|h| h.code == Code::NotAffiliated))
    else {
        return "no match".to_string();
    };
    let partly =
        if h.code != Code::NotAffiliated && hits.iter().any(|x| x.code == Code::NotAffiliated) {
            "; part of the evidence suppressed by [[not-affiliated]], the rest not reviewed by it"
        } else {
            ""
        };
    let status = match (&h.code, &h.exception) {
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
    };
    format!("{status}{partly}")
}

/// Facts that come close to an entity's patterns without matching: the same org on another
/// host, a look-alike domain, the entity's name in a crate name or URL. Facts whose value is
/// in `matched` (they matched one of the entity's patterns) are left out.
pub fn near_misses(
    e: &Entity,
    crate_name: &str,
    f: &PackageFacts,
    matched: &[&str],
) -> Vec<String> {
    let is_matched = |value: &str| matched.contains(&value);
    let mut out = Vec::new();
    for m in &e.matchers {
        let pattern = m.value.to_string();
        match m.kind {
            MatcherKind::Orgs => {
                let mut parts = pattern.split('/');
                let host = parts.next().unwrap_or("").to_ascii_lowercase();
                let org: Vec<String> = parts.map(str::to_ascii_lowercase).collect();
                for u in f.urls.iter().filter(|u| !is_matched(&u.raw)) {
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
                // Each domain with the fact it comes from (an author entry, a URL).
                let domains = f
                    .emails
                    .iter()
                    .map(|e| (e.domain.clone(), e.author.as_str()))
                    .chain(
                        f.urls
                            .iter()
                            .filter_map(|u| u.host.clone().map(|h| (h, u.raw.as_str()))),
                    )
                    .filter(|(_, from)| !is_matched(from));
                for (d, _) in domains {
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
    let folded = CrateName(crate_name);
    let aliases = std::iter::once(&e.name)
        .chain(&e.aliases)
        .filter(|_| !is_matched(crate_name));
    for alias in aliases {
        let word = alias.split_whitespace().next().unwrap_or("");
        let a = CrateName(word);
        if a.as_str().len() >= 3 && folded.contains(&a) {
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
