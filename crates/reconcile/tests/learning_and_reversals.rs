//! Returned payments undo what they return; confirmed matches teach the next run.

mod support;

use arsync_model::{BankEntry, EntryStatus, Money, Origin, Payment, PaymentStatus};
use arsync_reconcile::{
    AliasKey, Decision, Memory, NotAReceipt, Receipt, ReceiptKind, ResidualKind, Rule, Settings,
    UnmatchedReason,
};
use support::*;

fn returned(original: &BankEntry, bank_ref: &str, date: chrono::NaiveDate) -> BankEntry {
    let mut e = entry(
        bank_ref,
        date,
        &format!("-{}", original.amount.amount),
        original.amount.currency.code(),
        None,
        "RETURN AC04 ACCOUNT CLOSED",
    );
    e.reversal = true;
    e.end_to_end_id = original.end_to_end_id.clone();
    e.counterparty = original.counterparty.clone();
    e
}

#[test]
fn a_payment_returned_in_the_same_period_applies_nothing() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C1",
        "EUR",
        "1190.00",
        d(2026, 10, 1),
    )];
    let mut paid = entry(
        "BR-1",
        d(2026, 10, 2),
        "1190.00",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "INV-1001",
    );
    paid.end_to_end_id = Some("E2E-ACME-77".into());
    let back = returned(&paid, "BR-2", d(2026, 10, 6));
    case.receipts = vec![receipt(&paid), receipt(&back)];
    let out = case.run();
    let rv = out.match_for("bank:BR-2").unwrap();
    assert_eq!(rv.reverses.as_deref(), Some("bank:BR-1"));
    assert_eq!(rv.decision, Decision::Auto);
    assert!(rv.fired(Rule::Reversal));
    assert!(
        rv.explanation.contains("returns receipt 1190.00 EUR of 2026-10-02 (BR-1): it carries the end-to-end id E2E-ACME-77"),
        "{}",
        rv.explanation
    );
    let original = out.unmatched_for("bank:BR-1").unwrap();
    assert_eq!(
        original.reason,
        UnmatchedReason::Reversed {
            by: "bank:BR-2".into()
        }
    );
    assert!(
        out.matches.iter().all(|m| m.allocations.is_empty()),
        "the invoice stays open"
    );
}

#[test]
fn a_payment_returned_after_it_was_applied_reopens_the_invoices_it_paid() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C1",
        "EUR",
        "1190.00",
        d(2026, 10, 1),
    )];
    let mut paid = entry(
        "BR-1",
        d(2026, 10, 2),
        "1190.00",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "INV-1001",
    );
    paid.end_to_end_id = Some("E2E-ACME-77".into());
    case.receipts = vec![receipt(&paid)];
    let first = case.run();
    let applied = first.match_for("bank:BR-1").unwrap();
    assert_eq!(applied.decision, Decision::Auto);
    case.memory
        .remember_applied(applied, "auto", d(2026, 10, 3));

    // Next run: the invoice is paid in the books, and the bank returns the payment.
    case.invoices.clear();
    case.receipts = vec![receipt(&returned(&paid, "BR-7", d(2026, 10, 9)))];
    let out = case.run();
    let rv = out.match_for("bank:BR-7").unwrap();
    assert_eq!(rv.reverses.as_deref(), Some("bank:BR-1"));
    assert_eq!(rv.decision, Decision::Auto);
    assert_eq!(rv.allocations.len(), 1);
    assert_eq!(rv.allocations[0].number, "INV-1001");
    assert_eq!(rv.allocations[0].applied, money("-1190.00", "EUR"));
    assert!(
        rv.explanation.contains("re-opens INV-1001"),
        "{}",
        rv.explanation
    );

    // Once confirmed, the memory forgets the returned receipt.
    let lessons = case.memory.learn(rv, "controller", d(2026, 10, 10));
    assert!(case.memory.applied.is_empty());
    assert_eq!(lessons.len(), 1);
}

#[test]
fn a_return_tied_to_its_original_only_by_account_and_amount_is_suggested() {
    let mut case = Case::new();
    let mut paid = entry("BR-1", d(2026, 10, 2), "300.00", "EUR", Some("Payer"), "");
    paid.counterparty.account = Some("NL91ABNA0417164300".into());
    let mut back = returned(&paid, "BR-2", d(2026, 10, 5));
    back.end_to_end_id = None;
    case.receipts = vec![receipt(&paid), receipt(&back)];
    let rv = case.run().match_for("bank:BR-2").cloned().unwrap();
    assert_eq!(rv.decision, Decision::Suggested);
}

