//! Learning-rate schedules, from burn's `lr_scheduler`: a linear warm-up, then constant (the
//! teacher) or a cosine decay (the evaluation network). The distillation runs at constant rates.

use anyhow::{Result, anyhow};
use burn::lr_scheduler::LrSchedulerConfig;
use burn::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::lr_scheduler::linear::LinearLrSchedulerConfig;
use burn::lr_scheduler::module_lr_scheduler::{ModuleLrScheduler, ModuleLrSchedulerConfig};
use burn::lr_scheduler::sequential::SequentialLrSchedulerConfig;

/// After the warm-up, a cosine from the peak rate to `min_lr` that ends at step `steps`.
#[derive(Debug, Clone, Copy)]
pub struct Cosine {
    pub min_lr: f64,
    pub steps: usize,
}

/// Step k of the first `warmup` steps runs at `lr · k / warmup`, later steps at `lr` or on the
/// `cosine`; advanced past the `done` steps a resumed run has behind it.
pub fn warmup(lr: f64, warmup: usize, cosine: Option<Cosine>, done: usize) -> Result<ModuleLrScheduler> {
    let ramp = LrSchedulerConfig::Linear(LinearLrSchedulerConfig::new(lr / warmup.max(1) as f64, lr, warmup.saturating_sub(1).max(1)));
    let config = match cosine {
        None => ramp,
        Some(Cosine { min_lr, steps }) => {
            let decay = LrSchedulerConfig::Cosine(
                CosineAnnealingLrSchedulerConfig::new(lr, steps.saturating_sub(warmup).max(1)).with_min_lr(min_lr),
            );
            match warmup {
                0 => decay,
                w => LrSchedulerConfig::Sequential(SequentialLrSchedulerConfig::new(vec![ramp, decay], vec![w])),
            }
        }
    };
    let mut scheduler = ModuleLrSchedulerConfig::new(config).init().map_err(|e| anyhow!("learning-rate schedule: {e}"))?;
    for _ in 0..done {
        scheduler.step();
    }
    Ok(scheduler)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(mut s: ModuleLrScheduler, n: usize) -> Vec<f64> {
        (0..n).map(|_| s.step().base()).collect()
    }

    #[test]
    fn warmup_then_constant() {
        let lr = rates(warmup(1e-3, 4, None, 0).unwrap(), 6);
        let want = [2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3];
        assert!(lr.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15), "{lr:?}");
        assert_eq!(rates(warmup(1e-3, 1, None, 0).unwrap(), 2), [1e-3, 1e-3]);
    }

    #[test]
    fn warmup_then_cosine_and_resume() {
        let (lr, min_lr) = (2e-3, 5e-5);
        let all = rates(warmup(lr, 2, Some(Cosine { min_lr, steps: 6 }), 0).unwrap(), 6);
        assert!((all[0] - 1e-3).abs() < 1e-15 && (all[1] - lr).abs() < 1e-15, "{all:?}");
        // The cosine starts at the peak and halves the way to min_lr half-way through its 4 steps.
        assert!((all[2] - lr).abs() < 1e-15 && (all[4] - (min_lr + lr) / 2.0).abs() < 1e-12, "{all:?}");
        assert!(all[2..].windows(2).all(|w| w[1] < w[0]));
        // A resumed run continues where the first one stopped.
        assert_eq!(rates(warmup(lr, 2, Some(Cosine { min_lr, steps: 6 }), 3).unwrap(), 3), all[3..]);
    }
}
