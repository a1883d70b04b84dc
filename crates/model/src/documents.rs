//! Customers and the documents of accounts receivable: invoices, credit notes and
//! payments with their allocations.

use crate::{Currency, ModelError, Money, Origin};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A customer (the books' contact or customer record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Provenance.
    pub origin: Origin,
    /// Display name as the books hold it.
    pub name: String,
    /// Billing e-mail, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// VAT or other tax id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    /// Bank accounts (IBAN or other) the customer pays from, used to recognise payers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bank_accounts: Vec<String>,
    /// The customer's default invoicing currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// ISO 3166 country code, for jurisdiction rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Whether the customer is a business (B2B interest rules) rather than a consumer.
    #[serde(default = "default_true")]
    pub is_business: bool,
}

fn default_true() -> bool {
    true
}

impl Party {
    /// A business customer with a name and nothing else known yet.
    pub fn new(origin: Origin, name: impl Into<String>) -> Result<Self, ModelError> {
        let party = Self {
            origin,
            name: name.into(),
            email: None,
            tax_id: None,
            bank_accounts: Vec::new(),
            currency: None,
            country: None,
            is_business: true,
        };
        party.validate()?;
        Ok(party)
    }

    /// Checks the invariants: a customer has a name.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.name.trim().is_empty() {
            return Err(ModelError::Missing {
                record: format!("customer {}", self.origin),
                field: "name",
            });
        }
        Ok(())
    }
}

/// Lifecycle of an invoice or credit note as the books report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Not yet approved; not receivable.
    Draft,
    /// Approved and open (nothing or part paid).
    Open,
    /// Fully settled.
    Paid,
    /// Voided in the books; kept as a tombstone.
    Void,
    /// Deleted in the books; kept as a tombstone.
    Deleted,
}

impl DocumentStatus {
    /// Whether the document can still be owed money on.
    pub fn is_receivable(self) -> bool {
        matches!(self, DocumentStatus::Open)
    }

    /// Whether the document was voided or deleted (a tombstone).
    pub fn is_tombstone(self) -> bool {
        matches!(self, DocumentStatus::Void | DocumentStatus::Deleted)
    }
}

/// Which kind of open item an allocation or a task refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A sales invoice.
    Invoice,
    /// A credit note.
    CreditNote,
}

/// A sales invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// Provenance.
    pub origin: Origin,
    /// The invoice number printed on the document ("INV-1001").
    pub number: String,
    /// External id of the customer in the same connection.
    pub customer_id: String,
    /// Customer name as printed on the invoice, when the source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Issue date (civil date).
    pub issue_date: NaiveDate,
    /// Due date (civil date).
    pub due_date: NaiveDate,
    /// Payment terms as the books name them ("Net 30").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    /// Document currency.
    pub currency: Currency,
    /// Gross total in the document currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// What is still owed, in the document currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub open_amount: Decimal,
    /// The books' rate: home-currency units per one document-currency unit.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub book_rate: Option<Decimal>,
    /// Total in the home currency, as the books hold it.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub home_total: Option<Decimal>,
    /// Open amount in the home currency, as the books hold it.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub home_open: Option<Decimal>,
    /// A payment reference printed for the payer (ISO 11649 RF, Swiss QR, a PO number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    /// Status in the books.
    pub status: DocumentStatus,
}

impl Invoice {
    /// A record name for messages: "invoice INV-1001 (books:123)".
    pub fn label(&self) -> String {
        format!("invoice {} ({})", self.number, self.origin)
    }

    /// The total as money.
    pub fn total_money(&self) -> Money {
        Money::new(self.total, self.currency)
    }

    /// The open amount as money.
    pub fn open_money(&self) -> Money {
        Money::new(self.open_amount, self.currency)
    }

    /// Checks the invariants: a number and customer, totals that are not negative and fit
    /// the currency, an open amount between zero and the total, a due date not before the
    /// issue date, and a positive book rate.
    pub fn validate(&self) -> Result<(), ModelError> {
        // The label is only built when something is wrong: validation runs on every row read.
        let record = || self.label();
        check_text(&record, "number", &self.number)?;
        check_text(&record, "customer_id", &self.customer_id)?;
        check_amount(&record, "total", self.total, self.currency)?;
        check_amount(&record, "open_amount", self.open_amount, self.currency)?;
        if self.open_amount > self.total {
            return Err(ModelError::Inconsistent {
                record: record(),
                reason: format!(
                    "open amount {} exceeds the total {}",
                    self.open_amount, self.total
                ),
            });
        }
        if self.due_date < self.issue_date {
            return Err(ModelError::Inconsistent {
                record: record(),
                reason: format!(
                    "due date {} is before the issue date {}",
                    self.due_date, self.issue_date
                ),
            });
        }
        check_rate(&record, self.book_rate)?;
        Ok(())
    }
}

