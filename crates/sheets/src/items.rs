//! From a table to the records of accounts receivable: customers, invoices, credit notes
//! and payments. A row that cannot be read is reported with its file, sheet, row, column
//! and value, and skipped; every other row is still read.

use crate::columns::{ColumnMap, Field, detect_columns, normalize_header};
use crate::table::{Cell, Row, SheetKind, SheetOptions, Source, Table, read_table};
use crate::{SheetsError, parse_amount_with_currency, parse_date, parse_serial};
use arsync_model::{
    Allocation, CreditNote, Currency, DocumentStatus, Invoice, ItemKind, Money, Origin, Party,
    Payment, PaymentStatus, payload_hash,
};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// A row that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// File name.
    pub file: String,
    /// Sheet name ("" for csv).
    pub sheet: String,
    /// Row number as the spreadsheet shows it.
    pub row: usize,
    /// Header of the offending column, when one is to blame.
    pub column: Option<String>,
    /// Field the column was read as.
    pub field: Option<Field>,
    /// The offending value as text.
    pub value: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if !self.sheet.is_empty() {
            write!(f, " [sheet '{}']", self.sheet)?;
        }
        write!(f, " row {}", self.row)?;
        if let Some(c) = &self.column {
            write!(f, ", column '{c}'")?;
        }
        if let Some(field) = self.field {
            write!(f, " ({field})")?;
        }
        write!(f, ": {}", self.message)?;
        if !self.value.is_empty() {
            write!(f, " (value '{}')", self.value)?;
        }
        write!(f, "; {}", self.hint)
    }
}

/// Everything read from one sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemsFile {
    /// Customers named in the rows, one per customer id, in order of first appearance.
    pub parties: Vec<Party>,
    /// Invoices.
    pub invoices: Vec<Invoice>,
    /// Credit notes.
    pub credit_notes: Vec<CreditNote>,
    /// Payments, allocated to the invoice a row names when it is in the same currency.
    pub payments: Vec<Payment>,
    /// Rows that were skipped, with why.
    pub problems: Vec<RowProblem>,
}

/// Reads a sheet's open items and payments, telling a list of payments received from an
/// open-items list by its columns ([`SheetKind::Auto`]).
///
/// Fails as a whole only when the file cannot be opened or the fields every row needs have
/// no column; a bad row becomes a [`RowProblem`].
pub fn read_items(source: Source<'_>, options: &SheetOptions) -> Result<ItemsFile, SheetsError> {
    read_items_as(source, options, SheetKind::Auto)
}

/// Reads a sheet whose kind of rows is known (see [`read_items`]).
///
/// xlsx and xlsb sheets are mapped while they are read: calamine's cell stream runs on a
/// second thread and hands over batches of rows, so the rows become records while the
/// rest of the sheet is still being inflated and parsed. The records and problems are
/// the same, in the same order, as [`read_table`] followed by
/// [`read_items_from_table_as`], which is what every other format takes.
pub fn read_items_as(
    source: Source<'_>,
    options: &SheetOptions,
    kind: SheetKind,
) -> Result<ItemsFile, SheetsError> {
    let streamed = crate::stream::stream_rows(
        source,
        options,
        |head, rows| Mapper::new(head, options, kind, rows),
        |mapper, row| mapper.push(row),
    )?;
    match streamed {
        Some(mapper) => Ok(mapper.finish()),
        None => {
            let table = read_table(source, options)?;
            read_items_from_table_as(&table, options, kind)
        }
    }
}

/// Maps an already read table (see [`read_items`]).
pub fn read_items_from_table(
    table: &Table,
    options: &SheetOptions,
) -> Result<ItemsFile, SheetsError> {
    read_items_from_table_as(table, options, SheetKind::Auto)
}

/// Maps an already read table whose kind of rows is known.
pub fn read_items_from_table_as(
    table: &Table,
    options: &SheetOptions,
    kind: SheetKind,
) -> Result<ItemsFile, SheetsError> {
    let mut mapper = Mapper::new(table, options, kind, table.rows.len())?;
    for row in &table.rows {
        mapper.push(row);
    }
    Ok(mapper.finish())
}

/// Turns the rows under one header into records, one row at a time, remembering what
/// later rows are checked against (numbers already used, customers already seen).
pub(crate) struct Mapper<'o> {
    /// The table's file, sheet and headers; its rows are not kept here.
    head: Table,
    map: ColumnMap,
    options: &'o SheetOptions,
    payments_sheet: bool,
    out: ItemsFile,
    parties: HashMap<String, usize>,
    numbers: HashMap<String, usize>,
    pending_payments: Vec<PendingPayment>,
    currencies: CurrencyCache,
}

