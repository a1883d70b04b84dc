//! ISO 20022 camt.052 (account report), camt.053 (statement) and camt.054 (debit/credit
//! notification), every version from .001.02 to .001.13.
//!
//! The file is read as a stream of XML events. Only the small parts of a statement that
//! must be seen whole are held as a little tree: the account, one balance, the transaction
//! summary and one `Ntry` at a time, which is turned into entries as soon as it closes.
//! Namespaces and prefixes are ignored, so bank-specific or missing namespaces are read
//! too. The element moves between versions are handled where they are looked up:
//! `Sts` (text, up to .07) or `Sts/Cd` (.08 on); `Dbtr/Nm` or `Dbtr/Pty/Nm` (.08 on);
//! `BIC` or `BICFI`; `TxDtls/Amt` (.03 on) or `AmtDtls/TxAmt/Amt` (.02); `Chrgs/Rcrd`
//! (.03 on) or repeated `Chrgs` (.02); `TtlNetNtry` or `TtlNetNtryAmt`.

use crate::fields::{Reporter, account_from, parse_amount};
use crate::keys::{KeyMaker, is_placeholder_ref};
use crate::refs::{classify, recognise_refs};
use crate::stream::{Event as Delivered, Tally};
use crate::{
    Balance, Check, CheckKind, Format, FormatKind, ParseOptions, Position, Statement,
    StatementError, TextEncoding,
};
use arsync_model::{
    AccountId, BankEntry, Charge, Counterparty, Currency, Decimal, EntryStatus, ExchangeDetail,
    Money, NaiveDate, StructuredRef,
};
use quick_xml::events::Event;
use std::io::BufRead;

mod cut;

/// Recognises camt.052/053/054 and its version from the namespace, or from the message
/// element when the namespace is missing or bank-specific.
pub(crate) fn detect(head: &str) -> Option<Format> {
    let by_element = [
        ("BkToCstmrAcctRpt>", FormatKind::Camt052),
        ("BkToCstmrStmt>", FormatKind::Camt053),
        ("BkToCstmrDbtCdtNtfctn>", FormatKind::Camt054),
    ]
    .into_iter()
    .find(|(element, _)| head.contains(element))
    .map(|(_, kind)| kind);
    let by_namespace = [
        ("camt.052.", FormatKind::Camt052),
        ("camt.053.", FormatKind::Camt053),
        ("camt.054.", FormatKind::Camt054),
    ]
    .into_iter()
    .filter(|(marker, kind)| by_element.is_none_or(|k| k == *kind) && head.contains(marker))
    .find_map(|(marker, kind)| {
        // Prefer the namespace (xsd:camt.053.001.08) over a mention in a comment.
        let p = head
            .find(&format!("xsd:{marker}"))
            .map(|p| p + 4)
            .or_else(|| head.find(marker))?;
        let version: String = head[p + marker.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let version = version.trim_end_matches('.').to_owned();
        Some((kind, (!version.is_empty()).then_some(version)))
    });
    match (by_element, by_namespace) {
        (_, Some((kind, version))) => Some(Format { kind, version }),
        (Some(kind), None) => Some(Format {
            kind,
            version: None,
        }),
        (None, None) => None,
    }
}

/// The encoding in the XML declaration, if any.
pub(crate) fn declared_encoding(bytes: &[u8]) -> Option<TextEncoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
    let start = head.find("<?xml")?;
    let end = head[start..].find("?>")? + start;
    let decl = &head[start..end];
    let p = decl.find("encoding=")? + "encoding=".len();
    let rest = &decl[p..];
    let quote = rest.chars().next()?;
    let rest = &rest[quote.len_utf8()..];
    let label = &rest[..rest.find(quote)?];
    TextEncoding::from_label(label)
}

/// A small element tree for one captured element (an `Ntry`, a `Bal`, the `Acct`), flat:
/// the elements in one array, linked to their first child and next sibling, and every
/// name, text and currency in one string. The storage is reused from one entry to the
/// next, so reading a file does not allocate per element, and a tree handed to the second
/// thread is two blocks of memory rather than one per element.
///
/// Whitespace between child elements is not kept (camt has no mixed content): an
/// element's text is what it holds before its first child, plus any text that is not
/// blank after one.
#[derive(Debug, Default, Clone)]
struct Tree {
    nodes: Vec<Node>,
    buf: String,
}

/// No element (an end of a sibling chain, an element without children).
const NONE: u32 = u32::MAX;

/// A piece of [`Tree::buf`].
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    end: u32,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    name: Span,
    text: Span,
    ccy: Option<Span>,
    first: u32,
    last: u32,
    next: u32,
    offset: u64,
}

impl Tree {
    fn reset(&mut self) {
        self.nodes.clear();
        self.buf.clear();
    }

    /// Appends `s` to the string and returns where it is.
    fn store(&mut self, s: &str) -> Span {
        let start = self.buf.len();
        self.buf.push_str(s);
        Span {
            start: u32::try_from(start).unwrap_or(NONE),
            end: u32::try_from(self.buf.len()).unwrap_or(NONE),
        }
    }

    fn get(&self, span: Span) -> &str {
        let (start, end) = (span.start as usize, span.end as usize);
        self.buf.get(start..end).unwrap_or("")
    }

    /// Adds an element below `parent` and returns its index.
    fn push(&mut self, name: &str, ccy: Option<&str>, offset: u64, parent: Option<usize>) -> usize {
        let idx = self.nodes.len();
        let name = self.store(name);
        let ccy = ccy.map(|c| self.store(c));
        let text = self.store("");
        self.nodes.push(Node {
            name,
            text,
            ccy,
            first: NONE,
            last: NONE,
            next: NONE,
            offset,
        });
        let id = u32::try_from(idx).unwrap_or(NONE);
        if let Some(p) = parent.and_then(|p| self.nodes.get(p).map(|n| (p, n.last))) {
            match p.1 {
                NONE => self.nodes[p.0].first = id,
                last => {
                    if let Some(l) = self.nodes.get_mut(last as usize) {
                        l.next = id;
                    }
                }
            }
            self.nodes[p.0].last = id;
        }
        idx
    }

    /// Adds text to element `n`.
    fn append(&mut self, n: usize, piece: &str) {
        let Some(node) = self.nodes.get(n).copied() else {
            return;
        };
        if node.text.end as usize == self.buf.len() {
            self.buf.push_str(piece);
            self.nodes[n].text.end = u32::try_from(self.buf.len()).unwrap_or(NONE);
        } else if !piece.trim().is_empty() {
            // Text after a child element: the element's text moves to the end first.
            let before = self.get(node.text).to_owned();
            let start = self.store(&before).start;
            let end = self.store(piece).end;
            self.nodes[n].text = Span { start, end };
        }
    }

    fn name(&self, n: usize) -> &str {
        self.nodes.get(n).map_or("", |x| self.get(x.name))
    }

    /// The element's text as it is (untrimmed).
    fn raw(&self, n: usize) -> &str {
        self.nodes.get(n).map_or("", |x| self.get(x.text))
    }

    fn ccy(&self, n: usize) -> Option<&str> {
        self.nodes.get(n)?.ccy.map(|c| self.get(c))
    }

    /// A copy of the tree, for elements kept beyond the next capture.
    fn snapshot(&self) -> Tree {
        self.clone()
    }

    /// The children of `n`, in document order.
    fn kids(&self, n: usize) -> impl Iterator<Item = usize> + '_ {
        let first = self.nodes.get(n).map_or(NONE, |x| x.first);
        std::iter::successors((first != NONE).then_some(first as usize), |c| {
            self.nodes
                .get(*c)
                .map(|x| x.next)
                .filter(|x| *x != NONE)
                .map(|x| x as usize)
        })
    }

    fn child(&self, n: usize, name: &str) -> Option<usize> {
        self.child_named(n, name.as_bytes())
    }

    fn children<'a>(&'a self, n: usize, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.kids(n).filter(move |c| self.name(*c) == name)
    }

    /// The child of `n` whose local name is `name`, compared as bytes.
    fn child_named(&self, n: usize, name: &[u8]) -> Option<usize> {
        self.kids(n).find(|c| self.name(*c).as_bytes() == name)
    }

    /// The first node at a `/`-separated path below `n`. The path is split as bytes: these
    /// lookups run dozens of times per entry.
    fn at(&self, n: usize, path: &str) -> Option<usize> {
        path.as_bytes()
            .split(|b| *b == b'/')
            .try_fold(n, |cur, part| self.child_named(cur, part))
    }

    /// Every node at a path below `n` (each step may repeat).
    fn all(&self, n: usize, path: &str) -> Vec<usize> {
        let mut cur = vec![n];
        let mut next = Vec::new();
        for part in path.as_bytes().split(|b| *b == b'/') {
            next.clear();
            for c in &cur {
                next.extend(self.kids(*c).filter(|x| self.name(*x).as_bytes() == part));
            }
            std::mem::swap(&mut cur, &mut next);
        }
        cur
    }

    fn text(&self, n: usize, path: &str) -> Option<&str> {
        let t = self.raw(self.at(n, path)?).trim();
        (!t.is_empty()).then_some(t)
    }

    /// The text of every node at a path, with line breaks and indentation inside the
    /// text folded to single spaces.
    fn lines(&self, n: usize, path: &str) -> Vec<String> {
        self.all(n, path)
            .into_iter()
            .map(|x| squash(self.raw(x)))
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The first non-empty text among alternative paths (element moves between versions).
    fn first_text(&self, n: usize, paths: &[&str]) -> Option<&str> {
        paths.iter().find_map(|p| self.text(n, p))
    }

    fn offset(&self, n: usize) -> u64 {
        self.nodes.get(n).map_or(0, |x| x.offset)
    }
}

