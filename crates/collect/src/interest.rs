//! Late-payment interest and fixed compensation, by jurisdiction profile or by contract.
//!
//! Conventions, stated once so every figure can be checked by hand:
//! - Simple interest on the principal, never compounded: principal × rate % × days / 365.
//!   Both the German practice under § 288 BGB and the UK statute (daily at rate / 365)
//!   count actual days over a 365-day year; the same act/365 is used for the EU directive
//!   and for contractual yearly rates, also in leap years. A monthly contractual rate is
//!   turned into a yearly one × 12 and then counted the same way.
//! - Days are counted inclusively: interest running from 1 Dec to 31 Dec is 31 days.
//! - The period is split where the rate changes; each part is rounded half-up to the
//!   currency's minor units, and the total is the sum of the rounded parts, so the parts
//!   shown always add up to the total.
//! - Germany and the EU directive follow the reference rate half-year by half-year. The UK
//!   Act fixes the reference rate by the half-year in which the debt fell overdue and keeps
//!   it for the whole period.
//! - A half-year with no known reference rate is reported in
//!   [`InterestClaim::missing_rates`] and left out of the figure, never guessed.
//!
//! When interest starts: the EU directive, the UK Act and contractual terms run from the
//! day after the due date. In Germany the debtor is in default (§ 286 BGB) only after a
//! formal notice (Mahnung), when the due date was fixed by the calendar in the contract,
//! or at the latest 30 days after the due date and receipt of the invoice for a business
//! debtor; see [`interest_start`].

use crate::error::{CollectError, Result};
use crate::rates::{MissingReferenceRate, RateTableId, RateTables};
use arsync_model::{Currency, Money, Rounding, days_between};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The statutory regime that decides interest, compensation and limitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    /// Directive 2011/7/EU as such: ECB reference rate + 8 points, EUR 40 per invoice.
    /// The ECB rate is used whatever the invoice currency; member states outside the euro
    /// use their own central bank's rate, which this profile does not hold.
    Eu,
    /// Germany: §§ 286, 288 BGB. Base rate + 9 points between businesses (+ 5 with a
    /// consumer), EUR 40 from a business debtor.
    De,
    /// United Kingdom: Late Payment of Commercial Debts (Interest) Act 1998. Bank Rate + 8
    /// points, GBP 40 / 70 / 100 by debt size. Between businesses only.
    Uk,
}

impl Jurisdiction {
    /// Reads the configuration's `jurisdiction` ("DE", "UK", "GB", "EU"; any case).
    pub fn parse(code: &str) -> Result<Self> {
        match code.trim().to_ascii_uppercase().as_str() {
            "EU" => Ok(Jurisdiction::Eu),
            "DE" => Ok(Jurisdiction::De),
            "UK" | "GB" => Ok(Jurisdiction::Uk),
            other => Err(CollectError::Interest {
                record: "company.jurisdiction".into(),
                reason: format!(
                    "'{other}' has no interest profile; use DE, UK (or GB) or EU, or set contractual interest terms"
                ),
            }),
        }
    }

    /// The reference-rate table the regime uses.
    pub fn table(self) -> RateTableId {
        match self {
            Jurisdiction::Eu => RateTableId::EcbMro,
            Jurisdiction::De => RateTableId::DeBasiszins,
            Jurisdiction::Uk => RateTableId::UkBankRate,
        }
    }
}

/// The period a contractual rate is quoted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatePer {
    /// Per month (e.g. 1 % per month).
    Month,
    /// Per year.
    Year,
}

/// Interest agreed in the contract instead of the statutory rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractualTerms {
    /// The fixed rate in percent.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate_percent: Decimal,
    /// Whether the rate is per month or per year.
    pub per: RatePer,
    /// Fixed compensation per invoice, if the contract has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation: Option<Money>,
}

/// What governs late-payment interest for an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestBasis {
    /// The statutory regime of a jurisdiction.
    Statutory(Jurisdiction),
    /// A fixed contractual rate.
    Contractual(ContractualTerms),
}

/// One part of an interest period at one rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestSegment {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// Number of days.
    pub days: i64,
    /// The reference rate used, for statutory interest.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub reference_percent: Option<Decimal>,
    /// The yearly rate applied (reference + margin, or the contractual rate).
    #[serde(with = "rust_decimal::serde::str")]
    pub rate_percent: Decimal,
    /// Interest for the part, rounded half-up to minor units.
    pub interest: Money,
    /// Where the rate comes from.
    pub source: String,
}

/// Interest and compensation owed on one principal for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestClaim {
    /// The amount interest runs on.
    pub principal: Money,
    /// First day of interest.
    pub from: NaiveDate,
    /// Last day of interest (inclusive).
    pub to: NaiveDate,
    /// The parts at one rate each.
    pub segments: Vec<InterestSegment>,
    /// Sum of the segments.
    pub interest: Money,
    /// Fixed compensation, when it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation: Option<Money>,
    /// The day count used.
    pub day_count: String,
    /// Half-years left out because no reference rate is known.
    pub missing_rates: Vec<MissingReferenceRate>,
}

