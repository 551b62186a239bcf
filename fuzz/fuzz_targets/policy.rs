//! The policy parser and checker on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A path that does not exist: relative `extends` resolve beside it, to nothing.
    if let Ok(policy) = cargo_vendor_audit::policy::load_str("/nonexistent/fuzz/policy.toml", text)
    {
        let _ = policy.needs_publisher_facts();
    }
});
