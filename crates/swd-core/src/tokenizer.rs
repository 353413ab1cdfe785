//! A word-level tokenizer built from the training captions and saved as a standard Hugging Face
//! `tokenizer.json` (WordLevel model, Lowercase normalizer, Whitespace pre-tokenizer), the same
//! file natively, in the browser and in the PyTorch reference. It reads exactly that subset of
//! the format and computes what the `tokenizers` crate computes for it (a dev-only test checks
//! this), without that crate's weight in the browser module.

use std::collections::{BTreeMap, HashMap};

use burn::tensor::{Device, Int, Tensor, TensorData};
use regex::Regex;
use serde_json::{Value, json};

use crate::{Error, Result};

pub const PAD: &str = "[PAD]";
pub const UNK: &str = "[UNK]";
/// Prepended to every prompt so that even the empty prompt (the CFG negative) has one token
/// to attend to.
pub const BOS: &str = "[BOS]";
const SPECIALS: [&str; 3] = [PAD, UNK, BOS];
/// The Whitespace pre-tokenizer: runs of word characters, and runs of other non-space ones.
const WORDS: &str = r"\w+|[^\w\s]+";

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
    /// Word → id (the WordLevel model's vocabulary).
    vocab: BTreeMap<String, u32>,
    /// Added tokens, matched in the raw prompt before lower-casing (longest first).
    added: Vec<(String, u32)>,
    words: Regex,
    unk: u32,
    bos: u32,
    pad: u32,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TextTokenizer(vocab={})", self.vocab_size())
    }
}

