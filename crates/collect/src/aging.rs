//! Aging: how long the open receivables have been overdue on a date, per customer and
//! currency, with home-currency totals where a rate is known and a clear mark where not.
//!
//! Decisions this module makes, so a reader of the report knows what the figures mean:
//! - Only open invoices ([`DocumentStatus::Open`]) with an open amount above zero age. Paid,
//!   draft, void and deleted documents are left out; an invoice that fails its own
//!   validation is left out *and listed* in [`AgingReport::rejected`], never silently lost.
//! - An invoice is "current" until and including its due date; one day after the due date it
//!   is in the first overdue bucket (1-30 by default); exactly 30 days after, still 1-30;
//!   31 days after, 31-60.
//! - Unapplied credit notes are **not** pushed into an age bucket: the books have not said
//!   which invoice they settle, and netting them against "current" would make old debt
//!   look younger. They appear as a separate, negative `unapplied_credit` column, and
//!   `net` = open + unapplied credit is what the customer owes overall. The buckets
//!   therefore always add up to `open`.
//! - Home-currency figures use, in this order: the amount in home currency the books hold
//!   for the document; the books' own rate for the document; the rate the caller's
//!   [`HomeRate`] gives for the as-of date. Each line says which one ([`HomeBasis`]).
//!   Converted amounts are rounded half-up to the home currency's minor units per line,
//!   then summed. A line with no rate at all is kept out of the home figures and listed
//!   in `missing_rate`, so a home total is never silently short.

use crate::error::{CollectError, Result};
use arsync_model::{
    CreditNote, Currency, DocumentStatus, Invoice, ItemKind, Money, Party, Rounding, days_between,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The age buckets of a report: "current" and then one bucket per edge plus an open-ended
/// last one. Edges `[30, 60, 90]` give current, 1-30, 31-60, 61-90, over 90.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AgingBucketsSetting", into = "AgingBucketsSetting")]
pub struct AgingBuckets {
    edges: Vec<i64>,
    labels: Vec<String>,
}

/// How aging buckets are written in the configuration (`[collect.aging]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgingBucketsSetting {
    /// Upper day of each overdue bucket but the last, e.g. `[30, 60, 90]`.
    pub edges: Vec<i64>,
    /// One label per bucket (edges + 2: "current", one per edge, the open-ended last);
    /// derived when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
}

impl TryFrom<AgingBucketsSetting> for AgingBuckets {
    type Error = CollectError;
    fn try_from(s: AgingBucketsSetting) -> Result<Self> {
        match s.labels {
            Some(labels) => AgingBuckets::with_labels(s.edges, labels),
            None => AgingBuckets::new(s.edges),
        }
    }
}

impl From<AgingBuckets> for AgingBucketsSetting {
    fn from(b: AgingBuckets) -> Self {
        AgingBucketsSetting {
            edges: b.edges,
            labels: Some(b.labels),
        }
    }
}

impl Default for AgingBuckets {
    /// current, 1-30, 31-60, 61-90, over 90.
    fn default() -> Self {
        let edges = vec![30, 60, 90];
        let labels = default_labels(&edges);
        AgingBuckets { edges, labels }
    }
}

fn default_labels(edges: &[i64]) -> Vec<String> {
    let mut labels = vec!["current".to_owned()];
    let mut lower = 1;
    for edge in edges {
        labels.push(format!("{lower}-{edge}"));
        lower = edge + 1;
    }
    if let Some(last) = edges.last() {
        labels.push(format!("over {last}"));
    } else {
        labels.push("overdue".to_owned());
    }
    labels
}

impl AgingBuckets {
    /// Buckets with the given edges and derived labels. Edges must be positive and
    /// strictly increasing; an empty list gives just "current" and "overdue".
    pub fn new(edges: Vec<i64>) -> Result<Self> {
        validate_edges(&edges)?;
        let labels = default_labels(&edges);
        Ok(AgingBuckets { edges, labels })
    }

