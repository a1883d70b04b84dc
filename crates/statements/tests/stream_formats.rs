//! MT940, BAI2 and OFX read as streams: a reader of any size is read in flat memory, the
//! entries arrive while the file is still being read, and the result is the one `parse`
//! gives for the whole file, whatever the size of the pieces the reader hands out.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use arsync_model::Decimal;
use arsync_statements::{
    Check, CheckKind, Event, ParseOptions, ParsedFile, Problem, Statement, parse, parse_reader,
};
use std::cell::Cell;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// What `parse` gives, collected from the events of `parse_reader` over pieces of `chunk`
/// bytes, as comparable text (statements with their entries and checks, file checks,
/// problems in order).
fn streamed(bytes: &[u8], name: &str, chunk: usize) -> String {
    let mut statements: Vec<Statement> = Vec::new();
    let mut file_checks: Vec<Check> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    let mut open = false;
    parse_reader(
        BufReader::with_capacity(chunk, bytes),
        &ParseOptions::new("bank", name),
        |ev| match ev {
            Event::File { .. } => {}
            Event::Statement(s) => {
                assert!(!open, "{name}: a statement begins inside another");
                statements.push(s);
                open = true;
            }
            Event::Entry(e) => {
                assert!(open, "{name}: an entry outside a statement");
                statements.last_mut().unwrap().entries.push(e);
            }
            Event::Check(c) if open => statements.last_mut().unwrap().checks.push(c),
            Event::Check(c) => file_checks.push(c),
            Event::StatementEnd(end) => {
                assert!(open, "{name}: a statement ends that never began");
                let s = statements.last_mut().unwrap();
                s.id = end.id;
                s.opening = end.opening;
                s.closing = end.closing;
                s.checks.extend(end.checks);
                open = false;
            }
            Event::Problem(p) => problems.push(p),
        },
    )
    .unwrap();
    assert!(!open, "{name}: the last statement was never ended");
    format!("{statements:#?}\n{file_checks:#?}\n{problems:#?}")
}

fn whole(p: &ParsedFile) -> String {
    format!("{:#?}\n{:#?}\n{:#?}", p.statements, p.checks, p.problems)
}

fn samples_dir() -> Option<PathBuf> {
    let root = std::env::var_os("ARSYNC_SAMPLES").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/samples"
            ))
        },
        PathBuf::from,
    );
    let bank = root.join("bank");
    if bank.is_dir() {
        Some(bank)
    } else {
        println!(
            "skipped: no bank samples at {} (set ARSYNC_SAMPLES)",
            bank.display()
        );
        None
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn assert_streams_as_parsed(bytes: &[u8], name: &str) {
    let parsed = parse(bytes, &ParseOptions::new("bank", name)).unwrap();
    let expected = whole(&parsed);
    for chunk in [1, 7, 64, 4096] {
        assert_eq!(
            streamed(bytes, name, chunk),
            expected,
            "{name}, {chunk}-byte pieces"
        );
    }
}

#[test]
fn every_mt940_bai2_and_ofx_fixture_and_sample_streamed_in_small_pieces_reads_as_parse_does() {
    let fixtures = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let mut files: Vec<PathBuf> = files_in(&fixtures)
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "sta" || e == "bai2" || e == "ofx")
        })
        .collect();
    let fixture_count = files.len();
    assert!(fixture_count >= 2);
    if let Some(bank) = samples_dir() {
        for sub in ["mt940", "mt942", "bai2", "ofx"] {
            files.extend(files_in(&bank.join(sub)));
        }
        assert!(files.len() > fixture_count + 15, "{} files", files.len());
    }
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert_streams_as_parsed(&bytes, &f.display().to_string());
    }
}

#[test]
fn damaged_bai2_and_ofx_stream_as_they_parse() {
    // Invalid UTF-8 split over pieces, a BAI2 account without its trailer, an OFX
    // statement cut off inside a transaction, a CDATA memo and a comment.
    let bai2 = b"01,B,A,261120,0800,1,80,,2/\n02,A,B,1,261119,2400,EUR,2/\n03,4000123456,EUR,010,500000,,,015,650000,,/\n16,195,150000,0,W1,I1,Caf\xe9 \xc3/\n88,more text/\n16,9x5,1,0,W2,,bad type/\n03,4000999999,EUR,010,100,,,015,100,,/\n49,200,3/\n98,850200,2,10/\n99,850200,1,12/\n";
    assert_streams_as_parsed(bai2, "damaged.bai2");
    let ofx = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><!-- a comment <STMTTRN> -->\n<BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR\n<BANKACCTFROM><ACCTID>DE89370400440532013000</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20261101<DTEND>20261120\n<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>10,00<FITID>A1<MEMO><![CDATA[Rechnung <42> M\u{fc}ller]]></STMTTRN>\n<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>2026111<TRNAMT>-1.00<FITID>A2</STMTTRN>\n<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261119<TRNAMT>-2.00";
    assert_streams_as_parsed(ofx.as_bytes(), "cut.ofx");
    let p = parse(ofx.as_bytes(), &ParseOptions::new("bank", "cut.ofx")).unwrap();
    let e: Vec<_> = p.entries().collect();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].remittance, ["Rechnung <42> Müller"]);
    assert!(p.problems.iter().any(|p| p.field == "STMTRS"));
}

