//! Run configs as TOML files (`configs/*.toml`, copied into every run folder).

use std::path::Path;

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Reads and parses `path`; `validate` checks the values. Errors name the file.
pub fn load<T: DeserializeOwned>(path: &Path, validate: impl Fn(&T) -> Result<()>) -> Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
    let config: T = toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
    validate(&config).with_context(|| format!("invalid config {}", path.display()))?;
    Ok(config)
}

pub fn to_toml<T: Serialize>(config: &T) -> String {
    toml::to_string_pretty(config).expect("config serialises")
}
