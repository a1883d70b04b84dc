//! The case generator: customers, invoices and credit notes over several currencies, a
//! bank statement whose credits pay them in every pattern the matcher must know (plus
//! noise it must leave alone), and a euro reference-rate history, together with the truth:
//! for each bank entry, the pattern it was written in and the invoices it really pays.
//!
//! Everything comes from one seed, so a figure in docs/BENCHMARKS.md can be reproduced.

use crate::error::{BenchError, Result};
use crate::prng::Prng;
use arsync_model::{
    AccountId, BankEntry, Charge, Counterparty, CreditNote, Currency, Decimal, DocumentStatus,
    EntryStatus, ExchangeDetail, FxRate, Invoice, Money, NaiveDate, Origin, Party, RefKind,
    Rounding, StructuredRef,
};
use chrono::{Datelike, Duration, Weekday};
use std::collections::BTreeMap;
use std::fmt;

/// The ways a receipt can be written, as the issue lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pattern {
    /// The invoice number exactly as issued ("INV-26014").
    ExactReference,
    /// An ISO 11649 creditor reference in the structured remittance.
    RfReference,
    /// The number written loosely ("RE 26014 THANK YOU", "inv26014").
    LooseReference,
    /// The number with two neighbouring digits swapped.
    TransposedDigits,
    /// No reference: the right amount from a known payer.
    NoReference,
    /// One payment for several invoices, each named.
    CombinedListed,
    /// One payment for several invoices, none named.
    CombinedUnlisted,
    /// Part of one invoice, with its number.
    PartialPayment,
    /// The invoice less a bank fee, with its number.
    FeeDeducted,
    /// More than the invoice, with its number.
    Overpayment,
    /// A foreign-currency invoice paid into the home-currency account, the bank giving the
    /// instructed amount and rate.
    FxWithDetails,
    /// The same without exchange details: only the rate feed can relate the amounts.
    FxWithoutDetails,
    /// A receipt and the debit that returns it (both in the statement).
    Reversal,
    /// An unrelated payer sending exactly the amount of an open invoice.
    LookAlikeAmount,
    /// Credits that are not receivables: interest, supplier refunds, tax refunds.
    NonReceivable,
}

impl Pattern {
    /// Every pattern, in the order of the report.
    pub const ALL: [Pattern; 15] = [
        Pattern::ExactReference,
        Pattern::RfReference,
        Pattern::LooseReference,
        Pattern::TransposedDigits,
        Pattern::NoReference,
        Pattern::CombinedListed,
        Pattern::CombinedUnlisted,
        Pattern::PartialPayment,
        Pattern::FeeDeducted,
        Pattern::Overpayment,
        Pattern::FxWithDetails,
        Pattern::FxWithoutDetails,
        Pattern::Reversal,
        Pattern::LookAlikeAmount,
        Pattern::NonReceivable,
    ];

