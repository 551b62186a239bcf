//! Facts in one line of text, as `list` and `explain` show them.

use super::{Origin, Owner, PackageFacts, Publisher};

/// Describes a package's origin in one string.
pub fn origin_text(f: &PackageFacts) -> String {
    match &f.origin {
        Origin::CratesIo => "crates.io".to_string(),
        Origin::Registry(url) => url.clone(),
        Origin::Git {
            url,
            rev: Some(rev),
        } => format!("{url}#{rev}"),
        Origin::Git { url, rev: None } => url.clone(),
        Origin::Path => "path".to_string(),
    }
}

/// An owner: a user with their id, or a team.
pub fn owner_text(o: &Owner) -> String {
    match o {
        Owner::User { id, login } => format!("{login} (#{id})"),
        Owner::Team { login, .. } => login.clone(),
    }
}

/// Who published a version, or nothing when unknown.
pub fn publisher_text(p: &Option<Publisher>) -> String {
    match p {
        Some(Publisher::User { id, login }) => format!("{login} (#{id})"),
        Some(Publisher::Trusted(tp)) => format!("trusted publisher {tp}"),
        None => String::new(),
    }
}
