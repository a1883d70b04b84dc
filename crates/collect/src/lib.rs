//! arsync collections: what is overdue and what to do about it.
//!
//! This crate owns the collection decisions: the aging report, each invoice's overdue
//! status on a date, the configurable escalation ladder and the collection states that
//! pause or change it, statutory and contractual late-payment interest and fixed
//! compensation by jurisdiction, the limitation clock, and the collection tasks with their
//! deterministic keys and priorities.
//!
//! It is pure: it takes data and a civil date (`as_of`, in the company's time zone, which
//! the caller derives from its injected clock) and returns decisions. It never reads a
//! clock, a file, the network or the store, and must not depend on the store, the runtime,
//! the agent or any async machinery. Money is [`rust_decimal::Decimal`] with an explicit
//! [`arsync_model::Rounding`]; floats never appear.
//!
//! How a run uses it, for one book on one date:
//! 1. [`CollectSettings`] is read from `[collect]` in `arsync.toml`; it gives the
//!    [`Ladder`], the [`AgingBuckets`], the [`InterestBasis`] (from the company's
//!    jurisdiction or the contract) and the [`LimitationRule`]. [`RateTables::builtin`]
//!    plus any override files give the reference rates.
//! 2. [`aging`] builds the aging report; the caller's [`HomeRate`] supplies reference rates
//!    for documents the books hold no home amount for.
//! 3. [`overdue_statuses`] judges each open invoice: days overdue, bucket, state folded from
//!    the recorded [`StateEvent`]s, ladder step, and interest with compensation.
//! 4. [`plan_tasks`] compares today's wanted tasks with those recorded before and returns
//!    what to create, reopen and close; the task keys make re-runs idempotent.
//!    [`plan_tasks_with`] does the same under [`CollectSettings::task_rules`]: override
//!    ladders per customer or group, minimum amounts per step, one task per customer and
//!    step, and task dates on business days. [`overdue_statuses_with`] judges statuses
//!    with the same per-customer ladders.
#![forbid(unsafe_code)]
#![deny(clippy::float_arithmetic)]
#![deny(missing_docs)]

mod aging;
mod error;
#[cfg(test)]
mod fixtures;
mod inputs;
mod interest;
mod ladder;
mod limitation;
mod rates;
mod rules;
mod settings;
mod state;
mod status;
mod tasks;

pub use aging::{
    AgingAmounts, AgingBuckets, AgingBucketsSetting, AgingLine, AgingReport, AgingRow,
    CurrencyTotal, HomeAmounts, HomeBasis, HomeRate, MissingRate, NoRates, Rejected, aging,
};
pub use error::{CollectError, Result};
pub use inputs::CollectInputs;
pub use interest::{
    ContractualTerms, DefaultFacts, InterestBasis, InterestClaim, InterestSegment, Jurisdiction,
    RatePer, interest, interest_on_balance, interest_start, uk_compensation,
};
pub use ladder::{Ladder, LadderStep, StepReached};
pub use limitation::{LimitationClock, LimitationRule, LimitationWarning, limitation};
pub use rates::{
    MissingReferenceRate, RateRow, RateSpan, RateTable, RateTableId, RateTables, half_year_end,
    half_year_label, half_year_start,
};
pub use rules::{Calendar, LadderOverride, TaskGrouping, TaskRules};
pub use settings::{
    CollectSettings, InterestMode, InterestSetting, LimitationSetting, RateOverrides,
};
pub use state::{
    FoldedState, Instalment, ItemFacts, Lapse, StateEvent, StateKind, StateTarget, fold_state,
};
pub use status::{
    InterestSettings, ItemStatus, day_step_reached, item_facts, overdue_status, overdue_statuses,
    overdue_statuses_with,
};
pub use tasks::{PaymentHistory, TaskPlan, plan_tasks, plan_tasks_with, priority};
