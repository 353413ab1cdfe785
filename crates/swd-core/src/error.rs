//! One error type for the core; every message names the thing that is wrong.

/// Errors from parsing configs, schedules, tokenizers and weights.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid model config: {0}")]
    Config(String),
    #[error("invalid schedule '{input}': {reason}")]
    Schedule { input: String, reason: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("weights: {0}")]
    Weights(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// The text of a panic, for hooks that turn panics into one-line errors (CLI and browser).
pub fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    info.payload()
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}
