//! Collection tasks: what a person should do next, with a deterministic key so that a
//! re-run never raises the same task twice, and a priority that follows collection practice.
//!
//! Keys are `connection/customer/invoice:id/what`, where `what` is the ladder step
//! (`step2:formal_notice`), the dispute (`resolve_dispute:2026-03-11`), the lapse followed up
//! (`follow_up:promise_to_pay:2026-03-20`) or the limitation warning
//! (`limitation:2029-12-31:30`). One task per invoice keeps keys stable when invoices come and go.
//!
//! A task stays open while the situation that raised it holds. [`plan_tasks`] compares what
//! is wanted today with the tasks already recorded and returns:
//! - `new`: wanted and never raised before under that key;
//! - `closed`: open but no longer wanted, with the reason: paid, voided, disputed or paused
//!   (promise, deferral, plan), with agency, written off, or superseded by the next step;
//! - `reopened`: closed earlier only because collection was paused, and wanted again now
//!   that the pause is over (reasons that start with `paused:`). A task closed for any
//!   other reason, for example done by a person, is never raised again;
//! - `unchanged`: everything else that was recorded.
//!
//! Only the highest ladder step reached is raised: a customer first seen 40 days overdue
//! gets the call, not four reminders at once.

use crate::inputs::CollectInputs;
use crate::limitation::{LimitationWarning, limitation};
use crate::state::{FoldedState, fold_state};
use crate::status::item_facts;
use arsync_model::{
    CollectionAction, CollectionState, CollectionTask, DocumentStatus, Invoice, ItemKind, Money,
    Rounding, TaskState,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// How a customer has paid before, for priorities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PaymentHistory {
    /// Average days paid after the due date over the recent invoices (0 if on time).
    pub average_days_late: i64,
    /// Promises to pay broken in the last year.
    pub broken_promises: u32,
}

/// The priority of collecting an amount (higher first), following practice:
/// - recently overdue accounts first, because the chance of collecting falls with age:
///   1-30 days 400, 31-60 350, 61-90 300, older 250, not yet due 100;
/// - larger amounts up: + 25 for each power of ten above 100 (in home units where known),
///   at most + 150;
/// - customers with a worse payment history up: + their average days late (at most 60)
///   + 15 per broken promise (at most 4);
/// - disputed, paused, agency, written-off and settled items aside: 0.
pub fn priority(
    state: CollectionState,
    days_overdue: i64,
    amount: Decimal,
    history: Option<&PaymentHistory>,
) -> i64 {
    if !matches!(state, CollectionState::Overdue | CollectionState::Current) {
        return 0;
    }
    let age = match days_overdue {
        i64::MIN..=0 => 100,
        1..=30 => 400,
        31..=60 => 350,
        61..=90 => 300,
        _ => 250,
    };
    let mut size = 0;
    let mut threshold = Decimal::from(1000);
    while amount.abs() >= threshold && size < 150 {
        size += 25;
        threshold *= Decimal::TEN;
    }
    let record = history.map_or(0, |h| {
        h.average_days_late.clamp(0, 60) + 15 * i64::from(h.broken_promises.min(4))
    });
    age + size + record
}

/// The outcome of planning: what to create, reopen and close; what stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskPlan {
    /// Tasks to create, highest priority first.
    pub new: Vec<CollectionTask>,
    /// Tasks to reopen (state open again), as they now read.
    pub reopened: Vec<CollectionTask>,
    /// Tasks to close, with the reason in their state.
    pub closed: Vec<CollectionTask>,
    /// Recorded tasks that stay as they are.
    pub unchanged: Vec<CollectionTask>,
    /// Recorded states that could not be applied, with why (each once).
    pub rejected_events: Vec<String>,
}

impl TaskPlan {
    /// Whether the plan changes nothing.
    pub fn is_quiet(&self) -> bool {
        self.new.is_empty() && self.reopened.is_empty() && self.closed.is_empty()
    }
}

fn item_prefix(invoice: &Invoice) -> String {
    format!(
        "{}/{}/invoice:{}/",
        invoice.origin.connection, invoice.customer_id, invoice.origin.external_id
    )
}

