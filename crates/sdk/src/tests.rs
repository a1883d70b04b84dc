//! Round trips through the real `extern "C"` table with a small ledger connector.

use crate::client::CallError;
use crate::prelude::*;
use crate::testing::{MockHost, round_trip};
use arsync_model::{CollectionState, ItemKind};
use serde_json::json;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

/// Invoices in a JSON file, three per page; overdue statuses written to an in-memory map.
struct Ledger {
    host: Host,
    path: String,
    written: BTreeMap<String, String>,
}

impl Connector for Ledger {
    fn manifest() -> Manifest {
        Manifest::new("ledger", "0.1.0")
            .pulls(Stream::Invoices)
            .pushes(PushAction::Status)
    }

    fn create(settings: serde_json::Value, host: Host) -> Result<Self, PluginError> {
        let path = settings["path"]
            .as_str()
            .ok_or_else(|| PluginError::invalid_config("path", "set `path` to the ledger file"))?
            .to_owned();
        host.log(Level::Info, &format!("opening {path}"));
        let _key = host.secret("api_key")?;
        Ok(Self {
            host,
            path,
            written: BTreeMap::new(),
        })
    }

    fn pull(&mut self, _stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        if cursor == Some("explode") {
            panic!("the ledger file changed under our feet");
        }
        let bytes = self.host.read_file(&self.path)?;
        let all: Vec<Invoice> = serde_json::from_slice(&bytes).map_err(|e| {
            PluginError::invalid_data(
                format!("not a list of invoices: {e}"),
                Position {
                    source: Some(self.path.clone()),
                    line: u64::try_from(e.line()).ok(),
                    ..Position::default()
                },
            )
        })?;
        let start: usize = match cursor {
            None => 0,
            Some(c) => c.parse().map_err(|_| {
                PluginError::invalid_data(
                    format!("cursor {c:?} is not a position"),
                    Position::default(),
                )
            })?,
        };
        let end = (start + 3).min(all.len());
        let items = all[start.min(end)..end]
            .iter()
            .cloned()
            .map(Record::Invoice)
            .collect();
        Ok(Page::new(items, (end < all.len()).then(|| end.to_string())))
    }

    fn push(
        &mut self,
        _action: PushAction,
        items: Vec<PushItem>,
    ) -> Result<Vec<ItemResult>, PluginError> {
        Ok(items
            .into_iter()
            .map(|item| {
                let key = item.idempotency_key;
                if let Some(id) = self.written.get(&key) {
                    return ItemResult::already_applied(key, Some(id.clone()));
                }
                let id = format!("memo-{}", self.written.len() + 1);
                self.written.insert(key.clone(), id.clone());
                ItemResult::applied(key, Some(id))
            })
            .collect())
    }
}

fn invoice(n: u32) -> Invoice {
    Invoice {
        origin: Origin::new("books", n.to_string()),
        number: format!("INV-{n:04}"),
        customer_id: "C-7".into(),
        customer_name: None,
        issue_date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        due_date: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        terms: Some("Net 30".into()),
        currency: Currency::parse("EUR").unwrap(),
        total: Decimal::from_str("100.00").unwrap() + Decimal::from(n),
        open_amount: Decimal::from_str("100.00").unwrap(),
        book_rate: None,
        home_total: None,
        home_open: None,
        payment_reference: None,
        status: DocumentStatus::Open,
    }
}

fn host_with(invoices: &[Invoice]) -> Arc<MockHost> {
    Arc::new(
        MockHost::new()
            .with_file("ledger.json", serde_json::to_vec(invoices).unwrap())
            .with_secret("api_key", "k-123"),
    )
}

#[test]
fn seven_invoices_arrive_in_three_pages_and_the_last_has_no_cursor() {
    let invoices: Vec<Invoice> = (1..=7).map(invoice).collect();
    let plugin = round_trip::<Ledger>();
    let mut instance = plugin
        .create(host_with(&invoices), &json!({"path": "ledger.json"}))
        .unwrap();
    let mut cursor = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = instance.pull(Stream::Invoices, cursor.as_deref()).unwrap();
        pages += 1;
        seen.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<Record> = invoices.into_iter().map(Record::Invoice).collect();
    assert_eq!(seen, expected);
}

