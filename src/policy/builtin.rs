//! The policy files of `policies/`, compiled into the binary and named `builtin:NAME`.

/// Each builtin: its name (the file stem) and its text. Keep in sync with `policies/`;
/// a test fails when a file there is not listed here.
const BUILTINS: &[(&str, &str)] = &[
    ("example", include_str!("../../policies/example.toml")),
    ("us-dod", include_str!("../../policies/us-dod.toml")),
    ("us-federal", include_str!("../../policies/us-federal.toml")),
];

/// The text of the builtin policy `NAME` (as in `builtin:NAME`).
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The names of every builtin policy, sorted.
pub fn builtin_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = BUILTINS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names
}
