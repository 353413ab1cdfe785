//! File helpers shared by the CLI and training: atomic writes and model folders.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use swd_core::model::{CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE};
use swd_core::{ModelFiles, TextToImage};

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash never leaves a
/// half-written file in place of a good one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))
}

/// Reads the three files of a model folder.
pub fn read_model(dir: &Path) -> Result<ModelFiles> {
    if !dir.is_dir() {
        bail!("model folder {} does not exist", dir.display());
    }
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    Ok(ModelFiles { config: read(CONFIG_FILE)?, tokenizer: read(TOKENIZER_FILE)?, weights: read(WEIGHTS_FILE)? })
}

/// Loads a model folder onto `device`.
pub fn load_model(dir: &Path, device: &Device) -> Result<TextToImage> {
    Ok(TextToImage::from_files(&read_model(dir)?, device)?)
}

/// Writes a model folder, each file atomically.
pub fn write_model(dir: &Path, files: &ModelFiles) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_atomic(&dir.join(CONFIG_FILE), &files.config)?;
    write_atomic(&dir.join(TOKENIZER_FILE), &files.tokenizer)?;
    write_atomic(&dir.join(WEIGHTS_FILE), &files.weights)
}
