//! The built `arsync` binary, run as a user runs it.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stderr,
    clippy::panic
)]

use std::path::Path;
use std::process::{Command, Output};

fn arsync(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arsync"))
        .current_dir(dir)
        .env_remove("ARSYNC_CONFIG")
        .env_remove("ARSYNC_NOW")
        .args(args)
        .output()
        .expect("arsync runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn init_writes_a_starter_that_config_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = arsync(dir.path(), &["init"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("arsync.toml").exists());
    let out = arsync(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("arsync.toml is valid: home currency EUR, time zone Europe/Berlin")
    );
    // A second init does not overwrite the user's file.
    let out = arsync(dir.path(), &["init"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already exists; pass --force"));
}

#[test]
fn a_configuration_error_exits_2_with_the_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("arsync.toml"),
        "[company]\nhome_currency = \"EUR\"\ntimezone = \"Mars/Olympus\"\njurisdiction = \"DE\"\n",
    )
    .unwrap();
    let out = arsync(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "arsync.toml:3:12: `company.timezone`: 'Mars/Olympus' is not an IANA time zone name"
        ),
        "{err}"
    );
}

#[test]
fn a_missing_configuration_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = arsync(dir.path(), &["report", "aging"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("create one with `arsync init`"));
}

#[test]
fn usage_errors_exit_2_and_every_verb_has_help() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(arsync(dir.path(), &["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        arsync(dir.path(), &["report", "aging", "--as-of", "yesterday"])
            .status
            .code(),
        Some(2)
    );
    for verb in [
        &["init"][..],
        &["config", "check"],
        &["demo"],
        &["report", "aging"],
    ] {
        let mut args = verb.to_vec();
        args.push("--help");
        let out = arsync(dir.path(), &args);
        assert!(out.status.success(), "{verb:?} --help");
        assert!(text(&out.stdout).contains("Usage: arsync"), "{verb:?}");
    }
    let out = arsync(dir.path(), &["--version"]);
    assert!(text(&out.stdout).starts_with("arsync "));
}

#[test]
fn the_demo_runs_end_to_end_and_keeps_its_store_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("demo.db");
    let out = arsync(dir.path(), &["demo", "--store", store.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Aging as of 2026-11-23"), "{stdout}");
    assert!(stdout.contains("All currencies in EUR"), "{stdout}");
    assert!(store.exists());
    // Running it again over the same store changes nothing and prints the same aging.
    let again = arsync(dir.path(), &["demo", "--store", store.to_str().unwrap()]);
    assert!(again.status.success());
    let aging = |s: &str| s[s.find("Aging as of").unwrap()..].to_owned();
    assert_eq!(aging(&stdout), aging(&text(&again.stdout)));
}

#[test]
fn aging_reports_as_csv_from_a_configured_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("state.db");
    assert!(
        arsync(dir.path(), &["demo", "--store", store.to_str().unwrap()])
            .status
            .success()
    );
    std::fs::write(
        dir.path().join("arsync.toml"),
        format!(
            "[company]\nhome_currency = \"EUR\"\ntimezone = \"Europe/Berlin\"\njurisdiction = \"DE\"\n[store]\nurl = \"sqlite://{}\"\n",
            store.display()
        ),
    )
    .unwrap();
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
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "row,as_of,customer_id,customer,currency,current,1-30,31-60,61-90,over 90,open,unapplied_credit,net,home_currency,home_net,home_complete,missing_rate"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("home_total,2026-11-23,,,EUR,"))
    );
    // With --now, "today" is judged in the company zone: 23:30 UTC on the 23rd is the 24th in Berlin.
    let out = arsync(
        dir.path(),
        &[
            "--now",
            "2026-11-23T23:30:00Z",
            "report",
            "aging",
            "--format",
            "csv",
        ],
    );
    assert!(
        text(&out.stdout).contains("home_total,2026-11-24,"),
        "{}",
        text(&out.stdout)
    );
}

fn samples() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("ARSYNC_SAMPLES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: the real-world samples are not at {} (set ARSYNC_SAMPLES)",
            dir.display()
        );
        None
    }
}

