//! What may an id be? One pattern for every id a writer gives and the service shows.
//!
//! Page ids, category ids (`categories.yml` and a page's `category`) and `related` ids appear in
//! URLs, in HTML attributes and in `sitemap.xml`. They all follow [`is_valid_id`]: lower-case
//! ASCII letters, digits, `-` and `_`, in segments separated by `/`. Nothing in that pattern has
//! a meaning in HTML, XML or a URL path, so an id can never close an attribute or open a tag.
//!
//! Section anchors are made from Japanese headings ([`super::markdown::slug`]), so they keep the
//! letters and digits of any script: [`is_valid_anchor`] is the id pattern's one segment with
//! those letters added (and `ー`), still without any punctuation.
//!
//! Ids that do not follow the pattern (from another tool, say) are turned into ones that do by
//! [`derive_id`], the way `kotae import` rewrites them.

use unicode_normalization::UnicodeNormalization;

/// What a valid id is made of, in the words `kotae check` uses.
pub const ID_RULE: &str = "use lower-case ASCII letters, digits, `-`, `_` and `/`";

/// A character of an id segment: a lower-case ASCII letter, a digit, `-` or `_`.
pub fn is_id_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

/// Ids appear in URLs: lower-case ASCII letters, digits, `-`, `_` and `/` between segments.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.split('/').all(|seg| !seg.is_empty() && seg.chars().all(is_id_char))
}

/// A section anchor: one segment of id characters, plus letters and digits of any script and
/// the long vowel mark `ー` (what [`super::markdown::slug`] keeps of a heading).
pub fn is_valid_anchor(anchor: &str) -> bool {
    !anchor.is_empty() && anchor.chars().all(|c| is_id_char(c) || (!c.is_ascii() && c.is_alphanumeric()) || c == 'ー')
}

/// A valid id made from `text`: NFKC, lower case, runs of other characters as one `-`, `-` and
/// `_` trimmed from each segment, empty segments dropped; `None` if nothing is left.
pub fn derive_id(text: &str) -> Option<String> {
    let lowered = text.nfkc().collect::<String>().to_ascii_lowercase();
    let segments: Vec<String> = lowered
        .split('/')
        .map(|seg| {
            let mut out = String::new();
            for c in seg.chars() {
                if is_id_char(c) && c != '-' {
                    out.push(c);
                } else if !out.ends_with('-') {
                    out.push('-');
                }
            }
            out.trim_matches(['-', '_']).to_string()
        })
        .filter(|seg| !seg.is_empty())
        .collect();
    (!segments.is_empty()).then(|| segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["orders", "orders/cancel-2", "a_b", "0"] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in ["", "Orders", "a//b", "/a", "a/", "注文", "a b", "evil\"><b id=\"pwn\">X</b><a x=\"", "a&b", "a'b", "a<b"] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn anchors() {
        assert!(is_valid_anchor("電話の保留-1"));
        assert!(is_valid_anchor("ステップ_2"));
        assert!(is_valid_anchor("パスワード"));
        for bad in ["", "a b", "x\"", "<b>", "a/b", "#a", "A"] {
            assert!(!is_valid_anchor(bad), "{bad}");
        }
    }

    #[test]
    fn derived_ids_are_valid() {
        assert_eq!(derive_id("Store Hours").as_deref(), Some("store-hours"));
        assert_eq!(derive_id("ＦＡＱ／Ｏｒｄｅｒｓ").as_deref(), Some("faq/orders"));
        assert_eq!(derive_id("evil\"><b id=\"pwn\">X</b><a x=\"").as_deref(), Some("evil-b-id-pwn-x/b-a-x"));
        assert_eq!(derive_id("ご注文"), None);
        assert_eq!(derive_id("--/__"), None);
        for text in ["a\"b", "<meta http-equiv=\"refresh\" content=\"0;url=http://evil.example\">", "Ａ＿Ｂ", "x/../y"] {
            let id = derive_id(text).unwrap();
            assert!(is_valid_id(&id), "{text} → {id}");
        }
    }
}
