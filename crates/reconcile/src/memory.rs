//! What confirmed matches teach: which payer names and accounts belong to which customer,
//! how a customer writes invoice numbers, what its bank usually deducts, and which receipts
//! were applied (so a later returned payment can undo its match). Plain serde data: the
//! caller keeps it in the store and hands it back on the next run. Every lesson records
//! who confirmed it and when, so each later use can be explained.

use crate::normalise::{NameFit, account_key, name_fit, name_key, name_tokens};
use crate::outcome::{Match, ResidualKind};
use arsync_model::{ItemKind, Money};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What an alias recognises.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "key")]
pub enum AliasKey {
    /// A payer name, normalised (uppercase, no legal form or punctuation).
    PayerName(String),
    /// A payer account, normalised (uppercase, no spaces).
    PayerAccount(String),
}

/// A payer name or account confirmed as a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// What it recognises.
    pub key: AliasKey,
    /// The name or account as the bank wrote it.
    pub as_written: String,
    /// The customer's external id.
    pub customer_id: String,
    /// The customer's name when confirmed.
    pub customer_name: String,
    /// Who confirmed it.
    pub confirmed_by: String,
    /// When.
    pub confirmed_on: NaiveDate,
}

/// How a customer writes invoice numbers: a word before the number ("RG 1001").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferencePattern {
    /// The customer's external id.
    pub customer_id: String,
    /// The customer's name when confirmed.
    pub customer_name: String,
    /// The word written before the number, uppercase.
    pub prefix: String,
    /// Who confirmed it.
    pub confirmed_by: String,
    /// When.
    pub confirmed_on: NaiveDate,
}

/// What a customer's payments usually lose to bank charges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeHabit {
    /// The customer's external id.
    pub customer_id: String,
    /// The customer's name when last confirmed.
    pub customer_name: String,
    /// The usual deduction.
    pub fee: Money,
    /// How many confirmed matches showed it.
    pub times: u32,
    /// Who confirmed it last.
    pub confirmed_by: String,
    /// When it was last confirmed.
    pub confirmed_on: NaiveDate,
}

/// One item an applied receipt settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedLine {
    /// Invoice or credit note.
    pub item_kind: ItemKind,
    /// External id.
    pub item_id: String,
    /// Number.
    pub number: String,
    /// Customer id.
    pub customer_id: String,
    /// Amount settled, item currency.
    pub applied: Money,
    /// Part of the receipt used, receipt currency.
    pub received: Money,
}

/// A receipt applied in an earlier run, kept so a returned payment can undo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedReceipt {
    /// Receipt id.
    pub receipt_id: String,
    /// Bank reference or entry id.
    pub reference: String,
    /// End-to-end id, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_id: Option<String>,
    /// Payer account, normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_account: Option<String>,
    /// Amount received.
    pub amount: Money,
    /// Date received.
    pub date: NaiveDate,
    /// What it settled.
    pub lines: Vec<AppliedLine>,
    /// Who applied it ("auto" for the agent).
    pub applied_by: String,
    /// When.
    pub applied_on: NaiveDate,
}

/// Everything learned from confirmed matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Memory {
    /// Payer names and accounts confirmed as customers.
    pub aliases: Vec<Alias>,
    /// How customers write invoice numbers.
    pub reference_patterns: Vec<ReferencePattern>,
    /// What customers' banks usually deduct.
    pub fee_habits: Vec<FeeHabit>,
    /// Receipts applied, for reversals.
    pub applied: Vec<AppliedReceipt>,
}

