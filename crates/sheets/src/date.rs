//! Dates as spreadsheets hold them: Excel serial numbers in the 1900 or 1904 date system,
//! ISO text, the day-month-year and month-day-year habits of different countries, and
//! month names in English, German and French. Ambiguous numeric dates (03/04/2026) are
//! read in the order the source is configured with, never guessed.

use crate::SheetsError;
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The order of day, month and year in numeric dates of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// Day, month, year (23.11.2026, 23/11/2026): Europe and most of the world.
    #[default]
    Dmy,
    /// Month, day, year (11/23/2026): the United States.
    Mdy,
    /// Year, month, day (2026/11/23): ISO, Japan, China.
    Ymd,
}

/// The epoch a workbook counts its date serials from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSystem {
    /// Day 1 is 1900-01-01, and day 60 is the 29 February 1900 that never was (Lotus 1-2-3's
    /// leap-year bug, kept by Excel): serials from 61 on are one day ahead of a plain count.
    #[default]
    Excel1900,
    /// Day 0 is 1904-01-01 (Excel for Mac before 2011, some exported workbooks).
    Excel1904,
}

/// Parses a date written as text. Accepted: ISO `2026-11-23` (a time after it is ignored),
/// `2026/11/23`, `20261123`, `23.11.2026`, `23/11/2026` and `11/23/2026` (by `order` when
/// both numbers could be the month), two-digit years (taken as 20xx), month names
/// (`23 Nov 2026`, `Nov 23, 2026`, `23-Nov-26`, `23. November 2026`, `23 novembre 2026`),
/// and a bare five-digit Excel serial (`45292`, 1900 date system).
///
/// ```
/// use arsync_sheets::{parse_date, DateOrder};
/// use chrono::NaiveDate;
/// let d = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
/// assert_eq!(parse_date("03/04/2026", DateOrder::Mdy).unwrap(), d);
/// assert_eq!(parse_date("04/03/2026", DateOrder::Dmy).unwrap(), d);
/// ```
pub fn parse_date(text: &str, order: DateOrder) -> Result<NaiveDate, SheetsError> {
    let bad = |reason: String| SheetsError::Date {
        text: text.to_owned(),
        reason,
    };
    let s = text.trim().trim_end_matches('.').trim();
    if s.is_empty() {
        return Err(bad("the cell is empty".into()));
    }
    // An ISO date-time: keep the date.
    let s = match s.find(['T', ' ']) {
        Some(i) if i == 10 && s.as_bytes().get(4) == Some(&b'-') => &s[..10],
        _ => s,
    };
    // A time after the date ("11/23/2026 10:15 AM", "23.11.2026 14:30:00"): keep the date.
    let without_time: String;
    let s = if s.contains(':') {
        without_time = s
            .split_whitespace()
            .filter(|w| !w.contains(':') && !matches!(w.to_ascii_uppercase().as_str(), "AM" | "PM"))
            .collect::<Vec<_>>()
            .join(" ");
        without_time.as_str()
    } else {
        s
    };
    if s.chars().all(|c| c.is_ascii_digit() || c == '.') && !s.contains("..") {
        let dots = s.matches('.').count();
        if s.len() == 8 && dots == 0 {
            return ymd(&s[..4], &s[4..6], &s[6..8])
                .ok_or_else(|| bad("not a real date (read as YYYYMMDD)".into()));
        }
        // Serials written as text: five digits cover 1927 to 2173; a shorter number (a
        // year, a day) is not taken for a date.
        let whole = s.split('.').next().unwrap_or("");
        if dots <= 1 && whole.len() == 5 && !s.ends_with('.') {
            let serial: Decimal = s.parse().map_err(|_| bad("not a number".into()))?;
            return parse_serial(serial, DateSystem::Excel1900).map_err(|e| match e {
                SheetsError::Date { reason, .. } => bad(reason),
                other => other,
            });
        }
    }
    let has_letters = s.chars().any(char::is_alphabetic);
    if has_letters {
        return parse_named_month(s).ok_or_else(|| {
            bad("not a date arsync can read (expected e.g. 2026-11-23, 23.11.2026, 11/23/2026 or 23 Nov 2026)".into())
        });
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 || !parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        return Err(bad(
            "not a date arsync can read (expected e.g. 2026-11-23, 23.11.2026 or 11/23/2026)"
                .into(),
        ));
    }
    let (a, b, c) = (parts[0], parts[1], parts[2]);
    if a.len() == 4 {
        return ymd(a, b, c).ok_or_else(|| bad("not a real date (read as year-month-day)".into()));
    }
    let (first, second) = match (a.parse::<u32>(), b.parse::<u32>()) {
        (Ok(x), Ok(y)) => (x, y),
        _ => return Err(bad("not a date".into())),
    };
    // Dotted dates are day-first wherever they are written.
    let day_first = if s.contains('.') || (first > 12 && second <= 12) {
        true
    } else if second > 12 && first <= 12 {
        false
    } else {
        match order {
            DateOrder::Dmy => true,
            DateOrder::Mdy => false,
            DateOrder::Ymd => {
                return Err(bad(format!(
                    "'{s}' could be day-month or month-day; the source is configured year-month-day, so set its date order to DMY or MDY"
                )));
            }
        }
    };
    let (d, m) = if day_first { (a, b) } else { (b, a) };
    ymd(c, m, d).ok_or_else(|| {
        bad(format!(
            "not a real date (read as {})",
            if day_first {
                "day/month/year"
            } else {
                "month/day/year"
            }
        ))
    })
}

