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
//! A cached, fresh answer is never asked again. 404 means "not on crates.io": a known
//! empty answer, cached like any other. 429 and 5xx are retried with exponential backoff
//! (honouring `Retry-After` in seconds), a bounded number of times. When the server
//! cannot be reached at all, the client stops asking after a few failures and says so
//! once; likewise when every answer is a failure (say, 403 for all). Nothing here
//! aborts: problems come back as [`Degraded`](super::Degraded) entries.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;

use super::cache::ApiCache;
use super::publisher::{CrateKey, FactSource, Gathered, Needed, PublisherFacts, rfc3339};
use super::{Owner, Provenance, Publisher, Sourced};

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
    pub connect_timeout: Duration,
    /// Time allowed to receive the response headers, and then the body.
    pub read_timeout: Duration,
    /// Retries after a 429 or 5xx answer (default 3).
    pub max_retries: u32,
    /// First backoff delay when the answer has no `Retry-After`; doubled each retry.
    pub backoff: Duration,
    /// The longest wait honoured from a `Retry-After`.
    pub max_retry_after: Duration,
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

impl Default for ApiConfig {
    fn default() -> ApiConfig {
        ApiConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            min_interval: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_retries: 3,
            backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(60),
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
    #[error(
        "a pace faster than one request per second ({0:?} between requests) is allowed only for a --crates-io-api other than crates.io"
    )]
    RateTooFast(Duration),
    #[error("`{0}` is not an http(s) URL to use as the crates.io API base")]
    BadBaseUrl(String),
}

/// The host of an `http(s)://host[:port]/...` URL, lowercased.
fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Whether `url` points at crates.io itself, where the one-request-per-second limit holds.
pub fn is_crates_io(url: &str) -> bool {
    host_of(url).is_some_and(|h| h == "crates.io" || h.ends_with(".crates.io"))
}

/// A crates.io API client with pacing, retries and the answer cache.
pub struct CratesIoApi {
    config: ApiConfig,
    agent: ureq::Agent,
    cache: Option<ApiCache>,
    last_request: Option<Instant>,
    connect_failures: u32,
    /// Why the server is taken as unreachable, once it is.
    unreachable: Option<String>,
    failures_in_row: u32,
    /// Why the client stopped asking a server that answers only with failures.
    gave_up: Option<String>,
    cache_failure_reported: bool,
    requests: u64,
}

/// Why one request gave no answer.
enum Failure {
    /// The server could not be reached (DNS, refused, connect timeout).
    Unreachable,
    /// It answered, but not usefully (5xx after retries, timeout, bad body).
    Failed(String),
}

#[derive(Deserialize)]
struct OwnersJson {
    users: Vec<OwnerJson>,
}

#[derive(Deserialize)]
struct OwnerJson {
    id: u64,
    login: String,
    kind: Option<String>,
}

#[derive(Deserialize)]
struct VersionJson {
    version: VersionFields,
}

#[derive(Deserialize)]
struct VersionFields {
    #[serde(default)]
    published_by: Option<UserJson>,
    #[serde(default)]
    trustpub_data: Option<TrustpubJson>,
}

#[derive(Deserialize)]
struct UserJson {
    id: u64,
    login: String,
}

#[derive(Deserialize)]
struct TrustpubJson {
    provider: String,
    repository: Option<String>,
    project_path: Option<String>,
}

impl CratesIoApi {
    /// A client; refuses a pace faster than 1 request/s for crates.io itself.
    pub fn new(config: ApiConfig, cache: Option<ApiCache>) -> Result<CratesIoApi, ApiError> {
        let base = config.base_url.trim_end_matches('/').to_string();
        let host = host_of(&base).ok_or_else(|| ApiError::BadBaseUrl(config.base_url.clone()))?;
        if is_crates_io(&base) && config.min_interval < Duration::from_secs(1) {
            return Err(ApiError::RateTooFast(config.min_interval));
        }
        let loopback = host == "localhost" || host.starts_with("127.") || host == "::1";
        let mut builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(user_agent())
            .timeout_connect(Some(config.connect_timeout))
            .timeout_recv_response(Some(config.read_timeout))
            .timeout_recv_body(Some(config.read_timeout))
            .max_redirects(3);
        if loopback {
            // A test server on this machine is never reached through a proxy.
            builder = builder.proxy(None);
        }
        let agent = ureq::Agent::new_with_config(builder.build());
        Ok(CratesIoApi {
            config: ApiConfig {
                base_url: base,
                ..config
            },
            agent,
            cache,
            last_request: None,
            connect_failures: 0,
            unreachable: None,
            failures_in_row: 0,
            gave_up: None,
            cache_failure_reported: false,
            requests: 0,
        })
    }

