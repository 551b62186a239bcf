//! A fake static.crates.io: a real HTTP/1.1 server on 127.0.0.1 serving one file (the
//! dump's `.zip`), with or without Range support, and faults on demand: a connection cut
//! halfway through a body, an HTTP status instead of the file, a gate that holds the first
//! answer until the test opens it. Counts the body bytes it sent. Std only.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Faults {
    /// Answer Range requests with 206 (else the whole file, 200).
    pub ranges: bool,
    /// Cut the connection halfway through the first body longer than this many bytes.
    pub cut_once_above: Option<u64>,
    /// Cut every body longer than this many bytes halfway, until [`FakeStatic::stop_cutting`].
    pub cut_all_above: Option<u64>,
    /// Answer every request with this status and no file.
    pub status: Option<u16>,
    /// Hold the first answer until [`FakeStatic::open_gate`].
    pub gate: bool,
}

struct Shared {
    file: Vec<u8>,
    faults: Faults,
    cut_done: AtomicBool,
    stop_cutting: AtomicBool,
    gate_open: AtomicBool,
    sent: AtomicU64,
    requests: AtomicUsize,
    ranges_asked: Mutex<Vec<String>>,
}

pub struct FakeStatic {
    pub url: String,
    shared: Arc<Shared>,
}

impl FakeStatic {
    pub fn start(file: Vec<u8>, faults: Faults) -> FakeStatic {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/db-dump.zip", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            file,
            faults,
            cut_done: AtomicBool::new(false),
            stop_cutting: AtomicBool::new(false),
            gate_open: AtomicBool::new(false),
            sent: AtomicU64::new(0),
            requests: AtomicUsize::new(0),
            ranges_asked: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(stream, &s));
            }
        });
        FakeStatic { url, shared }
    }

    /// Body bytes sent so far.
    pub fn bytes_sent(&self) -> u64 {
        self.shared.sent.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    pub fn ranges_asked(&self) -> Vec<String> {
        self.shared.ranges_asked.lock().unwrap().clone()
    }

    /// Whether a connection was cut.
    pub fn cut_happened(&self) -> bool {
        self.shared.cut_done.load(Ordering::SeqCst)
    }

    pub fn stop_cutting(&self) {
        self.shared.stop_cutting.store(true, Ordering::SeqCst);
    }

    pub fn open_gate(&self) {
        self.shared.gate_open.store(true, Ordering::SeqCst);
    }
}

fn serve(stream: TcpStream, s: &Shared) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut range = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("range")
            {
                range = Some(v.trim().to_string());
            }
        }
        let n = s.requests.fetch_add(1, Ordering::SeqCst);
        if let Some(r) = &range {
            s.ranges_asked.lock().unwrap().push(r.clone());
        }
        if s.faults.gate && n == 0 {
            while !s.gate_open.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        if let Some(status) = s.faults.status {
            let _ = write!(
                out,
                "HTTP/1.1 {status} Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            return;
        }
        let total = s.file.len() as u64;
        let span = range
            .filter(|_| s.faults.ranges)
            .and_then(|r| parse_range(&r, total));
        let (status, a, b) = match span {
            Some((a, b)) => (206, a, b),
            None => (200, 0, total),
        };
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nETag: \"dump-1\"\r\nConnection: close\r\n",
            if status == 206 {
                "Partial Content"
            } else {
                "OK"
            },
            b - a
        );
        if s.faults.ranges {
            head.push_str("Accept-Ranges: bytes\r\n");
        }
        if status == 206 {
            head.push_str(&format!("Content-Range: bytes {a}-{}/{total}\r\n", b - 1));
        }
        head.push_str("\r\n");
        if out.write_all(head.as_bytes()).is_err() {
            return;
        }
        let body = &s.file[a as usize..b as usize];
        let cut = s
            .faults
            .cut_once_above
            .is_some_and(|limit| body.len() as u64 > limit)
            && !s.cut_done.swap(true, Ordering::SeqCst)
            || s.faults
                .cut_all_above
                .is_some_and(|limit| body.len() as u64 > limit)
                && !s.stop_cutting.load(Ordering::SeqCst);
        let body = if cut { &body[..body.len() / 2] } else { body };
        for chunk in body.chunks(64 << 10) {
            if out.write_all(chunk).is_err() {
                return;
            }
            s.sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        }
        let _ = out.flush();
        let _ = out.shutdown(std::net::Shutdown::Both);
    }
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` -> `[start, end)`.
fn parse_range(r: &str, total: u64) -> Option<(u64, u64)> {
    let spec = r.strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let (a, b) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (total.saturating_sub(n), total)
    } else {
        let a: u64 = a.parse().ok()?;
        let b = if b.is_empty() {
            total
        } else {
            (b.parse::<u64>().ok()? + 1).min(total)
        };
        (a, b)
    };
    (a < b).then_some((a, b))
}
