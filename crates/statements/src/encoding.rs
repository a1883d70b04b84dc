//! Text encodings of statement files: detection and decoding.
//!
//! Order of trust: an encoding configured for the connection, then one the file declares
//! (XML declaration, OFX `CHARSET`/`ENCODING` header), then valid UTF-8. A file that is
//! none of these is decoded as Windows-1252 and a warning says so and names the setting to
//! change: a wrong guess is never silent.

use std::borrow::Cow;
use std::fmt;
use std::io::{BufRead, Read};

/// A text encoding arsync can read statements in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8 (a leading byte-order mark is dropped).
    Utf8,
    /// Windows-1252 (Western European, a superset of printable ISO-8859-1).
    Windows1252,
    /// ISO-8859-1 (Latin-1).
    Iso8859_1,
    /// ISO-8859-15 (Latin-9, with the euro sign).
    Iso8859_15,
    /// IBM code page 852 (DOS Central European: Hungarian, Polish, Czech banks).
    Cp852,
}

impl TextEncoding {
    /// Parses a label as found in XML declarations, OFX headers or configuration
    /// (`"utf-8"`, `"windows-1252"`, `"1252"`, `"latin1"`, `"iso-8859-15"`, `"cp852"`, ...).
    pub fn from_label(label: &str) -> Option<TextEncoding> {
        let l = label.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        match l.as_str() {
            "utf-8" | "utf8" | "unicode-1-1-utf-8" => Some(Self::Utf8),
            "us-ascii" | "ascii" | "usascii" => Some(Self::Utf8),
            "windows-1252" | "cp1252" | "1252" | "win-1252" => Some(Self::Windows1252),
            "iso-8859-1" | "latin1" | "latin-1" | "iso8859-1" | "l1" => Some(Self::Iso8859_1),
            "iso-8859-15" | "latin9" | "latin-9" | "iso8859-15" => Some(Self::Iso8859_15),
            "cp852" | "ibm852" | "852" | "dos-852" | "csibm852" => Some(Self::Cp852),
            _ => None,
        }
    }

    /// The canonical label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Windows1252 => "windows-1252",
            Self::Iso8859_1 => "iso-8859-1",
            Self::Iso8859_15 => "iso-8859-15",
            Self::Cp852 => "cp852",
        }
    }

    /// Decodes `bytes`. Returns `None` when the bytes are not valid in this encoding
    /// (only UTF-8 can fail; every byte means something in the single-byte code pages,
    /// except the five holes of Windows-1252, which are refused).
    pub fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        match self {
            Self::Utf8 => {
                let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                std::str::from_utf8(bytes).ok().map(Cow::Borrowed)
            }
            Self::Windows1252 => {
                if bytes
                    .iter()
                    .any(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
                {
                    return None;
                }
                Some(single_byte(bytes, encoding_rs::WINDOWS_1252))
            }
            // ISO-8859-1 maps every byte to the code point of the same value; encoding_rs
            // deliberately aliases it to Windows-1252, so it is done by hand.
            Self::Iso8859_1 => Some(ascii_or(bytes, char::from)),
            Self::Iso8859_15 => Some(single_byte(bytes, encoding_rs::ISO_8859_15)),
            Self::Cp852 => Some(ascii_or(bytes, |b| CP852_HIGH[usize::from(b & 0x7F)])),
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

fn single_byte<'a>(bytes: &'a [u8], enc: &'static encoding_rs::Encoding) -> Cow<'a, str> {
    if bytes.is_ascii() {
        return ascii_or(bytes, char::from);
    }
    let (text, _) = enc.decode_without_bom_handling(bytes);
    text
}

fn ascii_or(bytes: &[u8], high: impl Fn(u8) -> char) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if bytes.is_ascii() => Cow::Borrowed(s),
        _ => Cow::Owned(
            bytes
                .iter()
                .map(|b| {
                    if b.is_ascii() {
                        char::from(*b)
                    } else {
                        high(*b)
                    }
                })
                .collect(),
        ),
    }
}

