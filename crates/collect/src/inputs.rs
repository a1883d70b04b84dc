//! What the collection stage reads: the books' documents, the recorded collection states
//! and the settings, borrowed from the caller.

use crate::ladder::Ladder;
use crate::limitation::LimitationRule;
use crate::tasks::PaymentHistory;
use arsync_model::{Invoice, ItemKind, Party, Payment, PaymentStatus};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Everything the status and task functions read, for one run on one date.
#[derive(Debug, Clone, Copy)]
pub struct CollectInputs<'a> {
    /// The invoices (all statuses: a paid or voided one closes its tasks).
    pub invoices: &'a [Invoice],
    /// Customers, for names and whether they are businesses.
    pub parties: &'a [Party],
    /// Payments with their allocations: part payments lower the interest balance and
    /// restart the limitation clock.
    pub payments: &'a [Payment],
    /// Recorded collection states.
    pub events: &'a [crate::state::StateEvent],
    /// The ladder.
    pub ladder: &'a Ladder,
    /// The limitation rule, when warnings are wanted.
    pub limitation: Option<LimitationRule>,
    /// Payment history by customer id, for priorities.
    pub history: &'a BTreeMap<String, PaymentHistory>,
}

impl CollectInputs<'_> {
    /// The customer record of an invoice.
    pub fn party_of(&self, invoice: &Invoice) -> Option<&Party> {
        self.parties.iter().find(|p| {
            p.origin.connection == invoice.origin.connection
                && p.origin.external_id == invoice.customer_id
        })
    }

    /// Posted payments applied to an invoice: (date received, amount applied), by date.
    pub fn part_payments(&self, invoice: &Invoice) -> Vec<(NaiveDate, Decimal)> {
        let mut out: Vec<(NaiveDate, Decimal)> = self
            .payments
            .iter()
            .filter(|p| {
                p.status == PaymentStatus::Posted
                    && p.origin.connection == invoice.origin.connection
            })
            .flat_map(|p| {
                p.allocations
                    .iter()
                    .filter(|a| {
                        a.item_kind == ItemKind::Invoice && a.item_id == invoice.origin.external_id
                    })
                    .map(move |a| (p.date, a.amount))
            })
            .collect();
        out.sort();
        out
    }
}
