//! BAI2 cash management balance reports.
//!
//! Physical lines are cut into logical records: a record starts with a known record code
//! (`01 02 03 16 49 88 98 99`) at the start of a line or after a `/` terminator (several
//! records may share one fixed-width line); a line without a code continues the previous
//! record. `88` continues the previous record's fields (even in the middle of a
//! type-code/amount pair) until the record is complete, then adds text lines. Amounts have
//! implied decimals (the currency's minor units). Control totals and record counts in
//! `49`, `98` and `99`, the `100`/`400` credit and debit totals and the ledger balances
//! `010` + entries = `015` are checked.

use crate::fields::{Reporter, account_from};
use crate::keys::KeyMaker;
use crate::{Balance, Check, CheckKind, ParseOptions, Position, Statement, StatementError};
use arsync_model::{BankEntry, Counterparty, Currency, Decimal, EntryStatus, Money, NaiveDate};
use std::io::BufRead;

/// The version a BAI2 file header (`01`) states in its ninth field.
pub(crate) fn detect_version(head: &str) -> Option<String> {
    let first = head.lines().next()?;
    let rec = first.split('/').next()?;
    rec.split(',')
        .nth(8)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

const CODES: [&str; 8] = ["01", "02", "03", "16", "49", "88", "98", "99"];

fn starts_record(s: &str) -> bool {
    s.len() >= 3 && s.as_bytes()[2] == b',' && CODES.contains(&&s[..2])
}

/// One logical record: its code, its text after the code (without the `/` terminator)
/// and the line it starts on.
#[derive(Debug, Clone)]
struct Record {
    code: String,
    body: String,
    line: u32,
}

fn strip_terminator(s: &str) -> &str {
    let t = s.trim_end();
    t.strip_suffix('/').unwrap_or(t).trim_end()
}

/// Splits a physical line holding several records (`.../ 16,142,...`).
fn split_packed(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' {
            let mut j = i + 1;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if j > i + 1 && line.get(j..).is_some_and(starts_record) {
                parts.push(&line[start..=i]);
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    parts.push(&line[start..]);
    parts
}

/// How many fields follow a funds type before the next item.
fn funds_extra(funds: &str, rest: &[&str]) -> usize {
    match funds.trim() {
        "S" => 3,
        "V" => 2,
        "D" => {
            let n: usize = rest
                .first()
                .and_then(|c| c.trim().parse().ok())
                .unwrap_or(0);
            1 + 2 * n
        }
        _ => 0,
    }
}

fn yymmdd(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 6 {
        return None;
    }
    NaiveDate::parse_from_str(&format!("20{s}"), "%Y%m%d").ok()
}

/// An amount with implied decimals (`+000000000208500` in CAD is 2,085.00).
fn implied(s: &str, currency: Currency) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let (neg, digits) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 18 {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    let d = Decimal::new(v, currency.minor_units());
    Some(if neg { -d } else { d })
}

/// Direction of a BAI type code: credit, debit, or neither (status, loan, info).
fn direction(type_code: u32) -> Option<Decimal> {
    match type_code {
        100..=399 | 900..=959 => Some(Decimal::ONE),
        400..=699 | 960..=999 => Some(Decimal::NEGATIVE_ONE),
        _ => None,
    }
}

/// Reads a BAI2 file line by line, delivering each account as a statement and each `16`
/// detail as an entry as soon as its `88` continuations are complete. Only the record
/// being folded is held, so a file of any size is read in flat memory; the control totals
/// of `49`, `98` and `99` are checked as their records arrive.
pub(crate) fn parse<R: BufRead>(mut text: R, rep: &mut Reporter<'_>) -> Result<(), StatementError> {
    let mut reader = Reader::new();
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mut line_no: u32 = 0;
    let mut current: Option<Record> = None;
    let mut folding: Option<Folded> = None;
    loop {
        buf.clear();
        let read = text
            .read_until(b'\n', &mut buf)
            .map_err(|e| StatementError::Io {
                file: rep.options.file_name.clone(),
                reason: e.to_string(),
            })?;
        if read == 0 {
            break;
        }
        line_no = line_no.saturating_add(1);
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        let raw = String::from_utf8_lossy(&buf);
        let line = raw.trim_end_matches(['\r', '\u{1a}']);
        if line.trim().is_empty() {
            continue;
        }
        for segment in split_packed(line) {
            let seg = segment.trim();
            if starts_record(seg) {
                let record = Record {
                    code: seg[..2].to_owned(),
                    body: strip_terminator(&seg[3..]).to_owned(),
                    line: line_no,
                };
                if let Some(done) = current.replace(record) {
                    fold(done, &mut folding, &mut reader, rep);
                }
            } else if let Some(last) = current.as_mut() {
                // A wrapped line continues the record it belongs to.
                last.body.push(' ');
                last.body.push_str(strip_terminator(seg));
            }
        }
    }
    if let Some(done) = current.take() {
        fold(done, &mut folding, &mut reader, rep);
    }
    if let Some(done) = folding.take() {
        reader.record(&done, rep);
    }
    reader.finish(rep);
    Ok(())
}

/// Adds a complete physical record to the logical record being folded: an `88` continues
/// it, any other record completes it (and it is read) and starts the next.
fn fold(r: Record, folding: &mut Option<Folded>, reader: &mut Reader, rep: &mut Reporter<'_>) {
    if r.code == "88"
        && let Some(prev) = folding.as_mut()
    {
        prev.physical += 1;
        if prev.code == "16" && complete("16", &prev.fields) {
            prev.text_lines.push(r.body.trim().to_owned());
        } else if prev.code == "16" {
            // The fields continue (a type code may be split from its amount).
            let body = format!("{},{}", prev.fields.join(","), r.body);
            prev.fields = split_fields("16", &body);
        } else {
            prev.fields.extend(r.body.split(',').map(str::to_owned));
        }
        return;
    }
    let fields = split_fields(&r.code, &r.body);
    let next = Folded {
        code: r.code,
        fields,
        text_lines: Vec::new(),
        line: r.line,
        physical: 1,
    };
    if let Some(done) = folding.replace(next) {
        reader.record(&done, rep);
    }
}

/// The account being read: its statement header (delivered when it began), and what its
/// trailer is checked against.
struct Account {
    st: Statement,
    line: u32,
    /// Sum of every amount in the account's records, for the 49 control total.
    control: Decimal,
    records: u64,
    /// Details delivered (credits, debits and information).
    details: u64,
    credits: (Decimal, u64),
    debits: (Decimal, u64),
    stated_credits: Option<(Decimal, Option<u64>)>,
    stated_debits: Option<(Decimal, Option<u64>)>,
}

struct Group {
    currency: Option<Currency>,
    as_of: Option<NaiveDate>,
    control: Decimal,
    records: u64,
    accounts: u64,
}

/// What reading a file keeps between logical records.
struct Reader {
    keys: KeyMaker,
    usd: Option<Currency>,
    file_id: String,
    group: Option<Group>,
    account: Option<Account>,
    file_control: Decimal,
    file_records: u64,
    file_groups: u64,
    file_currency: Option<Currency>,
    /// `16` records seen, for the entry number in problems.
    details: u64,
}

impl Reader {
    fn new() -> Self {
        Self {
            keys: KeyMaker::default(),
            usd: Currency::parse("USD").ok(),
            file_id: String::new(),
            group: None,
            account: None,
            file_control: Decimal::ZERO,
            file_records: 0,
            file_groups: 0,
            file_currency: None,
            details: 0,
        }
    }

    /// Ends an account that has no trailer (49) before the next account, the group or
    /// file trailer, or the end of the file.
    fn close_untrailed(&mut self, rep: &mut Reporter<'_>) {
        if let Some(a) = self.account.take() {
            rep.error(
                Position::Line(a.line),
                "49",
                "the account has no trailer (49); the file is truncated",
                "the entries read are kept, but nothing proves they are complete; ask the bank for the whole file",
            );
            rep.end(a.st);
        }
    }

    /// The end of the file.
    fn finish(&mut self, rep: &mut Reporter<'_>) {
        self.close_untrailed(rep);
    }

    /// Reads one logical record (`88` continuations folded in).
    fn record(&mut self, rec: &Folded, rep: &mut Reporter<'_>) {
        let options = rep.options;
        let usd = self.usd;
        self.file_records += rec.physical;
        if let Some(g) = self.group.as_mut() {
            g.records += rec.physical;
        }
        if let Some(a) = self.account.as_mut() {
            a.records += rec.physical;
        }
        let f: Vec<&str> = rec.fields.iter().map(String::as_str).collect();
        match rec.code.as_str() {
            "01" => self.file_id = f.get(4).map_or(String::new(), |s| s.trim().to_owned()),
            "02" => {
                self.file_groups += 1;
                let g_ccy = f
                    .get(5)
                    .filter(|c| !c.trim().is_empty())
                    .and_then(|c| Currency::parse(c).ok());
                if self.file_currency.is_none() {
                    self.file_currency = g_ccy;
                }
                self.group = Some(Group {
                    currency: g_ccy,
                    as_of: f.get(3).and_then(|d| yymmdd(d)),
                    control: Decimal::ZERO,
                    records: 1,
                    accounts: 0,
                });
            }
            "03" => {
                let currency = f
                    .get(1)
                    .filter(|c| !c.trim().is_empty())
                    .and_then(|c| Currency::parse(c).ok())
                    .or_else(|| self.group.as_ref().and_then(|g| g.currency))
                    .or(usd);
                let Some(currency) = currency else { return };
                // An account still open has no trailer: it ends here.
                self.close_untrailed(rep);
                let acct = account_from(f.first().copied().unwrap_or(""), currency);
                let mut st = Statement::new(acct, Position::Line(rec.line));
                let as_of = self.group.as_ref().and_then(|g| g.as_of);
                st.id = Some(format!(
                    "{}/{}",
                    self.file_id,
                    as_of.map(|d| d.to_string()).unwrap_or_default()
                ));
                let mut a = Account {
                    st,
                    line: rec.line,
                    control: Decimal::ZERO,
                    records: rec.physical,
                    details: 0,
                    credits: (Decimal::ZERO, 0),
                    debits: (Decimal::ZERO, 0),
                    stated_credits: None,
                    stated_debits: None,
                };
                read_summaries(&f[2.min(f.len())..], currency, as_of, rec.line, &mut a, rep);
                if let Some(g) = self.group.as_mut() {
                    g.accounts += 1;
                }
                let mut header = a.st.clone();
                header.closing = None;
                rep.begin(header);
                self.account = Some(a);
            }
            "16" => {
                self.details += 1;
                rep.entry = Some(self.details);
                let as_of = self.group.as_ref().and_then(|g| g.as_of);
                match self.account.as_mut() {
                    None => rep.error(
                        Position::Line(rec.line),
                        "16",
                        "a transaction detail (16) appears outside an account (no 03 before it); it was skipped",
                        "the file is out of order; ask the bank for a new export",
                    ),
                    Some(a) => {
                        let read = read_detail(rec, &f, a, as_of, options, &mut self.keys, rep);
                        if let Some(e) = read {
                            a.details += 1;
                            rep.entry = None;
                            rep.entry(e);
                        }
                    }
                }
                rep.entry = None;
            }
            "49" => {
                let Some(mut a) = self.account.take() else {
                    return;
                };
                let total = f.first().and_then(|t| implied(t, a.st.account.currency));
                let count: Option<u64> = f.get(1).and_then(|c| c.trim().parse().ok());
                finish_account(&mut a, total, count, rec.line);
                if let Some(g) = self.group.as_mut() {
                    g.control += total.unwrap_or(a.control);
                }
                rep.end(a.st);
            }
            "98" => {
                self.close_untrailed(rep);
                if let Some(g) = self.group.take() {
                    let currency = g.currency.or(usd);
                    if let Some(c) = currency
                        && let Some(t) = f.first().and_then(|t| implied(t, c))
                    {
                        rep.check(Check::compare(
                            CheckKind::ControlTotal,
                            &format!("group control total (98, line {})", rec.line),
                            t,
                            g.control,
                        ));
                        self.file_control += t;
                    }
                    if let Some(n) = f.get(1).and_then(|c| c.trim().parse::<u64>().ok()) {
                        rep.check(Check::compare(
                            CheckKind::EntryCount,
                            &format!("number of accounts (98, line {})", rec.line),
                            Decimal::from(n),
                            Decimal::from(g.accounts),
                        ));
                    }
                    if let Some(n) = f.get(2).and_then(|c| c.trim().parse::<u64>().ok()) {
                        rep.check(Check::compare(
                            CheckKind::EntryCount,
                            &format!("number of records in the group (98, line {})", rec.line),
                            Decimal::from(n),
                            Decimal::from(g.records),
                        ));
                    }
                }
            }
            "99" => {
                self.close_untrailed(rep);
                // The file total adds the groups' totals; its implied decimals are
                // those of the first group's currency (USD when none is given).
                let c = self.file_currency.or(usd).map_or(2, |u| u.minor_units());
                if let Some(t) = f.first().and_then(|t| implied_scale(t, c)) {
                    rep.check(Check::compare(
                        CheckKind::ControlTotal,
                        &format!("file control total (99, line {})", rec.line),
                        t,
                        self.file_control,
                    ));
                }
                if let Some(n) = f.get(1).and_then(|c| c.trim().parse::<u64>().ok()) {
                    rep.check(Check::compare(
                        CheckKind::EntryCount,
                        &format!("number of groups (99, line {})", rec.line),
                        Decimal::from(n),
                        Decimal::from(self.file_groups),
                    ));
                }
                if let Some(n) = f.get(2).and_then(|c| c.trim().parse::<u64>().ok()) {
                    rep.check(Check::compare(
                        CheckKind::EntryCount,
                        &format!("number of records in the file (99, line {})", rec.line),
                        Decimal::from(n),
                        Decimal::from(self.file_records),
                    ));
                }
            }
            _ => {}
        }
    }
}

fn implied_scale(s: &str, scale: u32) -> Option<Decimal> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let v: i64 = digits.parse().ok()?;
    let d = Decimal::new(v, scale);
    Some(if neg { -d } else { d })
}

/// A logical record after `88` continuations were folded in.
struct Folded {
    code: String,
    fields: Vec<String>,
    /// Extra text lines from `88` records that came after the record's fields were complete.
    text_lines: Vec<String>,
    line: u32,
    /// Number of records (the record itself and its 88s), for record counts.
    physical: u64,
}

/// Whether a record's fields are complete, so that a following 88 carries text.
fn complete(code: &str, fields: &[String]) -> bool {
    match code {
        "16" => {
            let extra = fields.get(2).map_or(0, |ft| {
                funds_extra(ft, &strs(fields.get(3..).unwrap_or(&[])))
            });
            fields.len() >= 5 + extra
        }
        _ => false,
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Splits a record into fields; for 16 the text (the last field) keeps its commas.
fn split_fields(code: &str, body: &str) -> Vec<String> {
    let parts: Vec<&str> = body.split(',').collect();
    if code != "16" || parts.len() < 3 {
        return parts.into_iter().map(str::to_owned).collect();
    }
    // Type, amount, funds type (+extras), bank ref, customer ref, then text.
    let fixed = 5 + funds_extra(parts[2], parts.get(3..).unwrap_or(&[]));
    if parts.len() <= fixed {
        return parts.into_iter().map(str::to_owned).collect();
    }
    let mut out: Vec<String> = parts[..fixed].iter().map(|s| (*s).to_owned()).collect();
    out.push(parts[fixed..].join(","));
    out
}

fn read_summaries(
    f: &[&str],
    currency: Currency,
    as_of: Option<NaiveDate>,
    line: u32,
    a: &mut Account,
    rep: &mut Reporter<'_>,
) {
    let mut i = 0;
    while i < f.len() {
        let code_text = f[i].trim();
        if code_text.is_empty() {
            i += 1;
            continue;
        }
        let Ok(code) = code_text.parse::<u32>() else {
            rep.error(
                Position::Line(line),
                "03 type code",
                format!("'{code_text}' is not a BAI type code; the rest of the account summary was skipped"),
                "a type code is three digits (010 opening ledger, 015 closing ledger, 100 total credits, 400 total debits)",
            );
            return;
        };
        let amount = f.get(i + 1).and_then(|s| implied(s, currency));
        let count: Option<u64> = f.get(i + 2).and_then(|s| s.trim().parse().ok());
        let funds = f.get(i + 3).copied().unwrap_or("");
        let extra = funds_extra(funds, f.get(i + 4..).unwrap_or(&[]));
        for x in f.get(i + 4..i + 4 + extra).unwrap_or(&[]).iter() {
            if (funds.trim() == "S" || funds.trim() == "D")
                && let Some(v) = implied(x, currency)
            {
                a.control += v;
            }
        }
        if let Some(v) = amount {
            a.control += v;
            let bal = |c: &str| Balance {
                amount: Money::new(v, currency),
                date: as_of,
                code: c.to_owned(),
            };
            match code {
                10 => a.st.opening = Some(bal("010")),
                15 => a.st.closing = Some(bal("015")),
                100 => a.stated_credits = Some((v, count)),
                400 => a.stated_debits = Some((v, count)),
                _ => {}
            }
        }
        i += 4 + extra;
    }
}

fn read_detail(
    rec: &Folded,
    f: &[&str],
    a: &mut Account,
    as_of: Option<NaiveDate>,
    options: &ParseOptions,
    keys: &mut KeyMaker,
    rep: &mut Reporter<'_>,
) -> Option<BankEntry> {
    let currency = a.st.account.currency;
    let type_text = f.first().map_or("", |s| s.trim());
    let Ok(type_code) = type_text.parse::<u32>() else {
        rep.error(
            Position::Line(rec.line),
            "16 type code",
            format!("'{type_text}' is not a BAI type code; the detail was skipped"),
            "a detail type code is three digits, e.g. 195 incoming wire, 475 check paid",
        );
        return None;
    };
    let amount_text = f.get(1).copied().unwrap_or("");
    let Some(amount) = implied(amount_text, currency) else {
        rep.error(
            Position::Line(rec.line),
            "16 amount",
            format!("'{amount_text}' is not an amount (digits with implied decimals); the detail was skipped"),
            "correct the amount; the account control total (49) will show the gap",
        );
        return None;
    };
    a.control += amount;
    let funds = f.get(2).copied().unwrap_or("").trim();
    let extra = funds_extra(funds, f.get(3..).unwrap_or(&[]));
    let mut value_date = as_of;
    if funds == "V" {
        value_date = f.get(3).and_then(|d| yymmdd(d)).or(as_of);
    }
    if funds == "S" || funds == "D" {
        for x in f.get(3..3 + extra).unwrap_or(&[]) {
            if let Some(v) = implied(x, currency) {
                a.control += v;
            }
        }
    }
    let bank_ref = f.get(3 + extra).map(|s| s.trim()).filter(|s| !s.is_empty());
    let customer_ref = f.get(4 + extra).map(|s| s.trim()).filter(|s| !s.is_empty());
    let text = f.get(5 + extra).map(|s| s.trim()).filter(|s| !s.is_empty());
    let Some(sign) = direction(type_code) else {
        rep.warning(
            Position::Line(rec.line),
            "16 type code",
            format!("type code {type_code} is neither a credit nor a debit; the detail is kept as information only"),
            "information details are not reconciled",
        );
        return Some(entry(
            rec,
            a,
            type_code,
            amount,
            EntryStatus::Info,
            as_of,
            value_date,
            bank_ref,
            customer_ref,
            text,
            options,
            keys,
        ));
    };
    let signed = sign * amount;
    if sign.is_sign_positive() {
        a.credits.0 += amount;
        a.credits.1 += 1;
    } else {
        a.debits.0 += amount;
        a.debits.1 += 1;
    }
    Some(entry(
        rec,
        a,
        type_code,
        signed,
        EntryStatus::Booked,
        as_of,
        value_date,
        bank_ref,
        customer_ref,
        text,
        options,
        keys,
    ))
}

#[allow(clippy::too_many_arguments)]
fn entry(
    rec: &Folded,
    a: &Account,
    type_code: u32,
    signed: Decimal,
    status: EntryStatus,
    booking_date: Option<NaiveDate>,
    value_date: Option<NaiveDate>,
    bank_ref: Option<&str>,
    customer_ref: Option<&str>,
    text: Option<&str>,
    options: &ParseOptions,
    keys: &mut KeyMaker,
) -> BankEntry {
    let mut remittance: Vec<String> = text.iter().map(|t| (*t).to_owned()).collect();
    remittance.extend(rec.text_lines.iter().filter(|l| !l.is_empty()).cloned());
    // Keyed continuation lines as Goldman Sachs and others write them ("EREF: ...").
    let keyed = |key: &str| {
        rec.text_lines
            .iter()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
            .filter(|v| !v.is_empty())
    };
    let credit = signed.is_sign_positive();
    let (name_key, acct_key) = if credit {
        ("DBNM:", "DACT:")
    } else {
        ("CRNM:", "CACT:")
    };
    let counterparty = Counterparty {
        name: keyed(name_key),
        account: keyed(acct_key),
        bic: keyed(if credit { "DBIC:" } else { "CBIC:" }),
    };
    let mut structured_refs = Vec::new();
    for l in &remittance {
        structured_refs.extend(crate::refs::recognise_refs(l));
    }
    let payload = format!("16,{}\n{}", rec.fields.join(","), rec.text_lines.join("\n"));
    let amount_text = signed.to_string();
    let date_text = booking_date.map(|d| d.to_string()).unwrap_or_default();
    let origin = keys.origin(
        &options.connection,
        a.st.account.key(),
        bank_ref,
        None,
        &[
            &date_text,
            &amount_text,
            &type_code.to_string(),
            customer_ref.unwrap_or(""),
            &remittance.join("\n"),
        ],
        &payload,
    );
    BankEntry {
        origin,
        account: a.st.account.clone(),
        statement_id: a.st.id.clone(),
        booking_date,
        value_date,
        amount: Money::new(signed, a.st.account.currency),
        status,
        bank_reference: bank_ref.map(str::to_owned),
        end_to_end_id: keyed("EREF:").or(customer_ref.map(str::to_owned)),
        bank_tx_code: Some(format!("{type_code:03}")),
        counterparty,
        remittance,
        structured_refs,
        exchange: None,
        charges: Vec::new(),
        reversal: false,
        detail_index: None,
    }
}

fn finish_account(a: &mut Account, total: Option<Decimal>, count: Option<u64>, line: u32) {
    if let Some(t) = total {
        a.st.checks.push(Check::compare(
            CheckKind::ControlTotal,
            &format!("account control total (49, line {line})"),
            t,
            a.control,
        ));
    }
    if let Some(n) = count {
        a.st.checks.push(Check::compare(
            CheckKind::EntryCount,
            &format!("number of records in the account (49, line {line})"),
            Decimal::from(n),
            Decimal::from(a.records),
        ));
    }
    // Totals only when details were sent; summary-only accounts state them without detail.
    if a.details == 0 {
        return;
    }
    for (side, stated, read) in [
        ("credit", a.stated_credits, a.credits),
        ("debit", a.stated_debits, a.debits),
    ] {
        if let Some((amount, n)) = stated {
            a.st.checks.push(Check::compare(
                CheckKind::ControlTotal,
                &format!(
                    "total {side}s ({} summary)",
                    if side == "credit" { "100" } else { "400" }
                ),
                amount,
                read.0,
            ));
            if let Some(n) = n {
                a.st.checks.push(Check::compare(
                    CheckKind::EntryCount,
                    &format!(
                        "number of {side}s ({} summary)",
                        if side == "credit" { "100" } else { "400" }
                    ),
                    Decimal::from(n),
                    Decimal::from(read.1),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_lines_split_only_at_record_codes() {
        let parts =
            split_packed("16,142,2500,Z,,,TRANSFER PPD/ 16,142,500,Z,,,MSPBNA/  49,-1600,11/");
        assert_eq!(parts.len(), 3);
        assert!(parts[1].starts_with("16,142,500"));
        // A slash inside text is not a terminator.
        assert_eq!(split_packed("88,ORG ADDRESS:=2/AV MAIN 2/AVENUE").len(), 1);
    }

    #[test]
    fn implied_decimals_follow_the_currency() {
        let cad = Currency::parse("CAD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(
            implied("+000000000208500", cad),
            Some(Decimal::new(208_500, 2))
        );
        assert_eq!(implied("-3500", cad), Some(Decimal::new(-3500, 2)));
        assert_eq!(implied("1250", jpy), Some(Decimal::from(1250)));
        assert_eq!(implied("12.50", cad), None);
    }

    #[test]
    fn a_detail_text_keeps_its_commas() {
        let f = split_fields("16", "447,60000,,SPB1,1111,ACH Credit, SEC: CCD, Ref 1");
        assert_eq!(f.len(), 6);
        assert_eq!(f[5], "ACH Credit, SEC: CCD, Ref 1");
        let v = split_fields("16", "409,2500,V,060316,,,,RETURNED CHEQUE");
        assert_eq!(v[7], "RETURNED CHEQUE");
    }
}
