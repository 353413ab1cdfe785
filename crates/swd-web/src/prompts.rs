//! Prompt encodings kept between generations: the empty prompt's (classifier-free guidance and
//! the warm-up) and the last prompt's (a page that compares schedules, or re-rolls the seed,
//! sends the same prompt again).

use std::cell::RefCell;

use burn::tensor::Device;
use swd_core::nn::TextEmbedding;
use swd_core::{Result, TextToImage};

type Slot = RefCell<Option<(String, TextEmbedding)>>;

#[derive(Default)]
pub struct PromptCache {
    empty: Slot,
    last: Slot,
}

impl PromptCache {
    /// The encoding of `prompt` (`[1, L, D]` tokens), from the cache when it holds it.
    pub fn encode(&self, t2i: &TextToImage, prompt: &str, device: &Device) -> Result<TextEmbedding> {
        let slot = if prompt.is_empty() { &self.empty } else { &self.last };
        if let Some((cached, embedding)) = &*slot.borrow() {
            if cached == prompt {
                return Ok(embedding.clone());
            }
        }
        let embedding = t2i.encode(&[prompt], device)?;
        *slot.borrow_mut() = Some((prompt.to_string(), embedding.clone()));
        Ok(embedding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swd_core::{ModelConfig, TextTokenizer};

    fn values(e: &TextEmbedding) -> Vec<f32> {
        e.pooled.clone().into_data().try_into_vec::<f32>().expect("f32")
    }

    #[test]
    fn gives_each_prompt_its_own_encoding() {
        let device = Device::flex();
        let tokenizer = TextTokenizer::build(&["red apple", "blue car"]).expect("tokenizer");
        let t2i = TextToImage::init(ModelConfig::tiny(tokenizer.vocab_size()), tokenizer, &device).expect("model");
        let cache = PromptCache::default();
        let fresh = |p: &str| values(&t2i.encode(&[p], &device).expect("encode"));
        for prompt in ["red apple", "", "red apple", "blue car", "", "red apple"] {
            assert_eq!(values(&cache.encode(&t2i, prompt, &device).expect("encode")), fresh(prompt), "prompt {prompt:?}");
        }
        assert_ne!(fresh("red apple"), fresh("blue car"), "distinct prompts must differ for this test to mean anything");
    }
}
