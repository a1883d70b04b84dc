//! The `[collect]` section of `arsync.toml`, as the configuration crate hands it over:
//!
//! ```toml
//! [collect]
//! ladder = [ { after_days = 7, action = "reminder", tone = "firm" }, ... ]
//! aging = { edges = [30, 60, 90] }
//! interest = { mode = "statutory" }          # uses [company] jurisdiction
//! # interest = { mode = "contractual", rate_percent = "1", per = "month",
//! #              compensation = { amount = "25", currency = "EUR" } }
//! # interest = { mode = "none" }
//! limitation = { warnings = true }           # or { years = 5 } for a contractual period
//! rates = { de_basiszins = "rates/de_basiszins.local.csv" }   # override files
//! one_task_per = "customer"                  # or "invoice" (default)
//! calendar = { skip_weekends = true, quiet_days = ["2026-12-24"] }   # absent: no shifting
//!
//! [collect.groups]                           # customer id = group name
//! "C-100" = "key_accounts"
//!
//! [collect.overrides.key_accounts]           # keyed by customer id or group name
//! shift_days = 14                            # or ladder = [ ... ] of their own
//! ```
//!
//! A ladder step may carry `min_open = { EUR = "50" }`: the least open amount, per currency
//! and never converted, for which the step is raised (see [`crate::LadderStep::min_open`]).
//!
//! Every key is optional; unknown keys are refused. Rates are written as strings so that no
//! TOML float can change them.

use crate::aging::AgingBuckets;
use crate::error::{CollectError, Result};
use crate::interest::{ContractualTerms, InterestBasis, Jurisdiction, RatePer};
use crate::ladder::Ladder;
use crate::limitation::LimitationRule;
use crate::rates::RateTableId;
use crate::rules::{Calendar, LadderOverride, TaskGrouping, TaskRules};
use arsync_model::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[collect]` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectSettings {
    /// The escalation ladder (default: the design's six steps).
    #[serde(default)]
    pub ladder: Ladder,
    /// Aging buckets (default: 30/60/90).
    #[serde(default)]
    pub aging: AgingBuckets,
    /// Late-payment interest.
    #[serde(default)]
    pub interest: InterestSetting,
    /// Limitation warnings.
    #[serde(default)]
    pub limitation: LimitationSetting,
    /// Override files for the reference-rate tables.
    #[serde(default)]
    pub rates: RateOverrides,
    /// Ladder tasks per invoice (default) or one per customer and step.
    #[serde(default)]
    pub one_task_per: TaskGrouping,
    /// Business days for task dates; absent, tasks fall due on the run's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Calendar>,
    /// `[collect.groups]`: customer id = group name, for overrides.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, String>,
    /// `[collect.overrides.NAME]`: a ladder per customer id or group name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<String, LadderOverride>,
}

/// How late-payment interest is decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestMode {
    /// By the company's jurisdiction (`[company] jurisdiction`).
    #[default]
    Statutory,
    /// By the fixed rate given here.
    Contractual,
    /// No interest is computed.
    None,
}

/// `[collect] interest = { ... }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterestSetting {
    /// Statutory, contractual or none.
    #[serde(default)]
    pub mode: InterestMode,
    /// Contractual rate in percent, as a string ("1.5").
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate_percent: Option<Decimal>,
    /// Whether the contractual rate is per month or per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<RatePer>,
    /// Contractual fixed compensation per invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation: Option<Money>,
    /// Whether the contracts fix due dates by the calendar (German default then starts the
    /// day after the due date without a notice).
    #[serde(default)]
    pub due_dates_agreed: bool,
}

/// `[collect] limitation = { ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitationSetting {
    /// Whether to raise warnings 90 and 30 days before a claim becomes time-barred.
    #[serde(default = "yes")]
    pub warnings: bool,
    /// A contractual limitation period in years, instead of the jurisdiction's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<u32>,
}

fn yes() -> bool {
    true
}

impl Default for LimitationSetting {
    fn default() -> Self {
        LimitationSetting {
            warnings: true,
            years: None,
        }
    }
}

