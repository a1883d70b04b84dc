//! The record layer under mapped feeds: CSV with a header line, a JSON document holding an
//! array (or an object) of records, or JSON lines, each record looked up by the names a
//! mapping declares.
//!
//! A name is a CSV header, a JSON key, a JSON pointer into the record (`/amount/value`),
//! or a pointer into the whole document when it starts with `$` (`$/date`), for files that
//! state the date or base currency once above their records. A record pointer that lands on
//! an object of scalars (`{"USD": 1.0834, "JPY": 162.5}`) gives one record per entry, with
//! the names `key` and `value`.

use crate::FeedsError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a mapped feed is laid out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeedFormat {
    /// Delimited text with a header line.
    Csv {
        /// Field delimiter (`,` when absent).
        #[serde(default = "default_delimiter")]
        delimiter: char,
        /// Lines to skip before the header line (titles, notes).
        #[serde(default)]
        skip_lines: usize,
    },
    /// One JSON document.
    Json {
        /// JSON pointer to the records (an array of objects, or an object of scalars);
        /// the document itself when absent.
        #[serde(default)]
        records: Option<String>,
    },
    /// One JSON object per line.
    Jsonl,
}

fn default_delimiter() -> char {
    ','
}

/// One record of a feed.
pub(crate) struct Record<'a> {
    /// "line 3", "record 2".
    pub(crate) position: String,
    data: RecordData,
    root: Option<&'a Value>,
}

enum RecordData {
    Csv(Vec<(String, String)>),
    Json(Value),
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        // serde_json holds a JSON number as a binary float unless it is an integer; its
        // shortest round-trip text is the number as published for up to 15 significant
        // digits. Feeds that need more publish their amounts as strings.
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

impl Record<'_> {
    /// The value under `name`, as text; `None` when absent, null or empty.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let found = if let Some(pointer) = name.strip_prefix('$') {
            self.root
                .and_then(|r| r.pointer(pointer))
                .and_then(scalar_text)
        } else {
            match &self.data {
                RecordData::Csv(fields) => fields
                    .iter()
                    .find(|(h, _)| h == name)
                    .or_else(|| fields.iter().find(|(h, _)| h.eq_ignore_ascii_case(name)))
                    .map(|(_, v)| v.trim().to_owned()),
                RecordData::Json(v) => {
                    if name.starts_with('/') {
                        v.pointer(name).and_then(scalar_text)
                    } else {
                        v.get(name).and_then(scalar_text)
                    }
                }
            }
        };
        found.filter(|s| !s.is_empty())
    }

    /// The whole record as text, for hashing.
    pub(crate) fn payload(&self) -> String {
        match &self.data {
            RecordData::Csv(fields) => fields
                .iter()
                .map(|(h, v)| format!("{h}={v}"))
                .collect::<Vec<_>>()
                .join("\u{1f}"),
            RecordData::Json(v) => v.to_string(),
        }
    }
}

/// A parsed feed: its records, and lines that could not be read at all.
pub(crate) struct Parsed {
    root: Option<Value>,
    items: Vec<(String, RecordData)>,
    /// (position, reason) of lines that were not records (bad JSON lines).
    pub(crate) unreadable: Vec<(String, String)>,
}

