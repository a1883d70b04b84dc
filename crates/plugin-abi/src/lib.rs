//! The arsync plugin ABI, version 1: the only things that cross the boundary between the
//! agent and a plugin library.
//!
//! This crate owns the exported symbol name, the `#[repr(C)]` function tables
//! ([`PluginApi`], [`HostApi`]), the byte buffers ([`Bytes`] borrowed in, [`OwnedBuffer`] owned
//! out) and the [`status`] codes. Everything else travels as JSON inside those buffers; the
//! messages are specified in `PROTOCOL.md` next to this file and typed in `arsync-sdk`.
//!
//! It has no dependencies and must never gain any: a plugin built against an old copy of this
//! crate has to keep working with a newer agent, so nothing Rust-shaped (no `String`, no `Vec`,
//! no trait object, no `Result`) appears in these types.
#![allow(unsafe_code)]
#![deny(missing_docs)]

use std::ffi::c_void;

/// The ABI major version. It is also spelled in the name of the exported symbol, so a library
/// built for another major version simply has no [`ENTRY_SYMBOL`].
pub const ABI_VERSION: u32 = 1;

/// Name of the function every plugin library exports (without the trailing NUL).
pub const ENTRY_SYMBOL_NAME: &str = "arsync_plugin_v1";

/// [`ENTRY_SYMBOL_NAME`] with its trailing NUL, as `dlsym` wants it.
pub const ENTRY_SYMBOL: &[u8] = b"arsync_plugin_v1\0";

/// The protocol (JSON messages) version this copy of the crate describes, as semver.
/// A plugin reports the protocol it speaks in its manifest; see `PROTOCOL.md`, "Versioning".
pub const PROTOCOL_VERSION: &str = "1.0.0";

/// Signature of [`ENTRY_SYMBOL`]: given the host's ABI version, return the plugin's table, or
/// null if the plugin cannot work with that host. The table MUST live for the whole process.
pub type EntryFn = unsafe extern "C" fn(host_abi: u32) -> *const PluginApi;

/// Status codes returned by every call across the boundary.
pub mod status {
    /// The call succeeded; the output buffer holds the JSON answer.
    pub const OK: i32 = 0;
    /// The call failed in a way the plugin understood; the output buffer holds a JSON error
    /// object (`{"kind": ..., "message": ...}`).
    pub const ERROR: i32 = 1;
    /// The plugin panicked; the panic was caught at the boundary and the output buffer holds
    /// the panic message as UTF-8 text. The instance MUST NOT be used again.
    pub const PANIC: i32 = 2;
    /// The caller broke the ABI contract (null pointer, table too small, input not UTF-8 or not
    /// JSON); the output buffer, if any, holds a UTF-8 explanation.
    pub const BAD_CALL: i32 = 3;
    /// The method name is not known to the callee. The output buffer may be empty.
    pub const UNKNOWN_METHOD: i32 = 4;
}

/// Borrowed input bytes: valid only for the duration of the call that receives them.
/// The callee MUST NOT keep the pointer, write through it or free it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Bytes {
    /// First byte, or any non-null dangling pointer when `len` is 0.
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

impl Bytes {
    /// Borrow a slice for the duration of a call.
    pub fn from_slice(slice: &[u8]) -> Self {
        Self {
            ptr: slice.as_ptr(),
            len: slice.len(),
        }
    }

    /// View the bytes again as a slice.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes that stay valid and unchanged for `'a`
    /// (the ABI guarantees this for the duration of the call that received them).
    pub unsafe fn as_slice<'a>(self) -> &'a [u8] {
        if self.ptr.is_null() || self.len == 0 {
            return &[];
        }
        // SAFETY: the caller guarantees `ptr` is valid for `len` bytes for `'a`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// Bytes allocated by one side and handed to the other. Only the side that allocated them may
/// free them, through the `free` function of its own table.
#[repr(C)]
#[derive(Debug)]
pub struct OwnedBuffer {
    /// First byte, or null for an empty buffer.
    pub ptr: *mut u8,
    /// Number of bytes.
    pub len: usize,
}

impl OwnedBuffer {
    /// An empty buffer, which needs no freeing (freeing it is still allowed).
    pub const EMPTY: OwnedBuffer = OwnedBuffer {
        ptr: std::ptr::null_mut(),
        len: 0,
    };

    /// Hand a byte vector across the boundary. Pair with [`OwnedBuffer::reclaim`] in the same
    /// library: the allocator that made the bytes must be the one that frees them.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        if bytes.is_empty() {
            return Self::EMPTY;
        }
        let boxed = bytes.into_boxed_slice();
        let len = boxed.len();
        let ptr = Box::into_raw(boxed).cast::<u8>();
        Self { ptr, len }
    }

    /// Take back a buffer made by [`OwnedBuffer::from_vec`] in this same library.
    ///
    /// # Safety
    /// `self` must come from `from_vec` in this library (same allocator), and must not have
    /// been reclaimed before.
    pub unsafe fn reclaim(self) -> Vec<u8> {
        if self.ptr.is_null() || self.len == 0 {
            return Vec::new();
        }
        let slice = std::ptr::slice_from_raw_parts_mut(self.ptr, self.len);
        // SAFETY: `from_vec` made this pointer with `Box::into_raw` of a boxed slice of `len`
        // bytes, and the caller guarantees it has not been freed yet.
        let boxed = unsafe { Box::from_raw(slice) };
        boxed.into_vec()
    }

