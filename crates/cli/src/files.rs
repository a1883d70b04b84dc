//! Reading any file an accountant may hand arsync (a bank statement, a rate file, a
//! spreadsheet of open items, or a zip bundle of those) by what it contains, not only by
//! its name. Used by `arsync inspect` and by `arsync reconcile` in file mode.

use anyhow::Context;
use arsync_feeds::RateFeed;
use arsync_sheets::ItemsFile;
use arsync_statements::ParsedFile;
use std::path::Path;

/// Most bytes a zip bundle of statements may inflate to (guards against zip bombs).
pub(crate) const ZIP_LIMIT: u64 = 512 * 1024 * 1024;

/// What a file turned out to be.
pub(crate) enum Loaded {
    /// A bank statement (camt, MT940/942, BAI2, OFX).
    Statement(ParsedFile),
    /// Exchange rates, with the format's name.
    Rates(&'static str, RateFeed),
    /// Open items and payments from a spreadsheet or csv.
    Items(ItemsFile),
}

/// One file read, under the name it is reported by (`bundle.zip!camt.xml` for a member).
pub(crate) struct LoadedFile {
    pub(crate) name: String,
    pub(crate) content: Loaded,
}

const SHEET_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "tsv"];

fn extension(name: &str) -> String {
    Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_ecb_csv(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
    let first = head.lines().next().unwrap_or("");
    let mut cols = first.split(',');
    cols.next().is_some_and(|c| c.trim() == "Date")
        && cols.clone().count() > 0
        && cols.all(|c| {
            let c = c.trim();
            c.is_empty() || (c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()))
        })
}

fn is_cnb_daily(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    let first = head.lines().next().unwrap_or("");
    let mut parts = first.split(" #");
    parts.next().is_some_and(|d| {
        d.len() == 10
            && d.chars().enumerate().all(|(i, c)| {
                if i == 2 || i == 5 {
                    c == '.'
                } else {
                    c.is_ascii_digit()
                }
            })
    }) && parts.next().is_some()
}

/// Reads bytes that came under `name`, deciding by content first and the extension second.
pub(crate) fn load_bytes(
    name: &str,
    bytes: &[u8],
    connection: &str,
    encoding: Option<arsync_statements::TextEncoding>,
) -> anyhow::Result<Vec<LoadedFile>> {
    let ext = extension(name);
    if ext == "zip" || bytes.starts_with(b"PK\x03\x04") && !SHEET_EXTENSIONS.contains(&ext.as_str())
    {
        let members = arsync_statements::read_zip(bytes, ZIP_LIMIT)
            .with_context(|| format!("reading the zip bundle {name}"))?;
        let mut out = Vec::new();
        for m in members {
            out.extend(load_bytes(
                &format!("{name}!{}", m.name),
                &m.bytes,
                connection,
                encoding,
            )?);
        }
        return Ok(out);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    let content = if head.contains("eurofxref") {
        Loaded::Rates(
            "ECB reference rates (XML)",
            arsync_feeds::parse_ecb_xml(bytes).with_context(|| format!("reading {name}"))?,
        )
    } else if is_ecb_csv(bytes) {
        Loaded::Rates(
            "ECB reference rates (CSV history)",
            arsync_feeds::parse_ecb_csv(bytes).with_context(|| format!("reading {name}"))?,
        )
    } else if is_cnb_daily(bytes) {
        let text =
            std::str::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8 text"))?;
        Loaded::Rates(
            "Czech National Bank daily rates",
            arsync_feeds::parse_cnb_daily(text).with_context(|| format!("reading {name}"))?,
        )
    } else if arsync_statements::detect(bytes).is_some() {
        let mut options = arsync_statements::ParseOptions::new(connection, name);
        options.encoding = encoding;
        Loaded::Statement(arsync_statements::parse(bytes, &options)?)
    } else if SHEET_EXTENSIONS.contains(&ext.as_str()) {
        let options = arsync_sheets::SheetOptions {
            connection: connection.to_owned(),
            ..arsync_sheets::SheetOptions::default()
        };
        Loaded::Items(arsync_sheets::read_items(
            arsync_sheets::Source::Bytes { name, bytes },
            &options,
        )?)
    } else {
        return Err(crate::UsageError(format!(
            "{name}: not a format arsync reads; expected a bank statement (camt.052/053/054 XML, MT940/MT942, BAI2, OFX), a rate file (ECB XML or CSV, CNB daily text), a spreadsheet of open items (xlsx, xlsm, xlsb, xls, ods, csv, tsv) or a zip of those"
        ))
        .into());
    };
    Ok(vec![LoadedFile {
        name: name.to_owned(),
        content,
    }])
}

/// The encoding a user named, or a usage error listing the ones arsync knows.
pub(crate) fn encoding(
    label: Option<&str>,
) -> anyhow::Result<Option<arsync_statements::TextEncoding>> {
    label
        .map(|l| {
            arsync_statements::TextEncoding::from_label(l).ok_or_else(|| {
                crate::UsageError(format!(
                    "--encoding {l}: unknown encoding; use utf-8, windows-1252, iso-8859-1, iso-8859-15 or cp852"
                ))
                .into()
            })
        })
        .transpose()
}

/// Reads a file from disk.
pub(crate) fn load_path(
    path: &Path,
    connection: &str,
    encoding: Option<arsync_statements::TextEncoding>,
) -> anyhow::Result<Vec<LoadedFile>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    load_bytes(&path.display().to_string(), &bytes, connection, encoding)
}
