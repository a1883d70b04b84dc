//! Sync: pull every stream a connection's plugin offers, page by page from the stored
//! cursor, and write each page with its cursor in one transaction.

use crate::Agent;
use crate::error::{AgentError, Result};
use crate::plugins::Session;
use arsync_config::Connection;
use arsync_sdk::{Capability, ErrorKind, PluginError, Stream};
use arsync_store::{Change, Page, Record, Store};
use serde::{Deserialize, Serialize};

/// Upper bound of pages read from one stream in one run, so a plugin whose cursors never
/// end cannot keep the agent busy forever; the next run resumes where this one stopped.
pub const MAX_PAGES_PER_STREAM: u32 = 100_000;

/// How many of a run's page problems are copied into its audit row (all are in the report).
const AUDITED_PROBLEMS: usize = 100;

/// What one sync did on one connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncReport {
    /// The connection.
    pub connection: String,
    /// The plugin's name and version, when it loaded.
    pub plugin: Option<String>,
    /// One entry per stream pulled.
    pub streams: Vec<StreamReport>,
    /// Problems the plugin reported in pages it otherwise delivered (a malformed line),
    /// each with its position; the rest of the page was stored.
    pub problems: Vec<PageProblem>,
    /// Why the connection stopped, when it did.
    pub error: Option<String>,
    /// The kind of that error (`auth`, `invalid_config`, `transient`, ...).
    pub error_kind: Option<String>,
}

impl SyncReport {
    /// Whether every stream was read to its end.
    pub fn is_complete(&self) -> bool {
        self.error.is_none() && self.streams.iter().all(|s| s.error.is_none())
    }

    /// Records stored as new or changed, over all streams.
    pub fn changed(&self) -> u64 {
        self.streams.iter().map(|s| s.inserted + s.updated).sum()
    }
}

/// What one sync did on one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamReport {
    /// The stream (`invoices`, `customers`, ...).
    pub stream: String,
    /// The cursor the stream resumed from.
    pub started_from: Option<String>,
    /// Pages stored.
    pub pages: u32,
    /// Records received.
    pub records: u64,
    /// Records stored for the first time.
    pub inserted: u64,
    /// Records replaced by a newer version.
    pub updated: u64,
    /// Records already stored in this version.
    pub unchanged: u64,
    /// Records older than the stored version (ignored).
    pub stale: u64,
    /// Plugin calls retried after a transient failure or a rate limit.
    pub retries: u32,
    /// The stream's cursor after the run.
    pub cursor: Option<String>,
    /// Why the stream stopped before its end, when it did.
    pub error: Option<String>,
}

/// A problem a plugin reported in a page, with where it was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageProblem {
    /// The stream.
    pub stream: String,
    /// The cursor of the page.
    pub cursor: Option<String>,
    /// The problem, with its position (file, line, record, field).
    pub problem: PluginError,
}

/// Whether an error stops the whole connection rather than one stream.
fn stops_connection(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Auth | ErrorKind::InvalidConfig | ErrorKind::Transient | ErrorKind::RateLimited
    )
}

/// The agent stamps every record with the connection that delivered it: a plugin knows
/// its own name, not the name the configuration gives the connection.
fn to_store_record(record: arsync_sdk::Record, connection: &str) -> Record {
    use arsync_sdk::Record as Wire;
    let mut record = match record {
        Wire::Party(r) => Record::Party(r),
        Wire::Invoice(r) => Record::Invoice(r),
        Wire::CreditNote(r) => Record::CreditNote(r),
        Wire::Payment(r) => Record::Payment(r),
        Wire::BankEntry(r) => Record::BankEntry(r),
        Wire::FxRate(r) => Record::FxRate(r),
    };
    let origin = match &mut record {
        Record::Party(r) => Some(&mut r.origin),
        Record::Invoice(r) => Some(&mut r.origin),
        Record::CreditNote(r) => Some(&mut r.origin),
        Record::Payment(r) => Some(&mut r.origin),
        Record::BankEntry(r) => Some(&mut r.origin),
        Record::FxRate(_) => None,
    };
    if let Some(origin) = origin {
        connection.clone_into(&mut origin.connection);
    }
    record
}

