//! Masking of personal data for the roles that see it masked (`docs/api.md`, "Roles and
//! scope"): mobile numbers `138****0000`, ID numbers `110105********002X`, bank cards
//! `6222 **** **** 1234`, street addresses after the district (`朝阳区*********`).
//!
//! Every mask replaces one character by one `*`, so character offsets into the text (the
//! findings' spans) stay valid. Numbers are found in the original text, written with ASCII or
//! full-width digits (optionally grouped by single spaces or hyphens) or read out in Chinese
//! digits (一三八…, at least 11 of them).

use std::sync::OnceLock;

use regex::Regex;
use zhijian_store::Detail;

fn ascii_digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => Some((c as u32 - '０' as u32) as u8),
        _ => None,
    }
}

fn cn_digit(c: char) -> Option<u8> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '幺' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '-' | '－' | '\u{3000}')
}

fn is_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

/// GB 11643 check character of an 18-character ID number.
fn id_checksum_ok(d: &[u8], x_last: bool) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    if d.len() != 18 {
        return false;
    }
    let s: u32 = d[..17].iter().zip(W).map(|(v, w)| u32::from(*v) * w).sum();
    let want = C[(s % 11) as usize];
    if x_last {
        want == b'X'
    } else {
        want == b'0' + d[17]
    }
}

/// Whether the digits at `at` read as a birth date `YYYYMMDD` (1900–2099).
fn birth_date_at(d: &[u8], at: usize) -> bool {
    let Some(x) = d.get(at..at + 8) else {
        return false;
    };
    let num = |s: &[u8]| s.iter().fold(0u32, |n, v| n * 10 + u32::from(*v));
    let (y, m, day) = (num(&x[..4]), num(&x[4..6]), num(&x[6..8]));
    (1900..=2099).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&day)
}

/// Digits of the group that starts at `i` (up to the next non-digit).
fn group_len(chars: &[char], i: usize, digit: fn(char) -> Option<u8>) -> usize {
    chars[i..]
        .iter()
        .take_while(|c| digit(**c).is_some())
        .count()
}

/// How many leading and trailing digits of a number of `n` digits stay visible, or `None`
/// when the number is not masked.
fn keep(digits: &[u8], x_last: bool) -> Option<(usize, usize)> {
    let n = digits.len();
    if x_last
        || n == 15
        || (n == 18 && (id_checksum_ok(digits, x_last) || birth_date_at(digits, 6)))
    {
        // ID number: region code (6) and the last 4.
        return Some((6, 4));
    }
    match n {
        16..=19 => Some((4, 4)),              // bank card
        11 if digits[0] == 1 => Some((3, 4)), // mobile
        10.. => Some((3, 4)),                 // landline with area code, accounts
        _ => None,
    }
}

fn address_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"\p{Han}{0,12}?",
            r"(?:(?:路|街|大道|大街|巷|弄|胡同|村)[0-9０-９一二三四五六七八九十百零]{1,5}(?:号|弄)(?:院|楼)?",
            r"|(?:小区|花园|公寓|大厦|新村|家园|苑|广场)[0-9０-９一二三四五六七八九十零]{1,4}(?:栋|幢|号楼|单元|号))",
            r"(?:[0-9０-９一二三四五六七八九十零]{1,4}(?:栋|幢|号楼|单元|室|楼|层|号))*"
        ))
        .expect("address pattern")
    })
}

/// Characters after which the street part of an address begins.
const DISTRICT_ENDS: &[char] = &['区', '县', '旗', '镇', '乡', '市'];
const STREET_ENDS: &[&str] = &[
    "路", "街", "大道", "巷", "弄", "胡同", "村", "小区", "花园", "公寓", "大厦", "新村", "家园",
    "苑", "广场",
];

/// The text with personal data masked; as many characters as the input.
pub fn mask_text(s: &str) -> String {
    if !s
        .chars()
        .any(|c| ascii_digit(c).is_some() || cn_digit(c).is_some())
    {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut masked = vec![false; chars.len()];
    mask_numbers(&chars, &mut masked);
    mask_addresses(s, &mut masked);
    chars
        .iter()
        .zip(&masked)
        .map(|(c, m)| if *m { '*' } else { *c })
        .collect()
}

fn mask_numbers(chars: &[char], masked: &mut [bool]) {
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if ascii_digit(c).is_some() {
            // Digits with single separators between them, and an ID's trailing X.
            let mut pos = vec![i];
            let mut digits = vec![ascii_digit(c).unwrap_or(0)];
            let mut j = i + 1;
            let mut x_last = false;
            while j < chars.len() {
                if let Some(d) = ascii_digit(chars[j]) {
                    digits.push(d);
                    pos.push(j);
                    j += 1;
                } else if is_sep(chars[j])
                    && j + 1 < chars.len()
                    && ascii_digit(chars[j + 1]).is_some()
                    // Groups of 3 digits or more (138 0000 1234, 6222 0212 …), not dates.
                    && group_len(chars, j + 1, ascii_digit) >= 3
                    && chars[..j].iter().rev().take_while(|c| ascii_digit(**c).is_some()).count() >= 3
                {
                    j += 1;
                } else {
                    break;
                }
            }
            if j < chars.len() && is_x(chars[j]) && (digits.len() == 17 || digits.len() == 14) {
                x_last = true;
                digits.push(10);
                pos.push(j);
                j += 1;
            }
            apply(&digits, &pos, x_last, masked);
            i = j;
        } else if cn_digit(c).is_some() {
            let mut pos = Vec::new();
            let mut digits = Vec::new();
            let mut j = i;
            while j < chars.len() {
                if let Some(d) = cn_digit(chars[j]) {
                    digits.push(d);
                    pos.push(j);
                    j += 1;
                } else if is_sep(chars[j])
                    && j + 1 < chars.len()
                    && cn_digit(chars[j + 1]).is_some()
                    && group_len(chars, j + 1, cn_digit) >= 3
                {
                    j += 1;
                } else {
                    break;
                }
            }
            if digits.len() >= 11 {
                apply(&digits, &pos, false, masked);
            }
            i = j;
        } else {
            i += 1;
        }
    }
}

