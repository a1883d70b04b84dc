//! Reference-rate tables for statutory interest: the German Basiszinssatz, the ECB main
//! refinancing rate as the EU late-payment directive's reference rate, and the Bank of
//! England Bank Rate as the UK Late Payment Act's reference rate.
//!
//! A table is a CSV text with the header `valid_from,rate_percent,source`. Every statutory
//! reference rate here is fixed per half-year, so `valid_from` must be 1 January or
//! 1 July. A row holds until the next row; the last row holds only to the end of its own
//! half-year, because nobody knows the next one until it is published. A day outside the
//! rows has no known rate and is reported as such ([`MissingReferenceRate`]), never guessed.
//!
//! The tables known when this crate was built ship inside it ([`RateTables::builtin`]); an
//! override file in the same format adds newer half-years or corrects rows
//! ([`RateTables::with_override`]).

use crate::error::{CollectError, Result};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which reference rate a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateTableId {
    /// German Basiszinssatz (§ 247 BGB), published by the Bundesbank each 1 Jan / 1 Jul.
    DeBasiszins,
    /// ECB main refinancing rate in force on the first day of the half-year (EU directive).
    EcbMro,
    /// Bank of England Bank Rate on 30 June / 31 December for the following half-year.
    UkBankRate,
}

impl RateTableId {
    /// The file-style name ("de_basiszins").
    pub fn as_str(self) -> &'static str {
        match self {
            RateTableId::DeBasiszins => "de_basiszins",
            RateTableId::EcbMro => "ecb_mro",
            RateTableId::UkBankRate => "uk_bank_rate",
        }
    }
}

impl fmt::Display for RateTableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RateTableId {
    type Err = CollectError;
    fn from_str(s: &str) -> Result<Self> {
        [
            RateTableId::DeBasiszins,
            RateTableId::EcbMro,
            RateTableId::UkBankRate,
        ]
        .into_iter()
        .find(|t| t.as_str() == s.trim())
        .ok_or_else(|| CollectError::RateTable {
            table: s.to_owned(),
            line: 0,
            reason: "unknown rate table; use de_basiszins, ecb_mro or uk_bank_rate".into(),
        })
    }
}

/// One published reference rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateRow {
    /// First day of the half-year it applies to.
    pub valid_from: NaiveDate,
    /// The rate in percent per year (may be negative: the Basiszinssatz was -0.88).
    #[serde(with = "rust_decimal::serde::str")]
    pub rate_percent: Decimal,
    /// Who published it.
    pub source: String,
}

/// A half-year without a known reference rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingReferenceRate {
    /// The table that has no row for it.
    pub table: RateTableId,
    /// The half-year ("2026-H2").
    pub period: String,
    /// First day in the requested span that needs the rate.
    pub from: NaiveDate,
    /// Last day in the requested span that needs the rate.
    pub to: NaiveDate,
}

impl fmt::Display for MissingReferenceRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no known {} reference rate for {} ({} to {}); add the published rate to the rate override file",
            self.table, self.period, self.from, self.to
        )
    }
}

impl MissingReferenceRate {
    /// As an error, for callers that need a complete figure.
    pub fn to_error(&self) -> CollectError {
        CollectError::NoReferenceRate {
            table: self.table.as_str().to_owned(),
            period: self.period.clone(),
            from: self.from,
        }
    }
}

/// The half-year a date falls in, as "2026-H2".
pub fn half_year_label(day: NaiveDate) -> String {
    let half = if day.month() <= 6 { 1 } else { 2 };
    format!("{}-H{half}", day.year())
}

/// First day of the half-year a date falls in.
pub fn half_year_start(day: NaiveDate) -> NaiveDate {
    let month = if day.month() <= 6 { 1 } else { 7 };
    NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day)
}

/// Last day of the half-year a date falls in.
pub fn half_year_end(day: NaiveDate) -> NaiveDate {
    let (month, dom) = if day.month() <= 6 { (6, 30) } else { (12, 31) };
    NaiveDate::from_ymd_opt(day.year(), month, dom).unwrap_or(day)
}

/// An effective-dated table of one reference rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateTable {
    id: RateTableId,
    rows: Vec<RateRow>,
}

/// A rate that applies over a span of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateSpan<'a> {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// The row, or `None` where no rate is known.
    pub row: Option<&'a RateRow>,
}

