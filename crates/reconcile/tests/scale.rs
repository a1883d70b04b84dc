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
