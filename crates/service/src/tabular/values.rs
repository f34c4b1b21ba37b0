//! Cell values → typed values. Every parser returns the reason in plain words when it fails;
//! the caller adds the column and the value.

use std::borrow::Cow;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use zhijian_domain::{BUILTIN_CATEGORIES, Direction, FlagKind, Outcome, Party};

use super::columns::halfwidth;

/// One cell, whatever the file format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CellRef<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    Int(i64),
    Bool(bool),
    /// An Excel date/time cell: its civil value (`None` for a time of day or a duration that
    /// has no valid date) and its serial number (days).
    Date {
        civil: Option<DateTime>,
        serial: f64,
    },
    Error(String),
}

impl CellRef<'_> {
    /// The value as the user sees it, for error messages and the raw row.
    pub(crate) fn display(&self) -> String {
        match self {
            CellRef::Empty => String::new(),
            CellRef::Text(s) => s.to_string(),
            CellRef::Number(f) => number_text(*f),
            CellRef::Int(i) => i.to_string(),
            CellRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            CellRef::Date { civil, serial } => match civil {
                Some(c) => format_civil(*c),
                None if serial.is_finite() && *serial >= 0.0 => {
                    // A time of day or a duration: h:mm:ss as Excel shows it.
                    let secs = (serial * 86_400.0).round() as u64;
                    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
                }
                None => number_text(*serial),
            },
            CellRef::Error(e) => e.clone(),
        }
    }

    /// The trimmed text of the cell; `None` when empty or a placeholder for nothing
    /// (`NULL`, `\N`, `-`, `--`, `#N/A`).
    pub(crate) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            CellRef::Empty => None,
            CellRef::Text(s) => {
                let t = trim(s);
                if is_placeholder(t) {
                    None
                } else {
                    Some(Cow::Borrowed(t))
                }
            }
            other => Some(Cow::Owned(other.display())),
        }
    }

    pub(crate) fn is_blank(&self) -> bool {
        match self {
            CellRef::Empty => true,
            CellRef::Text(s) => trim(s).is_empty(),
            _ => false,
        }
    }
}

pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
}

fn is_placeholder(t: &str) -> bool {
    t.is_empty()
        || t.eq_ignore_ascii_case("null")
        || t == "\\N"
        || t == "-"
        || t == "--"
        || t.eq_ignore_ascii_case("#N/A")
}

/// A float as Excel shows it in a General cell: integers without `.0`.
pub(crate) fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

fn format_civil(dt: DateTime) -> String {
    if dt.subsec_nanosecond() == 0 {
        dt.strftime("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        dt.to_string()
    }
}

/// Free text: trimmed.
pub(crate) fn text(cell: &CellRef) -> Result<Option<String>, String> {
    if let CellRef::Error(e) = cell {
        return Err(cell_error(e));
    }
    Ok(cell.text().map(|t| t.into_owned()))
}

fn cell_error(e: &str) -> String {
    format!("单元格错误 {e} / spreadsheet error {e}")
}

/// An identifier or a phone number: numbers lose a `.0`, scientific notation is expanded when
/// no digit was lost (else an error), Excel's text markers (`="…"`, a leading `'`) are removed.
pub(crate) fn code(cell: &CellRef) -> Result<Option<String>, String> {
    match cell {
        CellRef::Error(e) => Err(cell_error(e)),
        CellRef::Number(f) => {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
                Ok(Some(format!("{f:.0}")))
            } else {
                Err(
                    "数字格式的编号带小数或位数过多 / a number with decimals or too many digits: \
                     format the column as text"
                        .into(),
                )
            }
        }
        CellRef::Int(i) => Ok(Some(i.to_string())),
        _ => {
            let Some(t) = cell.text() else {
                return Ok(None);
            };
            let mut t: &str = &t;
            if let Some(inner) = t.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
                t = inner;
            }
            t = trim(t.strip_prefix('\'').unwrap_or(t));
            if t.is_empty() {
                return Ok(None);
            }
            if let Some(expanded) = scientific(t)? {
                return Ok(Some(expanded));
            }
            // `13800000000.0` as pandas writes integers that went through a float.
            if let Some((int, frac)) = t.split_once('.')
                && !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && !frac.is_empty()
                && frac.bytes().all(|b| b == b'0')
            {
                return Ok(Some(int.to_string()));
            }
            Ok(Some(t.to_string()))
        }
    }
}

