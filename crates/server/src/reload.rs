//! How does a running service pick up a new index, and what does it do about a damaged one?
//!
//! - **New generations** ([`check`]): the service polls `index/CURRENT`; when another
//!   generation is named, it opens it off the request path (verifying every file's checksum)
//!   and swaps it in atomically. Requests in flight finish on the snapshot they started with. A
//!   generation that cannot be opened is logged once with the reason (naming the damaged
//!   files), marked `REFUSED`, and skipped: the one being served keeps serving.
//! - **At start** ([`recover_at_start`]): when the generation `CURRENT` names is damaged, the
//!   newest older generation that opens is published again in its place (a roll-back, under
//!   the build lock), loudly logged; when none opens, `kotae serve` rebuilds from the content.
//! - **While serving** ([`watch_served`]): the served generation's files are memory-mapped, so
//!   a file truncated or rewritten in place kills the service (`SIGBUS`) when a query reaches
//!   the missing pages. Each poll compares the files' sizes with what they were when the
//!   generation was first seen; a file changed in place is logged, and the service switches
//!   to the previous generation if one opens.

use std::path::PathBuf;
use std::time::Duration;

use kotae_core::index::verify::{self, FileState};
use kotae_core::{Analyzer, IndexRoot, Snapshot};

use crate::state::AppState;

/// Check for a new generation, and for changes to the served one, every `interval` until the
/// process ends.
pub fn spawn(state: AppState, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut failed: Option<String> = None;
        let mut watch = Watch::default();
        loop {
            tokio::time::sleep(interval).await;
            check(&state, &mut failed).await;
            watch_served(&state, &mut watch).await;
        }
    })
}

/// One check; returns whether a new generation was swapped in. `failed` remembers the last
/// refusal (a generation's name, or an unreadable `CURRENT`'s error), so it is logged once.
pub async fn check(state: &AppState, failed: &mut Option<String>) -> bool {
    let name = match state.index_root.current_name() {
        Ok(Some(name)) => name,
        Ok(None) => return false,
        Err(e) => {
            let message = e.to_string();
            if failed.as_deref() != Some(message.as_str()) {
                tracing::warn!(error = %message, "cannot read the index pointer; keeping the current index");
                *failed = Some(message);
            }
            return false;
        }
    };
    let serving = state.snapshot();
    if serving.generation.file_name().and_then(|n| n.to_str()) == Some(name.as_str()) || failed.as_deref() == Some(name.as_str()) {
        return false;
    }
    let dir = state.index_root.path.join(&name);
    let analyzer = state.analyzer.clone();
    let opened = tokio::task::spawn_blocking(move || open_or_refuse(dir, &analyzer)).await;
    match opened {
        Ok(Ok(snapshot)) => {
            tracing::info!(
                generation = %name,
                pages = snapshot.corpus.pages.len(),
                "serving a new index (every file's checksum verified)"
            );
            state.swap(snapshot);
            *failed = None;
            true
        }
        Ok(Err(e)) => {
            tracing::error!(generation = %name, error = %e, "the new index is refused; keeping the current one");
            *failed = Some(name);
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "reload task failed");
            false
        }
    }
}

/// Open `generation`; if it is damaged, mark it `REFUSED` (with the reason) before returning
/// the error, so that it is never chosen as a fallback and the next build deletes it.
fn open_or_refuse(generation: PathBuf, analyzer: &Analyzer) -> kotae_core::Result<Snapshot> {
    Snapshot::open_generation(generation.clone(), analyzer).inspect_err(|e| {
        if !matches!(e, kotae_core::Error::OtherFormat(_)) {
            IndexRoot::mark_refused(&generation, &e.to_string());
        }
    })
}

/// What `kotae serve` found in the index folder at start.
#[derive(Debug)]
pub enum AtStart {
    /// `CURRENT` names a generation that opens, every checksum verified.
    Ready(PathBuf),
    /// There is no index yet.
    Missing,
    /// The index was written by another version of kotae.
    OtherFormat,
    /// `CURRENT`'s generation was damaged; `CURRENT` now names `serving`, an older one that
    /// opens.
    RolledBack { refused: Option<String>, error: String, serving: PathBuf },
    /// `CURRENT`'s generation is damaged (or `CURRENT` itself is) and no older generation
    /// opens: the index must be rebuilt from the content.
    Damaged(kotae_core::Error),
}

