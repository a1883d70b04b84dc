//! The conformance kit against the built `bank-statements` library, in-process and in the
//! plugin-host child, over hand-written statement files in tests/fixtures (the plugin only
//! reads).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use arsync_runtime::conformance::{Options, run_with};
use arsync_runtime::host::file_scope_from_settings;
use arsync_runtime::{HostConfig, Isolation, LoadOptions};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const PACKAGE: &str = "arsync-plugin-bank-statements";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds this plugin's cdylib and the plugin host, and returns the folder holding them
/// (the runtime finds the plugin host there, next to the test binary's folder).
fn built() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = Command::new(env!("CARGO"))
                .current_dir(workspace_root())
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    PACKAGE,
                    "-p",
                    "arsync-plugin-host",
                ])
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building {PACKAGE} failed");
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .map_or_else(
                    || workspace_root().join("target"),
                    |d| {
                        if d.is_absolute() {
                            d
                        } else {
                            workspace_root().join(d)
                        }
                    },
                );
            target.join("debug")
        })
        .clone()
}

fn library(dir: &Path) -> PathBuf {
    dir.join(format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        PACKAGE.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    ))
}

#[test]
fn the_bank_statements_plugin_passes_the_conformance_kit_in_both_isolations() {
    let dir = built();
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
        let report = run_with(&library(&dir), &settings, &options);
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
