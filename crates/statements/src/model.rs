//! What a parsed file looks like: statements with their balances, entries and checks, and
//! the problems found on the way.

use crate::TextEncoding;
use arsync_model::{AccountId, BankEntry, Currency, Decimal, EntryStatus, Money, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The family of a statement file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatKind {
    /// ISO 20022 camt.052 account report (intraday).
    Camt052,
    /// ISO 20022 camt.053 statement (end of day).
    Camt053,
    /// ISO 20022 camt.054 debit/credit notification.
    Camt054,
    /// SWIFT MT940 customer statement.
    Mt940,
    /// SWIFT MT942 interim transaction report.
    Mt942,
    /// BAI2 cash management balance report.
    Bai2,
    /// Open Financial Exchange, SGML (1.x) or XML (2.x).
    Ofx,
}

impl FormatKind {
    /// A short lowercase name (`camt.053`, `mt940`, `bai2`, `ofx`).
    pub fn name(self) -> &'static str {
        match self {
            FormatKind::Camt052 => "camt.052",
            FormatKind::Camt053 => "camt.053",
            FormatKind::Camt054 => "camt.054",
            FormatKind::Mt940 => "mt940",
            FormatKind::Mt942 => "mt942",
            FormatKind::Bai2 => "bai2",
            FormatKind::Ofx => "ofx",
        }
    }
}

/// A recognised format and its version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Format {
    /// The family.
    pub kind: FormatKind,
    /// The version as the file states it (`"001.08"`, `"102"`, `"200"`, `"2"`), when it does.
    pub version: Option<String>,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{} {v}", self.kind.name()),
            None => f.write_str(self.kind.name()),
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// The configured connection the file came from; goes into every entry's `Origin`.
    pub connection: String,
    /// The file's name, used in every problem message.
    pub file_name: String,
    /// The encoding configured for the connection; overrides detection.
    pub encoding: Option<TextEncoding>,
}

impl ParseOptions {
    /// Options for a connection and file, with encoding detection.
    pub fn new(connection: impl Into<String>, file_name: impl Into<String>) -> Self {
        Self {
            connection: connection.into(),
            file_name: file_name.into(),
            encoding: None,
        }
    }

    /// Sets the encoding to use instead of detecting one.
    pub fn with_encoding(mut self, encoding: TextEncoding) -> Self {
        self.encoding = Some(encoding);
        self
    }
}

/// Everything read from one file.
#[derive(Debug, Clone, Serialize)]
pub struct ParsedFile {
    /// The file name from the options.
    pub file_name: String,
    /// Format and version.
    pub format: Format,
    /// The encoding the text was read in.
    pub encoding: TextEncoding,
    /// Statements (camt `Stmt`/`Rpt`/`Ntfctn`, MT940 statement, BAI2 account, OFX `STMTRS`).
    pub statements: Vec<Statement>,
    /// Problems found, in file order.
    pub problems: Vec<Problem>,
    /// Checks that concern the whole file rather than one statement (BAI2 group and
    /// file trailers `98`/`99`).
    pub checks: Vec<Check>,
}

impl ParsedFile {
    /// All entries of all statements, in file order.
    pub fn entries(&self) -> impl Iterator<Item = &BankEntry> {
        self.statements.iter().flat_map(|s| s.entries.iter())
    }

    /// All entries of all statements, moved out, in file order.
    pub fn into_entries(self) -> Vec<BankEntry> {
        self.statements
            .into_iter()
            .flat_map(|s| s.entries)
            .collect()
    }

    /// Problems that are errors (data was lost or cannot be trusted), not warnings.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    /// Every check, the statements' and the file's.
    pub fn all_checks(&self) -> impl Iterator<Item = &Check> {
        self.statements
            .iter()
            .flat_map(|s| s.checks.iter())
            .chain(self.checks.iter())
    }

    /// Checks that failed, across statements and the file.
    pub fn failed_checks(&self) -> impl Iterator<Item = &Check> {
        self.all_checks().filter(|c| !c.passed)
    }
}

/// A balance the bank states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Signed amount (credit positive).
    pub amount: Money,
    /// The date the balance is for.
    pub date: Option<NaiveDate>,
    /// The code the bank gave it (`OPBD`, `PRCD`, `CLBD`, `60F`, `62M`, `010`, `LEDGERBAL`).
    pub code: String,
}

/// One statement of one account.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    /// The statement's id, when the format has one (camt `Id`, MT940 `:20:`/`:28C:`).
    pub id: Option<String>,
    /// The account.
    pub account: AccountId,
    /// Opening booked balance (camt `OPBD` or `PRCD`, MT940 `:60F:`, BAI2 `010`).
    pub opening: Option<Balance>,
    /// Closing booked balance (camt `CLBD`, MT940 `:62F:`, BAI2 `015`, OFX `LEDGERBAL`).
    pub closing: Option<Balance>,
    /// Entries, batches split into their transaction details.
    pub entries: Vec<BankEntry>,
    /// Integrity checks run on this statement.
    pub checks: Vec<Check>,
    /// Where the statement starts in the file.
    pub position: Position,
}

