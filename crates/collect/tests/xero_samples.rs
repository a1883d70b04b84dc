//! Aging over the invoices and credit notes of Xero's published API examples, read from
//! the shared samples (`ARSYNC_SAMPLES`, default `../shared/samples` next to the workspace).
//! Skipped, saying so, when the samples are not there.
//!
//! The mapping here is the smallest that lets the aging read Xero's fields; the Xero
//! connector owns the real one.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a test binary: a malformed sample should fail loudly, and a skip is reported"
)]

use arsync_collect::{AgingBuckets, NoRates, aging};
use arsync_model::{CreditNote, Currency, Decimal, DocumentStatus, Invoice, NaiveDate, Origin};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::str::FromStr;

fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("ARSYNC_SAMPLES").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/samples"
            ))
        },
        PathBuf::from,
    );
    if dir.join("xero").is_dir() {
        Some(dir)
    } else {
        println!("skipped: no Xero samples under {}", dir.display());
        None
    }
}

fn read(dir: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join("xero").join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Xero writes amounts as JSON numbers; their text is read as an exact decimal.
fn amount(v: &Value) -> Decimal {
    Decimal::from_str(&v.to_string()).unwrap()
}

fn day(v: &Value) -> NaiveDate {
    let s = v.as_str().unwrap();
    NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap()
}

fn status(v: &Value) -> DocumentStatus {
    match v.as_str().unwrap() {
        "DRAFT" | "SUBMITTED" => DocumentStatus::Draft,
        "AUTHORISED" => DocumentStatus::Open,
        "PAID" => DocumentStatus::Paid,
        "VOIDED" => DocumentStatus::Void,
        _ => DocumentStatus::Deleted,
    }
}

fn invoices(v: &Value) -> Vec<Invoice> {
    v["Invoices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["Type"] == "ACCREC")
        .map(|i| Invoice {
            origin: Origin::new("xero", i["InvoiceID"].as_str().unwrap()),
            number: i["InvoiceNumber"].as_str().unwrap().to_owned(),
            customer_id: i["Contact"]["ContactID"].as_str().unwrap().to_owned(),
            customer_name: i["Contact"]["Name"].as_str().map(str::to_owned),
            issue_date: day(&i["DateString"]),
            due_date: day(&i["DueDateString"]),
            terms: None,
            currency: Currency::parse(i["CurrencyCode"].as_str().unwrap()).unwrap(),
            total: amount(&i["Total"]),
            open_amount: amount(&i["AmountDue"]),
            book_rate: None,
            home_total: None,
            home_open: None,
            payment_reference: None,
            status: status(&i["Status"]),
        })
        .collect()
}

fn credit_notes(v: &Value) -> Vec<CreditNote> {
    v["CreditNotes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["Type"] == "ACCRECCREDIT")
        .map(|c| CreditNote {
            origin: Origin::new("xero", c["CreditNoteID"].as_str().unwrap_or("?")),
            number: c["CreditNoteNumber"].as_str().unwrap().to_owned(),
            customer_id: c["Contact"]["ContactID"].as_str().unwrap().to_owned(),
            customer_name: c["Contact"]["Name"].as_str().map(str::to_owned),
            issue_date: day(&c["DateString"]),
            currency: Currency::parse(c["CurrencyCode"].as_str().unwrap()).unwrap(),
            total: amount(&c["Total"]),
            remaining: amount(&c["RemainingCredit"]),
            book_rate: None,
            home_total: None,
            reference: None,
            status: status(&c["Status"]),
        })
        .collect()
}

#[test]
fn xeros_example_books_age_with_only_the_authorised_invoice_and_the_open_credit() {
    let Some(dir) = samples() else { return };
    let invoices = invoices(&read(&dir, "invoices_get_200.json"));
    let credits = credit_notes(&read(&dir, "creditnotes_get_200.json"));
    let nzd = Currency::parse("NZD").unwrap();
    let as_of = NaiveDate::from_ymd_opt(2019, 3, 31).unwrap();
    let r = aging(
        &invoices,
        &credits,
        &[],
        as_of,
        &AgingBuckets::default(),
        nzd,
        &NoRates,
    );
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    // The voided INV-0001 and the paid INV-0002 are left out; INV-0003 (115.00 due
    // 7 Nov 2018) is 144 days overdue on 31 Mar 2019, over 90.
    let invoice_lines: Vec<_> = r
        .lines
        .iter()
        .filter(|l| l.bucket.is_some())
        .map(|l| (l.number.as_str(), l.days_overdue, l.bucket))
        .collect();
    assert_eq!(invoice_lines, [("INV-0003", Some(144), Some(4))]);
    // CN-0005 has 32.50 of its 34.50 left, for another customer.
    let credit: Vec<_> = r
        .lines
        .iter()
        .filter(|l| l.bucket.is_none())
        .map(|l| (l.number.as_str(), l.open.amount))
        .collect();
    assert_eq!(credit, [("CN-0005", Decimal::from_str("-32.5").unwrap())]);
    let total = &r.home_total.amounts;
    assert_eq!(total.open.amount, Decimal::from(115));
    assert_eq!(total.net.amount, Decimal::from_str("82.5").unwrap());
    assert!(
        r.home_total.is_complete(),
        "everything is in NZD, the home currency"
    );
    let names: Vec<_> = r
        .rows
        .iter()
        .map(|row| row.customer_name.as_str())
        .collect();
    assert_eq!(names, ["Barney Rubble-83203", "Liam Gallagher"]);
}
