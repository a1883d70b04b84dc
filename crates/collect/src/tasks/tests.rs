use super::*;
use crate::fixtures::{date, invoice, party};
use crate::ladder::Ladder;
use crate::limitation::LimitationRule;
use crate::state::{Instalment, StateEvent, StateKind, StateTarget};
use chrono::{Days, TimeZone, Utc};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

fn day(n: u64) -> NaiveDate {
    date(2026, 1, 1).checked_add_days(Days::new(n)).unwrap()
}

fn event(item: &str, kind: StateKind, from: u64, until: Option<u64>, why: &str) -> StateEvent {
    StateEvent {
        target: StateTarget::Item {
            connection: "books".into(),
            item_id: item.into(),
        },
        kind,
        from: day(from),
        until: until.map(day),
        who: "collector".into(),
        why: why.into(),
        at: Utc.from_utc_datetime(&day(from).and_hms_opt(10, 0, 0).unwrap()),
    }
}

/// A change with the day it happened and the task key.
type Logged = (u64, String, Change);

/// What happened to one task on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    New,
    Reopened,
    Closed(String),
}

/// The books of one customer over 120 days (day 0 = 1 Jan 2026), all four invoices due on
/// day 10:
/// - A, 1,000 EUR: no trouble, paid on day 50.
/// - B, 2,000 EUR: disputed on day 20, dispute cleared on day 41.
/// - C, 3,000 EUR: on day 18 the customer promises to pay by day 30, and does not.
/// - D, 900 EUR: on day 12 an instalment plan of 3 × 300 on days 30, 60 and 90; the first
///   is paid on day 30, the second is missed.
struct Books {
    events: Vec<StateEvent>,
}

impl Books {
    fn new() -> Self {
        let plan = StateKind::InstalmentPlan {
            instalments: [30, 60, 90]
                .into_iter()
                .map(|d| Instalment {
                    due: day(d),
                    amount: dec!(300),
                })
                .collect(),
        };
        Books {
            events: vec![
                event("B", StateKind::Disputed, 20, None, "goods damaged"),
                event(
                    "B",
                    StateKind::Cleared,
                    41,
                    None,
                    "credit refused, goods were fine",
                ),
                event(
                    "C",
                    StateKind::PromiseToPay,
                    18,
                    Some(30),
                    "promised on the phone",
                ),
                event("D", plan, 12, None, "cash-flow problems"),
            ],
        }
    }

    fn invoices_on(&self, n: u64) -> Vec<Invoice> {
        let mut a = invoice("A", "C1", "EUR", dec!(1000.00), day(10));
        let b = invoice("B", "C1", "EUR", dec!(2000.00), day(10));
        let c = invoice("C", "C1", "EUR", dec!(3000.00), day(10));
        let mut d = invoice("D", "C1", "EUR", dec!(900.00), day(10));
        if n >= 50 {
            a.open_amount = dec!(0);
            a.status = DocumentStatus::Paid;
        }
        if n >= 30 {
            d.open_amount = dec!(600.00);
        }
        vec![a, b, c, d]
    }

    /// Events recorded by the end of day `n` (a clerk cannot record tomorrow's call today).
    fn events_on(&self, n: u64) -> Vec<StateEvent> {
        self.events
            .iter()
            .filter(|e| e.from <= day(n))
            .cloned()
            .collect()
    }
}

