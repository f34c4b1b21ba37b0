//! Entity detectors over normalised text: money amounts (Arabic or Chinese numerals), dates,
//! ID-card numbers (GB 11643 checksum), bank-card numbers (Luhn), phone numbers and street
//! addresses. Spans are byte ranges of the normalised text.

use std::sync::OnceLock;

use regex::Regex;

use crate::pack::EntityKind;

#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub kind: EntityKind,
    pub start: usize,
    pub end: usize,
    /// Numeric value for money (yuan).
    pub value: Option<f64>,
}

fn is_cn_digit(c: char) -> bool {
    matches!(
        c,
        '零' | '〇' | '一' | '二' | '两' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '幺'
    )
}

fn cn_digit(c: char) -> Option<u32> {
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

fn is_cn_unit(c: char) -> bool {
    matches!(c, '十' | '百' | '千' | '万' | '亿' | '点')
}

/// Parse a Chinese numeral like 一万两千八百六十点五 (or plain digits read out: 三二零一).
/// What follows `N万` in Arabic digits, and the text after it: `2千` (2 000), `5百` (500),
/// `2000` (four digits: as written), `2` (one digit: the thousands, as 1万2 is said).
fn wan_tail(s: &str) -> Option<(f64, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || s[n..].starts_with('.') {
        return None;
    }
    let d: f64 = s[..n].parse().ok()?;
    let rest = &s[n..];
    // "还2万3号前": a date or a count follows, not the rest of the sum.
    if rest.starts_with([
        '号', '日', '月', '天', '期', '点', '个', '次', '年', '周', '岁', '万',
    ]) {
        return None;
    }
    if let Some(r) = rest.strip_prefix('千') {
        return (n == 1).then_some((d * 1000.0, r));
    }
    if let Some(r) = rest.strip_prefix('百') {
        return (n == 1).then_some((d * 100.0, r));
    }
    match n {
        1 => Some((d * 1000.0, rest)),
        4 => Some((d, rest)),
        _ => None,
    }
}

pub fn parse_cn_number(s: &str) -> Option<f64> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return None;
    }
    if !chars.iter().any(|c| is_cn_unit(*c)) {
        // Digit by digit: 三千 is handled below; 一二三 reads as 123.
        let mut v = 0f64;
        for c in &chars {
            v = v * 10.0 + f64::from(cn_digit(*c)?);
        }
        return Some(v);
    }
    let (int_part, frac_part) = match chars.iter().position(|c| *c == '点') {
        Some(p) => (&chars[..p], Some(&chars[p + 1..])),
        None => (&chars[..], None),
    };
    let mut total = 0f64;
    let mut section = 0f64;
    let mut digit: Option<f64> = None;
    for &c in int_part {
        if let Some(d) = cn_digit(c) {
            digit = Some(f64::from(d));
            continue;
        }
        let unit = match c {
            '十' => 10.0,
            '百' => 100.0,
            '千' => 1000.0,
            '万' => 10_000.0,
            '亿' => 100_000_000.0,
            _ => return None,
        };
        if unit >= 10_000.0 {
            section += digit.take().unwrap_or(0.0);
            total += section.max(if section == 0.0 { 1.0 } else { 0.0 }) * unit;
            section = 0.0;
        } else {
            section += digit.take().unwrap_or(1.0) * unit;
        }
    }
    // A trailing digit after a unit: 两千五 = 2500, 一万二 = 12000.
    if let Some(d) = digit {
        let last_unit = int_part.iter().rev().find(|c| is_cn_unit(**c));
        let scale = match last_unit {
            Some('十') => 1.0,
            Some('百') => 10.0,
            Some('千') => 100.0,
            Some('万') => 1000.0,
            Some('亿') => 10_000_000.0,
            _ => 1.0,
        };
        let prev_is_unit = int_part.len() >= 2 && is_cn_unit(int_part[int_part.len() - 2]);
        section += if prev_is_unit { d * scale } else { d };
    }
    total += section;
    if let Some(frac) = frac_part {
        let mut f = 0f64;
        let mut scale = 0.1;
        for &c in frac {
            f += f64::from(cn_digit(c)?) * scale;
            scale /= 10.0;
        }
        total += f;
    }
    Some(total)
}

