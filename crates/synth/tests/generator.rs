//! Properties of the generated data: determinism, counts, realistic lengths and timing, valid
//! interchange lines, labels from the allowed list, coverage of every content category, and the
//! event-log labels recomputed independently from the emitted items.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use zhijian_domain::{
    BUILTIN_CATEGORIES, CategoryKind, Channel, Direction, FlagKind, Interaction, Outcome, Record,
    Speaker, normalize_number, parse_record,
};
use zhijian_synth::{CONTENT_CATEGORIES, Config, Generator, Item};

/// `ZHIJIAN_SYNTH_SEED=n` shifts every seed, to run the same checks on other data.
fn generate(calls: usize, seed: u64, all_channels: bool) -> Vec<Item> {
    let shift: u64 = std::env::var("ZHIJIAN_SYNTH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let seed = seed.wrapping_add(shift);
    Generator::new(Config {
        calls,
        seed,
        all_channels,
        ..Config::default()
    })
    .collect()
}

fn interactions(items: &[Item]) -> impl Iterator<Item = (&Interaction, &[String])> {
    items.iter().filter_map(|i| match i {
        Item::Interaction {
            interaction,
            labels,
        } => Some((interaction, labels.as_slice())),
        Item::Flag(_) => None,
    })
}

fn connected_calls(items: &[Item]) -> impl Iterator<Item = (&Interaction, &[String])> {
    interactions(items)
        .filter(|(i, _)| i.kind == Channel::Call && i.outcome == Some(Outcome::Connected))
}

#[test]
fn deterministic_for_a_seed() {
    let a: Vec<String> = generate(600, 42, true)
        .iter()
        .map(Item::to_json_line)
        .collect();
    let b: Vec<String> = generate(600, 42, true)
        .iter()
        .map(Item::to_json_line)
        .collect();
    assert_eq!(a, b);
    let c: Vec<String> = generate(600, 43, true)
        .iter()
        .map(Item::to_json_line)
        .collect();
    assert_ne!(a, c);
    let la: Vec<Option<String>> = generate(300, 42, false)
        .iter()
        .map(Item::labels_json_line)
        .collect();
    let lb: Vec<Option<String>> = generate(300, 42, false)
        .iter()
        .map(Item::labels_json_line)
        .collect();
    assert_eq!(la, lb);
}

#[test]
fn exact_number_of_calls() {
    for &(n, all) in &[
        (0usize, false),
        (1, false),
        (1, true),
        (7, true),
        (333, false),
        (1000, true),
    ] {
        let items = generate(n, 9, all);
        let calls = interactions(&items)
            .filter(|(i, _)| i.kind == Channel::Call)
            .count();
        assert_eq!(calls, n, "calls={n} all_channels={all}");
        if !all {
            assert!(interactions(&items).all(|(i, _)| i.kind == Channel::Call));
        }
    }
    let items = generate(2000, 5, true);
    for kind in [Channel::Sms, Channel::Visit, Channel::Note] {
        assert!(
            interactions(&items).any(|(i, _)| i.kind == kind),
            "no {kind:?} with all_channels"
        );
    }
}

#[test]
fn realistic_connected_calls() {
    let items = generate(3000, 3, false);
    let (mut n, mut chars, mut turns, mut dur, mut spoken_secs, mut spoken_chars) =
        (0usize, 0usize, 0usize, 0f64, 0f64, 0usize);
    let mut within_turns = 0usize;
    for (i, _) in connected_calls(&items) {
        n += 1;
        let c: usize = i.segments.iter().map(|s| s.text.chars().count()).sum();
        chars += c;
        turns += i.segments.len();
        if (10..=40).contains(&i.segments.len()) {
            within_turns += 1;
        }
        let end = i.segments.last().map_or(0.0, |s| s.end);
        dur += end;
        // Timing is well formed and matches the interaction's own span.
        let total = i
            .ended_at
            .expect("connected call has ended_at")
            .duration_since(i.started_at)
            .as_secs_f64();
        assert!(
            end <= total + 0.01,
            "{}: segments end {end} after the call ended {total}",
            i.id
        );
        for (k, s) in i.segments.iter().enumerate() {
            assert!(
                s.start >= 0.0 && s.end > s.start,
                "{}: segment {k} times",
                i.id
            );
            if k > 0 {
                assert!(
                    s.start >= i.segments[k - 1].start,
                    "{}: segments out of order at {k}",
                    i.id
                );
            }
            let len = spoken(&s.text).count();
            if len >= 10 {
                spoken_chars += len;
                spoken_secs += s.end - s.start;
            }
        }
        assert!(!i.segments.is_empty());
        assert!(i.recording.is_some());
    }
    assert!(n > 1000, "connected calls: {n}");
    let avg_chars = chars as f64 / n as f64;
    let avg_turns = turns as f64 / n as f64;
    let avg_dur = dur / n as f64;
    let rate = spoken_chars as f64 / spoken_secs;
    eprintln!(
        "avg chars {avg_chars:.0}, turns {avg_turns:.1}, duration {avg_dur:.0}s, {rate:.2} chars/s"
    );
    assert!(
        (600.0..=1000.0).contains(&avg_chars),
        "average characters {avg_chars}"
    );
    assert!(
        (10.0..=40.0).contains(&avg_turns),
        "average turns {avg_turns}"
    );
    assert!(
        (120.0..=260.0).contains(&avg_dur),
        "average duration {avg_dur}"
    );
    assert!((4.0..=6.0).contains(&rate), "speech rate {rate}");
    assert!(
        within_turns as f64 / n as f64 > 0.75,
        "share of calls with 10–40 turns"
    );
    // Attempts that did not connect carry no transcript.
    for (i, _) in interactions(&items)
        .filter(|(i, _)| i.kind == Channel::Call && i.outcome != Some(Outcome::Connected))
    {
        assert!(i.segments.is_empty());
    }
}

#[test]
fn lines_are_valid_interchange() {
    let items = generate(1500, 11, true);
    let mut ids = HashSet::new();
    let (mut plus8, mut utc) = (0, 0);
    for item in &items {
        let line = item.to_json_line();
        match parse_record(&line) {
            Ok(Record::Interaction(i)) => {
                let orig = item.interaction().expect("interaction");
                assert_eq!(&*i, orig, "round trip of {line}");
                assert!(ids.insert(i.id.clone()), "duplicate id {}", i.id);
                assert!(i.id.starts_with('G'));
                if line.contains("+08:00\"") {
                    plus8 += 1;
                }
                if line.contains("Z\"") {
                    utc += 1;
                }
                let lab = item.labels_json_line().expect("labels line");
                let v: serde_json::Value = serde_json::from_str(&lab).unwrap();
                assert_eq!(v["id"], i.id.as_str());
            }
            Ok(Record::Flag(f)) => {
                assert_eq!(Item::Flag(f), *item);
                assert!(line.contains("\"kind\":\"flag\""));
            }
            Ok(other) => panic!("unexpected {} in {line}", other.kind()),
            Err(e) => panic!("invalid line {line}: {e}"),
        }
    }
    assert!(plus8 > utc && utc > 0, "+08:00 {plus8}, Z {utc}");
    // Phone numbers look like Chinese numbers and overseas time zones exist.
    let items = generate(6000, 12, false);
    let mut zones = BTreeSet::new();
    for (i, _) in interactions(&items) {
        let c = i.contact.as_ref().expect("contact");
        let n = normalize_number(c.number.as_deref().unwrap());
        assert!(
            n.len() == 11 || (n.starts_with('0') && (11..=12).contains(&n.len())),
            "number {n}"
        );
        if let Some(z) = &c.timezone {
            zones.insert(z.clone());
        }
    }
    assert!(
        zones.iter().any(|z| z != "Asia/Shanghai"),
        "no overseas contact: {zones:?}"
    );
}

#[test]
fn labels_come_from_the_catalogue_and_cover_every_content_category() {
    let allowed: HashSet<&str> = BUILTIN_CATEGORIES.iter().map(|(n, _, _)| *n).collect();
    let content: BTreeSet<&str> = BUILTIN_CATEGORIES
        .iter()
        .filter(|(_, k, _)| *k == CategoryKind::Content)
        .map(|(n, _, _)| *n)
        .collect();
    assert_eq!(content, CONTENT_CATEGORIES.iter().copied().collect());
    let items = generate(5000, 21, true);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut clean, mut conn) = (0, 0);
    for (i, labels) in interactions(&items) {
        let set: HashSet<&String> = labels.iter().collect();
        assert_eq!(
            set.len(),
            labels.len(),
            "{}: duplicate labels {labels:?}",
            i.id
        );
        for l in labels {
            assert!(allowed.contains(l.as_str()), "{}: unknown label {l}", i.id);
            *seen.entry(allowed.get(l.as_str()).unwrap()).or_default() += 1;
        }
        if i.kind == Channel::Call && i.outcome == Some(Outcome::Connected) {
            conn += 1;
            if labels.is_empty() {
                clean += 1;
            }
        }
        if i.kind == Channel::Call && i.outcome != Some(Outcome::Connected) {
            assert!(
                labels.iter().all(|l| !content.contains(l.as_str())),
                "{}: content label on an unanswered call",
                i.id
            );
        }
    }
    for c in &content {
        assert!(
            seen.get(c).copied().unwrap_or(0) >= 3,
            "content category {c} appears {} times",
            seen.get(c).copied().unwrap_or(0)
        );
    }
    for c in [
        "off_hours",
        "excessive_frequency",
        "do_not_call",
        "continued_after_stop_request",
        "visit_rule",
        "late_submission",
        "unapproved_sms_template",
    ] {
        assert!(seen.contains_key(c), "event-log category {c} never appears");
    }
    let share = 1.0 - clean as f64 / conn as f64;
    assert!(
        (0.15..0.45).contains(&share),
        "share of labelled connected calls {share}"
    );
}

