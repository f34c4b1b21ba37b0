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
    pub fn clear(&mut self) {
        self.text.clear();
        self.map.clear();
    }
    /// Original character range for a normalised byte range.
    pub fn orig_span(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.map.get(start).copied().unwrap_or(0) as usize;
        // `end` is exclusive: map the last byte of the range and step past its character.
        let e = if end > start {
            self.map.get(end - 1).copied().unwrap_or(0) as usize + 1
        } else {
            s
        };
        (s, e)
    }
}

/// Traditional → simplified table for single characters, derived once from OpenCC's T2S
/// dictionaries (phrase-level conversions do not matter for matching).
struct T2s {
    base: u32,
    table: Vec<char>,
}

const T2S_RANGES: [(u32, u32); 3] = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)];

fn t2s() -> &'static T2s {
    static TABLE: OnceLock<T2s> = OnceLock::new();
    TABLE.get_or_init(|| {
        let base = 0x3400;
        let top = 0xFAFF;
        let mut table: Vec<char> = (base..=top).map(|c| char::from_u32(c).unwrap_or('\0')).collect();
        if let Ok(cc) = ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::T2s) {
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
        T2s { base, table }
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
    match c {
        'a'..='z' | '0'..='9' => Class::Keep(c),
        'A'..='Z' => Class::Keep(c.to_ascii_lowercase()),
        // Gender and politeness variants read the same for matching (ASR confuses them).
        '她' | '祂' => Class::Keep('他'),
        '妳' | '您' => Class::Keep('你'),
        '，' | '。' | '；' | '：' | '、' | ',' | ';' | ':' | '\n' | '\r' | '｡' | '､' | '|' => Class::Break,
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
            let u = c as u32;
            if (t.base..t.base + t.table.len() as u32).contains(&u) {
                let m = t.table[(u - t.base) as usize];
                if m != '\0' {
                    return Class::Keep(m);
                }
            }
            if c.is_alphanumeric() {
                Class::Keep(c)
            } else {
                // Symbols, punctuation, whitespace, zero-width and control characters.
                Class::Filler
            }
        }
    }
}

/// Append the normalised form of `src` to `out`. Original character indices in `out.map` are
/// counted from the start of `src`.
pub fn normalize_into(src: &str, out: &mut NormText) {
    let t = t2s();
    out.text.reserve(src.len());
    out.map.reserve(src.len() + 1);
    let mut last_break = true; // collapse runs of breaks and drop a leading one
    for (i, (bi, c)) in src.char_indices().enumerate() {
        let class = classify(c, t);
        let class = match class {
            // A '.' is kept only as a decimal point between digits; elsewhere it is a filler.
            Class::Keep('.') => {
                let prev_digit = out.text.as_bytes().last().is_some_and(u8::is_ascii_digit);
                let next_digit = src[bi + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_some_and(|n| n.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&n));
                if prev_digit && next_digit { Class::Keep('.') } else { Class::Filler }
            }
            other => other,
        };
        match class {
            Class::Keep(k) => {
                push(out, k, i);
                last_break = false;
            }
            Class::Break => {
                if !last_break {
                    push(out, CLAUSE, i);
                    last_break = true;
                }
            }
            Class::Filler => {}
        }
    }
}

#[inline]
fn push(out: &mut NormText, c: char, orig: usize) {
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    out.text.push_str(s);
    for _ in 0..s.len() {
        out.map.push(orig as u32);
    }
}

/// Normalise a phrase written in a rule pack the same way as the text it will be matched in.
/// A phrase that starts or ends with a clause break (`|`, `，`, `。` …) only matches at a clause
/// boundary: `|是我|` is a whole clause "是我". Every segment starts and ends with a boundary.
pub fn normalize_phrase(p: &str) -> String {
    let mut n = NormText::default();
    normalize_into(p, &mut n);
    let lead = p.trim_start().chars().next().is_some_and(|c| classify(c, t2s()) == Class::Break);
    let mut out = String::with_capacity(n.text.len() + 1);
    if lead && !n.text.is_empty() {
        out.push(CLAUSE);
    }
    out.push_str(&n.text);
    if out.chars().all(|c| c == CLAUSE) {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        let mut n = NormText::default();
        normalize_into(s, &mut n);
        n.text
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
        assert_eq!(norm("真的吗？！"), "真的吗?!");
    }

    #[test]
    fn maps_back_to_original_chars() {
        let src = "您 好，傻*逼";
        let mut n = NormText::default();
        normalize_into(src, &mut n);
        let start = n.text.find("傻逼").unwrap();
        let (s, e) = n.orig_span(start, start + "傻逼".len());
        let orig: String = src.chars().skip(s).take(e - s).collect();
        assert_eq!(orig, "傻*逼");
    }
}
