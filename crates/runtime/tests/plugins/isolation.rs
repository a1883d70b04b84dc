//! Plugins in both isolations: the same answers either way, panics caught, and a crash, abort
//! or hang in an isolated plugin confined to its child, which is restarted with backoff and
//! quarantined after repeated failures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use crate::support::{self, library, quick_options};
use arsync_runtime::process::ProcessPlugin;
use arsync_runtime::{Isolation, LoadOptions, PluginHandle, RuntimeError, load};
use arsync_sdk::{ErrorKind, Page, PushAction, PushItem, PushOutcome, Record, Stream};
use serde_json::json;
use std::time::{Duration, Instant};

fn all_pages(plugin: &mut dyn PluginHandle, stream: Stream) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = plugin.pull(stream, cursor.as_deref()).unwrap();
        cursor = page.next_cursor.clone();
        pages.push(page);
        if cursor.is_none() {
            return pages;
        }
    }
}

fn process_plugin(package: &str, timeout_ms: u64, quarantine_after: u32) -> ProcessPlugin {
    let options = quick_options(timeout_ms, quarantine_after);
    let path = std::fs::canonicalize(library(package)).unwrap();
    ProcessPlugin::start(
        &path,
        options.plugin_host.as_ref().unwrap(),
        options.host.clone(),
        options.supervision.clone(),
    )
    .unwrap()
}

fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[test]
fn five_invoices_two_per_page_arrive_the_same_in_process_and_isolated() {
    let settings = json!({"invoices": 5, "page_size": 2, "currency": "EUR"});
    let mut inproc = load(
        &library("test-ledger"),
        Isolation::InProcess,
        &quick_options(5_000, 3),
    )
    .unwrap();
    let mut isolated = load(
        &library("test-ledger"),
        Isolation::Process,
        &quick_options(5_000, 3),
    )
    .unwrap();
    inproc.create(&settings).unwrap();
    isolated.create(&settings).unwrap();
    let a = all_pages(inproc.as_mut(), Stream::Invoices);
    let b = all_pages(isolated.as_mut(), Stream::Invoices);
    assert_eq!(a.len(), 3);
    assert_eq!(a, b);
    let numbers: Vec<String> = a
        .iter()
        .flat_map(|p| &p.items)
        .map(|r| match r {
            Record::Invoice(i) => i.number.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        numbers,
        ["TL-0001", "TL-0002", "TL-0003", "TL-0004", "TL-0005"]
    );
    assert_eq!(isolated.isolation(), Isolation::Process);
    isolated.close().unwrap();
    inproc.close().unwrap();
}

#[test]
fn a_task_pushed_twice_through_the_child_is_written_once() {
    let mut plugin = arsync_runtime::connect(
        &library("test-ledger"),
        Isolation::Process,
        &quick_options(5_000, 3),
        &json!({}),
    )
    .unwrap();
    let task: arsync_model::CollectionTask = serde_json::from_value(json!({
        "key": "cust-1/TL-0001/2", "connection": "books", "customer_id": "cust-1",
        "customer_name": "Customer 1", "items": [["invoice", "inv-1"]], "action": "reminder",
        "tone": "firm", "step": 2, "due": "2026-02-11", "priority": 2,
        "amount": {"amount": "123.45", "currency": "EUR"},
        "summary": "Second reminder for TL-0001", "state": {"state": "open"}
    }))
    .unwrap();
    let item = PushItem {
        idempotency_key: "books/task/cust-1/TL-0001/2".into(),
        record: arsync_sdk::Outgoing::CollectionTask(task),
    };
    let first = plugin.push(PushAction::Task, vec![item.clone()]).unwrap();
    let again = plugin.push(PushAction::Task, vec![item]).unwrap();
    assert_eq!(first[0].outcome, PushOutcome::Applied);
    assert_eq!(again[0].outcome, PushOutcome::AlreadyApplied);
    assert_eq!(first[0].external_id, again[0].external_id);
}

#[test]
fn bad_settings_come_back_as_invalid_config_naming_the_field_in_both_isolations() {
    for isolation in [Isolation::InProcess, Isolation::Process] {
        let mut plugin =
            load(&library("test-ledger"), isolation, &quick_options(5_000, 3)).unwrap();
        let err = plugin.create(&json!({"page_size": 0})).unwrap_err();
        let e = err.plugin_error().unwrap_or_else(|| panic!("{err}"));
        assert_eq!(e.kind, ErrorKind::InvalidConfig);
        assert_eq!(
            e.position.as_ref().and_then(|p| p.field.as_deref()),
            Some("page_size")
        );
    }
}

#[test]
fn a_panicking_plugin_in_process_is_caught_and_arsync_carries_on() {
    let mut plugin = load(
        &library("test-panic"),
        Isolation::InProcess,
        &LoadOptions::default(),
    )
    .unwrap();
    plugin.create(&json!({})).unwrap();
    let err = plugin.pull(Stream::Invoices, None).unwrap_err();
    let RuntimeError::Panic {
        message,
        plugin: name,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(name, "test-panic");
    assert!(message.contains("the books are on fire"), "{message}");
    // The poisoned instance is refused; a new one can be made.
    assert!(plugin.pull(Stream::Invoices, None).is_err());
    plugin.create(&json!({})).unwrap();
}

#[test]
fn a_panicking_plugin_in_a_child_is_reported_and_the_child_replaced() {
    let mut plugin = process_plugin("test-panic", 5_000, 3);
    plugin.create(&json!({})).unwrap();
    let first_pid = plugin.child_id().unwrap();
    let err = plugin.pull(Stream::Invoices, None).unwrap_err();
    assert!(matches!(err, RuntimeError::Panic { .. }), "{err}");
    assert_eq!(plugin.child_id(), None, "a panicked child is retired");
    let err = plugin.pull(Stream::Invoices, None).unwrap_err();
    assert!(matches!(err, RuntimeError::Panic { .. }), "{err}");
    assert_eq!(plugin.restarts(), 1);
    assert!(!pid_alive(first_pid));
}

#[test]
fn stray_prints_on_stdout_do_not_corrupt_the_channel() {
    let mut plugin = load(
        &library("test-stdout"),
        Isolation::Process,
        &quick_options(5_000, 3),
    )
    .unwrap();
    plugin.create(&json!({})).unwrap();
    let page = plugin.pull(Stream::Invoices, None).unwrap();
    assert_eq!(page.items.len(), 1);
    let Record::Invoice(invoice) = &page.items[0] else {
        panic!("{page:?}")
    };
    assert_eq!(invoice.number, "SO-1");
    assert_eq!(invoice.total.to_string(), "50.00");
}

#[test]
fn a_segfault_kills_only_the_child_which_comes_back() {
    let mut plugin = process_plugin("test-segfault", 5_000, 3);
    plugin.create(&json!({})).unwrap();
    let first_pid = plugin.child_id().unwrap();
    let page = plugin.pull(Stream::Invoices, None).unwrap();
    let err = plugin
        .pull(Stream::Invoices, page.next_cursor.as_deref())
        .unwrap_err();
    let RuntimeError::Crashed { status, .. } = &err else {
        panic!("{err}")
    };
    assert!(status.contains("signal: 11"), "{status}");
    assert!(err.is_retryable());
    assert!(!pid_alive(first_pid));
    // This process is still here, and the restarted child serves the first page again.
    let again = plugin.pull(Stream::Invoices, None).unwrap();
    assert_eq!(again.next_cursor.as_deref(), Some("segfault"));
    assert_eq!(plugin.restarts(), 1);
}

#[test]
fn an_abort_kills_only_the_child_which_comes_back_after_a_backoff() {
    let mut plugin = process_plugin("test-abort", 5_000, 3);
    plugin.create(&json!({})).unwrap();
    let first_pid = plugin.child_id().unwrap();
    let page = plugin.pull(Stream::Invoices, None).unwrap();
    let err = plugin
        .pull(Stream::Invoices, page.next_cursor.as_deref())
        .unwrap_err();
    let RuntimeError::Crashed { status, .. } = &err else {
        panic!("{err}")
    };
    assert!(status.contains("signal"), "{status}");
    assert!(err.is_retryable());
    assert!(!pid_alive(first_pid));

    let started = Instant::now();
    let again = plugin.pull(Stream::Invoices, None).unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "restart waited the backoff"
    );
    assert_eq!(again.next_cursor.as_deref(), Some("abort"));
    assert_eq!(plugin.restarts(), 1);
    assert_ne!(plugin.child_id(), Some(first_pid));
    assert_eq!(
        plugin.consecutive_failures(),
        0,
        "a success clears the failure count"
    );
}

#[test]
fn a_hang_is_cut_at_the_call_timeout_and_the_hung_child_killed() {
    let mut plugin = process_plugin("test-hang", 300, 3);
    plugin.create(&json!({})).unwrap();
    let pid = plugin.child_id().unwrap();
    plugin.pull(Stream::Invoices, None).unwrap();
    let started = Instant::now();
    let err = plugin.pull(Stream::Invoices, Some("hang")).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, RuntimeError::Timeout { .. }), "{err}");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(!pid_alive(pid), "the hung child is gone");
    // The next call restarts the child and replays create.
    assert!(plugin.pull(Stream::Invoices, None).is_ok());
    assert_eq!(plugin.restarts(), 1);
}

