//! Hand-written statements for versions and cases the public samples lack, zip bundles,
//! and properties that must hold for any batch.
// Helpers outside #[test] functions are test code too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use arsync_model::{Decimal, EntryStatus, RefKind};
use arsync_statements::{
    CheckKind, FormatKind, ParseOptions, ParsedFile, Position, Severity, StatementError,
    TextEncoding, parse, read_zip,
};
use proptest::prelude::*;
use rust_decimal_macros::dec;
use std::io::Write;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parsed(name: &str) -> ParsedFile {
    parse(&fixture(name), &ParseOptions::new("bank", name)).unwrap()
}

#[test]
fn a_receipt_batch_that_pays_two_invoices_and_loses_15_eur_to_fees_is_split_and_the_fee_booked() {
    let p = parsed("camt053_v13_batch-fee_rf_fx_reversal.xml");
    assert_eq!(p.format.kind, FormatKind::Camt053);
    assert_eq!(p.format.version.as_deref(), Some("001.13"));
    let s = &p.statements[0];
    let batch: Vec<_> = s
        .entries
        .iter()
        .filter(|e| {
            e.bank_reference
                .as_deref()
                .is_some_and(|r| r.starts_with("BATCH-0001"))
        })
        .collect();
    assert_eq!(batch.len(), 3);
    assert_eq!(batch[0].amount.amount, dec!(600.00));
    assert_eq!(batch[0].end_to_end_id.as_deref(), Some("INV-1001"));
    assert_eq!(
        batch[0].counterparty.name.as_deref(),
        Some("Acme Trading Ltd")
    );
    assert_eq!(batch[0].counterparty.bic.as_deref(), Some("NWBKGB2L"));
    assert_eq!(
        batch[0].origin.external_id,
        "DE89370400440532013000/BATCH-0001/0"
    );
    assert_eq!(batch[1].amount.amount, dec!(400.00));
    assert_eq!(batch[1].end_to_end_id, None, "NOTPROVIDED is not an id");
    assert_eq!(batch[1].structured_refs[0].kind, RefKind::Rf);
    assert_eq!(batch[1].structured_refs[0].value, "RF18539007547034");
    assert_eq!(batch[2].amount.amount, dec!(-15.00));
    assert_eq!(batch[2].detail_index, Some(2));
    let sum: Decimal = batch.iter().map(|e| e.amount.amount).sum();
    assert_eq!(sum, dec!(985.00), "the split never counts the batch twice");
    assert!(
        p.failed_checks().next().is_none(),
        "{:?}",
        p.failed_checks().collect::<Vec<_>>()
    );
    assert!(
        s.checks
            .iter()
            .any(|c| c.kind == CheckKind::BatchDetails && c.passed)
    );
    assert!(
        s.checks
            .iter()
            .any(|c| c.kind == CheckKind::Balance && c.passed)
    );
    assert_eq!(
        s.checks
            .iter()
            .filter(|c| c.kind == CheckKind::ControlTotal)
            .count(),
        4
    );
}

#[test]
fn a_usd_receipt_keeps_the_instructed_amount_and_rate() {
    let p = parsed("camt053_v13_batch-fee_rf_fx_reversal.xml");
    let fx = p
        .entries()
        .find(|e| e.bank_reference.as_deref() == Some("FX-0002"))
        .unwrap();
    assert_eq!(fx.amount.amount, dec!(1500.00));
    let x = fx.exchange.as_ref().unwrap();
    assert_eq!(x.instructed.amount, dec!(1620.00));
    assert_eq!(x.instructed.currency.code(), "USD");
    assert_eq!(x.rate, Some(dec!(0.9259259259)));
    assert_eq!(fx.remittance, vec!["INV-1002 INV-1003", "thanks & regards"]);
    assert_eq!(
        fx.counterparty.account.as_deref(),
        Some("026009593-4410022")
    );
    assert_eq!(fx.value_date.unwrap().to_string(), "2026-11-21");
}

