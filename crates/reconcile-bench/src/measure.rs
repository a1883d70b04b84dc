//! Scoring a reconciliation against the truth: per pattern, how many allocations were
//! applied automatically and were right or wrong, how many were suggested, how many
//! receipts were left unmatched, the precision of the automatic allocations and the recall
//! of the true allocations (applied or suggested).
//!
//! An allocation is right when the invoice it settles is one the receipt really pays.
//! Receipts that pay nothing (reversed pairs, look-alike amounts, interest and refunds)
//! make every allocation wrong.

use crate::error::{BenchError, Result};
use crate::generate::{Case, Pattern, Truth};
use arsync_model::{BankEntry, Decimal, RateBook};
use arsync_reconcile::{Decision, Memory, Outcome, Receipt, ReconcileInput, Settings, reconcile};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The figures of one pattern (or of all, when `pattern` is `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatternRow {
    /// The pattern; `None` for the total.
    pub pattern: Option<Pattern>,
    /// Receipts of this pattern given to the matcher.
    pub cases: usize,
    /// Allocations the truth holds (receipt × invoice it pays).
    pub expected: usize,
    /// Automatic allocations to an invoice the receipt pays.
    pub auto_correct: usize,
    /// Automatic allocations to an invoice it does not pay.
    pub auto_wrong: usize,
    /// Suggested allocations to an invoice the receipt pays.
    pub suggested_correct: usize,
    /// Suggested allocations to an invoice it does not pay.
    pub suggested_wrong: usize,
    /// Receipts left unmatched.
    pub unmatched: usize,
    /// True allocations found, applied or suggested.
    pub found: usize,
}

fn percent(part: usize, whole: usize) -> Option<Decimal> {
    (whole > 0)
        .then(|| (Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole)).round_dp(2))
}

impl PatternRow {
    /// Share of automatic allocations that are right, in percent; `None` with none applied.
    pub fn precision(&self) -> Option<Decimal> {
        percent(self.auto_correct, self.auto_correct + self.auto_wrong)
    }

    /// Share of true allocations applied or suggested, in percent; `None` when the
    /// pattern pays nothing.
    pub fn recall(&self) -> Option<Decimal> {
        percent(self.found, self.expected)
    }

    /// Share of true allocations applied automatically, in percent.
    pub fn auto_recall(&self) -> Option<Decimal> {
        percent(self.auto_correct, self.expected)
    }

    fn add(&mut self, o: &PatternRow) {
        self.cases += o.cases;
        self.expected += o.expected;
        self.auto_correct += o.auto_correct;
        self.auto_wrong += o.auto_wrong;
        self.suggested_correct += o.suggested_correct;
        self.suggested_wrong += o.suggested_wrong;
        self.unmatched += o.unmatched;
        self.found += o.found;
    }
}

/// The quality of one run.
#[derive(Debug, Clone, Default)]
pub struct QualityReport {
    /// One row per pattern, in [`Pattern::ALL`] order.
    pub rows: Vec<PatternRow>,
    /// All patterns together.
    pub total: PatternRow,
    /// Bank entries that are not receipts (supplier payments and other debits).
    pub not_receipts: usize,
    /// Receipts with no truth recorded (should be none; counted, never hidden).
    pub without_truth: usize,
    /// Time the reconciliation took.
    pub elapsed: Duration,
    /// Every automatic allocation to an invoice the receipt does not pay, as a sentence
    /// naming the receipt, its pattern, what it pays and what was applied.
    pub wrong_auto: Vec<String>,
}

impl QualityReport {
    /// The report as a fixed-width table, one line per pattern and a total.
    pub fn table(&self) -> String {
        let fmt = |v: Option<Decimal>| v.map_or_else(|| "—".to_owned(), |d| format!("{d:.2} %"));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| pattern | cases | auto ✓ | auto ✗ | suggested ✓ | suggested ✗ | unmatched | precision (auto) | recall (auto+sugg.) | auto share |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in self.rows.iter().chain(std::iter::once(&self.total)) {
            let name = r.pattern.map_or("**all**", Pattern::as_str);
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.cases,
                r.auto_correct,
                r.auto_wrong,
                r.suggested_correct,
                r.suggested_wrong,
                r.unmatched,
                fmt(r.precision()),
                fmt(r.recall()),
                fmt(r.auto_recall()),
            );
        }
        out
    }
}

/// Receipts from bank entries, and how many entries are not receipts.
pub fn receipts_of(entries: &[BankEntry]) -> (Vec<Receipt>, usize) {
    let mut refused = 0;
    let receipts = entries
        .iter()
        .filter_map(|e| match Receipt::from_bank_entry(e) {
            Ok(r) => Some(r),
            Err(_) => {
                refused += 1;
                None
            }
        })
        .collect();
    (receipts, refused)
}

/// Scores an outcome against the truth, keyed by the receipts' bank references.
pub fn score(truth: &BTreeMap<String, Truth>, outcome: &Outcome) -> QualityReport {
    let mut rows: BTreeMap<Pattern, PatternRow> = Pattern::ALL
        .iter()
        .map(|p| {
            (
                *p,
                PatternRow {
                    pattern: Some(*p),
                    ..PatternRow::default()
                },
            )
        })
        .collect();
    let mut without_truth = 0;
    let mut wrong_auto = Vec::new();
    for m in &outcome.matches {
        let Some(t) = truth.get(&m.receipt.reference) else {
            without_truth += 1;
            continue;
        };
        let Some(row) = rows.get_mut(&t.pattern) else {
            continue;
        };
        row.cases += 1;
        row.expected += t.invoices.len();
        let mut found: Vec<&str> = Vec::new();
        for a in &m.allocations {
            let right = t.invoices.contains(&a.number);
            match (m.decision, right) {
                (Decision::Auto, true) => row.auto_correct += 1,
                (Decision::Auto, false) => {
                    row.auto_wrong += 1;
                    wrong_auto.push(format!(
                        "{} ({}, {}) pays [{}] but {} was applied to {}: {}",
                        m.receipt.reference,
                        t.pattern,
                        m.receipt.amount,
                        t.invoices.join(", "),
                        a.applied,
                        a.number,
                        m.explanation
                    ));
                }
                (Decision::Suggested, true) => row.suggested_correct += 1,
                (Decision::Suggested, false) => row.suggested_wrong += 1,
            }
            if right && !found.contains(&a.number.as_str()) {
                found.push(&a.number);
            }
        }
        row.found += found.len();
    }
    for u in &outcome.unmatched {
        let Some(t) = truth.get(&u.receipt.reference) else {
            without_truth += 1;
            continue;
        };
        if let Some(row) = rows.get_mut(&t.pattern) {
            row.cases += 1;
            row.expected += t.invoices.len();
            row.unmatched += 1;
        }
    }
    let rows: Vec<PatternRow> = rows.into_values().collect();
    let mut total = PatternRow::default();
    for r in &rows {
        total.add(r);
    }
    QualityReport {
        rows,
        total,
        not_receipts: 0,
        without_truth,
        elapsed: Duration::ZERO,
        wrong_auto,
    }
}

/// Reconciles a generated case held in memory and scores it.
pub fn measure(case: &Case, settings: &Settings) -> Result<QualityReport> {
    let (receipts, refused) = receipts_of(&case.entries);
    let rates = RateBook::new(case.rates.iter().cloned());
    let memory = Memory::default();
    let input = ReconcileInput {
        as_of: case.spec.as_of,
        home: case.home,
        parties: &case.parties,
        invoices: &case.invoices,
        credit_notes: &case.credit_notes,
        receipts,
        rates: &rates,
        memory: &memory,
    };
    let started = Instant::now();
    let outcome = reconcile(&input, settings)?;
    let elapsed = started.elapsed();
    let mut report = score(&case.truth, &outcome);
    report.not_receipts = refused;
    report.elapsed = elapsed;
    Ok(report)
}

/// The truth as CSV (`receipt_reference,pattern,invoices`, invoices separated by spaces),
/// to keep beside a case's files.
pub fn truth_csv(truth: &BTreeMap<String, Truth>) -> String {
    let mut out = String::from("receipt_reference,pattern,invoices\n");
    for (reference, t) in truth {
        // Pattern names hold commas ("combined, none listed"), so they are quoted.
        let _ = writeln!(
            out,
            "{reference},\"{}\",{}",
            t.pattern,
            t.invoices.join(" ")
        );
    }
    out
}

fn csv_error(file: &str, e: &csv::Error) -> BenchError {
    let line = e.position().map_or(0, csv::Position::line);
    BenchError::Export(format!(
        "{file} line {line}: {e}; expected the CSV as written"
    ))
}

/// Reads a truth CSV written by [`truth_csv`].
pub fn read_truth_csv(file: &str, bytes: &[u8]) -> Result<BTreeMap<String, Truth>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let mut truth = BTreeMap::new();
    for record in reader.records() {
        let r = record.map_err(|e| csv_error(file, &e))?;
        let line = r.position().map_or(0, csv::Position::line);
        let pattern = Pattern::parse(r.get(1).unwrap_or_default()).ok_or_else(|| {
            BenchError::Export(format!(
                "{file} line {line}, column pattern: '{}' is not a pattern; use one of the names in the quality table",
                r.get(1).unwrap_or_default()
            ))
        })?;
        let invoices = r
            .get(2)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        truth.insert(
            r.get(0).unwrap_or_default().to_owned(),
            Truth { pattern, invoices },
        );
    }
    Ok(truth)
}

/// Scores the CSV that `arsync reconcile ... -o FILE.csv` writes (one row per allocation
/// and per unmatched receipt; columns `receipt_reference`, `invoice_number`, `decision`)
/// against the truth. Rows without an invoice number (a match that allocates nothing, a
/// residual) count the receipt as a case and nothing else.
pub fn score_export(
    truth: &BTreeMap<String, Truth>,
    file: &str,
    bytes: &[u8],
) -> Result<QualityReport> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().map_err(|e| csv_error(file, &e))?.clone();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            BenchError::Export(format!(
                "{file}: no column '{name}'; give the CSV written by `arsync reconcile -o`"
            ))
        })
    };
    let (c_ref, c_inv, c_dec) = (
        column("receipt_reference")?,
        column("invoice_number")?,
        column("decision")?,
    );
    let mut rows: BTreeMap<Pattern, PatternRow> = Pattern::ALL
        .iter()
        .map(|p| {
            (
                *p,
                PatternRow {
                    pattern: Some(*p),
                    ..PatternRow::default()
                },
            )
        })
        .collect();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut without_truth = 0;
    let mut wrong_auto = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| csv_error(file, &e))?;
        let reference = r.get(c_ref).unwrap_or_default();
        let Some(t) = truth.get(reference) else {
            without_truth += 1;
            continue;
        };
        let Some(row) = rows.get_mut(&t.pattern) else {
            continue;
        };
        let found = match seen.get_mut(reference) {
            Some(f) => f,
            None => {
                row.cases += 1;
                row.expected += t.invoices.len();
                seen.entry(reference.to_owned()).or_default()
            }
        };
        let number = r.get(c_inv).unwrap_or_default();
        let decision = r.get(c_dec).unwrap_or_default();
        if decision == "unmatched" {
            row.unmatched += 1;
            continue;
        }
        // A match without allocations, and each residual, is a row without an invoice.
        if number.is_empty() {
            continue;
        }
        let right = t.invoices.iter().any(|n| n == number);
        match (decision, right) {
            ("auto", true) => row.auto_correct += 1,
            ("auto", false) => {
                row.auto_wrong += 1;
                wrong_auto.push(format!(
                    "{reference} ({}) pays [{}] but was applied to {number}",
                    t.pattern,
                    t.invoices.join(", ")
                ));
            }
            (_, true) => row.suggested_correct += 1,
            (_, false) => row.suggested_wrong += 1,
        }
        if right && !found.iter().any(|f| f == number) {
            found.push(number.to_owned());
            row.found += 1;
        }
    }
    let rows: Vec<PatternRow> = rows.into_values().collect();
    let mut total = PatternRow::default();
    for r in &rows {
        total.add(r);
    }
    Ok(QualityReport {
        rows,
        total,
        not_receipts: 0,
        without_truth,
        elapsed: Duration::ZERO,
        wrong_auto,
    })
}
