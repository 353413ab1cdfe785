//! Tensor operations of our own, with a backward written by hand where burn's decomposition
//! launches too many kernels (see docs/gpu.md).

pub mod group_norm;

pub use group_norm::group_norm;
