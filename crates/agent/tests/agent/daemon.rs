//! The schedule and the daemon loop.

use crate::support::Book;
use arsync_agent::{DaemonSchedule, run_daemon};
use arsync_model::SystemClock;
use arsync_store::{Store, Which};
use chrono::{TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn schedules_are_read_in_the_company_zone_and_due_connections_share_a_tick() {
    let text = r#"
[company]
home_currency = "EUR"
timezone = "Europe/Berlin"
jurisdiction = "DE"

[[connection]]
name = "books"
plugin = "test-ledger"
schedule = "0 0 7 * * *"

[[connection]]
name = "bank"
plugin = "test-ledger"
schedule = "0 * * * *"

[[connection]]
name = "off"
plugin = "test-ledger"
enabled = false
schedule = "* * * * * *"
"#;
    let config = arsync_config::Config::parse(text, "arsync.toml".as_ref()).unwrap();
    let schedule = DaemonSchedule::from_config(&config).unwrap();
    // 05:30 UTC on 20 March is 06:30 in Berlin: the bank's 07:00 tick is the books' too.
    let (at, due) = schedule
        .next_after(Utc.with_ymd_and_hms(2026, 3, 20, 5, 30, 0).unwrap())
        .unwrap();
    assert_eq!(at, Utc.with_ymd_and_hms(2026, 3, 20, 6, 0, 0).unwrap());
    assert_eq!(due, vec!["books".to_owned(), "bank".to_owned()]);
    let (at, due) = schedule.next_after(at).unwrap();
    assert_eq!(at, Utc.with_ymd_and_hms(2026, 3, 20, 7, 0, 0).unwrap());
    assert_eq!(due, vec!["bank".to_owned()]);
}

#[test]
fn a_schedule_that_is_not_cron_names_the_connection_and_the_form() {
    let text = r#"
[company]
home_currency = "EUR"
timezone = "Europe/Berlin"
jurisdiction = "DE"

[[connection]]
name = "books"
plugin = "test-ledger"
schedule = "0 99 * * * *"
"#;
    let config = arsync_config::Config::parse(text, "arsync.toml".as_ref()).unwrap();
    let err = DaemonSchedule::from_config(&config)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("books") && err.contains("sec min hour"),
        "{err}"
    );
}

#[tokio::test]
async fn the_daemon_syncs_on_its_tick_and_stops_on_shutdown() {
    let book = Book::with_ledger(3, 2).await;
    let mut config = book.config.clone();
    config.connections[0].schedule = Some(toml::Spanned::new(0..0, "* * * * * *".to_owned()));
    let store = Arc::new(book.store.clone());
    let ticks = run_daemon(
        Arc::new(config),
        store.clone(),
        Arc::new(SystemClock),
        tokio::time::sleep(Duration::from_millis(3500)),
    )
    .await
    .unwrap();
    assert!(ticks >= 1);
    assert_eq!(store.invoices(None, Which::All).await.unwrap().len(), 3);
    let audit = store.audit_entries(0, 1000).await.unwrap();
    assert!(
        audit.iter().any(|a| a.kind == "collect.run"),
        "collect ran after the sync"
    );
}
