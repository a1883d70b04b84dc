//! The conformance kit against the built `fx-feeds` library, in-process and in the
//! plugin-host child, over hand-written feed files in tests/fixtures (the plugin only reads).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use arsync_runtime::conformance::{Options, run_with};
use arsync_runtime::host::file_scope_from_settings;
use arsync_runtime::{HostConfig, Isolation, LoadOptions};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "arsync-plugin-fx-feeds";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds this plugin's cdylib and the plugin host, and returns the folder holding them
/// (the runtime finds the plugin host there, next to the test binary's folder).
fn built() -> PathBuf {
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
}

fn library(dir: &Path) -> PathBuf {
    dir.join(format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        PACKAGE.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    ))
}

fn options(isolation: Isolation, settings: &serde_json::Value) -> Options {
    Options {
        isolation,
        load: LoadOptions {
            host: HostConfig {
                connection: "rates".into(),
                file_scope: file_scope_from_settings(settings),
                base_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
                ..HostConfig::default()
            },
            ..Options::default().load
        },
        max_pages: 100,
    }
}

fn detail(report: &arsync_runtime::conformance::Report, name: &str) -> String {
    report
        .checks
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.detail.clone())
        .unwrap_or_else(|| panic!("no check {name:?} in {report:#?}"))
}

#[test]
fn the_fx_feeds_plugin_passes_the_conformance_kit_on_an_ecb_file_and_a_payout_report() {
    let dir = built();
    let ecb = json!({"path": "eurofxref-daily.xml", "format": "ecb-xml"});
    for isolation in [Isolation::InProcess, Isolation::Process] {
        let report = run_with(&library(&dir), &ecb, &options(isolation, &ecb));
        let failed: Vec<_> = report.failures().collect();
        assert!(report.passed(), "{isolation}: {failed:#?}");
        assert_eq!(report.plugin.as_deref(), Some("fx-feeds"));
        assert_eq!(
            detail(&report, "paging to the end: pull_fx_rates"),
            "3 records in 2 pages, 1 reported problems"
        );
    }
    let export = json!({
        "path": "payouts.csv",
        "format": "export",
        "mapping": {
            "format": {"type": "csv"}, "source": "stripe", "kind": "type", "id": "id",
            "date": "created", "currency": "currency", "amount": "amount", "number": "invoice",
            "customer_id": "customer", "fee": "fee", "net": "net",
            "settlement_currency": "settlement_currency", "conversion_rate": "rate"
        }
    });
    let report = run_with(
        &library(&dir),
        &export,
        &options(Isolation::InProcess, &export),
    );
    let failed: Vec<_> = report.failures().collect();
    assert!(report.passed(), "export: {failed:#?}");
    assert_eq!(
        detail(&report, "paging to the end: pull_payments"),
        "1 records in 2 pages, 1 reported problems"
    );
    assert_eq!(
        detail(&report, "paging to the end: pull_invoices"),
        "1 records in 2 pages, 0 reported problems"
    );
}
