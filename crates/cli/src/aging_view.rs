//! The aging report as a terminal table and as CSV.

use crate::table::{Align, Table, money};
use arsync_collect::{AgingAmounts, AgingReport, HomeAmounts};
use std::io::Write;

fn home_cell(home: &HomeAmounts) -> String {
    let mark = if home.is_complete() { "" } else { " *" };
    format!("{}{mark}", money(&home.amounts.net))
}

fn amount_cells(a: &AgingAmounts) -> Vec<String> {
    let mut cells: Vec<String> = a.buckets.iter().map(money).collect();
    cells.push(money(&a.open));
    cells.push(money(&a.unapplied_credit));
    cells.push(money(&a.net));
    cells
}

/// The report as a table a person reads: one line per customer and currency, totals per
/// currency, and everything in the home currency, with `*` where a rate was missing.
pub(crate) fn table(report: &AgingReport) -> String {
    let home = report.home_currency.code();
    let home_header = format!("Net {home}");
    let mut headers: Vec<(&str, Align)> = vec![("Customer", Align::Left), ("Cur", Align::Left)];
    headers.extend(report.labels.iter().map(|l| (l.as_str(), Align::Right)));
    headers.extend([
        ("Open", Align::Right),
        ("Credit", Align::Right),
        ("Net", Align::Right),
        (home_header.as_str(), Align::Right),
    ]);
    let mut t = Table::new(&headers);
    for row in &report.rows {
        let mut cells = vec![row.customer_name.clone(), row.currency.code().to_owned()];
        cells.extend(amount_cells(&row.amounts));
        cells.push(home_cell(&row.home));
        t.row(cells);
    }
    t.rule();
    for total in &report.currency_totals {
        let mut cells = vec![
            format!("Total {}", total.currency),
            total.currency.code().to_owned(),
        ];
        cells.extend(amount_cells(&total.amounts));
        cells.push(home_cell(&total.home));
        t.row(cells);
    }
    t.rule();
    let mut cells = vec![format!("All currencies in {home}"), home.to_owned()];
    cells.extend(amount_cells(&report.home_total.amounts));
    cells.push(home_cell(&report.home_total));
    t.row(cells);

    let mut out = format!(
        "Aging as of {} (days past due; home currency {home})\n\n",
        report.as_of
    );
    out.push_str(&t.render());
    if !report.home_total.is_complete() {
        out.push_str(&format!(
            "\n* no {home} rate known for these items; they are left out of the {home} figures.\n  Load a rate file (e.g. the ECB reference rates) or record the books' rate:\n"
        ));
        for m in &report.home_total.missing_rate {
            out.push_str(&format!("  - {} ({})\n", m.item, m.amount));
        }
    }
    if !report.rejected.is_empty() {
        out.push_str("\nLeft out of the report:\n");
        for r in &report.rejected {
            out.push_str(&format!("  - {}: {}\n", r.record, r.reason));
        }
    }
    out
}

/// The report as CSV: one row per customer and currency, then one per currency total and
/// one for the home total (`row` column), amounts as plain decimals.
pub(crate) fn csv(report: &AgingReport, out: impl Write) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec![
        "row".to_owned(),
        "as_of".to_owned(),
        "customer_id".to_owned(),
        "customer".to_owned(),
        "currency".to_owned(),
    ];
    header.extend(report.labels.iter().cloned());
    header.extend(
        [
            "open",
            "unapplied_credit",
            "net",
            "home_currency",
            "home_net",
            "home_complete",
            "missing_rate",
        ]
        .map(String::from),
    );
    w.write_record(&header)?;
    let home = report.home_currency.code().to_owned();
    let mut line =
        |kind: &str, id: &str, name: &str, cur: &str, a: &AgingAmounts, h: &HomeAmounts| {
            let mut rec = vec![
                kind.to_owned(),
                report.as_of.to_string(),
                id.to_owned(),
                name.to_owned(),
                cur.to_owned(),
            ];
            rec.extend(a.buckets.iter().map(|m| m.amount.to_string()));
            rec.push(a.open.amount.to_string());
            rec.push(a.unapplied_credit.amount.to_string());
            rec.push(a.net.amount.to_string());
            rec.push(home.clone());
            rec.push(h.amounts.net.amount.to_string());
            rec.push(if h.is_complete() { "yes" } else { "no" }.to_owned());
            rec.push(
                h.missing_rate
                    .iter()
                    .map(|m| m.item.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            w.write_record(&rec)
        };
    for r in &report.rows {
        line(
            "customer",
            &r.customer_id,
            &r.customer_name,
            r.currency.code(),
            &r.amounts,
            &r.home,
        )?;
    }
    for t in &report.currency_totals {
        line(
            "currency_total",
            "",
            "",
            t.currency.code(),
            &t.amounts,
            &t.home,
        )?;
    }
    line(
        "home_total",
        "",
        "",
        &home,
        &report.home_total.amounts,
        &report.home_total,
    )?;
    w.flush()?;
    Ok(())
}