#[test]
fn a_bai2_account_without_trailer_followed_by_another_keeps_both_and_says_which() {
    let text = "01,B,A,261120,0800,1,80,,2/\n02,A,B,1,261119,2400,EUR,2/\n03,4000123456,EUR,010,500000,,,015,650000,,/\n16,195,150000,0,W1,I1,Wire/\n03,4000999999,EUR,010,100,,,015,300,,/\n16,195,200,0,W2,I2,Wire/\n49,600,3/\n98,1150600,2,8/\n99,1150600,1,10/\n";
    let p = parse(text.as_bytes(), &ParseOptions::new("bank", "t.bai2")).unwrap();
    assert_eq!(p.statements.len(), 2);
    assert_eq!(p.entries().count(), 2);
    let missing = p.errors().next().unwrap();
    assert_eq!(missing.field, "49");
    assert_eq!(missing.position, arsync_statements::Position::Line(3));
    // The second account balances and its trailer is checked.
    assert!(p.statements[1].checks.iter().all(|c| c.passed));
}

/// A statement file of `n` entries written on the fly; `pulled` counts the bytes the parser
/// has taken from it so far.
struct Generated {
    head: Vec<u8>,
    entry: fn(u64) -> String,
    tail: Vec<u8>,
    n: u64,
    next: u64,
    pending: Vec<u8>,
    pos: usize,
    tail_sent: bool,
    pulled: Rc<Cell<u64>>,
}

