//! The errors of the benchmark: a spec it cannot generate, files it cannot write or read
//! back, a reconciliation that refuses its settings.

use std::path::PathBuf;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The requested case cannot be generated.
    #[error("cannot generate the case: {0}")]
    Spec(String),
    /// A generated value broke a model invariant (a defect of the generator).
    #[error("the generator made an invalid record: {0}")]
    Generator(String),
    /// A case file could not be written or read.
    #[error("{path}: {source}; check that the folder exists and is writable")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A written case file did not read back as written.
    #[error("{path}: read back {detail}")]
    RoundTrip {
        /// The file.
        path: PathBuf,
        /// What differed.
        detail: String,
    },
    /// A truth file or a reconciliation export could not be read.
    #[error("{0}")]
    Export(String),
    /// The reconciliation refused its settings.
    #[error("reconciliation: {0}")]
    Reconcile(#[from] arsync_reconcile::ReconcileError),
}

/// Result with this crate's error.
pub type Result<T, E = BenchError> = std::result::Result<T, E>;
