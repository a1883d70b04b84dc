//! The scale run: one generated case of a given size reconciled once, timed, with the
//! process's peak resident memory, beside the floor any matcher is measured against: a
//! plain hash join of the receipts' words and structured references on the invoice numbers
//! and payment references, over the same data in the same process.
//!
//! [`write_scale_case`] and [`run_scale_case`] split a run in two, so the process that
//! matches holds only what the matcher is given (the books, the receipts and the rates, read
//! from a file) and its peak is the matcher's, not the generator's.
//!
//! Peak memory is the kernel's high-water mark (`VmHWM` in /proc/self/status), which only
//! grows; one size per process gives a clean figure, and the binary runs each size in a
//! child process of its own.

use crate::error::{BenchError, Result};
use crate::generate::{Case, CaseSpec, generate};
use crate::measure::{QualityReport, read_truth_csv, receipts_of, score, truth_csv};
use arsync_model::{CreditNote, Currency, FxRate, Invoice, Party, RateBook};
use arsync_reconcile::{Memory, Receipt, ReconcileInput, Settings, reconcile, reconcile_owned};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
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
    /// CPU time (user + system, all threads) the matcher took, milliseconds, from
    /// /proc/self/stat at the kernel's 100 Hz tick; `None` where /proc is unavailable.
    #[serde(default)]
    pub reconcile_cpu_ms: Option<u64>,
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
    /// FNV-1a 64 digest of the whole outcome as JSON, in hex, when asked for: two builds of
    /// the matcher decide identically on this case when their digests are equal.
    #[serde(default)]
    pub outcome_digest: Option<String>,
}

/// What a scale run does besides the floor.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScaleOptions {
    /// Run the matcher too (otherwise only the floor).
    pub with_matcher: bool,
    /// Digest the outcome after timing it (see [`ScaleFigures::outcome_digest`]).
    pub digest: bool,
}

/// FNV-1a 64 over everything written to it.
struct Fnv(u64);

impl std::io::Write for Fnv {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for b in buf {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The FNV-1a 64 digest of a value's JSON, in hex.
pub fn json_digest<T: Serialize>(value: &T) -> Result<String> {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    serde_json::to_writer(&mut h, value)
        .map_err(|e| crate::error::BenchError::Export(format!("digesting the outcome: {e}")))?;
    Ok(format!("{:016x}", h.0))
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU time of this process (all its threads) in milliseconds, from
/// /proc/self/stat (fields 14 and 15, in ticks of 10 ms, the kernel's `USER_HZ` on Linux).
pub fn cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10)
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
    scale_run_with(
        seed,
        items,
        ScaleOptions {
            with_matcher,
            digest: false,
        },
    )
}

/// [`scale_run`] with options.
pub fn scale_run_with(seed: u64, items: usize, options: ScaleOptions) -> Result<ScaleFigures> {
    let with_matcher = options.with_matcher;
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
            reconcile_cpu_ms: None,
            hash_join_ms,
            hash_join_hits,
            rss_before_kib,
            peak_rss_kib: peak_rss_kib(),
            auto: 0,
            suggested: 0,
            unmatched: 0,
            precision: None,
            recall: None,
            outcome_digest: None,
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
    let cpu_before = cpu_ms();
    let matched = Instant::now();
    let outcome = reconcile(&input, &Settings::default())?;
    let reconcile_ms = Some(millis(matched.elapsed()));
    let reconcile_cpu_ms = cpu_ms().zip(cpu_before).map(|(a, b)| a.saturating_sub(b));
    let peak = peak_rss_kib();
    let report: QualityReport = score(&truth, &outcome);
    let outcome_digest = if options.digest {
        Some(json_digest(&outcome)?)
    } else {
        None
    };
    Ok(ScaleFigures {
        items,
        receipts: n_receipts,
        generate_ms,
        reconcile_ms,
        reconcile_cpu_ms,
        hash_join_ms,
        hash_join_hits,
        rss_before_kib,
        peak_rss_kib: peak,
        auto: outcome.applied().count(),
        suggested: outcome.suggested().count(),
        unmatched: outcome.unmatched.len(),
        precision: report.total.precision().map(|d| d.to_string()),
        recall: report.total.recall().map(|d| d.to_string()),
        outcome_digest,
    })
}

/// What the matcher is given in a scale run, as written between the two steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScaleCase {
    /// The run date.
    pub as_of: NaiveDate,
    /// The home currency.
    pub home: Currency,
    /// Customers.
    pub parties: Vec<Party>,
    /// Open invoices.
    pub invoices: Vec<Invoice>,
    /// Open credit notes.
    pub credit_notes: Vec<CreditNote>,
    /// The receipts of the statement.
    pub receipts: Vec<Receipt>,
    /// The rate history.
    pub rates: Vec<FxRate>,
}

