//! The Markdown report, for `$GITHUB_STEP_SUMMARY` or a pull-request comment.
//!
//! Takes a [`Report`] and a [`Context`]; gives the verdict and the counts first, then a
//! table of the findings that fail or warn, then the long or quiet lists folded in
//! `<details>`: `missing-facts` findings when there are more than [`FOLD_AFTER`], and the
//! `info` findings (waived, not affiliated) always.
//!
//! All text not written by this module goes through [`escape_cell`]: it cannot end a
//! table cell or row, open a link, an image, a heading, emphasis, HTML or math. Values
//! from crate metadata, and the reasons and sources written in policies, are also put
//! inside `<code>`, where GitHub does not turn an `@name` or `#123` into a mention or a
//! reference.

use std::io::{self, Write};

use super::{Code, Context, EntityRef, Finding, Report, Severity};

/// A `missing-facts` list longer than this is folded in `<details>`.
pub const FOLD_AFTER: usize = 10;
/// Longest untrusted value shown, in characters; longer ones are cut with `…`.
pub const MAX_VALUE: usize = 200;
/// Rows shown per table: a PR comment holds at most 65,536 characters.
pub const MAX_ROWS: usize = 100;
/// Steps shown at each end of a longer dependency path.
const PATH_END: usize = 6;
/// Evidence items shown per finding.
const MAX_EVIDENCE: usize = 3;

const HEADER: &str = "| Severity | Code | Crate | Version | Entity | Evidence | Path |\n|---|---|---|---|---|---|---|";

/// Writes the whole Markdown report.
pub fn render(report: &Report, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    verdict(report, ctx, out)?;

    let (info, rest): (Vec<&Finding>, Vec<&Finding>) = report
        .findings
        .iter()
        .partition(|f| f.severity == Severity::Info);
    let (missing, main): (Vec<&Finding>, Vec<&Finding>) =
        rest.into_iter().partition(|f| f.code == Code::MissingFacts);

    if !main.is_empty() {
        writeln!(out, "### Findings\n")?;
        table(&main, out)?;
        entities(&main, out)?;
    }
    if !missing.is_empty() {
        let title = format!(
            "{} package{} with unknown crates.io owners or publisher (`missing-facts`): run `cargo vendor-audit fetch`",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" }
        );
        section(&title, &missing, missing.len() > FOLD_AFTER, out)?;
    }
    if !info.is_empty() {
        let title = format!(
            "{} info finding{} (waived or reviewed as not affiliated; they do not fail the run)",
            info.len(),
            if info.len() == 1 { "" } else { "s" }
        );
        section(&title, &info, true, out)?;
    }
    writeln!(
        out,
        "<sub>{} {}</sub>",
        escape_cell(&report.tool.name),
        escape_cell(&report.tool.version)
    )
}

fn verdict(report: &Report, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let failed = report.fails(ctx.fail_on);
    let head = if failed {
        "❌ cargo vendor-audit: **fail**"
    } else {
        "✅ cargo vendor-audit: **pass**"
    };
    writeln!(out, "## {head}\n")?;
    let waived = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info && f.exception.is_some())
        .count();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut counts = vec![
        plural(s.deny, "denied", "denied"),
        plural(s.warn, "warning", "warnings"),
        format!("{} info", s.info),
    ];
    if waived > 0 {
        counts.push(format!("{waived} waived"));
    }
    let fail_on = match ctx.fail_on {
        super::FailOn::Deny => "fails on `deny`",
        super::FailOn::Warn => "fails on `warn`",
        super::FailOn::Never => "never fails (`--fail-on never`)",
    };
    let policies: Vec<String> = report
        .policies
        .iter()
        .map(|p| match p.reviewed {
            Some(d) => format!("{} (reviewed {d})", code(&p.source)),
            None => code(&p.source),
        })
        .collect();
    writeln!(
        out,
        "**{}** in {} ({} in the graph); {fail_on}. Policy {}; date {}.\n",
        counts.join(", "),
        plural(s.audited, "audited package", "audited packages"),
        s.packages,
        policies.join(" + "),
        escape_cell(&report.today)
    )?;
    if report.default_policy {
        writeln!(
            out,
            "> **Note**: no policy was given or found, so the builtin `us-federal` policy was used. Write `vendor-audit.toml` at the workspace root or pass `--policy`.\n"
        )?;
    }
    for w in report.stale_policies() {
        writeln!(out, "> **Warning**: {}\n", escape_cell(&w))?;
    }
    for d in &report.degraded {
        writeln!(
            out,
            "> **Warning**: fact source {} degraded: {}\n",
            code(&d.source),
            code(&d.message)
        )?;
    }
    if report.findings.is_empty() {
        writeln!(out, "No findings.\n")?;
    }
    Ok(())
}