#[test]
fn repeated_hangs_back_off_longer_each_time_then_quarantine_the_plugin() {
    let mut plugin = process_plugin("test-hang", 200, 3);
    plugin.create(&json!({})).unwrap();
    let mut took = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let err = plugin.pull(Stream::Invoices, Some("hang")).unwrap_err();
        took.push(started.elapsed());
        assert!(matches!(err, RuntimeError::Timeout { .. }), "{err}");
    }
    // 1st call: no restart. 2nd: backoff 100 ms. 3rd: backoff 200 ms.
    assert!(took[1] >= Duration::from_millis(300), "{took:?}");
    assert!(took[2] >= Duration::from_millis(400), "{took:?}");
    assert!(plugin.is_quarantined());
    let started = Instant::now();
    let err = plugin.pull(Stream::Invoices, None).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "quarantine answers at once"
    );
    let RuntimeError::Quarantined { failures, last, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*failures, 3);
    assert!(last.contains("did not answer"), "{last}");
    assert_eq!(plugin.restarts(), 2);
    assert_eq!(plugin.child_id(), None);
    // An operator lifts the quarantine: the plugin is started again.
    plugin.reset();
    assert!(plugin.pull(Stream::Invoices, None).is_ok());
}

#[test]
fn the_backoff_doubles_up_to_its_ceiling() {
    let plugin = process_plugin("test-ledger", 1_000, 10);
    assert_eq!(plugin.backoff(), Duration::from_millis(100));
    drop(plugin);
}

#[test]
fn a_plugin_reads_only_the_files_its_settings_name_even_from_a_child() {
    let dir = tempfile::tempdir().unwrap();
    let invoices = json!([{
        "origin": {"connection": "books", "external_id": "77"},
        "number": "F-77", "customer_id": "c9", "issue_date": "2026-02-01",
        "due_date": "2026-03-03", "currency": "SEK", "total": "1500.00",
        "open_amount": "1500.00", "status": "open"
    }]);
    std::fs::write(dir.path().join("ledger.json"), invoices.to_string()).unwrap();
    std::fs::write(dir.path().join("other.json"), "[]").unwrap();
    for isolation in [Isolation::InProcess, Isolation::Process] {
        let mut options = quick_options(5_000, 3);
        options.host.base_dir = dir.path().to_path_buf();
        options.host.file_scope = vec!["ledger.json".into()];
        let mut plugin = load(&library("test-ledger"), isolation, &options).unwrap();
        plugin.create(&json!({"path": "ledger.json"})).unwrap();
        let page = plugin.pull(Stream::Invoices, None).unwrap();
        assert_eq!(page.items.len(), 1);
        plugin.create(&json!({"path": "other.json"})).unwrap();
        let err = plugin.pull(Stream::Invoices, None).unwrap_err();
        let e = err.plugin_error().unwrap_or_else(|| panic!("{err}"));
        assert_eq!(e.kind, ErrorKind::InvalidConfig);
        assert!(e.message.contains("other.json"), "{}", e.message);
    }
}

#[test]
fn a_pinned_library_loads_when_its_hash_matches() {
    let path = library("test-ledger");
    let mut options = quick_options(5_000, 3);
    options.sha256 = Some(arsync_runtime::sha256_file(&path).unwrap().to_uppercase());
    assert!(load(&path, Isolation::InProcess, &options).is_ok());
}

