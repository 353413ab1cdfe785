//! Limits that every entry point (CLI, browser, run configs, model configs) checks the same way.
//! The checks return the reason as text; callers say which argument or field it was.

/// Image sides the denoiser accepts: multiples of `SIDE_STEP` in `MIN_SIDE..=MAX_SIDE`.
pub const MIN_SIDE: usize = 16;
pub const MAX_SIDE: usize = 128;
pub const SIDE_STEP: usize = 8;

/// The longest prompt accepted, in characters (the tokenizer keeps far fewer tokens anyway):
/// longer input is refused rather than silently cut.
pub const MAX_PROMPT_CHARS: usize = 1000;

/// The largest network a model config may describe, in parameters (4 GiB as f32): a few bytes of
/// `config.json` must not commit us to more before any weights are read.
pub const MAX_PARAMS: usize = 1 << 30;
/// Bounds on single config fields, checked before any product of them is formed.
pub const MAX_CHANNELS: usize = 8192;
pub const MAX_DEPTH: usize = 64;
pub const MAX_TOKENS: usize = 1024;
/// Token ids must be below this (embedding rows; our word-level vocabularies have hundreds).
pub const MAX_VOCAB: usize = 1 << 20;
/// Added tokens are searched for in every prompt, each one at every match.
pub const MAX_ADDED_TOKENS: usize = 1024;
/// The most images of one batch: a training batch, a sample grid, one generation call.
pub const MAX_BATCH: usize = 4096;

/// Reading a file may allocate at most this multiple of its size (plus the model its config
/// describes) before validation has passed: f16 → f32 doubles it, int8 → f32 quadruples it, the
/// tensor handed to burn copies it once more. Checked with [`PeakAlloc`] by the fuzz targets
/// and by swd-core's allocation tests.
pub const READ_ALLOC_FACTOR: usize = 12;
/// Allocation a reader may need whatever the input (parser tables, regex, error messages).
pub const READ_ALLOC_SLACK: usize = 8 << 20;

/// The most a reader of `input_bytes` may allocate when loading a model of `model_params`.
pub fn read_alloc_cap(input_bytes: usize, model_params: usize) -> usize {
    READ_ALLOC_FACTOR * input_bytes + 4 * model_params + READ_ALLOC_SLACK
}

/// A global allocator that records the peak of live bytes ([`PeakAlloc::measure`]); install
/// it with `#[global_allocator]` in a test or fuzz binary to check [`read_alloc_cap`].
pub struct PeakAlloc;

static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl PeakAlloc {
    /// `f`'s result and the most bytes live at once while it ran, beyond those live before
    /// (allocations of other threads count too: measure one thing at a time).
    pub fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
        use std::sync::atomic::Ordering::Relaxed;
        let base = LIVE.load(Relaxed);
        PEAK.store(base, Relaxed);
        let result = f();
        (result, PEAK.load(Relaxed).saturating_sub(base))
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl std::alloc::GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        let p = unsafe { std::alloc::System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

/// An image side (a schedule's scale, a model's resolution, a training scale).
pub fn side(s: usize) -> Result<usize, String> {
    if s % SIDE_STEP != 0 || !(MIN_SIDE..=MAX_SIDE).contains(&s) {
        return Err(format!("side {s} must be a multiple of {SIDE_STEP} in {MIN_SIDE}..={MAX_SIDE}"));
    }
    Ok(s)
}

/// A number of images processed together (see [`MAX_BATCH`]).
pub fn batch(n: usize) -> Result<usize, String> {
    if !(1..=MAX_BATCH).contains(&n) {
        return Err(format!("{n} images at once; 1 to {MAX_BATCH}"));
    }
    Ok(n)
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
