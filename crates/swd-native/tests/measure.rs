//! The measurement pipeline end to end on the committed fixture emoji: train-evalnet → eval
//! (twice: the second run reads the cached real statistics and reproduces the numbers) →
//! bench (with --train) → report (table, plot, side-by-side grid); and its error paths.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn evalnet_eval_bench_report() {
    let dir = scratch("measure");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let data = dir.join("data");
    ok(&["data", "build", "--out", &s(&data), "--cache", &s(&repo("tests/fixtures/emoji-cache")), "--size", "64", "--no-128"]);

    // The evaluation network: trains, reports held-out accuracy, ships f16 weights.
    let run_dir = dir.join("evalnet-run");
    let evalnet_config = s(&repo("configs/evalnet.toml"));
    let text = ok(&[
        "train-evalnet",
        "--config",
        &evalnet_config,
        "--data",
        &s(&data),
        "--out",
        &s(&run_dir),
        "--steps",
        "60",
        "--set",
        "batch_size=16",
        "--set",
        "warmup_steps=6",
    ]);
    assert!(text.contains("held-out") && text.contains("top-1"), "{text}");
    let evalnet = run_dir.join("evalnet");
    let report = json(&evalnet.join("report.json"));
    // The fixture holds no multi-tone emoji, so no held-out split: reported as missing, not faked.
    assert_eq!(report["heldout"]["n"].as_u64(), Some(0));
    assert!(report["heldout"]["top1"].is_null(), "{report}");
    assert!(text.contains("top-1 n/a"), "{text}");
    // It learned: well above the majority class (12 of 28 images).
    let top1 = report["train_sample"]["top1"].as_f64().unwrap();
    assert!(top1 >= 0.75, "training-sample top-1 {top1}");
    let weights = std::fs::read(evalnet.join("weights.safetensors")).unwrap();
    assert!(weights.windows(5).any(|w| w == b"\"F16\""), "shipped weights are f16");
    let again = run(&["train-evalnet", "--config", &evalnet_config, "--data", &s(&data), "--out", &s(&run_dir), "--set", "warmup_steps=6"]);
    assert_clean_error(&again, "--resume");
    // --resume continues it: the parameters keep the ids the saved optimizer layout names.
    let resumed = ok(&[
        "train-evalnet",
        "--config",
        &evalnet_config,
        "--data",
        &s(&data),
        "--out",
        &s(&run_dir),
        "--steps",
        "64",
        "--set",
        "batch_size=16",
        "--set",
        "warmup_steps=6",
        "--resume",
    ]);
    assert!(resumed.contains("4 steps at"), "{resumed}");

    // A tiny teacher on the fixture data (its tokenizer matches the dataset's, as --train needs).
    let teacher_run = dir.join("teacher");
    ok(&[
        "train-teacher",
        "--config",
        &s(&repo("configs/teacher-tiny.toml")),
        "--data",
        &s(&data),
        "--out",
        &s(&teacher_run),
        "--steps",
        "2",
    ]);
    let model = teacher_run.join("model");

    let runs = dir.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    let eval = |schedule: &str, name: &str| {
        let out = runs.join(format!("{name}.json"));
        let text = ok(&[
            "eval",
            "--model",
            &s(&model),
            "--schedule",
            schedule,
            "--data",
            &s(&data),
            "--evalnet",
            &s(&evalnet),
            "--n",
            "12",
            "--batch",
            "4",
            "--bootstrap",
            "20",
            "--json",
            &s(&out),
        ]);
        (text, json(&out))
    };
    let (first_text, first) = eval("swd4", "swd4");
    assert!(!first_text.contains("from the cache"));
    for key in ["fid", "precision", "recall", "diversity"] {
        let v = first[key].as_f64().unwrap_or_else(|| panic!("{key} missing: {first}"));
        assert!(v.is_finite() && v >= 0.0, "{key} = {v}");
    }
    assert!(first["precision"].as_f64().unwrap() <= 1.0 && first["recall"].as_f64().unwrap() <= 1.0);
    assert_eq!((first["n"].as_u64(), first["nfe"].as_u64(), first["schedule"].as_str()), (Some(12), Some(4), Some("swd4")));
    assert!(first["real_prompt"]["top1"].as_f64().is_some() && first["prompt"]["top5"].as_f64().is_some());
    assert_eq!(first["intervals"]["resamples"].as_u64(), Some(20));
    for key in ["fid", "precision", "recall", "top1", "top5", "diversity"] {
        let (lo, hi) = (first["intervals"][key]["lo"].as_f64().unwrap(), first["intervals"][key]["hi"].as_f64().unwrap());
        assert!(lo <= hi, "{key}: [{lo}, {hi}]");
    }
    for key in ["top1", "top5"] {
        let (lo, hi, v) = (
            first["intervals"][key]["lo"].as_f64().unwrap(),
            first["intervals"][key]["hi"].as_f64().unwrap(),
            first["prompt"][key].as_f64().unwrap(),
        );
        assert!(lo <= v && v <= hi, "{key} {v} outside its interval [{lo}, {hi}]");
    }
    assert!(first_text.contains("95% interval (20 resamples)"), "{first_text}");
    assert_eq!(image_dims(&runs.join("swd4.png")), (4 * 64 + 6, 3 * 64 + 4), "12 samples in a 4-column grid");
    // Second run: real statistics from the cache, same fixed seeds → the same numbers.
    let (second_text, second) = eval("swd4", "swd4-again");
    assert!(second_text.contains("from the cache"), "{second_text}");
    assert_eq!(first["fid"], second["fid"]);
    assert_eq!(first["precision"], second["precision"]);
    eval("full4", "full4");

    // Speed, inference and training steps.
    let bench_json = runs.join("bench.json");
    let text = ok(&[
        "bench",
        "--model",
        &s(&model),
        "--schedules",
        "full4,swd4",
        "--repeats",
        "1",
        "--batch",
        "2",
        "--json",
        &s(&bench_json),
        "--train",
        "--data",
        &s(&data),
        "--distill-config",
        &s(&repo("configs/distill-tiny.toml")),
        "--teacher-config",
        &s(&repo("configs/teacher-tiny.toml")),
    ]);
    assert!(text.contains("distill swd4") && text.contains("distill full4") && text.contains("| teacher |"), "{text}");
    let bench = json(&bench_json);
    let train = bench["train"].as_array().unwrap();
    assert_eq!(train.len(), 3);
    assert!(train.iter().all(|r| r["s_per_step"].as_f64().unwrap() > 0.0 && r["steps_timed"].as_u64().unwrap() >= 1));
    // One untimed cycle (4 steps) before the timed one in a distillation run, one step in the teacher's.
    for r in train {
        let (first, warmup) = (r["first_step_s"].as_f64().unwrap(), r["warmup_s"].as_f64().unwrap());
        let timed = r["steps_timed"].as_u64().unwrap();
        assert!(first > 0.0 && warmup >= first, "{r}");
        assert_eq!(timed, 4, "{r}");
        assert_eq!(warmup > first, r["name"] != "teacher", "{r}");
    }

    // The report: one row per eval, latency joined from the bench run, plot and grid.
    let md_path = dir.join("out/report.md");
    ok(&["report", "--runs", &s(&runs), "--out", &s(&md_path)]);
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.contains("| model | schedule | steps | NFE | ms/image |") && md.contains("## Speed on `cpu (flex)`"), "{md}");
    let rows: Vec<Vec<&str>> = md
        .lines()
        .filter(|l| l.starts_with("| teacher/model | swd4 |") || l.starts_with("| teacher/model | full4 |"))
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), 3, "{md}");
    assert!(rows.iter().all(|cells| cells[5].parse::<f64>().is_ok()), "latency joined from the bench run: {md}");
    assert!(md.contains("report_plot.png") && md.contains("report_samples.png"), "{md}");
    assert_eq!(image_dims(&dir.join("out/report_plot.png")), (900, 600));
    let (w, h) = image_dims(&dir.join("out/report_samples.png"));
    assert!(w > 3 * (4 * 64 + 6) && h > 3 * 64, "three columns side by side: {w}×{h}");

    // Errors: one clear line each.
    assert_clean_error(
        &run(&["eval", "--model", &s(&model), "--data", &s(&data), "--evalnet", &s(&dir.join("nope"))]),
        "evaluation network folder",
    );
    assert_clean_error(&run(&["eval", "--model", &s(&model), "--data", &s(&data), "--evalnet", &s(&evalnet), "--n", "2"]), "n ≥");
    assert_clean_error(&run(&["eval", "--model", &s(&model), "--data", &s(&data), "--evalnet", &s(&evalnet), "--k", "0"]), "k ≥ 1");
    assert_usage_error(&run(&["bench", "--model", &s(&model), "--train"]), "--data <DATA>");
    std::fs::write(runs.join("junk.json"), "{\"hello\": 1}").unwrap();
    assert_clean_error(&run(&["report", "--runs", &s(&runs)]), "neither an `eval --json` nor a `bench --json`");
    assert_clean_error(&run(&["report", "--runs", &s(&dir.join("missing"))]), "does not exist");
}
