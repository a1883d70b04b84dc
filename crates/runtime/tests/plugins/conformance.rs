//! The conformance kit against the test plugins: the reference ledger passes every check in
//! both isolations; misbehaving plugins fail the right checks and the kit still finishes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use crate::support::{library, quick_options};
use arsync_runtime::conformance::{Options, Report, run_with};
use arsync_runtime::{Isolation, discover};
use serde_json::json;

fn options(isolation: Isolation, timeout_ms: u64) -> Options {
    Options {
        isolation,
        load: quick_options(timeout_ms, 1000),
        max_pages: 100,
    }
}

fn check<'a>(report: &'a Report, name: &str) -> &'a arsync_runtime::conformance::CheckResult {
    report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name:?} in {report:#?}"))
}

#[test]
fn the_reference_ledger_passes_every_check_in_process_and_isolated() {
    for isolation in [Isolation::InProcess, Isolation::Process] {
        let report = run_with(
            &library("test-ledger"),
            &json!({"invoices": 7, "page_size": 3}),
            &options(isolation, 5_000),
        );
        let failed: Vec<_> = report.failures().collect();
        assert!(report.passed(), "{isolation}: {failed:#?}");
        assert_eq!(report.plugin.as_deref(), Some("test-ledger"));
        assert_eq!(
            check(&report, "paging to the end: pull_invoices").detail,
            "7 records in 3 pages, 0 reported problems"
        );
        for name in [
            "manifest",
            "config errors",
            "resuming from a cursor: pull_invoices",
            "resuming from a cursor: pull_customers",
            "idempotent pushes: push_status",
            "idempotent pushes: push_task",
            "error kinds",
            "a panic inside a call",
            "close",
        ] {
            assert!(check(&report, name).passed, "{name}");
        }
    }
}

#[test]
fn a_plugin_that_panics_on_every_pull_fails_paging_but_the_kit_finishes() {
    let report = run_with(
        &library("test-panic"),
        &json!({}),
        &options(Isolation::InProcess, 5_000),
    );
    assert!(!report.passed());
    let paging = check(&report, "paging to the end: pull_invoices");
    assert!(!paging.passed);
    assert!(paging.detail.contains("panicked"), "{}", paging.detail);
    assert!(check(&report, "manifest").passed);
    let panic = check(&report, "a panic inside a call");
    assert!(!panic.passed);
    assert!(
        panic.detail.contains("a new instance fails"),
        "{}",
        panic.detail
    );
    let kinds = check(&report, "error kinds");
    assert!(!kinds.passed);
    assert!(
        kinds.detail.contains("foreign cursor broke the plugin"),
        "{}",
        kinds.detail
    );
}

#[test]
fn a_plugin_that_hangs_fails_paging_with_the_timeout_when_isolated() {
    let report = run_with(
        &library("test-hang"),
        &json!({}),
        &options(Isolation::Process, 300),
    );
    let paging = check(&report, "paging to the end: pull_invoices");
    assert!(!paging.passed);
    assert!(
        paging.detail.contains("page 2") && paging.detail.contains("did not answer"),
        "{}",
        paging.detail
    );
}

#[test]
fn a_plugin_that_aborts_fails_paging_with_a_crash_when_isolated() {
    let report = run_with(
        &library("test-abort"),
        &json!({}),
        &options(Isolation::Process, 5_000),
    );
    let paging = check(&report, "paging to the end: pull_invoices");
    assert!(!paging.passed);
    assert!(paging.detail.contains("crashed"), "{}", paging.detail);
    // The kit went on after the crash: the child was restarted for the later checks.
    assert!(check(&report, "a panic inside a call").passed);
}

#[test]
fn a_chatty_plugin_passes_when_isolated() {
    let report = run_with(
        &library("test-stdout"),
        &json!({}),
        &options(Isolation::Process, 5_000),
    );
    let failed: Vec<_> = report.failures().collect();
    assert!(report.passed(), "{failed:#?}");
}

#[test]
fn a_library_that_is_no_plugin_fails_the_manifest_check_only() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("libnot_a_plugin.so");
    std::fs::write(&fake, b"\x7fELF but not really").unwrap();
    let report = run_with(&fake, &json!({}), &options(Isolation::InProcess, 5_000));
    assert_eq!(report.checks.len(), 1);
    assert_eq!(report.checks[0].name, "manifest");
    assert!(!report.checks[0].passed);
}

#[test]
fn the_plugins_folder_lists_each_library_with_its_manifest_and_names_the_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    for package in ["test-ledger", "test-hang"] {
        let from = library(package);
        std::fs::copy(&from, dir.path().join(from.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.path().join("libbroken.so"), b"nope").unwrap();
    std::fs::write(dir.path().join("README.txt"), b"not a library").unwrap();
    let missing = dir.path().join("elsewhere/libgone.so");
    let found = discover(
        &[dir.path().to_path_buf(), dir.path().join("no-such-folder")],
        &[library("test-stdout"), missing.clone()],
    );
    let names: Vec<String> = found.iter().map(|i| i.name()).collect();
    assert_eq!(
        names,
        [
            "libbroken.so",
            "libgone.so",
            "test-hang",
            "test-ledger",
            "test-stdout"
        ]
    );
    let ledger = found.iter().find(|i| i.name() == "test-ledger").unwrap();
    let manifest = ledger.manifest.as_ref().unwrap();
    assert_eq!(manifest.version, env!("CARGO_PKG_VERSION"));
    assert!(ledger.path.is_absolute());
    let broken = found.iter().find(|i| i.name() == "libbroken.so").unwrap();
    assert!(broken.problem.as_ref().unwrap().contains("cannot load"));
    let gone = found.iter().find(|i| i.name() == "libgone.so").unwrap();
    assert!(gone.problem.as_ref().unwrap().contains("does not exist"));
    assert_eq!(
        arsync_runtime::find_plugin("test-hang", &[dir.path().to_path_buf()], &[]).map(|i| i
            .path
            .file_name()
            .unwrap()
            .to_owned()),
        Some(library("test-hang").file_name().unwrap().to_owned())
    );
}

#[test]
fn a_ledger_file_with_one_unreadable_entry_still_pages_and_reports_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let invoice = |id: &str| {
        json!({
            "origin": {"connection": "books", "external_id": id},
            "number": format!("F-{id}"), "customer_id": "c9", "issue_date": "2026-02-01",
            "due_date": "2026-03-03", "currency": "KWD", "total": "12.500",
            "open_amount": "12.500", "status": "open"
        })
    };
    let file = json!([invoice("1"), {"number": "F-2", "total": "not money"}, invoice("3")]);
    std::fs::write(dir.path().join("ledger.json"), file.to_string()).unwrap();
    let mut opts = options(Isolation::Process, 5_000);
    opts.load.host.base_dir = dir.path().to_path_buf();
    opts.load.host.file_scope = vec!["ledger.json".into()];
    let report = run_with(
        &library("test-ledger"),
        &json!({"path": "ledger.json", "page_size": 2}),
        &opts,
    );
    assert!(report.passed(), "{report}");
    assert_eq!(
        check(&report, "paging to the end: pull_invoices").detail,
        "2 records in 2 pages, 1 reported problems"
    );
}
