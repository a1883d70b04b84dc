//! Pulling books into the store.

use crate::support::{Book, FailingLoader, Failure, Ledger};
use arsync_agent::RetryPolicy;
use arsync_sdk::{PluginError, Stream};
use arsync_store::{Store, Which};

#[tokio::test]
async fn a_sync_pulls_every_page_of_every_stream_and_keeps_the_cursor() {
    let book = Book::with_ledger(5, 2).await;
    let reports = book.agent().sync(&[]).await.unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.connection, "ledger");

    let invoices = report
        .streams
        .iter()
        .find(|s| s.stream == "invoices")
        .unwrap();
    assert_eq!(
        (invoices.pages, invoices.records, invoices.inserted),
        (3, 5, 5)
    );
    assert_eq!(invoices.cursor.as_deref(), Some("offset:4"));
    let customers = report
        .streams
        .iter()
        .find(|s| s.stream == "customers")
        .unwrap();
    assert_eq!((customers.pages, customers.inserted), (2, 3));

    let stored = book
        .store
        .invoices(Some("ledger"), Which::Open)
        .await
        .unwrap();
    assert_eq!(stored.len(), 5);
    assert!(
        stored.iter().all(|i| i.origin.connection == "ledger"),
        "records carry the configured connection's name, not the plugin's"
    );
    assert_eq!(
        book.store
            .cursor("ledger", "invoices")
            .await
            .unwrap()
            .as_deref(),
        Some("offset:4")
    );
    let audit = book.store.audit_entries(0, 100).await.unwrap();
    assert_eq!(
        audit.iter().filter(|a| a.kind == "sync.run").count(),
        1,
        "one audit row for the run"
    );
}

#[tokio::test]
async fn a_second_sync_resumes_from_the_stored_cursor_and_changes_nothing() {
    let book = Book::with_ledger(5, 2).await;
    book.agent().sync(&[]).await.unwrap();
    let again = book.agent().sync(&["ledger".into()]).await.unwrap();
    let invoices = again[0]
        .streams
        .iter()
        .find(|s| s.stream == "invoices")
        .unwrap();
    assert_eq!(invoices.started_from.as_deref(), Some("offset:4"));
    assert_eq!(invoices.pages, 1, "only the last page is read again");
    assert_eq!((invoices.inserted, invoices.unchanged), (0, 1));
    assert_eq!(again[0].changed(), 0);
}

#[tokio::test]
async fn a_plugin_failure_on_page_two_leaves_page_one_and_its_cursor_stored() {
    let book = Book::with_ledger(5, 2).await;
    let loader = FailingLoader::new(Failure {
        stream: Stream::Invoices,
        from_pull: 2,
        times: 1,
        error: PluginError::fatal("the ledger's server answered 500 with an HTML page"),
    });
    let reports = book.agent().with_loader(loader).sync(&[]).await.unwrap();
    let report = &reports[0];
    let invoices = report
        .streams
        .iter()
        .find(|s| s.stream == "invoices")
        .unwrap();
    assert_eq!(invoices.pages, 1);
    assert!(
        invoices.error.as_deref().unwrap().contains("HTML page"),
        "{invoices:?}"
    );
    assert_eq!(
        book.store.invoices(None, Which::All).await.unwrap().len(),
        2
    );
    assert_eq!(
        book.store
            .cursor("ledger", "invoices")
            .await
            .unwrap()
            .as_deref(),
        Some("offset:2")
    );
    let customers = report
        .streams
        .iter()
        .find(|s| s.stream == "customers")
        .unwrap();
    assert!(
        customers.error.is_none(),
        "a fatal page error stops only its stream"
    );

    // The next run picks up at page two.
    let resumed = book.agent().sync(&[]).await.unwrap();
    let invoices = resumed[0]
        .streams
        .iter()
        .find(|s| s.stream == "invoices")
        .unwrap();
    assert_eq!(invoices.started_from.as_deref(), Some("offset:2"));
    assert_eq!(invoices.inserted, 3);
    assert_eq!(
        book.store.invoices(None, Which::All).await.unwrap().len(),
        5
    );
}

