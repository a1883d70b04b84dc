//! The host side of every capability a plugin may ask for: HTTP (only to the manifest's
//! `allowed_hosts`, with timeouts), files (only under the paths the connection's settings
//! name), secrets, log (into arsync's `tracing` log under the plugin's name) and clock.

use arsync_model::{Clock, SystemClock};
use arsync_sdk::client::HostServices;
use arsync_sdk::host::{HttpRequest, HttpResponse, Level, methods};
use arsync_sdk::{PluginError, Secret};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// What one connection's plugin may reach, and with what.
#[derive(Clone)]
pub struct HostConfig {
    /// The connection's name, for logs.
    pub connection: String,
    /// Files and folders (glob patterns allowed) the plugin may read and write. Relative
    /// entries are resolved against `base_dir`.
    pub file_scope: Vec<String>,
    /// Folder relative paths are resolved against (the config file's folder).
    pub base_dir: PathBuf,
    /// Secrets of this connection by name.
    pub secrets: BTreeMap<String, Secret>,
    /// Upper bound for one HTTP request.
    pub http_timeout: Duration,
    /// Extra hosts allowed on top of the manifest's (for tests and self-hosted systems).
    pub extra_allowed_hosts: Vec<String>,
    /// The `Authorization` header value (`Bearer ...`) the host adds to the plugin's HTTP
    /// requests: the agent keeps OAuth tokens fresh here, so a plugin never sees a refresh
    /// token.
    pub authorization: Option<Secret>,
    /// The clock handed to the plugin.
    pub clock: Arc<dyn Clock>,
}

impl fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostConfig")
            .field("connection", &self.connection)
            .field("file_scope", &self.file_scope)
            .field("base_dir", &self.base_dir)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("http_timeout", &self.http_timeout)
            .field("extra_allowed_hosts", &self.extra_allowed_hosts)
            .field("authorization", &self.authorization)
            .finish_non_exhaustive()
    }
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            connection: String::new(),
            file_scope: Vec::new(),
            base_dir: PathBuf::from("."),
            secrets: BTreeMap::new(),
            http_timeout: Duration::from_secs(30),
            extra_allowed_hosts: Vec::new(),
            authorization: None,
            clock: Arc::new(SystemClock),
        }
    }
}

/// Settings keys whose string values name files or folders the plugin may use.
pub const FILE_KEYS: [&str; 8] = [
    "path",
    "paths",
    "file",
    "files",
    "dir",
    "directory",
    "folder",
    "output",
];

/// The file scope a connection's settings imply: every string under one of [`FILE_KEYS`], at
/// any depth.
pub fn file_scope_from_settings(settings: &serde_json::Value) -> Vec<String> {
    fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    if FILE_KEYS.contains(&key.as_str()) {
                        strings(v, out);
                    } else {
                        walk(v, out);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(settings, &mut out);
    out
}

/// True if `host` is allowed by an entry of `allowed` (exact, or `*.domain` for subdomains).
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.to_ascii_lowercase();
    allowed.iter().any(|pattern| {
        let pattern = pattern.to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == pattern,
        }
    })
}

/// The host services of one plugin instance.
pub struct RuntimeHost {
    plugin: String,
    config: HostConfig,
    allowed_hosts: Vec<String>,
    client: OnceLock<Result<reqwest::blocking::Client, String>>,
}

impl fmt::Debug for RuntimeHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeHost")
            .field("plugin", &self.plugin)
            .field("config", &self.config)
            .field("allowed_hosts", &self.allowed_hosts)
            .finish_non_exhaustive()
    }
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

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Lexically normalise a path and refuse `..` so a scope cannot be escaped.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => return None,
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

