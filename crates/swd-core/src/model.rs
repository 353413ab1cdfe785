//! The text-to-image model (text encoder + UNet) and its model folder in bytes:
//! `config.json`, `tokenizer.json`, `model.safetensors`.

use std::collections::HashMap;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::nn::{LoraConfig, SpatialTransformer, TextEmbedding, TextEncoder, TokenBlock, UNet, UNetOutput};
use crate::noise::BatchNoise;
use crate::sampler::{Denoiser, Sampler};
use crate::weights::{self, StoreDtype};
use crate::{Error, ModelConfig, Result, SamplerKind, ScaleSchedule, ScheduleSpec, TextTokenizer};

pub const CONFIG_FILE: &str = "config.json";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";

/// The networks, as one module so they save, load and train together.
#[derive(Module, Debug)]
pub struct SwdModel {
    pub text_encoder: TextEncoder,
    pub unet: UNet,
}

impl SwdModel {
    /// A randomly initialised model.
    pub fn new(config: &ModelConfig, device: &Device) -> Self {
        Self { text_encoder: config.text.init(device), unet: config.unet.init(config.image_channels, config.text.width, device) }
    }

    /// Adds zero-initialised LoRA adapters to every attention and MLP projection.
    pub fn with_lora(self, config: LoraConfig, device: &Device) -> Self {
        self.map_blocks(|b| b.with_lora(config, device))
    }

    /// Folds every adapter into its projection: a plain model computing the same function.
    pub fn merge_lora(self) -> Self {
        self.map_blocks(TokenBlock::merge_lora)
    }

    /// Applies `f` to every token block (text encoder and the UNet's transformers).
    fn map_blocks(self, mut f: impl FnMut(TokenBlock) -> TokenBlock) -> Self {
        let mut text_encoder = self.text_encoder;
        text_encoder.blocks = text_encoder.blocks.into_iter().map(&mut f).collect();
        let mut unet = self.unet;
        let mut st = |s: SpatialTransformer| SpatialTransformer { block: f(s.block), ..s };
        for level in &mut unet.down {
            level.attn = std::mem::take(&mut level.attn).into_iter().map(&mut st).collect();
        }
        for level in &mut unet.up {
            level.attn = std::mem::take(&mut level.attn).into_iter().map(&mut st).collect();
        }
        unet.mid_attn = st(unet.mid_attn);
        Self { text_encoder, unet }
    }

    /// `x`: `[B, C, H, W]`, `sigma`: `[B]` → velocity and named features.
    pub fn forward(&self, x: Tensor<4>, sigma: Tensor<1>, text: &TextEmbedding) -> UNetOutput {
        self.unet.forward(x, sigma * crate::flow::TIMESTEP_SCALE, text)
    }
}

/// The three files of a model folder, as bytes.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub config: Vec<u8>,
    pub tokenizer: Vec<u8>,
    pub weights: Vec<u8>,
}

/// A loaded model: networks, tokenizer and config, ready to sample.
#[derive(Debug, Clone)]
pub struct TextToImage {
    pub config: ModelConfig,
    pub tokenizer: TextTokenizer,
    pub model: SwdModel,
}

impl TextToImage {
    /// A randomly initialised model whose vocabulary comes from `tokenizer`.
    pub fn init(config: ModelConfig, tokenizer: TextTokenizer, device: &Device) -> Result<Self> {
        config.validate()?;
        check_vocab(&config, &tokenizer)?;
        let model = SwdModel::new(&config, device);
        Ok(Self { config, tokenizer, model })
    }

    /// Loads a model folder from its files' bytes.
    pub fn from_files(files: &ModelFiles, device: &Device) -> Result<Self> {
        let config = ModelConfig::from_json(&files.config)?;
        let tokenizer = TextTokenizer::from_bytes(&files.tokenizer)?;
        check_vocab(&config, &tokenizer)?;
        let model = weights::load(SwdModel::new(&config, device), &files.weights)?;
        Ok(Self { config, tokenizer, model })
    }

