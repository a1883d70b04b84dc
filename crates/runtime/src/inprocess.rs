//! Loading a plugin library into this process with `libloading`, by absolute path. Libraries
//! are never unloaded: thread-local destructors registered by a library crash if it is gone.
//!
//! Each in-process plugin runs on a worker thread of its own: the library is loaded and every
//! call made there, while the caller waits at most the per-call timeout. A call that does not
//! answer in time fails with [`RuntimeError::CallTimeout`] and the plugin is then *stuck*:
//! every later call fails at once with [`RuntimeError::Stuck`] and nothing more is sent to
//! the library. The hung thread is abandoned (a thread cannot be killed), so only process
//! isolation can actually stop a hung plugin.

use crate::error::{Result, RuntimeError};
use crate::host::{HostConfig, RuntimeHost};
use crate::wire::CREATE;
use crate::{Isolation, PluginHandle, Supervision};
use arsync_plugin_abi::{ABI_VERSION, ENTRY_SYMBOL, EntryFn};
use arsync_sdk::client::{CallError, Instance, PluginTable};
use arsync_sdk::{ItemResult, Manifest, Page, PanicStrategy, PushAction, PushItem, Stream};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel, sync_channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// Tables of libraries loaded so far, by canonical path. A library is opened once per process
/// and kept for its lifetime.
fn loaded() -> &'static Mutex<BTreeMap<PathBuf, PluginTable>> {
    static LOADED: OnceLock<Mutex<BTreeMap<PathBuf, PluginTable>>> = OnceLock::new();
    LOADED.get_or_init(|| Mutex::new(BTreeMap::new()))
}

/// Open `path` (absolute, canonical) and return its checked table.
pub fn open_table(path: &Path) -> Result<PluginTable> {
    if let Some(table) = loaded()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(path)
    {
        return Ok(*table);
    }
    // The cache is not locked while the library loads: a library that hangs in its
    // initialisers must not block every other in-process load behind it. Two threads loading
    // the same library get the same handle from the loader, and the same table.
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
    Ok(*loaded()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(path.to_path_buf())
        .or_insert(table))
}

/// Work for a plugin's worker thread: it gets the instance slot (empty until `create`).
type Job = Box<dyn FnOnce(&mut Option<Instance>) + Send>;

/// The call that never answered, which leaves an in-process plugin stuck.
#[derive(Debug, Clone)]
struct Hung {
    method: String,
    timeout: Duration,
}

/// A plugin running inside this process, on a worker thread of its own.
pub struct InProcessPlugin {
    path: PathBuf,
    table: PluginTable,
    manifest: Manifest,
    host: HostConfig,
    call_timeout: Duration,
    jobs: Sender<Job>,
    hung: Option<Hung>,
}

impl std::fmt::Debug for InProcessPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessPlugin")
            .field("path", &self.path)
            .field("plugin", &self.manifest.name)
            .field("call_timeout", &self.call_timeout)
            .field("stuck", &self.hung.is_some())
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

/// Start a worker thread named after `label`; it runs jobs in order until the sender is
/// dropped, then drops the instance (destroying it on the thread that made it).
fn start_worker(label: &str, path: &Path) -> Result<Sender<Job>> {
    let (jobs, inbox): (Sender<Job>, Receiver<Job>) = channel();
    std::thread::Builder::new()
        .name(format!("plugin {label}"))
        .spawn(move || {
            let mut instance: Option<Instance> = None;
            for job in inbox {
                job(&mut instance);
            }
        })
        .map_err(|source| RuntimeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(jobs)
}

/// Run `work` on the worker behind `jobs` and wait for it at most `timeout`. `Ok(None)` means
/// the time ran out (the worker is still inside `work`); `Err` that the worker is gone.
fn run_on<T: Send + 'static>(
    jobs: &Sender<Job>,
    timeout: Duration,
    work: impl FnOnce(&mut Option<Instance>) -> T + Send + 'static,
) -> std::result::Result<Option<T>, ()> {
    let (reply, answer) = sync_channel(1);
    let job: Job = Box::new(move |instance| {
        let _ = reply.send(work(instance));
    });
    jobs.send(job).map_err(|_| ())?;
    match answer.recv_timeout(timeout) {
        Ok(value) => Ok(Some(value)),
        Err(RecvTimeoutError::Timeout) => Ok(None),
        Err(RecvTimeoutError::Disconnected) => Err(()),
    }
}

