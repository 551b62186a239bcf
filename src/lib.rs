//! cargo-vendor-audit: fail a build that pulls in a crate from a restricted entity.
//!
//! The pipeline: [`input`] -> [`graph`] -> [`facts`] -> [`policy`] -> [`matcher`] -> [`report`].
//! [`cli`] parses the command line; each subcommand in [`commands`] runs its part of
//! the shared [`pipeline`].

pub mod args;
pub mod cli;
pub mod commands;
pub mod date;
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

use std::ffi::OsString;
use std::fmt;
use std::io::Write;

/// Why a run could not complete (exit code 2): the message says what, where, and what to do.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    /// Policy diagnostics are printed as they are, without an `error:` prefix of ours.
    pub preformatted: bool,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            preformatted: false,
        }
    }
    pub fn policy(rendered: String) -> Failure {
        Failure {
            message: rendered,
            preformatted: true,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.preformatted {
            f.write_str(&self.message)
        } else {
            // Messages quote ids, paths and answers from untrusted files: no escape
            // sequence in them reaches the terminal. Line breaks stay.
            f.write_str("error: ")?;
            for c in self.message.chars() {
                if c != '\n' && report::is_hidden(c) {
                    write!(f, "{}", c.escape_unicode())?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            Ok(())
        }
    }
}

impl Failure {
    /// The message as [`fmt::Display`] gives it, with the `error:` heads and the
    /// `-->`, `|`, `^` and `= help:` marks of policy diagnostics in colour.
    pub fn painted(&self) -> String {
        let plain = self.to_string();
        let mut text = String::with_capacity(plain.len() + 64);
        for (i, line) in plain.split('\n').enumerate() {
            if i > 0 {
                text.push('\n');
            }
            paint_line(line, &mut text);
        }
        text
    }
}

/// One line of an error message, cargo's colours: a bold red `error`, the message bold,
/// the gutter and the `-->` blue, the carets red.
fn paint_line(line: &str, text: &mut String) {
    const RED: &str = "\x1b[1;31m";
    const BLUE: &str = "\x1b[1;34m";
    const BOLD: &str = "\x1b[1m";
    const RESET: &str = "\x1b[0m";
    if let Some(rest) = line.strip_prefix("error:") {
        text.push_str(&format!("{RED}error{RESET}{BOLD}:{rest}{RESET}"));
        return;
    }
    // The gutter: spaces and a line number, then ` |`, `-->` or ` = `.
    let gutter_end = line
        .find(|c: char| !(c == ' ' || c.is_ascii_digit()))
        .unwrap_or(line.len());
    let (gutter, rest) = line.split_at(gutter_end);
    if let Some(after) = rest.strip_prefix("-->") {
        text.push_str(&format!("{BLUE}{gutter}-->{RESET}{after}"));
    } else if let Some(after) = rest.strip_prefix("= help:") {
        text.push_str(&format!("{BLUE}{gutter}={RESET} {BOLD}help{RESET}:{after}"));
    } else if rest.starts_with('|') && !gutter.is_empty() {
        let after = &rest[1..];
        let carets = after.trim_start();
        if !carets.is_empty() && carets.trim_end().chars().all(|c| c == '^') {
            let lead = &after[..after.len() - carets.len()];
            text.push_str(&format!("{BLUE}{gutter}|{RESET}{lead}{RED}{carets}{RESET}"));
        } else {
            text.push_str(&format!("{BLUE}{gutter}|{RESET}{after}"));
        }
    } else {
        text.push_str(line);
    }
}

/// Standard output that takes a closed pipe (`| head`) as the reader having read enough:
/// from the first `BrokenPipe` on, writes are dropped and reported as done. Every other
/// error (a full disk, `> /dev/full`) reaches the caller.
pub struct PipeGuard<'a> {
    inner: &'a mut dyn Write,
    closed: bool,
}

impl<'a> PipeGuard<'a> {
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
    let cli = match cli::Cli::try_parse_from(cli::normalize_args(args)) {
        Ok(cli) => cli,
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
            return match write!(out, "{text}").and_then(|_| out.flush()) {
                Ok(()) => 0,
                Err(e) => {
                    let _ = writeln!(
                        err,
                        "{}",
                        Failure::new(format!("could not write to stdout: {e}"))
                    );
                    2
                }
            };
        }
    };
    let color = commands::color(&cli.command);
    let result = commands::run(&cli.command, out, err);
    match result {
        Ok(code) => code,
        Err(failure) => {
            let text = if cli::use_color(color, stderr_is_terminal()) {
                failure.painted()
            } else {
                failure.to_string()
            };
            let _ = writeln!(err, "{text}");
            2
        }
    }
}

fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_messages_carry_no_escape_sequences() {
        let failure = Failure::new("id `x\u{1b}]0;t\u{7}\u{1b}[2J\r\u{202e}` is bad\nnext line");
        let text = failure.to_string();
        assert_eq!(
            text,
            "error: id `x\\u{1b}]0;t\\u{7}\\u{1b}[2J\\u{d}\\u{202e}` is bad\nnext line"
        );
    }
}
