//! The host half of the ABI: call a plugin's table, and offer host services to it.
//!
//! Used by `arsync-runtime` for libraries it loads and by the `testing` feature for the
//! in-process FFI round trip, so both exercise exactly the same code. Plugin authors do not
//! need this module.

use crate::protocol::{
    ItemResult, Manifest, Page, PluginError, PullRequest, PushAction, PushItem, PushRequest,
    PushResponse, Stream,
};
use arsync_plugin_abi::{
    ABI_VERSION, Bytes, HOST_API_V1_SIZE, HostApi, OwnedBuffer, PLUGIN_API_V1_SIZE, PluginApi,
    status,
};
use std::ffi::c_void;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// What the host offers a plugin: one JSON method call at a time.
pub trait HostServices: Send + Sync {
    /// Serve `method` (see [`crate::host::methods`]) with a JSON request; answer JSON bytes.
    /// Return `Err` with kind `unsupported` for a method the host does not know.
    fn call(&self, method: &str, request: &[u8]) -> Result<Vec<u8>, PluginError>;
}

/// How a call into a plugin failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The plugin answered with an error of its own.
    Plugin(PluginError),
    /// The plugin panicked; the panic was caught at its boundary.
    Panic(String),
    /// The plugin broke the ABI or sent something that is not the protocol's JSON.
    Protocol(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Plugin(e) => write!(f, "{e}"),
            CallError::Panic(m) => write!(f, "the plugin panicked: {m}"),
            CallError::Protocol(m) => write!(f, "the plugin broke the protocol: {m}"),
        }
    }
}

impl std::error::Error for CallError {}

/// A plugin's function table, checked for size and ABI version.
#[derive(Debug, Clone, Copy)]
pub struct PluginTable {
    api: &'static PluginApi,
}

impl PluginTable {
    /// Check a table returned by a plugin's entry point.
    ///
    /// # Safety
    /// `ptr` must be null or point to a `PluginApi` valid for the rest of the process (the
    /// library is never unloaded).
    pub unsafe fn from_raw(ptr: *const PluginApi) -> Result<Self, String> {
        if ptr.is_null() {
            return Err(format!(
                "the plugin's entry point returned no table for ABI v{ABI_VERSION}"
            ));
        }
        // SAFETY: non-null and valid for the process per the caller; only `size` is read
        // before it is checked.
        let size = unsafe { (*ptr).size };
        if size < PLUGIN_API_V1_SIZE {
            return Err(format!(
                "the plugin's table is {size} bytes, smaller than the {PLUGIN_API_V1_SIZE} of ABI v1"
            ));
        }
        // SAFETY: the size check shows the whole v1 table is there.
        let api: &'static PluginApi = unsafe { &*ptr };
        if api.abi_version != ABI_VERSION {
            return Err(format!(
                "the plugin's table says ABI v{}, this arsync speaks v{ABI_VERSION}",
                api.abi_version
            ));
        }
        Ok(Self { api })
    }

    /// Wrap a table that lives in this program (the `testing` round trip).
    pub fn from_static(api: &'static PluginApi) -> Self {
        Self { api }
    }

    /// Ask for the manifest.
    pub fn manifest(&self) -> Result<Manifest, CallError> {
        let mut out = OwnedBuffer::EMPTY;
        let code = (self.api.manifest)(&mut out);
        let bytes = self.take(out);
        match code {
            status::OK => serde_json::from_slice(&bytes)
                .map_err(|e| CallError::Protocol(format!("the manifest is not valid: {e}"))),
            other => Err(self.failure(other, &bytes)),
        }
    }

    /// Make an instance with `settings` (the JSON connection settings) served by `host`.
    pub fn create(
        &self,
        host: Arc<dyn HostServices>,
        settings: &serde_json::Value,
    ) -> Result<Instance, CallError> {
        let context = HostContext::new(host);
        let config = settings.to_string();
        let mut raw: *mut c_void = std::ptr::null_mut();
        let mut out = OwnedBuffer::EMPTY;
        let code = (self.api.create)(
            &context.api,
            Bytes::from_slice(config.as_bytes()),
            &mut raw,
            &mut out,
        );
        let bytes = self.take(out);
        match code {
            status::OK if !raw.is_null() => Ok(Instance {
                table: *self,
                raw,
                _host: context,
            }),
            status::OK => Err(CallError::Protocol(
                "create answered OK without an instance".into(),
            )),
            other => Err(self.failure(other, &bytes)),
        }
    }

    fn take(&self, out: OwnedBuffer) -> Vec<u8> {
        // SAFETY: the plugin just filled `out` (or left it empty); copy, then let it free.
        let bytes = unsafe { out.to_vec() };
        (self.api.free)(out);
        bytes
    }

