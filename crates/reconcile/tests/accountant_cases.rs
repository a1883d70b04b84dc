//! Cases an accountant would check, one receipt story per test.

mod support;

use arsync_model::Money;
use arsync_reconcile::{Decision, ResidualKind, Rule, UnmatchedReason};
use support::*;

fn acme_invoices() -> Vec<arsync_model::Invoice> {
    vec![
        invoice("130", "INV-1001", "C1", "EUR", "1190.00", d(2026, 10, 1)),
        invoice("131", "INV-1002", "C1", "EUR", "845.50", d(2026, 10, 8)),
        invoice("132", "INV-1003", "C1", "EUR", "500.00", d(2026, 10, 20)),
    ]
}

#[test]
fn a_receipt_quoting_the_invoice_number_for_the_exact_amount_is_applied() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "1190.00",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "INV-1001",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-1").expect("matched");
    assert_eq!(m.decision, Decision::Auto);
    assert_eq!(m.allocations.len(), 1);
    assert_eq!(m.allocations[0].number, "INV-1001");
    assert_eq!(m.allocations[0].applied, money("1190.00", "EUR"));
    assert!(m.allocations[0].open_after.is_zero());
    assert!(
        m.fired(Rule::InvoiceNumberWithPrefix)
            && m.fired(Rule::AmountExact)
            && m.fired(Rule::PayerName)
    );
    assert!(
        m.explanation
            .contains("pays INV-1001 of Acme Industrial Chemicals GmbH"),
        "{}",
        m.explanation
    );
    assert!(
        m.explanation.contains("applied automatically"),
        "{}",
        m.explanation
    );
    assert!(out.unmatched.is_empty());
}

#[test]
fn invoice_numbers_mangled_by_payers_are_still_recognised() {
    for text in [
        "inv 1001",
        "INV-0001001",
        "Rechnung Nr. 1001",
        "INV1001",
        "invoice #1001 thanks",
    ] {
        let mut case = Case::new();
        case.invoices = acme_invoices();
        case.receipts = vec![receipt(&entry(
            "BR-1",
            d(2026, 10, 2),
            "1190.00",
            "EUR",
            None,
            text,
        ))];
        let out = case.run();
        let m = out
            .match_for("bank:BR-1")
            .unwrap_or_else(|| panic!("'{text}' unmatched: {:?}", out.unmatched));
        assert_eq!(m.allocations[0].number, "INV-1001", "{text}");
        assert_eq!(m.decision, Decision::Auto, "{text}: {}", m.explanation);
    }
}

#[test]
fn one_receipt_naming_two_invoices_pays_both() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 9),
        "2035.50",
        "EUR",
        None,
        "1001/1002",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    let numbers: Vec<&str> = m.allocations.iter().map(|a| a.number.as_str()).collect();
    assert_eq!(numbers, ["INV-1001", "INV-1002"]);
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
    assert!(m.residuals.is_empty());
}

#[test]
fn a_number_with_two_digits_swapped_is_only_suggested() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "140",
        "INV-4711",
        "C1",
        "EUR",
        "300.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "300.00",
        "EUR",
        None,
        "INV 4171",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    assert_eq!(m.allocations[0].number, "INV-4711");
    assert!(m.fired(Rule::TransposedDigits));
    assert!(
        m.explanation.contains(
            "'INV 4171' in the remittance is INV-4711 with two neighbouring digits swapped"
        ),
        "{}",
        m.explanation
    );
    assert_eq!(m.decision, Decision::Suggested);
}

