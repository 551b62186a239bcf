//! The README and the book (docs/src/*.md): every fenced block that starts with
//! `$ cargo vendor-audit ...` is run through the binary in the demo workspace
//! (tests/fixtures/demo/ws), offline and on the documents' date, and must print what the
//! block shows. A line `...` in a block stands for any number of lines; the demo's absolute
//! path is shown as `/home/dev/demo`. Blocks after a `<!-- release-pipeline: NAME -->`
//! marker run in their own workspace, in tests/it/binaries.rs.
//!
//! The structure of the book is checked too (the book is built by `mdbook` where it is
//! installed; these checks need nothing but the files): every finding code has its section,
//! every `{{#include}}` target and every relative link exists, every chapter is in
//! SUMMARY.md, and every policy shown parses. Command lines shown without their output (in
//! shell code, CI recipes or inline code) must be ones the command line parser accepts.

use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_vendor_audit::report::Code;

const DEMO_WS: &str = "tests/fixtures/demo/ws";
const TODAY: &str = "2026-11-27";
const BOOK: &str = "docs/src";
const RELEASE_PIPELINE: &str = "<!-- release-pipeline:";

/// The book's chapters, sorted.
fn chapters() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(BOOK)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    out.sort();
    assert!(out.len() > 5, "{out:?}");
    out
}

