//! The phrase scan over a compact code of the normalised text instead of its UTF-8.
//!
//! Every Chinese character takes three bytes in UTF-8, so an automaton over UTF-8 makes about
//! three transitions per character and has about three states per phrase character: the scan
//! is bound by memory. At compile time the characters of all phrases (the alphabet) get codes
//! of one byte (the most frequent) or two (a lead byte and a trail byte, from ranges of their
//! own); any other character is `0xFF`, which no phrase holds, and a run of them one `0xFF`.
//! Like UTF-8 the code is self-synchronising (a phrase's code can only match at a character
//! boundary) and it is injective on the alphabet, so the matches over the code are exactly the
//! matches over the text, in the same order; the scan maps them back to byte offsets of the
//! normalised text. The normaliser writes the code as it writes the text ([`Encoder`]).
//!
//! The byte values in use are kept to at most 128 (one-byte codes, lead and trail bytes in
//! `0..127`, and `0xFF`), so that the automaton's rows have 128 entries rather than 256.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::normalize::Sink;

const CJK_LO: u32 = 0x3400;
const CJK_HI: u32 = 0x9FFF;
/// Byte values available to codes: `0..BYTES`; `UNKNOWN` (and every other byte value) is one
/// more byte class, so the automaton's rows have at most 128 entries.
const BYTES: usize = 127;
/// The code of every character outside the alphabet.
const UNKNOWN: u8 = 0xFF;

/// A character's code in the tables: `0` not in the alphabet, `TWO | lead << 8 | trail` for a
/// two-byte code, else one byte, the value less one.
const TWO: usize = 0x8000;

/// The bytes of a code from the tables.
#[inline(always)]
fn code_bytes(v: u16) -> ([u8; 2], usize) {
    if v == 0 {
        ([UNKNOWN, 0], 1)
    } else if usize::from(v) & TWO == 0 {
        ([(v - 1) as u8, 0], 1)
    } else {
        ([(v >> 8) as u8 & 0x7F, v as u8], 2)
    }
}

/// Character → code.
struct Coder {
    ascii: [u16; 128],
    cjk: Vec<u16>,
    /// Other characters of the alphabet, sorted.
    other: Vec<(char, u16)>,
}

/// How many one-byte codes, lead bytes and trail bytes an alphabet of `n` characters gets:
/// as many one-byte codes as fit in 127 byte values, else as few byte values as possible
/// beyond 127 (at most 127 + 64 · 64 characters).
fn layout(n: usize, bytes: usize) -> Option<(usize, usize, usize)> {
    if n <= bytes {
        return Some((n, 0, 0));
    }
    (0..bytes).rev().find_map(|n1| {
        let rest = bytes - n1;
        let (nl, nt) = (rest / 2, rest - rest / 2);
        (n1 + nl * nt >= n).then_some((n1, nl, nt))
    })
}

impl Coder {
    fn new(patterns: &[String]) -> Option<Coder> {
        let mut freq: std::collections::HashMap<char, usize> = Default::default();
        for p in patterns {
            for c in p.chars() {
                *freq.entry(c).or_default() += 1;
            }
        }
        let mut chars: Vec<(char, usize)> = freq.into_iter().collect();
        // Most frequent first; ties by character, so that codes do not depend on hash order.
        chars.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let (n1, _, nt) = layout(chars.len(), BYTES)?;
        let mut coder = Coder {
            ascii: [0; 128],
            cjk: vec![0; (CJK_HI - CJK_LO + 1) as usize],
            other: Vec::new(),
        };
        for (k, (c, _)) in chars.iter().enumerate() {
            // Byte values: one-byte codes, then trail bytes, then lead bytes (`0..n1 + nt + nl`).
            let code = if k < n1 {
                (k + 1) as u16
            } else {
                let j = k - n1;
                (TWO | ((n1 + nt + j / nt) << 8) | (n1 + j % nt)) as u16
            };
            let u = *c as u32;
            if u < 128 {
                coder.ascii[u as usize] = code;
            } else if (CJK_LO..=CJK_HI).contains(&u) {
                coder.cjk[(u - CJK_LO) as usize] = code;
            } else {
                coder.other.push((*c, code));
            }
        }
        coder.other.sort_unstable();
        Some(coder)
    }

