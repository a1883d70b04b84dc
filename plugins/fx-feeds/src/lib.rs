//! Connector plugin `fx-feeds`: exchange rates from the ECB (eurofxref XML or CSV), the
//! Czech National Bank's daily file and other publishers' rate files read through a
//! mapping, and, from multi-currency export feeds (a payment provider's payout report),
//! sales invoices, payments and the provider's conversion rates.
//!
//! This crate owns the protocol side only: settings, fetching through the host, paging and
//! cursors. Parsing is `arsync-feeds`' job. It depends on the SDK and that library and must
//! not depend on the runtime, the store, an HTTP client or anything async: files come
//! through the host's `files.read`, URLs through its `http.request`.
//!
//! # Settings
//!
//! | key | meaning |
//! |---|---|
//! | `path` | a feed file (one of `path` and `url`) |
//! | `url` | an `https://` URL of the feed (plain `http://` only to localhost); the host fetches it. `www.ecb.europa.eu` and `www.cnb.cz` are allowed by the manifest, other hosts must be allowed in the connection's host configuration |
//! | `format` | `ecb-xml`, `ecb-csv`, `cnb`, `mapped` or `export` (required) |
//! | `mapping` | for `mapped`: an `arsync_feeds::Mapping`; for `export`: an `arsync_feeds::ExportMapping` (its `connection` defaults to `fx-feeds`) |
//!
//! Any other key is refused with `invalid_config` naming it. Bodies fetched by URL are
//! text; a zipped feed (the ECB's `eurofxref-hist.zip`) must be unpacked to a file first.
//!
//! # Pulling
//!
//! `pull_fx_rates` serves every feed; `pull_invoices` and `pull_payments` serve export
//! feeds and answer an empty page for rate feeds. Each stream is served in pages of 500
//! records. The cursor is the feed's sha256 (`sha256:<hex>@<offset>` while paging,
//! `sha256:<hex>` once delivered), so an unchanged feed yields an empty page on the next
//! pull and a new publication is delivered from the start; rates are keyed by
//! `base/quote@date`, so re-delivered ones collapse in the store. While paging, an instance
//! serves the snapshot it fetched first rather than fetching the feed for every page.
//! Records the feed library skipped are reported once, as `invalid_data` problems on the
//! first page of `fx_rates` (rate feeds) or `payments` (export feeds). A payout's fee and
//! net are not part of the wire `Payment` and are not delivered. Export records carry no
//! `source_version` (the feed library's record hash is not an ordered version), so the
//! store replaces a record whose content changed; a record that disappears from a later
//! export is not sent as deleted (export feeds are reports of what happened, not lists of
//! what exists).

// `deny`, not `forbid`: the entry point `declare_plugin!` exports needs `#[unsafe(no_mangle)]`.
#![deny(unsafe_code)]
#![deny(missing_docs)]

use arsync_feeds::{ExportMapping, FeedProblem, FeedsError, Mapping, RateFeed};
use arsync_model::payload_hash;
use arsync_sdk::file_cursor::{FileCursor, PAGE_SIZE, window};
use arsync_sdk::prelude::*;
use serde_json::{Map, Value};

/// The name recorded as the connection in the origins of export records, unless the
/// export mapping names another.
pub const CONNECTION: &str = "fx-feeds";

const KEYS: [&str; 4] = ["path", "url", "format", "mapping"];

/// Where the feed is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    File(String),
    Url(String),
}

impl Location {
    fn label(&self) -> &str {
        match self {
            Location::File(s) | Location::Url(s) => s,
        }
    }
}

/// What the feed is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Format {
    EcbXml,
    EcbCsv,
    Cnb,
    Mapped(Box<Mapping>),
    Export(Box<ExportMapping>),
}

impl Format {
    fn is_export(&self) -> bool {
        matches!(self, Format::Export(_))
    }
}

/// One fetched and parsed publication of the feed.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    hash: String,
    rates: Vec<FxRate>,
    invoices: Vec<Invoice>,
    payments: Vec<Payment>,
    problems: Vec<FeedProblem>,
}

