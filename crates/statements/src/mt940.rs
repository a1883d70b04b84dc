//! SWIFT MT940 customer statements and MT942 interim reports.
//!
//! Read line by line: SOH/ETX framing and SWIFT `{1:..}{2:..}{4:` block headers are
//! dropped, a lone `-` ends a message, text before the first `:20:` (preambles, sender
//! lines) is skipped. Pages of one statement (`:62M:` followed by `:60M:` for the same
//! account) are joined and their continuity checked. `:61:` is read with every subfield
//! (value date, entry date with year rollover, reversal mark, funds code, amount, type,
//! customer and bank reference, supplementary details); `:86:` is read as German
//! `?20`-`?63` structured text, SWIFT `/KEY/value` text or free lines.

use crate::fields::{Reporter, account_from, parse_amount};
use crate::keys::{KeyMaker, is_placeholder_ref};
use crate::refs::recognise_refs;
use crate::{
    Balance, Check, CheckKind, Format, FormatKind, ParseOptions, Position, Statement,
    StatementError,
};
use arsync_model::{
    AccountId, BankEntry, Charge, Counterparty, Currency, Decimal, EntryStatus, ExchangeDetail,
    Money, NaiveDate,
};
use chrono::Datelike;
use std::fmt::Write as _;
use std::io::BufRead;

/// Recognises MT940 or MT942 from the start of a file.
pub(crate) fn detect(head: &str) -> Option<Format> {
    let has = |t: &str| head.contains(t);
    if !(has(":20:") && (has(":25:") || has(":61:") || has(":28C:"))) {
        return None;
    }
    let mt942 = has("{2:I942")
        || has("{2:O942")
        || ((has(":34F:") || has(":13D:") || has(":90D:") || has(":90C:")) && !has(":60F:"));
    Some(Format {
        kind: if mt942 {
            FormatKind::Mt942
        } else {
            FormatKind::Mt940
        },
        version: None,
    })
}

const KNOWN_TAGS: &[&str] = &[
    "20", "21", "25", "25P", "28", "28C", "60F", "60M", "61", "86", "62F", "62M", "64", "65",
    "34F", "13", "13D", "90D", "90C", "NS",
];

/// One tag with its value: the value's lines joined by `'\n'` (the first line is the text
/// after the tag). The text's buffer is handed back to the reader once the field is used,
/// so a file of any length is read without an allocation per line.
#[derive(Debug)]
struct Field {
    tag: &'static str,
    text: String,
    line: u32,
}

impl Field {
    /// The first line of the value (the text after the tag).
    fn first_line(&self) -> &str {
        self.text.split('\n').next().unwrap_or("")
    }

    /// The lines of the value.
    fn lines(&self) -> std::str::Split<'_, char> {
        self.text.split('\n')
    }
}

/// What the line reader yields: a field, or the end of a message (a lone `-`).
#[derive(Debug)]
enum Item {
    Field(Field),
    End,
}

/// How the line reader ended: a read error, or lines that were not valid UTF-8.
#[derive(Debug, Default)]
struct LineStatus {
    error: Option<std::io::Error>,
    bad_utf8: Option<u32>,
}

/// Reads fields one at a time from the file's lines, so a statement of any length is never
/// held whole. Each line is read into one reused buffer and copied once, into the text of
/// the field it belongs to; field texts are recycled.
struct Fields<'s, R> {
    src: R,
    buf: Vec<u8>,
    line_no: u32,
    status: &'s mut LineStatus,
    pending: Option<Field>,
    in_message: bool,
    queued_end: bool,
    peeked: Option<Option<Item>>,
    spare: Vec<String>,
}

impl<'s, R: BufRead> Fields<'s, R> {
    fn new(src: R, status: &'s mut LineStatus) -> Self {
        Self {
            src,
            buf: Vec::with_capacity(256),
            line_no: 0,
            status,
            pending: None,
            in_message: false,
            queued_end: false,
            peeked: None,
            spare: Vec::new(),
        }
    }

    /// Hands a field's text back for reuse.
    fn recycle(&mut self, text: String) {
        if self.spare.len() < 16 {
            self.spare.push(text);
        }
    }

    /// The next item without taking it.
    fn peek(&mut self) -> Option<&Item> {
        if self.peeked.is_none() {
            let next = self.read_item();
            self.peeked = Some(next);
        }
        self.peeked.as_ref().and_then(Option::as_ref)
    }

    /// Reads the next item from the lines.
    fn read_item(&mut self) -> Option<Item> {
        if self.queued_end {
            self.queued_end = false;
            return Some(Item::End);
        }
        loop {
            let buf = &mut self.buf;
            buf.clear();
            match self.src.read_until(b'\n', buf) {
                Ok(0) => return self.pending.take().map(Item::Field),
                Ok(_) => {}
                Err(e) => {
                    self.status.error = Some(e);
                    return self.pending.take().map(Item::Field);
                }
            }
            self.line_no = self.line_no.saturating_add(1);
            let line_no = self.line_no;
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            if buf.contains(&1) || buf.contains(&3) {
                buf.retain(|b| !matches!(b, 1 | 3));
            }
            let lossy;
            let mut line: &str = match std::str::from_utf8(buf) {
                Ok(t) => t,
                Err(_) => {
                    self.status.bad_utf8.get_or_insert(line_no);
                    lossy = String::from_utf8_lossy(buf);
                    &lossy
                }
            };
            // SWIFT envelope: "{1:F01...}{2:I940...}{4:" then the text block.
            if line.starts_with('{') {
                match line.find("{4:") {
                    Some(p) => line = &line[p + 3..],
                    None => continue,
                }
            }
            let t = trim(line);
            if t == "-" || t.starts_with("-}") {
                self.in_message = false;
                if let Some(f) = self.pending.take() {
                    self.queued_end = true;
                    return Some(Item::Field(f));
                }
                return Some(Item::End);
            }
            if let Some((tag, offset)) = split_tag(line) {
                if tag == "20" {
                    self.in_message = true;
                }
                if !self.in_message {
                    continue;
                }
                let mut text = self.spare.pop().unwrap_or_default();
                text.clear();
                text.push_str(line.get(offset..).unwrap_or(""));
                let field = Field {
                    tag,
                    text,
                    line: line_no,
                };
                if let Some(prev) = self.pending.replace(field) {
                    return Some(Item::Field(prev));
                }
                continue;
            }
            if self.in_message
                && let Some(f) = self.pending.as_mut()
                && (!t.is_empty() || f.tag == "86")
            {
                f.text.push('\n');
                f.text.push_str(line);
            }
        }
    }
}

