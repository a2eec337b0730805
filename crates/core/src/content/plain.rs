//! What does an agent paste into a reply? An answer's Markdown as plain text that reads well in
//! an e-mail or a chat: list items keep their markers (「・」, `1.`), a table keeps one row per
//! line with its cells separated by ` | `, a link keeps its URL (`テキスト (https://…)`), code
//! keeps its lines, and a section comes with all of its sub-sections.
//!
//! Anchors are assigned exactly as [`super::markdown`] assigns them, so a section hit's anchor
//! finds the same heading here.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use super::markdown::{Anchors, is_section_heading, options};

/// `body` as plain text to paste, or only the section `anchor` with its sub-sections (up to the
/// next heading of the same or a higher level) when given and found. `link` turns each link's
/// destination as written into the URL shown (an absolute one, for the reader of the reply).
pub fn paste_text(body: &str, anchor: Option<&str>, link: &dyn Fn(&str) -> String) -> String {
    let events: Vec<Event> = Parser::new_ext(body, options()).collect();
    let window = anchor
        .and_then(|a| section_window(&events, a))
        .unwrap_or(0..events.len());
    let mut plain = Plain {
        link: Some(link),
        ..Plain::default()
    };
    for event in &events[window] {
        plain.event(event);
    }
    plain.finish()
}

/// The events of the section whose heading gets `anchor`: from its heading to the next heading
/// of the same or a higher level.
fn section_window(events: &[Event], anchor: &str) -> Option<std::ops::Range<usize>> {
    let mut anchors = Anchors::default();
    let mut open: Option<(usize, HeadingLevel, Option<String>, String)> = None;
    let mut found: Option<(usize, HeadingLevel)> = None;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                if let Some((_, wanted)) = found
                    && *level <= wanted
                {
                    return found.map(|(start, _)| start..i);
                }
                if is_section_heading(*level) {
                    open = Some((i, *level, id.as_ref().map(|s| s.to_string()), String::new()));
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, _, text)) = &mut open {
                    text.push_str(t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((start, level, custom, text)) = open.take() {
                    let assigned = anchors.assign(custom.as_deref().unwrap_or(text.trim()));
                    if found.is_none() && assigned == anchor {
                        found = Some((start, level));
                    }
                }
            }
            _ => {}
        }
    }
    found.map(|(start, _)| start..events.len())
}

/// The plain text being written.
#[derive(Default)]
struct Plain<'l> {
    out: String,
    link: Option<&'l dyn Fn(&str) -> String>,
    /// Open lists, innermost last: the next number of an ordered list, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// Open links: their destination and where their text starts in the sink.
    links: Vec<(String, usize)>,
    /// Block quotes open.
    quotes: usize,
    /// The cell being written, and the cells of the row so far.
    cell: Option<String>,
    row: Vec<String>,
    /// Right after an item's marker, before any text (a loose item's first paragraph).
    item_start: bool,
}

impl<'l> Plain<'l> {
    fn sink(&mut self) -> &mut String {
        match &mut self.cell {
            Some(cell) => cell,
            None => &mut self.out,
        }
    }

    fn push(&mut self, text: &str) {
        self.item_start = false;
        self.sink().push_str(text);
    }

    /// What starts every line here: `> ` per block quote.
    fn prefix(&self) -> String {
        "> ".repeat(self.quotes)
    }

    /// A new line, indented under the current list item.
    fn line_break(&mut self) {
        if self.cell.is_some() {
            self.push(" ");
            return;
        }
        let indent = "  ".repeat(self.lists.len());
        let prefix = self.prefix();
        self.out.push('\n');
        self.out.push_str(&prefix);
        self.out.push_str(&indent);
    }

    /// The start of a block: on a new line, after a blank one unless inside a list.
    fn start_block(&mut self) {
        if self.item_start {
            return;
        }
        if !self.lists.is_empty() {
            if !self.out.trim_end_matches([' ', '>']).ends_with('\n') && !self.out.is_empty() {
                self.line_break();
            }
            return;
        }
        let trimmed = self.out.trim_end_matches([' ', '>']).len();
        self.out.truncate(trimmed);
        if !self.out.is_empty() {
            while !self.out.ends_with("\n\n") {
                self.out.push('\n');
            }
        }
        let prefix = self.prefix();
        self.out.push_str(&prefix);
    }