#[test]
fn a_return_of_an_unknown_payment_is_left_for_a_person() {
    let mut case = Case::new();
    let mut back = entry(
        "BR-2",
        d(2026, 10, 5),
        "-300.00",
        "EUR",
        Some("Payer"),
        "RETURN",
    );
    back.reversal = true;
    case.receipts = vec![receipt(&back)];
    let out = case.run();
    assert_eq!(
        out.unmatched_for("bank:BR-2").unwrap().reason,
        UnmatchedReason::ReversalOfUnknown
    );
}

#[test]
fn debits_information_entries_and_applied_payments_are_not_receipts() {
    let debit = entry("BR-3", d(2026, 10, 5), "-80.00", "EUR", None, "supplier");
    assert!(matches!(
        Receipt::from_bank_entry(&debit),
        Err(NotAReceipt::Debit { .. })
    ));
    let mut info = entry("BR-4", d(2026, 10, 5), "80.00", "EUR", None, "");
    info.status = EntryStatus::Info;
    let err = Receipt::from_bank_entry(&info).unwrap_err();
    assert!(err.to_string().contains("information only"), "{err}");
    let mut payment = Payment {
        origin: Origin::new("stripe", "py_1"),
        customer_id: Some("C1".into()),
        date: d(2026, 10, 5),
        amount: money("99.00", "EUR"),
        reference: Some("INV-1001".into()),
        method: Some("card".into()),
        book_rate: None,
        allocations: Vec::new(),
        status: PaymentStatus::Posted,
    };
    let r = Receipt::from_payment(&payment).unwrap();
    assert_eq!(
        (r.kind, r.customer_id.as_deref(), r.id.as_str()),
        (ReceiptKind::Credit, Some("C1"), "stripe:py_1")
    );
    payment.status = PaymentStatus::Void;
    assert!(matches!(
        Receipt::from_payment(&payment),
        Err(NotAReceipt::Voided { .. })
    ));
}

#[test]
fn a_payment_feed_naming_the_customer_is_matched_to_its_invoice() {
    let mut case = Case::new();
    case.invoices = vec![
        invoice("130", "INV-1001", "C1", "EUR", "99.00", d(2026, 10, 1)),
        invoice("131", "INV-1002", "C2", "EUR", "99.00", d(2026, 10, 1)),
    ];
    let payment = Payment {
        origin: Origin::new("stripe", "py_1"),
        customer_id: Some("C2".into()),
        date: d(2026, 10, 1),
        amount: money("99.00", "EUR"),
        reference: None,
        method: Some("card".into()),
        book_rate: None,
        allocations: Vec::new(),
        status: PaymentStatus::Posted,
    };
    case.receipts = vec![Receipt::from_payment(&payment).unwrap()];
    let m = case.run().matches.remove(0);
    assert_eq!(m.allocations[0].number, "INV-1002");
    assert!(m.fired(Rule::CustomerFromSource) && m.fired(Rule::OnlyItemWithAmount));
}

#[test]
fn a_confirmed_payer_name_is_recognised_next_time_and_the_explanation_says_who_confirmed_it() {
    let mut case = Case::new();
    case.invoices = vec![
        invoice("130", "INV-1001", "C1", "EUR", "1190.00", d(2026, 10, 1)),
        invoice("131", "INV-1002", "C1", "EUR", "640.00", d(2026, 10, 20)),
    ];
    let first = entry(
        "BR-1",
        d(2026, 10, 2),
        "1190.00",
        "EUR",
        Some("A.I.C. HOLDING"),
        "INV-1001",
    );
    case.receipts = vec![receipt(&first)];
    let out = case.run();
    let m = out.match_for("bank:BR-1").unwrap();
    assert!(!m.fired(Rule::LearnedAlias));
    let lessons = case.memory.learn(m, "controller", d(2026, 10, 2));
    assert!(
        lessons
            .iter()
            .any(|l| l == "payer 'A.I.C. HOLDING' is Acme Industrial Chemicals GmbH"),
        "{lessons:?}"
    );
    assert_eq!(
        case.memory.aliases[0].key,
        AliasKey::PayerName("AIC HOLDING".into())
    );

    // The next payment from the same payer carries no reference at all.
    case.invoices.remove(0);
    case.receipts = vec![receipt(&entry(
        "BR-2",
        d(2026, 10, 21),
        "640.00",
        "EUR",
        Some("A.I.C. Holding"),
        "",
    ))];
    let out = case.run();
    let m = out.match_for("bank:BR-2").unwrap();
    assert!(m.fired(Rule::LearnedAlias));
    assert!(
        m.explanation.contains("payer 'A.I.C. HOLDING' was confirmed as Acme Industrial Chemicals GmbH on 2026-10-02 by controller"),
        "{}",
        m.explanation
    );
    assert_eq!(m.allocations[0].number, "INV-1002");
}

