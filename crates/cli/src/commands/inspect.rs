//! `arsync inspect FILE...`: what arsync reads from a statement, rate file or spreadsheet,
//! so an accountant can see what the bank sent and an integrator can debug a file.

use crate::args::{InspectArgs, InspectFormat};
use crate::files::{Loaded, LoadedFile, load_path};
use crate::table::{Align, Table, money};
use arsync_model::BankEntry;
use serde_json::json;

fn entry_cells(e: &BankEntry) -> Vec<String> {
    let mut refs: Vec<String> = e.structured_refs.iter().map(|r| r.value.clone()).collect();
    if let Some(id) = &e.end_to_end_id {
        refs.push(format!("e2e {id}"));
    }
    let mut text = e.remittance_text();
    if text.chars().count() > 48 {
        text = format!("{}…", text.chars().take(47).collect::<String>());
    }
    vec![
        e.booking_date.map(|d| d.to_string()).unwrap_or_default(),
        e.value_date.map(|d| d.to_string()).unwrap_or_default(),
        money(&e.amount),
        e.amount.currency.code().to_owned(),
        format!(
            "{:?}{}",
            e.status,
            if e.reversal { " reversal" } else { "" }
        )
        .to_lowercase(),
        e.bank_reference.clone().unwrap_or_default(),
        e.counterparty.name.clone().unwrap_or_default(),
        refs.join(" "),
        text,
    ]
}

/// Prints one file; returns whether it had errors or failed checks.
fn table(file: &LoadedFile, out: &mut String) -> bool {
    let mut bad = false;
    match &file.content {
        Loaded::Statement(p) => {
            let version = p
                .format
                .version
                .as_deref()
                .map(|v| format!(" version {v}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{}: {}{version}, encoding {}, {} statement(s), {} entries\n",
                file.name,
                p.format.kind.name(),
                p.encoding,
                p.statements.len(),
                p.entries().count()
            ));
            for s in &p.statements {
                out.push_str(&format!(
                    "\nStatement {} on {} ({})\n",
                    s.id.as_deref().unwrap_or("-"),
                    s.account.key(),
                    s.account.currency
                ));
                let bal = |b: &Option<arsync_statements::Balance>| {
                    b.as_ref().map_or("-".to_owned(), |b| {
                        format!(
                            "{} {} {}",
                            money(&b.amount),
                            b.amount.currency,
                            b.date.map(|d| d.to_string()).unwrap_or_default()
                        )
                    })
                };
                out.push_str(&format!(
                    "  opening {}   closing {}\n",
                    bal(&s.opening),
                    bal(&s.closing)
                ));
                let mut t = Table::new(&[
                    ("Booked", Align::Left),
                    ("Value", Align::Left),
                    ("Amount", Align::Right),
                    ("Cur", Align::Left),
                    ("Status", Align::Left),
                    ("Bank ref", Align::Left),
                    ("Counterparty", Align::Left),
                    ("References", Align::Left),
                    ("Remittance", Align::Left),
                ]);
                for e in &s.entries {
                    t.row(entry_cells(e));
                }
                for line in t.render().lines() {
                    out.push_str("  ");
                    out.push_str(line);
                    out.push('\n');
                }
                for c in &s.checks {
                    out.push_str(&format!(
                        "  check {}: {}\n",
                        if c.passed { "ok" } else { "FAILED" },
                        c.message
                    ));
                    bad |= !c.passed;
                }
            }
            for p in &p.problems {
                out.push_str(&format!("  problem: {p}\n"));
                bad |= p.severity == arsync_statements::Severity::Error;
            }
        }
        Loaded::Rates(kind, feed) => {
            out.push_str(&format!(
                "{}: {kind}, {} rates\n",
                file.name,
                feed.rates.len()
            ));
            let mut t = Table::new(&[
                ("Date", Align::Left),
                ("Pair", Align::Left),
                ("Rate", Align::Right),
                ("Source", Align::Left),
            ]);
            for r in feed.rates.iter().take(40) {
                t.row(vec![
                    r.date.to_string(),
                    format!("{}/{}", r.base, r.quote),
                    r.rate.to_string(),
                    r.source.clone(),
                ]);
            }
            out.push_str(&t.render());
            if feed.rates.len() > 40 {
                out.push_str(&format!(
                    "… and {} more (use --format json for all)\n",
                    feed.rates.len() - 40
                ));
            }
            // Skipped rates (withdrawn currencies, SDR) are worth knowing, not failures.
            for p in &feed.problems {
                out.push_str(&format!("  skipped: {p}\n"));
            }
        }
        Loaded::Items(items) => {
            out.push_str(&format!(
                "{}: open items: {} customers, {} invoices, {} credit notes, {} payments\n",
                file.name,
                items.parties.len(),
                items.invoices.len(),
                items.credit_notes.len(),
                items.payments.len()
            ));
            let mut t = Table::new(&[
                ("Number", Align::Left),
                ("Customer", Align::Left),
                ("Issued", Align::Left),
                ("Due", Align::Left),
                ("Total", Align::Right),
                ("Open", Align::Right),
                ("Cur", Align::Left),
                ("Status", Align::Left),
            ]);
            for i in &items.invoices {
                t.row(vec![
                    i.number.clone(),
                    i.customer_name
                        .clone()
                        .unwrap_or_else(|| i.customer_id.clone()),
                    i.issue_date.to_string(),
                    i.due_date.to_string(),
                    money(&i.total_money()),
                    money(&i.open_money()),
                    i.currency.code().to_owned(),
                    format!("{:?}", i.status).to_lowercase(),
                ]);
            }
            out.push_str(&t.render());
            for p in &items.problems {
                out.push_str(&format!("  problem: {p}\n"));
                bad = true;
            }
        }
    }
    out.push('\n');
    bad
}

