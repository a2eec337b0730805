//! How is an answer's Markdown read: sections for search, links to check, safe HTML to show?
//!
//! One parser configuration ([`options`]) is used for everything, so the sections that search
//! indexes and the HTML a reader sees always agree on headings and their anchors.

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::model::{PageImage, Section};

/// The Markdown dialect of the corpus: CommonMark with tables, strikethrough, task lists and
/// `{#custom-anchor}` heading attributes.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// A link found in the answer, with its 1-based line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub dest: String,
    pub line: usize,
}

/// An image found in the answer (`![alt](dest)`), with its 1-based line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub dest: String,
    /// The alt text, Markdown removed.
    pub alt: String,
    pub line: usize,
}

/// What [`analyze`] finds in an answer.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub sections: Vec<Section>,
    pub links: Vec<Link>,
    pub images: Vec<Image>,
    /// Lines holding raw HTML (which is removed when rendering).
    pub raw_html_lines: Vec<usize>,
}

pub(crate) fn is_section_heading(level: HeadingLevel) -> bool {
    matches!(level, HeadingLevel::H2 | HeadingLevel::H3)
}

/// Split `body` (which starts at line `first_line` of its file) into sections at `##`/`###`
/// headings, and collect its links.
pub fn analyze(body: &str, first_line: usize) -> Parsed {
    let line_of = LineIndex::new(body, first_line);
    let mut parsed = Parsed::default();
    let mut anchors = Anchors::default();
    let mut current = Section { anchor: None, heading: None, text: String::new(), line: first_line };
    let mut heading: Option<(String, Option<String>, usize)> = None;
    // The image whose alt text is being read.
    let mut image: Option<usize> = None;

    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        if let (Some(i), Event::Text(t) | Event::Code(t)) = (image, &event) {
            parsed.images[i].alt.push_str(t);
        }
        match event {
            Event::Start(Tag::Heading { level, id, .. }) if is_section_heading(level) => {
                heading = Some((String::new(), id.map(|s| s.to_string()), line_of.line(range.start)));
            }
            Event::End(TagEnd::Heading(level)) if is_section_heading(level) => {
                if let Some((text, custom, line)) = heading.take() {
                    let text = text.trim().to_string();
                    let anchor = anchors.assign(custom.as_deref().unwrap_or(&text));
                    let done = std::mem::replace(
                        &mut current,
                        Section { anchor: Some(anchor), heading: Some(text), text: String::new(), line },
                    );
                    push_section(&mut parsed.sections, done);
                }
            }
            Event::Text(t) | Event::Code(t) => match &mut heading {
                Some((text, _, _)) => text.push_str(&t),
                None => current.text.push_str(&t),
            },
            Event::SoftBreak | Event::HardBreak => current.text.push('\n'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::Heading(_)
                | TagEnd::TableRow
                | TagEnd::BlockQuote(_),
            ) if heading.is_none() && !current.text.ends_with('\n') => current.text.push('\n'),
            Event::End(TagEnd::TableCell) => current.text.push(' '),
            Event::Start(Tag::Link { dest_url, .. }) => parsed
                .links
                .push(Link { dest: dest_url.to_string(), line: line_of.line(range.start) }),
            Event::Start(Tag::Image { dest_url, .. }) => {
                image = Some(parsed.images.len());
                parsed.images.push(Image { dest: dest_url.to_string(), alt: String::new(), line: line_of.line(range.start) });
            }
            Event::End(TagEnd::Image) => {
                if let Some(i) = image.take() {
                    parsed.images[i].alt = parsed.images[i].alt.trim().to_string();
                }
            }
            Event::Html(_) | Event::InlineHtml(_) => {
                let line = line_of.line(range.start);
                if parsed.raw_html_lines.last() != Some(&line) {
                    parsed.raw_html_lines.push(line);
                }
            }
            _ => {}
        }
    }
    push_section(&mut parsed.sections, current);
    parsed
}

fn push_section(sections: &mut Vec<Section>, mut section: Section) {
    section.text = section.text.trim().to_string();
    if section.heading.is_some() || !section.text.is_empty() {
        sections.push(section);
    }
}

/// How a page's images are shown (see [`render_page_html`]).
#[derive(Debug, Clone, Copy)]
pub struct ImageContext<'a> {
    /// The page's resolved images ([`super::model::Page::images`]).
    pub images: &'a [PageImage],
    /// What a media name is appended to, like `/media/`.
    pub media_prefix: &'a str,
    /// The external image hosts allowed, like `https://cdn.example.com` (the config's
    /// `image_hosts`).
    pub hosts: &'a [String],
}

