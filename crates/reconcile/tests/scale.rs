//! A subscription business: hundreds of customers owe the same amount and pay it without a
//! reference. No receipt can be told apart by amount, so none is applied automatically, and
//! still every receipt is proposed against a different invoice.

mod support;

use arsync_reconcile::{Decision, Rule};
use std::collections::BTreeSet;
use support::*;

#[test]
fn six_hundred_identical_subscriptions_paid_without_reference_are_all_left_for_review() {
    let n = 600;
    let mut case = Case::new();
    case.parties = (0..n)
        .map(|i| party(&format!("C{i}"), &format!("Subscriber {i}"), &[]))
        .collect();
    case.invoices = (0..n)
        .map(|i| {
            invoice(
                &format!("I{i}"),
                &format!("S-{}", 5000 + i),
                &format!("C{i}"),
                "EUR",
                "99.00",
                d(2026, 10, 1),
            )
        })
        .collect();
    case.receipts = (0..n)
        .map(|i| {
            receipt(&entry(
                &format!("B{i}"),
                d(2026, 10, 2),
                "99.00",
                "EUR",
                None,
                "",
            ))
        })
        .collect();
    let out = case.run();
    assert_eq!(out.matches.len(), n);
    assert!(
        out.matches
            .iter()
            .all(|m| m.decision == Decision::Suggested)
    );
    assert!(
        out.matches
            .iter()
            .filter(|m| m.fired(Rule::SameAmountSeveralCustomers))
            .count()
            >= n - 1
    );
    let items: BTreeSet<&str> = out
        .matches
        .iter()
        .map(|m| m.allocations[0].item_id.as_str())
        .collect();
    assert_eq!(items.len(), n, "each invoice proposed once");
}

#[test]
fn taking_the_receipts_by_value_decides_exactly_as_borrowing_them() {
    use arsync_model::RateBook;
    use arsync_reconcile::{ReconcileInput, reconcile, reconcile_owned};
    let mut case = Case::new();
    case.invoices = (0..40)
        .map(|i| {
            invoice(
                &format!("I{i}"),
                &format!("INV-{}", 7000 + i),
                if i % 2 == 0 { "C1" } else { "C2" },
                "EUR",
                if i % 3 == 0 { "99.00" } else { "250.00" },
                d(2026, 10, 1 + i % 28),
            )
        })
        .collect();
    case.receipts = (0..40)
        .map(|i| {
            let text = if i % 4 == 0 {
                format!("INV-{}", 7000 + i)
            } else {
                String::new()
            };
            let payer = (i % 5 == 0).then_some("Borealis Trading Ltd");
            let amt = if i % 3 == 0 { "99.00" } else { "250.00" };
            receipt(&entry(
                &format!("B{i}"),
                d(2026, 10, 2 + i % 27),
                amt,
                "EUR",
                payer,
                &text,
            ))
        })
        .collect();
    let rates = RateBook::new(case.rates.clone());
    let input = ReconcileInput {
        as_of: case.as_of,
        home: case.home,
        parties: &case.parties,
        invoices: &case.invoices,
        credit_notes: &case.credit_notes,
        receipts: case.receipts.clone(),
        rates: &rates,
        memory: &case.memory,
    };
    let borrowed = reconcile(&input, &case.settings).unwrap();
    let owned = reconcile_owned(input, &case.settings).unwrap();
    assert!(!borrowed.matches.is_empty());
    assert_eq!(owned, borrowed);
}
