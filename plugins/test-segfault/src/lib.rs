//! Test plugin `test-segfault`: the first page of invoices is served normally with the
//! cursor `"segfault"`; pulling from that cursor reads through a null pointer, as a plugin
//! with a memory bug in native code would. Used to prove that process isolation confines a
//! segmentation fault to the child, which is restarted.
//!
//! With `ARSYNC_TEST_PLUGIN_FAULT=manifest` in its environment it crashes the same way when
//! asked for its manifest: used to prove that discovery reads manifests in a child.
#![allow(unsafe_code)]

use arsync_sdk::prelude::*;

/// The environment variable that makes the plugin crash early: `manifest`.
pub const FAULT_ENV: &str = "ARSYNC_TEST_PLUGIN_FAULT";

fn segfault() -> u64 {
    let null: *const u64 = std::ptr::null();
    // SAFETY: not safe at all, deliberately: this plugin exists to crash with SIGSEGV so the
    // tests can prove the crash stays in the child process.
    unsafe { std::ptr::read_volatile(null) }
}

/// A connector whose second page crashes with SIGSEGV.
pub struct TestSegfault;

impl Connector for TestSegfault {
    fn manifest() -> Manifest {
        if std::env::var_os(FAULT_ENV).is_some_and(|v| v == "manifest") {
            let _ = segfault();
        }
        Manifest::new("test-segfault", env!("CARGO_PKG_VERSION"))
            .describe("Segfaults on its second page")
            .pulls(Stream::Invoices)
    }

    fn create(_settings: serde_json::Value, _host: Host) -> Result<Self, PluginError> {
        Ok(Self)
    }

    fn pull(&mut self, _stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        match cursor {
            None => Ok(Page::new(Vec::new(), Some("segfault".into()))),
            Some(_) => Err(PluginError::fatal(format!(
                "unreachable: read {}",
                segfault()
            ))),
        }
    }
}

arsync_sdk::declare_plugin!(TestSegfault);
