//! Plugins as the agent uses them: finding and loading a connection's library, creating
//! its instance with the connection's settings, and calling it from a blocking thread with
//! bounded retries for `transient` and `rate_limited` failures.

use crate::error::{AgentError, Result};
use arsync_config::{Config, Connection};
use arsync_model::Clock;
use arsync_runtime::{
    HostConfig, Isolation, LoadOptions, PluginHandle, PluginInfo, Supervision, default_plugin_dirs,
    discover, host::file_scope_from_settings,
};
use arsync_sdk::{Capability, ErrorKind, Manifest, PushAction};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Opens a connection's plugin. The agent's default is [`LibraryLoader`]; tests and
/// embedders can supply their own (for example to wrap a real plugin and make it fail).
pub trait PluginLoader: Send + Sync {
    /// Finds and loads the connection's plugin (not yet created). Called from a blocking
    /// thread: it may read files and start processes.
    fn load(
        &self,
        config: &Config,
        connection: &Connection,
        host: HostConfig,
    ) -> Result<Box<dyn PluginHandle>>;
}

/// Loads plugin libraries from disk: the connection's `library` when given, else the
/// library whose manifest has the connection's `plugin` name, in `[plugins] dirs`
/// (relative to the configuration file) and in `plugins/` next to the arsync executable.
#[derive(Debug, Clone, Default)]
pub struct LibraryLoader {
    /// Limits for connections with `isolation = "process"`. The `arsync-plugin-host`
    /// executable is looked for next to arsync (or where the runtime's environment
    /// variable points).
    pub supervision: Supervision,
}

impl LibraryLoader {
    /// The folders searched for a plugin by name.
    pub fn search_dirs(config: &Config) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = config
            .plugins
            .dirs
            .iter()
            .map(|d| config.resolve(d))
            .collect();
        dirs.extend(default_plugin_dirs());
        dirs
    }
}

impl PluginLoader for LibraryLoader {
    fn load(
        &self,
        config: &Config,
        connection: &Connection,
        host: HostConfig,
    ) -> Result<Box<dyn PluginHandle>> {
        let name = connection.name().to_owned();
        let path = match &connection.library {
            Some(library) => config.resolve(library),
            None => {
                let dirs = Self::search_dirs(config);
                let found = discover(&dirs, &[]);
                match found.iter().find(|info| {
                    info.manifest
                        .as_ref()
                        .is_some_and(|m| m.name == connection.plugin)
                }) {
                    Some(info) => info.path.clone(),
                    None => {
                        return Err(AgentError::PluginNotFound {
                            connection: name.clone(),
                            plugin: connection.plugin.clone(),
                            searched: dirs
                                .iter()
                                .map(|d| d.display().to_string())
                                .collect::<Vec<_>>()
                                .join(", "),
                            unreadable: unreadable_libraries(&found),
                        });
                    }
                }
            }
        };
        let isolation = match connection.isolation {
            arsync_config::Isolation::InProcess => Isolation::InProcess,
            arsync_config::Isolation::Process => Isolation::Process,
        };
        let options = LoadOptions {
            sha256: connection.sha256.as_ref().map(|s| s.get_ref().clone()),
            host,
            supervision: self.supervision.clone(),
            ..LoadOptions::default()
        };
        let handle = arsync_runtime::load(&path, isolation, &options).map_err(|source| {
            AgentError::Plugin {
                connection: name.clone(),
                source,
            }
        })?;
        let declared = &handle.manifest().name;
        if connection.library.is_some() && declared != &connection.plugin {
            tracing::warn!(
                connection = name.as_str(),
                configured = connection.plugin.as_str(),
                declared = declared.as_str(),
                "the library's manifest names another plugin than the connection's `plugin`"
            );
        }
        Ok(handle)
    }
}

/// The libraries whose manifest could not be read, as a clause for a "not found" error:
/// empty when there are none.
fn unreadable_libraries(found: &[PluginInfo]) -> String {
    let problems: Vec<String> = found
        .iter()
        .filter(|info| info.manifest.is_none())
        .map(|info| match &info.problem {
            Some(p) => format!("{} ({p})", info.path.display()),
            None => info.path.display().to_string(),
        })
        .collect();
    if problems.is_empty() {
        String::new()
    } else {
        format!(
            "; these libraries could not be read and one of them may be it: {}",
            problems.join("; ")
        )
    }
}

