//! Which model folder a command uses.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use swd_core::model::CONFIG_FILE;

/// The shipped default model, relative to the working directory or the source tree.
pub fn default_model_dir() -> Result<PathBuf> {
    let candidates = [
        PathBuf::from("models/default"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/default"),
    ];
    candidates
        .into_iter()
        .find(|p| p.join(CONFIG_FILE).is_file())
        .context("no --model given and no default model folder (models/default) was found")
}

pub fn resolve(model: Option<PathBuf>) -> Result<PathBuf> {
    match model {
        Some(dir) => Ok(dir),
        None => default_model_dir(),
    }
}
