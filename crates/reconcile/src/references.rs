//! Structured payment references and their checksums: ISO 11649 creditor references
//! (`RF` + two check digits, ISO 7064 mod 97-10) and Swiss QR / ISR references (digits with
//! a recursive mod-10 check digit). A reference whose checksum fails is not trusted as a
//! structured reference; its text is still read like any other remittance text.

/// Uppercase letters and digits only: "rf18 5390 0754 7034" becomes "RF18539007547034".
pub(crate) fn compact(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Whether `reference` (spaces allowed) is an ISO 11649 creditor reference with a valid
/// check: "RF", two check digits, 1 to 21 letters or digits, and mod 97 of the rearranged
/// digits equal to 1.
pub(crate) fn rf_is_valid(reference: &str) -> bool {
    let c = compact(reference);
    let bytes = c.as_bytes();
    if !(5..=25).contains(&bytes.len()) || !c.starts_with("RF") {
        return false;
    }
    if !bytes[2].is_ascii_digit() || !bytes[3].is_ascii_digit() {
        return false;
    }
    let rearranged = c[4..].chars().chain(c[..4].chars());
    let mut remainder: u32 = 0;
    for ch in rearranged {
        let value = match ch.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// The payload of a creditor reference: what follows "RF" and the check digits.
pub(crate) fn rf_payload(reference: &str) -> String {
    compact(reference).chars().skip(4).collect()
}

const MOD10_TABLE: [u32; 10] = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5];

/// The recursive mod-10 check digit of a digit string (Swiss ISR/QR), or `None` when the
/// string holds anything but digits.
pub(crate) fn mod10_recursive(digits: &str) -> Option<u32> {
    let mut carry: u32 = 0;
    for ch in digits.chars() {
        let d = ch.to_digit(10)?;
        let idx = usize::try_from((carry + d) % 10).ok()?;
        carry = MOD10_TABLE[idx];
    }
    Some((10 - carry) % 10)
}

/// Whether `reference` (spaces allowed) is a Swiss QR or ISR reference whose last digit is
/// the recursive mod-10 check of the others.
pub(crate) fn swiss_is_valid(reference: &str) -> bool {
    let c: String = reference.chars().filter(|c| !c.is_whitespace()).collect();
    if c.len() < 2 || c.len() > 27 || !c.chars().all(|ch| ch.is_ascii_digit()) {
        return false;
    }
    let (body, check) = c.split_at(c.len() - 1);
    match (
        mod10_recursive(body),
        check.chars().next().and_then(|d| d.to_digit(10)),
    ) {
        (Some(expected), Some(given)) => expected == given,
        _ => false,
    }
}

/// The payload of a Swiss reference: the digits without the check digit.
pub(crate) fn swiss_payload(reference: &str) -> String {
    let c: String = reference.chars().filter(char::is_ascii_digit).collect();
    let mut chars = c.chars();
    chars.next_back();
    chars.collect()
}

/// Creditor references written into free text ("pls ref RF18 5390 0754 7034 thx"): every
/// "RF" followed by two digits, extended over letters, digits and single spaces to the
/// longest run whose checksum holds. Returns (reference as compact text, valid).
pub(crate) fn rf_in_text(text: &str) -> Vec<(String, bool)> {
    let upper: Vec<char> = text.to_uppercase().chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 3 < upper.len() {
        let starts_word = i == 0 || !upper[i - 1].is_ascii_alphanumeric();
        if starts_word
            && upper[i] == 'R'
            && upper[i + 1] == 'F'
            && upper[i + 2].is_ascii_digit()
            && upper[i + 3].is_ascii_digit()
        {
            let mut run = String::from("RF");
            let mut j = i + 2;
            let mut ends = Vec::new();
            while j < upper.len() && run.len() < 25 {
                let ch = upper[j];
                if ch.is_ascii_alphanumeric() {
                    run.push(ch);
                    let next_is_alnum = upper.get(j + 1).is_some_and(char::is_ascii_alphanumeric);
                    if !next_is_alnum {
                        ends.push(run.clone());
                    }
                } else if ch == ' ' && upper.get(j + 1).is_some_and(char::is_ascii_alphanumeric) {
                    // a single space may split the groups of four
                } else {
                    break;
                }
                j += 1;
            }
            let valid = ends.iter().rev().find(|r| rf_is_valid(r));
            match valid {
                Some(r) => found.push((r.clone(), true)),
                None => {
                    let digits_only = ends
                        .iter()
                        .rev()
                        .find(|r| r.len() > 4 && r[2..].chars().all(|c| c.is_ascii_digit()))
                        .or(ends.first());
                    if let Some(r) = digits_only {
                        found.push((r.clone(), false));
                    }
                }
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_iso_11649_example_reference_is_valid() {
        assert!(rf_is_valid("RF18 5390 0754 7034"));
        assert!(rf_is_valid("rf18539007547034"));
        assert_eq!(rf_payload("RF18 5390 0754 7034"), "539007547034");
    }

    #[test]
    fn a_mistyped_creditor_reference_fails_its_check() {
        assert!(!rf_is_valid("RF18 5390 0754 7043"), "transposed digits");
        assert!(!rf_is_valid("RF19 5390 0754 7034"), "wrong check digits");
        assert!(!rf_is_valid("RF18"), "no payload");
        assert!(!rf_is_valid("XX18 5390 0754 7034"));
    }

    #[test]
    fn swiss_references_carry_a_recursive_mod10_check_digit() {
        // The PostFinance example QR reference from the Swiss implementation guidelines.
        assert!(swiss_is_valid("21 00000 00003 13947 14300 09017"));
        assert!(!swiss_is_valid("21 00000 00003 13947 14300 09018"));
        assert_eq!(mod10_recursive("21000000000313947143000901"), Some(7));
        assert_eq!(mod10_recursive("12a"), None);
    }

    #[test]
    fn creditor_references_are_found_in_free_text() {
        let found = rf_in_text("Payment for order, ref RF18 5390 0754 7034 thank you");
        assert_eq!(found, vec![("RF18539007547034".to_owned(), true)]);
        let found = rf_in_text("RF18 5390 0754 7043");
        assert_eq!(found.len(), 1);
        assert!(!found[0].1);
        assert!(rf_in_text("INTERFACE 12").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_scanned_for_creditor_references_without_panicking(text in "\\PC{0,120}") {
            for (r, valid) in rf_in_text(&text) {
                proptest::prop_assert_eq!(valid, rf_is_valid(&r));
            }
            let _ = swiss_is_valid(&text);
        }

        #[test]
        fn a_computed_mod10_check_digit_always_validates(body in "[0-9]{1,26}") {
            let check = mod10_recursive(&body).unwrap();
            let full = format!("{body}{check}");
            proptest::prop_assert!(swiss_is_valid(&full));
        }
    }

    fn samples() -> Option<std::path::PathBuf> {
        let dir = std::env::var("ARSYNC_SAMPLES").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/samples").to_owned()
        });
        let dir = std::path::PathBuf::from(dir).join("bank/camt");
        if dir.is_dir() {
            Some(dir)
        } else {
            println!(
                "skipped: no camt samples at {} (set ARSYNC_SAMPLES)",
                dir.display()
            );
            None
        }
    }

    fn between<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
        text.split(open)
            .skip(1)
            .filter_map(|rest| rest.split(close).next())
            .collect()
    }

    #[test]
    fn every_swiss_and_creditor_reference_in_the_real_camt_samples_passes_its_check() {
        let Some(dir) = samples() else { return };
        let mut checked = 0;
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        {
            let text = std::fs::read_to_string(path).unwrap();
            for block in between(&text, "<CdtrRefInf>", "</CdtrRefInf>") {
                let Some(reference) = between(block, "<Ref>", "</Ref>")
                    .first()
                    .map(|r| r.trim().to_owned())
                else {
                    continue;
                };
                let swiss = block.contains("QRR") || block.contains("ISR Reference");
                if swiss && reference.len() == 27 && reference.chars().all(|c| c.is_ascii_digit()) {
                    assert!(
                        swiss_is_valid(&reference),
                        "{}: {reference}",
                        path.display()
                    );
                    // One digit changed must fail.
                    let mut wrong = reference.clone().into_bytes();
                    wrong[26] = if wrong[26] == b'9' {
                        b'0'
                    } else {
                        wrong[26] + 1
                    };
                    assert!(!swiss_is_valid(&String::from_utf8(wrong).unwrap()));
                    checked += 1;
                } else if reference.to_ascii_uppercase().starts_with("RF") {
                    assert!(rf_is_valid(&reference), "{}: {reference}", path.display());
                    checked += 1;
                }
            }
        }
        assert!(
            checked >= 10,
            "only {checked} references found in {}",
            dir.display()
        );
    }
}
