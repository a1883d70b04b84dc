//! `arsync demo`: the bundled sample books, run through the same stages a real
//! installation runs, into a temporary (or named) store.

use crate::args::{DemoArgs, Format};
use anyhow::Context;
use arsync_model::Clock;
use arsync_store::{Record, Store};
use std::path::Path;

/// The files of `config/demo`, built into the binary so the demo runs anywhere.
const FILES: &[(&str, &[u8])] = &[
    (
        "arsync.toml",
        include_bytes!("../../../../config/demo/arsync.toml"),
    ),
    (
        "books.xlsx",
        include_bytes!("../../../../config/demo/books.xlsx"),
    ),
    (
        "rates.xml",
        include_bytes!("../../../../config/demo/rates.xml"),
    ),
];

/// Unpacks the demo files into `dir`.
pub(crate) fn unpack(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, bytes) in FILES {
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

pub(crate) async fn run(args: &DemoArgs, _clock: &dyn Clock) -> anyhow::Result<()> {
    let work = tempfile::tempdir().context("creating a temporary folder for the demo")?;
    unpack(work.path())?;
    let mut config = crate::context::load_config(&work.path().join("arsync.toml"))?;
    if let Some(store) = &args.store {
        let absolute =
            std::path::absolute(store).with_context(|| format!("resolving {}", store.display()))?;
        config.store.url = toml_spanned(format!("sqlite://{}", absolute.display()));
    }
    let store = crate::context::open_store(&config).await?;

    let mut out = format!(
        "arsync demo: {} (home currency {}, {}), sample books judged on {}\n\n",
        config.company.name.as_deref().unwrap_or("sample company"),
        config.company.home_currency,
        config.company.timezone.name(),
        args.as_of
    );

    // Books.
    let books = work.path().join("books.xlsx");
    let options = arsync_sheets::SheetOptions {
        connection: "books".to_owned(),
        ..arsync_sheets::SheetOptions::default()
    };
    let items = arsync_sheets::read_items(arsync_sheets::Source::Path(&books), &options)?;
    let mut records: Vec<Record> = Vec::new();
    records.extend(items.parties.into_iter().map(Record::Party));
    records.extend(items.invoices.into_iter().map(Record::Invoice));
    records.extend(items.credit_notes.into_iter().map(Record::CreditNote));
    records.extend(items.payments.into_iter().map(Record::Payment));
    let outcome = store.apply_page("books", "items", records, None).await?;
    out.push_str(&format!(
        "Read books.xlsx: {} records stored, {} row problem(s)\n",
        outcome.changes.len(),
        items.problems.len()
    ));
    for p in &items.problems {
        out.push_str(&format!("  - {p}\n"));
    }

    // Rates.
    let rates_bytes = std::fs::read(work.path().join("rates.xml"))?;
    let feed = arsync_feeds::parse_ecb_xml(&rates_bytes)?;
    let n = feed.rates.len();
    let outcome = store
        .apply_page(
            "rates",
            "rates",
            feed.rates.into_iter().map(Record::FxRate).collect(),
            None,
        )
        .await?;
    out.push_str(&format!(
        "Read rates.xml: {n} reference rates, {} stored\n\n",
        outcome.changes.len()
    ));

    let report = super::report::aging_from_store(&store, &config, args.as_of).await?;
    out.push_str(&String::from_utf8_lossy(&super::report::render_aging(
        &report,
        Format::Table,
    )?));
    if let Some(path) = &args.store {
        out.push_str(&format!(
            "\nThe store is kept in {}. Inspect it with `arsync report aging --config ...`.\n",
            path.display()
        ));
    }
    super::say(&out)
}

fn toml_spanned(value: String) -> toml::Spanned<String> {
    toml::Spanned::new(0..0, value)
}
