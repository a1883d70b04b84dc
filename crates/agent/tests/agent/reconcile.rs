//! Matching receipts to invoices, recording each decision once.

use crate::support::{Book, FailingLoader, Ledger, date, invoice};
use arsync_agent::{AgentError, DecisionState};
use arsync_model::{Currency, Money, Origin, Payment, PaymentStatus};
use arsync_reconcile::Decision;
use arsync_store::{OutboxState, Record, Store};

fn payment(id: &str, customer: Option<&str>, amount: &str, reference: Option<&str>) -> Record {
    Record::Payment(Payment {
        origin: Origin::new("psp", id),
        customer_id: customer.map(str::to_owned),
        date: date(2026, 3, 2),
        amount: Money::new(amount.parse().unwrap(), Currency::parse("EUR").unwrap()),
        reference: reference.map(str::to_owned),
        method: Some("card".into()),
        book_rate: None,
        allocations: Vec::new(),
        status: PaymentStatus::Posted,
    })
}

/// A ledger of four invoices, two of them for 500.00 at different customers, and a
/// payment provider's feed with two receipts.
async fn book_with_receipts() -> Book {
    let book = Book::with(&[Ledger {
        name: "books",
        settings: "path = \"ledger.json\"\npage_size = 2",
    }])
    .await;
    let invoices = vec![
        invoice("INV-1001", "acme", "1000.00", date(2026, 2, 1)),
        invoice("INV-1002", "acme", "500.00", date(2026, 2, 15)),
        invoice("INV-1003", "brightside", "500.00", date(2026, 2, 20)),
        invoice("INV-1004", "brightside", "250.00", date(2026, 3, 1)),
    ];
    std::fs::write(
        book.dir.path().join("ledger.json"),
        serde_json::to_vec_pretty(&invoices).unwrap(),
    )
    .unwrap();
    let synced = book.agent().sync(&[]).await.unwrap();
    assert!(synced[0].is_complete(), "{:?}", synced[0]);
    book.store
        .apply_page(
            "psp",
            "payments",
            vec![
                payment("pay-1", Some("acme"), "1000.00", Some("Invoice INV-1001")),
                payment("pay-2", None, "500.00", None),
            ],
            None,
        )
        .await
        .unwrap();
    book
}

fn audit_kinds(entries: &[arsync_store::AuditEntry]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e.kind.starts_with("reconcile."))
        .map(|e| format!("{} {}", e.kind, e.subject))
        .collect()
}

#[tokio::test]
async fn reconciling_twice_gives_the_same_decisions_and_records_them_once() {
    let book = book_with_receipts().await;
    let as_of = date(2026, 3, 20);
    let first = book.agent().reconcile(as_of, false).await.unwrap();
    let paid = first
        .outcome
        .match_for("psp:pay-1")
        .expect("pay-1 is matched");
    assert_eq!(paid.allocations[0].number, "INV-1001");
    assert_eq!(first.new_decisions.len(), 2, "{:?}", first.outcome);
    let audit = book.store.audit_entries(0, 1000).await.unwrap();
    let recorded = audit_kinds(&audit);
    assert_eq!(recorded.len(), 2, "{recorded:?}");

    let second = book.agent().reconcile(as_of, false).await.unwrap();
    assert_eq!(second.outcome, first.outcome, "same inputs, same decisions");
    assert!(second.new_decisions.is_empty());
    assert_eq!(second.unchanged, 2);
    let audit = book.store.audit_entries(0, 1000).await.unwrap();
    assert_eq!(audit_kinds(&audit), recorded, "no new audit rows");
}

