//! Normalisation: the forms in which payers write names, accounts and invoice numbers
//! are reduced to comparable keys. "ACME Ind. Chem. GmbH" and "Acme Industrial Chemicals"
//! become token lists without legal forms; "inv 1001", "INV-0001001" and "1001/1002" yield
//! the number cores 1001 and 1002; amounts written in the text ("1.190,00") are not taken
//! for invoice numbers.

use crate::references::compact;

/// Legal forms and filler words dropped from payer and customer names.
const LEGAL_FORMS: &[&str] = &[
    "AB",
    "AG",
    "AS",
    "ASA",
    "BV",
    "BVBA",
    "CO",
    "COMPANY",
    "CORP",
    "CORPORATION",
    "CV",
    "EG",
    "EK",
    "EV",
    "GBR",
    "GMBH",
    "INC",
    "INCORPORATED",
    "KG",
    "KGAA",
    "KFT",
    "LIMITED",
    "LLC",
    "LLP",
    "LP",
    "LTD",
    "NV",
    "OG",
    "OHG",
    "OY",
    "OYJ",
    "PLC",
    "PTY",
    "SA",
    "SAS",
    "SARL",
    "SE",
    "SL",
    "SPA",
    "SRL",
    "SRO",
    "UG",
    "ZRT",
    "THE",
    "UND",
    "AND",
];

fn fold_char(c: char, out: &mut String) {
    match c {
        'Ä' | 'ä' | 'Æ' | 'æ' => out.push_str("AE"),
        'Ö' | 'ö' | 'Ø' | 'ø' | 'Œ' | 'œ' => out.push_str("OE"),
        'Ü' | 'ü' => out.push_str("UE"),
        'ß' => out.push_str("SS"),
        'À' | 'Á' | 'Â' | 'Ã' | 'Å' | 'à' | 'á' | 'â' | 'ã' | 'å' | 'Ą' | 'ą' => {
            out.push('A')
        }
        'Ç' | 'ç' | 'Č' | 'č' | 'Ć' | 'ć' => out.push('C'),
        'È' | 'É' | 'Ê' | 'Ë' | 'è' | 'é' | 'ê' | 'ë' | 'Ě' | 'ě' | 'Ę' | 'ę' => {
            out.push('E')
        }
        'Ì' | 'Í' | 'Î' | 'Ï' | 'ì' | 'í' | 'î' | 'ï' => out.push('I'),
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ň' | 'ň' => out.push('N'),
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'ò' | 'ó' | 'ô' | 'õ' | 'Ő' | 'ő' => out.push('O'),
        'Ù' | 'Ú' | 'Û' | 'ù' | 'ú' | 'û' | 'Ű' | 'ű' | 'Ů' | 'ů' => out.push('U'),
        'Ý' | 'ý' | 'ÿ' => out.push('Y'),
        'Š' | 'š' | 'Ś' | 'ś' => out.push('S'),
        'Ž' | 'ž' | 'Ź' | 'ź' | 'Ż' | 'ż' => out.push('Z'),
        'Ł' | 'ł' => out.push('L'),
        'Ř' | 'ř' => out.push('R'),
        c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
        _ => out.push(' '),
    }
}

/// A name as comparable tokens: uppercase ASCII, accents folded, punctuation and legal
/// forms dropped. "Müller & Söhne GmbH" → ["MUELLER", "SOEHNE"].
pub(crate) fn name_tokens(name: &str) -> Vec<String> {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars() {
        // "Ind." and "Ind" are one token; a dot inside a word must not split it apart.
        if c == '.' || c == '\'' {
            continue;
        }
        fold_char(c, &mut folded);
    }
    folded
        .split_whitespace()
        .filter(|t| !LEGAL_FORMS.contains(t))
        .map(str::to_owned)
        .collect()
}

/// A name as one comparable key (tokens joined by single spaces).
pub(crate) fn name_key(name: &str) -> String {
    name_tokens(name).join(" ")
}

/// How a payer name relates to a customer name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NameFit {
    /// The same tokens.
    Same,
    /// Every payer token starts the customer token in the same place ("ACME IND CHEM"
    /// for "Acme Industrial Chemicals"), as banks truncate long names.
    Abbreviated,
}

