//! The crates.io database dump source, on small dumps built by the tests in both
//! layouts (older `gh_login`, 2026 `username` + `oauth_github.csv`), as `.tar.gz` and as
//! an extracted folder, and on corrupt ones.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use cargo_vendor_audit::facts::dump::{DumpError, DumpSource, read_dump};
use cargo_vendor_audit::facts::publisher::{CrateKey, FactSource};
use cargo_vendor_audit::facts::{Owner, Provenance, Publisher};

const DATE_DIR: &str = "2026-11-27-020000";
const TIMESTAMP: &str = "2026-11-27T02:00:00.123456Z";

/// The tables of a dump, in the tar's order, as (file name, contents).
fn tables(layout_2026: bool, extra_versions: usize) -> Vec<(&'static str, String)> {
    let crates = "\
created_at,description,documentation,homepage,id,max_features,max_upload_size,name,readme,repository,trustpub_only,updated_at
2015-01-01,\"Serialization, framework\",,,1,,,serde,\"# serde

A readme, with \"\"quotes\"\" and lines.\",https://github.com/serde-rs/serde,f,2026-01-01
2016-01-01,,,,2,,,Foo_Bar,,,f,2026-01-01
2017-01-01,,,,3,,,other,,,f,2026-01-01
";
    let teams = "\
avatar,github_id,id,login,name,org_id
,100,5,github:serde-rs:owners,Owners,200
,101,6,github:other:team,Team,201
";
    let users_old = "\
gh_avatar,gh_id,gh_login,id,name
,1000,dtolnay,10,David
,1001,FooMaker,11,Foo
,1002,someone,12,
";
    let users_2026 = "\
created_at,gh_id,id,name,username
2015-01-01,1000,10,David,dtolnay
2015-01-01,1001,11,Foo,
2015-01-01,1002,12,,someone
";
    let oauth = "\
account_id,avatar,login,user_id
1000,,dtolnay-on-github,10
1001,,FooMaker,11
1002,,someone,12
";
    let crate_owners = "\
crate_id,created_at,created_by,owner_id,owner_kind
1,2015-01-01,10,10,0
1,2015-01-01,10,5,1
2,2016-01-01,11,11,0
3,2017-01-01,12,12,0
3,2017-01-01,12,6,1
";
    let mut versions = if layout_2026 {
        String::from(
            "bin_names,categories,crate_id,crate_size,created_at,description,documentation,downloads,edition,features,has_lib,homepage,id,keywords,license,links,num,num_no_build,published_by,repository,rust_version,tar_sha256,updated_at,yanked,zip_json_sha256,zip_sha256\n",
        )
    } else {
        String::from(
            "checksum,crate_id,crate_size,created_at,downloads,features,id,license,links,num,published_by,updated_at,yanked\n",
        )
    };
    let mut row_on = |crate_id: u32, id: u32, num: &str, by: &str, sha: &str, day: &str| {
        if layout_2026 {
            versions.push_str(&format!(
                "{{}},{{}},{crate_id},100,{day},,,5,2021,{{}},t,,{id},{{}},MIT,,{num},{num},{by},,,{sha},{day},f,,\n"
            ));
        } else {
            versions.push_str(&format!(
                "{sha},{crate_id},100,{day},5,{{}},{id},MIT,,{num},{by},{day},f\n"
            ));
        }
    };
    // A version published since trusted publishing began, with no `published_by`.
    row_on(1, 102, "1.2.0", "", "ee", "2026-03-01 10:00:00.000000");
    let mut row = |crate_id: u32, id: u32, num: &str, by: &str, sha: &str| {
        row_on(crate_id, id, num, by, sha, "2020-01-01")
    };
    row(1, 100, "1.0.0", "10", "aa");
    row(1, 101, "1.0.1", "", "bb");
    row(2, 200, "0.1.0", "11", "cc");
    row(3, 300, "1.0.0", "12", "dd");
    // Filler rows of other crates with hard-to-compress checksums.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..extra_versions {
        let mut sha = String::new();
        for _ in 0..4 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            sha.push_str(&format!("{seed:016x}"));
        }
        row(3, 1000 + i as u32, &format!("0.0.{i}"), "12", &sha);
    }

    let mut out = vec![("crates.csv", crates.to_string())];
    if layout_2026 {
        out.push(("oauth_github.csv", oauth.to_string()));
    }
    out.push(("teams.csv", teams.to_string()));
    out.push((
        "users.csv",
        if layout_2026 { users_2026 } else { users_old }.to_string(),
    ));
    out.push(("crate_owners.csv", crate_owners.to_string()));
    out.push(("versions.csv", versions));
    out.push((
        "dependencies.csv",
        "crate_id,default_features,features,id,kind,optional,req,target,version_id\n".to_string(),
    ));
    out
}

