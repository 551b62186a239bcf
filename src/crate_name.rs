//! Crate names as crates.io compares them.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A crate name, as written, that compares as crates.io compares names: ASCII case
/// ignored, `-` and `_` equal (`Foo_Bar` and `foo-bar` are one crate; book:
/// docs/src/policy.md, "Matchers").
///
/// `CrateName<&str>` borrows the text, so comparing names needs no allocation; names of
/// either kind compare with each other. `Eq`, `Hash` and `Ord` all go by the folded form
/// ([`CrateName::normalized`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct CrateName<S = String>(pub S);

/// One byte of a name, folded: ASCII lowercase, `_` as `-`.
fn fold(b: u8) -> u8 {
    if b == b'_' {
        b'-'
    } else {
        b.to_ascii_lowercase()
    }
}

impl<S: AsRef<str>> CrateName<S> {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The bytes of the folded form, without building it.
    fn folded(&self) -> impl Iterator<Item = u8> + '_ {
        self.as_str().bytes().map(fold)
    }

    /// crates.io's form of the name: lowercase, `_` written as `-`. The key under which
    /// facts are stored and looked up (facts lock, answer cache, store, dump).
    pub fn normalized(&self) -> String {
        self.as_str()
            .chars()
            .map(|c| match c {
                '_' => '-',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    }

    /// The form `crates` patterns and package names are matched in: lowercase, `-`
    /// written as `_`. A pattern is folded as a whole, so a class such as `[a-z]` in it
    /// is read after folding.
    pub fn pattern_form(&self) -> String {
        self.as_str()
            .chars()
            .map(|c| match c {
                '-' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    }

    /// Whether the folded form of `part` occurs in this name's folded form.
    pub fn contains<T: AsRef<str>>(&self, part: &CrateName<T>) -> bool {
        self.normalized().contains(&part.normalized())
    }
}

impl<A: AsRef<str>, B: AsRef<str>> PartialEq<CrateName<B>> for CrateName<A> {
    fn eq(&self, other: &CrateName<B>) -> bool {
        self.as_str().len() == other.as_str().len() && self.folded().eq(other.folded())
    }
}

impl<S: AsRef<str>> Eq for CrateName<S> {}

impl<S: AsRef<str>> Hash for CrateName<S> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.folded() {
            state.write_u8(b);
        }
        // As `str` does: no name's hash input is a prefix of another's.
        state.write_u8(0xff);
    }
}

impl<S: AsRef<str>> PartialOrd for CrateName<S> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<S: AsRef<str>> Ord for CrateName<S> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.folded().cmp(other.folded())
    }
}

impl<S: AsRef<str>> fmt::Display for CrateName<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_compare_folded() {
        assert_eq!(
            CrateName("Foo_Bar-baz"),
            CrateName("foo-bar_BAZ".to_string())
        );
        assert_ne!(CrateName("foo-bar"), CrateName("foo-bars"));
        assert_ne!(CrateName("foo.bar"), CrateName("foo-bar"));
        assert_eq!(CrateName("Foo_Bar-baz").normalized(), "foo-bar-baz");
        assert_eq!(CrateName("Foo_Bar-baz").pattern_form(), "foo_bar_baz");
        assert!(CrateName("x-Hik_rs").contains(&CrateName("hik-")));
        let set: HashSet<CrateName> = [CrateName("Serde_Json".to_string())].into();
        assert!(set.contains(&CrateName("serde-json".to_string())));
        assert!(CrateName("a-b") < CrateName("a_c"));
    }
}
