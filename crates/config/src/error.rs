//! Configuration errors with the exact place in the file.

use std::fmt;
use std::path::PathBuf;

/// A line and column in the configuration file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Position { line, column }
    }
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration {}: {source}; create one with `arsync init` or pass --config PATH", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid for the schema: a syntax error, an unknown key, a wrong type or
    /// an invalid value.
    #[error("{}", Invalid::render(file, position, key, message))]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Where in the file, when known.
        position: Option<Position>,
        /// The key path (`company.timezone`, `connection[1].plugin`), when known.
        key: Option<String>,
        /// What was found and what is expected.
        message: String,
    },
}

struct Invalid;

impl Invalid {
    fn render(
        file: &std::path::Path,
        position: &Option<Position>,
        key: &Option<String>,
        message: &str,
    ) -> String {
        let mut s = file.display().to_string();
        if let Some(p) = position {
            s.push_str(&format!(":{}:{}", p.line, p.column));
        }
        s.push_str(": ");
        if let Some(k) = key.as_deref().filter(|k| !k.is_empty() && *k != ".") {
            s.push_str(&format!("`{k}`: "));
        }
        s.push_str(message);
        s
    }
}

impl ConfigError {
    /// An invalid value at a byte span of `text`.
    pub(crate) fn at(
        file: &std::path::Path,
        text: &str,
        span: Option<std::ops::Range<usize>>,
        key: impl Into<String>,
        message: impl fmt::Display,
    ) -> ConfigError {
        ConfigError::Invalid {
            file: file.to_path_buf(),
            position: span.map(|s| Position::of_offset(text, s.start)),
            key: Some(key.into()),
            message: message.to_string(),
        }
    }

    /// The line of the error, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { position, .. } => position.map(|p| p.line),
            ConfigError::Read { .. } => None,
        }
    }
}