    /// The pattern named as [`Pattern::as_str`] names it.
    pub fn parse(name: &str) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The pattern's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::ExactReference => "exact reference",
            Pattern::RfReference => "RF reference",
            Pattern::LooseReference => "loose reference",
            Pattern::TransposedDigits => "transposed digits",
            Pattern::NoReference => "no reference, amount + payer",
            Pattern::CombinedListed => "combined, invoices listed",
            Pattern::CombinedUnlisted => "combined, none listed",
            Pattern::PartialPayment => "partial payment",
            Pattern::FeeDeducted => "fee deducted",
            Pattern::Overpayment => "overpayment",
            Pattern::FxWithDetails => "FX with bank details",
            Pattern::FxWithoutDetails => "FX, rate from feed",
            Pattern::Reversal => "reversal (pair)",
            Pattern::LookAlikeAmount => "look-alike amount",
            Pattern::NonReceivable => "non-receivable credit",
        }
    }

    /// Whether a receipt of this pattern pays invoices (otherwise nothing must be applied).
    pub fn pays_invoices(self) -> bool {
        !matches!(
            self,
            Pattern::Reversal | Pattern::LookAlikeAmount | Pattern::NonReceivable
        )
    }

    /// How many receipts of this pattern per hundred, before the generator runs out of
    /// suitable invoices.
    fn weight(self) -> u32 {
        match self {
            Pattern::ExactReference | Pattern::NoReference => 10,
            Pattern::LooseReference | Pattern::RfReference => 8,
            Pattern::CombinedListed | Pattern::CombinedUnlisted => 5,
            Pattern::Reversal => 3,
            Pattern::NonReceivable | Pattern::LookAlikeAmount => 5,
            _ => 6,
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a bank entry really is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truth {
    /// The pattern it was written in.
    pub pattern: Pattern,
    /// Numbers of the invoices it pays (empty: nothing must be applied).
    pub invoices: Vec<String>,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    /// The seed; the same seed and sizes give the same case.
    pub seed: u64,
    /// Number of invoices (open items).
    pub invoices: usize,
    /// Number of customers; by default one per twelve invoices, at least eight.
    pub customers: Option<usize>,
    /// The run date; invoices are issued up to 150 days before it.
    pub as_of: NaiveDate,
    /// Share of invoices the statement pays, in percent (the rest stays open as the
    /// background a matcher must not confuse).
    pub paid_percent: usize,
}

impl CaseSpec {
    /// A case of `invoices` open items from `seed`, as of 2026-11-20.
    pub fn new(seed: u64, invoices: usize) -> Self {
        Self {
            seed,
            invoices,
            customers: None,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            paid_percent: 67,
        }
    }
}

/// One bank account of the company, with the entries booked on it.
#[derive(Debug, Clone)]
pub struct CompanyAccount {
    /// The account.
    pub account: AccountId,
    /// Balance before the first entry.
    pub opening: Decimal,
}

/// A generated case: books, statement, rates and truth.
#[derive(Debug, Clone)]
pub struct Case {
    /// What it was generated from.
    pub spec: CaseSpec,
    /// The company's home currency (EUR).
    pub home: Currency,
    /// Customers.
    pub parties: Vec<Party>,
    /// Open invoices.
    pub invoices: Vec<Invoice>,
    /// Open credit notes (noise the matcher may use only where they fit).
    pub credit_notes: Vec<CreditNote>,
    /// The company's accounts, one per currency.
    pub accounts: Vec<CompanyAccount>,
    /// Every booked entry, credits and debits, in booking order.
    pub entries: Vec<BankEntry>,
    /// Euro reference rates, business days.
    pub rates: Vec<FxRate>,
    /// The truth per bank reference (`BankEntry::bank_reference`); debits that are not
    /// reversals carry none.
    pub truth: BTreeMap<String, Truth>,
}

const CONNECTION_BOOKS: &str = "books";
const CONNECTION_BANK: &str = "bank";

const NAME_A: [&str; 30] = [
    "Alpine",
    "Baltic",
    "Nordic",
    "Atlas",
    "Cedar",
    "Delta",
    "Falcon",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Linden",
    "Meridian",
    "Northwind",
    "Orchid",
    "Pioneer",
    "Quarry",
    "Riverside",
    "Summit",
    "Tundra",
    "Unity",
    "Vertex",
    "Willow",
    "Zenith",
    "Aurora",
    "Beacon",
    "Coastal",
    "Dynamo",
    "Evergreen",
];
const NAME_B: [&str; 25] = [
    "Logistics",
    "Trading",
    "Foods",
    "Textiles",
    "Machines",
    "Pharma",
    "Software",
    "Optics",
    "Metals",
    "Plastics",
    "Furniture",
    "Chemicals",
    "Energy",
    "Packaging",
    "Print",
    "Marine",
    "Robotics",
    "Ceramics",
    "Paper",
    "Tools",
    "Fashion",
    "Audio",
    "Medical",
    "Garden",
    "Sports",
];
const NAME_C: [&str; 20] = [
    "Hamburg",
    "Lyon",
    "Rotterdam",
    "Graz",
    "Basel",
    "Leeds",
    "Boston",
    "Turin",
    "Gdansk",
    "Porto",
    "Ghent",
    "Malmo",
    "Brno",
    "Cork",
    "Bilbao",
    "Aarhus",
    "Linz",
    "Dublin",
    "Nantes",
    "Bremen",
];
const LEGAL: [&str; 6] = ["GmbH", "Ltd", "AG", "SARL", "B.V.", "Inc."];
const STRANGERS: [&str; 8] = [
    "Quartz Events Ltd",
    "Harborview Properties LLC",
    "Sunline Catering SRL",
    "Polar Data Services Oy",
    "Redwood Holdings Inc.",
    "Sapphire Media SA",
    "Blue Anchor Yachting Ltd",
    "Greenfield Estates BV",
];
const STANDARD_AMOUNTS: [i64; 6] = [9900, 49000, 59500, 119000, 238000, 476000];

fn currency(code: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| BenchError::Generator(format!("currency {code}: {e}")))
}

/// ISO 13616 check digits for a country and account number.
fn iban(country: &str, bban: &str) -> String {
    let digits: String = format!("{bban}{country}00")
        .chars()
        .map(|c| match c.to_digit(36) {
            Some(d) => d.to_string(),
            None => String::new(),
        })
        .collect();
    let check = 98 - mod97(&digits);
    format!("{country}{check:02}{bban}")
}

fn mod97(digits: &str) -> u32 {
    digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .fold(0, |acc, d| (acc * 10 + d) % 97)
}

/// An ISO 11649 creditor reference for an alphanumeric base.
pub fn rf_reference(base: &str) -> String {
    let digits: String = format!("{base}RF00")
        .chars()
        .filter_map(|c| c.to_digit(36))
        .map(|d| d.to_string())
        .collect();
    let check = 98 - mod97(&digits);
    format!("RF{check:02}{base}")
}

/// The euro rate history the case converts with.
struct RateHistory {
    by_currency: BTreeMap<&'static str, BTreeMap<NaiveDate, Decimal>>,
}

impl RateHistory {
    /// The fixing of `code` (units per euro) on `date` or the business day before.
    fn per_euro(&self, code: &str, date: NaiveDate) -> Option<Decimal> {
        self.by_currency
            .get(code)?
            .range(..=date)
            .next_back()
            .map(|(_, r)| *r)
    }
}

fn business_days(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(d);
        }
        d += Duration::days(1);
    }
    out
}

