//! One file per command: its `clap::Args` and what it does.

pub mod bench;
mod bench_train;
pub mod data;
pub mod distill;
pub mod eval;
pub mod export;
pub mod generate;
pub mod import;
pub mod info;
pub mod init;
pub mod profile;
pub mod report;
pub mod train_evalnet;
pub mod train_teacher;
pub mod tune;

use std::path::Path;

use anyhow::Result;
use swd_train::run::RunSummary;

/// The last lines of every training command: how far it got, and how to go on after a stop.
fn report_run(summary: &RunSummary, out: &Path) -> Result<()> {
    let last: Vec<String> = summary.last.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
    println!(
        "{} steps at {:.3} steps/s; last logged: {}; run folder {}",
        summary.steps_done,
        summary.steps_per_s,
        if last.is_empty() { "n/a".into() } else { last.join(", ") },
        out.display()
    );
    if summary.stopped_early {
        println!("stopped early; the checkpoint is saved: continue with the same command and --resume");
    }
    Ok(())
}
