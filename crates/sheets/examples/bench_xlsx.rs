//! Benchmark: reading a 100,000-row open-items workbook, for docs/BENCHMARKS.md.
//!
//! ```text
//! cargo build --release -p arsync-sheets --example bench_xlsx
//! target/release/examples/bench_xlsx write /tmp/arsync-sheets-bench/invoices-100k.xlsx [rows]
//! target/release/examples/bench_xlsx read  /tmp/arsync-sheets-bench/invoices-100k.xlsx [runs]
//! ```
//!
//! `write` makes the workbook an accounting system exports: a title line, headers, then one
//! invoice per row with real date cells, amounts as numbers, repeated customer names as
//! shared strings, and a total line. The content is deterministic. `read` runs
//! `read_items` on it `runs` times in this process (default 5), each from the file on disk,
//! and prints each run's wall and CPU time, the best and median, what was read, and the
//! process's peak resident memory (`VmHWM`). `read-one-thread` does the same through
//! `read_table` then `read_items_from_table`, the path of every format that is not
//! streamed, with no second thread. Write and read are separate processes so the peak is the
//! reader's own. `crates/sheets/examples/bench_openpyxl.py` reads the same file with
//! openpyxl for comparison.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use arsync_sheets::{SheetOptions, Source, read_items, read_items_from_table, read_table};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const CUSTOMERS: [(&str, &str); 12] = [
    ("10001", "Müller Maschinenbau GmbH"),
    ("10002", "Dupont SARL"),
    ("10003", "Tanaka Trading K.K."),
    ("10004", "Acme Widgets Ltd"),
    ("10005", "Schweizer Präzision AG"),
    ("10006", "Hudson Supply Inc."),
    ("10007", "Nordic Timber AB"),
    ("10008", "Rossi & Figli S.p.A."),
    ("10009", "Van Dijk Logistiek B.V."),
    ("10010", "Kowalski Sp. z o.o."),
    ("10011", "Société Générale de Pièces"),
    ("10012", "Smith & Sons Ltd"),
];
const CURRENCIES: [&str; 4] = ["EUR", "EUR", "USD", "GBP"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(verb), Some(path)) = (args.get(1), args.get(2)) else {
        eprintln!(
            "usage: bench_xlsx write <path.xlsx> [rows] | read <path.xlsx> [runs] | read-one-thread <path.xlsx> [runs]"
        );
        return ExitCode::from(2);
    };
    let count = |default: u32| {
        args.get(3)
            .map_or(Ok(default), |n| n.parse::<u32>())
            .map_err(|e| format!("{e}"))
    };
    let result = match verb.as_str() {
        "write" => count(100_000).and_then(|rows| write(Path::new(path), rows)),
        "read" => count(5).and_then(|runs| read(Path::new(path), runs, true)),
        "read-one-thread" => count(5).and_then(|runs| read(Path::new(path), runs, false)),
        other => Err(format!("unknown verb '{other}': use write or read")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(path: &Path, rows: u32) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let started = Instant::now();
    workbook(rows)
        .and_then(|mut book| book.save(path))
        .map_err(|e| e.to_string())?;
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    println!(
        "wrote {} rows to {} ({size} bytes) in {:.2} s",
        rows,
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn workbook(rows: u32) -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let money = Format::new().set_num_format("#,##0.00");
    let sheet = book.add_worksheet();
    sheet.set_name("Open Items")?;
    sheet.write_string(0, 0, "Open items as of 23.11.2026")?;
    let headers = [
        "Invoice No",
        "Customer No",
        "Customer",
        "Invoice Date",
        "Due Date",
        "Amount",
        "Amount Due",
        "Currency",
    ];
    for (c, h) in (0u16..).zip(headers) {
        sheet.write_string(2, c, h)?;
    }
    let first = ExcelDateTime::from_ymd(2025, 1, 1)?;
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for i in 0..rows {
        // xorshift: the same rows on every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let r = i + 3;
        let (id, name) = CUSTOMERS[usize::try_from(state % 12).unwrap_or(0)];
        let cents = 1_000 + (state >> 8) % 5_000_000;
        let paid_share = (state >> 40) % 4; // a quarter of the invoices partly paid
        let open_cents = if paid_share == 0 { cents / 3 } else { cents };
        let issued = u32::try_from((state >> 20) % 680).unwrap_or(0);
        let terms = [14u32, 30, 45, 60][usize::try_from((state >> 50) % 4).unwrap_or(0)];
        sheet.write_string(r, 0, format!("INV-{:06}", i + 1))?;
        sheet.write_string(r, 1, id)?;
        sheet.write_string(r, 2, name)?;
        let issue = serial_date(&first, issued)?;
        let due = serial_date(&first, issued + terms)?;
        sheet.write_date_with_format(r, 3, &issue, &date)?;
        sheet.write_date_with_format(r, 4, &due, &date)?;
        sheet.write_number_with_format(r, 5, cents_to_f64(cents), &money)?;
        sheet.write_number_with_format(r, 6, cents_to_f64(open_cents), &money)?;
        sheet.write_string(r, 7, CURRENCIES[usize::try_from(state % 4).unwrap_or(0)])?;
    }
    let total_row = rows + 4;
    sheet.write_string(total_row, 2, "Total")?;
    Ok(book)
}

/// Excel stores amounts as doubles; the workbook holds what typing the cents would.
fn cents_to_f64(cents: u64) -> f64 {
    format!("{}.{:02}", cents / 100, cents % 100)
        .parse()
        .unwrap_or(0.0)
}

fn serial_date(first: &ExcelDateTime, days: u32) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_serial_datetime(first.to_excel() + f64::from(days))
}

fn read(path: &Path, runs: u32, overlapped: bool) -> Result<(), String> {
    let options = SheetOptions {
        connection: "bench".into(),
        ..SheetOptions::default()
    };
    let mut times = Vec::new();
    let mut summary = String::new();
    let mut cpu_times = Vec::new();
    for run in 1..=runs.max(1) {
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let items = if overlapped {
            read_items(Source::Path(path), &options)
        } else {
            read_table(Source::Path(path), &options)
                .and_then(|table| read_items_from_table(&table, &options))
        }
        .map_err(|e| e.to_string())?;
        let total = started.elapsed();
        let cpu = cpu_seconds()
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        println!(
            "run {run}: {:.3} s, cpu {}",
            total.as_secs_f64(),
            cpu.map_or_else(|| "?".to_owned(), |c| format!("{c:.2} s"))
        );
        cpu_times.extend(cpu);
        times.push(total);
        summary = format!(
            "{} invoices, {} credit notes, {} customers, {} rows reported",
            items.invoices.len(),
            items.credit_notes.len(),
            items.parties.len(),
            items.problems.len()
        );
    }
    times.sort();
    let median = times
        .get(times.len() / 2)
        .copied()
        .unwrap_or(Duration::ZERO);
    let best = times.first().copied().unwrap_or(Duration::ZERO);
    println!("{summary}");
    cpu_times.sort_by(f64::total_cmp);
    if let Some(best_cpu) = cpu_times.first() {
        println!("best cpu {best_cpu:.2} s (user + system)");
    }
    println!(
        "best {:.3} s, median {:.3} s over {} runs; peak RSS {} MB",
        best.as_secs_f64(),
        median.as_secs_f64(),
        times.len(),
        peak_rss_kib().map_or_else(|| "?".to_owned(), |k| format!("{:.1}", kib_to_mb(k)))
    );
    Ok(())
}

fn kib_to_mb(kib: u64) -> f64 {
    f64::from(u32::try_from(kib).unwrap_or(u32::MAX)) * 1024.0 / 1_000_000.0
}

/// CPU time of this process so far (user + system), from `/proc/self/stat` in clock ticks
/// of 1/100 s: under a loaded machine it moves less than the wall clock.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(f64::from(u32::try_from(ticks).ok()?) / 100.0)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
