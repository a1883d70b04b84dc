//! The errors this crate raises. Every one a user can cause names the setting, file line or
//! record concerned and says how to fix it.

use chrono::NaiveDate;

/// Why a collection computation or a setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CollectError {
    /// Aging bucket edges are not positive and strictly increasing.
    #[error(
        "aging bucket edges {edges:?} are invalid: {reason}; write positive day counts in increasing order, e.g. [30, 60, 90]"
    )]
    BucketEdges {
        /// The edges as given.
        edges: Vec<i64>,
        /// What is wrong with them.
        reason: String,
    },
    /// Aging bucket labels do not match the number of buckets.
    #[error(
        "aging buckets: {labels} labels given for {buckets} buckets; give one label per bucket (edges + 2: 'current', one per edge, then the open-ended last) or none"
    )]
    BucketLabels {
        /// Labels given.
        labels: usize,
        /// Buckets defined by the edges.
        buckets: usize,
    },
    /// The escalation ladder is unusable.
    #[error("collect.ladder step {step}: {reason}")]
    Ladder {
        /// 1-based step number in the configured list.
        step: usize,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A line of a reference-rate table could not be read.
    #[error("{table} line {line}: {reason}")]
    RateTable {
        /// Table name or file path.
        table: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// No reference rate is known for a period; arsync never guesses one.
    #[error(
        "no known {table} reference rate for {period} (needed from {from}); add the published rate to the rate table override file and run again"
    )]
    NoReferenceRate {
        /// Table name ("de_basiszins", "ecb_mro", "uk_bank_rate").
        table: String,
        /// The period without a rate ("2026-H2").
        period: String,
        /// First day that needs the rate.
        from: NaiveDate,
    },
    /// A `[collect]` setting cannot be used.
    #[error("{key}: {reason}")]
    Setting {
        /// The key path ("collect.interest").
        key: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A recorded collection state cannot be applied.
    #[error("{record}: {reason}")]
    State {
        /// The event ("promise_to_pay event recorded ... by 'clerk'").
        record: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// An interest period or setting makes no sense.
    #[error("{record}: {reason}")]
    Interest {
        /// Record concerned.
        record: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

/// Result with [`CollectError`].
pub type Result<T, E = CollectError> = std::result::Result<T, E>;
