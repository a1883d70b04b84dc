//! Customer tasks, minimums, override ladders and business days.

use super::*;
use crate::fixtures::{cur, date, invoice, party};
use crate::ladder::Ladder;
use crate::rules::{Calendar, LadderOverride};
use crate::settings::CollectSettings;
use proptest::prelude::*;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

fn settings(text: &str) -> CollectSettings {
    toml::from_str(text).unwrap()
}

fn run(
    invoices: &[Invoice],
    settings: &CollectSettings,
    previous: &[CollectionTask],
    as_of: NaiveDate,
) -> TaskPlan {
    let parties = vec![party("ACME", "Acme GmbH"), party("KEY", "Key Account AG")];
    let history = BTreeMap::new();
    let inputs = CollectInputs {
        invoices,
        parties: &parties,
        payments: &[],
        events: &[],
        ladder: &settings.ladder,
        limitation: None,
        history: &history,
    };
    plan_tasks_with(&inputs, &settings.task_rules().unwrap(), previous, as_of)
}

/// Applies a plan to the recorded tasks, as the agent stores them.
fn apply(store: &mut BTreeMap<String, CollectionTask>, plan: &TaskPlan) {
    for t in plan
        .new
        .iter()
        .chain(&plan.reopened)
        .chain(&plan.updated)
        .chain(&plan.closed)
    {
        store.insert(t.key.clone(), t.clone());
    }
}

fn ids(task: &CollectionTask) -> Vec<&str> {
    task.items.iter().map(|(_, id)| id.as_str()).collect()
}

const PER_CUSTOMER: &str = r#"one_task_per = "customer""#;

#[test]
fn three_invoices_at_the_formal_notice_step_give_one_task_naming_all_three() {
    // Due on 1, 3 and 5 October; on 20 October all three are 15 to 19 days overdue.
    let invoices = vec![
        invoice("A", "ACME", "EUR", dec!(1000), date(2026, 10, 1)),
        invoice("B", "ACME", "EUR", dec!(2000), date(2026, 10, 3)),
        invoice("C", "ACME", "EUR", dec!(500), date(2026, 10, 5)),
    ];
    let plan = run(&invoices, &settings(PER_CUSTOMER), &[], date(2026, 10, 20));
    assert_eq!(plan.new.len(), 1, "{:#?}", plan.new);
    let task = &plan.new[0];
    assert_eq!(task.action, CollectionAction::FormalNotice);
    assert_eq!(ids(task), ["A", "B", "C"]);
    assert_eq!(task.amount, Money::new(dec!(3500), cur("EUR")));
    // Keyed by the day the first invoice reached the step: 1 October + 14 days.
    assert_eq!(
        task.key,
        "books/ACME/customer/step2:formal_notice:EUR:2026-10-15"
    );
    assert!(task.summary.contains("Acme GmbH"), "{}", task.summary);
    assert!(
        task.summary.contains("INV-A, INV-B, INV-C"),
        "{}",
        task.summary
    );

    // Per invoice (the default), the same books give three tasks.
    let plan = run(&invoices, &settings(""), &[], date(2026, 10, 20));
    assert_eq!(plan.new.len(), 3);
}