    /// The folder's files; weights in `dtype` (f16 for shipping).
    pub fn to_files(&self, dtype: StoreDtype) -> Result<ModelFiles> {
        let metadata = HashMap::from([("format".to_string(), "swd".to_string()), ("preset".to_string(), self.config.preset.clone())]);
        Ok(ModelFiles {
            config: self.config.to_json().into_bytes(),
            tokenizer: self.tokenizer.to_json().into_bytes(),
            weights: weights::to_safetensors(&self.model, dtype, metadata)?,
        })
    }

    pub fn num_params(&self) -> usize {
        self.model.num_params()
    }

    /// The schedule `spec` names for this model (`euler:N` at its resolution), or the model's
    /// default schedule.
    pub fn schedule(&self, spec: Option<&ScheduleSpec>) -> Result<ScaleSchedule> {
        match spec {
            Some(spec) => spec.at(self.config.resolution),
            None => ScaleSchedule::parse(&self.config.default_schedule, self.config.resolution),
        }
    }

    /// The guidance scale `schedule` runs with unless told otherwise: the model's own for Euler
    /// (teacher) schedules, 1 (off) for few-step schedules, whose students absorbed guidance.
    pub fn default_guidance(&self, schedule: &ScaleSchedule) -> f32 {
        match schedule.kind {
            SamplerKind::Euler => self.config.default_cfg,
            SamplerKind::FewStep => 1.0,
        }
    }

    /// Images `[B, 3, S, S]` in [−1, 1] for `prompts` (image `b` from noise seed `seed + b`),
    /// guided with scale `cfg` against the empty prompt.
    pub fn generate<S: AsRef<str>>(
        &self,
        prompts: &[S],
        schedule: &ScaleSchedule,
        cfg: f32,
        seed: u64,
        device: &Device,
    ) -> Result<Tensor<4>> {
        let cond = self.encode(prompts, device)?;
        let uncond = self.encode(&vec![""; prompts.len()], device)?;
        Ok(Sampler::new(&self.model, schedule.clone(), &cond, BatchNoise::new(seed, prompts.len()), device)
            .with_guidance(&uncond, cfg)
            .run(|_| {}))
    }

    /// Encodes prompts (the empty prompt is the unconditional one).
    pub fn encode<S: AsRef<str>>(&self, prompts: &[S], device: &Device) -> Result<TextEmbedding> {
        self.encode_with(&self.model, prompts, device)
    }

    /// Encodes prompts with this model's tokenizer and `model`'s text encoder (a network of the
    /// same architecture, e.g. a student or fake score being distilled from this one).
    pub fn encode_with<S: AsRef<str>>(&self, model: &SwdModel, prompts: &[S], device: &Device) -> Result<TextEmbedding> {
        let batch = self.tokenizer.encode_batch(prompts, self.config.text.max_tokens)?;
        let (ids, mask) = batch.to_tensors(device);
        Ok(model.text_encoder.forward(ids, mask))
    }
}

fn check_vocab(config: &ModelConfig, tokenizer: &TextTokenizer) -> Result<()> {
    if tokenizer.vocab_size() > config.text.vocab_size {
        return Err(Error::Config(format!(
            "text.vocab_size is {} but tokenizer.json has token ids up to {}",
            config.text.vocab_size,
            tokenizer.vocab_size() - 1
        )));
    }
    Ok(())
}

impl Denoiser for SwdModel {
    type Cond = TextEmbedding;

    fn velocity(&self, x: Tensor<4>, sigma: f32, cond: &TextEmbedding) -> Tensor<4> {
        let b = x.dims()[0];
        let sigma = Tensor::<1>::full([b], sigma, &x.device());
        self.forward(x, sigma, cond).velocity
    }

    fn channels(&self) -> usize {
        self.unet.conv_out.weight.lazy_shape().dims::<4>()[0]
    }
}
