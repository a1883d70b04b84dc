//! Reconcile: run the pure matching stage on what the store holds, keep each decision per
//! receipt so a re-run with the same inputs records nothing new, and queue the certain
//! matches (and the ones a person confirms) for write-back as payments in the books.
//!
//! A receipt whose match was queued or confirmed is settled: later runs leave it out, and
//! while the books have not yet booked it, the items it paid are taken as already paid by it.

use crate::Agent;
use crate::collect::PlannedPush;
use crate::error::{AgentError, Result};
use crate::outbox::PushReport;
use crate::{MATCHES_NAMESPACE, MEMORY_NAMESPACE};
use arsync_model::{
    Allocation, CreditNote, DocumentStatus, Invoice, ItemKind, Origin, Payment, PaymentStatus,
    RateBook,
};
use arsync_reconcile::{
    AuditEvent, Decision, Match, Memory, Outcome, Receipt, ReceiptKind, ReconcileInput,
};
use arsync_sdk::{Outgoing, PushAction};
use arsync_store::{OutboxItem, Store, Which, Write, canonical_json};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Where a receipt's decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionState {
    /// Certain: applied without review (queued for write-back when the run applied).
    Auto,
    /// Waiting for a person.
    Suggested,
    /// A person confirmed the suggestion.
    Confirmed,
    /// A person rejected the suggestion.
    Rejected,
    /// Nothing matched.
    Unmatched,
}

/// A receipt's decision as kept in `reconcile.matches`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDecision {
    /// The receipt.
    pub receipt_id: String,
    /// Where it stands.
    pub state: DecisionState,
    /// Digest of what was decided (allocations, residuals, decision or reason): a re-run
    /// that decides the same leaves the document and the audit log alone.
    pub digest: String,
    /// The decision with its explanation.
    pub event: AuditEvent,
    /// The run date it was decided on.
    pub decided_on: NaiveDate,
    /// Who settled it: `auto` or the person who confirmed or rejected it.
    pub by: String,
    /// The idempotency key of its write-back, once queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<String>,
}

impl StoredDecision {
    /// Whether the match is certain: applied automatically or confirmed by a person, whether
    /// or not the books could take the payment yet.
    pub fn is_certain(&self) -> bool {
        matches!(self.state, DecisionState::Auto | DecisionState::Confirmed)
    }

    /// Whether the receipt is settled: queued for write-back or confirmed.
    pub fn is_settled(&self) -> bool {
        self.queued.is_some() || self.state == DecisionState::Confirmed
    }

    /// The match, for a matched receipt.
    pub fn matched(&self) -> Option<&Match> {
        match &self.event {
            AuditEvent::Matched { matched, .. } => Some(matched),
            AuditEvent::Unmatched { .. } => None,
        }
    }
}

/// What one reconciliation run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcileRun {
    /// The run date.
    pub as_of: NaiveDate,
    /// Whether certain matches were queued for write-back.
    pub apply: bool,
    /// Whether nothing was written: decisions, queue and pushes are what a real run would
    /// record, queue and send.
    pub dry_run: bool,
    /// The decisions of this run (settled receipts are left out).
    pub outcome: Outcome,
    /// Receipts whose decision is new or changed, and was recorded.
    pub new_decisions: Vec<String>,
    /// Receipts decided as before; nothing was recorded for them.
    pub unchanged: usize,
    /// Receipts settled by earlier runs and left out.
    pub settled_before: usize,
    /// Records that are not receipts (debits, zero amounts, voided payments), by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Write-backs queued by this run.
    pub queued: Vec<PlannedPush>,
    /// What was sent and what the books answered.
    pub pushes: Vec<PushReport>,
    /// Things a person should know (a books plugin without `push_payment`).
    pub notes: Vec<String>,
}

fn digest(value: &serde_json::Value) -> String {
    let digest = hex::encode(Sha256::digest(canonical_json(value).as_bytes()));
    digest.get(..16).unwrap_or(&digest).to_owned()
}

fn decision_digest(event: &AuditEvent) -> String {
    match event {
        AuditEvent::Matched { decision, matched } => digest(&serde_json::json!({
            "decision": decision,
            "customer": matched.customer,
            "allocations": matched.allocations,
            "residuals": matched.residuals,
            "reverses": matched.reverses,
        })),
        AuditEvent::Unmatched { unmatched } => digest(&serde_json::json!({
            "unmatched": unmatched.reason,
            "amount": unmatched.receipt.amount,
        })),
    }
}

