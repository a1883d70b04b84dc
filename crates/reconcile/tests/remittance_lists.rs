//! Remittance text as payers really write it: several invoices in one line, numbers whose
//! dashes became spaces, and receipts that lose a bank fee on the way. Includes the two
//! receipts of the demo statement that pay Hansa Logistik and Lumière Emballages, rebuilt
//! from model values.

// Helpers shared by the cases: a missing match should stop the test at once.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use arsync_model::Invoice;
use arsync_reconcile::{Decision, Match, Outcome, ResidualKind, Rule};
use support::*;

fn numbers(m: &Match) -> Vec<&str> {
    let mut n: Vec<&str> = m.allocations.iter().map(|a| a.number.as_str()).collect();
    n.sort_unstable();
    n
}

fn only_match(out: &Outcome, id: &str) -> Match {
    out.match_for(id)
        .unwrap_or_else(|| panic!("{id} unmatched: {:?}", out.unmatched))
        .clone()
}

/// The demo books' customers and the open items that matter for the two receipts: Hansa
/// Logistik with three invoices and a credit note open, Lumière Emballages with two.
fn demo_case() -> Case {
    let mut case = Case::new();
    case.as_of = d(2026, 11, 23);
    case.parties = vec![
        party("C-1001", "Hansa Logistik GmbH", &[]),
        party("C-3002", "Lumière Emballages SA", &[]),
        party("C-1002", "Rheinwerk Automation AG", &[]),
    ];
    case.invoices = vec![
        invoice(
            "i1001",
            "NM-26-1001",
            "C-1001",
            "EUR",
            "4760.00",
            d(2026, 7, 3),
        ),
        invoice(
            "i1021",
            "NM-26-1021",
            "C-1001",
            "EUR",
            "2975.00",
            d(2026, 11, 2),
        ),
        invoice(
            "i1031",
            "NM-26-1031",
            "C-1001",
            "EUR",
            "1428.00",
            d(2026, 12, 4),
        ),
        invoice(
            "i1010",
            "NM-26-1010",
            "C-3002",
            "EUR",
            "2380.00",
            d(2026, 9, 9),
        ),
        invoice(
            "i1022",
            "NM-26-1022",
            "C-3002",
            "EUR",
            "7140.00",
            d(2026, 11, 22),
        ),
        invoice(
            "i1007",
            "NM-26-1007",
            "C-1002",
            "EUR",
            "3520.00",
            d(2026, 8, 14),
        ),
    ];
    case.credit_notes = vec![credit_note(
        "g0001",
        "GS-26-0001",
        "C-1001",
        "EUR",
        "476.00",
        d(2026, 7, 20),
    )];
    case
}

#[test]
fn a_receipt_naming_two_invoices_and_losing_15_eur_to_charges_settles_both_and_books_the_fee() {
    let mut case = demo_case();
    case.receipts = vec![receipt(&entry(
        "NLM2611180003",
        d(2026, 11, 18),
        "7720.00",
        "EUR",
        Some("Hansa Logistik GmbH"),
        "INV NM-26-1001 / 1021 less bank charges",
    ))];
    let out = case.run();
    let m = only_match(&out, "bank:NLM2611180003");
    assert_eq!(
        numbers(&m),
        vec!["NM-26-1001", "NM-26-1021"],
        "{}",
        m.explanation
    );
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
    for a in &m.allocations {
        assert!(a.open_after.is_zero(), "{} left open", a.number);
    }
    assert_eq!(
        m.residual(ResidualKind::BankFee).map(|r| r.amount),
        Some(money("15.00", "EUR")),
        "{}",
        m.explanation
    );
    assert!(m.residual(ResidualKind::Overpayment).is_none());
    // "1021" after the slash was read as NM-26-1021, with the prefix written once.
    assert!(
        m.rules
            .iter()
            .filter(|h| h.rule == Rule::InvoiceNumberWithPrefix)
            .any(|h| h.detail.contains("NM-26-1021")),
        "{:?}",
        m.rules
    );
    assert!(m.fired(Rule::BankFee));
    // The two settlements use all of the 7,720.00 received.
    let received: rust_decimal::Decimal = m.allocations.iter().map(|a| a.received.amount).sum();
    assert_eq!(received, amount("7720.00"));
}

