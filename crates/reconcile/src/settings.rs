//! The knobs of the matching pipeline, with defaults an accountant can live with. Read from
//! the `[reconcile]` table of the configuration; every field is optional.

use crate::error::{ReconcileError, Result};
use arsync_model::{Currency, Rounding};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How short a receipt may be and still settle the items in full, the difference booked
/// as bank charges: the smaller of an absolute amount and a percentage of what is settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeTolerance {
    /// Largest shortfall in the currency's units (e.g. 25 for 25.00 EUR).
    #[serde(with = "rust_decimal::serde::str")]
    pub absolute: Decimal,
    /// Largest shortfall as a percentage of the amount settled (e.g. 2 for 2 %).
    #[serde(with = "rust_decimal::serde::str")]
    pub percent: Decimal,
}

/// Settings of [`crate::reconcile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Confidence (0 to 1) from which a match is applied without review.
    #[serde(with = "rust_decimal::serde::str")]
    pub auto_threshold: Decimal,
    /// Two candidates whose confidences are closer than this are a tie and go to review.
    #[serde(with = "rust_decimal::serde::str")]
    pub tie_margin: Decimal,
    /// Fee tolerance per currency code.
    pub fee_tolerance: BTreeMap<String, FeeTolerance>,
    /// Fee tolerance, as a percentage without an absolute cap, for currencies not listed.
    #[serde(with = "rust_decimal::serde::str")]
    pub fallback_fee_percent: Decimal,
    /// How far (percent) a converted foreign-currency receipt may be from the open amount
    /// and still settle it, the difference booked as realised FX gain or loss.
    #[serde(with = "rust_decimal::serde::str")]
    pub fx_band_percent: Decimal,
    /// Most search nodes the many-to-one subset search may visit per receipt.
    pub subset_node_budget: u64,
    /// Most open items one receipt may be matched to by the subset search.
    pub subset_max_items: usize,
    /// Days around the due date within which the receipt date counts in a match's favour.
    pub date_window_days: i64,
    /// Rounding for converted amounts.
    pub rounding: Rounding,
}

impl Default for Settings {
    fn default() -> Self {
        let tol = |absolute: i64| FeeTolerance {
            absolute: Decimal::from(absolute),
            percent: Decimal::from(2),
        };
        let fee_tolerance = [("EUR", 25), ("USD", 30), ("GBP", 25), ("CHF", 30)]
            .into_iter()
            .map(|(c, a)| (c.to_owned(), tol(a)))
            .collect();
        Self {
            auto_threshold: Decimal::new(80, 2),
            tie_margin: Decimal::new(5, 2),
            fee_tolerance,
            fallback_fee_percent: Decimal::new(5, 1),
            fx_band_percent: Decimal::from(2),
            subset_node_budget: 200_000,
            subset_max_items: 6,
            date_window_days: 60,
            rounding: Rounding::HalfUp,
        }
    }
}

