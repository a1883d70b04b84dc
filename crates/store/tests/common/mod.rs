//! Records an accountant would recognise, and a fresh store in a temporary directory.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use arsync_model::{
    AccountId, Allocation, BankEntry, CreditNote, Currency, DocumentStatus, EntryStatus, FxRate,
    Invoice, ItemKind, Money, NaiveDate, Origin, Party, Payment, PaymentStatus,
};
use arsync_store::SqliteStore;
use rust_decimal_macros::dec;
use std::path::PathBuf;

pub fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// An open EUR invoice of the "books" connection with a QuickBooks-style SyncToken.
pub fn invoice(id: &str, sync_token: &str, number: &str) -> Invoice {
    Invoice {
        origin: Origin::new("books", id)
            .with_version(sync_token)
            .with_payload(format!("{{\"Id\":\"{id}\",\"SyncToken\":\"{sync_token}\"}}").as_bytes()),
        number: number.into(),
        customer_id: "C1".into(),
        customer_name: Some("Acme Industrial Chemicals GmbH".into()),
        issue_date: date(2026, 9, 1),
        due_date: date(2026, 10, 1),
        terms: Some("Net 30".into()),
        currency: cur("EUR"),
        total: dec!(1190.00),
        open_amount: dec!(1190.00),
        book_rate: None,
        home_total: None,
        home_open: None,
        payment_reference: Some("RF18539007547034".into()),
        status: DocumentStatus::Open,
    }
}

pub fn party(id: &str, name: &str) -> Party {
    let mut p = Party::new(Origin::new("books", id).with_version("0"), name).unwrap();
    p.email = Some("ap@acme.example".into());
    p.bank_accounts = vec!["DE89370400440532013000".into()];
    p.currency = Some(cur("EUR"));
    p
}

pub fn credit_note(id: &str) -> CreditNote {
    CreditNote {
        origin: Origin::new("books", id).with_version("1"),
        number: "CN-0042".into(),
        customer_id: "C1".into(),
        customer_name: None,
        issue_date: date(2026, 9, 15),
        currency: cur("EUR"),
        total: dec!(119.00),
        remaining: dec!(119.00),
        book_rate: None,
        home_total: None,
        reference: Some("INV-1001".into()),
        status: DocumentStatus::Open,
    }
}

pub fn payment(id: &str, invoice_id: &str, amount: rust_decimal::Decimal) -> Payment {
    Payment {
        origin: Origin::new("books", id).with_version("0"),
        customer_id: Some("C1".into()),
        date: date(2026, 10, 3),
        amount: Money::new(amount, cur("EUR")),
        reference: Some("INV-1001".into()),
        method: Some("bank transfer".into()),
        book_rate: None,
        allocations: vec![Allocation {
            item_kind: ItemKind::Invoice,
            item_id: invoice_id.into(),
            amount,
        }],
        status: PaymentStatus::Posted,
    }
}

/// A receipt on a Kuwaiti dinar account: three decimals that must survive exactly.
pub fn bank_entry(connection: &str, reference: &str) -> BankEntry {
    BankEntry {
        origin: Origin::new(
            connection,
            format!("KW81CBKU0000000000001234560101:{reference}"),
        ),
        account: AccountId {
            iban: Some("KW81CBKU0000000000001234560101".into()),
            other: None,
            currency: cur("KWD"),
        },
        statement_id: Some("STMT-2026-10-03".into()),
        booking_date: Some(date(2026, 10, 3)),
        value_date: Some(date(2026, 10, 3)),
        amount: Money::new(dec!(1234.567), cur("KWD")),
        status: EntryStatus::Booked,
        bank_reference: Some(reference.into()),
        end_to_end_id: Some("E2E-INV-1001".into()),
        bank_tx_code: Some("PMNT/RCDT/ESCT".into()),
        counterparty: Default::default(),
        remittance: vec!["INV-1001".into(), "thank you".into()],
        structured_refs: vec![],
        exchange: None,
        charges: vec![],
        reversal: false,
        detail_index: None,
    }
}

pub fn ecb_rate(day: u32, rate: rust_decimal::Decimal) -> FxRate {
    FxRate::new(cur("EUR"), cur("USD"), date(2026, 10, day), rate, "ecb").unwrap()
}

/// A store in a fresh directory that lives as long as the returned guard.
pub async fn fresh_store() -> (SqliteStore, tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state").join("arsync.db");
    let store = SqliteStore::open(&path).await.unwrap();
    (store, dir, path)
}

/// A raw connection to the store file, for inspecting and tampering with it as an outside
/// program could.
pub async fn raw(path: &std::path::Path) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(std::time::Duration::from_secs(10));
    sqlx::SqliteConnection::connect_with(&opts).await.unwrap()
}
