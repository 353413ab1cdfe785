//! The quality-vs-latency plot: FID against ms/image (log scale), one labelled point per
//! evaluated (model, schedule), drawn with plotters into an RGB buffer and saved as PNG.

use std::path::Path;
use std::sync::Once;

use anyhow::{Context, Result, bail};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// One point: label, ms/image, FID.
pub struct Point {
    pub label: String,
    pub ms: f64,
    pub fid: f64,
}

/// plotters draws text with fonts registered at run time; DejaVu Sans ships inside the binary
/// so the plot looks the same on machines without fonts.
pub(super) fn fonts() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| unreachable!("the bundled DejaVu Sans parses"));
    });
}

pub fn draw(points: &[Point], title: &str, path: &Path) -> Result<()> {
    let points: Vec<&Point> = points.iter().filter(|p| p.ms.is_finite() && p.ms > 0.0 && p.fid.is_finite()).collect();
    if points.is_empty() {
        bail!("nothing to plot: no evaluated schedule has a latency from a bench run");
    }
    fonts();
    let (w, h) = (900u32, 600u32);
    let mut buffer = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("plot: {e}"))?;
        let (min_ms, max_ms) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.ms), b.max(p.ms)));
        let max_fid = points.iter().map(|p| p.fid).fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d((min_ms / 2.0..max_ms * 2.0).log_scale(), 0.0..max_fid * 1.5 + 1e-9)
            .map_err(|e| anyhow::anyhow!("plot: {e}"))?;
        chart
            .configure_mesh()
            .x_desc("ms / image (batch 1, log scale)")
            .y_desc("FID (lower is better)")
            .label_style(("sans-serif", 16))
            .draw()
            .map_err(|e| anyhow::anyhow!("plot: {e}"))?;
        let palette = [RED, BLUE, GREEN, MAGENTA, CYAN, BLACK];
        for (i, p) in points.iter().enumerate() {
            let color = palette[i % palette.len()];
            chart
                .draw_series([Circle::new((p.ms, p.fid), 7, color.filled())])
                .map_err(|e| anyhow::anyhow!("plot: {e}"))?
                .label(p.label.clone())
                .legend(move |(x, y)| Circle::new((x, y), 6, color.filled()));
        }
        // Head room above the highest point keeps the legend clear of the data.
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 16))
            .draw()
            .map_err(|e| anyhow::anyhow!("plot: {e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("plot: {e}"))?;
    }
    let image = image::RgbImage::from_raw(w, h, buffer).context("plot buffer size")?;
    image.save(path).with_context(|| format!("cannot write {}", path.display()))
}
