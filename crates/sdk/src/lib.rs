//! The arsync plugin SDK: everything a connector plugin depends on, and nothing else.
//!
//! A plugin is a Rust library built as a `cdylib` that implements [`Connector`] and calls
//! [`declare_plugin!`] once. The macro exports the ABI v1 entry point `arsync_plugin_v1`
//! (see `arsync-plugin-abi` and its `PROTOCOL.md`), catches every panic at the boundary, and
//! records how the library was built to handle panics so the agent can refuse an in-process
//! load of a `panic = "abort"` build.
//!
//! This crate owns the safe plugin-side API ([`Connector`], [`Host`]), the protocol messages
//! ([`protocol`]) including the wire [`Record`] enum, and the host half of the ABI ([`client`])
//! that the runtime and the `testing` feature share. It depends only on `arsync-model`,
//! `arsync-plugin-abi`, `serde` and `serde_json`: never on tokio, reqwest or anything that does
//! I/O by itself. The host does the I/O; plugins ask it through [`Host`].
//!
//! # A worked example
//!
//! A connector for a ledger that keeps invoices in a JSON file the connection's settings name,
//! serving two invoices per page and writing overdue statuses back:
//!
//! ```
//! use arsync_sdk::prelude::*;
//! use std::collections::BTreeMap;
//!
//! struct JsonLedger {
//!     host: Host,
//!     path: String,
//!     written: BTreeMap<String, String>,
//! }
//!
//! impl Connector for JsonLedger {
//!     fn manifest() -> Manifest {
//!         Manifest::new("json-ledger", "0.1.0")
//!             .describe("Invoices from a JSON file")
//!             .pulls(Stream::Invoices)
//!             .pushes(PushAction::Status)
//!             .config_schema(serde_json::json!({
//!                 "type": "object",
//!                 "required": ["path"],
//!                 "properties": { "path": { "type": "string" } }
//!             }))
//!     }
//!
//!     fn create(settings: serde_json::Value, host: Host) -> Result<Self, PluginError> {
//!         let path = settings["path"].as_str().ok_or_else(|| {
//!             PluginError::invalid_config("path", "set `path` to the ledger's JSON file")
//!         })?;
//!         Ok(Self { host, path: path.to_owned(), written: BTreeMap::new() })
//!     }
//!
//!     fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
//!         let bytes = self.host.read_file(&self.path)?;
//!         let all: Vec<Invoice> = serde_json::from_slice(&bytes).map_err(|e| {
//!             let at = Position { source: Some(self.path.clone()), line: u64::try_from(e.line()).ok(), ..Position::default() };
//!             PluginError::invalid_data(format!("the ledger is not a list of invoices: {e}"), at)
//!         })?;
//!         let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
//!         let end = (start + 2).min(all.len());
//!         let items = all[start.min(end)..end].iter().cloned().map(Record::Invoice).collect();
//!         let next = (end < all.len()).then(|| end.to_string());
//!         let _ = stream;
//!         Ok(Page::new(items, next))
//!     }
//!
//!     fn push(&mut self, _action: PushAction, items: Vec<PushItem>) -> Result<Vec<ItemResult>, PluginError> {
//!         Ok(items.into_iter().map(|item| {
//!             let key = item.idempotency_key;
//!             match self.written.get(&key) {
//!                 Some(id) => ItemResult::already_applied(key, Some(id.clone())),
//!                 None => {
//!                     let id = format!("note-{}", self.written.len() + 1);
//!                     self.written.insert(key.clone(), id.clone());
//!                     ItemResult::applied(key, Some(id))
//!                 }
//!             }
//!         }).collect())
//!     }
//! }
//!
//! arsync_sdk::declare_plugin!(JsonLedger);
//! # fn main() {}
//! ```
//!
//! With the `testing` feature a plugin's own tests drive it through the real ABI:
//!
//! ```ignore
//! let plugin = arsync_sdk::testing::round_trip::<JsonLedger>();
//! let host = Arc::new(MockHost::new().with_file("ledger.json", r#"[...]"#));
//! let mut instance = plugin.create(host, &json!({"path": "ledger.json"}))?;
//! let page = instance.pull(Stream::Invoices, None)?;
//! ```
#![allow(unsafe_code)]
#![deny(missing_docs)]

pub mod base64;
pub mod client;
mod connector;
#[doc(hidden)]
pub mod export;
pub mod file_cursor;
pub mod host;
pub mod protocol;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use arsync_model as model;
pub use arsync_plugin_abi as abi;
pub use connector::{CLOSE_METHOD, CONFORMANCE_PANIC_METHOD, Connector};
pub use host::{Host, HttpRequest, HttpResponse, Level, Secret};
pub use protocol::{
    Capability, ErrorKind, ItemResult, Manifest, Outgoing, Page, PanicStrategy, PluginError,
    Position, PushAction, PushItem, PushOutcome, Record, Stream,
};
pub use serde_json;

/// Everything a connector usually needs, in one `use`.
pub mod prelude {
    pub use crate::Connector;
    pub use crate::host::{Host, HttpRequest, HttpResponse, Level, Secret};
    pub use crate::protocol::{
        Capability, ErrorKind, ItemResult, Manifest, Outgoing, Page, PluginError, Position,
        PushAction, PushItem, PushOutcome, Record, Stream,
    };
    pub use arsync_model::{
        BankEntry, CollectionTask, CreditNote, Currency, Decimal, DocumentStatus, FxRate, Invoice,
        Money, NaiveDate, Origin, OverdueStatus, Party, Payment,
    };
}

/// Export a [`Connector`] as an arsync plugin: defines `arsync_plugin_v1` and the function
/// table behind it. Call it once, at the root of a `cdylib` crate.
#[macro_export]
macro_rules! declare_plugin {
    ($connector:ty) => {
        const _: () = {
            extern "C" fn __arsync_manifest(out: *mut $crate::abi::OwnedBuffer) -> i32 {
                // `cfg!` is evaluated here, in the plugin crate, so the manifest reports the
                // panic strategy the library was really built with.
                $crate::export::manifest::<$connector>(out, cfg!(panic = "unwind"))
            }

            static __ARSYNC_API: $crate::abi::PluginApi =
                $crate::export::plugin_api::<$connector>(__arsync_manifest);

            /// The ABI v1 entry point of this arsync plugin.
            #[allow(unsafe_code)]
            #[unsafe(no_mangle)]
            pub extern "C" fn arsync_plugin_v1(host_abi: u32) -> *const $crate::abi::PluginApi {
                $crate::export::entry(host_abi, &__ARSYNC_API)
            }
        };
    };
}

#[cfg(test)]
mod tests;
