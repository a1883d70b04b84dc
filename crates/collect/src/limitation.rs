//! The limitation clock: the last day a claim can still be enforced, and warnings 90 and
//! 30 days ahead.
//!
//! - Germany (§§ 195, 199 BGB): three years from the end of the year in which the claim
//!   fell due, so an invoice due on any day of 2026 runs to 31 December 2029.
//! - UK (Limitation Act 1980, s. 5): six years from the due date; the last day is taken as
//!   the sixth anniversary of the due date.
//! - Contractual: the agreed number of years from the due date.
//!
//! A part payment or an acknowledgment of the debt restarts the clock (§ 212 BGB; s. 29
//! Limitation Act): a full new period from that day, ending on its anniversary. A restart
//! after the claim has already expired does not revive it.

use arsync_model::days_between;
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Which limitation rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitationRule {
    /// Germany: three years from the end of the year of the due date.
    De,
    /// United Kingdom: six years from the due date.
    Uk,
    /// A contractual period in years from the due date.
    Contractual {
        /// Number of years.
        years: u32,
    },
}

/// How close the end of the limitation period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitationWarning {
    /// 90 days or fewer left.
    Within90Days,
    /// 30 days or fewer left.
    Within30Days,
    /// The period has ended.
    Expired,
}

/// Where the limitation clock stands on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitationClock {
    /// The rule applied.
    pub rule: LimitationRule,
    /// The restart that counts (the latest part payment or acknowledgment in time), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarted_on: Option<NaiveDate>,
    /// Last day the claim can be enforced.
    pub last_day: NaiveDate,
    /// Days from the as-of date to the last day (negative once expired).
    pub days_left: i64,
    /// The warning, when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<LimitationWarning>,
}

fn add_years(day: NaiveDate, years: u32) -> NaiveDate {
    day.checked_add_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MAX)
}

impl LimitationRule {
    fn first_last_day(self, due: NaiveDate) -> NaiveDate {
        match self {
            LimitationRule::De => NaiveDate::from_ymd_opt(due.year().saturating_add(3), 12, 31)
                .unwrap_or(NaiveDate::MAX),
            LimitationRule::Uk => add_years(due, 6),
            LimitationRule::Contractual { years } => add_years(due, years),
        }
    }

    fn restarted_last_day(self, restart: NaiveDate) -> NaiveDate {
        match self {
            LimitationRule::De => add_years(restart, 3),
            LimitationRule::Uk => add_years(restart, 6),
            LimitationRule::Contractual { years } => add_years(restart, years),
        }
    }
}

/// The limitation clock of a claim due on `due`, restarted by the part payments and
/// acknowledgments in `restarts`, as of `as_of`.
pub fn limitation(
    rule: LimitationRule,
    due: NaiveDate,
    restarts: &[NaiveDate],
    as_of: NaiveDate,
) -> LimitationClock {
    let mut last_day = rule.first_last_day(due);
    let mut restarted_on = None;
    let mut sorted: Vec<NaiveDate> = restarts
        .iter()
        .copied()
        .filter(|d| *d >= due && *d <= as_of)
        .collect();
    sorted.sort();
    for restart in sorted {
        if restart > last_day {
            break;
        }
        let candidate = rule.restarted_last_day(restart);
        if candidate > last_day {
            last_day = candidate;
        }
        restarted_on = Some(restart);
    }
    let days_left = days_between(as_of, last_day);
    let warning = if days_left < 0 {
        Some(LimitationWarning::Expired)
    } else if days_left <= 30 {
        Some(LimitationWarning::Within30Days)
    } else if days_left <= 90 {
        Some(LimitationWarning::Within90Days)
    } else {
        None
    };
    LimitationClock {
        rule,
        restarted_on,
        last_day,
        days_left,
        warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::date;

    #[test]
    fn a_german_claim_runs_three_years_from_the_end_of_its_year() {
        let c = limitation(
            LimitationRule::De,
            date(2026, 2, 15),
            &[],
            date(2026, 11, 23),
        );
        assert_eq!(c.last_day, date(2029, 12, 31));
        assert_eq!(c.warning, None);
        // 2 Oct 2029 is 90 days before 31 Dec; 1 Dec is 30 days before.
        let c = limitation(
            LimitationRule::De,
            date(2026, 2, 15),
            &[],
            date(2029, 10, 1),
        );
        assert_eq!((c.days_left, c.warning), (91, None));
        let c = limitation(
            LimitationRule::De,
            date(2026, 2, 15),
            &[],
            date(2029, 10, 2),
        );
        assert_eq!(c.warning, Some(LimitationWarning::Within90Days));
        let c = limitation(
            LimitationRule::De,
            date(2026, 2, 15),
            &[],
            date(2029, 12, 1),
        );
        assert_eq!(c.warning, Some(LimitationWarning::Within30Days));
        let c = limitation(LimitationRule::De, date(2026, 2, 15), &[], date(2030, 1, 1));
        assert_eq!(c.warning, Some(LimitationWarning::Expired));
    }

    #[test]
    fn a_part_payment_restarts_the_clock_but_cannot_revive_an_expired_claim() {
        // Part payment on 10 Mar 2028: a new three years to 10 Mar 2031.
        let c = limitation(
            LimitationRule::De,
            date(2026, 2, 15),
            &[date(2028, 3, 10)],
            date(2029, 12, 1),
        );
        assert_eq!(c.restarted_on, Some(date(2028, 3, 10)));
        assert_eq!(c.last_day, date(2031, 3, 10));
        assert_eq!(c.warning, None);
        // An acknowledgment after 31 Dec 2029 comes too late.
        let c = limitation(
            LimitationRule::De,
            date(2026, 2, 15),
            &[date(2030, 2, 1)],
            date(2030, 3, 1),
        );
        assert_eq!(c.last_day, date(2029, 12, 31));
        assert_eq!(c.warning, Some(LimitationWarning::Expired));
    }

    #[test]
    fn a_uk_debt_runs_six_years_and_a_contract_its_own_term() {
        let c = limitation(LimitationRule::Uk, date(2024, 2, 29), &[], date(2026, 1, 1));
        assert_eq!(c.last_day, date(2030, 2, 28));
        let c = limitation(
            LimitationRule::Uk,
            date(2024, 2, 29),
            &[date(2025, 6, 30)],
            date(2026, 1, 1),
        );
        assert_eq!(c.last_day, date(2031, 6, 30));
        let c = limitation(
            LimitationRule::Contractual { years: 2 },
            date(2026, 1, 15),
            &[],
            date(2027, 12, 16),
        );
        assert_eq!(c.last_day, date(2028, 1, 15));
        assert_eq!(c.warning, Some(LimitationWarning::Within30Days));
    }
}
