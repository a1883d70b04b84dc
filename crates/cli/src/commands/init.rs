//! `arsync init`: a commented starter configuration.

use crate::UsageError;
use crate::args::InitArgs;
use anyhow::Context;
use std::path::Path;

pub(crate) fn run(args: &InitArgs, default_path: &Path) -> anyhow::Result<()> {
    let path = args.path.as_deref().unwrap_or(default_path);
    if path.exists() && !args.force {
        return Err(UsageError(format!(
            "{} already exists; pass --force to overwrite it, or give another path",
            path.display()
        ))
        .into());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, arsync_config::STARTER_TOML)
        .with_context(|| format!("writing {}", path.display()))?;
    super::say(&format!(
        "Wrote {}. Edit it, then run `arsync config check`.\n",
        path.display()
    ))
}
