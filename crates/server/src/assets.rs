//! Which static files does the service send, and how are they cached? They are compiled into
//! the binary; their URLs carry a hash of their content, so browsers may cache them forever.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const CSS: &str = include_str!("../assets/app.css");
/// The help page's script: the suggestion box it shares with the widget (`suggest.js`, also in
/// [`crate::widget::WIDGET_JS`]) and its own code, in one function scope.
pub const APP_JS: &str = concat!("(function () {\n", include_str!("../assets/suggest.js"), "\n", include_str!("../assets/app.js"), "})();\n");
pub const OPS_JS: &str = include_str!("../assets/ops.js");

/// A short hash of a file's content (FNV-1a), for its URL or its `ETag`.
pub fn digest(body: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h as u32)
}

fn versioned(name: &str, body: &str) -> String {
    format!("/assets/{name}?v={}", digest(body))
}

pub static CSS_URL: LazyLock<String> = LazyLock::new(|| versioned("app.css", CSS));
pub static APP_JS_URL: LazyLock<String> = LazyLock::new(|| versioned("app.js", APP_JS));
pub static OPS_JS_URL: LazyLock<String> = LazyLock::new(|| versioned("ops.js", OPS_JS));

pub async fn serve(Path(name): Path<String>) -> Response {
    let (body, mime) = match name.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "ops.js" => (OPS_JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    (
        [(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")],
        body,
    )
        .into_response()
}
