//! No input makes the parser or the engine panic: random bytes, and real lines mutated at
//! random (bytes deleted, duplicated, replaced by random characters). Deterministic.

use zhijian_domain::{Record, parse_record};
use zhijian_engine::{Engine, IndexBuilder};

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ODD: &[&str] = &[
    "\u{0}",
    "\u{FEFF}",
    "｜",
    "|",
    "\u{1}",
    "。",
    "！！",
    "😡",
    "\u{301}",
    "１２３",
    "十万八千",
    "99999999999999999999",
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "e999",
    "-0",
    "\u{200B}",
];

fn mutate(rng: &mut XorShift, line: &str) -> Vec<u8> {
    let mut b = line.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        if b.is_empty() {
            break;
        }
        let at = rng.below(b.len());
        match rng.below(4) {
            0 => {
                b.remove(at);
            }
            1 => {
                let end = (at + rng.below(40)).min(b.len());
                let chunk: Vec<u8> = b[at..end].to_vec();
                b.splice(at..at, chunk);
            }
            2 => {
                let s = ODD[rng.below(ODD.len())];
                b.splice(at..at, s.bytes());
            }
            _ => b[at] = rng.next() as u8,
        }
    }
    b
}

#[test]
fn never_panics_on_mutated_input() {
    let engine = Engine::builtin();
    let mut lines: Vec<&str> = include_str!("fixtures/event_log.jsonl").lines().collect();
    let dev = include_str!("../../../eval/dev/calls.jsonl");
    lines.extend(dev.lines().take(30));
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut builder = IndexBuilder::new();
    let mut parsed = Vec::new();
    for round in 0..3000 {
        let line = lines[rng.below(lines.len())];
        let bytes = if round % 10 == 0 {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        } else {
            mutate(&mut rng, line)
        };
        let Ok(s) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match parse_record(s) {
            Ok(Record::Interaction(i)) => {
                let _ = engine.inspect(&i);
                builder.add(&engine, parsed.len() as u32, &i);
                parsed.push(i);
            }
            Ok(Record::Flag(f)) => builder.add_flag(&f),
            Ok(_) => {}
            Err(e) => assert!(!e.message.is_empty()),
        }
    }
    let index = builder.finish(&engine);
    for (k, i) in parsed.iter().enumerate() {
        let r = engine.inspect_with(i, &index, k as u32);
        assert!(r.score.is_finite());
    }
}

#[test]
fn odd_but_valid_interactions() {
    let engine = Engine::builtin();
    let long = "你欠款一万元".repeat(20_000);
    let cases = [
        r#"{"id":"e","kind":"call","case_id":"c","agent_id":"a","client":"x","started_at":"2026-01-01T00:00:00Z","segments":[]}"#.to_string(),
        r#"{"id":"e","kind":"call","case_id":"c","agent_id":"a","client":"x","started_at":"2026-01-01T00:00:00Z","segments":[{"speaker":"agent","start":0,"end":0,"text":""}]}"#.to_string(),
        r#"{"id":"e","kind":"sms","case_id":"c","agent_id":"a","client":"x","started_at":"2026-01-01T00:00:00Z"}"#.to_string(),
        r#"{"id":"e","kind":"note","case_id":"c","agent_id":"a","client":"x","started_at":"9999-12-30T00:00:00Z","text":"，，，。。。|||!!!???"}"#.to_string(),
        format!(r#"{{"id":"e","kind":"call","case_id":"c","agent_id":"a","client":"x","started_at":"2026-01-01T00:00:00Z","contact":{{"timezone":"Mars/Base"}},"segments":[{{"speaker":"agent","start":0,"end":1e9,"text":"{long}"}}]}}"#),
    ];
    for c in &cases {
        let Record::Interaction(i) = parse_record(c).expect("valid") else {
            panic!()
        };
        let r = engine.inspect(&i);
        assert!(r.score.is_finite());
    }
}
