//! Test plugin `test-abort`: the first page of invoices is served normally with the cursor
//! `"abort"`; pulling from that cursor aborts the whole process, as a plugin with a
//! `panic = "abort"` build or a crashing native library would. Used to prove that process
//! isolation confines the crash to the child, which is restarted.

use arsync_sdk::prelude::*;

/// A connector whose second page kills the process.
pub struct TestAbort;

impl Connector for TestAbort {
    fn manifest() -> Manifest {
        Manifest::new("test-abort", env!("CARGO_PKG_VERSION"))
            .describe("Aborts the process on its second page")
            .pulls(Stream::Invoices)
    }

    fn create(_settings: serde_json::Value, _host: Host) -> Result<Self, PluginError> {
        Ok(Self)
    }

    fn pull(&mut self, _stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        match cursor {
            None => Ok(Page::new(Vec::new(), Some("abort".into()))),
            Some(_) => std::process::abort(),
        }
    }
}

arsync_sdk::declare_plugin!(TestAbort);