/// Runs the planner every day from day 0 to day 119, twice a day, applying each plan to a
/// task store keyed by task key, and returns every change with its day.
fn simulate() -> (Vec<Logged>, BTreeMap<String, CollectionTask>) {
    let books = Books::new();
    let ladder = Ladder::default();
    let parties = vec![party("C1", "Acme GmbH")];
    let history = BTreeMap::new();
    let mut store: BTreeMap<String, CollectionTask> = BTreeMap::new();
    let mut log = Vec::new();
    for n in 0..120 {
        let invoices = books.invoices_on(n);
        let events = books.events_on(n);
        let inputs = CollectInputs {
            payments: &[],
            invoices: &invoices,
            parties: &parties,
            events: &events,
            ladder: &ladder,
            limitation: None,
            history: &history,
        };
        for run in 0..2 {
            let previous: Vec<_> = store.values().cloned().collect();
            let plan = plan_tasks(&inputs, &previous, day(n));
            if run == 1 {
                assert!(
                    plan.is_quiet(),
                    "a second run on day {n} changed something: {plan:?}"
                );
                continue;
            }
            assert_eq!(
                plan.new.len() + plan.reopened.len() + plan.closed.len() + plan.unchanged.len(),
                previous.len() + plan.new.len(),
                "day {n}: every recorded task is accounted for exactly once"
            );
            for t in plan.new {
                assert!(
                    store.insert(t.key.clone(), t.clone()).is_none(),
                    "day {n}: {} raised twice",
                    t.key
                );
                log.push((n, t.key, Change::New));
            }
            for t in plan.reopened {
                let old = store.insert(t.key.clone(), t.clone()).unwrap();
                assert!(matches!(old.state, TaskState::Closed(_)));
                log.push((n, t.key, Change::Reopened));
            }
            for t in plan.closed {
                let TaskState::Closed(reason) = t.state.clone() else {
                    panic!("a closed task must be closed")
                };
                let old = store.insert(t.key.clone(), t.clone()).unwrap();
                assert_eq!(old.state, TaskState::Open);
                log.push((n, t.key, Change::Closed(reason)));
            }
        }
    }
    (log, store)
}

fn changes_for(log: &[Logged], item: &str) -> Vec<Logged> {
    let prefix = format!("books/C1/invoice:{item}/");
    log.iter()
        .filter(|(_, k, _)| k.starts_with(&prefix))
        .map(|(n, k, c)| (*n, k[prefix.len()..].to_owned(), c.clone()))
        .collect()
}

fn new(n: u64, what: &str) -> Logged {
    (n, what.to_owned(), Change::New)
}

fn reopened(n: u64, what: &str) -> Logged {
    (n, what.to_owned(), Change::Reopened)
}

fn closed(n: u64, what: &str, reason: &str) -> Logged {
    (n, what.to_owned(), Change::Closed(reason.to_owned()))
}

#[test]
fn an_invoice_paid_on_day_50_climbs_the_ladder_and_its_open_task_closes_when_paid() {
    let (log, _) = simulate();
    // Due day 10: friendly 3 days before (7), firm at +7 (17), notice at +14 (24), call at
    // +30 (40); paid on day 50, before the final notice at +60.
    assert_eq!(
        changes_for(&log, "A"),
        [
            new(7, "step0:reminder"),
            new(17, "step1:reminder"),
            closed(17, "step0:reminder", "superseded by step1:reminder"),
            new(24, "step2:formal_notice"),
            closed(24, "step1:reminder", "superseded by step2:formal_notice"),
            new(40, "step3:call"),
            closed(40, "step2:formal_notice", "superseded by step3:call"),
            closed(50, "step3:call", "paid"),
        ]
    );
}

#[test]
fn a_dispute_pauses_the_ladder_and_it_resumes_where_it_stopped() {
    let (log, _) = simulate();
    // Disputed days 20-40 (21 days). On day 41 the ladder counts 31 - 21 = 10 days: the
    // firm reminder again. Notice at 14 → day 45, call at 30 → day 61, final at 60 → day 91.
    let paused = "paused: disputed (collector on 2026-01-21: goods damaged)";
    assert_eq!(
        changes_for(&log, "B"),
        [
            new(7, "step0:reminder"),
            new(17, "step1:reminder"),
            closed(17, "step0:reminder", "superseded by step1:reminder"),
            new(20, "resolve_dispute:2026-01-21"),
            closed(20, "step1:reminder", paused),
            reopened(41, "step1:reminder"),
            closed(41, "resolve_dispute:2026-01-21", "dispute cleared"),
            new(45, "step2:formal_notice"),
            closed(45, "step1:reminder", "superseded by step2:formal_notice"),
            new(61, "step3:call"),
            closed(61, "step2:formal_notice", "superseded by step3:call"),
            new(91, "step4:final_notice"),
            closed(91, "step3:call", "superseded by step4:final_notice"),
        ]
    );
}