impl ImageContext<'_> {
    /// No image resolved and no host allowed.
    pub const NONE: ImageContext<'static> = ImageContext { images: &[], media_prefix: "", hosts: &[] };

    /// The `<img>` (or fallback) for the image `dest` with alt text `alt`:
    /// - an image of the content folder: its media URL, with width and height when known;
    /// - an external image from an allowed host: as written;
    /// - an external image from another host: a link (the CSP would block it as an image);
    /// - an image that could not be resolved: its alt text.
    fn html(&self, dest: &str, alt: &str, title: &str) -> String {
        let alt_attr = escape_attr(alt);
        let title = if title.is_empty() { String::new() } else { format!(r#" title="{}""#, escape_attr(title)) };
        let found = self.images.iter().find(|i| i.src == dest);
        if let Some(PageImage { media: Some(name), width, height, .. }) = found {
            let size = match (width, height) {
                (Some(w), Some(h)) => format!(r#" width="{w}" height="{h}""#),
                _ => String::new(),
            };
            format!(r#"<img src="{}{}" alt="{alt_attr}"{title}{size} loading="lazy" decoding="async">"#, self.media_prefix, escape_attr(name))
        } else if is_external(dest) && host_allowed(dest, self.hosts) {
            format!(r#"<img src="{}" alt="{alt_attr}"{title} loading="lazy" decoding="async">"#, escape_attr(dest))
        } else if is_external(dest) {
            let text = if alt.is_empty() { dest } else { alt };
            format!(r#"<a href="{}">{}</a>"#, escape_attr(dest), escape_attr(text))
        } else {
            escape_attr(alt)
        }
    }
}

/// Whether `src` is an external (`https://`) image address.
pub fn is_external(src: &str) -> bool {
    src.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// Whether the external image `src` comes from one of `hosts` (origins like
/// `https://cdn.example.com`, as in the CSP's `img-src`).
pub fn host_allowed(src: &str, hosts: &[String]) -> bool {
    hosts.iter().any(|h| {
        let h = h.trim_end_matches('/');
        src.len() > h.len() && src[..h.len()].eq_ignore_ascii_case(h) && src[h.len()..].starts_with(['/', '?'])
    })
}

fn escape_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Render `body` to HTML that is safe to embed: raw HTML and dangerous URLs are removed,
/// and `##`/`###` headings carry the same anchors as the sections [`analyze`] returns. Images
/// are shown as their alt text (see [`render_page_html`]).
pub fn render_html(body: &str) -> String {
    render_page_html(body, &ImageContext::NONE)
}

/// [`render_html`], with a page's images shown as `images` says: `alt`, `loading="lazy"`,
/// `decoding="async"`, and `width` and `height` when known.
pub fn render_page_html(body: &str, images: &ImageContext<'_>) -> String {
    let mut anchors = Anchors::default();
    let mut events: Vec<Event> = Vec::new();
    let mut pending: Option<usize> = None;
    let mut heading_text = String::new();
    // The image being read: its address, title and alt text so far.
    let mut image: Option<(CowStr, CowStr, String)> = None;
    // Images inside that image's alt text (shown as their text).
    let mut nested = 0usize;
    for event in Parser::new_ext(body, options()) {
        if let Some((dest, title, alt)) = &mut image {
            match event {
                Event::Text(t) | Event::Code(t) => {
                    if pending.is_some() {
                        heading_text.push_str(&t);
                    }
                    alt.push_str(&t);
                }
                Event::Start(Tag::Image { .. }) => nested += 1,
                Event::End(TagEnd::Image) if nested > 0 => nested -= 1,
                Event::End(TagEnd::Image) => {
                    let html = images.html(dest, alt.trim(), title);
                    events.push(Event::InlineHtml(CowStr::from(html)));
                    image = None;
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Image { dest_url, title, .. }) => image = Some((dest_url, title, String::new())),
            Event::Start(Tag::Heading { level, id, classes, attrs }) if is_section_heading(level) => {
                pending = Some(events.len());
                heading_text.clear();
                events.push(Event::Start(Tag::Heading { level, id, classes, attrs }));
            }
            Event::End(TagEnd::Heading(level)) if is_section_heading(level) => {
                if let Some(i) = pending.take()
                    && let Event::Start(Tag::Heading { id, .. }) = &mut events[i]
                {
                    let source = id.as_deref().map(str::to_string).unwrap_or(heading_text.trim().to_string());
                    *id = Some(CowStr::from(anchors.assign(&source)));
                }
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Text(ref t) | Event::Code(ref t) if pending.is_some() => {
                heading_text.push_str(t);
                events.push(event);
            }
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(body.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitize(&html)
}

/// Remove everything unsafe from HTML: scripts, event handlers, `javascript:` URLs, styles.
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .add_tag_attributes("h2", &["id"])
        .add_tag_attributes("h3", &["id"])
        .add_tag_attributes("input", &["type", "checked", "disabled"])
        .add_tag_attributes("img", &["loading", "decoding"])
        .add_tags(&["input"])
        .clean(html)
        .to_string()
}

/// Heading anchors: a slug of the heading, made unique within the page.
#[derive(Default)]
pub(crate) struct Anchors {
    seen: HashMap<String, usize>,
}

impl Anchors {
    pub(crate) fn assign(&mut self, heading: &str) -> String {
        let base = slug(heading);
        let base = if base.is_empty() { "section".to_string() } else { base };
        let count = self.seen.entry(base.clone()).or_insert(0);
        *count += 1;
        if *count == 1 { base } else { format!("{base}-{}", *count - 1) }
    }
}

/// A URL fragment for a heading, in the style of GitHub: lower case, letters and digits of any
/// script kept, spaces to hyphens, other punctuation dropped.
pub fn slug(heading: &str) -> String {
    let mut out = String::new();
    for c in crate::analysis::normalize_str(heading).chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' || c == 'ー' {
            out.push(c);
        } else if c.is_whitespace() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Turns byte offsets of a body into 1-based line numbers of its file.
struct LineIndex {
    starts: Vec<usize>,
    first_line: usize,
}

impl LineIndex {
    fn new(text: &str, first_line: usize) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Self { starts, first_line }
    }

    fn line(&self, offset: usize) -> usize {
        self.first_line + self.starts.partition_point(|&s| s <= offset) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "前置きの文。\n\n## 電話の保留\n\n保留は**30秒**まで。\n\n### 保留が長いとき\n\n[手順](/articles/manual/hold)を見る。\n\n## 電話の保留\n\n重複した見出し。\n";

    #[test]
    fn sections_split_at_headings_with_lines_and_unique_anchors() {
        let parsed = analyze(BODY, 5);
        let s = &parsed.sections;
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].anchor, None);
        assert_eq!(s[0].text, "前置きの文。");
        assert_eq!(s[0].line, 5);
        assert_eq!(s[1].anchor.as_deref(), Some("電話の保留"));
        assert_eq!(s[1].text, "保留は30秒まで。");
        assert_eq!(s[1].line, 7);
        assert_eq!(s[2].anchor.as_deref(), Some("保留が長いとき"));
        assert_eq!(s[2].line, 11);
        assert_eq!(s[3].anchor.as_deref(), Some("電話の保留-1"));
        assert_eq!(parsed.links, vec![Link { dest: "/articles/manual/hold".into(), line: 13 }]);
    }

    proptest::proptest! {
        /// Every anchor follows the anchor pattern of [`super::super::ids`], whatever the
        /// heading or its `{#custom}` id holds.
        #[test]
        fn anchors_follow_the_id_pattern(heading in "\\PC{0,40}") {
            let mut anchors = Anchors::default();
            let anchor = anchors.assign(&heading);
            proptest::prop_assert!(super::super::ids::is_valid_anchor(&anchor), "{heading:?} → {anchor:?}");
        }
    }

    #[test]
    fn html_headings_carry_the_section_anchors() {
        let html = render_html(BODY);
        assert!(html.contains(r#"<h2 id="電話の保留">"#), "{html}");
        assert!(html.contains(r#"<h3 id="保留が長いとき">"#), "{html}");
        assert!(html.contains(r#"<h2 id="電話の保留-1">"#), "{html}");
    }

    #[test]
    fn html_is_sanitized() {
        let html = render_html("<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn custom_anchors_are_kept() {
        let parsed = analyze("## 返金について {#refund}\n\n本文\n", 1);
        assert_eq!(parsed.sections[0].anchor.as_deref(), Some("refund"));
        assert_eq!(parsed.sections[0].heading.as_deref(), Some("返金について"));
        assert!(render_html("## 返金について {#refund}\n").contains(r#"id="refund""#));
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Step 1: ログイン"), "step-1-ログイン");
        assert_eq!(slug("ＫＰＩ（一次解決率）"), "kpi一次解決率");
    }
}
