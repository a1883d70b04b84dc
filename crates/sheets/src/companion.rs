//! The companion workbook: overdue status and collection tasks written next to a source
//! workbook as `<stem>.arsync.xlsx`. The source is never modified. The file is written to
//! a temporary file in the same directory and renamed over the old one, so a reader never
//! sees half a workbook, and its content depends only on the input: rows are sorted and
//! the document's creation time is fixed, so the same input gives the same bytes.

use crate::SheetsError;
use arsync_model::{CollectionState, CollectionTask, ItemKind, OverdueStatus, TaskState};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the companion of a source workbook goes: `books.xlsx` → `books.arsync.xlsx` in the
/// same directory.
pub fn companion_path(source: &Path) -> PathBuf {
    let stem = source
        .file_stem()
        .map_or_else(|| "books".to_owned(), |s| s.to_string_lossy().into_owned());
    source.with_file_name(format!("{stem}.arsync.xlsx"))
}

/// Writes (or rewrites) the companion workbook of `source` with a "Status" sheet (one row
/// per invoice) and a "Tasks" sheet (one row per task), atomically, and returns its path.
pub fn write_companion(
    source: &Path,
    statuses: &[OverdueStatus],
    tasks: &[CollectionTask],
) -> Result<PathBuf, SheetsError> {
    let target = companion_path(source);
    let write_err = |reason: String| SheetsError::Write {
        path: target.display().to_string(),
        reason,
    };
    let bytes = build_workbook(statuses, tasks).map_err(|e| write_err(e.to_string()))?;
    // Nothing changed: leave the file (and its modification time) alone, so sync tools and
    // open spreadsheet programs see no new version.
    if std::fs::read(&target).is_ok_and(|existing| existing == bytes) {
        return Ok(target);
    }
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".arsync-companion-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            write_err(format!(
                "cannot create a temporary file in {}: {e}",
                dir.display()
            ))
        })?;
    temp.write_all(&bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| write_err(e.to_string()))?;
    temp.persist(&target)
        .map_err(|e| write_err(e.error.to_string()))?;
    Ok(target)
}

const STATUS_HEADERS: [&str; 14] = [
    "Invoice",
    "Item ID",
    "Connection",
    "As of",
    "Days overdue",
    "Bucket",
    "State",
    "Ladder step",
    "Action",
    "Open amount",
    "Currency",
    "Interest",
    "Compensation",
    "Compensation currency",
];

const TASK_HEADERS: [&str; 14] = [
    "Due",
    "Priority",
    "Customer",
    "Customer ID",
    "Action",
    "Tone",
    "Step",
    "Items",
    "Amount",
    "Currency",
    "Summary",
    "State",
    "Closed because",
    "Key",
];

struct Formats {
    header: Format,
    date: Format,
}

fn money_format(minor_units: u32) -> Format {
    let decimals = "0".repeat(usize::try_from(minor_units).unwrap_or(2));
    if decimals.is_empty() {
        Format::new().set_num_format("#,##0")
    } else {
        Format::new().set_num_format(format!("#,##0.{decimals}"))
    }
}

/// The companion workbook's bytes, for callers that write files through someone else (a
/// plugin writes through its host). The same statuses and tasks, in any order, give the
/// same bytes.
pub fn companion_bytes(
    statuses: &[OverdueStatus],
    tasks: &[CollectionTask],
) -> Result<Vec<u8>, SheetsError> {
    build_workbook(statuses, tasks).map_err(|e| SheetsError::Write {
        path: "companion workbook".into(),
        reason: e.to_string(),
    })
}

fn build_workbook(
    statuses: &[OverdueStatus],
    tasks: &[CollectionTask],
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // A fixed creation time: the same statuses and tasks give the same file.
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    book.set_properties(
        &DocProperties::new()
            .set_title("arsync collection status")
            .set_creation_datetime(&created),
    );
    let formats = Formats {
        header: Format::new().set_bold(),
        date: Format::new().set_num_format("yyyy-mm-dd"),
    };
    let mut sorted_statuses: Vec<&OverdueStatus> = statuses.iter().collect();
    sorted_statuses.sort_by(|a, b| {
        (&a.connection, &a.number, &a.item_id, a.as_of).cmp(&(
            &b.connection,
            &b.number,
            &b.item_id,
            b.as_of,
        ))
    });
    let mut sorted_tasks: Vec<&CollectionTask> = tasks.iter().collect();
    sorted_tasks.sort_by(|a, b| (a.due, -a.priority, &a.key).cmp(&(b.due, -b.priority, &b.key)));

    let sheet = book.add_worksheet();
    sheet.set_name("Status")?;
    write_status_sheet(sheet, &formats, &sorted_statuses)?;
    let sheet = book.add_worksheet();
    sheet.set_name("Tasks")?;
    write_task_sheet(sheet, &formats, &sorted_tasks)?;
    book.save_to_buffer()
}

