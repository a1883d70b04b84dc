//! An xlsb (Excel binary workbook, BIFF12) writer for test workbooks, after [MS-XLSB]: a
//! zip package with `[Content_Types].xml`, the relationships, and the binary parts
//! `xl/workbook.bin` (BrtBundleSh per sheet), `xl/styles.bin` (a custom date format and
//! two cell XFs), `xl/sharedStrings.bin` (BrtSSTItem) and one `xl/worksheets/sheetN.bin`
//! per sheet (BrtRowHdr, BrtCellIsst, BrtCellReal, BrtFmlaNum with its cached result,
//! BrtMergeCell).

use super::{Book, Formula, Value, excel_serial};
use std::io::Write;

const XF_GENERAL: u32 = 0;
const XF_DATE: u32 = 1;
const FMT_DATE: u16 = 164;

/// A record: its type and length as variable-length integers, then the data.
fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    if typ < 0x80 {
        out.push(u8::try_from(typ).unwrap());
    } else {
        out.push(u8::try_from(typ & 0x7F).unwrap() | 0x80);
        out.push(u8::try_from(typ >> 7).unwrap());
    }
    let mut len = data.len();
    loop {
        let byte = u8::try_from(len & 0x7F).unwrap();
        len >>= 7;
        if len == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(data);
}

/// XLWideString: 32-bit character count, UTF-16.
fn wide(text: &str) -> Vec<u8> {
    let chars: Vec<u16> = text.encode_utf16().collect();
    let mut d = u32::try_from(chars.len()).unwrap().to_le_bytes().to_vec();
    d.extend(chars.iter().flat_map(|c| c.to_le_bytes()));
    d
}

