//! The arguments several subcommands share: where the graph comes from and how it is read,
//! the fact sources, and `--color`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::date::Date;

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

/// `--color`: when to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(
    missing_docs,
    reason = "clap prints a variant's doc comment in --help; these values name themselves"
)]
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
