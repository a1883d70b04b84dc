//! Rate files of other central banks and providers, read through a declared mapping:
//! which field holds the date, the two currencies (or which are fixed), the rate and the
//! quantity it is quoted for.

use crate::number::parse_published;
use crate::records::{Parsed, parse_feed_date};
use crate::{FeedFormat, FeedProblem, FeedsError, RateFeed};
use arsync_model::{Currency, FxRate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A value read from a field of each record, or fixed for the whole feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FieldRef {
    /// The field of each record with this name (see the record layer's naming rules).
    Field(String),
    /// The same value for every record.
    Fixed(String),
}

/// How to read rates from a CSV, JSON or JSON-lines file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Layout of the file.
    pub format: FeedFormat,
    /// Recorded as the rates' `source` ("snb", "nbp", the connection name).
    pub source: String,
    /// The fixing date.
    pub date: FieldRef,
    /// chrono format of the date (`%d.%m.%Y`), or `unix`; ISO when absent.
    #[serde(default)]
    pub date_format: Option<String>,
    /// Base currency: one unit of it costs `rate` units of the quote.
    pub base: FieldRef,
    /// Quote currency.
    pub quote: FieldRef,
    /// Field holding the rate.
    pub rate: String,
    /// Field holding the number of base units the rate is quoted for (100 JPY).
    #[serde(default)]
    pub quantity: Option<String>,
    /// Rates are written with a decimal comma.
    #[serde(default)]
    pub decimal_comma: bool,
}

const FORMAT: &str = "mapped rate feed";

