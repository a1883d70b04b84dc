//! Evidence a receipt carries: who paid (source customer, payer account, learned aliases,
//! payer name) and which open items its references name (structured references with a
//! valid checksum, invoice numbers as written, numbers with two digits swapped). Computed
//! once per receipt; the scoring stage weighs it against what is still open.

use crate::book::Book;
use crate::memory::{AliasKey, Memory};
use crate::normalise::{
    NameFit, account_key, is_adjacent_transposition, name_fit, name_key, name_tokens, number_tokens,
};
use crate::outcome::{Rule, RuleHit};
use crate::receipt::Receipt;
use crate::references::{
    compact, rf_in_text, rf_is_valid, rf_payload, swiss_is_valid, swiss_payload,
};
use arsync_model::{ItemKind, RefKind};
use rust_decimal::Decimal;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

/// Who the payer is.
#[derive(Debug, Clone)]
pub(crate) enum Payer {
    /// One customer, with the weight of the evidence and what it was.
    Known {
        customer: usize,
        weight: Decimal,
        hit: RuleHit,
    },
    /// Several customers fit equally.
    Ambiguous { customers: Vec<usize>, hit: RuleHit },
    /// Nothing identifies the payer.
    Unknown,
}

/// How strongly a reference names an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RefStrength {
    Transposed,
    Number,
    NumberWithPrefix,
    Structured,
}

impl RefStrength {
    pub(crate) fn weight(self) -> Decimal {
        match self {
            RefStrength::Structured => Decimal::new(60, 2),
            RefStrength::NumberWithPrefix => Decimal::new(55, 2),
            RefStrength::Number => Decimal::new(50, 2),
            RefStrength::Transposed => Decimal::new(30, 2),
        }
    }

    pub(crate) fn rule(self) -> Rule {
        match self {
            RefStrength::Structured => Rule::StructuredReference,
            RefStrength::NumberWithPrefix => Rule::InvoiceNumberWithPrefix,
            RefStrength::Number => Rule::InvoiceNumber,
            RefStrength::Transposed => Rule::TransposedDigits,
        }
    }
}

/// A reference naming an item.
#[derive(Debug, Clone)]
pub(crate) struct RefHit {
    pub item: usize,
    pub strength: RefStrength,
    /// As the payer wrote it.
    pub written: String,
    /// The word before the number, when it is not the item's own prefix.
    pub foreign_prefix: Option<String>,
    /// A learned pattern that recognised the way it was written.
    pub pattern: Option<String>,
}

/// The evidence of one receipt.
#[derive(Debug, Clone)]
pub(crate) struct Evidence {
    pub payer: Payer,
    /// Best hit per item, in item order.
    pub refs: Vec<RefHit>,
    /// Notes that limit trust (failed checksums).
    pub notes: Vec<RuleHit>,
}

fn hit(rule: Rule, detail: String) -> RuleHit {
    RuleHit { rule, detail }
}

