//! cargo-vendor-audit: fail a build that pulls in a crate from a restricted entity.
//!
//! The pipeline: [`graph`] -> [`facts`] -> [`policy`] -> [`matcher`] -> [`report`].
//! [`cli`] turns arguments into settings; [`check`] runs the pipeline.

pub mod check;
pub mod cli;
pub mod date;
pub mod facts;
pub mod graph;
pub mod matcher;
pub mod metadata;
pub mod policy;
pub mod report;

use std::ffi::OsString;
use std::fmt;

/// Why a run could not complete (exit code 2): the message says what, where, and what to do.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    /// Policy diagnostics are printed as they are, without an `error:` prefix of ours.
    pub preformatted: bool,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            preformatted: false,
        }
    }
    pub fn policy(rendered: String) -> Failure {
        Failure {
            message: rendered,
            preformatted: true,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.preformatted {
            f.write_str(&self.message)
        } else {
            write!(f, "error: {}", self.message)
        }
    }
}

/// Runs the tool with these arguments (`argv[0]` first) and gives the exit code:
/// 0 clean, 1 findings at or above `--fail-on`, 2 could not run.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    use clap::Parser;
    let cli = match cli::Cli::try_parse_from(cli::normalize_args(args)) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let result = match &cli.command {
        cli::Command::Check(args) => check::run(args),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("{failure}");
            2
        }
    }
}
