//! What a reconciliation decides: matches (applied automatically or suggested for review),
//! each with its allocations, residuals, confidence, the rules that fired and a sentence a
//! person can read; and the receipts left unmatched with the reason. Everything here is
//! serialisable so it can go to the audit log and to reports unchanged.

use crate::receipt::Receipt;
use arsync_model::{ItemKind, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Whether a match is applied or waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Certain enough to apply without review.
    Auto,
    /// Proposed; a person confirms or rejects it.
    Suggested,
}

impl Decision {
    /// `auto` or `suggested`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Auto => "auto",
            Decision::Suggested => "suggested",
        }
    }
}

/// A rule of the pipeline that contributed to, or limited, a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A structured reference (RF, QR, ISR) with a valid checksum equals the item's.
    StructuredReference,
    /// The invoice number, with its prefix, is in the remittance text.
    InvoiceNumberWithPrefix,
    /// The invoice number's digits are in the remittance text.
    InvoiceNumber,
    /// The remittance holds the invoice number with two neighbouring digits swapped.
    TransposedDigits,
    /// The payer wrote the number the way a confirmed match taught.
    LearnedReferencePattern,
    /// A creditor reference failed its ISO 11649 check and was read as plain text.
    RfChecksumInvalid,
    /// A Swiss QR/ISR reference failed its mod-10 check and was read as plain text.
    SwissChecksumInvalid,
    /// The source of the receipt named the customer.
    CustomerFromSource,
    /// The payer's account is one the customer is known to pay from.
    PayerAccount,
    /// The payer was confirmed as this customer in an earlier match.
    LearnedAlias,
    /// The payer's name is the customer's name.
    PayerName,
    /// The payer's name is the customer's name as banks shorten it.
    PayerNameAbbreviated,
    /// More than one customer fits the payer.
    CustomerAmbiguous,
    /// The items belong to another customer than the payer was recognised as.
    CustomerConflict,
    /// The amount equals what is open.
    AmountExact,
    /// The amount the payer instructed in the item's currency equals what is open.
    InstructedAmount,
    /// Short by no more than the bank-fee tolerance; the difference is booked as a fee.
    BankFee,
    /// Short by exactly what the customer's bank usually deducts.
    LearnedFeeHabit,
    /// Converted at the rate of the value date, within the FX band of what is open.
    FxBand,
    /// Less than what is open: the item stays open with its remainder.
    PartialPayment,
    /// More than what is open: the excess is unapplied credit on the customer.
    Overpayment,
    /// An overpayment beyond the fee tolerance while the customer has other open items
    /// that could take the excess: which items the payer meant is for a person to say.
    OverpaymentWithOpenItems,
    /// Several of the customer's open items add up to the amount.
    SubsetSum,
    /// The only open item with this amount.
    OnlyItemWithAmount,
    /// Received close to the due date.
    DueDateProximity,
    /// Another candidate is as likely.
    Tie,
    /// The same amount is open at more than one customer.
    SameAmountSeveralCustomers,
    /// The subset search ran out of its node budget before it could prove the answer.
    SubsetBudgetExhausted,
    /// The bank reports the entry as pending.
    PendingEntry,
    /// The confidence is under the auto-apply threshold.
    BelowThreshold,
    /// A returned payment undoes the match of the receipt it returns.
    Reversal,
    /// The exchange rate used is from an earlier day or crossed.
    FxRateFallback,
    /// The realised exchange difference between the books' rates and the rate received.
    FxDifference,
}

