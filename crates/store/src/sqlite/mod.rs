//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, every write in
//! a `BEGIN IMMEDIATE` transaction.
//!
//! Opening an existing file first inspects it through a read-only connection: the file
//! header, `PRAGMA quick_check`, and the schema versions recorded by the migrations. A
//! damaged file, a file some other program owns, or a store written by a newer schema is
//! refused before anything (not even the WAL switch) is written to it.

mod records;
mod writes;

use records::{
    apply_in, check_page, check_sha256, decode_record, insert_file, is_file_seen, read_cursor,
    tombstone,
};

use crate::audit::{AuditCheck, AuditEntry, ChainChecker, RawRow};
use crate::batch::{OutboxChange, Write, Written};
use crate::error::{Result, StoreError, sql};
use crate::outbox::{OutboxEntry, OutboxItem, OutboxState};
use crate::record::{Change, Deletion, ImportedFile, Page, PageOutcome};
use crate::{Store, StoredRecord, Which};
use arsync_model::{
    BankEntry, Clock, CreditNote, Decimal, FxRate, Invoice, Party, Payment, RecordKind, SystemClock,
};
use chrono::SecondsFormat;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Connection, Row, Sqlite, Transaction};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The schema migrations shipped in this crate (`crates/store/migrations`).
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many audit rows are read at a time when checking or exporting the log.
const AUDIT_BATCH: i64 = 1000;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The highest schema version this build knows.
pub fn schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The SQLite store. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    location: PathBuf,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store file at `path`, creating it and its directory on first use and
    /// migrating it to this build's schema.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if path.is_dir() {
            return Err(StoreError::IsDirectory { path });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let has_content = std::fs::metadata(&path).is_ok_and(|m| m.len() > 0);
        if has_content {
            check_header(&path)?;
            inspect_read_only(&path).await?;
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| classify(&path, "opening the store", e))?;
        let store = Self {
            pool,
            location: path,
            clock: Arc::new(SystemClock),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a store by URL: `sqlite://path/to/state.db` (relative paths are relative to
    /// the working directory), `sqlite:path`, or `sqlite::memory:`.
    pub async fn open_url(url: &str) -> Result<Self> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = url.trim();
        if trimmed == "sqlite::memory:" || trimmed == "sqlite://:memory:" {
            return Self::open_in_memory().await;
        }
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Err(bad(
                "PostgreSQL is not available in this build yet; use an sqlite:// url",
            ));
        }
        let Some(path) = trimmed
            .strip_prefix("sqlite://")
            .or_else(|| trimmed.strip_prefix("sqlite:"))
        else {
            return Err(bad("the scheme must be sqlite"));
        };
        if path.contains('?') {
            return Err(bad(
                "connection options are not accepted; arsync sets WAL and synchronous=FULL itself",
            ));
        }
        if path.is_empty() {
            return Err(bad("the path is empty"));
        }
        Self::open(path).await
    }

    /// Opens a private in-memory store, for tests and dry runs. It vanishes when the last
    /// clone is dropped.
    pub async fn open_in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(sql("configuring an in-memory store"))?
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(sql("opening an in-memory store"))?;
        let store = Self {
            pool,
            location: PathBuf::from(":memory:"),
            clock: Arc::new(SystemClock),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Uses `clock` for every timestamp the store writes.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store file (":memory:" for an in-memory store).
    pub fn location(&self) -> &Path {
        &self.location
    }

    /// Copies every committed page from the WAL into the main file and empties the WAL.
    pub async fn checkpoint(&self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
            .map_err(|e| classify(&self.location, "checkpointing the WAL", e))?;
        Ok(())
    }

    /// Checkpoints the WAL and closes every connection.
    pub async fn close(self) -> Result<()> {
        let checkpoint = self.checkpoint().await;
        self.pool.close().await;
        checkpoint
    }

    async fn migrate(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let result = async {
            check_schema(&mut tx, &self.location).await?;
            MIGRATOR
                .run(&mut *tx)
                .await
                .map_err(|source| StoreError::Migrate {
                    path: self.location.clone(),
                    source,
                })
        }
        .await;
        finish(tx, result).await
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| classify(&self.location, "starting a write", e))
    }

    fn now(&self) -> String {
        self.clock
            .now()
            .to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    async fn load<T: DeserializeOwned>(
        &self,
        kind: RecordKind,
        connection: Option<&str>,
        filter: &str,
    ) -> Result<Vec<T>> {
        let query = format!(
            "SELECT connection, external_id, data FROM records \
             WHERE kind = ?1 AND (?2 IS NULL OR connection = ?2) AND data IS NOT NULL {filter} \
             ORDER BY connection, due_date, doc_date, external_id"
        );
        let rows = sqlx::query(&query)
            .bind(kind.as_str())
            .bind(connection)
            .fetch_all(&self.pool)
            .await
            .map_err(sql("loading records"))?;
        rows.iter()
            .map(|row| {
                let data: String = get(row, "data")?;
                serde_json::from_str(&data).map_err(|e| StoreError::Decode {
                    what: record_name(row, kind),
                    detail: e.to_string(),
                })
            })
            .collect()
    }
}