#[test]
fn a_returned_credit_is_a_reversal_and_a_pending_entry_does_not_move_the_balance() {
    let p = parsed("camt053_v13_batch-fee_rf_fx_reversal.xml");
    let r = p
        .entries()
        .find(|e| e.bank_reference.as_deref() == Some("RVSL-0003"))
        .unwrap();
    assert!(r.reversal);
    assert_eq!(r.amount.amount, dec!(-250.00));
    assert_eq!(
        r.remittance,
        vec!["Return of credit of 2026-11-18, account closed"]
    );
    let pending = p
        .entries()
        .find(|e| e.status == EntryStatus::Pending)
        .unwrap();
    assert_eq!(pending.amount.amount, dec!(99.00));
    assert_eq!(p.statements[0].booked_total(), dec!(2235.00));
}

#[test]
fn the_same_booking_in_camt054_and_camt053_gets_the_same_key() {
    let stmt = parsed("camt053_v13_batch-fee_rf_fx_reversal.xml");
    let note = parsed("camt054_v13_same-fx-booking.xml");
    assert_eq!(note.format.kind, FormatKind::Camt054);
    let a = stmt
        .entries()
        .find(|e| e.bank_reference.as_deref() == Some("FX-0002"))
        .unwrap();
    let b = note.entries().next().unwrap();
    assert_eq!(a.origin.external_id, b.origin.external_id);
    assert_ne!(
        a.origin.payload_hash, b.origin.payload_hash,
        "different source text"
    );
}

#[test]
fn a_malformed_amount_is_reported_with_its_element_and_the_rest_is_read() {
    let p = parsed("camt053_v10_malformed-entry.xml");
    assert_eq!(p.format.version.as_deref(), Some("001.10"));
    assert_eq!(p.encoding, TextEncoding::Iso8859_1);
    assert_eq!(p.problems.len(), 1);
    let pr = &p.problems[0];
    assert_eq!(pr.severity, Severity::Error);
    assert_eq!(pr.field, "Ntry/Amt");
    assert!(pr.message.contains("'1,2.3'"));
    assert!(
        matches!(&pr.position, Position::Element { path, offset } if path == "Stmt[1]/Ntry[2]/Amt" && *offset > 0)
    );
    assert_eq!(p.entries().count(), 2);
    let first = p.entries().next().unwrap();
    assert_eq!(first.counterparty.name.as_deref(), Some("Zürcher Möbel AG"));
    assert_eq!(first.counterparty.bic.as_deref(), Some("ZKBKCHZZ80A"));
    assert_eq!(first.structured_refs[0].kind, RefKind::SwissQr);
    // The skipped entry shows as the gap in the balance.
    let c = p
        .failed_checks()
        .find(|c| c.kind == CheckKind::Balance)
        .unwrap();
    assert_eq!(c.expected.unwrap() - c.actual.unwrap(), dec!(12.30));
}