fn id_checksum_ok(d: &[u8]) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10x98765432";
    if d.len() != 18 || !d[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let s: u32 = d[..17]
        .iter()
        .zip(W)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    let want = C[(s % 11) as usize];
    d[17].to_ascii_lowercase() == want
}

fn luhn_ok(d: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, c) in d.iter().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

fn date_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"(今天|今日|今晚|今朝|明朝|明天|明日|明早|明晚|后天|后日|大后天|本周|这周|下周|下礼拜|下星期|周末|",
            r"(周|星期|礼拜)[一二三四五六日天1-7]|月底|月初|月中|下个月|下月|本月|这个月|",
            r"[0-9一二三四五六七八九十两]{1,3}(号|日)|[0-9一二三四五六七八九十]{1,2}月[0-9一二三四五六七八九十]{1,3}|",
            r"[0-9一二三四五六七八九十两]{1,2}(天|日)(之内|以内|内)|20[0-9]{2}年|",
            r"[0-9]{1,2}[./-][0-9]{1,2}(号|日|前|之前))"
        ))
        .expect("date pattern")
    })
}

fn address_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\p{Han}{1,10}(路|街|大道|巷|弄|胡同|村)[0-9一二三四五六七八九十百零]{1,5}号(院|楼)?([0-9一二三四五六七八九十零]{1,4}(栋|幢|号楼|单元|室|楼))*")
            .expect("address pattern")
    })
}

/// Characters before a bare number that make it an amount of money (还三千, 欠了五万).
const MONEY_LEAD: &[char] = &[
    '还', '付', '转', '存', '欠', '共', '计', '额', '剩', '交', '差', '清', '款',
];
const MONEY_UNIT: &[&str] = &["元", "块", "圆", "rmb", "人民币", "蚊"];
/// Words after a bare number that make it a sum in repayment talk.
const MONEY_TAIL: &[&str] = &[
    "吧",
    "可以",
    "就行",
    "行吗",
    "行不行",
    "左右",
    "够",
    "可不可以",
    "能不能",
    "怎么样",
    "今天",
    "明天",
    "后天",
    "这周",
    "下周",
    "月底",
    "之前",
    "以内",
    "的话",
    "先",
    "也",
    "就",
    "还",
    "到账",
    "转",
    "打",
];

/// Characters one of which every date expression contains (cheap guard before the regex).
pub const DATE_CHARS: &[char] = &[
    '今', '明', '后', '周', '期', '拜', '月', '号', '日', '天', '年', '/', '-', '.',
];

