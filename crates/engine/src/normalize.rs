//! Text normalisation before matching.
//!
//! ASR output and deliberate evasions differ from the phrases a rule author writes: traditional
//! characters (傷害 → 伤害), full-width letters and digits (ＡＰＰ１２ → app12), upper case, and
//! whitespace or symbols inserted between characters (傻 逼, 废*物). The normaliser folds all of
//! these, keeps clause boundaries as a single marker character, and records for every byte of
//! the normalised text which character of the original it came from, so that findings point at
//! the original span.

use std::sync::OnceLock;

/// Marker written for a clause boundary (，。；：、 and line breaks).
pub const CLAUSE: char = '|';
/// Marker written between two segments when a whole call is normalised into one buffer.
pub const SEGMENT: char = '\u{1}';

/// Is this byte a clause or segment boundary in normalised text?
#[inline]
pub fn is_boundary(b: u8) -> bool {
    matches!(b, b'|' | b'!' | b'?' | 1)
}

/// Normalised text with a byte → original-character map.
#[derive(Debug, Default, Clone)]
pub struct NormText {
    pub text: String,
    /// For each byte of `text`, the index of the original character it came from, counted in
    /// chars of the original string.
    pub map: Vec<u32>,
}

impl NormText {
    /// Normalise `src` keeping the map (used for phrases and to locate evidence).
    pub fn of(src: &str) -> NormText {
        let mut n = NormText::default();
        normalize_into(src, &mut n.text, Some(&mut n.map));
        n
    }
    /// Original character range `[from, to)` for a normalised byte range.
    pub fn orig_span(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self
            .map
            .get(start)
            .copied()
            .unwrap_or_else(|| self.map.last().map_or(0, |l| l + 1)) as usize;
        let e = if end > start {
            self.map
                .get(end - 1)
                .or(self.map.last())
                .map_or(0, |l| *l as usize + 1)
        } else {
            s
        };
        (s, e.max(s))
    }
}

/// Traditional → simplified table for single characters, derived once from OpenCC's T2S
/// dictionaries (phrase-level conversions do not matter for matching).
struct T2s {
    base: u32,
    table: Vec<char>,
    flags: Vec<u8>,
}

const SAME: u8 = 1;
const NUMERAL: u8 = 2;
const HAO: u8 = 4;

const T2S_RANGES: [(u32, u32); 3] = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)];

fn t2s() -> &'static T2s {
    static TABLE: OnceLock<T2s> = OnceLock::new();
    TABLE.get_or_init(|| {
        let base = 0x3400;
        let top = 0xFAFF;
        let mut table: Vec<char> = (base..=top)
            .map(|c| char::from_u32(c).unwrap_or('\0'))
            .collect();
        if let Ok(cc) =
            ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::T2s)
        {
            for (lo, hi) in T2S_RANGES {
                let chars: Vec<char> = (lo..=hi).filter_map(char::from_u32).collect();
                let joined: String = chars.iter().flat_map(|c| [*c, '\n']).collect();
                let out = cc.convert(&joined);
                let lines: Vec<&str> = out.split('\n').collect();
                if lines.len() < chars.len() {
                    continue;
                }
                for (c, l) in chars.iter().zip(lines) {
                    let mut it = l.chars();
                    if let (Some(s), None) = (it.next(), it.next())
                        && s != *c
                    {
                        table[(*c as u32 - base) as usize] = s;
                    }
                }
            }
        }
        // Gender and politeness variants read the same for matching (ASR confuses them).
        for (from, to) in [('她', '他'), ('祂', '他'), ('妳', '你'), ('您', '你')] {
            table[(from as u32 - base) as usize] = to;
        }
        // Per-character flags for the fast path: unchanged, numeral, 号.
        let flags = table
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let same = *c as u32 == base + k as u32;
                (u8::from(same) * SAME)
                    | (u8::from(is_numeral(*c)) * NUMERAL)
                    | (u8::from(*c == '号') * HAO)
            })
            .collect();
        T2s { base, table, flags }
    })
}

