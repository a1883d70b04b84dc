//! The conformance kit behind `arsync plugins check <library>`: drives any plugin library
//! through the protocol's obligations and reports pass/fail per check.
//!
//! Checks: the manifest; config errors (settings that are not a table, and missing required
//! settings, must be `invalid_config`); creating with the given settings; for every
//! `pull_*`: paging to the end, every item of the stream's kind, and resuming from a cursor in a
//! fresh instance giving the same page; for every `push_*`: pushing the same idempotency key
//! twice writes once; error kinds (an undeclared method is `unsupported`, a foreign cursor
//! is an error of a documented kind or a page, never a crash); a panic inside a call is caught
//! and the plugin can be created again; close.

use crate::{Isolation, LoadOptions, PluginHandle, RuntimeError, Supervision, load};
use arsync_model::{
    CollectionAction, CollectionState, CollectionTask, Currency, Decimal, ItemKind, Money,
    NaiveDate, Origin, OverdueStatus, Payment, PaymentStatus, TaskState,
};
use arsync_sdk::{
    Capability, ErrorKind, Outgoing, Page, PanicStrategy, PushAction, PushItem, PushOutcome,
    Record, Stream,
};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// What was checked (`paging to the end: pull_invoices`).
    pub name: String,
    /// Whether the plugin passed.
    pub passed: bool,
    /// What was seen, and on failure what the plugin should do instead.
    pub detail: String,
}

/// All checks run against one library.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The library checked.
    pub library: PathBuf,
    /// The plugin's name, when the manifest could be read.
    pub plugin: Option<String>,
    /// Where it ran.
    pub isolation: Isolation,
    /// The checks, in the order they ran.
    pub checks: Vec<CheckResult>,
}

impl Report {
    /// True if every check passed.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| !c.passed)
    }

    fn check(&mut self, name: impl Into<String>, passed: bool, detail: impl Into<String>) {
        self.checks.push(CheckResult {
            name: name.into(),
            passed,
            detail: detail.into(),
        });
    }
}

impl std::fmt::Display for Report {
    /// One line per check (`PASS`/`FAIL`, name, detail), then a summary line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} ({}), isolation {}",
            self.plugin.as_deref().unwrap_or("unknown plugin"),
            self.library.display(),
            self.isolation
        )?;
        for c in &self.checks {
            let mark = if c.passed { "PASS" } else { "FAIL" };
            writeln!(f, "{mark}  {}: {}", c.name, c.detail)?;
        }
        let failed = self.checks.iter().filter(|c| !c.passed).count();
        write!(f, "{} passed, {failed} failed", self.checks.len() - failed)
    }
}

/// How to run the kit.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the plugin runs during the checks. Process isolation is safest for an unknown
    /// library: an abort or hang fails a check instead of ending the kit.
    pub isolation: Isolation,
    /// Loading options (host config, plugin host executable, supervision limits).
    pub load: LoadOptions,
    /// Give up paging a stream after this many pages.
    pub max_pages: usize,
}

impl Default for Options {
    fn default() -> Self {
        let isolation = if crate::process::find_plugin_host().is_some() {
            Isolation::Process
        } else {
            Isolation::InProcess
        };
        Self {
            isolation,
            load: LoadOptions {
                supervision: Supervision {
                    call_timeout: Duration::from_secs(30),
                    backoff_initial: Duration::from_millis(10),
                    backoff_max: Duration::from_millis(100),
                    quarantine_after: 1000,
                    ..Supervision::default()
                },
                ..LoadOptions::default()
            },
            max_pages: 10_000,
        }
    }
}

/// Run the kit against `library` with connection `settings`, with default [`Options`]
/// (process isolation when `arsync-plugin-host` is found).
pub fn run(library: &Path, settings: &serde_json::Value) -> Report {
    run_with(library, settings, &Options::default())
}

fn kind_of(e: &RuntimeError) -> String {
    match e.plugin_error() {
        Some(pe) => pe.kind.to_string(),
        None => "a failure outside the protocol".to_owned(),
    }
}

