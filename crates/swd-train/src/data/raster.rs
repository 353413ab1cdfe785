//! Images to RGB pixels on a white background at a fixed size: webp/png decoding, SVG
//! rasterisation, alpha compositing and exact box (area) downsampling.

use anyhow::{Context, Result, bail};

/// Side everything is first rendered at (the Fluent 3D images' own size).
pub const RENDER_SIZE: usize = 256;
const BACKGROUND: f32 = 1.0;

/// Linear RGB planes in [0, 1], `[3, size, size]` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Rgb {
    pub size: usize,
    pub data: Vec<f32>,
}

/// Composites straight-alpha RGBA8 onto the background.
fn composite(rgba: &[u8], size: usize) -> Rgb {
    let mut data = vec![0f32; 3 * size * size];
    for (i, px) in rgba.chunks_exact(4).enumerate() {
        let a = px[3] as f32 / 255.0;
        for c in 0..3 {
            data[c * size * size + i] = px[c] as f32 / 255.0 * a + BACKGROUND * (1.0 - a);
        }
    }
    Rgb { size, data }
}

/// Decodes a raster image (webp, png) and brings it to `RENDER_SIZE` if it is not already.
pub fn decode_raster(bytes: &[u8]) -> Result<Rgb> {
    let img = image::load_from_memory(bytes).context("cannot decode image")?.into_rgba8();
    let img = if img.width() as usize != RENDER_SIZE || img.height() as usize != RENDER_SIZE {
        image::imageops::resize(&img, RENDER_SIZE as u32, RENDER_SIZE as u32, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    Ok(composite(img.as_raw(), RENDER_SIZE))
}

/// Rasterises an SVG to `RENDER_SIZE`², scaled to fit and centred.
pub fn render_svg(bytes: &[u8]) -> Result<Rgb> {
    let tree = resvg::usvg::Tree::from_data(bytes, &resvg::usvg::Options::default()).context("cannot parse SVG")?;
    let size = tree.size();
    let scale = RENDER_SIZE as f32 / size.width().max(size.height());
    let dx = (RENDER_SIZE as f32 - size.width() * scale) / 2.0;
    let dy = (RENDER_SIZE as f32 - size.height() * scale) / 2.0;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(RENDER_SIZE as u32, RENDER_SIZE as u32).context("pixmap")?;
    let transform = resvg::tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, dx, dy);
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    // tiny-skia stores premultiplied alpha: straighten it for the shared compositor.
    let straight: Vec<u8> = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    Ok(composite(&straight, RENDER_SIZE))
}

/// Exact area downsampling by an integer factor.
pub fn downsample(img: &Rgb, size: usize) -> Result<Rgb> {
    if size == 0 || img.size % size != 0 {
        bail!("cannot area-downsample {} to {size}: the size must divide {}", img.size, img.size);
    }
    let f = img.size / size;
    let mut data = vec![0f32; 3 * size * size];
    let norm = 1.0 / (f * f) as f32;
    for c in 0..3 {
        for y in 0..size {
            for x in 0..size {
                let mut acc = 0.0;
                for dy in 0..f {
                    let row = (c * img.size + y * f + dy) * img.size + x * f;
                    acc += img.data[row..row + f].iter().sum::<f32>();
                }
                data[(c * size + y) * size + x] = acc * norm;
            }
        }
    }
    Ok(Rgb { size, data })
}

/// `[3, s, s]` floats → `[s, s, 3]` bytes (HWC, like an image file).
pub fn to_hwc_u8(img: &Rgb) -> Vec<u8> {
    let n = img.size * img.size;
    (0..n).flat_map(|i| (0..3).map(move |c| (img.data[c * n + i].clamp(0.0, 1.0) * 255.0).round() as u8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_renders_on_white_and_downsamples_exactly() {
        let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><rect x="0" y="0" width="18" height="36" fill="#ff0000"/></svg>"##;
        let img = render_svg(svg).unwrap();
        assert_eq!(img.size, RENDER_SIZE);
        let small = downsample(&img, 4).unwrap();
        let px = to_hwc_u8(&small);
        assert_eq!(&px[0..3], &[255, 0, 0], "left half red");
        assert_eq!(&px[3 * 3..3 * 3 + 3], &[255, 255, 255], "right half white background");
        assert!(downsample(&img, 48).is_err());
    }

    #[test]
    fn raster_alpha_is_composited() {
        let mut png = Vec::new();
        let img =
            image::RgbaImage::from_fn(256, 256, |x, _| if x < 128 { image::Rgba([0, 0, 255, 255]) } else { image::Rgba([0, 0, 0, 0]) });
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let rgb = downsample(&decode_raster(&png).unwrap(), 2).unwrap();
        assert_eq!(to_hwc_u8(&rgb), vec![0, 0, 255, 255, 255, 255, 0, 0, 255, 255, 255, 255]);
        assert!(decode_raster(b"not an image").is_err());
    }
}