    fn event(&mut self, event: &Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(*tag),
            Event::Text(t) | Event::Code(t) => {
                // A code block's text keeps its lines, each with the quote prefix.
                let mut lines = t.split('\n');
                if let Some(first) = lines.next() {
                    self.push(first);
                }
                for line in lines {
                    self.line_break();
                    self.push(line);
                }
            }
            Event::SoftBreak | Event::HardBreak => self.line_break(),
            Event::Rule => {
                self.start_block();
                self.push("――――――――");
            }
            Event::TaskListMarker(done) => self.push(if *done { "[x] " } else { "[ ] " }),
            // Raw HTML is removed from answers; footnotes and math are not in the dialect.
            _ => {}
        }
    }

    fn start(&mut self, tag: &Tag) {
        match tag {
            Tag::Paragraph | Tag::Heading { .. } | Tag::CodeBlock(_) | Tag::Table(_) => {
                self.start_block()
            }
            Tag::BlockQuote(_) => {
                self.start_block();
                self.quotes += 1;
                self.out.push_str("> ");
            }
            Tag::List(first) => {
                if self.lists.is_empty() {
                    self.start_block();
                } else if !self.out.ends_with('\n') {
                    // A nested list: its items start their own lines.
                    self.out.push('\n');
                }
                self.lists.push(*first);
            }
            Tag::Item => {
                if !self.out.is_empty() && !self.out.ends_with('\n') {
                    self.out.push('\n');
                }
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "・".to_string(),
                };
                let prefix = self.prefix();
                self.out.push_str(&prefix);
                self.out.push_str(&"  ".repeat(depth));
                self.out.push_str(&marker);
                self.item_start = true;
            }
            Tag::TableHead | Tag::TableRow => self.row.clear(),
            Tag::TableCell => self.cell = Some(String::new()),
            Tag::Link { dest_url, .. } => {
                let start = self.sink().len();
                self.links.push((dest_url.to_string(), start));
            }
            Tag::Image { .. } => self.push("[画像: "),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::List(_) => {
                self.lists.pop();
            }
            TagEnd::BlockQuote(_) => self.quotes = self.quotes.saturating_sub(1),
            TagEnd::TableCell => {
                let cell = self.cell.take().unwrap_or_default();
                self.row
                    .push(cell.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if !self.out.ends_with('\n') && !self.out.ends_with("> ") && !self.out.is_empty() {
                    self.line_break();
                }
                let row = std::mem::take(&mut self.row).join(" | ");
                self.push(&row);
            }
            TagEnd::Link => {
                let Some((dest, start)) = self.links.pop() else {
                    return;
                };
                let url = self.link.map_or_else(|| dest.clone(), |f| f(&dest));
                let sink = self.sink();
                let text = sink.get(start..).unwrap_or("").trim().to_string();
                let address = dest
                    .strip_prefix("mailto:")
                    .or_else(|| dest.strip_prefix("tel:"));
                if !shareable(&url) {
                    // A script or data URL (the HTML drops them too): the text alone.
                } else if address.is_some_and(|a| text == a) {
                    // An e-mail address or a phone number written out: it is its own link.
                } else if text.is_empty() || text == url || text == dest {
                    sink.truncate(start);
                    sink.push_str(&url);
                } else {
                    sink.push_str(&format!(" ({url})"));
                }
            }
            TagEnd::Image => self.push("]"),
            _ => {}
        }
    }

    fn finish(self) -> String {
        let lines: Vec<&str> = self.out.lines().map(str::trim_end).collect();
        let mut text = String::with_capacity(self.out.len());
        let mut blank = 0;
        for line in lines {
            if line.trim().is_empty() {
                blank += 1;
                continue;
            }
            if !text.is_empty() {
                text.push_str(if blank > 0 { "\n\n" } else { "\n" });
            }
            blank = 0;
            text.push_str(line);
        }
        text
    }
}

