//! The arsync agent: the one place where the pure stages meet the outside world.
//!
//! It owns the runs DESIGN.md's data flow describes, for every configured connection:
//! - [`Agent::sync`]: load each connection's plugin, pull every stream it offers page by
//!   page from the stored cursor, and store each page with its next cursor in one
//!   transaction, so a crash re-reads at most one page. Auth and configuration errors stop
//!   that connection with the plugin's message; rate limits and transient failures are
//!   retried within a bounded [`RetryPolicy`]; one failing connection never stops the others.
//! - [`Agent::reconcile`]: match receipts (bank entries and payments recorded outside the
//!   books) to open items with `arsync-reconcile`, record every new decision in the audit
//!   log and in the `reconcile.matches` documents, and, when asked, queue certain matches
//!   for write-back as payments; [`Agent::confirm_match`] and [`Agent::reject_match`]
//!   settle suggestions; [`Agent::reconcile_dry_run`] shows all that without writing.
//! - [`Agent::collect`]: compute overdue statuses and collection tasks with `arsync-collect`,
//!   keep the task set in `collect.tasks`, queue `push_status` and `push_task` items under
//!   idempotency keys, and push the outbox through the plugins; a dry run writes nothing.
//!   An invoice paid since its status was written gets one settled status.
//!   [`Agent::record_event`] records a dispute, promise, plan, write-off and the like;
//!   [`Agent::open_tasks`] is the collector's work list.
//! - [`run_daemon`]: every connection on its cron schedule, then reconcile and collect,
//!   until shutdown.
//!
//! Every write to the books goes through the store's outbox under a deterministic
//! idempotency key (see [`Agent::collect`] and [`Agent::reconcile`] for the keys), with an
//! audit row per attempt in the same transaction as its result; items that fail because of
//! the connection (credentials, settings, network) wait for the next run, items the books
//! refuse are retried up to [`MAX_PUSH_ATTEMPTS`] and then kept as dead for a person.
//!
//! Plugins are called from blocking threads (`spawn_blocking`); everything else is async on
//! tokio. Every report is serialisable for the CLI's JSON output. This crate may depend on
//! the config, store, runtime, SDK and the pure stages; it must not depend on the CLI, and
//! the pure stages must never depend on it.
//!
//! # Use
//! ```no_run
//! use arsync_agent::Agent;
//! use arsync_config::Config;
//! use arsync_model::SystemClock;
//! use arsync_store::SqliteStore;
//! use std::sync::Arc;
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::load("arsync.toml".as_ref())?;
//! let path = config.sqlite_path().ok_or("this build keeps its state in SQLite")?;
//! let store = SqliteStore::open(path).await?;
//! let agent = Agent::new(&config, &store, Arc::new(SystemClock));
//! let today = agent.today();
//! let synced = agent.sync(&[]).await?; // every enabled connection
//! let matched = agent.reconcile(today, true).await?; // apply what is certain
//! let preview = agent.collect(today, true).await?; // dry run: what would be written
//! let tasks = agent.open_tasks().await?;
//! # let _ = (synced, matched, preview, tasks);
//! # Ok(()) }
//! ```
//!
//! # Documents the agent keeps in the store
//! | namespace | key | value |
//! |---|---|---|
//! | `reconcile.memory` | `memory` | the [`arsync_reconcile::Memory`] learned from confirmed matches |
//! | `reconcile.matches` | receipt id | a [`StoredDecision`]: the decision, its digest and who settled it |
//! | `collect.events` | event key | an [`arsync_collect::StateEvent`] |
//! | `collect.tasks` | task key | the [`arsync_model::CollectionTask`] as last planned |
//! | `collect.statuses` | `connection/item` | the version and state of the status last queued |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod collect;
mod daemon;
mod error;
mod outbox;
mod plugins;
mod reconcile;
mod sync;

pub use collect::{CollectRun, PlannedPush, record_event_key};
pub use daemon::{DaemonSchedule, run_daemon, run_daemon_with};
pub use error::{AgentError, Result};
pub use outbox::{MAX_PUSH_ATTEMPTS, OutboxSummary, PUSH_BATCH, PushAttempt, PushReport};
pub use plugins::{LibraryLoader, PluginLoader, RetryPolicy};
pub use reconcile::{DecisionState, ReconcileRun, StoredDecision, apply_settled_receipts};
pub use sync::{MAX_PAGES_PER_STREAM, PageProblem, StreamReport, SyncReport};

