//! The file-mode export: one row per allocation, one row per unmatched receipt, and the
//! audit events of a run.
//!
//! # Columns (CSV header names; JSON field names are the same)
//!
//! | column | meaning |
//! |---|---|
//! | `receipt_reference` | the bank's reference of the entry (camt `AcctSvcrRef`, MT940 bank reference), else the entry or payment id |
//! | `receipt_id` | the receipt's stable id (`connection:external id`) |
//! | `entry_date` | value date, else booking date (`YYYY-MM-DD`) |
//! | `entry_amount` | the amount received (positive; a returned payment is positive too, with `kind` = `reversal`) |
//! | `entry_currency` | its currency |
//! | `kind` | `credit` or `reversal` |
//! | `invoice_number` | the item settled (invoice or credit note number); empty for an unmatched receipt |
//! | `item_kind` | `invoice` or `credit_note`; empty when there is no item |
//! | `customer` | the customer's name in the books |
//! | `applied_amount` | amount settled on the item, in the item's currency (negative for a credit note used, and for a reversal re-opening the item) |
//! | `applied_currency` | the item's currency |
//! | `residual_kind` | `partial_payment`, `bank_fee`, `overpayment`, `fx_difference`, several joined by `;`, or empty |
//! | `residual_amount` | the residual amounts in the same order, joined by `;` |
//! | `residual_currency` | their currencies (item currency for a remainder or fee, receipt currency for an overpayment, home currency for an FX difference) |
//! | `confidence` | 0.00 to 1.00; empty for an unmatched receipt |
//! | `decision` | `auto`, `suggested` or `unmatched` |
//! | `rules` | the rules that fired, `;`-separated `snake_case` names |
//! | `explanation` | the sentence; for an unmatched receipt, the reason |
//!
//! A partial payment's remainder is on the row of the item that stays open; bank fees,
//! overpayments and FX differences are on the last row of the match.

use crate::outcome::{Match, Outcome, Unmatched};
use crate::receipt::ReceiptKind;
use arsync_model::ItemKind;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One row of the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRow {
    /// Bank reference, else entry or payment id.
    pub receipt_reference: String,
    /// Stable receipt id.
    pub receipt_id: String,
    /// Value date, else booking date.
    pub entry_date: chrono::NaiveDate,
    /// Amount received.
    #[serde(with = "rust_decimal::serde::str")]
    pub entry_amount: Decimal,
    /// Its currency code.
    pub entry_currency: String,
    /// `credit` or `reversal`.
    pub kind: String,
    /// The item's number.
    pub invoice_number: String,
    /// `invoice` or `credit_note`, or empty.
    pub item_kind: String,
    /// Customer name.
    pub customer: String,
    /// Settled on the item, in its currency.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub applied_amount: Option<Decimal>,
    /// The item's currency code.
    pub applied_currency: String,
    /// Residual kinds, `;`-joined.
    pub residual_kind: String,
    /// Residual amounts, `;`-joined.
    pub residual_amount: String,
    /// Residual currencies, `;`-joined.
    pub residual_currency: String,
    /// 0 to 1.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub confidence: Option<Decimal>,
    /// `auto`, `suggested` or `unmatched`.
    pub decision: String,
    /// Rule names, `;`-joined.
    pub rules: String,
    /// The sentence.
    pub explanation: String,
}

fn kind_name(kind: ReceiptKind) -> &'static str {
    match kind {
        ReceiptKind::Credit => "credit",
        ReceiptKind::Reversal => "reversal",
    }
}

fn item_kind_name(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Invoice => "invoice",
        ItemKind::CreditNote => "credit_note",
    }
}

/// Rule names, each once, in the order they first fired.
fn rule_names(m: &Match) -> String {
    let mut names: Vec<&str> = Vec::new();
    for h in &m.rules {
        if !names.contains(&h.rule.as_str()) {
            names.push(h.rule.as_str());
        }
    }
    names.join(";")
}

