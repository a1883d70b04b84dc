//! ISO 4217 currencies with their minor units.

use crate::ModelError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency in which money can be held: a three-letter code with a defined
/// number of minor units (EUR 2, JPY 0, KWD 3). Codes without minor units (gold, SDR,
/// testing codes) are refused because no amount can be rounded in them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: iso_currency::Currency,
    minor_units: u8,
}

impl Currency {
    /// Parses a code such as `"EUR"`. Surrounding whitespace is ignored and lower case is
    /// accepted, because books and bank files are not always tidy.
    pub fn parse(code: &str) -> Result<Self, ModelError> {
        let upper = code.trim().to_ascii_uppercase();
        let unknown = || ModelError::UnknownCurrency {
            code: code.to_owned(),
        };
        let iso = iso_currency::Currency::from_code(&upper).ok_or_else(unknown)?;
        let exponent = iso.exponent().ok_or_else(unknown)?;
        let minor_units = u8::try_from(exponent).map_err(|_| unknown())?;
        Ok(Self {
            code: iso,
            minor_units,
        })
    }

    /// The three-letter code.
    pub fn code(&self) -> &'static str {
        self.code.code()
    }

    /// Number of decimals of the minor unit (EUR 2, JPY 0, KWD 3).
    pub fn minor_units(&self) -> u32 {
        u32::from(self.minor_units)
    }

    /// The currency's English name, for reports.
    pub fn name(&self) -> &str {
        self.code.name()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(Currency::parse("EUR").unwrap().minor_units(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
        assert_eq!(Currency::parse("CLF").unwrap().minor_units(), 4);
    }

    #[test]
    fn untidy_codes_are_accepted_and_unknown_ones_refused() {
        assert_eq!(Currency::parse(" usd ").unwrap().code(), "USD");
        let err = Currency::parse("EURO").unwrap_err();
        assert!(err.to_string().contains("'EURO' is not an ISO 4217"));
        assert!(Currency::parse("XAU").is_err(), "gold has no minor units");
    }

    #[test]
    fn serde_uses_the_code() {
        let c = Currency::parse("CHF").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"CHF\"");
        let back: Currency = serde_json::from_str("\"chf\"").unwrap();
        assert_eq!(back, c);
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }
}
