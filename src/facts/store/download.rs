//! `store update`: download the crates.io dump's `.zip` and build the store from it.
//!
//! When the server answers Range requests, only the zip's directory and the members the
//! store reads are fetched, into a sparse local copy (`download/db-dump.zip.part`) whose
//! fetched ranges are recorded beside it, so an interrupted transfer resumes where it
//! stopped, in this run (a few retries) or the next. Otherwise the whole file is streamed.
//! The zip is then read by the `zip` crate over that copy, each member's CRC-32 and size
//! checked. One update per machine at a time: a lock file in the store's folder.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime};

use super::build::{Builder, read_zip};
use super::{Summary, describe_bytes};
use crate::facts::dump;

/// Bytes asked from the end of the file first: the zip's end record and, for the dump's
/// few members, its whole directory.
const TAIL: u64 = 64 << 10;
/// The least fetched at once when the zip reader asks for bytes not yet here.
const MIN_FETCH: u64 = 64 << 10;
/// Tries per range before giving up (a cut connection resumes where it stopped).
const TRIES: usize = 4;

/// What `update` did.
#[derive(Clone, Debug)]
pub struct UpdateOutcome {
    /// What the store holds after the update.
    pub summary: Summary,
    /// Bytes received over the network in this run.
    pub downloaded: u64,
    /// The size of the whole dump file, when known.
    pub file_size: Option<u64>,
    /// Whether the server answered Range requests (only the needed members were fetched).
    pub ranged: bool,
    /// Another update finished while this one waited; its store is the one reported.
    pub by_other: bool,
}

/// The zip members the store reads: `(index, file name)`, file name as `crates.csv` or
/// `metadata.json`.
pub fn needed_members<R: Read + Seek>(zip: &zip::ZipArchive<R>) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (index, name) in zip.file_names().enumerate() {
        let Ok(name) = name else { continue };
        let Some(file) = dump::member_file_name(Path::new(name.as_ref())) else {
            continue;
        };
        if file == "metadata.json" || Builder::wants(file).is_some() {
            out.push((index, file.to_string()));
        }
    }
    out
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .user_agent(crate::facts::api::user_agent())
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Downloads the dump at `url`, builds the store and installs it in `dir`. With `wait`,
/// an update already running elsewhere is waited for (and its store reported); without,
/// that is an error (the caller keeps the old store).
pub fn update(dir: &Path, url: &str, wait: bool) -> Result<UpdateOutcome, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lock_path = dir.join("update.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
    let started = SystemTime::now();
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) if wait => {
            say("another `store update` is running on this machine; waiting for it to finish");
            lock.lock()
                .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
            let path = dir.join(super::FILE_NAME);
            let installed_since = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .is_ok_and(|m| m >= started);
            if installed_since && let Ok(store) = super::Store::open(&path) {
                return Ok(UpdateOutcome {
                    summary: store.summary(),
                    downloaded: 0,
                    file_size: None,
                    ranged: false,
                    by_other: true,
                });
            }
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err("another `store update` is running on this machine".into());
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(format!("cannot lock {}: {e}", lock_path.display()));
        }
    }
    let result = download_and_build(dir, url);
    drop(lock);
    result
}

/// Where the partial download and its record live.
fn part_paths(dir: &Path) -> (PathBuf, PathBuf) {
    let d = dir.join("download");
    (d.join("db-dump.zip.part"), d.join("db-dump.zip.part.json"))
}

#[derive(Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct PartState {
    url: String,
    total: u64,
    etag: Option<String>,
    last_modified: Option<String>,
    /// Byte ranges `[start, end)` already written, sorted and merged.
    ranges: Vec<(u64, u64)>,
}

impl PartState {
    fn has(&self, a: u64, b: u64) -> bool {
        a >= b || self.ranges.iter().any(|&(s, e)| s <= a && b <= e)
    }

    /// Parts of `[a, b)` not yet written.
    fn missing(&self, a: u64, b: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut at = a;
        for &(s, e) in &self.ranges {
            if e <= at {
                continue;
            }
            if s >= b {
                break;
            }
            if s > at {
                out.push((at, s.min(b)));
            }
            at = at.max(e);
            if at >= b {
                break;
            }
        }
        if at < b {
            out.push((at, b));
        }
        out
    }

    fn add(&mut self, a: u64, b: u64) {
        if a >= b {
            return;
        }
        self.ranges.push((a, b));
        self.ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(self.ranges.len());
        for &(s, e) in &self.ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.ranges = merged;
    }
}