/// Load `path` and read its manifest on a throwaway thread, waiting at most `timeout`: a
/// library whose initialisers or manifest hang cannot hold the caller. On timeout the thread
/// is abandoned, still inside the library.
pub(crate) fn read_manifest_within(path: &Path, timeout: Duration) -> Result<Manifest> {
    let jobs = start_worker(&path.display().to_string(), path)?;
    let owned = path.to_path_buf();
    let answer = run_on(&jobs, timeout, move |_| {
        open_and_read(&owned).map(|(_, m)| m)
    });
    match answer {
        Ok(Some(result)) => result,
        Ok(None) => Err(RuntimeError::Inspect {
            path: path.to_path_buf(),
            reason: format!(
                "loading it and reading its manifest did not finish within {timeout:?}, read inside arsync (a thread was left behind in the library)"
            ),
        }),
        Err(()) => Err(RuntimeError::Inspect {
            path: path.to_path_buf(),
            reason: "the thread reading its manifest ended without an answer".into(),
        }),
    }
}

/// Open the library and read its manifest.
fn open_and_read(path: &Path) -> Result<(PluginTable, Manifest)> {
    let table = open_table(path)?;
    let manifest = table.manifest().map_err(|e| RuntimeError::Manifest {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok((table, manifest))
}

impl InProcessPlugin {
    /// Open the library at `path` and read its manifest, with the default limits of
    /// [`Supervision`]. With `refuse_abort`, a library built with `panic = "abort"` is refused.
    pub fn open(path: &Path, host: HostConfig, refuse_abort: bool) -> Result<Self> {
        Self::open_with(path, host, refuse_abort, &Supervision::default())
    }

    /// Open the library at `path` on the plugin's worker thread, waiting at most
    /// `limits.start_timeout` for it to load and give its manifest; every later call waits at
    /// most `limits.call_timeout`. With `refuse_abort`, a library built with
    /// `panic = "abort"` is refused.
    pub fn open_with(
        path: &Path,
        host: HostConfig,
        refuse_abort: bool,
        limits: &Supervision,
    ) -> Result<Self> {
        let jobs = start_worker(&path.display().to_string(), path)?;
        let owned = path.to_path_buf();
        let (table, manifest) = match run_on(&jobs, limits.start_timeout, move |_| {
            open_and_read(&owned)
        }) {
            Ok(Some(opened)) => opened?,
            Ok(None) => {
                return Err(RuntimeError::Load {
                    path: path.to_path_buf(),
                    reason: format!(
                        "loading it and reading its manifest did not finish within {:?}; a thread was left behind in the library, so restart arsync, and set isolation = \"process\" for this connection",
                        limits.start_timeout
                    ),
                });
            }
            Err(()) => {
                return Err(RuntimeError::Load {
                    path: path.to_path_buf(),
                    reason: "the thread loading it ended without an answer".into(),
                });
            }
        };
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
            call_timeout: limits.call_timeout,
            jobs,
            hung: None,
        })
    }

    /// True once a call has not answered within the call timeout: the plugin is quarantined
    /// for the rest of the process and every call fails at once.
    pub fn is_stuck(&self) -> bool {
        self.hung.is_some()
    }

    /// The longest a call may take before the plugin is declared stuck.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// Run `work` with the instance on the worker thread, within the call timeout.
    fn run<T: Send + 'static>(
        &mut self,
        method: &str,
        work: impl FnOnce(&mut Option<Instance>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let plugin = self.manifest.name.clone();
        if let Some(hung) = &self.hung {
            return Err(RuntimeError::Stuck {
                plugin,
                method: method.to_owned(),
                hung_in: hung.method.clone(),
                timeout: hung.timeout,
            });
        }
        match run_on(&self.jobs, self.call_timeout, work) {
            Ok(Some(result)) => result,
            Ok(None) => {
                let error = RuntimeError::CallTimeout {
                    plugin,
                    method: method.to_owned(),
                    timeout: self.call_timeout,
                };
                tracing::error!(plugin = self.manifest.name.as_str(), method, "{error}");
                self.hung = Some(Hung {
                    method: method.to_owned(),
                    timeout: self.call_timeout,
                });
                Err(error)
            }
            Err(()) => {
                // Only a panic outside the library's own catchers ends the worker; nothing
                // can be sent to it any more.
                self.hung = Some(Hung {
                    method: method.to_owned(),
                    timeout: self.call_timeout,
                });
                Err(RuntimeError::Panic {
                    plugin,
                    method: method.to_owned(),
                    message: "the plugin's worker thread ended during the call".into(),
                })
            }
        }
    }
}

