//! Reading statements as a stream of events from a reader: the same entries, checks and
//! problems as reading the whole file, delivered one at a time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use arsync_model::Decimal;
use arsync_statements::{Event, ParseOptions, ParsedFile, StatementError, parse, parse_reader};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Everything a reader of the file sees, as comparable text.
fn outline_of_parsed(p: &ParsedFile) -> Vec<String> {
    let mut out = vec![format!("file {} {}", p.format, p.encoding)];
    for s in &p.statements {
        out.push(format!(
            "statement {:?} {} {:?} {:?}",
            s.id,
            s.account.key(),
            s.opening,
            s.closing
        ));
        for e in &s.entries {
            out.push(format!(
                "entry {} {} {:?}",
                e.origin.external_id, e.amount, e.remittance
            ));
        }
        for c in &s.checks {
            out.push(format!("check {} {}", c.passed, c.message));
        }
    }
    for c in &p.checks {
        out.push(format!("file check {} {}", c.passed, c.message));
    }
    let mut problems: Vec<String> = p.problems.iter().map(ToString::to_string).collect();
    problems.sort();
    out.extend(problems);
    out
}

/// The same outline built from streamed events, checking their order on the way.
fn outline_of_stream(bytes: &[u8], name: &str, chunk: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut statements: Vec<(Vec<String>, Vec<String>, Vec<String>)> = Vec::new();
    let mut file_checks = Vec::new();
    let mut open = false;
    let mut seen_file = false;
    let reader = BufReader::with_capacity(chunk, bytes);
    parse_reader(reader, &ParseOptions::new("bank", name), |ev| match ev {
        Event::File { format, encoding } => {
            assert!(!seen_file, "the file event comes once");
            seen_file = true;
            out.push(format!("file {format} {encoding}"));
        }
        Event::Statement(s) => {
            assert!(!open, "{name}: a statement starts while another is open");
            assert!(s.entries.is_empty());
            open = true;
            statements.push((
                vec![format!("{:?} {}", s.id, s.account.key())],
                Vec::new(),
                Vec::new(),
            ));
        }
        Event::Entry(e) => {
            assert!(open, "{name}: an entry outside a statement");
            statements.last_mut().unwrap().1.push(format!(
                "entry {} {} {:?}",
                e.origin.external_id, e.amount, e.remittance
            ));
        }
        Event::Check(c) => {
            let line = format!("check {} {}", c.passed, c.message);
            if open {
                statements.last_mut().unwrap().2.push(line);
            } else {
                file_checks.push(format!("file {line}"));
            }
        }
        Event::StatementEnd(s) => {
            assert!(open, "{name}: a statement ends that never began");
            open = false;
            let st = statements.last_mut().unwrap();
            st.0[0] = format!(
                "statement {:?} {} {:?} {:?}",
                s.id,
                s.account.key(),
                s.opening,
                s.closing
            );
            st.2.extend(
                s.checks
                    .iter()
                    .map(|c| format!("check {} {}", c.passed, c.message)),
            );
        }
        Event::Problem(p) => problems.push(p.to_string()),
    })
    .unwrap();
    assert!(!open, "{name}: the last statement was never ended");
    for (head, entries, checks) in statements {
        out.extend(head);
        out.extend(entries);
        out.extend(checks);
    }
    out.extend(file_checks);
    problems.sort();
    out.extend(problems);
    out
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn bank_dir() -> Option<PathBuf> {
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

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.file_name().is_some_and(|n| n != "SOURCES.md") {
            out.push(p);
        }
    }
}

#[test]
fn every_fixture_streamed_seven_bytes_at_a_time_reads_as_the_whole_file_does() {
    for name in [
        "camt053_v13_batch-fee_rf_fx_reversal.xml",
        "camt053_v10_malformed-entry.xml",
        "camt054_v13_same-fx-booking.xml",
        "mt940_year-rollover_pages_rf.sta",
        "bai2_split-88-pairs.bai2",
    ] {
        let bytes = fixture(name);
        let whole = parse(&bytes, &ParseOptions::new("bank", name)).unwrap();
        assert!(whole.entries().count() > 0, "{name}");
        assert_eq!(
            outline_of_stream(&bytes, name, 7),
            outline_of_parsed(&whole),
            "{name}"
        );
    }
}

#[test]
fn every_real_bank_sample_streamed_reads_as_the_whole_file_does() {
    let Some(dir) = bank_dir() else { return };
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    let mut compared = 0;
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let name = f.display().to_string();
        let Ok(whole) = parse(&bytes, &ParseOptions::new("bank", name.clone())) else {
            continue;
        };
        // Encoding detection from the first 64 KiB can only differ for larger files.
        if bytes.len() > 64 * 1024 {
            continue;
        }
        assert_eq!(
            outline_of_stream(&bytes, &name, 64),
            outline_of_parsed(&whole),
            "{name}"
        );
        compared += 1;
    }
    assert!(compared > 10, "only {compared} samples compared");
}

/// A camt.053 statement of `n` entries produced on the fly, never held whole.
struct GeneratedCamt {
    n: u64,
    next: u64,
    pending: Vec<u8>,
    pos: usize,
    done: bool,
}