/// A credit note: money the company owes back to the customer, usable against invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNote {
    /// Provenance.
    pub origin: Origin,
    /// Credit note number ("CN-0042").
    pub number: String,
    /// External id of the customer in the same connection.
    pub customer_id: String,
    /// Customer name as printed, when the source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Issue date (civil date).
    pub issue_date: NaiveDate,
    /// Document currency.
    pub currency: Currency,
    /// Total credited (positive).
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// Credit not yet applied to an invoice or refunded (positive).
    #[serde(with = "rust_decimal::serde::str")]
    pub remaining: Decimal,
    /// The books' rate: home-currency units per one document-currency unit.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub book_rate: Option<Decimal>,
    /// Total in the home currency, as the books hold it.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub home_total: Option<Decimal>,
    /// Invoice number the credit refers to, when the books say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Status in the books.
    pub status: DocumentStatus,
}

impl CreditNote {
    /// A record name for messages.
    pub fn label(&self) -> String {
        format!("credit note {} ({})", self.number, self.origin)
    }

    /// Checks the invariants: positive amounts that fit the currency and a remaining credit
    /// no larger than the total.
    pub fn validate(&self) -> Result<(), ModelError> {
        // The label is only built when something is wrong: validation runs on every row read.
        let record = || self.label();
        check_text(&record, "number", &self.number)?;
        check_text(&record, "customer_id", &self.customer_id)?;
        check_amount(&record, "total", self.total, self.currency)?;
        check_amount(&record, "remaining", self.remaining, self.currency)?;
        if self.remaining > self.total {
            return Err(ModelError::Inconsistent {
                record: record(),
                reason: format!(
                    "remaining credit {} exceeds the total {}",
                    self.remaining, self.total
                ),
            });
        }
        check_rate(&record, self.book_rate)?;
        Ok(())
    }
}

/// Status of a payment in the books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Posted.
    Posted,
    /// Voided or reversed; kept as a tombstone.
    Void,
    /// Deleted; kept as a tombstone.
    Deleted,
}

/// Part of a payment applied to one invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// Kind of the item paid.
    pub item_kind: ItemKind,
    /// External id of the item in the same connection.
    pub item_id: String,
    /// Amount applied, in the item's currency (positive).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// A payment received from a customer, as recorded in the books or a payment provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Provenance.
    pub origin: Origin,
    /// External id of the paying customer, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Date the payment was received (civil date).
    pub date: NaiveDate,
    /// Amount received (positive; refunds are negative).
    pub amount: Money,
    /// Reference the payer gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Payment method as the source names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Rate used by the books: home units per payment-currency unit.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub book_rate: Option<Decimal>,
    /// How the payment is applied.
    #[serde(default)]
    pub allocations: Vec<Allocation>,
    /// Status in the books.
    pub status: PaymentStatus,
}

impl Payment {
    /// A record name for messages.
    pub fn label(&self) -> String {
        format!("payment {}", self.origin)
    }

    /// Checks the invariants: allocations are positive and fit the currency, and when
    /// they are in the payment's currency they do not exceed the amount received.
    pub fn validate(&self) -> Result<(), ModelError> {
        // The label is only built when something is wrong: validation runs on every row read.
        let record = || self.label();
        if !self.amount.fits_minor_units() {
            return Err(ModelError::TooPrecise {
                record: record(),
                field: "amount",
                value: self.amount.amount,
                currency: self.amount.currency,
                minor_units: self.amount.currency.minor_units(),
            });
        }
        let mut allocated = Decimal::ZERO;
        for (i, a) in self.allocations.iter().enumerate() {
            if a.amount <= Decimal::ZERO {
                return Err(ModelError::Inconsistent {
                    record: record(),
                    reason: format!(
                        "allocation {} to {} is {}, but an allocation must be positive",
                        i + 1,
                        a.item_id,
                        a.amount
                    ),
                });
            }
            check_text(&record, "allocation item_id", &a.item_id)?;
            allocated += a.amount;
        }
        check_rate(&record, self.book_rate)?;
        if !self.allocations.is_empty() && allocated > self.amount.amount.abs() {
            return Err(ModelError::Inconsistent {
                record: record(),
                reason: format!(
                    "allocations add up to {allocated}, more than the {} received",
                    self.amount
                ),
            });
        }
        Ok(())
    }
}

