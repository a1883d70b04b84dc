//! Loading a plugin library into this process with `libloading`, by absolute path. Libraries
//! are never unloaded: thread-local destructors registered by a library crash if it is gone.

use crate::error::{Result, RuntimeError};
use crate::host::{HostConfig, RuntimeHost};
use crate::{Isolation, PluginHandle};
use arsync_plugin_abi::{ABI_VERSION, ENTRY_SYMBOL, EntryFn};
use arsync_sdk::client::{CallError, Instance, PluginTable};
use arsync_sdk::{ItemResult, Manifest, Page, PanicStrategy, PushAction, PushItem, Stream};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Tables of libraries loaded so far, by canonical path. A library is opened once per process
/// and kept for its lifetime.
fn loaded() -> &'static Mutex<BTreeMap<PathBuf, PluginTable>> {
    static LOADED: OnceLock<Mutex<BTreeMap<PathBuf, PluginTable>>> = OnceLock::new();
    LOADED.get_or_init(|| Mutex::new(BTreeMap::new()))
}

/// Open `path` (absolute, canonical) and return its checked table.
pub fn open_table(path: &Path) -> Result<PluginTable> {
    let mut cache = loaded().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(table) = cache.get(path) {
        return Ok(*table);
    }
    // SAFETY: loading a library runs its initialisers. arsync only loads libraries the
    // operator placed in the plugins folder or named in the config (optionally sha256-pinned).
    let library = unsafe { libloading::Library::new(path) }.map_err(|e| RuntimeError::Load {
        path: path.to_path_buf(),
        // libloading keeps the loader's own words (e.g. "invalid ELF header") in the source.
        reason: match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    })?;
    // SAFETY: the symbol is declared by the ABI with exactly this signature.
    let entry: EntryFn = unsafe { library.get::<EntryFn>(ENTRY_SYMBOL) }
        .map(|symbol| *symbol)
        .map_err(|e| RuntimeError::Load {
            path: path.to_path_buf(),
            reason: format!(
                "it does not export arsync_plugin_v1, so it is not an arsync plugin for ABI v{ABI_VERSION} ({e})"
            ),
        })?;
    // Never unload: the function pointers in the table must stay valid for the process.
    std::mem::forget(library);
    // SAFETY: the entry point follows the ABI: it returns null or a table valid for the
    // process, and the library is never unloaded (forgotten above).
    let table = unsafe { PluginTable::from_raw(entry(ABI_VERSION)) }.map_err(|reason| {
        RuntimeError::Load {
            path: path.to_path_buf(),
            reason,
        }
    })?;
    cache.insert(path.to_path_buf(), table);
    Ok(table)
}

/// A plugin running inside this process.
pub struct InProcessPlugin {
    path: PathBuf,
    table: PluginTable,
    manifest: Manifest,
    host: HostConfig,
    instance: Option<Instance>,
}

impl std::fmt::Debug for InProcessPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessPlugin")
            .field("path", &self.path)
            .field("plugin", &self.manifest.name)
            .finish_non_exhaustive()
    }
}

/// Translate a call failure into the runtime's error for `plugin`.
pub(crate) fn call_error(plugin: &str, method: &str, e: CallError) -> RuntimeError {
    match e {
        CallError::Plugin(error) => RuntimeError::Plugin {
            plugin: plugin.to_owned(),
            error,
        },
        CallError::Panic(message) => RuntimeError::Panic {
            plugin: plugin.to_owned(),
            method: method.to_owned(),
            message,
        },
        CallError::Protocol(reason) => RuntimeError::Protocol {
            plugin: plugin.to_owned(),
            method: method.to_owned(),
            reason,
        },
    }
}

impl InProcessPlugin {
    /// Open the library at `path` and read its manifest. With `refuse_abort`, a library built
    /// with `panic = "abort"` is refused.
    pub fn open(path: &Path, host: HostConfig, refuse_abort: bool) -> Result<Self> {
        let table = open_table(path)?;
        let manifest = table.manifest().map_err(|e| RuntimeError::Manifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        crate::check_manifest(path, &manifest)?;
        if refuse_abort && manifest.panic_strategy == PanicStrategy::Abort {
            return Err(RuntimeError::AbortOnPanic {
                plugin: manifest.name,
                path: path.to_path_buf(),
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            table,
            manifest,
            host,
            instance: None,
        })
    }

    fn instance(&mut self, method: &str) -> Result<&mut Instance> {
        let plugin = self.manifest.name.clone();
        self.instance.as_mut().ok_or(RuntimeError::NotCreated {
            plugin,
            method: method.to_owned(),
        })
    }
}

impl PluginHandle for InProcessPlugin {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn isolation(&self) -> Isolation {
        Isolation::InProcess
    }

    fn create(&mut self, settings: &serde_json::Value) -> Result<()> {
        let host = Arc::new(RuntimeHost::new(
            &self.manifest.name,
            &self.manifest.allowed_hosts,
            self.host.clone(),
        ));
        // Destroy a previous instance first: one connection, one instance.
        self.instance = None;
        let instance = self
            .table
            .create(host, settings)
            .map_err(|e| call_error(&self.manifest.name, "create", e))?;
        self.instance = Some(instance);
        Ok(())
    }

    fn call(&mut self, method: &str, request: &serde_json::Value) -> Result<serde_json::Value> {
        let plugin = self.manifest.name.clone();
        let bytes = serde_json::to_vec(request).map_err(|e| RuntimeError::Protocol {
            plugin: plugin.clone(),
            method: method.to_owned(),
            reason: e.to_string(),
        })?;
        let answer = self
            .instance(method)?
            .call_raw(method, &bytes)
            .map_err(|e| call_error(&plugin, method, e))?;
        serde_json::from_slice(&answer).map_err(|e| RuntimeError::Protocol {
            plugin,
            method: method.to_owned(),
            reason: format!("the answer is not JSON: {e}"),
        })
    }

    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page> {
        let plugin = self.manifest.name.clone();
        let method = stream.method();
        let page = self
            .instance(&method)?
            .pull(stream, cursor)
            .map_err(|e| call_error(&plugin, &method, e))?;
        crate::check_page(&plugin, stream, page)
    }

    fn push(&mut self, action: PushAction, items: Vec<PushItem>) -> Result<Vec<ItemResult>> {
        let plugin = self.manifest.name.clone();
        let method = action.method();
        let keys: Vec<String> = items.iter().map(|i| i.idempotency_key.clone()).collect();
        let results = self
            .instance(&method)?
            .push(action, items)
            .map_err(|e| call_error(&plugin, &method, e))?;
        crate::check_results(&plugin, action, &keys, results)
    }

    fn close(&mut self) -> Result<()> {
        let plugin = self.manifest.name.clone();
        if let Some(mut instance) = self.instance.take() {
            instance
                .close()
                .map_err(|e| call_error(&plugin, "close", e))?;
        }
        Ok(())
    }
}
