//! `arsync plugins list | check | new`: what plugins are installed, whether a library keeps
//! the protocol, and a skeleton for a new one.

use crate::UsageError;
use crate::args::{PluginsCheckArgs, PluginsNewArgs};
use crate::table::{Align, Table};
use anyhow::Context;
use arsync_config::{Config, Isolation};
use std::path::{Path, PathBuf};

/// The folders plugins are looked for in: those the agent searches for a configuration,
/// or the runtime's defaults next to the arsync executable without one.
pub(crate) fn plugin_dirs(config: Option<&Config>) -> Vec<PathBuf> {
    match config {
        Some(c) => arsync_agent::LibraryLoader::search_dirs(c),
        None => arsync_runtime::default_plugin_dirs(),
    }
}

fn optional_config(path: &Path) -> anyhow::Result<Option<Config>> {
    if path.exists() {
        Ok(Some(Config::load(path)?))
    } else {
        Ok(None)
    }
}

pub(crate) fn list(config_path: &Path) -> anyhow::Result<()> {
    let config = optional_config(config_path)?;
    let dirs = plugin_dirs(config.as_ref());
    let explicit: Vec<PathBuf> = config
        .iter()
        .flat_map(|c| {
            c.connections
                .iter()
                .filter_map(|k| k.library.as_ref().map(|l| c.resolve(l)))
        })
        .collect();
    let found = arsync_runtime::discover(&dirs, &explicit);
    let mut t = Table::new(&[
        ("Name", Align::Left),
        ("Version", Align::Left),
        ("Protocol", Align::Left),
        ("Capabilities", Align::Left),
        ("Isolation", Align::Left),
        ("Path", Align::Left),
    ]);
    let mut problems = String::new();
    for info in &found {
        let Some(m) = &info.manifest else {
            problems.push_str(&format!(
                "  {}: {}\n",
                info.path.display(),
                info.problem.as_deref().unwrap_or("unreadable")
            ));
            continue;
        };
        let isolation: Vec<String> = config
            .iter()
            .flat_map(|c| c.connections.iter())
            .filter(|k| k.plugin == m.name)
            .map(|k| {
                format!(
                    "{}: {}",
                    k.name(),
                    match k.isolation {
                        Isolation::InProcess => "in_process",
                        Isolation::Process => "process",
                    }
                )
            })
            .collect();
        t.row(vec![
            m.name.clone(),
            m.version.clone(),
            m.protocol.clone(),
            m.capabilities
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if isolation.is_empty() {
                "-".to_owned()
            } else {
                isolation.join("; ")
            },
            info.path.display().to_string(),
        ]);
    }
    let mut out = format!(
        "Plugins found in {}:\n\n",
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.push_str(&t.render());
    if !problems.is_empty() {
        out.push_str("\nLibraries that could not be used:\n");
        out.push_str(&problems);
    }
    super::say(&out)
}

pub(crate) fn check(args: &PluginsCheckArgs) -> anyhow::Result<()> {
    let settings: serde_json::Value = match (&args.settings, &args.settings_file) {
        (Some(text), _) => serde_json::from_str(text)
            .map_err(|e| UsageError(format!("--settings is not JSON: {e}")))?,
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| UsageError(format!("{}: not JSON: {e}", path.display())))?
        }
        (None, None) => serde_json::json!({}),
    };
    if !args.library.exists() {
        return Err(UsageError(format!(
            "{} does not exist; give the path of a plugin library (.so, .dylib or .dll)",
            args.library.display()
        ))
        .into());
    }
    let mut options = arsync_runtime::conformance::Options::default();
    if args.in_process {
        options.isolation = arsync_runtime::Isolation::InProcess;
    }
    if let Some(dir) = &args.base_dir {
        options.load.host.base_dir = dir.clone();
        options.load.host.file_scope = vec!["**".to_owned()];
    }
    let report = arsync_runtime::conformance::run_with(&args.library, &settings, &options);
    super::say(&format!("{report}\n"))?;
    if report.passed() {
        Ok(())
    } else {
        anyhow::bail!(
            "{} failed {} conformance check(s)",
            args.library.display(),
            report.failures().count()
        )
    }
}

pub(crate) fn new(args: &PluginsNewArgs) -> anyhow::Result<()> {
    if !arsync_runtime::scaffold::valid_name(&args.name) {
        return Err(UsageError(format!(
            "'{}' is not a plugin name; use lower-case letters, digits and '-', starting with a letter (e.g. \"my-ledger\")",
            args.name
        ))
        .into());
    }
    let dir = arsync_runtime::scaffold::new_plugin(&args.name, &args.dir)?;
    super::say(&format!(
        "Created the plugin crate {}.\nBuild it with `cargo build --manifest-path {}/Cargo.toml` and prove it with `arsync plugins check <the built library>`.\n",
        dir.display(),
        dir.display()
    ))
}
