//! Integration tests of the plugin runtime against the real test plugins under `plugins/`,
//! built once for the whole binary, in both isolations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

mod conformance;
mod discovery;
mod isolation;
mod logging;
mod scaffold;
mod support;
