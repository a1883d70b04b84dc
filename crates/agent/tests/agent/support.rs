//! A book for each test: a temporary folder with an `arsync.toml` whose connections use
//! the real `test-ledger` plugin, a SQLite store in the same folder, and a fixed clock.
//! Also a loader that wraps the real plugin and makes chosen calls fail, to play a network
//! that drops or a source that refuses.

use arsync_agent::{Agent, LibraryLoader, PluginLoader, RetryPolicy};
use arsync_config::{Config, Connection};
use arsync_model::{Clock, Currency, DocumentStatus, FixedClock, Invoice, Origin};
use arsync_runtime::{HostConfig, PluginHandle, RuntimeError};
use arsync_sdk::{ItemResult, Manifest, Page, PluginError, PushAction, PushItem, Stream};
use arsync_store::SqliteStore;
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The test-ledger library, built once per test binary.
pub fn test_ledger() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = Command::new(env!("CARGO"))
                .current_dir(workspace_root())
                .args(["build", "--quiet", "-p", "test-ledger"])
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building test-ledger failed");
            target_dir().join("debug").join(format!(
                "{}test_ledger{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            ))
        })
        .clone()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Noon UTC on a day.
pub fn clock_on(day: NaiveDate) -> Arc<dyn Clock> {
    Arc::new(FixedClock(
        Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap()),
    ))
}

/// One connection of the book's configuration.
pub struct Ledger<'a> {
    pub name: &'a str,
    pub settings: &'a str,
}

pub struct Book {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub store: SqliteStore,
    pub clock: Arc<dyn Clock>,
}

impl Book {
    /// A book with one `ledger` connection of `invoices` made-up invoices, `page_size` a page.
    pub async fn with_ledger(invoices: u32, page_size: u32) -> Book {
        let settings = format!("invoices = {invoices}\npage_size = {page_size}");
        Book::with(&[Ledger {
            name: "ledger",
            settings: &settings,
        }])
        .await
    }

    pub async fn with(ledgers: &[Ledger<'_>]) -> Book {
        let dir = tempfile::tempdir().unwrap();
        let library = test_ledger();
        let mut text = String::from(
            "[company]\nhome_currency = \"EUR\"\ntimezone = \"Europe/Berlin\"\njurisdiction = \"DE\"\n\n[store]\nurl = \"sqlite://state.db\"\n",
        );
        for l in ledgers {
            text.push_str(&format!(
                "\n[[connection]]\nname = \"{}\"\nplugin = \"test-ledger\"\nlibrary = \"{}\"\n[connection.settings]\n{}\n",
                l.name,
                library.display(),
                l.settings
            ));
        }
        let file = dir.path().join("arsync.toml");
        std::fs::write(&file, text).unwrap();
        let config = Config::load(&file).unwrap();
        let store = SqliteStore::open(dir.path().join("state.db"))
            .await
            .unwrap();
        Book {
            dir,
            config,
            store,
            clock: clock_on(date(2026, 3, 20)),
        }
    }

    pub fn agent(&self) -> Agent<'_, SqliteStore> {
        Agent::new(&self.config, &self.store, self.clock.clone())
            .with_retry(RetryPolicy::immediate(3))
    }

    pub fn store_file(&self) -> PathBuf {
        self.dir.path().join("state.db")
    }
}

/// An invoice for a ledger file (the test-ledger reads a JSON list when `path` is set).
pub fn invoice(id: &str, customer: &str, amount: &str, due: NaiveDate) -> Invoice {
    let amount: Decimal = amount.parse().unwrap();
    Invoice {
        origin: Origin::new("test-ledger", id).with_version("1"),
        number: id.to_owned(),
        customer_id: customer.to_owned(),
        customer_name: Some(format!("{customer} GmbH")),
        issue_date: due - chrono::Days::new(30),
        due_date: due,
        terms: Some("Net 30".into()),
        currency: Currency::parse("EUR").unwrap(),
        total: amount,
        open_amount: amount,
        book_rate: None,
        home_total: None,
        home_open: None,
        payment_reference: None,
        status: DocumentStatus::Open,
    }
}

