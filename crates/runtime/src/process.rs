//! Process isolation: one `arsync-plugin-host` child per connection, speaking JSON lines over
//! its stdin/stdout. A crash, abort or hang kills only the child. Every call has a timeout;
//! a dead child is restarted on the next call after a backoff that doubles with each failure
//! in a row, and after too many failures in a row the plugin is quarantined. The child's
//! stderr (including anything the plugin prints) goes to arsync's log under the plugin's name.

use crate::error::{Result, RuntimeError};
use crate::host::{HostConfig, RuntimeHost};
use crate::wire::{CREATE, FromChild, HostReply, Outcome, ToChild};
use crate::{Isolation, PluginHandle};
use arsync_sdk::protocol::{PullRequest, PushRequest, PushResponse};
use arsync_sdk::{ItemResult, Manifest, Page, PushAction, PushItem, Stream};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// Name of the plugin host executable.
pub const PLUGIN_HOST_EXE: &str = "arsync-plugin-host";

/// Environment variable that overrides where the plugin host executable is.
pub const PLUGIN_HOST_ENV: &str = "ARSYNC_PLUGIN_HOST";

/// Limits of a plugin. The two timeouts apply in both isolations; the rest to process
/// isolation only (an in-process plugin that times out is stuck for good, see
/// [`crate::inprocess`]).
#[derive(Debug, Clone)]
pub struct Supervision {
    /// Longest a single call (including the host calls it makes) may take.
    pub call_timeout: Duration,
    /// Longest the library may take to load and give its manifest (the child to say it is
    /// ready, or the worker thread of an in-process plugin to open it).
    pub start_timeout: Duration,
    /// Wait before the first restart; doubled for each further failure in a row.
    pub backoff_initial: Duration,
    /// Upper bound of the wait before a restart.
    pub backoff_max: Duration,
    /// Failures in a row (crash, hang, panic, broken protocol) after which the plugin is
    /// quarantined.
    pub quarantine_after: u32,
}

impl Default for Supervision {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(120),
            start_timeout: Duration::from_secs(20),
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            quarantine_after: 5,
        }
    }
}

/// How to start a plugin host: a program and the arguments that come before the library's
/// path. Usually the `arsync-plugin-host` executable with no arguments; a program that embeds
/// the child's side itself (calling [`crate::child::run_plugin_host`] from a hidden
/// subcommand) can name itself and that subcommand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCommand {
    /// The executable.
    pub program: PathBuf,
    /// Arguments before the library path.
    pub args: Vec<std::ffi::OsString>,
}

impl HostCommand {
    /// Run `program <library>`.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
        }
    }

    /// Run `program <args...> <library>`.
    pub fn with_args<I, A>(program: impl Into<PathBuf>, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<std::ffi::OsString>,
    {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }
}

/// Find the plugin host executable: `$ARSYNC_PLUGIN_HOST`, else next to the running
/// executable, else one folder up (where test binaries in `target/*/deps` find it).
pub fn find_plugin_host() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(PLUGIN_HOST_ENV) {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let name = format!("{PLUGIN_HOST_EXE}{}", std::env::consts::EXE_SUFFIX);
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
}

enum Line {
    Message(FromChild),
    Garbage(String),
    Eof,
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Line>,
}

impl Running {
    fn kill(mut self) -> String {
        let _ = self.child.kill();
        self.child
            .wait()
            .map(|s| s.to_string())
            .unwrap_or_else(|e| format!("unknown exit ({e})"))
    }

    fn send(&mut self, message: &ToChild) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.stdin.write_all(&line)?;
        self.stdin.flush()
    }
}

/// A plugin running in its own child process.
pub struct ProcessPlugin {
    path: PathBuf,
    command: HostCommand,
    manifest: Manifest,
    host: RuntimeHost,
    limits: Supervision,
    running: Option<Running>,
    log_name: LogName,
    settings: Option<serde_json::Value>,
    failures: u32,
    last_failure: String,
    restarts: u32,
}

