//! Which general Japanese synonyms does Kotae know, beyond the writers' own?
//!
//! The source is Sudachi's synonym dictionary (Works Applications, Apache-2.0), as the npm
//! registry carries it: package `sudachi-synonyms-dictionary`, file
//! `sudachi-synonyms-dictionary.json` (about 26,000 groups, 70,000 headwords). It was chosen
//! because it is general (not one domain's vocabulary), maintained (its releases follow
//! SudachiDict's), in a package registry these machines reach, and under a licence compatible
//! with ours.
//!
//! Only what Sudachi marks safe is used: nouns (体言), as its own tool chikkarpy does by default;
//! a headword flagged "never expand" (展開制御 2) is dropped, and one flagged "not a trigger"
//! (展開制御 1) can be reached from its group but does not expand itself. At index time the
//! list is cut down to groups that lead to words the corpus actually contains (see
//! [`crate::lexicon::Lexicon::build`]), so a generation stores only what can ever match.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The environment variable naming the dictionary file, for `kotae index` and `kotae serve`.
pub const ENV: &str = "KOTAE_SYNONYM_DICT";

/// One headword of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub word: String,
    /// Whether a query containing this word expands to the rest of its group.
    pub trigger: bool,
}

/// Groups of synonymous headwords.
#[derive(Debug, Clone, Default)]
pub struct Thesaurus {
    pub groups: Vec<Vec<Entry>>,
}

#[derive(Deserialize)]
struct SudachiGroup {
    items: Vec<SudachiItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SudachiItem {
    taigen_yogen: String,
    expand_control: u8,
    midashi: String,
}

impl Thesaurus {
    /// Read Sudachi's synonym dictionary in the JSON form of the npm package.
    pub fn load_sudachi_json(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let groups: Vec<SudachiGroup> = serde_json::from_str(&text).map_err(|e| {
            Error::BadInput(format!(
                "{}:{}: not Sudachi's synonym dictionary (the JSON of the npm package sudachi-synonyms-dictionary): {e}",
                path.display(),
                e.line()
            ))
        })?;
        Ok(Self::from_sudachi(groups))
    }

    fn from_sudachi(groups: Vec<SudachiGroup>) -> Self {
        let groups = groups
            .into_iter()
            .map(|g| {
                g.items
                    .into_iter()
                    .filter(|i| i.taigen_yogen == "体言" && i.expand_control != 2 && !i.midashi.trim().is_empty())
                    .map(|i| Entry { word: i.midashi.trim().to_string(), trigger: i.expand_control == 0 })
                    .collect::<Vec<_>>()
            })
            .filter(|g| g.len() >= 2 && g.iter().any(|e| e.trigger))
            .collect();
        Thesaurus { groups }
    }

    /// The dictionary named by [`ENV`], if set.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var_os(ENV).filter(|v| !v.is_empty()) {
            Some(path) => Self::load_sudachi_json(Path::new(&path)).map(Some),
            None => Ok(None),
        }
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"[
      {"id": "000001", "items": [
        {"taigenYogen": "体言", "expandControl": 0, "vocabularyNumber": 1, "gokeiSyubetsu": "代表語", "ryakusyou": "代表語形", "hyoukiYure": "未定義", "bunya": [], "midashi": "閉店"},
        {"taigenYogen": "体言", "expandControl": 0, "vocabularyNumber": 2, "gokeiSyubetsu": "代表語", "ryakusyou": "代表語形", "hyoukiYure": "未定義", "bunya": [], "midashi": "クローズ"},
        {"taigenYogen": "体言", "expandControl": 1, "vocabularyNumber": 2, "gokeiSyubetsu": "対訳", "ryakusyou": "代表語形", "hyoukiYure": "未定義", "bunya": [], "midashi": "close"},
        {"taigenYogen": "体言", "expandControl": 2, "vocabularyNumber": 3, "gokeiSyubetsu": "代表語", "ryakusyou": "代表語形", "hyoukiYure": "未定義", "bunya": [], "midashi": "店じまい"}
      ]},
      {"id": "000002", "items": [
        {"taigenYogen": "用言", "expandControl": 0, "vocabularyNumber": 1, "gokeiSyubetsu": "代表語", "ryakusyou": "代表語形", "hyoukiYure": "未定義", "bunya": [], "midashi": "開ける"},
        {"taigenYogen": "用言", "expandControl": 0, "vocabularyNumber": 2, "gokeiSyubetsu": "代表語", "ryakusyou": "代表語形", "hyoukiYure": "未定義", "bunya": [], "midashi": "開く"}
      ]}
    ]"#;

    #[test]
    fn keeps_nouns_and_honours_the_expansion_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("synonyms.json");
        std::fs::write(&path, SAMPLE).unwrap();
        let t = Thesaurus::load_sudachi_json(&path).unwrap();
        assert_eq!(t.len(), 1, "verbs (用言) are left out");
        let words: Vec<(&str, bool)> = t.groups[0].iter().map(|e| (e.word.as_str(), e.trigger)).collect();
        assert_eq!(words, [("閉店", true), ("クローズ", true), ("close", false)], "店じまい is never expanded");
    }

    #[test]
    fn a_file_of_another_shape_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("synonyms.json");
        std::fs::write(&path, "{\"not\": \"a list\"}").unwrap();
        let message = Thesaurus::load_sudachi_json(&path).unwrap_err().to_string();
        assert!(message.contains("synonyms.json:1:") && message.contains("sudachi-synonyms-dictionary"), "{message}");
    }
}
