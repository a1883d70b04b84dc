//! Time as arsync sees it: instants are UTC and come from an injected [`Clock`]; the dates
//! that decide whether an invoice is overdue are civil dates in the company's time zone.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// A source of the current instant. Production code uses [`SystemClock`]; tests and replays
/// inject a [`FixedClock`] so that "today" is whatever the case needs.
pub trait Clock: Send + Sync {
    /// The current instant in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always answers the same instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Today's civil date in the company's time zone. An invoice due on the 14th is overdue
/// from 00:00 on the 15th *in the company's zone*, whatever the server's zone is.
pub fn today_in(zone: Tz, clock: &dyn Clock) -> NaiveDate {
    clock.now().with_timezone(&zone).date_naive()
}

/// Whole days from `from` to `to` (negative when `to` is earlier). Civil dates have no
/// time of day, so a DST change never makes a day 23 or 25 hours long here.
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> FixedClock {
        FixedClock(Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap())
    }

    #[test]
    fn the_company_zone_decides_the_date_around_midnight() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let auckland: Tz = "Pacific/Auckland".parse().unwrap();
        // 22:59 UTC on 14 Nov is 23:59 in Berlin (CET) but already 15 Nov in Berlin at 23:00 UTC.
        assert_eq!(
            today_in(berlin, &at(2026, 11, 14, 22, 59)),
            NaiveDate::from_ymd_opt(2026, 11, 14).unwrap()
        );
        assert_eq!(
            today_in(berlin, &at(2026, 11, 14, 23, 0)),
            NaiveDate::from_ymd_opt(2026, 11, 15).unwrap()
        );
        // In Auckland (UTC+13 in November) it is the 15th from 11:00 UTC on the 14th.
        assert_eq!(
            today_in(auckland, &at(2026, 11, 14, 11, 0)),
            NaiveDate::from_ymd_opt(2026, 11, 15).unwrap()
        );
    }

    #[test]
    fn a_dst_change_does_not_shift_the_date() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // Clocks go back at 01:00 UTC on 25 Oct 2026 (03:00 CEST -> 02:00 CET).
        // 22:30 UTC on the 24th is 00:30 CEST on the 25th.
        assert_eq!(
            today_in(berlin, &at(2026, 10, 24, 22, 30)),
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
        );
        // 22:30 UTC on the 25th is 23:30 CET, still the 25th.
        assert_eq!(
            today_in(berlin, &at(2026, 10, 25, 22, 30)),
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
        );
        let due = NaiveDate::from_ymd_opt(2026, 10, 24).unwrap();
        assert_eq!(
            days_between(due, today_in(berlin, &at(2026, 10, 25, 22, 30))),
            1
        );
        // Spring forward: 29 Mar 2026 01:00 UTC. 22:30 UTC on the 28th is 23:30 CET, the 28th.
        assert_eq!(
            today_in(berlin, &at(2026, 3, 28, 22, 30)),
            NaiveDate::from_ymd_opt(2026, 3, 28).unwrap()
        );
        // 22:30 UTC on the 29th is 00:30 CEST on the 30th.
        assert_eq!(
            today_in(berlin, &at(2026, 3, 29, 22, 30)),
            NaiveDate::from_ymd_opt(2026, 3, 30).unwrap()
        );
    }
}
