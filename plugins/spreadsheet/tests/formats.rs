//! The spreadsheet plugin, loaded as the built library through the runtime, reads the
//! receivables workbook the tests write (crates/sheets/tests/support) in every format it
//! supports: the same invoices, credit note, customers and payments, and the bad row
//! reported with its file, sheet, row and column, in-process and in the plugin-host child.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

#[path = "../../../crates/sheets/tests/support/mod.rs"]
mod support;

use arsync_model::NaiveDate;
use arsync_runtime::conformance::Options;
use arsync_runtime::host::file_scope_from_settings;
use arsync_runtime::{HostConfig, Isolation, LoadOptions};
use arsync_sdk::{ErrorKind, PluginError, Record, Stream};
use serde_json::json;
use std::path::{Path, PathBuf};
use support::{Format, receivables, receivables_csv};

fn library() -> PathBuf {
    arsync_e2e::build_plugin("arsync-plugin-spreadsheet")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Every record of a stream, page by page, and the problems reported on the way.
fn pull_all(
    folder: &Path,
    settings: &serde_json::Value,
    isolation: Isolation,
    stream: Stream,
) -> (Vec<Record>, Vec<PluginError>) {
    let options = LoadOptions {
        host: HostConfig {
            connection: "receivables".into(),
            file_scope: file_scope_from_settings(settings),
            base_dir: folder.to_path_buf(),
            ..HostConfig::default()
        },
        ..Options::default().load
    };
    let mut plugin = arsync_runtime::load(&library(), isolation, &options).unwrap();
    plugin.create(settings).unwrap();
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let page = plugin.pull(stream, cursor.as_deref()).unwrap();
        records.extend(page.items);
        problems.extend(page.problems);
        cursor = page.next_cursor;
        if cursor.is_none() {
            return (records, problems);
        }
    }
    panic!("{stream:?} did not end within 100 pages");
}

type InvoiceLine = (String, String, NaiveDate, NaiveDate, String, String);

fn invoice_lines(records: &[Record]) -> Vec<InvoiceLine> {
    records
        .iter()
        .map(|r| match r {
            Record::Invoice(i) => (
                i.number.clone(),
                i.customer_id.clone(),
                i.issue_date,
                i.due_date,
                i.open_amount.normalize().to_string(),
                i.currency.to_string(),
            ),
            other => panic!("not an invoice: {other:?}"),
        })
        .collect()
}

fn expected_invoices() -> Vec<InvoiceLine> {
    let line = |n: &str, c: &str, i, due, open: &str, ccy: &str| {
        (
            n.to_owned(),
            c.to_owned(),
            i,
            due,
            open.to_owned(),
            ccy.to_owned(),
        )
    };
    vec![
        line(
            "F-1",
            "Société Générale",
            d(2026, 9, 1),
            d(2026, 10, 1),
            "1190",
            "EUR",
        ),
        line(
            "F-2",
            "Globex Ltd",
            d(2026, 9, 15),
            d(2026, 10, 15),
            "350.5",
            "GBP",
        ),
        line(
            "F-3",
            "Initech Inc",
            d(2026, 10, 1),
            d(2026, 10, 31),
            "2000",
            "USD",
        ),
        line(
            "4711",
            "Tanaka KK",
            d(2026, 10, 20),
            d(2026, 11, 19),
            "150000",
            "JPY",
        ),
    ]
}

/// The impossible due date, reported with the file, sheet, row and column.
fn assert_bad_row(name: &str, problems: &[PluginError], sheet: &str) {
    assert_eq!(problems.len(), 1, "{name}: {problems:?}");
    let p = &problems[0];
    assert_eq!(p.kind, ErrorKind::InvalidData, "{name}");
    let at = p.position.as_deref().unwrap();
    let source = if sheet.is_empty() {
        name.to_owned()
    } else {
        format!("{name} [sheet '{sheet}']")
    };
    assert_eq!(at.source.as_deref(), Some(source.as_str()), "{name}");
    assert_eq!(at.line, Some(11), "{name}");
    assert_eq!(at.field.as_deref(), Some("due_date"), "{name}");
    assert!(p.message.contains("31.02.2026"), "{name}: {}", p.message);
    assert!(p.message.contains("Due Date"), "{name}: {}", p.message);
}

