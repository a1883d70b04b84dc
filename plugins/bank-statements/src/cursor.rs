//! The cursor of the bank-entries stream: which statement files were delivered, by content
//! (the first 128 bits of each file's sha256, hex), and how far into a file that is being
//! delivered in several pages. A file is delivered once whatever it is called; a file
//! replaced under the same name by new content is new.
//!
//! Text form: `files:` followed by the sorted items joined by `,`, each `<hash>` for a
//! delivered file or `<hash>@<n>` for a file whose first `n` entries were delivered.

use arsync_sdk::{PluginError, Position};
use std::collections::{BTreeMap, BTreeSet};

const PREFIX: &str = "files:";

/// Hex digits of a file hash kept in the cursor.
pub(crate) const HASH_LEN: usize = 32;

/// The content key of a file.
pub(crate) fn file_key(bytes: &[u8]) -> String {
    let mut full = arsync_model::payload_hash(bytes);
    full.truncate(HASH_LEN);
    full
}

/// Where the stream stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Inbox {
    /// Files delivered completely.
    pub(crate) delivered: BTreeSet<String>,
    /// Files delivered in part: key → entries delivered so far.
    pub(crate) partial: BTreeMap<String, usize>,
}

impl Inbox {
    /// Reads a cursor this plugin issued; anything else is refused, naming the fix.
    pub(crate) fn parse(text: Option<&str>) -> Result<Self, PluginError> {
        let mut inbox = Inbox::default();
        let Some(text) = text else {
            return Ok(inbox);
        };
        let foreign = || {
            PluginError::invalid_data(
                format!(
                    "the stored cursor {:?} was not issued by this plugin (expected files:<hash>,...); reset this stream's cursor so the statement files are read again (entries already stored are kept once)",
                    text.chars().take(80).collect::<String>()
                ),
                Position {
                    field: Some("cursor".into()),
                    ..Position::default()
                },
            )
        };
        let list = text.strip_prefix(PREFIX).ok_or_else(foreign)?;
        if list.is_empty() {
            return Ok(inbox);
        }
        for item in list.split(',') {
            let (hash, offset) = match item.split_once('@') {
                Some((h, n)) => (h, Some(n.parse::<usize>().map_err(|_| foreign())?)),
                None => (item, None),
            };
            if hash.len() != HASH_LEN || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(foreign());
            }
            let hash = hash.to_ascii_lowercase();
            match offset {
                Some(n) => inbox.partial.insert(hash, n),
                None => inbox.delivered.insert(hash).then_some(0),
            };
        }
        Ok(inbox)
    }

    /// Where delivery of the file with `key` stands: `None` when it was delivered
    /// completely, else the number of its entries already delivered.
    pub(crate) fn start_of(&self, key: &str) -> Option<usize> {
        if self.delivered.contains(key) {
            None
        } else {
            Some(self.partial.get(key).copied().unwrap_or(0))
        }
    }

    /// The cursor after delivering the file with `key` up to entry `end` of `len`.
    pub(crate) fn advanced(&self, key: &str, end: usize, len: usize) -> String {
        let mut next = self.clone();
        if end >= len {
            next.partial.remove(key);
            next.delivered.insert(key.to_owned());
        } else {
            next.partial.insert(key.to_owned(), end);
        }
        next.encode()
    }

    fn encode(&self) -> String {
        let mut items: Vec<String> = self.delivered.iter().cloned().collect();
        items.extend(self.partial.iter().map(|(h, n)| format!("{h}@{n}")));
        items.sort();
        format!("{PREFIX}{}", items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_cursor_from_elsewhere_is_refused_as_invalid_data() {
        for text in [
            "\u{1}x",
            "sha256:ab",
            "files:xyz",
            "files:,",
            "files:0123@x",
        ] {
            let e = Inbox::parse(Some(text)).unwrap_err();
            assert_eq!(e.kind, arsync_sdk::ErrorKind::InvalidData, "{text}");
        }
        assert_eq!(Inbox::parse(Some("files:")).unwrap(), Inbox::default());
    }

    #[test]
    fn a_long_statement_is_delivered_in_parts_and_then_counts_as_delivered() {
        let key = file_key(b"a statement with 2500 entries");
        let inbox = Inbox::default();
        assert_eq!(inbox.start_of(&key), Some(0));
        let after_first = Inbox::parse(Some(&inbox.advanced(&key, 1000, 2500))).unwrap();
        assert_eq!(after_first.start_of(&key), Some(1000));
        let done = Inbox::parse(Some(&after_first.advanced(&key, 2500, 2500))).unwrap();
        assert_eq!(done.start_of(&key), None);
        assert!(done.partial.is_empty());
    }

    proptest! {
        #[test]
        fn any_inbox_survives_its_cursor(
            files in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..20),
            offsets in proptest::collection::vec(1usize..5000, 0..5),
        ) {
            let mut inbox = Inbox::default();
            for f in &files {
                inbox.delivered.insert(file_key(f));
            }
            for (i, n) in offsets.iter().enumerate() {
                let key = file_key(format!("in progress {i}").as_bytes());
                inbox.partial.insert(key, *n);
            }
            prop_assert_eq!(Inbox::parse(Some(&inbox.encode())).unwrap(), inbox);
        }
    }
}
