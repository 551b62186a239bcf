//! The `--lockfile` reader on an arbitrary file: a Cargo.lock parsed, checked and walked
//! into a graph, or a clear error.
#![no_main]

use cargo_vendor_audit::input::lockfile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::io::Write::write_all(&mut file, data).expect("write the input");
    if let Ok((graph, _notes)) = lockfile::load(file.path()) {
        // Every package the walk reached can be named.
        for i in graph.reached() {
            let _ = &graph.packages[i].name;
        }
    }
});