impl<R: BufRead> Iterator for Fields<'_, R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        match self.peeked.take() {
            Some(item) => item,
            None => self.read_item(),
        }
    }
}

/// The tag of a line starting with `:TAG:`, as the static name, and where its value starts.
fn split_tag(line: &str) -> Option<(&'static str, usize)> {
    let rest = line.strip_prefix(':')?;
    let end = rest.find(':')?;
    let tag = &rest[..end];
    if let Some(k) = KNOWN_TAGS.iter().find(|k| **k == tag) {
        return Some((*k, end + 2));
    }
    // Any other SWIFT tag (two digits and an optional letter) is a field this reader
    // does not use; it must not be taken for text of the field before it.
    let b = tag.as_bytes();
    let swift_like = (b.len() == 2 || (b.len() == 3 && b[2].is_ascii_uppercase()))
        && b[0].is_ascii_digit()
        && b[1].is_ascii_digit();
    swift_like.then_some((OTHER_TAG, end + 2))
}

/// The tag given to fields this reader skips.
const OTHER_TAG: &str = "other";

/// Reads MT940/MT942 text line by line, delivering each entry as soon as its `:86:` is
/// complete. A statement is ended when the next one starts (or the file ends), because
/// a following `:60M:` page may continue it.
pub(crate) fn parse<R: BufRead>(
    text: R,
    kind: FormatKind,
    rep: &mut Reporter<'_>,
) -> Result<(), StatementError> {
    let interim = kind == FormatKind::Mt942;
    let options = rep.options;
    let mut file = FileState::default();
    let mut status = LineStatus::default();
    let mut fields = Fields::new(text, &mut status);
    let mut found = false;
    let mut open: Option<OpenStmt> = None;
    while let Some(item) = fields.next() {
        let Item::Field(first) = item else { continue };
        if first.tag != "20" {
            continue;
        }
        found = true;
        read_message(
            first,
            &mut fields,
            interim,
            options,
            &mut file,
            rep,
            &mut open,
        );
    }
    drop(fields);
    if let Some(o) = open.take() {
        close(o, rep);
    }
    if let Some(line) = status.bad_utf8 {
        rep.warning(
            Position::Line(line),
            "encoding",
            "the line is not valid UTF-8 although the start of the file is; unreadable bytes were replaced",
            "set the connection's `encoding` to the one the bank uses (e.g. \"windows-1252\", \"cp852\")",
        );
    }
    if !found {
        rep.error(
            Position::Line(1),
            ":20:",
            "no statement found: there is no ':20:' tag",
            "check that the file is an MT940/MT942 export and not a PDF or CSV",
        );
    }
    match status.error {
        Some(e) => Err(StatementError::Io {
            file: options.file_name.clone(),
            reason: e.to_string(),
        }),
        None => Ok(()),
    }
}

/// What the whole file's reading keeps: the dedupe keys and the number of entries seen.
#[derive(Default)]
struct FileState {
    scratch: Scratch,
    entries: u64,
    /// An emptied list of `:86:` fields, reused by the next entry.
    spare_info: Vec<Field>,
}

/// The dedupe keys, and buffers reused from entry to entry.
#[derive(Default)]
struct Scratch {
    keys: KeyMaker,
    payload: String,
    content: String,
    /// A `:86:` field's lines run together.
    joined: String,
    /// The purpose lines of a German structured `:86:` run together.
    purpose: String,
}

/// The statement being delivered, kept open while following pages may continue it.
struct OpenStmt {
    header: Statement,
    closing: Option<Balance>,
    pages: Vec<PageSummary>,
}

/// Starts the statement a page belongs to, unless the page continues the open one
/// (`:60M:` after a `:62M:` of the same account).
fn start_page(
    open: &mut Option<OpenStmt>,
    ctx: &Ctx,
    opening: Option<&Balance>,
    first_line: u32,
    rep: &mut Reporter<'_>,
) {
    let continues = opening.is_some_and(|b| b.code == "60M")
        && open.as_ref().is_some_and(|o| {
            o.header.account == ctx.account && o.closing.as_ref().is_some_and(|c| c.code == "62M")
        });
    if continues {
        return;
    }
    if let Some(o) = open.take() {
        close(o, rep);
    }
    let mut header = Statement::new(ctx.account.clone(), Position::Line(first_line));
    header.id = ctx.id.clone();
    header.opening = opening.cloned();
    rep.begin(header.clone());
    *open = Some(OpenStmt {
        header,
        closing: None,
        pages: Vec::new(),
    });
}

/// Ends a statement: its closing balance, and for one sent in pages the checks of each page.
fn close(o: OpenStmt, rep: &mut Reporter<'_>) {
    let mut s = o.header;
    s.closing = o.closing;
    if o.pages.len() > 1 {
        page_checks(&mut s, &o.pages);
    }
    rep.end(s);
}

/// What one page of a multi-page statement said and held.
struct PageSummary {
    id: String,
    booked: Decimal,
    opening: Option<Balance>,
    closing: Option<Balance>,
}

/// For a statement sent in pages: each page balances on its own, and each page opens
/// (`:60M:`) with the previous page's closing (`:62M:`).
fn page_checks(st: &mut Statement, pages: &[PageSummary]) {
    for (n, p) in pages.iter().enumerate() {
        if let (Some(o), Some(c)) = (&p.opening, &p.closing) {
            st.checks.push(Check::compare(
                CheckKind::Balance,
                &format!(
                    "page {} of {} ({}): :{}: + entries against :{}:",
                    n + 1,
                    pages.len(),
                    p.id,
                    o.code,
                    c.code
                ),
                c.amount.amount,
                o.amount.amount + p.booked,
            ));
        }
        if n > 0
            && let (Some(prev_close), Some(o)) = (&pages[n - 1].closing, &p.opening)
        {
            st.checks.push(Check::compare(
                CheckKind::PageContinuity,
                &format!(
                    "page {} ({}) opening :60M: against page {} closing :62M:",
                    n + 1,
                    p.id,
                    n
                ),
                prev_close.amount.amount,
                o.amount.amount,
            ));
        }
    }
}

