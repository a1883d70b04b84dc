//! Throughput and peak memory of the statement parsers on large generated files.
//!
//! ```text
//! cargo run --release -p arsync-statements --example bench -- generate DIR ENTRIES
//! cargo run --release -p arsync-statements --example bench -- replicate DIR ENTRIES CAMT053 MT940
//! cargo run --release -p arsync-statements --example bench -- parse FILE...
//! cargo run --release -p arsync-statements --example bench -- whole FILE...
//! cargo run --release -p arsync-statements --example bench -- scan FILE...
//! ```
//! `generate` writes `bench.camt053.xml`, `bench.mt940.sta` and `bench.ofx` with ENTRIES
//! entries each (balances that check), streaming them to disk. `replicate` builds
//! `real.camt053.xml` and `real.mt940.sta` of ENTRIES entries from the entries of two real
//! statement files (a camt.053 and an MT940 sample): the sample's first statement keeps its
//! header and account, and its entries (from every statement of the file, for MT940) are
//! repeated in turn, each copy with its amounts multiplied by 1 to 9 (every amount element
//! of a camt `Ntry`, so batches and charges still add up), its camt dates moved on by up to
//! 27 days and its camt references suffixed with the copy's number; the closing balance is
//! the opening balance plus the booked entries, and a camt `TxsSummry` is left out. `parse`
//! reads each file with
//! `parse_reader` from a buffered file (the streaming path: entries are counted and dropped
//! as they arrive); `whole` reads the file into memory and calls `parse`; `scan` is the
//! floor: a raw quick-xml event scan of the same file that only counts `Ntry` start tags.
//! Each prints entries, seconds, MB/s, entries/s and the process's peak resident memory
//! (VmHWM). Run one file per process to read peak memory per file.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use arsync_statements::{Event, ParseOptions, parse, parse_reader};
use chrono::NaiveDate;
use rust_decimal::Decimal;
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
        Some("replicate") if args.len() == 5 => {
            let n: u64 = args[2].parse().unwrap_or(100_000);
            let dir = std::path::Path::new(&args[1]);
            let made = std::fs::create_dir_all(dir)
                .map_err(|e| e.to_string())
                .and_then(|()| replicate_camt(&args[3], n, &dir.join("real.camt053.xml")))
                .and_then(|()| replicate_mt940(&args[4], n, &dir.join("real.mt940.sta")));
            if let Err(e) = made {
                eprintln!("replicate: {e}");
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
            eprintln!(
                "usage: bench generate DIR ENTRIES | bench replicate DIR ENTRIES CAMT053 MT940 | bench parse|whole|scan FILE..."
            );
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

/// The factor copy `k` multiplies its amounts by (1 to 9).
fn factor(k: u64) -> Decimal {
    Decimal::from(1 + k % 9)
}

/// One entry of a sample, ready to be repeated.
struct Template {
    /// The entry's source text.
    text: String,
    /// Its booked amount, signed (zero when it is not booked).
    booked: Decimal,
}

/// The text of the first `<name>` element in `s` (a simple, unprefixed element).
fn element<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = s.find(&open)? + open.len();
    let end = s[start..].find(&format!("</{name}>"))? + start;
    Some(&s[start..end])
}

/// The value and currency of the first amount element (`<…Amt Ccy="EUR">1.00</…Amt>`) in `s`.
fn first_amount(s: &str) -> Option<(Decimal, &str)> {
    let a = s.find("<Amt")?;
    let tag_end = s[a..].find('>')? + a;
    let ccy = s[a..tag_end].split('"').nth(1).unwrap_or("");
    let end = s[tag_end..].find('<')? + tag_end;
    Some((s[tag_end + 1..end].trim().parse().ok()?, ccy))
}

/// The signed value of a camt `Bal` (or `Ntry`) element: its amount and `CdtDbtInd`.
fn signed_amount(s: &str) -> Option<Decimal> {
    let (v, _) = first_amount(s)?;
    Some(if element(s, "CdtDbtInd")?.trim() == "DBIT" {
        -v
    } else {
        v
    })
}

/// A camt `Ntry` copy: every amount (an element with a `Ccy` attribute) multiplied, every
/// date moved on, every reference suffixed.
fn camt_copy(t: &str, k: u64, out: &mut String) -> Result<(), String> {
    let f = factor(k);
    let shift = chrono::Days::new(k % 28);
    let mut rest = t;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>').map(|g| g + lt) else {
            break;
        };
        let tag = &rest[lt..=gt];
        out.push_str(tag);
        rest = &rest[gt + 1..];
        let name = tag[1..tag.len() - 1].split([' ', '/']).next().unwrap_or("");
        let text_end = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..text_end];
        if tag.starts_with("</") || text.trim().is_empty() {
            continue;
        }
        if tag.contains("Ccy=") {
            let v: Decimal = text
                .trim()
                .parse()
                .map_err(|e| format!("amount '{text}': {e}"))?;
            out.push_str(&(v * f).to_string());
        } else if (name == "Dt" || name == "DtTm") && text.len() >= 10 {
            match NaiveDate::parse_from_str(&text[..10], "%Y-%m-%d") {
                Ok(d) => {
                    let moved = d.checked_add_days(shift).unwrap_or(d);
                    out.push_str(&moved.format("%Y-%m-%d").to_string());
                    out.push_str(&text[10..]);
                }
                Err(_) => out.push_str(text),
            }
        } else if k > 0
            && matches!(
                name,
                "AcctSvcrRef"
                    | "NtryRef"
                    | "EndToEndId"
                    | "TxId"
                    | "InstrId"
                    | "MsgId"
                    | "PmtInfId"
            )
            && text.trim() != "NOTPROVIDED"
        {
            out.push_str(text.trim());
            out.push_str(&format!("-{k}"));
        } else {
            out.push_str(text);
        }
        rest = &rest[text_end..];
    }
    out.push_str(rest);
    Ok(())
}

