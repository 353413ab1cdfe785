//! The teacher's checkpoint: weights, EMA weights, optimizer state, step and RNG.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use burn::optim::OptimizerRecord;
use swd_core::weights::{self, StoreDtype};
use swd_core::SwdModel;

pub use crate::checkpoint::State;
use crate::checkpoint::{self, Saved};

const MODEL: &str = "model.safetensors";
const EMA: &str = "ema.safetensors";
const OPTIMIZER: &str = "optimizer.bpk";

pub struct Checkpoint {
    pub model_weights: Vec<u8>,
    pub ema_weights: Vec<u8>,
    pub optimizer: OptimizerRecord,
    pub state: State,
}

pub fn save(run: &Path, model: &SwdModel, ema: &SwdModel, optimizer: OptimizerRecord, state: &State) -> Result<()> {
    let files = vec![
        (MODEL, weights::to_safetensors(model, StoreDtype::F32, HashMap::new())?),
        (EMA, weights::to_safetensors(ema, StoreDtype::F32, HashMap::new())?),
        (OPTIMIZER, checkpoint::optimizer_bytes(optimizer)?),
    ];
    checkpoint::save(run, files, state)
}

pub fn load(run: &Path) -> Result<Checkpoint> {
    let saved = Saved::open(run)?;
    Ok(Checkpoint {
        model_weights: saved.read(MODEL)?,
        ema_weights: saved.read(EMA)?,
        optimizer: saved.optimizer(OPTIMIZER)?,
        state: saved.state.clone(),
    })
}