fn apply(digits: &[u8], pos: &[usize], x_last: bool, masked: &mut [bool]) {
    if let Some((head, tail)) = keep(digits, x_last) {
        let n = pos.len();
        for &p in &pos[head.min(n)..n.saturating_sub(tail).max(head.min(n))] {
            masked[p] = true;
        }
    }
}

fn mask_addresses(s: &str, masked: &mut [bool]) {
    if !s.contains(['号', '栋', '幢', '单', '室']) {
        return;
    }
    // byte offset -> char index
    let starts: Vec<usize> = s.char_indices().map(|(b, _)| b).collect();
    let char_at = |b: usize| starts.partition_point(|&x| x < b);
    for m in address_re().find_iter(s) {
        let text = m.as_str();
        // Where the street part begins: after the last district word before the street
        // suffix; without one, after the street suffix (the road name stays, the number goes).
        let street_at = STREET_ENDS
            .iter()
            .filter_map(|e| text.find(e).map(|p| (p, e.len())))
            .min();
        let Some((street, street_len)) = street_at else {
            continue;
        };
        let cut = text[..street]
            .char_indices()
            .filter(|(_, c)| DISTRICT_ENDS.contains(c))
            .map(|(b, c)| b + c.len_utf8())
            .next_back()
            .unwrap_or(street + street_len);
        let from = char_at(m.start() + cut);
        let to = char_at(m.end());
        for x in &mut masked[from..to] {
            *x = true;
        }
    }
}

/// A telephone number field: every digit masked but the first 3 and the last 4 (all of them
/// when it has fewer than 8).
pub fn mask_number(s: &str) -> String {
    let n = s.chars().filter(|c| ascii_digit(*c).is_some()).count();
    let mut k = 0;
    s.chars()
        .map(|c| {
            if ascii_digit(c).is_none() {
                return c;
            }
            k += 1;
            if n >= 8 && (k <= 3 || k > n - 4) {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Mask an interaction detail in place: transcript, SMS/note text, contact numbers,
/// complaint summaries, finding excerpts and messages.
pub fn mask_detail(d: &mut Detail) {
    let i = &mut d.interaction;
    for seg in &mut i.segments {
        seg.text = mask_text(&seg.text);
    }
    if let Some(t) = &mut i.text {
        *t = mask_text(t);
    }
    if let Some(n) = i.contact.as_mut().and_then(|c| c.number.as_mut()) {
        *n = mask_number(n);
    }
    if let Some(n) = d.contact.as_mut().and_then(|c| c.number.as_mut()) {
        *n = mask_number(n);
    }
    for c in &mut d.complaints {
        if let Some(s) = &mut c.summary {
            *s = mask_text(s);
        }
    }
    if let Some(ins) = &mut d.inspection {
        for f in &mut ins.findings {
            f.excerpt = mask_text(&f.excerpt);
            f.message = mask_text(&f.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_len(a: &str, b: &str) {
        assert_eq!(a.chars().count(), b.chars().count(), "{a} vs {b}");
    }

    #[test]
    fn phones() {
        let m = mask_text("我的电话是13800000000，打这个");
        assert_eq!(m, "我的电话是138****0000，打这个");
        assert_eq!(mask_text("138-0000-1234"), "138-****-1234");
        assert_eq!(mask_text("１３８００００１２３４"), "１３８****１２３４");
        let spoken = mask_text("号码是一三八零零零零一二三四");
        assert_eq!(spoken, "号码是一三八****一二三四");
        assert_eq!(mask_text("座机02787654321"), "座机027****4321");
    }

    #[test]
    fn ids_and_cards() {
        assert_eq!(
            mask_text("身份证11010519491231002X"),
            "身份证110105********002X"
        );
        assert_eq!(
            mask_text("身份证110105194912310021。"),
            "身份证110105********0021。"
        );
        assert_eq!(
            mask_text("卡号6222 0212 3456 1234"),
            "卡号6222 **** **** 1234"
        );
        assert_eq!(mask_text("卡号6222021234561234"), "卡号6222********1234");
    }

    #[test]
    fn amounts_and_dates_stay() {
        for s in [
            "一共欠款12345.6元，10月15号之前还",
            "还三千五百块",
            "2026-10-01 09:00",
            "第一二三期",
        ] {
            assert_eq!(mask_text(s), s);
        }
    }

    #[test]
    fn addresses() {
        let s = "你住在朝阳区建国路88号3栋2单元吧";
        let m = mask_text(s);
        same_len(s, &m);
        assert_eq!(m, "你住在朝阳区***********吧");
        let s = "地址是建国路88号";
        let m = mask_text(s);
        same_len(s, &m);
        assert_eq!(m, "地址是建国路***");
        let s = "武汉市洪山区光谷小区5栋301室";
        let m = mask_text(s);
        same_len(s, &m);
        assert!(m.starts_with("武汉市洪山区*"), "{m}");
        assert!(!m.contains("301"), "{m}");
    }

    #[test]
    fn number_fields() {
        assert_eq!(mask_number("13800000000"), "138****0000");
        assert_eq!(mask_number("+86 138 0000 1234"), "+86 1** **** 1234");
        assert_eq!(mask_number("12345"), "*****");
    }
}
