//! Finding plugin libraries: every shared library in the plugins folders (by default
//! `plugins/` next to the arsync executable) plus the paths a config names explicitly.
//!
//! A manifest is read in an `arsync-plugin-host` child ([`crate::process::read_manifest`]),
//! never by loading the library into this process: a broken or hostile library in the folder
//! can crash or hang only that child, within a timeout, and is listed with a one-line problem
//! while the rest are listed as usual. Only when no plugin host can be found are manifests
//! read in-process (on a throwaway thread, still within the timeout), and then the log and
//! every problem say so. Answers are cached for the life of the process by path, size and
//! modification time, so a sync with many connections starts each child once; a library that
//! failed (a timeout included) is read again only once its file changes or arsync restarts.

use crate::RuntimeError;
use crate::process::{self, HostCommand};
use arsync_sdk::Manifest;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

/// One library found, with its manifest or the reason it could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    /// Absolute path of the library.
    pub path: PathBuf,
    /// Its manifest, when it could be read and checked.
    pub manifest: Option<Manifest>,
    /// Why it is not usable, when it is not.
    pub problem: Option<String>,
}

impl PluginInfo {
    /// The plugin's name, or the file name when the manifest is unreadable.
    pub fn name(&self) -> String {
        match &self.manifest {
            Some(m) => m.name.clone(),
            None => self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }
}

/// True if the file name looks like a shared library on this platform.
pub fn is_library(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == std::env::consts::DLL_EXTENSION)
}

/// `plugins/` next to the running executable, then the executable's own folder, where
/// `cargo build` puts the workspace's plugin libraries beside `arsync`.
pub fn default_plugin_dirs() -> Vec<PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .map(|dir| vec![dir.join("plugins"), dir])
        .unwrap_or_default()
}

/// The default limit for reading one library's manifest.
pub const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// How [`discover_with`] reads manifests.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// The plugin host to read manifests in; `None` to look for `arsync-plugin-host` next to
    /// arsync ([`process::find_plugin_host`]). When none is found, manifests are read
    /// in-process.
    pub plugin_host: Option<HostCommand>,
    /// The longest one library may take to load and give its manifest (default 10 s; a
    /// healthy library takes milliseconds).
    pub timeout: Duration,
    /// How many libraries are read at the same time.
    pub parallel: usize,
    /// Read manifests inside this process even if a plugin host is there (what happens
    /// anyway when none is found). Only for programs that cannot start processes.
    pub in_process: bool,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        Self {
            plugin_host: None,
            timeout: DISCOVERY_TIMEOUT,
            parallel: 4,
            in_process: false,
        }
    }
}

/// Where manifests were read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reader {
    Child(HostCommand),
    InProcess,
}

/// What is known of one library file, to tell whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    reader: Reader,
}

type Cache = Mutex<BTreeMap<PathBuf, (Stamp, PluginInfo)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(BTreeMap::new()))
}

fn stamp(path: &Path, reader: &Reader) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        reader: reader.clone(),
    })
}

/// The note added to a problem found while reading manifests in-process.
const IN_PROCESS_NOTE: &str = "(read inside arsync, not in an arsync-plugin-host child; install arsync-plugin-host next to arsync or set ARSYNC_PLUGIN_HOST so that a broken library cannot take arsync down)";

fn inspect(path: &Path, reader: &Reader, timeout: Duration) -> PluginInfo {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let key = stamp(&absolute, reader);
    if let Some(key) = &key
        && let Some((known, info)) = cache()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&absolute)
        && known == key
    {
        return info.clone();
    }
    let read = match reader {
        Reader::Child(command) => process::read_manifest(&absolute, command, timeout),
        Reader::InProcess => crate::inprocess::read_manifest_within(&absolute, timeout),
    }
    .and_then(|manifest| crate::check_manifest(&absolute, &manifest).map(|()| manifest));
    let info = match read {
        Ok(manifest) => PluginInfo {
            path: absolute.clone(),
            manifest: Some(manifest),
            problem: None,
        },
        Err(e) => {
            let problem = match reader {
                Reader::Child(_) => one_line(&e),
                Reader::InProcess => format!("{} {IN_PROCESS_NOTE}", one_line(&e)),
            };
            tracing::warn!(library = %absolute.display(), "{problem}");
            PluginInfo {
                path: absolute.clone(),
                manifest: None,
                problem: Some(problem),
            }
        }
    };
    if let Some(key) = key {
        cache()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(absolute, (key, info.clone()));
    }
    info
}

