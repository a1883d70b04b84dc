//! Limits that keep a broken or hostile workbook from exhausting memory.
//!
//! A zip-based workbook (xlsx, xlsm, xlsb, ods) is checked before calamine opens it: the
//! sizes its parts declare must add up to at most [`MAX_DECOMPRESSED_BYTES`]. The declared
//! sizes bound what can be inflated, because the zip reader calamine uses stops with an
//! error as soon as a part inflates beyond its declared size; so a bomb that understates
//! its sizes fails on its first excess byte instead. The check reads only the zip's
//! central directory.
//!
//! The used range of a sheet (the rectangle from its first to its last non-empty cell) must
//! hold at most [`MAX_USED_CELLS`] cells. xlsx and xlsb sheets are read cell by cell and
//! refused at the first cell beyond that, so a stray value in XFD1048576 costs nothing
//! before it is refused; only the cells that exist are ever held.

use crate::SheetsError;
use std::io::{Read, Seek};

/// Most bytes the parts of one zip-based workbook may decompress to (512 MiB). An xlsx of
/// a million invoice rows decompresses to about 200 MiB.
pub const MAX_DECOMPRESSED_BYTES: u64 = 512 * 1024 * 1024;

/// Most cells the used range of one sheet may span (rows × columns): 20 million, e.g. a
/// million rows of twenty columns.
pub const MAX_USED_CELLS: u64 = 20_000_000;

/// Whether files with this extension are zip archives calamine inflates.
pub(crate) fn is_zip_format(ext: &str) -> bool {
    matches!(ext, "xlsx" | "xlsm" | "xlam" | "xlsb" | "ods")
}

/// Refuses a zip-based workbook whose parts decompress to more than the limit.
pub(crate) fn check_zip<R: Read + Seek>(
    reader: R,
    file: &str,
    limit: u64,
) -> Result<(), SheetsError> {
    let too_big = |seen: u64| SheetsError::TooLarge {
        file: file.to_owned(),
        what: format!("its parts decompress to more than {seen} bytes"),
        limit: format!("{limit} bytes decompressed"),
    };
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        // Not a zip: calamine reports what the file is not, in its own words.
        Err(_) => return Ok(()),
    };
    let declared: u64 = (0..archive.len())
        .filter_map(|i| archive.by_index_raw(i).ok().map(|f| f.size()))
        .fold(0u64, u64::saturating_add);
    if declared > limit {
        return Err(too_big(declared));
    }
    Ok(())
}

/// Tracks the used range of a sheet as its cells arrive, refusing it once it spans more
/// than the limit.
#[derive(Debug)]
pub(crate) struct UsedRange {
    limit: u64,
    first: Option<(u32, u32)>,
    last: (u32, u32),
}

impl UsedRange {
    pub(crate) fn new(limit: u64) -> Self {
        Self {
            limit,
            first: None,
            last: (0, 0),
        }
    }

    /// Takes in a non-empty cell at (row, column), both from 0.
    pub(crate) fn add(
        &mut self,
        row: u32,
        col: u32,
        file: &str,
        sheet: &str,
    ) -> Result<(), SheetsError> {
        let (r0, c0) = match self.first {
            Some((r, c)) => (r.min(row), c.min(col)),
            None => (row, col),
        };
        self.first = Some((r0, c0));
        self.last = (self.last.0.max(row), self.last.1.max(col));
        let rows = u64::from(self.last.0 - r0) + 1;
        let cols = u64::from(self.last.1 - c0) + 1;
        if rows.saturating_mul(cols) > self.limit {
            return Err(SheetsError::TooLarge {
                file: file.to_owned(),
                what: format!(
                    "sheet '{sheet}' has a value in {} while its used range starts at {}, spanning {rows} rows × {cols} columns",
                    cell_name(row, col),
                    cell_name(r0, c0)
                ),
                limit: format!("{} cells in a sheet's used range", self.limit),
            });
        }
        Ok(())
    }
}

/// A cell's name as Excel shows it: column letters and row number ("XFD1048576").
pub(crate) fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(col) + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(u64::from(row) + 1).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_named_as_excel_names_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
    }

    #[test]
    fn a_used_range_is_refused_once_it_spans_more_than_the_limit() {
        let mut range = UsedRange::new(100);
        range.add(0, 0, "a.xlsx", "S").unwrap();
        range.add(9, 9, "a.xlsx", "S").unwrap();
        let err = range.add(10, 0, "a.xlsx", "S").unwrap_err().to_string();
        assert!(
            err.contains("A11") && err.contains("11 rows × 10 columns"),
            "{err}"
        );
        assert!(err.contains("100 cells"), "{err}");
    }
}
