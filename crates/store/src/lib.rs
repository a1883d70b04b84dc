//! The arsync store: every record the connections delivered (newest source version only,
//! voids and deletions kept as tombstones), the per-stream cursors, the statement files
//! already imported, the outbox of writes to the books, the hash-chained audit log, and a
//! small table of JSON documents for the later stages.
//!
//! The [`Store`] trait is the interface; [`SqliteStore`] is the embedded default (one file,
//! WAL, `synchronous=FULL`, every write in `BEGIN IMMEDIATE`). PostgreSQL will implement
//! the same trait with the same tables. This crate depends on the model only; it must not
//! depend on plugins, the runtime, the agent or the CLI.
//!
//! # Use
//! ```
//! use arsync_store::{Record, SqliteStore, Store, Which};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let store = SqliteStore::open_url("sqlite::memory:").await?;
//! let records: Vec<Record> = Vec::new(); // one page from a connector
//! let outcome = store
//!     .apply_page("books", "invoices", records, Some("startposition=101".into()))
//!     .await?;
//! assert_eq!(outcome.cursor.as_deref(), Some("startposition=101"));
//! assert_eq!(store.cursor("books", "invoices").await?, outcome.cursor);
//! let open = store.invoices(Some("books"), Which::Open).await?;
//! assert!(open.is_empty());
//! # Ok::<(), arsync_store::StoreError>(())
//! # }).unwrap();
//! ```
//!
//! # Guarantees
//! - A page of records, its deletions, its statement file mark and its stream's cursor are
//!   written in one transaction ([`Store::apply`]): after a crash at most one page is read
//!   again, and a cursor never advances past records that were not stored.
//! - Newest source version wins: versions compare numerically when both are integers
//!   (QuickBooks SyncTokens) and as text otherwise; an older or equal version is reported
//!   as [`Change::Stale`] or [`Change::Unchanged`] and ignored.
//! - Money is stored exactly: amounts are decimal text inside the JSON record and in the
//!   indexed columns; no column is REAL.
//! - An outbox item's idempotency key is unique: enqueuing twice never makes two rows.
//! - The audit log is append-only (triggers refuse UPDATE and DELETE) and each row carries
//!   the hash of the previous one; [`Store::verify`] finds a changed, removed or truncated
//!   row even when the triggers were dropped.
//! - Opening refuses, before writing anything, a damaged file, an SQLite file some other
//!   program owns, and a store written by a newer schema (never migrated down).
//!
//! # Schema (version 1, `migrations/0001_initial.sql`)
//! | table | key | holds |
//! |---|---|---|
//! | `records` | connection, kind, external_id | source_version, payload_hash (the source payload's), record_hash (the stored JSON's), deleted (0/1), indexed columns status, currency, customer_id, doc_date, due_date, amount and open_amount (decimal text), data (the model record as JSON, NULL for a deletion never seen before), updated_at |
//! | `cursors` | connection, stream | cursor text, updated_at |
//! | `imported_files` | connection, sha256 | file name, imported_at |
//! | `outbox` | id; idempotency_key unique | connection, action, target, payload JSON, state (pending, in_flight, done, failed, dead), attempts, last_error, result JSON, created_at, updated_at |
//! | `audit_log` | seq (1, 2, … without gaps) | at, kind, subject, detail (canonical JSON), prev_hash, hash |
//! | `audit_head` | id = 1 | seq and hash of the last audit row |
//! | `documents` | namespace, key | value JSON, updated_at |
//!
//! The applied schema versions live in sqlx's `_sqlx_migrations` table. Instants are
//! RFC 3339 UTC text with microseconds; civil dates are `YYYY-MM-DD`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod audit;
mod batch;
mod error;
mod outbox;
mod record;
mod sqlite;

