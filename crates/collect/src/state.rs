//! Collection states that pause or change the ladder, recorded as events with who, when and
//! why, and folded into the state of one invoice on a date.
//!
//! The events are the history; nothing here forgets one. The caller loads them from the
//! store; [`fold_state`] reads them in the order they were recorded (`at`) and decides:
//! - **disputed**: no dunning while the dispute lasts (until `until`, or until a later
//!   `cleared` event); a task to resolve it is raised instead.
//! - **promise to pay** and **deferral** until a date: the ladder waits; when the date
//!   passes with money still open, the promise is broken and a follow-up is raised.
//! - **instalment plan**: the ladder waits while the instalments are kept. An instalment
//!   counts as missed when, after its date, more is open than the instalments still to
//!   come; the ladder then resumes and a follow-up is raised. The instalments are expected
//!   to add up to what was open when the plan was agreed.
//! - **with agency** and **written off** stop the ladder until cleared.
//! - **acknowledged**: the debtor acknowledged the debt; no state of its own, but it
//!   restarts the limitation clock.
//! - **cleared** ends every state recorded before it that applies to the item.
//!
//! Pausing means the ladder's clock stops: the ladder counts days past due *less the days
//! spent disputed, promised, deferred or on a kept plan*, so a customer who breaks a
//! promise is picked up at the step where the ladder stopped, not three steps further.
//! A state recorded for a customer applies to each of the customer's invoices.

use crate::error::{CollectError, Result};
use arsync_model::{CollectionState, days_between};
use chrono::{DateTime, Days, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a state event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "scope")]
pub enum StateTarget {
    /// One invoice.
    Item {
        /// Connection of the invoice.
        connection: String,
        /// External id of the invoice.
        item_id: String,
    },
    /// All invoices of a customer.
    Customer {
        /// Connection of the customer.
        connection: String,
        /// External id of the customer.
        customer_id: String,
    },
}

/// One agreed instalment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instalment {
    /// When it is due.
    pub due: NaiveDate,
    /// How much (in the invoice's currency).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// The kind of a state event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum StateKind {
    /// The customer disputes the item.
    Disputed,
    /// The customer promised to pay by `until`.
    PromiseToPay,
    /// Payment deferred to `until`.
    Deferral,
    /// Payment by instalments.
    InstalmentPlan {
        /// The instalments, in date order.
        instalments: Vec<Instalment>,
    },
    /// Handed to a collection agency.
    WithAgency,
    /// Written off.
    WrittenOff,
    /// The debtor acknowledged the debt (restarts the limitation clock).
    Acknowledged,
    /// Ends every state recorded before it.
    Cleared,
}

impl StateKind {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            StateKind::Disputed => "disputed",
            StateKind::PromiseToPay => "promise_to_pay",
            StateKind::Deferral => "deferral",
            StateKind::InstalmentPlan { .. } => "instalment_plan",
            StateKind::WithAgency => "with_agency",
            StateKind::WrittenOff => "written_off",
            StateKind::Acknowledged => "acknowledged",
            StateKind::Cleared => "cleared",
        }
    }
}

/// A state recorded through the CLI: what, for which item or customer, from when until
/// when, who recorded it, why, and when it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateEvent {
    /// Item or customer.
    pub target: StateTarget,
    /// What state.
    pub kind: StateKind,
    /// First day it applies.
    pub from: NaiveDate,
    /// Last day it applies, when it has one (required for promises and deferrals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// Who recorded it.
    pub who: String,
    /// Why.
    pub why: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

impl StateEvent {
    fn label(&self) -> String {
        format!(
            "{} event recorded {} by '{}'",
            self.kind.as_str(),
            self.at,
            self.who
        )
    }