#[test]
fn no_violations_at_rate_zero() {
    let cfg = Config {
        calls: 3000,
        seed: 4,
        all_channels: true,
        violation_rate: 0.0,
        ..Config::default()
    };
    for item in Generator::new(cfg) {
        if let Item::Interaction {
            interaction,
            labels,
        } = &item
        {
            assert!(labels.is_empty(), "{}: {labels:?}", interaction.id);
        }
    }
}

/// Timing categories recomputed from the segments.
#[test]
fn timing_labels_match_segments() {
    let items = generate(3000, 8, false);
    let (mut silence, mut overtalk) = (0, 0);
    for (i, labels) in connected_calls(&items) {
        let s = &i.segments;
        let gap = s.windows(2).any(|w| w[1].start - w[0].end > 10.0);
        let overlaps = s
            .windows(2)
            .filter(|w| {
                w[0].speaker == Speaker::Customer
                    && w[1].speaker == Speaker::Agent
                    && w[0].end.min(w[1].end) - w[1].start >= 1.0
            })
            .count();
        assert_eq!(gap, labels.iter().any(|l| l == "long_silence"), "{}", i.id);
        assert_eq!(
            overlaps >= 2,
            labels.iter().any(|l| l == "over_talk"),
            "{}",
            i.id
        );
        silence += usize::from(gap);
        overtalk += usize::from(overlaps >= 2);
    }
    assert!(silence > 5 && overtalk > 5);
}