#[test]
fn a_prefixed_bank_specific_namespace_is_read_by_its_message_element() {
    let xml = r#"<?xml version="1.0"?>
<c:Document xmlns:c="urn:example:bank:statement">
 <c:BkToCstmrAcctRpt><c:Rpt><c:Id>R1</c:Id>
  <c:Acct><c:Id><c:Othr><c:Id>4711</c:Id></c:Othr></c:Id><c:Ccy>EUR</c:Ccy></c:Acct>
  <c:Bal><c:Tp><c:CdOrPrtry><c:Cd>OPBD</c:Cd></c:CdOrPrtry></c:Tp><c:Amt Ccy="EUR">100.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Dt><c:Dt>2026-11-20</c:Dt></c:Dt></c:Bal>
  <c:Bal><c:Tp><c:CdOrPrtry><c:Cd>ITBD</c:Cd></c:CdOrPrtry></c:Tp><c:Amt Ccy="EUR">150.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Dt><c:DtTm>2026-11-20T12:00:00</c:DtTm></c:Dt></c:Bal>
  <c:Ntry><c:Amt Ccy="EUR">50.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts>BOOK</c:Sts>
   <c:BookgDt><c:DtTm>2026-11-20T09:30:00</c:DtTm></c:BookgDt><c:AcctSvcrRef>I-1</c:AcctSvcrRef></c:Ntry>
  <c:Ntry><c:Amt Ccy="EUR">70.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts>PDNG</c:Sts>
   <c:ValDt><c:Dt>2026-11-21</c:Dt></c:ValDt><c:AcctSvcrRef>I-2</c:AcctSvcrRef></c:Ntry>
 </c:Rpt></c:BkToCstmrAcctRpt></c:Document>"#;
    let p = parse(xml.as_bytes(), &ParseOptions::new("bank", "intraday.xml")).unwrap();
    assert_eq!(p.format.kind, FormatKind::Camt052);
    assert_eq!(p.format.version, None);
    let s = &p.statements[0];
    assert_eq!(s.account.key(), "4711");
    assert_eq!(s.entries.len(), 2);
    assert_eq!(s.entries[0].booking_date.unwrap().to_string(), "2026-11-20");
    // Opening 100 + booked 50 = interim booked 150; the pending 70 does not count.
    assert_eq!(s.closing.as_ref().unwrap().code, "ITBD");
    assert!(
        s.checks
            .iter()
            .any(|c| c.kind == CheckKind::Balance && c.passed)
    );
}

#[test]
fn an_ofx_transaction_in_another_currency_is_converted_at_its_rate_and_a_bad_one_reported() {
    let ofx = r#"<?xml version="1.0" encoding="UTF-8"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STMTRS><CURDEF>EUR</CURDEF>
<BANKACCTFROM><BANKID>x</BANKID><ACCTID>DE89370400440532013000</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>
<BANKTRANLIST><DTSTART>20261101</DTSTART><DTEND>20261120</DTEND>
<STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20261118</DTPOSTED><TRNAMT>1000.00</TRNAMT><FITID>A1</FITID>
<CURRENCY><CURRATE>0.92345</CURRATE><CURSYM>USD</CURSYM></CURRENCY><NAME>Carver &amp; Sons</NAME><MEMO>INV-1002</MEMO></STMTTRN>
<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20261119</DTPOSTED><TRNAMT>-12..5</TRNAMT><FITID>A2</FITID></STMTTRN>
<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20261120</DTPOSTED><TRNAMT>-5.00</TRNAMT></STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>918.45</BALAMT><DTASOF>20261120</DTASOF></LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"#;
    let p = parse(ofx.as_bytes(), &ParseOptions::new("bank", "fx.ofx")).unwrap();
    assert_eq!(p.format.version.as_deref(), Some("220"));
    let e: Vec<_> = p.entries().collect();
    assert_eq!(e.len(), 2);
    // 1,000.00 USD at 0.92345 = 923.45 EUR, rounded half-up to cents.
    assert_eq!(e[0].amount.amount, dec!(923.45));
    assert_eq!(e[0].account.iban.as_deref(), Some("DE89370400440532013000"));
    let x = e[0].exchange.as_ref().unwrap();
    assert_eq!(x.instructed.amount, dec!(1000.00));
    assert_eq!(x.instructed.currency.code(), "USD");
    assert_eq!(e[0].counterparty.name.as_deref(), Some("Carver & Sons"));
    assert_eq!(e[0].origin.external_id, "DE89370400440532013000/fitid:A1");
    let bad = p.errors().next().unwrap();
    assert_eq!(bad.field, "STMTTRN/TRNAMT");
    assert!(bad.message.contains("'-12..5'"));
    assert!(matches!(bad.position, Position::Line(8)));
    let no_fitid = p
        .problems
        .iter()
        .find(|p| p.field == "STMTTRN/FITID")
        .unwrap();
    assert_eq!(no_fitid.severity, Severity::Warning);
}