#[test]
fn a_creditor_reference_with_a_valid_checksum_identifies_the_invoice() {
    let mut case = Case::new();
    let mut inv = invoice("150", "SI-77", "C2", "EUR", "640.00", d(2026, 10, 1));
    inv.payment_reference = Some("RF18 5390 0754 7034".into());
    case.invoices = vec![inv];
    case.receipts = vec![receipt(&with_rf(
        entry("BR-1", d(2026, 10, 3), "640.00", "EUR", None, ""),
        "RF18539007547034",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    assert!(m.fired(Rule::StructuredReference));
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
}

#[test]
fn a_creditor_reference_failing_its_checksum_is_not_trusted() {
    let mut case = Case::new();
    let mut inv = invoice("150", "SI-77", "C2", "EUR", "640.00", d(2026, 10, 1));
    inv.payment_reference = Some("RF18 5390 0754 7034".into());
    case.invoices = vec![inv];
    // Two digits of the reference are swapped: the ISO 11649 check fails.
    case.receipts = vec![receipt(&with_rf(
        entry("BR-1", d(2026, 10, 3), "640.00", "EUR", None, ""),
        "RF18539007547043",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    assert!(m.fired(Rule::RfChecksumInvalid));
    assert!(!m.fired(Rule::StructuredReference));
    assert_eq!(
        m.decision,
        Decision::Suggested,
        "only the amount fits: {}",
        m.explanation
    );
}

#[test]
fn a_receipt_paying_two_invoices_and_losing_15_eur_to_fees_settles_both_and_books_the_fee() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 9),
        "2020.50",
        "EUR",
        Some("ACME IND CHEM"),
        "INV-1001 INV-1002",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
    let applied: Vec<Money> = m.allocations.iter().map(|a| a.applied).collect();
    assert_eq!(
        applied,
        vec![money("1190.00", "EUR"), money("845.50", "EUR")]
    );
    assert!(m.allocations.iter().all(|a| a.open_after.is_zero()));
    let fee = m.residual(ResidualKind::BankFee).unwrap();
    assert_eq!(fee.amount, money("15.00", "EUR"));
    let received =
        Money::sum(support::c("EUR"), m.allocations.iter().map(|a| &a.received)).unwrap();
    assert_eq!(received, money("2020.50", "EUR"));
    assert!(m.fired(Rule::PayerNameAbbreviated));
    assert!(
        m.explanation
            .contains("shortfall is within the bank-fee tolerance"),
        "{}",
        m.explanation
    );
}

#[test]
fn a_partial_payment_leaves_the_invoice_open_with_its_remainder() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "500.00",
        "EUR",
        Some("Acme Industrial Chemicals"),
        "INV-1001 part 1",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    assert_eq!(m.allocations.len(), 1);
    assert_eq!(m.allocations[0].applied, money("500.00", "EUR"));
    assert_eq!(m.allocations[0].open_after, money("690.00", "EUR"));
    let rest = m.residual(ResidualKind::PartialPayment).unwrap();
    assert_eq!(rest.amount, money("690.00", "EUR"));
    assert_eq!(rest.item_id.as_deref(), Some("130"));
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
}

#[test]
fn an_overpayment_settles_the_invoice_and_leaves_credit_on_the_customer() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "1250.00",
        "EUR",
        Some("Acme Industrial Chemicals"),
        "INV-1001",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    assert_eq!(m.allocations[0].applied, money("1190.00", "EUR"));
    assert_eq!(m.allocations[0].received, money("1190.00", "EUR"));
    assert_eq!(
        m.residual(ResidualKind::Overpayment).unwrap().amount,
        money("60.00", "EUR")
    );
    assert!(
        m.explanation
            .contains("unapplied credit on Acme Industrial Chemicals GmbH"),
        "{}",
        m.explanation
    );
}

#[test]
fn a_usd_receipt_for_a_eur_invoice_within_the_fx_band_books_the_realised_gain() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "160",
        "INV-2001",
        "C2",
        "EUR",
        "1000.00",
        d(2026, 10, 1),
    )];
    case.rates = vec![ecb("USD", d(2026, 10, 5), "1.0850")];
    case.receipts = vec![receipt(&entry(
        "BR-9",
        d(2026, 10, 5),
        "1090.00",
        "USD",
        Some("Borealis Trading"),
        "INV-2001",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-9").unwrap();
    // 1,090.00 USD / 1.0850 = 1,004.608... EUR: 0.46 % over the 1,000.00 open, inside the 2 % band.
    assert!(m.fired(Rule::FxBand));
    assert_eq!(m.allocations[0].applied, money("1000.00", "EUR"));
    assert_eq!(m.allocations[0].received, money("1090.00", "USD"));
    assert!(m.allocations[0].open_after.is_zero());
    // Worth 1,004.61 EUR on the day against 1,000.00 EUR in the books: a gain of 4.61 EUR.
    assert_eq!(
        m.residual(ResidualKind::FxDifference).unwrap().amount,
        money("4.61", "EUR")
    );
    assert!(
        m.explanation.contains("realised FX gain of 4.61 EUR"),
        "{}",
        m.explanation
    );
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
}

#[test]
fn a_usd_invoice_paid_in_usd_realises_the_difference_between_book_and_receipt_rates() {
    let mut case = Case::new();
    let mut inv = invoice("161", "INV-2002", "C2", "USD", "1000.00", d(2026, 10, 1));
    inv.book_rate = Some(amount("0.92")); // booked at 920.00 EUR
    case.invoices = vec![inv];
    case.rates = vec![ecb("USD", d(2026, 10, 5), "1.0750")];
    case.receipts = vec![receipt(&entry(
        "BR-10",
        d(2026, 10, 5),
        "1000.00",
        "USD",
        Some("Borealis Trading"),
        "INV-2002",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-10").unwrap();
    // 1,000.00 USD / 1.0750 = 930.23 EUR received against 920.00 EUR booked: gain 10.23 EUR.
    assert_eq!(
        m.residual(ResidualKind::FxDifference).unwrap().amount,
        money("10.23", "EUR")
    );
}

#[test]
fn a_foreign_receipt_without_a_rate_is_left_unmatched_saying_which_rate_is_missing() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "160",
        "INV-2001",
        "C2",
        "EUR",
        "1000.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![receipt(&entry(
        "BR-9",
        d(2026, 10, 5),
        "1090.00",
        "USD",
        None,
        "INV-2001",
    ))];
    let out = case.run();
    let u = out.unmatched_for("bank:BR-9").unwrap();
    assert!(
        matches!(u.reason, UnmatchedReason::NoFxRate { .. }),
        "{:?}",
        u.reason
    );
    assert!(
        u.explanation.contains("no USD/EUR rate"),
        "{}",
        u.explanation
    );
}

#[test]
fn the_same_amount_open_at_two_customers_is_only_suggested() {
    let mut case = Case::new();
    case.invoices = vec![
        invoice("170", "INV-3001", "C1", "EUR", "480.00", d(2026, 10, 1)),
        invoice("171", "INV-3002", "C2", "EUR", "480.00", d(2026, 10, 1)),
    ];
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 1),
        "480.00",
        "EUR",
        Some("Someone Else"),
        "thank you",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    assert_eq!(m.decision, Decision::Suggested);
    assert!(
        m.fired(Rule::SameAmountSeveralCustomers),
        "{}",
        m.explanation
    );
    assert_eq!(m.alternatives.len(), 1);
    assert!(
        m.explanation.contains("is open both on"),
        "{}",
        m.explanation
    );
}