fn record_name(row: &SqliteRow, kind: RecordKind) -> String {
    let connection: String = row.try_get("connection").unwrap_or_default();
    let id: String = row.try_get("external_id").unwrap_or_default();
    format!("{kind} {connection}:{id}")
}

fn get<'r, T>(row: &'r SqliteRow, column: &'static str) -> Result<T>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    row.try_get(column).map_err(sql("reading a stored row"))
}

/// Commits on success, rolls back on failure.
async fn finish<T>(tx: Transaction<'static, Sqlite>, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(sql("committing"))?;
            Ok(value)
        }
        Err(e) => {
            // The error that caused the rollback is the one worth reporting.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// Turns SQLite's "corrupt" and "not a database" results into [`StoreError::Damaged`] and
/// names the file in every other error.
fn classify(path: &Path, action: &'static str, e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let primary = db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff);
        // SQLITE_CORRUPT = 11, SQLITE_NOTADB = 26.
        if matches!(primary, Some(11 | 26)) {
            return StoreError::Damaged {
                path: path.to_path_buf(),
                detail: db.message().to_owned(),
            };
        }
    }
    StoreError::File {
        path: path.to_path_buf(),
        action,
        source: e,
    }
}

fn check_header(path: &Path) -> Result<()> {
    let damaged = |detail: String| StoreError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    let mut header = [0u8; 16];
    let mut file =
        std::fs::File::open(path).map_err(|e| damaged(format!("cannot be read: {e}")))?;
    file.read_exact(&mut header)
        .map_err(|_| damaged("the file is too short to be an SQLite database".into()))?;
    if &header != SQLITE_HEADER {
        return Err(damaged(
            "the file does not start with the SQLite header; it is not a database".into(),
        ));
    }
    Ok(())
}

/// Checks an existing file through a read-only connection.
async fn inspect_read_only(path: &Path) -> Result<()> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| classify(path, "opening the store to check it", e))?;
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA quick_check(5)")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| classify(path, "checking the store", e))?;
    if problems.len() != 1 || problems.first().map(String::as_str) != Some("ok") {
        return Err(StoreError::Damaged {
            path: path.to_path_buf(),
            detail: format!("the integrity check reports: {}", problems.join("; ")),
        });
    }
    check_schema(&mut conn, path).await?;
    conn.close().await.map_err(sql("closing the check"))
}