fn created<'a>(
    instance: &'a mut Option<Instance>,
    plugin: &str,
    method: &str,
) -> Result<&'a mut Instance> {
    instance.as_mut().ok_or_else(|| RuntimeError::NotCreated {
        plugin: plugin.to_owned(),
        method: method.to_owned(),
    })
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
        let table = self.table;
        let plugin = self.manifest.name.clone();
        let settings = settings.clone();
        self.run(CREATE, move |instance| {
            // Destroy a previous instance first: one connection, one instance.
            *instance = None;
            let made = table
                .create(host, &settings)
                .map_err(|e| call_error(&plugin, CREATE, e))?;
            *instance = Some(made);
            Ok(())
        })
    }

    fn call(&mut self, method: &str, request: &serde_json::Value) -> Result<serde_json::Value> {
        let plugin = self.manifest.name.clone();
        let bytes = serde_json::to_vec(request).map_err(|e| RuntimeError::Protocol {
            plugin: plugin.clone(),
            method: method.to_owned(),
            reason: e.to_string(),
        })?;
        let name = method.to_owned();
        let answer = self.run(method, move |instance| {
            created(instance, &plugin, &name)?
                .call_raw(&name, &bytes)
                .map_err(|e| call_error(&plugin, &name, e))
        })?;
        serde_json::from_slice(&answer).map_err(|e| RuntimeError::Protocol {
            plugin: self.manifest.name.clone(),
            method: method.to_owned(),
            reason: format!("the answer is not JSON: {e}"),
        })
    }

    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page> {
        let plugin = self.manifest.name.clone();
        let method = stream.method();
        let cursor = cursor.map(str::to_owned);
        let page = self.run(&method.clone(), move |instance| {
            created(instance, &plugin, &method)?
                .pull(stream, cursor.as_deref())
                .map_err(|e| call_error(&plugin, &method, e))
        })?;
        crate::check_page(&self.manifest.name, stream, page)
    }

    fn push(&mut self, action: PushAction, items: Vec<PushItem>) -> Result<Vec<ItemResult>> {
        let plugin = self.manifest.name.clone();
        let method = action.method();
        let keys: Vec<String> = items.iter().map(|i| i.idempotency_key.clone()).collect();
        let results = self.run(&method.clone(), move |instance| {
            created(instance, &plugin, &method)?
                .push(action, items)
                .map_err(|e| call_error(&plugin, &method, e))
        })?;
        crate::check_results(&self.manifest.name, action, &keys, results)
    }

    fn close(&mut self) -> Result<()> {
        let plugin = self.manifest.name.clone();
        self.run(arsync_sdk::CLOSE_METHOD, move |instance| {
            match instance.take() {
                Some(mut live) => live
                    .close()
                    .map_err(|e| call_error(&plugin, arsync_sdk::CLOSE_METHOD, e)),
                None => Ok(()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_that_outlasts_the_timeout_frees_the_caller_and_later_jobs_queue_behind_it() {
        let jobs = start_worker("slow", Path::new("/plugins/libslow.so")).unwrap();
        let started = std::time::Instant::now();
        let answer = run_on(&jobs, Duration::from_millis(50), |_| {
            std::thread::sleep(Duration::from_millis(400));
            1
        });
        assert!(matches!(answer, Ok(None)), "timed out");
        assert!(started.elapsed() < Duration::from_millis(300));
        // The worker is still busy with the first job, so the next one waits its turn: this is
        // why a stuck plugin refuses calls instead of queueing them.
        assert!(matches!(
            run_on(&jobs, Duration::from_millis(50), |_| 2),
            Ok(None)
        ));
        assert_eq!(run_on(&jobs, Duration::from_secs(5), |_| 3), Ok(Some(3)));
    }

    #[test]
    fn a_job_answers_with_the_instance_slot_it_was_given() {
        let jobs = start_worker("quick", Path::new("/plugins/libquick.so")).unwrap();
        let answer = run_on(&jobs, Duration::from_secs(5), |instance| instance.is_none());
        assert_eq!(answer, Ok(Some(true)));
    }
}
