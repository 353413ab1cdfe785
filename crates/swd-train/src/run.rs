//! The run skeleton every training loop (teacher, distillation, evaluation network) shares: the
//! run folder (`config.toml`, `log.jsonl`, `samples/`, `checkpoint/`), the new-run and
//! `--resume` checks, the log/sample/checkpoint cadence, the stop policy and the progress bar.
//! A loop reads
//! ```text
//! let (mut run, saved) = Run::open(&opts.run, cfg)?;      // saved: Some(checkpoint) on --resume
//! while let Some(log_now) = run.next_step(state.step) {
//!     …one step…; state.step += 1;
//!     if log_now { run.log(state.step, &[("loss", loss)])?; }
//!     let due = run.step_done(state.step);
//!     if due.checkpoint { run.checkpoint(files, &state)?; }
//!     if due.samples { …grid at run.sample_path(state.step)… }
//! }
//! let summary = run.finish(state.step);
//! ```
//! Ctrl-C or SIGTERM (the `stop` flag) ends every loop the same way: the step in flight
//! finishes, a checkpoint (and samples) follow, and the loop returns normally.
//!
//! In a data-parallel run every rank drives a `Run`; rank 0 alone writes the folder, and the
//! ranks agree after every step on whether any of them was asked to stop, so that all stop at the
//! same step.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::checkpoint::{self, Saved, State};
use crate::fsutil;
use crate::parallel::World;
use crate::toml_config::{self, RunConfig};

pub const CONFIG_FILE: &str = "config.toml";
pub const LOG_FILE: &str = "log.jsonl";
const SAMPLES_DIR: &str = "samples";

/// Where a run lives and how it is driven, as the CLI gives it.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub out: PathBuf,
    /// Continue the run in `out` from its last checkpoint.
    pub resume: bool,
    /// Set to stop after the current step with a checkpoint (Ctrl-C / SIGTERM).
    pub stop: Arc<AtomicBool>,
    pub progress: bool,
    /// The ranks of a data-parallel run ([`World::single`] for a plain one).
    pub world: World,
}

impl RunOptions {
    /// A plain run in `out`: one rank, no progress bar, stopped only by `stop`.
    pub fn new(out: PathBuf, resume: bool, stop: Arc<AtomicBool>) -> Self {
        Self { out, resume, stop, progress: false, world: World::single() }
    }
}

/// How long a run is and how often it logs, samples and checkpoints (the config's keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    pub steps: usize,
    pub log_every: usize,
    /// `None`: the loop draws no samples.
    pub sample_every: Option<usize>,
    pub checkpoint_every: usize,
}

impl Cadence {
    /// A loop that samples every `sample_every` steps.
    pub fn sampled(steps: usize, log_every: usize, sample_every: usize, checkpoint_every: usize) -> Self {
        Self { steps, log_every, sample_every: Some(sample_every), checkpoint_every }
    }

    /// Checks the cadence keys of a config.
    pub fn validate(&self) -> Result<()> {
        if self.steps == 0 {
            bail!("steps must be > 0");
        }
        if self.log_every == 0 || self.checkpoint_every == 0 || self.sample_every == Some(0) {
            bail!("log_every, sample_every and checkpoint_every must be > 0");
        }
        Ok(())
    }

    /// Every `every` steps and at the last one.
    fn at(&self, done: usize, every: usize) -> bool {
        done % every == 0 || done == self.steps
    }
}

/// A run config: its TOML keys plus the cadence they define.
pub trait Cadenced: RunConfig {
    fn cadence(&self) -> Cadence;
}

/// What is due after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub checkpoint: bool,
    pub samples: bool,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub steps_done: usize,
    pub steps_per_s: f64,
    /// Stopped by Ctrl-C / SIGTERM (with a checkpoint) before its last step.
    pub stopped_early: bool,
    /// The last logged value of each log field.
    pub last: BTreeMap<String, f64>,
}

