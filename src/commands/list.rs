//! `cargo vendor-audit list`: the inventory a reviewer asks for: every audited package with
//! its origin, repository, owners and publisher, or grouped by owner, org or entity.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::Error;
use crate::pipeline::{self, Loaded};
use clap::{Args, ValueEnum};

use crate::args::GraphArgs;
use crate::facts::PackageFacts;
use crate::facts::sources::Mode;
use crate::facts::text::{origin_text, owner_text, publisher_text};
use crate::facts::url::normalize;
use crate::matcher;
use crate::report::human::clean;
use crate::report::inventory::inventory;

/// One audited package.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The options that choose the graph, the policy and the fact sources.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    /// Group packages and count them
    #[arg(long, value_enum)]
    pub by: Option<GroupBy>,
    /// Write the list to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `--format` of `list`: how rows or groups are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(
    missing_docs,
    reason = "clap prints a variant's doc comment in --help; these values name themselves"
)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

/// `--by`: what `list` groups the packages by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(
    missing_docs,
    reason = "clap prints a variant's doc comment in --help; these values name themselves"
)]
pub enum GroupBy {
    Owner,
    Org,
    Entity,
}

/// One row of `list`: an audited package and its facts.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The crate's name as written in its manifest, e.g. `serde_json`.
    pub name: String,
    /// The resolved version, e.g. `1.0.108`.
    pub version: String,
    /// Where it comes from: `crates.io`, a registry index URL, a git URL with `#rev`, or `path`.
    pub origin: String,
    /// The kinds through which it is reached: `normal`, `build`, `dev`.
    pub kinds: Vec<String>,
    /// The manifest's `repository` URL, as written.
    pub repository: Option<String>,
    /// `None`: unknown (no facts source told).
    pub owners: Option<Vec<String>>,
    /// `None`: unknown; `Some("")`: no recorded publisher.
    pub publisher: Option<String>,
    /// Entities the package matches (restricted or upcoming; waived included).
    pub entities: Vec<String>,
}

/// A group of `--by`.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    /// The owner, org (`host/org`) or entity id the packages share, or a placeholder such as `(no repository)`.
    pub group: String,
    /// How many packages are in the group.
    pub count: usize,
    /// The packages, each as `name@version`.
    pub packages: Vec<String>,
}

