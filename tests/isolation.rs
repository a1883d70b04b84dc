//! A plugin that crashes, run in process isolation next to a healthy one: the crash kills
//! only its child, arsync reports it and keeps going, and nothing half-written reaches the
//! store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arsync_e2e::{arsync, build, library, text, workspace_root};

#[test]
fn a_crashing_plugin_in_process_isolation_stops_only_its_own_connection() {
    let bin = build(&["arsync-plugin-spreadsheet", "test-abort"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        workspace_root().join("config/demo/books.xlsx"),
        dir.path().join("books.xlsx"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("arsync.toml"),
        format!(
            r#"
[company]
home_currency = "EUR"
timezone = "Europe/Berlin"
jurisdiction = "DE"

[plugins]
dirs = ["{bin}"]

[[connection]]
name = "crashy"
plugin = "test-abort"
isolation = "process"

[[connection]]
name = "books"
plugin = "spreadsheet"
isolation = "process"
[connection.settings]
path = "books.xlsx"
"#,
            bin = bin.display()
        ),
    )
    .unwrap();
    assert!(bin.join(library("test_abort")).exists());

    let out = arsync(dir.path(), &["sync"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    // arsync itself survived the abort: it reports and exits with a failure code.
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("crashy"), "{stderr}");
    // The healthy connection was read completely, in its own child.
    let books = stdout
        .split("books (")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(books.contains("invoices"), "{stdout}");

    // What was stored is usable: the aging of the books is there.
    let out = arsync(
        dir.path(),
        &[
            "report",
            "aging",
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Hansa Logistik GmbH"));

    // The crashing stream kept the cursor of the page it did store, so a later run resumes
    // there instead of starting over or skipping.
    let again = arsync(dir.path(), &["sync", "crashy"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stdout).contains("crashy"),
        "{}",
        text(&again.stdout)
    );
}