impl Memory {
    /// Learns from a match a person confirmed (or the agent applied): the payer's name and
    /// account as aliases of the customer when they did not already identify it, the word
    /// the payer wrote before the invoice number, a bank fee the customer's payment lost,
    /// and the applied receipt itself. A confirmed reversal forgets the receipt it returns.
    /// Returns one sentence per lesson.
    pub fn learn(&mut self, confirmed: &Match, who: &str, when: NaiveDate) -> Vec<String> {
        let mut lessons = Vec::new();
        if let Some(original) = &confirmed.reverses {
            let before = self.applied.len();
            self.applied.retain(|a| &a.receipt_id != original);
            if self.applied.len() < before {
                lessons.push(format!(
                    "receipt {original} was returned by {}; its match is undone",
                    confirmed.receipt.reference
                ));
            }
            return lessons;
        }
        let Some(customer) = &confirmed.customer else {
            return lessons;
        };
        let receipt = &confirmed.receipt;
        if let Some(name) = receipt
            .payer_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
        {
            let key = name_key(name);
            let already_same =
                name_fit(&name_tokens(name), &name_tokens(&customer.name)) == Some(NameFit::Same);
            if !key.is_empty() && !already_same {
                lessons.extend(self.set_alias(AliasKey::PayerName(key), name, customer, who, when));
            }
        }
        if let Some(account) = receipt
            .payer_account
            .as_deref()
            .filter(|a| !a.trim().is_empty())
        {
            lessons.extend(self.set_alias(
                AliasKey::PayerAccount(account_key(account)),
                account,
                customer,
                who,
                when,
            ));
        }
        if let Some(prefix) = &confirmed.reference_prefix {
            let known = self
                .reference_patterns
                .iter()
                .any(|p| p.customer_id == customer.id && &p.prefix == prefix);
            let own_prefix = confirmed
                .allocations
                .iter()
                .any(|a| crate::normalise::number_prefix(&a.number) == *prefix);
            if !known && !own_prefix {
                self.reference_patterns.push(ReferencePattern {
                    customer_id: customer.id.clone(),
                    customer_name: customer.name.clone(),
                    prefix: prefix.clone(),
                    confirmed_by: who.to_owned(),
                    confirmed_on: when,
                });
                lessons.push(format!(
                    "{} writes invoice numbers as '{prefix} <number>'",
                    customer.name
                ));
            }
        }
        if let Some(fee) = confirmed.residual(ResidualKind::BankFee) {
            match self
                .fee_habits
                .iter_mut()
                .find(|h| h.customer_id == customer.id && h.fee == fee.amount)
            {
                Some(h) => {
                    h.times = h.times.saturating_add(1);
                    h.confirmed_by = who.to_owned();
                    h.confirmed_on = when;
                    h.customer_name = customer.name.clone();
                }
                None => self.fee_habits.push(FeeHabit {
                    customer_id: customer.id.clone(),
                    customer_name: customer.name.clone(),
                    fee: fee.amount,
                    times: 1,
                    confirmed_by: who.to_owned(),
                    confirmed_on: when,
                }),
            }
            lessons.push(format!(
                "{}'s payments lose {} to bank charges",
                customer.name, fee.amount
            ));
        }
        self.remember_applied(confirmed, who, when);
        lessons
    }

    /// Records an applied receipt (without learning aliases), so that a later returned
    /// payment can find and undo it and a later run does not apply it again. Call it for
    /// every match the agent applies.
    pub fn remember_applied(&mut self, applied: &Match, who: &str, when: NaiveDate) {
        let receipt = &applied.receipt;
        if applied.reverses.is_some() || self.applied.iter().any(|a| a.receipt_id == receipt.id) {
            return;
        }
        self.applied.push(AppliedReceipt {
            receipt_id: receipt.id.clone(),
            reference: receipt.reference.clone(),
            end_to_end_id: receipt.end_to_end_id.clone(),
            payer_account: receipt.payer_account.as_deref().map(account_key),
            amount: receipt.amount,
            date: receipt.date,
            lines: applied
                .allocations
                .iter()
                .map(|a| AppliedLine {
                    item_kind: a.item_kind,
                    item_id: a.item_id.clone(),
                    number: a.number.clone(),
                    customer_id: a.customer_id.clone(),
                    applied: a.applied,
                    received: a.received,
                })
                .collect(),
            applied_by: who.to_owned(),
            applied_on: when,
        });
    }

    /// Forgets applied receipts dated before `date` (a returned payment older than that is
    /// then left for a person). Returns how many were forgotten.
    pub fn forget_applied_before(&mut self, date: NaiveDate) -> usize {
        let before = self.applied.len();
        self.applied.retain(|a| a.date >= date);
        before - self.applied.len()
    }

    fn set_alias(
        &mut self,
        key: AliasKey,
        as_written: &str,
        customer: &crate::outcome::CustomerRef,
        who: &str,
        when: NaiveDate,
    ) -> Option<String> {
        let alias = Alias {
            key: key.clone(),
            as_written: as_written.to_owned(),
            customer_id: customer.id.clone(),
            customer_name: customer.name.clone(),
            confirmed_by: who.to_owned(),
            confirmed_on: when,
        };
        let what = match &key {
            AliasKey::PayerName(_) => "payer",
            AliasKey::PayerAccount(_) => "account",
        };
        match self.aliases.iter_mut().find(|a| a.key == key) {
            Some(existing) if existing.customer_id == customer.id => None,
            Some(existing) => {
                let previous = existing.customer_name.clone();
                *existing = alias;
                Some(format!(
                    "{what} '{as_written}' is now {} (was {previous})",
                    customer.name
                ))
            }
            None => {
                self.aliases.push(alias);
                Some(format!("{what} '{as_written}' is {}", customer.name))
            }
        }
    }

    /// The alias for a key, if one was confirmed.
    pub(crate) fn alias(&self, key: &AliasKey) -> Option<&Alias> {
        self.aliases.iter().find(|a| &a.key == key)
    }
}

impl Alias {
    /// "payer 'ACME IND CHEM' was confirmed as Acme Industrial Chemicals GmbH on 2026-10-02
    /// by controller".
    pub fn explain(&self) -> String {
        let what = match self.key {
            AliasKey::PayerName(_) => "payer",
            AliasKey::PayerAccount(_) => "account",
        };
        format!(
            "{what} '{}' was confirmed as {} on {} by {}",
            self.as_written, self.customer_name, self.confirmed_on, self.confirmed_by
        )
    }
}