/// Runs `list`: gathers the facts, writes the rows or groups in `--format`, and returns 0.
pub fn run(args: &ListArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Error> {
    let loaded = pipeline::load(&args.graph)?;
    let mode = pipeline::mode(&args.graph);
    let crates_io = pipeline::crates_io_packages(&loaded.graph).len();
    if crates_io > 0 {
        let _ = writeln!(
            err,
            "{:>12} {}",
            "Facts",
            fetch_plan(mode, crates_io, &args.graph)
        );
    }
    let (facts, degraded) = pipeline::gather_facts(&loaded, &args.graph, mode)?;
    for d in &degraded {
        let _ = writeln!(
            err,
            "warning: fact source `{}` degraded: {}",
            d.source,
            clean(&d.message)
        );
    }
    let rows = rows(&loaded, &facts, &args.graph);
    let mut buf = Vec::new();
    let written = match args.by {
        None => write_rows(&rows, args.format, &mut buf),
        Some(by) => write_groups(&group(&rows, by), args.format, by, &mut buf),
    };
    written.map_err(|source| Error::Write {
        doing: "render the list",
        source,
    })?;
    pipeline::write_output(args.output.as_deref(), &buf, out)?;
    if let Some(path) = &args.output {
        // The terminal still learns what was listed, and where it went.
        let _ = writeln!(
            err,
            "listed {} package{}; written to {}",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            clean(&path.display().to_string())
        );
    }
    Ok(0)
}

/// What `list` will read or ask to learn the owners and publishers of `count` crates.io
/// packages, said before it starts.
fn fetch_plan(mode: Mode, count: usize, args: &GraphArgs) -> String {
    let whose = format!("owners and publishers of {count} crates.io package(s)");
    match mode {
        Mode::Locked => format!("{whose} from the facts lock only (--locked): no network"),
        Mode::Offline => format!(
            "{whose} from the facts lock, the files given and cached API answers (--offline): no network"
        ),
        _ => format!(
            "{whose} from the facts lock and the files given, then from the crates.io API at {} for what they lack (--offline or --locked ask nothing)",
            clean(args.crates_io_api.trim_end_matches('/'))
        ),
    }
}

/// The rows of every audited package, in name and version order.
pub fn rows(loaded: &Loaded, facts: &[PackageFacts], args: &GraphArgs) -> Vec<Row> {
    let opts = crate::pipeline::options(loaded, args);
    let outcome = matcher::evaluate(&loaded.graph, facts, &loaded.policy, &opts);
    let scope = opts.scope(&loaded.policy);
    let graph = &loaded.graph;
    let mut rows: Vec<(semver::Version, Row)> = inventory(graph, facts, &outcome.findings)
        .into_iter()
        .filter_map(|c| {
            let kinds = opts.audited_kinds(graph, scope, c.index)?;
            let (p, f) = (c.package, c.facts);
            let row = Row {
                name: p.name.clone(),
                version: p.version.to_string(),
                origin: origin_text(f),
                kinds: kinds.iter().map(|k| k.as_str().to_string()).collect(),
                repository: p.repository.clone(),
                owners: f
                    .owners
                    .as_ref()
                    .map(|o| o.value.iter().map(owner_text).collect()),
                publisher: f.publisher.as_ref().map(|p| publisher_text(&p.value)),
                entities: c.matched_entities().into_iter().map(String::from).collect(),
            };
            Some((p.version.clone(), row))
        })
        .collect();
    rows.sort_by(|a, b| a.1.name.cmp(&b.1.name).then_with(|| a.0.cmp(&b.0)));
    rows.into_iter().map(|(_, r)| r).collect()
}

/// The org of a repository URL: `host/first-segment`.
pub fn org_of(repository: &str) -> Option<String> {
    let n = normalize(repository);
    let host = n.host.clone()?;
    let org = n.segments().next()?.to_ascii_lowercase();
    Some(format!("{host}/{org}"))
}

/// Groups the rows by owner, org or entity, largest group first; a package may be in several groups.
pub fn group(rows: &[Row], by: GroupBy) -> Vec<Group> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        let spec = format!("{}@{}", r.name, r.version);
        let keys: Vec<String> = match by {
            GroupBy::Owner => match &r.owners {
                None => vec!["(owners unknown)".to_string()],
                Some(o) if o.is_empty() => vec!["(no owners)".to_string()],
                Some(o) => o.clone(),
            },
            GroupBy::Org => vec![
                r.repository
                    .as_deref()
                    .and_then(org_of)
                    .unwrap_or_else(|| "(no repository)".to_string()),
            ],
            GroupBy::Entity if r.entities.is_empty() => continue,
            GroupBy::Entity => r.entities.clone(),
        };
        for k in keys {
            groups.entry(k).or_default().push(spec.clone());
        }
    }
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(group, packages)| Group {
            group,
            count: packages.len(),
            packages,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.group.cmp(&b.group)));
    out
}

fn opt_list(v: &Option<Vec<String>>, origin: &str) -> String {
    match v {
        None if origin != "crates.io" => "-".to_string(),
        None => "unknown".to_string(),
        Some(v) if v.is_empty() => "none".to_string(),
        Some(v) => v.join(", "),
    }
}

fn opt_publisher(p: &Option<String>, origin: &str) -> String {
    match p.as_deref() {
        None if origin != "crates.io" => "-".to_string(),
        None => "unknown".to_string(),
        Some("") => "none recorded".to_string(),
        Some(p) => p.to_string(),
    }
}

