//! The escalation ladder: which collection step an invoice has reached, counted in days
//! past its due date (less the days collection was paused, see [`crate::state`]).
//!
//! The settings types here are what `[collect] ladder = [...]` in `arsync.toml` holds, so the
//! configuration crate can embed them as they are:
//!
//! ```toml
//! ladder = [
//!   { after_days = -3, action = "reminder", tone = "friendly" },
//!   { after_days = 7,  action = "reminder", tone = "firm" },
//!   { after_days = 14, action = "formal_notice", sets_default = true },
//!   { after_days = 30, action = "call" },
//!   { after_days = 60, action = "final_notice" },
//!   { after_days = 90, action = "agency_or_legal" },
//! ]
//! ```

use crate::error::{CollectError, Result};
use arsync_model::{CollectionAction, Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderStep {
    /// Days after the due date the step is due (negative: before the due date).
    pub after_days: i64,
    /// What to do: `reminder`, `formal_notice`, `call`, `payment_plan`, `final_notice`,
    /// `agency_or_legal`.
    pub action: CollectionAction,
    /// The tone of a reminder ("friendly", "firm").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tone: Option<String>,
    /// Whether sending this step puts the debtor in default (a German Mahnung, a letter
    /// before action): from here statutory interest can run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sets_default: bool,
    /// The least open amount, per currency, for which the step is raised, written as strings
    /// (`min_open = { EUR = "50", GBP = "40" }`). The amount compared is, in that currency,
    /// the invoice's open amount (one task per invoice) or the sum of the customer's open
    /// invoices that have reached the step (one task per customer). A currency not listed
    /// has no minimum; amounts are never converted. An item below the minimum stays at the
    /// highest earlier step whose minimum it meets.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "decimal_strings",
        serialize_with = "strings_of_decimals"
    )]
    pub min_open: BTreeMap<Currency, Decimal>,
}

impl LadderStep {
    /// Whether `open` meets this step's minimum for its currency.
    pub fn meets_minimum(&self, open: Money) -> bool {
        self.min_open
            .get(&open.currency)
            .is_none_or(|min| open.amount >= *min)
    }
}

fn decimal_strings<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<Currency, Decimal>, D::Error> {
    let raw = BTreeMap::<Currency, String>::deserialize(d)?;
    raw.into_iter()
        .map(|(c, text)| {
            let amount = Decimal::from_str_exact(text.trim()).map_err(|e| {
                serde::de::Error::custom(format!(
                    "min_open {c} = \"{text}\" is no amount ({e}); write it as a string, e.g. {c} = \"50\""
                ))
            })?;
            if amount < Decimal::ZERO {
                return Err(serde::de::Error::custom(format!(
                    "min_open {c} = \"{text}\" is below zero; give the least open amount"
                )));
            }
            Ok((c, amount))
        })
        .collect()
}

fn strings_of_decimals<S: serde::Serializer>(
    m: &BTreeMap<Currency, Decimal>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(m.len()))?;
    for (c, a) in m {
        map.serialize_entry(c, &a.to_string())?;
    }
    map.end()
}

/// A validated ladder: steps strictly increasing in `after_days`, at most one that sets
/// default, and only actions a ladder can take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<LadderStep>", into = "Vec<LadderStep>")]
pub struct Ladder {
    steps: Vec<LadderStep>,
}

/// The step an invoice has reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepReached<'a> {
    /// Index in the configured list (0 is the first step).
    pub index: u32,
    /// The step.
    pub step: &'a LadderStep,
}

impl Ladder {
    /// A ladder from its steps, checked.
    pub fn new(steps: Vec<LadderStep>) -> Result<Self> {
        if steps.is_empty() {
            return Err(CollectError::Ladder {
                step: 0,
                reason: "the ladder has no steps; give at least one, e.g. { after_days = 7, action = \"reminder\" }".into(),
            });
        }
        if u32::try_from(steps.len()).is_err() {
            return Err(CollectError::Ladder {
                step: steps.len(),
                reason: "too many steps".into(),
            });
        }
        let mut default_step = None;
        for (i, s) in steps.iter().enumerate() {
            let n = i + 1;
            if let Some(prev) = i.checked_sub(1).and_then(|p| steps.get(p))
                && s.after_days <= prev.after_days
            {
                return Err(CollectError::Ladder {
                    step: n,
                    reason: format!(
                        "after_days = {} does not come after the previous step's {}; list the steps in increasing after_days",
                        s.after_days, prev.after_days
                    ),
                });
            }
            if matches!(
                s.action,
                CollectionAction::ResolveDispute
                    | CollectionAction::FollowUp
                    | CollectionAction::LimitationWarning
            ) {
                return Err(CollectError::Ladder {
                    step: n,
                    reason: format!(
                        "action = \"{}\" is raised by arsync itself, not by the ladder; use reminder, formal_notice, call, payment_plan, final_notice or agency_or_legal",
                        s.action.as_str()
                    ),
                });
            }
            if s.tone.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(CollectError::Ladder {
                    step: n,
                    reason: "tone is empty; remove it or name it, e.g. tone = \"friendly\"".into(),
                });
            }
            if s.sets_default {
                if let Some(first) = default_step {
                    return Err(CollectError::Ladder {
                        step: n,
                        reason: format!(
                            "sets_default is already on step {first}; only one step puts the debtor in default"
                        ),
                    });
                }
                default_step = Some(n);
            }
        }
        Ok(Ladder { steps })
    }

    /// The steps in order.
    pub fn steps(&self) -> &[LadderStep] {
        &self.steps
    }

    /// The highest step due after `ladder_days` days past the due date whose minimum the
    /// amount meets (`open_at(step)` gives the amount compared for a step), if any.
    pub fn reached_with_minimum(
        &self,
        ladder_days: i64,
        open_at: impl Fn(&LadderStep) -> Money,
    ) -> Option<StepReached<'_>> {
        let count = self.steps.partition_point(|s| s.after_days <= ladder_days);
        let index = self
            .steps
            .iter()
            .take(count)
            .rposition(|s| s.meets_minimum(open_at(s)))?;
        Some(StepReached {
            index: u32::try_from(index).ok()?,
            step: self.steps.get(index)?,
        })
    }

    /// The highest step due after `ladder_days` days past the due date, if any.
    pub fn reached(&self, ladder_days: i64) -> Option<StepReached<'_>> {
        let count = self.steps.partition_point(|s| s.after_days <= ladder_days);
        let index = count.checked_sub(1)?;
        let step = self.steps.get(index)?;
        Some(StepReached {
            index: u32::try_from(index).ok()?,
            step,
        })
    }

    /// The step that puts the debtor in default, with its index.
    pub fn default_step(&self) -> Option<StepReached<'_>> {
        self.steps
            .iter()
            .enumerate()
            .find(|(_, s)| s.sets_default)
            .and_then(|(i, step)| {
                Some(StepReached {
                    index: u32::try_from(i).ok()?,
                    step,
                })
            })
    }
}