struct RawEntry {
    line: u32,
    /// The entry's number in the file (1-based), for problems.
    number: u64,
    field61: Field,
    info: Vec<Field>,
}

/// The account and statement id entries are booked under.
struct Ctx {
    account: AccountId,
    id: Option<String>,
}

/// Reads one message (statement page) from its `:20:` to its end, turning each `:61:`
/// into an entry as soon as its `:86:` lines are complete.
fn read_message<R: BufRead>(
    first: Field,
    rest: &mut Fields<'_, R>,
    interim: bool,
    options: &ParseOptions,
    file: &mut FileState,
    rep: &mut Reporter<'_>,
    open: &mut Option<OpenStmt>,
) {
    let first_line = first.line;
    let reference = Some(first.first_line().trim().to_owned());
    rest.recycle(first.text);
    let mut account_raw: Option<String> = None;
    let mut seq: Option<String> = None;
    let mut opening = None;
    let mut closing = None;
    let mut currency: Option<Currency> = None;
    let mut totals: Vec<(&str, u32, Option<u64>, Option<Decimal>)> = Vec::new();
    let mut ctx: Option<Ctx> = None;
    let mut pending: Option<RawEntry> = None;
    let mut waiting: Vec<RawEntry> = Vec::new();
    // Booked total of this page, and count and sum of credit and debit entries.
    let mut booked = Decimal::ZERO;
    let mut sides = [(0u64, Decimal::ZERO); 2];
    let status = if interim {
        EntryStatus::Pending
    } else {
        EntryStatus::Booked
    };
    loop {
        let more = match rest.peek() {
            Some(Item::Field(f)) => f.tag != "20",
            Some(Item::End) => {
                rest.next();
                false
            }
            None => false,
        };
        let f = match more.then(|| rest.next()).flatten() {
            Some(Item::Field(f)) => Some(f),
            _ => None,
        };
        // Any tag but :86:/:NS: (or the end) completes the entry being read.
        if f.as_ref().is_none_or(|f| f.tag != "86" && f.tag != "NS")
            && let Some(raw) = pending.take()
        {
            waiting.push(raw);
        }
        if !waiting.is_empty()
            && let Some(cur) = currency
        {
            if ctx.is_none() {
                let c = make_ctx(
                    account_raw.as_deref(),
                    cur,
                    &reference,
                    &seq,
                    first_line,
                    rep,
                );
                start_page(open, &c, opening.as_ref(), first_line, rep);
                ctx = Some(c);
            }
            if let Some(c) = ctx.as_ref() {
                for raw in waiting.drain(..) {
                    rep.entry = Some(raw.number);
                    let read = read_entry(&raw, c, status, options, &mut file.scratch, rep);
                    rep.entry = None;
                    rest.recycle(raw.field61.text);
                    let mut info = raw.info;
                    for f in info.drain(..) {
                        rest.recycle(f.text);
                    }
                    file.spare_info = info;
                    if let Some(e) = read {
                        if e.status == EntryStatus::Booked {
                            booked += e.amount.amount;
                        }
                        let side = &mut sides[usize::from(!e.is_credit())];
                        side.0 += 1;
                        side.1 += e.amount.amount.abs();
                        rep.entry(e);
                    }
                }
            }
        }
        let Some(f) = f else { break };
        if f.tag == "61" {
            file.entries += 1;
            pending = Some(RawEntry {
                line: f.line,
                number: file.entries,
                field61: f,
                info: std::mem::take(&mut file.spare_info),
            });
            continue;
        }
        if f.tag == "86" || f.tag == "NS" {
            match pending.as_mut() {
                Some(e) => e.info.push(f),
                None => rest.recycle(f.text),
            }
            continue;
        }
        let v = f.first_line().trim();
        match f.tag {
            "25" | "25P" => account_raw = Some(v.to_owned()),
            "28" | "28C" => seq = Some(v.to_owned()),
            "60F" | "60M" | "62F" | "62M" => {
                if let Some(b) = read_balance(f.tag, v, f.line, rep) {
                    currency.get_or_insert(b.amount.currency);
                    if f.tag.starts_with("60") {
                        opening = Some(b);
                    } else {
                        closing = Some(b);
                    }
                }
            }
            "34F" => {
                if let Some(c) = v.get(..3).and_then(|c| Currency::parse(c).ok()) {
                    currency.get_or_insert(c);
                }
            }
            "90D" | "90C" => {
                // Number of entries, currency, sum.
                let digits = v.bytes().take_while(u8::is_ascii_digit).count();
                let count = v[..digits].parse::<u64>().ok();
                let ccy = v.get(digits..digits + 3);
                if let Some(c) = ccy.and_then(|c| Currency::parse(c).ok()) {
                    currency.get_or_insert(c);
                }
                let sum = v.get(digits + 3..).and_then(parse_amount);
                totals.push((
                    if f.tag == "90D" { "debit" } else { "credit" },
                    f.line,
                    count,
                    sum,
                ));
            }
            _ => {}
        }
        rest.recycle(f.text);
    }
    let Some(cur) = currency else {
        rep.error(
            Position::Line(first_line),
            ":60F:",
            format!(
                "statement {} has no balance or floor limit to take the account currency from, so its {} entries cannot be read",
                reference.as_deref().unwrap_or("?"),
                waiting.len()
            ),
            "the bank must send :60F: (MT940) or :34F: (MT942); ask for a complete export",
        );
        return;
    };
    if !interim && closing.is_none() {
        rep.warning(
            Position::Line(first_line),
            ":62F:",
            format!(
                "statement {} has no closing balance; the file may be cut short",
                reference.as_deref().unwrap_or("?")
            ),
            "the entries are kept but cannot be checked against a balance; ask the bank for the complete statement",
        );
    }
    let ctx = match ctx {
        Some(c) => c,
        None => {
            let c = make_ctx(
                account_raw.as_deref(),
                cur,
                &reference,
                &seq,
                first_line,
                rep,
            );
            start_page(open, &c, opening.as_ref(), first_line, rep);
            c
        }
    };
    for (side, line, count, sum) in totals {
        let (n, total) = sides[usize::from(side != "credit")];
        let letter = if side == "credit" { "C" } else { "D" };
        if let Some(c) = count {
            rep.check(Check::compare(
                CheckKind::EntryCount,
                &format!("number of {side} entries (:90{letter}: line {line})"),
                Decimal::from(c),
                Decimal::from(n),
            ));
        }
        if let Some(s) = sum {
            rep.check(Check::compare(
                CheckKind::ControlTotal,
                &format!("sum of {side} entries (:90{letter}: line {line})"),
                s,
                total,
            ));
        }
    }
    if let Some(o) = open.as_mut() {
        o.closing = closing.clone();
        o.pages.push(PageSummary {
            id: ctx.id.unwrap_or_default(),
            booked,
            opening,
            closing,
        });
    }
}

