//! The verbs that run the agent over the configured connections and the store: `sync`,
//! `reconcile` (store mode), `collect`, `run`, `review`, the collection-state verbs and
//! the store-backed reports.

use crate::UsageError;
use crate::args::{
    CollectArgs, Format, ReconcileArgs, ReportTableArgs, ReviewCommand, StateArgs, StateVerb,
    SyncArgs,
};
use crate::context::{load_config, open_store};
use crate::table::{Align, Table, money};
use anyhow::Context;
use arsync_agent::{Agent, CollectRun, PushReport};
use arsync_collect::{Instalment, StateEvent, StateKind, StateTarget};
use arsync_config::Config;
use arsync_model::{Clock, Decimal, ItemKind, NaiveDate, TaskState};
use arsync_store::{AuditCheck, SqliteStore, Store};
use std::path::Path;
use std::sync::Arc;

async fn setup(config_path: &Path) -> anyhow::Result<(Config, SqliteStore)> {
    let config = load_config(config_path)?;
    let store = open_store(&config).await?;
    Ok((config, store))
}

fn pushes_text(pushes: &[PushReport], out: &mut String) -> bool {
    let mut failed = false;
    for p in pushes {
        for a in &p.attempts {
            out.push_str(&format!(
                "  pushed {} {} to {}: {}{}\n",
                a.action,
                a.target,
                p.connection,
                a.outcome,
                a.error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ));
            failed |= a.error.is_some();
        }
        for u in &p.unsupported {
            out.push_str(&format!("  {}: {u}\n", p.connection));
        }
        if let Some(e) = &p.error {
            out.push_str(&format!("  {}: push failed: {e}\n", p.connection));
            failed = true;
        }
    }
    failed
}

pub(crate) async fn sync(
    config_path: &Path,
    args: &SyncArgs,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let (config, store) = setup(config_path).await?;
    let agent = Agent::new(&config, &store, clock);
    let reports = agent.sync(&args.connections).await?;
    let mut out = String::new();
    let mut failed = Vec::new();
    for r in &reports {
        out.push_str(&format!(
            "{} ({}):\n",
            r.connection,
            r.plugin.as_deref().unwrap_or("plugin not loaded")
        ));
        let mut t = Table::new(&[
            ("Stream", Align::Left),
            ("Pages", Align::Right),
            ("Records", Align::Right),
            ("New", Align::Right),
            ("Updated", Align::Right),
            ("Unchanged", Align::Right),
            ("Stale", Align::Right),
            ("Retries", Align::Right),
        ]);
        for s in &r.streams {
            t.row(vec![
                s.stream.clone(),
                s.pages.to_string(),
                s.records.to_string(),
                s.inserted.to_string(),
                s.updated.to_string(),
                s.unchanged.to_string(),
                s.stale.to_string(),
                s.retries.to_string(),
            ]);
            // A connection that stopped says so once, below; its streams need not repeat it.
            if let (Some(e), None) = (&s.error, &r.error) {
                failed.push(format!("{} {}: {e}", r.connection, s.stream));
            }
        }
        for line in t.render().lines() {
            out.push_str(&format!("  {line}\n"));
        }
        for p in &r.problems {
            out.push_str(&format!("  problem in {}: {}\n", p.stream, p.problem));
        }
        if let Some(e) = &r.error {
            out.push_str(&format!("  stopped: {e}\n"));
            failed.push(format!("{}: {e}", r.connection));
        }
    }
    super::say(&out)?;
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "{} connection(s) or stream(s) did not finish:\n  {}",
            failed.len(),
            failed.join("\n  ")
        )
    }
}

