//! Shared helpers for the integration tests.
#![allow(dead_code)]

use swd_core::burn::tensor::{Device, Tensor};

pub fn cpu() -> Device {
    Device::flex()
}

/// burn's wgpu backend: Mesa lavapipe on machines without a GPU (CI installs it).
pub fn wgpu() -> Device {
    Device::wgpu(Default::default())
}

pub fn max_abs_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
    let b = b.to_device(&a.device());
    (a - b).abs().max().into_scalar::<f32>()
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap()
}