// ---------------------------------------------------------------------------------------------
// Event-log labels, recomputed from the stream alone
// ---------------------------------------------------------------------------------------------

const EVENT: [&str; 4] = [
    "off_hours",
    "excessive_frequency",
    "do_not_call",
    "continued_after_stop_request",
];

/// The spoken characters of a turn: no whitespace or punctuation.
fn spoken(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter(|c| {
        !c.is_whitespace() && !c.is_ascii_punctuation() && !"，。？！、；：…".contains(*c)
    })
}

/// Did the customer ask to stop calling or announce a complaint (or the police)?
fn stop_request(i: &Interaction) -> bool {
    i.segments
        .iter()
        .filter(|s| s.speaker == Speaker::Customer)
        .any(|s| {
            let t: String = spoken(&s.text)
                .map(|c| match c {
                    '別' => '别',
                    '訴' => '诉',
                    '報' => '报',
                    '給' => '给',
                    '聯' => '联',
                    '繫' | '係' => '系',
                    _ => c,
                })
                .collect();
            [
                "别再打",
                "不要再打",
                "别打了",
                "不要再给我打",
                "别再给我打",
                "投诉",
                "报警",
                "别再联系",
                "不要再联系",
            ]
            .iter()
            .any(|k| t.contains(k))
        })
}

