//! Test plugin `test-abort`: the first page of invoices is served normally with the cursor
//! `"abort"`; pulling from that cursor aborts the whole process, as a plugin with a
//! `panic = "abort"` build or a crashing native library would. Used to prove that process
//! isolation confines the crash to the child, which is restarted.
//!
//! With `ARSYNC_TEST_PLUGIN_FAULT=load` in its environment it aborts while the library is
//! being loaded (in a constructor, Linux only), and with `ARSYNC_TEST_PLUGIN_FAULT=manifest`
//! when asked for its manifest: used to prove that discovery reads manifests in a child.

use arsync_sdk::prelude::*;

/// The environment variable that makes the plugin misbehave early: `load` or `manifest`.
pub const FAULT_ENV: &str = "ARSYNC_TEST_PLUGIN_FAULT";

fn fault_at(stage: &str) -> bool {
    std::env::var_os(FAULT_ENV).is_some_and(|v| v == stage)
}

#[cfg(target_os = "linux")]
extern "C" fn abort_at_load() {
    if fault_at("load") {
        std::process::abort();
    }
}

/// Runs when the library is loaded, before anything of it is called.
#[cfg(target_os = "linux")]
#[used]
#[allow(unsafe_code)] // a load-time constructor is the point of this mode
#[unsafe(link_section = ".init_array")]
static AT_LOAD: extern "C" fn() = abort_at_load;

/// A connector whose second page kills the process.
pub struct TestAbort;

impl Connector for TestAbort {
    fn manifest() -> Manifest {
        if fault_at("manifest") {
            std::process::abort();
        }
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
