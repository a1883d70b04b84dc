//! A BIFF8 (Excel 97–2003 `.xls`) writer for test workbooks, after [MS-XLS]: a
//! `Workbook` stream in a compound file (through the `cfb` crate) holding the globals
//! substream (BOF, CODEPAGE, DATEMODE, WINDOW1, FONT, FORMAT, XF, STYLE, BOUNDSHEET8, SST,
//! EOF) and one worksheet substream per sheet (BOF, DIMENSIONS, LABELSST, NUMBER, FORMULA
//! with its cached result, MERGEDCELLS, WINDOW2, EOF). Dates are NUMBER records whose XF
//! has the custom format `DD.MM.YYYY`.

use super::{Book, Formula, Value, excel_serial};
use std::io::Write;

/// XF index of plain cells (the default cell XF follows the 15 style XFs).
const XF_GENERAL: u16 = 15;
/// XF index of date cells.
const XF_DATE: u16 = 16;
/// The custom number format of date cells.
const FMT_DATE: u16 = 164;

fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    // Records longer than 8224 bytes would need CONTINUE records; test workbooks are small.
    assert!(
        data.len() <= 8224,
        "record 0x{typ:04X} too long for one BIFF8 record"
    );
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&u16::try_from(data.len()).unwrap().to_le_bytes());
    out.extend_from_slice(data);
}

fn bof(out: &mut Vec<u8>, kind: u16) {
    let mut d = Vec::new();
    d.extend_from_slice(&0x0600u16.to_le_bytes()); // BIFF8
    d.extend_from_slice(&kind.to_le_bytes()); // 0x0005 globals, 0x0010 worksheet
    d.extend_from_slice(&0x0DBBu16.to_le_bytes()); // build
    d.extend_from_slice(&0x07CCu16.to_le_bytes()); // year
    d.extend_from_slice(&0x0000_0041u32.to_le_bytes()); // file history flags
    d.extend_from_slice(&0x0000_0006u32.to_le_bytes()); // lowest BIFF version
    record(out, 0x0809, &d);
}

/// Unicode string body: Latin-1 text compressed to one byte a character, otherwise UTF-16.
fn string_body(text: &str) -> (u16, u8, Vec<u8>) {
    let chars: Vec<u16> = text.encode_utf16().collect();
    let count = u16::try_from(chars.len()).unwrap();
    if chars.iter().all(|&c| c < 0x100) {
        (
            count,
            0,
            chars.iter().map(|&c| u8::try_from(c).unwrap()).collect(),
        )
    } else {
        (
            count,
            1,
            chars.iter().flat_map(|c| c.to_le_bytes()).collect(),
        )
    }
}

/// XLUnicodeString: 16-bit length, flags, characters.
fn long_string(text: &str) -> Vec<u8> {
    let (count, high, body) = string_body(text);
    let mut d = count.to_le_bytes().to_vec();
    d.push(high);
    d.extend(body);
    d
}

/// ShortXLUnicodeString: 8-bit length, flags, characters.
fn short_string(text: &str) -> Vec<u8> {
    let (count, high, body) = string_body(text);
    let mut d = vec![u8::try_from(count).unwrap(), high];
    d.extend(body);
    d
}

fn xf(out: &mut Vec<u8>, format: u16, style: bool) {
    let mut d = Vec::new();
    d.extend_from_slice(&0u16.to_le_bytes()); // font 0
    d.extend_from_slice(&format.to_le_bytes());
    // Style XFs: locked, style, no parent (0xFFF); cell XFs: locked, parent style XF 0.
    let flags: u16 = if style { 0xFFF5 } else { 0x0001 };
    d.extend_from_slice(&flags.to_le_bytes());
    d.push(0x20); // alignment: general, bottom
    d.push(0); // rotation
    d.push(0); // indent, shrink
    d.push(if style { 0 } else { 0xF8 }); // attributes used by the cell XF
    d.extend_from_slice(&0u32.to_le_bytes()); // borders
    d.extend_from_slice(&0u32.to_le_bytes()); // border colours, fill pattern
    d.extend_from_slice(&0x20C0u16.to_le_bytes()); // fill colours: automatic
    record(out, 0x00E0, &d);
}

