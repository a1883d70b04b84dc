//! The audit log: append-only, hash-chained, exportable, and tamper-evident even when the
//! guarding triggers are dropped.
// Helpers of this test crate may unwrap and panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use arsync_store::{
    AuditCheck, AuditEntry, BreakReason, GENESIS_HASH, SqliteStore, Store, canonical_json,
    chain_hash,
};
use common::*;
use serde_json::json;

async fn log_three(store: &SqliteStore) {
    let a = store
        .append("match_decision", "books:invoice:130", &json!({"receipt": "bank:R1", "amount": "1175.00", "fee": "15.00", "rule": "reference"}))
        .await
        .unwrap();
    let b = store
        .append(
            "push_attempt",
            "books:invoice:130",
            &json!({"key": "books:push_status:invoice:130:5", "outcome": "ok"}),
        )
        .await
        .unwrap();
    let c = store
        .append(
            "match_decision",
            "books:invoice:131",
            &json!({"receipt": "bank:R2", "amount": "50.00", "rule": "suggested"}),
        )
        .await
        .unwrap();
    assert_eq!((a, b, c), (1, 2, 3));
}

fn broken(check: AuditCheck) -> (u64, BreakReason) {
    match check {
        AuditCheck::Broken(b) => (b.seq, b.reason),
        AuditCheck::Intact { .. } => panic!("tampering was not detected"),
    }
}

#[tokio::test]
async fn an_untouched_log_verifies_and_exports_as_chained_json_lines() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    assert_eq!(
        store.verify().await.unwrap(),
        AuditCheck::Intact {
            rows: 0,
            head: GENESIS_HASH.into()
        }
    );
    log_three(&store).await;
    let AuditCheck::Intact { rows, head } = store.verify().await.unwrap() else {
        panic!("fresh log reported broken")
    };
    assert_eq!(rows, 3);

    let mut out = Vec::new();
    assert_eq!(store.export_jsonl(&mut out).await.unwrap(), 3);
    let text = String::from_utf8(out).unwrap();
    let entries: Vec<AuditEntry> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 3);
    let mut prev = GENESIS_HASH.to_owned();
    for e in &entries {
        assert_eq!(e.prev_hash, prev);
        // Anyone holding the export can recompute the chain.
        let recomputed = chain_hash(
            &e.prev_hash,
            e.seq,
            &e.at,
            &e.kind,
            &e.subject,
            &canonical_json(&e.detail),
        );
        assert_eq!(recomputed, e.hash);
        prev = e.hash.clone();
    }
    assert_eq!(prev, head);
    assert_eq!(entries[0].detail["fee"], "15.00");
    assert_eq!(store.audit_entries(1, 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_audit_rows() {
    let (store, _dir, path) = fresh_store().await;
    log_three(&store).await;
    let mut raw = raw(&path).await;
    let update = sqlx::query("UPDATE audit_log SET detail = '{}' WHERE seq = 2")
        .execute(&mut raw)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&mut raw)
        .await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    assert!(matches!(
        store.verify().await.unwrap(),
        AuditCheck::Intact { rows: 3, .. }
    ));
}

async fn without_guards(path: &std::path::Path) -> sqlx::SqliteConnection {
    let mut raw = raw(path).await;
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER audit_log_no_delete")
        .execute(&mut raw)
        .await
        .unwrap();
    raw
}

#[tokio::test]
async fn a_matched_amount_changed_behind_arsyncs_back_is_found() {
    let (store, _dir, path) = fresh_store().await;
    log_three(&store).await;
    let mut raw = without_guards(&path).await;
    sqlx::query(
        "UPDATE audit_log SET detail = replace(detail, '1175.00', '1075.00') WHERE seq = 1",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    assert_eq!(
        broken(store.verify().await.unwrap()),
        (1, BreakReason::Changed)
    );
}

#[tokio::test]
async fn a_row_rewritten_with_a_recomputed_hash_is_found_at_the_next_row() {
    let (store, _dir, path) = fresh_store().await;
    log_three(&store).await;
    let mut raw = without_guards(&path).await;
    let row: (String, String, String, String) =
        sqlx::query_as("SELECT prev_hash, at, kind, detail FROM audit_log WHERE seq = 2")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    let forged = chain_hash(&row.0, 2, &row.1, &row.2, "books:invoice:999", &row.3);
    sqlx::query("UPDATE audit_log SET subject = 'books:invoice:999', hash = ?1 WHERE seq = 2")
        .bind(forged)
        .execute(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        broken(store.verify().await.unwrap()),
        (3, BreakReason::Unlinked)
    );
}

#[tokio::test]
async fn a_deleted_row_is_found_in_the_middle_and_at_the_end() {
    let (store, _dir, path) = fresh_store().await;
    log_three(&store).await;
    let mut raw = without_guards(&path).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&mut raw)
        .await
        .unwrap();
    let AuditCheck::Broken(b) = store.verify().await.unwrap() else {
        panic!("gap not detected")
    };
    assert_eq!((b.seq, b.reason), (2, BreakReason::Missing));
    assert!(b.detail.contains("rows 2..2 are missing"), "{}", b.detail);

    let (store, _dir2, path) = fresh_store().await;
    log_three(&store).await;
    let mut raw = without_guards(&path).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        broken(store.verify().await.unwrap()),
        (3, BreakReason::Truncated)
    );
    // Appending afterwards does not paper over the hole.
    assert_eq!(store.append("note", "x", &json!({})).await.unwrap(), 4);
    assert_eq!(
        broken(store.verify().await.unwrap()),
        (3, BreakReason::Missing)
    );
}

