//! What can go wrong in the core, as typed errors.

use std::path::PathBuf;

/// Errors of the core library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Japanese dictionary could not be found, compiled or loaded.
    #[error("dictionary: {message}")]
    Dictionary { message: String },
    /// A file or folder could not be read or written. The I/O error is part of the message,
    /// not a `source`, so that printing the chain does not repeat it.
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
    /// There is no index to search yet.
    #[error("no index at {}: build one with `kotae index`", .0.display())]
    NoIndex(PathBuf),
    /// The index was written by a version of Kotae whose index format differs.
    #[error("index at {}: written by another version of kotae; rebuild it with `kotae index`", .0.display())]
    OtherFormat(PathBuf),
    /// The index exists but cannot be opened or read.
    #[error("index at {}: {message}", path.display())]
    BadIndex { path: PathBuf, message: String },
    /// An input file (queries, judgments, records) is malformed; the message names the place.
    #[error("{0}")]
    BadInput(String),
    /// An error from tantivy while writing or searching.
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// Result with the core [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), error: source }
    }
}
