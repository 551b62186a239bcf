//! `cargo vendor-audit policy check FILE...`: validate policies and show what they hold.

use std::io::Write;

use crate::Error;
use clap::{Args, Subcommand};

use crate::args::ColorChoice;
use crate::date::Date;
use crate::policy::{self, MatcherKind, Policy};
use crate::report::human::clean;

/// Exceptions expiring within this many days are warned about.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// The subcommands of `policy`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate policy files and print what the merged policy holds
    #[command(
        after_help = "Examples:\n  cargo vendor-audit policy check vendor-audit.toml\n  cargo vendor-audit policy check builtin:us-federal --today 2027-01-15"
    )]
    Check(PolicyCheckArgs),
    /// Print a policy compiled into the binary (builtin:NAME), to read or to copy from
    #[command(
        after_help = "Examples:\n  cargo vendor-audit policy show builtin:example      # every key, explained\n  cargo vendor-audit policy show builtin:us-federal > base.toml"
    )]
    Show(PolicyShowArgs),
}

/// The options of `policy show`.
#[derive(Debug, Args)]
pub struct PolicyShowArgs {
    /// The shipped policy: builtin:NAME (or NAME)
    #[arg(value_name = "builtin:NAME")]
    pub name: String,
}

/// The options of `policy check`.
#[derive(Debug, Args)]
pub struct PolicyCheckArgs {
    /// Policy files, or builtin:NAME
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// The date for expiry warnings (default: today, UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<Date>,
    /// Coloring of the output
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
}

/// Runs `policy check`: loads and validates the files and prints what the merged policy holds.
pub fn run(args: &PolicyCheckArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let policy = policy::load(&args.files)?;
    let today = args.today.unwrap_or_else(Date::today_utc);
    let mut text = Vec::new();
    describe(&policy, today, &mut text).map_err(|source| Error::Write {
        doing: "render the policy",
        source,
    })?;
    crate::pipeline::write_output(None, &text, out)?;
    Ok(0)
}

/// `policy show builtin:NAME`: the text of a policy compiled into the binary.
pub fn show(args: &PolicyShowArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let name = args.name.strip_prefix("builtin:").unwrap_or(&args.name);
    let Some(text) = policy::builtin(name) else {
        let known: Vec<String> = policy::builtin_names()
            .iter()
            .map(|n| format!("builtin:{n}"))
            .collect();
        return Err(Error::Usage(format!(
            "there is no builtin policy `{}`; the builtin policies are {}",
            args.name,
            known.join(", ")
        )));
    };
    crate::pipeline::write_output(None, text.as_bytes(), out)?;
    Ok(0)
}