/// Plans the tasks on `as_of` given the tasks recorded before (by key).
pub fn plan_tasks(
    inputs: &CollectInputs<'_>,
    previous: &[CollectionTask],
    as_of: NaiveDate,
) -> TaskPlan {
    let names: HashMap<(&str, &str), &str> = inputs
        .parties
        .iter()
        .map(|p| {
            (
                (p.origin.connection.as_str(), p.origin.external_id.as_str()),
                p.name.as_str(),
            )
        })
        .collect();
    let previous_by_key: HashMap<&str, &CollectionTask> =
        previous.iter().map(|t| (t.key.as_str(), t)).collect();

    let mut plan = TaskPlan::default();
    let mut touched: HashSet<&str> = HashSet::new();

    for inv in inputs.invoices {
        if inv.status == DocumentStatus::Draft {
            continue;
        }
        let prefix = item_prefix(inv);
        let facts = item_facts(inv);
        let folded = fold_state(inputs.events, &facts, as_of);
        for r in &folded.rejected {
            if !plan.rejected_events.contains(r) {
                plan.rejected_events.push(r.clone());
            }
        }
        let customer_name = names
            .get(&(inv.origin.connection.as_str(), inv.customer_id.as_str()))
            .map(|n| (*n).to_owned())
            .or_else(|| inv.customer_name.clone())
            .unwrap_or_else(|| inv.customer_id.clone());
        let history = inputs.history.get(&inv.customer_id);
        let amount_for_priority = inv.home_open.unwrap_or_else(|| {
            inv.book_rate.map_or(inv.open_amount, |r| {
                Rounding::HalfUp.round(inv.open_amount * r, 2)
            })
        });
        let prio = priority(
            folded.state,
            folded.days_overdue,
            amount_for_priority,
            history,
        );
        let wanted = if inv.status.is_receivable() && inv.open_amount > Decimal::ZERO {
            wanted_tasks(inputs, inv, &folded, &prefix, &customer_name, prio, as_of)
        } else {
            Vec::new()
        };

        for task in &wanted {
            match previous_by_key.get(task.key.as_str()) {
                None => plan.new.push(task.clone()),
                Some(old) => {
                    touched.insert(old.key.as_str());
                    match &old.state {
                        TaskState::Closed(reason) if reason.starts_with("paused:") => {
                            let mut again = task.clone();
                            again.due = as_of;
                            plan.reopened.push(again);
                        }
                        _ => plan.unchanged.push((*old).clone()),
                    }
                }
            }
        }
        for old in previous.iter().filter(|t| t.key.starts_with(&prefix)) {
            if touched.contains(old.key.as_str()) {
                continue;
            }
            touched.insert(old.key.as_str());
            if old.state == TaskState::Open {
                let mut closed = old.clone();
                closed.state = TaskState::Closed(close_reason(inv, &folded, &wanted, old));
                plan.closed.push(closed);
            } else {
                plan.unchanged.push(old.clone());
            }
        }
    }
    for old in previous {
        if !touched.contains(old.key.as_str()) {
            plan.unchanged.push(old.clone());
        }
    }
    plan.new
        .sort_by(|a, b| b.priority.cmp(&a.priority).then(a.key.cmp(&b.key)));
    plan
}

fn wanted_tasks(
    inputs: &CollectInputs<'_>,
    inv: &Invoice,
    folded: &FoldedState,
    prefix: &str,
    customer_name: &str,
    prio: i64,
    as_of: NaiveDate,
) -> Vec<CollectionTask> {
    let open = inv.open_money();
    let task = |what: String, action: CollectionAction, summary: String| CollectionTask {
        key: format!("{prefix}{what}"),
        connection: inv.origin.connection.clone(),
        customer_id: inv.customer_id.clone(),
        customer_name: customer_name.to_owned(),
        items: vec![(ItemKind::Invoice, inv.origin.external_id.clone())],
        action,
        tone: None,
        step: None,
        due: as_of,
        priority: prio,
        amount: open,
        summary,
        state: TaskState::Open,
    };
    let mut out = Vec::new();
    let active = matches!(
        folded.state,
        CollectionState::Overdue | CollectionState::Current
    );
    if active && let Some(reached) = inputs.ladder.reached(folded.ladder_days) {
        let step = reached.step;
        let mut t = task(
            format!("step{}:{}", reached.index, step.action.as_str()),
            step.action.clone(),
            ladder_summary(
                inv,
                open,
                folded.days_overdue,
                step.action.as_str(),
                step.tone.as_deref(),
            ),
        );
        t.tone = step.tone.clone();
        t.step = Some(reached.index);
        out.push(t);
    }
    if folded.state == CollectionState::Disputed
        && let Some(e) = &folded.because
    {
        out.push(task(
            format!("resolve_dispute:{}", e.from),
            CollectionAction::ResolveDispute,
            format!(
                "Resolve the dispute on invoice {} ({open} open) recorded by {} on {}: {}",
                inv.number, e.who, e.from, e.why
            ),
        ));
    }
    if folded.state == CollectionState::Overdue
        && let Some(lapse) = folded.lapses.last()
    {
        out.push(task(
            format!("follow_up:{}:{}", lapse.kind.replace(' ', "_"), lapse.date),
            CollectionAction::FollowUp,
            format!(
                "Follow up the {} of {} on invoice {}: {open} still open",
                lapse.kind, lapse.date, inv.number
            ),
        ));
    }
    if let Some(rule) = inputs.limitation
        && folded.state != CollectionState::WrittenOff
    {
        let mut restarts = folded.acknowledged.clone();
        restarts.extend(inputs.part_payments(inv).into_iter().map(|(d, _)| d));
        let clock = limitation(rule, inv.due_date, &restarts, as_of);
        if let Some(w) = clock.warning {
            let tag = match w {
                LimitationWarning::Within90Days => "90",
                LimitationWarning::Within30Days => "30",
                LimitationWarning::Expired => "expired",
            };
            let summary = if w == LimitationWarning::Expired {
                format!(
                    "Invoice {} ({open} open) became time-barred after {}: review for write-off",
                    inv.number, clock.last_day
                )
            } else {
                format!(
                    "Invoice {} ({open} open) can be enforced until {} ({} days left): get an acknowledgment, start proceedings or write it off",
                    inv.number, clock.last_day, clock.days_left
                )
            };
            out.push(task(
                format!("limitation:{}:{tag}", clock.last_day),
                CollectionAction::LimitationWarning,
                summary,
            ));
        }
    }
    out
}

