//! What an isolated plugin writes to stderr or stdout, and what it logs through the host, ends
//! up in arsync's log under the plugin's name. This test installs the global log
//! subscriber of the test binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use crate::support::{library, quick_options};
use arsync_runtime::{Isolation, load};
use arsync_sdk::Stream;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The log line containing `needle`, waiting a little for the stderr reader thread.
    fn line_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(line) = self.text().lines().find(|l| l.contains(needle)) {
                return line.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needle:?} in:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn an_isolated_plugins_output_and_host_log_reach_the_log_under_its_name() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init()
        .unwrap();

    let mut chatty = load(
        &library("test-stdout"),
        Isolation::Process,
        &quick_options(5_000, 3),
    )
    .unwrap();
    chatty.create(&json!({})).unwrap();
    chatty.pull(Stream::Invoices, None).unwrap();
    let diagnostics = capture.line_with("diagnostics during pull");
    assert!(
        diagnostics.contains("plugin=\"test-stdout\"")
            || diagnostics.contains("plugin=test-stdout"),
        "{diagnostics}"
    );
    // What it printed on stdout was diverted to stderr, so it is in the log too, not lost and
    // not taken for a protocol message.
    let noise = capture.line_with("plain noise during pull");
    assert!(noise.contains("test-stdout"), "{noise}");
    chatty.close().unwrap();

    let mut ledger = load(
        &library("test-ledger"),
        Isolation::Process,
        &quick_options(5_000, 3),
    )
    .unwrap();
    ledger
        .create(&json!({"invoices": 4, "page_size": 4}))
        .unwrap();
    let logged = capture.line_with("test ledger with 4 invoices, 4 per page");
    assert!(
        logged.contains("INFO") && logged.contains("test-ledger"),
        "{logged}"
    );
    assert!(
        logged.contains("connection=\"books\"") || logged.contains("connection=books"),
        "{logged}"
    );
}
