//! What each fuzz target checks of one input, in one place: the libFuzzer targets
//! (`fuzz_targets/`, nightly) call these, and swd-train's `hostile_files` test (stable, in CI)
//! replays every committed regression input (`tests/fixtures/fuzz/TARGET/`) through the same
//! function (it includes this file with `#[path]`). A reader may accept or refuse an input; what
//! it must not do is panic, allocate beyond [`read_alloc_cap`] (the binary installs
//! [`PeakAlloc`] as its global allocator), or accept something it cannot use or write back.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use burn::module::Module;
use burn::tensor::Device;
use safetensors::SafeTensors;
use swd_core::limits::{PeakAlloc, read_alloc_cap};
use swd_core::weights::StoreDtype;
use swd_core::{ModelConfig, ModelFiles, ScaleSchedule, ScheduleSpec, SwdModel, TextEncoderConfig, TextToImage, TextTokenizer, UNetConfig};
use swd_train::checkpoint::State;
use swd_train::data::Dataset;
use swd_train::data::build::SPLITS;
use swd_train::distill::DistillConfig;
use swd_train::evalnet::EvalNetTrainConfig;
use swd_train::optim::FlatAdamWConfig;
use swd_train::teacher::TeacherConfig;
use swd_train::toml_config::{self, RunConfig};

/// Every target: its name (the fuzz binary's, the fixture folder's) and its check.
pub const TARGETS: [(&str, fn(&[u8])); 10] = [
    ("model_config", model_config),
    ("tokenizer", tokenizer),
    ("schedule", schedule),
    ("model_weights", model_weights),
    ("model_folder", model_folder),
    ("run_config", run_config),
    ("dataset", dataset),
    ("checkpoint_state", checkpoint_state),
    ("optimizer_state", optimizer_state),
    ("import", import),
];

/// Captions of the tokenizer the weights targets use.
pub const CAPTIONS: &[&str] = &["flat emoji: red apple", "3d emoji: cat face"];

/// A model of a few thousand parameters, so that a load takes microseconds.
pub fn nano_config(vocab_size: usize) -> ModelConfig {
    ModelConfig {
        preset: "nano".into(),
        image_channels: 3,
        resolution: 16,
        unet: UNetConfig { base_channels: 8, channel_mults: vec![1], res_blocks: 1, attention_levels: vec![], heads: 1, norm_groups: 4 },
        text: TextEncoderConfig { vocab_size, max_tokens: 4, width: 8, layers: 1, heads: 1 },
        default_schedule: "euler:1".into(),
        default_cfg: 1.0,
    }
}

/// A random nano model (the weights targets' seeds are its files).
pub fn nano_model() -> TextToImage {
    let tokenizer = TextTokenizer::build(CAPTIONS).expect("captions tokenize");
    TextToImage::init(nano_config(tokenizer.vocab_size()), tokenizer, &Device::flex()).expect("nano config is valid")
}

/// Splits an input into the files it frames: each but the last is a little-endian `u32` length
/// and that many bytes; a short input gives short or empty files, never an error.
pub fn split(mut data: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(parts);
    for _ in 1..parts {
        let len = data.get(..4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        data = data.get(4..).unwrap_or_default();
        let (part, rest) = data.split_at(len.min(data.len()));
        out.push(part);
        data = rest;
    }
    out.push(data);
    out
}

/// The framing [`split`] reads.
pub fn join(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 < parts.len() {
            out.extend((part.len() as u32).to_le_bytes());
        }
        out.extend(*part);
    }
    out
}

/// Runs a reader of `input_bytes` of input and panics (a finding) when it allocated more than
/// [`read_alloc_cap`] for a model of `model_params`.
pub fn within_cap<R>(input_bytes: usize, model_params: usize, read: impl FnOnce() -> R) -> R {
    let (result, peak) = PeakAlloc::measure(read);
    let cap = read_alloc_cap(input_bytes, model_params);
    assert!(peak <= cap, "a {input_bytes}-byte input made the reader allocate {peak} bytes (cap {cap})");
    result
}

/// `config.json` of a model folder: what parses round-trips.
pub fn model_config(data: &[u8]) {
    if let Ok(config) = within_cap(data.len(), 0, || ModelConfig::from_json(data)) {
        assert_eq!(ModelConfig::from_json(config.to_json().as_bytes()).expect("a valid config re-reads"), config);
    }
}

/// `tokenizer.json`: what loads encodes any prompt to ids inside its vocabulary, and re-reads from
/// its own JSON to the same encoding.
pub fn tokenizer(data: &[u8]) {
    let Ok(tokenizer) = within_cap(data.len(), 0, || TextTokenizer::from_bytes(data)) else { return };
    let again = TextTokenizer::from_bytes(tokenizer.to_json().as_bytes()).expect("a loaded tokenizer re-reads");
    let tail = String::from_utf8_lossy(&data[data.len().saturating_sub(200)..]).into_owned();
    for prompt in ["", "flat emoji: red apple [BOS][PAD]", tail.as_str()] {
        let ids = tokenizer.encode(prompt, 16).expect("prompts of ≤ 200 bytes encode");
        assert_eq!(ids.len(), 16);
        assert!(ids.iter().all(|&id| (id as usize) < tokenizer.vocab_size()), "{ids:?} beyond {}", tokenizer.vocab_size());
        assert_eq!(again.encode(prompt, 16).unwrap(), ids);
    }
}

/// Schedule strings (`--schedule`, `default_schedule`): what parses is valid at every side it
/// resolves to, and its name parses back to the same schedule.
pub fn schedule(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(spec) = within_cap(data.len(), 0, || text.parse::<ScheduleSpec>()) else { return };
    for resolution in [16, 64, 128] {
        if let Ok(schedule) = spec.at(resolution) {
            assert_eq!(schedule.validate(), Ok(()));
            assert_eq!(ScaleSchedule::parse(&schedule.name(), resolution).expect("a schedule's name parses"), schedule);
        }
    }
}