/// How often and how long to retry a plugin call that failed with `transient` or
/// `rate_limited`. Every other kind fails at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Calls in all, the first included.
    pub max_attempts: u32,
    /// Wait before the second call after a transient failure; doubled each time.
    pub base_delay: Duration,
    /// Upper bound of one backoff wait.
    pub max_delay: Duration,
    /// Upper bound of one wait a source asks for with `retry_after`.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No waits at all, for tests.
    pub fn immediate(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            max_rate_limit_wait: Duration::ZERO,
        }
    }

    /// The wait before attempt `attempt + 1` after a failure of `kind`, or `None` when the
    /// failure is not retried or the attempts are used up.
    pub fn wait_after(
        &self,
        attempt: u32,
        kind: ErrorKind,
        retry_after_secs: Option<u64>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        match kind {
            ErrorKind::RateLimited => Some(
                Duration::from_secs(retry_after_secs.unwrap_or(1)).min(self.max_rate_limit_wait),
            ),
            ErrorKind::Transient => {
                let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
                Some(self.base_delay.saturating_mul(factor).min(self.max_delay))
            }
            _ => None,
        }
    }
}

/// One connection's loaded plugin for the length of a run.
pub(crate) struct Session {
    connection: String,
    manifest: Manifest,
    handle: Option<Box<dyn PluginHandle>>,
    retry: RetryPolicy,
}

impl Session {
    /// Loads the connection's plugin on a blocking thread.
    pub(crate) async fn load(
        loader: Arc<dyn PluginLoader>,
        config: &Config,
        connection: &Connection,
        clock: Arc<dyn Clock>,
        retry: RetryPolicy,
    ) -> Result<Session> {
        let settings = connection.settings_json();
        let host = HostConfig {
            connection: connection.name().to_owned(),
            file_scope: file_scope_from_settings(&settings),
            base_dir: config
                .file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), PathBuf::from),
            clock,
            ..HostConfig::default()
        };
        let name = connection.name().to_owned();
        let config = config.clone();
        let connection = connection.clone();
        let handle = tokio::task::spawn_blocking(move || loader.load(&config, &connection, host))
            .await
            .map_err(|e| AgentError::PluginLost {
                connection: name.clone(),
                method: "load".into(),
                reason: e.to_string(),
            })??;
        Ok(Session {
            connection: name,
            manifest: handle.manifest().clone(),
            handle: Some(handle),
            retry,
        })
    }

    /// The connection's name.
    pub(crate) fn connection(&self) -> &str {
        &self.connection
    }

    /// The plugin's manifest.
    pub(crate) fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Whether the plugin declares a push action.
    pub(crate) fn can_push(&self, action: PushAction) -> bool {
        self.manifest.has(&Capability::Push(action))
    }

    /// Calls the plugin once on a blocking thread.
    pub(crate) async fn call<T, F>(&mut self, method: &str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn PluginHandle) -> arsync_runtime::Result<T> + Send + 'static,
    {
        let lost = |reason: String| AgentError::PluginLost {
            connection: self.connection.clone(),
            method: method.to_owned(),
            reason,
        };
        let Some(mut handle) = self.handle.take() else {
            return Err(lost("the plugin was lost by an earlier call".into()));
        };
        let (handle, result) = tokio::task::spawn_blocking(move || {
            let result = f(handle.as_mut());
            (handle, result)
        })
        .await
        .map_err(|e| lost(e.to_string()))?;
        self.handle = Some(handle);
        result.map_err(|source| AgentError::Plugin {
            connection: self.connection.clone(),
            source,
        })
    }

    /// Calls the plugin, retrying `transient` and `rate_limited` failures within the
    /// policy. Returns the answer and the number of retries it took.
    pub(crate) async fn call_with_retry<T, F, M>(
        &mut self,
        method: &str,
        make: M,
    ) -> Result<(T, u32)>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn PluginHandle) -> arsync_runtime::Result<T> + Send + 'static,
        M: Fn() -> F,
    {
        let mut attempt = 1;
        loop {
            match self.call(method, make()).await {
                Ok(answer) => return Ok((answer, attempt - 1)),
                Err(e) => {
                    let Some(wait) = self
                        .retry
                        .wait_after(attempt, e.kind(), e.retry_after_secs())
                    else {
                        return Err(e);
                    };
                    tracing::warn!(
                        connection = self.connection.as_str(),
                        method,
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        error = %e,
                        "plugin call failed; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Creates the plugin's instance with the connection's settings.
    pub(crate) async fn create(&mut self, settings: serde_json::Value) -> Result<()> {
        self.call_with_retry("create", move || {
            let settings = settings.clone();
            move |h: &mut dyn PluginHandle| h.create(&settings)
        })
        .await
        .map(|_| ())
    }

    /// Drops a session that was only loaded to read its manifest (never created).
    pub(crate) fn discard(self) {}

    /// Closes the instance; a failure is only logged.
    pub(crate) async fn close(mut self) {
        if let Err(e) = self.call("close", |h| h.close()).await {
            tracing::warn!(connection = self.connection.as_str(), error = %e, "closing the plugin failed");
        }
    }
}
