//! `swd-native report`: eval and bench JSON from run folders → one markdown report with a
//! quality-vs-latency plot and a side-by-side sample grid.

mod grid;
mod plot;
mod runs;
mod table;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use runs::{Runs, model_label};

/// `report.md` → `report_<suffix>.png` beside it.
fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let stem = out.file_stem().map_or_else(|| "report".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}_{suffix}.png"))
}

pub fn run(paths: &[PathBuf], out: &Path) -> Result<()> {
    let runs = Runs::load(paths)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let label = |e: &runs::Eval| format!("{} · {}", model_label(&e.model), e.schedule);
    let name = |p: &Path| p.file_name().expect("a file name").to_string_lossy().into_owned();

    let plot_path = sibling(out, "plot");
    let plot = match runs.benches.first() {
        Some(bench) => {
            let points: Vec<plot::Point> = runs
                .evals
                .iter()
                .filter_map(|e| bench.row(&e.schedule).map(|r| plot::Point { label: label(e), ms: r.ms_per_image, fid: e.fid }))
                .collect();
            match plot::draw(&points, &format!("FID vs latency on {}", bench.device), &plot_path) {
                Ok(()) => Some(name(&plot_path)),
                Err(e) => {
                    eprintln!("note: no plot: {e:#}");
                    None
                }
            }
        }
        None => None,
    };
    let columns: Vec<(String, PathBuf)> = runs
        .evals
        .iter()
        .filter_map(|e| {
            let samples = e.path.with_file_name(format!("{}.png", e.path.file_stem()?.to_string_lossy()));
            samples.is_file().then(|| (label(e), samples))
        })
        .collect();
    let grid_path = sibling(out, "samples");
    let grid = if columns.is_empty() {
        None
    } else {
        grid::side_by_side(&columns, &grid_path)?;
        Some(name(&grid_path))
    };
    let md = table::markdown(&runs, plot.as_deref(), grid.as_deref());
    swd_train::fsutil::write_atomic(out, md.as_bytes())?;
    print!("{md}");
    println!("wrote {}", out.display());
    Ok(())
}
