//! The checks of policy values on their own: ids, crate names, hosts, registries, globs,
//! look-alike characters, each matcher kind's syntax, and hints for keys of drafts.

use super::{MatchValue, MatcherKind};
pub(super) fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(super) fn is_crate_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(super) fn is_host(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

pub(super) fn is_login(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A registry as `registries` and `allow-registries` take it.
pub(super) fn check_registry(s: &str) -> Result<(), String> {
    if s == "crates-io" {
        return Ok(());
    }
    let rest = s
        .strip_prefix("registry+")
        .or_else(|| s.strip_prefix("sparse+"));
    match rest {
        Some(url)
            if url
                .split_once("://")
                .is_some_and(|(scheme, after)| !scheme.is_empty() && !after.is_empty()) =>
        {
            Ok(())
        }
        _ => Err(
            "write `crates-io` or the index URL with its prefix, as cargo metadata shows it: \
             `sparse+https://registry.example.com/index/` or `registry+https://...`"
                .to_string(),
        ),
    }
}

pub(super) fn compile_glob(s: &str) -> Result<(), String> {
    // A literal, or a literal and `*`, is a valid glob: skip the parse (a generated
    // policy has tens of thousands of such names and URL prefixes).
    if !matches!(crate::pattern::shape(s), crate::pattern::Shape::Glob) {
        return Ok(());
    }
    globset::GlobBuilder::new(s)
        .case_insensitive(true)
        .build()
        .map(|_| ())
        .map_err(|e| format!("fix the glob: {}", e.kind()))
}

/// Characters a reader cannot see: controls, zero-width and joiner characters, bidi
/// controls, fillers and variation selectors.
pub(super) fn is_invisible(c: char) -> bool {
    crate::text::is_hidden(c)
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{2000}'..='\u{200a}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{ffa0}'
        )
}

/// `s` with every character outside printable ASCII written as `\u{XXXX}`, so that a
/// look-alike or invisible character shows in a message.
pub(crate) fn visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c.to_string()
            } else {
                format!("\\u{{{:04X}}}", c as u32)
            }
        })
        .collect()
}

/// Identifiers (orgs, hosts, domains, repository globs, logins, teams, registries) are
/// compared byte for byte after ASCII case folding: a Cyrillic `а` or a zero-width space in
/// one makes it look right and never match. `Err((what is wrong, what to do))`.
pub(super) fn check_identifier_chars(kind: &str, s: &str) -> Result<(), (String, String)> {
    let Some(c) = s.chars().find(|c| !c.is_ascii() || c.is_ascii_control()) else {
        return Ok(());
    };
    let ascii_letters = s.chars().any(|c| c.is_ascii_alphabetic());
    let what = if is_invisible(c) || c.is_ascii_control() {
        format!("holds an invisible character, U+{:04X}", c as u32)
    } else if c.is_alphabetic() && ascii_letters {
        format!(
            "mixes scripts: `{c}` (U+{:04X}) is not an ASCII letter, though it may look like one",
            c as u32
        )
    } else {
        format!("holds a non-ASCII character, `{c}` (U+{:04X})", c as u32)
    };
    Err((
        format!("`{kind}` value `{}` {what}", visible(s)),
        "policy identifiers (orgs, hosts, domains, repository globs, logins, teams) are ASCII and \
         never match a look-alike: retype the value by hand; write an internationalized host in \
         its ASCII `xn--` form and a non-ASCII path character percent-encoded"
            .to_string(),
    ))
}

