//! The JSON messages of protocol 1.x, as Rust types. `PROTOCOL.md` in `arsync-plugin-abi` is
//! the normative text; these types are its reference implementation and are shared by the
//! plugin side (this crate) and the host side (`arsync-runtime`).

use arsync_model::{
    BankEntry, CollectionTask, CreditNote, FxRate, Invoice, OverdueStatus, Party, Payment,
    RecordKind,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A stream of records a plugin can be pulled from, one page at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// Customers ([`Party`] records).
    Customers,
    /// Invoices.
    Invoices,
    /// Credit notes.
    CreditNotes,
    /// Payments received, with their allocations.
    Payments,
    /// Bank statement entries.
    BankEntries,
    /// Exchange rates.
    FxRates,
}

impl Stream {
    /// Every stream, in the order a sync usually pulls them.
    pub const ALL: [Stream; 6] = [
        Stream::Customers,
        Stream::Invoices,
        Stream::CreditNotes,
        Stream::Payments,
        Stream::BankEntries,
        Stream::FxRates,
    ];

    /// The stream's wire name (`invoices`, `bank_entries`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Customers => "customers",
            Stream::Invoices => "invoices",
            Stream::CreditNotes => "credit_notes",
            Stream::Payments => "payments",
            Stream::BankEntries => "bank_entries",
            Stream::FxRates => "fx_rates",
        }
    }

    /// Parse a wire name.
    pub fn parse(name: &str) -> Option<Stream> {
        Stream::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The method that pulls this stream (`pull_invoices`).
    pub fn method(self) -> String {
        format!("pull_{}", self.as_str())
    }

    /// The kind of record every item of this stream must be.
    pub fn record_kind(self) -> RecordKind {
        match self {
            Stream::Customers => RecordKind::Party,
            Stream::Invoices => RecordKind::Invoice,
            Stream::CreditNotes => RecordKind::CreditNote,
            Stream::Payments => RecordKind::Payment,
            Stream::BankEntries => RecordKind::BankEntry,
            Stream::FxRates => RecordKind::FxRate,
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something arsync writes back into the books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PushAction {
    /// The overdue status of an invoice ([`OverdueStatus`]).
    Status,
    /// A collection task ([`CollectionTask`]).
    Task,
    /// A payment arsync matched and applies ([`Payment`]).
    Payment,
}

impl PushAction {
    /// Every action.
    pub const ALL: [PushAction; 3] = [PushAction::Status, PushAction::Task, PushAction::Payment];

    /// The action's wire name (`status`, `task`, `payment`).
    pub fn as_str(self) -> &'static str {
        match self {
            PushAction::Status => "status",
            PushAction::Task => "task",
            PushAction::Payment => "payment",
        }
    }

    /// Parse a wire name.
    pub fn parse(name: &str) -> Option<PushAction> {
        PushAction::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The method that carries this action (`push_status`).
    pub fn method(self) -> String {
        format!("push_{}", self.as_str())
    }

    /// The `kind` every item pushed with this action must have.
    pub fn outgoing_kind(self) -> &'static str {
        match self {
            PushAction::Status => "overdue_status",
            PushAction::Task => "collection_task",
            PushAction::Payment => "payment",
        }
    }
}

impl fmt::Display for PushAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One capability a plugin declares in its manifest. Unknown names survive a round trip as
/// [`Capability::Other`] so an older host can still list a newer plugin.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Capability {
    /// `pull_<stream>`.
    Pull(Stream),
    /// `push_<action>`.
    Push(PushAction),
    /// A capability this version of the protocol does not know.
    Other(String),
}

impl Capability {
    /// The method name of this capability (`pull_invoices`, `push_task`, ...).
    pub fn method(&self) -> String {
        match self {
            Capability::Pull(s) => s.method(),
            Capability::Push(a) => a.method(),
            Capability::Other(name) => name.clone(),
        }
    }
}

impl From<String> for Capability {
    fn from(name: String) -> Self {
        if let Some(stream) = name.strip_prefix("pull_").and_then(Stream::parse) {
            return Capability::Pull(stream);
        }
        if let Some(action) = name.strip_prefix("push_").and_then(PushAction::parse) {
            return Capability::Push(action);
        }
        Capability::Other(name)
    }
}

impl From<Capability> for String {
    fn from(c: Capability) -> Self {
        c.method()
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.method())
    }
}

/// How the plugin library handles panics. A library built with `panic = "abort"` cannot catch
/// panics at its boundary, so the host refuses to load it in-process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanicStrategy {
    /// Panics unwind and are caught at every export.
    Unwind,
    /// Panics abort the process.
    Abort,
}

