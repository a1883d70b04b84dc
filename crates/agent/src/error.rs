//! The agent's error type. Errors that stop a whole command live here; errors of one
//! connection (a plugin that refuses its settings, a network that stays down) are kept in
//! that connection's report instead, so one failing connection never stops the others.

use arsync_runtime::RuntimeError;
use arsync_sdk::ErrorKind;
use arsync_store::StoreError;
use std::path::PathBuf;

/// Result with [`AgentError`].
pub type Result<T, E = AgentError> = std::result::Result<T, E>;

/// Why an agent command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A connection named on the command line is not configured.
    #[error(
        "connection '{connection}' is not configured in {file}; use one of: {known} (see `arsync config check`)"
    )]
    UnknownConnection {
        /// The name asked for.
        connection: String,
        /// The configuration file.
        file: PathBuf,
        /// The configured names, comma-separated.
        known: String,
    },
    /// No plugin library declares the plugin name the connection asks for.
    #[error(
        "connection '{connection}': no plugin called '{plugin}' was found in {searched}; install the plugin library there, add its folder to [plugins] dirs, or set `library` on the connection{unreadable}"
    )]
    PluginNotFound {
        /// The connection.
        connection: String,
        /// The plugin name from the configuration.
        plugin: String,
        /// The folders searched, comma-separated.
        searched: String,
        /// The libraries in those folders whose manifest could not be read, with the reason
        /// (empty, or a sentence starting with "; "): one of them may be the plugin.
        unreadable: String,
    },
    /// Loading or calling the plugin failed.
    #[error("connection '{connection}': {source}")]
    Plugin {
        /// The connection.
        connection: String,
        /// What the runtime said.
        #[source]
        source: RuntimeError,
    },
    /// The thread that called the plugin ended without an answer (the plugin handle is
    /// lost; the connection is closed for this run).
    #[error(
        "connection '{connection}': the call to {method} ended without an answer ({reason}); the connection is skipped for this run"
    )]
    PluginLost {
        /// The connection.
        connection: String,
        /// The method.
        method: String,
        /// What happened to the thread.
        reason: String,
    },
    /// A plugin handed back the cursor it was given with more to come: it would loop.
    #[error(
        "connection '{connection}': the plugin returned a page with no progress (cursor {cursor:?} again on stream {stream}); report this to the plugin's author"
    )]
    NoProgress {
        /// The connection.
        connection: String,
        /// The stream.
        stream: String,
        /// The cursor that came back unchanged.
        cursor: Option<String>,
    },
    /// The `[collect]` settings cannot be used.
    #[error("[collect] in {file}: {reason}")]
    CollectSettings {
        /// The configuration file.
        file: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The `[reconcile]` settings cannot be used.
    #[error("[reconcile] in {file}: {reason}")]
    ReconcileSettings {
        /// The configuration file.
        file: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A reference-rate file named in `[collect] rates` cannot be read.
    #[error("{path} (named in [collect] rates): {reason}")]
    RateFile {
        /// The file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A receipt has no match in the state the action needs.
    #[error(
        "receipt '{receipt}' has no {wanted} match to {action}; run `arsync reconcile` and take the receipt id from `arsync report matches`"
    )]
    NoSuchMatch {
        /// The receipt id given.
        receipt: String,
        /// The state the match must be in ("suggested").
        wanted: String,
        /// What was asked ("confirm", "reject").
        action: String,
    },
    /// A recorded collection state is incomplete or inconsistent.
    #[error("{reason}")]
    StateEvent {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A document in the store cannot be read back.
    #[error(
        "the stored document {namespace}/{key} cannot be read ({reason}); it was written by another arsync version or edited by hand: restore it from a backup or delete it"
    )]
    Document {
        /// The document namespace.
        namespace: String,
        /// The key.
        key: String,
        /// What serde said.
        reason: String,
    },
    /// A connection's schedule is not a cron expression.
    #[error(
        "connection '{connection}': schedule {schedule:?} is not a cron expression ({reason}); write six fields `sec min hour day month weekday`, e.g. \"0 */15 * * * *\""
    )]
    Schedule {
        /// The connection.
        connection: String,
        /// The expression.
        schedule: String,
        /// What the parser said.
        reason: String,
    },
}

impl AgentError {
    /// How to treat the failure, in the protocol's terms: only `transient` and
    /// `rate_limited` are worth retrying.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AgentError::Plugin { source, .. } => source.kind(),
            _ => ErrorKind::Fatal,
        }
    }

    /// Seconds the source asked to wait before the next call, for `rate_limited`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AgentError::Plugin { source, .. } => {
                source.plugin_error().and_then(|e| e.retry_after_secs)
            }
            _ => None,
        }
    }
}
