//! Scale schedules: which spatial size and noise level each sampling step uses.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Smallest and largest image side the denoiser accepts; sides are multiples of 8.
pub const MIN_SCALE: usize = 16;
pub const MAX_SCALE: usize = 128;

/// The paper's released 4- and 6-step sigmas (SD3.5, shift 3).
const SIGMAS_4: [f32; 5] = [1.0, 0.8959, 0.7371, 0.6022, 0.0];
const SIGMAS_6: [f32; 7] = [1.0, 0.9454, 0.8959, 0.7904, 0.7371, 0.6022, 0.0];
/// Teacher sampling happens at the model's full resolution.
const TEACHER_SCALE: usize = 64;

/// How a schedule is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplerKind {
    /// Few-step generator: predict x0, upsample it to the next scale, re-noise (SwD / DMD2).
    FewStep,
    /// Probability-flow ODE with Euler steps and classifier-free guidance (the teacher).
    Euler,
}

/// Spatial sizes `s_1 ≤ … ≤ s_N` and noise levels `σ_1 > … > σ_N > σ_{N+1} = 0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleSchedule {
    pub kind: SamplerKind,
    pub scales: Vec<usize>,
    pub sigmas: Vec<f32>,
}

impl ScaleSchedule {
    /// A few-step schedule, validated.
    pub fn few_step(scales: Vec<usize>, sigmas: Vec<f32>) -> Result<Self> {
        let schedule = Self { kind: SamplerKind::FewStep, scales, sigmas };
        schedule.validate().map_err(|reason| Error::Schedule { input: schedule.to_string(), reason })?;
        Ok(schedule)
    }

    /// 4 steps at 32, 40, 48, 64: 2.2 full-resolution steps of pixels.
    pub fn swd4() -> Self {
        Self::few_step(vec![32, 40, 48, 64], SIGMAS_4.to_vec()).expect("valid preset")
    }

    /// 6 steps at 16, 24, 32, 40, 48, 64.
    pub fn swd6() -> Self {
        Self::few_step(vec![16, 24, 32, 40, 48, 64], SIGMAS_6.to_vec()).expect("valid preset")
    }

    /// The full-resolution 4-step baseline: swd4's sigmas, every step at 64.
    pub fn full4() -> Self {
        Self::few_step(vec![64; 4], SIGMAS_4.to_vec()).expect("valid preset")
    }

    /// `steps` uniform Euler steps from σ = 1 to 0 at `size`.
    pub fn euler(steps: usize, size: usize) -> Result<Self> {
        let sigmas = (0..=steps).map(|i| 1.0 - i as f32 / steps.max(1) as f32).collect();
        let schedule = Self { kind: SamplerKind::Euler, scales: vec![size; steps], sigmas };
        schedule
            .validate()
            .map_err(|reason| Error::Schedule { input: schedule.to_string(), reason })?;
        Ok(schedule)
    }

    /// Number of sampling steps.
    pub fn steps(&self) -> usize {
        self.scales.len()
    }

    /// The short name a person would type: `swd4`, `swd6`, `full4` for the presets, otherwise
    /// the parseable form.
    pub fn name(&self) -> String {
        [("swd4", Self::swd4()), ("swd6", Self::swd6()), ("full4", Self::full4())]
            .into_iter()
            .find(|(_, preset)| preset == self)
            .map_or_else(|| self.to_string(), |(name, _)| name.to_string())
    }

    /// Network evaluations per image: one a step, two with guidance (`cfg` ≠ 1).
    pub fn evaluations(&self, cfg: f32) -> usize {
        self.steps() * if cfg != 1.0 { 2 } else { 1 }
    }

    /// Final image side.
    pub fn output_size(&self) -> usize {
        *self.scales.last().expect("validated schedules are non-empty")
    }

    /// Pixel cost in full-resolution steps: Σ s_i² / s_N².
    pub fn pixel_cost(&self) -> f64 {
        let last = self.output_size() as f64;
        self.scales.iter().map(|&s| (s as f64 / last).powi(2)).sum()
    }

    /// Parses `swd4`, `swd6`, `full4`, `euler:N`, `euler:N@SIZE` or
    /// `swd:S1,…,SN@σ1,…,σN,0`.
    pub fn parse(input: &str) -> Result<Self> {
        let input = input.trim();
        let err = |reason: String| Error::Schedule { input: input.to_string(), reason };
        match input {
            "swd4" => return Ok(Self::swd4()),
            "swd6" => return Ok(Self::swd6()),
            "full4" => return Ok(Self::full4()),
            _ => {}
        }
        if let Some(rest) = input.strip_prefix("euler:") {
            let (steps, size) = match rest.split_once('@') {
                Some((steps, size)) => (steps, parse_usize(size, "size").map_err(err)?),
                None => (rest, TEACHER_SCALE),
            };
            let steps = parse_usize(steps, "step count").map_err(err)?;
            if !(1..=1000).contains(&steps) {
                return Err(err(format!("step count must be 1..=1000, got {steps}")));
            }
            return Self::euler(steps, size).map_err(|e| match e {
                Error::Schedule { reason, .. } => err(reason),
                other => other,
            });
        }
        if let Some(rest) = input.strip_prefix("swd:") {
            let (scales, sigmas) = rest
                .split_once('@')
                .ok_or_else(|| err("expected 'swd:SCALES@SIGMAS', e.g. swd:32,48,64@1,0.8,0.6,0".into()))?;
            let scales = scales
                .split(',')
                .map(|s| parse_usize(s, "scale"))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(err)?;
            let sigmas = sigmas
                .split(',')
                .map(|s| s.trim().parse::<f32>().map_err(|_| format!("sigma '{}' is not a number", s.trim())))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(err)?;
            let schedule = Self { kind: SamplerKind::FewStep, scales, sigmas };
            schedule.validate().map_err(err)?;
            return Ok(schedule);
        }
        Err(err("unknown schedule; expected swd4, swd6, full4, euler:N[@SIZE] or swd:SCALES@SIGMAS".into()))
    }