impl Default for Ladder {
    /// The ladder of the design: friendly reminder three days before the due date, firm
    /// reminder after 7 days, formal notice (sets default) after 14, call after 30, final
    /// notice after 60, agency or legal after 90.
    fn default() -> Self {
        let step = |after_days, action, tone: Option<&str>, sets_default| LadderStep {
            after_days,
            action,
            tone: tone.map(str::to_owned),
            sets_default,
            min_open: BTreeMap::new(),
        };
        Ladder {
            steps: vec![
                step(-3, CollectionAction::Reminder, Some("friendly"), false),
                step(7, CollectionAction::Reminder, Some("firm"), false),
                step(14, CollectionAction::FormalNotice, None, true),
                step(30, CollectionAction::Call, None, false),
                step(60, CollectionAction::FinalNotice, None, false),
                step(90, CollectionAction::AgencyOrLegal, None, false),
            ],
        }
    }
}

impl TryFrom<Vec<LadderStep>> for Ladder {
    type Error = CollectError;
    fn try_from(steps: Vec<LadderStep>) -> Result<Self> {
        Ladder::new(steps)
    }
}

impl From<Ladder> for Vec<LadderStep> {
    fn from(l: Ladder) -> Self {
        l.steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Collect {
        ladder: Ladder,
    }

    const DESIGN_LADDER: &str = r#"
ladder = [
  { after_days = -3, action = "reminder", tone = "friendly" },
  { after_days = 7,  action = "reminder", tone = "firm" },
  { after_days = 14, action = "formal_notice", sets_default = true },
  { after_days = 30, action = "call" },
  { after_days = 60, action = "final_notice" },
  { after_days = 90, action = "agency_or_legal" },
]
"#;

    #[test]
    fn the_ladder_of_the_design_reads_as_the_default() {
        let c: Collect = toml::from_str(DESIGN_LADDER).unwrap();
        assert_eq!(c.ladder, Ladder::default());
        assert_eq!(c.ladder.default_step().unwrap().index, 2);
    }

    #[test]
    fn the_step_reached_is_the_last_one_whose_day_has_come() {
        let l = Ladder::default();
        let at = |d| l.reached(d).map(|r| r.index);
        assert_eq!(at(-4), None);
        assert_eq!(at(-3), Some(0));
        assert_eq!(at(6), Some(0));
        assert_eq!(at(7), Some(1));
        assert_eq!(at(14), Some(2));
        assert_eq!(at(89), Some(4));
        assert_eq!(at(400), Some(5));
    }

    #[test]
    fn a_badly_written_ladder_says_which_step_and_how_to_fix_it() {
        let err = |text: &str| toml::from_str::<Collect>(text).unwrap_err().to_string();
        let e = err(
            r#"ladder = [{ after_days = 7, action = "reminder" }, { after_days = 7, action = "call" }]"#,
        );
        assert!(
            e.contains(
                "collect.ladder step 2: after_days = 7 does not come after the previous step's 7"
            ),
            "{e}"
        );
        let e = err(r#"ladder = [{ after_days = 7, action = "phone" }]"#);
        assert!(e.contains("unknown variant `phone`"), "{e}");
        let e = err(r#"ladder = [{ after_days = 7, action = "call", tone = "firm", when = 3 }]"#);
        assert!(e.contains("unknown field `when`"), "{e}");
        let e = err(r#"ladder = [{ after_days = 7, action = "follow_up" }]"#);
        assert!(e.contains("raised by arsync itself"), "{e}");
        let e = err(
            r#"ladder = [{ after_days = 7, action = "formal_notice", sets_default = true }, { after_days = 9, action = "final_notice", sets_default = true }]"#,
        );
        assert!(
            e.contains("step 2: sets_default is already on step 1"),
            "{e}"
        );
        let e = err("ladder = []");
        assert!(e.contains("the ladder has no steps"), "{e}");
    }
}
