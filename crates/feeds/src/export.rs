//! Multi-currency export feeds: files or endpoints listing foreign-currency sales invoices
//! and the receipts or settlements against them — for instance a payment provider's payout
//! report with gross, fee, net and conversion. Each payment keeps the gross the customer
//! paid (what is applied to invoices), the fee the provider kept, the net that reached the
//! account and the conversion between them; a published conversion rate is also delivered
//! as an [`FxRate`] whose source is the provider.

use crate::number::parse_published;
use crate::records::{Parsed, Record, parse_feed_date};
use crate::{FeedFormat, FeedProblem, FeedsError};
use arsync_model::{
    Allocation, Charge, Currency, DocumentStatus, ExchangeDetail, FxRate, Invoice, ItemKind, Money,
    Origin, Payment, PaymentStatus, payload_hash,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a record of an export feed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// A sales invoice.
    Invoice,
    /// A receipt or settlement of a customer's payment.
    #[default]
    Payment,
    /// Money returned to a customer: a payment with a negative amount.
    Refund,
    /// Not a receivable (a transfer to the bank, a fee-only line): left out.
    Skip,
}

/// How to read an export feed. Field names follow the record layer's rules (CSV header,
/// JSON key or pointer, `$`-pointer into the document).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportMapping {
    /// Layout of the file.
    pub format: Option<FeedFormat>,
    /// Connection recorded in the origins.
    pub connection: String,
    /// The provider, recorded as the source of conversion rates ("stripe", "wise").
    pub source: String,
    /// Field holding each record's kind; its values are read as invoice ("invoice", "sale"),
    /// payment ("payment", "charge", "receipt", "settlement", "payout") or refund.
    pub kind: Option<String>,
    /// Kind of records when there is no kind field.
    pub default_kind: ExportKind,
    /// How to read values of the kind field that the built-in table does not know, or
    /// reads differently (`"payment_intent.succeeded" = "payment"`, `"payout" = "skip"`).
    /// Matched without regard to case.
    pub kind_values: BTreeMap<String, ExportKind>,
    /// Field holding the record's id in the feed.
    pub id: String,
    /// Field holding the date (issue date of an invoice, date of a payment).
    pub date: String,
    /// chrono format of dates, or `unix`; ISO when absent.
    pub date_format: Option<String>,
    /// Field holding the currency of `amount`.
    pub currency: String,
    /// Field holding an invoice's total or a payment's gross amount.
    pub amount: String,
    /// Field holding an invoice's open amount (the total when absent).
    pub open_amount: Option<String>,
    /// Field holding an invoice's due date (the issue date when absent).
    pub due_date: Option<String>,
    /// Field holding an invoice's number, or on a payment the number of the invoice it pays.
    pub number: Option<String>,
    /// Field holding the customer's id.
    pub customer_id: Option<String>,
    /// Field holding the customer's name.
    pub customer_name: Option<String>,
    /// Field holding the payer's reference.
    pub reference: Option<String>,
    /// Field holding the fee the provider kept.
    pub fee: Option<String>,
    /// Field holding the fee's currency (the settlement currency when absent).
    pub fee_currency: Option<String>,
    /// Field holding the net amount paid out, in the settlement currency.
    pub net: Option<String>,
    /// Field holding the settlement (payout) currency (the payment's currency when absent).
    pub settlement_currency: Option<String>,
    /// Field holding the conversion rate: settlement units per unit of the payment currency.
    pub conversion_rate: Option<String>,
    /// Amounts are integers in minor units (cents), as some providers export them.
    pub minor_units: bool,
    /// Amounts are written with a decimal comma.
    pub decimal_comma: bool,
}

/// A payment as a provider settled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// The customer's payment: the gross in the currency paid, allocated to the invoice the
    /// record names.
    pub payment: Payment,
    /// Fees the provider kept (already deducted from `net`).
    pub fees: Vec<Charge>,
    /// What reached the account, in the settlement currency, when the feed says.
    pub net: Option<Money>,
    /// The conversion from the payment currency to the settlement currency.
    pub exchange: Option<ExchangeDetail>,
}

/// Everything read from an export feed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFeed {
    /// Sales invoices.
    pub invoices: Vec<Invoice>,
    /// Payments with their fees and conversions.
    pub payments: Vec<Payout>,
    /// Conversion rates the provider published, one per date and currency pair and rate.
    pub rates: Vec<FxRate>,
    /// Records that were skipped.
    pub problems: Vec<FeedProblem>,
}

const FORMAT: &str = "export feed";

