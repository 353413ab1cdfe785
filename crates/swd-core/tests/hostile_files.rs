//! Hostile model files: every reader of a model folder refuses what an attacker or a fuzzer hands
//! it with an error that names the problem, and allocates at most `limits::read_alloc_cap` while
//! doing so. The inputs are the files of `tests/fixtures/fuzz/{model_config,tokenizer,
//! model_weights}/` (headers that claim 2^40 elements, offsets past the end, shapes whose product
//! overflows, deep JSON, invalid UTF-8, duplicate token ids; the browser tests load them too) and
//! a few made here. One test function: the allocation counter is process-wide.

use std::path::Path;

use swd_core::burn::module::Module;
use swd_core::burn::tensor::Device;
use swd_core::limits::{PeakAlloc, read_alloc_cap};
use swd_core::weights::StoreDtype;
use swd_core::{ModelConfig, ModelFiles, SwdModel, TextToImage, TextTokenizer};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Each fixture and what its error must say.
const FIXTURES: [(&str, &str); 17] = [
    ("model_config/channels-2e40.json", "at most 8192"),
    ("model_config/channel-product-overflow.json", "at most 8192"),
    ("model_config/billion-parameters.json", "parameters; swd loads at most"),
    // Refused at the first bracket: the config's types (and unknown fields) stop the descent.
    ("model_config/nested-200.json", "invalid model config"),
    ("model_config/invalid-utf8.json", "invalid"),
    ("tokenizer/id-2e40.json", "token ids must be below"),
    ("tokenizer/duplicate-ids.json", "share id"),
    ("tokenizer/negative-id.json", "is not a token id"),
    ("tokenizer/nested-200.json", "recursion limit"),
    ("tokenizer/invalid-utf8.json", "invalid"),
    // An empty added token matches everywhere: the search for it would never advance.
    ("tokenizer/empty-added-token.json", "'content' is empty"),
    ("model_weights/claims-2e40-elements.safetensors", "not a valid safetensors file"),
    ("model_weights/shape-overflow.safetensors", "not a valid safetensors file"),
    ("model_weights/offsets-past-end.safetensors", "not a valid safetensors file"),
    ("model_weights/overlapping.safetensors", "not a valid safetensors file"),
    ("model_weights/header-length-2e62.safetensors", "not a valid safetensors file"),
    ("model_weights/empty.safetensors", "not a valid safetensors file"),
];

fn nano() -> TextToImage {
    let tokenizer = TextTokenizer::build(&["flat emoji: red apple", "3d emoji: cat face"]).unwrap();
    let mut config = ModelConfig::tiny(tokenizer.vocab_size());
    config.resolution = 16;
    TextToImage::init(config, tokenizer, &Device::flex()).unwrap()
}

/// `read` of `input_bytes` for a model of `params` parameters must fail, within the cap, with an
/// error containing `expect`.
fn refused<T, E: std::fmt::Display>(what: &str, input_bytes: usize, params: usize, expect: &str, read: impl FnOnce() -> Result<T, E>) {
    let (result, peak) = PeakAlloc::measure(read);
    let cap = read_alloc_cap(input_bytes, params);
    assert!(peak <= cap, "{what}: {peak} bytes allocated for {input_bytes} bytes of input (cap {cap})");
    match result {
        Ok(_) => panic!("{what}: accepted"),
        Err(e) => assert!(e.to_string().contains(expect), "{what}: the error {:?} does not say {expect:?}", e.to_string()),
    }
}

#[test]
fn hostile_model_files_are_refused_within_the_allocation_cap() {
    // The counter counts: a megabyte held is a megabyte of peak.
    let (held, peak) = PeakAlloc::measure(|| vec![1u8; 1 << 20]);
    assert!(peak >= held.len(), "{peak}");

    let model = nano();
    let good = model.to_files(StoreDtype::F32).unwrap();
    let params = model.model.num_params();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fuzz");
    for (name, expect) in FIXTURES {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let (folder, _) = name.split_once('/').unwrap();
        let files = match folder {
            "model_config" => {
                refused(name, bytes.len(), 0, expect, || ModelConfig::from_json(&bytes));
                ModelFiles { config: bytes.clone(), ..good.clone() }
            }
            "tokenizer" => {
                refused(name, bytes.len(), 0, expect, || TextTokenizer::from_bytes(&bytes));
                ModelFiles { tokenizer: bytes.clone(), ..good.clone() }
            }
            _ => ModelFiles { weights: bytes.clone(), ..good.clone() },
        };
        refused(name, bytes.len(), params, expect, || TextToImage::from_files(&files, &Device::flex()));
    }

    // 5,000 added tokens: each would be searched for in every prompt.
    let mut tokenizer: serde_json::Value = serde_json::from_slice(&good.tokenizer).unwrap();
    tokenizer["added_tokens"] = (0..5000).map(|i| serde_json::json!({"id": i, "content": format!("t{i}")})).collect();
    let bytes = serde_json::to_vec(&tokenizer).unwrap();
    refused("5,000 added tokens", bytes.len(), 0, "added tokens; swd reads at most", || TextTokenizer::from_bytes(&bytes));

    // A config describing a network of 100 M parameters with a tiny model's weights: refused
    // without allocating the network (parameters are initialised lazily, and only loaded ones are).
    let mut config: serde_json::Value = serde_json::from_slice(&good.config).unwrap();
    config["unet"]["base_channels"] = 1024.into();
    config["unet"]["norm_groups"] = 1.into();
    let big = serde_json::to_vec(&config).unwrap();
    let big_params = SwdModel::new(&ModelConfig::from_json(&big).unwrap(), &Device::flex()).num_params();
    assert!(big_params > 100_000_000, "{big_params}");
    let files = ModelFiles { config: big.clone(), ..good.clone() };
    refused("a 100 M-parameter config with a tiny model's weights", big.len() + good.weights.len(), 0, "has shape", || {
        TextToImage::from_files(&files, &Device::flex())
    });
}
