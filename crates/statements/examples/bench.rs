//! Throughput and peak memory of the statement parsers on large generated files.
//!
//! ```text
//! cargo run --release -p arsync-statements --example bench -- generate DIR ENTRIES
//! cargo run --release -p arsync-statements --example bench -- parse FILE...
//! cargo run --release -p arsync-statements --example bench -- whole FILE...
//! cargo run --release -p arsync-statements --example bench -- scan FILE...
//! ```
//! `generate` writes `bench.camt053.xml`, `bench.mt940.sta` and `bench.ofx` with ENTRIES
//! entries each (balances that check), streaming them to disk. `parse` reads each file with
//! `parse_reader` from a buffered file (the streaming path: entries are counted and dropped
//! as they arrive); `whole` reads the file into memory and calls `parse`; `scan` is the
//! floor: a raw quick-xml event scan of the same file that only counts `Ntry` start tags.
//! Each prints entries, seconds, MB/s, entries/s and the process's peak resident memory
//! (VmHWM). Run one file per process to read peak memory per file.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use arsync_statements::{Event, ParseOptions, parse, parse_reader};
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") if args.len() == 3 => {
            let n: u64 = args[2].parse().unwrap_or(100_000);
            if let Err(e) = generate(&args[1], n) {
                eprintln!("generate: {e}");
                std::process::exit(1);
            }
        }
        Some(mode @ ("parse" | "whole" | "scan")) => {
            for f in &args[1..] {
                if let Err(e) = bench(mode, f) {
                    eprintln!("{f}: {e}");
                }
            }
        }
        _ => {
            eprintln!("usage: bench generate DIR ENTRIES | bench parse|whole|scan FILE...");
            std::process::exit(2);
        }
    }
}

/// What one run read.
struct Run {
    label: String,
    entries: u64,
    failed: u64,
    problems: u64,
}

