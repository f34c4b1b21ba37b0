//! Spoken renderings of amounts, day counts and dates, varied the way agents and ASR write them.

use jiff::civil::{Date, Weekday};

use crate::util::{Rng, chance, pick, weighted};

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// Chinese numerals for `0..10^8` (一万二千八百六十, 十五, 一百零五 …). `liang` writes a
/// leading 2 of 千/万/百 as 两.
pub(crate) fn cn_int(n: u64, liang: bool) -> String {
    if n == 0 {
        return "零".into();
    }
    let wan = n / 10_000;
    let rest = n % 10_000;
    let mut s = String::new();
    if wan > 0 {
        s.push_str(&group(wan, liang, true));
        s.push('万');
        if rest > 0 && rest < 1000 {
            s.push('零');
        }
    }
    if rest > 0 {
        s.push_str(&group(rest, liang, wan == 0));
    }
    s
}

fn group(n: u64, liang: bool, leading: bool) -> String {
    let digits = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let units = ["千", "百", "十", ""];
    let mut s = String::new();
    let mut started = false;
    let mut zero = false;
    for (i, &d) in digits.iter().enumerate() {
        if d == 0 {
            if started {
                zero = true;
            }
            continue;
        }
        if zero {
            s.push('零');
            zero = false;
        }
        let first = !started;
        started = true;
        if i == 2 && d == 1 && first && leading {
            // 十五, not 一十五, at the very start of the number.
            s.push('十');
            continue;
        }
        if d == 2 && liang && i < 2 {
            s.push('两');
        } else {
            s.push_str(DIGITS[d as usize]);
        }
        s.push_str(units[i]);
    }
    s
}

/// An amount in fen rendered as an agent would say or ASR would write it.
pub(crate) fn amount(rng: &mut Rng, cents: i64) -> String {
    let cents = cents.max(0);
    let yuan = cents / 100;
    let fen = cents % 100;
    let jiao = fen / 10;
    let fen1 = fen % 10;
    let style = weighted(
        rng,
        &[
            (0u8, 30.0),
            (1, 20.0),
            (2, 10.0),
            (3, 14.0),
            (4, 16.0),
            (5, 4.0),
            (6, 6.0),
        ],
    );
    match style {
        0 => {
            if fen == 0 {
                format!("{yuan}元")
            } else {
                format!("{yuan}.{fen:02}元")
            }
        }
        1 => {
            if fen == 0 {
                format!("{yuan}块")
            } else if fen1 == 0 {
                format!("{yuan}.{jiao}元")
            } else {
                format!("{yuan}.{fen:02}元")
            }
        }
        2 => format!("{}.{fen:02}元", thousands(yuan)),
        3 => {
            if fen == 0 {
                format!("{yuan}块钱")
            } else if fen1 == 0 {
                format!("{yuan}块{jiao}")
            } else if jiao == 0 {
                format!("{yuan}块零{fen1}分")
            } else {
                format!("{yuan}块{jiao}毛{fen1}")
            }
        }
        4 => {
            let liang = chance(rng, 0.5);
            let mut s = cn_int(yuan as u64, liang);
            if fen == 0 {
                s.push_str(pick::<&str>(rng, &["元", "块", "块钱", "元整"]));
            } else if chance(rng, 0.5) {
                s.push('点');
                s.push_str(DIGITS[jiao as usize]);
                if fen1 != 0 {
                    s.push_str(DIGITS[fen1 as usize]);
                }
                s.push('元');
            } else {
                s.push('元');
                if jiao != 0 {
                    s.push_str(DIGITS[jiao as usize]);
                    s.push('角');
                } else {
                    s.push('零');
                }
                if fen1 != 0 {
                    s.push_str(DIGITS[fen1 as usize]);
                    s.push('分');
                }
            }
            s
        }
        5 => format!("人民币{yuan}.{fen:02}元"),
        _ => {
            if fen == 0 {
                format!("{yuan} 元")
            } else {
                format!("{yuan}.{fen:02} 元")
            }
        }
    }
}

/// A round plan amount rendered (plan amounts are whole yuan).
pub(crate) fn plan_amount(rng: &mut Rng, cents: i64) -> String {
    amount(rng, cents)
}

fn thousands(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Days past due: 45天, 四十五天, 一个多月.
pub(crate) fn days(rng: &mut Rng, d: u32) -> String {
    let r: f64 = crate::util::uniform(rng, 0.0, 1.0);
    if d >= 40 && d % 30 >= 5 && r < 0.12 {
        let m = d / 30;
        return format!(
            "{}个多月",
            if m == 2 {
                "两".to_string()
            } else {
                cn_int(m as u64, false)
            }
        );
    }
    if r < 0.35 {
        format!("{}天", cn_int(d as u64, chance(rng, 0.3)))
    } else {
        format!("{d}天")
    }
}

fn weekday_cn(rng: &mut Rng, w: Weekday) -> String {
    let n = ["一", "二", "三", "四", "五", "六", "日"][w.to_monday_zero_offset() as usize];
    let prefix = pick(rng, &["周", "星期", "礼拜"]);
    let n = if n == "日" && *prefix != "周" && chance(rng, 0.5) {
        "天"
    } else {
        n
    };
    format!("{prefix}{n}")
}

/// A plan date said on `today`: 10月25号, 25号, 明天, 下周三, 月底 …
pub(crate) fn date(rng: &mut Rng, today: Date, when: Date) -> String {
    let delta = (when - today).get_days();
    let same_month = when.month() == today.month() && when.year() == today.year();
    let last_of_month = when.day() == when.days_in_month();
    let mut options: Vec<(u8, f64)> = vec![(0, 30.0), (1, 12.0)];
    if same_month {
        options.push((2, 10.0));
        options.push((3, 8.0));
    } else {
        options.push((4, 6.0));
    }
    if delta == 1 {
        options.push((5, 25.0));
    }
    if delta == 2 {
        options.push((6, 20.0));
    }
    if (1..=13).contains(&delta) {
        options.push((7, 10.0));
    }
    if last_of_month {
        options.push((8, 15.0));
    }
    match weighted(rng, &options) {
        0 => format!("{}月{}号", when.month(), when.day()),
        1 => format!("{}月{}日", when.month(), when.day()),
        2 => format!("{}号", when.day()),
        3 => format!("本月{}号", when.day()),
        4 => format!("下个月{}号", when.day()),
        5 => "明天".into(),
        6 => "后天".into(),
        7 => {
            let this_week_end = 6 - i32::from(today.weekday().to_monday_zero_offset());
            let w = weekday_cn(rng, when.weekday());
            if delta <= this_week_end {
                format!("这{w}")
            } else if delta <= this_week_end + 7 {
                format!("下{w}")
            } else {
                format!("{}月{}号", when.month(), when.day())
            }
        }
        _ => {
            if chance(rng, 0.5) {
                "月底".into()
            } else {
                format!("{}月底", when.month())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals() {
        assert_eq!(cn_int(15, false), "十五");
        assert_eq!(cn_int(105, false), "一百零五");
        assert_eq!(cn_int(115, false), "一百一十五");
        assert_eq!(cn_int(12860, false), "一万二千八百六十");
        assert_eq!(cn_int(12860, true), "一万两千八百六十");
        assert_eq!(cn_int(10005, false), "一万零五");
        assert_eq!(cn_int(100_500, false), "十万零五百");
        assert_eq!(cn_int(2000, true), "两千");
        assert_eq!(cn_int(30_020, false), "三万零二十");
    }
}