fn write_rows(rows: &[Row], format: ListFormat, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        ListFormat::Json => {
            crate::report::write_inert_json(&mut *out, rows)?;
            writeln!(out)
        }
        ListFormat::Csv => {
            csv_line(
                out,
                &[
                    "name",
                    "version",
                    "origin",
                    "kinds",
                    "repository",
                    "owners",
                    "publisher",
                    "entities",
                ],
            )?;
            for r in rows {
                csv_line(
                    out,
                    &[
                        &r.name,
                        &r.version,
                        &r.origin,
                        &r.kinds.join(" "),
                        r.repository.as_deref().unwrap_or(""),
                        &opt_list(&r.owners, &r.origin),
                        &opt_publisher(&r.publisher, &r.origin),
                        &r.entities.join(" "),
                    ],
                )?;
            }
            Ok(())
        }
        ListFormat::Table => {
            let table: Vec<[String; 7]> = rows
                .iter()
                .map(|r| {
                    [
                        format!("{} {}", r.name, r.version),
                        r.origin.clone(),
                        r.kinds.join(","),
                        r.repository.clone().unwrap_or_else(|| "-".to_string()),
                        opt_list(&r.owners, &r.origin),
                        opt_publisher(&r.publisher, &r.origin),
                        if r.entities.is_empty() {
                            "-".to_string()
                        } else {
                            r.entities.join(",")
                        },
                    ]
                })
                .collect();
            let head = [
                "PACKAGE",
                "ORIGIN",
                "KINDS",
                "REPOSITORY",
                "OWNERS",
                "PUBLISHER",
                "ENTITIES",
            ]
            .map(String::from);
            write_table(out, &head, &table)?;
            writeln!(out, "{} packages", rows.len())
        }
    }
}

fn write_groups(
    groups: &[Group],
    format: ListFormat,
    by: GroupBy,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let label = match by {
        GroupBy::Owner => "OWNER",
        GroupBy::Org => "ORG",
        GroupBy::Entity => "ENTITY",
    };
    match format {
        ListFormat::Json => {
            crate::report::write_inert_json(&mut *out, groups)?;
            writeln!(out)
        }
        ListFormat::Csv => {
            csv_line(out, &[&label.to_lowercase(), "count", "packages"])?;
            for g in groups {
                csv_line(
                    out,
                    &[&g.group, &g.count.to_string(), &g.packages.join(" ")],
                )?;
            }
            Ok(())
        }
        ListFormat::Table => {
            let table: Vec<[String; 3]> = groups
                .iter()
                .map(|g| {
                    let shown: Vec<&str> = g.packages.iter().take(6).map(String::as_str).collect();
                    let more = if g.packages.len() > 6 {
                        format!(", ... ({} more)", g.packages.len() - 6)
                    } else {
                        String::new()
                    };
                    [
                        g.group.clone(),
                        g.count.to_string(),
                        format!("{}{more}", shown.join(", ")),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    label.to_string(),
                    "COUNT".to_string(),
                    "PACKAGES".to_string(),
                ],
                &table,
            )?;
            let n = groups.len();
            writeln!(out, "{n} group{}", if n == 1 { "" } else { "s" })
        }
    }
}

fn write_table<const N: usize>(
    out: &mut dyn Write,
    head: &[String; N],
    rows: &[[String; N]],
) -> std::io::Result<()> {
    let clean_rows: Vec<[String; N]> = rows.iter().map(|r| r.clone().map(|c| clean(&c))).collect();
    let mut widths = head.clone().map(|h| h.chars().count());
    for r in &clean_rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String; N]| -> String {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == N {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.trim_end().to_string()
    };
    writeln!(out, "{}", line(head))?;
    for r in &clean_rows {
        writeln!(out, "{}", line(r))?;
    }
    Ok(())
}

/// One CSV record (RFC 4180 quoting). A cell that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@` first) is prefixed with `'`.
fn csv_line(out: &mut dyn Write, cells: &[&str]) -> std::io::Result<()> {
    let cells: Vec<String> = cells
        .iter()
        .map(|c| {
            // Crate data: no escape sequence reaches a terminal that shows the file.
            let c = crate::report::human::clean(c);
            let c = if c != "-" && c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{c}")
            } else {
                c
            };
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c
            }
        })
        .collect();
    writeln!(out, "{}", cells.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut out = Vec::new();
        csv_line(&mut out, &["a,b", "say \"hi\"", "=cmd()", "plain"]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",'=cmd(),plain\n"
        );
    }

    #[test]
    fn csv_cells_carry_no_escape_sequences() {
        let mut out = Vec::new();
        csv_line(&mut out, &["evil\u{1b}[2J\u{9b}1m\r\u{202e}"]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "evil\\u{1b}[2J\\u{9b}1m\\u{d}\\u{202e}\n");
    }

    #[test]
    fn orgs_of_repositories() {
        assert_eq!(
            org_of("https://github.com/Serde-rs/serde").as_deref(),
            Some("github.com/serde-rs")
        );
        assert_eq!(org_of("not a url"), None);
    }
}