/// Each entity of the findings once, with its reason and citations: many crates of one
/// entity share them. Texts from the policy are whole (not cut), inside `<code>`.
fn entities(findings: &[&Finding], out: &mut dyn Write) -> io::Result<()> {
    let mut shown: Vec<&EntityRef> = Vec::new();
    for e in findings.iter().filter_map(|f| f.entity_detail.as_ref()) {
        if !shown.contains(&e) {
            shown.push(e);
        }
    }
    if shown.is_empty() {
        return Ok(());
    }
    writeln!(out, "### Entities\n")?;
    for e in shown {
        writeln!(
            out,
            "- **{}** ({}): <code>{}</code>",
            escape_cell(&cut(&e.name)),
            code(&e.id),
            escape_cell(&e.reason)
        )?;
        if let Some(d) = &e.effective {
            writeln!(out, "  - effective {}", escape_cell(d))?;
        }
        for c in &e.citations {
            let url = c
                .url
                .as_deref()
                .map(|u| format!(", {}", code(u)))
                .unwrap_or_default();
            writeln!(
                out,
                "  - cited: <code>{} ({})</code>{url}",
                escape_cell(&c.title),
                escape_cell(&c.instrument)
            )?;
        }
    }
    writeln!(out)
}

/// A titled table, folded in `<details>` or open under a heading.
fn section(title: &str, findings: &[&Finding], fold: bool, out: &mut dyn Write) -> io::Result<()> {
    if fold {
        writeln!(out, "<details>\n<summary>{title}</summary>\n")?;
        table(findings, out)?;
        writeln!(out, "</details>\n")
    } else {
        writeln!(out, "### {title}\n")?;
        table(findings, out)
    }
}

/// A table of at most [`MAX_ROWS`] rows, and a line saying how many were left out.
fn table(findings: &[&Finding], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    for f in findings.iter().take(MAX_ROWS) {
        writeln!(out, "{}", row(f))?;
    }
    writeln!(out)?;
    if findings.len() > MAX_ROWS {
        writeln!(
            out,
            "{} more not shown; `--format json` lists every finding.\n",
            findings.len() - MAX_ROWS
        )?;
    }
    Ok(())
}

/// One table row: `| severity | code | crate | version | entity | evidence | path |`.
pub fn row(f: &Finding) -> String {
    let severity = match f.severity {
        Severity::Deny => "**deny**",
        Severity::Warn => "warn",
        Severity::Info => "info",
    };
    let (name, version) = match (&f.package, &f.exception) {
        (Some(p), _) => (code(&p.name), code(&p.version)),
        (None, Some(x)) => (
            code(&x.crate_name),
            x.version.as_deref().map(code).unwrap_or_default(),
        ),
        (None, None) => (String::new(), String::new()),
    };
    let entity = match (&f.entity_detail, &f.entity) {
        (Some(e), _) => format!("{} {}", code(&e.id), escape_cell(&cut(&e.name))),
        (None, Some(id)) => code(id),
        (None, None) => String::new(),
    };
    let cells = [
        severity.to_string(),
        format!("`{}`", f.code.as_str()),
        name,
        version,
        entity,
        evidence(f),
        path(f),
    ];
    format!("| {} |", cells.join(" | "))
}

