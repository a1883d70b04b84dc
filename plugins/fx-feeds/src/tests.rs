//! The plugin driven through its real `extern "C"` table against a mock host.

use super::*;
use arsync_sdk::client::CallError;
use arsync_sdk::testing::{MockHost, round_trip};
use serde_json::json;
use std::str::FromStr;
use std::sync::Arc;

const ECB_DAILY: &str = include_str!("../tests/fixtures/eurofxref-daily.xml");
const PAYOUTS: &str = include_str!("../tests/fixtures/payouts.csv");
const ECB_URL: &str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml";

fn plugin_error(err: CallError) -> PluginError {
    match err {
        CallError::Plugin(e) => e,
        other => panic!("not a plugin error: {other}"),
    }
}

fn rates(page: &Page) -> Vec<(String, String, String)> {
    page.items
        .iter()
        .map(|r| match r {
            Record::FxRate(r) => (
                r.base.code().to_owned(),
                r.quote.code().to_owned(),
                r.rate.to_string(),
            ),
            other => panic!("not a rate: {other:?}"),
        })
        .collect()
}

fn export_settings() -> Value {
    json!({
        "path": "payouts.csv",
        "format": "export",
        "mapping": {
            "format": {"type": "csv"},
            "source": "stripe",
            "kind": "type",
            "id": "id",
            "date": "created",
            "currency": "currency",
            "amount": "amount",
            "number": "invoice",
            "customer_id": "customer",
            "fee": "fee",
            "net": "net",
            "settlement_currency": "settlement_currency",
            "conversion_rate": "rate"
        }
    })
}

#[test]
fn the_ecb_daily_file_gives_euro_rates_exactly_as_published_and_reports_the_unreadable_one() {
    let host = Arc::new(MockHost::new().with_file("rates/eurofxref-daily.xml", ECB_DAILY));
    let mut instance = round_trip::<FxFeeds>()
        .create(
            host,
            &json!({"path": "rates/eurofxref-daily.xml", "format": "ecb-xml"}),
        )
        .unwrap();
    let page = instance.pull(Stream::FxRates, None).unwrap();
    assert_eq!(
        rates(&page),
        [
            ("EUR".into(), "USD".into(), "1.0834".into()),
            ("EUR".into(), "JPY".into(), "162.50".into()),
            ("EUR".into(), "GBP".into(), "0.84715".into()),
        ]
    );
    assert_eq!(page.problems.len(), 1, "{:?}", page.problems);
    let p = &page.problems[0];
    assert_eq!(p.kind, ErrorKind::InvalidData);
    assert!(p.message.contains("zero point nine"), "{}", p.message);
    assert_eq!(
        p.position.as_ref().and_then(|x| x.source.as_deref()),
        Some("rates/eurofxref-daily.xml")
    );
    // A rate feed has no documents.
    let invoices = instance.pull(Stream::Invoices, None).unwrap();
    assert!(invoices.items.is_empty() && invoices.next_cursor.is_none());
}

#[test]
fn the_same_publication_fetched_again_by_url_gives_an_empty_page() {
    let host = Arc::new(MockHost::new().with_http(ECB_URL, 200, ECB_DAILY));
    let plugin = round_trip::<FxFeeds>();
    let settings = json!({"url": ECB_URL, "format": "ecb-xml"});
    let mut instance = plugin.create(host.clone(), &settings).unwrap();
    let first = instance.pull(Stream::FxRates, None).unwrap();
    assert_eq!(first.items.len(), 3);
    let cursor = first.next_cursor.unwrap();
    let mut tomorrow = plugin.create(host.clone(), &settings).unwrap();
    let again = tomorrow.pull(Stream::FxRates, Some(&cursor)).unwrap();
    assert!(again.items.is_empty() && again.next_cursor.is_none());
    assert_eq!(host.requests().len(), 2);
    assert_eq!(host.requests()[0].url, ECB_URL);

    let next_day = ECB_DAILY
        .replace("2026-11-20", "2026-11-23")
        .replace("1.0834", "1.0851");
    let host = Arc::new(MockHost::new().with_http(ECB_URL, 200, &next_day));
    let mut instance = plugin.create(host, &settings).unwrap();
    let page = instance.pull(Stream::FxRates, Some(&cursor)).unwrap();
    assert_eq!(rates(&page)[0].2, "1.0851");
}

