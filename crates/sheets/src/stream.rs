//! Reading an xlsx or xlsb sheet on one thread while its rows are mapped on another.
//!
//! calamine's cell stream (inflating and parsing the sheet) is two thirds of the work of
//! loading open items and mapping rows to records the other third; they overlap here. The
//! reading thread gathers the cells of each row and sends batches of finished rows
//! through a bounded channel, so at most a few batches are held at a time; the calling
//! thread finds the header among the first rows exactly as [`crate::read_table`] does
//! and then hands every data row, in sheet order, to the caller.
//!
//! A sheet whose rows are stored out of order (the format requires ascending rows, but a
//! hand-made file may not keep to it), a format calamine does not stream, or a thread the
//! system will not start gives `None`, and the caller reads the sheet whole instead.

use crate::SheetsError;
use crate::guard::{MAX_USED_CELLS, UsedRange};
use crate::table::{
    self, Cell, HEADER_SEARCH_ROWS, HeaderRow, Row, SheetOptions, Source, Table, best_header_row,
    cell_from_ref,
};
use std::io::{Cursor, Read, Seek};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

/// Rows per message: large enough that the channel costs nothing per row, small enough
/// that mapping starts soon and little is held.
const BATCH_ROWS: usize = 1024;
/// Batches in flight before the reading thread waits for the mapping side.
const BATCHES_IN_FLIGHT: usize = 4;
/// The most rows a sheet's declared dimension may make the mapping side make room for:
/// the dimension is only the workbook's word, and room is taken before any row is seen.
const ROWS_HINT_CAP: usize = 1 << 18;

/// What the reading thread sends.
enum Message {
    /// The sheet being read and the number of rows its dimension declares (capped), before
    /// any rows.
    Sheet(String, usize),
    /// Finished rows in ascending order, each with cells up to its last value.
    Rows(Vec<Row>),
    /// This sheet cannot be streamed; read it whole.
    ReadWhole,
}

/// Streams the chosen sheet's data rows into `row`, after `start` has seen the header
/// (a [`Table`] without rows) and how many rows the sheet says it has (capped). `Ok(None)` when the sheet is not streamed (see the module
/// documentation): nothing was handed to `start` or `row` that the caller must undo
/// other than the state `start` made, which is dropped.
pub(crate) fn stream_rows<M>(
    source: Source<'_>,
    options: &SheetOptions,
    start: impl FnOnce(&Table, usize) -> Result<M, SheetsError>,
    row: impl FnMut(&mut M, &Row),
) -> Result<Option<M>, SheetsError> {
    let ext = source.extension();
    if !matches!(ext.as_str(), "xlsx" | "xlsm" | "xlam" | "xlsb") {
        return Ok(None);
    }
    let file = source.name();
    table::check_size(source, &file)?;
    let (tx, rx) = sync_channel::<Result<Message, SheetsError>>(BATCHES_IN_FLIGHT);
    // Mapped batches go back to be dropped and reused where their cells were allocated:
    // memory freed by another thread than the one that took it costs the allocator more.
    let (spent_tx, spent_rx) = channel::<Vec<Row>>();
    std::thread::scope(|scope| {
        let reading = std::thread::Builder::new()
            .name("arsync-sheets-read".into())
            .spawn_scoped(scope, {
                let file = file.as_str();
                move || {
                    let channels = Channels {
                        tx,
                        spent: spent_rx,
                    };
                    if let Err(e) = read_rows(source, file, options, &channels) {
                        // The mapping side may have stopped already; then no one listens.
                        let _ = channels.tx.send(Err(e));
                    }
                }
            });
        let Ok(reading) = reading else {
            return Ok(None);
        };
        let mapped = map_rows(rx, &spent_tx, &file, options, start, row);
        match reading.join() {
            Ok(()) => mapped,
            Err(_) => Err(SheetsError::Open {
                file: file.clone(),
                reason: "the spreadsheet reader failed on this file; save it again from the \
                         spreadsheet program and retry"
                    .into(),
            }),
        }
    })
}

/// The reading thread: opens the workbook and sends the chosen sheet's rows.
fn read_rows(
    source: Source<'_>,
    file: &str,
    options: &SheetOptions,
    channels: &Channels,
) -> Result<(), SheetsError> {
    match source {
        Source::Path(p) => {
            let mut book =
                calamine::open_workbook_auto(p).map_err(|e| table::open_error(file, e))?;
            send_sheet(&mut book, file, options, channels)
        }
        Source::Bytes { bytes, .. } => {
            let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
                .map_err(|e| table::open_error(file, e))?;
            send_sheet(&mut book, file, options, channels)
        }
    }
}