impl std::fmt::Debug for ProcessPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPlugin")
            .field("path", &self.path)
            .field("plugin", &self.manifest.name)
            .field("failures", &self.failures)
            .field("restarts", &self.restarts)
            .finish_non_exhaustive()
    }
}

/// The name the child's stderr is logged under: the library's path until the manifest names
/// the plugin.
type LogName = std::sync::Arc<std::sync::Mutex<String>>;

fn spawn(
    command: &HostCommand,
    library: &Path,
    label: &str,
    log_name: &LogName,
    start_timeout: Duration,
) -> Result<(Running, Manifest)> {
    let running = start_child(command, library, label, log_name)?;
    match await_ready(running, log_name, start_timeout) {
        Ok(ready) => Ok(ready),
        Err(NotReady::Failed(message)) => {
            // The child reports the whole load error; keep only its reason, once.
            let prefix = format!("cannot load plugin library {}: ", library.display());
            let reason = match message.strip_prefix(&prefix) {
                Some(rest) => rest.to_owned(),
                None => message,
            };
            Err(RuntimeError::Load {
                path: library.to_path_buf(),
                reason,
            })
        }
        Err(NotReady::Garbage(line)) => Err(RuntimeError::HostProcess {
            plugin: label.to_owned(),
            reason: format!("the plugin host said {line:?} instead of ready"),
        }),
        Err(NotReady::Exited(status)) => Err(RuntimeError::HostProcess {
            plugin: label.to_owned(),
            reason: format!(
                "the plugin host exited while loading {} ({status})",
                library.display()
            ),
        }),
        Err(NotReady::Timeout) => Err(RuntimeError::HostProcess {
            plugin: label.to_owned(),
            reason: format!(
                "the plugin host did not load {} within {start_timeout:?}",
                library.display()
            ),
        }),
    }
}

/// Start `command <library>` with piped stdio, a thread turning its stdout into [`Line`]s and
/// a thread logging its stderr under `log_name`.
fn start_child(
    command: &HostCommand,
    library: &Path,
    label: &str,
    log_name: &LogName,
) -> Result<Running> {
    let mut child = Command::new(&command.program)
        .args(&command.args)
        .arg(library)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RuntimeError::HostProcess {
            plugin: label.to_owned(),
            reason: format!(
                "{} could not be started ({e}); install {PLUGIN_HOST_EXE} next to arsync or set {PLUGIN_HOST_ENV}",
                command.program.display()
            ),
        })?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        return Err(RuntimeError::HostProcess {
            plugin: label.to_owned(),
            reason: "the child's pipes were not set up".into(),
        });
    };
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let message = match serde_json::from_str::<FromChild>(&line) {
                Ok(m) => Line::Message(m),
                Err(_) => Line::Garbage(line),
            };
            if tx.send(message).is_err() {
                return;
            }
        }
        let _ = tx.send(Line::Eof);
    });
    let stderr_name = std::sync::Arc::clone(log_name);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let plugin = stderr_name
                .lock()
                .map(|n| n.clone())
                .unwrap_or_else(|p| p.into_inner().clone());
            tracing::info!(plugin = plugin.as_str(), stream = "stderr", "{line}");
        }
    });
    Ok(Running {
        child,
        stdin,
        lines: rx,
    })
}

/// Why a child did not say it was ready; the child has been killed.
enum NotReady {
    /// It could not load the library, with its message.
    Failed(String),
    /// It wrote something that is not the protocol.
    Garbage(String),
    /// It ended, with this status.
    Exited(String),
    /// It said nothing in time.
    Timeout,
}

/// Wait for the child's first line: `Ready` with the manifest, or why not (and kill it).
fn await_ready(
    running: Running,
    log_name: &LogName,
    start_timeout: Duration,
) -> std::result::Result<(Running, Manifest), NotReady> {
    match running.lines.recv_timeout(start_timeout) {
        Ok(Line::Message(FromChild::Ready { manifest })) => {
            if let Ok(mut name) = log_name.lock() {
                name.clone_from(&manifest.name);
            }
            Ok((running, manifest))
        }
        Ok(Line::Message(FromChild::Failed { message })) => {
            running.kill();
            Err(NotReady::Failed(message))
        }
        Ok(Line::Garbage(line)) => {
            running.kill();
            Err(NotReady::Garbage(line))
        }
        Ok(_) | Err(RecvTimeoutError::Disconnected) => Err(NotReady::Exited(running.kill())),
        Err(RecvTimeoutError::Timeout) => {
            running.kill();
            Err(NotReady::Timeout)
        }
    }
}