fn match_rows(m: &Match, rows: &mut Vec<ExportRow>) {
    let r = &m.receipt;
    let base = ExportRow {
        receipt_reference: r.reference.clone(),
        receipt_id: r.id.clone(),
        entry_date: r.date,
        entry_amount: r.amount.amount,
        entry_currency: r.amount.currency.to_string(),
        kind: kind_name(r.kind).to_owned(),
        invoice_number: String::new(),
        item_kind: String::new(),
        customer: m
            .customer
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        applied_amount: None,
        applied_currency: String::new(),
        residual_kind: String::new(),
        residual_amount: String::new(),
        residual_currency: String::new(),
        confidence: Some(m.confidence),
        decision: m.decision.as_str().to_owned(),
        rules: rule_names(m),
        explanation: m.explanation.clone(),
    };
    let first = rows.len();
    for a in &m.allocations {
        let mut row = base.clone();
        row.invoice_number = a.number.clone();
        row.item_kind = item_kind_name(a.item_kind).to_owned();
        row.applied_amount = Some(a.applied.amount);
        row.applied_currency = a.applied.currency.to_string();
        rows.push(row);
    }
    if rows.len() == first {
        rows.push(base);
    }
    let last = rows.len() - 1;
    for res in &m.residuals {
        let at = res
            .item_id
            .as_ref()
            .and_then(|id| m.allocations.iter().position(|a| &a.item_id == id))
            .map_or(last, |k| first + k);
        let row = &mut rows[at];
        let push = |field: &mut String, value: String| {
            if !field.is_empty() {
                field.push(';');
            }
            field.push_str(&value);
        };
        push(&mut row.residual_kind, res.kind.as_str().to_owned());
        push(&mut row.residual_amount, res.amount.amount.to_string());
        push(&mut row.residual_currency, res.amount.currency.to_string());
    }
}

fn unmatched_row(u: &Unmatched) -> ExportRow {
    let r = &u.receipt;
    ExportRow {
        receipt_reference: r.reference.clone(),
        receipt_id: r.id.clone(),
        entry_date: r.date,
        entry_amount: r.amount.amount,
        entry_currency: r.amount.currency.to_string(),
        kind: kind_name(r.kind).to_owned(),
        invoice_number: String::new(),
        item_kind: String::new(),
        customer: String::new(),
        applied_amount: None,
        applied_currency: String::new(),
        residual_kind: String::new(),
        residual_amount: String::new(),
        residual_currency: String::new(),
        confidence: None,
        decision: "unmatched".to_owned(),
        rules: u.reason.as_str().to_owned(),
        explanation: u.explanation.clone(),
    }
}

/// The rows of the export: matches (by receipt date and id, allocations oldest first),
/// then unmatched receipts.
pub fn export_rows(outcome: &Outcome) -> Vec<ExportRow> {
    let mut rows = Vec::new();
    for m in &outcome.matches {
        match_rows(m, &mut rows);
    }
    rows.extend(outcome.unmatched.iter().map(unmatched_row));
    rows
}

/// One decision for the audit log. The store serialises it as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum AuditEvent {
    /// A match was applied or suggested.
    Matched {
        /// `auto` or `suggested`.
        decision: String,
        /// The whole match, with its rules and explanation.
        #[serde(rename = "match")]
        matched: Box<Match>,
    },
    /// A receipt was left unmatched.
    Unmatched {
        /// The receipt and the reason.
        unmatched: Box<Unmatched>,
    },
}

impl AuditEvent {
    /// The receipt the event is about.
    pub fn receipt_id(&self) -> &str {
        match self {
            AuditEvent::Matched { matched, .. } => &matched.receipt.id,
            AuditEvent::Unmatched { unmatched } => &unmatched.receipt.id,
        }
    }
}

/// Every decision of a run, in output order, for the audit log.
pub fn audit_events(outcome: &Outcome) -> Vec<AuditEvent> {
    outcome
        .matches
        .iter()
        .map(|m| AuditEvent::Matched {
            decision: m.decision.as_str().to_owned(),
            matched: Box::new(m.clone()),
        })
        .chain(outcome.unmatched.iter().map(|u| AuditEvent::Unmatched {
            unmatched: Box::new(u.clone()),
        }))
        .collect()
}
