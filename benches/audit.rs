//! Whole-process and per-stage benchmarks of `cargo vendor-audit` (harness = false).
//!
//!     cargo bench --bench audit                 # every group, about 3 minutes
//!     cargo bench --bench audit -- corpus dump  # some groups
//!     cargo bench --bench audit -- --runs 3     # fewer runs per case
//!     cargo bench --bench audit -- graphs --keep DIR  # keep the generated inputs in DIR
//!     cargo bench --bench audit -- corpus --baseline OLD_BINARY  # old and new, interleaved
//!
//! Groups: `corpus` (the three corpus graphs, whole process), `stages` (load, graph,
//! facts, match, render in-process, on the corpus), `graphs` (generated graphs of 1k to
//! 50k packages, and three shapes: a 50,000-deep chain, 30,000 path packages before 300
//! crates.io packages, a root with 250,000 direct dependencies), `policies` (generated
//! policies of 10 to 20,000 entities on deno), `dump` (the crates.io dump reader on
//! generated dumps of two sizes), `store` (the facts store: built from a crates.io-sized
//! generated zip, looked up, read by `check` on deno warm, and downloaded cold from a
//! server on 127.0.0.1), `e2e` (`cargo
//! metadata` alone versus `cargo vendor-audit` on this repository), `deny` (cargo-deny
//! on deno in the same run, when `CARGO_DENY` or `cargo-deny` on PATH names it).
//!
//! Whole-process cases run the release binary several times and report the median wall
//! time and the median peak RSS (from `wait4`). Inputs are generated, seeded, into a
//! temporary folder. Every case uses `--locked` so that no fact source touches the network.
//!
//! With `--baseline BIN` (another build of `cargo-vendor-audit`, e.g. of an older commit),
//! every whole-process case of this binary also runs `BIN`, one run of each in turn, so
//! both see the same load; a table at the end gives each case's ratio.

#[path = "../tests/it/support/corpus.rs"]
mod corpus;
#[path = "../tests/it/support/fake_static.rs"]
mod fake_static;
// Shared with the tests, which use other parts of it and run its unit tests.
#[allow(dead_code)]
#[cfg_attr(test, allow(unused_imports))]
mod generate;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cargo_vendor_audit::cli::{self, GraphArgs};
use cargo_vendor_audit::date::Date;
use cargo_vendor_audit::facts;
use cargo_vendor_audit::graph::{Graph, GraphOptions};
use cargo_vendor_audit::input::metadata::{self, MetadataSource};
use cargo_vendor_audit::matcher::{self, Options};
use cargo_vendor_audit::pipeline::{Loaded, audit};
use cargo_vendor_audit::policy;
use cargo_vendor_audit::report::{Report, Summary, Tool};

// The allocator of the binary, so that the in-process stage rows compare with it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-vendor-audit");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TODAY: &str = "2026-11-27";
const CORPUS: [&str; 3] = ["ripgrep", "wasmtime", "deno"];
const GROUPS: [&str; 8] = [
    "corpus", "stages", "graphs", "policies", "dump", "store", "e2e", "deny",
];

fn main() {
    if std::env::var_os("AUDIT_BENCH_CHILD").is_some() {
        measure();
        return;
    }
    if let Ok(job) = std::env::var("AUDIT_BENCH_JOB") {
        child(&job);
        return;
    }
    let mut runs: Option<usize> = None;
    let mut keep: Option<PathBuf> = None;
    let mut baseline: Option<String> = None;
    let mut groups: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()),
            "--keep" => keep = args.next().map(PathBuf::from),
            "--baseline" => baseline = args.next(),
            g if GROUPS.contains(&g) => groups.push(g.to_string()),
            other => {
                eprintln!(
                    "unknown argument `{other}`; groups: {}, --runs N, --keep DIR and --baseline BIN",
                    GROUPS.join(" ")
                );
                std::process::exit(2);
            }
        }
    }
    if groups.is_empty() {
        groups = GROUPS.iter().map(|g| g.to_string()).collect();
    }
    let tmp = tempfile::tempdir().expect("temporary folder");
    let inputs = match keep {
        Some(dir) => {
            std::fs::create_dir_all(&dir).expect("the --keep folder");
            dir
        }
        None => tmp.path().to_path_buf(),
    };
    let mut b = Bench {
        tmp: inputs,
        runs,
        results: Vec::new(),
        store_size: None,
        baseline,
    };
    println!("machine: {}", machine());
    println!("binary: {BIN}");
    if let Some(old) = &b.baseline {
        println!("baseline: {old} (rows marked [baseline])");
    }
    println!();
    println!("| case | median wall | min wall | median CPU | peak RSS (median) | runs |");
    println!("|---|---:|---:|---:|---:|---:|");
    for g in &groups {
        match g.as_str() {
            "corpus" => b.corpus(),
            "stages" => b.stages(),
            "graphs" => b.graphs(),
            "policies" => b.policies(),
            "dump" => b.dump(),
            "store" => b.store(),
            "e2e" => b.e2e(),
            "deny" => b.deny(),
            _ => unreachable!(),
        }
    }
    b.targets();
    b.against_baseline();
}