/// Refuses a file that some other program owns or that a newer schema wrote.
async fn check_schema(conn: &mut SqliteConnection, path: &Path) -> Result<()> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| classify(path, "reading the schema", e))?;
    if tables.is_empty() {
        return Ok(());
    }
    if !tables.iter().any(|t| t == "_sqlx_migrations") {
        return Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            tables: tables.join(", "),
        });
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| classify(path, "reading the schema version", e))?;
    let known = schema_version();
    let unknown = applied
        .iter()
        .copied()
        .filter(|v| !MIGRATOR.iter().any(|m| m.version == *v))
        .max();
    if let Some(found) = unknown {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: found.max(applied.iter().copied().max().unwrap_or(found)),
            known,
        });
    }
    Ok(())
}

fn outbox_entry(row: &SqliteRow) -> Result<OutboxEntry> {
    let key: String = get(row, "idempotency_key")?;
    let decode = |detail: String| StoreError::Decode {
        what: format!("outbox item '{key}'"),
        detail,
    };
    let state: String = get(row, "state")?;
    let payload: String = get(row, "payload")?;
    let result: Option<String> = get(row, "result")?;
    let attempts: i64 = get(row, "attempts")?;
    Ok(OutboxEntry {
        item: OutboxItem {
            idempotency_key: key.clone(),
            connection: get(row, "connection")?,
            action: get(row, "action")?,
            target: get(row, "target")?,
            payload: serde_json::from_str(&payload).map_err(|e| decode(e.to_string()))?,
        },
        state: OutboxState::parse(&state)
            .ok_or_else(|| decode(format!("unknown state '{state}'")))?,
        attempts: u32::try_from(attempts).map_err(|e| decode(e.to_string()))?,
        last_error: get(row, "last_error")?,
        result: result
            .map(|r| serde_json::from_str(&r))
            .transpose()
            .map_err(|e| decode(e.to_string()))?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

const OUTBOX_COLUMNS: &str = "idempotency_key, connection, action, target, payload, state, \
                              attempts, last_error, result, created_at, updated_at";

impl SqliteStore {
    async fn change_outbox(&self, key: &str, change: OutboxChange) -> Result<OutboxEntry> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let result = writes::change_outbox_in(&mut tx, key, &change, &now).await;
        finish(tx, result).await
    }
}

/// Audit rows after `after`, at most `limit`, in sequence order.
async fn audit_rows(conn: &mut SqliteConnection, after: i64, limit: i64) -> Result<Vec<RawRow>> {
    let rows = sqlx::query(
        "SELECT seq, at, kind, subject, detail, prev_hash, hash FROM audit_log \
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(sql("reading the audit log"))?;
    rows.iter()
        .map(|row| {
            let seq: i64 = get(row, "seq")?;
            Ok(RawRow {
                seq: u64::try_from(seq).map_err(|e| StoreError::Decode {
                    what: format!("audit row {seq}"),
                    detail: e.to_string(),
                })?,
                at: get(row, "at")?,
                kind: get(row, "kind")?,
                subject: get(row, "subject")?,
                detail: get(row, "detail")?,
                prev_hash: get(row, "prev_hash")?,
                hash: get(row, "hash")?,
            })
        })
        .collect()
}

fn audit_entry(row: RawRow) -> Result<AuditEntry> {
    let detail = serde_json::from_str(&row.detail).map_err(|e| StoreError::Decode {
        what: format!("detail of audit row {}", row.seq),
        detail: e.to_string(),
    })?;
    Ok(AuditEntry {
        seq: row.seq,
        at: row.at,
        kind: row.kind,
        subject: row.subject,
        detail,
        prev_hash: row.prev_hash,
        hash: row.hash,
    })
}

impl Store for SqliteStore {
    async fn apply(&self, page: &Page) -> Result<PageOutcome> {
        check_page(page)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let result = apply_in(&mut tx, page, &now).await;
        let outcome = finish(tx, result).await?;
        tracing::debug!(
            connection = %page.connection,
            stream = %page.stream,
            inserted = outcome.count(Change::Inserted),
            updated = outcome.count(Change::Updated),
            unchanged = outcome.count(Change::Unchanged),
            stale = outcome.count(Change::Stale),
            deleted = outcome.count(Change::Deleted),
            file_already_imported = outcome.file_already_imported,
            "page applied"
        );
        Ok(outcome)
    }

    async fn delete(
        &self,
        connection: &str,
        kind: RecordKind,
        external_id: &str,
        source_version: Option<&str>,
    ) -> Result<Change> {
        let deletion = Deletion {
            kind,
            external_id: external_id.to_owned(),
            source_version: source_version.map(str::to_owned),
        };
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let result = tombstone(&mut tx, connection, &deletion, &now).await;
        finish(tx, result).await
    }

    async fn cursor(&self, connection: &str, stream: &str) -> Result<Option<String>> {
        let mut conn = self.pool.acquire().await.map_err(sql("reading a cursor"))?;
        read_cursor(&mut conn, connection, stream).await
    }

    async fn reset_cursor(&self, connection: &str, stream: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query("DELETE FROM cursors WHERE connection = ?1 AND stream = ?2")
            .bind(connection)
            .bind(stream)
            .execute(&mut *tx)
            .await
            .map(|r| r.rows_affected() > 0)
            .map_err(sql("resetting a cursor"));
        finish(tx, result).await
    }

    async fn file_seen(&self, connection: &str, sha256: &str) -> Result<bool> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(sql("looking up an imported file"))?;
        is_file_seen(&mut conn, connection, sha256).await
    }

    async fn mark_file(&self, connection: &str, file: &ImportedFile) -> Result<bool> {
        check_sha256(&file.sha256, &file.name)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let result = insert_file(&mut tx, connection, file, &now).await;
        finish(tx, result).await
    }

    async fn get(
        &self,
        connection: &str,
        kind: RecordKind,
        external_id: &str,
    ) -> Result<Option<StoredRecord>> {
        let row = sqlx::query(
            "SELECT connection, external_id, source_version, payload_hash, deleted, data, \
               updated_at FROM records WHERE connection = ?1 AND kind = ?2 AND external_id = ?3",
        )
        .bind(connection)
        .bind(kind.as_str())
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql("reading a record"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let data: Option<String> = get(&row, "data")?;
        let record = data
            .map(|d| decode_record(kind, &d))
            .transpose()
            .map_err(|e| StoreError::Decode {
                what: record_name(&row, kind),
                detail: e.to_string(),
            })?;
        Ok(Some(StoredRecord {
            connection: get(&row, "connection")?,
            kind,
            external_id: get(&row, "external_id")?,
            source_version: get(&row, "source_version")?,
            payload_hash: get(&row, "payload_hash")?,
            deleted: get::<i64>(&row, "deleted")? != 0,
            record,
            updated_at: get(&row, "updated_at")?,
        }))
    }

    async fn parties(&self, connection: Option<&str>) -> Result<Vec<Party>> {
        self.load(RecordKind::Party, connection, "AND deleted = 0")
            .await
    }

    async fn invoices(&self, connection: Option<&str>, which: Which) -> Result<Vec<Invoice>> {
        let filter = match which {
            Which::All => "",
            Which::Open => "AND deleted = 0 AND status = 'open'",
        };
        self.load(RecordKind::Invoice, connection, filter).await
    }

    async fn credit_notes(
        &self,
        connection: Option<&str>,
        which: Which,
    ) -> Result<Vec<CreditNote>> {
        let filter = match which {
            Which::All => "",
            Which::Open => "AND deleted = 0 AND status = 'open'",
        };
        let notes: Vec<CreditNote> = self
            .load(RecordKind::CreditNote, connection, filter)
            .await?;
        Ok(match which {
            Which::All => notes,
            Which::Open => notes
                .into_iter()
                .filter(|n| n.remaining > Decimal::ZERO)
                .collect(),
        })
    }

    async fn payments(&self, connection: Option<&str>) -> Result<Vec<Payment>> {
        self.load(RecordKind::Payment, connection, "").await
    }

    async fn bank_entries(&self, connection: Option<&str>) -> Result<Vec<BankEntry>> {
        self.load(RecordKind::BankEntry, connection, "AND deleted = 0")
            .await
    }

    async fn fx_rates(&self, connection: Option<&str>) -> Result<Vec<FxRate>> {
        self.load(RecordKind::FxRate, connection, "AND deleted = 0")
            .await
    }

    async fn enqueue(&self, item: &OutboxItem) -> Result<bool> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let result = writes::enqueue_in(&mut tx, item, &now).await;
        finish(tx, result).await
    }

    async fn pending(&self, connection: &str, limit: u32) -> Result<Vec<OutboxEntry>> {
        let query = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE connection = ?1 \
             AND state IN ('pending', 'failed') ORDER BY id LIMIT ?2"
        );
        let rows = sqlx::query(&query)
            .bind(connection)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(sql("listing pending outbox items"))?;
        rows.iter().map(outbox_entry).collect()
    }

    async fn outbox_item(&self, idempotency_key: &str) -> Result<Option<OutboxEntry>> {
        let query = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE idempotency_key = ?1");
        let row = sqlx::query(&query)
            .bind(idempotency_key)
            .fetch_optional(&self.pool)
            .await
            .map_err(sql("reading an outbox item"))?;
        row.as_ref().map(outbox_entry).transpose()
    }

    async fn mark_in_flight(&self, idempotency_key: &str) -> Result<OutboxEntry> {
        self.change_outbox(idempotency_key, OutboxChange::InFlight)
            .await
    }

    async fn mark_done(
        &self,
        idempotency_key: &str,
        result: Option<&Value>,
    ) -> Result<OutboxEntry> {
        self.change_outbox(idempotency_key, OutboxChange::Done(result.cloned()))
            .await
    }

    async fn mark_failed(&self, idempotency_key: &str, error: &str) -> Result<OutboxEntry> {
        self.change_outbox(idempotency_key, OutboxChange::Failed(error.to_owned()))
            .await
    }

    async fn mark_dead(&self, idempotency_key: &str, error: &str) -> Result<OutboxEntry> {
        self.change_outbox(idempotency_key, OutboxChange::Dead(error.to_owned()))
            .await
    }

    async fn append(&self, kind: &str, subject: &str, detail: &Value) -> Result<u64> {
        let at = self.now();
        let mut tx = self.begin_write().await?;
        let result = writes::append_in(&mut tx, kind, subject, detail, &at).await;
        finish(tx, result).await
    }

    async fn verify(&self) -> Result<AuditCheck> {
        // One read transaction: every batch and the head come from the same snapshot, so
        // rows appended while the check runs are neither seen nor mistaken for tampering.
        let mut snapshot = self
            .pool
            .begin()
            .await
            .map_err(sql("reading the audit log"))?;
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *snapshot)
            .await
            .map_err(sql("reading the audit head"))?;
        let head = match head {
            Some(row) => {
                let seq: i64 = get(&row, "seq")?;
                let hash: String = get(&row, "hash")?;
                Some((u64::try_from(seq).unwrap_or(0), hash))
            }
            None => None,
        };
        let mut checker = ChainChecker::new();
        let mut after = 0i64;
        loop {
            let rows = audit_rows(&mut snapshot, after, AUDIT_BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = i64::try_from(last.seq).unwrap_or(i64::MAX);
            for row in &rows {
                if let Some(broken) = checker.feed(row) {
                    return Ok(broken);
                }
            }
        }
        Ok(checker.finish(head.as_ref().map(|(s, h)| (*s, h.as_str()))))
    }

    async fn export_jsonl<W: std::io::Write + Send>(&self, out: &mut W) -> Result<u64> {
        let mut snapshot = self
            .pool
            .begin()
            .await
            .map_err(sql("reading the audit log"))?;
        let mut written = 0u64;
        let mut after = 0i64;
        loop {
            let rows = audit_rows(&mut snapshot, after, AUDIT_BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = i64::try_from(last.seq).unwrap_or(i64::MAX);
            for row in rows {
                let entry = audit_entry(row)?;
                let line = serde_json::to_string(&entry).map_err(|e| StoreError::Decode {
                    what: format!("audit row {}", entry.seq),
                    detail: e.to_string(),
                })?;
                writeln!(out, "{line}").map_err(|source| StoreError::Write {
                    what: "audit export",
                    source,
                })?;
                written += 1;
            }
        }
        out.flush().map_err(|source| StoreError::Write {
            what: "audit export",
            source,
        })?;
        Ok(written)
    }

    async fn put_doc(&self, namespace: &str, key: &str, value: &Value) -> Result<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let result = writes::put_doc_in(&mut tx, namespace, key, value, &now).await;
        finish(tx, result).await
    }

    async fn get_doc(&self, namespace: &str, key: &str) -> Result<Option<Value>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT value FROM documents WHERE namespace = ?1 AND key = ?2")
                .bind(namespace)
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(sql("reading a document"))?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Decode {
                what: format!("document {namespace}/{key}"),
                detail: e.to_string(),
            })
        })
        .transpose()
    }

    async fn docs(&self, namespace: &str) -> Result<Vec<(String, Value)>> {
        let rows =
            sqlx::query("SELECT key, value FROM documents WHERE namespace = ?1 ORDER BY key")
                .bind(namespace)
                .fetch_all(&self.pool)
                .await
                .map_err(sql("listing documents"))?;
        rows.iter()
            .map(|row| {
                let key: String = get(row, "key")?;
                let text: String = get(row, "value")?;
                let value = serde_json::from_str(&text).map_err(|e| StoreError::Decode {
                    what: format!("document {namespace}/{key}"),
                    detail: e.to_string(),
                })?;
                Ok((key, value))
            })
            .collect()
    }

    async fn delete_doc(&self, namespace: &str, key: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let result = writes::delete_doc_in(&mut tx, namespace, key).await;
        finish(tx, result).await
    }

    async fn requeue_in_flight(&self, connection: &str) -> Result<u64> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let result = sqlx::query(
            "UPDATE outbox SET state = 'pending', updated_at = ?2 \
             WHERE connection = ?1 AND state = 'in_flight'",
        )
        .bind(connection)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map(|r| r.rows_affected())
        .map_err(sql("requeueing outbox items"));
        finish(tx, result).await
    }

    async fn outbox_entries(
        &self,
        connection: &str,
        state: Option<OutboxState>,
    ) -> Result<Vec<OutboxEntry>> {
        let query = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE connection = ?1 \
             AND (?2 IS NULL OR state = ?2) ORDER BY id"
        );
        let rows = sqlx::query(&query)
            .bind(connection)
            .bind(state.map(OutboxState::as_str))
            .fetch_all(&self.pool)
            .await
            .map_err(sql("listing outbox items"))?;
        rows.iter().map(outbox_entry).collect()
    }

    async fn audit_entries(&self, after_seq: u64, limit: u32) -> Result<Vec<AuditEntry>> {
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(sql("reading the audit log"))?;
        let rows = audit_rows(&mut conn, after, i64::from(limit)).await?;
        rows.into_iter().map(audit_entry).collect()
    }

    async fn write_all(&self, batch: &[Write]) -> Result<Vec<Written>> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let result = async {
            let mut done = Vec::with_capacity(batch.len());
            for write in batch {
                done.push(writes::write_in(&mut tx, write, &now).await?);
            }
            Ok(done)
        }
        .await;
        finish(tx, result).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_connection_writes_through_the_wal_with_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(store.pool.acquire().await.unwrap());
        }
        for conn in &mut conns {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!((mode.as_str(), sync), ("wal", 2), "2 is FULL");
        }
        drop(conns);
        store.close().await.unwrap();
        eprintln!(
            "wal exists after close: {}",
            path.with_extension("db-wal").exists()
        );
    }
}
