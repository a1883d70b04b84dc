//! Properties that must hold whatever the books and the bank hold: every receipt is
//! accounted for once, nothing is settled twice, no item is over-settled, what is applied
//! plus what is left over is what came in, and the order of the inputs changes nothing.

mod support;

use arsync_model::{Currency, ItemKind, Money};
use arsync_reconcile::{Decision, Outcome, ReceiptKind, ResidualKind, Rule};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use support::*;

#[derive(Debug, Clone)]
struct Inv {
    customer: usize,
    cents: i64,
    due_offset: i64,
    currency: usize,
}

#[derive(Debug, Clone)]
enum Pay {
    /// Pays invoices (by position) less a fee, naming them or not, from a named payer or not.
    Items {
        picks: Vec<usize>,
        fee_cents: i64,
        name_numbers: bool,
        name_payer: bool,
    },
    /// Any amount, with a text that may name an invoice.
    Random {
        cents: i64,
        text_pick: Option<usize>,
        usd: bool,
    },
}

const NAMES: [&str; 3] = [
    "Acme Industrial Chemicals GmbH",
    "Borealis Trading Ltd",
    "Cobalt Works AG",
];

fn inv_strategy() -> impl Strategy<Value = Inv> {
    (
        0usize..3,
        1_000i64..300_000,
        0i64..90,
        prop_oneof![4 => Just(0usize), 1 => Just(1usize)],
    )
        .prop_map(|(customer, cents, due_offset, currency)| Inv {
            customer,
            cents,
            due_offset,
            currency,
        })
}

fn pay_strategy() -> impl Strategy<Value = Pay> {
    prop_oneof![
        (
            proptest::collection::vec(0usize..12, 1..4),
            prop_oneof![3 => Just(0i64), 1 => 1i64..3_000],
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(picks, fee_cents, name_numbers, name_payer)| Pay::Items {
                picks,
                fee_cents,
                name_numbers,
                name_payer
            }),
        (
            1_000i64..400_000,
            proptest::option::of(0usize..12),
            any::<bool>()
        )
            .prop_map(|(cents, text_pick, usd)| Pay::Random {
                cents,
                text_pick,
                usd
            }),
    ]
}

fn build(invs: &[Inv], pays: &[Pay], credit: Option<(usize, i64)>, returns: &[usize]) -> Case {
    let mut case = Case::new();
    case.parties = (0..3)
        .map(|i| party(&format!("C{i}"), NAMES[i], &[]))
        .collect();
    case.rates = vec![ecb("USD", d(2026, 9, 30), "1.0800")];
    let currencies = ["EUR", "USD"];
    case.invoices = invs
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let total = Money::from_minor_units(v.cents, c("EUR"))
                .amount
                .to_string();
            let mut inv = invoice(
                &format!("I{k}"),
                &format!("INV-{}", 1000 + k),
                &format!("C{}", v.customer),
                currencies[v.currency],
                &total,
                d(2026, 9, 1) + chrono::Duration::days(v.due_offset),
            );
            if v.currency == 1 {
                inv.book_rate = Some(amount("0.9200"));
            }
            inv
        })
        .collect();
    if let Some((customer, cents)) = credit {
        let total = Money::from_minor_units(cents, c("EUR")).amount.to_string();
        case.credit_notes = vec![credit_note(
            "N1",
            "CN-0001",
            &format!("C{customer}"),
            "EUR",
            &total,
            d(2026, 9, 5),
        )];
    }
    for (k, p) in pays.iter().enumerate() {
        let bank_ref = format!("BR-{k}");
        let date = d(2026, 10, 1) + chrono::Duration::days(i64::try_from(k % 20).unwrap_or(0));
        let e = match p {
            Pay::Items {
                picks,
                fee_cents,
                name_numbers,
                name_payer,
            } => {
                let chosen: Vec<usize> =
                    picks.iter().filter(|i| **i < invs.len()).copied().collect();
                let Some(first) = chosen.first().copied() else {
                    continue;
                };
                let ccy = currencies[invs[first].currency];
                let chosen: Vec<usize> = chosen
                    .into_iter()
                    .filter(|i| currencies[invs[*i].currency] == ccy)
                    .collect();
                let sum: i64 = chosen.iter().map(|i| invs[*i].cents).sum::<i64>() - fee_cents;
                if sum <= 0 {
                    continue;
                }
                let text = if *name_numbers {
                    chosen
                        .iter()
                        .map(|i| format!("INV-{}", 1000 + i))
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    String::new()
                };
                let payer = name_payer.then(|| NAMES[invs[first].customer]);
                entry(
                    &bank_ref,
                    date,
                    &Money::from_minor_units(sum, c(ccy)).amount.to_string(),
                    ccy,
                    payer,
                    &text,
                )
            }
            Pay::Random {
                cents,
                text_pick,
                usd,
            } => {
                let text = text_pick
                    .map(|i| format!("inv {}", 1000 + i))
                    .unwrap_or_default();
                let ccy = if *usd { "USD" } else { "EUR" };
                entry(
                    &bank_ref,
                    date,
                    &Money::from_minor_units(*cents, c(ccy)).amount.to_string(),
                    ccy,
                    None,
                    &text,
                )
            }
        };
        let mut e = e;
        e.end_to_end_id = Some(format!("E2E-{k}"));
        if returns.contains(&k) {
            let mut back = e.clone();
            back.origin.external_id = format!("RET-{k}");
            back.bank_reference = Some(format!("RET-{k}"));
            back.amount = back.amount.negate();
            back.reversal = true;
            back.booking_date = Some(date + chrono::Duration::days(3));
            back.value_date = back.booking_date;
            case.receipts.push(receipt(&back));
        }
        case.receipts.push(receipt(&e));
    }
    case
}

