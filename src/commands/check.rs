//! `cargo vendor-audit check`: audit the graph against the policy, render the report,
//! give the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::Error;
use crate::args::GraphArgs;
use crate::pipeline::{audit_with_facts, load, write_output};
use crate::report::human::{self, Style, Verbosity};
use crate::report::{self, FailOn, Format, RenderOptions};

/// The options of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The options that choose the graph, the policy and the fact sources.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: FormatArg,
    /// Write the report to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding of this severity or worse exists
    #[arg(long, value_enum, default_value = "deny")]
    pub fail_on: FailOnArg,
    /// Show info findings and fact provenance
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print only the summary
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--format`, as the command line spells it; [`Format`] is the report's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    #[allow(
        missing_docs,
        reason = "clap prints a variant's doc comment in --help; this value names itself"
    )]
    Human,
    #[allow(
        missing_docs,
        reason = "clap prints a variant's doc comment in --help; this value names itself"
    )]
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// A summary for $GITHUB_STEP_SUMMARY or a pull-request comment
    Markdown,
    /// GitHub workflow commands (annotations)
    Github,
    /// A CycloneDX 1.6 JSON SBOM with supplier facts and the verdict per component
    Cyclonedx,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Github => Format::Github,
            FormatArg::Cyclonedx => Format::Cyclonedx,
        }
    }
}

/// `--fail-on`, as the command line spells it; [`FailOn`] is the report's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(
    missing_docs,
    reason = "clap prints a variant's doc comment in --help; these values name themselves"
)]
pub enum FailOnArg {
    Deny,
    Warn,
    Never,
}

impl From<FailOnArg> for FailOn {
    fn from(f: FailOnArg) -> FailOn {
        match f {
            FailOnArg::Deny => FailOn::Deny,
            FailOnArg::Warn => FailOn::Warn,
            FailOnArg::Never => FailOn::Never,
        }
    }
}

/// Runs `check` and gives the exit code.
pub fn run(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Error> {
    let loaded = load(&args.graph)?;
    let (report, facts) = audit_with_facts(&loaded, &args.graph)?;
    let is_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let style = Style {
        color: crate::args::use_color(args.graph.color, is_terminal),
    };
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else if args.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let options = RenderOptions {
        verbosity,
        style,
        fail_on: args.fail_on.into(),
        workspace_root: &loaded.graph.workspace_root,
        graph: &loaded.graph,
        facts: &facts,
    };
    let render = |w: &mut dyn Write| report::render(args.format.into(), &report, &options, w);
    match args.output.as_deref() {
        None => {
            // Straight to stdout, in large writes. Every error here is a write error (a
            // closed pipe never gets here: `out` takes it as the end).
            let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
            render(&mut w)
                .and_then(|_| w.flush())
                .map_err(|source| Error::Write {
                    doing: "write the report to stdout",
                    source,
                })?;
        }
        Some(path) => {
            let mut buf = Vec::new();
            render(&mut buf).map_err(|source| Error::Write {
                doing: "render the report",
                source,
            })?;
            write_output(Some(path), &buf, out)?;
            // The terminal still gets the verdict, and where the report went.
            let style = Style {
                color: crate::args::use_color(args.graph.color, std::io::stderr().is_terminal()),
            };
            let mut line = Vec::new();
            human::summary(&report, style, args.fail_on.into(), &mut line).map_err(|source| {
                Error::Write {
                    doing: "render the summary",
                    source,
                }
            })?;
            let line = String::from_utf8_lossy(&line);
            let _ = writeln!(
                err,
                "{}; report written to {}",
                line.trim_end(),
                human::clean(&path.display().to_string())
            );
        }
    }
    let code = u8::from(report.fails(args.fail_on.into()));
    // The process ends right after this: leave the graph, facts and report to the OS
    // instead of freeing them piece by piece (a large share of a big run's time).
    std::mem::forget(report);
    std::mem::forget(loaded);
    std::mem::forget(facts);
    Ok(code)
}
