//! Records from a file: JSON lines or CSV, each bad record reported at its line.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use kotae_core::content::{Audience, Diagnostic, markdown};

use super::{FIELDS, Format, Record, Records};

/// Parse the records of a file (`path` names it in diagnostics).
pub fn read_records(format: Format, path: &Path, data: &[u8]) -> Records {
    let data = data.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(data);
    let mut records = Records::default();
    match format {
        Format::Jsonl => read_jsonl(path, data, &mut records),
        Format::Csv => read_csv(path, data, &mut records),
    }
    records
}

/// A record's fields as found, before validation.
#[derive(Debug, Default)]
struct RawRecord {
    id: Option<String>,
    title: Option<String>,
    body: Option<String>,
    category: Option<String>,
    tags: Vec<String>,
    aliases: Vec<String>,
    audience: Option<String>,
}

const NOT_UTF8: &str = "not valid UTF-8: save the file as UTF-8";

fn read_jsonl(path: &Path, data: &[u8], out: &mut Records) {
    let mut ignored = HashSet::new();
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        let line_no = i + 1;
        if line.trim_ascii().is_empty() {
            continue;
        }
        out.read += 1;
        let mut error = |message: String| out.diagnostics.push(Diagnostic::error(path, line_no, message));
        let Ok(text) = std::str::from_utf8(line) else {
            error(NOT_UTF8.into());
            continue;
        };
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                // serde_json ends with " at line 1 column C"; the line is ours to report.
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message);
                error(format!("invalid JSON: {message} (column {})", e.column()));
                continue;
            }
        };
        let serde_json::Value::Object(object) = value else {
            error("expected a JSON object with `id`, `title` and `body`".into());
            continue;
        };
        let mut raw = RawRecord::default();
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        for (key, value) in object {
            match key.as_str() {
                "id" => match json_id(&value) {
                    Some(id) => raw.id = id,
                    None => problems.push("`id` must be a string or an integer".into()),
                },
                "title" | "body" | "category" | "audience" => {
                    let text = match value {
                        serde_json::Value::Null => None,
                        serde_json::Value::String(s) => Some(s),
                        _ => {
                            problems.push(format!("`{key}` must be a string"));
                            None
                        }
                    };
                    match key.as_str() {
                        "title" => raw.title = text,
                        "body" => raw.body = text,
                        "category" => raw.category = text,
                        _ => raw.audience = text,
                    }
                }
                "tags" | "aliases" => match json_list(value) {
                    Some(list) if key == "tags" => raw.tags = list,
                    Some(list) => raw.aliases = list,
                    None => problems.push(format!("`{key}` must be a list of strings")),
                },
                _ => {
                    if ignored.insert(key.clone()) {
                        warnings.push(Diagnostic::warning(path, line_no, format!(
                            "field `{key}` is not imported (known fields: {})", FIELDS.join(", ")
                        )));
                    }
                }
            }
        }
        finish(path, line_no, raw, problems, out);
        out.diagnostics.append(&mut warnings);
    }
}

/// A JSON id: a string, or an integer as many tools number their records.
fn json_id(value: &serde_json::Value) -> Option<Option<String>> {
    match value {
        serde_json::Value::Null => Some(None),
        serde_json::Value::String(s) => Some(Some(s.clone())),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Some(Some(n.to_string())),
        _ => None,
    }
}