/// One configured feed connection.
#[derive(Debug)]
pub struct FxFeeds {
    host: Host,
    location: Location,
    format: Format,
    snapshot: Option<Snapshot>,
}

fn text(map: &Map<String, Value>, key: &str) -> Result<Option<String>, PluginError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
        Some(v) => Err(PluginError::invalid_config(
            key,
            format!("`{key}` must be a non-empty text value, not {v}"),
        )),
    }
}

/// Plain http to this machine (a local mirror, a test server), which the host also allows.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    ["localhost", "127.0.0.1", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|after| after.is_empty() || after.starts_with([':', '/']))
    })
}

fn location(map: &Map<String, Value>) -> Result<Location, PluginError> {
    match (text(map, "path")?, text(map, "url")?) {
        (Some(path), None) => Ok(Location::File(path)),
        (None, Some(url)) if url.starts_with("https://") || is_loopback_http(&url) => {
            Ok(Location::Url(url))
        }
        (None, Some(url)) => Err(PluginError::invalid_config(
            "url",
            format!(
                "`url` {url:?} must start with https://; arsync fetches feeds only over TLS (plain http only from this machine: localhost, 127.0.0.1, [::1])"
            ),
        )),
        (Some(_), Some(_)) => Err(PluginError::invalid_config(
            "url",
            "set either `path` (a file) or `url` (an https address), not both",
        )),
        (None, None) => Err(PluginError::invalid_config(
            "path",
            "set `path` to the feed file or `url` to its https address (e.g. url = \"https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml\")",
        )),
    }
}

fn mapping_error(e: &serde_json::Error, expected: &str) -> PluginError {
    PluginError::invalid_config("mapping", format!("`mapping` is not {expected}: {e}"))
}

fn format(map: &Map<String, Value>) -> Result<Format, PluginError> {
    let name = text(map, "format")?.ok_or_else(|| {
        PluginError::invalid_config(
            "format",
            "set `format` to one of ecb-xml, ecb-csv, cnb, mapped, export",
        )
    })?;
    let mapping = map.get("mapping").filter(|v| !v.is_null());
    let needs = |what: &str| {
        PluginError::invalid_config(
            "mapping",
            format!("format {name} needs a `mapping` table saying {what}"),
        )
    };
    let format = match name.as_str() {
        "ecb-xml" => Format::EcbXml,
        "ecb-csv" => Format::EcbCsv,
        "cnb" => Format::Cnb,
        "mapped" => {
            let value =
                mapping.ok_or_else(|| needs("which fields hold date, base, quote and rate"))?;
            let m: Mapping = serde_json::from_value(value.clone()).map_err(|e| {
                mapping_error(
                    &e,
                    "a rate-file mapping (format, source, date, base, quote, rate)",
                )
            })?;
            Format::Mapped(Box::new(m))
        }
        "export" => {
            let value =
                mapping.ok_or_else(|| needs("which fields hold id, date, currency and amount"))?;
            let mut m: ExportMapping = serde_json::from_value(value.clone()).map_err(|e| {
                mapping_error(
                    &e,
                    "an export mapping (format, source, id, date, currency, amount, ...)",
                )
            })?;
            if m.connection.trim().is_empty() {
                CONNECTION.clone_into(&mut m.connection);
            }
            if m.format.is_none() {
                return Err(PluginError::invalid_config(
                    "mapping.format",
                    "`mapping.format` is required: { type = \"csv\" }, { type = \"json\" } or { type = \"jsonl\" }",
                ));
            }
            for (field, value) in [
                ("source", &m.source),
                ("id", &m.id),
                ("date", &m.date),
                ("currency", &m.currency),
                ("amount", &m.amount),
            ] {
                if value.trim().is_empty() {
                    return Err(PluginError::invalid_config(
                        format!("mapping.{field}"),
                        format!(
                            "`mapping.{field}` is required: name the feed's field that holds it"
                        ),
                    ));
                }
            }
            Format::Export(Box::new(m))
        }
        other => {
            return Err(PluginError::invalid_config(
                "format",
                format!(
                    "`format` {other:?} is not known; use one of ecb-xml, ecb-csv, cnb, mapped, export"
                ),
            ));
        }
    };
    if mapping.is_some() && !matches!(format, Format::Mapped(_) | Format::Export(_)) {
        return Err(PluginError::invalid_config(
            "mapping",
            format!(
                "format {name} has a fixed layout; remove `mapping` (it is read only for mapped and export)"
            ),
        ));
    }
    Ok(format)
}

