//! The records a connection delivers, the pages they arrive in, and the rule that decides
//! whether an incoming version replaces the stored one.

use arsync_model::{
    BankEntry, CreditNote, DocumentStatus, FxRate, Invoice, Origin, Party, Payment, PaymentStatus,
    RecordKind,
};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One record of any kind the store keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum Record {
    /// A customer.
    Party(Party),
    /// A sales invoice.
    Invoice(Invoice),
    /// A credit note.
    CreditNote(CreditNote),
    /// A payment recorded in the books.
    Payment(Payment),
    /// A bank statement line.
    BankEntry(BankEntry),
    /// An exchange rate.
    FxRate(FxRate),
}

impl Record {
    /// The kind of record.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Party(_) => RecordKind::Party,
            Record::Invoice(_) => RecordKind::Invoice,
            Record::CreditNote(_) => RecordKind::CreditNote,
            Record::Payment(_) => RecordKind::Payment,
            Record::BankEntry(_) => RecordKind::BankEntry,
            Record::FxRate(_) => RecordKind::FxRate,
        }
    }

    /// Where the record came from. Exchange rates carry their publisher instead of an
    /// origin and answer `None`; they are keyed by [`Record::external_id`].
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            Record::Party(r) => Some(&r.origin),
            Record::Invoice(r) => Some(&r.origin),
            Record::CreditNote(r) => Some(&r.origin),
            Record::Payment(r) => Some(&r.origin),
            Record::BankEntry(r) => Some(&r.origin),
            Record::FxRate(_) => None,
        }
    }

    /// The key of the record within its connection and kind: the origin's external id,
    /// or `SOURCE:BASE/QUOTE/DATE` for an exchange rate ("ecb:EUR/USD/2026-10-01"), so
    /// that two publishers' fixings of one pair on one day are both kept.
    pub fn external_id(&self) -> String {
        match (self, self.origin()) {
            (_, Some(origin)) => origin.external_id.clone(),
            (Record::FxRate(rate), None) => {
                format!("{}:{}/{}/{}", rate.source, rate.base, rate.quote, rate.date)
            }
            (_, None) => String::new(),
        }
    }

    /// The source's version marker, when the source has one.
    pub fn source_version(&self) -> Option<&str> {
        self.origin().and_then(|o| o.source_version.as_deref())
    }

    /// A name for messages ("invoice INV-1001 (books:130)").
    pub fn label(&self) -> String {
        match self {
            Record::Party(r) => format!("customer {} ({})", r.name, r.origin),
            Record::Invoice(r) => r.label(),
            Record::CreditNote(r) => r.label(),
            Record::Payment(r) => r.label(),
            Record::BankEntry(r) => r.label(),
            Record::FxRate(r) => format!(
                "{}/{} rate of {} from {}",
                r.base, r.quote, r.date, r.source
            ),
        }
    }

    /// Whether the books voided or deleted the record; it is then kept as a tombstone.
    pub fn is_tombstone(&self) -> bool {
        match self {
            Record::Invoice(r) => r.status.is_tombstone(),
            Record::CreditNote(r) => r.status.is_tombstone(),
            Record::Payment(r) => matches!(r.status, PaymentStatus::Void | PaymentStatus::Deleted),
            Record::Party(_) | Record::BankEntry(_) | Record::FxRate(_) => false,
        }
    }

    /// The columns the store indexes for queries. Amounts stay decimal text.
    pub(crate) fn columns(&self) -> Columns {
        match self {
            Record::Party(p) => Columns {
                currency: p.currency.map(|c| c.code().to_owned()),
                ..Columns::default()
            },
            Record::Invoice(i) => Columns {
                status: Some(document_status(i.status).to_owned()),
                currency: Some(i.currency.code().to_owned()),
                customer_id: Some(i.customer_id.clone()),
                doc_date: Some(i.issue_date.to_string()),
                due_date: Some(i.due_date.to_string()),
                amount: Some(i.total.to_string()),
                open_amount: Some(i.open_amount.to_string()),
            },
            Record::CreditNote(c) => Columns {
                status: Some(document_status(c.status).to_owned()),
                currency: Some(c.currency.code().to_owned()),
                customer_id: Some(c.customer_id.clone()),
                doc_date: Some(c.issue_date.to_string()),
                due_date: None,
                amount: Some(c.total.to_string()),
                open_amount: Some(c.remaining.to_string()),
            },
            Record::Payment(p) => Columns {
                status: Some(payment_status(p.status).to_owned()),
                currency: Some(p.amount.currency.code().to_owned()),
                customer_id: p.customer_id.clone(),
                doc_date: Some(p.date.to_string()),
                due_date: None,
                amount: Some(p.amount.amount.to_string()),
                open_amount: None,
            },
            Record::BankEntry(b) => Columns {
                status: Some(
                    match b.status {
                        arsync_model::EntryStatus::Booked => "booked",
                        arsync_model::EntryStatus::Pending => "pending",
                        arsync_model::EntryStatus::Info => "info",
                    }
                    .to_owned(),
                ),
                currency: Some(b.amount.currency.code().to_owned()),
                customer_id: None,
                doc_date: b.date().map(|d| d.to_string()),
                due_date: None,
                amount: Some(b.amount.amount.to_string()),
                open_amount: None,
            },
            Record::FxRate(r) => Columns {
                currency: Some(r.quote.code().to_owned()),
                doc_date: Some(r.date.to_string()),
                amount: Some(r.rate.to_string()),
                ..Columns::default()
            },
        }
    }
}