/// Open the generation `CURRENT` names, and roll back to the newest older one that opens if it
/// is damaged (see [`AtStart`]). Everything found damaged is logged as an error and marked
/// `REFUSED`.
pub fn recover_at_start(root: &IndexRoot, analyzer: &Analyzer) -> AtStart {
    let index = root.path.display().to_string();
    // Again if a build publishes something else while this runs.
    let mut attempts = 0;
    'attempt: loop {
        attempts += 1;
        let (named, error) = match root.current_name() {
            Ok(None) => return AtStart::Missing,
            Ok(Some(name)) => match open_or_refuse(root.path.join(&name), analyzer) {
                Ok(snapshot) => return AtStart::Ready(snapshot.generation),
                Err(kotae_core::Error::OtherFormat(_)) => return AtStart::OtherFormat,
                Err(e) => (Some(name), e),
            },
            Err(e) => (None, e),
        };
        let shown = named.as_deref().unwrap_or("(CURRENT is unreadable)");
        tracing::error!(%index, generation = shown, error = %error, "the index to serve is damaged and refused; looking for the previous generation");
        if attempts > 3 {
            return AtStart::Damaged(error);
        }
        let candidates = root.fallbacks(named.as_deref()).unwrap_or_default();
        for candidate in candidates {
            if let Err(e) = open_or_refuse(candidate.clone(), analyzer) {
                tracing::error!(%index, generation = %candidate.display(), error = %e, "the previous generation is refused too");
                continue;
            }
            match root.roll_back(named.as_deref(), &candidate) {
                Ok(true) => {
                    tracing::error!(
                        %index,
                        refused = shown,
                        serving = %candidate.display(),
                        "ROLLED BACK: serving the previous generation instead of the damaged one \
                         (CURRENT names it now); its content may be older: publish a new \
                         generation with `kotae index`"
                    );
                    return AtStart::RolledBack { refused: named, error: error.to_string(), serving: candidate };
                }
                Ok(false) => continue 'attempt,
                Err(e) => {
                    tracing::error!(%index, error = %e, "cannot switch CURRENT to the previous generation");
                    return AtStart::Damaged(error);
                }
            }
        }
        return AtStart::Damaged(error);
    }
}

/// What [`watch_served`] knows of the served generation's files.
#[derive(Debug, Default)]
pub struct Watch {
    generation: Option<PathBuf>,
    files: Vec<FileState>,
    /// A change was logged already (and nothing could be done about it).
    reported: bool,
}

/// Compare the served generation's files with what they were when it was first seen. A file
/// resized in place is logged as an error and the service switches to the newest older
/// generation that opens (the served one is marked `REFUSED`); returns whether it switched.
/// Files deleted or replaced by a rename are harmless to the open generation: a warning.
pub async fn watch_served(state: &AppState, watch: &mut Watch) -> bool {
    let generation = state.snapshot().generation.clone();
    if watch.generation.as_ref() != Some(&generation) {
        let dir = generation.clone();
        watch.files = tokio::task::spawn_blocking(move || verify::sizes(&dir)).await.unwrap_or_default();
        watch.generation = Some(generation);
        watch.reported = false;
        return false;
    }
    let (dir, before) = (generation.clone(), watch.files.clone());
    let Ok(changes) = tokio::task::spawn_blocking(move || verify::changed(&before, &verify::sizes(&dir))).await else {
        return false;
    };
    if changes.is_empty() || watch.reported {
        return false;
    }
    let list = |paths: &[PathBuf]| paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    if changes.resized.is_empty() {
        tracing::warn!(
            generation = %generation.display(),
            files = %list(&changes.replaced),
            "files of the served index were deleted or replaced on disk; the service keeps the \
             ones it opened, but a restart would not find the same index: publish generations \
             with `kotae index` instead"
        );
        watch.reported = true;
        return false;
    }
    let resized = list(&changes.resized);
    tracing::error!(
        generation = %generation.display(),
        files = %resized,
        "files of the served index were changed in place (truncated or rewritten): a query \
         reading them can kill the service (SIGBUS); switching to the previous generation"
    );
    let name = generation.file_name().and_then(|n| n.to_str()).map(str::to_string);
    let (root, analyzer, refused) = (state.index_root.clone(), state.analyzer.clone(), generation.clone());
    let why = format!("files changed in place while served: {resized}");
    let fallback = tokio::task::spawn_blocking(move || {
        IndexRoot::mark_refused(&refused, &why);
        for candidate in root.fallbacks(name.as_deref()).unwrap_or_default() {
            match open_or_refuse(candidate.clone(), &analyzer) {
                Ok(snapshot) => return Some(snapshot),
                Err(e) => tracing::error!(generation = %candidate.display(), error = %e, "the previous generation is refused too"),
            }
        }
        None
    })
    .await;
    match fallback {
        Ok(Some(snapshot)) => {
            tracing::error!(
                refused = %generation.display(),
                serving = %snapshot.generation.display(),
                "serving the previous generation; publish a new one with `kotae index`"
            );
            state.swap(snapshot);
            true
        }
        _ => {
            tracing::error!(
                generation = %generation.display(),
                "no previous generation opens: still serving the changed one; run `kotae index` \
                 to publish a new generation (the service switches to it)"
            );
            watch.reported = true;
            false
        }
    }
}