/// The upper half (0x80..=0xFF) of IBM code page 852. encoding_rs implements only the
/// WHATWG encodings, which do not include CP852; this is the fixed, public code page as
/// IBM and Microsoft publish it (identical to Python's `cp852` codec and to
/// unicode.org's `VENDORS/MICSFT/PC/CP852.TXT`).
const CP852_HIGH: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{016F}', '\u{0107}',
    '\u{00E7}', // 0x80
    '\u{0142}', '\u{00EB}', '\u{0150}', '\u{0151}', '\u{00EE}', '\u{0179}', '\u{00C4}',
    '\u{0106}', // 0x88
    '\u{00C9}', '\u{0139}', '\u{013A}', '\u{00F4}', '\u{00F6}', '\u{013D}', '\u{013E}',
    '\u{015A}', // 0x90
    '\u{015B}', '\u{00D6}', '\u{00DC}', '\u{0164}', '\u{0165}', '\u{0141}', '\u{00D7}',
    '\u{010D}', // 0x98
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{0104}', '\u{0105}', '\u{017D}',
    '\u{017E}', // 0xA0
    '\u{0118}', '\u{0119}', '\u{00AC}', '\u{017A}', '\u{010C}', '\u{015F}', '\u{00AB}',
    '\u{00BB}', // 0xA8
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}',
    '\u{011A}', // 0xB0
    '\u{015E}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{017B}', '\u{017C}',
    '\u{2510}', // 0xB8
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{0102}',
    '\u{0103}', // 0xC0
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}',
    '\u{00A4}', // 0xC8
    '\u{0111}', '\u{0110}', '\u{010E}', '\u{00CB}', '\u{010F}', '\u{0147}', '\u{00CD}',
    '\u{00CE}', // 0xD0
    '\u{011B}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{0162}', '\u{016E}',
    '\u{2580}', // 0xD8
    '\u{00D3}', '\u{00DF}', '\u{00D4}', '\u{0143}', '\u{0144}', '\u{0148}', '\u{0160}',
    '\u{0161}', // 0xE0
    '\u{0154}', '\u{00DA}', '\u{0155}', '\u{0170}', '\u{00FD}', '\u{00DD}', '\u{0163}',
    '\u{00B4}', // 0xE8
    '\u{00AD}', '\u{02DD}', '\u{02DB}', '\u{02C7}', '\u{02D8}', '\u{00A7}', '\u{00F7}',
    '\u{00B8}', // 0xF0
    '\u{00B0}', '\u{00A8}', '\u{02D9}', '\u{0171}', '\u{0158}', '\u{0159}', '\u{25A0}',
    '\u{00A0}', // 0xF8
];

/// Whether `bytes` are valid in `enc`. When `complete` is false the bytes are only the
/// start of the file, so a UTF-8 sequence cut at the end is not held against them.
fn valid(enc: TextEncoding, bytes: &[u8], complete: bool) -> bool {
    match enc {
        TextEncoding::Utf8 => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            match std::str::from_utf8(bytes) {
                Ok(_) => true,
                Err(e) => !complete && e.error_len().is_none(),
            }
        }
        TextEncoding::Windows1252 => !bytes
            .iter()
            .any(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)),
        _ => true,
    }
}

/// Chooses the encoding of a file from its start (`complete` when `bytes` is the whole
/// file): the configured encoding wins, then the declared one, then UTF-8, then
/// Windows-1252 with a warning. Fails only when the configured encoding cannot decode.
pub(crate) fn choose(
    bytes: &[u8],
    complete: bool,
    configured: Option<TextEncoding>,
    declared: Option<TextEncoding>,
) -> Result<(TextEncoding, Option<String>), TextEncoding> {
    if let Some(enc) = configured {
        return if valid(enc, bytes, complete) {
            Ok((enc, None))
        } else {
            Err(enc)
        };
    }
    let utf8 = valid(TextEncoding::Utf8, bytes, complete);
    // A file declared in a single-byte code page whose non-ASCII bytes all form valid
    // UTF-8 was written as UTF-8 (banks often keep an old header): real Windows-1252
    // text practically never happens to be valid UTF-8.
    if let Some(enc) = declared
        && enc != TextEncoding::Utf8
        && !bytes.is_ascii()
        && utf8
    {
        return Ok((
            TextEncoding::Utf8,
            Some(format!(
                "the file declares {enc} but its accented characters are UTF-8; it was read as UTF-8"
            )),
        ));
    }
    if let Some(enc) = declared
        && valid(enc, bytes, complete)
    {
        return Ok((enc, None));
    }
    if utf8 {
        let warning = declared.map(|d| {
            format!("the file declares {d} but is not valid {d}; it was read as UTF-8, which it is")
        });
        return Ok((TextEncoding::Utf8, warning));
    }
    let used = if valid(TextEncoding::Windows1252, bytes, complete) {
        TextEncoding::Windows1252
    } else {
        TextEncoding::Iso8859_1
    };
    let offset = std::str::from_utf8(bytes)
        .err()
        .map_or(0, |e| e.valid_up_to());
    Ok((
        used,
        Some(format!(
            "the file is not UTF-8 (first invalid byte at offset {offset}) and declares no encoding; \
             it was read as {used}. If accented letters look wrong, set the connection's \
             `encoding` (e.g. \"cp852\" for Hungarian or Polish DOS exports, \"iso-8859-15\")"
        )),
    ))
}

/// A reader that turns the bytes of a file in `encoding` into UTF-8, piece by piece. UTF-8
/// passes through untouched (a leading byte-order mark is dropped); the single-byte code
/// pages are decoded one buffer at a time, which is exact because they have no state.
pub(crate) struct Transcoder<R> {
    inner: R,
    encoding: TextEncoding,
    started: bool,
    buf: Vec<u8>,
    pos: usize,
}

