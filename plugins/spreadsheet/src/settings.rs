//! The connection settings of the spreadsheet plugin, read strictly: an unknown key or a
//! value of the wrong shape is an `invalid_config` error naming the key and the fix.

use arsync_model::Currency;
use arsync_sdk::PluginError;
use arsync_sheets::{Field, HeaderRow, SheetOptions};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Every key the plugin reads.
pub(crate) const KEYS: [&str; 10] = [
    "path",
    "sheet",
    "header_row",
    "columns",
    "date_order",
    "date_system",
    "default_currency",
    "decimal",
    "delimiter",
    "output",
];

/// The settings of one connection.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The workbook or csv file.
    pub(crate) path: String,
    /// Folder the companion workbook and its journal are written to.
    pub(crate) output: Option<String>,
    /// How to read the sheet.
    pub(crate) options: SheetOptions,
}

fn typed<T: DeserializeOwned>(
    map: &Map<String, Value>,
    key: &str,
    expected: &str,
) -> Result<Option<T>, PluginError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|_| {
                PluginError::invalid_config(key, format!("`{key}` must be {expected}, not {value}"))
            }),
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Result<Option<String>, PluginError> {
    let value: Option<String> = typed(map, key, "a text value")?;
    match value {
        Some(v) if v.trim().is_empty() => Err(PluginError::invalid_config(
            key,
            format!("`{key}` is empty; remove it or give it a value"),
        )),
        other => Ok(other),
    }
}

fn columns(map: &Map<String, Value>) -> Result<BTreeMap<Field, String>, PluginError> {
    let raw: Option<BTreeMap<String, String>> = typed(
        map,
        "columns",
        "a table of field = \"header\" pairs, e.g. columns = { due_date = \"Fällig am\" }",
    )?;
    let known = || {
        Field::ALL
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    raw.unwrap_or_default()
        .into_iter()
        .map(|(name, header)| match Field::parse(&name) {
            Some(field) => Ok((field, header)),
            None => Err(PluginError::invalid_config(
                format!("columns.{name}"),
                format!(
                    "`columns.{name}` is not a field arsync reads; map one of: {}",
                    known()
                ),
            )),
        })
        .collect()
}

fn header_row(map: &Map<String, Value>) -> Result<HeaderRow, PluginError> {
    match map.get("header_row") {
        None | Some(Value::Null) => Ok(HeaderRow::Auto),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("auto") => Ok(HeaderRow::Auto),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0)
            .map(HeaderRow::Row)
            .ok_or_else(|| {
                PluginError::invalid_config(
                    "header_row",
                    format!(
                        "`header_row` must be \"auto\" or the row number holding the column titles (1 for the first row), not {v}"
                    ),
                )
            }),
    }
}

impl Settings {
    /// Reads the settings object.
    pub(crate) fn parse(settings: &Value, connection: &str) -> Result<Self, PluginError> {
        let map = settings.as_object().ok_or_else(|| {
            PluginError::invalid_config(
                "",
                "the connection settings must be a table of keys and values",
            )
        })?;
        if let Some(unknown) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(PluginError::invalid_config(
                unknown.clone(),
                format!(
                    "unknown setting `{unknown}`; the spreadsheet plugin reads: {}",
                    KEYS.join(", ")
                ),
            ));
        }
        let path = text(map, "path")?.ok_or_else(|| {
            PluginError::invalid_config(
                "path",
                "set `path` to the workbook or csv file holding the open items (e.g. path = \"books/open-items.xlsx\")",
            )
        })?;
        let default_currency = match text(map, "default_currency")? {
            None => None,
            Some(code) => Some(Currency::parse(&code).map_err(|e| {
                PluginError::invalid_config(
                    "default_currency",
                    format!("`default_currency` {code:?} is not usable: {e}; use an ISO 4217 code such as \"EUR\""),
                )
            })?),
        };
        let delimiter = match text(map, "delimiter")? {
            None => None,
            Some(d) => {
                let mut chars = d.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some(c),
                    _ => {
                        return Err(PluginError::invalid_config(
                            "delimiter",
                            format!(
                                "`delimiter` must be one character such as \";\" or \",\", not {d:?}"
                            ),
                        ));
                    }
                }
            }
        };
        let options = SheetOptions {
            connection: connection.to_owned(),
            sheet: text(map, "sheet")?,
            header_row: header_row(map)?,
            columns: columns(map)?,
            date_order: typed(map, "date_order", "\"dmy\", \"mdy\" or \"ymd\"")?
                .unwrap_or_default(),
            date_system: typed(map, "date_system", "\"excel1900\" or \"excel1904\"")?
                .unwrap_or_default(),
            default_currency,
            decimal: typed(map, "decimal", "\"auto\", \"dot\" or \"comma\"")?.unwrap_or_default(),
            delimiter,
        };
        Ok(Self {
            path,
            output: text(map, "output")?,
            options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arsync_sdk::ErrorKind;
    use arsync_sheets::{DateOrder, DecimalHint};
    use serde_json::json;

    fn field_of(e: &PluginError) -> Option<String> {
        e.position.as_ref().and_then(|p| p.field.clone())
    }

    #[test]
    fn a_german_csv_is_configured_with_day_month_dates_decimal_commas_and_a_mapped_column() {
        let s = Settings::parse(
            &json!({
                "path": "op.csv", "date_order": "dmy", "decimal": "comma", "delimiter": ";",
                "default_currency": "EUR", "header_row": 3,
                "columns": {"due_date": "Zahlbar bis"}
            }),
            "books",
        )
        .unwrap();
        assert_eq!(s.path, "op.csv");
        assert_eq!(s.options.date_order, DateOrder::Dmy);
        assert_eq!(s.options.decimal, DecimalHint::Comma);
        assert_eq!(s.options.delimiter, Some(';'));
        assert_eq!(s.options.header_row, HeaderRow::Row(3));
        assert_eq!(
            s.options.columns.get(&Field::DueDate).map(String::as_str),
            Some("Zahlbar bis")
        );
        assert_eq!(
            s.options.default_currency.map(|c| c.code().to_owned()),
            Some("EUR".into())
        );
        assert_eq!(s.options.connection, "books");
    }

    #[test]
    fn each_wrong_setting_is_invalid_config_naming_its_key() {
        let cases = [
            (json!({}), "path"),
            (json!({"path": "a.csv", "colums": {}}), "colums"),
            (
                json!({"path": "a.csv", "date_order": "dd.mm.yyyy"}),
                "date_order",
            ),
            (json!({"path": "a.csv", "decimal": ","}), "decimal"),
            (
                json!({"path": "a.csv", "default_currency": "EURO"}),
                "default_currency",
            ),
            (json!({"path": "a.csv", "header_row": 0}), "header_row"),
            (json!({"path": "a.csv", "delimiter": ";;"}), "delimiter"),
            (
                json!({"path": "a.csv", "columns": {"due": "Due"}}),
                "columns.due",
            ),
            (json!({"path": 7}), "path"),
        ];
        for (settings, key) in cases {
            let e = Settings::parse(&settings, "books").unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidConfig, "{settings}");
            assert_eq!(field_of(&e).as_deref(), Some(key), "{settings}: {e}");
            assert!(e.message.contains(key), "{settings}: {e}");
        }
    }
}
