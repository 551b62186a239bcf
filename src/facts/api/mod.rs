//! The crates.io web API, through the local answer cache, as a source of owners and
//! version publishers.
//!
//! Takes crate versions and gives their owners (`GET /api/v1/crates/{name}/owners`) and
//! publisher (`GET /api/v1/crates/{name}/{version}`: `published_by`, else
//! `trustpub_data`), with provenance `crates-io-api` and `fetched` = when crates.io
//! answered. Follows the crates.io data-access policy: a User-Agent naming the tool, its
//! version and a contact URL, and at most one request per second to crates.io itself
//! (a faster pace is allowed only for another base URL, such as a test server).
//!
//! Only crates.io packages are asked about, so a 404 is a failed answer (a proxy, a mirror
//! or a wrong `--crates-io-api` that does not know the crate), never "not on crates.io":
//! it is not cached, and the package is left without the fact. A cached, fresh answer is
//! never asked again; the cache is kept per API base URL, so answers from one server are
//! never served to runs against another. 429 and 5xx are retried with exponential
//! backoff (honouring `Retry-After` in seconds up to a bound), a bounded number of times.
//! Answers come only from the configured host: a redirect elsewhere is refused. The
//! whole run of questions has a deadline: its pace plus a grace period for slow answers
//! and retries. When the server cannot be reached at all, the client stops asking after a
//! few failures and says so once; likewise when every answer is a failure (say, 403 for
//! all). Nothing here aborts: problems come back as [`Degraded`](super::Degraded) entries.

mod answers;
mod client;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use super::cache::ApiCache;
use super::publisher::{CrateKey, FactSource, Gathered, Needed, PublisherFacts, rfc3339};
use super::{Owner, Provenance, Publisher, Sourced};

use answers::api_sourced;
use client::Failure;
pub use client::is_crates_io_url;

/// The crates.io API base.
pub const DEFAULT_BASE_URL: &str = "https://crates.io";

/// The User-Agent every request sends: tool, version and contact URL.
pub fn user_agent() -> String {
    format!(
        "cargo-vendor-audit/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// How the client talks to the API.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Base URL, without a trailing `/api/...` (default `https://crates.io`).
    pub base_url: String,
    /// The least time between the starts of two requests (default 1 s; may be lower only
    /// for a base URL that is not crates.io).
    pub min_interval: Duration,
    /// Time allowed to open the connection (default 10 s).
    pub connect_timeout: Duration,
    /// Time allowed to receive the response headers, and then the body.
    pub read_timeout: Duration,
    /// Retries after a 429 or 5xx answer (default 3).
    pub max_retries: u32,
    /// First backoff delay when the answer has no `Retry-After`; doubled each retry.
    pub backoff: Duration,
    /// The longest wait honoured from a `Retry-After`.
    pub max_retry_after: Duration,
    /// Time allowed on top of the pace for a run of questions (slow answers, retries):
    /// a run of N questions stops asking after `N * (min_interval + PER_QUESTION_SLACK)
    /// + grace`.
    pub grace: Duration,
    /// Connection failures in a row after which the server is taken as unreachable.
    pub max_connect_failures: u32,
    /// Failed requests in a row (HTTP errors after retries, timeouts) after which the
    /// client stops asking: a server that rejects everything is not asked 400 times.
    pub max_failures_in_row: u32,
    /// Never touch the network: answer from the cache only.
    pub offline: bool,
    /// Told, in words, how a long run of questions goes (start, then every 50 answers).
    pub progress: Option<Progress>,
}

/// A receiver of progress lines, e.g. one that writes them to stderr.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// Runs of questions at least this long are reported as they go.
pub const PROGRESS_THRESHOLD: usize = 20;

/// Time allowed per question on top of the pace, for the answer's own travel time.
pub const PER_QUESTION_SLACK: Duration = Duration::from_millis(500);

/// The default [`ApiConfig::grace`]: two minutes.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(120);

/// Redirects followed at most, and only within the API's own scheme, host and port.
const MAX_REDIRECTS: u32 = 3;

impl Default for ApiConfig {
    fn default() -> ApiConfig {
        ApiConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            min_interval: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_retries: 3,
            backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(30),
            grace: DEFAULT_GRACE,
            max_connect_failures: 3,
            max_failures_in_row: 5,
            offline: false,
            progress: None,
        }
    }
}