fn metadata_json() -> String {
    format!(r#"{{"timestamp":"{TIMESTAMP}","crates_io_commit":"abc"}}"#)
}

fn write_folder(dir: &Path, tables: &[(&str, String)]) -> PathBuf {
    let root = dir.join(DATE_DIR);
    fs::create_dir_all(root.join("data")).unwrap();
    fs::write(root.join("metadata.json"), metadata_json()).unwrap();
    fs::write(root.join("README.md"), "dump").unwrap();
    for (name, text) in tables {
        fs::write(root.join("data").join(name), text).unwrap();
    }
    dir.to_path_buf()
}

fn append(builder: &mut tar::Builder<impl Write>, path: &str, data: &[u8]) {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    // Written raw so the tests can also make entries whose paths escape.
    let name = &mut header.as_old_mut().name;
    name[..path.len()].copy_from_slice(path.as_bytes());
    header.set_cksum();
    builder.append(&header, data).unwrap();
}

fn write_tar_gz(file: &Path, tables: &[(&str, String)], evil: bool) -> PathBuf {
    let gz = flate2::write::GzEncoder::new(
        fs::File::create(file).unwrap(),
        flate2::Compression::default(),
    );
    let mut builder = tar::Builder::new(gz);
    append(&mut builder, &format!("{DATE_DIR}/README.md"), b"dump");
    append(
        &mut builder,
        &format!("{DATE_DIR}/metadata.json"),
        metadata_json().as_bytes(),
    );
    if evil {
        // Paths that climb out or are absolute: ignored, whatever their name.
        let bogus = "id,name\n1,serde\n";
        append(&mut builder, "../data/crates.csv", bogus.as_bytes());
        append(&mut builder, "/data/crates.csv", bogus.as_bytes());
        append(
            &mut builder,
            &format!("{DATE_DIR}/../data/crate_owners.csv"),
            b"crate_id,owner_id,owner_kind\n1,999,0\n",
        );
    }
    for (name, text) in tables {
        append(
            &mut builder,
            &format!("{DATE_DIR}/data/{name}"),
            text.as_bytes(),
        );
    }
    builder.into_inner().unwrap().finish().unwrap();
    file.to_path_buf()
}

fn wanted() -> Vec<CrateKey> {
    vec![
        CrateKey::new("serde", "1.0.0"),
        CrateKey::new("serde", "1.0.1"),
        CrateKey::new("serde", "1.2.0"),
        CrateKey::new("serde", "9.9.9"),
        CrateKey::new("foo-bar", "0.1.0"),
        CrateKey::new("not-in-dump", "1.0.0"),
    ]
}

fn check(path: &Path, layout_2026: bool) {
    let found = read_dump(path, &wanted()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.timestamp.as_deref(), Some(TIMESTAMP));
    // Only wanted crates that the dump has.
    assert_eq!(found.facts.len(), 5, "{:#?}", found.facts);
    assert!(
        !found
            .facts
            .contains_key(&CrateKey::new("not-in-dump", "1.0.0"))
    );

    let serde = &found.facts[&CrateKey::new("serde", "1.0.0")];
    let owners = serde.owners.as_ref().unwrap();
    assert_eq!(owners.provenance, Provenance::DbDump);
    assert_eq!(owners.fetched.as_deref(), Some(TIMESTAMP));
    assert_eq!(
        owners.value,
        vec![
            Owner::User {
                id: 10,
                login: "dtolnay".into()
            },
            Owner::Team {
                id: 5,
                login: "github:serde-rs:owners".into()
            }
        ]
    );
    let publisher = serde.publisher.as_ref().unwrap();
    assert_eq!(publisher.provenance, Provenance::DbDump);
    assert_eq!(
        publisher.value,
        Some(Publisher::User {
            id: 10,
            login: "dtolnay".into()
        })
    );
    // Empty published_by: known, no recorded publisher.
    let unrecorded = &found.facts[&CrateKey::new("serde", "1.0.1")];
    assert_eq!(unrecorded.publisher.as_ref().unwrap().value, None);
    // Empty published_by on a version from after trusted publishing began: a trusted
    // publisher may have published it, which the dump does not hold, so it is unknown.
    let maybe_trusted = &found.facts[&CrateKey::new("serde", "1.2.0")];
    assert!(maybe_trusted.publisher.is_none());
    assert!(maybe_trusted.owners.is_some());
    // A version the dump does not have: publisher unknown, owners known.
    let newer = &found.facts[&CrateKey::new("serde", "9.9.9")];
    assert!(newer.publisher.is_none());
    assert!(newer.owners.is_some());

    // `Foo_Bar` in the dump is `foo-bar` in the graph. Its owner has no username in the
    // 2026 layout: the GitHub login from oauth_github stands in.
    let foo_bar = &found.facts[&CrateKey::new("foo-bar", "0.1.0")];
    let _ = layout_2026;
    let login = "FooMaker";
    assert_eq!(
        foo_bar.owners.as_ref().unwrap().value,
        vec![Owner::User {
            id: 11,
            login: login.into()
        }]
    );
    assert_eq!(
        foo_bar.publisher.as_ref().unwrap().value,
        Some(Publisher::User {
            id: 11,
            login: login.into()
        })
    );
}

#[test]
fn reads_the_older_layout_as_folder_and_tar_gz() {
    let dir = tempfile::tempdir().unwrap();
    let t = tables(false, 0);
    check(&write_folder(&dir.path().join("folder"), &t), false);
    // The `<date>` folder itself, too.
    check(&dir.path().join("folder").join(DATE_DIR), false);
    check(
        &write_tar_gz(&dir.path().join("db-dump.tar.gz"), &t, true),
        false,
    );
}

#[test]
fn reads_the_2026_layout_as_folder_and_tar_gz() {
    let dir = tempfile::tempdir().unwrap();
    let t = tables(true, 0);
    check(&write_folder(&dir.path().join("folder"), &t), true);
    check(
        &write_tar_gz(&dir.path().join("db-dump.tar.gz"), &t, true),
        true,
    );
}

#[test]
fn username_wins_over_the_github_login() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = tables(true, 0);
    for (name, text) in t.iter_mut() {
        if *name == "users.csv" {
            *text = text.replace(",dtolnay\n", ",dtolnay-on-crates-io\n");
        }
    }
    let path = write_tar_gz(&dir.path().join("d.tar.gz"), &t, false);
    let found = read_dump(&path, &[CrateKey::new("serde", "1.0.0")]).unwrap();
    let serde = &found.facts[&CrateKey::new("serde", "1.0.0")];
    assert_eq!(
        serde.owners.as_ref().unwrap().value[0],
        Owner::User {
            id: 10,
            login: "dtolnay-on-crates-io".into()
        }
    );
}

