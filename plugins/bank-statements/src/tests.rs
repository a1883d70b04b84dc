//! The plugin driven through its real `extern "C"` table against a mock host.

use super::*;
use arsync_sdk::client::CallError;
use arsync_sdk::testing::{MockHost, round_trip};
use serde_json::json;
use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;

const NOV_20: &str = include_str!("../tests/fixtures/inbox/2026-11-20.sta");
const NOV_23: &str = include_str!("../tests/fixtures/inbox/2026-11-23.sta");

fn plugin_error(err: CallError) -> PluginError {
    match err {
        CallError::Plugin(e) => e,
        other => panic!("not a plugin error: {other}"),
    }
}

fn references(page: &Page) -> Vec<String> {
    page.items
        .iter()
        .map(|r| match r {
            Record::BankEntry(e) => e.bank_reference.clone().unwrap_or_default(),
            other => panic!("not a bank entry: {other:?}"),
        })
        .collect()
}

fn inbox() -> Arc<MockHost> {
    Arc::new(
        MockHost::new()
            .with_file("inbox/2026-11-20.sta", NOV_20)
            .with_file("inbox/2026-11-23.sta", NOV_23)
            .with_file("inbox/readme.txt", "not a statement, and not matched"),
    )
}

/// Pulls until the stream is read to its end, returning the pages.
fn pull_all(
    instance: &mut arsync_sdk::client::Instance,
    cursor: Option<String>,
) -> (Vec<Page>, Option<String>) {
    let mut pages = Vec::new();
    let mut cursor = cursor;
    loop {
        let page = instance
            .pull(Stream::BankEntries, cursor.as_deref())
            .unwrap();
        let next = page.next_cursor.clone();
        pages.push(page);
        match next {
            Some(c) => cursor = Some(c),
            None => return (pages, cursor),
        }
    }
}

