//! Rendering of policy problems, cargo/rustc style: `file:line:column`, the source line, a
//! caret under the offending text and a hint.

use std::fmt;
use std::ops::Range;

use super::{Diagnostic, Location, PolicyErrors};

/// A policy file's text as loaded, kept so that problems found after parsing (for example
/// while merging) can still quote the offending line.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    /// The file as the user named it, or `builtin:NAME`.
    pub name: String,
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: String, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count() + 1;
        (line + 1, column)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line - 1) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn location(&self, offset: usize) -> Location {
        let (line, column) = self.line_column(offset);
        Location {
            file: self.name.clone(),
            line,
            column,
        }
    }

    /// A problem at a byte span of this file. The caret covers the span, clipped to its
    /// first line.
    pub fn diagnostic(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        let location = self.location(span.start);
        let source_line = self.line_text(location.line).to_string();
        let rest = source_line
            .chars()
            .count()
            .saturating_sub(location.column - 1);
        let wanted = self
            .text
            .get(span.start..span.end.max(span.start).min(self.text.len()))
            .map(|s| s.lines().next().unwrap_or("").chars().count())
            .unwrap_or(0);
        Diagnostic {
            location,
            message: message.into(),
            source_line,
            span_len: wanted.min(rest).max(1),
            hint,
        }
    }
}

impl Diagnostic {
    /// A problem with a whole file (it cannot be read, for example): no line to quote.
    pub fn about_file(file: &str, message: impl Into<String>, hint: Option<String>) -> Diagnostic {
        Diagnostic {
            location: Location {
                file: file.to_string(),
                line: 0,
                column: 0,
            },
            message: message.into(),
            source_line: String::new(),
            span_len: 1,
            hint,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let loc = &self.location;
        if loc.line == 0 {
            writeln!(f, "  --> {}", loc.file)?;
            if let Some(hint) = &self.hint {
                writeln!(f, "   = help: {hint}")?;
            }
            return Ok(());
        }
        let number = loc.line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(f, "{pad}--> {}:{}:{}", loc.file, loc.line, loc.column)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{number} | {}", self.source_line)?;
        // Keep tabs under tabs so the caret lines up with the quoted text.
        let lead: String = self
            .source_line
            .chars()
            .take(loc.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{pad} | {lead}{}", "^".repeat(self.span_len.max(1)))?;
        if let Some(hint) = &self.hint {
            writeln!(f, "{pad} = help: {hint}")?;
        }
        Ok(())
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "error: could not load the policy: {n} problem{} found",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for PolicyErrors {}

/// Edit distance counting a swap of two neighbouring characters as one edit (optimal
/// string alignment), for "did you mean" hints: `hihg` is one edit from `high`.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The candidate closest to `word`, if it is a plausible typo of it.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let folded = word.to_ascii_lowercase().replace('_', "-");
    if let Some(c) = candidates.iter().find(|c| **c == folded) {
        return Some(c);
    }
    candidates
        .iter()
        .map(|c| (edit_distance(&folded, c), *c))
        .filter(|(d, c)| *d <= 1.max(folded.len().max(c.len()) / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let file = SourceFile::new(
            "policy.toml".into(),
            "schema = 1\n[[entity]]\nsevrity = \"deny\"\n".into(),
        );
        let d = file.diagnostic(
            22..29,
            "unknown key `sevrity` in [[entity]]",
            Some("did you mean `severity`?".into()),
        );
        assert_eq!(
            d.to_string(),
            "error: unknown key `sevrity` in [[entity]]\n \
             --> policy.toml:3:1\n  |\n3 | sevrity = \"deny\"\n  | ^^^^^^^\n  \
             = help: did you mean `severity`?\n"
        );
        let all = PolicyErrors(vec![d.clone(), d]).to_string();
        assert!(all.ends_with("error: could not load the policy: 2 problems found"));
    }

    #[test]
    fn whole_file_problems_have_no_snippet() {
        let d = Diagnostic::about_file("gone.toml", "cannot read", None);
        assert_eq!(d.to_string(), "error: cannot read\n  --> gone.toml\n");
    }

    #[test]
    fn columns_count_characters_and_carets_stay_on_one_line() {
        let file = SourceFile::new("p".into(), "a = \"é\" ; x\nb = [\n 1]\n".into());
        assert_eq!(file.line_column(10), (1, 10));
        let d = file.diagnostic(17..24, "m", None);
        assert_eq!((d.location.line, d.location.column, d.span_len), (2, 5, 1));
    }

    #[test]
    fn suggests_near_typos_and_kebab_case() {
        let keys = ["severity", "citations", "dependency-kinds"];
        assert_eq!(closest("sevrity", &keys), Some("severity"));
        assert_eq!(closest("dependency_kinds", &keys), Some("dependency-kinds"));
        assert_eq!(closest("colour", &keys), None);
        assert_eq!(closest("hihg", &["high", "medium", "low"]), Some("high"));
        assert_eq!(closest("zte", &["e"]), None);
        assert_eq!(edit_distance("ndaa-s1643", "ndaa-s1634"), 1);
    }
}
