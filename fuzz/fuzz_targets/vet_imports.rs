//! The cargo-vet imports.lock reader on arbitrary text.
#![no_main]

use cargo_vendor_audit::facts::vet::VetImports;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(imports) = VetImports::parse(text, std::path::Path::new("imports.lock")) {
        let _ = imports.publisher("serde", "1.0.0");
        let _ = imports.len();
    }
});
