//! Reconciliation: match every receipt to what it pays, explain why, and apply only what is
//! certain.
//!
//! This crate owns the matching pipeline, stage by stage:
//! - normalising payer names, accounts and invoice numbers as payers
//!   write them;
//! - checking structured references (ISO 11649 RF mod 97, Swiss QR/ISR recursive mod 10);
//! - gathering each receipt's evidence (payer, references) and scoring candidate items
//!   (reference, customer, amount exact / within the fee tolerance / within the FX band,
//!   date), with a bounded subset search for one receipt paying several items;
//! - settling and classifying residuals (partial payment, bank fee, overpayment, realised
//!   FX difference);
//! - explaining every decision in a sentence, and learning from confirmed matches
//!   ([`Memory`]).
//!
//! It is pure: no I/O, no clock, no async, no store. It depends on `arsync-model` only;
//! it must not depend on the store, the runtime, the agent or any plugin. The same inputs
//! always give the same outcome, whatever order they come in. Ambiguous matches (ties, the
//! same amount open at two customers, confidence under the threshold, a pending entry) are
//! never applied: they are suggested for review.
//!
//! ```text
//! let outcome = reconcile(&ReconcileInput { .. }, &Settings::default())?;
//! for row in export_rows(&outcome) { /* write CSV or JSON */ }
//! for event in audit_events(&outcome) { /* append to the audit log */ }
//! memory.learn(&confirmed_match, "controller", today);   // after a person confirms
//! memory.remember_applied(&auto_match, "auto", today);  // for every applied match
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod book;
mod candidates;
mod engine;
mod error;
mod explain;
mod export;
mod memory;
mod normalise;
mod outcome;
mod receipt;
mod references;
mod residuals;
mod settings;
mod subset;

pub use error::{ReconcileError, Result};
pub use export::{AuditEvent, ExportRow, audit_events, export_rows};
pub use memory::{
    Alias, AliasKey, AppliedLine, AppliedReceipt, FeeHabit, Memory, ReferencePattern,
};
pub use outcome::{
    AppliedItem, CustomerRef, Decision, Match, Outcome, Residual, ResidualKind, Rule, RuleHit,
    Unmatched, UnmatchedReason,
};
pub use receipt::{NotAReceipt, Receipt, ReceiptKind, ReceiptSource};
pub use settings::{FeeTolerance, Settings};

use arsync_model::{CreditNote, Currency, Invoice, Party, RateBook};
use chrono::NaiveDate;

/// Everything one reconciliation looks at.
#[derive(Debug, Clone)]
pub struct ReconcileInput<'a> {
    /// The run date: items issued after it are not open yet.
    pub as_of: NaiveDate,
    /// The company's home currency, for realised FX differences.
    pub home: Currency,
    /// Customers.
    pub parties: &'a [Party],
    /// Invoices; only open ones with something left open are matched.
    pub invoices: &'a [Invoice],
    /// Credit notes; only open ones with credit remaining are used.
    pub credit_notes: &'a [CreditNote],
    /// Receipts and returned payments, in any order.
    pub receipts: Vec<Receipt>,
    /// Exchange rates.
    pub rates: &'a RateBook,
    /// What earlier confirmed matches taught.
    pub memory: &'a Memory,
}

/// Matches every receipt to what it pays. Fails only on settings out of range.
pub fn reconcile(input: &ReconcileInput<'_>, settings: &Settings) -> Result<Outcome> {
    settings.validate()?;
    Ok(engine::run(input, input.receipts.clone(), settings))
}

/// [`reconcile`], taking the input by value so its receipts move into the outcome instead
/// of being copied (half the receipts' memory on a large run). The outcome is the same.
pub fn reconcile_owned(mut input: ReconcileInput<'_>, settings: &Settings) -> Result<Outcome> {
    settings.validate()?;
    let receipts = std::mem::take(&mut input.receipts);
    Ok(engine::run(&input, receipts, settings))
}