/// Make sure the conversion table is built (so the first inspection isn't slower).
pub fn warm_up() {
    let _ = t2s();
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Keep(char),
    Break,
    Filler,
}

#[inline]
fn classify(c: char, t: &T2s) -> Class {
    let u = c as u32;
    // Fast path: CJK ideographs (no punctuation lives in this range).
    if (t.base..t.base + t.table.len() as u32).contains(&u) && (u <= 0x9FFF || u >= 0xF900) {
        return Class::Keep(t.table[(u - t.base) as usize]);
    }
    match c {
        'a'..='z' | '0'..='9' => Class::Keep(c),
        'A'..='Z' => Class::Keep(c.to_ascii_lowercase()),
        '，' | '。' | '；' | '：' | '、' | ',' | ';' | ':' | '\n' | '\r' | '｡' | '､' | '|' => {
            Class::Break
        }
        '!' | '！' => Class::Keep('!'),
        '?' | '？' => Class::Keep('?'),
        '\u{FF10}'..='\u{FF19}' => Class::Keep(char::from(b'0' + (c as u32 - 0xFF10) as u8)),
        '\u{FF21}'..='\u{FF3A}' => Class::Keep(char::from(b'a' + (c as u32 - 0xFF21) as u8)),
        '\u{FF41}'..='\u{FF5A}' => Class::Keep(char::from(b'a' + (c as u32 - 0xFF41) as u8)),
        '\u{FF0E}' => Class::Keep('.'),
        '.' => Class::Keep('.'),
        '%' | '％' => Class::Keep('%'),
        _ if c.is_ascii() => Class::Filler,
        _ => {
            if c.is_alphanumeric() {
                Class::Keep(c)
            } else {
                // Symbols, punctuation, whitespace, zero-width and control characters.
                Class::Filler
            }
        }
    }
}

/// What the normalised text holds, so that entity detection can skip text that cannot hold an
/// entity of a kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// A digit or a Chinese numeral.
    pub numeric: bool,
    /// A run of at least 11 digits or numerals (ID, card, account or phone numbers).
    pub long_number: bool,
    /// 号 (addresses).
    pub hao: bool,
}

/// Told of every character the fast normaliser writes, with its byte offset in the output
/// (the scan's compact code is built this way, in the same pass).
pub(crate) trait Sink {
    /// `c` was written at byte `at` of the output.
    fn char_at(&mut self, c: char, at: usize);
    /// A CJK ideograph `u` (0x3400..=0x9FFF) was written at byte `at`.
    #[inline]
    fn cjk_at(&mut self, u: u32, at: usize) {
        if let Some(c) = char::from_u32(u) {
            self.char_at(c, at);
        }
    }
    /// The ASCII byte `b` was written at byte `at`.
    #[inline]
    fn ascii_at(&mut self, b: u8, at: usize) {
        self.char_at(char::from(b), at);
    }
}

impl Sink for () {
    #[inline(always)]
    fn char_at(&mut self, _: char, _: usize) {}
    #[inline(always)]
    fn cjk_at(&mut self, _: u32, _: usize) {}
    #[inline(always)]
    fn ascii_at(&mut self, _: u8, _: usize) {}
}

/// Append the normalised form of `src` to `out`; with `map`, also record for each output byte
/// the index of the original character.
pub fn normalize_into(src: &str, out: &mut String, map: Option<&mut Vec<u32>>) -> Flags {
    normalize_sink(src, out, map, &mut ())
}

/// [`normalize_into`] without a map, telling `sink` of every character written.
pub(crate) fn normalize_coded(src: &str, out: &mut String, sink: &mut impl Sink) -> Flags {
    normalize_sink(src, out, None, sink)
}

