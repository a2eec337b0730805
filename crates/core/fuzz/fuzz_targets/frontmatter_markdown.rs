//! Front matter and Markdown: `split`, `parse`, the line lookups, `markdown::analyze` and
//! `render_html` must never panic, and what they report must make sense.
#![no_main]

use kotae_core::content::{frontmatter, markdown};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.split('\n').count();
    if let Ok(split) = frontmatter::split(text) {
        assert!(split.body_line >= 2 && split.yaml_line == 2);
        let _ = frontmatter::parse(split.yaml, split.yaml_line);
        for key in ["title", "related", "tags"] {
            if let Some(line) = frontmatter::key_line(split.yaml, split.yaml_line, key) {
                assert!(line >= split.yaml_line);
            }
            let _ = frontmatter::value_line(split.yaml, split.yaml_line, key, "x");
        }
        let parsed = markdown::analyze(split.body, split.body_line);
        for s in &parsed.sections {
            assert!(s.line >= split.body_line && s.line <= lines + 1, "section line {} of {lines}", s.line);
        }
        let _ = markdown::render_html(split.body);
    }
    let parsed = markdown::analyze(text, 1);
    for link in &parsed.links {
        assert!(link.line >= 1 && link.line <= lines, "link line {} of {lines}", link.line);
    }
    let html = markdown::render_html(text);
    assert!(!html.contains("<script"), "unsanitized HTML: {html}");
});
