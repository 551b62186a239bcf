//! Loads `cargo metadata --format-version 1` output: from a file, stdin, or by running cargo.
//!
//! Gives a parsed [`Metadata`] for the graph stage: the JSON text and, borrowing from it,
//! the [`Model`] of the fields the graph reads. Parsing is lenient: unknown fields are
//! ignored, so output of newer cargo versions still loads.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use crate::graph::{Graph, GraphError, GraphOptions};

mod build;
mod features;
mod model;
mod roots;

pub use model::{
    DepKind, DepKindInfo, Dependency, Features, Model, Node, NodeDep, Package, Resolve, Str,
};

self_cell::self_cell!(
    /// The text and the model that borrows from it, in one owned value.
    struct Cell {
        owner: String,
        #[covariant]
        dependent: Model,
    }
);

/// Parsed `cargo metadata` output.
pub struct Metadata(Cell);

impl Metadata {
    /// The parsed fields, borrowing from the text.
    pub fn model(&self) -> &Model<'_> {
        self.0.borrow_dependent()
    }
}

impl Graph {
    /// Builds the graph from parsed metadata: selects the roots, prunes the `resolve`
    /// edges cargo would not build, and walks from the roots (book: docs/src/inputs.md, "The graph").
    pub fn build(metadata: &Metadata, opts: &GraphOptions) -> Result<Graph, GraphError> {
        build::build(metadata.model(), opts)
    }
}

impl std::fmt::Debug for Metadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.model().fmt(f)
    }
}

/// Where the metadata comes from.
#[derive(Clone, Debug)]
pub enum MetadataSource {
    /// `--metadata-path FILE`.
    File(PathBuf),
    /// `--metadata-path -`.
    Stdin,
    /// Run `cargo metadata` with the forwarded flags.
    Cargo(CargoInvocation),
}

impl MetadataSource {
    /// The source `--metadata-path PATH` names: `-` is standard input.
    pub fn from_metadata_path(path: PathBuf) -> MetadataSource {
        if path.as_os_str() == "-" {
            MetadataSource::Stdin
        } else {
            MetadataSource::File(path)
        }
    }
}

/// The flags forwarded to `cargo metadata`.
#[derive(Clone, Debug, Default)]
pub struct CargoInvocation {
    /// `--manifest-path`: the `Cargo.toml` to run on; `None` for the current folder's.
    pub manifest_path: Option<PathBuf>,
    /// `-F/--features` values as given; passed to cargo joined by `,`.
    pub features: Vec<String>,
    /// `--all-features`: build with every feature of every member.
    pub all_features: bool,
    /// `--no-default-features`: leave out the members' `default` features.
    pub no_default_features: bool,
    /// `--locked`: cargo must not change `Cargo.lock`.
    pub locked: bool,
    /// `--offline`: cargo must not touch the network.
    pub offline: bool,
    /// `--frozen`: both `--locked` and `--offline`.
    pub frozen: bool,
}

const HINT: &str = "produce it with `cargo metadata --format-version 1`";

/// Why the metadata could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// The `--metadata-path` file could not be read.
    #[error("could not read cargo metadata from `{path}`: {source}")]
    Read {
        /// The file as given.
        path: PathBuf,
        /// The I/O error from reading it.
        source: std::io::Error,
    },
    /// Standard input (`--metadata-path -`) could not be read.
    #[error("could not read cargo metadata from standard input: {0}")]
    ReadStdin(std::io::Error),
    /// The text is not JSON of the expected shape.
    #[error(
        "{origin} is not valid `cargo metadata` output: {message} at line {line}, column {column}; {HINT}"
    )]
    Parse {
        /// `` `FILE` ``, `standard input` or `the output of cargo metadata`.
        origin: String,
        /// serde_json's message, without its position.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// `cargo metadata` could not be started.
    #[error(
        "could not run `{program} metadata`: {source}; is cargo installed and on PATH (or `CARGO` set)?"
    )]
    Spawn {
        /// The cargo that was run: `$CARGO`, else `cargo`.
        program: String,
        /// The I/O error from starting it.
        source: std::io::Error,
    },
    /// `cargo metadata` ran and exited with failure.
    #[error("`{command}` failed ({status}):\n{stderr}")]
    CargoFailed {
        /// The whole command line, e.g. `cargo metadata --format-version 1 --locked`.
        command: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on standard error.
        stderr: String,
    },
    /// `cargo metadata` succeeded but no line of its output starts with `{`.
    #[error(
        "`{command}` printed no JSON object on stdout; run it by hand to see what it prints, or {HINT} and pass it with `--metadata-path`"
    )]
    NoJson {
        /// The whole command line, e.g. `cargo metadata --format-version 1`.
        command: String,
    },
}