/// `1.38E+10` as Excel writes large numbers in a General cell: `Ok(Some(digits))` when every
/// digit is there, an error when Excel rounded digits away, `Ok(None)` when the text is not
/// scientific notation of an integer.
fn scientific(t: &str) -> Result<Option<String>, String> {
    let Some((mant, exp)) = t.split_once("E+").or_else(|| t.split_once("e+")) else {
        return Ok(None);
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || exp.is_empty() || !digits(exp) {
        return Ok(None);
    }
    let Some(exp) = exp.parse::<usize>().ok().filter(|e| *e <= 30) else {
        return Ok(None);
    };
    if frac.len() > exp {
        return Ok(None);
    }
    if frac.len() < exp {
        return Err(
            "以科学计数法保存，号码位数已丢失 / saved in scientific notation, digits \
                    are lost: format the column as text in Excel and export again"
                .into(),
        );
    }
    let all = format!("{int}{frac}");
    let trimmed = all.trim_start_matches('0');
    Ok(Some(if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    }))
}

/// A point in time. With an offset (RFC 3339) as is; without one in `tz`.
pub(crate) fn timestamp(cell: &CellRef, tz: &TimeZone) -> Result<Option<Timestamp>, String> {
    let civil = match cell {
        CellRef::Error(e) => return Err(cell_error(e)),
        CellRef::Date { civil, .. } => civil.ok_or_else(not_a_time)?,
        CellRef::Number(f) => excel_serial(*f).ok_or_else(not_a_time)?,
        CellRef::Int(i) => excel_serial(*i as f64).ok_or_else(not_a_time)?,
        CellRef::Bool(_) => return Err(not_a_time()),
        CellRef::Empty | CellRef::Text(_) => {
            let Some(t) = cell.text() else {
                return Ok(None);
            };
            if let Ok(ts) = t.parse::<Timestamp>() {
                return Ok(Some(ts));
            }
            parse_local(&t).ok_or_else(not_a_time)?
        }
    };
    civil
        .to_zoned(tz.clone())
        .map(|z| Some(z.timestamp()))
        .map_err(|e| format!("不是有效的时间 / not a valid time: {e}"))
}

fn not_a_time() -> String {
    "无法识别的日期时间 / not a date and time (e.g. 2026-01-05 09:30:00, 2026/1/5 9:30, \
     2026年1月5日 09:30, 2026-01-05T09:30:00+08:00)"
        .into()
}

/// A calendar date (a date-time value gives its date).
pub(crate) fn date(cell: &CellRef) -> Result<Option<Date>, String> {
    let civil = match cell {
        CellRef::Error(e) => return Err(cell_error(e)),
        CellRef::Date { civil, .. } => civil.ok_or_else(not_a_date)?,
        CellRef::Number(f) => excel_serial(*f).ok_or_else(not_a_date)?,
        CellRef::Int(i) => excel_serial(*i as f64).ok_or_else(not_a_date)?,
        CellRef::Bool(_) => return Err(not_a_date()),
        CellRef::Empty | CellRef::Text(_) => {
            let Some(t) = cell.text() else {
                return Ok(None);
            };
            if let Ok(ts) = t.parse::<Timestamp>() {
                return Ok(Some(ts.to_zoned(TimeZone::UTC).date()));
            }
            parse_local(&t).ok_or_else(not_a_date)?
        }
    };
    Ok(Some(civil.date()))
}

fn not_a_date() -> String {
    "无法识别的日期 / not a date (e.g. 2026-01-05, 2026/1/5, 2026年1月5日)".into()
}

/// An Excel serial date-time (1900 date system) as a civil date-time, to the millisecond.
pub(crate) fn excel_serial(f: f64) -> Option<DateTime> {
    if !(f.is_finite() && (61.0..2_958_466.0).contains(&f)) {
        return None;
    }
    let mut days = f.floor() as i64;
    let mut ms = ((f - f.floor()) * 86_400_000.0).round() as i64;
    if ms >= 86_400_000 {
        days += 1;
        ms -= 86_400_000;
    }
    let base = Date::new(1899, 12, 30)
        .ok()?
        .to_datetime(jiff::civil::Time::midnight());
    base.checked_add(jiff::Span::new().days(days).milliseconds(ms))
        .ok()
}

