//! Records, tombstones, cursors and imported files: what one page of a stream writes.

use super::get;
use crate::error::{Result, StoreError, sql};
use crate::record::{
    Change, Deletion, ImportedFile, Page, PageOutcome, Record, RecordChange, StoredVersion,
    compare_versions, decide,
};
use arsync_model::RecordKind;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteConnection;
use std::cmp::Ordering;

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(super) fn record_json(record: &Record) -> Result<String> {
    let json = match record {
        Record::Party(r) => serde_json::to_string(r),
        Record::Invoice(r) => serde_json::to_string(r),
        Record::CreditNote(r) => serde_json::to_string(r),
        Record::Payment(r) => serde_json::to_string(r),
        Record::BankEntry(r) => serde_json::to_string(r),
        Record::FxRate(r) => serde_json::to_string(r),
    };
    json.map_err(|e| StoreError::InvalidRecord {
        record: record.label(),
        reason: format!("cannot be written as JSON: {e}"),
    })
}

pub(super) fn decode_record(kind: RecordKind, data: &str) -> serde_json::Result<Record> {
    Ok(match kind {
        RecordKind::Party => Record::Party(serde_json::from_str(data)?),
        RecordKind::Invoice => Record::Invoice(serde_json::from_str(data)?),
        RecordKind::CreditNote => Record::CreditNote(serde_json::from_str(data)?),
        RecordKind::Payment => Record::Payment(serde_json::from_str(data)?),
        RecordKind::BankEntry => Record::BankEntry(serde_json::from_str(data)?),
        RecordKind::FxRate => Record::FxRate(serde_json::from_str(data)?),
    })
}

pub(super) fn check_page(page: &Page) -> Result<()> {
    let invalid = |record: String, reason: String| StoreError::InvalidRecord { record, reason };
    if page.connection.trim().is_empty() || page.stream.trim().is_empty() {
        return Err(invalid(
            format!("page of stream '{}'", page.stream),
            "a page needs a connection and a stream name".into(),
        ));
    }
    for record in &page.records {
        if let Some(origin) = record.origin()
            && origin.connection != page.connection
        {
            return Err(invalid(
                record.label(),
                format!(
                    "belongs to connection '{}' but came in a page of '{}'; a connection may only deliver its own records",
                    origin.connection, page.connection
                ),
            ));
        }
        if record.external_id().trim().is_empty() {
            return Err(invalid(
                record.label(),
                "has an empty external id; the source's id is required".into(),
            ));
        }
    }
    for deletion in &page.deletions {
        if deletion.external_id.trim().is_empty() {
            return Err(invalid(
                format!("deleted {}", deletion.kind),
                "has an empty external id; the source's id is required".into(),
            ));
        }
    }
    if let Some(file) = &page.file {
        check_sha256(&file.sha256, &file.name)?;
    }
    Ok(())
}

pub(super) fn check_sha256(sha256: &str, name: &str) -> Result<()> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::InvalidRecord {
            record: format!("imported file {name}"),
            reason: format!("'{sha256}' is not a hex SHA-256 (64 hex digits)"),
        });
    }
    Ok(())
}

