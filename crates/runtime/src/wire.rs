//! The JSON-lines messages between the agent and an `arsync-plugin-host` child, one object per
//! line in each direction. The child starts with `Ready` (or `Failed`); then the agent sends
//! `Call`s, and while a call runs the child may send `HostCall`s, each answered by one
//! `HostReply`, before it sends the call's `Result`.

use arsync_sdk::{Manifest, PluginError};
use serde::{Deserialize, Serialize};

/// Method name of the call that creates the instance (request: the settings).
pub const CREATE: &str = "create";

/// From the agent to the child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToChild {
    /// Call a plugin method (`create`, `pull_*`, `push_*`, `close`, ...).
    Call {
        /// Method name.
        method: String,
        /// JSON request.
        request: serde_json::Value,
    },
    /// The answer to the child's pending `HostCall`.
    HostReply {
        /// The answer.
        reply: HostReply,
    },
}

/// The answer to a host call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostReply {
    /// The JSON answer.
    Ok(serde_json::Value),
    /// A refusal or failure.
    Error(PluginError),
}

/// From the child to the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromChild {
    /// The library is loaded; here is its manifest.
    Ready {
        /// The manifest.
        manifest: Manifest,
    },
    /// The library could not be loaded.
    Failed {
        /// Why.
        message: String,
    },
    /// The plugin asks the host for a capability.
    HostCall {
        /// Host method (`files.read`, ...).
        method: String,
        /// JSON request.
        request: serde_json::Value,
    },
    /// The outcome of the pending `Call`.
    Result {
        /// What happened.
        outcome: Outcome,
    },
}

/// What a call produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The JSON answer.
    Ok(serde_json::Value),
    /// The plugin's error.
    Error(PluginError),
    /// The plugin panicked (caught inside the child).
    Panic(String),
    /// The plugin or the agent broke the protocol.
    Protocol(String),
}