use arsync_config::{Config, Connection};
use arsync_model::{Clock, today_in};
use arsync_store::Store;
use chrono::NaiveDate;
use std::sync::Arc;

/// Document namespace of the reconciliation memory.
pub const MEMORY_NAMESPACE: &str = "reconcile.memory";
/// Document namespace of reconciliation decisions, keyed by receipt id.
pub const MATCHES_NAMESPACE: &str = "reconcile.matches";
/// Document namespace of recorded collection states.
pub const EVENTS_NAMESPACE: &str = "collect.events";
/// Document namespace of the statuses last queued for write-back, keyed `connection/item`.
pub const STATUSES_NAMESPACE: &str = "collect.statuses";
/// Document namespace of collection tasks, keyed by task key.
pub const TASKS_NAMESPACE: &str = "collect.tasks";

/// The agent for one configuration and one store. Cheap to build; build one per command.
#[derive(Clone)]
pub struct Agent<'a, S: Store> {
    config: &'a Config,
    store: &'a S,
    clock: Arc<dyn Clock>,
    loader: Arc<dyn PluginLoader>,
    retry: RetryPolicy,
}

impl<S: Store> std::fmt::Debug for Agent<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("config", &self.config.file)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl<'a, S: Store> Agent<'a, S> {
    /// An agent that loads plugins from disk ([`LibraryLoader`]) with the default
    /// [`RetryPolicy`].
    pub fn new(config: &'a Config, store: &'a S, clock: Arc<dyn Clock>) -> Self {
        Self {
            config,
            store,
            clock,
            loader: Arc::new(LibraryLoader::default()),
            retry: RetryPolicy::default(),
        }
    }

    /// Uses another way to open plugins.
    #[must_use]
    pub fn with_loader(mut self, loader: Arc<dyn PluginLoader>) -> Self {
        self.loader = loader;
        self
    }

    /// Uses another retry policy for plugin calls.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Today in the company's time zone, from the agent's clock.
    pub fn today(&self) -> NaiveDate {
        today_in(self.config.company.timezone, self.clock.as_ref())
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.config
    }

    /// The clock the agent judges "today" by.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The named connections (a disabled one too, when named), or every enabled one when
    /// `names` is empty.
    pub fn connections(&self, names: &[String]) -> Result<Vec<&'a Connection>> {
        if names.is_empty() {
            return Ok(self
                .config
                .connections
                .iter()
                .filter(|c| c.enabled)
                .collect());
        }
        names
            .iter()
            .map(|name| {
                self.config
                    .connection(name)
                    .ok_or_else(|| AgentError::UnknownConnection {
                        connection: name.clone(),
                        file: self.config.file.clone(),
                        known: self
                            .config
                            .connections
                            .iter()
                            .map(|c| c.name().to_owned())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            })
            .collect()
    }
}

/// Pulls the named connections (all enabled ones when empty) into the store.
pub async fn sync<S: Store>(
    config: &Config,
    store: &S,
    connections: &[String],
    clock: Arc<dyn Clock>,
) -> Result<Vec<SyncReport>> {
    Agent::new(config, store, clock).sync(connections).await
}

/// Matches receipts to open items on `as_of`; with `apply`, queues certain matches for
/// write-back and pushes them.
pub async fn reconcile<S: Store>(
    config: &Config,
    store: &S,
    clock: Arc<dyn Clock>,
    as_of: NaiveDate,
    apply: bool,
) -> Result<ReconcileRun> {
    Agent::new(config, store, clock)
        .reconcile(as_of, apply)
        .await
}

/// Computes overdue statuses and tasks on `as_of`, queues and pushes them; with `dry_run`,
/// only says what would be queued and pushed.
pub async fn collect<S: Store>(
    config: &Config,
    store: &S,
    clock: Arc<dyn Clock>,
    as_of: NaiveDate,
    dry_run: bool,
) -> Result<CollectRun> {
    Agent::new(config, store, clock)
        .collect(as_of, dry_run)
        .await
}