fn skip_reason(e: &arsync_reconcile::NotAReceipt) -> String {
    use arsync_reconcile::NotAReceipt as N;
    match e {
        N::Debit { .. } => "debit",
        N::Zero { .. } => "zero_amount",
        N::InformationOnly { .. } => "information_only",
        N::NoDate { .. } => "no_date",
        N::Voided { .. } => "voided",
        N::AlreadyAllocated { .. } => "already_allocated",
        _ => "other",
    }
    .to_owned()
}

/// A payment write-back for a match: the receipt as a payment in the books connection
/// that holds the items, allocated as the match settles them.
pub(crate) struct PaymentPush {
    pub(crate) item: OutboxItem,
}

impl<S: Store> Agent<'_, S> {
    /// Matches receipts to open items on `as_of`, records every new decision (audit log and
    /// `reconcile.matches`), and with `apply` queues certain matches as payments in the
    /// books and pushes them. A payment's idempotency key is
    /// `connection/payment/receipt id/digest of its allocations`: the same match is never
    /// booked twice. A books plugin without `push_payment` is named in the notes.
    pub async fn reconcile(&self, as_of: NaiveDate, apply: bool) -> Result<ReconcileRun> {
        self.run_reconcile(as_of, apply, false).await
    }

    /// What [`Agent::reconcile`] with `apply` would record and queue on `as_of`, writing
    /// nothing and sending nothing.
    pub async fn reconcile_dry_run(&self, as_of: NaiveDate, apply: bool) -> Result<ReconcileRun> {
        self.run_reconcile(as_of, apply, true).await
    }

    async fn run_reconcile(
        &self,
        as_of: NaiveDate,
        apply: bool,
        dry_run: bool,
    ) -> Result<ReconcileRun> {
        let settings = self.config.reconcile_settings();
        let parties = self.store.parties(None).await?;
        let mut invoices = self.store.invoices(None, Which::Open).await?;
        let mut credit_notes = self.store.credit_notes(None, Which::Open).await?;
        let rates = RateBook::new(self.store.fx_rates(None).await?);
        let mut memory = self.memory().await?;
        let stored: BTreeMap<String, StoredDecision> = self
            .docs_of::<StoredDecision>(MATCHES_NAMESPACE)
            .await?
            .into_iter()
            .map(|d| (d.receipt_id.clone(), d))
            .collect();

        // Items paid by settled receipts the books have not booked yet.
        let settled: BTreeSet<&str> = stored
            .values()
            .filter(|d| d.is_settled())
            .map(|d| d.receipt_id.as_str())
            .collect();
        apply_settled_receipts(
            stored.values().filter(|d| d.is_settled()),
            &mut invoices,
            &mut credit_notes,
        );

        let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
        let mut receipts = Vec::new();
        let mut settled_before = 0;
        let candidates = self
            .store
            .bank_entries(None)
            .await?
            .iter()
            .map(Receipt::from_bank_entry)
            .chain(
                self.store
                    .payments(None)
                    .await?
                    .iter()
                    .map(Receipt::from_payment),
            )
            .collect::<Vec<_>>();
        for candidate in candidates {
            match candidate {
                Ok(receipt) if settled.contains(receipt.id.as_str()) => settled_before += 1,
                Ok(receipt) => receipts.push(receipt),
                Err(e) => *skipped.entry(skip_reason(&e)).or_default() += 1,
            }
        }

        let input = ReconcileInput {
            as_of,
            home: self.config.company.home_currency,
            parties: &parties,
            invoices: &invoices,
            credit_notes: &credit_notes,
            receipts,
            rates: &rates,
            memory: &memory,
        };
        let outcome = arsync_reconcile::reconcile(&input, &settings).map_err(|e| {
            AgentError::ReconcileSettings {
                file: self.config.file.clone(),
                reason: e.to_string(),
            }
        })?;

        let mut notes = Vec::new();
        let mut can_pay: BTreeMap<String, bool> = BTreeMap::new();
        let mut writes = Vec::new();
        let mut new_decisions = Vec::new();
        let mut queued = Vec::new();
        let mut unchanged = 0;
        let mut memory_changed = false;
        for event in arsync_reconcile::audit_events(&outcome) {
            let receipt_id = event.receipt_id().to_owned();
            let digest = decision_digest(&event);
            let state = match &event {
                AuditEvent::Matched { matched, .. } if matched.decision == Decision::Auto => {
                    DecisionState::Auto
                }
                AuditEvent::Matched { .. } => DecisionState::Suggested,
                AuditEvent::Unmatched { .. } => DecisionState::Unmatched,
            };
            let before = stored.get(&receipt_id);
            let same = before.is_some_and(|b| b.digest == digest);
            let mut decision = match before {
                Some(b) if same => b.clone(),
                _ => StoredDecision {
                    receipt_id: receipt_id.clone(),
                    state,
                    digest,
                    event: event.clone(),
                    decided_on: as_of,
                    by: "auto".into(),
                    queued: None,
                },
            };
            let mut changed = !same;
            if apply
                && decision.state == DecisionState::Auto
                && let Some(m) = decision.matched().cloned()
                && let Some(push) = self
                    .payment_push(&m, &invoices, &credit_notes, &mut can_pay, &mut notes)
                    .await
            {
                decision.queued = Some(push.item.idempotency_key.clone());
                queued.push(PlannedPush {
                    idempotency_key: push.item.idempotency_key.clone(),
                    connection: push.item.connection.clone(),
                    action: push.item.action.clone(),
                    target: push.item.target.clone(),
                });
                writes.push(Write::Enqueue(push.item));
                memory.remember_applied(&m, "auto", as_of);
                memory_changed = true;
                changed = true;
            }
            if !changed {
                unchanged += 1;
                continue;
            }
            if !same {
                new_decisions.push(receipt_id.clone());
                writes.push(Write::Audit {
                    kind: format!("reconcile.{}", event_kind(&event)),
                    subject: receipt_id.clone(),
                    detail: serde_json::to_value(&event).unwrap_or_default(),
                });
            }
            writes.push(Write::PutDoc {
                namespace: MATCHES_NAMESPACE.into(),
                key: receipt_id,
                value: serde_json::to_value(&decision).unwrap_or_default(),
            });
        }
        if memory_changed {
            writes.push(Write::PutDoc {
                namespace: MEMORY_NAMESPACE.into(),
                key: "memory".into(),
                value: serde_json::to_value(&memory).unwrap_or_default(),
            });
        }
        let pushes = if dry_run {
            Vec::new()
        } else {
            if !writes.is_empty() {
                self.store.write_all(&writes).await?;
            }
            self.push_queued(&queued).await?
        };
        Ok(ReconcileRun {
            as_of,
            apply,
            dry_run,
            outcome,
            new_decisions,
            unchanged,
            settled_before,
            skipped,
            queued,
            pushes,
            notes,
        })
    }

    /// Confirms a suggested match: the memory learns from it (payer names and accounts,
    /// how the payer writes numbers, fee habits) and it is queued for write-back when the
    /// books' plugin can take payments. Returns the decision as now kept and the lessons.
    pub async fn confirm_match(
        &self,
        receipt_id: &str,
        who: &str,
    ) -> Result<(StoredDecision, Vec<String>)> {
        let mut decision = self.suggestion(receipt_id, "confirm").await?;
        let Some(m) = decision.matched().cloned() else {
            return Err(no_suggestion(receipt_id, "confirm"));
        };
        let today = self.today();
        let mut memory = self.memory().await?;
        let lessons = memory.learn(&m, who, today);
        let invoices = self.store.invoices(None, Which::All).await?;
        let credit_notes = self.store.credit_notes(None, Which::All).await?;
        let mut notes = Vec::new();
        let push = self
            .payment_push(
                &m,
                &invoices,
                &credit_notes,
                &mut BTreeMap::new(),
                &mut notes,
            )
            .await;
        decision.state = DecisionState::Confirmed;
        who.clone_into(&mut decision.by);
        decision.queued = push.as_ref().map(|p| p.item.idempotency_key.clone());
        let mut writes = vec![
            Write::PutDoc {
                namespace: MATCHES_NAMESPACE.into(),
                key: receipt_id.to_owned(),
                value: serde_json::to_value(&decision).unwrap_or_default(),
            },
            Write::PutDoc {
                namespace: MEMORY_NAMESPACE.into(),
                key: "memory".into(),
                value: serde_json::to_value(&memory).unwrap_or_default(),
            },
            Write::Audit {
                kind: "reconcile.confirmed".into(),
                subject: receipt_id.to_owned(),
                detail: serde_json::json!({
                    "who": who,
                    "lessons": lessons,
                    "queued": decision.queued,
                    "notes": notes,
                }),
            },
        ];
        if let Some(push) = push {
            writes.push(Write::Enqueue(push.item));
        }
        self.store.write_all(&writes).await?;
        Ok((decision, lessons))
    }

    /// Rejects a suggested match: it is kept as rejected with who and why, and the same
    /// suggestion is not raised again.
    pub async fn reject_match(
        &self,
        receipt_id: &str,
        who: &str,
        why: &str,
    ) -> Result<StoredDecision> {
        let mut decision = self.suggestion(receipt_id, "reject").await?;
        decision.state = DecisionState::Rejected;
        who.clone_into(&mut decision.by);
        self.store
            .write_all(&[
                Write::PutDoc {
                    namespace: MATCHES_NAMESPACE.into(),
                    key: receipt_id.to_owned(),
                    value: serde_json::to_value(&decision).unwrap_or_default(),
                },
                Write::Audit {
                    kind: "reconcile.rejected".into(),
                    subject: receipt_id.to_owned(),
                    detail: serde_json::json!({ "who": who, "why": why }),
                },
            ])
            .await?;
        Ok(decision)
    }

    /// Every kept decision, by receipt id.
    pub async fn decisions(&self) -> Result<Vec<StoredDecision>> {
        self.docs_of(MATCHES_NAMESPACE).await
    }

    /// The open invoices and credit notes as they stand once the receipts arsync matched
    /// with certainty but the books have not booked yet are counted (see
    /// [`apply_settled_receipts`]).
    pub async fn open_items(&self) -> Result<(Vec<Invoice>, Vec<CreditNote>)> {
        let mut invoices = self.store.invoices(None, Which::Open).await?;
        let mut credit_notes = self.store.credit_notes(None, Which::Open).await?;
        let decisions = self.decisions().await?;
        apply_settled_receipts(
            decisions.iter().filter(|d| d.is_certain()),
            &mut invoices,
            &mut credit_notes,
        );
        invoices.retain(|i| i.status.is_receivable() && !i.open_amount.is_zero());
        credit_notes.retain(|c| !c.remaining.is_zero());
        Ok((invoices, credit_notes))
    }

    /// What the reconciliation has learned so far.
    pub async fn memory(&self) -> Result<Memory> {
        match self.store.get_doc(MEMORY_NAMESPACE, "memory").await? {
            None => Ok(Memory::default()),
            Some(value) => serde_json::from_value(value).map_err(|e| AgentError::Document {
                namespace: MEMORY_NAMESPACE.into(),
                key: "memory".into(),
                reason: e.to_string(),
            }),
        }
    }

    async fn suggestion(&self, receipt_id: &str, action: &str) -> Result<StoredDecision> {
        let value = self
            .store
            .get_doc(MATCHES_NAMESPACE, receipt_id)
            .await?
            .ok_or_else(|| no_suggestion(receipt_id, action))?;
        let decision: StoredDecision =
            serde_json::from_value(value).map_err(|e| AgentError::Document {
                namespace: MATCHES_NAMESPACE.into(),
                key: receipt_id.to_owned(),
                reason: e.to_string(),
            })?;
        if decision.state != DecisionState::Suggested {
            return Err(no_suggestion(receipt_id, action));
        }
        Ok(decision)
    }

    /// The payment write-back of a match, or `None` with a note when it cannot be queued.
    async fn payment_push(
        &self,
        m: &Match,
        invoices: &[arsync_model::Invoice],
        credit_notes: &[arsync_model::CreditNote],
        can_pay: &mut BTreeMap<String, bool>,
        notes: &mut Vec<String>,
    ) -> Option<PaymentPush> {
        let receipt = &m.receipt;
        if receipt.kind == ReceiptKind::Reversal {
            notes.push(format!(
                "receipt {} returns an earlier payment; undo that payment in the books by hand",
                receipt.id
            ));
            return None;
        }
        let connection_of = |line: &arsync_reconcile::AppliedItem| match line.item_kind {
            ItemKind::Invoice => invoices
                .iter()
                .find(|i| i.origin.external_id == line.item_id)
                .map(|i| i.origin.connection.clone()),
            ItemKind::CreditNote => credit_notes
                .iter()
                .find(|c| c.origin.external_id == line.item_id)
                .map(|c| c.origin.connection.clone()),
        };
        let books: BTreeSet<String> = m.allocations.iter().filter_map(connection_of).collect();
        let mut books = books.into_iter();
        let (Some(connection), None) = (books.next(), books.next()) else {
            notes.push(format!(
                "receipt {} settles items of no or several books connections; book it by hand",
                receipt.id
            ));
            return None;
        };
        if !self.can_push_payment(&connection, can_pay).await {
            notes.push(format!(
                "connection '{connection}' cannot take payments (its plugin does not declare push_payment); book receipt {} by hand",
                receipt.id
            ));
            return None;
        }
        let allocations: Vec<Allocation> = m
            .allocations
            .iter()
            .map(|line| Allocation {
                item_kind: line.item_kind,
                item_id: line.item_id.clone(),
                amount: line.applied.amount,
            })
            .collect();
        let items = digest(&serde_json::to_value(&allocations).unwrap_or_default());
        let payment = Payment {
            origin: Origin::new(connection.clone(), receipt.id.clone()),
            customer_id: m.customer.as_ref().map(|c| c.id.clone()),
            date: receipt.date,
            amount: receipt.amount,
            reference: Some(receipt.reference.clone()),
            method: None,
            book_rate: None,
            allocations,
            status: PaymentStatus::Posted,
        };
        Some(PaymentPush {
            item: OutboxItem {
                idempotency_key: format!("{connection}/payment/{}/{items}", receipt.id),
                connection,
                action: PushAction::Payment.as_str().into(),
                target: receipt.id.clone(),
                payload: serde_json::to_value(Outgoing::Payment(payment)).unwrap_or_default(),
            },
        })
    }

    async fn can_push_payment(&self, name: &str, cache: &mut BTreeMap<String, bool>) -> bool {
        if let Some(known) = cache.get(name) {
            return *known;
        }
        let can = match self.config.connection(name) {
            None => false,
            Some(connection) => match self.open_session(connection).await {
                Ok(session) => {
                    let can = session.can_push(PushAction::Payment);
                    session.discard();
                    can
                }
                Err(e) => {
                    tracing::warn!(connection = name, error = %e, "cannot ask the plugin for its capabilities");
                    false
                }
            },
        };
        cache.insert(name.to_owned(), can);
        can
    }

    async fn push_queued(&self, queued: &[PlannedPush]) -> Result<Vec<PushReport>> {
        let names: BTreeSet<String> = queued.iter().map(|q| q.connection.clone()).collect();
        let mut reports = Vec::new();
        for name in names {
            if let Some(connection) = self.config.connection(&name) {
                reports.push(self.push_connection(connection).await?);
            }
        }
        Ok(reports)
    }
}