/// The files of one generated scale case, and how long generating took.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScaleCaseFiles {
    /// The case as JSON ([`ScaleCase`]).
    pub case: PathBuf,
    /// Its truth as CSV (as `quality --files` writes it).
    pub truth: PathBuf,
    /// Milliseconds to generate the case (not to write it).
    pub generate_ms: u64,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BenchError + '_ {
    move |source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Generates the case of [`scale_run`] for `seed` and `items` and writes it into `dir` as
/// `scale-<seed>-<items>.json` and `scale-<seed>-<items>.truth.csv`.
pub fn write_scale_case(seed: u64, items: usize, dir: &Path) -> Result<ScaleCaseFiles> {
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
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let case_path = dir.join(format!("scale-{seed}-{items}.json"));
    let truth_path = dir.join(format!("scale-{seed}-{items}.truth.csv"));
    let case = ScaleCase {
        as_of: spec.as_of,
        home,
        parties,
        invoices,
        credit_notes,
        receipts,
        rates,
    };
    let file = std::fs::File::create(&case_path).map_err(io_error(&case_path))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut writer, &case).map_err(|e| BenchError::RoundTrip {
        path: case_path.clone(),
        detail: format!("could not be written: {e}"),
    })?;
    std::io::Write::flush(&mut writer).map_err(io_error(&case_path))?;
    std::fs::write(&truth_path, truth_csv(&truth)).map_err(io_error(&truth_path))?;
    Ok(ScaleCaseFiles {
        case: case_path,
        truth: truth_path,
        generate_ms,
    })
}

/// Reads a case written by [`write_scale_case`], runs the floor and (with `with_matcher` in
/// `options`) the matcher on it, and scores the outcome against the truth file, which is
/// read only after the peak was taken.
pub fn run_scale_case(files: &ScaleCaseFiles, options: ScaleOptions) -> Result<ScaleFigures> {
    let path = &files.case;
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    let case: ScaleCase = serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
        BenchError::RoundTrip {
            path: path.clone(),
            detail: format!("not a scale case ({e}); write it again with `scale`"),
        }
    })?;
    let ScaleCase {
        as_of,
        home,
        parties,
        invoices,
        credit_notes,
        receipts,
        rates,
    } = case;
    let joined = Instant::now();
    let hash_join_hits = hash_join(&invoices, &receipts);
    let hash_join_ms = millis(joined.elapsed());
    let items = invoices.len() + credit_notes.len();
    let n_receipts = receipts.len();
    let book = RateBook::new(rates);
    let rss_before_kib = status_kib("VmRSS:");
    let mut figures = ScaleFigures {
        items,
        receipts: n_receipts,
        generate_ms: files.generate_ms,
        reconcile_ms: None,
        reconcile_cpu_ms: None,
        hash_join_ms,
        hash_join_hits,
        rss_before_kib,
        peak_rss_kib: None,
        auto: 0,
        suggested: 0,
        unmatched: 0,
        precision: None,
        recall: None,
        outcome_digest: None,
    };
    if !options.with_matcher {
        figures.peak_rss_kib = peak_rss_kib();
        return Ok(figures);
    }
    let memory = Memory::default();
    let input = ReconcileInput {
        as_of,
        home,
        parties: &parties,
        invoices: &invoices,
        credit_notes: &credit_notes,
        receipts,
        rates: &book,
        memory: &memory,
    };
    let cpu_before = cpu_ms();
    let matched = Instant::now();
    let outcome = reconcile_owned(input, &Settings::default())?;
    figures.reconcile_ms = Some(millis(matched.elapsed()));
    figures.reconcile_cpu_ms = cpu_ms().zip(cpu_before).map(|(a, b)| a.saturating_sub(b));
    figures.peak_rss_kib = peak_rss_kib();
    let truth_bytes = std::fs::read(&files.truth).map_err(io_error(&files.truth))?;
    let truth = read_truth_csv(&files.truth.display().to_string(), &truth_bytes)?;
    let report: QualityReport = score(&truth, &outcome);
    figures.auto = outcome.applied().count();
    figures.suggested = outcome.suggested().count();
    figures.unmatched = outcome.unmatched.len();
    figures.precision = report.total.precision().map(|d| d.to_string());
    figures.recall = report.total.recall().map(|d| d.to_string());
    if options.digest {
        figures.outcome_digest = Some(json_digest(&outcome)?);
    }
    Ok(figures)
}
