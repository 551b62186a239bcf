//! The JSON report (book: docs/src/output-formats.md, "json") and the inert pretty
//! printer every JSON output goes through: what [`is_hidden`] finds is escaped.

use std::io::Write;

use serde::Serialize;

use super::{Report, Summary, Tool, is_hidden};
use crate::facts::Degraded;
use crate::policy::PolicySource;

impl Report {
    /// The JSON form (book: docs/src/output-formats.md, "json"), one object and a newline.
    ///
    /// What [`write_inert_json`] of the whole report gives, byte for byte, with the
    /// findings (nearly all of a big report) rendered on every core, a batch at a time.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        /// The fields before `findings`, in the order of [`Report`].
        #[derive(Serialize)]
        struct Head<'a> {
            schema: u32,
            tool: &'a Tool,
            policies: &'a [PolicySource],
            today: &'a str,
            summary: &'a Summary,
            degraded: &'a [Degraded],
        }
        /// Findings rendered per unit of work, and per batch written out.
        const CHUNK: usize = 32;
        const BATCH: usize = 64 * CHUNK;

        let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
        let head = Head {
            schema: self.schema,
            tool: &self.tool,
            policies: &self.policies,
            today: &self.today,
            summary: &self.summary,
            degraded: &self.degraded,
        };
        let mut text = Vec::new();
        serialize_inert(&mut text, &head, 0)?;
        // `{ ... "degraded": [...]\n}`: continue the object where its `}` was.
        text.truncate(text.len() - "\n}".len());
        w.write_all(&text)?;
        w.write_all(b",\n  \"findings\": [")?;
        let mut written = 0;
        for batch in self.findings.chunks(BATCH) {
            let parts = crate::parallel::map_chunks(batch, CHUNK, |chunk| {
                let mut text = Vec::with_capacity(chunk.len() * 2048);
                for finding in chunk {
                    // As the pretty formatter begins a value of an array at depth 2.
                    text.extend_from_slice(b",\n    ");
                    serialize_inert(&mut text, finding, 2)?;
                }
                Ok::<_, std::io::Error>(text)
            });
            for part in parts {
                let part = part?;
                // The first value of the array begins with a newline only.
                let skip = usize::from(written == 0 && !part.is_empty());
                w.write_all(&part[skip..])?;
                written += part.len();
            }
        }
        if self.findings.is_empty() {
            w.write_all(b"]")?;
        } else {
            w.write_all(b"\n  ]")?;
        }
        writeln!(w, ",\n  \"default_policy\": {}\n}}", self.default_policy)?;
        w.flush()
    }
}

/// Pretty JSON in which every character that [`is_hidden`] finds (C1 controls, DEL, bidi
/// overrides, zero-width characters; serde_json escapes only C0 controls) is written as a
/// `\uXXXX` escape: the same data for a JSON reader, inert on a terminal.
///
/// Buffered here: serde_json writes every token on its own.
pub fn write_inert_json<T: Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serialize_inert(&mut buffered, value, 0)?;
    std::io::Write::flush(&mut buffered)
}

/// [`write_inert_json`] of a value that sits `depth` levels deep in a document.
fn serialize_inert<W: std::io::Write, T: Serialize + ?Sized>(
    out: W,
    value: &T,
    depth: usize,
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        out,
        InertFormatter {
            depth,
            has_value: false,
        },
    );
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// serde_json's `PrettyFormatter` (two spaces a level), which can start at a depth, and
/// which escapes what [`is_hidden`] finds.
struct InertFormatter {
    depth: usize,
    has_value: bool,
}

impl InertFormatter {
    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(c)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }
}

impl serde_json::ser::Formatter for InertFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // serde_json has escaped C0 controls already; only DEL and non-ASCII remain.
        if fragment.bytes().all(|b| b < 0x7f) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_hidden(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Degraded;
    use crate::policy::PolicySource;
    use crate::report::{Code, Finding, PackageRef, Severity, Summary, Tool};

    #[test]
    fn inert_json_escapes_what_serde_json_leaves_raw() {
        let text = "a\u{1b}[2J\u{9b}31m\u{7f}\u{202e}\u{feff}\u{1f600}é";
        let mut out = Vec::new();
        write_inert_json(&mut out, &serde_json::json!({ "k": text })).unwrap();
        let json = String::from_utf8(out).unwrap();
        assert!(!json.chars().any(|c| c != '\n' && is_hidden(c)), "{json}");
        assert!(json.contains(r"\u009b31m\u007f\u202e\ufeff"), "{json}");
        // The same data for a JSON reader; printable characters stay as they are.
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["k"], text);
        assert!(json.contains("\u{1f600}é"), "{json}");
    }

    fn finding(i: usize) -> Finding {
        Finding {
            code: Code::MissingFacts,
            severity: Severity::Warn,
            entity: i.is_multiple_of(3).then(|| "acme".to_string()),
            package: Some(PackageRef {
                name: format!("crate-{i}\u{202e}"),
                version: "1.0.0".into(),
                id: format!("registry+https://x#crate-{i}@1.0.0"),
                source: None,
            }),
            kinds: vec!["normal".into()],
            evidence: Vec::new(),
            paths: vec![vec!["app@0.1.0".into(), format!("crate-{i}@1.0.0")]; i % 3],
            exception: None,
            message: format!("message {i}\u{1b}[2J"),
            entity_detail: None,
            path_kinds: vec![vec![None, Some("normal".into())]; i % 3],
        }
    }

    /// Where nothing needs escaping, the output is serde_json's own pretty printing.
    #[test]
    fn inert_json_is_serde_json_pretty() {
        let value = serde_json::json!({
            "a": [], "b": {}, "c": [1, [2, []], {"d": null, "e": [{}]}],
            "f": "text", "g": {"h": {"i": [true, false]}}
        });
        let mut out = Vec::new();
        write_inert_json(&mut out, &value).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    /// The batched, multi-threaded writer gives what serializing the whole report gives.
    #[test]
    fn write_json_is_the_report_serialized() {
        for n in [0, 1, 2, 127, 128, 129, 9000] {
            let report = Report {
                schema: 1,
                tool: Tool {
                    name: "cargo-vendor-audit".into(),
                    version: "0.1.0".into(),
                },
                policies: vec![PolicySource {
                    id: "p".into(),
                    source: "builtin:p".into(),
                    reviewed: None,
                }],
                today: "2026-11-27".into(),
                summary: Summary::default(),
                degraded: vec![Degraded {
                    source: "api".into(),
                    message: "down".into(),
                }],
                findings: (0..n).map(finding).collect(),
                default_policy: n.is_multiple_of(2),
            };
            let mut expected = Vec::new();
            write_inert_json(&mut expected, &report).unwrap();
            expected.push(b'\n');
            let mut got = Vec::new();
            report.write_json(&mut got).unwrap();
            assert!(
                got == expected,
                "{n} findings:\n{}",
                String::from_utf8_lossy(&got)
            );
        }
    }
}
