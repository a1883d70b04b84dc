//! `arsync reconcile --items FILE --statement FILE... [--rates FILE] --output FILE`:
//! matching without any books connected, for an accountant with an open-items export and
//! the bank's statements.

use crate::UsageError;
use crate::args::ReconcileArgs;
use crate::files::{Loaded, load_path};
use anyhow::Context;
use arsync_config::Config;
use arsync_model::{Clock, Currency, RateBook, today_in};
use arsync_reconcile::{Memory, Receipt, ReconcileInput, export_rows};
use std::path::Path;

pub(crate) fn run_files(
    args: &ReconcileArgs,
    config_path: &Path,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    // The configuration is optional here: it gives the home currency, time zone and
    // [reconcile] settings when present.
    let config = if config_path.exists() {
        Some(Config::load(config_path)?)
    } else {
        None
    };
    let home: Currency = match (&args.home_currency, &config) {
        (Some(code), _) => Currency::parse(code).map_err(|e| UsageError(format!("--home-currency: {e}")))?,
        (None, Some(c)) => c.company.home_currency,
        (None, None) => {
            return Err(UsageError(format!(
                "no configuration at {} to take the home currency from; pass --home-currency EUR (or the books' currency)",
                config_path.display()
            ))
            .into())
        }
    };
    let as_of = match (args.as_of, &config) {
        (Some(d), _) => d,
        (None, Some(c)) => today_in(c.company.timezone, clock),
        (None, None) => clock.now().date_naive(),
    };
    let settings = config
        .as_ref()
        .map(Config::reconcile_settings)
        .unwrap_or_default();
    let encoding = crate::files::encoding(args.encoding.as_deref())?;

    let mut parties = Vec::new();
    let mut invoices = Vec::new();
    let mut credit_notes = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let (Some(items_path), Some(output)) = (&args.items, &args.output) else {
        return Err(UsageError("file mode needs --items, --statement and --output".into()).into());
    };
    for f in load_path(items_path, "items", encoding)? {
        match f.content {
            Loaded::Items(items) => {
                parties.extend(items.parties);
                invoices.extend(items.invoices);
                credit_notes.extend(items.credit_notes);
                problems.extend(items.problems.iter().map(ToString::to_string));
            }
            _ => {
                return Err(UsageError(format!(
                    "--items {}: expected a spreadsheet or csv of open items, found a statement or rate file",
                    f.name
                ))
                .into())
            }
        }
    }
    let mut receipts = Vec::new();
    let mut skipped = 0usize;
    let mut rates = Vec::new();
    let inputs = args
        .statements
        .iter()
        .map(|p| (p, "--statement"))
        .chain(args.rates.iter().map(|p| (p, "--rates")));
    for (path, flag) in inputs {
        for f in load_path(path, "bank", encoding)? {
            match (flag, f.content) {
                ("--statement", Loaded::Statement(parsed)) => {
                    problems.extend(parsed.problems.iter().map(ToString::to_string));
                    for c in parsed.failed_checks() {
                        problems.push(format!("{}: {}", f.name, c.message));
                    }
                    for entry in parsed.entries() {
                        match Receipt::from_bank_entry(entry) {
                            Ok(r) => receipts.push(r),
                            Err(_) => skipped += 1,
                        }
                    }
                }
                ("--rates", Loaded::Rates(_, feed)) => rates.extend(feed.rates),
                (flag, _) => {
                    return Err(UsageError(format!(
                        "{flag} {}: this file is not what {flag} expects (a bank statement for --statement, a rate file for --rates)",
                        f.name
                    ))
                    .into())
                }
            }
        }
    }
    let book = RateBook::new(rates);
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
    let outcome = arsync_reconcile::reconcile(&input, &settings)?;
    let rows = export_rows(&outcome);
    write_rows(&rows, output)?;

    let auto = outcome
        .matches
        .iter()
        .filter(|m| m.decision == arsync_reconcile::Decision::Auto)
        .count();
    let suggested = outcome.matches.len() - auto;
    let mut out = format!(
        "Reconciled {} receipt(s) against {} open invoice(s) and {} credit note(s) as of {as_of}:\n  {auto} matched and applied automatically\n  {suggested} suggested for review\n  {} left unmatched\n  {skipped} statement line(s) were not receipts (debits, information only)\nWrote {} row(s) to {}\n",
        outcome.matches.len() + outcome.unmatched.len(),
        invoices.len(),
        credit_notes.len(),
        outcome.unmatched.len(),
        rows.len(),
        output.display()
    );
    if !problems.is_empty() {
        out.push_str("\nProblems in the input (the rest was used):\n");
        for p in &problems {
            out.push_str(&format!("  - {p}\n"));
        }
    }
    super::say(&out)
}

/// Writes the export as CSV or JSON, chosen by the output's extension.
pub(crate) fn write_rows(rows: &[arsync_reconcile::ExportRow], path: &Path) -> anyhow::Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let bytes =
        match ext.as_str() {
            "csv" => {
                let mut w = csv::Writer::from_writer(Vec::new());
                for r in rows {
                    w.serialize(r)?;
                }
                w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
            }
            "json" => {
                let mut b = serde_json::to_vec_pretty(rows)?;
                b.push(b'\n');
                b
            }
            _ => return Err(UsageError(format!(
                "--output {}: name the file .csv or .json so arsync knows which format to write",
                path.display()
            ))
            .into()),
        };
    // Written next to its final name and renamed, so a reader never sees half a file.
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing into {}", dir.display()))?;
    std::fs::write(tmp.path(), bytes)?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
