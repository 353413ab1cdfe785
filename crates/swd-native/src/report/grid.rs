//! The side-by-side sample grid: each evaluated run's samples (same prompts, same seeds) as a
//! labelled column.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use plotters::prelude::*;

/// `(label, samples PNG)` columns → one PNG.
pub fn side_by_side(columns: &[(String, PathBuf)], path: &Path) -> Result<()> {
    if columns.is_empty() {
        bail!("no sample grids to put side by side (run `eval --samples FILE` next to --json)");
    }
    let images = columns
        .iter()
        .map(|(_, p)| image::open(p).map(|i| i.to_rgb8()).with_context(|| format!("cannot read samples {}", p.display())))
        .collect::<Result<Vec<_>>>()?;
    super::plot::fonts();
    let (header, gap) = (32u32, 12u32);
    let width = images.iter().map(|i| i.width() + gap).sum::<u32>() + gap;
    let height = header + images.iter().map(|i| i.height()).max().unwrap_or(0) + gap;
    let mut buffer = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
        let mut x = gap;
        for ((label, _), img) in columns.iter().zip(&images) {
            root.draw(&Text::new(label.clone(), (x as i32, 6), ("sans-serif", 18))).map_err(|e| anyhow::anyhow!("grid: {e}"))?;
            x += img.width() + gap;
        }
        root.present().map_err(|e| anyhow::anyhow!("grid: {e}"))?;
    }
    let mut canvas = image::RgbImage::from_raw(width, height, buffer).context("grid buffer size")?;
    let mut x = gap;
    for img in &images {
        image::imageops::overlay(&mut canvas, img, x as i64, header as i64);
        x += img.width() + gap;
    }
    canvas.save(path).with_context(|| format!("cannot write {}", path.display()))
}
