//! Decimal numbers as feeds publish them: a dot or a comma as the decimal separator,
//! never rounded, with the scale they were published in.

use rust_decimal::Decimal;

/// Parses a published number exactly. `decimal_comma` reads `14,104` as 14.104; spaces,
/// no-break spaces and apostrophes are taken as thousands separators, and so is the other
/// of `.`/`,`.
pub(crate) fn parse_published(text: &str, decimal_comma: bool) -> Option<Decimal> {
    let (decimal, thousands) = if decimal_comma {
        (',', '.')
    } else {
        ('.', ',')
    };
    let mut s = String::with_capacity(text.len());
    for c in text.trim().chars() {
        match c {
            ' ' | '\u{a0}' | '\u{202f}' | '\'' => {}
            c if c == thousands => {}
            c if c == decimal => s.push('.'),
            '\u{2212}' => s.push('-'),
            c => s.push(c),
        }
    }
    if s.is_empty() || s.matches('.').count() > 1 {
        return None;
    }
    Decimal::from_str_exact(&s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_numbers_keep_their_scale() {
        assert_eq!(
            parse_published("0.84770", false).unwrap().to_string(),
            "0.84770"
        );
        assert_eq!(
            parse_published("24,930", true).unwrap().to_string(),
            "24.930"
        );
        assert_eq!(
            parse_published("18606.59", false).unwrap().to_string(),
            "18606.59"
        );
        assert_eq!(
            parse_published("1.234,56", true).unwrap().to_string(),
            "1234.56"
        );
        assert_eq!(
            parse_published("-12.5", false).unwrap().to_string(),
            "-12.5"
        );
        assert!(parse_published("N/A", false).is_none());
        assert!(parse_published("", false).is_none());
        assert!(parse_published("1.2.3", false).is_none());
    }
}
