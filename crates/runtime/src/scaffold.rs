//! `arsync plugins new <name>`: writes a plugin crate that builds and passes the conformance
//! kit as generated — a small in-memory ledger with paging, cursors and idempotent pushes that
//! the author replaces with calls to the real system.

use crate::error::{Result, RuntimeError};
use std::path::{Path, PathBuf};

/// How the generated crate finds `arsync-sdk`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkDependency {
    /// `arsync-sdk.workspace = true` (a plugin inside the arsync workspace).
    Workspace,
    /// A path to the `arsync-sdk` crate.
    Path(PathBuf),
    /// A registry version requirement.
    Version(String),
}

/// True if `name` is a usable plugin name: lower-case ASCII letters, digits and dashes,
/// starting with a letter.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// Write a plugin crate called `name` into `dest_dir/name`. Inside a workspace that declares
/// `arsync-sdk` (the arsync repository's `plugins/`), it takes its dependencies from the
/// workspace; elsewhere it asks for this version of `arsync-sdk`. Returns the crate's folder.
pub fn new_plugin(name: &str, dest_dir: &Path) -> Result<PathBuf> {
    new_plugin_with(name, dest_dir, &sdk_dependency_for(dest_dir))
}

/// How a crate created in `dest_dir` should depend on the SDK: from the enclosing workspace
/// if one declares `arsync-sdk`, else by version.
pub fn sdk_dependency_for(dest_dir: &Path) -> SdkDependency {
    let start = std::fs::canonicalize(dest_dir).unwrap_or_else(|_| dest_dir.to_path_buf());
    for dir in start.ancestors() {
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        if text.contains("[workspace.dependencies]") && text.contains("arsync-sdk") {
            return SdkDependency::Workspace;
        }
    }
    SdkDependency::Version(env!("CARGO_PKG_VERSION").to_owned())
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| RuntimeError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| RuntimeError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Write a plugin crate called `name` into `dest_dir/name` with the given SDK dependency.
/// Refuses an invalid name or an existing folder.
pub fn new_plugin_with(name: &str, dest_dir: &Path, sdk: &SdkDependency) -> Result<PathBuf> {
    let dir = dest_dir.join(name);
    if !valid_name(name) {
        return Err(RuntimeError::Io {
            path: dir,
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "{name:?} is not a plugin name: use lower-case letters, digits and dashes, starting with a letter (like \"my-ledger\")"
                ),
            ),
        });
    }
    if dir.exists() {
        return Err(RuntimeError::Io {
            path: dir.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the folder exists already; choose another name or remove it",
            ),
        });
    }
    let (sdk_line, lints, workspace_keys) = match sdk {
        SdkDependency::Workspace => (
            "arsync-sdk.workspace = true\nserde_json.workspace = true".to_owned(),
            "\n[lints]\nworkspace = true\n",
            "version.workspace = true\nedition.workspace = true\nrust-version.workspace = true\nlicense.workspace = true\npublish.workspace = true",
        ),
        SdkDependency::Path(p) => (
            format!(
                "arsync-sdk = {{ path = {:?} }}\nserde_json = \"1\"",
                p.display().to_string()
            ),
            "",
            "version = \"0.1.0\"\nedition = \"2024\"\npublish = false",
        ),
        SdkDependency::Version(v) => (
            format!("arsync-sdk = {v:?}\nserde_json = \"1\""),
            "",
            "version = \"0.1.0\"\nedition = \"2024\"\npublish = false",
        ),
    };
    let cargo = format!(
        "[package]\nname = \"{name}\"\ndescription = \"arsync connector plugin {name}\"\n{workspace_keys}\n\n[lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n[dependencies]\n{sdk_line}\n{lints}"
    );
    let type_name: String = name
        .split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    let lib = TEMPLATE
        .replace("{{name}}", name)
        .replace("{{Type}}", &type_name);
    write(&dir.join("Cargo.toml"), &cargo)?;
    write(&dir.join("src/lib.rs"), &lib)?;
    write(
        &dir.join("README.md"),
        &format!(
            "# {name}\n\nAn arsync connector plugin. Build it with `cargo build --release`, copy the library from `target/release/` into arsync's `plugins/` folder, and check it with `arsync plugins check <library>`.\n\nThe generated code serves a small in-memory ledger; replace `fetch_invoices` with calls to the real system through `Host::http` or `Host::read_file`.\n"
        ),
    )?;
    Ok(dir)
}