/// An error's text on one line (a loader message can span several).
fn one_line(e: &RuntimeError) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn reader(options: &DiscoverOptions) -> Reader {
    if options.in_process {
        return Reader::InProcess;
    }
    let found = || {
        process::find_plugin_host()
            .filter(|p| p.is_file())
            .map(HostCommand::new)
    };
    match options.plugin_host.clone().or_else(found) {
        Some(command) => Reader::Child(command),
        None => {
            tracing::warn!(
                "{} was not found next to arsync, so plugin manifests are read inside arsync: a broken library can crash it; install {} there or set {}",
                process::PLUGIN_HOST_EXE,
                process::PLUGIN_HOST_EXE,
                process::PLUGIN_HOST_ENV
            );
            Reader::InProcess
        }
    }
}

/// Every library in `dirs` (not recursive; missing folders are skipped) and every `explicit`
/// path, each with its manifest or a one-line problem, sorted by name; a library met twice is
/// listed once. Manifests are read in plugin host children with the default
/// [`DiscoverOptions`]; see [`discover_with`].
pub fn discover(dirs: &[PathBuf], explicit: &[PathBuf]) -> Vec<PluginInfo> {
    discover_with(dirs, explicit, &DiscoverOptions::default())
}

/// [`discover`] with explicit options.
pub fn discover_with(
    dirs: &[PathBuf],
    explicit: &[PathBuf],
    options: &DiscoverOptions,
) -> Vec<PluginInfo> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(std::result::Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && is_library(p))
            .collect();
        found.sort();
        paths.extend(found);
    }
    paths.extend(explicit.iter().cloned());
    let mut seen = std::collections::BTreeSet::new();
    paths.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    let (present, missing): (Vec<PathBuf>, Vec<PathBuf>) =
        paths.into_iter().partition(|p| p.exists());
    let mut infos: Vec<PluginInfo> = missing
        .into_iter()
        .map(|p| PluginInfo {
            problem: Some(format!("{} does not exist", p.display())),
            path: p,
            manifest: None,
        })
        .collect();
    if !present.is_empty() {
        let reader = reader(options);
        infos.extend(inspect_all(&present, &reader, options));
    }
    infos.sort_by(|a, b| a.name().cmp(&b.name()).then(a.path.cmp(&b.path)));
    infos
}

/// Inspect `paths` with up to `options.parallel` at a time, so one library that hangs costs
/// the timeout once, not once per library behind it.
fn inspect_all(paths: &[PathBuf], reader: &Reader, options: &DiscoverOptions) -> Vec<PluginInfo> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Mutex<Vec<PluginInfo>> = Mutex::new(Vec::with_capacity(paths.len()));
    let workers = options.parallel.clamp(1, paths.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let info = inspect(path, reader, options.timeout);
                    results
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(info);
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// The library whose manifest is called `name`, among those [`discover`] finds.
pub fn find_plugin(name: &str, dirs: &[PathBuf], explicit: &[PathBuf]) -> Option<PluginInfo> {
    find_plugin_with(name, dirs, explicit, &DiscoverOptions::default())
}

/// [`find_plugin`] with explicit options.
pub fn find_plugin_with(
    name: &str,
    dirs: &[PathBuf],
    explicit: &[PathBuf],
    options: &DiscoverOptions,
) -> Option<PluginInfo> {
    discover_with(dirs, explicit, options)
        .into_iter()
        .find(|info| info.manifest.as_ref().is_some_and(|m| m.name == name))
}