/// Local date-times as Chinese systems write them: `2026-01-05 09:30:00`, `2026/1/5 9:30`,
/// `2026年1月5日 09时30分`, `2026-01-05T09:30:00.5`, `20260105093000`, `2026-01-05`,
/// `2026/1/5 下午 2:30`, and Excel serial numbers (`46027.395833`).
pub(crate) fn parse_local(s: &str) -> Option<DateTime> {
    let s: String = s.chars().map(halfwidth).collect();
    let mut pm = None;
    let mut rest = s.as_str().to_string();
    for (word, is_pm) in [
        ("上午", false),
        ("下午", true),
        ("晚上", true),
        ("AM", false),
        ("PM", true),
        ("am", false),
        ("pm", true),
    ] {
        if rest.contains(word) {
            pm = Some(is_pm);
            rest = rest.replace(word, " ");
        }
    }
    // Digit groups and the separator before each.
    let mut groups: Vec<(char, String)> = Vec::new();
    let mut sep = ' ';
    let mut cur = String::new();
    for c in rest.chars() {
        if c.is_ascii_digit() {
            cur.push(c);
            continue;
        }
        if !cur.is_empty() {
            groups.push((sep, std::mem::take(&mut cur)));
            sep = ' ';
        }
        match c {
            '-' | '/' | '.' | ':' | 'T' | 't' | '年' | '月' | '日' | '号' | '时' | '点' | '分'
            | '秒' => sep = c,
            c if c.is_whitespace() => {}
            _ => return None,
        }
    }
    if !cur.is_empty() {
        groups.push((sep, cur));
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let (y, mo, d, mut h, mi, sec, frac) = match groups.len() {
        0 => return None,
        1 | 2 if groups[0].1.len() >= 8 => {
            // Compact: 20260105, 202601050930, 20260105093000, 20260105 093000.
            let mut all = groups[0].1.clone();
            if groups.len() == 2 {
                if !matches!(groups[1].1.len(), 4 | 6) || all.len() != 8 {
                    return None;
                }
                all.push_str(&groups[1].1);
            }
            if !matches!(all.len(), 8 | 12 | 14) {
                return None;
            }
            let p = |a: usize, b: usize| all.get(a..b).and_then(num).unwrap_or(0);
            (
                p(0, 4),
                p(4, 6),
                p(6, 8),
                p(8, 10),
                p(10, 12),
                p(12, 14),
                None,
            )
        }
        1 | 2 => {
            // An Excel serial number written out as text.
            if pm.is_some() {
                return None;
            }
            let f: f64 = if groups.len() == 2 {
                if groups[1].0 != '.' {
                    return None;
                }
                format!("{}.{}", groups[0].1, groups[1].1).parse().ok()?
            } else {
                groups[0].1.parse().ok()?
            };
            if !(20_000.0..80_000.0).contains(&f) {
                return None;
            }
            return excel_serial(f);
        }
        n => {
            if groups[0].1.len() != 4 || n > 7 {
                return None;
            }
            let g = |i: usize| groups.get(i).and_then(|(_, v)| num(v));
            let frac = match groups.get(6) {
                Some(('.', f)) => Some(f.clone()),
                Some(_) => return None,
                None => None,
            };
            (
                g(0)?,
                g(1)?,
                g(2)?,
                g(3).unwrap_or(0),
                g(4).unwrap_or(0),
                g(5).unwrap_or(0),
                frac,
            )
        }
    };
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    let nanos = match frac {
        Some(f) => {
            let mut f: String = f.chars().take(9).collect();
            while f.len() < 9 {
                f.push('0');
            }
            f.parse::<i32>().ok()?
        }
        None => 0,
    };
    let small = |v: i64| i8::try_from(v).ok();
    DateTime::new(
        i16::try_from(y).ok()?,
        small(mo)?,
        small(d)?,
        small(h)?,
        small(mi)?,
        small(sec)?,
        nanos,
    )
    .ok()
}

/// A duration in seconds: `192`, `192.5`, `00:03:12`, `3:12`, `3分12秒`, `1小时2分`, `192s`,
/// `PT3M12S`; a number is multiplied by `scale` (the unit of the header: 1 for seconds).
pub(crate) fn duration(cell: &CellRef, scale: f64) -> Result<Option<f64>, String> {
    let secs = match cell {
        CellRef::Error(e) => return Err(cell_error(e)),
        CellRef::Number(f) => f * scale,
        CellRef::Int(i) => *i as f64 * scale,
        CellRef::Date { serial, .. } => serial * 86_400.0,
        CellRef::Bool(_) => return Err(not_a_duration()),
        CellRef::Empty | CellRef::Text(_) => {
            let Some(t) = cell.text() else {
                return Ok(None);
            };
            parse_duration(&t, scale).ok_or_else(not_a_duration)?
        }
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(not_a_duration());
    }
    Ok(Some(secs))
}

fn not_a_duration() -> String {
    "无法识别的时长 / not a duration (seconds like 192, or 00:03:12, 3分12秒)".into()
}

fn parse_duration(t: &str, scale: f64) -> Option<f64> {
    let t: String = t
        .chars()
        .map(halfwidth)
        .filter(|c| !c.is_whitespace())
        .collect();
    if let Ok(f) = t.parse::<f64>() {
        return Some(f * scale);
    }
    if t.starts_with(['P', 'p'])
        && let Ok(d) = t.parse::<SignedDuration>()
    {
        return Some(d.as_secs_f64());
    }
    if t.contains(':') {
        let parts: Vec<&str> = t.split(':').collect();
        if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        let mut secs = 0.0;
        for p in &parts {
            secs = secs * 60.0 + p.parse::<f64>().ok().filter(|v| *v >= 0.0)?;
        }
        return Some(secs);
    }
    // Number-unit pairs: 1小时2分3秒, 3分钟, 192秒, 3m12s.
    let mut secs = 0.0;
    let mut num = String::new();
    let mut unit = String::new();
    let mut any = false;
    let flush = |num: &mut String, unit: &mut String, secs: &mut f64| -> Option<()> {
        let v: f64 = num.parse().ok()?;
        let factor = match unit.to_lowercase().as_str() {
            "小时" | "时" | "h" | "hr" | "hour" | "hours" => 3600.0,
            "分钟" | "分" | "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "秒" | "秒钟" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "毫秒" | "ms" => 0.001,
            _ => return None,
        };
        *secs += v * factor;
        num.clear();
        unit.clear();
        Some(())
    };
    for c in t.chars() {
        if c.is_ascii_digit() || c == '.' {
            if !unit.is_empty() {
                flush(&mut num, &mut unit, &mut secs)?;
                any = true;
            }
            num.push(c);
        } else {
            if num.is_empty() {
                return None;
            }
            unit.push(c);
        }
    }
    if !num.is_empty() {
        if unit.is_empty() {
            return None;
        }
        flush(&mut num, &mut unit, &mut secs)?;
        any = true;
    }
    any.then_some(secs)
}

/// An amount of money in yuan: `¥1,234.50`, `1234.5元`, `1.2万`, `RMB 300`.
pub(crate) fn amount(cell: &CellRef, scale: f64) -> Result<Option<f64>, String> {
    let v = match cell {
        CellRef::Error(e) => return Err(cell_error(e)),
        CellRef::Number(f) => *f,
        CellRef::Int(i) => *i as f64,
        CellRef::Date { .. } | CellRef::Bool(_) => return Err(not_an_amount()),
        CellRef::Empty | CellRef::Text(_) => {
            let Some(t) = cell.text() else {
                return Ok(None);
            };
            let mut s: String = t
                .chars()
                .map(halfwidth)
                .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '，' | '¥' | '￥' | '$'))
                .collect();
            for unit in ["RMB", "rmb", "CNY", "cny", "人民币", "元"] {
                s = s.replace(unit, "");
            }
            let (s, factor) = match s.strip_suffix('万') {
                Some(r) => (r.to_string(), 10_000.0),
                None => (s, 1.0),
            };
            s.parse::<f64>().map_err(|_| not_an_amount())? * factor
        }
    };
    let v = v * scale;
    if !v.is_finite() {
        return Err(not_an_amount());
    }
    Ok(Some(v))
}

