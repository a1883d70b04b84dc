//! The agent end to end: the real test-ledger plugin, a SQLite store in a temporary
//! folder, and a fixed clock.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

mod collect;
mod daemon;
mod demo;
mod properties;
mod reconcile;
mod samples;
mod support;
mod sync;
