//! `swd-native data build`: emoji images + captions → a compact dataset folder.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};
use swd_core::TextTokenizer;

use super::captions::{self, Variant};
use super::raster::{self, Rgb};
use super::sources::{self, Package};
use crate::fsutil::write_atomic;
use crate::run::progress_bar;

pub const IMAGES_FILE: &str = "images.safetensors";
pub const IMAGES_128_FILE: &str = "images_128.safetensors";
pub const CAPTIONS_FILE: &str = "captions.jsonl";
pub const MANIFEST_FILE: &str = "manifest.json";
/// The splits a record belongs to.
pub const SPLITS: [&str; 2] = ["train", "heldout"];

/// `--styles 3d,flat`: clap takes the names from `Style::name`.
#[cfg(feature = "clap")]
impl clap::ValueEnum for Style {
    fn value_variants<'a>() -> &'a [Self] {
        &[Style::ThreeD, Style::Flat]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// A drawing style and where its images come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Fluent Emoji 3D webp renders.
    ThreeD,
    /// Twemoji SVGs.
    Flat,
}

impl Style {
    pub fn name(self) -> &'static str {
        match self {
            Style::ThreeD => "3d",
            Style::Flat => "flat",
        }
    }

    fn package(self) -> Package {
        match self {
            Style::ThreeD => sources::FLUENT_3D,
            Style::Flat => sources::TWEMOJI,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Style::ThreeD => ".webp",
            Style::Flat => ".svg",
        }
    }

    fn render(self, bytes: &[u8]) -> Result<Rgb> {
        match self {
            Style::ThreeD => raster::decode_raster(bytes),
            Style::Flat => raster::render_svg(bytes),
        }
    }
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub out: PathBuf,
    /// Folder holding the npm tarballs (fetched there when missing) or unpacked packages.
    pub cache: PathBuf,
    pub size: usize,
    pub styles: Vec<Style>,
    /// At most this many images per style (for quick runs).
    pub limit: Option<usize>,
    /// Also keep a 128² copy.
    pub keep_128: bool,
}

/// One dataset image's record in `captions.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub index: usize,
    pub id: String,
    pub base: String,
    pub style: String,
    pub caption: String,
    pub tone: Option<String>,
    pub category: String,
    /// "train" or "heldout".
    pub split: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StyleCounts {
    pub files: usize,
    pub matched: usize,
    pub unmatched: usize,
    pub failed: usize,
    pub images: usize,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildReport {
    pub size: usize,
    pub images: usize,
    pub train: usize,
    pub heldout: usize,
    pub styles: BTreeMap<String, StyleCounts>,
    pub unmatched_examples: Vec<String>,
    pub sources: Vec<SourceInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub package: String,
    pub version: String,
    pub licence: String,
    pub attribution: String,
}

fn source_info(p: &Package) -> SourceInfo {
    SourceInfo { package: p.name.into(), version: p.version.into(), licence: p.licence.into(), attribution: p.attribution.into() }
}

fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').next().unwrap_or(name)
}

/// Renders every image in parallel over the machine's cores, keeping input order.
fn render_all(
    style: Style,
    items: &[(&Variant, &Vec<u8>)],
    size: usize,
    keep_128: bool,
    bar: &ProgressBar,
) -> Vec<Result<(Rgb, Option<Rgb>)>> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(v, bytes)| {
                            let full = style.render(bytes).with_context(|| format!("{} image {}", style.name(), v.id))?;
                            let small = raster::downsample(&full, size)?;
                            let big = if keep_128 { Some(raster::downsample(&full, 128)?) } else { None };
                            bar.inc(1);
                            Ok((small, big))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("render thread")).collect()
    })
}

fn write_images(path: &Path, pixels: &[u8], n: usize, size: usize) -> Result<()> {
    let view = TensorView::new(Dtype::U8, vec![n, size, size, 3], pixels)?;
    let meta = HashMap::from([("layout".to_string(), "NHWC u8 RGB on white".to_string())]);
    let bytes = safetensors::serialize([("images", view)], Some(meta))?;
    write_atomic(path, &bytes)
}