#[test]
fn users_after_the_tables_that_refer_to_them() {
    // Some other order: users and teams last. Ids are kept and resolved at the end.
    let dir = tempfile::tempdir().unwrap();
    let mut t = tables(false, 0);
    let users = t.remove(t.iter().position(|(n, _)| *n == "users.csv").unwrap());
    let teams = t.remove(t.iter().position(|(n, _)| *n == "teams.csv").unwrap());
    t.push(users);
    t.push(teams);
    check(
        &write_tar_gz(&dir.path().join("d.tar.gz"), &t, false),
        false,
    );
}

#[test]
fn corrupt_dumps_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();

    // Truncated gzip: cut in the middle of versions.csv.
    let whole = write_tar_gz(
        &dir.path().join("whole.tar.gz"),
        &tables(true, 20_000),
        false,
    );
    let bytes = fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.tar.gz");
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_dump(&cut, &wanted()).unwrap_err();
    assert!(matches!(err, DumpError::Archive { .. }), "{err:?}");
    assert!(err.to_string().contains("corrupt or truncated"), "{err}");
    // The whole one reads fine.
    read_dump(&whole, &wanted()).unwrap();

    // A few bytes of gzip, and something that is no archive at all.
    let stub = dir.path().join("stub.tar.gz");
    fs::write(&stub, &bytes[..40]).unwrap();
    assert!(read_dump(&stub, &wanted()).is_err());
    let text = dir.path().join("notes.txt");
    fs::write(&text, "this is not a dump\n".repeat(100)).unwrap();
    assert!(read_dump(&text, &wanted()).is_err());
    let missing = dir.path().join("nope.tar.gz");
    assert!(matches!(
        read_dump(&missing, &wanted()).unwrap_err(),
        DumpError::Open { .. }
    ));

    // Malformed CSV: a row with too many fields.
    let mut t = tables(false, 0);
    t[0].1
        .push_str("2018-01-01,,,,4,,,extra,,,f,2026-01-01,surplus\n");
    let folder = write_folder(&dir.path().join("bad-row"), &t);
    let err = read_dump(&folder, &wanted()).unwrap_err().to_string();
    assert!(err.contains("crates.csv line 7"), "{err}");

    // Malformed CSV: an id that is not a number.
    let mut t = tables(false, 0);
    t[3].1 = t[3]
        .1
        .replace("1,2015-01-01,10,10,0", "x,2015-01-01,10,10,0");
    let tgz = write_tar_gz(&dir.path().join("bad-id.tar.gz"), &t, false);
    let err = read_dump(&tgz, &wanted()).unwrap_err().to_string();
    assert!(
        err.contains("crate_owners.csv line 2") && err.contains("`crate_id`"),
        "{err}"
    );

    // A required column missing.
    let mut t = tables(false, 0);
    t[4].1 = t[4].1.replace("num,", "number,");
    let folder = write_folder(&dir.path().join("no-num"), &t);
    let err = read_dump(&folder, &wanted()).unwrap_err().to_string();
    assert!(err.contains("versions.csv has no column `num`"), "{err}");

    // A table missing, as a folder and as an archive.
    let mut t = tables(false, 0);
    t.retain(|(n, _)| *n != "versions.csv");
    let folder = write_folder(&dir.path().join("no-versions"), &t);
    let err = read_dump(&folder, &wanted()).unwrap_err().to_string();
    assert!(err.contains("no versions.csv"), "{err}");
    let tgz = write_tar_gz(&dir.path().join("no-versions.tar.gz"), &t, false);
    let err = read_dump(&tgz, &wanted()).unwrap_err().to_string();
    assert!(err.contains("no versions.csv"), "{err}");

    // Through the FactSource: degraded, no facts, no panic.
    let got = DumpSource::new(&cut).gather(&wanted());
    assert!(got.facts.is_empty());
    assert_eq!(got.degraded.len(), 1);
    assert_eq!(got.degraded[0].source, "db-dump");
    assert!(got.degraded[0].message.contains("cut.tar.gz"));
}

