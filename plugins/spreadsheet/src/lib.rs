//! Connector plugin `spreadsheet`: customers, invoices, credit notes and payments from one
//! workbook (xlsx, xlsm, xlsb, xls, ods) or csv/tsv file, and overdue statuses and collection
//! tasks written back to a companion workbook beside it. The source file is never modified.
//!
//! This crate owns the protocol side only: settings, paging, cursors, write-back
//! idempotency. Reading and writing sheets is `arsync-sheets`' job. It depends on the SDK
//! and that library and must not depend on the runtime, the store or anything async; files
//! are read and written through the host (`files.read`, `files.write`, `files.list`), never
//! directly, so the runtime's path scoping applies.
//!
//! # Settings
//!
//! | key | meaning |
//! |---|---|
//! | `path` | the workbook or csv file (required) |
//! | `sheet` | sheet to read; the first when absent |
//! | `header_row` | `"auto"` (default) or the row number of the column titles |
//! | `columns` | field → header for headers arsync does not recognise: `{ due_date = "Zahlbar bis" }` |
//! | `date_order` | `"dmy"` (default), `"mdy"` or `"ymd"` for ambiguous dates |
//! | `date_system` | `"excel1900"` (default) or `"excel1904"` |
//! | `default_currency` | ISO code for rows that name none |
//! | `decimal` | `"auto"` (default), `"dot"` or `"comma"` |
//! | `delimiter` | csv field delimiter; guessed when absent |
//! | `output` | folder of the companion workbook; the source's folder when absent |
//!
//! Any other key is refused with `invalid_config` naming it.
//!
//! # Pulling
//!
//! Each stream is read from the whole file in pages of 500 records. The cursor is the
//! file's sha256 (`sha256:<hex>@<offset>` while paging, `sha256:<hex>` once delivered): an
//! unchanged file yields an empty page on the next pull, a changed file is delivered again
//! from the start and the store's upsert by external id keeps one copy of each record.
//! Records carry no `source_version` (a row hash is not an ordered version), so the store
//! replaces a record whose content changed. Origins carry the connection name
//! `spreadsheet`.
//!
//! Rows removed from the file are sent again, after the rows read, as tombstones (status
//! `deleted`): the plugin remembers the documents of the last two versions of the file in
//! the journal `<stem>.arsync.json` in the `output` folder, so `output` must be writable for
//! this (without it a warning is logged). In an open-items list a row usually disappears
//! because the item was settled; arsync cannot tell that from a deletion, so it is sent as
//! deleted.
//!
//! Rows that cannot be read are reported in the first `invoices` page's `problems` as
//! `invalid_data` with file, sheet and row; every other row is delivered. A file that cannot
//! be read at all fails the pull: `invalid_config` naming the setting to change (`sheet`,
//! `header_row`, `columns`) or `invalid_data` naming the file.
//!
//! # Pushing
//!
//! `push_status` and `push_task` write `<stem>.arsync.xlsx` (sheets "Status" and "Tasks")
//! and a journal `<stem>.arsync.json` in the `output` folder. The journal keeps every applied
//! idempotency key, so a key pushed again is `already_applied` with the same row id, also
//! after a restart. The host only writes files the settings name: set `output` (e.g. `"."`)
//! for write-back, and for detecting removed rows, to be allowed.

// `deny`, not `forbid`: the entry point `declare_plugin!` exports needs `#[unsafe(no_mangle)]`.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod companion;
mod removed;
mod settings;

use arsync_model::payload_hash;
use arsync_sdk::file_cursor::{FileCursor, PAGE_SIZE, window};
use arsync_sdk::prelude::*;
use arsync_sheets::{ItemsFile, RowProblem, SheetsError, Source, read_items};
use companion::{Journal, Target};
use removed::{Snapshot, removed};
use settings::Settings;
use std::sync::Arc;

/// The name recorded as the connection in every origin.
pub const CONNECTION: &str = "spreadsheet";

/// One configured spreadsheet connection.
#[derive(Debug)]
pub struct Spreadsheet {
    host: Host,
    settings: Settings,
    target: Target,
    /// The last version of the file read, by hash, so paging through a large workbook
    /// parses it once.
    parsed: Option<(String, Arc<ItemsFile>)>,
    /// The tombstones of the stream being paged, by stream and file hash, so the journal is
    /// read once per version rather than once per page.
    gone: Option<(Stream, String, Arc<Vec<Record>>)>,
}

fn row_problem(p: &RowProblem) -> PluginError {
    let source = if p.sheet.is_empty() {
        p.file.clone()
    } else {
        format!("{} [sheet '{}']", p.file, p.sheet)
    };
    PluginError::invalid_data(
        p.to_string(),
        Position {
            source: Some(source),
            line: u64::try_from(p.row).ok(),
            field: p
                .field
                .map(|f| f.as_str().to_owned())
                .or_else(|| p.column.clone()),
            ..Position::default()
        },
    )
}