/// `[collect] rates = { ... }`: paths of override files, in the shipped CSV format. The
/// caller reads them and passes the text to [`crate::RateTables::with_override`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateOverrides {
    /// Override for the German Basiszinssatz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub de_basiszins: Option<String>,
    /// Override for the ECB main refinancing rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecb_mro: Option<String>,
    /// Override for the Bank of England Bank Rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uk_bank_rate: Option<String>,
}

impl RateOverrides {
    /// The configured override files with the table each one overrides.
    pub fn files(&self) -> Vec<(RateTableId, &str)> {
        [
            (RateTableId::DeBasiszins, self.de_basiszins.as_deref()),
            (RateTableId::EcbMro, self.ecb_mro.as_deref()),
            (RateTableId::UkBankRate, self.uk_bank_rate.as_deref()),
        ]
        .into_iter()
        .filter_map(|(id, path)| path.map(|p| (id, p)))
        .collect()
    }
}

impl CollectSettings {
    /// The task rules: grouping, calendar and the override ladders resolved against
    /// [`CollectSettings::ladder`]. An override naming neither a ladder nor a shift, or a
    /// shift that breaks the ladder, is refused naming `collect.overrides.NAME`.
    pub fn task_rules(&self) -> Result<TaskRules> {
        TaskRules::new(
            self.one_task_per,
            self.calendar.clone(),
            self.groups.clone(),
            &self.overrides,
            &self.ladder,
        )
    }

    /// What governs interest, given the company's `jurisdiction` setting; `None` when no
    /// interest is to be computed.
    pub fn interest_basis(&self, jurisdiction: Option<&str>) -> Result<Option<InterestBasis>> {
        let bad = |reason: String| CollectError::Setting {
            key: "collect.interest".into(),
            reason,
        };
        match self.interest.mode {
            InterestMode::None => Ok(None),
            InterestMode::Statutory => {
                let code = jurisdiction.ok_or_else(|| {
                    bad("mode = \"statutory\" needs [company] jurisdiction (DE, UK or EU); set it or choose mode = \"contractual\" or \"none\"".into())
                })?;
                Ok(Some(InterestBasis::Statutory(Jurisdiction::parse(code)?)))
            }
            InterestMode::Contractual => {
                let rate_percent = self.interest.rate_percent.ok_or_else(|| {
                    bad(
                        "mode = \"contractual\" needs rate_percent, e.g. rate_percent = \"1\""
                            .into(),
                    )
                })?;
                if rate_percent <= Decimal::ZERO {
                    return Err(bad(format!(
                        "rate_percent = \"{rate_percent}\" must be above zero"
                    )));
                }
                let per = self.interest.per.ok_or_else(|| {
                    bad("mode = \"contractual\" needs per = \"month\" or per = \"year\"".into())
                })?;
                Ok(Some(InterestBasis::Contractual(ContractualTerms {
                    rate_percent,
                    per,
                    compensation: self.interest.compensation,
                })))
            }
        }
    }

