//! Writes the demo's sample books, `config/demo/books.xlsx`: the open-items list of a
//! German machine builder with customers in Germany, the UK, France, the USA, Switzerland
//! and Japan, invoices in EUR, GBP, USD, CHF and JPY issued from June to November 2026,
//! due dates spread over every aging bucket as of 2026-11-23, some partly paid, and three
//! credit notes.
//!
//! ```text
//! cargo run -p arsync-sheets --example demo_books [-- <output path>]
//! ```
//!
//! The output is deterministic: the same program writes the same bytes, and a test checks
//! that the committed workbook is what this program writes.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use std::path::PathBuf;

/// A customer of the demo company.
pub(crate) struct Customer {
    /// Customer number.
    pub(crate) id: &'static str,
    /// Name.
    pub(crate) name: &'static str,
    /// ISO 3166 country.
    pub(crate) country: &'static str,
    /// Billing e-mail.
    pub(crate) email: &'static str,
}

/// The customers, one to three per country.
pub(crate) const CUSTOMERS: [Customer; 10] = [
    Customer {
        id: "C-1001",
        name: "Hansa Logistik GmbH",
        country: "DE",
        email: "buchhaltung@hansa-logistik.example",
    },
    Customer {
        id: "C-1002",
        name: "Rheinwerk Automation AG",
        country: "DE",
        email: "kreditoren@rheinwerk.example",
    },
    Customer {
        id: "C-2001",
        name: "Thames Precision Ltd",
        country: "GB",
        email: "accounts@thames-precision.example",
    },
    Customer {
        id: "C-2002",
        name: "Pennine Foods plc",
        country: "GB",
        email: "payables@penninefoods.example",
    },
    Customer {
        id: "C-3001",
        name: "Ateliers Dufour SARL",
        country: "FR",
        email: "compta@ateliers-dufour.example",
    },
    Customer {
        id: "C-3002",
        name: "Lumière Emballages SA",
        country: "FR",
        email: "fournisseurs@lumiere-emb.example",
    },
    Customer {
        id: "C-4001",
        name: "Great Lakes Tooling Inc.",
        country: "US",
        email: "ap@greatlakestooling.example",
    },
    Customer {
        id: "C-4002",
        name: "Cascade Robotics LLC",
        country: "US",
        email: "invoices@cascaderobotics.example",
    },
    Customer {
        id: "C-5001",
        name: "Alpenblick Präzision AG",
        country: "CH",
        email: "kreditoren@alpenblick.example",
    },
    Customer {
        id: "C-6001",
        name: "Sakura Seimitsu K.K.",
        country: "JP",
        email: "keiri@sakura-seimitsu.example",
    },
];

/// One line of the open-items list.
pub(crate) struct Line {
    /// "Invoice" or "Credit Note".
    pub(crate) kind: &'static str,
    /// Document number.
    pub(crate) number: &'static str,
    /// Customer number.
    pub(crate) customer: &'static str,
    /// Issue date (y, m, d).
    pub(crate) issued: (u16, u8, u8),
    /// Payment terms in days (0 for credit notes).
    pub(crate) terms: u16,
    /// Currency.
    pub(crate) currency: &'static str,
    /// Total, as written (negative for credit notes).
    pub(crate) amount: &'static str,
    /// Still open, as written.
    pub(crate) due: &'static str,
    /// Invoice a credit note refers to.
    pub(crate) applies_to: &'static str,
}

const fn inv(
    number: &'static str,
    customer: &'static str,
    issued: (u16, u8, u8),
    terms: u16,
    currency: &'static str,
    amount: &'static str,
    due: &'static str,
) -> Line {
    Line {
        kind: "Invoice",
        number,
        customer,
        issued,
        terms,
        currency,
        amount,
        due,
        applies_to: "",
    }
}

const fn credit(
    number: &'static str,
    customer: &'static str,
    issued: (u16, u8, u8),
    currency: &'static str,
    amount: &'static str,
    due: &'static str,
    applies_to: &'static str,
) -> Line {
    Line {
        kind: "Credit Note",
        number,
        customer,
        issued,
        terms: 0,
        currency,
        amount,
        due,
        applies_to,
    }
}

