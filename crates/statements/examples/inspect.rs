//! Prints what arsync reads from statement files: format, statements, balances, checks,
//! problems and (with `-v`) every entry. Usage: `cargo run -p arsync-statements --example
//! inspect -- [-v] [--encoding cp852] FILE...`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use arsync_statements::{ParseOptions, TextEncoding, parse};

fn main() {
    let mut verbose = false;
    let mut encoding = None;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-v" => verbose = true,
            "--encoding" => encoding = args.next().and_then(|l| TextEncoding::from_label(&l)),
            _ => files.push(a),
        }
    }
    for f in files {
        let bytes = match std::fs::read(&f) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{f}: {e}");
                continue;
            }
        };
        let mut opts = ParseOptions::new("inspect", f.clone());
        opts.encoding = encoding;
        match parse(&bytes, &opts) {
            Err(e) => println!("{e}"),
            Ok(p) => {
                println!(
                    "{f}: {} ({}) {} statements, {} entries, {} problems",
                    p.format,
                    p.encoding,
                    p.statements.len(),
                    p.entries().count(),
                    p.problems.len()
                );
                for s in &p.statements {
                    println!(
                        "  statement {:?} account {} open {:?} close {:?} entries {}",
                        s.id,
                        s.account.key(),
                        s.opening.as_ref().map(|b| b.amount),
                        s.closing.as_ref().map(|b| b.amount),
                        s.entries.len()
                    );
                    for c in &s.checks {
                        println!(
                            "    check {:?} {}: {}",
                            c.kind,
                            if c.passed { "ok" } else { "FAILED" },
                            c.message
                        );
                    }
                    if verbose {
                        for e in &s.entries {
                            println!(
                                "    {} {:?}/{:?} {} {:?} ref={:?} e2e={:?} code={:?} cp={:?}/{:?} rem={:?} refs={:?} fx={:?} chg={:?} rev={} idx={:?}",
                                e.origin.external_id,
                                e.booking_date,
                                e.value_date,
                                e.amount,
                                e.status,
                                e.bank_reference,
                                e.end_to_end_id,
                                e.bank_tx_code,
                                e.counterparty.name,
                                e.counterparty.account,
                                e.remittance,
                                e.structured_refs,
                                e.exchange,
                                e.charges,
                                e.reversal,
                                e.detail_index
                            );
                        }
                    }
                }
                for c in &p.checks {
                    println!(
                        "  file check {:?} {}: {}",
                        c.kind,
                        if c.passed { "ok" } else { "FAILED" },
                        c.message
                    );
                }
                for pr in &p.problems {
                    println!("  problem: {pr}");
                }
            }
        }
    }
}