#[test]
fn a_receipt_that_pays_a_customer_s_combination_of_invoices_is_found_by_the_subset_search() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    // 845.50 + 500.00, paid from Acme's known account with no reference at all.
    let mut e = entry("BR-1", d(2026, 10, 20), "1345.50", "EUR", None, "");
    e.counterparty.account = Some("DE44500105175407324931".into());
    case.receipts = vec![receipt(&e)];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    let numbers: Vec<&str> = m.allocations.iter().map(|a| a.number.as_str()).collect();
    assert_eq!(numbers, ["INV-1002", "INV-1003"]);
    assert!(m.fired(Rule::SubsetSum) && m.fired(Rule::PayerAccount));
    assert_eq!(
        m.decision,
        Decision::Suggested,
        "no reference: {}",
        m.explanation
    );
}

#[test]
fn a_credit_note_is_netted_in_the_subset_search() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.credit_notes = vec![credit_note(
        "CN1",
        "CN-0042",
        "C1",
        "EUR",
        "120.00",
        d(2026, 10, 3),
    )];
    // 1,190.00 - 120.00 = 1,070.00
    let mut e = entry("BR-1", d(2026, 10, 5), "1070.00", "EUR", None, "");
    e.counterparty.account = Some("DE44 5001 0517 5407 3249 31".into());
    case.receipts = vec![receipt(&e)];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    let lines: Vec<(&str, Money)> = m
        .allocations
        .iter()
        .map(|a| (a.number.as_str(), a.applied))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("INV-1001", money("1190.00", "EUR")),
            ("CN-0042", money("-120.00", "EUR"))
        ]
    );
}

