//! ASR-like noise and colloquial fillers: dropped punctuation, homophone slips on common words
//! (never on the words a finding depends on), a few traditional characters, full-width digits,
//! stray spaces, and keyword splitting with symbols.

use crate::util::{Rng, chance, pick};

/// Per-call noise levels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Noise {
    /// Probability that a homophone slip is applied to a matching word in a turn.
    pub slips: f64,
    /// Per-character probability of writing a mapped character in traditional form.
    pub trad: f64,
    /// Per-turn probability of full-width digits.
    pub fullwidth: f64,
    /// Per-turn probability that punctuation is dropped.
    pub nopunct: f64,
    /// Per-turn probability of stray spaces.
    pub spaces: f64,
}

impl Noise {
    pub(crate) fn sample(rng: &mut Rng) -> Noise {
        let level = crate::util::weighted(rng, &[(0u8, 0.35), (1, 0.45), (2, 0.20)]);
        let (slips, fullwidth, nopunct, spaces) = match level {
            0 => (0.0, 0.03, 0.03, 0.0),
            1 => (0.05, 0.10, 0.20, 0.04),
            _ => (0.14, 0.25, 0.55, 0.12),
        };
        let trad = if chance(rng, 0.05) {
            crate::util::uniform(rng, 0.1, 0.45)
        } else {
            0.0
        };
        Noise {
            slips,
            trad,
            fullwidth,
            nopunct,
            spaces,
        }
    }
}

/// Homophone / near-homophone slips of common words (ASR substitution errors). None of these
/// touch the words that evidence a finding.
const SLIPS: &[(&str, &str)] = &[
    ("那个", "哪个"),
    ("已经", "以经"),
    ("知道", "只到"),
    ("现在", "先在"),
    ("这边", "这遍"),
    ("时候", "时后"),
    ("方便", "方变"),
    ("的话", "得话"),
    ("一下", "一夏"),
    ("然后", "燃后"),
    ("没有", "没又"),
    ("因为", "应为"),
    ("可以", "可已"),
    ("工作", "工做"),
    ("什么", "神么"),
    ("觉得", "觉的"),
    ("不好意思", "不好意识"),
    ("再见", "在见"),
    ("麻烦", "麻凡"),
    ("情况", "清况"),
    ("处理", "出理"),
    ("打扰", "打饶"),
    ("清楚", "清处"),
    ("收入", "收如"),
    ("稍等", "烧等"),
    ("应该", "因该"),
    ("其实", "奇实"),
    ("事情", "事请"),
];

/// Simplified → traditional for a handful of frequent characters.
const TRAD: &[(char, char)] = &[
    ('这', '這'),
    ('还', '還'),
    ('钱', '錢'),
    ('银', '銀'),
    ('录', '錄'),
    ('会', '會'),
    ('说', '說'),
    ('话', '話'),
    ('们', '們'),
    ('个', '個'),
    ('时', '時'),
    ('间', '間'),
    ('请', '請'),
    ('问', '問'),
    ('对', '對'),
    ('么', '麼'),
    ('为', '為'),
    ('过', '過'),
    ('没', '沒'),
    ('发', '發'),
    ('号', '號'),
    ('码', '碼'),
    ('让', '讓'),
    ('给', '給'),
    ('账', '賬'),
    ('户', '戶'),
    ('务', '務'),
    ('债', '債'),
    ('违', '違'),
    ('约', '約'),
    ('费', '費'),
    ('罚', '罰'),
    ('电', '電'),
    ('联', '聯'),
    ('托', '託'),
    ('认', '認'),
    ('证', '證'),
    ('处', '處'),
    ('门', '門'),
    ('单', '單'),
    ('贷', '貸'),
    ('关', '關'),
    ('应', '應'),
    ('该', '該'),
    ('现', '現'),
    ('经', '經'),
    ('办', '辦'),
    ('业', '業'),
    ('帮', '幫'),
    ('转', '轉'),
    ('机', '機'),
    ('构', '構'),
    ('开', '開'),
    ('车', '車'),
    ('实', '實'),
    ('样', '樣'),
    ('险', '險'),
    ('种', '種'),
    ('将', '將'),
    ('额', '額'),
];

