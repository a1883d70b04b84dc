//! Plain-text tables for the terminal: right-aligned amounts, a rule under the header.

use arsync_model::Decimal;

/// Column alignment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// A table built row by row and rendered with every column as wide as its widest cell.
pub(crate) struct Table {
    headers: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

/// A row that is a horizontal rule.
const RULE: &str = "\u{0}rule";

impl Table {
    pub(crate) fn new(headers: &[(&str, Align)]) -> Self {
        Self {
            headers: headers.iter().map(|(h, _)| (*h).to_owned()).collect(),
            align: headers.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn rule(&mut self) {
        self.rows.push(vec![RULE.to_owned()]);
    }

    pub(crate) fn render(&self) -> String {
        let n = self.headers.len();
        let mut width: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in self
            .rows
            .iter()
            .filter(|r| r.first().is_none_or(|c| c != RULE))
        {
            for (i, cell) in row.iter().enumerate().take(n) {
                width[i] = width[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut out = String::new();
            for (i, w) in width.iter().enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                let pad = w.saturating_sub(cell.chars().count());
                if i > 0 {
                    out.push_str("  ");
                }
                match self.align[i] {
                    Align::Left => {
                        out.push_str(cell);
                        out.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        out.push_str(&" ".repeat(pad));
                        out.push_str(cell);
                    }
                }
            }
            out.trim_end().to_owned()
        };
        let total: usize = width.iter().sum::<usize>() + 2 * n.saturating_sub(1);
        let mut out = line(&self.headers);
        out.push('\n');
        out.push_str(&"-".repeat(total));
        out.push('\n');
        for row in &self.rows {
            if row.first().is_some_and(|c| c == RULE) {
                out.push_str(&"-".repeat(total));
            } else {
                out.push_str(&line(row));
            }
            out.push('\n');
        }
        out
    }
}

/// Money with thousands separators, shown with at least its currency's minor units
/// (`1580` CHF is shown `1,580.00`); extra decimals the books gave are kept, never rounded.
pub(crate) fn money(m: &arsync_model::Money) -> String {
    let mut value = m.amount;
    if value.scale() < m.currency.minor_units() {
        value.rescale(m.currency.minor_units());
    }
    amount(value)
}

/// An amount with thousands separators, as given (no re-rounding): `1234567.5` → `1,234,567.5`.
pub(crate) fn amount(value: Decimal) -> String {
    let text = value.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn amounts_get_thousands_separators_and_keep_their_decimals() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(amount(d("1234567.50")), "1,234,567.50");
        assert_eq!(amount(d("-1000")), "-1,000");
        assert_eq!(amount(d("999.999")), "999.999");
        assert_eq!(amount(d("0.00")), "0.00");
    }

    #[test]
    fn money_shows_the_currencys_minor_units() {
        let m = |a: &str, c: &str| arsync_model::Money::parse(a, c).unwrap();
        assert_eq!(money(&m("1580", "CHF")), "1,580.00");
        assert_eq!(money(&m("780.4", "GBP")), "780.40");
        assert_eq!(money(&m("312000", "JPY")), "312,000");
        assert_eq!(money(&m("1.2345", "EUR")), "1.2345");
        assert_eq!(money(&m("12.5", "KWD")), "12.500");
    }

    #[test]
    fn columns_align() {
        let mut t = Table::new(&[("Customer", Align::Left), ("Open", Align::Right)]);
        t.row(vec!["Acme".into(), "1,000.00".into()]);
        t.rule();
        t.row(vec!["Total".into(), "10.00".into()]);
        assert_eq!(
            t.render(),
            "Customer      Open\n------------------\nAcme      1,000.00\n------------------\nTotal        10.00\n"
        );
    }
}