impl GeneratedCamt {
    fn new(n: u64) -> Self {
        // Opening 1000.00, every entry a credit of 1.25 and every third a debit of 0.50.
        let closing = Decimal::new(100_000, 2) + Self::net(n);
        let head = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\
             <Stmt><Id>GEN</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\
             <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-19</Dt></Dt></Bal>\
             <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>\n"
        );
        Self {
            n,
            next: 0,
            pending: head.into_bytes(),
            pos: 0,
            done: false,
        }
    }

    fn amount(i: u64) -> (Decimal, &'static str) {
        if i % 3 == 2 {
            (Decimal::new(50, 2), "DBIT")
        } else {
            (Decimal::new(125, 2), "CRDT")
        }
    }

    fn net(n: u64) -> Decimal {
        (0..n)
            .map(|i| match Self::amount(i) {
                (a, "DBIT") => -a,
                (a, _) => a,
            })
            .sum()
    }
}

impl Read for GeneratedCamt {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
            if self.next < self.n {
                let (a, ind) = Self::amount(self.next);
                self.pending = format!(
                    "<Ntry><Amt Ccy=\"EUR\">{a}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
                     <BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>G{}</AcctSvcrRef></Ntry>\n",
                    self.next
                )
                .into_bytes();
                self.next += 1;
            } else if !self.done {
                self.done = true;
                self.pending = b"</Stmt></BkToCstmrStmt></Document>\n".to_vec();
            } else {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn a_statement_of_50000_entries_arrives_one_entry_at_a_time_and_balances_at_its_end() {
    let n = 50_000;
    let mut entries = 0u64;
    let mut sum = Decimal::ZERO;
    let mut order = Vec::new();
    let mut balance = None;
    parse_reader(
        BufReader::new(GeneratedCamt::new(n)),
        &ParseOptions::new("bank", "generated.xml"),
        |ev| match ev {
            Event::Entry(e) => {
                entries += 1;
                sum += e.amount.amount;
                if order.last() != Some(&"entry") {
                    order.push("entry");
                }
            }
            Event::Statement(_) => order.push("statement"),
            Event::StatementEnd(s) => {
                order.push("end");
                balance = s.checks.last().cloned();
            }
            Event::Problem(p) => panic!("{p}"),
            Event::File { .. } | Event::Check(_) => {}
        },
    )
    .unwrap();
    assert_eq!(entries, n);
    assert_eq!(sum, GeneratedCamt::net(n));
    assert_eq!(order, ["statement", "entry", "end"]);
    let balance = balance.unwrap();
    assert!(balance.passed, "{}", balance.message);
    assert_eq!(balance.actual, Some(Decimal::new(100_000, 2) + sum));
}

#[test]
fn a_camt_file_cut_off_mid_entry_delivers_the_entries_before_the_cut_and_says_where() {
    let mut full = Vec::new();
    GeneratedCamt::new(10).read_to_end(&mut full).unwrap();
    let text = String::from_utf8(full).unwrap();
    let cut = text.find("<AcctSvcrRef>G7").unwrap();
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    parse_reader(
        BufReader::with_capacity(16, &text.as_bytes()[..cut]),
        &ParseOptions::new("bank", "cut.xml"),
        |ev| match ev {
            Event::Entry(e) => entries.push(e.bank_reference.unwrap_or_default()),
            Event::Problem(p) => problems.push(p.to_string()),
            _ => {}
        },
    )
    .unwrap();
    assert_eq!(entries, (0..7).map(|i| format!("G{i}")).collect::<Vec<_>>());
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("cut.xml: byte {cut}:")) && p.contains("truncated")),
        "{problems:?}"
    );
}

#[test]
fn a_windows_1252_camt_statement_is_decoded_while_streaming() {
    let text = "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\"><BkToCstmrDbtCdtNtfctn>\
        <Ntfctn><Id>N1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\
        <Ntry><Amt Ccy=\"EUR\">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
        <BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef>\
        <NtryDtls><TxDtls><RmtInf><Ustrd>Rechnung M\u{fc}ller \u{20ac}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\
        </Ntfctn></BkToCstmrDbtCdtNtfctn></Document>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let mut remittance = Vec::new();
    parse_reader(
        BufReader::with_capacity(5, &bytes[..]),
        &ParseOptions::new("bank", "n.xml"),
        |ev| {
            if let Event::Entry(e) = ev {
                remittance.extend(e.remittance);
            }
        },
    )
    .unwrap();
    assert_eq!(remittance, ["Rechnung Müller €"]);
}

#[test]
fn a_doctype_is_refused_when_streaming_too() {
    let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY a \"b\">]>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt/></Document>";
    let mut entries = 0;
    let err = parse_reader(text.as_bytes(), &ParseOptions::new("bank", "d.xml"), |ev| {
        if matches!(ev, Event::Entry(_)) {
            entries += 1;
        }
    })
    .unwrap_err();
    assert!(matches!(
        err,
        StatementError::Declaration { what: "ENTITY", .. }
    ));
    assert_eq!(entries, 0);
}
