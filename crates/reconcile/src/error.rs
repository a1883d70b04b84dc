//! The errors a caller of the reconciliation can cause: settings that cannot work.
//! Problems with individual records never fail a run; they become unmatched receipts
//! with a reason.

/// Why a reconciliation could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// A setting is out of its range.
    #[error("reconcile setting `{field}` is {value}: {fix}")]
    BadSetting {
        /// The setting's name as written in the `[reconcile]` table.
        field: String,
        /// The value given.
        value: String,
        /// What to write instead.
        fix: &'static str,
    },
}

/// Result with [`ReconcileError`].
pub type Result<T, E = ReconcileError> = std::result::Result<T, E>;
