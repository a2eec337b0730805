//! How is a YAML mistake told to a writer? In the writer's terms, at the line to fix: never
//! with a Rust type name or a phrase of the YAML library.

use serde_yaml_ng::Value;

/// A YAML problem at a 1-based file line.
#[derive(Debug, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub message: String,
}

/// Read `text`, whose first line is file line `first_line`, as YAML.
pub fn parse(text: &str, first_line: usize) -> Result<Value, YamlError> {
    if let Some(e) = full_width_colon(text, first_line) {
        return Err(e);
    }
    serde_yaml_ng::from_str::<Value>(text).map_err(|e| syntax_error(text, first_line, &e))
}

/// `title：` written with the full-width colon of a Japanese keyboard. YAML would read the
/// line as text (or as the end of the line above), so this is checked before parsing.
fn full_width_colon(text: &str, first_line: usize) -> Option<YamlError> {
    text.lines().enumerate().find_map(|(i, line)| {
        let rest = line.trim_start_matches(' ');
        let rest = rest.strip_prefix("- ").unwrap_or(rest).trim_start();
        let key_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let key = &rest[..key_len];
        let after = rest[key_len..].trim_start_matches(' ');
        (!key.is_empty() && !key.starts_with(|c: char| c.is_ascii_digit()) && after.starts_with('：')).then(|| YamlError {
            line: first_line + i,
            message: format!(
                "a full-width colon `：` follows `{key}`: write a half-width colon and a space, `{key}: ...`"
            ),
        })
    })
}

/// A syntax error explained by what the writer most likely did.
fn syntax_error(text: &str, first_line: usize, e: &serde_yaml_ng::Error) -> YamlError {
    let lines: Vec<&str> = text.lines().collect();
    let at = |i: usize, message: String| YamlError { line: first_line + i, message };
    if let Some(i) = lines.iter().position(|l| l.trim_start_matches(' ').starts_with('\t') && !l.trim().is_empty()) {
        return at(i, "a tab is used to indent this line: YAML only accepts spaces, so replace the tab with spaces".into());
    }
    let brackets = brackets(&lines);
    if let Some((i, open)) = brackets.unclosed {
        let close = if open == '[' { ']' } else { '}' };
        return at(i, format!(
            "the `{open}` on this line is never closed: add `{close}` at the end of the list, \
             or put the whole value in quotes if `{open}` is part of the text"
        ));
    }
    if let Some(i) = brackets.text_after {
        return at(i, "a value that starts with `[` or `{` is read as a list: put the whole value in quotes, \
                      like `title: \"[重要] ...\"`".into());
    }
    let loc = e.location();
    let i = loc.as_ref().map_or(0, |l| l.line().saturating_sub(1)).min(lines.len().saturating_sub(1));
    let raw = e.to_string();
    if raw.contains("duplicate entry") {
        let key = lines.get(i).and_then(|l| l.trim_start().trim_start_matches("- ").split(':').next()).unwrap_or("").trim();
        return at(i, format!("`{key}` is written twice: keep only one"));
    }
    if raw.contains("mapping values are not allowed") {
        return at(i, "this value contains `: `, which YAML reads as a new field: put the whole value in quotes".into());
    }
    if raw.contains("cannot start any token") {
        let column = loc.map_or(1, |l| l.column());
        let c = lines.get(i).and_then(|l| l.chars().nth(column.saturating_sub(1))).unwrap_or('@');
        return at(i, format!("a value cannot start with `{c}`: put the whole value in quotes"));
    }
    at(i, "this line is not understood: write each field as `key: value` with spaces for indentation, \
           and put a value in quotes if it contains `: `, `#`, or starts with `[`, `{`, `*`, `&`, `!`, `|` or `>`".into())
}

struct Brackets {
    /// The line (0-based) and bracket of the first `[` or `{` never closed.
    unclosed: Option<(usize, char)>,
    /// The first line where a closed list is followed by more text.
    text_after: Option<usize>,
}

/// Where flow brackets open and close, skipping quoted text and comments.
fn brackets(lines: &[&str]) -> Brackets {
    let mut stack: Vec<(usize, char)> = Vec::new();
    let mut text_after = None;
    for (i, line) in lines.iter().enumerate() {
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        let mut closed_at = None;
        for (at, c) in line.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') if matches!(prev, ' ' | '[' | '{' | ',' | ':') => quote = Some(c),
                (None, '#') if prev == ' ' => break,
                (None, '[' | '{') => stack.push((i, c)),
                (None, ']' | '}') => {
                    stack.pop();
                    if stack.is_empty() {
                        closed_at = Some(at + 1);
                    }
                }
                _ => {}
            }
            prev = c;
        }
        if let Some(end) = closed_at.filter(|_| stack.is_empty() && text_after.is_none()) {
            let rest = line[end..].trim();
            if !rest.is_empty() && !rest.starts_with('#') && !rest.starts_with(',') {
                text_after = Some(i);
            }
        }
    }
    Brackets { unclosed: stack.first().copied(), text_after }
}

