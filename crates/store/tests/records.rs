//! Records: round trips, newest version wins, tombstones.
// Helpers of this test crate may unwrap and panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use arsync_model::{DocumentStatus, PaymentStatus, RecordKind};
use arsync_store::{Change, Deletion, Page, Record, SqliteStore, Store, StoreError, Which};
use common::*;
use rust_decimal_macros::dec;

#[tokio::test]
async fn every_kind_of_record_comes_back_exactly_as_stored_after_reopening() {
    let (store, _dir, path) = fresh_store().await;
    let mut big = invoice("131", "0", "INV-1002");
    // More digits than an f64 can hold: a float column would lose the cents.
    big.total = dec!(12345678901234567.89);
    big.open_amount = dec!(12345678901234567.80);
    let records = vec![
        Record::Party(party("C1", "Acme Industrial Chemicals GmbH")),
        Record::Invoice(invoice("130", "0", "INV-1001")),
        Record::Invoice(big.clone()),
        Record::CreditNote(credit_note("CN1")),
        Record::Payment(payment("P1", "130", dec!(500.00))),
        Record::FxRate(ecb_rate(1, dec!(1.0834))),
    ];
    let outcome = store
        .apply_page("books", "all", records.clone(), Some("page-1".into()))
        .await
        .unwrap();
    assert_eq!(outcome.count(Change::Inserted), 6);
    let bank = bank_entry("bank", "REF-77");
    store
        .apply_page(
            "bank",
            "statements",
            vec![Record::BankEntry(bank.clone())],
            None,
        )
        .await
        .unwrap();
    store.close().await.unwrap();

    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        store.parties(None).await.unwrap(),
        vec![party("C1", "Acme Industrial Chemicals GmbH")]
    );
    let invoices = store.invoices(Some("books"), Which::All).await.unwrap();
    assert_eq!(invoices, vec![invoice("130", "0", "INV-1001"), big]);
    assert_eq!(
        invoices[0].total.to_string(),
        "1190.00",
        "trailing zeros are kept"
    );
    assert_eq!(invoices[1].open_amount.to_string(), "12345678901234567.80");
    assert_eq!(
        store.credit_notes(None, Which::Open).await.unwrap(),
        vec![credit_note("CN1")]
    );
    assert_eq!(
        store.payments(Some("books")).await.unwrap(),
        vec![payment("P1", "130", dec!(500.00))]
    );
    assert_eq!(
        store.fx_rates(None).await.unwrap(),
        vec![ecb_rate(1, dec!(1.0834))]
    );
    let entries = store.bank_entries(Some("bank")).await.unwrap();
    assert_eq!(entries, vec![bank]);
    assert_eq!(entries[0].amount.amount.to_string(), "1234.567");
    assert!(store.bank_entries(Some("books")).await.unwrap().is_empty());

    let stored = store
        .get("books", RecordKind::Invoice, "130")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.source_version.as_deref(), Some("0"));
    assert_eq!(
        stored.payload_hash,
        invoice("130", "0", "INV-1001").origin.payload_hash
    );
    assert!(!stored.deleted);
    let rate = store
        .get("books", RecordKind::FxRate, "ecb:EUR/USD/2026-10-01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rate.record, Some(Record::FxRate(ecb_rate(1, dec!(1.0834)))));

    // No amount is ever a REAL in the file.
    let mut raw = raw(&path).await;
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT typeof(amount) FROM records WHERE amount IS NOT NULL \
         UNION SELECT DISTINCT typeof(open_amount) FROM records WHERE open_amount IS NOT NULL",
    )
    .fetch_all(&mut raw)
    .await
    .unwrap();
    assert_eq!(kinds, vec!["text".to_string()]);
}

#[tokio::test]
async fn a_newer_sync_token_replaces_the_invoice_and_an_older_one_is_ignored() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let v9 = invoice("130", "9", "INV-1001");
    let mut v10 = invoice("130", "10", "INV-1001");
    v10.open_amount = dec!(690.00);

    let first = store
        .apply_page("books", "invoices", vec![Record::Invoice(v9.clone())], None)
        .await
        .unwrap();
    assert_eq!(first.count(Change::Inserted), 1);
    // "10" sorts before "9" as text; SyncTokens are integers and compare as numbers.
    let second = store
        .apply_page(
            "books",
            "invoices",
            vec![Record::Invoice(v10.clone())],
            None,
        )
        .await
        .unwrap();
    assert_eq!(second.count(Change::Updated), 1);
    // An overlapping incremental page delivers version 9 again, then 10 again.
    let third = store
        .apply_page(
            "books",
            "invoices",
            vec![Record::Invoice(v9), Record::Invoice(v10.clone())],
            None,
        )
        .await
        .unwrap();
    assert_eq!(third.count(Change::Stale), 1);
    assert_eq!(third.count(Change::Unchanged), 1);
    assert_eq!(third.changes[0].external_id, "130");

    let held = store.invoices(None, Which::All).await.unwrap();
    assert_eq!(held, vec![v10]);
    assert_eq!(held[0].open_amount, dec!(690.00));
}

