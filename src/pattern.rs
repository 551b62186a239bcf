//! The syntax of a policy pattern: a leaf that the policy checks and the matcher both read.

/// How a pattern is matched: the literal, the literal prefix, or as a glob.
pub enum Shape<'a> {
    /// No glob characters: compared whole, e.g. `serde`.
    Exact(&'a str),
    /// Ends in its only `*`: compared as a prefix, here without the `*`.
    Prefix(&'a str),
    /// Anything else: matched as a glob.
    Glob,
}

/// The shape of `pattern`: a glob only when it needs one.
pub fn shape(pattern: &str) -> Shape<'_> {
    let special = |c: char| matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\');
    if !pattern.is_ascii() {
        return Shape::Glob;
    }
    match pattern.strip_suffix('*') {
        Some(prefix) if !prefix.contains(special) => Shape::Prefix(prefix),
        _ if !pattern.contains(special) => Shape::Exact(pattern),
        _ => Shape::Glob,
    }
}
