//! Workbook shapes seen in real accounts-receivable exports, each written by the test
//! itself: merged title and group-header rows, blank lines and subtotals between customers,
//! formulas whose cached results are the amounts, numbers and dates typed as text, several
//! sheets in one book, and csv saved by Excel as "CSV UTF-8" (with a byte-order mark).
// Helpers outside #[test] functions build fixtures; a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use arsync_sheets::{Field, SheetOptions, Source, read_items, read_table};
use chrono::NaiveDate;
use rust_decimal_macros::dec;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Formula, Workbook, Worksheet};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn xlsx<'a>(name: &'static str, bytes: &'a [u8]) -> Source<'a> {
    Source::Bytes { name, bytes }
}

const HEADERS: [&str; 8] = [
    "Rechnungsnr.",
    "Kundennr.",
    "Kunde",
    "Rechnungsdatum",
    "Fällig am",
    "Betrag",
    "Offener Betrag",
    "Währung",
];

fn write_headers(sheet: &mut Worksheet, row: u32) {
    for (c, h) in (0u16..).zip(HEADERS) {
        sheet.write_string(row, c, h).unwrap();
    }
}

/// One invoice line with real date cells and number cells.
fn write_invoice(
    sheet: &mut Worksheet,
    row: u32,
    number: &str,
    customer: (&str, &str),
    dates: ((u16, u8, u8), (u16, u8, u8)),
    amounts: (f64, f64),
) {
    let date = Format::new().set_num_format("dd.mm.yyyy");
    sheet.write_string(row, 0, number).unwrap();
    sheet.write_string(row, 1, customer.0).unwrap();
    sheet.write_string(row, 2, customer.1).unwrap();
    let ((y1, m1, d1), (y2, m2, d2)) = dates;
    sheet
        .write_date_with_format(row, 3, ExcelDateTime::from_ymd(y1, m1, d1).unwrap(), &date)
        .unwrap();
    sheet
        .write_date_with_format(row, 4, ExcelDateTime::from_ymd(y2, m2, d2).unwrap(), &date)
        .unwrap();
    sheet.write_number(row, 5, amounts.0).unwrap();
    sheet.write_number(row, 6, amounts.1).unwrap();
    sheet.write_string(row, 7, "EUR").unwrap();
}

#[test]
fn merged_title_and_group_header_rows_above_the_column_titles_are_passed_over() {
    let mut book = Workbook::new();
    let centred = Format::new().set_align(FormatAlign::Center).set_bold();
    let sheet = book.add_worksheet();
    sheet
        .merge_range(
            0,
            0,
            0,
            7,
            "Offene Posten Debitoren — Stand 23.11.2026",
            &centred,
        )
        .unwrap();
    // A second header line groups the columns under merged captions.
    sheet.merge_range(1, 0, 1, 2, "Beleg", &centred).unwrap();
    sheet.merge_range(1, 3, 1, 4, "Termine", &centred).unwrap();
    sheet.merge_range(1, 5, 1, 7, "Beträge", &centred).unwrap();
    write_headers(sheet, 2);
    write_invoice(
        sheet,
        3,
        "RE-501",
        ("10001", "Müller GmbH"),
        ((2026, 9, 1), (2026, 10, 1)),
        (1190.0, 590.0),
    );
    write_invoice(
        sheet,
        4,
        "RE-502",
        ("10002", "Dupont SARL"),
        ((2026, 9, 2), (2026, 10, 2)),
        (250.0, 250.0),
    );
    let bytes = book.save_to_buffer().unwrap();

    let table = read_table(xlsx("op.xlsx", &bytes), &SheetOptions::default()).unwrap();
    assert_eq!(table.header_row, 3);
    assert_eq!(table.headers, HEADERS);
    let f = read_items(xlsx("op.xlsx", &bytes), &SheetOptions::default()).unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    let read: Vec<_> = f
        .invoices
        .iter()
        .map(|i| (i.number.as_str(), i.open_amount, i.due_date))
        .collect();
    assert_eq!(
        read,
        vec![
            ("RE-501", dec!(590), d(2026, 10, 1)),
            ("RE-502", dec!(250), d(2026, 10, 2)),
        ]
    );
}

