//! Workbooks as accountants keep them, written in the test with rust_xlsxwriter, read back
//! through calamine; and the companion workbook written next to them.
// Helpers outside #[test] functions build fixtures; a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic, clippy::type_complexity)]

use arsync_model::{
    CollectionAction, CollectionState, CollectionTask, Currency, DocumentStatus, ItemKind, Money,
    OverdueStatus, TaskState,
};
use arsync_sheets::{
    Cell, DateOrder, Field, HeaderRow, SheetOptions, Source, companion_bytes, companion_path,
    read_items, read_table, write_companion,
};
use chrono::NaiveDate;
use rust_decimal_macros::dec;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::io::{Read, Write};
use std::path::Path;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A German "Offene Posten" export: a title, a blank line, headers, dates as real date
/// cells, amounts as numbers, a credit note as a negative amount and a sum line.
fn offene_posten_workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let sheet = book.add_worksheet();
    sheet.set_name("Offene Posten").unwrap();
    sheet
        .write_string(0, 0, "Offene Posten Debitoren per 23.11.2026")
        .unwrap();
    let headers = [
        "Rechnungsnr.",
        "Kundennr.",
        "Kunde",
        "Rechnungsdatum",
        "Fällig am",
        "Betrag",
        "Offener Betrag",
        "Währung",
    ];
    for (c, h) in (0u16..).zip(headers) {
        sheet.write_string(2, c, h).unwrap();
    }
    let rows: [(
        &str,
        &str,
        &str,
        (u16, u8, u8),
        (u16, u8, u8),
        f64,
        f64,
        &str,
    ); 4] = [
        (
            "RE-2026-101",
            "10001",
            "Müller Maschinenbau GmbH",
            (2026, 9, 1),
            (2026, 10, 1),
            11900.0,
            11900.0,
            "EUR",
        ),
        (
            "RE-2026-102",
            "10002",
            "Dupont SARL",
            (2026, 10, 5),
            (2026, 11, 4),
            2380.5,
            1000.25,
            "EUR",
        ),
        (
            "RE-2026-103",
            "10003",
            "Tanaka Trading K.K.",
            (2026, 10, 10),
            (2026, 12, 9),
            1250000.0,
            1250000.0,
            "JPY",
        ),
        (
            "GS-2026-7",
            "10001",
            "Müller Maschinenbau GmbH",
            (2026, 10, 12),
            (2026, 10, 12),
            -595.0,
            -595.0,
            "EUR",
        ),
    ];
    for (r, row) in (3u32..).zip(rows) {
        sheet.write_string(r, 0, row.0).unwrap();
        sheet.write_string(r, 1, row.1).unwrap();
        sheet.write_string(r, 2, row.2).unwrap();
        let (y, m, dd) = row.3;
        sheet
            .write_date_with_format(r, 3, ExcelDateTime::from_ymd(y, m, dd).unwrap(), &date)
            .unwrap();
        let (y, m, dd) = row.4;
        sheet
            .write_date_with_format(r, 4, ExcelDateTime::from_ymd(y, m, dd).unwrap(), &date)
            .unwrap();
        sheet.write_number(r, 5, row.5).unwrap();
        sheet.write_number(r, 6, row.6).unwrap();
        sheet.write_string(r, 7, row.7).unwrap();
    }
    sheet.write_string(7, 2, "Summe").unwrap();
    sheet.write_number(7, 6, 13305.25).unwrap();
    let other = book.add_worksheet();
    other.set_name("Notizen").unwrap();
    other.write_string(0, 0, "nothing to see").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn a_german_open_items_workbook_is_read_below_its_title_with_dates_and_amounts_exact() {
    let bytes = offene_posten_workbook();
    let options = SheetOptions {
        connection: "buchhaltung".into(),
        ..SheetOptions::default()
    };
    let f = read_items(
        Source::Bytes {
            name: "op.xlsx",
            bytes: &bytes,
        },
        &options,
    )
    .unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert_eq!(f.invoices.len(), 3);
    assert_eq!(f.credit_notes.len(), 1);
    let partly = &f.invoices[1];
    assert_eq!(partly.number, "RE-2026-102");
    assert_eq!(partly.customer_id, "10002");
    assert_eq!(partly.customer_name.as_deref(), Some("Dupont SARL"));
    assert_eq!(
        (partly.issue_date, partly.due_date),
        (d(2026, 10, 5), d(2026, 11, 4))
    );
    assert_eq!(
        (partly.total, partly.open_amount),
        (dec!(2380.5), dec!(1000.25))
    );
    assert_eq!(partly.origin.connection, "buchhaltung");
    let yen = &f.invoices[2];
    assert_eq!((yen.currency.code(), yen.total), ("JPY", dec!(1250000)));
    let credit = &f.credit_notes[0];
    assert_eq!(
        (credit.number.as_str(), credit.total, credit.status),
        ("GS-2026-7", dec!(595), DocumentStatus::Open)
    );
    // Two invoices and the credit note belong to three customers.
    assert_eq!(f.parties.len(), 3);
}

