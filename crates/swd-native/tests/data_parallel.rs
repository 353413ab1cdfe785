//! Data-parallel training under OpenMPI's `mpirun` on the CPU backend: 2 ranks × B/2 against
//! 1 rank × B (teacher, swd4 with backward simulation, full4), a run resumed on another number of
//! ranks, Ctrl-C, `kill -9` of one rank, and the errors of a job. Needs the `mpi` feature and
//! `mpirun` (scripts/setup.sh installs OpenMPI).
#![cfg(feature = "mpi")]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use swd_core::burn::tensor::Device;

/// Weights and logged losses of 2 ranks may differ from 1 rank's by float summation order only.
const WEIGHT_TOLERANCE: f32 = 1e-5;
const LOSS_TOLERANCE: f64 = 1e-5;

fn repo(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel).to_str().unwrap().to_string()
}

/// `mpirun -n N swd-native …` as root in a container on 2 cores (see data-parallel notes).
fn mpirun(n: usize, args: &[&str]) -> Command {
    let mut cmd = Command::new("mpirun");
    cmd.args(["--bind-to", "none", "-n", &n.to_string(), env!("CARGO_BIN_EXE_swd-native")]).args(args);
    for (k, v) in [
        ("OMPI_ALLOW_RUN_AS_ROOT", "1"),
        ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
        ("OMPI_MCA_rmaps_base_oversubscribe", "1"),
        ("OMPI_MCA_btl_vader_single_copy_mechanism", "none"),
    ] {
        cmd.env(k, v);
    }
    cmd
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    stdout(&out)
}

/// `args` as one plain process (n = 1) or as `n` MPI ranks.
fn train(n: usize, args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match n {
        1 => ok(run(&args)),
        n => ok(mpirun(n, &args).output().unwrap()),
    }
}

/// A tiny teacher run's arguments: `steps` steps into `out`, then `extra`.
fn teacher_run(data: &str, out: &Path, steps: usize, extra: &[&str]) -> Vec<String> {
    let config = repo("configs/teacher-tiny.toml");
    let args = ["train-teacher", "--config", &config, "--data", data, "--out", &s(out), "--steps", &steps.to_string()].map(String::from);
    args.into_iter().chain(extra.iter().map(|a| a.to_string())).collect()
}

/// The fixture dataset and a tiny teacher trained on it for 2 steps.
fn fixtures(dir: &Path) -> (String, String) {
    let data = dir.join("data").to_str().unwrap().to_string();
    ok(run(&["data", "build", "--out", &data, "--cache", &repo("tests/fixtures/emoji-cache"), "--size", "64", "--no-128"]));
    let teacher = dir.join("teacher").to_str().unwrap().to_string();
    ok(run(&["train-teacher", "--config", &repo("configs/teacher-tiny.toml"), "--data", &data, "--out", &teacher, "--steps", "2"]));
    (data, format!("{teacher}/model"))
}

fn weights(model: &Path) -> Vec<(String, Vec<f32>)> {
    let t2i = swd_train::fsutil::load_model(model, &Device::flex()).unwrap();
    swd_core::weights::collect(&t2i.model).into_iter().map(|(name, _, values)| (name, values)).collect()
}

fn max_weight_diff(a: &Path, b: &Path) -> f32 {
    let (a, b) = (weights(a), weights(b));
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(&b)
        .flat_map(|((na, va), (nb, vb))| {
            assert_eq!(na, nb);
            va.iter().zip(vb).map(|(x, y)| (x - y).abs())
        })
        .fold(0.0, f32::max)
}

