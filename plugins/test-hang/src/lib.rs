//! Test plugin `test-hang`: the first page of invoices is served normally with the cursor
//! `"hang"`; pulling from that cursor never returns. Used to prove the per-call timeout, the
//! restart with backoff and the quarantine of process isolation, and the per-call timeout
//! of in-process calls.
//!
//! With `ARSYNC_TEST_PLUGIN_FAULT=load` in its environment it hangs while the library is
//! being loaded (in a constructor, Linux only), and with `ARSYNC_TEST_PLUGIN_FAULT=manifest`
//! when asked for its manifest: used to prove that discovery gives up on it in time.

use arsync_sdk::prelude::*;
use std::time::Duration;

/// The environment variable that makes the plugin misbehave early: `load` or `manifest`.
pub const FAULT_ENV: &str = "ARSYNC_TEST_PLUGIN_FAULT";

fn fault_at(stage: &str) -> bool {
    std::env::var_os(FAULT_ENV).is_some_and(|v| v == stage)
}

fn hang() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

#[cfg(target_os = "linux")]
extern "C" fn hang_at_load() {
    if fault_at("load") {
        hang();
    }
}

/// Runs when the library is loaded, before anything of it is called.
#[cfg(target_os = "linux")]
#[used]
#[allow(unsafe_code)] // a load-time constructor is the point of this mode
#[unsafe(link_section = ".init_array")]
static AT_LOAD: extern "C" fn() = hang_at_load;

/// A connector whose second page never comes.
pub struct TestHang;

impl Connector for TestHang {
    fn manifest() -> Manifest {
        if fault_at("manifest") {
            hang();
        }
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
            Some(_) => hang(),
        }
    }
}

arsync_sdk::declare_plugin!(TestHang);
