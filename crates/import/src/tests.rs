//! Import, record by record and as a whole folder that `kotae check` reads back.

use std::path::Path;

use kotae_core::content::{self, Diagnostic, frontmatter, is_valid_id};

use crate::read::*;
use crate::ids::*;
use crate::write::*;
use crate::*;

fn jsonl(text: &str) -> Records {
    read_records(Format::Jsonl, Path::new("faq.jsonl"), text.as_bytes())
}

fn csv(text: &str) -> Records {
    read_records(Format::Csv, Path::new("faq.csv"), text.as_bytes())
}

fn messages(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(ToString::to_string).collect()
}

fn record(line: usize, id: &str) -> Record {
    Record {
        line,
        id: id.into(),
        title: "t".into(),
        body: "b".into(),
        category: None,
        tags: vec![],
        aliases: vec![],
        audience: Audience::Public,
    }
}

#[test]
fn jsonl_records_with_every_field() {
    let got = jsonl(concat!(
        r#"{"id": "orders/cancel", "title": " 注文を取り消したい ", "body": "マイページから。\r\n\r\n", "category": "orders", "tags": ["キャンセル", " 注文 ", ""], "aliases": ["取り消し"], "audience": "internal"}"#,
        "\n\n",
        r#"{"id": 42, "title": "番号だけのID", "body": "本文"}"#,
        "\n",
    ));
    assert!(got.diagnostics.is_empty(), "{:?}", messages(&got.diagnostics));
    assert_eq!(got.read, 2);
    let r = &got.records[0];
    assert_eq!((r.line, r.id.as_str(), r.title.as_str(), r.body.as_str()), (1, "orders/cancel", "注文を取り消したい", "マイページから。"));
    assert_eq!(r.category.as_deref(), Some("orders"));
    assert_eq!(r.tags, vec!["キャンセル", "注文"]);
    assert_eq!(r.aliases, vec!["取り消し"]);
    assert_eq!(r.audience, Audience::Internal);
    assert_eq!((got.records[1].line, got.records[1].id.as_str()), (3, "42"));
    assert_eq!(got.records[1].audience, Audience::Public);
}