/// One measured case.
struct Stat {
    case: String,
    median: Duration,
    min: Duration,
    /// Median user + system CPU time (whole-process cases).
    cpu: Option<Duration>,
    rss_kib: u64,
    runs: usize,
}

struct Bench {
    tmp: PathBuf,
    runs: Option<usize>,
    results: Vec<Stat>,
    store_size: Option<u64>,
    /// Another build to run beside `BIN` in every whole-process case (`--baseline`).
    baseline: Option<String>,
}

/// The committed corpus metadata (`tests/fixtures/corpus/NAME.metadata.json.gz`), unpacked.
fn corpus_path(name: &str) -> PathBuf {
    corpus::path(&format!("{name}.metadata.json"))
}

/// The arguments of an audit of a metadata file with a policy, JSON to stdout.
fn check_args(metadata: &Path, policy: &str) -> Vec<String> {
    vec![
        "vendor-audit".into(),
        "check".into(),
        "--metadata-path".into(),
        metadata.display().to_string(),
        "--policy".into(),
        policy.into(),
        "--format".into(),
        "json".into(),
        "--today".into(),
        TODAY.into(),
        "--locked".into(),
        "--fail-on".into(),
        "never".into(),
    ]
}

/// The graph arguments of a bare `check`.
fn graph_args() -> GraphArgs {
    use clap::Parser;
    match cli::Cli::parse_from(["cargo-vendor-audit", "check", "--locked"]).command {
        cli::Command::Check(args) => args.graph,
        _ => unreachable!("`check` parses as check"),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Runs `program args` once with stdout to `out`; wall time and peak RSS (KiB).
///
/// Through a fresh copy of this bench binary (`AUDIT_BENCH_CHILD=measure`), which spawns
/// the program and waits for it with `wait4`: a child's peak RSS counts the memory of the
/// process it was forked from, so that process must be small, and this one is not.
fn run_once(program: &str, args: &[String], env: &[(&str, String)], out: &Path) -> Sample {
    let result = out.with_extension("measure");
    let mut cmd = Command::new(std::env::current_exe().expect("bench binary"));
    cmd.arg(program)
        .args(args)
        .env("AUDIT_BENCH_CHILD", "measure")
        .env("AUDIT_BENCH_RESULT", &result)
        .stdout(Stdio::from(File::create(out).expect("output file")))
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let text = std::fs::read_to_string(&result).unwrap_or_default();
    let mut fields = text
        .split_whitespace()
        .map(|f| f.parse::<u64>().unwrap_or(0));
    let (code, nanos, rss, cpu) = match (fields.next(), fields.next(), fields.next(), fields.next())
    {
        (Some(c), Some(n), Some(r), Some(u)) => (c, n, r, u),
        _ => panic!(
            "{program} {args:?} could not be measured: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    };
    if code > 1 {
        panic!(
            "{program} {args:?} exited with {code}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Sample {
        wall: Duration::from_nanos(nanos),
        cpu: Duration::from_nanos(cpu),
        rss_kib: rss,
    }
}

/// One run of a whole process.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    /// User + system CPU time: less disturbed than wall time by other load on the machine.
    cpu: Duration,
    rss_kib: u64,
}

/// `AUDIT_BENCH_CHILD=measure PROGRAM ARGS...`: runs it, writes `code nanos maxrss_kib`.
fn measure() {
    let mut args = std::env::args_os().skip(1);
    let program = args.next().expect("program");
    let env_clear = ["AUDIT_BENCH_CHILD", "AUDIT_BENCH_RESULT"];
    let result = std::env::var_os("AUDIT_BENCH_RESULT").expect("result path");
    let mut cmd = Command::new(program);
    cmd.args(args);
    for k in env_clear {
        cmd.env_remove(k);
    }
    let start = Instant::now();
    // Reaped by wait4 below, which also gives its resource usage (Child::wait does not).
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 fills it for our own child.
    #[allow(unsafe_code)]
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unreaped child; `status` and `usage` are live locals.
    #[allow(unsafe_code)]
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(r, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        99
    };
    let tv = |t: libc::timeval| t.tv_sec as u128 * 1_000_000_000 + t.tv_usec as u128 * 1000;
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    std::fs::write(
        result,
        format!("{code} {} {} {cpu}", wall.as_nanos(), usage.ru_maxrss),
    )
    .expect("result file");
}

impl Bench {
    fn runs(&self, default: usize) -> usize {
        self.runs.unwrap_or(default).max(1)
    }

    /// Measures a whole process `runs` times (after one warm-up run) and prints a row.
    fn process(
        &mut self,
        case: &str,
        program: &str,
        args: &[String],
        env: &[(&str, String)],
        runs: usize,
    ) {
        let out = self.tmp.join("out");
        let baseline = self.baseline.clone().filter(|_| program == BIN);
        run_once(program, args, env, &out);
        let Some(old) = baseline else {
            let samples = (0..runs)
                .map(|_| run_once(program, args, env, &out))
                .collect();
            self.record_samples(case, samples);
            return;
        };
        run_once(&old, args, env, &out);
        let (mut new_samples, mut old_samples) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            new_samples.push(run_once(program, args, env, &out));
            old_samples.push(run_once(&old, args, env, &out));
        }
        self.record_samples(case, new_samples);
        self.record_samples(&format!("{case} [baseline]"), old_samples);
    }

    /// With `--baseline`: each case's median wall and CPU time against the baseline's.
    fn against_baseline(&self) {
        if self.baseline.is_none() {
            return;
        }
        println!();
        println!(
            "| case | this build (wall / CPU) | baseline (wall / CPU) | wall ratio | CPU ratio |"
        );
        println!("|---|---:|---:|---:|---:|");
        for new in &self.results {
            let Some(old) = self.median_of(&format!("{} [baseline]", new.case)) else {
                continue;
            };
            let (Some(nc), Some(oc)) = (new.cpu, old.cpu) else {
                continue;
            };
            println!(
                "| {} | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {:.2} | {:.2} |",
                new.case,
                ms(new.median),
                ms(nc),
                ms(old.median),
                ms(oc),
                new.median.as_secs_f64() / old.median.as_secs_f64(),
                nc.as_secs_f64() / oc.as_secs_f64()
            );
        }
    }

    fn record_samples(&mut self, case: &str, samples: Vec<Sample>) {
        let cpu = median(samples.iter().map(|s| s.cpu).collect());
        let rss = median(samples.iter().map(|s| s.rss_kib).collect());
        let walls = samples.iter().map(|s| s.wall).collect();
        self.record_full(case, walls, Some(cpu), rss);
    }

    /// An in-process measurement: wall times only.
    fn record(&mut self, case: &str, walls: Vec<Duration>, rss_kib: u64) {
        self.record_full(case, walls, None, rss_kib);
    }

    fn record_full(
        &mut self,
        case: &str,
        walls: Vec<Duration>,
        cpu: Option<Duration>,
        rss_kib: u64,
    ) {
        let runs = walls.len();
        let min = *walls.iter().min().expect("runs");
        let stat = Stat {
            case: case.to_string(),
            median: median(walls),
            min,
            cpu,
            rss_kib,
            runs,
        };
        let rss = if stat.rss_kib == 0 {
            "-".to_string()
        } else {
            format!("{:.1} MiB", stat.rss_kib as f64 / 1024.0)
        };
        let cpu = stat
            .cpu
            .map_or("-".to_string(), |c| format!("{:.1} ms", ms(c)));
        println!(
            "| {} | {:.1} ms | {:.1} ms | {cpu} | {rss} | {} |",
            stat.case,
            ms(stat.median),
            ms(stat.min),
            stat.runs
        );
        self.results.push(stat);
    }

    fn median_of(&self, case: &str) -> Option<&Stat> {
        self.results.iter().find(|s| s.case == case)
    }

    fn corpus(&mut self) {
        let runs = self.runs(11);
        for name in CORPUS {
            let args = check_args(&corpus_path(name), "builtin:us-federal");
            self.process(&format!("check {name} (json)"), BIN, &args, &[], runs);
        }
        let mut args = check_args(&corpus_path("deno"), "builtin:us-federal");
        args[7] = "human".into();
        self.process("check deno (human)", BIN, &args, &[], runs);
    }

    fn stages(&mut self) {
        let runs = self.runs(11);
        for name in CORPUS {
            self.stages_of(name, &corpus_path(name), "builtin:us-federal", runs);
        }
        // check::audit as `check` calls it (facts + match + report), for the record.
        let path = corpus_path("deno");
        let metadata = metadata::load(&MetadataSource::File(path)).unwrap();
        let loaded = Loaded {
            graph: Graph::build(&metadata, &GraphOptions::default()).unwrap(),
            input_notes: Default::default(),
            policy: policy::load(&["builtin:us-federal".to_string()]).unwrap(),
            default_policy: false,
            today: TODAY.parse().unwrap(),
        };
        let args = graph_args();
        let walls = (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(audit(&loaded, &args).unwrap());
                t.elapsed()
            })
            .collect();
        self.record("stage facts+match+report (check::audit): deno", walls, 0);
    }

    /// Each stage of `check` in-process, `runs` times after a warm-up run.
    fn stages_of(&mut self, label: &str, path: &Path, policy_spec: &str, runs: usize) {
        let mut times: [Vec<Duration>; 6] = Default::default();
        for _ in 0..runs + 1 {
            let t = Instant::now();
            let metadata = metadata::load(&MetadataSource::File(path.to_path_buf())).unwrap();
            times[0].push(t.elapsed());
            let t = Instant::now();
            let graph = Graph::build(&metadata, &GraphOptions::default()).unwrap();
            times[1].push(t.elapsed());
            let t = Instant::now();
            let policy = policy::load(&[policy_spec.to_string()]).unwrap();
            times[2].push(t.elapsed());
            let t = Instant::now();
            let (facts, degraded) = facts::gather(&graph, false);
            times[3].push(t.elapsed());
            let today: Date = TODAY.parse().unwrap();
            let opts = Options {
                today,
                include_workspace: false,
                exclude_dev: false,
            };
            let t = Instant::now();
            let outcome = matcher::evaluate(&graph, &facts, &policy, &opts);
            times[4].push(t.elapsed());
            let report = Report {
                schema: 1,
                tool: Tool {
                    name: "cargo-vendor-audit".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                },
                policies: policy.sources.clone(),
                today: TODAY.into(),
                summary: Summary {
                    packages: graph.packages.len(),
                    audited: outcome.audited,
                    ..Summary::default()
                },
                degraded,
                findings: outcome.findings,
                default_policy: false,
            };
            let t = Instant::now();
            let mut buf = Vec::new();
            report.write_json(&mut buf).unwrap();
            times[5].push(t.elapsed());
        }
        for (i, stage) in ["load", "graph", "policy", "facts", "match", "render json"]
            .iter()
            .enumerate()
        {
            let mut walls = std::mem::take(&mut times[i]);
            walls.remove(0); // warm-up
            self.record(&format!("stage {stage}: {label}"), walls, 0);
        }
    }

    fn graphs(&mut self) {
        let runs = self.runs(5);
        for n in [1_000, 10_000, 12_500, 50_000] {
            let path = self.tmp.join(format!("graph-{n}.json"));
            let mut f = std::io::BufWriter::new(File::create(&path).unwrap());
            generate::graph::write_metadata(
                generate::graph::GraphSpec {
                    packages: n,
                    seed: 1,
                },
                &mut f,
            )
            .unwrap();
            drop(f);
            let args = check_args(&path, "builtin:us-federal");
            self.process(
                &format!("check generated {n} packages (json)"),
                BIN,
                &args,
                &[],
                runs,
            );
            if n == 50_000 {
                self.stages_of("generated 50000", &path, "builtin:us-federal", 1);
            }
        }
        // Shapes that once cost quadratic time or a deep recursion in the graph stage.
        use generate::graph::Shape;
        for shape in [
            Shape::Chain(50_000),
            Shape::PathsBeforeRegistry {
                paths: 30_000,
                registry: 300,
            },
            Shape::WideRoot(250_000),
        ] {
            let path = self.tmp.join(format!("{}.json", shape.label()));
            let mut f = std::io::BufWriter::new(File::create(&path).unwrap());
            generate::graph::write_shape(shape, &mut f).unwrap();
            drop(f);
            let args = check_args(&path, "builtin:us-federal");
            self.process(
                &format!("check {} (json)", shape.label()),
                BIN,
                &args,
                &[],
                runs.min(3),
            );
        }
    }

    fn policies(&mut self) {
        let runs = self.runs(7);
        let deno = corpus_path("deno");
        let args = check_args(&deno, "builtin:us-federal");
        self.process("check deno, shipped policy", BIN, &args, &[], runs);
        for n in [10, 1_000, 20_000] {
            let path = self.tmp.join(format!("policy-{n}.toml"));
            std::fs::write(&path, generate::policy::policy_toml(n, 1)).unwrap();
            let args = check_args(&deno, &path.display().to_string());
            self.process(
                &format!("check deno, {n} generated entities"),
                BIN,
                &args,
                &[],
                runs,
            );
            if n == 20_000 {
                // The human report folds missing-facts findings into one line: this shows
                // the policy's cost without the JSON's per-finding list of entities.
                let mut human = check_args(&deno, "builtin:us-federal");
                human[7] = "human".into();
                self.process("check deno (human), shipped policy", BIN, &human, &[], runs);
                human[5] = path.display().to_string();
                self.process(
                    "check deno (human), 20000 generated entities",
                    BIN,
                    &human,
                    &[],
                    runs,
                );
                let spec = path.display().to_string();
                self.stages_of("deno, 20000 entities", &corpus_path("deno"), &spec, 1);
            }
        }
        // The policy stage alone, and the matcher's index, in-process.
        let path = self.tmp.join("policy-20000.toml");
        let spec = vec![path.display().to_string()];
        let walls = (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(policy::load(&spec).unwrap());
                t.elapsed()
            })
            .collect();
        self.record("stage policy load: 20000 entities", walls, 0);
        // The floor under the policy stage: the toml crate's span-keeping parse of the
        // text alone, before any checking.
        let text = std::fs::read_to_string(&path).unwrap();
        let walls = (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(toml::de::DeTable::parse(&text).unwrap());
                t.elapsed()
            })
            .collect();
        self.record(
            &format!(
                "stage TOML parse alone ({:.1} MB): 20000 entities",
                text.len() as f64 / 1e6
            ),
            walls,
            0,
        );
        let policy = policy::load(&spec).unwrap();
        let today: Date = TODAY.parse().unwrap();
        let walls = (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(matcher::Index::new(&policy, today));
                t.elapsed()
            })
            .collect();
        self.record("stage matcher index: 20000 entities", walls, 0);
    }

    fn dump(&mut self) {
        let runs = self.runs(3);
        let exe = std::env::current_exe().unwrap().display().to_string();
        for (label, scale) in [("1/4 size", 0.25), ("full size", 1.0)] {
            let spec = generate::dump::DumpSpec::realistic(scale);
            let path = self.tmp.join(format!("dump-{scale}.tar.gz"));
            let t = Instant::now();
            let written = generate::dump::write_tar_gz(
                &spec,
                std::io::BufWriter::new(File::create(&path).unwrap()),
            )
            .unwrap();
            eprintln!(
                "generated the {label} dump ({} crates, {} owner rows, {} versions): {:.0} MB of CSV, {:.0} MB gzipped, in {:.1} s",
                spec.crates,
                spec.owners,
                spec.versions,
                written.csv_bytes as f64 / 1e6,
                written.archive_bytes as f64 / 1e6,
                t.elapsed().as_secs_f64()
            );
            let mb = written.csv_bytes as f64 / 1e6;
            for (job, what) in [("gunzip", "gunzip+untar only"), ("read", "read_dump")] {
                let env = [(
                    "AUDIT_BENCH_JOB",
                    format!("{job}:{scale}:{}", path.display()),
                )];
                let case = format!("dump {label} ({mb:.0} MB CSV): {what}");
                self.process(&case, &exe, &[], &env, runs);
                let s = self.results.last().unwrap();
                println!(
                    "|   -> {:.0} MB/s of uncompressed CSV | | | | | |",
                    mb / s.median.as_secs_f64()
                );
            }
        }
    }

    fn store(&mut self) {
        let runs = self.runs(5);
        // deno's crates.io packages, added to the dump so that its lookups find them.
        let deno = corpus_path("deno");
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&deno).unwrap()).unwrap();
        let keys: Vec<facts::publisher::CrateKey> = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| {
                p["source"]
                    .as_str()
                    .is_some_and(|s| s.contains("crates.io-index"))
            })
            .map(|p| {
                facts::publisher::CrateKey::new(
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap(),
                )
            })
            .collect();
        // crates.io's size: 200,000 crates and 2,000,000 versions.
        let spec = generate::dump::DumpSpec::realistic(4.0 / 3.0);
        let zip_path = self.tmp.join("db-dump.zip");
        let t = Instant::now();
        let written = generate::dump::write_zip_with(
            &spec,
            &keys,
            std::io::BufWriter::new(File::create(&zip_path).unwrap()),
            64 << 20,
        )
        .unwrap();
        let mb = written.csv_bytes as f64 / 1e6;
        eprintln!(
            "generated a crates.io-sized zip ({} crates, {} owner rows, {} versions, and deno's {} packages): {mb:.0} MB of CSV, {:.0} MB zipped with a 64 MiB member the store does not read, in {:.1} s",
            spec.crates,
            spec.owners,
            spec.versions,
            keys.len(),
            written.archive_bytes as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
        let cache = self.tmp.join("store-cache");
        let env = [("XDG_CACHE_HOME", cache.display().to_string())];
        let import = vec![
            "store".to_string(),
            "import".into(),
            zip_path.display().to_string(),
        ];
        self.process(
            &format!("store import, crates.io-sized zip ({mb:.0} MB CSV)"),
            BIN,
            &import,
            &env,
            self.runs(3),
        );
        let s = self.results.last().unwrap();
        println!(
            "|   -> {:.0} MB/s of uncompressed CSV | | | | | |",
            mb / s.median.as_secs_f64()
        );
        let store_file = cache.join("cargo-vendor-audit/store/facts.store");
        let size = std::fs::metadata(&store_file).unwrap().len();
        println!(
            "|   -> store size {:.1} MiB | | | | | |",
            size as f64 / f64::from(1u32 << 20)
        );
        self.store_size = Some(size);

        // Every deno package looked up, the store opened each time.
        let mut walls = Vec::new();
        for _ in 0..21 {
            let t = Instant::now();
            let store = cargo_vendor_audit::facts::store::Store::open(&store_file).unwrap();
            let mut found = 0;
            for key in &keys {
                if let Some(f) = store.lookup(key).unwrap() {
                    found += usize::from(f.is_complete());
                }
            }
            walls.push(t.elapsed());
            assert_eq!(found, keys.len());
        }
        self.record(
            &format!("store: open + look up deno's {} packages", keys.len()),
            walls,
            0,
        );

        // Warm check on deno: the store against no store, both without network.
        let mut args = check_args(&deno, "builtin:us-federal");
        let locked = args.iter().position(|a| a == "--locked").unwrap();
        args[locked] = "--offline".into();
        args.extend(["--store-max-age".into(), "1000000".into()]);
        self.process("check deno (json), warm store", BIN, &args, &env, runs);
        let mut never = args.clone();
        never.extend(["--store".into(), "never".into()]);
        self.process("check deno (json), --store never", BIN, &never, &env, runs);

        // Cold: no store, a dump server on 127.0.0.1 answering range requests.
        let server = fake_static::FakeStatic::start(
            std::fs::read(&zip_path).unwrap(),
            fake_static::Faults {
                ranges: true,
                ..fake_static::Faults::default()
            },
        );
        let mut cold = check_args(&deno, "builtin:us-federal");
        cold.remove(locked);
        cold.extend([
            "--dump-url".into(),
            server.url.clone(),
            "--crates-io-api".into(),
            "http://127.0.0.1:9".into(),
        ]);
        let out = self.tmp.join("out");
        let samples: Vec<Sample> = (0..self.runs(2))
            .map(|i| {
                let dir = self.tmp.join(format!("cold-cache-{i}"));
                let env = [("XDG_CACHE_HOME", dir.display().to_string())];
                let sample = run_once(BIN, &cold, &env, &out);
                let report = std::fs::read_to_string(&out).unwrap();
                assert!(
                    !report.contains("missing-facts"),
                    "the cold run left packages without facts"
                );
                let _ = std::fs::remove_dir_all(&dir);
                sample
            })
            .collect();
        self.record_samples(
            "check deno (json), cold: store downloaded from 127.0.0.1",
            samples,
        );
        // What a newcomer sees on stderr (the README's quick start shows it).
        let dir = self.tmp.join("cold-cache-shown");
        let shown = Command::new(BIN)
            .args(&cold)
            .env("XDG_CACHE_HOME", &dir)
            .output()
            .expect("cold run");
        for line in String::from_utf8_lossy(&shown.stderr).lines() {
            if line.trim_start().starts_with("Store") {
                eprintln!("{line}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        println!(
            "|   -> {:.1} MB sent by the server per cold run, of a {:.0} MB file | | | | | |",
            server.bytes_sent() as f64 / 1e6 / (self.runs(2) + 1) as f64,
            written.archive_bytes as f64 / 1e6
        );
    }

    fn e2e(&mut self) {
        let runs = self.runs(7);
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let manifest = Path::new(ROOT).join("Cargo.toml").display().to_string();
        let meta: Vec<String> = [
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
            &manifest,
        ]
        .map(String::from)
        .to_vec();
        let audit: Vec<String> = [
            "vendor-audit",
            "check",
            "--offline",
            "--manifest-path",
            &manifest,
            "--policy",
            "builtin:us-federal",
            "--format",
            "json",
            "--today",
            TODAY,
            "--fail-on",
            "never",
        ]
        .map(String::from)
        .to_vec();
        let env = [("CARGO", cargo.clone())];
        // Interleaved, so that load from other processes hits both alike.
        let out = self.tmp.join("out");
        run_once(&cargo, &meta, &[], &out);
        run_once(BIN, &audit, &env, &out);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            a.push(run_once(&cargo, &meta, &[], &out));
            b.push(run_once(BIN, &audit, &env, &out));
        }
        self.record_samples("e2e this repository: cargo metadata alone", a);
        self.record_samples("e2e this repository: cargo vendor-audit", b);
    }

    fn deny(&mut self) {
        let runs = self.runs(5);
        let deny = std::env::var("CARGO_DENY").ok().or_else(|| {
            Command::new("cargo-deny")
                .arg("--version")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|_| "cargo-deny".to_string())
        });
        let Some(deny) = deny else {
            println!(
                "| cargo-deny: not found (set CARGO_DENY, see scripts/compare-cargo-deny.sh) | | | | | |"
            );
            return;
        };
        // cargo-deny wants a Cargo.toml in its folder even with --metadata-path.
        let dir = self.tmp.join("deny");
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"x\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("src/lib.rs"), "").unwrap();
        let deno = corpus_path("deno").display().to_string();
        let args: Vec<String> = [
            "--manifest-path",
            &dir.join("Cargo.toml").display().to_string(),
            "--metadata-path",
            &deno,
            "check",
            "bans",
            "sources",
        ]
        .map(String::from)
        .to_vec();
        self.process(
            "cargo-deny check bans sources: deno",
            &deny,
            &args,
            &[],
            runs,
        );
        let ours = check_args(&corpus_path("deno"), "builtin:us-federal");
        self.process(
            "check deno (json), same run as cargo-deny",
            BIN,
            &ours,
            &[],
            runs,
        );
    }

    /// The targets, from whatever was measured.
    fn targets(&self) {
        println!();
        println!("targets:");
        let get = |c: &str| self.median_of(c).map(|s| s.median.as_secs_f64());
        if let (Some(d), Some(o)) = (
            get("cargo-deny check bans sources: deno"),
            get("check deno (json), same run as cargo-deny"),
        ) {
            println!(
                "- deno vs cargo-deny: {:.1} ms vs {:.1} ms = 1/{:.1} (target: at most 1/20)",
                o * 1e3,
                d * 1e3,
                d / o
            );
            let cpu = |c: &str| {
                self.median_of(c)
                    .and_then(|s| s.cpu)
                    .map(|d| d.as_secs_f64())
            };
            if let (Some(d), Some(o)) = (
                cpu("cargo-deny check bans sources: deno"),
                cpu("check deno (json), same run as cargo-deny"),
            ) {
                println!(
                    "- deno vs cargo-deny in CPU time: {:.1} ms vs {:.1} ms = 1/{:.1}",
                    o * 1e3,
                    d * 1e3,
                    d / o
                );
            }
        }
        if let Some(s) = self.median_of("check deno (json)") {
            println!(
                "- deno peak RSS: {:.1} MiB (target: at most 40 MiB)",
                s.rss_kib as f64 / 1024.0
            );
        }
        if let (Some(a), Some(b)) = (
            get("check generated 12500 packages (json)"),
            get("check generated 50000 packages (json)"),
        ) {
            println!(
                "- 50,000 packages: {:.2} s (target < 2 s); 12,500 -> 50,000 (4x): {:.2}x time (target <= 4.5x)",
                b,
                b / a
            );
        }
        if let (Some(a), Some(b)) = (
            get("check deno, shipped policy"),
            get("check deno, 20000 generated entities"),
        ) {
            println!(
                "- 20,000 entities on deno: {:.1} ms = {:.2}x the shipped policy (target < 3x)",
                b * 1e3,
                b / a
            );
        }
        if let (Some(a), Some(b)) = (
            get("check deno (human), shipped policy"),
            get("check deno (human), 20000 generated entities"),
        ) {
            println!(
                "- 20,000 entities on deno, human report: {:.1} ms = {:.2}x the shipped policy",
                b * 1e3,
                b / a
            );
        }
        for s in &self.results {
            if s.case.contains("read_dump") {
                println!(
                    "- {}: peak RSS {:.1} MiB",
                    s.case,
                    s.rss_kib as f64 / 1024.0
                );
            }
        }
        if let (Some(a), Some(b)) = (
            get("check deno (json), --store never"),
            get("check deno (json), warm store"),
        ) {
            println!(
                "- warm check on deno with the store: {:.1} ms = {:.2}x --store never (target <= 1.5x)",
                b * 1e3,
                b / a
            );
        }
        for s in &self.results {
            if s.case.starts_with("store: open + look up") {
                println!("- {}: {:.2} ms (target <= 20 ms)", s.case, ms(s.median));
            }
            if s.case.starts_with("store import") {
                println!(
                    "- {}: {:.1} s, peak RSS {:.0} MiB",
                    s.case,
                    s.median.as_secs_f64(),
                    s.rss_kib as f64 / 1024.0
                );
            }
        }
        if let Some(size) = self.store_size {
            println!(
                "- store size for a crates.io-sized dump: {:.1} MiB (target <= 64 MiB)",
                size as f64 / f64::from(1u32 << 20)
            );
        }
        if let Some(c) = get("check deno (json), cold: store downloaded from 127.0.0.1") {
            println!(
                "- cold check on deno, store downloaded from 127.0.0.1: {c:.1} s (target < 60 s)"
            );
        }
        if let (Some(a), Some(b)) = (
            get("e2e this repository: cargo metadata alone"),
            get("e2e this repository: cargo vendor-audit"),
        ) {
            println!(
                "- end to end: cargo metadata {:.1} ms, cargo vendor-audit {:.1} ms: +{:.1}% (target <= 10%)",
                a * 1e3,
                b * 1e3,
                (b / a - 1.0) * 100.0
            );
        }
    }
}