/// Run the kit with explicit options.
pub fn run_with(library: &Path, settings: &serde_json::Value, options: &Options) -> Report {
    let mut report = Report {
        library: library.to_path_buf(),
        plugin: None,
        isolation: options.isolation,
        checks: Vec::new(),
    };
    let mut plugin = match load(library, options.isolation, &options.load) {
        Ok(p) => p,
        Err(e) => {
            report.check("manifest", false, e.to_string());
            return report;
        }
    };
    let manifest = plugin.manifest().clone();
    report.plugin = Some(manifest.name.clone());
    check_manifest(&mut report, &manifest);
    check_config_errors(&mut report, plugin.as_mut(), &manifest);

    if let Err(e) = plugin.create(settings) {
        report.check(
            "create with the given settings",
            false,
            format!("{e}; pass settings the plugin accepts (a JSON object)"),
        );
        return report;
    }
    report.check("create with the given settings", true, "created");

    // Each check starts from a fresh instance, so one failure (a panic poisons its instance)
    // does not fail every later check too.
    let mut pulled: Vec<Record> = Vec::new();
    for capability in &manifest.capabilities {
        if let Capability::Pull(stream) = capability
            && fresh(&mut report, plugin.as_mut(), settings)
            && let Some(pages) =
                check_paging(&mut report, plugin.as_mut(), *stream, options.max_pages)
        {
            check_resume(&mut report, plugin.as_mut(), settings, *stream, &pages);
            pulled.extend(pages.into_iter().flat_map(|p| p.items));
        }
    }
    for capability in &manifest.capabilities {
        if let Capability::Push(action) = capability
            && fresh(&mut report, plugin.as_mut(), settings)
        {
            check_idempotent_push(&mut report, plugin.as_mut(), *action, &pulled);
        }
    }
    if fresh(&mut report, plugin.as_mut(), settings) {
        check_error_kinds(&mut report, plugin.as_mut(), &manifest.capabilities);
    }
    if fresh(&mut report, plugin.as_mut(), settings) {
        check_panic(
            &mut report,
            plugin.as_mut(),
            settings,
            &manifest.capabilities,
        );
    }
    if !fresh(&mut report, plugin.as_mut(), settings) {
        return report;
    }
    match plugin.close() {
        Ok(()) => report.check("close", true, "closed"),
        Err(e) => report.check("close", false, e.to_string()),
    }
    report
}

/// Create a new instance; a failure here is itself a failed check.
fn fresh(report: &mut Report, plugin: &mut dyn PluginHandle, settings: &serde_json::Value) -> bool {
    match plugin.create(settings) {
        Ok(()) => true,
        Err(e) => {
            report.check(
                "create again",
                false,
                format!("creating a new instance failed: {e}"),
            );
            false
        }
    }
}