/// The evidence, the exception, or, for a finding with neither, its message.
fn evidence(f: &Finding) -> String {
    let mut items: Vec<String> = f
        .evidence
        .iter()
        .take(MAX_EVIDENCE)
        .map(|ev| {
            format!(
                "{} {} {} {} {} ({})",
                escape_cell(ev.fact.as_str()),
                code(&ev.value),
                ev.relation(),
                escape_cell(ev.matcher.key()),
                code(&ev.pattern),
                escape_cell(ev.confidence.as_str())
            )
        })
        .collect();
    if f.evidence.len() > MAX_EVIDENCE {
        items.push(format!("and {} more", f.evidence.len() - MAX_EVIDENCE));
    }
    if let Some(x) = &f.exception {
        let what = match f.code {
            Code::ExpiredException => "expired",
            Code::UnusedException => "unused",
            _ => "waived by",
        };
        items.push(format!(
            "{what} exception at {}, expires {}: {}",
            code(&x.at.to_string()),
            escape_cell(&x.expires),
            code(&x.reason)
        ));
    }
    if items.is_empty() {
        items.push(code(&f.message));
    }
    items.join("<br>")
}

/// The first dependency path, root first, and how many more there are.
fn path(f: &Finding) -> String {
    let Some(first) = f.paths.first() else {
        return String::new();
    };
    // A long chain keeps its two ends: the root side and the package side.
    let step = |s: &String| escape_cell(&cut(s));
    let steps: Vec<String> = if first.len() > 2 * PATH_END {
        let left_out = first.len() - 2 * PATH_END;
        first[..PATH_END]
            .iter()
            .map(step)
            .chain(std::iter::once(format!("… {left_out} more …")))
            .chain(first[first.len() - PATH_END..].iter().map(step))
            .collect()
    } else {
        first.iter().map(step).collect()
    };
    let more = match f.paths.len() {
        1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    format!("<code>{}</code>{more}", steps.join(" → "))
}

/// Untrusted text shown as code: cut, escaped, in `<code>`.
fn code(text: &str) -> String {
    format!("<code>{}</code>", escape_cell(&cut(text)))
}

/// At most [`MAX_VALUE`] characters.
fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_VALUE {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX_VALUE - 1).collect();
        s.push('…');
        s
    }
}

