//! Rows removed from the file. A file source has no deletion feed, so the plugin keeps, in
//! the journal beside the companion, the documents of the last two versions of the file it
//! delivered. When a changed file is pulled, each invoice, credit note or payment of the
//! version the stream's cursor names that is missing from the new version is delivered
//! again as a tombstone (status `deleted`), as the protocol requires, instead of being
//! dropped. The comparison depends only on the cursor and the two file versions, so a page
//! pulled again after a crash, or in a fresh process, holds the same tombstones.

use arsync_model::{CreditNote, DocumentStatus, Invoice, Origin, Payment, PaymentStatus};
use arsync_sdk::{Record, Stream};
use arsync_sheets::ItemsFile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Versions of the file kept: the newest and the one it was compared with.
pub(crate) const KEPT: usize = 2;

/// The documents of one version of the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    /// sha256 of the file.
    pub(crate) hash: String,
    /// The version this one was first compared with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) since: Option<String>,
    /// Invoices as delivered.
    #[serde(default)]
    pub(crate) invoices: Vec<Invoice>,
    /// Credit notes as delivered.
    #[serde(default)]
    pub(crate) credit_notes: Vec<CreditNote>,
    /// Payments as delivered.
    #[serde(default)]
    pub(crate) payments: Vec<Payment>,
}

impl Snapshot {
    /// The documents of `file`, the version with `hash`.
    pub(crate) fn of(hash: &str, since: Option<String>, file: &ItemsFile) -> Self {
        Self {
            hash: hash.to_owned(),
            since,
            invoices: file.invoices.clone(),
            credit_notes: file.credit_notes.clone(),
            payments: file.payments.clone(),
        }
    }
}

/// A tombstone's origin: no ordered version (a row hash is not one), so the store replaces
/// the record by its changed content.
fn tombstone_origin(origin: &Origin) -> Origin {
    let mut origin = origin.clone();
    origin.source_version = None;
    origin
}

fn ids<'a>(origins: impl Iterator<Item = &'a Origin>) -> BTreeSet<&'a str> {
    origins.map(|o| o.external_id.as_str()).collect()
}

/// The documents of `stream` in `before` that `now` no longer has, as tombstones.
pub(crate) fn removed(before: &Snapshot, now: &ItemsFile, stream: Stream) -> Vec<Record> {
    match stream {
        Stream::Invoices => {
            let present = ids(now.invoices.iter().map(|d| &d.origin));
            before
                .invoices
                .iter()
                .filter(|d| !present.contains(d.origin.external_id.as_str()))
                .filter(|d| d.status != DocumentStatus::Deleted)
                .map(|d| {
                    let mut gone = d.clone();
                    gone.status = DocumentStatus::Deleted;
                    gone.origin = tombstone_origin(&d.origin);
                    Record::Invoice(gone)
                })
                .collect()
        }
        Stream::CreditNotes => {
            let present = ids(now.credit_notes.iter().map(|d| &d.origin));
            before
                .credit_notes
                .iter()
                .filter(|d| !present.contains(d.origin.external_id.as_str()))
                .filter(|d| d.status != DocumentStatus::Deleted)
                .map(|d| {
                    let mut gone = d.clone();
                    gone.status = DocumentStatus::Deleted;
                    gone.origin = tombstone_origin(&d.origin);
                    Record::CreditNote(gone)
                })
                .collect()
        }
        Stream::Payments => {
            let present = ids(now.payments.iter().map(|d| &d.origin));
            before
                .payments
                .iter()
                .filter(|d| !present.contains(d.origin.external_id.as_str()))
                .filter(|d| d.status != PaymentStatus::Deleted)
                .map(|d| {
                    let mut gone = d.clone();
                    gone.status = PaymentStatus::Deleted;
                    gone.origin = tombstone_origin(&d.origin);
                    Record::Payment(gone)
                })
                .collect()
        }
        _ => Vec::new(),
    }
}
