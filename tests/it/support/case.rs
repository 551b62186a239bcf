//! A throwaway folder holding `meta.json` (one crates.io package, `foo 1.0.0`) and a
//! `policy.toml`, and the binary run inside it: the harness of the bad-input and
//! hostile-input tests. Every run is offline or aimed at a refused local port, has its
//! cache and home inside the folder, is killed (and fails) when it outlives
//! [`TIME_LIMIT`], and fails when the binary panicked or ran out of memory.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::metadata_json::metadata;

/// A case that takes longer has hung, and is killed.
pub const TIME_LIMIT: Duration = Duration::from_secs(30);

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_cargo-vendor-audit");

/// One test's folder; removed when dropped.
pub struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// A folder with `policy` as `policy.toml` and metadata of one package, `foo 1.0.0`.
    pub fn new(policy: &str) -> Case {
        let case = Case {
            dir: tempfile::tempdir().unwrap(),
        };
        case.write("policy.toml", policy);
        case.write(
            "meta.json",
            metadata(case.path(), &[("foo", "1.0.0")]).to_string(),
        );
        case
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `name` inside the folder.
    pub fn at(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// Writes `text` to `name`, creating its parent folders.
    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.at(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A sparse file of `len` bytes: large on paper, nothing on disk.
    pub fn sparse(&self, name: &str, len: u64) -> PathBuf {
        let path = self.at(name);
        std::fs::File::create(&path).unwrap().set_len(len).unwrap();
        path
    }

    /// A named pipe that nothing writes to: reading it would block for ever.
    pub fn fifo(&self, name: &str) -> PathBuf {
        let path = self.at(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        assert!(
            Command::new("mkfifo")
                .arg(&path)
                .status()
                .unwrap()
                .success()
        );
        path
    }

    /// The binary with `args`, in the folder, with no colour and nothing on stdin.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        self.prepare(&mut cmd, args);
        cmd
    }

    /// As [`Case::command`], under `ulimit -v KIB`.
    pub fn limited(&self, args: &[&str], address_space_kib: u64) -> Command {
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(format!(
                "ulimit -v {address_space_kib} && exec \"$0\" \"$@\""
            ))
            .arg(BIN);
        self.prepare(&mut sh, args);
        sh
    }

    fn prepare(&self, cmd: &mut Command, args: &[&str]) {
        cmd.args(args)
            .current_dir(self.path())
            .env("XDG_CACHE_HOME", self.at("cache"))
            // Never the user's configuration or caches.
            .env("HOME", self.path())
            .env("NO_COLOR", "1")
            .env_remove("CARGO_TERM_COLOR")
            .stdin(Stdio::null());
    }

    /// Runs the binary with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(self.command(args), None)
    }

    /// Runs `cmd`, feeding it `stdin` when given (a tool that stops reading early, at a
    /// limit, is fine); kills it and fails if it has not ended within [`TIME_LIMIT`].
    pub fn run_with(&self, mut cmd: Command, stdin: Option<&[u8]>) -> Output {
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let writer = child.stdin.take().map(|mut pipe| {
            let bytes = stdin.unwrap_or_default().to_vec();
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            })
        });
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > TIME_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("hung: killed after {TIME_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(writer) = writer {
            writer.join().unwrap();
        }
        let output = Output {
            status,
            stdout: out_reader.join().unwrap(),
            stderr: err_reader.join().unwrap(),
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("memory allocation"),
            "{stderr}"
        );
        output
    }

    /// `check` of `meta.json` under `policy.toml`, offline, with `extra` arguments.
    pub fn check(&self, extra: &[&str]) -> Output {
        self.run_with(self.command(&check_args(extra)), None)
    }

    /// As [`Case::check`], under `ulimit -v KIB`.
    pub fn check_limited(&self, extra: &[&str], address_space_kib: u64) -> Output {
        self.run_with(self.limited(&check_args(extra), address_space_kib), None)
    }
}

fn check_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "check",
        "--metadata-path",
        "meta.json",
        "--policy",
        "policy.toml",
        "--offline",
        "--crates-io-api",
        "http://127.0.0.1:9",
    ];
    args.extend_from_slice(extra);
    args
}
