//! The published files themselves: ECB daily, 90-day and history XML, the ECB CSV history
//! and a CNB daily file, read from the samples directory outside the repository
//! (ARSYNC_SAMPLES, default ../shared/samples). Skipped, saying so, when absent.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use arsync_feeds::{parse_cnb_daily, parse_ecb_csv, parse_ecb_xml, parse_ecb_xml_from};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn sample(name: &str) -> Option<Vec<u8>> {
    let root = std::env::var("ARSYNC_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/samples"
            ))
        });
    let path = root.join("fx").join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!(
                "skipped: sample {} is not there (set ARSYNC_SAMPLES)",
                path.display()
            );
            None
        }
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn rate(feed: &arsync_feeds::RateFeed, date: NaiveDate, quote: &str) -> Decimal {
    feed.rates
        .iter()
        .find(|r| r.date == date && r.quote.code() == quote)
        .map(|r| r.rate)
        .unwrap_or_else(|| panic!("no {quote} rate on {date}"))
}

#[test]
fn the_ecb_daily_file_gives_thirty_euro_rates_with_their_published_digits() {
    let Some(bytes) = sample("ecb_eurofxref-daily.xml") else {
        return;
    };
    let feed = parse_ecb_xml(&bytes).unwrap();
    assert!(feed.problems.is_empty(), "{:?}", feed.problems);
    assert_eq!(feed.rates.len(), 30);
    let day = d(2025, 5, 9);
    assert!(
        feed.rates
            .iter()
            .all(|r| r.date == day && r.base.code() == "EUR" && r.source == "ecb")
    );
    assert_eq!(rate(&feed, day, "USD"), dec!(1.1252));
    assert_eq!(rate(&feed, day, "GBP").to_string(), "0.84770");
    assert_eq!(rate(&feed, day, "IDR").to_string(), "18606.59");
}

#[test]
fn the_ecb_ninety_day_file_has_every_day_and_only_currency_problems() {
    let Some(bytes) = sample("ecb_eurofxref-hist-90d.xml") else {
        return;
    };
    let feed = parse_ecb_xml(&bytes).unwrap();
    let days: BTreeSet<NaiveDate> = feed.rates.iter().map(|r| r.date).collect();
    assert!(days.len() >= 60, "{} days", days.len());
    assert_eq!(rate(&feed, d(2017, 3, 3), "USD"), dec!(1.0565));
    assert_eq!(rate(&feed, d(2017, 3, 3), "GBP").to_string(), "0.86355");
    for p in &feed.problems {
        assert_eq!(p.field.as_deref(), Some("currency"), "{p}");
    }
    // Streamed from a reader, the file gives the same rates.
    let streamed = parse_ecb_xml_from(std::io::BufReader::with_capacity(512, &bytes[..])).unwrap();
    assert_eq!(streamed.rates, feed.rates);
    // Every day has the same currencies.
    let per_day = feed.rates.len() / days.len();
    assert_eq!(per_day * days.len(), feed.rates.len());
}

#[test]
fn the_pretty_printed_history_with_crlf_lines_is_read_alike() {
    let Some(bytes) = sample("ecb_eurofxref-hist-partial.xml") else {
        return;
    };
    let feed = parse_ecb_xml(&bytes).unwrap();
    assert_eq!(rate(&feed, d(2020, 1, 28), "USD"), dec!(1.1005));
    assert_eq!(rate(&feed, d(2020, 1, 28), "ISK").to_string(), "137.2");
    assert!(
        feed.problems
            .iter()
            .all(|p| p.field.as_deref() == Some("currency")),
        "{:?}",
        feed.problems
    );
}

#[test]
fn the_csv_history_agrees_with_the_daily_xml_of_the_same_day() {
    let (Some(csv), Some(xml)) = (
        sample("ecb_eurofxref-hist.csv"),
        sample("ecb_eurofxref-daily.xml"),
    ) else {
        return;
    };
    let history = parse_ecb_csv(&csv).unwrap();
    let daily = parse_ecb_xml(&xml).unwrap();
    assert!(
        history.rates.len() > 150_000,
        "{} rates",
        history.rates.len()
    );
    assert_eq!(rate(&history, d(1999, 1, 4), "USD"), dec!(1.1789));
    for fx in &daily.rates {
        assert_eq!(
            rate(&history, fx.date, fx.quote.code()),
            fx.rate,
            "{}",
            fx.quote
        );
    }
    // Withdrawn currencies (CYP, EEK, ... ) are named once each, not once per day.
    let codes: Vec<&str> = history.problems.iter().map(|p| p.value.as_str()).collect();
    assert!(
        codes.contains(&"CYP") || codes.contains(&"ROL"),
        "{codes:?}"
    );
    let unique: BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!(unique.len(), codes.len());
}

#[test]
fn the_cnb_daily_file_is_divided_by_its_quantities() {
    let Some(bytes) = sample("cnb_denni_kurz.txt") else {
        return;
    };
    let feed = parse_cnb_daily(std::str::from_utf8(&bytes).unwrap()).unwrap();
    let day = d(2025, 5, 30);
    let by_code = |code: &str| {
        feed.rates
            .iter()
            .find(|r| r.base.code() == code)
            .map(|r| (r.rate, r.quote.code(), r.date))
            .unwrap()
    };
    assert_eq!(by_code("EUR"), (dec!(24.930), "CZK", day));
    assert_eq!(by_code("JPY"), (dec!(0.15305), "CZK", day));
    assert_eq!(by_code("IDR"), (dec!(0.001348), "CZK", day));
    assert_eq!(by_code("HUF"), (dec!(0.06177), "CZK", day));
    assert_eq!(feed.rates.len(), 30);
    assert_eq!(feed.problems.len(), 1);
    assert_eq!(feed.problems[0].value, "XDR");
}