#[test]
fn a_customer_s_usual_fee_is_learned_and_recognised_beyond_the_tolerance() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C1",
        "EUR",
        "1190.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "1175.00",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "INV-1001",
    ))];
    let m = case.run().matches.remove(0);
    assert_eq!(
        m.residual(ResidualKind::BankFee).unwrap().amount,
        money("15.00", "EUR")
    );
    case.memory.learn(&m, "controller", d(2026, 10, 3));
    assert_eq!(case.memory.fee_habits[0].fee, money("15.00", "EUR"));

    // With no fee tolerance at all, the learned 15.00 EUR still reads as charges.
    case.settings = Settings {
        fee_tolerance: Default::default(),
        fallback_fee_percent: amount("0"),
        ..Settings::default()
    };
    case.invoices = vec![invoice(
        "131",
        "INV-1002",
        "C1",
        "EUR",
        "500.00",
        d(2026, 11, 1),
    )];
    case.receipts = vec![receipt(&entry(
        "BR-2",
        d(2026, 11, 2),
        "485.00",
        "EUR",
        Some("Acme Industrial Chemicals GmbH"),
        "INV-1002",
    ))];
    let m = case.run().matches.remove(0);
    assert!(m.fired(Rule::LearnedFeeHabit), "{}", m.explanation);
    assert_eq!(
        m.residual(ResidualKind::BankFee).unwrap().amount,
        money("15.00", "EUR")
    );
    assert!(m.allocations[0].open_after.is_zero());
    assert!(
        m.explanation
            .contains("usually lose 15.00 EUR to bank charges"),
        "{}",
        m.explanation
    );
}

#[test]
fn the_way_a_customer_writes_invoice_numbers_is_learned() {
    let mut case = Case::new();
    case.invoices = vec![
        invoice("130", "INV-1001", "C1", "EUR", "1190.00", d(2026, 10, 1)),
        invoice("131", "INV-1002", "C1", "EUR", "640.00", d(2026, 10, 20)),
    ];
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "1190.00",
        "EUR",
        None,
        "RG 1001",
    ))];
    let m = case.run().matches.remove(0);
    assert_eq!(m.reference_prefix.as_deref(), Some("RG"));
    let lessons = case.memory.learn(&m, "controller", d(2026, 10, 2));
    assert!(
        lessons
            .iter()
            .any(|l| l.contains("writes invoice numbers as 'RG <number>'")),
        "{lessons:?}"
    );

    case.receipts = vec![receipt(&entry(
        "BR-2",
        d(2026, 10, 20),
        "640.00",
        "EUR",
        None,
        "RG 1002",
    ))];
    let m = case.run().match_for("bank:BR-2").cloned().unwrap();
    assert!(m.fired(Rule::LearnedReferencePattern), "{}", m.explanation);
    assert!(
        m.explanation
            .contains("as confirmed on 2026-10-02 by controller"),
        "{}",
        m.explanation
    );
}

#[test]
fn memory_survives_a_round_trip_through_json() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C1",
        "EUR",
        "1190.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "1175.00",
        "EUR",
        Some("ACME IND CHEM"),
        "RG 1001",
    ))];
    let m = case.run().matches.remove(0);
    let mut memory = Memory::default();
    memory.learn(&m, "controller", d(2026, 10, 2));
    assert!(
        !memory.aliases.is_empty()
            && !memory.reference_patterns.is_empty()
            && !memory.fee_habits.is_empty()
    );
    let json = serde_json::to_string(&memory).unwrap();
    let back: Memory = serde_json::from_str(&json).unwrap();
    assert_eq!(back, memory);
    let fee: Money = back.fee_habits[0].fee;
    assert_eq!(fee, money("15.00", "EUR"));
}