#[test]
fn an_invoice_number_written_with_spaces_for_dashes_is_an_automatic_match() {
    let mut case = demo_case();
    case.receipts = vec![receipt(&entry(
        "NLM2611170002",
        d(2026, 11, 17),
        "2380.00",
        "EUR",
        Some("LUMIERE EMBALLAGES S.A."),
        "Facture NM 26 1010 merci",
    ))];
    let out = case.run();
    let m = only_match(&out, "bank:NLM2611170002");
    assert_eq!(numbers(&m), vec!["NM-26-1010"]);
    assert!(m.fired(Rule::InvoiceNumberWithPrefix), "{}", m.explanation);
    assert!(m.fired(Rule::PayerName) && m.fired(Rule::AmountExact));
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
    assert!(m.allocations[0].open_after.is_zero());
}

#[test]
fn the_demo_statement_lines_together_settle_what_they_name_whatever_their_order() {
    let mut case = demo_case();
    let lines = [
        receipt(&entry(
            "NLM2611170002",
            d(2026, 11, 17),
            "2380.00",
            "EUR",
            Some("LUMIERE EMBALLAGES S.A."),
            "Facture NM 26 1010 merci",
        )),
        receipt(&entry(
            "NLM2611180003",
            d(2026, 11, 18),
            "7720.00",
            "EUR",
            Some("Hansa Logistik GmbH"),
            "INV NM-26-1001 / 1021 less bank charges",
        )),
    ];
    case.receipts = lines.to_vec();
    let forward = case.run();
    case.receipts = lines.iter().rev().cloned().collect();
    let backward = case.run();
    assert_eq!(forward, backward);
    assert_eq!(forward.applied().count(), 2);
    assert_eq!(
        numbers(&only_match(&forward, "bank:NLM2611180003")),
        vec!["NM-26-1001", "NM-26-1021"]
    );
}

fn numbered(numbers: &[(&str, &str)]) -> Vec<Invoice> {
    numbers
        .iter()
        .enumerate()
        .map(|(k, (number, total))| {
            let day = u32::try_from(k + 1).unwrap();
            invoice(
                &format!("id-{number}"),
                number,
                "C1",
                "EUR",
                total,
                d(2026, 10, day),
            )
        })
        .collect()
}

fn run_one(invoices: Vec<Invoice>, paid: &str, text: &str) -> Outcome {
    let mut case = Case::new();
    case.invoices = invoices;
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 12),
        paid,
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        text,
    ))];
    case.run()
}

#[test]
fn lists_of_invoice_numbers_as_payers_write_them_settle_every_item_named() {
    let invoices = || {
        numbered(&[
            ("INV-1001", "1190.00"),
            ("INV-1002", "845.50"),
            ("INV-1003", "500.00"),
            ("INV-1004", "2000.00"),
        ])
    };
    for (text, paid, expected) in [
        (
            "Rechnung 1001 + 1002",
            "2035.50",
            vec!["INV-1001", "INV-1002"],
        ),
        (
            "INV 1001, 1002 & 1003",
            "2535.50",
            vec!["INV-1001", "INV-1002", "INV-1003"],
        ),
        ("INV-1002/1003", "1345.50", vec!["INV-1002", "INV-1003"]),
        ("Rg. 1001 und 1003", "1690.00", vec!["INV-1001", "INV-1003"]),
        ("INV 1002 1004", "2845.50", vec!["INV-1002", "INV-1004"]),
    ] {
        let out = run_one(invoices(), paid, text);
        let m = only_match(&out, "bank:BR-1");
        assert_eq!(numbers(&m), expected, "{text}: {}", m.explanation);
        assert_eq!(m.decision, Decision::Auto, "{text}: {}", m.explanation);
        assert!(m.fired(Rule::AmountExact), "{text}: {}", m.explanation);
        assert!(!m.fired(Rule::SubsetSum), "{text}: named, not guessed");
    }
}

#[test]
fn numbers_with_groups_split_by_spaces_name_their_invoice() {
    for text in ["NM 26 1010", "NM26 1010", "Facture NM 26-1010"] {
        let out = run_one(
            numbered(&[("NM-26-1010", "2380.00"), ("NM-26-1022", "7140.00")]),
            "2380.00",
            text,
        );
        let m = only_match(&out, "bank:BR-1");
        assert_eq!(numbers(&m), vec!["NM-26-1010"], "{text}");
        assert!(
            m.fired(Rule::InvoiceNumberWithPrefix),
            "{text}: {}",
            m.explanation
        );
        assert_eq!(m.decision, Decision::Auto, "{text}: {}", m.explanation);
    }
}

fn named_by_reference(m: &Match, number: &str) -> bool {
    m.rules
        .iter()
        .filter(|h| {
            matches!(
                h.rule,
                Rule::InvoiceNumber | Rule::InvoiceNumberWithPrefix | Rule::TransposedDigits
            )
        })
        .any(|h| h.detail.contains(number))
}

