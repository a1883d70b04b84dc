//! Reading one sheet of a workbook (xlsx, xlsm, xlsb, xls, ods) or a csv/tsv file into a
//! table of typed cells under a header row, found automatically below any title rows.

use crate::columns::{Field, recognised_count};
use crate::guard::{self, MAX_DECOMPRESSED_BYTES, MAX_USED_CELLS};
use crate::{DateOrder, DateSystem, DecimalHint, SheetsError};
use arsync_model::Currency;
use calamine::{Data, Reader};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

/// What the rows of a sheet are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetKind {
    /// Payments when the sheet has a payment date or amount column and neither due dates,
    /// terms nor a type column; open items otherwise.
    #[default]
    Auto,
    /// Invoices and credit notes (and payments, in rows a type column marks so).
    OpenItems,
    /// Payments received: every row is a payment, and an invoice number names the invoice
    /// it pays.
    Payments,
}

/// Where the header row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderRow {
    /// The row among the first 30 with the most recognised headers (at least two).
    #[default]
    Auto,
    /// This row, counted from 1 as the spreadsheet shows it.
    Row(usize),
}

/// How to read a sheet and map its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SheetOptions {
    /// Connection name recorded in every record's origin.
    pub connection: String,
    /// Sheet to read; the first sheet when absent.
    pub sheet: Option<String>,
    /// Where the header row is.
    pub header_row: HeaderRow,
    /// Field → header text, for headers arsync does not recognise by itself.
    pub columns: BTreeMap<Field, String>,
    /// Order of day and month in ambiguous numeric dates.
    pub date_order: DateOrder,
    /// Date system of serial numbers in cells not formatted as dates (and of csv serials).
    pub date_system: DateSystem,
    /// Currency of rows that name none.
    pub default_currency: Option<Currency>,
    /// Decimal separator of amounts written as text.
    pub decimal: DecimalHint,
    /// Field delimiter of csv files; guessed from the first line when absent.
    pub delimiter: Option<char>,
}

impl Default for SheetOptions {
    fn default() -> Self {
        Self {
            connection: "sheet".to_owned(),
            sheet: None,
            header_row: HeaderRow::Auto,
            columns: BTreeMap::new(),
            date_order: DateOrder::Dmy,
            date_system: DateSystem::Excel1900,
            default_currency: None,
            decimal: DecimalHint::Auto,
            delimiter: None,
        }
    }
}

/// A spreadsheet to read: a file on disk, or bytes with the file name they came under
/// (the name's extension chooses the format; it also names the file in messages).
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A file on disk.
    Path(&'a Path),
    /// File contents, e.g. handed over by the plugin host.
    Bytes {
        /// File name, with its extension.
        name: &'a str,
        /// Contents.
        bytes: &'a [u8],
    },
}

impl Source<'_> {
    /// The file name used in messages.
    pub fn name(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Bytes { name, .. } => (*name).to_owned(),
        }
    }

    pub(crate) fn extension(&self) -> String {
        let name = match self {
            Source::Path(p) => p.to_string_lossy().into_owned(),
            Source::Bytes { name, .. } => (*name).to_owned(),
        };
        Path::new(&name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// A cell's value as the spreadsheet typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text, trimmed.
    Text(String),
    /// A number, as Excel shows it (15 significant digits).
    Number(Decimal),
    /// A cell formatted as a date.
    Date(NaiveDate),
    /// A boolean.
    Bool(bool),
    /// A formula error (`#N/A`, `#DIV/0!`) or a date Excel cannot show.
    Error(String),
}

impl Cell {
    /// Whether the cell holds nothing.
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.is_empty(),
            _ => false,
        }
    }

    /// The cell as text, as it would be shown.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) | Cell::Error(t) => t.clone(),
            _ => {
                let mut out = String::new();
                self.write_text(&mut out);
                out
            }
        }
    }

    /// Appends [`Cell::text`] to `out` without a string of its own.
    pub(crate) fn write_text(&self, out: &mut String) {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = match self {
            Cell::Empty => Ok(()),
            Cell::Text(t) | Cell::Error(t) => out.write_str(t),
            Cell::Number(n) => write!(out, "{}", n.normalize()),
            Cell::Date(d) => write_date(out, *d),
            Cell::Bool(b) => write!(out, "{b}"),
        };
    }
}

