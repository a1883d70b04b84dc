//! The European Central Bank's euro foreign exchange reference rates: the eurofxref XML
//! files (daily, last 90 days, full history), read as a stream so the history of a quarter
//! century needs no more memory than one element, and the CSV history with its `N/A` gaps
//! and trailing comma. Every rate is EUR → currency, exactly as published.

use crate::number::parse_published;
use crate::{FeedProblem, FeedsError, RateFeed};
use arsync_model::{Currency, FxRate};
use chrono::NaiveDate;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use std::collections::BTreeMap;

/// The `source` recorded on ECB rates.
pub const ECB_SOURCE: &str = "ecb";

const XML_FORMAT: &str = "ECB eurofxref XML";
const CSV_FORMAT: &str = "ECB eurofxref CSV";

fn line_of(bytes: &[u8], position: u64) -> usize {
    let end = usize::try_from(position)
        .unwrap_or(bytes.len())
        .min(bytes.len());
    bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
}

fn eur() -> Result<Currency, FeedsError> {
    Currency::parse("EUR").map_err(|e| FeedsError::Format {
        format: XML_FORMAT,
        position: String::new(),
        reason: e.to_string(),
        hint: String::new(),
    })
}

/// Reads an ECB eurofxref XML file (`eurofxref-daily.xml`, `eurofxref-hist-90d.xml`,
/// `eurofxref-hist.xml`). Currencies arsync cannot hold money in are reported and skipped.
pub fn parse_ecb_xml(bytes: &[u8]) -> Result<RateFeed, FeedsError> {
    parse_ecb_events(quick_xml::Reader::from_reader(bytes), |position| {
        format!("line {}", line_of(bytes, position))
    })
}

/// Reads an ECB eurofxref XML file from a stream (a file of the full history, a response
/// body) without holding it in memory; positions in messages are byte offsets.
pub fn parse_ecb_xml_from<R: std::io::BufRead>(stream: R) -> Result<RateFeed, FeedsError> {
    parse_ecb_events(quick_xml::Reader::from_reader(stream), |position| {
        format!("byte {position}")
    })
}

fn parse_ecb_events<R: std::io::BufRead>(
    mut reader: quick_xml::Reader<R>,
    locate: impl Fn(u64) -> String,
) -> Result<RateFeed, FeedsError> {
    let base = eur()?;
    let mut buf = Vec::new();
    let mut feed = RateFeed::default();
    let mut date: Option<NaiveDate> = None;
    let mut saw_envelope = false;
    let mut skipped_codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut depth: usize = 0;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| FeedsError::Format {
                format: XML_FORMAT,
                position: locate(reader.error_position()),
                reason: e.to_string(),
                hint: "the file is not well-formed XML; download it again".into(),
            })?;
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name();
                if name.as_ref() == "Envelope" {
                    saw_envelope = true;
                }
                if name.as_ref() != "Cube" {
                    buf.clear();
                    continue;
                }
                let attrs = attributes(&e).map_err(|reason| FeedsError::Format {
                    format: XML_FORMAT,
                    position: locate(reader.buffer_position()),
                    reason,
                    hint: "the file is not well-formed XML; download it again".into(),
                })?;
                let position = || locate(reader.buffer_position());
                if let Some(time) = attrs.get("time") {
                    match NaiveDate::parse_from_str(time, "%Y-%m-%d") {
                        Ok(d) => date = Some(d),
                        Err(_) => {
                            date = None;
                            feed.problems.push(FeedProblem {
                                position: position(),
                                field: Some("time".into()),
                                value: time.clone(),
                                message:
                                    "not a date (YYYY-MM-DD); the rates of this day are skipped"
                                        .into(),
                            });
                        }
                    }
                }
                if let (Some(code), Some(rate)) = (attrs.get("currency"), attrs.get("rate")) {
                    let Some(day) = date else {
                        feed.problems.push(FeedProblem {
                            position: position(),
                            field: Some("currency".into()),
                            value: code.clone(),
                            message: "a rate outside a dated Cube; skipped".into(),
                        });
                        buf.clear();
                        continue;
                    };
                    match rate_of(base, code, rate, day, ECB_SOURCE) {
                        Ok(fx) => feed.rates.push(fx),
                        Err(RateProblem::Currency) => {
                            *skipped_codes.entry(code.clone()).or_default() += 1;
                        }
                        Err(RateProblem::Rate(message)) => feed.problems.push(FeedProblem {
                            position: format!("{} ({day} {code})", position()),
                            field: Some("rate".into()),
                            value: rate.clone(),
                            message,
                        }),
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if depth > 0 && saw_envelope {
        return Err(FeedsError::Format {
            format: XML_FORMAT,
            position: locate(reader.buffer_position()),
            reason: format!("the file ends inside {depth} open elements"),
            hint: "the download was cut short; fetch the file again".into(),
        });
    }
    if !saw_envelope {
        return Err(FeedsError::Format {
            format: XML_FORMAT,
            position: "line 1".into(),
            reason: "no gesmes:Envelope element".into(),
            hint: "this is not an ECB eurofxref file; check the URL or path".into(),
        });
    }
    push_skipped_codes(&mut feed, skipped_codes);
    Ok(feed)
}

fn push_skipped_codes(feed: &mut RateFeed, skipped: BTreeMap<String, usize>) {
    for (code, count) in skipped {
        feed.problems.push(FeedProblem {
            position: format!("{count} rates"),
            field: Some("currency".into()),
            value: code.clone(),
            message: format!(
                "'{code}' is not an ISO 4217 currency arsync can hold money in (withdrawn or without minor units); its rates are skipped"
            ),
        });
    }
}

fn attributes(e: &BytesStart<'_>) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key: String = attr.key.local_name().as_ref().to_owned();
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        out.insert(key, value.trim().to_owned());
    }
    Ok(out)
}

