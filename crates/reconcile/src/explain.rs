//! Sentences: every decision is told as a person would tell it, from the rules that fired.
//! "Receipt 2380.00 EUR of 2026-10-05 (BR-77) from ACME IND CHEM pays INV-1001 and INV-1002
//! of Acme Industrial Chemicals GmbH: …; applied automatically at confidence 0.95."

use crate::outcome::{Decision, RuleHit};
use crate::receipt::Receipt;
use rust_decimal::Decimal;

pub(crate) fn list(names: &[String]) -> String {
    match names {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn from(receipt: &Receipt) -> String {
    match &receipt.payer_name {
        Some(name) if !name.trim().is_empty() => format!(" from {}", name.trim()),
        _ => String::new(),
    }
}

/// The sentence of a match.
pub(crate) fn match_sentence(
    receipt: &Receipt,
    verb: &str,
    numbers: &[String],
    customer: Option<&str>,
    reasons: &[RuleHit],
    verdict: (Decision, &[RuleHit], Decimal),
) -> String {
    let (decision, limits, confidence) = verdict;
    let mut s = format!(
        "Receipt {}{} {verb} {}",
        receipt.describe(),
        from(receipt),
        list(numbers)
    );
    if let Some(c) = customer {
        s.push_str(&format!(" of {c}"));
    }
    if !reasons.is_empty() {
        s.push_str(": ");
        s.push_str(
            &reasons
                .iter()
                .map(|h| h.detail.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    match decision {
        Decision::Auto => s.push_str(&format!(
            "; applied automatically at confidence {confidence}."
        )),
        Decision::Suggested => {
            s.push_str(&format!(
                "; suggested for review at confidence {confidence}"
            ));
            if !limits.is_empty() {
                s.push_str(" because ");
                s.push_str(
                    &limits
                        .iter()
                        .map(|h| h.detail.as_str())
                        .collect::<Vec<_>>()
                        .join(", and "),
                );
            }
            s.push('.');
        }
    }
    s
}

/// The sentence of a receipt left unmatched.
pub(crate) fn unmatched_sentence(receipt: &Receipt, why: &str, notes: &[RuleHit]) -> String {
    let mut s = format!(
        "Receipt {}{} is unmatched: {why}",
        receipt.describe(),
        from(receipt)
    );
    for n in notes {
        s.push_str("; ");
        s.push_str(&n.detail);
    }
    s.push('.');
    s
}