/// What a plugin says about itself, before any instance exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Short unique name, as `plugin = "..."` in a connection's config (`quickbooks`).
    pub name: String,
    /// The plugin's own version (semver).
    pub version: String,
    /// The protocol version it speaks (semver, major 1 for this ABI).
    pub protocol: String,
    /// One line for `arsync plugins list`.
    #[serde(default)]
    pub description: String,
    /// The methods it implements.
    pub capabilities: Vec<Capability>,
    /// A JSON Schema of its connection settings (may be `{}`).
    #[serde(default)]
    pub config_schema: serde_json::Value,
    /// Hosts the plugin may reach through `http.request` (`quickbooks.api.intuit.com`, or
    /// `*.xero.com`). Everything else is refused by the host.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// How the library was built to handle panics.
    pub panic_strategy: PanicStrategy,
    /// Version of `arsync-sdk` it was built with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
}

impl Manifest {
    /// A manifest for protocol [`arsync_plugin_abi::PROTOCOL_VERSION`], built by this SDK, with
    /// no capabilities yet.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            protocol: arsync_plugin_abi::PROTOCOL_VERSION.to_owned(),
            description: String::new(),
            capabilities: Vec::new(),
            config_schema: serde_json::json!({}),
            allowed_hosts: Vec::new(),
            panic_strategy: if cfg!(panic = "unwind") {
                PanicStrategy::Unwind
            } else {
                PanicStrategy::Abort
            },
            sdk_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }
    }

    /// Set the description.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Declare that `stream` can be pulled.
    pub fn pulls(mut self, stream: Stream) -> Self {
        self.capabilities.push(Capability::Pull(stream));
        self
    }

    /// Declare that `action` can be pushed.
    pub fn pushes(mut self, action: PushAction) -> Self {
        self.capabilities.push(Capability::Push(action));
        self
    }

    /// Allow HTTP requests to `host` (exact name, or `*.example.com` for its subdomains).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Set the JSON Schema of the connection settings.
    pub fn config_schema(mut self, schema: serde_json::Value) -> Self {
        self.config_schema = schema;
        self
    }

    /// True if the manifest declares `capability`.
    pub fn has(&self, capability: &Capability) -> bool {
        self.capabilities.contains(capability)
    }
}

/// One record on the wire, tagged by kind: `{"kind": "invoice", "origin": {...}, ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A customer.
    Party(Party),
    /// An invoice.
    Invoice(Invoice),
    /// A credit note.
    CreditNote(CreditNote),
    /// A payment received.
    Payment(Payment),
    /// A bank statement entry.
    BankEntry(BankEntry),
    /// An exchange rate.
    FxRate(FxRate),
}

impl Record {
    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Party(_) => RecordKind::Party,
            Record::Invoice(_) => RecordKind::Invoice,
            Record::CreditNote(_) => RecordKind::CreditNote,
            Record::Payment(_) => RecordKind::Payment,
            Record::BankEntry(_) => RecordKind::BankEntry,
            Record::FxRate(_) => RecordKind::FxRate,
        }
    }

    /// A stable identity for de-duplication: the external id for documents, or
    /// `base/quote@date` for a rate.
    pub fn external_id(&self) -> String {
        match self {
            Record::Party(r) => r.origin.external_id.clone(),
            Record::Invoice(r) => r.origin.external_id.clone(),
            Record::CreditNote(r) => r.origin.external_id.clone(),
            Record::Payment(r) => r.origin.external_id.clone(),
            Record::BankEntry(r) => r.origin.external_id.clone(),
            Record::FxRate(r) => format!("{}/{}@{}", r.base.code(), r.quote.code(), r.date),
        }
    }
}

/// One thing arsync writes back, tagged by kind: `{"kind": "overdue_status", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    /// For `push_status`.
    OverdueStatus(OverdueStatus),
    /// For `push_task`.
    CollectionTask(CollectionTask),
    /// For `push_payment`.
    Payment(Payment),
}

impl Outgoing {
    /// The wire kind (`overdue_status`, `collection_task`, `payment`).
    pub fn kind(&self) -> &'static str {
        match self {
            Outgoing::OverdueStatus(_) => "overdue_status",
            Outgoing::CollectionTask(_) => "collection_task",
            Outgoing::Payment(_) => "payment",
        }
    }
}

/// Configuration handed to `create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateRequest {
    /// The connection's name in arsync's config.
    pub connection: String,
    /// The connection's `[connection.settings]`, as JSON.
    pub settings: serde_json::Value,
}

/// Request of every `pull_*` method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// Where to continue: absent for the first page, else a `next_cursor` the plugin returned
    /// earlier (possibly in another process, days ago).
    #[serde(default)]
    pub cursor: Option<String>,
}