/// A configuration the client refuses.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApiError {
    /// `--api-rate` asks for more than one request per second against crates.io itself.
    #[error(
        "a pace faster than one request per second ({0:?} between requests) is allowed only for a --crates-io-api other than crates.io"
    )]
    RateTooFast(Duration),
    /// `--crates-io-api` is not an `http://` or `https://` URL.
    #[error("`{0}` is not an http(s) URL to use as the crates.io API base")]
    BadBaseUrl(String),
}

/// A crates.io API client with pacing, retries and the answer cache.
pub struct CratesIoApi {
    pub(super) config: ApiConfig,
    pub(super) agent: ureq::Agent,
    pub(super) cache: Option<ApiCache>,
    pub(super) last_request: Option<Instant>,
    pub(super) connect_failures: u32,
    /// Why the server is taken as unreachable, once it is.
    pub(super) unreachable: Option<String>,
    pub(super) failures_in_row: u32,
    /// Why the client stopped asking a server that answers only with failures.
    pub(super) gave_up: Option<String>,
    pub(super) cache_failure_reported: bool,
    pub(super) requests: u64,
    /// When the current run of questions must stop asking.
    pub(super) deadline: Option<Instant>,
    /// Set once the deadline has passed: what was being waited for.
    pub(super) timed_out: Option<String>,
}

impl CratesIoApi {
    fn report_cache_failure(&mut self, gathered: &mut Gathered, e: super::cache::CacheError) {
        if !self.cache_failure_reported {
            self.cache_failure_reported = true;
            gathered.degrade(
                Provenance::CratesIoApi.as_str(),
                format!("{e}; answers are not kept for the next run"),
            );
        }
    }

    /// Whether a request may be sent now.
    fn may_ask(&self) -> bool {
        !self.config.offline
            && self.unreachable.is_none()
            && self.gave_up.is_none()
            && self.timed_out.is_none()
    }
}

/// A crate name or version that can go in a URL path as is: `..` or `.` would climb
/// out of `/api/v1/crates/` (no crate name or version starts with a dot).
fn url_safe(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
}

