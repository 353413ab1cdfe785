//! Resumable checkpoints: weights, EMA weights, optimizer state, RNG and step, written to a
//! temporary folder and swapped in by renames so an interrupted save never loses the last one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::optim::OptimizerRecord;
use serde::{Deserialize, Serialize};
use swd_core::noise::NoiseRng;
use swd_core::weights::{self, StoreDtype};
use swd_core::SwdModel;

const MODEL: &str = "model.safetensors";
const EMA: &str = "ema.safetensors";
const OPTIMIZER: &str = "optimizer.bpk";
const STATE: &str = "state.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Steps completed.
    pub step: usize,
    pub rng: NoiseRng,
}

pub struct Checkpoint {
    pub model_weights: Vec<u8>,
    pub ema_weights: Vec<u8>,
    pub optimizer: OptimizerRecord,
    pub state: State,
}

fn dir(run: &Path) -> PathBuf {
    run.join("checkpoint")
}

pub fn save(run: &Path, model: &SwdModel, ema: &SwdModel, optimizer: OptimizerRecord, state: &State) -> Result<()> {
    let final_dir = dir(run);
    let tmp = run.join("checkpoint.tmp");
    let old = run.join("checkpoint.old");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    std::fs::write(tmp.join(MODEL), weights::to_safetensors(model, StoreDtype::F32, HashMap::new())?)?;
    std::fs::write(tmp.join(EMA), weights::to_safetensors(ema, StoreDtype::F32, HashMap::new())?)?;
    let opt = optimizer.into_bytes().map_err(|e| anyhow::anyhow!("cannot serialise optimizer state: {e:?}"))?;
    std::fs::write(tmp.join(OPTIMIZER), &*opt)?;
    std::fs::write(tmp.join(STATE), serde_json::to_vec_pretty(state)?)?;
    let _ = std::fs::remove_dir_all(&old);
    if final_dir.exists() {
        std::fs::rename(&final_dir, &old)?;
    }
    std::fs::rename(&tmp, &final_dir)?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// The last complete checkpoint of a run (falls back to the previous one if a save was cut).
pub fn load(run: &Path) -> Result<Checkpoint> {
    let d = [dir(run), run.join("checkpoint.old")]
        .into_iter()
        .find(|d| d.join(STATE).is_file())
        .with_context(|| format!("no checkpoint in {} to resume from", run.display()))?;
    let read = |name: &str| std::fs::read(d.join(name)).with_context(|| format!("cannot read {}", d.join(name).display()));
    let state: State = serde_json::from_slice(&read(STATE)?).context("corrupt checkpoint state.json")?;
    let optimizer = OptimizerRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(read(OPTIMIZER)?))
        .map_err(|e| anyhow::anyhow!("corrupt optimizer state in {}: {e:?}", d.display()))?;
    Ok(Checkpoint { model_weights: read(MODEL)?, ema_weights: read(EMA)?, optimizer, state })
}
