//! Open Financial Exchange: 1.x SGML (leaf tags left open) and 2.x XML, read by one
//! tokenizer that walks tags and text without building a tree. Bank (`STMTRS`) and credit
//! card (`CCSTMTRS`) statements; each `STMTTRN` becomes an entry keyed by its `FITID`.

use crate::fields::{Reporter, account_from, parse_amount};
use crate::keys::KeyMaker;
use crate::{
    Balance, Format, FormatKind, ParseOptions, Position, Statement, StatementError, TextEncoding,
};
use arsync_model::{
    BankEntry, Counterparty, Currency, EntryStatus, ExchangeDetail, Money, NaiveDate, RefKind,
    Rounding, StructuredRef,
};
use std::io::BufRead;

/// Recognises OFX 1.x (`OFXHEADER:100`) or 2.x (`<?OFX OFXHEADER="200"`).
pub(crate) fn detect(head: &str) -> Option<Format> {
    if let Some(p) = head.find("OFXHEADER:") {
        let version = header_value(&head[p..], "VERSION:");
        return Some(Format {
            kind: FormatKind::Ofx,
            version: version.or_else(|| Some("1".into())),
        });
    }
    if let Some(p) = head.find("<?OFX") {
        let decl = &head[p..head[p..].find("?>").map_or(head.len(), |e| p + e)];
        let version = attr(decl, "VERSION");
        return Some(Format {
            kind: FormatKind::Ofx,
            version: version.or_else(|| Some("2".into())),
        });
    }
    (head.contains("<OFX>") && head.contains("STMT")).then_some(Format {
        kind: FormatKind::Ofx,
        version: None,
    })
}

fn header_value(head: &str, key: &str) -> Option<String> {
    head.lines()
        .find_map(|l| l.trim().strip_prefix(key))
        .map(|v| v.trim().to_owned())
}

fn attr(decl: &str, name: &str) -> Option<String> {
    let p = decl.find(&format!("{name}="))?;
    let rest = &decl[p + name.len() + 1..];
    let quote = rest.chars().next()?;
    let rest = &rest[quote.len_utf8()..];
    Some(rest[..rest.find(quote)?].to_owned())
}

/// The encoding an OFX file declares: `CHARSET` (1.x) or the XML declaration (2.x).
pub(crate) fn declared_encoding(bytes: &[u8]) -> Option<TextEncoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    if head.contains("OFXHEADER:") {
        let enc = header_value(&head, "ENCODING:").unwrap_or_default();
        if enc.eq_ignore_ascii_case("UTF-8") || enc.eq_ignore_ascii_case("UNICODE") {
            return Some(TextEncoding::Utf8);
        }
        let charset = header_value(&head, "CHARSET:").unwrap_or_default();
        return match charset.to_ascii_uppercase().as_str() {
            "1252" | "WINDOWS-1252" => Some(TextEncoding::Windows1252),
            "ISO-8859-1" | "8859-1" => Some(TextEncoding::Iso8859_1),
            "ISO-8859-15" => Some(TextEncoding::Iso8859_15),
            _ => None,
        };
    }
    let p = head.find("<?xml")?;
    let end = head[p..].find("?>")?;
    attr(&head[p..p + end], "encoding").and_then(|l| TextEncoding::from_label(&l))
}

#[derive(Default)]
struct TxFields {
    line: u32,
    /// The transaction's number in the file (1-based), for problems.
    number: u64,
    /// Where its `<STMTTRN>` starts in the window's text.
    start: usize,
    /// Its source text, `<STMTTRN>` up to its end tag, once it is complete.
    payload: String,
    trntype: Option<String>,
    posted: Option<String>,
    user: Option<String>,
    avail: Option<String>,
    amount: Option<(String, u32)>,
    fitid: Option<String>,
    checknum: Option<String>,
    refnum: Option<String>,
    name: Option<String>,
    memo: Option<String>,
    acct_to: Option<String>,
    cursym: Option<String>,
    currate: Option<String>,
}

