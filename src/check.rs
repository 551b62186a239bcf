//! `cargo vendor-audit check`: the whole pipeline, from arguments to an exit code.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use crate::cli::{CheckArgs, Format, GraphArgs};
use crate::date::Date;
use crate::facts::api::Progress;
use crate::facts::publisher::CrateKey;
use crate::facts::sources::{self, Mode, SourceOptions};
use crate::facts::{Degraded, PackageFacts};
use crate::graph::{Graph, GraphOptions};
use crate::matcher::{self, Options};
use crate::metadata::{self, CargoInvocation, MetadataSource};
use crate::policy::{self, Policy};
use crate::report::human::{self, Style, Verbosity};
use crate::report::{self, Report, Summary, Tool};
use crate::{Failure, facts};

/// The facts lock's name at the workspace root.
pub const FACTS_LOCK: &str = "vendor-audit.lock";

/// The policy used when none is given or found.
pub const DEFAULT_POLICY: &str = "builtin:us-federal";

/// The graph and policy every graph-reading subcommand starts from.
pub struct Loaded {
    pub graph: Graph,
    pub policy: Policy,
    /// True when no policy was given or found and [`DEFAULT_POLICY`] was used.
    pub default_policy: bool,
    pub today: Date,
}

/// Loads metadata, builds the graph, finds and loads the policy.
pub fn load(args: &GraphArgs) -> Result<Loaded, Failure> {
    let source = match &args.metadata_path {
        Some(p) if p == Path::new("-") => MetadataSource::Stdin,
        Some(p) => MetadataSource::File(p.clone()),
        None => MetadataSource::Cargo(CargoInvocation {
            manifest_path: args.manifest_path.clone(),
            features: args.features.clone(),
            all_features: args.all_features,
            no_default_features: args.no_default_features,
            locked: args.locked,
            offline: args.offline,
            frozen: args.frozen,
        }),
    };
    let metadata = metadata::load(&source).map_err(|e| Failure::new(e.to_string()))?;
    let opts = GraphOptions {
        packages: args.package.clone(),
        workspace: args.workspace,
        exclude: args.exclude.clone(),
        targets: args.target.clone(),
        exclude_dev: args.exclude_dev,
    };
    let graph = Graph::build(&metadata, &opts).map_err(|e| Failure::new(e.to_string()))?;
    let (specs, default_policy) = match args.policy.is_empty() {
        false => (args.policy.clone(), false),
        true => discover_policy(&graph.workspace_root, &graph.workspace_metadata)?,
    };
    let policy = policy::load(&specs).map_err(|e| Failure::policy(e.to_string()))?;
    let today = args.today.unwrap_or_else(Date::today_utc);
    Ok(Loaded {
        graph,
        policy,
        default_policy,
        today,
    })
}

/// SPEC section 1: `vendor-audit.toml` at the workspace root, then `.cargo/vendor-audit.toml`,
/// then `[workspace.metadata.vendor-audit] policy`, else the builtin default.
fn discover_policy(
    root: &Path,
    workspace_metadata: &serde_json::Value,
) -> Result<(Vec<String>, bool), Failure> {
    for candidate in [
        root.join("vendor-audit.toml"),
        root.join(".cargo").join("vendor-audit.toml"),
    ] {
        if candidate.is_file() {
            return Ok((vec![candidate.to_string_lossy().into_owned()], false));
        }
    }
    if let Some(value) = workspace_metadata
        .get("vendor-audit")
        .and_then(|v| v.get("policy"))
    {
        let resolve = |s: &str| -> String {
            if s.starts_with("builtin:") {
                s.to_string()
            } else {
                root.join(s).to_string_lossy().into_owned()
            }
        };
        let specs: Option<Vec<String>> = match value {
            serde_json::Value::String(s) => Some(vec![resolve(s)]),
            serde_json::Value::Array(items) => {
                items.iter().map(|i| i.as_str().map(resolve)).collect()
            }
            _ => None,
        };
        return match specs {
            Some(specs) if !specs.is_empty() => Ok((specs, false)),
            _ => Err(Failure::new(format!(
                "`[workspace.metadata.vendor-audit] policy` in {} must be a path or a list of paths (or builtin:NAME)",
                root.join("Cargo.toml").display()
            ))),
        };
    }
    Ok((vec![DEFAULT_POLICY.to_string()], true))
}

/// Runs `check` and gives the exit code.
pub fn run(args: &CheckArgs, out: &mut dyn Write) -> Result<u8, Failure> {
    let loaded = load(&args.graph)?;
    let report = audit(&loaded, &args.graph)?;
    let is_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let style = Style {
        color: crate::cli::use_color(args.graph.color, is_terminal),
    };
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else if args.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let render = |w: &mut dyn Write| match args.format {
        Format::Json => report.write_json(w),
        Format::Human => human::render(&report, verbosity, style, w),
        Format::Sarif | Format::Markdown | Format::Github => {
            let ctx = report::Context::new(&loaded.graph.workspace_root, args.fail_on);
            match args.format {
                Format::Sarif => report::sarif::render(&report, &ctx, w),
                Format::Markdown => report::markdown::render(&report, &ctx, w),
                _ => report::github::render(&report, &ctx, w),
            }
        }
    };
    match args.output.as_deref() {
        None => {
            // Straight to stdout, in large writes. Every error here is a write error: a
            // closed stdout (`| head`) is not an error worth exit 2.
            let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
            let _ = render(&mut w).and_then(|_| w.flush());
        }
        Some(path) => {
            let mut buf = Vec::new();
            render(&mut buf)
                .map_err(|e| Failure::new(format!("could not render the report: {e}")))?;
            write_output(Some(path), &buf, out)?;
        }
    }
    let code = u8::from(report.fails(args.fail_on));
    // The process ends right after this: leave the graph, facts and report to the OS
    // instead of freeing them piece by piece (a large share of a big run's time).
    std::mem::forget(report);
    std::mem::forget(loaded);
    Ok(code)
}

