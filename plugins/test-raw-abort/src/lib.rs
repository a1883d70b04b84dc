//! Test plugin `test-raw-abort`: implements ABI v1 by hand, with no SDK, the way a plugin
//! in another language would, and declares `"panic_strategy": "abort"` in its manifest as a
//! library built with `panic = "abort"` must. The host has to refuse it in-process and may run
//! it with process isolation. It serves an empty `pull_invoices` and answers every other
//! method `unsupported`.
#![allow(unsafe_code)]

use arsync_plugin_abi::{
    ABI_VERSION, Bytes, HostApi, OwnedBuffer, PLUGIN_API_V1_SIZE, PluginApi, status,
};
use std::ffi::c_void;

const MANIFEST: &str = r#"{"name":"test-raw-abort","version":"0.1.0","protocol":"1.0.0",
"description":"Bare-ABI plugin built to abort on panic","capabilities":["pull_invoices"],
"config_schema":{"type":"object"},"allowed_hosts":[],"panic_strategy":"abort"}"#;

fn put(out: *mut OwnedBuffer, text: &str) {
    if !out.is_null() {
        // SAFETY: the host passes a writable slot.
        unsafe { out.write(OwnedBuffer::from_vec(text.as_bytes().to_vec())) };
    }
}

extern "C" fn manifest(out: *mut OwnedBuffer) -> i32 {
    put(out, MANIFEST);
    status::OK
}

extern "C" fn create(
    _host: *const HostApi,
    _config: Bytes,
    instance: *mut *mut c_void,
    _out: *mut OwnedBuffer,
) -> i32 {
    if instance.is_null() {
        return status::BAD_CALL;
    }
    // SAFETY: non-null slot provided by the host.
    unsafe { instance.write(Box::into_raw(Box::new(0u8)).cast::<c_void>()) };
    status::OK
}

extern "C" fn call(
    _instance: *mut c_void,
    method: Bytes,
    _request: Bytes,
    out: *mut OwnedBuffer,
) -> i32 {
    // SAFETY: borrowed for the duration of the call.
    match unsafe { method.as_slice() } {
        b"pull_invoices" => {
            put(out, r#"{"items":[],"next_cursor":null}"#);
            status::OK
        }
        b"close" => {
            put(out, "{}");
            status::OK
        }
        _ => {
            put(
                out,
                r#"{"kind":"unsupported","message":"test-raw-abort only pulls invoices"}"#,
            );
            status::ERROR
        }
    }
}

extern "C" fn destroy(instance: *mut c_void) {
    if !instance.is_null() {
        // SAFETY: made by `create` with Box::into_raw of a u8.
        drop(unsafe { Box::from_raw(instance.cast::<u8>()) });
    }
}

extern "C" fn free(buffer: OwnedBuffer) {
    // SAFETY: every buffer comes from OwnedBuffer::from_vec in this library.
    drop(unsafe { buffer.reclaim() });
}

static API: PluginApi = PluginApi {
    size: PLUGIN_API_V1_SIZE,
    abi_version: ABI_VERSION,
    manifest,
    create,
    call,
    destroy,
    free,
};

/// The ABI v1 entry point.
#[unsafe(no_mangle)]
pub extern "C" fn arsync_plugin_v1(host_abi: u32) -> *const PluginApi {
    if host_abi == ABI_VERSION {
        &API
    } else {
        std::ptr::null()
    }
}
