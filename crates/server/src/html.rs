//! How are HTML pages put together? A shared layout and escaping helpers; every value written
//! into HTML goes through [`escape`] (or is sanitized HTML from the Markdown renderer).

use axum::http::HeaderMap;
use axum::response::Html;

use crate::assets;
use crate::state::AppState;

/// Escape text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    kotae_core::search::escape_into(text, &mut out);
    out
}

/// JSON safe to embed in a `<script>` element.
pub fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace("</", "<\\/").replace("<!--", "<\\!--")
}

/// The help center's absolute base URL: the configured one, else from the Host header.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if !state.config.base_url.is_empty() {
        return state.config.base_url.clone();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c)))
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// What a page puts into the shared layout.
pub struct Page {
    pub title: String,
    pub site_name: String,
    /// The query to show in the header search box.
    pub query: String,
    /// Absolute canonical URL, for pages search engines should index.
    pub canonical: Option<String>,
    /// Extra elements for `<head>` (already safe HTML).
    pub head: String,
    /// The page's main content (already safe HTML).
    pub body: String,
    /// Whether this is the agents' console.
    pub console: bool,
    /// Hidden fields the header search form carries (the console's filters).
    pub carry: Vec<(String, String)>,
}

impl Page {
    pub fn new(site_name: &str, title: impl Into<String>, body: String) -> Self {
        Page {
            title: title.into(),
            site_name: site_name.to_string(),
            query: String::new(),
            canonical: None,
            head: String::new(),
            body,
            console: false,
            carry: Vec::new(),
        }
    }

    pub fn render(self) -> Html<String> {
        let title = if self.title.is_empty() || self.title == self.site_name {
            escape(&self.site_name)
        } else {
            format!("{} | {}", escape(&self.title), escape(&self.site_name))
        };
        let canonical = self
            .canonical
            .map(|c| format!(r#"<link rel="canonical" href="{}">"#, escape(&c)))
            .unwrap_or_else(|| r#"<meta name="robots" content="noindex">"#.to_string());
        let (home, action, label) = if self.console {
            ("/ops", "/ops", "社内マニュアルと公開FAQを検索")
        } else {
            ("/", "/search", "ヘルプセンター内を検索")
        };
        let scripts = if self.console {
            format!(r#"<script src="{}" defer></script><script src="{}" defer></script>"#, assets::APP_JS_URL.as_str(), assets::OPS_JS_URL.as_str())
        } else {
            format!(r#"<script src="{}" defer></script>"#, assets::APP_JS_URL.as_str())
        };
        let carry: String = self
            .carry
            .iter()
            .map(|(k, v)| format!(r#"<input type="hidden" name="{}" value="{}">"#, escape(k), escape(v)))
            .collect();
        let suggest = if self.console { "/ops/api/suggest" } else { "/api/suggest" };
        // Only a signed-in operator's pages have a logout form, carrying the session's CSRF
        // token (see `csrf`).
        let logout = match crate::csrf::console_token().filter(|_| self.console) {
            Some(token) => format!(
                r#"<form method="post" action="/ops/logout" class="logout"><input type="hidden" name="{}" value="{}"><button type="submit">ログアウト</button></form>"#,
                crate::csrf::FIELD,
                escape(&token)
            ),
            None => String::new(),
        };
        Html(format!(
            r##"<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{canonical}
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{css}">
<link rel="search" type="application/opensearchdescription+xml" title="{site}" href="/opensearch.xml">
{head}
</head>
<body{body_class}>
<a class="skip" href="#main">本文へ移動</a>
<header class="site">
  <a class="brand" href="{home}">{site}{console_badge}</a>
  <form class="search" role="search" method="get" action="{action}">
    <label for="q" class="visually-hidden">{label}</label>
    <input id="q" name="q" type="search" value="{query}" placeholder="{label}" autocomplete="off"
      role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="suggestions" data-suggest="{suggest}">
    {carry}<button type="submit">検索</button>
    <ul id="suggestions" role="listbox" aria-label="検索候補" hidden></ul>
  </form>
  {logout}
</header>
<main id="main">
{body}
</main>
<footer class="site"><a href="/contact">お問い合わせ</a> · <a href="/">ヘルプセンター トップ</a></footer>
{scripts}
</body>
</html>
"##,
            css = assets::CSS_URL.as_str(),
            site = escape(&self.site_name),
            head = self.head,
            body_class = if self.console { r#" class="console""# } else { "" },
            console_badge = if self.console { " <span class=\"badge\">社内</span>" } else { "" },
            query = escape(&self.query),
            body = self.body,
        ))
    }
}

/// Format a date as Japanese writes it: 2026年10月14日.
pub fn japanese_date(date: &chrono::NaiveDate) -> String {
    date.format("%Y年%-m月%-d日").to_string()
}
