//! What arsync writes back to the books: each invoice's overdue status and the
//! collection tasks a collector should do next.

use crate::{ItemKind, Money};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where an item stands in collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionState {
    /// Not yet due.
    Current,
    /// Past due and on the ladder.
    Overdue,
    /// Disputed by the customer: no dunning until resolved.
    Disputed,
    /// The customer promised to pay by a date.
    Promised,
    /// Payment deferred to a date.
    Deferred,
    /// Being paid by instalments.
    InstalmentPlan,
    /// Handed to a collection agency.
    WithAgency,
    /// Written off.
    WrittenOff,
    /// Paid or credited in full.
    Settled,
}

/// The action of a ladder step or task.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionAction {
    /// A reminder; the tone says how firm.
    Reminder,
    /// A formal notice (Mahnung, letter before action) that puts the debtor in default.
    FormalNotice,
    /// A phone call.
    Call,
    /// Agree a payment plan or deferral.
    PaymentPlan,
    /// A final notice before handing over.
    FinalNotice,
    /// Hand to an agency or start legal proceedings.
    AgencyOrLegal,
    /// Resolve a dispute.
    ResolveDispute,
    /// Follow up a broken promise or missed instalment.
    FollowUp,
    /// Review an item whose limitation period is about to end.
    LimitationWarning,
}

impl CollectionAction {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            CollectionAction::Reminder => "reminder",
            CollectionAction::FormalNotice => "formal_notice",
            CollectionAction::Call => "call",
            CollectionAction::PaymentPlan => "payment_plan",
            CollectionAction::FinalNotice => "final_notice",
            CollectionAction::AgencyOrLegal => "agency_or_legal",
            CollectionAction::ResolveDispute => "resolve_dispute",
            CollectionAction::FollowUp => "follow_up",
            CollectionAction::LimitationWarning => "limitation_warning",
        }
    }
}

/// An invoice's overdue status on a date, as pushed back to the books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueStatus {
    /// Connection of the invoice.
    pub connection: String,
    /// External id of the invoice.
    pub item_id: String,
    /// Invoice number.
    pub number: String,
    /// Date the status was judged (company time zone).
    pub as_of: NaiveDate,
    /// Days past due (zero or negative when not yet due).
    pub days_overdue: i64,
    /// Aging bucket label ("current", "1-30", ..., "over 90").
    pub bucket: String,
    /// Collection state.
    pub state: CollectionState,
    /// Index of the ladder step reached, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ladder_step: Option<u32>,
    /// The step's action, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<CollectionAction>,
    /// Open amount.
    pub open: Money,
    /// Statutory or contractual interest accrued to `as_of`, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interest: Option<Money>,
    /// Fixed compensation due (EUR 40 etc.), when it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation: Option<Money>,
}

/// Whether a task still needs doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum TaskState {
    /// To do.
    Open,
    /// Done or no longer needed, with why ("paid", "disputed", "done by clerk").
    Closed(String),
}

/// A collection task for a person: remind, call, send a formal notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionTask {
    /// Deterministic key (customer, items, step): re-running never creates a second task.
    pub key: String,
    /// Connection of the customer's books.
    pub connection: String,
    /// External id of the customer.
    pub customer_id: String,
    /// Customer name for people.
    pub customer_name: String,
    /// Items the task is about.
    pub items: Vec<(ItemKind, String)>,
    /// What to do.
    pub action: CollectionAction,
    /// Tone of a reminder ("friendly", "firm"), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tone: Option<String>,
    /// Ladder step index, when the task comes from the ladder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    /// When it should be done.
    pub due: NaiveDate,
    /// Higher first.
    pub priority: i64,
    /// Amount at stake.
    pub amount: Money,
    /// What a person should know, in a sentence.
    pub summary: String,
    /// Open or closed.
    pub state: TaskState,
}
