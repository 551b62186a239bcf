//! The README's examples: every fenced block that starts with `$ cargo vendor-audit ...` is
//! run through the binary in the demo workspace (tests/fixtures/demo/ws), offline and on
//! the README's date, and must print what the block shows. A line `...` in a block stands
//! for any number of lines; the demo's absolute path is shown as `/home/dev/demo`.

use std::path::Path;
use std::process::Command;

const DEMO_WS: &str = "tests/fixtures/demo/ws";
const TODAY: &str = "2026-11-27";

/// Each `(command line, expected output lines)` of the README.
fn examples(readme: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("```") {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        let command = block.first().and_then(|l| l.strip_prefix("$ "));
        // The release pipeline's `--binary` example needs a compiled binary: it is run by
        // tests/binaries.rs (`the_readme_release_pipeline_runs_as_shown`).
        let runnable = |c: &&str| c.starts_with("cargo vendor-audit") && !c.contains("--binary");
        if let Some(command) = command.filter(runnable) {
            let expected = block[1..].iter().map(|l| l.to_string()).collect();
            out.push((command.to_string(), expected));
        }
    }
    out
}

/// Whether `actual` is `expected`, where a `...` line matches any run of lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    // ok[i][j]: expected[i..] matches actual[j..].
    let (n, m) = (expected.len(), actual.len());
    let mut ok = vec![vec![false; m + 1]; n + 1];
    ok[n][m] = true;
    for i in (0..n).rev() {
        for j in (0..=m).rev() {
            ok[i][j] = if expected[i].trim() == "..." {
                ok[i + 1][j] || (j < m && ok[i][j + 1])
            } else {
                j < m && expected[i] == actual[j] && ok[i + 1][j + 1]
            };
        }
    }
    ok[0][0]
}

fn run(command: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert!(
        !command.contains(['"', '\'', '|', '>', '<', '$', '`']),
        "only plain command lines can be run: {command}"
    );
    assert_eq!(&words[..2], ["cargo", "vendor-audit"], "{command}");
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-vendor-audit"))
        .current_dir(DEMO_WS)
        .env("XDG_CACHE_HOME", cache.path())
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("NO_COLOR")
        // As cargo runs a subcommand: `vendor-audit` first.
        .args(&words[1..])
        .args(["--offline", "--locked", "--today", TODAY])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    let demo = std::fs::canonicalize(Path::new(DEMO_WS).parent().unwrap()).unwrap();
    String::from_utf8_lossy(&out.stdout).replace(&demo.display().to_string(), "/home/dev/demo")
}

#[test]
fn the_readme_examples_print_what_they_show() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let examples = examples(&readme);
    let commands: Vec<&str> = examples.iter().map(|(c, _)| c.as_str()).collect();
    for wanted in [
        "cargo vendor-audit",
        "cargo vendor-audit explain ylong_io --scan-sources",
        "cargo vendor-audit list --by entity",
        "cargo vendor-audit --format markdown",
        "cargo vendor-audit --format github",
    ] {
        assert!(commands.contains(&wanted), "{wanted} in {commands:?}");
    }
    for (command, expected) in &examples {
        let actual = run(command);
        let lines: Vec<&str> = actual.lines().collect();
        assert!(
            matches(expected, &lines),
            "`{command}` prints:\n{actual}\nthe README shows:\n{}",
            expected.join("\n")
        );
    }
}

/// The folder the README sends a reader to is the one the examples run in.
#[test]
fn the_readme_names_the_demo_workspace_where_its_manifest_is() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let named: Vec<&str> = readme
        .match_indices("demo workspace in `")
        .map(|(i, m)| {
            let rest = &readme[i + m.len()..];
            &rest[..rest.find('`').unwrap()]
        })
        .collect();
    assert!(!named.is_empty());
    for dir in named {
        assert_eq!(dir, DEMO_WS);
        assert!(Path::new(dir).join("Cargo.toml").is_file(), "{dir}");
    }
}

#[test]
fn an_ellipsis_stands_for_any_run_of_lines() {
    let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(matches(&e(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&e(&["a", "...", "b"]), &["a", "b"]));
    assert!(!matches(&e(&["a", "...", "d"]), &["a", "b", "c"]));
    assert!(!matches(&e(&["a", "b"]), &["a", "b", "c"]));
    assert!(matches(&e(&[]), &[]));
}
