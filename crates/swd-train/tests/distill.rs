//! Distillation end to end on a tiny random teacher and the fixture dataset: swd4 and full4
//! runs, exact resume, which parameters each loss trains, clear errors.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use swd_core::burn::module::Module;
use swd_core::burn::tensor::Tensor;
use swd_core::noise::NoiseRng;
use swd_core::weights::StoreDtype;
use swd_core::{ModelConfig, TextToImage, TextTokenizer};
use swd_train::data::build::{BuildOptions, Style, build};
use swd_train::distill::critic::Critic;
use swd_train::distill::step::{StepInput, critic_loss, generator_loss};
use swd_train::distill::{DistillConfig, DistillOptions, distill};
use swd_train::parallel::Shard;
use swd_train::run::{RunOptions, RunSummary};
use swd_train::toml_config::RunConfig;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("swd-distill-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The fixture dataset at 64² and a random tiny teacher with its tokenizer.
fn setup(name: &str) -> (PathBuf, PathBuf) {
    let data = scratch(&format!("{name}-data"));
    build(&BuildOptions {
        out: data.clone(),
        cache: common::repo("tests/fixtures/emoji-cache"),
        size: 64,
        styles: vec![Style::ThreeD, Style::Flat],
        limit: None,
        keep_128: false,
    })
    .unwrap();
    let tokenizer = TextTokenizer::from_bytes(&std::fs::read(data.join("tokenizer.json")).unwrap()).unwrap();
    let config = ModelConfig::tiny(tokenizer.vocab_size());
    let t2i = TextToImage::init(config, tokenizer, &common::cpu()).unwrap();
    let teacher = scratch(&format!("{name}-teacher"));
    swd_train::fsutil::write_model(&teacher, &t2i.to_files(StoreDtype::F32).unwrap()).unwrap();
    (data, teacher)
}

fn tiny_config() -> DistillConfig {
    DistillConfig::load(&common::repo("configs/distill-tiny.toml"), &[]).unwrap()
}

fn run(cfg: DistillConfig, teacher: &Path, data: &Path, out: &Path, resume: bool) -> anyhow::Result<RunSummary> {
    let run = RunOptions::new(out.to_path_buf(), resume, Arc::new(AtomicBool::new(false)));
    distill(DistillOptions { config: cfg, teacher: teacher.to_path_buf(), data: data.to_path_buf(), run, device: common::cpu() })
}

fn log(run_dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run_dir.join("log.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn model_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("model.safetensors")).unwrap()
}

#[test]
fn swd4_and_full4_distil_end_to_end() {
    let (data, teacher) = setup("e2e");
    let teacher_before = model_bytes(&teacher);
    for (schedule, scales) in [("swd4", vec![32, 40, 48, 64]), ("full4", vec![64; 4])] {
        let out = scratch(&format!("e2e-{schedule}"));
        let cfg = DistillConfig { schedule: schedule.into(), ..tiny_config() };
        let summary = run(cfg, &teacher, &data, &out, false).unwrap();
        assert_eq!(summary.steps_done, 4);
        let lines = log(&out);
        assert_eq!(lines.len(), 4);
        let visited: Vec<u64> = lines.iter().map(|l| l["scale"].as_u64().unwrap()).collect();
        assert_eq!(visited, scales.iter().map(|&s| s as u64).collect::<Vec<_>>(), "cyclic over the schedule");
        for l in &lines {
            for key in ["dmd", "patch", "gan", "fake_diffusion", "fake_disc"] {
                assert!(l[key].as_f64().is_some_and(f64::is_finite), "{schedule}: {key} in {l}");
            }
        }
        for step in [0, 2, 4] {
            assert!(out.join(format!("samples/step_{step:06}.png")).is_file());
        }
        let student = TextToImage::from_files(&swd_train::fsutil::read_model(&out.join("model")).unwrap(), &common::cpu()).unwrap();
        assert_eq!(student.config.default_schedule, schedule);
        assert_ne!(model_bytes(&out.join("model")), teacher_before, "the student moved");
    }
    assert_eq!(model_bytes(&teacher), teacher_before, "the teacher never changes");
}

#[test]
fn resume_continues_exactly() {
    let (data, teacher) = setup("resume");
    let cfg = tiny_config();
    let straight = scratch("resume-straight");
    run(cfg.clone(), &teacher, &data, &straight, false).unwrap();
    let split = scratch("resume-split");
    run(DistillConfig { steps: 2, ..cfg.clone() }, &teacher, &data, &split, false).unwrap();
    run(cfg.clone(), &teacher, &data, &split, true).unwrap();
    let losses = |d: &Path| -> Vec<String> {
        log(d).iter().map(|l| format!("{} {} {} {}", l["dmd"], l["patch"], l["gan"], l["fake_diffusion"])).collect()
    };
    assert_eq!(losses(&straight), losses(&split));
    let read = |d: &Path, f: &str| std::fs::read(d.join("checkpoint").join(f)).unwrap();
    assert_eq!(read(&straight, "student.safetensors"), read(&split, "student.safetensors"));
    assert_eq!(read(&straight, "critic.safetensors"), read(&split, "critic.safetensors"));

    let err = run(DistillConfig { lr: 1e-3, ..cfg.clone() }, &teacher, &data, &split, true).unwrap_err().to_string();
    assert!(err.contains("config differs"), "{err}");
    let err = run(cfg, &teacher, &data, &split, false).unwrap_err().to_string();
    assert!(err.contains("--resume"), "{err}");
}

#[test]
fn each_loss_trains_only_its_own_networks() {
    let plain = common::cpu();
    let device = plain.clone().autodiff();
    let tokenizer = TextTokenizer::build(&["3d emoji: red apple", "flat emoji: cat"]).unwrap();
    let config = ModelConfig::tiny(tokenizer.vocab_size());
    let teacher = TextToImage::init(config.clone(), tokenizer.clone(), &plain).unwrap();
    let files = teacher.to_files(StoreDtype::F32).unwrap();
    let student = TextToImage::from_files(&files, &device).unwrap().model;
    let critic = Critic::from_teacher(TextToImage::from_files(&files, &device).unwrap().model, &config, &device);
    let cfg = tiny_config();
    let mut rng = NoiseRng::new(3);
    let input = StepInput {
        prompts: vec!["3d emoji: red apple".into(), "flat emoji: cat".into()],
        real: Tensor::<4>::zeros([2, 3, 32, 32], &plain),
        x_in: Tensor::<4>::ones([2, 3, 32, 32], &plain) * 0.3,
        sigma: 0.8,
        shard: Shard::whole(2),
    };
    let has_grad =
        |p: &swd_core::burn::module::Param<Tensor<4>>, g: &_| p.val().grad(g).is_some_and(|g| g.abs().sum().into_scalar::<f32>() > 0.0);
    let has_grad2 =
        |p: &swd_core::burn::module::Param<Tensor<2>>, g: &_| p.val().grad(g).is_some_and(|g| g.abs().sum().into_scalar::<f32>() > 0.0);

    let (total, terms) = generator_loss(&student, &critic, &teacher, &input, &cfg, &mut rng, &device).unwrap();
    assert_eq!(terms.iter().map(|t| t.0).collect::<Vec<_>>(), vec!["dmd", "patch", "gan"]);
    let grads = total.backward();
    assert!(has_grad(&student.unet.conv_out.weight, &grads), "student UNet trains");
    assert!(has_grad2(&student.text_encoder.token_embedding.weight, &grads), "student text encoder trains");
    assert!(!has_grad(&critic.fake.unet.conv_out.weight, &grads), "fake score frozen in the generator step");
    assert!(!has_grad2(&critic.head.linears[0].weight, &grads), "head frozen in the generator step");

    let (loss, _, disc) = critic_loss(&critic, &student.valid(), &teacher, &input, &cfg, &mut rng, &device).unwrap();
    assert!(disc.is_some());
    let grads = loss.backward();
    assert!(has_grad(&critic.fake.unet.conv_out.weight, &grads), "fake score trains");
    assert!(has_grad2(&critic.head.linears[0].weight, &grads), "head trains");
    assert!(!has_grad(&student.unet.conv_out.weight, &grads), "student untouched by the critic step");
}

#[test]
fn bad_setups_give_clear_errors() {
    let (data, teacher) = setup("errors");
    let out = scratch("errors-run");
    // The fixture images are 64²: a schedule ending at 128 cannot be fed real images.
    let err = run(DistillConfig { schedule: "swd:64,128@1,0.5,0".into(), ..tiny_config() }, &teacher, &data, &out, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("ends at 128"), "{err}");
    let err = DistillConfig { schedule: "euler:8".into(), ..tiny_config() }.validate().unwrap_err().to_string();
    assert!(err.contains("Euler"), "{err}");
    let err = DistillConfig { w_dmd: 0.0, w_gan: 0.0, w_patch: 0.0, ..tiny_config() }.validate().unwrap_err().to_string();
    assert!(err.contains("nothing to train"), "{err}");
    let err = DistillConfig { dmd_sigma: [0.5, 0.2], ..tiny_config() }.validate().unwrap_err().to_string();
    assert!(err.contains("dmd_sigma"), "{err}");
    let err = run(tiny_config(), &scratch("no-teacher"), &data, &out, false).unwrap_err().to_string();
    assert!(err.contains("does not exist") || err.contains("no-teacher"), "{err}");
}

#[test]
fn lora_trains_only_adapters_resumes_exactly_and_ships_merged() {
    let (data, teacher) = setup("lora");
    let cfg = DistillConfig { lora_rank: 2, lora_alpha: 2.0, ..tiny_config() };
    let straight = scratch("lora-straight");
    run(cfg.clone(), &teacher, &data, &straight, false).unwrap();
    let split = scratch("lora-split");
    run(DistillConfig { steps: 2, ..cfg.clone() }, &teacher, &data, &split, false).unwrap();
    run(cfg.clone(), &teacher, &data, &split, true).unwrap();
    let read = |d: &Path| std::fs::read(d.join("checkpoint/student.safetensors")).unwrap();
    assert_eq!(read(&straight), read(&split), "resume continues exactly with adapters");
    // The checkpoint holds adapters; the shipped folder has them merged into a plain model.
    let names: Vec<String> = swd_core::weights::parse(&read(&straight)).unwrap().names().into_iter().map(String::from).collect();
    assert!(names.iter().any(|n| n.contains(".lora.")), "adapters in the checkpoint");
    let files = swd_train::fsutil::read_model(&straight.join("model")).unwrap();
    TextToImage::from_files(&files, &common::cpu()).expect("merged model loads as a plain model");
    assert_ne!(model_bytes(&straight.join("model")), model_bytes(&teacher), "the adapters changed the function");
    // Frozen base: every non-adapter tensor of the student checkpoint equals the teacher's.
    let ck = read(&straight);
    let teacher_bytes = model_bytes(&teacher);
    let (ck, base) = (swd_core::weights::parse(&ck).unwrap(), swd_core::weights::parse(&teacher_bytes).unwrap());
    for name in names.iter().filter(|n| !n.contains(".lora.")) {
        assert_eq!(ck.tensor(name).unwrap().data(), base.tensor(name).unwrap().data(), "{name} must stay frozen");
    }
    let err = DistillConfig { lora_rank: 4, lora_alpha: 0.0, ..tiny_config() }.validate().unwrap_err().to_string();
    assert!(err.contains("lora_alpha"), "{err}");
}

#[test]
fn backward_simulation_feeds_the_students_own_samples() {
    let (data, teacher) = setup("backsim");
    let out = scratch("backsim-run");
    let cfg = DistillConfig { backward_simulation: true, ..tiny_config() };
    let summary = run(cfg, &teacher, &data, &out, false).unwrap();
    assert_eq!(summary.steps_done, 4);
    let lines = log(&out);
    let visited: Vec<u64> = lines.iter().map(|l| l["scale"].as_u64().unwrap()).collect();
    assert_eq!(visited, [32, 40, 48, 64], "inputs at every scale, built from the student's samples");
    assert!(lines.iter().all(|l| l["dmd"].as_f64().is_some_and(f64::is_finite)));
    // A different input source gives a different run than down-up real images.
    let plain = scratch("backsim-plain");
    run(tiny_config(), &teacher, &data, &plain, false).unwrap();
    assert_ne!(log(&out)[1]["dmd"], log(&plain)[1]["dmd"]);
}

#[test]
fn every_shipped_distill_config_loads() {
    let dir = common::repo("configs");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("distill-") && name.ends_with(".toml") {
            let cfg = DistillConfig::load(&path, &[]).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            assert!(cfg.steps > 0 && cfg.batch_size > 0, "{name}");
            names.push(name);
        }
    }
    names.sort();
    assert_eq!(names, ["distill-demo.toml", "distill-gpu.toml", "distill-tiny.toml"]);
    let gpu = DistillConfig::load(&dir.join("distill-gpu.toml"), &[]).unwrap();
    assert_eq!((gpu.batch_size, gpu.fake_updates_per_step), (32, 5), "the paper's recipe");
}