#[derive(Default)]
struct StmtFields {
    line: u32,
    curdef: Option<String>,
    acctid: Option<String>,
    dtstart: Option<String>,
    dtend: Option<String>,
    ledger: Option<(String, Option<String>, u32)>,
    /// Complete transactions waiting for the statement's currency and account.
    txs: Vec<TxFields>,
    /// The statement once it has begun (its currency and account are known).
    begun: Option<Statement>,
}

/// How many bytes of text already read are dropped at once, when nothing needs them.
const KEEP_AT_MOST: usize = 64 * 1024;

/// The part of the file's text still needed: from the start of the open transaction (or
/// the reading position) on, plus what has been read ahead. Text is decoded as UTF-8
/// chunk by chunk, invalid bytes replaced exactly as decoding the whole file would.
struct Window<R> {
    src: R,
    buf: String,
    /// Bytes read but not yet decoded: an incomplete UTF-8 sequence at a chunk's end.
    raw: Vec<u8>,
    /// Offset in the file's text of `buf[0]`.
    base: usize,
    eof: bool,
    error: Option<std::io::Error>,
}

impl<R: BufRead> Window<R> {
    fn new(src: R) -> Self {
        Self {
            src,
            buf: String::new(),
            raw: Vec::new(),
            base: 0,
            eof: false,
            error: None,
        }
    }

    /// Reads the next chunk; `false` when the file is at its end.
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let n = match self.src.fill_buf() {
            Ok(chunk) => {
                self.raw.extend_from_slice(chunk);
                chunk.len()
            }
            Err(e) => {
                self.error = Some(e);
                0
            }
        };
        if n == 0 {
            self.eof = true;
            if self.raw.is_empty() {
                return false;
            }
            self.buf.push_str(&String::from_utf8_lossy(&self.raw));
            self.raw.clear();
            return true;
        }
        self.src.consume(n);
        decode_into(&mut self.raw, &mut self.buf);
        true
    }

    /// Reads on until the text holds `len` bytes or the file ends.
    fn ensure(&mut self, len: usize) {
        while self.buf.len() < len && self.fill() {}
    }

    /// Where `pat` first occurs at or after `from`, reading on as needed.
    fn find_from(&mut self, from: usize, pat: &str) -> Option<usize> {
        let from = floor_boundary(&self.buf, from.min(self.buf.len()));
        let mut start = from;
        loop {
            if let Some(p) = self.buf[start..].find(pat) {
                return Some(start + p);
            }
            // A match may begin in the last bytes searched.
            start = floor_boundary(
                &self.buf,
                self.buf
                    .len()
                    .saturating_sub(pat.len().saturating_sub(1))
                    .max(from),
            );
            if !self.fill() {
                return None;
            }
        }
    }

    /// Drops the first `n` bytes of text.
    fn drop_front(&mut self, n: usize) {
        self.buf.drain(..n);
        self.base += n;
    }
}

/// The largest char boundary of `s` at or before `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Decodes the complete UTF-8 in `raw` onto `out`, replacing invalid sequences with
/// U+FFFD, and leaves an incomplete sequence at its end in `raw`.
fn decode_into(raw: &mut Vec<u8>, out: &mut String) {
    let mut start = 0;
    while start < raw.len() {
        match std::str::from_utf8(&raw[start..]) {
            Ok(s) => {
                out.push_str(s);
                start = raw.len();
            }
            Err(e) => {
                let valid = start + e.valid_up_to();
                out.push_str(std::str::from_utf8(&raw[start..valid]).unwrap_or_default());
                match e.error_len() {
                    Some(n) => {
                        out.push('\u{FFFD}');
                        start = valid + n;
                    }
                    None => {
                        start = valid;
                        break;
                    }
                }
            }
        }
    }
    raw.drain(..start);
}

