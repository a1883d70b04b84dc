//! The demo books (`config/demo`): a workbook read by the spreadsheet plugin, ECB rates read
//! by the fx-feeds plugin and a camt.053 statement read by the bank-statements plugin, each
//! found by name in a plugins folder; synced, reconciled, collected and written back to the
//! companion workbook once.

use crate::support::{clock_on, date, target_dir, workspace_root};
use arsync_agent::{Agent, RetryPolicy};
use arsync_config::Config;
use arsync_store::{OutboxState, SqliteStore, Store, Which};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The connector libraries, built once.
pub fn connectors() -> Vec<PathBuf> {
    static BUILT: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = Command::new(env!("CARGO"))
                .current_dir(workspace_root())
                .args(["build", "--quiet", "-p", "arsync-plugin-spreadsheet"])
                .args(["-p", "arsync-plugin-fx-feeds"])
                .args(["-p", "arsync-plugin-bank-statements"])
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building the connectors failed");
            [
                "arsync_plugin_spreadsheet",
                "arsync_plugin_fx_feeds",
                "arsync_plugin_bank_statements",
            ]
            .iter()
            .map(|name| {
                target_dir().join("debug").join(format!(
                    "{}{name}{}",
                    std::env::consts::DLL_PREFIX,
                    std::env::consts::DLL_SUFFIX
                ))
            })
            .collect()
        })
        .clone()
}

/// The demo folder copied into a temporary one, with the connector libraries in its
/// `plugins/` folder and its connections changed by `edit`.
fn demo_folder(edit: impl FnOnce(&mut Vec<toml::Table>)) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let demo = workspace_root().join("config/demo");
    for entry in std::fs::read_dir(&demo).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    for library in connectors() {
        std::fs::copy(&library, plugins.join(library.file_name().unwrap())).unwrap();
    }
    let file = dir.path().join("arsync.toml");
    let mut table: toml::Table = std::fs::read_to_string(&file).unwrap().parse().unwrap();
    let mut connections: Vec<toml::Table> = table
        .remove("connection")
        .and_then(|c| c.try_into().ok())
        .unwrap_or_default();
    edit(&mut connections);
    table.insert("connection".into(), connections.into());
    std::fs::write(&file, toml::to_string(&table).unwrap()).unwrap();
    let mut config = Config::load(&file).unwrap();
    config.plugins.dirs = vec![PathBuf::from("plugins")];
    (dir, config)
}

/// The settings of the named connection, which is added when the demo lacks it.
fn settings<'a>(
    connections: &'a mut Vec<toml::Table>,
    name: &str,
    plugin: &str,
) -> &'a mut toml::Table {
    let named = |c: &toml::Table| c.get("name").and_then(|n| n.as_str()) == Some(name);
    if !connections.iter().any(named) {
        let mut added = toml::Table::new();
        added.insert("name".into(), name.into());
        added.insert("plugin".into(), plugin.into());
        connections.push(added);
    }
    connections
        .iter_mut()
        .find(|c| named(c))
        .unwrap()
        .entry("settings")
        .or_insert_with(|| toml::Table::new().into())
        .as_table_mut()
        .unwrap()
}