/// Every logged loss of two runs, step by step: (max difference, number compared).
fn max_loss_diff(a: &Path, b: &Path) -> (f64, usize) {
    let read = |dir: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(dir.join("log.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let (a, b) = (read(a), read(b));
    assert_eq!(a.len(), b.len(), "both runs log every step");
    let mut worst = (0.0f64, 0);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["step"], y["step"]);
        for (key, value) in x.as_object().unwrap() {
            if ["step", "step_s", "steps_per_s"].contains(&key.as_str()) {
                continue;
            }
            let (p, q) = (value.as_f64().unwrap(), y[key].as_f64().unwrap());
            worst = (worst.0.max((p - q).abs()), worst.1 + 1);
        }
    }
    worst
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

#[test]
fn two_ranks_train_the_teacher_as_one_rank_does() {
    let dir = scratch("dp-teacher");
    let (data, _) = fixtures(&dir);
    let (one, two) = (dir.join("one"), dir.join("two"));
    train(1, &teacher_run(&data, &one, 6, &[]));
    let text = train(2, &teacher_run(&data, &two, 6, &[]));
    // Rank 0 alone reports; both name their rank and device.
    assert!(text.contains("rank 0 of 2 (local 0), cpu (flex)") && text.contains("rank 1 of 2 (local 1), cpu (flex)"), "{text}");
    assert_eq!(text.matches("6 steps at").count(), 1, "{text}");
    let (loss, n) = max_loss_diff(&one, &two);
    let weight = max_weight_diff(&one.join("model"), &two.join("model"));
    println!("teacher, 6 steps, batch 8: 1 rank vs 2 ranks: max |Δweight| {weight:e}, max |Δloss| {loss:e} over {n} values");
    assert!(weight <= WEIGHT_TOLERANCE && loss <= LOSS_TOLERANCE, "Δweight {weight}, Δloss {loss}");
    // The trained weights moved: equality is not two untouched copies.
    assert!(max_weight_diff(&one.join("model"), &dir.join("teacher/model")) > 1e-3);
    let line = std::fs::read_to_string(two.join("log.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(first["ranks"], 2);
    assert!(first["allreduce_mb"].as_f64().unwrap() > 1.0 && first["allreduce_s"].as_f64().unwrap() > 0.0, "{first}");
}

#[test]
fn two_ranks_distil_as_one_rank_does() {
    let dir = scratch("dp-distill");
    let (data, teacher) = fixtures(&dir);
    let config = repo("configs/distill-tiny.toml");
    for (schedule, extra) in [("swd4", "backward_simulation=true"), ("full4", "w_fake_disc=0.01")] {
        let (one, two) = (dir.join(format!("{schedule}-1")), dir.join(format!("{schedule}-2")));
        let args = |out: &Path| {
            let out = s(out);
            ["distill", "--teacher", &teacher, "--config", &config, "--data", &data, "--schedule", schedule]
                .into_iter()
                .chain(["--set", "batch_size=4", "--set", extra, "--out", &out])
                .map(String::from)
                .collect::<Vec<String>>()
        };
        train(1, &args(&one));
        train(2, &args(&two));
        let (loss, n) = max_loss_diff(&one, &two);
        let weight = max_weight_diff(&one.join("model"), &two.join("model"));
        println!("distill {schedule}, 4 steps, batch 4: 1 rank vs 2 ranks: max |Δweight| {weight:e}, max |Δloss| {loss:e} over {n} values");
        assert!(weight <= WEIGHT_TOLERANCE && loss <= LOSS_TOLERANCE, "{schedule}: Δweight {weight}, Δloss {loss}");
    }
}

#[test]
fn a_run_resumes_on_another_number_of_ranks() {
    let dir = scratch("dp-resume");
    let (data, _) = fixtures(&dir);
    let (straight, split) = (dir.join("straight"), dir.join("split"));
    let every = ["--set", "checkpoint_every=3"];
    train(1, &teacher_run(&data, &straight, 6, &every));
    train(2, &teacher_run(&data, &split, 3, &every));
    train(1, &teacher_run(&data, &split, 6, &["--set", "checkpoint_every=3", "--resume"]));
    let weight = max_weight_diff(&dir.join("straight/model"), &dir.join("split/model"));
    let (loss, _) = max_loss_diff(&dir.join("straight"), &dir.join("split"));
    println!("teacher, 3 steps on 2 ranks then 3 on 1 vs 6 on 1: max |Δweight| {weight:e}, max |Δloss| {loss:e}");
    assert!(weight <= WEIGHT_TOLERANCE && loss <= LOSS_TOLERANCE, "Δweight {weight}, Δloss {loss}");
}

/// Starts a long 2-rank teacher run in `out` and waits for its first checkpoint.
fn long_run(data: &str, out: &Path) -> std::process::Child {
    let args = teacher_run(data, out, 100_000, &["--set", "checkpoint_every=5"]);
    let child =
        mpirun(2, &args.iter().map(String::as_str).collect::<Vec<_>>()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while !out.join("checkpoint/state.json").exists() {
        assert!(started.elapsed() < Duration::from_secs(120), "no checkpoint after 2 minutes");
        std::thread::sleep(Duration::from_millis(200));
    }
    child
}

/// Waits for `child` to exit, at most `limit`.
fn exits_within(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < limit, "the job still runs {limit:?} later");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The ranks of an `mpirun` (its children).
fn ranks_of(mpirun: u32) -> Vec<i32> {
    let out = Command::new("ps").args(["-o", "pid=", "--ppid", &mpirun.to_string()]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(|p| p.parse().unwrap()).collect()
}

fn step_of(run: &Path) -> u64 {
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(run.join("checkpoint/state.json")).unwrap()).unwrap();
    state["step"].as_u64().unwrap()
}

#[test]
fn ctrl_c_stops_every_rank_at_one_step_with_a_checkpoint() {
    let dir = scratch("dp-ctrl-c");
    let (data, _) = fixtures(&dir);
    let out = dir.join("run");
    let mut child = long_run(&data, &out);
    // What a terminal's Ctrl-C does: SIGINT to mpirun, which passes it to the ranks.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    exits_within(&mut child, Duration::from_secs(30));
    let text = String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned();
    assert_eq!(text.matches("stopped early; the checkpoint is saved").count(), 1, "{text}");
    let step = step_of(&out);
    let last_logged = std::fs::read_to_string(out.join("log.jsonl")).unwrap().lines().count() as u64;
    assert_eq!(step, last_logged, "the checkpoint is of the last step done");
    // It continues, on one rank.
    train(1, &teacher_run(&data, &out, step as usize + 1, &["--set", "checkpoint_every=5", "--resume"]));
    assert_eq!(step_of(&out), step + 1);
}

#[test]
fn kill_9_of_one_rank_ends_the_job_and_keeps_the_last_checkpoint() {
    let dir = scratch("dp-kill");
    let (data, _) = fixtures(&dir);
    let out = dir.join("run");
    let mut child = long_run(&data, &out);
    let ranks = ranks_of(child.id());
    assert_eq!(ranks.len(), 2, "{ranks:?}");
    let killed = Instant::now();
    unsafe { libc::kill(ranks[1], libc::SIGKILL) };
    let status = exits_within(&mut child, Duration::from_secs(30));
    println!("kill -9 of rank 1: mpirun ended in {:.1} s", killed.elapsed().as_secs_f64());
    assert!(!status.success());
    let err = String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned();
    assert!(err.contains("rank 1") && err.contains("signal 9"), "{err}");
    // No rank is left behind, and the last checkpoint loads.
    assert!(ranks.iter().all(|&pid| unsafe { libc::kill(pid, 0) } != 0 || is_zombie(pid)), "a rank survived");
    let step = step_of(&out);
    train(1, &teacher_run(&data, &out, step as usize + 1, &["--set", "checkpoint_every=5", "--resume"]));
    assert_eq!(step_of(&out), step + 1);
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.split_whitespace().nth(2) == Some("Z"))
}

#[test]
fn job_errors_name_the_rank_and_end_every_rank() {
    let dir = scratch("dp-errors");
    let (data, teacher) = fixtures(&dir);
    let args = teacher_run(&data, &dir.join("odd"), 2, &["--set", "batch_size=7"]);
    let out = mpirun(2, &args.iter().map(String::as_str).collect::<Vec<_>>()).output().unwrap();
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("error: rank") && err.contains("batch_size 7 does not divide among 2 ranks"), "{err}");
    let distill = repo("configs/distill-tiny.toml");
    let out = mpirun(
        2,
        &[
            "distill",
            "--teacher",
            &teacher,
            "--config",
            &distill,
            "--data",
            &data,
            "--out",
            &s(&dir.join("pool")),
            "--set",
            "patch_pooling=batch",
        ],
    )
    .output()
    .unwrap();
    assert!(!out.status.success() && stderr(&out).contains("patch_pooling = \"batch\""), "{}", stderr(&out));
    let out = mpirun(2, &["info", "--model", &teacher]).output().unwrap();
    assert!(!out.status.success() && stderr(&out).contains("only train-teacher and distill run on several ranks"), "{}", stderr(&out));
}

#[test]
fn one_rank_under_mpirun_is_a_plain_run() {
    let dir = scratch("dp-one");
    let (data, _) = fixtures(&dir);
    let (plain, launched) = (dir.join("plain"), dir.join("launched"));
    train(1, &teacher_run(&data, &plain, 3, &[]));
    let args = teacher_run(&data, &launched, 3, &[]);
    ok(mpirun(1, &args.iter().map(String::as_str).collect::<Vec<_>>()).output().unwrap());
    assert_eq!(max_weight_diff(&plain.join("model"), &launched.join("model")), 0.0, "bit for bit");
    assert_eq!(max_loss_diff(&plain, &launched).0, 0.0);
}
