//! Bank statement parsers for arsync: ISO 20022 camt.052/053/054 (every version from
//! .001.02 to .001.13), SWIFT MT940/MT942, BAI2 and OFX 1.x/2.x.
//!
//! This crate owns reading a statement file into [`arsync_model::BankEntry`] values,
//! checking the file's own arithmetic (opening balance plus entries equals closing balance,
//! entry counts, control totals), detecting its text encoding, and giving every entry a
//! stable dedupe key in `Origin.external_id` so the same booking seen in a camt.052, a
//! camt.053 and a camt.054, or in overlapping statements, is kept once.
//!
//! It is a pure library: it reads bytes it is given and returns values. It must not do
//! file or network I/O, log to stdout/stderr, or depend on the store, the runtime, the
//! plugin SDK or any async machinery. XML is read as a stream of events (quick-xml), never
//! as a document tree; only a few `Ntry` elements at a time are held (one, or some eighty
//! in flight when a long camt file is read on two threads, see the crate README).
//!
//! [`parse_reader`] delivers a file as a stream of [`Event`]s (statement header, entries one
//! at a time, checks, problems) from any `BufRead`, so a statement of any size is read in
//! flat memory; [`parse`] collects the same events into a [`ParsedFile`].
//!
//! Bad input never stops a file: a malformed entry becomes a [`Problem`] naming the file,
//! the line (or XML element path and byte offset), the entry (its number in the file for
//! MT940, BAI2 and OFX; `Ntry[n]` in the camt path), the field and the fix, and the rest
//! of the file is still read.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bai2;
mod camt;
mod encoding;
mod error;
mod fields;
mod keys;
mod model;
mod mt940;
mod ofx;
mod refs;
mod stream;
mod zipped;

pub use encoding::TextEncoding;
pub use error::StatementError;
pub use model::{
    Balance, Check, CheckKind, Format, FormatKind, ParseOptions, ParsedFile, Position, Problem,
    Severity, Statement,
};
pub use refs::{is_valid_rf, is_valid_swiss_qr, recognise_refs};
pub use stream::{Event, parse_reader};
pub use zipped::{ZipMember, read_zip};

/// Recognises the format and version of a statement file from its first bytes, or `None`
/// when it is none of the formats this crate reads.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let head_len = bytes.len().min(4096);
    let head = String::from_utf8_lossy(&bytes[..head_len]);
    let trimmed = head.trim_start_matches(['\u{feff}', '\u{1}', ' ', '\t', '\r', '\n']);
    if let Some(f) = camt::detect(&head) {
        return Some(f);
    }
    if let Some(f) = ofx::detect(&head) {
        return Some(f);
    }
    if trimmed.starts_with("01,") {
        return Some(Format {
            kind: FormatKind::Bai2,
            version: bai2::detect_version(trimmed),
        });
    }
    mt940::detect(&head)
}

/// Parses a statement file held in memory. Fails only when the file is not a statement this
/// crate reads, cannot be decoded with the configured encoding, or declares a DOCTYPE or
/// entities; everything wrong inside the file is reported in [`ParsedFile::problems`] while
/// the rest is still read. This collects the events of [`parse_reader`] (the same reading,
/// with the whole file known up front to choose its encoding).
pub fn parse(bytes: &[u8], options: &ParseOptions) -> Result<ParsedFile, StatementError> {
    let mut out = ParsedFile {
        file_name: options.file_name.clone(),
        format: Format {
            kind: FormatKind::Camt053,
            version: None,
        },
        encoding: TextEncoding::Utf8,
        statements: Vec::new(),
        problems: Vec::new(),
        checks: Vec::new(),
    };
    let mut open = false;
    stream::drive(bytes, true, std::io::empty(), options, &mut |event| {
        collect(&mut out, &mut open, event);
    })?;
    Ok(out)
}

/// Adds one event to a parsed file; `open` says whether a statement is being read.
fn collect(out: &mut ParsedFile, open: &mut bool, event: Event) {
    match event {
        Event::File { format, encoding } => {
            out.format = format;
            out.encoding = encoding;
        }
        Event::Statement(s) => {
            out.statements.push(s);
            *open = true;
        }
        Event::Entry(e) => {
            if let Some(s) = out.statements.last_mut() {
                s.entries.push(e);
            }
        }
        Event::Check(c) => match out.statements.last_mut() {
            Some(s) if *open => s.checks.push(c),
            _ => out.checks.push(c),
        },
        Event::StatementEnd(end) => {
            if let Some(s) = out.statements.last_mut() {
                s.id = end.id;
                s.opening = end.opening;
                s.closing = end.closing;
                s.checks.extend(end.checks);
            }
            *open = false;
        }
        Event::Problem(p) => out.problems.push(p),
    }
}
