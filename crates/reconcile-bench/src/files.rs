//! A case as the files a user would hand to `arsync reconcile --items ... --statement ...
//! --rates ...`: a camt.053.001.08 statement (one `Stmt` per company account), an
//! ECB-style reference-rate XML file and a CSV of open items; and the same files read back
//! through the readers the CLI uses (arsync-statements, arsync-feeds, arsync-sheets), so
//! the file path is measured end to end.

use crate::error::{BenchError, Result};
use crate::generate::Case;
use arsync_model::{BankEntry, Decimal, Money, NaiveDate, RefKind};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The files of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFiles {
    /// camt.053 statement.
    pub statement: PathBuf,
    /// ECB-style rate file.
    pub rates: PathBuf,
    /// Open items (invoices and credit notes) as CSV.
    pub items: PathBuf,
    /// The truth per receipt, for `score-export`.
    pub truth: PathBuf,
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn amt(tag: &str, m: &Money) -> String {
    format!("<{tag} Ccy=\"{}\">{}</{tag}>", m.currency, m.amount.abs())
}

fn side(amount: Decimal) -> &'static str {
    if amount.is_sign_negative() {
        "DBIT"
    } else {
        "CRDT"
    }
}

fn bank_tx_code(code: Option<&str>) -> String {
    let parts: Vec<&str> = code.unwrap_or("PMNT/RCDT/OTHR").split('/').collect();
    match parts.as_slice() {
        [d, f, s] => format!(
            "<BkTxCd><Domn><Cd>{d}</Cd><Fmly><Cd>{f}</Cd><SubFmlyCd>{s}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        ),
        _ => String::new(),
    }
}

fn write_entry(out: &mut String, e: &BankEntry) {
    let reference = xml_escape(e.bank_reference.as_deref().unwrap_or_default());
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let _ = write!(
        out,
        "<Ntry>{}<CdtDbtInd>{}</CdtDbtInd>",
        amt("Amt", &e.amount),
        side(e.amount.amount)
    );
    if e.reversal {
        out.push_str("<RvslInd>true</RvslInd>");
    }
    let _ = write!(
        out,
        "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{}</Dt></BookgDt><ValDt><Dt>{}</Dt></ValDt><AcctSvcrRef>{reference}</AcctSvcrRef>{}",
        date(e.booking_date),
        date(e.value_date),
        bank_tx_code(e.bank_tx_code.as_deref())
    );
    out.push_str("<NtryDtls><TxDtls><Refs>");
    let _ = write!(out, "<AcctSvcrRef>{reference}</AcctSvcrRef>");
    if let Some(id) = &e.end_to_end_id {
        let _ = write!(out, "<EndToEndId>{}</EndToEndId>", xml_escape(id));
    }
    out.push_str("</Refs>");
    let _ = write!(
        out,
        "{}<CdtDbtInd>{}</CdtDbtInd>",
        amt("Amt", &e.amount),
        side(e.amount.amount)
    );
    if let Some(x) = &e.exchange {
        let _ = write!(out, "<AmtDtls><InstdAmt>{}", amt("Amt", &x.instructed));
        if let (Some(rate), Some(src), Some(trg)) = (x.rate, x.source_currency, x.target_currency) {
            let _ = write!(
                out,
                "<CcyXchg><SrcCcy>{src}</SrcCcy><TrgtCcy>{trg}</TrgtCcy><UnitCcy>{src}</UnitCcy><XchgRate>{rate}</XchgRate></CcyXchg>"
            );
        }
        let _ = write!(
            out,
            "</InstdAmt><TxAmt>{}</TxAmt></AmtDtls>",
            amt("Amt", &e.amount)
        );
    }
    if !e.charges.is_empty() {
        out.push_str("<Chrgs>");
        for c in &e.charges {
            let _ = write!(
                out,
                "<Rcrd>{}<CdtDbtInd>DBIT</CdtDbtInd><ChrgInclInd>{}</ChrgInclInd>",
                amt("Amt", &c.amount),
                c.included
            );
            if let Some(k) = &c.kind {
                let _ = write!(out, "<Tp><Cd>{}</Cd></Tp>", xml_escape(k));
            }
            out.push_str("</Rcrd>");
        }
        out.push_str("</Chrgs>");
    }
    // The other party of a debit, a returned payment included, is its creditor.
    let (party, account) = if e.amount.amount.is_sign_negative() {
        ("Cdtr", "CdtrAcct")
    } else {
        ("Dbtr", "DbtrAcct")
    };
    out.push_str("<RltdPties>");
    if let Some(n) = &e.counterparty.name {
        let _ = write!(
            out,
            "<{party}><Pty><Nm>{}</Nm></Pty></{party}>",
            xml_escape(n)
        );
    }
    if let Some(a) = &e.counterparty.account {
        let _ = write!(
            out,
            "<{account}><Id><IBAN>{}</IBAN></Id></{account}>",
            xml_escape(a)
        );
    }
    out.push_str("</RltdPties>");
    if !e.remittance.is_empty() || !e.structured_refs.is_empty() {
        out.push_str("<RmtInf>");
        for line in &e.remittance {
            let _ = write!(out, "<Ustrd>{}</Ustrd>", xml_escape(line));
        }
        for r in &e.structured_refs {
            let scheme = match &r.kind {
                RefKind::Rf => "SCOR",
                RefKind::Other(s) => s.as_str(),
                RefKind::SwissQr | RefKind::Isr => "QRR",
            };
            let _ = write!(
                out,
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>{}</Cd></CdOrPrtry></Tp><Ref>{}</Ref></CdtrRefInf></Strd>",
                xml_escape(scheme),
                xml_escape(&r.value)
            );
        }
        out.push_str("</RmtInf>");
    }
    out.push_str("</TxDtls></NtryDtls></Ntry>\n");
}

/// The statement as camt.053.001.08 XML: one `Stmt` per company account, with opening
/// and closing balances and the entry totals a bank reports.
pub(crate) fn camt053(case: &Case) -> String {
    let created = format!("{}T18:00:00", case.spec.as_of);
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt><GrpHdr><MsgId>ARSYNC-BENCH-{}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>\n",
        case.spec.seed
    );
    for (n, acct) in case.accounts.iter().enumerate() {
        let entries: Vec<&BankEntry> = case
            .entries
            .iter()
            .filter(|e| e.account == acct.account)
            .collect();
        let ccy = acct.account.currency;
        let first = entries
            .iter()
            .filter_map(|e| e.booking_date)
            .min()
            .unwrap_or(case.spec.as_of);
        let moved: Decimal = entries.iter().map(|e| e.amount.amount).sum();
        let closing = acct.opening + moved;
        let (credits, debits): (Vec<&&BankEntry>, Vec<&&BankEntry>) = entries
            .iter()
            .partition(|e| e.amount.amount.is_sign_positive());
        let total =
            |xs: &[&&BankEntry]| -> Decimal { xs.iter().map(|e| e.amount.amount.abs()).sum() };
        let balance = |code: &str, amount: Decimal, date: NaiveDate| {
            format!(
                "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>{}<CdtDbtInd>{}</CdtDbtInd><Dt><Dt>{date}</Dt></Dt></Bal>",
                amt("Amt", &Money::new(amount, ccy)),
                side(amount)
            )
        };
        let _ = write!(
            out,
            "<Stmt><Id>STMT-{}-{ccy}</Id><ElctrncSeqNb>{}</ElctrncSeqNb><CreDtTm>{created}</CreDtTm><Acct><Id><IBAN>{}</IBAN></Id><Ccy>{ccy}</Ccy></Acct>{}{}",
            case.spec.seed,
            n + 1,
            acct.account.iban.as_deref().unwrap_or_default(),
            balance("OPBD", acct.opening, first),
            balance("CLBD", closing, case.spec.as_of),
        );
        let _ = writeln!(
            out,
            "<TxsSummry><TtlNtries><NbOfNtries>{}</NbOfNtries></TtlNtries><TtlCdtNtries><NbOfNtries>{}</NbOfNtries><Sum>{}</Sum></TtlCdtNtries><TtlDbtNtries><NbOfNtries>{}</NbOfNtries><Sum>{}</Sum></TtlDbtNtries></TxsSummry>",
            entries.len(),
            credits.len(),
            total(&credits),
            debits.len(),
            total(&debits),
        );
        for e in entries {
            write_entry(&mut out, e);
        }
        out.push_str("</Stmt>\n");
    }
    out.push_str("</BkToCstmrStmt></Document>\n");
    out
}

