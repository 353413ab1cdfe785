//! The evaluation network's label sets: one class per base emoji (skin tones folded in, both
//! styles together) and the emoji categories, taken from the training split.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::data::build::Record;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    /// Base emoji ids (e.g. `1f34e`), sorted; the class index is the position.
    pub classes: Vec<String>,
    /// A readable name per class (its first training caption without the style prefix).
    pub names: Vec<String>,
    pub categories: Vec<String>,
}

impl Labels {
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a Record>) -> Self {
        let mut classes = BTreeMap::new();
        let mut categories = BTreeSet::new();
        for r in records {
            let name = r.caption.split_once(": ").map_or(r.caption.as_str(), |(_, n)| n);
            classes.entry(r.base.clone()).or_insert_with(|| name.to_string());
            categories.insert(r.category.clone());
        }
        let (classes, names) = classes.into_iter().unzip();
        Self { classes, names, categories: categories.into_iter().collect() }
    }

    pub fn class_of(&self, record: &Record) -> Option<usize> {
        self.classes.binary_search(&record.base).ok()
    }

    pub fn category_of(&self, record: &Record) -> Option<usize> {
        self.categories.binary_search(&record.category).ok()
    }

    /// (class, category) of a record, when the network knows both.
    pub fn targets(&self, record: &Record) -> Option<(usize, usize)> {
        Some((self.class_of(record)?, self.category_of(record)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(index: usize, base: &str, caption: &str, category: &str) -> Record {
        Record {
            index,
            id: base.into(),
            base: base.into(),
            style: "3d".into(),
            caption: caption.into(),
            tone: None,
            category: category.into(),
            split: "train".into(),
        }
    }

    #[test]
    fn classes_fold_styles_and_tones() {
        let records = [
            record(0, "1f44b", "3d emoji: waving hand", "People"),
            record(1, "1f34e", "flat emoji: red apple", "Food"),
            record(2, "1f44b", "flat emoji: waving hand medium skin tone", "People"),
        ];
        let labels = Labels::from_records(&records);
        assert_eq!(labels.classes, ["1f34e", "1f44b"]);
        assert_eq!(labels.names, ["red apple", "waving hand"]);
        assert_eq!(labels.categories, ["Food", "People"]);
        assert_eq!(labels.class_of(&records[2]), Some(1));
        assert_eq!(labels.class_of(&record(3, "1f600", "x", "People")), None);
        assert_eq!(labels.category_of(&records[1]), Some(0));
        assert_eq!(labels.targets(&records[2]), Some((1, 1)));
        assert_eq!(labels.targets(&record(4, "1f34e", "x", "Travel")), None);
    }
}
