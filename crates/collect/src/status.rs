//! Each invoice's overdue status on a date: days overdue, aging bucket, collection state,
//! ladder step reached, and, where asked, the late-payment interest and compensation.

use crate::aging::AgingBuckets;
use crate::inputs::CollectInputs;
use crate::interest::{
    DefaultFacts, InterestBasis, InterestClaim, interest_on_balance, interest_start,
};
use crate::rates::RateTables;
use crate::state::{FoldedState, ItemFacts, StateEvent, fold_state};
use arsync_model::{CollectionState, Invoice, OverdueStatus};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// How interest is to be computed for the statuses.
#[derive(Debug, Clone, Copy)]
pub struct InterestSettings<'a> {
    /// Statutory regime or contract.
    pub basis: &'a InterestBasis,
    /// The reference-rate tables.
    pub tables: &'a RateTables,
    /// Whether due dates are fixed by the calendar in the contracts (German default then
    /// starts the day after the due date without a notice).
    pub due_dates_agreed: bool,
}

/// An invoice's status with the reasoning behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemStatus {
    /// What is written back to the books.
    pub status: OverdueStatus,
    /// The collection state and its history.
    pub folded: FoldedState,
    /// The day the ladder step that puts the debtor in default was reached, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_step_reached: Option<NaiveDate>,
    /// The interest computation, when asked for and running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interest: Option<InterestClaim>,
    /// Things a person should know: a missing reference rate, why no interest runs.
    pub notes: Vec<String>,
}

/// The facts of an invoice for folding its states.
pub fn item_facts(invoice: &Invoice) -> ItemFacts<'_> {
    ItemFacts {
        connection: &invoice.origin.connection,
        customer_id: &invoice.customer_id,
        item_id: &invoice.origin.external_id,
        due: invoice.due_date,
        open: if invoice.status.is_receivable() {
            invoice.open_amount
        } else {
            rust_decimal::Decimal::ZERO
        },
    }
}

/// The first day on which the ladder counted `after_days`, scanning forward from the
/// earliest possible day (pauses push it later). `None` if not reached by `as_of`.
pub fn day_step_reached(
    events: &[StateEvent],
    facts: &ItemFacts<'_>,
    after_days: i64,
    as_of: NaiveDate,
) -> Option<NaiveDate> {
    let mut day = if after_days >= 0 {
        facts
            .due
            .checked_add_days(Days::new(after_days.unsigned_abs()))?
    } else {
        facts
            .due
            .checked_sub_days(Days::new(after_days.unsigned_abs()))?
    };
    while day <= as_of {
        let folded = fold_state(events, facts, day);
        if folded.ladder_days >= after_days {
            return Some(day);
        }
        // The ladder can catch up at most one day per day: skip the days it cannot.
        let behind = u64::try_from(after_days - folded.ladder_days)
            .unwrap_or(1)
            .max(1);
        day = day.checked_add_days(Days::new(behind))?;
    }
    None
}