impl Settings {
    /// Checks every setting is in range; the error names the setting and the fix.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, value: String, fix: &'static str| {
            Err(ReconcileError::BadSetting {
                field: field.to_owned(),
                value,
                fix,
            })
        };
        if self.auto_threshold <= Decimal::ZERO || self.auto_threshold > Decimal::ONE {
            return bad(
                "auto_threshold",
                self.auto_threshold.to_string(),
                "write a confidence above 0 and at most 1, e.g. \"0.80\"",
            );
        }
        if self.tie_margin.is_sign_negative() || self.tie_margin >= Decimal::ONE {
            return bad(
                "tie_margin",
                self.tie_margin.to_string(),
                "write a margin from 0 up to (not including) 1, e.g. \"0.05\"",
            );
        }
        for (code, tol) in &self.fee_tolerance {
            if Currency::parse(code).is_err() {
                return bad(
                    &format!("fee_tolerance.{code}"),
                    code.clone(),
                    "key the table by an ISO 4217 currency code, e.g. EUR",
                );
            }
            if tol.absolute.is_sign_negative() || tol.percent.is_sign_negative() {
                return bad(
                    &format!("fee_tolerance.{code}"),
                    format!("absolute {} / percent {}", tol.absolute, tol.percent),
                    "fee tolerances cannot be negative; write 0 to allow no shortfall",
                );
            }
        }
        if self.fallback_fee_percent.is_sign_negative() {
            return bad(
                "fallback_fee_percent",
                self.fallback_fee_percent.to_string(),
                "write 0 or a positive percentage",
            );
        }
        if self.fx_band_percent.is_sign_negative() || self.fx_band_percent > Decimal::from(50) {
            return bad(
                "fx_band_percent",
                self.fx_band_percent.to_string(),
                "write a percentage from 0 to 50, e.g. \"2\"",
            );
        }
        if self.subset_node_budget == 0 {
            return bad(
                "subset_node_budget",
                "0".into(),
                "write a positive number of search nodes, e.g. 200000",
            );
        }
        if self.subset_max_items == 0 {
            return bad(
                "subset_max_items",
                "0".into(),
                "write at least 1 (items one receipt may pay)",
            );
        }
        if self.date_window_days <= 0 {
            return bad(
                "date_window_days",
                self.date_window_days.to_string(),
                "write a positive number of days, e.g. 60",
            );
        }
        Ok(())
    }

    /// The largest shortfall accepted as bank charges when `settled` is paid in full.
    pub fn fee_allowance(&self, currency: Currency, settled: Decimal) -> Decimal {
        let pct = |p: Decimal| settled.abs() * p / Decimal::ONE_HUNDRED;
        match self.fee_tolerance.get(currency.code()) {
            Some(t) => t.absolute.min(pct(t.percent)),
            None => pct(self.fallback_fee_percent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_survive_a_round_trip_through_toml() {
        let s = Settings::default();
        s.validate().unwrap();
        let text = toml::to_string(&s).unwrap();
        let back: Settings = toml::from_str(&text).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn the_example_in_the_readme_parses_and_validates() {
        let readme = include_str!("../README.md");
        let block = readme
            .split("```toml")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let s: Settings = toml::from_str(block).unwrap();
        s.validate().unwrap();
        assert_eq!(
            s,
            Settings {
                fee_tolerance: s.fee_tolerance.clone(),
                ..Settings::default()
            }
        );
        assert_eq!(s.fee_tolerance["USD"].absolute, Decimal::from(30));
    }

    #[test]
    fn a_partial_table_keeps_the_other_defaults() {
        let s: Settings = toml::from_str("auto_threshold = \"0.9\"\n").unwrap();
        assert_eq!(s.auto_threshold, Decimal::new(9, 1));
        assert_eq!(s.subset_max_items, Settings::default().subset_max_items);
    }

    #[test]
    fn an_unknown_setting_is_refused_by_name() {
        let err = toml::from_str::<Settings>("auto_treshold = \"0.9\"\n").unwrap_err();
        assert!(err.to_string().contains("auto_treshold"), "{err}");
    }

    #[test]
    fn a_threshold_above_one_names_the_setting_and_the_fix() {
        let s = Settings {
            auto_threshold: Decimal::from(80),
            ..Settings::default()
        };
        let msg = s.validate().unwrap_err().to_string();
        assert!(msg.contains("`auto_threshold` is 80"), "{msg}");
        assert!(msg.contains("at most 1"), "{msg}");
    }

    #[test]
    fn the_fee_allowance_is_the_smaller_of_cap_and_percentage() {
        let s = Settings::default();
        let eur = Currency::parse("EUR").unwrap();
        // 2 % of 2,380.00 is 47.60; the 25.00 cap wins.
        assert_eq!(s.fee_allowance(eur, Decimal::from(2380)), Decimal::from(25));
        // 2 % of 100.00 is 2.00.
        assert_eq!(s.fee_allowance(eur, Decimal::from(100)), Decimal::from(2));
        let sek = Currency::parse("SEK").unwrap();
        assert_eq!(s.fee_allowance(sek, Decimal::from(1000)), Decimal::from(5));
    }
}