#[test]
fn inspect_shows_what_the_bank_sent_and_reports_a_failed_balance() {
    let Some(s) = samples() else { return };
    let dir = tempfile::tempdir().unwrap();
    let camt = s.join("bank/camt/camt053_v04_ch-postfinance_isr_batch_reversal.xml");
    let out = arsync(dir.path(), &["inspect", camt.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("camt.053 version 001.04"), "{stdout}");
    assert!(
        stdout.contains("opening 322,152.16 CHF 2016-04-29   closing 322,689.77 CHF 2016-04-30"),
        "{stdout}"
    );
    assert!(stdout.contains("check ok"), "{stdout}");
    // A statement whose entries do not add up to its closing balance fails, with the difference.
    let abn = s.join("bank/mt940/nl-abnamro.sta");
    let out = arsync(dir.path(), &["inspect", abn.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("check FAILED: opening 60F 3236.28 EUR"),
        "{}",
        text(&out.stdout)
    );
    // The Hungarian DOS file reads right once its code page is named.
    let hu = s.join("bank/mt940/hu-raiffeisen_cp852.sta");
    let out = arsync(
        dir.path(),
        &["inspect", "--encoding", "cp852", hu.to_str().unwrap()],
    );
    assert!(text(&out.stdout).contains("Csoportos átutalás jóváírása"));
}

#[test]
fn inspect_prints_json_lines_for_rates_and_books() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/demo");
    let out = arsync(
        dir.path(),
        &[
            "inspect",
            "--format",
            "json",
            demo.join("rates.xml").to_str().unwrap(),
            demo.join("books.xlsx").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|v| v["type"] == "rate" && v["rate"]["base"] == "EUR")
    );
    assert!(
        lines
            .iter()
            .any(|v| v["type"] == "invoice" && v["invoice"]["total"].is_string())
    );
    let unknown = dir.path().join("notes.txt");
    std::fs::write(&unknown, "hello").unwrap();
    let out = arsync(dir.path(), &["inspect", unknown.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a format arsync reads"));
}

#[test]
fn reconcile_works_on_files_alone_and_explains_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/demo");
    let arg = |name: &str| demo.join(name).to_str().unwrap().to_owned();
    let out = arsync(
        dir.path(),
        &[
            "reconcile",
            "--items",
            &arg("books.xlsx"),
            "--statement",
            &arg("statement.xml"),
            "--rates",
            &arg("rates.xml"),
            "--home-currency",
            "EUR",
            "--as-of",
            "2026-11-23",
            "--output",
            "matches.csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 statement line(s) were not receipts"));
    let mut reader = csv::Reader::from_path(dir.path().join("matches.csv")).unwrap();
    let rows: Vec<std::collections::HashMap<String, String>> =
        reader.deserialize().map(Result::unwrap).collect();
    let row = |reference: &str| {
        rows.iter()
            .find(|r| r["receipt_reference"] == reference)
            .unwrap()
    };
    // The structured RF reference printed on the invoice settles it without review.
    let exact = row("NLM2611160001");
    assert_eq!(
        (exact["invoice_number"].as_str(), exact["decision"].as_str()),
        ("NM-26-1011", "auto")
    );
    assert!(
        exact["rules"].contains("structured_reference"),
        "{}",
        exact["rules"]
    );
    // A part payment leaves the invoice open with its remainder.
    let part = row("NLM2611200005");
    assert_eq!(part["residual_kind"], "partial_payment");
    assert_eq!(part["residual_amount"], "252.00");
    // A refund from a utility matches nothing, and says so.
    let refund = row("NLM2611200006");
    assert_eq!(refund["decision"], "unmatched");
    assert!(!refund["explanation"].is_empty());
    // A wrong output extension is a usage error.
    let out = arsync(
        dir.path(),
        &[
            "reconcile",
            "--items",
            &arg("books.xlsx"),
            "--statement",
            &arg("statement.xml"),
            "--home-currency",
            "EUR",
            "--output",
            "matches.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("name the file .csv or .json"));
}

/// A plugin library the workspace builds next to the arsync binary, if it is built.
fn built_plugin(stem: &str) -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_BIN_EXE_arsync")).parent()?;
    let path = dir.join(format!(
        "{}{stem}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is not built (run `cargo build --workspace` first)",
            path.display()
        );
        None
    }
}

#[test]
fn the_spreadsheet_plugin_is_listed_and_passes_the_conformance_kit() {
    let Some(lib) = built_plugin("arsync_plugin_spreadsheet") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = arsync(dir.path(), &["plugins", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    let line = listing
        .lines()
        .find(|l| l.starts_with("spreadsheet "))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(line.contains("push_status, push_task"), "{line}");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/demo/books.xlsx"),
        dir.path().join("books.xlsx"),
    )
    .unwrap();
    let out = arsync(
        dir.path(),
        &[
            "plugins",
            "check",
            lib.to_str().unwrap(),
            "--settings",
            r#"{"path":"books.xlsx"}"#,
            "--base-dir",
            dir.path().to_str().unwrap(),
        ],
    );
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}\n{}", text(&out.stderr));
    assert!(
        report.contains("PASS  idempotent pushes: push_status"),
        "{report}"
    );
    assert!(!report.contains("FAIL"), "{report}");
    // The same kit fails a plugin that cannot reach its file, and says which check.
    let out = arsync(
        dir.path(),
        &[
            "plugins",
            "check",
            lib.to_str().unwrap(),
            "--settings",
            r#"{"path":"missing.xlsx"}"#,
            "--base-dir",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("FAIL  paging to the end: pull_invoices"));
}

#[test]
fn plugins_new_writes_a_crate_and_refuses_a_bad_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = arsync(dir.path(), &["plugins", "new", "acme-ledger"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let krate = dir.path().join("acme-ledger");
    let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("cdylib"), "{manifest}");
    assert!(krate.join("src/lib.rs").exists());
    let out = arsync(dir.path(), &["plugins", "new", "Acme Ledger"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not a plugin name"));
}

/// The demo unpacked into a folder that then serves as an installation: its arsync.toml,
/// its store, its books and its companion workbook.
fn demo_installation() -> Option<tempfile::TempDir> {
    built_plugin("arsync_plugin_spreadsheet")?;
    let dir = tempfile::tempdir().unwrap();
    let out = arsync(dir.path(), &["demo", "--dir", "."]);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    Some(dir)
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// Everything the store holds that a run could write: the audit log (every decision and
/// write attempt), the tasks and the reconciliation decisions. Compared as content, since
/// SQLite may move pages between its WAL and the main file when it is merely opened.
fn store_content(dir: &Path) -> String {
    let mut all = String::new();
    for args in [
        &["report", "audit"][..],
        &["report", "tasks", "--all", "--format", "json"],
        &["report", "matches", "--all", "--format", "json"],
    ] {
        let out = arsync(dir, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        all.push_str(&text(&out.stdout));
    }
    all
}

#[test]
fn the_demo_runs_the_whole_loop_through_the_plugins() {
    let Some(dir) = demo_installation() else {
        return;
    };
    let out = arsync(
        dir.path(),
        &[
            "--now",
            "2026-11-23T09:00:00Z",
            "report",
            "tasks",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tasks = text(&out.stdout);
    assert!(tasks.lines().count() > 5, "{tasks}");
    assert!(tasks.contains("formal_notice"), "{tasks}");
    // NM-26-1011 was paid on the bank statement (matched by its RF reference) though the
    // books have not booked it yet: nobody is told to chase it.
    assert!(
        !tasks
            .lines()
            .any(|l| l.contains("NM-26-1011") && l.contains(",open,")),
        "{tasks}"
    );
    let out = arsync(dir.path(), &["report", "aging", "--as-of", "2026-11-23"]);
    let aging = text(&out.stdout);
    assert!(
        aging.contains(
            "not yet booked in the books are counted as paid on: NM-26-1001, NM-26-1010, NM-26-1011"
        ),
        "{aging}"
    );
    // The status went back to the books: the companion workbook sits next to the source.
    assert!(dir.path().join("books.arsync.xlsx").exists());
    // Every decision and write is in an intact audit log.
    let out = arsync(dir.path(), &["report", "audit"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).lines().count() > 10);
}

#[test]
fn collect_dry_run_shows_what_would_be_written_and_writes_nothing() {
    let Some(dir) = demo_installation() else {
        return;
    };
    let workbook = dir.path().join("books.arsync.xlsx");
    let (store_before, book_before) = (store_content(dir.path()), file_bytes(&workbook));
    // A week later more invoices have moved up the ladder.
    let out = arsync(
        dir.path(),
        &["--now", "2026-11-30T09:00:00Z", "collect", "--dry-run"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("(dry run: nothing written)"), "{shown}");
    assert!(shown.contains("would be sent"), "{shown}");
    assert!(
        store_content(dir.path()) == store_before,
        "a dry run changed the store"
    );
    assert!(
        file_bytes(&workbook) == book_before,
        "a dry run changed the books"
    );
}

#[test]
fn a_dispute_recorded_on_the_command_line_stops_the_dunning() {
    let Some(dir) = demo_installation() else {
        return;
    };
    let out = arsync(
        dir.path(),
        &[
            "--now",
            "2026-11-23T10:00:00Z",
            "state",
            "dispute",
            "--invoice",
            "NM-26-1016",
            "--connection",
            "books",
            "--who",
            "clerk",
            "--why",
            "customer says the pallets arrived damaged",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = arsync(dir.path(), &["--now", "2026-11-24T09:00:00Z", "collect"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = text(&out.stdout);
    let line = run
        .lines()
        .find(|l| l.starts_with("NM-26-1016"))
        .unwrap_or_else(|| panic!("{run}"));
    assert!(line.contains("disputed"), "{line}");
    let out = arsync(
        dir.path(),
        &[
            "--now",
            "2026-11-24T09:00:00Z",
            "report",
            "tasks",
            "--format",
            "csv",
        ],
    );
    let tasks = text(&out.stdout);
    assert!(
        tasks
            .lines()
            .any(|l| l.contains("resolve_dispute") && l.contains("NM-26-1016")),
        "{tasks}"
    );
    // A promise needs the date it runs to.
    let out = arsync(
        dir.path(),
        &[
            "state",
            "promise",
            "--invoice",
            "NM-26-1022",
            "--connection",
            "books",
            "--why",
            "will pay Friday",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn an_unknown_connection_is_a_usage_error() {
    let Some(dir) = demo_installation() else {
        return;
    };
    let out = arsync(dir.path(), &["sync", "ledger"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ledger"));
}