#[test]
fn a_confirmed_payer_account_identifies_the_customer_next_time() {
    let mut case = Case::new();
    case.invoices = vec![
        invoice("130", "INV-1001", "C2", "EUR", "300.00", d(2026, 10, 1)),
        invoice("131", "INV-1002", "C2", "EUR", "410.00", d(2026, 10, 20)),
    ];
    let mut first = entry(
        "BR-1",
        d(2026, 10, 1),
        "300.00",
        "EUR",
        Some("PAYMENTS CLEARING"),
        "INV-1001",
    );
    first.counterparty.account = Some("GB29 NWBK 6016 1331 9268 19".into());
    case.receipts = vec![receipt(&first)];
    let m = case.run().matches.remove(0);
    case.memory.learn(&m, "controller", d(2026, 10, 2));
    assert!(
        case.memory
            .aliases
            .iter()
            .any(|a| a.key == AliasKey::PayerAccount("GB29NWBK60161331926819".into()))
    );

    let mut next = entry(
        "BR-2",
        d(2026, 10, 20),
        "410.00",
        "EUR",
        Some("PAYMENTS CLEARING"),
        "",
    );
    next.counterparty.account = Some("GB29NWBK60161331926819".into());
    case.receipts = vec![receipt(&next)];
    let m = case.run().match_for("bank:BR-2").cloned().unwrap();
    assert!(m.fired(Rule::LearnedAlias));
    assert!(m.explanation.contains("account 'GB29 NWBK 6016 1331 9268 19' was confirmed as Borealis Trading Ltd on 2026-10-02 by controller"), "{}", m.explanation);
    assert_eq!(m.allocations[0].number, "INV-1002");
}

#[test]
fn two_customers_with_the_same_name_do_not_identify_the_payer() {
    let mut case = Case::new();
    case.parties.push(party("C3", "Borealis Trading", &[]));
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C2",
        "EUR",
        "300.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 1),
        "300.00",
        "EUR",
        Some("BOREALIS TRADING LTD."),
        "",
    ))];
    let m = case.run().matches.remove(0);
    assert!(m.fired(Rule::CustomerAmbiguous), "{}", m.explanation);
    assert!(!m.fired(Rule::PayerName));
    assert_eq!(m.decision, Decision::Suggested);
}

#[test]
fn a_receipt_applied_in_an_earlier_run_is_not_applied_again() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C1",
        "EUR",
        "1190.00",
        d(2026, 10, 1),
    )];
    case.receipts = vec![receipt(&entry(
        "BR-1",
        d(2026, 10, 2),
        "1190.00",
        "EUR",
        None,
        "INV-1001",
    ))];
    let first = case.run();
    case.memory.remember_applied(
        first.match_for("bank:BR-1").unwrap(),
        "auto",
        d(2026, 10, 2),
    );
    // The books have not caught up yet: the invoice is still open, the statement read again.
    let again = case.run();
    assert!(again.matches.is_empty());
    let u = again.unmatched_for("bank:BR-1").unwrap();
    assert_eq!(
        u.reason,
        UnmatchedReason::AlreadyApplied {
            applied_on: d(2026, 10, 2),
            applied_by: "auto".into()
        }
    );
    assert!(
        u.explanation
            .contains("already applied on 2026-10-02 by auto"),
        "{}",
        u.explanation
    );
}

#[test]
fn old_applied_receipts_can_be_forgotten() {
    let mut case = Case::new();
    case.invoices = vec![invoice(
        "130",
        "INV-1001",
        "C1",
        "EUR",
        "1190.00",
        d(2026, 10, 1),
    )];
    let mut paid = entry("BR-1", d(2026, 10, 2), "1190.00", "EUR", None, "INV-1001");
    paid.end_to_end_id = Some("E2E-1".into());
    case.receipts = vec![receipt(&paid)];
    let m = case.run().matches.remove(0);
    case.memory.remember_applied(&m, "auto", d(2026, 10, 2));
    assert_eq!(case.memory.forget_applied_before(d(2026, 10, 2)), 0);
    assert_eq!(case.memory.forget_applied_before(d(2026, 12, 1)), 1);
    case.invoices.clear();
    case.receipts = vec![receipt(&returned(&paid, "BR-9", d(2026, 12, 5)))];
    assert_eq!(
        case.run().unmatched_for("bank:BR-9").unwrap().reason,
        UnmatchedReason::ReversalOfUnknown
    );
}