fn sheets_error(e: &SheetsError, path: &str) -> PluginError {
    let setting = match e {
        SheetsError::SheetNotFound { .. } => Some("sheet"),
        SheetsError::NoHeaderRow { .. } | SheetsError::HeaderRowOutOfRange { .. } => {
            Some("header_row")
        }
        SheetsError::MissingColumns { .. } | SheetsError::MappedColumnNotFound { .. } => {
            Some("columns")
        }
        _ => None,
    };
    match setting {
        Some(key) => PluginError::invalid_config(key, e.to_string()),
        None => PluginError::invalid_data(
            e.to_string(),
            Position {
                source: Some(path.to_owned()),
                ..Position::default()
            },
        ),
    }
}

/// The records in `range` of the rows read (`present`) followed by the tombstones (`gone`);
/// only these are copied.
fn page_of<T: Clone>(
    present: &[T],
    gone: &[Record],
    range: &std::ops::Range<usize>,
    wrap: fn(T) -> Record,
) -> Vec<Record> {
    let n = present.len();
    let rows = present
        .get(range.start.min(n)..range.end.min(n))
        .unwrap_or_default();
    let tombstones = gone
        .get(range.start.saturating_sub(n)..range.end.saturating_sub(n))
        .unwrap_or_default();
    rows.iter()
        .cloned()
        .map(wrap)
        .chain(tombstones.iter().cloned())
        .collect()
}

impl Spreadsheet {
    /// [`Self::removed_rows`], remembered while a paging run continues over one version.
    fn removed_rows_cached(
        &mut self,
        stream: Stream,
        cursor: &FileCursor,
        hash: &str,
        file: &ItemsFile,
    ) -> Arc<Vec<Record>> {
        if let (FileCursor::Within { hash: h, .. }, Some((s, g, gone))) = (cursor, &self.gone)
            && *s == stream
            && h == hash
            && g == hash
        {
            return Arc::clone(gone);
        }
        let gone = Arc::new(self.removed_rows(stream, cursor, hash, file));
        self.gone = Some((stream, hash.to_owned(), Arc::clone(&gone)));
        gone
    }