impl FactSource for CratesIoApi {
    fn name(&self) -> &'static str {
        Provenance::CratesIoApi.as_str()
    }

    fn gather(&mut self, wanted: &[CrateKey]) -> Gathered {
        let needed: Vec<Needed> = wanted.iter().cloned().map(Needed::all).collect();
        self.gather_needed(&needed)
    }

    fn gather_needed(&mut self, needed: &[Needed]) -> Gathered {
        let source = Provenance::CratesIoApi.as_str();
        let mut gathered = Gathered::default();
        // Owners are per crate: ask once per name, whatever the number of versions.
        let mut owners_of: BTreeMap<&str, Option<Sourced<Vec<Owner>>>> = BTreeMap::new();
        let mut skipped = 0usize;
        let to_ask = self.questions_to_ask(needed);
        let progress = self.config.progress.clone();
        let report = |line: &str| {
            if let Some(p) = &progress {
                (p.0)(line)
            }
        };
        if to_ask > 0 {
            let count = u32::try_from(to_ask).unwrap_or(u32::MAX);
            let paced = self
                .config
                .min_interval
                .checked_mul(count)
                .unwrap_or(Duration::MAX);
            let allowed = paced
                .saturating_add(PER_QUESTION_SLACK.saturating_mul(count))
                .saturating_add(self.config.grace);
            self.deadline = Instant::now().checked_add(allowed);
            let advice = if to_ask >= PROGRESS_THRESHOLD {
                "; a committed facts lock (`cargo vendor-audit fetch`, then `check --locked`) or --offline avoids this"
            } else {
                ""
            };
            report(&format!(
                "asking the crates.io API at {} for {to_ask} answer(s) about {} package(s), {} (about {}; stops asking after {}){advice}",
                self.config.base_url,
                needed.len(),
                pace_text(self.config.min_interval),
                human_duration(paced.as_secs_f64()),
                human_duration(allowed.as_secs_f64()),
            ));
        }
        let started_with = self.requests;
        let mut reported = 0u64;
        for n in needed {
            if to_ask >= PROGRESS_THRESHOLD {
                let asked = self.requests - started_with;
                if asked >= reported + 50 {
                    reported = asked;
                    report(&format!("asked {asked} of about {to_ask} questions"));
                }
            }
            let name = n.key.name.as_str();
            if !url_safe(name) || !url_safe(&n.key.version) {
                gathered.degrade(
                    source,
                    format!("`{}` is not a crates.io crate version", n.key),
                );
                continue;
            }
            let mut facts = PublisherFacts::default();
            if n.owners {
                if !owners_of.contains_key(name) {
                    let found = self.owners_for(name, &mut gathered, &mut skipped);
                    owners_of.insert(name, found);
                }
                facts.owners = owners_of[name].clone();
            }
            if n.publisher {
                facts.publisher =
                    self.publisher_for(name, &n.key.version, &mut gathered, &mut skipped);
            }
            gathered.add(n.key.clone(), facts);
        }
        self.deadline = None;
        if let Some(why) = &self.unreachable {
            gathered.degrade(
                source,
                format!(
                    "crates.io API at {} cannot be reached ({why}); stopped asking after {} failures, {skipped} questions left unanswered; {OFFLINE_HINT}",
                    self.config.base_url, self.config.max_connect_failures
                ),
            );
        } else if let Some(last) = &self.gave_up {
            gathered.degrade(
                source,
                format!(
                    "crates.io API at {} keeps failing (last: {last}); stopped asking after {} failed requests in a row, {skipped} questions left unanswered; {OFFLINE_HINT}",
                    self.config.base_url, self.config.max_failures_in_row
                ),
            );
        } else if let Some(what) = &self.timed_out {
            gathered.degrade(
                source,
                format!(
                    "crates.io API at {} is too slow: the time allowed for its answers ran out (the pace, plus {} s per question and {} for slow answers and retries) while waiting for {what}; {skipped} questions left unanswered; {OFFLINE_HINT}",
                    self.config.base_url,
                    PER_QUESTION_SLACK.as_secs_f64(),
                    human_duration(self.config.grace.as_secs_f64())
                ),
            );
        } else if self.config.offline && skipped > 0 {
            gathered.degrade(
                source,
                format!("offline: {skipped} questions not in the crates.io answer cache"),
            );
        }
        gathered
    }
}

/// What works where the API cannot be reached, such as a CI job without network.
pub const OFFLINE_HINT: &str = "where the API cannot be reached (say, CI without network), run `cargo vendor-audit fetch` where the network is, commit vendor-audit.lock, and run `cargo vendor-audit check --locked` there";

/// `1 s` -> `at most one request every 1 s`; `20 ms` -> `up to 50 requests per second`.
fn pace_text(interval: Duration) -> String {
    if interval.is_zero() {
        "with no pause between requests".to_string()
    } else if interval >= Duration::from_millis(500) {
        format!("at most one request every {:.1} s", interval.as_secs_f64()).replace(".0 s", " s")
    } else {
        format!(
            "up to {} requests per second",
            (1.0 / interval.as_secs_f64()).round() as u64
        )
    }
}