#[test]
fn jsonl_errors_name_their_line() {
    let got = jsonl(concat!(
        "{\"id\": \"a\", \"title\": \"A\", \"body\": \"本文\"}\n",
        "{\"id\": \"b\", \"title\": \"B\", \"body\": \n",
        "{\"id\": \"c\", \"body\": \"本文\"}\n",
        "{\"title\": \"D\", \"body\": \"  \"}\n",
        "{\"id\": \"e\", \"title\": \"E\", \"body\": \"本文\", \"audience\": \"staff\"}\n",
        "[1, 2]\n",
        "{\"id\": \"g\", \"title\": \"G\", \"body\": \"本文\", \"tags\": \"x\", \"aliases\": [1], \"url\": \"/g\"}\n",
        "{\"id\": \"h\", \"title\": \"H\", \"body\": \"<!-- -->\", \"url\": \"/h\"}\n",
    ));
    assert_eq!(got.read, 8);
    assert_eq!(got.records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a"]);
    assert_eq!(messages(&got.diagnostics), [
        "faq.jsonl:2: invalid JSON: EOF while parsing a value (column 34)",
        "faq.jsonl:3: missing `title`: every record needs `id`, `title` and `body`",
        "faq.jsonl:4: missing `id` and `body`: every record needs `id`, `title` and `body`",
        "faq.jsonl:5: unknown audience `staff`: use `public` or `internal`",
        "faq.jsonl:6: expected a JSON object with `id`, `title` and `body`",
        "faq.jsonl:7: `aliases` must be a list of strings",
        "faq.jsonl:7: warning: field `url` is not imported (known fields: id, title, body, category, tags, aliases, audience)",
        "faq.jsonl:8: `body` has no text to show (only markup)",
    ]);
}

#[test]
fn jsonl_rejects_bad_utf8() {
    let mut data = b"{\"id\": \"a\", \"title\": \"A\", \"body\": \"x\"}\n".to_vec();
    data.extend_from_slice(b"{\"id\": \"b\", \"title\": \"\xff\", \"body\": \"x\"}\n");
    let got = read_records(Format::Jsonl, Path::new("f.jsonl"), &data);
    assert_eq!(got.records.len(), 1);
    assert_eq!(messages(&got.diagnostics), ["f.jsonl:2: not valid UTF-8: save the file as UTF-8"]);
}

#[test]
fn csv_with_quoted_commas_newlines_and_lists() {
    let got = csv(concat!(
        "\u{FEFF}id,title,body,category,tags,aliases,audience\r\n",
        "returns/how,\"返品したい, どうすれば?\",\"1行目\r\n\r\n2行目, \"\"引用\"\"\",returns,返品|交換| ,返品方法,\r\n",
        "manual/x,社内,手順,,,,internal\r\n",
    ));
    assert!(got.diagnostics.is_empty(), "{:?}", messages(&got.diagnostics));
    assert_eq!(got.read, 2);
    let r = &got.records[0];
    assert_eq!(r.line, 2);
    assert_eq!(r.title, "返品したい, どうすれば?");
    assert_eq!(r.body, "1行目\n\n2行目, \"引用\"");
    assert_eq!(r.category.as_deref(), Some("returns"));
    assert_eq!(r.tags, vec!["返品", "交換"]);
    assert_eq!(r.aliases, vec!["返品方法"]);
    assert_eq!(r.audience, Audience::Public);
    // The multi-line body moved the next record's line.
    let r = &got.records[1];
    assert_eq!((r.line, r.id.as_str(), r.audience, r.category.as_deref()), (5, "manual/x", Audience::Internal, None));
}

#[test]
fn csv_errors_name_their_line() {
    let got = csv(concat!(
        "id,title,body,notes\n",
        "a,A,\"本文\nの続き\",メモ\n",
        "b,,本文,\n",
        "c,C,本文\n",
        "a,A2,本文,\n",
    ));
    assert_eq!(got.read, 4);
    assert_eq!(got.records.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 6]);
    assert_eq!(messages(&got.diagnostics), [
        "faq.csv:1: warning: column `notes` is not imported (known columns: id, title, body, category, tags, aliases, audience)",
        "faq.csv:4: missing `title`: every record needs `id`, `title` and `body`",
        "faq.csv:5: expected 4 fields as in the header row, found 3",
    ]);
    // Duplicates are found when ids are assigned.
    let mut diagnostics = Vec::new();
    let (planned, _) = assign_ids(got.records, Path::new("faq.csv"), &mut diagnostics);
    assert_eq!(planned.len(), 1);
    assert_eq!(messages(&diagnostics), ["faq.csv:6: duplicate id `a`: line 2 uses it too"]);
}

#[test]
fn csv_without_required_columns_is_refused() {
    let got = csv("id,question,answer\n1,Q,A\n");
    assert!(got.records.is_empty());
    let errors: Vec<String> = got.diagnostics.iter().filter(|d| d.is_error()).map(ToString::to_string).collect();
    assert_eq!(errors, ["faq.csv:1: the header row has no `title` and `body` columns: the first row must name the columns (id, title, body, ...)"]);
}

#[test]
fn invalid_ids_are_rewritten_uniquely_and_deterministically() {
    let records = vec![
        record(1, "FAQ 1"),
        record(2, "faq-1"),
        record(3, "Ｑ＆Ａ/Returns!"),
        record(4, "返品について"),
        record(5, "_draft"),
        record(6, "help/README"),
        record(7, "jsq-a10336p0"),
        record(8, "faq_1?"),
        record(9, "jsq-a10336p0"),
    ];
    let mut diagnostics = Vec::new();
    let (planned, renames) = assign_ids(records, Path::new("f"), &mut diagnostics);
    let ids: Vec<&str> = planned.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, ["faq-1-2", "faq-1", "q-a/returns", "record-4", "draft", "help/readme-2", "jsq-a10336p0", "faq_1"]);
    assert!(ids.iter().all(|id| is_valid_id(id)));
    assert_eq!(renames.len(), 6);
    assert_eq!(renames[0], Rename { line: 1, from: "FAQ 1".into(), to: "faq-1-2".into() });
    assert_eq!(messages(&diagnostics), ["f:9: duplicate id `jsq-a10336p0`: line 7 uses it too"]);
}