#[test]
fn bai2_88_continuations_that_split_a_type_code_from_its_amount() {
    let p = parsed("bai2_split-88-pairs.bai2");
    let s = &p.statements[0];
    assert_eq!(s.opening.as_ref().unwrap().amount.amount, dec!(5000.00));
    assert_eq!(s.closing.as_ref().unwrap().amount.amount, dec!(6500.00));
    let amounts: Vec<_> = s.entries.iter().map(|e| e.amount.amount).collect();
    assert_eq!(amounts, vec![dec!(1500.00), dec!(1000.00), dec!(-1000.00)]);
    assert_eq!(s.entries[1].bank_tx_code.as_deref(), Some("165"));
    assert_eq!(s.entries[1].bank_reference.as_deref(), Some("ACH002"));
    assert_eq!(
        s.entries[2].remittance,
        vec!["Supplier payment", "Rent November"]
    );
    assert_eq!(p.failed_checks().count(), 0);
    // 49, 100/400 totals and the balance for the account; 98 and 99 for the file.
    assert_eq!(s.checks.len(), 7);
    assert_eq!(p.checks.len(), 6);
}

#[test]
fn mt940_pages_join_and_a_december_booking_of_a_january_value_keeps_its_year() {
    let p = parsed("mt940_year-rollover_pages_rf.sta");
    assert_eq!(p.statements.len(), 1);
    let s = &p.statements[0];
    assert_eq!(s.entries.len(), 2);
    assert_eq!(s.closing.as_ref().unwrap().code, "62F");
    let e = &s.entries[0];
    assert_eq!(e.booking_date.unwrap().to_string(), "2025-12-31");
    assert_eq!(e.value_date.unwrap().to_string(), "2026-01-02");
    assert_eq!(e.end_to_end_id.as_deref(), Some("INV-3001"));
    assert_eq!(e.structured_refs[0].value, "RF18539007547034");
    assert_eq!(e.origin.external_id, "DE89370400440532013000/BANKREF-1");
    assert_eq!(p.failed_checks().count(), 0);
    assert_eq!(
        s.checks
            .iter()
            .filter(|c| c.kind == CheckKind::PageContinuity)
            .count(),
        1
    );
}

#[test]
fn a_broken_page_continuity_is_reported() {
    let text = String::from_utf8(fixture("mt940_year-rollover_pages_rf.sta"))
        .unwrap()
        .replace(":60M:C260102EUR1250,00", ":60M:C260102EUR1240,00");
    let p = parse(text.as_bytes(), &ParseOptions::new("bank", "x.sta")).unwrap();
    assert!(
        p.failed_checks()
            .any(|c| c.kind == CheckKind::PageContinuity)
    );
}

#[test]
fn an_unreadable_61_line_is_skipped_with_its_line_and_the_next_entry_is_read() {
    let text = ":20:X\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C240101EUR100,00\n:61:2401X1C5,00NTRFNONREF\n:61:240102C7,00NTRFNONREF//B2\n:62F:C240102EUR112,00\n-\n";
    let p = parse(text.as_bytes(), &ParseOptions::new("bank", "bad.sta")).unwrap();
    assert_eq!(p.entries().count(), 1);
    assert_eq!(p.problems[0].position, Position::Line(5));
    assert_eq!(p.problems[0].field, ":61: value date");
    assert!(p.failed_checks().any(|c| c.kind == CheckKind::Balance));
}

#[test]
fn something_that_is_not_a_statement_is_refused_with_the_file_name() {
    let err = parse(b"%PDF-1.7 ...", &ParseOptions::new("bank", "scan.pdf")).unwrap_err();
    assert!(matches!(err, StatementError::UnknownFormat { .. }));
    assert!(
        err.to_string()
            .starts_with("scan.pdf: not a bank statement")
    );
}