    /// Copy the bytes out without taking ownership.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes (a buffer the other side has not freed yet).
    pub unsafe fn to_vec(&self) -> Vec<u8> {
        if self.ptr.is_null() || self.len == 0 {
            return Vec::new();
        }
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }.to_vec()
    }
}

/// The host's services as the plugin sees them, handed to `PluginApi::create`.
///
/// The table, and the `ctx` it carries, stay valid until `PluginApi::destroy` returns for the
/// instance it was given to. Fields MUST only be read if `size` says they are present.
#[repr(C)]
#[derive(Debug)]
pub struct HostApi {
    /// `size_of::<HostApi>()` as the host compiled it. Fields added later are appended, so a
    /// plugin reads a field only if its offset ends within `size`.
    pub size: usize,
    /// [`ABI_VERSION`] of the host.
    pub abi_version: u32,
    /// Opaque host context, passed back to every call below.
    pub ctx: *mut c_void,
    /// Call a host capability (`http.request`, `files.read`, `files.write`, `files.list`,
    /// `secrets.get`, `log`, `clock.now`) with a JSON request. On return, `*out` holds the JSON
    /// answer (status [`status::OK`]) or a JSON error (any other status), allocated by the host.
    pub call: extern "C" fn(
        ctx: *mut c_void,
        method: Bytes,
        request: Bytes,
        out: *mut OwnedBuffer,
    ) -> i32,
    /// Free a buffer the host allocated in `call`.
    pub free: extern "C" fn(ctx: *mut c_void, buffer: OwnedBuffer),
}

/// The plugin's table, returned by [`ENTRY_SYMBOL`]. It MUST stay valid for the life of the
/// process (libraries are never unloaded).
#[repr(C)]
#[derive(Debug)]
pub struct PluginApi {
    /// `size_of::<PluginApi>()` as the plugin compiled it; see [`HostApi::size`].
    pub size: usize,
    /// [`ABI_VERSION`] of the plugin.
    pub abi_version: u32,
    /// Write the JSON manifest into `*out`. Needs no instance and no host.
    pub manifest: extern "C" fn(out: *mut OwnedBuffer) -> i32,
    /// Make an instance from a JSON config. On [`status::OK`], `*instance` is set and `*out` is
    /// empty or holds informational JSON; otherwise `*out` holds the error.
    pub create: extern "C" fn(
        host: *const HostApi,
        config: Bytes,
        instance: *mut *mut c_void,
        out: *mut OwnedBuffer,
    ) -> i32,
    /// Call a method (`pull_invoices`, `push_status`, `close`, ...) on an instance with a JSON
    /// request; `*out` receives the JSON answer or error.
    pub call: extern "C" fn(
        instance: *mut c_void,
        method: Bytes,
        request: Bytes,
        out: *mut OwnedBuffer,
    ) -> i32,
    /// Drop an instance. After this the host MAY free its `HostApi` context.
    pub destroy: extern "C" fn(instance: *mut c_void),
    /// Free a buffer the plugin allocated.
    pub free: extern "C" fn(buffer: OwnedBuffer),
}

/// True if a table that reports `size` bytes contains the field ending at `field_end`
/// (offset of the field plus its size).
pub fn table_has(size: usize, field_end: usize) -> bool {
    size >= field_end
}

/// Size of the version-1 [`PluginApi`]; a table smaller than this is refused.
pub const PLUGIN_API_V1_SIZE: usize = std::mem::size_of::<PluginApi>();

/// Size of the version-1 [`HostApi`]; a table smaller than this is refused.
pub const HOST_API_V1_SIZE: usize = std::mem::size_of::<HostApi>();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owned_buffer_survives_the_round_trip_byte_for_byte() {
        let text = br#"{"kind":"invoice","number":"INV-1"}"#.to_vec();
        let buffer = OwnedBuffer::from_vec(text.clone());
        assert_eq!(buffer.len, text.len());
        // SAFETY: made by from_vec just above, reclaimed once.
        let back = unsafe { buffer.reclaim() };
        assert_eq!(back, text);
    }

    #[test]
    fn an_empty_buffer_is_null_and_reclaims_to_nothing() {
        let buffer = OwnedBuffer::from_vec(Vec::new());
        assert!(buffer.ptr.is_null());
        // SAFETY: the empty buffer needs no allocator.
        assert!(unsafe { buffer.reclaim() }.is_empty());
    }

    #[test]
    fn borrowed_bytes_read_back_as_the_same_slice() {
        let input = b"{}";
        let bytes = Bytes::from_slice(input);
        // SAFETY: `input` outlives the view.
        assert_eq!(unsafe { bytes.as_slice() }, input);
    }

    #[test]
    fn the_symbol_name_and_its_nul_terminated_form_agree() {
        assert_eq!(
            &ENTRY_SYMBOL[..ENTRY_SYMBOL.len() - 1],
            ENTRY_SYMBOL_NAME.as_bytes()
        );
        assert!(ENTRY_SYMBOL_NAME.ends_with(&format!("v{ABI_VERSION}")));
    }

    #[test]
    fn tables_start_with_their_size() {
        assert_eq!(std::mem::offset_of!(PluginApi, size), 0);
        assert_eq!(std::mem::offset_of!(HostApi, size), 0);
        assert!(table_has(
            PLUGIN_API_V1_SIZE,
            std::mem::offset_of!(PluginApi, free) + std::mem::size_of::<usize>()
        ));
    }
}