#[test]
fn a_fourth_invoice_reaching_the_step_later_joins_the_open_task() {
    let mut invoices = vec![
        invoice("A", "ACME", "EUR", dec!(1000), date(2026, 10, 1)),
        invoice("B", "ACME", "EUR", dec!(2000), date(2026, 10, 3)),
        invoice("C", "ACME", "EUR", dec!(500), date(2026, 10, 5)),
        invoice("D", "ACME", "EUR", dec!(700), date(2026, 10, 12)),
    ];
    let s = settings(PER_CUSTOMER);
    let mut store = BTreeMap::new();
    let plan = run(&invoices, &s, &[], date(2026, 10, 20));
    apply(&mut store, &plan);
    let key = "books/ACME/customer/step2:formal_notice:EUR:2026-10-15";
    assert_eq!(ids(&store[key]), ["A", "B", "C"]);
    // D is only at the firm reminder on 20 October: a task of its own for that step.
    assert!(store.keys().any(|k| k.contains("step1:reminder")));

    // On 27 October D reaches the formal notice: it joins, no second formal notice.
    let previous: Vec<_> = store.values().cloned().collect();
    let plan = run(&invoices, &s, &previous, date(2026, 10, 27));
    assert!(plan.new.is_empty(), "{:#?}", plan.new);
    assert_eq!(plan.updated.len(), 1);
    assert_eq!(plan.updated[0].key, key);
    assert_eq!(ids(&plan.updated[0]), ["A", "B", "C", "D"]);
    assert_eq!(plan.updated[0].amount, Money::new(dec!(4200), cur("EUR")));
    // D's reminder task closes: D has moved on to the formal notice.
    assert_eq!(plan.closed.len(), 1);
    assert!(plan.closed[0].key.contains("step1:reminder"));
    apply(&mut store, &plan);

    // A re-run the same day changes nothing.
    let previous: Vec<_> = store.values().cloned().collect();
    assert!(run(&invoices, &s, &previous, date(2026, 10, 27)).is_quiet());

    // B is paid: it leaves the task, which keeps its key.
    invoices[1].open_amount = Decimal::ZERO;
    invoices[1].status = DocumentStatus::Paid;
    let plan = run(&invoices, &s, &previous, date(2026, 10, 28));
    assert!(plan.new.is_empty());
    assert_eq!(plan.updated.len(), 1);
    assert_eq!(ids(&plan.updated[0]), ["A", "C", "D"]);
    apply(&mut store, &plan);

    // All paid: the task closes as paid.
    for inv in &mut invoices {
        inv.open_amount = Decimal::ZERO;
        inv.status = DocumentStatus::Paid;
    }
    let previous: Vec<_> = store.values().cloned().collect();
    let plan = run(&invoices, &s, &previous, date(2026, 10, 29));
    assert_eq!(plan.closed.len(), 1);
    assert_eq!(plan.closed[0].state, TaskState::Closed("paid".into()));
}

#[test]
fn a_task_done_by_a_person_is_not_raised_again_but_a_new_invoice_gets_its_own() {
    let mut invoices = vec![invoice("A", "ACME", "EUR", dec!(1000), date(2026, 10, 1))];
    let s = settings(PER_CUSTOMER);
    let plan = run(&invoices, &s, &[], date(2026, 10, 20));
    let mut done = plan.new[0].clone();
    done.state = TaskState::Closed("done: letter sent".into());
    let previous = vec![done];
    assert!(
        run(&invoices, &s, &previous, date(2026, 10, 21))
            .new
            .is_empty()
    );

    invoices.push(invoice("E", "ACME", "EUR", dec!(300), date(2026, 10, 20)));
    let plan = run(&invoices, &s, &previous, date(2026, 11, 5));
    let notices: Vec<_> = plan
        .new
        .iter()
        .filter(|t| t.action == CollectionAction::FormalNotice)
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(ids(notices[0]), ["E"]);
    assert_eq!(
        notices[0].key,
        "books/ACME/customer/step2:formal_notice:EUR:2026-11-03"
    );
}

#[test]
fn a_step_below_its_minimum_is_skipped() {
    let s = settings(
        r#"
ladder = [
  { after_days = 7,  action = "reminder", tone = "firm" },
  { after_days = 14, action = "formal_notice", sets_default = true, min_open = { EUR = "250" } },
  { after_days = 90, action = "agency_or_legal", min_open = { EUR = "1000", GBP = "800" } },
]
"#,
    );
    let invoices = vec![
        invoice("S", "ACME", "EUR", dec!(249.99), date(2026, 1, 1)),
        invoice("L", "KEY", "EUR", dec!(250), date(2026, 1, 1)),
        invoice("P", "KEY", "USD", dec!(10), date(2026, 1, 1)),
    ];
    let plan = run(&invoices, &s, &[], date(2026, 2, 1));
    let action_of = |id: &str| {
        plan.new
            .iter()
            .find(|t| ids(t) == [id])
            .map(|t| t.action.clone())
    };
    // 249.99 EUR stays at the firm reminder; 250 EUR gets the formal notice.
    assert_eq!(action_of("S"), Some(CollectionAction::Reminder));
    assert_eq!(action_of("L"), Some(CollectionAction::FormalNotice));
    // No minimum is set for USD: the step is raised whatever the amount.
    assert_eq!(action_of("P"), Some(CollectionAction::FormalNotice));

    // Per customer, the customer's invoices at the step are added up: 2 × 150 EUR
    // meet the 250 EUR minimum together.
    let grouped = settings(&format!(
        "{PER_CUSTOMER}\nladder = [{{ after_days = 7, action = \"reminder\" }}, {{ after_days = 14, action = \"formal_notice\", min_open = {{ EUR = \"250\" }} }}]"
    ));
    let invoices = vec![
        invoice("X", "ACME", "EUR", dec!(150), date(2026, 1, 1)),
        invoice("Y", "ACME", "EUR", dec!(150), date(2026, 1, 2)),
    ];
    let plan = run(&invoices, &grouped, &[], date(2026, 2, 1));
    assert_eq!(plan.new.len(), 1);
    assert_eq!(plan.new[0].action, CollectionAction::FormalNotice);
    assert_eq!(ids(&plan.new[0]), ["X", "Y"]);
    let plan = run(&invoices[..1], &grouped, &[], date(2026, 2, 1));
    assert_eq!(plan.new[0].action, CollectionAction::Reminder);
}