/// Detect the requested entity kinds in normalised text.
pub fn detect(text: &str, kinds: &[EntityKind], out: &mut Vec<Entity>) {
    let want = |k: EntityKind| kinds.contains(&k);
    if want(EntityKind::Date) && text.contains(DATE_CHARS) {
        for m in date_re().find_iter(text) {
            out.push(Entity {
                kind: EntityKind::Date,
                start: m.start(),
                end: m.end(),
                value: None,
            });
        }
    }
    if want(EntityKind::Address) && text.contains('号') {
        for m in address_re().find_iter(text) {
            out.push(Entity {
                kind: EntityKind::Address,
                start: m.start(),
                end: m.end(),
                value: None,
            });
        }
    }
    let numeric = [
        EntityKind::Money,
        EntityKind::IdNumber,
        EntityKind::BankCard,
        EntityKind::AccountNumber,
        EntityKind::Phone,
    ];
    if !numeric.iter().any(|k| want(*k)) {
        return;
    }
    // Walk number tokens: runs of ASCII digits (with . and a trailing x for IDs) or of Chinese
    // numerals (with units).
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let x = bytes[i];
        if x < 0x80 && !x.is_ascii_digit() {
            i += 1;
            continue;
        }
        let c = if (0xE0..0xF0).contains(&x) && i + 2 < bytes.len() {
            let u = ((u32::from(x) & 0x0F) << 12)
                | ((u32::from(bytes[i + 1]) & 0x3F) << 6)
                | (u32::from(bytes[i + 2]) & 0x3F);
            char::from_u32(u).unwrap_or('\0')
        } else {
            match text[i..].chars().next() {
                Some(c) => c,
                None => break,
            }
        };
        let is_ascii_num = c.is_ascii_digit();
        let is_cn = is_cn_digit(c) || (c == '十' || c == '百' || c == '千');
        if !is_ascii_num && !is_cn {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let mut end = i;
        let mut digits = String::new();
        let mut has_unit = false;
        if is_ascii_num {
            while end < text.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
                end += 1;
            }
            // A trailing ID check character.
            if end - start == 17 && end < text.len() && bytes[end] == b'x' {
                end += 1;
            }
            digits.push_str(&text[start..end]);
        } else {
            for ch in text[start..].chars() {
                if is_cn_digit(ch) || is_cn_unit(ch) {
                    has_unit |= is_cn_unit(ch);
                    end += ch.len_utf8();
                } else {
                    break;
                }
            }
            while text[..end].ends_with('点') {
                end -= '点'.len_utf8();
            }
            if !has_unit {
                // Digits read out one by one: map to ASCII for ID/card/phone checks.
                digits = text[start..end]
                    .chars()
                    .filter_map(cn_digit)
                    .map(|d| char::from(b'0' + d as u8))
                    .collect();
            }
        }
        let rest = &text[end..];
        // Multiplier after the number: 1.5万, 3千.
        let (mult, after_mult) = if let Some(r) = rest.strip_prefix('万') {
            (10_000.0, r)
        } else if let Some(r) = rest.strip_prefix('千') {
            (1000.0, r)
        } else if let Some(r) = rest.strip_prefix('k') {
            (1000.0, r)
        } else {
            (1.0, rest)
        };
        // The rest of a sum after 万 in Arabic digits: 41万2千 (412 000), 3万2000, 1万2 (12 000).
        let (extra, after_mult) = if is_ascii_num && mult == 10_000.0 {
            wan_tail(after_mult).unwrap_or((0.0, after_mult))
        } else {
            (0.0, after_mult)
        };
        let unit = MONEY_UNIT.iter().find(|u| after_mult.starts_with(**u));
        let n_digits = digits.bytes().filter(u8::is_ascii_digit).count();
        let long_number = n_digits >= 11 && !digits.contains('.');
        if long_number {
            let d = digits.as_bytes();
            if want(EntityKind::IdNumber) && d.len() == 18 && id_checksum_ok(d) {
                out.push(Entity {
                    kind: EntityKind::IdNumber,
                    start,
                    end,
                    value: None,
                });
            } else if want(EntityKind::BankCard)
                && (16..=19).contains(&d.len())
                && d.iter().all(u8::is_ascii_digit)
                && luhn_ok(d)
            {
                out.push(Entity {
                    kind: EntityKind::BankCard,
                    start,
                    end,
                    value: None,
                });
            } else if want(EntityKind::Phone)
                && ((d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]))
                    || (d.len() >= 10 && d.len() <= 12 && d[0] == b'0'))
            {
                out.push(Entity {
                    kind: EntityKind::Phone,
                    start,
                    end,
                    value: None,
                });
            } else if want(EntityKind::AccountNumber) && (15..=19).contains(&d.len()) {
                out.push(Entity {
                    kind: EntityKind::AccountNumber,
                    start,
                    end,
                    value: None,
                });
            }
        } else if want(EntityKind::Money) {
            let value = if is_ascii_num {
                digits.parse::<f64>().ok()
            } else {
                parse_cn_number(&text[start..end])
            };
            let lead = text[..start].chars().next_back();
            let led = lead.is_some_and(|l| MONEY_LEAD.contains(&l));
            // A round sum standing alone in a clause, or followed by 吧/可以/左右 (plan talk):
            // "一月十五号|一千|在APP上还", "四千可以".
            // After a date ("十二月一号两千九") only a sum spelled with units counts: "工号1825"
            // and "尾号6618" are not sums.
            let alone = lead.is_none_or(|l| {
                matches!(
                    l,
                    '|' | '!' | '?' | '\u{1}' | '是' | '先' | '就' | '那' | '这'
                ) || (has_unit
                    && matches!(
                        l,
                        '号' | '前' | '日' | '天' | '午' | '晚' | '早' | '周' | '期' | '把'
                    ))
            }) && (after_mult.is_empty()
                || after_mult.starts_with(['|', '!', '?', '\u{1}'])
                || MONEY_TAIL.iter().any(|t| after_mult.starts_with(t)));
            // Chinese digits read one by one (三六零) are a name or a number, not a sum, unless a
            // unit follows.
            let spelled = (!is_ascii_num && !has_unit) || n_digits >= 7;
            if let Some(v) = value
                && (unit.is_some()
                    || (!spelled
                        && ((led && (mult > 1.0 || v >= 10.0)) || (alone && v * mult >= 100.0))))
            {
                let mut e = end + (rest.len() - after_mult.len());
                if let Some(u) = unit {
                    e += u.len();
                }
                out.push(Entity {
                    kind: EntityKind::Money,
                    start,
                    end: e,
                    value: Some(v * mult + extra),
                });
                end = e;
            }
        }
        i = end.max(start + 1);
        while !text.is_char_boundary(i) {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, k: &[EntityKind]) -> Vec<(EntityKind, String, Option<f64>)> {
        let mut v = Vec::new();
        detect(text, k, &mut v);
        v.into_iter()
            .map(|e| (e.kind, text[e.start..e.end].to_string(), e.value))
            .collect()
    }

    #[test]
    fn chinese_numbers() {
        assert_eq!(parse_cn_number("一万两千八百六十"), Some(12860.0));
        assert_eq!(parse_cn_number("两千五"), Some(2500.0));
        assert_eq!(parse_cn_number("一万二"), Some(12000.0));
        assert_eq!(parse_cn_number("三千零五十"), Some(3050.0));
        assert_eq!(parse_cn_number("十五"), Some(15.0));
        assert_eq!(parse_cn_number("五百点五"), Some(500.5));
        assert_eq!(parse_cn_number("二十万"), Some(200_000.0));
    }

    #[test]
    fn money() {
        let m = kinds(
            "您一共欠款12860.5元|先还三千块|还两千",
            &[EntityKind::Money],
        );
        let vals: Vec<f64> = m.iter().filter_map(|x| x.2).collect();
        assert_eq!(vals, vec![12860.5, 3000.0, 2000.0]);
        assert_eq!(kinds("1.5万元", &[EntityKind::Money])[0].2, Some(15000.0));
        // Arabic digits after 万: the rest of the same sum.
        for (t, v, s) in [
            ("剩余本息一共41万2千元", 412_000.0, "41万2千元"),
            ("欠款3万2000元", 32_000.0, "3万2000元"),
            ("一共1万2", 12_000.0, "1万2"),
            ("还款5万5百元", 50_500.0, "5万5百元"),
            ("欠了2万元|3号前", 20_000.0, "2万元"),
            ("先还2万3号前还清", 20_000.0, "2万"),
        ] {
            let m = kinds(t, &[EntityKind::Money]);
            assert_eq!((m[0].1.as_str(), m[0].2), (s, Some(v)), "{t}");
        }
        assert!(kinds("第3次|7天", &[EntityKind::Money]).is_empty());
    }

    #[test]
    fn ids_cards_phones() {
        // Synthetic ID with a valid checksum; card passing Luhn.
        assert_eq!(
            kinds("身份证号11010519491231002x", &[EntityKind::IdNumber]).len(),
            1
        );
        assert!(kinds("身份证号110105194912310021", &[EntityKind::IdNumber]).is_empty());
        assert_eq!(
            kinds("卡号4111111111111112", &[EntityKind::BankCard]).len(),
            0
        );
        assert_eq!(
            kinds("卡号4111111111111111", &[EntityKind::BankCard]).len(),
            1
        );
        assert_eq!(kinds("电话13812345678", &[EntityKind::Phone]).len(), 1);
    }

    #[test]
    fn dates_and_addresses() {
        assert!(!kinds("下周五之前", &[EntityKind::Date]).is_empty());
        assert!(!kinds("15号前", &[EntityKind::Date]).is_empty());
        assert!(!kinds("三天之内", &[EntityKind::Date]).is_empty());
        assert!(kinds("你好", &[EntityKind::Date]).is_empty());
        assert_eq!(
            kinds("你住在朝阳区建国路88号3栋2单元", &[EntityKind::Address]).len(),
            1
        );
    }
}
