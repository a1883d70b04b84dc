//! `arsync-reconcile-bench`: measured matching quality per payment pattern, and time and
//! peak memory at scale against a hash-join floor. Figures go to docs/BENCHMARKS.md.
//!
//! ```text
//! arsync-reconcile-bench quality --seed 1 --invoices 600 [--files DIR]
//! arsync-reconcile-bench scale --items 10000,100000,1000000
//! ```

use anyhow::{Context, Result, bail};
use arsync_reconcile::Settings;
use arsync_reconcile_bench::{
    Case, CaseSpec, QualityReport, ScaleCaseFiles, ScaleFigures, ScaleOptions, generate, measure,
    run_scale_case, scale_run_with, write_scale_case,
};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Measured quality and scale of arsync's receipt matching"
)]
struct Cli {
    #[command(subcommand)]
    command: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Generate a case with known truth, reconcile it, and print precision and recall per
    /// pattern.
    Quality {
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Open invoices in the case.
        #[arg(long, default_value_t = 600)]
        invoices: usize,
        /// Also write the case as camt.053, ECB XML and items CSV into this folder, read
        /// them back through the CLI's readers and measure that too.
        #[arg(long, value_name = "DIR")]
        files: Option<PathBuf>,
    },
    /// Score the CSV written by `arsync reconcile ... -o FILE.csv` against a case's truth
    /// file (`bench-<seed>.truth.csv`, written by `quality --files`).
    ScoreExport {
        /// The truth file.
        #[arg(long, value_name = "FILE")]
        truth: PathBuf,
        /// The export of `arsync reconcile`.
        #[arg(long, value_name = "FILE")]
        export: PathBuf,
    },
    /// Reconcile N items against about N receipts; time, peak memory, and the hash-join
    /// floor. Each size is generated into files by one child process and matched by another,
    /// which reads them first, so the peak memory is the matcher's and its inputs'.
    Scale {
        /// Sizes, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        items: Vec<usize>,
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Run one size in this process and print its figures as JSON (used by the parent).
        #[arg(long, hide = true)]
        single: bool,
        /// Only generate and run the hash-join floor, not the matcher.
        #[arg(long)]
        floor_only: bool,
        /// Also print a digest of each outcome (after timing), to compare two builds.
        #[arg(long)]
        digest: bool,
        /// Generate and match in one child process per size (peak memory then includes
        /// the generator's).
        #[arg(long)]
        in_process: bool,
        /// Where the generated cases are written (removed after each size).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Generate one size into `--dir` and print where (used by the parent).
        #[arg(long, hide = true)]
        write_case: bool,
        /// Match one written case, given as the JSON the writing child printed (used by
        /// the parent).
        #[arg(long, hide = true, value_name = "JSON")]
        run_case: Option<String>,
    },
}

fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

fn summary(label: &str, r: &QualityReport) -> String {
    let wrong: String = r
        .wrong_auto
        .iter()
        .map(|w| format!("  wrong auto: {w}\n"))
        .collect();
    let pct = |v: Option<arsync_model::Decimal>| v.map_or_else(|| "—".into(), |d| format!("{d} %"));
    format!(
        "{label}: precision of auto allocations {} (target ≥ 99.5 %), recall {} (target ≥ 95 %), \
         {} receipts, {} entries not receipts, {} without truth, reconciled in {} ms\n{wrong}",
        pct(r.total.precision()),
        pct(r.total.recall()),
        r.total.cases,
        r.not_receipts,
        r.without_truth,
        r.elapsed.as_millis()
    )
}

fn quality(seed: u64, invoices: usize, files: Option<PathBuf>) -> Result<()> {
    let case = generate(&CaseSpec::new(seed, invoices))?;
    let settings = Settings::default();
    let report = measure(&case, &settings)?;
    out(&format!(
        "seed {seed}, {} invoices, {} credit notes, {} customers, {} bank entries, {} rates\n\n",
        case.invoices.len(),
        case.credit_notes.len(),
        case.parties.len(),
        case.entries.len(),
        case.rates.len()
    ))?;
    out(&report.table())?;
    out(&summary("in memory", &report))?;
    if let Some(dir) = files {
        through_files(&case, &dir, &settings)?;
    }
    Ok(())
}

#[cfg(feature = "files")]
fn through_files(case: &Case, dir: &std::path::Path, settings: &Settings) -> Result<()> {
    use arsync_reconcile_bench::{read_case, write_case};
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let written = write_case(case, dir)?;
    let back = read_case(&written, case)?;
    let report = measure(&back, settings)?;
    out(&format!(
        "\nthrough the files ({}, {}, {}):\n\n",
        written.statement.display(),
        written.rates.display(),
        written.items.display()
    ))?;
    out(&report.table())?;
    out(&summary("through files", &report))
}

#[cfg(not(feature = "files"))]
fn through_files(_: &Case, _: &std::path::Path, _: &Settings) -> Result<()> {
    bail!("--files needs the `files` feature; build without --no-default-features")
}

/// How `scale` was asked to run.
struct ScaleArgs {
    items: Vec<usize>,
    seed: u64,
    single: bool,
    floor_only: bool,
    digest: bool,
    in_process: bool,
    dir: Option<PathBuf>,
    write_case: bool,
    run_case: Option<String>,
}

