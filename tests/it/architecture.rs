//! The module layering: no two modules of `src/` use each other, directly or through others.
//!
//! Reads every `src/**/*.rs` (but `main.rs`, the binary's own crate), collects the
//! `crate::…`, `super::…` and `self::…` paths each file names, `use` groups included, and
//! checks two graphs for cycles: the top-level modules of `src/`, and `pipeline` beside each
//! subcommand module `commands::*`. Comments and string literals are skipped; test modules
//! inside `src/` count like any other code.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Open,
    Close,
    Comma,
    Other,
}

/// Splits Rust source into the few tokens a path needs, each with its 1-based line, leaving
/// out comments, string and char literals.
fn tokens(text: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = text.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    // Skips to just past the `"` that closes a (raw, with `hashes`) string opened before `i`.
    let skip_string = |mut i: usize, line: &mut usize, raw: Option<usize>| -> usize {
        while i < c.len() {
            match c[i] {
                '\n' => *line += 1,
                '\\' if raw.is_none() => {
                    if at(i + 1) == '\n' {
                        *line += 1;
                    }
                    i += 1;
                }
                '"' => {
                    let hashes = raw.unwrap_or(0);
                    if (1..=hashes).all(|k| at(i + k) == '#') {
                        return i + 1 + hashes;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        i
    };
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_string(i + 1, &mut line, None);
        } else if ch == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or else a lifetime or label.
            if at(i + 1) == '\\' {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            if matches!(word.as_str(), "r" | "br" | "cr") && matches!(at(i), '"' | '#') {
                let mut hashes = 0;
                while at(i + hashes) == '#' {
                    hashes += 1;
                }
                if at(i + hashes) == '"' {
                    i = skip_string(i + hashes + 1, &mut line, Some(hashes));
                    continue;
                }
                // `r#ident`, a raw identifier.
                i += hashes;
                continue;
            }
            out.push((Tok::Ident(word), line));
        } else {
            let tok = match ch {
                ':' if at(i + 1) == ':' => {
                    i += 1;
                    Tok::Sep
                }
                '{' => Tok::Open,
                '}' => Tok::Close,
                ',' => Tok::Comma,
                _ => Tok::Other,
            };
            out.push((tok, line));
            i += 1;
        }
    }
    out
}

/// One path a file names, resolved from the crate root, with its line.
#[derive(Debug)]
struct Use {
    /// The module whose code names the path.
    from: Vec<String>,
    path: Vec<String>,
    line: usize,
}

/// Every `crate::…`, `super::…` and `self::…` path in a file whose module path is `module`,
/// resolved from the crate root; inline `mod name { … }` blocks move `super` and `self`.
fn uses(module: &[String], text: &str) -> Vec<Use> {
    let toks = tokens(text);
    let mut out = Vec::new();
    let mut depth = 0usize;
    // Inline modules open around the current token: (name, brace depth inside it).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut pending_mod: Option<String> = None;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Open => {
                depth += 1;
                if let Some(name) = pending_mod.take() {
                    inline.push((name, depth));
                }
            }
            Tok::Close => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Ident(w) if w == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((Tok::Open, _))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    pending_mod = Some(name.clone());
                }
            }
            Tok::Ident(w)
                if matches!(w.as_str(), "crate" | "super" | "self")
                    && toks.get(i + 1).is_some_and(|t| t.0 == Tok::Sep)
                    && (i == 0 || toks[i - 1].0 != Tok::Sep) =>
            {
                let here: Vec<String> = module
                    .iter()
                    .cloned()
                    .chain(inline.iter().map(|(n, _)| n.clone()))
                    .collect();
                let mut paths = Vec::new();
                let end = tree(&toks, i, &here, Vec::new(), true, &mut paths);
                for p in paths {
                    out.push(Use {
                        from: here.clone(),
                        path: p,
                        line: toks[i].1,
                    });
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Reads one path or `use` tree starting at token `i` under `prefix`, pushing each full path
/// it names to `out`; gives the index of the first token after it. `root` says the path
/// starts a statement or expression, where `crate`, `super` and `self` are relative to `here`
/// (inside a group they are relative to the group's prefix).
fn tree(
    toks: &[(Tok, usize)],
    mut i: usize,
    here: &[String],
    mut prefix: Vec<String>,
    root: bool,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut first = true;
    loop {
        match toks.get(i).map(|t| &t.0) {
            Some(Tok::Ident(w)) => {
                match w.as_str() {
                    "crate" if first && root => prefix.clear(),
                    "self" if first && root => prefix = here.to_vec(),
                    "super" if first && root => {
                        prefix = here.to_vec();
                        prefix.pop();
                    }
                    "super" => {
                        prefix.pop();
                    }
                    // `{self, …}` names the group's prefix itself.
                    "self" => {}
                    _ => prefix.push(w.clone()),
                }
                i += 1;
            }
            Some(Tok::Open) => {
                i += 1;
                loop {
                    match toks.get(i).map(|t| &t.0) {
                        None => return i,
                        Some(Tok::Close) => return i + 1,
                        Some(Tok::Ident(_) | Tok::Open) => {
                            let end = tree(toks, i, here, prefix.clone(), false, out);
                            // `name as alias` adds nothing; go on at the `,` or `}`.
                            i = skip_item(toks, end);
                        }
                        // `,`, `*`, or anything else this reader need not follow.
                        Some(_) => i += 1,
                    }
                }
            }
            _ => {
                out.push(prefix);
                return i;
            }
        }
        first = false;
        if toks.get(i).is_some_and(|t| t.0 == Tok::Sep) {
            i += 1;
        } else {
            out.push(prefix);
            return i;
        }
    }
}

/// Skips to the `,` or `}` that ends a `use` group item (not past it).
fn skip_item(toks: &[(Tok, usize)], mut i: usize) -> usize {
    let mut depth = 0usize;
    while let Some((t, _)) = toks.get(i) {
        match t {
            Tok::Open => depth += 1,
            Tok::Close if depth == 0 => return i,
            Tok::Close => depth -= 1,
            Tok::Comma if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    i
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/`: `a/b.rs` and `a/b/mod.rs` are both `a::b`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The names of the modules directly under `dir` (files and folders, `mod.rs` aside).
fn modules_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_owned();
            if p.is_dir() {
                Some(name)
            } else {
                let stem = name.strip_suffix(".rs")?;
                (!matches!(stem, "mod" | "lib" | "main")).then(|| stem.to_owned())
            }
        })
        .collect()
}

/// `from -> to -> where` (the first `file:line` seen for the edge).
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// Every cycle in `graph`, one per set of nodes that all reach each other, each written as
/// `a -> b -> a` followed by every use between the nodes of the set and where it is.
fn cycles(graph: &Graph) -> Vec<String> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([from.to_owned()]);
        while let Some(n) = queue.pop_front() {
            for next in graph.get(&n).into_iter().flat_map(|m| m.keys()) {
                if seen.insert(next.clone()) {
                    queue.push_back(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|n| (n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for (node, r) in &reaches {
        if !r.contains(*node) || done.contains(*node) {
            continue;
        }
        let set: BTreeSet<String> = r
            .iter()
            .filter(|m| reaches.get(m).is_some_and(|rm| rm.contains(*node)))
            .cloned()
            .collect();
        done.extend(set.iter().cloned());
        // The shortest way round from `node` back to itself, for the message.
        let mut back: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = VecDeque::from([(*node).clone()]);
        let mut seen = BTreeSet::new();
        'search: while let Some(n) = queue.pop_front() {
            for next in graph[&n].keys() {
                if next == *node {
                    back.insert(format!("{next}#end"), n.clone());
                    break 'search;
                }
                if set.contains(next) && seen.insert(next.clone()) {
                    back.insert(next.clone(), n.clone());
                    queue.push_back(next.clone());
                }
            }
        }
        let mut ring = vec![(*node).clone()];
        let mut cur = back[&format!("{node}#end")].clone();
        while cur != **node {
            ring.push(cur.clone());
            cur = back[&cur].clone();
        }
        ring.push((*node).clone());
        ring.reverse();
        let mut text = format!("cycle: {}", ring.join(" -> "));
        // Every use between the modules of the cycle, since any of them may be the one to cut.
        for from in &set {
            for (to, place) in &graph[from] {
                if set.contains(to) {
                    text += &format!("\n    {from} -> {to}: {place}");
                }
            }
        }
        out.push(text);
    }
    out
}

/// The two graphs of `src/`: top-level modules, and `pipeline` with `commands::*`.
fn graphs(src: &Path) -> (Graph, Graph) {
    let top = modules_in(src);
    let commands = modules_in(&src.join("commands"));
    // The node a module path belongs to in the second graph, if any.
    let command_node = |p: &[String]| -> Option<String> {
        match p {
            [first, ..] if first == "pipeline" => Some("pipeline".to_owned()),
            [first, second, ..] if first == "commands" && commands.contains(second) => {
                Some(format!("commands::{second}"))
            }
            _ => None,
        }
    };
    let mut files = Vec::new();
    rs_files(src, &mut files);
    files.sort();
    let (mut modules, mut layers) = (Graph::new(), Graph::new());
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        if rel == Path::new("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for u in uses(&module_of(rel), &text) {
            let place = format!("src/{}:{}", rel.display(), u.line);
            if let (Some(a), Some(b)) = (u.from.first(), u.path.first())
                && a != b
                && top.contains(a)
                && top.contains(b)
            {
                modules
                    .entry(a.clone())
                    .or_default()
                    .entry(b.clone())
                    .or_insert_with(|| place.clone());
            }
            if let (Some(a), Some(b)) = (command_node(&u.from), command_node(&u.path))
                && a != b
            {
                layers.entry(a).or_default().entry(b).or_insert(place);
            }
        }
        for node in top.iter() {
            modules.entry(node.clone()).or_default();
        }
    }
    for g in [&mut modules, &mut layers] {
        let targets: Vec<String> = g.values().flat_map(|m| m.keys().cloned()).collect();
        for t in targets {
            g.entry(t).or_default();
        }
    }
    (modules, layers)
}

#[test]
fn top_level_modules_and_subcommands_use_each_other_one_way_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (modules, layers) = graphs(&src);
    // The reader sees what it must: a subcommand that uses the pipeline, through a group.
    assert!(modules["commands"].contains_key("pipeline"), "{modules:#?}");
    assert!(
        layers["commands::check"].contains_key("pipeline"),
        "{layers:#?}"
    );
    let mut found = cycles(&modules);
    found.extend(cycles(&layers));
    assert!(
        found.is_empty(),
        "modules of src/ that use each other:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_path_reader_follows_groups_and_skips_comments_and_strings() {
    let text = r##"
        use crate::{a, b::{c, self}, d::e as f};
        use super::g::{self, h};
        // use crate::commented;
        /* crate::blocked /* nested */ crate::still_blocked */
        const S: &str = "crate::quoted";
        const R: &str = r#"crate::raw "quoted""#;
        const C: char = '"';
        fn x<'a>(_: &'a str) { crate::i::j(); }
        mod inner { use super::k; use self::l::m; }
        pub(crate) fn y() { let _ = super::super::n::o; }
    "##;
    let module = vec!["top".to_owned(), "file".to_owned()];
    let got: Vec<String> = uses(&module, text)
        .iter()
        .map(|u| format!("{} <- {}", u.path.join("::"), u.from.join("::")))
        .collect();
    assert_eq!(
        got,
        [
            "a <- top::file",
            "b::c <- top::file",
            "b <- top::file",
            "d::e <- top::file",
            "top::g <- top::file",
            "top::g::h <- top::file",
            "i::j <- top::file",
            "top::file::k <- top::file::inner",
            "top::file::inner::l::m <- top::file::inner",
            "n::o <- top::file",
        ]
    );
}
