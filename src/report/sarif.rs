//! The SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers.
//!
//! Takes a [`Report`] and a [`Context`]; gives one run with one rule per finding code and
//! one result per `deny` or `warn` finding (`info` findings, waived ones included, are
//! left out: code scanning would show them as open alerts). A result is located at the
//! package's `[[package]]` entry in Cargo.lock, with the policy entries that fired as
//! related locations, and carries a fingerprint that does not move when lines or dates do.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Code, Context, Finding, PolicyLocation, PolicyPlace, Report, Severity};
use crate::input::lockfile::{Lockfile, Span};

/// `$schema` of the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// `tool.driver.informationUri`.
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");
/// The `uriBaseId` every workspace-relative path is given against.
pub const SRCROOT: &str = "%SRCROOT%";
/// The key of the one `partialFingerprints` entry; bump `/v1` if what it hashes changes.
pub const FINGERPRINT_KEY: &str = "vendorAuditFinding/v1";

/// Writes the SARIF log, pretty-printed, and a newline.
pub fn render(report: &Report, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    super::write_inert_json(&mut *out, &to_value(report, ctx))?;
    writeln!(out)
}

/// The SARIF log as a JSON value.
pub fn to_value(report: &Report, ctx: &Context) -> Value {
    let lock = Lockfile::parse(ctx.lockfile.as_deref().unwrap_or(""));
    let results: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| result(f, ctx, &lock))
        .collect();
    let notifications: Vec<Value> = report
        .degraded
        .iter()
        .map(|d| {
            json!({
                "level": "warning",
                "message": {"text": format!(
                    "fact source `{}` degraded: {}",
                    plain(&d.source),
                    plain(&d.message)
                )},
            })
        })
        .chain(
            report
                .stale_policies()
                .into_iter()
                .map(|w| json!({"level": "warning", "message": {"text": plain(&w)}})),
        )
        .collect();
    let mut invocation = json!({"executionSuccessful": true});
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    let policies: Vec<Value> = report
        .policies
        .iter()
        .map(|p| match p.reviewed {
            Some(d) => json!({"id": p.id, "source": p.source, "reviewed": d}),
            None => json!({"id": p.id, "source": p.source}),
        })
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": INFORMATION_URI,
                "rules": Code::ALL.iter().map(|&c| rule(c)).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": {SRCROOT: srcroot(ctx)},
            "invocations": [invocation],
            "columnKind": "utf16CodeUnits",
            "results": results,
            "properties": {
                "today": report.today,
                "policies": policies,
                "defaultPolicy": report.default_policy,
                "summary": {
                    "packages": report.summary.packages,
                    "audited": report.summary.audited,
                    "deny": report.summary.deny,
                    "warn": report.summary.warn,
                    "info": report.summary.info,
                },
            },
        }],
    })
}

/// `%SRCROOT%`: the workspace root as a `file:` URI when it is absolute.
fn srcroot(ctx: &Context) -> Value {
    let description = json!({"text": "the root of the Cargo workspace"});
    if ctx.workspace_root.is_absolute() {
        let path = super::slash_path(&ctx.workspace_root);
        let path = path.trim_end_matches('/');
        json!({"uri": format!("{}/", file_uri(path)), "description": description})
    } else {
        json!({"description": description})
    }
}

fn rule(code: Code) -> Value {
    json!({
        "id": code.as_str(),
        "name": rule_name(code),
        "shortDescription": {"text": code.description()},
        "fullDescription": {"text": code.explanation()},
        "help": {"text": code.help()},
        "helpUri": format!("{INFORMATION_URI}#finding-codes"),
        "defaultConfiguration": {"level": default_level(code)},
        "properties": {"tags": ["supply-chain"]},
    })
}

/// `restricted-entity` -> `RestrictedEntity`.
fn rule_name(code: Code) -> String {
    code.as_str()
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The level a code has with the default policy settings; each result states its own.
fn default_level(code: Code) -> &'static str {
    match code {
        Code::RestrictedEntity | Code::ExpiredException => "error",
        Code::UpcomingRestriction
        | Code::UnapprovedRegistry
        | Code::UnapprovedGit
        | Code::MissingFacts
        | Code::UnusedException => "warning",
        Code::NotAffiliated => "note",
    }
}

