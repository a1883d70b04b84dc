//! The arsync plugin runtime: finds plugin libraries, checks them, loads them in-process or in
//! an `arsync-plugin-host` child process, and serves their host capabilities.
//!
//! This crate owns discovery ([`discover`]), loading ([`load`]) with the manifest, protocol and
//! optional sha256 checks, the host side of every capability ([`host`]), process isolation with
//! timeouts, restarts and quarantine ([`process`]), the conformance kit ([`conformance`]) and the
//! plugin skeleton generator ([`scaffold`]). Calls are blocking: the agent makes them from
//! `spawn_blocking` threads. Discovery never loads a library into this process (manifests
//! are read in plugin host children), and in-process calls run on a worker thread per plugin
//! with the per-call timeout ([`inprocess`]). It must not depend on the store, the agent or the CLI, and never
//! unloads a library.
//!
//! ```no_run
//! use arsync_runtime::{Isolation, LoadOptions, load};
//! use arsync_sdk::Stream;
//! # fn main() -> Result<(), arsync_runtime::RuntimeError> {
//! let mut plugin = load("plugins/libbank_statements.so".as_ref(), Isolation::Process, &LoadOptions::default())?;
//! plugin.create(&serde_json::json!({"paths": ["inbox/*.xml"]}))?;
//! let page = plugin.pull(Stream::BankEntries, None)?;
//! # let _ = page; Ok(()) }
//! ```
#![allow(unsafe_code)]
#![deny(missing_docs)]

pub mod child;
pub mod conformance;
mod discover;
mod error;
pub mod host;
pub mod inprocess;
pub mod process;
pub mod scaffold;
pub mod wire;

pub use discover::{
    DISCOVERY_TIMEOUT, DiscoverOptions, PluginInfo, default_plugin_dirs, discover, discover_with,
    find_plugin, find_plugin_with, is_library,
};
pub use error::{Result, RuntimeError};
pub use host::HostConfig;
pub use process::Supervision;

use arsync_sdk::protocol::protocol_compatible;
use arsync_sdk::{Capability, ItemResult, Manifest, Page, PushAction, PushItem, Stream};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Where a connection's plugin runs, as `isolation = "..."` in the config.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// Loaded into arsync's own process, called on a worker thread of its own: fastest; a
    /// plugin's abort takes arsync with it, and a hung call is cut at the call timeout but
    /// cannot be stopped (the connection is then stuck until arsync restarts).
    #[default]
    InProcess,
    /// In its own `arsync-plugin-host` child: crashes and hangs kill only the child.
    Process,
}

impl std::fmt::Display for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Isolation::InProcess => "in_process",
            Isolation::Process => "process",
        })
    }
}

/// How to load one connection's plugin.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Expected sha256 of the library (hex), from the connection's config; `None` to not pin.
    pub sha256: Option<String>,
    /// What the plugin may reach.
    pub host: HostConfig,
    /// Limits: the call and start timeouts apply in both isolations, the restart and
    /// quarantine settings to `Isolation::Process`.
    pub supervision: Supervision,
    /// How to start the plugin host; `None` to look for `arsync-plugin-host` next to arsync
    /// ([`process::find_plugin_host`]).
    pub plugin_host: Option<process::HostCommand>,
}

impl LoadOptions {
    /// Options for the connection `name` whose settings are `settings`, with relative paths
    /// resolved against `base_dir` (the config file's folder): the file scope is what the
    /// settings name ([`host::file_scope_from_settings`]).
    pub fn for_connection(name: &str, settings: &serde_json::Value, base_dir: &Path) -> Self {
        Self {
            host: HostConfig {
                connection: name.to_owned(),
                file_scope: host::file_scope_from_settings(settings),
                base_dir: base_dir.to_path_buf(),
                ..HostConfig::default()
            },
            ..Self::default()
        }
    }
}

/// Load a connection's plugin and create its instance in one step.
pub fn connect(
    library: &Path,
    isolation: Isolation,
    options: &LoadOptions,
    settings: &serde_json::Value,
) -> Result<Box<dyn PluginHandle>> {
    let mut plugin = load(library, isolation, options)?;
    plugin.create(settings)?;
    Ok(plugin)
}

