//! How are HTML pages put together? The shared layout ([`Page`], drawn by
//! [`crate::templates::Layout`]), the Japanese error pages of the routers that serve people
//! ([`errors_as_pages`]), and small helpers.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, Response};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::assets;
use crate::error::Failure;
use crate::state::AppState;
use crate::templates::{self, render};

/// Escape text for HTML content and attribute values, for HTML not yet drawn by a template
/// (the insights pages of [`crate::events`]); templates escape by themselves.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    kotae_core::search::escape_into(text, &mut out);
    out
}

/// JSON safe to embed in a `<script>` element.
pub fn script_json(value: &serde_json::Value) -> String {
    // `\u003c` and friends are the same string to a JSON reader, and leave no `<`, `>` or `&`
    // for the HTML parser to act on inside the script element.
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
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

/// A layer giving responses that have none the `Cache-Control` header `value`.
pub fn cache(value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static(value))
}

/// What a page puts into the shared layout.
pub struct Page {
    pub title: String,
    pub site_name: String,
    /// The query to show in the header search box.
    pub query: String,
    /// Absolute canonical URL, for pages search engines should index.
    pub canonical: Option<String>,
    /// Extra elements for `<head>` (already safe HTML, from a template).
    pub head: String,
    /// The page's main content (already safe HTML, from a template).
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
        // Only a signed-in operator's pages have a logout form, carrying the session's CSRF
        // token (see `csrf`).
        let logout = crate::csrf::console_token().filter(|_| self.console);
        Html(render(&templates::Layout {
            title: &self.title,
            site: &self.site_name,
            label: if self.console { "社内マニュアルと公開FAQを検索" } else { "ヘルプセンター内を検索" },
            query: &self.query,
            canonical: self.canonical.as_deref(),
            head: &self.head,
            body: &self.body,
            console: self.console,
            carry: &self.carry,
            logout: logout.as_deref(),
            csrf_field: crate::csrf::FIELD,
            css: &assets::CSS_URL,
            app_js: &assets::APP_JS_URL,
            ops_js: &assets::OPS_JS_URL,
        }))
    }
}

/// The Japanese page for a failure: its status and message in the layout.
pub fn error_page(site: &str, failure: &Failure) -> Html<String> {
    let body = render(&templates::Error { status: failure.status.as_u16(), message: &failure.message });
    Page::new(site, "エラー", body).render()
}

/// The error format of the routers that serve people (the help page, the console's pages):
/// every error ([`crate::error::AppError`], JSON by default) is answered as a Japanese page,
/// with the same status and headers (`Retry-After`, cookies).
pub async fn errors_as_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let Some(failure) = response.extensions().get::<Failure>().cloned() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    let Html(page) = error_page(&state.snapshot().corpus.site.name, &failure);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    Response::from_parts(parts, Body::from(page))
}

/// Any other path of the routers that serve people: 404 (a Japanese page).
pub async fn not_found() -> crate::error::AppError {
    crate::error::AppError::NotFound("no such page".into())
}

/// Format a date as Japanese writes it: 2026年10月14日.
pub fn japanese_date(date: &chrono::NaiveDate) -> String {
    date.format("%Y年%-m月%-d日").to_string()
}

/// `url` with `q=query` appended.
pub fn with_query(url: &str, query: &str) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}q={}", urlencode(query))
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e[1..].to_string()).unwrap_or_default()
}

#[cfg(test)]
mod script_json_tests {
    use super::script_json;

    #[test]
    fn markup_in_json_cannot_leave_the_script_element() {
        let value = serde_json::json!({ "name": "<img src=x onerror=alert(1)>返品の<script>alert(2)</script><!-- & -->" });
        let safe = script_json(&value);
        assert!(!safe.contains(['<', '>', '&']), "{safe}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), value, "the same JSON to a reader");
    }
}