/// Compares a payer name with a customer name.
pub(crate) fn name_fit(payer: &[String], customer: &[String]) -> Option<NameFit> {
    if payer.is_empty() || customer.is_empty() {
        return None;
    }
    if payer == customer {
        return Some(NameFit::Same);
    }
    // Bank truncation: the payer keeps the first tokens, each possibly shortened. The
    // first token must be whole or at least three letters so "A" does not fit everyone.
    if payer.len() <= customer.len()
        && payer
            .iter()
            .zip(customer)
            .all(|(p, c)| c.starts_with(p.as_str()) && (p.len() >= 3 || p == c))
        && payer[0].len() >= 3
    {
        return Some(NameFit::Abbreviated);
    }
    None
}

/// An account number as a key: uppercase, no spaces or punctuation.
pub(crate) fn account_key(account: &str) -> String {
    compact(account)
}

/// A number-like token found in remittance text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumberToken {
    /// The digits with leading zeros removed ("0001001" → "1001").
    pub core: String,
    /// The letters written immediately before the digits, if any ("INV" in "INV-0001001").
    pub prefix: Option<String>,
    /// The token as written, with its prefix.
    pub raw: String,
}

/// The core of an invoice number: all its digits, leading zeros removed
/// ("INV-0001001" → "1001", "SI-2026-0042" → "20260042").
pub(crate) fn number_core(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    strip_zeros(&digits)
}