impl InterestClaim {
    /// Whether every day of the period had a known rate.
    pub fn is_complete(&self) -> bool {
        self.missing_rates.is_empty()
    }
}

/// What decides when interest starts on an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultFacts {
    /// The due date.
    pub due: NaiveDate,
    /// When the formal notice (Mahnung) reached the debtor, if one was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_received: Option<NaiveDate>,
    /// Whether the due date was fixed by the calendar in the contract (§ 286(2) no. 1 BGB),
    /// not just printed on the invoice.
    #[serde(default)]
    pub due_date_agreed: bool,
    /// Whether the debtor is a business.
    pub debtor_is_business: bool,
}

/// The first day late-payment interest runs, or `None` when it does not run yet.
///
/// Germany: with a calendar due date from the contract, the day after the due date; after a
/// formal notice, the day after it was received (§ 187(1) BGB); a business debtor is in
/// default at the latest from the 31st day after the due date (§ 286(3) BGB, receipt of the
/// invoice taken as no later than the due date). The earliest applicable day wins.
/// Elsewhere: the day after the due date.
pub fn interest_start(basis: &InterestBasis, facts: &DefaultFacts) -> Option<NaiveDate> {
    let day_after_due = facts.due.checked_add_days(Days::new(1));
    match basis {
        InterestBasis::Statutory(Jurisdiction::De) => {
            let calendar = day_after_due.filter(|_| facts.due_date_agreed);
            let notice = facts
                .notice_received
                .and_then(|d| d.checked_add_days(Days::new(1)));
            let thirty_days = facts
                .due
                .checked_add_days(Days::new(31))
                .filter(|_| facts.debtor_is_business);
            [calendar, notice, thirty_days].into_iter().flatten().min()
        }
        _ => day_after_due,
    }
}

const DAYS_PER_YEAR: i64 = 365;

/// Interest on `principal` from `from` to `to` (both inclusive) under `basis`, with the
/// fixed compensation that goes with it. Refused when the regime does not apply (the UK
/// Act and the EU directive cover only debts between businesses) or the period is empty.
pub fn interest(
    basis: &InterestBasis,
    tables: &RateTables,
    principal: Money,
    from: NaiveDate,
    to: NaiveDate,
    debtor_is_business: bool,
) -> Result<InterestClaim> {
    interest_fixed_from(basis, tables, principal, from, to, debtor_is_business, from)
}

/// As [`interest`], with the day whose half-year fixes the UK rate given separately, so a
/// period split by part payments keeps the rate of the day the debt fell overdue.
fn interest_fixed_from(
    basis: &InterestBasis,
    tables: &RateTables,
    principal: Money,
    from: NaiveDate,
    to: NaiveDate,
    debtor_is_business: bool,
    overdue_from: NaiveDate,
) -> Result<InterestClaim> {
    if to < from {
        return Err(CollectError::Interest {
            record: format!("interest on {principal}"),
            reason: format!("the period ends {to}, before it starts {from}; nothing accrues yet"),
        });
    }
    let zero = Money::zero(principal.currency);
    let mut segments = Vec::new();
    let mut missing_rates = Vec::new();
    let compensation;
    match basis {
        InterestBasis::Contractual(terms) => {
            let yearly = match terms.per {
                RatePer::Year => terms.rate_percent,
                RatePer::Month => terms.rate_percent * Decimal::from(12),
            };
            segments.push(segment(
                principal,
                from,
                to,
                None,
                yearly,
                "contract".into(),
            ));
            compensation = terms.compensation;
        }
        InterestBasis::Statutory(jurisdiction) => {
            let (margin, comp) = statutory_terms(*jurisdiction, principal, debtor_is_business)?;
            compensation = comp;
            let table = tables.table(jurisdiction.table());
            if *jurisdiction == Jurisdiction::Uk {
                // The rate of the half-year in which the debt fell overdue holds throughout.
                match table.rate_on(overdue_from) {
                    Ok(row) => segments.push(segment(
                        principal,
                        from,
                        to,
                        Some(row.rate_percent),
                        row.rate_percent + margin,
                        row.source.clone(),
                    )),
                    Err(mut m) => {
                        m.from = from;
                        m.to = to;
                        missing_rates.push(m);
                    }
                }
            } else {
                for span in table.spans(from, to) {
                    match span.row {
                        Some(row) => segments.push(segment(
                            principal,
                            span.from,
                            span.to,
                            Some(row.rate_percent),
                            row.rate_percent + margin,
                            row.source.clone(),
                        )),
                        None => missing_rates.push(MissingReferenceRate {
                            table: table.id(),
                            period: crate::rates::half_year_label(span.from),
                            from: span.from,
                            to: span.to,
                        }),
                    }
                }
            }
        }
    }
    let total = segments.iter().fold(zero, |acc, s| {
        Money::new(acc.amount + s.interest.amount, acc.currency)
    });
    Ok(InterestClaim {
        principal,
        from,
        to,
        segments,
        interest: total,
        compensation,
        day_count: "act/365, simple interest, each rate period rounded half-up".into(),
        missing_rates,
    })
}

