//! Model configuration (`config.json` of a model folder) with typed presets.

use serde::{Deserialize, Serialize};

use crate::{Error, Result, limits};

/// The denoiser UNet. Level `l` runs at 1/2^l of the input side with
/// `base_channels · channel_mults[l]` channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UNetConfig {
    pub base_channels: usize,
    pub channel_mults: Vec<usize>,
    /// Residual blocks per level on the way down (and up).
    pub res_blocks: usize,
    /// Levels that get a transformer block (self- and cross-attention) after each res block;
    /// the middle block always has one.
    pub attention_levels: Vec<usize>,
    pub heads: usize,
    pub norm_groups: usize,
}

/// The text encoder: token + position embeddings and pre-norm transformer blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextEncoderConfig {
    pub vocab_size: usize,
    /// Tokens per prompt after padding/truncation (including the leading BOS token).
    pub max_tokens: usize,
    pub width: usize,
    pub layers: usize,
    pub heads: usize,
}

/// The model sizes a new model or teacher run starts from (see the constructors below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// ~0.3 M parameters: tests and CI.
    Tiny,
    /// ~1.4 M parameters: CPU training.
    Small,
    /// ~7.4 M parameters: the shipped demo model (GPU training).
    Demo,
}

/// Everything needed to rebuild a model from its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Preset the model was created from (informational).
    pub preset: String,
    pub image_channels: usize,
    /// Output side of the default schedule.
    pub resolution: usize,
    pub unet: UNetConfig,
    pub text: TextEncoderConfig,
    /// Schedule `generate` uses when none is given (see `ScaleSchedule::parse`).
    pub default_schedule: String,
    /// Classifier-free guidance scale used with Euler (teacher) schedules.
    pub default_cfg: f32,
}

impl ModelConfig {
    /// For tests: ~0.1 M parameters, runs in milliseconds on a CPU.
    pub fn tiny(vocab_size: usize) -> Self {
        Self {
            preset: "tiny".into(),
            image_channels: 3,
            resolution: 64,
            unet: UNetConfig {
                base_channels: 16,
                channel_mults: vec![1, 2, 2],
                res_blocks: 1,
                attention_levels: vec![2],
                heads: 2,
                norm_groups: 4,
            },
            text: TextEncoderConfig { vocab_size, max_tokens: 16, width: 32, layers: 1, heads: 2 },
            default_schedule: "swd4".into(),
            default_cfg: 4.5,
        }
    }

    /// For CPU training (2 cores, hours): ~1 M parameters.
    pub fn small(vocab_size: usize) -> Self {
        Self {
            preset: "small".into(),
            unet: UNetConfig {
                base_channels: 32,
                channel_mults: vec![1, 2, 2],
                res_blocks: 1,
                attention_levels: vec![2],
                heads: 4,
                norm_groups: 8,
            },
            text: TextEncoderConfig { vocab_size, max_tokens: 16, width: 96, layers: 2, heads: 4 },
            ..Self::tiny(vocab_size)
        }
    }

    /// For GPU training: the demo model, ≤ 8 M parameters so f16 weights stay ≤ 16 MiB.
    pub fn demo(vocab_size: usize) -> Self {
        Self {
            preset: "demo".into(),
            unet: UNetConfig {
                base_channels: 64,
                channel_mults: vec![1, 2, 3],
                res_blocks: 1,
                attention_levels: vec![2],
                heads: 4,
                norm_groups: 16,
            },
            text: TextEncoderConfig { vocab_size, max_tokens: 16, width: 128, layers: 2, heads: 4 },
            ..Self::tiny(vocab_size)
        }
    }

