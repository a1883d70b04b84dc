//! Real bank statements from the shared samples (`ARSYNC_SAMPLES`, skipped when absent):
//! every file is delivered once, malformed entries are reported with their place and the
//! rest is stored, and a reconciliation without books settles nothing and records each
//! decision once.

use crate::demo::connectors;
use crate::support::{clock_on, date};
use arsync_agent::{Agent, RetryPolicy};
use arsync_config::Config;
use arsync_store::{SqliteStore, Store};
use std::path::PathBuf;

fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("ARSYNC_SAMPLES").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/samples"
            ))
        },
        PathBuf::from,
    );
    // Plugins may not name paths with `..`: hand them the resolved folder.
    std::fs::canonicalize(dir)
        .ok()
        .filter(|d| d.join("bank").is_dir())
}

#[tokio::test]
async fn every_real_statement_is_stored_once_and_reconciled_without_books() {
    let Some(samples) = samples() else {
        eprintln!("skipped: no bank samples (set ARSYNC_SAMPLES to the samples folder)");
        return;
    };
    let bank = samples.join("bank");
    let files: Vec<PathBuf> = ["camt", "mt940", "mt942", "bai2", "ofx"]
        .iter()
        .flat_map(|d| std::fs::read_dir(bank.join(d)).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let library = connectors()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("bank_statements"))
        .unwrap();
    let patterns: Vec<String> = ["camt/*.xml", "mt940/*", "mt942/*", "bai2/*", "ofx/*.ofx"]
        .iter()
        .map(|p| format!("\"{}/{p}\"", bank.display()))
        .collect();
    let text = format!(
        "[company]\nhome_currency = \"EUR\"\ntimezone = \"Europe/Berlin\"\njurisdiction = \"DE\"\n\n[[connection]]\nname = \"bank\"\nplugin = \"bank-statements\"\nlibrary = \"{}\"\n[connection.settings]\npaths = [{}]\n",
        library.display(),
        patterns.join(", ")
    );
    let file = dir.path().join("arsync.toml");
    std::fs::write(&file, text).unwrap();
    let config = Config::load(&file).unwrap();
    let store = SqliteStore::open(dir.path().join("state.db"))
        .await
        .unwrap();
    let as_of = date(2026, 11, 20);
    let agent = Agent::new(&config, &store, clock_on(as_of)).with_retry(RetryPolicy::immediate(2));

    let synced = agent.sync(&[]).await.unwrap();
    let report = &synced[0];
    assert!(report.is_complete(), "{report:#?}");
    let stream = &report.streams[0];
    assert!(
        usize::try_from(stream.pages).unwrap() >= files.len(),
        "one page per file at least: {} pages for {} files",
        stream.pages,
        files.len()
    );
    assert!(stream.inserted > 0);
    for p in &report.problems {
        let position = p.problem.position.as_ref();
        assert!(
            position.is_some_and(|at| at.source.is_some()),
            "a problem names its file: {p:?}"
        );
    }
    let stored = store.bank_entries(Some("bank")).await.unwrap();
    assert_eq!(
        u64::try_from(stored.len()).unwrap(),
        stream.inserted,
        "what was inserted is what is held"
    );

    let again = agent.sync(&[]).await.unwrap();
    assert_eq!(again[0].changed(), 0, "{:?}", again[0].streams);

    let run = agent.reconcile(as_of, true).await.unwrap();
    // Without books the only thing to tie is a returned payment to the receipt it
    // returns (ABN AMRO's sample has one), and nothing settles an item.
    assert!(
        run.outcome
            .matches
            .iter()
            .all(|m| m.reverses.is_some() && m.allocations.is_empty()),
        "{:#?}",
        run.outcome.matches
    );
    assert!(run.queued.is_empty());
    assert!(!run.outcome.unmatched.is_empty());
    assert_eq!(
        run.new_decisions.len(),
        run.outcome.unmatched.len() + run.outcome.matches.len()
    );
    let audit = store.audit_entries(0, 100_000).await.unwrap();
    let rows = audit
        .iter()
        .filter(|a| a.kind.starts_with("reconcile."))
        .count();
    assert_eq!(rows, run.new_decisions.len(), "one audit row per decision");
    let receipts = run.outcome.unmatched.len()
        + run.outcome.matches.len()
        + run.skipped.values().sum::<usize>();
    assert_eq!(
        receipts,
        stored.len(),
        "every entry is a receipt or skipped with a reason"
    );
    let rerun = agent.reconcile(as_of, true).await.unwrap();
    assert!(rerun.new_decisions.is_empty());
}