    /// Buckets with the given edges and labels, one per bucket: "current", one per edge and
    /// the open-ended last one (edges + 2).
    pub fn with_labels(edges: Vec<i64>, labels: Vec<String>) -> Result<Self> {
        validate_edges(&edges)?;
        if labels.len() != edges.len() + 2 {
            return Err(CollectError::BucketLabels {
                labels: labels.len(),
                buckets: edges.len() + 2,
            });
        }
        Ok(AgingBuckets { edges, labels })
    }

    /// The edges.
    pub fn edges(&self) -> &[i64] {
        &self.edges
    }

    /// One label per bucket, "current" first.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Number of buckets (edges + 1).
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Always false: there is at least the "current" and one overdue bucket.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The bucket for an item `days_overdue` days past due (zero or less is current).
    pub fn index_for(&self, days_overdue: i64) -> usize {
        if days_overdue <= 0 {
            return 0;
        }
        self.edges
            .iter()
            .position(|edge| days_overdue <= *edge)
            .map_or(self.edges.len() + 1, |i| i + 1)
    }

    /// The label of the bucket for an item `days_overdue` days past due.
    pub fn label_for(&self, days_overdue: i64) -> &str {
        self.labels
            .get(self.index_for(days_overdue))
            .map_or("", String::as_str)
    }
}

fn validate_edges(edges: &[i64]) -> Result<()> {
    let bad = |reason: String| CollectError::BucketEdges {
        edges: edges.to_vec(),
        reason,
    };
    if let Some(e) = edges.iter().find(|e| **e <= 0) {
        return Err(bad(format!("{e} is not a positive number of days")));
    }
    if let Some(w) = edges.windows(2).find(|w| w[1] <= w[0]) {
        return Err(bad(format!("{} does not come after {}", w[1], w[0])));
    }
    Ok(())
}

/// Where a home-currency rate comes from when the books do not hold one. The CLI
/// implements it over the stored reference rates (ECB). `rate` is units of `to` per one
/// unit of `from`, as known on `on` (the latest fixing on or before that date is usual).
pub trait HomeRate {
    /// The rate, or `None` when none is known.
    fn rate(&self, from: Currency, to: Currency, on: NaiveDate) -> Option<Decimal>;
}

impl<F> HomeRate for F
where
    F: Fn(Currency, Currency, NaiveDate) -> Option<Decimal>,
{
    fn rate(&self, from: Currency, to: Currency, on: NaiveDate) -> Option<Decimal> {
        self(from, to, on)
    }
}

/// A [`HomeRate`] that knows no rates: only the books' own home amounts and rates count.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRates;

impl HomeRate for NoRates {
    fn rate(&self, _: Currency, _: Currency, _: NaiveDate) -> Option<Decimal> {
        None
    }
}

/// Which figure a line's home-currency amount was taken from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "basis")]
pub enum HomeBasis {
    /// The document is in the home currency.
    HomeCurrency,
    /// The books' own home-currency amount for the document, used as given.
    BookAmount,
    /// The books' rate for the document (home units per document unit).
    BookRate {
        /// The rate.
        #[serde(with = "rust_decimal::serde::str")]
        rate: Decimal,
    },
    /// The caller's reference rate on the as-of date.
    ReferenceRate {
        /// The rate.
        #[serde(with = "rust_decimal::serde::str")]
        rate: Decimal,
        /// The date asked for.
        on: NaiveDate,
    },
    /// No rate known: the line is left out of home figures.
    Missing,
}

/// One open document in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingLine {
    /// Invoice or credit note.
    pub kind: ItemKind,
    /// Connection of the document.
    pub connection: String,
    /// External id of the document.
    pub item_id: String,
    /// Document number.
    pub number: String,
    /// External id of the customer.
    pub customer_id: String,
    /// Due date of an invoice, issue date of a credit note.
    pub date: NaiveDate,
    /// Days past due on the as-of date (invoices only; zero or less is current).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<i64>,
    /// Bucket index (invoices only); `None` for unapplied credit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<usize>,
    /// Open amount in the document currency; negative for unapplied credit.
    pub open: Money,
    /// Open amount in the home currency, when a rate is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<Money>,
    /// Where the home amount came from.
    pub home_basis: HomeBasis,
}

