//! Test plugin `test-hang`: the first page of invoices is served normally with the cursor
//! `"hang"`; pulling from that cursor never returns. Used to prove the per-call timeout, the
//! restart with backoff and the quarantine of process isolation.

use arsync_sdk::prelude::*;
use std::time::Duration;

/// A connector whose second page never comes.
pub struct TestHang;

impl Connector for TestHang {
    fn manifest() -> Manifest {
        Manifest::new("test-hang", env!("CARGO_PKG_VERSION"))
            .describe("Never answers its second page")
            .pulls(Stream::Invoices)
    }

    fn create(_settings: serde_json::Value, _host: Host) -> Result<Self, PluginError> {
        Ok(Self)
    }

    fn pull(&mut self, _stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        match cursor {
            None => Ok(Page::new(Vec::new(), Some("hang".into()))),
            Some(_) => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
        }
    }
}

arsync_sdk::declare_plugin!(TestHang);
