//! The emoji dataset: sources (npm packages), captions and split, rasterisation, the built
//! dataset on disk and batches from it.

pub mod build;
pub mod captions;
pub mod dataset;
pub mod raster;
pub mod sources;

pub use build::{BuildOptions, BuildReport, build};
pub use dataset::Dataset;