#[inline(always)]
fn normalize_sink(
    src: &str,
    out: &mut String,
    map: Option<&mut Vec<u32>>,
    sink: &mut impl Sink,
) -> Flags {
    let t = t2s();
    out.reserve(src.len() + 2);
    let mut st = State::default();
    if let Some(m) = map {
        for (i, (bi, c)) in src.char_indices().enumerate() {
            st.step(
                t,
                c,
                &src[bi + c.len_utf8()..],
                &src[bi..bi + c.len_utf8()],
                out,
                Some((m, i as u32)),
            );
        }
        return st.flags;
    }
    // Fast path for the common case: CJK ideographs (three bytes each in UTF-8) that need no
    // change are copied in runs; every other character takes the general step.
    let b = src.as_bytes();
    let mut i = 0;
    let mut pending = 0; // start of the run of unchanged bytes not yet copied
    while i < b.len() {
        let x = b[i];
        if (0xE3..=0xE9).contains(&x) && i + 2 < b.len() {
            let u = ((u32::from(x) & 0x0F) << 12)
                | ((u32::from(b[i + 1]) & 0x3F) << 6)
                | (u32::from(b[i + 2]) & 0x3F);
            if (0x3400..=0x9FFF).contains(&u) {
                let f = t.flags[(u - t.base) as usize];
                st.last_break = false;
                if f & NUMERAL != 0 {
                    st.flags.numeric = true;
                    st.run += 1;
                    st.flags.long_number |= st.run >= 11;
                } else {
                    st.run = 0;
                    st.flags.hao |= f & HAO != 0;
                }
                if f & SAME == 0 {
                    out.push_str(&src[pending..i]);
                    let k = t.table[(u - t.base) as usize];
                    sink.char_at(k, out.len());
                    out.push(k);
                    pending = i + 3;
                } else {
                    sink.cjk_at(u, out.len() + (i - pending));
                }
                i += 3;
                continue;
            }
        }
        // ASCII kept as it is (digits, lower-case letters, ! ? %) stays in the pending run;
        // spaces are dropped.
        match x {
            b'0'..=b'9' => {
                sink.ascii_at(x, out.len() + (i - pending));
                st.last_break = false;
                st.flags.numeric = true;
                st.run += 1;
                st.flags.long_number |= st.run >= 11;
                i += 1;
                continue;
            }
            b'a'..=b'z' | b'!' | b'?' | b'%' => {
                sink.ascii_at(x, out.len() + (i - pending));
                st.last_break = false;
                st.run = 0;
                i += 1;
                continue;
            }
            b' ' | b'\t' => {
                out.push_str(&src[pending..i]);
                i += 1;
                pending = i;
                continue;
            }
            _ => {}
        }
        out.push_str(&src[pending..i]);
        let Some(c) = src[i..].chars().next() else {
            break;
        };
        let len = c.len_utf8();
        let before = out.len();
        st.step(t, c, &src[i + len..], &src[i..i + len], out, None);
        for (k, c) in out[before..].char_indices() {
            sink.char_at(c, before + k);
        }
        i += len;
        pending = i;
    }
    out.push_str(&src[pending..]);
    st.flags
}

struct State {
    flags: Flags,
    /// Length of the current run of digits and numerals.
    run: u32,
    /// Collapse runs of breaks and drop a leading one.
    last_break: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            flags: Flags::default(),
            run: 0,
            last_break: true,
        }
    }
}

impl State {
    #[inline]
    fn kept(&mut self, k: char) {
        self.last_break = false;
        if k.is_ascii_digit() || is_numeral(k) {
            self.flags.numeric = true;
            self.run += 1;
            self.flags.long_number |= self.run >= 11;
        } else {
            self.run = 0;
            self.flags.hao |= k == '号';
        }
    }

