//! The facts store: every crates.io owner and version publisher, on the machine
//! (book: docs/src/facts.md, "The facts store").
//!
//! Built from a crates.io database dump ([`build`]), downloaded by [`download`], kept as
//! one file `facts.store` under the cache dir (`cargo-vendor-audit/store/`) and read in
//! place through a memory map ([`format`](mod@format)): opening costs a header check, a lookup a
//! binary search over the crate names. Facts from it carry provenance `db-dump` and
//! `fetched` = the dump's timestamp, exactly as `--db-dump PATH` gives them.

pub mod build;
pub mod download;
pub mod format;
pub mod source;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::crate_name::CrateName;
use crate::facts::publisher::{CrateKey, PublisherFacts};
use crate::facts::{Owner, Provenance, Publisher, Sourced};
use format::{ACCOUNT_RECORD, CRATE_RECORD, Header, NONE, get_u32, get_u64, get_varint};

/// The store's file name in its folder.
pub const FILE_NAME: &str = "facts.store";

/// Where `--dump-url` points by default.
pub const DEFAULT_DUMP_URL: &str = "https://static.crates.io/db-dump.zip";

/// `cargo-vendor-audit/store/` under the platform cache dir (`XDG_CACHE_HOME` moves it).
pub fn default_dir() -> Option<PathBuf> {
    crate::facts::cache::ApiCache::default_dir().map(|d| d.join("store"))
}

/// An opened store.
pub struct Store {
    map: memmap2::Mmap,
    header: Header,
    path: PathBuf,
}

/// What a store holds, for `store status` and messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The dump's `metadata.json` timestamp, e.g. `2026-11-27T02:00:00.123456Z`; `None` when it had none.
    pub timestamp: Option<String>,
    /// Crates in the store.
    pub crates: u64,
    /// Versions in the store, over all crates.
    pub versions: u64,
    /// (crate, owner) pairs in the store, over all crates.
    pub owners: u64,
    /// Size of the store file in bytes.
    pub bytes: u64,
}

