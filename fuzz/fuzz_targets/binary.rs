//! The `--binary` reader on an arbitrary file: the `cargo auditable` dependency list found
//! in an ELF, PE, Mach-O or WebAssembly file, or a clear error.
#![no_main]

use cargo_vendor_audit::input::binary;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::io::Write::write_all(&mut file, data).expect("write the input");
    let _ = binary::load(&[file.path().to_path_buf()]);
});
