//! The dump reader on an arbitrary file (gzip or plain tar holding the CSV tables).
#![no_main]

use cargo_vendor_audit::facts::dump::read_dump;
use cargo_vendor_audit::facts::publisher::CrateKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::io::Write::write_all(&mut file, data).expect("write the input");
    let wanted = [CrateKey::new("serde", "1.0.0"), CrateKey::new("a", "0.1.0")];
    let _ = read_dump(file.path(), &wanted);
});
