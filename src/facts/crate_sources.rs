//! Copyright lines from a package's own files (`--scan-sources`): license files in full,
//! and the first lines of its Rust sources. Every read is bounded, only regular files are
//! opened (a FIFO would block), and only files inside the package's folder are read: a
//! manifest's `license-file` that is absolute, climbs out with `..` or leads out through
//! a link is not read, and the package's copyright lines are then unknown.

use std::fs;
use std::io::Read;
use std::path::{Component, Path};

use super::CopyrightFact;

/// At most this many bytes are read from one license file.
pub const LICENSE_FILE_LIMIT: u64 = 64 * 1024;
/// At most this many bytes are read from the head of one source file.
pub const SOURCE_HEAD_LIMIT: u64 = 4 * 1024;
/// At most this many source files are read per package.
pub const SOURCE_FILES_LIMIT: usize = 200;
/// At most this many copyright lines are kept per package.
pub const LINES_LIMIT: usize = 50;

/// What scanning a package found, or why it could not.
pub type Scan = Result<Vec<CopyrightFact>, String>;

/// Scans the package whose manifest is at `manifest_path`; `license_file` is the
/// manifest's `license-file`, if any.
pub fn scan(manifest_path: &Path, license_file: Option<&str>) -> Scan {
    let root = manifest_path
        .parent()
        .ok_or_else(|| format!("{} has no parent folder", manifest_path.display()))?;
    let entries = fs::read_dir(root).map_err(|e| format!("cannot read {}: {e}", root.display()))?;
    let mut found = Vec::new();
    let mut license_files: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_license_name(n))
        .collect();
    if let Some(lf) = license_file {
        let lf = inside_package(root, lf)?;
        // The manifest names it: a file there that cannot be read is said, not skipped
        // (a missing one is left to cargo, which refuses to package without it).
        match crate::limits::open_regular(&root.join(&lf), u64::MAX) {
            Ok(_) => license_files.push(lf),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(format!(
                    "license-file `{}` was not read: {e}",
                    lf.escape_debug()
                ));
            }
        }
    }
    license_files.sort();
    license_files.dedup();
    for name in &license_files {
        read_lines(root, name, LICENSE_FILE_LIMIT, &mut found);
    }
    let mut sources = Vec::new();
    collect_rust_files(root, &root.join("src"), &mut sources, 0);
    if root.join("build.rs").is_file() {
        sources.push("build.rs".to_string());
    }
    sources.sort();
    for name in sources.iter().take(SOURCE_FILES_LIMIT) {
        read_lines(root, name, SOURCE_HEAD_LIMIT, &mut found);
        if found.len() >= LINES_LIMIT {
            break;
        }
    }
    found.truncate(LINES_LIMIT);
    Ok(found)
}

/// `license_file` as a path relative to the package folder `root`, when it stays inside:
/// not absolute, no `..`, and not leading out through a symbolic link.
fn inside_package(root: &Path, license_file: &str) -> Result<String, String> {
    let outside = || {
        format!(
            "license-file `{}` is outside the package folder, so it is not read",
            license_file.escape_debug()
        )
    };
    let path = Path::new(license_file);
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(outside());
            }
        }
    }
    if parts.is_empty() {
        return Err(outside());
    }
    let relative = parts.join("/");
    if let (Ok(real_root), Ok(real)) = (root.canonicalize(), root.join(&relative).canonicalize())
        && !real.starts_with(&real_root)
    {
        return Err(outside());
    }
    Ok(relative)
}

fn is_license_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "LICENSE",
        "LICENCE",
        "COPYING",
        "COPYRIGHT",
        "NOTICE",
        "AUTHORS",
    ]
    .iter()
    .any(|p| upper.starts_with(p))
}

fn collect_rust_files(root: &Path, dir: &Path, out: &mut Vec<String>, depth: usize) {
    if depth > 8 || out.len() >= SOURCE_FILES_LIMIT {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(t) = e.file_type() else { continue };
        let path = e.path();
        if t.is_dir() {
            collect_rust_files(root, &path, out, depth + 1);
        } else if t.is_file()
            && path.extension().is_some_and(|x| x == "rs")
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
        if out.len() >= SOURCE_FILES_LIMIT {
            return;
        }
    }
}

fn read_lines(root: &Path, name: &str, limit: u64, out: &mut Vec<CopyrightFact>) {
    // Only a regular file, whatever its size: its head is read.
    let Ok((file, _)) = crate::limits::open_regular(&root.join(name), u64::MAX) else {
        return;
    };
    let mut buf = Vec::new();
    if file.take(limit).read_to_end(&mut buf).is_err() {
        return;
    }
    let text = String::from_utf8_lossy(&buf);
    for line in text.lines() {
        if let Some(c) = copyright_line(line)
            && !out.iter().any(|f| f.line == c)
        {
            out.push(CopyrightFact {
                line: c,
                file: name.to_string(),
            });
        }
    }
}

/// The text of a copyright line, comment markers stripped; `None` if it is none.
pub fn copyright_line(line: &str) -> Option<String> {
    let t = line
        .trim()
        .trim_start_matches(['/', '*', '#', '!', '-', ';'])
        .trim_end_matches(['*', '/'])
        .trim();
    let lower = t.to_lowercase();
    let is_copyright = lower.starts_with("copyright")
        || lower.starts_with("(c)")
        || lower.starts_with('©')
        || lower.contains(" copyright (c)")
        || lower.contains("copyright ©");
    if !is_copyright || t.len() < 12 || lower.contains("copyright notice") {
        return None;
    }
    Some(t.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_headers() {
        assert_eq!(
            copyright_line("// Copyright (c) 2023 Huawei Device Co., Ltd.").as_deref(),
            Some("Copyright (c) 2023 Huawei Device Co., Ltd.")
        );
        assert_eq!(
            copyright_line(" * Copyright 2020 AO Kaspersky Lab */").as_deref(),
            Some("Copyright 2020 AO Kaspersky Lab")
        );
        assert_eq!(copyright_line("fn copyright() {}"), None);
        assert_eq!(
            copyright_line("the above copyright notice and this permission"),
            None
        );
    }

    #[test]
    fn scans_license_and_sources() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("Cargo.toml"), "[package]\n").unwrap();
        fs::write(
            root.join("LICENSE-MIT"),
            "MIT License\n\nCopyright (c) 2024 Example Corp\n",
        )
        .unwrap();
        fs::create_dir_all(root.join("src/deep")).unwrap();
        fs::write(
            root.join("src/lib.rs"),
            "// Copyright (c) 2023 Huawei Device Co., Ltd.\nfn x() {}\n",
        )
        .unwrap();
        let late = format!("{}\n// Copyright 2020 Too Late Ltd\n", "//\n".repeat(3000));
        fs::write(root.join("src/deep/late.rs"), late).unwrap();
        let found = scan(&root.join("Cargo.toml"), None).unwrap();
        let lines: Vec<_> = found
            .iter()
            .map(|f| (f.file.as_str(), f.line.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                ("LICENSE-MIT", "Copyright (c) 2024 Example Corp"),
                ("src/lib.rs", "Copyright (c) 2023 Huawei Device Co., Ltd."),
            ]
        );
    }
}
