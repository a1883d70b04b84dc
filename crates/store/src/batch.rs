//! Writes that belong together, applied in one transaction by [`crate::Store::write_all`]:
//! an outbox state change and the audit row that records it, a match decision kept as a
//! document and its audit row.

use crate::outbox::{OutboxEntry, OutboxItem};
use serde_json::Value;

/// One write of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Store a JSON document, replacing any previous one.
    PutDoc {
        /// Namespace ("reconcile.decisions").
        namespace: String,
        /// Key within the namespace.
        key: String,
        /// The document.
        value: Value,
    },
    /// Remove a document.
    DeleteDoc {
        /// Namespace.
        namespace: String,
        /// Key within the namespace.
        key: String,
    },
    /// Add an item to the outbox (nothing happens if its key exists).
    Enqueue(OutboxItem),
    /// Move an outbox item to another state.
    Outbox {
        /// The item's idempotency key.
        idempotency_key: String,
        /// The change.
        change: OutboxChange,
    },
    /// Append a row to the audit log.
    Audit {
        /// What happened.
        kind: String,
        /// What it happened to.
        subject: String,
        /// Details.
        detail: Value,
    },
}

/// A state change of an outbox item.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxChange {
    /// Pending or failed → in flight, counting an attempt.
    InFlight,
    /// In flight → done, with what the books answered.
    Done(Option<Value>),
    /// In flight → failed, with the error.
    Failed(String),
    /// Pending, in flight or failed → dead, with the reason.
    Dead(String),
}

/// What one write of a batch did, in the order of the batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// The document was stored.
    DocPut,
    /// Whether the document existed before it was removed.
    DocDeleted(bool),
    /// Whether the outbox item was new.
    Enqueued(bool),
    /// The outbox item after its change.
    Outbox(Box<OutboxEntry>),
    /// The sequence number of the audit row.
    Audited(u64),
}