/// The letters of an invoice number ("INV-1001" → "INV").
pub(crate) fn number_prefix(number: &str) -> String {
    number
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn strip_zeros(digits: &str) -> String {
    let t = digits.trim_start_matches('0');
    if t.is_empty() && !digits.is_empty() {
        "0".to_owned()
    } else {
        t.to_owned()
    }
}

/// Words that only say "number" and tell nothing about who wrote them.
const FILLER: &[&str] = &["NR", "NO", "NUM", "NUMBER", "NUMMER", "REF", "N"];

/// Shortest core taken for an invoice number; shorter digit runs are house numbers, days
/// and cents far more often than invoices.
const MIN_CORE_LEN: usize = 3;

/// Words that join the numbers of a list ("1001 und 1002", "1001 u. 1002"); between two
/// numbers they are no prefix.
const CONJUNCTIONS: &[&str] = &[
    "AND", "UND", "ET", "PLUS", "SOWIE", "OG", "EN", "Y", "E", "U",
];

/// Marks that separate the numbers of a list ("1001/1002", "1001, 1002 & 1003", "1001 + 1002").
const LIST_MARKS: &[char] = &['/', ',', ';', '&', '+'];

/// Most digit groups read together as one number ("NM 26 1010" is three).
const MAX_JOINED: usize = 4;

/// Whether the text between two numbers only lists them: list marks, conjunctions and
/// words that say "number", nothing else (", " / " & " / " und " / ", Nr. ").
fn lists(gap: &[char]) -> bool {
    let gap: String = gap.iter().collect();
    let mut pieces = gap.split_whitespace().peekable();
    pieces.peek().is_some()
        && pieces.all(|piece| {
            if piece.chars().all(|c| LIST_MARKS.contains(&c)) {
                return true;
            }
            let word = piece
                .trim_start_matches(LIST_MARKS)
                .trim_end_matches(['.', ':', '#'])
                .to_ascii_uppercase();
            !word.is_empty()
                && word.chars().all(|c| c.is_ascii_alphabetic())
                && (CONJUNCTIONS.contains(&word.as_str()) || FILLER.contains(&word.as_str()))
        })
}

/// Digit groups read together: joined by single dashes or single spaces ("2026-0042",
/// "NM 26 1010"), with the letters written before the first group.
struct Chain {
    /// (start, end) of each digit group, in chars.
    groups: Vec<(usize, usize)>,
    /// Where the prefix starts and what it says, uppercase.
    prefix: Option<(usize, String)>,
}

impl Chain {
    fn start(&self) -> usize {
        self.prefix
            .as_ref()
            .map_or(self.groups.first().map_or(0, |g| g.0), |(j, _)| *j)
    }

    fn end(&self) -> usize {
        self.groups.last().map_or(0, |g| g.1)
    }
}

/// Number tokens in free text. Digit groups joined by a single dash or space count both as
/// one number ("2026-0042", "NM 26 1010") and as their parts; a group followed by a
/// decimal separator and exactly two digits is an amount and is skipped. In a list
/// ("INV 1001, 1002 & 1003", "NM-26-1001 / 1021") a bare number takes the prefix of the
/// list's first number and, when it is as long as that number's last group, its leading
/// groups too ("1021" after "NM-26-1001" is "NM-26-1021"), as payers write lists; numbers
/// of one width separated by single spaces share the first one's prefix ("INV 1001 1002"). Shorter
/// shorthand ("1001/02") and ranges ("1001-1003") are not expanded: only what is written
/// is read.
pub(crate) fn number_tokens(text: &str) -> Vec<NumberToken> {
    let chars: Vec<char> = text.chars().collect();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            groups.push((start, i));
        } else {
            i += 1;
        }
    }
    let is_amount = |(s, e): (usize, usize)| {
        let sep = chars.get(e).is_some_and(|c| *c == '.' || *c == ',');
        let two = chars.get(e + 1).is_some_and(char::is_ascii_digit)
            && chars.get(e + 2).is_some_and(char::is_ascii_digit)
            && !chars.get(e + 3).is_some_and(char::is_ascii_alphanumeric);
        let after_sep = s > 0 && (chars[s - 1] == '.' || chars[s - 1] == ',') && e - s == 2;
        let thousands = s > 0 && chars[s - 1] == '.' && e - s == 3;
        (sep && two) || after_sep || thousands
    };
    let prefix_of = |start: usize| {
        let mut j = start;
        while j > 0 && matches!(chars[j - 1], '-' | '#' | ' ' | ':' | '_' | '/' | '.') {
            j -= 1;
            if start - j > 2 {
                break;
            }
        }
        let end = j;
        while j > 0 && chars[j - 1].is_ascii_alphabetic() {
            j -= 1;
        }
        let word = chars[j..end]
            .iter()
            .map(|c| c.to_ascii_uppercase())
            .collect::<String>();
        (j < end && !FILLER.contains(&word.as_str())).then_some((j, word))
    };
    // Chains of groups, amounts left out (an amount between two groups keeps them apart).
    let mut chains: Vec<Chain> = Vec::new();
    for g in groups.into_iter().filter(|g| !is_amount(*g)) {
        if let Some(last) = chains.last_mut()
            && let Some(&(_, e)) = last.groups.last()
            && g.0 == e + 1
            && matches!(chars[e], '-' | ' ')
        {
            last.groups.push(g);
            continue;
        }
        let mut prefix = prefix_of(g.0);
        // "1001 und 1002": a conjunction between two numbers lists them.
        if let (Some((j, word)), Some(prev)) = (&prefix, chains.last())
            && CONJUNCTIONS.contains(&word.as_str())
            && chars[prev.end()..*j]
                .iter()
                .all(|c| c.is_whitespace() || LIST_MARKS.contains(c))
        {
            prefix = None;
        }
        chains.push(Chain {
            groups: vec![g],
            prefix,
        });
    }
    let digits_of = |gs: &[(usize, usize)]| -> String {
        gs.iter().flat_map(|(s, e)| chars[*s..*e].iter()).collect()
    };
    let mut tokens = Vec::new();
    let mut push = |digits: String, prefix: Option<String>, from: usize, to: usize| {
        let core = strip_zeros(&digits);
        if core.len() >= MIN_CORE_LEN {
            tokens.push(NumberToken {
                core,
                prefix,
                raw: chars[from..to].iter().collect(),
            });
        }
    };
    // The first number of the list the current chain belongs to.
    let mut head: Option<usize> = None;
    for (c, chain) in chains.iter().enumerate() {
        for k in 0..chain.groups.len() {
            for m in k..chain.groups.len().min(k + MAX_JOINED) {
                let prefix = if k == 0 { chain.prefix.as_ref() } else { None };
                push(
                    digits_of(&chain.groups[k..=m]),
                    prefix.map(|(_, w)| w.clone()),
                    prefix.map_or(chain.groups[k].0, |(j, _)| *j),
                    chain.groups[m].1,
                );
            }
            // "INV 1001 1002": numbers of one width listed with spaces share the prefix.
            if k > 0
                && let Some((j, word)) = &chain.prefix
                && chain.groups[..=k].iter().all(|(s, e)| {
                    e - s == chain.groups[0].1 - chain.groups[0].0 && e - s >= MIN_CORE_LEN
                })
                && chain.groups[..k].iter().all(|(_, e)| chars[*e] == ' ')
            {
                push(
                    digits_of(&chain.groups[k..=k]),
                    Some(word.clone()),
                    *j,
                    chain.groups[k].1,
                );
            }
        }
        let listed =
            c > 0 && chain.prefix.is_none() && lists(&chars[chains[c - 1].end()..chain.start()]);
        match head.filter(|_| listed) {
            Some(h) => {
                let first = &chains[h];
                let (lead, last) = first.groups.split_at(first.groups.len() - 1);
                let width = last.first().map_or(0, |(s, e)| e - s);
                let own = digits_of(&chain.groups);
                if chain.groups.len() == 1 && !lead.is_empty() && own.len() == width {
                    push(
                        digits_of(lead) + &own,
                        first.prefix.as_ref().map(|(_, w)| w.clone()),
                        first.start(),
                        chain.end(),
                    );
                } else if let Some((_, word)) = &first.prefix {
                    push(own, Some(word.clone()), first.start(), chain.end());
                }
            }
            None => head = Some(c),
        }
    }
    tokens
}