fn json_lines(file: &LoadedFile, out: &mut String) -> anyhow::Result<bool> {
    let mut push = |v: serde_json::Value| -> anyhow::Result<()> {
        out.push_str(&serde_json::to_string(&v)?);
        out.push('\n');
        Ok(())
    };
    let mut bad = false;
    match &file.content {
        Loaded::Statement(p) => {
            push(
                json!({"type": "file", "file": file.name, "format": p.format.kind.name(), "version": p.format.version, "encoding": format!("{:?}", p.encoding)}),
            )?;
            for s in &p.statements {
                push(
                    json!({"type": "statement", "file": file.name, "id": s.id, "account": s.account, "opening": s.opening, "closing": s.closing, "checks": s.checks}),
                )?;
                bad |= s.checks.iter().any(|c| !c.passed);
                for e in &s.entries {
                    push(json!({"type": "entry", "file": file.name, "entry": e}))?;
                }
            }
            for pr in &p.problems {
                bad |= pr.severity == arsync_statements::Severity::Error;
                push(json!({"type": "problem", "file": file.name, "problem": pr.to_string()}))?;
            }
        }
        Loaded::Rates(kind, feed) => {
            push(json!({"type": "file", "file": file.name, "format": kind}))?;
            for r in &feed.rates {
                push(json!({"type": "rate", "file": file.name, "rate": r}))?;
            }
            for pr in &feed.problems {
                push(json!({"type": "skipped", "file": file.name, "problem": pr.to_string()}))?;
            }
        }
        Loaded::Items(items) => {
            push(json!({"type": "file", "file": file.name, "format": "open items"}))?;
            for p in &items.parties {
                push(json!({"type": "customer", "file": file.name, "customer": p}))?;
            }
            for i in &items.invoices {
                push(json!({"type": "invoice", "file": file.name, "invoice": i}))?;
            }
            for c in &items.credit_notes {
                push(json!({"type": "credit_note", "file": file.name, "credit_note": c}))?;
            }
            for p in &items.payments {
                push(json!({"type": "payment", "file": file.name, "payment": p}))?;
            }
            for pr in &items.problems {
                bad = true;
                push(json!({"type": "problem", "file": file.name, "problem": pr.to_string()}))?;
            }
        }
    }
    Ok(bad)
}

pub(crate) fn run(args: &InspectArgs) -> anyhow::Result<()> {
    let encoding = crate::files::encoding(args.encoding.as_deref())?;
    let mut out = String::new();
    let mut failures = Vec::new();
    for path in &args.files {
        match load_path(path, "inspect", encoding) {
            Ok(files) => {
                for f in &files {
                    let bad = match args.format {
                        InspectFormat::Table => table(f, &mut out),
                        InspectFormat::Json => json_lines(f, &mut out)?,
                    };
                    if bad {
                        failures.push(f.name.clone());
                    }
                }
            }
            Err(e) => {
                // One unreadable file does not hide what the others hold.
                tracing::error!("{e:#}");
                failures.push(path.display().to_string());
            }
        }
    }
    super::say(&out)?;
    if failures.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "{} file(s) had errors or failed checks: {}",
            failures.len(),
            failures.join(", ")
        )
    }
}
