//! Collect: overdue statuses and collection tasks for every open invoice, kept in the store,
//! queued for write-back under idempotency keys and pushed through the plugins.
//!
//! Keys are what make re-runs safe:
//! - a status is queued as `connection/status/item/version`, where the version is a digest
//!   of what the books show of it (collection state, aging bucket, ladder step and action,
//!   open amount, compensation): the same status is never pushed twice, and a new bucket or
//!   step is pushed once. Days overdue and accrued interest change daily and are sent along
//!   with a changed status, but do not make a new version on their own.
//! - a task is queued as `connection/task/task key/state`: raised once, closed once.

use crate::Agent;
use crate::error::{AgentError, Result};
use crate::outbox::PushReport;
use crate::{EVENTS_NAMESPACE, STATUSES_NAMESPACE, TASKS_NAMESPACE};
use arsync_collect::{
    CollectInputs, InterestSettings, ItemStatus, PaymentHistory, RateTables, StateEvent, TaskPlan,
    item_facts, overdue_status, overdue_statuses_with, plan_tasks_with,
};
use arsync_model::{CollectionState, CollectionTask, OverdueStatus, TaskState};
use arsync_sdk::{Outgoing, PushAction};
use arsync_store::{OutboxItem, Store, Which, Write, Written, canonical_json};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// One write-back queued (or, in a dry run, that would be queued or pushed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedPush {
    /// The idempotency key.
    pub idempotency_key: String,
    /// The connection written to.
    pub connection: String,
    /// `status`, `task` or `payment`.
    pub action: String,
    /// The invoice or task it is about.
    pub target: String,
}

/// What one collect run computed, queued and pushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectRun {
    /// The date judged.
    pub as_of: NaiveDate,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The status of every open invoice, with the reasoning.
    pub statuses: Vec<ItemStatus>,
    /// Invoices paid, credited or voided since a status was last written for them: their
    /// settled status is written once, so the books stop showing them overdue.
    pub settled: Vec<OverdueStatus>,
    /// Tasks created, reopened, closed and unchanged.
    pub plan: TaskPlan,
    /// Write-backs queued by this run (in a dry run: that would be queued).
    pub queued: Vec<PlannedPush>,
    /// Write-backs skipped because the same key was queued before.
    pub already_queued: usize,
    /// In a dry run: every item that would be sent, the queued ones included.
    pub would_push: Vec<PlannedPush>,
    /// What was sent and what the books answered (empty in a dry run).
    pub pushes: Vec<PushReport>,
    /// Connections whose plugin lacks a push capability, or could not be asked.
    pub notes: Vec<String>,
}

/// The key a recorded state is kept under: when it was recorded and a digest of it, so the
/// same event recorded twice is kept once and history sorts by time.
pub fn record_event_key(event: &StateEvent) -> String {
    let value = serde_json::to_value(event).unwrap_or_default();
    format!(
        "{}/{}",
        event.at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
        short_digest(&value)
    )
}

fn short_digest(value: &serde_json::Value) -> String {
    let digest = hex::encode(Sha256::digest(canonical_json(value).as_bytes()));
    digest.get(..16).unwrap_or(&digest).to_owned()
}

/// The business version of a status: what the books show, without the run date.
fn status_version(status: &OverdueStatus) -> String {
    short_digest(&serde_json::json!({
        "state": status.state,
        "bucket": status.bucket,
        "ladder_step": status.ladder_step,
        "action": status.action,
        "open": status.open,
        "compensation": status.compensation,
    }))
}

/// A digest of what a task says to the books: its items and amount.
fn task_version(task: &CollectionTask) -> String {
    short_digest(&serde_json::json!({
        "items": task.items,
        "amount": task.amount,
        "due": task.due,
    }))
}

/// The key a status is kept under in `collect.statuses`: `connection/item`.
fn status_key(status: &OverdueStatus) -> String {
    format!("{}/{}", status.connection, status.item_id)
}

/// What was last queued for an invoice's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct WrittenStatus {
    version: String,
    state: CollectionState,
    as_of: NaiveDate,
}