/// Read the manifest of `library` (absolute path) in a plugin host child started with
/// `command`, waiting at most `timeout`, then end the child. Nothing of the library is loaded
/// into this process: a library that crashes, aborts or hangs while loading or answering its
/// manifest ends only the child and comes back as [`RuntimeError::Inspect`]. The child's
/// stderr goes to the log under the library's path. The manifest is not checked here.
pub fn read_manifest(library: &Path, command: &HostCommand, timeout: Duration) -> Result<Manifest> {
    let label = library.display().to_string();
    let log_name: LogName = std::sync::Arc::new(std::sync::Mutex::new(label.clone()));
    let inspect = |reason: String| RuntimeError::Inspect {
        path: library.to_path_buf(),
        reason,
    };
    let running = start_child(command, library, &label, &log_name)?;
    match await_ready(running, &log_name, timeout) {
        Ok((running, manifest)) => {
            // Closing stdin ends the child's read loop; no call is made, so a kill is as good.
            running.kill();
            Ok(manifest)
        }
        Err(NotReady::Failed(message)) => {
            let prefix = format!("cannot load plugin library {}: ", library.display());
            Err(RuntimeError::Load {
                path: library.to_path_buf(),
                reason: match message.strip_prefix(&prefix) {
                    Some(rest) => rest.to_owned(),
                    None => message,
                },
            })
        }
        Err(NotReady::Garbage(line)) => Err(inspect(format!(
            "the plugin host reading it wrote {line:?} instead of the manifest; it is not a working arsync plugin"
        ))),
        Err(NotReady::Exited(status)) => Err(inspect(format!(
            "it crashed the plugin host that was reading it ({status}); arsync itself was not affected, but the library cannot be used until its author fixes it"
        ))),
        Err(NotReady::Timeout) => Err(inspect(format!(
            "it did not give its manifest within {timeout:?}; the plugin host reading it was killed. If the machine is merely slow, raise the timeout; otherwise the library hangs while loading"
        ))),
    }
}

impl ProcessPlugin {
    /// Start a child for `library` (absolute path) with the plugin host `command`.
    pub fn start(
        library: &Path,
        command: &HostCommand,
        host: HostConfig,
        limits: Supervision,
    ) -> Result<Self> {
        let label = library.display().to_string();
        let log_name: LogName = std::sync::Arc::new(std::sync::Mutex::new(label.clone()));
        let (running, manifest) = spawn(command, library, &label, &log_name, limits.start_timeout)?;
        crate::check_manifest(library, &manifest)?;
        let host = RuntimeHost::new(&manifest.name, &manifest.allowed_hosts, host);
        Ok(Self {
            path: library.to_path_buf(),
            command: command.clone(),
            manifest,
            host,
            limits,
            running: Some(running),
            log_name,
            settings: None,
            failures: 0,
            last_failure: String::new(),
            restarts: 0,
        })
    }

    /// Process id of the current child, if one runs.
    pub fn child_id(&self) -> Option<u32> {
        self.running.as_ref().map(|r| r.child.id())
    }

    /// How often the child was restarted.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// Failures in a row so far.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }

    /// True once the plugin is quarantined.
    pub fn is_quarantined(&self) -> bool {
        self.failures >= self.limits.quarantine_after
    }

    /// Lift the quarantine (an operator fixed the cause); the next call starts a child.
    pub fn reset(&mut self) {
        self.failures = 0;
        self.last_failure.clear();
    }