#[test]
fn truncated_xml_is_reported_with_its_byte_offset() {
    let bytes = fixture("camt053_v13_batch-fee_rf_fx_reversal.xml");
    let at = String::from_utf8_lossy(&bytes)
        .find("<AcctSvcrRef>RVSL-0003")
        .unwrap();
    let cut = &bytes[..at];
    let p = parse(cut, &ParseOptions::new("bank", "cut.xml")).unwrap();
    let e = p.errors().next().unwrap();
    assert_eq!(e.field, "XML");
    assert!(e.message.contains("truncated"), "{e}");
    assert!(matches!(e.position, Position::Byte(b) if b == u64::try_from(cut.len()).unwrap()));
    // The batch (split in three) and the USD receipt, read before the cut, are kept.
    assert_eq!(p.entries().count(), 4);
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn a_zip_bundle_of_statements_is_read_member_by_member() {
    let a = fixture("camt053_v13_batch-fee_rf_fx_reversal.xml");
    let b = fixture("mt940_year-rollover_pages_rf.sta");
    let bundle = zip_of(&[("day1.xml", &a), ("day1.sta", &b)]);
    let members = read_zip(&bundle, 1 << 20).unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].name, "day1.xml");
    assert_eq!(members[0].bytes, a);
    let entries: usize = members
        .iter()
        .map(|m| {
            parse(&m.bytes, &ParseOptions::new("bank", m.name.clone()))
                .unwrap()
                .entries()
                .count()
        })
        .sum();
    assert_eq!(entries, 8);
}

#[test]
fn a_zip_bomb_is_refused_at_the_limit() {
    let zeros = vec![0u8; 4 << 20];
    let bundle = zip_of(&[("bomb.xml", &zeros)]);
    assert!(bundle.len() < 64 << 10, "compresses well: {}", bundle.len());
    let err = read_zip(&bundle, 1 << 20).unwrap_err();
    assert!(matches!(err, StatementError::ZipTooLarge { limit, .. } if limit == 1 << 20));
    assert!(err.to_string().contains("bomb.xml"));
    assert!(matches!(
        read_zip(b"not a zip", 10),
        Err(StatementError::Zip { .. })
    ));
}

/// A camt.053.001.08 statement with one batch entry whose details are `details` (in
/// cents) and whose booked amount is their sum less `fee` cents.
fn batch_statement(details: &[i64], fee: i64) -> String {
    let cents = |c: i64| format!("{}.{:02}", c / 100, c % 100);
    let total: i64 = details.iter().sum();
    let booked = total - fee;
    let mut tx = String::new();
    for (i, d) in details.iter().enumerate() {
        tx.push_str(&format!(
            "<TxDtls><Refs><EndToEndId>E{i}</EndToEndId></Refs><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd></TxDtls>",
            cents(*d)
        ));
    }
    let chrgs = if fee > 0 {
        format!(
            "<Chrgs><TtlChrgsAndTaxAmt Ccy=\"EUR\">{0}</TtlChrgsAndTaxAmt><Rcrd><Amt Ccy=\"EUR\">{0}</Amt><CdtDbtInd>DBIT</CdtDbtInd><ChrgInclInd>true</ChrgInclInd></Rcrd></Chrgs>",
            cents(fee)
        )
    } else {
        String::new()
    };
    format!(
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt><Stmt><Id>P</Id>\
         <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\
         <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-01</Dt></Dt></Bal>\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{booked}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-02</Dt></Dt></Bal>\
         <Ntry><Amt Ccy=\"EUR\">{booked}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-01-02</Dt></BookgDt>\
         <AcctSvcrRef>B1</AcctSvcrRef>{chrgs}<NtryDtls>{tx}</NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>",
        booked = cents(booked),
    )
}

