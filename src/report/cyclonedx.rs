//! `--format cyclonedx`: a CycloneDX 1.6 JSON SBOM of the audited graph (book: docs/src/output-formats.md, "cyclonedx").
//!
//! One component per reached package (the single root, if there is one, is the BOM's
//! subject in `metadata.component`), with its purl, its crates.io owners as `supplier`
//! and the version's publisher as `publisher` (each with its source as a property),
//! `externalReferences` for repository and homepage, the dependency edges, and the
//! audit's verdict as `cargo-vendor-audit:*` properties.
//!
//! Reproducible: components and edges are sorted, the serial number is derived from the
//! content, and the timestamp is `SOURCE_DATE_EPOCH` when that is set.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use super::inventory::inventory;
use crate::date::Date;
use crate::facts::{Fact, Origin, Owner, PackageFacts, Publisher};
use crate::graph::Graph;
use crate::input::binary::UNKNOWN_REGISTRY;

const PREFIX: &str = "cargo-vendor-audit";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<Component>,
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<ToolComponent>,
}

#[derive(Serialize)]
struct ToolComponent {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    version: &'static str,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Supplier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<String>,
    name: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference>,
    properties: Vec<Property>,
}

#[derive(Clone, Serialize)]
struct Supplier {
    name: String,
    contact: Vec<Contact>,
}

#[derive(Clone, Serialize)]
struct Contact {
    name: String,
}

#[derive(Clone, Serialize)]
struct ExternalReference {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Clone, Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

fn property(name: &str, value: impl Into<String>) -> Property {
    Property {
        name: format!("{PREFIX}:{name}"),
        value: value.into(),
    }
}

/// Percent-encodes a purl qualifier value (RFC 3986 unreserved characters stay).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `pkg:cargo/NAME@VERSION`, with where it comes from unless that is crates.io; none
/// for path packages, which no purl can name.
fn purl(name: &str, version: &str, origin: &Origin) -> Option<String> {
    let base = format!("pkg:cargo/{}@{}", encode(name), encode(version));
    match origin {
        // From a binary's dependency list, which does not record the URL.
        Origin::Registry(source) if source == UNKNOWN_REGISTRY => None,
        Origin::Git { url, .. } if url == "unknown" => None,
        Origin::CratesIo => Some(base),
        Origin::Registry(source) => {
            let url = source
                .strip_prefix("registry+")
                .or_else(|| source.strip_prefix("sparse+"))
                .unwrap_or(source);
            Some(format!("{base}?repository_url={}", encode(url)))
        }
        Origin::Git { url, rev } => {
            let vcs = match rev {
                Some(rev) => format!("git+{url}@{rev}"),
                None => format!("git+{url}"),
            };
            Some(format!("{base}?vcs_url={}", encode(&vcs)))
        }
        Origin::Path => None,
    }
}

/// A URL the schema's `iri-reference` format accepts: `scheme://rest` with no spaces.
fn usable_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (scheme, rest) = raw.split_once("://")?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let rest_ok = !rest.is_empty()
        && !rest
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '\\'));
    (scheme_ok && rest_ok).then(|| raw.to_string())
}

fn owner_login(o: &Owner) -> &str {
    match o {
        Owner::User { login, .. } | Owner::Team { login, .. } => login,
    }
}

/// The BOM's time: `SOURCE_DATE_EPOCH` if set (and a number), else now.
fn timestamp() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    let day = Date::from_days_since_epoch(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, (s / 60) % 60, s % 60)
}

