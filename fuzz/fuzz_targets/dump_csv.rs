//! The dump's CSV tables read from memory. The input is split on `\0` into
//! crates, crate_owners, versions, users, teams and oauth_github, in that order.
#![no_main]

use cargo_vendor_audit::facts::dump::read_tables;
use cargo_vendor_audit::facts::publisher::CrateKey;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 6] = [
    "crates.csv",
    "crate_owners.csv",
    "versions.csv",
    "users.csv",
    "teams.csv",
    "oauth_github.csv",
];

fuzz_target!(|data: &[u8]| {
    let tables: Vec<(&str, &[u8])> = NAMES.iter().copied().zip(data.split(|&b| b == 0)).collect();
    let wanted = [
        CrateKey::new("serde", "1.0.0"),
        CrateKey::new("kasp-util", "1.0.0"),
        CrateKey::new("a", "0.1.0"),
    ];
    let _ = read_tables(std::path::Path::new("fuzz-dump"), &tables, &wanted);
});
