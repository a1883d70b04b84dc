//! The host's services as a plugin sees them: HTTP, files, secrets, log and clock.
//!
//! Every method is a JSON call through `HostApi.call`. The host enforces the rules (allowed
//! hosts, file scope, timeouts); a refusal comes back as a [`PluginError`] the plugin can pass
//! on unchanged.

use crate::protocol::{ErrorKind, PluginError};
use arsync_model::NaiveDate;
use arsync_plugin_abi::{Bytes, HostApi, OwnedBuffer, status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Names of the host methods (`HostApi.call`).
pub mod methods {
    /// `http.request`: [`super::HttpRequest`] → [`super::HttpResponse`].
    pub const HTTP_REQUEST: &str = "http.request";
    /// `files.read`: `{"path"}` → `{"path", "base64"}`.
    pub const FILES_READ: &str = "files.read";
    /// `files.write`: `{"path", "base64"}` → `{}`.
    pub const FILES_WRITE: &str = "files.write";
    /// `files.list`: `{"pattern"}` → `{"paths": [...]}`, sorted.
    pub const FILES_LIST: &str = "files.list";
    /// `secrets.get`: `{"name"}` → `{"value"}`.
    pub const SECRETS_GET: &str = "secrets.get";
    /// `log`: `{"level", "message"}` → `{}`.
    pub const LOG: &str = "log";
    /// `clock.now`: `{}` → `{"now": RFC 3339 UTC}`.
    pub const CLOCK_NOW: &str = "clock.now";
}

/// An HTTP request the host makes on the plugin's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute `https://` URL; its host must be in the manifest's `allowed_hosts`.
    pub url: String,
    /// Request headers. The host adds authorization itself where the connection has it.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Per-request timeout in milliseconds; the host caps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

impl HttpRequest {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: "GET".into(),
            url: url.into(),
            headers: BTreeMap::new(),
            body: None,
            timeout_ms: None,
        }
    }

    /// A `POST` of a JSON body to `url`.
    pub fn post_json(url: impl Into<String>, body: &serde_json::Value) -> Self {
        let mut headers = BTreeMap::new();
        headers.insert("content-type".into(), "application/json".into());
        Self {
            method: "POST".into(),
            url: url.into(),
            headers,
            body: Some(body.to_string()),
            timeout_ms: None,
        }
    }

    /// Add a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }
}

/// The answer to an [`HttpRequest`]. Any status code is an answer; only failures to get one
/// (refused host, timeout, TLS) are errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers, names lower-cased.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body as text (invalid UTF-8 replaced), when it is text.
    #[serde(default)]
    pub body: String,
}

impl HttpResponse {
    /// The `Retry-After` header in seconds, when it is a number of seconds.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.headers
            .get("retry-after")
            .and_then(|v| v.trim().parse().ok())
    }

    /// Map a failed status to the protocol's error kinds, so every plugin reacts alike:
    /// 401/403 `auth`, 429 `rate_limited` (with `Retry-After`, else 60 s), 408 and 5xx
    /// `transient`, other 4xx `fatal` (the message quotes the start of the body). 1xx-3xx
    /// pass.
    pub fn error_for_status(&self, what: &str) -> Result<(), PluginError> {
        let excerpt: String = self.body.chars().take(300).collect();
        match self.status {
            100..=399 => Ok(()),
            401 | 403 => Err(PluginError::auth(format!(
                "{what}: HTTP {}; the connection's authorization was refused, reconnect it ({excerpt})",
                self.status
            ))),
            429 => Err(PluginError::rate_limited(
                format!("{what}: HTTP 429, the server asks to slow down"),
                self.retry_after_secs().unwrap_or(60),
            )),
            408 | 500..=599 => Err(PluginError::transient(format!(
                "{what}: HTTP {} from the server ({excerpt})",
                self.status
            ))),
            _ => Err(PluginError::fatal(format!(
                "{what}: HTTP {} ({excerpt})",
                self.status
            ))),
        }
    }

    /// Parse the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, PluginError> {
        serde_json::from_str(&self.body).map_err(|e| {
            PluginError::transient(format!(
                "the server answered HTTP {} with a body that is not the expected JSON: {e}",
                self.status
            ))
        })
    }
}

/// A secret value; its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself; use it only where it must go.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Log levels for [`Host::log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Fine detail.
    Debug,
    /// Normal progress.
    Info,
    /// Something looks wrong but work goes on.
    Warn,
    /// Something failed.
    Error,
}

/// The host, as handed to [`crate::Connector::create`]. Cheap to clone; usable from the
/// thread that is currently inside a call of this instance.
#[derive(Clone)]
pub struct Host {
    api: *const HostApi,
}

// SAFETY: the protocol requires the host to accept calls on its table from whichever thread is
// currently executing a call into the plugin; the table stays valid until `destroy` returns.
unsafe impl Send for Host {}
// SAFETY: as above; the host serialises calls per instance.
unsafe impl Sync for Host {}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host").finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct FileBody {
    base64: String,
}

#[derive(Deserialize)]
struct PathList {
    paths: Vec<String>,
}

#[derive(Deserialize)]
struct SecretBody {
    value: String,
}

#[derive(Deserialize)]
struct NowBody {
    now: String,
}

impl Host {
    /// Wrap a host table.
    ///
    /// # Safety
    /// `api` must point to a [`HostApi`] of at least version-1 size that stays valid for as
    /// long as this `Host` (and its clones) are used.
    pub unsafe fn from_raw(api: *const HostApi) -> Self {
        Self { api }
    }

