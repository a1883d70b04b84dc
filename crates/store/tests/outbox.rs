//! The outbox: one row per idempotency key, and a state machine a retry cannot bend.
// Helpers of this test crate may unwrap and panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use arsync_store::{OutboxItem, OutboxState, SqliteStore, Store, StoreError};
use serde_json::json;

fn status_push(invoice: &str, version: &str) -> OutboxItem {
    OutboxItem {
        idempotency_key: format!("books:push_status:invoice:{invoice}:{version}"),
        connection: "books".into(),
        action: "push_status".into(),
        target: format!("invoice:{invoice}"),
        payload: json!({"invoice": invoice, "overdue_days": 14, "open": "1190.00"}),
    }
}

#[tokio::test]
async fn enqueuing_the_same_status_push_twice_makes_one_row() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    assert!(store.enqueue(&status_push("130", "5")).await.unwrap());
    let mut retry = status_push("130", "5");
    retry.payload = json!({"invoice": "130", "overdue_days": 15});
    assert!(!store.enqueue(&retry).await.unwrap());
    let pending = store.pending("books", 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].item,
        status_push("130", "5"),
        "the first payload stays"
    );
    assert_eq!(pending[0].state, OutboxState::Pending);
    // The next business version is a new write.
    assert!(store.enqueue(&status_push("130", "6")).await.unwrap());
    assert_eq!(store.pending("books", 10).await.unwrap().len(), 2);
    assert_eq!(store.pending("books", 1).await.unwrap().len(), 1);
    assert!(store.pending("xero", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_workers_enqueuing_at_once_still_make_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let a = SqliteStore::open(&path).await.unwrap();
    let b = SqliteStore::open(&path).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store.enqueue(&status_push("130", "5")).await.unwrap()
        }));
    }
    let mut created = 0;
    for t in tasks {
        if t.await.unwrap() {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(a.outbox_entries("books", None).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_push_that_fails_once_is_retried_and_then_done() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let key = status_push("130", "5").idempotency_key;
    store.enqueue(&status_push("130", "5")).await.unwrap();

    let sending = store.mark_in_flight(&key).await.unwrap();
    assert_eq!(
        (sending.state, sending.attempts),
        (OutboxState::InFlight, 1)
    );
    assert!(
        store.pending("books", 10).await.unwrap().is_empty(),
        "in flight is not offered again"
    );

    let failed = store
        .mark_failed(&key, "HTTP 503 from the books; retry after 30 s")
        .await
        .unwrap();
    assert_eq!(failed.state, OutboxState::Failed);
    assert_eq!(
        failed.last_error.as_deref(),
        Some("HTTP 503 from the books; retry after 30 s")
    );
    assert_eq!(
        store.pending("books", 10).await.unwrap().len(),
        1,
        "failed items are retried"
    );

    store.mark_in_flight(&key).await.unwrap();
    let done = store
        .mark_done(&key, Some(&json!({"SyncToken": "6"})))
        .await
        .unwrap();
    assert_eq!(done.state, OutboxState::Done);
    assert_eq!(done.attempts, 2);
    assert_eq!(done.result, Some(json!({"SyncToken": "6"})));
    assert!(store.pending("books", 10).await.unwrap().is_empty());
    assert_eq!(store.outbox_item(&key).await.unwrap(), Some(done));
}

#[tokio::test]
async fn a_done_push_cannot_be_sent_again_and_unknown_keys_are_named() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let key = status_push("130", "5").idempotency_key;
    store.enqueue(&status_push("130", "5")).await.unwrap();
    let err = store.mark_done(&key, None).await.unwrap_err();
    assert!(
        matches!(err, StoreError::OutboxTransition { .. }),
        "pending cannot jump to done"
    );
    store.mark_in_flight(&key).await.unwrap();
    store.mark_done(&key, None).await.unwrap();
    let err = store.mark_in_flight(&key).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("is done and cannot become in_flight"),
        "{err}"
    );
    let err = store.mark_dead(&key, "x").await.unwrap_err();
    assert!(matches!(err, StoreError::OutboxTransition { .. }));

    let err = store.mark_in_flight("books:nothing").await.unwrap_err();
    assert!(err.to_string().contains("'books:nothing'"), "{err}");
    assert_eq!(store.outbox_item("books:nothing").await.unwrap(), None);
}

#[tokio::test]
async fn a_push_that_keeps_failing_is_given_up_for_a_person() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let key = status_push("130", "5").idempotency_key;
    store.enqueue(&status_push("130", "5")).await.unwrap();
    for _ in 0..3 {
        store.mark_in_flight(&key).await.unwrap();
        store
            .mark_failed(&key, "ValidationFault: invoice is closed")
            .await
            .unwrap();
    }
    let dead = store
        .mark_dead(&key, "gave up after 3 attempts")
        .await
        .unwrap();
    assert_eq!((dead.state, dead.attempts), (OutboxState::Dead, 3));
    assert!(store.pending("books", 10).await.unwrap().is_empty());
    assert_eq!(
        store
            .outbox_entries("books", Some(OutboxState::Dead))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn pushes_left_in_flight_by_a_crash_are_sent_again_with_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let key = status_push("130", "5").idempotency_key;
    store.enqueue(&status_push("130", "5")).await.unwrap();
    store.mark_in_flight(&key).await.unwrap();
    drop(store); // the process dies mid-request

    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.requeue_in_flight("books").await.unwrap(), 1);
    let again = store.pending("books", 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].item.idempotency_key, key);
    assert_eq!(again[0].attempts, 1);
}

#[tokio::test]
async fn an_empty_idempotency_key_is_refused() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let mut item = status_push("130", "5");
    item.idempotency_key = " ".into();
    let err = store.enqueue(&item).await.unwrap_err();
    assert!(err.to_string().contains("empty idempotency key"), "{err}");
}
