//! The schema of `arsync.toml` and its validation.

use crate::ConfigError;
use arsync_collect::CollectSettings;
use arsync_model::Currency;
use arsync_reconcile::Settings as ReconcileSettings;
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The company whose receivables are managed.
    pub company: Company,
    /// Where arsync keeps its state.
    #[serde(default)]
    pub store: StoreSection,
    /// Where plugins are looked for.
    #[serde(default)]
    pub plugins: PluginsSection,
    /// The books, banks and feeds to connect.
    #[serde(default, rename = "connection")]
    pub connections: Vec<Connection>,
    /// Reconciliation settings: thresholds, fee tolerances, FX band, subset search.
    #[serde(default)]
    pub reconcile: Option<Spanned<ReconcileSettings>>,
    /// Collection settings: ladder, aging buckets, interest, limitation, rate files.
    #[serde(default)]
    pub collect: Option<Spanned<CollectSettings>>,
    /// The file the configuration was read from.
    #[serde(skip)]
    pub file: PathBuf,
}

/// Company settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    /// Name for reports.
    #[serde(default)]
    pub name: Option<String>,
    /// The currency the books are kept in.
    pub home_currency: Currency,
    /// IANA time zone in which "today" and "overdue" are judged.
    #[serde(deserialize_with = "time_zone")]
    pub timezone: Tz,
    /// Which statutory interest, compensation and limitation rules apply.
    pub jurisdiction: Jurisdiction,
}

/// A legal profile for late-payment interest, compensation and limitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Jurisdiction {
    /// EU Late Payment Directive 2011/7/EU defaults.
    #[serde(rename = "EU")]
    Eu,
    /// Germany: BGB §§ 286, 288, 195, 199.
    #[serde(rename = "DE")]
    De,
    /// United Kingdom: Late Payment of Commercial Debts (Interest) Act 1998, Limitation Act 1980.
    #[serde(rename = "GB", alias = "UK")]
    Gb,
    /// No statutory rules: only what the contract says.
    #[serde(rename = "contractual")]
    Contractual,
}

impl Jurisdiction {
    /// The code the collection rules know (`None` for contractual terms only).
    pub fn code(self) -> Option<&'static str> {
        match self {
            Jurisdiction::Eu => Some("EU"),
            Jurisdiction::De => Some("DE"),
            Jurisdiction::Gb => Some("GB"),
            Jurisdiction::Contractual => None,
        }
    }
}

/// The store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// `sqlite://PATH` (relative to the configuration file) or `postgres://...`.
    #[serde(default = "default_store_url")]
    pub url: Spanned<String>,
}

fn default_store_url() -> Spanned<String> {
    Spanned::new(0..0, "sqlite://.arsync/state.db".to_owned())
}

impl Default for StoreSection {
    fn default() -> Self {
        Self {
            url: default_store_url(),
        }
    }
}

/// Plugin discovery.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsSection {
    /// Extra folders to look for plugin libraries in (the folder next to the arsync binary
    /// is always searched).
    #[serde(default)]
    pub dirs: Vec<PathBuf>,
}

/// How a connection's plugin runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// Loaded into the arsync process.
    #[default]
    InProcess,
    /// In a `plugin-host` child process: a crash or hang kills only the child.
    Process,
}

/// One configured book, bank or feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Unique name (letters, digits, `-`, `_`).
    pub name: Spanned<String>,
    /// Plugin name as its manifest declares it (`spreadsheet`, `bank-statements`, ...).
    pub plugin: String,
    /// Explicit path of the plugin library, when not found by name in the plugin folders.
    #[serde(default)]
    pub library: Option<PathBuf>,
    /// Expected SHA-256 of the library (hex); a library that differs is refused.
    #[serde(default)]
    pub sha256: Option<Spanned<String>>,
    /// In-process or isolated.
    #[serde(default)]
    pub isolation: Isolation,
    /// Cron schedule for the daemon (`sec min hour day month weekday`).
    #[serde(default)]
    pub schedule: Option<Spanned<String>>,
    /// Whether the connection is used.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Plugin-specific settings, passed to the plugin as JSON.
    #[serde(default)]
    pub settings: toml::Table,
}

fn yes() -> bool {
    true
}

impl Connection {
    /// The connection's name.
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }

    /// The plugin settings as JSON.
    pub fn settings_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.settings).unwrap_or(serde_json::Value::Null)
    }
}

