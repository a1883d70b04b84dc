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