pub struct Run {
    pub dir: PathBuf,
    cadence: Cadence,
    stop: Arc<AtomicBool>,
    world: World,
    stopping: bool,
    bar: ProgressBar,
    started: Instant,
    step_started: Instant,
    first_step: usize,
    /// The step of the last `log` call.
    logged: usize,
    last: BTreeMap<String, f64>,
}

impl Run {
    /// Opens the run folder for `config`. A new run refuses a folder that already holds one and
    /// saves the config; `--resume` needs the saved config to be the same run (equal but for
    /// `steps`), returns the newest checkpoint and trims the log to its step.
    pub fn open<C: Cadenced>(opts: &RunOptions, config: &C) -> Result<(Self, Option<Saved>)> {
        let dir = opts.out.clone();
        let writer = opts.world.is_writer();
        if writer {
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create run folder {}", dir.display()))?;
        }
        let config_path = dir.join(CONFIG_FILE);
        let saved = if opts.resume {
            let text =
                std::fs::read_to_string(&config_path).with_context(|| format!("cannot resume: {} is missing", config_path.display()))?;
            let before: C =
                toml::from_str(&text).with_context(|| format!("cannot resume: {} is not this kind of run", config_path.display()))?;
            if !toml_config::same_run(&before, config) {
                bail!("cannot resume: the config differs from the run's {} (only steps may change)", config_path.display());
            }
            let saved = Saved::open(&dir)?;
            if writer {
                trim_log(&dir.join(LOG_FILE), saved.state.step)?;
            }
            Some(saved)
        } else {
            if dir.join("checkpoint").exists() {
                bail!("{} already holds a run; pass --resume to continue it or choose another --out", dir.display());
            }
            None
        };
        if writer {
            fsutil::write_atomic(&config_path, toml_config::to_toml(config).as_bytes())?;
        }
        let cadence = config.cadence();
        let first_step = saved.as_ref().map_or(0, |s| s.state.step);
        let bar = progress_bar(cadence.steps, opts.progress && writer, "");
        bar.set_position(first_step as u64);
        let now = Instant::now();
        let run = Self {
            dir,
            cadence,
            stop: opts.stop.clone(),
            world: opts.world.clone(),
            stopping: false,
            bar,
            started: now,
            step_started: now,
            first_step,
            logged: first_step,
            last: BTreeMap::new(),
        };
        Ok((run, saved))
    }

    /// Before a step (`done` steps so far): `Some(log_now)`, whether this step is logged, or
    /// `None` when the run is over — every step done, or stopped after the previous step.
    pub fn next_step(&mut self, done: usize) -> Option<bool> {
        if done >= self.cadence.steps || self.stopping {
            return None;
        }
        self.step_started = Instant::now();
        Some(self.cadence.at(done + 1, self.cadence.log_every))
    }

    /// After the step that made `done` steps: what is due. A stop request seen here (on any
    /// rank) makes a checkpoint and samples due, and the next `next_step` ends the run.
    pub fn step_done(&mut self, done: usize) -> Result<Due> {
        self.bar.inc(1);
        self.stopping = self.world.any(self.stop.load(Ordering::SeqCst))? && done < self.cadence.steps;
        let due = |every: usize| self.stopping || self.cadence.at(done, every);
        Ok(Due { checkpoint: due(self.cadence.checkpoint_every), samples: self.cadence.sample_every.is_some_and(due) })
    }

    /// Whether this rank writes the run folder, its samples and models (rank 0).
    pub fn is_writer(&self) -> bool {
        self.world.is_writer()
    }

