//! The HTTP side of the crates.io client: origins, pacing, the deadline, retries and
//! redirects, and why a request gave no answer.

use std::time::{Duration, Instant};

use super::{ApiCache, ApiConfig, ApiError, CratesIoApi, MAX_REDIRECTS, user_agent};
/// The host of an `http(s)://host[:port]/...` URL, lowercased.
pub(super) fn host_of(url: &str) -> Option<String> {
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

/// `scheme://host[:port]` of an http(s) URL, lowercased, without user info: what an
/// answer must come from.
pub(super) fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority
        .strip_suffix(default_port)
        .unwrap_or(&authority)
        .to_string();
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// Whether `url` points at crates.io itself, where the one-request-per-second limit holds.
pub fn is_crates_io_url(url: &str) -> bool {
    host_of(url).is_some_and(|h| h == "crates.io" || h.ends_with(".crates.io"))
}

/// Why one request gave no answer.
pub(super) enum Failure {
    /// The server could not be reached (DNS, refused, connect timeout).
    Unreachable,
    /// It answered, but not usefully (5xx after retries, 404, timeout, bad body).
    Failed(String),
    /// The deadline of the run of questions passed.
    OutOfTime,
}

impl CratesIoApi {
    /// A client; refuses a pace faster than 1 request/s for crates.io itself.
    pub fn new(config: ApiConfig, cache: Option<ApiCache>) -> Result<CratesIoApi, ApiError> {
        let base = config.base_url.trim_end_matches('/').to_string();
        let host = host_of(&base).ok_or_else(|| ApiError::BadBaseUrl(config.base_url.clone()))?;
        if is_crates_io_url(&base) && config.min_interval < Duration::from_secs(1) {
            return Err(ApiError::RateTooFast(config.min_interval));
        }
        let loopback = host == "localhost" || host.starts_with("127.") || host == "::1";
        let mut builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(user_agent())
            .timeout_connect(Some(config.connect_timeout))
            .timeout_recv_response(Some(config.read_timeout))
            .timeout_recv_body(Some(config.read_timeout));
        if loopback {
            // A test server on this machine is never reached through a proxy.
            builder = builder.proxy(None);
        }
        // Redirects are followed by hand, and only within the API's origin.
        builder = builder.max_redirects(0);
        let agent = ureq::Agent::new_with_config(builder.build());
        let cache = cache.map(|c| c.for_api(&base));
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
            deadline: None,
            timed_out: None,
        })
    }

    /// Requests sent so far (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.requests
    }

    /// Waits until `min_interval` has passed since the previous request started.
    pub(super) fn pace(&mut self) {
        if let Some(last) = self.last_request {
            let next = last + self.config.min_interval;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
        self.last_request = Some(Instant::now());
    }

    /// Time left before the deadline of this run of questions (`None`: no deadline).
    pub(super) fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Marks the run as out of time, saying what it was waiting for.
    pub(super) fn time_out(&mut self, waiting_for: String) -> Failure {
        self.timed_out.get_or_insert(waiting_for);
        Failure::OutOfTime
    }

    pub(super) fn say(&self, line: &str) {
        if let Some(p) = &self.config.progress {
            (p.0)(line)
        }
    }

    /// GETs `path` under the base URL. Counts failures in a row.
    pub(super) fn get(&mut self, path: &str) -> Result<String, Failure> {
        let result = self.get_once(path);
        match &result {
            Ok(_) => self.failures_in_row = 0,
            Err(Failure::Failed(message)) => {
                self.failures_in_row += 1;
                if self.failures_in_row >= self.config.max_failures_in_row {
                    self.gave_up = Some(message.clone());
                }
            }
            Err(Failure::Unreachable | Failure::OutOfTime) => {}
        }
        result
    }

    pub(super) fn get_once(&mut self, path: &str) -> Result<String, Failure> {
        let first = format!("{}{}", self.config.base_url, path);
        let mut url = first.clone();
        let mut attempt = 0;
        let mut redirects = 0;
        loop {
            if self
                .remaining()
                .is_some_and(|r| r < self.config.min_interval)
            {
                return Err(self.time_out(format!("GET {url}")));
            }
            self.pace();
            self.requests += 1;
            let mut request = self.agent.get(&url).header("Accept", "application/json");
            if let Some(left) = self.remaining() {
                if left.is_zero() {
                    return Err(self.time_out(format!("GET {url}")));
                }
                // No single answer may outlast the deadline, however slowly it drips.
                request = request
                    .config()
                    .timeout_global(Some(left.max(Duration::from_millis(1))))
                    .build();
            }
            let response = match request.call() {
                Ok(r) => r,
                Err(e) => {
                    if self.remaining().is_some_and(|r| r.is_zero()) {
                        return Err(self.time_out(format!("GET {url}")));
                    }
                    return Err(self.transport_failure(&url, e));
                }
            };
            self.connect_failures = 0;
            let status = response.status().as_u16();
            match status {
                200..=299 => {
                    let body = response
                        .into_body()
                        .with_config()
                        .limit(crate::limits::API_ANSWER_BYTES)
                        .read_to_string();
                    return body.map_err(|e| {
                        if self.remaining().is_some_and(|r| r.is_zero()) {
                            return self.time_out(format!("GET {url}: reading the answer"));
                        }
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
                301 | 302 | 303 | 307 | 308 => {
                    let location = response
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    let target = if location.starts_with('/') && !location.starts_with("//") {
                        origin_of(&self.config.base_url).map(|o| format!("{o}{location}"))
                    } else {
                        Some(location.clone())
                    };
                    let same_origin = target.as_deref().and_then(origin_of).is_some()
                        && target.as_deref().and_then(origin_of)
                            == origin_of(&self.config.base_url);
                    match target {
                        Some(target) if same_origin && redirects < MAX_REDIRECTS => {
                            redirects += 1;
                            url = target;
                        }
                        _ if same_origin => {
                            return Err(Failure::Failed(format!(
                                "GET {first}: more than {MAX_REDIRECTS} redirects"
                            )));
                        }
                        _ => {
                            return Err(Failure::Failed(format!(
                                "GET {first}: HTTP {status} redirect to `{}` refused: answers are taken only from {}",
                                crate::text::clean(&location),
                                self.config.base_url
                            )));
                        }
                    }
                }
                404 => {
                    return Err(Failure::Failed(format!(
                        "GET {url}: HTTP 404: the API does not know this crates.io package, so its facts are unknown"
                    )));
                }
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
                    if self.remaining().is_some_and(|r| r < wait) {
                        return Err(self.time_out(format!(
                            "GET {url}: HTTP {status}, asked to wait {} s",
                            wait.as_secs_f64().ceil()
                        )));
                    }
                    if wait >= Duration::from_secs(2) {
                        self.say(&format!(
                            "waiting {} s: the crates.io API at {} answered HTTP {status} and asked to try again later",
                            wait.as_secs_f64().round(),
                            self.config.base_url
                        ));
                    }
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

    pub(super) fn transport_failure(&mut self, url: &str, e: ureq::Error) -> Failure {
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
}

/// The resolver's "failed to lookup address information", which std reports with no
/// specific error kind.
pub(super) fn is_name_resolution_failure(io: &std::io::Error) -> bool {
    io.to_string().contains("failed to lookup address")
}