pub(crate) async fn reconcile_store(
    config_path: &Path,
    args: &ReconcileArgs,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let (config, store) = setup(config_path).await?;
    let agent = Agent::new(&config, &store, clock);
    let as_of = args.as_of.unwrap_or_else(|| agent.today());
    let run = if args.dry_run {
        agent.reconcile_dry_run(as_of, true).await?
    } else {
        agent.reconcile(as_of, true).await?
    };
    if let Some(path) = &args.output {
        super::reconcile::write_rows(&arsync_reconcile::export_rows(&run.outcome), path)?;
    }
    let mut out = format!(
        "Reconciled on {as_of}{}: {} matched automatically, {} suggested for review, {} unmatched; {} new or changed decision(s) recorded, {} as before, {} settled earlier\n",
        if args.dry_run {
            " (dry run: nothing queued for the books)"
        } else {
            ""
        },
        run.outcome
            .matches
            .iter()
            .filter(|m| m.decision == arsync_reconcile::Decision::Auto)
            .count(),
        run.outcome
            .matches
            .iter()
            .filter(|m| m.decision != arsync_reconcile::Decision::Auto)
            .count(),
        run.outcome.unmatched.len(),
        run.new_decisions.len(),
        run.unchanged,
        run.settled_before
    );
    for m in &run.outcome.matches {
        out.push_str(&format!("  [{}] {}\n", m.decision.as_str(), m.explanation));
    }
    for u in &run.outcome.unmatched {
        out.push_str(&format!("  [unmatched] {}\n", u.explanation));
    }
    for (reason, n) in &run.skipped {
        out.push_str(&format!("  skipped {n}: {reason}\n"));
    }
    for q in &run.queued {
        out.push_str(&format!(
            "  queued {} for {} on {}\n",
            q.action, q.target, q.connection
        ));
    }
    let failed = pushes_text(&run.pushes, &mut out);
    for n in &run.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    if !run
        .outcome
        .matches
        .iter()
        .all(|m| m.decision == arsync_reconcile::Decision::Auto)
    {
        out.push_str("Confirm or reject suggestions with `arsync review list`, `arsync review confirm RECEIPT`.\n");
    }
    super::say(&out)?;
    if failed {
        anyhow::bail!("some write-backs failed; they stay queued and are retried on the next run")
    }
    Ok(())
}