fn say(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{:>12} {line}", "Store");
}

/// Progress on stderr: a bar on a terminal, else a line every 10 s.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: Option<u64>,
    done: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    fn new(total: Option<u64>) -> Progress {
        use std::io::IsTerminal;
        let bar = (io::stderr().is_terminal() && std::env::var_os("CI").is_none()).then(|| {
            let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta} left",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix("Downloading");
            bar
        });
        Progress {
            bar,
            total,
            done: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// No output: for the few bytes read before the size of the download is known.
    fn quiet() -> Progress {
        Progress {
            bar: None,
            total: None,
            done: 0,
            started: Instant::now(),
            last_line: Instant::now() + Duration::from_secs(3600),
        }
    }

    fn add(&mut self, n: u64) {
        self.done += n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
        } else if self.last_line.elapsed() >= Duration::from_secs(10) {
            self.last_line = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            let rate = self.done as f64 / secs;
            let mut line = format!(
                "downloaded {}{}, {}/s",
                describe_bytes(self.done),
                self.total
                    .map(|t| format!(" of {}", describe_bytes(t)))
                    .unwrap_or_default(),
                describe_bytes(rate as u64)
            );
            if let Some(t) = self.total
                && rate > 0.0
            {
                let left = t.saturating_sub(self.done) as f64 / rate;
                line.push_str(&format!(", about {} s left", left.ceil() as u64));
            }
            say(&line);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The open partial download: the sparse local copy, what of it is here, and the server.
struct Remote {
    agent: ureq::Agent,
    url: String,
    file: File,
    state: PartState,
    state_path: PathBuf,
    downloaded: u64,
    progress: Progress,
    unsaved: u64,
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `bytes START-END/TOTAL` -> (start, end exclusive, total).
fn content_range(text: &str) -> Option<(u64, u64, u64)> {
    let rest = text.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (a, b) = span.split_once('-')?;
    let (a, b, total): (u64, u64, u64) = (a.parse().ok()?, b.parse().ok()?, total.parse().ok()?);
    (a <= b && b < total).then_some((a, b + 1, total))
}

fn http_failure(url: &str, status: u16) -> String {
    format!("{url} answered HTTP {status}; the old store (if any) is kept; try again later")
}

impl Remote {
    fn save(&mut self) {
        self.unsaved = 0;
        if let Ok(text) = serde_json::to_vec(&self.state) {
            let _ = crate::files::write_atomic(&self.state_path, &text);
        }
    }

    /// Writes `body` at `at`, recording each piece as it lands; gives the bytes written.
    fn write_body(&mut self, mut body: impl Read, at: u64, limit: u64) -> io::Result<u64> {
        self.file.seek(SeekFrom::Start(at))?;
        let mut buf = vec![0u8; 256 << 10];
        let mut written = 0u64;
        while written < limit {
            let want = (limit - written).min(buf.len() as u64) as usize;
            let n = match body.read(&mut buf[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.save();
                    return Err(e);
                }
            };
            self.file.write_all(&buf[..n])?;
            self.state.add(at + written, at + written + n as u64);
            written += n as u64;
            self.downloaded += n as u64;
            self.unsaved += n as u64;
            self.progress.add(n as u64);
            if self.unsaved >= 8 << 20 {
                self.save();
            }
        }
        Ok(written)
    }

    /// Fetches `[a, b)` with Range requests, resuming after a cut connection.
    fn fetch(&mut self, a: u64, b: u64) -> io::Result<()> {
        let mut at = a;
        let mut last_error = String::new();
        for _ in 0..TRIES {
            if at >= b {
                break;
            }
            let mut req = self
                .agent
                .get(&self.url)
                .header("Range", format!("bytes={at}-{}", b - 1));
            if let Some(etag) = &self.state.etag {
                req = req.header("If-Range", etag);
            }
            let resp = match req.call() {
                Ok(r) => r,
                Err(e) => {
                    last_error = e.to_string();
                    continue;
                }
            };
            let status = resp.status().as_u16();
            if status != 206 {
                return Err(io::Error::other(if status == 200 {
                    "the dump changed on the server during the download (it answered the whole file to a range request); run the update again".to_string()
                } else {
                    http_failure(&self.url, status)
                }));
            }
            let range = header(&resp, "content-range").and_then(|r| content_range(&r));
            if range.map(|r| (r.0, r.2)) != Some((at, self.state.total)) {
                return Err(io::Error::other(format!(
                    "{} answered a range other than the one asked (bytes {at}-{})",
                    self.url,
                    b - 1
                )));
            }
            let body = resp.into_body().into_reader();
            match self.write_body(body, at, b - at) {
                Ok(n) => at += n,
                Err(e) => {
                    last_error = e.to_string();
                    // What arrived before the cut is kept: resume after it.
                    at = self.state.missing(a, b).first().map_or(b, |m| m.0);
                }
            }
        }
        self.save();
        if at < b || !self.state.has(a, b) {
            return Err(io::Error::other(format!(
                "the transfer from {} was interrupted ({}); what arrived is kept in {} and the next update resumes it",
                self.url,
                if last_error.is_empty() {
                    "the connection closed early"
                } else {
                    &last_error
                },
                self.state_path.with_extension("").display()
            )));
        }
        Ok(())
    }

    fn ensure(&mut self, a: u64, b: u64) -> io::Result<()> {
        for (s, e) in self.state.missing(a, b.min(self.state.total)) {
            self.fetch(s, e)?;
        }
        Ok(())
    }
}

/// The zip reader's view of the partial download: reads fetch what is not here yet.
struct RangeReader {
    remote: Rc<RefCell<Remote>>,
    pos: u64,
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut remote = self.remote.borrow_mut();
        let total = remote.state.total;
        let n = (buf.len() as u64).min(total.saturating_sub(self.pos));
        if n == 0 {
            return Ok(0);
        }
        if !remote.state.has(self.pos, self.pos + n) {
            let end = (self.pos + n.max(MIN_FETCH)).min(total);
            remote.ensure(self.pos, end)?;
        }
        remote.file.seek(SeekFrom::Start(self.pos))?;
        remote.file.read_exact(&mut buf[..n as usize])?;
        self.pos += n;
        Ok(n as usize)
    }
}

impl Seek for RangeReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let total = self.remote.borrow().state.total;
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => total.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}

fn zip_err(e: zip::result::ZipError) -> String {
    format!("the downloaded dump is not a readable zip: {e}")
}

fn download_and_build(dir: &Path, url: &str) -> Result<UpdateOutcome, String> {
    let (part, state_path) = part_paths(dir);
    std::fs::create_dir_all(part.parent().unwrap_or(dir))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let agent = agent();
    let probe = agent
        .get(url)
        .header("Range", format!("bytes=-{TAIL}"))
        .call()
        .map_err(|e| format!("cannot download {url}: {e}; the old store (if any) is kept"))?;
    let status = probe.status().as_u16();
    let name = PathBuf::from(url);
    let mut builder = Builder::new();
    let (downloaded, file_size, ranged) = match status {
        206 => {
            let (a, b, total) = header(&probe, "content-range")
                .and_then(|r| content_range(&r))
                .ok_or_else(|| format!("{url} answered 206 without a usable Content-Range"))?;
            let etag = header(&probe, "etag");
            let last_modified = header(&probe, "last-modified");
            let old: Option<PartState> = std::fs::read(&state_path)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let resume = old.filter(|o| {
                o.url == url
                    && o.total == total
                    && o.etag == etag
                    && o.last_modified == last_modified
                    && part.exists()
            });
            let resuming = resume.is_some();
            let state = resume.unwrap_or(PartState {
                url: url.to_string(),
                total,
                etag,
                last_modified,
                ranges: Vec::new(),
            });
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(!resuming)
                .open(&part)
                .map_err(|e| format!("cannot write {}: {e}", part.display()))?;
            file.set_len(total)
                .map_err(|e| format!("cannot write {}: {e}", part.display()))?;
            if resuming {
                let have: u64 = state.ranges.iter().map(|r| r.1 - r.0).sum();
                say(&format!(
                    "resuming an interrupted download ({} already here)",
                    describe_bytes(have)
                ));
            }
            let remote = Rc::new(RefCell::new(Remote {
                agent: agent.clone(),
                url: url.to_string(),
                file,
                state,
                state_path: state_path.clone(),
                downloaded: 0,
                progress: Progress::quiet(),
                unsaved: 0,
            }));
            {
                let mut r = remote.borrow_mut();
                let body = probe.into_body().into_reader();
                // A cut here is not fatal: what is missing is fetched (resumed) when the
                // zip reader asks for it.
                let _ = r.write_body(body, a, b - a);
            }
            let reader = RangeReader {
                remote: remote.clone(),
                pos: 0,
            };
            let mut zip = zip::ZipArchive::new(reader).map_err(zip_err)?;
            // Where each needed member lies, then fetch those spans in one go each.
            let mut spans = Vec::new();
            for (index, _) in needed_members(&zip) {
                let member = zip.by_index_raw(index).map_err(zip_err)?;
                let start = member.header_start();
                let end = member
                    .data_start()
                    .unwrap_or(start)
                    .saturating_add(member.compressed_size());
                spans.push((start, end));
            }
            let planned: u64 = spans
                .iter()
                .map(|&(s, e)| {
                    remote
                        .borrow()
                        .state
                        .missing(s, e)
                        .iter()
                        .map(|m| m.1 - m.0)
                        .sum::<u64>()
                })
                .sum();
            say(&format!(
                "fetching the {} members the store needs: {} of the {} file",
                spans.len(),
                describe_bytes(planned),
                describe_bytes(total)
            ));
            remote.borrow_mut().progress = Progress::new(Some(planned));
            for (s, e) in spans {
                remote
                    .borrow_mut()
                    .ensure(s, e)
                    .map_err(|e| e.to_string())?;
            }
            remote.borrow().progress.finish();
            let reader = RangeReader {
                remote: remote.clone(),
                pos: 0,
            };
            let result = read_zip(&name, reader, &mut builder);
            if let Err(e) = result {
                discard(&part, &state_path);
                return Err(format!("{e}; nothing was installed, the old store is kept"));
            }
            let downloaded = remote.borrow().downloaded;
            (downloaded, Some(total), true)
        }
        200 => {
            let size = header(&probe, "content-length").and_then(|l| l.parse::<u64>().ok());
            say(&format!(
                "{url} does not answer range requests: downloading the whole file{}",
                size.map(|s| format!(" ({})", describe_bytes(s)))
                    .unwrap_or_default()
            ));
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&part)
                .map_err(|e| format!("cannot write {}: {e}", part.display()))?;
            let mut remote = Remote {
                agent: agent.clone(),
                url: url.to_string(),
                file,
                state: PartState::default(),
                state_path: state_path.clone(),
                downloaded: 0,
                progress: Progress::new(size),
                unsaved: 0,
            };
            let body = probe.into_body().into_reader();
            let written = remote.write_body(body, 0, u64::MAX);
            remote.progress.finish();
            let complete = matches!((&written, size), (Ok(n), Some(s)) if *n == s)
                || (written.is_ok() && size.is_none());
            if !complete {
                discard(&part, &state_path);
                return Err(format!(
                    "the download of {url} was cut after {} of {} ({}); the server does not resume transfers, so run the update again; the old store is kept",
                    describe_bytes(remote.downloaded),
                    size.map(describe_bytes)
                        .unwrap_or_else(|| "an unknown size".into()),
                    written
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "closed early".into())
                ));
            }
            let downloaded = remote.downloaded;
            let mut file = remote.file;
            file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
            let result = read_zip(&name, io::BufReader::new(file), &mut builder);
            if let Err(e) = result {
                discard(&part, &state_path);
                return Err(format!("{e}; nothing was installed, the old store is kept"));
            }
            (downloaded, Some(downloaded), false)
        }
        status => return Err(http_failure(url, status)),
    };
    if let Some(table) = builder.missing_table() {
        discard(&part, &state_path);
        return Err(format!(
            "the dump at {url} has no {table}.csv; is it a crates.io database dump?"
        ));
    }
    let (summary, _) = super::install(builder, dir)?;
    discard(&part, &state_path);
    Ok(UpdateOutcome {
        summary,
        downloaded,
        file_size,
        ranged,
        by_other: false,
    })
}

fn discard(part: &Path, state: &Path) {
    let _ = std::fs::remove_file(part);
    let _ = std::fs::remove_file(state);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_report_gaps() {
        let mut s = PartState::default();
        s.add(10, 20);
        s.add(30, 40);
        s.add(20, 25);
        assert_eq!(s.ranges, vec![(10, 25), (30, 40)]);
        assert_eq!(s.missing(0, 50), vec![(0, 10), (25, 30), (40, 50)]);
        assert!(s.has(12, 25));
        assert!(!s.has(12, 26));
        assert_eq!(s.missing(12, 24), vec![]);
    }

    #[test]
    fn reads_content_range() {
        assert_eq!(content_range("bytes 0-9/100"), Some((0, 10, 100)));
        assert_eq!(content_range("bytes 5-4/100"), None);
        assert_eq!(content_range("bytes 0-100/100"), None);
    }
}