#[test]
fn a_task_due_on_saturday_is_dated_the_next_monday() {
    let invoices = vec![invoice("A", "ACME", "EUR", dec!(1000), date(2026, 11, 1))];
    let s = settings("calendar = { quiet_days = [\"2026-12-24\"] }");
    // Saturday 28 November 2026.
    let plan = run(&invoices, &s, &[], date(2026, 11, 28));
    assert_eq!(plan.new[0].due, date(2026, 11, 30));
    // Without a calendar the task is dated the run's day, as before.
    let plan = run(&invoices, &settings(""), &[], date(2026, 11, 28));
    assert_eq!(plan.new[0].due, date(2026, 11, 28));
}

#[test]
fn a_configured_quiet_day_is_skipped() {
    let invoices = vec![invoice("A", "ACME", "EUR", dec!(1000), date(2026, 12, 1))];
    let s = settings(&format!(
        "{PER_CUSTOMER}\ncalendar = {{ quiet_days = [\"2026-12-24\"] }}"
    ));
    // Thursday 24 December is quiet: Friday 25th (not configured) takes the task.
    let plan = run(&invoices, &s, &[], date(2026, 12, 24));
    assert_eq!(plan.new[0].due, date(2026, 12, 25));
}

#[test]
fn a_key_customers_override_ladder_is_used_for_that_customer_only() {
    let s = settings(
        r#"
[groups]
KEY = "key_accounts"

[overrides.key_accounts]
ladder = [ { after_days = 30, action = "call" }, { after_days = 60, action = "payment_plan" } ]
"#,
    );
    let invoices = vec![
        invoice("A", "ACME", "EUR", dec!(1000), date(2026, 1, 1)),
        invoice("K", "KEY", "EUR", dec!(1000), date(2026, 1, 1)),
    ];
    // 20 days overdue: Acme gets the common formal notice, the key account nothing yet.
    let plan = run(&invoices, &s, &[], date(2026, 1, 21));
    assert_eq!(plan.new.len(), 1);
    assert_eq!(ids(&plan.new[0]), ["A"]);
    assert_eq!(plan.new[0].action, CollectionAction::FormalNotice);
    // 65 days: the key account is offered a payment plan; Acme has its final notice.
    let plan = run(&invoices, &s, &[], date(2026, 3, 7));
    let k = plan.new.iter().find(|t| ids(t) == ["K"]).unwrap();
    assert_eq!(k.action, CollectionAction::PaymentPlan);
    let a = plan.new.iter().find(|t| ids(t) == ["A"]).unwrap();
    assert_eq!(a.action, CollectionAction::FinalNotice);
}

#[test]
fn a_customer_override_wins_over_the_group_and_can_shift_the_ladder() {
    let mut overrides = BTreeMap::new();
    overrides.insert(
        "group".to_owned(),
        LadderOverride {
            ladder: Some(Ladder::default()),
            shift_days: None,
        },
    );
    overrides.insert(
        "KEY".to_owned(),
        LadderOverride {
            ladder: None,
            shift_days: Some(10),
        },
    );
    let rules = TaskRules::new(
        TaskGrouping::Invoice,
        Some(Calendar::default()),
        [("KEY".to_owned(), "group".to_owned())].into(),
        &overrides,
        &Ladder::default(),
    )
    .unwrap();
    let common = Ladder::default();
    let key = rules.ladder_for("KEY", &common);
    assert_eq!(key.steps()[2].after_days, 24);
    assert_eq!(rules.ladder_for("ACME", &common), &common);
}

