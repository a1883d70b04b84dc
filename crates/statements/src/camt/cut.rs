//! Cutting `Ntry` elements out of the byte stream without tokenising them, so that the
//! tokenising can be done on either thread.
//!
//! The cutter walks the element's bytes as the XML reader would split them into tags
//! (text up to `<`; a start tag up to a `>` outside quotes; an end tag up to `>`) and
//! finds the end tag that closes it. It gives up, and the element is read by the
//! reader as before, on anything else: a comment, CDATA section, processing instruction
//! or declaration (`<!`, `<?`), an end tag that is not exactly the start's name, an
//! element longer than [`MAX_CUT`] or the end of the file. The bytes of a cut element are
//! then read by a reader of their own, which sees the same bytes from the same start tag
//! and so gives the same elements, texts, offsets and errors.

use super::{Tree, currency_attr};
use quick_xml::events::Event;
use std::io::{BufRead, Read};

/// The longest element cut; longer ones are read by the main reader.
pub(super) const MAX_CUT: usize = 1 << 20;

/// A buffered reader that can look further ahead than its source's buffer without
/// consuming: what is looked at is kept until it is consumed.
pub(super) struct Ahead<R> {
    inner: R,
    held: Vec<u8>,
    at: usize,
}

impl<R: BufRead> Ahead<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            held: Vec::new(),
            at: 0,
        }
    }

    /// Everything buffered now, not consumed.
    pub(super) fn buffered(&mut self) -> &[u8] {
        if self.at < self.held.len() {
            return self.held.get(self.at..).unwrap_or_default();
        }
        self.inner.fill_buf().unwrap_or_default()
    }

    /// Buffers more of the source after what is buffered; false at its end or on an
    /// error (which the reader meets again when it reads on).
    pub(super) fn more(&mut self) -> bool {
        if self.at >= self.held.len() {
            self.held.clear();
            self.at = 0;
            let Ok(now) = self.inner.fill_buf() else {
                return false;
            };
            let n = now.len();
            self.held.extend_from_slice(now);
            self.inner.consume(n);
        } else if self.at > 0 {
            self.held.drain(..self.at);
            self.at = 0;
        }
        let Ok(next) = self.inner.fill_buf() else {
            return false;
        };
        let n = next.len();
        self.held.extend_from_slice(next);
        self.inner.consume(n);
        n > 0
    }
}

impl<R: BufRead> Read for Ahead<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let have = self.fill_buf()?;
        let n = have.len().min(out.len());
        out[..n].copy_from_slice(&have[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Ahead<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at < self.held.len() {
            return Ok(self.held.get(self.at..).unwrap_or_default());
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if self.at < self.held.len() {
            self.at = (self.at + amt).min(self.held.len());
        } else {
            self.inner.consume(amt);
        }
    }
}

/// What the cutter found after a start tag.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Cut {
    /// The element's content is `..content` and its end tag ends at `end`.
    Found { content: usize, end: usize },
    /// More bytes are needed to find the end.
    More,
    /// The element is left to the main reader.
    Unsure,
}

/// Finds the end of the element whose start tag named `qname` came just before `s`.
pub(super) fn cut(s: &[u8], qname: &[u8]) -> Cut {
    let mut i = 0;
    let mut depth = 0usize;
    loop {
        let Some(lt) = s
            .get(i..)
            .and_then(|r| memchr::memchr(b'<', r))
            .map(|p| i + p)
        else {
            return Cut::More;
        };
        let Some(next) = s.get(lt + 1) else {
            return Cut::More;
        };
        match next {
            b'!' | b'?' => return Cut::Unsure,
            b'/' => {
                let Some(gt) = s
                    .get(lt + 2..)
                    .and_then(|r| memchr::memchr(b'>', r))
                    .map(|p| lt + 2 + p)
                else {
                    return Cut::More;
                };
                if depth == 0 {
                    return if s.get(lt + 2..gt) == Some(qname) {
                        Cut::Found {
                            content: lt,
                            end: gt + 1,
                        }
                    } else {
                        Cut::Unsure
                    };
                }
                depth -= 1;
                i = gt + 1;
            }
            _ => {
                // A start or empty tag: up to the first `>` outside quotes.
                let mut j = lt + 1;
                let gt = loop {
                    let Some(p) = s
                        .get(j..)
                        .and_then(|r| memchr::memchr3(b'>', b'"', b'\'', r))
                        .map(|p| j + p)
                    else {
                        return Cut::More;
                    };
                    let q = s[p];
                    if q == b'>' {
                        break p;
                    }
                    let Some(close) = s
                        .get(p + 1..)
                        .and_then(|r| memchr::memchr(q, r))
                        .map(|c| p + 1 + c)
                    else {
                        return Cut::More;
                    };
                    j = close + 1;
                };
                if s.get(gt - 1) != Some(&b'/') || gt - 1 == lt {
                    depth += 1;
                }
                i = gt + 1;
            }
        }
    }
}

