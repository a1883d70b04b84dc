//! The `arsync.toml` configuration: its schema, loading, and validation.
//!
//! This crate owns the file format users write by hand, so its errors are written for them:
//! every error names the file, the line and column, the key path (`connection[1].isolation`),
//! what was found and what is expected. Unknown keys are refused everywhere
//! (`deny_unknown_fields`), because a misspelt key silently ignored is a setting silently lost.
//! It depends on the model for currencies and must not depend on the store, the runtime or
//! any plugin.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod schema;

pub use arsync_collect::CollectSettings;
pub use arsync_reconcile::Settings as ReconcileSettings;
pub use error::{ConfigError, Position};
pub use schema::{
    Company, Config, Connection, Isolation, Jurisdiction, PluginsSection, StoreSection,
};

/// A commented starter configuration, written by `arsync init`. It is parsed by the tests,
/// so it always loads.
pub const STARTER_TOML: &str = include_str!("starter.toml");