pub use audit::{
    AuditBreak, AuditCheck, AuditEntry, BreakReason, GENESIS_HASH, canonical_json, chain_hash,
};
pub use batch::{OutboxChange, Write, Written};
pub use error::{Result, StoreError};
pub use outbox::{OutboxEntry, OutboxItem, OutboxState};
pub use record::{
    Change, Deletion, ImportedFile, Page, PageOutcome, Record, RecordChange, compare_versions,
};
pub use sqlite::{SqliteStore, schema_version};

use arsync_model::{BankEntry, CreditNote, FxRate, Invoice, Party, Payment, RecordKind};
use serde_json::Value;
use std::future::Future;

/// Which documents a loader returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Which {
    /// Every stored document, tombstones included (their status says void or deleted).
    All,
    /// Only documents still open (receivable invoices, credit notes with credit left).
    Open,
}

/// A record as stored, with the bookkeeping around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Connection that delivered it.
    pub connection: String,
    /// Kind of record.
    pub kind: RecordKind,
    /// Its key in the source.
    pub external_id: String,
    /// The newest source version seen.
    pub source_version: Option<String>,
    /// Hash of the source payload, when the connection gave one.
    pub payload_hash: Option<String>,
    /// Whether it is a tombstone (voided or deleted in the source).
    pub deleted: bool,
    /// The record; `None` for a deletion of a record never seen before.
    pub record: Option<Record>,
    /// When it was last written (RFC 3339, UTC).
    pub updated_at: String,
}

/// The store interface. Every write is one transaction; every method is safe to call
/// from several tasks at once.
pub trait Store: Send + Sync {
    /// Writes a page in one transaction: upserts its records (newest version wins),
    /// turns its deletions into tombstones, marks its statement file as imported and
    /// advances its stream's cursor, or, on any error, none of it. A page whose file was
    /// imported before writes nothing and says so in the outcome.
    fn apply(&self, page: &Page) -> impl Future<Output = Result<PageOutcome>> + Send;

    /// [`Store::apply`] for a page of records and the cursor that follows them.
    fn apply_page(
        &self,
        connection: &str,
        stream: &str,
        records: Vec<Record>,
        next_cursor: Option<String>,
    ) -> impl Future<Output = Result<PageOutcome>> + Send {
        let page = Page::new(connection, stream, records, next_cursor);
        async move { self.apply(&page).await }
    }

    /// Writes a tombstone for a record deleted in the source. A deletion older than the
    /// stored version is ignored ([`Change::Stale`]).
    fn delete(
        &self,
        connection: &str,
        kind: RecordKind,
        external_id: &str,
        source_version: Option<&str>,
    ) -> impl Future<Output = Result<Change>> + Send;

