//! The pipeline every graph-reading subcommand shares: load the graph and the policy,
//! gather the facts, audit, write the output. The subcommands in [`crate::commands`]
//! call it; benches and embedders can too.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::args::GraphArgs;
use crate::date::Date;
use crate::facts::api::Progress;
use crate::facts::publisher::CrateKey;
use crate::facts::sources::{self, Mode, SourceOptions};
use crate::facts::store::source::{StoreMode, StoreOptions};
use crate::facts::{Degraded, PackageFacts};
use crate::graph::{Graph, GraphOptions};
use crate::input::metadata::{CargoInvocation, MetadataSource};
use crate::input::{self, Input, Notes};
use crate::matcher::{self, Options};
use crate::policy::{self, Level, MatcherKind, Policy};
use crate::report::{Code, Finding, PackageRef, Report, Severity, Summary, Tool};
use crate::{Error, facts};

/// The policy used when none is given or found.
pub const DEFAULT_POLICY: &str = "builtin:us-federal";

/// The graph and policy every graph-reading subcommand starts from.
pub struct Loaded {
    /// The graph walked from the selected roots.
    pub graph: Graph,
    /// What the input could not supply.
    pub input_notes: input::Notes,
    /// The loaded policy: the `--policy` files merged, else the one found, else [`DEFAULT_POLICY`].
    pub policy: Policy,
    /// True when no policy was given or found and [`DEFAULT_POLICY`] was used.
    pub default_policy: bool,
    /// `--today`, else today's date in UTC.
    pub today: Date,
}

/// Loads metadata, builds the graph, finds and loads the policy.
pub fn load(args: &GraphArgs) -> Result<Loaded, Error> {
    let input = match (&args.lockfile, args.binary.is_empty(), &args.metadata_path) {
        (Some(lock), _, _) => Input::Lockfile(lock.clone()),
        (None, false, _) => Input::Binaries(args.binary.clone()),
        (None, true, Some(p)) if p == Path::new("-") => Input::Metadata(MetadataSource::Stdin),
        (None, true, Some(p)) => Input::Metadata(MetadataSource::File(p.clone())),
        (None, true, None) => Input::Metadata(MetadataSource::Cargo(CargoInvocation {
            manifest_path: args.manifest_path.clone(),
            features: args.features.clone(),
            all_features: args.all_features,
            no_default_features: args.no_default_features,
            locked: args.locked,
            offline: args.offline,
            frozen: args.frozen,
        })),
    };
    let opts = GraphOptions {
        packages: args.package.clone(),
        workspace: args.workspace,
        exclude: args.exclude.clone(),
        targets: args.target.clone(),
        host: args.host.clone(),
        exclude_dev: args.exclude_dev,
    };
    let (graph, input_notes) = input::load(&input, &opts)?;
    let (specs, default_policy) = match args.policy.is_empty() {
        false => (args.policy.clone(), false),
        true => discover_policy(&graph.workspace_root, &graph.workspace_metadata)?,
    };
    let policy = policy::load(&specs)?;
    let today = args.today.unwrap_or_else(Date::today_utc);
    Ok(Loaded {
        graph,
        input_notes,
        policy,
        default_policy,
        today,
    })
}

/// The book's inputs chapter (docs/src/inputs.md): `vendor-audit.toml` at the workspace root, then `.cargo/vendor-audit.toml`,
/// then `[workspace.metadata.vendor-audit] policy`, else the builtin default.
fn discover_policy(
    root: &Path,
    workspace_metadata: &serde_json::Value,
) -> Result<(Vec<String>, bool), Error> {
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
            _ => Err(Error::Usage(format!(
                "`[workspace.metadata.vendor-audit] policy` in {} must be a path or a list of paths (or builtin:NAME)",
                root.join("Cargo.toml").display()
            ))),
        };
    }
    Ok((vec![DEFAULT_POLICY.to_string()], true))
}

/// Environment variable: seconds a run of crates.io API questions may take on top of its
/// pace (default [`crate::facts::api::DEFAULT_GRACE`]).
pub const API_GRACE_ENV: &str = "CARGO_VENDOR_AUDIT_API_GRACE";