    /// Requests sent so far (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.requests
    }

    /// Waits until `min_interval` has passed since the previous request started.
    fn pace(&mut self) {
        if let Some(last) = self.last_request {
            let next = last + self.config.min_interval;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
        self.last_request = Some(Instant::now());
    }

    /// GETs `path` under the base URL: `Ok(None)` for 404. Counts failures in a row.
    fn get(&mut self, path: &str) -> Result<Option<String>, Failure> {
        let result = self.get_once(path);
        match &result {
            Ok(_) => self.failures_in_row = 0,
            Err(Failure::Failed(message)) => {
                self.failures_in_row += 1;
                if self.failures_in_row >= self.config.max_failures_in_row {
                    self.gave_up = Some(message.clone());
                }
            }
            Err(Failure::Unreachable) => {}
        }
        result
    }

    fn get_once(&mut self, path: &str) -> Result<Option<String>, Failure> {
        let url = format!("{}{}", self.config.base_url, path);
        let mut attempt = 0;
        loop {
            self.pace();
            self.requests += 1;
            let response = match self
                .agent
                .get(&url)
                .header("Accept", "application/json")
                .call()
            {
                Ok(r) => r,
                Err(e) => return Err(self.transport_failure(&url, e)),
            };
            self.connect_failures = 0;
            let status = response.status().as_u16();
            match status {
                200..=299 => {
                    return response
                        .into_body()
                        .with_config()
                        .limit(crate::limits::API_ANSWER_BYTES)
                        .read_to_string()
                        .map(Some)
                        .map_err(|e| {
                            let e = match e {
                                ureq::Error::BodyExceedsLimit(_) => format!(
                                    "the answer is larger than the limit of {}",
                                    crate::limits::describe(crate::limits::API_ANSWER_BYTES)
                                ),
                                e => e.to_string(),
                            };
                            Failure::Failed(format!("GET {url}: reading the answer: {e}"))
                        });
                }
                404 => return Ok(None),
                429 | 500..=599 if attempt < self.config.max_retries => {
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let wait = retry_after
                        .unwrap_or_else(|| self.config.backoff * 2u32.saturating_pow(attempt))
                        .min(self.config.max_retry_after);
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                429 | 500..=599 => {
                    return Err(Failure::Failed(format!(
                        "GET {url}: HTTP {status}, still after {} retries",
                        self.config.max_retries
                    )));
                }
                _ => return Err(Failure::Failed(format!("GET {url}: HTTP {status}"))),
            }
        }
    }

    fn transport_failure(&mut self, url: &str, e: ureq::Error) -> Failure {
        use std::io::ErrorKind;
        let cannot_connect = match &e {
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
            ureq::Error::Timeout(t) => {
                matches!(t, ureq::Timeout::Connect | ureq::Timeout::Resolve)
            }
            ureq::Error::Io(io) => {
                matches!(
                    io.kind(),
                    ErrorKind::ConnectionRefused
                        | ErrorKind::HostUnreachable
                        | ErrorKind::NetworkUnreachable
                        | ErrorKind::AddrNotAvailable
                        | ErrorKind::NotFound
                ) || is_name_resolution_failure(io)
            }
            _ => false,
        };
        let message = format!("GET {url}: {e}");
        if cannot_connect {
            self.connect_failures += 1;
            if self.connect_failures >= self.config.max_connect_failures {
                self.unreachable = Some(message.clone());
            }
            Failure::Unreachable
        } else {
            Failure::Failed(message)
        }
    }

    /// The owners of `name`: `Ok(None)` when crates.io does not know the crate.
    fn fetch_owners(&mut self, name: &str) -> Result<Option<Vec<Owner>>, Failure> {
        let Some(body) = self.get(&format!("/api/v1/crates/{name}/owners"))? else {
            return Ok(None);
        };
        let parsed: OwnersJson = serde_json::from_str(&body).map_err(|e| {
            Failure::Failed(format!(
                "owners of {name}: malformed answer from crates.io: {e}"
            ))
        })?;
        let mut owners: Vec<Owner> = parsed
            .users
            .into_iter()
            .filter_map(|o| match o.kind.as_deref() {
                Some("team") => Some(Owner::Team {
                    id: o.id,
                    login: o.login,
                }),
                Some("user") | None => Some(Owner::User {
                    id: o.id,
                    login: o.login,
                }),
                Some(_) => None,
            })
            .collect();
        owners.sort();
        owners.dedup();
        Ok(Some(owners))
    }

    /// The publisher of `name` `version`: `Ok(None)` when crates.io does not know it.
    #[allow(clippy::type_complexity)]
    fn fetch_publisher(
        &mut self,
        name: &str,
        version: &str,
    ) -> Result<Option<Option<Publisher>>, Failure> {
        let Some(body) = self.get(&format!("/api/v1/crates/{name}/{version}"))? else {
            return Ok(None);
        };
        let parsed: VersionJson = serde_json::from_str(&body).map_err(|e| {
            Failure::Failed(format!(
                "publisher of {name}@{version}: malformed answer from crates.io: {e}"
            ))
        })?;
        let v = parsed.version;
        let publisher = match (v.published_by, v.trustpub_data) {
            (Some(user), _) => Some(Publisher::User {
                id: user.id,
                login: user.login,
            }),
            (None, Some(tp)) => tp
                .repository
                .or(tp.project_path)
                .map(|repo| Publisher::Trusted(format!("{}:{repo}", tp.provider))),
            (None, None) => None,
        };
        Ok(Some(publisher))
    }

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
        !self.config.offline && self.unreachable.is_none() && self.gave_up.is_none()
    }
}