/// Interest on a balance that part payments reduced: `payments` are the dates money was
/// received and the amounts applied to this debt. `open_now` is what is open after all of
/// them. A payment received on a day stops interest on its amount from that day, so the
/// balance on day `d` is `open_now` plus every payment received after `d`. The period is
/// split at each payment; compensation is judged on the balance on the first day.
pub fn interest_on_balance(
    basis: &InterestBasis,
    tables: &RateTables,
    open_now: Money,
    payments: &[(NaiveDate, Decimal)],
    from: NaiveDate,
    to: NaiveDate,
    debtor_is_business: bool,
) -> Result<InterestClaim> {
    let balance_on = |d: NaiveDate| -> Money {
        let later: Decimal = payments
            .iter()
            .filter(|(p, _)| *p > d)
            .map(|(_, a)| *a)
            .sum();
        Money::new(open_now.amount + later, open_now.currency)
    };
    let mut breaks: Vec<NaiveDate> = payments
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| *p > from && *p <= to)
        .collect();
    breaks.sort();
    breaks.dedup();
    let mut starts = vec![from];
    starts.extend(breaks);
    let principal = balance_on(from);
    let mut total: Option<InterestClaim> = None;
    for (i, start) in starts.iter().enumerate() {
        let end = starts
            .get(i + 1)
            .and_then(|next| next.pred_opt())
            .unwrap_or(to);
        let balance = balance_on(*start);
        if balance.amount <= Decimal::ZERO || end < *start {
            continue;
        }
        let part = interest_fixed_from(
            basis,
            tables,
            balance,
            *start,
            end,
            debtor_is_business,
            from,
        )?;
        total = Some(match total {
            None => part,
            Some(mut acc) => {
                acc.interest = Money::new(
                    acc.interest.amount + part.interest.amount,
                    acc.interest.currency,
                );
                acc.segments.extend(part.segments);
                acc.missing_rates.extend(part.missing_rates);
                acc.to = part.to;
                acc
            }
        });
    }
    match total {
        Some(mut claim) => {
            claim.principal = principal;
            claim.from = from;
            claim.to = to;
            Ok(claim)
        }
        None => interest(
            basis,
            tables,
            Money::zero(open_now.currency),
            from,
            to,
            debtor_is_business,
        ),
    }
}

fn segment(
    principal: Money,
    from: NaiveDate,
    to: NaiveDate,
    reference_percent: Option<Decimal>,
    rate_percent: Decimal,
    source: String,
) -> InterestSegment {
    let days = days_between(from, to) + 1;
    let factor = rate_percent * Decimal::from(days) / Decimal::from(100 * DAYS_PER_YEAR);
    InterestSegment {
        from,
        to,
        days,
        reference_percent,
        rate_percent,
        interest: principal.scale(factor, Rounding::HalfUp),
        source,
    }
}

/// Margin over the reference rate and fixed compensation of a regime.
fn statutory_terms(
    jurisdiction: Jurisdiction,
    principal: Money,
    debtor_is_business: bool,
) -> Result<(Decimal, Option<Money>)> {
    let money = |amount: i64, code: &str| -> Result<Money> {
        let currency = Currency::parse(code).map_err(|e| CollectError::Interest {
            record: "compensation".into(),
            reason: e.to_string(),
        })?;
        Ok(Money::new(Decimal::from(amount), currency))
    };
    let b2b_only = |name: &str| CollectError::Interest {
        record: format!("interest on {principal}"),
        reason: format!(
            "{name} applies only between businesses and the customer is marked as a consumer; set contractual terms or none"
        ),
    };
    match jurisdiction {
        Jurisdiction::Eu => {
            if !debtor_is_business {
                return Err(b2b_only("the late payment directive 2011/7/EU"));
            }
            Ok((Decimal::from(8), Some(money(40, "EUR")?)))
        }
        Jurisdiction::De => {
            if debtor_is_business {
                Ok((Decimal::from(9), Some(money(40, "EUR")?)))
            } else {
                Ok((Decimal::from(5), None))
            }
        }
        Jurisdiction::Uk => {
            if !debtor_is_business {
                return Err(b2b_only(
                    "the Late Payment of Commercial Debts (Interest) Act 1998",
                ));
            }
            Ok((Decimal::from(8), uk_compensation(principal)))
        }
    }
}

/// Fixed sum under s. 5A of the UK Act: GBP 40 below GBP 1,000; GBP 70 from 1,000 to
/// below 10,000; GBP 100 from 10,000. Only a debt in GBP is banded; for any other currency
/// the caller must convert and ask again, so `None` is returned rather than a guess.
pub fn uk_compensation(debt: Money) -> Option<Money> {
    if debt.currency.code() != "GBP" {
        return None;
    }
    let band = if debt.amount < Decimal::from(1_000) {
        40
    } else if debt.amount < Decimal::from(10_000) {
        70
    } else {
        100
    };
    Some(Money::new(Decimal::from(band), debt.currency))
}

#[cfg(test)]
mod tests;
