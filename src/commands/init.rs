//! `cargo vendor-audit init`: write a starter `vendor-audit.toml`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;
use clap::Args;

/// The starter policy: extends the shipped default and shows, commented out, the keys a
/// team adds first.
pub const STARTER: &str = r#"# vendor-audit.toml: the policy `cargo vendor-audit` reads at the workspace root.
# Reference: `cargo vendor-audit policy show builtin:example` prints a policy that
# explains every key.
# The tool reports provenance (where crates come from, who publishes them); it is not
# legal advice.
schema = 1

[policy]
id = "my-workspace"
# The shipped policy: Kaspersky and the FCC Covered List entities, with citations.
extends = ["builtin:us-federal"]
# Which dependency kinds are audited (default: all three).
# dependency-kinds = ["normal", "build"]
# missing-facts = "warn"          # deny | warn | allow
# expired-exception = "deny"      # deny | warn
# unused-exception = "warn"       # deny | warn | allow

# A waiver for a real match, reviewed and time-limited. Every key but version, entity,
# kinds, via, approved-by and ticket is required.
# [[exception]]
# crate = "some-crate"
# version = "=1.2.3"
# entity = "huawei"
# kinds = ["build"]
# via = ["my-app", "some-parent"]
# reason = "Build-time only; reviewed by legal."
# approved-by = "security@example.com"
# ticket = "SEC-123"
# expires = 2027-06-30

# Where crates may come from. "deny" fails the build for a registry or a git repository
# that is not listed.
# [origins]
# unknown-registry = "deny"
# unknown-git = "warn"
# allow-registries = ["crates-io"]
# allow-git = ["github.com/my-org"]
"#;

/// Writes the starter policy, refusing to overwrite anything: to the path given, else to
/// `vendor-audit.toml` at the workspace root (where `check` looks for it).
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the policy (default: vendor-audit.toml at the workspace root)
    pub path: Option<PathBuf>,
    /// The package or workspace whose root gets the policy (default: ./Cargo.toml, as cargo finds it)
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

/// Runs `init`: writes the starter policy (see [`InitArgs`]) and says where it went.
pub fn run(args: &InitArgs, err: &mut dyn Write) -> Result<u8, Error> {
    let (path, note) = match &args.path {
        Some(path) => (path.clone(), String::new()),
        None => match workspace_root(args.manifest_path.as_deref())? {
            Some(root) => {
                let path = root.join("vendor-audit.toml");
                let here = std::env::current_dir()
                    .ok()
                    .and_then(|d| d.canonicalize().ok());
                let note = if here.as_deref() == root.canonicalize().ok().as_deref() {
                    String::new()
                } else {
                    " at the workspace root, where `check` looks for it".to_string()
                };
                (path, note)
            }
            // No Cargo.toml here or above: nothing to find a root from.
            None => (
                PathBuf::from("vendor-audit.toml"),
                " in the current directory (no Cargo.toml here or above: put it at the workspace root)"
                    .to_string(),
            ),
        },
    };
    write_new(&path)?;
    let _ = writeln!(
        err,
        "     Created {}{note} (extends builtin:us-federal); run `cargo vendor-audit` to audit",
        path.display()
    );
    Ok(0)
}

/// The directory of the workspace's root manifest, as cargo finds it; `None` when there is
/// no `Cargo.toml` in the current directory or above it (and none was named).
fn workspace_root(manifest_path: Option<&Path>) -> Result<Option<PathBuf>, Error> {
    let program = std::env::var_os("CARGO")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&program);
    command.args(["locate-project", "--workspace", "--message-format", "plain"]);
    if let Some(m) = manifest_path {
        command.arg("--manifest-path").arg(m);
    }
    let output = command.output().map_err(|source| Error::Cargo {
        program: program.to_string_lossy().into_owned(),
        source,
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let manifest = stdout.lines().next().unwrap_or("").trim();
    if !output.status.success() || manifest.is_empty() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if manifest_path.is_none() && stderr.contains("could not find `Cargo.toml`") {
            return Ok(None);
        }
        return Err(Error::NoWorkspaceRoot {
            program: program.to_string_lossy().into_owned(),
            stderr: stderr.trim().to_string(),
        });
    }
    Ok(Some(
        Path::new(manifest)
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    ))
}

fn write_new(path: &Path) -> Result<(), Error> {
    let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::PolicyExists {
                path: path.to_path_buf(),
            });
        }
        Err(e) => {
            return Err(Error::Io {
                doing: "create",
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    file.write_all(STARTER.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|source| Error::Io {
            doing: "write",
            path: path.to_path_buf(),
            source,
        })
}