/// README.md and every chapter: (path, text).
fn documents() -> Vec<(PathBuf, String)> {
    let mut paths = vec![PathBuf::from("README.md")];
    paths.extend(chapters());
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// Every Markdown file of the repository that links into the book or out of it.
fn linked_documents() -> Vec<(PathBuf, String)> {
    let mut docs = documents();
    for p in ["CHANGELOG.md", "benches/README.md", "fuzz/README.md"] {
        docs.push((PathBuf::from(p), std::fs::read_to_string(p).unwrap()));
    }
    docs
}

/// Each `(command line, expected output lines)` of a document.
fn examples(doc: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    let mut previous = "";
    while let Some(line) = lines.next() {
        if !line.starts_with("```") {
            if !line.trim().is_empty() {
                previous = line;
            }
            continue;
        }
        let marked = previous.starts_with(RELEASE_PIPELINE);
        previous = "";
        let block: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        let command = block.first().and_then(|l| l.strip_prefix("$ "));
        if marked {
            continue;
        }
        if let Some(command) = command.filter(|c| c.starts_with("cargo vendor-audit")) {
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
fn the_examples_of_the_readme_and_the_book_print_what_they_show() {
    let mut all = Vec::new();
    for (path, text) in documents() {
        for (command, expected) in examples(&text) {
            all.push((path.clone(), command, expected));
        }
    }
    let commands: Vec<&str> = all.iter().map(|(_, c, _)| c.as_str()).collect();
    for wanted in [
        "cargo vendor-audit",
        "cargo vendor-audit explain ylong_io --scan-sources",
        "cargo vendor-audit list --by entity",
        "cargo vendor-audit --format markdown",
        "cargo vendor-audit --format github",
    ] {
        assert!(commands.contains(&wanted), "{wanted} in {commands:?}");
    }
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(
        examples(&readme)
            .iter()
            .any(|(c, _)| c == "cargo vendor-audit"),
        "the README shows a sample report"
    );
    let mut failures = Vec::new();
    for (path, command, expected) in &all {
        let actual = run(command);
        let lines: Vec<&str> = actual.lines().collect();
        if !matches(expected, &lines) {
            failures.push(format!(
                "`{command}` in {} prints:\n{actual}\nthe document shows:\n{}",
                path.display(),
                expected.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The folder a document sends a reader to is the one the examples run in.
#[test]
fn the_documents_name_the_demo_workspace_where_its_manifest_is() {
    let mut named = Vec::new();
    for (_, text) in documents() {
        for (i, m) in text.match_indices("demo workspace in `") {
            let rest = &text[i + m.len()..];
            named.push(rest[..rest.find('`').unwrap()].to_string());
        }
    }
    assert!(named.len() >= 3, "{named:?}");
    for dir in named {
        assert_eq!(dir, DEMO_WS);
        assert!(Path::new(&dir).join("Cargo.toml").is_file(), "{dir}");
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

#[test]
fn release_pipeline_blocks_are_not_run_here_and_the_others_are() {
    let doc = "```\n$ cargo vendor-audit\nx\n```\n\n<!-- release-pipeline: audit -->\n```\n$ cargo vendor-audit --binary app\n```\n```json\n$ cargo vendor-audit --format json\n```\n";
    let found: Vec<String> = examples(doc).into_iter().map(|(c, _)| c).collect();
    assert_eq!(
        found,
        ["cargo vendor-audit", "cargo vendor-audit --format json"]
    );
}

/// The README is the front page: under 10 KB, its two set-up commands first.
#[test]
fn the_readme_is_short_and_starts_with_the_set_up_commands() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(
        readme.len() < 10 * 1024,
        "README.md is {} bytes",
        readme.len()
    );
    let commands: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .take(2)
        .collect();
    assert_eq!(
        commands,
        [
            "cargo install --locked --path . && cargo vendor-audit --manifest-path Cargo.toml",
            "cargo test --locked"
        ]
    );
    assert!(readme.contains("This is not legal advice"));
    assert!(readme.contains("## Exit codes"));
}

/// Lines outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push(line);
        }
    }
    out
}

#[test]
fn every_finding_code_has_a_section_in_the_book() {
    let text = std::fs::read_to_string(Path::new(BOOK).join("finding-codes.md")).unwrap();
    let sections: Vec<&str> = prose(&text)
        .into_iter()
        .filter_map(|l| l.strip_prefix("## `")?.strip_suffix('`'))
        .collect();
    let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(sections, codes, "one section per code, in the code's order");
    for code in codes {
        assert!(
            text.contains(&format!("| `{code}` |")),
            "{code} in the table"
        );
    }
}

/// `{{#include PATH}}` and `{{#include PATH:ANCHOR}}` and friends, relative to the chapter.
fn includes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("{{#") {
        let rest = &text[i + 3..];
        let end = rest.find("}}").expect("an unclosed {{#");
        let mut words = rest[..end].split_whitespace();
        let directive = words.next().unwrap_or("");
        if ["include", "rustdoc_include", "playground"].contains(&directive) {
            let target = words.next().expect("a target");
            out.push(target.split(':').next().unwrap().to_string());
        }
    }
    out
}

#[test]
fn every_include_of_the_book_exists() {
    let mut seen = Vec::new();
    for chapter in chapters() {
        let text = std::fs::read_to_string(&chapter).unwrap();
        for target in includes(&text) {
            let path = chapter.parent().unwrap().join(&target);
            assert!(path.is_file(), "{}: {target} is no file", chapter.display());
            seen.push(std::fs::canonicalize(path).unwrap());
        }
    }
    for shown in ["policies/example.toml", "CHANGELOG.md"] {
        let shown = std::fs::canonicalize(shown).unwrap();
        assert!(seen.contains(&shown), "{} is included", shown.display());
    }
    assert_eq!(includes("a {{#include ../x.toml:5:9}} b"), ["../x.toml"]);
}

/// GitHub's anchor for a heading.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    prose(text)
        .into_iter()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

/// The `(target)` of every Markdown link `[text](target)` outside code.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        for (i, _) in line.match_indices("](") {
            let rest = &line[i + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut checked = 0;
    for (path, text) in linked_documents() {
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match link.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                path.clone()
            } else {
                path.parent().unwrap().join(file)
            };
            assert!(
                target.exists(),
                "{}: link {link} to nothing",
                path.display()
            );
            if let Some(anchor) = anchor {
                let target_text = std::fs::read_to_string(&target).unwrap();
                assert!(
                    anchors(&target_text).iter().any(|a| a == anchor),
                    "{}: link {link}: no such heading in {}",
                    path.display(),
                    target.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked}");
    assert_eq!(
        slug("Auditing what ships: binaries, lock files and an SBOM"),
        "auditing-what-ships-binaries-lock-files-and-an-sbom"
    );
}

#[test]
fn every_chapter_is_in_the_summary_and_every_summary_entry_exists() {
    let summary = std::fs::read_to_string(Path::new(BOOK).join("SUMMARY.md")).unwrap();
    let listed = links(&summary);
    for entry in &listed {
        assert!(Path::new(BOOK).join(entry).is_file(), "SUMMARY.md: {entry}");
    }
    for chapter in chapters() {
        let name = chapter.file_name().unwrap().to_str().unwrap().to_string();
        if name != "SUMMARY.md" {
            assert!(listed.contains(&name), "{name} is not in SUMMARY.md");
        }
    }
}

/// Every policy the README or the book shows (a TOML block with a `[policy]` table) passes
/// `policy check`.
#[test]
fn every_policy_shown_parses() {
    let mut checked = 0;
    for (path, text) in documents() {
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line != "```toml" {
                continue;
            }
            let block: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            if !block.contains(&"[policy]") {
                continue;
            }
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("shown.toml");
            std::fs::write(&file, block.join("\n")).unwrap();
            let out = Command::new(env!("CARGO_BIN_EXE_cargo-vendor-audit"))
                .args(["vendor-audit", "policy", "check"])
                .arg(&file)
                .args(["--today", TODAY])
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: the policy shown does not pass `policy check`:\n{}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    assert!(checked >= 1, "{checked}");
}

/// Every other `cargo vendor-audit ...` command line the README and the book show (in shell
/// and YAML code, indented or fenced, and in inline code), cut at a comment, a shell
/// operator or a synopsis' description: `(document, words after "cargo vendor-audit")`.
/// Synopses (`FILE...`, `[OPTIONS]`, `owner|org`) are left out.
fn shown_command_lines() -> Vec<(PathBuf, Vec<String>)> {
    let mut out = Vec::new();
    for (path, text) in documents() {
        let mut pieces: Vec<String> = Vec::new();
        let mut prose = String::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some(info) = line.strip_prefix("```") {
                let block: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
                let shell = ["", "sh", "bash", "console", "yaml"].contains(&info);
                let example = block.first().is_some_and(|l| l.starts_with("$ "));
                if shell && !example {
                    pieces.extend(block.iter().map(|l| l.to_string()));
                }
            } else if line.starts_with("    ") {
                pieces.push(line.to_string());
            } else {
                prose.push_str(line);
                prose.push(' ');
            }
        }
        pieces.extend(prose.split('`').skip(1).step_by(2).map(str::to_string));
        for piece in pieces {
            let Some(at) = piece.find("cargo vendor-audit") else {
                continue;
            };
            let mut rest = piece[at + "cargo vendor-audit".len()..].trim_start();
            if rest.starts_with('#') {
                rest = "";
            }
            for stop in ["  ", " #", "&&", "||", ">", "| ", "<"] {
                if let Some(i) = rest.find(stop) {
                    rest = &rest[..i];
                }
            }
            let words: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
            let synopsis = words.iter().any(|w| {
                w.contains(['[', '|'])
                    || w.contains("...")
                    || w.chars().any(|c| c.is_ascii_uppercase())
                        && w.chars().all(|c| !c.is_ascii_lowercase())
                    || w.ends_with(":NAME")
            });
            if !synopsis {
                out.push((path.clone(), words));
            }
        }
    }
    out
}

#[test]
fn every_command_line_shown_is_one_the_binary_accepts() {
    use clap::Parser as _;
    let shown = shown_command_lines();
    let mut failures = Vec::new();
    for (path, words) in &shown {
        let mut args = vec!["cargo-vendor-audit".into(), "vendor-audit".into()];
        args.extend(words.iter().map(std::ffi::OsString::from));
        let args = cargo_vendor_audit::cli::normalize_args(args);
        if let Err(e) = cargo_vendor_audit::cli::Cli::try_parse_from(args) {
            failures.push(format!(
                "{}: `cargo vendor-audit {}`: {e}",
                path.display(),
                words.join(" ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(shown.len() > 30, "{}", shown.len());
    let lines: Vec<String> = shown.iter().map(|(_, w)| w.join(" ")).collect();
    for wanted in [
        "store update",
        "init",
        "--locked --format sarif --output vendor-audit.sarif --fail-on never",
        "--manifest-path Cargo.toml",
    ] {
        assert!(lines.iter().any(|l| l == wanted), "{wanted} in {lines:#?}");
    }
}
