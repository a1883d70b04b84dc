//! Hostile and damaged input: declarations that could expand entities or read local files
//! are refused, and damage is reported with where it is while the rest is still read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arsync_statements::{ParseOptions, StatementError, parse};

const CAMT_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn camt_body() -> &'static str {
    "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\
     <Stmt><Id>S1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\
     <Ntry><Amt Ccy=\"EUR\">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
     <BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef>\
     <AddtlNtryInf>&lol9;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"
}

fn refused(bytes: &[u8]) -> (u64, &'static str) {
    match parse(bytes, &ParseOptions::new("bank", "hostile.xml")) {
        Err(StatementError::Declaration { file, offset, what }) => {
            assert_eq!(file, "hostile.xml");
            (offset, what)
        }
        other => panic!("expected the declaration to be refused, got {other:?}"),
    }
}

#[test]
fn a_camt_statement_carrying_a_billion_laughs_doctype_is_refused_before_anything_is_read() {
    let mut doctype = String::from("<!DOCTYPE Document [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        doctype.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&lol{};", i - 1)
                .repeat(10)
                .replace("&lol0;", "&lol;")
        ));
    }
    doctype.push_str("]>\n");
    let file = format!("{CAMT_HEAD}{doctype}{}", camt_body());
    let (offset, what) = refused(file.as_bytes());
    assert_eq!(what, "ENTITY");
    assert_eq!(offset, u64::try_from(CAMT_HEAD.len()).unwrap());
}

#[test]
fn a_camt_statement_with_an_external_entity_doctype_is_refused_and_the_message_says_why() {
    let file = format!(
        "{CAMT_HEAD}<!DOCTYPE Document SYSTEM \"file:///etc/passwd\">\n{}",
        camt_body()
    );
    let (_, what) = refused(file.as_bytes());
    assert_eq!(what, "DOCTYPE");
    let err = parse(file.as_bytes(), &ParseOptions::new("bank", "hostile.xml")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("hostile.xml: byte 39:"), "{msg}");
    assert!(msg.contains("DOCTYPE declaration"), "{msg}");
}

#[test]
fn an_ofx_2_file_with_an_entity_declaration_is_refused() {
    let ofx = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?OFX OFXHEADER=\"200\" VERSION=\"211\"?>\n\
               <!-- exported -->\n<!DOCTYPE OFX [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n\
               <OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD</CURDEF>\
               <BANKACCTFROM><ACCTID>1</ACCTID></BANKACCTFROM><BANKTRANLIST>\
               <STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20261120</DTPOSTED><TRNAMT>1.00</TRNAMT>\
               <FITID>1</FITID><MEMO>&x;</MEMO></STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS>\
               </BANKMSGSRSV1></OFX>\n";
    let (offset, what) = refused(ofx.as_bytes());
    assert_eq!(what, "DOCTYPE");
    assert_eq!(
        Some(usize::try_from(offset).unwrap()),
        ofx.find("<!DOCTYPE")
    );
}

#[test]
fn an_ofx_file_without_declarations_is_still_read() {
    let ofx = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?OFX OFXHEADER=\"200\" VERSION=\"211\"?>\n\
               <!-- exported -->\n\
               <OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD</CURDEF>\
               <BANKACCTFROM><ACCTID>1</ACCTID></BANKACCTFROM><BANKTRANLIST>\
               <STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20261120</DTPOSTED><TRNAMT>1.00</TRNAMT>\
               <FITID>1</FITID><MEMO>ok</MEMO></STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS>\
               </BANKMSGSRSV1></OFX>\n";
    let p = parse(ofx.as_bytes(), &ParseOptions::new("bank", "ok.ofx")).unwrap();
    assert_eq!(p.entries().count(), 1);
}