    fn failure(&self, code: i32, bytes: &[u8]) -> CallError {
        let text = || String::from_utf8_lossy(bytes).into_owned();
        match code {
            status::ERROR => match serde_json::from_slice::<PluginError>(bytes) {
                Ok(e) => CallError::Plugin(e),
                Err(e) => CallError::Protocol(format!(
                    "an error that is not the protocol's error object ({e}): {}",
                    text()
                )),
            },
            status::PANIC => CallError::Panic(text()),
            status::BAD_CALL => CallError::Protocol(format!("bad call: {}", text())),
            status::UNKNOWN_METHOD => CallError::Plugin(PluginError::unsupported(format!(
                "unknown method: {}",
                text()
            ))),
            other => CallError::Protocol(format!("unknown status {other}: {}", text())),
        }
    }
}

/// The host table given to one instance, with the services behind it. Boxed so its address
/// is stable for as long as the instance lives.
struct HostContext {
    api: HostApi,
    services: Arc<dyn HostServices>,
}

impl HostContext {
    fn new(services: Arc<dyn HostServices>) -> Box<Self> {
        let mut context = Box::new(HostContext {
            api: HostApi {
                size: HOST_API_V1_SIZE,
                abi_version: ABI_VERSION,
                ctx: std::ptr::null_mut(),
                call: host_call,
                free: host_free,
            },
            services,
        });
        let ctx: *mut HostContext = &mut *context;
        context.api.ctx = ctx.cast::<c_void>();
        context
    }
}

extern "C" fn host_call(
    ctx: *mut c_void,
    method: Bytes,
    request: Bytes,
    out: *mut OwnedBuffer,
) -> i32 {
    let result = catch_unwind(AssertUnwindSafe(|| {
        if ctx.is_null() {
            return (status::BAD_CALL, b"null host context".to_vec());
        }
        // SAFETY: `ctx` is the HostContext box that owns this table; it outlives the instance.
        let context = unsafe { &*ctx.cast::<HostContext>() };
        // SAFETY: borrowed inputs, valid for this call.
        let (method, request) = unsafe { (method.as_slice(), request.as_slice()) };
        let Ok(method) = std::str::from_utf8(method) else {
            return (status::BAD_CALL, b"the method name is not UTF-8".to_vec());
        };
        match context.services.call(method, request) {
            Ok(bytes) => (status::OK, bytes),
            Err(e) => (
                status::ERROR,
                serde_json::to_vec(&e).unwrap_or_else(|_| e.message.into_bytes()),
            ),
        }
    }));
    let (code, bytes) = result.unwrap_or_else(|_| {
        (
            status::PANIC,
            b"the host panicked serving the call".to_vec(),
        )
    });
    if !out.is_null() {
        // SAFETY: writable slot provided by the plugin.
        unsafe { out.write(OwnedBuffer::from_vec(bytes)) };
    }
    code
}

extern "C" fn host_free(_ctx: *mut c_void, buffer: OwnedBuffer) {
    // SAFETY: every buffer the host hands out comes from `OwnedBuffer::from_vec` in this
    // library (the host's allocator).
    drop(unsafe { buffer.reclaim() });
}

/// One created plugin instance. Dropping it destroys the instance.
pub struct Instance {
    table: PluginTable,
    raw: *mut c_void,
    _host: Box<HostContext>,
}

// SAFETY: the protocol lets the host call an instance from any thread as long as calls are not
// concurrent; `&mut self` on every call guarantees that.
unsafe impl Send for Instance {}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance").finish_non_exhaustive()
    }
}

impl Instance {
    /// Call `method` with raw JSON bytes and get the raw JSON answer.
    pub fn call_raw(&mut self, method: &str, request: &[u8]) -> Result<Vec<u8>, CallError> {
        let mut out = OwnedBuffer::EMPTY;
        let code = (self.table.api.call)(
            self.raw,
            Bytes::from_slice(method.as_bytes()),
            Bytes::from_slice(request),
            &mut out,
        );
        let bytes = self.table.take(out);
        match code {
            status::OK => Ok(bytes),
            other => Err(self.table.failure(other, &bytes)),
        }
    }

    /// Call `method` with a typed request and parse the typed answer.
    pub fn call<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
        &mut self,
        method: &str,
        request: &Req,
    ) -> Result<Resp, CallError> {
        let request = serde_json::to_vec(request)
            .map_err(|e| CallError::Protocol(format!("cannot encode the request: {e}")))?;
        let bytes = self.call_raw(method, &request)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            CallError::Protocol(format!(
                "the answer to {method} is not what the protocol says: {e}"
            ))
        })
    }

    /// One page of `stream` from `cursor`.
    pub fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page, CallError> {
        let request = PullRequest {
            cursor: cursor.map(str::to_owned),
        };
        self.call(&stream.method(), &request)
    }

    /// Push `items` with `action`.
    pub fn push(
        &mut self,
        action: PushAction,
        items: Vec<PushItem>,
    ) -> Result<Vec<ItemResult>, CallError> {
        let response: PushResponse = self.call(&action.method(), &PushRequest { items })?;
        Ok(response.results)
    }

    /// Close the instance (it is destroyed when dropped).
    pub fn close(&mut self) -> Result<(), CallError> {
        let _: serde_json::Value =
            self.call(crate::connector::CLOSE_METHOD, &serde_json::json!({}))?;
        Ok(())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        (self.table.api.destroy)(self.raw);
    }
}