/// Loads and parses the metadata.
pub fn load(source: &MetadataSource) -> Result<Metadata, MetadataError> {
    match source {
        MetadataSource::File(path) => {
            let text = crate::limits::read_text(path, crate::limits::METADATA_BYTES).map_err(
                |source| MetadataError::Read {
                    path: path.clone(),
                    source,
                },
            )?;
            parse(text, &format!("`{}`", path.display()))
        }
        MetadataSource::Stdin => {
            let text = crate::limits::read_text_from(
                std::io::stdin().lock(),
                crate::limits::METADATA_BYTES,
            )
            .map_err(MetadataError::ReadStdin)?;
            parse(text, "standard input")
        }
        MetadataSource::Cargo(invocation) => run_cargo(invocation),
    }
}

/// Parses metadata JSON; `origin` names where it came from in the error.
pub fn parse(text: String, origin: &str) -> Result<Metadata, MetadataError> {
    Cell::try_new(text, |text| serde_json::from_str(text))
        .map(Metadata)
        .map_err(|e| MetadataError::Parse {
            origin: origin.to_string(),
            message: strip_position(&e),
            line: e.line(),
            column: e.column(),
        })
}

/// serde_json's message without its own " at line L column C" suffix (we print ours).
pub(crate) fn strip_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

impl CargoInvocation {
    /// The arguments after the program: `metadata --format-version 1 ...`.
    pub fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> =
            vec!["metadata".into(), "--format-version".into(), "1".into()];
        if let Some(path) = &self.manifest_path {
            args.push("--manifest-path".into());
            args.push(path.into());
        }
        if !self.features.is_empty() {
            args.push("--features".into());
            args.push(self.features.join(",").into());
        }
        let flags = [
            (self.all_features, "--all-features"),
            (self.no_default_features, "--no-default-features"),
            (self.locked, "--locked"),
            (self.offline, "--offline"),
            (self.frozen, "--frozen"),
        ];
        args.extend(
            flags
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, flag)| flag.into()),
        );
        args
    }
}

/// `$CARGO` (set by cargo for subcommands) or `cargo`.
fn cargo_program() -> OsString {
    std::env::var_os("CARGO")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "cargo".into())
}

fn run_cargo(invocation: &CargoInvocation) -> Result<Metadata, MetadataError> {
    let program = cargo_program();
    let args = invocation.args();
    let command = std::iter::once(&program)
        .chain(&args)
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::new(&program)
        .args(&args)
        .output()
        .map_err(|source| MetadataError::Spawn {
            program: program.to_string_lossy().into_owned(),
            source,
        })?;
    if !output.status.success() {
        return Err(MetadataError::CargoFailed {
            command,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_string(),
        });
    }
    let mut stdout = String::from_utf8(output.stdout)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    // Like cargo_metadata: the JSON is the first line that starts with `{` (a wrapper
    // script or a rustup message may print other lines). Cut it out in place.
    let mut start = 0;
    let json = stdout.split_inclusive('\n').find_map(|line| {
        let at = start;
        start += line.len();
        line.starts_with('{').then(|| {
            let content = line.trim_end_matches('\n').trim_end_matches('\r');
            at..at + content.len()
        })
    });
    let json = json.ok_or_else(|| MetadataError::NoJson {
        command: command.clone(),
    })?;
    stdout.truncate(json.end);
    stdout.drain(..json.start);
    parse(stdout, &format!("the output of `{command}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_forward_flags() {
        let inv = CargoInvocation {
            manifest_path: Some("ws/Cargo.toml".into()),
            features: vec!["a".into(), "b/c".into()],
            all_features: false,
            no_default_features: true,
            locked: true,
            offline: false,
            frozen: true,
        };
        let args: Vec<String> = inv
            .args()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            args,
            [
                "metadata",
                "--format-version",
                "1",
                "--manifest-path",
                "ws/Cargo.toml",
                "--features",
                "a,b/c",
                "--no-default-features",
                "--locked",
                "--frozen"
            ]
        );
    }

    #[test]
    fn parse_error_names_origin_and_position() {
        let err = parse("{\n  \"packages\": [}".into(), "`meta.json`").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`meta.json`"), "{msg}");
        assert!(msg.contains("line 2, column"), "{msg}");
        assert!(msg.contains("cargo metadata --format-version 1"), "{msg}");
    }

    #[test]
    fn missing_field_is_reported() {
        let msg = parse("{}".into(), "`m.json`").unwrap_err().to_string();
        assert!(msg.contains("missing field"), "{msg}");
    }

    #[test]
    fn dash_is_stdin() {
        assert!(matches!(
            MetadataSource::from_metadata_path("-".into()),
            MetadataSource::Stdin
        ));
        assert!(matches!(
            MetadataSource::from_metadata_path("m.json".into()),
            MetadataSource::File(p) if p == std::path::Path::new("m.json")
        ));
    }

    #[test]
    fn unreadable_file_names_it() {
        let err = load(&MetadataSource::File("/no/such/dir/m.json".into())).unwrap_err();
        assert!(err.to_string().contains("/no/such/dir/m.json"));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let json = r#"{"packages":[],"workspace_members":[],"resolve":null,
            "workspace_root":"/w","target_directory":"/w/target","version":1,
            "some_future_field":{"x":1}}"#;
        let m = parse(json.into(), "test").unwrap();
        assert!(m.model().packages.is_empty());
    }
}
