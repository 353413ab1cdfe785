//! Running the evaluation network over many images and scoring its predictions on the host
//! (ranks are counted, so no sort or top-k kernel is needed).

use anyhow::{Result, bail};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::EvalNet;

/// Host copies of the network's outputs for `n` images.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub n: usize,
    pub dim: usize,
    /// `[n, dim]` pooled features, row-major.
    pub features: Vec<f32>,
    pub classes: usize,
    /// `[n, classes]`
    pub class_logits: Vec<f32>,
    pub categories: usize,
    /// `[n, categories]`
    pub category_logits: Vec<f32>,
}

fn host(t: Tensor<2>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 data")
}

impl Outputs {
    /// Runs `net` over `images` (`[N, 3, S, S]` channel-major values in [−1, 1]) in batches.
    pub fn compute(net: &EvalNet, images: &[f32], size: usize, batch: usize, device: &Device) -> Result<Self> {
        let per = 3 * size * size;
        if images.len() % per != 0 {
            bail!("image buffer of {} values is not a whole number of 3×{size}×{size} images", images.len());
        }
        let mut out = Outputs { n: images.len() / per, ..Default::default() };
        for chunk in images.chunks(per * batch.max(1)) {
            let b = chunk.len() / per;
            let x = Tensor::<4>::from_data(TensorData::new(chunk.to_vec(), [b, 3, size, size]), device);
            let features = net.features(x);
            let logits = net.heads(features.clone());
            out.dim = features.dims()[1];
            out.classes = logits.class.dims()[1];
            out.categories = logits.category.dims()[1];
            out.features.extend(host(features));
            out.class_logits.extend(host(logits.class));
            out.category_logits.extend(host(logits.category));
        }
        Ok(out)
    }

    pub fn feature(&self, i: usize) -> &[f32] {
        &self.features[i * self.dim..(i + 1) * self.dim]
    }

    /// How many classes score strictly above `target` for image `i` (0 = top-1).
    pub fn class_rank(&self, i: usize, target: usize) -> usize {
        rank(&self.class_logits[i * self.classes..(i + 1) * self.classes], target)
    }

    pub fn category_rank(&self, i: usize, target: usize) -> usize {
        rank(&self.category_logits[i * self.categories..(i + 1) * self.categories], target)
    }
}

fn rank(row: &[f32], target: usize) -> usize {
    row.iter().filter(|&&v| v > row[target]).count()
}

/// Top-1 / top-5 class accuracy and top-1 category accuracy, in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    pub n: usize,
    pub top1: f64,
    pub top5: f64,
    pub category_top1: f64,
}

impl Accuracy {
    /// `targets[i]`: (class, category) of image `i`.
    pub fn of(outputs: &Outputs, targets: &[(usize, usize)]) -> Self {
        let n = targets.len();
        let frac = |hits: usize| if n == 0 { f64::NAN } else { hits as f64 / n as f64 };
        let ranks: Vec<usize> = targets.iter().enumerate().map(|(i, &(c, _))| outputs.class_rank(i, c)).collect();
        Self {
            n,
            top1: frac(ranks.iter().filter(|&&r| r == 0).count()),
            top5: frac(ranks.iter().filter(|&&r| r < 5).count()),
            category_top1: frac(targets.iter().enumerate().filter(|&(i, &(_, k))| outputs.category_rank(i, k) == 0).count()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_accuracy() {
        let outputs = Outputs {
            n: 2,
            classes: 6,
            class_logits: vec![0.9, 0.1, 0.2, 0.3, 0.4, 0.5, /**/ 0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
            categories: 2,
            category_logits: vec![1.0, 0.0, 1.0, 0.0],
            ..Default::default()
        };
        assert_eq!(outputs.class_rank(0, 0), 0);
        assert_eq!(outputs.class_rank(1, 0), 5);
        assert_eq!(outputs.class_rank(1, 1), 4);
        let acc = Accuracy::of(&outputs, &[(0, 0), (1, 1)]);
        assert_eq!((acc.top1, acc.top5, acc.category_top1), (0.5, 1.0, 0.5));
    }
}