fn not_an_amount() -> String {
    "无法识别的金额 / not an amount (e.g. 1234.50, ¥1,234.50, 1234.5元)".into()
}

/// A count of days: `45`, `45天`, `45.0`.
pub(crate) fn days(cell: &CellRef) -> Result<Option<u32>, String> {
    let bad = || "不是非负整数天数 / not a whole number of days".to_string();
    let v = match cell {
        CellRef::Error(e) => return Err(cell_error(e)),
        CellRef::Number(f) => *f,
        CellRef::Int(i) => *i as f64,
        CellRef::Date { .. } | CellRef::Bool(_) => return Err(bad()),
        CellRef::Empty | CellRef::Text(_) => {
            let Some(t) = cell.text() else {
                return Ok(None);
            };
            let t = t.trim_end_matches('天').trim();
            t.parse::<f64>().map_err(|_| bad())?
        }
    };
    if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64) {
        return Err(bad());
    }
    Ok(Some(v as u32))
}

/// A value compared against a word list: lower case, without spaces, `_` and `-`.
pub(crate) fn word(t: &str) -> String {
    t.chars()
        .map(halfwidth)
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn lookup<T: Copy>(table: &[(&str, T)], t: &str) -> Option<T> {
    let w = word(t);
    table.iter().find(|(k, _)| *k == w).map(|(_, v)| *v)
}

use Outcome::{Busy, Connected, Failed, NoAnswer, Rejected};

/// Call outcomes as diallers write them.
pub(crate) const OUTCOMES: &[(&str, Outcome)] = &[
    ("接通", Connected),
    ("已接通", Connected),
    ("接听", Connected),
    ("已接听", Connected),
    ("通话成功", Connected),
    ("呼叫成功", Connected),
    ("成功", Connected),
    ("是", Connected),
    ("connected", Connected),
    ("answered", Connected),
    ("answer", Connected),
    ("yes", Connected),
    ("未接通", NoAnswer),
    ("无人接听", NoAnswer),
    ("未接听", NoAnswer),
    ("振铃未接", NoAnswer),
    ("响铃未接", NoAnswer),
    ("无应答", NoAnswer),
    ("未应答", NoAnswer),
    ("否", NoAnswer),
    ("noanswer", NoAnswer),
    ("no", NoAnswer),
    ("忙线", Busy),
    ("占线", Busy),
    ("用户忙", Busy),
    ("busy", Busy),
    ("拒接", Rejected),
    ("拒听", Rejected),
    ("用户拒接", Rejected),
    ("rejected", Rejected),
    ("refused", Rejected),
    ("declined", Rejected),
    ("关机", Failed),
    ("空号", Failed),
    ("停机", Failed),
    ("失败", Failed),
    ("呼叫失败", Failed),
    ("无法接通", Failed),
    ("不在服务区", Failed),
    ("号码错误", Failed),
    ("错号", Failed),
    ("欠费", Failed),
    ("failed", Failed),
    ("failure", Failed),
    ("invalid", Failed),
    ("poweredoff", Failed),
];

/// SMS delivery states.
pub(crate) const SMS_STATES: &[(&str, Outcome)] = &[
    ("成功", Connected),
    ("发送成功", Connected),
    ("已送达", Connected),
    ("送达", Connected),
    ("成功送达", Connected),
    ("已发送", Connected),
    ("delivered", Connected),
    ("success", Connected),
    ("sent", Connected),
    ("失败", Failed),
    ("发送失败", Failed),
    ("未送达", Failed),
    ("送达失败", Failed),
    ("failed", Failed),
    ("undelivered", Failed),
];

/// A call outcome (`OUTCOMES`) or an SMS delivery state (`SMS_STATES`).
pub(crate) fn outcome(t: &str, table: &[(&str, Outcome)]) -> Result<Outcome, String> {
    lookup(table, t).ok_or_else(|| {
        if std::ptr::eq(table, SMS_STATES) {
            "无法识别的发送状态 / unknown delivery state; expected 成功, 已送达, 失败, 未送达 \
             (delivered, failed)"
                .into()
        } else {
            "无法识别的呼叫结果 / unknown call outcome; expected 接通, 未接通, 无人接听, 忙线, \
             拒接, 关机, 空号, 失败 (connected, no_answer, busy, rejected, failed)"
                .into()
        }
    })
}

pub(crate) fn direction(t: &str) -> Result<Direction, String> {
    const WORDS: &[(&str, Direction)] = &[
        ("呼出", Direction::Outbound),
        ("外呼", Direction::Outbound),
        ("去电", Direction::Outbound),
        ("拨出", Direction::Outbound),
        ("outbound", Direction::Outbound),
        ("out", Direction::Outbound),
        ("呼入", Direction::Inbound),
        ("来电", Direction::Inbound),
        ("拨入", Direction::Inbound),
        ("inbound", Direction::Inbound),
        ("in", Direction::Inbound),
    ];
    if let Some(d) = lookup(WORDS, t) {
        return Ok(d);
    }
    // 预测外呼, 手动外呼, 人工呼出 …
    if t.contains("外呼") || t.contains("呼出") || t.contains("去电") {
        return Ok(Direction::Outbound);
    }
    if t.contains("呼入") || t.contains("来电") {
        return Ok(Direction::Inbound);
    }
    Err("无法识别的呼叫方向 / unknown direction; expected 呼出 or 呼入 (outbound, inbound)".into())
}

const RELATIONS: &[(&str, Party)] = &[
    ("本人", Party::Debtor),
    ("借款人", Party::Debtor),
    ("债务人", Party::Debtor),
    ("持卡人", Party::Debtor),
    ("客户本人", Party::Debtor),
    ("主借人", Party::Debtor),
    ("本人手机", Party::Debtor),
    ("debtor", Party::Debtor),
    ("self", Party::Debtor),
    ("borrower", Party::Debtor),
    ("配偶", Party::Spouse),
    ("夫妻", Party::Spouse),
    ("丈夫", Party::Spouse),
    ("妻子", Party::Spouse),
    ("老公", Party::Spouse),
    ("老婆", Party::Spouse),
    ("爱人", Party::Spouse),
    ("spouse", Party::Spouse),
    ("husband", Party::Spouse),
    ("wife", Party::Spouse),
    ("父母", Party::Parent),
    ("父亲", Party::Parent),
    ("母亲", Party::Parent),
    ("爸爸", Party::Parent),
    ("妈妈", Party::Parent),
    ("parent", Party::Parent),
    ("father", Party::Parent),
    ("mother", Party::Parent),
    ("亲属", Party::Relative),
    ("亲戚", Party::Relative),
    ("家人", Party::Relative),
    ("家属", Party::Relative),
    ("直系亲属", Party::Relative),
    ("其他亲属", Party::Relative),
    ("兄弟姐妹", Party::Relative),
    ("兄弟", Party::Relative),
    ("姐妹", Party::Relative),
    ("哥哥", Party::Relative),
    ("姐姐", Party::Relative),
    ("弟弟", Party::Relative),
    ("妹妹", Party::Relative),
    ("子女", Party::Relative),
    ("儿子", Party::Relative),
    ("女儿", Party::Relative),
    ("表哥", Party::Relative),
    ("表姐", Party::Relative),
    ("表弟", Party::Relative),
    ("表妹", Party::Relative),
    ("堂兄", Party::Relative),
    ("堂弟", Party::Relative),
    ("叔叔", Party::Relative),
    ("阿姨", Party::Relative),
    ("舅舅", Party::Relative),
    ("姑姑", Party::Relative),
    ("爷爷", Party::Relative),
    ("奶奶", Party::Relative),
    ("外公", Party::Relative),
    ("外婆", Party::Relative),
    ("岳父", Party::Relative),
    ("岳母", Party::Relative),
    ("公公", Party::Relative),
    ("婆婆", Party::Relative),
    ("relative", Party::Relative),
    ("sibling", Party::Relative),
    ("child", Party::Relative),
    ("同事", Party::Colleague),
    ("领导", Party::Colleague),
    ("单位", Party::Colleague),
    ("单位同事", Party::Colleague),
    ("colleague", Party::Colleague),
    ("coworker", Party::Colleague),
    ("朋友", Party::Friend),
    ("同学", Party::Friend),
    ("好友", Party::Friend),
    ("friend", Party::Friend),
    ("紧急联系人", Party::Emergency),
    ("emergency", Party::Emergency),
    ("其他", Party::Unknown),
    ("未知", Party::Unknown),
    ("unknown", Party::Unknown),
    ("other", Party::Unknown),
];

/// A relation word as the interchange word (`debtor`, `spouse`, …) when known.
pub(crate) fn relation(t: &str) -> Option<Party> {
    lookup(RELATIONS, t)
}

pub(crate) fn party(t: &str) -> Result<Party, String> {
    relation(t).ok_or_else(|| {
        "无法识别的对象 / unknown party; expected 本人, 配偶, 父母, 亲属, 同事, 朋友, 紧急联系人, 其他"
            .into()
    })
}

pub(crate) fn flag(t: &str) -> Result<FlagKind, String> {
    const WORDS: &[(&str, FlagKind)] = &[
        ("停催", FlagKind::DoNotCall),
        ("勿扰", FlagKind::DoNotCall),
        ("停止催收", FlagKind::DoNotCall),
        ("暂停催收", FlagKind::DoNotCall),
        ("禁止催收", FlagKind::DoNotCall),
        ("免打扰", FlagKind::DoNotCall),
        ("勿催", FlagKind::DoNotCall),
        ("禁呼", FlagKind::DoNotCall),
        ("禁止拨打", FlagKind::DoNotCall),
        ("拒绝来电", FlagKind::DoNotCall),
        ("donotcall", FlagKind::DoNotCall),
        ("dnc", FlagKind::DoNotCall),
        ("投诉风险", FlagKind::ComplaintRisk),
        ("有投诉风险", FlagKind::ComplaintRisk),
        ("高投诉风险", FlagKind::ComplaintRisk),
        ("投诉倾向", FlagKind::ComplaintRisk),
        ("complaintrisk", FlagKind::ComplaintRisk),
        ("争议", FlagKind::Dispute),
        ("有争议", FlagKind::Dispute),
        ("争议案件", FlagKind::Dispute),
        ("异议", FlagKind::Dispute),
        ("纠纷", FlagKind::Dispute),
        ("dispute", FlagKind::Dispute),
    ];
    lookup(WORDS, t).ok_or_else(|| {
        "无法识别的标记 / unknown flag; expected 停催/勿扰 (do_not_call), 投诉风险 \
         (complaint_risk), 争议 (dispute)"
            .into()
    })
}

/// Where a complaint came from: `client`, `regulator`, `hotline`, `internal`, else the word
/// as written.
pub(crate) fn complaint_source(t: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("委托方", "client"),
        ("甲方", "client"),
        ("委托机构", "client"),
        ("银行", "client"),
        ("客户", "client"),
        ("client", "client"),
        ("监管", "regulator"),
        ("监管部门", "regulator"),
        ("监管机构", "regulator"),
        ("银保监", "regulator"),
        ("银保监会", "regulator"),
        ("金融监管", "regulator"),
        ("金融监管局", "regulator"),
        ("国家金融监督管理总局", "regulator"),
        ("人民银行", "regulator"),
        ("人行", "regulator"),
        ("12378", "regulator"),
        ("12363", "regulator"),
        ("regulator", "regulator"),
        ("客服热线", "hotline"),
        ("热线", "hotline"),
        ("客服", "hotline"),
        ("客服电话", "hotline"),
        ("hotline", "hotline"),
        ("内部", "internal"),
        ("内部质检", "internal"),
        ("质检", "internal"),
        ("自查", "internal"),
        ("internal", "internal"),
    ];
    lookup(WORDS, t).map_or_else(|| trim(t).to_string(), str::to_string)
}

