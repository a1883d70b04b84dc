//! What every verb needs: the configuration, the clock, the store, and the rates in it.

use crate::UsageError;
use anyhow::Context as _;
use arsync_collect::HomeRate;
use arsync_config::Config;
use arsync_model::{Clock, Currency, Decimal, FixedClock, NaiveDate, RateBook, SystemClock};
use arsync_store::{SqliteStore, Store};
use std::path::Path;
use std::sync::Arc;

/// The clock: `--now` when given, else the system's.
pub(crate) fn clock(now: Option<chrono::DateTime<chrono::Utc>>) -> Arc<dyn Clock> {
    match now {
        Some(t) => Arc::new(FixedClock(t)),
        None => Arc::new(SystemClock),
    }
}

/// Loads and validates the configuration.
pub(crate) fn load_config(path: &Path) -> anyhow::Result<Config> {
    Ok(Config::load(path)?)
}

/// Opens the store the configuration names.
pub(crate) async fn open_store(config: &Config) -> anyhow::Result<SqliteStore> {
    let path = config.sqlite_path().ok_or_else(|| {
        UsageError(format!(
            "{}: store.url \"{}\" is a PostgreSQL store, which this build does not support yet; use \"sqlite://PATH\"",
            config.file.display(),
            config.store.url.get_ref()
        ))
    })?;
    SqliteStore::open(&path)
        .await
        .with_context(|| format!("opening the store {}", path.display()))
}

/// Every exchange rate the store holds, as a rate book.
pub(crate) async fn rate_book(store: &SqliteStore) -> anyhow::Result<RateBook> {
    Ok(RateBook::new(store.fx_rates(None).await?))
}

/// Home-currency rates for the aging report, from the stored reference rates.
pub(crate) struct BookRates<'a>(pub(crate) &'a RateBook);

impl HomeRate for BookRates<'_> {
    fn rate(&self, from: Currency, to: Currency, on: NaiveDate) -> Option<Decimal> {
        self.0.lookup(from, to, on).ok().map(|q| q.rate)
    }
}
