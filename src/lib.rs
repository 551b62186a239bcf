//! cargo-vendor-audit: fail a build that pulls in a crate from a restricted entity.
//!
//! The pipeline: [`graph`] -> [`facts`] -> [`policy`] -> [`matcher`] -> [`report`].

pub mod date;
pub mod facts;
pub mod graph;
pub mod metadata;
pub mod policy;
pub mod report;
pub mod target;
