//! Facts that `cargo metadata` gives: origin, URLs, author email domains.

use super::url::normalize;
use super::{EmailFact, Fact, Origin, PackageFacts, Provenance, UrlFact};
use crate::graph::Package;

/// crates.io's index under its git URL (what cargo always reports) and its sparse URL.
pub const CRATES_IO_GIT_INDEX: &str = "registry+https://github.com/rust-lang/crates.io-index";
/// crates.io's index under its sparse URL, as a `source` reads when sparse was used.
pub const CRATES_IO_SPARSE_INDEX: &str = "sparse+https://index.crates.io/";

/// Whether a registry source string names crates.io.
pub fn is_crates_io_source(source: &str) -> bool {
    let s = source.trim_end_matches('/');
    s.eq_ignore_ascii_case(CRATES_IO_GIT_INDEX)
        || s.eq_ignore_ascii_case(CRATES_IO_SPARSE_INDEX.trim_end_matches('/'))
}

/// Reads the origin from a package's `source`.
pub fn origin(source: Option<&str>) -> Origin {
    let Some(source) = source else {
        return Origin::Path;
    };
    if is_crates_io_source(source) {
        return Origin::CratesIo;
    }
    if let Some(rest) = source.strip_prefix("git+") {
        let rev = rest.rsplit_once('#').map(|(_, sha)| sha.to_string());
        let url = rest.split(['?', '#']).next().unwrap_or(rest).to_string();
        return Origin::Git { url, rev };
    }
    Origin::Registry(source.to_string())
}

/// The facts of one package that its metadata gives.
pub fn facts(pkg: &Package) -> PackageFacts {
    let origin = origin(pkg.source.as_deref());
    let registry = match &origin {
        Origin::CratesIo | Origin::Registry(_) => pkg.source.clone(),
        _ => None,
    };
    let mut urls = Vec::new();
    let mut push = |field: Fact, raw: &str| {
        if raw.trim().is_empty() {
            return;
        }
        let n = normalize(raw);
        urls.push(UrlFact {
            field,
            raw: raw.to_string(),
            segments: n.segments().map(str::to_ascii_lowercase).collect(),
            normalized: n.text,
            host: n.host,
            provenance: Provenance::CargoMetadata,
        });
    };
    if let Some(r) = &pkg.repository {
        push(Fact::Repository, r);
    }
    if let Some(h) = &pkg.homepage {
        push(Fact::Homepage, h);
    }
    if let Origin::Git { url, .. } = &origin {
        push(Fact::GitSource, url);
    }
    let emails = pkg
        .authors
        .iter()
        .filter_map(|a| {
            email_domain(a).map(|domain| EmailFact {
                author: a.clone(),
                domain,
            })
        })
        .collect();
    PackageFacts {
        origin,
        registry,
        urls,
        emails,
        owners: None,
        publisher: None,
        copyright: None,
    }
}

/// The lowercased domain of `Name <local@domain>` (or a bare `local@domain`).
pub fn email_domain(author: &str) -> Option<String> {
    let addr = match (author.rfind('<'), author.rfind('>')) {
        (Some(l), Some(r)) if l < r => &author[l + 1..r],
        _ => author.trim(),
    };
    let (local, domain) = addr.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.');
    let valid = !local.trim().is_empty()
        && !domain.is_empty()
        && domain.contains('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    valid.then(|| domain.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(origin(None), Origin::Path);
        assert_eq!(origin(Some(CRATES_IO_GIT_INDEX)), Origin::CratesIo);
        assert_eq!(origin(Some(CRATES_IO_SPARSE_INDEX)), Origin::CratesIo);
        assert_eq!(
            origin(Some("sparse+http://127.0.0.1:8765/index/")),
            Origin::Registry("sparse+http://127.0.0.1:8765/index/".into())
        );
        assert_eq!(
            origin(Some("git+https://github.com/o/r?branch=x#0123abcd")),
            Origin::Git {
                url: "https://github.com/o/r".into(),
                rev: Some("0123abcd".into())
            }
        );
        assert_eq!(
            origin(Some("git+file:///tmp/r")),
            Origin::Git {
                url: "file:///tmp/r".into(),
                rev: None
            }
        );
    }

    #[test]
    fn email_domains() {
        assert_eq!(
            email_domain("Eve <eve@Kaspersky.COM>").as_deref(),
            Some("kaspersky.com")
        );
        assert_eq!(
            email_domain("eve@os.kaspersky.com").as_deref(),
            Some("os.kaspersky.com")
        );
        assert_eq!(email_domain("The Team"), None);
        assert_eq!(email_domain("Odd <@kaspersky.com>"), None);
        assert_eq!(email_domain("x <x@localhost>"), None);
    }
}
