//! Amounts as accountants type them: thousands separators of every country, decimal
//! commas, currency symbols or codes on either side, and negatives written with a sign,
//! a trailing minus or parentheses. The value is read exactly; nothing is rounded.

use crate::SheetsError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which character separates the decimals, when the caller knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalHint {
    /// Decide from the text: the last of `.` and `,` is the decimal separator when both
    /// appear; a single separator followed by exactly three digits is refused as ambiguous.
    #[default]
    Auto,
    /// `1,234.56`: the dot separates decimals.
    Dot,
    /// `1.234,56`: the comma separates decimals.
    Comma,
}

/// An amount read from text, with the currency its symbol or code named, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedAmount {
    /// The exact value, negative when the text said so.
    pub value: Decimal,
    /// ISO code of the currency written next to the amount (`€` → EUR, `CHF`), when
    /// the symbol is unambiguous. A bare `$` names no currency.
    pub currency: Option<&'static str>,
}

/// Parses an amount as written in a spreadsheet or export (see [`parse_amount_with_currency`]).
///
/// ```
/// use arsync_sheets::{parse_amount, DecimalHint};
/// use rust_decimal::Decimal;
/// assert_eq!(parse_amount("(1.234,56 €)", DecimalHint::Auto).unwrap(), Decimal::new(-123456, 2));
/// ```
pub fn parse_amount(text: &str, hint: DecimalHint) -> Result<Decimal, SheetsError> {
    parse_amount_with_currency(text, hint).map(|p| p.value)
}

const SYMBOLS: [(&str, Option<&str>); 12] = [
    ("US$", Some("USD")),
    ("SFr.", Some("CHF")),
    ("Fr.", Some("CHF")),
    ("€", Some("EUR")),
    ("£", Some("GBP")),
    ("¥", Some("JPY")),
    ("円", Some("JPY")),
    ("₹", Some("INR")),
    ("zł", Some("PLN")),
    ("Kč", Some("CZK")),
    ("$", None),
    ("kr", None),
];

/// Parses an amount and reports the currency written beside it.
pub fn parse_amount_with_currency(
    text: &str,
    hint: DecimalHint,
) -> Result<ParsedAmount, SheetsError> {
    let bad = |reason: &str| SheetsError::Amount {
        text: text.to_owned(),
        reason: reason.to_owned(),
    };
    let mut s: String = text
        .chars()
        .map(|c| match c {
            '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' => ' ',
            '\u{2212}' | '\u{2013}' => '-',
            '\u{2019}' | '\u{2032}' => '\'',
            other => other,
        })
        .collect();
    s = s.trim().to_owned();
    if s.is_empty() {
        return Err(bad("the cell is empty"));
    }
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') {
        negative = true;
        s = s[1..s.len() - 1].trim().to_owned();
    }
    let mut currency: Option<&'static str> = None;
    let mut strip_currency = |s: &mut String| {
        loop {
            let trimmed = s.trim().to_owned();
            let mut changed = false;
            for (sym, code) in SYMBOLS {
                if let Some(rest) = trimmed.strip_prefix(sym) {
                    *s = rest.trim().to_owned();
                    currency = currency.or(code);
                    changed = true;
                    break;
                }
                if let Some(rest) = trimmed.strip_suffix(sym) {
                    *s = rest.trim().to_owned();
                    currency = currency.or(code);
                    changed = true;
                    break;
                }
            }
            if !changed {
                let t = s.trim().to_owned();
                if let Some(code) = iso_code_at(&t, true) {
                    *s = t[3..].trim().to_owned();
                    currency = currency.or(Some(code));
                    changed = true;
                } else if let Some(code) = iso_code_at(&t, false) {
                    *s = t[..t.len() - 3].trim().to_owned();
                    currency = currency.or(Some(code));
                    changed = true;
                }
            }
            if !changed {
                *s = s.trim().to_owned();
                return;
            }
        }
    };
    strip_currency(&mut s);
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest.trim().to_owned();
    } else if let Some(rest) = s.strip_suffix('-') {
        negative = !negative;
        s = rest.trim().to_owned();
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest.trim().to_owned();
    }
    if s.starts_with('(') && s.ends_with(')') && !negative {
        negative = true;
        s = s[1..s.len() - 1].trim().to_owned();
    }
    // A symbol may stand between the sign and the digits: "-€1,234.56", "€ -12".
    strip_currency(&mut s);
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest.trim().to_owned();
    }
    if s.is_empty() {
        return Err(bad("there are no digits"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '\'' | ' ')))
    {
        return Err(bad(&format!(
            "'{c}' is not part of a number (expected digits, separators, a currency and a sign)"
        )));
    }
    if !s.starts_with(|c: char| c.is_ascii_digit()) && !s.starts_with(['.', ',']) {
        return Err(bad("the number does not start with a digit"));
    }
    let decimal_sep = decide_decimal_separator(&s, hint).map_err(|r| bad(&r))?;
    let (int_part, frac_part) = match decimal_sep {
        Some(sep) => match s.rsplit_once(sep) {
            Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
            None => (s.clone(), None),
        },
        None => (s.clone(), None),
    };
    if let Some(f) = &frac_part
        && (f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad(
            "the decimals after the decimal separator are not all digits",
        ));
    }
    let digits = check_groups(&int_part).map_err(|r| bad(&r))?;
    let mut normal = String::new();
    if negative {
        normal.push('-');
    }
    normal.push_str(if digits.is_empty() { "0" } else { &digits });
    if let Some(f) = frac_part {
        normal.push('.');
        normal.push_str(&f);
    }
    let value = Decimal::from_str_exact(&normal)
        .map_err(|e| bad(&format!("the number does not fit a decimal: {e}")))?;
    Ok(ParsedAmount { value, currency })
}