/// Where a value starts and ends, and where reading goes on after it: text up to the next
/// tag, or a CDATA section taken whole.
fn value_range<R: BufRead>(w: &mut Window<R>, start: usize) -> (usize, usize, usize) {
    let end = w.find_from(start, "<").unwrap_or(w.buf.len());
    let gap = &w.buf[start..end];
    let at = start + (gap.len() - gap.trim_start().len());
    if at == end {
        w.ensure(at + "<![CDATA[".len());
        if w.buf[at..].starts_with("<![CDATA[") {
            let body = at + "<![CDATA[".len();
            if let Some(close) = w.find_from(body, "]]>") {
                return (body, close, close + 3);
            }
        }
    }
    (start, end, end)
}

/// Reads an OFX file from `text`, delivering each statement when its currency and account
/// are known and each transaction as soon as its `</STMTTRN>` is read; only the open
/// transaction's text (and one chunk) is held, so a file of any size is read in flat
/// memory. A DOCTYPE or ENTITY declaration anywhere refuses the file (OFX never needs
/// one; in OFX 2.x XML it would carry entity expansion).
pub(crate) fn parse<R: BufRead>(text: R, rep: &mut Reporter<'_>) -> Result<(), StatementError> {
    let options = rep.options;
    let mut w = Window::new(text);
    let refuse = |offset: usize, what| StatementError::Declaration {
        file: options.file_name.clone(),
        offset: u64::try_from(offset).unwrap_or(u64::MAX),
        what,
    };
    // The prologue before <OFX> is skipped by the reader below, so it is searched here.
    let ofx_at = w.find_from(0, "<OFX>").unwrap_or(0);
    let prologue = &w.buf[..ofx_at];
    for (p, _) in prologue.match_indices("<!") {
        if let Some(what) = declaration(&prologue[p..]) {
            return Err(refuse(p, what));
        }
    }
    let mut keys = KeyMaker::default();
    let mut stack: Vec<String> = Vec::new();
    let mut stmt: Option<StmtFields> = None;
    let mut tx: Option<TxFields> = None;
    let mut line: u32 = 1;
    let mut counted_to = 0usize;
    let mut transactions: u64 = 0;
    let mut i = ofx_at;
    loop {
        // Text before the open transaction and the reading position is no longer needed.
        if i >= KEEP_AT_MOST {
            let keep = tx.as_ref().map_or(i, |t| t.start.min(i));
            w.drop_front(keep);
            i -= keep;
            counted_to -= keep.min(counted_to);
            if let Some(t) = tx.as_mut() {
                t.start -= keep;
            }
        }
        let Some(lt) = w.find_from(i, "<") else {
            break;
        };
        line += count_newlines(&w.buf.as_bytes()[counted_to..lt]);
        counted_to = lt;
        w.ensure(lt + 12);
        if w.buf[lt..].starts_with("<!--") {
            i = w.find_from(lt, "-->").map_or(w.buf.len(), |e| e + 3);
            continue;
        }
        if let Some(what) = declaration(&w.buf[lt..]) {
            return Err(refuse(w.base + lt, what));
        }
        if w.buf[lt..].starts_with("<?") || w.buf[lt..].starts_with("<!") {
            i = w.find_from(lt, ">").map_or(w.buf.len(), |e| e + 1);
            continue;
        }
        let Some(gt) = w.find_from(lt, ">") else {
            break;
        };
        let tag = w.buf[lt + 1..gt].trim();
        i = gt + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_uppercase();
            if let Some(pos) = stack.iter().rposition(|s| *s == name) {
                stack.truncate(pos);
                match name.as_str() {
                    "STMTTRN" => {
                        if let (Some(mut t), Some(s)) = (tx.take(), stmt.as_mut()) {
                            let end = w.buf[t.start..lt]
                                .find("</STMTTRN>")
                                .map_or(lt, |e| t.start + e);
                            t.payload = w.buf[t.start..end].to_owned();
                            s.txs.push(t);
                            deliver(s, false, options, &mut keys, rep);
                        }
                    }
                    "STMTRS" | "CCSTMTRS" => {
                        if let Some(s) = stmt.take() {
                            finish_statement(s, options, &mut keys, rep);
                        }
                    }
                    _ => {}
                }
            }
            continue;
        }
        let name = tag.to_ascii_uppercase();
        // The value runs to the next tag (CDATA included).
        let (vs, ve, next) = value_range(&mut w, i);
        let value_trim = w.buf[vs..ve].trim();
        if value_trim.is_empty() {
            // An aggregate (or an empty XML leaf, closed right away).
            match name.as_str() {
                "STMTRS" | "CCSTMTRS" => {
                    if let Some(s) = stmt.take() {
                        finish_statement(s, options, &mut keys, rep);
                    }
                    stmt = Some(StmtFields {
                        line,
                        ..StmtFields::default()
                    });
                }
                "STMTTRN" => {
                    transactions += 1;
                    tx = Some(TxFields {
                        line,
                        number: transactions,
                        start: lt,
                        ..TxFields::default()
                    });
                }
                _ => {}
            }
            stack.push(name);
            i = next.max(i);
            continue;
        }
        let value = unescape(value_trim);
        let parent = stack.last().map_or("", String::as_str);
        if let Some(t) = tx.as_mut() {
            match (parent, name.as_str()) {
                (_, "TRNTYPE") => t.trntype = Some(value),
                (_, "DTPOSTED") => t.posted = Some(value),
                (_, "DTUSER") => t.user = Some(value),
                (_, "DTAVAIL") => t.avail = Some(value),
                (_, "TRNAMT") => t.amount = Some((value, line)),
                (_, "FITID") => t.fitid = Some(value),
                (_, "CHECKNUM") => t.checknum = Some(value),
                (_, "REFNUM") => t.refnum = Some(value),
                ("PAYEE", "NAME") | ("STMTTRN", "NAME") => t.name = Some(value),
                (_, "MEMO") => t.memo = Some(value),
                ("BANKACCTTO" | "CCACCTTO", "ACCTID") => t.acct_to = Some(value),
                ("CURRENCY", "CURSYM") => t.cursym = Some(value),
                ("CURRENCY", "CURRATE") => t.currate = Some(value),
                _ => {}
            }
        } else if let Some(s) = stmt.as_mut() {
            match (parent, name.as_str()) {
                (_, "CURDEF") => s.curdef = Some(value),
                ("BANKACCTFROM" | "CCACCTFROM", "ACCTID") => s.acctid = Some(value),
                ("BANKTRANLIST", "DTSTART") => s.dtstart = Some(value),
                ("BANKTRANLIST", "DTEND") => s.dtend = Some(value),
                ("LEDGERBAL", "BALAMT") => s.ledger = Some((value, None, line)),
                ("LEDGERBAL", "DTASOF") => {
                    if let Some(l) = s.ledger.as_mut() {
                        l.1 = Some(value);
                    }
                }
                _ => {}
            }
        }
        i = next;
    }
    if let Some(s) = stmt.take() {
        rep.warning(
            Position::Line(s.line),
            "STMTRS",
            "the statement is not closed (missing </STMTRS>); the file may be truncated",
            "the entries read so far are kept; ask the bank for the complete file",
        );
        finish_statement(s, options, &mut keys, rep);
    }
    match w.error {
        Some(e) => Err(StatementError::Io {
            file: options.file_name.clone(),
            reason: e.to_string(),
        }),
        None => Ok(()),
    }
}

