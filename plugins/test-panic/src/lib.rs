//! Test plugin `test-panic`: creates fine, then panics inside every `pull_invoices`. Used to
//! prove that a panic is caught at the library boundary in-process and in the plugin host.

use arsync_sdk::prelude::*;

/// A connector whose pulls always panic.
pub struct TestPanic;

impl Connector for TestPanic {
    fn manifest() -> Manifest {
        Manifest::new("test-panic", env!("CARGO_PKG_VERSION"))
            .describe("Panics inside pull_invoices")
            .pulls(Stream::Invoices)
    }

    fn create(_settings: serde_json::Value, _host: Host) -> Result<Self, PluginError> {
        Ok(Self)
    }

    #[allow(clippy::panic)]
    fn pull(&mut self, _stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        panic!("test-panic: the books are on fire (cursor {cursor:?})");
    }
}

arsync_sdk::declare_plugin!(TestPanic);