/// Reads the bytes of one cut element (start tag to end tag, which begin at `base` in
/// the file) into `tree`, as the main reader captures an element. An error is given with
/// its offset in the file and the reader's reason, as the main reader gives it.
pub(super) fn tokenise(bytes: &[u8], base: u64, tree: &mut Tree) -> Result<(), (u64, String)> {
    tree.reset();
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut open: Vec<usize> = Vec::new();
    loop {
        let pos = base + reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err((base + reader.error_position(), e.to_string())),
        };
        match event {
            Event::Start(s) => {
                let name = s.local_name().into_inner();
                let idx = tree.push(
                    name,
                    currency_attr(&s, name).as_deref(),
                    pos,
                    open.last().copied(),
                );
                open.push(idx);
            }
            Event::Empty(s) => {
                if open.is_empty() {
                    break;
                }
                let name = s.local_name().into_inner();
                tree.push(name, None, pos, open.last().copied());
            }
            Event::Text(t) => {
                if let Some(n) = open.last() {
                    tree.append(*n, &t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(n) = open.last() {
                    tree.append(*n, &t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(n) = open.last()
                    && let Some(c) = super::resolve(&r)
                {
                    tree.append(*n, c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::End(_) => {
                open.pop();
                if open.is_empty() {
                    let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                    if at == bytes.len() {
                        return Ok(());
                    }
                    break;
                }
            }
            _ => break,
        }
    }
    // The cutter lets through only what ends with the element's own end tag; this is not
    // reached on what it lets through.
    Err((
        base + reader.buffer_position(),
        "the element could not be read on its own".to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_an_entry_is_found_past_nested_elements_and_quoted_brackets() {
        let s = b"<A a=\"x>y\"><B/><C>t</C></A>\n</Ntry><Ntry>";
        let Cut::Found { content, end } = cut(s, b"Ntry") else {
            panic!("not found");
        };
        assert_eq!(&s[content..end], b"</Ntry>");
        assert_eq!(cut(b"<A a='</Ntry>'>", b"Ntry"), Cut::More);
        assert_eq!(cut(b"<A><!-- x --></A></Ntry>", b"Ntry"), Cut::Unsure);
        assert_eq!(cut(b"<A/></Ntry >", b"Ntry"), Cut::Unsure);
        assert_eq!(cut(b"<A/></ns:Ntry>", b"Ntry"), Cut::Unsure);
        assert_eq!(cut(b"<A>x</A></Stmt>", b"Ntry"), Cut::Unsure);
        assert_eq!(cut(b"<A>x</A></Nt", b"Ntry"), Cut::More);
    }

    #[test]
    fn looking_ahead_keeps_what_is_looked_at_for_the_reader() {
        let text = b"0123456789abcdef".repeat(10);
        let mut a = Ahead::new(std::io::BufReader::with_capacity(7, &text[..]));
        assert_eq!(a.buffered().len(), 7);
        assert!(a.more());
        assert_eq!(a.buffered().len(), 14);
        let mut first = [0u8; 10];
        a.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"0123456789");
        assert!(a.more());
        let mut rest = Vec::new();
        a.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, &text[10..]);
    }
}
