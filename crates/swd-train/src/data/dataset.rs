//! A built dataset, loaded for training: u8 images in memory, captions, split.

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::tensor::Dtype;

use super::build::{CAPTIONS_FILE, IMAGES_FILE, Record, SPLITS};

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
        let images = std::fs::read(&images_path).with_context(|| format!("cannot read {}", images_path.display()))?;
        let captions_path = dir.join(CAPTIONS_FILE);
        let captions = std::fs::read(&captions_path).with_context(|| format!("cannot read {}", captions_path.display()))?;
        Self::from_bytes(&images, &captions).with_context(|| format!("invalid dataset {}", dir.display()))
    }

    /// A dataset from the bytes of its `images.safetensors` and `captions.jsonl`. Record `i`
    /// must carry index `i` (as `data build` writes them) and a split the loops know.
    pub fn from_bytes(images: &[u8], captions: &[u8]) -> Result<Self> {
        let st = safetensors::SafeTensors::deserialize(images)
            .map_err(|e| anyhow::anyhow!("{IMAGES_FILE} is not a valid safetensors file: {e}"))?;
        let tensor = st.tensor("images").map_err(|_| anyhow::anyhow!("{IMAGES_FILE} has no 'images' tensor"))?;
        let shape = tensor.shape().to_vec();
        if tensor.dtype() != Dtype::U8 || shape.len() != 4 || shape[3] != 3 || shape[1] != shape[2] {
            bail!("{IMAGES_FILE}: expected u8 images [N, S, S, 3], found {:?} {shape:?}", tensor.dtype());
        }
        swd_core::limits::side(shape[1]).map_err(|e| anyhow::anyhow!("{IMAGES_FILE}: image {e}"))?;
        let text = std::str::from_utf8(captions).map_err(|e| anyhow::anyhow!("{CAPTIONS_FILE} is not UTF-8: {e}"))?;
        let records = text
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let record: Record = serde_json::from_str(line).with_context(|| format!("{CAPTIONS_FILE} line {}", i + 1))?;
                if record.index != i {
                    bail!("{CAPTIONS_FILE} line {}: index {} (record i must have index i)", i + 1, record.index);
                }
                if !SPLITS.contains(&record.split.as_str()) {
                    bail!("{CAPTIONS_FILE} line {}: split {:?} (expected one of {SPLITS:?})", i + 1, record.split);
                }
                Ok(record)
            })
            .collect::<Result<Vec<_>>>()?;
        if records.len() != shape[0] {
            bail!("{CAPTIONS_FILE} has {} records but {IMAGES_FILE} holds {} images", records.len(), shape[0]);
        }
        Ok(Self { size: shape[1], pixels: tensor.data().to_vec(), records })
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Indices of the records in `split` (one of [`SPLITS`]).
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
