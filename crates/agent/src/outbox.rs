//! Write-back: send a connection's pending outbox items through its plugin, one batch per
//! action, and record each item's answer with an audit row in the same transaction.
//!
//! Every item keeps the idempotency key it was queued with, so sending it again after a
//! crash or a failure can never make two writes in the books.

use crate::Agent;
use crate::error::Result;
use crate::plugins::Session;
use arsync_config::Connection;
use arsync_sdk::{ErrorKind, ItemResult, Outgoing, PushAction, PushItem, PushOutcome};
use arsync_store::{OutboxChange, OutboxEntry, OutboxState, Store, Write};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Items read from the outbox per connection and run.
pub const PUSH_BATCH: u32 = 500;

/// After this many attempts an item the books refuse is given up (dead) for a person to
/// look at. Failures of the whole connection (credentials, settings, network) never count
/// an item as given up.
pub const MAX_PUSH_ATTEMPTS: u32 = 8;

/// What one push run did on one connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PushReport {
    /// The connection.
    pub connection: String,
    /// One entry per item sent.
    pub attempts: Vec<PushAttempt>,
    /// Actions with items waiting that the plugin does not declare; those items stay queued.
    pub unsupported: Vec<String>,
    /// Why the run stopped, when it did (the plugin would not load, or the books refused
    /// the connection's credentials or settings: the remaining items wait for the fix).
    pub error: Option<String>,
}

/// One item sent, and the books' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAttempt {
    /// The item's idempotency key.
    pub idempotency_key: String,
    /// `status`, `task` or `payment`.
    pub action: String,
    /// What it is about (item or task key).
    pub target: String,
    /// `applied`, `already_applied`, `failed` (will be retried) or `dead` (given up).
    pub outcome: String,
    /// The id the books gave the write.
    pub external_id: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// How many of a connection's write-backs are in each state, and the ones given up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxSummary {
    /// The connection.
    pub connection: String,
    /// Count by state (`pending`, `in_flight`, `done`, `failed`, `dead`).
    pub by_state: BTreeMap<String, usize>,
    /// Items given up, with the last error, for a person to look at.
    pub dead: Vec<PushAttempt>,
}

