//! `swd-native export`: the same model folder with weights in another precision.

use std::path::Path;

use anyhow::{bail, Result};
use burn::tensor::Device;
use swd_core::weights::StoreDtype;
use swd_core::TextToImage;
use swd_train::fsutil;

pub fn run(model: &Path, out: &Path, dtype: &str) -> Result<()> {
    let dtype: StoreDtype = dtype.parse()?;
    if model.canonicalize().ok() == out.canonicalize().ok() {
        bail!("--out must differ from --model");
    }
    let t2i = TextToImage::from_files(&fsutil::read_model(model)?, &Device::flex())?;
    let files = t2i.to_files(dtype)?;
    fsutil::write_model(out, &files)?;
    println!("wrote {} ({} bytes of {dtype:?} weights)", out.display(), files.weights.len());
    Ok(())
}
