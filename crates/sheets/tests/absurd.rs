//! Workbooks no accountant saves but a mailbox may deliver: a zip bomb dressed as an xlsx
//! or ods, and a sheet with one stray value in its very last cell. Each is refused with
//! the file and the limit named, before it can take more memory than the limits state.
// Helpers outside #[test] functions build fixtures; a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use arsync_sheets::{
    MAX_DECOMPRESSED_BYTES, MAX_USED_CELLS, SheetOptions, SheetsError, Source, list_sheets,
    read_items, read_table,
};
use rust_xlsxwriter::Workbook;
use std::io::{Cursor, Read, Write};

/// Tests of this file take turns, so each one's peak memory is its own.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Peak resident memory of this test process so far, in KiB (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A raw deflate stream that inflates to `len` zero bytes, written by hand (one literal,
/// then back-references of 258 bytes at distance 1) so building a bomb of half a gigabyte
/// takes a few megabytes and no compression work.
fn deflated_zeros(len: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(u8::try_from(self.acc & 0xFF).unwrap());
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, count: u32) {
            let reversed = code.reverse_bits() >> (32 - count);
            self.put(reversed, count);
        }
    }
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0b0011_0000, 8); // literal 0
    let mut left = len - 1;
    while left >= 258 {
        bits.code(0b1100_0101, 8); // length 258
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(0b0011_0000, 8);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7);
    bits.out
}

/// A zip archive of real parts plus one deflated part whose headers give `declared` as
/// its size (the truth, or a lie) while it inflates to `actual` zero bytes.
fn zip_with_bomb(parts: &[(String, Vec<u8>)], bomb: &str, actual: u64, declared: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut entries: Vec<(String, Vec<u8>, u32, u32, u16)> = parts
        .iter()
        .map(|(name, data)| {
            let crc = crc32(data);
            (
                name.clone(),
                data.clone(),
                crc,
                u32::try_from(data.len()).unwrap(),
                0,
            )
        })
        .collect();
    entries.push((bomb.to_owned(), deflated_zeros(actual), 0, declared, 8));
    for (name, data, crc, size, method) in &entries {
        let offset = u32::try_from(out.len()).unwrap();
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes()); // made by
            }
            h.extend(20u16.to_le_bytes()); // needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(method.to_le_bytes());
            h.extend([0u8; 4]); // time, date
            h.extend(crc.to_le_bytes());
            h.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend(u16::try_from(name.len()).unwrap().to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend([0u8; 6]); // comment, disk, internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = u32::try_from(out.len()).unwrap();
    let count = u16::try_from(entries.len()).unwrap();
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend(u32::try_from(central.len()).unwrap().to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The parts of a small, genuine open-items workbook.
fn genuine_parts() -> Vec<(String, Vec<u8>)> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in (0u16..).zip([
        "Invoice No",
        "Customer",
        "Invoice Date",
        "Due Date",
        "Amount Due",
        "Currency",
    ]) {
        sheet.write_string(0, c, h).unwrap();
    }
    for (c, v) in (0u16..).zip([
        "INV-1",
        "Acme Ltd",
        "2026-09-01",
        "2026-10-01",
        "10.00",
        "EUR",
    ]) {
        sheet.write_string(1, c, v).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut part = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            part.read_to_end(&mut data).unwrap();
            (part.name().unwrap().into_owned(), data)
        })
        .collect()
}