/// The rates as the ECB publishes its history: newest day first, one `Cube` per day.
pub(crate) fn ecb_xml(case: &Case) -> String {
    let mut days: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for r in &case.rates {
        days.entry(r.date)
            .or_default()
            .push(format!("<Cube currency='{}' rate='{}'/>", r.quote, r.rate));
    }
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n<gesmes:subject>Reference rates</gesmes:subject>\n<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>\n<Cube>\n",
    );
    for (day, cubes) in days.iter().rev() {
        let _ = writeln!(out, "<Cube time='{day}'>{}</Cube>", cubes.join(""));
    }
    out.push_str("</Cube>\n</gesmes:Envelope>\n");
    out
}

/// The open items as an accountant's CSV export.
pub(crate) fn items_csv(case: &Case) -> String {
    let mut out = String::from(
        "Type,Invoice Number,Customer ID,Customer,Invoice Date,Due Date,Total,Open Amount,Currency,Payment Reference\n",
    );
    for i in &case.invoices {
        let _ = writeln!(
            out,
            "Invoice,{},{},{},{},{},{},{},{},{}",
            csv_field(&i.number),
            csv_field(&i.customer_id),
            csv_field(i.customer_name.as_deref().unwrap_or_default()),
            i.issue_date,
            i.due_date,
            i.total,
            i.open_amount,
            i.currency,
            csv_field(i.payment_reference.as_deref().unwrap_or_default()),
        );
    }
    for c in &case.credit_notes {
        let _ = writeln!(
            out,
            "Credit Note,{},{},{},{},{},{},{},{},",
            csv_field(&c.number),
            csv_field(&c.customer_id),
            csv_field(c.customer_name.as_deref().unwrap_or_default()),
            c.issue_date,
            c.issue_date,
            c.total,
            c.remaining,
            c.currency,
        );
    }
    out
}