#[test]
fn a_library_built_to_abort_on_panic_is_refused_in_process_but_runs_isolated() {
    let path = library("test-raw-abort");
    let err = load(&path, Isolation::InProcess, &quick_options(5_000, 3))
        .err()
        .unwrap();
    assert!(matches!(err, RuntimeError::AbortOnPanic { .. }), "{err}");
    assert!(err.to_string().contains("isolation = \"process\""), "{err}");

    let mut plugin = load(&path, Isolation::Process, &quick_options(5_000, 3)).unwrap();
    assert_eq!(
        plugin.manifest().panic_strategy,
        arsync_sdk::PanicStrategy::Abort
    );
    plugin.create(&json!({})).unwrap();
    let page = plugin.pull(Stream::Invoices, None).unwrap();
    assert!(page.items.is_empty() && page.next_cursor.is_none());
    let err = plugin.pull(Stream::Payments, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[test]
fn a_program_that_embeds_the_plugin_host_behind_a_subcommand_can_be_the_host() {
    // Stands in for `arsync <hidden subcommand> <library>`: the arguments before the library
    // reach the program, which then runs the real plugin host.
    let mut options = quick_options(5_000, 3);
    options.plugin_host = Some(arsync_runtime::process::HostCommand::with_args(
        "/bin/sh",
        [
            std::ffi::OsString::from("-c"),
            std::ffi::OsString::from("exec \"$0\" \"$@\""),
            support::plugin_host().into_os_string(),
        ],
    ));
    let mut plugin = load(&library("test-ledger"), Isolation::Process, &options).unwrap();
    plugin.create(&json!({"invoices": 1})).unwrap();
    assert_eq!(plugin.pull(Stream::Invoices, None).unwrap().items.len(), 1);
}

#[test]
fn a_hang_in_process_is_cut_at_the_call_timeout_and_the_plugin_stays_quarantined() {
    let mut plugin = load(
        &library("test-hang"),
        Isolation::InProcess,
        &quick_options(300, 3),
    )
    .unwrap();
    plugin.create(&json!({})).unwrap();
    let page = plugin.pull(Stream::Invoices, None).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("hang"));

    let started = Instant::now();
    let err = plugin.pull(Stream::Invoices, Some("hang")).unwrap_err();
    let took = started.elapsed();
    let RuntimeError::CallTimeout {
        method, timeout, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(method, "pull_invoices");
    assert_eq!(*timeout, Duration::from_millis(300));
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert!(err.to_string().contains("isolation = \"process\""), "{err}");

    // The hung call still occupies the plugin's thread: everything after fails at once,
    // naming the call that hung, and nothing more is sent to the library.
    for attempt in [
        plugin.pull(Stream::Invoices, None).map(|_| ()),
        plugin.create(&json!({})),
        plugin.close(),
    ] {
        let started = Instant::now();
        let err = attempt.unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(100));
        let RuntimeError::Stuck { hung_in, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(hung_in, "pull_invoices");
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("restart arsync"), "{err}");
    }

    // arsync carries on: another connection's plugin loads and answers in-process.
    let mut ledger = load(
        &library("test-ledger"),
        Isolation::InProcess,
        &quick_options(5_000, 3),
    )
    .unwrap();
    ledger.create(&json!({"invoices": 1})).unwrap();
    assert_eq!(ledger.pull(Stream::Invoices, None).unwrap().items.len(), 1);
}

#[test]
fn a_slow_but_timely_in_process_call_is_not_cut() {
    // The ledger answers well within a generous timeout, page after page, on its own thread.
    let mut plugin = load(
        &library("test-ledger"),
        Isolation::InProcess,
        &quick_options(5_000, 3),
    )
    .unwrap();
    plugin
        .create(&json!({"invoices": 7, "page_size": 3}))
        .unwrap();
    let pages = all_pages(plugin.as_mut(), Stream::Invoices);
    assert_eq!(pages.iter().map(|p| p.items.len()).sum::<usize>(), 7);
    plugin.close().unwrap();
    // Closed: a pull now needs a new instance.
    assert!(matches!(
        plugin.pull(Stream::Invoices, None).unwrap_err(),
        RuntimeError::NotCreated { .. }
    ));
}
