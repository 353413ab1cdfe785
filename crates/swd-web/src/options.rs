//! Checking the JavaScript arguments, as plain values, so the rules are unit-tested natively
//! and every rejection names the argument and what was wrong with it.

use swd_core::{ScheduleSpec, limits};

/// Which burn device runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// WebGPU when a hardware adapter is there, else the CPU.
    Auto,
    WebGpu,
    Cpu,
}

pub fn backend(name: &str) -> Result<BackendChoice, String> {
    match name {
        "auto" => Ok(BackendChoice::Auto),
        "webgpu" => Ok(BackendChoice::WebGpu),
        "cpu" => Ok(BackendChoice::Cpu),
        other => Err(format!("backend must be \"auto\", \"webgpu\" or \"cpu\", got \"{other}\"")),
    }
}

pub fn prompt(text: &str) -> Result<(), String> {
    limits::prompt(text)
}

/// A JS number as a noise seed: an integer in 0..=2^53−1 (exactly representable).
pub fn seed(value: f64) -> Result<u64, String> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if !value.is_finite() || value.fract() != 0.0 || !(0.0..=MAX_SAFE).contains(&value) {
        return Err(format!("seed must be an integer from 0 to 2^53−1, got {value}"));
    }
    Ok(value as u64)
}

pub fn schedule(name: &str) -> Result<ScheduleSpec, String> {
    name.parse().map_err(|e: swd_core::Error| e.to_string())
}

pub fn cfg(value: f64) -> Result<f32, String> {
    limits::guidance(value).map_err(|e| format!("cfg: {e}"))
}

/// Fails on keys outside `allowed`, so a misspelt option is not silently ignored.
pub fn known_keys<'a>(what: &str, keys: impl IntoIterator<Item = &'a str>, allowed: &[&str]) -> Result<(), String> {
    for key in keys {
        if !allowed.contains(&key) {
            return Err(format!("unknown {what} option '{key}' (expected one of: {})", allowed.join(", ")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds() {
        assert_eq!(seed(0.0), Ok(0));
        assert_eq!(seed(42.0), Ok(42));
        for bad in [1.5, -1.0, f64::NAN, f64::INFINITY, 1e300] {
            assert!(seed(bad).unwrap_err().contains("seed must be an integer"), "{bad}");
        }
    }

    #[test]
    fn schedules_backends_cfg() {
        assert_eq!(schedule("swd4").unwrap().to_string(), "swd4");
        assert_eq!(schedule("euler:4").unwrap(), ScheduleSpec::Euler { steps: 4 });
        assert!(schedule("swd5").unwrap_err().contains("unknown schedule"));
        assert_eq!(backend("cpu"), Ok(BackendChoice::Cpu));
        assert!(backend("gpu").unwrap_err().contains("\"auto\", \"webgpu\" or \"cpu\""));
        assert!(cfg(-1.0).unwrap_err().starts_with("cfg: guidance must be"));
    }

    #[test]
    fn unknown_keys_are_named() {
        assert!(known_keys("generate", ["seed", "schedule"], &["seed", "schedule", "cfg"]).is_ok());
        let err = known_keys("generate", ["seed", "sed"], &["seed", "schedule"]).unwrap_err();
        assert!(err.contains("'sed'") && err.contains("seed, schedule"), "{err}");
    }
}
