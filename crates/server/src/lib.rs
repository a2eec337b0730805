//! Kotae's HTTP service: the customers' help page, the agents' console and the JSON API.
//!
//! - [`config`]: settings from one TOML file plus environment overrides.
//! - [`state`]: what handlers share, above all the served [`kotae_core::Snapshot`], swapped
//!   atomically by [`reload`] when `kotae index` publishes a new generation.
//! - [`pages`]: the help page (HTML), [`ops`]: the console, [`api`]: JSON, [`openapi`]: its
//!   description. Each gives its routes as a router; [`app`] nests them (`/api`, `/ops`,
//!   `/ops/api`) with their own layers.
//! - [`templates`]: every page drawn by askama templates that escape by default; [`html`]: the
//!   layout and the Japanese error pages; [`error`]: what failed, as JSON unless the router
//!   serves people ([`html::errors_as_pages`]).
//!
//! - Security: [`auth`] (operators' tokens and argon2 hashes), [`csrf`] (cross-site request
//!   checks and form tokens), [`limit`] (per-client request budgets on every route, one layer),
//!   [`login_limit`] (failed logins, reserved before the check), [`views`] (one counted article
//!   view per client), [`listen`] (header read timeout, connection caps), [`widget`] (CORS
//!   for the pages embedding `/widget.js`, and the script); request size, URL
//!   length and time limits and the security headers are set here.
//!
//! [`app`] builds the router; tests call it with `tower::ServiceExt::oneshot` without binding a
//! port. [`run`] serves it until Ctrl-C or SIGTERM (after `shutdown_drain_ms`, during which
//! `/readyz` says 503), with each connection's peer address (for the per-client limits).
//! `/healthz` is liveness (with the index's source hash), `/readyz` readiness.

pub mod api;
pub mod assets;
pub mod auth;
pub mod client;
pub mod config;
pub mod csrf;
pub mod error;
pub mod events;
pub mod gzip;
pub mod html;
pub mod limit;
pub mod listen;
pub mod login_limit;
pub mod media;
pub mod openapi;
pub mod recorder;
pub mod ops;
pub mod pages;
pub mod paging;
pub mod reload;
pub mod session;
pub mod state;
pub mod templates;
pub mod throttle;
pub mod views;
pub mod widget;

use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kotae_core::{Analyzer, IndexRoot, Snapshot};
use serde_json::json;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;
pub use state::AppState;

/// The longest URL accepted (path and query).
pub const MAX_URI_BYTES: usize = 4096;

/// How a router answers errors: JSON (what [`error::AppError`] gives), or Japanese pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Errors {
    Json,
    Pages,
}

/// The layers every router has, from the inside out: the same-origin check of state-changing
/// requests ([`csrf::same_origin`]), the per-client budget ([`throttle::per_client`]), the time
/// limit, `Cache-Control` when the route set none, and how errors are answered. Errors of the
/// inner layers are answered like the handlers' ones.
fn layered(router: Router<AppState>, state: &AppState, cache: &'static str, errors: Errors) -> Router<AppState> {
    let router = router
        .layer(middleware::from_fn_with_state(state.clone(), csrf::same_origin))
        .layer(middleware::from_fn_with_state(state.clone(), throttle::per_client))
        .layer(middleware::from_fn_with_state(state.clone(), limit_time))
        .layer(html::cache(cache));
    match errors {
        Errors::Json => router,
        Errors::Pages => router.layer(middleware::from_fn_with_state(state.clone(), html::errors_as_pages)),
    }
}

/// The whole service: the help page, the JSON API (`/api`), the console (`/ops`) and its API
/// (`/ops/api`), each router with its own layers: the same-origin check, the per-client
/// budget, the time limit, `Cache-Control`, and its error format (JSON for the APIs, Japanese
/// pages for people, [`html::errors_as_pages`]); authentication on the console's routes.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    let ops = layered(ops::pages(&state), &state, "no-store", Errors::Pages)
        .merge(layered(ops::downloads(&state), &state, "no-store", Errors::Json))
        .nest("/api", layered(ops::api(&state), &state, "no-store", Errors::Json));
    // Layers run from the last added (outermost) to the first: every response, the 413 and
    // 414 ones included, gets the security headers.
    let public = pages::router()
        .route("/assets/{name}", get(assets::serve))
        .route("/widget.js", get(widget::serve))
        .route("/media/{name}", get(media::public))
        .route("/healthz", get(health))
        .route("/readyz", get(ready).layer(html::cache("no-store")));
    // Pages embedding the widget (`widget_origins`) may read the public API; nothing else.
    let api = layered(api::router(), &state, "no-cache", Errors::Json)
        .layer(middleware::from_fn_with_state(state.clone(), widget::cors));
    layered(public, &state, "public, max-age=60", Errors::Pages)
        .nest("/api", api)
        .nest("/ops", ops)
        .layer(middleware::from_fn(limit_uri))
        .layer(RequestBodyLimitLayer::new(body_limit))
        // The security headers, then gzip for complete bodies ([`gzip`]).
        .layer(middleware::from_fn_with_state(media::csp(&state.config.image_hosts), headers))
        // The fastest deflate level: at the default level gzip was a third of the service's CPU
        // under load, for responses a few percent smaller.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Liveness, for load balancers and monitors: cheap, never asks the events store. The source
