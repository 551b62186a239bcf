//! The crates.io answers read: owners and a version's publisher.

use serde::Deserialize;

use super::client::Failure;
use super::{ApiCache, CratesIoApi};
use crate::facts::{Owner, Provenance, Publisher, Sourced};
#[derive(Deserialize)]
pub(super) struct OwnersJson {
    pub(super) users: Vec<OwnerJson>,
}

#[derive(Deserialize)]
pub(super) struct OwnerJson {
    pub(super) id: u64,
    pub(super) login: String,
    pub(super) kind: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct VersionJson {
    pub(super) version: VersionFields,
}

#[derive(Deserialize)]
pub(super) struct VersionFields {
    #[serde(default)]
    pub(super) published_by: Option<UserJson>,
    #[serde(default)]
    pub(super) trustpub_data: Option<TrustpubJson>,
}

#[derive(Deserialize)]
pub(super) struct UserJson {
    pub(super) id: u64,
    pub(super) login: String,
}

#[derive(Deserialize)]
pub(super) struct TrustpubJson {
    pub(super) provider: String,
    pub(super) repository: Option<String>,
    pub(super) project_path: Option<String>,
}

impl CratesIoApi {
    /// The owners of `name`.
    pub(super) fn fetch_owners(&mut self, name: &str) -> Result<Vec<Owner>, Failure> {
        let body = self.get(&format!("/api/v1/crates/{name}/owners"))?;
        let parsed: OwnersJson = serde_json::from_str(&body).map_err(|e| {
            Failure::Failed(format!(
                "owners of {name}: malformed answer from crates.io: {e}"
            ))
        })?;
        let mut owners: Vec<Owner> = parsed
            .users
            .into_iter()
            .filter_map(|o| match o.kind.as_deref() {
                Some("team") => Some(Owner::Team {
                    id: o.id,
                    login: o.login,
                }),
                Some("user") | None => Some(Owner::User {
                    id: o.id,
                    login: o.login,
                }),
                Some(_) => None,
            })
            .collect();
        owners.sort();
        owners.dedup();
        // What is accepted must be readable back from the cache: one limit for both.
        if !ApiCache::owners_fit(&owners) {
            return Err(Failure::Failed(format!(
                "owners of {name}: the answer is larger than the limit of {} once kept",
                crate::limits::describe(crate::limits::API_ANSWER_BYTES)
            )));
        }
        Ok(owners)
    }

    /// The publisher of `name` `version` (`None`: no recorded publisher).
    pub(super) fn fetch_publisher(
        &mut self,
        name: &str,
        version: &str,
    ) -> Result<Option<Publisher>, Failure> {
        let body = self.get(&format!("/api/v1/crates/{name}/{version}"))?;
        let parsed: VersionJson = serde_json::from_str(&body).map_err(|e| {
            Failure::Failed(format!(
                "publisher of {name}@{version}: malformed answer from crates.io: {e}"
            ))
        })?;
        let v = parsed.version;
        let publisher = match (v.published_by, v.trustpub_data) {
            (Some(user), _) => Some(Publisher::User {
                id: user.id,
                login: user.login,
            }),
            (None, Some(tp)) => tp
                .repository
                .or(tp.project_path)
                .map(|repo| Publisher::Trusted(format!("{}:{repo}", tp.provider))),
            (None, None) => None,
        };
        if !ApiCache::publisher_fits(publisher.as_ref()) {
            return Err(Failure::Failed(format!(
                "publisher of {name}@{version}: the answer is larger than the limit of {} once kept",
                crate::limits::describe(crate::limits::API_ANSWER_BYTES)
            )));
        }
        Ok(publisher)
    }
}

pub(super) fn api_sourced<T>(value: T, fetched: String) -> Sourced<T> {
    Sourced {
        value,
        provenance: Provenance::CratesIoApi,
        fetched: Some(fetched),
    }
}
