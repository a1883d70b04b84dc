//! The conformance kit against the built `fx-feeds` library, in-process and in the
//! plugin-host child, over hand-written feed files in tests/fixtures (the plugin only reads).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use arsync_runtime::conformance::{Options, run_with};
use arsync_runtime::host::file_scope_from_settings;
use arsync_runtime::{HostConfig, Isolation, LoadOptions};
use serde_json::json;
use std::path::{Path, PathBuf};

const PACKAGE: &str = "arsync-plugin-fx-feeds";

/// The built library, with the plugin host beside the test binaries.
fn library() -> PathBuf {
    arsync_e2e::build_plugin(PACKAGE)
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
    let ecb = json!({"path": "eurofxref-daily.xml", "format": "ecb-xml"});
    for isolation in [Isolation::InProcess, Isolation::Process] {
        let report = run_with(&library(), &ecb, &options(isolation, &ecb));
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
    let report = run_with(&library(), &export, &options(Isolation::InProcess, &export));
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

/// Serves `body` to every request on a loopback port, for the life of the test process.
fn serve(body: &'static str) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn under_the_runtime_a_feed_is_fetched_over_http_by_the_host_and_not_delivered_twice() {
    use arsync_sdk::Stream;
    let port = serve(include_str!("fixtures/eurofxref-daily.xml"));
    let settings = json!({
        "url": format!("http://127.0.0.1:{port}/stats/eurofxref/eurofxref-daily.xml"),
        "format": "ecb-xml"
    });
    let options = LoadOptions {
        host: HostConfig {
            connection: "rates".into(),
            extra_allowed_hosts: vec!["127.0.0.1".into()],
            ..HostConfig::default()
        },
        ..Options::default().load
    };
    let mut plugin = arsync_runtime::load(&library(), Isolation::InProcess, &options).unwrap();
    plugin.create(&settings).unwrap();
    let page = plugin.pull(Stream::FxRates, None).unwrap();
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.problems.len(), 1);
    let again = plugin
        .pull(Stream::FxRates, page.next_cursor.as_deref())
        .unwrap();
    assert!(again.items.is_empty() && again.next_cursor.is_none());
}