#[test]
fn a_named_sheet_is_read_and_a_missing_one_is_named_with_the_alternatives() {
    let bytes = offene_posten_workbook();
    let options = SheetOptions {
        sheet: Some("offene posten".into()),
        ..SheetOptions::default()
    };
    let t = read_table(
        Source::Bytes {
            name: "op.xlsx",
            bytes: &bytes,
        },
        &options,
    )
    .unwrap();
    assert_eq!((t.sheet.as_str(), t.header_row), ("Offene Posten", 3));
    assert_eq!(t.rows[0].cells[3], Cell::Date(d(2026, 9, 1)));
    let options = SheetOptions {
        sheet: Some("OP".into()),
        ..SheetOptions::default()
    };
    let err = read_table(
        Source::Bytes {
            name: "op.xlsx",
            bytes: &bytes,
        },
        &options,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("op.xlsx") && msg.contains("'OP'") && msg.contains("Notizen"),
        "{msg}"
    );
}

#[test]
fn unusual_headers_are_mapped_in_configuration_and_the_header_row_can_be_fixed() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "Beleg",
        "Debitor",
        "Belegdatum",
        "Zahlungsziel (Datum)",
        "Restsumme",
        "Whg",
    ];
    for (c, h) in (0u16..).zip(headers) {
        sheet.write_string(0, c, h).unwrap();
    }
    sheet.write_string(1, 0, "B-1").unwrap();
    sheet.write_string(1, 1, "Fa. Schulz").unwrap();
    sheet.write_string(1, 2, "01.10.2026").unwrap();
    sheet.write_string(1, 3, "31.10.2026").unwrap();
    sheet.write_string(1, 4, "1.234,56").unwrap();
    sheet.write_string(1, 5, "EUR").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let mut options = SheetOptions {
        header_row: HeaderRow::Row(1),
        ..SheetOptions::default()
    };
    let err = read_items(
        Source::Bytes {
            name: "b.xlsx",
            bytes: &bytes,
        },
        &options,
    )
    .unwrap_err();
    assert!(err.to_string().contains("due_date or terms"), "{err}");
    options.columns.insert(Field::InvoiceNumber, "Beleg".into());
    options
        .columns
        .insert(Field::DueDate, "Zahlungsziel (Datum)".into());
    options
        .columns
        .insert(Field::OpenAmount, "restsumme".into());
    options.columns.insert(Field::Currency, "Whg".into());
    let f = read_items(
        Source::Bytes {
            name: "b.xlsx",
            bytes: &bytes,
        },
        &options,
    )
    .unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert_eq!(f.invoices[0].open_amount, dec!(1234.56));
    assert_eq!(f.invoices[0].due_date, d(2026, 10, 31));
}