#[test]
fn blank_lines_and_subtotals_between_customers_and_a_grand_total_are_not_invoices() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    write_headers(sheet, 0);
    write_invoice(
        sheet,
        1,
        "RE-601",
        ("10001", "Müller GmbH"),
        ((2026, 9, 1), (2026, 10, 1)),
        (1000.0, 1000.0),
    );
    write_invoice(
        sheet,
        2,
        "RE-602",
        ("10001", "Müller GmbH"),
        ((2026, 9, 5), (2026, 10, 5)),
        (500.0, 200.0),
    );
    // The subtotal names the customer, as DATEV and SAP lists do.
    sheet.write_string(3, 2, "Summe Müller GmbH").unwrap();
    sheet.write_number(3, 6, 1200.0).unwrap();
    write_invoice(
        sheet,
        5,
        "RE-603",
        ("10002", "Dupont SARL"),
        ((2026, 9, 9), (2026, 10, 9)),
        (80.0, 80.0),
    );
    sheet.write_string(6, 0, "Zwischensumme").unwrap();
    sheet.write_number(6, 6, 80.0).unwrap();
    write_invoice(
        sheet,
        8,
        "RE-604",
        ("10003", "Acme Ltd"),
        ((2026, 9, 10), (2026, 10, 10)),
        (15.5, 15.5),
    );
    sheet.write_string(9, 2, "Subtotal Acme Ltd").unwrap();
    sheet.write_number(9, 6, 15.5).unwrap();
    sheet.write_string(11, 2, "Gesamtsumme").unwrap();
    sheet.write_number(11, 6, 1295.5).unwrap();
    let bytes = book.save_to_buffer().unwrap();

    let f = read_items(xlsx("op.xlsx", &bytes), &SheetOptions::default()).unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    let numbers: Vec<_> = f.invoices.iter().map(|i| i.number.as_str()).collect();
    assert_eq!(numbers, vec!["RE-601", "RE-602", "RE-603", "RE-604"]);
    // The open items add up to the grand total the sheet shows.
    let open: rust_decimal::Decimal = f.invoices.iter().map(|i| i.open_amount).sum();
    assert_eq!(open, dec!(1295.5));
}

#[test]
fn amounts_computed_by_formulas_are_read_from_their_cached_results() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "Invoice No",
        "Customer",
        "Invoice Date",
        "Due Date",
        "Amount",
        "Paid",
        "Amount Due",
        "Currency",
    ];
    for (c, h) in (0u16..).zip(headers) {
        sheet.write_string(0, c, h).unwrap();
    }
    let rows = [
        ("INV-1", 1190.0, 600.0, "590"),
        ("INV-2", 99.99, 0.0, "99.99"),
    ];
    for (r, (number, total, paid, due)) in (1u32..).zip(rows) {
        sheet.write_string(r, 0, number).unwrap();
        sheet.write_string(r, 1, "Acme Ltd").unwrap();
        sheet.write_string(r, 2, "2026-09-01").unwrap();
        sheet.write_string(r, 3, "2026-10-01").unwrap();
        sheet.write_number(r, 4, total).unwrap();
        sheet.write_number(r, 5, paid).unwrap();
        let row = r + 1;
        sheet
            .write_formula(
                r,
                6,
                Formula::new(format!("=E{row}-F{row}")).set_result(due),
            )
            .unwrap();
        sheet.write_string(r, 7, "GBP").unwrap();
    }
    // A formula that failed in Excel: its error is reported at its cell, the rest is read.
    sheet.write_string(3, 0, "INV-3").unwrap();
    sheet.write_string(3, 1, "Acme Ltd").unwrap();
    sheet.write_string(3, 2, "2026-09-01").unwrap();
    sheet.write_string(3, 3, "2026-10-01").unwrap();
    sheet.write_number(3, 4, 10.0).unwrap();
    sheet
        .write_formula(3, 6, Formula::new("=E4/0").set_result("#DIV/0!"))
        .unwrap();
    sheet.write_string(3, 7, "GBP").unwrap();
    // The total line is a SUM formula.
    sheet.write_string(4, 1, "Total").unwrap();
    sheet
        .write_formula(4, 6, Formula::new("=SUM(G2:G4)").set_result("689.99"))
        .unwrap();
    let bytes = book.save_to_buffer().unwrap();

    let f = read_items(xlsx("ar.xlsx", &bytes), &SheetOptions::default()).unwrap();
    let read: Vec<_> = f
        .invoices
        .iter()
        .map(|i| (i.number.as_str(), i.total, i.open_amount))
        .collect();
    assert_eq!(
        read,
        vec![
            ("INV-1", dec!(1190), dec!(590)),
            ("INV-2", dec!(99.99), dec!(99.99))
        ]
    );
    assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
    let p = &f.problems[0];
    assert_eq!(
        (p.sheet.as_str(), p.row, p.column.as_deref(), p.field),
        ("Sheet1", 4, Some("Amount Due"), Some(Field::OpenAmount))
    );
    assert!(p.to_string().contains("#DIV/0!"), "{p}");
    assert!(
        p.to_string()
            .starts_with("ar.xlsx [sheet 'Sheet1'] row 4, column 'Amount Due'"),
        "{p}"
    );
}

