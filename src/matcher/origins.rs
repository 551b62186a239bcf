//! `[origins]`: allowed registries and git repositories.

use super::finding::PackageCtx;
use super::index::{is_crates_io_name, org_parts, registry_key};
use super::verdict::level_severity;
use crate::facts::url::normalize;
use crate::facts::{Fact, Origin, PackageFacts, Provenance};
use crate::policy::Confidence;
use crate::report::{Code, Evidence, Finding, MatcherKey, PolicyLocation};

pub(super) fn origin_evidence(
    key: MatcherKey,
    list: &[String],
    fact: Fact,
    value: &str,
) -> Evidence {
    Evidence {
        matcher: key,
        pattern: if list.is_empty() {
            "(empty)".to_string()
        } else {
            list.join(", ")
        },
        fact,
        value: value.to_string(),
        confidence: Confidence::High,
        provenance: Provenance::CargoMetadata,
        fetched: None,
        api_base: None,
        pattern_at: PolicyLocation::Origins,
        note: None,
    }
}

/// `[origins] allow-git`: a `host/org` entry matches like `orgs`; an entry with a scheme is
/// a prefix of the normalized URL, ending at a `/` boundary.
pub fn git_allowed(entry: &str, url: &str) -> bool {
    let n = normalize(url);
    if entry.contains("://") {
        let prefix = normalize(entry).text;
        let text = n.text.to_ascii_lowercase();
        let prefix = prefix.to_ascii_lowercase();
        text == prefix || text.starts_with(&format!("{prefix}/"))
    } else {
        let (host, segs) = org_parts(entry);
        let have: Vec<String> = n.segments().map(str::to_ascii_lowercase).collect();
        n.host.as_deref() == Some(host.as_str())
            && segs.len() <= have.len()
            && segs.iter().zip(&have).all(|(a, b)| a == b)
    }
}

/// `[origins]`: a package from a registry or git repository the policy does not list.
pub(super) fn check(ctx: &PackageCtx, f: &PackageFacts, local: &mut Vec<Finding>) {
    let pkg = &ctx.graph.packages[ctx.index];
    let origins = &ctx.policy.origins;
    match &f.origin {
        Origin::CratesIo | Origin::Registry(_) => {
            let reg = f.registry.as_deref().unwrap_or("");
            let allowed = origins.allow_registries.iter().any(|a| {
                if is_crates_io_name(a) {
                    matches!(f.origin, Origin::CratesIo)
                } else {
                    registry_key(a) == registry_key(reg)
                }
            });
            if let (false, Some(sev)) = (allowed, level_severity(origins.unknown_registry)) {
                let ev = origin_evidence(
                    MatcherKey::AllowRegistries,
                    &origins.allow_registries,
                    Fact::Registry,
                    reg,
                );
                let message = format!(
                    "{} {} comes from registry {reg}, which `[origins] allow-registries` does not list",
                    pkg.name, pkg.version
                );
                local.push(ctx.finding(Code::UnapprovedRegistry, sev, None, vec![ev], message));
            }
        }
        Origin::Git { url, .. } => {
            let allowed = origins.allow_git.iter().any(|a| git_allowed(a, url));
            if let (false, Some(sev)) = (allowed, level_severity(origins.unknown_git)) {
                let ev = origin_evidence(
                    MatcherKey::AllowGit,
                    &origins.allow_git,
                    Fact::GitSource,
                    url,
                );
                let message = format!(
                    "{} {} comes from git repository {url}, which `[origins] allow-git` does not list",
                    pkg.name, pkg.version
                );
                local.push(ctx.finding(Code::UnapprovedGit, sev, None, vec![ev], message));
            }
        }
        Origin::Path => {}
    }
}
