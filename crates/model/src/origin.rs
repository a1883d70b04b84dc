//! Where a record came from: connection, external id, source version and payload hash.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// The provenance every record carries, so a value in arsync can always be traced to the
/// exact payload a connection delivered and a newer version can replace an older one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Origin {
    /// Name of the configured connection that delivered the record.
    pub connection: String,
    /// The record's id in the source system (Xero InvoiceID, QuickBooks Id, a bank reference).
    pub external_id: String,
    /// The source's version marker (QuickBooks SyncToken, Xero UpdatedDateUTC, file hash),
    /// compared as text: newer versions replace older ones in the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// SHA-256 of the payload the record was built from, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_hash: Option<String>,
}

impl Origin {
    /// An origin with no version or payload hash yet.
    pub fn new(connection: impl Into<String>, external_id: impl Into<String>) -> Self {
        Self {
            connection: connection.into(),
            external_id: external_id.into(),
            source_version: None,
            payload_hash: None,
        }
    }

    /// Sets the source version.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.source_version = Some(version.into());
        self
    }

    /// Records the hash of the payload the record was built from.
    pub fn with_payload(mut self, payload: &[u8]) -> Self {
        self.payload_hash = Some(payload_hash(payload));
        self
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.connection, self.external_id)?;
        if let Some(v) = &self.source_version {
            write!(f, "@{v}")?;
        }
        Ok(())
    }
}

/// Hex SHA-256 of a payload (lowercase, 64 characters).
pub fn payload_hash(payload: &[u8]) -> String {
    // Written by hand: every bank entry is hashed, and a table lookup per nibble costs a
    // fraction of a generic encoder's character-by-character collect.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in Sha256::digest(payload) {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The kinds of record arsync keeps, as named in the store and in the plugin protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A customer.
    Party,
    /// A sales invoice.
    Invoice,
    /// A credit note.
    CreditNote,
    /// A payment recorded in the books or a payment provider.
    Payment,
    /// A line of a bank statement.
    BankEntry,
    /// An exchange rate.
    FxRate,
}

impl RecordKind {
    /// Every kind, in a stable order.
    pub const ALL: [RecordKind; 6] = [
        RecordKind::Party,
        RecordKind::Invoice,
        RecordKind::CreditNote,
        RecordKind::Payment,
        RecordKind::BankEntry,
        RecordKind::FxRate,
    ];

    /// The snake_case name used in the store and protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Party => "party",
            RecordKind::Invoice => "invoice",
            RecordKind::CreditNote => "credit_note",
            RecordKind::Payment => "payment",
            RecordKind::BankEntry => "bank_entry",
            RecordKind::FxRate => "fx_rate",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_hash_is_the_lowercase_hex_sha256_of_the_bytes() {
        // The FIPS 180-2 test vector for "abc".
        assert_eq!(
            payload_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(payload_hash(&bytes), hex::encode(Sha256::digest(&bytes)));
    }
}