/// `date` as chrono shows it (`2026-09-01`), without the formatting machinery for the
/// years every ledger has.
fn write_date(out: &mut String, date: NaiveDate) -> std::fmt::Result {
    use chrono::Datelike;
    use std::fmt::Write;
    let digit = |n: u32| char::from_digit(n % 10, 10).unwrap_or('0');
    match u32::try_from(date.year()) {
        Ok(y) if y <= 9999 => {
            for n in [y / 1000, y / 100, y / 10, y] {
                out.push(digit(n));
            }
            for n in [date.month(), date.day()] {
                out.push('-');
                out.push(digit(n / 10));
                out.push(digit(n));
            }
            Ok(())
        }
        _ => write!(out, "{date}"),
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Row number as the spreadsheet shows it (1-based; the csv line for csv files).
    pub number: usize,
    /// Cells, one per header (missing trailing cells are [`Cell::Empty`]).
    pub cells: Vec<Cell>,
}

/// A sheet read under its header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// File name, for messages.
    pub file: String,
    /// Sheet name ("" for csv).
    pub sheet: String,
    /// 1-based number of the header row.
    pub header_row: usize,
    /// Header texts.
    pub headers: Vec<String>,
    /// Data rows below the header, blank rows left out.
    pub rows: Vec<Row>,
}

/// Reads one sheet (or a csv/tsv file) into a table under its header row.
pub fn read_table(source: Source<'_>, options: &SheetOptions) -> Result<Table, SheetsError> {
    let file = source.name();
    let ext = source.extension();
    let (sheet, grid) = if matches!(ext.as_str(), "csv" | "tsv" | "txt") {
        let bytes = match source {
            Source::Path(p) => std::fs::read(p).map_err(|e| SheetsError::Open {
                file: file.clone(),
                reason: e.to_string(),
            })?,
            Source::Bytes { bytes, .. } => bytes.to_vec(),
        };
        (String::new(), read_csv(&file, &bytes, &ext, options)?)
    } else {
        read_workbook(source, &file, options)?
    };
    let header_index = match options.header_row {
        HeaderRow::Row(n) => {
            if n == 0 || n > grid.len() {
                return Err(SheetsError::HeaderRowOutOfRange {
                    file,
                    sheet,
                    row: n,
                    rows: grid.len(),
                });
            }
            n - 1
        }
        HeaderRow::Auto => find_header_row(&grid).ok_or_else(|| SheetsError::NoHeaderRow {
            file: file.clone(),
            sheet: sheet.clone(),
        })?,
    };
    let headers: Vec<String> = grid[header_index].iter().map(Cell::text).collect();
    let width = headers.len();
    let rows = grid
        .into_iter()
        .enumerate()
        .skip(header_index + 1)
        .filter(|(_, cells)| !cells.iter().all(Cell::is_empty))
        .map(|(i, mut cells)| {
            cells.resize(width.max(cells.len()), Cell::Empty);
            Row {
                number: i + 1,
                cells,
            }
        })
        .collect();
    Ok(Table {
        file,
        sheet,
        header_row: header_index + 1,
        headers,
        rows,
    })
}

fn find_header_row(grid: &[Vec<Cell>]) -> Option<usize> {
    best_header_row(
        grid.iter()
            .enumerate()
            .map(|(i, cells)| (i, cells.as_slice())),
    )
}