/// Whether `url` may be given to a reader: a relative one, or http(s), mailto or tel.
fn shareable(url: &str) -> bool {
    let url = url.trim_start().to_ascii_lowercase();
    match url.find(|c: char| matches!(c, ':' | '/' | '?' | '#')) {
        Some(i) if url[i..].starts_with(':') => {
            ["http", "https", "mailto", "tel"].contains(&&url[..i])
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn absolute(dest: &str) -> String {
        if dest.starts_with('/') {
            format!("https://help.example.jp{dest}")
        } else {
            dest.to_string()
        }
    }

    fn paste(body: &str, anchor: Option<&str>) -> String {
        paste_text(body, anchor, &absolute)
    }

    #[test]
    fn lists_keep_their_markers_and_nesting() {
        let text = paste(
            "手順:\n\n- 注文履歴を開く\n- 対象の注文を選ぶ\n  1. 詳細を見る\n  2. 「キャンセル」を押す\n\n以上です。\n",
            None,
        );
        assert_eq!(
            text,
            "手順:\n\n・注文履歴を開く\n・対象の注文を選ぶ\n  1. 詳細を見る\n  2. 「キャンセル」を押す\n\n以上です。"
        );
    }

    #[test]
    fn ordered_lists_start_where_the_writer_started_and_loose_items_stay_one_per_line() {
        let text = paste("3. 三つ目\n\n4. 四つ目\n   続きの段落\n", None);
        assert_eq!(text, "3. 三つ目\n4. 四つ目\n  続きの段落");
    }

    #[test]
    fn tables_keep_one_row_per_line_and_separate_their_cells() {
        let text = paste(
            "料金:\n\n| プラン | 月額 |\n|---|---:|\n| 通常 | 500円 |\n| **年額** | 5,000円 |\n\n税込みです。\n",
            None,
        );
        assert_eq!(
            text,
            "料金:\n\nプラン | 月額\n通常 | 500円\n年額 | 5,000円\n\n税込みです。"
        );
    }

    #[test]
    fn links_keep_their_urls_made_absolute() {
        let text = paste(
            "[お問い合わせフォーム](/articles/contact/contact-form)からご連絡ください。詳しくは<https://example.jp/guide>へ。メール: [help@example.jp](mailto:help@example.jp)\n",
            None,
        );
        assert_eq!(
            text,
            "お問い合わせフォーム (https://help.example.jp/articles/contact/contact-form)からご連絡ください。詳しくはhttps://example.jp/guideへ。メール: help@example.jp"
        );
    }

    #[test]
    fn script_and_data_links_keep_their_text_only() {
        let text = paste(
            "[開く](javascript:alert(1)) と [データ](data:text/html;base64,PHNjcmlwdD4=) と [普通](/articles/a)\n",
            None,
        );
        assert_eq!(
            text,
            "開く と データ と 普通 (https://help.example.jp/articles/a)"
        );
    }

    #[test]
    fn a_section_copies_all_of_its_sub_sections_and_stops_at_the_next_one() {
        let body = "前置き。\n\n## 保留のルール\n\n### 保留の長さ\n\n保留は30秒まで。\n\n### 長くなるとき\n\n- 一度戻って伝える\n- 折り返しを提案する\n\n## 転送\n\n別の話。\n";
        let text = paste(body, Some("保留のルール"));
        assert_eq!(
            text,
            "保留のルール\n\n保留の長さ\n\n保留は30秒まで。\n\n長くなるとき\n\n・一度戻って伝える\n・折り返しを提案する"
        );
        assert_eq!(
            paste(body, Some("長くなるとき")),
            "長くなるとき\n\n・一度戻って伝える\n・折り返しを提案する"
        );
        assert_eq!(paste(body, Some("転送")), "転送\n\n別の話。");
    }

    #[test]
    fn anchors_are_the_ones_the_html_gets() {
        let body = "## 手順\n\nA\n\n## 手順\n\nB\n\n## 返金 {#refund}\n\nC\n";
        assert_eq!(paste(body, Some("手順-1")), "手順\n\nB");
        assert_eq!(paste(body, Some("refund")), "返金\n\nC");
        assert!(
            paste(body, Some("no-such-section")).starts_with("手順\n\nA"),
            "an unknown anchor gives the whole answer"
        );
    }

    #[test]
    fn code_keeps_its_lines_and_quotes_their_marks() {
        let text = paste(
            "設定:\n\n```\nserver = on\nport = 8080\n```\n\n> 注意: 再起動が要ります。\n> すぐに反映されます。\n\n`kotae index` を実行。\n",
            None,
        );
        assert_eq!(
            text,
            "設定:\n\nserver = on\nport = 8080\n\n> 注意: 再起動が要ります。\n> すぐに反映されます。\n\nkotae index を実行。"
        );
    }

    #[test]
    fn no_markup_is_left() {
        let text = paste(
            "**大切**な*お知らせ*と~~古い~~情報。<span>html</span>\n\n- [x] 済み\n- [ ] まだ\n",
            None,
        );
        assert_eq!(
            text,
            "大切なお知らせと古い情報。html\n\n・[x] 済み\n・[ ] まだ"
        );
    }
}