/// The status of one invoice on `as_of`. Interest, when asked for, runs on the open
/// balance as part payments left it, from the day the debtor is in default (the ladder's
/// `sets_default` step is taken as the formal notice, received the day it is reached).
pub fn overdue_status(
    inputs: &CollectInputs<'_>,
    invoice: &Invoice,
    buckets: &AgingBuckets,
    interest_settings: Option<&InterestSettings<'_>>,
    as_of: NaiveDate,
) -> ItemStatus {
    let events = inputs.events;
    let ladder = inputs.ladder;
    let facts = item_facts(invoice);
    let folded = fold_state(events, &facts, as_of);
    let mut notes = Vec::new();
    let reached = if folded.ladder_stopped {
        None
    } else {
        ladder.reached(folded.ladder_days)
    };
    let default_step_reached = ladder
        .default_step()
        .and_then(|d| day_step_reached(events, &facts, d.step.after_days, as_of));

    let mut claim = None;
    if let Some(settings) = interest_settings
        && folded.state != CollectionState::Settled
    {
        let default = DefaultFacts {
            due: invoice.due_date,
            notice_received: default_step_reached,
            due_date_agreed: settings.due_dates_agreed,
            debtor_is_business: inputs.party_of(invoice).is_none_or(|p| p.is_business),
        };
        match interest_start(settings.basis, &default) {
            Some(start) if start <= as_of => {
                match interest_on_balance(
                    settings.basis,
                    settings.tables,
                    invoice.open_money(),
                    &inputs.part_payments(invoice),
                    start,
                    as_of,
                    default.debtor_is_business,
                ) {
                    Ok(c) => {
                        notes.extend(c.missing_rates.iter().map(ToString::to_string));
                        claim = Some(c);
                    }
                    Err(e) => notes.push(e.to_string()),
                }
            }
            Some(start) => notes.push(format!("interest runs from {start}")),
            None => notes.push(
                "no interest yet: the debtor is not in default until a formal notice is received"
                    .into(),
            ),
        }
    }

    let status = OverdueStatus {
        connection: invoice.origin.connection.clone(),
        item_id: invoice.origin.external_id.clone(),
        number: invoice.number.clone(),
        as_of,
        days_overdue: folded.days_overdue,
        bucket: buckets.label_for(folded.days_overdue).to_owned(),
        state: folded.state,
        ladder_step: reached.map(|r| r.index),
        action: reached.map(|r| r.step.action.clone()),
        open: facts_open(invoice),
        interest: claim.as_ref().map(|c| c.interest),
        compensation: claim.as_ref().and_then(|c| c.compensation),
    };
    ItemStatus {
        status,
        folded,
        default_step_reached,
        interest: claim,
        notes,
    }
}

/// The status of every open invoice (status open, something left to pay) on `as_of`, in
/// the order given.
pub fn overdue_statuses(
    inputs: &CollectInputs<'_>,
    buckets: &AgingBuckets,
    interest_settings: Option<&InterestSettings<'_>>,
    as_of: NaiveDate,
) -> Vec<ItemStatus> {
    inputs
        .invoices
        .iter()
        .filter(|i| i.status.is_receivable() && i.open_amount > rust_decimal::Decimal::ZERO)
        .map(|i| overdue_status(inputs, i, buckets, interest_settings, as_of))
        .collect()
}

/// [`overdue_statuses`] with each customer's ladder from `rules` (their override or their
/// group's), so the step pushed back to the books is the one their tasks follow. The step is
/// judged by days alone: a step's `min_open` decides whether a task is raised, not the
/// status.
pub fn overdue_statuses_with(
    inputs: &CollectInputs<'_>,
    rules: &crate::rules::TaskRules,
    buckets: &AgingBuckets,
    interest_settings: Option<&InterestSettings<'_>>,
    as_of: NaiveDate,
) -> Vec<ItemStatus> {
    inputs
        .invoices
        .iter()
        .filter(|i| i.status.is_receivable() && i.open_amount > rust_decimal::Decimal::ZERO)
        .map(|i| {
            let own = rules.inputs_for(inputs, &i.customer_id);
            overdue_status(&own, i, buckets, interest_settings, as_of)
        })
        .collect()
}

