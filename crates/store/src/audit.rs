//! The audit log's rows and the hash chain that ties them together.
//!
//! Each row's hash is SHA-256 over the previous row's hash followed by the row's fields
//! (sequence number, instant, kind, subject, canonical JSON detail), each field prefixed
//! by its length so no two different rows encode alike. The first row follows
//! [`GENESIS_HASH`]. Changing a row breaks its own hash; deleting one leaves a gap in the
//! sequence and a `prev_hash` that no longer matches.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number, from 1, without gaps.
    pub seq: u64,
    /// When it was appended (RFC 3339, UTC).
    pub at: String,
    /// What happened ("match_decision", "push_attempt", ...).
    pub kind: String,
    /// What it happened to ("books:invoice:130").
    pub subject: String,
    /// Details, as JSON.
    pub detail: Value,
    /// Hash of the previous row.
    pub prev_hash: String,
    /// Hash of this row.
    pub hash: String,
}

/// How the chain is broken at a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// The row's content no longer matches its hash: it was changed.
    Changed,
    /// The row is missing: the sequence jumps over it.
    Missing,
    /// The row does not follow the hash of the row before it: a row before it was
    /// replaced or removed.
    Unlinked,
    /// Rows at the end of the log were removed: the recorded head is further on.
    Truncated,
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditBreak {
    /// The first sequence number at fault.
    pub seq: u64,
    /// Why.
    pub reason: BreakReason,
    /// A sentence for the operator.
    pub detail: String,
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditCheck {
    /// Every row is present and unchanged.
    Intact {
        /// Number of rows.
        rows: u64,
        /// Hash of the last row (the genesis hash for an empty log).
        head: String,
    },
    /// The first place the chain is broken.
    Broken(AuditBreak),
}

/// The stored text of a detail value: JSON with object keys sorted at every level, so the
/// hash does not depend on how a map happened to be ordered.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => {
            let _ = write!(out, "{scalar}");
        }
    }
}

