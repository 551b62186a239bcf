//! `cargo vendor-audit fetch`: gather crates.io owners and publishers for the graph and
//! write the facts lock, saying what changed since the old one.

use std::io::Write;

use crate::Error;
use crate::pipeline;
use clap::Args;

use crate::args::GraphArgs;
use crate::facts::api::OFFLINE_HINT;
use crate::facts::sources;
use crate::report::human::clean;

/// The options of `fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The options that choose the graph and the fact sources.
    #[command(flatten)]
    pub graph: GraphArgs,
}

/// Runs `fetch`: gathers the crates.io facts of the graph and writes the facts lock; exit code 2 when no source answered and the lock was not written.
pub fn run(args: &FetchArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Error> {
    let loaded = pipeline::load(&args.graph)?;
    let options = pipeline::source_options(&loaded, &args.graph)?;
    let keys: Vec<_> = pipeline::crates_io_packages(&loaded.graph)
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    let store = pipeline::store_options(&args.graph, true);
    let outcome =
        sources::fetch_lock_with_store(&options, store, &keys).map_err(Error::FactsLock)?;
    let lock_path = options.facts_lock.display();
    let mut text = String::new();
    for d in &outcome.degraded {
        text.push_str(&format!(
            "warning: fact source `{}` degraded: {}\n",
            d.source,
            clean(&d.message)
        ));
    }
    if !outcome.written {
        text.push_str(&format!(
            "error: no source answered for any of the {} crates.io packages asked about; {lock_path} was not written{}\n",
            outcome.asked,
            if outcome.lock.packages.is_empty() {
                ""
            } else {
                " and keeps its previous facts"
            },
        ));
        if !outcome
            .degraded
            .iter()
            .any(|d| d.message.contains(OFFLINE_HINT))
        {
            text.push_str(&format!("hint: {OFFLINE_HINT}\n"));
        }
        let _ = err.write_all(text.as_bytes());
        return Ok(2);
    }
    let packages = outcome.lock.packages.values();
    let with_owners = packages.clone().filter(|f| f.owners.is_some()).count();
    let with_publisher = packages.filter(|f| f.publisher.is_some()).count();
    text.push_str(&format!(
        "     Fetched facts for {} of {} crates.io packages; the lock holds owners of {with_owners}, publisher of {with_publisher}; wrote {lock_path}\n",
        outcome.answered,
        outcome.asked,
    ));
    if outcome.kept > 0 {
        text.push_str(&format!(
            "warning: kept the previous lock's facts, with their old dates, for {} package(s) that no source could answer; run `fetch` again when the sources are back\n",
            outcome.kept
        ));
    }
    let lacking = keys
        .iter()
        .filter(|k| outcome.lock.get(k).is_none_or(|f| !f.is_complete()))
        .count();
    if lacking > 0 {
        text.push_str(&format!(
            "warning: {lacking} package(s) still lack owners or a publisher; `check` reports them as missing-facts\n"
        ));
    }
    let _ = err.write_all(text.as_bytes());
    let mut changes = String::new();
    if outcome.changes.is_empty() {
        if outcome.degraded.is_empty() {
            changes.push_str("no change since the previous lock\n");
        } else {
            changes.push_str(&format!(
                "no change since the previous lock in what was fetched ({} of {} packages answered)\n",
                outcome.answered, outcome.asked
            ));
        }
    } else {
        changes.push_str(&format!(
            "{} change(s) since the previous lock:\n",
            outcome.changes.len()
        ));
        for c in &outcome.changes {
            changes.push_str(&format!("  {}\n", clean(&c.to_string())));
        }
    }
    pipeline::write_output(None, changes.as_bytes(), out)?;
    Ok(0)
}