/// An MT940 statement with the given signed entries (cents), its closing balance their
/// sum, in pages of at most `page` entries.
fn mt940_statement(entries: &[i64], page: usize) -> String {
    let amount = |c: i64| format!("{},{:02}", c.abs() / 100, c.abs() % 100);
    let balance = |tag: &str, c: i64| {
        format!(
            ":{tag}:{}260102EUR{}\n",
            if c < 0 { "D" } else { "C" },
            amount(c)
        )
    };
    let mut out = String::new();
    let mut running = 0i64;
    let chunks: Vec<&[i64]> = entries.chunks(page.max(1)).collect();
    for (n, chunk) in chunks.iter().enumerate() {
        let last = n + 1 == chunks.len();
        out.push_str(&format!(
            ":20:PROP\n:25:NL91ABNA0417164300\n:28C:7/{}\n",
            n + 1
        ));
        out.push_str(&balance(if n == 0 { "60F" } else { "60M" }, running));
        for (i, c) in chunk.iter().enumerate() {
            out.push_str(&format!(
                ":61:2601020102{}{}NTRFNONREF//P{n}-{i}\n:86:/EREF/E{n}-{i}/REMI/Invoice {n}-{i}\n",
                if *c < 0 { "D" } else { "C" },
                amount(*c)
            ));
            running += c;
        }
        out.push_str(&balance(if last { "62F" } else { "62M" }, running));
        out.push_str("-\n");
    }
    out
}

/// A BAI2 file with one account holding `details` (signed cents), its summary record
/// cut into a `03` and an `88` after `cut` fields, and trailers whose totals hold.
fn bai2_file(details: &[i64], cut: usize) -> String {
    let opening = 1_000_000i64;
    let closing = opening + details.iter().sum::<i64>();
    let credits: i64 = details.iter().filter(|d| **d > 0).sum();
    let debits: i64 = -details.iter().filter(|d| **d < 0).sum::<i64>();
    let n_cr = details.iter().filter(|d| **d > 0).count();
    let n_dr = details.len() - n_cr;
    let fields: Vec<String> = [
        "4000123456".to_owned(),
        "USD".to_owned(),
        "010".to_owned(),
        opening.to_string(),
        String::new(),
        String::new(),
        "015".to_owned(),
        closing.to_string(),
        String::new(),
        String::new(),
        "100".to_owned(),
        credits.to_string(),
        n_cr.to_string(),
        String::new(),
        "400".to_owned(),
        debits.to_string(),
        n_dr.to_string(),
        String::new(),
    ]
    .into_iter()
    .collect();
    let cut = cut.clamp(3, fields.len() - 1);
    let mut account = vec![
        format!("03,{}/", fields[..cut].join(",")),
        format!("88,{}/", fields[cut..].join(",")),
    ];
    for (i, d) in details.iter().enumerate() {
        let code = if *d > 0 { 195 } else { 495 };
        account.push(format!("16,{code},{},0,REF{i},,Detail {i}/", d.abs()));
    }
    let control =
        opening + closing + credits + debits + details.iter().map(|d| d.abs()).sum::<i64>();
    let records = account.len() + 1;
    account.push(format!("49,{control},{records}/"));
    let mut out = vec![
        "01,SENDER,RECEIVER,260102,0800,1,,,2/".to_owned(),
        "02,RECEIVER,SENDER,1,260101,2400,USD,2/".to_owned(),
    ];
    out.extend(account);
    out.push(format!("98,{control},1,{}/", records + 2));
    out.push(format!("99,{control},1,{}/", records + 4));
    out.join("\n")
}