    /// Call a host method with a JSON request and parse the JSON answer.
    pub fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        request: &serde_json::Value,
    ) -> Result<T, PluginError> {
        let request = request.to_string();
        let mut out = OwnedBuffer::EMPTY;
        // SAFETY: `from_raw`'s contract keeps the table valid while this Host is used.
        let api = unsafe { &*self.api };
        let code = (api.call)(
            api.ctx,
            Bytes::from_slice(method.as_bytes()),
            Bytes::from_slice(request.as_bytes()),
            &mut out,
        );
        // SAFETY: the host just allocated `out` and has not freed it; we copy then free it.
        let bytes = unsafe { out.to_vec() };
        (api.free)(api.ctx, out);
        match code {
            status::OK => serde_json::from_slice(&bytes).map_err(|e| {
                PluginError::fatal(format!(
                    "the host answered {method} with unreadable JSON: {e}"
                ))
            }),
            status::ERROR => Err(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                PluginError::fatal(String::from_utf8_lossy(&bytes).into_owned())
            })),
            status::UNKNOWN_METHOD => Err(PluginError::unsupported(format!(
                "this arsync does not offer the host method {method}; upgrade arsync"
            ))),
            other => Err(PluginError::fatal(format!(
                "the host failed {method} with status {other}: {}",
                String::from_utf8_lossy(&bytes)
            ))),
        }
    }

    /// Make an HTTP request through the host.
    pub fn http(&self, request: &HttpRequest) -> Result<HttpResponse, PluginError> {
        let value = serde_json::to_value(request)
            .map_err(|e| PluginError::fatal(format!("cannot encode the HTTP request: {e}")))?;
        self.call(methods::HTTP_REQUEST, &value)
    }

    /// Read a file the connection's settings name.
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>, PluginError> {
        let body: FileBody =
            self.call(methods::FILES_READ, &serde_json::json!({ "path": path }))?;
        crate::base64::decode(&body.base64)
            .ok_or_else(|| PluginError::fatal(format!("the host sent {path} with invalid base64")))
    }

    /// Write a file inside the connection's settings' paths.
    pub fn write_file(&self, path: &str, bytes: &[u8]) -> Result<(), PluginError> {
        let _: serde_json::Value = self.call(
            methods::FILES_WRITE,
            &serde_json::json!({ "path": path, "base64": crate::base64::encode(bytes) }),
        )?;
        Ok(())
    }

    /// List the files matching a glob pattern inside the connection's settings' paths.
    pub fn list_files(&self, pattern: &str) -> Result<Vec<String>, PluginError> {
        let list: PathList = self.call(
            methods::FILES_LIST,
            &serde_json::json!({ "pattern": pattern }),
        )?;
        Ok(list.paths)
    }

    /// A secret of this connection (an API key, a password), by name.
    pub fn secret(&self, name: &str) -> Result<Secret, PluginError> {
        let body: SecretBody =
            self.call(methods::SECRETS_GET, &serde_json::json!({ "name": name }))?;
        Ok(Secret(body.value))
    }

    /// Write a line to arsync's log under the plugin's name. Logging never fails the caller.
    pub fn log(&self, level: Level, message: &str) {
        let _ignored: Result<serde_json::Value, _> = self.call(
            methods::LOG,
            &serde_json::json!({ "level": level, "message": message }),
        );
    }

    /// The host's current instant, RFC 3339 in UTC (`2026-11-23T15:00:00Z`). Use it rather than
    /// the system clock so runs can be replayed.
    pub fn now(&self) -> Result<String, PluginError> {
        let body: NowBody = self.call(methods::CLOCK_NOW, &serde_json::json!({}))?;
        Ok(body.now)
    }

    /// Today's date in UTC according to the host's clock.
    pub fn today_utc(&self) -> Result<NaiveDate, PluginError> {
        let now = self.now()?;
        now.get(..10)
            .and_then(|d| NaiveDate::from_str(d).ok())
            .ok_or_else(|| {
                PluginError::new(
                    ErrorKind::Fatal,
                    format!("the host clock answered {now:?}, not an RFC 3339 instant"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn answer(status: u16, retry_after: Option<&str>) -> HttpResponse {
        let mut headers = BTreeMap::new();
        if let Some(r) = retry_after {
            headers.insert("retry-after".to_owned(), r.to_owned());
        }
        HttpResponse {
            status,
            headers,
            body: "{\"Fault\":{}}".into(),
        }
    }

    #[test]
    fn statuses_map_to_the_protocols_error_kinds() {
        assert!(
            answer(200, None)
                .error_for_status("listing invoices")
                .is_ok()
        );
        assert!(
            answer(304, None)
                .error_for_status("listing invoices")
                .is_ok()
        );
        let kind = |s| answer(s, None).error_for_status("x").unwrap_err().kind;
        assert_eq!(kind(401), ErrorKind::Auth);
        assert_eq!(kind(403), ErrorKind::Auth);
        assert_eq!(kind(429), ErrorKind::RateLimited);
        assert_eq!(kind(503), ErrorKind::Transient);
        assert_eq!(kind(408), ErrorKind::Transient);
        assert_eq!(kind(400), ErrorKind::Fatal);
    }

    #[test]
    fn a_429_waits_as_long_as_the_server_says_or_a_minute() {
        let e = answer(429, Some("17")).error_for_status("x").unwrap_err();
        assert_eq!(e.retry_after_secs, Some(17));
        let e = answer(429, Some("Wed, 21 Oct 2026 07:28:00 GMT"))
            .error_for_status("x")
            .unwrap_err();
        assert_eq!(e.retry_after_secs, Some(60));
    }
}
