//! The runtime's error type: every way loading or calling a plugin can fail, each naming the
//! plugin (or library path) and saying what to do.

use arsync_sdk::{ErrorKind, PluginError};
use std::path::PathBuf;
use std::time::Duration;

/// Result with [`RuntimeError`].
pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;

/// Why loading or calling a plugin failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The library file is not there.
    #[error(
        "plugin library {path} does not exist; check the path in the connection's `library` setting or the plugins folder"
    )]
    NotFound {
        /// The path looked at.
        path: PathBuf,
    },
    /// The library's sha256 is not the one pinned in the config.
    #[error(
        "plugin library {path} has sha256 {actual}, but the config pins {expected}; if the library was updated on purpose, put the new hash in the connection's `sha256` setting"
    )]
    Checksum {
        /// The library.
        path: PathBuf,
        /// Pinned hash.
        expected: String,
        /// Hash of the file on disk.
        actual: String,
    },
    /// The dynamic loader refused the library, or it has no `arsync_plugin_v1`.
    #[error("cannot load plugin library {path}: {reason}")]
    Load {
        /// The library.
        path: PathBuf,
        /// What the loader said.
        reason: String,
    },
    /// The manifest is missing, unreadable or incompatible.
    #[error("plugin library {path} has an unusable manifest: {reason}")]
    Manifest {
        /// The library.
        path: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A library built with `panic = "abort"` cannot run in-process.
    #[error(
        "plugin {plugin} ({path}) was built with panic = \"abort\", so a panic would take arsync down; set isolation = \"process\" for this connection or rebuild the plugin with panic = \"unwind\""
    )]
    AbortOnPanic {
        /// Plugin name.
        plugin: String,
        /// The library.
        path: PathBuf,
    },
    /// A call came before `create`.
    #[error("plugin {plugin}: {method} was called before the connection was created")]
    NotCreated {
        /// Plugin name.
        plugin: String,
        /// The method.
        method: String,
    },
    /// The plugin reported an error of its own.
    #[error("plugin {plugin}: {error}")]
    Plugin {
        /// Plugin name.
        plugin: String,
        /// The plugin's error.
        error: PluginError,
    },
    /// The plugin panicked; the panic was caught.
    #[error("plugin {plugin} panicked in {method}: {message}; report this to the plugin's author")]
    Panic {
        /// Plugin name.
        plugin: String,
        /// The method.
        method: String,
        /// The panic message.
        message: String,
    },
    /// The plugin broke the ABI or the protocol.
    #[error("plugin {plugin} broke the protocol in {method}: {reason}")]
    Protocol {
        /// Plugin name.
        plugin: String,
        /// The method.
        method: String,
        /// What was wrong.
        reason: String,
    },
    /// A call in an isolated plugin took longer than the per-call timeout; the child was killed.
    #[error(
        "plugin {plugin} did not answer {method} within {timeout:?}; its process was killed and will be restarted"
    )]
    Timeout {
        /// Plugin name.
        plugin: String,
        /// The method.
        method: String,
        /// The limit.
        timeout: Duration,
    },
    /// A call in an in-process plugin took longer than the per-call timeout. The call is
    /// still running inside arsync (a thread cannot be stopped); the plugin is stuck.
    #[error(
        "plugin {plugin} did not answer {method} within {timeout:?}; it runs inside arsync, where a hung call cannot be stopped, so the connection is stuck until arsync restarts; set isolation = \"process\" for it so that a hang kills only a child process"
    )]
    CallTimeout {
        /// Plugin name.
        plugin: String,
        /// The method.
        method: String,
        /// The limit.
        timeout: Duration,
    },
    /// An in-process plugin is stuck in an earlier call that never answered; nothing more is
    /// sent to it.
    #[error(
        "plugin {plugin} is quarantined: an earlier {hung_in} did not answer within {timeout:?} and is still running inside arsync, so {method} was not sent; restart arsync, and set isolation = \"process\" for this connection so that a hang kills only a child process"
    )]
    Stuck {
        /// Plugin name.
        plugin: String,
        /// The method refused.
        method: String,
        /// The call that never answered.
        hung_in: String,
        /// The limit it exceeded.
        timeout: Duration,
    },
    /// Discovery could not read a library's manifest: it crashed or hung the process reading
    /// it, or broke the protocol.
    #[error("cannot read the manifest of {path}: {reason}")]
    Inspect {
        /// The library.
        path: PathBuf,
        /// What happened and what to do.
        reason: String,
    },
    /// The isolated plugin's process died during a call.
    #[error("plugin {plugin} crashed in {method} ({status}); its process will be restarted")]
    Crashed {
        /// Plugin name.
        plugin: String,
        /// The method.
        method: String,
        /// How the process ended.
        status: String,
    },
    /// The plugin failed too often in a row and is no longer called.
    #[error(
        "plugin {plugin} is quarantined after {failures} failures in a row (last: {last}); fix the cause and restart arsync or reset the connection"
    )]
    Quarantined {
        /// Plugin name.
        plugin: String,
        /// Consecutive failures.
        failures: u32,
        /// The last failure.
        last: String,
    },
    /// The `arsync-plugin-host` executable cannot be found or started.
    #[error("cannot start the plugin host for {plugin}: {reason}")]
    HostProcess {
        /// Plugin name or library.
        plugin: String,
        /// What went wrong and where it was looked for.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl RuntimeError {
    /// The protocol error kind, for errors the plugin reported.
    pub fn plugin_error(&self) -> Option<&PluginError> {
        match self {
            RuntimeError::Plugin { error, .. } => Some(error),
            _ => None,
        }
    }

    /// How the agent should treat this failure, in the protocol's terms.
    pub fn kind(&self) -> ErrorKind {
        match self {
            RuntimeError::Plugin { error, .. } => error.kind,
            RuntimeError::Timeout { .. }
            | RuntimeError::CallTimeout { .. }
            | RuntimeError::Crashed { .. } => ErrorKind::Transient,
            _ => ErrorKind::Fatal,
        }
    }

    /// True if calling again later may succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }
}