/// Lower-cases char by char, as the Lowercase normalizer does (no final-sigma rule).
fn lowercase(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

fn tokenizer_error(msg: impl std::fmt::Display) -> Error {
    Error::Tokenizer(format!("tokenizer.json: {msg}"))
}

/// `value` must be `{"type": expected}` (the components this tokenizer implements).
fn expect_type(value: &Value, field: &str, expected: &str) -> Result<()> {
    match value.get("type").and_then(Value::as_str) {
        Some(t) if t == expected => Ok(()),
        Some(t) => Err(tokenizer_error(format!("{field} '{t}' is not supported (swd reads {field} '{expected}')"))),
        None => Err(tokenizer_error(format!("{field} must be {{\"type\": \"{expected}\"}}"))),
    }
}

impl TextTokenizer {
    /// A lower-cased word-level vocabulary of every word in `captions` (sorted, so the same
    /// captions always give the same ids), plus `[PAD]`, `[UNK]`, `[BOS]`.
    pub fn build<S: AsRef<str>>(captions: &[S]) -> Result<Self> {
        let words = Regex::new(WORDS).expect("valid pattern");
        let mut vocab: BTreeMap<String, u32> = SPECIALS.iter().enumerate().map(|(i, s)| (s.to_string(), i as u32)).collect();
        let mut all: Vec<String> = captions
            .iter()
            .flat_map(|c| words.find_iter(&lowercase(c.as_ref())).map(|m| m.as_str().to_string()).collect::<Vec<_>>())
            .collect();
        all.sort();
        all.dedup();
        for word in all {
            let next = vocab.len() as u32;
            vocab.entry(word).or_insert(next);
        }
        let added = SPECIALS.iter().map(|s| (s.to_string(), vocab[*s])).collect();
        Self::new(vocab, added)
    }

    fn new(vocab: BTreeMap<String, u32>, mut added: Vec<(String, u32)>) -> Result<Self> {
        added.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        let id = |t: &str| vocab.get(t).copied().ok_or_else(|| tokenizer_error(format!("the vocabulary lacks the {t} token")));
        Ok(Self { unk: id(UNK)?, bos: id(BOS)?, pad: id(PAD)?, words: Regex::new(WORDS).expect("valid pattern"), vocab, added })
    }

    /// Loads a `tokenizer.json` (WordLevel, Lowercase, Whitespace); it must define `[PAD]`,
    /// `[UNK]` and `[BOS]`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let spec: Value = serde_json::from_slice(bytes).map_err(|e| tokenizer_error(format!("cannot parse: {e}")))?;
        let model = spec.get("model").ok_or_else(|| tokenizer_error("no 'model'"))?;
        expect_type(model, "model", "WordLevel")?;
        expect_type(spec.get("normalizer").unwrap_or(&Value::Null), "normalizer", "Lowercase")?;
        expect_type(spec.get("pre_tokenizer").unwrap_or(&Value::Null), "pre_tokenizer", "Whitespace")?;
        for field in ["post_processor", "truncation", "padding"] {
            if !spec.get(field).unwrap_or(&Value::Null).is_null() {
                return Err(tokenizer_error(format!("'{field}' is not supported (swd pads and adds [BOS] itself)")));
            }
        }
        if model.get("unk_token").and_then(Value::as_str) != Some(UNK) {
            return Err(tokenizer_error(format!("model.unk_token must be \"{UNK}\"")));
        }
        let id = |v: &Value, what: &str| match v.as_u64() {
            Some(i) if i < crate::limits::MAX_VOCAB as u64 => Ok(i as u32),
            Some(i) => Err(tokenizer_error(format!("{what} is {i}; token ids must be below {}", crate::limits::MAX_VOCAB))),
            None => Err(tokenizer_error(format!("{what} is not a token id"))),
        };
        let vocab = model
            .get("vocab")
            .and_then(Value::as_object)
            .ok_or_else(|| tokenizer_error("model.vocab must be an object of word → id"))?
            .iter()
            .map(|(w, i)| Ok((w.clone(), id(i, &format!("model.vocab[{w:?}]"))?)))
            .collect::<Result<BTreeMap<_, _>>>()?;
        let mut added = Vec::new();
        let tokens = spec.get("added_tokens").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        if tokens.len() > crate::limits::MAX_ADDED_TOKENS {
            return Err(tokenizer_error(format!("{} added tokens; swd reads at most {}", tokens.len(), crate::limits::MAX_ADDED_TOKENS)));
        }
        for token in tokens {
            let content = match token.get("content").and_then(Value::as_str) {
                Some("") => return Err(tokenizer_error("an added token's 'content' is empty")),
                Some(content) => content,
                None => return Err(tokenizer_error("an added token has no 'content'")),
            };
            let flags = ["single_word", "lstrip", "rstrip", "normalized"].map(|f| token.get(f).and_then(Value::as_bool).unwrap_or(false));
            if flags.iter().any(|f| *f) {
                return Err(tokenizer_error(format!("added token {content:?}: single_word, lstrip, rstrip and normalized must be false")));
            }
            added.push((content.to_string(), id(token.get("id").unwrap_or(&Value::Null), &format!("the id of added token {content:?}"))?));
        }
        // One token per id: an added token may repeat its own vocabulary entry, nothing else.
        let mut owner: HashMap<u32, &str> = HashMap::new();
        for (token, id) in vocab.iter().map(|(w, i)| (w.as_str(), *i)).chain(added.iter().map(|(c, i)| (c.as_str(), *i))) {
            match owner.insert(id, token) {
                Some(other) if other != token => return Err(tokenizer_error(format!("{other:?} and {token:?} share id {id}"))),
                _ => {}
            }
        }
        Self::new(vocab, added)
    }

    /// The Hugging Face `tokenizer.json` of this tokenizer.
    pub fn to_json(&self) -> String {
        let mut added: Vec<&(String, u32)> = self.added.iter().collect();
        added.sort_by_key(|(_, id)| *id);
        let added: Vec<Value> = added
            .iter()
            .map(|(content, id)| json!({"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}))
            .collect();
        let spec = json!({
            "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
            "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": null, "decoder": null,
            "model": {"type": "WordLevel", "vocab": self.vocab, "unk_token": UNK},
        });
        serde_json::to_string_pretty(&spec).expect("JSON values serialise")
    }

    /// The embedding rows the ids need: one more than the largest id of the vocabulary and the
    /// added tokens (the number of tokens when ids are 0..n, as `build` makes them).
    pub fn vocab_size(&self) -> usize {
        let max = self.vocab.values().chain(self.added.iter().map(|(_, id)| id)).max();
        max.map_or(0, |m| *m as usize + 1)
    }

    /// The ids of `text` without `[BOS]` or padding: added tokens where they occur verbatim, the
    /// rest lower-cased and split into words, each its id or `[UNK]`.
    fn ids(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut rest = text;
        loop {
            let next = self
                .added
                .iter()
                .filter_map(|(t, id)| rest.find(t.as_str()).map(|at| (at, t.len(), *id)))
                .min_by_key(|(at, len, _)| (*at, usize::MAX - len));
            let (before, special) = match next {
                Some((at, len, id)) => (&rest[..at], Some((at + len, id))),
                None => (rest, None),
            };
            let lower = lowercase(before);
            out.extend(self.words.find_iter(&lower).map(|m| self.vocab.get(m.as_str()).copied().unwrap_or(self.unk)));
            match special {
                Some((end, id)) => {
                    out.push(id);
                    rest = &rest[end..];
                }
                None => return out,
            }
        }
    }

    /// `[BOS] words…` truncated to `max_tokens`, then padded with `[PAD]`.
    pub fn encode(&self, prompt: &str, max_tokens: usize) -> Result<Vec<u32>> {
        let mut ids = vec![self.bos];
        ids.extend(self.ids(prompt).into_iter().take(max_tokens.saturating_sub(1)));
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
        assert_eq!(again.to_json(), tok.to_json());
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
        assert_eq!(batch.ids[9], tok.unk as i64);
    }

    #[test]
    fn rejects_what_it_does_not_implement() {
        let good: Value = serde_json::from_str(&TextTokenizer::build(&["red apple"]).unwrap().to_json()).unwrap();
        let err = |edit: &dyn Fn(&mut Value)| {
            let mut spec = good.clone();
            edit(&mut spec);
            TextTokenizer::from_bytes(spec.to_string().as_bytes()).unwrap_err().to_string()
        };
        assert!(TextTokenizer::from_bytes(b"{\"model\": 3").unwrap_err().to_string().contains("tokenizer.json: cannot parse"));
        assert!(err(&|s| s["model"]["type"] = json!("BPE")).contains("model 'BPE' is not supported"));
        assert!(err(&|s| s["normalizer"] = json!({"type": "NFKC"})).contains("normalizer 'NFKC' is not supported"));
        assert!(err(&|s| s["pre_tokenizer"] = Value::Null).contains("pre_tokenizer must be"));
        assert!(err(&|s| s["post_processor"] = json!({"type": "TemplateProcessing"})).contains("'post_processor' is not supported"));
        assert!(err(&|s| s["model"]["vocab"]["red"] = json!(-1)).contains("model.vocab[\"red\"] is not a token id"));
        assert!(err(&|s| s["added_tokens"][0]["normalized"] = json!(true)).contains("must be false"));
        assert!(
            err(&|s| {
                s["model"]["vocab"].as_object_mut().unwrap().remove(BOS);
            })
            .contains("lacks the [BOS] token")
        );
    }
}

/// The same ids as the `tokenizers` crate for the same `tokenizer.json`.
#[cfg(test)]
mod hf_parity {
    use super::*;

    fn hf_ids(hf: &tokenizers::Tokenizer, text: &str) -> Vec<u32> {
        hf.encode(text, false).unwrap().get_ids().to_vec()
    }

    #[test]
    fn matches_hugging_face_on_tricky_prompts() {
        let shipped = include_bytes!("../../../models/swd4/tokenizer.json");
        let built =
            TextTokenizer::build(&["3d emoji: red apple", "flat emoji: thumbs up, medium-dark skin tone", "ÉCOLE naïve café_au_lait 42"])
                .unwrap()
                .to_json();
        for json in [shipped.as_slice(), built.as_bytes()] {
            let ours = TextTokenizer::from_bytes(json).unwrap();
            let hf = tokenizers::Tokenizer::from_bytes(json).unwrap();
            assert_eq!(ours.vocab_size(), hf.get_vocab_size(true));
            for text in [
                "3d emoji: red apple",
                "  Flat EMOJI:thumbs-up,medium-dark skin tone!!  ",
                "",
                "[BOS] red [PAD]apple[UNK][bos]",
                "ÉCOLE naïve café_au_lait 42 ² ½ ΣΑΣ",
                "🍎 red apple ❤️ e\u{301}t\u{e9} x\u{200d}y",
                "tabs\tand\nnewlines\u{a0}nbsp",
                "[[BOS]] [BOS][BOS] [PAD",
            ] {
                let ours_ids = ours.ids(text);
                assert_eq!(ours_ids, hf_ids(&hf, text), "{text:?}");
            }
        }
    }
}