/// The publisher-fact sources the arguments name (book: docs/src/facts.md).
pub fn source_options(loaded: &Loaded, args: &GraphArgs) -> Result<SourceOptions, Error> {
    let lock = args.facts.clone().unwrap_or_else(|| {
        loaded
            .graph
            .workspace_root
            .join(facts::lock::DEFAULT_FILE_NAME)
    });
    let mut options = SourceOptions::new(lock);
    options.db_dump = args.db_dump.clone();
    options.vet_imports = args.vet_imports.clone();
    options.api.base_url = args.crates_io_api.trim_end_matches('/').to_string();
    if !(args.api_rate.is_finite() && args.api_rate > 0.0) {
        return Err(Error::Usage(format!(
            "--api-rate must be a positive number of requests per second, not {}",
            args.api_rate
        )));
    }
    options.api.min_interval = Duration::from_secs_f64(1.0 / args.api_rate);
    options.api.offline = args.offline || args.frozen;
    // The time a run of API questions may take beyond its pace; tests shorten it.
    if let Some(secs) = std::env::var_os(API_GRACE_ENV) {
        let secs = secs.to_string_lossy();
        options.api.grace = secs
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && (0.0..=86_400.0).contains(s))
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{API_GRACE_ENV}=`{}` is not a number of seconds between 0 and 86400",
                    crate::report::human::clean(&secs)
                ))
            })?;
    }
    // A long run of API questions says how it goes, on stderr, so a CI log is not silent.
    options.api.progress = Some(Progress(std::sync::Arc::new(|line: &str| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{:>12} {}", "Facts", crate::report::human::clean(line));
    })));
    options.cache_max_age = Some(Duration::from_secs(args.cache_max_age.saturating_mul(3600)));
    Ok(options)
}

/// How the facts store may be used (book: docs/src/facts.md, "The facts store"); `None` with `--store never`.
/// `may_update`: `check` and `fetch` may download it first.
pub fn store_options(args: &GraphArgs, may_update: bool) -> Option<StoreOptions> {
    (args.store != StoreMode::Never).then(|| StoreOptions {
        mode: args.store,
        dir: None,
        max_age: Duration::from_secs(args.store_max_age.saturating_mul(3600)),
        dump_url: args.dump_url.clone(),
        may_update: may_update && store_may_update(args),
        offline: args.offline || args.frozen,
        cache: None,
    })
}

/// Whether `check` and `fetch` may download the facts store: not when the API is another
/// than crates.io (a mirror or a test server) while the dump would still come from
/// crates.io, whose facts may not be that API's.
pub fn store_may_update(args: &GraphArgs) -> bool {
    crate::facts::api::is_crates_io_url(&args.crates_io_api)
        || args.dump_url != crate::facts::store::DEFAULT_DUMP_URL
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
                .is_some_and(facts::metadata::is_crates_io_source)
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
) -> Result<(Vec<PackageFacts>, Vec<Degraded>), Error> {
    gather_facts_with(loaded, args, mode, None, false)
}

/// [`gather_facts`] with two choices: `only` limits owners and publishers to the packages
/// it lists (by graph index), so that `explain CRATE` asks the API about that crate alone;
/// `may_update`: the facts store may be downloaded first (`check`).
pub fn gather_facts_with(
    loaded: &Loaded,
    args: &GraphArgs,
    mode: Mode,
    only: Option<&[usize]>,
    may_update: bool,
) -> Result<(Vec<PackageFacts>, Vec<Degraded>), Error> {
    let (mut facts, mut degraded) = facts::gather(&loaded.graph, args.scan_sources);
    loaded.input_notes.apply(&mut facts);
    let mut packages = crates_io_packages(&loaded.graph);
    if let Some(only) = only {
        packages.retain(|(i, _)| only.contains(i));
    }
    if packages.is_empty() {
        return Ok((facts, degraded));
    }
    let options = source_options(loaded, args)?;
    let keys: Vec<CrateKey> = packages.iter().map(|(_, k)| k.clone()).collect();
    let store = store_options(args, may_update);
    let gathered =
        sources::gather_with_store(&options, store, mode, &keys).map_err(Error::Facts)?;
    for (i, key) in &packages {
        if let Some(found) = gathered.facts.get(key) {
            facts[*i].owners = found.owners.clone();
            facts[*i].publisher = found.publisher.clone();
        }
    }
    degraded.extend(gathered.degraded);
    Ok((facts, degraded))
}

