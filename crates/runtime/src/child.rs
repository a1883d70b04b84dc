//! The child's side of process isolation: load one library, then serve `Call`s read from the
//! agent, forwarding the plugin's host calls back to the agent. The `arsync-plugin-host`
//! binary runs [`serve`] after moving its real stdout out of the plugin's reach.

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
