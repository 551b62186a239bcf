//! Bounds on what is read from any one file or answer that strangers may have written.
//!
//! A file larger than its limit is refused before it is read (a regular file's size is
//! known up front); a stream (stdin, an HTTP body) is read only up to the limit plus one
//! byte. A file named by a path is opened only when it is a regular file
//! ([`open_regular`]): a FIFO, a device or a socket could block the open or never end.
//! The README's security model lists these numbers.

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
/// One row of a dump's CSV table (a crate's readme is the longest field).
pub const DUMP_ROW_BYTES: u64 = 64 << 20;
/// A tar GNU long name or PAX extended header in a dump (a path is at most a few KiB).
pub const TAR_HEADER_BYTES: u64 = 64 << 10;
/// One `[[package]]` entry of the facts lock: a few hundred bytes, and room for what the
/// largest API answer ([`API_ANSWER_BYTES`]) writes there.
pub const FACTS_LOCK_ENTRY_BYTES: u64 = 8 << 20;
/// The workspace's `Cargo.lock`, read to point findings at a line: deno's is 300 KiB.
pub const CARGO_LOCK_BYTES: u64 = 64 << 20;

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

/// Reads the UTF-8 file at `path`, refusing one larger than `limit` bytes and anything
/// but a regular file (see [`open_regular`]).
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    let (file, len) = open_regular(path, limit)?;
    read_text_sized(file, limit, len)
}

/// Opens the file at `path` for reading when it is a regular file (a symbolic link is
/// followed) of at most `limit` bytes, and gives its size. Everything the tool reads from
/// a path goes through here.
///
/// A FIFO, a device, a socket or a folder is refused with a message saying what it is,
/// before it is opened: opening a FIFO blocks until someone writes, and a device can be
/// endless. The open itself is non-blocking and what was opened is checked again, so a
/// file swapped for a FIFO in between cannot hang the run either.
pub fn open_regular(path: &Path, limit: u64) -> io::Result<(std::fs::File, u64)> {
    check_regular(&std::fs::metadata(path)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    check_regular(&meta)?;
    if meta.len() > limit {
        return Err(too_large(limit));
    }
    Ok((file, meta.len()))
}

fn check_regular(meta: &std::fs::Metadata) -> io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a folder",
        ));
    }
    let what = file_kind(meta);
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {what}, not a regular file; only regular files are read"),
    ))
}

/// What a file that is not a regular file is, for messages.
pub(crate) fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = meta;
    "a special file"
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

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_before_opening() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        // No writer: a plain open would block forever.
        let e = read_text(&fifo, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("a FIFO"), "{e}");
        let e = read_text(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("a character device"), "{e}");
    }
}
