//! `arsync demo`: the bundled sample books, bank statement and reference rates, run through
//! the same loop a real installation runs: sync through the plugins, reconcile, collect,
//! write back to the books' companion workbook, and report.

use crate::args::{DemoArgs, Format};
use anyhow::Context;
use arsync_agent::Agent;
use arsync_model::{Clock, FixedClock};
use chrono::TimeZone;
use std::path::Path;
use std::sync::Arc;

/// The files of `config/demo`, built into the binary so the demo runs anywhere.
const FILES: &[(&str, &[u8])] = &[
    (
        "arsync.toml",
        include_bytes!("../../../../config/demo/arsync.toml"),
    ),
    (
        "books.xlsx",
        include_bytes!("../../../../config/demo/books.xlsx"),
    ),
    (
        "rates.xml",
        include_bytes!("../../../../config/demo/rates.xml"),
    ),
    (
        "statement.xml",
        include_bytes!("../../../../config/demo/statement.xml"),
    ),
];

/// Unpacks the demo files into `dir`.
pub(crate) fn unpack(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, bytes) in FILES {
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

pub(crate) async fn run(args: &DemoArgs, _clock: &dyn Clock) -> anyhow::Result<()> {
    let temp;
    let work: &Path = match &args.dir {
        Some(dir) => dir,
        None => {
            temp = tempfile::tempdir().context("creating a temporary folder for the demo")?;
            temp.path()
        }
    };
    unpack(work)?;
    let mut config = crate::context::load_config(&work.join("arsync.toml"))?;
    if let Some(store) = &args.store {
        let absolute =
            std::path::absolute(store).with_context(|| format!("resolving {}", store.display()))?;
        config.store.url = toml::Spanned::new(0..0, format!("sqlite://{}", absolute.display()));
    }
    let store = crate::context::open_store(&config).await?;
    // The demo is judged at 09:00 on its date in the company's zone, whatever today is.
    let morning = args
        .as_of
        .and_hms_opt(9, 0, 0)
        .context("09:00 exists on every date")?;
    let now = config
        .company
        .timezone
        .from_local_datetime(&morning)
        .earliest()
        .context("09:00 exists in the company's zone")?
        .with_timezone(&chrono::Utc);
    let clock: Arc<dyn Clock> = Arc::new(FixedClock(now));
    let agent = Agent::new(&config, &store, clock.clone());

    let mut out = format!(
        "arsync demo: {} (home currency {}, {}), judged on {}\nFiles in {}\n\n",
        config.company.name.as_deref().unwrap_or("sample company"),
        config.company.home_currency,
        config.company.timezone.name(),
        args.as_of,
        work.display()
    );

    out.push_str("1. Sync: each connection's plugin pulls into the store, page by page\n");
    let mut failures = Vec::new();
    for r in agent.sync(&[]).await? {
        let stored: u64 = r.streams.iter().map(|s| s.inserted + s.updated).sum();
        let records: u64 = r.streams.iter().map(|s| s.records).sum();
        out.push_str(&format!(
            "   {:<6} {:<24} {records} records read, {stored} new or changed\n",
            r.connection,
            r.plugin.as_deref().unwrap_or("-")
        ));
        for p in &r.problems {
            out.push_str(&format!("          problem: {}\n", p.problem));
        }
        if let Some(e) = &r.error {
            out.push_str(&format!("          stopped: {e}\n"));
            failures.push(r.connection.clone());
        }
    }
    if !failures.is_empty() {
        super::say(&out)?;
        anyhow::bail!(
            "the demo could not read {}; are the plugins built next to arsync? (`cargo build` builds them)",
            failures.join(", ")
        );
    }

    out.push_str("\n2. Reconcile: receipts on the bank statement against the open invoices\n");
    let run = agent.reconcile(args.as_of, true).await?;
    for m in &run.outcome.matches {
        out.push_str(&format!("   [{}] {}\n", m.decision.as_str(), m.explanation));
    }
    for u in &run.outcome.unmatched {
        out.push_str(&format!("   [unmatched] {}\n", u.explanation));
    }
    for n in &run.notes {
        out.push_str(&format!("   note: {n}\n"));
    }

    out.push_str(
        "\n3. Collect: overdue status, ladder step and tasks, written back to the books\n",
    );
    let collect = agent.collect(args.as_of, false).await?;
    let mut tasks: Vec<_> = collect
        .plan
        .new
        .iter()
        .chain(&collect.plan.reopened)
        .chain(&collect.plan.unchanged)
        .collect();
    tasks.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.key.cmp(&b.key)));
    for t in &tasks {
        out.push_str(&format!(
            "   {} {:<16} {} {}: {}\n",
            t.due,
            t.action.as_str(),
            crate::table::money(&t.amount),
            t.amount.currency,
            t.summary
        ));
    }
    let pushed: usize = collect.pushes.iter().map(|p| p.attempts.len()).sum();
    out.push_str(&format!(
        "   {} status and task item(s) written back ({} queued before); companion workbook: {}\n",
        pushed,
        collect.already_queued,
        work.join("books.arsync.xlsx").display()
    ));
    for n in &collect.notes {
        out.push_str(&format!("   note: {n}\n"));
    }

    out.push_str("\n4. Aging\n\n");
    let (report, pending) = super::report::aging_from_store(&store, &config, args.as_of).await?;
    out.push_str(&String::from_utf8_lossy(&super::report::render_aging(
        &report,
        Format::Table,
    )?));
    out.push_str(&super::report::pending_note(&pending));
    if args.dir.is_none() {
        out.push_str("\nRun `arsync demo --dir DIR` to keep the files, the store and the companion workbook.\n");
    }
    super::say(&out)
}