/// `DOCTYPE` or `ENTITY` when `at` starts with such a declaration.
fn declaration(at: &str) -> Option<&'static str> {
    let head = at.get(2..at.len().min(12))?.to_ascii_uppercase();
    if head.starts_with("DOCTYPE") {
        Some("DOCTYPE")
    } else if head.starts_with("ENTITY") {
        Some("ENTITY")
    } else {
        None
    }
}

fn count_newlines(b: &[u8]) -> u32 {
    u32::try_from(b.iter().filter(|c| **c == b'\n').count()).unwrap_or(u32::MAX)
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// `YYYYMMDD[HHMMSS[.XXX]][[gmt offset:tz]]`: the civil date as the bank wrote it.
fn ofx_date(s: &str) -> Option<NaiveDate> {
    let d = s.get(..8)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(d, "%Y%m%d").ok()
}

/// The statement's currency, when it states a valid one.
fn currency_of(s: &StmtFields) -> Option<Currency> {
    s.curdef.as_deref().and_then(|c| Currency::parse(c).ok())
}

/// The statement's id: the period its transaction list covers.
fn statement_id(s: &StmtFields) -> Option<String> {
    match (&s.dtstart, &s.dtend) {
        (Some(a), Some(b)) => Some(format!(
            "{}..{}",
            a.get(..8).unwrap_or(a),
            b.get(..8).unwrap_or(b)
        )),
        _ => None,
    }
}

/// Begins the statement once its currency and account are known (with `at_end`, once
/// its currency is), then delivers the transactions waiting.
fn deliver(
    s: &mut StmtFields,
    at_end: bool,
    options: &ParseOptions,
    keys: &mut KeyMaker,
    rep: &mut Reporter<'_>,
) {
    if s.begun.is_none() {
        let Some(currency) = currency_of(s) else {
            return;
        };
        if s.acctid.is_none() && !at_end {
            return;
        }
        let account = account_from(s.acctid.as_deref().unwrap_or(""), currency);
        let mut st = Statement::new(account, Position::Line(s.line));
        st.id = statement_id(s);
        rep.begin(st.clone());
        s.begun = Some(st);
    }
    let Some(st) = s.begun.as_ref() else {
        return;
    };
    for t in s.txs.drain(..) {
        rep.entry = Some(t.number);
        let built = build_entry(t, st, options, keys, rep);
        rep.entry = None;
        if let Some(e) = built {
            rep.entry(e);
        }
    }
}

/// Ends a statement: the transactions still waiting, then its closing (ledger) balance.
fn finish_statement(
    mut s: StmtFields,
    options: &ParseOptions,
    keys: &mut KeyMaker,
    rep: &mut Reporter<'_>,
) {
    if currency_of(&s).is_none() {
        rep.error(
            Position::Line(s.line),
            "CURDEF",
            format!(
                "the statement's currency '{}' is missing or not an ISO code, so its {} transactions cannot be read",
                s.curdef.as_deref().unwrap_or(""),
                s.txs.len()
            ),
            "OFX requires <CURDEF> in every statement; ask the bank for a corrected export",
        );
        return;
    }
    deliver(&mut s, true, options, keys, rep);
    let Some(mut st) = s.begun.take() else {
        return;
    };
    let currency = st.account.currency;
    st.id = statement_id(&s);
    if let Some((amt, asof, line)) = &s.ledger {
        match parse_amount(amt) {
            Some(a) => {
                st.closing = Some(Balance {
                    amount: Money::new(a, currency),
                    date: asof.as_deref().and_then(ofx_date),
                    code: "LEDGERBAL".into(),
                });
            }
            None => rep.error(
                Position::Line(*line),
                "LEDGERBAL/BALAMT",
                format!("'{amt}' is not an amount"),
                "the closing balance is left empty",
            ),
        }
    }
    rep.end(st);
}

fn build_entry(
    t: TxFields,
    st: &Statement,
    options: &ParseOptions,
    keys: &mut KeyMaker,
    rep: &mut Reporter<'_>,
) -> Option<BankEntry> {
    let currency = st.account.currency;
    let Some((amount_text, amount_line)) = &t.amount else {
        rep.error(
            Position::Line(t.line),
            "STMTTRN/TRNAMT",
            format!(
                "transaction {} has no amount; it was skipped",
                t.fitid.as_deref().unwrap_or("?")
            ),
            "OFX requires <TRNAMT>; ask the bank for a corrected export",
        );
        return None;
    };
    let Some(amount) = parse_amount(amount_text) else {
        rep.error(
            Position::Line(*amount_line),
            "STMTTRN/TRNAMT",
            format!("'{amount_text}' is not an amount; the transaction was skipped"),
            "expected e.g. -16.85 or -16,85",
        );
        return None;
    };
    let posted = t.posted.as_deref().and_then(ofx_date);
    if posted.is_none() {
        rep.error(
            Position::Line(t.line),
            "STMTTRN/DTPOSTED",
            format!(
                "transaction {} has no valid posting date ('{}'); it was skipped",
                t.fitid.as_deref().unwrap_or("?"),
                t.posted.as_deref().unwrap_or("")
            ),
            "expected YYYYMMDD[HHMMSS]",
        );
        return None;
    }
    if t.fitid.is_none() {
        rep.warning(
            Position::Line(t.line),
            "STMTTRN/FITID",
            "the transaction has no FITID, so the same transaction in a later download cannot be recognised with certainty",
            "the entry is keyed by its content instead",
        );
    }
    // With <CURRENCY>, TRNAMT is in CURSYM and CURRATE converts it to CURDEF.
    let mut exchange = None;
    let mut booked = Money::new(amount, currency);
    if let (Some(sym), Some(rate)) = (&t.cursym, t.currate.as_deref().and_then(parse_amount))
        && let Ok(foreign) = Currency::parse(sym)
    {
        let Some(converted) = amount.checked_mul(rate) else {
            rep.error(
                Position::Line(t.line),
                "STMTTRN/CURRENCY/CURRATE",
                format!("{amount} {foreign} at the rate {rate} is beyond any real amount; the transaction was skipped"),
                "check the rate in the bank's export",
            );
            return None;
        };
        booked = Money::new(
            Rounding::HalfUp.round(converted, currency.minor_units()),
            currency,
        );
        exchange = Some(ExchangeDetail {
            instructed: Money::new(amount, foreign),
            rate: Some(rate),
            source_currency: Some(foreign),
            target_currency: Some(currency),
        });
    }
    let mut structured_refs = Vec::new();
    if let Some(c) = t.checknum.as_ref().filter(|c| c.bytes().any(|b| b != b'0')) {
        structured_refs.push(StructuredRef {
            kind: RefKind::Other("CHECKNUM".into()),
            value: c.clone(),
        });
    }
    let remittance: Vec<String> = t.memo.iter().cloned().collect();
    for r in &remittance {
        structured_refs.extend(crate::refs::recognise_refs(r));
    }
    let payload = t.payload.as_str();
    let fitid_ref = t.fitid.as_ref().map(|f| format!("fitid:{f}"));
    let date_text = t.posted.clone().unwrap_or_default();
    let origin = keys.origin(
        &options.connection,
        st.account.key(),
        fitid_ref.as_deref(),
        None,
        &[
            &date_text,
            amount_text,
            t.name.as_deref().unwrap_or(""),
            t.memo.as_deref().unwrap_or(""),
        ],
        payload,
    );
    Some(BankEntry {
        origin,
        account: st.account.clone(),
        statement_id: st.id.clone(),
        booking_date: posted,
        value_date: t.avail.as_deref().and_then(ofx_date),
        amount: booked,
        status: EntryStatus::Booked,
        bank_reference: t.fitid.clone(),
        end_to_end_id: t.refnum.clone(),
        bank_tx_code: t.trntype.clone(),
        counterparty: Counterparty {
            name: t.name.clone(),
            account: t.acct_to.clone(),
            bic: None,
        },
        remittance,
        structured_refs,
        exchange,
        charges: Vec::new(),
        reversal: false,
        detail_index: None,
    })
    .map(|mut e| {
        if e.booking_date.is_none() {
            e.booking_date = t.user.as_deref().and_then(ofx_date);
        }
        e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_the_civil_day_the_bank_wrote() {
        assert_eq!(
            ofx_date("20240323000000[-3:GMT]"),
            NaiveDate::from_ymd_opt(2024, 3, 23)
        );
        assert_eq!(
            ofx_date("20110331120000.000"),
            NaiveDate::from_ymd_opt(2011, 3, 31)
        );
        assert_eq!(ofx_date("2011033"), None);
    }

    #[test]
    fn sgml_charset_1252_is_declared() {
        let head =
            b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:1252\n\n<OFX>";
        assert_eq!(declared_encoding(head), Some(TextEncoding::Windows1252));
        assert_eq!(
            detect(&String::from_utf8_lossy(head)).and_then(|f| f.version),
            Some("102".into())
        );
    }
}
