//! The human report: cargo-like, one block per finding, an inverse path tree, a summary.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{Code, EntityRef, FailOn, Finding, Report, Severity};

/// Citations shown per finding without `-v`.
pub const CITATIONS_SHOWN: usize = 3;

/// How much to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// Only the summary line.
    Quiet,
    /// `deny` and `warn` findings; `missing-facts` folded into one line.
    Normal,
    /// Everything, `info` findings and fact provenance included.
    Verbose,
}

/// ANSI styling, or none.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Whether to write ANSI colour codes.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Deny => self.paint("1;31", "error"),
            Severity::Warn => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;36", "info"),
        }
    }
    fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
    fn blue(&self, t: &str) -> String {
        self.paint("1;34", t)
    }
}

pub use crate::text::clean;

/// Levels of the inverse tree drawn above the package; a longer path ends in a line that
/// says how many levels are left out (`--format json` has every path in full).
pub const TREE_DEPTH: usize = 32;

/// Writes the whole human report, for the default `--fail-on deny`.
pub fn render(
    report: &Report,
    verbosity: Verbosity,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_with(report, verbosity, style, FailOn::Deny, out)
}

/// Writes the whole human report; the summary's verdict follows `fail_on`.
pub fn render_with(
    report: &Report,
    verbosity: Verbosity,
    style: Style,
    fail_on: FailOn,
    out: &mut dyn Write,
) -> io::Result<()> {
    if verbosity != Verbosity::Quiet {
        if report.default_policy {
            writeln!(
                out,
                "{}: no policy given or found, using builtin:us-federal (write vendor-audit.toml or pass --policy)",
                style.blue("note")
            )?;
        }
        degraded(report, verbosity, style, out)?;
        let mut folded: Vec<&Finding> = Vec::new();
        // Entities whose reason and citations were printed: later findings refer to them.
        let mut shown: Vec<&EntityRef> = Vec::new();
        for f in &report.findings {
            if f.severity == Severity::Info && verbosity != Verbosity::Verbose {
                continue;
            }
            if f.code == Code::MissingFacts && verbosity != Verbosity::Verbose {
                folded.push(f);
                continue;
            }
            let first = match &f.entity_detail {
                Some(e) if !shown.contains(&e) => {
                    shown.push(e);
                    true
                }
                _ => false,
            };
            finding(f, verbosity, style, first, out)?;
        }
        fold_missing(&folded, style, out)?;
    }
    summary(report, style, fail_on, out)
}

/// Each failing source once: its first and last messages (the last usually says why it
/// gave up), with the count of the others; `-v` shows every one.
fn degraded(
    report: &Report,
    verbosity: Verbosity,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut sources: Vec<&str> = report.degraded.iter().map(|d| d.source.as_str()).collect();
    sources.dedup();
    for source in sources {
        let msgs: Vec<&str> = report
            .degraded
            .iter()
            .filter(|d| d.source == source)
            .map(|d| d.message.as_str())
            .collect();
        let shown: Vec<&str> = if verbosity == Verbosity::Verbose || msgs.len() <= 2 {
            msgs.clone()
        } else {
            vec![msgs[0], msgs[msgs.len() - 1]]
        };
        for m in &shown {
            writeln!(
                out,
                "{}: fact source `{}` degraded: {}",
                style.severity(Severity::Warn),
                clean(source),
                clean(m)
            )?;
        }
        if shown.len() < msgs.len() {
            writeln!(
                out,
                "   {} {} more message(s) from `{}`; -v shows them",
                style.blue("="),
                msgs.len() - shown.len(),
                clean(source)
            )?;
        }
    }
    Ok(())
}

fn fold_missing(folded: &[&Finding], style: Style, out: &mut dyn Write) -> io::Result<()> {
    for sev in [Severity::Deny, Severity::Warn] {
        let of: Vec<_> = folded.iter().filter(|f| f.severity == sev).collect();
        if of.is_empty() {
            continue;
        }
        let names: Vec<String> = of
            .iter()
            .take(8)
            .filter_map(|f| {
                f.package
                    .as_ref()
                    .map(|p| clean(&format!("{}@{}", p.name, p.version)))
            })
            .collect();
        let more = if of.len() > names.len() {
            format!(", ... ({} more)", of.len() - names.len())
        } else {
            String::new()
        };
        writeln!(
            out,
            "{}[{}]: crates.io owners and publisher unknown for {} package(s), so the policy's publisher matchers could not be checked: {}{more}",
            style.severity(sev),
            Code::MissingFacts.as_str(),
            of.len(),
            names.join(", ")
        )?;
        writeln!(
            out,
            "   {} run `cargo vendor-audit fetch` where the network is (or pass --db-dump or --vet-imports) to gather them, commit vendor-audit.lock and use --locked where there is no network; -v lists each one\n",
            style.blue("=")
        )?;
    }
    Ok(())
}

