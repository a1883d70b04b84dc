//! The cursor of the bank-entries stream: the set of statement files already delivered,
//! by content (the first 128 bits of each file's sha256, hex). A file is delivered once
//! whatever its name; a file replaced under the same name by new content is new.
//!
//! Text form: `files:` followed by the sorted hashes joined by `,`.

use arsync_sdk::{PluginError, Position};
use std::collections::BTreeSet;

const PREFIX: &str = "files:";

/// Hex digits of a file hash kept in the cursor.
pub(crate) const HASH_LEN: usize = 32;

/// The content key of a file.
pub(crate) fn file_key(bytes: &[u8]) -> String {
    let mut full = arsync_model::payload_hash(bytes);
    full.truncate(HASH_LEN);
    full
}

/// Reads a cursor this plugin issued; anything else is refused, naming the fix.
pub(crate) fn parse(text: Option<&str>) -> Result<BTreeSet<String>, PluginError> {
    let Some(text) = text else {
        return Ok(BTreeSet::new());
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
        return Ok(BTreeSet::new());
    }
    list.split(',')
        .map(|h| {
            if h.len() == HASH_LEN && h.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(h.to_ascii_lowercase())
            } else {
                Err(foreign())
            }
        })
        .collect()
}

/// The cursor's text.
pub(crate) fn encode(delivered: &BTreeSet<String>) -> String {
    let list: Vec<&str> = delivered.iter().map(String::as_str).collect();
    format!("{PREFIX}{}", list.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_cursor_from_elsewhere_is_refused_as_invalid_data() {
        for text in ["\u{1}x", "sha256:ab", "files:xyz", "files:,"] {
            let e = parse(Some(text)).unwrap_err();
            assert_eq!(e.kind, arsync_sdk::ErrorKind::InvalidData, "{text}");
        }
        assert!(parse(Some("files:")).unwrap().is_empty());
    }

    proptest! {
        #[test]
        fn any_set_of_delivered_files_survives_the_cursor(files in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..20)) {
            let set: BTreeSet<String> = files.iter().map(|f| file_key(f)).collect();
            prop_assert_eq!(parse(Some(&encode(&set))).unwrap(), set);
        }
    }
}
