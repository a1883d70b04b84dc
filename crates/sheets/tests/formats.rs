//! One receivables workbook, written by the test in every format arsync reads (xlsx, xlsm,
//! xls, xlsb, ods, and csv in the encodings and separators spreadsheet programs save), read
//! from a temporary folder: every format gives the same invoices, amounts, dates and row
//! problems. The workbook has what real exports have: merged title and group header
//! rows, blank and subtotal rows, formulas with cached results, numbers and dates typed
//! as text, decimal commas, dates as date cells and as text, and a second sheet.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use arsync_sheets::{Field, ItemsFile, SheetKind, SheetOptions, Source, read_items, read_items_as};
use chrono::NaiveDate;
use rust_decimal_macros::dec;
use support::{Format, receivables, receivables_csv};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// What every format must give for the open-items sheet.
fn assert_receivables(name: &str, f: &ItemsFile) {
    let invoices: Vec<(&str, &str, NaiveDate, NaiveDate, String, String, &str)> = f
        .invoices
        .iter()
        .map(|i| {
            (
                i.number.as_str(),
                i.customer_id.as_str(),
                i.issue_date,
                i.due_date,
                i.total.normalize().to_string(),
                i.open_amount.normalize().to_string(),
                i.currency.code(),
            )
        })
        .collect();
    assert_eq!(
        invoices,
        vec![
            (
                "F-1",
                "Société Générale",
                d(2026, 9, 1),
                d(2026, 10, 1),
                "1190".into(),
                "1190".into(),
                "EUR"
            ),
            (
                "F-2",
                "Globex Ltd",
                d(2026, 9, 15),
                d(2026, 10, 15),
                "1850.5".into(),
                "350.5".into(),
                "GBP"
            ),
            (
                "F-3",
                "Initech Inc",
                d(2026, 10, 1),
                d(2026, 10, 31),
                "2000".into(),
                "2000".into(),
                "USD"
            ),
            (
                "4711",
                "Tanaka KK",
                d(2026, 10, 20),
                d(2026, 11, 19),
                "150000".into(),
                "150000".into(),
                "JPY"
            ),
        ],
        "{name}"
    );
    assert_eq!(f.credit_notes.len(), 1, "{name}");
    assert_eq!(f.credit_notes[0].number, "C-1", "{name}");
    assert_eq!(f.credit_notes[0].total, dec!(119), "{name}");
    assert_eq!(f.problems.len(), 1, "{name}: {:?}", f.problems);
    let p = &f.problems[0];
    assert_eq!(
        (p.row, p.column.as_deref(), p.field),
        (11, Some("Due Date"), Some(Field::DueDate)),
        "{name}"
    );
    assert_eq!(p.value, "31.02.2026", "{name}");
    let customers: Vec<&str> = f.parties.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        customers,
        ["Société Générale", "Globex Ltd", "Initech Inc", "Tanaka KK"],
        "{name}"
    );
}

#[test]
fn the_same_receivables_read_alike_from_every_workbook_format_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let book = receivables();
    for format in Format::ALL {
        let name = format!("Debitoren.{}", format.extension());
        let path = dir.path().join(&name);
        std::fs::write(&path, format.write(&book)).unwrap();
        let f = read_items(Source::Path(&path), &SheetOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_receivables(&name, &f);
        assert_eq!(f.problems[0].sheet, "Offene Posten", "{name}");
        assert!(f.problems[0].file.ends_with(&name), "{name}");
    }
}

#[test]
fn the_payments_sheet_of_every_workbook_format_is_read_by_name() {
    let book = receivables();
    for format in Format::ALL {
        let name = format!("Debitoren.{}", format.extension());
        let bytes = format.write(&book);
        let options = SheetOptions {
            sheet: Some("zahlungen".into()),
            ..SheetOptions::default()
        };
        let f = read_items_as(
            Source::Bytes {
                name: &name,
                bytes: &bytes,
            },
            &options,
            SheetKind::Auto,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(f.problems.is_empty(), "{name}: {:?}", f.problems);
        let payments: Vec<(NaiveDate, String, &str, &str)> = f
            .payments
            .iter()
            .map(|p| {
                (
                    p.date,
                    p.amount.amount.normalize().to_string(),
                    p.amount.currency.code(),
                    p.allocations[0].item_id.as_str(),
                )
            })
            .collect();
        assert_eq!(
            payments,
            vec![
                (d(2026, 10, 20), "1500".into(), "GBP", "F-2"),
                (d(2026, 10, 25), "1190".into(), "EUR", "F-1"),
            ],
            "{name}"
        );
        assert_eq!(f.parties[1].name, "Dvořák s.r.o.", "{name}");
    }
}

#[test]
fn the_receivables_saved_as_csv_read_alike_in_each_encoding_and_separator() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>); 4] = [
        // Excel's "CSV UTF-8": a byte-order mark, commas, decimal points.
        (
            "utf8-bom.csv",
            [
                &[0xEF, 0xBB, 0xBF][..],
                receivables_csv(',', false).as_bytes(),
            ]
            .concat(),
        ),
        // German Excel's "CSV (Trennzeichen-getrennt)": Windows-1252, semicolons, commas.
        (
            "windows-1252.csv",
            encoding_rs::WINDOWS_1252
                .encode(&receivables_csv(';', true))
                .0
                .into_owned(),
        ),
        // Semicolons in UTF-8 without a mark, as LibreOffice saves them.
        ("semicolons.csv", receivables_csv(';', true).into_bytes()),
        ("tabs.tsv", receivables_csv('\t', false).into_bytes()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let f = read_items(Source::Path(&path), &SheetOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_receivables(name, &f);
    }
}

#[test]
fn the_test_writers_put_merges_formulas_and_dates_where_calamine_finds_them() {
    use calamine::{Data, Reader};
    let book = receivables();
    for format in [Format::Xlsx, Format::Xls, Format::Xlsb, Format::Ods] {
        let bytes = format.write(&book);
        let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            wb.sheet_names(),
            ["Offene Posten", "Zahlungen"],
            "{format:?}"
        );
        let range = wb.worksheet_range("Offene Posten").unwrap();
        let at = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        assert!(
            matches!(at(3, 2), Data::DateTime(_) | Data::DateTimeIso(_)),
            "{format:?}: {:?}",
            at(3, 2)
        );
        assert_eq!(at(7, 5), Data::Float(3540.5), "{format:?}");
        assert_eq!(at(4, 4), Data::String("1.850,50".into()), "{format:?}");
        if format != Format::Xlsb {
            // calamine reads no merged regions from xlsb; the writer puts them there all the same.
            let formulas = wb.worksheet_formula("Offene Posten").unwrap();
            let f = formulas.get_value((7, 5)).cloned().unwrap_or_default();
            assert!(f.to_ascii_uppercase().contains("SUM("), "{format:?}: {f}");
        }
    }
}