fn task_state(task: &CollectionTask) -> String {
    match &task.state {
        TaskState::Open => "open".into(),
        TaskState::Closed(reason) => format!("closed:{reason}"),
    }
}

impl<S: Store> Agent<'_, S> {
    /// Computes statuses and tasks on `as_of`, keeps the tasks, queues the write-backs and
    /// pushes every connection's outbox. With `dry_run`, computes the same and says what
    /// would be queued and sent, writing nothing. Keys: `connection/status/item/version`
    /// (the version digests state, bucket, step, action, open amount and compensation, not
    /// the date) and `connection/task/task key/state`.
    pub async fn collect(&self, as_of: NaiveDate, dry_run: bool) -> Result<CollectRun> {
        let settings = self.config.collect_settings();
        let settings_error = |e: arsync_collect::CollectError| AgentError::CollectSettings {
            file: self.config.file.clone(),
            reason: e.to_string(),
        };
        let jurisdiction = self.config.company.jurisdiction.code();
        let basis = settings
            .interest_basis(jurisdiction)
            .map_err(settings_error)?;
        let limitation = settings
            .limitation_rule(jurisdiction)
            .map_err(settings_error)?;
        let tables = if basis.is_some() {
            Some(self.rate_tables(&settings)?)
        } else {
            None
        };
        let interest = match (&basis, &tables) {
            (Some(basis), Some(tables)) => Some(InterestSettings {
                basis,
                tables,
                due_dates_agreed: settings.interest.due_dates_agreed,
            }),
            _ => None,
        };

        let mut invoices = self.store.invoices(None, Which::All).await?;
        // A receipt arsync applied that the books have not booked yet pays its invoices
        // here too: nobody is dunned for money that is on the bank account.
        let decisions = self.decisions().await?;
        crate::reconcile::apply_settled_receipts(
            decisions.iter().filter(|d| d.is_certain()),
            &mut invoices,
            &mut [],
        );
        let parties = self.store.parties(None).await?;
        let payments = self.store.payments(None).await?;
        let events = self.events().await?;
        let previous = self.tasks().await?;
        let history = payment_history(&invoices, &payments, &events, as_of);
        let inputs = CollectInputs {
            invoices: &invoices,
            parties: &parties,
            payments: &payments,
            events: &events,
            ladder: &settings.ladder,
            limitation,
            history: &history,
        };
        let rules = settings.task_rules().map_err(settings_error)?;
        let statuses =
            overdue_statuses_with(&inputs, &rules, &settings.aging, interest.as_ref(), as_of);
        let last_written: BTreeMap<String, WrittenStatus> = self
            .store
            .docs(STATUSES_NAMESPACE)
            .await?
            .into_iter()
            .filter_map(|(key, value)| Some((key, serde_json::from_value(value).ok()?)))
            .collect();
        let open_keys: BTreeSet<String> = statuses.iter().map(|s| status_key(&s.status)).collect();
        let settled: Vec<OverdueStatus> = invoices
            .iter()
            .filter(|i| {
                let key = format!("{}/{}", i.origin.connection, i.origin.external_id);
                !open_keys.contains(&key)
                    && last_written
                        .get(&key)
                        .is_some_and(|w| w.state != CollectionState::Settled)
            })
            .map(|i| {
                let mut status = overdue_status(&inputs, i, &settings.aging, None, as_of).status;
                status.state = CollectionState::Settled;
                status.ladder_step = None;
                status.action = None;
                status
            })
            .collect();
        let plan = plan_tasks_with(&inputs, &rules, &previous, as_of);

        let mut notes = Vec::new();
        let to_write: Vec<&OverdueStatus> =
            statuses.iter().map(|s| &s.status).chain(&settled).collect();
        let wanted = self.wanted_pushes(&to_write, &plan, &mut notes).await?;
        let mut queued = Vec::new();
        let mut already_queued = 0;
        for (item, _) in &wanted {
            if self
                .store
                .outbox_item(&item.idempotency_key)
                .await?
                .is_some()
            {
                already_queued += 1;
            } else {
                queued.push(planned(item));
            }
        }

        if dry_run {
            let mut would_push = Vec::new();
            let mut seen = BTreeSet::new();
            for connection in self.connections(&[])? {
                for entry in self.store.pending(connection.name(), u32::MAX).await? {
                    if seen.insert(entry.item.idempotency_key.clone()) {
                        would_push.push(planned(&entry.item));
                    }
                }
            }
            for push in &queued {
                if seen.insert(push.idempotency_key.clone()) {
                    would_push.push(push.clone());
                }
            }
            return Ok(CollectRun {
                as_of,
                dry_run,
                statuses,
                settled,
                plan,
                queued,
                already_queued,
                would_push,
                pushes: Vec::new(),
                notes,
            });
        }

        let mut writes: Vec<Write> = Vec::new();
        for task in plan
            .new
            .iter()
            .chain(&plan.reopened)
            .chain(&plan.closed)
            .chain(&plan.updated)
        {
            writes.push(Write::PutDoc {
                namespace: TASKS_NAMESPACE.into(),
                key: task.key.clone(),
                value: serde_json::to_value(task).unwrap_or_default(),
            });
        }
        for status in &to_write {
            let written = WrittenStatus {
                version: status_version(status),
                state: status.state,
                as_of,
            };
            writes.push(Write::PutDoc {
                namespace: STATUSES_NAMESPACE.into(),
                key: status_key(status),
                value: serde_json::to_value(&written).unwrap_or_default(),
            });
        }
        for (item, _) in wanted {
            writes.push(Write::Enqueue(item));
        }
        writes.push(Write::Audit {
            kind: "collect.run".into(),
            subject: as_of.to_string(),
            detail: serde_json::json!({
                "statuses": statuses.len(),
                "settled": settled.len(),
                "tasks_new": plan.new.len(),
                "tasks_reopened": plan.reopened.len(),
                "tasks_closed": plan.closed.len(),
                "tasks_updated": plan.updated.len(),
                "queued": queued.len(),
                "already_queued": already_queued,
                "rejected_events": plan.rejected_events,
            }),
        });
        let written = self.store.write_all(&writes).await?;
        let newly: usize = written
            .iter()
            .filter(|w| matches!(w, Written::Enqueued(true)))
            .count();
        if newly != queued.len() {
            tracing::info!(
                expected = queued.len(),
                queued = newly,
                "another run queued some of the same items meanwhile"
            );
        }

        let mut pushes = Vec::new();
        for connection in self.connections(&[])? {
            pushes.push(self.push_connection(connection).await?);
        }
        Ok(CollectRun {
            as_of,
            dry_run,
            statuses,
            settled,
            plan,
            queued,
            already_queued,
            would_push: Vec::new(),
            pushes,
            notes,
        })
    }

    /// Records a collection state (dispute, promise, plan, write-off, ...) with who, when
    /// and why, keeping every earlier one as history. Returns the key it is kept under.
    pub async fn record_event(&self, event: StateEvent) -> Result<String> {
        event.validate().map_err(|e| AgentError::StateEvent {
            reason: e.to_string(),
        })?;
        let key = record_event_key(&event);
        let value = serde_json::to_value(&event).unwrap_or_default();
        self.store
            .write_all(&[
                Write::PutDoc {
                    namespace: EVENTS_NAMESPACE.into(),
                    key: key.clone(),
                    value: value.clone(),
                },
                Write::Audit {
                    kind: "collect.event".into(),
                    subject: key.clone(),
                    detail: value,
                },
            ])
            .await?;
        Ok(key)
    }

    /// Every recorded collection state, oldest first.
    pub async fn events(&self) -> Result<Vec<StateEvent>> {
        self.docs_of(EVENTS_NAMESPACE).await
    }

    /// The collection tasks as last planned, open and closed.
    pub async fn tasks(&self) -> Result<Vec<CollectionTask>> {
        self.docs_of(TASKS_NAMESPACE).await
    }

    /// The open collection tasks, most urgent first (priority, then due date, then key):
    /// the work list of `arsync report tasks`.
    pub async fn open_tasks(&self) -> Result<Vec<CollectionTask>> {
        let mut open: Vec<CollectionTask> = self
            .tasks()
            .await?
            .into_iter()
            .filter(|t| t.state == TaskState::Open)
            .collect();
        open.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.due.cmp(&b.due))
                .then(a.key.cmp(&b.key))
        });
        Ok(open)
    }

    pub(crate) async fn docs_of<T: serde::de::DeserializeOwned>(
        &self,
        namespace: &str,
    ) -> Result<Vec<T>> {
        self.store
            .docs(namespace)
            .await?
            .into_iter()
            .map(|(key, value)| {
                serde_json::from_value(value).map_err(|e| AgentError::Document {
                    namespace: namespace.to_owned(),
                    key,
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    fn rate_tables(&self, settings: &arsync_collect::CollectSettings) -> Result<RateTables> {
        let mut tables = RateTables::builtin().map_err(|e| AgentError::CollectSettings {
            file: self.config.file.clone(),
            reason: e.to_string(),
        })?;
        for (id, file) in settings.rates.files() {
            let path = self.config.resolve(std::path::Path::new(file));
            let text = std::fs::read_to_string(&path).map_err(|e| AgentError::RateFile {
                path: path.clone(),
                reason: format!("{e}; check the path, which is relative to the configuration file"),
            })?;
            tables = tables
                .with_override(id, &path.display().to_string(), &text)
                .map_err(|e| AgentError::RateFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
        }
        Ok(tables)
    }

    /// The outbox items this run wants, for connections whose plugin declares the push.
    async fn wanted_pushes(
        &self,
        statuses: &[&OverdueStatus],
        plan: &TaskPlan,
        notes: &mut Vec<String>,
    ) -> Result<Vec<(OutboxItem, PushAction)>> {
        let mut involved: BTreeSet<&str> = statuses.iter().map(|s| s.connection.as_str()).collect();
        involved.extend(
            plan.new
                .iter()
                .chain(&plan.reopened)
                .chain(&plan.closed)
                .chain(&plan.updated)
                .map(|t| t.connection.as_str()),
        );
        let mut can: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
        for name in involved {
            can.insert(name, self.push_capabilities(name, notes).await);
        }
        let mut wanted = Vec::new();
        for status in statuses.iter().copied() {
            if !can.get(status.connection.as_str()).is_some_and(|c| c.0) {
                continue;
            }
            let key = format!(
                "{}/status/{}/{}",
                status.connection,
                status.item_id,
                status_version(status)
            );
            wanted.push((
                OutboxItem {
                    idempotency_key: key,
                    connection: status.connection.clone(),
                    action: PushAction::Status.as_str().into(),
                    target: format!("invoice:{} ({})", status.item_id, status.number),
                    payload: serde_json::to_value(Outgoing::OverdueStatus(status.clone()))
                        .unwrap_or_default(),
                },
                PushAction::Status,
            ));
        }
        for task in plan
            .new
            .iter()
            .chain(&plan.reopened)
            .chain(&plan.closed)
            .chain(&plan.updated)
        {
            if !can.get(task.connection.as_str()).is_some_and(|c| c.1) {
                continue;
            }
            // A customer task keeps its key while invoices join or leave it; the content
            // digest makes each changed version one push.
            let key = format!(
                "{}/task/{}/{}/{}",
                task.connection,
                task.key,
                task_state(task),
                task_version(task)
            );
            wanted.push((
                OutboxItem {
                    idempotency_key: key,
                    connection: task.connection.clone(),
                    action: PushAction::Task.as_str().into(),
                    target: task.key.clone(),
                    payload: serde_json::to_value(Outgoing::CollectionTask(task.clone()))
                        .unwrap_or_default(),
                },
                PushAction::Task,
            ));
        }
        Ok(wanted)
    }

    /// Whether a connection's plugin declares `push_status` and `push_task`. A connection
    /// that is not configured, disabled, or whose plugin does not load gets a note.
    async fn push_capabilities(&self, name: &str, notes: &mut Vec<String>) -> (bool, bool) {
        let Some(connection) = self.config.connection(name).filter(|c| c.enabled) else {
            notes.push(format!(
                "connection '{name}' holds invoices but is not configured or not enabled; nothing is written back to it"
            ));
            return (false, false);
        };
        match self.open_session(connection).await {
            Ok(session) => {
                let status = session.can_push(PushAction::Status);
                let task = session.can_push(PushAction::Task);
                for (has, action) in [(status, "push_status"), (task, "push_task")] {
                    if !has {
                        notes.push(format!(
                            "connection '{name}': plugin {} does not declare {action}; those write-backs are skipped",
                            session.manifest().name
                        ));
                    }
                }
                session.discard();
                (status, task)
            }
            Err(e) => {
                notes.push(format!("{e}; nothing is queued for it in this run"));
                (false, false)
            }
        }
    }
}

/// How each customer has paid: the average days after the due date over the invoice
/// payments the books record (early payments count as on time), and the promises to pay
/// broken in the year before `as_of`.
fn payment_history(
    invoices: &[arsync_model::Invoice],
    payments: &[arsync_model::Payment],
    events: &[StateEvent],
    as_of: NaiveDate,
) -> BTreeMap<String, PaymentHistory> {
    let due: BTreeMap<(&str, &str), (&str, NaiveDate)> = invoices
        .iter()
        .map(|i| {
            (
                (i.origin.connection.as_str(), i.origin.external_id.as_str()),
                (i.customer_id.as_str(), i.due_date),
            )
        })
        .collect();
    let mut late: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for payment in payments
        .iter()
        .filter(|p| p.status == arsync_model::PaymentStatus::Posted)
    {
        for allocation in payment
            .allocations
            .iter()
            .filter(|a| a.item_kind == arsync_model::ItemKind::Invoice)
        {
            let key = (
                payment.origin.connection.as_str(),
                allocation.item_id.as_str(),
            );
            if let Some((customer, due_date)) = due.get(&key) {
                let days = (payment.date - *due_date).num_days().max(0);
                let entry = late.entry((*customer).to_owned()).or_default();
                entry.0 += days;
                entry.1 += 1;
            }
        }
    }
    let mut history: BTreeMap<String, PaymentHistory> = late
        .into_iter()
        .map(|(customer, (days, count))| {
            (
                customer,
                PaymentHistory {
                    average_days_late: days / count.max(1),
                    broken_promises: 0,
                },
            )
        })
        .collect();
    if !events.is_empty() {
        let year_ago = as_of - chrono::Days::new(365);
        for invoice in invoices {
            let folded = arsync_collect::fold_state(events, &item_facts(invoice), as_of);
            let broken = folded
                .lapses
                .iter()
                .filter(|l| l.kind == "promise to pay" && l.date >= year_ago)
                .count();
            if broken > 0 {
                let entry = history.entry(invoice.customer_id.clone()).or_default();
                entry.broken_promises = entry
                    .broken_promises
                    .saturating_add(u32::try_from(broken).unwrap_or(u32::MAX));
            }
        }
    }
    history
}

fn planned(item: &OutboxItem) -> PlannedPush {
    PlannedPush {
        idempotency_key: item.idempotency_key.clone(),
        connection: item.connection.clone(),
        action: item.action.clone(),
        target: item.target.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arsync_model::{
        Allocation, Currency, DocumentStatus, Invoice, ItemKind, Money, Origin, Payment,
        PaymentStatus,
    };
    use rust_decimal_macros::dec;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn invoice(id: &str, customer: &str, due: NaiveDate) -> Invoice {
        Invoice {
            origin: Origin::new("books", id),
            number: id.into(),
            customer_id: customer.into(),
            customer_name: None,
            issue_date: due,
            due_date: due,
            terms: None,
            currency: Currency::parse("EUR").unwrap(),
            total: dec!(100),
            open_amount: dec!(0),
            book_rate: None,
            home_total: None,
            home_open: None,
            payment_reference: None,
            status: DocumentStatus::Paid,
        }
    }

    fn paid(id: &str, on: NaiveDate, items: &[&str], status: PaymentStatus) -> Payment {
        Payment {
            origin: Origin::new("books", id),
            customer_id: None,
            date: on,
            amount: Money::new(dec!(100), Currency::parse("EUR").unwrap()),
            reference: None,
            method: None,
            book_rate: None,
            allocations: items
                .iter()
                .map(|i| Allocation {
                    item_kind: ItemKind::Invoice,
                    item_id: (*i).into(),
                    amount: dec!(100),
                })
                .collect(),
            status,
        }
    }

    #[test]
    fn a_customer_who_pays_ten_and_twenty_days_late_averages_fifteen() {
        let invoices = [
            invoice("1", "acme", day(1, 31)),
            invoice("2", "acme", day(2, 28)),
            invoice("3", "bright", day(3, 10)),
            invoice("4", "acme", day(3, 31)),
        ];
        let payments = [
            paid("p1", day(2, 10), &["1"], PaymentStatus::Posted),
            paid("p2", day(3, 20), &["2"], PaymentStatus::Posted),
            paid("p3", day(3, 1), &["3"], PaymentStatus::Posted), // early: on time
            paid("p4", day(6, 30), &["4"], PaymentStatus::Void),  // voided: ignored
        ];
        let history = payment_history(&invoices, &payments, &[], day(7, 1));
        assert_eq!(history["acme"].average_days_late, 15);
        assert_eq!(history["bright"].average_days_late, 0);
    }

    #[test]
    fn a_promise_that_passed_unpaid_counts_as_broken_for_a_year() {
        let mut open = invoice("5", "acme", day(1, 31));
        open.open_amount = dec!(100);
        open.status = DocumentStatus::Open;
        let promise = StateEvent {
            target: arsync_collect::StateTarget::Item {
                connection: "books".into(),
                item_id: "5".into(),
            },
            kind: arsync_collect::StateKind::PromiseToPay,
            from: day(2, 10),
            until: Some(day(2, 20)),
            who: "collector".into(),
            why: "said the transfer goes out on the 20th".into(),
            at: chrono::DateTime::from_naive_utc_and_offset(
                day(2, 10).and_hms_opt(9, 0, 0).unwrap(),
                chrono::Utc,
            ),
        };
        let invoices = [open];
        let events = [promise];
        let kept = payment_history(&invoices, &[], &events, day(2, 20));
        assert_eq!(
            kept.get("acme").map_or(0, |h| h.broken_promises),
            0,
            "not yet"
        );
        let broken = payment_history(&invoices, &[], &events, day(3, 1));
        assert_eq!(broken["acme"].broken_promises, 1);
        let forgotten = payment_history(
            &invoices,
            &[],
            &events,
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        );
        assert_eq!(forgotten.get("acme").map_or(0, |h| h.broken_promises), 0);
    }

    #[test]
    fn a_status_keeps_its_version_from_one_day_to_the_next_in_the_same_bucket() {
        let status = |as_of: NaiveDate, days: i64| OverdueStatus {
            connection: "books".into(),
            item_id: "1".into(),
            number: "INV-1".into(),
            as_of,
            days_overdue: days,
            bucket: "31-60".into(),
            state: arsync_model::CollectionState::Overdue,
            ladder_step: Some(3),
            action: None,
            open: Money::new(dec!(100), Currency::parse("EUR").unwrap()),
            interest: None,
            compensation: None,
        };
        assert_eq!(
            status_version(&status(day(3, 20), 44)),
            status_version(&status(day(3, 21), 45))
        );
        let mut paid_down = status(day(3, 21), 45);
        paid_down.open = Money::new(dec!(60), Currency::parse("EUR").unwrap());
        assert_ne!(
            status_version(&status(day(3, 20), 44)),
            status_version(&paid_down)
        );
    }
}
