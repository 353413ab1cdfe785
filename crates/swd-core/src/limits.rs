//! Limits that every entry point (CLI, browser, run configs, model configs) checks the same way.
//! The checks return the reason as text; callers say which argument or field it was.

/// Image sides the denoiser accepts: multiples of `SIDE_STEP` in `MIN_SIDE..=MAX_SIDE`.
pub const MIN_SIDE: usize = 16;
pub const MAX_SIDE: usize = 128;
pub const SIDE_STEP: usize = 8;

/// The longest prompt accepted, in characters (the tokenizer keeps far fewer tokens anyway):
/// longer input is refused rather than silently cut.
pub const MAX_PROMPT_CHARS: usize = 1000;

/// An image side (a schedule's scale, a model's resolution, a training scale).
pub fn side(s: usize) -> Result<usize, String> {
    if s % SIDE_STEP != 0 || !(MIN_SIDE..=MAX_SIDE).contains(&s) {
        return Err(format!("side {s} must be a multiple of {SIDE_STEP} in {MIN_SIDE}..={MAX_SIDE}"));
    }
    Ok(s)
}

pub fn prompt(text: &str) -> Result<(), String> {
    let n = text.chars().count();
    if n > MAX_PROMPT_CHARS {
        return Err(format!("prompt is too long ({n} characters; at most {MAX_PROMPT_CHARS})"));
    }
    Ok(())
}

/// A classifier-free guidance scale (1 = off).
pub fn guidance(value: f64) -> Result<f32, String> {
    if !value.is_finite() || value < 0.0 {
        return Err(format!("guidance must be a finite number ≥ 0, got {value}"));
    }
    Ok(value as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_prompts_guidance() {
        assert_eq!(side(16), Ok(16));
        assert_eq!(side(128), Ok(128));
        for bad in [0, 8, 20, 136] {
            assert!(side(bad).unwrap_err().contains("multiple of 8 in 16..=128"), "{bad}");
        }
        assert!(prompt(&"a".repeat(MAX_PROMPT_CHARS)).is_ok());
        assert!(prompt(&"é".repeat(MAX_PROMPT_CHARS + 1)).unwrap_err().contains("too long (1001 characters"));
        assert_eq!(guidance(4.5), Ok(4.5));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(guidance(bad).unwrap_err().contains("finite number ≥ 0"), "{bad}");
        }
    }
}