fn write(path: PathBuf, text: &str) -> Result<PathBuf> {
    std::fs::write(&path, text).map_err(|source| BenchError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Writes the case's statement, rates and open items into `dir` (which must exist), named
/// after the seed: `bench-<seed>.camt053.xml`, `bench-<seed>.ecb.xml`,
/// `bench-<seed>.items.csv`.
pub fn write_case(case: &Case, dir: &Path) -> Result<CaseFiles> {
    let stem = format!("bench-{}", case.spec.seed);
    Ok(CaseFiles {
        statement: write(dir.join(format!("{stem}.camt053.xml")), &camt053(case))?,
        rates: write(dir.join(format!("{stem}.ecb.xml")), &ecb_xml(case))?,
        items: write(dir.join(format!("{stem}.items.csv")), &items_csv(case))?,
        truth: write(
            dir.join(format!("{stem}.truth.csv")),
            &crate::measure::truth_csv(&case.truth),
        )?,
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| BenchError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Reads written files back through the CLI's readers and returns the case as they see
/// it, with the truth of `original`. Fails when a reader reports an error in a file this
/// crate wrote, or the counts differ from the original.
pub fn read_case(files: &CaseFiles, original: &Case) -> Result<Case> {
    let name = |p: &Path| p.display().to_string();
    let parsed = arsync_statements::parse(
        &read(&files.statement)?,
        &arsync_statements::ParseOptions::new("bank", name(&files.statement)),
    )
    .map_err(|e| BenchError::RoundTrip {
        path: files.statement.clone(),
        detail: e.to_string(),
    })?;
    if let Some(p) = parsed.errors().next() {
        return Err(BenchError::RoundTrip {
            path: files.statement.clone(),
            detail: format!("with a problem: {p:?}"),
        });
    }
    if let Some(c) = parsed.failed_checks().next() {
        return Err(BenchError::RoundTrip {
            path: files.statement.clone(),
            detail: format!("with a failed check: {c:?}"),
        });
    }
    let entries = parsed.into_entries();
    let feed =
        arsync_feeds::parse_ecb_xml(&read(&files.rates)?).map_err(|e| BenchError::RoundTrip {
            path: files.rates.clone(),
            detail: e.to_string(),
        })?;
    let items_bytes = read(&files.items)?;
    let options = arsync_sheets::SheetOptions {
        connection: "books".into(),
        ..arsync_sheets::SheetOptions::default()
    };
    let file_name = name(&files.items);
    let items = arsync_sheets::read_items(
        arsync_sheets::Source::Bytes {
            name: &file_name,
            bytes: &items_bytes,
        },
        &options,
    )
    .map_err(|e| BenchError::RoundTrip {
        path: files.items.clone(),
        detail: e.to_string(),
    })?;
    if let Some(p) = items.problems.first() {
        return Err(BenchError::RoundTrip {
            path: files.items.clone(),
            detail: format!("with a problem: {p}"),
        });
    }
    let compare = |path: &Path, what: &str, got: usize, want: usize| {
        if got == want {
            Ok(())
        } else {
            Err(BenchError::RoundTrip {
                path: path.to_owned(),
                detail: format!("{got} {what}, {want} written"),
            })
        }
    };
    compare(
        &files.statement,
        "entries",
        entries.len(),
        original.entries.len(),
    )?;
    compare(
        &files.rates,
        "rates",
        feed.rates.len(),
        original.rates.len(),
    )?;
    compare(
        &files.items,
        "invoices",
        items.invoices.len(),
        original.invoices.len(),
    )?;
    compare(
        &files.items,
        "credit notes",
        items.credit_notes.len(),
        original.credit_notes.len(),
    )?;
    Ok(Case {
        spec: original.spec.clone(),
        home: original.home,
        parties: items.parties,
        invoices: items.invoices,
        credit_notes: items.credit_notes,
        accounts: original.accounts.clone(),
        entries,
        rates: feed.rates,
        truth: original.truth.clone(),
    })
}