/// Writes a camt.053 of `n` entries built from the first statement of a real one.
fn replicate_camt(sample: &str, n: u64, out: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(sample).map_err(|e| format!("{sample}: {e}"))?;
    let no = |what: &str| format!("{sample}: {what}");
    let stmt = text.find("<Stmt>").ok_or_else(|| no("no <Stmt>"))?;
    let stmt_end = text[stmt..]
        .find("</Stmt>")
        .ok_or_else(|| no("no </Stmt>"))?
        + stmt;
    let mut templates = Vec::new();
    let mut at = stmt;
    let (mut first, mut last) = (None, stmt);
    while let Some(p) = text[at..stmt_end].find("<Ntry>") {
        let start = at + p;
        let end = text[start..]
            .find("</Ntry>")
            .ok_or_else(|| no("unclosed <Ntry>"))?
            + start
            + 7;
        let t = &text[start..end];
        let booked = element(t, "Sts").is_some_and(|s| s.contains("BOOK"));
        let value = signed_amount(t).ok_or_else(|| no("an Ntry without Amt/CdtDbtInd"))?;
        templates.push(Template {
            text: t.to_owned(),
            booked: if booked { value } else { Decimal::ZERO },
        });
        first.get_or_insert(start);
        last = end;
        at = end;
    }
    let first = first.ok_or_else(|| no("no <Ntry> in the first statement"))?;
    let count = u64::try_from(templates.len()).map_err(|e| e.to_string())?;
    // The booked total of all copies, for the closing balance.
    let mut net = Decimal::ZERO;
    for i in 0..n {
        let (j, k) = (i % count, i / count);
        net += templates[usize::try_from(j).map_err(|e| e.to_string())?].booked * factor(k);
    }
    // The header and the end of the statement, the transaction summary left out and the
    // closing balance made to match.
    let mut head = text[..first].to_owned();
    if let (Some(a), Some(b)) = (head.find("<TxsSummry>"), head.find("</TxsSummry>")) {
        head.replace_range(a..b + "</TxsSummry>".len(), "");
    }
    let mut tail = format!(
        "{}{}",
        &text[last..stmt_end + "</Stmt>".len()],
        &text[text.rfind("</Stmt>").unwrap_or(stmt_end) + "</Stmt>".len()..]
    );
    let bal = |s: &str, code: &str| {
        let c = s.find(&format!(">{code}<"))?;
        let start = s[..c].rfind("<Bal>")?;
        let end = s[c..].find("</Bal>")? + c + "</Bal>".len();
        Some((start, end))
    };
    let opening = ["OPBD", "PRCD"]
        .iter()
        .find_map(|c| bal(&head, c))
        .and_then(|(a, b)| signed_amount(&head[a..b]))
        .ok_or_else(|| no("no opening balance"))?;
    let closing = opening + net;
    let rewrite = |s: &mut String| -> bool {
        let Some((a, b)) = bal(s, "CLBD") else {
            return false;
        };
        let old = s[a..b].to_owned();
        let Some((v, ccy)) = first_amount(&old) else {
            return false;
        };
        let ind = if closing < Decimal::ZERO {
            "DBIT"
        } else {
            "CRDT"
        };
        let new = old
            .replacen(
                &format!("{ccy}\">{v}<"),
                &format!("{ccy}\">{}<", closing.abs()),
                1,
            )
            .replacen(">CRDT<", &format!(">{ind}<"), 1)
            .replacen(">DBIT<", &format!(">{ind}<"), 1);
        s.replace_range(a..b, &new);
        true
    };
    if !rewrite(&mut head) && !rewrite(&mut tail) {
        return Err(no("no closing balance (CLBD)"));
    }
    let mut w = BufWriter::new(std::fs::File::create(out).map_err(|e| e.to_string())?);
    let io = |e: std::io::Error| e.to_string();
    w.write_all(head.as_bytes()).map_err(io)?;
    let mut entry = String::new();
    for i in 0..n {
        let (j, k) = (i % count, i / count);
        entry.clear();
        camt_copy(
            &templates[usize::try_from(j).map_err(|e| e.to_string())?].text,
            k,
            &mut entry,
        )?;
        w.write_all(entry.as_bytes()).map_err(io)?;
        w.write_all(b"\n").map_err(io)?;
    }
    w.write_all(tail.as_bytes()).map_err(io)?;
    w.flush().map_err(io)
}

