//! `arsync plugins new`: the generated crate builds as generated and passes the conformance
//! kit; bad names and existing folders are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use crate::support::{target_dir, workspace_root};
use arsync_runtime::conformance::{Options, run_with};
use arsync_runtime::scaffold::{SdkDependency, new_plugin, new_plugin_with, valid_name};
use arsync_runtime::{Isolation, LoadOptions};
use serde_json::json;
use std::process::Command;

#[test]
fn a_generated_plugin_builds_and_passes_the_conformance_kit() {
    let dir = tempfile::tempdir().unwrap();
    let sdk = std::fs::canonicalize(workspace_root().join("crates/sdk")).unwrap();
    let crate_dir = new_plugin_with("acme-books", dir.path(), &SdkDependency::Path(sdk)).unwrap();
    assert_eq!(crate_dir, dir.path().join("acme-books"));

    // A standalone crate: pin the workspace's dependency versions so nothing new is fetched,
    // and share its target folder so built dependencies are reused.
    let manifest = crate_dir.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("\n[workspace]\n");
    std::fs::write(&manifest, text).unwrap();
    std::fs::copy(
        workspace_root().join("Cargo.lock"),
        crate_dir.join("Cargo.lock"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO"))
        .current_dir(&crate_dir)
        .args(["build", "--quiet", "--offline"])
        .env("CARGO_TARGET_DIR", target_dir().join("scaffold-test"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the generated crate does not build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let library = target_dir().join("scaffold-test/debug").join(format!(
        "{}acme_books{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let options = Options {
        isolation: Isolation::InProcess,
        load: LoadOptions::default(),
        max_pages: 100,
    };
    let report = run_with(&library, &json!({"currency": "JPY"}), &options);
    assert!(report.passed(), "{report}");
    assert!(
        report
            .to_string()
            .ends_with(&format!("{} passed, 0 failed", report.checks.len()))
    );
    assert_eq!(report.plugin.as_deref(), Some("acme-books"));
    let paging = report
        .checks
        .iter()
        .find(|c| c.name == "paging to the end: pull_invoices")
        .unwrap();
    assert_eq!(paging.detail, "5 records in 3 pages, 0 reported problems");
}

#[test]
fn a_plugin_outside_any_workspace_asks_for_the_sdk_by_version() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = new_plugin("xero-lite", dir.path()).unwrap();
    let cargo = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains(&format!("arsync-sdk = \"{}\"", env!("CARGO_PKG_VERSION"))),
        "{cargo}"
    );
}

#[test]
fn a_plugin_inside_the_workspace_takes_its_dependencies_from_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"plugins/*\"]\n[workspace.dependencies]\narsync-sdk = { path = \"crates/sdk\" }\n",
    )
    .unwrap();
    let crate_dir = new_plugin("xero-lite", &dir.path().join("plugins")).unwrap();
    let cargo = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("arsync-sdk.workspace = true"), "{cargo}");
    assert!(
        cargo.contains(r#"crate-type = ["cdylib", "rlib"]"#),
        "{cargo}"
    );
    let lib = std::fs::read_to_string(crate_dir.join("src/lib.rs")).unwrap();
    assert!(lib.contains("pub struct XeroLite"));
    assert!(lib.contains("declare_plugin!(XeroLite)"));
}

#[test]
fn names_that_would_make_a_bad_crate_and_existing_folders_are_refused() {
    for bad in ["", "Books", "9lives", "my_books", "books-", "bücher"] {
        assert!(!valid_name(bad), "{bad:?}");
    }
    assert!(valid_name("bank-statements2"));
    let dir = tempfile::tempdir().unwrap();
    let err = new_plugin("My Books", dir.path()).unwrap_err();
    assert!(err.to_string().contains("lower-case"), "{err}");
    new_plugin("books", dir.path()).unwrap();
    let err = new_plugin("books", dir.path()).unwrap_err();
    assert!(err.to_string().contains("exists"), "{err}");
}
