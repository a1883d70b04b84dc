//! Errors raised when a value would describe something impossible.

use crate::Currency;
use rust_decimal::Decimal;

/// Why a model value was refused. Every variant says what was wrong and, where it helps,
/// what would be acceptable instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The text is not an ISO 4217 currency code arsync can hold money in.
    #[error(
        "'{code}' is not an ISO 4217 currency code with minor units (expected e.g. EUR, USD, JPY, KWD)"
    )]
    UnknownCurrency {
        /// The code as given.
        code: String,
    },
    /// Two amounts in different currencies were combined.
    #[error(
        "cannot {operation} {left} and {right}: the currencies differ; convert one at an explicit rate first"
    )]
    CurrencyMismatch {
        /// What was attempted (add, subtract, compare, allocate).
        operation: &'static str,
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// An amount that must not be negative was.
    #[error("{field} of {record} is {value}, but it cannot be negative")]
    Negative {
        /// Record the field belongs to (e.g. "invoice INV-1001").
        record: String,
        /// Field name.
        field: &'static str,
        /// Value found.
        value: Decimal,
    },
    /// An amount carries more decimals than its currency allows.
    #[error(
        "{field} of {record} is {value} {currency}, which has more than the {minor_units} decimals {currency} allows"
    )]
    TooPrecise {
        /// Record the field belongs to.
        record: String,
        /// Field name.
        field: &'static str,
        /// Value found.
        value: Decimal,
        /// Currency of the value.
        currency: Currency,
        /// Minor units of that currency.
        minor_units: u32,
    },
    /// A combination of values that cannot hold together.
    #[error("{record}: {reason}")]
    Inconsistent {
        /// Record concerned.
        record: String,
        /// What does not hold.
        reason: String,
    },
    /// A required text field was empty.
    #[error("{field} of {record} is empty; it is required")]
    Missing {
        /// Record concerned.
        record: String,
        /// Field name.
        field: &'static str,
    },
}
