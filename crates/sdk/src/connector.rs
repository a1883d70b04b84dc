//! The safe trait a connector implements, and the exported functions that adapt it to the ABI.

use crate::host::Host;
use crate::protocol::{
    Capability, ItemResult, Manifest, Page, PanicStrategy, PluginError, PullRequest, PushAction,
    PushItem, PushRequest, PushResponse, Stream,
};

/// A connector to one kind of system (a ledger, a bank's statement files, a rate feed).
///
/// One value of this type is one configured connection. Methods are called one at a time,
/// from a blocking thread; they should do one short page of work and return.
pub trait Connector: Send + Sized + 'static {
    /// Name, version, capabilities and config schema. Must not depend on any instance.
    fn manifest() -> Manifest;

    /// Make an instance from the connection's settings (a JSON object). Wrong settings are an
    /// [`crate::ErrorKind::InvalidConfig`] error naming the field and the fix.
    fn create(settings: serde_json::Value, host: Host) -> Result<Self, PluginError>;

    /// One page of `stream`, continuing from `cursor` (`None` for the beginning). Only called
    /// for streams the manifest declares.
    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        let _ = cursor;
        Err(PluginError::unsupported(format!(
            "this plugin does not implement pull_{stream}"
        )))
    }

    /// Write `items`; return one result per item, in order. Pushing an item whose
    /// `idempotency_key` was applied before MUST NOT write again. Only called for actions the
    /// manifest declares.
    fn push(
        &mut self,
        action: PushAction,
        items: Vec<PushItem>,
    ) -> Result<Vec<ItemResult>, PluginError> {
        let _ = items;
        Err(PluginError::unsupported(format!(
            "this plugin does not implement push_{action}"
        )))
    }

    /// Release what the instance holds. Called once before the instance is dropped.
    fn close(&mut self) -> Result<(), PluginError> {
        Ok(())
    }
}

/// The method the conformance kit calls to check that a panic inside a call is caught.
pub const CONFORMANCE_PANIC_METHOD: &str = "conformance_panic";

/// The method that closes an instance.
pub const CLOSE_METHOD: &str = "close";

/// What a call produced: a JSON answer or a JSON error.
pub(crate) enum Reply {
    Ok(Vec<u8>),
    Err(PluginError),
}

fn encode<T: serde::Serialize>(value: &T) -> Reply {
    match serde_json::to_vec(value) {
        Ok(bytes) => Reply::Ok(bytes),
        Err(e) => Reply::Err(PluginError::fatal(format!(
            "the plugin could not encode its answer: {e}"
        ))),
    }
}

fn decode<T: serde::de::DeserializeOwned>(method: &str, request: &[u8]) -> Result<T, PluginError> {
    serde_json::from_slice(request).map_err(|e| {
        PluginError::fatal(format!(
            "the host sent {method} a request the plugin cannot read: {e}"
        ))
    })
}

/// The manifest as the library reports it, with the panic strategy the library was really
/// compiled with (evaluated in the plugin crate by [`crate::declare_plugin!`]).
pub(crate) fn manifest_for<C: Connector>(unwinds: bool) -> Manifest {
    let mut manifest = C::manifest();
    manifest.panic_strategy = if unwinds {
        PanicStrategy::Unwind
    } else {
        PanicStrategy::Abort
    };
    manifest
}

/// Route one method call to the connector.
pub(crate) fn dispatch<C: Connector>(connector: &mut C, method: &str, request: &[u8]) -> Reply {
    if method == CONFORMANCE_PANIC_METHOD {
        #[allow(clippy::panic)]
        {
            panic!("deliberate panic requested by the conformance kit");
        }
    }
    if method == CLOSE_METHOD {
        return match connector.close() {
            Ok(()) => Reply::Ok(b"{}".to_vec()),
            Err(e) => Reply::Err(e),
        };
    }
    let capability = Capability::from(method.to_owned());
    let declared = C::manifest().has(&capability);
    match capability {
        Capability::Pull(stream) if declared => {
            let request: PullRequest = match decode(method, request) {
                Ok(r) => r,
                Err(e) => return Reply::Err(e),
            };
            match connector.pull(stream, request.cursor.as_deref()) {
                Ok(page) => encode(&page),
                Err(e) => Reply::Err(e),
            }
        }
        Capability::Push(action) if declared => {
            let request: PushRequest = match decode(method, request) {
                Ok(r) => r,
                Err(e) => return Reply::Err(e),
            };
            let expected = request.items.len();
            match connector.push(action, request.items) {
                Ok(results) if results.len() == expected => encode(&PushResponse { results }),
                Ok(results) => Reply::Err(PluginError::fatal(format!(
                    "the plugin returned {} results for {expected} pushed items",
                    results.len()
                ))),
                Err(e) => Reply::Err(e),
            }
        }
        _ => Reply::Err(PluginError::unsupported(format!(
            "the plugin {} does not declare the method {method}; its capabilities are: {}",
            C::manifest().name,
            C::manifest()
                .capabilities
                .iter()
                .map(Capability::method)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