fn bench(mode: &str, file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let size = std::fs::metadata(file)?.len();
    let options = ParseOptions::new("bench", file);
    let start = Instant::now();
    let run = match mode {
        "scan" => scan(file)?,
        "whole" => {
            let bytes = std::fs::read(file)?;
            let parsed = parse(&bytes, &options)?;
            Run {
                label: format!("{} (parse, whole file in memory)", parsed.format),
                entries: u64::try_from(parsed.entries().count())?,
                failed: u64::try_from(parsed.failed_checks().count())?,
                problems: u64::try_from(parsed.problems.len())?,
            }
        }
        _ => {
            let reader = BufReader::with_capacity(64 * 1024, std::fs::File::open(file)?);
            let mut run = Run {
                label: String::new(),
                entries: 0,
                failed: 0,
                problems: 0,
            };
            parse_reader(reader, &options, |ev| match ev {
                Event::File { format, .. } => run.label = format!("{format} (parse_reader)"),
                Event::Entry(_) => run.entries += 1,
                Event::Check(c) if !c.passed => run.failed += 1,
                Event::StatementEnd(s) => {
                    run.failed +=
                        u64::try_from(s.checks.iter().filter(|c| !c.passed).count()).unwrap_or(0);
                }
                Event::Problem(_) => run.problems += 1,
                _ => {}
            })?;
            run
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs().unwrap_or(secs);
    #[allow(clippy::cast_precision_loss)]
    let (mb, per_sec) = (size as f64 / 1_000_000.0, run.entries as f64 / secs);
    println!(
        "{file}: {} | {mb:.1} MB | {} entries | {secs:.3} s | {:.1} MB/s | {per_sec:.0} entries/s | cpu {cpu:.2} s = {:.1} MB/s | peak RSS {} MB | failed checks {} | problems {}",
        run.label,
        run.entries,
        mb / secs,
        mb / cpu,
        peak_rss_mb().map_or("?".into(), |m| m.to_string()),
        run.failed,
        run.problems
    );
    Ok(())
}

/// The floor: tokenise the XML with quick-xml and count `Ntry` elements, nothing else.
fn scan(file: &str) -> Result<Run, Box<dyn std::error::Error>> {
    let reader = BufReader::with_capacity(64 * 1024, std::fs::File::open(file)?);
    let mut xml = quick_xml::Reader::from_reader(reader);
    let mut buf = Vec::with_capacity(4096);
    let mut entries = 0u64;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf)? {
            quick_xml::events::Event::Start(s) if s.local_name().as_ref() == "Ntry" => {
                entries += 1;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    Ok(Run {
        label: "quick-xml event scan".into(),
        entries,
        failed: 0,
        problems: 0,
    })
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (clock ticks of
/// 1/100 s). On a shared machine this is steadier than wall time.
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let mut fields = after.split_whitespace().skip(11);
    let utime: u32 = fields.next()?.parse().ok()?;
    let stime: u32 = fields.next()?.parse().ok()?;
    Some(f64::from(utime + stime) / 100.0)
}

/// Peak resident set size of this process in MB (Linux `VmHWM`).
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn cents(c: u64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

fn generate(dir: &str, n: u64) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // Deterministic amounts between 1.00 and 9,999.99; every fifth entry a debit.
    let amount = |i: u64| 100 + (i * 7919) % 999_900;
    let debit = |i: u64| i % 5 == 4;
    let mut net: i128 = 0;
    for i in 0..n {
        let a = i128::from(amount(i));
        net += if debit(i) { -a } else { a };
    }
    let opening: u64 = 100_000_000;
    let closing = i128::from(opening) + net;
    let closing_abs = u64::try_from(closing.unsigned_abs()).unwrap_or(u64::MAX);
    let closing_ind = if closing < 0 { "DBIT" } else { "CRDT" };

    // camt.053.001.08
    let mut x = BufWriter::new(std::fs::File::create(format!("{dir}/bench.camt053.xml"))?);
    write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n<BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-11-20T18:00:00</CreDtTm></GrpHdr>\n<Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n\
         <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-19</Dt></Dt></Bal>\n\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>{closing_ind}</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>\n",
        cents(opening),
        cents(closing_abs)
    )?;
    for i in 0..n {
        let (ind, party, acct) = if debit(i) {
            ("DBIT", "Cdtr", "CdtrAcct")
        } else {
            ("CRDT", "Dbtr", "DbtrAcct")
        };
        let a = cents(amount(i));
        writeln!(
            x,
            "<Ntry><Amt Ccy=\"EUR\">{a}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
             <BookgDt><Dt>2026-11-20</Dt></BookgDt><ValDt><Dt>2026-11-20</Dt></ValDt><AcctSvcrRef>REF{i:010}</AcctSvcrRef>\
             <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\
             <NtryDtls><TxDtls><Refs><EndToEndId>INV-{i:08}</EndToEndId></Refs><Amt Ccy=\"EUR\">{a}</Amt><CdtDbtInd>{ind}</CdtDbtInd>\
             <RltdPties><{party}><Pty><Nm>Customer {} GmbH</Nm></Pty></{party}><{acct}><Id><IBAN>DE44500105175407324931</IBAN></Id></{acct}></RltdPties>\
             <RltdAgts><DbtrAgt><FinInstnId><BICFI>INGDDEFFXXX</BICFI></FinInstnId></DbtrAgt></RltdAgts>\
             <RmtInf><Ustrd>Invoice INV-{i:08} of 2026-10-{:02}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
            i % 997,
            1 + i % 28
        )?;
    }
    x.write_all(b"</Stmt></BkToCstmrStmt></Document>\n")?;
    x.flush()?;

    // MT940, one statement.
    let comma = |c: u64| format!("{},{:02}", c / 100, c % 100);
    let mut m = BufWriter::new(std::fs::File::create(format!("{dir}/bench.mt940.sta"))?);
    write!(
        m,
        ":20:BENCH\n:25:DE89370400440532013000\n:28C:00001/001\n:60F:C261119EUR{}\n",
        comma(opening)
    )?;
    for i in 0..n {
        let mark = if debit(i) { "D" } else { "C" };
        write!(
            m,
            ":61:2611201120{mark}{}NTRFINV-{i:08}//REF{i:010}\n:86:166?00SEPA-GUTSCHRIFT?109310?20EREF+INV-{i:08}?21SVWZ+Invoice INV-{i:08}\n?22of 2026-10-{:02}?30INGDDEFFXXX?31DE44500105175407324931?32Customer {} GmbH\n",
            comma(amount(i)),
            1 + i % 28,
            i % 997
        )?;
    }
    write!(
        m,
        ":62F:{}261120EUR{}\n-\n",
        if closing < 0 { "D" } else { "C" },
        comma(closing_abs)
    )?;
    m.flush()?;

    // OFX 1.02 SGML.
    let mut o = BufWriter::new(std::fs::File::create(format!("{dir}/bench.ofx"))?);
    o.write_all(
        b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n\
         <OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n<DTSERVER>20261120180000\n<LANGUAGE>ENG\n</SONRS>\n</SIGNONMSGSRSV1>\n\
         <BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n<STMTRS>\n<CURDEF>USD\n<BANKACCTFROM>\n<BANKID>121099999\n<ACCTID>999988\n<ACCTTYPE>CHECKING\n</BANKACCTFROM>\n<BANKTRANLIST>\n<DTSTART>20261101\n<DTEND>20261120\n",
    )?;
    for i in 0..n {
        let sign = if debit(i) { "-" } else { "" };
        write!(
            o,
            "<STMTTRN>\n<TRNTYPE>{}\n<DTPOSTED>20261120120000\n<TRNAMT>{sign}{}\n<FITID>{i:010}\n<NAME>Customer {} Inc\n<MEMO>Invoice INV-{i:08}\n</STMTTRN>\n",
            if debit(i) { "DEBIT" } else { "CREDIT" },
            cents(amount(i)),
            i % 997
        )?;
    }
    write!(
        o,
        "</BANKTRANLIST>\n<LEDGERBAL>\n<BALAMT>{}{}\n<DTASOF>20261120\n</LEDGERBAL>\n</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n",
        if closing < 0 { "-" } else { "" },
        cents(closing_abs)
    )?;
    o.flush()?;
    Ok(())
}