impl Store {
    /// Opens the store file at `path`; an error says why it cannot be trusted.
    pub fn open(path: &Path) -> Result<Store, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        if len < format::HEADER_LEN as u64 {
            return Err(format!("truncated: {len} bytes, shorter than a header"));
        }
        // SAFETY: the store is only ever replaced by renaming a complete file over it,
        // never written in place, so the mapped bytes do not change under us; every read
        // below is bounds-checked against the map's length.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?;
        // Lookups touch a few scattered pages: no read-ahead around each.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Random);
        let header = Header::decode(&map)?;
        Ok(Store {
            map,
            header,
            path: path.to_path_buf(),
        })
    }

    /// The store file this was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn bytes(&self) -> &[u8] {
        &self.map
    }

    fn damaged(&self) -> String {
        format!(
            "{} is damaged: `cargo vendor-audit store update` rebuilds it",
            self.path.display()
        )
    }

    fn string(&self, offset: u32) -> Option<&str> {
        if offset == NONE {
            return None;
        }
        let (at, len) = self.header.strings;
        let blob = self.bytes().get(at as usize..(at + len) as usize)?;
        let mut pos = offset as usize;
        let n = get_varint(blob, &mut pos)? as usize;
        std::str::from_utf8(blob.get(pos..pos.checked_add(n)?)?).ok()
    }

    /// The crate record `i`'s five fields.
    fn record(&self, i: usize) -> Option<[u32; 5]> {
        let at = self.header.crates_at as usize + i * CRATE_RECORD;
        let b = self.bytes();
        Some([
            get_u32(b, at)?,
            get_u32(b, at + 4)?,
            get_u32(b, at + 8)?,
            get_u32(b, at + 12)?,
            get_u32(b, at + 16)?,
        ])
    }

    /// The record index of crate `name` (any spelling: compared normalized).
    fn find(&self, name: &str) -> Result<Option<usize>, String> {
        let wanted = CrateName(name).normalized();
        let (mut lo, mut hi) = (0usize, self.header.crates as usize);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let rec = self.record(mid).ok_or_else(|| self.damaged())?;
            let here = self.string(rec[0]).ok_or_else(|| self.damaged())?;
            match here.cmp(wanted.as_str()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(mid)),
            }
        }
        Ok(None)
    }

    fn account(&self, at: u64, count: u32, index: u64) -> Option<(u64, &str)> {
        if index >= u64::from(count) {
            return None;
        }
        let at = (at + index * ACCOUNT_RECORD as u64) as usize;
        let id = get_u64(self.bytes(), at)?;
        let login = self.string(get_u32(self.bytes(), at + 8)?)?;
        Some((id, login))
    }

    /// The dump's `metadata.json` timestamp.
    pub fn timestamp(&self) -> Option<&str> {
        self.string(self.header.timestamp)
    }

    /// When the dump was made (its timestamp), else when the store was built.
    pub fn made_at(&self) -> SystemTime {
        self.timestamp()
            .and_then(parse_rfc3339)
            .unwrap_or(UNIX_EPOCH + Duration::from_secs(self.header.built_at))
    }

    /// The store's age: that of its dump.
    pub fn age(&self) -> Duration {
        SystemTime::now()
            .duration_since(self.made_at())
            .unwrap_or_default()
    }

    /// What the store holds, read from its header.
    pub fn summary(&self) -> Summary {
        Summary {
            timestamp: self.timestamp().map(str::to_string),
            crates: u64::from(self.header.crates),
            versions: self.header.versions,
            owners: self.header.owner_links,
            bytes: self.header.file_len,
        }
    }

    /// The facts about `key`, as the dump reader gives them: `None` when the crate is not
    /// in the dump; `publisher: None` when the version is not.
    pub fn lookup(&self, key: &CrateKey) -> Result<Option<PublisherFacts>, String> {
        let Some(i) = self.find(&key.name)? else {
            return Ok(None);
        };
        let rec = self.record(i).ok_or_else(|| self.damaged())?;
        let fetched = self.timestamp().map(str::to_string);
        let owners = self.owners(rec[3]).ok_or_else(|| self.damaged())?;
        let publisher = self
            .publisher(rec[4], &key.version)
            .ok_or_else(|| self.damaged())?;
        Ok(Some(PublisherFacts {
            owners: Some(Sourced {
                value: owners,
                provenance: Provenance::DbDump,
                fetched: fetched.clone(),
            }),
            publisher: publisher.map(|value| Sourced {
                value,
                provenance: Provenance::DbDump,
                fetched,
            }),
        }))
    }

    fn owners(&self, offset: u32) -> Option<Vec<Owner>> {
        let (at, len) = self.header.owners;
        let blob = self.bytes().get(at as usize..(at + len) as usize)?;
        let mut pos = offset as usize;
        let n = get_varint(blob, &mut pos)?;
        let mut out = Vec::with_capacity(n.min(1024) as usize);
        for _ in 0..n {
            let v = get_varint(blob, &mut pos)?;
            let owner = if v & 1 == 1 {
                let (id, login) = self.account(self.header.teams_at, self.header.teams, v >> 1)?;
                Owner::Team {
                    id,
                    login: login.to_string(),
                }
            } else {
                let (id, login) = self.account(self.header.users_at, self.header.users, v >> 1)?;
                Owner::User {
                    id,
                    login: login.to_string(),
                }
            };
            out.push(owner);
        }
        out.sort();
        out.dedup();
        Some(out)
    }

    /// `Some(None)`: the version is not in the dump, or its publisher may be a trusted
    /// publisher the dump does not hold; `Some(Some(p))`: its publisher.
    #[allow(clippy::option_option)]
    fn publisher(&self, offset: u32, version: &str) -> Option<Option<Option<Publisher>>> {
        let (at, len) = self.header.version_blob;
        let blob = self.bytes().get(at as usize..(at + len) as usize)?;
        let mut pos = offset as usize;
        let n = get_varint(blob, &mut pos)?;
        for _ in 0..n {
            let len = get_varint(blob, &mut pos)? as usize;
            let num = blob.get(pos..pos.checked_add(len)?)?;
            pos += len;
            let by = get_varint(blob, &mut pos)?;
            if num == version.as_bytes() {
                match by {
                    0 => return Some(Some(None)),
                    // Possibly a trusted publisher, which the dump does not hold.
                    1 => return Some(None),
                    _ => {}
                }
                let (id, login) = self.account(self.header.users_at, self.header.users, by - 2)?;
                return Some(Some(Some(Publisher::User {
                    id,
                    login: login.to_string(),
                })));
            }
        }
        Some(None)
    }

    /// The crate's `repository` and `homepage` from `crates.csv`.
    pub fn urls(&self, name: &str) -> Result<Option<CrateUrls<'_>>, String> {
        let Some(i) = self.find(name)? else {
            return Ok(None);
        };
        let rec = self.record(i).ok_or_else(|| self.damaged())?;
        Ok(Some(CrateUrls {
            repository: self.string(rec[1]),
            homepage: self.string(rec[2]),
        }))
    }
}

/// A crate's `repository` and `homepage` as `crates.csv` gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrateUrls<'a> {
    /// The crate's `repository` URL; `None` when the dump has none.
    pub repository: Option<&'a str>,
    /// The crate's `homepage` URL; `None` when the dump has none.
    pub homepage: Option<&'a str>,
}

/// `2026-11-27T02:00:00.123456Z` (or with `+00:00`, or a date alone) as a time.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let date: crate::date::Date = text.get(..10)?.parse().ok()?;
    let mut secs = date.days_since_epoch() * 86_400;
    if let Some(time) = text.get(11..19) {
        let mut parts = time.split(':').map(|p| p.parse::<i64>().ok());
        let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
        secs += h * 3600 + m * 60 + s;
    }
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// `3 h`, `2 days`: an age for people.
pub fn describe_age(age: Duration) -> String {
    let hours = age.as_secs() / 3600;
    if hours < 48 {
        format!("{hours} h")
    } else {
        format!("{} days", hours / 24)
    }
}