fn rate_history(
    rng: &mut Prng,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(RateHistory, Vec<FxRate>)> {
    let eur = currency("EUR")?;
    let starts: [(&'static str, i64, u32); 3] =
        [("USD", 10_834, 4), ("GBP", 84_770, 5), ("CHF", 9_412, 4)];
    let days = business_days(from, to);
    let mut by_currency = BTreeMap::new();
    let mut rates = Vec::new();
    for (code, start, dp) in starts {
        let quote = currency(code)?;
        let mut level = Decimal::new(start, dp);
        let mut series = BTreeMap::new();
        for d in &days {
            // A daily move of up to ±0.4 %, kept to the published precision.
            let bp = rng.between(-40, 40);
            level = Rounding::HalfUp.round(level * (Decimal::ONE + Decimal::new(bp, 4)), dp);
            series.insert(*d, level);
            rates.push(
                FxRate::new(eur, quote, *d, level, "ecb")
                    .map_err(|e| BenchError::Generator(e.to_string()))?,
            );
        }
        by_currency.insert(code, series);
    }
    Ok((RateHistory { by_currency }, rates))
}

struct Builder {
    rng: Prng,
    spec: CaseSpec,
    home: Currency,
    history: RateHistory,
    parties: Vec<Party>,
    invoices: Vec<Invoice>,
    /// Invoices of each customer, by index.
    customer_invoices: Vec<Vec<usize>>,
    customer_of: Vec<usize>,
    used: Vec<bool>,
    used_count: usize,
    order: Vec<usize>,
    cursor: usize,
    accounts: BTreeMap<Currency, AccountId>,
    entries: Vec<BankEntry>,
    truth: BTreeMap<String, Truth>,
    next_entry: u64,
}

fn customer_name(i: usize, offset: usize) -> String {
    let k = i + offset;
    let (a, b, c) = (NAME_A.len(), NAME_B.len(), NAME_C.len());
    let base = format!(
        "{} {} {} {}",
        NAME_A[k % a],
        NAME_B[(k / a) % b],
        NAME_C[(k / (a * b)) % c],
        LEGAL[(k / 7) % LEGAL.len()]
    );
    let round = i / (a * b * c);
    if round == 0 {
        base
    } else {
        format!("{base} {}", round + 1)
    }
}

impl Builder {
    fn err(e: impl fmt::Display) -> BenchError {
        BenchError::Generator(e.to_string())
    }

    fn customers(&mut self) -> Result<()> {
        let n = self
            .spec
            .customers
            .unwrap_or_else(|| (self.spec.invoices / 12).max(8));
        let offset = self.rng.index(NAME_A.len());
        let countries = ["DE", "FR", "NL", "AT", "BE", "IT"];
        for i in 0..n {
            let code = match self.rng.below(10) {
                0..=5 => "EUR",
                6 | 7 => "USD",
                8 => "GBP",
                _ => "CHF",
            };
            let mut party = Party::new(
                Origin::new(CONNECTION_BOOKS, format!("C{:06}", i + 1)),
                customer_name(i, offset),
            )
            .map_err(Self::err)?;
            let country = *self.rng.pick(&countries);
            party.bank_accounts = vec![iban(
                country,
                &format!("{:08}{:010}", 37_040_044 + i, i * 7 + 3),
            )];
            party.currency = Some(currency(code)?);
            party.country = Some(country.to_owned());
            self.parties.push(party);
        }
        Ok(())
    }

    fn invoices(&mut self) -> Result<()> {
        let as_of = self.spec.as_of;
        let n_customers = self.parties.len();
        let mut drafts: Vec<(NaiveDate, usize, i64)> = Vec::with_capacity(self.spec.invoices);
        for _ in 0..self.spec.invoices {
            // Some customers buy far more often than others.
            let r = self.rng.index(n_customers);
            let customer = if self.rng.chance(40) { r / 4 } else { r };
            let issue = as_of - Duration::days(self.rng.between(5, 150));
            let cents = if self.rng.chance(20) {
                *self.rng.pick(&STANDARD_AMOUNTS)
            } else {
                self.rng.between(5_000, 3_000_000)
            };
            drafts.push((issue, customer, cents));
        }
        drafts.sort_by_key(|d| d.0);
        self.customer_invoices = vec![Vec::new(); n_customers];
        for (k, (issue, customer, cents)) in drafts.into_iter().enumerate() {
            let party = &self.parties[customer];
            let ccy = party.currency.unwrap_or(self.home);
            let number = format!("INV-{}", 26_001 + k);
            let terms = *self.rng.pick(&[14_i64, 30, 30, 45, 60]);
            let total = Decimal::new(cents, 2);
            let (book_rate, home_total) = if ccy == self.home {
                (None, None)
            } else {
                let per_euro = self
                    .history
                    .per_euro(ccy.code(), issue)
                    .ok_or_else(|| Self::err(format!("no {ccy} rate on {issue}")))?;
                let rate = Rounding::HalfUp.round(Decimal::ONE / per_euro, 6);
                (Some(rate), Some(Rounding::HalfUp.round(total * rate, 2)))
            };
            let payment_reference = self
                .rng
                .chance(40)
                .then(|| rf_reference(&format!("{:05}{}", customer + 1, 26_001 + k)));
            let inv = Invoice {
                origin: Origin::new(CONNECTION_BOOKS, format!("I{:07}", k + 1)),
                number,
                customer_id: party.origin.external_id.clone(),
                customer_name: Some(party.name.clone()),
                issue_date: issue,
                due_date: issue + Duration::days(terms),
                terms: Some(format!("net {terms}")),
                currency: ccy,
                total,
                open_amount: total,
                book_rate,
                home_total,
                home_open: home_total,
                payment_reference,
                status: DocumentStatus::Open,
            };
            inv.validate().map_err(Self::err)?;
            self.customer_invoices[customer].push(k);
            self.customer_of.push(customer);
            self.invoices.push(inv);
        }
        self.used = vec![false; self.invoices.len()];
        self.order = (0..self.invoices.len()).collect();
        self.rng.shuffle(&mut self.order);
        Ok(())
    }

    fn credit_notes(&mut self) -> Result<Vec<CreditNote>> {
        let mut out = Vec::new();
        for (i, party) in self.parties.iter().enumerate() {
            if !self.rng.chance(10) {
                continue;
            }
            let amount = Decimal::new(self.rng.between(2_000, 30_000), 2);
            let cn = CreditNote {
                origin: Origin::new(CONNECTION_BOOKS, format!("N{:06}", i + 1)),
                number: format!("CN-{}", 9_001 + i),
                customer_id: party.origin.external_id.clone(),
                customer_name: Some(party.name.clone()),
                issue_date: self.spec.as_of - Duration::days(self.rng.between(5, 60)),
                currency: party.currency.unwrap_or(self.home),
                total: amount,
                remaining: amount,
                book_rate: None,
                home_total: None,
                reference: None,
                status: DocumentStatus::Open,
            };
            out.push(cn);
        }
        Ok(out)
    }

    fn mark(&mut self, k: usize, used: bool) {
        if self.used[k] != used {
            self.used[k] = used;
            if used {
                self.used_count += 1;
            } else {
                self.used_count -= 1;
            }
        }
    }

    /// The next unused invoice that satisfies `want`, or `None` after a bounded search.
    fn take(&mut self, want: impl Fn(&Invoice) -> bool) -> Option<usize> {
        let n = self.order.len();
        for step in 0..n.min(400) {
            let k = self.order[(self.cursor + step) % n];
            if !self.used[k] && want(&self.invoices[k]) {
                self.mark(k, true);
                // Skip over the run of invoices already used.
                while self.cursor < n && self.used[self.order[self.cursor]] {
                    self.cursor += 1;
                }
                return Some(k);
            }
        }
        None
    }

    fn account(&mut self, ccy: Currency) -> AccountId {
        let n = self.accounts.len();
        self.accounts
            .entry(ccy)
            .or_insert_with(|| AccountId {
                iban: Some(iban("DE", &format!("50010517{:010}", 5_319_000 + n))),
                other: None,
                currency: ccy,
            })
            .clone()
    }

    /// A payment date after the invoice date, never after the run date.
    fn pay_date(&mut self, inv: &Invoice) -> NaiveDate {
        let d = inv.issue_date + Duration::days(self.rng.between(3, 50));
        d.min(self.spec.as_of)
    }

    /// The payer as the bank reports a customer: the name as written or shortened, the
    /// account on file or a new one.
    fn payer(&mut self, customer: usize) -> Counterparty {
        let party = &self.parties[customer];
        let name = match self.rng.below(4) {
            0 | 1 => party.name.clone(),
            2 => party.name.to_uppercase(),
            _ => {
                let short: String = party.name.to_uppercase().chars().take(24).collect();
                short.trim_end().to_owned()
            }
        };
        let account = if self.rng.chance(70) {
            party.bank_accounts.first().cloned()
        } else {
            let n = self.rng.between(1, 9_999_999);
            Some(iban("FR", &format!("3000400003{n:013}")))
        };
        Counterparty {
            name: Some(name),
            account,
            bic: None,
        }
    }

    fn entry(&mut self, date: NaiveDate, amount: Money) -> BankEntry {
        self.next_entry += 1;
        let id = format!("S{}E{:07}", self.spec.seed, self.next_entry);
        let account = self.account(amount.currency);
        BankEntry {
            origin: Origin::new(CONNECTION_BANK, id.clone()),
            account,
            statement_id: Some(format!("STMT-{}", self.spec.seed)),
            booking_date: Some(date),
            value_date: Some(date),
            amount,
            status: EntryStatus::Booked,
            bank_reference: Some(id),
            end_to_end_id: None,
            bank_tx_code: Some("PMNT/RCDT/ESCT".into()),
            counterparty: Counterparty::default(),
            remittance: Vec::new(),
            structured_refs: Vec::new(),
            exchange: None,
            charges: Vec::new(),
            reversal: false,
            detail_index: None,
        }
    }

    fn record(&mut self, entry: BankEntry, pattern: Pattern, invoices: Vec<String>) {
        if let Some(r) = entry.bank_reference.clone() {
            self.truth.insert(r, Truth { pattern, invoices });
        }
        self.entries.push(entry);
    }

    fn digits(number: &str) -> &str {
        number.trim_start_matches("INV-")
    }

    fn loose(&mut self, number: &str) -> String {
        let d = Self::digits(number);
        match self.rng.below(5) {
            0 => format!("RE {d} THANK YOU"),
            1 => format!("inv{d}"),
            2 => format!("Rechnung INV {d}"),
            3 => format!("PAYMENT FOR INVOICE NO. {d}"),
            _ => format!("Facture {d} merci"),
        }
    }

    fn exact(&mut self, number: &str) -> String {
        match self.rng.below(3) {
            0 => number.to_owned(),
            1 => format!("Invoice {number}"),
            _ => format!("{number} / our order {}", self.rng.between(10_000, 99_999)),
        }
    }

    /// One receipt for one invoice, with text, amount and exchange details per pattern.
    fn single(&mut self, pattern: Pattern) -> Result<bool> {
        let home = self.home;
        let foreign = matches!(pattern, Pattern::FxWithDetails | Pattern::FxWithoutDetails);
        let Some(k) = self.take(|inv| match pattern {
            Pattern::RfReference => inv.payment_reference.is_some(),
            Pattern::FxWithDetails | Pattern::FxWithoutDetails => inv.currency != home,
            Pattern::TransposedDigits => {
                let d = Self::digits(&inv.number).as_bytes();
                d.windows(2).any(|w| w[0] != w[1])
            }
            _ => true,
        }) else {
            return Ok(false);
        };
        let inv = self.invoices[k].clone();
        let customer = self.customer_of[k];
        let date = self.pay_date(&inv);
        let open = inv.open_amount;
        let dp = inv.currency.minor_units();
        let (amount, text): (Money, Vec<String>) = match pattern {
            Pattern::ExactReference => (inv.open_money(), vec![self.exact(&inv.number)]),
            Pattern::RfReference => (inv.open_money(), Vec::new()),
            Pattern::LooseReference => (inv.open_money(), vec![self.loose(&inv.number)]),
            Pattern::TransposedDigits => {
                let mut d: Vec<char> = Self::digits(&inv.number).chars().collect();
                let spots: Vec<usize> = (0..d.len().saturating_sub(1))
                    .filter(|&i| d[i] != d[i + 1])
                    .collect();
                let i = *self.rng.pick(&spots);
                d.swap(i, i + 1);
                let swapped: String = d.into_iter().collect();
                (inv.open_money(), vec![format!("INV-{swapped}")])
            }
            Pattern::NoReference => {
                let t = self
                    .rng
                    .pick(&["PAYMENT", "Zahlung", "Payment received with thanks"]);
                (inv.open_money(), vec![(*t).to_owned()])
            }
            Pattern::PartialPayment => {
                let pct = Decimal::new(self.rng.between(25, 75), 2);
                let part = Rounding::HalfUp.round(open * pct, dp);
                (
                    Money::new(part, inv.currency),
                    vec![format!("{} part payment", inv.number)],
                )
            }
            Pattern::FeeDeducted => {
                let fee = Decimal::new(*self.rng.pick(&[750_i64, 1_000, 1_250, 1_500, 2_000]), 2);
                (
                    Money::new(open - fee, inv.currency),
                    vec![self.exact(&inv.number)],
                )
            }
            Pattern::Overpayment => {
                let extra = Decimal::new(self.rng.between(1, 5_000), 2);
                (
                    Money::new(open + extra, inv.currency),
                    vec![self.exact(&inv.number)],
                )
            }
            Pattern::FxWithDetails | Pattern::FxWithoutDetails => {
                let per_euro = self
                    .history
                    .per_euro(inv.currency.code(), date)
                    .ok_or_else(|| Self::err(format!("no {} rate on {date}", inv.currency)))?;
                // The bank's rate is the reference rate less its margin (up to 0.6 %);
                // without details the margin is unknown and may go either way.
                let margin_bp = if pattern == Pattern::FxWithDetails {
                    self.rng.between(0, 60)
                } else {
                    self.rng.between(-60, 60)
                };
                let rate = Rounding::HalfUp.round(
                    Decimal::ONE / per_euro * (Decimal::ONE - Decimal::new(margin_bp, 4)),
                    6,
                );
                let eur = Rounding::HalfUp.round(open * rate, home.minor_units());
                (Money::new(eur, home), vec![self.exact(&inv.number)])
            }
            _ => return Ok(false),
        };
        let mut e = self.entry(date, amount);
        e.counterparty = self.payer(customer);
        e.remittance = text;
        if pattern == Pattern::RfReference
            && let Some(rf) = &inv.payment_reference
        {
            e.structured_refs.push(StructuredRef {
                kind: RefKind::Rf,
                value: rf.clone(),
            });
        }
        if pattern == Pattern::FeeDeducted && self.rng.chance(50) {
            e.charges.push(Charge {
                amount: Money::new(open - amount.amount, inv.currency),
                included: true,
                kind: Some("CRED".into()),
            });
        }
        if pattern == Pattern::FxWithDetails {
            let rate = Rounding::HalfUp.round(amount.amount / open, 6);
            e.exchange = Some(ExchangeDetail {
                instructed: inv.open_money(),
                rate: Some(rate),
                source_currency: Some(inv.currency),
                target_currency: Some(home),
            });
        }
        if foreign {
            e.bank_tx_code = Some("PMNT/RCDT/XBCT".into());
        }
        self.record(e, pattern, vec![inv.number.clone()]);
        Ok(true)
    }

    /// One receipt for two or three invoices of one customer in one currency.
    fn combined(&mut self, pattern: Pattern) -> Result<bool> {
        let Some(first) = self.take(|_| true) else {
            return Ok(false);
        };
        let customer = self.customer_of[first];
        let ccy = self.invoices[first].currency;
        let want = 1 + self.rng.index(2);
        let mut picked = vec![first];
        let siblings = self.customer_invoices[customer].clone();
        for k in siblings {
            if picked.len() > want {
                break;
            }
            if !self.used[k] && self.invoices[k].currency == ccy {
                self.mark(k, true);
                picked.push(k);
            }
        }
        if picked.len() < 2 {
            // A customer with one open invoice: it is paid plainly instead.
            self.mark(first, false);
            return Ok(false);
        }
        picked.sort_unstable();
        let total: Decimal = picked.iter().map(|&k| self.invoices[k].open_amount).sum();
        let numbers: Vec<String> = picked
            .iter()
            .map(|&k| self.invoices[k].number.clone())
            .collect();
        let latest = picked
            .iter()
            .map(|&k| self.invoices[k].clone())
            .max_by_key(|i| i.issue_date)
            .ok_or_else(|| Self::err("empty combination"))?;
        let date = self.pay_date(&latest);
        let mut e = self.entry(date, Money::new(total, ccy));
        e.counterparty = self.payer(customer);
        e.remittance = if pattern == Pattern::CombinedListed {
            vec![format!("Invoices {}", numbers.join(", "))]
        } else {
            vec![
                (*self
                    .rng
                    .pick(&["Payment as agreed", "Sammelzahlung", "OUR REF 88213"]))
                .to_owned(),
            ]
        };
        self.record(e, pattern, numbers);
        Ok(true)
    }

    /// A receipt with its number and the debit that returns it a few days later.
    fn reversal(&mut self) -> Result<bool> {
        let home = self.home;
        let Some(k) = self.take(|inv| inv.currency == home) else {
            return Ok(false);
        };
        let inv = self.invoices[k].clone();
        let customer = self.customer_of[k];
        let date = self.pay_date(&inv).min(self.spec.as_of - Duration::days(3));
        let e2e = format!("E2E{}{:07}", self.spec.seed, self.next_entry + 1);
        let mut credit = self.entry(date, inv.open_money());
        credit.counterparty = self.payer(customer);
        credit.remittance = vec![inv.number.clone()];
        credit.end_to_end_id = Some(e2e.clone());
        let credit_ref = credit.bank_reference.clone().unwrap_or_default();
        let mut debit = self.entry(date + Duration::days(3), inv.open_money().negate());
        debit.counterparty = credit.counterparty.clone();
        debit.remittance = vec![format!("RETURN AC04 ACCOUNT CLOSED {credit_ref}")];
        debit.end_to_end_id = Some(e2e);
        debit.reversal = true;
        debit.bank_tx_code = Some("PMNT/RCDT/RRTN".into());
        self.record(credit, Pattern::Reversal, Vec::new());
        self.record(debit, Pattern::Reversal, Vec::new());
        Ok(true)
    }

    /// Someone who is not a customer pays exactly what an open invoice is for.
    fn look_alike(&mut self) -> Result<bool> {
        let k = self.rng.index(self.invoices.len());
        let Some(inv) = self.invoices.get(k).cloned() else {
            return Ok(false);
        };
        let date = self.spec.as_of - Duration::days(self.rng.between(0, 30));
        let mut e = self.entry(date, inv.open_money());
        e.counterparty = Counterparty {
            name: Some((*self.rng.pick(&STRANGERS)).to_owned()),
            account: Some(iban(
                "IT",
                &format!("X0542811101{:012}", self.rng.between(1, 999_999)),
            )),
            bic: None,
        };
        e.remittance = vec![format!("ORDER {}", self.rng.between(40_000, 49_999))];
        self.record(e, Pattern::LookAlikeAmount, Vec::new());
        Ok(true)
    }

    /// Interest, a supplier's refund, a tax refund.
    fn non_receivable(&mut self) -> Result<bool> {
        let home = self.home;
        let date = self.spec.as_of - Duration::days(self.rng.between(0, 30));
        let (name, text, cents) = match self.rng.below(3) {
            0 => (
                "Deutsche Handelsbank AG",
                "CREDIT INTEREST Q3".to_owned(),
                self.rng.between(100, 9_000),
            ),
            1 => (
                "Office Supply Direct GmbH",
                format!("REFUND CREDIT NOTE GS-{}", self.rng.between(1_000, 9_999)),
                self.rng.between(1_000, 60_000),
            ),
            _ => (
                "Finanzamt Hamburg-Mitte",
                "UST ERSTATTUNG 09/2026".to_owned(),
                self.rng.between(10_000, 900_000),
            ),
        };
        let mut e = self.entry(date, Money::new(Decimal::new(cents, 2), home));
        e.counterparty = Counterparty {
            name: Some(name.to_owned()),
            account: Some(iban("DE", &format!("20050550{:010}", cents))),
            bic: None,
        };
        e.remittance = vec![text];
        e.bank_tx_code = Some("PMNT/RCDT/OTHR".into());
        self.record(e, Pattern::NonReceivable, Vec::new());
        Ok(true)
    }

    /// Supplier payments and fees: debits that are not receipts at all.
    fn debit(&mut self) {
        let date = self.spec.as_of - Duration::days(self.rng.between(0, 40));
        let cents = self.rng.between(500, 500_000);
        let mut e = self.entry(date, Money::new(Decimal::new(-cents, 2), self.home));
        e.counterparty = Counterparty {
            name: Some("Industrial Parts Supply Ltd".into()),
            account: Some(iban("GB", &format!("NWBK601613{:08}", cents))),
            bic: None,
        };
        e.remittance = vec![format!("PO {}", self.rng.between(100_000, 999_999))];
        e.bank_tx_code = Some("PMNT/ICDT/ESCT".into());
        self.entries.push(e);
    }

    fn receipts(&mut self) -> Result<()> {
        // A deck with each pattern as often as its weight, dealt until the requested share
        // of invoices is paid.
        let mut deck: Vec<Pattern> = Vec::new();
        for p in Pattern::ALL {
            for _ in 0..p.weight() {
                deck.push(p);
            }
        }
        let target = self.invoices.len() * self.spec.paid_percent.min(100) / 100;
        let mut misses = 0_usize;
        while self.used_count < target && misses < 200 + self.invoices.len() / 10 {
            self.rng.shuffle(&mut deck);
            let before = self.entries.len();
            for p in deck.clone() {
                let made = match p {
                    Pattern::CombinedListed | Pattern::CombinedUnlisted => self.combined(p)?,
                    Pattern::Reversal => self.reversal()?,
                    Pattern::LookAlikeAmount => self.look_alike()?,
                    Pattern::NonReceivable => self.non_receivable()?,
                    _ => self.single(p)?,
                };
                if !made {
                    misses += 1;
                }
                if self.rng.chance(8) {
                    self.debit();
                }
            }
            if self.entries.len() == before {
                break;
            }
        }
        Ok(())
    }
}

/// Generates a case. Fails only if the spec cannot make one (no invoices asked for).
pub fn generate(spec: &CaseSpec) -> Result<Case> {
    if spec.invoices < 10 {
        return Err(BenchError::Spec(format!(
            "--invoices {} is too small to hold every pattern; ask for at least 10",
            spec.invoices
        )));
    }
    let mut rng = Prng::new(spec.seed);
    let home = currency("EUR")?;
    let (history, rates) = rate_history(&mut rng, spec.as_of - Duration::days(200), spec.as_of)?;
    let mut b = Builder {
        rng,
        spec: spec.clone(),
        home,
        history,
        parties: Vec::new(),
        invoices: Vec::new(),
        customer_invoices: Vec::new(),
        customer_of: Vec::new(),
        used: Vec::new(),
        used_count: 0,
        order: Vec::new(),
        cursor: 0,
        accounts: BTreeMap::new(),
        entries: Vec::new(),
        truth: BTreeMap::new(),
        next_entry: 0,
    };
    b.customers()?;
    b.invoices()?;
    let credit_notes = b.credit_notes()?;
    b.account(home);
    b.receipts()?;
    b.entries.sort_by(|x, y| {
        (x.account.currency, x.booking_date, &x.bank_reference).cmp(&(
            y.account.currency,
            y.booking_date,
            &y.bank_reference,
        ))
    });
    let accounts = b
        .accounts
        .values()
        .map(|a| CompanyAccount {
            account: a.clone(),
            opening: Decimal::new(25_000_000, 2),
        })
        .collect();
    Ok(Case {
        spec: spec.clone(),
        home,
        parties: b.parties,
        invoices: b.invoices,
        credit_notes,
        accounts,
        entries: b.entries,
        rates,
        truth: b.truth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creditor_references_carry_a_valid_iso_11649_check() {
        // The standard's own example.
        assert_eq!(rf_reference("539007547034"), "RF18539007547034");
    }

    #[test]
    fn ibans_carry_valid_check_digits() {
        // DE89 3704 0044 0532 0130 00 is the usual published example.
        assert_eq!(iban("DE", "370400440532013000"), "DE89370400440532013000");
    }
}