fn send_sheet<RS: Read + Seek>(
    book: &mut calamine::Sheets<RS>,
    file: &str,
    options: &SheetOptions,
    channels: &Channels,
) -> Result<(), SheetsError> {
    let name = table::pick_sheet_name(book, file, options)?;
    let sheet_err = |e: &dyn std::fmt::Display| SheetsError::Open {
        file: file.to_owned(),
        reason: format!("sheet '{name}': {e}"),
    };
    let mut rows = RowGatherer::new(file, &name, channels);
    let announce = |dimensions: calamine::Dimensions| {
        let declared = dimensions.end.0.saturating_sub(dimensions.start.0);
        let hint = usize::try_from(declared).map_or(ROWS_HINT_CAP, |n| n.min(ROWS_HINT_CAP));
        channels
            .tx
            .send(Ok(Message::Sheet(name.clone(), hint)))
            .is_ok()
    };
    match book {
        calamine::Sheets::Xlsx(x) => {
            let mut cells = x.worksheet_cells_reader(&name).map_err(|e| sheet_err(&e))?;
            if !announce(cells.dimensions()) {
                return Ok(());
            }
            while let Some(c) = cells.next_cell().map_err(|e| sheet_err(&e))? {
                if !rows.put(c.get_position(), cell_from_ref(c.get_value()))? {
                    return Ok(());
                }
            }
        }
        calamine::Sheets::Xlsb(x) => {
            let mut cells = x.worksheet_cells_reader(&name).map_err(|e| sheet_err(&e))?;
            if !announce(cells.dimensions()) {
                return Ok(());
            }
            while let Some(c) = cells.next_cell().map_err(|e| sheet_err(&e))? {
                if !rows.put(c.get_position(), cell_from_ref(c.get_value()))? {
                    return Ok(());
                }
            }
        }
        _ => {
            let _ = channels.tx.send(Ok(Message::ReadWhole));
            return Ok(());
        }
    }
    rows.flush();
    Ok(())
}

/// The reading thread's ends of the channels.
struct Channels {
    tx: SyncSender<Result<Message, SheetsError>>,
    spent: Receiver<Vec<Row>>,
}

/// Collects the cells of the current row and sends finished rows in batches.
struct RowGatherer<'a> {
    file: &'a str,
    sheet: &'a str,
    channels: &'a Channels,
    used: UsedRange,
    current: Option<Row>,
    batch: Vec<Row>,
    width: usize,
    /// False once the mapping side has stopped listening or the rows came out of order.
    open: bool,
}

impl<'a> RowGatherer<'a> {
    fn new(file: &'a str, sheet: &'a str, channels: &'a Channels) -> Self {
        Self {
            file,
            sheet,
            channels,
            used: UsedRange::new(MAX_USED_CELLS),
            current: None,
            batch: Vec::with_capacity(BATCH_ROWS),
            width: 0,
            open: true,
        }
    }

    /// Takes one cell; false when reading should stop (no one listens, or the sheet must
    /// be read whole). An absurd used range is refused at its first far-away cell.
    fn put(&mut self, (row, col): (u32, u32), cell: Cell) -> Result<bool, SheetsError> {
        if cell.is_empty() {
            return Ok(true);
        }
        self.used.add(row, col, self.file, self.sheet)?;
        let (Ok(r), Ok(c)) = (usize::try_from(row), usize::try_from(col)) else {
            return Ok(true);
        };
        let number = r.saturating_add(1);
        match &mut self.current {
            Some(current) if current.number == number => put_cell(&mut current.cells, c, cell),
            Some(current) if current.number > number => {
                let _ = self.channels.tx.send(Ok(Message::ReadWhole));
                self.open = false;
            }
            _ => {
                let mut cells = Vec::with_capacity(self.width.max(c + 1));
                put_cell(&mut cells, c, cell);
                if let Some(done) = self.current.replace(Row { number, cells }) {
                    self.finish_row(done);
                }
            }
        }
        Ok(self.open)
    }

    fn finish_row(&mut self, row: Row) {
        self.width = self.width.max(row.cells.len());
        self.batch.push(row);
        if self.batch.len() >= BATCH_ROWS {
            let next = self.spent_batch();
            let batch = std::mem::replace(&mut self.batch, next);
            self.open = self.channels.tx.send(Ok(Message::Rows(batch))).is_ok();
        }
    }

    /// An empty batch to fill: one the mapping side has finished with, its rows dropped
    /// here, or a new one.
    fn spent_batch(&self) -> Vec<Row> {
        let mut spare = None;
        while let Ok(mut spent) = self.channels.spent.try_recv() {
            spent.clear();
            spare = Some(spent);
        }
        spare.unwrap_or_else(|| Vec::with_capacity(BATCH_ROWS))
    }

    /// Sends what is left at the end of the sheet.
    fn flush(mut self) {
        if let Some(done) = self.current.take() {
            self.batch.push(done);
        }
        if !self.batch.is_empty() {
            let batch = std::mem::take(&mut self.batch);
            let _ = self.channels.tx.send(Ok(Message::Rows(batch)));
        }
    }
}

fn put_cell(cells: &mut Vec<Cell>, c: usize, cell: Cell) {
    if cells.len() <= c {
        cells.resize(c + 1, Cell::Empty);
    }
    cells[c] = cell;
}

