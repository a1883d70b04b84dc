//! Writes that belong together land together.
// Helpers of this test crate may unwrap and panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::panic)]

use arsync_store::{
    AuditCheck, OutboxChange, OutboxItem, OutboxState, SqliteStore, Store, StoreError, Write,
    Written,
};
use serde_json::json;

fn push(key: &str) -> OutboxItem {
    OutboxItem {
        idempotency_key: key.into(),
        connection: "books".into(),
        action: "push_task".into(),
        target: "invoice:130".into(),
        payload: json!({"task": "call", "due": "2026-10-20"}),
    }
}

#[tokio::test]
async fn a_push_attempt_and_its_audit_row_are_written_together() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let key = "books:push_task:invoice:130:call:2026-10-20";
    let done = store
        .write_all(&[
            Write::Enqueue(push(key)),
            Write::Outbox {
                idempotency_key: key.into(),
                change: OutboxChange::InFlight,
            },
            Write::Audit {
                kind: "push_attempt".into(),
                subject: "books:invoice:130".into(),
                detail: json!({"key": key, "attempt": 1}),
            },
        ])
        .await
        .unwrap();
    assert_eq!(done[0], Written::Enqueued(true));
    let Written::Outbox(entry) = &done[1] else {
        panic!("expected the outbox entry, got {:?}", done[1])
    };
    assert_eq!((entry.state, entry.attempts), (OutboxState::InFlight, 1));
    assert_eq!(done[2], Written::Audited(1));
    assert!(matches!(
        store.verify().await.unwrap(),
        AuditCheck::Intact { rows: 1, .. }
    ));
}

#[tokio::test]
async fn a_decision_whose_audit_cannot_be_linked_to_a_push_is_not_kept_either() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let err = store
        .write_all(&[
            Write::PutDoc {
                namespace: "reconcile.decisions".into(),
                key: "bank:R1".into(),
                value: json!({"invoices": ["130"], "fee": "15.00"}),
            },
            Write::Audit {
                kind: "match_decision".into(),
                subject: "bank:R1".into(),
                detail: json!({"invoices": ["130"]}),
            },
            // The push it refers to was never enqueued.
            Write::Outbox {
                idempotency_key: "books:push_payment:R1".into(),
                change: OutboxChange::Done(None),
            },
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::OutboxMissing { .. }), "{err}");
    assert_eq!(
        store
            .get_doc("reconcile.decisions", "bank:R1")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store.verify().await.unwrap(),
        AuditCheck::Intact { rows: 0, .. }
    ));
    // The log continues at 1: the rolled-back row left no hole.
    assert_eq!(store.append("note", "x", &json!({})).await.unwrap(), 1);
}