/// The hash of a row from the previous hash and the row's stored fields.
pub fn chain_hash(
    prev_hash: &str,
    seq: u64,
    at: &str,
    kind: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    for field in [prev_hash, seq.as_str(), at, kind, subject, detail] {
        h.update(u64::try_from(field.len()).unwrap_or(u64::MAX).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// A stored row as read back, before it is checked.
#[derive(Debug, Clone)]
pub(crate) struct RawRow {
    pub(crate) seq: u64,
    pub(crate) at: String,
    pub(crate) kind: String,
    pub(crate) subject: String,
    pub(crate) detail: String,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
}

/// Checks the chain row by row, so a long log can be read in batches.
#[derive(Debug)]
pub(crate) struct ChainChecker {
    expected_seq: u64,
    prev: String,
}

impl ChainChecker {
    pub(crate) fn new() -> Self {
        Self {
            expected_seq: 1,
            prev: GENESIS_HASH.to_owned(),
        }
    }

    /// Checks the next row in sequence order; answers the break if it is one.
    pub(crate) fn feed(&mut self, row: &RawRow) -> Option<AuditCheck> {
        if row.seq != self.expected_seq {
            let detail = format!(
                "rows {}..{} are missing: the log jumps from {} to {}",
                self.expected_seq,
                row.seq.saturating_sub(1),
                self.expected_seq.saturating_sub(1),
                row.seq
            );
            return Some(broken(self.expected_seq, BreakReason::Missing, detail));
        }
        let recomputed = chain_hash(
            &row.prev_hash,
            row.seq,
            &row.at,
            &row.kind,
            &row.subject,
            &row.detail,
        );
        if recomputed != row.hash {
            let detail = format!(
                "row {} ({} {}) does not match its hash: it was changed after it was written",
                row.seq, row.kind, row.subject
            );
            return Some(broken(row.seq, BreakReason::Changed, detail));
        }
        if row.prev_hash != self.prev {
            let detail = format!(
                "row {} does not follow the hash of row {}: a row before it was replaced or removed",
                row.seq,
                row.seq.saturating_sub(1)
            );
            return Some(broken(row.seq, BreakReason::Unlinked, detail));
        }
        self.prev.clone_from(&row.hash);
        self.expected_seq += 1;
        None
    }

    /// Compares the end of the chain with the recorded head (last sequence number and
    /// hash), when one was recorded.
    pub(crate) fn finish(self, head: Option<(u64, &str)>) -> AuditCheck {
        let last = self.expected_seq - 1;
        if let Some((head_seq, head_hash)) = head {
            if head_seq > last {
                let detail = format!(
                    "the log ends at row {last} but row {head_seq} was written: rows {}..{head_seq} were removed",
                    last + 1
                );
                return broken(last + 1, BreakReason::Truncated, detail);
            }
            if head_seq < last || head_hash != self.prev {
                let detail = format!(
                    "the recorded head (row {head_seq}) does not match the last row {last}: rows were added or replaced outside arsync"
                );
                return broken(head_seq.min(last).max(1), BreakReason::Unlinked, detail);
            }
        } else if last > 0 {
            return broken(
                1,
                BreakReason::Unlinked,
                "the log has rows but no recorded head: it was written outside arsync".to_owned(),
            );
        }
        AuditCheck::Intact {
            rows: last,
            head: self.prev,
        }
    }
}

/// Walks the rows in sequence order and reports the first break. `head` is the recorded
/// last sequence number and hash, when one was recorded.
#[cfg(test)]
pub(crate) fn check_chain(rows: &[RawRow], head: Option<(u64, &str)>) -> AuditCheck {
    let mut checker = ChainChecker::new();
    for row in rows {
        if let Some(broken) = checker.feed(row) {
            return broken;
        }
    }
    checker.finish(head)
}

fn broken(seq: u64, reason: BreakReason, detail: String) -> AuditCheck {
    AuditCheck::Broken(AuditBreak {
        seq,
        reason,
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: u64) -> Vec<RawRow> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let detail = canonical_json(&json!({"amount": "100.00", "seq": seq}));
                let at = "2026-10-01T12:00:00.000000Z".to_owned();
                let hash = chain_hash(
                    &prev,
                    seq,
                    &at,
                    "match_decision",
                    "books:invoice:1",
                    &detail,
                );
                let row = RawRow {
                    seq,
                    at,
                    kind: "match_decision".into(),
                    subject: "books:invoice:1".into(),
                    detail,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    fn head(rows: &[RawRow]) -> Option<(u64, &str)> {
        rows.last().map(|r| (r.seq, r.hash.as_str()))
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": 1, "a": {"z": "1.10", "y": [3, {"d": null, "c": true}]}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"y":[3,{"c":true,"d":null}],"z":"1.10"},"b":1}"#
        );
    }

    #[test]
    fn an_untouched_chain_is_intact() {
        let rows = chain(5);
        let check = check_chain(&rows, head(&rows));
        assert_eq!(
            check,
            AuditCheck::Intact {
                rows: 5,
                head: rows[4].hash.clone()
            }
        );
        assert_eq!(
            check_chain(&[], None),
            AuditCheck::Intact {
                rows: 0,
                head: GENESIS_HASH.into()
            }
        );
    }

    #[test]
    fn a_changed_amount_in_a_decision_is_found_at_its_row() {
        let mut rows = chain(5);
        let h = head(&rows).map(|(s, h)| (s, h.to_owned()));
        rows[2].detail = rows[2].detail.replace("100.00", "10.00");
        let AuditCheck::Broken(b) = check_chain(&rows, h.as_ref().map(|(s, h)| (*s, h.as_str())))
        else {
            panic!("tampering not detected")
        };
        assert_eq!((b.seq, b.reason), (3, BreakReason::Changed));
    }

    #[test]
    fn a_row_rewritten_with_a_fresh_hash_breaks_the_next_link() {
        let mut rows = chain(4);
        let h = head(&rows).map(|(s, h)| (s, h.to_owned()));
        rows[1].subject = "books:invoice:2".into();
        rows[1].hash = chain_hash(
            &rows[1].prev_hash,
            2,
            &rows[1].at,
            &rows[1].kind,
            &rows[1].subject,
            &rows[1].detail,
        );
        let AuditCheck::Broken(b) = check_chain(&rows, h.as_ref().map(|(s, h)| (*s, h.as_str())))
        else {
            panic!("tampering not detected")
        };
        assert_eq!((b.seq, b.reason), (3, BreakReason::Unlinked));
    }

    #[test]
    fn deleted_rows_are_found_in_the_middle_at_the_start_and_at_the_end() {
        let rows = chain(5);
        let h = head(&rows);
        let mut middle = rows.clone();
        middle.remove(2);
        let AuditCheck::Broken(b) = check_chain(&middle, h) else {
            panic!("gap not detected")
        };
        assert_eq!((b.seq, b.reason), (3, BreakReason::Missing));

        let first_gone = rows[1..].to_vec();
        let AuditCheck::Broken(b) = check_chain(&first_gone, h) else {
            panic!("gap not detected")
        };
        assert_eq!((b.seq, b.reason), (1, BreakReason::Missing));

        let tail_gone = rows[..3].to_vec();
        let AuditCheck::Broken(b) = check_chain(&tail_gone, h) else {
            panic!("truncation not detected")
        };
        assert_eq!((b.seq, b.reason), (4, BreakReason::Truncated));
    }
}
