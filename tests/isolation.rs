//! A plugin that crashes, run in process isolation next to a healthy one: the crash kills
//! only its child, arsync reports it and keeps going, and nothing half-written reaches the
//! store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arsync_e2e::{arsync, build, build_plugin, library, text, workspace_root};

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

#[test]
fn a_library_that_crashes_when_asked_for_its_manifest_cannot_take_down_plugins_list_or_sync() {
    // `build` builds once per test binary, with the packages of whichever test calls it
    // first, so it gets the same list as the test above; this test's plugins are built one
    // by one.
    let bin = build(&["arsync-plugin-spreadsheet", "test-abort"]);
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    for package in ["test-ledger", "test-segfault", "test-abort"] {
        let built = build_plugin(package);
        std::fs::copy(&built, plugins.join(built.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.path().join("arsync.toml"),
        r#"
[company]
home_currency = "EUR"
timezone = "Europe/Berlin"
jurisdiction = "DE"

[plugins]
dirs = ["plugins"]

[[connection]]
name = "books"
plugin = "test-ledger"
[connection.settings]
invoices = 3
"#,
    )
    .unwrap();
    // The misbehaving test plugins crash as soon as anyone asks for their manifest.
    let run = |args: &[&str]| {
        std::process::Command::new(bin.join("arsync"))
            .current_dir(dir.path())
            .env_remove("ARSYNC_CONFIG")
            .env_remove("ARSYNC_NOW")
            .env_remove("ARSYNC_PLUGIN_HOST")
            .env("ARSYNC_TEST_PLUGIN_FAULT", "manifest")
            .args(args)
            .output()
            .unwrap()
    };

    let out = run(&["plugins", "list"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.lines().any(|l| l.starts_with("test-ledger ")),
        "{stdout}"
    );
    for (file, signal) in [
        ("libtest_segfault", "SIGSEGV"),
        ("libtest_abort", "SIGABRT"),
    ] {
        let line = stdout
            .lines()
            .find(|l| {
                l.trim_start().starts_with(&format!(
                    "{}/{file}",
                    plugins.canonicalize().unwrap().display()
                ))
            })
            .unwrap_or_else(|| panic!("{file} not listed as a problem:\n{stdout}"));
        assert!(line.contains(signal), "{line}");
    }

    // A sync finds the connection's plugin past the crashing ones.
    let out = run(&["sync"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("books"), "{stdout}");

    // A connection whose plugin is one of the crashing libraries fails, and the error says
    // which library could not be read and why, not only that nothing was found.
    std::fs::write(
        dir.path().join("broken.toml"),
        r#"
[company]
home_currency = "EUR"
timezone = "Europe/Berlin"
jurisdiction = "DE"

[plugins]
dirs = ["plugins"]

[[connection]]
name = "crashing"
plugin = "test-segfault"
"#,
    )
    .unwrap();
    let out = run(&["--config", "broken.toml", "sync"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    let all = format!("{stdout}\n{stderr}");
    assert!(all.contains("no plugin called 'test-segfault'"), "{all}");
    assert!(
        all.contains("libtest_segfault") && all.contains("SIGSEGV"),
        "{all}"
    );
}
