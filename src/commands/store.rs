//! `cargo vendor-audit store update | import PATH | status`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::Error;
use crate::facts::store::{Store, Summary, describe_age, describe_bytes};

/// The subcommands of `store`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Download the crates.io database dump and build the facts store from it
    #[command(
        after_help = "Example:\n  cargo vendor-audit store update\n\nOnly the members the store needs are fetched when the server answers range requests."
    )]
    Update(UpdateArgs),
    /// Build the facts store from a crates.io dump on disk (.zip, .tar.gz or extracted folder)
    #[command(after_help = "Example:\n  cargo vendor-audit store import db-dump.tar.gz")]
    Import(ImportArgs),
    /// Where the facts store is, the date of its dump, its size and what it holds
    Status,
}

/// The options of `store update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Where the crates.io database dump is downloaded from
    #[arg(long, value_name = "URL", default_value = crate::facts::store::DEFAULT_DUMP_URL)]
    pub dump_url: String,
}

/// The options of `store import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The dump: db-dump.zip, db-dump.tar.gz or its extracted folder
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
}

fn store_dir() -> Result<PathBuf, Error> {
    crate::facts::store::default_dir().ok_or(Error::NoStoreDir)
}

fn holds(summary: &Summary) -> String {
    format!(
        "{} crates, {} versions, {} owners",
        summary.crates, summary.versions, summary.owners
    )
}

/// Runs one `store` subcommand against the machine's store folder and prints what it did.
pub fn run(command: &StoreCommand, out: &mut dyn Write) -> Result<u8, Error> {
    let dir = store_dir()?;
    let text = match command {
        StoreCommand::Update(args) => {
            let outcome = crate::facts::store::download::update(&dir, &args.dump_url, true)
                .map_err(|message| Error::Store {
                    action: "update",
                    message,
                })?;
            if outcome.by_other {
                format!(
                    "another update installed the store while this one waited: dump of {}; {}\n",
                    outcome
                        .summary
                        .timestamp
                        .as_deref()
                        .unwrap_or("an unknown date"),
                    holds(&outcome.summary)
                )
            } else {
                format!(
                    "updated the facts store from {}: dump of {}; downloaded {}{}; {}; {} at {}\n",
                    args.dump_url,
                    outcome
                        .summary
                        .timestamp
                        .as_deref()
                        .unwrap_or("an unknown date"),
                    describe_bytes(outcome.downloaded),
                    match (outcome.file_size, outcome.ranged) {
                        (Some(size), true) => format!(
                            " of a {} file (only the members needed)",
                            describe_bytes(size)
                        ),
                        _ => String::new(),
                    },
                    holds(&outcome.summary),
                    describe_bytes(outcome.summary.bytes),
                    dir.join(crate::facts::store::FILE_NAME).display()
                )
            }
        }
        StoreCommand::Import(args) => {
            let (summary, _) =
                crate::facts::store::import(&args.path, &dir).map_err(|message| Error::Store {
                    action: "import",
                    message,
                })?;
            format!(
                "built the facts store from {}: dump of {}; {}; {} at {}\n",
                args.path.display(),
                summary.timestamp.as_deref().unwrap_or("an unknown date"),
                holds(&summary),
                describe_bytes(summary.bytes),
                dir.join(crate::facts::store::FILE_NAME).display()
            )
        }
        StoreCommand::Status => {
            let path = dir.join(crate::facts::store::FILE_NAME);
            if !path.exists() {
                let text = format!(
                    "no facts store at {}: `cargo vendor-audit store update` downloads one\n",
                    path.display()
                );
                crate::pipeline::write_output(None, text.as_bytes(), out)?;
                return Ok(1);
            }
            match Store::open(&path) {
                Ok(store) => {
                    let s = store.summary();
                    format!(
                        "path: {}\ndump: {} ({} old)\nsize: {}\nholds: {}\n",
                        path.display(),
                        s.timestamp.as_deref().unwrap_or("unknown date"),
                        describe_age(store.age()),
                        describe_bytes(s.bytes),
                        holds(&s)
                    )
                }
                Err(e) => {
                    let text = format!(
                        "the facts store at {} is not usable ({e}); `cargo vendor-audit store update` rebuilds it\n",
                        path.display()
                    );
                    crate::pipeline::write_output(None, text.as_bytes(), out)?;
                    return Ok(1);
                }
            }
        }
    };
    crate::pipeline::write_output(None, text.as_bytes(), out)?;
    Ok(0)
}