/// Reads an export feed through its mapping.
pub fn parse_export(bytes: &[u8], mapping: &ExportMapping) -> Result<ExportFeed, FeedsError> {
    for (field, value) in [
        ("connection", &mapping.connection),
        ("source", &mapping.source),
        ("id", &mapping.id),
        ("date", &mapping.date),
        ("currency", &mapping.currency),
        ("amount", &mapping.amount),
    ] {
        if value.trim().is_empty() {
            return Err(FeedsError::Mapping {
                field: field.into(),
                reason: "is required and empty".into(),
            });
        }
    }
    let format = mapping.format.clone().ok_or_else(|| FeedsError::Mapping {
        field: "format".into(),
        reason: "is required (csv, json or jsonl)".into(),
    })?;
    let parsed = Parsed::new(bytes, &format, FORMAT)?;
    let mut feed = ExportFeed::default();
    for (position, reason) in &parsed.unreadable {
        feed.problems.push(FeedProblem {
            position: position.clone(),
            field: None,
            value: String::new(),
            message: format!("not a JSON object ({reason}); skipped"),
        });
    }
    let mut seen_rates = BTreeSet::new();
    for record in parsed.records() {
        let reader = ExportRecord {
            record: &record,
            mapping,
        };
        match reader.read() {
            Ok(Read::Invoice(inv)) => feed.invoices.push(*inv),
            Ok(Read::Payout(payout, rate)) => {
                feed.payments.push(*payout);
                if let Some(rate) = rate
                    && seen_rates.insert((rate.date, rate.base, rate.quote, rate.rate))
                {
                    feed.rates.push(rate);
                }
            }
            Ok(Read::Skip) => {}
            Err(p) => feed.problems.push(*p),
        }
    }
    Ok(feed)
}

enum Read {
    Invoice(Box<Invoice>),
    Payout(Box<Payout>, Option<FxRate>),
    Skip,
}

struct ExportRecord<'a, 'r> {
    record: &'a Record<'r>,
    mapping: &'a ExportMapping,
}

impl ExportRecord<'_, '_> {
    fn problem(&self, field: &str, value: &str, message: impl Into<String>) -> Box<FeedProblem> {
        Box::new(FeedProblem {
            position: self.record.position.clone(),
            field: Some(field.to_owned()),
            value: value.to_owned(),
            message: message.into(),
        })
    }

    fn opt(&self, field: Option<&String>) -> Option<String> {
        field.and_then(|f| self.record.get(f))
    }

    fn required(&self, field: &str) -> Result<String, Box<FeedProblem>> {
        self.record
            .get(field)
            .ok_or_else(|| self.problem(field, "", "is empty; the record is skipped"))
    }

    fn currency(&self, field: &str) -> Result<Currency, Box<FeedProblem>> {
        let text = self.required(field)?;
        Currency::parse(&text)
            .map_err(|e| self.problem(field, &text, format!("{e}; the record is skipped")))
    }

    fn amount(&self, field: &str, currency: Currency) -> Result<Decimal, Box<FeedProblem>> {
        let text = self.required(field)?;
        let value = parse_published(&text, self.mapping.decimal_comma)
            .ok_or_else(|| self.problem(field, &text, "not a number; the record is skipped"))?;
        if self.mapping.minor_units {
            if !value.fract().is_zero() {
                return Err(self.problem(field, &text, "amounts are mapped as minor units but this one has decimals; the record is skipped"));
            }
            let mut scaled = value;
            scaled
                .set_scale(scaled.scale() + currency.minor_units())
                .map_err(|_| self.problem(field, &text, "out of range; the record is skipped"))?;
            return Ok(scaled);
        }
        Ok(value)
    }

    fn date(&self, field: &str) -> Result<NaiveDate, Box<FeedProblem>> {
        let text = self.required(field)?;
        parse_feed_date(&text, self.mapping.date_format.as_deref()).ok_or_else(|| {
            self.problem(
                field,
                &text,
                format!(
                    "not a date in the mapped format ({}); the record is skipped",
                    self.mapping.date_format.as_deref().unwrap_or("YYYY-MM-DD")
                ),
            )
        })
    }

