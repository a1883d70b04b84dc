//! How ladder tasks are raised beyond the ladder itself: overrides per customer or customer
//! group, whether a customer gets one task per step or one per invoice, and the calendar
//! that moves task dates off weekends and quiet days.
//!
//! ```toml
//! [collect]
//! one_task_per = "customer"               # or "invoice" (the default)
//! calendar = { skip_weekends = true, quiet_days = ["2026-12-24", "2026-12-31"] }
//!
//! [collect.groups]                        # customer id = group name
//! "C-100" = "key_accounts"
//!
//! [collect.overrides.key_accounts]        # keyed by a customer id or a group name
//! shift_days = 14                         # every step 14 days later; or
//! # ladder = [ { after_days = 30, action = "call" } ]   # a ladder of their own
//! ```
//!
//! A customer id in `[collect.overrides]` wins over the customer's group.

use crate::error::{CollectError, Result};
use crate::inputs::CollectInputs;
use crate::ladder::{Ladder, LadderStep};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Whether ladder tasks are raised per invoice or per customer and step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskGrouping {
    /// One task per invoice and step (keys `.../invoice:ID/stepN:action`).
    #[default]
    Invoice,
    /// One task per customer and step covering all their invoices at that step (keys
    /// `.../customer/stepN:action:DATE`, see [`crate::plan_tasks_with`]).
    Customer,
}

/// `[collect] calendar = { ... }`: the days on which tasks may fall due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// Whether Saturdays and Sundays are skipped (default true).
    #[serde(default = "yes")]
    pub skip_weekends: bool,
    /// Holidays and other days no task falls on (`"2026-12-24"`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub quiet_days: BTreeSet<NaiveDate>,
}

fn yes() -> bool {
    true
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            skip_weekends: true,
            quiet_days: BTreeSet::new(),
        }
    }
}

impl Calendar {
    /// Whether a task may fall due on `day`.
    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        !(self.quiet_days.contains(&day) || self.skip_weekends && weekend)
    }

    /// `day` itself when it is a business day, else the next one. A calendar whose every day
    /// is quiet for a year leaves `day` as it is rather than searching forever.
    pub fn next_business_day(&self, day: NaiveDate) -> NaiveDate {
        day.iter_days()
            .take(366)
            .find(|d| self.is_business_day(*d))
            .unwrap_or(day)
    }
}

/// `[collect.overrides.NAME]`: a customer's or group's own ladder, or the common one shifted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderOverride {
    /// A ladder replacing the common one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ladder: Option<Ladder>,
    /// Days added to every step of the common ladder (negative: earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift_days: Option<i64>,
}

/// Everything [`crate::plan_tasks_with`] needs beyond [`crate::CollectInputs`], resolved from
/// the settings by [`crate::CollectSettings::task_rules`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskRules {
    /// Per invoice (default) or per customer and step.
    pub grouping: TaskGrouping,
    /// When set, task dates move to the next business day.
    pub calendar: Option<Calendar>,
    /// Group of each customer id.
    pub groups: BTreeMap<String, String>,
    /// Ladders by customer id or group name.
    pub ladders: BTreeMap<String, Ladder>,
}

impl TaskRules {
    /// Resolves `overrides` against the common `ladder`: each entry needs exactly one of
    /// `ladder` and `shift_days`.
    pub fn new(
        grouping: TaskGrouping,
        calendar: Option<Calendar>,
        groups: BTreeMap<String, String>,
        overrides: &BTreeMap<String, LadderOverride>,
        ladder: &Ladder,
    ) -> Result<Self> {
        let mut ladders = BTreeMap::new();
        for (name, o) in overrides {
            let bad = |reason: &str| CollectError::Setting {
                key: format!("collect.overrides.{name}"),
                reason: reason.into(),
            };
            let resolved = match (&o.ladder, o.shift_days) {
                (Some(l), None) => l.clone(),
                (None, Some(days)) => {
                    let steps: Vec<LadderStep> = ladder
                        .steps()
                        .iter()
                        .map(|s| {
                            let mut s = s.clone();
                            s.after_days = s.after_days.saturating_add(days);
                            s
                        })
                        .collect();
                    Ladder::new(steps)?
                }
                (Some(_), Some(_)) => {
                    return Err(bad(
                        "give either ladder = [...] or shift_days = N, not both",
                    ));
                }
                (None, None) => {
                    return Err(bad(
                        "says nothing; give ladder = [...] or shift_days = N, or remove it",
                    ));
                }
            };
            ladders.insert(name.clone(), resolved);
        }
        Ok(TaskRules {
            grouping,
            calendar,
            groups,
            ladders,
        })
    }

    /// The ladder for a customer: their own override, else their group's, else `common`.
    pub fn ladder_for<'a>(&'a self, customer_id: &str, common: &'a Ladder) -> &'a Ladder {
        self.ladders
            .get(customer_id)
            .or_else(|| {
                self.groups
                    .get(customer_id)
                    .and_then(|g| self.ladders.get(g))
            })
            .unwrap_or(common)
    }

    /// `inputs` with the ladder of `customer_id` (see [`TaskRules::ladder_for`]), for
    /// [`crate::overdue_status`] on one of their invoices.
    pub fn inputs_for<'a>(
        &'a self,
        inputs: &CollectInputs<'a>,
        customer_id: &str,
    ) -> CollectInputs<'a> {
        CollectInputs {
            ladder: self.ladder_for(customer_id, inputs.ladder),
            ..*inputs
        }
    }

    /// The date a task raised on `as_of` falls due.
    pub fn task_date(&self, as_of: NaiveDate) -> NaiveDate {
        self.calendar
            .as_ref()
            .map_or(as_of, |c| c.next_business_day(as_of))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::date;

    #[test]
    fn a_task_due_on_saturday_is_dated_monday() {
        let c = Calendar::default();
        assert_eq!(c.next_business_day(date(2026, 11, 28)), date(2026, 11, 30));
        assert_eq!(c.next_business_day(date(2026, 11, 29)), date(2026, 11, 30));
        assert_eq!(c.next_business_day(date(2026, 11, 30)), date(2026, 11, 30));
    }

    #[test]
    fn a_quiet_christmas_eve_moves_the_task_past_christmas_and_the_weekend() {
        let c = Calendar {
            skip_weekends: true,
            quiet_days: [date(2026, 12, 24), date(2026, 12, 25)].into(),
        };
        // Thursday 24th and Friday 25th quiet, then the weekend: Monday 28th.
        assert_eq!(c.next_business_day(date(2026, 12, 24)), date(2026, 12, 28));
        assert_eq!(c.next_business_day(date(2026, 12, 23)), date(2026, 12, 23));
    }

    #[test]
    fn a_calendar_without_weekends_only_skips_quiet_days() {
        let c = Calendar {
            skip_weekends: false,
            quiet_days: [date(2026, 11, 28)].into(),
        };
        assert_eq!(c.next_business_day(date(2026, 11, 28)), date(2026, 11, 29));
    }

    #[test]
    fn an_override_says_how_to_fix_it() {
        let both = LadderOverride {
            ladder: Some(Ladder::default()),
            shift_days: Some(3),
        };
        let e = TaskRules::new(
            TaskGrouping::Customer,
            None,
            BTreeMap::new(),
            &[("C-1".to_owned(), both)].into(),
            &Ladder::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("collect.overrides.C-1: give either"), "{e}");
    }
}
