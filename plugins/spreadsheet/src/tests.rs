//! The plugin driven through its real `extern "C"` table against a mock host.

use super::*;
use arsync_model::{
    CollectionAction, CollectionState, Currency, Decimal, DocumentStatus, ItemKind, Money,
    OverdueStatus, TaskState,
};
use arsync_sdk::testing::{MockHost, round_trip};
use serde_json::json;
use std::str::FromStr;
use std::sync::Arc;

fn plugin_error(err: arsync_sdk::client::CallError) -> PluginError {
    match err {
        arsync_sdk::client::CallError::Plugin(e) => e,
        other => panic!("not a plugin error: {other}"),
    }
}

const FIXTURE: &str = include_str!("../tests/fixtures/receivables.csv");

fn host() -> Arc<MockHost> {
    Arc::new(MockHost::new().with_file("books/receivables.csv", FIXTURE))
}

fn settings() -> serde_json::Value {
    json!({"path": "books/receivables.csv", "decimal": "comma"})
}

fn eur(amount: &str) -> Money {
    Money::new(
        Decimal::from_str(amount).unwrap(),
        Currency::parse("EUR").unwrap(),
    )
}

fn status(item: &str, as_of: (i32, u32, u32), days: i64) -> OverdueStatus {
    OverdueStatus {
        connection: CONNECTION.into(),
        item_id: item.into(),
        number: item.into(),
        as_of: NaiveDate::from_ymd_opt(as_of.0, as_of.1, as_of.2).unwrap(),
        days_overdue: days,
        bucket: "1-30".into(),
        state: CollectionState::Overdue,
        ladder_step: Some(1),
        action: Some(CollectionAction::Reminder),
        open: eur("1190.00"),
        interest: None,
        compensation: None,
    }
}

fn task(key: &str) -> CollectionTask {
    CollectionTask {
        key: key.into(),
        connection: CONNECTION.into(),
        customer_id: "Brauerei Hahn GmbH".into(),
        customer_name: "Brauerei Hahn GmbH".into(),
        items: vec![(ItemKind::Invoice, "RE-2026-101".into())],
        action: CollectionAction::Reminder,
        tone: Some("friendly".into()),
        step: Some(1),
        due: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        priority: 2,
        amount: eur("1071.00"),
        summary: "Remind about RE-2026-101".into(),
        state: TaskState::Open,
    }
}

#[test]
fn open_items_are_delivered_and_the_impossible_due_date_is_reported_with_its_row() {
    let plugin = round_trip::<Spreadsheet>();
    let mut instance = plugin.create(host(), &settings()).unwrap();
    let page = instance.pull(Stream::Invoices, None).unwrap();
    let numbers: Vec<String> = page
        .items
        .iter()
        .map(|r| match r {
            Record::Invoice(i) => i.number.clone(),
            other => panic!("not an invoice: {other:?}"),
        })
        .collect();
    assert_eq!(numbers, ["RE-2026-101", "RE-2026-102", "RE-2026-103"]);
    assert_eq!(page.problems.len(), 1, "{:?}", page.problems);
    let problem = &page.problems[0];
    assert_eq!(problem.kind, ErrorKind::InvalidData);
    let at = problem.position.as_deref().unwrap();
    assert_eq!(at.source.as_deref(), Some("books/receivables.csv"));
    assert_eq!(at.line, Some(5));
    assert_eq!(at.field.as_deref(), Some("due_date"));
    assert!(
        problem.message.contains("31.02.2026"),
        "{}",
        problem.message
    );
}

#[test]
fn an_unchanged_file_yields_an_empty_page_and_an_edited_one_is_delivered_again() {
    let host = host();
    let plugin = round_trip::<Spreadsheet>();
    let mut instance = plugin.create(host.clone(), &settings()).unwrap();
    let first = instance.pull(Stream::CreditNotes, None).unwrap();
    assert_eq!(first.items.len(), 1);
    let cursor = first.next_cursor.clone().unwrap();
    let again = instance.pull(Stream::CreditNotes, Some(&cursor)).unwrap();
    assert!(again.items.is_empty() && again.next_cursor.is_none());

    let edited = FIXTURE.replace("-119,00", "-238,00");
    let host = Arc::new(MockHost::new().with_file("books/receivables.csv", edited));
    let mut instance = plugin.create(host, &settings()).unwrap();
    let page = instance.pull(Stream::CreditNotes, Some(&cursor)).unwrap();
    match &page.items[..] {
        [Record::CreditNote(cn)] => {
            assert_eq!(cn.total.abs(), Decimal::from_str("238.00").unwrap())
        }
        other => panic!("{other:?}"),
    }
    assert_ne!(page.next_cursor.as_deref(), Some(cursor.as_str()));
}