/// Amounts in one currency, split by age.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingAmounts {
    /// One amount per bucket, "current" first.
    pub buckets: Vec<Money>,
    /// Sum of the buckets: what is open on invoices.
    pub open: Money,
    /// Unapplied credit (zero or negative).
    pub unapplied_credit: Money,
    /// `open + unapplied_credit`.
    pub net: Money,
}

/// A document left out of the home figures because no rate is known for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingRate {
    /// The document ("invoice INV-7 (books:7)").
    pub item: String,
    /// Its open amount in its own currency (negative for credit).
    pub amount: Money,
}

/// Home-currency amounts of the lines that could be converted, and the lines that could not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeAmounts {
    /// Converted amounts, in the home currency.
    pub amounts: AgingAmounts,
    /// Lines left out because no rate is known; empty when the figures are complete.
    pub missing_rate: Vec<MissingRate>,
}

impl HomeAmounts {
    /// Whether every line was converted.
    pub fn is_complete(&self) -> bool {
        self.missing_rate.is_empty()
    }
}

/// One customer in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingRow {
    /// Connection of the customer's books.
    pub connection: String,
    /// External id of the customer.
    pub customer_id: String,
    /// Customer name for people.
    pub customer_name: String,
    /// Currency of the documents in this row.
    pub currency: Currency,
    /// Amounts in that currency.
    pub amounts: AgingAmounts,
    /// Amounts in the home currency.
    pub home: HomeAmounts,
}

/// All customers' totals in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyTotal {
    /// The currency.
    pub currency: Currency,
    /// Amounts in that currency.
    pub amounts: AgingAmounts,
    /// Amounts in the home currency.
    pub home: HomeAmounts,
}

/// A document that could not be aged, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// The document.
    pub record: String,
    /// Why it was left out and how to fix it.
    pub reason: String,
}

/// The aging report as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingReport {
    /// The date the report was judged (company time zone).
    pub as_of: NaiveDate,
    /// The home currency.
    pub home_currency: Currency,
    /// Bucket labels, "current" first.
    pub labels: Vec<String>,
    /// One row per customer and currency, by customer name, then currency.
    pub rows: Vec<AgingRow>,
    /// One total per currency.
    pub currency_totals: Vec<CurrencyTotal>,
    /// Everything in the home currency.
    pub home_total: HomeAmounts,
    /// Every document counted, in row order then by date.
    pub lines: Vec<AgingLine>,
    /// Documents that could not be counted.
    pub rejected: Vec<Rejected>,
}

#[derive(Debug, Clone)]
struct Acc {
    buckets: Vec<Decimal>,
    credit: Decimal,
}

impl Acc {
    fn new(n: usize) -> Self {
        Acc {
            buckets: vec![Decimal::ZERO; n],
            credit: Decimal::ZERO,
        }
    }

    fn add(&mut self, bucket: Option<usize>, amount: Decimal) {
        match bucket.and_then(|b| self.buckets.get_mut(b)) {
            Some(slot) => *slot += amount,
            None => self.credit += amount,
        }
    }

    fn amounts(&self, currency: Currency) -> AgingAmounts {
        let open: Decimal = self.buckets.iter().copied().sum();
        AgingAmounts {
            buckets: self
                .buckets
                .iter()
                .map(|b| Money::new(*b, currency))
                .collect(),
            open: Money::new(open, currency),
            unapplied_credit: Money::new(self.credit, currency),
            net: Money::new(open + self.credit, currency),
        }
    }
}

#[derive(Debug, Clone)]
struct Totals {
    doc: Acc,
    home: Acc,
    missing: Vec<MissingRate>,
}

impl Totals {
    fn new(n: usize) -> Self {
        Totals {
            doc: Acc::new(n),
            home: Acc::new(n),
            missing: Vec::new(),
        }
    }