/// `95 s` -> `2 min`.
fn human_duration(secs: f64) -> String {
    if secs < 90.0 {
        format!("{} s", secs.round() as u64)
    } else if secs < 5400.0 {
        format!("{} min", (secs / 60.0).round() as u64)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

impl CratesIoApi {
    /// How many questions of `needed` the cache cannot answer (0 when no asking is allowed).
    fn questions_to_ask(&self, needed: &[Needed]) -> usize {
        if !self.may_ask() {
            return 0;
        }
        let mut names = std::collections::BTreeSet::new();
        let mut count = 0;
        for n in needed {
            let cached_owners = |name: &str| {
                self.cache
                    .as_ref()
                    .is_some_and(|c| c.owners(name).is_some_and(|hit| hit.value.is_some()))
            };
            if n.owners && names.insert(n.key.name.as_str()) && !cached_owners(&n.key.name) {
                count += 1;
            }
            let cached = self.cache.as_ref().is_some_and(|c| {
                c.publisher(&n.key.name, &n.key.version)
                    .is_some_and(|hit| hit.value.is_some())
            });
            if n.publisher && !cached {
                count += 1;
            }
        }
        count
    }

    fn owners_for(
        &mut self,
        name: &str,
        gathered: &mut Gathered,
        skipped: &mut usize,
    ) -> Option<Sourced<Vec<Owner>>> {
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.owners(name))
            && let Some(owners) = hit.value
        {
            return Some(api_sourced(owners, hit.fetched));
        }
        if !self.may_ask() {
            *skipped += 1;
            return None;
        }
        let now = SystemTime::now();
        match self.fetch_owners(name) {
            Ok(owners) => {
                if let Some(cache) = &self.cache
                    && let Err(e) = cache.put_owners(name, Some(&owners), now)
                {
                    self.report_cache_failure(gathered, e);
                }
                Some(api_sourced(owners, rfc3339(now)))
            }
            Err(Failure::Failed(message)) => {
                gathered.degrade(Provenance::CratesIoApi.as_str(), message);
                None
            }
            Err(Failure::Unreachable | Failure::OutOfTime) => {
                *skipped += 1;
                None
            }
        }
    }

    fn publisher_for(
        &mut self,
        name: &str,
        version: &str,
        gathered: &mut Gathered,
        skipped: &mut usize,
    ) -> Option<Sourced<Option<Publisher>>> {
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.publisher(name, version))
            && let Some(publisher) = hit.value
        {
            return Some(api_sourced(publisher, hit.fetched));
        }
        if !self.may_ask() {
            *skipped += 1;
            return None;
        }
        let now = SystemTime::now();
        match self.fetch_publisher(name, version) {
            Ok(publisher) => {
                if let Some(cache) = &self.cache
                    && let Err(e) =
                        cache.put_publisher(name, version, Some(publisher.as_ref()), now)
                {
                    self.report_cache_failure(gathered, e);
                }
                Some(api_sourced(publisher, rfc3339(now)))
            }
            Err(Failure::Failed(message)) => {
                gathered.degrade(Provenance::CratesIoApi.as_str(), message);
                None
            }
            Err(Failure::Unreachable | Failure::OutOfTime) => {
                *skipped += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client::{host_of, origin_of};
    use super::*;

    #[test]
    fn url_safe_refuses_dot_segments() {
        assert!(url_safe("serde") && url_safe("1.0.0+build.1") && url_safe("a.b"));
        for bad in ["..", ".", ".hidden", "", "a/b", "a?b", "a%2f", "a b"] {
            assert!(!url_safe(bad), "{bad}");
        }
    }

    #[test]
    fn reads_hosts() {
        assert_eq!(host_of("https://crates.io").as_deref(), Some("crates.io"));
        assert_eq!(
            host_of("http://127.0.0.1:8080/x").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host_of("http://[::1]:80").as_deref(), Some("::1"));
        assert!(is_crates_io_url("https://Crates.IO./"));
        assert!(!is_crates_io_url("http://127.0.0.1:1"));
        assert!(host_of("ftp://x").is_none());
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let o = |u: &str| origin_of(u);
        assert_eq!(o("https://Crates.io/api/v1"), o("https://crates.io:443/x"));
        assert_eq!(
            o("http://u@127.0.0.1:80/a").as_deref(),
            Some("http://127.0.0.1")
        );
        assert_ne!(o("http://127.0.0.1:1/"), o("http://127.0.0.1:2/"));
        assert_ne!(o("http://crates.io/"), o("https://crates.io/"));
        assert!(o("ftp://crates.io/").is_none() && o("/relative").is_none());
    }

    #[test]
    fn refuses_a_fast_pace_for_crates_io_only() {
        let fast = Duration::from_millis(10);
        let err = CratesIoApi::new(
            ApiConfig {
                min_interval: fast,
                ..ApiConfig::default()
            },
            None,
        )
        .err();
        assert_eq!(err, Some(ApiError::RateTooFast(fast)));
        assert!(
            CratesIoApi::new(
                ApiConfig {
                    base_url: "http://127.0.0.1:9".into(),
                    min_interval: fast,
                    ..ApiConfig::default()
                },
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn user_agent_names_tool_version_and_contact() {
        let ua = user_agent();
        assert!(ua.starts_with(&format!(
            "cargo-vendor-audit/{} (+https://",
            env!("CARGO_PKG_VERSION")
        )));
    }
}
