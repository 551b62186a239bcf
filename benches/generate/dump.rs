//! A crates.io database dump in the 2026 layout, as `.tar.gz` (what `--db-dump` reads).
//!
//! `<date>/metadata.json`, then `<date>/data/` with `crates.csv` (readmes included, as the
//! real one), `oauth_github.csv`, `teams.csv`, `users.csv`, `crate_owners.csv`,
//! `versions.csv` and an empty `dependencies.csv`, in that order and with the real column
//! sets. Crates are named `gen-crate-N`; [`wanted`] names versions that exist in it.

use std::io::{self, Write};

use super::{Rng, WORDS};
use cargo_vendor_audit::facts::publisher::CrateKey;

/// The dump's date folder.
pub const DATE_DIR: &str = "2026-11-27-020000";

/// Rows of each table.
#[derive(Clone, Copy, Debug)]
pub struct DumpSpec {
    pub crates: usize,
    pub owners: usize,
    pub versions: usize,
    pub users: usize,
    pub teams: usize,
    pub seed: u64,
}

impl DumpSpec {
    /// About the shape of the real dump of 2026: 150,000 crates, 500,000 owner rows,
    /// 1,500,000 versions; `scale` multiplies every table.
    pub fn realistic(scale: f64) -> DumpSpec {
        let n = |x: f64| ((x * scale) as usize).max(1);
        DumpSpec {
            crates: n(150_000.0),
            owners: n(500_000.0),
            versions: n(1_500_000.0),
            users: n(90_000.0),
            teams: n(2_000.0),
            seed: 42,
        }
    }
}

/// What was written: bytes of CSV before compression, and of the archive.
#[derive(Clone, Copy, Debug, Default)]
pub struct Written {
    pub csv_bytes: u64,
    pub archive_bytes: u64,
}

fn version_of(crate_id: usize, k: usize) -> String {
    format!("{}.{}.{}", crate_id % 3, k / 10, k % 10)
}

/// Versions of crate `c` (1-based id) in a dump of `spec`: spread unevenly, as in the real one.
fn versions_per_crate(spec: &DumpSpec, c: usize) -> usize {
    let avg = spec.versions / spec.crates.max(1);
    // Every 10th crate has 5x the average, the others a little less than it.
    if c.is_multiple_of(10) {
        avg * 5
    } else {
        avg.saturating_sub(avg * 4 / 9).max(1)
    }
}

/// `count` crate versions that the dump holds, spread over its crates.
pub fn wanted(spec: &DumpSpec, count: usize) -> Vec<CrateKey> {
    let step = (spec.crates / count.max(1)).max(1);
    (1..=spec.crates)
        .step_by(step)
        .take(count)
        .map(|c| CrateKey {
            name: format!("gen-crate-{c}"),
            version: version_of(c, 0),
        })
        .collect()
}

/// Writes the `.tar.gz` to `out`.
pub fn write_tar_gz(spec: &DumpSpec, out: impl Write) -> io::Result<Written> {
    let counter = Counting { inner: out, n: 0 };
    let gz = flate2::write::GzEncoder::new(counter, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut csv_bytes = 0;
    let add = |tar: &mut tar::Builder<_>, name: &str, data: &[u8]| -> io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, format!("{DATE_DIR}/{name}"), data)
    };
    add(
        &mut tar,
        "metadata.json",
        br#"{"timestamp":"2026-11-27T02:00:00.000000Z","crates_io_commit":"0000000"}"#,
    )?;
    add(&mut tar, "README.md", b"A generated crates.io dump.\n")?;
    for table in [
        "crates",
        "oauth_github",
        "teams",
        "users",
        "crate_owners",
        "versions",
        "dependencies",
    ] {
        let data = table_csv(spec, table)?;
        csv_bytes += data.len() as u64;
        add(&mut tar, &format!("data/{table}.csv"), &data)?;
    }
    let gz = tar.into_inner()?;
    let counter = gz.finish()?;
    Ok(Written {
        csv_bytes,
        archive_bytes: counter.n,
    })
}

