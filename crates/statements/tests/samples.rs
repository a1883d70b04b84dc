//! Real bank files from public test corpora (see `bank/SOURCES.md` in the samples
//! directory), read from `ARSYNC_SAMPLES`; skipped, saying so, when absent.
// Helpers outside #[test] functions are test code too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use arsync_model::{Decimal, EntryStatus, RefKind};
use arsync_statements::{
    CheckKind, FormatKind, ParseOptions, ParsedFile, Position, Severity, TextEncoding, detect,
    parse,
};
use rust_decimal_macros::dec;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

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

fn read_with(rel: &str, options: ParseOptions) -> Option<ParsedFile> {
    let path = bank_dir()?.join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(parse(&bytes, &options).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

fn read(rel: &str) -> Option<ParsedFile> {
    read_with(rel, ParseOptions::new("bank", rel))
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

fn failed(p: &ParsedFile, kind: CheckKind) -> usize {
    p.failed_checks().filter(|c| c.kind == kind).count()
}

fn passed(p: &ParsedFile, kind: CheckKind) -> usize {
    p.all_checks()
        .filter(|c| c.kind == kind && c.passed)
        .count()
}

#[test]
fn every_sample_file_is_recognised_read_and_keyed_without_collisions() {
    let Some(bank) = bank_dir() else { return };
    let mut files = Vec::new();
    files_under(&bank, &mut files);
    assert!(
        files.len() >= 39,
        "expected the whole corpus, found {}",
        files.len()
    );
    for f in files {
        let name = f.display().to_string();
        let bytes = std::fs::read(&f).unwrap();
        let format = detect(&bytes).unwrap_or_else(|| panic!("{name}: not recognised"));
        let folder = f.parent().unwrap().file_name().unwrap().to_str().unwrap();
        let expected = match folder {
            "camt" => [
                FormatKind::Camt052,
                FormatKind::Camt053,
                FormatKind::Camt054,
            ]
            .contains(&format.kind),
            "mt940" => format.kind == FormatKind::Mt940,
            "mt942" => format.kind == FormatKind::Mt942,
            "bai2" => format.kind == FormatKind::Bai2,
            "ofx" => format.kind == FormatKind::Ofx,
            other => panic!("unexpected folder {other}"),
        };
        assert!(expected, "{name}: detected as {format}");
        let parsed = parse(&bytes, &ParseOptions::new("bank", name.clone())).unwrap();
        assert!(!parsed.statements.is_empty(), "{name}: no statement");
        let mut keys = HashSet::new();
        let mut currency_warnings = parsed
            .problems
            .iter()
            .filter(|p| p.field == "Ntry/Amt" && p.severity == Severity::Warning)
            .count();
        for e in parsed.entries() {
            assert!(
                keys.insert(e.origin.external_id.clone()),
                "{name}: duplicate key {}",
                e.origin.external_id
            );
            assert_eq!(e.origin.connection, "bank");
            assert_eq!(e.origin.payload_hash.as_ref().map(String::len), Some(64));
            assert!(e.date().is_some(), "{name}: {} has no date", e.label());
            if e.validate().is_err() {
                // Only entries the bank booked in another currency, each reported.
                assert_ne!(
                    e.amount.currency,
                    e.account.currency,
                    "{name}: {}",
                    e.label()
                );
                assert!(currency_warnings > 0, "{name}: {} unreported", e.label());
                currency_warnings -= 1;
            }
            assert_ne!(e.end_to_end_id.as_deref(), Some("NOTPROVIDED"));
        }
        for p in &parsed.problems {
            assert!(!p.hint.is_empty() && p.to_string().contains(&name), "{p}");
        }
    }
}

// ---------- camt ----------

#[test]
fn postfinance_camt053_v04_splits_batches_books_reversals_and_balances() {
    let Some(p) = read("camt/camt053_v04_ch-postfinance_isr_batch_reversal.xml") else {
        return;
    };
    assert_eq!(p.format.kind, FormatKind::Camt053);
    assert_eq!(p.format.version.as_deref(), Some("001.04"));
    let s = &p.statements[0];
    assert_eq!(s.account.iban.as_deref(), Some("CH0309000000250090342"));
    // 13 entries, 32 transaction details: every batch split, nothing counted twice.
    assert_eq!(s.entries.len(), 32);
    assert_eq!(s.opening.as_ref().unwrap().amount.amount, dec!(322152.16));
    assert_eq!(s.closing.as_ref().unwrap().amount.amount, dec!(322689.77));
    assert_eq!(failed(&p, CheckKind::Balance), 0);
    assert_eq!(passed(&p, CheckKind::Balance), 1);
    assert_eq!(failed(&p, CheckKind::BatchDetails), 0);
    assert_eq!(s.entries.iter().filter(|e| e.reversal).count(), 5);
    let isr = s
        .entries
        .iter()
        .flat_map(|e| &e.structured_refs)
        .filter(|r| r.kind == RefKind::Isr)
        .count();
    assert_eq!(isr, 10);
    let charged = s.entries.iter().find(|e| !e.charges.is_empty()).unwrap();
    assert!(charged.charges.iter().all(|c| !c.included));
    assert!(p.problems.is_empty(), "{:?}", p.problems);
}

#[test]
fn the_same_swiss_qr_payments_in_camt054_v04_and_v08_get_the_same_keys() {
    let (Some(v04), Some(v08)) = (
        read("camt/camt054_v04_ch-postfinance_qrr.xml"),
        read("camt/camt054_v08_ch-postfinance_qrr.xml"),
    ) else {
        return;
    };
    let keys = |p: &ParsedFile| {
        p.entries()
            .map(|e| e.origin.external_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&v04), keys(&v08));
    let e = v08.entries().next().unwrap();
    assert_eq!(e.amount.amount, dec!(778.29));
    assert_eq!(e.structured_refs[0].kind, RefKind::SwissQr);
    assert_eq!(e.structured_refs[0].value, "539115429773825311971477453");
    assert_eq!(e.counterparty.name.as_deref(), Some("Bernasconi Maria"));
    assert_eq!(
        e.end_to_end_id.as_deref(),
        Some("1006265-aic5dL-75dzf3jk9-cf2d5e9")
    );
}

#[test]
fn an_esr_batch_of_eight_adds_up_and_keeps_each_payers_charges() {
    let Some(p) = read("camt/camt054_v04_ch-esr_batch-8txdtls.xml") else {
        return;
    };
    let entries: Vec<_> = p.entries().collect();
    assert_eq!(entries.len(), 8);
    let total: Decimal = entries.iter().map(|e| e.amount.amount).sum();
    assert_eq!(total, dec!(620.00));
    assert_eq!(passed(&p, CheckKind::BatchDetails), 1);
    let with_charges = entries.iter().filter(|e| !e.charges.is_empty()).count();
    assert_eq!(with_charges, 3);
    assert_eq!(entries[3].charges[0].amount.amount, dec!(1.80));
}

#[test]
fn camt052_v06_keeps_the_usd_instruction_rate_and_charges_and_marks_pending() {
    let Some(p) = read("camt/camt052_v06_fx-ccyxchg_chrgs.xml") else {
        return;
    };
    assert_eq!(p.format.kind, FormatKind::Camt052);
    let e = p.entries().next().unwrap();
    assert_eq!(e.status, EntryStatus::Pending);
    let fx = e.exchange.as_ref().unwrap();
    assert_eq!(fx.instructed.amount, dec!(4.1));
    assert_eq!(fx.instructed.currency.code(), "USD");
    assert_eq!(fx.rate, Some(dec!(0.9253030601)));
    assert_eq!(e.charges[0].amount.amount, dec!(0.31));
    // A credit detail: the payer is the debtor.
    assert_eq!(
        e.counterparty.name.as_deref(),
        Some("Example Creditor 6 - V1")
    );
    assert_eq!(e.counterparty.bic.as_deref(), Some("BANKCHBE"));
    // The sample books SEK on a CHF account: kept, and said.
    assert!(p.problems.iter().any(|pr| pr.message.contains("SEK")));
}

#[test]
fn camt053_v08_reads_status_code_and_party_names_moved_under_pty() {
    let Some(p) = read("camt/camt053_v08.xml") else {
        return;
    };
    assert_eq!(p.format.version.as_deref(), Some("001.08"));
    let e = p.entries().next().unwrap();
    assert_eq!(e.status, EntryStatus::Booked);
    assert_eq!(e.amount.amount, dec!(8.85));
    assert_eq!(e.counterparty.name.as_deref(), Some("NAME NAME"));
    assert_eq!(e.end_to_end_id.as_deref(), Some("MUELL/FINP/RA12345"));
    // The bank's closing balance is in another currency: the check says so.
    assert!(
        p.failed_checks()
            .any(|c| c.message.contains("mixes currencies"))
    );
}

#[test]
fn abn_amro_camt053_v02_splits_batches_and_still_balances() {
    let Some(p) = read("camt/camt053_v02_nl-abnamro_bank-sample.xml") else {
        return;
    };
    let s = &p.statements[0];
    assert_eq!(s.account.iban.as_deref(), Some("NL77ABNA0574908765"));
    assert_eq!(s.entries.len(), 29);
    assert_eq!(failed(&p, CheckKind::Balance), 0);
    assert_eq!(failed(&p, CheckKind::BatchDetails), 0);
    let scor = s
        .entries
        .iter()
        .flat_map(|e| &e.structured_refs)
        .filter(|r| r.kind == RefKind::Other("SCOR".into()))
        .count();
    assert!(scor >= 11, "acceptgiro references: {scor}");
}

#[test]
fn two_statements_in_one_document_are_two_statements_that_chain() {
    let Some(p) = read("camt/camt053_v02_multi-statement.xml") else {
        return;
    };
    assert_eq!(p.statements.len(), 2);
    assert_eq!(
        p.statements[0].closing.as_ref().unwrap().amount,
        p.statements[1].opening.as_ref().unwrap().amount
    );
    assert_eq!(failed(&p, CheckKind::Balance), 0);
}

#[test]
fn goldman_sample_summary_totals_that_disagree_are_reported() {
    let Some(p) = read("camt/camt053_v02_us-goldman_fx.xml") else {
        return;
    };
    assert_eq!(p.entries().count(), 15);
    let count = p
        .failed_checks()
        .find(|c| c.kind == CheckKind::EntryCount && c.message.contains("TtlNtries"))
        .unwrap();
    assert_eq!(count.expected, Some(dec!(14)));
    assert_eq!(count.actual, Some(dec!(15)));
    assert!(p.entries().any(|e| e.exchange.is_some()));
}

#[test]
fn notifications_without_dates_borrow_the_creation_date_and_say_so() {
    let Some(p) = read("camt/camt054_v08_uetr.xml") else {
        return;
    };
    let e = p.entries().next().unwrap();
    assert_eq!(e.booking_date.unwrap().to_string(), "2007-10-18");
    let w = &p.problems[0];
    assert_eq!(w.severity, Severity::Warning);
    assert!(
        matches!(&w.position, Position::Element { path, .. } if path == "Ntfctn[1]/Ntry[1]/BookgDt")
    );
}

#[test]
fn a_reversal_notification_marks_the_returned_credit() {
    let Some(p) = read("camt/camt054_v04_ch-reversal.xml") else {
        return;
    };
    assert_eq!(p.entries().count(), 3);
    assert!(p.entries().any(|e| e.reversal));
}

#[test]
fn the_remaining_camt_samples_read_their_entries() {
    for (file, entries) in [
        ("camt/camt052_v08_batch.xml", 1),
        ("camt/camt053_v02_five-decimals.xml", 1),
        ("camt/camt053_v02_minimal_strd-ref.xml", 1),
        ("camt/camt053_v02_nl-ing_batch.xml", 9),
        ("camt/camt053_v02_nordea.xml", 6),
        ("camt/camt054_v08_batch-3txdtls.xml", 1),
    ] {
        let Some(p) = read(file) else { return };
        assert_eq!(p.entries().count(), entries, "{file}");
    }
    let Some(five) = read("camt/camt053_v02_five-decimals.xml") else {
        return;
    };
    let check = five
        .failed_checks()
        .find(|c| c.kind == CheckKind::Balance)
        .unwrap();
    assert_eq!(check.expected.unwrap() - check.actual.unwrap(), dec!(0.050));
    let Some(nordea) = read("camt/camt053_v02_nordea.xml") else {
        return;
    };
    assert_eq!(failed(&nordea, CheckKind::Balance), 0);
    // A batch whose details are in another currency than the entry is kept whole.
    let Some(b) = read("camt/camt054_v08_batch-3txdtls.xml") else {
        return;
    };
    let e = b.entries().next().unwrap();
    assert_eq!(e.detail_index, None);
    assert_eq!(e.amount.amount, dec!(-200000));
    assert_eq!(e.structured_refs.len(), 4);
}

// ---------- MT940 / MT942 ----------

#[test]
fn betterplace_26_pages_join_into_20_statements_that_all_balance() {
    let Some(p) = read("mt940/de-betterplace_sepa_26-statements.sta") else {
        return;
    };
    assert_eq!(p.format.kind, FormatKind::Mt940);
    assert_eq!(p.statements.len(), 20);
    assert_eq!(p.entries().count(), 97);
    assert_eq!(p.failed_checks().count(), 0);
    assert_eq!(passed(&p, CheckKind::PageContinuity), 6);
    let first = &p.statements[0];
    assert_eq!(
        first.opening.as_ref().unwrap().amount.amount,
        dec!(-1234718.36)
    );
    // RC: the reversal of a credit takes money out.
    let storno = first.entries.iter().find(|e| e.reversal).unwrap();
    assert_eq!(storno.amount.amount, dec!(-204.88));
    // ?20..?29 structured :86: with the EREF+ end-to-end id.
    let with_e2e = p.entries().filter(|e| e.end_to_end_id.is_some()).count();
    assert!(with_e2e > 50, "{with_e2e}");
    let gutschrift = p
        .entries()
        .find(|e| e.end_to_end_id.as_deref() == Some("EndToEndIdTFNR2000400001"))
        .unwrap();
    assert_eq!(gutschrift.amount.amount, dec!(15000.05));
    assert_eq!(gutschrift.counterparty.bic.as_deref(), Some("PBNKDEFF100"));
    assert_eq!(
        gutschrift.counterparty.account.as_deref(),
        Some("DE42100100100043921105")
    );
}

#[test]
fn the_impossible_30_february_is_reported_and_the_entry_kept_with_its_booking_date() {
    let Some(p) = read("mt940/february-30.sta") else {
        return;
    };
    let pr = &p.problems[0];
    assert_eq!(pr.position, Position::Line(6));
    assert_eq!(pr.field, ":61: value date");
    assert!(pr.message.contains("2016-02-30"));
    let e = p.entries().next().unwrap();
    assert_eq!(e.value_date, None);
    assert_eq!(e.booking_date.unwrap().to_string(), "2016-03-01");
    assert_eq!(e.amount.amount, dec!(-6.00));
    assert_eq!(failed(&p, CheckKind::Balance), 0);
}

#[test]
fn cp852_configured_for_the_connection_gives_the_right_hungarian_letters() {
    let Some(p) = read_with(
        "mt940/hu-raiffeisen_cp852.sta",
        ParseOptions::new("bank", "hu.sta").with_encoding(TextEncoding::Cp852),
    ) else {
        return;
    };
    assert_eq!(p.encoding, TextEncoding::Cp852);
    assert!(p.problems.is_empty());
    let first = p.entries().next().unwrap();
    assert_eq!(first.remittance[0], "Csoportos átutalás jóváírása");
    assert_eq!(first.amount.amount, dec!(2066637.00));
    assert!(p.entries().any(|e| {
        e.remittance
            .iter()
            .any(|l| l.contains("Bankon belüli átutalás"))
    }));
    assert!(
        p.entries()
            .any(|e| e.remittance.iter().any(|l| l.contains("összevont")))
    );
}

#[test]
fn cp852_without_configuration_is_read_with_a_warning_naming_the_setting() {
    let Some(p) = read("mt940/hu-raiffeisen_cp852.sta") else {
        return;
    };
    assert_ne!(p.encoding, TextEncoding::Utf8);
    let w = &p.problems[0];
    assert_eq!(w.field, "encoding");
    assert_eq!(w.severity, Severity::Warning);
    assert!(w.message.contains("cp852"));
    // Configured as UTF-8, the file is refused rather than misread.
    let bank = bank_dir().unwrap();
    let bytes = std::fs::read(bank.join("mt940/hu-raiffeisen_cp852.sta")).unwrap();
    let err = parse(
        &bytes,
        &ParseOptions::new("bank", "hu.sta").with_encoding(TextEncoding::Utf8),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not valid utf-8"));
}

#[test]
fn danske_bank_preamble_is_skipped_and_a_two_page_statement_joined() {
    let Some(p) = read("mt940/dk-danskebank_preamble_crlf.sta") else {
        return;
    };
    assert_eq!(p.entries().count(), 89);
    assert_eq!(p.statements.len(), 14);
    assert_eq!(p.failed_checks().count(), 0);
    assert_eq!(p.statements[0].account.currency.code(), "DKK");
    assert_eq!(
        p.statements[0].opening.as_ref().unwrap().amount.amount,
        dec!(2478926.70)
    );
}

#[test]
fn soh_etx_framing_and_semicolon_86_from_mbank() {
    let Some(p) = read("mt940/pl-mbank_soh-etx-framed.sta") else {
        return;
    };
    let s = &p.statements[0];
    assert_eq!(
        s.account.iban.as_deref(),
        Some("PL29114010810000267002001002")
    );
    assert_eq!(s.entries.len(), 3);
    assert_eq!(
        s.entries[0].bank_reference.as_deref(),
        Some("MB170119012058")
    );
    assert_eq!(
        s.entries[0].origin.external_id,
        "PL29114010810000267002001002/MB170119012058"
    );
    assert_eq!(s.entries[0].remittance[0], "911-TRANSAKCJA IPH");
    assert_eq!(failed(&p, CheckKind::Balance), 0);
}

#[test]
fn ns_tags_and_the_old_28_tag_from_sberbank() {
    let Some(p) = read("mt940/hu-sberbank_NS-tags_crlf.sta") else {
        return;
    };
    let s = &p.statements[0];
    assert_eq!(s.entries.len(), 3);
    assert_eq!(failed(&p, CheckKind::Balance), 0);
    assert!(
        s.entries[0]
            .remittance
            .iter()
            .any(|l| l == "15ERGO Versicherung AG Fiokte")
    );
}

#[test]
fn balances_that_do_not_add_up_in_sample_files_are_reported_with_the_difference() {
    for (file, difference) in [
        ("mt940/de-sparkasse_structured86.sta", dec!(100.00)),
        ("mt940/nl-abnamro.sta", dec!(-2038.00)),
    ] {
        let Some(p) = read(file) else { return };
        let c = p
            .failed_checks()
            .find(|c| c.kind == CheckKind::Balance)
            .unwrap();
        assert_eq!(
            c.expected.unwrap() - c.actual.unwrap(),
            difference,
            "{file}"
        );
    }
    let Some(r) = read("mt940/nl-rabobank_multi-statement.sta") else {
        return;
    };
    assert_eq!(r.statements.len(), 4);
    assert_eq!(r.entries().count(), 5);
    assert_eq!(r.statements[1].entries.len(), 0);
}

#[test]
fn citi_and_german_gv_codes_read_every_entry() {
    let Some(c) = read("mt940/us-citi.txt") else {
        return;
    };
    assert_eq!(c.entries().count(), 5);
    assert_eq!(failed(&c, CheckKind::Balance), 0);
    let Some(g) = read("mt940/de-gv-codes_structured86.sta") else {
        return;
    };
    // The sample stops after the entries: no :62F: to check against, and it says so.
    assert_eq!(g.problems.len(), 1);
    assert_eq!(g.problems[0].field, ":62F:");
    assert_eq!(g.problems[0].severity, Severity::Warning);
    let e = g.entries().next().unwrap();
    assert_eq!(e.amount.amount, dec!(-233.15));
    assert_eq!(e.bank_tx_code.as_deref(), Some("NMSC/835"));
    assert_eq!(
        e.counterparty.name.as_deref(),
        Some("PayPal (Europe) S.a.r.l. et")
    );
}

#[test]
fn mt942_is_pending_and_its_90c_90d_totals_are_checked() {
    let Some(p) = read("mt942/pl-mbank.sta") else {
        return;
    };
    assert_eq!(p.format.kind, FormatKind::Mt942);
    assert!(p.entries().all(|e| e.status == EntryStatus::Pending));
    assert_eq!(p.failed_checks().count(), 0);
    assert_eq!(passed(&p, CheckKind::ControlTotal), 2);
    let Some(g) = read("mt942/generic-mt942.sta") else {
        return;
    };
    let c = g
        .failed_checks()
        .find(|c| c.kind == CheckKind::ControlTotal)
        .unwrap();
    assert_eq!(c.expected, Some(dec!(2.30)));
    assert_eq!(c.actual, Some(dec!(0.42)));
}

// ---------- BAI2 ----------

#[test]
fn bai2_control_totals_and_counts_in_49_98_99_hold_for_the_cad_sample() {
    let Some(p) = read("bai2/ca-sample1_cad.txt") else {
        return;
    };
    assert_eq!(p.statements.len(), 2);
    assert_eq!(p.entries().count(), 17);
    assert_eq!(p.failed_checks().count(), 0);
    assert_eq!(passed(&p, CheckKind::ControlTotal), 2 + 4 + 2);
    let first = p.entries().next().unwrap();
    assert_eq!(first.amount.amount, dec!(-25.00));
    assert_eq!(first.amount.currency.code(), "CAD");
    assert_eq!(first.remittance[0], "RETURNED CHEQUE");
}

#[test]
fn packed_80_column_bai2_balances_every_account() {
    let Some(p) = read("bai2/us-sample3_packed-80col.txt") else {
        return;
    };
    assert_eq!(p.statements.len(), 15);
    assert_eq!(p.entries().count(), 26);
    assert_eq!(p.failed_checks().count(), 0);
    assert!(passed(&p, CheckKind::Balance) >= 4);
    assert_eq!(
        p.statements[0].opening.as_ref().unwrap().amount.amount,
        dec!(-35.00)
    );
}

#[test]
fn natwest_bai2_reads_88_text_and_balances() {
    let Some(p) = read("bai2/uk-natwest_gbp.bai2") else {
        return;
    };
    assert_eq!(p.failed_checks().count(), 0);
    let last = p.entries().last().unwrap();
    assert_eq!(last.amount.amount, dec!(0.89));
    assert_eq!(last.remittance.len(), 2);
}

#[test]
fn a_slash_inside_88_text_is_not_a_terminator() {
    let Some(p) = read("bai2/us-wire_slash-in-text.bai2") else {
        return;
    };
    let e = p.entries().next().unwrap();
    assert_eq!(e.amount.amount, dec!(83259.82));
    assert!(
        e.remittance
            .contains(&"ORG ADDRESS:=2/AV MAIN 2/AVENUE DE ANGELLIST 3/MX".to_owned())
    );
    assert!(e.remittance.contains(&"/MEXICO ;".to_owned()));
    assert!(e.remittance.contains(&"OBI:=INVOICE 123456".to_owned()));
    assert_eq!(p.failed_checks().count(), 0);
}

#[test]
fn goldman_bai2_without_terminators_keeps_commas_in_text_and_reads_keyed_lines() {
    let Some(p) = read("bai2/us-gs_no-slash-terminators.txt") else {
        return;
    };
    assert_eq!(p.entries().count(), 17);
    let e = p
        .entries()
        .find(|e| e.bank_reference.as_deref() == Some("GI2229300000187"))
        .unwrap();
    assert_eq!(e.amount.amount, dec!(11.25));
    assert_eq!(e.end_to_end_id.as_deref(), Some("GS0D9VGMP1IWPLW"));
    let wire = p
        .entries()
        .find(|e| e.bank_reference.as_deref() == Some("GI2321400000090"))
        .unwrap();
    assert!(wire.remittance[0].contains("Settled Amt: EUR 322.00, FX Rate: 156.833677"));
    assert_eq!(wire.counterparty.name.as_deref(), Some("TEST COMPANY"));
    // The sample's own control totals do not add up; that is reported, not hidden.
    assert!(failed(&p, CheckKind::ControlTotal) > 0);
}

// ---------- OFX ----------

#[test]
fn ofx_sgml_and_xml_statements_keyed_by_fitid() {
    let Some(p) = read("ofx/us-checking_v102-sgml.ofx") else {
        return;
    };
    assert_eq!(p.format.version.as_deref(), Some("102"));
    assert_eq!(p.encoding, TextEncoding::Windows1252);
    let e: Vec<_> = p.entries().collect();
    assert_eq!(e.len(), 3);
    assert_eq!(e[1].amount.amount, dec!(-34.51));
    assert_eq!(e[1].origin.external_id, "1452687~7/fitid:0000487");
    assert_eq!(
        p.statements[0].closing.as_ref().unwrap().amount.amount,
        dec!(100.99)
    );
    let Some(x) = read("ofx/au-suncorp_v200-xml.ofx") else {
        return;
    };
    let e = x.entries().next().unwrap();
    assert_eq!(e.amount.amount, dec!(-16.85));
    assert_eq!(e.amount.currency.code(), "AUD");
    assert_eq!(
        e.counterparty.name.as_deref(),
        Some("EFTPOS WDL HANDYWAY ALDI STORE")
    );
}

#[test]
fn ofx_decimal_commas_and_credit_cards() {
    let Some(p) = read("ofx/euro-comma-decimals_v200.ofx") else {
        return;
    };
    let amounts: Vec<_> = p.entries().map(|e| e.amount.amount).collect();
    assert_eq!(amounts, vec![dec!(-200.00), dec!(-300.00)]);
    assert_eq!(
        p.statements[0].closing.as_ref().unwrap().amount.amount,
        dec!(200.29)
    );
    let Some(cc) = read("ofx/br-nubank-cc_v102.ofx") else {
        return;
    };
    assert_eq!(cc.entries().count(), 6);
    let total: Decimal = cc.entries().map(|e| e.amount.amount).sum();
    assert_eq!(total, dec!(-1280.91));
    assert_eq!(cc.statements[0].account.currency.code(), "BRL");
}
