//! Connector plugin `bank-statements`: bank entries from the statement files a bank
//! delivers (ISO 20022 camt.052/053/054, SWIFT MT940/MT942, BAI2, OFX), loose or in zip
//! bundles, found by glob patterns in the connection's folder.
//!
//! This crate owns the protocol side only: settings, finding files, which files are new,
//! and turning the statement library's problems and integrity checks into protocol
//! problems. Parsing, encodings, integrity checks and dedupe keys are `arsync-statements`'
//! job. It depends on the SDK and that library and must not depend on the runtime, the store
//! or anything async; files are listed and read through the host (`files.list`,
//! `files.read`), so the runtime's path scoping applies.
//!
//! # Settings
//!
//! | key | meaning |
//! |---|---|
//! | `paths` | a glob pattern or a list of them, relative to the connection's folder (required): `["inbox/*.xml", "inbox/*.sta"]` |
//! | `encoding` | text encoding of the files (`"windows-1252"`, `"cp852"`, ...); detected when absent |
//! | `zip_limit_bytes` | most bytes a zip bundle may decompress to (default 268435456, 256 MiB) |
//!
//! Any other key is refused with `invalid_config` naming it.
//!
//! # Pulling: one page per new file
//!
//! The files matching `paths` are taken in the order of their paths. Each pull reads them
//! in that order and delivers the first one whose content has not been delivered yet: one
//! page per file, with all its entries (a statement of more than 1000 entries is split over
//! several pages). Which files were delivered is carried in the cursor
//! (`files:<hash>,<hash>@<n>,...`: the first 128 bits of each file's sha256, with the
//! entries delivered so far for a file in progress), so a file is delivered once whatever
//! it is called, a file replaced under the same name by new content is delivered again, and
//! the cursor alone is enough to resume in a fresh process. When no new file remains the
//! page is empty and has no `next_cursor`. (The plugin does not use the store's record of
//! imported files: the cursor is committed with the page in one transaction, which gives
//! the same once-only delivery without a protocol field.)
//!
//! Every entry's external id is the statement library's dedupe key (account and bank
//! reference, or a content key), so an entry seen in two overlapping statements, or in the
//! camt.052, camt.053 and camt.054 of one day, is stored once; within one page such
//! duplicates are already dropped.
//!
//! # Problems
//!
//! A malformed entry, a failed integrity check (opening plus entries not equal to closing
//! balance, entry counts, control totals) or a file that is not a statement at all is
//! reported as an `invalid_data` problem on that file's page, naming the file, the line or
//! element and the field; the good entries of the file are still delivered and the file
//! counts as delivered (a corrected file has new content and is read again). Warnings of
//! the library (an encoding guessed) go to the host's log. Only a configured `encoding`
//! that cannot decode a file fails the pull, with `invalid_config` on `encoding`.

// `deny`, not `forbid`: the entry point `declare_plugin!` exports needs `#[unsafe(no_mangle)]`.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod cursor;

use arsync_sdk::prelude::*;
use arsync_statements::{
    ParseOptions, ParsedFile, Problem, Severity, StatementError, TextEncoding, parse, read_zip,
};
use cursor::Inbox;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// The name recorded as the connection in every entry's origin.
pub const CONNECTION: &str = "bank-statements";

/// Most entries in one page; a longer statement is delivered in several pages.
pub const ENTRIES_PER_PAGE: usize = 1000;

/// Default bound on what a zip bundle may decompress to.
pub const DEFAULT_ZIP_LIMIT: u64 = 256 * 1024 * 1024;

const KEYS: [&str; 3] = ["paths", "encoding", "zip_limit_bytes"];

/// One configured statement inbox.
#[derive(Debug)]
pub struct BankStatements {
    host: Host,
    patterns: Vec<String>,
    encoding: Option<TextEncoding>,
    zip_limit: u64,
    /// The last file read, by content key, so a statement delivered over several pages is
    /// parsed once.
    parsed: Option<(String, Arc<FilePage>)>,
}