#[test]
fn a_broken_promise_is_followed_up_and_the_ladder_resumes() {
    let (log, _) = simulate();
    // Promised on day 18 to pay by day 30: days 18-30 paused (13). Day 31: follow-up, and
    // the ladder at 21 - 13 = 8 days: the firm reminder again. Notice at 14 → day 37,
    // call at 30 → day 53, final at 60 → day 83, agency at 90 → day 113.
    let paused =
        "paused: promise to pay until 2026-01-31 (collector on 2026-01-19: promised on the phone)";
    assert_eq!(
        changes_for(&log, "C"),
        [
            new(7, "step0:reminder"),
            new(17, "step1:reminder"),
            closed(17, "step0:reminder", "superseded by step1:reminder"),
            closed(18, "step1:reminder", paused),
            new(31, "follow_up:promise_to_pay:2026-01-31"),
            reopened(31, "step1:reminder"),
            new(37, "step2:formal_notice"),
            closed(37, "step1:reminder", "superseded by step2:formal_notice"),
            new(53, "step3:call"),
            closed(53, "step2:formal_notice", "superseded by step3:call"),
            new(83, "step4:final_notice"),
            closed(83, "step3:call", "superseded by step4:final_notice"),
            new(113, "step5:agency_or_legal"),
            closed(
                113,
                "step4:final_notice",
                "superseded by step5:agency_or_legal"
            ),
        ]
    );
}

#[test]
fn a_missed_instalment_resumes_the_ladder_from_where_the_plan_stopped_it() {
    let (log, store) = simulate();
    // Plan from day 12; the day-30 instalment is paid; the day-60 one is missed. Paused
    // days 12-60 (49). Day 61: follow-up, ladder at 51 - 49 = 2 days: the friendly reminder
    // again. Firm at 7 → day 66, notice at 14 → day 73, call at 30 → day 89, final at 60 → 119.
    let paused = "paused: instalment plan (collector on 2026-01-13: cash-flow problems)";
    assert_eq!(
        changes_for(&log, "D"),
        [
            new(7, "step0:reminder"),
            closed(12, "step0:reminder", paused),
            new(61, "follow_up:instalment:2026-03-02"),
            reopened(61, "step0:reminder"),
            new(66, "step1:reminder"),
            closed(66, "step0:reminder", "superseded by step1:reminder"),
            new(73, "step2:formal_notice"),
            closed(73, "step1:reminder", "superseded by step2:formal_notice"),
            new(89, "step3:call"),
            closed(89, "step2:formal_notice", "superseded by step3:call"),
            new(119, "step4:final_notice"),
            closed(119, "step3:call", "superseded by step4:final_notice"),
        ]
    );
    let follow_up = &store["books/C1/invoice:D/follow_up:instalment:2026-03-02"];
    assert_eq!(follow_up.action, CollectionAction::FollowUp);
    assert_eq!(follow_up.state, TaskState::Open);
    assert_eq!(
        follow_up.summary,
        "Follow up the instalment of 2026-03-02 on invoice INV-D: 600.00 EUR still open"
    );
}

#[test]
fn the_task_a_person_sees_says_what_to_do_for_whom() {
    let (_, store) = simulate();
    let t = &store["books/C1/invoice:C/step5:agency_or_legal"];
    assert_eq!(t.customer_name, "Acme GmbH");
    assert_eq!(t.items, [(ItemKind::Invoice, "C".to_owned())]);
    assert_eq!(t.step, Some(5));
    assert_eq!(t.due, day(113));
    assert_eq!(
        t.summary,
        "Hand over to the agency or start proceedings for invoice INV-C: 3000.00 EUR open, 103 days overdue"
    );
    let friendly = &store["books/C1/invoice:A/step0:reminder"];
    assert_eq!(friendly.tone.as_deref(), Some("friendly"));
    assert!(
        friendly.summary.ends_with("due in 3 days"),
        "{}",
        friendly.summary
    );
}