fn forty_invoices() -> Vec<arsync_model::Invoice> {
    (0..40)
        .map(|i| {
            let total = format!("{}.00", 100 + i * 7);
            invoice(
                &format!("9{i:02}"),
                &format!("INV-9{i:02}"),
                "C1",
                "EUR",
                &total,
                d(2026, 9, 1) + chrono::Duration::days(i),
            )
        })
        .collect()
}

#[test]
fn a_subset_search_that_runs_out_of_budget_says_so_instead_of_guessing() {
    let mut case = Case::new();
    case.invoices = forty_invoices();
    case.settings.subset_node_budget = 5_000;
    case.settings.fee_tolerance.clear();
    case.settings.fallback_fee_percent = amount("0");
    // Whole euros can never make 50 cents.
    let mut e = entry("BR-1", d(2026, 10, 5), "777.50", "EUR", None, "");
    e.counterparty.account = Some("DE44500105175407324931".into());
    case.receipts = vec![receipt(&e)];
    let out = case.run();
    let u = out.unmatched_for("bank:BR-1").unwrap();
    assert!(
        matches!(u.reason, UnmatchedReason::SubsetBudgetExhausted { .. }),
        "{:?}",
        u.reason
    );
    assert!(
        u.explanation.contains("raise subset_node_budget"),
        "{}",
        u.explanation
    );
}

#[test]
fn a_combination_found_before_the_budget_ran_out_is_only_suggested() {
    let mut case = Case::new();
    case.invoices = forty_invoices();
    case.settings.subset_node_budget = 200;
    case.settings.fee_tolerance.clear();
    case.settings.fallback_fee_percent = amount("0");
    // INV-900 (100.00) + INV-901 (107.00) + INV-902 (114.00): found first, oldest first.
    let mut e = entry("BR-1", d(2026, 10, 5), "321.00", "EUR", None, "");
    e.counterparty.account = Some("DE44500105175407324931".into());
    case.receipts = vec![receipt(&e)];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    assert_eq!(m.decision, Decision::Suggested);
    assert!(
        m.fired(Rule::SubsetBudgetExhausted) || m.fired(Rule::Tie),
        "{}",
        m.explanation
    );
    let numbers: Vec<&str> = m.allocations.iter().map(|a| a.number.as_str()).collect();
    assert_eq!(numbers, ["INV-900", "INV-901", "INV-902"]);
}

#[test]
fn a_pending_entry_is_never_applied_automatically() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    let mut e = entry(
        "BR-1",
        d(2026, 10, 2),
        "1190.00",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "INV-1001",
    );
    e.status = arsync_model::EntryStatus::Pending;
    case.receipts = vec![receipt(&e)];
    let m = case.run().matches.remove(0);
    assert_eq!(m.decision, Decision::Suggested);
    assert!(m.fired(Rule::PendingEntry));
}

