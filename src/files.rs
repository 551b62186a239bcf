//! How the tool writes files: whole or not at all, and never through a link someone
//! planted beside them.
//!
//! [`write_atomic`] writes a temporary file in the same folder and renames it over the
//! target. The temporary file has an unpredictable name and is created with `O_EXCL`
//! (`create_new`), so a symbolic link or a file planted under a guessed name makes the
//! creation fail and another name is tried; nothing is ever written through it. Lock guard
//! files ([`open_lock_guard`]) are opened with `O_NOFOLLOW`. [`write_output`] writes a
//! report where `--output` says: atomically over a regular file or a link, and straight
//! into a FIFO, a device or a link of the system's own (`/dev/stdout`), which must never
//! be replaced.

use std::collections::hash_map::RandomState;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name nobody can guess ahead of time: std's randomly keyed SipHash over the process
/// id, a counter and the clock.
fn random_suffix() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u64(TEMP_COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    hasher.finish()
}

/// Creates a new temporary file beside `name` in `dir`: `.NAME.<random>.tmp`, created with
/// `O_EXCL`, so an existing file or link of that name is never opened.
fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let mut last = None;
    for _ in 0..16 {
        let temp = dir.join(format!(".{name}.{:016x}.tmp", random_suffix()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary file name")))
}

/// Writes `bytes` to `path` so that no reader ever sees a partial file: a new temporary
/// file in the same folder (see `create_temp`), synced, then renamed over `path`. A
/// failed write removes its temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temp, mut file) = create_temp(dir, &name)?;
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Opens (creating it if needed) the lock guard file at `path` for `File::lock`, without
/// following a symbolic link there: a link planted under the guard's name is an error,
/// not a way to create or touch the file it points to.
pub fn open_lock_guard(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|e| {
        if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            io::Error::new(
                e.kind(),
                format!(
                    "{} is a symbolic link; remove it (the lock guard is never followed through a link)",
                    path.display()
                ),
            )
        } else {
            e
        }
    })
}

/// Writes a report to `path`: over a regular file (or where none is) atomically, as
/// [`write_atomic`]; into a FIFO or a device in place, never replacing it by a rename.
///
/// A symbolic link is followed only when it is one of the system's own (under `/dev/` or
/// `/proc/`: `/dev/stdout`, `/dev/fd/N` from a shell's `>(...)`), and then written into
/// (appending, as the shell's `>` left it empty and `>>` means append). Any other link (one
/// committed to a repository, say) is replaced like a file, never written through.
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return write_atomic(path, bytes);
    };
    let kind = meta.file_type();
    let system_link = kind.is_symlink()
        && path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| p.starts_with("/dev") || p.starts_with("/proc"));
    let special = !kind.is_symlink() && !kind.is_file() && !kind.is_dir();
    if !system_link && !special {
        return write_atomic(path, bytes);
    }
    let mut file = OpenOptions::new().append(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_never_reuse_a_planted_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        write_atomic(&target, b"one").unwrap();
        write_atomic(&target, b"two").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"two");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "{left:?}");
        assert_ne!(random_suffix(), random_suffix());
    }
}
