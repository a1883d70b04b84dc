//! Dedupe keys: the `Origin.external_id` that lets the same booking, seen in a camt.052,
//! a camt.053 and a camt.054, or in two overlapping statements, be stored once.
//!
//! The key is `account/bank reference` plus `/detail index` for a split batch, or
//! `account/fitid:FITID` for OFX. When the bank gives no reference the key is built from
//! the entry's content (dates, amount, references, text), numbered by occurrence so that
//! two identical bookings on one day stay two entries.
//!
//! **The numbering window.** A key is numbered (`#2`, `#3`, …) when the same key was
//! already given to one of the previous [`WINDOW`] entries of the file (131,072): a
//! reference used again for a booking with other content, or a booking without reference
//! whose content (booking date included) repeats. Keys used before that window are
//! forgotten, so the memory a file needs is bounded (a few MB) whatever its size. Identical
//! content keys carry their booking date, and a statement lists a day's bookings together,
//! so the window only matters for a file with more than 131,072 entries between two
//! identical bookings of one day, or one bank reference reused that far apart: the later
//! one then gets the first one's key and is kept once. Per reference, at most
//! [`MAX_CONTENTS`] different contents are remembered for recognising a repeat; further
//! ones are still numbered on.

use arsync_model::Origin;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

/// How many of the most recent entries of a file are remembered for numbering keys.
pub(crate) const WINDOW: usize = 1 << 17;

/// How many different contents one key remembers to tell a repeated booking from a new one.
pub(crate) const MAX_CONTENTS: usize = 64;

/// References that banks write when they have none.
pub(crate) fn is_placeholder_ref(r: &str) -> bool {
    let t = r.trim();
    t.is_empty() || t.eq_ignore_ascii_case("NONREF") || t.eq_ignore_ascii_case("NOTPROVIDED")
}

/// What is remembered about one key (by its 64-bit hash) while it is in the window.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// How many of the window's entries have this key.
    live: u32,
    /// How many numbers were given out for it (the last key's `#n`).
    numbered: u32,
    /// The content fingerprint of its first booking.
    first: u64,
}

/// Builds origins for the entries of one file.
///
/// Keys are remembered as 64-bit hashes with the first content fingerprint (24 bytes per
/// key, plus 8 per entry in the window), for the last [`WINDOW`] entries only; the rare keys
/// seen with other content keep their further fingerprints aside.
#[derive(Debug)]
pub(crate) struct KeyMaker {
    /// Per key hash in the window.
    slots: HashMap<u64, Slot>,
    /// Further fingerprints, in order, for referenced keys seen again with other content.
    more: HashMap<u64, Vec<u64>>,
    /// The key hashes of the window's entries, oldest first.
    recent: VecDeque<u64>,
    /// The window's length.
    window: usize,
}

impl Default for KeyMaker {
    fn default() -> Self {
        Self::with_window(WINDOW)
    }
}

impl KeyMaker {
    /// A key maker that remembers the last `window` entries (at least one).
    pub(crate) fn with_window(window: usize) -> Self {
        Self {
            slots: HashMap::new(),
            more: HashMap::new(),
            recent: VecDeque::new(),
            window: window.max(1),
        }
    }

