//! Bank entries: one booked or pending movement on a bank account, as read from a
//! statement (camt, MT940/MT942, BAI2, OFX) or a payment provider's feed.

use crate::{Currency, ModelError, Money, Origin};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The account a statement is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountId {
    /// IBAN, when the bank gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// Other account identifier (domestic number, BAI2 account, OFX ACCTID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    /// Account currency.
    pub currency: Currency,
}

impl AccountId {
    /// The identifier to show and key on: the IBAN, else the other id, else "unknown".
    pub fn key(&self) -> &str {
        self.iban
            .as_deref()
            .or(self.other.as_deref())
            .unwrap_or("unknown")
    }
}

/// Whether an entry is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Booked on the account.
    Booked,
    /// Pending (intraday, MT942, camt.052 PDNG).
    Pending,
    /// Information only (camt INFO); never reconciled.
    Info,
}

/// The other party of a movement: for a receipt, the payer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterparty {
    /// Name as the bank reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Account (IBAN or other) as the bank reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// BIC of the counterparty's bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
}

/// The scheme of a structured remittance reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// ISO 11649 creditor reference ("RF18 5390 0754 7034").
    Rf,
    /// Swiss QR reference (QRR, 27 digits).
    SwissQr,
    /// Swiss ISR/ESR reference.
    Isr,
    /// Another scheme, named as the statement names it (e.g. "SCOR", a Dutch acceptgiro).
    Other(String),
}

/// A structured reference from the statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StructuredRef {
    /// Scheme.
    pub kind: RefKind,
    /// The reference as given.
    pub value: String,
}

/// Charges the bank took or reported for the movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// Amount of the charge (positive).
    pub amount: Money,
    /// Whether the charge is already included in the entry amount (camt `ChrgInclInd`).
    #[serde(default)]
    pub included: bool,
    /// Charge type or bearer, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The currency exchange behind an entry: what the payer instructed and at what rate it
/// was converted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeDetail {
    /// Amount as instructed or originally sent (e.g. 1,000.00 USD).
    pub instructed: Money,
    /// Rate applied, when the bank gives it.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate: Option<Decimal>,
    /// Source currency of the rate quote (`SrcCcy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_currency: Option<Currency>,
    /// Target currency of the rate quote (`TrgtCcy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_currency: Option<Currency>,
}

/// One movement on a bank account. Credits (receipts) are positive, debits negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankEntry {
    /// Provenance; the external id is account + bank reference + detail index.
    pub origin: Origin,
    /// The account.
    pub account: AccountId,
    /// Statement id, when the format has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    /// Booking date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_date: Option<NaiveDate>,
    /// Value date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<NaiveDate>,
    /// Signed amount in the account currency.
    pub amount: Money,
    /// Booked, pending or information.
    pub status: EntryStatus,
    /// The bank's own reference (camt AcctSvcrRef, MT940 bank reference, FITID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_reference: Option<String>,
    /// End-to-end id from the payer's instruction (never "NOTPROVIDED").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_id: Option<String>,
    /// Bank transaction code (ISO domain/family/subfamily, SWIFT code, BAI type code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_tx_code: Option<String>,
    /// The payer (for credits) or payee (for debits).
    #[serde(default)]
    pub counterparty: Counterparty,
    /// Every line of unstructured remittance information, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remittance: Vec<String>,
    /// Structured references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub structured_refs: Vec<StructuredRef>,
    /// Instructed or original amount and exchange, when the payment crossed currencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeDetail>,
    /// Charges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<Charge>,
    /// Whether this entry reverses an earlier one (returned payment, chargeback).
    #[serde(default)]
    pub reversal: bool,
    /// Index of the transaction detail within a batch entry, when split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_index: Option<u32>,
}

impl BankEntry {
    /// A record name for messages.
    pub fn label(&self) -> String {
        format!(
            "bank entry {} on {}",
            self.bank_reference
                .as_deref()
                .unwrap_or(&self.origin.external_id),
            self.account.key()
        )
    }

    /// Whether money came in.
    pub fn is_credit(&self) -> bool {
        self.amount.amount > Decimal::ZERO
    }

    /// The date to reason with: value date, else booking date.
    pub fn date(&self) -> Option<NaiveDate> {
        self.value_date.or(self.booking_date)
    }

    /// All remittance text joined with spaces.
    pub fn remittance_text(&self) -> String {
        self.remittance.join(" ")
    }

    /// Checks the invariants: the amount is in the account's currency and has a date.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.amount.currency != self.account.currency {
            return Err(ModelError::CurrencyMismatch {
                operation: "book",
                left: self.amount.currency,
                right: self.account.currency,
            });
        }
        if self.booking_date.is_none() && self.value_date.is_none() {
            return Err(ModelError::Missing {
                record: self.label(),
                field: "booking_date or value_date",
            });
        }
        for c in &self.charges {
            if c.amount.is_negative() {
                return Err(ModelError::Negative {
                    record: self.label(),
                    field: "charges",
                    value: c.amount.amount,
                });
            }
        }
        Ok(())
    }
}
