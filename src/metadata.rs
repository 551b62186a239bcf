//! TEMPORARY stand-in until the graph branch lands.
use std::path::PathBuf;

pub enum MetadataSource {
    File(PathBuf),
    Stdin,
    Cargo(CargoInvocation),
}

#[derive(Default)]
pub struct CargoInvocation {
    pub manifest_path: Option<PathBuf>,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
    pub locked: bool,
    pub offline: bool,
    pub frozen: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("stub")]
pub struct MetadataError;

pub fn load(_source: &MetadataSource) -> Result<cargo_metadata::Metadata, MetadataError> {
    Err(MetadataError)
}