fn collect_text(run: &CollectRun) -> (String, bool) {
    let mut out = format!(
        "Collections on {}{}\n\n",
        run.as_of,
        if run.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    let mut t = Table::new(&[
        ("Invoice", Align::Left),
        ("Days", Align::Right),
        ("Bucket", Align::Left),
        ("State", Align::Left),
        ("Step", Align::Left),
        ("Open", Align::Right),
        ("Interest", Align::Right),
        ("Comp.", Align::Right),
    ]);
    for s in &run.statuses {
        let st = &s.status;
        t.row(vec![
            st.number.clone(),
            st.days_overdue.to_string(),
            st.bucket.clone(),
            format!("{:?}", st.state).to_lowercase(),
            st.action
                .as_ref()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default(),
            format!("{} {}", money(&st.open), st.open.currency),
            st.interest.as_ref().map(money).unwrap_or_default(),
            st.compensation.as_ref().map(money).unwrap_or_default(),
        ]);
    }
    out.push_str(&t.render());
    let plan = &run.plan;
    out.push_str(&format!(
        "\nTasks: {} new, {} reopened, {} updated, {} closed, {} unchanged\n",
        plan.new.len(),
        plan.reopened.len(),
        plan.updated.len(),
        plan.closed.len(),
        plan.unchanged.len()
    ));
    for task in plan.new.iter().chain(&plan.reopened).chain(&plan.updated) {
        out.push_str(&format!(
            "  + {} ({}): {}\n",
            task.due,
            task.action.as_str(),
            task.summary
        ));
    }
    for task in &plan.closed {
        let why = match &task.state {
            TaskState::Closed(why) => why.as_str(),
            TaskState::Open => "",
        };
        out.push_str(&format!("  - closed ({why}): {}\n", task.summary));
    }
    for e in &plan.rejected_events {
        out.push_str(&format!("  ! recorded state not used: {e}\n"));
    }
    let planned = if run.dry_run {
        &run.would_push
    } else {
        &run.queued
    };
    out.push_str(&format!(
        "\nWrite-back: {} item(s) {}, {} queued before\n",
        planned.len(),
        if run.dry_run {
            "would be sent"
        } else {
            "queued"
        },
        run.already_queued
    ));
    for p in planned {
        out.push_str(&format!(
            "  {} {} -> {} [{}]\n",
            p.action, p.target, p.connection, p.idempotency_key
        ));
    }
    let failed = pushes_text(&run.pushes, &mut out);
    for n in &run.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    (out, failed)
}

pub(crate) async fn collect(
    config_path: &Path,
    args: &CollectArgs,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let (config, store) = setup(config_path).await?;
    let agent = Agent::new(&config, &store, clock);
    let as_of = args.as_of.unwrap_or_else(|| agent.today());
    let run = agent.collect(as_of, args.dry_run).await?;
    if args.json {
        let mut text = serde_json::to_string_pretty(&run)?;
        text.push('\n');
        return super::say(&text);
    }
    let (text, failed) = collect_text(&run);
    super::say(&text)?;
    if failed {
        anyhow::bail!("some write-backs failed; they stay queued and are retried on the next run")
    }
    Ok(())
}

pub(crate) async fn run_daemon(config_path: &Path, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let (config, store) = setup(config_path).await?;
    let schedule = arsync_agent::DaemonSchedule::from_config(&config)?;
    if schedule.is_empty() {
        return Err(UsageError(format!(
            "{}: no connection has a `schedule`; add e.g. schedule = \"0 */15 * * * *\" to the connections the daemon should run",
            config.file.display()
        ))
        .into());
    }
    tracing::info!("daemon started; stop it with Ctrl-C");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let runs = arsync_agent::run_daemon(Arc::new(config), Arc::new(store), clock, shutdown).await?;
    super::say(&format!("daemon stopped after {runs} run(s)\n"))
}

pub(crate) async fn review(
    config_path: &Path,
    cmd: &ReviewCommand,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let (config, store) = setup(config_path).await?;
    let agent = Agent::new(&config, &store, clock);
    match cmd {
        ReviewCommand::List => {
            let decisions = agent.decisions().await?;
            let mut out = String::new();
            let mut n = 0;
            for d in decisions
                .iter()
                .filter(|d| matches!(d.state, arsync_agent::DecisionState::Suggested))
            {
                n += 1;
                out.push_str(&format!(
                    "{}\n  {}\n",
                    d.receipt_id,
                    d.matched()
                        .map(|m| m.explanation.clone())
                        .unwrap_or_default()
                ));
            }
            out.push_str(&format!("{n} suggestion(s) waiting for review\n"));
            super::say(&out)
        }
        ReviewCommand::Confirm { receipt, who } => {
            let (_, lessons) = agent.confirm_match(receipt, who).await?;
            let mut out = format!("Confirmed {receipt}; queued for write-back.\n");
            for l in lessons {
                out.push_str(&format!("  learned: {l}\n"));
            }
            super::say(&out)
        }
        ReviewCommand::Reject { receipt, who, why } => {
            agent.reject_match(receipt, who, why).await?;
            super::say(&format!("Rejected the suggestion for {receipt}.\n"))
        }
    }
}

pub(crate) async fn record_state(
    config_path: &Path,
    args: &StateArgs,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let (config, store) = setup(config_path).await?;
    let agent = Agent::new(&config, &store, clock.clone());
    let connection = match &args.connection {
        Some(c) => c.clone(),
        None => match config.connections.iter().filter(|c| c.enabled).collect::<Vec<_>>().as_slice() {
            [only] => only.name().to_owned(),
            _ => {
                return Err(UsageError("several connections are configured; say which books the item is in with --connection NAME".into()).into())
            }
        },
    };
    // Items are named by their number as people know them; find the external id.
    let target = if let Some(customer) = &args.customer {
        StateTarget::Customer {
            connection: connection.clone(),
            customer_id: customer.clone(),
        }
    } else if let Some(number) = &args.invoice {
        let invoices = store
            .invoices(Some(&connection), arsync_store::Which::All)
            .await?;
        let found = invoices
            .iter()
            .find(|i| &i.number == number || &i.origin.external_id == number)
            .ok_or_else(|| UsageError(format!("no invoice numbered {number} in connection {connection}; run `arsync sync` first or check the number")))?;
        StateTarget::Item {
            connection: connection.clone(),
            item_id: found.origin.external_id.clone(),
        }
    } else {
        return Err(
            UsageError("name the --invoice or the --customer the state is about".into()).into(),
        );
    };
    let from = args.from.unwrap_or_else(|| agent.today());
    let kind = match &args.verb {
        StateVerb::Dispute => StateKind::Disputed,
        StateVerb::Promise => StateKind::PromiseToPay,
        StateVerb::Defer => StateKind::Deferral,
        StateVerb::Agency => StateKind::WithAgency,
        StateVerb::WriteOff => StateKind::WrittenOff,
        StateVerb::Acknowledge => StateKind::Acknowledged,
        StateVerb::Clear => StateKind::Cleared,
        StateVerb::Plan => {
            let mut instalments = Vec::new();
            for spec in &args.instalments {
                let (date, amount) = spec.split_once('=').ok_or_else(|| {
                    UsageError(format!(
                        "--instalment {spec}: write DATE=AMOUNT, e.g. 2026-12-15=500.00"
                    ))
                })?;
                instalments.push(Instalment {
                    due: date.parse::<NaiveDate>().map_err(|_| {
                        UsageError(format!(
                            "--instalment {spec}: '{date}' is not a date like 2026-12-15"
                        ))
                    })?,
                    amount: date_amount(amount, spec)?,
                });
            }
            if instalments.is_empty() {
                return Err(UsageError("a plan needs its instalments: --instalment 2026-12-15=500.00 --instalment 2027-01-15=500.00".into()).into());
            }
            StateKind::InstalmentPlan { instalments }
        }
    };
    let event = StateEvent {
        target,
        kind,
        from,
        until: args.until,
        who: args.who.clone(),
        why: args.why.clone(),
        at: clock.now(),
    };
    event.validate().map_err(|e| UsageError(e.to_string()))?;
    let key = agent.record_event(event).await?;
    super::say(&format!(
        "Recorded ({key}). `arsync collect` takes it into account from now on.\n"
    ))
}

fn date_amount(text: &str, spec: &str) -> anyhow::Result<Decimal> {
    text.trim().parse::<Decimal>().map_err(|_| {
        UsageError(format!(
            "--instalment {spec}: '{text}' is not an amount like 500.00"
        ))
        .into()
    })
}

pub(crate) async fn report_tasks(
    config_path: &Path,
    args: &ReportTableArgs,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let (config, store) = setup(config_path).await?;
    let agent = Agent::new(&config, &store, clock);
    let mut tasks = agent.tasks().await?;
    if !args.all {
        tasks.retain(|t| t.state == TaskState::Open);
    }
    tasks.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.due.cmp(&b.due))
            .then(a.key.cmp(&b.key))
    });
    let bytes = match args.format {
        Format::Json => {
            let mut b = serde_json::to_vec_pretty(&tasks)?;
            b.push(b'\n');
            b
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "key", "due", "priority", "customer", "action", "items", "amount", "currency",
                "state", "summary",
            ])?;
            for t in &tasks {
                let items: Vec<String> = t
                    .items
                    .iter()
                    .map(|(k, id)| {
                        format!(
                            "{}:{id}",
                            if *k == ItemKind::Invoice {
                                "invoice"
                            } else {
                                "credit_note"
                            }
                        )
                    })
                    .collect();
                let state = match &t.state {
                    TaskState::Open => "open".to_owned(),
                    TaskState::Closed(w) => format!("closed: {w}"),
                };
                w.write_record([
                    t.key.clone(),
                    t.due.to_string(),
                    t.priority.to_string(),
                    t.customer_name.clone(),
                    t.action.as_str().to_owned(),
                    items.join(" "),
                    t.amount.amount.to_string(),
                    t.amount.currency.code().to_owned(),
                    state,
                    t.summary.clone(),
                ])?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
        }
        Format::Table => {
            let mut t = Table::new(&[
                ("Due", Align::Left),
                ("Prio", Align::Right),
                ("Customer", Align::Left),
                ("Action", Align::Left),
                ("Amount", Align::Right),
                ("Summary", Align::Left),
            ]);
            for task in &tasks {
                t.row(vec![
                    task.due.to_string(),
                    task.priority.to_string(),
                    task.customer_name.clone(),
                    task.action.as_str().to_owned(),
                    format!("{} {}", money(&task.amount), task.amount.currency),
                    task.summary.clone(),
                ]);
            }
            let mut s = t.render();
            s.push_str(&format!(
                "{} task(s){}\n",
                tasks.len(),
                if args.all { "" } else { " open" }
            ));
            s.into_bytes()
        }
    };
    write_out(&bytes, args.output.as_deref())
}