#[test]
fn overrides_and_minimums_that_make_no_sense_are_refused_by_key() {
    let e = settings("[overrides.KEY]\n")
        .task_rules()
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("collect.overrides.KEY: says nothing"), "{e}");
    let e = toml::from_str::<CollectSettings>(
        "ladder = [{ after_days = 7, action = \"call\", min_open = { EUR = 50 } }]",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("min_open"), "{e}");
    let e = toml::from_str::<CollectSettings>("one_task_per = \"group\"")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown variant `group`"), "{e}");
}

proptest! {
    /// Whatever the invoices, each customer's open invoices at a step are named by exactly
    /// one task for that step, and its amount is their sum.
    #[test]
    fn each_invoice_is_in_one_customer_task_and_the_amounts_add_up(
        items in prop::collection::vec((0usize..3, 1i64..5000, 0u64..120), 1..12)
    ) {
        let customers = ["ACME", "KEY", "OTHER"];
        let invoices: Vec<Invoice> = items
            .iter()
            .enumerate()
            .map(|(n, (c, cents, days))| {
                invoice(
                    &format!("I{n}"),
                    customers[*c],
                    "EUR",
                    Decimal::new(*cents, 2),
                    date(2026, 1, 1) + chrono::Days::new(*days),
                )
            })
            .collect();
        let plan = run(&invoices, &settings(PER_CUSTOMER), &[], date(2026, 5, 1));
        let mut seen = HashSet::new();
        for t in &plan.new {
            let mut sum = Decimal::ZERO;
            for (_, id) in &t.items {
                prop_assert!(seen.insert(id.clone()), "{id} in two tasks");
                let inv = invoices.iter().find(|i| &i.origin.external_id == id).unwrap();
                prop_assert_eq!(&inv.customer_id, &t.customer_id);
                sum += inv.open_amount;
            }
            prop_assert_eq!(t.amount.amount, sum);
        }
        let mut keys: Vec<_> = plan.new.iter().map(|t| (&t.customer_id, t.step)).collect();
        let before = keys.len();
        keys.sort();
        keys.dedup();
        prop_assert_eq!(keys.len(), before);
    }
}

#[test]
fn a_small_claims_step_and_a_payment_plan_offer_are_written_in_the_ladder() {
    let s = settings(
        r#"
ladder = [
  { after_days = 30, action = "payment_plan", tone = "offer" },
  { after_days = 120, action = "agency_or_legal", tone = "small claims", min_open = { EUR = "100" } },
]
"#,
    );
    let invoices = vec![
        invoice("A", "ACME", "EUR", dec!(800), date(2026, 1, 1)),
        invoice("B", "KEY", "EUR", dec!(800), date(2026, 3, 1)),
    ];
    let plan = run(&invoices, &s, &[], date(2026, 5, 10));
    let a = plan.new.iter().find(|t| ids(t) == ["A"]).unwrap();
    assert_eq!(a.action, CollectionAction::AgencyOrLegal);
    assert!(
        a.summary.starts_with(
            "Hand over to the agency or start proceedings (small claims) for invoice INV-A"
        ),
        "{}",
        a.summary
    );
    let b = plan.new.iter().find(|t| ids(t) == ["B"]).unwrap();
    assert_eq!(b.action, CollectionAction::PaymentPlan);
    assert!(
        b.summary.starts_with("Agree a payment plan (offer)"),
        "{}",
        b.summary
    );
}

#[test]
fn the_status_pushed_back_follows_the_customers_own_ladder() {
    let s = settings("[overrides.KEY]\nshift_days = 30\n");
    let rules = s.task_rules().unwrap();
    let invoices = vec![
        invoice("A", "ACME", "EUR", dec!(1000), date(2026, 1, 1)),
        invoice("K", "KEY", "EUR", dec!(1000), date(2026, 1, 1)),
    ];
    let parties = vec![party("ACME", "Acme GmbH"), party("KEY", "Key Account AG")];
    let history = BTreeMap::new();
    let inputs = CollectInputs {
        invoices: &invoices,
        parties: &parties,
        payments: &[],
        events: &[],
        ladder: &s.ladder,
        limitation: None,
        history: &history,
    };
    // 20 days overdue: Acme is at the formal notice (step 2); the key account, whose steps
    // come 30 days later, only at the friendly reminder (due 27 days after the due date).
    let statuses =
        crate::status::overdue_statuses_with(&inputs, &rules, &s.aging, None, date(2026, 1, 21));
    let step = |id: &str| {
        statuses
            .iter()
            .find(|st| st.status.item_id == id)
            .map(|st| st.status.ladder_step)
    };
    assert_eq!(step("A"), Some(Some(2)));
    assert_eq!(step("K"), Some(None));
}

