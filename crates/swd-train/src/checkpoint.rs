//! Run checkpoints: a folder of named files replaced as a whole by renames (write
//! `checkpoint.tmp`, move the old folder aside, move the new one in), so a crash at any point
//! leaves a complete checkpoint (`checkpoint/` or `checkpoint.old/`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use swd_core::noise::NoiseRng;

pub const STATE: &str = "state.json";

/// Where a run is: the step and the host random stream (everything else is in the weights).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub step: usize,
    pub rng: NoiseRng,
}

impl State {
    /// Parses a `state.json`; a random stream whose state is all zeros (which would draw zeros
    /// for ever) is refused.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let state: Self = serde_json::from_slice(bytes)?;
        if state.rng.is_degenerate() {
            anyhow::bail!("the random stream's state is all zeros");
        }
        Ok(state)
    }
}

/// Writes `files` (name, bytes) and `state` as the run's checkpoint.
pub fn save(run: &Path, files: Vec<(&str, Vec<u8>)>, state: &State) -> Result<()> {
    let final_dir = run.join("checkpoint");
    let tmp = run.join("checkpoint.tmp");
    let old = run.join("checkpoint.old");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    for (name, bytes) in files {
        std::fs::write(tmp.join(name), bytes).with_context(|| format!("cannot write {}", tmp.join(name).display()))?;
    }
    std::fs::write(tmp.join(STATE), serde_json::to_vec_pretty(state)?)?;
    let _ = std::fs::remove_dir_all(&old);
    if final_dir.exists() {
        std::fs::rename(&final_dir, &old)?;
    }
    std::fs::rename(&tmp, &final_dir)?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// A saved checkpoint folder.
pub struct Saved {
    dir: PathBuf,
    pub state: State,
}

impl Saved {
    /// The newest complete checkpoint of `run`.
    pub fn open(run: &Path) -> Result<Self> {
        let dir = [run.join("checkpoint"), run.join("checkpoint.old")]
            .into_iter()
            .find(|d| d.join(STATE).is_file())
            .with_context(|| format!("no checkpoint in {} to resume from", run.display()))?;
        let state = State::from_json(&std::fs::read(dir.join(STATE))?)
            .with_context(|| format!("corrupt checkpoint {}", dir.join(STATE).display()))?;
        Ok(Self { dir, state })
    }

    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        std::fs::read(self.dir.join(name)).with_context(|| format!("cannot read {}", self.dir.join(name).display()))
    }
}
