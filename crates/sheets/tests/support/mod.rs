//! Workbooks the tests write themselves, in every format arsync reads: one description of
//! a workbook ([`Book`]) and a writer per format. xlsx/xlsm go through rust_xlsxwriter
//! and ods through spreadsheet-ods; xls (BIFF8) and xlsb (BIFF12) have no writer crate,
//! so [`xls`] and [`xlsb`] are small writers of their own, following [MS-XLS] and
//! [MS-XLSB] for the records a list of open items needs (shared strings, numbers, date
//! formats, formulas with their cached results, merged cells, several sheets).
//!
//! The xls and xlsb writers' output of [`receivables`] was checked once by hand with
//! readers other than calamine: xlrd 2.0.2 (with `formatting_info=True`: the merged ranges,
//! the `DD.MM.YYYY` format on the date XF, date cells as dates, both sheets, UTF-16 text)
//! and pyxlsb 1.0.10 (both sheets, every value, dates as serials).
//!
//! Used by the tests of arsync-sheets and of the spreadsheet plugin.
// Test support: a failure while writing a workbook is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unreachable_pub
)]

pub mod xls;
pub mod xlsb;

use chrono::NaiveDate;
use std::io::{Read, Write};

/// A cell's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text (a shared string in xlsx, xls and xlsb).
    Text(String),
    /// A number.
    Number(f64),
    /// A date cell: its serial number under a date format.
    Date(NaiveDate),
    /// A formula and the result the spreadsheet program saved with it.
    Formula(Formula, f64),
}

/// The formulas the test workbooks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formula {
    /// `=SUM(<col><first>:<col><last>)`, rows and column 0-based.
    Sum { col: u16, first: u32, last: u32 },
    /// `=<col><row>`, a reference to one cell.
    Ref { col: u16, row: u32 },
}

impl Formula {
    /// As typed in Excel, without the `=`.
    pub fn a1(self) -> String {
        match self {
            Formula::Sum { col, first, last } => {
                format!(
                    "SUM({c}{}:{c}{})",
                    first + 1,
                    last + 1,
                    c = column_name(col)
                )
            }
            Formula::Ref { col, row } => format!("{}{}", column_name(col), row + 1),
        }
    }

    /// In OpenFormula, as ods stores it.
    pub fn open_formula(self) -> String {
        match self {
            Formula::Sum { col, first, last } => format!(
                "of:=SUM([.{c}{}:.{c}{}])",
                first + 1,
                last + 1,
                c = column_name(col)
            ),
            Formula::Ref { col, row } => format!("of:=[.{}{}]", column_name(col), row + 1),
        }
    }
}

fn column_name(col: u16) -> String {
    let mut n = u32::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        out.push(char::from(b'A' + u8::try_from((n - 1) % 26).unwrap()));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// One sheet: cells by (row, column), 0-based, and merged ranges.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub cells: Vec<(u32, u16, Value)>,
    /// (first row, first column, last row, last column), inclusive.
    pub merges: Vec<(u32, u16, u32, u16)>,
}

impl Sheet {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    pub fn text(&mut self, row: u32, col: u16, text: &str) -> &mut Self {
        self.cells.push((row, col, Value::Text(text.to_owned())));
        self
    }

    pub fn number(&mut self, row: u32, col: u16, value: f64) -> &mut Self {
        self.cells.push((row, col, Value::Number(value)));
        self
    }

    pub fn date(&mut self, row: u32, col: u16, (y, m, d): (i32, u32, u32)) -> &mut Self {
        let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
        self.cells.push((row, col, Value::Date(date)));
        self
    }

    pub fn formula(&mut self, row: u32, col: u16, formula: Formula, cached: f64) -> &mut Self {
        self.cells.push((row, col, Value::Formula(formula, cached)));
        self
    }

    /// Text in the first cell of a merged range.
    pub fn merged(&mut self, row: u32, (first, last): (u16, u16), text: &str) -> &mut Self {
        self.text(row, first, text);
        self.merges.push((row, first, row, last));
        self
    }

    /// Cells in row-major order, as every format stores them.
    pub fn sorted_cells(&self) -> Vec<(u32, u16, Value)> {
        let mut cells = self.cells.clone();
        cells.sort_by_key(|(r, c, _)| (*r, *c));
        cells
    }
}

/// A workbook of one or more sheets.
#[derive(Debug, Clone, Default)]
pub struct Book {
    pub sheets: Vec<Sheet>,
}