/// The publisher-fact sources the arguments name (SPEC section 7).
pub fn source_options(loaded: &Loaded, args: &GraphArgs) -> Result<SourceOptions, Failure> {
    let lock = args
        .facts
        .clone()
        .unwrap_or_else(|| loaded.graph.workspace_root.join(FACTS_LOCK));
    let mut options = SourceOptions::new(lock);
    options.db_dump = args.db_dump.clone();
    options.vet_imports = args.vet_imports.clone();
    options.api.base_url = args.crates_io_api.trim_end_matches('/').to_string();
    if !(args.api_rate.is_finite() && args.api_rate > 0.0) {
        return Err(Failure::new(format!(
            "--api-rate must be a positive number of requests per second, not {}",
            args.api_rate
        )));
    }
    options.api.min_interval = Duration::from_secs_f64(1.0 / args.api_rate);
    options.api.offline = args.offline || args.frozen;
    // A long run of API questions says how it goes, on stderr, so a CI log is not silent.
    options.api.progress = Some(Progress(std::sync::Arc::new(|line: &str| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{:>12} {}", "Facts", crate::report::human::clean(line));
    })));
    options.cache_max_age = Some(Duration::from_secs(args.cache_max_age.saturating_mul(3600)));
    Ok(options)
}

/// Which sources `check` may use: `--locked`/`--frozen` the lock only, `--offline` no network.
pub fn mode(args: &GraphArgs) -> Mode {
    if args.locked || args.frozen {
        Mode::Locked
    } else if args.offline {
        Mode::Offline
    } else {
        Mode::Online
    }
}

/// The crates.io packages reached, as the fact sources name them.
pub fn crates_io_packages(graph: &Graph) -> Vec<(usize, CrateKey)> {
    graph
        .reached()
        .filter(|&i| {
            let p = &graph.packages[i];
            p.source
                .as_deref()
                .is_some_and(facts::metadata::is_crates_io)
        })
        .map(|i| {
            let p = &graph.packages[i];
            (i, CrateKey::new(p.name.clone(), p.version.to_string()))
        })
        .collect()
}

/// Every fact about every package: the metadata's, copyright lines with `--scan-sources`,
/// and crates.io owners and publishers from the sources `mode` allows.
pub fn gather_facts(
    loaded: &Loaded,
    args: &GraphArgs,
    mode: Mode,
) -> Result<(Vec<PackageFacts>, Vec<Degraded>), Failure> {
    let (mut facts, mut degraded) = facts::gather(&loaded.graph, args.scan_sources);
    let packages = crates_io_packages(&loaded.graph);
    if packages.is_empty() {
        return Ok((facts, degraded));
    }
    let options = source_options(loaded, args)?;
    let keys: Vec<CrateKey> = packages.iter().map(|(_, k)| k.clone()).collect();
    let gathered = sources::gather_publisher_facts(&options, mode, &keys)
        .map_err(|e| Failure::new(format!("could not read the publisher facts: {e}")))?;
    for (i, key) in &packages {
        if let Some(found) = gathered.facts.get(key) {
            facts[*i].owners = found.owners.clone();
            facts[*i].publisher = found.publisher.clone();
        }
    }
    degraded.extend(gathered.degraded);
    Ok((facts, degraded))
}

/// The matcher's settings from the arguments.
pub fn options(loaded: &Loaded, args: &GraphArgs) -> Options {
    Options {
        today: loaded.today,
        include_workspace: args.include_workspace,
        exclude_dev: args.exclude_dev,
    }
}

/// Facts, matcher and report for a loaded graph and policy.
pub fn audit(loaded: &Loaded, args: &GraphArgs) -> Result<Report, Failure> {
    let (facts, degraded) = gather_facts(loaded, args, mode(args))?;
    let outcome = matcher::evaluate(
        &loaded.graph,
        &facts,
        &loaded.policy,
        &options(loaded, args),
    );
    let mut report = Report {
        schema: 1,
        tool: Tool {
            name: "cargo-vendor-audit".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        policies: loaded.policy.sources.clone(),
        today: loaded.today.to_string(),
        summary: Summary {
            packages: loaded.graph.packages.len(),
            audited: outcome.audited,
            ..Summary::default()
        },
        degraded,
        findings: outcome.findings,
        default_policy: loaded.default_policy,
    };
    report.count();
    Ok(report)
}

/// Writes to FILE (through a temporary file and a rename, so a reader never sees half a
/// report) or to stdout.
pub fn write_output(path: Option<&Path>, bytes: &[u8], out: &mut dyn Write) -> Result<(), Failure> {
    match path {
        None => {
            // A closed stdout (`| head`) is not an error worth exit 2.
            let _ = out.write_all(bytes).and_then(|_| out.flush());
            Ok(())
        }
        Some(path) => write_atomically(path, bytes).map_err(|e| {
            Failure::new(format!(
                "could not write the report to {}: {e}",
                path.display()
            ))
        }),
    }
}

/// Write, then rename into place (see [`crate::facts::cache`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::facts::cache::write_atomic(path, bytes).map_err(|e| e.source)
}
