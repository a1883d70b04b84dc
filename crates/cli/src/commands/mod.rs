//! One module per verb.

mod config;
mod demo;
mod init;
mod inspect;
mod ops;
mod plugins;
mod reconcile;
mod report;

use crate::args::{Cli, Command, ConfigCommand, PluginsCommand, ReportCommand};

/// Runs the verb the user asked for.
pub(crate) fn run(cli: &Cli) -> anyhow::Result<()> {
    let clock = crate::context::clock(cli.now);
    match &cli.command {
        Command::Init(args) => init::run(args, &cli.config),
        Command::Config(ConfigCommand::Check) => config::check(&cli.config),
        Command::Demo(args) => block_on(demo::run(args, clock.as_ref())),
        Command::Inspect(args) => inspect::run(args),
        Command::Plugins(PluginsCommand::List) => plugins::list(&cli.config),
        Command::Plugins(PluginsCommand::Check(args)) => plugins::check(args),
        Command::Plugins(PluginsCommand::New(args)) => plugins::new(args),
        Command::Reconcile(args) if args.items.is_some() => {
            reconcile::run_files(args, &cli.config, clock.as_ref())
        }
        Command::Reconcile(args) => block_on(ops::reconcile_store(&cli.config, args, clock)),
        Command::Sync(args) => block_on(ops::sync(&cli.config, args, clock)),
        Command::Collect(args) => block_on(ops::collect(&cli.config, args, clock)),
        Command::State(args) => block_on(ops::record_state(&cli.config, args, clock)),
        Command::Review(cmd) => block_on(ops::review(&cli.config, cmd, clock)),
        Command::Run => block_on(ops::run_daemon(&cli.config, clock)),
        Command::Report(ReportCommand::Tasks(args)) => {
            block_on(ops::report_tasks(&cli.config, args, clock))
        }
        Command::Report(ReportCommand::Matches(args)) => {
            block_on(ops::report_matches(&cli.config, args, clock))
        }
        Command::Report(ReportCommand::Audit(args)) => {
            block_on(ops::report_audit(&cli.config, args.output.as_deref()))
        }
        Command::Report(ReportCommand::Aging(args)) => {
            block_on(report::aging(&cli.config, args, clock.as_ref()))
        }
    }
}

fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(f)
}

/// Writes text to stdout.
pub(crate) fn say(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
