//! Importing PyTorch weights (`.pt`/`.pth` state dicts, read without executing pickled code,
//! or `.safetensors` in PyTorch's layout) and exporting ours back into that layout, through
//! burn-store's PyTorch adapters (Linear weights transposed, norms `weight`/`bias` ⇄
//! `gamma`/`beta`). Parameter names are the same on both sides (tools/reference/swd_ref.py).

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, PyTorchToBurnAdapter, PytorchStore, SafetensorsStore};
use burn::tensor::Device;
use swd_core::{ModelConfig, SwdModel, TextToImage, TextTokenizer};

/// What an import applied and what it could not.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub applied: usize,
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
    /// Shape, dtype and adapter errors, one line each.
    pub errors: Vec<String>,
}

impl ImportReport {
    /// The problems, or `None` when every model tensor was applied cleanly.
    pub fn problems(&self) -> Option<String> {
        let list = |what: &str, items: &[String]| {
            let shown: Vec<&str> = items.iter().take(6).map(String::as_str).collect();
            let more = items.len().saturating_sub(shown.len());
            format!("{} {what}: {}{}", items.len(), shown.join(", "), if more > 0 { format!(" … {more} more") } else { String::new() })
        };
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(list("missing tensors", &self.missing));
        }
        if !self.errors.is_empty() {
            parts.push(list("mismatched tensors", &self.errors));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Loads PyTorch weights into a model built from `config`. Missing or mismatched tensors are
/// an error naming them unless `allow_partial` (then those keep their random initialisation).
pub fn import(
    from: &Path,
    config: ModelConfig,
    tokenizer: TextTokenizer,
    allow_partial: bool,
    device: &Device,
) -> Result<(TextToImage, ImportReport)> {
    if !from.is_file() {
        bail!("{} does not exist", from.display());
    }
    let mut t2i = TextToImage::init(config, tokenizer, device)?;
    let ext = from.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    let result = match ext.as_str() {
        "pt" | "pth" => {
            let mut store = PytorchStore::from_file(from).allow_partial(true).validate(false);
            t2i.model.load_from(&mut store).map_err(|e| anyhow::anyhow!("cannot read {} as a PyTorch state dict: {e}", from.display()))?
        }
        "safetensors" => {
            let mut store = SafetensorsStore::from_file(from).with_from_adapter(PyTorchToBurnAdapter).allow_partial(true).validate(false);
            t2i.model.load_from(&mut store).map_err(|e| anyhow::anyhow!("cannot read {} as safetensors: {e}", from.display()))?
        }
        _ => bail!("{}: expected a .pt, .pth or .safetensors file", from.display()),
    };
    let report = ImportReport {
        applied: result.applied.len(),
        missing: result.missing.iter().map(|(path, _)| path.clone()).collect(),
        unexpected: result.unused.clone(),
        errors: result.errors.iter().map(|e| e.to_string()).collect(),
    };
    if let (Some(problems), false) = (report.problems(), allow_partial) {
        bail!("{} does not fit the config: {problems} (pass --allow-partial to keep those at random init)", from.display());
    }
    Ok((t2i, report))
}

/// Our weights as a `.safetensors` file in PyTorch's layout (loads into the reference model).
pub fn export_pytorch(model: &SwdModel, out: &Path) -> Result<()> {
    let tmp = out.with_extension("safetensors.tmp");
    let mut store = SafetensorsStore::from_file(&tmp).with_to_adapter(BurnToPyTorchAdapter);
    model.save_into(&mut store).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("cannot move {} into place", out.display()))
}