/// Among the rows (index, cells) in sheet order, the first of those among the first 30
/// with the most recognised headers, at least two.
pub(crate) fn best_header_row<'c>(
    rows: impl Iterator<Item = (usize, &'c [Cell])>,
) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, row) in rows.take_while(|(i, _)| *i < HEADER_SEARCH_ROWS) {
        let texts: Vec<String> = row
            .iter()
            .filter_map(|c| match c {
                Cell::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        let n = recognised_count(&texts);
        if n >= 2 && best.is_none_or(|(_, b)| n > b) {
            best = Some((i, n));
        }
    }
    best.map(|(i, _)| i)
}

/// How far down the header row is looked for.
pub(crate) const HEADER_SEARCH_ROWS: usize = 30;

fn read_workbook(
    source: Source<'_>,
    file: &str,
    options: &SheetOptions,
) -> Result<(String, Vec<Vec<Cell>>), SheetsError> {
    check_size(source, file)?;
    match source {
        Source::Path(p) => {
            let mut book = calamine::open_workbook_auto(p).map_err(|e| open_error(file, e))?;
            sheet_grid(&mut book, file, options)
        }
        Source::Bytes { bytes, .. } => {
            let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
                .map_err(|e| open_error(file, e))?;
            sheet_grid(&mut book, file, options)
        }
    }
}

/// Refuses a zip-based workbook that decompresses beyond the limit, before calamine
/// inflates any of it.
pub(crate) fn check_size(source: Source<'_>, file: &str) -> Result<(), SheetsError> {
    if !guard::is_zip_format(&source.extension()) {
        return Ok(());
    }
    match source {
        Source::Path(p) => {
            let f = std::fs::File::open(p).map_err(|e| open_error(file, e))?;
            guard::check_zip(std::io::BufReader::new(f), file, MAX_DECOMPRESSED_BYTES)
        }
        Source::Bytes { bytes, .. } => {
            guard::check_zip(Cursor::new(bytes), file, MAX_DECOMPRESSED_BYTES)
        }
    }
}

pub(crate) fn open_error(file: &str, e: impl std::fmt::Display) -> SheetsError {
    SheetsError::Open {
        file: file.to_owned(),
        reason: e.to_string(),
    }
}

/// The chosen sheet as rows of cells, row `i` of the sheet at index `i`. xlsx and xlsb
/// sheets are streamed cell by cell, so only cells that exist are held and an absurd used
/// range is refused at its first far-away cell; calamine holds xls and ods sheets whole.
fn sheet_grid<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    file: &str,
    options: &SheetOptions,
) -> Result<(String, Vec<Vec<Cell>>), SheetsError> {
    let name = pick_sheet_name(book, file, options)?;
    let sheet_err = |e: &dyn std::fmt::Display| SheetsError::Open {
        file: file.to_owned(),
        reason: format!("sheet '{name}': {e}"),
    };
    let mut grid = SparseGrid::new(file, &name);
    match book {
        calamine::Sheets::Xlsx(x) => {
            let mut cells = x.worksheet_cells_reader(&name).map_err(|e| sheet_err(&e))?;
            while let Some(c) = cells.next_cell().map_err(|e| sheet_err(&e))? {
                grid.put(c.get_position(), cell_from_ref(c.get_value()))?;
            }
        }
        calamine::Sheets::Xlsb(x) => {
            let mut cells = x.worksheet_cells_reader(&name).map_err(|e| sheet_err(&e))?;
            while let Some(c) = cells.next_cell().map_err(|e| sheet_err(&e))? {
                grid.put(c.get_position(), cell_from_ref(c.get_value()))?;
            }
        }
        other => {
            let range = other.worksheet_range(&name).map_err(|e| sheet_err(&e))?;
            for (r, c, data) in range.used_cells() {
                let (r0, c0) = range.start().unwrap_or((0, 0));
                let pos = (
                    r0.saturating_add(u32::try_from(r).unwrap_or(u32::MAX)),
                    c0.saturating_add(u32::try_from(c).unwrap_or(u32::MAX)),
                );
                grid.put(pos, cell_from_data(data))?;
            }
        }
    }
    let rows = grid.rows;
    Ok((name, rows))
}

/// Rows of cells filled as they arrive, holding each row only up to its last value.
struct SparseGrid<'a> {
    file: &'a str,
    sheet: &'a str,
    used: guard::UsedRange,
    rows: Vec<Vec<Cell>>,
    width: usize,
}