    /// Checks that the event can be applied: who and why given, `until` where it is needed
    /// and not before `from`, instalments in date order with positive amounts.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| CollectError::State {
            record: self.label(),
            reason,
        };
        if self.who.trim().is_empty() {
            return Err(bad("who is empty; say who recorded the state".into()));
        }
        if self.why.trim().is_empty() {
            return Err(bad("why is empty; say why the state was recorded".into()));
        }
        if let Some(until) = self.until
            && until < self.from
        {
            return Err(bad(format!(
                "until {until} is before from {}; give the last day the state applies",
                self.from
            )));
        }
        match &self.kind {
            StateKind::PromiseToPay | StateKind::Deferral if self.until.is_none() => Err(bad(
                "until is missing; a promise or deferral runs to a date".into(),
            )),
            StateKind::InstalmentPlan { instalments } => {
                if instalments.is_empty() {
                    return Err(bad("the instalment plan has no instalments".into()));
                }
                if let Some(i) = instalments.iter().find(|i| i.amount <= Decimal::ZERO) {
                    return Err(bad(format!(
                        "the instalment due {} is {}; amounts must be positive",
                        i.due, i.amount
                    )));
                }
                if let Some(w) = instalments.windows(2).find(|w| w[1].due <= w[0].due) {
                    return Err(bad(format!(
                        "the instalment due {} does not come after the one due {}; list them in date order",
                        w[1].due, w[0].due
                    )));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn applies_to(&self, item: &ItemFacts<'_>) -> bool {
        match &self.target {
            StateTarget::Item {
                connection,
                item_id,
            } => connection == item.connection && item_id == item.item_id,
            StateTarget::Customer {
                connection,
                customer_id,
            } => connection == item.connection && customer_id == item.customer_id,
        }
    }
}

/// The facts about one invoice that the states are judged against.
#[derive(Debug, Clone, Copy)]
pub struct ItemFacts<'a> {
    /// Connection of the invoice.
    pub connection: &'a str,
    /// External id of the customer.
    pub customer_id: &'a str,
    /// External id of the invoice.
    pub item_id: &'a str,
    /// Due date.
    pub due: NaiveDate,
    /// What is still open.
    pub open: Decimal,
}

/// A broken promise, lapsed deferral or missed instalment that needs a follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lapse {
    /// What lapsed.
    pub kind: String,
    /// The date that passed without payment.
    pub date: NaiveDate,
}

/// One invoice's collection state on a date, folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldedState {
    /// The state.
    pub state: CollectionState,
    /// The event that put it there, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub because: Option<StateEvent>,
    /// Days past due.
    pub days_overdue: i64,
    /// Days past due spent paused.
    pub paused_days: i64,
    /// Days the ladder counts: `days_overdue - paused_days`.
    pub ladder_days: i64,
    /// Whether the ladder stops (agency, written off, settled).
    pub ladder_stopped: bool,
    /// Broken promises, lapsed deferrals and missed instalments, oldest first.
    pub lapses: Vec<Lapse>,
    /// Dates the debtor acknowledged the debt (restarting the limitation clock).
    pub acknowledged: Vec<NaiveDate>,
    /// Every event that applies to the item, in recorded order, for the history.
    pub history: Vec<StateEvent>,
    /// Events that could not be applied, with why.
    pub rejected: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Promised,
    Deferred,
    InstalmentPlan,
    Disputed,
    WithAgency,
    WrittenOff,
}