/// Where the mapping side stands.
enum Stage<M> {
    /// The header row is not known yet: the rows so far.
    Searching(Vec<Row>),
    /// Mapping the rows below the header.
    Mapping {
        state: M,
        header_row: usize,
        width: usize,
    },
}

/// The calling thread: finds the header, then maps each row below it.
fn map_rows<M>(
    rx: Receiver<Result<Message, SheetsError>>,
    spent: &Sender<Vec<Row>>,
    file: &str,
    options: &SheetOptions,
    start: impl FnOnce(&Table, usize) -> Result<M, SheetsError>,
    mut row: impl FnMut(&mut M, &Row),
) -> Result<Option<M>, SheetsError> {
    let mut sheet = String::new();
    let mut start = Some(start);
    let mut stage: Stage<M> = Stage::Searching(Vec::new());
    let mut last_row = 0;
    let mut rows_hint = 0;
    for message in rx {
        let mut rows = match message? {
            Message::Sheet(name, hint) => {
                sheet = name;
                rows_hint = hint;
                continue;
            }
            Message::ReadWhole => return Ok(None),
            Message::Rows(rows) => rows,
        };
        if let Stage::Searching(seen) = &mut stage {
            let decided_at = rows.iter().position(|r| match options.header_row {
                HeaderRow::Auto => r.number > HEADER_SEARCH_ROWS,
                HeaderRow::Row(n) => n > 0 && r.number >= n,
            });
            let Some(at) = decided_at else {
                last_row = rows.last().map_or(last_row, |r| r.number);
                seen.append(&mut rows);
                continue;
            };
            // The deciding row is the header itself or a row below it: `begin` takes it.
            let rest = rows.split_off(at + 1);
            seen.append(&mut rows);
            rows = rest;
            let seen = std::mem::take(seen);
            stage = begin(
                seen,
                (file, &sheet),
                options,
                &mut start,
                &mut row,
                None,
                rows_hint,
            )?;
        }
        if let Stage::Mapping {
            state,
            header_row,
            width,
        } = &mut stage
        {
            for r in &mut rows {
                if r.number > *header_row {
                    if r.cells.len() < *width {
                        r.cells.resize(*width, Cell::Empty);
                    }
                    row(state, r);
                }
            }
        }
        last_row = rows.last().map_or(last_row, |r| r.number);
        // The reading thread drops and reuses the batch; if it has ended, it drops here.
        let _ = spent.send(rows);
    }
    let state = match stage {
        Stage::Mapping { state, .. } => state,
        Stage::Searching(seen) => {
            match begin(
                seen,
                (file, &sheet),
                options,
                &mut start,
                &mut row,
                Some(last_row),
                rows_hint,
            )? {
                Stage::Mapping { state, .. } => state,
                Stage::Searching(_) => return Ok(None),
            }
        }
    };
    Ok(Some(state))
}

/// Picks the header among `seen`, starts the mapping and maps the rows already seen below
/// it. `rows_in_sheet` (the number of the last row with a value) is known only at the end
/// of the sheet.
fn begin<M>(
    seen: Vec<Row>,
    (file, sheet): (&str, &str),
    options: &SheetOptions,
    start: &mut Option<impl FnOnce(&Table, usize) -> Result<M, SheetsError>>,
    row: &mut impl FnMut(&mut M, &Row),
    rows_in_sheet: Option<usize>,
    rows_hint: usize,
) -> Result<Stage<M>, SheetsError> {
    let header_row = match options.header_row {
        HeaderRow::Row(n) => {
            let rows = rows_in_sheet.unwrap_or(usize::MAX);
            if n == 0 || n > rows {
                return Err(SheetsError::HeaderRowOutOfRange {
                    file: file.to_owned(),
                    sheet: sheet.to_owned(),
                    row: n,
                    rows: rows_in_sheet.unwrap_or(0),
                });
            }
            n
        }
        HeaderRow::Auto => {
            best_header_row(seen.iter().map(|r| (r.number - 1, r.cells.as_slice()))).ok_or_else(
                || SheetsError::NoHeaderRow {
                    file: file.to_owned(),
                    sheet: sheet.to_owned(),
                },
            )? + 1
        }
    };
    let headers: Vec<String> = seen
        .iter()
        .find(|r| r.number == header_row)
        .map(|r| r.cells.iter().map(Cell::text).collect())
        .unwrap_or_default();
    let width = headers.len();
    let head = Table {
        file: file.to_owned(),
        sheet: sheet.to_owned(),
        header_row,
        headers,
        rows: Vec::new(),
    };
    let Some(start) = start.take() else {
        return Ok(Stage::Searching(Vec::new()));
    };
    let mut state = start(&head, rows_hint)?;
    for mut r in seen {
        if r.number > header_row {
            if r.cells.len() < width {
                r.cells.resize(width, Cell::Empty);
            }
            row(&mut state, &r);
        }
    }
    Ok(Stage::Mapping {
        state,
        header_row,
        width,
    })
}