#[test]
fn a_payment_is_allocated_to_the_invoice_it_names_and_each_customer_comes_once() {
    let plugin = round_trip::<Spreadsheet>();
    let mut instance = plugin.create(host(), &settings()).unwrap();
    let page = instance.pull(Stream::Payments, None).unwrap();
    let [Record::Payment(p)] = &page.items[..] else {
        panic!("{:?}", page.items)
    };
    assert_eq!(p.amount, eur("595.00"));
    assert_eq!(p.allocations.len(), 1);
    assert_eq!(p.allocations[0].item_id, "RE-2026-102");
    let customers = instance.pull(Stream::Customers, None).unwrap();
    let names: Vec<String> = customers
        .items
        .iter()
        .map(|r| match r {
            Record::Party(p) => p.name.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    // Tanaka KK's only row was skipped for its impossible due date, so it is not a customer yet.
    assert_eq!(names, ["Brauerei Hahn GmbH", "Globex Ltd"]);
}

#[test]
fn a_status_pushed_twice_is_written_once_and_survives_a_new_instance() {
    let host = host();
    let plugin = round_trip::<Spreadsheet>();
    let mut instance = plugin.create(host.clone(), &settings()).unwrap();
    let item = PushItem {
        idempotency_key: "books/status/RE-2026-101/2026-11-23".into(),
        record: Outgoing::OverdueStatus(status("RE-2026-101", (2026, 11, 23), 23)),
    };
    let first = instance
        .push(PushAction::Status, vec![item.clone()])
        .unwrap();
    assert_eq!(first[0].outcome, PushOutcome::Applied);
    let workbook = host.file("books/receivables.arsync.xlsx").unwrap();
    assert!(workbook.starts_with(b"PK"), "an xlsx is a zip");
    let journal: Journal =
        serde_json::from_slice(&host.file("books/receivables.arsync.json").unwrap()).unwrap();
    assert_eq!(journal.statuses["RE-2026-101"].days_overdue, 23);

    let mut later = plugin.create(host.clone(), &settings()).unwrap();
    let second = later.push(PushAction::Status, vec![item]).unwrap();
    assert_eq!(second[0].outcome, PushOutcome::AlreadyApplied);
    assert_eq!(second[0].external_id, first[0].external_id);
    assert_eq!(
        host.file("books/receivables.arsync.xlsx").unwrap(),
        workbook
    );
}

#[test]
fn a_late_older_status_does_not_replace_the_newer_one_and_tasks_join_the_same_companion() {
    let host = host();
    let plugin = round_trip::<Spreadsheet>();
    let mut instance = plugin.create(host.clone(), &settings()).unwrap();
    let newer = PushItem {
        idempotency_key: "s/2".into(),
        record: Outgoing::OverdueStatus(status("RE-2026-101", (2026, 11, 23), 23)),
    };
    let older = PushItem {
        idempotency_key: "s/1".into(),
        record: Outgoing::OverdueStatus(status("RE-2026-101", (2026, 11, 16), 16)),
    };
    let results = instance
        .push(PushAction::Status, vec![newer, older])
        .unwrap();
    assert!(results.iter().all(|r| r.outcome == PushOutcome::Applied));
    let t = PushItem {
        idempotency_key: "t/1".into(),
        record: Outgoing::CollectionTask(task("books/Brauerei Hahn GmbH/RE-2026-101/1")),
    };
    let results = instance.push(PushAction::Task, vec![t]).unwrap();
    assert_eq!(results[0].outcome, PushOutcome::Applied);
    let journal: Journal =
        serde_json::from_slice(&host.file("books/receivables.arsync.json").unwrap()).unwrap();
    assert_eq!(journal.statuses["RE-2026-101"].days_overdue, 23);
    assert_eq!(journal.tasks.len(), 1);
    assert_eq!(journal.applied.len(), 3);
}

#[test]
fn a_task_sent_to_push_status_fails_alone_and_the_rest_of_the_batch_is_written() {
    let host = host();
    let plugin = round_trip::<Spreadsheet>();
    let mut instance = plugin.create(host.clone(), &settings()).unwrap();
    let wrong = PushItem {
        idempotency_key: "wrong".into(),
        record: Outgoing::CollectionTask(task("k")),
    };
    let right = PushItem {
        idempotency_key: "right".into(),
        record: Outgoing::OverdueStatus(status("RE-2026-102", (2026, 11, 23), 19)),
    };
    let results = instance
        .push(PushAction::Status, vec![wrong, right])
        .unwrap();
    assert_eq!(results[0].outcome, PushOutcome::Failed);
    assert_eq!(
        results[0].error.as_ref().unwrap().kind,
        ErrorKind::InvalidData
    );
    assert_eq!(results[1].outcome, PushOutcome::Applied);
}

#[test]
fn a_sheet_without_a_due_date_column_names_the_columns_setting() {
    let host = Arc::new(MockHost::new().with_file(
        "aging.csv",
        "Invoice No,Customer,Date,Amount,Currency\n1,A,2026-01-01,1,EUR\n",
    ));
    let plugin = round_trip::<Spreadsheet>();
    let mut instance = plugin.create(host, &json!({"path": "aging.csv"})).unwrap();
    let err = instance.pull(Stream::Invoices, None).unwrap_err();
    let e = plugin_error(err);
    assert_eq!(e.kind, ErrorKind::InvalidConfig);
    assert_eq!(
        e.position.as_ref().and_then(|p| p.field.as_deref()),
        Some("columns")
    );
}

#[test]
fn an_unknown_setting_is_refused_through_the_abi() {
    let plugin = round_trip::<Spreadsheet>();
    let err = plugin
        .create(
            host(),
            &json!({"path": "books/receivables.csv", "sheet_name": "AR"}),
        )
        .unwrap_err();
    let e = plugin_error(err);
    assert_eq!(e.kind, ErrorKind::InvalidConfig);
    assert!(e.message.contains("sheet_name"), "{e}");
}

fn invoice_numbers_and_status(page: &Page) -> Vec<(String, DocumentStatus)> {
    page.items
        .iter()
        .map(|r| match r {
            Record::Invoice(i) => (i.number.clone(), i.status),
            other => panic!("not an invoice: {other:?}"),
        })
        .collect()
}

#[test]
fn an_invoice_whose_row_was_removed_comes_back_as_deleted_on_the_next_pull() {
    let plugin = round_trip::<Spreadsheet>();
    let mut monday = plugin.create(host(), &settings()).unwrap();
    let first = monday.pull(Stream::Invoices, None).unwrap();
    let cursor = first.next_cursor.clone().unwrap();
    let journal = host_journal_after_first_pull();

    // By Tuesday RE-2026-102 was settled and dropped from the list of open items.
    let tuesday_file: String = FIXTURE
        .lines()
        .filter(|l| !l.contains("RE-2026-102;"))
        .map(|l| format!("{l}\n"))
        .collect();
    let tuesday_host = Arc::new(
        MockHost::new()
            .with_file("books/receivables.csv", tuesday_file)
            .with_file("books/receivables.arsync.json", journal),
    );
    let mut tuesday = plugin.create(tuesday_host.clone(), &settings()).unwrap();
    let page = tuesday.pull(Stream::Invoices, Some(&cursor)).unwrap();
    assert_eq!(
        invoice_numbers_and_status(&page),
        [
            ("RE-2026-101".into(), DocumentStatus::Open),
            ("RE-2026-103".into(), DocumentStatus::Open),
            ("RE-2026-102".into(), DocumentStatus::Deleted),
        ]
    );
    // The same pull again, in another process after a crash, gives the same tombstone.
    let mut retry = plugin.create(tuesday_host.clone(), &settings()).unwrap();
    let again = retry.pull(Stream::Invoices, Some(&cursor)).unwrap();
    assert_eq!(again.items, page.items);
    // Once delivered, the new version is the reference: nothing more to send.
    let done = retry
        .pull(Stream::Invoices, page.next_cursor.as_deref())
        .unwrap();
    assert!(done.items.is_empty());
}

/// The journal a first pull of the fixture leaves behind.
fn host_journal_after_first_pull() -> Vec<u8> {
    let host = host();
    let mut instance = round_trip::<Spreadsheet>()
        .create(host.clone(), &settings())
        .unwrap();
    instance.pull(Stream::Invoices, None).unwrap();
    host.file("books/receivables.arsync.json").unwrap()
}

#[test]
fn without_a_journal_removed_rows_cannot_be_told_and_the_log_says_how_to_fix_it() {
    let plugin = round_trip::<Spreadsheet>();
    let mut first = plugin.create(host(), &settings()).unwrap();
    let cursor = first
        .pull(Stream::Invoices, None)
        .unwrap()
        .next_cursor
        .unwrap();
    let edited = FIXTURE.replace("RE-2026-102;", "RE-2026-112;");
    let fresh = Arc::new(MockHost::new().with_file("books/receivables.csv", edited));
    let mut instance = plugin.create(fresh.clone(), &settings()).unwrap();
    let page = instance.pull(Stream::Invoices, Some(&cursor)).unwrap();
    assert_eq!(page.items.len(), 3);
    assert!(
        fresh
            .logs()
            .iter()
            .any(|(level, m)| *level == Level::Warn && m.contains("not sent as deleted")),
        "{:?}",
        fresh.logs()
    );
}

#[test]
fn an_edited_row_carries_no_ordered_version_so_the_store_replaces_it_by_content() {
    let plugin = round_trip::<Spreadsheet>();
    let mut instance = plugin.create(host(), &settings()).unwrap();
    let before = instance.pull(Stream::Invoices, None).unwrap();
    let edited = FIXTURE.replace("1.190,00", "1.290,00");
    let mut later = plugin
        .create(
            Arc::new(MockHost::new().with_file("books/receivables.csv", edited)),
            &settings(),
        )
        .unwrap();
    let after = later.pull(Stream::Invoices, None).unwrap();
    let origin = |page: &Page| match &page.items[0] {
        Record::Invoice(i) => i.origin.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(origin(&before).external_id, origin(&after).external_id);
    assert_eq!(origin(&after).source_version, None);
    assert_ne!(origin(&before).payload_hash, origin(&after).payload_hash);
}

fn ledger(numbers: impl Iterator<Item = usize>) -> String {
    let mut csv = String::from("Invoice No;Customer;Invoice Date;Due Date;Amount;Currency\n");
    for n in numbers {
        csv.push_str(&format!(
            "INV-{n:05};Kunde {};01.10.2026;31.10.2026;{},{:02};EUR\n",
            n % 40,
            100 + n,
            n % 100
        ));
    }
    csv
}

#[test]
fn in_a_large_ledger_the_settled_invoices_follow_the_open_ones_as_deleted_across_pages() {
    let plugin = round_trip::<Spreadsheet>();
    let settings = json!({"path": "ledger.csv", "decimal": "comma", "output": "."});
    let host = Arc::new(MockHost::new().with_file("ledger.csv", ledger(1..=1200)));
    let mut cursor: Option<String> = None;
    let mut instance = plugin.create(host.clone(), &settings).unwrap();
    loop {
        let page = instance.pull(Stream::Invoices, cursor.as_deref()).unwrap();
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    // Ten invoices were settled and left the list.
    let settled = [3, 77, 450, 501, 502, 900, 1001, 1100, 1199, 1200];
    let host = Arc::new(
        MockHost::new()
            .with_file(
                "ledger.csv",
                ledger((1..=1200).filter(|n| !settled.contains(n))),
            )
            .with_file(
                "ledger.arsync.json",
                host.file("ledger.arsync.json").unwrap(),
            ),
    );
    let mut open = 0;
    let mut deleted = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let mut fresh = plugin.create(host.clone(), &settings).unwrap();
        let page = fresh.pull(Stream::Invoices, cursor.as_deref()).unwrap();
        sizes.push(page.items.len());
        for (number, status) in invoice_numbers_and_status(&page) {
            match status {
                DocumentStatus::Deleted => deleted.push(number),
                _ => open += 1,
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(sizes, [500, 500, 200, 0]);
    assert_eq!(open, 1190);
    let expected: Vec<String> = settled.iter().map(|n| format!("INV-{n:05}")).collect();
    assert_eq!(deleted, expected);
}

#[test]
fn a_ledger_of_1200_invoices_is_paged_in_500s_and_a_fresh_process_resumes_mid_file() {
    let csv = ledger(1..=1200);
    let host = Arc::new(MockHost::new().with_file("ledger.csv", csv));
    let plugin = round_trip::<Spreadsheet>();
    let settings = json!({"path": "ledger.csv", "decimal": "comma"});
    let mut instance = plugin.create(host.clone(), &settings).unwrap();
    let first = instance.pull(Stream::Invoices, None).unwrap();
    assert_eq!(first.items.len(), 500);
    let mut numbers: Vec<String> = Vec::new();
    let mut collect = |page: &Page| {
        for (number, _) in invoice_numbers_and_status(page) {
            numbers.push(number);
        }
    };
    collect(&first);
    let mut cursor = first.next_cursor;
    let mut sizes = Vec::new();
    while let Some(c) = cursor {
        // Every page from a fresh instance, as if the agent restarted between pages.
        let mut fresh = plugin.create(host.clone(), &settings).unwrap();
        let page = fresh.pull(Stream::Invoices, Some(&c)).unwrap();
        sizes.push(page.items.len());
        collect(&page);
        cursor = page.next_cursor;
    }
    assert_eq!(sizes, [500, 200, 0]);
    let expected: Vec<String> = (1..=1200).map(|n| format!("INV-{n:05}")).collect();
    assert_eq!(numbers, expected);
}
