//! Test support for plugin authors (feature `testing`): a [`MockHost`] that serves canned
//! HTTP answers, in-memory files and secrets and records the log, and [`round_trip`], which
//! drives a connector through its real `extern "C"` table in this process, exactly as the
//! agent would after loading the library.

use crate::client::{CallError, HostServices, Instance, PluginTable};
use crate::connector::Connector;
use crate::host::{HttpRequest, HttpResponse, Level, methods};
use crate::protocol::{Manifest, PluginError};
use arsync_plugin_abi::{OwnedBuffer, PluginApi};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// An in-memory host: canned HTTP answers by URL prefix, files, secrets and a fixed clock; it
/// records every HTTP request and log line so tests can look at them.
#[derive(Debug, Default)]
pub struct MockHost {
    responses: Mutex<Vec<(String, HttpResponse)>>,
    requests: Mutex<Vec<HttpRequest>>,
    files: Mutex<BTreeMap<String, Vec<u8>>>,
    secrets: BTreeMap<String, String>,
    logs: Mutex<Vec<(Level, String)>>,
    now: Option<String>,
}

#[derive(Deserialize)]
struct PathArg {
    path: String,
}

#[derive(Deserialize)]
struct WriteArg {
    path: String,
    base64: String,
}

#[derive(Deserialize)]
struct PatternArg {
    pattern: String,
}

#[derive(Deserialize)]
struct NameArg {
    name: String,
}

#[derive(Deserialize)]
struct LogArg {
    level: Level,
    message: String,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Does `path` match a glob `pattern` with `*` (within a segment) and `?`.
fn glob_match(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && s[0] != b'/' && go(p, &s[1..])),
            (Some(b'?'), Some(&c)) if c != b'/' => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

impl MockHost {
    /// An empty host whose clock says `2026-01-15T09:00:00Z`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answer requests whose URL starts with `url_prefix` with `status` and `body`.
    /// The longest matching prefix wins.
    pub fn with_http(self, url_prefix: &str, status: u16, body: &str) -> Self {
        lock(&self.responses).push((
            url_prefix.to_owned(),
            HttpResponse {
                status,
                headers: BTreeMap::new(),
                body: body.to_owned(),
            },
        ));
        self
    }

    /// Add a file.
    pub fn with_file(self, path: &str, contents: impl Into<Vec<u8>>) -> Self {
        lock(&self.files).insert(path.to_owned(), contents.into());
        self
    }

    /// Add a secret.
    pub fn with_secret(mut self, name: &str, value: &str) -> Self {
        self.secrets.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Set the clock (RFC 3339).
    pub fn with_now(mut self, now: &str) -> Self {
        self.now = Some(now.to_owned());
        self
    }

    /// The HTTP requests made so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        lock(&self.requests).clone()
    }

    /// The log lines so far.
    pub fn logs(&self) -> Vec<(Level, String)> {
        lock(&self.logs).clone()
    }

    /// A file's contents now (after the plugin's writes).
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        lock(&self.files).get(path).cloned()
    }

    fn serve(&self, method: &str, request: &[u8]) -> Result<serde_json::Value, PluginError> {
        let bad = |e: serde_json::Error| PluginError::fatal(format!("bad {method} request: {e}"));
        match method {
            methods::HTTP_REQUEST => {
                let req: HttpRequest = serde_json::from_slice(request).map_err(bad)?;
                lock(&self.requests).push(req.clone());
                let responses = lock(&self.responses);
                let best = responses
                    .iter()
                    .filter(|(prefix, _)| req.url.starts_with(prefix.as_str()))
                    .max_by_key(|(prefix, _)| prefix.len());
                match best {
                    Some((_, resp)) => serde_json::to_value(resp).map_err(bad),
                    None => Err(PluginError::transient(format!(
                        "the mock host has no answer for {} {}",
                        req.method, req.url
                    ))),
                }
            }
            methods::FILES_READ => {
                let arg: PathArg = serde_json::from_slice(request).map_err(bad)?;
                match lock(&self.files).get(&arg.path) {
                    Some(bytes) => Ok(serde_json::json!({
                        "path": arg.path,
                        "base64": crate::base64::encode(bytes),
                    })),
                    None => Err(PluginError::invalid_config(
                        "paths",
                        format!("{} does not exist", arg.path),
                    )),
                }
            }
            methods::FILES_WRITE => {
                let arg: WriteArg = serde_json::from_slice(request).map_err(bad)?;
                let bytes = crate::base64::decode(&arg.base64)
                    .ok_or_else(|| PluginError::fatal("files.write with invalid base64"))?;
                lock(&self.files).insert(arg.path, bytes);
                Ok(serde_json::json!({}))
            }
            methods::FILES_LIST => {
                let arg: PatternArg = serde_json::from_slice(request).map_err(bad)?;
                let paths: Vec<String> = lock(&self.files)
                    .keys()
                    .filter(|p| glob_match(&arg.pattern, p))
                    .cloned()
                    .collect();
                Ok(serde_json::json!({ "paths": paths }))
            }
            methods::SECRETS_GET => {
                let arg: NameArg = serde_json::from_slice(request).map_err(bad)?;
                match self.secrets.get(&arg.name) {
                    Some(v) => Ok(serde_json::json!({ "value": v })),
                    None => Err(PluginError::auth(format!(
                        "no secret named {} is stored for this connection",
                        arg.name
                    ))),
                }
            }
            methods::LOG => {
                let arg: LogArg = serde_json::from_slice(request).map_err(bad)?;
                lock(&self.logs).push((arg.level, arg.message));
                Ok(serde_json::json!({}))
            }
            methods::CLOCK_NOW => Ok(serde_json::json!({
                "now": self.now.clone().unwrap_or_else(|| "2026-01-15T09:00:00Z".to_owned())
            })),
            other => Err(PluginError::unsupported(format!("no host method {other}"))),
        }
    }
}

impl HostServices for MockHost {
    fn call(&self, method: &str, request: &[u8]) -> Result<Vec<u8>, PluginError> {
        let value = self.serve(method, request)?;
        serde_json::to_vec(&value).map_err(|e| PluginError::fatal(e.to_string()))
    }
}

/// A connector behind its real `extern "C"` table, driven through the same host-side code the
/// agent uses.
#[derive(Debug, Clone, Copy)]
pub struct RoundTrip {
    table: PluginTable,
}

impl RoundTrip {
    /// The manifest, as the agent would read it.
    pub fn manifest(&self) -> Result<Manifest, CallError> {
        self.table.manifest()
    }

    /// Create an instance with `settings`, served by `host`.
    pub fn create(
        &self,
        host: Arc<MockHost>,
        settings: &serde_json::Value,
    ) -> Result<Instance, CallError> {
        self.table.create(host, settings)
    }
}

extern "C" fn manifest_here<C: Connector>(out: *mut OwnedBuffer) -> i32 {
    crate::export::manifest::<C>(out, cfg!(panic = "unwind"))
}

/// Build `C`'s ABI table in this process and wrap it for calls. Each call leaks one small
/// table, as a loaded library would keep it for the life of the process.
pub fn round_trip<C: Connector>() -> RoundTrip {
    let api: &'static PluginApi =
        Box::leak(Box::new(crate::export::plugin_api::<C>(manifest_here::<C>)));
    RoundTrip {
        table: PluginTable::from_static(api),
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn glob_stars_stay_within_one_folder() {
        assert!(glob_match("inbox/*.xml", "inbox/camt-2026-01.xml"));
        assert!(!glob_match("inbox/*.xml", "inbox/old/camt.xml"));
        assert!(glob_match("inbox/?.sta", "inbox/a.sta"));
    }
}
