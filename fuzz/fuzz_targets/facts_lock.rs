//! The facts lock reader: parse, and if it parses, write and read again to the same facts.
#![no_main]

use cargo_vendor_audit::facts::lock::FactsLock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("vendor-audit.lock");
    if let Ok(lock) = FactsLock::parse(text, path) {
        let lock = lock.normalized();
        let written = lock.to_toml_string();
        let again = FactsLock::parse(&written, path).expect("a written lock reads back");
        assert_eq!(again.to_toml_string(), written, "writing is stable");
    }
});