/// The snake_case name of a document status, as stored in the `status` column.
pub(crate) fn document_status(status: DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Draft => "draft",
        DocumentStatus::Open => "open",
        DocumentStatus::Paid => "paid",
        DocumentStatus::Void => "void",
        DocumentStatus::Deleted => "deleted",
    }
}

fn payment_status(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Posted => "posted",
        PaymentStatus::Void => "void",
        PaymentStatus::Deleted => "deleted",
    }
}

/// Indexed columns of the `records` table.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub(crate) status: Option<String>,
    pub(crate) currency: Option<String>,
    pub(crate) customer_id: Option<String>,
    pub(crate) doc_date: Option<String>,
    pub(crate) due_date: Option<String>,
    pub(crate) amount: Option<String>,
    pub(crate) open_amount: Option<String>,
}

/// A record the source reports as deleted, known only by its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    /// Kind of the deleted record.
    pub kind: RecordKind,
    /// Its id in the source.
    pub external_id: String,
    /// The source's version of the deletion, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
}

/// A statement file whose records a page carries, marked as imported with the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedFile {
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The file's name, for reports.
    pub name: String,
}

/// One page of a stream, written in one transaction: records upserted, deletions turned
/// into tombstones, the file marked as imported and the cursor advanced, or none of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// The connection that delivered the page.
    pub connection: String,
    /// The stream within the connection ("invoices", "payments", "statements").
    pub stream: String,
    /// Records, in the order the source gave them.
    pub records: Vec<Record>,
    /// Records the source reports as deleted.
    pub deletions: Vec<Deletion>,
    /// The cursor to resume from after this page; `None` leaves the stored cursor as it is.
    pub next_cursor: Option<String>,
    /// The statement file the page was read from, when it came from one.
    pub file: Option<ImportedFile>,
}

impl Page {
    /// A page of records for a stream, with the cursor that follows it.
    pub fn new(
        connection: impl Into<String>,
        stream: impl Into<String>,
        records: Vec<Record>,
        next_cursor: Option<String>,
    ) -> Self {
        Self {
            connection: connection.into(),
            stream: stream.into(),
            records,
            deletions: Vec::new(),
            next_cursor,
            file: None,
        }
    }
}

/// What became of one record of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// First seen.
    Inserted,
    /// A newer version replaced the stored one.
    Updated,
    /// The same version (or, without versions, the same content) was already stored.
    Unchanged,
    /// An older version than the stored one; ignored.
    Stale,
    /// Turned into a tombstone by a deletion.
    Deleted,
}

/// The change made to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordChange {
    /// Kind of record.
    pub kind: RecordKind,
    /// Its key.
    pub external_id: String,
    /// What happened.
    pub change: Change,
}

