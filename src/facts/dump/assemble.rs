//! The facts of the wanted crates assembled from the rows read: owners, publishers, and
//! what the dump does not say.

use std::collections::{BTreeMap, HashMap};

use super::{By, DumpFacts, State};
use crate::crate_name::CrateName;
use crate::facts::publisher::{CrateKey, PublisherFacts};
use crate::facts::{Owner, Provenance, Publisher, Sourced};
impl State<'_> {
    pub(super) fn finish(self, wanted: &[CrateKey]) -> DumpFacts {
        let by_name: HashMap<&str, u64> = self
            .crate_ids
            .iter()
            .map(|(id, name)| (name.as_str(), *id))
            .collect();
        // Per crate: its owners, or why they are not known in full.
        let mut owners_of: HashMap<u64, Result<Vec<Owner>, String>> = HashMap::new();
        for &crate_id in &self.odd_owner_kind {
            owners_of.insert(
                crate_id,
                Err("an owner of a kind this version does not know".to_string()),
            );
        }
        for &(crate_id, owner, team) in &self.owners {
            let owner = if team {
                match self.teams.get(&owner) {
                    Some(login) => Ok(Owner::Team {
                        id: owner,
                        login: login.clone(),
                    }),
                    None => Err(format!("team id {owner} is not in teams.csv")),
                }
            } else {
                match self.login(owner) {
                    Some(login) => Ok(Owner::User { id: owner, login }),
                    None => Err(format!("user id {owner} has no login in the dump")),
                }
            };
            let list = owners_of.entry(crate_id).or_insert_with(|| Ok(Vec::new()));
            match (list, owner) {
                (Ok(list), Ok(owner)) => list.push(owner),
                (list @ Ok(_), Err(why)) => *list = Err(why),
                (Err(_), _) => {}
            }
        }
        for list in owners_of.values_mut().flatten() {
            list.sort();
            list.dedup();
        }
        let sourced = |value| Sourced {
            value,
            provenance: Provenance::DbDump,
            fetched: self.timestamp.clone(),
        };
        let mut problems = Vec::new();
        let mut unknown_owners: BTreeMap<String, String> = BTreeMap::new();
        let mut unknown_publishers: Vec<String> = Vec::new();
        let mut facts = BTreeMap::new();
        for key in wanted {
            let Some(&crate_id) = by_name.get(CrateName(&key.name).normalized().as_str()) else {
                continue;
            };
            let owners = match owners_of.get(&crate_id) {
                None => Some(sourced(Vec::new())),
                Some(Ok(list)) => Some(sourced(list.clone())),
                Some(Err(why)) => {
                    unknown_owners.insert(key.name.clone(), why.clone());
                    None
                }
            };
            let publisher = match self.versions.get(&(crate_id, key.version.clone())) {
                None => None,
                Some(_) if self.no_published_by => None,
                Some(By::Unknown) => None,
                Some(By::None) => Some(sourced_publisher(None, &self.timestamp)),
                Some(By::User(user)) => match self.login(*user) {
                    Some(login) => Some(sourced_publisher(
                        Some(Publisher::User { id: *user, login }),
                        &self.timestamp,
                    )),
                    None => {
                        unknown_publishers.push(format!("{key} (user id {user})"));
                        None
                    }
                },
            };
            facts.insert(key.clone(), PublisherFacts { owners, publisher });
        }
        if self.no_published_by {
            problems.push(format!(
                "crates.io dump {}: versions.csv has no column `published_by`, so version publishers are unknown",
                self.path.display()
            ));
        }
        if !unknown_owners.is_empty() {
            let list: Vec<String> = unknown_owners
                .iter()
                .map(|(name, why)| format!("{name} ({why})"))
                .collect();
            problems.push(format!(
                "crates.io dump {}: the owners of {} crate(s) are unknown: {}",
                self.path.display(),
                list.len(),
                abridged(&list)
            ));
        }
        if !unknown_publishers.is_empty() {
            problems.push(format!(
                "crates.io dump {}: the publisher of {} version(s) has no login in the dump, so it is unknown: {}",
                self.path.display(),
                unknown_publishers.len(),
                abridged(&unknown_publishers)
            ));
        }
        DumpFacts {
            timestamp: self.timestamp,
            facts,
            problems,
        }
    }
}

/// The first five of `list`, then `...`.
pub(super) fn abridged(list: &[String]) -> String {
    let mut text = list
        .iter()
        .take(5)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("; ");
    if list.len() > 5 {
        text.push_str("; ...");
    }
    text
}

pub(super) fn sourced_publisher(
    value: Option<Publisher>,
    fetched: &Option<String>,
) -> Sourced<Option<Publisher>> {
    Sourced {
        value,
        provenance: Provenance::DbDump,
        fetched: fetched.clone(),
    }
}
