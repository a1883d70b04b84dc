//! Collection tasks: what a person should do next, with a deterministic key so that a
//! re-run never raises the same task twice, and a priority that follows collection practice.
//!
//! Keys are `connection/customer/invoice:id/what`, where `what` is the ladder step
//! (`step2:formal_notice`), the dispute (`resolve_dispute:2026-03-11`), the lapse followed up
//! (`follow_up:promise_to_pay:2026-03-20`) or the limitation warning
//! (`limitation:2029-12-31:30`). One task per invoice keeps keys stable when invoices come and go.
//! With `one_task_per = "customer"` the ladder tasks are instead one per customer, currency
//! and step, keyed `connection/customer/customer/stepN:action:CURRENCY:DATE`, where DATE is
//! the day the first of its invoices reached the step; invoices joining or leaving an open
//! task change its items, not its key (see [`plan_tasks_with`]). Disputes, follow-ups and
//! limitation warnings stay per invoice.
//!
//! A task stays open while the situation that raised it holds. [`plan_tasks`] compares what
//! is wanted today with the tasks already recorded and returns:
//! - `new`: wanted and never raised before under that key;
//! - `closed`: open but no longer wanted, with the reason: paid, voided, disputed or paused
//!   (promise, deferral, plan), with agency, written off, or superseded by the next step;
//! - `reopened`: closed earlier only because collection was paused, and wanted again now
//!   that the pause is over (reasons that start with `paused:`). A task closed for any
//!   other reason, for example done by a person, is never raised again;
//! - `updated`: open customer tasks whose invoices or amount changed;
//! - `unchanged`: everything else that was recorded.
//!
//! Only the highest ladder step reached is raised: a customer first seen 40 days overdue
//! gets the call, not four reminders at once.

use crate::inputs::CollectInputs;
use crate::ladder::{LadderStep, StepReached};
use crate::limitation::{LimitationWarning, limitation};
use crate::rules::{TaskGrouping, TaskRules};
use crate::state::{FoldedState, fold_state};
use crate::status::item_facts;
use arsync_model::{
    CollectionAction, CollectionState, CollectionTask, Currency, DocumentStatus, Invoice, ItemKind,
    Money, Rounding, TaskState,
};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

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
    /// Open customer tasks whose invoices or amount changed, with the same key, as they
    /// now read (only with [`TaskGrouping::Customer`]).
    pub updated: Vec<CollectionTask>,
    /// Recorded tasks that stay as they are.
    pub unchanged: Vec<CollectionTask>,
    /// Recorded states that could not be applied, with why (each once).
    pub rejected_events: Vec<String>,
}

impl TaskPlan {
    /// Whether the plan changes nothing.
    pub fn is_quiet(&self) -> bool {
        self.new.is_empty()
            && self.reopened.is_empty()
            && self.closed.is_empty()
            && self.updated.is_empty()
    }
}

fn item_prefix(invoice: &Invoice) -> String {
    format!(
        "{}/{}/invoice:{}/",
        invoice.origin.connection, invoice.customer_id, invoice.origin.external_id
    )
}

/// Plans the tasks on `as_of` given the tasks recorded before (by key), one ladder task per
/// invoice, dated `as_of`: [`plan_tasks_with`] under the default [`TaskRules`].
pub fn plan_tasks(
    inputs: &CollectInputs<'_>,
    previous: &[CollectionTask],
    as_of: NaiveDate,
) -> TaskPlan {
    plan_tasks_with(inputs, &TaskRules::default(), previous, as_of)
}

/// (connection, customer id, currency).
type CustomerCurrency<'a> = (&'a str, &'a str, Currency);

/// One invoice as judged on the run's date.
struct Judged<'a> {
    inv: &'a Invoice,
    folded: FoldedState,
    prio: i64,
    customer_name: String,
    receivable: bool,
}

/// The invoices of one customer, in one currency, at one ladder step.
struct Group<'a> {
    step: &'a LadderStep,
    index: u32,
    customer_name: String,
    members: Vec<Member>,
}

struct Member {
    item_id: String,
    number: String,
    step_date: NaiveDate,
    open: Decimal,
    prio: i64,
    days_overdue: i64,
}