fn make_ctx(
    account_raw: Option<&str>,
    currency: Currency,
    reference: &Option<String>,
    seq: &Option<String>,
    first_line: u32,
    rep: &mut Reporter<'_>,
) -> Ctx {
    let account = match account_raw {
        Some(a) => account_from(a, currency),
        None => {
            rep.error(
                Position::Line(first_line),
                ":25:",
                "the statement has no account identification (:25:)",
                "the entries are kept under account 'unknown'; ask the bank for a complete export",
            );
            AccountId {
                iban: None,
                other: None,
                currency,
            }
        }
    };
    let id = match (reference, seq) {
        (Some(r), Some(s)) => Some(format!("{r}/{s}")),
        (Some(r), None) => Some(r.clone()),
        _ => None,
    };
    Ctx { account, id }
}

fn read_balance(tag: &str, v: &str, line: u32, rep: &mut Reporter<'_>) -> Option<Balance> {
    let field = format!(":{tag}:");
    let bad = |rep: &mut Reporter<'_>, what: &str| {
        rep.error(
            Position::Line(line),
            field.clone(),
            format!("'{v}' is not a balance: {what}"),
            "expected D/C mark, YYMMDD date, currency and amount, e.g. C240131EUR1234,56",
        );
    };
    let sign = match v.as_bytes().first() {
        Some(b'C') => Decimal::ONE,
        Some(b'D') => Decimal::NEGATIVE_ONE,
        _ => {
            bad(rep, "it does not start with C or D");
            return None;
        }
    };
    let date = v.get(1..7).and_then(yymmdd);
    if date.is_none() {
        rep.warning(
            Position::Line(line),
            field.clone(),
            format!(
                "the balance date '{}' is not a real date",
                v.get(1..7).unwrap_or("")
            ),
            "the balance is still used; the date is left empty",
        );
    }
    let Some(currency) = v.get(7..10).and_then(|c| Currency::parse(c).ok()) else {
        bad(rep, "no ISO currency code after the date");
        return None;
    };
    let Some(amount) = v.get(10..).and_then(parse_amount) else {
        bad(rep, "the amount is not a number");
        return None;
    };
    Some(Balance {
        amount: Money::new(sign * amount, currency),
        date,
        code: tag.to_owned(),
    })
}

fn century(yy: i32) -> i32 {
    if yy < 70 { 2000 + yy } else { 1900 + yy }
}

fn yymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = s[..2].parse().ok()?;
    let mm: u32 = s[2..4].parse().ok()?;
    let dd: u32 = s[4..6].parse().ok()?;
    NaiveDate::from_ymd_opt(century(yy), mm, dd)
}

/// The subfields of a `:61:` line, borrowed from the field's text.
#[derive(Debug, Default, PartialEq)]
struct Line61<'a> {
    value_date: Option<NaiveDate>,
    value_raw: &'a str,
    entry_raw: Option<&'a str>,
    reversal: bool,
    debit: bool,
    funds_code: Option<char>,
    amount: Decimal,
    tx_type: &'a str,
    customer_ref: &'a str,
    bank_ref: Option<&'a str>,
    supplementary: Vec<&'a str>,
}

/// Reads a `:61:` value (its lines joined by `'\n'`); `Err` names the subfield that could
/// not be read. The subfields are found in the bytes of the first line and borrowed.
fn read_61(text: &str) -> Result<Line61<'_>, (&'static str, String)> {
    let (first, more) = text.split_once('\n').unwrap_or((text, ""));
    let b = first.as_bytes();
    let mut out = Line61::default();
    let vd = first.get(0..6).unwrap_or("");
    if vd.len() != 6 || !vd.bytes().all(|c| c.is_ascii_digit()) {
        return Err(("value date", format!("'{vd}' is not YYMMDD")));
    }
    out.value_raw = vd;
    out.value_date = yymmdd(vd);
    let mut p = 6usize;
    if let Some(ed) = b.get(6..10) {
        if ed.iter().all(u8::is_ascii_digit) {
            out.entry_raw = first.get(6..10);
            p += 4;
        } else if ed == b"    " {
            p += 4;
        }
    }
    // Debit/credit mark: RC/RD (reversal), EC/ED (expected), C/D.
    let rest = b.get(p..).unwrap_or(&[]);
    let (mark_len, reversal, debit) = match rest {
        [b'R', b'C', ..] => (2, true, true),
        [b'R', b'D', ..] => (2, true, false),
        [b'E', b'C', ..] => (2, false, false),
        [b'E', b'D', ..] => (2, false, true),
        [b'C', ..] => (1, false, false),
        [b'D', ..] => (1, false, true),
        _ => {
            return Err((
                "debit/credit mark",
                format!(
                    "expected C, D, RC or RD after the dates, found '{}'",
                    first
                        .get(p..)
                        .unwrap_or("")
                        .chars()
                        .take(3)
                        .collect::<String>()
                ),
            ));
        }
    };
    out.reversal = reversal;
    out.debit = debit;
    p += mark_len;
    if let Some(c) = b.get(p)
        && c.is_ascii_alphabetic()
    {
        out.funds_code = Some(char::from(*c));
        p += 1;
    }
    let amt_len = b
        .get(p..)
        .unwrap_or(&[])
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b',')
        .count();
    let amt_text = first.get(p..p + amt_len).unwrap_or("");
    out.amount = parse_amount(amt_text).ok_or((
        "amount",
        format!("'{amt_text}' is not an amount (digits with a decimal comma)"),
    ))?;
    p += amt_len;
    // The transaction type: four characters (bytes when they are ASCII).
    let after = first.get(p..).unwrap_or("");
    let tx_len = if after.len() >= 4 && after.as_bytes()[..4].is_ascii() {
        4
    } else {
        after.char_indices().nth(4).map_or(after.len(), |(i, _)| i)
    };
    out.tx_type = after.get(..tx_len).unwrap_or("");
    let refs = after.get(tx_len..).unwrap_or("");
    match refs.as_bytes().windows(2).position(|w| w == b"//") {
        Some(i) => {
            out.customer_ref = trim(&refs[..i]);
            let br = trim(&refs[i + 2..]);
            out.bank_ref = (!br.is_empty()).then_some(br);
        }
        None => out.customer_ref = trim(refs),
    }
    if !more.is_empty() {
        out.supplementary = more
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
    }
    Ok(out)
}