#[tokio::test]
async fn records_without_a_version_are_replaced_only_when_their_content_changes() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let rate = ecb_rate(2, dec!(1.0840));
    let out = store
        .apply_page("ecb", "rates", vec![Record::FxRate(rate.clone())], None)
        .await
        .unwrap();
    assert_eq!(out.count(Change::Inserted), 1);
    let out = store
        .apply_page("ecb", "rates", vec![Record::FxRate(rate)], None)
        .await
        .unwrap();
    assert_eq!(out.count(Change::Unchanged), 1);
    let corrected = ecb_rate(2, dec!(1.0841));
    let out = store
        .apply_page(
            "ecb",
            "rates",
            vec![Record::FxRate(corrected.clone())],
            None,
        )
        .await
        .unwrap();
    assert_eq!(out.count(Change::Updated), 1);
    assert_eq!(store.fx_rates(Some("ecb")).await.unwrap(), vec![corrected]);
    // Another publisher's fixing of the same pair on the same day is kept beside it.
    let mut other = ecb_rate(2, dec!(1.0852));
    other.source = "bank-feed".into();
    let out = store
        .apply_page("ecb", "rates", vec![Record::FxRate(other)], None)
        .await
        .unwrap();
    assert_eq!(out.count(Change::Inserted), 1);
    assert_eq!(store.fx_rates(Some("ecb")).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_voided_invoice_is_kept_as_a_tombstone_but_is_no_longer_open() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let open = invoice("130", "1", "INV-1001");
    let other = invoice("131", "1", "INV-1002");
    let mut voided = open.clone();
    voided.origin.source_version = Some("2".into());
    voided.status = DocumentStatus::Void;
    store
        .apply_page(
            "books",
            "invoices",
            vec![Record::Invoice(open), Record::Invoice(other.clone())],
            None,
        )
        .await
        .unwrap();
    store
        .apply_page(
            "books",
            "invoices",
            vec![Record::Invoice(voided.clone())],
            None,
        )
        .await
        .unwrap();

    assert_eq!(
        store.invoices(None, Which::Open).await.unwrap(),
        vec![other.clone()]
    );
    assert_eq!(
        store.invoices(None, Which::All).await.unwrap(),
        vec![voided, other]
    );
    let stored = store
        .get("books", RecordKind::Invoice, "130")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.deleted);
}

#[tokio::test]
async fn an_invoice_deleted_in_the_books_becomes_a_tombstone_with_the_deletion_version() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    store
        .apply_page(
            "books",
            "invoices",
            vec![Record::Invoice(invoice("130", "3", "INV-1001"))],
            None,
        )
        .await
        .unwrap();
    // A deletion older than what we hold (a late page) is ignored.
    assert_eq!(
        store
            .delete("books", RecordKind::Invoice, "130", Some("2"))
            .await
            .unwrap(),
        Change::Stale
    );
    assert_eq!(store.invoices(None, Which::Open).await.unwrap().len(), 1);

    assert_eq!(
        store
            .delete("books", RecordKind::Invoice, "130", Some("4"))
            .await
            .unwrap(),
        Change::Deleted
    );
    assert_eq!(
        store
            .delete("books", RecordKind::Invoice, "130", Some("4"))
            .await
            .unwrap(),
        Change::Unchanged
    );
    assert!(store.invoices(None, Which::Open).await.unwrap().is_empty());
    let all = store.invoices(None, Which::All).await.unwrap();
    assert_eq!(all.len(), 1, "the tombstone is kept");
    assert_eq!(all[0].status, DocumentStatus::Deleted);
    assert_eq!(all[0].origin.source_version.as_deref(), Some("4"));
    assert_eq!(
        all[0].total,
        dec!(1190.00),
        "the last known amounts stay readable"
    );

    // The source restores it later with a newer version: newest wins again.
    let restored = invoice("130", "5", "INV-1001");
    let out = store
        .apply_page(
            "books",
            "invoices",
            vec![Record::Invoice(restored.clone())],
            None,
        )
        .await
        .unwrap();
    assert_eq!(out.count(Change::Updated), 1);
    assert_eq!(
        store.invoices(None, Which::Open).await.unwrap(),
        vec![restored]
    );
}

