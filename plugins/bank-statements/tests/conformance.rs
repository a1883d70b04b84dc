//! The conformance kit against the built `bank-statements` library, in-process and in the
//! plugin-host child, over hand-written statement files in tests/fixtures (the plugin only
//! reads).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use arsync_runtime::conformance::{Options, run_with};
use arsync_runtime::host::file_scope_from_settings;
use arsync_runtime::{HostConfig, Isolation, LoadOptions};
use serde_json::json;
use std::path::{Path, PathBuf};

const PACKAGE: &str = "arsync-plugin-bank-statements";

/// The built library, with the plugin host beside the test binaries.
fn library() -> PathBuf {
    arsync_e2e::build_plugin(PACKAGE)
}

#[test]
fn the_bank_statements_plugin_passes_the_conformance_kit_in_both_isolations() {
    let settings = json!({"paths": ["inbox/*.sta"]});
    for isolation in [Isolation::InProcess, Isolation::Process] {
        let options = Options {
            isolation,
            load: LoadOptions {
                host: HostConfig {
                    connection: "bank".into(),
                    file_scope: file_scope_from_settings(&settings),
                    base_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
                    ..HostConfig::default()
                },
                ..Options::default().load
            },
            max_pages: 100,
        };
        let report = run_with(&library(), &settings, &options);
        let failed: Vec<_> = report.failures().collect();
        assert!(report.passed(), "{isolation}: {failed:#?}");
        assert_eq!(report.plugin.as_deref(), Some("bank-statements"));
        let paging = report
            .checks
            .iter()
            .find(|c| c.name == "paging to the end: pull_bank_entries")
            .unwrap();
        assert_eq!(paging.detail, "4 records in 3 pages, 1 reported problems");
    }
}
