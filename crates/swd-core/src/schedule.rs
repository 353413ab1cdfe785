//! Scale schedules: which spatial size and noise level each sampling step uses.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result, limits};

/// The paper's released 4- and 6-step sigmas (SD3.5, shift 3).
const SIGMAS_4: [f32; 5] = [1.0, 0.8959, 0.7371, 0.6022, 0.0];
const SIGMAS_6: [f32; 7] = [1.0, 0.9454, 0.8959, 0.7904, 0.7371, 0.6022, 0.0];
/// Most Euler steps a schedule may ask for.
const MAX_EULER_STEPS: usize = 1000;

/// A named few-step schedule. This table is the one list of presets: parsing, `name()`, the
/// CLI's help and the browser's `Generator.schedules` all read it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SchedulePreset {
    pub name: &'static str,
    pub scales: &'static [usize],
    pub sigmas: &'static [f32],
    /// One line for help texts and the demo's menu.
    pub about: &'static str,
}

pub const PRESETS: &[SchedulePreset] = &[
    SchedulePreset { name: "swd4", scales: &[32, 40, 48, 64], sigmas: &SIGMAS_4, about: "4 steps, 32→40→48→64 (scale-wise)" },
    SchedulePreset { name: "swd6", scales: &[16, 24, 32, 40, 48, 64], sigmas: &SIGMAS_6, about: "6 steps, 16→…→64 (scale-wise)" },
    SchedulePreset { name: "full4", scales: &[64; 4], sigmas: &SIGMAS_4, about: "4 steps at 64 (full-resolution baseline)" },
];

/// The presets' names, `swd4, swd6, full4`.
pub fn preset_names() -> String {
    PRESETS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// The forms `--schedule` and the JS `schedule` option accept, for help texts and errors.
pub fn syntax() -> String {
    format!("{}, euler:N[@SIZE] or swd:SCALES@SIGMAS", preset_names())
}

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

/// A schedule as typed, before the model is known: `euler:N` without `@SIZE` runs at the
/// model's resolution, everything else is complete. Parsing checks the syntax and invariants,
/// so a bad `--schedule` fails before any model loads.
#[derive(Debug, Clone, PartialEq)]
pub enum ScheduleSpec {
    Fixed(ScaleSchedule),
    Euler { steps: usize },
}

impl ScheduleSpec {
    /// The schedule for a model whose images are `resolution`².
    pub fn at(&self, resolution: usize) -> Result<ScaleSchedule> {
        match self {
            Self::Fixed(schedule) => Ok(schedule.clone()),
            Self::Euler { steps } => ScaleSchedule::euler(*steps, resolution),
        }
    }
}

impl FromStr for ScheduleSpec {
    type Err = Error;

    /// `swd4`, `swd6`, `full4` (see [`PRESETS`]), `euler:N`, `euler:N@SIZE` or
    /// `swd:S1,…,SN@σ1,…,σN,0`.
    fn from_str(input: &str) -> Result<Self> {
        let input = input.trim();
        let err = |reason: String| Error::Schedule { input: input.to_string(), reason };
        if let Some(schedule) = ScaleSchedule::preset(input) {
            return Ok(Self::Fixed(schedule));
        }
        if let Some(rest) = input.strip_prefix("euler:") {
            let (steps, size) = match rest.split_once('@') {
                Some((steps, size)) => (steps, Some(parse_usize(size, "size").map_err(err)?)),
                None => (rest, None),
            };
            let steps = parse_usize(steps, "step count").map_err(err)?;
            if !(1..=MAX_EULER_STEPS).contains(&steps) {
                return Err(err(format!("step count must be 1..={MAX_EULER_STEPS}, got {steps}")));
            }
            return match size {
                Some(size) => ScaleSchedule::euler(steps, size).map(Self::Fixed).map_err(|e| match e {
                    Error::Schedule { reason, .. } => err(reason),
                    other => other,
                }),
                None => Ok(Self::Euler { steps }),
            };
        }
        if let Some(rest) = input.strip_prefix("swd:") {
            let (scales, sigmas) =
                rest.split_once('@').ok_or_else(|| err("expected 'swd:SCALES@SIGMAS', e.g. swd:32,48,64@1,0.8,0.6,0".into()))?;
            let scales = scales.split(',').map(|s| parse_usize(s, "scale")).collect::<std::result::Result<Vec<_>, _>>().map_err(err)?;
            let sigmas = sigmas
                .split(',')
                .map(|s| s.trim().parse::<f32>().map_err(|_| format!("sigma '{}' is not a number", s.trim())))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(err)?;
            let schedule = ScaleSchedule { kind: SamplerKind::FewStep, scales, sigmas };
            schedule.validate().map_err(err)?;
            return Ok(Self::Fixed(schedule));
        }
        Err(err(format!("unknown schedule; expected {}", syntax())))
    }
}

impl std::fmt::Display for ScheduleSpec {
    /// What a person would type: a preset's name, `euler:N`, or the parseable form.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fixed(schedule) => f.write_str(&schedule.name()),
            Self::Euler { steps } => write!(f, "euler:{steps}"),
        }
    }
}