fn assert_refused_as_too_large(err: &SheetsError, file: &str, limit: &str) {
    assert!(matches!(err, SheetsError::TooLarge { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{file} is refused")), "{msg}");
    assert!(msg.contains(limit), "{msg}");
}

#[test]
fn a_zip_bomb_dressed_as_an_xlsx_is_refused_within_a_few_megabytes() {
    let _alone = alone();
    let before = peak_rss_kib();
    let actual = MAX_DECOMPRESSED_BYTES + 64 * 1024 * 1024;
    let limit = format!("{MAX_DECOMPRESSED_BYTES} bytes decompressed");
    // The shared strings every sheet refers to, 576 MiB of them, and honest about it.
    let mut parts = genuine_parts();
    parts.retain(|(n, _)| n != "xl/sharedStrings.xml");
    let honest = zip_with_bomb(
        &parts,
        "xl/sharedStrings.xml",
        actual,
        u32::try_from(actual).unwrap(),
    );
    assert!(honest.len() < 8 * 1024 * 1024, "{}", honest.len());
    let source = Source::Bytes {
        name: "invoice.xlsx",
        bytes: &honest,
    };
    assert_refused_as_too_large(
        &read_items(source, &SheetOptions::default()).unwrap_err(),
        "invoice.xlsx",
        &limit,
    );
    assert_refused_as_too_large(&list_sheets(source).unwrap_err(), "invoice.xlsx", &limit);

    // The same bomb claiming to hold 1,000 bytes: the zip reader stops at its 1,001st byte,
    // and the workbook cannot be opened.
    let lying = zip_with_bomb(&parts, "xl/sharedStrings.xml", actual, 1000);
    let err = read_table(
        Source::Bytes {
            name: "invoice.xlsx",
            bytes: &lying,
        },
        &SheetOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, SheetsError::Open { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("cannot open invoice.xlsx"),
        "{err}"
    );

    // Refusing held no more than a few buffers besides the bombs themselves.
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        assert!(
            after.saturating_sub(before) < 64 * 1024,
            "peak memory grew by {} KiB",
            after - before
        );
    }
}

#[test]
fn a_zip_bomb_dressed_as_an_ods_is_refused_too() {
    let _alone = alone();
    let mimetype = (
        "mimetype".to_owned(),
        b"application/vnd.oasis.opendocument.spreadsheet".to_vec(),
    );
    let actual = MAX_DECOMPRESSED_BYTES + 1;
    let manifest = (
        "META-INF/manifest.xml".to_owned(),
        br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#.to_vec(),
    );
    let bomb = zip_with_bomb(
        &[mimetype, manifest],
        "content.xml",
        actual,
        u32::try_from(actual).unwrap(),
    );
    let path = tempfile::Builder::new().suffix(".ods").tempfile().unwrap();
    std::fs::File::create(path.path())
        .unwrap()
        .write_all(&bomb)
        .unwrap();
    let err = read_table(Source::Path(path.path()), &SheetOptions::default()).unwrap_err();
    assert_refused_as_too_large(
        &err,
        &path.path().display().to_string(),
        "bytes decompressed",
    );
}

#[test]
fn a_stray_value_in_the_last_cell_of_a_sheet_is_refused_without_building_the_grid() {
    let _alone = alone();
    let before = peak_rss_kib();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Offene Posten").unwrap();
    for (c, h) in (0u16..).zip([
        "Invoice No",
        "Customer",
        "Invoice Date",
        "Due Date",
        "Amount Due",
        "Currency",
    ]) {
        sheet.write_string(0, c, h).unwrap();
    }
    for (c, v) in (0u16..).zip([
        "INV-1",
        "Acme Ltd",
        "2026-09-01",
        "2026-10-01",
        "10.00",
        "EUR",
    ]) {
        sheet.write_string(1, c, v).unwrap();
    }
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let err = read_items(
        Source::Bytes {
            name: "op.xlsx",
            bytes: &bytes,
        },
        &SheetOptions::default(),
    )
    .unwrap_err();
    assert_refused_as_too_large(&err, "op.xlsx", &format!("{MAX_USED_CELLS} cells"));
    let msg = err.to_string();
    assert!(
        msg.contains("sheet 'Offene Posten' has a value in XFD1048576"),
        "{msg}"
    );
    assert!(msg.contains("Ctrl+End"), "{msg}");
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        assert!(
            after.saturating_sub(before) < 64 * 1024,
            "peak memory grew by {} KiB",
            after - before
        );
    }
}

#[test]
fn a_stray_value_a_thousand_rows_down_is_no_reason_to_refuse() {
    let _alone = alone();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in (0u16..).zip([
        "Invoice No",
        "Customer",
        "Invoice Date",
        "Due Date",
        "Amount Due",
        "Currency",
    ]) {
        sheet.write_string(0, c, h).unwrap();
    }
    for (c, v) in (0u16..).zip([
        "INV-1",
        "Acme Ltd",
        "2026-09-01",
        "2026-10-01",
        "10.00",
        "EUR",
    ]) {
        sheet.write_string(1, c, v).unwrap();
    }
    sheet.write_string(999, 25, "checked").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let f = read_items(
        Source::Bytes {
            name: "op.xlsx",
            bytes: &bytes,
        },
        &SheetOptions::default(),
    )
    .unwrap();
    assert_eq!(f.invoices.len(), 1);
    // The stray line has no invoice number, so it is reported, not silently dropped.
    assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
    assert_eq!(f.problems[0].row, 1000);
}
