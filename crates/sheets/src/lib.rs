//! Spreadsheets as a source of open items and a target for collection status.
//!
//! This crate owns reading invoices, credit notes and payments from workbooks (xlsx, xlsm,
//! xlsb, xls, ods through calamine) and csv/tsv files: finding the header row, recognising
//! the columns accountants name in English, German and French, parsing the amounts and
//! dates they type, and reporting each bad row with its place while reading the rest. It
//! also writes the companion workbook (`<stem>.arsync.xlsx`) that carries overdue status
//! and collection tasks back next to the source, which itself is never modified.
//!
//! It is a pure library over bytes and files: it must not depend on the store, the agent,
//! the plugin runtime or any async machinery. The spreadsheet plugin and the CLI wrap it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod amount;
mod columns;
mod companion;
mod date;
mod error;
mod items;
mod table;

pub use amount::{DecimalHint, ParsedAmount, parse_amount, parse_amount_with_currency};
pub use columns::{ColumnMap, Field, detect_columns, normalize_header};
pub use companion::{companion_path, write_companion};
pub use date::{DateOrder, DateSystem, parse_date, parse_serial};
pub use error::SheetsError;
pub use items::{ItemsFile, RowProblem, read_items, read_items_from_table};
pub use table::{Cell, HeaderRow, Row, SheetOptions, Source, Table, read_table};

/// Result with this crate's error.
pub type Result<T, E = SheetsError> = std::result::Result<T, E>;