proptest! {
    #[test]
    fn a_bai2_account_split_anywhere_by_88_still_adds_up(
        details in proptest::collection::vec((-50_000_000i64..50_000_000).prop_filter("non-zero", |c| *c != 0), 0..30),
        cut in 3usize..18,
    ) {
        let text = bai2_file(&details, cut);
        let p = parse(text.as_bytes(), &ParseOptions::new("bank", "p.bai")).unwrap();
        prop_assert!(p.problems.is_empty(), "{:?}", p.problems);
        let read: Vec<Decimal> = p.entries().map(|e| e.amount.amount).collect();
        let expected: Vec<Decimal> = details.iter().map(|c| Decimal::new(*c, 2)).collect();
        prop_assert_eq!(read, expected);
        let failed: Vec<_> = p.failed_checks().collect();
        prop_assert!(failed.is_empty(), "{:?}\n{}", failed, text);
        prop_assert!(p.all_checks().any(|c| c.kind == CheckKind::Balance && c.passed));
    }

    #[test]
    fn an_mt940_statement_in_pages_balances_and_keeps_every_amount(
        entries in proptest::collection::vec((-10_000_000i64..10_000_000).prop_filter("non-zero", |c| *c != 0), 1..40),
        page in 1usize..15,
    ) {
        let text = mt940_statement(&entries, page);
        let p = parse(text.as_bytes(), &ParseOptions::new("bank", "p.sta")).unwrap();
        prop_assert!(p.problems.is_empty(), "{:?}", p.problems);
        prop_assert_eq!(p.statements.len(), 1);
        let read: Vec<Decimal> = p.entries().map(|e| e.amount.amount).collect();
        let expected: Vec<Decimal> = entries.iter().map(|c| Decimal::new(*c, 2)).collect();
        prop_assert_eq!(read, expected);
        prop_assert!(p.failed_checks().next().is_none());
        let pages = entries.len().div_ceil(page);
        let continuity = p.all_checks().filter(|c| c.kind == CheckKind::PageContinuity).count();
        prop_assert_eq!(continuity, pages - 1);
    }

    #[test]
    fn split_batches_always_add_up_to_the_booked_entry(
        details in proptest::collection::vec(1i64..5_000_000, 2..12),
        fee_share in 0i64..100,
    ) {
        let total: i64 = details.iter().sum();
        let fee = total * fee_share / 1000;
        let xml = batch_statement(&details, fee);
        let p = parse(xml.as_bytes(), &ParseOptions::new("bank", "p.xml")).unwrap();
        prop_assert!(p.problems.is_empty(), "{:?}", p.problems);
        let s = &p.statements[0];
        let expected_entries = details.len() + usize::from(fee > 0);
        prop_assert_eq!(s.entries.len(), expected_entries);
        prop_assert_eq!(s.booked_total(), Decimal::new(total - fee, 2));
        prop_assert!(p.failed_checks().next().is_none());
        let keys: std::collections::HashSet<_> = s.entries.iter().map(|e| &e.origin.external_id).collect();
        prop_assert_eq!(keys.len(), s.entries.len());
    }

    #[test]
    fn damaged_copies_of_real_statements_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let name = [
            "camt053_v13_batch-fee_rf_fx_reversal.xml",
            "mt940_year-rollover_pages_rf.sta",
            "bai2_split-88-pairs.bai2",
            "camt053_v10_malformed-entry.xml",
        ][which];
        let mut bytes = fixture(name);
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        if let Ok(p) = parse(&bytes, &ParseOptions::new("bank", name)) {
            for pr in &p.problems {
                prop_assert!(!pr.hint.is_empty());
            }
        }
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&bytes, &ParseOptions::new("bank", "fuzz"));
        let mut mt = b":20:X\n:25:A\n:60F:C240101EUR1,00\n:61:".to_vec();
        mt.extend_from_slice(&bytes);
        let _ = parse(&mt, &ParseOptions::new("bank", "fuzz.sta"));
        let mut bai = b"01,A,B,240101,0000,1,,,2/\n02,B,A,1,240101,,USD,/\n03,1,USD,010,".to_vec();
        bai.extend_from_slice(&bytes);
        let _ = parse(&bai, &ParseOptions::new("bank", "fuzz.bai"));
        let mut camt = b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt><Stmt><Ntry><Amt Ccy=\"EUR\">".to_vec();
        camt.extend_from_slice(&bytes);
        let _ = parse(&camt, &ParseOptions::new("bank", "fuzz.xml"));
        let mut ofx = b"OFXHEADER:100\n<OFX><STMTRS><CURDEF>USD<STMTTRN><TRNAMT>".to_vec();
        ofx.extend_from_slice(&bytes);
        let _ = parse(&ofx, &ParseOptions::new("bank", "fuzz.ofx"));
    }
}