    /// Appends step `done`'s line to `log.jsonl`: `fields` plus the step, its seconds and the
    /// run's steps per second; the values also go to the progress bar and the summary. A value
    /// that is not finite ends the run with an error naming it.
    pub fn log(&mut self, done: usize, fields: &[(&str, f64)]) -> Result<()> {
        let mut line = serde_json::json!({ "step": done });
        let mut msg = Vec::new();
        for &(name, value) in fields {
            if !value.is_finite() {
                bail!("{name} became {value} at step {done}; lower the learning rate or check the data");
            }
            // Whole numbers (scales, counts) are written as integers.
            line[name] = if value.fract() == 0.0 && value.abs() < 1e15 { (value as i64).into() } else { value.into() };
            msg.push(format!("{name} {value:.4}"));
            self.last.insert(name.to_string(), value);
        }
        line["step_s"] = self.step_started.elapsed().as_secs_f64().into();
        line["steps_per_s"] = self.steps_per_s(done).into();
        let reduce = self.world.take_stats();
        if self.world.size() > 1 {
            // Per-step means since the last logged step.
            let steps = (done - self.logged).max(1) as f64;
            line["ranks"] = self.world.size().into();
            line["allreduce_s"] = (reduce.seconds / steps).into();
            line["allreduce_mb"] = (reduce.bytes as f64 / steps / 1e6).into();
        }
        self.logged = done;
        if !self.world.is_writer() {
            return Ok(());
        }
        self.bar.set_message(msg.join(" "));
        log_line(&self.dir.join(LOG_FILE), &line)
    }

    /// Writes `files` and `state` as the run's checkpoint (swapped in by renames); rank 0 only.
    pub fn checkpoint(&self, files: Vec<(&str, Vec<u8>)>, state: &State) -> Result<()> {
        if !self.world.is_writer() {
            return Ok(());
        }
        checkpoint::save(&self.dir, files, state)
    }

    /// Writes the fixed prompts of the sample grids (`samples/prompts.txt`); rank 0 only.
    pub fn sample_prompts(&self, prompts: &[String]) -> Result<()> {
        if !self.world.is_writer() {
            return Ok(());
        }
        let dir = self.dir.join(SAMPLES_DIR);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        fsutil::write_atomic(&dir.join("prompts.txt"), (prompts.join("\n") + "\n").as_bytes())
    }

    /// The sample grid of step `done`.
    pub fn sample_path(&self, done: usize) -> PathBuf {
        self.dir.join(SAMPLES_DIR).join(format!("step_{done:06}.png"))
    }

    pub fn finish(self, done: usize) -> RunSummary {
        self.bar.finish_and_clear();
        RunSummary {
            steps_done: done - self.first_step,
            steps_per_s: self.steps_per_s(done),
            stopped_early: self.stopping,
            last: self.last,
        }
    }

    fn steps_per_s(&self, done: usize) -> f64 {
        (done - self.first_step) as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
    }
}

/// The progress bar of long work (`unit` after the count, e.g. " images"); hidden unless `show`.
pub fn progress_bar(len: usize, show: bool, unit: &str) -> ProgressBar {
    let bar = if show { ProgressBar::new(len as u64) } else { ProgressBar::hidden() };
    let template = format!("{{bar:30}} {{pos}}/{{len}}{unit} {{per_sec}} eta {{eta}} {{msg}}");
    bar.set_style(ProgressStyle::with_template(&template).expect("template").progress_chars("=> "));
    bar
}

fn log_line(path: &Path, value: &serde_json::Value) -> Result<()> {
    let mut f =
        std::fs::OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("cannot open {}", path.display()))?;
    writeln!(f, "{value}")?;
    Ok(())
}

