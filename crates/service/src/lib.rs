//! Services shared by the CLI and the web server: ingest of every format an agency exports
//! (interchange JSON Lines, CSV, XLSX), inspection into the store, re-inspection with a new
//! rule-pack version, and the demo data set.
//!
//! The functions here are `async` because the store is; inspection itself is CPU work that
//! runs inline (a server calls them from a blocking-friendly task).

pub mod demo;
pub mod ingest;
pub mod reinspect;
pub mod source;
pub mod tabular;

use zhijian_store::StoreError;

/// Errors of the service layer. User errors (bad input the user can fix) and internal errors
/// (the store failed) are distinct and carry stable codes.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The store failed: internal, see its code.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An output file (rejects, demo data) could not be written.
    #[error("cannot write {path}: {message}")]
    Output { path: String, message: String },
    /// Bad input from the user (an argument, a filter).
    #[error("{0}")]
    Input(String),
}

impl ServiceError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Store(e) => e.code(),
            ServiceError::Output { .. } => "output.unwritable",
            ServiceError::Input(_) => "input.invalid_argument",
        }
    }

    /// Whether the user can fix it (as opposed to an internal failure).
    pub fn is_user_error(&self) -> bool {
        matches!(self, ServiceError::Output { .. } | ServiceError::Input(_))
    }
}