/// Checks one matcher value; `Err((what is wrong, what to do))`.
pub(super) fn check_matcher(kind: MatcherKind, value: &MatchValue) -> Result<(), (String, String)> {
    let s = match (kind, value) {
        (MatcherKind::CratesIoUsers, MatchValue::Id(_)) => return Ok(()),
        (MatcherKind::CratesIoUsers, MatchValue::Str(_)) => {
            return Err((
                "`crates-io-users` takes numeric crates.io user ids, found a string".into(),
                "write the id as a bare integer, e.g. `crates-io-users = [12345]`; \
                 use `crates-io-logins` for logins"
                    .into(),
            ));
        }
        (_, MatchValue::Id(_)) => {
            return Err((
                format!("`{kind}` takes strings, found an integer"),
                "write the value in quotes".into(),
            ));
        }
        (_, MatchValue::Str(s)) => s.as_str(),
    };
    let bad = |what: &str, hint: &str| Err((format!("{what}: `{s}`"), hint.to_string()));
    if s.trim().is_empty() {
        return bad(&format!("empty `{kind}` value"), "remove it or fill it in");
    }
    match kind {
        MatcherKind::CopyrightHolders | MatcherKind::AuthorNames => {
            // Names may be written in any script, but not with characters no one sees.
            if let Some(c) = s.chars().find(|&c| is_invisible(c)) {
                return Err((
                    format!(
                        "`{kind}` value `{}` holds an invisible character, U+{:04X}",
                        visible(s),
                        c as u32
                    ),
                    "retype the name without it: an invisible character makes the value look right and never match".to_string(),
                ));
            }
        }
        MatcherKind::Crates => {}
        _ => check_identifier_chars(kind.key(), s)?,
    }
    match kind {
        MatcherKind::CratesIoUsers => Ok(()),
        MatcherKind::CratesIoLogins => {
            if is_login(s) {
                Ok(())
            } else {
                bad(
                    "not a crates.io login",
                    "write the login as crates.io shows it (letters, digits, `-`, `_`), e.g. `octocat`",
                )
            }
        }
        MatcherKind::CratesIoTeams => {
            let parts: Vec<&str> = s.split(':').collect();
            let ok = parts.len() == 3
                && parts[0] == "github"
                && is_login(parts[1])
                && !parts[2].is_empty()
                && parts[2]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*');
            if ok {
                Ok(())
            } else {
                bad(
                    "not a crates.io team",
                    "write `github:ORG:TEAM`, where TEAM may be `*` for every team of ORG, \
                     e.g. `github:KasperskyLab:*`",
                )
            }
        }
        MatcherKind::Orgs => {
            if s.contains("://") {
                return bad(
                    "an org is written without a scheme",
                    "write `host/org`, e.g. `github.com/KasperskyLab` (no `https://`)",
                );
            }
            let segments: Vec<&str> = s.split('/').collect();
            let ok = segments.len() >= 2
                && is_host(segments[0])
                && segments[0].contains('.')
                && segments[1..].iter().all(|seg| {
                    !seg.is_empty() && !seg.contains('*') && !seg.chars().any(char::is_whitespace)
                });
            if ok {
                Ok(())
            } else {
                bad(
                    "not an org",
                    "write `host/org` or `host/group/subgroup`, e.g. `github.com/KasperskyLab` \
                     or `gitee.com/openharmony`, with no empty segment, trailing `/` or glob",
                )
            }
        }
        MatcherKind::Hosts => {
            if is_host(s) {
                Ok(())
            } else {
                bad(
                    "not a bare host",
                    "write only the host name, e.g. `git.example.com` (no scheme, path or port); \
                     it also matches every subdomain",
                )
            }
        }
        MatcherKind::EmailDomains => {
            if s.contains('@') {
                bad(
                    "an email domain is written without `@`",
                    "write the domain only, e.g. `kaspersky.com`; it also matches every subdomain",
                )
            } else if is_host(s) {
                Ok(())
            } else {
                bad(
                    "not a domain",
                    "write the domain only, e.g. `kaspersky.com`",
                )
            }
        }
        MatcherKind::Registries => check_registry(s).or_else(|hint| bad("not a registry", &hint)),
        MatcherKind::Repositories => {
            if !s.contains("://") {
                return bad(
                    "a repository glob is a URL",
                    "write a URL glob with its scheme, e.g. `https://gitee.com/openharmony/*` \
                     (`*` matches any run of characters, `/` included)",
                );
            }
            compile_glob(s).or_else(|hint| bad("invalid glob", &hint))
        }
        MatcherKind::CopyrightHolders | MatcherKind::AuthorNames => Ok(()),
        MatcherKind::Crates => {
            if s.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*' | b'?' | b'[' | b']')
            }) {
                compile_glob(s).or_else(|hint| bad("invalid glob", &hint))
            } else {
                bad(
                    "not a crate-name glob",
                    "write a crate name with `*` where any run of characters may stand, e.g. `kaspersky-*`",
                )
            }
        }
    }
}

/// Hints for keys of the old draft style, which used per-forge keys: the matcher that
/// replaces each, with an example value.
pub(super) fn draft_key_hint(key: &str) -> Option<String> {
    const HOST: &str = "orgs are written with their host: ";
    let (lead, kind, example) = match key {
        "github_orgs" | "github-orgs" => (HOST, MatcherKind::Orgs, "\"github.com/NAME\""),
        "gitee_orgs" | "gitee-orgs" => (HOST, MatcherKind::Orgs, "\"gitee.com/NAME\""),
        "gitlab_groups" | "gitlab-groups" => (
            "groups are written with their host: ",
            MatcherKind::Orgs,
            "\"gitlab.com/GROUP\"",
        ),
        "gitcode_orgs" | "gitcode-orgs" => (HOST, MatcherKind::Orgs, "\"gitcode.com/NAME\""),
        "homepage_domains" | "homepage-domains" => ("use ", MatcherKind::Hosts, "\"example.com\""),
        "repository_globs" | "repository-globs" => {
            ("use ", MatcherKind::Repositories, "\"https://host/org/*\"")
        }
        "crate_name_globs" | "crate-name-globs" => ("use ", MatcherKind::Crates, "\"name-*\""),
        "crates_io_user_ids" | "crates-io-user-ids" => {
            ("use ", MatcherKind::CratesIoUsers, "12345")
        }
        _ => return None,
    };
    Some(format!("{lead}`{} = [{example}]`", kind.key()))
}

#[cfg(test)]
mod tests {
    use super::compile_glob;

    #[test]
    fn plain_text_is_a_glob_and_bad_syntax_is_not() {
        for ok in [
            "vendor",
            "vendor-*",
            "https://gitee.com/org/*",
            "",
            "*",
            "a*b",
            "[ab]c",
        ] {
            assert!(compile_glob(ok).is_ok(), "{ok}");
        }
        for bad in ["a[", "{a,b", "x\\", "a[z-a]*"] {
            assert!(compile_glob(bad).is_err(), "{bad}");
        }
    }
}