fn header_row(sheet: &mut Worksheet, formats: &Formats, headers: &[&str]) -> Result<(), XlsxError> {
    for (col, h) in (0u16..).zip(headers) {
        sheet.write_string_with_format(0, col, *h, &formats.header)?;
        let width = if *h == "Summary" { 60.0 } else { 14.0 };
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn write_date(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    date: NaiveDate,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let d = ExcelDateTime::from_ymd(
        u16::try_from(date.year()).unwrap_or(1900),
        u8::try_from(date.month()).unwrap_or(1),
        u8::try_from(date.day()).unwrap_or(1),
    )?;
    sheet.write_date_with_format(row, col, &d, &formats.date)?;
    Ok(())
}

/// Spreadsheet cells hold binary floating point; amounts are converted only here, for
/// display, and their exact text stays in arsync's store and reports.
fn write_amount(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    amount: Decimal,
    minor_units: u32,
) -> Result<(), XlsxError> {
    match amount.to_f64() {
        Some(f) => sheet.write_number_with_format(row, col, f, &money_format(minor_units))?,
        None => sheet.write_string(row, col, amount.to_string())?,
    };
    Ok(())
}

fn state_name(state: CollectionState) -> &'static str {
    match state {
        CollectionState::Current => "current",
        CollectionState::Overdue => "overdue",
        CollectionState::Disputed => "disputed",
        CollectionState::Promised => "promised",
        CollectionState::Deferred => "deferred",
        CollectionState::InstalmentPlan => "instalment_plan",
        CollectionState::WithAgency => "with_agency",
        CollectionState::WrittenOff => "written_off",
        CollectionState::Settled => "settled",
    }
}

fn write_status_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    statuses: &[&OverdueStatus],
) -> Result<(), XlsxError> {
    header_row(sheet, formats, &STATUS_HEADERS)?;
    for (row, s) in (1u32..).zip(statuses) {
        sheet.write_string(row, 0, &s.number)?;
        sheet.write_string(row, 1, &s.item_id)?;
        sheet.write_string(row, 2, &s.connection)?;
        write_date(sheet, row, 3, s.as_of, formats)?;
        sheet.write_number(row, 4, i32::try_from(s.days_overdue).unwrap_or(i32::MAX))?;
        sheet.write_string(row, 5, &s.bucket)?;
        sheet.write_string(row, 6, state_name(s.state))?;
        if let Some(step) = s.ladder_step {
            sheet.write_number(row, 7, step)?;
        }
        if let Some(action) = &s.action {
            sheet.write_string(row, 8, action.as_str())?;
        }
        write_amount(sheet, row, 9, s.open.amount, s.open.currency.minor_units())?;
        sheet.write_string(row, 10, s.open.currency.code())?;
        if let Some(interest) = &s.interest {
            write_amount(
                sheet,
                row,
                11,
                interest.amount,
                interest.currency.minor_units(),
            )?;
        }
        if let Some(comp) = &s.compensation {
            write_amount(sheet, row, 12, comp.amount, comp.currency.minor_units())?;
            sheet.write_string(row, 13, comp.currency.code())?;
        }
    }
    Ok(())
}

fn write_task_sheet(
    sheet: &mut Worksheet,
    formats: &Formats,
    tasks: &[&CollectionTask],
) -> Result<(), XlsxError> {
    header_row(sheet, formats, &TASK_HEADERS)?;
    for (row, t) in (1u32..).zip(tasks) {
        write_date(sheet, row, 0, t.due, formats)?;
        sheet.write_number(row, 1, i32::try_from(t.priority).unwrap_or(i32::MAX))?;
        sheet.write_string(row, 2, &t.customer_name)?;
        sheet.write_string(row, 3, &t.customer_id)?;
        sheet.write_string(row, 4, t.action.as_str())?;
        if let Some(tone) = &t.tone {
            sheet.write_string(row, 5, tone)?;
        }
        if let Some(step) = t.step {
            sheet.write_number(row, 6, step)?;
        }
        let items: Vec<String> = t
            .items
            .iter()
            .map(|(kind, id)| match kind {
                ItemKind::Invoice => id.clone(),
                ItemKind::CreditNote => format!("credit note {id}"),
            })
            .collect();
        sheet.write_string(row, 7, items.join(", "))?;
        write_amount(
            sheet,
            row,
            8,
            t.amount.amount,
            t.amount.currency.minor_units(),
        )?;
        sheet.write_string(row, 9, t.amount.currency.code())?;
        sheet.write_string(row, 10, &t.summary)?;
        match &t.state {
            TaskState::Open => {
                sheet.write_string(row, 11, "open")?;
            }
            TaskState::Closed(reason) => {
                sheet.write_string(row, 11, "closed")?;
                sheet.write_string(row, 12, reason)?;
            }
        }
        sheet.write_string(row, 13, &t.key)?;
    }
    Ok(())
}