/// On `--resume` from the checkpoint of `step`: drops the log lines of later steps (a run killed
/// after its last checkpoint logged steps that it now runs again), so every step has one line.
fn trim_log(path: &Path, step: usize) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(()) };
    let after =
        |line: &str| serde_json::from_str::<serde_json::Value>(line).ok().and_then(|v| v["step"].as_u64()).is_some_and(|s| s > step as u64);
    let kept: String = text.lines().filter(|l| !after(l)).map(|l| format!("{l}\n")).collect();
    if kept.len() != text.len() {
        fsutil::write_atomic(path, kept.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Tiny {
        steps: usize,
        lr: f64,
    }

    impl RunConfig for Tiny {
        fn validate(&self) -> Result<()> {
            Ok(())
        }
    }

    impl Cadenced for Tiny {
        fn cadence(&self) -> Cadence {
            Cadence { steps: self.steps, log_every: 2, sample_every: Some(3), checkpoint_every: 4 }
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("swd-run-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn options(dir: &Path, resume: bool) -> RunOptions {
        RunOptions::new(dir.to_path_buf(), resume, Arc::new(AtomicBool::new(false)))
    }

    /// Runs `config` to its end (or a stop); the steps that logged, checkpointed and sampled.
    fn drive(opts: &RunOptions, config: &Tiny, stop_after: Option<usize>) -> Result<(Vec<[bool; 3]>, RunSummary)> {
        let (mut run, saved) = Run::open(opts, config)?;
        let mut state = saved.map_or(State { step: 0, rng: swd_core::noise::NoiseRng::new(1) }, |s| s.state);
        let mut seen = Vec::new();
        while let Some(log_now) = run.next_step(state.step) {
            state.step += 1;
            if log_now {
                run.log(state.step, &[("loss", 1.0 / state.step as f64)])?;
            }
            if Some(state.step) == stop_after {
                opts.stop.store(true, Ordering::SeqCst);
            }
            let due = run.step_done(state.step).unwrap();
            if due.checkpoint {
                run.checkpoint(vec![], &state)?;
            }
            seen.push([log_now, due.checkpoint, due.samples]);
        }
        Ok((seen, run.finish(state.step)))
    }

    #[test]
    fn cadence_stop_and_resume() {
        let dir = scratch("cadence");
        let config = Tiny { steps: 6, lr: 0.1 };
        // Stopped after step 3: a checkpoint and samples follow at once, and the loop ends.
        let (seen, summary) = drive(&options(&dir, false), &config, Some(3)).unwrap();
        assert_eq!(seen, vec![[false, false, false], [true, false, false], [false, true, true]]);
        assert!(summary.stopped_early && summary.steps_done == 3);
        assert_eq!(summary.last["loss"], 0.5);
        assert_eq!(Saved::open(&dir).unwrap().state.step, 3);
        // A new run refuses the folder; a resume with another lr refuses the config.
        assert!(drive(&options(&dir, false), &config, None).unwrap_err().to_string().contains("--resume"));
        let other = Tiny { lr: 0.2, ..config.clone() };
        assert!(drive(&options(&dir, true), &other, None).unwrap_err().to_string().contains("only steps may change"));
        // Resumed with more steps: 4..=8, logging every 2nd step, checkpoints every 4th, samples
        // every 3rd, and all three at the last.
        let (seen, summary) = drive(&options(&dir, true), &Tiny { steps: 8, ..config }, None).unwrap();
        assert_eq!(seen, vec![[true, true, false], [false, false, false], [true, false, true], [false, false, false], [true, true, true]]);
        assert!(!summary.stopped_early && summary.steps_done == 5);
        let steps: Vec<u64> = std::fs::read_to_string(dir.join(LOG_FILE))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["step"].as_u64().unwrap())
            .collect();
        assert_eq!(steps, [2, 4, 6, 8]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_non_finite_value_ends_the_run_naming_it() {
        let dir = scratch("nan");
        let (mut run, _) = Run::open(&options(&dir, false), &Tiny { steps: 2, lr: 0.1 }).unwrap();
        run.next_step(0);
        let err = run.log(1, &[("lr", 0.1), ("loss", f64::NAN)]).unwrap_err().to_string();
        assert!(err.contains("loss became NaN at step 1"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn trim_log_keeps_one_line_per_step_up_to_the_checkpoint() {
        let dir = scratch("trim");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(LOG_FILE);
        // Steps 1–8 logged, a note without a step, then the killed run's steps 9–10.
        for step in 1..=8 {
            log_line(&path, &serde_json::json!({"step": step, "loss": 1.0})).unwrap();
        }
        log_line(&path, &serde_json::json!({"note": "resumed"})).unwrap();
        for step in 9..=10 {
            log_line(&path, &serde_json::json!({"step": step, "loss": 1.0})).unwrap();
        }
        trim_log(&path, 8).unwrap();
        let steps: Vec<Option<u64>> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["step"].as_u64())
            .collect();
        assert_eq!(steps, [(1..=8).map(Some).collect::<Vec<_>>(), vec![None]].concat());
        trim_log(&dir.join("absent.jsonl"), 3).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
