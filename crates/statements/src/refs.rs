//! Structured payment references: ISO 11649 creditor references (RF), Swiss QR and ISR
//! references, recognised from the scheme a statement names or from free text.

use arsync_model::{RefKind, StructuredRef};

/// Whether `s` (spaces allowed) is a valid ISO 11649 creditor reference: `RF`, two check
/// digits, then 1 to 21 letters or digits, passing the ISO 7064 mod 97-10 check.
pub fn is_valid_rf(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let upper = compact.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    if bytes.len() < 5 || bytes.len() > 25 || !upper.starts_with("RF") {
        return false;
    }
    if !bytes[2].is_ascii_digit() || !bytes[3].is_ascii_digit() {
        return false;
    }
    if !bytes[4..].iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    // Move the first four characters to the end and read letters as 10..35.
    let rearranged = bytes[4..].iter().chain(bytes[..4].iter());
    let mut rem: u32 = 0;
    for b in rearranged {
        let v = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Whether `s` (spaces allowed) is a valid Swiss QR reference: 27 digits whose last digit
/// is the recursive modulo 10 check digit of the first 26 (the same check as ISR).
pub fn is_valid_swiss_qr(s: &str) -> bool {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits.len() == 27 && digits.iter().all(u8::is_ascii_digit) && mod10_recursive_ok(&digits)
}

fn mod10_recursive_ok(digits: &[u8]) -> bool {
    const TABLE: [usize; 10] = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5];
    let Some((check, body)) = digits.split_last() else {
        return false;
    };
    let mut carry = 0usize;
    for d in body {
        carry = TABLE[(carry + usize::from(d - b'0')) % 10];
    }
    (10 - carry) % 10 == usize::from(check - b'0')
}

/// Classifies a reference that a camt file gives with a scheme (`Cd` SCOR, `Prtry` QRR,
/// "ISR Reference", ...). A SCOR reference that is a valid RF is reported as RF.
pub(crate) fn classify(scheme: Option<&str>, value: &str) -> StructuredRef {
    let scheme_upper = scheme.map(|s| s.trim().to_ascii_uppercase());
    let kind = match scheme_upper.as_deref() {
        _ if is_valid_rf(value) => RefKind::Rf,
        Some("QRR") => RefKind::SwissQr,
        Some(s) if s.starts_with("ISR") || s.starts_with("ESR") || s.starts_with("BVR") => {
            RefKind::Isr
        }
        Some(s) => {
            if s == "SCOR" && is_valid_swiss_qr(value) {
                RefKind::SwissQr
            } else {
                RefKind::Other(s.to_owned())
            }
        }
        None if is_valid_swiss_qr(value) => RefKind::SwissQr,
        None => RefKind::Other("unknown".into()),
    };
    StructuredRef {
        kind,
        value: value.trim().to_owned(),
    }
}

/// Finds creditor references (RF, also written in groups of four: `RF18 5390 0754 7034`)
/// and Swiss QR references in free remittance text.
pub fn recognise_refs(text: &str) -> Vec<StructuredRef> {
    let mut found: Vec<StructuredRef> = Vec::new();
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/' | ':' | '+'))
        .filter(|t| !t.is_empty())
        .collect();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if t.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("RF")) {
            // Join following short groups while the result stays an RF candidate; keep the
            // longest valid one.
            let mut candidate = t.to_ascii_uppercase();
            let mut best: Option<(String, usize)> =
                is_valid_rf(&candidate).then(|| (candidate.clone(), i));
            let mut j = i + 1;
            while j < tokens.len()
                && tokens[j].len() <= 4
                && tokens[j].bytes().all(|b| b.is_ascii_alphanumeric())
                && candidate.len() + tokens[j].len() <= 25
            {
                candidate.push_str(&tokens[j].to_ascii_uppercase());
                if is_valid_rf(&candidate) {
                    best = Some((candidate.clone(), j));
                }
                j += 1;
            }
            if let Some((value, last)) = best {
                found.push(StructuredRef {
                    kind: RefKind::Rf,
                    value,
                });
                i = last + 1;
                continue;
            }
        } else if t.len() == 27 && is_valid_swiss_qr(t) {
            found.push(StructuredRef {
                kind: RefKind::SwissQr,
                value: t.to_owned(),
            });
        }
        i += 1;
    }
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_iso_11649_example_is_valid_and_a_typo_is_not() {
        assert!(is_valid_rf("RF18 5390 0754 7034"));
        assert!(is_valid_rf("RF18539007547034"));
        assert!(!is_valid_rf("RF18 5390 0754 7035"));
        assert!(!is_valid_rf("RF1"));
    }

    #[test]
    fn a_swiss_qr_reference_carries_its_check_digit() {
        // The example reference from the Swiss QR-bill implementation guidelines.
        assert!(is_valid_swiss_qr("21 00000 00003 13947 14300 09017"));
        assert!(!is_valid_swiss_qr("21 00000 00003 13947 14300 09018"));
    }

    #[test]
    fn an_rf_reference_written_in_groups_is_found_in_remittance_text() {
        let refs = recognise_refs("Invoice 4711, ref RF18 5390 0754 7034 thank you");
        assert_eq!(
            refs,
            vec![StructuredRef {
                kind: RefKind::Rf,
                value: "RF18539007547034".into()
            }]
        );
        assert!(recognise_refs("RF18 5390 0754 7035").is_empty());
    }

    #[test]
    fn schemes_named_by_the_bank_are_respected() {
        assert_eq!(
            classify(Some("QRR"), "210000000003139471430009017").kind,
            RefKind::SwissQr
        );
        assert_eq!(
            classify(Some("ISR Reference"), "ISR ref number V1").kind,
            RefKind::Isr
        );
        assert_eq!(
            classify(Some("SCOR"), "1234567812345678").kind,
            RefKind::Other("SCOR".into())
        );
        assert_eq!(classify(Some("SCOR"), "RF18539007547034").kind, RefKind::Rf);
    }
}