    /// The cursor a stream resumes from.
    fn cursor(
        &self,
        connection: &str,
        stream: &str,
    ) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Forgets a stream's cursor so the next sync reads it from the start. Returns whether
    /// there was one.
    fn reset_cursor(
        &self,
        connection: &str,
        stream: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Whether a statement file with this SHA-256 was imported on this connection.
    fn file_seen(
        &self,
        connection: &str,
        sha256: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Marks a file as imported outside a page. Returns whether it was new.
    fn mark_file(
        &self,
        connection: &str,
        file: &ImportedFile,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// One stored record, tombstones included.
    fn get(
        &self,
        connection: &str,
        kind: RecordKind,
        external_id: &str,
    ) -> impl Future<Output = Result<Option<StoredRecord>>> + Send;

    /// Customers not deleted, of one connection or all.
    fn parties(&self, connection: Option<&str>) -> impl Future<Output = Result<Vec<Party>>> + Send;

    /// Invoices, ordered by due date.
    fn invoices(
        &self,
        connection: Option<&str>,
        which: Which,
    ) -> impl Future<Output = Result<Vec<Invoice>>> + Send;

    /// Credit notes, ordered by issue date.
    fn credit_notes(
        &self,
        connection: Option<&str>,
        which: Which,
    ) -> impl Future<Output = Result<Vec<CreditNote>>> + Send;

    /// Payments recorded in the books, voided ones included (their status says so).
    fn payments(
        &self,
        connection: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Payment>>> + Send;

    /// Bank entries not deleted, ordered by date.
    fn bank_entries(
        &self,
        connection: Option<&str>,
    ) -> impl Future<Output = Result<Vec<BankEntry>>> + Send;

    /// Exchange rates, ordered by date.
    fn fx_rates(
        &self,
        connection: Option<&str>,
    ) -> impl Future<Output = Result<Vec<FxRate>>> + Send;

    /// Adds a write to the outbox. Returns `false`, and changes nothing, when an item with
    /// the same idempotency key exists.
    fn enqueue(&self, item: &OutboxItem) -> impl Future<Output = Result<bool>> + Send;

    /// Items ready to send (pending, or failed and due for a retry), oldest first.
    fn pending(
        &self,
        connection: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<OutboxEntry>>> + Send;

    /// Puts items left in flight by a crash back to pending, so they are sent again with
    /// the same idempotency key. Returns how many.
    fn requeue_in_flight(&self, connection: &str) -> impl Future<Output = Result<u64>> + Send;

    /// Every outbox item of a connection, optionally only those in one state, oldest first.
    fn outbox_entries(
        &self,
        connection: &str,
        state: Option<OutboxState>,
    ) -> impl Future<Output = Result<Vec<OutboxEntry>>> + Send;

    /// One outbox item by its key.
    fn outbox_item(
        &self,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Option<OutboxEntry>>> + Send;

    /// Pending or failed → in flight, counting an attempt.
    fn mark_in_flight(
        &self,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<OutboxEntry>> + Send;

    /// In flight → done, keeping what the books answered.
    fn mark_done(
        &self,
        idempotency_key: &str,
        result: Option<&Value>,
    ) -> impl Future<Output = Result<OutboxEntry>> + Send;

    /// In flight → failed, keeping the error for the next attempt.
    fn mark_failed(
        &self,
        idempotency_key: &str,
        error: &str,
    ) -> impl Future<Output = Result<OutboxEntry>> + Send;

    /// Pending, in flight or failed → dead: given up, for a person to look at.
    fn mark_dead(
        &self,
        idempotency_key: &str,
        error: &str,
    ) -> impl Future<Output = Result<OutboxEntry>> + Send;

    /// Appends a row to the audit log and returns its sequence number.
    fn append(
        &self,
        kind: &str,
        subject: &str,
        detail: &Value,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Audit rows after `after_seq`, at most `limit`, in order (for reports).
    fn audit_entries(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;

    /// Checks the whole audit chain and reports the first break.
    fn verify(&self) -> impl Future<Output = Result<AuditCheck>> + Send;

    /// Writes the audit log as JSON lines, one [`AuditEntry`] per line. Returns the number
    /// of rows written.
    fn export_jsonl<W: std::io::Write + Send>(
        &self,
        out: &mut W,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Stores a JSON document under a namespace and key, replacing any previous one.
    fn put_doc(
        &self,
        namespace: &str,
        key: &str,
        value: &Value,
    ) -> impl Future<Output = Result<()>> + Send;

    /// One document.
    fn get_doc(
        &self,
        namespace: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<Value>>> + Send;

    /// Every document of a namespace, ordered by key.
    fn docs(&self, namespace: &str) -> impl Future<Output = Result<Vec<(String, Value)>>> + Send;

    /// Removes a document. Returns whether it existed.
    fn delete_doc(&self, namespace: &str, key: &str) -> impl Future<Output = Result<bool>> + Send;

    /// Applies writes that belong together (an outbox change and its audit row, a
    /// decision document and its audit row) in one transaction: all of them or, on the
    /// first error, none. Returns what each did, in order.
    fn write_all(&self, batch: &[Write]) -> impl Future<Output = Result<Vec<Written>>> + Send;
}