    /// How many keys are remembered now (never more than the window).
    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.slots.len()
    }

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
        let key_hash = {
            let mut h = std::hash::DefaultHasher::new();
            base.hash(&mut h);
            h.finish()
        };
        let occurrence = self.number(key_hash, fingerprint, referenced.is_some());
        let key = if occurrence == 1 {
            base
        } else {
            format!("{base}#{occurrence}")
        };
        Origin::new(connection, key).with_payload(payload.as_bytes())
    }

    /// The occurrence number of a key. A key seen again in the window: with a reference
    /// and the same content it is the same booking reported twice (overlapping
    /// statements) and keeps its number; with different content, or without a reference,
    /// it is another booking and gets the next number, so both are kept while a later file
    /// with the same bookings gives the same keys.
    fn number(&mut self, key_hash: u64, fingerprint: u64, referenced: bool) -> u32 {
        let occurrence = match self.slots.get_mut(&key_hash) {
            None => {
                self.slots.insert(
                    key_hash,
                    Slot {
                        live: 1,
                        numbered: 1,
                        first: fingerprint,
                    },
                );
                1
            }
            Some(slot) => {
                slot.live = slot.live.saturating_add(1);
                let known = if referenced {
                    std::iter::once(&slot.first)
                        .chain(self.more.get(&key_hash).into_iter().flatten())
                        .position(|f| *f == fingerprint)
                } else {
                    None
                };
                match known.and_then(|i| u32::try_from(i + 1).ok()) {
                    Some(n) => n,
                    None => {
                        slot.numbered = slot.numbered.saturating_add(1);
                        if referenced {
                            let more = self.more.entry(key_hash).or_default();
                            if more.len() < MAX_CONTENTS {
                                more.push(fingerprint);
                            }
                        }
                        slot.numbered
                    }
                }
            }
        };
        self.recent.push_back(key_hash);
        if self.recent.len() > self.window
            && let Some(old) = self.recent.pop_front()
            && let Some(slot) = self.slots.get_mut(&old)
        {
            slot.live = slot.live.saturating_sub(1);
            if slot.live == 0 {
                self.slots.remove(&old);
                self.more.remove(&old);
            }
        }
        occurrence
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
    #[test]
    fn an_identical_booking_is_numbered_only_within_the_window() {
        let mut k = KeyMaker::with_window(4);
        let day = ["2024-01-02", "-5.00"];
        let a = k.origin("b", "AC", None, None, &day, "");
        let b = k.origin("b", "AC", None, None, &day, "");
        assert!(b.external_id.ends_with("#2"));
        // Four other bookings push both out of a window of four entries.
        for i in 0..4 {
            let amount = format!("{i}.00");
            k.origin("b", "AC", None, None, &["2024-01-03", &amount], "");
        }
        let c = k.origin("b", "AC", None, None, &day, "");
        assert_eq!(c.external_id, a.external_id);
    }

    #[test]
    fn the_index_never_holds_more_keys_than_the_window() {
        let mut k = KeyMaker::with_window(100);
        for i in 0..10_000u32 {
            let r = format!("R{i}");
            k.origin("b", "AC", Some(&r), None, &["2024-01-02"], "");
            assert!(k.remembered() <= 100);
        }
        assert_eq!(k.remembered(), 100);
    }

    #[test]
    fn a_reference_reused_with_many_contents_keeps_numbering_past_what_it_remembers() {
        let mut k = KeyMaker::default();
        let n = u32::try_from(MAX_CONTENTS).unwrap_or(u32::MAX) + 10;
        for i in 1..=n {
            let amount = format!("{i}.00");
            let o = k.origin("b", "AC", Some("R1"), None, &[&amount], "");
            let expect = if i == 1 {
                "AC/R1".to_owned()
            } else {
                format!("AC/R1#{i}")
            };
            assert_eq!(o.external_id, expect);
        }
        // A content remembered is still recognised as the same booking.
        let again = k.origin("b", "AC", Some("R1"), None, &["3.00"], "");
        assert_eq!(again.external_id, "AC/R1#3");
    }

    proptest::proptest! {
        /// Within the window, the bounded index gives exactly the keys an index of the
        /// whole file gives.
        #[test]
        fn within_the_window_keys_equal_those_of_an_unbounded_index(
            entries in proptest::collection::vec((0u8..4, 0u8..3, 0u8..3), 1..200)
        ) {
            let mut bounded = KeyMaker::with_window(200);
            let mut whole = KeyMaker::with_window(usize::MAX);
            for (r, date, amount) in entries {
                let reference = (r > 0).then(|| format!("R{r}"));
                let date = format!("2024-01-0{}", date + 1);
                let amount = format!("{amount}.00");
                let parts = [date.as_str(), amount.as_str()];
                let a = bounded.origin("b", "AC", reference.as_deref(), None, &parts, "");
                let b = whole.origin("b", "AC", reference.as_deref(), None, &parts, "");
                proptest::prop_assert_eq!(a.external_id, b.external_id);
            }
        }
    }
}