impl<'a> SparseGrid<'a> {
    fn new(file: &'a str, sheet: &'a str) -> Self {
        Self {
            file,
            sheet,
            used: guard::UsedRange::new(MAX_USED_CELLS),
            rows: Vec::new(),
            width: 0,
        }
    }

    fn put(&mut self, (row, col): (u32, u32), cell: Cell) -> Result<(), SheetsError> {
        if cell.is_empty() {
            return Ok(());
        }
        self.used.add(row, col, self.file, self.sheet)?;
        let (Ok(r), Ok(c)) = (usize::try_from(row), usize::try_from(col)) else {
            return Ok(());
        };
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        let cells = &mut self.rows[r];
        if cells.capacity() == 0 {
            // Rows of a list are alike: room for as many cells as the widest row so far.
            cells.reserve(self.width.max(c + 1));
        }
        if cells.len() <= c {
            cells.resize(c + 1, Cell::Empty);
        }
        cells[c] = cell;
        self.width = self.width.max(c + 1);
        Ok(())
    }
}

pub(crate) fn pick_sheet_name<RS: std::io::Read + std::io::Seek>(
    book: &calamine::Sheets<RS>,
    file: &str,
    options: &SheetOptions,
) -> Result<String, SheetsError> {
    let names = book.sheet_names();
    match &options.sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(wanted.trim()))
            .cloned()
            .ok_or_else(|| SheetsError::SheetNotFound {
                file: file.to_owned(),
                sheet: wanted.clone(),
                available: names.clone(),
            }),
        None => names.first().cloned().ok_or_else(|| SheetsError::Open {
            file: file.to_owned(),
            reason: "the workbook has no sheets".into(),
        }),
    }
}

/// A float as Excel shows it: rounded to 15 significant digits, then exact from there on.
pub(crate) fn decimal_from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    if let Some(d) = cents(value) {
        return Some(d);
    }
    // The shortest text that reads back as the same double: when it has at most 15
    // significant digits it is also the 15-digit rounding (the double lies within half a
    // unit in the 17th digit of it), and it is much cheaper to make than `{:.14e}`.
    let mut buffer = [0u8; 32];
    if let Some(text) = shortest(value, &mut buffer)
        && significant_digits(text) <= 15
        && let Ok(d) = text.parse::<Decimal>()
    {
        return Some(d.normalize());
    }
    let text = format!("{value:.14e}");
    Decimal::from_scientific(&text).ok().map(|d| d.normalize())
}

/// Most numbers in a ledger are amounts in whole cents: when `value` is exactly the double
/// that typing `k/100` gives, that is its 15-digit reading, found without any text. With
/// |k| < 10^15, k/100 has at most 15 significant digits, and the double lies within half
/// a unit in its 17th digit of it, so rounding the double to 15 digits gives k/100 back.
fn cents(value: f64) -> Option<Decimal> {
    let k = (value * 100.0).round();
    if k.abs() >= 1e15 || (k / 100.0).to_bits() != value.to_bits() {
        return None;
    }
    // k is a whole number of magnitude below 2^50: adding 1.5 × 2^52 puts it in the low
    // mantissa bits of a double in [2^52, 2^53), offset by 2^51, with no rounding.
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    const OFFSET: i64 = 1 << 51;
    let mantissa = (k + MAGIC).to_bits() & ((1u64 << 52) - 1);
    let cents = i64::try_from(mantissa).ok()? - OFFSET;
    Some(Decimal::new(cents, 2).normalize())
}

/// `value` in its shortest round-trip form, written into `buffer` without allocating;
/// `None` when it does not fit (very large or very small magnitudes).
fn shortest(value: f64, buffer: &mut [u8; 32]) -> Option<&str> {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(&mut buffer[..]);
    write!(cursor, "{value}").ok()?;
    let len = usize::try_from(cursor.position()).ok()?;
    std::str::from_utf8(&buffer[..len]).ok()
}