fn check(case: &Case, out: &Outcome) -> Result<(), TestCaseError> {
    // Every receipt is accounted for exactly once.
    let mut seen: Vec<&str> = out
        .matches
        .iter()
        .map(|m| m.receipt.id.as_str())
        .chain(out.unmatched.iter().map(|u| u.receipt.id.as_str()))
        .collect();
    seen.sort_unstable();
    let mut ids: Vec<&str> = case.receipts.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    prop_assert_eq!(seen, ids);

    // No item is settled beyond what it had open; each line's arithmetic holds, and the
    // lines on one item chain from its open amount down without a gap or an overlap.
    let mut open: BTreeMap<(ItemKind, String), Decimal> = BTreeMap::new();
    for i in &case.invoices {
        open.insert(
            (ItemKind::Invoice, i.origin.external_id.clone()),
            i.open_amount,
        );
    }
    for n in &case.credit_notes {
        open.insert(
            (ItemKind::CreditNote, n.origin.external_id.clone()),
            n.remaining,
        );
    }
    let mut chains: BTreeMap<(ItemKind, String), Vec<(Decimal, Decimal)>> = BTreeMap::new();
    // A payment returned in the same run applies nothing, and says which receipt it returns.
    for m in out
        .matches
        .iter()
        .filter(|m| m.receipt.kind == ReceiptKind::Reversal)
    {
        let original = m
            .reverses
            .as_deref()
            .ok_or_else(|| TestCaseError::fail("a reversal without its original"))?;
        prop_assert!(m.allocations.is_empty());
        prop_assert!(out.match_for(original).is_none());
        let u = out
            .unmatched_for(original)
            .ok_or_else(|| TestCaseError::fail("returned receipt not reported"))?;
        prop_assert_eq!(
            &u.reason,
            &arsync_reconcile::UnmatchedReason::Reversed {
                by: m.receipt.id.clone()
            }
        );
    }
    for m in out
        .matches
        .iter()
        .filter(|m| m.receipt.kind == ReceiptKind::Credit)
    {
        let mut items: Vec<&str> = m.allocations.iter().map(|a| a.item_id.as_str()).collect();
        items.sort_unstable();
        items.dedup();
        prop_assert_eq!(
            items.len(),
            m.allocations.len(),
            "an item twice in one match"
        );
        for a in &m.allocations {
            let magnitude = a.applied.amount.abs();
            prop_assert!(
                magnitude > Decimal::ZERO && magnitude <= a.open_before.amount,
                "over-settled {}",
                a.number
            );
            prop_assert_eq!(a.open_after.amount, a.open_before.amount - magnitude);
            match a.item_kind {
                ItemKind::Invoice => prop_assert!(a.applied.amount > Decimal::ZERO),
                ItemKind::CreditNote => prop_assert!(a.applied.amount < Decimal::ZERO),
            }
            chains
                .entry((a.item_kind, a.item_id.clone()))
                .or_default()
                .push((a.open_before.amount, a.open_after.amount));
        }
        // What is applied plus what is left over is what came in, in the receipt's currency.
        let rc: Currency = m.receipt.amount.currency;
        let received = Money::sum(rc, m.allocations.iter().map(|a| &a.received))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let over = m
            .residual(ResidualKind::Overpayment)
            .map(|r| r.amount.amount)
            .unwrap_or_default();
        prop_assert_eq!(
            received.amount + over,
            m.receipt.amount.amount,
            "receipt {} does not balance",
            m.receipt.id
        );
        if m.allocations.iter().all(|a| a.applied.currency == rc) {
            let applied: Decimal = m.allocations.iter().map(|a| a.applied.amount).sum();
            let fee = m
                .residual(ResidualKind::BankFee)
                .map(|r| r.amount.amount)
                .unwrap_or_default();
            prop_assert_eq!(
                applied,
                received.amount + fee,
                "settled = received + fee for {}",
                m.receipt.id
            );
        }
        if m.decision == Decision::Auto {
            // Never apply what is ambiguous.
            prop_assert!(m.confidence >= case.settings.auto_threshold);
            for doubt in [
                Rule::Tie,
                Rule::SameAmountSeveralCustomers,
                Rule::SubsetBudgetExhausted,
                Rule::PendingEntry,
                Rule::BelowThreshold,
                Rule::OverpaymentWithOpenItems,
            ] {
                prop_assert!(
                    !m.fired(doubt),
                    "auto despite {:?}: {}",
                    doubt,
                    m.explanation
                );
            }
        } else {
            prop_assert!(
                m.rules.iter().any(|h| matches!(
                    h.rule,
                    Rule::Tie
                        | Rule::SameAmountSeveralCustomers
                        | Rule::SubsetBudgetExhausted
                        | Rule::PendingEntry
                        | Rule::BelowThreshold
                        | Rule::OverpaymentWithOpenItems
                )),
                "suggested without a reason: {}",
                m.explanation
            );
        }
        prop_assert!(!m.explanation.is_empty());
    }
    for (key, mut chain) in chains {
        let start = *open
            .get(&key)
            .ok_or_else(|| TestCaseError::fail("unknown item"))?;
        chain.sort_by_key(|link| std::cmp::Reverse(link.0));
        let mut expected = start;
        for (before, after) in chain {
            prop_assert_eq!(
                before,
                expected,
                "{:?} settled twice from the same open amount",
                key
            );
            expected = after;
        }
        prop_assert!(expected >= Decimal::ZERO);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn books_and_bank_always_balance_and_order_changes_nothing(
        invs in proptest::collection::vec(inv_strategy(), 1..12),
        pays in proptest::collection::vec(pay_strategy(), 1..10),
        credit in proptest::option::of((0usize..3, 500i64..20_000)),
        rotate in 0usize..10,
        returns in proptest::collection::vec(0usize..10, 0..3),
    ) {
        let mut case = build(&invs, &pays, credit, &returns);
        let out = case.run();
        check(&case, &out)?;

        // Shuffle every input list: the outcome is identical.
        case.receipts.reverse();
        let n = case.receipts.len();
        case.receipts.rotate_left(rotate % n.max(1));
        case.invoices.reverse();
        case.parties.reverse();
        case.rates.reverse();
        let again = case.run();
        prop_assert_eq!(serde_json::to_string(&out).unwrap(), serde_json::to_string(&again).unwrap());
    }
}

#[test]
fn shuffled_inputs_give_the_identical_outcome_and_audit_trail() {
    let invs: Vec<Inv> = (0..10)
        .map(|k| Inv {
            customer: k % 3,
            cents: 10_000 + 2_500 * i64::try_from(k % 4).unwrap(),
            due_offset: i64::try_from(k).unwrap() * 3,
            currency: 0,
        })
        .collect();
    let pays = vec![
        Pay::Items {
            picks: vec![0],
            fee_cents: 0,
            name_numbers: true,
            name_payer: true,
        },
        Pay::Items {
            picks: vec![1, 4],
            fee_cents: 1_500,
            name_numbers: false,
            name_payer: true,
        },
        Pay::Random {
            cents: 10_000,
            text_pick: None,
            usd: false,
        },
        Pay::Random {
            cents: 12_500,
            text_pick: Some(5),
            usd: false,
        },
        Pay::Items {
            picks: vec![2, 3],
            fee_cents: 0,
            name_numbers: true,
            name_payer: false,
        },
    ];
    let mut case = build(&invs, &pays, Some((1, 2_500)), &[3]);
    let out = case.run();
    assert!(out.matches.len() >= 3, "{out:#?}");
    assert!(
        out.matches
            .iter()
            .any(|m| m.reverses.as_deref() == Some("bank:BR-3"))
    );
    let events = arsync_reconcile::audit_events(&out);
    let rows = arsync_reconcile::export_rows(&out);
    for rotate in 1..case.receipts.len() {
        case.receipts.rotate_left(rotate);
        case.invoices.rotate_left(rotate);
        let again = case.run();
        assert_eq!(again, out, "rotation {rotate}");
        assert_eq!(arsync_reconcile::audit_events(&again), events);
        assert_eq!(arsync_reconcile::export_rows(&again), rows);
    }
}
