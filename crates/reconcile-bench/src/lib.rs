//! Measured matching quality and scale for `arsync-reconcile`.
//!
//! This crate owns a deterministic generator of realistic reconciliation cases with known
//! truth ([`generate()`]: customers, invoices and credit notes in several currencies, a bank
//! statement whose receipts pay them in every pattern the matcher must handle plus noise,
//! and a euro reference-rate history), the scoring of an outcome against that truth per
//! pattern ([`measure()`], [`score`]), writing a case as the files a user would feed to
//! `arsync reconcile --items ... --statement ... --rates ...` and reading them back
//! ([`write_case`], [`read_case`]), and the scale run against a plain hash join on exact
//! references ([`scale_run`]).
//!
//! It depends on the model, the matcher and the file readers (statements, feeds, sheets);
//! it must not depend on the store, the agent, the runtime or any plugin, and the matcher
//! must never depend on it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
#[cfg(feature = "files")]
mod files;
mod generate;
mod measure;
mod prng;
mod scale;

pub use error::{BenchError, Result};
#[cfg(feature = "files")]
pub use files::{CaseFiles, read_case, write_case};
pub use generate::{Case, CaseSpec, CompanyAccount, Pattern, Truth, generate, rf_reference};
pub use measure::{
    PatternRow, QualityReport, measure, read_truth_csv, receipts_of, score, score_export, truth_csv,
};
pub use scale::{
    ScaleCase, ScaleCaseFiles, ScaleFigures, ScaleOptions, cpu_ms, hash_join, json_digest,
    peak_rss_kib, run_scale_case, scale_run, scale_run_with, write_scale_case,
};