/// Names the API base URL in the evidence of facts answered by an API other than
/// crates.io (`--crates-io-api URL`): the answer cache is kept per base URL, so every
/// `crates-io-api` fact of a run comes from the run's base.
pub fn name_api_base(findings: &mut [crate::report::Finding], args: &GraphArgs) {
    let base = args.crates_io_api.trim_end_matches('/');
    if base.eq_ignore_ascii_case(crate::facts::api::DEFAULT_BASE_URL) {
        return;
    }
    for finding in findings {
        for ev in &mut finding.evidence {
            if ev.provenance == facts::Provenance::CratesIoApi {
                ev.api_base = Some(base.to_string());
            }
        }
    }
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
pub fn audit(loaded: &Loaded, args: &GraphArgs) -> Result<Report, Error> {
    audit_with_facts(loaded, args).map(|(report, _)| report)
}

/// [`audit`], also giving the facts of every package (the SBOM lists them).
pub fn audit_with_facts(
    loaded: &Loaded,
    args: &GraphArgs,
) -> Result<(Report, Vec<PackageFacts>), Error> {
    let (facts, degraded) = gather_facts_with(loaded, args, mode(args), None, true)?;
    let mut outcome = matcher::evaluate(
        &loaded.graph,
        &facts,
        &loaded.policy,
        &options(loaded, args),
    );
    name_api_base(&mut outcome.findings, args);
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
    annotate(
        &loaded.input_notes,
        &loaded.graph,
        &loaded.policy,
        args.include_workspace,
        &mut report,
    );
    Ok((report, facts))
}

/// Writes to FILE (through a temporary file and a rename, so a reader never sees half a
/// report) or to stdout.
pub fn write_output(path: Option<&Path>, bytes: &[u8], out: &mut dyn Write) -> Result<(), Error> {
    match path {
        None => out
            .write_all(bytes)
            .and_then(|_| out.flush())
            .map_err(|source| Error::Write {
                doing: "write to stdout",
                source,
            }),
        Some(path) => crate::files::write_output(path, bytes).map_err(|source| Error::Io {
            doing: "write the report to",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Matchers that read a package's repository or homepage.
const URL_MATCHERS: [MatcherKind; 3] = [
    MatcherKind::Orgs,
    MatcherKind::Hosts,
    MatcherKind::Repositories,
];

/// Applies an input's notes to a finished report: its `degraded` entries, a
/// `missing-facts` finding for each audited crates.io package whose repository and
/// homepage are unknown while a policy matcher reads them, and the binary each finding's
/// package was found in.
pub fn annotate(
    notes: &Notes,
    graph: &Graph,
    policy: &Policy,
    include_workspace: bool,
    report: &mut Report,
) {
    report.degraded.extend(notes.degraded.iter().cloned());
    let severity = match policy.settings.missing_facts {
        Level::Deny => Some(Severity::Deny),
        Level::Warn => Some(Severity::Warn),
        Level::Allow => None,
    };
    let readers: Vec<&str> = policy
        .entities
        .iter()
        .filter(|e| e.matchers.iter().any(|m| URL_MATCHERS.contains(&m.kind)))
        .map(|e| e.id.as_str())
        .collect();
    if let (Some(severity), false) = (severity, readers.is_empty()) {
        let in_scope = policy.settings.dependency_kinds;
        let finder = graph.path_finder();
        let mut added = Vec::new();
        for i in graph.reached() {
            let pkg = &graph.packages[i];
            let unknown = notes.unknown_origin.get(i).copied().unwrap_or(false);
            if !unknown
                || (pkg.workspace_member && !include_workspace)
                || graph.kinds[i].intersect(in_scope).is_empty()
            {
                continue;
            }
            let sentence = format!(
                "the repository and homepage of {} {} are unknown (the input does not record them and the local cargo registry cache does not have the crate), so the orgs, hosts and repositories matchers of {} could not be evaluated",
                pkg.name,
                pkg.version,
                readers.join(", ")
            );
            // One missing-facts finding per package: join the one about publisher facts.
            if let Some(f) = report.findings.iter_mut().find(|f| {
                f.code == Code::MissingFacts && f.package.as_ref().is_some_and(|p| p.id == pkg.id)
            }) {
                f.message = format!("{}; {sentence}", f.message);
                f.severity = f.severity.min(severity);
                continue;
            }
            let kinds = graph.kinds[i].intersect(in_scope);
            let paths = finder
                .paths(i, kinds, 5)
                .iter()
                .map(|p| p.iter().map(|s| graph.packages[s.package].spec()).collect())
                .collect();
            added.push(Finding {
                code: Code::MissingFacts,
                severity,
                entity: None,
                package: Some(PackageRef {
                    name: pkg.name.clone(),
                    version: pkg.version.to_string(),
                    id: pkg.id.clone(),
                    source: pkg.source.clone(),
                }),
                kinds: kinds.iter().map(|k| k.as_str().to_string()).collect(),
                evidence: Vec::new(),
                paths,
                exception: None,
                message: sentence,
                entity_detail: None,
                path_kinds: Vec::new(),
            });
        }
        report.findings.extend(added);
        matcher::sort(&mut report.findings);
    }
    if !notes.found_in.is_empty() {
        for f in &mut report.findings {
            let Some(p) = &f.package else { continue };
            let Some(i) = graph.packages.iter().position(|q| q.id == p.id) else {
                continue;
            };
            if let Some(files) = notes.found_in.get(i).filter(|f| !f.is_empty()) {
                f.message = format!("{} (in {})", f.message, files.join(", "));
            }
        }
    }
    report.count();
}