#[test]
fn a_range_is_read_as_the_two_numbers_written_not_as_the_invoices_between() {
    // "1001-1003" with exactly INV-1001 and INV-1003 paid: INV-1002 stays open.
    let out = run_one(
        numbered(&[
            ("INV-1001", "1190.00"),
            ("INV-1002", "845.50"),
            ("INV-1003", "500.00"),
        ]),
        "1690.00",
        "INV 1001-1003",
    );
    let m = only_match(&out, "bank:BR-1");
    assert_eq!(
        numbers(&m),
        vec!["INV-1001", "INV-1003"],
        "{}",
        m.explanation
    );
    assert!(!named_by_reference(&m, "INV-1002"));
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
}

#[test]
fn shorthand_numbers_are_not_expanded_into_invoices_nobody_wrote() {
    // "1001/02/03" means 1002 and 1003 to a person, but only 1001 is written out: the
    // others may only come in through the amount, never as named.
    let out = run_one(
        numbered(&[
            ("INV-1001", "1190.00"),
            ("INV-1002", "845.50"),
            ("INV-1003", "500.00"),
        ]),
        "2535.50",
        "INV 1001/02/03",
    );
    let m = only_match(&out, "bank:BR-1");
    assert!(named_by_reference(&m, "INV-1001"), "{:?}", m.rules);
    assert!(!named_by_reference(&m, "INV-1002") && !named_by_reference(&m, "INV-1003"));
    assert_eq!(numbers(&m), vec!["INV-1001", "INV-1002", "INV-1003"]);
    assert!(m.fired(Rule::SubsetSum), "{}", m.explanation);
}

#[test]
fn a_combination_that_settles_within_the_fee_beats_one_named_invoice_with_a_large_overpayment() {
    // The payer names only INV-1001, but INV-1001 and INV-1002 together, less 12.00 EUR of
    // charges, are what came in: settling INV-1001 and parking 833.50 as credit is wrong.
    let out = run_one(
        numbered(&[
            ("INV-1001", "1190.00"),
            ("INV-1002", "845.50"),
            ("INV-1003", "3000.00"),
        ]),
        "2023.50",
        "INV-1001",
    );
    let m = only_match(&out, "bank:BR-1");
    assert_eq!(
        numbers(&m),
        vec!["INV-1001", "INV-1002"],
        "{}",
        m.explanation
    );
    assert_eq!(
        m.residual(ResidualKind::BankFee).map(|r| r.amount),
        Some(money("12.00", "EUR"))
    );
    assert!(m.residual(ResidualKind::Overpayment).is_none());
    // Only one of the two was named: a person confirms the other.
    assert_eq!(m.decision, Decision::Suggested, "{}", m.explanation);
    assert!(
        m.alternatives.is_empty() || !m.alternatives[0].starts_with("INV-1001 of"),
        "{:?}",
        m.alternatives
    );
}

#[test]
fn a_large_overpayment_is_never_applied_while_other_invoices_of_the_customer_are_open() {
    // 1,500.00 for INV-1001 of 1,190.00: the 310.00 could be meant for INV-1002.
    let out = run_one(
        numbered(&[("INV-1001", "1190.00"), ("INV-1002", "845.50")]),
        "1500.00",
        "INV-1001",
    );
    let m = only_match(&out, "bank:BR-1");
    assert_eq!(numbers(&m), vec!["INV-1001"]);
    assert_eq!(
        m.residual(ResidualKind::Overpayment).map(|r| r.amount),
        Some(money("310.00", "EUR"))
    );
    assert_eq!(m.decision, Decision::Suggested, "{}", m.explanation);
    assert!(m.fired(Rule::OverpaymentWithOpenItems));
    assert!(
        m.explanation
            .contains("could pay INV-1002 (845.50 EUR open)"),
        "{}",
        m.explanation
    );
    // Even with the threshold lowered, the doubt stands.
    let mut case = Case::new();
    case.settings.auto_threshold = amount("0.30");
    case.invoices = numbered(&[("INV-1001", "1190.00"), ("INV-1002", "845.50")]);
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 12),
        "1500.00",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "INV-1001",
    ))];
    let m = only_match(&case.run(), "bank:BR-1");
    assert_eq!(m.decision, Decision::Suggested, "{}", m.explanation);
}

#[test]
fn an_overpayment_with_nothing_else_open_is_still_applied_as_credit() {
    let out = run_one(numbered(&[("INV-1001", "1190.00")]), "1500.00", "INV-1001");
    let m = only_match(&out, "bank:BR-1");
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
    assert_eq!(
        m.residual(ResidualKind::Overpayment).map(|r| r.amount),
        Some(money("310.00", "EUR"))
    );
    assert!(!m.fired(Rule::OverpaymentWithOpenItems));
}

