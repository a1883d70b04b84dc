//! Discovery reads every manifest in an `arsync-plugin-host` child: a library in the plugins
//! folder that crashes, aborts or hangs while loading or giving its manifest ends only that
//! child and is listed with a one-line problem, while the good plugins are listed as usual.
//! The test plugins misbehave early when `ARSYNC_TEST_PLUGIN_FAULT` is set in the child's
//! environment, which a small shell wrapper around the real plugin host sets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use crate::support::{self, library};
use arsync_runtime::process::HostCommand;
use arsync_runtime::{DiscoverOptions, PluginInfo, discover_with, find_plugin_with};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The real plugin host, started with `ARSYNC_TEST_PLUGIN_FAULT=<fault>` in its environment;
/// with `count`, every start also appends a line to that file.
fn host_with_fault(fault: &str, count: Option<&Path>) -> HostCommand {
    let tally = count
        .map(|file| format!("echo started >> '{}'; ", file.display()))
        .unwrap_or_default();
    HostCommand::with_args(
        "/bin/sh",
        [
            OsString::from("-c"),
            OsString::from(format!(
                "{tally}ARSYNC_TEST_PLUGIN_FAULT={fault} exec \"$0\" \"$@\""
            )),
            support::plugin_host().into_os_string(),
        ],
    )
}

/// A plugins folder holding copies of the given test plugins (copies, so that the
/// process-wide manifest cache never answers for another test's folder).
fn plugins_folder(packages: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for package in packages {
        let source = library(package);
        std::fs::copy(&source, dir.path().join(source.file_name().unwrap())).unwrap();
    }
    dir
}

fn options(host: HostCommand, timeout_ms: u64) -> DiscoverOptions {
    DiscoverOptions {
        plugin_host: Some(host),
        timeout: Duration::from_millis(timeout_ms),
        ..DiscoverOptions::default()
    }
}

fn by_file<'a>(found: &'a [PluginInfo], package: &str) -> &'a PluginInfo {
    let file = library(package).file_name().unwrap().to_owned();
    found
        .iter()
        .find(|i| i.path.file_name() == Some(file.as_os_str()))
        .unwrap_or_else(|| panic!("{package} not listed: {found:#?}"))
}

fn problem(info: &PluginInfo) -> &str {
    assert!(info.manifest.is_none(), "{info:?}");
    let text = info.problem.as_deref().unwrap();
    assert!(!text.contains('\n'), "a problem is one line: {text}");
    text
}