/// Plans the tasks on `as_of` under `rules`: each customer's ladder is the override for
/// them or their group, a step is raised only when its `min_open` is met, and task dates
/// move to the next business day of the rules' calendar.
///
/// With [`TaskGrouping::Customer`] the ladder tasks are one per customer, currency and step,
/// naming every invoice at that step, keyed
/// `connection/customer/customer/stepN:action:CURRENCY:DATE`. While such a task is open, an
/// invoice reaching the step joins it and one leaving it drops out: the task keeps its key
/// and is returned in [`TaskPlan::updated`] with its new items and amount. When no task is
/// open, the invoices not already covered by a task closed for that step (done by a person,
/// say) form a new one whose DATE is the earliest day any of them reached the step; a task
/// closed only because collection was paused, naming any of them, is reopened under its key
/// instead. Re-runs over the
/// same books therefore give the same key, and a fourth invoice never raises a second task.
pub fn plan_tasks_with(
    inputs: &CollectInputs<'_>,
    rules: &TaskRules,
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
    let due = rules.task_date(as_of);

    let mut plan = TaskPlan::default();
    let mut touched: HashSet<&str> = HashSet::new();

    let judged: Vec<Judged<'_>> = inputs
        .invoices
        .iter()
        .filter(|inv| inv.status != DocumentStatus::Draft)
        .map(|inv| {
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
            let receivable = inv.status.is_receivable() && inv.open_amount > Decimal::ZERO;
            Judged {
                inv,
                folded,
                prio,
                customer_name,
                receivable,
            }
        })
        .collect();

    // Open amounts by (connection, customer, currency) with each invoice's ladder days, for
    // the per-customer minimums.
    let mut laddered: HashMap<CustomerCurrency<'_>, Vec<(i64, Decimal)>> = HashMap::new();
    for j in judged.iter().filter(|j| j.receivable && active(&j.folded)) {
        laddered
            .entry((
                j.inv.origin.connection.as_str(),
                j.inv.customer_id.as_str(),
                j.inv.currency,
            ))
            .or_default()
            .push((j.folded.ladder_days, j.inv.open_amount));
    }

    let mut groups: BTreeMap<(String, String, Currency, u32), Group<'_>> = BTreeMap::new();
    for j in &judged {
        let inv = j.inv;
        let prefix = item_prefix(inv);
        let ladder = rules.ladder_for(&inv.customer_id, inputs.ladder);
        let reached = if j.receivable && active(&j.folded) {
            ladder.reached_with_minimum(j.folded.ladder_days, |step| match rules.grouping {
                TaskGrouping::Invoice => inv.open_money(),
                TaskGrouping::Customer => {
                    let sum = laddered
                        .get(&(
                            inv.origin.connection.as_str(),
                            inv.customer_id.as_str(),
                            inv.currency,
                        ))
                        .map_or(Decimal::ZERO, |v| {
                            v.iter()
                                .filter(|(days, _)| *days >= step.after_days)
                                .map(|(_, a)| *a)
                                .sum()
                        });
                    Money::new(sum, inv.currency)
                }
            })
        } else {
            None
        };
        let (own_step, grouped_step) = match rules.grouping {
            TaskGrouping::Invoice => (reached, None),
            TaskGrouping::Customer => (None, reached),
        };
        if let Some(r) = grouped_step {
            let behind = j.folded.ladder_days.saturating_sub(r.step.after_days);
            let step_date = u64::try_from(behind)
                .ok()
                .and_then(|b| as_of.checked_sub_days(Days::new(b)))
                .unwrap_or(as_of);
            groups
                .entry((
                    inv.origin.connection.clone(),
                    inv.customer_id.clone(),
                    inv.currency,
                    r.index,
                ))
                .or_insert_with(|| Group {
                    step: r.step,
                    index: r.index,
                    customer_name: j.customer_name.clone(),
                    members: Vec::new(),
                })
                .members
                .push(Member {
                    item_id: inv.origin.external_id.clone(),
                    number: inv.number.clone(),
                    step_date,
                    open: inv.open_amount,
                    prio: j.prio,
                    days_overdue: j.folded.days_overdue,
                });
        }
        let wanted = if j.receivable {
            wanted_tasks(
                inputs,
                inv,
                &j.folded,
                own_step,
                &prefix,
                &j.customer_name,
                j.prio,
                (as_of, due),
            )
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
                            again.due = due;
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
                closed.state = TaskState::Closed(close_reason(inv, &j.folded, &wanted, old));
                plan.closed.push(closed);
            } else {
                plan.unchanged.push(old.clone());
            }
        }
    }

    let mut wanted_groups: Vec<CollectionTask> = Vec::new();
    for ((connection, customer, currency, _), group) in groups {
        let task = group_task(&connection, &customer, currency, group, due, previous);
        let Some(task) = task else { continue };
        wanted_groups.push(task);
    }
    for task in &wanted_groups {
        match previous_by_key.get(task.key.as_str()) {
            None => plan.new.push(task.clone()),
            Some(old) => {
                touched.insert(old.key.as_str());
                match &old.state {
                    TaskState::Closed(reason) if reason.starts_with("paused:") => {
                        plan.reopened.push(task.clone());
                    }
                    TaskState::Open if old.items != task.items || old.amount != task.amount => {
                        let mut now = (*old).clone();
                        now.items = task.items.clone();
                        now.amount = task.amount;
                        now.summary = task.summary.clone();
                        now.priority = task.priority;
                        plan.updated.push(now);
                    }
                    _ => plan.unchanged.push((*old).clone()),
                }
            }
        }
    }
    for old in previous.iter().filter(|t| is_group_key(&t.key)) {
        if touched.contains(old.key.as_str()) || old.state != TaskState::Open {
            continue;
        }
        touched.insert(old.key.as_str());
        let mut closed = old.clone();
        closed.state = TaskState::Closed(group_close_reason(old, &judged, &wanted_groups));
        plan.closed.push(closed);
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

fn active(folded: &FoldedState) -> bool {
    matches!(
        folded.state,
        CollectionState::Overdue | CollectionState::Current
    )
}

fn group_prefix(connection: &str, customer: &str, index: u32, action: &str, c: Currency) -> String {
    format!("{connection}/{customer}/customer/step{index}:{action}:{c}:")
}

fn is_group_key(key: &str) -> bool {
    key.split('/').nth(2).is_some_and(|part| part == "customer")
}

/// The task wanted for one group, under the key rules of [`plan_tasks_with`]; `None` when
/// every member is covered by a task closed for that step.
fn group_task(
    connection: &str,
    customer: &str,
    currency: Currency,
    group: Group<'_>,
    due: NaiveDate,
    previous: &[CollectionTask],
) -> Option<CollectionTask> {
    let prefix = group_prefix(
        connection,
        customer,
        group.index,
        group.step.action.as_str(),
        currency,
    );
    let same_step: Vec<&CollectionTask> = previous
        .iter()
        .filter(|t| t.key.starts_with(&prefix))
        .collect();
    let open_key = same_step
        .iter()
        .filter(|t| t.state == TaskState::Open)
        .map(|t| t.key.as_str())
        .min();
    let mut members = group.members;
    let key = match open_key {
        Some(k) => k.to_owned(),
        None => {
            let covered: HashSet<&str> = same_step
                .iter()
                .filter(|t| matches!(&t.state, TaskState::Closed(r) if !r.starts_with("paused:")))
                .flat_map(|t| t.items.iter().map(|(_, id)| id.as_str()))
                .collect();
            members.retain(|m| !covered.contains(m.item_id.as_str()));
            // A task paused with some of these invoices comes back under its key, although
            // the pause moved the day they reached the step.
            let paused = same_step
                .iter()
                .filter(|t| matches!(&t.state, TaskState::Closed(r) if r.starts_with("paused:")))
                .filter(|t| {
                    t.items
                        .iter()
                        .any(|(_, id)| members.iter().any(|m| &m.item_id == id))
                })
                .map(|t| t.key.clone())
                .min();
            let first = members.iter().map(|m| m.step_date).min()?;
            paused.unwrap_or_else(|| format!("{prefix}{first}"))
        }
    };
    members.sort_by(|a, b| a.item_id.cmp(&b.item_id));
    let total: Decimal = members.iter().map(|m| m.open).sum();
    let amount = Money::new(total, currency);
    let most_overdue = members.iter().map(|m| m.days_overdue).max().unwrap_or(0);
    let numbers: Vec<&str> = members.iter().map(|m| m.number.as_str()).collect();
    let invoices = match numbers.as_slice() {
        [one] => format!("invoice {one}"),
        many => format!("{} invoices ({})", many.len(), many.join(", ")),
    };
    let when = if members.len() > 1 {
        format!("up to {}", overdue_phrase(most_overdue))
    } else {
        overdue_phrase(most_overdue)
    };
    Some(CollectionTask {
        key,
        connection: connection.to_owned(),
        customer_id: customer.to_owned(),
        customer_name: group.customer_name.clone(),
        items: members
            .iter()
            .map(|m| (ItemKind::Invoice, m.item_id.clone()))
            .collect(),
        action: group.step.action.clone(),
        tone: group.step.tone.clone(),
        step: Some(group.index),
        due,
        priority: members.iter().map(|m| m.prio).max().unwrap_or(0),
        amount,
        summary: format!(
            "{} for {invoices}: {} open, {when}",
            customer_step_phrase(
                &group.step.action,
                group.step.tone.as_deref(),
                &group.customer_name
            ),
            shown(&amount)
        ),
        state: TaskState::Open,
    })
}

/// Why an open customer task is no longer wanted, from its invoices' reasons.
fn group_close_reason(
    old: &CollectionTask,
    judged: &[Judged<'_>],
    wanted_groups: &[CollectionTask],
) -> String {
    let customer_wanted: Vec<CollectionTask> = wanted_groups
        .iter()
        .filter(|t| t.connection == old.connection && t.customer_id == old.customer_id)
        .cloned()
        .collect();
    let mut reasons: Vec<String> = Vec::new();
    for (_, id) in &old.items {
        let reason = judged
            .iter()
            .find(|j| j.inv.origin.connection == old.connection && j.inv.origin.external_id == *id)
            .map_or_else(
                || "no longer in the books".to_owned(),
                |j| close_reason(j.inv, &j.folded, &customer_wanted, old),
            );
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    if !reasons.iter().all(|r| r.starts_with("paused:")) {
        reasons.retain(|r| !r.starts_with("paused:"));
    }
    reasons.join("; ")
}

#[allow(clippy::too_many_arguments)]
fn wanted_tasks(
    inputs: &CollectInputs<'_>,
    inv: &Invoice,
    folded: &FoldedState,
    reached: Option<StepReached<'_>>,
    prefix: &str,
    customer_name: &str,
    prio: i64,
    (as_of, due): (NaiveDate, NaiveDate),
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
        due,
        priority: prio,
        amount: open,
        summary,
        state: TaskState::Open,
    };
    let mut out = Vec::new();
    if let Some(reached) = reached {
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
    let what = step_phrase(action, tone);
    format!(
        "{what} for invoice {}: {} open, {}",
        inv.number,
        shown(&open),
        overdue_phrase(days_overdue)
    )
}

/// Money as a person reads it in a task: at least the currency's minor units
/// (`1320 GBP` is shown `1320.00 GBP`), never rounded.
fn shown(m: &Money) -> String {
    let mut value = m.amount;
    if value.scale() < m.currency.minor_units() {
        value.rescale(m.currency.minor_units());
    }
    format!("{value} {}", m.currency)
}

/// What to do, addressed to the customer: "Call Acme", "Send the formal notice to Acme".
fn customer_step_phrase(action: &CollectionAction, tone: Option<&str>, customer: &str) -> String {
    let what = match (action.as_str(), tone) {
        ("reminder", Some(tone)) => format!("Send a {tone} reminder to {customer}"),
        ("reminder", None) => format!("Send a reminder to {customer}"),
        ("formal_notice", _) => format!("Send the formal notice to {customer}"),
        ("call", _) => format!("Call {customer}"),
        ("payment_plan", _) => format!("Agree a payment plan with {customer}"),
        ("final_notice", _) => format!("Send the final notice to {customer}"),
        ("agency_or_legal", _) => {
            format!("Hand {customer} over to the agency or start proceedings")
        }
        (other, _) => format!("Do '{other}' for {customer}"),
    };
    match tone {
        Some(tone) if action.as_str() != "reminder" => format!("{what} ({tone})"),
        _ => what,
    }
}

fn step_phrase(action: &str, tone: Option<&str>) -> String {
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
    // A tone on another action says which kind is meant: "small claims", "agency".
    match tone {
        Some(tone) if action != "reminder" => format!("{what} ({tone})"),
        _ => what,
    }
}

fn overdue_phrase(days_overdue: i64) -> String {
    match days_overdue {
        d if d < 0 => format!("due in {} days", d.unsigned_abs()),
        0 => "due today".to_owned(),
        1 => "1 day overdue".to_owned(),
        d => format!("{d} days overdue"),
    }
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

#[cfg(test)]
mod grouped_tests;
