//! Model folders on disk: read the three files, write them atomically.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use swd_core::model::{CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE};
use swd_core::ModelFiles;

/// Where the shipped default model lives, relative to the working directory or the source tree.
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

pub fn read(dir: &Path) -> Result<ModelFiles> {
    if !dir.is_dir() {
        bail!("model folder {} does not exist", dir.display());
    }
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    Ok(ModelFiles { config: read(CONFIG_FILE)?, tokenizer: read(TOKENIZER_FILE)?, weights: read(WEIGHTS_FILE)? })
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash never leaves a
/// half-written file in place of a good one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", path.extension().and_then(|e| e.to_str()).unwrap_or("")));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))
}

pub fn write(dir: &Path, files: &ModelFiles) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_atomic(&dir.join(CONFIG_FILE), &files.config)?;
    write_atomic(&dir.join(TOKENIZER_FILE), &files.tokenizer)?;
    write_atomic(&dir.join(WEIGHTS_FILE), &files.weights)
}
