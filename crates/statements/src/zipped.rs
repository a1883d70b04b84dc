//! Zip bundles of statements, read with a bound on the total decompressed size so a
//! hostile or broken bundle cannot exhaust memory.

use crate::StatementError;
use std::io::{Cursor, Read};

/// One file from a zip bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipMember {
    /// Path inside the bundle.
    pub name: String,
    /// Decompressed bytes.
    pub bytes: Vec<u8>,
}

/// Reads every file of a zip bundle, refusing once more than `limit` bytes in total would
/// be decompressed. The limit is enforced on the bytes actually inflated, not on the sizes
/// the archive claims. Directories are skipped.
pub fn read_zip(bytes: &[u8], limit: u64) -> Result<Vec<ZipMember>, StatementError> {
    const BUNDLE: &str = "zip bundle";
    let zip_err = |e: zip::result::ZipError| StatementError::Zip {
        file: BUNDLE.into(),
        reason: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_err)?;
    let mut members = Vec::with_capacity(archive.len());
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(zip_err)?;
        if file.is_dir() {
            continue;
        }
        let name = file.name().map_err(zip_err)?.into_owned();
        let remaining = limit.saturating_sub(total);
        let too_large = || StatementError::ZipTooLarge {
            file: BUNDLE.into(),
            member: name.clone(),
            limit,
        };
        if file.size() > remaining {
            return Err(too_large());
        }
        let mut out = Vec::new();
        file.take(remaining.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| StatementError::Zip {
                file: BUNDLE.into(),
                reason: format!("member '{name}': {e}"),
            })?;
        let got = u64::try_from(out.len()).unwrap_or(u64::MAX);
        if got > remaining {
            return Err(too_large());
        }
        total += got;
        members.push(ZipMember { name, bytes: out });
    }
    Ok(members)
}