/// Formula tokens (Rgce) in BIFF8: references relative in row and column.
fn tokens(formula: Formula) -> Vec<u8> {
    let mut t = Vec::new();
    match formula {
        Formula::Ref { col, row } => {
            t.push(0x24); // PtgRef (reference class)
            t.extend_from_slice(&u16::try_from(row).unwrap().to_le_bytes());
            t.extend_from_slice(&(col | 0xC000).to_le_bytes());
        }
        Formula::Sum { col, first, last } => {
            t.push(0x25); // PtgArea
            t.extend_from_slice(&u16::try_from(first).unwrap().to_le_bytes());
            t.extend_from_slice(&u16::try_from(last).unwrap().to_le_bytes());
            t.extend_from_slice(&(col | 0xC000).to_le_bytes());
            t.extend_from_slice(&(col | 0xC000).to_le_bytes());
            t.push(0x22); // PtgFuncVar (value class)
            t.push(1); // one argument
            t.extend_from_slice(&4u16.to_le_bytes()); // SUM
        }
    }
    t
}

/// The workbook as an `.xls` file.
pub fn write(book: &Book) -> Vec<u8> {
    // Shared strings, in order of first use.
    let mut strings: Vec<String> = Vec::new();
    let mut total_strings = 0u32;
    for sheet in &book.sheets {
        for (_, _, v) in &sheet.cells {
            if let Value::Text(t) = v {
                total_strings += 1;
                if !strings.contains(t) {
                    strings.push(t.clone());
                }
            }
        }
    }

    // Globals, with BOUNDSHEET8 offsets patched once the sheets' places are known.
    let mut globals = Vec::new();
    bof(&mut globals, 0x0005);
    record(&mut globals, 0x0042, &1200u16.to_le_bytes()); // CODEPAGE: UTF-16
    let mut window1 = Vec::new();
    for v in [0u16, 0, 0x4000, 0x2000, 0x0038, 0, 0, 1, 600] {
        window1.extend_from_slice(&v.to_le_bytes());
    }
    record(&mut globals, 0x003D, &window1);
    record(&mut globals, 0x0022, &0u16.to_le_bytes()); // DATEMODE: 1900
    // Five FONT records, as Excel writes (index 4 is skipped by readers).
    for _ in 0..5 {
        let mut d = Vec::new();
        d.extend_from_slice(&200u16.to_le_bytes()); // 10 pt
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&0x7FFFu16.to_le_bytes()); // automatic colour
        d.extend_from_slice(&400u16.to_le_bytes()); // normal weight
        d.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // script, underline, family, charset, reserved
        d.extend(short_string("Arial"));
        record(&mut globals, 0x0031, &d);
    }
    let mut format = FMT_DATE.to_le_bytes().to_vec();
    format.extend(long_string("DD.MM.YYYY"));
    record(&mut globals, 0x041E, &format);
    for _ in 0..15 {
        xf(&mut globals, 0, true);
    }
    xf(&mut globals, 0, false); // 15: general
    xf(&mut globals, FMT_DATE, false); // 16: date
    // STYLE: the built-in Normal style on XF 0.
    record(&mut globals, 0x0293, &[0x00, 0x80, 0x00, 0xFF]);
    let mut boundsheet_at = Vec::new();
    for sheet in &book.sheets {
        boundsheet_at.push(globals.len() + 4);
        let mut d = 0u32.to_le_bytes().to_vec(); // patched below
        d.extend_from_slice(&[0, 0]); // visible worksheet
        d.extend(short_string(&sheet.name));
        record(&mut globals, 0x0085, &d);
    }
    let mut sst = total_strings.to_le_bytes().to_vec();
    sst.extend_from_slice(&u32::try_from(strings.len()).unwrap().to_le_bytes());
    for s in &strings {
        sst.extend(long_string(s));
    }
    record(&mut globals, 0x00FC, &sst);
    record(&mut globals, 0x000A, &[]);

    let mut stream = globals;
    for (i, sheet) in book.sheets.iter().enumerate() {
        let at = boundsheet_at[i];
        let offset = u32::try_from(stream.len()).unwrap().to_le_bytes();
        stream[at..at + 4].copy_from_slice(&offset);
        write_sheet(&mut stream, sheet, &strings);
    }
    // Excel keeps the Workbook stream out of the compound file's mini stream (4096 bytes
    // and up); readers must not depend on it, but the files they meet are like that.
    if stream.len() < 4096 {
        stream.resize(4096, 0);
    }

    let mut file =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, std::io::Cursor::new(Vec::new()))
            .unwrap();
    let mut part = file.create_stream("/Workbook").unwrap();
    part.write_all(&stream).unwrap();
    drop(part);
    file.flush().unwrap();
    file.into_inner().into_inner()
}