    /// The wait before the next restart, given the failures in a row so far.
    pub fn backoff(&self) -> Duration {
        let exponent = self.failures.saturating_sub(1).min(20);
        self.limits
            .backoff_initial
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.limits.backoff_max)
    }

    fn fail(&mut self, error: RuntimeError) -> RuntimeError {
        if let Some(running) = self.running.take() {
            running.kill();
        }
        self.failures = self.failures.saturating_add(1);
        self.last_failure = error.to_string();
        tracing::warn!(
            plugin = self.manifest.name.as_str(),
            failures = self.failures,
            "{}",
            self.last_failure
        );
        error
    }

    fn ensure_running(&mut self, method: &str) -> Result<()> {
        if self.running.is_some() {
            return Ok(());
        }
        if self.is_quarantined() {
            return Err(RuntimeError::Quarantined {
                plugin: self.manifest.name.clone(),
                failures: self.failures,
                last: self.last_failure.clone(),
            });
        }
        std::thread::sleep(self.backoff());
        let (running, manifest) = match spawn(
            &self.command,
            &self.path,
            &self.manifest.name,
            &self.log_name,
            self.limits.start_timeout,
        ) {
            Ok(started) => started,
            Err(e) => return Err(self.fail(e)),
        };
        self.restarts = self.restarts.saturating_add(1);
        tracing::info!(
            plugin = self.manifest.name.as_str(),
            restarts = self.restarts,
            "plugin process restarted"
        );
        if manifest.name != self.manifest.name {
            return Err(self.fail(RuntimeError::Manifest {
                path: self.path.clone(),
                reason: format!(
                    "the library now calls itself {} instead of {}; it was replaced while arsync ran",
                    manifest.name, self.manifest.name
                ),
            }));
        }
        self.running = Some(running);
        if method != CREATE
            && let Some(settings) = self.settings.clone()
        {
            self.exchange(CREATE, settings, false)?;
        }
        Ok(())
    }

    /// Send one call and serve host calls until its result, within the call timeout. An
    /// answer clears the failures in a row only if `healthy_on_answer` (a replayed `create`
    /// after a restart does not prove the failing call works now).
    fn exchange(
        &mut self,
        method: &str,
        request: serde_json::Value,
        healthy_on_answer: bool,
    ) -> Result<serde_json::Value> {
        let plugin = self.manifest.name.clone();
        let deadline = Instant::now() + self.limits.call_timeout;
        let Some(running) = self.running.as_mut() else {
            return Err(RuntimeError::NotCreated {
                plugin,
                method: method.to_owned(),
            });
        };
        if let Err(e) = running.send(&ToChild::Call {
            method: method.to_owned(),
            request,
        }) {
            let status = self.running.take().map(Running::kill).unwrap_or_default();
            return Err(self.fail(RuntimeError::Crashed {
                plugin,
                method: method.to_owned(),
                status: format!("{status}; writing the call failed: {e}"),
            }));
        }
        loop {
            let Some(running) = self.running.as_mut() else {
                return Err(RuntimeError::NotCreated {
                    plugin,
                    method: method.to_owned(),
                });
            };
            let left = deadline.saturating_duration_since(Instant::now());
            let line = running.lines.recv_timeout(left);
            match line {
                Ok(Line::Message(FromChild::HostCall {
                    method: host_method,
                    request,
                })) => {
                    let bytes = serde_json::to_vec(&request).unwrap_or_default();
                    let reply = match self.host.serve(&host_method, &bytes) {
                        Ok(v) => HostReply::Ok(v),
                        Err(e) => HostReply::Error(e),
                    };
                    if let Some(running) = self.running.as_mut()
                        && running.send(&ToChild::HostReply { reply }).is_err()
                    {
                        continue; // the child died; the next read sees Eof
                    }
                }
                Ok(Line::Message(FromChild::Result { outcome })) => {
                    return match outcome {
                        Outcome::Ok(v) => {
                            if healthy_on_answer {
                                self.failures = 0;
                            }
                            Ok(v)
                        }
                        Outcome::Error(error) => {
                            if healthy_on_answer {
                                self.failures = 0;
                            }
                            Err(RuntimeError::Plugin { plugin, error })
                        }
                        // The instance is poisoned: retire the child so the next call
                        // gets a fresh one.
                        Outcome::Panic(message) => Err(self.fail(RuntimeError::Panic {
                            plugin,
                            method: method.to_owned(),
                            message,
                        })),
                        Outcome::Protocol(reason) => Err(self.fail(RuntimeError::Protocol {
                            plugin,
                            method: method.to_owned(),
                            reason,
                        })),
                    };
                }
                Ok(Line::Message(other)) => {
                    return Err(self.fail(RuntimeError::Protocol {
                        plugin,
                        method: method.to_owned(),
                        reason: format!("unexpected message {other:?}"),
                    }));
                }
                Ok(Line::Garbage(text)) => {
                    return Err(self.fail(RuntimeError::Protocol {
                        plugin,
                        method: method.to_owned(),
                        reason: format!("the child wrote {text:?} on the protocol channel"),
                    }));
                }
                Ok(Line::Eof) | Err(RecvTimeoutError::Disconnected) => {
                    let status = self.running.take().map(Running::kill).unwrap_or_default();
                    return Err(self.fail(RuntimeError::Crashed {
                        plugin,
                        method: method.to_owned(),
                        status,
                    }));
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(self.fail(RuntimeError::Timeout {
                        plugin,
                        method: method.to_owned(),
                        timeout: self.limits.call_timeout,
                    }));
                }
            }
        }
    }

    fn typed_call<T: serde::de::DeserializeOwned>(
        &mut self,
        method: &str,
        request: serde_json::Value,
    ) -> Result<T> {
        let answer = PluginHandle::call(self, method, &request)?;
        serde_json::from_value(answer).map_err(|e| RuntimeError::Protocol {
            plugin: self.manifest.name.clone(),
            method: method.to_owned(),
            reason: format!("the answer is not what the protocol says: {e}"),
        })
    }
}

