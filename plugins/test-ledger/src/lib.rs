//! Test plugin `test-ledger`: a well-behaved in-memory ledger. It serves invoices and
//! customers in pages, resumes from cursors in a fresh instance, writes overdue statuses and
//! collection tasks idempotently, reads invoices from a file through the host when its
//! settings name one, and refuses bad settings with `invalid_config`. The runtime's tests and
//! the conformance kit use it as the reference of a plugin that does everything right.
//!
//! Settings: `invoices` (how many to make up, default 5), `page_size` (default 2),
//! `currency` (default `EUR`), `path` (optional JSON file with a list of invoices).

use arsync_sdk::prelude::*;
use std::collections::BTreeMap;

/// One configured connection of the test ledger.
pub struct TestLedger {
    host: Host,
    invoices: Vec<Invoice>,
    path: Option<String>,
    page_size: usize,
    written: BTreeMap<String, String>,
}

fn setting_usize(
    settings: &serde_json::Value,
    key: &str,
    default: usize,
) -> Result<usize, PluginError> {
    match &settings[key] {
        serde_json::Value::Null => Ok(default),
        v => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0 || key == "invoices")
            .ok_or_else(|| {
                PluginError::invalid_config(
                    key,
                    format!("`{key}` must be a positive whole number, not {v}"),
                )
            }),
    }
}

fn made_up_invoices(count: usize, currency: Currency) -> Vec<Invoice> {
    let issue = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default();
    let due = NaiveDate::from_ymd_opt(2026, 2, 4).unwrap_or_default();
    (1..=count)
        .map(|n| {
            let cents = i64::try_from(n).unwrap_or(1) * 12_345;
            Invoice {
                origin: Origin::new("test-ledger", format!("inv-{n}")).with_version("1"),
                number: format!("TL-{n:04}"),
                customer_id: format!("cust-{}", n % 3 + 1),
                customer_name: Some(format!("Customer {}", n % 3 + 1)),
                issue_date: issue,
                due_date: due,
                terms: Some("Net 30".into()),
                currency,
                total: Decimal::new(cents, 2),
                open_amount: Decimal::new(cents, 2),
                book_rate: None,
                home_total: None,
                home_open: None,
                payment_reference: Some(format!("RF18TL{n:04}")),
                status: DocumentStatus::Open,
            }
        })
        .collect()
}

/// One source entry: an invoice, or why the entry at that place could not be read.
type Entry = Result<Invoice, PluginError>;

impl TestLedger {
    /// The ledger's entries in order. A file that is not a JSON list fails as a whole; an
    /// entry that is not an invoice is reported with its place and the rest is still read.
    fn entries(&self) -> Result<Vec<Entry>, PluginError> {
        let Some(path) = &self.path else {
            return Ok(self.invoices.iter().cloned().map(Ok).collect());
        };
        let bytes = self.host.read_file(path)?;
        let raw: Vec<serde_json::Value> = serde_json::from_slice(&bytes).map_err(|e| {
            PluginError::invalid_data(
                format!("{path} is not a JSON list of invoices: {e}"),
                Position {
                    source: Some(path.clone()),
                    line: u64::try_from(e.line()).ok(),
                    column: u64::try_from(e.column()).ok(),
                    ..Position::default()
                },
            )
        })?;
        Ok(raw
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                serde_json::from_value::<Invoice>(value).map_err(|e| {
                    PluginError::invalid_data(
                        format!("entry {} of {path} is not an invoice: {e}", i + 1),
                        Position {
                            source: Some(path.clone()),
                            record: Some(format!("#{}", i + 1)),
                            ..Position::default()
                        },
                    )
                })
            })
            .collect())
    }

    fn page_of(
        &self,
        all: Vec<Entry>,
        cursor: Option<&str>,
        wrap: fn(Invoice) -> Record,
    ) -> Result<Page, PluginError> {
        let start = match cursor {
            None => 0,
            Some(c) => c
                .strip_prefix("offset:")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| {
                    PluginError::invalid_data(
                        format!("cursor {c:?} was not issued by test-ledger"),
                        Position {
                            field: Some("cursor".into()),
                            ..Position::default()
                        },
                    )
                })?,
        };
        let total = all.len();
        let end = start.saturating_add(self.page_size).min(total);
        let mut page = Page::new(Vec::new(), (end < total).then(|| format!("offset:{end}")));
        for entry in all.into_iter().skip(start).take(end.saturating_sub(start)) {
            match entry {
                Ok(invoice) => page.items.push(wrap(invoice)),
                Err(problem) => page.problems.push(problem),
            }
        }
        Ok(page)
    }
}

/// The customer an invoice names, as a party record.
fn customer_of(invoice: Invoice) -> Record {
    let name = invoice
        .customer_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| invoice.customer_id.clone());
    Record::Party(Party {
        origin: Origin::new("test-ledger", invoice.customer_id.clone()),
        name,
        email: None,
        tax_id: None,
        bank_accounts: Vec::new(),
        currency: Some(invoice.currency),
        country: None,
        is_business: true,
    })
}

impl Connector for TestLedger {
    fn manifest() -> Manifest {
        Manifest::new("test-ledger", env!("CARGO_PKG_VERSION"))
            .describe("In-memory test ledger (reference plugin for the conformance kit)")
            .pulls(Stream::Customers)
            .pulls(Stream::Invoices)
            .pushes(PushAction::Status)
            .pushes(PushAction::Task)
            .config_schema(serde_json::json!({
                "type": "object",
                "properties": {
                    "invoices": {"type": "integer", "minimum": 0},
                    "page_size": {"type": "integer", "minimum": 1},
                    "currency": {"type": "string"},
                    "path": {"type": "string"}
                }
            }))
    }