    /// Checks the invariants the samplers rely on; the reason names the broken one.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.scales.is_empty() {
            return Err("needs at least one step".into());
        }
        if self.sigmas.len() != self.scales.len() + 1 {
            return Err(format!(
                "needs one more sigma than scales: {} scales, {} sigmas",
                self.scales.len(),
                self.sigmas.len()
            ));
        }
        if let Some(&s) = self.scales.iter().find(|&&s| s % 8 != 0 || !(MIN_SCALE..=MAX_SCALE).contains(&s)) {
            return Err(format!("scale {s} must be a multiple of 8 in {MIN_SCALE}..={MAX_SCALE}"));
        }
        if self.scales.windows(2).any(|w| w[1] < w[0]) {
            return Err("scales must be non-decreasing".into());
        }
        if self.sigmas.iter().any(|s| !s.is_finite()) || self.sigmas[0] > 1.0 {
            return Err("sigmas must be finite and start at most at 1".into());
        }
        if self.sigmas.windows(2).any(|w| w[1] >= w[0]) {
            return Err("sigmas must be strictly decreasing".into());
        }
        if *self.sigmas.last().unwrap() != 0.0 {
            return Err("the last sigma must be 0".into());
        }
        if self.kind == SamplerKind::Euler && self.scales.windows(2).any(|w| w[0] != w[1]) {
            return Err("an Euler schedule keeps one scale".into());
        }
        Ok(())
    }
}

fn parse_usize(s: &str, what: &str) -> std::result::Result<usize, String> {
    s.trim().parse::<usize>().map_err(|_| format!("{what} '{}' is not a non-negative integer", s.trim()))
}

impl std::fmt::Display for ScaleSchedule {
    /// The parseable form (presets print in their long form).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |v: Vec<String>| v.join(",");
        match self.kind {
            SamplerKind::Euler => write!(f, "euler:{}@{}", self.scales.len(), self.scales.first().unwrap_or(&0)),
            SamplerKind::FewStep => write!(
                f,
                "swd:{}@{}",
                join(self.scales.iter().map(|s| s.to_string()).collect()),
                join(self.sigmas.iter().map(|s| s.to_string()).collect())
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_pixel_costs() {
        assert_eq!(ScaleSchedule::swd4().scales, vec![32, 40, 48, 64]);
        assert_eq!(ScaleSchedule::swd6().scales, vec![16, 24, 32, 40, 48, 64]);
        assert_eq!(ScaleSchedule::full4().scales, vec![64; 4]);
        let custom = ScaleSchedule::parse("swd:32,64@1,0.5,0").unwrap();
        assert_eq!(custom.name(), custom.to_string());
        assert_eq!(ScaleSchedule::parse(&ScaleSchedule::swd6().to_string()).unwrap().name(), "swd6");
        assert_eq!(ScaleSchedule::parse("euler:8@32").unwrap().name(), "euler:8@32");
        assert!((ScaleSchedule::swd4().pixel_cost() - 2.203).abs() < 1e-3);
        assert!((ScaleSchedule::swd6().pixel_cost() - 2.406).abs() < 1e-3);
        assert_eq!(ScaleSchedule::full4().pixel_cost(), 4.0);
        let e = ScaleSchedule::parse("euler:32").unwrap();
        assert_eq!((e.kind, e.steps(), e.output_size()), (SamplerKind::Euler, 32, 64));
        assert_eq!(e.sigmas[16], 0.5);
    }

    #[test]
    fn custom_round_trips_through_display() {
        let s = ScaleSchedule::parse("swd:32,40,48,64@1.0,0.85,0.65,0.45,0").unwrap();
        assert_eq!(s.sigmas, vec![1.0, 0.85, 0.65, 0.45, 0.0]);
        assert_eq!(ScaleSchedule::parse(&s.to_string()).unwrap(), s);
        let e = ScaleSchedule::parse("euler:8@32").unwrap();
        assert_eq!(ScaleSchedule::parse(&e.to_string()).unwrap(), e);
    }

    #[test]
    fn invalid_schedules_name_the_problem() {
        let cases = [
            ("swd5", "unknown schedule"),
            ("swd:32,64@1,0", "one more sigma than scales"),
            ("swd:32,64@1,0.5,0.1", "last sigma must be 0"),
            ("swd:32,64@1,1,0", "strictly decreasing"),
            ("swd:64,32@1,0.5,0", "non-decreasing"),
            ("swd:30,64@1,0.5,0", "multiple of 8"),
            ("swd:8,64@1,0.5,0", "multiple of 8"),
            ("swd:32,256@1,0.5,0", "multiple of 8"),
            ("swd:32,x@1,0.5,0", "scale 'x'"),
            ("swd:32,64@1,abc,0", "sigma 'abc'"),
            ("swd:32,64@1.5,0.5,0", "at most at 1"),
            ("swd:32,64", "expected 'swd:SCALES@SIGMAS'"),
            ("euler:0", "1..=1000"),
            ("euler:x", "step count 'x'"),
            ("euler:4@20", "multiple of 8"),
        ];
        for (input, needle) in cases {
            let msg = ScaleSchedule::parse(input).unwrap_err().to_string();
            assert!(msg.contains(needle), "{input}: {msg}");
            assert!(msg.contains(input), "{input}: {msg}");
        }
    }
}