/// Writes the dump as `db-dump.zip` is laid out (`metadata.json`, `README.md` and
/// `data/*.csv`, no date folder, deflated) to `out`, with `padding` bytes of a
/// `data/version_downloads.csv` the facts store does not read, stored uncompressed.
pub fn write_zip(
    spec: &DumpSpec,
    out: impl Write + io::Seek,
    padding: usize,
) -> io::Result<Written> {
    write_zip_with(spec, &[], out, padding)
}

/// [`write_zip`], with the crate versions `extra` added (each crate owned and each
/// version published by user 1), so that a real graph's packages are found in it.
pub fn write_zip_with(
    spec: &DumpSpec,
    extra: &[CrateKey],
    out: impl Write + io::Seek,
    padding: usize,
) -> io::Result<Written> {
    let mut zip = zip::ZipWriter::new(out);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(padding as u64 >= u64::from(u32::MAX));
    let mut csv_bytes = 0;
    zip.start_file("metadata.json", deflated)
        .map_err(io::Error::other)?;
    zip.write_all(br#"{"timestamp":"2026-11-27T02:00:00.000000Z","crates_io_commit":"0000000"}"#)?;
    zip.start_file("README.md", deflated)
        .map_err(io::Error::other)?;
    zip.write_all(b"A generated crates.io dump.\n")?;
    for table in [
        "crates",
        "oauth_github",
        "teams",
        "users",
        "crate_owners",
        "versions",
        "dependencies",
    ] {
        let mut data = table_csv(spec, table)?;
        add_extra(spec, extra, table, &mut data)?;
        csv_bytes += data.len() as u64;
        zip.start_file(format!("data/{table}.csv"), deflated)
            .map_err(io::Error::other)?;
        zip.write_all(&data)?;
    }
    zip.start_file("data/version_downloads.csv", stored)
        .map_err(io::Error::other)?;
    zip.write_all(b"date,downloads,version_id\n")?;
    let line = b"2026-11-26,1,1\n";
    let mut left = padding;
    while left > 0 {
        let n = left.min(line.len());
        zip.write_all(&line[..n])?;
        left -= n;
    }
    let mut out = zip.finish().map_err(io::Error::other)?;
    let archive_bytes = out.stream_position()?;
    Ok(Written {
        csv_bytes,
        archive_bytes,
    })
}

/// Appends rows for the `extra` crate versions to `table`'s CSV, fields by header name.
fn add_extra(
    spec: &DumpSpec,
    extra: &[CrateKey],
    table: &str,
    data: &mut Vec<u8>,
) -> io::Result<()> {
    if extra.is_empty() || !matches!(table, "crates" | "crate_owners" | "versions") {
        return Ok(());
    }
    let header_end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let header: Vec<String> = String::from_utf8_lossy(&data[..header_end])
        .split(',')
        .map(|h| h.trim().to_string())
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut crate_ids: Vec<(&str, usize)> = Vec::new();
    for key in extra {
        if !crate_ids.iter().any(|(n, _)| *n == key.name) {
            crate_ids.push((&key.name, spec.crates + 1 + crate_ids.len()));
        }
    }
    let mut put = |fields: &[(&str, String)]| -> io::Result<()> {
        let row: Vec<&str> = header
            .iter()
            .map(|h| {
                fields
                    .iter()
                    .find(|(k, _)| k == h)
                    .map_or("", |(_, v)| v.as_str())
            })
            .collect();
        w.write_record(&row).map_err(io::Error::other)
    };
    match table {
        "crates" => {
            for (name, id) in &crate_ids {
                put(&[
                    ("id", id.to_string()),
                    ("name", name.to_string()),
                    ("repository", format!("https://github.com/extra/{name}")),
                    ("trustpub_only", "f".into()),
                ])?;
            }
        }
        "crate_owners" => {
            for (_, id) in &crate_ids {
                put(&[
                    ("crate_id", id.to_string()),
                    ("owner_id", "1".into()),
                    ("owner_kind", "0".into()),
                    ("created_by", "1".into()),
                ])?;
            }
        }
        _ => {
            for (i, key) in extra.iter().enumerate() {
                let id = crate_ids
                    .iter()
                    .find(|(n, _)| *n == key.name)
                    .map_or(0, |c| c.1);
                put(&[
                    ("crate_id", id.to_string()),
                    ("id", (spec.versions + 1 + i).to_string()),
                    ("num", key.version.clone()),
                    ("num_no_build", key.version.clone()),
                    ("published_by", "1".into()),
                    ("yanked", "f".into()),
                ])?;
            }
        }
    }
    data.extend_from_slice(&w.into_inner().map_err(io::Error::other)?);
    Ok(())
}

struct Counting<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len())]);
    }
    s
}

