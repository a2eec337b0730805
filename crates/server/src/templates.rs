//! What does each page look like? Typed askama templates (`crates/server/templates/`), one
//! struct per page or part of a page.
//!
//! Every value a template writes is escaped by [`Html`] unless the template marks it `|safe`,
//! which is done only for:
//! - other templates of this module, already rendered (their values escaped in turn);
//! - snippets ([`kotae_core::search::Snippet::to_html`], which escapes the text and adds `<mark>`);
//! - answers rendered from Markdown ([`kotae_core::content::markdown::render_html`], sanitized
//!   by ammonia);
//! - JSON-LD made safe for a `<script>` element ([`crate::html::script_json`]);
//! - the question form of [`crate::events`] (escaped there).
//!
//! Nothing here reads the state or the request: handlers compute what is shown, templates only
//! write it down.

use std::fmt;

use askama::Template;
use kotae_core::index::PageInfo;

/// The escaper of every HTML and XML template (set in `askama.toml`): `&`, `<`, `>`, `"` and
/// `'` as the entities the help page has always used, the same as in snippets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: fmt::Write>(&self, dest: W, text: &str) -> fmt::Result {
        kotae_core::search::write_escaped(dest, text)
    }
}

/// Render a template. Ours cannot fail (no filter of theirs returns an error); if one ever
/// did, the failure is logged and a short apology is shown instead of half a page.
pub fn render(template: &impl Template) -> String {
    template.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "a template failed");
        "<!doctype html><meta charset=\"utf-8\"><title>エラー</title><p>ただいま表示できません。しばらくしてからもう一度お試しください。</p>".into()
    })
}

/// The frame of every page: head, header with the search box, footer, scripts.
#[derive(Template)]
#[template(path = "layout.html")]
pub struct Layout<'a> {
    pub title: &'a str,
    pub site: &'a str,
    /// The header search box's label and placeholder.
    pub label: &'a str,
    pub query: &'a str,
    pub canonical: Option<&'a str>,
    /// Extra elements for `<head>`, rendered by a template of this module.
    pub head: &'a str,
    /// The page's content, rendered by a template of this module.
    pub body: &'a str,
    pub console: bool,
    /// Hidden fields of the header search form.
    pub carry: &'a [(String, String)],
    /// The session's CSRF token, for the logout form (signed-in console pages only).
    pub logout: Option<&'a str>,
    pub csrf_field: &'a str,
    pub css: &'a str,
    pub app_js: &'a str,
    pub ops_js: &'a str,
}

/// One contact channel as shown.
pub struct Channel<'a> {
    pub kind: &'a str,
    pub label: &'a str,
    /// Where its link goes, if it has one.
    pub href: Option<String>,
    /// What the channel offers (a phone number, a reply time), shown beside its name.
    pub value: &'a str,
    pub hours: &'a str,
}

/// How to reach a human, with the customer's question carried along.
#[derive(Template)]
#[template(path = "contact.html")]
pub struct Contact<'a> {
    pub heading: &'a str,
    pub query: &'a str,
    pub channels: Vec<Channel<'a>>,
    /// Shown before uncertain results: on a phone, only the channels' names (their links).
    pub compact: bool,
}

/// A category on the home page with its first pages.
pub struct HomeCategory<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub pages: Vec<&'a PageInfo>,
    pub total: usize,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct Home<'a> {
    pub popular: Vec<&'a PageInfo>,
    pub categories: Vec<HomeCategory<'a>>,
}

/// A category of the results page's filter.
pub struct Filter<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub count: usize,
    pub current: bool,
}

/// A hit on the results page.
pub struct ResultHit<'a> {
    pub id: &'a str,
    pub rank: usize,
    pub title: &'a str,
    pub category: &'a str,
    /// [`kotae_core::search::Snippet::to_html`].
    pub snippet: String,
}

/// The help center's results page.
#[derive(Template)]
#[template(path = "results.html")]
pub struct Results<'a> {
    pub q: &'a str,
    pub q_enc: &'a str,
    pub sid: &'a str,
    /// The category filtered on.
    pub category: Option<&'a str>,
    /// How many hits the search has in all (the pages hold exactly these).
    pub all: usize,
    pub filters: Vec<Filter<'a>>,
    pub hits: Vec<ResultHit<'a>>,
    /// Whether the best hit answers poorly: the contact block comes before the list.
    pub unsure: bool,
    pub contact: Contact<'a>,
    /// The question form (from [`crate::events::question_form`]), shown when nothing matched.
    pub ask: String,
    /// When nothing answers: the questions closest in meaning (「もしかして」).
    pub closest: Vec<Link<'a>>,
    /// The links to the other pages of results ([`Pager`], rendered), or empty.
    pub pager: String,
}

/// A link to an article.
pub struct Link<'a> {
    pub id: &'a str,
    pub title: &'a str,
}

