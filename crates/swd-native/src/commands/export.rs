//! `swd-native export`: the model folder with weights in another precision, or the weights
//! alone as a PyTorch-layout safetensors file for tools/reference/swd_ref.py.

use std::path::Path;

use anyhow::{bail, Result};
use burn::tensor::Device;
use swd_core::weights::StoreDtype;
use swd_train::{fsutil, import};

pub fn run(model: &Path, out: &Path, dtype: &str, format: &str) -> Result<()> {
    let dtype: StoreDtype = dtype.parse()?;
    if model.canonicalize().ok() == out.canonicalize().ok() {
        bail!("--out must differ from --model");
    }
    let t2i = fsutil::load_model(model, &Device::flex())?;
    match format {
        "swd" => {
            let files = t2i.to_files(dtype)?;
            fsutil::write_model(out, &files)?;
            println!("wrote {} ({} bytes of {dtype:?} weights)", out.display(), files.weights.len());
        }
        "safetensors-pytorch" => {
            if out.extension().and_then(|e| e.to_str()) != Some("safetensors") {
                bail!("--out must be a .safetensors file for --format safetensors-pytorch");
            }
            import::export_pytorch(&t2i.model, out)?;
            println!("wrote {} (f32, PyTorch layout; config.json and tokenizer.json stay in {})", out.display(), model.display());
        }
        other => bail!("unknown --format '{other}' (expected swd or safetensors-pytorch)"),
    }
    Ok(())
}
