//! How is a file split into front matter and body, and the front matter read?

use super::yaml;

/// The front matter as written, before validation.
#[derive(Debug, Default)]
pub struct RawFrontMatter {
    pub title: Option<String>,
    pub id: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub audience: Option<String>,
    pub aliases: Vec<String>,
    pub related: Vec<String>,
    pub updated: Option<String>,
    pub review_by: Option<String>,
    pub featured: Option<u32>,
    pub pinned_queries: Vec<String>,
}

/// The fields a front matter may have. Others are errors, so a misspelt `titel:` is reported
/// instead of silently ignored.
pub const FIELDS: &[&str] =
    &["title", "id", "category", "tags", "audience", "aliases", "related", "updated", "review_by", "featured", "pinned_queries"];

/// A file split at its front matter.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML between the `---` lines.
    pub yaml: &'a str,
    /// 1-based line where the YAML starts.
    pub yaml_line: usize,
    pub body: &'a str,
    /// 1-based line where the body starts.
    pub body_line: usize,
}

/// A problem with a file's front matter, at a 1-based line.
#[derive(Debug, PartialEq, Eq)]
pub struct FrontMatterError {
    pub line: usize,
    pub message: String,
}

/// Split `text` into front matter and body.
pub fn split(text: &str) -> Result<Split<'_>, FrontMatterError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(FrontMatterError {
            line: 1,
            message: "missing front matter: the file must start with a line `---`, then `title: ...`".into(),
        });
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for (i, line) in lines.enumerate() {
        if matches!(line.trim_end(), "---" | "...") {
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                body: &text[offset + line.len()..],
                body_line: i + 3,
            });
        }
        offset += line.len();
    }
    Err(FrontMatterError {
        line: 1,
        message: "front matter is not closed: add a line `---` after the last field".into(),
    })
}

/// Parse the YAML of a front matter that starts at line `yaml_line`.
pub fn parse(yaml: &str, yaml_line: usize) -> Result<RawFrontMatter, FrontMatterError> {
    if yaml.trim().is_empty() {
        return Ok(RawFrontMatter::default());
    }
    let value = yaml::parse(yaml, yaml_line)
        .map_err(|e| FrontMatterError { line: e.line, message: format!("front matter: {}", e.message) })?;
    let at_key = |key: &str, message: String| FrontMatterError {
        line: key_line(yaml, yaml_line, key).unwrap_or(yaml_line),
        message: format!("front matter: {message}"),
    };
    if value.is_null() {
        return Ok(RawFrontMatter::default());
    }
    let fields = yaml::fields(&value, "the front matter", "title: 注文をキャンセルしたい")
        .map_err(|m| FrontMatterError { line: yaml_line, message: format!("front matter: {m}") })?;
    let mut fm = RawFrontMatter::default();
    for (key, v) in fields {
        let v = Some(v);
        let text = |out: &mut Option<String>| yaml::text(key, v).map(|t| *out = t);
        let list = |out: &mut Vec<String>| yaml::list(key, v).map(|l| *out = l);
        match key {
            "title" => text(&mut fm.title),
            "id" => text(&mut fm.id),
            "category" => text(&mut fm.category),
            "audience" => text(&mut fm.audience),
            "updated" => text(&mut fm.updated),
            "review_by" => text(&mut fm.review_by),
            "tags" => list(&mut fm.tags),
            "aliases" => list(&mut fm.aliases),
            "related" => list(&mut fm.related),
            "pinned_queries" => list(&mut fm.pinned_queries),
            "featured" => yaml::whole_number(key, v).map(|n| fm.featured = n),
            _ => Err(format!("unknown field `{key}`: the fields are {}", FIELDS.join(", "))),
        }
        .map_err(|m| at_key(key, m))?;
    }
    Ok(fm)
}

/// The 1-based file line of `key:` in the YAML that starts at `yaml_line`, if present.
pub fn key_line(yaml: &str, yaml_line: usize, key: &str) -> Option<usize> {
    yaml.lines().position(|l| {
        l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
    .map(|i| yaml_line + i)
}

/// The 1-based file line where `value` appears under `key:`, or the key's line.
pub fn value_line(yaml: &str, yaml_line: usize, key: &str, value: &str) -> Option<usize> {
    let start = key_line(yaml, yaml_line, key)?;
    yaml.lines()
        .enumerate()
        .skip(start - yaml_line)
        .find(|(_, l)| l.contains(value))
        .map(|(i, _)| yaml_line + i)
        .or(Some(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_with_lines() {
        let s = split("---\ntitle: a\n---\nbody\n").unwrap();
        assert_eq!(s.yaml, "title: a\n");
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn missing_or_unclosed_front_matter() {
        assert_eq!(split("# hi\n").unwrap_err().line, 1);
        assert!(split("---\ntitle: a\n").unwrap_err().message.contains("not closed"));
    }

    #[test]
    fn yaml_errors_carry_the_file_line() {
        let err = parse("title: a\ntags: [x\n", 2).unwrap_err();
        assert!(err.line >= 3, "{err:?}");
        let err = parse("title: a\ntitel: b\n", 2).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("unknown field `titel`"), "{}", err.message);
    }

    #[test]
    fn mistakes_are_told_in_the_writers_terms() {
        let cases = [
            ("title： 返品したい\ncategory: returns\n", 2, "full-width colon `：` follows `title`: write a half-width colon"),
            ("title: a\ntags:\n\t- x\n", 4, "a tab is used to indent this line"),
            ("title: a\naliases: 3\n", 3, "`aliases` should be a list of texts, but is a number (3)"),
            ("title: a\ntags:\n  返品: x\n", 3, "`tags` should be a list of texts, but is a group"),
            ("title: [unclosed\ncategory: a\n", 2, "the `[` on this line is never closed"),
            ("title: a\nfeatured: first\n", 3, "`featured` should be a whole number"),
            ("- title: a\n", 2, "the front matter should be `key: value` lines"),
        ];
        for (yaml, line, message) in cases {
            let err = parse(yaml, 2).unwrap_err();
            assert_eq!(err.line, line, "{yaml:?}: {err:?}");
            assert!(err.message.contains(message), "{yaml:?}: {err:?}");
            for word in ["struct", "invalid type", "RawFrontMatter", "serde", "untagged", "token", "expected"] {
                assert!(!err.message.contains(word), "{err:?}");
            }
        }
    }

    #[test]
    fn single_values_are_lists_of_one() {
        let fm = parse("title: a\ntags: ログイン\n", 2).unwrap();
        assert_eq!(fm.tags, vec!["ログイン"]);
    }

    #[test]
    fn finds_lines_of_keys_and_values() {
        let yaml = "title: a\nrelated:\n  - x/y\n  - z/w\n";
        assert_eq!(key_line(yaml, 2, "related"), Some(3));
        assert_eq!(value_line(yaml, 2, "related", "z/w"), Some(5));
        assert_eq!(key_line(yaml, 2, "missing"), None);
    }
}