/// Reads rates through a mapping. A record with a missing or bad field is reported and
/// skipped; the file fails as a whole only when it cannot be parsed.
pub fn parse_mapped(bytes: &[u8], mapping: &Mapping) -> Result<RateFeed, FeedsError> {
    if mapping.source.trim().is_empty() {
        return Err(FeedsError::Mapping {
            field: "source".into(),
            reason: "empty; name who publishes the rates".into(),
        });
    }
    let parsed = Parsed::new(bytes, &mapping.format, FORMAT)?;
    let mut feed = RateFeed::default();
    for (position, reason) in &parsed.unreadable {
        feed.problems.push(FeedProblem {
            position: position.clone(),
            field: None,
            value: String::new(),
            message: format!("not a JSON object ({reason}); skipped"),
        });
    }
    for record in parsed.records() {
        let get = |r: &FieldRef| match r {
            FieldRef::Fixed(v) => Some(v.clone()),
            FieldRef::Field(name) => record.get(name),
        };
        let name_of = |r: &FieldRef| match r {
            FieldRef::Fixed(_) => "(fixed)".to_owned(),
            FieldRef::Field(name) => name.clone(),
        };
        let problem = |field: String, value: &str, message: &str| FeedProblem {
            position: record.position.clone(),
            field: Some(field),
            value: value.to_owned(),
            message: format!("{message}; skipped"),
        };
        let date_text = get(&mapping.date).unwrap_or_default();
        let Some(date) = parse_feed_date(&date_text, mapping.date_format.as_deref()) else {
            feed.problems.push(problem(
                name_of(&mapping.date),
                &date_text,
                "not a date in the mapped format",
            ));
            continue;
        };
        let mut currencies = Vec::new();
        for r in [&mapping.base, &mapping.quote] {
            let text = get(r).unwrap_or_default();
            match Currency::parse(&text) {
                Ok(c) => currencies.push(c),
                Err(e) => {
                    feed.problems
                        .push(problem(name_of(r), &text, &e.to_string()));
                    break;
                }
            }
        }
        let [base, quote] = currencies[..] else {
            continue;
        };
        let rate_text = record.get(&mapping.rate).unwrap_or_default();
        let Some(published) = parse_published(&rate_text, mapping.decimal_comma) else {
            feed.problems.push(problem(
                mapping.rate.clone(),
                &rate_text,
                "not a decimal number",
            ));
            continue;
        };
        let quantity = match &mapping.quantity {
            None => Decimal::ONE,
            Some(name) => {
                let text = record.get(name).unwrap_or_default();
                match parse_published(&text, mapping.decimal_comma) {
                    Some(q) if q > Decimal::ZERO => q,
                    _ => {
                        feed.problems
                            .push(problem(name.clone(), &text, "not a positive quantity"));
                        continue;
                    }
                }
            }
        };
        let rate = if quantity == Decimal::ONE {
            published
        } else if let Some(r) = published.checked_div(quantity) {
            r
        } else {
            feed.problems.push(problem(
                mapping.rate.clone(),
                &rate_text,
                "the rate per unit is out of range",
            ));
            continue;
        };
        match FxRate::new(base, quote, date, rate, mapping.source.clone()) {
            Ok(fx) => feed.rates.push(fx),
            Err(e) => feed
                .problems
                .push(problem(mapping.rate.clone(), &rate_text, &e.to_string())),
        }
    }
    Ok(feed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_semicolon_csv_with_decimal_commas_and_quantities() {
        // A central bank that quotes CHF for 100 units of some currencies.
        let csv = "Kurse der Nationalbank\nDatum;Währung;Einheit;Kurs\n20.11.2026;EUR;1;0,9412\n20.11.2026;JPY;100;0,5731\n20.11.2026;XAU;1;2400\n20.11.2026;USD;1;\n";
        let mapping = Mapping {
            format: FeedFormat::Csv {
                delimiter: ';',
                skip_lines: 1,
            },
            source: "snb".into(),
            date: FieldRef::Field("Datum".into()),
            date_format: Some("%d.%m.%Y".into()),
            base: FieldRef::Field("Währung".into()),
            quote: FieldRef::Fixed("CHF".into()),
            rate: "Kurs".into(),
            quantity: Some("Einheit".into()),
            decimal_comma: true,
        };
        let feed = parse_mapped(csv.as_bytes(), &mapping).unwrap();
        let got: Vec<_> = feed
            .rates
            .iter()
            .map(|r| (r.base.to_string(), r.quote.to_string(), r.rate, r.date))
            .collect();
        assert_eq!(
            got,
            vec![
                ("EUR".into(), "CHF".into(), dec!(0.9412), d(2026, 11, 20)),
                ("JPY".into(), "CHF".into(), dec!(0.005731), d(2026, 11, 20)),
            ]
        );
        assert_eq!(feed.rates[0].source, "snb");
        let problems: Vec<_> = feed
            .problems
            .iter()
            .map(|p| (p.position.as_str(), p.field.as_deref()))
            .collect();
        assert_eq!(
            problems,
            vec![("line 5", Some("Währung")), ("line 6", Some("Kurs"))]
        );
    }

    #[test]
    fn a_json_api_answer_with_an_object_of_rates() {
        let json = r#"{"base":"EUR","date":"2026-11-20","rates":{"USD":1.0834,"GBP":"0.84770","JPY":162.5}}"#;
        let mapping = Mapping {
            format: FeedFormat::Json {
                records: Some("/rates".into()),
            },
            source: "provider".into(),
            date: FieldRef::Field("$/date".into()),
            date_format: None,
            base: FieldRef::Field("$/base".into()),
            quote: FieldRef::Field("key".into()),
            rate: "value".into(),
            quantity: None,
            decimal_comma: false,
        };
        let feed = parse_mapped(json.as_bytes(), &mapping).unwrap();
        assert!(feed.problems.is_empty(), "{:?}", feed.problems);
        let mut got: Vec<_> = feed
            .rates
            .iter()
            .map(|r| (r.quote.to_string(), r.rate.to_string()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("GBP".into(), "0.84770".into()),
                ("JPY".into(), "162.5".into()),
                ("USD".into(), "1.0834".into())
            ]
        );
    }

    #[test]
    fn json_lines_with_a_broken_line_keep_the_others() {
        let jsonl = "{\"day\":\"2026-11-20T16:00:00Z\",\"from\":\"USD\",\"to\":\"EUR\",\"rate\":\"0.92302\"}\n{oops\n{\"day\":\"2026-11-21\",\"from\":\"USD\",\"to\":\"EUR\",\"rate\":\"0.92110\"}\n";
        let mapping = Mapping {
            format: FeedFormat::Jsonl,
            source: "bank".into(),
            date: FieldRef::Field("day".into()),
            date_format: None,
            base: FieldRef::Field("from".into()),
            quote: FieldRef::Field("to".into()),
            rate: "rate".into(),
            quantity: None,
            decimal_comma: false,
        };
        let feed = parse_mapped(jsonl.as_bytes(), &mapping).unwrap();
        assert_eq!(feed.rates.len(), 2);
        assert_eq!(feed.rates[0].rate.to_string(), "0.92302");
        assert_eq!(feed.problems[0].position, "line 2");
    }

    #[test]
    fn a_mapping_can_be_written_in_toml_terms() {
        let json = r#"{"format":{"type":"csv","delimiter":";"},"source":"nbp","date":{"fixed":"2026-11-20"},"base":{"field":"code"},"quote":{"fixed":"PLN"},"rate":"mid"}"#;
        let mapping: Mapping = serde_json::from_str(json).unwrap();
        assert_eq!(
            mapping.format,
            FeedFormat::Csv {
                delimiter: ';',
                skip_lines: 0
            }
        );
        let feed = parse_mapped(b"code;mid\nEUR;4.2393\n", &mapping).unwrap();
        assert_eq!(feed.rates[0].rate, dec!(4.2393));
        assert_eq!(feed.rates[0].date, d(2026, 11, 20));
    }
}
