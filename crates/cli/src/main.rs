//! `arsync`, the command-line program: reads the configuration, opens the store and runs
//! one verb. Output a person reads goes to stdout; logs go to stderr through `tracing`.
//!
//! Exit codes: 0 success, 1 failure, 2 usage or configuration error.
#![forbid(unsafe_code)]

mod aging_view;
mod args;
mod commands;
mod context;
mod files;
mod table;

use clap::Parser;
use std::process::ExitCode;

/// An error the user caused by how arsync was called or configured: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    init_tracing(cli.verbose, cli.quiet);
    match commands::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let usage = err.chain().any(|e| {
                e.downcast_ref::<arsync_config::ConfigError>().is_some()
                    || e.downcast_ref::<UsageError>().is_some()
                    || matches!(
                        e.downcast_ref::<arsync_agent::AgentError>(),
                        Some(arsync_agent::AgentError::UnknownConnection { .. })
                    )
            });
            let mut message = format!("error: {err}");
            for cause in err.chain().skip(1) {
                message.push_str(&format!("\n  caused by: {cause}"));
            }
            // The final word to the user goes to stderr whatever the log level.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("{message}\n").as_bytes(),
            );
            if usage {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ARSYNC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