#[test]
fn each_statement_file_is_one_page_in_path_order_and_then_the_inbox_is_read_to_its_end() {
    let mut instance = round_trip::<BankStatements>()
        .create(inbox(), &json!({"paths": "inbox/*.sta"}))
        .unwrap();
    let (pages, _) = pull_all(&mut instance, None);
    assert_eq!(pages.len(), 3, "two files, then an empty page");
    assert_eq!(references(&pages[0]), ["BR-1001", "BR-1002"]);
    // The fee BR-1002 appears in both statements; it carries the same key both times, so the
    // store keeps it once.
    assert_eq!(references(&pages[1]), ["BR-1002", "BR-1003"]);
    let key = |page: &Page, i: usize| page.items[i].external_id();
    assert_eq!(key(&pages[0], 1), key(&pages[1], 0));
    assert!(pages[2].items.is_empty() && pages[2].next_cursor.is_none());
    match &pages[0].items[0] {
        Record::BankEntry(e) => {
            assert_eq!(e.amount.amount, Decimal::from_str("1190.00").unwrap());
            assert_eq!(e.origin.connection, CONNECTION);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_statement_whose_balances_do_not_add_up_is_reported_and_its_entries_still_delivered() {
    let mut instance = round_trip::<BankStatements>()
        .create(inbox(), &json!({"paths": ["inbox/*.sta"]}))
        .unwrap();
    let (pages, _) = pull_all(&mut instance, None);
    assert!(pages[0].problems.is_empty(), "{:?}", pages[0].problems);
    let second = &pages[1];
    assert_eq!(second.items.len(), 2);
    assert_eq!(second.problems.len(), 1, "{:?}", second.problems);
    let p = &second.problems[0];
    assert_eq!(p.kind, ErrorKind::InvalidData);
    assert_eq!(
        p.position.as_ref().and_then(|x| x.source.as_deref()),
        Some("inbox/2026-11-23.sta")
    );
    assert!(
        p.message.contains("11765") && p.message.contains("11755"),
        "{}",
        p.message
    );
}

#[test]
fn files_already_delivered_are_not_delivered_again_in_a_later_run_but_a_new_one_is() {
    let plugin = round_trip::<BankStatements>();
    let settings = json!({"paths": "inbox/*.sta"});
    let mut first_run = plugin.create(inbox(), &settings).unwrap();
    let (_, cursor) = pull_all(&mut first_run, None);

    let next_day = NOV_23
        .replace("STMT-20261123", "STMT-20261124")
        .replace("BR-1003", "BR-1004");
    let host = Arc::new(
        MockHost::new()
            .with_file("inbox/2026-11-20.sta", NOV_20)
            .with_file("inbox/2026-11-23.sta", NOV_23)
            // The same content under a second name is not a new file.
            .with_file("inbox/copy-of-2026-11-20.sta", NOV_20)
            .with_file("inbox/2026-11-24.sta", next_day),
    );
    let mut second_run = plugin.create(host, &settings).unwrap();
    let (pages, _) = pull_all(&mut second_run, cursor);
    assert_eq!(pages.len(), 2, "only the new file, then the end");
    assert_eq!(references(&pages[0]), ["BR-1002", "BR-1004"]);
}

#[test]
fn a_file_that_is_not_a_statement_is_reported_and_the_next_file_still_read() {
    let host = Arc::new(
        MockHost::new()
            .with_file("inbox/2026-11-19.sta", "%PDF-1.7 a scanned statement")
            .with_file("inbox/2026-11-20.sta", NOV_20),
    );
    let mut instance = round_trip::<BankStatements>()
        .create(host, &json!({"paths": "inbox/*.sta"}))
        .unwrap();
    let (pages, _) = pull_all(&mut instance, None);
    assert!(pages[0].items.is_empty());
    let p = &pages[0].problems[0];
    assert_eq!(p.kind, ErrorKind::InvalidData);
    assert_eq!(
        p.position.as_ref().and_then(|x| x.source.as_deref()),
        Some("inbox/2026-11-19.sta")
    );
    assert_eq!(references(&pages[1]), ["BR-1001", "BR-1002"]);
}

fn zip_of(members: &[(&str, &str)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        for (name, body) in members {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

#[test]
fn a_zip_bundle_is_one_page_and_the_overlap_inside_it_is_kept_once() {
    let bundle = zip_of(&[("a/2026-11-20.sta", NOV_20), ("a/2026-11-23.sta", NOV_23)]);
    let host = Arc::new(MockHost::new().with_file("inbox/november.zip", bundle));
    let mut instance = round_trip::<BankStatements>()
        .create(host, &json!({"paths": "inbox/*.zip"}))
        .unwrap();
    let page = instance.pull(Stream::BankEntries, None).unwrap();
    assert_eq!(references(&page), ["BR-1001", "BR-1002", "BR-1003"]);
    let p = &page.problems[0];
    assert_eq!(
        p.position.as_ref().and_then(|x| x.source.as_deref()),
        Some("inbox/november.zip!a/2026-11-23.sta")
    );
}

#[test]
fn a_zip_bundle_larger_than_the_limit_is_refused_with_the_setting_named() {
    let bundle = zip_of(&[("big.sta", NOV_20)]);
    let host = Arc::new(MockHost::new().with_file("inbox/big.zip", bundle));
    let mut instance = round_trip::<BankStatements>()
        .create(
            host,
            &json!({"paths": "inbox/*.zip", "zip_limit_bytes": 64}),
        )
        .unwrap();
    let page = instance.pull(Stream::BankEntries, None).unwrap();
    assert!(page.items.is_empty());
    assert!(
        page.problems[0].message.contains("64 bytes"),
        "{}",
        page.problems[0].message
    );
}

#[test]
fn wrong_settings_are_invalid_config_naming_the_key() {
    let cases = [
        (json!({}), "paths"),
        (json!({"paths": []}), "paths"),
        (json!({"paths": [3]}), "paths"),
        (json!({"paths": "*.sta", "encoding": "ebcdic"}), "encoding"),
        (
            json!({"paths": "*.sta", "zip_limit_bytes": 0}),
            "zip_limit_bytes",
        ),
        (json!({"paths": "*.sta", "path": "x.sta"}), "path"),
    ];
    for (settings, key) in cases {
        let e = plugin_error(
            round_trip::<BankStatements>()
                .create(Arc::new(MockHost::new()), &settings)
                .unwrap_err(),
        );
        assert_eq!(e.kind, ErrorKind::InvalidConfig, "{settings}");
        assert_eq!(
            e.position.as_ref().and_then(|p| p.field.as_deref()),
            Some(key),
            "{settings}: {e}"
        );
    }
}

fn samples() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("ARSYNC_SAMPLES").map_or_else(
        || {
            std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/samples"
            ))
        },
        std::path::PathBuf::from,
    );
    if dir.join("bank").is_dir() {
        Some(dir.join("bank"))
    } else {
        eprintln!(
            "skipped: no bank samples under {} (set ARSYNC_SAMPLES)",
            dir.display()
        );
        None
    }
}

#[test]
fn every_published_sample_statement_is_delivered_once_with_unique_keys_per_file() {
    let Some(dir) = samples() else { return };
    let mut host = MockHost::new();
    let mut count = 0;
    for format in ["camt", "mt940", "mt942", "bai2", "ofx"] {
        let Ok(entries) = std::fs::read_dir(dir.join(format)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = format!("inbox/{format}-{}", entry.file_name().to_string_lossy());
            host = host.with_file(&name, std::fs::read(entry.path()).unwrap());
            count += 1;
        }
    }
    let mut instance = round_trip::<BankStatements>()
        .create(Arc::new(host), &json!({"paths": "inbox/*"}))
        .unwrap();
    let (pages, _) = pull_all(&mut instance, None);
    // Files with identical content count once.
    assert!(
        pages.len() > count / 2 && pages.len() <= count + 1,
        "{} pages for {count} files",
        pages.len()
    );
    let entries: usize = pages.iter().map(|p| p.items.len()).sum();
    assert!(entries > 100, "{entries} entries");
    for page in &pages {
        let keys: BTreeSet<String> = page.items.iter().map(Record::external_id).collect();
        assert_eq!(keys.len(), page.items.len());
    }
}

#[test]
fn a_statement_of_2300_card_receipts_is_split_into_pages_of_at_most_1000_entries() {
    let mut text = String::from(
        ":20:STMT-CARDS\n:25:DE44500105175407324931\n:28C:00240/1\n:60F:C261130EUR0,00\n",
    );
    for n in 1..=2300 {
        text.push_str(&format!(
            ":61:2611301130C1,00NTRFNONREF//CARD-{n:05}\n:86:CARD RECEIPT {n}\n"
        ));
    }
    text.push_str(":62F:C261130EUR2300,00\n-\n");
    let host = Arc::new(
        MockHost::new()
            .with_file("inbox/cards.sta", text)
            .with_file("inbox/zz-2026-11-20.sta", NOV_20),
    );
    let plugin = round_trip::<BankStatements>();
    let settings = json!({"paths": "inbox/*.sta"});
    let mut instance = plugin.create(host.clone(), &settings).unwrap();
    let first = instance.pull(Stream::BankEntries, None).unwrap();
    assert_eq!(first.items.len(), ENTRIES_PER_PAGE);
    // A fresh process continues from the cursor alone.
    let mut later = plugin.create(host, &settings).unwrap();
    let (rest, _) = pull_all(&mut later, first.next_cursor.clone());
    let sizes: Vec<usize> = rest.iter().map(|p| p.items.len()).collect();
    assert_eq!(sizes, [1000, 300, 2, 0]);
    let mut keys: BTreeSet<String> = first.items.iter().map(Record::external_id).collect();
    for page in &rest[..2] {
        keys.extend(page.items.iter().map(Record::external_id));
    }
    assert_eq!(keys.len(), 2300, "each receipt once");
    assert!(rest.iter().all(|p| p.problems.is_empty()));
}

#[test]
fn a_configured_encoding_that_does_not_fit_the_file_stops_the_pull_naming_the_setting() {
    // A Hungarian bank's DOS export: "ő" is byte 0x8B in code page 852, not valid UTF-8.
    let mut dos = NOV_20
        .replace("KONTOFUEHRUNG NOVEMBER", "SZAMLAVEZETES D")
        .into_bytes();
    let at = dos.iter().rposition(|b| *b == b'D').unwrap();
    dos[at] = 0x8B;
    let host = Arc::new(MockHost::new().with_file("inbox/hu.sta", dos.clone()));
    let mut instance = round_trip::<BankStatements>()
        .create(host, &json!({"paths": "inbox/*.sta", "encoding": "utf-8"}))
        .unwrap();
    let e = plugin_error(instance.pull(Stream::BankEntries, None).unwrap_err());
    assert_eq!(e.kind, ErrorKind::InvalidConfig);
    assert_eq!(
        e.position.as_ref().and_then(|p| p.field.as_deref()),
        Some("encoding")
    );

    let host = Arc::new(MockHost::new().with_file("inbox/hu.sta", dos));
    let mut instance = round_trip::<BankStatements>()
        .create(host, &json!({"paths": "inbox/*.sta", "encoding": "cp852"}))
        .unwrap();
    let page = instance.pull(Stream::BankEntries, None).unwrap();
    let texts: Vec<String> = page
        .items
        .iter()
        .filter_map(|r| match r {
            Record::BankEntry(e) => Some(e.remittance.join(" ")),
            _ => None,
        })
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("SZAMLAVEZETES ő")),
        "{texts:?}"
    );
}

fn mt940_amount(cents: i64) -> String {
    format!("{},{:02}", cents.abs() / 100, cents.abs() % 100)
}

fn balance_line(tag: &str, date: &str, cents: i64) -> String {
    let mark = if cents < 0 { 'D' } else { 'C' };
    format!(":{tag}:{mark}{date}EUR{}\n", mt940_amount(cents))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// However a day's bookings fall across pages, what is delivered adds up to the
    /// movement between the statement's opening and closing balance, each booking once.
    #[test]
    fn the_entries_delivered_add_up_to_the_statements_movement(
        opening in -5_000_000i64..5_000_000,
        bookings in proptest::collection::vec((1i64..2_000_000, proptest::bool::ANY), 0..2600),
    ) {
        use proptest::prelude::*;
        let bookings: Vec<i64> = bookings.iter().map(|(c, debit)| if *debit { -c } else { *c }).collect();
        let mut text = String::from(":20:STMT-PROP\n:25:DE44500105175407324931\n:28C:00001/1\n");
        text.push_str(&balance_line("60F", "261130", opening));
        for (n, cents) in bookings.iter().enumerate() {
            let mark = if *cents < 0 { 'D' } else { 'C' };
            text.push_str(&format!(
                ":61:2611301130{mark}{}NTRFNONREF//P-{n:05}\n:86:BOOKING {n}\n",
                mt940_amount(*cents)
            ));
        }
        let movement: i64 = bookings.iter().sum();
        text.push_str(&balance_line("62F", "261130", opening + movement));
        text.push_str("-\n");
        let host = Arc::new(MockHost::new().with_file("inbox/day.sta", text));
        let mut instance = round_trip::<BankStatements>()
            .create(host, &json!({"paths": "inbox/*.sta"}))
            .unwrap();
        let (pages, _) = pull_all(&mut instance, None);
        let mut sum = Decimal::ZERO;
        let mut keys = BTreeSet::new();
        for page in &pages {
            prop_assert!(page.items.len() <= ENTRIES_PER_PAGE);
            prop_assert!(page.problems.is_empty(), "{:?}", page.problems);
            for r in &page.items {
                if let Record::BankEntry(e) = r {
                    sum += e.amount.amount;
                    keys.insert(e.origin.external_id.clone());
                }
            }
        }
        prop_assert_eq!(sum, Decimal::new(movement, 2));
        prop_assert_eq!(keys.len(), bookings.len());
    }
}
