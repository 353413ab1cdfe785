//! The CLI end to end: init → info → generate, and its error paths (one clear line, non-zero
//! exit, never a panic).

mod common;

use std::path::Path;

use common::*;

#[test]
fn init_info_generate() {
    let dir = scratch("happy");
    let model = init_tiny(&dir);
    let m = model.to_str().unwrap();

    let info = run(&["info", "--model", m]);
    assert!(info.status.success(), "{}", stderr(&info));
    assert!(stdout(&info).contains("parameters:") && stdout(&info).contains("\"preset\": \"tiny\""));

    for (schedule, scales) in [("swd4", vec![32, 40, 48, 64]), ("full4", vec![64; 4]), ("euler:3@32", vec![32; 3])] {
        let png = dir.join(format!("{}.png", schedule.replace([':', '@'], "_")));
        let out = run(&[
            "generate",
            "--model",
            m,
            "--prompt",
            "3d emoji: red apple",
            "--schedule",
            schedule,
            "--count",
            "2",
            "--out",
            png.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{schedule}: {}", stderr(&out));
        let text = stdout(&out);
        for (i, s) in scales.iter().enumerate() {
            assert!(text.contains(&format!("step {:2}  scale {:3}", i + 1, s)), "{text}");
        }
        let img = image_dims(&png);
        let side = *scales.last().unwrap() as u32;
        assert_eq!(img, (2 * side + 2, side), "two images side by side with a gap");
    }

    let warm = run(&["generate", "--model", m, "--prompt", "cat", "--warmup", "--out", dir.join("w.png").to_str().unwrap()]);
    assert!(warm.status.success() && stdout(&warm).contains("after one warm-up run"), "{}", stderr(&warm));

    // A prompts file: one cell per line (blank lines skipped) times --count; 3 × 2 = 6 cells
    // → a 3 × 2 grid.
    let prompts = dir.join("prompts.txt");
    std::fs::write(&prompts, "3d emoji: red apple\n\nflat emoji: cat\ndog\n").unwrap();
    let grid = dir.join("grid.png");
    let out = run(&[
        "generate",
        "--model",
        m,
        "--prompts",
        prompts.to_str().unwrap(),
        "--count",
        "2",
        "--schedule",
        "euler:2@16",
        "--out",
        grid.to_str().unwrap(),
    ]);
    assert!(out.status.success() && stdout(&out).contains("6 image(s)"), "{}", stderr(&out));
    assert_eq!(image_dims(&grid), (3 * 18 - 2, 2 * 18 - 2));

    // bench: one row per schedule plus the teacher's, ratios against full4, JSON for tools.
    let json_path = dir.join("bench.json");
    let out =
        run(&["bench", "--model", m, "--schedules", "full4,swd4", "--repeats", "1", "--batch", "2", "--json", json_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bench: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let rows = bench["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["schedule"].as_str().unwrap()).collect();
    assert_eq!(names, ["euler:32@64", "full4", "swd4"]);
    assert_eq!(rows[0]["nfe"], 64, "teacher with guidance: two evaluations per step");
    assert!((rows[1]["speedup_vs_full4"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert!(rows.iter().all(|r| r["ms_per_image"].as_f64().unwrap() > 0.0 && r["images_per_s"].as_f64().unwrap() > 0.0));

    // export to PyTorch's layout and import it back: the same weights.
    let pt = dir.join("weights.safetensors");
    let out = run(&["export", "--model", m, "--format", "safetensors-pytorch", "--out", pt.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let back = dir.join("back");
    let (cfg, tok) = (model.join("config.json"), model.join("tokenizer.json"));
    let out = run(&[
        "import",
        "--from",
        pt.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--tokenizer",
        tok.to_str().unwrap(),
        "--out",
        back.to_str().unwrap(),
    ]);
    assert!(out.status.success() && stdout(&out).contains("applied"), "{}", stderr(&out));
    let (x, y) = (dir.join("orig.png"), dir.join("back.png"));
    for (mdir, png) in [(m, &x), (back.to_str().unwrap(), &y)] {
        assert!(
            run(&["generate", "--model", mdir, "--prompt", "cat", "--schedule", "swd4", "--out", png.to_str().unwrap()]).status.success()
        );
    }
    assert_eq!(std::fs::read(&x).unwrap(), std::fs::read(&y).unwrap(), "the round-tripped model draws the same image");

    // Same seed, same bytes.
    let a = dir.join("a.png");
    let b = dir.join("b.png");
    for p in [&a, &b] {
        assert!(
            run(&["generate", "--model", m, "--prompt", "flat emoji: cat", "--seed", "9", "--out", p.to_str().unwrap()]).status.success()
        );
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn errors_are_one_clear_line() {
    let dir = scratch("errors");
    let model = init_tiny(&dir);
    let m = model.to_str().unwrap();
    let png = dir.join("x.png");
    let p = png.to_str().unwrap();

    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", "--model", m, "--prompt", "cat", "--out", p];
        args.extend_from_slice(extra);
        run(&args)
    };
    // Bad values stop in the parser, before any model loads: clap's message and usage line.
    assert_usage_error(&generate(&["--schedule", "swd5"]), "invalid schedule 'swd5'");
    assert_usage_error(&generate(&["--schedule", "swd:32,64@1,0.5,0.2"]), "last sigma must be 0");
    assert_usage_error(&generate(&["--count", "0"]), "--count");
    assert_usage_error(&generate(&["--cfg", "NaN"]), "guidance must be a finite number");
    assert_usage_error(&generate(&["--upsample", "cubic"]), "[possible values: bicubic, bilinear, nearest]");
    let nowhere = ["generate", "--model", "/nonexistent/model", "--prompt", "cat", "--out", p, "--schedule", "swd5"];
    assert_usage_error(&run(&nowhere), "invalid schedule 'swd5'");
    assert_clean_error(&run(&["generate", "--model", m, "--prompt", "cat", "--out", "x.jpg"]), "must end in .png");
    assert_clean_error(&run(&["generate", "--model", "/nonexistent/model", "--prompt", "cat", "--out", p]), "does not exist");
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "\n  \n").unwrap();
    assert_clean_error(&run(&["generate", "--model", m, "--prompts", empty.to_str().unwrap(), "--out", p]), "has no prompts");
    assert_clean_error(&run(&["generate", "--model", m, "--prompts", "/nonexistent/p.txt", "--out", p]), "cannot read --prompts");
    let out = run(&["generate", "--model", m, "--prompt", "cat", "--prompts", empty.to_str().unwrap(), "--out", p]);
    assert!(!out.status.success() && stderr(&out).contains("cannot be used with"), "{}", stderr(&out));
    assert_clean_error(
        &run(&["distill", "--teacher", m, "--data", "/nonexistent/data", "--config", "/nonexistent/d.toml", "--out", p]),
        "cannot read config",
    );
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/distill-tiny.toml");
    let cfg = cfg.to_str().unwrap();
    assert_clean_error(
        &run(&["distill", "--teacher", m, "--data", "/nonexistent/data", "--config", cfg, "--schedule", "euler:4", "--out", p]),
        "Euler schedule",
    );
    assert_clean_error(&run(&["distill", "--teacher", m, "--data", "/nonexistent/data", "--config", cfg, "--out", p]), "does not exist");
    assert_usage_error(&run(&["export", "--model", m, "--format", "onnx", "--out", p]), "[possible values: swd, safetensors-pytorch]");
    assert_usage_error(&run(&["bench", "--model", m, "--repeats", "0"]), "--repeats");
    let long = "a".repeat(2000);
    assert_clean_error(&run(&["generate", "--model", m, "--prompt", &long, "--out", p]), "too long (2000 characters; at most 1000)");
    // --set: an unknown key and a value of the wrong type are named before anything runs.
    let set = |kv: &str| run(&["distill", "--teacher", m, "--data", "/nonexistent/data", "--config", cfg, "--out", p, "--set", kv]);
    assert_clean_error(&set("batchsize=4"), "--set batchsize: unknown key");
    assert_clean_error(&set("batch_size=four"), "--set batch_size=\"four\"");

    // clap's own errors (bad seed) are clean too.
    let out = generate(&["--seed", "-3"]);
    assert!(!out.status.success() && !stderr(&out).contains("panicked"));
    let out = generate(&["--seed", "abc"]);
    assert!(!out.status.success() && stderr(&out).contains("--seed"));

    // Corrupt weights.
    std::fs::write(model.join("model.safetensors"), b"\x10\x00\x00\x00\x00\x00\x00\x00{}").unwrap();
    assert_clean_error(&generate(&[]), "weights");
    std::fs::write(model.join("config.json"), b"{").unwrap();
    assert_clean_error(&run(&["info", "--model", m]), "invalid model config");

    // init refuses to overwrite.
    assert_clean_error(&run(&["init", "--out", m]), "--force");
    assert_clean_error(&run(&["init", "--out", dir.join("m2").to_str().unwrap(), "--captions", "/nope.txt"]), "cannot read captions file");
}