impl<'o> Mapper<'o> {
    /// Checks the columns under `table`'s header (its rows are not read), making room for
    /// about `rows` rows.
    pub(crate) fn new(
        table: &Table,
        options: &'o SheetOptions,
        kind: SheetKind,
        rows: usize,
    ) -> Result<Self, SheetsError> {
        let map = detect_columns(&table.headers, &options.columns).map_err(|missing| {
            let (field, header) = missing
                .into_iter()
                .next()
                .unwrap_or((Field::InvoiceNumber, String::new()));
            SheetsError::MappedColumnNotFound {
                file: table.file.clone(),
                sheet: table.sheet.clone(),
                field: field.to_string(),
                header,
                headers: table.headers.clone(),
            }
        })?;
        let payments_sheet = match kind {
            SheetKind::Payments => true,
            SheetKind::OpenItems => false,
            SheetKind::Auto => map.looks_like_payments(),
        };
        let missing = if payments_sheet {
            map.missing_for_payments(options.default_currency.is_some())
        } else {
            map.missing_for_items(options.default_currency.is_some())
        };
        if !missing.is_empty() {
            return Err(SheetsError::MissingColumns {
                file: table.file.clone(),
                sheet: table.sheet.clone(),
                missing,
                headers: table.headers.clone(),
            });
        }
        Ok(Self {
            head: Table {
                file: table.file.clone(),
                sheet: table.sheet.clone(),
                header_row: table.header_row,
                headers: table.headers.clone(),
                rows: Vec::new(),
            },
            map,
            options,
            payments_sheet,
            out: ItemsFile {
                invoices: Vec::with_capacity(if payments_sheet { 0 } else { rows }),
                ..ItemsFile::default()
            },
            parties: HashMap::new(),
            numbers: HashMap::with_capacity(if payments_sheet { 0 } else { rows }),
            pending_payments: Vec::new(),
            currencies: CurrencyCache::default(),
        })
    }

    /// Reads one data row into a record or a problem.
    pub(crate) fn push(&mut self, row: &Row) {
        let reader = RowReader {
            table: &self.head,
            row,
            map: &self.map,
            options: self.options,
            payments_sheet: self.payments_sheet,
            currencies: &self.currencies,
        };
        if reader.is_totals_row() {
            return;
        }
        let out = &mut self.out;
        match reader.read() {
            Ok(record) => {
                if let Some(id) = reader.customer_key()
                    && !self.parties.contains_key(id.as_ref())
                    && let Some(mut party) = reader.party()
                {
                    // The currency of a customer's first document is taken as theirs.
                    party.currency = Some(match &record {
                        Record::Invoice(i) => i.currency,
                        Record::CreditNote(c) => c.currency,
                        Record::Payment(p) => p.amount.currency,
                    });
                    self.parties
                        .insert(party.origin.external_id.clone(), out.parties.len());
                    out.parties.push(party);
                }
                match record {
                    Record::Invoice(inv) => {
                        if let Some(first) = self.numbers.get(&inv.number) {
                            out.problems.push(reader.problem(
                                Field::InvoiceNumber,
                                &inv.number,
                                format!("the number was already used on row {first}"),
                                "give each document its own number; this row was skipped",
                            ));
                        } else {
                            self.numbers.insert(inv.number.clone(), row.number);
                            out.invoices.push(inv);
                        }
                    }
                    Record::CreditNote(cn) => {
                        if let Some(first) = self.numbers.get(&cn.number) {
                            out.problems.push(reader.problem(
                                Field::InvoiceNumber,
                                &cn.number,
                                format!("the number was already used on row {first}"),
                                "give each document its own number; this row was skipped",
                            ));
                        } else {
                            self.numbers.insert(cn.number.clone(), row.number);
                            out.credit_notes.push(cn);
                        }
                    }
                    Record::Payment(p) => self.pending_payments.push(p),
                }
            }
            Err(problem) => out.problems.push(*problem),
        }
    }

    /// Gives the payments their ids and allocations, now that every invoice is known.
    pub(crate) fn finish(mut self) -> ItemsFile {
        self.out.payments = settle_payments(
            self.pending_payments,
            &self.out.invoices,
            &self.options.connection,
            self.payments_sheet,
        );
        self.out
    }
}

enum Record {
    Invoice(Invoice),
    CreditNote(CreditNote),
    Payment(PendingPayment),
}

/// A payment row before its id and allocation are known (they depend on the other rows).
struct PendingPayment {
    row_hash: String,
    own_id: Option<String>,
    number: Option<String>,
    applies_to: Option<String>,
    customer_id: Option<String>,
    date: NaiveDate,
    amount: Money,
    reference: Option<String>,
}

