//! The daemon: every connection on its cron schedule, read in the company's time zone.
//! When connections fall due they are synced, then reconciliation (applying what is
//! certain) and collection run for the day. A failing run is logged and the daemon waits
//! for the next tick; shutdown is honoured between runs and while waiting.

use crate::Agent;
use crate::error::{AgentError, Result};
use crate::plugins::{LibraryLoader, PluginLoader};
use arsync_config::Config;
use arsync_model::{Clock, today_in};
use arsync_store::Store;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;

/// The cron schedules of the enabled connections that have one.
#[derive(Debug, Clone)]
pub struct DaemonSchedule {
    zone: Tz,
    entries: Vec<(String, cron::Schedule)>,
}

impl DaemonSchedule {
    /// Reads every enabled connection's `schedule` (six fields: `sec min hour day month
    /// weekday`, or the classic five without seconds), judged in the company's time zone.
    pub fn from_config(config: &Config) -> Result<Self> {
        let mut entries = Vec::new();
        for connection in config.connections.iter().filter(|c| c.enabled) {
            let Some(expr) = &connection.schedule else {
                continue;
            };
            // Classic five-field cron (`min hour day month weekday`) runs at second 0.
            let text = expr.get_ref().trim();
            let six = if text.split_whitespace().count() == 5 {
                format!("0 {text}")
            } else {
                text.to_owned()
            };
            let schedule = cron::Schedule::from_str(&six).map_err(|e| AgentError::Schedule {
                connection: connection.name().to_owned(),
                schedule: expr.get_ref().clone(),
                reason: e.to_string(),
            })?;
            entries.push((connection.name().to_owned(), schedule));
        }
        Ok(Self {
            zone: config.company.timezone,
            entries,
        })
    }

    /// Whether no connection has a schedule.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first tick strictly after `after`, and the connections due at it.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<(DateTime<Utc>, Vec<String>)> {
        let local = after.with_timezone(&self.zone);
        let mut best: Option<(DateTime<Utc>, Vec<String>)> = None;
        for (name, schedule) in &self.entries {
            let Some(at) = schedule.after(&local).next() else {
                continue;
            };
            let at = at.with_timezone(&Utc);
            match &mut best {
                Some((t, names)) if *t == at => names.push(name.clone()),
                Some((t, _)) if *t < at => {}
                _ => best = Some((at, vec![name.clone()])),
            }
        }
        best
    }
}

/// Runs every connection on its schedule until `shutdown` completes. Returns the number
/// of ticks run. Fails only when a schedule cannot be read. The first run is at the first
/// tick after start, as cron does; a run that fails is logged and the next tick comes.
///
/// ```no_run
/// # async fn run(config: arsync_config::Config, store: arsync_store::SqliteStore) -> arsync_agent::Result<()> {
/// use std::sync::Arc;
/// let ctrl_c = async {
///     let _ = tokio::signal::ctrl_c().await;
/// };
/// let ticks = arsync_agent::run_daemon(
///     Arc::new(config),
///     Arc::new(store),
///     Arc::new(arsync_model::SystemClock),
///     ctrl_c,
/// )
/// .await?;
/// # let _ = ticks; Ok(()) }
/// ```
pub async fn run_daemon<S: Store>(
    config: Arc<Config>,
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()>,
) -> Result<u64> {
    run_daemon_with(
        config,
        store,
        clock,
        Arc::new(LibraryLoader::default()),
        shutdown,
    )
    .await
}

/// [`run_daemon`] with another way to open plugins.
pub async fn run_daemon_with<S: Store>(
    config: Arc<Config>,
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    loader: Arc<dyn PluginLoader>,
    shutdown: impl Future<Output = ()>,
) -> Result<u64> {
    let schedule = DaemonSchedule::from_config(&config)?;
    let mut shutdown = std::pin::pin!(shutdown);
    if schedule.is_empty() {
        tracing::warn!(
            "no enabled connection has a schedule; the daemon waits for shutdown (add `schedule = \"0 */15 * * * *\"` to a connection)"
        );
        shutdown.await;
        return Ok(0);
    }
    let mut ticks = 0;
    let mut last = clock.now();
    loop {
        let Some((at, due)) = schedule.next_after(last.max(clock.now())) else {
            tracing::warn!("no schedule has a next tick; the daemon stops");
            return Ok(ticks);
        };
        let wait = (at - clock.now()).to_std().unwrap_or_default();
        tracing::info!(next = %at, connections = ?due, "waiting for the next tick");
        tokio::select! {
            () = &mut shutdown => {
                tracing::info!("shutdown requested; the daemon stops");
                return Ok(ticks);
            }
            () = tokio::time::sleep(wait) => {}
        }
        last = at;
        ticks += 1;
        let agent = Agent::new(&config, store.as_ref(), clock.clone()).with_loader(loader.clone());
        let run = tick(&agent, &due);
        tokio::select! {
            () = &mut shutdown => {
                tracing::info!("shutdown requested during a run; the run was stopped between transactions");
                return Ok(ticks);
            }
            () = run => {}
        }
    }
}

/// One tick: sync the due connections, then reconcile and collect for today.
async fn tick<S: Store>(agent: &Agent<'_, S>, due: &[String]) {
    match agent.sync(due).await {
        Ok(reports) => {
            for r in reports.iter().filter(|r| !r.is_complete()) {
                tracing::warn!(connection = r.connection.as_str(), error = ?r.error, "sync incomplete");
            }
        }
        Err(e) => tracing::error!(error = %e, "sync failed; waiting for the next tick"),
    }
    let today = today_in(agent.config().company.timezone, agent.clock().as_ref());
    if let Err(e) = agent.reconcile(today, true).await {
        tracing::error!(error = %e, "reconciliation failed; waiting for the next tick");
    }
    if let Err(e) = agent.collect(today, false).await {
        tracing::error!(error = %e, "collection failed; waiting for the next tick");
    }
}
