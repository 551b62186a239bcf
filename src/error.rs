//! Why a run could not complete (exit code 2), and how that is shown: each stage's own
//! error type is carried as it is, and turned into text once, by [`Error::render`], at
//! the edge where `run` writes it to stderr.

use std::io;
use std::path::PathBuf;

use crate::facts::sources::SourcesError;
use crate::input::InputError;
use crate::policy::PolicyErrors;

/// Why a run could not complete: what, where, and what to do.
///
/// The `Display` text is the whole message, the words of the error it wraps included;
/// [`Error::render`] adds the `error:` head and makes untrusted text inert.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The policy files do not load. Its text is every problem, already in rustc's shape
    /// (`error:` heads, `-->` places, carets), so it is shown as it is.
    #[error("{0}")]
    Policy(#[from] PolicyErrors),
    /// The graph's input could not be read, parsed or built.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The publisher facts could not be gathered: a malformed facts lock, a refused API
    /// setting, an unusable facts store.
    #[error("could not read the publisher facts: {0}")]
    Facts(#[source] SourcesError),
    /// `fetch` could not gather the facts or write the facts lock.
    #[error("could not write the facts lock: {0}")]
    FactsLock(#[source] SourcesError),
    /// `store update` or `store import` (the `action`) did not build the facts store.
    #[error("store {action} failed: {message}")]
    Store {
        /// The subcommand: `update` or `import`.
        action: &'static str,
        /// Why, as the store said it.
        message: String,
    },
    /// There is no cache directory to keep the facts store in.
    #[error("no cache directory on this machine for the facts store: set XDG_CACHE_HOME (or HOME)")]
    NoStoreDir,
    /// An output could not be rendered or written to stdout; `doing` says which
    /// (`render the report`, `write to stdout`).
    #[error("could not {doing}: {source}")]
    Write {
        /// What was being done, as a verb phrase: `render the report`.
        doing: &'static str,
        /// The error of the write.
        #[source]
        source: io::Error,
    },
    /// A file could not be created or written; `doing` says how it was used
    /// (`write the report to`, `create`).
    #[error("could not {doing} {}: {source}", path.display())]
    Io {
        /// What was being done to the file, as a verb phrase: `create`.
        doing: &'static str,
        /// The file, as the user named it.
        path: PathBuf,
        /// The error of the open or the write.
        #[source]
        source: io::Error,
    },
    /// `init` would overwrite an existing policy.
    #[error(
        "{} already exists; init does not overwrite a policy: edit it, or remove it first",
        path.display()
    )]
    PolicyExists {
        /// The policy file that is already there.
        path: PathBuf,
    },
    /// `cargo locate-project` could not be run.
    #[error(
        "could not run `{program} locate-project`: {source}; is cargo installed and on PATH (or `CARGO` set)?"
    )]
    Cargo {
        /// The cargo that was run: `$CARGO`, or `cargo`.
        program: String,
        /// Why it could not be started.
        #[source]
        source: io::Error,
    },
    /// `cargo locate-project` ran and found no workspace root; `stderr` is what it said.
    #[error(
        "could not find the workspace root, where the policy belongs: `{program} locate-project` failed:\n{stderr}\nfix the manifest, or name the file to write: `cargo vendor-audit init PATH`"
    )]
    NoWorkspaceRoot {
        /// The cargo that was run: `$CARGO`, or `cargo`.
        program: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The arguments, the environment or the workspace's configuration ask for what
    /// cannot be done; the message says what to change.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The exit code of a run that ends with this error: 2, could not run.
    pub fn exit_code(&self) -> u8 {
        2
    }

    /// The text written to stderr (without the final newline), in colour when `color`.
    ///
    /// Messages quote ids, paths and answers from untrusted files: through
    /// [`crate::text::clean_lines`], no escape sequence in them reaches the terminal.
    /// Policy diagnostics are shown as they are, without an `error:` head of ours.
    pub fn render(&self, color: bool) -> String {
        let plain = match self {
            Error::Policy(errors) => errors.to_string(),
            other => format!("error: {}", crate::text::clean_lines(&other.to_string())),
        };
        if color { paint(&plain) } else { plain }
    }
}

/// An error message with the `error:` heads and the `-->`, `|`, `^` and `= help:` marks
/// of policy diagnostics in colour.
fn paint(plain: &str) -> String {
    let mut text = String::with_capacity(plain.len() + 64);
    for (i, line) in plain.split('\n').enumerate() {
        if i > 0 {
            text.push('\n');
        }
        paint_line(line, &mut text);
    }
    text
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_no_escape_sequences() {
        let error =
            Error::Usage("id `x\u{1b}]0;t\u{7}\u{1b}[2J\r\u{202e}` is bad\nnext line".into());
        assert_eq!(
            error.render(false),
            "error: id `x\\u{1b}]0;t\\u{7}\\u{1b}[2J\\u{d}\\u{202e}` is bad\nnext line"
        );
    }

    #[test]
    fn the_head_is_painted() {
        let error = Error::NoStoreDir;
        assert!(
            error
                .render(true)
                .starts_with("\u{1b}[1;31merror\u{1b}[0m\u{1b}[1m: no cache directory")
        );
    }
}