fn trad_of(c: char) -> Option<char> {
    TRAD.iter().find(|(s, _)| *s == c).map(|(_, t)| *t)
}

fn is_punct(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '？' | '！' | '、' | '；' | '：' | '…' | ',' | '.' | '?' | '!'
    )
}

/// Apply noise to one turn. `protect` keeps the words intact (only punctuation may change).
pub(crate) fn apply(rng: &mut Rng, text: &str, n: &Noise, protect: bool) -> String {
    let mut s = text.to_string();
    if !protect && n.slips > 0.0 {
        for (from, to) in SLIPS {
            if chance(rng, n.slips) && s.contains(from) {
                s = s.replacen(from, to, 1);
            }
        }
    }
    if !protect && n.trad > 0.0 {
        s = s
            .chars()
            .map(|c| match trad_of(c) {
                Some(t) if chance(rng, n.trad) => t,
                _ => c,
            })
            .collect();
    }
    if chance(rng, n.fullwidth) && s.chars().any(|c| c.is_ascii_digit()) {
        s = s
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect();
    }
    if chance(rng, n.nopunct) {
        let space = chance(rng, 0.5);
        let mut out = String::with_capacity(s.len());
        let chars: Vec<char> = s.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            // A decimal point between digits stays.
            if c == '.' && i > 0 && i + 1 < chars.len() && chars[i - 1].is_ascii_digit() {
                out.push(c);
            } else if is_punct(c) && c != '.' {
                if space && i + 1 < chars.len() && !out.ends_with(' ') {
                    out.push(' ');
                }
            } else {
                out.push(c);
            }
        }
        s = out.trim_end().to_string();
    }
    if !protect && chance(rng, n.spaces) {
        let k = if chance(rng, 0.5) { 1 } else { 2 };
        s = insert_spaces(rng, &s, k);
    }
    s
}

fn splittable(a: char, b: char) -> bool {
    let digitish = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c) || c == '.';
    let blocked = a.is_whitespace() || b.is_whitespace() || is_punct(a) || is_punct(b);
    !(blocked || digitish(a) && digitish(b))
}

fn insert_spaces(rng: &mut Rng, s: &str, k: usize) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..k {
        if chars.len() < 4 {
            break;
        }
        let i = 1 + crate::util::between(rng, 0, chars.len() as i64 - 2) as usize;
        if splittable(chars[i - 1], chars[i]) {
            chars.insert(i, ' ');
        }
    }
    chars.into_iter().collect()
}

/// Split one of `keys` found in `text` with a space or a symbol (老 赖, 不*要*脸).
pub(crate) fn split_keyword(rng: &mut Rng, text: &str, keys: &[&str]) -> String {
    let found: Vec<&&str> = keys.iter().filter(|k| text.contains(**k)).collect();
    if found.is_empty() {
        return text.to_string();
    }
    let key = *pick(rng, &found);
    let sep = *pick(rng, &[" ", "*", "-", "·", "_", "#", " "]);
    let every = chance(rng, 0.5);
    let chars: Vec<char> = key.chars().collect();
    let mut split = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && (every || i == 1) {
            split.push_str(sep);
        }
        split.push(*c);
    }
    text.replacen(key, &split, 1)
}

const AGENT_FILLERS: &[&str] = &[
    "嗯，",
    "那个，",
    "就是说，",
    "呃，",
    "这个，",
    "然后呢，",
    "嗯嗯，",
    "是这样，",
];
const CUST_FILLERS: &[&str] = &[
    "嗯，",
    "那个，",
    "对对对，",
    "哎呀，",
    "呃，",
    "就是，",
    "啊？",
    "唉，",
    "哎，",
];

/// Put a colloquial filler at the start of a turn.
pub(crate) fn filler(rng: &mut Rng, text: &str, agent: bool) -> String {
    let f = if agent {
        pick(rng, AGENT_FILLERS)
    } else {
        pick(rng, CUST_FILLERS)
    };
    format!("{f}{text}")
}
