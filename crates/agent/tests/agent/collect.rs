//! Overdue statuses and collection tasks, queued and written back once.

use crate::support::{Book, Ledger, date, invoice};
use arsync_collect::{StateEvent, StateKind, StateTarget};
use arsync_model::{CollectionState, DocumentStatus, TaskState};
use arsync_store::{OutboxState, Store};
use chrono::{TimeZone, Utc};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

fn file_hash(path: &std::path::Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[tokio::test]
async fn collecting_twice_queues_and_pushes_each_status_and_task_once() {
    let book = Book::with_ledger(5, 2).await;
    book.agent().sync(&[]).await.unwrap();
    let as_of = date(2026, 3, 20); // 44 days after the due date of 4 February

    let first = book.agent().collect(as_of, false).await.unwrap();
    assert_eq!(first.statuses.len(), 5, "every open invoice has a status");
    assert!(first.statuses.iter().all(|s| s.status.days_overdue == 44));
    assert!(!first.plan.new.is_empty(), "overdue invoices raise tasks");
    let statuses = first.queued.iter().filter(|q| q.action == "status").count();
    let tasks = first.queued.iter().filter(|q| q.action == "task").count();
    assert_eq!(statuses, 5);
    assert_eq!(tasks, first.plan.new.len());
    let sent: Vec<_> = first.pushes.iter().flat_map(|p| &p.attempts).collect();
    assert_eq!(sent.len(), first.queued.len());
    assert!(sent.iter().all(|a| a.outcome == "applied"), "{sent:?}");
    let audit = book.store.audit_entries(0, 1000).await.unwrap();
    let attempts: Vec<_> = audit
        .iter()
        .filter(|a| a.kind == "push.attempt")
        .map(|a| &a.subject)
        .collect();
    assert_eq!(attempts.len(), sent.len(), "one audit row per attempt");
    assert!(sent.iter().all(|a| attempts.contains(&&a.idempotency_key)));

    let second = book.agent().collect(as_of, false).await.unwrap();
    assert!(second.queued.is_empty(), "{:?}", second.queued);
    assert!(second.plan.is_quiet(), "no task changes on the same day");
    assert_eq!(
        second.already_queued, statuses,
        "the same statuses were found queued"
    );
    assert!(second.pushes.iter().all(|p| p.attempts.is_empty()));

    let outbox = book.store.outbox_entries("ledger", None).await.unwrap();
    assert_eq!(outbox.len(), first.queued.len());
    assert!(
        outbox
            .iter()
            .all(|e| e.state == OutboxState::Done && e.attempts == 1)
    );
    let keys: BTreeSet<_> = outbox.iter().map(|e| &e.item.idempotency_key).collect();
    assert_eq!(keys.len(), outbox.len());

    // The tasks are kept and read back as planned.
    let kept = book.agent().tasks().await.unwrap();
    assert_eq!(kept.len(), first.plan.new.len());
    assert!(kept.iter().all(|t| t.state == TaskState::Open));
    let work = book.agent().open_tasks().await.unwrap();
    assert_eq!(work.len(), kept.len());
    assert!(work.windows(2).all(|w| w[0].priority >= w[1].priority));
}

#[tokio::test]
async fn the_next_day_pushes_no_status_again_unless_it_changed() {
    let book = Book::with_ledger(3, 5).await;
    book.agent().sync(&[]).await.unwrap();
    let first = book
        .agent()
        .collect(date(2026, 3, 20), false)
        .await
        .unwrap();
    // One day later the invoices are 45 days overdue: same bucket (31-60), same step.
    let next_day = book
        .agent()
        .collect(date(2026, 3, 21), false)
        .await
        .unwrap();
    assert!(
        next_day.queued.iter().all(|q| q.action != "status"),
        "{:?}",
        next_day.queued
    );
    // Past 60 days the bucket changes, so each status is written again once.
    let later = book
        .agent()
        .collect(date(2026, 4, 10), false)
        .await
        .unwrap();
    assert_eq!(
        later.queued.iter().filter(|q| q.action == "status").count(),
        3
    );
    assert!(
        first
            .statuses
            .iter()
            .all(|s| s.status.bucket != later.statuses[0].status.bucket)
    );
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_says_what_a_real_run_would_do() {
    let book = Book::with_ledger(5, 2).await;
    book.agent().sync(&[]).await.unwrap();
    book.store.checkpoint().await.unwrap();
    let before = file_hash(&book.store_file());
    let audit_before = book.store.audit_entries(0, 1000).await.unwrap().len();

    let dry = book.agent().collect(date(2026, 3, 20), true).await.unwrap();
    assert!(dry.dry_run);
    assert!(!dry.queued.is_empty());
    assert_eq!(dry.would_push.len(), dry.queued.len());
    assert!(dry.pushes.is_empty());

    book.store.checkpoint().await.unwrap();
    assert_eq!(
        file_hash(&book.store_file()),
        before,
        "the store file is unchanged"
    );
    assert_eq!(
        book.store.audit_entries(0, 1000).await.unwrap().len(),
        audit_before
    );
    assert!(
        book.store
            .outbox_entries("ledger", None)
            .await
            .unwrap()
            .is_empty()
    );

    let real = book
        .agent()
        .collect(date(2026, 3, 20), false)
        .await
        .unwrap();
    assert_eq!(
        real.queued, dry.queued,
        "the dry run announced exactly this"
    );
}

#[tokio::test]
async fn a_recorded_dispute_pauses_collection_and_closes_the_task_once() {
    let book = Book::with_ledger(1, 1).await;
    book.agent().sync(&[]).await.unwrap();
    let as_of = date(2026, 3, 20);
    let first = book.agent().collect(as_of, false).await.unwrap();
    assert_eq!(first.plan.new.len(), 1);

    let dispute = StateEvent {
        target: StateTarget::Item {
            connection: "ledger".into(),
            item_id: "inv-1".into(),
        },
        kind: StateKind::Disputed,
        from: date(2026, 3, 18),
        until: None,
        who: "credit control".into(),
        why: "customer says the goods arrived damaged".into(),
        at: Utc.with_ymd_and_hms(2026, 3, 18, 9, 30, 0).unwrap(),
    };
    let key = book.agent().record_event(dispute.clone()).await.unwrap();
    assert_eq!(book.agent().record_event(dispute).await.unwrap(), key);
    assert_eq!(book.agent().events().await.unwrap().len(), 1, "kept once");

    let after = book.agent().collect(as_of, false).await.unwrap();
    assert_eq!(after.statuses[0].status.state, CollectionState::Disputed);
    assert_eq!(after.plan.closed.len(), 1);
    assert_eq!(
        after.plan.closed[0].key, first.plan.new[0].key,
        "the call is closed"
    );
    assert!(
        after
            .plan
            .new
            .iter()
            .all(|t| t.key.contains("resolve_dispute")),
        "{:?}",
        after.plan.new
    );
    let pushed: Vec<_> = after.pushes.iter().flat_map(|p| &p.attempts).collect();
    let closing = format!("ledger/task/{}/closed:", first.plan.new[0].key);
    assert_eq!(
        pushed
            .iter()
            .filter(|a| a.idempotency_key.starts_with(&closing))
            .count(),
        1,
        "{pushed:?}"
    );
    assert_eq!(
        pushed.iter().filter(|a| a.action == "task").count(),
        1 + after.plan.new.len()
    );
    assert_eq!(
        pushed.iter().filter(|a| a.action == "status").count(),
        1,
        "disputed"
    );

    let again = book.agent().collect(as_of, false).await.unwrap();
    assert!(again.queued.is_empty());
}

#[tokio::test]
async fn an_event_without_a_reason_is_refused_with_the_fix() {
    let book = Book::with_ledger(1, 1).await;
    let err = book
        .agent()
        .record_event(StateEvent {
            target: StateTarget::Item {
                connection: "ledger".into(),
                item_id: "inv-1".into(),
            },
            kind: StateKind::WrittenOff,
            from: date(2026, 3, 18),
            until: None,
            who: "controller".into(),
            why: " ".into(),
            at: Utc.with_ymd_and_hms(2026, 3, 18, 9, 30, 0).unwrap(),
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("why"), "{err}");
    assert!(book.agent().events().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_invoice_paid_after_its_status_was_written_gets_one_settled_status() {
    let book = Book::with(&[Ledger {
        name: "books",
        settings: "path = \"ledger.json\"",
    }])
    .await;
    let ledger = book.dir.path().join("ledger.json");
    let mut invoices = vec![
        invoice("INV-1", "acme", "800.00", date(2026, 2, 1)),
        invoice("INV-2", "acme", "200.00", date(2026, 2, 1)),
    ];
    std::fs::write(&ledger, serde_json::to_vec(&invoices).unwrap()).unwrap();
    book.agent().sync(&[]).await.unwrap();
    let as_of = date(2026, 3, 20);
    let first = book.agent().collect(as_of, false).await.unwrap();
    assert_eq!(first.statuses.len(), 2);
    assert!(first.settled.is_empty());

    // The customer pays INV-1 in full; the books say so in a new version.
    invoices[0].status = DocumentStatus::Paid;
    invoices[0].open_amount = "0".parse().unwrap();
    invoices[0].origin.source_version = Some("2".into());
    std::fs::write(&ledger, serde_json::to_vec(&invoices).unwrap()).unwrap();
    book.agent().sync(&[]).await.unwrap();

    let after = book.agent().collect(as_of, false).await.unwrap();
    assert_eq!(after.statuses.len(), 1, "only INV-2 is open");
    assert_eq!(after.settled.len(), 1);
    assert_eq!(after.settled[0].item_id, "INV-1");
    assert_eq!(after.settled[0].state, CollectionState::Settled);
    assert!(after.settled[0].open.is_zero());
    let settled: Vec<_> = after
        .queued
        .iter()
        .filter(|q| q.action == "status")
        .collect();
    assert_eq!(settled.len(), 1);
    assert!(settled[0].target.contains("INV-1"));
    assert!(
        after.plan.closed.iter().any(|t| t.key.contains("INV-1")),
        "its task closes"
    );

    let again = book.agent().collect(as_of, false).await.unwrap();
    assert!(again.settled.is_empty(), "written once");
    assert!(again.queued.is_empty());
}