#[test]
fn a_strong_receipt_keeps_its_invoice_even_when_a_weaker_one_arrives_first() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "170",
        "INV-3001",
        "C1",
        "EUR",
        "480.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![
        receipt(&entry("BR-A", d(2026, 9, 20), "480.00", "EUR", None, "")),
        receipt(&entry(
            "BR-B",
            d(2026, 10, 1),
            "480.00",
            "EUR",
            Some("Acme Industrial Chemicals GmbH"),
            "INV-3001",
        )),
    ];
    let out = case.run();
    assert_eq!(out.match_for("bank:BR-B").unwrap().decision, Decision::Auto);
    assert!(out.match_for("bank:BR-A").is_none());
    assert!(matches!(
        out.unmatched_for("bank:BR-A").unwrap().reason,
        UnmatchedReason::NoCandidate
    ));
}

#[test]
fn a_receipt_nothing_points_to_is_unmatched_with_the_reason() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "77.77",
        "EUR",
        Some("Unknown Payer"),
        "donation",
    ))];
    let out = case.run();
    let u = out.unmatched_for("bank:BR-1").unwrap();
    assert_eq!(u.reason, UnmatchedReason::NoCandidate);
    assert!(
        u.explanation
            .contains("no reference, payer or amount points to an open item"),
        "{}",
        u.explanation
    );
}

#[test]
fn a_known_payer_whose_amount_fits_nothing_is_unmatched_naming_the_customer() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "77.77",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "",
    ))];
    let out = case.run();
    let u = out.unmatched_for("bank:BR-1").unwrap();
    assert_eq!(
        u.reason,
        UnmatchedReason::NoAmountFit {
            customer_id: "C1".into()
        }
    );
    assert!(
        u.explanation.contains("no open item or combination"),
        "{}",
        u.explanation
    );
}

fn with_qrr(mut e: arsync_model::BankEntry, qrr: &str) -> arsync_model::BankEntry {
    e.structured_refs.push(arsync_model::StructuredRef {
        kind: arsync_model::RefKind::SwissQr,
        value: qrr.to_owned(),
    });
    e
}

#[test]
fn a_swiss_qr_reference_printed_on_the_invoice_identifies_it() {
    let mut case = Case::new();
    let mut inv = invoice("180", "R-5531", "C2", "CHF", "2150.00", d(2026, 10, 1));
    inv.payment_reference = Some("21 00000 00003 13947 14300 09017".into());
    case.invoices = vec![inv];
    case.receipts = vec![receipt(&with_qrr(
        entry("BR-CH", d(2026, 10, 1), "2150.00", "CHF", None, ""),
        "210000000003139471430009017",
    ))];
    case.rates = vec![ecb("CHF", d(2026, 10, 1), "0.9350")];
    let m = case.run().matches.remove(0);
    assert!(m.fired(Rule::StructuredReference));
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
}

#[test]
fn a_qr_reference_that_encodes_the_invoice_number_is_read_once_its_check_digit_holds() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    // 26 digits carrying 1001, then the recursive mod-10 check digit 4.
    case.receipts = vec![receipt(&with_qrr(
        entry("BR-1", d(2026, 10, 1), "1190.00", "EUR", None, ""),
        "000000000000000000000010014",
    ))];
    let m = case.run().matches.remove(0);
    assert_eq!(m.allocations[0].number, "INV-1001");
    assert!(m.fired(Rule::InvoiceNumber));

    // With a wrong check digit the reference is not trusted as structured.
    case.receipts = vec![receipt(&with_qrr(
        entry("BR-2", d(2026, 10, 1), "1190.00", "EUR", None, ""),
        "000000000000000000000010015",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-2").unwrap();
    assert!(m.fired(Rule::SwissChecksumInvalid), "{}", m.explanation);
}

#[test]
fn without_a_book_rate_the_fx_difference_is_left_to_the_books_and_said_so() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "180",
        "R-5531",
        "C2",
        "CHF",
        "2150.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![receipt(&entry(
        "BR-CH",
        d(2026, 10, 1),
        "2150.00",
        "CHF",
        Some("Borealis Trading Ltd"),
        "R-5531",
    ))];
    let m = case.run().matches.remove(0);
    assert!(m.residual(ResidualKind::FxDifference).is_none());
    assert!(
        m.explanation
            .contains("the books hold no CHF/EUR rate for R-5531"),
        "{}",
        m.explanation
    );
}