    fn kind(&self) -> Result<Option<ExportKind>, Box<FeedProblem>> {
        let given = |k: ExportKind| (k != ExportKind::Skip).then_some(k);
        let Some(field) = &self.mapping.kind else {
            return Ok(given(self.mapping.default_kind));
        };
        let Some(text) = self.record.get(field) else {
            return Ok(given(self.mapping.default_kind));
        };
        let t = text.to_lowercase();
        if let Some((_, k)) = self
            .mapping
            .kind_values
            .iter()
            .find(|(v, _)| v.to_lowercase() == t)
        {
            return Ok(given(*k));
        }
        Ok(match t.as_str() {
            "invoice" | "sale" | "sales_invoice" | "sales invoice" => Some(ExportKind::Invoice),
            "payment" | "charge" | "receipt" | "settlement" | "payout" | "payment_received" => {
                Some(ExportKind::Payment)
            }
            "refund" | "payment_refund" | "chargeback" => Some(ExportKind::Refund),
            // Provider-side movements (transfers, fee-only lines, adjustments) are not
            // receivables; they are left to the bank statement.
            "transfer" | "fee" | "adjustment" | "reserve" | "payout_fee" => None,
            _ => {
                return Err(self.problem(
                    field,
                    &text,
                    "not a kind arsync knows (invoice, payment, charge, refund, ...); map it under kind_values, or the record is skipped",
                ));
            }
        })
    }

    fn origin(&self, id: String) -> Origin {
        Origin {
            connection: self.mapping.connection.clone(),
            external_id: id,
            // A content hash is no ordered version; the store compares content instead.
            source_version: None,
            payload_hash: Some(payload_hash(self.record.payload().as_bytes())),
        }
    }

    fn read(&self) -> Result<Read, Box<FeedProblem>> {
        let Some(kind) = self.kind()? else {
            return Ok(Read::Skip);
        };
        let id = self.required(&self.mapping.id)?;
        let currency = self.currency(&self.mapping.currency)?;
        let date = self.date(&self.mapping.date)?;
        let amount = self.amount(&self.mapping.amount, currency)?;
        match kind {
            ExportKind::Invoice => self.invoice(id, currency, date, amount),
            ExportKind::Payment | ExportKind::Refund => {
                self.payout(id, kind, currency, date, amount)
            }
            ExportKind::Skip => Ok(Read::Skip),
        }
    }

    fn invoice(
        &self,
        id: String,
        currency: Currency,
        issue_date: NaiveDate,
        total: Decimal,
    ) -> Result<Read, Box<FeedProblem>> {
        let open_amount = match &self.mapping.open_amount {
            Some(f) if self.record.get(f).is_some() => self.amount(f, currency)?,
            _ => total,
        };
        let due_date = match &self.mapping.due_date {
            Some(f) if self.record.get(f).is_some() => self.date(f)?,
            _ => issue_date,
        };
        let customer_name = self.opt(self.mapping.customer_name.as_ref());
        let customer_id = self
            .opt(self.mapping.customer_id.as_ref())
            .or_else(|| customer_name.clone())
            .ok_or_else(|| {
                self.problem(
                    "customer_id",
                    "",
                    "the invoice names no customer; the record is skipped",
                )
            })?;
        let invoice = Invoice {
            origin: self.origin(id.clone()),
            number: self.opt(self.mapping.number.as_ref()).unwrap_or(id),
            customer_id,
            customer_name,
            issue_date,
            due_date,
            terms: None,
            currency,
            total,
            open_amount,
            book_rate: None,
            home_total: None,
            home_open: None,
            payment_reference: self.opt(self.mapping.reference.as_ref()),
            status: if open_amount.is_zero() {
                DocumentStatus::Paid
            } else {
                DocumentStatus::Open
            },
        };
        invoice.validate().map_err(|e| {
            self.problem(
                &self.mapping.amount,
                &total.to_string(),
                format!("{e}; the record is skipped"),
            )
        })?;
        Ok(Read::Invoice(Box::new(invoice)))
    }