impl Parsed {
    pub(crate) fn new(
        bytes: &[u8],
        format: &FeedFormat,
        what: &'static str,
    ) -> Result<Parsed, FeedsError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| FeedsError::Format {
            format: what,
            position: format!("byte {}", e.valid_up_to()),
            reason: "not UTF-8 text".into(),
            hint: "save or request the feed as UTF-8".into(),
        })?;
        match format {
            FeedFormat::Csv {
                delimiter,
                skip_lines,
            } => {
                let delimiter = u8::try_from(*delimiter).map_err(|_| FeedsError::Mapping {
                    field: "format.delimiter".into(),
                    reason: format!("'{delimiter}' is not a single-byte character"),
                })?;
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(text.as_bytes());
                let mut headers: Option<Vec<String>> = None;
                let mut items = Vec::new();
                for (i, record) in reader.records().enumerate() {
                    let record = record.map_err(|e| FeedsError::Format {
                        format: what,
                        position: e
                            .position()
                            .map_or_else(String::new, |p| format!("line {}", p.line())),
                        reason: e.to_string(),
                        hint: "check the quoting and the delimiter".into(),
                    })?;
                    if i < *skip_lines {
                        continue;
                    }
                    let line = record
                        .position()
                        .map_or(i + 1, |p| usize::try_from(p.line()).unwrap_or(i + 1));
                    match &headers {
                        None => {
                            headers = Some(record.iter().map(|h| h.trim().to_owned()).collect())
                        }
                        Some(h) => {
                            if record.iter().all(|f| f.trim().is_empty()) {
                                continue;
                            }
                            let fields = h
                                .iter()
                                .cloned()
                                .zip(record.iter().map(str::to_owned))
                                .collect();
                            items.push((format!("line {line}"), RecordData::Csv(fields)));
                        }
                    }
                }
                Ok(Parsed {
                    root: None,
                    items,
                    unreadable: Vec::new(),
                })
            }
            FeedFormat::Json { records } => {
                let root: Value = serde_json::from_str(text).map_err(|e| FeedsError::Format {
                    format: what,
                    position: format!("line {} column {}", e.line(), e.column()),
                    reason: e.to_string(),
                    hint: "the document is not valid JSON".into(),
                })?;
                let target = match records {
                    Some(p) => root.pointer(p).ok_or_else(|| FeedsError::Mapping {
                        field: "format.records".into(),
                        reason: format!("the pointer '{p}' finds nothing in the document"),
                    })?,
                    None => &root,
                };
                let items = match target {
                    Value::Array(list) => list
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("record {}", i + 1), RecordData::Json(v.clone())))
                        .collect(),
                    Value::Object(map) => map
                        .iter()
                        .map(|(k, v)| {
                            let mut entry = serde_json::Map::new();
                            entry.insert("key".into(), Value::String(k.clone()));
                            entry.insert("value".into(), v.clone());
                            (
                                format!("record '{k}'"),
                                RecordData::Json(Value::Object(entry)),
                            )
                        })
                        .collect(),
                    _ => {
                        return Err(FeedsError::Mapping {
                            field: "format.records".into(),
                            reason: "the records are neither an array nor an object".into(),
                        });
                    }
                };
                Ok(Parsed {
                    root: Some(root),
                    items,
                    unreadable: Vec::new(),
                })
            }
            FeedFormat::Jsonl => {
                let mut items = Vec::new();
                let mut unreadable = Vec::new();
                for (i, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Value>(line) {
                        Ok(v) => items.push((format!("line {}", i + 1), RecordData::Json(v))),
                        Err(e) => unreadable.push((format!("line {}", i + 1), e.to_string())),
                    }
                }
                Ok(Parsed {
                    root: None,
                    items,
                    unreadable,
                })
            }
        }
    }

    pub(crate) fn records(&self) -> impl Iterator<Item = Record<'_>> {
        self.items.iter().map(|(position, data)| Record {
            position: position.clone(),
            data: match data {
                RecordData::Csv(f) => RecordData::Csv(f.clone()),
                RecordData::Json(v) => RecordData::Json(v.clone()),
            },
            root: self.root.as_ref(),
        })
    }
}

/// Parses a date with a chrono format, or by default ISO `2026-11-23` (also the date of an
/// ISO date-time); `unix` reads seconds since 1970 (UTC).
pub(crate) fn parse_feed_date(text: &str, format: Option<&str>) -> Option<chrono::NaiveDate> {
    match format {
        Some("unix") => {
            let secs: i64 = text.trim().parse().ok()?;
            chrono::DateTime::from_timestamp(secs, 0).map(|d| d.date_naive())
        }
        Some(f) => chrono::NaiveDate::parse_from_str(text.trim(), f).ok(),
        None => {
            let t = text.trim();
            let head = t.get(..10).unwrap_or(t);
            chrono::NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
        }
    }
}