/// Folds line breaks with their indentation to single spaces and trims.
fn squash(s: &str) -> String {
    let t = s.trim();
    if !t.contains('\n') {
        return t.to_owned();
    }
    t.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An amount element (`<Amt Ccy="EUR">1.00</Amt>`) read as money.
enum AmountRead {
    Ok(Money),
    Missing,
    Bad(String),
}

fn amount_at(t: &Tree, n: usize, path: &str) -> AmountRead {
    let Some(node) = t.at(n, path) else {
        return AmountRead::Missing;
    };
    let text = t.raw(node).trim();
    let ccy = t.ccy(node).unwrap_or("");
    let Some(v) = parse_amount(text) else {
        return AmountRead::Bad(format!("'{text}' is not a decimal amount"));
    };
    match Currency::parse(ccy) {
        Ok(c) => AmountRead::Ok(Money::new(v, c)),
        Err(_) => AmountRead::Bad(format!("the Ccy attribute '{ccy}' is not an ISO 4217 code")),
    }
}

fn money_at(t: &Tree, n: usize, path: &str) -> Option<Money> {
    match amount_at(t, n, path) {
        AmountRead::Ok(m) => Some(m),
        _ => None,
    }
}

/// A date element (`BookgDt`, `ValDt`, a balance's `Dt`): `Dt` or the date of `DtTm`.
fn date_at(t: &Tree, n: usize, element: &str) -> Option<NaiveDate> {
    let d = t.child(n, element)?;
    let s = t.first_text(d, &["Dt", "DtTm"])?;
    ymd(s.get(..10)?)
}

/// A `YYYY-MM-DD` date. The plain form is read directly (this runs for every date of
/// every entry); anything else goes to chrono's parser, which decides as before.
fn ymd(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r).and_then(|d| {
            d.iter().try_fold(0u32, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        })
    };
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10))
        && let Ok(y) = i32::try_from(y)
        && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
    {
        return Some(date);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Paths to the other party of a transaction.
struct PartyPaths {
    name: [&'static str; 4],
    account: [&'static str; 2],
    bic: [&'static str; 2],
}

const DEBTOR: PartyPaths = PartyPaths {
    name: [
        "RltdPties/Dbtr/Nm",
        "RltdPties/Dbtr/Pty/Nm",
        "RltdPties/UltmtDbtr/Nm",
        "RltdPties/UltmtDbtr/Pty/Nm",
    ],
    account: [
        "RltdPties/DbtrAcct/Id/IBAN",
        "RltdPties/DbtrAcct/Id/Othr/Id",
    ],
    bic: [
        "RltdAgts/DbtrAgt/FinInstnId/BICFI",
        "RltdAgts/DbtrAgt/FinInstnId/BIC",
    ],
};

const CREDITOR: PartyPaths = PartyPaths {
    name: [
        "RltdPties/Cdtr/Nm",
        "RltdPties/Cdtr/Pty/Nm",
        "RltdPties/UltmtCdtr/Nm",
        "RltdPties/UltmtCdtr/Pty/Nm",
    ],
    account: [
        "RltdPties/CdtrAcct/Id/IBAN",
        "RltdPties/CdtrAcct/Id/Othr/Id",
    ],
    bic: [
        "RltdAgts/CdtrAgt/FinInstnId/BICFI",
        "RltdAgts/CdtrAgt/FinInstnId/BIC",
    ],
};

fn sign_of(t: &Tree, n: usize) -> Option<Decimal> {
    match t.text(n, "CdtDbtInd")? {
        "CRDT" => Some(Decimal::ONE),
        "DBIT" => Some(Decimal::NEGATIVE_ONE),
        _ => None,
    }
}

impl StmtState {
    fn position(&self) -> Position {
        Position::Element {
            path: format!("{}[{}]", self.container, self.index),
            offset: self.offset,
        }
    }
}

/// What is being read in the current statement.
struct StmtState {
    container: &'static str,
    index: usize,
    offset: u64,
    id: Option<String>,
    /// The date the statement or notification was created (`CreDtTm`).
    created: Option<NaiveDate>,
    acct: Option<Tree>,
    currency: Option<Currency>,
    account: Option<AccountId>,
    balances: Vec<Balance>,
    summary: Option<Tree>,
    entries: Vec<BankEntry>,
    checks: Vec<Check>,
    /// Whether the statement's header has been delivered.
    begun: bool,
    ntry_count: u64,
    ntry_abs: Decimal,
    ntry_net: Decimal,
    credits: (u64, Decimal),
    debits: (u64, Decimal),
}

const CAPTURED: [&str; 6] = ["Id", "CreDtTm", "Acct", "Bal", "TxsSummry", "Ntry"];
const CONTAINERS: [&str; 3] = ["Stmt", "Rpt", "Ntfctn"];

/// How the elements of a camt file are turned into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Threads {
    /// Everything on the calling thread.
    One,
    /// From the start, the calling thread reads and tokenises the XML and delivers the
    /// events; a second thread turns the captured elements into entries and checks.
    /// (Chosen by the tests, which compare it with [`Threads::One`].)
    #[cfg_attr(not(test), allow(dead_code))]
    Two,
    /// As [`Threads::Two`], but the calling thread cuts each `Ntry` out of the bytes
    /// without tokenising it (see `cut.rs`), and the element is tokenised on either
    /// thread: on the calling one while the second has a batch waiting, on the second
    /// when it would otherwise wait. Entries, keys and checks stay on the second, in order.
    #[cfg_attr(not(test), allow(dead_code))]
    Split,
    /// One thread for the first [`PIPELINE_AFTER`] entries (a small file is not worth a
    /// thread), then two, as [`Threads::Split`], when the machine has more than one core.
    Auto,
}

/// After how many `Ntry` elements [`Threads::Auto`] starts the second thread.
const PIPELINE_AFTER: usize = 256;

/// How many captured elements travel to the second thread together.
const BATCH: usize = 16;

/// How many batches may wait for the second thread: with [`BATCH`], the bound on what is
/// held in memory (some eighty `Ntry` trees) whatever the speed of either side. Small
/// batches keep the trees in the processor's caches; large ones cost more in cache misses
/// than they save in hand-overs (128 × 4 held 97 MB on entries of 8 transaction details;
/// with the flat trees, 64 × 2 was no faster and held 23 MB against 16).
const IN_FLIGHT: usize = 2;

/// The largest tree (in elements) kept for reuse after a capture read on the second thread.
const POOLED_NODES: usize = 512;

/// The largest tree text (in bytes) kept for reuse likewise.
const POOLED_TEXT: usize = 64 * 1024;

/// Reads a camt file into `out`. A DOCTYPE (and with it any entity declaration) refuses
/// the whole file: statements never need one, and it is how entity-expansion bombs and
/// external-entity reads are carried.
pub(crate) fn parse<R: BufRead>(
    text: R,
    kind: FormatKind,
    rep: &mut Reporter<'_>,
) -> Result<(), StatementError> {
    #[cfg(test)]
    let threads = tests::THREADS.with(std::cell::Cell::get);
    #[cfg(not(test))]
    let threads = Threads::Auto;
    parse_with(text, kind, rep, threads)
}

/// [`parse`] with the threading chosen. Every choice delivers the same events in the
/// same order.
pub(crate) fn parse_with<R: BufRead>(
    text: R,
    kind: FormatKind,
    rep: &mut Reporter<'_>,
    threads: Threads,
) -> Result<(), StatementError> {
    let options = rep.options;
    let threads = match threads {
        Threads::Auto
            if std::thread::available_parallelism().map_or(1, std::num::NonZero::get) < 2 =>
        {
            Threads::One
        }
        t => t,
    };
    std::thread::scope(|scope| {
        let mut driver = Driver {
            machine: Some(Machine::new(kind, options)),
            rep,
            threads,
            pipe: None,
            scope,
            pool: Vec::new(),
            raws: Vec::new(),
        };
        let result = scan(text, options, &mut driver);
        driver.finish(result.is_ok());
        // Malformed XML in an element cut out and tokenised later stops the reading where
        // it is, as it stops the one-thread reader: whatever refused the file after it was
        // never reached.
        if result.is_err()
            && let Some(machine) = driver.machine.as_mut().filter(|m| m.halted)
        {
            machine.step(Step::Finish, driver.rep);
            return Ok(());
        }
        result
    })
}

/// One step of reading a camt file, in file order: what the tokenising loop hands to the
/// [`Machine`] that makes entries, checks and problems of it.
enum Step {
    /// A statement (`Stmt`, `Rpt`, `Ntfctn`) begins: its number in the file and offset.
    Open { index: usize, offset: u64 },
    /// A captured element of the open statement (`Id`, `CreDtTm`, `Acct`, `Bal`,
    /// `TxsSummry`, `Ntry`) is complete.
    Capture(Tree),
    /// A `Ntry` of the open statement cut out of the file: its bytes from start tag to
    /// end tag, which begin at `offset`; tokenised into a capture where it is taken.
    Raw { bytes: Vec<u8>, offset: u64 },
    /// The open statement ends.
    Close,
    /// The XML is malformed at `offset`; nothing after it is read.
    Malformed { offset: u64, reason: String },
    /// The file ends at `offset` inside `depth` open elements.
    Truncated { offset: u64, depth: usize },
    /// The file is read: the open statement is closed and an empty file reported.
    Finish,
}

/// Turns the steps of a camt file into events: the statement being read, the dedupe keys.
struct Machine<'o> {
    kind: FormatKind,
    options: &'o ParseOptions,
    keys: KeyMaker,
    stmt: Option<StmtState>,
    /// `Ntry` elements of the open statement so far.
    ntry_count: usize,
    /// `Ntry` elements of the file so far.
    seen: usize,
    /// Statements delivered.
    emitted: usize,
    /// Whether the XML was found malformed: nothing after it is read but the end.
    halted: bool,
    /// The tree cut elements are tokenised into on this machine's thread.
    scratch: Tree,
}

impl<'o> Machine<'o> {
    fn new(kind: FormatKind, options: &'o ParseOptions) -> Self {
        Self {
            kind,
            options,
            keys: KeyMaker::default(),
            stmt: None,
            ntry_count: 0,
            seen: 0,
            emitted: 0,
            halted: false,
            scratch: Tree::default(),
        }
    }

    /// Takes one step; gives back the tree of a capture for reuse.
    fn step(&mut self, step: Step, rep: &mut Reporter<'_>) -> Option<Tree> {
        let kind = self.kind;
        if self.halted && !matches!(step, Step::Finish) {
            // As the one-thread reader stops at malformed XML, whatever was read beyond it
            // on the other thread is dropped.
            return match step {
                Step::Capture(tree) => Some(tree),
                _ => None,
            };
        }
        match step {
            Step::Open { index, offset } => {
                self.ntry_count = 0;
                self.stmt = Some(new_stmt(container_name(kind), index, offset));
            }
            Step::Capture(tree) => {
                self.capture(&tree, rep);
                return Some(tree);
            }
            Step::Raw { bytes, offset } => self.raw(&bytes, offset, rep),
            Step::Close => {
                if let Some(st) = self.stmt.take() {
                    self.emitted += close_stmt(st, kind, rep);
                }
            }
            Step::Malformed { offset, reason } => {
                self.halted = true;
                rep.error(
                    Position::Byte(offset),
                    "XML",
                    format!(
                        "the XML is malformed ({reason}); nothing after this point could be read"
                    ),
                    "the file is damaged or truncated; ask the bank to send it again",
                );
            }
            Step::Truncated { offset, depth } => rep.error(
                Position::Byte(offset),
                "XML",
                format!("the file ends inside {depth} open elements; it is truncated"),
                "the entries before the cut are kept; ask the bank to send the whole file",
            ),
            Step::Finish => {
                if let Some(st) = self.stmt.take() {
                    self.emitted += close_stmt(st, kind, rep);
                }
                if self.emitted == 0 {
                    rep.error(
                        Position::Byte(0),
                        container_name(kind),
                        format!(
                            "no {} element was found, so the file holds no statement",
                            container_name(kind)
                        ),
                        "check that this is the bank's camt export and that it is complete",
                    );
                }
            }
        }
        None
    }

    /// Tokenises a cut element and takes it in.
    fn raw(&mut self, bytes: &[u8], offset: u64, rep: &mut Reporter<'_>) {
        if self.halted {
            return;
        }
        let mut tree = std::mem::take(&mut self.scratch);
        match cut::tokenise(bytes, offset, &mut tree) {
            Ok(()) => self.capture(&tree, rep),
            Err((offset, reason)) => {
                self.step(Step::Malformed { offset, reason }, rep);
            }
        }
        self.scratch = tree;
    }

    /// Takes a captured element into the open statement.
    fn capture(&mut self, tree: &Tree, rep: &mut Reporter<'_>) {
        if tree.name(0) == "Ntry" {
            self.ntry_count += 1;
            self.seen += 1;
        }
        if let Some(st) = self.stmt.as_mut() {
            let here = format!("{}[{}]", container_name(self.kind), st.index);
            absorb(
                tree,
                st,
                &here,
                self.ntry_count,
                self.options,
                &mut self.keys,
                rep,
            );
            flush(st, rep);
        }
    }
}

/// What the second thread hands back: the events of a batch in order, the trees and the
/// emptied batch for reuse.
type Done = (Vec<Delivered>, Vec<Tree>, Vec<Step>, Vec<Vec<u8>>);

/// The second thread at work: where batches go, where their events come back, and the
/// batch being filled.
struct Pipe<'scope, 'o> {
    to_worker: std::sync::mpsc::SyncSender<Vec<Step>>,
    from_worker: std::sync::mpsc::Receiver<Done>,
    batch: Vec<Step>,
    spare: Vec<Vec<Step>>,
    /// Batches sent and not yet taken by the second thread.
    queued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Gives back the open statement's tally and the machine when the thread ends.
    worker: std::thread::ScopedJoinHandle<'scope, Option<(Option<Tally>, Machine<'o>)>>,
}

/// Hands the steps of the tokenising loop to the machine, on this thread or the second.
struct Driver<'scope, 'env, 'r, 'o> {
    /// The machine while it runs on this thread.
    machine: Option<Machine<'o>>,
    rep: &'r mut Reporter<'o>,
    threads: Threads,
    pipe: Option<Pipe<'scope, 'o>>,
    scope: &'scope std::thread::Scope<'scope, 'env>,
    /// Trees back from the second thread, for the next captures.
    pool: Vec<Tree>,
    /// Buffers of cut elements back from the second thread, for the next cuts.
    raws: Vec<Vec<u8>>,
}

impl<'scope, 'env, 'o: 'scope> Driver<'scope, 'env, '_, 'o> {
    /// Takes a step; gives back a tree to capture the next element into.
    fn step(&mut self, step: Step) -> Tree {
        if self.pipe.is_none() && self.should_pipe(&step) {
            self.start_pipe();
        }
        if let Some(machine) = self.machine.as_mut() {
            return machine.step(step, self.rep).unwrap_or_default();
        }
        self.push(step);
        self.pool.pop().unwrap_or_default()
    }

    /// Adds a step to the batch for the second thread.
    fn push(&mut self, step: Step) {
        let Some(pipe) = self.pipe.as_mut() else {
            return;
        };
        pipe.batch.push(step);
        if pipe.batch.len() >= BATCH {
            self.send();
        }
    }

    /// Hands on a `Ntry` cut out of the file (only while [`Driver::cuts`]).
    fn raw(&mut self, bytes: Vec<u8>, offset: u64) {
        if let Some(machine) = self.machine.as_mut() {
            machine.step(Step::Raw { bytes, offset }, self.rep);
        } else {
            self.push(Step::Raw { bytes, offset });
        }
    }

    /// Whether the tokenising loop cuts `Ntry` elements out instead of tokenising them.
    fn cuts(&self) -> bool {
        matches!(self.threads, Threads::Split | Threads::Auto) && self.pipe.is_some()
    }

    /// Whether to start the second thread before this step.
    fn should_pipe(&self, step: &Step) -> bool {
        match self.threads {
            Threads::One => false,
            Threads::Two | Threads::Split => true,
            Threads::Auto => {
                matches!(step, Step::Capture(_))
                    && self
                        .machine
                        .as_ref()
                        .is_some_and(|m| m.seen >= PIPELINE_AFTER)
            }
        }
    }

    /// Moves the machine, and the statement it is reading, to a second thread. When no
    /// thread can be started (a limit on threads), everything stays on this one.
    fn start_pipe(&mut self) {
        let (to_worker, inbox) = std::sync::mpsc::sync_channel::<Vec<Step>>(IN_FLIGHT);
        let (outbox, from_worker) = std::sync::mpsc::channel::<Done>();
        // The machine is handed over once the thread runs, so it is not lost if it cannot.
        let (hand_over, handed) = std::sync::mpsc::sync_channel::<(Machine<'o>, Option<Tally>)>(1);
        let options = self.rep.options;
        let queued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let taken = std::sync::Arc::clone(&queued);
        let spawned = std::thread::Builder::new()
            .name("camt-entries".into())
            .spawn_scoped(self.scope, move || {
                let (mut machine, mut open) = handed.recv().ok()?;
                for mut batch in inbox {
                    taken.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                    let mut events = Vec::with_capacity(batch.len() * 2);
                    let mut trees = Vec::with_capacity(batch.len());
                    let mut raws = Vec::new();
                    {
                        let mut sink = |e: Delivered| events.push(e);
                        let mut rep = Reporter {
                            options,
                            sink: &mut sink,
                            open: open.take(),
                            entry: None,
                        };
                        for step in batch.drain(..) {
                            if let Step::Raw { bytes, offset } = step {
                                machine.raw(&bytes, offset, &mut rep);
                                raws.push(bytes);
                            } else {
                                trees.extend(machine.step(step, &mut rep));
                            }
                        }
                        open = rep.open.take();
                    }
                    if outbox.send((events, trees, batch, raws)).is_err() {
                        break;
                    }
                }
                Some((open, machine))
            });
        let Ok(worker) = spawned else {
            self.threads = Threads::One;
            return;
        };
        let Some(machine) = self.machine.take() else {
            return;
        };
        // The thread waits for this message; it cannot have stopped before it.
        let _ = hand_over.send((machine, self.rep.open.take()));
        self.pipe = Some(Pipe {
            to_worker,
            from_worker,
            batch: Vec::with_capacity(BATCH),
            spare: Vec::new(),
            queued,
            worker,
        });
    }

    /// Sends the batch being filled and delivers what has come back meanwhile.
    fn send(&mut self) {
        let Some(pipe) = self.pipe.as_mut() else {
            return;
        };
        let next = pipe
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BATCH));
        let mut full = std::mem::replace(&mut pipe.batch, next);
        // While the second thread has work waiting, this one tokenises the cut elements
        // of the batch itself; the second does it only when it would otherwise wait.
        if pipe.queued.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            for step in &mut full {
                settle(step, &mut self.pool, &mut self.raws);
            }
        }
        pipe.queued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A send fails only when the second thread has stopped, which it does only by
        // panicking; the scope then passes the panic on.
        let _ = pipe.to_worker.send(full);
        while let Ok(done) = pipe.from_worker.try_recv() {
            Self::deliver(
                self.rep,
                &mut self.pool,
                &mut self.raws,
                &mut pipe.spare,
                done,
            );
        }
    }

    fn deliver(
        rep: &mut Reporter<'_>,
        pool: &mut Vec<Tree>,
        raws: &mut Vec<Vec<u8>>,
        spare: &mut Vec<Vec<Step>>,
        done: Done,
    ) {
        let (events, trees, batch, back) = done;
        raws.extend(back.into_iter().filter(|r| r.capacity() <= POOLED_TEXT));
        for e in events {
            (rep.sink)(e);
        }
        // A tree grown by an unusually large entry is let go rather than kept for reuse, so
        // the trees in flight stay small whatever the entries.
        pool.extend(
            trees
                .into_iter()
                .filter(|t| t.nodes.len() <= POOLED_NODES && t.buf.len() <= POOLED_TEXT),
        );
        spare.push(batch);
    }

    /// Ends the reading: the final step when the file was read to its end (not when it
    /// was refused), then every event still on the way.
    fn finish(&mut self, read: bool) {
        if read {
            self.step(Step::Finish);
        }
        let Some(pipe) = self.pipe.take() else {
            return;
        };
        let Pipe {
            to_worker,
            from_worker,
            batch,
            mut spare,
            worker,
            ..
        } = pipe;
        if !batch.is_empty() {
            let _ = to_worker.send(batch);
        }
        drop(to_worker);
        for done in from_worker {
            Self::deliver(self.rep, &mut self.pool, &mut self.raws, &mut spare, done);
        }
        if let Ok(Some((open, machine))) = worker.join() {
            self.rep.open = open;
            self.machine = Some(machine);
        }
    }
}