#[test]
fn stops_reading_once_it_has_what_it_needs() {
    // Everything after versions.csv (dependencies, downloads: most of the real file) is
    // not read, so damage there does not matter.
    let dir = tempfile::tempdir().unwrap();
    let mut t = tables(true, 0);
    let mut noise = String::from("date,downloads,version_id\n");
    let mut seed: u64 = 42;
    for _ in 0..20_000 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        noise.push_str(&format!("2026-01-01,{seed},{}\n", seed % 1000));
    }
    t.push(("version_downloads.csv", noise));
    let whole = write_tar_gz(&dir.path().join("d.tar.gz"), &t, false);
    let bytes = fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.tar.gz");
    fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    check(&cut, true);
}

#[test]
fn long_names_and_pax_paths_are_followed() {
    // A date folder longer than a tar header's 100 bytes: GNU long names, then PAX paths.
    let dir = tempfile::tempdir().unwrap();
    let root = format!("{DATE_DIR}-{}", "x".repeat(120));
    for pax in [false, true] {
        let file = dir.path().join(format!("long-{pax}.tar"));
        let mut builder = tar::Builder::new(fs::File::create(&file).unwrap());
        let mut entries = vec![("metadata.json".to_string(), metadata_json())];
        entries.extend(
            tables(true, 0)
                .into_iter()
                .map(|(n, t)| (format!("data/{n}"), t)),
        );
        for (name, text) in entries {
            let path = format!("{root}/{name}");
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            if pax {
                builder
                    .append_pax_extensions([("path", path.as_bytes())])
                    .unwrap();
                header.set_path("short-name").unwrap();
                header.set_cksum();
                builder.append(&header, text.as_bytes()).unwrap();
            } else {
                builder
                    .append_data(&mut header, &path, text.as_bytes())
                    .unwrap();
            }
        }
        builder.into_inner().unwrap();
        check(&file, true);
    }
}