#[test]
fn a_task_closed_by_a_person_is_never_raised_again() {
    let inv = invoice("X", "C1", "EUR", dec!(100.00), day(10));
    let ladder = Ladder::default();
    let history = BTreeMap::new();
    let inputs = CollectInputs {
        payments: &[],
        invoices: std::slice::from_ref(&inv),
        parties: &[],
        events: &[],
        ladder: &ladder,
        limitation: None,
        history: &history,
    };
    let first = plan_tasks(&inputs, &[], day(18));
    assert_eq!(first.new.len(), 1);
    let mut done = first.new[0].clone();
    done.state = TaskState::Closed("done by clerk".into());
    let again = plan_tasks(&inputs, std::slice::from_ref(&done), day(19));
    assert!(again.is_quiet());
    assert_eq!(again.unchanged, [done]);
}

#[test]
fn a_limitation_warning_is_raised_90_and_30_days_ahead() {
    let inv = invoice("L", "C1", "EUR", dec!(100.00), date(2026, 2, 15));
    let ladder = Ladder::default();
    let history = BTreeMap::new();
    let inputs = CollectInputs {
        payments: &[],
        invoices: std::slice::from_ref(&inv),
        parties: &[],
        events: &[],
        ladder: &ladder,
        limitation: Some(LimitationRule::De),
        history: &history,
    };
    let plan = plan_tasks(&inputs, &[], date(2029, 10, 2));
    let warning: Vec<_> = plan
        .new
        .iter()
        .filter(|t| t.action == CollectionAction::LimitationWarning)
        .collect();
    assert_eq!(warning.len(), 1);
    assert_eq!(
        warning[0].key,
        "books/C1/invoice:L/limitation:2029-12-31:90"
    );
    let recorded = plan.new.clone();
    let plan = plan_tasks(&inputs, &recorded, date(2029, 12, 1));
    assert!(
        plan.new
            .iter()
            .any(|t| t.key == "books/C1/invoice:L/limitation:2029-12-31:30")
    );
    assert!(
        plan.closed
            .iter()
            .any(|t| t.key.ends_with("limitation:2029-12-31:90")
                && t.state == TaskState::Closed("superseded by limitation:2029-12-31:30".into()))
    );
}

#[test]
fn a_part_payment_restarts_the_limitation_clock_and_silences_the_warning() {
    let mut inv = invoice("L", "C1", "EUR", dec!(100.00), date(2026, 2, 15));
    inv.open_amount = dec!(60.00);
    let payment = arsync_model::Payment {
        origin: arsync_model::Origin::new("books", "P9"),
        customer_id: Some("C1".into()),
        date: date(2028, 3, 10),
        amount: Money::new(dec!(40.00), crate::fixtures::cur("EUR")),
        reference: None,
        method: None,
        book_rate: None,
        allocations: vec![arsync_model::Allocation {
            item_kind: ItemKind::Invoice,
            item_id: "L".into(),
            amount: dec!(40.00),
        }],
        status: arsync_model::PaymentStatus::Posted,
    };
    let ladder = Ladder::default();
    let history = BTreeMap::new();
    let payments = [payment];
    let inputs = CollectInputs {
        payments: &payments,
        invoices: std::slice::from_ref(&inv),
        parties: &[],
        events: &[],
        ladder: &ladder,
        limitation: Some(LimitationRule::De),
        history: &history,
    };
    // Without the payment this day would warn (90 days before 31 Dec 2029); with it the
    // claim runs to 10 Mar 2031.
    let plan = plan_tasks(&inputs, &[], date(2029, 10, 2));
    assert!(
        plan.new
            .iter()
            .all(|t| t.action != CollectionAction::LimitationWarning),
        "{:?}",
        plan.new
    );
    let plan = plan_tasks(&inputs, &[], date(2031, 2, 1));
    assert!(
        plan.new
            .iter()
            .any(|t| t.key == "books/C1/invoice:L/limitation:2031-03-10:90")
    );
}

