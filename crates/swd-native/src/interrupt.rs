//! Ctrl-C / SIGTERM for long runs: set a flag the loop checks after each step, so it stops
//! with a checkpoint instead of dying mid-write.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

pub fn stop_flag() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || {
        eprintln!("stopping after this step (checkpoint follows)…");
        flag.store(true, Ordering::SeqCst);
    })
    .context("cannot install the Ctrl-C handler")?;
    Ok(stop)
}
