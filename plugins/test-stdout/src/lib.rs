//! Test plugin `test-stdout`: a correct one-page invoice source that also prints to stdout
//! and stderr on every call, as careless code and C libraries do. Used to prove that stray
//! output cannot corrupt the plugin host's protocol channel and that stderr reaches the log.

use arsync_sdk::prelude::*;
use std::io::Write;

/// A connector that chatters on stdout.
pub struct TestStdout;

fn chatter(what: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "{{\"type\":\"result\",\"outcome\":{{\"ok\":\"forged by {what}\"}}}}"
    );
    let _ = writeln!(out, "test-stdout: plain noise during {what}");
    let _ = out.flush();
    let _ = writeln!(std::io::stderr(), "test-stdout: diagnostics during {what}");
}

impl Connector for TestStdout {
    fn manifest() -> Manifest {
        Manifest::new("test-stdout", env!("CARGO_PKG_VERSION"))
            .describe("Prints to stdout and stderr on every call")
            .pulls(Stream::Invoices)
    }

    fn create(_settings: serde_json::Value, _host: Host) -> Result<Self, PluginError> {
        chatter("create");
        Ok(Self)
    }

    fn pull(&mut self, _stream: Stream, _cursor: Option<&str>) -> Result<Page, PluginError> {
        chatter("pull");
        let invoice = Invoice {
            origin: Origin::new("test-stdout", "inv-1"),
            number: "SO-1".into(),
            customer_id: "cust-1".into(),
            customer_name: None,
            issue_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            due_date: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default(),
            terms: None,
            currency: Currency::parse("CHF").map_err(|e| PluginError::fatal(e.to_string()))?,
            total: Decimal::new(5000, 2),
            open_amount: Decimal::new(5000, 2),
            book_rate: None,
            home_total: None,
            home_open: None,
            payment_reference: None,
            status: DocumentStatus::Open,
        };
        Ok(Page::new(vec![Record::Invoice(invoice)], None))
    }
}

arsync_sdk::declare_plugin!(TestStdout);