#[test]
fn every_workbook_format_is_pulled_alike_through_the_plugin() {
    let folder = tempfile::tempdir().unwrap();
    let book = receivables();
    for format in Format::ALL {
        let name = format!("Debitoren.{}", format.extension());
        std::fs::write(folder.path().join(&name), format.write(&book)).unwrap();
        let settings = json!({ "path": name });
        let (invoices, problems) = pull_all(
            folder.path(),
            &settings,
            Isolation::InProcess,
            Stream::Invoices,
        );
        assert_eq!(invoice_lines(&invoices), expected_invoices(), "{name}");
        assert_bad_row(&name, &problems, "Offene Posten");
        let (notes, _) = pull_all(
            folder.path(),
            &settings,
            Isolation::InProcess,
            Stream::CreditNotes,
        );
        assert!(
            matches!(notes.as_slice(), [Record::CreditNote(c)] if c.number == "C-1" && c.total.to_string() == "119"),
            "{name}: {notes:?}"
        );
    }
}

#[test]
fn the_payments_sheet_is_pulled_by_name_from_every_workbook_format() {
    let folder = tempfile::tempdir().unwrap();
    let book = receivables();
    for format in Format::ALL {
        let name = format!("Debitoren.{}", format.extension());
        std::fs::write(folder.path().join(&name), format.write(&book)).unwrap();
        let settings = json!({ "path": name, "sheet": "Zahlungen" });
        let (payments, problems) = pull_all(
            folder.path(),
            &settings,
            Isolation::InProcess,
            Stream::Payments,
        );
        assert!(problems.is_empty(), "{name}: {problems:?}");
        let lines: Vec<(NaiveDate, String, String)> = payments
            .iter()
            .map(|r| match r {
                Record::Payment(p) => (
                    p.date,
                    format!("{} {}", p.amount.amount.normalize(), p.amount.currency),
                    p.allocations[0].item_id.clone(),
                ),
                other => panic!("not a payment: {other:?}"),
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                (d(2026, 10, 20), "1500 GBP".to_owned(), "F-2".to_owned()),
                (d(2026, 10, 25), "1190 EUR".to_owned(), "F-1".to_owned()),
            ],
            "{name}"
        );
    }
}

#[test]
fn the_binary_formats_read_alike_in_the_plugin_host_child() {
    let folder = tempfile::tempdir().unwrap();
    let book = receivables();
    for format in [Format::Xls, Format::Xlsb, Format::Ods] {
        let name = format!("Debitoren.{}", format.extension());
        std::fs::write(folder.path().join(&name), format.write(&book)).unwrap();
        let settings = json!({ "path": name });
        let (invoices, problems) = pull_all(
            folder.path(),
            &settings,
            Isolation::Process,
            Stream::Invoices,
        );
        assert_eq!(invoice_lines(&invoices), expected_invoices(), "{name}");
        assert_bad_row(&name, &problems, "Offene Posten");
    }
}

#[test]
fn csv_saved_in_each_encoding_is_pulled_alike_through_the_plugin() {
    let folder = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>); 3] = [
        (
            "utf8-bom.csv",
            [
                &[0xEF, 0xBB, 0xBF][..],
                receivables_csv(',', false).as_bytes(),
            ]
            .concat(),
        ),
        (
            "windows-1252.csv",
            encoding_rs::WINDOWS_1252
                .encode(&receivables_csv(';', true))
                .0
                .into_owned(),
        ),
        ("tabs.tsv", receivables_csv('\t', false).into_bytes()),
    ];
    for (name, bytes) in cases {
        std::fs::write(folder.path().join(name), bytes).unwrap();
        let settings = json!({ "path": name });
        let (invoices, problems) = pull_all(
            folder.path(),
            &settings,
            Isolation::InProcess,
            Stream::Invoices,
        );
        assert_eq!(invoice_lines(&invoices), expected_invoices(), "{name}");
        assert_bad_row(name, &problems, "");
    }
}
