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
//! as a document tree; only one `Ntry` at a time is held.
//!
//! Bad input never stops a file: a malformed entry becomes a [`Problem`] naming the file,
//! the line (or XML element path and byte offset), the field and the fix, and the rest of
//! the file is still read.
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
mod zipped;

pub use encoding::TextEncoding;
pub use error::StatementError;
pub use model::{
    Balance, Check, CheckKind, Format, FormatKind, ParseOptions, ParsedFile, Position, Problem,
    Severity, Statement,
};
pub use refs::{is_valid_rf, is_valid_swiss_qr, recognise_refs};
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

/// Parses a statement file. Fails only when the file is not a statement this crate reads
/// or cannot be decoded with the configured encoding; everything wrong inside the file is
/// reported in [`ParsedFile::problems`] while the rest is still read.
pub fn parse(bytes: &[u8], options: &ParseOptions) -> Result<ParsedFile, StatementError> {
    let format = detect(bytes).ok_or_else(|| StatementError::UnknownFormat {
        file: options.file_name.clone(),
    })?;
    let declared = match format.kind {
        FormatKind::Camt052 | FormatKind::Camt053 | FormatKind::Camt054 => {
            camt::declared_encoding(bytes)
        }
        FormatKind::Ofx => ofx::declared_encoding(bytes),
        _ => None,
    };
    let decoded = encoding::decode_text(bytes, options.encoding, declared).map_err(|enc| {
        StatementError::Encoding {
            file: options.file_name.clone(),
            encoding: enc,
        }
    })?;
    let kind = format.kind;
    let mut out = ParsedFile {
        file_name: options.file_name.clone(),
        format,
        encoding: decoded.encoding,
        statements: Vec::new(),
        problems: Vec::new(),
        checks: Vec::new(),
    };
    if let Some(w) = decoded.warning {
        out.problems.push(Problem {
            file: options.file_name.clone(),
            position: Position::Byte(0),
            field: "encoding".into(),
            message: w,
            hint: "configure the connection's encoding to silence this warning".into(),
            severity: Severity::Warning,
        });
    }
    let text: &str = &decoded.text;
    match kind {
        FormatKind::Camt052 | FormatKind::Camt053 | FormatKind::Camt054 => {
            camt::parse(text, options, &mut out)?;
        }
        FormatKind::Mt940 | FormatKind::Mt942 => mt940::parse(text, options, &mut out),
        FormatKind::Bai2 => bai2::parse(text, options, &mut out),
        FormatKind::Ofx => ofx::parse(text, options, &mut out)?,
    }
    for s in &mut out.statements {
        s.check_balance();
    }
    Ok(out)
}