    #[inline]
    fn code(&self, c: char) -> u16 {
        let u = c as u32;
        if u < 128 {
            self.ascii[u as usize]
        } else if (CJK_LO..=CJK_HI).contains(&u) {
            self.cjk[(u - CJK_LO) as usize]
        } else {
            match self.other.binary_search_by(|(o, _)| o.cmp(&c)) {
                Ok(k) => self.other[k].1,
                Err(_) => 0,
            }
        }
    }

    fn encode_pattern(&self, p: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(p.len());
        for c in p.chars() {
            let (b, n) = code_bytes(self.code(c));
            out.extend_from_slice(&b[..n]);
        }
        out
    }
}

/// The code of a normalised text: `codes`, and for each code byte the byte offset in the text
/// of the character it belongs to (`offs`, one more entry for the end, added by the scan).
#[derive(Default)]
pub(crate) struct ScanBuf {
    codes: Vec<u8>,
    offs: Vec<u32>,
    last_unknown: bool,
}

impl ScanBuf {
    pub(crate) fn clear(&mut self) {
        self.codes.clear();
        self.offs.clear();
        self.last_unknown = false;
    }
}

/// Writes the code of the normalised text into a [`ScanBuf`] while the normaliser writes the
/// text; characters must come in the order of their offsets.
pub(crate) struct Encoder<'a> {
    coder: &'a Coder,
    buf: &'a mut ScanBuf,
}

impl Encoder<'_> {
    #[inline(always)]
    fn emit(&mut self, code: u16, at: usize) {
        let b = &mut *self.buf;
        let at = at as u32;
        if code == 0 {
            if !b.last_unknown {
                b.codes.push(UNKNOWN);
                b.offs.push(at);
                b.last_unknown = true;
            }
        } else if usize::from(code) & TWO == 0 {
            b.codes.push((code - 1) as u8);
            b.offs.push(at);
            b.last_unknown = false;
        } else {
            b.codes
                .extend_from_slice(&[(code >> 8) as u8 & 0x7F, code as u8]);
            b.offs.extend_from_slice(&[at, at]);
            b.last_unknown = false;
        }
    }
}

impl Sink for Encoder<'_> {
    #[inline(always)]
    fn char_at(&mut self, c: char, at: usize) {
        let code = self.coder.code(c);
        self.emit(code, at);
    }
    #[inline(always)]
    fn cjk_at(&mut self, u: u32, at: usize) {
        let code = self
            .coder
            .cjk
            .get(u.wrapping_sub(CJK_LO) as usize)
            .copied()
            .unwrap_or(0);
        self.emit(code, at);
    }
    #[inline(always)]
    fn ascii_at(&mut self, b: u8, at: usize) {
        let code = self.coder.ascii[usize::from(b & 0x7F)];
        self.emit(code, at);
    }
}

/// The pack's phrase automaton: over the compact code, or over UTF-8 when the alphabet does
/// not fit the code.
pub(crate) struct Scanner {
    ac: AhoCorasick,
    coder: Option<Coder>,
}

