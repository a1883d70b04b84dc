//! Cursors move with their page, or not at all; a statement file is imported once.
// Helpers of this test crate may unwrap and panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use arsync_model::RecordKind;
use arsync_store::{Change, ImportedFile, Page, Record, SqliteStore, Store, Which};
use common::*;

fn page_of(ids: &[&str]) -> Vec<Record> {
    ids.iter()
        .map(|id| Record::Invoice(invoice(id, "0", &format!("INV-{id}"))))
        .collect()
}

#[tokio::test]
async fn the_cursor_advances_with_each_page_and_survives_a_restart() {
    let (store, _dir, path) = fresh_store().await;
    assert_eq!(store.cursor("books", "invoices").await.unwrap(), None);
    let out = store
        .apply_page(
            "books",
            "invoices",
            page_of(&["1", "2"]),
            Some("startposition=3".into()),
        )
        .await
        .unwrap();
    assert_eq!(out.cursor.as_deref(), Some("startposition=3"));
    let out = store
        .apply_page("books", "invoices", page_of(&["3"]), None)
        .await
        .unwrap();
    assert_eq!(
        out.cursor.as_deref(),
        Some("startposition=3"),
        "no next cursor keeps the old one"
    );
    assert_eq!(
        store.cursor("books", "payments").await.unwrap(),
        None,
        "streams are separate"
    );
    store.close().await.unwrap();

    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        store.cursor("books", "invoices").await.unwrap().as_deref(),
        Some("startposition=3")
    );
    assert!(store.reset_cursor("books", "invoices").await.unwrap());
    assert_eq!(store.cursor("books", "invoices").await.unwrap(), None);
}

#[tokio::test]
async fn a_failure_after_the_records_and_before_the_cursor_keeps_neither() {
    let (store, _dir, path) = fresh_store().await;
    store
        .apply_page(
            "books",
            "invoices",
            page_of(&["1", "2"]),
            Some("page-2".into()),
        )
        .await
        .unwrap();

    // The disk fails exactly when the cursor is written: the records of the page were
    // already written inside the transaction.
    let mut raw = raw(&path).await;
    sqlx::query(
        "CREATE TRIGGER cursor_write_fails BEFORE UPDATE ON cursors \
         BEGIN SELECT RAISE(ABORT, 'simulated failure while writing the cursor'); END",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    let page = Page::new(
        "books",
        "invoices",
        page_of(&["3", "4"]),
        Some("page-3".into()),
    );
    let err = store.apply(&page).await.unwrap_err();
    assert!(err.to_string().contains("advancing a cursor"), "{err}");
    assert!(err.to_string().contains("simulated failure"), "{err}");

    assert_eq!(
        store.cursor("books", "invoices").await.unwrap().as_deref(),
        Some("page-2")
    );
    let held: Vec<String> = store
        .invoices(None, Which::All)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.origin.external_id)
        .collect();
    assert_eq!(
        held,
        vec!["1", "2"],
        "the page's records were rolled back with the cursor"
    );

    // The next run re-reads the same page and both land together.
    sqlx::query("DROP TRIGGER cursor_write_fails")
        .execute(&mut raw)
        .await
        .unwrap();
    let out = store.apply(&page).await.unwrap();
    assert_eq!(out.count(Change::Inserted), 2);
    assert_eq!(
        store.cursor("books", "invoices").await.unwrap().as_deref(),
        Some("page-3")
    );
    assert_eq!(store.invoices(None, Which::All).await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_failing_record_at_the_end_of_a_page_rolls_back_the_whole_page() {
    let (store, _dir, path) = fresh_store().await;
    let mut raw = raw(&path).await;
    // The last record of the page is refused by the database.
    sqlx::query(
        "CREATE TRIGGER refuse_inv_9 BEFORE INSERT ON records WHEN NEW.external_id = '9' \
         BEGIN SELECT RAISE(ABORT, 'record 9 refused'); END",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    let sha = "ab".repeat(32);
    let mut page = Page::new("bank", "statements", vec![], Some("after-file-1".into()));
    page.records = vec![
        Record::BankEntry(bank_entry("bank", "R1")),
        Record::Invoice({
            let mut i = invoice("9", "0", "INV-9");
            i.origin.connection = "bank".into();
            i
        }),
    ];
    page.file = Some(ImportedFile {
        sha256: sha.clone(),
        name: "camt053-2026-10-03.xml".into(),
    });
    assert!(store.apply(&page).await.is_err());
    assert!(store.bank_entries(None).await.unwrap().is_empty());
    assert_eq!(store.cursor("bank", "statements").await.unwrap(), None);
    assert!(
        !store.file_seen("bank", &sha).await.unwrap(),
        "a failed import can be retried"
    );
    assert!(
        store
            .get(
                "bank",
                RecordKind::BankEntry,
                "KW81CBKU0000000000001234560101:R1"
            )
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_statement_file_is_imported_once() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let sha = arsync_model::payload_hash(b"camt.053 statement bytes");
    let file = ImportedFile {
        sha256: sha.clone(),
        name: "inbox/statements/2026-10-03.xml".into(),
    };
    let mut page = Page::new(
        "bank",
        "statements",
        vec![Record::BankEntry(bank_entry("bank", "R1"))],
        Some("f1".into()),
    );
    page.file = Some(file.clone());
    assert!(!store.file_seen("bank", &sha).await.unwrap());
    let first = store.apply(&page).await.unwrap();
    assert!(!first.file_already_imported);
    assert!(store.file_seen("bank", &sha).await.unwrap());
    assert!(
        !store.file_seen("other-bank", &sha).await.unwrap(),
        "files are per connection"
    );

    // The same file dropped into the inbox again under another name.
    let mut again = page.clone();
    again.file = Some(ImportedFile {
        sha256: sha.to_uppercase(),
        name: "copy.xml".into(),
    });
    again.records = vec![Record::BankEntry(bank_entry("bank", "R2"))];
    again.next_cursor = Some("f2".into());
    let second = store.apply(&again).await.unwrap();
    assert!(second.file_already_imported);
    assert!(second.changes.is_empty());
    assert_eq!(second.cursor.as_deref(), Some("f1"));
    assert_eq!(store.bank_entries(None).await.unwrap().len(), 1);
    assert!(
        !store.mark_file("bank", &file).await.unwrap(),
        "already marked"
    );
}

#[tokio::test]
async fn a_file_hash_that_is_not_sha256_is_refused_with_the_file_name() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let err = store
        .mark_file(
            "bank",
            &ImportedFile {
                sha256: "abc".into(),
                name: "statement.sta".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("imported file statement.sta"),
        "{err}"
    );
}
