//! Exchange rates.

use crate::{Currency, ModelError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A rate fixed for a date: one unit of `base` costs `rate` units of `quote`
/// (the ECB publishes EUR/USD 1.0834 as base EUR, quote USD, rate 1.0834).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FxRate {
    /// Base currency.
    pub base: Currency,
    /// Quote currency.
    pub quote: Currency,
    /// Date of the fixing.
    pub date: NaiveDate,
    /// Units of quote per unit of base, exact as published.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Who published it ("ecb", "cnb", a connection name).
    pub source: String,
}

impl FxRate {
    /// A validated rate: positive, between two different currencies.
    pub fn new(
        base: Currency,
        quote: Currency,
        date: NaiveDate,
        rate: Decimal,
        source: impl Into<String>,
    ) -> Result<Self, ModelError> {
        let fx = Self {
            base,
            quote,
            date,
            rate,
            source: source.into(),
        };
        fx.validate()?;
        Ok(fx)
    }

    /// Checks the invariants.
    pub fn validate(&self) -> Result<(), ModelError> {
        let record = format!(
            "{}/{} rate of {} from {}",
            self.base, self.quote, self.date, self.source
        );
        if self.base == self.quote {
            return Err(ModelError::Inconsistent {
                record,
                reason: "base and quote currency are the same".into(),
            });
        }
        if self.rate <= Decimal::ZERO {
            return Err(ModelError::Inconsistent {
                record,
                reason: format!("rate {} must be positive", self.rate),
            });
        }
        Ok(())
    }

    /// The inverse quote (quote → base). The division is carried to rust_decimal's full
    /// precision and never rounded to a display scale before use.
    pub fn inverse(&self) -> FxRate {
        FxRate {
            base: self.quote,
            quote: self.base,
            date: self.date,
            rate: Decimal::ONE / self.rate,
            source: self.source.clone(),
        }
    }
}

/// How a [`RateQuote`] was obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "path")]
pub enum RatePath {
    /// Same currency: the rate is one.
    Identity,
    /// A published rate for the pair.
    Direct,
    /// One over the published rate of the reverse pair, unrounded.
    Inverse,
    /// Through a common base currency (ECB rates are all against EUR).
    Cross {
        /// The currency both legs share.
        via: Currency,
    },
}

/// The answer to "how many `to` for one `from` on this date", with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateQuote {
    /// Currency converted from.
    pub from: Currency,
    /// Currency converted to.
    pub to: Currency,
    /// Date asked for.
    pub on: NaiveDate,
    /// Units of `to` per unit of `from`, at full precision.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Date of the fixing used (the older leg for a cross rate).
    pub fixing_date: NaiveDate,
    /// Publishers of the fixings used.
    pub sources: Vec<String>,
    /// How the rate was obtained.
    #[serde(flatten)]
    pub path: RatePath,
}

impl RateQuote {
    /// Whether an earlier fixing stood in for a date with none (weekend, holiday).
    pub fn is_fallback(&self) -> bool {
        self.fixing_date != self.on
    }

    /// A sentence saying which rate was used and why.
    pub fn explain(&self) -> String {
        let source = self.sources.join(" and ");
        let mut s = format!(
            "{}/{} {} ({})",
            self.from,
            self.to,
            self.rate.normalize(),
            source
        );
        match &self.path {
            RatePath::Identity => return format!("{} needs no conversion", self.from),
            RatePath::Direct => {}
            RatePath::Inverse => s.push_str(&format!(
                ", the inverse of the {}/{} fixing",
                self.to, self.from
            )),
            RatePath::Cross { via } => s.push_str(&format!(", crossed through {via}")),
        }
        if self.is_fallback() {
            s.push_str(&format!(
                "; no fixing on {}, so the last earlier one, of {}, was used",
                self.on, self.fixing_date
            ));
        } else {
            s.push_str(&format!(" of {}", self.fixing_date));
        }
        s
    }
}