    fn add(&mut self, line: &AgingLine, label: impl FnOnce() -> String) {
        self.doc.add(line.bucket, line.open.amount);
        match &line.home {
            Some(h) => self.home.add(line.bucket, h.amount),
            None => self.missing.push(MissingRate {
                item: label(),
                amount: line.open,
            }),
        }
    }

    fn home(&self, home: Currency) -> HomeAmounts {
        HomeAmounts {
            amounts: self.home.amounts(home),
            missing_rate: self.missing.clone(),
        }
    }
}

struct HomeContext<'a> {
    home: Currency,
    as_of: NaiveDate,
    rates: &'a dyn HomeRate,
}

impl HomeContext<'_> {
    fn convert(
        &self,
        open: Money,
        book_amount: Option<Decimal>,
        book_rate: Option<Decimal>,
    ) -> (Option<Money>, HomeBasis) {
        if open.currency == self.home {
            return (Some(open), HomeBasis::HomeCurrency);
        }
        if let Some(amount) = book_amount {
            return (Some(Money::new(amount, self.home)), HomeBasis::BookAmount);
        }
        if let Some(rate) = book_rate {
            return (
                Some(open.convert(rate, self.home, Rounding::HalfUp)),
                HomeBasis::BookRate { rate },
            );
        }
        match self.rates.rate(open.currency, self.home, self.as_of) {
            Some(rate) if rate > Decimal::ZERO => (
                Some(open.convert(rate, self.home, Rounding::HalfUp)),
                HomeBasis::ReferenceRate {
                    rate,
                    on: self.as_of,
                },
            ),
            _ => (None, HomeBasis::Missing),
        }
    }
}

