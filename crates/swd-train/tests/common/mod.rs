//! Shared helpers for swd-train's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use swd_core::burn::tensor::{Device, Tensor};

pub fn cpu() -> Device {
    Device::flex()
}

/// A path in the repository (fixtures, configs, shipped models).
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap()
}
