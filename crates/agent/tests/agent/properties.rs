//! Properties of sync over the real test ledger: however many invoices, however they are
//! paged and wherever a run breaks off, the runs that follow leave every invoice stored
//! exactly once and read at most one page again.

use crate::support::{Book, FailingLoader, Failure};
use arsync_sdk::{PluginError, Stream};
use arsync_store::{Store, Which};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn a_run_broken_off_at_any_page_is_completed_by_the_next(
        invoices in 1u32..12,
        page_size in 1u32..5,
        break_at in 1usize..8,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let book = Book::with_ledger(invoices, page_size).await;
            let broken = FailingLoader::new(Failure {
                stream: Stream::Invoices,
                from_pull: break_at,
                times: 1,
                error: PluginError::fatal("the process was killed"),
            });
            let first = book.agent().with_loader(broken).sync(&[]).await.unwrap();
            let stored_first = book.store.invoices(None, Which::All).await.unwrap().len();
            let pages_first = first[0].streams.iter().find(|s| s.stream == "invoices").unwrap().pages;

            let second = book.agent().sync(&[]).await.unwrap();
            prop_assert!(second[0].is_complete(), "{:?}", second[0]);
            let all = book.store.invoices(None, Which::All).await.unwrap();
            prop_assert_eq!(all.len(), usize::try_from(invoices).unwrap());
            let ids: std::collections::BTreeSet<_> =
                all.iter().map(|i| i.origin.external_id.clone()).collect();
            prop_assert_eq!(ids.len(), all.len());

            // The second run re-reads at most the page the first one stored last.
            let resumed = second[0].streams.iter().find(|s| s.stream == "invoices").unwrap();
            prop_assert!(resumed.unchanged <= u64::from(page_size));
            let inserted = usize::try_from(resumed.inserted).unwrap();
            prop_assert_eq!(stored_first + inserted, all.len());
            let total_pages = invoices.div_ceil(page_size);
            prop_assert!(pages_first + resumed.pages <= total_pages + 1);
            Ok(())
        })?;
    }
}
