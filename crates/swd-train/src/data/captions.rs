//! Emoji metadata (emoji-datasource's `emoji.json`) → variants with captions, and the held-out
//! split of skin-tone combinations.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
struct Entry {
    name: Option<String>,
    unified: String,
    non_qualified: Option<String>,
    short_name: String,
    category: Option<String>,
    skin_variations: Option<BTreeMap<String, Variation>>,
}

#[derive(Debug, Deserialize)]
struct Variation {
    unified: String,
    non_qualified: Option<String>,
}

/// One drawable emoji: a base emoji or one of its skin-tone variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Normalised codepoints (lower case, `fe0f` removed), e.g. `1f44d-1f3fd`.
    pub id: String,
    /// The base emoji's normalised codepoints.
    pub base: String,
    /// e.g. "thumbs up sign".
    pub name: String,
    pub short_name: String,
    pub category: String,
    /// e.g. "medium skin tone", or several joined by ", "; None for the base emoji.
    pub tone: Option<String>,
    /// Normalised alternatives to look up image files by.
    pub keys: Vec<String>,
}

/// Lower-case hex without leading zeros, `-`-separated, without the emoji presentation
/// selector, so files match however they spell it (`0023-FE0F-20E3`, `23-20e3`, `…_e0067`).
pub fn normalise(codepoints: &str) -> String {
    codepoints
        .split(['-', '_'])
        .map(|c| match u32::from_str_radix(c, 16) {
            Ok(v) => format!("{v:x}"),
            Err(_) => c.to_lowercase(),
        })
        .filter(|c| c != "fe0f")
        .collect::<Vec<_>>()
        .join("-")
}

fn tone_name(code: &str) -> Option<&'static str> {
    match code.to_uppercase().as_str() {
        "1F3FB" => Some("light skin tone"),
        "1F3FC" => Some("medium-light skin tone"),
        "1F3FD" => Some("medium skin tone"),
        "1F3FE" => Some("medium-dark skin tone"),
        "1F3FF" => Some("dark skin tone"),
        _ => None,
    }
}

/// Every base emoji and skin-tone variant in `emoji.json`.
pub fn variants(emoji_json: &[u8]) -> Result<Vec<Variant>> {
    let entries: Vec<Entry> = serde_json::from_slice(emoji_json).context("emoji.json is not the emoji-datasource format")?;
    let mut out = Vec::new();
    for e in entries {
        let name = e.name.clone().unwrap_or_else(|| e.short_name.replace('_', " ")).to_lowercase();
        let base = normalise(&e.unified);
        let keys = |u: &str, nq: &Option<String>| {
            let mut k = vec![normalise(u)];
            k.extend(nq.iter().map(|n| normalise(n)));
            k.dedup();
            k
        };
        let category = e.category.clone().unwrap_or_default();
        out.push(Variant {
            id: base.clone(),
            base: base.clone(),
            name: name.clone(),
            short_name: e.short_name.clone(),
            category: category.clone(),
            tone: None,
            keys: keys(&e.unified, &e.non_qualified),
        });
        for (tones, v) in e.skin_variations.iter().flatten() {
            let Some(names) = tones.split('-').map(tone_name).collect::<Option<Vec<_>>>() else { continue };
            out.push(Variant {
                id: normalise(&v.unified),
                base: base.clone(),
                name: name.clone(),
                short_name: e.short_name.clone(),
                category: category.clone(),
                tone: Some(names.join(", ")),
                keys: keys(&v.unified, &v.non_qualified),
            });
        }
    }
    Ok(out)
}

/// "3d emoji: thumbs up sign, medium skin tone".
pub fn caption(style: &str, v: &Variant) -> String {
    match &v.tone {
        Some(t) => format!("{style} emoji: {}, {t}", v.name),
        None => format!("{style} emoji: {}", v.name),
    }
}

/// FNV-1a, stable across platforms and releases (unlike std's hasher).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// Held out: ~5% of the skin-tone variants, chosen by hash of their codepoints. Base emoji
/// always train, so every held-out image's emoji and tone are both seen in training.
pub fn is_held_out(v: &Variant) -> bool {
    v.tone.is_some() && fnv1a(&v.id) % 100 < 5
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"[
      {"name": "THUMBS UP SIGN", "unified": "1F44D", "non_qualified": null, "short_name": "+1",
       "category": "People & Body",
       "skin_variations": {"1F3FD": {"unified": "1F44D-1F3FD", "non_qualified": null},
                           "1F3FB-1F3FF": {"unified": "1F44D-1F3FB-1F3FF", "non_qualified": null}}},
      {"name": null, "unified": "2764-FE0F", "non_qualified": "2764", "short_name": "heart", "category": "Symbols"}
    ]"#;

    #[test]
    fn variants_and_captions() {
        let v = variants(JSON.as_bytes()).unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(caption("3d", &v[0]), "3d emoji: thumbs up sign");
        let medium = v.iter().find(|x| x.id == "1f44d-1f3fd").unwrap();
        assert_eq!(caption("flat", medium), "flat emoji: thumbs up sign, medium skin tone");
        let two = v.iter().find(|x| x.id == "1f44d-1f3fb-1f3ff").unwrap();
        assert_eq!(two.tone.as_deref(), Some("light skin tone, dark skin tone"));
        let heart = v.iter().find(|x| x.base == "2764").unwrap();
        assert_eq!((heart.name.as_str(), heart.keys.clone()), ("heart", vec!["2764".to_string()]));
    }

    #[test]
    fn split_is_deterministic_and_about_five_percent() {
        let make = |i: u32| Variant {
            id: format!("1f{i:03x}-1f3fd"),
            base: format!("1f{i:03x}"),
            name: String::new(),
            short_name: String::new(),
            category: String::new(),
            tone: Some("medium skin tone".into()),
            keys: vec![],
        };
        let held = (0..4000).filter(|&i| is_held_out(&make(i))).count();
        assert!((120..280).contains(&held), "{held} of 4000");
        assert_eq!(is_held_out(&make(17)), is_held_out(&make(17)));
        let mut base = make(3);
        base.tone = None;
        assert!(!is_held_out(&base));
        assert_eq!(normalise("0023-FE0F-20E3"), "23-20e3");
        assert_eq!(normalise("23-fe0f-20e3"), "23-20e3");
        assert_eq!(normalise("1f3f4-e0067_e0062"), "1f3f4-e0067-e0062");
    }
}
