//! The arsync domain model: money and currencies, customers, invoices, credit notes,
//! payments and their allocations, bank entries, exchange rates, and the collection
//! records (overdue status, tasks) that arsync writes back to the books.
//!
//! This crate owns the vocabulary every other crate speaks. It does no I/O and must not
//! depend on the store, the runtime or any async machinery. Money is always
//! [`rust_decimal::Decimal`] with an explicit rounding strategy; floats never appear.
//! Every record carries its [`Origin`] (connection, external id, source version, payload
//! hash) and constructors refuse impossible values with an error that says why.
#![forbid(unsafe_code)]
#![deny(clippy::float_arithmetic)]
#![deny(missing_docs)]

mod bank;
mod clock;
mod collection;
mod currency;
mod documents;
mod error;
mod fx;
mod money;
mod origin;

pub use bank::{
    AccountId, BankEntry, Charge, Counterparty, EntryStatus, ExchangeDetail, RefKind, StructuredRef,
};
pub use clock::{Clock, FixedClock, SystemClock, days_between, today_in};
pub use collection::{CollectionAction, CollectionState, CollectionTask, OverdueStatus, TaskState};
pub use currency::Currency;
pub use documents::{
    Allocation, CreditNote, DocumentStatus, Invoice, ItemKind, Party, Payment, PaymentStatus,
};
pub use error::ModelError;
pub use fx::{FxLookupError, FxRate, RateBook, RatePath, RateQuote};
pub use money::{Money, Rounding};
pub use origin::{Origin, RecordKind, payload_hash};

/// Re-exported so every crate uses the same decimal and date types.
pub use chrono::NaiveDate;
pub use rust_decimal::Decimal;