#[test]
fn the_manifest_crosses_the_boundary_with_the_real_panic_strategy() {
    let manifest = round_trip::<Ledger>().manifest().unwrap();
    assert_eq!(manifest.name, "ledger");
    assert_eq!(manifest.protocol, arsync_plugin_abi::PROTOCOL_VERSION);
    assert_eq!(manifest.panic_strategy, crate::PanicStrategy::Unwind);
    assert!(manifest.has(&Capability::Pull(Stream::Invoices)));
}

#[test]
fn settings_without_a_path_are_refused_naming_the_field() {
    let err = round_trip::<Ledger>()
        .create(host_with(&[]), &json!({"file": "ledger.json"}))
        .unwrap_err();
    let CallError::Plugin(e) = err else {
        panic!("expected a plugin error, got {err:?}")
    };
    assert_eq!(e.kind, ErrorKind::InvalidConfig);
    assert_eq!(e.position.and_then(|p| p.field).as_deref(), Some("path"));
}

#[test]
fn settings_that_are_not_a_table_are_an_invalid_config() {
    let err = round_trip::<Ledger>()
        .create(host_with(&[]), &json!(["ledger.json"]))
        .unwrap_err();
    assert!(matches!(err, CallError::Plugin(ref e) if e.kind == ErrorKind::InvalidConfig));
}

#[test]
fn a_missing_secret_is_an_auth_error_from_the_host() {
    let host = Arc::new(MockHost::new().with_file("ledger.json", "[]"));
    let err = round_trip::<Ledger>()
        .create(host, &json!({"path": "ledger.json"}))
        .unwrap_err();
    assert!(matches!(err, CallError::Plugin(ref e) if e.kind == ErrorKind::Auth));
}

#[test]
fn the_plugin_log_reaches_the_host() {
    let host = host_with(&[]);
    let _instance = round_trip::<Ledger>()
        .create(host.clone(), &json!({"path": "ledger.json"}))
        .unwrap();
    assert_eq!(
        host.logs(),
        vec![(Level::Info, "opening ledger.json".to_owned())]
    );
}

#[test]
fn a_corrupt_ledger_file_is_invalid_data_with_the_file_and_line() {
    let host = Arc::new(
        MockHost::new()
            .with_file("ledger.json", "[\n{\"number\": 1}\n]")
            .with_secret("api_key", "k"),
    );
    let mut instance = round_trip::<Ledger>()
        .create(host, &json!({"path": "ledger.json"}))
        .unwrap();
    let err = instance.pull(Stream::Invoices, None).unwrap_err();
    let CallError::Plugin(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.kind, ErrorKind::InvalidData);
    let at = e.position.unwrap();
    assert_eq!(at.source.as_deref(), Some("ledger.json"));
    assert_eq!(at.line, Some(2));
}

#[test]
fn the_same_overdue_status_pushed_twice_is_written_once() {
    let mut instance = round_trip::<Ledger>()
        .create(host_with(&[]), &json!({"path": "ledger.json"}))
        .unwrap();
    let status = OverdueStatus {
        connection: "books".into(),
        item_id: "130".into(),
        number: "INV-0130".into(),
        as_of: NaiveDate::from_ymd_opt(2026, 4, 15).unwrap(),
        days_overdue: 15,
        bucket: "1-30".into(),
        state: CollectionState::Overdue,
        ladder_step: Some(2),
        action: None,
        open: Money::new(Decimal::from(100), Currency::parse("EUR").unwrap()),
        interest: None,
        compensation: None,
    };
    let item = PushItem {
        idempotency_key: "books/status/130/2026-04-15".into(),
        record: Outgoing::OverdueStatus(status),
    };
    let first = instance
        .push(PushAction::Status, vec![item.clone()])
        .unwrap();
    let second = instance.push(PushAction::Status, vec![item]).unwrap();
    assert_eq!(first[0].outcome, PushOutcome::Applied);
    assert_eq!(second[0].outcome, PushOutcome::AlreadyApplied);
    assert_eq!(first[0].external_id, second[0].external_id);
    let _ = ItemKind::Invoice;
}