impl PluginHandle for ProcessPlugin {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn isolation(&self) -> Isolation {
        Isolation::Process
    }

    fn create(&mut self, settings: &serde_json::Value) -> Result<()> {
        self.ensure_running(CREATE)?;
        self.exchange(CREATE, settings.clone(), true)?;
        self.settings = Some(settings.clone());
        Ok(())
    }

    fn call(&mut self, method: &str, request: &serde_json::Value) -> Result<serde_json::Value> {
        if self.settings.is_none() {
            return Err(RuntimeError::NotCreated {
                plugin: self.manifest.name.clone(),
                method: method.to_owned(),
            });
        }
        self.ensure_running(method)?;
        self.exchange(method, request.clone(), true)
    }

    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page> {
        let request = serde_json::to_value(PullRequest {
            cursor: cursor.map(str::to_owned),
        })
        .unwrap_or_default();
        let page = self.typed_call(&stream.method(), request)?;
        crate::check_page(&self.manifest.name, stream, page)
    }

    fn push(&mut self, action: PushAction, items: Vec<PushItem>) -> Result<Vec<ItemResult>> {
        let keys: Vec<String> = items.iter().map(|i| i.idempotency_key.clone()).collect();
        let request =
            serde_json::to_value(PushRequest { items }).map_err(|e| RuntimeError::Protocol {
                plugin: self.manifest.name.clone(),
                method: action.method(),
                reason: e.to_string(),
            })?;
        let response: PushResponse = self.typed_call(&action.method(), request)?;
        crate::check_results(&self.manifest.name, action, &keys, response.results)
    }

    fn close(&mut self) -> Result<()> {
        if self.settings.is_some() && self.running.is_some() {
            let _: serde_json::Value =
                self.typed_call(arsync_sdk::CLOSE_METHOD, serde_json::json!({}))?;
        }
        self.settings = None;
        if let Some(mut running) = self.running.take() {
            // Closing stdin ends the child's read loop; give it a moment, then make sure.
            drop(running.stdin);
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = running.child.try_wait() {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = running.child.kill();
            let _ = running.child.wait();
        }
        Ok(())
    }
}

impl Drop for ProcessPlugin {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.kill();
        }
    }
}
