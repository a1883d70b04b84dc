//! The child's side of process isolation: load one library, then serve `Call`s read from the
//! agent, forwarding the plugin's host calls back to the agent. The `arsync-plugin-host`
//! binary (or any program with a hidden subcommand for it) calls [`run_plugin_host`], which
//! moves the real stdin/stdout out of the plugin's reach and then runs [`serve`].

use crate::inprocess::open_table;
use crate::wire::{CREATE, FromChild, HostReply, Outcome, ToChild};
use arsync_sdk::PluginError;
use arsync_sdk::client::{CallError, HostServices, Instance};
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// The protocol channel: lines in from the agent, lines out to it.
struct Channel {
    input: Box<dyn BufRead + Send>,
    output: Box<dyn Write + Send>,
}

impl Channel {
    fn send(&mut self, message: &FromChild) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.output.write_all(&line)?;
        self.output.flush()
    }

    /// The next message, or `None` at end of input.
    fn receive(&mut self) -> std::io::Result<Option<ToChild>> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.input.read_line(&mut line)? == 0 {
                return Ok(None);
            }
            if !line.trim().is_empty() {
                break;
            }
        }
        serde_json::from_str(&line)
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

/// Host services that ask the agent over the channel.
struct ProxyHost {
    channel: Arc<Mutex<Channel>>,
}

impl HostServices for ProxyHost {
    fn call(&self, method: &str, request: &[u8]) -> Result<Vec<u8>, PluginError> {
        let request: serde_json::Value = serde_json::from_slice(request)
            .map_err(|e| PluginError::fatal(format!("host call {method} is not JSON: {e}")))?;
        let mut channel = self.channel.lock().unwrap_or_else(PoisonError::into_inner);
        channel
            .send(&FromChild::HostCall {
                method: method.to_owned(),
                request,
            })
            .map_err(|e| PluginError::fatal(format!("the agent went away: {e}")))?;
        match channel.receive() {
            Ok(Some(ToChild::HostReply {
                reply: HostReply::Ok(v),
            })) => serde_json::to_vec(&v).map_err(|e| PluginError::fatal(e.to_string())),
            Ok(Some(ToChild::HostReply {
                reply: HostReply::Error(e),
            })) => Err(e),
            Ok(Some(ToChild::Call { method: m, .. })) => Err(PluginError::fatal(format!(
                "the agent sent a call ({m}) while a host call was pending"
            ))),
            Ok(None) => Err(PluginError::fatal("the agent closed the channel")),
            Err(e) => Err(PluginError::fatal(format!("the agent sent garbage: {e}"))),
        }
    }
}

fn outcome(result: Result<Vec<u8>, CallError>) -> Outcome {
    match result {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(v) => Outcome::Ok(v),
            Err(e) => Outcome::Protocol(format!("the plugin's answer is not JSON: {e}")),
        },
        Err(CallError::Plugin(e)) => Outcome::Error(e),
        Err(CallError::Panic(m)) => Outcome::Panic(m),
        Err(CallError::Protocol(m)) => Outcome::Protocol(m),
    }
}

/// Load `library` and serve the agent until it closes `input`. Returns the process exit code.
pub fn serve(library: &Path, input: Box<dyn BufRead + Send>, output: Box<dyn Write + Send>) -> i32 {
    let channel = Arc::new(Mutex::new(Channel { input, output }));
    let lock = || channel.lock().unwrap_or_else(PoisonError::into_inner);
    let table = match open_table(library).and_then(|t| {
        t.manifest()
            .map(|m| (t, m))
            .map_err(|e| crate::RuntimeError::Manifest {
                path: library.to_path_buf(),
                reason: e.to_string(),
            })
    }) {
        Ok((table, manifest)) => {
            if lock().send(&FromChild::Ready { manifest }).is_err() {
                return 1;
            }
            table
        }
        Err(e) => {
            let _ = lock().send(&FromChild::Failed {
                message: e.to_string(),
            });
            return 2;
        }
    };
    let mut instance: Option<Instance> = None;
    loop {
        let message = lock().receive();
        let (method, request) = match message {
            Ok(Some(ToChild::Call { method, request })) => (method, request),
            Ok(None) => return 0,
            Ok(Some(ToChild::HostReply { .. })) => {
                let reply =
                    Outcome::Protocol("a host reply arrived with no host call pending".into());
                if lock().send(&FromChild::Result { outcome: reply }).is_err() {
                    return 1;
                }
                continue;
            }
            Err(_) => return 3,
        };
        let result = if method == CREATE {
            instance = None;
            let host = Arc::new(ProxyHost {
                channel: Arc::clone(&channel),
            });
            match table.create(host, &request) {
                Ok(created) => {
                    instance = Some(created);
                    Outcome::Ok(serde_json::json!({}))
                }
                Err(e) => outcome(Err(e)),
            }
        } else if let Some(live) = instance.as_mut() {
            let bytes = serde_json::to_vec(&request).unwrap_or_default();
            outcome(live.call_raw(&method, &bytes))
        } else {
            Outcome::Protocol(format!("{method} was called before create"))
        };
        if lock().send(&FromChild::Result { outcome: result }).is_err() {
            return 1;
        }
    }
}

/// Stop a crashing plugin from leaving core files in the working folder.
#[cfg(unix)]
fn no_core_dumps() {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit only reads the struct passed and affects this process.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) };
}

type Stdio = (Box<dyn BufRead + Send>, Box<dyn Write + Send>);

/// Move the protocol channel to private descriptors, point fd 1 at stderr and fd 0 at
/// `/dev/null`, so nothing a plugin prints or reads can touch the channel. Returns the
/// channel's reader and writer.
#[cfg(unix)]
pub fn protect_stdio() -> std::io::Result<Stdio> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain descriptor syscalls on descriptors this process owns; results checked.
    let (proto_in, proto_out) = unsafe {
        (
            libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3),
            libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3),
        )
    };
    if proto_in < 0 || proto_out < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: as above; fd 2 and fd 1 are this process's own.
    if unsafe { libc::dup2(2, 1) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: opening /dev/null read-only and moving it onto fd 0.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::close(null);
        }
    }
    // SAFETY: both descriptors were just created by fcntl and are owned by nothing else.
    let (input, output) = unsafe {
        (
            std::fs::File::from_raw_fd(proto_in),
            std::fs::File::from_raw_fd(proto_out),
        )
    };
    Ok((Box::new(std::io::BufReader::new(input)), Box::new(output)))
}

/// On platforms without file descriptors the channel stays on stdin/stdout unprotected.
#[cfg(not(unix))]
pub fn protect_stdio() -> std::io::Result<Stdio> {
    Ok((
        Box::new(std::io::BufReader::new(std::io::stdin())),
        Box::new(std::io::stdout()),
    ))
}

/// Everything the plugin host process does: protect stdio, refuse core dumps, load
/// `library` and serve the agent until it hangs up. Returns the exit code.
pub fn run_plugin_host(library: &Path) -> i32 {
    #[cfg(unix)]
    no_core_dumps();
    match protect_stdio() {
        Ok((input, output)) => serve(library, input, output),
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "arsync plugin host: cannot set up the channel: {e}"
            );
            70
        }
    }
}