fn patterns(map: &Map<String, Value>) -> Result<Vec<String>, PluginError> {
    let wrong = |v: &Value| {
        PluginError::invalid_config(
            "paths",
            format!(
                "`paths` must be a glob pattern or a list of them (paths = [\"inbox/*.xml\", \"inbox/*.sta\"]), not {v}"
            ),
        )
    };
    let list: Vec<String> = match map.get("paths") {
        None | Some(Value::Null) => {
            return Err(PluginError::invalid_config(
                "paths",
                "set `paths` to the statement files, as glob patterns relative to the connection's folder (paths = [\"inbox/*.xml\", \"inbox/*.sta\"])",
            ));
        }
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong(v)))
            .collect::<Result<_, _>>()?,
        Some(v) => return Err(wrong(v)),
    };
    if list.is_empty() || list.iter().any(|p| p.trim().is_empty()) {
        return Err(PluginError::invalid_config(
            "paths",
            "`paths` holds no pattern or an empty one; name at least one statement file pattern",
        ));
    }
    Ok(list)
}

fn encoding(map: &Map<String, Value>) -> Result<Option<TextEncoding>, PluginError> {
    match map.get("encoding") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(TextEncoding::from_label)
            .map(Some)
            .ok_or_else(|| {
                PluginError::invalid_config(
                    "encoding",
                    format!(
                        "`encoding` {v} is not one arsync reads; use utf-8, windows-1252, iso-8859-1, iso-8859-15 or cp852, or remove it to detect the encoding"
                    ),
                )
            }),
    }
}

fn zip_limit(map: &Map<String, Value>) -> Result<u64, PluginError> {
    match map.get("zip_limit_bytes") {
        None | Some(Value::Null) => Ok(DEFAULT_ZIP_LIMIT),
        Some(v) => v.as_u64().filter(|&n| n > 0).ok_or_else(|| {
            PluginError::invalid_config(
                "zip_limit_bytes",
                format!("`zip_limit_bytes` must be a positive number of bytes, not {v}"),
            )
        }),
    }
}

fn at(problem: &Problem) -> Position {
    let mut position = Position {
        source: Some(problem.file.clone()),
        field: Some(problem.field.clone()),
        ..Position::default()
    };
    match &problem.position {
        arsync_statements::Position::Line(line) => position.line = Some(u64::from(*line)),
        other => position.record = Some(other.to_string()),
    }
    position
}

fn whole_file_problem(file: &str, e: &StatementError) -> PluginError {
    PluginError::invalid_data(
        e.to_string(),
        Position {
            source: Some(file.to_owned()),
            ..Position::default()
        },
    )
}

/// What one statement file (or bundle) gave.
#[derive(Debug, Default)]
struct FilePage {
    entries: Vec<Record>,
    problems: Vec<PluginError>,
    warnings: Vec<String>,
    seen: HashSet<String>,
}

impl FilePage {
    fn add(&mut self, parsed: ParsedFile) {
        for problem in &parsed.problems {
            match problem.severity {
                Severity::Error => self
                    .problems
                    .push(PluginError::invalid_data(problem.to_string(), at(problem))),
                Severity::Warning => self.warnings.push(problem.to_string()),
            }
        }
        for statement in &parsed.statements {
            for check in statement.checks.iter().filter(|c| !c.passed) {
                let which = statement
                    .id
                    .as_deref()
                    .map_or_else(String::new, |id| format!(" {id}"));
                let mut position = Position {
                    source: Some(parsed.file_name.clone()),
                    field: Some(format!("{:?}", check.kind).to_lowercase()),
                    record: statement.id.clone(),
                    ..Position::default()
                };
                match &statement.position {
                    arsync_statements::Position::Line(line) => {
                        position.line = Some(u64::from(*line));
                    }
                    other => position.record = Some(other.to_string()),
                }
                self.problems.push(PluginError::invalid_data(
                    format!(
                        "{}: statement{which} ({}): {}; its entries are delivered, check them against the bank's statement",
                        parsed.file_name,
                        statement.position,
                        check.message
                    ),
                    position,
                ));
            }
        }
        for entry in parsed.statements.into_iter().flat_map(|s| s.entries) {
            if self.seen.insert(entry.origin.external_id.clone()) {
                self.entries.push(Record::BankEntry(entry));
            }
        }
    }
}

impl BankStatements {
    fn options(&self, file_name: String) -> ParseOptions {
        ParseOptions {
            connection: CONNECTION.to_owned(),
            file_name,
            encoding: self.encoding,
        }
    }