/// Runs this program again with `args` and returns what it printed.
fn child(exe: &std::path::Path, args: &[String], what: &str) -> Result<Vec<u8>> {
    let output = Command::new(exe)
        .args(args)
        .output()
        .with_context(|| format!("running {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output.stdout)
}

fn scale(a: ScaleArgs) -> Result<()> {
    let ScaleArgs {
        items,
        seed,
        single,
        floor_only,
        digest,
        in_process,
        dir,
        write_case,
        run_case,
    } = a;
    let options = ScaleOptions {
        with_matcher: !floor_only,
        digest,
    };
    let dir = dir.unwrap_or_else(|| std::env::temp_dir().join("arsync-reconcile-bench"));
    if write_case {
        let [n] = items[..] else {
            bail!("--write-case writes exactly one size; give one number to --items");
        };
        let files = write_scale_case(seed, n, &dir)?;
        return out(&format!("{}\n", serde_json::to_string(&files)?));
    }
    if let Some(json) = run_case {
        let files: ScaleCaseFiles =
            serde_json::from_str(&json).context("reading the case to run")?;
        let figures = run_scale_case(&files, options)?;
        return out(&format!("{}\n", serde_json::to_string(&figures)?));
    }
    if single {
        let [n] = items[..] else {
            bail!("--single runs exactly one size; give one number to --items");
        };
        let figures = scale_run_with(seed, n, options)?;
        out(&format!("{}\n", serde_json::to_string(&figures)?))?;
        return Ok(());
    }
    let exe = std::env::current_exe().context("finding this program to run each size")?;
    out(
        "| items | receipts | generate | reconcile | reconcile CPU | µs/receipt | peak RSS | RSS before matching | hash join | join hits | auto | suggested | unmatched | precision | recall |\n",
    )?;
    out("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")?;
    for n in &items {
        let mut flags: Vec<String> = vec!["scale".into(), "--seed".into(), seed.to_string()];
        if floor_only {
            flags.push("--floor-only".into());
        }
        if digest {
            flags.push("--digest".into());
        }
        let f: ScaleFigures = if in_process {
            let mut args = flags.clone();
            args.extend(["--single".into(), "--items".into(), n.to_string()]);
            serde_json::from_slice(&child(&exe, &args, &format!("the {n}-item size"))?)
                .with_context(|| format!("reading the {n}-item figures"))?
        } else {
            let mut args = flags.clone();
            args.extend([
                "--write-case".into(),
                "--items".into(),
                n.to_string(),
                "--dir".into(),
                dir.display().to_string(),
            ]);
            let written = child(&exe, &args, &format!("generating the {n}-item case"))?;
            let files: ScaleCaseFiles = serde_json::from_slice(&written)
                .with_context(|| format!("reading where the {n}-item case went"))?;
            let mut args = flags.clone();
            args.extend([
                "--run-case".into(),
                String::from_utf8_lossy(&written).trim().to_owned(),
            ]);
            let ran = child(&exe, &args, &format!("matching the {n}-item case"));
            for p in [&files.case, &files.truth] {
                std::fs::remove_file(p).with_context(|| format!("removing {}", p.display()))?;
            }
            serde_json::from_slice(&ran?)
                .with_context(|| format!("reading the {n}-item figures"))?
        };
        let mib = |k: Option<u64>| k.map_or_else(|| "—".into(), |k| format!("{} MiB", k / 1024));
        let per = match f.reconcile_ms {
            Some(ms) if f.receipts > 0 => {
                (u128::from(ms) * 1000 / u128::try_from(f.receipts).unwrap_or(1)).to_string()
            }
            _ => "—".into(),
        };
        let reconcile = f
            .reconcile_ms
            .map_or_else(|| "not run".into(), |ms| format!("{ms} ms"));
        let cpu = f
            .reconcile_cpu_ms
            .map_or_else(|| "—".into(), |ms| format!("{ms} ms"));
        out(&format!(
            "| {} | {} | {} ms | {reconcile} | {cpu} | {per} | {} | {} | {} ms | {} | {} | {} | {} | {} % | {} % |\n",
            f.items,
            f.receipts,
            f.generate_ms,
            mib(f.peak_rss_kib),
            mib(f.rss_before_kib),
            f.hash_join_ms,
            f.hash_join_hits,
            f.auto,
            f.suggested,
            f.unmatched,
            f.precision.as_deref().unwrap_or("—"),
            f.recall.as_deref().unwrap_or("—"),
        ))?;
        if let Some(d) = &f.outcome_digest {
            out(&format!("outcome digest at {} items: {d}\n", f.items))?;
        }
    }
    Ok(())
}

fn score_file(truth: &std::path::Path, export: &std::path::Path) -> Result<()> {
    let read =
        |p: &std::path::Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    let truth =
        arsync_reconcile_bench::read_truth_csv(&truth.display().to_string(), &read(truth)?)?;
    let report = arsync_reconcile_bench::score_export(
        &truth,
        &export.display().to_string(),
        &read(export)?,
    )?;
    out(&report.table())?;
    let pct = |v: Option<arsync_model::Decimal>| v.map_or_else(|| "—".into(), |d| format!("{d} %"));
    out(&format!(
        "the export: precision of auto allocations {} (target ≥ 99.5 %), recall {} (target ≥ 95 %), {} receipts, {} rows without truth\n",
        pct(report.total.precision()),
        pct(report.total.recall()),
        report.total.cases,
        report.without_truth
    ))
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Verb::ScoreExport { truth, export } => score_file(&truth, &export),
        Verb::Quality {
            seed,
            invoices,
            files,
        } => quality(seed, invoices, files),
        Verb::Scale {
            items,
            seed,
            single,
            floor_only,
            digest,
            in_process,
            dir,
            write_case,
            run_case,
        } => scale(ScaleArgs {
            items,
            seed,
            single,
            floor_only,
            digest,
            in_process,
            dir,
            write_case,
            run_case,
        }),
    }
}