#[test]
fn two_instalments_on_one_invoice_each_settle_their_part() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.receipts = vec![
        receipt(&entry(
            "BR-1",
            d(2026, 10, 2),
            "500.00",
            "EUR",
            Some("Acme Industrial Chemicals GmbH"),
            "INV-1001 instalment 1",
        )),
        receipt(&entry(
            "BR-2",
            d(2026, 10, 16),
            "690.00",
            "EUR",
            Some("Acme Industrial Chemicals GmbH"),
            "INV-1001 instalment 2",
        )),
    ];
    let out = case.run();
    let first = out.match_for("bank:BR-1").unwrap();
    let second = out.match_for("bank:BR-2").unwrap();
    let applied = first.allocations[0]
        .applied
        .checked_add(&second.allocations[0].applied)
        .unwrap();
    assert_eq!(applied, money("1190.00", "EUR"));
    assert!(
        [first, second]
            .iter()
            .all(|m| m.allocations[0].number == "INV-1001")
    );
    assert!(
        [first, second]
            .iter()
            .any(|m| m.allocations[0].open_after.is_zero())
    );
}

#[test]
fn an_invoice_issued_after_the_run_date_is_not_open_yet() {
    let mut case = Case::new();
    case.invoices = acme_invoices();
    case.as_of = d(2026, 9, 5); // INV-1003 is issued on 2026-09-20
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 9, 5),
        "500.00",
        "EUR",
        None,
        "INV-1003",
    ))];
    let out = case.run();
    assert_eq!(
        out.unmatched_for("bank:BR-1").unwrap().reason,
        UnmatchedReason::NoCandidate
    );
}

#[test]
fn items_of_another_customer_than_the_recognised_payer_are_only_suggested() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "160",
        "INV-2001",
        "C2",
        "EUR",
        "1000.00",
        d(2026, 10, 1),
    )];
    // Acme pays Borealis' invoice, as a parent company might.
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 1),
        "1000.00",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "INV-2001",
    ))];
    let m = case.run().matches.remove(0);
    assert!(m.fired(Rule::CustomerConflict), "{}", m.explanation);
    assert_eq!(m.decision, Decision::Suggested);
    assert_eq!(m.customer.as_ref().unwrap().name, "Borealis Trading Ltd");
}

#[test]
fn two_invoices_named_for_the_same_amount_when_only_one_is_paid_is_a_tie() {
    let mut case = Case::new();
    case.invoices = vec![
        invoice("170", "INV-3001", "C1", "EUR", "480.00", d(2026, 10, 1)),
        invoice("171", "INV-3002", "C1", "EUR", "480.00", d(2026, 10, 1)),
    ];
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 1),
        "480.00",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "INV-3001 INV-3002",
    ))];
    let m = case.run().matches.remove(0);
    assert!(m.fired(Rule::Tie), "{}", m.explanation);
    assert_eq!(m.decision, Decision::Suggested);
    assert_eq!(m.alternatives.len(), 1);
}

#[test]
fn settings_out_of_range_stop_the_run_with_the_setting_named() {
    let mut case = Case::new();
    case.settings.subset_max_items = 0;
    let rates = arsync_model::RateBook::new(Vec::new());
    let input = arsync_reconcile::ReconcileInput {
        as_of: case.as_of,
        home: case.home,
        parties: &case.parties,
        invoices: &case.invoices,
        credit_notes: &case.credit_notes,
        receipts: Vec::new(),
        rates: &rates,
        memory: &case.memory,
    };
    let err = arsync_reconcile::reconcile(&input, &case.settings).unwrap_err();
    assert!(err.to_string().contains("`subset_max_items` is 0"), "{err}");
}