    /// The statement files matching `paths`, each once, in path order.
    fn files(&self) -> Result<BTreeSet<String>, PluginError> {
        let mut files = BTreeSet::new();
        for pattern in &self.patterns {
            files.extend(self.host.list_files(pattern)?);
        }
        Ok(files)
    }

    /// Parses one statement; only a configured encoding that does not fit is an error.
    fn parse_into(
        &self,
        page: &mut FilePage,
        bytes: &[u8],
        name: String,
    ) -> Result<(), PluginError> {
        match parse(bytes, &self.options(name.clone())) {
            Ok(parsed) => page.add(parsed),
            Err(e @ StatementError::Encoding { .. }) => {
                return Err(PluginError::invalid_config("encoding", e.to_string()));
            }
            Err(e) => page.problems.push(whole_file_problem(&name, &e)),
        }
        Ok(())
    }

    fn read(&self, path: &str, bytes: &[u8]) -> Result<FilePage, PluginError> {
        let mut page = FilePage::default();
        if bytes.starts_with(b"PK\x03\x04") {
            match read_zip(bytes, self.zip_limit) {
                Ok(members) => {
                    for member in members {
                        let name = format!("{path}!{}", member.name);
                        self.parse_into(&mut page, &member.bytes, name)?;
                    }
                }
                Err(e) => page.problems.push(whole_file_problem(path, &e)),
            }
        } else {
            self.parse_into(&mut page, bytes, path.to_owned())?;
        }
        Ok(page)
    }
}

impl Connector for BankStatements {
    fn manifest() -> Manifest {
        Manifest::new("bank-statements", env!("CARGO_PKG_VERSION"))
            .describe("Bank entries from camt.052/053/054, MT940/MT942, BAI2 and OFX statement files and zip bundles")
            .pulls(Stream::BankEntries)
            .config_schema(serde_json::json!({
                "type": "object",
                "required": ["paths"],
                "additionalProperties": false,
                "properties": {
                    "paths": {
                        "description": "glob patterns of the statement files, relative to the connection's folder",
                        "oneOf": [
                            { "type": "string" },
                            { "type": "array", "items": { "type": "string" } }
                        ]
                    },
                    "encoding": { "type": "string" },
                    "zip_limit_bytes": { "type": "integer", "minimum": 1 }
                }
            }))
    }

    fn create(settings: Value, host: Host) -> Result<Self, PluginError> {
        let map = settings.as_object().ok_or_else(|| {
            PluginError::invalid_config(
                "",
                "the connection settings must be a table of keys and values",
            )
        })?;
        if let Some(unknown) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(PluginError::invalid_config(
                unknown.clone(),
                format!(
                    "unknown setting `{unknown}`; the bank-statements plugin reads: {}",
                    KEYS.join(", ")
                ),
            ));
        }
        Ok(Self {
            host,
            patterns: patterns(map)?,
            encoding: encoding(map)?,
            zip_limit: zip_limit(map)?,
            parsed: None,
        })
    }

    fn pull(&mut self, stream: Stream, cursor: Option<&str>) -> Result<Page, PluginError> {
        if stream != Stream::BankEntries {
            return Err(PluginError::unsupported(format!(
                "statement files hold bank entries, not {stream}"
            )));
        }
        let inbox = Inbox::parse(cursor)?;
        for path in self.files()? {
            let bytes = self.host.read_file(&path)?;
            let key = cursor::file_key(&bytes);
            let Some(start) = inbox.start_of(&key) else {
                continue;
            };
            let file = match &self.parsed {
                Some((k, file)) if *k == key => Arc::clone(file),
                _ => {
                    let file = Arc::new(self.read(&path, &bytes)?);
                    self.parsed = Some((key.clone(), Arc::clone(&file)));
                    file
                }
            };
            let len = file.entries.len();
            let start = start.min(len);
            let end = start.saturating_add(ENTRIES_PER_PAGE).min(len);
            let mut page = Page::new(
                file.entries.get(start..end).unwrap_or_default().to_vec(),
                Some(inbox.advanced(&key, end, len)),
            );
            if start == 0 {
                for warning in &file.warnings {
                    self.host.log(Level::Warn, warning);
                }
                page.problems = file.problems.clone();
            }
            return Ok(page);
        }
        Ok(Page::new(Vec::new(), None))
    }
}

arsync_sdk::declare_plugin!(BankStatements);

#[cfg(test)]
mod tests;