#[derive(Template)]
#[template(path = "article.html")]
pub struct Article<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub category_id: &'a str,
    pub category: &'a str,
    /// The date as `YYYY-MM-DD` and as Japanese writes it.
    pub updated: Option<(String, String)>,
    /// The answer rendered from Markdown (sanitized).
    pub body: &'a str,
    pub query: &'a str,
    pub sid: &'a str,
    pub contact: Contact<'a>,
    pub ask: String,
    pub related: Vec<Link<'a>>,
}

/// JSON-LD for `<head>`, already made safe by [`crate::html::script_json`].
#[derive(Template)]
#[template(path = "json_ld.html")]
pub struct JsonLd<'a> {
    pub json: &'a str,
}

#[derive(Template)]
#[template(path = "category.html")]
pub struct Category<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub pages: Vec<Link<'a>>,
}

#[derive(Template)]
#[template(path = "contact_page.html")]
pub struct ContactPage<'a> {
    pub contact: Contact<'a>,
}

/// The thank-you page of a vote sent without JavaScript.
#[derive(Template)]
#[template(path = "vote.html")]
pub struct Vote<'a> {
    pub id: &'a str,
    /// For a "no": the contact block and the question form.
    pub not_helpful: Option<(Contact<'a>, String)>,
}

/// An error page's content.
#[derive(Template)]
#[template(path = "error.html")]
pub struct Error<'a> {
    pub status: u16,
    pub message: &'a str,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct Login<'a> {
    pub error: Option<&'a str>,
    /// The operator name typed in a failed attempt (empty at first).
    pub name: &'a str,
    pub field: &'a str,
    pub token: &'a str,
}

/// A page's audience badge and its review flag in the console.
#[derive(Template)]
#[template(path = "badges.html")]
pub struct Badges {
    pub internal: bool,
    /// The review date, when it has passed.
    pub stale: Option<String>,
}

/// A hit in the console.
pub struct ConsoleHit<'a> {
    pub badges: Badges,
    pub id: &'a str,
    /// `#anchor` of the section, URL-encoded, or empty.
    pub anchor: String,
    pub title: &'a str,
    pub heading: Option<&'a str>,
    pub updated: Option<String>,
    pub snippet: String,
    /// What the copy button copies, when the page could be read.
    pub copy: Option<String>,
}

/// The console's results.
pub struct ConsoleResults<'a> {
    pub total: usize,
    pub exact: bool,
    /// The rank of the page's first hit.
    pub first: usize,
    /// The links to the other pages ([`Pager`], rendered), or empty.
    pub pager: String,
    pub hits: Vec<ConsoleHit<'a>>,
}

/// The console's search page.
#[derive(Template)]
#[template(path = "console.html")]
pub struct Console<'a> {
    pub q: &'a str,
    /// The audience filter's choices (value, label).
    pub audiences: [(&'static str, &'static str); 3],
    pub audience: &'a str,
    pub categories: &'a [kotae_core::content::Category],
    pub category: &'a str,
    pub results: Option<ConsoleResults<'a>>,
}

/// An article in the console.
#[derive(Template)]
#[template(path = "console_article.html")]
pub struct ConsoleArticle<'a> {
    pub badges: Badges,
    pub title: &'a str,
    pub updated: Option<String>,
    /// (URL-encoded anchor, heading) of each section.
    pub toc: Vec<(String, &'a str)>,
    pub copy: String,
    pub body: &'a str,
}

/// `sitemap.xml`.
#[derive(Template)]
#[template(path = "sitemap.xml")]
pub struct Sitemap<'a> {
    pub base: &'a str,
    pub categories: Vec<&'a str>,
    pub pages: Vec<(&'a str, Option<chrono::NaiveDate>)>,
}

/// `opensearch.xml`.
#[derive(Template)]
#[template(path = "opensearch.xml")]
pub struct OpenSearch<'a> {
    pub base: &'a str,
    pub name: &'a str,
}

/// A section's plain text as HTML: escaped, line breaks as `<br>` (the single best answer).
#[derive(Template)]
#[template(path = "section.html")]
pub struct SectionText<'a> {
    pub text: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_unless_marked_safe() {
        let e = Error { status: 404, message: r#"<b a="x">'&'</b>"# };
        assert_eq!(render(&e), r#"<h1>404</h1><p>&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;</p><p><a href="/">ヘルプセンター トップへ戻る</a></p>"#);
        assert_eq!(render(&SectionText { text: "a<b\n\"c\"" }), "a&lt;b<br>&quot;c&quot;");
    }
}

/// One page link of a [`Pager`].
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

/// The links between the pages of a list of results (see [`crate::paging`]); `None` in `pages`
/// is a gap.
#[derive(Template)]
#[template(path = "pager.html")]
pub struct Pager {
    pub prev: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<Option<PageLink>>,
    pub label: &'static str,
}

/// A page number that is malformed or past the last page.
#[derive(Template)]
#[template(path = "no_such_page.html")]
pub struct NoSuchPage<'a> {
    pub heading: &'a str,
    pub message: &'a str,
    /// The first page's address.
    pub first: &'a str,
}