    /// The limitation rule, given the company's `jurisdiction`; `None` when warnings are
    /// off or no rule is known for the jurisdiction (the EU has no common period).
    pub fn limitation_rule(&self, jurisdiction: Option<&str>) -> Result<Option<LimitationRule>> {
        if !self.limitation.warnings {
            return Ok(None);
        }
        if let Some(years) = self.limitation.years {
            if years == 0 {
                return Err(CollectError::Setting {
                    key: "collect.limitation.years".into(),
                    reason: "0 years is no period; give the contractual number of years".into(),
                });
            }
            return Ok(Some(LimitationRule::Contractual { years }));
        }
        match jurisdiction.map(Jurisdiction::parse).transpose()? {
            Some(Jurisdiction::De) => Ok(Some(LimitationRule::De)),
            Some(Jurisdiction::Uk) => Ok(Some(LimitationRule::Uk)),
            Some(Jurisdiction::Eu) | None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::cur;
    use rust_decimal_macros::dec;

    fn parse(text: &str) -> std::result::Result<CollectSettings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn an_empty_section_gives_the_defaults() {
        let s = parse("").unwrap();
        assert_eq!(s.ladder, Ladder::default());
        assert_eq!(s.aging, AgingBuckets::default());
        assert_eq!(
            s.interest_basis(Some("DE")).unwrap(),
            Some(InterestBasis::Statutory(Jurisdiction::De))
        );
        assert_eq!(
            s.limitation_rule(Some("DE")).unwrap(),
            Some(LimitationRule::De)
        );
        assert_eq!(s.limitation_rule(Some("EU")).unwrap(), None);
    }

    #[test]
    fn contractual_interest_and_overrides_are_read() {
        let s = parse(
            r#"
aging = { edges = [15, 45] }
interest = { mode = "contractual", rate_percent = "1.5", per = "month", compensation = { amount = "25", currency = "EUR" } }
limitation = { years = 5 }
rates = { de_basiszins = "rates/local.csv" }
"#,
        )
        .unwrap();
        assert_eq!(
            s.interest_basis(Some("DE")).unwrap(),
            Some(InterestBasis::Contractual(ContractualTerms {
                rate_percent: dec!(1.5),
                per: RatePer::Month,
                compensation: Some(Money::new(dec!(25), cur("EUR"))),
            }))
        );
        assert_eq!(
            s.limitation_rule(Some("DE")).unwrap(),
            Some(LimitationRule::Contractual { years: 5 })
        );
        assert_eq!(s.aging.labels(), ["current", "1-15", "16-45", "over 45"]);
        assert_eq!(
            s.rates.files(),
            [(RateTableId::DeBasiszins, "rates/local.csv")]
        );
    }

    #[test]
    fn mistakes_name_the_key_and_the_fix() {
        let e = parse("interst = { mode = \"none\" }").unwrap_err();
        assert!(e.contains("unknown field `interst`"), "{e}");
        let e = parse("interest = { mode = \"contractual\", per = \"year\" }")
            .unwrap()
            .interest_basis(None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "collect.interest: mode = \"contractual\" needs rate_percent, e.g. rate_percent = \"1\""
        );
        let e = parse("")
            .unwrap()
            .interest_basis(None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs [company] jurisdiction"), "{e}");
        let e = parse("interest = { mode = \"contractual\", rate_percent = 1.5, per = \"year\" }")
            .unwrap_err();
        assert!(e.contains("rate_percent"), "{e}");
        let e = parse("ladder = [{ after_days = 7, action = \"reminder\" }, { after_days = 3, action = \"call\" }]")
            .unwrap_err();
        assert!(e.contains("collect.ladder step 2"), "{e}");
    }

    #[test]
    fn the_ladder_keys_are_read_and_written_back_unchanged() {
        let text = r#"
one_task_per = "customer"
ladder = [
  { after_days = 7, action = "reminder", tone = "firm" },
  { after_days = 14, action = "formal_notice", sets_default = true, min_open = { EUR = "50.00", GBP = "40" } },
]
calendar = { quiet_days = ["2026-12-24"] }

[groups]
"C-100" = "key_accounts"

[overrides.key_accounts]
shift_days = 14

[overrides.C-200]
ladder = [{ after_days = 30, action = "call" }]
"#;
        let s = parse(text).unwrap();
        assert_eq!(s.one_task_per, TaskGrouping::Customer);
        assert_eq!(
            s.ladder.steps()[1].min_open.get(&cur("EUR")),
            Some(&dec!(50.00))
        );
        let calendar = s.calendar.clone().unwrap();
        assert!(calendar.skip_weekends);
        let rules = s.task_rules().unwrap();
        assert_eq!(
            rules.ladder_for("C-100", &s.ladder).steps()[0].after_days,
            21
        );
        assert_eq!(rules.ladder_for("C-200", &s.ladder).steps().len(), 1);
        let again = parse(&toml::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);
        // Without the new keys, the behaviour is today's: per invoice, no calendar.
        let plain = parse("").unwrap();
        assert_eq!(plain.task_rules().unwrap(), TaskRules::default());
    }
}
