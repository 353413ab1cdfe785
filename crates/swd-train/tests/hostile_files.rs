//! Hostile training files — run configs, dataset folders, checkpoint state and optimizer state —
//! are refused with an error that names the problem, within `limits::read_alloc_cap`; and every
//! input the fuzzers found (`tests/fixtures/fuzz/TARGET/`, minimised) replays through its fuzz
//! target's own check (`fuzz/src/checks.rs`, included below), so CI re-runs them on stable.
//! One test function: the allocation counter is process-wide, so nothing may run beside it.

#[allow(dead_code)]
#[path = "../../../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

use swd_core::burn::tensor::Device;
use swd_core::limits::PeakAlloc;
use swd_core::noise::NoiseRng;
use swd_train::checkpoint::State;
use swd_train::data::Dataset;
use swd_train::distill::DistillConfig;
use swd_train::optim::{FORMAT, FlatAdamWConfig};
use swd_train::teacher::TeacherConfig;
use swd_train::toml_config;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// `read` of `input` must fail, within the cap, with an error (and its causes) containing `expect`.
fn refused<T>(what: &str, input: usize, expect: &str, read: impl FnOnce() -> anyhow::Result<T>) {
    let message = checks::within_cap(input, 0, read).err().map(|e| format!("{e:#}")).unwrap_or_else(|| panic!("{what}: accepted"));
    assert!(message.contains(expect), "{what}: the error {message:?} does not say {expect:?}");
}