pub(super) async fn stored_version(
    conn: &mut SqliteConnection,
    connection: &str,
    kind: RecordKind,
    external_id: &str,
) -> Result<Option<(StoredVersion, Option<String>, bool)>> {
    let row = sqlx::query(
        "SELECT source_version, record_hash, data, deleted FROM records \
         WHERE connection = ?1 AND kind = ?2 AND external_id = ?3",
    )
    .bind(connection)
    .bind(kind.as_str())
    .bind(external_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(sql("reading a stored record"))?;
    row.map(|row| {
        Ok((
            StoredVersion {
                source_version: get(&row, "source_version")?,
                record_hash: get(&row, "record_hash")?,
            },
            get(&row, "data")?,
            get::<i64>(&row, "deleted")? != 0,
        ))
    })
    .transpose()
}

pub(super) async fn upsert(
    conn: &mut SqliteConnection,
    connection: &str,
    record: &Record,
    now: &str,
) -> Result<Change> {
    let kind = record.kind();
    let external_id = record.external_id();
    let data = record_json(record)?;
    let record_hash = sha256_hex(data.as_bytes());
    let stored = stored_version(conn, connection, kind, &external_id).await?;
    let change = decide(
        stored.as_ref().map(|(v, _, _)| v),
        record.source_version(),
        &record_hash,
    );
    if !matches!(change, Change::Inserted | Change::Updated) {
        return Ok(change);
    }
    let columns = record.columns();
    sqlx::query(
        "INSERT INTO records (connection, kind, external_id, source_version, payload_hash, \
           record_hash, deleted, status, currency, customer_id, doc_date, due_date, amount, \
           open_amount, data, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
         ON CONFLICT (connection, kind, external_id) DO UPDATE SET \
           source_version = excluded.source_version, payload_hash = excluded.payload_hash, \
           record_hash = excluded.record_hash, deleted = excluded.deleted, \
           status = excluded.status, currency = excluded.currency, \
           customer_id = excluded.customer_id, doc_date = excluded.doc_date, \
           due_date = excluded.due_date, amount = excluded.amount, \
           open_amount = excluded.open_amount, data = excluded.data, \
           updated_at = excluded.updated_at",
    )
    .bind(connection)
    .bind(kind.as_str())
    .bind(&external_id)
    .bind(record.source_version())
    .bind(record.origin().and_then(|o| o.payload_hash.as_deref()))
    .bind(&record_hash)
    .bind(i64::from(record.is_tombstone()))
    .bind(columns.status)
    .bind(columns.currency)
    .bind(columns.customer_id)
    .bind(columns.doc_date)
    .bind(columns.due_date)
    .bind(columns.amount)
    .bind(columns.open_amount)
    .bind(&data)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(sql("writing a record"))?;
    Ok(change)
}

/// Whether a kind carries a status field that a deletion sets to "deleted".
pub(super) fn has_status(kind: RecordKind) -> bool {
    matches!(
        kind,
        RecordKind::Invoice | RecordKind::CreditNote | RecordKind::Payment
    )
}

pub(super) async fn tombstone(
    conn: &mut SqliteConnection,
    connection: &str,
    deletion: &Deletion,
    now: &str,
) -> Result<Change> {
    let kind = deletion.kind;
    let version = deletion.source_version.as_deref();
    let stored = stored_version(conn, connection, kind, &deletion.external_id).await?;
    let data = match stored {
        None => None,
        Some((held, data, deleted)) => {
            if let (Some(old), Some(new)) = (held.source_version.as_deref(), version) {
                match compare_versions(new, old) {
                    Ordering::Less => return Ok(Change::Stale),
                    Ordering::Equal if deleted => return Ok(Change::Unchanged),
                    _ => {}
                }
            } else if deleted {
                return Ok(Change::Unchanged);
            }
            data.map(|d| mark_deleted(kind, &d, version)).transpose()?
        }
    };
    let record_hash = sha256_hex(data.as_deref().unwrap_or_default().as_bytes());
    let status = has_status(kind).then_some("deleted");
    sqlx::query(
        "INSERT INTO records (connection, kind, external_id, source_version, record_hash, \
           deleted, status, data, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8) \
         ON CONFLICT (connection, kind, external_id) DO UPDATE SET \
           source_version = coalesce(excluded.source_version, records.source_version), \
           record_hash = excluded.record_hash, deleted = 1, \
           status = coalesce(excluded.status, records.status), \
           data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(connection)
    .bind(kind.as_str())
    .bind(&deletion.external_id)
    .bind(version)
    .bind(&record_hash)
    .bind(status)
    .bind(data)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(sql("writing a tombstone"))?;
    Ok(Change::Deleted)
}

/// The stored JSON of a record with its status set to deleted and its version advanced.
pub(super) fn mark_deleted(kind: RecordKind, data: &str, version: Option<&str>) -> Result<String> {
    let decode = |e: serde_json::Error| StoreError::Decode {
        what: format!("{kind} record"),
        detail: e.to_string(),
    };
    let mut value: Value = serde_json::from_str(data).map_err(decode)?;
    if let Some(object) = value.as_object_mut() {
        if has_status(kind) {
            object.insert("status".into(), Value::String("deleted".into()));
        }
        if let (Some(v), Some(origin)) = (
            version,
            object.get_mut("origin").and_then(Value::as_object_mut),
        ) {
            origin.insert("source_version".into(), Value::String(v.to_owned()));
        }
    }
    serde_json::to_string(&value).map_err(decode)
}

pub(super) async fn read_cursor(
    conn: &mut SqliteConnection,
    connection: &str,
    stream: &str,
) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT cursor FROM cursors WHERE connection = ?1 AND stream = ?2")
        .bind(connection)
        .bind(stream)
        .fetch_optional(&mut *conn)
        .await
        .map_err(sql("reading a cursor"))
}

pub(super) async fn is_file_seen(
    conn: &mut SqliteConnection,
    connection: &str,
    sha256: &str,
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM imported_files WHERE connection = ?1 AND sha256 = ?2",
    )
    .bind(connection)
    .bind(sha256.to_ascii_lowercase())
    .fetch_one(&mut *conn)
    .await
    .map_err(sql("looking up an imported file"))?;
    Ok(n > 0)
}

pub(super) async fn insert_file(
    conn: &mut SqliteConnection,
    connection: &str,
    file: &ImportedFile,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO imported_files (connection, sha256, name, imported_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (connection, sha256) DO NOTHING",
    )
    .bind(connection)
    .bind(file.sha256.to_ascii_lowercase())
    .bind(&file.name)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(sql("marking a file as imported"))?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn apply_in(
    conn: &mut SqliteConnection,
    page: &Page,
    now: &str,
) -> Result<PageOutcome> {
    if let Some(file) = &page.file
        && is_file_seen(conn, &page.connection, &file.sha256).await?
    {
        return Ok(PageOutcome {
            changes: Vec::new(),
            cursor: read_cursor(conn, &page.connection, &page.stream).await?,
            file_already_imported: true,
        });
    }
    let mut changes = Vec::with_capacity(page.records.len() + page.deletions.len());
    for record in &page.records {
        let change = upsert(conn, &page.connection, record, now).await?;
        changes.push(RecordChange {
            kind: record.kind(),
            external_id: record.external_id(),
            change,
        });
    }
    for deletion in &page.deletions {
        let change = tombstone(conn, &page.connection, deletion, now).await?;
        changes.push(RecordChange {
            kind: deletion.kind,
            external_id: deletion.external_id.clone(),
            change,
        });
    }
    if let Some(file) = &page.file {
        insert_file(conn, &page.connection, file, now).await?;
    }
    if let Some(cursor) = &page.next_cursor {
        sqlx::query(
            "INSERT INTO cursors (connection, stream, cursor, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (connection, stream) DO UPDATE SET cursor = excluded.cursor, \
             updated_at = excluded.updated_at",
        )
        .bind(&page.connection)
        .bind(&page.stream)
        .bind(cursor)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(sql("advancing a cursor"))?;
    }
    Ok(PageOutcome {
        changes,
        cursor: read_cursor(conn, &page.connection, &page.stream).await?,
        file_already_imported: false,
    })
}
