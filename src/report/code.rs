//! The finding codes, and everything said about each: its name, one line, a paragraph and
//! what to do. Every renderer and the help texts take the words from here.

use serde::Serialize;

/// The stable finding codes (book: docs/src/finding-codes.md, one section each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// `restricted-entity`: a package matches an entity whose restriction is in effect.
    RestrictedEntity,
    /// `upcoming-restriction`: a package matches an entity before its `effective` date.
    UpcomingRestriction,
    /// `unapproved-registry`: a package's registry is not in `[origins] allow-registries`.
    UnapprovedRegistry,
    /// `unapproved-git`: a package's git repository is not in `[origins] allow-git`.
    UnapprovedGit,
    /// `missing-facts`: a publisher matcher needs crates.io owners or a publisher that are unknown.
    MissingFacts,
    /// `expired-exception`: an exception that would apply has expired.
    ExpiredException,
    /// `unused-exception`: an exception matched no finding.
    UnusedException,
    /// `not-affiliated`: a match suppressed by a `[[not-affiliated]]` entry.
    NotAffiliated,
}

impl Code {
    /// Every code, in the order the book lists them (and findings sort by).
    pub const ALL: [Code; 8] = [
        Code::RestrictedEntity,
        Code::UpcomingRestriction,
        Code::UnapprovedRegistry,
        Code::UnapprovedGit,
        Code::MissingFacts,
        Code::ExpiredException,
        Code::UnusedException,
        Code::NotAffiliated,
    ];

    /// The code as reports spell it, e.g. `restricted-entity`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::RestrictedEntity => "restricted-entity",
            Code::UpcomingRestriction => "upcoming-restriction",
            Code::UnapprovedRegistry => "unapproved-registry",
            Code::UnapprovedGit => "unapproved-git",
            Code::MissingFacts => "missing-facts",
            Code::ExpiredException => "expired-exception",
            Code::UnusedException => "unused-exception",
            Code::NotAffiliated => "not-affiliated",
        }
    }

    /// One line on what the code means, for help texts and rule descriptions.
    pub fn description(self) -> &'static str {
        match self {
            Code::RestrictedEntity => "a package matches a restricted entity of the policy",
            Code::UpcomingRestriction => {
                "a package matches an entity whose restriction is not yet effective"
            }
            Code::UnapprovedRegistry => {
                "a package comes from a registry not in `[origins] allow-registries`"
            }
            Code::UnapprovedGit => {
                "a package comes from a git repository not in `[origins] allow-git`"
            }
            Code::MissingFacts => {
                "a publisher matcher could not be evaluated: the package's crates.io owners or publisher are unknown"
            }
            Code::ExpiredException => {
                "an exception that would apply has expired; the finding it covered stands"
            }
            Code::UnusedException => "an exception matched no finding",
            Code::NotAffiliated => {
                "a match was suppressed by a reviewed `[[not-affiliated]]` entry"
            }
        }
    }

    /// A paragraph on what the code means and where its severity comes from (SARIF's
    /// `fullDescription`).
    pub fn explanation(self) -> &'static str {
        match self {
            Code::RestrictedEntity => {
                "A package in the dependency graph is tied to an entity the policy restricts: by its crates.io owners or publisher, the organisation or host of its repository, its registry, its authors' email domains or its name. The evidence says which fact matched which policy pattern, and with what confidence; the severity follows from the entity's severity and that confidence."
            }
            Code::UpcomingRestriction => {
                "A package matches an entity whose restriction takes effect at a later date (the entity's `effective`). On that date the finding becomes `restricted-entity`."
            }
            Code::UnapprovedRegistry => {
                "The package comes from a registry that the policy's `[origins] allow-registries` does not list."
            }
            Code::UnapprovedGit => {
                "The package comes from a git repository that the policy's `[origins] allow-git` does not list."
            }
            Code::MissingFacts => {
                "The policy has matchers on crates.io owners or publishers, and the package's owners or the publisher of its version are unknown, so those matchers could not be evaluated for it."
            }
            Code::ExpiredException => {
                "An `[[exception]]` would waive a finding, but its `expires` date has passed. The finding it covered is reported as well."
            }
            Code::UnusedException => {
                "An `[[exception]]` matched no finding: the crate is gone, its version or entity no longer match, or the exception is misspelt."
            }
            Code::NotAffiliated => {
                "A match was suppressed by a reviewed `[[not-affiliated]]` entry. Reported for the record; it never fails a run."
            }
        }
    }

    /// What to do about a finding of this code (SARIF's `help`).
    pub fn help(self) -> &'static str {
        match self {
            Code::RestrictedEntity => {
                "Remove or replace the dependency: the dependency path shows which of your dependencies pulls it in. If the match is wrong, add a `[[not-affiliated]]` entry (crate, entity, reason) to the policy. If the dependency must stay for a while, add an `[[exception]]` with a reason, an approver and an `expires` date."
            }
            Code::UpcomingRestriction => {
                "Plan to remove or replace the dependency before the restriction's effective date; after it, the finding is a `restricted-entity` one. The same remedies apply: `[[not-affiliated]]` for a wrong match, `[[exception]]` for a dated waiver."
            }
            Code::UnapprovedRegistry => {
                "Take the crate from an approved registry, or, if this registry is trusted, add it to `[origins] allow-registries`."
            }
            Code::UnapprovedGit => {
                "Depend on a release from an approved registry, or, if this repository is trusted, add it (`host/org` or a URL prefix) to `[origins] allow-git`."
            }
            Code::MissingFacts => {
                "Run `cargo vendor-audit fetch` and commit `vendor-audit.lock`, or give `--db-dump` or `--vet-imports`. To accept the gap, set `missing-facts = \"allow\"` in `[policy]`."
            }
            Code::ExpiredException => {
                "Remove the dependency, or review the exception and renew its `expires` date, with a reason."
            }
            Code::UnusedException => {
                "Remove the exception, or correct its `crate`, `version`, `entity`, `kinds` or `via`."
            }
            Code::NotAffiliated => {
                "Nothing to do; review the `[[not-affiliated]]` entry if the crate's ownership changes."
            }
        }
    }
}