fn check_manifest(report: &mut Report, manifest: &arsync_sdk::Manifest) {
    let mut problems = Vec::new();
    if manifest.capabilities.is_empty() {
        problems.push("it declares no capabilities".to_owned());
    }
    for c in &manifest.capabilities {
        if let Capability::Other(name) = c {
            problems.push(format!("capability {name} is not part of protocol 1"));
        }
    }
    if !manifest.config_schema.is_object() {
        problems.push("config_schema is not a JSON object".to_owned());
    }
    let detail = if problems.is_empty() {
        format!(
            "{} {} speaks protocol {}, panic strategy {:?}, capabilities: {}",
            manifest.name,
            manifest.version,
            manifest.protocol,
            manifest.panic_strategy,
            manifest
                .capabilities
                .iter()
                .map(Capability::method)
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        problems.join("; ")
    };
    report.check("manifest", problems.is_empty(), detail);
}

fn check_config_errors(
    report: &mut Report,
    plugin: &mut dyn PluginHandle,
    manifest: &arsync_sdk::Manifest,
) {
    let expect_invalid = |result: crate::Result<()>, what: &str| -> (bool, String) {
        match result {
            Err(e)
                if e.plugin_error()
                    .is_some_and(|p| p.kind == ErrorKind::InvalidConfig) =>
            {
                (true, format!("{what}: invalid_config ({e})"))
            }
            Err(e) => (
                false,
                format!(
                    "{what}: answered {} instead of invalid_config: {e}",
                    kind_of(&e)
                ),
            ),
            Ok(()) => (
                false,
                format!("{what}: accepted; it must be refused with invalid_config"),
            ),
        }
    };
    let (ok, detail) = expect_invalid(
        plugin.create(&serde_json::json!(["not", "a", "table"])),
        "settings that are a list",
    );
    let mut passed = ok;
    let mut details = vec![detail];
    let required = manifest.config_schema["required"]
        .as_array()
        .is_some_and(|r| !r.is_empty());
    if required {
        let (ok, detail) = expect_invalid(
            plugin.create(&serde_json::json!({})),
            "empty settings while the schema requires some",
        );
        passed &= ok;
        details.push(detail);
    }
    report.check("config errors", passed, details.join("; "));
}

fn check_paging(
    report: &mut Report,
    plugin: &mut dyn PluginHandle,
    stream: Stream,
    max_pages: usize,
) -> Option<Vec<Page>> {
    let name = format!("paging to the end: {}", stream.method());
    let mut pages: Vec<Page> = Vec::new();
    let mut cursors: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        if pages.len() >= max_pages {
            report.check(
                &name,
                false,
                format!("no end after {max_pages} pages; the last page must have no next_cursor"),
            );
            return None;
        }
        let page = match plugin.pull(stream, cursor.as_deref()) {
            Ok(p) => p,
            Err(e) => {
                report.check(
                    &name,
                    false,
                    format!("page {} failed: {e}", pages.len() + 1),
                );
                return None;
            }
        };
        if let Some(wrong) = page.items.iter().find(|r| r.kind() != stream.record_kind()) {
            report.check(
                &name,
                false,
                format!(
                    "page {} holds a {} in the {} stream",
                    pages.len() + 1,
                    wrong.kind(),
                    stream
                ),
            );
            return None;
        }
        if let Some(bad) = page
            .problems
            .iter()
            .find(|p| p.kind != ErrorKind::InvalidData || p.position.is_none())
        {
            report.check(
                &name,
                false,
                format!(
                    "page {} reports a problem of kind {} {} ({}); problems must be invalid_data with the position in the source",
                    pages.len() + 1,
                    bad.kind,
                    if bad.position.is_some() { "with a position" } else { "without a position" },
                    bad.message
                ),
            );
            return None;
        }
        let next = page.next_cursor.clone();
        pages.push(page);
        match next {
            None => break,
            Some(c) if cursors.contains(&c) => {
                report.check(
                    &name,
                    false,
                    format!("cursor {c:?} came back a second time: paging would never end"),
                );
                return None;
            }
            Some(c) => {
                cursors.push(c.clone());
                cursor = Some(c);
            }
        }
    }
    let items: usize = pages.iter().map(|p| p.items.len()).sum();
    let problems: usize = pages.iter().map(|p| p.problems.len()).sum();
    report.check(
        &name,
        true,
        format!(
            "{items} records in {} pages, {problems} reported problems",
            pages.len()
        ),
    );
    Some(pages)
}

