//! The local cache of crates.io API answers, shared by every project of the machine.
//!
//! Lives under the platform cache dir, `cargo-vendor-audit/` (`$XDG_CACHE_HOME` moves it
//! on Linux), in one folder per API base URL (`api/crates.io/` for crates.io,
//! `api/<host>-<hash>/` for another), so that answers from a mirror or a test server are
//! never served to a run against another base. One compact JSON file per crate for its
//! owners (`owners/NAME.json`) and one per crate version for its publisher
//! (`publishers/NAME/VERSION.json`); an answer that would not fit the read limit once
//! kept is refused when it arrives (see [`ApiCache::owners_fit`]). Each file is written
//! to a unique temporary file in the same folder, synced, then renamed over the old one,
//! so a reader (or a second process writing the same answer) never sees a torn file.
//! Answers older than the age limit are stale and asked again.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::limits::{API_ANSWER_BYTES, read_text};

use super::publisher::rfc3339;
use super::{Owner, Publisher};
use crate::crate_name::CrateName;

/// Default age limit of cached owners: owners change, so a day.
pub const DEFAULT_OWNERS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// Default age limit of a cached version publisher: it never changes once published,
/// but a 404 (crate not yet published) might, so 30 days.
pub const DEFAULT_PUBLISHER_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

const SCHEMA: u32 = 1;

/// Why the cache could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the crates.io answer cache at {}: {source}", path.display())]
pub struct CacheError {
    /// The cache file that could not be written.
    pub path: PathBuf,
    /// The I/O error from writing it.
    pub source: std::io::Error,
}

/// A cached answer and when it was fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cached<T> {
    /// The answer as read from the cache file.
    pub value: T,
    /// RFC 3339.
    pub fetched: String,
}