/// A complaint type as a finding category when it names one, else as written.
pub(crate) fn complaint_category(t: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("谩骂", "abuse"),
        ("侮辱", "abuse"),
        ("骂人", "abuse"),
        ("辱骂客户", "abuse"),
        ("威胁", "threat"),
        ("恐吓", "threat"),
        ("暴力催收", "threat"),
        ("冒充", "impersonation"),
        ("冒充公检法", "impersonation"),
        ("虚构法律后果", "false_legal_claim"),
        ("恐吓起诉", "false_legal_claim"),
        ("骚扰第三方", "third_party_disclosure"),
        ("联系第三方", "third_party_disclosure"),
        ("告知第三方", "third_party_disclosure"),
        ("泄露债务", "third_party_disclosure"),
        ("爆通讯录", "third_party_disclosure"),
        ("频繁催收", "excessive_frequency"),
        ("频繁致电", "excessive_frequency"),
        ("频繁拨打", "excessive_frequency"),
        ("骚扰", "excessive_frequency"),
        ("电话骚扰", "excessive_frequency"),
        ("非工作时间催收", "off_hours"),
        ("深夜催收", "off_hours"),
        ("夜间催收", "off_hours"),
        ("私人账户", "private_payment"),
        ("承诺减免", "unauthorized_promise"),
    ];
    let w = word(t);
    for (id, _, label) in BUILTIN_CATEGORIES {
        if w == *id || w == word(label) {
            return (*id).to_string();
        }
    }
    lookup(WORDS, t).map_or_else(|| trim(t).to_string(), str::to_string)
}