    /// Tombstones for the documents of `stream` that were in the version of the file the
    /// cursor names and are not in `file` (the version with `hash`). Remembers this version
    /// for the next comparison. Without a writable journal nothing can be compared: a
    /// warning goes to the log and no tombstones are sent.
    fn removed_rows(
        &self,
        stream: Stream,
        cursor: &FileCursor,
        hash: &str,
        file: &ItemsFile,
    ) -> Vec<Record> {
        let warn = |what: &str, e: &PluginError| {
            self.host.log(
                Level::Warn,
                &format!(
                    "{}: rows removed from the file cannot be detected ({what}: {e}); set `output` to a folder arsync may write so removed rows are sent as deleted",
                    self.settings.path
                ),
            );
        };
        let mut journal = match Journal::load(&self.host, &self.target) {
            Ok(j) => j,
            Err(e) => {
                warn("the journal cannot be read", &e);
                return Vec::new();
            }
        };
        let since = match cursor {
            FileCursor::Start => None,
            FileCursor::Within { hash: h, .. } if h == hash => {
                journal.snapshot(hash).and_then(|s| s.since.clone())
            }
            FileCursor::Within { hash: old, .. } | FileCursor::Delivered { hash: old } => {
                Some(old.clone())
            }
        };
        if journal.snapshot(hash).is_none() {
            journal.remember(Snapshot::of(hash, since.clone(), file));
            if let Err(e) = journal.save_journal(&self.host, &self.target) {
                warn("the journal cannot be written", &e);
            }
        }
        match since.as_deref().map(|s| journal.snapshot(s)) {
            Some(Some(before)) => removed(before, file, stream),
            Some(None) => {
                self.host.log(
                    Level::Warn,
                    &format!(
                        "{}: the version of the file last delivered is not in the journal {}; rows removed since then are not sent as deleted",
                        self.settings.path, self.target.journal
                    ),
                );
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn read(&self, bytes: &[u8]) -> Result<ItemsFile, PluginError> {
        read_items(
            Source::Bytes {
                name: &self.settings.path,
                bytes,
            },
            &self.settings.options,
        )
        .map_err(|e| sheets_error(&e, &self.settings.path))
    }

    fn apply(
        journal: &mut Journal,
        target: &Target,
        action: PushAction,
        item: PushItem,
    ) -> ItemResult {
        let key = item.idempotency_key;
        if let Some(id) = journal.applied.get(&key) {
            return ItemResult::already_applied(key, Some(id.clone()));
        }
        let id = match (action, item.record) {
            (PushAction::Status, Outgoing::OverdueStatus(status)) => {
                let id = format!("{}#Status/{}", target.workbook, status.item_id);
                journal.put_status(status);
                id
            }
            (PushAction::Task, Outgoing::CollectionTask(task)) => {
                let id = format!("{}#Tasks/{}", target.workbook, task.key);
                journal.tasks.insert(task.key.clone(), task);
                id
            }
            (action, other) => {
                return ItemResult::failed(
                    key.clone(),
                    PluginError::invalid_data(
                        format!(
                            "push_{action} carries {} items, this one is a {}; the item was not written",
                            action.outgoing_kind(),
                            other.kind()
                        ),
                        Position {
                            record: Some(key),
                            ..Position::default()
                        },
                    ),
                );
            }
        };
        journal.applied.insert(key.clone(), id.clone());
        ItemResult::applied(key, Some(id))
    }
}

impl Connector for Spreadsheet {
    fn manifest() -> Manifest {
        Manifest::new("spreadsheet", env!("CARGO_PKG_VERSION"))
            .describe("Open items and payments from a workbook or csv file; status and tasks to a companion workbook")
            .pulls(Stream::Customers)
            .pulls(Stream::Invoices)
            .pulls(Stream::CreditNotes)
            .pulls(Stream::Payments)
            .pushes(PushAction::Status)
            .pushes(PushAction::Task)
            .config_schema(serde_json::json!({
                "type": "object",
                "required": ["path"],
                "additionalProperties": false,
                "properties": {
                    "path": { "type": "string", "description": "the workbook or csv file" },
                    "sheet": { "type": "string" },
                    "header_row": { "type": ["string", "integer"] },
                    "columns": { "type": "object", "additionalProperties": { "type": "string" } },
                    "date_order": { "enum": ["dmy", "mdy", "ymd"] },
                    "date_system": { "enum": ["excel1900", "excel1904"] },
                    "default_currency": { "type": "string" },
                    "decimal": { "enum": ["auto", "dot", "comma"] },
                    "delimiter": { "type": "string" },
                    "output": { "type": "string", "description": "folder of the companion workbook" }
                }
            }))
    }

    fn create(settings: serde_json::Value, host: Host) -> Result<Self, PluginError> {
        let settings = Settings::parse(&settings, CONNECTION)?;
        let target = Target::new(&settings.path, settings.output.as_deref());
        Ok(Self {
            host,
            settings,
            target,
            parsed: None,
            gone: None,
        })
    }

    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        let cursor = FileCursor::parse(cursor)?;
        let bytes = self.host.read_file(&self.settings.path)?;
        let hash = payload_hash(&bytes);
        if cursor.is_delivered(&hash) {
            return Ok(Page::new(Vec::new(), None));
        }
        let file = match &self.parsed {
            Some((h, file)) if *h == hash => Arc::clone(file),
            _ => {
                let file = Arc::new(self.read(&bytes)?);
                self.parsed = Some((hash.clone(), Arc::clone(&file)));
                file
            }
        };
        let gone = match stream {
            Stream::Invoices | Stream::CreditNotes | Stream::Payments => {
                self.removed_rows_cached(stream, &cursor, &hash, &file)
            }
            _ => Arc::new(Vec::new()),
        };
        let present = match stream {
            Stream::Customers => file.parties.len(),
            Stream::Invoices => file.invoices.len(),
            Stream::CreditNotes => file.credit_notes.len(),
            Stream::Payments => file.payments.len(),
            other => {
                return Err(PluginError::unsupported(format!(
                    "a spreadsheet has no {other}; use the bank-statements or fx-feeds plugin"
                )));
            }
        };
        let (range, next) = window(&cursor, &hash, present + gone.len(), PAGE_SIZE);
        let first = range.start == 0;
        let items = match stream {
            Stream::Customers => page_of(&file.parties, &gone, &range, Record::Party),
            Stream::Invoices => page_of(&file.invoices, &gone, &range, Record::Invoice),
            Stream::CreditNotes => page_of(&file.credit_notes, &gone, &range, Record::CreditNote),
            _ => page_of(&file.payments, &gone, &range, Record::Payment),
        };
        let mut page = Page::new(items, next);
        if first && stream == Stream::Invoices {
            page.problems = file.problems.iter().map(row_problem).collect();
        }
        Ok(page)
    }

    fn push(
        &mut self,
        action: PushAction,
        items: Vec<PushItem>,
    ) -> Result<Vec<ItemResult>, PluginError> {
        let mut journal = Journal::load(&self.host, &self.target)?;
        let before = journal.applied.len();
        let results: Vec<ItemResult> = items
            .into_iter()
            .map(|item| Self::apply(&mut journal, &self.target, action, item))
            .collect();
        if journal.applied.len() > before {
            journal.save(&self.host, &self.target)?;
        }
        Ok(results)
    }
}

arsync_sdk::declare_plugin!(Spreadsheet);

#[cfg(test)]
mod tests;
