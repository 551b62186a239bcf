//! Small crates.io database dumps made in memory: the five tables of one crate `foo 1.0.0`
//! owned and published by user 7 (`someone`), in a tar, gzipped or not.

use std::io::Write as _;

/// `crates.csv`: crate 1 is `foo`.
pub const CRATES: &str = "id,name\n1,foo\n";
/// `crate_owners.csv`: user 7 owns crate 1.
pub const OWNERS: &str = "crate_id,owner_id,owner_kind\n1,7,0\n";
/// `versions.csv`: `foo 1.0.0`, published by user 7.
pub const VERSIONS: &str = "crate_id,num,published_by\n1,1.0.0,7\n";
/// `users.csv`: user 7 is `someone`.
pub const USERS: &str = "id,gh_login\n7,someone\n";
/// `teams.csv`: no teams.
pub const TEAMS: &str = "id,login\n";

/// The five tables under `prefix` (e.g. `d/data/`), those named in `replace` with its text.
pub fn tables(prefix: &str, replace: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    [
        ("crates.csv", CRATES),
        ("crate_owners.csv", OWNERS),
        ("versions.csv", VERSIONS),
        ("users.csv", USERS),
        ("teams.csv", TEAMS),
    ]
    .iter()
    .map(|(n, t)| {
        let text = replace
            .iter()
            .find(|(r, _)| r == n)
            .map_or(*t, |(_, text)| *text);
        (format!("{prefix}{n}"), text.as_bytes().to_vec())
    })
    .collect()
}

/// A tar of `entries` (path, content). Paths are written into the header as they are,
/// `..` included, as a hostile tool would; each fits the 100-byte name field.
pub fn tar(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, bytes) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        // set_path refuses `..`: write the name field directly.
        let name = &mut header.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        builder.append(&header, bytes.as_slice()).unwrap();
    }
    builder.into_inner().unwrap()
}

/// `bytes`, gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A `.tar.gz` dump of `entries`.
pub fn tar_gz(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    gzip(&tar(entries))
}