fn event_kind(event: &AuditEvent) -> &'static str {
    match event {
        AuditEvent::Matched { matched, .. } => matched.decision.as_str(),
        AuditEvent::Unmatched { .. } => "unmatched",
    }
}

fn no_suggestion(receipt_id: &str, action: &str) -> AgentError {
    AgentError::NoSuchMatch {
        receipt: receipt_id.to_owned(),
        wanted: "suggested".into(),
        action: action.to_owned(),
    }
}

/// Lowers the open amounts of items paid by the given matched receipts that the books have
/// not booked yet, so a receipt already matched is neither matched again nor dunned for. An item whose open amount in the books no longer equals what was
/// open when the receipt was matched has moved on in the books (the payment was booked, or
/// the item changed): the books are trusted and the item is left as it is. Receipts are
/// taken in the order they were decided, so two part payments chain.
pub fn apply_settled_receipts<'d>(
    decisions: impl IntoIterator<Item = &'d StoredDecision>,
    invoices: &mut [Invoice],
    credit_notes: &mut [CreditNote],
) {
    let mut settled: Vec<&StoredDecision> = decisions.into_iter().collect();
    settled.sort_by(|a, b| {
        a.decided_on
            .cmp(&b.decided_on)
            .then(a.receipt_id.cmp(&b.receipt_id))
    });
    for decision in settled {
        for line in decision.matched().map_or(&[][..], |m| &m.allocations) {
            match line.item_kind {
                ItemKind::Invoice => {
                    for inv in invoices.iter_mut().filter(|i| {
                        i.origin.external_id == line.item_id
                            && i.currency == line.open_before.currency
                            && i.open_amount == line.open_before.amount
                    }) {
                        inv.open_amount = line.open_after.amount;
                        if inv.open_amount.is_zero() {
                            inv.status = DocumentStatus::Paid;
                        }
                    }
                }
                ItemKind::CreditNote => {
                    for note in credit_notes.iter_mut().filter(|c| {
                        c.origin.external_id == line.item_id
                            && c.remaining == line.open_before.amount.abs()
                    }) {
                        note.remaining = line.open_after.amount.abs();
                    }
                }
            }
        }
    }
}
