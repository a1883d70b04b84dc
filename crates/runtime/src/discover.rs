//! Finding plugin libraries: every shared library in the plugins folders (by default
//! `plugins/` next to the arsync executable) plus the paths a config names explicitly.

use crate::host::HostConfig;
use crate::inprocess::InProcessPlugin;
use arsync_sdk::Manifest;
use serde::Serialize;
use std::path::{Path, PathBuf};

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

fn inspect(path: &Path) -> PluginInfo {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    match InProcessPlugin::open(&absolute, HostConfig::default(), false) {
        Ok(plugin) => PluginInfo {
            path: absolute,
            manifest: Some(crate::PluginHandle::manifest(&plugin).clone()),
            problem: None,
        },
        Err(e) => PluginInfo {
            path: absolute,
            manifest: None,
            problem: Some(e.to_string()),
        },
    }
}

/// Every library in `dirs` (not recursive; missing folders are skipped) and every `explicit`
/// path, each with its manifest, sorted by name; a library met twice is listed once.
///
/// Reading a manifest loads the library into this process (and it stays loaded).
pub fn discover(dirs: &[PathBuf], explicit: &[PathBuf]) -> Vec<PluginInfo> {
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
    let mut infos: Vec<PluginInfo> = paths
        .iter()
        .filter(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| (*p).clone())))
        .map(|p| {
            if p.exists() {
                inspect(p)
            } else {
                PluginInfo {
                    path: p.clone(),
                    manifest: None,
                    problem: Some(format!("{} does not exist", p.display())),
                }
            }
        })
        .collect();
    infos.sort_by(|a, b| a.name().cmp(&b.name()).then(a.path.cmp(&b.path)));
    infos
}

/// The library whose manifest is called `name`, among those [`discover`] finds.
pub fn find_plugin(name: &str, dirs: &[PathBuf], explicit: &[PathBuf]) -> Option<PluginInfo> {
    discover(dirs, explicit)
        .into_iter()
        .find(|info| info.manifest.as_ref().is_some_and(|m| m.name == name))
}
