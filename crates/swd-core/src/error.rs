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
    #[error("invalid input: {0}")]
    Input(String),
}

pub type Result<T> = std::result::Result<T, Error>;
