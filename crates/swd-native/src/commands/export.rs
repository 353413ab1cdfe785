//! `swd-native export`: the model folder with weights in another precision, or the weights
//! alone as a PyTorch-layout safetensors file for tools/reference/swd_ref.py.

use std::path::PathBuf;

use anyhow::{Result, bail};
use burn::tensor::Device;
use clap::ValueEnum;
use swd_core::weights::StoreDtype;
use swd_train::{fsutil, import};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A model folder (config.json, tokenizer.json, model.safetensors).
    Swd,
    /// One .safetensors file in PyTorch's layout (f32), for tools/reference.
    SafetensorsPytorch,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// Precision of the written weights (swd format only).
    #[arg(long, value_enum, default_value_t = StoreDtype::F16)]
    dtype: StoreDtype,
    #[arg(long, value_enum, default_value_t = Format::Swd)]
    format: Format,
}

pub fn run(args: Args) -> Result<()> {
    if args.model.canonicalize().ok() == args.out.canonicalize().ok() {
        bail!("--out must differ from --model");
    }
    let t2i = fsutil::load_model(&args.model, &Device::flex())?;
    match args.format {
        Format::Swd => {
            let files = t2i.to_files(args.dtype)?;
            fsutil::write_model(&args.out, &files)?;
            println!("wrote {} ({} bytes of {:?} weights)", args.out.display(), files.weights.len(), args.dtype);
        }
        Format::SafetensorsPytorch => {
            if args.out.extension().and_then(|e| e.to_str()) != Some("safetensors") {
                bail!("--out must be a .safetensors file for --format safetensors-pytorch");
            }
            import::export_pytorch(&t2i.model, &args.out)?;
            println!("wrote {} (f32, PyTorch layout; config.json and tokenizer.json stay in {})", args.out.display(), args.model.display());
        }
    }
    Ok(())
}