#[tokio::test]
async fn the_demo_books_wait_in_the_outbox_until_the_companion_may_be_written_then_go_once() {
    // The plugin may write only where its settings say: without `output`, only the books.
    let (dir, config) = demo_folder(|connections| {
        settings(connections, "books", "spreadsheet").remove("output");
    });
    let store = SqliteStore::open(dir.path().join("state.db"))
        .await
        .unwrap();
    let as_of = date(2026, 3, 20);
    let agent = Agent::new(&config, &store, clock_on(as_of)).with_retry(RetryPolicy::immediate(2));

    let synced = agent.sync(&[]).await.unwrap();
    for report in &synced {
        assert!(report.is_complete(), "{report:?}");
    }
    let books = synced.iter().find(|r| r.connection == "books").unwrap();
    assert!(books.plugin.as_deref().unwrap().starts_with("spreadsheet"));
    let invoices = store.invoices(Some("books"), Which::Open).await.unwrap();
    assert!(!invoices.is_empty());
    assert!(!store.fx_rates(Some("rates")).await.unwrap().is_empty());

    // The plugin may write only where its settings say, and the demo names only the
    // books: the write-back is refused, the items wait in the outbox, nothing is lost.
    let refused = agent.collect(as_of, false).await.unwrap();
    let report = refused
        .pushes
        .iter()
        .find(|p| p.connection == "books")
        .unwrap();
    assert!(
        report.error.as_deref().unwrap().contains("output"),
        "{report:?}"
    );
    let waiting = store.outbox_entries("books", None).await.unwrap();
    assert_eq!(waiting.len(), refused.queued.len());
    assert!(
        waiting
            .iter()
            .all(|e| matches!(e.state, OutboxState::Failed | OutboxState::Pending)),
        "{waiting:?}"
    );

    // Once the companion's folder is allowed, the waiting items go out.
    let mut config = config.clone();
    let books = config
        .connections
        .iter_mut()
        .find(|c| c.name() == "books")
        .unwrap();
    books.settings.insert("output".into(), ".".into());
    let agent = Agent::new(&config, &store, clock_on(as_of)).with_retry(RetryPolicy::immediate(2));
    let summary = agent.outbox_summary().await.unwrap();
    let books_outbox = summary.iter().find(|s| s.connection == "books").unwrap();
    assert_eq!(books_outbox.by_state.values().sum::<usize>(), waiting.len());
    assert!(
        books_outbox.dead.is_empty(),
        "a refused connection gives nothing up"
    );

    let first = agent.collect(as_of, false).await.unwrap();
    assert!(first.queued.is_empty(), "queued by the refused run already");
    assert_eq!(first.statuses.len(), invoices.len());
    let sent: Vec<_> = first.pushes.iter().flat_map(|p| &p.attempts).collect();
    assert_eq!(sent.len(), waiting.len(), "{:?}", first.notes);
    assert!(
        sent.iter()
            .all(|a| a.outcome == "applied" || a.outcome == "already_applied"),
        "{sent:?}"
    );
    assert!(
        dir.path().join("books.arsync.xlsx").is_file(),
        "the companion workbook is written beside the books"
    );

    let second = agent.collect(as_of, false).await.unwrap();
    assert!(second.queued.is_empty(), "{:?}", second.queued);
    assert!(second.pushes.iter().all(|p| p.attempts.is_empty()));
    let summary = agent.outbox_summary().await.unwrap();
    let books_outbox = summary.iter().find(|s| s.connection == "books").unwrap();
    assert_eq!(books_outbox.by_state.get("done"), Some(&waiting.len()));
}

#[tokio::test]
async fn the_demo_bank_statement_is_matched_to_the_books_and_a_rerun_records_nothing_new() {
    let (dir, config) = demo_folder(|connections| {
        settings(connections, "bank", "bank-statements")
            .insert("paths".into(), vec!["statement.xml"].into());
    });
    let store = SqliteStore::open(dir.path().join("state.db"))
        .await
        .unwrap();
    let as_of = date(2026, 11, 20);
    let agent = Agent::new(&config, &store, clock_on(as_of)).with_retry(RetryPolicy::immediate(2));
    let synced = agent.sync(&[]).await.unwrap();
    let bank = synced.iter().find(|r| r.connection == "bank").unwrap();
    assert!(bank.is_complete(), "{bank:?}");
    let entries = store.bank_entries(Some("bank")).await.unwrap();
    assert_eq!(entries.len(), 7, "the statement's seven entries");

    let first = agent.reconcile(as_of, false).await.unwrap();
    assert!(first.outcome.applied().count() >= 1, "{:#?}", first.outcome);
    let decided = first.outcome.matches.len() + first.outcome.unmatched.len();
    assert_eq!(first.new_decisions.len(), decided);
    let audit = store.audit_entries(0, 10_000).await.unwrap();
    let rows = audit
        .iter()
        .filter(|a| a.kind.starts_with("reconcile."))
        .count();
    assert_eq!(rows, decided, "one audit row per decision");

    let again = agent.reconcile(as_of, false).await.unwrap();
    assert_eq!(again.outcome, first.outcome);
    assert!(again.new_decisions.is_empty());
    let audit = store.audit_entries(0, 10_000).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.kind.starts_with("reconcile."))
            .count(),
        rows
    );

    // A second sync of an unchanged statement delivers nothing new.
    let resynced = agent.sync(&["bank".into()]).await.unwrap();
    assert_eq!(resynced[0].changed(), 0, "{:?}", resynced[0]);
}
