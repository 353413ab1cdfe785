//! What the benches share: a randomly initialised demo-size model on burn's CPU backend (speed
//! does not depend on the weights) and its prompt encoding.

use swd_core::burn::tensor::Device;
use swd_core::{ModelConfig, Preset, TextToImage, TextTokenizer};

pub const PROMPT: &str = "3d emoji: red apple";

pub fn demo_model(device: &Device) -> TextToImage {
    let tokenizer = TextTokenizer::build(&[PROMPT, "flat emoji: cat face"]).expect("tokenizer");
    let config = ModelConfig::preset(Preset::Demo, tokenizer.vocab_size());
    TextToImage::init(config, tokenizer, device).expect("model")
}