/// Text made inert inside a GitHub-flavoured Markdown table cell (and inside `<code>` in
/// one): on one line, with no character that Markdown or HTML would read as syntax.
///
/// - line breaks and tabs become spaces, so a row stays one line;
/// - other control characters and invisible ones (zero-width, bidi overrides) become a
///   visible `<U+XXXX>`;
/// - `&`, `<`, `>` become HTML entities, so no tag or entity can be written;
/// - `\`, `|`, `` ` ``, `*`, `_`, `~`, `[`, `]`, `(`, `)`, `#`, `$`, `!` get a backslash:
///   no cell end, code span, emphasis, strikethrough, link, image, heading or math.
pub fn escape_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '|' | '`' | '*' | '_' | '~' | '[' | ']' | '(' | ')' | '#' | '$' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if super::is_hidden(c) => out.push_str(&format!("&lt;U+{:04X}&gt;", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `|` that end cells: those not escaped by an odd run of backslashes.
    fn bare_pipes(s: &str) -> usize {
        let mut count = 0;
        let mut backslashes = 0;
        for c in s.chars() {
            if c == '|' && backslashes % 2 == 0 {
                count += 1;
            }
            backslashes = if c == '\\' { backslashes + 1 } else { 0 };
        }
        count
    }

    #[test]
    fn escapes_each_special_character() {
        let cases = [
            ("a|b", "a\\|b"),
            ("`x`", "\\`x\\`"),
            ("<script>&amp;", "&lt;script&gt;&amp;amp;"),
            ("a\nb\r\nc\td", "a b  c d"),
            ("[x](http://e)", "\\[x\\]\\(http://e\\)"),
            ("![i](u)", "\\!\\[i\\]\\(u\\)"),
            ("# h", "\\# h"),
            ("*b* _i_ ~s~", "\\*b\\* \\_i\\_ \\~s\\~"),
            ("$x$", "\\$x\\$"),
            ("\\", "\\\\"),
            ("\u{1b}[31m", "&lt;U+001B&gt;\\[31m"),
            ("\u{202e}evil\u{200b}", "&lt;U+202E&gt;evil&lt;U+200B&gt;"),
            (
                "\u{85}\u{7f}\0",
                "&lt;U+0085&gt;&lt;U+007F&gt;&lt;U+0000&gt;",
            ),
            ("plain-crate_name 1.2.3", "plain-crate\\_name 1.2.3"),
            ("ünïcødé ✓", "ünïcødé ✓"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_cell(input), want, "{input:?}");
        }
    }

    #[test]
    fn output_is_one_line_without_bare_syntax() {
        // Every ASCII character and a few hostile sequences, alone and in runs.
        let mut inputs: Vec<String> = (0u8..=127).map(|b| char::from(b).to_string()).collect();
        inputs.extend(
            [
                "a\\|b",
                "\\\\|",
                "|||",
                "`` ` ``",
                "</code><img src=x onerror=alert(1)>",
                "&#124;",
                "&lt;",
                "x\r\n| --- |\r\ny",
                "\\",
                "\u{2028}\u{2029}",
            ]
            .map(String::from),
        );
        for input in &inputs {
            let out = escape_cell(input);
            assert!(!out.contains('\n') && !out.contains('\r'), "{input:?}");
            assert_eq!(bare_pipes(&out), 0, "{input:?} -> {out:?}");
            assert!(!out.contains('<') && !out.contains('>'), "{input:?}");
            // Every `&` starts one of our entities.
            for (i, _) in out.match_indices('&') {
                let rest = &out[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;"]
                        .iter()
                        .any(|e| rest.starts_with(e)),
                    "{input:?} -> {out:?}"
                );
            }
            // Every special character is preceded by an odd run of backslashes.
            let chars: Vec<char> = out.chars().collect();
            for (i, &c) in chars.iter().enumerate() {
                if "|`*_~[]()#$!".contains(c) {
                    let run = chars[..i].iter().rev().take_while(|&&b| b == '\\').count();
                    assert_eq!(run % 2, 1, "{input:?} -> {out:?}");
                }
            }
        }
    }

    /// Strings from an alphabet of everything that matters, by a fixed pseudo-random walk.
    fn hostile_strings() -> Vec<String> {
        let alphabet: Vec<char> =
            "|\\`*_~[]()#$!<>&;:%,@\n\r\t\u{1b}\u{0}\u{202e}\u{200b}\u{2028}aZ0 -.é✓"
                .chars()
                .collect();
        let mut state: u64 = 0x9e3779b97f4a7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..2000)
            .map(|_| {
                let len = (next() % 24) as usize;
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    /// What a Markdown reader gets back from an escaped cell: backslash escapes and our
    /// three entities undone.
    fn read_back(cell: &str) -> String {
        let cell = cell.replace("&lt;", "<").replace("&gt;", ">");
        let mut out = String::new();
        let mut chars = cell.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.push(chars.next().expect("a dangling backslash")),
                c => out.push(c),
            }
        }
        out.replace("&amp;", "&")
    }

    #[test]
    fn escaped_cells_read_back_as_the_text() {
        for input in hostile_strings() {
            let out = escape_cell(&input);
            assert!(!out.contains('\n') && !out.contains('\r'), "{input:?}");
            assert_eq!(bare_pipes(&out), 0, "{input:?} -> {out:?}");
            let shown: String = input
                .chars()
                .map(|c| match c {
                    '\n' | '\r' | '\t' => " ".to_string(),
                    c if crate::report::is_hidden(c) => format!("<U+{:04X}>", c as u32),
                    c => c.to_string(),
                })
                .collect();
            assert_eq!(read_back(&out), shown, "{input:?} -> {out:?}");
        }
    }

    #[test]
    fn cut_long_values() {
        let long = "x".repeat(MAX_VALUE + 5);
        let c = cut(&long);
        assert_eq!(c.chars().count(), MAX_VALUE);
        assert!(c.ends_with('…'));
        assert_eq!(cut("short"), "short");
    }
}
