//! A built dataset, loaded for training: u8 images in memory, captions, split.

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::tensor::Dtype;

use super::build::{CAPTIONS_FILE, IMAGES_FILE, Record};

pub struct Dataset {
    pub size: usize,
    /// `[N, size, size, 3]` RGB bytes.
    pixels: Vec<u8>,
    pub records: Vec<Record>,
}

impl Dataset {
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            bail!("dataset folder {} does not exist (build one with `swd-native data build`)", dir.display());
        }
        let images_path = dir.join(IMAGES_FILE);
        let bytes = std::fs::read(&images_path).with_context(|| format!("cannot read {}", images_path.display()))?;
        let st = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| anyhow::anyhow!("{} is not a valid safetensors file: {e}", images_path.display()))?;
        let images = st.tensor("images").map_err(|_| anyhow::anyhow!("{} has no 'images' tensor", images_path.display()))?;
        let shape = images.shape().to_vec();
        if images.dtype() != Dtype::U8 || shape.len() != 4 || shape[3] != 3 || shape[1] != shape[2] {
            bail!("{}: expected u8 images [N, S, S, 3], found {:?} {shape:?}", images_path.display(), images.dtype());
        }
        let pixels = images.data().to_vec();
        let captions_path = dir.join(CAPTIONS_FILE);
        let text = std::fs::read_to_string(&captions_path).with_context(|| format!("cannot read {}", captions_path.display()))?;
        let records = text
            .lines()
            .enumerate()
            .map(|(i, line)| serde_json::from_str::<Record>(line).with_context(|| format!("{} line {}", captions_path.display(), i + 1)))
            .collect::<Result<Vec<_>>>()?;
        if records.len() != shape[0] {
            bail!("{} has {} records but {} holds {} images", captions_path.display(), records.len(), images_path.display(), shape[0]);
        }
        Ok(Self { size: shape[1], pixels, records })
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Indices of the records in `split` ("train" or "heldout").
    pub fn split(&self, split: &str) -> Vec<usize> {
        self.records.iter().filter(|r| r.split == split).map(|r| r.index).collect()
    }

    /// Image `i` as `[3, size, size]` values in [−1, 1], channel-major.
    pub fn chw(&self, i: usize) -> Vec<f32> {
        let n = self.size * self.size;
        let px = &self.pixels[i * n * 3..(i + 1) * n * 3];
        let mut out = vec![0f32; 3 * n];
        for p in 0..n {
            for c in 0..3 {
                out[c * n + p] = px[p * 3 + c] as f32 / 127.5 - 1.0;
            }
        }
        out
    }

    /// `[B, 3, size, size]` in [−1, 1] for the given indices.
    pub fn images(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let s = self.size;
        let values: Vec<f32> = indices.iter().flat_map(|&i| self.chw(i)).collect();
        Tensor::from_data(TensorData::new(values, [indices.len(), 3, s, s]), device)
    }
}