fn check_resume(
    report: &mut Report,
    plugin: &mut dyn PluginHandle,
    settings: &serde_json::Value,
    stream: Stream,
    pages: &[Page],
) {
    let name = format!("resuming from a cursor: {}", stream.method());
    let Some(cursor) = pages.first().and_then(|p| p.next_cursor.clone()) else {
        report.check(&name, true, "one page only; nothing to resume");
        return;
    };
    if let Err(e) = plugin.create(settings) {
        report.check(
            &name,
            false,
            format!("a fresh instance could not be created: {e}"),
        );
        return;
    }
    match plugin.pull(stream, Some(&cursor)) {
        Ok(page) if pages.get(1).is_some_and(|second| second.items == page.items) => {
            report.check(&name, true, format!("a fresh instance continued from {cursor:?} with the same {} records", page.items.len()));
        }
        Ok(page) => report.check(
            &name,
            false,
            format!(
                "from {cursor:?} a fresh instance returned {} records that differ from the second page of the first pass; a cursor must carry all the state needed to continue",
                page.items.len()
            ),
        ),
        Err(e) => report.check(&name, false, format!("continuing from {cursor:?} failed: {e}")),
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn sample_outgoing(action: PushAction, pulled: &[Record]) -> Option<Outgoing> {
    let invoice = pulled.iter().find_map(|r| match r {
        Record::Invoice(i) => Some(i.clone()),
        _ => None,
    });
    let currency = invoice
        .as_ref()
        .map(|i| i.currency)
        .or_else(|| Currency::parse("EUR").ok())?;
    let open = invoice.as_ref().map_or(Decimal::ONE, |i| i.open_amount);
    let item_id = invoice.as_ref().map_or_else(
        || "conformance-1".to_owned(),
        |i| i.origin.external_id.clone(),
    );
    let number = invoice
        .as_ref()
        .map_or_else(|| "CONF-1".to_owned(), |i| i.number.clone());
    let customer = invoice.as_ref().map_or_else(
        || "conformance-customer".to_owned(),
        |i| i.customer_id.clone(),
    );
    Some(match action {
        PushAction::Status => Outgoing::OverdueStatus(OverdueStatus {
            connection: "conformance".into(),
            item_id,
            number,
            as_of: date(2026, 1, 15),
            days_overdue: 15,
            bucket: "1-30".into(),
            state: CollectionState::Overdue,
            ladder_step: Some(1),
            action: Some(CollectionAction::Reminder),
            open: Money::new(open, currency),
            interest: None,
            compensation: None,
        }),
        PushAction::Task => Outgoing::CollectionTask(CollectionTask {
            key: format!("conformance/{customer}/{item_id}/1"),
            connection: "conformance".into(),
            customer_id: customer.clone(),
            customer_name: customer,
            items: vec![(ItemKind::Invoice, item_id)],
            action: CollectionAction::Reminder,
            tone: Some("friendly".into()),
            step: Some(1),
            due: date(2026, 1, 16),
            priority: 1,
            amount: Money::new(open, currency),
            summary: format!("Remind about {number}"),
            state: TaskState::Open,
        }),
        PushAction::Payment => Outgoing::Payment(Payment {
            origin: Origin::new("conformance", "conformance-payment-1"),
            customer_id: Some(customer),
            date: date(2026, 1, 15),
            amount: Money::new(open, currency),
            reference: Some(number),
            method: None,
            book_rate: None,
            allocations: vec![arsync_model::Allocation {
                item_kind: ItemKind::Invoice,
                item_id,
                amount: open,
            }],
            status: PaymentStatus::Posted,
        }),
    })
}

fn check_idempotent_push(
    report: &mut Report,
    plugin: &mut dyn PluginHandle,
    action: PushAction,
    pulled: &[Record],
) {
    let name = format!("idempotent pushes: {}", action.method());
    let Some(record) = sample_outgoing(action, pulled) else {
        report.check(&name, false, "could not build a sample item");
        return;
    };
    let item = PushItem {
        idempotency_key: format!("conformance/{}/1", action.method()),
        record,
    };
    let first = plugin.push(action, vec![item.clone()]);
    let second = plugin.push(action, vec![item.clone()]);
    let (first, second) = match (first, second) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            report.check(&name, false, format!("the push failed as a whole: {e}"));
            return;
        }
    };
    let (Some(a), Some(b)) = (first.first(), second.first()) else {
        report.check(
            &name,
            false,
            "a push of one item returned no result; it must return one per item",
        );
        return;
    };
    if a.idempotency_key != item.idempotency_key || b.idempotency_key != item.idempotency_key {
        report.check(
            &name,
            false,
            "the result does not carry the item's idempotency_key",
        );
        return;
    }
    match (a.outcome, b.outcome) {
        (PushOutcome::Applied | PushOutcome::AlreadyApplied, PushOutcome::AlreadyApplied)
            if a.external_id == b.external_id =>
        {
            report.check(&name, true, "the second push of the same key was already_applied with the same id");
        }
        (PushOutcome::Failed, _) => report.check(
            &name,
            false,
            format!(
                "the sample item was refused ({}); the kit cannot tell whether pushes are idempotent",
                a.error.as_ref().map(ToString::to_string).unwrap_or_default()
            ),
        ),
        (x, y) => report.check(
            &name,
            false,
            format!("pushing one key twice gave {x:?} then {y:?} (ids {:?}, {:?}); the second must be already_applied with the same id", a.external_id, b.external_id),
        ),
    }
}