impl RateTable {
    /// Parses CSV text `valid_from,rate_percent,source`. `origin` names the file in errors.
    /// Rows must be in date order, each on 1 January or 1 July.
    pub fn parse(id: RateTableId, origin: &str, text: &str) -> Result<Self> {
        let err = |line: usize, reason: String| CollectError::RateTable {
            table: origin.to_owned(),
            line,
            reason,
        };
        let mut rows: Vec<RateRow> = Vec::new();
        let mut saw_header = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            if !saw_header {
                if raw.replace(' ', "") != "valid_from,rate_percent,source" {
                    return Err(err(
                        line,
                        format!(
                            "expected the header 'valid_from,rate_percent,source', found '{raw}'"
                        ),
                    ));
                }
                saw_header = true;
                continue;
            }
            let mut fields = raw.splitn(3, ',');
            let (Some(date), Some(rate), Some(source)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(err(
                    line,
                    "expected three fields: valid_from,rate_percent,source".into(),
                ));
            };
            let valid_from = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
                err(
                    line,
                    format!("valid_from '{date}' is not a date like 2026-07-01"),
                )
            })?;
            if valid_from.day() != 1 || !matches!(valid_from.month(), 1 | 7) {
                return Err(err(
                    line,
                    format!(
                        "valid_from {valid_from} is not 1 January or 1 July; reference rates are fixed per half-year"
                    ),
                ));
            }
            let rate_percent = Decimal::from_str(rate.trim()).map_err(|_| {
                err(
                    line,
                    format!("rate_percent '{rate}' is not a decimal number like 1.27 or -0.88"),
                )
            })?;
            if source.trim().is_empty() {
                return Err(err(
                    line,
                    "source is empty; say who published the rate".into(),
                ));
            }
            if let Some(prev) = rows.last()
                && prev.valid_from >= valid_from
            {
                return Err(err(
                    line,
                    format!(
                        "valid_from {valid_from} does not come after {}; keep rows in date order",
                        prev.valid_from
                    ),
                ));
            }
            rows.push(RateRow {
                valid_from,
                rate_percent,
                source: source.trim().to_owned(),
            });
        }
        if !saw_header {
            return Err(err(
                1,
                "the file is empty; expected the header 'valid_from,rate_percent,source'".into(),
            ));
        }
        Ok(RateTable { id, rows })
    }

    /// Which rate this is.
    pub fn id(&self) -> RateTableId {
        self.id
    }

    /// The rows, in date order.
    pub fn rows(&self) -> &[RateRow] {
        &self.rows
    }

    /// Last day a rate is known for.
    pub fn known_until(&self) -> Option<NaiveDate> {
        self.rows.last().map(|r| half_year_end(r.valid_from))
    }

    /// Rows of `other` replace rows with the same `valid_from` and add new ones.
    pub fn merged_with(mut self, other: RateTable) -> RateTable {
        for row in other.rows {
            match self
                .rows
                .binary_search_by(|r| r.valid_from.cmp(&row.valid_from))
            {
                Ok(i) => self.rows[i] = row,
                Err(i) => self.rows.insert(i, row),
            }
        }
        self
    }

    /// The row that applies on a day.
    pub fn rate_on(&self, day: NaiveDate) -> std::result::Result<&RateRow, MissingReferenceRate> {
        let missing = || MissingReferenceRate {
            table: self.id,
            period: half_year_label(day),
            from: day,
            to: day,
        };
        let idx = self.rows.partition_point(|r| r.valid_from <= day);
        let row = idx
            .checked_sub(1)
            .and_then(|i| self.rows.get(i))
            .ok_or_else(missing)?;
        if idx == self.rows.len() && day > half_year_end(row.valid_from) {
            return Err(missing());
        }
        Ok(row)
    }

    /// Splits `from..=to` into spans of one rate each; a span with no known rate has `row`
    /// `None` and is split per half-year so each can be reported by name.
    pub fn spans(&self, from: NaiveDate, to: NaiveDate) -> Vec<RateSpan<'_>> {
        let mut spans = Vec::new();
        let mut day = from;
        while day <= to {
            let (row, end) = match self.rate_on(day) {
                Ok(row) => {
                    let next = self
                        .rows
                        .iter()
                        .find(|r| r.valid_from > day)
                        .map(|r| r.valid_from.pred_opt().unwrap_or(r.valid_from));
                    let end = next.unwrap_or_else(|| half_year_end(row.valid_from));
                    (Some(row), end)
                }
                Err(_) => (None, half_year_end(day)),
            };
            let end = end.min(to);
            spans.push(RateSpan {
                from: day,
                to: end,
                row,
            });
            match end.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        spans
    }
}

/// The three statutory reference-rate tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateTables {
    /// German Basiszinssatz.
    pub de_basiszins: RateTable,
    /// ECB main refinancing rate (EU directive reference rate).
    pub ecb_mro: RateTable,
    /// Bank of England Bank Rate (UK Late Payment Act reference rate).
    pub uk_bank_rate: RateTable,
}

const DE_BASISZINS: &str = include_str!("../rates/de_basiszins.csv");
const ECB_MRO: &str = include_str!("../rates/ecb_mro.csv");
const UK_BANK_RATE: &str = include_str!("../rates/uk_bank_rate.csv");

