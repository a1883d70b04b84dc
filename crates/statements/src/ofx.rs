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
    start: usize,
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
    txs: Vec<TxFields>,
}

/// Reads an OFX file into `out`. A DOCTYPE or ENTITY declaration anywhere refuses the file
/// (OFX never needs one; in OFX 2.x XML it would carry entity expansion).
pub(crate) fn parse(text: &str, rep: &mut Reporter<'_>) -> Result<(), StatementError> {
    let options = rep.options;
    // The prologue before <OFX> is skipped by the reader below, so it is searched here.
    let prologue = &text[..text.find("<OFX>").unwrap_or(0)];
    for (p, _) in prologue.match_indices("<!") {
        if let Some(what) = declaration(&prologue[p..]) {
            return Err(StatementError::Declaration {
                file: options.file_name.clone(),
                offset: u64::try_from(p).unwrap_or(u64::MAX),
                what,
            });
        }
    }
    let mut statements: Vec<Statement> = Vec::new();
    let mut keys = KeyMaker::default();
    let mut stack: Vec<String> = Vec::new();
    let mut stmt: Option<StmtFields> = None;
    let mut tx: Option<TxFields> = None;
    let mut line: u32 = 1;
    let mut counted_to = 0usize;
    let mut transactions: u64 = 0;
    let bytes = text.as_bytes();
    let mut i = text.find("<OFX>").unwrap_or(0);
    while let Some(rel) = text[i..].find('<') {
        let lt = i + rel;
        line += count_newlines(&bytes[counted_to..lt]);
        counted_to = lt;
        if text[lt..].starts_with("<!--") {
            i = text[lt..].find("-->").map_or(text.len(), |e| lt + e + 3);
            continue;
        }
        if let Some(what) = declaration(&text[lt..]) {
            return Err(StatementError::Declaration {
                file: options.file_name.clone(),
                offset: u64::try_from(lt).unwrap_or(u64::MAX),
                what,
            });
        }
        if text[lt..].starts_with("<?") || text[lt..].starts_with("<!") {
            i = text[lt..].find('>').map_or(text.len(), |e| lt + e + 1);
            continue;
        }
        let Some(gt_rel) = text[lt..].find('>') else {
            break;
        };
        let gt = lt + gt_rel;
        let tag = text[lt + 1..gt].trim();
        i = gt + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_uppercase();
            if let Some(pos) = stack.iter().rposition(|s| *s == name) {
                stack.truncate(pos);
                match name.as_str() {
                    "STMTTRN" => {
                        if let (Some(t), Some(s)) = (tx.take(), stmt.as_mut()) {
                            s.txs.push(t);
                        }
                    }
                    "STMTRS" | "CCSTMTRS" => {
                        if let Some(s) = stmt.take() {
                            build_statement(s, text, options, &mut keys, rep, &mut statements);
                        }
                    }
                    _ => {}
                }
            }
            continue;
        }
        let name = tag.to_ascii_uppercase();
        // The value runs to the next tag (CDATA included).
        let (value, next) = read_value(text, i);
        let value_trim = value.trim();
        if value_trim.is_empty() {
            // An aggregate (or an empty XML leaf, closed right away).
            match name.as_str() {
                "STMTRS" | "CCSTMTRS" => {
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
        build_statement(s, text, options, &mut keys, rep, &mut statements);
    }
    rep.replay(statements, Vec::new());
    Ok(())
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

/// Text from `start` to the next tag; CDATA sections are taken whole.
fn read_value(text: &str, start: usize) -> (&str, usize) {
    let rest = &text[start..];
    let trimmed = rest.trim_start();
    if let Some(cdata) = trimmed.strip_prefix("<![CDATA[")
        && let Some(end) = cdata.find("]]>")
    {
        let offset = start + (rest.len() - trimmed.len()) + "<![CDATA[".len();
        return (&text[offset..offset + end], offset + end + 3);
    }
    let end = rest.find('<').map_or(text.len(), |e| start + e);
    (&text[start..end], end)
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

fn build_statement(
    s: StmtFields,
    text: &str,
    options: &ParseOptions,
    keys: &mut KeyMaker,
    rep: &mut Reporter<'_>,
    out: &mut Vec<Statement>,
) {
    let Some(currency) = s.curdef.as_deref().and_then(|c| Currency::parse(c).ok()) else {
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
    };
    let account = account_from(s.acctid.as_deref().unwrap_or(""), currency);
    let mut st = Statement::new(account, Position::Line(s.line));
    st.id = match (&s.dtstart, &s.dtend) {
        (Some(a), Some(b)) => Some(format!(
            "{}..{}",
            a.get(..8).unwrap_or(a),
            b.get(..8).unwrap_or(b)
        )),
        _ => None,
    };
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
    for t in s.txs {
        rep.entry = Some(t.number);
        let built = build_entry(t, &st, text, options, keys, rep);
        rep.entry = None;
        if let Some(e) = built {
            st.entries.push(e);
        }
    }
    out.push(st);
}

fn build_entry(
    t: TxFields,
    st: &Statement,
    text: &str,
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
    let end = text[t.start..]
        .find("</STMTTRN>")
        .map_or(text.len(), |e| t.start + e);
    let payload = &text[t.start..end];
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
