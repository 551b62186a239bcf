//! URL normalization before any comparison (book: docs/src/policy.md, "Matchers").

/// A URL after normalization: drop a leading `git+`, the query and fragment, a trailing
/// `/` and a trailing `.git`; lowercase scheme and host; drop `www.` from the host.
///
/// A URL written without a scheme (`github.com/org/repo`) is read as `https://`, and an
/// scp-like git address (`git@github.com:org/repo.git`) as `ssh://github.com/org/repo`,
/// so that their host and path can be compared too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NormalizedUrl {
    /// The whole normalized URL.
    pub text: String,
    /// Lowercased host without `www.`, user info or port; `None` when there is none.
    pub host: Option<String>,
    /// The path after the host, without leading or trailing `/`.
    pub path: String,
}

impl NormalizedUrl {
    /// The path's segments (empty segments skipped).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|s| !s.is_empty())
    }
}

/// Normalizes `raw`; never fails (a string that is no URL keeps its trimmed text, no host).
pub fn normalize(raw: &str) -> NormalizedUrl {
    let mut s = raw.trim();
    s = s.strip_prefix("git+").unwrap_or(s);
    if let Some(i) = s.find(['?', '#']) {
        s = &s[..i];
    }
    let (scheme, rest) = match s.find("://") {
        Some(i) => (s[..i].to_ascii_lowercase(), &s[i + 3..]),
        None => match scp_like(s) {
            Some((host, path)) => {
                return finish("ssh".to_string(), host, path);
            }
            None if looks_like_host_path(s) => ("https".to_string(), s),
            None => {
                let text = s.trim_end_matches('/').to_string();
                return NormalizedUrl {
                    text,
                    host: None,
                    path: String::new(),
                };
            }
        },
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    finish(scheme, authority, path)
}

fn finish(scheme: String, authority: &str, path: &str) -> NormalizedUrl {
    // user info is dropped from the host; a port stays in the text but not in `host`.
    let hostport = authority
        .rsplit('@')
        .next()
        .unwrap_or(authority)
        .to_ascii_lowercase();
    let hostport = hostport
        .strip_prefix("www.")
        .unwrap_or(&hostport)
        .to_string();
    let host = match hostport.rfind(':') {
        Some(i) if !hostport.ends_with(']') => hostport[..i].to_string(),
        _ => hostport.clone(),
    };
    let mut path = path.trim_matches('/');
    loop {
        let before = path;
        path = path.trim_end_matches('/');
        path = path.strip_suffix(".git").unwrap_or(path);
        if path == before {
            break;
        }
    }
    let text = if path.is_empty() {
        format!("{scheme}://{hostport}")
    } else {
        format!("{scheme}://{hostport}/{path}")
    };
    let host = (!host.is_empty()).then_some(host);
    NormalizedUrl {
        text,
        host,
        path: path.to_string(),
    }
}

/// `user@host:path`, the scp-like form git accepts.
fn scp_like(s: &str) -> Option<(&str, &str)> {
    let (user_host, path) = s.split_once(':')?;
    let (_, host) = user_host.split_once('@')?;
    if host.is_empty() || host.contains('/') || path.starts_with("//") {
        return None;
    }
    Some((host, path))
}

/// `github.com/org/repo`: a first segment with a dot and no spaces.
fn looks_like_host_path(s: &str) -> bool {
    let first = s.split('/').next().unwrap_or("");
    first.contains('.') && !first.contains(' ') && !first.contains('@') && s.contains('/')
}

/// Whether `host` is `domain` or a subdomain of it (both already lowercased).
pub fn host_within(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_rules() {
        let n = normalize("git+https://WWW.GitHub.com/KasperskyLab/foo.git/?branch=main#abc");
        assert_eq!(n.text, "https://github.com/KasperskyLab/foo");
        assert_eq!(n.host.as_deref(), Some("github.com"));
        assert_eq!(n.segments().collect::<Vec<_>>(), ["KasperskyLab", "foo"]);
        assert_eq!(
            normalize("HTTPS://gitee.com/openharmony/").text,
            "https://gitee.com/openharmony"
        );
    }

    #[test]
    fn other_forms() {
        let n = normalize("git@github.com:org/repo.git");
        assert_eq!(n.text, "ssh://github.com/org/repo");
        assert_eq!(n.host.as_deref(), Some("github.com"));
        let n = normalize("github.com/org/repo");
        assert_eq!(n.text, "https://github.com/org/repo");
        let n = normalize("https://user:pw@git.example.com:8443/a/b");
        assert_eq!(n.host.as_deref(), Some("git.example.com"));
        assert_eq!(n.text, "https://git.example.com:8443/a/b");
        let n = normalize("not a url");
        assert_eq!(n.host, None);
        assert_eq!(n.text, "not a url");
    }

    #[test]
    fn subdomains() {
        assert!(host_within("kaspersky.com", "kaspersky.com"));
        assert!(host_within("os.kaspersky.com", "kaspersky.com"));
        assert!(!host_within("notkaspersky.com", "kaspersky.com"));
        assert!(!host_within("kaspersky.com.evil.org", "kaspersky.com"));
    }
}
