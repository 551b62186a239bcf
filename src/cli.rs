//! The command line: clap's view of the arguments, turned into settings in one place.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::date::Date;

const ABOUT: &str =
    "Fail the build when the dependency graph pulls in a crate from a restricted entity";

const CHECK_EXAMPLES: &str = "Examples:
  cargo vendor-audit                                  # audit ./Cargo.toml with the policy found or builtin:us-federal
  cargo vendor-audit --policy vendor-audit.toml --format json --output report.json
  cargo vendor-audit --metadata-path metadata.json --policy builtin:us-federal --target x86_64-unknown-linux-gnu";

const POLICY_EXAMPLES: &str = "Examples:
  cargo vendor-audit policy check vendor-audit.toml
  cargo vendor-audit policy check builtin:us-federal --today 2027-01-15
  cargo vendor-audit policy show builtin:example     # every key of the policy file, explained";

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
    #[command(subcommand)]
    pub command: Command,
}

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

/// The options of every subcommand that reads the graph.
#[derive(Debug, Args, Clone)]
pub struct GraphArgs {
    /// The workspace or package to audit (default: ./Cargo.toml, as cargo finds it)
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Read `cargo metadata --format-version 1` output from FILE instead of running cargo (`-` = stdin)
    #[arg(long, value_name = "FILE")]
    pub metadata_path: Option<PathBuf>,
    /// Audit a Cargo.lock without running cargo (features and targets are not applied)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["manifest_path", "metadata_path", "binary", "package", "workspace", "exclude", "features", "all_features", "no_default_features", "target", "host"])]
    pub lockfile: Option<PathBuf>,
    /// Audit what a binary built with `cargo auditable` contains; repeatable
    #[arg(long, value_name = "FILE", conflicts_with_all = ["manifest_path", "metadata_path", "package", "workspace", "exclude", "features", "all_features", "no_default_features", "target", "host"])]
    pub binary: Vec<PathBuf>,
    /// Policy file, or `builtin:NAME`; repeatable (default: vendor-audit.toml, .cargo/vendor-audit.toml,
    /// [workspace.metadata.vendor-audit] policy, else builtin:us-federal)
    #[arg(long, value_name = "PATH")]
    pub policy: Vec<String>,
    /// Package to use as a root of the walk; repeatable
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub package: Vec<String>,
    /// Use every workspace member as a root
    #[arg(long)]
    pub workspace: bool,
    /// Workspace member to leave out of the roots; repeatable
    #[arg(long, value_name = "SPEC")]
    pub exclude: Vec<String>,
    /// Features to activate (forwarded to cargo metadata); comma- or space-separated, repeatable
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Activate all features (forwarded to cargo metadata)
    #[arg(long)]
    pub all_features: bool,
    /// Do not activate the `default` feature (forwarded to cargo metadata)
    #[arg(long)]
    pub no_default_features: bool,
    /// Keep only dependency edges that apply to this target triple; repeatable
    #[arg(long, value_name = "TRIPLE")]
    pub target: Vec<String>,
    /// With --target: the triple build-dependencies and proc-macros are built for, whose
    /// edges are evaluated against it (default: the host `rustc -vV` reports)
    #[arg(long, value_name = "TRIPLE", requires = "target")]
    pub host: Option<String>,
    /// Drop dev-dependency edges
    #[arg(long)]
    pub exclude_dev: bool,
    /// Audit workspace members too (they are walked through but not audited by default)
    #[arg(long)]
    pub include_workspace: bool,
    /// Read copyright lines from each package's own files (license files, source headers)
    #[arg(long)]
    pub scan_sources: bool,
    /// Require Cargo.lock to be up to date (forwarded to cargo metadata)
    #[arg(long)]
    pub locked: bool,
    /// Run without accessing the network (forwarded to cargo metadata)
    #[arg(long)]
    pub offline: bool,
    /// Equivalent to --locked and --offline
    #[arg(long)]
    pub frozen: bool,
    /// The date for `effective` and `expires` comparisons (default: today, UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<Date>,
    /// Coloring of the output
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    /// The facts lock to read, or for `fetch` to write (default: vendor-audit.lock at the workspace root)
    #[arg(long, value_name = "PATH")]
    pub facts: Option<PathBuf>,
    /// A crates.io database dump (the .tar.gz or its extracted folder) to take owners and publishers from
    #[arg(long, value_name = "PATH")]
    pub db_dump: Option<PathBuf>,
    /// A cargo-vet supply-chain/imports.lock to take version publishers from
    #[arg(long, value_name = "PATH")]
    pub vet_imports: Option<PathBuf>,
    /// The crates.io API base URL
    #[arg(long, value_name = "URL", default_value = "https://crates.io")]
    pub crates_io_api: String,
    /// Requests per second to the API; above 1 only with a --crates-io-api other than crates.io
    #[arg(long, value_name = "N", default_value_t = 1.0, value_parser = parse_api_rate)]
    pub api_rate: f64,
    /// Use cached crates.io owners answers up to this many hours old
    #[arg(long, value_name = "HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u64).range(0..=MAX_CACHE_AGE_HOURS))]
    pub cache_max_age: u64,
    /// The facts store (every crates.io owner and publisher, in the cache dir): use a fresh
    /// one, downloading it when many API requests would be needed (auto), never, or require one
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub store: crate::facts::store::source::StoreMode,
    /// A facts store older than this many hours is stale
    #[arg(long, value_name = "HOURS", default_value_t = 24)]
    pub store_max_age: u64,
    /// Where the crates.io database dump is downloaded from
    #[arg(long, value_name = "URL", default_value = crate::facts::store::DEFAULT_DUMP_URL)]
    pub dump_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The slowest `--api-rate`: one request every 1,000 seconds.
pub const MIN_API_RATE: f64 = 0.001;
/// The fastest `--api-rate`: a thousand requests a second.
pub const MAX_API_RATE: f64 = 1000.0;
/// The oldest cached answer `--cache-max-age` can accept: ten years.
pub const MAX_CACHE_AGE_HOURS: u64 = 10 * 366 * 24;

/// `--api-rate`: a finite number of requests per second within reason, so the pause it
/// implies is a real duration.
fn parse_api_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of requests per second"))?;
    if !rate.is_finite() || !(MIN_API_RATE..=MAX_API_RATE).contains(&rate) {
        return Err(format!(
            "give a number of requests per second from {MIN_API_RATE} to {MAX_API_RATE}, not `{s}`"
        ));
    }
    Ok(rate)
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

/// Whether to colour output, from `--color`, `CARGO_TERM_COLOR`, `NO_COLOR` and whether the
/// output is a terminal, in that order of precedence.
pub fn use_color(flag: Option<ColorChoice>, is_terminal: bool) -> bool {
    let env = std::env::var("CARGO_TERM_COLOR").ok();
    let choice = flag.or(match env.as_deref() {
        Some("always") => Some(ColorChoice::Always),
        Some("never") => Some(ColorChoice::Never),
        _ => None,
    });
    match choice {
        Some(ColorChoice::Always) => true,
        Some(ColorChoice::Never) => false,
        _ => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && is_terminal,
    }
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