/// The cache of API answers in one folder.
#[derive(Clone, Debug)]
pub struct ApiCache {
    dir: PathBuf,
    owners_max_age: Duration,
    publisher_max_age: Duration,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum OwnerJson {
    User { id: u64, login: String },
    Team { id: u64, login: String },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum PublisherJson {
    User { id: u64, login: String },
    Trusted { repository: String },
}

#[derive(Serialize, Deserialize)]
struct OwnersFile {
    schema: u32,
    fetched: String,
    fetched_unix: u64,
    /// `false`: crates.io answered 404 (not a crates.io crate).
    found: bool,
    owners: Vec<OwnerJson>,
}

#[derive(Serialize, Deserialize)]
struct PublisherFile {
    schema: u32,
    fetched: String,
    fetched_unix: u64,
    found: bool,
    publisher: Option<PublisherJson>,
}

impl ApiCache {
    /// The machine-wide cache folder: `<platform cache dir>/cargo-vendor-audit`
    /// (`$XDG_CACHE_HOME/cargo-vendor-audit`, else `~/.cache/cargo-vendor-audit` on Linux).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("cargo-vendor-audit"))
    }

    /// A cache in `dir` (created when first written) with the default age limits.
    pub fn new(dir: impl Into<PathBuf>) -> ApiCache {
        ApiCache {
            dir: dir.into(),
            owners_max_age: DEFAULT_OWNERS_MAX_AGE,
            publisher_max_age: DEFAULT_PUBLISHER_MAX_AGE,
        }
    }

    /// The same cache with other age limits: `owners` for owner lists, `publisher` for version publishers.
    pub fn with_max_age(mut self, owners: Duration, publisher: Duration) -> ApiCache {
        self.owners_max_age = owners;
        self.publisher_max_age = publisher;
        self
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The part of this cache that holds the answers of the API at `base_url`.
    pub fn for_api(mut self, base_url: &str) -> ApiCache {
        self.dir = self.dir.join("api").join(api_folder(base_url));
        self
    }

    /// Whether `owners`, once kept, can be read back (the one limit on API answers).
    pub fn owners_fit(owners: &[Owner]) -> bool {
        encode_owners(owners, SystemTime::now(), true).len() as u64 <= API_ANSWER_BYTES
    }

    /// Whether a version's publisher, once kept, can be read back.
    pub fn publisher_fits(publisher: Option<&Publisher>) -> bool {
        encode_publisher(Some(publisher), SystemTime::now()).len() as u64 <= API_ANSWER_BYTES
    }

    fn owners_path(&self, name: &str) -> Option<PathBuf> {
        let name = CrateName(name).normalized();
        let name = safe_segment(&name)?;
        Some(self.dir.join("owners").join(format!("{name}.json")))
    }

    fn publisher_path(&self, name: &str, version: &str) -> Option<PathBuf> {
        let name = CrateName(name).normalized();
        let name = safe_segment(&name)?;
        let version = safe_segment(version)?;
        Some(
            self.dir
                .join("publishers")
                .join(name)
                .join(format!("{version}.json")),
        )
    }

    /// The fresh cached owners of `name`: `Some(value: None)` = crates.io said 404.
    pub fn owners(&self, name: &str) -> Option<Cached<Option<Vec<Owner>>>> {
        let text = read_text(&self.owners_path(name)?, API_ANSWER_BYTES).ok()?;
        let file: OwnersFile = serde_json::from_str(&text).ok()?;
        if file.schema != SCHEMA || is_stale(file.fetched_unix, self.owners_max_age) {
            return None;
        }
        let owners = file
            .owners
            .into_iter()
            .map(|o| match o {
                OwnerJson::User { id, login } => Owner::User { id, login },
                OwnerJson::Team { id, login } => Owner::Team { id, login },
            })
            .collect();
        Some(Cached {
            value: file.found.then_some(owners),
            fetched: file.fetched,
        })
    }

    /// Stores the owners of `name` (`None` = crates.io said 404), fetched at `fetched`.
    pub fn put_owners(
        &self,
        name: &str,
        owners: Option<&[Owner]>,
        fetched: SystemTime,
    ) -> Result<(), CacheError> {
        let Some(path) = self.owners_path(name) else {
            return Ok(());
        };
        let bytes = encode_owners(owners.unwrap_or_default(), fetched, owners.is_some());
        write_atomic(&path, &bytes)
    }

    /// The fresh cached publisher of `name` `version`: `Some(value: None)` = crates.io said
    /// 404; `Some(value: Some(None))` = no recorded publisher.
    #[allow(clippy::type_complexity)]
    pub fn publisher(
        &self,
        name: &str,
        version: &str,
    ) -> Option<Cached<Option<Option<Publisher>>>> {
        let text = read_text(&self.publisher_path(name, version)?, API_ANSWER_BYTES).ok()?;
        let file: PublisherFile = serde_json::from_str(&text).ok()?;
        if file.schema != SCHEMA || is_stale(file.fetched_unix, self.publisher_max_age) {
            return None;
        }
        let publisher = file.publisher.map(|p| match p {
            PublisherJson::User { id, login } => Publisher::User { id, login },
            PublisherJson::Trusted { repository } => Publisher::Trusted(repository),
        });
        Some(Cached {
            value: file.found.then_some(publisher),
            fetched: file.fetched,
        })
    }

    /// Stores the publisher of `name` `version` (`None` = crates.io said 404).
    pub fn put_publisher(
        &self,
        name: &str,
        version: &str,
        publisher: Option<Option<&Publisher>>,
        fetched: SystemTime,
    ) -> Result<(), CacheError> {
        let Some(path) = self.publisher_path(name, version) else {
            return Ok(());
        };
        write_atomic(&path, &encode_publisher(publisher, fetched))
    }
}

/// The cache file of an owners answer: compact JSON, as read back by [`ApiCache::owners`].
fn encode_owners(owners: &[Owner], fetched: SystemTime, found: bool) -> Vec<u8> {
    let file = OwnersFile {
        schema: SCHEMA,
        fetched: rfc3339(fetched),
        fetched_unix: unix(fetched),
        found,
        owners: owners
            .iter()
            .map(|o| match o.clone() {
                Owner::User { id, login } => OwnerJson::User { id, login },
                Owner::Team { id, login } => OwnerJson::Team { id, login },
            })
            .collect(),
    };
    serde_json::to_vec(&file).unwrap_or_default()
}

/// The cache file of a version answer.
fn encode_publisher(publisher: Option<Option<&Publisher>>, fetched: SystemTime) -> Vec<u8> {
    let file = PublisherFile {
        schema: SCHEMA,
        fetched: rfc3339(fetched),
        fetched_unix: unix(fetched),
        found: publisher.is_some(),
        publisher: publisher.flatten().map(|p| match p.clone() {
            Publisher::User { id, login } => PublisherJson::User { id, login },
            Publisher::Trusted(repository) => PublisherJson::Trusted { repository },
        }),
    };
    serde_json::to_vec(&file).unwrap_or_default()
}

/// The folder of one API base URL's answers: `crates.io` for crates.io itself, else the
/// base's host and port made safe as a file name plus a hash of the whole base URL
/// (scheme and path included), so two bases never share a folder.
fn api_folder(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    if base.eq_ignore_ascii_case(super::api::DEFAULT_BASE_URL) {
        return "crates.io".to_string();
    }
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let host: String = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    // FNV-1a: stable across runs and builds, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in base.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{}-{hash:016x}", host.trim_start_matches('.'))
}

fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn is_stale(fetched_unix: u64, max_age: Duration) -> bool {
    let now = unix(SystemTime::now());
    // A time in the future (clock moved back) counts as fresh only up to max_age.
    now.abs_diff(fetched_unix) > max_age.as_secs()
}

/// `s` if it can be a file name as is: crate names and semver versions always can.
fn safe_segment(s: &str) -> Option<&str> {
    let ok = !s.is_empty()
        && !s.starts_with('.')
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'));
    ok.then_some(s)
}

/// Writes `bytes` to `path` atomically (see [`crate::files::write_atomic`]).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    crate::files::write_atomic(path, bytes).map_err(|source| CacheError {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ApiCache::new(dir.path());
        let owners = vec![
            Owner::User {
                id: 1,
                login: "a".into(),
            },
            Owner::Team {
                id: 1,
                login: "github:o:t".into(),
            },
        ];
        cache
            .put_owners("Foo_Bar", Some(&owners), SystemTime::now())
            .unwrap();
        assert_eq!(cache.owners("foo-bar").unwrap().value, Some(owners));
        cache.put_owners("gone", None, SystemTime::now()).unwrap();
        assert_eq!(cache.owners("gone").unwrap().value, None);
        let old = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
        cache.put_owners("old", Some(&[]), old).unwrap();
        assert!(cache.owners("old").is_none());

        let p = Publisher::Trusted("github:o/r".into());
        cache
            .put_publisher("x", "1.0.0+meta", Some(Some(&p)), old)
            .unwrap();
        assert_eq!(
            cache.publisher("x", "1.0.0+meta").unwrap().value,
            Some(Some(p))
        );
        cache
            .put_publisher("x", "2.0.0", Some(None), SystemTime::now())
            .unwrap();
        assert_eq!(cache.publisher("x", "2.0.0").unwrap().value, Some(None));
    }