#[test]
fn a_publisher_that_is_down_is_transient_and_one_that_throttles_is_rate_limited() {
    for (status, kind) in [
        (503, ErrorKind::Transient),
        (429, ErrorKind::RateLimited),
        (404, ErrorKind::InvalidConfig),
    ] {
        let host = Arc::new(MockHost::new().with_http(ECB_URL, status, "busy"));
        let mut instance = round_trip::<FxFeeds>()
            .create(host, &json!({"url": ECB_URL, "format": "ecb-xml"}))
            .unwrap();
        let e = plugin_error(instance.pull(Stream::FxRates, None).unwrap_err());
        assert_eq!(e.kind, kind, "HTTP {status}: {e}");
    }
}

#[test]
fn the_cnb_daily_file_quotes_crowns_per_unit_of_the_foreign_currency() {
    let day = "20.11.2026 #225\nzemě|měna|množství|kód|kurz\nEMU|euro|1|EUR|24,335\nJaponsko|jen|100|JPY|15,305\n";
    let host = Arc::new(MockHost::new().with_file("cnb.txt", day));
    let mut instance = round_trip::<FxFeeds>()
        .create(host, &json!({"path": "cnb.txt", "format": "cnb"}))
        .unwrap();
    let page = instance.pull(Stream::FxRates, None).unwrap();
    assert_eq!(
        rates(&page),
        [
            ("EUR".into(), "CZK".into(), "24.335".into()),
            ("JPY".into(), "CZK".into(), "0.15305".into()),
        ]
    );
}

#[test]
fn a_mapped_json_file_from_another_central_bank_is_read_through_its_mapping() {
    let body = r#"{"date": "2026-11-20", "rates": [{"ccy": "USD", "mid": "0.8801"}, {"ccy": "EUR", "mid": "0.9398"}]}"#;
    let host = Arc::new(MockHost::new().with_file("snb.json", body));
    let settings = json!({
        "path": "snb.json",
        "format": "mapped",
        "mapping": {
            "format": {"type": "json", "records": "/rates"},
            "source": "snb",
            "date": {"field": "$/date"},
            "base": {"field": "ccy"},
            "quote": {"fixed": "CHF"},
            "rate": "mid"
        }
    });
    let mut instance = round_trip::<FxFeeds>().create(host, &settings).unwrap();
    let page = instance.pull(Stream::FxRates, None).unwrap();
    assert!(page.problems.is_empty(), "{:?}", page.problems);
    assert_eq!(
        rates(&page),
        [
            ("USD".into(), "CHF".into(), "0.8801".into()),
            ("EUR".into(), "CHF".into(), "0.9398".into()),
        ]
    );
    match &page.items[0] {
        Record::FxRate(r) => assert_eq!(r.source, "snb"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_payout_report_gives_the_invoice_the_gross_payment_against_it_and_the_conversion_rate() {
    let host = Arc::new(MockHost::new().with_file("payouts.csv", PAYOUTS));
    let mut instance = round_trip::<FxFeeds>()
        .create(host, &export_settings())
        .unwrap();
    let invoices = instance.pull(Stream::Invoices, None).unwrap();
    let [Record::Invoice(inv)] = &invoices.items[..] else {
        panic!("{:?}", invoices.items)
    };
    assert_eq!(inv.number, "INV-1001");
    assert_eq!(inv.origin.connection, CONNECTION);
    // A content hash is no ordered version: the store compares content instead.
    assert_eq!(inv.origin.source_version, None);
    assert!(inv.origin.payload_hash.is_some());
    assert!(invoices.problems.is_empty(), "problems come with payments");

    let payments = instance.pull(Stream::Payments, None).unwrap();
    let [Record::Payment(p)] = &payments.items[..] else {
        panic!("{:?}", payments.items)
    };
    // The customer paid the gross; the provider's fee is not what settles the invoice.
    assert_eq!(p.amount.amount, Decimal::from_str("1200.00").unwrap());
    assert_eq!(p.amount.currency.code(), "USD");
    assert_eq!(payments.problems.len(), 1, "{:?}", payments.problems);
    assert!(payments.problems[0].message.contains("not-a-number"));

    let rates_page = instance.pull(Stream::FxRates, None).unwrap();
    assert_eq!(
        rates(&rates_page),
        [("USD".into(), "EUR".into(), "0.9167".into())]
    );
}

#[test]
fn wrong_settings_are_invalid_config_naming_the_key() {
    let cases = [
        (json!({"path": "a.xml"}), "format"),
        (json!({"path": "a.xml", "format": "ecb"}), "format"),
        (json!({"format": "ecb-xml"}), "path"),
        (
            json!({"url": "http://www.ecb.europa.eu/x.xml", "format": "ecb-xml"}),
            "url",
        ),
        (
            json!({"path": "a", "url": "https://www.cnb.cz/x", "format": "cnb"}),
            "url",
        ),
        (json!({"path": "a.csv", "format": "mapped"}), "mapping"),
        (
            json!({"path": "a.csv", "format": "mapped", "mapping": {"source": "snb"}}),
            "mapping",
        ),
        (
            json!({"path": "a.xml", "format": "ecb-xml", "mapping": {}}),
            "mapping",
        ),
        (
            json!({"path": "a.xml", "format": "ecb-xml", "proxy": "x"}),
            "proxy",
        ),
        (
            json!({"path": "a.csv", "format": "export", "mapping": {"format": {"type": "csv"}, "id": "id"}}),
            "mapping.source",
        ),
    ];
    for (settings, key) in cases {
        let e = plugin_error(
            round_trip::<FxFeeds>()
                .create(Arc::new(MockHost::new()), &settings)
                .unwrap_err(),
        );
        assert_eq!(e.kind, ErrorKind::InvalidConfig, "{settings}");
        assert_eq!(
            e.position.as_ref().and_then(|p| p.field.as_deref()),
            Some(key),
            "{settings}: {e}"
        );
    }
}

fn samples() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("ARSYNC_SAMPLES").map_or_else(
        || {
            std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/samples"
            ))
        },
        std::path::PathBuf::from,
    );
    if dir.join("fx").is_dir() {
        Some(dir.join("fx"))
    } else {
        eprintln!(
            "skipped: no fx samples under {} (set ARSYNC_SAMPLES)",
            dir.display()
        );
        None
    }
}