/// A UUID (version 8, RFC 9562) from two FNV-1a hashes of `bytes`.
fn content_uuid(bytes: &[u8]) -> String {
    let fnv = |seed: u64| {
        bytes.iter().fold(seed, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let hi = fnv(0xcbf2_9ce4_8422_2325);
    let lo = fnv(0x6c62_272e_07bb_0142);
    let hi = (hi & !0xf000) | 0x8000;
    let lo = (lo & !(0b11 << 62)) | (0b10 << 62);
    format!(
        "urn:uuid:{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// Writes the SBOM of `graph` with `report`'s verdicts and the `facts` of each package.
pub fn render(
    report: &Report,
    graph: &Graph,
    facts: &[PackageFacts],
    w: &mut dyn Write,
) -> io::Result<()> {
    let items = inventory(graph, facts, &report.findings);
    let reached: Vec<usize> = items.iter().map(|c| c.index).collect();
    // bom-ref: `name@version`, with the source when two packages share that.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for &i in &reached {
        *seen.entry(graph.packages[i].spec()).or_default() += 1;
    }
    let mut refs: Vec<String> = vec![String::new(); graph.packages.len()];
    for &i in &reached {
        let p = &graph.packages[i];
        refs[i] = if seen[&p.spec()] > 1 {
            format!("{} ({})", p.spec(), p.source.as_deref().unwrap_or("path"))
        } else {
            p.spec()
        };
    }
    // Each reached package's place in `items`.
    let mut at = vec![usize::MAX; graph.packages.len()];
    for (n, c) in items.iter().enumerate() {
        at[c.index] = n;
    }
    let component = |i: usize| -> Component {
        let c = &items[at[i]];
        let (p, f) = (c.package, c.facts);
        let mut properties = Vec::new();
        match c.severity() {
            Some(severity) => {
                properties.push(property("severity", severity.as_str()));
                properties.extend(c.codes().into_iter().map(|code| property("code", code)));
                properties.extend(c.entities().into_iter().map(|e| property("entity", e)));
            }
            None => properties.push(property("severity", "none")),
        }
        for kind in graph.kinds[i].iter() {
            properties.push(property("kind", kind.as_str()));
        }
        let supplier = f.owners.as_ref().filter(|o| !o.value.is_empty()).map(|o| {
            properties.push(property("owners-source", o.origin_note()));
            let logins: Vec<&str> = o.value.iter().map(owner_login).collect();
            Supplier {
                name: logins.join(", "),
                contact: logins
                    .iter()
                    .map(|l| Contact {
                        name: (*l).to_string(),
                    })
                    .collect(),
            }
        });
        let publisher = f.publisher.as_ref().and_then(|p| {
            let text = match &p.value {
                Some(Publisher::User { login, .. }) => login.clone(),
                Some(Publisher::Trusted(tp)) => format!("trusted publisher {tp}"),
                None => return None,
            };
            properties.push(property("publisher-source", p.origin_note()));
            Some(text)
        });
        let mut external_references = Vec::new();
        for (field, kind) in [(Fact::Repository, "vcs"), (Fact::Homepage, "website")] {
            if let Some(u) = f.urls.iter().find(|u| u.field == field) {
                if let Some(url) = usable_url(&u.raw) {
                    external_references.push(ExternalReference { kind, url });
                }
                properties.push(property(&format!("{field}-source"), u.provenance.as_str()));
            }
        }
        Component {
            kind: if p.workspace_member {
                "application"
            } else {
                "library"
            },
            bom_ref: refs[i].clone(),
            supplier,
            publisher,
            name: p.name.clone(),
            version: p.version.to_string(),
            purl: purl(&p.name, &p.version.to_string(), &f.origin),
            external_references,
            properties,
        }
    };
    let mut order = reached.clone();
    order.sort_by(|&a, &b| refs[a].cmp(&refs[b]));
    let subject = match graph.roots.as_slice() {
        [root] => Some(*root),
        _ => None,
    };
    let components: Vec<Component> = order
        .iter()
        .filter(|&&i| Some(i) != subject)
        .map(|&i| component(i))
        .collect();
    let dependencies: Vec<Dependency> = order
        .iter()
        .map(|&i| {
            let depends_on: BTreeSet<&str> = graph.edges[i]
                .iter()
                .filter(|e| !graph.kinds[e.to].is_empty())
                .map(|e| refs[e.to].as_str())
                .collect();
            Dependency {
                reference: refs[i].clone(),
                depends_on: depends_on.into_iter().map(str::to_string).collect(),
            }
        })
        .collect();
    let mut properties = vec![property("today", report.today.clone())];
    for p in &report.policies {
        properties.push(property("policy", p.source.clone()));
    }
    let s = &report.summary;
    properties.push(property(
        "summary",
        format!(
            "{} deny, {} warn, {} info in {} audited packages ({} in the graph)",
            s.deny, s.warn, s.info, s.audited, s.packages
        ),
    ));
    for d in &report.degraded {
        properties.push(property("degraded", format!("{}: {}", d.source, d.message)));
    }
    let mut bom = Bom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: String::new(),
        version: 1,
        metadata: Metadata {
            timestamp: timestamp(),
            tools: Tools {
                components: vec![ToolComponent {
                    kind: "application",
                    name: "cargo-vendor-audit",
                    version: env!("CARGO_PKG_VERSION"),
                }],
            },
            component: subject.map(component),
            properties,
        },
        components,
        dependencies,
    };
    let body = serde_json::to_vec(&bom).map_err(io::Error::other)?;
    bom.serial_number = content_uuid(&body);
    serde_json::to_writer_pretty(&mut *w, &bom).map_err(io::Error::other)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_name_where_a_package_comes_from() {
        assert_eq!(
            purl("serde", "1.0.0", &Origin::CratesIo).as_deref(),
            Some("pkg:cargo/serde@1.0.0")
        );
        assert_eq!(
            purl(
                "x",
                "0.1.0+meta",
                &Origin::Git {
                    url: "https://github.com/o/x".into(),
                    rev: Some("abc".into())
                }
            )
            .as_deref(),
            Some("pkg:cargo/x@0.1.0%2Bmeta?vcs_url=git%2Bhttps://github.com/o/x%40abc")
        );
        assert_eq!(
            purl(
                "y",
                "1.0.0",
                &Origin::Registry("sparse+https://r.example/index/".into())
            )
            .as_deref(),
            Some("pkg:cargo/y@1.0.0?repository_url=https://r.example/index/")
        );
        assert_eq!(purl("z", "1.0.0", &Origin::Path), None);
        assert_eq!(
            purl("z", "1.0.0", &Origin::Registry(UNKNOWN_REGISTRY.into())),
            None
        );
    }

    #[test]
    fn content_uuid_is_stable_and_well_formed() {
        let a = content_uuid(b"abc");
        assert_eq!(a, content_uuid(b"abc"));
        assert_ne!(a, content_uuid(b"abd"));
        assert_eq!(a.len(), "urn:uuid:".len() + 36);
    }
}