/// Picks the year for an MMDD entry date so that it lies closest to the value date
/// (a December booking of a January value date belongs to the previous year).
fn entry_date(value_raw: &str, mmdd: &str) -> Option<NaiveDate> {
    let yy: i32 = value_raw.get(..2)?.parse().ok()?;
    let vm: i32 = value_raw.get(2..4)?.parse().ok()?;
    let em: u32 = mmdd.get(..2)?.parse().ok()?;
    let ed: u32 = mmdd.get(2..4)?.parse().ok()?;
    let em_i = i32::try_from(em).ok()?;
    let mut year = century(yy);
    if em_i - vm > 6 {
        year -= 1;
    } else if vm - em_i > 6 {
        year += 1;
    }
    NaiveDate::from_ymd_opt(year, em, ed)
}

/// What `:86:` (and `:NS:`) says about an entry.
#[derive(Debug, Default)]
struct Info {
    remittance: Vec<String>,
    end_to_end: Option<String>,
    counterparty: Counterparty,
    code: Option<String>,
    /// Original (instructed) amount: SWIFT `/OCMT/`, German `OAMT+`.
    original: Option<(Option<Currency>, Decimal)>,
    /// Exchange rate: SWIFT `/EXCH/`.
    rate: Option<Decimal>,
    /// Charges: SWIFT `/CHGS/`, German `COAM+`.
    charges: Vec<(Option<Currency>, Decimal, &'static str)>,
}

/// SWIFT amount codes in `:61:` supplementary details or `:86:` text:
/// `/OCMT/USD1000,00/` original amount, `/CHGS/EUR15,00/` charges, `/EXCH/0,92/` rate.
fn read_amount_codes(text: &str, info: &mut Info) {
    // Every code starts with a slash; most texts have none.
    if !text.contains('/') {
        return;
    }
    let value_of = |code: &str| {
        let p = text.find(code)? + code.len();
        let rest = &text[p..];
        Some(rest[..rest.find('/').unwrap_or(rest.len())].trim())
    };
    let ccy_amount = |v: &str| {
        let ccy = v.get(..3).and_then(|c| Currency::parse(c).ok());
        let amount = parse_amount(if ccy.is_some() { &v[3..] } else { v })?;
        Some((ccy, amount))
    };
    if let Some(o) = value_of("/OCMT/").and_then(ccy_amount) {
        info.original = Some(o);
    }
    if let Some((c, a)) = value_of("/CHGS/").and_then(ccy_amount) {
        info.charges.push((c, a, "CHGS"));
    }
    if let Some(r) = value_of("/EXCH/").and_then(parse_amount) {
        info.rate = Some(r);
    }
}

fn read_86(fields: &[Field], joined: &mut String, purpose: &mut String) -> Info {
    let mut info = Info::default();
    for f in fields {
        if f.tag == "NS" {
            info.remittance.extend(
                f.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| l.trim_end().to_owned()),
            );
            continue;
        }
        // The lines run on without their breaks (structured text is wrapped anywhere).
        joined.clear();
        for line in f.lines() {
            joined.push_str(line);
        }
        let joined = joined.as_str();
        read_amount_codes(joined, &mut info);
        if is_german_structured(joined) {
            read_german(joined, &mut info, purpose);
        } else if joined.trim_start().starts_with('/') && read_swift_keys(joined, &mut info) {
            // Read as /KEY/value pairs.
        } else {
            info.remittance.extend(
                f.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| l.trim_end().to_owned()),
            );
        }
    }
    info
}

fn is_german_structured(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 6 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b'?' && b[4].is_ascii_digit()
}

