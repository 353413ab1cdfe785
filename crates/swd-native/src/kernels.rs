//! Kernel accounting: which GPU kernels a piece of work launches, counted in this process with
//! cubecl's launch observer (any wgpu adapter, Mesa lavapipe included). burn's CPU backend
//! (flex) runs no cubecl kernels, so there the counts are zero and say nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use burn::cubecl::config::{TypeNameFormatLevel, type_name_format};
use burn::cubecl::launched::LaunchedKernels;
use burn::cubecl::logging::{Duration, LaunchObservation, LaunchObserver, TimingMethod, TimingRequest};
use burn::tensor::Device;
use serde::Serialize;

/// What one observed piece of work launched.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct KernelCount {
    pub launches: usize,
    /// Compiled kernel variants (what a cold GPU compiles once).
    pub distinct: usize,
    /// Launches per kernel name (cubecl's short form, e.g. `KernelScalarBinop | MulOp`).
    pub by_name: BTreeMap<String, usize>,
    /// Device milliseconds per kernel name, when timed (kernels then run one at a time).
    pub ms_by_name: Option<BTreeMap<String, f64>>,
}

#[derive(Default)]
struct Observer {
    timed: bool,
    counts: Mutex<BTreeMap<&'static str, usize>>,
    ms: Mutex<BTreeMap<&'static str, f64>>,
}

impl LaunchObserver for Observer {
    fn launched(&self, kernel: &'static str) {
        *self.counts.lock().expect("observer lock").entry(kernel).or_default() += 1;
    }

    fn timing(&self) -> TimingRequest {
        if self.timed { TimingRequest::Resolved } else { TimingRequest::None }
    }

    fn timed(&self, kernel: &'static str, duration: Duration, _method: TimingMethod) {
        *self.ms.lock().expect("observer lock").entry(kernel).or_default() += duration.as_secs_f64() * 1e3;
    }
}

/// Runs `f` with every cubecl launch counted (and, with `timed`, each one timed).
pub fn observe<T>(device: &Device, timed: bool, f: impl FnOnce() -> Result<T>) -> Result<(T, KernelCount)> {
    let sync = || device.sync().map_err(|e| anyhow::anyhow!("device error: {e:?}"));
    sync()?;
    let observer = Arc::new(Observer { timed, ..Default::default() });
    let variants = LaunchedKernels::new();
    let watching = LaunchObservation::new(observer.clone());
    let out = f();
    let synced = sync();
    drop(watching);
    let distinct = variants.finish().len();
    let (out, ()) = (out?, synced?);
    let short = |k: &str| short_name(k);
    let mut by_name = BTreeMap::new();
    for (k, n) in observer.counts.lock().expect("observer lock").iter() {
        *by_name.entry(short(k)).or_default() += n;
    }
    let ms_by_name = timed.then(|| {
        let mut ms = BTreeMap::new();
        for (k, t) in observer.ms.lock().expect("observer lock").iter() {
            *ms.entry(short(k)).or_default() += t;
        }
        ms
    });
    Ok((out, KernelCount { launches: by_name.values().sum(), distinct, by_name, ms_by_name }))
}

/// cubecl's balanced kernel name, its generics cut after the first (matmul names run to
/// hundreds of characters): `KernelBinop | MulOp`, `MatmulEntry | TensorArgs …`.
fn short_name(kernel: &str) -> String {
    let name = type_name_format(kernel, TypeNameFormatLevel::Balanced);
    let parts: Vec<&str> = name.split(" | ").collect();
    if parts.len() > 2 { format!("{} | {} …", parts[0], parts[1]) } else { name }
}

impl KernelCount {
    /// Per step from a `long`-step and a `short`-step run of the same loop: what their
    /// difference launched, divided by the steps between them (setup, samples and the final
    /// checkpoint cancel out). Distinct kernels are the longer run's.
    pub fn per_step(long: &Self, short: &Self, steps_between: usize) -> Self {
        let per = |a: usize, b: usize| a.saturating_sub(b).div_ceil(steps_between.max(1));
        let by_name = long
            .by_name
            .iter()
            .map(|(k, &n)| (k.clone(), per(n, short.by_name.get(k).copied().unwrap_or(0))))
            .filter(|&(_, n)| n > 0)
            .collect::<BTreeMap<_, _>>();
        let ms_by_name = long.ms_by_name.as_ref().map(|l| {
            let s = short.ms_by_name.clone().unwrap_or_default();
            l.iter().map(|(k, t)| (k.clone(), ((t - s.get(k).copied().unwrap_or(0.0)) / steps_between.max(1) as f64).max(0.0))).collect()
        });
        Self { launches: per(long.launches, short.launches), distinct: long.distinct, by_name, ms_by_name }
    }

    /// The `n` kernel names with most launches, most first.
    pub fn top(&self, n: usize) -> Vec<(&str, usize)> {
        let mut v: Vec<(&str, usize)> = self.by_name.iter().map(|(k, &c)| (k.as_str(), c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }

    /// The `n` kernel names with most device time, most first (empty when not timed).
    pub fn top_ms(&self, n: usize) -> Vec<(&str, f64)> {
        let mut v: Vec<(&str, f64)> = self.ms_by_name.iter().flatten().map(|(k, &t)| (k.as_str(), t)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Tensor;

    use super::*;

    fn count(by_name: &[(&str, usize)]) -> KernelCount {
        let by_name: BTreeMap<String, usize> = by_name.iter().map(|&(k, n)| (k.to_string(), n)).collect();
        KernelCount { launches: by_name.values().sum(), distinct: by_name.len(), by_name, ms_by_name: None }
    }

    #[test]
    fn per_step_is_the_difference_over_the_steps() {
        let long = count(&[("Mul", 30), ("Conv", 10), ("Setup", 4)]);
        let short = count(&[("Mul", 10), ("Conv", 4), ("Setup", 4)]);
        let step = KernelCount::per_step(&long, &short, 2);
        assert_eq!(step.launches, 13);
        assert_eq!(step.by_name, BTreeMap::from([("Mul".to_string(), 10), ("Conv".to_string(), 3)]));
        assert_eq!(step.top(1), [("Mul", 10)]);
    }

    #[test]
    fn counts_launches_on_wgpu_and_none_on_the_cpu() {
        let work = |device: &Device| {
            let x = Tensor::<2>::ones([8, 8], device);
            Ok((x.clone() * 2.0 + x).sum().into_scalar::<f32>())
        };
        let (v, cpu) = observe(&Device::flex(), false, || work(&Device::flex())).unwrap();
        assert_eq!((v, cpu.launches), (192.0, 0));
        let gpu = Device::wgpu(Default::default());
        work(&gpu).unwrap();
        let (v, counted) = observe(&gpu, true, || work(&gpu)).unwrap();
        assert_eq!(v, 192.0);
        assert!(counted.launches >= 3 && counted.distinct >= 2, "{counted:?}");
        assert_eq!(counted.launches, counted.by_name.values().sum::<usize>());
        let ms = counted.ms_by_name.as_ref().expect("timed");
        assert_eq!(ms.len(), counted.by_name.len(), "every launched kernel was timed: {counted:?}");
    }
}