/// Converts an Excel date serial to a date. The fraction (time of day) is dropped.
/// In the 1900 system serial 60 is refused: it stands for 29 February 1900, which does
/// not exist, and serial 0 ("1900-01-00") is refused too.
///
/// ```
/// use arsync_sheets::{parse_serial, DateSystem};
/// use chrono::NaiveDate;
/// use rust_decimal::Decimal;
/// let d = parse_serial(Decimal::from(45292), DateSystem::Excel1900).unwrap();
/// assert_eq!(d, NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
/// ```
pub fn parse_serial(serial: Decimal, system: DateSystem) -> Result<NaiveDate, SheetsError> {
    let bad = |reason: &str| SheetsError::Date {
        text: serial.to_string(),
        reason: reason.to_owned(),
    };
    if serial.is_sign_negative() {
        return Err(bad("a date serial cannot be negative"));
    }
    let days = u64::try_from(serial.trunc().mantissa() / 10i128.pow(serial.trunc().scale()))
        .map_err(|_| bad("the serial is out of range"))?;
    if days > 2_958_465 {
        return Err(bad("the serial is after 9999-12-31, Excel's last date"));
    }
    let (epoch, offset) = match system {
        DateSystem::Excel1900 => match days {
            0 => return Err(bad("serial 0 is Excel's empty date 1900-01-00")),
            60 => {
                return Err(bad(
                    "serial 60 is 1900-02-29, a day that does not exist (Excel's 1900 leap-year bug)",
                ));
            }
            1..=59 => (NaiveDate::from_ymd_opt(1899, 12, 31), days),
            _ => (NaiveDate::from_ymd_opt(1899, 12, 30), days),
        },
        DateSystem::Excel1904 => (NaiveDate::from_ymd_opt(1904, 1, 1), days),
    };
    epoch
        .and_then(|e| e.checked_add_days(Days::new(offset)))
        .ok_or_else(|| bad("the serial is out of range"))
}

fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    let mut year: i32 = y.parse().ok()?;
    if y.len() == 2 {
        year += 2000;
    } else if y.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

