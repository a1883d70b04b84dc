//! The writes to the outbox, the audit log and the documents, each on a connection that
//! is already inside a `BEGIN IMMEDIATE` transaction, so that several can share one.

use super::{OUTBOX_COLUMNS, get, outbox_entry};
use crate::audit::{self, GENESIS_HASH};
use crate::batch::{OutboxChange, Write, Written};
use crate::error::{Result, StoreError, sql};
use crate::outbox::{OutboxEntry, OutboxItem, OutboxState};
use serde_json::Value;
use sqlx::sqlite::SqliteConnection;

/// Applies one write of a batch.
pub(super) async fn write_in(
    conn: &mut SqliteConnection,
    write: &Write,
    now: &str,
) -> Result<Written> {
    Ok(match write {
        Write::PutDoc {
            namespace,
            key,
            value,
        } => {
            put_doc_in(conn, namespace, key, value, now).await?;
            Written::DocPut
        }
        Write::DeleteDoc { namespace, key } => {
            Written::DocDeleted(delete_doc_in(conn, namespace, key).await?)
        }
        Write::Enqueue(item) => Written::Enqueued(enqueue_in(conn, item, now).await?),
        Write::Outbox {
            idempotency_key,
            change,
        } => Written::Outbox(Box::new(
            change_outbox_in(conn, idempotency_key, change, now).await?,
        )),
        Write::Audit {
            kind,
            subject,
            detail,
        } => Written::Audited(append_in(conn, kind, subject, detail, now).await?),
    })
}

pub(super) async fn enqueue_in(
    conn: &mut SqliteConnection,
    item: &OutboxItem,
    now: &str,
) -> Result<bool> {
    if item.idempotency_key.trim().is_empty() {
        return Err(StoreError::InvalidRecord {
            record: format!("outbox item {} on {}", item.action, item.target),
            reason: "has an empty idempotency key; derive one from connection, action, target and business version".into(),
        });
    }
    let payload = serde_json::to_string(&item.payload).map_err(|e| StoreError::InvalidRecord {
        record: format!("outbox item '{}'", item.idempotency_key),
        reason: format!("payload cannot be written as JSON: {e}"),
    })?;
    sqlx::query(
        "INSERT INTO outbox (idempotency_key, connection, action, target, payload, state, \
           attempts, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(&item.idempotency_key)
    .bind(&item.connection)
    .bind(&item.action)
    .bind(&item.target)
    .bind(&payload)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected() == 1)
    .map_err(sql("enqueueing an outbox item"))
}

/// Moves an outbox item to another state, refusing a move its current state does not allow.
pub(super) async fn change_outbox_in(
    conn: &mut SqliteConnection,
    key: &str,
    change: &OutboxChange,
    now: &str,
) -> Result<OutboxEntry> {
    use OutboxState::{Dead, Done, Failed, InFlight, Pending};
    let (from, to, count_attempt, error, result): (&[OutboxState], _, _, _, _) = match change {
        OutboxChange::InFlight => (&[Pending, Failed], InFlight, true, None, None),
        OutboxChange::Done(result) => (&[InFlight], Done, false, None, result.as_ref()),
        OutboxChange::Failed(error) => (&[InFlight], Failed, false, Some(error.as_str()), None),
        OutboxChange::Dead(error) => (
            &[Pending, InFlight, Failed],
            Dead,
            false,
            Some(error.as_str()),
            None,
        ),
    };
    let result_text =
        result
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::InvalidRecord {
                record: format!("outbox item '{key}'"),
                reason: format!("result cannot be written as JSON: {e}"),
            })?;
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM outbox WHERE idempotency_key = ?1")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(sql("reading an outbox item"))?;
    let Some(state) = state else {
        return Err(StoreError::OutboxMissing {
            key: key.to_owned(),
        });
    };
    if !from.iter().any(|s| s.as_str() == state) {
        return Err(StoreError::OutboxTransition {
            key: key.to_owned(),
            from: state,
            to: to.as_str(),
        });
    }
    let query = format!(
        "UPDATE outbox SET state = ?2, attempts = attempts + ?3, \
           last_error = coalesce(?4, last_error), result = coalesce(?5, result), \
           updated_at = ?6 \
         WHERE idempotency_key = ?1 RETURNING {OUTBOX_COLUMNS}"
    );
    let row = sqlx::query(&query)
        .bind(key)
        .bind(to.as_str())
        .bind(i64::from(count_attempt))
        .bind(error)
        .bind(result_text.as_deref())
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(sql("changing an outbox item"))?;
    outbox_entry(&row)
}

/// Appends an audit row after the recorded head and advances the head.
pub(super) async fn append_in(
    conn: &mut SqliteConnection,
    kind: &str,
    subject: &str,
    detail: &Value,
    at: &str,
) -> Result<u64> {
    let detail = audit::canonical_json(detail);
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(sql("reading the audit head"))?;
    let (prev_seq, prev_hash) = match head {
        Some(row) => (get::<i64>(&row, "seq")?, get::<String>(&row, "hash")?),
        None => (0, GENESIS_HASH.to_owned()),
    };
    let seq = prev_seq + 1;
    let seq_u = u64::try_from(seq).map_err(|e| StoreError::Decode {
        what: "audit head".into(),
        detail: e.to_string(),
    })?;
    let hash = audit::chain_hash(&prev_hash, seq_u, at, kind, subject, &detail);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, kind, subject, detail, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(seq)
    .bind(at)
    .bind(kind)
    .bind(subject)
    .bind(&detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await
    .map_err(sql("appending to the audit log"))?;
    sqlx::query(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .bind(seq)
    .bind(&hash)
    .execute(&mut *conn)
    .await
    .map_err(sql("advancing the audit head"))?;
    Ok(seq_u)
}

pub(super) async fn put_doc_in(
    conn: &mut SqliteConnection,
    namespace: &str,
    key: &str,
    value: &Value,
    now: &str,
) -> Result<()> {
    if namespace.trim().is_empty() || key.trim().is_empty() {
        return Err(StoreError::InvalidRecord {
            record: format!("document '{namespace}'/'{key}'"),
            reason: "namespace and key must not be empty".into(),
        });
    }
    let text = serde_json::to_string(value).map_err(|e| StoreError::InvalidRecord {
        record: format!("document {namespace}/{key}"),
        reason: format!("cannot be written as JSON: {e}"),
    })?;
    sqlx::query(
        "INSERT INTO documents (namespace, key, value, updated_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, \
         updated_at = excluded.updated_at",
    )
    .bind(namespace)
    .bind(key)
    .bind(&text)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(sql("writing a document"))
}

pub(super) async fn delete_doc_in(
    conn: &mut SqliteConnection,
    namespace: &str,
    key: &str,
) -> Result<bool> {
    sqlx::query("DELETE FROM documents WHERE namespace = ?1 AND key = ?2")
        .bind(namespace)
        .bind(key)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() > 0)
        .map_err(sql("deleting a document"))
}
