//! The syntax of a policy pattern: a leaf that the policy checks and the matcher both read.

/// How a pattern is matched: the literal, the literal prefix, or as a glob.
pub enum Shape<'a> {
    Exact(&'a str),
    Prefix(&'a str),
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
