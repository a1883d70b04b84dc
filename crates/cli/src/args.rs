//! The command line, as clap parses it.

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// arsync: accounts-receivable sync. Reads your books, bank statements and rate feeds,
/// matches receipts to invoices, and writes overdue status and collection tasks back.
#[derive(Debug, Parser)]
#[command(
    name = "arsync",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
pub(crate) struct Cli {
    /// Configuration file.
    #[arg(
        short,
        long,
        global = true,
        env = "ARSYNC_CONFIG",
        default_value = "arsync.toml"
    )]
    pub(crate) config: PathBuf,

    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Take this instant as "now" instead of the system clock (RFC 3339, e.g.
    /// 2026-11-23T09:00:00Z), to replay a run or check what a date would show.
    #[arg(long, global = true, env = "ARSYNC_NOW", value_name = "INSTANT")]
    pub(crate) now: Option<DateTime<Utc>>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Write a commented starter arsync.toml.
    Init(InitArgs),
    /// Work with the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run arsync on the bundled sample books and print what it finds.
    Demo(DemoArgs),
    /// Reports from the store.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Show what arsync reads from statement, rate or spreadsheet files.
    Inspect(InspectArgs),
    /// Pull every configured connection (or the named ones) into the store.
    Sync(SyncArgs),
    /// Match receipts to open items in the store and apply what is certain; with --items,
    /// work on files alone (no books needed).
    Reconcile(ReconcileArgs),
    /// Overdue status, ladder steps and tasks; write them back to the books.
    Collect(CollectArgs),
    /// Record a collection state on an invoice or customer (dispute, promise, plan, ...).
    State(StateArgs),
    /// Suggested matches: list, confirm, reject.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// The daemon: every connection on its schedule, then reconcile and collect.
    Run,
    /// Connector plugins: list those installed, check one, or start a new one.
    #[command(subcommand)]
    Plugins(PluginsCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum PluginsCommand {
    /// The plugins arsync finds, with version, protocol, capabilities and isolation.
    List,
    /// Run the conformance kit against a plugin library (any plugin, ours or not).
    Check(PluginsCheckArgs),
    /// Write a new plugin crate that builds and passes `plugins check` as generated.
    New(PluginsNewArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PluginsCheckArgs {
    /// The plugin library (.so, .dylib or .dll).
    pub(crate) library: PathBuf,
    /// Connection settings to create the plugin with, as JSON.
    #[arg(long, value_name = "JSON", conflicts_with = "settings_file")]
    pub(crate) settings: Option<String>,
    /// Connection settings from a JSON file.
    #[arg(long, value_name = "FILE")]
    pub(crate) settings_file: Option<PathBuf>,
    /// Folder the plugin's relative file paths are resolved in (and may read and write).
    #[arg(long, value_name = "DIR")]
    pub(crate) base_dir: Option<PathBuf>,
    /// Load the plugin into arsync's process instead of a plugin-host child.
    #[arg(long)]
    pub(crate) in_process: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PluginsNewArgs {
    /// The plugin's name (lower-case letters, digits and '-').
    pub(crate) name: String,
    /// The folder to create the crate in.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub(crate) dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    /// File mode: open items from a spreadsheet or csv export (columns recognised by their
    /// headers). Without it, reconcile what the store holds.
    #[arg(long, value_name = "FILE", requires_all = ["statements", "output"])]
    pub(crate) items: Option<PathBuf>,
    /// File mode: bank statements (camt, MT940/MT942, BAI2, OFX, or a zip of them).
    #[arg(long = "statement", value_name = "FILE", num_args = 1.., requires = "items")]
    pub(crate) statements: Vec<PathBuf>,
    /// File mode: exchange-rate files (ECB XML or CSV, CNB daily text).
    #[arg(long, value_name = "FILE", requires = "items")]
    pub(crate) rates: Vec<PathBuf>,
    /// Write one row per allocation and per unmatched receipt (.csv or .json).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// File mode: the home currency for FX differences (default: the configuration's).
    #[arg(long, value_name = "CODE", requires = "items")]
    pub(crate) home_currency: Option<String>,
    /// The run date (default: today in the company's time zone).
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<NaiveDate>,
    /// File mode: text encoding of statements that declare none (utf-8, windows-1252,
    /// iso-8859-1, iso-8859-15, cp852).
    #[arg(long, value_name = "LABEL", requires = "items")]
    pub(crate) encoding: Option<String>,
    /// Store mode: show the decisions and write-backs a real run would make; write nothing.
    #[arg(long, conflicts_with = "items")]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Connections to pull (default: every enabled one).
    pub(crate) connections: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CollectArgs {
    /// Show exactly what would be written, and write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// The date to judge (default: today in the company's time zone).
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<NaiveDate>,
    /// Print the whole run as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReviewCommand {
    /// Suggested matches waiting for a person.
    List,
    /// Confirm a suggested match: it is queued for the books and arsync learns from it.
    Confirm {
        /// The receipt's id (from `review list`).
        receipt: String,
        /// Who confirms.
        #[arg(long, env = "USER", default_value = "unknown")]
        who: String,
    },
    /// Reject a suggested match.
    Reject {
        /// The receipt's id.
        receipt: String,
        /// Who rejects.
        #[arg(long, env = "USER", default_value = "unknown")]
        who: String,
        /// Why.
        #[arg(long)]
        why: String,
    },
}

/// A collection state to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StateVerb {
    /// The customer disputes the item: no dunning, a task to resolve it.
    Dispute,
    /// The customer promised to pay by --until.
    Promise,
    /// Payment deferred to --until.
    Defer,
    /// An instalment plan (--instalment DATE=AMOUNT, repeated).
    Plan,
    /// Handed to a collection agency.
    Agency,
    /// Written off.
    WriteOff,
    /// The debtor acknowledged the debt (restarts the limitation period).
    Acknowledge,
    /// Ends every state recorded before.
    Clear,
}

#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    /// What to record.
    #[arg(value_enum)]
    pub(crate) verb: StateVerb,
    /// The invoice, by its number.
    #[arg(
        long,
        value_name = "NUMBER",
        conflicts_with = "customer",
        required_unless_present = "customer"
    )]
    pub(crate) invoice: Option<String>,
    /// The customer, by its id in the books (the state applies to all its invoices).
    #[arg(long, value_name = "ID")]
    pub(crate) customer: Option<String>,
    /// The books' connection (needed when several are configured).
    #[arg(long, value_name = "NAME")]
    pub(crate) connection: Option<String>,
    /// Who records it.
    #[arg(long, env = "USER", default_value = "unknown")]
    pub(crate) who: String,
    /// Why (kept with the history).
    #[arg(long)]
    pub(crate) why: String,
    /// First day it applies (default: today).
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<NaiveDate>,
    /// Last day it applies (required for promise and defer).
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<NaiveDate>,
    /// An instalment of a plan, as DATE=AMOUNT.
    #[arg(long = "instalment", value_name = "DATE=AMOUNT")]
    pub(crate) instalments: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ReportTableArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Include closed ones.
    #[arg(long)]
    pub(crate) all: bool,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Write the JSON lines to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Files to read (bank statements, rate files, spreadsheets, or zip bundles of them).
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InspectFormat::Table)]
    pub(crate) format: InspectFormat,
    /// Text encoding of statements that do not declare one (utf-8, windows-1252,
    /// iso-8859-1, iso-8859-15, cp852).
    #[arg(long, value_name = "LABEL")]
    pub(crate) encoding: Option<String>,
}

