//! Writes the seed corpora (`fuzz/seeds/TARGET/`) from the shipped files and test fixtures, plus
//! the small model the weights targets load: `cargo +nightly run --bin seeds` (scripts/fuzz.sh).

// The fuzz build instruments every crate; libFuzzer defines the coverage symbols it references.
extern crate libfuzzer_sys;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, TensorView};
use swd_core::noise::NoiseRng;
use swd_core::weights::StoreDtype;
use swd_fuzz::{join, nano_model};
use swd_train::checkpoint::State;
use swd_train::data::build::{CAPTIONS_FILE, IMAGES_FILE, Record};
use swd_train::optim::FORMAT;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("fuzz/ sits in the repository").to_path_buf()
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = repo().join("fuzz/seeds").join(target);
    std::fs::create_dir_all(&dir).expect("seed folder");
    std::fs::write(dir.join(name), bytes).expect("seed file");
}

fn safetensors(tensors: &[(&str, Dtype, Vec<usize>, &[u8])], metadata: HashMap<String, String>) -> Vec<u8> {
    let views = tensors.iter().map(|(name, dtype, shape, bytes)| (*name, TensorView::new(*dtype, shape.clone(), bytes).expect("consistent")));
    safetensors::serialize(views, Some(metadata)).expect("serialises")
}

fn main() {
    for folder in ["models/default", "models/swd4", "tests/fixtures/reference"] {
        let name = folder.replace('/', "-");
        write("model_config", &name, &read(&format!("{folder}/config.json")));
        write("tokenizer", &name, &read(&format!("{folder}/tokenizer.json")));
    }
    for name in swd_core::PRESETS.iter().map(|p| p.name).chain(["euler:4", "euler:8@32", "swd:32,48,64@1,0.8,0.6,0"]) {
        write("schedule", &name.replace([':', '@', ','], "_"), name.as_bytes());
    }

    let model = nano_model();
    for (dtype, name) in [(StoreDtype::F32, "f32"), (StoreDtype::F16, "f16"), (StoreDtype::Int8, "int8")] {
        let files = model.to_files(dtype).expect("serialises");
        write("model_weights", name, &files.weights);
        write("model_folder", name, &join(&[&files.config, &files.tokenizer, &files.weights]));
    }
    let nano = model.to_files(StoreDtype::F32).expect("serialises");
    write("model_config", "nano", &nano.config);
    write("tokenizer", "nano", &nano.tokenizer);

    for entry in std::fs::read_dir(repo().join("configs")).expect("configs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            write("run_config", &path.file_name().unwrap().to_string_lossy(), &std::fs::read(&path).expect("config"));
        }
    }

    let (n, side) = (2, 16);
    let pixels: Vec<u8> = (0..n * side * side * 3).map(|i| (i * 7 % 256) as u8).collect();
    let images = safetensors(&[("images", Dtype::U8, vec![n, side, side, 3], &pixels)], HashMap::new());
    let captions: String = (0..n)
        .map(|index| {
            let record = Record {
                index,
                id: format!("1f34{index}"),
                base: "red apple".into(),
                style: "flat".into(),
                caption: "flat emoji: red apple".into(),
                tone: None,
                category: "food".into(),
                split: ["train", "heldout"][index % 2].into(),
            };
            serde_json::to_string(&record).expect("record") + "\n"
        })
        .collect();
    write("dataset", &format!("{IMAGES_FILE}+{CAPTIONS_FILE}"), &join(&[&images, captions.as_bytes()]));

    let state = State { step: 3, rng: NoiseRng::new(7) };
    write("checkpoint_state", "state.json", &serde_json::to_vec_pretty(&state).expect("state"));

    // Two parameters of 3 and 70 values, each segment starting at a multiple of 64.
    let moments: Vec<u8> = (0..192).flat_map(|i| (i as f32 * 0.01).to_le_bytes()).collect();
    let layout = r#"[{"id":1,"offset":0,"numel":3},{"id":2,"offset":64,"numel":70}]"#;
    let metadata = HashMap::from([("format".into(), FORMAT.into()), ("step".into(), "5".into()), ("layout".into(), layout.into())]);
    let optimizer = safetensors(&[("m", Dtype::F32, vec![192], &moments), ("v", Dtype::F32, vec![192], &moments)], metadata);
    write("optimizer_state", "flat-adamw", &optimizer);

    write("import", "reference.pt", &[[0u8].as_slice(), &read("tests/fixtures/reference/reference.pt")].concat());
    write("import", "reference.safetensors", &[[1u8].as_slice(), &read("tests/fixtures/reference/reference.safetensors")].concat());
}
