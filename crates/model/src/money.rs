//! Money: an exact decimal amount in one currency, and the explicit rounding strategies
//! arsync uses wherever it computes a value (FX conversion, interest, allocation).

use crate::{Currency, ModelError};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a computed amount is rounded. There is no default: every call site names one,
/// because half-up (commercial) and half-even (banker's) give different cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Commercial rounding: a half goes away from zero (2.345 → 2.35, −2.345 → −2.35).
    HalfUp,
    /// Banker's rounding: a half goes to the even neighbour (2.345 → 2.34, 2.355 → 2.36).
    HalfEven,
    /// Toward zero (truncation).
    Down,
    /// Away from zero.
    Up,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
            Rounding::Floor => RoundingStrategy::ToNegativeInfinity,
            Rounding::Ceiling => RoundingStrategy::ToPositiveInfinity,
        }
    }

    /// Rounds a bare decimal to `dp` places with this strategy.
    pub fn round(self, value: Decimal, dp: u32) -> Decimal {
        value.round_dp_with_strategy(dp, self.strategy())
    }
}

/// An amount in a currency. The amount is kept exactly as given (amounts from the books
/// are never re-rounded); rounding happens only through [`Money::round`] with a named
/// [`Rounding`]. Arithmetic across currencies is refused.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The exact amount. Serialised as a string so no JSON reader turns it into a float.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The currency the amount is in.
    pub currency: Currency,
}

impl Money {
    /// An amount in a currency, exactly as given.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in a currency.
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// Parses an amount written with a dot as the decimal separator (`"1234.50"`).
    pub fn parse(amount: &str, currency: &str) -> Result<Self, ModelError> {
        let currency = Currency::parse(currency)?;
        let value: Decimal =
            amount
                .trim()
                .parse()
                .map_err(|_| ModelError::Inconsistent {
                    record: format!("amount '{amount}'"),
                    reason: "not a decimal number (expected digits with an optional '.' and sign, e.g. -1234.50)".into(),
                })?;
        Ok(Self::new(value, currency))
    }

    fn same_currency(&self, other: &Money, operation: &'static str) -> Result<(), ModelError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(ModelError::CurrencyMismatch {
                operation,
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// Sum of two amounts in the same currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, ModelError> {
        self.same_currency(other, "add")?;
        Ok(Money::new(self.amount + other.amount, self.currency))
    }