fn check_text(
    record: &dyn Fn() -> String,
    field: &'static str,
    value: &str,
) -> Result<(), ModelError> {
    if value.trim().is_empty() {
        return Err(ModelError::Missing {
            record: record(),
            field,
        });
    }
    Ok(())
}

fn check_amount(
    record: &dyn Fn() -> String,
    field: &'static str,
    value: Decimal,
    currency: Currency,
) -> Result<(), ModelError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(ModelError::Negative {
            record: record(),
            field,
            value,
        });
    }
    if !Money::new(value, currency).fits_minor_units() {
        return Err(ModelError::TooPrecise {
            record: record(),
            field,
            value,
            currency,
            minor_units: currency.minor_units(),
        });
    }
    Ok(())
}

fn check_rate(record: &dyn Fn() -> String, rate: Option<Decimal>) -> Result<(), ModelError> {
    match rate {
        Some(r) if r <= Decimal::ZERO => Err(ModelError::Inconsistent {
            record: record(),
            reason: format!("exchange rate {r} must be positive"),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn invoice() -> Invoice {
        Invoice {
            origin: Origin::new("books", "130"),
            number: "INV-1001".into(),
            customer_id: "C1".into(),
            customer_name: Some("Acme Industrial Chemicals GmbH".into()),
            issue_date: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            due_date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            terms: Some("Net 30".into()),
            currency: Currency::parse("EUR").unwrap(),
            total: dec!(1190.00),
            open_amount: dec!(1190.00),
            book_rate: None,
            home_total: None,
            home_open: None,
            payment_reference: None,
            status: DocumentStatus::Open,
        }
    }

    #[test]
    fn a_sound_invoice_validates_and_round_trips_with_string_decimals() {
        let inv = invoice();
        inv.validate().unwrap();
        let json = serde_json::to_value(&inv).unwrap();
        assert_eq!(json["total"], "1190.00");
        let back: Invoice = serde_json::from_value(json).unwrap();
        assert_eq!(back, inv);
    }

    #[test]
    fn impossible_invoices_are_refused_with_the_reason() {
        let mut inv = invoice();
        inv.total = dec!(-5);
        assert!(
            inv.validate()
                .unwrap_err()
                .to_string()
                .contains("total of invoice INV-1001 (books:130) is -5, but it cannot be negative")
        );
        let mut inv = invoice();
        inv.open_amount = dec!(2000);
        assert!(
            inv.validate()
                .unwrap_err()
                .to_string()
                .contains("open amount 2000 exceeds the total 1190.00")
        );
        let mut inv = invoice();
        inv.due_date = NaiveDate::from_ymd_opt(2026, 8, 1).unwrap();
        assert!(
            inv.validate()
                .unwrap_err()
                .to_string()
                .contains("before the issue date")
        );
        let mut inv = invoice();
        inv.total = dec!(10.005);
        assert!(
            inv.validate()
                .unwrap_err()
                .to_string()
                .contains("more than the 2 decimals EUR allows")
        );
        let mut inv = invoice();
        inv.book_rate = Some(dec!(0));
        assert!(inv.validate().is_err());
    }

    #[test]
    fn a_payment_cannot_allocate_more_than_it_received() {
        let eur = Currency::parse("EUR").unwrap();
        let mut p = Payment {
            origin: Origin::new("books", "P1"),
            customer_id: Some("C1".into()),
            date: NaiveDate::from_ymd_opt(2026, 10, 3).unwrap(),
            amount: Money::new(dec!(100), eur),
            reference: None,
            method: None,
            book_rate: None,
            allocations: vec![Allocation {
                item_kind: ItemKind::Invoice,
                item_id: "130".into(),
                amount: dec!(60),
            }],
            status: PaymentStatus::Posted,
        };
        p.validate().unwrap();
        p.allocations.push(Allocation {
            item_kind: ItemKind::Invoice,
            item_id: "131".into(),
            amount: dec!(50),
        });
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("allocations add up to 110")
        );
    }
}