fn write_sheet(out: &mut Vec<u8>, sheet: &super::Sheet, strings: &[String]) {
    bof(out, 0x0010);
    let cells = sheet.sorted_cells();
    let last_row = cells.iter().map(|c| c.0).max().unwrap_or(0);
    let last_col = cells.iter().map(|c| c.1).max().unwrap_or(0);
    let mut dim = 0u32.to_le_bytes().to_vec();
    dim.extend_from_slice(&(last_row + 1).to_le_bytes());
    dim.extend_from_slice(&0u16.to_le_bytes());
    dim.extend_from_slice(&(last_col + 1).to_le_bytes());
    dim.extend_from_slice(&0u16.to_le_bytes());
    record(out, 0x0200, &dim);
    for (r, c, value) in cells {
        let mut d = u16::try_from(r).unwrap().to_le_bytes().to_vec();
        d.extend_from_slice(&c.to_le_bytes());
        match value {
            Value::Text(t) => {
                d.extend_from_slice(&XF_GENERAL.to_le_bytes());
                let index = strings.iter().position(|s| *s == t).unwrap();
                d.extend_from_slice(&u32::try_from(index).unwrap().to_le_bytes());
                record(out, 0x00FD, &d); // LABELSST
            }
            Value::Number(n) => {
                d.extend_from_slice(&XF_GENERAL.to_le_bytes());
                d.extend_from_slice(&n.to_le_bytes());
                record(out, 0x0203, &d); // NUMBER
            }
            Value::Date(date) => {
                d.extend_from_slice(&XF_DATE.to_le_bytes());
                d.extend_from_slice(&excel_serial(date).to_le_bytes());
                record(out, 0x0203, &d);
            }
            Value::Formula(f, cached) => {
                d.extend_from_slice(&XF_GENERAL.to_le_bytes());
                d.extend_from_slice(&cached.to_le_bytes()); // the numeric result
                d.extend_from_slice(&0x0002u16.to_le_bytes()); // fCalcOnLoad
                d.extend_from_slice(&0u32.to_le_bytes());
                let rgce = tokens(f);
                d.extend_from_slice(&u16::try_from(rgce.len()).unwrap().to_le_bytes());
                d.extend(rgce);
                record(out, 0x0006, &d); // FORMULA
            }
        }
    }
    if !sheet.merges.is_empty() {
        let mut d = u16::try_from(sheet.merges.len())
            .unwrap()
            .to_le_bytes()
            .to_vec();
        for (r1, c1, r2, c2) in &sheet.merges {
            d.extend_from_slice(&u16::try_from(*r1).unwrap().to_le_bytes());
            d.extend_from_slice(&u16::try_from(*r2).unwrap().to_le_bytes());
            d.extend_from_slice(&c1.to_le_bytes());
            d.extend_from_slice(&c2.to_le_bytes());
        }
        record(out, 0x00E5, &d); // MERGEDCELLS
    }
    let mut window2 = 0x06B6u16.to_le_bytes().to_vec(); // gridlines, headers, zeros, ...
    window2.extend_from_slice(&[0; 16]);
    record(out, 0x023E, &window2);
    record(out, 0x000A, &[]);
}
