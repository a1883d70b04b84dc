//! Opening a store: created on first use; damaged, foreign and newer stores are refused
//! before anything is written to them.
// Helpers of this test crate may unwrap and panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use arsync_store::{Record, SqliteStore, Store, StoreError, Which, schema_version};
use common::*;
use std::path::Path;

/// The file's content hash and the size of the WAL beside it (SQLite may create an empty
/// one while reading).
fn snapshot(path: &Path) -> (String, u64) {
    let wal = path.with_extension("db-wal");
    (
        arsync_model::payload_hash(&std::fs::read(path).unwrap()),
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0),
    )
}

#[tokio::test]
async fn the_store_and_its_directory_are_created_on_first_use_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".arsync").join("nested").join("state.db");
    let store = SqliteStore::open(&path).await.unwrap();
    assert!(path.exists());
    assert_eq!(store.location(), path.as_path());
    store.close().await.unwrap();
    let mut raw = raw(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(&mut raw)
        .await
        .unwrap();
    assert_eq!(versions.last().copied(), Some(schema_version()));
}

#[tokio::test]
async fn an_empty_file_is_taken_as_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    std::fs::write(&path, b"").unwrap();
    let store = SqliteStore::open(&path).await.unwrap();
    store
        .apply_page(
            "books",
            "invoices",
            vec![Record::Invoice(invoice("1", "0", "INV-1"))],
            None,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_store_written_by_a_newer_arsync_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = SqliteStore::open(&path).await.unwrap();
    store
        .apply_page(
            "books",
            "invoices",
            vec![Record::Invoice(invoice("1", "0", "INV-1"))],
            None,
        )
        .await
        .unwrap();
    store.close().await.unwrap();
    {
        // What a future release would record after its migration 2.
        let mut raw = raw(&path).await;
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (20990101, 'future', 1, x'00', 1)",
        )
        .execute(&mut raw)
        .await
        .unwrap();
        use sqlx::Connection;
        raw.close().await.unwrap();
    }
    let before = snapshot(&path);
    let err = SqliteStore::open(&path).await.unwrap_err();
    match &err {
        StoreError::NewerSchema { found, known, .. } => {
            assert_eq!((*found, *known), (20990101, schema_version()));
        }
        other => panic!("expected NewerSchema, got {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("upgrade arsync"), "{msg}");
    assert_eq!(snapshot(&path), before, "nothing was written");
    let err = SqliteStore::open_url(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { .. }));
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_reported_and_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    std::fs::write(&path, "Date,Amount\n2026-10-03,1190.00\n".repeat(200)).unwrap();
    let before = snapshot(&path);
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("not a database"), "{msg}");
    assert!(msg.contains("Nothing was written"), "{msg}");
    assert_eq!(snapshot(&path), before);
    assert!(
        !path.with_extension("db-wal").exists(),
        "no WAL file was created"
    );
}

#[tokio::test]
async fn a_store_with_a_damaged_page_is_reported_and_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let records: Vec<Record> = (0..400)
        .map(|i| Record::Invoice(invoice(&i.to_string(), "0", &format!("INV-{i}"))))
        .collect();
    store
        .apply_page("books", "invoices", records, Some("c".into()))
        .await
        .unwrap();
    store.close().await.unwrap();

    // Overwrite the middle of the file, as a failing disk or a bad copy would.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 40_000, "the store spans many pages");
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid - 2048..mid + 2048] {
        *b = 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let before = snapshot(&path);

    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()));
    assert_eq!(snapshot(&path), before, "nothing was written");
}

#[tokio::test]
async fn another_programs_database_is_not_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    {
        use sqlx::Connection;
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        sqlx::query("CREATE TABLE journal (id INTEGER PRIMARY KEY, memo TEXT)")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    let before = snapshot(&path);
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    assert!(err.to_string().contains("journal"), "{err}");
    assert_eq!(snapshot(&path), before);
}

#[tokio::test]
async fn store_urls_name_sqlite_files_or_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("state.db");
    let store = SqliteStore::open_url(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store
        .apply_page(
            "books",
            "invoices",
            vec![Record::Invoice(invoice("1", "0", "INV-1"))],
            None,
        )
        .await
        .unwrap();
    store.close().await.unwrap();
    let again = SqliteStore::open_url(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    assert_eq!(again.invoices(None, Which::All).await.unwrap().len(), 1);

    let memory = SqliteStore::open_url("sqlite::memory:").await.unwrap();
    assert!(memory.invoices(None, Which::All).await.unwrap().is_empty());

    for (url, hint) in [
        ("postgres://arsync@db/arsync", "PostgreSQL"),
        ("mysql://x", "scheme must be sqlite"),
        ("sqlite://", "path is empty"),
        ("sqlite://state.db?mode=rwc", "options are not accepted"),
    ] {
        let err = SqliteStore::open_url(url).await.unwrap_err();
        assert!(matches!(err, StoreError::BadUrl { .. }), "{url}: {err}");
        assert!(err.to_string().contains(hint), "{url}: {err}");
    }
}

#[tokio::test]
async fn a_directory_or_an_unwritable_place_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(dir.path()).await.unwrap_err();
    assert!(matches!(err, StoreError::IsDirectory { .. }), "{err}");
    assert!(err.to_string().contains("state.db"), "{err}");

    // A parent that is a file cannot become a directory.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let err = SqliteStore::open(blocker.join("state.db"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err}");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}