#[tokio::test]
async fn two_processes_appending_at_once_keep_one_unbroken_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let a = SqliteStore::open(&path).await.unwrap();
    let b = SqliteStore::open(&path).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store
                .append(
                    "push_attempt",
                    &format!("books:invoice:{i}"),
                    &json!({"i": i}),
                )
                .await
                .unwrap()
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=20).collect::<Vec<u64>>());
    assert!(matches!(
        b.verify().await.unwrap(),
        AuditCheck::Intact { rows: 20, .. }
    ));
}

#[tokio::test]
async fn a_long_log_is_checked_past_the_first_batch() {
    let (store, _dir, path) = fresh_store().await;
    let mut raw = raw(&path).await;
    // Rows written exactly as arsync writes them, many at once.
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut raw)
        .await
        .unwrap();
    let mut prev = GENESIS_HASH.to_owned();
    let at = "2026-10-05T09:00:00.000000Z";
    for seq in 1..=2500u64 {
        let detail = canonical_json(&json!({"receipt": format!("bank:R{seq}"), "amount": "10.00"}));
        let subject = format!("books:invoice:{seq}");
        let hash = chain_hash(&prev, seq, at, "match_decision", &subject, &detail);
        sqlx::query("INSERT INTO audit_log VALUES (?1, ?2, 'match_decision', ?3, ?4, ?5, ?6)")
            .bind(i64::try_from(seq).unwrap())
            .bind(at)
            .bind(&subject)
            .bind(&detail)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut raw)
            .await
            .unwrap();
        prev = hash;
    }
    sqlx::query("INSERT INTO audit_head (id, seq, hash) VALUES (1, 2500, ?1)")
        .bind(&prev)
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query("COMMIT").execute(&mut raw).await.unwrap();
    assert_eq!(
        store.verify().await.unwrap(),
        AuditCheck::Intact {
            rows: 2500,
            head: prev
        }
    );
    assert_eq!(store.append("note", "x", &json!({})).await.unwrap(), 2501);

    let mut raw = without_guards(&path).await;
    sqlx::query("UPDATE audit_log SET detail = replace(detail, '10.00', '1.00') WHERE seq = 2222")
        .execute(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        broken(store.verify().await.unwrap()),
        (2222, BreakReason::Changed)
    );
    let mut out = Vec::new();
    assert_eq!(
        store.export_jsonl(&mut out).await.unwrap(),
        2501,
        "export reads every batch"
    );
}