fn result(f: &Finding, ctx: &Context, lock: &Lockfile) -> Value {
    let related = related_locations(f, ctx);
    let mut r = json!({
        "ruleId": f.code.as_str(),
        "ruleIndex": Code::ALL.iter().position(|&c| c == f.code).unwrap_or(0),
        "level": if f.severity == Severity::Deny { "error" } else { "warning" },
        "message": {"text": message(f, &related)},
        "locations": [primary_location(f, ctx, lock)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f)},
        "properties": {
            "severity": f.severity.as_str(),
            "entity": f.entity,
            "kinds": f.kinds,
            "paths": f.paths,
        },
    });
    if !related.is_empty() {
        r["relatedLocations"] = Value::Array(related.into_iter().map(|l| l.value).collect());
    }
    r
}

/// The package's entry in Cargo.lock; for a finding about no package (`unused-exception`),
/// the exception in the policy file. Line 1 of Cargo.lock when neither is found, so that
/// every result has a file (code scanning rejects results without one).
fn primary_location(f: &Finding, ctx: &Context, lock: &Lockfile) -> Value {
    let lock_file = |span: Span, exact: bool| {
        let region = if exact {
            json!({"startLine": span.line, "startColumn": span.column, "endColumn": span.end_column})
        } else {
            json!({"startLine": span.line})
        };
        json!({
            "artifactLocation": {"uri": "Cargo.lock", "uriBaseId": SRCROOT},
            "region": region,
        })
    };
    if let Some(p) = &f.package {
        let physical = match lock.find(&p.name, &p.version, p.source.as_deref()) {
            Some(span) => lock_file(span, true),
            None => lock_file(Span::FIRST_LINE, false),
        };
        return json!({
            "physicalLocation": physical,
            "logicalLocations": [{
                "name": p.name,
                "fullyQualifiedName": format!("{}@{}", p.name, p.version),
                "kind": "package",
            }],
        });
    }
    let at = f
        .exception
        .as_ref()
        .map(|x| &x.at)
        .or(f.entity_detail.as_ref().map(|e| &e.at));
    let place = at.map(|at| ctx.policy_place(at));
    match &place {
        Some(PolicyPlace::File {
            path,
            relative,
            line,
        }) => json!({"physicalLocation": policy_file(path, *relative, *line)}),
        Some(PolicyPlace::Builtin { name, line }) => json!({
            "physicalLocation": lock_file(Span::FIRST_LINE, false),
            "logicalLocations": [builtin_logical(name, *line)],
        }),
        Some(PolicyPlace::Other(_)) | None => {
            json!({"physicalLocation": lock_file(Span::FIRST_LINE, false)})
        }
    }
}

fn policy_file(path: &str, relative: bool, line: usize) -> Value {
    let artifact = if relative {
        json!({"uri": encode_path(path), "uriBaseId": SRCROOT})
    } else {
        json!({"uri": file_uri(path)})
    };
    json!({"artifactLocation": artifact, "region": {"startLine": line}})
}

fn builtin_logical(name: &str, line: usize) -> Value {
    json!({
        "name": format!("builtin:{name}"),
        "fullyQualifiedName": format!("builtin:{name}:{line}"),
        "kind": "policy",
    })
}

/// One related location and the short name the message links it by.
struct Related {
    id: usize,
    label: String,
    value: Value,
}

/// The policy entries that fired: the entity, each pattern, the exception. Deduplicated
/// (SARIF wants them unique), ids from 1.
fn related_locations(f: &Finding, ctx: &Context) -> Vec<Related> {
    let mut wanted: Vec<(&PolicyLocation, String, String)> = Vec::new(); // (at, label, text)
    if let Some(e) = &f.entity_detail {
        wanted.push((
            &e.at,
            format!("entity {}", e.id),
            format!("entity `{}` ({}): {}", e.id, e.name, e.reason),
        ));
    }
    for ev in &f.evidence {
        wanted.push((
            &ev.pattern_at,
            format!("{} pattern", ev.matcher),
            format!("pattern `{}` of `{}`", ev.pattern, ev.matcher),
        ));
    }
    if let Some(x) = &f.exception {
        wanted.push((
            &x.at,
            "exception".to_string(),
            format!(
                "exception for `{}`{} (expires {}): {}",
                x.crate_name,
                x.version
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default(),
                x.expires,
                x.reason
            ),
        ));
    }
    let mut out: Vec<Related> = Vec::new();
    let mut seen: Vec<(&PolicyLocation, String)> = Vec::new();
    for (at, label, text) in wanted {
        if seen.iter().any(|(a, t)| *a == at && *t == text) {
            continue;
        }
        seen.push((at, text.clone()));
        let id = out.len() + 1;
        let mut value = json!({"id": id});
        match ctx.policy_place(at) {
            PolicyPlace::File {
                path,
                relative,
                line,
            } => {
                value["physicalLocation"] = policy_file(&path, relative, line);
                value["message"] = json!({"text": plain(&text)});
            }
            PolicyPlace::Builtin { name, line } => {
                value["logicalLocations"] = json!([builtin_logical(name, line)]);
                value["message"] = json!({"text": format!(
                    "{} (line {line} of the builtin policy `{name}`, compiled into cargo-vendor-audit)",
                    plain(&text)
                )});
            }
            PolicyPlace::Other(place) => {
                value["message"] =
                    json!({"text": format!("{} (in `{}`)", plain(&text), plain(&place))});
            }
        }
        out.push(Related { id, label, value });
    }
    out
}

