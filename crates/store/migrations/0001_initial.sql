-- arsync store, schema version 1.
--
-- Amounts are decimal TEXT, exactly as the model holds them; no column is REAL or NUMERIC,
-- so SQLite never turns money into a float. Instants are RFC 3339 UTC text, civil dates
-- are ISO 8601 (YYYY-MM-DD) text.

-- Every record a connection delivered, newest source version only. Voided and deleted
-- records stay as tombstones (deleted = 1); they are never removed.
CREATE TABLE records (
    connection     TEXT NOT NULL CHECK (connection <> ''),
    kind           TEXT NOT NULL CHECK (kind IN ('party', 'invoice', 'credit_note', 'payment', 'bank_entry', 'fx_rate')),
    external_id    TEXT NOT NULL CHECK (external_id <> ''),
    source_version TEXT,
    payload_hash   TEXT,
    record_hash    TEXT NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    status         TEXT,
    currency       TEXT,
    customer_id    TEXT,
    doc_date       TEXT,
    due_date       TEXT,
    amount         TEXT,
    open_amount    TEXT,
    data           TEXT CHECK (data IS NULL OR json_valid(data)),
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (connection, kind, external_id)
);
CREATE INDEX records_kind_status ON records (kind, status, deleted);
CREATE INDEX records_customer ON records (connection, customer_id, kind);
CREATE INDEX records_due ON records (kind, due_date);
CREATE INDEX records_currency ON records (kind, currency);

-- Where each stream of each connection has read up to. Written in the same transaction
-- as the page of records it follows.
CREATE TABLE cursors (
    connection TEXT NOT NULL,
    stream     TEXT NOT NULL,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, stream)
);

-- Statement files already imported, by content hash, so a file is never read twice.
CREATE TABLE imported_files (
    connection  TEXT NOT NULL,
    sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
    name        TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (connection, sha256)
);

-- Every write to the books, first. The idempotency key is unique: enqueuing twice never
-- makes two rows.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    connection      TEXT NOT NULL,
    action          TEXT NOT NULL,
    target          TEXT NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_flight', 'done', 'failed', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT,
    result          TEXT CHECK (result IS NULL OR json_valid(result)),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_ready ON outbox (connection, state, id);

-- The append-only audit log. Each row carries the hash of the one before it.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be deleted');
END;

-- The last sequence number and hash of the audit log, so that removing rows from the
-- end of the log is detected too.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);

-- Small JSON documents for later stages (learned aliases, collection states, tasks,
-- match decisions), by namespace and key.
CREATE TABLE documents (
    namespace  TEXT NOT NULL CHECK (namespace <> ''),
    key        TEXT NOT NULL CHECK (key <> ''),
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
);