fn u32s(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Formula tokens (Rgce) in BIFF12: 32-bit rows, 14-bit columns with relative flags.
fn tokens(formula: Formula) -> Vec<u8> {
    let mut t = Vec::new();
    match formula {
        Formula::Ref { col, row } => {
            t.push(0x24); // PtgRef
            t.extend_from_slice(&row.to_le_bytes());
            t.extend_from_slice(&(col | 0xC000).to_le_bytes());
        }
        Formula::Sum { col, first, last } => {
            t.push(0x25); // PtgArea
            t.extend_from_slice(&first.to_le_bytes());
            t.extend_from_slice(&last.to_le_bytes());
            t.extend_from_slice(&(col | 0xC000).to_le_bytes());
            t.extend_from_slice(&(col | 0xC000).to_le_bytes());
            t.push(0x22); // PtgFuncVar
            t.push(1);
            t.extend_from_slice(&4u16.to_le_bytes()); // SUM
        }
    }
    t
}

/// The workbook as an `.xlsb` file.
pub fn write(book: &Book) -> Vec<u8> {
    let mut strings: Vec<String> = Vec::new();
    let mut total = 0u32;
    for sheet in &book.sheets {
        for (_, _, v) in &sheet.cells {
            if let Value::Text(t) = v {
                total += 1;
                if !strings.contains(t) {
                    strings.push(t.clone());
                }
            }
        }
    }

    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/><Override PartName="/xl/styles.bin" ContentType="application/vnd.ms-excel.styles"/><Override PartName="/xl/sharedStrings.bin" ContentType="application/vnd.ms-excel.sharedStrings"/>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for i in 1..=book.sheets.len() {
        types.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{i}.bin" ContentType="application/vnd.ms-excel.worksheet"/>"#));
        rels.push_str(&format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.bin"/>"#));
    }
    let n = book.sheets.len();
    rels.push_str(&format!(
        r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.bin"/><Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.bin"/></Relationships>"#,
        n + 1,
        n + 2
    ));
    types.push_str("</Types>");
    parts.push(("[Content_Types].xml".into(), types.into_bytes()));
    parts.push((
        "_rels/.rels".into(),
        br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>"#
            .to_vec(),
    ));
    parts.push(("xl/_rels/workbook.bin.rels".into(), rels.into_bytes()));

    // workbook.bin
    let mut wb = Vec::new();
    record(&mut wb, 0x0083, &[]); // BrtBeginBook
    let mut props = u32s(&[0, 0]); // flags (1900 dates), theme
    props.extend(wide(""));
    record(&mut wb, 0x0099, &props); // BrtWbProp
    record(&mut wb, 0x008F, &[]); // BrtBeginBundleShs
    for (i, sheet) in book.sheets.iter().enumerate() {
        let id = u32::try_from(i + 1).unwrap();
        let mut d = u32s(&[0, id]); // visible, tab id
        d.extend(wide(&format!("rId{id}")));
        d.extend(wide(&sheet.name));
        record(&mut wb, 0x009C, &d); // BrtBundleSh
    }
    record(&mut wb, 0x0090, &[]); // BrtEndBundleShs
    let mut calc = u32s(&[0, 1, 100]); // recalc id, automatic, iterations
    calc.extend_from_slice(&0.001f64.to_le_bytes());
    calc.extend_from_slice(&u32s(&[0xFFFF_FFFF]));
    calc.extend_from_slice(&0x0001u16.to_le_bytes()); // full precision
    record(&mut wb, 0x009D, &calc); // BrtCalcProp
    record(&mut wb, 0x0084, &[]); // BrtEndBook
    parts.push(("xl/workbook.bin".into(), wb));

    // styles.bin: one custom format, two cell XFs (general, date).
    let mut st = Vec::new();
    record(&mut st, 0x0116, &[]); // BrtBeginStyleSheet
    record(&mut st, 0x0267, &u32s(&[1])); // BrtBeginFmts
    let mut fmt = FMT_DATE.to_le_bytes().to_vec();
    fmt.extend(wide("dd.mm.yyyy"));
    record(&mut st, 0x002C, &fmt); // BrtFmt
    record(&mut st, 0x0268, &[]); // BrtEndFmts
    record(&mut st, 0x0269, &u32s(&[2])); // BrtBeginCellXFs
    for format in [0u16, FMT_DATE] {
        let mut x = Vec::new();
        x.extend_from_slice(&0u16.to_le_bytes()); // parent style XF
        x.extend_from_slice(&format.to_le_bytes());
        x.extend_from_slice(&[0; 12]); // font, fill, border, alignment, flags
        record(&mut st, 0x002F, &x); // BrtXF
    }
    record(&mut st, 0x026A, &[]); // BrtEndCellXFs
    record(&mut st, 0x0117, &[]); // BrtEndStyleSheet
    parts.push(("xl/styles.bin".into(), st));

    // sharedStrings.bin
    let mut ss = Vec::new();
    record(
        &mut ss,
        0x009F,
        &u32s(&[total, u32::try_from(strings.len()).unwrap()]),
    );
    for s in &strings {
        let mut d = vec![0u8]; // plain string, no runs
        d.extend(wide(s));
        record(&mut ss, 0x0013, &d); // BrtSSTItem
    }
    record(&mut ss, 0x00A0, &[]); // BrtEndSst
    parts.push(("xl/sharedStrings.bin".into(), ss));

    for (i, sheet) in book.sheets.iter().enumerate() {
        parts.push((
            format!("xl/worksheets/sheet{}.bin", i + 1),
            sheet_part(sheet, &strings),
        ));
    }

    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in parts {
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

fn sheet_part(sheet: &super::Sheet, strings: &[String]) -> Vec<u8> {
    let cells = sheet.sorted_cells();
    let last_row = cells.iter().map(|c| c.0).max().unwrap_or(0);
    let last_col = cells.iter().map(|c| u32::from(c.1)).max().unwrap_or(0);
    let mut out = Vec::new();
    record(&mut out, 0x0081, &[]); // BrtBeginSheet
    record(&mut out, 0x0094, &u32s(&[0, last_row, 0, last_col])); // BrtWsDim
    record(&mut out, 0x0091, &[]); // BrtBeginSheetData
    let mut row = None;
    for (r, c, value) in cells {
        if row != Some(r) {
            let mut hdr = u32s(&[r, 0]);
            hdr.extend_from_slice(&300u16.to_le_bytes()); // height in twips
            hdr.extend_from_slice(&[0, 0, 0]);
            hdr.extend_from_slice(&u32s(&[0])); // no column spans
            record(&mut out, 0x0000, &hdr); // BrtRowHdr
            row = Some(r);
        }
        let style = if matches!(value, Value::Date(_)) {
            XF_DATE
        } else {
            XF_GENERAL
        };
        let mut d = u32s(&[u32::from(c), style]);
        match value {
            Value::Text(t) => {
                let index = strings.iter().position(|s| *s == t).unwrap();
                d.extend_from_slice(&u32s(&[u32::try_from(index).unwrap()]));
                record(&mut out, 0x0007, &d); // BrtCellIsst
            }
            Value::Number(n) => {
                d.extend_from_slice(&n.to_le_bytes());
                record(&mut out, 0x0005, &d); // BrtCellReal
            }
            Value::Date(date) => {
                d.extend_from_slice(&excel_serial(date).to_le_bytes());
                record(&mut out, 0x0005, &d);
            }
            Value::Formula(f, cached) => {
                d.extend_from_slice(&cached.to_le_bytes());
                d.extend_from_slice(&0x0002u16.to_le_bytes()); // fCalcOnLoad
                let rgce = tokens(f);
                d.extend_from_slice(&u32s(&[u32::try_from(rgce.len()).unwrap()]));
                d.extend(rgce);
                d.extend_from_slice(&u32s(&[0])); // no extra data
                record(&mut out, 0x0009, &d); // BrtFmlaNum
            }
        }
    }
    record(&mut out, 0x0092, &[]); // BrtEndSheetData
    if !sheet.merges.is_empty() {
        record(
            &mut out,
            0x00B1,
            &u32s(&[u32::try_from(sheet.merges.len()).unwrap()]),
        ); // BrtBeginMergeCells
        for (r1, c1, r2, c2) in &sheet.merges {
            record(
                &mut out,
                0x00B0,
                &u32s(&[*r1, *r2, u32::from(*c1), u32::from(*c2)]),
            ); // BrtMergeCell
        }
        record(&mut out, 0x00B2, &[]); // BrtEndMergeCells
    }
    record(&mut out, 0x0082, &[]); // BrtEndSheet
    out
}
