//! The facts store on an arbitrary file: opened (memory-mapped), summarised and looked up
//! without a panic or a read out of bounds; a damaged store is an error, never facts.
#![no_main]

use cargo_vendor_audit::facts::publisher::CrateKey;
use cargo_vendor_audit::facts::store::Store;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::io::Write::write_all(&mut file, data).expect("write the input");
    let Ok(store) = Store::open(file.path()) else {
        return;
    };
    let _ = store.summary();
    let _ = store.timestamp();
    for (name, version) in [("serde", "1.0.0"), ("a", "0.1.0"), ("", ""), ("zzzz", "9")] {
        let _ = store.lookup(&CrateKey::new(name, version));
        let _ = store.urls(name);
    }
});
