//! A user's mistakes in arsync.toml are reported with the file, line, key path, what was
//! found and what is expected.

use arsync_config::{Config, Isolation, Jurisdiction, STARTER_TOML};
use std::path::Path;

const GOOD: &str = r#"
[company]
home_currency = "EUR"
timezone = "Europe/Berlin"
jurisdiction = "DE"

[[connection]]
name = "books"
plugin = "spreadsheet"
[connection.settings]
path = "books.xlsx"

[[connection]]
name = "bank"
plugin = "bank-statements"
isolation = "process"
schedule = "0 */15 * * * *"
"#;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("conf/arsync.toml")).map_err(|e| e.to_string())
}

#[test]
fn a_sound_file_loads_with_defaults() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.company.home_currency.code(), "EUR");
    assert_eq!(c.company.jurisdiction, Jurisdiction::De);
    assert_eq!(c.connections.len(), 2);
    assert_eq!(c.connections[1].isolation, Isolation::Process);
    assert_eq!(c.connections[0].settings_json()["path"], "books.xlsx");
    assert_eq!(c.collect_settings().aging.edges(), &[30, 60, 90]);
    assert_eq!(c.sqlite_path().unwrap(), Path::new("conf/.arsync/state.db"));
}

#[test]
fn the_starter_file_loads() {
    let c = parse(STARTER_TOML).unwrap();
    assert_eq!(c.company.timezone.name(), "Europe/Berlin");
}

#[test]
fn an_unknown_key_names_its_line_and_path() {
    let text = GOOD.replace(
        "plugin = \"bank-statements\"",
        "plugin = \"bank-statements\"\nisolaton = \"process\"",
    );
    let e = parse(&text).unwrap_err();
    assert!(
        e.starts_with("conf/arsync.toml:16:1: `connection[1].isolaton`: unknown field `isolaton`"),
        "{e}"
    );
    assert!(e.contains("expected one of"), "{e}");
}

#[test]
fn a_wrong_type_names_its_line_and_path() {
    let text = GOOD.replace(
        "[connection.settings]",
        "enabled = \"yes\"\n[connection.settings]",
    );
    let e = parse(&text).unwrap_err();
    assert!(e.starts_with("conf/arsync.toml:10:11: `connection[0].enabled`: invalid type: string \"yes\", expected a boolean"), "{e}");
}

#[test]
fn an_invalid_currency_or_time_zone_is_refused_where_it_stands() {
    let e = parse(&GOOD.replace("\"EUR\"", "\"EURO\"")).unwrap_err();
    assert!(e.starts_with("conf/arsync.toml:3:17: `company.home_currency`: 'EURO' is not an ISO 4217 currency code"), "{e}");
    let e = parse(&GOOD.replace("Europe/Berlin", "Europe/Berlinn")).unwrap_err();
    assert!(e.starts_with("conf/arsync.toml:4:12: `company.timezone`: 'Europe/Berlinn' is not an IANA time zone name"), "{e}");
    let e = parse(&GOOD.replace("\"DE\"", "\"XX\"")).unwrap_err();
    assert!(
        e.contains(":5:16: `company.jurisdiction`: unknown variant `XX`"),
        "{e}"
    );
}

#[test]
fn semantic_mistakes_are_placed_too() {
    let e = parse(&GOOD.replace("name = \"bank\"", "name = \"books\"")).unwrap_err();
    assert!(e.starts_with("conf/arsync.toml:14:8: `connection[1].name`: the name \"books\" is used by an earlier connection"), "{e}");
    let e = parse(&format!(
        "{GOOD}\n[collect]\naging = {{ edges = [30, 20] }}\n"
    ))
    .unwrap_err();
    assert!(e.contains(":20:9: `collect.aging`: "), "{e}");
    let e = parse(&GOOD.replace("0 */15 * * * *", "every 15 minutes")).unwrap_err();
    assert!(
        e.contains("`connection[1].schedule`: found \"every 15 minutes\" with 3 fields"),
        "{e}"
    );
}

#[test]
fn collection_and_reconciliation_settings_are_checked_with_their_place() {
    let e = parse(&format!(
        "{GOOD}\n[collect]\nladder = [{{ after_days = 7, action = \"sue\" }}]\n"
    ))
    .unwrap_err();
    assert!(e.contains(":20:"), "{e}");
    assert!(e.contains("unknown variant `sue`"), "{e}");
    let e = parse(&format!("{GOOD}\n[reconcile]\nauto_threshold = \"1.5\"\n")).unwrap_err();
    assert!(e.contains("`reconcile`"), "{e}");
    assert!(e.contains("auto_threshold"), "{e}");
    let e = parse(&format!("{GOOD}\n[reconcile]\nauto_treshold = \"0.9\"\n")).unwrap_err();
    assert!(
        e.contains("`reconcile.auto_treshold`: unknown field"),
        "{e}"
    );
}

#[test]
fn a_syntax_error_has_a_position() {
    let e = parse("[company\nhome_currency = 1").unwrap_err();
    assert!(e.starts_with("conf/arsync.toml:1:"), "{e}");
    let err = Config::parse("[company\n", Path::new("x.toml")).unwrap_err();
    assert_eq!(err.line(), Some(1));
}

#[test]
fn example_configurations_in_the_repository_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let mut n = 0;
    for dir in [root.clone(), root.join("demo")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
                n += 1;
            }
        }
    }
    assert!(n >= 2, "no example configurations in {}", root.display());
}
