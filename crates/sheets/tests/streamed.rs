//! xlsx sheets are mapped while a second thread reads them; whatever the sheet, that must
//! give the same records and problems, in the same order, and the same errors, as reading
//! the whole table first.
#![allow(clippy::unwrap_used, clippy::panic)]

use arsync_sheets::{
    HeaderRow, ItemsFile, SheetOptions, SheetsError, Source, read_items, read_items_from_table,
    read_table,
};
use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::io::{Read, Write};

/// What one row of the generated sheet holds.
#[derive(Debug, Clone)]
enum Line {
    Title,
    Header,
    Invoice { amount_cents: i64, bad_date: bool },
    Subtotal,
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        1 => Just(Line::Title),
        1 => Just(Line::Header),
        8 => (-50_000i64..5_000_000, proptest::bool::weighted(0.1))
            .prop_map(|(amount_cents, bad_date)| Line::Invoice { amount_cents, bad_date }),
        1 => Just(Line::Subtotal),
    ]
}

/// A sheet of the given lines at the given (ascending, gapped) rows.
fn workbook(lines: &[(u32, Line)]) -> Vec<u8> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let sheet = book.add_worksheet();
    for (n, (row, line)) in lines.iter().enumerate() {
        let row = *row;
        match line {
            Line::Title => {
                sheet
                    .write_string(row, 0, "Open items per 23.11.2026")
                    .unwrap();
            }
            Line::Header => {
                for (c, h) in (0u16..).zip([
                    "Invoice No",
                    "Customer",
                    "Due Date",
                    "Invoice Date",
                    "Amount Due",
                    "Currency",
                ]) {
                    sheet.write_string(row, c, h).unwrap();
                }
            }
            Line::Invoice {
                amount_cents,
                bad_date,
            } => {
                sheet.write_string(row, 0, format!("INV-{n}")).unwrap();
                sheet
                    .write_string(row, 1, ["Acme Ltd", "Dupont SARL"][n % 2])
                    .unwrap();
                if *bad_date {
                    sheet.write_string(row, 2, "31.02.2026").unwrap();
                } else {
                    let due = ExcelDateTime::from_ymd(2026, 10, 1 + u8::try_from(n % 28).unwrap())
                        .unwrap();
                    sheet.write_date_with_format(row, 2, &due, &date).unwrap();
                }
                let issued = ExcelDateTime::from_ymd(2026, 9, 1).unwrap();
                sheet
                    .write_date_with_format(row, 3, &issued, &date)
                    .unwrap();
                let amount: f64 = rust_decimal::Decimal::new(*amount_cents, 2)
                    .to_string()
                    .parse()
                    .unwrap();
                sheet.write_number(row, 4, amount).unwrap();
                sheet.write_string(row, 5, "EUR").unwrap();
            }
            Line::Subtotal => {
                sheet.write_string(row, 1, "Subtotal").unwrap();
                sheet.write_number(row, 4, 100.0).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn both_ways(
    bytes: &[u8],
    options: &SheetOptions,
) -> (Result<ItemsFile, String>, Result<ItemsFile, String>) {
    let source = Source::Bytes {
        name: "op.xlsx",
        bytes,
    };
    let streamed = read_items(source, options).map_err(|e: SheetsError| e.to_string());
    let whole = read_table(source, options)
        .and_then(|t| read_items_from_table(&t, options))
        .map_err(|e| e.to_string());
    (streamed, whole)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_sheet_reads_the_same_streamed_or_whole(
        lines in proptest::collection::vec((1u32..40, line()), 0..80),
        header_row in proptest::option::of(0usize..90),
    ) {
        // Gaps of 1..40 rows put headers below row 30 and rows across batch boundaries.
        let mut row = 0u32;
        let placed: Vec<(u32, Line)> = lines
            .into_iter()
            .map(|(gap, l)| {
                row += gap;
                (row - 1, l)
            })
            .collect();
        let bytes = workbook(&placed);
        let options = SheetOptions {
            header_row: header_row.map_or(HeaderRow::Auto, HeaderRow::Row),
            ..SheetOptions::default()
        };
        let (streamed, whole) = both_ways(&bytes, &options);
        prop_assert_eq!(streamed, whole);
    }
}

#[test]
fn a_ledger_longer_than_many_batches_reads_the_same_streamed_or_whole() {
    let mut lines = vec![(0, Line::Title), (2, Line::Header)];
    for i in 0..5_000u32 {
        let line = if i % 997 == 0 {
            Line::Subtotal
        } else {
            Line::Invoice {
                amount_cents: i64::from(i) * 37 - 1_000,
                bad_date: i % 1_500 == 7,
            }
        };
        lines.push((3 + i + i / 100, line));
    }
    let bytes = workbook(&lines);
    let (streamed, whole) = both_ways(&bytes, &SheetOptions::default());
    let streamed = streamed.unwrap();
    assert_eq!(Ok(&streamed), whole.as_ref());
    // 6 subtotal lines are passed over; the 27 negative amounts are credit notes, which
    // carry no due date, so only 3 of the 4 impossible due dates are problems.
    assert_eq!(streamed.credit_notes.len(), 27);
    assert_eq!(streamed.problems.len(), 3, "{:?}", streamed.problems);
    assert_eq!(streamed.invoices.len(), 4_994 - 27 - 3);
}

/// The xlsx with its sheet's first two data rows stored in the wrong order, as a
/// hand-edited or home-made file may have them.
fn rows_swapped(bytes: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut text = Vec::new();
        part.read_to_end(&mut text).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(text).unwrap();
            let second = xml.find("<row r=\"2\"").unwrap();
            let third = xml.find("<row r=\"3\"").unwrap();
            let fourth = xml.find("<row r=\"4\"").unwrap();
            let swapped = format!(
                "{}{}{}{}",
                &xml[..second],
                &xml[third..fourth],
                &xml[second..third],
                &xml[fourth..]
            );
            text = swapped.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&text).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn a_sheet_whose_rows_are_stored_out_of_order_is_read_whole_and_alike() {
    let lines = vec![
        (0, Line::Header),
        (
            1,
            Line::Invoice {
                amount_cents: 1_000,
                bad_date: false,
            },
        ),
        (
            2,
            Line::Invoice {
                amount_cents: 2_000,
                bad_date: true,
            },
        ),
        (
            3,
            Line::Invoice {
                amount_cents: 3_000,
                bad_date: false,
            },
        ),
    ];
    let bytes = rows_swapped(&workbook(&lines));
    let (streamed, whole) = both_ways(&bytes, &SheetOptions::default());
    let streamed = streamed.unwrap();
    assert_eq!(Ok(&streamed), whole.as_ref());
    let numbers: Vec<&str> = streamed
        .invoices
        .iter()
        .map(|i| i.number.as_str())
        .collect();
    assert_eq!(numbers, ["INV-1", "INV-3"]);
    assert_eq!(streamed.problems[0].row, 3);
}
