//! Untrusted text (crate metadata, API answers, policy strings) made safe to show: a
//! leaf that the facts, policy and report stages all use.

/// Characters that untrusted text must not carry into an output as they are: control
/// characters (escape sequences, C1 controls), zero-width characters and the bidi
/// overrides and isolates that make text read differently from what it is.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Untrusted text (crate metadata) made safe for a terminal: control characters,
/// escape sequences included, become visible `\u{..}` escapes, and newlines spaces.
pub fn clean(text: &str) -> String {
    escape(text, true)
}

/// Untrusted text made safe for a terminal as [`clean`] does, keeping its line breaks:
/// for multi-line messages. Every other control character, tabs included, becomes a
/// visible `\u{..}` escape.
pub fn clean_lines(text: &str) -> String {
    escape(text, false)
}

/// The one loop of both: hidden characters as `\u{..}` escapes; line breaks and tabs
/// as spaces when `flatten`, else line breaks kept (and tabs escaped).
fn escape(text: &str, flatten: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if flatten => out.push(' '),
            '\n' => out.push('\n'),
            c if is_hidden(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}