#[tokio::test]
async fn a_dropped_connection_is_retried_and_nothing_is_lost() {
    let book = Book::with_ledger(5, 2).await;
    let loader = FailingLoader::new(Failure {
        stream: Stream::Invoices,
        from_pull: 2,
        times: 2,
        error: PluginError::transient("connection reset by peer"),
    });
    let reports = book.agent().with_loader(loader).sync(&[]).await.unwrap();
    let invoices = reports[0]
        .streams
        .iter()
        .find(|s| s.stream == "invoices")
        .unwrap();
    assert!(reports[0].is_complete(), "{:?}", reports[0]);
    assert_eq!(invoices.retries, 2);
    assert_eq!(invoices.inserted, 5);
}

#[tokio::test]
async fn a_source_that_stays_down_stops_its_connection_after_bounded_retries() {
    let book = Book::with_ledger(5, 2).await;
    let loader = FailingLoader::new(Failure {
        stream: Stream::Invoices,
        from_pull: 1,
        times: usize::MAX,
        error: PluginError::rate_limited("429 Too Many Requests", 0),
    });
    let reports = book
        .agent()
        .with_loader(loader.clone())
        .with_retry(RetryPolicy::immediate(3))
        .sync(&[])
        .await
        .unwrap();
    assert_eq!(
        *loader.pulls.lock().unwrap(),
        3,
        "three attempts, then stop"
    );
    assert_eq!(reports[0].error_kind.as_deref(), Some("rate_limited"));
}

#[tokio::test]
async fn refused_settings_stop_one_connection_and_the_others_still_sync() {
    let book = Book::with(&[
        Ledger {
            name: "broken",
            settings: "page_size = 0",
        },
        Ledger {
            name: "books",
            settings: "invoices = 3",
        },
    ])
    .await;
    let reports = book.agent().sync(&[]).await.unwrap();
    let broken = reports.iter().find(|r| r.connection == "broken").unwrap();
    assert_eq!(broken.error_kind.as_deref(), Some("invalid_config"));
    assert!(
        broken.error.as_deref().unwrap().contains("page_size"),
        "{broken:?}"
    );
    let books = reports.iter().find(|r| r.connection == "books").unwrap();
    assert!(books.is_complete());
    assert_eq!(
        book.store
            .invoices(Some("books"), Which::All)
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn an_unknown_connection_name_lists_the_configured_ones() {
    let book = Book::with_ledger(1, 1).await;
    let err = book.agent().sync(&["bank".into()]).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("'bank'") && text.contains("ledger"), "{text}");
}

#[tokio::test]
async fn a_ledger_file_that_is_not_readable_is_reported_with_its_line_and_kept_in_the_audit() {
    let book = Book::with(&[Ledger {
        name: "books",
        settings: "path = \"ledger.json\"",
    }])
    .await;
    std::fs::write(
        book.dir.path().join("ledger.json"),
        "[\n  {\"number\": \"INV-1\",\n   \"total\": 12.5,,\n]",
    )
    .unwrap();
    let reports = book.agent().sync(&[]).await.unwrap();
    let report = &reports[0];
    assert_eq!(
        report.problems.len(),
        2,
        "customers and invoices: {report:?}"
    );
    let at = report.problems[0].problem.position.as_deref().unwrap();
    assert_eq!(at.source.as_deref(), Some("ledger.json"));
    assert_eq!(at.line, Some(3));
    assert!(report.streams.iter().all(|s| s.error.is_some()));
    assert!(
        book.store
            .invoices(None, Which::All)
            .await
            .unwrap()
            .is_empty()
    );

    let audit = book.store.audit_entries(0, 10).await.unwrap();
    let run = audit.iter().find(|a| a.kind == "sync.run").unwrap();
    assert_eq!(run.subject, "books");
    assert_eq!(run.detail["problems"], 2);
    assert_eq!(
        run.detail["first_problems"][0]["problem"]["position"]["line"],
        3
    );
}