#[test]
fn numbers_and_dates_typed_as_text_read_like_real_ones() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    write_headers(sheet, 0);
    // Every cell text, as a paste from another program leaves it (Excel's green triangle).
    let text_rows = [
        [
            "RE-701",
            "10001",
            "Müller GmbH",
            "01.10.2026",
            "31.10.2026",
            "1.190,00",
            " 590,50 ",
            "EUR",
        ],
        [
            "RE-702",
            "10001",
            "Müller GmbH",
            "2026-10-02",
            "2026-11-01",
            "1190",
            "1190.00",
            "EUR",
        ],
    ];
    for (r, cells) in (1u32..).zip(text_rows) {
        for (c, v) in (0u16..).zip(cells) {
            sheet.write_string(r, c, v).unwrap();
        }
    }
    // A numeric invoice and customer number are the digits shown, not "10023.0".
    sheet.write_number(3, 0, 10023.0).unwrap();
    sheet.write_number(3, 1, 10001.0).unwrap();
    sheet.write_string(3, 2, "Müller GmbH").unwrap();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    sheet
        .write_date_with_format(3, 3, ExcelDateTime::from_ymd(2026, 10, 3).unwrap(), &date)
        .unwrap();
    sheet.write_string(3, 4, "02.11.2026").unwrap();
    sheet.write_number(3, 5, 42.0).unwrap();
    sheet.write_string(3, 6, "42").unwrap();
    sheet.write_string(3, 7, "EUR").unwrap();
    let bytes = book.save_to_buffer().unwrap();

    let f = read_items(xlsx("op.xlsx", &bytes), &SheetOptions::default()).unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    let read: Vec<_> = f
        .invoices
        .iter()
        .map(|i| {
            (
                i.number.as_str(),
                i.customer_id.as_str(),
                i.issue_date,
                i.due_date,
                i.total,
                i.open_amount,
            )
        })
        .collect();
    assert_eq!(
        read,
        vec![
            (
                "RE-701",
                "10001",
                d(2026, 10, 1),
                d(2026, 10, 31),
                dec!(1190),
                dec!(590.5)
            ),
            (
                "RE-702",
                "10001",
                d(2026, 10, 2),
                d(2026, 11, 1),
                dec!(1190),
                dec!(1190)
            ),
            (
                "10023",
                "10001",
                d(2026, 10, 3),
                d(2026, 11, 2),
                dec!(42),
                dec!(42)
            ),
        ]
    );
}

#[test]
fn each_sheet_of_one_book_is_read_on_its_own_and_a_bad_row_names_its_sheet() {
    let mut book = Workbook::new();
    let items = book.add_worksheet();
    items.set_name("Offene Posten").unwrap();
    write_headers(items, 0);
    write_invoice(
        items,
        1,
        "RE-801",
        ("10001", "Müller GmbH"),
        ((2026, 9, 1), (2026, 10, 1)),
        (300.0, 300.0),
    );
    let payments = book.add_worksheet();
    payments.set_name("Zahlungseingänge").unwrap();
    for (c, h) in (0u16..).zip([
        "Zahlungsdatum",
        "Kundennr.",
        "Rechnungsnr.",
        "Betrag",
        "Währung",
    ]) {
        payments.write_string(0, c, h).unwrap();
    }
    let rows = [
        ("05.10.2026", "10001", "RE-801", "100,00"),
        ("06.10.2026", "10001", "RE-801", "hundert"),
        ("07.10.2026", "10001", "RE-801", "50,00"),
    ];
    for (r, (date, customer, invoice, amount)) in (1u32..).zip(rows) {
        payments.write_string(r, 0, date).unwrap();
        payments.write_string(r, 1, customer).unwrap();
        payments.write_string(r, 2, invoice).unwrap();
        payments.write_string(r, 3, amount).unwrap();
        payments.write_string(r, 4, "EUR").unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();

    let first = read_items(xlsx("book.xlsx", &bytes), &SheetOptions::default()).unwrap();
    assert_eq!(first.invoices.len(), 1);
    assert!(first.payments.is_empty());
    let options = SheetOptions {
        sheet: Some("Zahlungseingänge".into()),
        ..SheetOptions::default()
    };
    let second = read_items(xlsx("book.xlsx", &bytes), &options).unwrap();
    assert!(second.invoices.is_empty());
    let amounts: Vec<_> = second.payments.iter().map(|p| p.amount.amount).collect();
    assert_eq!(amounts, vec![dec!(100), dec!(50)]);
    assert_eq!(second.problems.len(), 1);
    let p = &second.problems[0];
    assert_eq!(
        (
            p.sheet.as_str(),
            p.row,
            p.column.as_deref(),
            p.value.as_str()
        ),
        ("Zahlungseingänge", 3, Some("Betrag"), "hundert")
    );
}

#[test]
fn a_csv_saved_as_csv_utf8_by_excel_keeps_its_first_header_despite_the_byte_order_mark() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        "Rechnungsnr.;Kunde;Rechnungsdatum;Fällig am;Betrag;Offener Betrag;Währung\r\n\
         RE-901;Société Générale;01.10.2026;31.10.2026;1.234,56;234,56;EUR\r\n"
            .as_bytes(),
    );
    let source = Source::Bytes {
        name: "op.csv",
        bytes: &bytes,
    };
    let table = read_table(source, &SheetOptions::default()).unwrap();
    assert_eq!(table.headers[0], "Rechnungsnr.");
    let f = read_items(source, &SheetOptions::default()).unwrap();
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert_eq!(f.invoices[0].number, "RE-901");
    assert_eq!(
        f.invoices[0].customer_name.as_deref(),
        Some("Société Générale")
    );
    assert_eq!(
        (f.invoices[0].total, f.invoices[0].open_amount),
        (dec!(1234.56), dec!(234.56))
    );
}