/// Ages the open invoices and unapplied credit notes as of `as_of` (a civil date in the
/// company's zone). See the module documentation for what counts and how home figures are
/// found. Pure: the same inputs always give the same report.
pub fn aging(
    invoices: &[Invoice],
    credit_notes: &[CreditNote],
    parties: &[Party],
    as_of: NaiveDate,
    buckets: &AgingBuckets,
    home: Currency,
    rates: &dyn HomeRate,
) -> AgingReport {
    let ctx = HomeContext { home, as_of, rates };
    let mut lines = Vec::new();
    let mut rejected = Vec::new();

    for inv in invoices {
        if !inv.status.is_receivable() || inv.open_amount <= Decimal::ZERO {
            continue;
        }
        if let Err(e) = inv.validate() {
            rejected.push(Rejected {
                record: inv.label(),
                reason: format!("{e}; correct the document in the books and sync again"),
            });
            continue;
        }
        let days = days_between(inv.due_date, as_of);
        let open = inv.open_money();
        // The books' home amount is only trusted for the open part when it was given for it.
        let (home_amount, basis) = ctx.convert(open, inv.home_open, inv.book_rate);
        lines.push(AgingLine {
            kind: ItemKind::Invoice,
            connection: inv.origin.connection.clone(),
            item_id: inv.origin.external_id.clone(),
            number: inv.number.clone(),
            customer_id: inv.customer_id.clone(),
            date: inv.due_date,
            days_overdue: Some(days),
            bucket: Some(buckets.index_for(days)),
            open,
            home: home_amount,
            home_basis: basis,
        });
    }

    for cn in credit_notes {
        if cn.status != DocumentStatus::Open || cn.remaining <= Decimal::ZERO {
            continue;
        }
        if let Err(e) = cn.validate() {
            rejected.push(Rejected {
                record: cn.label(),
                reason: format!("{e}; correct the document in the books and sync again"),
            });
            continue;
        }
        let open = Money::new(-cn.remaining, cn.currency);
        // The books' home total only stands for the remaining credit while none is used.
        let book_amount = cn
            .home_total
            .filter(|_| cn.remaining == cn.total)
            .map(|t| -t);
        let (home_amount, basis) = ctx.convert(open, book_amount, cn.book_rate);
        lines.push(AgingLine {
            kind: ItemKind::CreditNote,
            connection: cn.origin.connection.clone(),
            item_id: cn.origin.external_id.clone(),
            number: cn.number.clone(),
            customer_id: cn.customer_id.clone(),
            date: cn.issue_date,
            days_overdue: None,
            bucket: None,
            open,
            home: home_amount,
            home_basis: basis,
        });
    }

    let names = customer_names(parties, invoices, credit_notes);
    let name_of = |connection: &str, id: &str| -> String {
        names
            .get(&(connection.to_owned(), id.to_owned()))
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    };

    // Row order: customer name, connection, customer id, currency; then lines by date.
    lines.sort_by(|a, b| {
        let ka = (
            name_of(&a.connection, &a.customer_id),
            &a.connection,
            &a.customer_id,
            a.open.currency,
        );
        let kb = (
            name_of(&b.connection, &b.customer_id),
            &b.connection,
            &b.customer_id,
            b.open.currency,
        );
        ka.cmp(&kb)
            .then(a.date.cmp(&b.date))
            .then(a.kind.cmp(&b.kind))
            .then(a.number.cmp(&b.number))
            .then(a.item_id.cmp(&b.item_id))
    });

    let n = buckets.len();
    let mut rows: Vec<(String, String, Currency, Totals)> = Vec::new();
    let mut per_currency: BTreeMap<Currency, Totals> = BTreeMap::new();
    let mut grand = Totals::new(n);
    for line in &lines {
        let label = || line_label(line);
        let same_row = rows.last().is_some_and(|(c, id, cur, _)| {
            *c == line.connection && *id == line.customer_id && *cur == line.open.currency
        });
        if !same_row {
            rows.push((
                line.connection.clone(),
                line.customer_id.clone(),
                line.open.currency,
                Totals::new(n),
            ));
        }
        if let Some((_, _, _, totals)) = rows.last_mut() {
            totals.add(line, label);
        }
        per_currency
            .entry(line.open.currency)
            .or_insert_with(|| Totals::new(n))
            .add(line, label);
        grand.add(line, label);
    }

    AgingReport {
        as_of,
        home_currency: home,
        labels: buckets.labels().to_vec(),
        rows: rows
            .into_iter()
            .map(|(connection, customer_id, currency, t)| AgingRow {
                customer_name: name_of(&connection, &customer_id),
                connection,
                customer_id,
                currency,
                amounts: t.doc.amounts(currency),
                home: t.home(home),
            })
            .collect(),
        currency_totals: per_currency
            .into_iter()
            .map(|(currency, t)| CurrencyTotal {
                currency,
                amounts: t.doc.amounts(currency),
                home: t.home(home),
            })
            .collect(),
        home_total: grand.home(home),
        lines,
        rejected,
    }
}

fn line_label(line: &AgingLine) -> String {
    let kind = match line.kind {
        ItemKind::Invoice => "invoice",
        ItemKind::CreditNote => "credit note",
    };
    format!(
        "{kind} {} ({}:{})",
        line.number, line.connection, line.item_id
    )
}

/// Names by (connection, customer id): the customer record first, else the name printed on
/// a document, else the id itself.
fn customer_names(
    parties: &[Party],
    invoices: &[Invoice],
    credit_notes: &[CreditNote],
) -> HashMap<(String, String), String> {
    let mut names = HashMap::new();
    let printed = invoices
        .iter()
        .filter_map(|i| {
            i.customer_name
                .as_ref()
                .map(|n| (&i.origin.connection, &i.customer_id, n))
        })
        .chain(credit_notes.iter().filter_map(|c| {
            c.customer_name
                .as_ref()
                .map(|n| (&c.origin.connection, &c.customer_id, n))
        }));
    for (connection, id, name) in printed {
        if !name.trim().is_empty() {
            names
                .entry((connection.clone(), id.clone()))
                .or_insert_with(|| name.clone());
        }
    }
    for p in parties {
        if !p.name.trim().is_empty() {
            names.insert(
                (p.origin.connection.clone(), p.origin.external_id.clone()),
                p.name.clone(),
            );
        }
    }
    names
}

#[cfg(test)]
mod tests;