#[test]
fn front_matter_is_valid_yaml_whatever_the_values() {
    let mut r = record(1, "x");
    r.title = "「はい」: yes # not a comment".into();
    r.tags = vec!["yes".into(), "123".into(), "- dash".into(), "null".into(), "'quote'\"".into()];
    r.aliases = vec!["---".into(), "a: b".into(), "@at".into()];
    r.audience = Audience::Internal;
    r.body = "---\n本文".into();
    let text = render_page(&r, Some("2026-01-01")).unwrap();
    let split = frontmatter::split(&text).unwrap();
    let fm = frontmatter::parse(split.yaml, split.yaml_line).unwrap();
    assert_eq!(fm.title.as_deref(), Some(r.title.as_str()));
    assert_eq!(fm.category.as_deref(), Some("2026-01-01"));
    assert_eq!(fm.tags, r.tags);
    assert_eq!(fm.aliases, r.aliases);
    assert_eq!(fm.audience.as_deref(), Some("internal"));
    assert_eq!(split.body, "---\n本文\n");
}

#[test]
fn a_public_page_without_extras_is_minimal() {
    let r = record(1, "x");
    assert_eq!(render_page(&r, Some("imported")).unwrap(), "---\ntitle: t\ncategory: imported\n---\nb\n");
}

#[test]
fn import_writes_pages_and_categories_that_pass_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("faq.jsonl");
    std::fs::write(&source, concat!(
        "{\"id\": \"Q1\", \"title\": \"返品したい\", \"body\": \"[交換](/articles/q2)もできます。\"}\n",
        "{\"id\": \"q2\", \"title\": \"交換したい\", \"body\": \"本文\", \"category\": \"returns\"}\n",
        "{\"id\": \"ops/manual\", \"title\": \"返品の手順\", \"body\": \"## 手順\\n倉庫へ\", \"category\": \"ops\", \"audience\": \"internal\"}\n",
        "{\"id\": \"q3\", \"title\": \"\", \"body\": \"本文\"}\n",
    )).unwrap();
    let out = dir.path().join("content");
    let options = ImportOptions { source: source.clone(), format: Format::Jsonl, out: out.clone(), overwrite: false };
    let report = import(&options).unwrap();
    assert_eq!((report.read, report.written, report.skipped), (4, 3, 1));
    assert!(report.has_errors());
    assert_eq!(report.renames, vec![Rename { line: 1, from: "Q1".into(), to: "q1".into() }]);
    assert!(report.categories_created);
    assert_eq!(report.categories_added, ["imported", "returns", "ops"]);
    let categories = std::fs::read_to_string(out.join(CATEGORIES_FILE)).unwrap();
    assert!(categories.contains("- id: imported\n  name: その他\n"), "{categories}");
    assert!(categories.contains("- id: ops\n  name: Ops\n  audience: internal\n"), "{categories}");

    let loaded = content::load(&out, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    assert!(loaded.diagnostics.is_empty(), "{:?}", messages(&loaded.diagnostics));
    let mut ids: Vec<&str> = loaded.corpus.pages.iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["ops/manual", "q1", "q2"]);

    // A second run refuses to replace the pages; with --overwrite it replaces them and
    // adds no category twice.
    let again = import(&options).unwrap();
    assert_eq!(again.written, 0);
    assert!(messages(&again.diagnostics).contains(&format!(
        "{}:2: {} already exists: use --overwrite to replace it", source.display(), out.join("q2.md").display()
    )));
    let again = import(&ImportOptions { overwrite: true, ..options }).unwrap();
    assert_eq!((again.written, again.skipped), (3, 1));
    assert!(again.categories_added.is_empty());
    assert_eq!(std::fs::read_to_string(out.join(CATEGORIES_FILE)).unwrap(), categories);
}

