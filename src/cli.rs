//! The command line: the parser over every subcommand, and the `check` it inserts when none
//! is named. Each subcommand's arguments are in [`crate::commands`], the shared ones in
//! [`crate::args`].

use std::ffi::OsString;

use clap::Parser;

pub use crate::args::{ColorChoice, GraphArgs, use_color};
pub use crate::commands::Command;

const ABOUT: &str =
    "Fail the build when the dependency graph pulls in a crate from a restricted entity";

/// The whole command line, as clap parses it.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-vendor-audit",
    bin_name = "cargo vendor-audit",
    version,
    about = ABOUT,
    override_usage = "cargo vendor-audit [check] [OPTIONS]\n       cargo vendor-audit <COMMAND> [OPTIONS]",
    after_help = "`check` is the default: `cargo vendor-audit --format json` is `cargo vendor-audit check --format json`.\nExit codes: 0 clean, 1 findings at or above --fail-on, 2 the audit could not run."
)]
pub struct Cli {
    /// The subcommand to run; `check` when none is named.
    #[command(subcommand)]
    pub command: Command,
}

const SUBCOMMANDS: &[&str] = &[
    "check", "fetch", "explain", "list", "init", "policy", "store", "help",
];

/// Arguments as clap should see them: without the `vendor-audit` that cargo passes, and
/// with `check` inserted when no subcommand is named.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|a| a == "vendor-audit") {
        args.remove(1);
    }
    let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("");
    let top_level_flag = matches!(first, "-h" | "--help" | "-V" | "--version");
    // `check` takes no positional argument: a first word that is not a flag is meant as a
    // subcommand, and clap's "unrecognized subcommand" error says which one is close.
    let bare_word = args.len() > 1 && !first.starts_with('-');
    if !top_level_flag && !bare_word && !SUBCOMMANDS.contains(&first) {
        args.insert(1.min(args.len()), OsString::from("check"));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        normalize_args(args.iter().map(OsString::from))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn cargo_and_direct_invocations() {
        assert_eq!(norm(&["x", "vendor-audit"]), ["x", "check"]);
        assert_eq!(
            norm(&["x", "vendor-audit", "--format", "json"]),
            ["x", "check", "--format", "json"]
        );
        assert_eq!(
            norm(&["x", "vendor-audit", "check", "-q"]),
            ["x", "check", "-q"]
        );
        assert_eq!(norm(&["x", "--quiet"]), ["x", "check", "--quiet"]);
        assert_eq!(norm(&["x", "--help"]), ["x", "--help"]);
        assert_eq!(norm(&["x"]), ["x", "check"]);
        assert_eq!(norm(&["x", "vendor-audit", "chek"]), ["x", "chek"]);
    }

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