/// Answer of every `pull_*` method: one short page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The records of this page, all of the stream's kind.
    pub items: Vec<Record>,
    /// The cursor to continue from; `None` when the stream is read to its current end.
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// Source entries that could not be read into records (kind `invalid_data`, with their
    /// position). The rest of the page is still good.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<PluginError>,
}

impl Page {
    /// A page with these items and where to continue.
    pub fn new(items: Vec<Record>, next_cursor: Option<String>) -> Self {
        Self {
            items,
            next_cursor,
            problems: Vec::new(),
        }
    }
}

/// One item of a `push_*` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushItem {
    /// Deterministic key: pushing the same key twice MUST NOT write twice.
    pub idempotency_key: String,
    /// What to write.
    pub record: Outgoing,
}

/// Request of every `push_*` method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    /// The items, in order.
    pub items: Vec<PushItem>,
}

/// What happened to one pushed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushOutcome {
    /// Written now.
    Applied,
    /// This key was written before; nothing was written again.
    AlreadyApplied,
    /// Not written; see `error`.
    Failed,
}

/// The result for one pushed item, in the order of the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The key of the item this result answers.
    pub idempotency_key: String,
    /// What happened.
    pub outcome: PushOutcome,
    /// The id the books gave the written object, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<PluginError>,
}

impl ItemResult {
    /// The item was written now.
    pub fn applied(key: impl Into<String>, external_id: Option<String>) -> Self {
        Self {
            idempotency_key: key.into(),
            outcome: PushOutcome::Applied,
            external_id,
            error: None,
        }
    }

    /// The item had been written before under the same key.
    pub fn already_applied(key: impl Into<String>, external_id: Option<String>) -> Self {
        Self {
            idempotency_key: key.into(),
            outcome: PushOutcome::AlreadyApplied,
            external_id,
            error: None,
        }
    }

    /// The item was not written.
    pub fn failed(key: impl Into<String>, error: PluginError) -> Self {
        Self {
            idempotency_key: key.into(),
            outcome: PushOutcome::Failed,
            external_id: None,
            error: Some(error),
        }
    }
}

/// Answer of every `push_*` method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per item, in request order.
    pub results: Vec<ItemResult>,
}

/// The kinds of error a plugin reports; the agent's reaction depends only on the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Credentials are missing, expired or refused: the user must reconnect.
    Auth,
    /// The remote side asked to slow down; retry after `retry_after_secs`.
    RateLimited,
    /// A network or server hiccup; retrying later may succeed.
    Transient,
    /// The connection's settings are wrong; the message names the field and the fix.
    InvalidConfig,
    /// The source holds data that cannot be read; `position` says where.
    InvalidData,
    /// The plugin does not implement this method or stream.
    Unsupported,
    /// Anything else; the connection stops until someone looks. Kinds added by later
    /// protocol minors are read as `fatal`.
    #[serde(other)]
    Fatal,
}

impl ErrorKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Auth => "auth",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Transient => "transient",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::InvalidData => "invalid_data",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Fatal => "fatal",
        }
    }

    /// True if the same call may succeed later without anyone changing anything.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::RateLimited | ErrorKind::Transient)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in the source a piece of invalid data sits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The file, URL or API object the data came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// 1-based line (or row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// The record's id in the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(s) = &self.source {
            parts.push(s.clone());
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(c) = self.column {
            parts.push(format!("column {c}"));
        }
        if let Some(r) = &self.record {
            parts.push(format!("record {r}"));
        }
        if let Some(fl) = &self.field {
            parts.push(format!("field {fl}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// An error a plugin reports, or the host reports to a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginError {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// What went wrong and what to do about it, for a person.
    pub message: String,
    /// For `rate_limited`: seconds to wait before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// For `invalid_data` (and `invalid_config`): where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Box<Position>>,
}

impl PluginError {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after_secs: None,
            position: None,
        }
    }

    /// `auth`.
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Auth, message)
    }

    /// `rate_limited`, retry after `seconds`.
    pub fn rate_limited(message: impl Into<String>, seconds: u64) -> Self {
        let mut e = Self::new(ErrorKind::RateLimited, message);
        e.retry_after_secs = Some(seconds);
        e
    }

    /// `transient`.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }

    /// `invalid_config`, naming the settings `field`.
    pub fn invalid_config(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorKind::InvalidConfig, message);
        e.position = Some(Box::new(Position {
            field: Some(field.into()),
            ..Position::default()
        }));
        e
    }

    /// `invalid_data` at `position`.
    pub fn invalid_data(message: impl Into<String>, position: Position) -> Self {
        let mut e = Self::new(ErrorKind::InvalidData, message);
        e.position = Some(Box::new(position));
        e
    }

    /// `unsupported`.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// `fatal`.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Fatal, message)
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(p) = &self.position {
            write!(f, " (at {p})")?;
        }
        if let Some(s) = self.retry_after_secs {
            write!(f, " (retry after {s} s)")?;
        }
        Ok(())
    }
}

