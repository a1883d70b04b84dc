//! Cursors over a whole-file source: which version of the file (its sha256) has been
//! delivered, and how far. A file is served in pages of [`PAGE_SIZE`] records; once its last
//! page is out the cursor says "this content is delivered", so pulling an unchanged file
//! again yields an empty page, and a changed file is delivered again from its first record
//! (the store upserts by external id, so unchanged rows collapse).
//!
//! Text form: `sha256:<hex>` (delivered) or `sha256:<hex>@<offset>` (in the middle).
//!
//! For connectors whose source is one file or one document (a workbook, a rate file, an
//! export): the spreadsheet and fx-feeds plugins page with it.

use crate::{PluginError, Position};
use std::ops::Range;

/// Records per page.
pub const PAGE_SIZE: usize = 500;

const PREFIX: &str = "sha256:";

/// Where a stream stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileCursor {
    /// Nothing delivered yet.
    Start,
    /// The file with this hash is delivered up to `offset` (exclusive).
    Within {
        /// The file's sha256, hex.
        hash: String,
        /// Records delivered so far.
        offset: usize,
    },
    /// The file with this hash is delivered completely.
    Delivered {
        /// The file's sha256, hex.
        hash: String,
    },
}

impl FileCursor {
    /// Reads a cursor this plugin issued; anything else is refused, naming the fix.
    pub fn parse(text: Option<&str>) -> Result<Self, PluginError> {
        let Some(text) = text else {
            return Ok(FileCursor::Start);
        };
        let foreign = || {
            PluginError::invalid_data(
                format!(
                    "the stored cursor {text:?} was not issued by this plugin (expected sha256:<hex>[@offset]); reset this stream's cursor so the file is read from the start"
                ),
                Position {
                    field: Some("cursor".into()),
                    ..Position::default()
                },
            )
        };
        let rest = text.strip_prefix(PREFIX).ok_or_else(foreign)?;
        let (hash, offset) = match rest.split_once('@') {
            Some((hash, offset)) => (hash, Some(offset.parse::<usize>().map_err(|_| foreign())?)),
            None => (rest, None),
        };
        if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(foreign());
        }
        let hash = hash.to_ascii_lowercase();
        Ok(match offset {
            Some(offset) => FileCursor::Within { hash, offset },
            None => FileCursor::Delivered { hash },
        })
    }

    /// The cursor's text.
    pub fn encode(&self) -> Option<String> {
        match self {
            FileCursor::Start => None,
            FileCursor::Within { hash, offset } => Some(format!("{PREFIX}{hash}@{offset}")),
            FileCursor::Delivered { hash } => Some(format!("{PREFIX}{hash}")),
        }
    }

    /// True if the file with `hash` has been delivered completely.
    pub fn is_delivered(&self, hash: &str) -> bool {
        matches!(self, FileCursor::Delivered { hash: h } if h == hash)
    }
}

/// Which records of a file with `hash` and `len` records the next page holds, and the
/// cursor after it (`None` when nothing was left to deliver).
pub fn window(
    cursor: &FileCursor,
    hash: &str,
    len: usize,
    page_size: usize,
) -> (Range<usize>, Option<String>) {
    let start = match cursor {
        FileCursor::Delivered { hash: h } if h == hash => return (0..0, None),
        FileCursor::Within { hash: h, offset } if h == hash && *offset <= len => *offset,
        _ => 0,
    };
    let end = start.saturating_add(page_size.max(1)).min(len);
    let next = if end < len {
        FileCursor::Within {
            hash: hash.to_owned(),
            offset: end,
        }
    } else {
        FileCursor::Delivered {
            hash: hash.to_owned(),
        }
    };
    (start..end, next.encode())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_unchanged_file_is_not_delivered_twice_and_a_changed_one_is_delivered_again() {
        let (first, next) = window(&FileCursor::Start, "ab", 3, 10);
        assert_eq!(first, 0..3);
        let cursor = FileCursor::parse(next.as_deref()).unwrap();
        assert!(cursor.is_delivered("ab"));
        assert_eq!(window(&cursor, "ab", 3, 10), (0..0, None));
        let (again, _) = window(&cursor, "cd", 4, 10);
        assert_eq!(again, 0..4);
    }

    #[test]
    fn a_cursor_from_elsewhere_is_refused_as_invalid_data_naming_the_cursor() {
        for text in ["\u{1}x", "sha256:", "sha256:zz", "sha256:ab@x", "page=2"] {
            let e = FileCursor::parse(Some(text)).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::InvalidData, "{text}");
            assert!(e.message.contains("reset"), "{text}");
        }
    }

    proptest! {
        #[test]
        fn paging_delivers_every_record_once_in_order(len in 0usize..2000, page in 1usize..700) {
            let mut cursor = FileCursor::Start;
            let mut seen = Vec::new();
            let mut cursors = Vec::new();
            loop {
                let (range, next) = window(&cursor, "0f", len, page);
                seen.extend(range);
                let Some(next) = next else { break };
                prop_assert!(!cursors.contains(&next), "cursor {} repeated", next);
                cursors.push(next.clone());
                cursor = FileCursor::parse(Some(&next)).unwrap();
            }
            prop_assert_eq!(seen, (0..len).collect::<Vec<_>>());
        }
    }
}