#[tokio::test]
async fn applying_with_books_that_cannot_take_payments_says_so_and_queues_nothing() {
    let book = book_with_receipts().await;
    let run = book
        .agent()
        .reconcile(date(2026, 3, 20), true)
        .await
        .unwrap();
    assert!(run.outcome.applied().count() >= 1, "{:?}", run.outcome);
    assert!(run.queued.is_empty());
    assert!(
        run.notes
            .iter()
            .any(|n| n.contains("push_payment") && n.contains("books")),
        "{:?}",
        run.notes
    );
    assert!(
        book.store
            .outbox_entries("books", None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_suggestion_is_confirmed_once_and_teaches_the_memory() {
    let book = book_with_receipts().await;
    let run = book
        .agent()
        .reconcile(date(2026, 3, 20), false)
        .await
        .unwrap();
    // 500.00 EUR is open at two customers and the payment names neither.
    let suggested = run.outcome.match_for("psp:pay-2").unwrap();
    assert_eq!(suggested.decision, Decision::Suggested);
    let receipt = suggested.receipt.id.clone();
    let (decision, _lessons) = book
        .agent()
        .confirm_match(&receipt, "controller")
        .await
        .unwrap();
    assert_eq!(decision.state, DecisionState::Confirmed);
    assert_eq!(decision.by, "controller");
    let memory = book.agent().memory().await.unwrap();
    assert!(memory.applied.iter().any(|a| a.receipt_id == receipt));

    let err = book
        .agent()
        .confirm_match(&receipt, "controller")
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::NoSuchMatch { .. }), "{err}");
    let rerun = book
        .agent()
        .reconcile(date(2026, 3, 20), false)
        .await
        .unwrap();
    assert!(
        rerun.outcome.match_for(&receipt).is_none(),
        "a settled receipt is left out"
    );
    assert_eq!(rerun.settled_before, 1);
    assert!(
        rerun
            .outcome
            .matches
            .iter()
            .all(|m| m.allocations.iter().all(|a| a.number != "INV-1002")),
        "the invoice it paid is taken as paid until the books say so"
    );
}

#[tokio::test]
async fn a_rejected_suggestion_is_not_raised_again() {
    let book = book_with_receipts().await;
    let as_of = date(2026, 3, 20);
    book.agent().reconcile(as_of, false).await.unwrap();
    let rejected = book
        .agent()
        .reject_match(
            "psp:pay-2",
            "controller",
            "the customer paid INV-1003, see call notes",
        )
        .await
        .unwrap();
    assert_eq!(rejected.state, DecisionState::Rejected);
    let audit_before = book.store.audit_entries(0, 1000).await.unwrap().len();

    let rerun = book.agent().reconcile(as_of, false).await.unwrap();
    assert!(rerun.new_decisions.is_empty());
    assert_eq!(
        book.store.audit_entries(0, 1000).await.unwrap().len(),
        audit_before
    );
    let kept = book.agent().decisions().await.unwrap();
    let pay2 = kept.iter().find(|d| d.receipt_id == "psp:pay-2").unwrap();
    assert_eq!(
        (pay2.state, pay2.by.as_str()),
        (DecisionState::Rejected, "controller")
    );
}

#[tokio::test]
async fn an_unknown_receipt_cannot_be_rejected() {
    let book = book_with_receipts().await;
    book.agent()
        .reconcile(date(2026, 3, 20), false)
        .await
        .unwrap();
    let err = book
        .agent()
        .reject_match("psp:nope", "controller", "not ours")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("psp:nope"), "{err}");
}

#[tokio::test]
async fn a_certain_match_is_written_back_to_the_books_once() {
    let book = book_with_receipts().await;
    let as_of = date(2026, 3, 20);
    let books = FailingLoader::taking_payments();
    let agent = book.agent().with_loader(books.clone());
    let run = agent.reconcile(as_of, true).await.unwrap();
    assert_eq!(run.queued.len(), 1, "{:?}", run.notes);
    let queued = &run.queued[0];
    assert_eq!(
        (queued.connection.as_str(), queued.action.as_str()),
        ("books", "payment")
    );
    assert!(
        queued
            .idempotency_key
            .starts_with("books/payment/psp:pay-1/")
    );
    let sent: Vec<_> = run.pushes.iter().flat_map(|p| &p.attempts).collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].outcome, "applied", "{:?}", sent[0]);
    let entry = book
        .store
        .outbox_item(&queued.idempotency_key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, OutboxState::Done);
    assert_eq!(entry.item.payload["allocations"][0]["item_id"], "INV-1001");

    let booked = books.payments.lock().unwrap().clone();
    assert_eq!(booked.len(), 1);
    let arsync_sdk::Outgoing::Payment(paid) = &booked[0].record else {
        panic!("{:?}", booked[0]);
    };
    assert_eq!(paid.amount.amount.to_string(), "1000.00");
    assert_eq!(paid.customer_id.as_deref(), Some("acme"));

    let again = agent.reconcile(as_of, true).await.unwrap();
    assert!(again.queued.is_empty());
    assert_eq!(again.settled_before, 1);
    assert_eq!(
        book.store
            .outbox_entries("books", None)
            .await
            .unwrap()
            .len(),
        1
    );
    let memory = agent.memory().await.unwrap();
    assert!(memory.applied.iter().any(|a| a.receipt_id == "psp:pay-1"));
}

#[tokio::test]
async fn a_dry_run_records_nothing_and_announces_what_the_real_run_does() {
    let book = book_with_receipts().await;
    let as_of = date(2026, 3, 20);
    let agent = book.agent().with_loader(FailingLoader::taking_payments());
    book.store.checkpoint().await.unwrap();
    let before = std::fs::read(book.store_file()).unwrap();

    let dry = agent.reconcile_dry_run(as_of, true).await.unwrap();
    assert!(dry.dry_run);
    assert_eq!(dry.new_decisions.len(), 2);
    assert_eq!(dry.queued.len(), 1);
    assert!(dry.pushes.is_empty());
    book.store.checkpoint().await.unwrap();
    assert!(
        std::fs::read(book.store_file()).unwrap() == before,
        "the store is unchanged"
    );

    let real = agent.reconcile(as_of, true).await.unwrap();
    assert_eq!(real.new_decisions, dry.new_decisions);
    assert_eq!(real.queued, dry.queued);
    assert_eq!(real.outcome, dry.outcome);
}