/// A JSON list of strings (a single string is a list of one, `null` an empty list).
fn json_list(value: serde_json::Value) -> Option<Vec<String>> {
    match value {
        serde_json::Value::Null => Some(Vec::new()),
        serde_json::Value::String(s) => Some(vec![s]),
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn read_csv(path: &Path, data: &[u8], out: &mut Records) {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(data);
    let header: Vec<String> = match reader.byte_headers() {
        Ok(h) => h.iter().map(|f| String::from_utf8_lossy(f).trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            out.diagnostics.push(Diagnostic::error(path, 1, format!("cannot read the header row: {e}")));
            return;
        }
    };
    let mut column: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if FIELDS.contains(&name.as_str()) {
            if column.insert(name, i).is_some() {
                out.diagnostics.push(Diagnostic::error(path, 1, format!("column `{name}` appears twice")));
                return;
            }
        } else {
            out.diagnostics.push(Diagnostic::warning(path, 1, format!(
                "column `{name}` is not imported (known columns: {})", FIELDS.join(", ")
            )));
        }
    }
    let missing: Vec<String> = ["id", "title", "body"]
        .iter()
        .filter(|f| !column.contains_key(*f))
        .map(|f| format!("`{f}`"))
        .collect();
    if !missing.is_empty() {
        out.diagnostics.push(Diagnostic::error(path, 1, format!(
            "the header row has no {} column{}: the first row must name the columns (id, title, body, ...)",
            join_and(&missing),
            if missing.len() > 1 { "s" } else { "" }
        )));
        return;
    }

    let mut lines = LineCounter::new(data);
    for result in reader.byte_records() {
        out.read += 1;
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(1, |p| lines.line_at(p.byte() as usize));
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("expected {expected_len} fields as in the header row, found {len}")
                    }
                    _ => format!("bad CSV: {e}"),
                };
                out.diagnostics.push(Diagnostic::error(path, line, message));
                continue;
            }
        };
        let line = record.position().map_or(1, |p| lines.line_at(p.byte() as usize));
        let field = |name: &str| -> Result<Option<String>, ()> {
            let Some(&i) = column.get(name) else { return Ok(None) };
            let bytes = record.get(i).unwrap_or_default();
            let text = std::str::from_utf8(bytes).map_err(|_| ())?;
            Ok((!text.trim().is_empty()).then(|| text.to_string()))
        };
        let list = |name: &str| -> Result<Vec<String>, ()> {
            Ok(field(name)?.map(|v| v.split('|').map(str::to_string).collect()).unwrap_or_default())
        };
        let raw = (|| {
            Ok::<_, ()>(RawRecord {
                id: field("id")?,
                title: field("title")?,
                body: field("body")?,
                category: field("category")?,
                tags: list("tags")?,
                aliases: list("aliases")?,
                audience: field("audience")?,
            })
        })();
        match raw {
            Ok(raw) => finish(path, line, raw, Vec::new(), out),
            Err(()) => out.diagnostics.push(Diagnostic::error(path, line, NOT_UTF8)),
        }
    }
}

/// The 1-based lines where CSV records start. The `csv` crate's own line count is one short
/// after `\r\n` line ends (a record's position points at the `\n` of the previous line), so
/// lines are counted here from byte offsets, which only ever increase.
struct LineCounter<'a> {
    data: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, at: 0, line: 1 }
    }

    /// The line of the first character at or after `byte` that is not a line end.
    fn line_at(&mut self, byte: usize) -> usize {
        let mut start = byte.min(self.data.len());
        while matches!(self.data.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start >= self.at {
            self.line += self.data[self.at..start].iter().filter(|b| **b == b'\n').count();
            self.at = start;
        }
        self.line
    }
}

/// Validate a raw record: keep it, or report each of its problems.
fn finish(path: &Path, line: usize, raw: RawRecord, mut problems: Vec<String>, out: &mut Records) {
    let text = |v: Option<String>| v.map(|s| s.replace("\r\n", "\n").trim().to_string()).filter(|s| !s.is_empty());
    let id = text(raw.id);
    // A title is one line: line breaks inside it become spaces.
    let title = text(raw.title).map(|t| t.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "));
    let body = raw.body.map(|b| clean_body(&b)).filter(|b| !b.is_empty());
    let missing: Vec<String> = [("id", id.is_none()), ("title", title.is_none()), ("body", body.is_none())]
        .iter()
        .filter(|(_, missing)| *missing)
        .map(|(f, _)| format!("`{f}`"))
        .collect();
    if !missing.is_empty() {
        problems.insert(0, format!("missing {}: every record needs `id`, `title` and `body`", join_and(&missing)));
    }
    let shows_nothing = |b: &String| markdown::analyze(b, 1).sections.iter().all(|s| s.text.is_empty() && s.heading.is_none());
    if body.as_ref().is_some_and(shows_nothing) {
        problems.push("`body` has no text to show (only markup)".into());
    }
    let audience = match text(raw.audience) {
        None => Audience::Public,
        Some(a) => Audience::parse(&a).unwrap_or_else(|| {
            problems.push(format!("unknown audience `{a}`: use `public` or `internal`"));
            Audience::Public
        }),
    };
    if !problems.is_empty() {
        out.diagnostics.extend(problems.into_iter().map(|m| Diagnostic::error(path, line, m)));
        return;
    }
    let list = |v: Vec<String>| -> Vec<String> {
        let mut seen = HashSet::new();
        v.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && seen.insert(s.clone()))
            .collect()
    };
    out.records.push(Record {
        line,
        id: id.unwrap_or_default(),
        title: title.unwrap_or_default(),
        body: body.unwrap_or_default(),
        category: text(raw.category),
        tags: list(raw.tags),
        aliases: list(raw.aliases),
        audience,
    });
}

/// A body with `\n` line ends, without leading blank lines or trailing white space.
fn clean_body(body: &str) -> String {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let start = body.lines().take_while(|l| l.trim().is_empty()).map(|l| l.len() + 1).sum::<usize>();
    body.get(start..).unwrap_or("").trim_end().to_string()
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