/// A loaded plugin, in whichever isolation. Calls are blocking and one at a time.
pub trait PluginHandle: Send {
    /// The manifest read at load time.
    fn manifest(&self) -> &Manifest;
    /// The library's absolute path.
    fn path(&self) -> &Path;
    /// Where it runs.
    fn isolation(&self) -> Isolation;
    /// Create the connection's instance from its settings (replacing any earlier one).
    fn create(&mut self, settings: &serde_json::Value) -> Result<()>;
    /// Call any method with a JSON request (for methods beyond the typed ones).
    fn call(&mut self, method: &str, request: &serde_json::Value) -> Result<serde_json::Value>;
    /// One page of `stream` from `cursor`.
    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page>;
    /// Push items; one result per item, in order.
    fn push(&mut self, action: PushAction, items: Vec<PushItem>) -> Result<Vec<ItemResult>>;
    /// Close the instance.
    fn close(&mut self) -> Result<()>;
}

/// Check a manifest: a name, a semver version, a compatible protocol.
pub fn check_manifest(path: &Path, manifest: &Manifest) -> Result<()> {
    let bad = |reason: String| RuntimeError::Manifest {
        path: path.to_path_buf(),
        reason,
    };
    if manifest.name.trim().is_empty() {
        return Err(bad("the manifest has an empty name".into()));
    }
    if arsync_sdk::protocol::parse_semver(&manifest.version).is_none() {
        return Err(bad(format!(
            "plugin {}: version {:?} is not semver like \"1.2.3\"",
            manifest.name, manifest.version
        )));
    }
    protocol_compatible(arsync_plugin_abi::PROTOCOL_VERSION, &manifest.protocol)
        .map_err(|e| bad(format!("plugin {}: {e}", manifest.name)))?;
    if let Some(unknown) = manifest
        .capabilities
        .iter()
        .find(|c| matches!(c, Capability::Other(_)))
    {
        tracing::warn!(
            plugin = manifest.name.as_str(),
            capability = %unknown,
            "the plugin declares a capability this arsync does not know; it will not be called"
        );
    }
    Ok(())
}

/// Check a page against the protocol: every item of the stream's kind.
pub(crate) fn check_page(plugin: &str, stream: Stream, page: Page) -> Result<Page> {
    if let Some((i, wrong)) = page
        .items
        .iter()
        .enumerate()
        .find(|(_, r)| r.kind() != stream.record_kind())
    {
        return Err(RuntimeError::Protocol {
            plugin: plugin.to_owned(),
            method: stream.method(),
            reason: format!(
                "item {} of the page is a {} ({}), but {} may only hold {} records",
                i + 1,
                wrong.kind(),
                wrong.external_id(),
                stream.method(),
                stream.record_kind()
            ),
        });
    }
    Ok(page)
}

/// Check push results against the protocol: one per item, in order, with the item's key.
pub(crate) fn check_results(
    plugin: &str,
    action: PushAction,
    keys: &[String],
    results: Vec<ItemResult>,
) -> Result<Vec<ItemResult>> {
    let answered: Vec<&str> = results.iter().map(|r| r.idempotency_key.as_str()).collect();
    if answered != keys.iter().map(String::as_str).collect::<Vec<_>>() {
        return Err(RuntimeError::Protocol {
            plugin: plugin.to_owned(),
            method: action.method(),
            reason: format!(
                "{} items were pushed but the results answer the keys {answered:?}; there must be one result per item, in order",
                keys.len()
            ),
        });
    }
    Ok(results)
}