/// Excel's serial number of a date in the 1900 date system.
pub fn excel_serial(date: NaiveDate) -> f64 {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    let days = (date - base).num_days();
    f64::from(i32::try_from(days).unwrap())
}

/// The formats a workbook can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xlsm,
    Xls,
    Xlsb,
    Ods,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Xlsx,
        Format::Xlsm,
        Format::Xls,
        Format::Xlsb,
        Format::Ods,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xls => "xls",
            Format::Xlsb => "xlsb",
            Format::Ods => "ods",
        }
    }

    pub fn write(self, book: &Book) -> Vec<u8> {
        match self {
            Format::Xlsx => write_xlsx(book),
            Format::Xlsm => macro_enabled(&write_xlsx(book)),
            Format::Xls => xls::write(book),
            Format::Xlsb => xlsb::write(book),
            Format::Ods => write_ods(book),
        }
    }
}

/// xlsx through rust_xlsxwriter.
pub fn write_xlsx(book: &Book) -> Vec<u8> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let mut wb = Workbook::new();
    let date = CellFormat::new().set_num_format("dd.mm.yyyy");
    for spec in &book.sheets {
        let sheet = wb.add_worksheet();
        sheet.set_name(&spec.name).unwrap();
        for (r, c, value) in spec.sorted_cells() {
            if let Some((_, _, r2, c2)) = spec.merges.iter().find(|m| m.0 == r && m.1 == c) {
                let Value::Text(t) = &value else {
                    panic!("merged cells hold text here")
                };
                sheet
                    .merge_range(r, c, *r2, *c2, t, &CellFormat::new())
                    .unwrap();
                continue;
            }
            match value {
                Value::Text(t) => sheet.write_string(r, c, t).map(|_| ()),
                Value::Number(n) => sheet.write_number(r, c, n).map(|_| ()),
                Value::Date(d) => sheet
                    .write_number_with_format(r, c, excel_serial(d), &date)
                    .map(|_| ()),
                Value::Formula(f, cached) => sheet
                    .write_formula(
                        r,
                        c,
                        rust_xlsxwriter::Formula::new(format!("={}", f.a1()))
                            .set_result(cached.to_string()),
                    )
                    .map(|_| ()),
            }
            .unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The xlsx package declared as a macro-enabled workbook, the one difference of an xlsm
/// without macros.
pub fn macro_enabled(xlsx: &[u8]) -> Vec<u8> {
    rewrite_zip(xlsx, |name, bytes| {
        if name == "[Content_Types].xml" {
            let text = String::from_utf8(bytes).unwrap();
            let from = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
            assert!(text.contains(from));
            text.replace(from, "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                .into_bytes()
        } else {
            bytes
        }
    })
}

/// Copies a zip, passing each part through `edit`.
pub fn rewrite_zip(zip: &[u8], mut edit: impl FnMut(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        let bytes = edit(&name, bytes);
        out.start_file(
            name,
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// ods through spreadsheet-ods: dates as date values, formulas in OpenFormula with their
/// results, merged cells as spans.
pub fn write_ods(book: &Book) -> Vec<u8> {
    use spreadsheet_ods::{Sheet as OdsSheet, WorkBook};
    let mut wb = WorkBook::new_empty();
    for spec in &book.sheets {
        let mut sheet = OdsSheet::new(spec.name.as_str());
        for (r, c, value) in spec.sorted_cells() {
            let c = u32::from(c);
            match value {
                Value::Text(t) => sheet.set_value(r, c, t),
                Value::Number(n) => sheet.set_value(r, c, n),
                Value::Date(d) => sheet.set_value(r, c, d),
                Value::Formula(f, cached) => {
                    sheet.set_value(r, c, cached);
                    sheet.set_formula(r, c, f.open_formula());
                }
            }
        }
        for (r1, c1, r2, c2) in &spec.merges {
            sheet.set_col_span(*r1, u32::from(*c1), u32::from(c2 - c1) + 1);
            sheet.set_row_span(*r1, u32::from(*c1), r2 - r1 + 1);
        }
        wb.push_sheet(sheet);
    }
    spreadsheet_ods::write_ods_buf(&mut wb, Vec::new()).unwrap()
}

/// Open items of a small exporter, as its accounting program exports them: merged title
/// and group header rows, date cells and dates typed as text, amounts as numbers and as
/// text with decimal commas, a blank row, a formula for an amount due, a subtotal and a
/// total line, a number as an invoice number, an impossible due date (row 11), a credit
/// note, and a second sheet of payments received.
pub fn receivables() -> Book {
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
pub fn receivables_csv(separator: char, decimal_comma: bool) -> String {
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
