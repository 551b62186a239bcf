//! `cargo vendor-audit init`: write a starter `vendor-audit.toml`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use crate::Failure;

/// The starter policy: extends the shipped default and shows, commented out, the keys a
/// team adds first.
pub const STARTER: &str = r#"# vendor-audit.toml: the policy `cargo vendor-audit` reads at the workspace root.
# Reference: policies/example.toml in cargo-vendor-audit explains every key.
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

/// Writes the starter policy to `path`, refusing to overwrite anything.
pub fn run(path: &Path, err: &mut dyn Write) -> Result<u8, Failure> {
    let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Failure::new(format!(
                "{} already exists; init does not overwrite a policy: edit it, or remove it first",
                path.display()
            )));
        }
        Err(e) => {
            return Err(Failure::new(format!(
                "could not create {}: {e}",
                path.display()
            )));
        }
    };
    file.write_all(STARTER.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| Failure::new(format!("could not write {}: {e}", path.display())))?;
    let _ = writeln!(
        err,
        "     Created {} (extends builtin:us-federal); run `cargo vendor-audit` to audit",
        path.display()
    );
    Ok(0)
}