/// In a child process, so that its peak RSS is the reader's alone.
fn child(job: &str) {
    // `graph:N:PATH` and `policy:N:PATH` write a generated input, for profiling by hand.
    if let Some(rest) = job.strip_prefix("graph:") {
        let (n, path) = rest.split_once(':').expect("graph:N:PATH");
        let mut f = std::io::BufWriter::new(File::create(path).unwrap());
        let spec = generate::graph::GraphSpec {
            packages: n.parse().unwrap(),
            seed: 1,
        };
        generate::graph::write_metadata(spec, &mut f).unwrap();
        return;
    }
    if let Some(rest) = job.strip_prefix("policy:") {
        let (n, path) = rest.split_once(':').expect("policy:N:PATH");
        std::fs::write(path, generate::policy::policy_toml(n.parse().unwrap(), 1)).unwrap();
        return;
    }
    let mut parts = job.splitn(3, ':');
    let (what, scale, path) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let spec = generate::dump::DumpSpec::realistic(scale.parse().unwrap());
    match what {
        "gunzip" => {
            let file = File::open(path).unwrap();
            let gz = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
            let mut archive = tar::Archive::new(gz);
            let mut total = 0u64;
            for entry in archive.entries().unwrap() {
                let mut entry = entry.unwrap();
                total += std::io::copy(&mut entry, &mut std::io::sink()).unwrap();
            }
            std::hint::black_box(total);
        }
        "read" => {
            // The crates.io packages of a graph the size of deno's.
            let wanted = generate::dump::wanted(&spec, 1_000);
            let found = facts::dump::read_dump(Path::new(path), &wanted).unwrap();
            assert_eq!(found.facts.len(), wanted.len());
        }
        _ => panic!("unknown child job {job}"),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!("{cpu}, {cores} cores, {mem}, {}", std::env::consts::OS)
}