#[test]
fn libraries_that_crash_abort_or_hang_at_manifest_time_are_listed_with_a_problem_and_the_good_one_still_shows()
 {
    let dir = plugins_folder(&["test-ledger", "test-segfault", "test-abort", "test-hang"]);
    std::fs::write(
        dir.path().join("libnotes.so"),
        b"meeting notes, not a library",
    )
    .unwrap();
    let started = Instant::now();
    let found = discover_with(
        &[dir.path().to_path_buf()],
        &[],
        &options(host_with_fault("manifest", None), 1_500),
    );
    let took = started.elapsed();
    assert_eq!(found.len(), 5, "{found:#?}");

    let ledger = by_file(&found, "test-ledger");
    assert_eq!(ledger.manifest.as_ref().unwrap().name, "test-ledger");
    assert!(ledger.problem.is_none());

    let segfault = problem(by_file(&found, "test-segfault"));
    assert!(
        segfault.contains("crashed") && segfault.contains("SIGSEGV"),
        "{segfault}"
    );
    let abort = problem(by_file(&found, "test-abort"));
    assert!(
        abort.contains("crashed") && abort.contains("SIGABRT"),
        "{abort}"
    );
    let hang = problem(by_file(&found, "test-hang"));
    assert!(hang.contains("within 1.5s"), "{hang}");
    let notes = found
        .iter()
        .find(|i| i.path.ends_with("libnotes.so"))
        .unwrap();
    let notes = problem(notes);
    assert!(notes.contains("libnotes.so"), "{notes}");

    // The hang costs its timeout once, not once for every library read after it.
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn libraries_that_abort_or_hang_while_being_loaded_do_not_stop_discovery() {
    let dir = plugins_folder(&["test-ledger", "test-abort", "test-hang"]);
    let found = discover_with(
        &[dir.path().to_path_buf()],
        &[],
        &options(host_with_fault("load", None), 1_000),
    );
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(by_file(&found, "test-ledger").manifest.is_some());
    let abort = problem(by_file(&found, "test-abort"));
    assert!(abort.contains("SIGABRT"), "{abort}");
    let hang = problem(by_file(&found, "test-hang"));
    assert!(hang.contains("did not give its manifest within"), "{hang}");
}

#[test]
fn a_connection_finds_its_plugin_by_name_past_a_library_that_crashes() {
    let dir = plugins_folder(&["test-segfault", "test-ledger"]);
    let options = options(host_with_fault("manifest", None), 5_000);
    let found = find_plugin_with("test-ledger", &[dir.path().to_path_buf()], &[], &options)
        .expect("test-ledger is found");
    assert_eq!(
        found.path,
        dir.path()
            .canonicalize()
            .unwrap()
            .join(library("test-ledger").file_name().unwrap())
    );
    assert!(
        find_plugin_with("test-segfault", &[dir.path().to_path_buf()], &[], &options).is_none()
    );
}

fn starts(count: &Path) -> usize {
    std::fs::read_to_string(count)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[test]
fn each_library_is_read_once_per_process_until_the_file_changes() {
    let dir = plugins_folder(&["test-ledger", "test-panic"]);
    let count_dir = tempfile::tempdir().unwrap();
    let count = count_dir.path().join("starts");
    let options = options(host_with_fault("none", Some(&count)), 5_000);
    let dirs = [dir.path().to_path_buf()];

    let first = discover_with(&dirs, &[], &options);
    assert_eq!(starts(&count), 2);
    let second = discover_with(&dirs, &[], &options);
    assert_eq!(
        starts(&count),
        2,
        "the second listing is answered from the cache"
    );
    let names =
        |found: &[PluginInfo]| -> Vec<String> { found.iter().map(PluginInfo::name).collect() };
    assert_eq!(names(&first), ["test-ledger", "test-panic"]);
    assert_eq!(names(&first), names(&second));

    // A library replaced in place (a new modification time) is read again.
    let ledger: PathBuf = dir.path().join(library("test-ledger").file_name().unwrap());
    let file = std::fs::File::options().write(true).open(&ledger).unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    drop(file);
    let third = discover_with(&dirs, &[], &options);
    assert_eq!(starts(&count), 3);
    assert_eq!(names(&third), names(&first));
}

#[test]
fn without_a_plugin_host_manifests_are_read_in_process_and_every_problem_says_so() {
    let dir = plugins_folder(&["test-ledger"]);
    std::fs::write(dir.path().join("libbroken.so"), b"\x7fELF but not really").unwrap();
    let found = discover_with(
        &[dir.path().to_path_buf()],
        &[],
        &DiscoverOptions {
            in_process: true,
            ..DiscoverOptions::default()
        },
    );
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(by_file(&found, "test-ledger").manifest.is_some());
    let broken = found
        .iter()
        .find(|i| i.path.ends_with("libbroken.so"))
        .unwrap();
    let text = problem(broken);
    assert!(
        text.contains("libbroken.so") && text.contains("read inside arsync"),
        "{text}"
    );
}

#[test]
fn a_configured_library_that_is_missing_is_listed_as_missing() {
    let dir = plugins_folder(&["test-ledger"]);
    let missing = dir.path().join("libgone.so");
    let found = discover_with(
        &[dir.path().to_path_buf()],
        std::slice::from_ref(&missing),
        &options(HostCommand::new(support::plugin_host()), 5_000),
    );
    assert_eq!(found.len(), 2);
    let gone = found.iter().find(|i| i.path == missing).unwrap();
    assert!(problem(gone).contains("does not exist"));
}
