//! Bad input in MT940/MT942, BAI2 and OFX: every problem inside an entry names the file,
//! the line and the entry's number in the file, and the entries after it are still read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use arsync_statements::{CheckKind, ParseOptions, Position, Problem, Severity, parse};

fn errors(text: &str, name: &str) -> (Vec<Problem>, usize) {
    let p = parse(text.as_bytes(), &ParseOptions::new("bank", name)).unwrap();
    let errors = p.errors().cloned().collect();
    (errors, p.entries().count())
}

#[test]
fn a_bad_amount_in_the_third_mt940_entry_of_a_second_statement_is_entry_5_at_its_line() {
    // Two statements of the same file; the entry number runs on over the whole file.
    let text = "\
:20:ONE
:25:NL91ABNA0417164300
:28C:1/1
:60F:C240101EUR100,00
:61:240102C5,00NTRFNONREF//B1
:86:first
:61:240102C7,00NTRFNONREF//B2
:62F:C240102EUR112,00
-
:20:TWO
:25:NL91ABNA0417164300
:28C:2/1
:60F:C240102EUR112,00
:61:240103C1,00NTRFNONREF//B3
:61:240103D2,00NTRFNONREF//B4
:86:paid
:61:240103C1,,00NTRFNONREF//B5
:86:the bad one
:61:240103C3,00NTRFNONREF//B6
:62F:C240103EUR114,00
-
";
    let (errors, entries) = errors(text, "two.sta");
    assert_eq!(entries, 5, "the entry after the bad one is still read");
    let e = &errors[0];
    assert_eq!(e.entry, Some(5));
    assert_eq!(e.position, Position::Line(17));
    assert_eq!(e.field, ":61: amount");
    let shown = e.to_string();
    assert!(
        shown.starts_with("two.sta: line 17, entry 5: :61: amount:"),
        "{shown}"
    );
}

#[test]
fn an_impossible_mt940_value_date_names_its_entry_and_a_statement_problem_names_none() {
    let text = "\
:20:X
:25:DE89370400440532013000
:28C:1/1
:60F:C240101EUR100,00
:61:240102C5,00NTRFNONREF//B1
:61:240230C7,00NTRFNONREF//B2
:62F:C240102EUR112,00
-
:20:Y
:61:240102C5,00NTRFNONREF//B3
-
";
    let (errors, _) = errors(text, "d.sta");
    let date = errors
        .iter()
        .find(|p| p.field == ":61: value date")
        .unwrap();
    assert_eq!((date.entry, &date.position), (Some(2), &Position::Line(6)));
    // The second message has no balance to take its currency from: a statement problem.
    let stmt = errors.iter().find(|p| p.field == ":60F:").unwrap();
    assert_eq!(stmt.entry, None);
    assert!(!stmt.to_string().contains("entry"), "{stmt}");
}

#[test]
fn a_bai2_detail_with_a_bad_amount_is_named_by_line_and_entry_number() {
    let text = "\
01,BANKDEFF,ARSYNC,261120,0800,1,80,,2/
02,ARSYNC,BANKDEFF,1,261119,2400,EUR,2/
03,4000123456,EUR,010,500000,,,015,650000,,/
16,195,150000,0,WIRE001,INV-2001,Wire from Acme Trading/
16,165/
88,10000O,0,ACH002,INV-2002,ACH credit Bolt GmbH/
16,495,100000,0,OUT003,,Supplier payment/
49,1850000,7/
98,1850000,1,9/
99,1850000,1,11/
";
    let (errors, entries) = errors(text, "x.bai2");
    assert_eq!(entries, 2);
    let e = errors.iter().find(|p| p.field == "16 amount").unwrap();
    assert_eq!((e.entry, &e.position), (Some(2), &Position::Line(5)));
    assert!(e.to_string().contains("x.bai2: line 5, entry 2: 16 amount"));
}

#[test]
fn an_ofx_transaction_with_a_bad_amount_and_one_without_fitid_carry_their_numbers() {
    let ofx = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:1252\n\n<OFX>
<BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD
<BANKACCTFROM><ACCTID>12345</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20261101<DTEND>20261120
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261118<TRNAMT>10.00<FITID>A1</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261119<TRNAMT>-1O.00<FITID>A2</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261120<TRNAMT>-5.00</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>5.00<DTASOF>20261120</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
";
    let p = parse(ofx.as_bytes(), &ParseOptions::new("bank", "c.ofx")).unwrap();
    assert_eq!(p.entries().count(), 2);
    let bad = p.errors().next().unwrap();
    assert_eq!(bad.field, "STMTTRN/TRNAMT");
    assert_eq!((bad.entry, &bad.position), (Some(2), &Position::Line(12)));
    let warn = p
        .problems
        .iter()
        .find(|p| p.severity == Severity::Warning && p.field == "STMTTRN/FITID")
        .unwrap();
    assert_eq!(warn.entry, Some(3));
}

#[test]
fn an_mt942_interim_report_names_the_entry_with_a_bad_debit_credit_mark() {
    let text = "\
:20:INTRADAY1
:25:DE89370400440532013000
:28C:7/1
:34F:EURD0,00
:13D:2611201030+0100
:61:2611201120C10,00NTRFNONREF//P1
:86:first payment
:61:2611201120X5,00NTRFNONREF//P2
:61:2611201120D2,50NTRFNONREF//P3
:90D:1EUR2,50
:90C:2EUR15,00
-
";
    let p = parse(text.as_bytes(), &ParseOptions::new("bank", "intraday.sta")).unwrap();
    assert_eq!(p.entries().count(), 2);
    let e = p.errors().next().unwrap();
    assert_eq!(e.field, ":61: debit/credit mark");
    assert_eq!((e.entry, &e.position), (Some(2), &Position::Line(8)));
    assert!(
        e.to_string()
            .starts_with("intraday.sta: line 8, entry 2: :61: debit/credit mark:"),
        "{e}"
    );
    // The stated credit count and sum include the unreadable entry, so they fail; the
    // debit side, read whole, holds.
    let failed: Vec<_> = p.failed_checks().map(|c| c.message.clone()).collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.iter().all(|m| m.contains("credit")), "{failed:?}");
    assert!(
        p.all_checks()
            .any(|c| c.kind == CheckKind::ControlTotal && c.passed && c.message.contains("debit"))
    );
}