/// Whether two digit strings of equal length differ by one swap of neighbouring digits
/// ("1001" and "1010", "4711" and "4171").
pub(crate) fn is_adjacent_transposition(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() || a == b {
        return false;
    }
    let diffs: Vec<usize> = (0..a.len()).filter(|i| a[*i] != b[*i]).collect();
    diffs.len() == 2
        && diffs[1] == diffs[0] + 1
        && a[diffs[0]] == b[diffs[1]]
        && a[diffs[1]] == b[diffs[0]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cores(text: &str) -> Vec<String> {
        number_tokens(text).into_iter().map(|t| t.core).collect()
    }

    #[test]
    fn legal_forms_punctuation_and_accents_do_not_count() {
        assert_eq!(name_key("Müller & Söhne GmbH"), "MUELLER SOEHNE");
        assert_eq!(name_key("ACME IND. CHEM."), "ACME IND CHEM");
        assert_eq!(
            name_key("Acme Industrial Chemicals GmbH"),
            "ACME INDUSTRIAL CHEMICALS"
        );
        assert_eq!(name_key("Société Générale S.A."), "SOCIETE GENERALE");
    }

    #[test]
    fn a_bank_truncated_name_fits_its_customer() {
        let payer = name_tokens("ACME IND CHEM");
        let customer = name_tokens("Acme Industrial Chemicals GmbH");
        assert_eq!(name_fit(&payer, &customer), Some(NameFit::Abbreviated));
        assert_eq!(name_fit(&customer, &customer), Some(NameFit::Same));
        let other = name_tokens("Acme Logistics Ltd");
        assert_eq!(name_fit(&payer, &other), None);
        assert_eq!(name_fit(&name_tokens("A"), &customer), None);
    }

    #[test]
    fn mangled_invoice_numbers_reduce_to_their_core() {
        assert_eq!(cores("inv 1001"), vec!["1001"]);
        assert_eq!(cores("INV-0001001"), vec!["1001"]);
        assert_eq!(cores("1001/1002"), vec!["1001", "1002"]);
        assert_eq!(
            cores("Rechnung Nr. 1001, 1002 und 1003"),
            vec!["1001", "1002", "1003"]
        );
        assert_eq!(number_core("SI-2026-0042"), "20260042");
        assert!(cores("SI-2026-0042").contains(&"20260042".to_owned()));
        assert_eq!(number_prefix("INV-1001"), "INV");
    }

    #[test]
    fn prefixes_written_before_numbers_are_kept() {
        let t = number_tokens("pay INV-0001001 and RG 1002, Nr. 1003");
        assert_eq!(t[0].prefix.as_deref(), Some("INV"));
        assert_eq!(t[0].raw, "INV-0001001");
        assert_eq!(t[1].prefix.as_deref(), Some("RG"));
        assert_eq!(t[2].prefix, None, "'Nr.' says nothing about the payer");
    }

    #[test]
    fn amounts_in_the_text_are_not_invoice_numbers() {
        assert!(cores("EUR 1190.00 paid").is_empty());
        assert!(cores("1.190,00 EUR").is_empty());
        assert_eq!(cores("INV 1001 EUR 2365,00"), vec!["1001"]);
    }

    fn found(text: &str) -> Vec<(String, Option<String>)> {
        number_tokens(text)
            .into_iter()
            .map(|t| (t.core, t.prefix))
            .collect()
    }

    fn has(text: &str, core: &str, prefix: Option<&str>) -> bool {
        found(text)
            .iter()
            .any(|(c, p)| c == core && p.as_deref() == prefix)
    }

    #[test]
    fn an_invoice_number_written_with_spaces_for_dashes_is_read_whole() {
        for text in [
            "Facture NM 26 1010 merci",
            "NM26 1010",
            "NM 26-1010",
            "NM-26-1010",
        ] {
            assert!(has(text, "261010", Some("NM")), "{text}: {:?}", found(text));
        }
        // The parts are still read on their own.
        assert!(cores("Facture NM 26 1010 merci").contains(&"1010".to_owned()));
    }

    #[test]
    fn a_bare_number_in_a_list_takes_the_leading_groups_of_the_first() {
        let text = "INV NM-26-1001 / 1021 less bank charges";
        assert!(has(text, "261001", Some("NM")), "{:?}", found(text));
        assert!(has(text, "261021", Some("NM")), "{:?}", found(text));
        let text = "NM-26-1001/1021/1022";
        assert!(has(text, "261021", Some("NM")) && has(text, "261022", Some("NM")));
    }

    #[test]
    fn a_bare_number_in_a_list_takes_the_prefix_of_the_first() {
        for text in [
            "INV 1001, 1002 & 1003",
            "INV 1001 + 1002 + 1003",
            "INV 1001; 1002 und 1003",
            "INV 1001, 1002 u. 1003",
        ] {
            for core in ["1001", "1002", "1003"] {
                assert!(has(text, core, Some("INV")), "{text}: {:?}", found(text));
            }
        }
        let text = "INV 1001 1002 1003";
        assert!(has(text, "1003", Some("INV")), "{:?}", found(text));
        // A dash makes one number of its groups, not a list.
        assert!(!has("INV-2026-1001", "1001", Some("INV")));
        let text = "Rechnung 1001 + 1002";
        assert!(has(text, "1002", Some("RECHNUNG")), "{:?}", found(text));
        // A conjunction is never taken for a prefix of its own.
        assert!(
            !found("Rechnung 1001 und 1002")
                .iter()
                .any(|(_, p)| p.as_deref() == Some("UND"))
        );
    }

    #[test]
    fn shorthand_and_ranges_are_not_guessed() {
        // "1001-1003" may mean three invoices; only the two written are read.
        assert!(!cores("INV 1001-1003").contains(&"1002".to_owned()));
        // "/21" and "/02" are shorthand for 1021 and 1002: not expanded.
        let text = "NM-26-1001/21";
        assert!(
            !cores(text).contains(&"261021".to_owned()),
            "{:?}",
            found(text)
        );
        assert!(!cores("INV 1001/02").contains(&"1002".to_owned()));
        // A number outside the list does not inherit anything.
        let text = "NM-26-1001 paid on 2026 11 18, ref 1021";
        assert!(
            !cores(text).contains(&"261021".to_owned()),
            "{:?}",
            found(text)
        );
    }

    #[test]
    fn an_amount_between_numbers_ends_the_list() {
        let text = "NM-26-1001 EUR 4760,00 / 1021";
        assert!(
            !cores(text).contains(&"261021".to_owned()),
            "{:?}",
            found(text)
        );
    }

    #[test]
    fn neighbouring_digit_swaps_are_recognised() {
        assert!(is_adjacent_transposition("1001", "1010"));
        assert!(is_adjacent_transposition("4711", "4171"));
        assert!(!is_adjacent_transposition("1001", "1002"));
        assert!(!is_adjacent_transposition("1234", "4231"));
        assert!(!is_adjacent_transposition("1001", "1001"));
    }

    proptest::proptest! {
        #[test]
        fn any_remittance_text_is_read_without_panicking(text in "\\PC{0,200}") {
            for t in number_tokens(&text) {
                proptest::prop_assert!(t.core.len() >= MIN_CORE_LEN);
                proptest::prop_assert!(!t.core.starts_with('0') || t.core == "0");
            }
            let _ = name_tokens(&text);
            let _ = account_key(&text);
        }

        #[test]
        fn a_number_written_with_any_prefix_and_zeros_keeps_its_core(n in 100u32..99_999_999, zeros in 0usize..4, prefix in "(INV|inv|Rechnung|RG|#|)", sep in "(-| |/|)") {
            let text = format!("{prefix}{sep}{}{n}", "0".repeat(zeros));
            proptest::prop_assert!(number_tokens(&text).iter().any(|t| t.core == n.to_string()), "{}", text);
        }
    }
}