/// One finding; `first`: the first shown of its entity, which prints the entity's reason
/// and citations (the others refer to it).
fn finding(
    f: &Finding,
    verbosity: Verbosity,
    style: Style,
    first: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let head = format!("{}[{}]", style.severity(f.severity), f.code.as_str());
    writeln!(
        out,
        "{}: {}",
        style.bold(&head),
        style.bold(&clean(&f.message))
    )?;
    let eq = style.blue("=");
    if let Some(e) = f.entity_detail.as_ref().filter(|_| !first) {
        writeln!(
            out,
            "   {} entity: {} ({}), {}; reason and citations above",
            eq,
            clean(&e.name),
            e.id,
            style.dim(&format!("policy {}", e.at))
        )?;
    } else if let Some(e) = &f.entity_detail {
        writeln!(
            out,
            "   {} entity: {} ({}), {}",
            eq,
            clean(&e.name),
            e.id,
            style.dim(&format!("policy {}", e.at))
        )?;
        writeln!(out, "   {} reason: {}", eq, clean(&e.reason))?;
        if let Some(d) = &e.effective {
            writeln!(out, "   {} effective: {d}", eq)?;
        }
        let shown = if verbosity == Verbosity::Verbose {
            e.citations.len()
        } else {
            CITATIONS_SHOWN
        };
        for c in e.citations.iter().take(shown) {
            let url = c
                .url
                .as_deref()
                .map(|u| format!(" <{}>", clean(u)))
                .unwrap_or_default();
            writeln!(
                out,
                "   {} cited: {} ({}){url}",
                eq,
                clean(&c.title),
                clean(&c.instrument)
            )?;
        }
        if e.citations.len() > shown {
            let rest: Vec<&str> = e.citations[shown..].iter().map(|c| c.id.as_str()).collect();
            writeln!(
                out,
                "   {} cited: and {} more ({}); -v shows them",
                eq,
                rest.len(),
                rest.join(", ")
            )?;
        }
    }
    for ev in &f.evidence {
        let mut line = format!("{} [{}]", ev.claim(clean), ev.confidence.as_str());
        line.push_str(&style.dim(&format!(
            " from {}{} (pattern at {})",
            clean(&ev.provenance_text()),
            ev.fetched.as_deref().map(|t| format!(", {}", clean(t))).unwrap_or_default(),
            ev.pattern_at
        )));
        if let Some(note) = &ev.note {
            line.push_str(&format!("; note: {}", clean(note)));
        }
        writeln!(out, "   {} evidence: {line}", eq)?;
    }
    if let Some(x) = &f.exception {
        let version = x
            .version
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        writeln!(
            out,
            "   {} exception: {}{version} until {} ({}): {}",
            eq,
            clean(&x.crate_name),
            x.expires,
            x.at,
            clean(&x.reason)
        )?;
    }
    if !f.kinds.is_empty() && verbosity == Verbosity::Verbose {
        writeln!(out, "   {} reached as: {}", eq, f.kinds.join(", "))?;
    }
    if let Some(p) = &f.package {
        tree(
            f,
            &format!("{} v{}", clean(&p.name), clean(&p.version)),
            style,
            out,
        )?;
    }
    writeln!(out)
}