impl std::error::Error for PluginError {}

/// Parse a `major.minor.patch` version (pre-release and build suffixes ignored).
pub fn parse_semver(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

/// Whether a plugin speaking protocol `plugin` can be driven by a host speaking `host`:
/// same major; a plugin with a newer minor MAY use messages the host ignores, which is allowed
/// because every addition is optional; a different major is refused.
pub fn protocol_compatible(host: &str, plugin: &str) -> Result<(), String> {
    let Some((hmaj, _, _)) = parse_semver(host) else {
        return Err(format!("host protocol {host:?} is not semver"));
    };
    let Some((pmaj, _, _)) = parse_semver(plugin) else {
        return Err(format!(
            "the manifest's protocol {plugin:?} is not a semver version like \"1.0.0\""
        ));
    };
    if hmaj != pmaj {
        return Err(format!(
            "the plugin speaks protocol {plugin}, this arsync speaks {host}: the major versions differ; rebuild the plugin against arsync-sdk for protocol {hmaj}.x"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arsync_model::{Currency, DocumentStatus, NaiveDate, Origin};
    use std::str::FromStr;

    fn invoice() -> Invoice {
        Invoice {
            origin: Origin::new("books", "130").with_version("4"),
            number: "INV-1030".into(),
            customer_id: "58".into(),
            customer_name: Some("Brauerei Hahn GmbH".into()),
            issue_date: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap_or_default(),
            due_date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default(),
            terms: None,
            currency: Currency::parse("EUR").unwrap(),
            total: arsync_model::Decimal::from_str("1190.00").unwrap(),
            open_amount: arsync_model::Decimal::from_str("190.00").unwrap(),
            book_rate: None,
            home_total: None,
            home_open: None,
            payment_reference: None,
            status: DocumentStatus::Open,
        }
    }

    #[test]
    fn an_invoice_travels_tagged_as_invoice_with_amounts_as_strings() {
        let json = serde_json::to_value(Record::Invoice(invoice())).unwrap();
        assert_eq!(json["kind"], "invoice");
        assert_eq!(json["total"], "1190.00");
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(back, Record::Invoice(invoice()));
    }

    #[test]
    fn capabilities_read_and_write_as_their_method_names() {
        let caps: Vec<Capability> =
            serde_json::from_str(r#"["pull_invoices","push_task","pull_weather"]"#).unwrap();
        assert_eq!(caps[0], Capability::Pull(Stream::Invoices));
        assert_eq!(caps[1], Capability::Push(PushAction::Task));
        assert_eq!(caps[2], Capability::Other("pull_weather".into()));
        assert_eq!(
            serde_json::to_string(&caps).unwrap(),
            r#"["pull_invoices","push_task","pull_weather"]"#
        );
    }

    #[test]
    fn a_rate_limit_keeps_its_retry_after_on_the_wire() {
        let e = PluginError::rate_limited("Xero allows 60 calls a minute", 37);
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains(r#""kind":"rate_limited""#));
        let back: PluginError = serde_json::from_str(&json).unwrap();
        assert_eq!(back.retry_after_secs, Some(37));
        assert!(back.kind.is_retryable());
    }

    #[test]
    fn an_error_kind_from_a_newer_protocol_minor_is_read_as_fatal() {
        let e: PluginError =
            serde_json::from_str(r#"{"kind":"quota_exhausted","message":"month used up"}"#)
                .unwrap();
        assert_eq!(e.kind, ErrorKind::Fatal);
        assert_eq!(e.message, "month used up");
    }

    #[test]
    fn protocol_majors_must_match_minors_may_differ() {
        assert!(protocol_compatible("1.0.0", "1.4.2").is_ok());
        assert!(protocol_compatible("1.3.0", "1.0.0").is_ok());
        let err = protocol_compatible("1.0.0", "2.0.0").unwrap_err();
        assert!(err.contains("major"));
        assert!(protocol_compatible("1.0.0", "one").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_semver_triplet_parses_back(a in 0u64..1000, b in 0u64..1000, c in 0u64..1000) {
            proptest::prop_assert_eq!(parse_semver(&format!("{a}.{b}.{c}")), Some((a, b, c)));
        }
    }
}