/// The list. Days past due as of 2026-11-23 are noted at the end of each line.
pub(crate) const LINES: [Line; 34] = [
    inv(
        "NM-26-1001",
        "C-1001",
        (2026, 6, 3),
        30,
        "EUR",
        "4760.00",
        "4760.00",
    ), // 143
    inv(
        "NM-26-1002",
        "C-2001",
        (2026, 6, 10),
        30,
        "GBP",
        "2150.00",
        "650.00",
    ), // 136, part paid
    inv(
        "NM-26-1003",
        "C-4001",
        (2026, 6, 17),
        60,
        "USD",
        "12480.00",
        "12480.00",
    ), // 99
    inv(
        "NM-26-1004",
        "C-3001",
        (2026, 6, 24),
        30,
        "EUR",
        "1845.60",
        "0.00",
    ), // paid
    inv(
        "NM-26-1005",
        "C-5001",
        (2026, 7, 1),
        30,
        "CHF",
        "6300.00",
        "6300.00",
    ), // 115
    inv(
        "NM-26-1006",
        "C-6001",
        (2026, 7, 8),
        60,
        "JPY",
        "1980000",
        "1980000",
    ), // 78
    inv(
        "NM-26-1007",
        "C-1002",
        (2026, 7, 15),
        30,
        "EUR",
        "9520.00",
        "3520.00",
    ), // 101, part paid
    inv(
        "NM-26-1008",
        "C-2002",
        (2026, 7, 22),
        30,
        "GBP",
        "780.40",
        "780.40",
    ), // 94
    inv(
        "NM-26-1009",
        "C-4002",
        (2026, 8, 3),
        30,
        "USD",
        "3275.00",
        "3275.00",
    ), // 82
    inv(
        "NM-26-1010",
        "C-3002",
        (2026, 8, 10),
        30,
        "EUR",
        "2380.00",
        "2380.00",
    ), // 75
    inv(
        "NM-26-1011",
        "C-1001",
        (2026, 8, 17),
        30,
        "EUR",
        "1190.00",
        "1190.00",
    ), // 68
    inv(
        "NM-26-1012",
        "C-5001",
        (2026, 8, 24),
        30,
        "CHF",
        "2450.50",
        "1000.00",
    ), // 61, part paid
    inv(
        "NM-26-1013",
        "C-2001",
        (2026, 9, 1),
        30,
        "GBP",
        "5600.00",
        "5600.00",
    ), // 53
    inv(
        "NM-26-1014",
        "C-4001",
        (2026, 9, 7),
        30,
        "USD",
        "8940.00",
        "8940.00",
    ), // 47
    inv(
        "NM-26-1015",
        "C-6001",
        (2026, 9, 14),
        30,
        "JPY",
        "645000",
        "645000",
    ), // 40
    inv(
        "NM-26-1016",
        "C-1002",
        (2026, 9, 21),
        30,
        "EUR",
        "14280.00",
        "14280.00",
    ), // 33
    inv(
        "NM-26-1017",
        "C-3001",
        (2026, 9, 28),
        14,
        "EUR",
        "952.00",
        "452.00",
    ), // 42, part paid
    inv(
        "NM-26-1018",
        "C-2002",
        (2026, 10, 1),
        30,
        "GBP",
        "1320.00",
        "1320.00",
    ), // 23
    inv(
        "NM-26-1019",
        "C-4002",
        (2026, 10, 6),
        30,
        "USD",
        "4410.00",
        "4410.00",
    ), // 18
    inv(
        "NM-26-1020",
        "C-5001",
        (2026, 10, 12),
        30,
        "CHF",
        "3870.00",
        "3870.00",
    ), // 12
    inv(
        "NM-26-1021",
        "C-1001",
        (2026, 10, 19),
        14,
        "EUR",
        "2975.00",
        "2975.00",
    ), // 21
    inv(
        "NM-26-1022",
        "C-3002",
        (2026, 10, 23),
        30,
        "EUR",
        "7140.00",
        "7140.00",
    ), // 1
    inv(
        "NM-26-1023",
        "C-6001",
        (2026, 10, 26),
        30,
        "JPY",
        "312000",
        "312000",
    ), // due in 2 days
    inv(
        "NM-26-1024",
        "C-2001",
        (2026, 10, 30),
        30,
        "GBP",
        "940.00",
        "940.00",
    ), // due in 6 days
    inv(
        "NM-26-1025",
        "C-4001",
        (2026, 11, 2),
        30,
        "USD",
        "6120.00",
        "6120.00",
    ),
    inv(
        "NM-26-1026",
        "C-1002",
        (2026, 11, 5),
        30,
        "EUR",
        "5355.00",
        "0.00",
    ), // paid early
    inv(
        "NM-26-1027",
        "C-5001",
        (2026, 11, 10),
        30,
        "CHF",
        "1580.00",
        "1580.00",
    ),
    inv(
        "NM-26-1028",
        "C-3001",
        (2026, 11, 13),
        30,
        "EUR",
        "3213.00",
        "3213.00",
    ),
    inv(
        "NM-26-1029",
        "C-2002",
        (2026, 11, 17),
        30,
        "GBP",
        "2045.00",
        "2045.00",
    ),
    inv(
        "NM-26-1030",
        "C-4002",
        (2026, 11, 20),
        30,
        "USD",
        "990.00",
        "990.00",
    ),
    inv(
        "NM-26-1031",
        "C-1001",
        (2026, 11, 20),
        14,
        "EUR",
        "1428.00",
        "1428.00",
    ),
    credit(
        "GS-26-0001",
        "C-1001",
        (2026, 7, 20),
        "EUR",
        "-476.00",
        "-476.00",
        "NM-26-1001",
    ),
    credit(
        "GS-26-0002",
        "C-2001",
        (2026, 9, 15),
        "GBP",
        "-150.00",
        "-150.00",
        "NM-26-1013",
    ),
    credit(
        "GS-26-0003",
        "C-4001",
        (2026, 10, 5),
        "USD",
        "-480.00",
        "0.00",
        "NM-26-1014",
    ),
];