/// What a page did to the store.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageOutcome {
    /// One entry per record and deletion, in page order (records first).
    pub changes: Vec<RecordChange>,
    /// The stream's cursor after the page.
    pub cursor: Option<String>,
    /// The page's file had been imported before: nothing was written.
    pub file_already_imported: bool,
}

impl PageOutcome {
    /// How many records had the given change.
    pub fn count(&self, change: Change) -> usize {
        self.changes.iter().filter(|c| c.change == change).count()
    }
}

/// Orders two source versions: numerically when both are integers (QuickBooks
/// SyncTokens: "10" is newer than "9"), else as text (Xero's UpdatedDateUTC, ISO
/// timestamps, file hashes).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    match (a.trim().parse::<u128>(), b.trim().parse::<u128>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// What the store holds for a key, as far as the version rule needs it.
#[derive(Debug, Clone)]
pub(crate) struct StoredVersion {
    pub(crate) source_version: Option<String>,
    pub(crate) record_hash: String,
}

/// Decides whether an incoming record replaces the stored one. With versions on both
/// sides the newer version wins and an older or equal one is ignored; when either side
/// has no version, a different content replaces the stored one.
pub(crate) fn decide(
    stored: Option<&StoredVersion>,
    incoming_version: Option<&str>,
    incoming_hash: &str,
) -> Change {
    let Some(stored) = stored else {
        return Change::Inserted;
    };
    match (stored.source_version.as_deref(), incoming_version) {
        (Some(old), Some(new)) => match compare_versions(new, old) {
            Ordering::Greater => Change::Updated,
            Ordering::Equal => Change::Unchanged,
            Ordering::Less => Change::Stale,
        },
        _ if stored.record_hash == incoming_hash => Change::Unchanged,
        _ => Change::Updated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stored(version: Option<&str>, hash: &str) -> StoredVersion {
        StoredVersion {
            source_version: version.map(str::to_owned),
            record_hash: hash.to_owned(),
        }
    }

    #[test]
    fn quickbooks_sync_token_10_is_newer_than_9() {
        assert_eq!(compare_versions("10", "9"), Ordering::Greater);
        assert_eq!(
            decide(Some(&stored(Some("9"), "h")), Some("10"), "h2"),
            Change::Updated
        );
        assert_eq!(
            decide(Some(&stored(Some("10"), "h")), Some("9"), "h2"),
            Change::Stale
        );
    }

    #[test]
    fn xero_timestamps_compare_as_text() {
        assert_eq!(
            compare_versions("2026-10-02T08:00:00Z", "2026-10-01T23:59:59Z"),
            Ordering::Greater
        );
        assert_eq!(compare_versions("10a", "9a"), Ordering::Less, "text order");
    }

    #[test]
    fn an_equal_version_is_unchanged_even_if_the_content_differs() {
        assert_eq!(
            decide(Some(&stored(Some("3"), "a")), Some("3"), "b"),
            Change::Unchanged
        );
    }

    #[test]
    fn without_versions_the_content_decides() {
        assert_eq!(
            decide(Some(&stored(None, "a")), None, "a"),
            Change::Unchanged
        );
        assert_eq!(decide(Some(&stored(None, "a")), None, "b"), Change::Updated);
        assert_eq!(
            decide(Some(&stored(Some("4"), "a")), None, "b"),
            Change::Updated
        );
        assert_eq!(decide(None, Some("1"), "a"), Change::Inserted);
    }

    proptest! {
        /// Whatever order the pages of an overlapping incremental sync arrive in, the
        /// version that stays is the highest one.
        #[test]
        fn the_highest_sync_token_survives_any_arrival_order(
            tokens in proptest::collection::vec(0u64..1_000_000, 1..20)
        ) {
            let mut held: Option<StoredVersion> = None;
            for t in &tokens {
                let v = t.to_string();
                match decide(held.as_ref(), Some(&v), &v) {
                    Change::Inserted | Change::Updated => held = Some(stored(Some(&v), &v)),
                    Change::Unchanged | Change::Stale | Change::Deleted => {}
                }
            }
            let max = tokens.iter().max().map(u64::to_string);
            prop_assert_eq!(held.and_then(|h| h.source_version), max);
        }
    }
}