fn api_sourced<T>(value: T, fetched: String) -> Sourced<T> {
    Sourced {
        value,
        provenance: Provenance::CratesIoApi,
        fetched: Some(fetched),
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
        if to_ask >= PROGRESS_THRESHOLD {
            let secs = self.config.min_interval.as_secs_f64() * to_ask as f64;
            report(&format!(
                "asking the crates.io API at {} for {to_ask} answers, at most one every {} (about {}); \
                 a committed facts lock (`cargo vendor-audit fetch`, then `check --locked`) or --offline avoids this",
                self.config.base_url,
                pace(self.config.min_interval),
                human_duration(secs)
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
        if let Some(why) = &self.unreachable {
            gathered.degrade(
                source,
                format!(
                    "crates.io API at {} cannot be reached ({why}); stopped asking after {} failures, {skipped} questions left unanswered",
                    self.config.base_url, self.config.max_connect_failures
                ),
            );
        } else if let Some(last) = &self.gave_up {
            gathered.degrade(
                source,
                format!(
                    "crates.io API at {} keeps failing (last: {last}); stopped asking after {} failed requests in a row, {skipped} questions left unanswered",
                    self.config.base_url, self.config.max_failures_in_row
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

/// The resolver's "failed to lookup address information", which std reports with no
/// specific error kind.
fn is_name_resolution_failure(io: &std::io::Error) -> bool {
    io.to_string().contains("failed to lookup address")
}

/// `95 s` -> `2 min`.
/// The pause between requests: `1.5 s`, or `10 ms` below a second.
fn pace(interval: Duration) -> String {
    if interval >= Duration::from_secs(1) {
        format!("{:.1} s", interval.as_secs_f64())
    } else {
        format!("{} ms", interval.as_millis().max(1))
    }
}

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
                    .is_some_and(|c| c.owners(name).is_some())
            };
            if n.owners && names.insert(n.key.name.as_str()) && !cached_owners(&n.key.name) {
                count += 1;
            }
            let cached = self
                .cache
                .as_ref()
                .is_some_and(|c| c.publisher(&n.key.name, &n.key.version).is_some());
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
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.owners(name)) {
            return Some(api_sourced(hit.value.unwrap_or_default(), hit.fetched));
        }
        if !self.may_ask() {
            *skipped += 1;
            return None;
        }
        let now = SystemTime::now();
        match self.fetch_owners(name) {
            Ok(owners) => {
                if let Some(cache) = &self.cache
                    && let Err(e) = cache.put_owners(name, owners.as_deref(), now)
                {
                    self.report_cache_failure(gathered, e);
                }
                Some(api_sourced(owners.unwrap_or_default(), rfc3339(now)))
            }
            Err(Failure::Failed(message)) => {
                gathered.degrade(Provenance::CratesIoApi.as_str(), message);
                None
            }
            Err(Failure::Unreachable) => {
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
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.publisher(name, version)) {
            return Some(api_sourced(hit.value.flatten(), hit.fetched));
        }
        if !self.may_ask() {
            *skipped += 1;
            return None;
        }
        let now = SystemTime::now();
        match self.fetch_publisher(name, version) {
            Ok(publisher) => {
                if let Some(cache) = &self.cache
                    && let Err(e) = cache.put_publisher(
                        name,
                        version,
                        publisher.as_ref().map(Option::as_ref),
                        now,
                    )
                {
                    self.report_cache_failure(gathered, e);
                }
                Some(api_sourced(publisher.flatten(), rfc3339(now)))
            }
            Err(Failure::Failed(message)) => {
                gathered.degrade(Provenance::CratesIoApi.as_str(), message);
                None
            }
            Err(Failure::Unreachable) => {
                *skipped += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
        assert!(is_crates_io("https://Crates.IO./"));
        assert!(!is_crates_io("http://127.0.0.1:1"));
        assert!(host_of("ftp://x").is_none());
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
