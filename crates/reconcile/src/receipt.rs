//! Receipts: money that came in, from a bank statement entry or a payment recorded outside
//! the books (a payment provider's feed), and the debits that return such money.

use arsync_model::{BankEntry, EntryStatus, Money, Payment, PaymentStatus, RefKind, StructuredRef};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a receipt was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "source")]
pub enum ReceiptSource {
    /// A bank statement entry.
    BankEntry {
        /// The account key (IBAN or other id).
        account: String,
        /// Statement id, when the format has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        statement_id: Option<String>,
    },
    /// A payment recorded outside the books.
    Payment {
        /// Payment method as the source names it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<String>,
    },
}

/// Whether a receipt brings money in or returns money that came in earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// Money received.
    Credit,
    /// A returned payment or chargeback: undoes an earlier credit.
    Reversal,
}

/// One receipt to reconcile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Stable id: "connection:external id" of the record it came from.
    pub id: String,
    /// The reference to show and export: the bank's own reference (camt AcctSvcrRef, MT940
    /// bank reference), else the entry id.
    pub reference: String,
    /// Where it came from.
    pub source: ReceiptSource,
    /// Credit or reversal.
    pub kind: ReceiptKind,
    /// Value date, else booking date.
    pub date: NaiveDate,
    /// Amount received (positive), or returned (positive too, for a reversal).
    pub amount: Money,
    /// Whether the bank reports the entry as pending: such receipts are never auto-applied.
    #[serde(default)]
    pub pending: bool,
    /// The customer id, when the source already knows it (a payment feed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Payer name as reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_name: Option<String>,
    /// Payer account as reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_account: Option<String>,
    /// Free remittance text, one element per line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remittance: Vec<String>,
    /// Structured references from the statement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub structured_refs: Vec<StructuredRef>,
    /// End-to-end id of the payer's instruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_id: Option<String>,
    /// The amount the payer instructed, when the payment crossed currencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructed: Option<Money>,
    /// Charges the bank reports as already deducted from the amount, in its currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_charges: Option<Money>,
}

/// The charges a statement says were taken out of the entry amount, when there are any
/// and all are in the entry's currency.
fn included_charges(entry: &BankEntry) -> Option<Money> {
    let included: Vec<&Money> = entry
        .charges
        .iter()
        .filter(|c| c.included)
        .map(|c| &c.amount)
        .collect();
    if included.is_empty() {
        return None;
    }
    Money::sum(entry.amount.currency, included)
        .ok()
        .filter(|m| !m.is_zero())
}

/// Why a record is not a receipt to reconcile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotAReceipt {
    /// A debit that does not return a receipt (a supplier payment, a fee).
    #[error(
        "{record} is a debit of {amount} and not marked as a reversal; only receipts are reconciled"
    )]
    Debit {
        /// The record.
        record: String,
        /// Its amount.
        amount: Money,
    },
    /// Zero amount.
    #[error("{record} has a zero amount; there is nothing to reconcile")]
    Zero {
        /// The record.
        record: String,
    },
    /// The bank marks the entry as information only.
    #[error("{record} is information only (camt INFO); it moves no money")]
    InformationOnly {
        /// The record.
        record: String,
    },
    /// The record has no date to reason with.
    #[error("{record} has neither a value date nor a booking date; fix the statement or the feed")]
    NoDate {
        /// The record.
        record: String,
    },
    /// The payment is voided or deleted in its source.
    #[error("{record} is voided or deleted in its source")]
    Voided {
        /// The record.
        record: String,
    },
    /// The payment is already applied to items in the books.
    #[error("{record} is already allocated in the books")]
    AlreadyAllocated {
        /// The record.
        record: String,
    },
}

impl Receipt {
    /// A receipt from a bank statement entry. Credits become receipts; debits marked as
    /// reversals (returned payments, chargebacks) become reversals; other debits and
    /// information-only entries are refused with the reason.
    pub fn from_bank_entry(entry: &BankEntry) -> Result<Receipt, NotAReceipt> {
        let record = entry.label();
        if entry.status == EntryStatus::Info {
            return Err(NotAReceipt::InformationOnly { record });
        }
        if entry.amount.is_zero() {
            return Err(NotAReceipt::Zero { record });
        }
        let kind = if entry.is_credit() {
            ReceiptKind::Credit
        } else if entry.reversal {
            ReceiptKind::Reversal
        } else {
            return Err(NotAReceipt::Debit {
                record,
                amount: entry.amount,
            });
        };
        let date = entry.date().ok_or(NotAReceipt::NoDate { record })?;
        let id = format!("{}:{}", entry.origin.connection, entry.origin.external_id);
        Ok(Receipt {
            reference: entry
                .bank_reference
                .clone()
                .unwrap_or_else(|| entry.origin.external_id.clone()),
            id,
            source: ReceiptSource::BankEntry {
                account: entry.account.key().to_owned(),
                statement_id: entry.statement_id.clone(),
            },
            kind,
            date,
            amount: entry.amount.abs(),
            pending: entry.status == EntryStatus::Pending,
            customer_id: None,
            payer_name: entry.counterparty.name.clone(),
            payer_account: entry.counterparty.account.clone(),
            remittance: entry.remittance.clone(),
            structured_refs: entry.structured_refs.clone(),
            end_to_end_id: entry.end_to_end_id.clone(),
            instructed: entry
                .exchange
                .as_ref()
                .map(|x| x.instructed.abs())
                .filter(|m| m.currency != entry.amount.currency),
            bank_charges: included_charges(entry),
        })
    }

    /// A receipt from a payment recorded outside the books. Voided payments and payments
    /// the books already allocate are refused; a negative amount is a returned payment.
    pub fn from_payment(payment: &Payment) -> Result<Receipt, NotAReceipt> {
        let record = payment.label();
        if payment.status != PaymentStatus::Posted {
            return Err(NotAReceipt::Voided { record });
        }
        if !payment.allocations.is_empty() {
            return Err(NotAReceipt::AlreadyAllocated { record });
        }
        if payment.amount.is_zero() {
            return Err(NotAReceipt::Zero { record });
        }
        let kind = if payment.amount.amount > Decimal::ZERO {
            ReceiptKind::Credit
        } else {
            ReceiptKind::Reversal
        };
        let id = format!(
            "{}:{}",
            payment.origin.connection, payment.origin.external_id
        );
        Ok(Receipt {
            reference: payment.origin.external_id.clone(),
            id,
            source: ReceiptSource::Payment {
                method: payment.method.clone(),
            },
            kind,
            date: payment.date,
            amount: payment.amount.abs(),
            pending: false,
            customer_id: payment.customer_id.clone(),
            payer_name: None,
            payer_account: None,
            remittance: payment.reference.iter().cloned().collect(),
            structured_refs: Vec::new(),
            end_to_end_id: None,
            instructed: None,
            bank_charges: None,
        })
    }

    /// All the text a payer may have written: remittance lines, structured references
    /// that failed their check, the end-to-end id.
    pub(crate) fn free_text(&self) -> String {
        let mut parts: Vec<&str> = self.remittance.iter().map(String::as_str).collect();
        for r in &self.structured_refs {
            if !matches!(r.kind, RefKind::Rf | RefKind::SwissQr | RefKind::Isr) {
                parts.push(&r.value);
            }
        }
        if let Some(e) = &self.end_to_end_id {
            parts.push(e);
        }
        parts.join(" ")
    }

    /// A short name of the receipt for sentences: "receipt 2,365.00 EUR of 2026-10-05 (BANKREF)".
    pub(crate) fn describe(&self) -> String {
        format!("{} of {} ({})", self.amount, self.date, self.reference)
    }
}