/// Tokenises a cut element on this thread into the capture (or the error) it makes.
fn settle(step: &mut Step, pool: &mut Vec<Tree>, raws: &mut Vec<Vec<u8>>) {
    let Step::Raw { bytes, offset } = step else {
        return;
    };
    let mut tree = pool.pop().unwrap_or_default();
    let result = cut::tokenise(bytes, *offset, &mut tree);
    raws.push(std::mem::take(bytes));
    let next = match result {
        Ok(()) => Step::Capture(tree),
        Err((offset, reason)) => {
            pool.push(tree);
            Step::Malformed { offset, reason }
        }
    };
    *step = next;
}

/// The tokenising loop: reads the XML events, builds the captured elements as trees and
/// hands the steps to the driver.
fn scan<'scope, 'o: 'scope, R: BufRead>(
    text: R,
    options: &ParseOptions,
    driver: &mut Driver<'scope, '_, '_, 'o>,
) -> Result<(), StatementError> {
    let mut reader = quick_xml::Reader::from_reader(cut::Ahead::new(text));
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut depth: usize = 0;
    let mut container_depth: Option<usize> = None;
    let mut stmt_count = 0usize;
    // The element being captured: the depth it started at, its tree and open nodes.
    let mut capture: Option<usize> = None;
    let mut tree = Tree::default();
    let mut open: Vec<usize> = Vec::new();
    let mut broken = false;
    // The `Ntry` being captured was cut out: its bytes and offset.
    let mut raw: Option<(Vec<u8>, u64)> = None;
    loop {
        let pos = reader.buffer_position();
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                driver.step(Step::Malformed {
                    offset: reader.error_position(),
                    reason: e.to_string(),
                });
                broken = true;
                break;
            }
        };
        match event {
            Event::Start(s) => {
                depth += 1;
                let name = s.local_name().into_inner();
                if capture.is_some() {
                    let idx = tree.push(
                        name,
                        currency_attr(&s, name).as_deref(),
                        pos,
                        open.last().copied(),
                    );
                    open.push(idx);
                } else if container_depth.is_none() && CONTAINERS.contains(&name) {
                    container_depth = Some(depth);
                    stmt_count += 1;
                    driver.step(Step::Open {
                        index: stmt_count,
                        offset: pos,
                    });
                } else if container_depth == Some(depth - 1)
                    && name == "Ntry"
                    && driver.cuts()
                    && let Some(bytes) = cut_entry(&mut reader, &s, pos, &mut driver.raws)
                {
                    raw = Some((bytes, pos));
                    capture = Some(depth);
                } else if container_depth == Some(depth - 1) && CAPTURED.contains(&name) {
                    tree.reset();
                    open.clear();
                    let root = tree.push(name, currency_attr(&s, name).as_deref(), pos, None);
                    open.push(root);
                    capture = Some(depth);
                }
            }
            Event::Empty(s) if capture.is_some() => {
                let name = s.local_name().into_inner();
                tree.push(name, None, pos, open.last().copied());
            }
            Event::Text(t) => {
                if capture.is_some()
                    && let Some(n) = open.last()
                {
                    tree.append(*n, &t.xml10_content());
                }
            }
            Event::CData(t) => {
                if capture.is_some()
                    && let Some(n) = open.last()
                {
                    tree.append(*n, &t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if capture.is_some()
                    && let Some(n) = open.last()
                    && let Some(c) = resolve(&r)
                {
                    tree.append(*n, c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::End(_) => {
                if capture == Some(depth)
                    && let Some((bytes, offset)) = raw.take()
                {
                    capture = None;
                    driver.raw(bytes, offset);
                } else if capture == Some(depth) {
                    capture = None;
                    let done = std::mem::take(&mut tree);
                    tree = driver.step(Step::Capture(done));
                } else if capture.is_some() {
                    open.pop();
                } else if container_depth == Some(depth) {
                    container_depth = None;
                    driver.step(Step::Close);
                }
                depth = depth.saturating_sub(1);
            }
            Event::DocType(d) => {
                let what = if d.xml10_content().contains("ENTITY") {
                    "ENTITY"
                } else {
                    "DOCTYPE"
                };
                return Err(StatementError::Declaration {
                    file: options.file_name.clone(),
                    offset: pos,
                    what,
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth > 0 && !broken {
        driver.step(Step::Truncated {
            offset: reader.buffer_position(),
            depth,
        });
    }
    Ok(())
}

/// Cuts out the `Ntry` whose start tag `start` (at `pos`) was just read: its bytes to
/// the end tag, the content consumed so that the reader goes on with the end tag. `None`
/// when the cutter is unsure; nothing is consumed then.
fn cut_entry<R: BufRead>(
    reader: &mut quick_xml::Reader<cut::Ahead<R>>,
    start: &quick_xml::events::BytesStart<'_>,
    pos: u64,
    spare: &mut Vec<Vec<u8>>,
) -> Option<Vec<u8>> {
    let tag: &[u8] = start.as_bytes();
    let tag_len = tag.len() + 2;
    if reader.buffer_position().checked_sub(pos) != u64::try_from(tag_len).ok() {
        return None;
    }
    let qname = start.name().into_inner().as_bytes();
    let mut stream = reader.stream();
    loop {
        let ahead = stream.get_mut();
        let have = ahead.buffered();
        match cut::cut(have, qname) {
            cut::Cut::Found { content, end } => {
                let mut bytes = spare.pop().unwrap_or_default();
                bytes.clear();
                bytes.reserve(tag_len + end);
                bytes.push(b'<');
                bytes.extend_from_slice(tag);
                bytes.push(b'>');
                bytes.extend_from_slice(have.get(..end)?);
                stream.consume(content);
                return Some(bytes);
            }
            cut::Cut::More if have.len() < cut::MAX_CUT => {
                if !ahead.more() {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Delivers the entries and checks read so far, starting the statement first when they
/// are its first.
fn flush(st: &mut StmtState, rep: &mut Reporter<'_>) {
    if st.entries.is_empty() && st.checks.is_empty() {
        return;
    }
    if !st.begun {
        let Some(currency) = st
            .currency
            .or_else(|| st.balances.first().map(|b| b.amount.currency))
        else {
            return;
        };
        let account = account_of(st, currency);
        rep.begin(header(st, account));
        st.begun = true;
    }
    for e in st.entries.drain(..) {
        rep.entry(e);
    }
    for c in st.checks.drain(..) {
        rep.check(c);
    }
}

/// The statement as known before its entries: account, id, position and balances.
fn header(st: &StmtState, account: AccountId) -> Statement {
    let mut s = Statement::new(account, st.position());
    s.id = st.id.clone();
    s.opening = ["OPBD", "PRCD"]
        .iter()
        .find_map(|c| st.balances.iter().find(|b| b.code == *c))
        .cloned();
    s
}

/// Ends a statement; returns 1 when one was delivered.
fn close_stmt(mut st: StmtState, kind: FormatKind, rep: &mut Reporter<'_>) -> usize {
    let begun = st.begun;
    let account = st.account.clone();
    let position = st.position();
    match finish_stmt(&mut st, kind, rep) {
        Some(mut s) => {
            if !begun {
                rep.begin(header(&st, s.account.clone()));
            }
            for e in std::mem::take(&mut s.entries) {
                rep.entry(e);
            }
            rep.end(s);
            1
        }
        None if begun => {
            // Cannot happen once entries were read (they fix the account), but a started
            // statement is always ended.
            if let Some(a) = account {
                rep.end(Statement::new(a, position));
            }
            1
        }
        None => 0,
    }
}

/// The character a character or predefined entity reference stands for.
fn resolve(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Some(c),
        _ => match r.xml10_content().as_ref() {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => None,
        },
    }
}

/// The `Ccy` attribute of an amount element (only amounts carry one).
fn currency_attr<'a>(
    s: &'a quick_xml::events::BytesStart<'_>,
    name: &str,
) -> Option<std::borrow::Cow<'a, str>> {
    if !name.ends_with("Amt") {
        return None;
    }
    s.try_get_attribute("Ccy").ok().flatten().map(|a| a.value)
}

fn container_name(kind: FormatKind) -> &'static str {
    match kind {
        FormatKind::Camt052 => "Rpt",
        FormatKind::Camt054 => "Ntfctn",
        _ => "Stmt",
    }
}

fn new_stmt(container: &'static str, index: usize, offset: u64) -> StmtState {
    StmtState {
        container,
        index,
        offset,
        id: None,
        created: None,
        acct: None,
        currency: None,
        account: None,
        balances: Vec::new(),
        summary: None,
        entries: Vec::new(),
        checks: Vec::new(),
        begun: false,
        ntry_count: 0,
        ntry_abs: Decimal::ZERO,
        ntry_net: Decimal::ZERO,
        credits: (0, Decimal::ZERO),
        debits: (0, Decimal::ZERO),
    }
}

/// Takes a captured element into the statement being read.
#[allow(clippy::too_many_arguments)]
fn absorb(
    tree: &Tree,
    st: &mut StmtState,
    here: &str,
    ntry_index: usize,
    options: &ParseOptions,
    keys: &mut KeyMaker,
    rep: &mut Reporter<'_>,
) {
    match tree.name(0) {
        "Id" => st.id = Some(tree.raw(0).trim().to_owned()),
        "CreDtTm" => {
            st.created = tree.raw(0).trim().get(..10).and_then(ymd);
        }
        "Acct" => {
            st.currency = tree
                .text(0, "Ccy")
                .and_then(|c| Currency::parse(c).ok())
                .or(st.currency);
            st.acct = Some(tree.snapshot());
        }
        "Bal" => {
            if let Some(b) = read_balance(tree, here, rep) {
                st.currency.get_or_insert(b.amount.currency);
                st.balances.push(b);
            }
        }
        "TxsSummry" => st.summary = Some(tree.snapshot()),
        "Ntry" => {
            let path = format!("{here}/Ntry[{ntry_index}]");
            read_ntry(tree, st, &path, options, keys, rep);
        }
        _ => {}
    }
}

fn read_balance(t: &Tree, here: &str, rep: &mut Reporter<'_>) -> Option<Balance> {
    let code = t
        .first_text(0, &["Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry", "Tp/Cd"])
        .unwrap_or("")
        .to_owned();
    let position = Position::Element {
        path: format!("{here}/Bal[{code}]/Amt"),
        offset: t.offset(0),
    };
    let amount = match amount_at(t, 0, "Amt") {
        AmountRead::Ok(m) => m,
        AmountRead::Missing => {
            rep.error(
                position,
                "Bal/Amt",
                "the balance has no amount",
                "the balance is ignored; ask the bank for a corrected file",
            );
            return None;
        }
        AmountRead::Bad(why) => {
            rep.error(
                position,
                "Bal/Amt",
                format!("{why}; the balance is ignored"),
                "expected e.g. <Amt Ccy=\"EUR\">1234.56</Amt>",
            );
            return None;
        }
    };
    let sign = sign_of(t, 0).unwrap_or(Decimal::ONE);
    Some(Balance {
        amount: Money::new(sign * amount.amount, amount.currency),
        date: date_at(t, 0, "Dt"),
        code,
    })
}

fn account_of(st: &mut StmtState, fallback: Currency) -> AccountId {
    if let Some(a) = &st.account {
        return a.clone();
    }
    let currency = *st.currency.get_or_insert(fallback);
    let a = match &st.acct {
        Some(t) => {
            let iban = t.text(0, "Id/IBAN");
            let other = t.text(0, "Id/Othr/Id");
            match (iban, other) {
                (Some(i), o) => AccountId {
                    iban: Some(i.to_owned()),
                    other: o.map(str::to_owned),
                    currency,
                },
                (None, Some(o)) => account_from(o, currency),
                (None, None) => AccountId {
                    iban: None,
                    other: None,
                    currency,
                },
            }
        }
        None => AccountId {
            iban: None,
            other: None,
            currency,
        },
    };
    st.account = Some(a.clone());
    a
}

/// What one `TxDtls` says.
#[derive(Debug, Default, Clone)]
struct Detail {
    node: usize,
    amount: Option<Decimal>,
    bank_ref: Option<String>,
    end_to_end: Option<String>,
    counterparty: Counterparty,
    remittance: Vec<String>,
    refs: Vec<StructuredRef>,
    exchange: Option<ExchangeDetail>,
    charges: Vec<Charge>,
    bank_tx_code: Option<String>,
    returned: bool,
}

fn bank_tx_code(t: &Tree, n: usize) -> Option<String> {
    let domain = t.text(n, "BkTxCd/Domn/Cd");
    let family = t.text(n, "BkTxCd/Domn/Fmly/Cd");
    let sub = t.text(n, "BkTxCd/Domn/Fmly/SubFmlyCd");
    match (domain, family, sub) {
        (Some(d), Some(f), Some(s)) => Some(format!("{d}/{f}/{s}")),
        (Some(d), Some(f), None) => Some(format!("{d}/{f}")),
        (Some(d), None, _) => Some(d.to_owned()),
        _ => t.text(n, "BkTxCd/Prtry/Cd").map(str::to_owned),
    }
}

/// Charges records: `Chrgs/Rcrd` from .03 on, repeated `Chrgs` with `Amt` in .02.
fn charges(t: &Tree, n: usize) -> Vec<Charge> {
    let mut out = Vec::new();
    for c in t.children(n, "Chrgs") {
        let records: Vec<usize> = {
            let r: Vec<usize> = t.children(c, "Rcrd").collect();
            if r.is_empty() && t.child(c, "Amt").is_some() {
                vec![c]
            } else {
                r
            }
        };
        for r in records {
            let Some(m) = money_at(t, r, "Amt") else {
                continue;
            };
            out.push(Charge {
                amount: m.abs(),
                included: t.text(r, "ChrgInclInd") == Some("true"),
                kind: t
                    .first_text(r, &["Tp/Cd", "Tp/Prtry/Id", "Br"])
                    .map(str::to_owned),
            });
        }
    }
    out
}

fn exchange(t: &Tree, n: usize, account_currency: Currency) -> Option<ExchangeDetail> {
    let instructed = money_at(t, n, "AmtDtls/InstdAmt/Amt")?;
    let xchg = [
        "AmtDtls/InstdAmt/CcyXchg",
        "AmtDtls/TxAmt/CcyXchg",
        "AmtDtls/CntrValAmt/CcyXchg",
    ]
    .iter()
    .find_map(|p| t.at(n, p));
    let rate = xchg
        .and_then(|x| t.text(x, "XchgRate"))
        .and_then(parse_amount);
    if instructed.currency == account_currency && rate.is_none() {
        return None;
    }
    let ccy = |p: &str| {
        xchg.and_then(|x| t.text(x, p))
            .and_then(|c| Currency::parse(c).ok())
    };
    Some(ExchangeDetail {
        instructed,
        rate,
        source_currency: ccy("SrcCcy"),
        target_currency: ccy("TrgtCcy"),
    })
}

fn read_detail(t: &Tree, d: usize, entry_sign: Decimal, currency: Currency) -> Detail {
    let sign = sign_of(t, d).unwrap_or(entry_sign);
    // The other party is the payer of a credit and the payee of a debit.
    let credit = sign.is_sign_positive();
    // The detail's amount in the account currency: TxDtls/Amt (.03 on), else the
    // transaction amount or counter value in AmtDtls.
    let amount = ["Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt"]
        .iter()
        .filter_map(|p| money_at(t, d, p))
        .find(|m| m.currency == currency)
        .map(|m| sign * m.amount);
    // Where the other party sits, for both element layouts (Pty from .08 on, BICFI
    // from .04 on).
    let paths = if credit { &DEBTOR } else { &CREDITOR };
    let name = t.first_text(d, &paths.name).map(str::to_owned);
    let account = t.first_text(d, &paths.account).map(str::to_owned);
    let bic = t.first_text(d, &paths.bic).map(str::to_owned);
    let mut remittance: Vec<String> = t.lines(d, "RmtInf/Ustrd");
    let mut refs = Vec::new();
    for s in t.all(d, "RmtInf/Strd") {
        if let Some(r) = t.text(s, "CdtrRefInf/Ref") {
            let scheme = t.first_text(
                s,
                &[
                    "CdtrRefInf/Tp/CdOrPrtry/Cd",
                    "CdtrRefInf/Tp/CdOrPrtry/Prtry",
                ],
            );
            refs.push(classify(scheme, r));
        }
        remittance.extend(t.lines(s, "AddtlRmtInf"));
    }
    for line in &remittance {
        for r in recognise_refs(line) {
            if !refs.iter().any(|x| x.value == r.value) {
                refs.push(r);
            }
        }
    }
    if remittance.is_empty()
        && let Some(a) = t.text(d, "AddtlTxInf")
    {
        remittance.push(a.to_owned());
    }
    Detail {
        node: d,
        amount,
        bank_ref: t.text(d, "Refs/AcctSvcrRef").map(str::to_owned),
        end_to_end: t
            .text(d, "Refs/EndToEndId")
            .filter(|r| !is_placeholder_ref(r))
            .map(str::to_owned),
        counterparty: Counterparty { name, account, bic },
        remittance,
        refs,
        exchange: exchange(t, d, currency),
        charges: charges(t, d),
        bank_tx_code: bank_tx_code(t, d),
        returned: t.at(d, "RtrInf").is_some(),
    }
}

fn read_ntry(
    t: &Tree,
    st: &mut StmtState,
    path: &str,
    options: &ParseOptions,
    keys: &mut KeyMaker,
    rep: &mut Reporter<'_>,
) {
    let at = |field: &str| Position::Element {
        path: format!("{path}/{field}"),
        offset: t.offset(0),
    };
    let amount = match amount_at(t, 0, "Amt") {
        AmountRead::Ok(m) => m,
        AmountRead::Missing => {
            rep.error(
                at("Amt"),
                "Ntry/Amt",
                "the entry has no amount; it was skipped",
                "ask the bank for a corrected file; the balance check will show the gap",
            );
            return;
        }
        AmountRead::Bad(why) => {
            rep.error(
                at("Amt"),
                "Ntry/Amt",
                format!("{why}; the entry was skipped"),
                "expected e.g. <Amt Ccy=\"EUR\">1234.56</Amt>; the balance check will show the gap",
            );
            return;
        }
    };
    let Some(sign) = sign_of(t, 0) else {
        rep.error(
            at("CdtDbtInd"),
            "Ntry/CdtDbtInd",
            format!(
                "'{}' is not CRDT or DBIT, so the direction of {} is unknown; the entry was skipped",
                t.text(0, "CdtDbtInd").unwrap_or(""),
                amount
            ),
            "ask the bank for a corrected file",
        );
        return;
    };
    let account = account_of(st, amount.currency);
    if amount.currency != account.currency {
        rep.warning(
            at("Amt"),
            "Ntry/Amt",
            format!(
                "the entry is in {} but the account is in {}; it is kept in {}",
                amount.currency, account.currency, amount.currency
            ),
            "check the account currency the bank reports; reconciliation will treat it as a foreign-currency movement",
        );
    }
    let signed = sign * amount.amount;
    st.ntry_count += 1;
    st.ntry_abs += amount.amount;
    st.ntry_net += signed;
    if sign.is_sign_positive() {
        st.credits.0 += 1;
        st.credits.1 += amount.amount;
    } else {
        st.debits.0 += 1;
        st.debits.1 += amount.amount;
    }
    let status_text = t
        .first_text(0, &["Sts/Cd", "Sts/Prtry", "Sts"])
        .unwrap_or("BOOK");
    let status = match status_text {
        "BOOK" => EntryStatus::Booked,
        "INFO" => EntryStatus::Info,
        _ => EntryStatus::Pending,
    };
    let mut booking_date = date_at(t, 0, "BookgDt");
    let value_date = date_at(t, 0, "ValDt");
    if booking_date.is_none() && value_date.is_none() && st.created.is_some() {
        // Notifications of entries not yet booked often carry no dates of their own.
        booking_date = st.created;
        rep.warning(
            at("BookgDt"),
            "Ntry/BookgDt",
            format!(
                "the entry of {amount} has neither a booking nor a value date; the {} creation date {} is used",
                container_label(st),
                st.created.map(|d| d.to_string()).unwrap_or_default()
            ),
            "the date may be a day or two off; the camt.053 statement will carry the real booking date",
        );
    }
    if booking_date.is_none() && value_date.is_none() {
        rep.error(
            at("BookgDt"),
            "Ntry/BookgDt",
            format!("the entry of {amount} has neither a booking nor a value date (or they are not YYYY-MM-DD); it was skipped"),
            "ask the bank for a corrected file; the balance check will show the gap",
        );
        return;
    }
    let reversal = t.text(0, "RvslInd") == Some("true");
    // The bank's reference for the booking; some banks give only an entry reference.
    let entry_ref = t
        .first_text(0, &["AcctSvcrRef", "NtryRef"])
        .map(str::to_owned);
    let entry_code = bank_tx_code(t, 0);
    let entry_info: Vec<String> = t.lines(0, "AddtlNtryInf");
    let entry_charges = charges(t, 0);
    let mut details: Vec<Detail> = t
        .all(0, "NtryDtls/TxDtls")
        .into_iter()
        .map(|d| read_detail(t, d, sign, account.currency))
        .collect();
    let batch_count: Option<u64> = t
        .first_text(0, &["NtryDtls/Btch/NbOfTxs"])
        .and_then(|n| n.parse().ok());
    if let Some(n) = batch_count
        && !details.is_empty()
        && details.len() > 1
    {
        let read = u64::try_from(details.len()).unwrap_or(u64::MAX);
        st.checks.push(Check::compare(
            CheckKind::EntryCount,
            &format!("{path}: transactions in the batch (Btch/NbOfTxs)"),
            Decimal::from(n),
            Decimal::from(read),
        ));
    }
    let statement_id = st.id.clone();
    let base = BankEntry {
        origin: arsync_model::Origin::new("", ""),
        account: account.clone(),
        statement_id,
        booking_date,
        value_date,
        amount: Money::new(signed, amount.currency),
        status,
        bank_reference: entry_ref.clone(),
        end_to_end_id: None,
        bank_tx_code: entry_code.clone(),
        counterparty: Counterparty::default(),
        remittance: Vec::new(),
        structured_refs: Vec::new(),
        exchange: exchange(t, 0, account.currency),
        charges: entry_charges.clone(),
        reversal,
        detail_index: None,
    };
    let payload_of = |n: usize| payload_text(t, n);
    let content_key = |e: &BankEntry| {
        vec![
            e.booking_date.map(iso_date).unwrap_or_default(),
            e.value_date.map(iso_date).unwrap_or_default(),
            e.amount.amount.to_string(),
            e.end_to_end_id.clone().unwrap_or_default(),
            e.remittance.join("\n"),
            entry_info.join("\n"),
        ]
    };
    // Decide whether to split a batch into its transaction details.
    let split = if details.len() >= 2 {
        plan_split(&details, signed, &entry_charges, path, st)
    } else {
        None
    };
    match split {
        Some(charge_entry) => {
            let count = details.len();
            for (i, d) in details.iter_mut().enumerate() {
                let idx = u32::try_from(i).unwrap_or(u32::MAX);
                let mut e = base.clone();
                e.amount = Money::new(d.amount.unwrap_or_default(), amount.currency);
                fill_from_detail(&mut e, d);
                if e.remittance.is_empty() {
                    e.remittance = entry_info.clone();
                }
                e.charges = std::mem::take(&mut d.charges);
                e.detail_index = Some(idx);
                let parts = content_key(&e);
                let parts_ref: Vec<&str> = parts.iter().map(String::as_str).collect();
                e.origin = keys.origin(
                    &options.connection,
                    account.key(),
                    entry_ref.as_deref().or(d.bank_ref.as_deref()),
                    Some(idx),
                    &parts_ref,
                    &payload_of(d.node),
                );
                st.entries.push(e);
            }
            if let Some(c) = charge_entry {
                let idx = u32::try_from(count).unwrap_or(u32::MAX);
                let mut e = base.clone();
                e.amount = Money::new(-c, amount.currency);
                e.remittance = vec![format!(
                    "charges deducted from the batch of {count} transactions"
                )];
                e.charges = Vec::new();
                e.exchange = None;
                e.detail_index = Some(idx);
                let parts = content_key(&e);
                let parts_ref: Vec<&str> = parts.iter().map(String::as_str).collect();
                e.origin = keys.origin(
                    &options.connection,
                    account.key(),
                    entry_ref.as_deref(),
                    Some(idx),
                    &parts_ref,
                    &payload_of(0),
                );
                st.entries.push(e);
            }
        }
        None => {
            let mut e = base;
            if let [single] = details.as_mut_slice() {
                fill_from_detail(&mut e, single);
                if !details[0].charges.is_empty() {
                    e.charges = std::mem::take(&mut details[0].charges);
                }
                if amount.currency == account.currency
                    && let Some(gross) = details[0].amount
                    && gross != signed
                {
                    st.checks
                        .push(single_detail_check(path, gross, signed, &e.charges));
                }
                if e.exchange.is_none() {
                    e.exchange = details[0].exchange.clone();
                }
            } else {
                // Kept whole: every detail's text and references stay with the entry.
                for d in &details {
                    e.remittance.extend(d.remittance.iter().cloned());
                    e.structured_refs.extend(d.refs.iter().cloned());
                }
            }
            if e.remittance.is_empty() {
                e.remittance = entry_info.clone();
            }
            e.reversal = reversal || details.iter().any(|d| d.returned);
            let single_ref = details
                .first()
                .filter(|_| details.len() == 1)
                .and_then(|d| d.bank_ref.clone());
            let key_ref = entry_ref.clone().or(single_ref);
            if e.bank_reference.is_none() {
                e.bank_reference = key_ref.clone();
            }
            let parts = content_key(&e);
            let parts_ref: Vec<&str> = parts.iter().map(String::as_str).collect();
            e.origin = keys.origin(
                &options.connection,
                account.key(),
                key_ref.as_deref(),
                None,
                &parts_ref,
                &payload_of(0),
            );
            st.entries.push(e);
        }
    }
}

/// A single transaction detail whose amount differs from the booked entry: the
/// difference must be the charges the bank took.
fn single_detail_check(path: &str, gross: Decimal, booked: Decimal, charges: &[Charge]) -> Check {
    let taken: Decimal = charges.iter().map(|c| c.amount.amount).sum();
    let passed = gross - taken == booked;
    Check {
        kind: CheckKind::BatchDetails,
        passed,
        expected: Some(booked),
        actual: Some(gross - taken),
        message: if passed {
            format!(
                "{path}: the transaction ({gross}) less charges ({taken}) equals the booked entry ({booked})"
            )
        } else {
            format!(
                "{path}: the transaction is {gross} and the charges {taken}, but the bank booked {booked}; the booked amount is kept"
            )
        },
    }
}

fn container_label(st: &StmtState) -> &'static str {
    if st.balances.is_empty() {
        "notification"
    } else {
        "statement"
    }
}

/// Gives an entry what its transaction detail says. The detail's texts are moved into
/// the entry (each detail makes one entry); its reference, amount, charges and return
/// flag stay for the checks that follow.
fn fill_from_detail(e: &mut BankEntry, d: &mut Detail) {
    if d.bank_ref.is_some() {
        e.bank_reference = d.bank_ref.clone();
    }
    e.end_to_end_id = d.end_to_end.take();
    e.counterparty = std::mem::take(&mut d.counterparty);
    e.remittance = std::mem::take(&mut d.remittance);
    e.structured_refs = std::mem::take(&mut d.refs);
    if d.exchange.is_some() {
        e.exchange = d.exchange.take();
    }
    if d.bank_tx_code.is_some() {
        e.bank_tx_code = d.bank_tx_code.take();
    }
    e.reversal = e.reversal || d.returned;
}

/// A date as `YYYY-MM-DD`, as `NaiveDate`'s `Display` writes it, without the formatter.
fn iso_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    let y = d.year();
    if (0..=9999).contains(&y) {
        format!("{y:04}-{:02}-{:02}", d.month(), d.day())
    } else {
        d.to_string()
    }
}

/// Whether a batch can be split without double counting: the details add up to the
/// entry, or to the entry plus charges the bank deducted. Returns `Some(charges to book
/// as their own entry)` to split, `None` to keep the entry whole; records the result.
fn plan_split(
    details: &[Detail],
    entry: Decimal,
    entry_charges: &[Charge],
    path: &str,
    st: &mut StmtState,
) -> Option<Option<Decimal>> {
    let amounts: Option<Vec<Decimal>> = details.iter().map(|d| d.amount).collect();
    let Some(amounts) = amounts else {
        st.checks.push(Check {
            kind: CheckKind::BatchDetails,
            passed: true,
            expected: Some(entry),
            actual: None,
            message: format!(
                "{path}: the {} transaction details carry no amount in the account currency; the entry is kept whole",
                details.len()
            ),
        });
        return None;
    };
    let sum: Decimal = amounts.iter().copied().sum();
    if sum == entry {
        st.checks.push(Check::compare(
            CheckKind::BatchDetails,
            &format!(
                "{path}: the {} transaction details add up to the entry",
                details.len()
            ),
            entry,
            sum,
        ));
        return Some(None);
    }
    let total_charges: Decimal = entry_charges.iter().map(|c| c.amount.amount).sum();
    if !total_charges.is_zero() && sum - total_charges == entry {
        st.checks.push(Check {
            kind: CheckKind::BatchDetails,
            passed: true,
            expected: Some(entry),
            actual: Some(sum - total_charges),
            message: format!(
                "{path}: the {} transaction details ({sum}) less charges ({total_charges}) equal the entry ({entry}); the charges are booked as their own entry",
                details.len()
            ),
        });
        return Some(Some(total_charges));
    }
    st.checks.push(Check {
        kind: CheckKind::BatchDetails,
        passed: false,
        expected: Some(entry),
        actual: Some(sum),
        message: format!(
            "{path}: the {} transaction details add up to {sum} but the entry is {entry} (charges {total_charges}); the entry is kept whole so nothing is counted twice",
            details.len()
        ),
    });
    None
}

/// The text of a captured element, for the payload hash: element names and values in
/// document order.
fn payload_text(t: &Tree, n: usize) -> String {
    let mut out = String::with_capacity(1024);
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        out.push('<');
        out.push_str(t.name(x));
        if let Some(c) = t.ccy(x) {
            out.push_str(" Ccy=");
            out.push_str(c);
        }
        out.push('>');
        out.push_str(t.raw(x).trim());
        let from = stack.len();
        stack.extend(t.kids(x));
        stack[from..].reverse();
    }
    out
}

fn finish_stmt(st: &mut StmtState, kind: FormatKind, rep: &mut Reporter<'_>) -> Option<Statement> {
    let here = format!("{}[{}]", container_name(kind), st.index);
    let Some(currency) = st
        .currency
        .or_else(|| st.balances.first().map(|b| b.amount.currency))
    else {
        if st.ntry_count == 0 {
            // An empty notification or report: nothing to keep.
            return None;
        }
        rep.error(
            Position::Element {
                path: here,
                offset: st.offset,
            },
            "Acct/Ccy",
            "the statement's currency is unknown",
            "ask the bank for a corrected file",
        );
        return None;
    };
    let account = account_of(st, currency);
    let mut s = Statement::new(
        account,
        Position::Element {
            path: here.clone(),
            offset: st.offset,
        },
    );
    s.id = st.id.clone();
    s.opening = ["OPBD", "PRCD"]
        .iter()
        .find_map(|c| st.balances.iter().find(|b| b.code == *c))
        .cloned();
    s.closing = st.balances.iter().find(|b| b.code == "CLBD").cloned();
    if s.closing.is_none() && kind == FormatKind::Camt052 && s.opening.is_some() {
        // An intraday report closes on its interim booked balance.
        s.closing = st.balances.iter().rev().find(|b| b.code == "ITBD").cloned();
    }
    s.entries = std::mem::take(&mut st.entries);
    s.checks = std::mem::take(&mut st.checks);
    if let Some(t) = &st.summary {
        summary_checks(t, st, &here, &mut s);
    }
    Some(s)
}

fn summary_checks(t: &Tree, st: &StmtState, here: &str, s: &mut Statement) {
    let num = |p: &str| t.text(0, p).and_then(|v| v.parse::<u64>().ok());
    let dec = |p: &str| t.text(0, p).and_then(parse_amount);
    if let Some(n) = num("TtlNtries/NbOfNtries") {
        s.checks.push(Check::compare(
            CheckKind::EntryCount,
            &format!("{here}: number of entries (TxsSummry/TtlNtries/NbOfNtries)"),
            Decimal::from(n),
            Decimal::from(st.ntry_count),
        ));
    }
    if let Some(v) = dec("TtlNtries/Sum") {
        s.checks.push(Check::compare(
            CheckKind::ControlTotal,
            &format!("{here}: sum of entries (TxsSummry/TtlNtries/Sum)"),
            v,
            st.ntry_abs,
        ));
    }
    let net = match (
        dec("TtlNtries/TtlNetNtry/Amt"),
        t.text(0, "TtlNtries/TtlNetNtry/CdtDbtInd"),
    ) {
        (Some(v), ind) => Some((v, ind)),
        (None, _) => dec("TtlNtries/TtlNetNtryAmt").map(|v| (v, t.text(0, "TtlNtries/CdtDbtInd"))),
    };
    if let Some((v, ind)) = net {
        let signed = if ind == Some("DBIT") { -v } else { v };
        s.checks.push(Check::compare(
            CheckKind::ControlTotal,
            &format!("{here}: net total of entries (TxsSummry/TtlNtries/TtlNetNtry)"),
            signed,
            st.ntry_net,
        ));
    }
    for (side, (count, sum)) in [("TtlCdtNtries", st.credits), ("TtlDbtNtries", st.debits)] {
        if let Some(n) = num(&format!("{side}/NbOfNtries")) {
            s.checks.push(Check::compare(
                CheckKind::EntryCount,
                &format!("{here}: number of entries (TxsSummry/{side}/NbOfNtries)"),
                Decimal::from(n),
                Decimal::from(count),
            ));
        }
        if let Some(v) = dec(&format!("{side}/Sum")) {
            s.checks.push(Check::compare(
                CheckKind::ControlTotal,
                &format!("{here}: sum of entries (TxsSummry/{side}/Sum)"),
                v,
                sum,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event as Delivered, ParseOptions, parse_reader};
    use std::cell::Cell;
    use std::fmt::Write as _;
    use std::path::{Path, PathBuf};

    thread_local! {
        /// The threading `parse` uses on this test thread.
        pub(super) static THREADS: Cell<Threads> = const { Cell::new(Threads::Auto) };
    }

    /// Every event of a file read with the given threading, as text, in order; the error
    /// that refused the file last.
    fn events(bytes: &[u8], name: &str, threads: Threads) -> Vec<String> {
        THREADS.with(|t| t.set(threads));
        let mut out = Vec::new();
        let options = ParseOptions::new("bank", name);
        let result = parse_reader(bytes, &options, |e: Delivered| out.push(format!("{e:?}")));
        THREADS.with(|t| t.set(Threads::Auto));
        if let Err(e) = result {
            out.push(format!("refused: {e}"));
        }
        out
    }

    fn assert_same_events(bytes: &[u8], name: &str) -> usize {
        let one = events(bytes, name, Threads::One);
        for threads in [Threads::Two, Threads::Split, Threads::Auto] {
            let other = events(bytes, name, threads);
            assert_eq!(
                one.len(),
                other.len(),
                "{name}: {threads:?} gives another number of events"
            );
            for (i, (a, b)) in one.iter().zip(&other).enumerate() {
                assert_eq!(a, b, "{name}: event {i} differs with {threads:?}");
            }
        }
        one.iter().filter(|e| e.starts_with("Entry(")).count()
    }

    fn camt_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|x| x == "xml"));
        files.sort();
        files
    }

    #[test]
    fn every_fixture_and_sample_gives_the_same_events_read_by_one_thread_or_two() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let samples = std::env::var_os("ARSYNC_SAMPLES").map_or_else(
            || {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../../shared/samples"
                ))
            },
            PathBuf::from,
        );
        let mut files = camt_files(&fixtures);
        let bank = samples.join("bank/camt");
        if bank.is_dir() {
            files.extend(camt_files(&bank));
        } else {
            println!(
                "skipped: no camt samples at {} (set ARSYNC_SAMPLES)",
                bank.display()
            );
        }
        assert!(!files.is_empty());
        let mut entries = 0;
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            entries += assert_same_events(&bytes, &f.display().to_string());
        }
        assert!(entries > 0);
    }

    /// A statement of `n` entries with problems, batches and repeated keys along the way.
    fn statement(n: usize, stmts: usize) -> String {
        let mut x = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>",
        );
        for s in 1..=stmts {
            let mut net = Decimal::ZERO;
            let mut body = String::new();
            for i in 0..n {
                let cents = Decimal::new(i64::try_from(100 + i * 37 % 5000).unwrap(), 2);
                let (ind, sign) = if i % 3 == 0 {
                    ("DBIT", -1)
                } else {
                    ("CRDT", 1)
                };
                // Every 50th amount is unreadable, every 7th entry has no reference and
                // repeats the one before it, every 11th is a batch of two.
                let amt = if i % 50 == 49 {
                    "12,34.5".to_owned()
                } else {
                    cents.to_string()
                };
                if i % 50 != 49 {
                    net += cents * Decimal::from(sign);
                }
                let reference = if i % 7 == 0 {
                    String::new()
                } else {
                    format!("<AcctSvcrRef>R{s}-{i}</AcctSvcrRef>")
                };
                let details = if i % 11 == 0 {
                    let half = cents / Decimal::TWO;
                    format!(
                        "<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch><TxDtls><Amt Ccy=\"EUR\">{half}</Amt><RmtInf><Ustrd>first of {i}</Ustrd></RmtInf></TxDtls><TxDtls><Amt Ccy=\"EUR\">{}</Amt><RmtInf><Ustrd>RF18539007547034 second</Ustrd></RmtInf></TxDtls></NtryDtls>",
                        cents - half
                    )
                } else {
                    format!(
                        "<NtryDtls><TxDtls><Refs><EndToEndId>E{}</EndToEndId></Refs><RmtInf><Ustrd>Invoice &amp; {}</Ustrd></RmtInf></TxDtls></NtryDtls>",
                        i / 2,
                        i / 2
                    )
                };
                writeln!(
                    body,
                    "<Ntry><Amt Ccy=\"EUR\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-{:02}</Dt></BookgDt>{reference}{details}</Ntry>",
                    1 + i / 100 % 28
                )
                .unwrap();
            }
            write!(
                x,
                "<Stmt><Id>S{s}</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct><Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-01</Dt></Dt></Bal><Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal><TxsSummry><TtlNtries><NbOfNtries>{n}</NbOfNtries></TtlNtries></TxsSummry>\n{body}</Stmt>",
                Decimal::new(100_000, 2) + net
            )
            .unwrap();
        }
        x.push_str("</BkToCstmrStmt></Document>\n");
        x
    }

    #[test]
    fn a_long_file_with_problems_gives_the_same_events_read_by_one_thread_or_two() {
        // Auto moves to two threads in the middle of the first statement.
        let file = statement(PIPELINE_AFTER * 3 + 17, 3);
        let entries = assert_same_events(file.as_bytes(), "long.xml");
        assert!(entries > PIPELINE_AFTER * 9);
        let one = events(file.as_bytes(), "long.xml", Threads::One);
        assert!(one.iter().any(|e| e.starts_with("Problem(")));
        assert!(
            one.iter().any(|e| e.contains("#2")),
            "no numbered key in the file"
        );
        // Every statement is ended, also the one read partly on each side of the switch.
        assert_eq!(
            one.iter()
                .filter(|e| e.starts_with("StatementEnd("))
                .count(),
            3
        );
    }

    #[test]
    fn a_file_cut_short_or_broken_after_many_entries_gives_the_same_events_on_two_threads() {
        let file = statement(PIPELINE_AFTER * 2, 2);
        for cut in [file.len() / 2, file.len() - 40] {
            let cut_file = &file.as_bytes()[..cut];
            assert_same_events(cut_file, "cut.xml");
            let one = events(cut_file, "cut.xml", Threads::One);
            assert!(one.iter().any(|e| e.contains("truncated")), "{cut}");
        }
        let broken = file.replacen("</Ntry>\n<Ntry>", "</Ntry>\n<Ntry><<", 400);
        assert_same_events(broken.as_bytes(), "broken.xml");
        let one = events(broken.as_bytes(), "broken.xml", Threads::Two);
        assert!(one.iter().any(|e| e.contains("malformed")));
        // Malformed inside an entry that is cut out and tokenised apart, before a DOCTYPE
        // that would refuse the file: the reading stops at the first, as on one thread.
        for (i, bad) in [
            ("<Amt Ccy=\"EUR\">", "<Amt Ccy=\"EUR\"><X></Y>"),
            ("</BookgDt>", "</BookgDt></Amt>"),
            ("<CdtDbtInd>", "<CdtDbtInd></>"),
        ]
        .into_iter()
        .enumerate()
        {
            let broken = nth(&file, bad.0, bad.1, 300 + i);
            let broken = nth(
                &broken,
                "<Ntry>",
                "<!DOCTYPE x><Ntry>",
                PIPELINE_AFTER + 200,
            );
            let one = events(broken.as_bytes(), "broken.xml", Threads::One);
            assert!(one.iter().any(|e| e.contains("malformed")), "{bad:?}");
            assert_same_events(broken.as_bytes(), "broken.xml");
        }
        // What the cutter leaves to the reader: comments, CDATA, a bracket in a quoted
        // attribute that looks like the end, an end tag with a space.
        for (from, to) in [
            ("<Ntry>", "<Ntry><!-- a comment -->"),
            ("<Ustrd>", "<Ustrd><![CDATA[a < b]]>"),
            ("<Amt Ccy=\"EUR\">", "<Amt Ccy=\"EUR\" x='</Ntry>'>"),
            ("</Ntry>", "</Ntry >"),
            ("<Ntry>", "<Ntry>&amp;&#x41;"),
        ] {
            let mut odd = file.clone();
            for k in [3, 300, 301, 420] {
                odd = nth(&odd, from, to, k);
            }
            assert_same_events(odd.as_bytes(), "odd.xml");
        }
        let doctype = file.replacen("<Document", "<!DOCTYPE Document><Document", 1);
        let refused = events(doctype.as_bytes(), "doctype.xml", Threads::Two);
        assert!(refused.last().is_some_and(|e| e.starts_with("refused")));
        assert_same_events(doctype.as_bytes(), "doctype.xml");
    }

    /// `text` with the `k`-th `from` (counted from 0) replaced by `to`.
    fn nth(text: &str, from: &str, to: &str, k: usize) -> String {
        let at = text.match_indices(from).nth(k).map(|(i, _)| i).unwrap();
        format!("{}{to}{}", &text[..at], &text[at + from.len()..])
    }

    #[test]
    fn dates_in_content_keys_are_written_as_before() {
        for (y, m, d) in [(2026, 11, 20), (999, 1, 2), (0, 12, 31), (9999, 2, 28)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_date(date), date.to_string());
        }
    }

    proptest::proptest! {
        /// The direct date reader accepts and refuses exactly what chrono's does.
        #[test]
        fn dates_are_read_as_chrono_reads_them(y in 0u32..10_000, m in 0u32..14, d in 0u32..33) {
            let text = format!("{y:04}-{m:02}-{d:02}");
            proptest::prop_assert_eq!(ymd(&text), NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok());
        }
    }

    #[test]
    fn dates_in_other_forms_still_go_to_chrono() {
        for text in [
            "2026-1-05",
            "+2026-11-2",
            "2026-11-20",
            "2026-02-30",
            "20261120",
            "",
        ] {
            assert_eq!(
                ymd(text),
                NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn a_file_of_many_small_statements_gives_the_same_events_on_two_threads() {
        // Auto counts the entries of the whole file, so it moves to two threads here too.
        let file = statement(5, PIPELINE_AFTER / 2);
        let entries = assert_same_events(file.as_bytes(), "many.xml");
        // 640 `Ntry`, the first of each statement a batch split in two.
        assert_eq!(entries, 6 * PIPELINE_AFTER / 2);
    }
}