fn facts_open(invoice: &Invoice) -> arsync_model::Money {
    if invoice.status.is_receivable() {
        invoice.open_money()
    } else {
        arsync_model::Money::zero(invoice.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{cur, date, invoice};
    use crate::interest::Jurisdiction;
    use crate::ladder::Ladder;
    use crate::state::{StateKind, StateTarget};
    use arsync_model::{
        Allocation, CollectionAction, ItemKind, Money, Origin, Payment, PaymentStatus,
    };
    use chrono::{TimeZone, Utc};
    use rust_decimal_macros::dec;
    use std::collections::BTreeMap;

    #[test]
    fn a_german_invoice_past_its_formal_notice_owes_interest_from_the_day_after() {
        // Due 31 Mar 2025; the ladder's formal notice (day 14) falls on 14 Apr, so interest
        // runs from 15 Apr. On 30 Apr: 16 days × 10,000 × 11.27 % / 365 = 49.40, plus EUR 40.
        let inv = invoice("7", "C1", "EUR", dec!(10000.00), date(2025, 3, 31));
        let tables = RateTables::builtin().unwrap();
        let basis = InterestBasis::Statutory(Jurisdiction::De);
        let settings = InterestSettings {
            basis: &basis,
            tables: &tables,
            due_dates_agreed: false,
        };
        let ladder = Ladder::default();
        let history = BTreeMap::new();
        let invoices = [inv.clone()];
        let inputs = CollectInputs {
            invoices: &invoices,
            parties: &[],
            payments: &[],
            events: &[],
            ladder: &ladder,
            limitation: None,
            history: &history,
        };
        let s = overdue_status(
            &inputs,
            &inv,
            &AgingBuckets::default(),
            Some(&settings),
            date(2025, 4, 30),
        );
        assert_eq!(s.default_step_reached, Some(date(2025, 4, 14)));
        assert_eq!(s.status.days_overdue, 30);
        assert_eq!(s.status.bucket, "1-30");
        assert_eq!(s.status.state, CollectionState::Overdue);
        // Day 30 is the call.
        assert_eq!(s.status.ladder_step, Some(3));
        assert_eq!(s.status.action, Some(CollectionAction::Call));
        assert_eq!(s.status.interest, Some(Money::new(dec!(49.40), cur("EUR"))));
        assert_eq!(
            s.status.compensation,
            Some(Money::new(dec!(40), cur("EUR")))
        );

        // Ten days earlier the notice has not gone out and nothing accrues.
        let s = overdue_status(
            &inputs,
            &inv,
            &AgingBuckets::default(),
            Some(&settings),
            date(2025, 4, 10),
        );
        assert_eq!(s.status.interest, None);
        assert!(s.notes[0].contains("interest runs from"), "{:?}", s.notes);
    }

    #[test]
    fn a_part_payment_after_the_notice_lowers_the_balance_interest_runs_on() {
        // As above, but 4,000 arrive on 23 Apr and 6,000 stay open. 15-22 Apr on 10,000:
        // 10,000 × 11.27 % × 8 / 365 = 24.7014… → 24.70; 23-30 Apr on 6,000:
        // 6,000 × 11.27 % × 8 / 365 = 14.8208… → 14.82. Together 39.52.
        let mut inv = invoice("7", "C1", "EUR", dec!(10000.00), date(2025, 3, 31));
        inv.open_amount = dec!(6000.00);
        let payment = Payment {
            origin: Origin::new("books", "P1"),
            customer_id: Some("C1".into()),
            date: date(2025, 4, 23),
            amount: Money::new(dec!(4000.00), cur("EUR")),
            reference: None,
            method: None,
            book_rate: None,
            allocations: vec![Allocation {
                item_kind: ItemKind::Invoice,
                item_id: "7".into(),
                amount: dec!(4000.00),
            }],
            status: PaymentStatus::Posted,
        };
        let tables = RateTables::builtin().unwrap();
        let basis = InterestBasis::Statutory(Jurisdiction::De);
        let settings = InterestSettings {
            basis: &basis,
            tables: &tables,
            due_dates_agreed: false,
        };
        let ladder = Ladder::default();
        let history = BTreeMap::new();
        let invoices = [inv.clone()];
        let payments = [payment];
        let inputs = CollectInputs {
            invoices: &invoices,
            parties: &[],
            payments: &payments,
            events: &[],
            ladder: &ladder,
            limitation: None,
            history: &history,
        };
        let all = overdue_statuses(
            &inputs,
            &AgingBuckets::default(),
            Some(&settings),
            date(2025, 4, 30),
        );
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].status.interest,
            Some(Money::new(dec!(39.52), cur("EUR")))
        );
        assert_eq!(all[0].status.open, Money::new(dec!(6000.00), cur("EUR")));
    }

    #[test]
    fn a_dispute_delays_the_day_the_formal_notice_is_reached() {
        let inv = invoice("7", "C1", "EUR", dec!(500.00), date(2025, 3, 31));
        let dispute = StateEvent {
            target: StateTarget::Item {
                connection: "books".into(),
                item_id: "7".into(),
            },
            kind: StateKind::Disputed,
            from: date(2025, 4, 5),
            until: Some(date(2025, 4, 9)),
            who: "clerk".into(),
            why: "wrong quantity".into(),
            at: Utc.with_ymd_and_hms(2025, 4, 5, 9, 0, 0).unwrap(),
        };
        // Five paused days move the day-14 notice from 14 Apr to 19 Apr.
        let facts = item_facts(&inv);
        assert_eq!(
            day_step_reached(&[dispute], &facts, 14, date(2025, 5, 1)),
            Some(date(2025, 4, 19))
        );
    }
}