#[test]
fn a_panic_inside_pull_is_caught_and_the_instance_refuses_further_work() {
    let mut instance = round_trip::<Ledger>()
        .create(host_with(&[invoice(1)]), &json!({"path": "ledger.json"}))
        .unwrap();
    let err = instance
        .pull(Stream::Invoices, Some("explode"))
        .unwrap_err();
    assert_eq!(
        err,
        CallError::Panic("the ledger file changed under our feet".into())
    );
    let after = instance.pull(Stream::Invoices, None).unwrap_err();
    assert!(matches!(after, CallError::Plugin(ref e) if e.kind == ErrorKind::Fatal));
}

#[test]
fn a_stream_the_manifest_does_not_declare_is_unsupported() {
    let mut instance = round_trip::<Ledger>()
        .create(host_with(&[]), &json!({"path": "ledger.json"}))
        .unwrap();
    let err = instance.pull(Stream::BankEntries, None).unwrap_err();
    let CallError::Plugin(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("pull_invoices"), "{}", e.message);
}

#[test]
fn close_is_answered() {
    let mut instance = round_trip::<Ledger>()
        .create(host_with(&[]), &json!({"path": "ledger.json"}))
        .unwrap();
    instance.close().unwrap();
}

/// Exchange rates from a feed over HTTP, to exercise `Host::http` through the round trip.
struct RateFeed {
    host: Host,
}

impl Connector for RateFeed {
    fn manifest() -> Manifest {
        Manifest::new("rate-feed", "0.1.0")
            .pulls(Stream::FxRates)
            .allow_host("rates.example.org")
    }

    fn create(_settings: serde_json::Value, host: Host) -> Result<Self, PluginError> {
        Ok(Self { host })
    }

    fn pull(&mut self, _stream: Stream, _cursor: Option<&str>) -> Result<Page, PluginError> {
        let token = self.host.secret("feed_token")?;
        let answer = self.host.http(
            &HttpRequest::get("https://rates.example.org/eurofxref/2026-01-15")
                .header("x-token", token.expose()),
        )?;
        if answer.status == 429 {
            return Err(PluginError::rate_limited("the feed asks to slow down", 60));
        }
        let rates: Vec<FxRate> = answer.json()?;
        Ok(Page::new(
            rates.into_iter().map(Record::FxRate).collect(),
            None,
        ))
    }
}

#[test]
fn a_rate_from_the_feed_arrives_through_the_hosts_http_with_the_secret_header() {
    let host = Arc::new(
        MockHost::new()
            .with_secret("feed_token", "s3cr3t")
            .with_http(
                "https://rates.example.org/eurofxref/",
                200,
                r#"[{"base":"EUR","quote":"USD","date":"2026-01-15","rate":"1.0421","source":"ECB"}]"#,
            ),
    );
    let mut instance = round_trip::<RateFeed>()
        .create(host.clone(), &json!({}))
        .unwrap();
    let page = instance.pull(Stream::FxRates, None).unwrap();
    let Record::FxRate(rate) = &page.items[0] else {
        panic!("{page:?}")
    };
    assert_eq!(rate.rate.to_string(), "1.0421");
    let sent = host.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].headers.get("x-token").map(String::as_str),
        Some("s3cr3t")
    );
}

#[test]
fn a_429_from_the_feed_becomes_rate_limited_with_its_wait() {
    let host = Arc::new(MockHost::new().with_secret("feed_token", "t").with_http(
        "https://rates.example.org/",
        429,
        "",
    ));
    let mut instance = round_trip::<RateFeed>().create(host, &json!({})).unwrap();
    let err = instance.pull(Stream::FxRates, None).unwrap_err();
    let CallError::Plugin(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_after_secs, Some(60));
}

#[test]
fn a_secret_never_shows_in_debug_output() {
    let secret = Secret::new("refresh-token-abc");
    assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    assert_eq!(secret.expose(), "refresh-token-abc");
}