impl<S: Store> Agent<'_, S> {
    /// Pulls the named connections (all enabled ones when `connections` is empty), one
    /// after the other. Fails only when a name is not configured; everything that goes
    /// wrong within a connection is in its report.
    pub async fn sync(&self, connections: &[String]) -> Result<Vec<SyncReport>> {
        let chosen = self.connections(connections)?;
        let mut reports = Vec::with_capacity(chosen.len());
        for connection in chosen {
            reports.push(self.sync_connection(connection).await);
        }
        Ok(reports)
    }

    /// Pulls one connection.
    pub(crate) async fn sync_connection(&self, connection: &Connection) -> SyncReport {
        let name = connection.name().to_owned();
        let mut report = SyncReport {
            connection: name.clone(),
            ..SyncReport::default()
        };
        match self.open_session(connection).await {
            Ok(mut session) => {
                let manifest = session.manifest();
                report.plugin = Some(format!("{} {}", manifest.name, manifest.version));
                if let Err(e) = session.create(connection.settings_json()).await {
                    fail(&mut report, &e);
                    session.discard();
                } else {
                    self.pull_all(&mut session, &mut report).await;
                    session.close().await;
                }
            }
            Err(e) => fail(&mut report, &e),
        }
        let detail = serde_json::json!({
            "plugin": report.plugin,
            "streams": report.streams,
            "problems": report.problems.len(),
            "first_problems": report.problems.iter().take(AUDITED_PROBLEMS).collect::<Vec<_>>(),
            "error": report.error,
        });
        if let Err(e) = self.store.append("sync.run", &name, &detail).await {
            tracing::error!(error = %e, "the sync run could not be written to the audit log");
            if report.error.is_none() {
                report.error = Some(e.to_string());
            }
        }
        report
    }

    async fn pull_all(&self, session: &mut Session, report: &mut SyncReport) {
        let streams: Vec<Stream> = session
            .manifest()
            .capabilities
            .iter()
            .filter_map(|c| match c {
                Capability::Pull(stream) => Some(*stream),
                _ => None,
            })
            .collect();
        for stream in streams {
            let mut stream_report = StreamReport {
                stream: stream.as_str().to_owned(),
                ..StreamReport::default()
            };
            let outcome = self
                .pull_stream(session, stream, &mut stream_report, &mut report.problems)
                .await;
            if let Err(e) = outcome {
                tracing::warn!(stream = stream.as_str(), error = %e, "stream stopped");
                if let AgentError::Plugin { source, .. } = &e
                    && let Some(problem) = source.plugin_error()
                    && problem.kind == ErrorKind::InvalidData
                {
                    report.problems.push(PageProblem {
                        stream: stream.as_str().to_owned(),
                        cursor: stream_report.cursor.clone(),
                        problem: problem.clone(),
                    });
                }
                stream_report.error = Some(e.to_string());
                let stop = stops_connection(e.kind()) || matches!(e, AgentError::PluginLost { .. });
                report.streams.push(stream_report);
                if stop {
                    fail(report, &e);
                    return;
                }
                continue;
            }
            report.streams.push(stream_report);
        }
    }

    async fn pull_stream(
        &self,
        session: &mut Session,
        stream: Stream,
        out: &mut StreamReport,
        problems: &mut Vec<PageProblem>,
    ) -> Result<()> {
        let connection = self.config_name(session);
        let mut cursor = self.store.cursor(&connection, stream.as_str()).await?;
        out.started_from.clone_from(&cursor);
        out.cursor.clone_from(&cursor);
        for _ in 0..MAX_PAGES_PER_STREAM {
            let (page, retries) = session
                .call_with_retry("pull", || {
                    let cursor = cursor.clone();
                    move |h: &mut dyn arsync_runtime::PluginHandle| {
                        h.pull(stream, cursor.as_deref())
                    }
                })
                .await?;
            out.retries += retries;
            for problem in page.problems {
                tracing::warn!(
                    stream = stream.as_str(),
                    kind = problem.kind.as_str(),
                    problem = problem.message.as_str(),
                    "the plugin reported a problem in a page; the rest of the page is stored"
                );
                problems.push(PageProblem {
                    stream: stream.as_str().to_owned(),
                    cursor: cursor.clone(),
                    problem,
                });
            }
            let records: Vec<Record> = page
                .items
                .into_iter()
                .map(|r| to_store_record(r, &connection))
                .collect();
            out.records += u64::try_from(records.len()).unwrap_or(u64::MAX);
            let next = page.next_cursor;
            if next.is_some() && next == cursor {
                return Err(AgentError::NoProgress {
                    connection,
                    stream: stream.as_str().to_owned(),
                    cursor: next,
                });
            }
            let stored = self
                .store
                .apply(&Page::new(
                    connection.clone(),
                    stream.as_str(),
                    records,
                    next.clone(),
                ))
                .await?;
            out.pages += 1;
            out.inserted += count(&stored, Change::Inserted);
            out.updated += count(&stored, Change::Updated);
            out.unchanged += count(&stored, Change::Unchanged);
            out.stale += count(&stored, Change::Stale);
            out.cursor = stored.cursor;
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(()),
            }
        }
        tracing::warn!(
            stream = stream.as_str(),
            pages = MAX_PAGES_PER_STREAM,
            "stopped after the page limit; the next run resumes from the stored cursor"
        );
        Ok(())
    }

    fn config_name(&self, session: &Session) -> String {
        session.connection().to_owned()
    }

    /// Loads a connection's plugin with the agent's loader, clock and retry policy.
    pub(crate) async fn open_session(&self, connection: &Connection) -> Result<Session> {
        Session::load(
            self.loader.clone(),
            self.config,
            connection,
            self.clock.clone(),
            self.retry,
        )
        .await
    }
}

fn count(outcome: &arsync_store::PageOutcome, change: Change) -> u64 {
    u64::try_from(outcome.count(change)).unwrap_or(u64::MAX)
}

fn fail(report: &mut SyncReport, error: &AgentError) {
    tracing::error!(error = %error, "connection stopped");
    report.error = Some(error.to_string());
    report.error_kind = Some(error.kind().as_str().to_owned());
}
