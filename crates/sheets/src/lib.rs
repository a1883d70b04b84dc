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
//!
//! ```
//! use arsync_sheets::{read_items, SheetOptions, Source};
//!
//! let csv = "Rechnungsnr.;Kunde;Rechnungsdatum;Fällig am;Betrag;Offener Betrag;Währung\n\
//!            RE-1;Müller GmbH;01.10.2026;31.10.2026;1.190,00;590,00;EUR\n\
//!            RE-2;Müller GmbH;02.10.2026;31.02.2026;100,00;100,00;EUR\n";
//! let options = SheetOptions { connection: "books".into(), ..SheetOptions::default() };
//! let items = read_items(Source::Bytes { name: "op.csv", bytes: csv.as_bytes() }, &options)?;
//! assert_eq!(items.invoices[0].open_amount.to_string(), "590.00");
//! // The impossible due date is reported with its place, and the rest is read.
//! assert_eq!(items.problems[0].to_string(),
//!     "op.csv row 3, column 'Fällig am' (due_date): '31.02.2026' is not a date: not a real date \
//!      (read as day/month/year) (value '31.02.2026'); enter a real date (2026-11-23, 23.11.2026) \
//!      or set `date_order` for this connection");
//! # Ok::<(), arsync_sheets::SheetsError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod amount;
mod columns;
mod companion;
mod date;
mod error;
mod guard;
mod items;
mod stream;
mod table;

pub use amount::{DecimalHint, ParsedAmount, parse_amount, parse_amount_with_currency};
pub use columns::{ColumnMap, Field, detect_columns, normalize_header};
pub use companion::{companion_bytes, companion_path, write_companion};
pub use date::{DateOrder, DateSystem, parse_date, parse_serial};
pub use error::SheetsError;
pub use guard::{MAX_DECOMPRESSED_BYTES, MAX_USED_CELLS};
pub use items::{
    ItemsFile, RowProblem, read_items, read_items_as, read_items_from_table,
    read_items_from_table_as,
};
pub use table::{
    Cell, HeaderRow, Row, SheetKind, SheetOptions, Source, Table, list_sheets, read_table,
};

/// Result with this crate's error.
pub type Result<T, E = SheetsError> = std::result::Result<T, E>;