impl Rule {
    /// The rule's name as exported (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::StructuredReference => "structured_reference",
            Rule::InvoiceNumberWithPrefix => "invoice_number_with_prefix",
            Rule::InvoiceNumber => "invoice_number",
            Rule::TransposedDigits => "transposed_digits",
            Rule::LearnedReferencePattern => "learned_reference_pattern",
            Rule::RfChecksumInvalid => "rf_checksum_invalid",
            Rule::SwissChecksumInvalid => "swiss_checksum_invalid",
            Rule::CustomerFromSource => "customer_from_source",
            Rule::PayerAccount => "payer_account",
            Rule::LearnedAlias => "learned_alias",
            Rule::PayerName => "payer_name",
            Rule::PayerNameAbbreviated => "payer_name_abbreviated",
            Rule::CustomerAmbiguous => "customer_ambiguous",
            Rule::CustomerConflict => "customer_conflict",
            Rule::AmountExact => "amount_exact",
            Rule::InstructedAmount => "instructed_amount",
            Rule::BankFee => "bank_fee",
            Rule::LearnedFeeHabit => "learned_fee_habit",
            Rule::FxBand => "fx_band",
            Rule::PartialPayment => "partial_payment",
            Rule::Overpayment => "overpayment",
            Rule::OverpaymentWithOpenItems => "overpayment_with_open_items",
            Rule::SubsetSum => "subset_sum",
            Rule::OnlyItemWithAmount => "only_item_with_amount",
            Rule::DueDateProximity => "due_date_proximity",
            Rule::Tie => "tie",
            Rule::SameAmountSeveralCustomers => "same_amount_several_customers",
            Rule::SubsetBudgetExhausted => "subset_budget_exhausted",
            Rule::PendingEntry => "pending_entry",
            Rule::BelowThreshold => "below_threshold",
            Rule::Reversal => "reversal",
            Rule::FxRateFallback => "fx_rate_fallback",
            Rule::FxDifference => "fx_difference",
        }
    }
}

/// A rule that fired, with what it saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleHit {
    /// The rule.
    pub rule: Rule,
    /// What it saw, as a clause of a sentence.
    pub detail: String,
}

/// The customer a match is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRef {
    /// External id in the books.
    pub id: String,
    /// Name in the books.
    pub name: String,
}

/// Part of a receipt applied to one open item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedItem {
    /// Invoice or credit note.
    pub item_kind: ItemKind,
    /// External id of the item.
    pub item_id: String,
    /// The item's number ("INV-1001").
    pub number: String,
    /// External id of the item's customer.
    pub customer_id: String,
    /// Amount settled on the item, in the item's currency. Negative for a credit note used
    /// in the settlement and for a reversal re-opening the item.
    pub applied: Money,
    /// The part of the receipt this settlement used, in the receipt's currency.
    pub received: Money,
    /// What the item had open before, in its currency.
    pub open_before: Money,
    /// What stays open after, in its currency.
    pub open_after: Money,
}

/// What is left over once a receipt is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidualKind {
    /// The item stays open with this remainder (item currency).
    PartialPayment,
    /// The shortfall booked as bank charges (receipt currency).
    BankFee,
    /// The excess left as unapplied credit on the customer (receipt currency).
    Overpayment,
    /// Realised exchange gain (positive) or loss (negative), in the home currency.
    FxDifference,
}

impl ResidualKind {
    /// The kind's name as exported.
    pub fn as_str(self) -> &'static str {
        match self {
            ResidualKind::PartialPayment => "partial_payment",
            ResidualKind::BankFee => "bank_fee",
            ResidualKind::Overpayment => "overpayment",
            ResidualKind::FxDifference => "fx_difference",
        }
    }
}

/// One residual of a match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Residual {
    /// What it is.
    pub kind: ResidualKind,
    /// How much, in the currency the kind names.
    pub amount: Money,
    /// The item it concerns, for a partial payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
}

