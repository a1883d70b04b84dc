//! The `extern "C"` functions [`crate::declare_plugin!`] puts in a plugin's table. Every one of
//! them catches panics, so no unwind ever crosses the boundary.
//!
//! Not part of the public API: use the macro.

use crate::connector::{Connector, Reply, dispatch, manifest_for};
use crate::host::Host;
use crate::protocol::PluginError;
use arsync_plugin_abi::{
    ABI_VERSION, Bytes, HOST_API_V1_SIZE, HostApi, OwnedBuffer, PLUGIN_API_V1_SIZE, PluginApi,
    status,
};
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

struct Instance<C> {
    connector: C,
    /// Set when a call panicked: the connector's state can no longer be trusted.
    poisoned: bool,
}

fn put(out: *mut OwnedBuffer, bytes: Vec<u8>) {
    if out.is_null() {
        return;
    }
    // SAFETY: the caller passed a writable `OwnedBuffer` slot (checked non-null above).
    unsafe { out.write(OwnedBuffer::from_vec(bytes)) };
}

fn put_error(out: *mut OwnedBuffer, error: &PluginError) -> i32 {
    let bytes = serde_json::to_vec(error).unwrap_or_else(|_| error.message.clone().into_bytes());
    put(out, bytes);
    status::ERROR
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}

fn guarded(out: *mut OwnedBuffer, body: impl FnOnce() -> i32) -> i32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(code) => code,
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            // Writing the message allocates; guard that too so nothing unwinds out.
            let _ = catch_unwind(AssertUnwindSafe(|| put(out, message.into_bytes())));
            status::PANIC
        }
    }
}

/// `PluginApi.manifest` for connector `C`.
pub fn manifest<C: Connector>(out: *mut OwnedBuffer, unwinds: bool) -> i32 {
    guarded(out, || {
        match serde_json::to_vec(&manifest_for::<C>(unwinds)) {
            Ok(bytes) => {
                put(out, bytes);
                status::OK
            }
            Err(e) => put_error(
                out,
                &PluginError::fatal(format!("cannot encode the manifest: {e}")),
            ),
        }
    })
}

extern "C" fn create<C: Connector>(
    host: *const HostApi,
    config: Bytes,
    instance: *mut *mut c_void,
    out: *mut OwnedBuffer,
) -> i32 {
    guarded(out, || {
        if host.is_null() || instance.is_null() {
            put(
                out,
                b"create needs a host table and an instance slot".to_vec(),
            );
            return status::BAD_CALL;
        }
        // SAFETY: non-null, and the ABI says it points to a HostApi whose `size` we check
        // before touching any other field.
        let size = unsafe { (*host).size };
        // SAFETY: as above; `abi_version` is inside the checked size.
        if size < HOST_API_V1_SIZE || unsafe { (*host).abi_version } != ABI_VERSION {
            put(
                out,
                b"the host table is older or another ABI than v1".to_vec(),
            );
            return status::BAD_CALL;
        }
        // SAFETY: borrowed input, valid for this call.
        let config = unsafe { config.as_slice() };
        let settings: serde_json::Value = match serde_json::from_slice(config) {
            Ok(v) => v,
            Err(e) => {
                return put_error(
                    out,
                    &PluginError::invalid_config("", format!("the settings are not JSON: {e}")),
                );
            }
        };
        if !settings.is_object() {
            return put_error(
                out,
                &PluginError::invalid_config(
                    "",
                    format!(
                        "the connection settings must be a table of keys and values, not {settings}"
                    ),
                ),
            );
        }
        // SAFETY: checked above; the host keeps the table valid until `destroy`.
        let host = unsafe { Host::from_raw(host) };
        match C::create(settings, host) {
            Ok(connector) => {
                let boxed = Box::new(Instance {
                    connector,
                    poisoned: false,
                });
                // SAFETY: `instance` is a non-null, writable slot (checked above).
                unsafe { instance.write(Box::into_raw(boxed).cast::<c_void>()) };
                status::OK
            }
            Err(e) => put_error(out, &e),
        }
    })
}

extern "C" fn call<C: Connector>(
    instance: *mut c_void,
    method: Bytes,
    request: Bytes,
    out: *mut OwnedBuffer,
) -> i32 {
    if instance.is_null() {
        put(out, b"call on a null instance".to_vec());
        return status::BAD_CALL;
    }
    // SAFETY: a non-null instance is a pointer `create::<C>` made from a Box and the host has
    // not destroyed it yet; the host serialises calls per instance.
    let instance = unsafe { &mut *instance.cast::<Instance<C>>() };
    if instance.poisoned {
        return put_error(
            out,
            &PluginError::fatal(
                "this instance panicked in an earlier call and can no longer be used; create a new one",
            ),
        );
    }
    let code = guarded(out, || {
        // SAFETY: borrowed inputs, valid for this call.
        let (method, request) = unsafe { (method.as_slice(), request.as_slice()) };
        let Ok(method) = std::str::from_utf8(method) else {
            put(out, b"the method name is not UTF-8".to_vec());
            return status::BAD_CALL;
        };
        match dispatch(&mut instance.connector, method, request) {
            Reply::Ok(bytes) => {
                put(out, bytes);
                status::OK
            }
            Reply::Err(e) => put_error(out, &e),
        }
    });
    if code == status::PANIC {
        instance.poisoned = true;
    }
    code
}

extern "C" fn destroy<C: Connector>(instance: *mut c_void) {
    if instance.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: made by `create::<C>` with Box::into_raw, destroyed once by the host.
        drop(unsafe { Box::from_raw(instance.cast::<Instance<C>>()) });
    }));
}

extern "C" fn free(buffer: OwnedBuffer) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: every buffer this library hands out comes from `OwnedBuffer::from_vec` here.
        drop(unsafe { buffer.reclaim() });
    }));
}

/// The plugin table for `C`, with `manifest` being the plugin crate's own wrapper (so the
/// panic strategy is the one the plugin crate was compiled with).
pub const fn plugin_api<C: Connector>(
    manifest: extern "C" fn(*mut OwnedBuffer) -> i32,
) -> PluginApi {
    PluginApi {
        size: PLUGIN_API_V1_SIZE,
        abi_version: ABI_VERSION,
        manifest,
        create: create::<C>,
        call: call::<C>,
        destroy: destroy::<C>,
        free,
    }
}

/// Answer the entry point: the table if the host speaks ABI v1, else null.
pub fn entry(host_abi: u32, api: &'static PluginApi) -> *const PluginApi {
    if host_abi == ABI_VERSION {
        api
    } else {
        std::ptr::null()
    }
}