fn expected_event_labels(items: &[Item]) -> HashMap<String, BTreeSet<&'static str>> {
    let shanghai = TimeZone::get("Asia/Shanghai").unwrap();
    let mut zones: HashMap<String, TimeZone> = HashMap::new();
    // All items, in time order (flags at their set_at, before interactions at the same instant).
    let mut order: Vec<(Timestamp, u8, usize)> = items
        .iter()
        .enumerate()
        .map(|(n, it)| match it {
            Item::Flag(f) => (f.set_at, 0, n),
            Item::Interaction { interaction, .. } => (interaction.started_at, 1, n),
        })
        .collect();
    order.sort();
    let mut dnc_contacts: Vec<(String, Timestamp)> = Vec::new();
    let mut dnc_cases: Vec<(String, Timestamp)> = Vec::new();
    let mut attempts: HashMap<(String, Date), usize> = HashMap::new();
    let mut connected: HashMap<(String, Date), usize> = HashMap::new();
    let mut stopped: HashMap<(String, Date), Timestamp> = HashMap::new();
    let mut out: HashMap<String, BTreeSet<&'static str>> = HashMap::new();
    for (_, _, n) in order {
        let i = match &items[n] {
            Item::Flag(f) => {
                if f.flag == FlagKind::DoNotCall {
                    if let Some(c) = &f.contact_id {
                        dnc_contacts.push((c.clone(), f.set_at));
                    }
                    if let Some(c) = &f.case_id {
                        dnc_cases.push((c.clone(), f.set_at));
                    }
                }
                continue;
            }
            Item::Interaction { interaction, .. } => interaction,
        };
        let labels = out.entry(i.id.clone()).or_default();
        if !matches!(i.kind, Channel::Call | Channel::Sms)
            || i.direction != Some(Direction::Outbound)
        {
            continue;
        }
        let contact = i.contact.as_ref().expect("contact");
        let cid = contact.id.clone().expect("contact id");
        let tz = match &contact.timezone {
            Some(name) => zones
                .entry(name.clone())
                .or_insert_with(|| TimeZone::get(name).unwrap())
                .clone(),
            None => shanghai.clone(),
        };
        let local = i.started_at.to_zoned(tz);
        let day = local.date();
        if local.hour() >= 22 || local.hour() < 8 {
            labels.insert("off_hours");
        }
        if i.kind == Channel::Call {
            let number = normalize_number(contact.number.as_deref().unwrap());
            let a = attempts.entry((number, day)).or_default();
            *a += 1;
            let mut excessive = *a >= 7;
            if i.outcome == Some(Outcome::Connected) {
                let c = connected.entry((cid.clone(), day)).or_default();
                *c += 1;
                excessive |= *c >= 4;
            }
            if excessive {
                labels.insert("excessive_frequency");
            }
        }
        let t = i.started_at;
        if dnc_contacts.iter().any(|(c, s)| *c == cid && *s < t)
            || dnc_cases.iter().any(|(c, s)| *c == i.case_id && *s < t)
        {
            labels.insert("do_not_call");
        }
        if stopped.get(&(cid.clone(), day)).is_some_and(|s| *s < t) {
            labels.insert("continued_after_stop_request");
        }
        if i.kind == Channel::Call && i.outcome == Some(Outcome::Connected) && stop_request(i) {
            stopped.entry((cid, day)).or_insert(t);
        }
    }
    out
}