fn iso_code_at(s: &str, prefix: bool) -> Option<&'static str> {
    if s.len() < 4 || !s.is_char_boundary(3) || !s.is_char_boundary(s.len() - 3) {
        return None;
    }
    let code = if prefix { &s[..3] } else { &s[s.len() - 3..] };
    if !code.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let parsed = arsync_model::Currency::parse(code).ok()?;
    Some(parsed.code())
}

fn decide_decimal_separator(s: &str, hint: DecimalHint) -> Result<Option<char>, String> {
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();
    match hint {
        DecimalHint::Dot => {
            if dots > 1 {
                return Err("more than one '.' but the decimal separator is '.'".into());
            }
            Ok((dots == 1).then_some('.'))
        }
        DecimalHint::Comma => {
            if commas > 1 {
                return Err("more than one ',' but the decimal separator is ','".into());
            }
            Ok((commas == 1).then_some(','))
        }
        DecimalHint::Auto => {
            if dots > 0 && commas > 0 {
                let last_dot = s.rfind('.').unwrap_or(0);
                let last_comma = s.rfind(',').unwrap_or(0);
                let sep = if last_dot > last_comma { '.' } else { ',' };
                if s.matches(sep).count() > 1 {
                    return Err(format!("'{sep}' appears as both separators"));
                }
                return Ok(Some(sep));
            }
            let (sep, count) = if dots > 0 { ('.', dots) } else { (',', commas) };
            match count {
                0 => Ok(None),
                1 => {
                    let (int, frac) = s.rsplit_once(sep).unwrap_or((s, ""));
                    let int_digits: String = int.chars().filter(char::is_ascii_digit).collect();
                    let grouped = int.contains([' ', '\'']);
                    if frac.len() == 3
                        && !int_digits.is_empty()
                        && !int_digits.starts_with('0')
                        && !grouped
                    {
                        Err(format!(
                            "'{s}' could be a thousands group or three decimals; set the decimal separator ('.' or ',') for this source"
                        ))
                    } else {
                        Ok(Some(sep))
                    }
                }
                _ => Ok(None),
            }
        }
    }
}

