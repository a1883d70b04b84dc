//! `arsync report ...`.

use crate::args::{AgingArgs, Format};
use crate::context::{BookRates, load_config, open_store, rate_book};
use anyhow::Context;
use arsync_collect::AgingReport;
use arsync_config::Config;
use arsync_model::{Clock, NaiveDate, today_in};
use arsync_store::{SqliteStore, Store, Which};
use std::path::Path;

/// Ages what the store holds as of a date. Receipts arsync matched that the books have
/// not booked yet count as paid; the second value names the invoices they changed.
pub(crate) async fn aging_from_store(
    store: &SqliteStore,
    config: &Config,
    as_of: NaiveDate,
) -> anyhow::Result<(AgingReport, Vec<String>)> {
    let agent = arsync_agent::Agent::new(
        config,
        store,
        std::sync::Arc::new(arsync_model::SystemClock),
    );
    let parties = store.parties(None).await?;
    let (invoices, credit_notes) = agent.open_items().await?;
    let booked = store.invoices(None, Which::Open).await?;
    let pending: Vec<String> = booked
        .iter()
        .filter(|b| {
            !invoices
                .iter()
                .any(|i| i.origin == b.origin && i.open_amount == b.open_amount)
        })
        .map(|b| b.number.clone())
        .collect();
    let rates = rate_book(store).await?;
    let buckets = config.collect_settings().aging;
    let report = arsync_collect::aging(
        &invoices,
        &credit_notes,
        &parties,
        as_of,
        &buckets,
        config.company.home_currency,
        &BookRates(&rates),
    );
    Ok((report, pending))
}

/// A note under the table for receipts counted before the books booked them.
pub(crate) fn pending_note(pending: &[String]) -> String {
    if pending.is_empty() {
        return String::new();
    }
    format!(
        "\nReceipts matched by arsync but not yet booked in the books are counted as paid on: {}.\n",
        pending.join(", ")
    )
}

/// Renders a report in the chosen format.
pub(crate) fn render_aging(report: &AgingReport, format: Format) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        Format::Table => crate::aging_view::table(report).into_bytes(),
        Format::Csv => {
            let mut buf = Vec::new();
            crate::aging_view::csv(report, &mut buf)?;
            buf
        }
        Format::Json => {
            let mut buf = serde_json::to_vec_pretty(report)?;
            buf.push(b'\n');
            buf
        }
    })
}

pub(crate) async fn aging(
    config_path: &Path,
    args: &AgingArgs,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    let config = load_config(config_path)?;
    let store = open_store(&config).await?;
    let as_of = args
        .as_of
        .unwrap_or_else(|| today_in(config.company.timezone, clock));
    let (report, pending) = aging_from_store(&store, &config, as_of).await?;
    let mut bytes = render_aging(&report, args.format)?;
    if args.format == Format::Table {
        bytes.extend(pending_note(&pending).into_bytes());
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?
        }
        None => super::say(&String::from_utf8_lossy(&bytes))?,
    }
    Ok(())
}
