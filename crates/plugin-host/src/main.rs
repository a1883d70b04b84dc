//! `arsync-plugin-host <library>`: runs one arsync plugin library in its own process for a
//! connection with `isolation = "process"`, speaking JSON lines with the agent over stdio.
//! Discovery starts it too, for every library it lists, only to take the manifest from the
//! `ready` line, so that a library that crashes or hangs while loading ends only this child.
//!
//! This binary owns only the command line; the protected channel and the protocol live in
//! `arsync_runtime::child`, so the agent's own binary can offer the same as a subcommand.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::io::Write;
use std::path::PathBuf;

fn main() {
    let Some(library) = std::env::args_os().nth(1).map(PathBuf::from) else {
        let _ = writeln!(
            std::io::stderr(),
            "usage: arsync-plugin-host <plugin library>\n(started by arsync for connections with isolation = \"process\" and to read manifests)"
        );
        std::process::exit(64);
    };
    std::process::exit(arsync_runtime::child::run_plugin_host(&library));
}
