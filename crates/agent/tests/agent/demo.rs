//! The demo books (`config/demo`): a workbook read by the spreadsheet plugin and ECB rates
//! read by the fx-feeds plugin, both found by name in a plugins folder, synced, collected
//! and written back to the companion workbook once.

use crate::support::{clock_on, date, target_dir, workspace_root};
use arsync_agent::{Agent, RetryPolicy};
use arsync_config::Config;
use arsync_store::{OutboxState, SqliteStore, Store, Which};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The connector libraries, built once.
fn connectors() -> Vec<PathBuf> {
    static BUILT: OnceLock<Vec<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = Command::new(env!("CARGO"))
                .current_dir(workspace_root())
                .args(["build", "--quiet", "-p", "arsync-plugin-spreadsheet"])
                .args(["-p", "arsync-plugin-fx-feeds"])
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building the connectors failed");
            ["arsync_plugin_spreadsheet", "arsync_plugin_fx_feeds"]
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

#[tokio::test]
async fn the_demo_books_wait_in_the_outbox_until_the_companion_may_be_written_then_go_once() {
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
    let mut config = Config::load(&dir.path().join("arsync.toml")).unwrap();
    config.plugins.dirs = vec![PathBuf::from("plugins")];
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
}