/// Folds the events that apply to `item` into its state on `as_of`.
pub fn fold_state(events: &[StateEvent], item: &ItemFacts<'_>, as_of: NaiveDate) -> FoldedState {
    let mut rejected = Vec::new();
    let mut history: Vec<&StateEvent> = Vec::new();
    for e in events.iter().filter(|e| e.applies_to(item)) {
        match e.validate() {
            Ok(()) => history.push(e),
            Err(err) => rejected.push(err.to_string()),
        }
    }
    history.sort_by(|a, b| a.at.cmp(&b.at).then(a.from.cmp(&b.from)));

    let days_overdue = days_between(item.due, as_of);
    let mut pauses: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut lapses = Vec::new();
    let mut acknowledged = Vec::new();
    let mut active: Option<(Rank, &StateEvent)> = None;

    for (i, e) in history.iter().enumerate() {
        if e.from > as_of {
            continue;
        }
        // A later `cleared` that has taken effect ends this event the day before it.
        let cleared = history
            .iter()
            .skip(i + 1)
            .filter(|c| c.kind == StateKind::Cleared && c.from <= as_of)
            .map(|c| c.from)
            .min();
        let cleared_end = cleared.and_then(|d| d.pred_opt());
        let end = [e.until, cleared_end].into_iter().flatten().min();
        let covers_today = e.from <= as_of && end.is_none_or(|end| as_of <= end);
        let mut activate = |rank: Rank| {
            if covers_today && active.is_none_or(|(r, _)| rank >= r) {
                active = Some((rank, *e));
            }
        };
        match &e.kind {
            StateKind::Disputed => {
                pauses.push((e.from, end.unwrap_or(as_of)));
                activate(Rank::Disputed);
            }
            StateKind::PromiseToPay | StateKind::Deferral => {
                let (rank, name) = if e.kind == StateKind::PromiseToPay {
                    (Rank::Promised, "promise to pay")
                } else {
                    (Rank::Deferred, "deferral")
                };
                let stop = end.unwrap_or(as_of);
                pauses.push((e.from, stop));
                activate(rank);
                // Lapsed only when it ran its full course, not when cleared early.
                if let Some(until) = e.until
                    && stop == until
                    && until < as_of
                    && item.open > Decimal::ZERO
                {
                    lapses.push(Lapse {
                        kind: name.into(),
                        date: until,
                    });
                }
            }
            StateKind::InstalmentPlan { instalments } => {
                let missed = first_missed(instalments, item.open, as_of);
                let last = instalments.last().map_or(e.from, |i| i.due);
                let stop = [end, missed.or(Some(last))]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(as_of);
                pauses.push((e.from, stop));
                match missed {
                    Some(date) if end.is_none_or(|end| date <= end) => lapses.push(Lapse {
                        kind: "instalment".into(),
                        date,
                    }),
                    _ => {
                        if as_of <= stop {
                            activate(Rank::InstalmentPlan);
                        }
                    }
                }
            }
            StateKind::WithAgency => activate(Rank::WithAgency),
            StateKind::WrittenOff => activate(Rank::WrittenOff),
            StateKind::Acknowledged => acknowledged.push(e.from),
            StateKind::Cleared => {}
        }
    }

    let paused_days = paused_days(&pauses, item.due, as_of);
    let ladder_days = if days_overdue > 0 {
        days_overdue - paused_days
    } else {
        days_overdue
    };
    let (state, because) = if item.open <= Decimal::ZERO {
        (CollectionState::Settled, None)
    } else {
        match active {
            Some((rank, e)) => (
                match rank {
                    Rank::Promised => CollectionState::Promised,
                    Rank::Deferred => CollectionState::Deferred,
                    Rank::InstalmentPlan => CollectionState::InstalmentPlan,
                    Rank::Disputed => CollectionState::Disputed,
                    Rank::WithAgency => CollectionState::WithAgency,
                    Rank::WrittenOff => CollectionState::WrittenOff,
                },
                Some(e.clone()),
            ),
            None if days_overdue > 0 => (CollectionState::Overdue, None),
            None => (CollectionState::Current, None),
        }
    };
    let ladder_stopped = matches!(
        state,
        CollectionState::Settled | CollectionState::WithAgency | CollectionState::WrittenOff
    );
    lapses.sort_by_key(|l| l.date);
    FoldedState {
        state,
        because,
        days_overdue,
        paused_days,
        ladder_days,
        ladder_stopped,
        lapses,
        acknowledged,
        history: history.into_iter().cloned().collect(),
        rejected,
    }
}