/// `12.3 MiB`.
pub fn describe_bytes(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
    } else if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

/// Builds the store from the dump at `path` and installs it in `dir` (write, then rename).
pub fn import(path: &Path, dir: &Path) -> Result<(Summary, u64), String> {
    let builder = build::read_dump(path).map_err(|e| e.to_string())?;
    install(builder, dir)
}

/// Lays out and installs a read dump; gives what the store holds and the CSV bytes read.
pub fn install(builder: build::Builder, dir: &Path) -> Result<(Summary, u64), String> {
    let csv_bytes = builder.csv_bytes;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (bytes, _) = builder.finish(now);
    let path = dir.join(FILE_NAME);
    crate::files::write_atomic(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let store = Store::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((store.summary(), csv_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRATES: &str = "id,name,repository,homepage,readme\n1,Foo_Bar,https://github.com/o/foo,,\"a, b\"\n2,baz,,https://baz.dev,\n";
    const OWNERS: &str = "crate_id,owner_id,owner_kind\n1,10,0\n1,5,1\n2,11,0\n2,12,2\n";
    const USERS: &str = "id,username,gh_login\n10,alice,\n11,,bob-gh\n";
    const TEAMS: &str = "id,login\n5,github:o:team\n";
    const VERSIONS: &str = "crate_id,num,published_by,created_at\n1,1.0.0,10,2020-01-01\n1,1.0.1,,2020-01-01\n2,0.1.0,11,2026-01-01\n2,0.2.0,,2026-01-01 10:00:00\n";
    const OAUTH: &str = "user_id,login\n10,alice-gh\n";

    fn built() -> (tempfile::TempDir, Store) {
        let mut b = build::Builder::new();
        let p = Path::new("test");
        for (table, text) in [
            ("versions", VERSIONS),
            ("crates", CRATES),
            ("crate_owners", OWNERS),
            ("users", USERS),
            ("teams", TEAMS),
            ("oauth_github", OAUTH),
        ] {
            let table = build::Builder::wants(&format!("{table}.csv")).unwrap();
            b.read_table(p, table, text.as_bytes()).unwrap();
        }
        b.set_metadata(r#"{"timestamp":"2026-11-27T02:00:00Z"}"#);
        let dir = tempfile::tempdir().unwrap();
        install(b, dir.path()).unwrap();
        let store = Store::open(&dir.path().join(FILE_NAME)).unwrap();
        (dir, store)
    }

    #[test]
    fn looks_up_owners_publishers_and_urls() {
        let (_dir, store) = built();
        let facts = store
            .lookup(&CrateKey::new("foo-bar", "1.0.0"))
            .unwrap()
            .unwrap();
        let owners = facts.owners.unwrap();
        assert_eq!(owners.provenance, Provenance::DbDump);
        assert_eq!(owners.fetched.as_deref(), Some("2026-11-27T02:00:00Z"));
        assert_eq!(
            owners.value,
            vec![
                Owner::User {
                    id: 10,
                    login: "alice".into()
                },
                Owner::Team {
                    id: 5,
                    login: "github:o:team".into()
                },
            ]
        );
        assert_eq!(
            facts.publisher.unwrap().value,
            Some(Publisher::User {
                id: 10,
                login: "alice".into()
            })
        );
        let none = store
            .lookup(&CrateKey::new("Foo_Bar", "1.0.1"))
            .unwrap()
            .unwrap();
        assert_eq!(none.publisher.unwrap().value, None);
        let absent = store
            .lookup(&CrateKey::new("foo-bar", "9.0.0"))
            .unwrap()
            .unwrap();
        assert!(absent.publisher.is_none());
        assert_eq!(store.lookup(&CrateKey::new("nope", "1.0.0")).unwrap(), None);
        // An owner kind neither user nor team is left out; gh_login when no username.
        let baz = store
            .lookup(&CrateKey::new("baz", "0.1.0"))
            .unwrap()
            .unwrap();
        assert_eq!(
            baz.owners.unwrap().value,
            vec![Owner::User {
                id: 11,
                login: "bob-gh".into()
            }]
        );
        let urls = store.urls("foo_bar").unwrap().unwrap();
        assert_eq!(urls.repository, Some("https://github.com/o/foo"));
        assert_eq!(urls.homepage, None);
        assert_eq!(
            store.urls("baz").unwrap().unwrap().homepage,
            Some("https://baz.dev")
        );
        // An empty publisher since trusted publishing began: unknown, for the API to tell.
        let recent = store
            .lookup(&CrateKey::new("baz", "0.2.0"))
            .unwrap()
            .unwrap();
        assert!(recent.owners.is_some() && recent.publisher.is_none());
        assert_eq!(store.summary().crates, 2);
        assert_eq!(store.summary().versions, 4);
    }

    #[test]
    fn parses_dump_timestamps() {
        let t = parse_rfc3339("2026-11-27T02:00:00.123456Z").unwrap();
        assert_eq!(crate::facts::publisher::rfc3339(t), "2026-11-27T02:00:00Z");
        assert!(parse_rfc3339("yesterday").is_none());
    }
}
