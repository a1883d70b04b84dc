//! Reading a statement file as a stream of [`Event`]s: the statement header, its entries
//! one at a time, the checks and the problems, in file order. [`crate::parse`] is a
//! collector over the same stream.
//!
//! Every format is read from the reader in small pieces (camt one `Ntry` at a time, MT940
//! and BAI2 line by line, OFX one `STMTTRN` at a time), so a caller that handles each
//! entry as it arrives holds neither the file nor its entries.

use crate::encoding::{self, Transcoder};
use crate::fields::Reporter;
use crate::{
    Check, Format, FormatKind, ParseOptions, Position, Problem, Severity, Statement,
    StatementError, TextEncoding, bai2, camt, detect, mt940, ofx,
};
use arsync_model::{BankEntry, Currency, Decimal, EntryStatus};
use std::io::{BufRead, Read};

/// How many bytes are looked at to recognise the format and the encoding.
const PREFIX: usize = 64 * 1024;

/// One thing read from a statement file, in file order.
// Entries are the events that come by the million: they are moved into the sink as they
// are, not boxed (an allocation each), so the enum is as large as an entry.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Event {
    /// Always first: what the file is and the encoding it is read in.
    File {
        /// Format and version.
        format: Format,
        /// The encoding the text is read in.
        encoding: TextEncoding,
    },
    /// A statement begins. Its account, id, position and the balances known at this point;
    /// `entries` and `checks` are empty (they follow as their own events).
    Statement(Statement),
    /// An entry of the statement that began last.
    Entry(BankEntry),
    /// A check of the open statement, or of the whole file when no statement is open.
    Check(Check),
    /// The open statement is complete: its final balances and the checks that could only be
    /// made at its end (control totals, page continuity, and last the balance check).
    /// `entries` is empty.
    StatementEnd(Statement),
    /// Something wrong in the file; reading goes on after it.
    Problem(Problem),
}

/// What the open statement has booked so far, for the balance check at its end.
#[derive(Debug)]
pub(crate) struct Tally {
    currency: Currency,
    booked: Decimal,
    foreign: Vec<Currency>,
}

impl Reporter<'_> {
    /// Starts a statement. An open statement must have been ended first.
    pub(crate) fn begin(&mut self, mut header: Statement) {
        self.open = Some(Tally {
            currency: header.account.currency,
            booked: Decimal::ZERO,
            foreign: Vec::new(),
        });
        header.entries.clear();
        let checks = std::mem::take(&mut header.checks);
        (self.sink)(Event::Statement(header));
        for c in checks {
            (self.sink)(Event::Check(c));
        }
    }

    /// Delivers an entry of the open statement.
    pub(crate) fn entry(&mut self, e: BankEntry) {
        if let Some(t) = self.open.as_mut()
            && e.status == EntryStatus::Booked
        {
            t.booked += e.amount.amount;
            if e.amount.currency != t.currency && !t.foreign.contains(&e.amount.currency) {
                t.foreign.push(e.amount.currency);
            }
        }
        (self.sink)(Event::Entry(e));
    }

    /// Delivers a check of the open statement (or of the file when none is open).
    pub(crate) fn check(&mut self, c: Check) {
        (self.sink)(Event::Check(c));
    }

    /// Ends the open statement: `s` carries the final balances and the end checks; the
    /// balance check is added from what was booked.
    pub(crate) fn end(&mut self, mut s: Statement) {
        s.entries.clear();
        if let Some(t) = self.open.take() {
            let mut foreign = t.foreign;
            for b in [&s.opening, &s.closing].into_iter().flatten() {
                if b.amount.currency != t.currency && !foreign.contains(&b.amount.currency) {
                    foreign.insert(0, b.amount.currency);
                }
            }
            if let Some(c) = s.balance_check(t.booked, &foreign) {
                s.checks.push(c);
            }
        }
        (self.sink)(Event::StatementEnd(s));
    }
}

/// Reads a statement file from `reader` and hands every statement, entry, check and problem
/// to `sink` as soon as it is read. Only the first 64 KiB (to recognise the format and the
/// encoding) and the entry being read (a camt `Ntry`, an MT940 `:61:` with its `:86:`, a
/// BAI2 `16` with its `88`s, an OFX `STMTTRN`) are held.
///
/// Fails when the file is not a statement this crate reads, the configured encoding cannot
/// decode its start, it declares a DOCTYPE or entities, or the reader fails; everything
/// wrong inside the file arrives as [`Event::Problem`] while the rest is still read.
pub fn parse_reader<R: BufRead>(
    mut reader: R,
    options: &ParseOptions,
    mut sink: impl FnMut(Event),
) -> Result<(), StatementError> {
    let mut prefix = Vec::with_capacity(PREFIX);
    let io = |e: std::io::Error| StatementError::Io {
        file: options.file_name.clone(),
        reason: e.to_string(),
    };
    (&mut reader)
        .take(PREFIX as u64)
        .read_to_end(&mut prefix)
        .map_err(io)?;
    let complete = prefix.len() < PREFIX && reader.fill_buf().map_err(io)?.is_empty();
    drive(&prefix, complete, reader, options, &mut sink)
}

/// Reads a file whose start is `prefix` and the rest `rest`. `complete` when `prefix` is
/// the whole file.
pub(crate) fn drive<R: BufRead>(
    prefix: &[u8],
    complete: bool,
    rest: R,
    options: &ParseOptions,
    sink: &mut dyn FnMut(Event),
) -> Result<(), StatementError> {
    let format = detect(prefix).ok_or_else(|| StatementError::UnknownFormat {
        file: options.file_name.clone(),
    })?;
    let kind = format.kind;
    let declared = match kind {
        FormatKind::Camt052 | FormatKind::Camt053 | FormatKind::Camt054 => {
            camt::declared_encoding(prefix)
        }
        FormatKind::Ofx => ofx::declared_encoding(prefix),
        _ => None,
    };
    let (enc, warning) =
        encoding::choose(prefix, complete, options.encoding, declared).map_err(|enc| {
            StatementError::Encoding {
                file: options.file_name.clone(),
                encoding: enc,
            }
        })?;
    sink(Event::File {
        format: format.clone(),
        encoding: enc,
    });
    let mut rep = Reporter {
        options,
        sink,
        open: None,
        entry: None,
    };
    if let Some(w) = warning {
        rep.push(
            Position::Byte(0),
            "encoding",
            w,
            "configure the connection's encoding to silence this warning",
            Severity::Warning,
        );
    }
    // UTF-8 is read as it is (the common case, and the fastest); other encodings are
    // transcoded to UTF-8 on the way.
    if enc == TextEncoding::Utf8 {
        let body = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
        read_text(body.chain(rest), kind, &mut rep)
    } else {
        read_text(Transcoder::new(prefix.chain(rest), enc), kind, &mut rep)
    }
}

/// Reads UTF-8 text in the given format.
fn read_text<R: BufRead>(
    text: R,
    kind: FormatKind,
    rep: &mut Reporter<'_>,
) -> Result<(), StatementError> {
    match kind {
        FormatKind::Camt052 | FormatKind::Camt053 | FormatKind::Camt054 => {
            camt::parse(text, kind, rep)
        }
        FormatKind::Mt940 | FormatKind::Mt942 => mt940::parse(text, kind, rep),
        FormatKind::Bai2 => bai2::parse(text, rep),
        FormatKind::Ofx => ofx::parse(text, rep),
    }
}