/// How `inspect` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InspectFormat {
    /// Tables for people.
    Table,
    /// One JSON object per line (file, statement, entry, rate, invoice, problem).
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Where to write the file (default: the --config path).
    pub(crate) path: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate the configuration and say exactly where each error is.
    Check,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Unpack the demo's files into this folder and keep them (and the store and the
    /// companion workbook written back) instead of using a temporary folder.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    /// Keep the demo's store in this SQLite file instead of a temporary one.
    #[arg(long, value_name = "FILE")]
    pub(crate) store: Option<PathBuf>,
    /// The date to judge the sample books on (company time zone).
    #[arg(long, value_name = "DATE", default_value = "2026-11-23")]
    pub(crate) as_of: NaiveDate,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Open receivables by customer and currency, split by days past due.
    Aging(AgingArgs),
    /// Collection tasks, highest priority first.
    Tasks(ReportTableArgs),
    /// Reconciliation decisions: applied, suggested, confirmed, unmatched (--all adds rejected).
    Matches(ReportTableArgs),
    /// The audit log as JSON lines, after checking its hash chain.
    Audit(AuditArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AgingArgs {
    /// The date to age on (default: today in the company's time zone).
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned text for the terminal.
    Table,
    /// Comma-separated values, amounts as plain decimals.
    Csv,
    /// JSON, amounts as strings.
    Json,
}