/// Why no rate could be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxLookupError {
    /// Nothing usable was published on or before the date within the allowed age.
    #[error(
        "no {from}/{to} rate on or up to {max_age_days} days before {on}; load a rate file that covers that date (e.g. the ECB history) or record the rate"
    )]
    NoRate {
        /// From currency.
        from: Currency,
        /// To currency.
        to: Currency,
        /// Date asked for.
        on: NaiveDate,
        /// The oldest fixing accepted, in days before `on`.
        max_age_days: i64,
    },
}

/// A set of published rates that answers lookups for any pair on any date: the fixing of
/// the day, else the last earlier one (saying so), directly, inverted or crossed through a
/// common base currency. Deterministic: the same rates always give the same answer.
#[derive(Debug, Clone, Default)]
pub struct RateBook {
    pairs: std::collections::BTreeMap<(Currency, Currency), Vec<FxRate>>,
    max_age_days: i64,
}

impl RateBook {
    /// How many days an earlier fixing may stand in for a missing one by default: enough
    /// for a long holiday weekend, not enough to use a stale rate silently.
    pub const DEFAULT_MAX_AGE_DAYS: i64 = 10;

    /// Builds a book. Where two sources publish the same pair on the same date, the one
    /// whose source name sorts first is used, so the answer never depends on input order.
    pub fn new(rates: impl IntoIterator<Item = FxRate>) -> Self {
        let mut pairs: std::collections::BTreeMap<(Currency, Currency), Vec<FxRate>> =
            std::collections::BTreeMap::new();
        for r in rates {
            pairs.entry((r.base, r.quote)).or_default().push(r);
        }
        for list in pairs.values_mut() {
            list.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.source.cmp(&b.source)));
            list.dedup_by(|later, earlier| later.date == earlier.date);
        }
        Self {
            pairs,
            max_age_days: Self::DEFAULT_MAX_AGE_DAYS,
        }
    }

    /// Sets how many days an earlier fixing may stand in for a missing one.
    pub fn with_max_age_days(mut self, days: i64) -> Self {
        self.max_age_days = days;
        self
    }

    /// Number of fixings held.
    pub fn len(&self) -> usize {
        self.pairs.values().map(Vec::len).sum()
    }

    /// Whether no fixing is held.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    fn fixing(&self, base: Currency, quote: Currency, on: NaiveDate) -> Option<&FxRate> {
        let list = self.pairs.get(&(base, quote))?;
        let idx = list.partition_point(|r| r.date <= on);
        let r = list.get(idx.checked_sub(1)?)?;
        ((on - r.date).num_days() <= self.max_age_days).then_some(r)
    }

    /// `from` → `to` as a rate and fixing date, directly or inverted.
    fn leg(
        &self,
        from: Currency,
        to: Currency,
        on: NaiveDate,
    ) -> Option<(Decimal, &FxRate, RatePath)> {
        let direct = self
            .fixing(from, to, on)
            .map(|r| (r.rate, r, RatePath::Direct));
        let inverse = self
            .fixing(to, from, on)
            .map(|r| (Decimal::ONE / r.rate, r, RatePath::Inverse));
        match (direct, inverse) {
            (Some(d), Some(i)) => Some(if i.1.date > d.1.date { i } else { d }),
            (d, i) => d.or(i),
        }
    }

    /// The rate to convert `from` into `to` on `on`.
    pub fn lookup(
        &self,
        from: Currency,
        to: Currency,
        on: NaiveDate,
    ) -> Result<RateQuote, FxLookupError> {
        if from == to {
            return Ok(RateQuote {
                from,
                to,
                on,
                rate: Decimal::ONE,
                fixing_date: on,
                sources: Vec::new(),
                path: RatePath::Identity,
            });
        }
        if let Some((rate, r, path)) = self.leg(from, to, on) {
            return Ok(RateQuote {
                from,
                to,
                on,
                rate,
                fixing_date: r.date,
                sources: vec![r.source.clone()],
                path,
            });
        }
        let mut vias: Vec<Currency> = self
            .pairs
            .keys()
            .flat_map(|(b, q)| [*b, *q])
            .filter(|c| *c != from && *c != to)
            .collect();
        vias.sort();
        vias.dedup();
        let mut best: Option<RateQuote> = None;
        for via in vias {
            let (Some((r1, f1, _)), Some((r2, f2, _))) =
                (self.leg(from, via, on), self.leg(via, to, on))
            else {
                continue;
            };
            let fixing_date = f1.date.min(f2.date);
            if best.as_ref().is_some_and(|b| b.fixing_date >= fixing_date) {
                continue;
            }
            let mut sources = vec![f1.source.clone(), f2.source.clone()];
            sources.dedup();
            best = Some(RateQuote {
                from,
                to,
                on,
                rate: r1 * r2,
                fixing_date,
                sources,
                path: RatePath::Cross { via },
            });
        }
        best.ok_or(FxLookupError::NoRate {
            from,
            to,
            on,
            max_age_days: self.max_age_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn ecb(quote: &str, date: NaiveDate, rate: Decimal) -> FxRate {
        FxRate::new(c("EUR"), c(quote), date, rate, "ecb").unwrap()
    }

    fn book() -> RateBook {
        RateBook::new(vec![
            ecb("USD", d(2026, 11, 19), dec!(1.0850)),
            ecb("USD", d(2026, 11, 20), dec!(1.0834)),
            ecb("GBP", d(2026, 11, 20), dec!(0.8702)),
            ecb("JPY", d(2026, 11, 20), dec!(163.21)),
        ])
    }

    #[test]
    fn a_weekend_uses_fridays_fixing_and_says_so() {
        let q = book().lookup(c("EUR"), c("USD"), d(2026, 11, 22)).unwrap();
        assert_eq!(q.rate, dec!(1.0834));
        assert_eq!(q.fixing_date, d(2026, 11, 20));
        assert!(q.is_fallback());
        assert_eq!(
            q.explain(),
            "EUR/USD 1.0834 (ecb); no fixing on 2026-11-22, so the last earlier one, of 2026-11-20, was used"
        );
    }

    #[test]
    fn the_inverse_is_not_rounded_before_use() {
        let q = book().lookup(c("USD"), c("EUR"), d(2026, 11, 20)).unwrap();
        assert_eq!(q.path, RatePath::Inverse);
        assert_eq!(q.rate, Decimal::ONE / dec!(1.0834));
        assert!(q.rate.scale() > 20);
        // 1,083.40 USD back to EUR is exactly 1,000.00 once rounded.
        let eur = crate::Money::new(dec!(1083.40), c("USD")).convert(
            q.rate,
            c("EUR"),
            crate::Rounding::HalfUp,
        );
        assert_eq!(eur.amount, dec!(1000.00));
    }

    #[test]
    fn cross_rates_go_through_the_base_currency() {
        let q = book().lookup(c("GBP"), c("USD"), d(2026, 11, 20)).unwrap();
        assert_eq!(q.path, RatePath::Cross { via: c("EUR") });
        assert_eq!(q.rate, (Decimal::ONE / dec!(0.8702)) * dec!(1.0834));
        assert!(q.explain().contains("crossed through EUR"));
    }

    #[test]
    fn a_date_before_any_fixing_or_too_old_has_no_rate() {
        let err = book()
            .lookup(c("EUR"), c("USD"), d(2026, 11, 1))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("no EUR/USD rate on or up to 10 days before 2026-11-01")
        );
        assert!(book().lookup(c("EUR"), c("USD"), d(2026, 12, 15)).is_err());
        assert!(
            book()
                .with_max_age_days(40)
                .lookup(c("EUR"), c("USD"), d(2026, 12, 15))
                .is_ok()
        );
    }

    #[test]
    fn input_order_does_not_change_the_answer() {
        let a = FxRate::new(c("EUR"), c("CHF"), d(2026, 11, 20), dec!(0.9312), "ecb").unwrap();
        let b = FxRate::new(c("EUR"), c("CHF"), d(2026, 11, 20), dec!(0.9315), "bank").unwrap();
        let one = RateBook::new(vec![a.clone(), b.clone()])
            .lookup(c("EUR"), c("CHF"), d(2026, 11, 20))
            .unwrap();
        let two = RateBook::new(vec![b, a])
            .lookup(c("EUR"), c("CHF"), d(2026, 11, 20))
            .unwrap();
        assert_eq!(one, two);
        assert_eq!(one.sources, vec!["bank".to_string()]);
    }
}
