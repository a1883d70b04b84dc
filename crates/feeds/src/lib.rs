//! Feeds of exchange rates and of multi-currency exports.
//!
//! This crate owns reading the ECB's euro reference rates (daily, 90-day and full-history
//! XML, streamed; the CSV history), the Czech National Bank's daily text file, other
//! central banks' and providers' rate files in CSV, JSON or JSON lines through a declared
//! mapping, and export feeds (foreign-currency sales invoices, receipts and payout
//! reports with gross, fee, net and conversion). Rates are kept exactly as published.
//!
//! It is a pure library over bytes: it must not depend on the store, the agent, the plugin
//! runtime, an HTTP client or any async machinery. The fx-feeds plugin fetches the bytes
//! through its host and hands them here.
//!
//! ```
//! use arsync_feeds::parse_cnb_daily;
//!
//! let day = "23.11.2026 #226\nzemě|měna|množství|kód|kurz\nJaponsko|jen|100|JPY|15,305\n";
//! let feed = parse_cnb_daily(day)?;
//! let yen = &feed.rates[0];
//! assert_eq!((yen.base.code(), yen.quote.code()), ("JPY", "CZK"));
//! assert_eq!(yen.rate.to_string(), "0.15305"); // CZK per yen, exactly
//! # Ok::<(), arsync_feeds::FeedsError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cnb;
mod ecb;
mod error;
mod export;
mod mapped;
mod number;
mod records;

pub use cnb::{CNB_SOURCE, parse_cnb_daily};
pub use ecb::{ECB_SOURCE, parse_ecb_csv, parse_ecb_xml, parse_ecb_xml_from};
pub use error::{FeedProblem, FeedsError, RateFeed};
pub use export::{ExportFeed, ExportKind, ExportMapping, Payout, parse_export};
pub use mapped::{FieldRef, Mapping, parse_mapped};
pub use records::FeedFormat;

/// Result with this crate's error.
pub type Result<T, E = FeedsError> = std::result::Result<T, E>;