/// Builds the dataset folder; returns what went into it.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    if opts.size == 0 || raster::RENDER_SIZE % opts.size != 0 || opts.size < 16 {
        bail!("--size must be at least 16 and divide {} (16, 32, 64, 128 or 256), got {}", raster::RENDER_SIZE, opts.size);
    }
    if opts.styles.is_empty() {
        bail!("--styles must name at least one style");
    }
    let meta = sources::load(&sources::DATASOURCE, &opts.cache, &["emoji.json"])?;
    let emoji_json = meta.get("emoji.json").context("emoji-datasource has no emoji.json")?;
    let variants = captions::variants(emoji_json)?;
    let by_key: HashMap<&str, &Variant> = variants.iter().flat_map(|v| v.keys.iter().map(move |k| (k.as_str(), v))).collect();

    let keep_128 = opts.keep_128 && opts.size != 128;
    let mut records = Vec::new();
    let mut pixels = Vec::new();
    let mut pixels_128 = Vec::new();
    let mut styles = BTreeMap::new();
    let mut unmatched_examples = Vec::new();
    let mut sources_used = vec![source_info(&sources::DATASOURCE)];
    for &style in &opts.styles {
        let package = style.package();
        sources_used.push(source_info(&package));
        let files = sources::load(&package, &opts.cache, &[style.extension()])?;
        let mut counts = StyleCounts { files: files.len(), ..Default::default() };
        let mut matched: Vec<(&Variant, &Vec<u8>)> = Vec::new();
        for (path, bytes) in &files {
            match by_key.get(captions::normalise(file_stem(path)).as_str()) {
                Some(v) => matched.push((v, bytes)),
                None => {
                    counts.unmatched += 1;
                    if unmatched_examples.len() < 20 {
                        unmatched_examples.push(format!("{}:{path}", style.name()));
                    }
                }
            }
        }
        counts.matched = matched.len();
        matched.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        matched.dedup_by(|a, b| a.0.id == b.0.id);
        if let Some(limit) = opts.limit {
            matched.truncate(limit);
        }
        let bar = progress_bar(matched.len(), true, " images");
        bar.set_message(style.name());
        for ((variant, _), rendered) in matched.iter().zip(render_all(style, &matched, opts.size, keep_128, &bar)) {
            let (small, big) = match rendered {
                Ok(r) => r,
                Err(e) => {
                    counts.failed += 1;
                    bar.println(format!("skipping: {e:#}"));
                    continue;
                }
            };
            pixels.extend(raster::to_hwc_u8(&small));
            if let Some(big) = big {
                pixels_128.extend(raster::to_hwc_u8(&big));
            }
            let held = captions::is_held_out(variant);
            records.push(Record {
                index: records.len(),
                id: variant.id.clone(),
                base: variant.base.clone(),
                style: style.name().into(),
                caption: captions::caption(style.name(), variant),
                tone: variant.tone.clone(),
                category: variant.category.clone(),
                split: SPLITS[held as usize].into(),
            });
            counts.images += 1;
        }
        bar.finish_and_clear();
        styles.insert(style.name().to_string(), counts);
    }
    if records.is_empty() {
        bail!("no images matched emoji.json; is the cache folder {} complete?", opts.cache.display());
    }

    std::fs::create_dir_all(&opts.out).with_context(|| format!("cannot create {}", opts.out.display()))?;
    write_images(&opts.out.join(IMAGES_FILE), &pixels, records.len(), opts.size)?;
    if keep_128 {
        write_images(&opts.out.join(IMAGES_128_FILE), &pixels_128, records.len(), 128)?;
    }
    let jsonl: String = records.iter().map(|r| serde_json::to_string(r).expect("record") + "\n").collect();
    write_atomic(&opts.out.join(CAPTIONS_FILE), jsonl.as_bytes())?;
    let all_captions: Vec<&str> = records.iter().map(|r| r.caption.as_str()).collect();
    let tokenizer = TextTokenizer::build(&all_captions)?;
    write_atomic(&opts.out.join(swd_core::model::TOKENIZER_FILE), tokenizer.to_json().as_bytes())?;
    let heldout = records.iter().filter(|r| r.split == "heldout").count();
    let report = BuildReport {
        size: opts.size,
        images: records.len(),
        train: records.len() - heldout,
        heldout,
        styles,
        unmatched_examples,
        sources: sources_used,
    };
    write_atomic(&opts.out.join(MANIFEST_FILE), serde_json::to_string_pretty(&report)?.as_bytes())?;
    Ok(report)
}