#[test]
fn us_text_dates_follow_the_configured_order() {
    let csv = "Invoice #,Customer,Invoice Date,Due Date,Balance,Currency\nU-1,Initech Inc,03/04/2026,04/03/2026,\"$1,500.00\",USD\n";
    let mdy = SheetOptions {
        date_order: DateOrder::Mdy,
        ..SheetOptions::default()
    };
    let f = read_items(
        Source::Bytes {
            name: "us.csv",
            bytes: csv.as_bytes(),
        },
        &mdy,
    )
    .unwrap();
    assert_eq!(
        (f.invoices[0].issue_date, f.invoices[0].due_date),
        (d(2026, 3, 4), d(2026, 4, 3))
    );
    // Read day-first, the same sheet would be due before it was issued: refused, not guessed.
    let f = read_items(
        Source::Bytes {
            name: "us.csv",
            bytes: csv.as_bytes(),
        },
        &SheetOptions::default(),
    )
    .unwrap();
    assert!(f.invoices.is_empty());
    assert!(
        f.problems[0].message.contains("before the issue date"),
        "{}",
        f.problems[0]
    );
}

/// Turns an xlsx written by rust_xlsxwriter into one in the 1904 date system.
fn to_1904(bytes: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        if name == "xl/workbook.xml" {
            let text = String::from_utf8(content).unwrap();
            assert!(text.contains("<workbookPr"), "{text}");
            content = text
                .replacen("<workbookPr", "<workbookPr date1904=\"1\"", 1)
                .into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn date_cells_of_a_1904_workbook_are_read_in_its_own_date_system() {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = book.add_worksheet();
    for (c, h) in (0u16..).zip([
        "Invoice No",
        "Customer",
        "Date",
        "Due Date",
        "Amount",
        "Currency",
    ]) {
        sheet.write_string(0, c, h).unwrap();
    }
    sheet.write_string(1, 0, "M-1").unwrap();
    sheet.write_string(1, 1, "Apple Orchard Ltd").unwrap();
    // 2026-10-24 and 2026-11-23 counted from 1904-01-01.
    sheet
        .write_number_with_format(1, 2, 46319.0 - 1462.0, &date)
        .unwrap();
    sheet
        .write_number_with_format(1, 3, 46349.0 - 1462.0, &date)
        .unwrap();
    sheet.write_number(1, 4, 99.99).unwrap();
    sheet.write_string(1, 5, "GBP").unwrap();
    let bytes = to_1904(&book.save_to_buffer().unwrap());
    let f = read_items(
        Source::Bytes {
            name: "mac.xlsx",
            bytes: &bytes,
        },
        &SheetOptions::default(),
    )
    .unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert_eq!(
        (f.invoices[0].issue_date, f.invoices[0].due_date),
        (d(2026, 10, 24), d(2026, 11, 23))
    );
}

fn status(number: &str, days: i64, open: &str, ccy: &str) -> OverdueStatus {
    OverdueStatus {
        connection: "books".into(),
        item_id: number.into(),
        number: number.into(),
        as_of: d(2026, 11, 23),
        days_overdue: days,
        bucket: if days <= 0 {
            "current".into()
        } else {
            "1-30".into()
        },
        state: if days <= 0 {
            CollectionState::Current
        } else {
            CollectionState::Overdue
        },
        ladder_step: (days > 0).then_some(1),
        action: (days > 0).then_some(CollectionAction::Reminder),
        open: Money::parse(open, ccy).unwrap(),
        interest: None,
        compensation: (days > 30).then(|| Money::parse("40", "EUR").unwrap()),
    }
}

fn task(key: &str, due: NaiveDate, priority: i64) -> CollectionTask {
    CollectionTask {
        key: key.into(),
        connection: "books".into(),
        customer_id: "10001".into(),
        customer_name: "Müller Maschinenbau GmbH".into(),
        items: vec![
            (ItemKind::Invoice, "RE-2026-101".into()),
            (ItemKind::CreditNote, "GS-2026-7".into()),
        ],
        action: CollectionAction::Reminder,
        tone: Some("firm".into()),
        step: Some(1),
        due,
        priority,
        amount: Money::new(dec!(11305.00), Currency::parse("EUR").unwrap()),
        summary: "Remind Müller of RE-2026-101, 53 days overdue".into(),
        state: TaskState::Open,
    }
}

fn cells_of(path: &Path, sheet: &str) -> Vec<Vec<Cell>> {
    let options = SheetOptions {
        sheet: Some(sheet.into()),
        header_row: HeaderRow::Row(1),
        ..SheetOptions::default()
    };
    let t = read_table(Source::Path(path), &options).unwrap();
    let mut all = vec![t.headers.iter().map(|h| Cell::Text(h.clone())).collect()];
    all.extend(t.rows.into_iter().map(|r| r.cells));
    all
}

#[test]
fn the_companion_workbook_is_written_beside_the_source_atomically_and_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("books.xlsx");
    std::fs::write(&source, offene_posten_workbook()).unwrap();
    let before = std::fs::read(&source).unwrap();
    let statuses = vec![
        status("RE-2026-102", 19, "1000.25", "EUR"),
        status("RE-2026-101", 53, "11900.00", "EUR"),
        status("RE-2026-103", -16, "1250000", "JPY"),
    ];
    let tasks = vec![
        task("t-b", d(2026, 11, 24), 5),
        task("t-a", d(2026, 11, 24), 9),
        task("t-c", d(2026, 11, 23), 1),
    ];

    let path = write_companion(&source, &statuses, &tasks).unwrap();
    assert_eq!(path, dir.path().join("books.arsync.xlsx"));
    assert_eq!(path, companion_path(&source));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        companion_bytes(&statuses, &tasks).unwrap()
    );
    assert_eq!(
        std::fs::read(&source).unwrap(),
        before,
        "the source workbook must not change"
    );
    let first = std::fs::read(&path).unwrap();

    // Re-running with the same input, in another order, gives the same bytes and leaves
    // the file in place.
    #[cfg(unix)]
    let inode = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&path).unwrap().ino()
    };
    let mut shuffled = statuses.clone();
    shuffled.reverse();
    let mut shuffled_tasks = tasks.clone();
    shuffled_tasks.rotate_left(1);
    write_companion(&source, &shuffled, &shuffled_tasks).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), first);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(&path).unwrap().ino(), inode);
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "no temporary file is left behind: {names:?}"
    );

    let status_rows = cells_of(&path, "Status");
    assert_eq!(status_rows[0][0], Cell::Text("Invoice".into()));
    let numbers: Vec<_> = status_rows[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(
        numbers,
        vec![
            Cell::Text("RE-2026-101".into()),
            Cell::Text("RE-2026-102".into()),
            Cell::Text("RE-2026-103".into())
        ]
    );
    assert_eq!(status_rows[1][3], Cell::Date(d(2026, 11, 23)));
    assert_eq!(status_rows[1][4], Cell::Number(dec!(53)));
    assert_eq!(status_rows[2][9], Cell::Number(dec!(1000.25)));
    assert_eq!(status_rows[1][12], Cell::Number(dec!(40)));

    let task_rows = cells_of(&path, "Tasks");
    let keys: Vec<_> = task_rows[1..].iter().map(|r| r[13].clone()).collect();
    assert_eq!(
        keys,
        vec![
            Cell::Text("t-c".into()),
            Cell::Text("t-a".into()),
            Cell::Text("t-b".into())
        ]
    );
    assert_eq!(
        task_rows[1][7],
        Cell::Text("RE-2026-101, credit note GS-2026-7".into())
    );

    // A change in the input replaces the companion by a new file, renamed into place.
    write_companion(&source, &statuses[..1], &tasks).unwrap();
    assert_ne!(std::fs::read(&path).unwrap(), first);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_ne!(std::fs::metadata(&path).unwrap().ino(), inode);
    }
    assert_eq!(cells_of(&path, "Status").len(), 2);
}

#[test]
fn a_companion_that_cannot_be_written_says_where_and_leaves_the_source_alone() {
    let source = Path::new("/nonexistent-arsync-dir/books.xlsx");
    let err = write_companion(source, &[], &[]).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("/nonexistent-arsync-dir/books.arsync.xlsx") && msg.contains("not touched"),
        "{msg}"
    );
}

#[test]
fn a_macro_enabled_workbook_on_disk_is_read_by_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Debitoren.xlsm");
    std::fs::write(&path, offene_posten_workbook()).unwrap();
    let f = read_items(Source::Path(&path), &SheetOptions::default()).unwrap();
    assert_eq!(f.invoices.len(), 3);
    assert!(
        f.invoices
            .iter()
            .all(|i| i.origin.external_id.starts_with("RE-2026-"))
    );
}