    fn payout(
        &self,
        id: String,
        kind: ExportKind,
        currency: Currency,
        date: NaiveDate,
        gross: Decimal,
    ) -> Result<Read, Box<FeedProblem>> {
        let gross = match kind {
            ExportKind::Refund => -gross.abs(),
            _ => gross,
        };
        let settlement = match &self.mapping.settlement_currency {
            Some(f) if self.record.get(f).is_some() => self.currency(f)?,
            _ => currency,
        };
        let rate = match &self.mapping.conversion_rate {
            Some(f) if self.record.get(f).is_some() => {
                let text = self.record.get(f).unwrap_or_default();
                let r = parse_published(&text, self.mapping.decimal_comma)
                    .filter(|r| *r > Decimal::ZERO)
                    .ok_or_else(|| {
                        self.problem(f, &text, "not a positive rate; the record is skipped")
                    })?;
                Some(r)
            }
            _ => None,
        };
        if settlement == currency && rate.is_some_and(|r| r != Decimal::ONE) {
            return Err(self.problem(
                self.mapping.conversion_rate.as_deref().unwrap_or("conversion_rate"),
                &rate.map(|r| r.to_string()).unwrap_or_default(),
                format!("a conversion rate other than 1 between {currency} and itself; map settlement_currency, or the record is skipped"),
            ));
        }
        let fee_currency = match &self.mapping.fee_currency {
            Some(f) if self.record.get(f).is_some() => self.currency(f)?,
            _ => settlement,
        };
        let fee = match &self.mapping.fee {
            Some(f) if self.record.get(f).is_some() => Some(Money::new(
                self.amount(f, fee_currency)?.abs(),
                fee_currency,
            )),
            _ => None,
        };
        let net = match &self.mapping.net {
            Some(f) if self.record.get(f).is_some() => {
                Some(Money::new(self.amount(f, settlement)?, settlement))
            }
            _ => None,
        };
        self.check_balance(gross, currency, settlement, rate, fee, net)?;
        let number = self.opt(self.mapping.number.as_ref());
        let allocations = match &number {
            Some(n) if gross > Decimal::ZERO => vec![Allocation {
                item_kind: ItemKind::Invoice,
                item_id: n.clone(),
                amount: gross,
            }],
            _ => Vec::new(),
        };
        let payment = Payment {
            origin: self.origin(id),
            customer_id: self
                .opt(self.mapping.customer_id.as_ref())
                .or_else(|| self.opt(self.mapping.customer_name.as_ref())),
            date,
            amount: Money::new(gross, currency),
            reference: self.opt(self.mapping.reference.as_ref()).or(number),
            method: Some(self.mapping.source.clone()),
            book_rate: None,
            allocations,
            status: PaymentStatus::Posted,
        };
        payment.validate().map_err(|e| {
            self.problem(
                &self.mapping.amount,
                &gross.to_string(),
                format!("{e}; the record is skipped"),
            )
        })?;
        let exchange = (settlement != currency).then(|| ExchangeDetail {
            instructed: Money::new(gross, currency),
            rate,
            source_currency: Some(currency),
            target_currency: Some(settlement),
        });
        let fx = match rate {
            Some(r) if settlement != currency => {
                FxRate::new(currency, settlement, date, r, self.mapping.source.clone()).ok()
            }
            _ => None,
        };
        let payout = Payout {
            payment,
            fees: fee
                .filter(|f| !f.is_zero())
                .map(|amount| Charge {
                    amount,
                    included: true,
                    kind: Some(format!("{} fee", self.mapping.source)),
                })
                .into_iter()
                .collect(),
            net,
            exchange,
        };
        Ok(Read::Payout(Box::new(payout), fx))
    }

    /// Gross, fee and net must agree: net = gross × rate − fee, to within one minor unit of
    /// the settlement currency (providers round the converted gross once).
    fn check_balance(
        &self,
        gross: Decimal,
        currency: Currency,
        settlement: Currency,
        rate: Option<Decimal>,
        fee: Option<Money>,
        net: Option<Money>,
    ) -> Result<(), Box<FeedProblem>> {
        let Some(net) = net else { return Ok(()) };
        let converted = if settlement == currency {
            gross
        } else if let Some(r) = rate {
            gross * r
        } else {
            return Ok(());
        };
        let fee_in_settlement = match fee {
            None => Decimal::ZERO,
            Some(f) if f.currency == settlement => f.amount,
            Some(f) if f.currency == currency => match rate {
                Some(r) => f.amount * r,
                None if settlement == currency => f.amount,
                None => return Ok(()),
            },
            Some(_) => return Ok(()),
        };
        // A fee is always a cost, on a refund too.
        let expected = converted - fee_in_settlement.abs();
        let tolerance = Decimal::new(1, settlement.minor_units());
        if (expected - net.amount).abs() > tolerance {
            let field = self.mapping.net.as_deref().unwrap_or("net");
            return Err(self.problem(
                field,
                &net.amount.to_string(),
                format!(
                    "gross {gross} {currency}{} less fee {} gives {} {settlement}, not the net {}; check the mapping of gross, fee and net; the record is skipped",
                    rate.map(|r| format!(" at {r}")).unwrap_or_default(),
                    fee_in_settlement,
                    expected.round_dp(settlement.minor_units()),
                    net.amount
                ),
            ));
        }
        Ok(())
    }
}
