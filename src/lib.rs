//! cargo-vendor-audit: fail a build that pulls in a crate from a restricted entity.
//!
//! The pipeline: [`graph`] -> [`facts`] -> [`policy`] -> [`matcher`] -> [`report`].
//! [`cli`] turns arguments into settings; [`check`] runs the pipeline.

pub mod check;
pub mod cli;
pub mod date;
pub mod explain;
pub mod facts;
pub mod fetch;
pub mod generate;
pub mod graph;
pub mod init;
pub mod limits;
pub mod list;
pub mod matcher;
pub mod metadata;
pub mod parallel;
pub mod policy;
pub mod policy_check;
pub mod report;
pub mod store;
pub mod target;

use std::ffi::OsString;
use std::fmt;
use std::io::Write;

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
            // Messages quote ids, paths and answers from untrusted files: no escape
            // sequence in them reaches the terminal. Line breaks stay.
            f.write_str("error: ")?;
            for c in self.message.chars() {
                if c != '\n' && report::is_hidden(c) {
                    write!(f, "{}", c.escape_unicode())?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            Ok(())
        }
    }
}

/// Runs the tool with these arguments (`argv[0]` first) and gives the exit code:
/// 0 clean, 1 findings at or above `--fail-on`, 2 could not run.
/// Standard output and error go to `out` and `err`.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    use clap::Parser;
    let cli = match cli::Cli::try_parse_from(cli::normalize_args(args)) {
        Ok(cli) => cli,
        Err(e) => {
            let text = if err_is_terminal() {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            if e.use_stderr() {
                let _ = write!(err, "{text}");
                return 2;
            }
            let _ = write!(out, "{text}");
            return 0;
        }
    };
    let result = match &cli.command {
        cli::Command::Check(args) => check::run(args, out),
        cli::Command::Fetch(args) => fetch::run(args, out, err),
        cli::Command::Explain(args) => explain::run(args, out),
        cli::Command::List(args) => list::run(args, out),
        cli::Command::Init(args) => init::run(&args.path, err),
        cli::Command::Policy(cli::PolicyCommand::Check(args)) => policy_check::run(args, out),
        cli::Command::Store(command) => store::command::run(command, out),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            let _ = writeln!(err, "{failure}");
            2
        }
    }
}

fn err_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_messages_carry_no_escape_sequences() {
        let failure = Failure::new("id `x\u{1b}]0;t\u{7}\u{1b}[2J\r\u{202e}` is bad\nnext line");
        let text = failure.to_string();
        assert_eq!(
            text,
            "error: id `x\\u{1b}]0;t\\u{7}\\u{1b}[2J\\u{d}\\u{202e}` is bad\nnext line"
        );
    }
}
