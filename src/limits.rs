//! Bounds on what is read from any one file or answer that strangers may have written.
//!
//! A file larger than its limit is refused before it is read (a regular file's size is
//! known up front); a stream (stdin, a device, an HTTP body) is read only up to the limit
//! plus one byte. The README's security model lists these numbers.

use std::io::{self, Read};
use std::path::Path;

/// `cargo metadata` JSON (`--metadata-path`): deno's is 5 MiB.
pub const METADATA_BYTES: u64 = 256 << 20;
/// One policy file (each `extends` target counts on its own): a policy generated from a
/// sanctions list with 20,000 entities is about 8 MiB.
pub const POLICY_BYTES: u64 = 32 << 20;
/// The facts lock `vendor-audit.lock`: a few hundred bytes per package.
pub const FACTS_LOCK_BYTES: u64 = 64 << 20;
/// A cargo-vet `imports.lock`: wasmtime's is 100 KiB.
pub const VET_IMPORTS_BYTES: u64 = 64 << 20;
/// One crates.io API answer (an owners list or one version).
pub const API_ANSWER_BYTES: u64 = 4 << 20;
/// A dump's `metadata.json`.
pub const DUMP_METADATA_BYTES: u64 = 1 << 20;

/// `limit` for people: `256 MiB`, `4 MiB`, `512 KiB`, `100 bytes`.
pub fn describe(limit: u64) -> String {
    if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
        format!("{} MiB", limit >> 20)
    } else if limit >= 1 << 10 && limit.is_multiple_of(1 << 10) {
        format!("{} KiB", limit >> 10)
    } else {
        format!("{limit} bytes")
    }
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("larger than the limit of {}", describe(limit)),
    )
}

/// Reads UTF-8 text from `reader`, failing once more than `limit` bytes arrive.
pub fn read_text_from(reader: impl Read, limit: u64) -> io::Result<String> {
    read_text_sized(reader, limit, 0)
}

/// [`read_text_from`] into a buffer made for `expected` bytes: one allocation and no
/// copying as it grows, when the size is known.
fn read_text_sized(reader: impl Read, limit: u64, expected: u64) -> io::Result<String> {
    // One byte more, so that reaching the end does not grow the buffer.
    let capacity = expected.min(limit).saturating_add(1);
    let mut text = String::with_capacity(usize::try_from(capacity).unwrap_or(0));
    reader
        .take(limit.saturating_add(1))
        .read_to_string(&mut text)?;
    if text.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(text)
}

/// Reads the UTF-8 file at `path`, refusing one larger than `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a folder",
        ));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(limit));
    }
    let expected = if meta.is_file() { meta.len() } else { 0 };
    read_text_sized(file, limit, expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_limits() {
        assert_eq!(describe(256 << 20), "256 MiB");
        assert_eq!(describe(512 << 10), "512 KiB");
        assert_eq!(describe(100), "100 bytes");
    }

    #[test]
    fn stream_is_cut_at_the_limit() {
        assert_eq!(read_text_from(&b"abcd"[..], 4).unwrap(), "abcd");
        let e = read_text_from(&b"abcde"[..], 4).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(e.to_string().contains("limit of 4 bytes"), "{e}");
        // An endless stream stops at the limit.
        let e = read_text_from(io::repeat(b'a'), 1 << 10).unwrap_err();
        assert!(e.to_string().contains("1 KiB"), "{e}");
    }

    #[test]
    fn large_file_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        // Sparse: costs no disk, and is never read.
        std::fs::File::create(&path)
            .unwrap()
            .set_len(10 << 30)
            .unwrap();
        let e = read_text(&path, 1 << 20).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        let e = read_text(dir.path(), 1 << 20).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
    }
}