#[test]
fn event_log_labels_match_an_independent_recomputation() {
    for (calls, seed) in [(12_000usize, 31u64), (4000, 32)] {
        let items = generate(calls, seed, true);
        let expected = expected_event_labels(&items);
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, labels) in interactions(&items) {
            let got: BTreeSet<&str> = labels
                .iter()
                .map(String::as_str)
                .filter(|l| EVENT.contains(l))
                .collect();
            let want: BTreeSet<&str> = expected.get(&i.id).cloned().unwrap_or_default();
            assert_eq!(
                got, want,
                "{} ({:?} {:?} at {})",
                i.id, i.kind, i.outcome, i.started_at
            );
            for l in got {
                *counts.entry(l).or_default() += 1;
            }
        }
        for l in EVENT {
            assert!(
                counts.get(l).copied().unwrap_or(0) >= 3,
                "seed {seed}: {l} appears {:?} times",
                counts.get(l)
            );
        }
        // Flags come before the interactions they affect.
        let mut flags_seen: HashSet<String> = HashSet::new();
        for item in &items {
            match item {
                Item::Flag(f) => {
                    flags_seen.insert(f.contact_id.clone().or(f.case_id.clone()).unwrap());
                }
                Item::Interaction {
                    interaction,
                    labels,
                } if labels.iter().any(|l| l == "do_not_call") => {
                    let c = interaction
                        .contact
                        .as_ref()
                        .and_then(|c| c.id.clone())
                        .unwrap();
                    assert!(
                        flags_seen.contains(&c) || flags_seen.contains(&interaction.case_id),
                        "{}",
                        interaction.id
                    );
                }
                _ => {}
            }
        }
    }
}

#[test]
fn stop_requests_only_where_labels_account_for_them() {
    // A stop request is never followed the same day by contact with that person unless the
    // later contact is labelled: covered above. Here: stop requests do occur, on all kinds of
    // answerers, and customers elsewhere never use the stop words.
    let items = generate(4000, 55, false);
    let n = connected_calls(&items)
        .filter(|(i, _)| stop_request(i))
        .count();
    assert!(n > 20, "stop requests: {n}");
}

#[test]
fn hard_negatives_are_present_in_clean_calls() {
    let items = generate(3000, 61, false);
    let clean: Vec<String> = connected_calls(&items)
        .filter(|(_, l)| l.is_empty())
        .map(|(i, _)| {
            i.segments
                .iter()
                .filter(|s| s.speaker == Speaker::Agent)
                .map(|s| s.text.as_str())
                .collect::<String>()
        })
        .collect();
    let has = |needle: &str| {
        clean
            .iter()
            .filter(|t| t.replace(' ', "").contains(needle))
            .count()
    };
    for needle in ["依法", "征信", "罚息", "不会", "申请", "审批"] {
        assert!(has(needle) > 10, "clean agent speech rarely says {needle}");
    }
    let cust_clean = connected_calls(&items)
        .filter(|(_, l)| l.is_empty())
        .filter(|(i, _)| {
            i.segments.iter().any(|s| {
                s.speaker == Speaker::Customer
                    && (s.text.contains("吸血鬼")
                        || s.text.contains("王八蛋")
                        || s.text.contains("神经病"))
            })
        })
        .count();
    assert!(cust_clean > 5, "customers never swear in clean calls");
}

#[test]
fn generating_a_thousand_calls_is_quick() {
    let t = Instant::now();
    let n = Generator::new(Config {
        calls: 1000,
        seed: 99,
        all_channels: true,
        ..Config::default()
    })
    .count();
    let el = t.elapsed();
    assert!(n > 1000);
    assert!(el.as_secs_f64() < 10.0, "1000 calls took {el:?}");
}