const TEMPLATE: &str = r#"//! {{name}}: an arsync connector plugin.
//!
//! As generated it serves a small in-memory ledger of invoices, two per page, and records
//! overdue statuses it is sent, idempotently. Replace `fetch_invoices` and `write_status` with
//! calls to the real system through the `Host` (HTTP, files, secrets).

use arsync_sdk::prelude::*;
use std::collections::BTreeMap;

const PAGE_SIZE: usize = 2;

/// One configured connection.
pub struct {{Type}} {
    host: Host,
    currency: Currency,
    written: BTreeMap<String, String>,
}

impl {{Type}} {
    fn fetch_invoices(&self) -> Result<Vec<Invoice>, PluginError> {
        let today = self.host.today_utc()?;
        let issue = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or(today);
        (1..=5u32)
            .map(|n| {
                let total = Decimal::new(i64::from(n) * 10_000, 2);
                Ok(Invoice {
                    origin: Origin::new("{{name}}", format!("inv-{n}")).with_version("1"),
                    number: format!("INV-{n:04}"),
                    customer_id: format!("cust-{}", n % 2 + 1),
                    customer_name: None,
                    issue_date: issue,
                    due_date: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or(today),
                    terms: Some("Net 30".into()),
                    currency: self.currency,
                    total,
                    open_amount: total,
                    book_rate: None,
                    home_total: None,
                    home_open: None,
                    payment_reference: None,
                    status: DocumentStatus::Open,
                })
            })
            .collect()
    }

    fn write_status(&mut self, item: &PushItem) -> ItemResult {
        let key = item.idempotency_key.clone();
        if let Some(id) = self.written.get(&key) {
            return ItemResult::already_applied(key, Some(id.clone()));
        }
        let id = format!("note-{}", self.written.len() + 1);
        self.written.insert(key.clone(), id.clone());
        ItemResult::applied(key, Some(id))
    }
}

impl Connector for {{Type}} {
    fn manifest() -> Manifest {
        Manifest::new("{{name}}", env!("CARGO_PKG_VERSION"))
            .describe("arsync connector {{name}}")
            .pulls(Stream::Invoices)
            .pushes(PushAction::Status)
            .config_schema(serde_json::json!({
                "type": "object",
                "required": ["currency"],
                "properties": { "currency": { "type": "string", "description": "ISO 4217 code of the ledger" } }
            }))
    }

    fn create(settings: serde_json::Value, host: Host) -> Result<Self, PluginError> {
        let code = settings["currency"].as_str().ok_or_else(|| {
            PluginError::invalid_config("currency", "set `currency` to the ledger's ISO 4217 code, like \"EUR\"")
        })?;
        let currency = Currency::parse(code)
            .map_err(|e| PluginError::invalid_config("currency", e.to_string()))?;
        Ok(Self { host, currency, written: BTreeMap::new() })
    }

    fn pull(&mut self, _stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        let start = match cursor {
            None => 0,
            Some(c) => c.parse::<usize>().map_err(|_| {
                PluginError::invalid_data(
                    format!("cursor {c:?} was not issued by {{name}}"),
                    Position { field: Some("cursor".into()), ..Position::default() },
                )
            })?,
        };
        let all = self.fetch_invoices()?;
        let end = (start + PAGE_SIZE).min(all.len());
        let items = all.get(start.min(end)..end).unwrap_or_default().iter().cloned().map(Record::Invoice).collect();
        Ok(Page::new(items, (end < all.len()).then(|| end.to_string())))
    }

    fn push(&mut self, _action: PushAction, items: Vec<PushItem>) -> Result<Vec<ItemResult>, PluginError> {
        Ok(items.iter().map(|item| self.write_status(item)).collect())
    }
}

arsync_sdk::declare_plugin!({{Type}});
"#;
