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
use support::{Book, Format, Formula, Sheet};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Open items of a small exporter, as its accounting program exports them.
fn receivables() -> Book {
    let mut items = Sheet::new("Offene Posten");
    items
        .merged(0, (0, 6), "Open items — Müller Export GmbH — 23.11.2026")
        .merged(1, (0, 1), "Document")
        .merged(1, (2, 3), "Dates")
        .merged(1, (4, 6), "Amounts");
    for (c, h) in (0u16..).zip([
        "Invoice No",
        "Customer",
        "Invoice Date",
        "Due Date",
        "Amount",
        "Amount Due",
        "Currency",
    ]) {
        items.text(2, c, h);
    }
    items
        // Dates as date cells, amounts as numbers.
        .text(3, 0, "F-1")
        .text(3, 1, "Société Générale")
        .date(3, 2, (2026, 9, 1))
        .date(3, 3, (2026, 10, 1))
        .number(3, 4, 1190.0)
        .number(3, 5, 1190.0)
        .text(3, 6, "EUR")
        // Dates typed as text, amounts typed as text with decimal commas.
        .text(4, 0, "F-2")
        .text(4, 1, "Globex Ltd")
        .text(4, 2, "15.09.2026")
        .text(4, 3, "15.10.2026")
        .text(4, 4, "1.850,50")
        .text(4, 5, "350,50")
        .text(4, 6, "GBP")
        // Row 6 is blank. The amount due is a formula over the amount.
        .text(6, 0, "F-3")
        .text(6, 1, "Initech Inc")
        .date(6, 2, (2026, 10, 1))
        .date(6, 3, (2026, 10, 31))
        .number(6, 4, 2000.0)
        .formula(6, 5, Formula::Ref { col: 4, row: 6 }, 2000.0)
        .text(6, 6, "USD")
        // A subtotal line between the groups.
        .text(7, 1, "Subtotal")
        .formula(
            7,
            5,
            Formula::Sum {
                col: 5,
                first: 3,
                last: 6,
            },
            3540.5,
        )
        // A number as the invoice number.
        .number(9, 0, 4711.0)
        .text(9, 1, "Tanaka KK")
        .date(9, 2, (2026, 10, 20))
        .date(9, 3, (2026, 11, 19))
        .number(9, 4, 150_000.0)
        .number(9, 5, 150_000.0)
        .text(9, 6, "JPY")
        // An impossible due date typed as text: reported, the rest still read.
        .text(10, 0, "F-5")
        .text(10, 1, "Société Générale")
        .date(10, 2, (2026, 10, 22))
        .text(10, 3, "31.02.2026")
        .number(10, 4, 10.0)
        .number(10, 5, 10.0)
        .text(10, 6, "EUR")
        // A credit note: a negative amount, no type column.
        .text(11, 0, "C-1")
        .text(11, 1, "Société Générale")
        .date(11, 2, (2026, 10, 5))
        .date(11, 3, (2026, 10, 5))
        .number(11, 4, -119.0)
        .number(11, 5, -119.0)
        .text(11, 6, "EUR")
        .text(12, 1, "Total")
        .formula(
            12,
            5,
            Formula::Sum {
                col: 5,
                first: 3,
                last: 11,
            },
            153_431.5,
        );

    let mut payments = Sheet::new("Zahlungen");
    for (c, h) in (0u16..).zip([
        "Zahlungsdatum",
        "Rechnungsnr.",
        "Kunde",
        "Betrag",
        "Währung",
    ]) {
        payments.text(0, c, h);
    }
    payments
        .date(1, 0, (2026, 10, 20))
        .text(1, 1, "F-2")
        .text(1, 2, "Globex Ltd")
        .number(1, 3, 1500.0)
        .text(1, 4, "GBP")
        .text(2, 0, "2026-10-25")
        .text(2, 1, "F-1")
        .text(2, 2, "Dvořák s.r.o.")
        .text(2, 3, "1.190,00")
        .text(2, 4, "EUR");
    Book {
        sheets: vec![items, payments],
    }
}

/// The open-items sheet as csv: what the program saves, all text.
fn receivables_csv(separator: char, decimal_comma: bool) -> String {
    let amount = |text: &str| {
        if decimal_comma {
            text.replace('.', ",")
        } else {
            text.to_owned()
        }
    };
    let s = separator;
    let mut out = String::new();
    out.push_str(&format!(
        "Open items — Müller Export GmbH — 23.11.2026{s}{s}{s}{s}{s}{s}\r\n"
    ));
    out.push_str(&format!("Document{s}{s}Dates{s}{s}Amounts{s}{s}\r\n"));
    out.push_str(&format!(
        "Invoice No{s}Customer{s}Invoice Date{s}Due Date{s}Amount{s}Amount Due{s}Currency\r\n"
    ));
    let rows = [
        [
            "F-1",
            "Société Générale",
            "01.09.2026",
            "01.10.2026",
            "1190.00",
            "1190.00",
            "EUR",
        ],
        [
            "F-2",
            "Globex Ltd",
            "15.09.2026",
            "15.10.2026",
            "1850.50",
            "350.50",
            "GBP",
        ],
        ["", "", "", "", "", "", ""],
        [
            "F-3",
            "Initech Inc",
            "01.10.2026",
            "31.10.2026",
            "2000.00",
            "2000.00",
            "USD",
        ],
        ["", "Subtotal", "", "", "", "3540.50", ""],
        ["", "", "", "", "", "", ""],
        [
            "4711",
            "Tanaka KK",
            "20.10.2026",
            "19.11.2026",
            "150000",
            "150000",
            "JPY",
        ],
        [
            "F-5",
            "Société Générale",
            "22.10.2026",
            "31.02.2026",
            "10.00",
            "10.00",
            "EUR",
        ],
        [
            "C-1",
            "Société Générale",
            "05.10.2026",
            "05.10.2026",
            "-119.00",
            "-119.00",
            "EUR",
        ],
        ["", "Total", "", "", "", "153431.50", ""],
    ];
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c = if (4..=5).contains(&i) {
                    amount(c)
                } else {
                    (*c).to_owned()
                };
                if c.contains(s) { format!("\"{c}\"") } else { c }
            })
            .collect();
        out.push_str(&cells.join(&s.to_string()));
        out.push_str("\r\n");
    }
    out
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
