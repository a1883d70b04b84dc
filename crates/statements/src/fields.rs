//! Small readers shared by the format modules: amounts, IBANs, account ids, problems.

use crate::stream::{Event, Tally};
use crate::{ParseOptions, Position, Problem, Severity};
use arsync_model::{AccountId, Currency, Decimal};

/// Reads an amount written with a dot or a comma as the decimal separator and an optional
/// sign (`"1234,56"`, `"9,"`, `"-16.85"`, `"+000"`). Thousands separators are refused
/// because they cannot be told apart from a decimal comma.
pub(crate) fn parse_amount(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty()
        || body.matches([',', '.']).count() > 1
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
    {
        return None;
    }
    // No bank amount has more than 18 integer digits; refusing longer ones keeps every
    // sum far from the limits of `Decimal`.
    let integer_digits = body.find([',', '.']).unwrap_or(body.len());
    if integer_digits > 18 || body.len() > 40 {
        return None;
    }
    let mut norm = body.replace(',', ".");
    if norm.ends_with('.') {
        norm.pop();
    }
    if norm.starts_with('.') {
        norm.insert(0, '0');
    }
    let v: Decimal = norm.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Whether `s` is a valid IBAN (country code, check digits, BBAN; mod 97 = 1).
pub(crate) fn is_iban(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 15 || b.len() > 34 {
        return false;
    }
    if !b[0].is_ascii_uppercase()
        || !b[1].is_ascii_uppercase()
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
        || !b
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let mut rem: u32 = 0;
    for c in b[4..].iter().chain(b[..4].iter()) {
        if c.is_ascii_digit() {
            rem = (rem * 10 + u32::from(c - b'0')) % 97;
        } else {
            rem = (rem * 100 + u32::from(c - b'A') + 10) % 97;
        }
    }
    rem == 1
}

/// An account id from an identifier as a statement writes it: an IBAN, a
/// `BIC/account` or `bank code/account` pair, or a domestic number.
pub(crate) fn account_from(raw: &str, currency: Currency) -> AccountId {
    let t = raw.trim();
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if is_iban(&compact) {
        return AccountId {
            iban: Some(compact),
            other: None,
            currency,
        };
    }
    let iban = t
        .split('/')
        .map(str::trim)
        .find(|p| is_iban(p))
        .map(str::to_owned);
    AccountId {
        iban,
        other: (!t.is_empty()).then(|| t.to_owned()),
        currency,
    }
}

/// Where a format reader delivers what it reads: problems (here), statements, entries
/// and checks (see `stream.rs`), all as [`Event`]s to the caller's sink.
pub(crate) struct Reporter<'a> {
    pub(crate) options: &'a ParseOptions,
    pub(crate) sink: &'a mut dyn FnMut(Event),
    pub(crate) open: Option<Tally>,
    /// The number of the entry being read (1-based, in file order), given to every problem
    /// reported while it is set.
    pub(crate) entry: Option<u64>,
}

impl Reporter<'_> {
    pub(crate) fn error(
        &mut self,
        position: Position,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(position, field, message, hint, Severity::Error);
    }

    pub(crate) fn warning(
        &mut self,
        position: Position,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(position, field, message, hint, Severity::Warning);
    }

    pub(crate) fn push(
        &mut self,
        position: Position,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
        severity: Severity,
    ) {
        (self.sink)(Event::Problem(Problem {
            file: self.options.file_name.clone(),
            position,
            field: field.into(),
            message: message.into(),
            hint: hint.into(),
            severity,
            entry: self.entry,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_with_comma_or_dot_and_bare_separators() {
        assert_eq!(parse_amount("1234,56"), Some(dec!(1234.56)));
        assert_eq!(parse_amount("9,"), Some(dec!(9)));
        assert_eq!(parse_amount("-16.85"), Some(dec!(-16.85)));
        assert_eq!(parse_amount("+000000000000"), Some(dec!(0)));
        assert_eq!(parse_amount("1.234,56"), None);
        assert_eq!(parse_amount("12a"), None);
        assert_eq!(parse_amount(""), None);
        assert_eq!(parse_amount("9999999999999999999999999999"), None);
        assert_eq!(
            parse_amount("999999999999999999,99"),
            Some(dec!(999999999999999999.99))
        );
    }

    #[test]
    fn ibans_are_recognised_inside_bank_account_pairs() {
        assert!(is_iban("DE89370400440532013000"));
        assert!(!is_iban("DE89370400440532013001"));
        let eur = Currency::parse("EUR").unwrap();
        let a = account_from("DABADKKK/DK5000400440116243", eur);
        assert_eq!(a.iban.as_deref(), Some("DK5000400440116243"));
        let b = account_from("12345678/1020304050", eur);
        assert_eq!(b.iban, None);
        assert_eq!(b.key(), "12345678/1020304050");
    }
}