#[tokio::test]
async fn a_deletion_of_a_record_never_seen_is_remembered() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let mut page = Page::new("books", "payments", vec![], Some("cdc-2026-10-04".into()));
    page.deletions.push(Deletion {
        kind: RecordKind::Payment,
        external_id: "P9".into(),
        source_version: Some("1".into()),
    });
    let out = store.apply(&page).await.unwrap();
    assert_eq!(out.count(Change::Deleted), 1);
    let stored = store
        .get("books", RecordKind::Payment, "P9")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.deleted);
    assert_eq!(stored.record, None);
    // A late copy of the payment from before the deletion does not bring it back.
    let mut late = payment("P9", "130", dec!(10));
    late.origin.source_version = Some("0".into());
    let out = store
        .apply_page("books", "payments", vec![Record::Payment(late)], None)
        .await
        .unwrap();
    assert_eq!(out.count(Change::Stale), 1);
    assert!(store.payments(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_voided_payment_stays_readable_with_its_status() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let mut p = payment("P1", "130", dec!(100));
    store
        .apply_page("books", "payments", vec![Record::Payment(p.clone())], None)
        .await
        .unwrap();
    p.origin.source_version = Some("1".into());
    p.status = PaymentStatus::Void;
    store
        .apply_page("books", "payments", vec![Record::Payment(p.clone())], None)
        .await
        .unwrap();
    assert_eq!(store.payments(None).await.unwrap(), vec![p]);
    assert!(
        store
            .get("books", RecordKind::Payment, "P1")
            .await
            .unwrap()
            .unwrap()
            .deleted
    );
}

#[tokio::test]
async fn a_record_of_another_connection_is_refused_and_nothing_of_the_page_is_written() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let mut foreign = invoice("200", "0", "INV-2000");
    foreign.origin.connection = "xero".into();
    let err = store
        .apply_page(
            "books",
            "invoices",
            vec![
                Record::Invoice(invoice("130", "0", "INV-1001")),
                Record::Invoice(foreign),
            ],
            Some("next".into()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidRecord { .. }));
    let msg = err.to_string();
    assert!(msg.contains("invoice INV-2000 (xero:200@0)"), "{msg}");
    assert!(msg.contains("came in a page of 'books'"), "{msg}");
    assert!(store.invoices(None, Which::All).await.unwrap().is_empty());
    assert_eq!(store.cursor("books", "invoices").await.unwrap(), None);
}

#[tokio::test]
async fn open_credit_notes_are_those_with_credit_left() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let mut used = credit_note("CN2");
    used.number = "CN-0043".into();
    used.remaining = dec!(0.00);
    store
        .apply_page(
            "books",
            "credit_notes",
            vec![
                Record::CreditNote(credit_note("CN1")),
                Record::CreditNote(used.clone()),
            ],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        store.credit_notes(None, Which::Open).await.unwrap(),
        vec![credit_note("CN1")]
    );
    assert_eq!(store.credit_notes(None, Which::All).await.unwrap().len(), 2);
}

mod exact_money {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever amount the books hold, with whatever scale, comes back to the last digit
        /// and with its trailing zeros.
        #[test]
        fn any_invoice_amount_comes_back_to_the_last_digit(
            cents in 0i64..i64::MAX,
            open_share in 0u32..=100,
            scale in 0u32..=2,
        ) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let total = Decimal::new(cents, scale);
            let open = (total * Decimal::from(open_share) / Decimal::from(100)).round_dp(scale);
            let mut inv = invoice("130", "0", "INV-1001");
            inv.total = total;
            inv.open_amount = open;
            let back = rt.block_on(async {
                let store = SqliteStore::open_in_memory().await.unwrap();
                store
                    .apply_page("books", "invoices", vec![Record::Invoice(inv.clone())], None)
                    .await
                    .unwrap();
                store.invoices(None, Which::All).await.unwrap()
            });
            prop_assert_eq!(back.len(), 1);
            prop_assert_eq!(back[0].total.to_string(), total.to_string());
            prop_assert_eq!(back[0].open_amount.to_string(), open.to_string());
            prop_assert_eq!(&back[0], &inv);
        }
    }
}

#[tokio::test]
async fn two_workers_writing_versions_of_one_invoice_at_once_leave_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let a = std::sync::Arc::new(SqliteStore::open(&path).await.unwrap());
    let b = std::sync::Arc::new(SqliteStore::open(&path).await.unwrap());
    // Versions arrive in a scrambled order from two processes.
    let order = [7u32, 3, 12, 1, 9, 12, 4, 11, 2, 8, 5, 10, 6];
    let mut tasks = Vec::new();
    for (i, v) in order.into_iter().enumerate() {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(sync_one(store, v)));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let held = a.invoices(None, Which::All).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].origin.source_version.as_deref(), Some("12"));
    assert_eq!(held[0].open_amount, rust_decimal::Decimal::from(12));
}

/// What the agent does with any store: write one page from a spawned task.
async fn sync_one<S: Store + 'static>(store: std::sync::Arc<S>, version: u32) {
    let mut inv = invoice("130", &version.to_string(), "INV-1001");
    inv.open_amount = rust_decimal::Decimal::from(version);
    store
        .apply_page("books", "invoices", vec![Record::Invoice(inv)], None)
        .await
        .unwrap();
}
