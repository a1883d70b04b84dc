//! Write-back: overdue statuses and collection tasks go to the companion workbook
//! `<stem>.arsync.xlsx` (built by `arsync-sheets`), and a journal `<stem>.arsync.json`
//! beside it remembers every idempotency key already applied together with the statuses and
//! tasks the companion shows. Each push reads the journal, applies the new items, rewrites
//! the companion, then the journal; both writes go through the host, which writes a sibling
//! file and renames it, so neither is ever half written. A crash between the two writes
//! leaves keys unrecorded, and retrying them rewrites the same companion: nothing is doubled.

use crate::removed::{KEPT, Snapshot};
use arsync_model::{CollectionTask, OverdueStatus};
use arsync_sdk::{ErrorKind, Host, PluginError, Position};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// What has been written back so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Journal {
    /// Idempotency key → the id of the row it wrote (`books.arsync.xlsx#Status/INV-7`).
    pub(crate) applied: BTreeMap<String, String>,
    /// The newest status per invoice (external id).
    pub(crate) statuses: BTreeMap<String, OverdueStatus>,
    /// The current version of each task, by task key.
    pub(crate) tasks: BTreeMap<String, CollectionTask>,
    /// The documents of the last versions of the source pulled, oldest first, to find
    /// rows removed since (see [`crate::removed`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) pulled: Vec<Snapshot>,
}

/// Where the companion and its journal go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The companion workbook.
    pub(crate) workbook: String,
    /// The journal.
    pub(crate) journal: String,
}

impl Target {
    /// The companion of `source` in `output` (default: the source's own folder).
    pub(crate) fn new(source: &str, output: Option<&str>) -> Self {
        let name = arsync_sheets::companion_path(Path::new(source))
            .file_name()
            .map_or_else(
                || "books.arsync.xlsx".to_owned(),
                |n| n.to_string_lossy().into_owned(),
            );
        let dir = match output {
            Some(o) => o.trim_end_matches(['/', '\\']).to_owned(),
            None => Path::new(source)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let join = |file: &str| {
            if dir.is_empty() || dir == "." {
                file.to_owned()
            } else {
                format!("{dir}/{file}")
            }
        };
        let journal = name
            .strip_suffix(".xlsx")
            .map_or_else(|| format!("{name}.json"), |stem| format!("{stem}.json"));
        Self {
            workbook: join(&name),
            journal: join(&journal),
        }
    }
}

/// A glob pattern matching exactly `path`.
fn literal_pattern(path: &str) -> String {
    path.chars()
        .map(|c| match c {
            '*' | '?' | '[' | ']' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect()
}

fn on_write(path: &str, e: PluginError) -> PluginError {
    if e.kind == ErrorKind::InvalidConfig {
        PluginError::invalid_config(
            "output",
            format!(
                "cannot write {path}: {}; set `output` to the folder the companion workbook goes in (e.g. output = \".\" for the source's folder) so arsync may write there",
                e.message
            ),
        )
    } else {
        e
    }
}

impl Journal {
    /// Reads the journal, or an empty one when there is none yet.
    pub(crate) fn load(host: &Host, target: &Target) -> Result<Self, PluginError> {
        let exists = host
            .list_files(&literal_pattern(&target.journal))?
            .iter()
            .any(|p| p == &target.journal);
        if !exists {
            return Ok(Self::default());
        }
        let bytes = host.read_file(&target.journal)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            PluginError::invalid_data(
                format!(
                    "the write-back journal is damaged ({e}); move it aside and arsync rebuilds the companion from the next push"
                ),
                Position {
                    source: Some(target.journal.clone()),
                    line: u64::try_from(e.line()).ok(),
                    ..Position::default()
                },
            )
        })
    }

    /// Writes the companion workbook, then the journal.
    pub(crate) fn save(&self, host: &Host, target: &Target) -> Result<(), PluginError> {
        let statuses: Vec<OverdueStatus> = self.statuses.values().cloned().collect();
        let tasks: Vec<CollectionTask> = self.tasks.values().cloned().collect();
        let workbook = render(&statuses, &tasks, &target.workbook)?;
        host.write_file(&target.workbook, &workbook)
            .map_err(|e| on_write(&target.workbook, e))?;
        self.save_journal(host, target)
    }

    /// Writes only the journal (after a pull remembered a version of the source).
    pub(crate) fn save_journal(&self, host: &Host, target: &Target) -> Result<(), PluginError> {
        let journal = serde_json::to_vec_pretty(self)
            .map_err(|e| PluginError::fatal(format!("cannot encode the journal: {e}")))?;
        host.write_file(&target.journal, &journal)
            .map_err(|e| on_write(&target.journal, e))
    }

    /// The remembered version of the source with `hash`.
    pub(crate) fn snapshot(&self, hash: &str) -> Option<&Snapshot> {
        self.pulled.iter().find(|s| s.hash == hash)
    }

    /// Remembers a version of the source, forgetting all but the last [`KEPT`].
    pub(crate) fn remember(&mut self, snapshot: Snapshot) {
        self.pulled.retain(|s| s.hash != snapshot.hash);
        self.pulled.push(snapshot);
        let excess = self.pulled.len().saturating_sub(KEPT);
        self.pulled.drain(..excess);
    }

    /// Records a status; an older status never replaces a newer one of the same invoice.
    pub(crate) fn put_status(&mut self, status: OverdueStatus) {
        match self.statuses.get(&status.item_id) {
            Some(current) if current.as_of > status.as_of => {}
            _ => {
                self.statuses.insert(status.item_id.clone(), status);
            }
        }
    }
}

/// The companion workbook's bytes; only the host writes the real file.
fn render(
    statuses: &[OverdueStatus],
    tasks: &[CollectionTask],
    target: &str,
) -> Result<Vec<u8>, PluginError> {
    arsync_sheets::companion_bytes(statuses, tasks)
        .map_err(|e| PluginError::fatal(format!("cannot build {target}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_companion_sits_beside_the_source_unless_output_names_a_folder() {
        assert_eq!(
            Target::new("books/open items.xlsx", None),
            Target {
                workbook: "books/open items.arsync.xlsx".into(),
                journal: "books/open items.arsync.json".into()
            }
        );
        assert_eq!(Target::new("op.csv", None).workbook, "op.arsync.xlsx");
        assert_eq!(
            Target::new("in/op.csv", Some("out/")).journal,
            "out/op.arsync.json"
        );
    }

    #[test]
    fn glob_characters_in_a_file_name_are_matched_literally() {
        assert_eq!(literal_pattern("a[1]*.json"), "a[[]1[]][*].json");
    }
}
