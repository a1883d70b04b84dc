//! The outbox: every write to the books is first a row here, keyed by an idempotency key
//! that also goes to the books, so a retry can never make two.
//!
//! States: `pending` → `in_flight` → `done`, or → `failed` (retried later, attempts and
//! last error kept) → … → `dead` (given up; needs a person). An item left `in_flight` by a
//! crash is sent again with the same key, which the books deduplicate.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// A write to the books, before it is attempted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    /// Deterministic key (connection, action, target, business version); sent to the
    /// books as Xero's `Idempotency-Key` or QuickBooks' `requestid`.
    pub idempotency_key: String,
    /// The connection to write to.
    pub connection: String,
    /// What to do ("push_status", "push_task", "push_payment").
    pub action: String,
    /// What it is done to ("invoice:130").
    pub target: String,
    /// The request for the plugin, as JSON.
    pub payload: Value,
}

/// Where an outbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be sent.
    Pending,
    /// Being sent; after a crash it is sent again with the same key.
    InFlight,
    /// Written to the books.
    Done,
    /// The last attempt failed; it will be retried.
    Failed,
    /// Given up; needs a person.
    Dead,
}

impl OutboxState {
    /// The name stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::InFlight => "in_flight",
            OutboxState::Done => "done",
            OutboxState::Failed => "failed",
            OutboxState::Dead => "dead",
        }
    }

    /// Parses a stored state name.
    pub fn parse(s: &str) -> Option<OutboxState> {
        [
            OutboxState::Pending,
            OutboxState::InFlight,
            OutboxState::Done,
            OutboxState::Failed,
            OutboxState::Dead,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }
}

impl fmt::Display for OutboxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An outbox row with its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The item as enqueued.
    pub item: OutboxItem,
    /// Current state.
    pub state: OutboxState,
    /// How many times sending was started.
    pub attempts: u32,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
    /// What the books answered on success (e.g. the id they gave the record).
    pub result: Option<Value>,
    /// When it was enqueued (RFC 3339, UTC).
    pub created_at: String,
    /// When its state last changed (RFC 3339, UTC).
    pub updated_at: String,
}