#[test]
fn an_overpayment_within_the_fee_tolerance_is_not_held_back_by_other_open_items() {
    // 10.00 EUR too much is a rounding of the payer's, not a second invoice.
    let out = run_one(
        numbered(&[("INV-1001", "1190.00"), ("INV-1002", "845.50")]),
        "1200.00",
        "INV-1001",
    );
    let m = only_match(&out, "bank:BR-1");
    assert_eq!(numbers(&m), vec!["INV-1001"]);
    assert!(
        !m.fired(Rule::OverpaymentWithOpenItems),
        "{}",
        m.explanation
    );
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
}

mod lists_in_any_form {
    use super::*;
    use proptest::prelude::*;

    /// How the first number of the list is written, given its digits ("1001").
    fn head(scheme: usize, form: usize, n: &str) -> String {
        match (scheme, form % 3) {
            (0, 0) => format!("INV-{n}"),
            (0, 1) => format!("INV {n}"),
            (0, _) => format!("inv{n}"),
            (_, 0) => format!("NM-26-{n}"),
            (_, 1) => format!("NM 26 {n}"),
            (_, _) => format!("NM26 {n}"),
        }
    }

    const SEPARATORS: [&str; 7] = [" / ", "/", ", ", " + ", " & ", " und ", "; "];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A customer pays some of its open invoices in one transfer, names them as a list
        /// in any of the ways payers write lists, and loses up to the fee tolerance to
        /// charges: exactly the named invoices are settled, automatically, and the
        /// shortfall is booked as a bank fee.
        #[test]
        fn a_listed_payment_settles_exactly_the_invoices_listed(
            cents in proptest::collection::vec(10_000i64..500_000, 2..6),
            picks in proptest::collection::vec(any::<bool>(), 6),
            scheme in 0usize..2,
            form in 0usize..3,
            seps in proptest::collection::vec(0usize..SEPARATORS.len(), 6),
            fee_per_mille in 0i64..=1000,
        ) {
            let number = |k: usize| format!("{}", 1001 + k * 10);
            let invoices: Vec<Invoice> = cents
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let written = if scheme == 0 {
                        format!("INV-{}", number(k))
                    } else {
                        format!("NM-26-{}", number(k))
                    };
                    invoice(
                        &format!("id{k}"),
                        &written,
                        "C1",
                        "EUR",
                        &arsync_model::Money::from_minor_units(*c, c_eur()).amount.to_string(),
                        d(2026, 9, 1) + chrono::Duration::days(i64::try_from(k).unwrap() * 7),
                    )
                })
                .collect();
            let chosen: Vec<usize> = (0..cents.len()).filter(|k| picks[*k]).collect();
            prop_assume!(chosen.len() >= 2);
            let total: i64 = chosen.iter().map(|k| cents[*k]).sum();
            // Up to the tolerance: the smaller of 25.00 EUR and 2 % of what is settled.
            let allowance = 2_500i64.min(total * 2 / 100);
            let fee = allowance * fee_per_mille / 1000;
            let mut text = head(scheme, form, &number(chosen[0]));
            for (k, item) in chosen.iter().enumerate().skip(1) {
                text.push_str(SEPARATORS[seps[k]]);
                text.push_str(&number(*item));
            }
            text.push_str(" less bank charges");
            let paid = arsync_model::Money::from_minor_units(total - fee, c_eur()).amount.to_string();
            let out = run_one(invoices, &paid, &text);
            let m = only_match(&out, "bank:BR-1");
            let mut settled: Vec<String> = m.allocations.iter().map(|a| a.item_id.clone()).collect();
            settled.sort();
            let mut expected: Vec<String> = chosen.iter().map(|k| format!("id{k}")).collect();
            expected.sort();
            prop_assert_eq!(settled, expected, "{}: {}", text, m.explanation);
            prop_assert_eq!(m.decision, Decision::Auto, "{}: {}", text, m.explanation);
            prop_assert!(m.allocations.iter().all(|a| a.open_after.is_zero()));
            let booked = m.residual(ResidualKind::BankFee).map(|r| r.amount.to_minor_units());
            if fee == 0 {
                prop_assert!(booked.is_none());
            } else {
                prop_assert_eq!(booked, Some(Some(fee)));
            }
        }
    }

    fn c_eur() -> arsync_model::Currency {
        c("EUR")
    }
}
