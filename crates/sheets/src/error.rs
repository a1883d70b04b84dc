//! Errors of reading and writing spreadsheets. Each names the file (and sheet, row or
//! field where there is one) and says how to fix it.

/// Why a spreadsheet could not be read or written as a whole. Problems of single rows are
/// not errors: they are reported as [`crate::RowProblem`]s and the rest is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SheetsError {
    /// The file could not be opened or is not a workbook of a known format.
    #[error(
        "cannot open {file}: {reason} (arsync reads xlsx, xlsm, xlsb, xls, ods, csv and tsv; check the path and that the file is not open in another program)"
    )]
    Open {
        /// File name.
        file: String,
        /// What went wrong.
        reason: String,
    },
    /// The configured sheet does not exist.
    #[error(
        "{file} has no sheet '{sheet}'; its sheets are {available:?}: set `sheet` to one of them"
    )]
    SheetNotFound {
        /// File name.
        file: String,
        /// Sheet asked for.
        sheet: String,
        /// Sheets the workbook has.
        available: Vec<String>,
    },
    /// No row among the first 30 looks like a header row.
    #[error(
        "{file}{}: no header row found among the first 30 rows (arsync looks for headers such as 'Invoice No', 'Customer', 'Due Date', 'Amount Due'); set `header_row` to its row number and map the columns under `columns`",
        sheet_label(.sheet)
    )]
    NoHeaderRow {
        /// File name.
        file: String,
        /// Sheet name ("" for csv).
        sheet: String,
    },
    /// The configured header row is beyond the data.
    #[error("{file}{}: header_row is {row}, but the sheet has {rows} rows; set header_row to the row holding the column titles", sheet_label(.sheet))]
    HeaderRowOutOfRange {
        /// File name.
        file: String,
        /// Sheet name.
        sheet: String,
        /// Configured row.
        row: usize,
        /// Rows in the sheet.
        rows: usize,
    },
    /// Fields an open-items sheet needs have no column.
    #[error(
        "{file}{}: no column for {} (headers found: {headers:?}); map them under `columns` in the connection settings, e.g. due_date = \"Fällig am\"",
        sheet_label(.sheet),
        .missing.join(", ")
    )]
    MissingColumns {
        /// File name.
        file: String,
        /// Sheet name.
        sheet: String,
        /// Missing fields, as named in configuration.
        missing: Vec<String>,
        /// Headers the sheet has.
        headers: Vec<String>,
    },
    /// A configured column mapping names a header the sheet does not have.
    #[error(
        "{file}{}: columns.{field} names the header '{header}', which is not in the header row {headers:?}; correct the mapping",
        sheet_label(.sheet)
    )]
    MappedColumnNotFound {
        /// File name.
        file: String,
        /// Sheet name.
        sheet: String,
        /// The field mapped.
        field: String,
        /// The header it was mapped to.
        header: String,
        /// Headers the sheet has.
        headers: Vec<String>,
    },
    /// A csv file is malformed.
    #[error("{file} line {line}: {reason}; check quoting and the delimiter (set `delimiter`)")]
    Csv {
        /// File name.
        file: String,
        /// Line number.
        line: usize,
        /// What went wrong.
        reason: String,
    },
    /// Text is not an amount.
    #[error("'{text}' is not an amount: {reason}")]
    Amount {
        /// The text.
        text: String,
        /// Why.
        reason: String,
    },
    /// Text or a serial is not a date.
    #[error("'{text}' is not a date: {reason}")]
    Date {
        /// The text.
        text: String,
        /// Why.
        reason: String,
    },
    /// The workbook is beyond the sizes arsync reads, so it is refused before it can
    /// exhaust memory (see [`crate::MAX_DECOMPRESSED_BYTES`], [`crate::MAX_USED_CELLS`]).
    #[error(
        "{file} is refused: {what}, beyond the limit of {limit}; if the workbook is genuine, delete the stray cells far below or to the right of the list (Ctrl+End shows the last used cell) or save the list as csv"
    )]
    TooLarge {
        /// File name.
        file: String,
        /// What is too large, with the cell or size.
        what: String,
        /// The limit exceeded.
        limit: String,
    },
    /// The companion workbook could not be written.
    #[error("cannot write {path}: {reason}; the source workbook was not touched")]
    Write {
        /// Target path.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

fn sheet_label(sheet: &str) -> String {
    if sheet.is_empty() {
        String::new()
    } else {
        format!(" [sheet '{sheet}']")
    }
}
