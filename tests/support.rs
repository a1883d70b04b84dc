//! Support for the end-to-end tests: building the binaries and plugins once, and running
//! `arsync` in a folder of its own as a user would.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .expect("tests/ sits in the workspace")
}

/// Where cargo puts the debug build (the folder of the running test binary's parent).
pub fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its path");
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("test binaries live in target/debug/deps")
}

/// Builds `arsync`, the plugin host and the given plugin packages once per test binary.
pub fn build(packages: &[&str]) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(workspace_root()).args([
            "build",
            "--quiet",
            "-p",
            "arsync-cli",
            "-p",
            "arsync-plugin-host",
        ]);
        for p in packages {
            cmd.args(["-p", p]);
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "building {packages:?} failed");
    });
    build_dir()
}

/// The file name of a plugin library on this platform (`libname.so`).
pub fn library(name: &str) -> String {
    format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// Runs the built `arsync` in `dir` with `args`.
pub fn arsync(dir: &Path, args: &[&str]) -> Output {
    Command::new(build_dir().join("arsync"))
        .current_dir(dir)
        .env_remove("ARSYNC_CONFIG")
        .env_remove("ARSYNC_NOW")
        .env_remove("ARSYNC_PLUGIN_HOST")
        .args(args)
        .output()
        .expect("arsync runs")
}

/// Stdout or stderr as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Builds a plugin package and the plugin host, once per package in a test binary, and
/// returns the plugin library's path (the runtime finds the host beside the test binaries).
pub fn build_plugin(package: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.iter().any(|p| p == package) {
        let status = Command::new(env!("CARGO"))
            .current_dir(workspace_root())
            .args([
                "build",
                "--quiet",
                "-p",
                package,
                "-p",
                "arsync-plugin-host",
            ])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building {package} failed");
        built.push(package.to_owned());
    }
    build_dir().join(library(&package.replace('-', "_")))
}