#[test]
#[ignore = "long: a million calls, for memory and throughput checks in release mode"]
fn a_million_calls_stream() {
    let t = Instant::now();
    let mut calls = 0usize;
    let mut bytes = 0usize;
    for item in Generator::new(Config {
        calls: 1_000_000,
        seed: 1,
        ..Config::default()
    }) {
        if item.interaction().is_some_and(|i| i.kind == Channel::Call) {
            calls += 1;
        }
        bytes += item.to_json_line().len();
    }
    assert_eq!(calls, 1_000_000);
    eprintln!(
        "1M calls, {:.1} GB of JSON, in {:?}",
        bytes as f64 / 1e9,
        t.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// Content labels against simple evidence in the text
// ---------------------------------------------------------------------------------------------

fn agent_text(i: &Interaction) -> String {
    i.segments
        .iter()
        .filter(|s| s.speaker == Speaker::Agent)
        .flat_map(|s| s.text.chars().chain(std::iter::once('|')))
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '錄' => '录',
            '託' => '托',
            '單' => '单',
            '０'..='９' => char::from_u32(c as u32 - 0xFF10 + '0' as u32).unwrap(),
            _ => c,
        })
        .collect()
}

fn digit_runs(s: &str) -> Vec<String> {
    let mut runs = vec![String::new()];
    for c in s.chars() {
        if c.is_ascii_digit() || c == 'X' {
            runs.last_mut().unwrap().push(c);
        } else if !runs.last().unwrap().is_empty() {
            runs.push(String::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

fn valid_id(s: &str) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    s.len() == 18 && {
        let sum: u32 = s
            .chars()
            .take(17)
            .zip(W)
            .map(|(c, w)| c.to_digit(10).unwrap_or(99) * w)
            .sum();
        b"10X98765432"[(sum % 11) as usize] as char == s.chars().last().unwrap()
    }
}

fn luhn(s: &str) -> bool {
    (16..=19).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_digit())
        && s.chars()
            .rev()
            .enumerate()
            .map(|(i, c)| {
                let d = c.to_digit(10).unwrap();
                if i % 2 == 1 {
                    if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                } else {
                    d
                }
            })
            .sum::<u32>()
            % 10
            == 0
}

#[test]
fn content_labels_agree_with_the_text() {
    let items = generate(4000, 71, false);
    let (mut checked_rec, mut pii) = (0, 0);
    for (i, labels) in connected_calls(&items) {
        let has = |l: &str| labels.iter().any(|x| x == l);
        let a = agent_text(i);
        // Recording notice: present exactly when not labelled missing.
        let notice = a.contains("录音") || a.contains("录着音");
        assert_eq!(!notice, has("missing_recording_notice"), "{}: {a}", i.id);
        checked_rec += 1;
        if has("missing_self_introduction") {
            assert!(!a.contains("委托") && !a.contains("受托"), "{}: {a}", i.id);
        }
        // Full ID or card numbers (spaces removed) appear in agent speech only with pii_leak.
        let a_joined: String = a.chars().filter(|c| *c != ' ').collect();
        let leaks =
            digit_runs(&a_joined).iter().any(|r| valid_id(r) || luhn(r)) || a.contains("单元");
        assert_eq!(leaks, has("pii_leak"), "{}: {a}", i.id);
        pii += usize::from(leaks);
        if has("wrong_amount") {
            let exact = format!("{:.2}", i.case.as_ref().unwrap().balance.unwrap());
            let stated = a.match_indices(&exact).any(|(k, _)| {
                !a[..k].ends_with(|c: char| c.is_ascii_digit() || c == ',' || c == '.')
            });
            assert!(
                !stated,
                "{}: true balance {exact} stated in a wrong_amount call",
                i.id
            );
        }
        if has("missing_debt_confirmation") || has("missing_repayment_plan") {
            assert!(
                i.segments.len() >= 6,
                "{}: too short for a missing-step label",
                i.id
            );
        }
        if has("missing_debt_confirmation") {
            assert!(!a.contains("逾期") && !a.contains("欠"), "{}: {a}", i.id);
        }
    }
    assert!(checked_rec > 1000 && pii > 5);
}
