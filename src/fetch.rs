//! `cargo vendor-audit fetch`: gather crates.io owners and publishers for the graph and
//! write the facts lock, saying what changed since the old one.

use std::io::Write;

use crate::Failure;
use crate::check;
use crate::cli::FetchArgs;
use crate::facts::sources;
use crate::report::human::clean;

pub fn run(args: &FetchArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Failure> {
    let loaded = check::load(&args.graph)?;
    let options = check::source_options(&loaded, &args.graph)?;
    let keys: Vec<_> = check::crates_io_packages(&loaded.graph)
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    let store = check::store_options(&args.graph, true);
    let outcome = sources::fetch_lock_with_store(&options, store, &keys)
        .map_err(|e| Failure::new(format!("could not write the facts lock: {e}")))?;
    let with_owners = outcome
        .lock
        .packages
        .values()
        .filter(|f| f.owners.is_some())
        .count();
    let with_publisher = outcome
        .lock
        .packages
        .values()
        .filter(|f| f.publisher.is_some())
        .count();
    let mut text = String::new();
    for d in &outcome.degraded {
        text.push_str(&format!(
            "warning: fact source `{}` degraded: {}\n",
            d.source,
            clean(&d.message)
        ));
    }
    text.push_str(&format!(
        "     Fetched facts for {} crates.io packages: owners of {with_owners}, publisher of {with_publisher}; wrote {}\n",
        keys.len(),
        options.facts_lock.display()
    ));
    if with_owners < keys.len() || with_publisher < keys.len() {
        text.push_str(&format!(
            "warning: {} package(s) still lack owners or a publisher; `check` reports them as missing-facts\n",
            outcome.lock.packages.values().filter(|f| f.owners.is_none() || f.publisher.is_none()).count()
                + keys.len().saturating_sub(outcome.lock.packages.len())
        ));
    }
    let _ = err.write_all(text.as_bytes());
    let mut changes = String::new();
    if outcome.changes.is_empty() {
        changes.push_str("no change since the previous lock\n");
    } else {
        changes.push_str(&format!(
            "{} change(s) since the previous lock:\n",
            outcome.changes.len()
        ));
        for c in &outcome.changes {
            changes.push_str(&format!("  {}\n", clean(&c.to_string())));
        }
    }
    check::write_output(None, changes.as_bytes(), out)?;
    Ok(0)
}