/// Checks that thousands groups have three digits and returns the bare digits.
fn check_groups(int_part: &str) -> Result<String, String> {
    let groups: Vec<&str> = int_part.split(['.', ',', '\'', ' ']).collect();
    if groups.len() > 1 {
        for (i, g) in groups.iter().enumerate() {
            let ok = if i == 0 {
                (1..=3).contains(&g.len())
            } else {
                g.len() == 3
            };
            if !ok || !g.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!(
                    "the thousands groups in '{int_part}' are not groups of three digits"
                ));
            }
        }
    }
    Ok(groups.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn auto(s: &str) -> Decimal {
        parse_amount(s, DecimalHint::Auto).unwrap()
    }

    #[test]
    fn german_and_english_thousands_and_decimals() {
        assert_eq!(auto("1.234,56"), dec!(1234.56));
        assert_eq!(auto("1,234.56"), dec!(1234.56));
        assert_eq!(auto("1.234.567,89"), dec!(1234567.89));
        assert_eq!(auto("1,234,567.89"), dec!(1234567.89));
        assert_eq!(auto("1234.56"), dec!(1234.56));
        assert_eq!(auto("1234,56"), dec!(1234.56));
        assert_eq!(auto("0.125"), dec!(0.125));
        assert_eq!(auto("1234"), dec!(1234));
        assert_eq!(auto("1.000.000"), dec!(1000000));
    }

    #[test]
    fn decimals_keep_their_published_scale() {
        assert_eq!(auto("100.50").to_string(), "100.50");
        assert_eq!(auto("1.234,500").to_string(), "1234.500");
    }

    #[test]
    fn negatives_in_parentheses_trailing_minus_and_sign() {
        assert_eq!(auto("(1,234.56)"), dec!(-1234.56));
        assert_eq!(auto("1234.56-"), dec!(-1234.56));
        assert_eq!(auto("-1.234,56"), dec!(-1234.56));
        assert_eq!(auto("\u{2212}15.00"), dec!(-15.00));
        assert_eq!(auto("+15.00"), dec!(15.00));
        assert_eq!(auto("(€ 1.234,56)"), dec!(-1234.56));
        assert_eq!(auto("-€1,234.56"), dec!(-1234.56));
        assert_eq!(auto("€ -12.00"), dec!(-12.00));
    }

    #[test]
    fn currency_symbols_and_codes_are_read_and_named() {
        let p = parse_amount_with_currency("€ 1.234,56", DecimalHint::Auto).unwrap();
        assert_eq!((p.value, p.currency), (dec!(1234.56), Some("EUR")));
        let p = parse_amount_with_currency("CHF 1'234.50", DecimalHint::Auto).unwrap();
        assert_eq!((p.value, p.currency), (dec!(1234.50), Some("CHF")));
        let p = parse_amount_with_currency("1’234.50 Fr.", DecimalHint::Auto).unwrap();
        assert_eq!((p.value, p.currency), (dec!(1234.50), Some("CHF")));
        let p = parse_amount_with_currency("£12.00", DecimalHint::Auto).unwrap();
        assert_eq!(p.currency, Some("GBP"));
        let p = parse_amount_with_currency("¥120,000", DecimalHint::Dot).unwrap();
        assert_eq!((p.value, p.currency), (dec!(120000), Some("JPY")));
        let p = parse_amount_with_currency("1,500.00 USD", DecimalHint::Auto).unwrap();
        assert_eq!((p.value, p.currency), (dec!(1500.00), Some("USD")));
        let p = parse_amount_with_currency("$1,500.00", DecimalHint::Auto).unwrap();
        assert_eq!((p.value, p.currency), (dec!(1500.00), None));
    }

    #[test]
    fn french_spaces_and_no_break_spaces_group_thousands() {
        assert_eq!(auto("1\u{a0}234,56"), dec!(1234.56));
        assert_eq!(auto("1\u{202f}234\u{202f}567,89 €"), dec!(1234567.89));
        assert_eq!(auto("1 234,56"), dec!(1234.56));
        assert_eq!(auto("1 234"), dec!(1234));
    }

    #[test]
    fn a_lone_separator_before_three_digits_needs_a_hint() {
        let err = parse_amount("1,234", DecimalHint::Auto).unwrap_err();
        assert!(
            err.to_string().contains("set the decimal separator"),
            "{err}"
        );
        assert_eq!(parse_amount("1,234", DecimalHint::Dot).unwrap(), dec!(1234));
        assert_eq!(
            parse_amount("1,234", DecimalHint::Comma).unwrap(),
            dec!(1.234)
        );
        assert_eq!(
            parse_amount("1.234", DecimalHint::Comma).unwrap(),
            dec!(1234)
        );
    }

    #[test]
    fn text_that_is_not_an_amount_is_refused_with_the_reason() {
        for bad in [
            "",
            "abc",
            "12a",
            "1,23,4.00",
            "1.2.3,4.5",
            "--",
            "(€)",
            "12..5",
        ] {
            let err = parse_amount(bad, DecimalHint::Auto);
            assert!(err.is_err(), "{bad:?} was accepted as {err:?}");
        }
        let err = parse_amount("12 EURO", DecimalHint::Auto).unwrap_err();
        assert!(err.to_string().contains("'12 EURO'"), "{err}");
    }

    proptest! {
        #[test]
        fn any_amount_formatted_the_german_or_english_way_reads_back(cents in -10_000_000_000i64..10_000_000_000) {
            let value = Decimal::new(cents, 2);
            let abs = value.abs();
            let int = abs.trunc().to_string();
            let frac = format!("{:02}", (abs.fract() * Decimal::ONE_HUNDRED).trunc());
            let mut grouped = String::new();
            for (i, c) in int.chars().enumerate() {
                if i > 0 && (int.len() - i).is_multiple_of(3) { grouped.push('|'); }
                grouped.push(c);
            }
            let en = format!("{}{}.{}", if value.is_sign_negative() { "-" } else { "" }, grouped.replace('|', ","), frac);
            let de = format!("{}{},{}{}", "", grouped.replace('|', "."), frac, if value.is_sign_negative() { "-" } else { "" });
            let paren = format!("({} €)", grouped.replace('|', "\u{a0}") + "," + &frac);
            prop_assert_eq!(parse_amount(&en, DecimalHint::Auto).unwrap(), value);
            prop_assert_eq!(parse_amount(&de, DecimalHint::Auto).unwrap(), value);
            prop_assert_eq!(parse_amount(&paren, DecimalHint::Auto).unwrap(), -abs);
        }
    }
}