impl Statement {
    /// A statement with no balances, entries or checks yet.
    pub fn new(account: AccountId, position: Position) -> Self {
        Self {
            id: None,
            account,
            opening: None,
            closing: None,
            entries: Vec::new(),
            checks: Vec::new(),
            position,
        }
    }

    /// Sum of booked entries (pending and information entries do not move the balance).
    pub fn booked_total(&self) -> Decimal {
        self.entries
            .iter()
            .filter(|e| e.status == EntryStatus::Booked)
            .map(|e| e.amount.amount)
            .sum()
    }

    /// The balance check: opening + `booked` (the sum of booked entries) = closing, when both
    /// balances are known. `foreign` lists currencies other than the account's found in the
    /// balances or booked entries; then the balance cannot be checked, and the check says so.
    pub(crate) fn balance_check(&self, booked: Decimal, foreign: &[Currency]) -> Option<Check> {
        let (Some(open), Some(close)) = (&self.opening, &self.closing) else {
            return None;
        };
        let currency = self.account.currency;
        if !foreign.is_empty() {
            let listed: Vec<String> = foreign.iter().map(ToString::to_string).collect();
            return Some(Check {
                kind: CheckKind::Balance,
                passed: false,
                expected: Some(close.amount.amount),
                actual: None,
                message: format!(
                    "the balance cannot be checked: the account is in {currency} but balances or entries are in {}; the bank's file mixes currencies",
                    listed.join(", ")
                ),
            });
        }
        let moved = booked;
        let expected = open.amount.amount + moved;
        let passed = expected == close.amount.amount;
        let message = if passed {
            format!(
                "opening {} {} + entries {} = closing {}",
                open.code, open.amount, moved, close.amount
            )
        } else {
            format!(
                "opening {} {} + entries {} = {} but the closing {} is {} (difference {}); an entry is missing or misread, or the statement is incomplete",
                open.code,
                open.amount,
                moved,
                expected,
                close.code,
                close.amount,
                close.amount.amount - expected
            )
        };
        Some(Check {
            kind: CheckKind::Balance,
            passed,
            expected: Some(close.amount.amount),
            actual: Some(expected),
            message,
        })
    }
}

/// What an integrity check verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// Opening balance plus booked entries equals closing balance.
    Balance,
    /// An intermediate page's opening balance equals the previous page's closing balance.
    PageContinuity,
    /// The number of entries the file states matches the entries read.
    EntryCount,
    /// A control total the file states (camt `TxsSummry`, BAI2 49/98/99, MT942 `:90C:`/`:90D:`)
    /// matches the amounts read.
    ControlTotal,
    /// A batch's transaction details add up to the booked entry.
    BatchDetails,
}

/// The result of one integrity check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked.
    pub kind: CheckKind,
    /// Whether it held.
    pub passed: bool,
    /// The figure the file states.
    pub expected: Option<Decimal>,
    /// The figure computed from what was read.
    pub actual: Option<Decimal>,
    /// A sentence saying what was compared and, on failure, what it means.
    pub message: String,
}

impl Check {
    /// A check comparing a stated figure with a computed one.
    pub(crate) fn compare(
        kind: CheckKind,
        what: &str,
        expected: Decimal,
        actual: Decimal,
    ) -> Check {
        let passed = expected == actual;
        let message = if passed {
            format!("{what}: {actual} as stated")
        } else {
            format!(
                "{what}: the file states {expected} but {actual} was read; an entry is missing or misread, or the file was altered"
            )
        };
        Check {
            kind,
            passed,
            expected: Some(expected),
            actual: Some(actual),
            message,
        }
    }
}

/// Where in a file something is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// A 1-based line number (MT940, BAI2, OFX).
    Line(u32),
    /// An XML element path with indexes and the byte offset of its start.
    Element {
        /// E.g. `Stmt[1]/Ntry[3]/Amt`.
        path: String,
        /// Byte offset in the (decoded) file.
        offset: u64,
    },
    /// A byte offset.
    Byte(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(l) => write!(f, "line {l}"),
            Position::Element { path, offset } => write!(f, "{path} (byte {offset})"),
            Position::Byte(b) => write!(f, "byte {b}"),
        }
    }
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something was skipped or cannot be trusted.
    Error,
    /// Read, but with an assumption the user should know about.
    Warning,
}

/// Something wrong in a file, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The file name from the options.
    pub file: String,
    /// Where in the file.
    pub position: Position,
    /// The field (`:61: value date`, `Ntry/Amt`, `16 amount`).
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// Error or warning.
    pub severity: Severity,
    /// The 1-based number of the entry the problem is in, counted in file order over the
    /// whole file (every MT940 `:61:`, BAI2 `16` or OFX `STMTTRN` counts, also one that
    /// could not be read); `None` outside an entry, and for camt, whose element path
    /// names the entry (`Stmt[1]/Ntry[3]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.position)?;
        if let Some(n) = self.entry {
            write!(f, ", entry {n}")?;
        }
        write!(f, ": {}: {}; {}", self.field, self.message, self.hint)
    }
}