impl ScaleSchedule {
    /// A few-step schedule, validated.
    pub fn few_step(scales: Vec<usize>, sigmas: Vec<f32>) -> Result<Self> {
        let schedule = Self { kind: SamplerKind::FewStep, scales, sigmas };
        schedule.validate().map_err(|reason| Error::Schedule { input: schedule.to_string(), reason })?;
        Ok(schedule)
    }

    /// The preset named `name` in [`PRESETS`].
    pub fn preset(name: &str) -> Option<Self> {
        PRESETS.iter().find(|p| p.name == name).map(|p| Self {
            kind: SamplerKind::FewStep,
            scales: p.scales.to_vec(),
            sigmas: p.sigmas.to_vec(),
        })
    }

    /// `steps` uniform Euler steps from σ = 1 to 0 at `size`.
    pub fn euler(steps: usize, size: usize) -> Result<Self> {
        let sigmas = (0..=steps).map(|i| 1.0 - i as f32 / steps.max(1) as f32).collect();
        let schedule = Self { kind: SamplerKind::Euler, scales: vec![size; steps], sigmas };
        schedule.validate().map_err(|reason| Error::Schedule { input: schedule.to_string(), reason })?;
        Ok(schedule)
    }

    /// Parses any form [`ScheduleSpec`] accepts, for a model whose images are `resolution`².
    pub fn parse(input: &str, resolution: usize) -> Result<Self> {
        input.parse::<ScheduleSpec>()?.at(resolution)
    }

    /// Number of sampling steps.
    pub fn steps(&self) -> usize {
        self.scales.len()
    }

    /// The short name a person would type: a preset's name, otherwise the parseable form.
    pub fn name(&self) -> String {
        PRESETS
            .iter()
            .find(|p| p.scales == self.scales && p.sigmas == self.sigmas && self.kind == SamplerKind::FewStep)
            .map_or_else(|| self.to_string(), |p| p.name.to_string())
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

    /// Checks the invariants the samplers rely on; the reason names the broken one.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.scales.is_empty() {
            return Err("needs at least one step".into());
        }
        if self.sigmas.len() != self.scales.len() + 1 {
            return Err(format!("needs one more sigma than scales: {} scales, {} sigmas", self.scales.len(), self.sigmas.len()));
        }
        if let Some(reason) = self.scales.iter().find_map(|&s| limits::side(s).err()) {
            return Err(reason);
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
        let preset = |name| ScaleSchedule::preset(name).unwrap();
        assert_eq!(preset("swd4").scales, vec![32, 40, 48, 64]);
        assert_eq!(preset("swd6").scales, vec![16, 24, 32, 40, 48, 64]);
        assert_eq!(preset("full4").scales, vec![64; 4]);
        for p in PRESETS {
            assert_eq!(ScaleSchedule::parse(p.name, 64).unwrap().name(), p.name);
            assert!(syntax().contains(p.name));
        }
        let custom = ScaleSchedule::parse("swd:32,64@1,0.5,0", 64).unwrap();
        assert_eq!(custom.name(), custom.to_string());
        assert_eq!(ScaleSchedule::parse(&preset("swd6").to_string(), 64).unwrap().name(), "swd6");
        assert_eq!(ScaleSchedule::parse("euler:8@32", 64).unwrap().name(), "euler:8@32");
        assert!((preset("swd4").pixel_cost() - 2.203).abs() < 1e-3);
        assert!((preset("swd6").pixel_cost() - 2.406).abs() < 1e-3);
        assert_eq!(preset("full4").pixel_cost(), 4.0);
        let e = ScaleSchedule::parse("euler:32", 64).unwrap();
        assert_eq!((e.kind, e.steps(), e.output_size()), (SamplerKind::Euler, 32, 64));
        assert_eq!(e.sigmas[16], 0.5);
    }

    #[test]
    fn euler_without_a_size_runs_at_the_model_resolution() {
        let spec: ScheduleSpec = "euler:8".parse().unwrap();
        assert_eq!(spec, ScheduleSpec::Euler { steps: 8 });
        assert_eq!(spec.to_string(), "euler:8");
        assert_eq!(spec.at(32).unwrap().scales, vec![32; 8]);
        assert_eq!(ScaleSchedule::parse("euler:8", 48).unwrap().output_size(), 48);
        // An explicit size wins over the model's.
        assert_eq!(ScaleSchedule::parse("euler:8@32", 64).unwrap().output_size(), 32);
        assert_eq!("swd4".parse::<ScheduleSpec>().unwrap().to_string(), "swd4");
    }

    #[test]
    fn custom_round_trips_through_display() {
        let s = ScaleSchedule::parse("swd:32,40,48,64@1.0,0.85,0.65,0.45,0", 64).unwrap();
        assert_eq!(s.sigmas, vec![1.0, 0.85, 0.65, 0.45, 0.0]);
        assert_eq!(ScaleSchedule::parse(&s.to_string(), 64).unwrap(), s);
        let e = ScaleSchedule::parse("euler:8@32", 64).unwrap();
        assert_eq!(ScaleSchedule::parse(&e.to_string(), 64).unwrap(), e);
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
            let msg = ScaleSchedule::parse(input, 64).unwrap_err().to_string();
            assert!(msg.contains(needle), "{input}: {msg}");
            assert!(msg.contains(input), "{input}: {msg}");
        }
    }
}