    #[test]
    fn keeps_each_api_base_apart_and_compact() {
        let dir = tempfile::tempdir().unwrap();
        let a = ApiCache::new(dir.path()).for_api("http://127.0.0.1:8080");
        let b = ApiCache::new(dir.path()).for_api("http://127.0.0.1:8081/");
        let io = ApiCache::new(dir.path()).for_api("https://crates.io/");
        assert!(io.dir().ends_with("api/crates.io"));
        assert_ne!(a.dir(), b.dir());
        let owners = vec![Owner::User {
            id: 1,
            login: "a".into(),
        }];
        a.put_owners("x", Some(&owners), SystemTime::now()).unwrap();
        assert!(a.owners("x").is_some());
        assert!(b.owners("x").is_none() && io.owners("x").is_none());
        let text = std::fs::read_to_string(a.dir().join("owners/x.json")).unwrap();
        assert!(!text.contains('\n') && !text.contains(": "), "{text}");
    }

    #[test]
    fn one_limit_for_what_is_accepted_and_what_is_kept() {
        // Short logins cost more once kept than in a minimal answer: the kept form decides.
        let many = |n: u64| -> Vec<Owner> {
            (0..n)
                .map(|id| Owner::User {
                    id,
                    login: "x".into(),
                })
                .collect()
        };
        assert!(ApiCache::owners_fit(&many(1000)));
        assert!(!ApiCache::owners_fit(&many(200_000)));
    }

    #[test]
    fn refuses_names_that_escape_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ApiCache::new(dir.path());
        cache
            .put_publisher("x", "../../evil", Some(None), SystemTime::now())
            .unwrap();
        assert!(cache.publisher("x", "../../evil").is_none());
        assert!(!dir.path().join("evil.json").exists());
    }
}