/// The sha256 of a file, as lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| RuntimeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if !path.exists() {
        return Err(RuntimeError::NotFound {
            path: path.to_path_buf(),
        });
    }
    std::fs::canonicalize(path).map_err(|source| RuntimeError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Load the plugin library at `path` with the given isolation: resolve it to an absolute
/// path, check its pinned sha256 if any, read and check its manifest, and (in-process) refuse a
/// `panic = "abort"` build. Call [`PluginHandle::create`] next.
pub fn load(
    path: &Path,
    isolation: Isolation,
    options: &LoadOptions,
) -> Result<Box<dyn PluginHandle>> {
    let path = absolute(path)?;
    if let Some(expected) = &options.sha256 {
        let actual = sha256_file(&path)?;
        if !actual.eq_ignore_ascii_case(expected.trim()) {
            return Err(RuntimeError::Checksum {
                path,
                expected: expected.clone(),
                actual,
            });
        }
    }
    match isolation {
        Isolation::InProcess => Ok(Box::new(inprocess::InProcessPlugin::open_with(
            &path,
            options.host.clone(),
            true,
            &options.supervision,
        )?)),
        Isolation::Process => {
            let command = match &options.plugin_host {
                Some(command) => command.clone(),
                None => process::find_plugin_host()
                    .map(process::HostCommand::new)
                    .ok_or_else(|| RuntimeError::HostProcess {
                        plugin: path.display().to_string(),
                        reason: format!(
                            "{} was not found next to arsync; install it there or set {}",
                            process::PLUGIN_HOST_EXE,
                            process::PLUGIN_HOST_ENV
                        ),
                    })?,
            };
            Ok(Box::new(process::ProcessPlugin::start(
                &path,
                &command,
                options.host.clone(),
                options.supervision.clone(),
            )?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arsync_sdk::PanicStrategy;

    fn manifest(protocol: &str) -> Manifest {
        let mut m = Manifest::new("ledger", "1.2.0").pulls(Stream::Invoices);
        m.protocol = protocol.into();
        m
    }

    #[test]
    fn a_plugin_for_another_protocol_major_is_refused_with_the_fix() {
        let err = check_manifest(Path::new("/p/libx.so"), &manifest("2.0.0")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("/p/libx.so") && text.contains("rebuild"),
            "{text}"
        );
        assert!(check_manifest(Path::new("/p/libx.so"), &manifest("1.7.0")).is_ok());
    }

    #[test]
    fn a_customer_in_the_invoice_stream_is_a_protocol_error_naming_the_item() {
        let party = arsync_model::Party::new(arsync_model::Origin::new("books", "58"), "Hahn GmbH")
            .unwrap();
        let page = Page::new(vec![arsync_sdk::Record::Party(party)], None);
        let err = check_page("ledger", Stream::Invoices, page).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("item 1") && text.contains("58") && text.contains("pull_invoices"),
            "{text}"
        );
        assert!(check_page("ledger", Stream::Customers, Page::default()).is_ok());
    }

    #[test]
    fn push_results_must_answer_every_key_in_order() {
        let keys = vec!["k1".to_owned(), "k2".to_owned()];
        let swapped = vec![
            ItemResult::applied("k2", None),
            ItemResult::applied("k1", None),
        ];
        assert!(check_results("ledger", PushAction::Status, &keys, swapped).is_err());
        let short = vec![ItemResult::applied("k1", None)];
        assert!(check_results("ledger", PushAction::Status, &keys, short).is_err());
        let right = vec![
            ItemResult::applied("k1", None),
            ItemResult::already_applied("k2", Some("memo-1".into())),
        ];
        assert_eq!(
            check_results("ledger", PushAction::Status, &keys, right)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn a_bank_connection_may_touch_exactly_the_statement_folders_it_names() {
        let settings = serde_json::json!({"paths": ["inbox/statements/*.xml"], "iban": "DE02120300000000202051"});
        let options = LoadOptions::for_connection("bank", &settings, Path::new("/srv/arsync"));
        assert_eq!(options.host.connection, "bank");
        assert_eq!(options.host.file_scope, vec!["inbox/statements/*.xml"]);
        assert_eq!(options.host.base_dir, Path::new("/srv/arsync"));
        assert!(options.sha256.is_none());
    }

    #[test]
    fn a_manifest_without_a_name_is_refused() {
        let mut m = manifest("1.0.0");
        m.name = " ".into();
        assert!(check_manifest(Path::new("x"), &m).is_err());
        let _ = PanicStrategy::Abort;
    }

    #[test]
    fn a_missing_library_says_which_path() {
        let err = load(
            Path::new("/nonexistent/libnothing.so"),
            Isolation::InProcess,
            &LoadOptions::default(),
        )
        .err()
        .unwrap();
        assert!(matches!(err, RuntimeError::NotFound { .. }));
        assert!(err.to_string().contains("/nonexistent/libnothing.so"));
    }

    #[test]
    fn a_library_that_is_not_a_plugin_is_refused_by_the_loader() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("libfake.so");
        std::fs::write(&fake, b"not an ELF file").unwrap();
        let err = load(&fake, Isolation::InProcess, &LoadOptions::default())
            .err()
            .unwrap();
        assert!(matches!(err, RuntimeError::Load { .. }), "{err}");
    }

    #[test]
    fn a_pinned_hash_that_does_not_match_is_refused_before_loading() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("libledger.so");
        std::fs::write(&lib, b"pretend library").unwrap();
        let options = LoadOptions {
            sha256: Some("00".repeat(32)),
            ..LoadOptions::default()
        };
        let err = load(&lib, Isolation::InProcess, &options).err().unwrap();
        let RuntimeError::Checksum { actual, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(actual, &sha256_file(&lib).unwrap());
        assert!(err.to_string().contains("sha256"));
    }
}
