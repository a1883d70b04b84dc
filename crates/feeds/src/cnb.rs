//! The Czech National Bank's daily rates (`denni_kurz.txt`): a line with the date and the
//! fixing's number (`23.11.2026 #226`), a header `země|měna|množství|kód|kurz` (or the
//! English `Country|Currency|Amount|Code|Rate`), then one line per currency with a
//! decimal comma. The rate is CZK for `množství` units, so it is divided by that quantity,
//! exactly: 15,305 CZK per 100 JPY is 0.15305 CZK per yen.

use crate::number::parse_published;
use crate::{FeedProblem, FeedsError, RateFeed};
use arsync_model::{Currency, FxRate};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The `source` recorded on CNB rates.
pub const CNB_SOURCE: &str = "cnb";

const FORMAT: &str = "CNB daily rates";

/// Reads a CNB daily rates file. Each rate is `code → CZK`.
pub fn parse_cnb_daily(text: &str) -> Result<RateFeed, FeedsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let format_err = |line: usize, reason: String, hint: &str| FeedsError::Format {
        format: FORMAT,
        position: format!("line {line}"),
        reason,
        hint: hint.to_owned(),
    };
    let (first_no, first) = lines.next().ok_or_else(|| {
        format_err(
            1,
            "the file is empty".into(),
            "download the day's file again",
        )
    })?;
    let date_text = first.split('#').next().unwrap_or("").trim();
    let date = NaiveDate::parse_from_str(date_text, "%d.%m.%Y")
        .or_else(|_| NaiveDate::parse_from_str(date_text, "%d %b %Y"))
        .map_err(|_| {
            format_err(
                first_no + 1,
                format!("'{first}' does not start with the fixing date DD.MM.YYYY"),
                "this is not a CNB denni_kurz.txt file",
            )
        })?;
    let (header_no, header) = lines.next().ok_or_else(|| {
        format_err(
            first_no + 2,
            "no header line".into(),
            "this is not a CNB denni_kurz.txt file",
        )
    })?;
    let names: Vec<String> = header.split('|').map(|h| h.trim().to_lowercase()).collect();
    let col = |candidates: &[&str]| names.iter().position(|n| candidates.contains(&n.as_str()));
    let (Some(qty_col), Some(code_col), Some(rate_col)) = (
        col(&["množství", "amount", "mnozstvi"]),
        col(&["kód", "code", "kod"]),
        col(&["kurz", "rate"]),
    ) else {
        return Err(format_err(
            header_no + 1,
            format!("the header '{header}' lacks množství, kód or kurz"),
            "this is not a CNB denni_kurz.txt file",
        ));
    };
    let czk = Currency::parse("CZK").map_err(|e| format_err(0, e.to_string(), ""))?;
    let mut feed = RateFeed::default();
    for (i, line) in lines {
        let line_no = i + 1;
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let get = |c: usize| fields.get(c).copied().unwrap_or("");
        let code = get(code_col);
        let problem = |field: &str, value: &str, message: String| FeedProblem {
            position: format!("line {line_no}"),
            field: Some(field.to_owned()),
            value: value.to_owned(),
            message,
        };
        let Ok(base) = Currency::parse(code) else {
            feed.problems.push(problem(
                "kód",
                code,
                format!("'{code}' is not an ISO 4217 currency arsync can hold money in; skipped"),
            ));
            continue;
        };
        let Some(quantity) = parse_published(get(qty_col), true).filter(|q| *q > Decimal::ZERO)
        else {
            feed.problems.push(problem(
                "množství",
                get(qty_col),
                "not a positive quantity; skipped".into(),
            ));
            continue;
        };
        let Some(published) = parse_published(get(rate_col), true) else {
            feed.problems.push(problem(
                "kurz",
                get(rate_col),
                "not a decimal number; skipped".into(),
            ));
            continue;
        };
        // Division by a power of ten is exact; any other quantity is carried to
        // rust_decimal's full precision, never rounded to a display scale.
        let rate = if quantity == Decimal::ONE {
            published
        } else {
            match published.checked_div(quantity) {
                Some(r) => r,
                None => {
                    feed.problems.push(problem(
                        "kurz",
                        get(rate_col),
                        "the rate per unit is out of range; skipped".into(),
                    ));
                    continue;
                }
            }
        };
        match FxRate::new(base, czk, date, rate, CNB_SOURCE) {
            Ok(fx) => feed.rates.push(fx),
            Err(e) => feed
                .problems
                .push(problem("kurz", get(rate_col), format!("{e}; skipped"))),
        }
    }
    Ok(feed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const DAY: &str = "23.11.2026 #226\nzemě|měna|množství|kód|kurz\nEMU|euro|1|EUR|24,930\nJaponsko|jen|100|JPY|15,305\nIndonesie|rupie|1000|IDR|1,348\nMMF|ZPČ|1|XDR|29,758\nUSA|dolar|1|USD|x\n";

    #[test]
    fn rates_per_hundred_or_thousand_units_are_divided_exactly() {
        let feed = parse_cnb_daily(DAY).unwrap();
        let got: Vec<(String, Decimal, String)> = feed
            .rates
            .iter()
            .map(|r| (r.base.to_string(), r.rate, r.quote.to_string()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("EUR".into(), dec!(24.930), "CZK".into()),
                ("JPY".into(), dec!(0.15305), "CZK".into()),
                ("IDR".into(), dec!(0.001348), "CZK".into()),
            ]
        );
        assert_eq!(feed.rates[0].rate.to_string(), "24.930");
        assert_eq!(feed.rates[1].rate * dec!(100), dec!(15.305));
        assert!(
            feed.rates
                .iter()
                .all(|r| r.date == NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
                    && r.source == "cnb")
        );
        let positions: Vec<_> = feed
            .problems
            .iter()
            .map(|p| (p.position.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(positions, vec![("line 6", "XDR"), ("line 7", "x")]);
    }

    proptest::proptest! {
        #[test]
        fn the_rate_per_unit_times_the_quantity_is_the_published_rate(thousandths in 1i64..100_000_000, exp in 0u32..4) {
            let quantity = 10i64.pow(exp);
            let published = Decimal::new(thousandths, 3);
            let text = format!("23.11.2026 #226\nzemě|měna|množství|kód|kurz\nJaponsko|jen|{quantity}|JPY|{}\n", published.to_string().replace('.', ","));
            let feed = parse_cnb_daily(&text).unwrap();
            proptest::prop_assert_eq!(feed.rates[0].rate * Decimal::from(quantity), published);
        }
    }

    #[test]
    fn the_english_file_reads_the_same() {
        let en = "23 Nov 2026 #226\nCountry|Currency|Amount|Code|Rate\nJapan|yen|100|JPY|15.305\n";
        let feed = parse_cnb_daily(&en.replace("15.305", "15,305")).unwrap();
        assert_eq!(feed.rates[0].rate, dec!(0.15305));
    }

    #[test]
    fn a_file_without_the_date_line_is_refused() {
        let err = parse_cnb_daily("země|měna|množství|kód|kurz\n").unwrap_err();
        assert!(
            err.to_string().contains("line 1") && err.to_string().contains("not a CNB"),
            "{err}"
        );
    }
}