/// The inverse tree: the package, then what depends on it, up to the roots; at most
/// [`TREE_DEPTH`] levels, drawn without recursion (a path can be as long as the graph).
fn tree(f: &Finding, top: &str, style: Style, out: &mut dyn Write) -> io::Result<()> {
    /// A step up the tree: the package (`name@version`) and the kind of the edge into it.
    type Key = (String, Option<String>);
    #[derive(Default)]
    struct Node {
        children: BTreeMap<Key, usize>,
        /// Levels left out above this node, and the root they lead to (the fewest, when
        /// several paths are cut here).
        more: Option<(usize, String)>,
    }
    let mut nodes = vec![Node::default()];
    for (path, kinds) in f.paths.iter().zip(&f.path_kinds) {
        // Walk from the package (last) up to the root (first); the kind of the edge
        // into step i is kinds[i].
        let mut node = 0;
        let above = path.len().saturating_sub(1);
        for (depth, i) in (0..above).rev().enumerate() {
            if depth == TREE_DEPTH {
                let left = (i + 1, path[0].clone());
                let more = &mut nodes[node].more;
                if more.as_ref().is_none_or(|m| left.0 < m.0) {
                    *more = Some(left);
                }
                break;
            }
            let key = (path[i].clone(), kinds.get(i + 1).cloned().flatten());
            node = match nodes[node].children.get(&key) {
                Some(&child) => child,
                None => {
                    nodes.push(Node::default());
                    let child = nodes.len() - 1;
                    nodes[node].children.insert(key, child);
                    child
                }
            };
        }
    }
    writeln!(out, "   {top}")?;
    let name_version = |spec: &str| {
        let (name, version) = spec.rsplit_once('@').unwrap_or((spec, ""));
        format!("{} v{}", clean(name), clean(version))
    };
    /// A node being drawn: its lines (children, then the "more" line), the next one, and
    /// the prefix of its lines.
    struct Frame<'a> {
        children: Vec<(&'a Key, usize)>,
        more: Option<&'a (usize, String)>,
        next: usize,
        prefix: String,
    }
    fn frame(node: &Node, prefix: String) -> Frame<'_> {
        Frame {
            children: node.children.iter().map(|(k, &c)| (k, c)).collect(),
            more: node.more.as_ref(),
            next: 0,
            prefix,
        }
    }
    let mut stack = vec![frame(&nodes[0], String::new())];
    while let Some(top) = stack.last_mut() {
        let lines = top.children.len() + usize::from(top.more.is_some());
        if top.next == lines {
            stack.pop();
            continue;
        }
        let i = top.next;
        top.next += 1;
        let last = i + 1 == lines;
        let branch = if last { "└── " } else { "├── " };
        let Some(&((spec, edge), child)) = top.children.get(i) else {
            let (left, root) = top.more.expect("the line after the children");
            writeln!(
                out,
                "   {}{branch}{}",
                top.prefix,
                style.dim(&format!(
                    "... {left} more level{} up to {}",
                    if *left == 1 { "" } else { "s" },
                    name_version(root)
                ))
            )?;
            continue;
        };
        let kind = match edge.as_deref() {
            Some("normal") | None => String::new(),
            Some(k) => style.dim(&format!(" ({k})")),
        };
        writeln!(out, "   {}{branch}{}{kind}", top.prefix, name_version(spec))?;
        let next = format!("{}{}", top.prefix, if last { "    " } else { "│   " });
        stack.push(frame(&nodes[child], next));
    }
    Ok(())
}

/// The one-line summary: the verdict (`error` when the run fails under `fail_on`), the
/// counts, the policy and the date.
pub fn summary(
    report: &Report,
    style: Style,
    fail_on: FailOn,
    out: &mut dyn Write,
) -> io::Result<()> {
    let s = &report.summary;
    let policies: Vec<String> = report.policies.iter().map(super::policy_label).collect();
    for w in report.stale_policies() {
        writeln!(out, "{}: {}", style.severity(Severity::Warn), clean(&w))?;
    }
    let waived = report
        .findings
        .iter()
        .filter(|f| f.exception.is_some() && f.severity == Severity::Info)
        .count();
    let mut parts = Vec::new();
    parts.push(format!("{} denied", s.deny));
    let missing = report
        .findings
        .iter()
        .filter(|f| f.code == Code::MissingFacts && f.severity == Severity::Warn)
        .count();
    let of_which = if missing > 0 {
        format!(" ({missing} missing-facts)")
    } else {
        String::new()
    };
    parts.push(format!(
        "{} warning{}{of_which}",
        s.warn,
        if s.warn == 1 { "" } else { "s" }
    ));
    parts.push(format!("{} info", s.info));
    if waived > 0 {
        parts.push(format!("{waived} waived"));
    }
    // Warnings alone fail the run only under `--fail-on warn`: say so.
    let tail = if s.deny == 0 && report.fails(fail_on) {
        "; --fail-on warn fails the run"
    } else {
        ""
    };
    let verdict = if s.deny > 0 || report.fails(fail_on) {
        style.severity(Severity::Deny)
    } else if s.warn > 0 {
        style.severity(Severity::Warn)
    } else {
        style.paint("1;32", "ok")
    };
    writeln!(
        out,
        "{verdict}: {} in {} audited package{} ({} in the graph); policy {}; today {}{tail}",
        parts.join(", "),
        s.audited,
        if s.audited == 1 { "" } else { "s" },
        s.packages,
        policies.join(" + "),
        report.today
    )
}