/// Significant digits of a plain decimal numeral ("-0.00120" has 2, "120000" has 2).
fn significant_digits(text: &str) -> usize {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
    let start = digits.iter().position(|&d| d != b'0');
    let end = digits.iter().rposition(|&d| d != b'0');
    match (start, end) {
        (Some(a), Some(b)) => b - a + 1,
        _ => 0,
    }
}

/// Date cells arrive converted in the workbook's own date system (calamine reads its 1904
/// flag); plain numbers are converted only where a date is expected, by the options.
fn cell_from_data(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.trim().to_owned()),
        Data::Int(i) => Cell::Number(Decimal::from(*i)),
        // The message is made only for the rare value that is no number (a lazy default).
        Data::Float(f) => {
            decimal_from_f64(*f).map_or_else(|| Cell::Error(format!("{f}")), Cell::Number)
        }
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => {
            if dt.is_duration() {
                return decimal_from_f64(dt.as_f64())
                    .map_or_else(|| Cell::Error("duration".into()), Cell::Number);
            }
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)).map_or_else(
                || {
                    Cell::Error(format!(
                        "{y:04}-{m:02}-{d:02} is not a real date (Excel's 1900 leap-year bug)"
                    ))
                },
                Cell::Date,
            )
        }
        Data::DateTimeIso(s) => {
            crate::parse_date(s, DateOrder::Ymd).map_or_else(|_| Cell::Text(s.clone()), Cell::Date)
        }
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(format!("{e}")),
    }
}

/// A cell streamed from an xlsx or xlsb sheet; strings are taken without a copy of
/// calamine's shared-string table entry.
pub(crate) fn cell_from_ref(data: &calamine::DataRef<'_>) -> Cell {
    match data {
        calamine::DataRef::SharedString(s) => Cell::Text(s.trim().to_owned()),
        calamine::DataRef::String(s) => Cell::Text(s.trim().to_owned()),
        calamine::DataRef::Empty => Cell::Empty,
        other => cell_from_data(&Data::from(other.clone())),
    }
}

fn read_csv(
    file: &str,
    bytes: &[u8],
    ext: &str,
    options: &SheetOptions,
) -> Result<Vec<Vec<Cell>>, SheetsError> {
    let text = decode_text(bytes);
    let delimiter = match options.delimiter {
        Some(c) => u8::try_from(c).map_err(|_| SheetsError::Open {
            file: file.to_owned(),
            reason: format!(
                "the delimiter '{c}' is not a single-byte character; use ',', ';', '|' or a tab"
            ),
        })?,
        None if ext == "tsv" => b'\t',
        None => sniff_delimiter(&text),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| SheetsError::Csv {
            file: file.to_owned(),
            line: e
                .position()
                .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0)),
            reason: e.to_string(),
        })?;
        let line = record
            .position()
            .map_or(grid.len() + 1, |p| usize::try_from(p.line()).unwrap_or(0));
        while grid.len() + 1 < line {
            grid.push(Vec::new());
        }
        let mut cells: Vec<Cell> = record
            .iter()
            .map(|f| {
                let t = f.trim();
                if t.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(t.to_owned())
                }
            })
            .collect();
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        grid.push(cells);
    }
    Ok(grid)
}

/// UTF-8 (with or without a byte-order mark), UTF-16 with a mark, or Windows-1252 — the
/// encodings spreadsheet programs save csv in.
fn decode_text(bytes: &[u8]) -> String {
    let (enc, bom_len) = encoding_rs::Encoding::for_bom(bytes).unwrap_or((encoding_rs::UTF_8, 0));
    let body = &bytes[bom_len..];
    if enc == encoding_rs::UTF_8 {
        if let Ok(s) = std::str::from_utf8(body) {
            return s.to_owned();
        }
        let (s, _, _) = encoding_rs::WINDOWS_1252.decode(body);
        return s.into_owned();
    }
    let (s, _, _) = enc.decode(bytes);
    s.into_owned()
}

