//! Reading `eval --json` and `bench --json` files out of run folders.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use swd_core::{ScaleSchedule, ScheduleSpec};
use swd_train::eval::bootstrap::Intervals;
use swd_train::evalnet::score::Accuracy;

fn default_k() -> usize {
    3
}

/// The fields of an `eval --json` report the table uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Eval {
    pub model: String,
    pub schedule: String,
    pub steps: usize,
    pub nfe: usize,
    pub n: usize,
    pub fid: f64,
    pub precision: f64,
    pub recall: f64,
    pub prompt: Accuracy,
    pub diversity: Option<f64>,
    /// Precision/recall's k (absent in reports older than the option: 3).
    #[serde(default = "default_k")]
    pub k: usize,
    /// 95% bootstrap intervals, when the run computed them.
    #[serde(default)]
    pub intervals: Option<Intervals>,
    /// The run folder it came from (its samples grid sits next to it).
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BenchRow {
    pub schedule: String,
    pub steps: usize,
    pub nfe: usize,
    pub ms_per_image: f64,
    pub images_per_s: f64,
    pub speedup_vs_full4: Option<f64>,
    pub speedup_vs_teacher: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Bench {
    pub device: String,
    pub model: String,
    pub batch: usize,
    pub rows: Vec<BenchRow>,
}

impl Bench {
    /// The row timing `schedule`, an eval report's complete schedule (names compared as parsed
    /// schedules: `swd4` matches its long form, a bench's `euler:32` runs at the same side).
    pub fn row(&self, schedule: &str) -> Option<&BenchRow> {
        let wanted: ScheduleSpec = schedule.parse().ok()?;
        let wanted = wanted.at(0).ok()?;
        let side = wanted.output_size();
        self.rows.iter().find(|r| ScaleSchedule::parse(&r.schedule, side).is_ok_and(|s| s == wanted))
    }
}

#[derive(Debug, Default)]
pub struct Runs {
    pub evals: Vec<Eval>,
    pub benches: Vec<Bench>,
}

impl Runs {
    /// Every `*.json` in the given folders (or the given files), sorted by path; files that are
    /// neither kind are an error, so a typo does not silently drop a row.
    pub fn load(paths: &[PathBuf]) -> Result<Self> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                    .with_context(|| format!("cannot list {}", p.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| f.extension().is_some_and(|x| x == "json"))
                    .collect();
                found.sort();
                files.extend(found);
            } else if p.is_file() {
                files.push(p.clone());
            } else {
                bail!("run {} does not exist", p.display());
            }
        }
        let mut runs = Runs::default();
        for f in files {
            let value: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?)
                    .with_context(|| format!("{} is not JSON", f.display()))?;
            if value.get("fid").is_some() {
                let mut eval: Eval = serde_json::from_value(value).with_context(|| format!("{}: not an eval report", f.display()))?;
                eval.path = f.clone();
                runs.evals.push(eval);
            } else if value.get("rows").is_some() {
                runs.benches.push(serde_json::from_value(value).with_context(|| format!("{}: not a bench report", f.display()))?);
            } else {
                bail!("{} is neither an `eval --json` nor a `bench --json` report", f.display());
            }
        }
        if runs.evals.is_empty() && runs.benches.is_empty() {
            bail!("no eval or bench reports found in {:?}", paths);
        }
        Ok(runs)
    }
}

/// The folder name of a model path, for table labels (`models/swd4` → `swd4`; a run's
/// `runs/teacher/model` → `teacher/model`).
pub fn model_label(model: &str) -> String {
    let path = Path::new(model);
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    match (name(path), path.parent().and_then(name)) {
        (Some(last), Some(parent)) if last == "model" => format!("{parent}/{last}"),
        (Some(last), _) => last,
        (None, _) => model.to_string(),
    }
}
