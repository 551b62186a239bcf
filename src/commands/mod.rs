//! The subcommands, one file each, each with its own arguments. Those that read the
//! graph share [`crate::pipeline`].

use std::io::Write;

use crate::Error;
use crate::cli::{ColorChoice, Command};

pub mod check;
pub mod explain;
pub mod fetch;
pub mod init;
pub mod list;
pub mod policy;
pub mod store;

/// The `--color` the subcommand was given, for its error messages.
pub fn color(command: &Command) -> Option<ColorChoice> {
    match command {
        Command::Check(a) => a.graph.color,
        Command::Fetch(a) => a.graph.color,
        Command::Explain(a) => a.graph.color,
        Command::List(a) => a.graph.color,
        Command::Policy(policy::PolicyCommand::Check(a)) => a.color,
        Command::Init(_) | Command::Policy(policy::PolicyCommand::Show(_)) | Command::Store(_) => {
            None
        }
    }
}

/// Runs the subcommand and gives its exit code.
pub fn run(command: &Command, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Error> {
    match command {
        Command::Check(args) => check::run(args, out, err),
        Command::Fetch(args) => fetch::run(args, out, err),
        Command::Explain(args) => explain::run(args, out),
        Command::List(args) => list::run(args, out, err),
        Command::Init(args) => init::run(args, err),
        Command::Policy(policy::PolicyCommand::Check(args)) => policy::run(args, out),
        Command::Policy(policy::PolicyCommand::Show(args)) => policy::show(args, out),
        Command::Store(command) => store::run(command, out),
    }
}
