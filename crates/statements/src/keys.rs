//! Dedupe keys: the `Origin.external_id` that lets the same booking, seen in a camt.052,
//! a camt.053 and a camt.054, or in two overlapping statements, be stored once.
//!
//! The key is `account/bank reference` plus `/detail index` for a split batch, or
//! `account/fitid:FITID` for OFX. When the bank gives no reference the key is built from
//! the entry's content (dates, amount, references, text), numbered by occurrence within
//! the file so that two identical bookings on one day stay two entries.

use arsync_model::Origin;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// References that banks write when they have none.
pub(crate) fn is_placeholder_ref(r: &str) -> bool {
    let t = r.trim();
    t.is_empty() || t.eq_ignore_ascii_case("NONREF") || t.eq_ignore_ascii_case("NOTPROVIDED")
}

/// Builds origins for the entries of one file.
///
/// Keys are remembered as 64-bit hashes with the first content fingerprint (16 bytes per
/// entry), which is all a file of any size keeps; the rare keys seen with other content
/// keep their further fingerprints aside.
#[derive(Debug, Default)]
pub(crate) struct KeyMaker {
    /// The first content fingerprint seen per key hash.
    first: HashMap<u64, u64>,
    /// Further fingerprints, in order, for keys seen again with other content.
    more: HashMap<u64, Vec<u64>>,
}

impl KeyMaker {
    /// The origin of an entry. `bank_ref` is the bank's own reference for the booking,
    /// `detail` the index of the transaction detail within a split batch, `content` the
    /// fields that identify the entry when there is no reference, `payload` its source text.
    pub(crate) fn origin(
        &mut self,
        connection: &str,
        account: &str,
        bank_ref: Option<&str>,
        detail: Option<u32>,
        content: &[&str],
        payload: &str,
    ) -> Origin {
        let referenced = bank_ref.filter(|r| !is_placeholder_ref(r));
        // Within one file a fast hash tells bookings apart; the key text itself uses
        // SHA-256 so that it is the same in every run and every build.
        let fingerprint = {
            let mut h = std::hash::DefaultHasher::new();
            for part in content {
                part.trim().hash(&mut h);
            }
            h.finish()
        };
        let mut base = match referenced {
            Some(r) => format!("{account}/{}", r.trim()),
            None => {
                let mut h = Sha256::new();
                for part in content {
                    h.update(part.trim().as_bytes());
                    h.update([0x1f]);
                }
                let digest = h.finalize();
                format!("{account}/h:{}", &hex::encode(digest)[..20])
            }
        };
        if let Some(d) = detail {
            base.push_str(&format!("/{d}"));
        }
        // A key seen again in the same file: with a reference and the same content it is
        // the same booking reported twice (overlapping statements) and keeps its key; with
        // different content, or without a reference, it is another booking and is
        // numbered, so both are kept while a later file with the same bookings gives the
        // same keys.
        let key_hash = {
            let mut h = std::hash::DefaultHasher::new();
            base.hash(&mut h);
            h.finish()
        };
        let occurrence = match self.first.get(&key_hash) {
            None => {
                self.first.insert(key_hash, fingerprint);
                1
            }
            Some(&first) => {
                let known = std::iter::once(&first)
                    .chain(self.more.get(&key_hash).into_iter().flatten())
                    .position(|f| *f == fingerprint);
                match known {
                    Some(i) if referenced.is_some() => i + 1,
                    _ => {
                        let more = self.more.entry(key_hash).or_default();
                        more.push(fingerprint);
                        more.len() + 1
                    }
                }
            }
        };
        let key = if occurrence == 1 {
            base
        } else {
            format!("{base}#{occurrence}")
        };
        Origin::new(connection, key).with_payload(payload.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bank_reference_makes_the_key_and_a_detail_index_extends_it() {
        let mut k = KeyMaker::default();
        let o = k.origin("bank", "CH03", Some("ACSR1"), Some(2), &[], "x");
        assert_eq!(o.external_id, "CH03/ACSR1/2");
        assert_eq!(o.connection, "bank");
        assert!(o.payload_hash.is_some());
    }

    #[test]
    fn a_reference_used_for_two_bookings_in_one_file_keeps_both() {
        let mut k = KeyMaker::default();
        let a = k.origin("b", "AC", Some("R1"), None, &["125.00", "credit"], "");
        let b = k.origin("b", "AC", Some("R1"), None, &["125.00", "return"], "");
        assert_eq!(a.external_id, "AC/R1");
        assert_eq!(b.external_id, "AC/R1#2");
    }

    #[test]
    fn the_same_booking_in_two_overlapping_statements_of_one_file_keeps_one_key() {
        let mut k = KeyMaker::default();
        let a = k.origin("b", "AC", Some("R1"), None, &["2024-01-02", "5.00"], "");
        let b = k.origin("b", "AC", Some("R1"), None, &["2024-01-02", "5.00"], "");
        assert_eq!(a.external_id, b.external_id);
    }

    #[test]
    fn two_identical_unreferenced_bookings_stay_two() {
        let mut k = KeyMaker::default();
        let a = k.origin(
            "b",
            "AC",
            Some("NONREF"),
            None,
            &["2024-01-02", "-5.00"],
            "",
        );
        let b = k.origin("b", "AC", None, None, &["2024-01-02", "-5.00"], "");
        assert_ne!(a.external_id, b.external_id);
        assert!(b.external_id.ends_with("#2"));
        // A second file with the same booking produces the first key again.
        let mut k2 = KeyMaker::default();
        let c = k2.origin("b", "AC", None, None, &["2024-01-02", "-5.00"], "");
        assert_eq!(a.external_id, c.external_id);
    }
}