/// Identifies the payer.
pub(crate) fn identify_payer(receipt: &Receipt, book: &Book, memory: &Memory) -> Payer {
    let found = |ids: Vec<usize>, weight: Decimal, rule: Rule, detail: String| -> Option<Payer> {
        match ids.len() {
            0 => None,
            1 => Some(Payer::Known {
                customer: ids[0],
                weight,
                hit: hit(rule, detail),
            }),
            _ => Some(Payer::Ambiguous {
                hit: hit(
                    Rule::CustomerAmbiguous,
                    format!(
                        "{} fit customers {}",
                        detail,
                        ids.iter()
                            .map(|i| book.customers[*i].name.as_str())
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                ),
                customers: ids,
            }),
        }
    };
    let by_id = |id: &str| book.customer_by_id.get(id).copied();
    if let Some(id) = &receipt.customer_id
        && let Some(c) = by_id(id)
    {
        let name = &book.customers[c].name;
        return Payer::Known {
            customer: c,
            weight: Decimal::new(25, 2),
            hit: hit(
                Rule::CustomerFromSource,
                format!("the payment record names customer {name}"),
            ),
        };
    }
    if let Some(account) = receipt
        .payer_account
        .as_deref()
        .filter(|a| !a.trim().is_empty())
    {
        let key = account_key(account);
        let ids: Vec<usize> = book
            .customers_by_account
            .get(&key)
            .cloned()
            .unwrap_or_default();
        let detail = match ids.first() {
            Some(c) => format!(
                "account {account} is on file for {}",
                book.customers[*c].name
            ),
            None => String::new(),
        };
        if let Some(p) = found(ids, Decimal::new(25, 2), Rule::PayerAccount, detail) {
            return p;
        }
        if let Some(alias) = memory.alias(&AliasKey::PayerAccount(key))
            && let Some(c) = by_id(&alias.customer_id)
        {
            return Payer::Known {
                customer: c,
                weight: Decimal::new(25, 2),
                hit: hit(Rule::LearnedAlias, alias.explain()),
            };
        }
    }
    let Some(name) = receipt
        .payer_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    else {
        return Payer::Unknown;
    };
    let tokens = name_tokens(name);
    // Only customers whose first name token starts with the payer's can fit at all.
    let fits = |wanted: NameFit| -> Vec<usize> {
        let Some(first) = tokens.first() else {
            return Vec::new();
        };
        if wanted == NameFit::Same {
            return book
                .customers_by_tokens
                .get(&tokens)
                .cloned()
                .unwrap_or_default();
        }
        let fit = |c: &usize| name_fit(&tokens, &book.customers[*c].tokens) == Some(wanted);
        let mut ids: Vec<usize> = match tokens.get(1) {
            // Two tokens or more fit only customers of as many, whose second token the
            // payer's second shortens.
            Some(second) => book
                .customers_by_first_two
                .range::<String, _>(first..)
                .take_while(|(k, _)| k.starts_with(first.as_str()))
                .flat_map(|(_, seconds)| {
                    seconds
                        .range::<String, _>(second..)
                        .take_while(|(k, _)| k.starts_with(second.as_str()))
                })
                .flat_map(|(_, cs)| cs.iter().copied())
                .filter(fit)
                .collect(),
            None => book
                .customers_by_first_token
                .range::<String, _>(first..)
                .take_while(|(k, _)| k.starts_with(first.as_str()))
                .flat_map(|(_, cs)| cs.iter().copied())
                .filter(fit)
                .collect(),
        };
        ids.sort_unstable();
        ids
    };
    let same = fits(NameFit::Same);
    let detail = same
        .first()
        .map(|c| format!("payer '{name}' is customer {}", book.customers[*c].name))
        .unwrap_or_default();
    if let Some(p) = found(same, Decimal::new(20, 2), Rule::PayerName, detail) {
        return p;
    }
    if let Some(alias) = memory.alias(&AliasKey::PayerName(name_key(name)))
        && let Some(c) = by_id(&alias.customer_id)
    {
        return Payer::Known {
            customer: c,
            weight: Decimal::new(20, 2),
            hit: hit(Rule::LearnedAlias, alias.explain()),
        };
    }
    let short = fits(NameFit::Abbreviated);
    let detail = short
        .first()
        .map(|c| {
            format!(
                "payer '{name}' reads as customer {} shortened by the bank",
                book.customers[*c].name
            )
        })
        .unwrap_or_default();
    found(
        short,
        Decimal::new(15, 2),
        Rule::PayerNameAbbreviated,
        detail,
    )
    .unwrap_or(Payer::Unknown)
}

/// Gathers the receipt's evidence.
pub(crate) fn gather(receipt: &Receipt, book: &Book, memory: &Memory) -> Evidence {
    let mut notes = Vec::new();
    let mut text = receipt.free_text();
    // Verified structured references, compact.
    let mut structured: Vec<String> = Vec::new();
    for r in &receipt.structured_refs {
        match r.kind {
            RefKind::Rf => {
                if rf_is_valid(&r.value) {
                    structured.push(compact(&r.value));
                    text.push(' ');
                    text.push_str(&rf_payload(&r.value));
                } else {
                    notes.push(hit(
                        Rule::RfChecksumInvalid,
                        format!("creditor reference '{}' fails its ISO 11649 check, so it was read as plain text", r.value),
                    ));
                    text.push(' ');
                    text.push_str(&r.value);
                }
            }
            RefKind::SwissQr | RefKind::Isr => {
                if swiss_is_valid(&r.value) {
                    structured.push(compact(&r.value));
                    text.push(' ');
                    text.push_str(&swiss_payload(&r.value));
                } else {
                    notes.push(hit(
                        Rule::SwissChecksumInvalid,
                        format!("reference '{}' fails its mod-10 check digit, so it was read as plain text", r.value),
                    ));
                    text.push(' ');
                    text.push_str(&r.value);
                }
            }
            RefKind::Other(_) => {}
        }
    }
    for (rf, valid) in rf_in_text(&receipt.free_text()) {
        if valid {
            text.push(' ');
            text.push_str(&rf_payload(&rf));
            structured.push(rf);
        } else {
            notes.push(hit(
                Rule::RfChecksumInvalid,
                format!("creditor reference '{rf}' in the text fails its ISO 11649 check"),
            ));
        }
    }
    // Best hit per item, keyed by item so the result comes out in item order; sized by what
    // the receipt names, not by the book.
    let mut best: BTreeMap<usize, RefHit> = BTreeMap::new();
    let mut offer = |h: RefHit| match best.entry(h.item) {
        Entry::Vacant(slot) => {
            slot.insert(h);
        }
        Entry::Occupied(mut slot) => {
            if h.strength > slot.get().strength {
                slot.insert(h);
            }
        }
    };
    for s in &structured {
        for idx in book.by_reference.get(s).into_iter().flatten() {
            offer(RefHit {
                item: *idx,
                strength: RefStrength::Structured,
                written: s.clone(),
                foreign_prefix: None,
                pattern: None,
            });
        }
    }
    // A payment reference typed into the free text.
    // Every window of the text as long as some reference is looked up, instead of searching
    // the text for every reference on the book; offered in reference order as before.
    let compact_text = compact(&receipt.free_text());
    let mut typed: BTreeSet<(&String, &Vec<usize>)> = BTreeSet::new();
    for len in book.reference_lengths.range(8..) {
        for start in 0..=compact_text.len().saturating_sub(*len) {
            if let Some(window) = compact_text.get(start..start + len)
                && let Some((reference, idxs)) = book.by_reference.get_key_value(window)
            {
                typed.insert((reference, idxs));
            }
        }
    }
    for (reference, idxs) in typed {
        for idx in idxs {
            offer(RefHit {
                item: *idx,
                strength: RefStrength::Structured,
                written: reference.clone(),
                foreign_prefix: None,
                pattern: None,
            });
        }
    }
    for token in number_tokens(&text) {
        let exact = book.by_core.get(&token.core);
        let pattern_for = |customer: usize| -> Option<String> {
            let prefix = token.prefix.as_ref()?;
            memory
                .reference_patterns
                .iter()
                .find(|p| &p.prefix == prefix && p.customer_id == book.customers[customer].id)
                .map(|p| {
                    format!(
                        "{} writes invoice numbers as '{} <number>', as confirmed on {} by {}",
                        p.customer_name, p.prefix, p.confirmed_on, p.confirmed_by
                    )
                })
        };
        for idx in exact.into_iter().flatten() {
            let item = &book.items[*idx];
            let own_prefix =
                !item.prefix.is_empty() && token.prefix.as_deref() == Some(&item.prefix);
            offer(RefHit {
                item: *idx,
                strength: if own_prefix {
                    RefStrength::NumberWithPrefix
                } else {
                    RefStrength::Number
                },
                written: token.raw.clone(),
                foreign_prefix: if own_prefix {
                    None
                } else {
                    token.prefix.clone()
                },
                pattern: pattern_for(item.customer),
            });
        }
        if exact.is_some() {
            continue;
        }
        let bytes = token.core.as_bytes();
        for k in 0..bytes.len().saturating_sub(1) {
            let mut swapped = bytes.to_vec();
            swapped.swap(k, k + 1);
            let Ok(variant) = String::from_utf8(swapped) else {
                continue;
            };
            if variant.starts_with('0') || !is_adjacent_transposition(&variant, &token.core) {
                continue;
            }
            for idx in book.by_core.get(&variant).into_iter().flatten() {
                let item = &book.items[*idx];
                if item.kind != ItemKind::Invoice {
                    continue;
                }
                offer(RefHit {
                    item: *idx,
                    strength: RefStrength::Transposed,
                    written: token.raw.clone(),
                    foreign_prefix: None,
                    pattern: pattern_for(item.customer),
                });
            }
        }
    }
    Evidence {
        payer: identify_payer(receipt, book, memory),
        refs: best.into_values().collect(),
        notes,
    }
}
