//! GitHub Actions workflow commands: one annotation per finding that fails or warns.
//!
//! Takes a [`Report`] and a [`Context`]; gives `::error` for `deny` and `::warning` for
//! `warn` findings, each on the package's line of Cargo.lock, then one plain summary line.
//! `info` findings (waived, not affiliated) give none: they are decisions already
//! reviewed, and GitHub shows only ten notices per step. `missing-facts` annotations come
//! after the others, so the ten errors and ten warnings GitHub shows per step are the
//! ones about entities and origins.
//!
//! Text is escaped as GitHub's runner reads it: `%`, CR and LF in the message, and also
//! `:` and `,` in property values. No crate metadata can end a command or start another:
//! each command is exactly one line.

use std::io::{self, Write};

use super::human::clean;
use super::{Code, Context, Finding, PolicyPlace, Report, Severity};
use crate::input::lockfile::{Lockfile, Span};

/// Writes the commands and the summary line.
pub fn render(report: &Report, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    let lock = Lockfile::parse(ctx.lockfile.as_deref().unwrap_or(""));
    for d in &report.degraded {
        let message = format!(
            "fact source {} degraded: {}",
            clean(&d.source),
            clean(&d.message)
        );
        command(
            out,
            "warning",
            &[("title", "cargo vendor-audit: fact source degraded")],
            &message,
        )?;
    }
    let mut shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .collect();
    shown.sort_by_key(|f| f.code == Code::MissingFacts);
    for f in shown {
        annotation(f, ctx, &lock, out)?;
    }
    summary(report, ctx, out)
}

fn annotation(f: &Finding, ctx: &Context, lock: &Lockfile, out: &mut dyn Write) -> io::Result<()> {
    let kind = if f.severity == Severity::Deny {
        "error"
    } else {
        "warning"
    };
    let mut props: Vec<(&str, String)> = Vec::new();
    match &f.package {
        Some(p) => {
            props.push(("file", "Cargo.lock".to_string()));
            match lock.find(&p.name, &p.version, p.source.as_deref()) {
                Some(span) => {
                    props.push(("line", span.line.to_string()));
                    props.push(("col", span.column.to_string()));
                    props.push(("endColumn", span.end_column.to_string()));
                }
                None => props.push(("line", Span::FIRST_LINE.line.to_string())),
            }
        }
        None => {
            let at = f.exception.as_ref().map(|x| &x.at);
            if let Some(PolicyPlace::File {
                path,
                relative: true,
                line,
            }) = at.map(|at| ctx.policy_place(at))
            {
                props.push(("file", path));
                props.push(("line", line.to_string()));
            }
        }
    }
    let subject = match (&f.package, &f.exception) {
        (Some(p), _) => format!(" {} {}", p.name, p.version),
        (None, Some(x)) => format!(" {}", x.crate_name),
        (None, None) => String::new(),
    };
    let entity = f
        .entity
        .as_deref()
        .map(|e| format!(" ({e})"))
        .unwrap_or_default();
    props.push((
        "title",
        clean(&format!("{}:{subject}{entity}", f.code.as_str())),
    ));
    let props: Vec<(&str, &str)> = props.iter().map(|(k, v)| (*k, v.as_str())).collect();
    command(out, kind, &props, &message(f))
}

/// The message: the finding's own, its evidence, the first path, the policy entries.
fn message(f: &Finding) -> String {
    let mut lines = vec![clean(&f.message)];
    for ev in &f.evidence {
        lines.push(format!(
            "evidence: {} ({} confidence, from {}; pattern at {})",
            ev.claim(clean),
            ev.confidence.as_str(),
            clean(&ev.provenance_text()),
            clean(&ev.pattern_at.to_string())
        ));
    }
    if let Some(e) = &f.entity_detail {
        lines.push(format!(
            "entity: {} ({}) at {}: {}",
            clean(&e.name),
            clean(&e.id),
            clean(&e.at.to_string()),
            clean(&e.reason)
        ));
    }
    if let Some(x) = &f.exception {
        lines.push(format!(
            "exception: {} at {}, expires {}: {}",
            clean(&x.crate_name),
            clean(&x.at.to_string()),
            clean(&x.expires),
            clean(&x.reason)
        ));
    }
    if let Some(first) = f.paths.first() {
        let more = match f.paths.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let steps: Vec<String> = first.iter().map(|s| clean(s)).collect();
        lines.push(format!("path: {}{more}", steps.join(" -> ")));
    }
    lines.join("\n")
}

fn summary(report: &Report, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(
        out,
        "cargo-vendor-audit: {}: {} denied, {} warning{}, {} info in {} audited packages ({} in the graph)",
        if report.fails(ctx.fail_on) {
            "fail"
        } else {
            "pass"
        },
        s.deny,
        s.warn,
        if s.warn == 1 { "" } else { "s" },
        s.info,
        s.audited,
        s.packages
    )
}

/// `::kind k=v,k=v::message`, one line.
fn command(
    out: &mut dyn Write,
    kind: &str,
    props: &[(&str, &str)],
    message: &str,
) -> io::Result<()> {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    let sep = if props.is_empty() { "" } else { " " };
    writeln!(
        out,
        "::{kind}{sep}{}::{}",
        props.join(","),
        escape_data(message)
    )
}

/// A command's message: `%`, CR and LF percent-encoded, as the runner decodes them.
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A property value: as [`escape_data`], and `:` and `,` too, which end a value.
pub fn escape_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_data(text).chars() {
        match c {
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_reads() {
        assert_eq!(escape_data("50% a\r\nb::c,d"), "50%25 a%0D%0Ab::c,d");
        assert_eq!(
            escape_property("50% a\r\nb::c,d"),
            "50%25 a%0D%0Ab%3A%3Ac%2Cd"
        );
        // `%` first: an already encoded sequence stays literal.
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_property("%3A"), "%253A");
    }

    /// What the runner gets back from an escaped value.
    fn decode(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('%') {
            out.push_str(&rest[..i]);
            let code = rest.get(i + 1..i + 3).expect("a complete escape");
            out.push(match code {
                "25" => '%',
                "0D" => '\r',
                "0A" => '\n',
                "3A" => ':',
                "2C" => ',',
                other => panic!("unknown escape %{other}"),
            });
            rest = &rest[i + 3..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn escapes_round_trip() {
        let pieces = [
            "%",
            "%25",
            "%0A",
            "\r",
            "\n",
            ":",
            "::",
            ",",
            "=",
            "a",
            "::error::",
            " ",
        ];
        let mut state: u32 = 12345;
        for _ in 0..2000 {
            let mut input = String::new();
            for _ in 0..(state % 10) {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                input.push_str(pieces[(state >> 16) as usize % pieces.len()]);
            }
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let data = escape_data(&input);
            let prop = escape_property(&input);
            assert!(!data.contains(['\r', '\n']), "{input:?}");
            assert!(!prop.contains(['\r', '\n', ':', ',']), "{input:?}");
            assert_eq!(decode(&data), input);
            assert_eq!(decode(&prop), input);
        }
    }

    #[test]
    fn one_line_per_command() {
        let mut buf = Vec::new();
        command(
            &mut buf,
            "error",
            &[("title", "x\n::error::y"), ("file", "a,b:c")],
            "line1\n::warning::injected\r\n%0A",
        )
        .unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "::error title=x%0A%3A%3Aerror%3A%3Ay,file=a%2Cb%3Ac::line1%0A::warning::injected%0D%0A%250A\n"
        );
    }
}
