//! A policy file of any number of entities that uses every matcher kind of the policy reference (docs/src/policy.md).
//!
//! Each entity has an `orgs` entry and three more matchers taken in turn from the other
//! nine kinds, so 20,000 entities give about 80,000 patterns, a third of them globs
//! (`repositories`, `crates`, `crates-io-teams`). Values look like real ones (GitHub and
//! Gitee orgs, `git.` hosts, private registries, `.cn` mail domains) and almost never
//! match a real graph: the first entity alone matches `github.com/smol-rs`, the same few
//! packages whatever the size, so the series measures the policy, not the findings.

use std::fmt::Write;

use super::{Rng, WORDS};
use cargo_vendor_audit::policy::MatcherKind;

/// The policy TOML text with `entities` entities.
pub fn policy_toml(entities: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(entities * 400 + 1000);
    s.push_str(
        "schema = 1\n\n[policy]\nid = \"generated\"\ntitle = \"Generated policy for benchmarks\"\n\n\
         [[citation]]\nid = \"gen-list\"\ntitle = \"A generated sanctions list\"\n\
         instrument = \"Bench. L. 1-1\"\npublished = 2020-01-01\n\n",
    );
    let others: Vec<MatcherKind> = MatcherKind::ALL
        .into_iter()
        .filter(|k| *k != MatcherKind::Orgs)
        .collect();
    for e in 0..entities {
        let word = rng.pick(WORDS);
        let _ = write!(
            s,
            "[[entity]]\nid = \"gen-{e}\"\nname = \"{word} Entity {e} Co., Ltd.\"\n\
             aliases = [\"{word} {e}\"]\nseverity = \"{}\"\n\
             reason = \"Listed by the generated sanctions list, entry {e}.\"\n\
             citations = [\"gen-list\"]\n",
            if e % 7 == 3 { "warn" } else { "deny" }
        );
        if e % 11 == 5 {
            s.push_str("effective = 2030-01-01\n");
        }
        s.push_str("\n[entity.match]\n");
        let org = if e == 0 {
            "github.com/smol-rs".to_string()
        } else {
            match rng.below(4) {
                0 => format!("gitee.com/{word}-{e}"),
                1 => format!("gitlab.com/{word}{e}/sub"),
                _ => format!("github.com/{word}-entity-{e}"),
            }
        };
        let _ = writeln!(s, "orgs = [\"{org}\"]");
        for k in 0..3 {
            let kind = others[(e * 3 + k) % others.len()];
            let value = match kind {
                MatcherKind::CratesIoUsers => format!("{}", 900_000 + e),
                MatcherKind::CratesIoLogins => format!("\"{word}-login-{e}\""),
                MatcherKind::CratesIoTeams => format!("\"github:{word}-entity-{e}:*\""),
                MatcherKind::Hosts => format!("\"git.{word}{e}.example.cn\""),
                MatcherKind::Registries => {
                    format!("\"sparse+https://registry.{word}{e}.example/index/\"")
                }
                MatcherKind::Repositories => match rng.below(3) {
                    0 => format!("\"https://gitee.com/{word}{e}/*\""),
                    1 => format!("\"https://github.com/{word}-entity-{e}/{word}-*\""),
                    _ => format!("\"https://*.{word}{e}.example.cn/*\""),
                },
                MatcherKind::EmailDomains => format!("\"{word}{e}.example.cn\""),
                MatcherKind::CopyrightHolders => format!("\"{word} Entity {e} Co., Ltd.\""),
                MatcherKind::AuthorNames => format!("\"{word} Entity {e} Team\""),
                MatcherKind::Orgs => unreachable!(),
                MatcherKind::Crates => format!("\"{word}-entity{e}-*\""),
            };
            let _ = writeln!(s, "{} = [{value}]", kind.key());
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_uses_every_kind() {
        let text = policy_toml(40, 3);
        let policy = cargo_vendor_audit::policy::load_str("generated.toml", &text).unwrap();
        assert_eq!(policy.entities.len(), 40);
        for kind in MatcherKind::ALL {
            assert!(
                policy
                    .entities
                    .iter()
                    .any(|e| e.matchers.iter().any(|m| m.kind == kind)),
                "{kind}"
            );
        }
    }
}