/// `1 entity`, `2 entities`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The merged policy, in words.
pub fn describe(policy: &Policy, today: Date, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &policy.settings;
    let sources: Vec<String> = policy
        .sources
        .iter()
        .map(|p| format!("{} ({})", p.id, p.source))
        .collect();
    writeln!(out, "policy {}: valid; loaded {}", s.id, sources.join(", "))?;
    let mut warnings = Vec::new();
    for p in &policy.sources {
        match p.reviewed {
            Some(d) => writeln!(out, "reviewed: {} on {d}", p.source)?,
            None => writeln!(out, "reviewed: {} (no `reviewed` date)", p.source)?,
        }
        warnings.extend(p.staleness(today));
    }
    let kinds: Vec<&str> = s.dependency_kinds.iter().map(|k| k.as_str()).collect();
    writeln!(
        out,
        "settings: dependency-kinds = [{}], deny-min-confidence = {}, warn-min-confidence = {}, missing-facts = {}, expired-exception = {}, unused-exception = {}",
        kinds.join(", "),
        s.deny_min_confidence.as_str(),
        s.warn_min_confidence.as_str(),
        s.missing_facts.as_str(),
        s.expired_exception.as_str(),
        s.unused_exception.as_str()
    )?;
    writeln!(
        out,
        "\n{}, {}",
        count(policy.entities.len(), "entity", "entities"),
        count(policy.citations.len(), "citation", "citations")
    )?;
    for e in &policy.entities {
        let mut dates = Vec::new();
        if let Some(d) = e.effective {
            dates.push(if today < d {
                format!("effective {d} (upcoming)")
            } else {
                format!("effective {d}")
            });
        }
        if let Some(d) = e.expires {
            dates.push(if today >= d {
                format!("expired {d} (no longer matches)")
            } else {
                format!("expires {d}")
            });
        }
        let dates = if dates.is_empty() {
            String::new()
        } else {
            format!(", {}", dates.join(", "))
        };
        writeln!(
            out,
            "  {} ({}): {}{dates}, at {}",
            e.id,
            clean(&e.name),
            e.severity.as_str(),
            e.location
        )?;
        for kind in MatcherKind::ALL {
            let values: Vec<String> = e
                .matchers
                .iter()
                .filter(|m| m.kind == kind)
                .map(|m| {
                    if m.confidence == kind.default_confidence() {
                        clean(&m.value.to_string())
                    } else {
                        format!(
                            "{} [{}]",
                            clean(&m.value.to_string()),
                            m.confidence.as_str()
                        )
                    }
                })
                .collect();
            if !values.is_empty() {
                writeln!(
                    out,
                    "      {kind} ({}): {}",
                    values.len(),
                    values.join(", ")
                )?;
            }
        }
        if !e.citations.is_empty() {
            writeln!(out, "      citations: {}", e.citations.join(", "))?;
        }
    }
    writeln!(out, "\ncitations:")?;
    for c in policy.citations.values() {
        let mut dates = Vec::new();
        if let Some(d) = c.published {
            dates.push(format!("published {d}"));
        }
        if let Some(d) = c.effective {
            dates.push(format!("effective {d}"));
        }
        let dates = if dates.is_empty() {
            String::new()
        } else {
            format!(" ({})", dates.join(", "))
        };
        writeln!(out, "  {}: {}{dates}", c.id, clean(&c.instrument))?;
    }
    writeln!(
        out,
        "\n{}",
        count(policy.exceptions.len(), "exception", "exceptions")
    )?;
    for x in &policy.exceptions {
        let scope = [
            x.version.as_ref().map(|(v, _)| v.clone()),
            x.entity.as_ref().map(|e| format!("entity {e}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        writeln!(
            out,
            "  {} {scope} until {} at {}: {}",
            clean(&x.crate_name),
            x.expires,
            x.location,
            clean(&x.reason)
        )?;
        let left = x.expires.days_since_epoch() - today.days_since_epoch();
        if left <= 0 {
            warnings.push(format!(
                "the exception for {} at {} expired on {}",
                x.crate_name, x.location, x.expires
            ));
        } else if left <= EXPIRY_WARNING_DAYS {
            warnings.push(format!(
                "the exception for {} at {} expires on {} (in {left} day{})",
                x.crate_name,
                x.location,
                x.expires,
                if left == 1 { "" } else { "s" }
            ));
        }
    }
    writeln!(
        out,
        "\n{}",
        count(
            policy.not_affiliated.len(),
            "not-affiliated entry",
            "not-affiliated entries"
        )
    )?;
    for n in &policy.not_affiliated {
        writeln!(
            out,
            "  {} is not {} (at {}; reviewed {}): {}",
            clean(&n.crate_name),
            n.entity,
            n.location,
            n.scope(),
            clean(&n.reason)
        )?;
    }
    let o = &policy.origins;
    writeln!(
        out,
        "\norigins: unknown-registry = {}, unknown-git = {}, allow-registries = [{}], allow-git = [{}]",
        o.unknown_registry.as_str(),
        o.unknown_git.as_str(),
        o.allow_registries.join(", "),
        o.allow_git.join(", ")
    )?;
    if s.deny_min_confidence < s.warn_min_confidence {
        warnings.push(format!(
            "`deny-min-confidence` ({}) is below `warn-min-confidence` ({}): evidence at {} or above denies for a deny entity, though it would not be strong enough to warn",
            s.deny_min_confidence.as_str(),
            s.warn_min_confidence.as_str(),
            s.deny_min_confidence.as_str()
        ));
    }
    for w in warnings {
        writeln!(out, "warning: {}", clean(&w))?;
    }
    Ok(())
}