fn disputed(
    item: &str,
    kind: crate::state::StateKind,
    from: NaiveDate,
) -> crate::state::StateEvent {
    use chrono::{TimeZone, Utc};
    crate::state::StateEvent {
        target: crate::state::StateTarget::Item {
            connection: "books".into(),
            item_id: item.into(),
        },
        kind,
        from,
        until: None,
        who: "collector".into(),
        why: "goods damaged".into(),
        at: Utc.from_utc_datetime(&from.and_hms_opt(10, 0, 0).unwrap()),
    }
}

#[test]
fn a_customer_task_paused_by_a_dispute_comes_back_under_its_key_and_moves_up_the_ladder() {
    use crate::state::StateKind;
    let invoices = vec![
        invoice("A", "ACME", "EUR", dec!(1000), date(2026, 1, 1)),
        invoice("B", "ACME", "EUR", dec!(400), date(2026, 1, 2)),
    ];
    let s = settings(PER_CUSTOMER);
    let rules = s.task_rules().unwrap();
    let parties = vec![party("ACME", "Acme GmbH")];
    let history = BTreeMap::new();
    let plan_on = |events: &[crate::state::StateEvent], previous: &[CollectionTask], day| {
        let inputs = CollectInputs {
            invoices: &invoices,
            parties: &parties,
            payments: &[],
            events,
            ladder: &s.ladder,
            limitation: None,
            history: &history,
        };
        plan_tasks_with(&inputs, &rules, previous, day)
    };
    let mut store = BTreeMap::new();
    let plan = plan_on(&[], &[], date(2026, 1, 20));
    let key = plan.new[0].key.clone();
    assert_eq!(ids(&plan.new[0]), ["A", "B"]);
    apply(&mut store, &plan);

    // Both invoices disputed on 21 January: the formal notice waits.
    let events = vec![
        disputed("A", StateKind::Disputed, date(2026, 1, 21)),
        disputed("B", StateKind::Disputed, date(2026, 1, 21)),
    ];
    let previous: Vec<_> = store.values().cloned().collect();
    let plan = plan_on(&events, &previous, date(2026, 1, 22));
    let closed = plan.closed.iter().find(|t| t.key == key).unwrap();
    assert!(
        matches!(&closed.state, TaskState::Closed(r) if r.starts_with("paused: disputed")),
        "{:?}",
        closed.state
    );
    apply(&mut store, &plan);

    // Cleared on 26 January: the same task is reopened.
    let mut events = events;
    events.push(disputed("A", StateKind::Cleared, date(2026, 1, 26)));
    events.push(disputed("B", StateKind::Cleared, date(2026, 1, 26)));
    let previous: Vec<_> = store.values().cloned().collect();
    let plan = plan_on(&events, &previous, date(2026, 1, 27));
    assert!(plan.new.iter().all(|t| t.step.is_none()), "{:#?}", plan.new);
    assert_eq!(plan.reopened.len(), 1);
    assert_eq!(plan.reopened[0].key, key);
    apply(&mut store, &plan);

    // Weeks later both reach the call: the formal notice is superseded.
    let previous: Vec<_> = store.values().cloned().collect();
    let plan = plan_on(&events, &previous, date(2026, 2, 20));
    let call = plan
        .new
        .iter()
        .find(|t| t.action == CollectionAction::Call)
        .unwrap();
    assert_eq!(ids(call), ["A", "B"]);
    let closed = plan.closed.iter().find(|t| t.key == key).unwrap();
    assert!(
        matches!(&closed.state, TaskState::Closed(r) if r.starts_with("superseded by step3:call:EUR:")),
        "{:?}",
        closed.state
    );
}