#[test]
fn a_payment_instructed_in_the_invoice_currency_settles_it_exactly_whatever_the_bank_converted() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "160",
        "INV-2001",
        "C2",
        "EUR",
        "1000.00",
        d(2026, 10, 1),
    )];
    case.rates = vec![ecb("USD", d(2026, 10, 5), "1.0850")];
    let mut e = entry("BR-9", d(2026, 10, 5), "1083.00", "USD", None, "INV-2001");
    e.exchange = Some(arsync_model::ExchangeDetail {
        instructed: money("1000.00", "EUR"),
        rate: Some(amount("1.0830")),
        source_currency: Some(c("EUR")),
        target_currency: Some(c("USD")),
    });
    case.receipts = vec![receipt(&e)];
    let m = case.run().matches.remove(0);
    assert!(
        m.fired(Rule::InstructedAmount) && m.fired(Rule::AmountExact),
        "{}",
        m.explanation
    );
    assert!(
        m.explanation
            .contains("the 1000.00 EUR instructed is exactly what is open"),
        "{}",
        m.explanation
    );
    assert_eq!(m.allocations[0].applied, money("1000.00", "EUR"));
    assert_eq!(m.allocations[0].received, money("1083.00", "USD"));
    // 1,083.00 USD / 1.0850 = 998.16 EUR against 1,000.00 EUR booked: a loss of 1.84 EUR.
    assert_eq!(
        m.residual(ResidualKind::FxDifference).unwrap().amount,
        money("-1.84", "EUR")
    );
}

#[test]
fn a_weekend_receipt_uses_friday_s_rate_and_says_so() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "160",
        "INV-2001",
        "C2",
        "EUR",
        "1000.00",
        d(2026, 10, 1),
    )];
    case.rates = vec![ecb("USD", d(2026, 10, 2), "1.0850")]; // Friday
    case.receipts = vec![receipt(&entry(
        "BR-9",
        d(2026, 10, 4),
        "1085.00",
        "USD",
        None,
        "INV-2001",
    ))]; // Sunday
    let m = case.run().matches.remove(0);
    assert!(
        m.fired(Rule::FxRateFallback) && m.fired(Rule::FxBand),
        "{}",
        m.explanation
    );
    assert!(
        m.explanation.contains("none was published for 2026-10-04"),
        "{}",
        m.explanation
    );
    assert!(
        m.residual(ResidualKind::FxDifference).is_none(),
        "1085.00 USD at 1.0850 is exactly 1000.00 EUR"
    );
}

#[test]
fn a_usd_receipt_for_a_gbp_invoice_is_converted_through_the_euro() {
    let mut case = Case::new();
    let mut inv = invoice("190", "UK-77", "C2", "GBP", "800.00", d(2026, 10, 1));
    inv.book_rate = Some(amount("1.15"));
    case.invoices = vec![inv];
    case.rates = vec![
        ecb("USD", d(2026, 10, 5), "1.0800"),
        ecb("GBP", d(2026, 10, 5), "0.8600"),
    ];
    // 1,004.65 USD / 1.08 * 0.86 = 800.00 GBP (to the cent).
    case.receipts = vec![receipt(&entry(
        "BR-9",
        d(2026, 10, 5),
        "1004.65",
        "USD",
        Some("Borealis Trading Ltd"),
        "UK-77",
    ))];
    let m = case.run().matches.remove(0);
    assert!(m.fired(Rule::FxBand), "{}", m.explanation);
    assert!(
        m.explanation.contains("crossed through EUR"),
        "{}",
        m.explanation
    );
    assert_eq!(m.allocations[0].applied, money("800.00", "GBP"));
    // Received 1,004.65 USD = 930.23 EUR against 800.00 GBP x 1.15 = 920.00 EUR: gain 10.23 EUR.
    assert_eq!(
        m.residual(ResidualKind::FxDifference).unwrap().amount,
        money("10.23", "EUR")
    );
}