    /// Difference of two amounts in the same currency.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, ModelError> {
        self.same_currency(other, "subtract")?;
        Ok(Money::new(self.amount - other.amount, self.currency))
    }

    /// Compares two amounts in the same currency.
    pub fn checked_cmp(&self, other: &Money) -> Result<std::cmp::Ordering, ModelError> {
        self.same_currency(other, "compare")?;
        Ok(self.amount.cmp(&other.amount))
    }

    /// Sums amounts that must all be in `currency`.
    pub fn sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Money, ModelError> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    /// The amount with its sign flipped.
    pub fn negate(&self) -> Money {
        Money::new(-self.amount, self.currency)
    }

    /// The absolute amount.
    pub fn abs(&self) -> Money {
        Money::new(self.amount.abs(), self.currency)
    }

    /// Whether the amount is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// Rounded to the currency's minor units with an explicit strategy.
    pub fn round(&self, rounding: Rounding) -> Money {
        Money::new(
            rounding.round(self.amount, self.currency.minor_units()),
            self.currency,
        )
    }

    /// Whether the amount has no more decimals than the currency's minor units.
    pub fn fits_minor_units(&self) -> bool {
        self.amount.normalize().scale() <= self.currency.minor_units()
    }

    /// The amount in integer minor units (cents), if it fits exactly.
    pub fn to_minor_units(&self) -> Option<i64> {
        if !self.fits_minor_units() {
            return None;
        }
        let mut scaled = self.amount;
        scaled.rescale(self.currency.minor_units());
        let mantissa = scaled.mantissa();
        i64::try_from(mantissa).ok()
    }

    /// Builds money from integer minor units (`1234` EUR cents is 12.34 EUR).
    pub fn from_minor_units(minor: i64, currency: Currency) -> Money {
        Money::new(Decimal::new(minor, currency.minor_units()), currency)
    }

    /// Converts at `rate` (units of `to` per one unit of this currency), rounding the
    /// result to `to`'s minor units with the given strategy. The rate is used exactly.
    pub fn convert(&self, rate: Decimal, to: Currency, rounding: Rounding) -> Money {
        Money::new(self.amount * rate, to).round(rounding)
    }

    /// Scales by a factor and rounds to minor units (interest, percentages).
    pub fn scale(&self, factor: Decimal, rounding: Rounding) -> Money {
        Money::new(self.amount * factor, self.currency).round(rounding)
    }

    /// Splits the amount in proportion to `weights` so that the parts, each rounded to minor
    /// units, add up exactly to the rounded whole. Leftover minor units go to the parts with
    /// the largest remainders, earliest first on ties, so the result is deterministic.
    /// Returns `None` when the weights are empty, negative or sum to zero.
    pub fn split(&self, weights: &[Decimal], rounding: Rounding) -> Option<Vec<Money>> {
        let total_weight: Decimal = weights.iter().copied().sum();
        if weights.is_empty()
            || total_weight <= Decimal::ZERO
            || weights.iter().any(|w| w.is_sign_negative())
        {
            return None;
        }
        let whole = self.round(rounding);
        let dp = self.currency.minor_units();
        let unit = Decimal::new(1, dp);
        let exact: Vec<Decimal> = weights
            .iter()
            .map(|w| whole.amount * *w / total_weight)
            .collect();
        let mut parts: Vec<Decimal> = exact.iter().map(|e| Rounding::Down.round(*e, dp)).collect();
        let assigned: Decimal = parts.iter().copied().sum();
        let mut leftover = whole.amount - assigned;
        let mut order: Vec<usize> = (0..parts.len()).collect();
        order.sort_by(|a, b| {
            let ra = (exact[*a] - parts[*a]).abs();
            let rb = (exact[*b] - parts[*b]).abs();
            rb.cmp(&ra).then(a.cmp(b))
        });
        let step = if leftover.is_sign_negative() {
            -unit
        } else {
            unit
        };
        let mut i = 0;
        while !leftover.is_zero() && !order.is_empty() {
            let idx = order[i % order.len()];
            parts[idx] += step;
            leftover -= step;
            i += 1;
        }
        Some(
            parts
                .into_iter()
                .map(|p| Money::new(p, self.currency))
                .collect(),
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    #[test]
    fn half_up_and_bankers_rounding_differ_on_halves() {
        let m = Money::new(dec!(2.345), eur());
        assert_eq!(m.round(Rounding::HalfUp).amount, dec!(2.35));
        assert_eq!(m.round(Rounding::HalfEven).amount, dec!(2.34));
        let m = Money::new(dec!(2.355), eur());
        assert_eq!(m.round(Rounding::HalfUp).amount, dec!(2.36));
        assert_eq!(m.round(Rounding::HalfEven).amount, dec!(2.36));
        let neg = Money::new(dec!(-2.345), eur());
        assert_eq!(neg.round(Rounding::HalfUp).amount, dec!(-2.35));
        assert_eq!(neg.round(Rounding::HalfEven).amount, dec!(-2.34));
        assert_eq!(neg.round(Rounding::Floor).amount, dec!(-2.35));
        assert_eq!(neg.round(Rounding::Ceiling).amount, dec!(-2.34));
        assert_eq!(neg.round(Rounding::Down).amount, dec!(-2.34));
        assert_eq!(neg.round(Rounding::Up).amount, dec!(-2.35));
    }

    #[test]
    fn rounding_respects_minor_units() {
        let jpy = Currency::parse("JPY").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(
            Money::new(dec!(1234.5), jpy).round(Rounding::HalfUp).amount,
            dec!(1235)
        );
        assert_eq!(
            Money::new(dec!(1234.5), jpy)
                .round(Rounding::HalfEven)
                .amount,
            dec!(1234)
        );
        assert_eq!(
            Money::new(dec!(1.2345), kwd).round(Rounding::HalfUp).amount,
            dec!(1.235)
        );
        assert_eq!(
            Money::new(dec!(1.2345), kwd)
                .round(Rounding::HalfEven)
                .amount,
            dec!(1.234)
        );
    }

    #[test]
    fn arithmetic_across_currencies_is_refused() {
        let usd = Currency::parse("USD").unwrap();
        let err = Money::new(dec!(1), eur())
            .checked_add(&Money::new(dec!(1), usd))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot add EUR and USD: the currencies differ; convert one at an explicit rate first"
        );
    }

    #[test]
    fn conversion_uses_the_rate_exactly_and_rounds_once() {
        let usd = Currency::parse("USD").unwrap();
        // 1,000.00 EUR at 1.08345 USD/EUR = 1,083.45 USD exactly.
        let m = Money::new(dec!(1000.00), eur()).convert(dec!(1.08345), usd, Rounding::HalfUp);
        assert_eq!(m, Money::new(dec!(1083.45), usd));
        // 10.005 would be a half: explicit strategy decides.
        let m = Money::new(dec!(10), eur()).convert(dec!(1.0005), usd, Rounding::HalfEven);
        assert_eq!(m.amount, dec!(10.00));
    }

    #[test]
    fn minor_unit_integers_round_trip() {
        let kwd = Currency::parse("KWD").unwrap();
        let m = Money::new(dec!(12.345), kwd);
        assert_eq!(m.to_minor_units(), Some(12345));
        assert_eq!(Money::from_minor_units(12345, kwd), m);
        assert_eq!(Money::new(dec!(1.2345), kwd).to_minor_units(), None);
    }

    #[test]
    fn serde_keeps_amounts_as_strings() {
        let m = Money::new(dec!(0.10), eur());
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":"0.10","currency":"EUR"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn a_hundred_split_three_ways_keeps_every_cent() {
        let parts = Money::new(dec!(100), eur())
            .split(&[dec!(1), dec!(1), dec!(1)], Rounding::HalfUp)
            .unwrap();
        let amounts: Vec<_> = parts.iter().map(|p| p.amount).collect();
        assert_eq!(amounts, vec![dec!(33.34), dec!(33.33), dec!(33.33)]);
    }

    proptest! {
        #[test]
        fn split_parts_sum_to_the_whole(cents in -10_000_000i64..10_000_000, weights in proptest::collection::vec(1u32..1000, 1..8)) {
            let whole = Money::from_minor_units(cents, eur());
            let w: Vec<Decimal> = weights.iter().map(|w| Decimal::from(*w)).collect();
            let parts = whole.split(&w, Rounding::HalfEven).unwrap();
            let sum = Money::sum(eur(), parts.iter()).unwrap();
            prop_assert_eq!(sum, whole);
            for p in parts { prop_assert!(p.fits_minor_units()); }
        }

        #[test]
        fn add_then_subtract_is_identity(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
            let x = Money::from_minor_units(a, eur());
            let y = Money::from_minor_units(b, eur());
            prop_assert_eq!(x.checked_add(&y).unwrap().checked_sub(&y).unwrap(), x);
        }
    }
}