#[test]
fn the_published_ecb_histories_page_to_the_end_with_each_rate_once() {
    let Some(dir) = samples() else { return };
    for (file, format) in [
        ("ecb_eurofxref-hist-90d.xml", "ecb-xml"),
        ("ecb_eurofxref-hist.csv", "ecb-csv"),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let expected = match format {
            "ecb-xml" => arsync_feeds::parse_ecb_xml(&bytes),
            _ => arsync_feeds::parse_ecb_csv(&bytes),
        }
        .unwrap()
        .rates
        .len();
        let host = Arc::new(MockHost::new().with_file(file, bytes));
        let mut instance = round_trip::<FxFeeds>()
            .create(host, &json!({"path": file, "format": format}))
            .unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = instance.pull(Stream::FxRates, cursor.as_deref()).unwrap();
            pages += 1;
            assert!(page.items.len() <= PAGE_SIZE);
            for r in &page.items {
                assert!(
                    seen.insert(r.external_id()),
                    "{file}: {} twice",
                    r.external_id()
                );
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), expected, "{file}");
        assert!(pages > 2, "{file}: {expected} rates in {pages} pages");
    }
}

#[test]
fn the_published_cnb_daily_file_is_read_through_the_plugin() {
    let Some(dir) = samples() else { return };
    let bytes = std::fs::read(dir.join("cnb_denni_kurz.txt")).unwrap();
    let host = Arc::new(MockHost::new().with_file("cnb.txt", bytes));
    let mut instance = round_trip::<FxFeeds>()
        .create(host, &json!({"path": "cnb.txt", "format": "cnb"}))
        .unwrap();
    let page = instance.pull(Stream::FxRates, None).unwrap();
    assert!(page.items.len() > 20, "{}", page.items.len());
    assert!(
        page.items
            .iter()
            .all(|r| matches!(r, Record::FxRate(f) if f.quote.code() == "CZK"))
    );
}
