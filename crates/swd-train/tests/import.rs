//! PyTorch parity: the committed reference fixtures (tools/reference/make_fixtures.py), imported
//! from `.pt` and from `.safetensors`, reproduce PyTorch's outputs; round trip through the
//! PyTorch layout; clear errors for corrupt and mismatched files.

mod common;

use std::path::{Path, PathBuf};

use swd_core::burn::tensor::{Int, Tensor, TensorData};
use swd_core::{ModelConfig, TextToImage, TextTokenizer};
use swd_train::import::{export_pytorch, import};

const TOLERANCE: f32 = 1e-4;

fn fixtures() -> PathBuf {
    common::repo("tests/fixtures/reference")
}

fn config() -> ModelConfig {
    ModelConfig::from_json(&std::fs::read(fixtures().join("config.json")).unwrap()).unwrap()
}

fn tokenizer() -> TextTokenizer {
    TextTokenizer::from_bytes(&std::fs::read(fixtures().join("tokenizer.json")).unwrap()).unwrap()
}

/// The fixture tensors: name → (shape, values as f32; ids as i64 in `ints`).
struct Io {
    bytes: Vec<u8>,
}

impl Io {
    fn load() -> Self {
        Self { bytes: std::fs::read(fixtures().join("io.safetensors")).unwrap() }
    }

    fn tensor<const D: usize>(&self, name: &str) -> Tensor<D> {
        let st = safetensors::SafeTensors::deserialize(&self.bytes).unwrap();
        let view = st.tensor(name).unwrap();
        let values: Vec<f32> = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        Tensor::from_data(TensorData::new(values, view.shape().to_vec()), &common::cpu())
    }

    fn ids(&self) -> Vec<i64> {
        let st = safetensors::SafeTensors::deserialize(&self.bytes).unwrap();
        st.tensor("ids").unwrap().data().chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap())).collect()
    }
}

fn max_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

/// Max abs difference of every fixture output for a model.
fn compare(t2i: &TextToImage, io: &Io) -> Vec<(String, f32)> {
    let prompts = ["3d emoji: red apple", "flat emoji: cat face", ""];
    let batch = t2i.tokenizer.encode_batch(&prompts, t2i.config.text.max_tokens).unwrap();
    assert_eq!(batch.ids, io.ids(), "the Rust tokenizer encodes as the reference does");
    let shape = [batch.batch, batch.max_tokens];
    let ids = Tensor::<2, Int>::from_data(TensorData::new(io.ids(), shape), &common::cpu());
    let text = t2i.model.text_encoder.forward(ids, io.tensor("mask"));
    let mut out = vec![
        ("text_tokens".to_string(), max_diff(text.tokens.clone(), io.tensor("text_tokens"))),
        ("text_pooled".to_string(), max_diff(text.pooled.clone(), io.tensor("text_pooled"))),
    ];
    for size in [16, 32, 64] {
        let o = t2i.model.forward(io.tensor(&format!("x{size}")), io.tensor("sigma"), &text);
        out.push((format!("v{size}"), max_diff(o.velocity, io.tensor(&format!("v{size}")))));
        out.push((format!("features{size}"), max_diff(o.features, io.tensor(&format!("features{size}")))));
    }
    out
}

#[test]
fn imported_reference_matches_pytorch_outputs() {
    let io = Io::load();
    for file in ["reference.pt", "reference.safetensors"] {
        let (t2i, report) = import(&fixtures().join(file), config(), tokenizer(), false, &common::cpu()).unwrap();
        assert!(report.problems().is_none() && report.unexpected.is_empty(), "{file}: {report:?}");
        assert_eq!(report.applied, swd_core::weights::collect(&t2i.model).len(), "{file}: every tensor applied");
        for (name, diff) in compare(&t2i, &io) {
            println!("{file} {name}: max abs diff {diff:.2e}");
            assert!(diff < TOLERANCE, "{file} {name}: {diff}");
        }
    }
}

#[test]
fn pytorch_layout_round_trip_is_exact() {
    let (t2i, _) = import(&fixtures().join("reference.safetensors"), config(), tokenizer(), false, &common::cpu()).unwrap();
    let dir = std::env::temp_dir().join(format!("swd-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exported = dir.join("roundtrip.safetensors");
    export_pytorch(&t2i.model, &exported).unwrap();
    // The export has the reference's names and layout: the same keys and shapes as its file.
    let read_keys = |p: &Path| {
        let bytes = std::fs::read(p).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut keys: Vec<(String, Vec<usize>)> = st.tensors().into_iter().map(|(k, v)| (k, v.shape().to_vec())).collect();
        keys.sort();
        keys
    };
    assert_eq!(read_keys(&exported), read_keys(&fixtures().join("reference.safetensors")));
    let (back, _) = import(&exported, config(), tokenizer(), false, &common::cpu()).unwrap();
    let a = swd_core::weights::collect(&t2i.model);
    let b = swd_core::weights::collect(&back.model);
    assert_eq!(a, b, "weights survive the round trip bit for bit");
}

#[test]
fn corrupt_and_mismatched_files_are_clear_errors() {
    let dir = std::env::temp_dir().join(format!("swd-import-err-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let err = |p: &Path, cfg: ModelConfig| import(p, cfg, tokenizer(), false, &common::cpu()).unwrap_err().to_string();

    let garbage = dir.join("garbage.pt");
    std::fs::write(&garbage, b"not a pickle at all").unwrap();
    assert!(err(&garbage, config()).contains("cannot read"), "{}", err(&garbage, config()));
    let truncated = dir.join("truncated.safetensors");
    let bytes = std::fs::read(fixtures().join("reference.safetensors")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(err(&truncated, config()).contains("cannot read"), "{}", err(&truncated, config()));
    let other = dir.join("weights.bin");
    std::fs::write(&other, b"x").unwrap();
    assert!(err(&other, config()).contains("expected a .pt"));
    assert!(err(&dir.join("absent.pt"), config()).contains("does not exist"));

    // A config whose shapes differ: the mismatches are listed, nothing is silently skipped.
    let mut wide = config();
    wide.text.width = 48;
    let message = err(&fixtures().join("reference.pt"), wide.clone());
    assert!(message.contains("mismatched tensors") && message.contains("text_encoder"), "{message}");
    assert!(message.contains("--allow-partial"), "{message}");
    let (_, report) = import(&fixtures().join("reference.pt"), wide, tokenizer(), true, &common::cpu()).unwrap();
    assert!(!report.errors.is_empty() && report.applied > 0, "{report:?}");
}