pub(crate) enum RateProblem {
    Currency,
    Rate(String),
}

pub(crate) fn rate_of(
    base: Currency,
    code: &str,
    rate: &str,
    date: NaiveDate,
    source: &str,
) -> Result<FxRate, RateProblem> {
    let quote = Currency::parse(code).map_err(|_| RateProblem::Currency)?;
    let value = parse_published(rate, false)
        .ok_or_else(|| RateProblem::Rate("not a decimal number; skipped".into()))?;
    FxRate::new(base, quote, date, value, source)
        .map_err(|e| RateProblem::Rate(format!("{e}; skipped")))
}

/// Reads the ECB's CSV history (`eurofxref-hist.csv`, or the daily `eurofxref.csv`):
/// a `Date` column then one column per currency, `N/A` where a currency was not fixed.
/// Dates are ISO in the history and written out (`09 May 2025`) in the daily file.
pub fn parse_ecb_csv(bytes: &[u8]) -> Result<RateFeed, FeedsError> {
    let base = eur()?;
    let text =
        std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|e| {
            FeedsError::Format {
                format: CSV_FORMAT,
                position: format!("byte {}", e.valid_up_to()),
                reason: "not UTF-8 text".into(),
                hint: "download the CSV again (the ECB publishes it as ASCII)".into(),
            }
        })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FeedsError::Format {
            format: CSV_FORMAT,
            position: "line 1".into(),
            reason: e.to_string(),
            hint: "the file must start with a header line Date,USD,JPY,...".into(),
        })?
        .clone();
    if !headers
        .get(0)
        .is_some_and(|h| h.eq_ignore_ascii_case("date"))
    {
        return Err(FeedsError::Format {
            format: CSV_FORMAT,
            position: "line 1".into(),
            reason: format!(
                "the first column is '{}', not 'Date'",
                headers.get(0).unwrap_or("")
            ),
            hint: "this is not an ECB eurofxref CSV file".into(),
        });
    }
    let mut feed = RateFeed::default();
    let mut columns: Vec<Option<arsync_model::Currency>> = Vec::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    for h in headers.iter().skip(1) {
        if h.is_empty() {
            columns.push(None);
            continue;
        }
        match Currency::parse(h) {
            Ok(c) => columns.push(Some(c)),
            Err(_) => {
                skipped.insert(h.to_owned(), 0);
                columns.push(None);
            }
        }
    }
    for record in reader.records() {
        let record = record.map_err(|e| FeedsError::Format {
            format: CSV_FORMAT,
            position: e
                .position()
                .map_or_else(String::new, |p| format!("line {}", p.line())),
            reason: e.to_string(),
            hint: "the file is damaged; download it again".into(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let date_text = record.get(0).unwrap_or("");
        if date_text.is_empty() && record.iter().all(str::is_empty) {
            continue;
        }
        let Ok(date) = NaiveDate::parse_from_str(date_text, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(date_text, "%d %B %Y"))
        else {
            feed.problems.push(FeedProblem {
                position: format!("line {line}"),
                field: Some("Date".into()),
                value: date_text.to_owned(),
                message: "not a date (YYYY-MM-DD or 09 May 2025); the line is skipped".into(),
            });
            continue;
        };
        for (i, value) in record.iter().enumerate().skip(1) {
            if value.is_empty() || value.eq_ignore_ascii_case("N/A") {
                continue;
            }
            let header = headers.get(i).unwrap_or("");
            let Some(Some(quote)) = columns.get(i - 1) else {
                if let Some(n) = skipped.get_mut(header) {
                    *n += 1;
                }
                continue;
            };
            match rate_of(base, quote.code(), value, date, ECB_SOURCE) {
                Ok(fx) => feed.rates.push(fx),
                Err(RateProblem::Currency) => {}
                Err(RateProblem::Rate(message)) => feed.problems.push(FeedProblem {
                    position: format!("line {line} ({date} {header})"),
                    field: Some(header.to_owned()),
                    value: value.to_owned(),
                    message,
                }),
            }
        }
    }
    skipped.retain(|_, n| *n > 0);
    push_skipped_codes(&mut feed, skipped);
    Ok(feed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const DAILY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <Cube>
    <Cube time='2026-11-20'>
      <Cube currency='USD' rate='1.0834'/>
      <Cube currency='JPY' rate='162.50'/>
      <Cube currency='GBP' rate='0.84770'/>
      <Cube currency='XDR' rate='0.81'/>
      <Cube currency='CHF' rate='abc'/>
    </Cube>
  </Cube>
</gesmes:Envelope>"#;

    #[test]
    fn a_daily_file_gives_euro_rates_exactly_as_published() {
        let feed = parse_ecb_xml(DAILY.as_bytes()).unwrap();
        let got: Vec<(String, String, String)> = feed
            .rates
            .iter()
            .map(|r| (r.base.to_string(), r.quote.to_string(), r.rate.to_string()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("EUR".into(), "USD".into(), "1.0834".into()),
                ("EUR".into(), "JPY".into(), "162.50".into()),
                ("EUR".into(), "GBP".into(), "0.84770".into()),
            ]
        );
        assert!(
            feed.rates
                .iter()
                .all(|r| r.date == NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
                    && r.source == "ecb")
        );
        assert_eq!(feed.problems.len(), 2, "{:?}", feed.problems);
        assert!(
            feed.problems
                .iter()
                .any(|p| p.value == "abc" && p.position.contains("line 10"))
        );
        assert!(feed.problems.iter().any(|p| p.value == "XDR"));
    }

    #[test]
    fn a_stream_reads_like_the_bytes_with_byte_positions() {
        let from_stream = parse_ecb_xml_from(std::io::BufReader::new(DAILY.as_bytes())).unwrap();
        let from_bytes = parse_ecb_xml(DAILY.as_bytes()).unwrap();
        assert_eq!(from_stream.rates, from_bytes.rates);
        assert_eq!(from_stream.problems.len(), from_bytes.problems.len());
        assert!(
            from_stream
                .problems
                .iter()
                .any(|p| p.position.starts_with("byte "))
        );
    }

    #[test]
    fn a_file_that_is_not_an_ecb_file_is_refused() {
        let err = parse_ecb_xml(b"<html><body>Moved</body></html>").unwrap_err();
        assert!(
            err.to_string().contains("not an ECB eurofxref file"),
            "{err}"
        );
        let err = parse_ecb_xml(b"<gesmes:Envelope><Cube><Cube time='2026-01-01'>").unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
    }

    #[test]
    fn the_daily_csv_with_spaces_and_a_written_out_date() {
        let csv = "Date, USD, JPY, GBP, \n20 November 2026, 1.0834, 162.50, 0.84770, \n";
        let feed = parse_ecb_csv(csv.as_bytes()).unwrap();
        assert!(feed.problems.is_empty(), "{:?}", feed.problems);
        let rates: Vec<_> = feed
            .rates
            .iter()
            .map(|r| (r.date.to_string(), r.quote.to_string(), r.rate.to_string()))
            .collect();
        assert_eq!(
            rates,
            vec![
                (
                    "2026-11-20".to_owned(),
                    "USD".to_owned(),
                    "1.0834".to_owned()
                ),
                (
                    "2026-11-20".to_owned(),
                    "JPY".to_owned(),
                    "162.50".to_owned()
                ),
                (
                    "2026-11-20".to_owned(),
                    "GBP".to_owned(),
                    "0.84770".to_owned()
                ),
            ]
        );
        let err = parse_ecb_csv(b"Datum;USD\n").unwrap_err();
        assert!(
            err.to_string().contains("not an ECB eurofxref CSV"),
            "{err}"
        );
    }

    #[test]
    fn the_csv_history_skips_gaps_and_the_trailing_column() {
        let csv =
            "Date,USD,JPY,CYP,\n2026-11-20,1.0834,162.5,N/A,\n2008-01-02,1.4727,164.76,0.585274,\n";
        let feed = parse_ecb_csv(csv.as_bytes()).unwrap();
        let rates: Vec<_> = feed
            .rates
            .iter()
            .map(|r| (r.date.to_string(), r.quote.to_string(), r.rate))
            .collect();
        assert_eq!(
            rates,
            vec![
                ("2026-11-20".into(), "USD".into(), dec!(1.0834)),
                ("2026-11-20".into(), "JPY".into(), dec!(162.5)),
                ("2008-01-02".into(), "USD".into(), dec!(1.4727)),
                ("2008-01-02".into(), "JPY".into(), dec!(164.76)),
            ]
        );
        // The Cyprus pound, replaced by the euro in 2008, is reported once with its count.
        assert_eq!(feed.problems.len(), 1);
        assert_eq!(
            (
                feed.problems[0].value.as_str(),
                feed.problems[0].position.as_str()
            ),
            ("CYP", "1 rates")
        );
    }
}