fn repo(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// A `images.safetensors` of one u8 tensor whose header says `shape` over `data_len` bytes.
fn images(shape: &str, data_len: usize) -> Vec<u8> {
    let header = format!(r#"{{"images":{{"dtype":"U8","shape":{shape},"data_offsets":[0,{data_len}]}}}}"#);
    [(header.len() as u64).to_le_bytes().to_vec(), header.into_bytes(), vec![7; data_len]].concat()
}

/// An optimizer state of `m` and `v` (f32 values) with `meta`data.
fn optimizer_state(values: usize, meta: &[(&str, &str)]) -> Vec<u8> {
    let bytes = vec![0u8; 4 * values];
    let view = || safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![values], &bytes).unwrap();
    let meta = meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    safetensors::serialize([("m", view()), ("v", view())], Some(meta)).unwrap()
}

#[test]
fn hostile_training_files_are_refused_within_the_allocation_cap() {
    // Run configs: a valid one with one line replaced.
    let teacher = std::fs::read_to_string(repo("configs/teacher-tiny.toml")).unwrap();
    let distill = std::fs::read_to_string(repo("configs/distill-tiny.toml")).unwrap();
    let with = |text: &str, key: &str, value: &str| -> String {
        text.lines()
            .map(|l| if l.starts_with(&format!("{key} =")) { format!("{key} = {value}") } else { l.to_string() })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let teacher_cases = [
        ("a batch of 2^40 images", with(&teacher, "batch_size", "1099511627776"), "batch_size: 1099511627776 images at once"),
        ("a billion sample prompts", with(&teacher, "sample_prompts", "1000000000"), "sample_prompts"),
        ("a negative step count", with(&teacher, "steps", "-1"), "steps"),
        ("scales nested 100,000 deep", with(&teacher, "scales", &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))), "scales"),
        ("a scale of 2^40", with(&teacher, "scales", "[1099511627776]"), "scales"),
    ];
    for (what, text, expect) in teacher_cases {
        refused(what, text.len(), expect, || toml_config::parse::<TeacherConfig>(&text, &[]));
    }
    let distill_cases = [
        ("a LoRA of rank 2^40", with(&distill, "lora_rank", "1099511627776"), "lora_rank must be at most"),
        ("a batch of 2^40 images", with(&distill, "batch_size", "1099511627776"), "images at once"),
    ];
    for (what, text, expect) in distill_cases {
        refused(what, text.len(), expect, || toml_config::parse::<DistillConfig>(&text, &[]));
    }
    let path = std::env::temp_dir().join(format!("swd-hostile-{}.toml", std::process::id()));
    std::fs::write(&path, b"steps = \"\xff\xfe\"").unwrap();
    refused("invalid UTF-8", 12, "cannot read config", || TeacherConfig::load(&path, &[]));
    std::fs::remove_file(&path).unwrap();

    // Dataset folders: images.safetensors and captions.jsonl.
    let record = |index: usize, split: &str| {
        format!(
            r#"{{"index":{index},"id":"1f34{index}","base":"red apple","style":"flat","caption":"flat emoji: red apple","tone":null,"category":"food","split":"{split}"}}"#
        )
    };
    let one = images("[1, 16, 16, 3]", 768);
    let dataset_cases: [(&str, Vec<u8>, Vec<u8>, &str); 6] = [
        (
            "2^40 images claimed in 768 bytes",
            images("[1048576, 1048576, 16, 3]", 768),
            record(0, "train").into(),
            "not a valid safetensors",
        ),
        ("images of side 1000", images("[1, 1000, 1000, 3]", 3_000_000), record(0, "train").into(), "side 1000"),
        ("captions that are not UTF-8", one.clone(), b"{\"index\": \xff}".to_vec(), "not UTF-8"),
        ("a record out of order", one.clone(), record(5, "train").into(), "index 5"),
        ("a split nobody reads", one.clone(), record(0, "test").into(), "split \"test\""),
        ("more images than records", images("[2, 16, 16, 3]", 1536), record(0, "train").into(), "1 records but"),
    ];
    for (what, images, captions, expect) in dataset_cases {
        refused(what, images.len() + captions.len(), expect, || Dataset::from_bytes(&images, &captions));
    }

    // Checkpoint state.json.
    let good = serde_json::to_value(State { step: 3, rng: NoiseRng::new(1) }).unwrap();
    let state = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        edit(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let state_cases = [
        ("a negative step", state(&|v| v["step"] = (-1).into()), "invalid value"),
        ("a random stream of zeros", state(&|v| v["rng"]["s"] = serde_json::json!([0, 0, 0, 0])), "all zeros"),
        ("nested 100,000 deep", [b"[".repeat(100_000), b"]".repeat(100_000)].concat(), "invalid type"),
    ];
    for (what, bytes, expect) in state_cases {
        refused(what, bytes.len(), expect, || State::from_json(&bytes));
    }

    // Optimizer state: moments, step and layout.
    let layout = |segments: &str| format!("[{segments}]");
    let optimizer_cases = [
        (
            "a segment of 2^40 values",
            optimizer_state(64, &[("format", FORMAT), ("step", "1"), ("layout", &layout(r#"{"id":1,"offset":0,"numel":1099511627776}"#))]),
            "holds more than",
        ),
        (
            "overlapping segments",
            optimizer_state(
                128,
                &[
                    ("format", FORMAT),
                    ("step", "1"),
                    ("layout", &layout(r#"{"id":1,"offset":0,"numel":64},{"id":2,"offset":32,"numel":64}"#)),
                ],
            ),
            "not consecutive",
        ),
        (
            "a negative step",
            optimizer_state(64, &[("format", FORMAT), ("step", "-3"), ("layout", &layout(r#"{"id":1,"offset":0,"numel":64}"#))]),
            "step -3",
        ),
        (
            "moments shorter than the layout",
            optimizer_state(64, &[("format", FORMAT), ("step", "1"), ("layout", &layout(r#"{"id":1,"offset":0,"numel":640}"#))]),
            "has 64 values, its layout 640",
        ),
        ("another format", optimizer_state(64, &[("format", "adam"), ("step", "1")]), "not swd's flat AdamW"),
    ];
    for (what, bytes, expect) in optimizer_cases {
        refused(what, bytes.len(), expect, || FlatAdamWConfig::new(0.01, 1.0).init().load_bytes(&bytes, &Device::flex()));
    }

    // What the fuzzers found, through their targets' checks (which panic on a finding).
    let mut replayed = 0;
    for (target, check) in checks::TARGETS {
        let Ok(entries) = std::fs::read_dir(repo("tests/fixtures/fuzz").join(target)) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            println!("replaying {}", path.display());
            check(&std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    println!("{replayed} fuzz regression inputs replayed");
}