/// The delimiter that occurs most often (outside quotes) in the first lines; a title line
/// without delimiters does not spoil the guess. A comma wins ties.
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for c in text
        .lines()
        .take(10)
        .flat_map(|l| l.bytes().chain(std::iter::once(b'\n')))
    {
        if c == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in &mut counts {
                if c == *d {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .fold(
            (b',', 0),
            |best, (d, n)| if *n > best.1 { (*d, *n) } else { best },
        )
        .0
}

/// The sheets of a workbook, in order (a csv file has one, named "").
pub fn list_sheets(source: Source<'_>) -> Result<Vec<String>, SheetsError> {
    let file = source.name();
    if matches!(source.extension().as_str(), "csv" | "tsv" | "txt") {
        return Ok(vec![String::new()]);
    }
    check_size(source, &file)?;
    let open_err = |e: calamine::Error| SheetsError::Open {
        file: file.clone(),
        reason: e.to_string(),
    };
    Ok(match source {
        Source::Path(p) => calamine::open_workbook_auto(p)
            .map_err(open_err)?
            .sheet_names(),
        Source::Bytes { bytes, .. } => calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
            .map_err(open_err)?
            .sheet_names(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_floats_read_as_the_digits_excel_shows() {
        assert_eq!(decimal_from_f64(1234.56).unwrap().to_string(), "1234.56");
        assert_eq!(decimal_from_f64(0.1 + 0.2).unwrap().to_string(), "0.3");
        assert_eq!(decimal_from_f64(-15.0).unwrap().to_string(), "-15");
        assert_eq!(decimal_from_f64(120000.0).unwrap().to_string(), "120000");
        assert!(decimal_from_f64(f64::NAN).is_none());
        assert_eq!(decimal_from_f64(1e-7).unwrap().to_string(), "0.0000001");
        assert_eq!(
            decimal_from_f64(123_456_789_012_345_680.0)
                .unwrap()
                .to_string(),
            "123456789012346000"
        );
    }

    proptest::proptest! {
        #[test]
        fn the_quick_reading_of_a_double_agrees_with_excels_15_digits(value in proptest::num::f64::NORMAL) {
            let slow = Decimal::from_scientific(&format!("{value:.14e}")).ok().map(|d| d.normalize());
            proptest::prop_assert_eq!(decimal_from_f64(value), slow);
        }
    }

    proptest::proptest! {
        #[test]
        fn amounts_in_cents_and_their_neighbouring_doubles_read_as_excel_shows_them(
            cents in -2_000_000_000_000_000i64..2_000_000_000_000_000,
            nudge in -2i64..=2,
        ) {
            // The double that typing the amount gives, and the doubles next to it, which
            // no typing gives and which must not be taken for whole cents.
            let typed: f64 = Decimal::new(cents, 2).to_string().parse().unwrap();
            let bits = typed.to_bits().checked_add_signed(nudge).unwrap();
            let value = f64::from_bits(bits);
            let slow = Decimal::from_scientific(&format!("{value:.14e}")).ok().map(|d| d.normalize());
            proptest::prop_assert_eq!(decimal_from_f64(value), slow);
        }
    }

    proptest::proptest! {
        #[test]
        fn a_date_cell_is_written_into_the_row_hash_as_chrono_shows_it(days in -1_000_000i64..3_000_000) {
            let date = NaiveDate::from_ymd_opt(1, 1, 1).unwrap() + chrono::Duration::days(days);
            let mut out = String::from("x");
            Cell::Date(date).write_text(&mut out);
            proptest::prop_assert_eq!(out, format!("x{date}"));
        }
    }

    #[test]
    fn a_semicolon_csv_from_german_excel_is_read_with_its_delimiter() {
        let csv = "Rechnungsnr.;Kunde;Betrag\nR-1;Müller GmbH;\"1.234,56\"\n";
        let t = read_table(
            Source::Bytes {
                name: "op.csv",
                bytes: csv.as_bytes(),
            },
            &SheetOptions::default(),
        )
        .unwrap();
        assert_eq!(t.headers, vec!["Rechnungsnr.", "Kunde", "Betrag"]);
        assert_eq!(t.rows[0].cells[2], Cell::Text("1.234,56".into()));
        assert_eq!(t.rows[0].number, 2);
    }

    #[test]
    fn a_windows_1252_csv_keeps_its_umlauts() {
        let mut bytes = b"Invoice;Kunde;Amount\n1;M".to_vec();
        bytes.push(0xFC); // ü in Windows-1252
        bytes.extend_from_slice(b"ller;10\n");
        let t = read_table(
            Source::Bytes {
                name: "x.csv",
                bytes: &bytes,
            },
            &SheetOptions::default(),
        )
        .unwrap();
        assert_eq!(t.rows[0].cells[1], Cell::Text("Müller".into()));
    }

    #[test]
    fn a_unicode_text_export_from_excel_is_read() {
        // Excel's "Unicode Text" is UTF-16 little-endian with a byte-order mark, tab-separated.
        let text = "Invoice No\tCustomer\tAmount Due\r\nA-1\tSociété Générale\t1 234,56\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let t = read_table(
            Source::Bytes {
                name: "export.txt",
                bytes: &bytes,
            },
            &SheetOptions::default(),
        )
        .unwrap();
        assert_eq!(t.headers, vec!["Invoice No", "Customer", "Amount Due"]);
        assert_eq!(t.rows[0].cells[1], Cell::Text("Société Générale".into()));
    }

    #[test]
    fn a_title_line_without_delimiters_does_not_hide_the_semicolons() {
        let csv = "Offene Posten\nRechnungsnr.;Kunde;Betrag;Offen\nR-1;A, B & Co.;\"1.234,56\";\"234,56\"\n";
        let t = read_table(
            Source::Bytes {
                name: "op.csv",
                bytes: csv.as_bytes(),
            },
            &SheetOptions::default(),
        )
        .unwrap();
        assert_eq!(t.headers, vec!["Rechnungsnr.", "Kunde", "Betrag", "Offen"]);
        assert_eq!(t.rows[0].cells[1], Cell::Text("A, B & Co.".into()));
    }

    #[test]
    fn the_sheets_of_a_workbook_are_listed_in_order() {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().set_name("Invoices").unwrap();
        book.add_worksheet().set_name("Payments").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(
            list_sheets(Source::Bytes {
                name: "b.xlsx",
                bytes: &bytes
            })
            .unwrap(),
            vec!["Invoices", "Payments"]
        );
        let err = list_sheets(Source::Bytes {
            name: "b.xlsx",
            bytes: b"not a workbook",
        })
        .unwrap_err();
        assert!(err.to_string().contains("cannot open b.xlsx"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn any_amount_in_cents_typed_into_excel_reads_back_exactly(cents in -10_000_000_000_000i64..10_000_000_000_000) {
            let typed = Decimal::new(cents, 2);
            // Excel stores what was typed as the nearest binary double.
            let stored: f64 = typed.to_string().parse().unwrap();
            proptest::prop_assert_eq!(decimal_from_f64(stored).unwrap(), typed.normalize());
        }
    }

    #[test]
    fn title_rows_above_the_header_are_skipped() {
        let csv =
            "Offene Posten per 23.11.2026,,\n,,\nInvoice No,Customer,Amount Due\nA-1,Acme,10.00\n";
        let t = read_table(
            Source::Bytes {
                name: "x.csv",
                bytes: csv.as_bytes(),
            },
            &SheetOptions::default(),
        )
        .unwrap();
        assert_eq!(t.header_row, 3);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].number, 4);
    }

    #[test]
    fn a_sheet_without_any_known_header_is_an_error_naming_the_file() {
        let csv = "a,b,c\n1,2,3\n";
        let err = read_table(
            Source::Bytes {
                name: "mystery.csv",
                bytes: csv.as_bytes(),
            },
            &SheetOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("mystery.csv"), "{err}");
        assert!(err.to_string().contains("header_row"), "{err}");
    }
}