/// German DFÜ-Abkommen structured `:86:`: `GVC?00posting text?10primanota?20..?29 and
/// ?60..?63 purpose lines?30 BLZ/BIC?31 account/IBAN?32..?33 name?34 return code`.
fn read_german(s: &str, info: &mut Info, purpose: &mut String) {
    info.code = Some(s[..3].to_owned());
    purpose.clear();
    let mut name = String::new();
    // The parts between '?' signs are short: a byte loop finds their ends faster than a
    // search set up for each.
    let body = &s[4..];
    let mut rest = Some(body);
    let parts = std::iter::from_fn(|| {
        let r = rest?;
        match r.bytes().position(|b| b == b'?') {
            Some(q) => {
                rest = Some(&r[q + 1..]);
                Some(&r[..q])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    });
    for part in parts {
        if part.len() < 2 || !part.is_char_boundary(2) {
            continue;
        }
        let (code, value) = part.split_at(2);
        match code {
            "20" | "21" | "22" | "23" | "24" | "25" | "26" | "27" | "28" | "29" | "60" | "61"
            | "62" | "63" => {
                if !trim(value).is_empty() {
                    info.remittance.push(value.trim_end().to_owned());
                }
                purpose.push_str(value);
            }
            "30" => info.counterparty.bic = non_empty(value),
            "31" => info.counterparty.account = non_empty(value),
            "32" | "33" => name.push_str(value),
            _ => {}
        }
    }
    info.counterparty.name = non_empty_owned(name);
    // SEPA keywords inside the purpose text.
    const KEYWORDS: [&str; 12] = [
        "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "IBAN+", "BIC+",
        "COAM+", "OAMT+",
    ];
    // One pass over the '+' signs: every keyword ends in one, so each '+' is checked
    // against the keywords that could end there (found in text order, as bytes); a
    // keyword's value runs to the next keyword.
    let bytes = purpose.as_bytes();
    let mut open: Option<(usize, &str)> = None;
    for (plus, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'+') {
        if let Some(k) = KEYWORDS
            .iter()
            .find(|k| plus + 1 >= k.len() && &bytes[plus + 1 - k.len()..=plus] == k.as_bytes())
        {
            let start = plus + 1 - k.len();
            if let Some((from, key)) = open {
                sepa_value(key, &purpose[from + key.len()..start], info);
            }
            open = Some((start, k));
        }
    }
    if let Some((from, key)) = open {
        sepa_value(key, &purpose[from + key.len()..], info);
    }
}

/// The value of one SEPA keyword in German purpose text.
fn sepa_value(key: &str, value: &str, info: &mut Info) {
    let value = trim(value);
    match key {
        "EREF+" if !is_placeholder_ref(value) => info.end_to_end = Some(value.to_owned()),
        "OAMT+" => info.original = parse_amount(value).map(|a| (None, a)),
        "COAM+" => {
            if let Some(a) = parse_amount(value) {
                info.charges.push((None, a, "COAM"));
            }
        }
        _ => {}
    }
}

/// SWIFT-style `/KEY/value/KEY/value` text (Dutch and many other banks).
fn read_swift_keys(s: &str, info: &mut Info) -> bool {
    const KEYS: [&str; 13] = [
        "TRTP", "IBAN", "BIC", "NAME", "REMI", "EREF", "CSID", "MARF", "ORDP", "BENM", "ADDR",
        "RTRN", "PREF",
    ];
    let parts: Vec<&str> = s.split('/').collect();
    let mut found = false;
    let mut i = 0;
    while i < parts.len() {
        let key = parts[i].trim();
        if KEYS.contains(&key) {
            let mut j = i + 1;
            while j < parts.len() && !KEYS.contains(&parts[j].trim()) {
                j += 1;
            }
            let value = parts[i + 1..j].join("/");
            let value = value.trim_matches('/').trim();
            found = true;
            match key {
                "NAME" => info.counterparty.name = non_empty(value),
                "IBAN" => info.counterparty.account = non_empty(value),
                "BIC" => info.counterparty.bic = non_empty(value),
                "REMI" => {
                    let v = value
                        .trim_start_matches("USTD//")
                        .trim_start_matches("STRD/");
                    if !v.is_empty() {
                        info.remittance.push(v.to_owned());
                    }
                }
                "EREF" if !is_placeholder_ref(value) => info.end_to_end = Some(value.to_owned()),
                "TRTP" => info.code = non_empty(value),
                _ => {}
            }
            i = j;
        } else {
            i += 1;
        }
    }
    found
}

/// Writes a date as `YYYY-MM-DD` (as `NaiveDate` displays it), nothing when there is none.
fn push_date(out: &mut String, date: Option<NaiveDate>) {
    let Some(d) = date else { return };
    match (u32::try_from(d.year()), d.month(), d.day()) {
        (Ok(y), m, day) if y <= 9999 => {
            for v in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10] {
                out.push(digit(v));
            }
            out.push('-');
            out.push(digit(m / 10));
            out.push(digit(m % 10));
            out.push('-');
            out.push(digit(day / 10));
            out.push(digit(day % 10));
        }
        // Writing to a String cannot fail.
        _ => drop(write!(out, "{d}")),
    }
}

/// Writes a decimal as `Decimal` displays it (`-12.50`, `0.05`, `7`), without the
/// formatting machinery.
fn push_decimal(out: &mut String, d: Decimal) {
    let mantissa = d.mantissa();
    let scale = usize::try_from(d.scale()).unwrap_or(usize::MAX);
    if mantissa == 0 || scale > 28 {
        // Writing to a String cannot fail.
        let _ = write!(out, "{d}");
        return;
    }
    let mut digits = [0u8; 40];
    let mut at = digits.len();
    let abs = mantissa.unsigned_abs();
    // Amounts fit in 64 bits, where division is much cheaper than in 128.
    match u64::try_from(abs) {
        Ok(mut rest) => {
            while rest > 0 {
                at -= 1;
                digits[at] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
                rest /= 10;
            }
        }
        Err(_) => {
            let mut rest = abs;
            while rest > 0 {
                at -= 1;
                digits[at] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
                rest /= 10;
            }
        }
    }
    let digits = &digits[at..];
    if mantissa < 0 {
        out.push('-');
    }
    if scale == 0 {
        out.extend(digits.iter().map(|c| char::from(*c)));
    } else if digits.len() <= scale {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.extend(digits.iter().map(|c| char::from(*c)));
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend(int.iter().map(|c| char::from(*c)));
        out.push('.');
        out.extend(frac.iter().map(|c| char::from(*c)));
    }
}

/// The ASCII digit of `v` (0 to 9).
fn digit(v: u32) -> char {
    char::from_digit(v, 10).unwrap_or('0')
}

/// Whether text could hold a reference `recognise_refs` finds: an `RF` creditor reference
/// or a 27-digit Swiss QR reference. Text with neither `rf` nor 27 digits in a row holds
/// none, and most remittance text is such text.
fn may_hold_ref(bytes: impl Iterator<Item = u8>) -> bool {
    let mut prev = 0u8;
    let mut digits = 0usize;
    for c in bytes {
        // ASCII letters in lower case; no other byte becomes 'r' or 'f'.
        let lower = c | 0x20;
        if lower == b'f' && prev == b'r' {
            return true;
        }
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 27 {
                return true;
            }
        } else {
            digits = 0;
        }
        prev = lower;
    }
    false
}

/// [`non_empty`] for a string already owned: kept as it is when it needs no trimming.
fn non_empty_owned(s: String) -> Option<String> {
    if trim(&s).len() == s.len() {
        (!s.is_empty()).then_some(s)
    } else {
        non_empty(&s)
    }
}

/// `str::trim`, without its search when the text starts and ends with a visible ASCII
/// character (as almost every field does).
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = trim(s);
    (!t.is_empty()).then(|| t.to_owned())
}