impl Generated {
    fn new(head: String, entry: fn(u64) -> String, tail: String, n: u64) -> Self {
        Self {
            head: head.into_bytes(),
            entry,
            tail: tail.into_bytes(),
            n,
            next: 0,
            pending: Vec::new(),
            pos: 0,
            tail_sent: false,
            pulled: Rc::new(Cell::new(0)),
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            self.pos = 0;
            if !self.head.is_empty() {
                self.pending = std::mem::take(&mut self.head);
            } else if self.next < self.n {
                self.pending = (self.entry)(self.next).into_bytes();
                self.next += 1;
            } else if !self.tail_sent {
                self.tail_sent = true;
                self.pending = std::mem::take(&mut self.tail);
            } else {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        self.pulled
            .set(self.pulled.get() + u64::try_from(n).unwrap());
        Ok(n)
    }
}

/// Every third entry is a debit of 0.50, the others credits of 1.25.
fn amount(i: u64) -> Decimal {
    if i % 3 == 2 {
        Decimal::new(-50, 2)
    } else {
        Decimal::new(125, 2)
    }
}

fn net(n: u64) -> Decimal {
    (0..n).map(amount).sum()
}

/// Cents as BAI2 writes them (implied decimals, no sign).
fn cents(d: Decimal) -> i64 {
    i64::try_from((d.abs() * Decimal::from(100)).trunc().mantissa()).unwrap()
}

fn mt940(n: u64) -> Generated {
    let closing = (Decimal::new(100_000, 2) + net(n))
        .to_string()
        .replace('.', ",");
    Generated::new(
        ":20:GEN\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261119EUR1000,00\n".into(),
        |i| {
            let a = amount(i);
            let mark = if a.is_sign_negative() { 'D' } else { 'C' };
            let text = a.abs().to_string().replace('.', ",");
            format!(
                ":61:2611201120{mark}{text}NTRFINV-{i}//G{i}\n:86:166?00GUTSCHRIFT?20EREF+INV-{i}?21SVWZ+Invoice {i}\n?32Customer {i}\n"
            )
        },
        format!(":62F:C261120EUR{closing}\n-\n"),
        n,
    )
}

fn bai2(n: u64) -> Generated {
    let opening = Decimal::new(100_000, 2);
    let closing = opening + net(n);
    let details: Decimal = (0..n).map(|i| amount(i).abs()).sum();
    let account_total = cents(opening) + cents(closing) + cents(details);
    // 03, every 16 with its 88, 49; the group adds 02 and 98; the file 01 and 99.
    let account_records = 2 * n + 2;
    Generated::new(
        format!(
            "01,BANKUS33,ARSYNC,261120,0800,1,80,,2/\n02,ARSYNC,BANKUS33,1,261119,2400,USD,2/\n03,4000123456,USD,010,{},,,015,{},,/\n",
            cents(opening),
            cents(closing)
        ),
        |i| {
            let a = amount(i);
            let code = if a.is_sign_negative() { 475 } else { 195 };
            format!(
                "16,{code},{},0,REF{i},INV-{i},Payment {i}/\n88,EREF: E2E-{i}/\n",
                cents(a)
            )
        },
        format!(
            "49,{account_total},{account_records}/\n98,{account_total},1,{}/\n99,{account_total},1,{}/\n",
            account_records + 2,
            account_records + 4
        ),
        n,
    )
}

fn ofx(n: u64) -> Generated {
    let closing = Decimal::new(100_000, 2) + net(n);
    Generated::new(
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:1252\n\n<OFX>\n<BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD\n<BANKACCTFROM><BANKID>1<ACCTID>12345<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20261101<DTEND>20261120\n".into(),
        |i| {
            format!(
                "<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>{}<FITID>F{i}<NAME>Payer {i}<MEMO>Invoice {i}</STMTTRN>\n",
                amount(i)
            )
        },
        format!(
            "</BANKTRANLIST><LEDGERBAL><BALAMT>{closing}<DTASOF>20261120</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
        ),
        n,
    )
}

/// Reads a generated file of `n` entries and checks that the entries arrive while it is
/// read (never more than `ahead` bytes pulled past the entry being delivered, counting the
/// 64 KiB the format is recognised from), that they add up, and that every check holds.
fn read_in_flat_memory(g: Generated, name: &str, n: u64, entry_len: u64) -> Vec<Check> {
    const AHEAD: u64 = 64 * 1024 + 2 * 8 * 1024 + 4096;
    let pulled = Rc::clone(&g.pulled);
    let head_len = u64::try_from(g.head.len()).unwrap();
    let mut entries = 0u64;
    let mut sum = Decimal::ZERO;
    let mut checks = Vec::new();
    let mut most_ahead = 0u64;
    parse_reader(
        BufReader::with_capacity(8 * 1024, g),
        &ParseOptions::new("bank", name),
        |ev| match ev {
            Event::Entry(e) => {
                entries += 1;
                sum += e.amount.amount;
                let needed = head_len + entries * entry_len;
                most_ahead = most_ahead.max(pulled.get().saturating_sub(needed));
            }
            Event::Check(c) => checks.push(c),
            Event::StatementEnd(s) => checks.extend(s.checks),
            Event::Problem(p) => panic!("{p}"),
            Event::File { .. } | Event::Statement(_) => {}
        },
    )
    .unwrap();
    assert_eq!(entries, n, "{name}");
    assert!(
        most_ahead <= AHEAD,
        "{name}: {most_ahead} bytes were read ahead of an entry"
    );
    assert!(
        pulled.get() > 20 * AHEAD,
        "{name}: the file is too small to tell"
    );
    assert_eq!(sum, net(n), "{name}");
    for c in &checks {
        assert!(c.passed, "{name}: {}", c.message);
    }
    checks
}

#[test]
fn an_mt940_statement_of_100000_entries_is_read_entry_by_entry_and_balances() {
    let n = 100_000;
    let entry_len = u64::try_from(mt940(1).next_entry_len()).unwrap();
    let checks = read_in_flat_memory(mt940(n), "big.sta", n, entry_len);
    assert!(checks.iter().any(|c| c.kind == CheckKind::Balance));
}

#[test]
fn a_bai2_file_of_100000_details_is_read_detail_by_detail_and_its_control_totals_hold() {
    let n = 100_000;
    let entry_len = u64::try_from(bai2(1).next_entry_len()).unwrap();
    let checks = read_in_flat_memory(bai2(n), "big.bai2", n, entry_len);
    for (kind, at_least) in [(CheckKind::ControlTotal, 3), (CheckKind::EntryCount, 5)] {
        let found = checks.iter().filter(|c| c.kind == kind).count();
        assert!(found >= at_least, "{kind:?}: {found}");
    }
    assert!(checks.iter().any(|c| c.kind == CheckKind::Balance));
}

#[test]
fn an_ofx_file_of_100000_transactions_is_read_transaction_by_transaction() {
    let n = 100_000;
    let entry_len = u64::try_from(ofx(1).next_entry_len()).unwrap();
    read_in_flat_memory(ofx(n), "big.ofx", n, entry_len);
}

impl Generated {
    /// The length of the longest entry this generator writes for the first few indexes
    /// of the same width (an upper bound for the per-entry size used above).
    fn next_entry_len(&self) -> usize {
        (0..3)
            .map(|i| (self.entry)(100_000 + i).len())
            .max()
            .unwrap()
    }
}
