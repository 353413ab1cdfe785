//! A word-level tokenizer over the `tokenizers` crate, built from the training captions and
//! saved as a standard `tokenizer.json` (same file natively and in the browser).

use std::collections::BTreeMap;

use burn::tensor::{Device, Int, Tensor, TensorData};
use tokenizers::pre_tokenizers::whitespace::Whitespace;
use tokenizers::{OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer, Tokenizer};

use crate::{Error, Result};

pub const PAD: &str = "[PAD]";
pub const UNK: &str = "[UNK]";
/// Prepended to every prompt so that even the empty prompt (the CFG negative) has one token
/// to attend to.
pub const BOS: &str = "[BOS]";
const SPECIALS: [&str; 3] = [PAD, UNK, BOS];

/// Token ids and mask of a batch of prompts, padded to `max_tokens`.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedBatch {
    pub ids: Vec<i64>,
    pub mask: Vec<f32>,
    pub batch: usize,
    pub max_tokens: usize,
}

impl EncodedBatch {
    /// `([B, L] ids, [B, L] mask)` on `device`.
    pub fn to_tensors(&self, device: &Device) -> (Tensor<2, Int>, Tensor<2>) {
        let shape = [self.batch, self.max_tokens];
        (
            Tensor::from_data(TensorData::new(self.ids.clone(), shape), device),
            Tensor::from_data(TensorData::new(self.mask.clone(), shape), device),
        )
    }
}

#[derive(Clone)]
pub struct TextTokenizer {
    inner: Tokenizer,
    bos: u32,
    pad: u32,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TextTokenizer(vocab={})", self.vocab_size())
    }
}

fn words(text: &str) -> Result<Vec<String>> {
    let mut pre = PreTokenizedString::from(text.to_lowercase());
    Whitespace {}.pre_tokenize(&mut pre).map_err(|e| Error::Tokenizer(e.to_string()))?;
    Ok(pre
        .get_splits(OffsetReferential::Original, OffsetType::Byte)
        .into_iter()
        .map(|(w, _, _)| w.to_string())
        .collect())
}

impl TextTokenizer {
    /// A lower-cased word-level vocabulary of every word in `captions` (sorted, so the same
    /// captions always give the same ids), plus `[PAD]`, `[UNK]`, `[BOS]`.
    pub fn build<S: AsRef<str>>(captions: &[S]) -> Result<Self> {
        let mut vocab: BTreeMap<String, u32> = SPECIALS.iter().enumerate().map(|(i, s)| (s.to_string(), i as u32)).collect();
        let mut all: Vec<String> = Vec::new();
        for caption in captions {
            all.extend(words(caption.as_ref())?);
        }
        all.sort();
        all.dedup();
        for word in all {
            let next = vocab.len() as u32;
            vocab.entry(word).or_insert(next);
        }
        let added: Vec<_> = SPECIALS
            .iter()
            .enumerate()
            .map(|(i, s)| {
                serde_json::json!({"id": i, "content": s, "single_word": false, "lstrip": false,
                    "rstrip": false, "normalized": false, "special": true})
            })
            .collect();
        let spec = serde_json::json!({
            "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
            "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": null, "decoder": null,
            "model": {"type": "WordLevel", "vocab": vocab, "unk_token": UNK},
        });
        Self::from_bytes(spec.to_string().as_bytes())
    }

    /// Loads a `tokenizer.json`; it must define `[PAD]` and `[BOS]`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let inner = Tokenizer::from_bytes(bytes).map_err(|e| Error::Tokenizer(format!("cannot parse tokenizer.json: {e}")))?;
        let id = |t: &str| inner.token_to_id(t).ok_or_else(|| Error::Tokenizer(format!("tokenizer.json lacks the {t} token")));
        Ok(Self { bos: id(BOS)?, pad: id(PAD)?, inner })
    }

    pub fn to_json(&self) -> String {
        self.inner.to_string(true).expect("tokenizer serialises")
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// `[BOS] words…` truncated to `max_tokens`, then padded with `[PAD]`.
    pub fn encode(&self, prompt: &str, max_tokens: usize) -> Result<Vec<u32>> {
        let enc = self.inner.encode(prompt, false).map_err(|e| Error::Tokenizer(e.to_string()))?;
        let mut ids = vec![self.bos];
        ids.extend(enc.get_ids().iter().copied().take(max_tokens.saturating_sub(1)));
        ids.resize(max_tokens, self.pad);
        Ok(ids)
    }

    pub fn encode_batch<S: AsRef<str>>(&self, prompts: &[S], max_tokens: usize) -> Result<EncodedBatch> {
        let mut ids = Vec::with_capacity(prompts.len() * max_tokens);
        let mut mask = Vec::with_capacity(prompts.len() * max_tokens);
        for prompt in prompts {
            for id in self.encode(prompt.as_ref(), max_tokens)? {
                ids.push(id as i64);
                mask.push(if id == self.pad { 0.0 } else { 1.0 });
            }
        }
        Ok(EncodedBatch { ids, mask, batch: prompts.len(), max_tokens })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_deterministic_vocab_and_round_trips() {
        let captions = ["3d emoji: red apple", "flat emoji: thumbs up, medium skin tone"];
        let tok = TextTokenizer::build(&captions).unwrap();
        // 3 specials + 3d emoji : red apple flat thumbs up , medium skin tone
        assert_eq!(tok.vocab_size(), 3 + 12);
        let again = TextTokenizer::from_bytes(tok.to_json().as_bytes()).unwrap();
        assert_eq!(tok.encode("Red APPLE", 6).unwrap(), again.encode("red apple", 6).unwrap());
        let ids = tok.encode("red apple", 6).unwrap();
        assert_eq!(ids[0], tok.bos);
        assert_eq!(&ids[3..], &[tok.pad; 3]);
        assert_ne!(ids[1], ids[2]);
    }

    #[test]
    fn pads_truncates_and_masks() {
        let tok = TextTokenizer::build(&["a b c d e f"]).unwrap();
        let batch = tok.encode_batch(&["a b c d e f", "", "zzz"], 4).unwrap();
        assert_eq!(batch.ids.len(), 12);
        assert_eq!(batch.mask, vec![1., 1., 1., 1., 1., 0., 0., 0., 1., 1., 0., 0.]);
        let unk = tok.inner.token_to_id(UNK).unwrap() as i64;
        assert_eq!(batch.ids[9], unk);
    }

    #[test]
    fn rejects_broken_json() {
        let err = TextTokenizer::from_bytes(b"{\"model\": 3}").unwrap_err().to_string();
        assert!(err.contains("tokenizer.json"), "{err}");
    }
}