impl RateTables {
    /// The tables shipped with this crate (the rates known when it was built).
    pub fn builtin() -> Result<Self> {
        Ok(RateTables {
            de_basiszins: RateTable::parse(
                RateTableId::DeBasiszins,
                "rates/de_basiszins.csv",
                DE_BASISZINS,
            )?,
            ecb_mro: RateTable::parse(RateTableId::EcbMro, "rates/ecb_mro.csv", ECB_MRO)?,
            uk_bank_rate: RateTable::parse(
                RateTableId::UkBankRate,
                "rates/uk_bank_rate.csv",
                UK_BANK_RATE,
            )?,
        })
    }

    /// The table for an id.
    pub fn table(&self, id: RateTableId) -> &RateTable {
        match id {
            RateTableId::DeBasiszins => &self.de_basiszins,
            RateTableId::EcbMro => &self.ecb_mro,
            RateTableId::UkBankRate => &self.uk_bank_rate,
        }
    }

    /// Applies an override file (same CSV format) to one table: its rows replace rows of
    /// the same half-year and add new ones. `origin` names the file in errors.
    pub fn with_override(mut self, id: RateTableId, origin: &str, text: &str) -> Result<Self> {
        let extra = RateTable::parse(id, origin, text)?;
        let slot = match id {
            RateTableId::DeBasiszins => &mut self.de_basiszins,
            RateTableId::EcbMro => &mut self.ecb_mro,
            RateTableId::UkBankRate => &mut self.uk_bank_rate,
        };
        *slot = slot.clone().merged_with(extra);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::date;
    use rust_decimal_macros::dec;

    #[test]
    fn the_shipped_tables_load_and_hold_the_published_rates() {
        let t = RateTables::builtin().unwrap();
        assert_eq!(
            t.de_basiszins
                .rate_on(date(2025, 3, 1))
                .unwrap()
                .rate_percent,
            dec!(2.27)
        );
        assert_eq!(
            t.de_basiszins
                .rate_on(date(2019, 3, 1))
                .unwrap()
                .rate_percent,
            dec!(-0.88)
        );
        assert_eq!(
            t.ecb_mro.rate_on(date(2024, 8, 1)).unwrap().rate_percent,
            dec!(4.25)
        );
        assert_eq!(
            t.uk_bank_rate
                .rate_on(date(2023, 12, 31))
                .unwrap()
                .rate_percent,
            dec!(5.00)
        );
    }

    #[test]
    fn a_half_year_after_the_last_row_has_no_known_rate() {
        let t = RateTables::builtin().unwrap();
        let known = t.de_basiszins.known_until().unwrap();
        let next = known.succ_opt().unwrap();
        let missing = t.de_basiszins.rate_on(next).unwrap_err();
        assert_eq!(missing.period, half_year_label(next));
        assert!(missing.to_string().starts_with(&format!(
            "no known de_basiszins reference rate for {}",
            half_year_label(next)
        )));
        // Before the first row, too.
        assert!(t.uk_bank_rate.rate_on(date(2019, 1, 1)).is_err());
    }

    #[test]
    fn an_override_file_adds_a_half_year_and_bad_lines_are_named() {
        let t = RateTables::builtin()
            .unwrap()
            .with_override(
                RateTableId::DeBasiszins,
                "rates.local.csv",
                "valid_from,rate_percent,source\n2030-07-01,1.00,test value\n",
            )
            .unwrap();
        assert_eq!(
            t.de_basiszins
                .rate_on(date(2030, 8, 1))
                .unwrap()
                .rate_percent,
            dec!(1.00)
        );
        let err = RateTable::parse(
            RateTableId::EcbMro,
            "ecb.csv",
            "valid_from,rate_percent,source\n2026-03-01,2.0,x\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "ecb.csv line 2: valid_from 2026-03-01 is not 1 January or 1 July; reference rates are fixed per half-year"
        );
        let err = RateTable::parse(
            RateTableId::EcbMro,
            "ecb.csv",
            "valid_from,rate_percent,source\n2026-01-01,two,x\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 2: rate_percent 'two' is not a decimal"),
            "{err}"
        );
    }

    #[test]
    fn spans_split_at_each_change_and_name_unknown_half_years() {
        let t = RateTable::parse(
            RateTableId::DeBasiszins,
            "t",
            "valid_from,rate_percent,source\n2024-07-01,3.37,a\n2025-01-01,2.27,b\n",
        )
        .unwrap();
        let spans = t.spans(date(2024, 12, 1), date(2025, 8, 15));
        let view: Vec<_> = spans
            .iter()
            .map(|s| (s.from, s.to, s.row.map(|r| r.rate_percent)))
            .collect();
        assert_eq!(
            view,
            [
                (date(2024, 12, 1), date(2024, 12, 31), Some(dec!(3.37))),
                (date(2025, 1, 1), date(2025, 6, 30), Some(dec!(2.27))),
                (date(2025, 7, 1), date(2025, 8, 15), None),
            ]
        );
    }
}