impl RuntimeHost {
    /// Host services for `plugin`, allowing HTTP to `allowed_hosts` (the manifest's).
    pub fn new(plugin: &str, allowed_hosts: &[String], config: HostConfig) -> Self {
        let mut allowed = allowed_hosts.to_vec();
        allowed.extend(config.extra_allowed_hosts.iter().cloned());
        Self {
            plugin: plugin.to_owned(),
            config,
            allowed_hosts: allowed,
            client: OnceLock::new(),
        }
    }

    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let p = Path::new(path);
        let full = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.config.base_dir.join(p)
        };
        normalise(&full)
    }

    /// True if `path` lies in the connection's file scope.
    pub fn in_scope(&self, path: &str) -> bool {
        let Some(target) = self.resolve(path) else {
            return false;
        };
        self.config.file_scope.iter().any(|entry| {
            let Some(root) = self.resolve(entry) else {
                return false;
            };
            if has_glob(entry) {
                let pattern = root.to_string_lossy().into_owned();
                glob::Pattern::new(&pattern)
                    .map(|p| {
                        p.matches_path_with(
                            &target,
                            glob::MatchOptions {
                                require_literal_separator: true,
                                ..glob::MatchOptions::new()
                            },
                        )
                    })
                    .unwrap_or(false)
            } else {
                target == root || target.starts_with(&root)
            }
        })
    }

    fn out_of_scope(&self, path: &str) -> PluginError {
        PluginError::invalid_config(
            "paths",
            format!(
                "connection {} may only use the files its settings name ({}); {path} is not among them: add it to the connection's paths",
                self.config.connection,
                self.config.file_scope.join(", ")
            ),
        )
    }

    fn read(&self, arg: PathArg) -> Result<serde_json::Value, PluginError> {
        if !self.in_scope(&arg.path) {
            return Err(self.out_of_scope(&arg.path));
        }
        let full = self.resolve(&arg.path).unwrap_or_default();
        let bytes = std::fs::read(&full).map_err(|e| {
            PluginError::invalid_config("paths", format!("cannot read {}: {e}", full.display()))
        })?;
        Ok(serde_json::json!({ "path": arg.path, "base64": arsync_sdk::base64::encode(&bytes) }))
    }

    fn write(&self, arg: WriteArg) -> Result<serde_json::Value, PluginError> {
        if !self.in_scope(&arg.path) {
            return Err(self.out_of_scope(&arg.path));
        }
        let bytes = arsync_sdk::base64::decode(&arg.base64)
            .ok_or_else(|| PluginError::fatal("files.write: the content is not valid base64"))?;
        let full = self.resolve(&arg.path).unwrap_or_default();
        // Write to a sibling file and rename, so a crash never leaves half a file.
        let tmp = full.with_extension("arsync-tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &full))
            .map_err(|e| PluginError::fatal(format!("cannot write {}: {e}", full.display())))?;
        Ok(serde_json::json!({}))
    }

    fn list(&self, arg: PatternArg) -> Result<serde_json::Value, PluginError> {
        let Some(full) = self.resolve(&arg.pattern) else {
            return Err(self.out_of_scope(&arg.pattern));
        };
        let pattern = full.to_string_lossy().into_owned();
        let entries = glob::glob(&pattern).map_err(|e| {
            PluginError::invalid_config(
                "paths",
                format!("{} is not a valid pattern: {e}", arg.pattern),
            )
        })?;
        let base = &self.config.base_dir;
        let mut paths: Vec<String> = entries
            .filter_map(std::result::Result::ok)
            .filter(|p| p.is_file())
            .map(|p| {
                if Path::new(&arg.pattern).is_absolute() {
                    p.to_string_lossy().into_owned()
                } else {
                    p.strip_prefix(base)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .into_owned()
                }
            })
            .filter(|p| self.in_scope(p))
            .collect();
        paths.sort();
        Ok(serde_json::json!({ "paths": paths }))
    }

    fn http(&self, req: HttpRequest) -> Result<serde_json::Value, PluginError> {
        let url = reqwest::Url::parse(&req.url)
            .map_err(|e| PluginError::fatal(format!("{} is not a valid URL: {e}", req.url)))?;
        let host = url.host_str().unwrap_or_default().to_owned();
        if !host_allowed(&host, &self.allowed_hosts) {
            return Err(PluginError::fatal(format!(
                "plugin {} may not reach {host}: it is not in the manifest's allowed_hosts ({})",
                self.plugin,
                self.allowed_hosts.join(", ")
            )));
        }
        let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]" | "::1");
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(PluginError::fatal(format!(
                "plugin {} asked for {}: only https is allowed",
                self.plugin, req.url
            )));
        }
        let client = self
            .client
            .get_or_init(|| {
                reqwest::blocking::Client::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| PluginError::fatal(format!("cannot set up HTTP: {e}")))?;
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| PluginError::fatal(format!("{} is not an HTTP method", req.method)))?;
        let timeout = req
            .timeout_ms
            .map(Duration::from_millis)
            .map_or(self.config.http_timeout, |t| {
                t.min(self.config.http_timeout)
            });
        let mut builder = client.request(method, url).timeout(timeout);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let plugin_authorizes = req
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("authorization"));
        if let (Some(token), false) = (&self.config.authorization, plugin_authorizes) {
            builder = builder.header("authorization", token.expose());
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let response = builder.send().map_err(|e| {
            PluginError::transient(format!("{} {} failed: {e}", req.method, req.url))
        })?;
        let status = response.status().as_u16();
        let headers: BTreeMap<String, String> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let bytes = response.bytes().map_err(|e| {
            PluginError::transient(format!("reading the answer of {} failed: {e}", req.url))
        })?;
        let answer = HttpResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        serde_json::to_value(answer).map_err(|e| PluginError::fatal(e.to_string()))
    }

    fn log(&self, arg: &LogArg) {
        let plugin = self.plugin.as_str();
        let connection = self.config.connection.as_str();
        let message = arg.message.as_str();
        match arg.level {
            Level::Debug => tracing::debug!(plugin, connection, "{message}"),
            Level::Info => tracing::info!(plugin, connection, "{message}"),
            Level::Warn => tracing::warn!(plugin, connection, "{message}"),
            Level::Error => tracing::error!(plugin, connection, "{message}"),
        }
    }

    /// Serve one host method.
    pub fn serve(&self, method: &str, request: &[u8]) -> Result<serde_json::Value, PluginError> {
        fn arg<T: serde::de::DeserializeOwned>(
            method: &str,
            request: &[u8],
        ) -> Result<T, PluginError> {
            serde_json::from_slice(request).map_err(|e| {
                PluginError::fatal(format!(
                    "the request to host method {method} is malformed: {e}"
                ))
            })
        }
        match method {
            methods::HTTP_REQUEST => self.http(arg(method, request)?),
            methods::FILES_READ => self.read(arg(method, request)?),
            methods::FILES_WRITE => self.write(arg(method, request)?),
            methods::FILES_LIST => self.list(arg(method, request)?),
            methods::SECRETS_GET => {
                let a: NameArg = arg(method, request)?;
                match self.config.secrets.get(&a.name) {
                    Some(secret) => Ok(serde_json::json!({ "value": secret.expose() })),
                    None => Err(PluginError::auth(format!(
                        "connection {} has no secret named {}; store it with `arsync connect {}`",
                        self.config.connection, a.name, self.config.connection
                    ))),
                }
            }
            methods::LOG => {
                let a: LogArg = arg(method, request)?;
                self.log(&a);
                Ok(serde_json::json!({}))
            }
            methods::CLOCK_NOW => Ok(serde_json::json!({
                "now": self.config.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })),
            other => Err(PluginError::unsupported(format!(
                "this arsync offers no host method {other}"
            ))),
        }
    }
}