/// hash tells whether replicas serve an index of the same content.
async fn health(State(state): State<AppState>) -> Response {
    let snapshot = state.snapshot();
    axum::Json(json!({
        "status": "ok",
        "generation": snapshot.generation.file_name().and_then(|n| n.to_str()),
        "source_hash": snapshot.source_hash,
        // Public pages only: the health check is public.
        "pages": snapshot.corpus.public_pages(),
        "documents": snapshot.public.num_docs(),
        // The events writer: stored, lost (queue full, or a full SQLite disk) and waiting
        // (grows while PostgreSQL is down). Absent when nothing is recorded.
        "events": state.events.writer_stats().map(|w| json!({ "written": w.written(), "dropped": w.dropped(), "queued": w.queued() })),
    }))
    .into_response()
}

/// How long readiness waits for the events store.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Readiness: 200 when this replica should get traffic; 503 while it is draining (stopping) or
/// cannot reach the events store. An index generation is always open here: the service only
/// listens once one is.
async fn ready(State(state): State<AppState>) -> Response {
    let mut reasons: Vec<String> = Vec::new();
    if state.draining() {
        reasons.push("draining: the service is stopping".into());
    }
    match tokio::time::timeout(READY_TIMEOUT, state.events.blocking(|store| store.ping())).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = ?e, "readiness: the events store is not reachable");
            reasons.push("the events store is not reachable".into());
        }
        Err(_) => reasons.push("the events store did not answer within 2 s".into()),
    }
    let snapshot = state.snapshot();
    let status = if reasons.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if reasons.is_empty() { "ready" } else { "not ready" },
        "reasons": reasons,
        "generation": snapshot.generation.file_name().and_then(|n| n.to_str()),
        "source_hash": snapshot.source_hash,
    });
    (status, axum::Json(body)).into_response()
}

/// Refuse overlong URLs before any handler parses them (JSON: no router has been chosen).
async fn limit_uri(request: Request, next: Next) -> Response {
    let len = request.uri().path().len() + request.uri().query().map_or(0, str::len);
    if len > MAX_URI_BYTES {
        return error::AppError::UriTooLong(MAX_URI_BYTES).into_response();
    }
    next.run(request).await
}

/// Answer 503 when a request takes longer than `request_timeout_ms`; the handler is dropped.
async fn limit_time(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = Duration::from_millis(state.config.request_timeout_ms);
    // For the log line of a timeout (a `Uri` clone shares its bytes: no copy per request).
    let uri = request.extensions().get::<axum::extract::OriginalUri>().map_or_else(|| request.uri().clone(), |u| u.0.clone());
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(path = uri.path(), timeout_ms = state.config.request_timeout_ms, "request timed out");
            error::AppError::Timeout.into_response()
        }
    }
}

/// Security headers on every response (and `Cache-Control: no-store` on what no router
/// answered, like a 413 or 414).
/// The CSP is built once from the config ([`media::csp`]).
/// Then what the compression layer around it would gzip, when the body is complete, with a
/// deflate state kept per thread (the layer makes a new one per response): the same bytes
/// ([`gzip::finish`]; one layer for both, as each layer costs a boxed service clone and a boxed
/// future per request).
async fn headers(State(csp): State<HeaderValue>, request: Request, next: Next) -> Response {
    let gzip = gzip::prefers_gzip(request.headers());
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: header::HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(csp);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::CACHE_CONTROL, "no-store");
    gzip::finish(gzip, response).await
}

/// Open the served index, start reloading, and serve on `config.addr` until Ctrl-C or
/// SIGTERM; requests in flight are finished before returning.
pub async fn run(config: Config, analyzer: Analyzer) -> anyhow::Result<()> {
    config.validate()?;
    let root = IndexRoot::new(&config.index);
    let snapshot = {
        let analyzer = analyzer.clone();
        tokio::task::spawn_blocking(move || Snapshot::open(&root, &analyzer)).await??
    };
    let listener = tokio::net::TcpListener::bind(&config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let interval = Duration::from_millis(config.reload_interval_ms.max(50));
    tracing::info!(
        addr = %listener.local_addr()?,
        generation = %snapshot.generation.display(),
        pages = snapshot.corpus.pages.len(),
        "serving the help center at http://{}/ (console at /ops)",
        listener.local_addr()?
    );
    let events = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || events::Events::open(&config)).await??
    };
    let events_target = events.store().map(|s| s.describe()).unwrap_or_default();
    tracing::info!(events = %events_target, retention_days = config.retention_days, "recording events");
    let drain = Duration::from_millis(config.shutdown_drain_ms);
    let state = AppState::with_events(config, analyzer, snapshot, events);
    let reloader = reload::spawn(state.clone(), interval);
    let retention = events::spawn_retention(state.clone());
    let learning = events::spawn_learning(state.clone());
    serve(listener, state.clone(), drained(state.clone(), drain)).await?;
    reloader.abort();
    retention.abort();
    learning.abort();
    let flushing = state.clone();
    let _ = tokio::task::spawn_blocking(move || flushing.events.flush()).await;
    tracing::info!("stopped");
    Ok(())
}

/// Serve [`app`] on `listener` until `shutdown` completes, finishing the requests in flight,
/// within the connection limits of the settings ([`listen`]). Handlers see each connection's
/// peer address (`ConnectInfo<SocketAddr>`), which the per-client limits ([`limit`]) count by.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = listen::ConnectionLimits::from_config(&state.config);
    listen::serve(listener, app(state), limits, shutdown).await
}

/// Completes when the service should stop: at Ctrl-C or SIGTERM readiness turns 503, and
/// requests are still served for `drain` (a second signal cuts it short).
async fn drained(state: AppState, drain: Duration) {
    shutdown_signal().await;
    state.start_draining();
    if drain.is_zero() {
        return;
    }
    tracing::info!(drain_ms = drain.as_millis() as u64, "stopping: /readyz answers 503; still serving during the drain");
    tokio::select! {
        _ = tokio::time::sleep(drain) => {},
        _ = shutdown_signal() => tracing::info!("second signal: stopping now"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