fn ladder_summary(
    inv: &Invoice,
    open: Money,
    days_overdue: i64,
    action: &str,
    tone: Option<&str>,
) -> String {
    let what = match (action, tone) {
        ("reminder", Some(tone)) => format!("Send a {tone} reminder"),
        ("reminder", None) => "Send a reminder".to_owned(),
        ("formal_notice", _) => "Send the formal notice".to_owned(),
        ("call", _) => "Call the customer".to_owned(),
        ("payment_plan", _) => "Agree a payment plan".to_owned(),
        ("final_notice", _) => "Send the final notice".to_owned(),
        ("agency_or_legal", _) => "Hand over to the agency or start proceedings".to_owned(),
        (other, _) => format!("Do '{other}'"),
    };
    let when = match days_overdue {
        d if d < 0 => format!("due in {} days", d.unsigned_abs()),
        0 => "due today".to_owned(),
        1 => "1 day overdue".to_owned(),
        d => format!("{d} days overdue"),
    };
    format!("{what} for invoice {}: {open} open, {when}", inv.number)
}

fn close_reason(
    inv: &Invoice,
    folded: &FoldedState,
    wanted: &[CollectionTask],
    old: &CollectionTask,
) -> String {
    let why = folded
        .because
        .as_ref()
        .map(|e| format!(" ({} on {}: {})", e.who, e.from, e.why))
        .unwrap_or_default();
    let until = folded
        .because
        .as_ref()
        .and_then(|e| e.until)
        .map(|d| format!(" until {d}"))
        .unwrap_or_default();
    match inv.status {
        DocumentStatus::Paid => return "paid".into(),
        DocumentStatus::Void | DocumentStatus::Deleted => return "voided in the books".into(),
        _ => {}
    }
    match folded.state {
        CollectionState::Settled => "paid or credited".into(),
        CollectionState::Disputed => format!("paused: disputed{why}"),
        CollectionState::Promised => format!("paused: promise to pay{until}{why}"),
        CollectionState::Deferred => format!("paused: deferred{until}{why}"),
        CollectionState::InstalmentPlan => format!("paused: instalment plan{why}"),
        CollectionState::WithAgency => format!("with agency{why}"),
        CollectionState::WrittenOff => format!("written off{why}"),
        CollectionState::Overdue | CollectionState::Current => {
            if old.action == CollectionAction::ResolveDispute {
                return "dispute cleared".into();
            }
            let same_kind = |t: &&CollectionTask| match old.action {
                CollectionAction::FollowUp | CollectionAction::LimitationWarning => {
                    t.action == old.action
                }
                _ => t.step.is_some(),
            };
            wanted
                .iter()
                .find(same_kind)
                .map(|t| format!("superseded by {}", t.key.rsplit('/').next().unwrap_or("")))
                .unwrap_or_else(|| "no longer applies".into())
        }
    }
}

#[cfg(test)]
mod tests;