impl HostServices for RuntimeHost {
    fn call(&self, method: &str, request: &[u8]) -> Result<Vec<u8>, PluginError> {
        let value = self.serve(method, request)?;
        serde_json::to_vec(&value).map_err(|e| PluginError::fatal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_in(dir: &Path, scope: &[&str]) -> RuntimeHost {
        RuntimeHost::new(
            "bank-statements",
            &["api.example.com".to_owned()],
            HostConfig {
                connection: "bank".into(),
                file_scope: scope.iter().map(|s| (*s).to_owned()).collect(),
                base_dir: dir.to_path_buf(),
                ..HostConfig::default()
            },
        )
    }

    #[test]
    fn the_file_scope_comes_from_the_settings_that_name_files() {
        let settings = serde_json::json!({
            "paths": ["inbox/statements/*.xml", "inbox/statements/*.sta"],
            "account": {"iban": "DE02120300000000202051", "output": "out/"},
            "realm_id": "9130357992213345"
        });
        let mut scope = file_scope_from_settings(&settings);
        scope.sort();
        assert_eq!(
            scope,
            vec!["inbox/statements/*.sta", "inbox/statements/*.xml", "out/"]
        );
    }

    #[test]
    fn a_statement_in_the_inbox_is_readable_but_the_config_next_to_it_is_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
        std::fs::write(dir.path().join("inbox/jan.sta"), ":20:STARTUMS").unwrap();
        std::fs::write(dir.path().join("arsync.toml"), "secret = 1").unwrap();
        let host = host_in(dir.path(), &["inbox/*.sta"]);
        let ok = host
            .serve(methods::FILES_READ, br#"{"path":"inbox/jan.sta"}"#)
            .unwrap();
        assert_eq!(
            arsync_sdk::base64::decode(ok["base64"].as_str().unwrap()).unwrap(),
            b":20:STARTUMS"
        );
        let refused = host
            .serve(methods::FILES_READ, br#"{"path":"arsync.toml"}"#)
            .unwrap_err();
        assert!(
            refused.message.contains("inbox/*.sta"),
            "{}",
            refused.message
        );
        let escaped = host
            .serve(methods::FILES_READ, br#"{"path":"inbox/../arsync.toml"}"#)
            .unwrap_err();
        assert_eq!(escaped.kind, arsync_sdk::ErrorKind::InvalidConfig);
    }

    #[test]
    fn listing_returns_only_matching_files_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
        for name in ["b.xml", "a.xml", "notes.txt"] {
            std::fs::write(dir.path().join("inbox").join(name), "x").unwrap();
        }
        let host = host_in(dir.path(), &["inbox/*.xml"]);
        let listed = host
            .serve(methods::FILES_LIST, br#"{"pattern":"inbox/*"}"#)
            .unwrap();
        assert_eq!(
            listed["paths"],
            serde_json::json!(["inbox/a.xml", "inbox/b.xml"])
        );
    }

    #[test]
    fn writing_inside_an_output_folder_lands_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        let host = host_in(dir.path(), &["out"]);
        let body = serde_json::json!({"path": "out/tasks.csv", "base64": arsync_sdk::base64::encode(b"a;b\n")});
        host.serve(methods::FILES_WRITE, body.to_string().as_bytes())
            .unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("out/tasks.csv")).unwrap(),
            b"a;b\n"
        );
    }

    #[test]
    fn http_to_a_host_the_manifest_does_not_allow_is_refused_before_any_request() {
        let host = host_in(Path::new("."), &[]);
        let err = host
            .serve(
                methods::HTTP_REQUEST,
                br#"{"method":"GET","url":"https://evil.example.net/steal"}"#,
            )
            .unwrap_err();
        assert!(err.message.contains("evil.example.net"), "{}", err.message);
        assert!(err.message.contains("allowed_hosts"));
    }

    /// A one-shot HTTP server on loopback: answers `response` (or nothing) and hands back
    /// the request it received.
    fn one_shot_server(response: Option<&'static str>) -> (u16, std::sync::mpsc::Receiver<String>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            match response {
                Some(r) => {
                    let _ = stream.write_all(r.as_bytes());
                }
                None => std::thread::sleep(Duration::from_secs(3)),
            }
        });
        (port, rx)
    }

    fn loopback_host(authorization: Option<&str>) -> RuntimeHost {
        RuntimeHost::new(
            "quickbooks",
            &["quickbooks.api.intuit.com".to_owned()],
            HostConfig {
                connection: "books".into(),
                extra_allowed_hosts: vec!["127.0.0.1".into()],
                authorization: authorization.map(Secret::new),
                http_timeout: Duration::from_secs(5),
                ..HostConfig::default()
            },
        )
    }

    #[test]
    fn an_http_request_goes_out_with_the_hosts_token_and_the_answer_comes_back_whole() {
        let (port, request) = one_shot_server(Some(
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 37\r\nContent-Length: 16\r\nConnection: close\r\n\r\n{\"fault\":\"slow\"}",
        ));
        let host = loopback_host(Some("Bearer at-123"));
        let body = serde_json::json!({"method": "GET", "url": format!("http://127.0.0.1:{port}/v3/company/1/query?query=select")});
        let answer = host
            .serve(methods::HTTP_REQUEST, body.to_string().as_bytes())
            .unwrap();
        let answer: HttpResponse = serde_json::from_value(answer).unwrap();
        assert_eq!(answer.status, 429);
        assert_eq!(
            answer.headers.get("retry-after").map(String::as_str),
            Some("37")
        );
        assert_eq!(answer.body, "{\"fault\":\"slow\"}");
        let sent = request.recv().unwrap().to_ascii_lowercase();
        assert!(
            sent.starts_with("get /v3/company/1/query?query=select "),
            "{sent}"
        );
        assert!(sent.contains("authorization: bearer at-123"), "{sent}");
    }

    #[test]
    fn a_server_that_never_answers_is_a_transient_error_after_the_timeout() {
        let (port, _request) = one_shot_server(None);
        let host = loopback_host(None);
        let body = serde_json::json!({"method": "GET", "url": format!("http://127.0.0.1:{port}/"), "timeout_ms": 200});
        let started = std::time::Instant::now();
        let err = host
            .serve(methods::HTTP_REQUEST, body.to_string().as_bytes())
            .unwrap_err();
        assert_eq!(err.kind, arsync_sdk::ErrorKind::Transient);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        let host = RuntimeHost::new("x", &["api.example.com".to_owned()], HostConfig::default());
        let err = host
            .serve(
                methods::HTTP_REQUEST,
                br#"{"method":"GET","url":"http://api.example.com/"}"#,
            )
            .unwrap_err();
        assert!(err.message.contains("only https"), "{}", err.message);
    }

    #[test]
    fn wildcard_hosts_cover_subdomains_only() {
        let allowed = vec![
            "*.xero.com".to_owned(),
            "quickbooks.api.intuit.com".to_owned(),
        ];
        assert!(host_allowed("api.xero.com", &allowed));
        assert!(host_allowed("QuickBooks.API.intuit.com", &allowed));
        assert!(!host_allowed("xero.com.evil.net", &allowed));
        assert!(!host_allowed("intuit.com", &allowed));
    }

    #[test]
    fn a_missing_secret_says_how_to_store_it() {
        let host = host_in(Path::new("."), &[]);
        let err = host
            .serve(methods::SECRETS_GET, br#"{"name":"api_key"}"#)
            .unwrap_err();
        assert_eq!(err.kind, arsync_sdk::ErrorKind::Auth);
        assert!(err.message.contains("arsync connect bank"));
    }

    #[test]
    fn the_clock_answers_in_utc_with_a_z() {
        let fixed = arsync_model::FixedClock(
            chrono::DateTime::parse_from_rfc3339("2026-03-31T22:30:00+02:00")
                .unwrap()
                .with_timezone(&chrono::Utc),
        );
        let host = RuntimeHost::new(
            "x",
            &[],
            HostConfig {
                clock: Arc::new(fixed),
                ..HostConfig::default()
            },
        );
        let now = host.serve(methods::CLOCK_NOW, b"{}").unwrap();
        assert_eq!(now["now"], "2026-03-31T20:30:00Z");
    }
}
