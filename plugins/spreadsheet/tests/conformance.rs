//! The conformance kit against the built `spreadsheet` library, in-process and in the
//! plugin-host child, over a hand-written receivables file in a scratch folder (pushes
//! write the companion there, never into the repository).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use arsync_runtime::conformance::{Options, run_with};
use arsync_runtime::host::file_scope_from_settings;
use arsync_runtime::{HostConfig, Isolation, LoadOptions};
use serde_json::json;
use std::path::{Path, PathBuf};

const PACKAGE: &str = "arsync-plugin-spreadsheet";

/// The built library, with the plugin host beside the test binaries.
fn library() -> PathBuf {
    arsync_e2e::build_plugin(PACKAGE)
}

#[test]
fn the_spreadsheet_plugin_passes_the_conformance_kit_in_both_isolations() {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/receivables.csv"),
        scratch.path().join("receivables.csv"),
    )
    .unwrap();
    let settings = json!({"path": "receivables.csv", "decimal": "comma", "output": "."});
    for isolation in [Isolation::InProcess, Isolation::Process] {
        let options = Options {
            isolation,
            load: LoadOptions {
                host: HostConfig {
                    connection: "receivables".into(),
                    file_scope: file_scope_from_settings(&settings),
                    base_dir: scratch.path().to_path_buf(),
                    ..HostConfig::default()
                },
                ..Options::default().load
            },
            max_pages: 100,
        };
        let report = run_with(&library(), &settings, &options);
        let failed: Vec<_> = report.failures().collect();
        assert!(report.passed(), "{isolation}: {failed:#?}");
        assert_eq!(report.plugin.as_deref(), Some("spreadsheet"));
        let paging = report
            .checks
            .iter()
            .find(|c| c.name == "paging to the end: pull_invoices")
            .unwrap();
        assert_eq!(
            paging.detail, "3 records in 2 pages, 1 reported problems",
            "{isolation}"
        );
    }
    assert!(scratch.path().join("receivables.arsync.xlsx").is_file());
}

#[test]
fn under_the_runtime_write_back_without_an_output_folder_is_refused_naming_output() {
    use arsync_model::{CollectionAction, CollectionState, Currency, Decimal, Money, NaiveDate};
    use arsync_sdk::{ErrorKind, Outgoing, PushAction, PushItem, Stream};
    let scratch = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/receivables.csv"),
        scratch.path().join("receivables.csv"),
    )
    .unwrap();
    let settings = json!({"path": "receivables.csv", "decimal": "comma"});
    let options = LoadOptions {
        host: HostConfig {
            connection: "receivables".into(),
            file_scope: file_scope_from_settings(&settings),
            base_dir: scratch.path().to_path_buf(),
            ..HostConfig::default()
        },
        ..Options::default().load
    };
    let mut plugin = arsync_runtime::load(&library(), Isolation::InProcess, &options).unwrap();
    plugin.create(&settings).unwrap();
    // Reading needs nothing more than `path`.
    let page = plugin.pull(Stream::Invoices, None).unwrap();
    assert_eq!(page.items.len(), 3);
    let status = arsync_model::OverdueStatus {
        connection: "receivables".into(),
        item_id: "RE-2026-101".into(),
        number: "RE-2026-101".into(),
        as_of: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        days_overdue: 23,
        bucket: "1-30".into(),
        state: CollectionState::Overdue,
        ladder_step: Some(1),
        action: Some(CollectionAction::Reminder),
        open: Money::new(Decimal::new(119_000, 2), Currency::parse("EUR").unwrap()),
        interest: None,
        compensation: None,
    };
    let err = plugin
        .push(
            PushAction::Status,
            vec![PushItem {
                idempotency_key: "receivables/status/RE-2026-101/2026-11-23".into(),
                record: Outgoing::OverdueStatus(status),
            }],
        )
        .unwrap_err();
    let e = err.plugin_error().unwrap();
    assert_eq!(e.kind, ErrorKind::InvalidConfig);
    assert_eq!(
        e.position.as_ref().and_then(|p| p.field.as_deref()),
        Some("output")
    );
    assert!(e.message.contains("output = \".\""), "{e}");
    assert!(!scratch.path().join("receivables.arsync.xlsx").exists());
}
