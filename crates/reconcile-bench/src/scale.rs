//! The scale run: one generated case of a given size reconciled once, timed, with the
//! process's peak resident memory, beside the floor any matcher is measured against: a
//! plain hash join of the receipts' words and structured references on the invoice numbers
//! and payment references, over the same data in the same process.
//!
//! Peak memory is the kernel's high-water mark (`VmHWM` in /proc/self/status), which only
//! grows; one size per process gives a clean figure, and the binary runs each size in a
//! child process of its own.

use crate::error::Result;
use crate::generate::{Case, CaseSpec, generate};
use crate::measure::{QualityReport, receipts_of, score};
use arsync_model::{Invoice, RateBook};
use arsync_reconcile::{Memory, Receipt, ReconcileInput, Settings, reconcile};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The figures of one scale run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScaleFigures {
    /// Open items (invoices and credit notes).
    pub items: usize,
    /// Receipts given to the matcher.
    pub receipts: usize,
    /// Milliseconds to generate the case.
    pub generate_ms: u64,
    /// Milliseconds the matcher took (`reconcile`); `None` when only the floor was run.
    pub reconcile_ms: Option<u64>,
    /// Milliseconds the hash join took.
    pub hash_join_ms: u64,
    /// Receipts the hash join found an item for.
    pub hash_join_hits: usize,
    /// Resident memory before the matcher ran, KiB (the generated case and receipts).
    pub rss_before_kib: Option<u64>,
    /// Peak resident memory of the whole process, KiB.
    pub peak_rss_kib: Option<u64>,
    /// Receipts applied automatically.
    pub auto: usize,
    /// Receipts suggested.
    pub suggested: usize,
    /// Receipts left unmatched.
    pub unmatched: usize,
    /// Precision of automatic allocations at this size, percent, as a string.
    pub precision: Option<String>,
    /// Recall at this size, percent, as a string.
    pub recall: Option<String>,
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The process's peak resident memory in KiB (`VmHWM`), where /proc is available.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The floor: receipts whose remittance words or structured references equal an invoice
/// number or payment reference exactly, found through one hash map.
pub fn hash_join(invoices: &[Invoice], receipts: &[Receipt]) -> usize {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(invoices.len() * 2);
    for (i, inv) in invoices.iter().enumerate() {
        index.insert(inv.number.as_str(), i);
        if let Some(r) = &inv.payment_reference {
            index.insert(r.as_str(), i);
        }
    }
    receipts
        .iter()
        .filter(|r| {
            r.structured_refs
                .iter()
                .any(|s| index.contains_key(s.value.as_str()))
                || r.remittance.iter().any(|line| {
                    line.split(|c: char| c.is_whitespace() || c == ',')
                        .any(|w| index.contains_key(w))
                })
        })
        .count()
}

/// A case of `items` invoices in which every invoice is paid (so receipts and items are
/// about equal in number), joined by the hash-join floor and, with `with_matcher`,
/// reconciled once.
pub fn scale_run(seed: u64, items: usize, with_matcher: bool) -> Result<ScaleFigures> {
    let started = Instant::now();
    let mut spec = CaseSpec::new(seed, items);
    spec.paid_percent = 100;
    let Case {
        spec,
        home,
        parties,
        invoices,
        credit_notes,
        entries,
        rates,
        truth,
        ..
    } = generate(&spec)?;
    let (receipts, _) = receipts_of(&entries);
    drop(entries);
    let generate_ms = millis(started.elapsed());

    let joined = Instant::now();
    let hash_join_hits = hash_join(&invoices, &receipts);
    let hash_join_ms = millis(joined.elapsed());

    let rss_before_kib = status_kib("VmRSS:");
    let items = invoices.len() + credit_notes.len();
    let n_receipts = receipts.len();
    if !with_matcher {
        return Ok(ScaleFigures {
            items,
            receipts: n_receipts,
            generate_ms,
            reconcile_ms: None,
            hash_join_ms,
            hash_join_hits,
            rss_before_kib,
            peak_rss_kib: peak_rss_kib(),
            auto: 0,
            suggested: 0,
            unmatched: 0,
            precision: None,
            recall: None,
        });
    }
    let book = RateBook::new(rates);
    let memory = Memory::default();
    let input = ReconcileInput {
        as_of: spec.as_of,
        home,
        parties: &parties,
        invoices: &invoices,
        credit_notes: &credit_notes,
        receipts,
        rates: &book,
        memory: &memory,
    };
    let matched = Instant::now();
    let outcome = reconcile(&input, &Settings::default())?;
    let reconcile_ms = Some(millis(matched.elapsed()));
    let peak = peak_rss_kib();
    let report: QualityReport = score(&truth, &outcome);
    Ok(ScaleFigures {
        items,
        receipts: n_receipts,
        generate_ms,
        reconcile_ms,
        hash_join_ms,
        hash_join_hits,
        rss_before_kib,
        peak_rss_kib: peak,
        auto: outcome.applied().count(),
        suggested: outcome.suggested().count(),
        unmatched: outcome.unmatched.len(),
        precision: report.total.precision().map(|d| d.to_string()),
        recall: report.total.recall().map(|d| d.to_string()),
    })
}
