//! The subcommands, one file each, each with its own arguments. Those that read the
//! graph share [`crate::pipeline`].

use std::io::Write;

use crate::Error;
use clap::Subcommand;

use crate::args::ColorChoice;

pub mod check;
pub mod explain;
pub mod fetch;
pub mod init;
pub mod list;
pub mod policy;
pub mod store;

const CHECK_EXAMPLES: &str = "Examples:
  cargo vendor-audit                                  # audit ./Cargo.toml with the policy found or builtin:us-federal
  cargo vendor-audit --policy vendor-audit.toml --format json --output report.json
  cargo vendor-audit --metadata-path metadata.json --policy builtin:us-federal --target x86_64-unknown-linux-gnu";

const POLICY_EXAMPLES: &str = "Examples:
  cargo vendor-audit policy check vendor-audit.toml
  cargo vendor-audit policy check builtin:us-federal --today 2027-01-15
  cargo vendor-audit policy show builtin:example     # every key of the policy file, explained";

/// The subcommands of `cargo vendor-audit`, each with its own options.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit the dependency graph against the policy (the default subcommand)
    #[command(after_help = CHECK_EXAMPLES)]
    Check(crate::commands::check::CheckArgs),
    /// Gather crates.io owners and publishers for the graph and write the facts lock
    #[command(
        after_help = "Examples:\n  cargo vendor-audit fetch && git add vendor-audit.lock\n  cargo vendor-audit fetch --db-dump db-dump.tar.gz --vet-imports supply-chain/imports.lock"
    )]
    Fetch(crate::commands::fetch::FetchArgs),
    /// Explain one package: its facts, its paths, every entity tried, and the verdict
    #[command(
        after_help = "Examples:\n  cargo vendor-audit explain ylong_io\n  cargo vendor-audit explain windows-sys@0.59.0 --policy vendor-audit.toml"
    )]
    Explain(crate::commands::explain::ExplainArgs),
    /// List every audited package with its origin, repository, owners and publisher
    #[command(
        after_help = "Examples:\n  cargo vendor-audit list\n  cargo vendor-audit list --by org --format csv --output orgs.csv"
    )]
    List(crate::commands::list::ListArgs),
    /// Write a starter vendor-audit.toml that extends builtin:us-federal
    #[command(
        after_help = "Without PATH the policy goes to the workspace root, where `check` looks for it, even when run in a member's directory.\n\nExample:\n  cargo vendor-audit init && git add vendor-audit.toml"
    )]
    Init(crate::commands::init::InitArgs),
    /// Work with policy files without auditing
    #[command(subcommand, after_help = POLICY_EXAMPLES)]
    Policy(crate::commands::policy::PolicyCommand),
    /// The facts store: every crates.io owner and publisher, kept on this machine
    #[command(subcommand)]
    Store(crate::commands::store::StoreCommand),
}

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
