//! Errors of reading feeds, and the per-record problems that do not stop a read.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a feed could not be read at all. A single bad record is not an error: it becomes a
/// [`FeedProblem`] and the rest of the feed is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedsError {
    /// The bytes are not the format the reader expects.
    #[error("{format}: {reason} at {position}; {hint}")]
    Format {
        /// Format expected ("ECB eurofxref XML", "CNB daily rates").
        format: &'static str,
        /// Where (line, byte, record).
        position: String,
        /// What was wrong.
        reason: String,
        /// How to fix it.
        hint: String,
    },
    /// A mapping names something the feed does not have, or is itself inconsistent.
    #[error(
        "mapping field `{field}`: {reason}; correct the feed's mapping in the connection settings"
    )]
    Mapping {
        /// The mapping's field.
        field: String,
        /// What was wrong.
        reason: String,
    },
}

/// A record of a feed that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedProblem {
    /// Where: "line 12", "record 3", "2025-05-09 XDR".
    pub position: String,
    /// The field concerned, as the feed names it.
    pub field: Option<String>,
    /// The offending value.
    pub value: String,
    /// What is wrong and what happens to the record.
    pub message: String,
}

impl fmt::Display for FeedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.position)?;
        if let Some(field) = &self.field {
            write!(f, ", field '{field}'")?;
        }
        write!(f, ": {}", self.message)?;
        if !self.value.is_empty() {
            write!(f, " (value '{}')", self.value)?;
        }
        Ok(())
    }
}

/// Rates read from a feed, with the records that were skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateFeed {
    /// Rates exactly as published, in feed order.
    pub rates: Vec<arsync_model::FxRate>,
    /// Records that were skipped.
    pub problems: Vec<FeedProblem>,
}