/// An MT940 `:61:` line with its amount multiplied; returns the line and its signed amount.
fn mt940_copy(line: &str, f: Decimal) -> Option<(String, Decimal)> {
    let b = line.as_bytes();
    let mut p = 4 + 6;
    if b.get(p..p + 4)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    {
        p += 4;
    }
    let (len, debit) = match b.get(p..)? {
        [b'R', b'C', ..] | [b'E', b'D', ..] => (2, true),
        [b'R', b'D', ..] | [b'E', b'C', ..] => (2, false),
        [b'C', ..] => (1, false),
        [b'D', ..] => (1, true),
        _ => return None,
    };
    p += len;
    if b.get(p).is_some_and(u8::is_ascii_alphabetic) {
        p += 1;
    }
    let end = p + b[p..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b',')
        .count();
    let v: Decimal = line[p..end]
        .replace(',', ".")
        .trim_end_matches('.')
        .parse()
        .ok()?;
    let scaled = (v * f).normalize();
    let text = scaled.to_string().replace('.', ",");
    let text = if text.contains(',') {
        text
    } else {
        format!("{text},")
    };
    let signed = if debit { -scaled } else { scaled };
    Some((format!("{}{text}{}", &line[..p], &line[end..]), signed))
}

/// Writes an MT940 statement of `n` entries built from the `:61:`/`:86:` blocks of a real one.
fn replicate_mt940(sample: &str, n: u64, out: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(sample).map_err(|e| format!("{sample}: {e}"))?;
    let no = |what: &str| format!("{sample}: {what}");
    let lines: Vec<&str> = text.lines().collect();
    let mut head = Vec::new();
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut in_block = false;
    let mut first_done = false;
    let mut closing_line = None;
    for l in &lines {
        if l.starts_with(":61:") {
            blocks.push(vec![l]);
            in_block = true;
        } else if in_block && !l.starts_with(":6") && !l.starts_with('-') {
            if let Some(b) = blocks.last_mut() {
                b.push(l);
            }
        } else {
            in_block = false;
            if l.starts_with(":62F:") || l.starts_with(":62M:") {
                closing_line.get_or_insert(*l);
                first_done = true;
            } else if !first_done && blocks.is_empty() && !l.trim().is_empty() {
                head.push(*l);
            }
        }
    }
    let opening = head
        .iter()
        .find(|l| l.starts_with(":60F:") || l.starts_with(":60M:"))
        .ok_or_else(|| no("no :60F:"))?;
    let closing_line = closing_line.ok_or_else(|| no("no :62F:"))?;
    let balance = |l: &str| -> Option<(Decimal, String)> {
        let body = &l[5..];
        let v: Decimal = body
            .get(10..)?
            .replace(',', ".")
            .trim_end_matches('.')
            .parse()
            .ok()?;
        let v = if body.starts_with('D') { -v } else { v };
        Some((v, body.get(1..10)?.to_owned()))
    };
    let (open_value, _) = balance(opening).ok_or_else(|| no("unreadable :60F:"))?;
    let (_, close_date_ccy) = balance(closing_line).ok_or_else(|| no("unreadable :62F:"))?;
    let count = u64::try_from(blocks.len()).map_err(|e| e.to_string())?;
    if count == 0 {
        return Err(no("no :61: line"));
    }
    let mut w = BufWriter::new(std::fs::File::create(out).map_err(|e| e.to_string())?);
    let io = |e: std::io::Error| e.to_string();
    for l in head.iter().filter(|l| !l.starts_with(":62")) {
        writeln!(w, "{l}").map_err(io)?;
    }
    let mut net = Decimal::ZERO;
    for i in 0..n {
        let (j, k) = (i % count, i / count);
        let block = &blocks[usize::try_from(j).map_err(|e| e.to_string())?];
        let (line, signed) = mt940_copy(block[0], factor(k))
            .ok_or_else(|| no(&format!("unreadable {}", block[0])))?;
        net += signed;
        writeln!(w, "{line}").map_err(io)?;
        for l in &block[1..] {
            writeln!(w, "{l}").map_err(io)?;
        }
    }
    let closing = open_value + net;
    let mark = if closing < Decimal::ZERO { 'D' } else { 'C' };
    let amount = closing.abs().normalize().to_string().replace('.', ",");
    let amount = if amount.contains(',') {
        amount
    } else {
        format!("{amount},")
    };
    writeln!(w, ":62F:{mark}{close_date_ccy}{amount}\n-").map_err(io)?;
    w.flush().map_err(io)
}
