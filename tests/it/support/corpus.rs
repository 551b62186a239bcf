//! The real `cargo metadata` corpus (ripgrep, wasmtime, deno), their `Cargo.lock` files and
//! wasmtime's cargo-vet `imports.lock`, committed gzipped under `tests/fixtures/corpus/`.
//!
//! [`path`] unpacks a file once into the build's temporary folder and returns where it is,
//! so the binary can be given a plain path. The file is written under a unique name and
//! renamed into place, so test threads and test binaries running at once never see half a
//! file.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The unpacked copy of `tests/fixtures/corpus/FILE.gz`, e.g. `path("deno.metadata.json")`.
pub fn path(file: &str) -> PathBuf {
    let gz = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(format!("{file}.gz"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    let out = dir.join(file);
    let fresh = |out: &Path| -> bool {
        let (Ok(o), Ok(g)) = (std::fs::metadata(out), std::fs::metadata(&gz)) else {
            return false;
        };
        matches!((o.modified(), g.modified()), (Ok(o), Ok(g)) if o >= g)
    };
    if fresh(&out) {
        return out;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(&gz).unwrap_or_else(|e| panic!("{}: {e}", gz.display())),
    )
    .read_to_end(&mut text)
    .unwrap_or_else(|e| panic!("{}: {e}", gz.display()));
    static N: AtomicUsize = AtomicUsize::new(0);
    let tmp = dir.join(format!(
        ".{file}.{}.{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&tmp, &text).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    out
}

/// The text of a corpus file.
pub fn read(file: &str) -> String {
    std::fs::read_to_string(path(file)).unwrap()
}