/// The first instalment date after which more was open than the instalments still to come.
fn first_missed(instalments: &[Instalment], open: Decimal, as_of: NaiveDate) -> Option<NaiveDate> {
    instalments
        .iter()
        .enumerate()
        .filter(|(_, i)| i.due < as_of)
        .find(|(n, _)| {
            let still_to_come: Decimal = instalments.iter().skip(n + 1).map(|i| i.amount).sum();
            open > still_to_come
        })
        .map(|(_, i)| i.due)
}

/// Days in `(due, as_of]` covered by at least one pause.
fn paused_days(pauses: &[(NaiveDate, NaiveDate)], due: NaiveDate, as_of: NaiveDate) -> i64 {
    let Some(first_overdue) = due.checked_add_days(Days::new(1)) else {
        return 0;
    };
    let mut spans: Vec<(NaiveDate, NaiveDate)> = pauses
        .iter()
        .map(|(a, b)| ((*a).max(first_overdue), (*b).min(as_of)))
        .filter(|(a, b)| a <= b)
        .collect();
    spans.sort();
    let mut total = 0;
    let mut covered_to: Option<NaiveDate> = None;
    for (a, b) in spans {
        let start = match covered_to {
            Some(c) if c >= a => match c.succ_opt() {
                Some(n) => n,
                None => continue,
            },
            _ => a,
        };
        if start <= b {
            total += days_between(start, b) + 1;
        }
        covered_to = Some(covered_to.map_or(b, |c| c.max(b)));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::date;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn item(open: Decimal) -> ItemFacts<'static> {
        ItemFacts {
            connection: "books",
            customer_id: "C1",
            item_id: "101",
            due: date(2026, 3, 1),
            open,
        }
    }

    fn event(kind: StateKind, from: NaiveDate, until: Option<NaiveDate>, seq: u32) -> StateEvent {
        StateEvent {
            target: StateTarget::Item {
                connection: "books".into(),
                item_id: "101".into(),
            },
            kind,
            from,
            until,
            who: "clerk".into(),
            why: "phone call".into(),
            at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
                + chrono::Duration::hours(i64::from(seq)),
        }
    }

    #[test]
    fn a_dispute_stops_the_ladder_clock_until_it_is_cleared() {
        let events = [
            event(StateKind::Disputed, date(2026, 3, 11), None, 1),
            event(StateKind::Cleared, date(2026, 3, 21), None, 2),
        ];
        // 15 Mar: 14 days overdue, disputed since 11 Mar (5 days paused).
        let s = fold_state(&events, &item(dec!(100)), date(2026, 3, 15));
        assert_eq!(s.state, CollectionState::Disputed);
        assert_eq!((s.days_overdue, s.paused_days, s.ladder_days), (14, 5, 9));
        // 31 Mar: cleared on 21 Mar, so 11-20 Mar (10 days) were paused.
        let s = fold_state(&events, &item(dec!(100)), date(2026, 3, 31));
        assert_eq!(s.state, CollectionState::Overdue);
        assert_eq!((s.days_overdue, s.paused_days, s.ladder_days), (30, 10, 20));
        assert_eq!(s.history.len(), 2);
    }

    #[test]
    fn a_promise_that_passes_unpaid_is_a_lapse_and_the_ladder_resumes() {
        let events = [event(
            StateKind::PromiseToPay,
            date(2026, 3, 10),
            Some(date(2026, 3, 20)),
            1,
        )];
        let s = fold_state(&events, &item(dec!(100)), date(2026, 3, 20));
        assert_eq!(s.state, CollectionState::Promised);
        assert!(s.lapses.is_empty());
        let s = fold_state(&events, &item(dec!(100)), date(2026, 3, 25));
        assert_eq!(s.state, CollectionState::Overdue);
        assert_eq!(
            s.lapses,
            [Lapse {
                kind: "promise to pay".into(),
                date: date(2026, 3, 20)
            }]
        );
        // 24 days overdue, 11 paused (10-20 Mar).
        assert_eq!(s.ladder_days, 13);
        // Paid meanwhile: settled, nothing lapsed.
        let s = fold_state(&events, &item(dec!(0)), date(2026, 3, 25));
        assert_eq!(s.state, CollectionState::Settled);
        assert!(s.lapses.is_empty());
    }

    #[test]
    fn an_instalment_plan_holds_while_kept_and_a_missed_one_resumes_the_ladder() {
        let plan = StateKind::InstalmentPlan {
            instalments: vec![
                Instalment {
                    due: date(2026, 4, 1),
                    amount: dec!(300),
                },
                Instalment {
                    due: date(2026, 5, 1),
                    amount: dec!(300),
                },
                Instalment {
                    due: date(2026, 6, 1),
                    amount: dec!(300),
                },
            ],
        };
        let events = [event(plan, date(2026, 3, 15), None, 1)];
        // First instalment paid: 600 open on 15 Apr, not more than the 600 still to come.
        let s = fold_state(&events, &item(dec!(600)), date(2026, 4, 15));
        assert_eq!(s.state, CollectionState::InstalmentPlan);
        assert!(s.lapses.is_empty());
        // Second not paid: on 2 May 600 are open but only 300 are still to come.
        let s = fold_state(&events, &item(dec!(600)), date(2026, 5, 2));
        assert_eq!(s.state, CollectionState::Overdue);
        assert_eq!(
            s.lapses,
            [Lapse {
                kind: "instalment".into(),
                date: date(2026, 5, 1)
            }]
        );
        // Paused 15 Mar - 1 May = 48 days of 62 overdue.
        assert_eq!((s.days_overdue, s.paused_days, s.ladder_days), (62, 48, 14));
        // Nothing paid at all: the first instalment is the one missed.
        let s = fold_state(&events, &item(dec!(900)), date(2026, 4, 2));
        assert_eq!(s.lapses[0].date, date(2026, 4, 1));
    }

    #[test]
    fn agency_and_write_off_stop_the_ladder_and_a_customer_wide_state_applies_to_each_invoice() {
        let mut e = event(StateKind::WithAgency, date(2026, 6, 1), None, 1);
        e.target = StateTarget::Customer {
            connection: "books".into(),
            customer_id: "C1".into(),
        };
        let s = fold_state(&[e.clone()], &item(dec!(100)), date(2026, 6, 2));
        assert_eq!(s.state, CollectionState::WithAgency);
        assert!(s.ladder_stopped);
        assert_eq!(s.because.as_ref().map(|b| b.who.as_str()), Some("clerk"));
        let w = event(StateKind::WrittenOff, date(2026, 7, 1), None, 2);
        let s = fold_state(&[e, w], &item(dec!(100)), date(2026, 7, 2));
        assert_eq!(s.state, CollectionState::WrittenOff);
    }

    #[test]
    fn events_that_cannot_hold_are_rejected_with_the_reason() {
        let mut bad = event(StateKind::PromiseToPay, date(2026, 3, 10), None, 1);
        let s = fold_state(&[bad.clone()], &item(dec!(100)), date(2026, 3, 12));
        assert_eq!(s.state, CollectionState::Overdue);
        assert!(
            s.rejected[0].contains("until is missing"),
            "{:?}",
            s.rejected
        );
        bad.until = Some(date(2026, 3, 1));
        bad.why = " ".into();
        let s = fold_state(&[bad], &item(dec!(100)), date(2026, 3, 12));
        assert!(s.rejected[0].contains("why is empty"), "{:?}", s.rejected);
    }

    #[test]
    fn overlapping_pauses_are_counted_once() {
        let events = [
            event(
                StateKind::Disputed,
                date(2026, 3, 5),
                Some(date(2026, 3, 14)),
                1,
            ),
            event(
                StateKind::Deferral,
                date(2026, 3, 10),
                Some(date(2026, 3, 19)),
                2,
            ),
        ];
        // 5-19 Mar = 15 days, not 10 + 10.
        let s = fold_state(&events, &item(dec!(100)), date(2026, 3, 31));
        assert_eq!(s.paused_days, 15);
    }
}
