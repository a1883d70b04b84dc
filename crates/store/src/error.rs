//! Why a store operation failed, in words an operator can act on.

use std::path::PathBuf;

/// The result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why a store operation failed. Every variant an operator can cause names the store file
/// or the record concerned and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store URL is not one this build can open.
    #[error(
        "store url '{url}' cannot be used: {reason}; expected sqlite://path/to/state.db or sqlite::memory:"
    )]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The directory for a new store could not be created.
    #[error(
        "cannot create the directory {path} for the store: {source}; check the [store] url and the permissions of its parent"
    )]
    CreateDir {
        /// Directory that could not be created.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The store file is not a readable SQLite database, or fails its integrity check.
    #[error(
        "the store {path} is damaged: {detail}. Nothing was written to it; restore it from a backup, or move it aside so that arsync creates a new store and syncs again"
    )]
    Damaged {
        /// The store file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// The store was written by a newer arsync whose schema this build does not know.
    #[error(
        "the store {path} was written by a newer arsync (schema version {found}; this arsync knows versions up to {known}). It was not changed; upgrade arsync to open it"
    )]
    NewerSchema {
        /// The store file.
        path: PathBuf,
        /// The highest schema version recorded in the file.
        found: i64,
        /// The highest schema version this build knows.
        known: i64,
    },
    /// The file is an SQLite database that some other program owns.
    #[error(
        "{path} is an SQLite database but not an arsync store (it holds the tables {tables}). It was not changed; point the [store] url at a new file"
    )]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// The tables found in it.
        tables: String,
    },
    /// A schema migration failed; the transaction was rolled back.
    #[error(
        "migrating the store {path} failed: {source}; the store was left at its previous schema"
    )]
    Migrate {
        /// The store file.
        path: PathBuf,
        /// What the migrator reported.
        source: sqlx::migrate::MigrateError,
    },
    /// A record handed to the store does not fit the page or stream it came with.
    #[error("{record}: {reason}")]
    InvalidRecord {
        /// The record ("invoice INV-1001 (books:130)").
        record: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// An outbox item was asked to move to a state its current state does not allow.
    #[error(
        "outbox item '{key}' is {from} and cannot become {to}; only pending or failed items are sent, and only in-flight items are settled"
    )]
    OutboxTransition {
        /// The idempotency key.
        key: String,
        /// Current state.
        from: String,
        /// Requested state.
        to: &'static str,
    },
    /// No outbox item has that idempotency key.
    #[error("no outbox item has the idempotency key '{key}'; enqueue it first")]
    OutboxMissing {
        /// The key asked for.
        key: String,
    },
    /// A value read back from the store could not be decoded; the row was changed outside
    /// arsync or by an incompatible build.
    #[error("the stored {what} cannot be read: {detail}")]
    Decode {
        /// Which row and column.
        what: String,
        /// Why.
        detail: String,
    },
    /// Writing an export failed.
    #[error("writing the {what} failed: {source}")]
    Write {
        /// What was being written.
        what: &'static str,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The store path names a directory.
    #[error("the store path {path} is a directory; name a file inside it, e.g. {path}/state.db")]
    IsDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The store file could not be opened, locked or written.
    #[error(
        "the store {path} failed while {action}: {source}; check that the file and its directory are readable and writable and that no other program holds the store locked"
    )]
    File {
        /// The store file.
        path: PathBuf,
        /// What the store was doing.
        action: &'static str,
        /// The database's error.
        source: sqlx::Error,
    },
    /// The database reported an error.
    #[error("store error while {action}: {source}")]
    Sql {
        /// What the store was doing.
        action: &'static str,
        /// The database's error.
        source: sqlx::Error,
    },
}

/// Wraps a database error with what the store was doing.
pub(crate) fn sql(action: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Sql { action, source }
}
