//! The dataset pipeline on committed fixtures and a tiny teacher run: counts, determinism,
//! the held-out split, falling loss, exact resume, clear errors.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use swd_core::TextToImage;
use swd_train::data::Dataset;
use swd_train::data::build::{BuildOptions, Style, build};
use swd_train::run::{RunOptions, RunSummary};
use swd_train::teacher::{TeacherConfig, TrainOptions, train};
use swd_train::toml_config::Override;

fn fixtures() -> PathBuf {
    common::repo("tests/fixtures/emoji-cache")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("swd-teacher-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn build_fixture_dataset(out: &Path) -> swd_train::data::BuildReport {
    build(&BuildOptions {
        out: out.to_path_buf(),
        cache: fixtures(),
        size: 32,
        styles: vec![Style::ThreeD, Style::Flat],
        limit: None,
        keep_128: true,
    })
    .unwrap()
}

#[test]
fn dataset_build_counts_split_and_determinism() {
    let a = scratch("data-a");
    let report = build_fixture_dataset(&a);
    let three_d = &report.styles["3d"];
    let flat = &report.styles["flat"];
    assert_eq!((three_d.files, three_d.matched, three_d.unmatched, three_d.images), (15, 14, 1, 14));
    assert_eq!((flat.files, flat.matched, flat.unmatched, flat.images), (15, 14, 1, 14));
    assert_eq!(report.images, 28);
    assert_eq!(report.train + report.heldout, 28);

    let ds = Dataset::open(&a).unwrap();
    assert_eq!((ds.len(), ds.size), (28, 32));
    assert!(ds.records.iter().any(|r| r.caption == "3d emoji: thumbs up sign, medium skin tone"));
    assert!(ds.records.iter().any(|r| r.caption == "flat emoji: heart"));
    // Held out only tone variants, and the same variants in both styles.
    for r in ds.records.iter().filter(|r| r.split == "heldout") {
        assert!(r.tone.is_some(), "{r:?}");
        assert!(ds.records.iter().any(|o| o.id == r.id && o.style != r.style && o.split == "heldout"));
    }
    // Pixels: a 3d thumbs-up image is yellow on white.
    let apple = ds.records.iter().position(|r| r.caption == "3d emoji: red apple").unwrap();
    let img = common::to_vec(ds.images(&[apple], &common::cpu()));
    let centre = |c: usize| img[c * 32 * 32 + 16 * 32 + 16];
    assert!(centre(0) > 0.5 && centre(1) < -0.5, "apple centre is red");
    assert!(img[0] > 0.99, "corner is the white background");

    let b = scratch("data-b");
    build_fixture_dataset(&b);
    for f in ["images.safetensors", "images_128.safetensors", "captions.jsonl", "tokenizer.json", "manifest.json"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs between builds");
    }
}

#[test]
fn bad_datasets_and_sources_give_clear_errors() {
    let err = Dataset::open(Path::new("/nonexistent/data")).err().unwrap().to_string();
    assert!(err.contains("does not exist"), "{err}");
    let d = scratch("data-corrupt");
    build_fixture_dataset(&d);
    std::fs::write(d.join("images.safetensors"), b"garbage").unwrap();
    let err = format!("{:#}", Dataset::open(&d).err().unwrap());
    assert!(err.contains("not a valid safetensors file"), "{err}");
    let empty_cache = scratch("empty-cache");
    std::fs::create_dir_all(empty_cache.join("emoji-datasource/package")).unwrap();
    let err = format!(
        "{:#}",
        build(&BuildOptions { out: scratch("x"), cache: empty_cache, size: 30, styles: vec![Style::Flat], limit: None, keep_128: false })
            .unwrap_err()
    );
    assert!(err.contains("--size"), "{err}");
}

fn tiny_config(steps: usize) -> TeacherConfig {
    TeacherConfig::load(&common::repo("configs/teacher-tiny.toml"), &[Override::steps(steps)]).unwrap()
}

fn run(cfg: TeacherConfig, data: &Path, out: &Path, resume: bool) -> anyhow::Result<RunSummary> {
    run_from(cfg, data, out, resume, None)
}

fn run_from(cfg: TeacherConfig, data: &Path, out: &Path, resume: bool, init: Option<PathBuf>) -> anyhow::Result<RunSummary> {
    let run = RunOptions::new(out.to_path_buf(), resume, Arc::new(AtomicBool::new(false)));
    train(TrainOptions { config: cfg, data: data.to_path_buf(), run, init, device: common::cpu() })
}

fn losses(run_dir: &Path) -> Vec<f64> {
    std::fs::read_to_string(run_dir.join("log.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"].as_f64().unwrap())
        .collect()
}

#[test]
fn tiny_teacher_learns_and_its_model_folder_loads() {
    let data = scratch("train-data");
    build_fixture_dataset(&data);
    let out = scratch("train-run");
    let summary = run(tiny_config(60), &data, &out, false).unwrap();
    assert_eq!(summary.steps_done, 60);
    let l = losses(&out);
    let first = l[..10].iter().sum::<f64>() / 10.0;
    let last = l[l.len() - 10..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.8 * first, "loss should fall: first 10 {first:.4}, last 10 {last:.4}");
    assert!(out.join("samples/step_000060.png").is_file());
    let prompts = std::fs::read_to_string(out.join("samples/prompts.txt")).unwrap();
    assert_eq!(prompts.lines().count(), 4, "{prompts}");
    assert!(out.join("config.toml").is_file());
    let files = swd_train::fsutil::read_model(&out.join("model")).unwrap();
    let t2i = TextToImage::from_files(&files, &common::cpu()).unwrap();
    assert_eq!(t2i.config.preset, "tiny");
    // A finished run refuses to be overwritten by a new one.
    let err = run(tiny_config(60), &data, &out, false).unwrap_err().to_string();
    assert!(err.contains("--resume"), "{err}");

    // A new run can start from the trained weights: its first loss is already low.
    let continued = scratch("train-continued");
    run_from(tiny_config(2), &data, &continued, false, Some(out.join("model"))).unwrap();
    assert!(losses(&continued)[0] < first, "starting from trained weights should beat a fresh start");
    let err = run_from(tiny_config(2), &data, &continued, true, Some(out.join("model"))).unwrap_err().to_string();
    assert!(err.contains("cannot be combined with --resume"), "{err}");
}

#[test]
fn resume_continues_exactly() {
    let data = scratch("resume-data");
    build_fixture_dataset(&data);
    let mut cfg = tiny_config(6);
    cfg.checkpoint_every = 3;
    cfg.sample_every = 100;
    let straight = scratch("resume-straight");
    run(cfg.clone(), &data, &straight, false).unwrap();

    let split = scratch("resume-split");
    run(TeacherConfig { steps: 3, ..cfg.clone() }, &data, &split, false).unwrap();
    run(cfg.clone(), &data, &split, true).unwrap();
    assert_eq!(losses(&straight), losses(&split), "loss sequence must be identical");
    let read = |d: &Path, file: &str| std::fs::read(d.join("checkpoint").join(file)).unwrap();
    assert_eq!(read(&straight, "model.safetensors"), read(&split, "model.safetensors"), "final weights must be identical");
    assert_eq!(read(&straight, "ema.safetensors"), read(&split, "ema.safetensors"), "the EMA must resume exactly too");

    let mut other = cfg;
    other.lr *= 2.0;
    let err = run(other, &data, &split, true).unwrap_err().to_string();
    assert!(err.contains("config differs"), "{err}");
    let err = run(tiny_config(6), &data, &scratch("never-ran"), true).unwrap_err().to_string();
    assert!(err.contains("cannot resume"), "{err}");
}