pub(crate) async fn report_matches(
    config_path: &Path,
    args: &ReportTableArgs,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let (config, store) = setup(config_path).await?;
    let agent = Agent::new(&config, &store, clock);
    let mut decisions = agent.decisions().await?;
    if !args.all {
        decisions.retain(|d| !matches!(d.state, arsync_agent::DecisionState::Rejected));
    }
    decisions.sort_by(|a, b| {
        a.decided_on
            .cmp(&b.decided_on)
            .then(a.receipt_id.cmp(&b.receipt_id))
    });
    let explanation = |d: &arsync_agent::StoredDecision| match &d.event {
        arsync_reconcile::AuditEvent::Matched { matched, .. } => matched.explanation.clone(),
        arsync_reconcile::AuditEvent::Unmatched { unmatched } => unmatched.explanation.clone(),
    };
    let state = |d: &arsync_agent::StoredDecision| format!("{:?}", d.state).to_lowercase();
    let bytes = match args.format {
        Format::Json => {
            let mut b = serde_json::to_vec_pretty(&decisions)?;
            b.push(b'\n');
            b
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "receipt_id",
                "decided_on",
                "state",
                "by",
                "queued",
                "explanation",
            ])?;
            for d in &decisions {
                w.write_record([
                    d.receipt_id.clone(),
                    d.decided_on.to_string(),
                    state(d),
                    d.by.clone(),
                    d.queued.clone().unwrap_or_default(),
                    explanation(d),
                ])?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
        }
        Format::Table => {
            let mut out = String::new();
            for d in &decisions {
                out.push_str(&format!(
                    "{} [{}, {} by {}] {}\n  {}\n",
                    d.decided_on,
                    state(d),
                    d.receipt_id,
                    d.by,
                    if d.queued.is_some() {
                        "queued for the books"
                    } else {
                        ""
                    },
                    explanation(d)
                ));
            }
            out.push_str(&format!("{} decision(s)\n", decisions.len()));
            out.into_bytes()
        }
    };
    write_out(&bytes, args.output.as_deref())
}

pub(crate) async fn report_audit(config_path: &Path, output: Option<&Path>) -> anyhow::Result<()> {
    let (_config, store) = setup(config_path).await?;
    let check = store.verify().await?;
    let mut buf = Vec::new();
    let rows = store.export_jsonl(&mut buf).await?;
    write_out(&buf, output)?;
    match check {
        AuditCheck::Intact { .. } => {
            tracing::info!(rows, "audit log intact");
            Ok(())
        }
        AuditCheck::Broken(b) => anyhow::bail!(
            "the audit log is broken at row {}: {:?}, {}; the store was altered outside arsync: restore it from a backup",
            b.seq,
            b.reason,
            b.detail
        ),
    }
}

fn write_out(bytes: &[u8], output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
        }
        None => super::say(&String::from_utf8_lossy(bytes)),
    }
}
