//! What the benches share: a randomly initialised demo-size model on burn's CPU backend (speed
//! does not depend on the weights) and its prompt encoding.

use swd::burn::tensor::Device;
use swd::{ModelConfig, TextTokenizer, TextToImage};

pub const PROMPT: &str = "3d emoji: red apple";

pub fn demo_model(device: &Device) -> TextToImage {
    let tokenizer = TextTokenizer::build(&[PROMPT, "flat emoji: cat face"]).expect("tokenizer");
    let config = ModelConfig::preset("demo", tokenizer.vocab_size()).expect("demo preset");
    TextToImage::init(config, tokenizer, device).expect("model")
}