#[test]
fn recently_overdue_larger_and_worse_payers_come_first_and_disputes_aside() {
    let o = CollectionState::Overdue;
    // Age first: 10 days beats 100 days at the same amount.
    assert!(priority(o, 10, dec!(500), None) > priority(o, 100, dec!(500), None));
    // A larger amount raises the priority at the same age.
    assert!(priority(o, 10, dec!(50000), None) > priority(o, 10, dec!(500), None));
    // 400 + 25 × 2 (≥ 10,000) = 450; + 20 days late + 2 × 15 broken promises = 500.
    let late = PaymentHistory {
        average_days_late: 20,
        broken_promises: 2,
    };
    assert_eq!(priority(o, 10, dec!(12000), None), 450);
    assert_eq!(priority(o, 10, dec!(12000), Some(&late)), 500);
    assert_eq!(
        priority(CollectionState::Disputed, 10, dec!(12000), Some(&late)),
        0
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn arb_event() -> impl Strategy<Value = StateEvent> {
        (0u8..6, 0u64..120, 0u64..40, prop::bool::ANY).prop_map(|(kind, from, len, customer)| {
            let until = Some(from + len);
            let (kind, until) = match kind {
                0 => (StateKind::Disputed, None),
                1 => (StateKind::Disputed, until),
                2 => (StateKind::PromiseToPay, until),
                3 => (StateKind::Deferral, until),
                4 => (StateKind::Cleared, None),
                _ => (StateKind::WithAgency, None),
            };
            let mut e = event("P", kind, from, until, "property case");
            if customer {
                e.target = StateTarget::Customer {
                    connection: "books".into(),
                    customer_id: "C1".into(),
                };
            }
            e
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Whatever states are recorded and whenever the invoice is paid, running every day
        /// never raises a key twice, a second run the same day changes nothing, only open
        /// tasks are closed, and once paid nothing stays open.
        #[test]
        fn daily_runs_never_duplicate_and_a_paid_item_leaves_nothing_open(
            events in prop::collection::vec(arb_event(), 0..6),
            paid_on in prop::option::of(0u64..120),
        ) {
            let ladder = Ladder::default();
            let history = BTreeMap::new();
            let mut store: BTreeMap<String, CollectionTask> = BTreeMap::new();
            for n in 0..120 {
                let mut inv = invoice("P", "C1", "EUR", dec!(750.00), day(10));
                if paid_on.is_some_and(|p| n >= p) {
                    inv.open_amount = dec!(0);
                    inv.status = DocumentStatus::Paid;
                }
                let known: Vec<_> = events.iter().filter(|e| e.from <= day(n)).cloned().collect();
                let inputs = CollectInputs {
                    payments: &[],
                    invoices: std::slice::from_ref(&inv),
                    parties: &[],
                    events: &known,
                    ladder: &ladder,
                    limitation: None,
                    history: &history,
                };
                let previous: Vec<_> = store.values().cloned().collect();
                let plan = plan_tasks(&inputs, &previous, day(n));
                for t in plan.new {
                    prop_assert!(store.insert(t.key.clone(), t).is_none());
                }
                for t in plan.reopened {
                    let old = store.insert(t.key.clone(), t);
                    prop_assert!(matches!(old.map(|o| o.state), Some(TaskState::Closed(_))));
                }
                for t in plan.closed {
                    let old = store.insert(t.key.clone(), t);
                    prop_assert_eq!(old.map(|o| o.state), Some(TaskState::Open));
                }
                let again = plan_tasks(&inputs, &store.values().cloned().collect::<Vec<_>>(), day(n));
                prop_assert!(again.is_quiet(), "day {}: {:?}", n, again);
                if paid_on.is_some_and(|p| n >= p) {
                    prop_assert!(store.values().all(|t| t.state != TaskState::Open));
                }
            }
        }
    }
}
