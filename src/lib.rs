//! cargo-vendor-audit: fail a build that pulls in a crate from a restricted entity.
//!
//! The pipeline: [`input`] -> [`graph`] -> [`facts`] -> [`policy`] -> [`matcher`] -> [`report`].
//! [`cli`] parses the command line; each subcommand in [`commands`] runs its part of
//! the shared [`pipeline`].
//!
//! Where new work goes: a new input (what gives a [`graph::Graph`]) is a file in
//! [`input`] and an arm of [`input::Input`]; a new fact source is a module of [`facts`]
//! asked in order by [`facts::sources`]; a new output format is a file in [`report`] and
//! an arm of [`report::Format`]; a new subcommand is a file in [`commands`] and an arm
//! of [`commands::Command`]. Modules use each other one way only (a test checks this), and
//! every error a run can end with is one [`Error`], rendered once at the edge.

pub mod args;
pub mod cli;
pub mod commands;
pub mod crate_name;
pub mod date;
pub mod error;
pub mod facts;
pub mod files;
pub mod graph;
pub mod input;
pub mod limits;
pub mod matcher;
pub mod parallel;
pub mod pattern;
pub mod pipeline;
pub mod policy;
pub mod report;
pub mod text;

pub use error::Error;

use std::ffi::OsString;
use std::io::Write;

/// Standard output that takes a closed pipe (`| head`) as the reader having read enough:
/// from the first `BrokenPipe` on, writes are dropped and reported as done. Every other
/// error (a full disk, `> /dev/full`) reaches the caller.
pub struct PipeGuard<'a> {
    inner: &'a mut dyn Write,
    closed: bool,
}

impl<'a> PipeGuard<'a> {
    /// Guards `inner`, which is open until a write to it meets a broken pipe.
    pub fn new(inner: &'a mut dyn Write) -> PipeGuard<'a> {
        PipeGuard {
            inner,
            closed: false,
        }
    }
}

impl Write for PipeGuard<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
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
    let (mut out, mut err) = (PipeGuard::new(out), PipeGuard::new(err));
    let (out, err) = (&mut out, &mut err);
    // The outcome, and the `--color` that an error of it is shown with.
    let (result, color) = match cli::Cli::try_parse_from(cli::normalize_args(args)) {
        Ok(cli) => (
            commands::run(&cli.command, out, err),
            commands::color(&cli.command),
        ),
        Err(e) => {
            let text = if cli::use_color(None, stderr_is_terminal()) {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            if e.use_stderr() {
                let _ = write!(err, "{text}");
                return 2;
            }
            // Help and version.
            let written = write!(out, "{text}").and_then(|_| out.flush());
            let result = written.map(|()| 0).map_err(|source| Error::Write {
                doing: "write to stdout",
                source,
            });
            (result, Some(cli::ColorChoice::Never))
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            let color = cli::use_color(color, stderr_is_terminal());
            let _ = writeln!(err, "{}", error.render(color));
            error.exit_code()
        }
    }
}

fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
