//! How are the pages' images served and shown?
//!
//! The served generation carries the images its pages show, named by a hash of their bytes
//! ([`kotae_core::index::media`]). [`public`] serves those a public page shows at
//! `/media/<hash>.<ext>`; [`console`] serves every one at `/ops/media/<hash>.<ext>`, behind the
//! console's login, so an image only the manual shows never reaches a customer, even one who
//! learned its name. Since a name changes when the bytes do, both are cached for good
//! (`immutable`), publicly for `/media/` and by the agent's browser only for `/ops/media/`.
//!
//! [`page_html`] renders a page's answer with its images: `/media/` URLs on public pages and
//! `/ops/media/` ones on the manual's; external images only from the config's `image_hosts`,
//! which [`csp`] adds to the `img-src` of the Content-Security-Policy.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kotae_core::content::images::{content_type, is_valid_image_host};
use kotae_core::content::markdown::{ImageContext, render_page_html};
use kotae_core::{Audience, Page};

use crate::state::AppState;

/// The public prefix of images.
pub const PUBLIC_PREFIX: &str = "/media/";
/// The console's prefix of images.
pub const CONSOLE_PREFIX: &str = "/ops/media/";

/// `GET /media/{name}`: an image a public page shows.
pub async fn public(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    serve(&state, &name, false).await
}

/// `GET /ops/media/{name}`: any image of the served generation, for operators.
pub async fn console(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    serve(&state, &name, true).await
}

async fn serve(state: &AppState, name: &str, operator: bool) -> Response {
    let found = {
        let snapshot = state.snapshot();
        snapshot
            .media
            .get(name)
            .filter(|(entry, _)| entry.public || operator)
            .map(|(_, path)| path)
    };
    let (Some(path), Some(mime)) = (found, content_type(name)) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let cache = if operator {
                "private, max-age=31536000, immutable"
            } else {
                "public, max-age=31536000, immutable"
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, cache),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                bytes,
            )
                .into_response()
        }
        // The generation was removed under the server (its next one is on its way).
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read an image of the served generation");
            (StatusCode::NOT_FOUND, "not found").into_response()
        }
    }
}

/// The answer of `page` as safe HTML, its images shown (see the module's documentation).
pub fn page_html(state: &AppState, page: &Page) -> String {
    let media_prefix = if page.audience == Audience::Public {
        PUBLIC_PREFIX
    } else {
        CONSOLE_PREFIX
    };
    let context = ImageContext {
        images: &page.images,
        media_prefix,
        hosts: &state.config.image_hosts,
    };
    render_page_html(&page.body, &context)
}

/// The Content-Security-Policy of every response: images from the service itself, `data:`
/// URLs, and the valid hosts of `image_hosts` only.
pub fn csp(image_hosts: &[String]) -> HeaderValue {
    let mut img = String::from("'self' data:");
    for host in image_hosts.iter().filter(|h| is_valid_image_host(h)) {
        img.push(' ');
        img.push_str(host.trim_end_matches('/'));
    }
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {img}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}