impl Scanner {
    pub(crate) fn new(patterns: &[String]) -> Result<Scanner, String> {
        let Some(coder) = Coder::new(patterns) else {
            return Ok(Scanner {
                ac: crate::compile::build_automaton(patterns)?,
                coder: None,
            });
        };
        let encoded: Vec<Vec<u8>> = patterns.iter().map(|p| coder.encode_pattern(p)).collect();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&encoded)
            .map_err(|e| e.to_string())?;
        Ok(Scanner {
            ac,
            coder: Some(coder),
        })
    }

    /// An encoder that fills `buf` while the normaliser writes the text; `None` when the scan
    /// is over UTF-8 (then `buf` is not used).
    pub(crate) fn encoder<'a>(&'a self, buf: &'a mut ScanBuf) -> Option<Encoder<'a>> {
        self.coder.as_ref().map(|coder| Encoder { coder, buf })
    }

    /// Every (overlapping) match in `text`, as (pattern, start, end) with byte offsets in
    /// `text`, in the order of their end. With a code, `buf` must hold the code of all of
    /// `text` (see [`Scanner::encoder`]).
    #[inline]
    pub(crate) fn scan(&self, text: &str, buf: &mut ScanBuf, mut f: impl FnMut(usize, u32, u32)) {
        if self.coder.is_none() {
            for m in self.ac.find_overlapping_iter(text) {
                f(m.pattern().as_usize(), m.start() as u32, m.end() as u32);
            }
            return;
        }
        buf.offs.push(text.len() as u32);
        for m in self.ac.find_overlapping_iter(buf.codes.as_slice()) {
            f(
                m.pattern().as_usize(),
                buf.offs[m.start()],
                buf.offs[m.end()],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize_coded;

    fn utf8(patterns: &[String], text: &str) -> Vec<(usize, u32, u32)> {
        let ac = crate::compile::build_automaton(patterns).unwrap();
        ac.find_overlapping_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start() as u32, m.end() as u32))
            .collect()
    }

    fn coded(s: &Scanner, text: &str) -> Vec<(usize, u32, u32)> {
        let mut buf = ScanBuf::default();
        let mut enc = s.encoder(&mut buf).unwrap();
        for (at, c) in text.char_indices() {
            enc.char_at(c, at);
        }
        let mut got = Vec::new();
        s.scan(text, &mut buf, |p, a, b| got.push((p, a, b)));
        got
    }

    #[test]
    fn layouts() {
        assert_eq!(layout(100, 127), Some((100, 0, 0)));
        assert_eq!(layout(896, 127), Some((69, 29, 29)));
        assert_eq!(layout(896, 63), Some((3, 30, 30)));
        assert_eq!(layout(63 * 64, 127), Some((0, 63, 64)));
        assert_eq!(layout(63 * 64 + 1, 127), None);
    }

    #[test]
    fn same_matches_as_utf8() {
        // Enough distinct characters for two-byte codes, plus ASCII, markers and others.
        let mut patterns: Vec<String> = ["|是我|", "还钱", "app", "1.5万", "ab?!", "é好", "钱"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for k in 0..300u32 {
            let a = char::from_u32(0x4E00 + k * 7).unwrap();
            let b = char::from_u32(0x4E01 + k * 11).unwrap();
            patterns.push(format!("{a}{b}"));
        }
        patterns.sort();
        patterns.dedup();
        let s = Scanner::new(&patterns).unwrap();
        assert!(s.coder.is_some());
        let mut text = String::from("|是我|\u{1}|还钱app1.5万ab?!é好😀𠀀钱|");
        for k in 0..400u32 {
            text.push(char::from_u32(0x4E00 + k * 5).unwrap());
            if k % 13 == 0 {
                text.push_str("é|\u{1}x");
            }
        }
        // Phrases back to back (overlapping matches), and apart.
        for k in (0..300u32).step_by(3) {
            text.push(char::from_u32(0x4E00 + k * 7).unwrap());
            text.push(char::from_u32(0x4E01 + k * 11).unwrap());
            if k % 2 == 0 {
                text.push_str("é钱");
            }
        }
        let got = coded(&s, &text);
        assert_eq!(got, utf8(&patterns, &text));
        assert!(got.len() > 100, "{}", got.len());
    }

    #[test]
    fn normaliser_writes_the_code() {
        let patterns: Vec<String> = ["还钱", "你好", "app12", "伤害", "1.5万", "?!"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let s = Scanner::new(&patterns).unwrap();
        let src = "您好，ＡＰＰ１２ 還錢，傷 害。1.5万 a.b？！😀还钱";
        let mut text = String::new();
        let mut buf = ScanBuf::default();
        let mut enc = s.encoder(&mut buf).unwrap();
        normalize_coded(src, &mut text, &mut enc);
        let mut got = Vec::new();
        s.scan(&text, &mut buf, |p, a, b| got.push((p, a, b)));
        assert_eq!(got, utf8(&patterns, &text));
        assert_eq!(got.len(), 7, "{text} {got:?}");
    }
}
