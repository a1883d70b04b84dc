//! `arsync config check`.

use std::path::Path;

pub(crate) fn check(path: &Path) -> anyhow::Result<()> {
    let config = crate::context::load_config(path)?;
    let mut out = format!(
        "{} is valid: home currency {}, time zone {}, jurisdiction {:?}, {} connection(s)",
        path.display(),
        config.company.home_currency,
        config.company.timezone.name(),
        config.company.jurisdiction,
        config.connections.len()
    );
    for c in &config.connections {
        out.push_str(&format!(
            "\n  - {} (plugin {}, {:?}{})",
            c.name(),
            c.plugin,
            c.isolation,
            if c.enabled { "" } else { ", disabled" }
        ));
    }
    out.push('\n');
    super::say(&out)
}
