//! Builds the test plugins and the plugin host once per test binary and finds them under the
//! target folder (respecting `CARGO_TARGET_DIR`).

#![allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

use arsync_runtime::{HostConfig, LoadOptions, Supervision};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// The test plugin packages under `plugins/`.
pub const PLUGINS: [&str; 7] = [
    "test-raw-abort",
    "test-segfault",
    "test-ledger",
    "test-panic",
    "test-abort",
    "test-hang",
    "test-stdout",
];

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The cargo target folder.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// Build the test plugins and the plugin host (once), returning the debug folder.
pub fn built() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let mut cmd = Command::new(env!("CARGO"));
            cmd.current_dir(workspace_root())
                .arg("build")
                .arg("--quiet");
            for p in PLUGINS {
                cmd.args(["-p", p]);
            }
            cmd.args(["-p", "arsync-plugin-host"]);
            let status = cmd.status().expect("cargo runs");
            assert!(status.success(), "building the test plugins failed");
            target_dir().join("debug")
        })
        .clone()
}

/// Path of a test plugin's library.
pub fn library(package: &str) -> PathBuf {
    let file = format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        package.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    );
    built().join(file)
}

/// Path of the plugin host executable.
pub fn plugin_host() -> PathBuf {
    built().join(format!(
        "arsync-plugin-host{}",
        std::env::consts::EXE_SUFFIX
    ))
}

/// Load options with short limits so failure tests stay fast.
pub fn quick_options(call_timeout_ms: u64, quarantine_after: u32) -> LoadOptions {
    LoadOptions {
        sha256: None,
        host: HostConfig {
            connection: "books".into(),
            ..HostConfig::default()
        },
        supervision: Supervision {
            call_timeout: Duration::from_millis(call_timeout_ms),
            start_timeout: Duration::from_secs(20),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_millis(400),
            quarantine_after,
        },
        plugin_host: Some(arsync_runtime::process::HostCommand::new(plugin_host())),
    }
}