fn row(w: &mut csv::Writer<Vec<u8>>, fields: &[&str]) -> io::Result<()> {
    w.write_record(fields).map_err(io::Error::other)
}

fn table_csv(spec: &DumpSpec, table: &str) -> io::Result<Vec<u8>> {
    let mut rng = Rng::new(spec.seed ^ table.len() as u64);
    let mut w = csv::Writer::from_writer(Vec::new());
    let date = "2020-05-04 03:02:01.123456+00";
    match table {
        "crates" => {
            row(
                &mut w,
                &[
                    "created_at",
                    "description",
                    "documentation",
                    "homepage",
                    "id",
                    "max_features",
                    "max_upload_size",
                    "name",
                    "readme",
                    "repository",
                    "trustpub_only",
                    "updated_at",
                ],
            )?;
            for c in 1..=spec.crates {
                let name = format!("gen-crate-{c}");
                let words = 20 + rng.below(120);
                let readme = format!(
                    "# {name}\n\n{}\n\n```rust\nuse {};\n```\n\n\"{}\"\n",
                    sentence(&mut rng, words),
                    name.replace('-', "_"),
                    sentence(&mut rng, 8)
                );
                row(
                    &mut w,
                    &[
                        date,
                        &sentence(&mut rng, 10),
                        &format!("https://docs.rs/{name}"),
                        "",
                        &c.to_string(),
                        "",
                        "",
                        &name,
                        &readme,
                        &format!("https://github.com/org{}/{name}", rng.below(20_000)),
                        "f",
                        date,
                    ],
                )?;
            }
        }
        "oauth_github" => {
            row(&mut w, &["account_id", "avatar", "login", "user_id"])?;
            for u in 1..=spec.users {
                row(
                    &mut w,
                    &[
                        &(5_000_000 + u).to_string(),
                        &format!(
                            "https://avatars.githubusercontent.com/u/{}?v=4",
                            5_000_000 + u
                        ),
                        &format!("gh-user-{u}"),
                        &u.to_string(),
                    ],
                )?;
            }
        }
        "teams" => {
            row(
                &mut w,
                &["avatar", "github_id", "id", "login", "name", "org_id"],
            )?;
            for t in 1..=spec.teams {
                row(
                    &mut w,
                    &[
                        "",
                        &(7_000_000 + t).to_string(),
                        &t.to_string(),
                        &format!("github:org{t}:owners"),
                        "Owners",
                        &(8_000_000 + t).to_string(),
                    ],
                )?;
            }
        }
        "users" => {
            row(&mut w, &["created_at", "gh_id", "id", "name", "username"])?;
            for u in 1..=spec.users {
                row(
                    &mut w,
                    &[
                        date,
                        &(5_000_000 + u).to_string(),
                        &u.to_string(),
                        &format!("User {u}"),
                        &format!("user-{u}"),
                    ],
                )?;
            }
        }
        "crate_owners" => {
            row(
                &mut w,
                &[
                    "crate_id",
                    "created_at",
                    "created_by",
                    "owner_id",
                    "owner_kind",
                ],
            )?;
            for r in 0..spec.owners {
                let c = 1 + r % spec.crates;
                let team = rng.chance(8);
                let owner = if team {
                    1 + rng.below(spec.teams)
                } else {
                    1 + rng.below(spec.users)
                };
                row(
                    &mut w,
                    &[
                        &c.to_string(),
                        date,
                        &(1 + rng.below(spec.users)).to_string(),
                        &owner.to_string(),
                        if team { "1" } else { "0" },
                    ],
                )?;
            }
        }
        "versions" => {
            row(
                &mut w,
                &[
                    "bin_names",
                    "categories",
                    "crate_id",
                    "crate_size",
                    "created_at",
                    "description",
                    "documentation",
                    "downloads",
                    "edition",
                    "features",
                    "has_lib",
                    "homepage",
                    "id",
                    "keywords",
                    "license",
                    "links",
                    "num",
                    "num_no_build",
                    "published_by",
                    "repository",
                    "rust_version",
                    "tar_sha256",
                    "updated_at",
                    "yanked",
                    "zip_json_sha256",
                    "zip_sha256",
                ],
            )?;
            let mut id = 0usize;
            let mut c = 1;
            while id < spec.versions {
                for k in 0..versions_per_crate(spec, c) {
                    if id >= spec.versions {
                        break;
                    }
                    id += 1;
                    let num = version_of(c, k);
                    let by = if rng.chance(85) {
                        (1 + rng.below(spec.users)).to_string()
                    } else {
                        String::new()
                    };
                    let sha = format!(
                        "{:016x}{:016x}{:016x}{:016x}",
                        rng.next_u64(),
                        rng.next_u64(),
                        rng.next_u64(),
                        rng.next_u64()
                    );
                    row(
                        &mut w,
                        &[
                            "{}",
                            "{}",
                            &c.to_string(),
                            &(1000 + rng.below(900_000)).to_string(),
                            date,
                            &sentence(&mut rng, 6),
                            "",
                            &rng.below(1_000_000).to_string(),
                            "2021",
                            "{\"default\":[\"std\"],\"std\":[]}",
                            "t",
                            "",
                            &id.to_string(),
                            "{}",
                            "MIT OR Apache-2.0",
                            "",
                            &num,
                            &num,
                            &by,
                            &format!("https://github.com/org{}/gen-crate-{c}", c % 20_000),
                            "1.70",
                            &sha,
                            date,
                            "f",
                            "",
                            "",
                        ],
                    )?;
                }
                c = if c >= spec.crates { 1 } else { c + 1 };
            }
        }
        _ => {
            row(
                &mut w,
                &[
                    "crate_id",
                    "default_features",
                    "features",
                    "id",
                    "kind",
                    "optional",
                    "req",
                    "target",
                    "version_id",
                ],
            )?;
        }
    }
    w.into_inner().map_err(|e| e.into_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_finds_the_wanted_versions() {
        let spec = DumpSpec {
            crates: 200,
            owners: 600,
            versions: 2000,
            users: 100,
            teams: 5,
            seed: 1,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db-dump.tar.gz");
        let written = write_tar_gz(&spec, std::fs::File::create(&path).unwrap()).unwrap();
        assert!(written.csv_bytes > written.archive_bytes);
        let wanted = wanted(&spec, 20);
        let found = cargo_vendor_audit::facts::dump::read_dump(&path, &wanted).unwrap();
        assert_eq!(found.facts.len(), 20);
        assert!(found.facts.values().all(|f| f.publisher.is_some()));
        assert!(
            found
                .facts
                .values()
                .all(|f| !f.owners.as_ref().unwrap().value.is_empty())
        );
    }
}
