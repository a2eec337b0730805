//! The help center inside other sites' pages: `/widget.js`, and who may call the public API
//! from those pages.
//!
//! - [`serve`]: the script (`assets/widget.js`, wrapped with the suggestion box shared with the
//!   help page, `assets/suggest.js`). Its URL is written into other sites' pages, so
//!   it carries no content hash: it is cached for a few minutes and revalidated by `ETag`.
//! - [`cors`]: on the public API (`/api`) only, a request whose `Origin` is one of the
//!   configured `widget_origins` gets `Access-Control-Allow-Origin` (and its preflight is
//!   answered); any other origin gets no CORS header at all, so browsers keep its pages from
//!   reading the answers. The console's API never gets any.
//! - [`vote_from_widget`]: the one state-changing request a widget page may send from another
//!   origin, `POST /api/feedback` (the same-origin check, [`crate::csrf::same_origin`], lets
//!   it through for those origins only; it stays rate-limited like any vote).

use std::sync::LazyLock;

use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The script other sites embed: the shared suggestion box and the widget, in one function
/// scope so that nothing is added to the host page's globals.
pub const WIDGET_JS: &str = concat!(
    "(function () {\n\"use strict\";\n",
    include_str!("../assets/suggest.js"),
    "\n",
    include_str!("../assets/widget.js"),
    "})();\n"
);

/// How long browsers and proxies may keep `/widget.js` before asking again.
pub const CACHE: &str = "public, max-age=300";

static ETAG: LazyLock<String> =
    LazyLock::new(|| format!("\"{}\"", crate::assets::digest(WIDGET_JS)));

/// `GET /widget.js`: the script, or 304 when the browser's copy is current.
pub async fn serve(headers: HeaderMap) -> Response {
    let etag = ETAG.as_str();
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let common = [
        (header::CACHE_CONTROL, CACHE),
        (header::ETAG, etag),
        // Pages that isolate themselves (COEP) may still load it.
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "cross-origin",
        ),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        WIDGET_JS,
    )
        .into_response()
}

/// The request's `Origin` if it is one of the configured widget origins.
fn allowed_origin<'a>(state: &AppState, headers: &'a HeaderMap) -> Option<&'a HeaderValue> {
    let value = headers.get(header::ORIGIN)?;
    let origin = value.to_str().ok()?;
    state
        .config
        .widget_origins
        .iter()
        .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
        .then_some(value)
}

/// Whether a state-changing request is a widget's vote: `POST /api/feedback` from a configured
/// widget origin.
pub fn vote_from_widget(state: &AppState, request: &Request) -> bool {
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| request.uri().path(), |u| u.0.path());
    request.method() == Method::POST
        && path == "/api/feedback"
        && allowed_origin(state, request.headers()).is_some()
}

/// The public API's CORS layer (outermost on `/api`, so that a 429 can be read by the widget
/// too): configured origins only; preflights from them are answered here.
pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.config.widget_origins.is_empty() {
        return next.run(request).await;
    }
    let origin = allowed_origin(&state, request.headers()).cloned();
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = match (&origin, preflight) {
        (Some(_), true) => {
            let mut r = StatusCode::NO_CONTENT.into_response();
            let h = r.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            r
        }
        _ => next.run(request).await,
    };
    let h = response.headers_mut();
    // The answer depends on the Origin: shared caches must keep one copy per origin.
    h.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}