/// The result's message: the finding's message, every piece of evidence, the first
/// dependency path, and links to the related policy entries.
fn message(f: &Finding, related: &[Related]) -> String {
    let mut text = plain(&f.message);
    if !text.ends_with('.') {
        text.push('.');
    }
    if !f.evidence.is_empty() {
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|ev| {
                format!(
                    "{} ({} confidence, from {})",
                    ev.claim(plain),
                    ev.confidence.as_str(),
                    plain(&ev.provenance_text())
                )
            })
            .collect();
        text.push_str(&format!(" Evidence: {}.", evidence.join("; ")));
    }
    if let Some(first) = f.paths.first() {
        let more = match f.paths.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let path: Vec<String> = first.iter().map(|s| plain(s)).collect();
        text.push_str(&format!(" Dependency path: {}{more}.", path.join(" -> ")));
    }
    if !related.is_empty() {
        let links: Vec<String> = related
            .iter()
            .map(|r| format!("[{}]({})", plain(&r.label), r.id))
            .collect();
        text.push_str(&format!(" Policy: {}.", links.join(", ")));
    }
    text
}

/// Untrusted text for a SARIF plain-text message: newlines and tabs become spaces, other
/// control and invisible direction characters a visible `<U+001B>`, and `\`, `[` and `]`
/// are escaped so that the text cannot form an embedded link (SARIF 3.11.6).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' | '\r' => out.push(' '),
            '\\' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c if super::is_hidden(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A stable identity for the finding across runs: code, package name and version, entity
/// and, for findings about an exception, the exception's crate, version and entity. No
/// line numbers, dates, messages or evidence, which change without the finding changing.
pub fn fingerprint(f: &Finding) -> String {
    let mut parts: Vec<&str> = vec![f.code.as_str()];
    match &f.package {
        Some(p) => parts.extend([p.name.as_str(), p.version.as_str()]),
        None => parts.extend(["", ""]),
    }
    parts.push(f.entity.as_deref().unwrap_or(""));
    if let (Code::ExpiredException | Code::UnusedException, Some(x)) = (f.code, &f.exception) {
        parts.push(&x.crate_name);
        parts.push(x.version.as_deref().unwrap_or(""));
        parts.push(x.entity.as_deref().unwrap_or(""));
    }
    format!("{:032x}", fnv1a_128(parts.join("\0").as_bytes()))
}

/// FNV-1a, 128 bits: fixed by its definition, so fingerprints do not change with the
/// compiler or a dependency (std's hasher makes no such promise).
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013b;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u128::from(b)).wrapping_mul(PRIME))
}

/// A path as a URI reference: every byte but unreserved characters and `/` percent-encoded
/// (`:` too, so a relative path is never read as a scheme).
fn encode_path(path: &str) -> String {
    encode(path, false)
}

/// An absolute path (`/x/y` or `C:/x`) as a `file:` URI.
fn file_uri(path: &str) -> String {
    let encoded = encode(path, true);
    if encoded.starts_with('/') {
        format!("file://{encoded}")
    } else {
        format!("file:///{encoded}")
    }
}

fn encode(path: &str, keep_colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
            || (keep_colon && b == b':')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_values() {
        // Reference values of FNV-1a 128.
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
    }

    #[test]
    fn plain_cannot_link() {
        assert_eq!(plain("[x](1)"), "\\[x\\](1)");
        assert_eq!(plain("a\\]"), "a\\\\\\]");
        assert_eq!(plain("a\nb\u{1b}\u{202e}"), "a b<U+001B><U+202E>");
    }

    #[test]
    fn uris() {
        assert_eq!(
            encode_path("policy dir/a:b.toml"),
            "policy%20dir/a%3Ab.toml"
        );
        assert_eq!(file_uri("/etc/x y.toml"), "file:///etc/x%20y.toml");
        assert_eq!(file_uri("C:/x/ü.toml"), "file:///C:/x/%C3%BC.toml");
    }

    #[test]
    fn rule_names() {
        assert_eq!(rule_name(Code::RestrictedEntity), "RestrictedEntity");
        assert_eq!(rule_name(Code::NotAffiliated), "NotAffiliated");
    }
}
