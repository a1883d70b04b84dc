//! Builders for the documents the tests talk about, written for these tests.

use arsync_model::{CreditNote, Currency, DocumentStatus, Invoice, Origin, Party};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(crate) fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

/// An open invoice in `currency`, fully unpaid, issued 30 days before it falls due.
pub(crate) fn invoice(
    id: &str,
    customer: &str,
    currency: &str,
    total: Decimal,
    due: NaiveDate,
) -> Invoice {
    Invoice {
        origin: Origin::new("books", id),
        number: format!("INV-{id}"),
        customer_id: customer.into(),
        customer_name: None,
        issue_date: due - chrono::Days::new(30),
        due_date: due,
        terms: Some("Net 30".into()),
        currency: cur(currency),
        total,
        open_amount: total,
        book_rate: None,
        home_total: None,
        home_open: None,
        payment_reference: None,
        status: DocumentStatus::Open,
    }
}

pub(crate) fn credit_note(
    id: &str,
    customer: &str,
    currency: &str,
    remaining: Decimal,
    issued: NaiveDate,
) -> CreditNote {
    CreditNote {
        origin: Origin::new("books", id),
        number: format!("CN-{id}"),
        customer_id: customer.into(),
        customer_name: None,
        issue_date: issued,
        currency: cur(currency),
        total: remaining,
        remaining,
        book_rate: None,
        home_total: None,
        reference: None,
        status: DocumentStatus::Open,
    }
}

pub(crate) fn party(id: &str, name: &str) -> Party {
    Party::new(Origin::new("books", id), name).unwrap()
}