/// Gives each payment its id and allocation. On a payments sheet the number column names
/// the invoice paid; the allocation is then in the payment's currency unless the invoice
/// is in the same file and in another currency, when it is left to reconciliation.
fn settle_payments(
    pending: Vec<PendingPayment>,
    invoices: &[Invoice],
    connection: &str,
    payments_sheet: bool,
) -> Vec<Payment> {
    if pending.is_empty() {
        return Vec::new();
    }
    let by_number: BTreeMap<&str, &Invoice> =
        invoices.iter().map(|i| (i.number.as_str(), i)).collect();
    let mut used_ids: BTreeSet<String> = BTreeSet::new();
    let mut payments = Vec::new();
    for p in pending {
        let target = p
            .applies_to
            .as_deref()
            .or(p.number.as_deref())
            .and_then(|n| by_number.get(n).copied());
        let own_number = p
            .number
            .as_deref()
            .filter(|n| !payments_sheet && !by_number.contains_key(n))
            .map(str::to_owned);
        let named_invoice = p.applies_to.as_deref().or(if payments_sheet {
            p.number.as_deref()
        } else {
            None
        });
        let base_id = p.own_id.clone().or(own_number).unwrap_or_else(|| {
            format!(
                "payment:{}:{}:{}:{}",
                p.date,
                p.customer_id.as_deref().unwrap_or("-"),
                p.amount,
                target.map_or(named_invoice.unwrap_or("-"), |i| i.number.as_str())
            )
        });
        let mut id = base_id.clone();
        let mut n = 2;
        while used_ids.contains(&id) {
            id = format!("{base_id}#{n}");
            n += 1;
        }
        used_ids.insert(id.clone());
        let allocations = match (target, named_invoice) {
            _ if p.amount.amount <= Decimal::ZERO => Vec::new(),
            (Some(inv), _) if inv.currency == p.amount.currency => vec![Allocation {
                item_kind: ItemKind::Invoice,
                item_id: inv.origin.external_id.clone(),
                amount: p.amount.amount.min(inv.total),
            }],
            (None, Some(number)) if payments_sheet => vec![Allocation {
                item_kind: ItemKind::Invoice,
                item_id: number.to_owned(),
                amount: p.amount.amount,
            }],
            _ => Vec::new(),
        };
        payments.push(Payment {
            origin: Origin {
                connection: connection.to_owned(),
                external_id: id,
                // A row hash identifies content; it is no ordered version.
                source_version: None,
                payload_hash: Some(p.row_hash),
            },
            customer_id: p
                .customer_id
                .or_else(|| target.map(|i| i.customer_id.clone())),
            date: p.date,
            amount: p.amount,
            reference: p.reference,
            method: None,
            book_rate: None,
            allocations,
            status: PaymentStatus::Posted,
        });
    }
    payments
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RowKind {
    Invoice,
    CreditNote,
    Payment,
}

/// Whether a cell's text labels a total or subtotal, possibly followed by what it sums.
fn is_total_label(text: &str) -> bool {
    const LABELS: [&str; 17] = [
        "total",
        "totals",
        "summe",
        "gesamt",
        "gesamtsumme",
        "endsumme",
        "zwischensumme",
        "teilsumme",
        "total general",
        "grand total",
        "sum",
        "subtotal",
        "sub total",
        "sous total",
        "total client",
        "somme",
        "totaal",
    ];
    let t = normalize_header(text);
    LABELS.iter().any(|label| {
        t.strip_prefix(label)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

fn kind_from_text(text: &str) -> Option<RowKind> {
    let t = normalize_header(text);
    const INVOICE: [&str; 9] = [
        "invoice",
        "inv",
        "rechnung",
        "re",
        "ar",
        "facture",
        "fac",
        "bill",
        "sales invoice",
    ];
    const CREDIT: [&str; 12] = [
        "credit note",
        "credit",
        "cn",
        "credit memo",
        "gutschrift",
        "gs",
        "avoir",
        "note de credit",
        "creditnote",
        "credit notes",
        "rechnungskorrektur",
        "storno",
    ];
    const PAYMENT: [&str; 11] = [
        "payment",
        "receipt",
        "pmt",
        "zahlung",
        "zahlungseingang",
        "paiement",
        "reglement",
        "encaissement",
        "received payment",
        "customer payment",
        "pay",
    ];
    if INVOICE.contains(&t.as_str()) {
        Some(RowKind::Invoice)
    } else if CREDIT.contains(&t.as_str()) {
        Some(RowKind::CreditNote)
    } else if PAYMENT.contains(&t.as_str()) {
        Some(RowKind::Payment)
    } else {
        None
    }
}

fn status_from_text(text: &str) -> Option<DocumentStatus> {
    let t = normalize_header(text);
    let open = [
        "open",
        "offen",
        "ouvert",
        "ouverte",
        "overdue",
        "partially paid",
        "partial",
        "partly paid",
        "teilbezahlt",
        "teilweise bezahlt",
        "en retard",
        "sent",
        "authorised",
        "authorized",
        "approved",
        "unpaid",
        "unbezahlt",
        "impaye",
        "impayee",
        "due",
        "ueberfallig",
        "uberfallig",
        "partiellement paye",
        "partiellement payee",
        "current",
    ];
    let paid = [
        "paid",
        "bezahlt",
        "beglichen",
        "ausgeglichen",
        "paye",
        "payee",
        "regle",
        "reglee",
        "closed",
        "settled",
        "solde",
    ];
    let void = [
        "void",
        "voided",
        "cancelled",
        "canceled",
        "storniert",
        "annule",
        "annulee",
    ];
    let deleted = ["deleted", "geloscht", "supprime", "supprimee"];
    let draft = ["draft", "entwurf", "brouillon"];
    if open.contains(&t.as_str()) {
        Some(DocumentStatus::Open)
    } else if paid.contains(&t.as_str()) {
        Some(DocumentStatus::Paid)
    } else if void.contains(&t.as_str()) {
        Some(DocumentStatus::Void)
    } else if deleted.contains(&t.as_str()) {
        Some(DocumentStatus::Deleted)
    } else if draft.contains(&t.as_str()) {
        Some(DocumentStatus::Draft)
    } else {
        None
    }
}

/// Days of payment terms: "Net 30", "30 days", "30 Tage netto", "30 jours", "sofort".
fn days_from_terms(text: &str) -> Option<u64> {
    let t = normalize_header(text);
    if [
        "due on receipt",
        "sofort",
        "sofort fallig",
        "a reception",
        "immediate",
        "cash",
    ]
    .contains(&t.as_str())
    {
        return Some(0);
    }
    let numbers: Vec<u64> = t
        .split_whitespace()
        .filter_map(|w| {
            w.trim_start_matches(|c: char| c.is_alphabetic())
                .parse()
                .ok()
        })
        .collect();
    match numbers.as_slice() {
        [n] if *n <= 365 => Some(*n),
        _ => None,
    }
}

type Problem = Box<RowProblem>;

struct RowReader<'a> {
    table: &'a Table,
    row: &'a Row,
    map: &'a ColumnMap,
    options: &'a SheetOptions,
    payments_sheet: bool,
    currencies: &'a CurrencyCache,
}

/// The currency codes a sheet has used so far and what they parsed to: a ledger repeats a
/// handful of codes on every row.
#[derive(Default)]
struct CurrencyCache(RefCell<Vec<(String, Currency)>>);

impl CurrencyCache {
    /// The most codes remembered; a sheet with more parses the rest each time.
    const SIZE: usize = 32;

    fn parse(&self, text: &str) -> Result<Currency, arsync_model::ModelError> {
        if let Some((_, c)) = self.0.borrow().iter().find(|(t, _)| t == text) {
            return Ok(*c);
        }
        let currency = Currency::parse(text)?;
        let mut known = self.0.borrow_mut();
        if known.len() < Self::SIZE {
            known.push((text.to_owned(), currency));
        }
        Ok(currency)
    }
}

impl RowReader<'_> {
    fn cell(&self, field: Field) -> Option<&Cell> {
        self.map
            .get(field)
            .and_then(|i| self.row.cells.get(i))
            .filter(|c| !c.is_empty())
    }

    fn text(&self, field: Field) -> Option<String> {
        self.cell(field).map(Cell::text)
    }

    /// The cell as text, borrowed when it is text.
    fn str_of(&self, field: Field) -> Option<Cow<'_, str>> {
        self.cell(field).map(|c| match c {
            Cell::Text(t) => Cow::Borrowed(t.as_str()),
            other => Cow::Owned(other.text()),
        })
    }

    fn problem(
        &self,
        field: Field,
        value: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> RowProblem {
        RowProblem {
            file: self.table.file.clone(),
            sheet: self.table.sheet.clone(),
            row: self.row.number,
            column: self.map.header(field).map(str::to_owned),
            field: Some(field),
            value: value.to_owned(),
            message: message.into(),
            hint: hint.into(),
        }
    }

    fn boxed(
        &self,
        field: Field,
        value: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Problem {
        Box::new(self.problem(field, value, message, hint))
    }

    fn required_text(&self, field: Field, hint: &str) -> Result<String, Problem> {
        self.text(field)
            .ok_or_else(|| self.boxed(field, "", format!("{field} is empty"), hint))
    }

    fn amount(&self, field: Field) -> Result<Option<(Decimal, Option<&'static str>)>, Problem> {
        match self.cell(field) {
            None => Ok(None),
            Some(Cell::Number(n)) => Ok(Some((*n, None))),
            Some(Cell::Text(t)) => parse_amount_with_currency(t, self.options.decimal)
                .map(|p| Some((p.value, p.currency)))
                .map_err(|e| {
                    self.boxed(
                        field,
                        t,
                        e.to_string(),
                        "write the amount with digits (e.g. 1.234,56 or 1,234.56) or set `decimal` for this connection",
                    )
                }),
            Some(other) => Err(self.boxed(
                field,
                &other.text(),
                "the cell does not hold an amount",
                "enter a number",
            )),
        }
    }

    fn date(&self, field: Field) -> Result<Option<NaiveDate>, Problem> {
        let hint =
            "enter a real date (2026-11-23, 23.11.2026) or set `date_order` for this connection";
        match self.cell(field) {
            None => Ok(None),
            Some(Cell::Date(d)) => Ok(Some(*d)),
            Some(Cell::Number(n)) => parse_serial(*n, self.options.date_system)
                .map(Some)
                .map_err(|e| self.boxed(field, &n.to_string(), e.to_string(), hint)),
            Some(Cell::Text(t)) => parse_date(t, self.options.date_order)
                .map(Some)
                .map_err(|e| self.boxed(field, t, e.to_string(), hint)),
            Some(other) => {
                Err(self.boxed(field, &other.text(), "the cell does not hold a date", hint))
            }
        }
    }

    /// A totals or subtotal line: it names no invoice (or names a total where the number
    /// goes), carries no issue or due date, and a cell reads "Total", "Summe",
    /// "Zwischensumme", "Sous-total" or such, alone or followed by the customer it sums
    /// ("Summe Müller GmbH", as DATEV and SAP lists print between customers).
    fn is_totals_row(&self) -> bool {
        self.cell(Field::IssueDate).is_none()
            && self.cell(Field::DueDate).is_none()
            && self
                .text(Field::InvoiceNumber)
                .is_none_or(|t| is_total_label(&t))
            && self.row.cells.iter().any(|c| is_total_label(&c.text()))
    }

    fn row_hash(&self) -> String {
        let mut payload = String::with_capacity(256);
        for (i, cell) in self.row.cells.iter().enumerate() {
            let header = self.table.headers.get(i).map_or("", String::as_str);
            payload.push_str(header);
            payload.push('=');
            cell.write_text(&mut payload);
            payload.push('\u{1f}');
        }
        payload_hash(payload.as_bytes())
    }

    fn origin(&self, external_id: String) -> Origin {
        Origin {
            connection: self.options.connection.clone(),
            external_id,
            // A row hash identifies content; it is no ordered version, so the store
            // compares content instead.
            source_version: None,
            payload_hash: Some(self.row_hash()),
        }
    }

    /// [`Self::customer_id`] without a copy.
    fn customer_key(&self) -> Option<Cow<'_, str>> {
        self.str_of(Field::CustomerId)
            .or_else(|| self.str_of(Field::Customer))
    }

    fn customer_id(&self) -> Option<String> {
        self.text(Field::CustomerId)
            .or_else(|| self.text(Field::Customer))
    }

    fn party(&self) -> Option<Party> {
        let id = self.customer_id()?;
        let name = self.text(Field::Customer).unwrap_or_else(|| id.clone());
        let mut party = Party::new(Origin::new(self.options.connection.clone(), id), name).ok()?;
        party.email = self.text(Field::Email);
        party.country = self.text(Field::Country).map(|c| c.to_uppercase());
        Some(party)
    }

    fn currency(&self, symbols: &[Option<&'static str>]) -> Result<Currency, Problem> {
        let from_symbol = symbols.iter().flatten().next().copied();
        if let Some(text) = self.str_of(Field::Currency) {
            let currency = self.currencies.parse(&text).map_err(|e| {
                self.boxed(
                    Field::Currency,
                    &text,
                    e.to_string(),
                    "write a three-letter ISO code such as EUR",
                )
            })?;
            if let Some(sym) = from_symbol
                && sym != currency.code()
            {
                return Err(self.boxed(
                    Field::Currency,
                    &text,
                    format!(
                        "the amounts are written in {sym} but the currency column says {currency}"
                    ),
                    "make the currency column and the amounts agree",
                ));
            }
            return Ok(currency);
        }
        if let Some(sym) = from_symbol {
            return Currency::parse(sym).map_err(|e| {
                self.boxed(Field::Currency, sym, e.to_string(), "add a Currency column")
            });
        }
        self.options.default_currency.ok_or_else(|| {
            self.boxed(
                Field::Currency,
                "",
                "the row names no currency",
                "fill the Currency column or set `default_currency` for this connection",
            )
        })
    }

    fn kind(&self, negative: bool) -> Result<RowKind, Problem> {
        match self.text(Field::Kind) {
            Some(t) => kind_from_text(&t).ok_or_else(|| {
                self.boxed(
                    Field::Kind,
                    &t,
                    "not a kind of document arsync knows",
                    "write invoice, credit note or payment (or Rechnung/Gutschrift/Zahlung, facture/avoir/paiement)",
                )
            }),
            None if negative => Ok(RowKind::CreditNote),
            None => Ok(RowKind::Invoice),
        }
    }

    fn status(&self) -> Result<Option<DocumentStatus>, Problem> {
        match self.text(Field::Status) {
            None => Ok(None),
            Some(t) => status_from_text(&t).map(Some).ok_or_else(|| {
                self.boxed(Field::Status, &t, "not a status arsync knows", "write open, paid, void, deleted or draft (or offen/bezahlt/storniert, ouvert/payé/annulé)")
            }),
        }
    }

    fn read(&self) -> Result<Record, Problem> {
        let total = self.amount(Field::Total)?;
        let open = self.amount(Field::OpenAmount)?;
        let paid = self.amount(Field::Paid)?;
        let payment_amount = self.amount(Field::PaymentAmount)?;
        let negative = [total, open]
            .iter()
            .flatten()
            .any(|(v, _)| v.is_sign_negative() && !v.is_zero());
        let kind = if self.payments_sheet {
            RowKind::Payment
        } else {
            self.kind(negative)?
        };
        let symbols = [total, open, paid, payment_amount].map(|a| a.and_then(|(_, c)| c));
        let currency = self.currency(&symbols)?;
        let val = |a: Option<(Decimal, Option<&'static str>)>| a.map(|(v, _)| v);
        match kind {
            RowKind::Payment => {
                self.payment(currency, val(payment_amount).or(val(total)).or(val(paid)))
            }
            RowKind::Invoice => self.invoice(currency, val(total), val(open), val(paid)),
            RowKind::CreditNote => self.credit_note(currency, val(total), val(open), val(paid)),
        }
    }

    fn document_id(&self, number: &str) -> String {
        self.text(Field::DocumentId)
            .unwrap_or_else(|| number.to_owned())
    }

    fn invoice(
        &self,
        currency: Currency,
        total: Option<Decimal>,
        open: Option<Decimal>,
        paid: Option<Decimal>,
    ) -> Result<Record, Problem> {
        let number = self.required_text(
            Field::InvoiceNumber,
            "every invoice needs its number; fill the cell",
        )?;
        let customer_id = self.customer_id().ok_or_else(|| {
            self.boxed(
                Field::Customer,
                "",
                "the row names no customer",
                "fill the customer name or number",
            )
        })?;
        let issue_date = self.date(Field::IssueDate)?.ok_or_else(|| {
            self.boxed(
                Field::IssueDate,
                "",
                "issue_date is empty",
                "fill the invoice date",
            )
        })?;
        let due_date =
            match self.date(Field::DueDate)? {
                Some(d) => d,
                None => {
                    let terms = self.text(Field::Terms).unwrap_or_default();
                    let days =
                        days_from_terms(&terms).ok_or_else(|| {
                            self.boxed(
                        if self.map.has(Field::DueDate) { Field::DueDate } else { Field::Terms },
                        &terms,
                        "no due date, and no payment terms with a number of days to compute it",
                        "fill the due date, or write terms such as 'Net 30'",
                    )
                        })?;
                    issue_date
                        .checked_add_days(Days::new(days))
                        .ok_or_else(|| {
                            self.boxed(
                                Field::Terms,
                                &terms,
                                "the due date is out of range",
                                "check the terms",
                            )
                        })?
                }
            };
        let status = self.status()?;
        let total = total
            .or(match (open, paid) {
                (Some(o), Some(p)) => Some(o + p),
                (Some(o), None) => Some(o),
                _ => None,
            })
            .ok_or_else(|| {
                self.boxed(
                    Field::Total,
                    "",
                    "the row has no amount",
                    "fill the total or the amount due",
                )
            })?;
        let open_amount = match (open, paid, status) {
            (Some(o), _, _) => o,
            (None, Some(p), _) => total - p,
            (None, None, Some(DocumentStatus::Paid)) => Decimal::ZERO,
            (None, None, _) => total,
        };
        let status = status.unwrap_or(if open_amount.is_zero() {
            DocumentStatus::Paid
        } else {
            DocumentStatus::Open
        });
        let invoice = Invoice {
            origin: self.origin(self.document_id(&number)),
            number,
            customer_id,
            customer_name: self.text(Field::Customer),
            issue_date,
            due_date,
            terms: self.text(Field::Terms),
            currency,
            total,
            open_amount,
            book_rate: None,
            home_total: None,
            home_open: None,
            payment_reference: self.text(Field::PaymentReference),
            status,
        };
        invoice.validate().map_err(|e| {
            let field = match e {
                arsync_model::ModelError::TooPrecise {
                    field: "open_amount",
                    ..
                }
                | arsync_model::ModelError::Negative {
                    field: "open_amount",
                    ..
                } => Field::OpenAmount,
                arsync_model::ModelError::Inconsistent { ref reason, .. }
                    if reason.contains("due date") =>
                {
                    Field::DueDate
                }
                _ => Field::Total,
            };
            self.boxed(
                field,
                &self.text(field).unwrap_or_default(),
                e.to_string(),
                "correct the row in the sheet; it was skipped",
            )
        })?;
        Ok(Record::Invoice(invoice))
    }

    fn credit_note(
        &self,
        currency: Currency,
        total: Option<Decimal>,
        open: Option<Decimal>,
        paid: Option<Decimal>,
    ) -> Result<Record, Problem> {
        let number = self.required_text(
            Field::InvoiceNumber,
            "every credit note needs its number; fill the cell",
        )?;
        let customer_id = self.customer_id().ok_or_else(|| {
            self.boxed(
                Field::Customer,
                "",
                "the row names no customer",
                "fill the customer name or number",
            )
        })?;
        let issue_date = self.date(Field::IssueDate)?.ok_or_else(|| {
            self.boxed(
                Field::IssueDate,
                "",
                "issue_date is empty",
                "fill the credit note's date",
            )
        })?;
        let status = self.status()?;
        let total = total.or(open).map(|t| t.abs()).ok_or_else(|| {
            self.boxed(
                Field::Total,
                "",
                "the row has no amount",
                "fill the credited amount",
            )
        })?;
        let remaining = match (open, paid) {
            (Some(o), _) => o.abs(),
            (None, Some(p)) => total - p.abs(),
            (None, None) => total,
        };
        let status = status.unwrap_or(if remaining.is_zero() {
            DocumentStatus::Paid
        } else {
            DocumentStatus::Open
        });
        let note = CreditNote {
            origin: self.origin(self.document_id(&number)),
            number,
            customer_id,
            customer_name: self.text(Field::Customer),
            issue_date,
            currency,
            total,
            remaining,
            book_rate: None,
            home_total: None,
            reference: self.text(Field::AppliesTo),
            status,
        };
        note.validate().map_err(|e| {
            self.boxed(
                Field::Total,
                &self.text(Field::Total).unwrap_or_default(),
                e.to_string(),
                "correct the row in the sheet; it was skipped",
            )
        })?;
        Ok(Record::CreditNote(note))
    }

    fn payment(&self, currency: Currency, amount: Option<Decimal>) -> Result<Record, Problem> {
        let date = match self.date(Field::PaymentDate)? {
            Some(d) => d,
            None => self.date(Field::IssueDate)?.ok_or_else(|| {
                self.boxed(
                    Field::PaymentDate,
                    "",
                    "the payment has no date",
                    "fill the payment date",
                )
            })?,
        };
        let amount = amount.ok_or_else(|| {
            self.boxed(
                Field::PaymentAmount,
                "",
                "the payment has no amount",
                "fill the amount received",
            )
        })?;
        let money = Money::new(amount.abs(), currency);
        if !money.fits_minor_units() {
            return Err(self.boxed(
                Field::PaymentAmount,
                &amount.to_string(),
                format!(
                    "{currency} has {} decimals, the amount has more",
                    currency.minor_units()
                ),
                "correct the amount",
            ));
        }
        Ok(Record::Payment(PendingPayment {
            row_hash: self.row_hash(),
            own_id: self.text(Field::DocumentId),
            number: self.text(Field::InvoiceNumber),
            applies_to: self.text(Field::AppliesTo),
            customer_id: self.customer_id(),
            date,
            amount: money,
            reference: self.text(Field::PaymentReference),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn csv(text: &str, options: &SheetOptions) -> ItemsFile {
        read_items(
            Source::Bytes {
                name: "books.csv",
                bytes: text.as_bytes(),
            },
            options,
        )
        .unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn options_come_from_configuration_with_snake_case_names() {
        let json = r#"{"connection":"books","sheet":"OP","header_row":{"row":3},"columns":{"due_date":"Fällig","open_amount":"Rest"},"date_order":"mdy","default_currency":"CHF","decimal":"comma","delimiter":";"}"#;
        let o: SheetOptions = serde_json::from_str(json).unwrap();
        assert_eq!(o.header_row, crate::HeaderRow::Row(3));
        assert_eq!(
            o.columns.get(&Field::DueDate).map(String::as_str),
            Some("Fällig")
        );
        assert_eq!(o.date_order, crate::DateOrder::Mdy);
        assert_eq!(o.default_currency.map(|c| c.code()), Some("CHF"));
        let err = serde_json::from_str::<SheetOptions>(r#"{"colums":{}}"#).unwrap_err();
        assert!(err.to_string().contains("colums"), "{err}");
    }

    #[test]
    fn a_partly_paid_invoice_keeps_its_total_and_its_balance() {
        let f = csv(
            "Invoice No,Customer,Invoice Date,Due Date,Amount,Amount Due,Currency\n\
             INV-1001,Acme GmbH,2026-09-01,2026-10-01,\"1,190.00\",400.00,EUR\n",
            &SheetOptions::default(),
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let inv = &f.invoices[0];
        assert_eq!((inv.total, inv.open_amount), (dec!(1190.00), dec!(400.00)));
        assert_eq!(inv.status, DocumentStatus::Open);
        assert_eq!(inv.origin.external_id, "INV-1001");
        assert_eq!(inv.due_date, d(2026, 10, 1));
        assert_eq!(f.parties.len(), 1);
        assert_eq!(f.parties[0].name, "Acme GmbH");
        assert_eq!(f.parties[0].currency.map(|c| c.code()), Some("EUR"));
    }

    #[test]
    fn a_bad_row_is_reported_with_its_place_and_the_others_are_read() {
        let f = csv(
            "Invoice No,Customer,Invoice Date,Due Date,Amount Due,Currency\n\
             A-1,Acme,2026-09-01,2026-10-01,100.00,EUR\n\
             A-2,Acme,2026-09-01,31.02.2026,100.00,EUR\n\
             A-3,Acme,2026-09-01,2026-10-01,lots,EUR\n\
             A-4,Acme,2026-09-01,2026-10-01,100.00,EUR\n",
            &SheetOptions::default(),
        );
        let numbers: Vec<_> = f.invoices.iter().map(|i| i.number.as_str()).collect();
        assert_eq!(numbers, vec!["A-1", "A-4"]);
        assert_eq!(f.problems.len(), 2);
        let p = &f.problems[0];
        assert_eq!(
            (p.row, p.column.as_deref(), p.field),
            (3, Some("Due Date"), Some(Field::DueDate))
        );
        assert_eq!(p.value, "31.02.2026");
        assert!(
            p.to_string()
                .starts_with("books.csv row 3, column 'Due Date' (due_date)"),
            "{p}"
        );
        assert_eq!(f.problems[1].field, Some(Field::OpenAmount));
    }

    #[test]
    fn negative_rows_without_a_type_are_credit_notes() {
        let f = csv(
            "Rechnungsnr.;Kunde;Rechnungsdatum;Fällig am;Betrag;Währung\n\
             R-1;Müller AG;01.10.2026;31.10.2026;1.000,00;EUR\n\
             G-1;Müller AG;05.10.2026;05.10.2026;-150,00;EUR\n",
            &SheetOptions::default(),
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(f.invoices.len(), 1);
        assert_eq!(f.credit_notes.len(), 1);
        assert_eq!(f.credit_notes[0].total, dec!(150.00));
        assert_eq!(f.credit_notes[0].remaining, dec!(150.00));
    }

    #[test]
    fn due_dates_come_from_terms_when_the_column_is_missing() {
        let f = csv(
            "Inv #,Customer,Date,Terms,Total\nX-1,Acme,2026-10-01,Net 30,50.00\nX-2,Acme,2026-10-01,whenever,50.00\n",
            &SheetOptions {
                default_currency: Some(Currency::parse("USD").unwrap()),
                ..SheetOptions::default()
            },
        );
        assert_eq!(f.invoices[0].due_date, d(2026, 10, 31));
        assert_eq!(f.invoices[0].currency.code(), "USD");
        assert_eq!(f.problems.len(), 1);
        assert_eq!(f.problems[0].field, Some(Field::Terms));
    }

    #[test]
    fn a_sheet_without_due_dates_or_terms_is_refused_naming_the_missing_fields() {
        let err = read_items(
            Source::Bytes {
                name: "aging.csv",
                bytes: b"Invoice No,Customer,Date,Amount,Currency\n1,A,2026-01-01,1,EUR\n",
            },
            &SheetOptions::default(),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("aging.csv")
                && msg.contains("due_date or terms")
                && msg.contains("columns"),
            "{msg}"
        );
    }

    #[test]
    fn payments_are_allocated_to_the_invoice_they_name() {
        let f = csv(
            "Type,Number,Customer,Date,Due Date,Amount,Currency,Applies To\n\
             Invoice,INV-7,Globex Ltd,2026-10-01,2026-10-31,500.00,GBP,\n\
             Payment,PAY-1,Globex Ltd,2026-10-20,,200.00,GBP,INV-7\n\
             Payment,,Globex Ltd,2026-10-21,,50.00,GBP,INV-7\n",
            &SheetOptions::default(),
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(f.payments.len(), 2);
        assert_eq!(f.payments[0].origin.external_id, "PAY-1");
        assert_eq!(f.payments[0].allocations[0].item_id, "INV-7");
        assert_eq!(f.payments[0].allocations[0].amount, dec!(200.00));
        assert!(
            f.payments[1]
                .origin
                .external_id
                .starts_with("payment:2026-10-21:Globex Ltd")
        );
        assert_eq!(f.payments[1].date, d(2026, 10, 21));
    }

    #[test]
    fn a_sheet_of_payments_received_names_the_invoices_they_pay() {
        let f = csv(
            "Payment Date,Customer,Invoice No,Amount Received,Currency,Reference\n\
             2026-11-02,Acme GmbH,INV-1001,400.00,EUR,RF18 5390 0754 7034\n\
             2026-11-03,Acme GmbH,,50.00,EUR,on account\n\
             2026-11-04,Acme GmbH,INV-1002,lots,EUR,\n",
            &SheetOptions::default(),
        );
        assert_eq!(f.payments.len(), 2);
        assert!(f.invoices.is_empty());
        let first = &f.payments[0];
        assert_eq!(
            (first.date, first.amount.amount),
            (d(2026, 11, 2), dec!(400.00))
        );
        assert_eq!(first.allocations[0].item_id, "INV-1001");
        assert_eq!(first.customer_id.as_deref(), Some("Acme GmbH"));
        assert_eq!(first.reference.as_deref(), Some("RF18 5390 0754 7034"));
        assert!(f.payments[1].allocations.is_empty());
        assert_ne!(first.origin.external_id, f.payments[1].origin.external_id);
        assert_eq!(
            (f.problems[0].row, f.problems[0].field),
            (4, Some(Field::PaymentAmount))
        );
        let err = read_items_as(
            Source::Bytes {
                name: "p.csv",
                bytes: b"Date,Customer\n2026-11-02,A\n",
            },
            &SheetOptions::default(),
            SheetKind::Payments,
        )
        .unwrap_err();
        assert!(err.to_string().contains("payment_amount"), "{err}");
    }

    #[test]
    fn the_row_hash_changes_when_the_row_changes_and_only_then() {
        let a = csv(
            "Invoice No,Customer,Date,Due Date,Amount,Currency\nA,B,2026-01-01,2026-02-01,10.00,EUR\n",
            &SheetOptions::default(),
        );
        let b = csv(
            "Invoice No,Customer,Date,Due Date,Amount,Currency\nA,B,2026-01-01,2026-02-01,10.00,EUR\n",
            &SheetOptions::default(),
        );
        let c = csv(
            "Invoice No,Customer,Date,Due Date,Amount,Currency\nA,B,2026-01-01,2026-02-01,12.00,EUR\n",
            &SheetOptions::default(),
        );
        assert_eq!(
            a.invoices[0].origin.payload_hash,
            b.invoices[0].origin.payload_hash
        );
        assert_ne!(
            a.invoices[0].origin.payload_hash,
            c.invoices[0].origin.payload_hash
        );
    }

    #[test]
    fn a_duplicate_number_and_a_totals_line_are_handled() {
        let f = csv(
            "Invoice No,Customer,Date,Due Date,Amount,Currency\n\
             A,B,2026-01-01,2026-02-01,10.00,EUR\n\
             A,B,2026-01-02,2026-02-01,11.00,EUR\n\
             ,Total,,,21.00,\n",
            &SheetOptions::default(),
        );
        assert_eq!(f.invoices.len(), 1);
        assert_eq!(f.problems.len(), 1);
        assert!(f.problems[0].message.contains("row 2"), "{}", f.problems[0]);
    }

    #[test]
    fn currency_symbols_in_amounts_name_the_currency_and_must_agree_with_the_column() {
        let f = csv(
            "Invoice No,Customer,Date,Due Date,Amount,Currency\n\
             A,B,2026-01-01,2026-02-01,£10.00,\n\
             C,B,2026-01-01,2026-02-01,£10.00,EUR\n",
            &SheetOptions::default(),
        );
        assert_eq!(f.invoices[0].currency.code(), "GBP");
        assert_eq!(f.problems.len(), 1);
        assert_eq!(f.problems[0].field, Some(Field::Currency));
    }
}
