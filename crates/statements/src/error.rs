//! The errors that stop a whole file from being read. Everything wrong inside a file that
//! can be read is a [`crate::Problem`] instead.

use crate::TextEncoding;

/// Why a file (or zip bundle) could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// The bytes are none of camt.052/053/054, MT940/MT942, BAI2 or OFX.
    #[error(
        "{file}: not a bank statement arsync can read (expected camt.052/053/054 XML, MT940/MT942, BAI2 or OFX); check that the file is the bank's statement export and not a PDF or CSV"
    )]
    UnknownFormat {
        /// File name as given in the options.
        file: String,
    },
    /// The encoding configured for the connection cannot decode the file.
    #[error(
        "{file}: the file is not valid {encoding}, the encoding configured for this connection; remove the `encoding` setting to let arsync detect it, or set the one the bank uses (e.g. \"windows-1252\", \"cp852\")"
    )]
    Encoding {
        /// File name.
        file: String,
        /// The configured encoding.
        encoding: TextEncoding,
    },
    /// The XML declares a DOCTYPE or entities. Statements never need one, and a DOCTYPE is
    /// how entity expansion bombs and external-entity reads of local files are carried.
    #[error(
        "{file}: byte {offset}: the file contains a {what} declaration, which bank statements never need and which can expand to gigabytes or read local files; the file was refused. Ask the bank for an export without a DOCTYPE, or remove the declaration if the file is known to be safe"
    )]
    Declaration {
        /// File name.
        file: String,
        /// Byte offset of the declaration.
        offset: u64,
        /// `DOCTYPE` or `ENTITY`.
        what: &'static str,
    },
    /// The file could not be read from its source.
    #[error("{file}: the file could not be read: {reason}; check that it is complete and readable")]
    Io {
        /// File name.
        file: String,
        /// The reader's error.
        reason: String,
    },
    /// The zip bundle is damaged or uses a feature that cannot be read.
    #[error("{file}: cannot read the zip bundle: {reason}; ask the bank for a fresh export")]
    Zip {
        /// Bundle name.
        file: String,
        /// What went wrong.
        reason: String,
    },
    /// The zip bundle would decompress to more than the allowed size.
    #[error(
        "{file}: the zip bundle decompresses to more than {limit} bytes (at member '{member}'); this guards against zip bombs; raise the limit only if the bank really sends bundles this large"
    )]
    ZipTooLarge {
        /// Bundle name.
        file: String,
        /// Member at which the limit was exceeded.
        member: String,
        /// The limit in bytes.
        limit: u64,
    },
}
