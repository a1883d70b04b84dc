//! Benchmark: what one plugin call costs, in-process and process-isolated, for
//! docs/BENCHMARKS.md.
//!
//! ```text
//! cargo build --release -p test-ledger -p arsync-plugin-host
//! cargo build --release -p arsync-runtime --example call_overhead
//! target/release/examples/call_overhead target/release/libtest_ledger.so [calls]
//! ```
//!
//! Loads `plugins/test-ledger` both ways and times `calls` (default 20,000) `pull` calls of
//! its invoice stream: first a page of one invoice (the call's own cost: crossing the C ABI
//! or the pipe to the `arsync-plugin-host` child, JSON both ways, the runtime's page
//! checks), then pages of 100 invoices (what a record adds). The plugin host is found next
//! to this executable's folder, as arsync finds it, or through `ARSYNC_PLUGIN_HOST`. Last,
//! it times what discovery pays per library: reading the manifest in a fresh plugin host
//! child (start, load, `ready`, kill), 50 times.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use arsync_runtime::{Isolation, LoadOptions, PluginHandle, load};
use arsync_sdk::Stream;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let Some(library) = args.get(1) else {
        eprintln!("usage: call_overhead <path to libtest_ledger> [calls]");
        return ExitCode::from(2);
    };
    let calls = match args.get(2).map_or(Ok(20_000), |n| n.parse::<u32>()) {
        Ok(n) => n.max(1),
        Err(e) => {
            eprintln!("calls: {e}");
            return ExitCode::from(2);
        }
    };
    for isolation in [Isolation::InProcess, Isolation::Process] {
        for page_size in [1u32, 100] {
            match measure(Path::new(library), isolation, page_size, calls) {
                Ok(line) => println!("{line}"),
                Err(e) => {
                    eprintln!("{library} ({isolation}): {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    match manifest_reads(Path::new(library), 50) {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("{library} (manifest): {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// What discovery costs per library: the manifest read in a fresh plugin host child.
fn manifest_reads(library: &Path, reads: u32) -> Result<String, arsync_runtime::RuntimeError> {
    let library =
        std::fs::canonicalize(library).map_err(|source| arsync_runtime::RuntimeError::Io {
            path: library.to_path_buf(),
            source,
        })?;
    let Some(host) = arsync_runtime::process::find_plugin_host() else {
        return Err(arsync_runtime::RuntimeError::HostProcess {
            plugin: library.display().to_string(),
            reason: "arsync-plugin-host was not found".into(),
        });
    };
    let command = arsync_runtime::process::HostCommand::new(host);
    let mut samples = Vec::new();
    for _ in 0..reads {
        let one = Instant::now();
        arsync_runtime::process::read_manifest(
            &library,
            &command,
            arsync_runtime::DISCOVERY_TIMEOUT,
        )?;
        samples.push(one.elapsed());
    }
    samples.sort();
    let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
    let worst = samples.last().copied().unwrap_or_default();
    Ok(format!(
        "manifest read in a plugin host child: {reads} reads; median {:.2} ms, max {:.2} ms",
        micros(median) / 1000.0,
        micros(worst) / 1000.0,
    ))
}

fn measure(
    library: &Path,
    isolation: Isolation,
    page_size: u32,
    calls: u32,
) -> Result<String, arsync_runtime::RuntimeError> {
    let started = Instant::now();
    let mut plugin = load(library, isolation, &LoadOptions::default())?;
    plugin.create(&serde_json::json!({ "invoices": page_size, "page_size": page_size }))?;
    let ready = started.elapsed();
    // Warm up: first calls fault in code and grow buffers.
    for _ in 0..100 {
        pull_one(plugin.as_mut(), page_size)?;
    }
    let mut samples = Vec::with_capacity(usize::try_from(calls).unwrap_or(0));
    let all = Instant::now();
    for _ in 0..calls {
        let one = Instant::now();
        pull_one(plugin.as_mut(), page_size)?;
        samples.push(one.elapsed());
    }
    let total = all.elapsed();
    plugin.close()?;
    samples.sort();
    let at = |q: usize| {
        samples
            .get(samples.len() * q / 100)
            .copied()
            .unwrap_or(Duration::ZERO)
    };
    Ok(format!(
        "{isolation:>10}, page of {page_size:>3}: {calls} calls in {:.3} s; per call mean {:.1} µs, median {:.1} µs, p99 {:.1} µs; load+create {:.1} ms",
        total.as_secs_f64(),
        micros(total) / f64::from(calls),
        micros(at(50)),
        micros(at(99)),
        micros(ready) / 1000.0,
    ))
}

fn pull_one(
    plugin: &mut dyn PluginHandle,
    page_size: u32,
) -> Result<(), arsync_runtime::RuntimeError> {
    let page = plugin.pull(Stream::Invoices, None)?;
    if page.items.len() != usize::try_from(page_size).unwrap_or(0) {
        return Err(arsync_runtime::RuntimeError::HostProcess {
            plugin: "test-ledger".into(),
            reason: format!(
                "expected a page of {page_size}, got {} items",
                page.items.len()
            ),
        });
    }
    Ok(())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