#[test]
fn import_appends_missing_categories_and_respects_internal_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("content");
    std::fs::create_dir_all(&out).unwrap();
    let before = "# ours\n- id: orders\n  name: ご注文\n- id: manual\n  name: マニュアル\n  audience: internal";
    std::fs::write(out.join(CATEGORIES_FILE), before).unwrap();
    let source = dir.path().join("faq.csv");
    std::fs::write(&source, "id,title,body,category\na,A,本文,orders\nb,B,本文,\nc,C,本文,manual\nd,D,本文,shoes\n").unwrap();
    let report = import(&ImportOptions { source, format: Format::Csv, out: out.clone(), overwrite: false }).unwrap();
    assert_eq!((report.written, report.skipped), (3, 1));
    assert!(messages(&report.diagnostics)[0].ends_with(":4: category `manual` is internal but this record is public: set `audience` to `internal` or pick a public category"));
    assert!(!report.categories_created);
    assert_eq!(report.categories_added, ["imported", "shoes"]);
    let after = std::fs::read_to_string(out.join(CATEGORIES_FILE)).unwrap();
    assert_eq!(after, format!("{before}\n- id: imported\n  name: その他\n- id: shoes\n  name: Shoes\n"));
    let loaded = content::load(&out, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    assert!(loaded.diagnostics.is_empty(), "{:?}", messages(&loaded.diagnostics));
}

#[test]
fn formats_from_file_names() {
    assert_eq!(Format::from_path(Path::new("a/faq.JSONL")), Some(Format::Jsonl));
    assert_eq!(Format::from_path(Path::new("faq.csv")), Some(Format::Csv));
    assert_eq!(Format::from_path(Path::new("faq.txt")), None);
}

#[test]
fn categories_that_are_not_ids_are_rewritten_and_named_as_written() {
    let evil = "Q\"<meta http-equiv=\"refresh\" content=\"0;url=http://evil.example\">";
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("content");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(CATEGORIES_FILE), "- id: returns\n  name: 返品\n- id: store-hours\n  name: 既存\n").unwrap();
    let source = dir.path().join("faq.jsonl");
    let line = |id: &str, category: &str| format!("{}\n", serde_json::json!({ "id": id, "title": "t", "body": "本文", "category": category }));
    let text = [line("a", evil), line("b", "Store Hours"), line("c", evil), line("d", "ご注文"), line("e", "returns")].concat();
    std::fs::write(&source, text).unwrap();
    let options = ImportOptions { source, format: Format::Jsonl, out: out.clone(), overwrite: false };
    let report = import(&options).unwrap();
    assert!(!report.has_errors(), "{:?}", messages(&report.diagnostics));
    let renames: Vec<(usize, &str, &str)> = report.category_renames.iter().map(|r| (r.line, r.from.as_str(), r.to.as_str())).collect();
    let evil_id = "q-meta-http-equiv-refresh-content-0-url-http/evil-example";
    assert_eq!(renames, [(1, evil, evil_id), (2, "Store Hours", "store-hours-2"), (4, "ご注文", "category-4")]);
    assert_eq!(report.categories_added, [evil_id, "store-hours-2", "category-4"]);
    let loaded = content::load(&out, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    assert!(loaded.diagnostics.is_empty(), "{:?}", messages(&loaded.diagnostics));
    let names: Vec<(&str, &str)> = loaded.corpus.categories.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
    assert_eq!(names, [("returns", "返品"), ("store-hours", "既存"), (evil_id, evil), ("store-hours-2", "Store Hours"), ("category-4", "ご注文")]);
    let category = |id: &str| loaded.corpus.pages.iter().find(|p| p.id == id).unwrap().category.clone().unwrap();
    assert_eq!((category("a"), category("c"), category("e")), (evil_id.to_string(), evil_id.to_string(), "returns".to_string()));

    // Imported again, the records' categories are found by their names: nothing is added.
    let again = import(&ImportOptions { overwrite: true, ..options }).unwrap();
    assert!(again.categories_added.is_empty(), "{:?}", again.categories_added);
    assert_eq!(again.category_renames.iter().map(|r| r.to.as_str()).collect::<Vec<_>>(), [evil_id, "store-hours-2", "category-4"]);
}

#[test]
fn category_ids_become_readable_names() {
    assert_eq!(crate::readable_name("store-hours"), "Store hours");
    assert_eq!(crate::readable_name("ops"), "Ops");
    assert_eq!(crate::readable_name("a_b/c"), "A b c");
    assert_ne!(crate::DEFAULT_CATEGORY_NAME, "インポート");
}
