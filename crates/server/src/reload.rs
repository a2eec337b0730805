//! How does a running service pick up a new index? It polls `index/CURRENT`; when another
//! generation is named, it opens it off the request path and swaps it in atomically. Requests
//! in flight finish on the snapshot they started with. A generation that cannot be opened is
//! logged and skipped, and the old one keeps serving.

use std::time::Duration;

use kotae_core::Snapshot;

use crate::state::AppState;

/// Check for a new generation every `interval` until the process ends.
pub fn spawn(state: AppState, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut failed: Option<String> = None;
        loop {
            tokio::time::sleep(interval).await;
            check(&state, &mut failed).await;
        }
    })
}

/// One check; returns whether a new generation was swapped in.
pub async fn check(state: &AppState, failed: &mut Option<String>) -> bool {
    let name = match state.index_root.current_name() {
        Ok(Some(name)) => name,
        Ok(None) => return false,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the index pointer; keeping the current index");
            return false;
        }
    };
    let serving = state.snapshot();
    if serving.generation.file_name().and_then(|n| n.to_str()) == Some(name.as_str()) || failed.as_deref() == Some(name.as_str()) {
        return false;
    }
    let dir = state.index_root.path.join(&name);
    let analyzer = state.analyzer.clone();
    let opened = tokio::task::spawn_blocking(move || Snapshot::open_generation(dir, &analyzer)).await;
    match opened {
        Ok(Ok(snapshot)) => {
            tracing::info!(generation = %name, pages = snapshot.corpus.pages.len(), "serving a new index");
            state.swap(snapshot);
            *failed = None;
            true
        }
        Ok(Err(e)) => {
            tracing::warn!(generation = %name, error = %e, "the new index cannot be opened; keeping the current one");
            *failed = Some(name);
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "reload task failed");
            false
        }
    }
}