fn feeds_error(e: &FeedsError, source: &str) -> PluginError {
    match e {
        FeedsError::Mapping { field, .. } => {
            PluginError::invalid_config(format!("mapping.{field}"), e.to_string())
        }
        _ => PluginError::invalid_data(
            format!("{source}: {e}"),
            Position {
                source: Some(source.to_owned()),
                ..Position::default()
            },
        ),
    }
}

fn problem(p: &FeedProblem, source: &str) -> PluginError {
    PluginError::invalid_data(
        format!("{source}: {p}"),
        Position {
            source: Some(source.to_owned()),
            record: Some(p.position.clone()),
            field: p.field.clone(),
            ..Position::default()
        },
    )
}

fn http_error(url: &str, response: &HttpResponse) -> PluginError {
    let status = response.status;
    match status {
        429 => {
            let wait = response
                .headers
                .get("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(60);
            PluginError::rate_limited(format!("{url} asks to slow down (HTTP 429)"), wait)
        }
        500..=599 => PluginError::transient(format!(
            "{url} answered HTTP {status}; the publisher's server has a problem, arsync retries later"
        )),
        _ => PluginError::invalid_config(
            "url",
            format!("{url} answered HTTP {status}; check that `url` is the feed's address"),
        ),
    }
}

impl FxFeeds {
    fn fetch(&self) -> Result<Vec<u8>, PluginError> {
        match &self.location {
            Location::File(path) => self.host.read_file(path),
            Location::Url(url) => {
                let response = self.host.http(&HttpRequest::get(url.clone()))?;
                if (200..300).contains(&response.status) {
                    Ok(response.body.into_bytes())
                } else {
                    Err(http_error(url, &response))
                }
            }
        }
    }

    fn parse(&self, bytes: &[u8], hash: String) -> Result<Snapshot, PluginError> {
        let source = self.location.label();
        let rates = |feed: Result<RateFeed, FeedsError>| -> Result<Snapshot, PluginError> {
            let feed = feed.map_err(|e| feeds_error(&e, source))?;
            Ok(Snapshot {
                hash: hash.clone(),
                rates: feed.rates,
                problems: feed.problems,
                ..Snapshot::default()
            })
        };
        match &self.format {
            Format::EcbXml => rates(arsync_feeds::parse_ecb_xml(bytes)),
            Format::EcbCsv => rates(arsync_feeds::parse_ecb_csv(bytes)),
            Format::Cnb => {
                let text = std::str::from_utf8(bytes).map_err(|e| {
                    PluginError::invalid_data(
                        format!("{source}: the CNB daily file is not UTF-8 text ({e}); download it again from cnb.cz"),
                        Position {
                            source: Some(source.to_owned()),
                            ..Position::default()
                        },
                    )
                })?;
                rates(arsync_feeds::parse_cnb_daily(text))
            }
            Format::Mapped(mapping) => rates(arsync_feeds::parse_mapped(bytes, mapping)),
            Format::Export(mapping) => {
                let feed = arsync_feeds::parse_export(bytes, mapping)
                    .map_err(|e| feeds_error(&e, source))?;
                let invoices = feed.invoices;
                let payments: Vec<Payment> = feed.payments.into_iter().map(|p| p.payment).collect();
                Ok(Snapshot {
                    hash,
                    rates: feed.rates,
                    invoices,
                    payments,
                    problems: feed.problems,
                })
            }
        }
    }

    /// The snapshot to page through: the one in hand while a paging run continues over it,
    /// otherwise the feed as published now. `None` when the feed is unchanged since it was
    /// delivered completely.
    fn snapshot(&mut self, cursor: &FileCursor) -> Result<Option<&Snapshot>, PluginError> {
        let continuing = match (cursor, &self.snapshot) {
            (FileCursor::Within { hash, .. }, Some(s)) => *hash == s.hash,
            _ => false,
        };
        if !continuing {
            let bytes = self.fetch()?;
            let hash = payload_hash(&bytes);
            if cursor.is_delivered(&hash) {
                return Ok(None);
            }
            self.snapshot = Some(self.parse(&bytes, hash)?);
        }
        Ok(self.snapshot.as_ref())
    }
}

impl Connector for FxFeeds {
    fn manifest() -> Manifest {
        Manifest::new("fx-feeds", env!("CARGO_PKG_VERSION"))
            .describe("Exchange rates from the ECB, the CNB and mapped rate files; invoices and payments from export feeds")
            .pulls(Stream::FxRates)
            .pulls(Stream::Invoices)
            .pulls(Stream::Payments)
            .allow_host("www.ecb.europa.eu")
            .allow_host("www.cnb.cz")
            .config_schema(serde_json::json!({
                "type": "object",
                "required": ["format"],
                "additionalProperties": false,
                "properties": {
                    "path": { "type": "string", "description": "the feed file" },
                    "url": { "type": "string", "description": "the feed's https address" },
                    "format": { "enum": ["ecb-xml", "ecb-csv", "cnb", "mapped", "export"] },
                    "mapping": { "type": "object" }
                }
            }))
    }

    fn create(settings: Value, host: Host) -> Result<Self, PluginError> {
        let map = settings.as_object().ok_or_else(|| {
            PluginError::invalid_config(
                "",
                "the connection settings must be a table of keys and values",
            )
        })?;
        if let Some(unknown) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(PluginError::invalid_config(
                unknown.clone(),
                format!(
                    "unknown setting `{unknown}`; the fx-feeds plugin reads: {}",
                    KEYS.join(", ")
                ),
            ));
        }
        let format = format(map)?;
        let location = location(map)?;
        Ok(Self {
            host,
            location,
            format,
            snapshot: None,
        })
    }

    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        let primary = if self.format.is_export() {
            Stream::Payments
        } else {
            Stream::FxRates
        };
        if !self.format.is_export() && stream != Stream::FxRates {
            // A rate feed has no documents: its invoices and payments are always read to the end.
            return Ok(Page::new(Vec::new(), None));
        }
        let cursor = FileCursor::parse(cursor)?;
        let source = self.location.label().to_owned();
        let Some(snapshot) = self.snapshot(&cursor)? else {
            return Ok(Page::new(Vec::new(), None));
        };
        let len = match stream {
            Stream::FxRates => snapshot.rates.len(),
            Stream::Invoices => snapshot.invoices.len(),
            Stream::Payments => snapshot.payments.len(),
            other => {
                return Err(PluginError::unsupported(format!(
                    "an exchange-rate or export feed has no {other}"
                )));
            }
        };
        let (range, next) = window(&cursor, &snapshot.hash, len, PAGE_SIZE);
        let first = range.start == 0;
        let items: Vec<Record> = match stream {
            Stream::FxRates => snapshot.rates[range]
                .iter()
                .cloned()
                .map(Record::FxRate)
                .collect(),
            Stream::Invoices => snapshot.invoices[range]
                .iter()
                .cloned()
                .map(Record::Invoice)
                .collect(),
            _ => snapshot.payments[range]
                .iter()
                .cloned()
                .map(Record::Payment)
                .collect(),
        };
        let mut page = Page::new(items, next);
        if first && stream == primary {
            page.problems = snapshot
                .problems
                .iter()
                .map(|p| problem(p, &source))
                .collect();
        }
        Ok(page)
    }
}

arsync_sdk::declare_plugin!(FxFeeds);

#[cfg(test)]
mod tests;
