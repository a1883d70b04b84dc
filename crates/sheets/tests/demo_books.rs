//! The demo's sample books (config/demo/books.xlsx) read like a real open-items list:
//! every customer, currency and aging bucket the demo shows is there, and the committed
//! workbook is exactly what `examples/demo_books.rs` writes.
#![allow(clippy::unwrap_used)]

#[path = "../examples/demo_books.rs"]
mod demo;

use arsync_model::DocumentStatus;
use arsync_sheets::{SheetOptions, Source, read_items};
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::path::Path;

fn books_path() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/demo/books.xlsx"
    ))
}

#[test]
fn the_committed_demo_books_are_what_the_example_writes() {
    let committed = std::fs::read(books_path()).unwrap();
    assert!(
        committed == demo::demo_books().unwrap(),
        "config/demo/books.xlsx is stale: run `cargo run -p arsync-sheets --example demo_books`"
    );
}

#[test]
fn the_demo_books_cover_every_country_currency_and_aging_bucket() {
    let options = SheetOptions {
        connection: "books".into(),
        ..SheetOptions::default()
    };
    let f = read_items(Source::Path(books_path()), &options).unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert_eq!(f.parties.len(), demo::CUSTOMERS.len());
    let countries: BTreeSet<_> = f.parties.iter().filter_map(|p| p.country.clone()).collect();
    assert_eq!(
        countries.into_iter().collect::<Vec<_>>(),
        vec!["CH", "DE", "FR", "GB", "JP", "US"]
    );
    assert_eq!(f.invoices.len() + f.credit_notes.len(), demo::LINES.len());
    assert!((28..=32).contains(&f.invoices.len()));
    assert_eq!(f.credit_notes.len(), 3);
    let currencies: BTreeSet<_> = f.invoices.iter().map(|i| i.currency.code()).collect();
    assert_eq!(
        currencies.into_iter().collect::<Vec<_>>(),
        vec!["CHF", "EUR", "GBP", "JPY", "USD"]
    );

    let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut buckets = BTreeSet::new();
    for inv in f
        .invoices
        .iter()
        .filter(|i| i.status == DocumentStatus::Open)
    {
        let days = (as_of - inv.due_date).num_days();
        buckets.insert(match days {
            ..=0 => "current",
            1..=30 => "1-30",
            31..=60 => "31-60",
            61..=90 => "61-90",
            _ => "over 90",
        });
        assert!(inv.issue_date >= NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert!(
            inv.payment_reference
                .as_deref()
                .is_some_and(|r| r.starts_with("RF"))
        );
    }
    assert_eq!(buckets.len(), 5, "{buckets:?}");
    let partly_paid = f
        .invoices
        .iter()
        .filter(|i| i.open_amount > rust_decimal::Decimal::ZERO && i.open_amount < i.total)
        .count();
    assert!(partly_paid >= 3, "{partly_paid}");
    assert!(f.invoices.iter().any(|i| i.status == DocumentStatus::Paid));
}

#[test]
fn creditor_references_carry_valid_iso_11649_check_digits() {
    // The example in ISO 11649 itself.
    assert_eq!(demo::rf_reference("539007547034"), "RF18539007547034");
    let r = demo::rf_reference("NM-26-1001");
    assert!(r.starts_with("RF") && r.ends_with("NM261001"), "{r}");
}