/// When and how the wrapped plugin fails.
#[derive(Clone)]
pub struct Failure {
    /// The stream whose pulls fail.
    pub stream: Stream,
    /// The first pull of that stream (1-based) that fails.
    pub from_pull: usize,
    /// How many pulls fail from there.
    pub times: usize,
    pub error: PluginError,
}

/// Loads the real plugin and wraps it so that chosen pulls fail, or so that it also takes
/// payments (the test ledger has no `push_payment`; the wrapper books them in `payments`,
/// answering a repeated idempotency key with `already_applied` as real books do).
pub struct FailingLoader {
    pub failure: Failure,
    /// Pulls seen, over all sessions.
    pub pulls: Arc<Mutex<usize>>,
    pub takes_payments: bool,
    /// Payments received, over all sessions.
    pub payments: Arc<Mutex<Vec<PushItem>>>,
}

impl FailingLoader {
    pub fn new(failure: Failure) -> Arc<FailingLoader> {
        Arc::new(FailingLoader {
            failure,
            pulls: Arc::new(Mutex::new(0)),
            takes_payments: false,
            payments: Arc::default(),
        })
    }

    /// The real ledger, declaring `push_payment` as books that take payments do.
    pub fn taking_payments() -> Arc<FailingLoader> {
        Arc::new(FailingLoader {
            failure: Failure {
                stream: Stream::Invoices,
                from_pull: usize::MAX,
                times: 0,
                error: PluginError::fatal("unused"),
            },
            pulls: Arc::new(Mutex::new(0)),
            takes_payments: true,
            payments: Arc::default(),
        })
    }
}

impl PluginLoader for FailingLoader {
    fn load(
        &self,
        config: &Config,
        connection: &Connection,
        host: HostConfig,
    ) -> arsync_agent::Result<Box<dyn PluginHandle>> {
        let inner = LibraryLoader::default().load(config, connection, host)?;
        let mut manifest = inner.manifest().clone();
        if self.takes_payments {
            manifest = manifest.pushes(PushAction::Payment);
        }
        Ok(Box::new(Failing {
            inner,
            manifest,
            failure: self.failure.clone(),
            pulls: self.pulls.clone(),
            payments: self.payments.clone(),
            failed: 0,
        }))
    }
}

struct Failing {
    inner: Box<dyn PluginHandle>,
    manifest: Manifest,
    failure: Failure,
    pulls: Arc<Mutex<usize>>,
    payments: Arc<Mutex<Vec<PushItem>>>,
    failed: usize,
}

impl PluginHandle for Failing {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    fn path(&self) -> &Path {
        self.inner.path()
    }
    fn isolation(&self) -> arsync_runtime::Isolation {
        self.inner.isolation()
    }
    fn create(&mut self, settings: &serde_json::Value) -> arsync_runtime::Result<()> {
        self.inner.create(settings)
    }
    fn call(
        &mut self,
        method: &str,
        request: &serde_json::Value,
    ) -> arsync_runtime::Result<serde_json::Value> {
        self.inner.call(method, request)
    }
    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> arsync_runtime::Result<Page> {
        if stream == self.failure.stream {
            let n = {
                let mut pulls = self.pulls.lock().unwrap();
                *pulls += 1;
                *pulls
            };
            if n >= self.failure.from_pull && self.failed < self.failure.times {
                self.failed += 1;
                return Err(RuntimeError::Plugin {
                    plugin: "test-ledger".into(),
                    error: self.failure.error.clone(),
                });
            }
        }
        self.inner.pull(stream, cursor)
    }
    fn push(
        &mut self,
        action: PushAction,
        items: Vec<PushItem>,
    ) -> arsync_runtime::Result<Vec<ItemResult>> {
        if action != PushAction::Payment {
            return self.inner.push(action, items);
        }
        let mut booked = self.payments.lock().unwrap();
        Ok(items
            .into_iter()
            .map(|item| {
                let key = item.idempotency_key.clone();
                match booked.iter().position(|b| b.idempotency_key == key) {
                    Some(n) => ItemResult::already_applied(key, Some(format!("payment-{}", n + 1))),
                    None => {
                        booked.push(item);
                        ItemResult::applied(key, Some(format!("payment-{}", booked.len())))
                    }
                }
            })
            .collect())
    }
    fn close(&mut self) -> arsync_runtime::Result<()> {
        self.inner.close()
    }
}