/// `model.safetensors` (f32, f16 or int8 layout) into the nano model: loads or names the
/// problem, within the allocation cap.
pub fn model_weights(data: &[u8]) {
    static MODEL: OnceLock<(ModelFiles, usize)> = OnceLock::new();
    let (files, params) = MODEL.get_or_init(|| {
        let model = nano_model();
        (model.to_files(StoreDtype::F32).expect("serialises"), model.model.num_params())
    });
    let files = ModelFiles { weights: data.to_vec(), ..files.clone() };
    let _ = within_cap(data.len(), *params, || TextToImage::from_files(&files, &Device::flex()));
}

/// A whole model folder (config, tokenizer and weights, framed by [`split`]): loads or names the
/// problem, within the allocation cap for the model its config describes.
pub fn model_folder(data: &[u8]) {
    let parts = split(data, 3);
    let files = ModelFiles { config: parts[0].to_vec(), tokenizer: parts[1].to_vec(), weights: parts[2].to_vec() };
    // Counted without allocating the parameters (burn initialises them lazily).
    let params = ModelConfig::from_json(&files.config).map_or(0, |c| SwdModel::new(&c, &Device::flex()).num_params());
    let _ = within_cap(data.len(), params, || TextToImage::from_files(&files, &Device::flex()));
}

/// TOML run configs (teacher, distillation, evaluation network): what parses validates and
/// round-trips through the run folder's saved `config.toml`.
pub fn run_config(data: &[u8]) {
    fn check<T: RunConfig + std::fmt::Debug>(text: &str) {
        if let Ok(config) = within_cap(text.len(), 0, || toml_config::parse::<T>(text, &[])) {
            assert_eq!(toml_config::parse::<T>(&toml_config::to_toml(&config), &[]).expect("a saved config re-reads"), config);
        }
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    check::<TeacherConfig>(text);
    check::<DistillConfig>(text);
    check::<EvalNetTrainConfig>(text);
}

/// A dataset folder (`images.safetensors` and `captions.jsonl`, framed by [`split`]): what opens
/// serves every image of every split.
pub fn dataset(data: &[u8]) {
    let parts = split(data, 2);
    let Ok(dataset) = within_cap(data.len(), 0, || Dataset::from_bytes(parts[0], parts[1])) else { return };
    for split in SPLITS {
        for i in dataset.split(split) {
            assert_eq!(dataset.chw(i).len(), 3 * dataset.size * dataset.size);
        }
    }
}

/// A checkpoint's `state.json`: what parses round-trips.
pub fn checkpoint_state(data: &[u8]) {
    if let Ok(state) = within_cap(data.len(), 0, || State::from_json(data)) {
        let again = State::from_json(&serde_json::to_vec(&state).unwrap()).expect("a saved state re-reads");
        assert_eq!((again.step, again.rng), (state.step, state.rng));
    }
}

/// A checkpoint's optimizer state (flat AdamW moments and layout): what loads saves, and what it
/// saves loads and saves again to the same meaning.
pub fn optimizer_state(data: &[u8]) {
    let load = |bytes: &[u8]| FlatAdamWConfig::new(0.01, 1.0).init().load_bytes(bytes, &Device::flex());
    if let Ok(optimizer) = within_cap(data.len(), 0, || load(data)) {
        let saved = optimizer.to_bytes().expect("a loaded state saves");
        assert_eq!(meaning(&load(&saved).expect("a saved state re-loads").to_bytes().unwrap()), meaning(&saved));
    }
}

/// A safetensors file's metadata in key order and its tensors' bytes in name order: the bytes
/// themselves differ between two saves of one state (the header's metadata keys come in a
/// HashMap's order).
fn meaning(bytes: &[u8]) -> (BTreeMap<String, String>, BTreeMap<String, Vec<u8>>) {
    let (_, header) = SafeTensors::read_metadata(bytes).expect("a saved header");
    let tensors = SafeTensors::deserialize(bytes).expect("a saved file").tensors();
    (
        header.metadata().clone().unwrap_or_default().into_iter().collect(),
        tensors.into_iter().map(|(n, v)| (n, v.data().to_vec())).collect(),
    )
}

/// `swd-native import`: PyTorch `.pt` (first byte even) or `.safetensors` (odd) weights into the
/// reference test model (whose `.pt` and `.safetensors` are the seeds); imports or names the
/// problem.
pub fn import(data: &[u8]) {
    const CONFIG: &[u8] = include_bytes!("../../tests/fixtures/reference/config.json");
    const TOKENIZER: &[u8] = include_bytes!("../../tests/fixtures/reference/tokenizer.json");
    let Some((&kind, bytes)) = data.split_first() else { return };
    let ext = if kind % 2 == 0 { "pt" } else { "safetensors" };
    // The PyTorch reader takes a path; one file per thread (the test replays run in threads).
    let path = std::env::temp_dir().join(format!("swd-fuzz-import-{}-{:?}.{ext}", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, bytes).expect("temp file");
    let config = ModelConfig::from_json(CONFIG).unwrap();
    let params = SwdModel::new(&config, &Device::flex()).num_params();
    let tokenizer = TextTokenizer::from_bytes(TOKENIZER).unwrap();
    for allow_partial in [false, true] {
        let _ = within_cap(bytes.len(), params, || {
            swd_train::import::import(&path, config.clone(), tokenizer.clone(), allow_partial, &Device::flex())
        });
    }
    let _ = std::fs::remove_file(&path);
}