#[test]
fn charges_the_bank_reports_explain_a_shortfall_beyond_the_tolerance() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C1",
        "EUR",
        "1190.00",
        d(2026, 10, 1),
    )];
    let mut e = entry("BR-1", d(2026, 10, 2), "1155.00", "EUR", None, "INV-1001");
    e.charges = vec![arsync_model::Charge {
        amount: money("35.00", "EUR"),
        included: true,
        kind: Some("DEBT".into()),
    }];
    case.receipts = vec![receipt(&e)];
    let m = case.run().matches.remove(0);
    assert_eq!(
        m.residual(ResidualKind::BankFee).unwrap().amount,
        money("35.00", "EUR")
    );
    assert!(
        m.explanation
            .contains("the bank reports 35.00 EUR of charges"),
        "{}",
        m.explanation
    );
    assert!(m.allocations[0].open_after.is_zero());

    // Without the bank's word, 35.00 EUR is more than the 25.00 EUR tolerance: a part payment.
    e.charges.clear();
    case.receipts = vec![receipt(&e)];
    let m = case.run().matches.remove(0);
    assert_eq!(
        m.residual(ResidualKind::PartialPayment).unwrap().amount,
        money("35.00", "EUR")
    );
}

#[test]
fn an_amount_that_also_fits_a_named_invoice_is_not_called_the_only_one() {
    let mut case = Case::new();
    case.invoices = vec![
        invoice("170", "INV-3001", "C1", "EUR", "480.00", d(2026, 10, 1)),
        invoice("171", "INV-3002", "C1", "EUR", "480.00", d(2026, 10, 1)),
    ];
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 1),
        "480.00",
        "EUR",
        None,
        "INV-3001",
    ))];
    let m = case.run().matches.remove(0);
    assert_eq!(m.allocations[0].number, "INV-3001");
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
    assert!(!m.fired(Rule::OnlyItemWithAmount));
}

#[test]
fn the_rest_of_a_part_paid_invoice_is_recognised_in_the_same_run() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C1",
        "EUR",
        "1000.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![
        receipt(&entry(
            "BR-1",
            d(2026, 10, 1),
            "400.00",
            "EUR",
            Some("Acme Industrial Chemicals GmbH"),
            "INV-1001",
        )),
        // No reference, no known payer: only the 600.00 EUR left open after BR-1 fits.
        receipt(&entry(
            "BR-2",
            d(2026, 10, 3),
            "600.00",
            "EUR",
            Some("Someone"),
            "",
        )),
    ];
    let out = case.run();
    let rest = out.match_for("bank:BR-2").unwrap();
    assert_eq!(rest.allocations[0].open_before, money("600.00", "EUR"));
    assert!(rest.allocations[0].open_after.is_zero());
    assert!(rest.fired(Rule::OnlyItemWithAmount));
}

#[test]
fn a_dutch_payment_reference_printed_on_the_invoice_is_recognised_from_the_statement() {
    let mut case = Case::new();
    let mut inv = invoice("185", "2026-118", "C2", "EUR", "365.20", d(2026, 10, 1));
    inv.payment_reference = Some("4654 6546 5465 4654".into());
    case.invoices = vec![inv];
    let mut e = entry("BR-NL", d(2026, 10, 4), "365.20", "EUR", None, "");
    e.structured_refs.push(arsync_model::StructuredRef {
        kind: arsync_model::RefKind::Other("SCOR".into()),
        value: "4654654654654654".into(),
    });
    case.receipts = vec![receipt(&e)];
    let m = case.run().matches.remove(0);
    assert!(m.fired(Rule::StructuredReference), "{}", m.explanation);
    assert_eq!(m.decision, Decision::Auto, "{}", m.explanation);
}
