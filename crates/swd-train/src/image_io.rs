//! Images out: `[B, C, H, W]` tensors in [−1, 1] to an RGB PNG grid.

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::tensor::Tensor;

/// `[B, 3, H, W]` in [−1, 1] → an RGB grid of ⌈√B⌉ columns with 2-pixel gaps.
pub fn to_grid(images: Tensor<4>) -> Result<image::RgbImage> {
    let [b, c, h, w] = images.dims();
    if c != 3 {
        bail!("can only save 3-channel images, got {c}");
    }
    let values = images.into_data().convert::<f32>().try_into_vec::<f32>().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let cols = (b as f64).sqrt().ceil() as usize;
    let rows = b.div_ceil(cols);
    let gap = 2;
    let mut grid =
        image::RgbImage::from_pixel((cols * (w + gap) - gap) as u32, (rows * (h + gap) - gap) as u32, image::Rgb([255, 255, 255]));
    for i in 0..b {
        let (ox, oy) = ((i % cols) * (w + gap), (i / cols) * (h + gap));
        for y in 0..h {
            for x in 0..w {
                let px = |ch: usize| swd_core::pixels::to_u8(values[((i * c + ch) * h + y) * w + x]);
                grid.put_pixel((ox + x) as u32, (oy + y) as u32, image::Rgb([px(0), px(1), px(2)]));
            }
        }
    }
    Ok(grid)
}

pub fn save_png(images: Tensor<4>, path: &Path) -> Result<()> {
    if path.extension().and_then(|e| e.to_str()).map(|e| e.eq_ignore_ascii_case("png")) != Some(true) {
        bail!("output {} must end in .png", path.display());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    to_grid(images)?.save(path).with_context(|| format!("cannot write {}", path.display()))
}