impl<S: Store> Agent<'_, S> {
    /// The write-backs of every configured connection by state, with the dead ones listed.
    pub async fn outbox_summary(&self) -> Result<Vec<OutboxSummary>> {
        let mut summaries = Vec::new();
        for connection in &self.config.connections {
            let name = connection.name().to_owned();
            let mut summary = OutboxSummary {
                connection: name.clone(),
                ..OutboxSummary::default()
            };
            for entry in self.store.outbox_entries(&name, None).await? {
                *summary
                    .by_state
                    .entry(entry.state.as_str().to_owned())
                    .or_default() += 1;
                if entry.state == OutboxState::Dead {
                    summary.dead.push(PushAttempt {
                        idempotency_key: entry.item.idempotency_key,
                        action: entry.item.action,
                        target: entry.item.target,
                        outcome: "dead".into(),
                        external_id: None,
                        error: entry.last_error,
                    });
                }
            }
            summaries.push(summary);
        }
        Ok(summaries)
    }

    /// Sends the pending outbox items of the named connections (all enabled when empty).
    pub async fn push_pending(&self, connections: &[String]) -> Result<Vec<PushReport>> {
        let mut reports = Vec::new();
        for connection in self.connections(connections)? {
            reports.push(self.push_connection(connection).await?);
        }
        Ok(reports)
    }

    /// Sends one connection's pending items. Store errors fail the run; plugin errors are
    /// in the report and leave the items queued.
    pub(crate) async fn push_connection(&self, connection: &Connection) -> Result<PushReport> {
        let name = connection.name().to_owned();
        let mut report = PushReport {
            connection: name.clone(),
            ..PushReport::default()
        };
        self.store.requeue_in_flight(&name).await?;
        let pending = self.store.pending(&name, PUSH_BATCH).await?;
        if pending.is_empty() {
            return Ok(report);
        }
        let mut session = match self.open_session(connection).await {
            Ok(session) => session,
            Err(e) => {
                report.error = Some(e.to_string());
                return Ok(report);
            }
        };
        if let Err(e) = session.create(connection.settings_json()).await {
            report.error = Some(e.to_string());
            session.discard();
            return Ok(report);
        }
        let mut by_action: BTreeMap<String, Vec<OutboxEntry>> = BTreeMap::new();
        for entry in pending {
            by_action
                .entry(entry.item.action.clone())
                .or_default()
                .push(entry);
        }
        for (action_name, entries) in by_action {
            let Some(action) = PushAction::parse(&action_name).filter(|a| session.can_push(*a))
            else {
                tracing::warn!(
                    connection = name.as_str(),
                    action = action_name.as_str(),
                    "the plugin does not declare this push; the items stay queued"
                );
                report.unsupported.push(action_name);
                continue;
            };
            let result = self
                .push_batch(&mut session, action, entries, &mut report)
                .await;
            if let Err(e) = result {
                session.close().await;
                return Err(e);
            }
            if report.error.is_some() {
                // The books refused the connection itself; the other items wait for the fix.
                break;
            }
        }
        session.close().await;
        Ok(report)
    }

    async fn push_batch(
        &self,
        session: &mut Session,
        action: PushAction,
        entries: Vec<OutboxEntry>,
        report: &mut PushReport,
    ) -> Result<()> {
        let mut items = Vec::with_capacity(entries.len());
        let mut sent = Vec::with_capacity(entries.len());
        for entry in entries {
            let key = entry.item.idempotency_key.clone();
            match serde_json::from_value::<Outgoing>(entry.item.payload.clone()) {
                Ok(record) => {
                    self.store.mark_in_flight(&key).await?;
                    items.push(PushItem {
                        idempotency_key: key,
                        record,
                    });
                    sent.push(entry);
                }
                Err(e) => {
                    let error = format!(
                        "the queued payload is not a {action} record ({e}); it was written by another arsync version"
                    );
                    self.settle(&entry, None, Settle::Dead(error), report)
                        .await?;
                }
            }
        }
        if items.is_empty() {
            return Ok(());
        }
        let answer = session
            .call_with_retry("push", || {
                let items = items.clone();
                move |h: &mut dyn arsync_runtime::PluginHandle| h.push(action, items)
            })
            .await;
        match answer {
            Ok((results, _)) => {
                let mut by_key: BTreeMap<String, ItemResult> = results
                    .into_iter()
                    .map(|r| (r.idempotency_key.clone(), r))
                    .collect();
                for entry in &sent {
                    let settle = match by_key.remove(&entry.item.idempotency_key) {
                        None => Settle::Failed(
                            "the plugin returned no result for this item; it will be sent again with the same key".into(),
                        ),
                        Some(result) => match result.outcome {
                            PushOutcome::Applied | PushOutcome::AlreadyApplied => {
                                Settle::Done(result)
                            }
                            PushOutcome::Failed => {
                                let error = result.error.clone().map_or_else(
                                    || "the plugin reported a failure without a message".into(),
                                    |e| e.to_string(),
                                );
                                let retryable =
                                    result.error.as_ref().is_none_or(|e| e.kind.is_retryable());
                                if retryable && entry.attempts + 1 < MAX_PUSH_ATTEMPTS {
                                    Settle::Failed(error)
                                } else {
                                    Settle::Dead(error)
                                }
                            }
                        },
                    };
                    self.settle(entry, Some(action), settle, report).await?;
                }
            }
            Err(e) => {
                if matches!(e.kind(), ErrorKind::Auth | ErrorKind::InvalidConfig) {
                    report.error = Some(e.to_string());
                }
                // A failure of the whole call says nothing about the items: they wait,
                // however often, until the connection works again.
                for entry in &sent {
                    let settle = Settle::Failed(e.to_string());
                    self.settle(entry, Some(action), settle, report).await?;
                }
            }
        }
        Ok(())
    }

    async fn settle(
        &self,
        entry: &OutboxEntry,
        action: Option<PushAction>,
        settle: Settle,
        report: &mut PushReport,
    ) -> Result<()> {
        let key = entry.item.idempotency_key.clone();
        let (change, outcome, external_id, error) = match settle {
            Settle::Done(result) => {
                let outcome = match result.outcome {
                    PushOutcome::AlreadyApplied => "already_applied",
                    _ => "applied",
                };
                let value = serde_json::to_value(&result).ok();
                (OutboxChange::Done(value), outcome, result.external_id, None)
            }
            Settle::Failed(error) => (
                OutboxChange::Failed(error.clone()),
                "failed",
                None,
                Some(error),
            ),
            Settle::Dead(error) => (OutboxChange::Dead(error.clone()), "dead", None, Some(error)),
        };
        let attempt = PushAttempt {
            idempotency_key: key.clone(),
            action: action.map_or_else(|| entry.item.action.clone(), |a| a.as_str().to_owned()),
            target: entry.item.target.clone(),
            outcome: outcome.to_owned(),
            external_id,
            error,
        };
        let mut detail = serde_json::to_value(&attempt).unwrap_or_default();
        if let Some(map) = detail.as_object_mut() {
            map.insert("connection".into(), entry.item.connection.clone().into());
            map.insert("attempt".into(), (entry.attempts + 1).into());
        }
        self.store
            .write_all(&[
                Write::Outbox {
                    idempotency_key: key.clone(),
                    change,
                },
                Write::Audit {
                    kind: "push.attempt".into(),
                    subject: key,
                    detail,
                },
            ])
            .await?;
        report.attempts.push(attempt);
        Ok(())
    }
}

enum Settle {
    Done(ItemResult),
    Failed(String),
    Dead(String),
}