fn time_zone<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let s = String::deserialize(d)?;
    s.parse::<Tz>().map_err(|_| {
        serde::de::Error::custom(format!(
            "'{s}' is not an IANA time zone name (expected e.g. \"Europe/Berlin\", \"Europe/London\", \"America/New_York\", \"UTC\")"
        ))
    })
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text; `file` is used in errors and to resolve
    /// relative paths.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let de = toml::Deserializer::parse(text).map_err(|e| syntax(file, text, &e, None))?;
        let mut config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            // Spanned<T> adds a private field name to the path; users never wrote it.
            let path = e
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "")
                .replace("$__serde_spanned_private_value.", "");
            syntax(file, text, e.inner(), Some(path))
        })?;
        config.file = file.to_path_buf();
        config.validate(text)?;
        Ok(config)
    }

    fn validate(&self, text: &str) -> Result<(), ConfigError> {
        let file = &self.file;
        let mut seen: Vec<&str> = Vec::new();
        for (i, c) in self.connections.iter().enumerate() {
            let name = c.name();
            let key = format!("connection[{i}].name");
            if name.is_empty()
                || !name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            {
                return Err(ConfigError::at(
                    file,
                    text,
                    Some(c.name.span()),
                    key,
                    format!(
                        "found \"{name}\", expected a name of letters, digits, '-' and '_' (e.g. \"books\")"
                    ),
                ));
            }
            if seen.contains(&name) {
                return Err(ConfigError::at(
                    file,
                    text,
                    Some(c.name.span()),
                    key,
                    format!(
                        "the name \"{name}\" is used by an earlier connection; expected every connection to have its own name"
                    ),
                ));
            }
            seen.push(name);
            if let Some(h) = &c.sha256 {
                let v = h.get_ref();
                if v.len() != 64 || !v.chars().all(|ch| ch.is_ascii_hexdigit()) {
                    return Err(ConfigError::at(
                        file,
                        text,
                        Some(h.span()),
                        format!("connection[{i}].sha256"),
                        format!(
                            "found \"{v}\", expected 64 hexadecimal digits (the output of `sha256sum LIBRARY`)"
                        ),
                    ));
                }
            }
            if let Some(s) = &c.schedule {
                let fields = s.get_ref().split_whitespace().count();
                if !(5..=6).contains(&fields) {
                    return Err(ConfigError::at(
                        file,
                        text,
                        Some(s.span()),
                        format!("connection[{i}].schedule"),
                        format!(
                            "found \"{}\" with {fields} fields, expected a cron expression of 6 fields \"sec min hour day month weekday\" (e.g. \"0 */15 * * * *\")",
                            s.get_ref()
                        ),
                    ));
                }
            }
        }
        let url = self.store.url.get_ref();
        if !(url.starts_with("sqlite://")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::at(
                file,
                text,
                Some(self.store.url.span()),
                "store.url",
                format!(
                    "found \"{url}\", expected \"sqlite://PATH\" or \"postgres://USER@HOST/DB\""
                ),
            ));
        }
        if let Some(r) = &self.reconcile {
            r.get_ref()
                .validate()
                .map_err(|e| ConfigError::at(file, text, Some(r.span()), "reconcile", e))?;
        }
        let collect = self.collect_settings();
        let span = self.collect.as_ref().map(Spanned::span);
        let code = self.company.jurisdiction.code();
        collect
            .interest_basis(code)
            .map_err(|e| ConfigError::at(file, text, span.clone(), "collect.interest", e))?;
        collect
            .limitation_rule(code)
            .map_err(|e| ConfigError::at(file, text, span.clone(), "collect.limitation", e))?;
        collect
            .task_rules()
            .map_err(|e| ConfigError::at(file, text, span, "collect", e))?;
        Ok(())
    }

    /// The SQLite file the store lives in, resolved against the configuration's folder, or
    /// `None` for a PostgreSQL store.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.store.url.get_ref().strip_prefix("sqlite://")?;
        Some(self.resolve(Path::new(rest)))
    }

    /// A path from the configuration, resolved against the configuration file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            return path.to_path_buf();
        }
        self.file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| path.to_path_buf(), |dir| dir.join(path))
    }

    /// The `[collect]` settings, or the defaults when the section is absent.
    pub fn collect_settings(&self) -> CollectSettings {
        self.collect
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default()
    }

    /// The `[reconcile]` settings, or the defaults when the section is absent.
    pub fn reconcile_settings(&self) -> ReconcileSettings {
        self.reconcile
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default()
    }

    /// A connection by name.
    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.name() == name)
    }
}

fn syntax(file: &Path, text: &str, e: &toml::de::Error, path: Option<String>) -> ConfigError {
    let message = e.message().trim().replace('\n', " ");
    let message = explain(&message);
    ConfigError::Invalid {
        file: file.to_path_buf(),
        position: e.span().map(|s| crate::Position::of_offset(text, s.start)),
        key: path,
        message,
    }
}

/// Adds what the user should do to serde's terse messages.
fn explain(message: &str) -> String {
    if message.starts_with("unknown field") {
        format!("{message}; remove or correct the key (see `arsync init` for a commented example)")
    } else if message.starts_with("missing field") {
        format!("{message}; add it")
    } else if message.starts_with("invalid type") {
        format!("{message}; write the value as the expected type (strings in quotes, numbers bare)")
    } else {
        message.to_owned()
    }
}