/// What kind of value `v` is, in a writer's words.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "yes/no (true/false)",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a group of `key: value` fields",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A text field; `None` when absent or empty.
pub fn text(key: &str, v: Option<&Value>) -> Result<Option<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Err(format!(
            "`{key}` should be text, but is {}: put the value in quotes, like `{key}: \"{}\"`",
            kind(v), scalar(v)
        )),
        Some(Value::Sequence(_)) => Err(format!(
            "`{key}` should be text, but is a list: if the text starts with `[`, put the whole value in quotes"
        )),
        Some(v) => Err(format!("`{key}` should be text on the same line, but is {}", kind(v))),
    }
}

/// A list of texts; a single text is a list of one.
pub fn list(key: &str, v: Option<&Value>) -> Result<Vec<String>, String> {
    let example = format!("like `{key}: [返品, 送料]` or one `- ...` line per entry");
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                Value::Null => Ok(String::new()),
                Value::Number(_) | Value::Bool(_) => Err(format!(
                    "`{key}` should list texts, but `{}` is {}: put it in quotes, like `\"{}\"`",
                    scalar(item), kind(item), scalar(item)
                )),
                other => Err(format!("`{key}` should list texts, but one entry is {}: {example}", kind(other))),
            })
            .collect(),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Err(format!(
            "`{key}` should be a list of texts, but is {} ({}): {example}",
            kind(v), scalar(v)
        )),
        Some(v) => Err(format!("`{key}` should be a list of texts, but is {}: {example}", kind(v))),
    }
}

/// A whole number of at least 0.
pub fn whole_number(key: &str, v: Option<&Value>) -> Result<Option<u32>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)) => {
            Ok(n.as_u64().map(|n| n as u32))
        }
        Some(v) => Err(format!("`{key}` should be a whole number like `{key}: 1`, but is {} ({})", kind(v), scalar(v))),
    }
}

/// How a scalar was written, for messages.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The string keys of a mapping with their values, or the mapping's problem.
pub fn fields<'a>(v: &'a Value, what: &str, example: &str) -> Result<Vec<(&'a str, &'a Value)>, String> {
    let Value::Mapping(map) = v else {
        return Err(format!("{what} should be `key: value` lines, like `{example}`, but is {}", kind(v)));
    };
    map.iter()
        .map(|(k, v)| match k {
            Value::String(k) => Ok((k.as_str(), v)),
            k => Err(format!("{what}: `{}` is not a field name", scalar(k))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> YamlError {
        parse(text, 2).unwrap_err()
    }

    #[test]
    fn a_full_width_colon_is_named() {
        let e = err("title： 返品したい\ncategory: returns\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("full-width colon `：` follows `title`"), "{}", e.message);
        assert!(e.message.contains("`title: ...`"), "{}", e.message);
        // On a later line, where YAML would silently join it to the line above.
        assert_eq!(err("title: a\ntags：x\n").line, 3);
        // In a list item.
        assert_eq!(err("- id: a\n  name：b\n").line, 3);
        // Full-width colons inside values are text.
        assert!(parse("title: 注意：返品\n", 2).is_ok());
    }

    #[test]
    fn a_tab_is_named_at_its_line() {
        let e = err("title: a\ntags:\n\t- x\n");
        assert_eq!(e.line, 4);
        assert!(e.message.contains("tab"), "{}", e.message);
    }

    #[test]
    fn an_unclosed_bracket_is_reported_where_it_opens() {
        let e = err("title: [unclosed\ncategory: a\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("`[` on this line is never closed"), "{}", e.message);
        let e = err("title: a\ntags: [a, b\n");
        assert_eq!(e.line, 3);
        // A list over several lines is fine.
        assert!(parse("tags: [a,\n  b]\n", 2).is_ok());
        // Text after a list.
        let e = err("title: [重要] 返品について\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("quotes"), "{}", e.message);
    }

    #[test]
    fn other_mistakes_get_plain_words() {
        let e = err("title: a\ntitle: b\n");
        assert!(e.message.contains("`title` is written twice"), "{e:?}");
        let e = err("title: `code`\n");
        assert!(e.message.contains("cannot start with `` ` ``") || e.message.contains("cannot start with `"), "{e:?}");
        let e = err("title: 返品: 送料\n");
        assert!(e.message.contains("quotes"), "{e:?}");
    }

    #[test]
    fn wrong_kinds_are_named() {
        let v: Value = serde_yaml_ng::from_str("aliases: 3\ntags: {a: b}\ntitle: [a]\nfeatured: x\n").unwrap();
        let get = |k: &str| v.get(k);
        assert!(list("aliases", get("aliases")).unwrap_err().contains("`aliases` should be a list of texts, but is a number (3)"));
        assert!(list("tags", get("tags")).unwrap_err().contains("a group of `key: value` fields"));
        assert!(text("title", get("title")).unwrap_err().contains("`title` should be text, but is a list"));
        assert!(whole_number("featured", get("featured")).unwrap_err().contains("whole number"));
        assert_eq!(list("tags", Some(&Value::String("返品".into()))).unwrap(), ["返品"]);
    }
}