/// `m2` → `M2`; other stages as written.
pub(crate) fn stage(t: &str) -> String {
    let t = trim(t);
    let w = word(t);
    let rest = w.strip_prefix('m').unwrap_or("");
    if !rest.is_empty()
        && rest
            .trim_end_matches('+')
            .bytes()
            .all(|b| b.is_ascii_digit())
        && !rest.trim_end_matches('+').is_empty()
    {
        w.to_uppercase()
    } else {
        t.to_string()
    }
}

/// A 64-bit FNV-1a hash, stable across versions and platforms.
pub(crate) fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h ^= u64::from(b'|');
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    fn ts(s: &str) -> Result<Option<Timestamp>, String> {
        timestamp(&CellRef::Text(s), &tz())
    }

    #[test]
    fn timestamps() {
        let want: Timestamp = "2026-01-05T01:30:00Z".parse().unwrap();
        for s in [
            "2026-01-05 09:30:00",
            "2026-01-05 09:30",
            "2026/1/5 9:30",
            "2026/01/05 09:30:00",
            "2026年1月5日 09:30",
            "2026年1月5日9时30分0秒",
            "2026-01-05T09:30:00",
            "2026-01-05T09:30:00+08:00",
            "2026-01-05T01:30:00Z",
            "20260105093000",
            "202601050930",
            "20260105 093000",
            "2026.1.5 9:30:00",
            "2026/1/5 上午 9:30",
            "46027.395833333336",
            "２０２６－０１－０５　０９：３０",
        ] {
            assert_eq!(ts(s), Ok(Some(want)), "{s}");
        }
        assert_eq!(
            ts("2026/1/5 下午 9:30"),
            Ok(Some("2026-01-05T13:30:00Z".parse().unwrap()))
        );
        assert_eq!(
            ts("2026-01-05 09:30:00.250"),
            Ok(Some("2026-01-05T01:30:00.25Z".parse().unwrap()))
        );
        assert_eq!(
            ts("2026-01-05"),
            Ok(Some("2026-01-04T16:00:00Z".parse().unwrap()))
        );
        assert_eq!(ts(""), Ok(None));
        assert_eq!(ts("NULL"), Ok(None));
        for bad in [
            "2026-13-45 99:00",
            "yesterday",
            "9:30",
            "05/01/2026 09:30",
            "1234",
        ] {
            assert!(ts(bad).is_err(), "{bad}");
        }
        let serial = CellRef::Number(46027.395833333336);
        assert_eq!(timestamp(&serial, &tz()), Ok(Some(want)));
        let utc = timestamp(&CellRef::Text("2026-01-05 09:30"), &TimeZone::UTC);
        assert_eq!(utc, Ok(Some("2026-01-05T09:30:00Z".parse().unwrap())));
    }

    #[test]
    fn durations() {
        let d = |s: &str| duration(&CellRef::Text(s), 1.0);
        for (s, v) in [
            ("192", 192.0),
            ("192.5", 192.5),
            ("00:03:12", 192.0),
            ("3:12", 192.0),
            ("1:00:03", 3603.0),
            ("3分12秒", 192.0),
            ("1小时2分3秒", 3723.0),
            ("192秒", 192.0),
            ("192s", 192.0),
            ("3m12s", 192.0),
            ("PT3M12S", 192.0),
        ] {
            assert_eq!(d(s), Ok(Some(v)), "{s}");
        }
        assert_eq!(duration(&CellRef::Text("3"), 60.0), Ok(Some(180.0)));
        assert_eq!(duration(&CellRef::Number(0.5), 60.0), Ok(Some(30.0)));
        for bad in ["-3", "abc", "3分x", "1::2"] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_and_numbers() {
        let c = |s: &str| code(&CellRef::Text(s));
        assert_eq!(c("13800000000"), Ok(Some("13800000000".into())));
        assert_eq!(c("13800000000.0"), Ok(Some("13800000000".into())));
        assert_eq!(c("=\"013800000000\""), Ok(Some("013800000000".into())));
        assert_eq!(c("'0571-8888"), Ok(Some("0571-8888".into())));
        assert!(c("1.38E+10").unwrap_err().contains("scientific"));
        assert_eq!(c("1.38E10"), Ok(Some("1.38E10".into())));
        assert_eq!(c("1.3800000001E+10"), Ok(Some("13800000001".into())));
        assert_eq!(c("138****0000"), Ok(Some("138****0000".into())));
        assert_eq!(c("E10"), Ok(Some("E10".into())));
        assert_eq!(c("CASE-1E5"), Ok(Some("CASE-1E5".into())));
        assert_eq!(
            code(&CellRef::Number(13_800_000_000.0)),
            Ok(Some("13800000000".into()))
        );
        assert!(code(&CellRef::Number(1.5)).is_err());
    }

    #[test]
    fn amounts_and_words() {
        let a = |s: &str| amount(&CellRef::Text(s), 1.0);
        assert_eq!(a("¥1,234.50"), Ok(Some(1234.5)));
        assert_eq!(a("1234.5元"), Ok(Some(1234.5)));
        assert_eq!(a("￥１，２３４"), Ok(Some(1234.0)));
        assert_eq!(a("1.2万"), Ok(Some(12000.0)));
        assert_eq!(a("RMB 300"), Ok(Some(300.0)));
        assert!(a("很多").is_err());
        assert_eq!(days(&CellRef::Text("45天")), Ok(Some(45)));
        assert!(days(&CellRef::Text("-1")).is_err());
        assert_eq!(outcome("已接通", OUTCOMES), Ok(Outcome::Connected));
        assert_eq!(outcome("No_Answer", OUTCOMES), Ok(Outcome::NoAnswer));
        assert!(outcome("打错了", OUTCOMES).is_err());
        assert_eq!(direction("预测外呼"), Ok(Direction::Outbound));
        assert_eq!(relation("配偶"), Some(Party::Spouse));
        assert_eq!(complaint_source("12378"), "regulator");
        assert_eq!(complaint_source("微博"), "微博");
        assert_eq!(complaint_category("威胁恐吓"), "threat");
        assert_eq!(complaint_category("辱骂"), "abuse");
        assert_eq!(stage("m3+"), "M3+");
        assert_eq!(stage("委外"), "委外");
        assert_eq!(fnv1a(&[""]), "cbf29ce484222325");
        assert_eq!(fnv1a(&["a"]), "af63dc4c8601ec8c");
    }
}