    /// The preset's config for a vocabulary of `vocab_size` tokens.
    pub fn preset(preset: Preset, vocab_size: usize) -> Self {
        match preset {
            Preset::Tiny => Self::tiny(vocab_size),
            Preset::Small => Self::small(vocab_size),
            Preset::Demo => Self::demo(vocab_size),
        }
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let config: Self = serde_json::from_slice(bytes).map_err(|e| Error::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("config serialises")
    }

    /// Checks the relations between fields that serde cannot; the message names the field.
    pub fn validate(&self) -> Result<()> {
        let u = &self.unet;
        let t = &self.text;
        let fail = |msg: String| Err(Error::Config(msg));
        if self.image_channels == 0 {
            return fail("image_channels must be > 0".into());
        }
        if u.channel_mults.is_empty() || u.channel_mults.len() > 4 {
            return fail("unet.channel_mults must have 1 to 4 levels".into());
        }
        if u.base_channels == 0 || u.res_blocks == 0 || u.heads == 0 || u.norm_groups == 0 {
            return fail("unet.base_channels, res_blocks, heads and norm_groups must be > 0".into());
        }
        if u.res_blocks > limits::MAX_DEPTH || t.layers > limits::MAX_DEPTH {
            return fail(format!("unet.res_blocks and text.layers must be at most {}", limits::MAX_DEPTH));
        }
        for &m in &u.channel_mults {
            let c = u.base_channels.saturating_mul(m);
            if c > limits::MAX_CHANNELS || t.width > limits::MAX_CHANNELS {
                return fail(format!("unet level channels and text.width must be at most {}", limits::MAX_CHANNELS));
            }
            if m == 0 || c % u.norm_groups != 0 || c % u.heads != 0 {
                return fail(format!(
                    "unet: level channels {c} must be > 0 and divisible by norm_groups ({}) and heads ({})",
                    u.norm_groups, u.heads
                ));
            }
        }
        if let Some(&l) = u.attention_levels.iter().find(|&&l| l >= u.channel_mults.len()) {
            return fail(format!("unet.attention_levels: level {l} does not exist"));
        }
        if t.vocab_size < 4 || t.max_tokens < 2 || t.layers == 0 || t.heads == 0 || t.width % t.heads != 0 {
            return fail("text: vocab_size ≥ 4, max_tokens ≥ 2, layers ≥ 1 and width divisible by heads".into());
        }
        if t.vocab_size > limits::MAX_VOCAB || t.max_tokens > limits::MAX_TOKENS {
            return fail(format!("text: vocab_size at most {} and max_tokens at most {}", limits::MAX_VOCAB, limits::MAX_TOKENS));
        }
        limits::side(self.resolution).map_err(|e| Error::Config(format!("resolution: {e}")))?;
        crate::ScaleSchedule::parse(&self.default_schedule, self.resolution)
            .map_err(|e| Error::Config(format!("default_schedule: {e}")))?;
        limits::guidance(self.default_cfg as f64).map_err(|e| Error::Config(format!("default_cfg: {e}")))?;
        // Counted on a model whose parameters are not allocated (burn initialises them lazily).
        let params = burn::module::Module::num_params(&crate::SwdModel::new(self, &burn::tensor::Device::flex()));
        if params > limits::MAX_PARAMS {
            return fail(format!("the model has {params} parameters; swd loads at most {}", limits::MAX_PARAMS));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_round_trip() {
        for preset in [Preset::Tiny, Preset::Small, Preset::Demo] {
            let c = ModelConfig::preset(preset, 600);
            c.validate().unwrap();
            assert_eq!(ModelConfig::from_json(c.to_json().as_bytes()).unwrap(), c);
        }
    }

    #[test]
    fn bad_configs_name_the_field() {
        let mut json: serde_json::Value = serde_json::from_str(&ModelConfig::tiny(50).to_json()).unwrap();
        json["unet"]["attention_levels"] = serde_json::json!([7]);
        let err = ModelConfig::from_json(json.to_string().as_bytes()).unwrap_err().to_string();
        assert!(err.contains("attention_levels"), "{err}");
        json["unet"]["attention_levels"] = serde_json::json!([2]);
        json["unet"].as_object_mut().unwrap().remove("heads");
        let err = ModelConfig::from_json(json.to_string().as_bytes()).unwrap_err().to_string();
        assert!(err.contains("heads"), "{err}");
        let err = ModelConfig::from_json(b"{not json").unwrap_err().to_string();
        assert!(err.contains("invalid model config"), "{err}");
    }
}