fn month_from_name(word: &str) -> Option<u32> {
    let w: String = word
        .trim_end_matches('.')
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'ä' => 'a',
            'é' | 'è' | 'ê' => 'e',
            'û' | 'ü' => 'u',
            'ô' => 'o',
            other => other,
        })
        .collect();
    // English, German and French names and their usual abbreviations, accents folded.
    const NAMES: [&[&str]; 12] = [
        &["jan", "january", "januar", "janv", "janvier"],
        &["feb", "february", "februar", "fev", "fevr", "fevrier"],
        &["mar", "march", "marz", "mars"],
        &["apr", "april", "avr", "avril"],
        &["may", "mai"],
        &["jun", "june", "juni", "juin"],
        &["jul", "july", "juli", "juil", "juillet"],
        &["aug", "august", "aou", "aout"],
        &["sep", "sept", "september", "septembre"],
        &["oct", "october", "okt", "oktober", "octobre"],
        &["nov", "november", "novembre"],
        &["dec", "december", "dez", "dezember", "decembre"],
    ];
    let index = NAMES.iter().position(|names| names.contains(&w.as_str()))?;
    u32::try_from(index + 1).ok()
}

fn parse_named_month(s: &str) -> Option<NaiveDate> {
    let words: Vec<&str> = s
        .split([' ', '-', '/', ',', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() != 3 {
        return None;
    }
    let month_at = words.iter().position(|w| month_from_name(w).is_some())?;
    let month = month_from_name(words[month_at])?;
    let rest: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != month_at)
        .map(|(_, w)| *w)
        .collect();
    let (day, year) = if rest[0].len() == 4 {
        (rest[1], rest[0])
    } else {
        (rest[0], rest[1])
    };
    let mut y: i32 = year.parse().ok()?;
    if year.len() == 2 {
        y += 2000;
    } else if year.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(y, month, day.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn iso_german_and_us_dates() {
        let due = d(2026, 11, 23);
        assert_eq!(parse_date("2026-11-23", DateOrder::Mdy).unwrap(), due);
        assert_eq!(
            parse_date("2026-11-23T00:00:00", DateOrder::Dmy).unwrap(),
            due
        );
        assert_eq!(
            parse_date("2026-11-23 14:30:00", DateOrder::Dmy).unwrap(),
            due
        );
        assert_eq!(parse_date("2026/11/23", DateOrder::Dmy).unwrap(), due);
        assert_eq!(parse_date("20261123", DateOrder::Dmy).unwrap(), due);
        assert_eq!(parse_date("23.11.2026", DateOrder::Mdy).unwrap(), due);
        assert_eq!(parse_date("23.11.26", DateOrder::Dmy).unwrap(), due);
        assert_eq!(parse_date("11/23/2026", DateOrder::Mdy).unwrap(), due);
        assert_eq!(parse_date("23/11/2026", DateOrder::Dmy).unwrap(), due);
        assert_eq!(parse_date("23-11-2026", DateOrder::Dmy).unwrap(), due);
        assert_eq!(
            parse_date("11/23/2026 10:15 AM", DateOrder::Mdy).unwrap(),
            due
        );
        assert_eq!(
            parse_date("23.11.2026 14:30:00", DateOrder::Dmy).unwrap(),
            due
        );
        assert_eq!(
            parse_date("23 Nov 2026 14:30", DateOrder::Dmy).unwrap(),
            due
        );
    }

    #[test]
    fn an_unambiguous_day_wins_over_the_configured_order() {
        assert_eq!(
            parse_date("11/23/2026", DateOrder::Dmy).unwrap(),
            d(2026, 11, 23)
        );
        assert_eq!(
            parse_date("23/11/2026", DateOrder::Mdy).unwrap(),
            d(2026, 11, 23)
        );
    }

    #[test]
    fn ambiguous_dates_follow_the_configured_order() {
        assert_eq!(
            parse_date("03/04/2026", DateOrder::Dmy).unwrap(),
            d(2026, 4, 3)
        );
        assert_eq!(
            parse_date("03/04/2026", DateOrder::Mdy).unwrap(),
            d(2026, 3, 4)
        );
        let err = parse_date("03/04/2026", DateOrder::Ymd).unwrap_err();
        assert!(err.to_string().contains("set its date order"), "{err}");
    }

    #[test]
    fn month_names_in_english_german_and_french() {
        let due = d(2026, 11, 23);
        for text in [
            "23 Nov 2026",
            "Nov 23, 2026",
            "23-Nov-26",
            "23-NOV-2026",
            "November 23, 2026",
            "23. November 2026",
            "23. Nov. 2026",
            "23 novembre 2026",
            "2026-Nov-23",
        ] {
            assert_eq!(parse_date(text, DateOrder::Mdy).unwrap(), due, "{text}");
        }
        assert_eq!(
            parse_date("3. März 2026", DateOrder::Dmy).unwrap(),
            d(2026, 3, 3)
        );
        assert_eq!(
            parse_date("1 février 2026", DateOrder::Dmy).unwrap(),
            d(2026, 2, 1)
        );
        assert_eq!(
            parse_date("15. Oktober 2026", DateOrder::Dmy).unwrap(),
            d(2026, 10, 15)
        );
        assert_eq!(
            parse_date("15 août 2026", DateOrder::Dmy).unwrap(),
            d(2026, 8, 15)
        );
        assert_eq!(
            parse_date("1 Dezember 2026", DateOrder::Dmy).unwrap(),
            d(2026, 12, 1)
        );
    }

    #[test]
    fn excel_serials_in_both_date_systems() {
        assert_eq!(parse_date("45292", DateOrder::Dmy).unwrap(), d(2024, 1, 1));
        assert_eq!(
            parse_date("46349", DateOrder::Dmy).unwrap(),
            d(2026, 11, 23)
        );
        assert_eq!(
            parse_date("46349.75", DateOrder::Dmy).unwrap(),
            d(2026, 11, 23)
        );
        let s = |n: i64| Decimal::from(n);
        assert_eq!(
            parse_serial(s(1), DateSystem::Excel1900).unwrap(),
            d(1900, 1, 1)
        );
        assert_eq!(
            parse_serial(s(59), DateSystem::Excel1900).unwrap(),
            d(1900, 2, 28)
        );
        assert_eq!(
            parse_serial(s(61), DateSystem::Excel1900).unwrap(),
            d(1900, 3, 1)
        );
        assert_eq!(
            parse_serial(s(46349), DateSystem::Excel1900).unwrap(),
            d(2026, 11, 23)
        );
        // The same day is 1462 serials earlier in the 1904 system.
        assert_eq!(
            parse_serial(s(46349 - 1462), DateSystem::Excel1904).unwrap(),
            d(2026, 11, 23)
        );
        assert_eq!(
            parse_serial(s(0), DateSystem::Excel1904).unwrap(),
            d(1904, 1, 1)
        );
    }

    #[test]
    fn the_phantom_leap_day_and_impossible_serials_are_refused() {
        let err = parse_serial(Decimal::from(60), DateSystem::Excel1900).unwrap_err();
        assert!(err.to_string().contains("1900-02-29"), "{err}");
        assert!(parse_serial(Decimal::from(0), DateSystem::Excel1900).is_err());
        assert!(parse_serial(Decimal::from(-5), DateSystem::Excel1900).is_err());
        assert!(parse_serial(Decimal::from(3_000_000), DateSystem::Excel1900).is_err());
    }

    #[test]
    fn impossible_and_foreign_text_is_refused_with_the_text() {
        for bad in [
            "2026",
            "23",
            "31.02.2026",
            "2026-13-01",
            "13/13/2026",
            "tomorrow",
            "",
            "1/2",
            "2026-11",
        ] {
            let err = parse_date(bad, DateOrder::Dmy);
            assert!(err.is_err(), "{bad:?} read as {err:?}");
        }
        let err = parse_date("31.02.2026", DateOrder::Dmy).unwrap_err();
        assert!(err.to_string().contains("31.02.2026"), "{err}");
    }
}