    fn create(settings: serde_json::Value, host: Host) -> Result<Self, PluginError> {
        let count = setting_usize(&settings, "invoices", 5)?;
        let page_size = setting_usize(&settings, "page_size", 2)?;
        let currency = match settings["currency"].as_str() {
            None => Currency::parse("EUR"),
            Some(code) => Currency::parse(code),
        }
        .map_err(|e| PluginError::invalid_config("currency", e.to_string()))?;
        let path = settings["path"].as_str().map(str::to_owned);
        host.log(
            Level::Info,
            &format!("test ledger with {count} invoices, {page_size} per page"),
        );
        Ok(Self {
            host,
            invoices: made_up_invoices(count, currency),
            path,
            page_size,
            written: BTreeMap::new(),
        })
    }

    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        let entries = self.entries()?;
        match stream {
            Stream::Customers => {
                let mut first_invoice: BTreeMap<String, Invoice> = BTreeMap::new();
                for invoice in entries.into_iter().flatten() {
                    first_invoice
                        .entry(invoice.customer_id.clone())
                        .or_insert(invoice);
                }
                let customers: Vec<Entry> = first_invoice.into_values().map(Ok).collect();
                self.page_of(customers, cursor, customer_of)
            }
            _ => self.page_of(entries, cursor, Record::Invoice),
        }
    }

    fn push(
        &mut self,
        action: PushAction,
        items: Vec<PushItem>,
    ) -> Result<Vec<ItemResult>, PluginError> {
        Ok(items
            .into_iter()
            .map(|item| {
                let key = item.idempotency_key;
                if item.record.kind() != action.outgoing_kind() {
                    return ItemResult::failed(
                        key,
                        PluginError::invalid_data(
                            format!(
                                "push_{action} carries {}, not {}",
                                item.record.kind(),
                                action.outgoing_kind()
                            ),
                            Position::default(),
                        ),
                    );
                }
                if let Some(id) = self.written.get(&key) {
                    return ItemResult::already_applied(key, Some(id.clone()));
                }
                let id = format!("{action}-{}", self.written.len() + 1);
                self.written.insert(key.clone(), id.clone());
                ItemResult::applied(key, Some(id))
            })
            .collect())
    }
}

arsync_sdk::declare_plugin!(TestLedger);

#[cfg(test)]
mod tests {
    //! The plugin's own tests, through the SDK's mock host and the real FFI table.

    use super::*;
    use arsync_sdk::client::CallError;
    use arsync_sdk::testing::{MockHost, round_trip};
    use std::sync::Arc;

    #[test]
    fn customers_are_served_once_each_even_with_many_invoices() {
        let plugin = round_trip::<TestLedger>();
        let mut ledger = plugin
            .create(
                Arc::new(MockHost::new()),
                &serde_json::json!({"invoices": 9, "page_size": 10}),
            )
            .unwrap();
        let page = ledger.pull(Stream::Customers, None).unwrap();
        let ids: Vec<String> = page.items.iter().map(Record::external_id).collect();
        assert_eq!(ids, ["cust-1", "cust-2", "cust-3"]);
        assert_eq!(page.next_cursor, None);
    }

    #[test]
    fn a_currency_that_does_not_exist_is_an_invalid_config_naming_it() {
        let err = round_trip::<TestLedger>()
            .create(
                Arc::new(MockHost::new()),
                &serde_json::json!({"currency": "EUX"}),
            )
            .unwrap_err();
        let CallError::Plugin(e) = err else {
            panic!("{err:?}")
        };
        assert_eq!(e.kind, ErrorKind::InvalidConfig);
        assert_eq!(
            e.position.and_then(|p| p.field).as_deref(),
            Some("currency")
        );
    }

    #[test]
    fn an_entry_that_is_no_invoice_is_reported_and_the_rest_still_read() {
        let good =
            serde_json::to_value(&made_up_invoices(1, Currency::parse("EUR").unwrap())[0]).unwrap();
        let file = serde_json::json!([{"origin": 5}, good]).to_string();
        let host = Arc::new(MockHost::new().with_file("books.json", file));
        let mut ledger = round_trip::<TestLedger>()
            .create(host, &serde_json::json!({"path": "books.json"}))
            .unwrap();
        let page = ledger.pull(Stream::Invoices, None).unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.problems.len(), 1);
        let problem = &page.problems[0];
        assert_eq!(problem.kind, ErrorKind::InvalidData);
        let at = problem.position.as_deref().unwrap();
        assert_eq!(
            (at.source.as_deref(), at.record.as_deref()),
            (Some("books.json"), Some("#1"))
        );
    }

    #[test]
    fn a_ledger_file_with_a_broken_line_is_invalid_data_at_that_line() {
        let host = Arc::new(MockHost::new().with_file("books.json", "[\n  {\"origin\": 5},,\n]"));
        let mut ledger = round_trip::<TestLedger>()
            .create(host, &serde_json::json!({"path": "books.json"}))
            .unwrap();
        let err = ledger.pull(Stream::Invoices, None).unwrap_err();
        let CallError::Plugin(e) = err else {
            panic!("{err:?}")
        };
        assert_eq!(e.kind, ErrorKind::InvalidData);
        let at = e.position.unwrap();
        assert_eq!(
            (at.source.as_deref(), at.line),
            (Some("books.json"), Some(2))
        );
    }
}
