//! The layer of every router that charges each request to its client's budget
//! ([`crate::limit`]): over the budget, 429 with `Retry-After`.

use axum::extract::{OriginalUri, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client::{Client, client_ip};
use crate::error::AppError;
use crate::limit::classify;
use crate::state::AppState;

/// The layer of every router: note the client, charge the request to its class's budget.
pub async fn per_client(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let client = client_ip(&state.config, request.headers(), request.extensions());
    let Some(ip) = client else { return next.run(request).await };
    request.extensions_mut().insert(Client(ip));
    // The whole path, as the client sent it: nested routers see theirs without its prefix.
    let path = match request.extensions().get::<OriginalUri>() {
        Some(OriginalUri(uri)) => uri.path(),
        None => request.uri().path(),
    };
    let class = classify(request.method(), path);
    if let Some(budget) = state.limits.budget(class)
        && let Err(wait) = budget.check(ip)
    {
        tracing::debug!(client = %ip, path, ?class, "rate limited");
        return AppError::RateLimited(wait).into_response();
    }
    next.run(request).await
}