/// A receipt matched to what it pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// The receipt.
    pub receipt: Receipt,
    /// The customer, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerRef>,
    /// What the receipt settles, oldest first.
    pub allocations: Vec<AppliedItem>,
    /// Fees, overpayment, remainders and FX differences.
    pub residuals: Vec<Residual>,
    /// 0 to 1, two decimals.
    #[serde(with = "rust_decimal::serde::str")]
    pub confidence: Decimal,
    /// Applied or suggested.
    pub decision: Decision,
    /// The rules that fired, in the order they were applied.
    pub rules: Vec<RuleHit>,
    /// A sentence a person can read.
    pub explanation: String,
    /// Other candidates that were considered close, as sentences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    /// For a reversal: the id of the receipt whose match it undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverses: Option<String>,
    /// How the payer wrote the invoice number ("RG" in "RG 1001"), for learning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_prefix: Option<String>,
}

impl Match {
    /// Whether a given rule fired.
    pub fn fired(&self, rule: Rule) -> bool {
        self.rules.iter().any(|h| h.rule == rule)
    }

    /// The residual of a kind, if any.
    pub fn residual(&self, kind: ResidualKind) -> Option<&Residual> {
        self.residuals.iter().find(|r| r.kind == kind)
    }
}

/// Why a receipt was left unmatched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum UnmatchedReason {
    /// Neither a reference nor the payer nor the amount pointed to an open item.
    NoCandidate,
    /// The customer is known but no combination of its open items fits the amount.
    NoAmountFit {
        /// The customer.
        customer_id: String,
    },
    /// The subset search used its whole budget without finding a combination.
    SubsetBudgetExhausted {
        /// Nodes visited.
        nodes: u64,
    },
    /// No exchange rate to compare a foreign-currency receipt with the open items.
    NoFxRate {
        /// What the rate book said.
        detail: String,
    },
    /// The receipt was returned in the same run; there is nothing to apply.
    Reversed {
        /// The returning entry.
        by: String,
    },
    /// A returned payment whose original receipt is neither in this run nor remembered.
    ReversalOfUnknown,
    /// The receipt was applied in an earlier run; it is not applied twice.
    AlreadyApplied {
        /// When.
        applied_on: chrono::NaiveDate,
        /// By whom ("auto" for the agent).
        applied_by: String,
    },
}

impl UnmatchedReason {
    /// The reason's name as exported.
    pub fn as_str(&self) -> &'static str {
        match self {
            UnmatchedReason::NoCandidate => "no_candidate",
            UnmatchedReason::NoAmountFit { .. } => "no_amount_fit",
            UnmatchedReason::SubsetBudgetExhausted { .. } => "subset_budget_exhausted",
            UnmatchedReason::NoFxRate { .. } => "no_fx_rate",
            UnmatchedReason::Reversed { .. } => "reversed",
            UnmatchedReason::ReversalOfUnknown => "reversal_of_unknown",
            UnmatchedReason::AlreadyApplied { .. } => "already_applied",
        }
    }
}

/// A receipt nothing was matched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmatched {
    /// The receipt.
    pub receipt: Receipt,
    /// Why.
    pub reason: UnmatchedReason,
    /// A sentence a person can read.
    pub explanation: String,
}

/// The result of one reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Matches, by receipt date and id.
    pub matches: Vec<Match>,
    /// Unmatched receipts, by date and id.
    pub unmatched: Vec<Unmatched>,
}

impl Outcome {
    /// The matches applied without review.
    pub fn applied(&self) -> impl Iterator<Item = &Match> {
        self.matches.iter().filter(|m| m.decision == Decision::Auto)
    }

    /// The matches waiting for a person.
    pub fn suggested(&self) -> impl Iterator<Item = &Match> {
        self.matches
            .iter()
            .filter(|m| m.decision == Decision::Suggested)
    }

    /// The match of a receipt, by receipt id.
    pub fn match_for(&self, receipt_id: &str) -> Option<&Match> {
        self.matches.iter().find(|m| m.receipt.id == receipt_id)
    }

    /// The unmatched entry of a receipt, by receipt id.
    pub fn unmatched_for(&self, receipt_id: &str) -> Option<&Unmatched> {
        self.unmatched.iter().find(|u| u.receipt.id == receipt_id)
    }
}