fn check_error_kinds(
    report: &mut Report,
    plugin: &mut dyn PluginHandle,
    capabilities: &[Capability],
) {
    let undeclared = Stream::ALL
        .into_iter()
        .find(|s| !capabilities.contains(&Capability::Pull(*s)));
    let mut details = Vec::new();
    let mut passed = true;
    if let Some(stream) = undeclared {
        match plugin.pull(stream, None) {
            Err(e)
                if e.plugin_error()
                    .is_some_and(|p| p.kind == ErrorKind::Unsupported) =>
            {
                details.push(format!("{} (not declared): unsupported", stream.method()));
            }
            Err(e) => {
                passed = false;
                details.push(format!(
                    "{} (not declared) answered {}: {e}; it must be unsupported",
                    stream.method(),
                    kind_of(&e)
                ));
            }
            Ok(_) => {
                passed = false;
                details.push(format!(
                    "{} (not declared) answered a page; it must be unsupported",
                    stream.method()
                ));
            }
        }
    }
    let declared = capabilities.iter().find_map(|c| match c {
        Capability::Pull(s) => Some(*s),
        _ => None,
    });
    if let Some(stream) = declared {
        match plugin.pull(stream, Some("\u{1}not-a-cursor-this-plugin-issued")) {
            Ok(_) => details.push(format!("{} with a foreign cursor: a page", stream.method())),
            Err(e) if e.plugin_error().is_some() => {
                details.push(format!(
                    "{} with a foreign cursor: {}",
                    stream.method(),
                    kind_of(&e)
                ));
            }
            Err(e) => {
                passed = false;
                details.push(format!(
                    "{} with a foreign cursor broke the plugin: {e}",
                    stream.method()
                ));
            }
        }
    }
    report.check("error kinds", passed, details.join("; "));
}

fn check_panic(
    report: &mut Report,
    plugin: &mut dyn PluginHandle,
    settings: &serde_json::Value,
    capabilities: &[Capability],
) {
    let name = "a panic inside a call";
    if plugin.manifest().panic_strategy == PanicStrategy::Abort
        && plugin.isolation() == Isolation::InProcess
    {
        report.check(name, false, "the library is built with panic = \"abort\"; it can only run with isolation = \"process\"");
        return;
    }
    match plugin.call(arsync_sdk::CONFORMANCE_PANIC_METHOD, &serde_json::json!({})) {
        Err(RuntimeError::Panic { message, .. }) => {
            let recovered = plugin.create(settings).and_then(|()| {
                match capabilities.iter().find_map(|c| match c {
                    Capability::Pull(s) => Some(*s),
                    _ => None,
                }) {
                    Some(stream) => plugin.pull(stream, None).map(|_| ()),
                    None => Ok(()),
                }
            });
            match recovered {
                Ok(()) => report.check(name, true, format!("caught at the boundary ({message}); a new instance works")),
                Err(e) => report.check(name, false, format!("the panic was caught, but a new instance fails: {e}")),
            }
        }
        Err(e) => report.check(
            name,
            false,
            format!(
                "{} answered {e}; it must panic inside the call so the kit can see the panic caught (the SDK does this)",
                arsync_sdk::CONFORMANCE_PANIC_METHOD
            ),
        ),
        Ok(_) => report.check(name, false, format!("{} returned normally", arsync_sdk::CONFORMANCE_PANIC_METHOD)),
    }
}