/// The ISO 11649 creditor reference (RF) for a document number's digits.
pub(crate) fn rf_reference(number: &str) -> String {
    let body: String = number.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut digits = String::new();
    for c in body.chars().chain("RF00".chars()) {
        match c.to_digit(36) {
            Some(v) => digits.push_str(&v.to_string()),
            None => return String::new(),
        }
    }
    let remainder = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .fold(0u32, |acc, d| (acc * 10 + d) % 97);
    format!("RF{:02}{}", 98 - remainder, body)
}

fn add_days(date: (u16, u8, u8), days: u16) -> Result<ExcelDateTime, XlsxError> {
    let mut d = ExcelDateTime::from_ymd(date.0, date.1, date.2)?.to_excel();
    d += f64::from(days);
    ExcelDateTime::from_serial_datetime(d)
}

/// The workbook's bytes.
pub(crate) fn demo_books() -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    book.set_properties(
        &DocProperties::new()
            .set_title("Nordlicht Maschinenbau GmbH: open items")
            .set_creation_datetime(&ExcelDateTime::from_ymd(2026, 11, 23)?),
    );
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let cents = Format::new().set_num_format("#,##0.00");
    let yen = Format::new().set_num_format("#,##0");
    let sheet = book.add_worksheet();
    sheet.set_name("Open items")?;
    sheet.write_string_with_format(
        0,
        0,
        "Nordlicht Maschinenbau GmbH: open items as of 23.11.2026",
        &bold,
    )?;
    let headers = [
        "Type",
        "Invoice No",
        "Customer ID",
        "Customer",
        "Country",
        "Email",
        "Invoice Date",
        "Due Date",
        "Terms",
        "Currency",
        "Amount",
        "Amount Due",
        "Payment Reference",
        "Applies To",
    ];
    for (col, h) in (0u16..).zip(headers) {
        sheet.write_string_with_format(2, col, h, &bold)?;
        sheet.set_column_width(col, if col == 3 || col == 5 { 30.0 } else { 14.0 })?;
    }
    for (row, line) in (3u32..).zip(LINES.iter()) {
        let customer = CUSTOMERS.iter().find(|c| c.id == line.customer);
        sheet.write_string(row, 0, line.kind)?;
        sheet.write_string(row, 1, line.number)?;
        sheet.write_string(row, 2, line.customer)?;
        if let Some(c) = customer {
            sheet.write_string(row, 3, c.name)?;
            sheet.write_string(row, 4, c.country)?;
            sheet.write_string(row, 5, c.email)?;
        }
        sheet.write_datetime_with_format(
            row,
            6,
            ExcelDateTime::from_ymd(line.issued.0, line.issued.1, line.issued.2)?,
            &date,
        )?;
        sheet.write_datetime_with_format(row, 7, add_days(line.issued, line.terms)?, &date)?;
        if line.terms > 0 {
            sheet.write_string(row, 8, format!("Net {}", line.terms))?;
        }
        sheet.write_string(row, 9, line.currency)?;
        let format = if line.currency == "JPY" { &yen } else { &cents };
        let amount: f64 = line
            .amount
            .parse()
            .map_err(|_| XlsxError::ParameterError(line.amount.into()))?;
        let due: f64 = line
            .due
            .parse()
            .map_err(|_| XlsxError::ParameterError(line.due.into()))?;
        sheet.write_number_with_format(row, 10, amount, format)?;
        sheet.write_number_with_format(row, 11, due, format)?;
        if line.kind == "Invoice" {
            sheet.write_string(row, 12, rf_reference(line.number))?;
        }
        if !line.applies_to.is_empty() {
            sheet.write_string(row, 13, line.applies_to)?;
        }
    }
    sheet.set_freeze_panes(3, 0)?;
    book.save_to_buffer()
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../config/demo/books.xlsx"
            ))
        },
        PathBuf::from,
    );
    std::fs::write(&out, demo_books()?)?;
    Ok(())
}