fn read_entry(
    raw: &RawEntry,
    st: &Ctx,
    status: EntryStatus,
    options: &ParseOptions,
    scratch: &mut Scratch,
    rep: &mut Reporter<'_>,
) -> Option<BankEntry> {
    let l61 = match read_61(&raw.field61.text) {
        Ok(l) => l,
        Err((field, why)) => {
            rep.error(
                Position::Line(raw.line),
                format!(":61: {field}"),
                format!("the entry cannot be read: {why}; it was skipped"),
                "correct the line or ask the bank to re-send the statement; the balance check will show the gap",
            );
            return None;
        }
    };
    if l61.value_date.is_none() {
        rep.error(
            Position::Line(raw.line),
            ":61: value date",
            format!(
                "'{}' is an impossible date ({}-{}-{} does not exist)",
                l61.value_raw,
                century(l61.value_raw[..2].parse().unwrap_or(0)),
                &l61.value_raw[2..4],
                &l61.value_raw[4..6]
            ),
            "the entry is kept with its entry (booking) date only; ask the bank to correct the value date",
        );
    }
    let booking_date = match &l61.entry_raw {
        Some(ed) => {
            let d = entry_date(l61.value_raw, ed);
            if d.is_none() {
                rep.error(
                    Position::Line(raw.line),
                    ":61: entry date",
                    format!("'{ed}' is not a real month and day"),
                    "the entry is kept with its value date only",
                );
            }
            d
        }
        None => l61.value_date,
    };
    if booking_date.is_none() && l61.value_date.is_none() {
        rep.error(
            Position::Line(raw.line),
            ":61: dates",
            "neither the value date nor the entry date is a real date; the entry was skipped",
            "ask the bank to re-send the statement",
        );
        return None;
    }
    let mut info = read_86(&raw.info, &mut scratch.joined, &mut scratch.purpose);
    for line in &l61.supplementary {
        read_amount_codes(line, &mut info);
    }
    let currency = st.account.currency;
    let exchange = info.original.map(|(ccy, amount)| {
        let instructed_ccy = ccy.unwrap_or(currency);
        ExchangeDetail {
            instructed: Money::new(amount, instructed_ccy),
            rate: info.rate,
            source_currency: (instructed_ccy != currency).then_some(instructed_ccy),
            target_currency: (instructed_ccy != currency).then_some(currency),
        }
    });
    let charges: Vec<Charge> = info
        .charges
        .iter()
        .map(|(ccy, amount, kind)| Charge {
            amount: Money::new(amount.abs(), ccy.unwrap_or(currency)),
            included: true,
            kind: Some((*kind).to_owned()),
        })
        .collect();
    let signed = if l61.debit { -l61.amount } else { l61.amount };
    // The supplementary details come first; most entries have none, and then the
    // remittance read from :86: is taken as it is.
    let mut remittance = std::mem::take(&mut info.remittance);
    if !l61.supplementary.is_empty() {
        remittance.splice(0..0, l61.supplementary.iter().map(|l| (*l).to_owned()));
    }
    let mut structured_refs = Vec::new();
    // What a line holds, the lines run together hold too: one look at them tells whether
    // any reference can be there.
    if may_hold_ref(remittance.iter().flat_map(|l| l.bytes())) {
        for line in &remittance {
            structured_refs.extend(recognise_refs(line));
        }
        // A reference may run over two lines: the lines are also read as one text.
        structured_refs.extend(recognise_refs(&remittance.concat()));
        structured_refs.dedup();
    }
    let bank_tx_code = match &info.code {
        Some(c) => {
            let t = trim(l61.tx_type);
            let mut code = String::with_capacity(t.len() + 1 + c.len());
            code.push_str(t);
            code.push('/');
            code.push_str(c);
            Some(code)
        }
        None => non_empty(l61.tx_type),
    };
    let Scratch {
        keys,
        payload,
        content,
        ..
    } = scratch;
    payload.clear();
    payload.push_str(&raw.field61.text);
    for f in &raw.info {
        payload.push('\n');
        payload.push_str(&f.text);
    }
    // The content that identifies the entry when it has no reference: dates, amount,
    // type, customer reference and remittance, cut from one reused buffer.
    content.clear();
    push_date(content, l61.value_date);
    let vd_end = content.len();
    push_date(content, booking_date);
    let bd_end = content.len();
    push_decimal(content, signed);
    let amount_end = content.len();
    for (n, line) in remittance.iter().enumerate() {
        if n > 0 {
            content.push('\n');
        }
        content.push_str(line);
    }
    let bank_ref = l61.bank_ref.filter(|r| !is_placeholder_ref(r));
    let origin = keys.origin(
        &options.connection,
        st.account.key(),
        bank_ref,
        None,
        &[
            &content[..vd_end],
            &content[vd_end..bd_end],
            &content[bd_end..amount_end],
            l61.tx_type,
            l61.customer_ref,
            &content[amount_end..],
        ],
        payload,
    );
    Some(BankEntry {
        origin,
        account: st.account.clone(),
        statement_id: st.id.clone(),
        booking_date,
        value_date: l61.value_date,
        amount: Money::new(signed, st.account.currency),
        status,
        bank_reference: bank_ref
            .or_else(|| Some(l61.customer_ref).filter(|r| !is_placeholder_ref(r)))
            .map(str::to_owned),
        end_to_end_id: info.end_to_end,
        bank_tx_code,
        counterparty: info.counterparty,
        remittance,
        structured_refs,
        exchange,
        charges,
        reversal: l61.reversal,
        detail_index: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_61_line_with_every_subfield() {
        let l = read_61("0709040904RCR204,88NRTIKREF123//BANK-77\nSTORNO DETAIL").unwrap();
        assert_eq!(l.value_date, NaiveDate::from_ymd_opt(2007, 9, 4));
        assert!(l.reversal);
        assert!(l.debit, "a reversal of a credit takes money out");
        assert_eq!(l.funds_code, Some('R'));
        assert_eq!(l.amount, dec!(204.88));
        assert_eq!(l.tx_type, "NRTI");
        assert_eq!(l.customer_ref, "KREF123");
        assert_eq!(l.bank_ref, Some("BANK-77"));
        assert_eq!(l.supplementary, vec!["STORNO DETAIL"]);
    }

    #[test]
    fn swift_envelopes_and_soh_etx_framing_are_dropped() {
        let text = "\u{1}{1:F01BANKDEFFAXXX0000000000}{2:I940BANKDEFFXXXXN}{4:\n:20:REF\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C240101EUR0,\n-}\u{3}";
        let mut status = LineStatus::default();
        let items: Vec<Item> = Fields::new(text.as_bytes(), &mut status).collect();
        let tags: Vec<&str> = items
            .iter()
            .map(|i| match i {
                Item::Field(f) => f.tag,
                Item::End => "end",
            })
            .collect();
        assert_eq!(tags, vec!["20", "25", "28C", "60F", "end"]);
        assert!(matches!(&items[0], Item::Field(f) if f.line == 2 && f.text == "REF"));
    }

    #[test]
    fn an_unknown_swift_tag_does_not_run_into_the_remittance_before_it() {
        let text = ":20:R\n:86:Invoice 42\n:23:SOMETHING\n:62F:C240101EUR0,\n";
        let mut status = LineStatus::default();
        let items: Vec<Item> = Fields::new(text.as_bytes(), &mut status).collect();
        let info = items
            .iter()
            .find_map(|i| match i {
                Item::Field(f) if f.tag == "86" => Some(f.lines().count()),
                _ => None,
            })
            .unwrap();
        assert_eq!(info, 1);
        assert!(
            items
                .iter()
                .any(|i| matches!(i, Item::Field(f) if f.tag == OTHER_TAG))
        );
    }

    #[test]
    fn a_january_value_date_booked_in_december_belongs_to_the_previous_year() {
        assert_eq!(
            entry_date("240102", "1231"),
            NaiveDate::from_ymd_opt(2023, 12, 31)
        );
        assert_eq!(
            entry_date("231231", "0102"),
            NaiveDate::from_ymd_opt(2024, 1, 2)
        );
        assert_eq!(
            entry_date("240315", "0316"),
            NaiveDate::from_ymd_opt(2024, 3, 16)
        );
    }

    #[test]
    fn german_structured_86_gives_purpose_lines_counterparty_and_end_to_end_id() {
        let mut info = Info::default();
        read_german(
            "166?00GUTSCHRIFT?109310?20EREF+INV-2024-17?21SVWZ+Rechnung 17?30COBADEFFXXX?31DE89370400440532013000?32Muster GmbH",
            &mut info,
            &mut String::new(),
        );
        assert_eq!(info.code.as_deref(), Some("166"));
        assert_eq!(info.end_to_end.as_deref(), Some("INV-2024-17"));
        assert_eq!(
            info.remittance,
            vec!["EREF+INV-2024-17", "SVWZ+Rechnung 17"]
        );
        assert_eq!(info.counterparty.name.as_deref(), Some("Muster GmbH"));
        assert_eq!(info.counterparty.bic.as_deref(), Some("COBADEFFXXX"));
    }

    #[test]
    fn original_amount_charges_and_rate_from_swift_codes_and_sepa_keywords() {
        let mut info = Info::default();
        read_amount_codes("/OCMT/USD1000,00//CHGS/EUR15,00//EXCH/0,9259/", &mut info);
        assert_eq!(
            info.original.map(|(c, a)| (c.map(|c| c.code()), a)),
            Some((Some("USD"), dec!(1000.00)))
        );
        assert_eq!(info.rate, Some(dec!(0.9259)));
        assert_eq!(info.charges[0].1, dec!(15.00));
        let mut de = Info::default();
        read_german(
            "166?00GUTSCHRIFT?20EREF+X1?21OAMT+100,00?22COAM+2,50?23SVWZ+Rechnung",
            &mut de,
            &mut String::new(),
        );
        assert_eq!(de.original, Some((None, dec!(100.00))));
        assert_eq!(de.charges, vec![(None, dec!(2.50), "COAM")]);
    }

    proptest::proptest! {
        /// The quick look never hides a reference the full search would find.
        #[test]
        fn text_said_to_hold_no_reference_holds_none(
            text in "([rRfF0-9 +/:]|RF18 5390 0754 7034|210000000003139471430009017|[a-z]{1,3}){0,12}"
        ) {
            if !may_hold_ref(text.bytes()) {
                proptest::prop_assert!(recognise_refs(&text).is_empty(), "{}", text);
            }
        }
    }

    proptest::proptest! {
        /// Amounts in dedupe keys are written exactly as `Decimal` displays them.
        #[test]
        fn decimals_are_written_as_decimal_displays_them(
            mantissa in proptest::num::i64::ANY,
            scale in 0u32..=20,
        ) {
            let d = Decimal::new(mantissa, scale);
            let mut out = String::from("x");
            push_decimal(&mut out, d);
            proptest::prop_assert_eq!(out, format!("x{d}"));
            let mut neg = String::new();
            push_decimal(&mut neg, -d);
            proptest::prop_assert_eq!(neg, (-d).to_string());
        }
    }

    proptest::proptest! {
        #[test]
        fn the_quick_trim_trims_as_str_trim_does(s in "[ \t\u{a0}\u{2003}a-z0-9/+?-]{0,8}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }

    #[test]
    fn a_decimal_beyond_64_bits_is_written_as_decimal_displays_it() {
        for scale in [0, 4, 28] {
            let d = Decimal::from_i128_with_scale(-79_228_162_514_264_337_593_543_950_335, scale);
            let mut out = String::new();
            push_decimal(&mut out, d);
            assert_eq!(out, d.to_string());
        }
    }

    #[test]
    fn dates_are_written_as_naive_date_displays_them() {
        for d in [
            NaiveDate::from_ymd_opt(2026, 1, 9),
            NaiveDate::from_ymd_opt(1970, 12, 31),
            NaiveDate::from_ymd_opt(12, 3, 4),
        ] {
            let mut out = String::new();
            push_date(&mut out, d);
            assert_eq!(out, d.unwrap().to_string());
        }
    }

    #[test]
    fn the_quick_look_for_references_sees_rf_in_any_case_and_27_digits() {
        assert!(may_hold_ref("ref RF18 5390".bytes()));
        assert!(may_hold_ref("x rf18".bytes()));
        assert!(may_hold_ref("210000000003139471430009017".bytes()));
        assert!(!may_hold_ref(
            "21000000000313947143000901 Invoice 4711".bytes()
        ));
        assert!(!may_hold_ref("SVWZ+Invoice INV-00000001".bytes()));
    }

    #[test]
    fn swift_key_86_reads_name_iban_and_remittance() {
        let mut info = Info::default();
        assert!(read_swift_keys(
            "/TRTP/SEPA OVERBOEKING/IBAN/NL86INGB0002445588/BIC/INGBNL2A/NAME/J. Jansen/REMI/Factuur 2024-001/EREF/NOTPROVIDED",
            &mut info
        ));
        assert_eq!(info.counterparty.name.as_deref(), Some("J. Jansen"));
        assert_eq!(
            info.counterparty.account.as_deref(),
            Some("NL86INGB0002445588")
        );
        assert_eq!(info.remittance, vec!["Factuur 2024-001"]);
        assert_eq!(info.end_to_end, None, "NOTPROVIDED is not an id");
    }
}