impl<R: BufRead> Transcoder<R> {
    pub(crate) fn new(inner: R, encoding: TextEncoding) -> Self {
        Self {
            inner,
            encoding,
            started: false,
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl<R: BufRead> Read for Transcoder<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Transcoder<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if !self.started {
            self.started = true;
            if self.encoding == TextEncoding::Utf8
                && self.inner.fill_buf()?.starts_with(b"\xEF\xBB\xBF")
            {
                self.inner.consume(3);
            }
        }
        if self.encoding == TextEncoding::Utf8 {
            return self.inner.fill_buf();
        }
        if self.pos >= self.buf.len() {
            let chunk = self.inner.fill_buf()?;
            let n = chunk.len();
            self.buf.clear();
            self.pos = 0;
            match self.encoding {
                TextEncoding::Windows1252 => self
                    .buf
                    .extend_from_slice(single_byte(chunk, encoding_rs::WINDOWS_1252).as_bytes()),
                enc => self.buf.extend_from_slice(
                    enc.decode(chunk)
                        .unwrap_or_else(|| ascii_or(chunk, char::from))
                        .as_bytes(),
                ),
            }
            self.inner.consume(n);
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        if self.encoding == TextEncoding::Utf8 {
            self.inner.consume(n);
        } else {
            self.pos += n;
        }
    }
}

/// Text decoded from a statement file, with the encoding used and, when the encoding was
/// guessed, the warning that says so.
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) encoding: TextEncoding,
    pub(crate) warning: Option<String>,
}

/// Decodes a whole file with the encoding [`choose`] picks.
#[cfg(test)]
pub(crate) fn decode_text(
    bytes: &[u8],
    configured: Option<TextEncoding>,
    declared: Option<TextEncoding>,
) -> Result<Decoded<'_>, TextEncoding> {
    let (encoding, warning) = choose(bytes, true, configured, declared)?;
    let text = encoding
        .decode(bytes)
        .or_else(|| TextEncoding::Iso8859_1.decode(bytes))
        .unwrap_or_default();
    Ok(Decoded {
        text,
        encoding,
        warning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp852_decodes_hungarian_letters() {
        // "Árvíztűrő tükörfúrógép" in code page 852.
        let bytes = [
            0xB5, b'r', b'v', 0xA1, b'z', b't', 0xFB, b'r', 0x8B, b' ', b't', 0x81, b'k', 0x94,
            b'r', b'f', 0xA3, b'r', 0xA2, b'g', 0x82, b'p',
        ];
        let text = TextEncoding::Cp852.decode(&bytes).unwrap();
        assert_eq!(text, "Árvíztűrő tükörfúrógép");
    }

    #[test]
    fn latin1_and_latin9_differ_on_the_euro_sign() {
        assert_eq!(TextEncoding::Iso8859_1.decode(&[0xA4]).unwrap(), "\u{A4}");
        assert_eq!(TextEncoding::Iso8859_15.decode(&[0xA4]).unwrap(), "€");
        assert_eq!(TextEncoding::Windows1252.decode(&[0x80]).unwrap(), "€");
    }

    #[test]
    fn a_non_utf8_file_without_declaration_is_read_with_a_warning() {
        let d = decode_text(b"M\xFCller", None, None).unwrap();
        assert_eq!(d.text, "Müller");
        assert_eq!(d.encoding, TextEncoding::Windows1252);
        assert!(d.warning.unwrap().contains("offset 1"));
    }

    #[test]
    fn a_utf8_file_with_a_stale_1252_header_is_read_as_utf8_and_said() {
        let d = decode_text("Müller".as_bytes(), None, Some(TextEncoding::Windows1252)).unwrap();
        assert_eq!(d.text, "Müller");
        assert_eq!(d.encoding, TextEncoding::Utf8);
        assert!(d.warning.unwrap().contains("declares windows-1252"));
        let d = decode_text(b"M\xFCller", None, Some(TextEncoding::Windows1252)).unwrap();
        assert_eq!(d.text, "Müller");
        assert_eq!(d.warning, None);
    }

    #[test]
    fn a_configured_utf8_that_does_not_decode_is_refused() {
        assert_eq!(
            decode_text(b"M\xFCller", Some(TextEncoding::Utf8), None).unwrap_err(),
            TextEncoding::Utf8
        );
    }

    #[test]
    fn labels_round_trip() {
        for e in [
            TextEncoding::Utf8,
            TextEncoding::Windows1252,
            TextEncoding::Iso8859_1,
            TextEncoding::Iso8859_15,
            TextEncoding::Cp852,
        ] {
            assert_eq!(TextEncoding::from_label(e.label()), Some(e));
        }
        assert_eq!(
            TextEncoding::from_label("IBM852"),
            Some(TextEncoding::Cp852)
        );
    }
}