    #[inline]
    fn step(
        &mut self,
        t: &T2s,
        c: char,
        rest: &str,
        raw: &str,
        out: &mut String,
        map: Option<(&mut Vec<u32>, u32)>,
    ) {
        let next_digit = || {
            rest.chars()
                .next()
                .is_some_and(|n| n.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&n))
        };
        let prev_digit = || out.as_bytes().last().is_some_and(u8::is_ascii_digit);
        let class = match classify(c, t) {
            // A thousands separator (29,384.89) is not a clause break.
            Class::Break if (c == ',' || c == '，') && prev_digit() && next_digit() => {
                Class::Filler
            }
            // A '.' is kept only as a decimal point between digits; elsewhere it is a filler.
            Class::Keep('.') => {
                if prev_digit() && next_digit() {
                    Class::Keep('.')
                } else {
                    Class::Filler
                }
            }
            other => other,
        };
        match class {
            Class::Keep(k) => {
                self.kept(k);
                if k == c {
                    out.push_str(raw);
                } else {
                    out.push(k);
                }
                if let Some((m, o)) = map {
                    m.extend_from_slice(&[o, o, o, o][..k.len_utf8()]);
                }
            }
            Class::Break => {
                self.run = 0;
                if !self.last_break {
                    out.push(CLAUSE);
                    if let Some((m, o)) = map {
                        m.push(o);
                    }
                    self.last_break = true;
                }
            }
            Class::Filler => {}
        }
    }
}

#[inline]
fn is_numeral(c: char) -> bool {
    matches!(
        c,
        '零' | '〇'
            | '一'
            | '二'
            | '两'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '千'
            | '万'
            | '幺'
    )
}

/// Normalise a phrase written in a rule pack the same way as the text it will be matched in.
/// A phrase that starts or ends with a clause break (`|`, `，`, `。` …) only matches at a clause
/// boundary: `|是我|` is a whole clause "是我". Every segment starts and ends with a boundary.
pub fn normalize_phrase(p: &str) -> String {
    let mut n = String::new();
    normalize_into(p, &mut n, None);
    let lead = p
        .trim_start()
        .chars()
        .next()
        .is_some_and(|c| classify(c, t2s()) == Class::Break);
    let mut out = String::with_capacity(n.len() + 1);
    if lead && !n.is_empty() {
        out.push(CLAUSE);
    }
    out.push_str(&n);
    if out.chars().all(|c| c == CLAUSE) {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        NormText::of(s).text
    }

    #[test]
    fn folds_width_case_and_traditional() {
        assert_eq!(norm("ＡＰＰ　還款１２３元"), "app还款123元");
        assert_eq!(norm("我們會聯繫您單位"), "我们会联系你单位");
        assert_eq!(norm("她老公"), "他老公");
        assert_eq!(norm("傷害"), "伤害");
    }

    #[test]
    fn removes_fillers_keeps_clauses() {
        assert_eq!(norm("傻 逼"), "傻逼");
        assert_eq!(norm("废*物"), "废物");
        assert_eq!(norm("废-_-物"), "废物");
        assert_eq!(norm("你好，我是小王。"), "你好|我是小王|");
        assert_eq!(norm("1.5万 a.b"), "1.5万ab");
        assert_eq!(norm("共29,384.89元，好"), "共29384.89元|好");
        assert_eq!(norm("真的吗？！"), "真的吗?!");
    }

    #[test]
    fn fast_path_equals_mapped_path() {
        for src in [
            "ＡＰＰ　還款１２３元，傻 逼。1.5万a.b她您",
            "喂您好請問是張先生嗎？一万二千八。",
            "\u{1}|，，x😡",
            "",
        ] {
            let mut fast = String::new();
            let n1 = normalize_into(src, &mut fast, None);
            let mut slow = String::new();
            let mut map = Vec::new();
            let n2 = normalize_into(src, &mut slow, Some(&mut map));
            assert_eq!(fast, slow);
            assert_eq!(n1, n2);
            assert_eq!(map.len(), slow.len());
        }
    }

    #[test]
    fn maps_back_to_original_chars() {
        let src = "您 好，傻*逼";
        let n = NormText::of(src);
        let start = n.text.find("傻逼").unwrap();
        let (s, e) = n.orig_span(start, start + "傻逼".len());
        let orig: String = src.chars().skip(s).take(e - s).collect();
        assert_eq!(orig, "傻*逼");
    }
}
