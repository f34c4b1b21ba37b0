//! Event-log rules are exact, whatever the time zone of the timestamps and the order of the
//! lines: every interaction in `fixtures/event_log.jsonl` carries an `expect` list (an extra
//! field the parser ignores) of the event-log categories it must get — no more, no less.

use std::collections::BTreeSet;

use zhijian_domain::{CategoryKind, Record, parse_record};
use zhijian_engine::{Engine, IndexBuilder};

#[test]
fn event_log_fixture_is_exact() {
    let text = include_str!("fixtures/event_log.jsonl");
    let engine = Engine::builtin();
    let event_cats: BTreeSet<&str> = engine
        .categories()
        .filter(|(_, k, _)| *k == CategoryKind::EventLog)
        .map(|(n, _, _)| n)
        .collect();
    let mut b = IndexBuilder::new();
    let mut calls = Vec::new();
    for line in text.lines() {
        match parse_record(line).expect("fixture line parses") {
            Record::Flag(f) => b.add_flag(&f),
            Record::Interaction(i) => {
                let v: serde_json::Value = serde_json::from_str(line).expect("json");
                let expect: BTreeSet<String> = v["expect"]
                    .as_array()
                    .expect("expect")
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect();
                b.add(&engine, calls.len() as u32, &i);
                calls.push((i, expect));
            }
            other => panic!("unexpected {}", other.kind()),
        }
    }
    let index = b.finish(&engine);
    let mut wrong = Vec::new();
    for (k, (i, expect)) in calls.iter().enumerate() {
        let r = engine.inspect_with(i, &index, k as u32);
        let got: BTreeSet<String> = r
            .findings
            .iter()
            .map(|f| f.category.as_str())
            .filter(|c| event_cats.contains(c))
            .map(String::from)
            .collect();
        if &got != expect {
            wrong.push(format!(
                "{}: expected {expect:?}, got {got:?} ({:?})",
                i.id,
                r.findings.iter().map(|f| &f.message).collect::<Vec<_>>()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The same log in reverse order gives the same findings.
#[test]
fn event_log_is_order_independent() {
    let text = include_str!("fixtures/event_log.jsonl");
    let engine = Engine::builtin();
    let run = |lines: Vec<&str>| {
        let mut b = IndexBuilder::new();
        let mut calls = Vec::new();
        for line in lines {
            match parse_record(line).unwrap() {
                Record::Flag(f) => b.add_flag(&f),
                Record::Interaction(i) => {
                    b.add(&engine, calls.len() as u32, &i);
                    calls.push(i);
                }
                other => panic!("unexpected {}", other.kind()),
            }
        }
        let index = b.finish(&engine);
        let mut out: Vec<(String, Vec<String>)> = calls
            .iter()
            .enumerate()
            .map(|(k, i)| {
                (
                    i.id.clone(),
                    engine
                        .inspect_with(i, &index, k as u32)
                        .findings
                        .iter()
                        .map(|f| f.rule.clone())
                        .collect(),
                )
            })
            .collect();
        out.sort();
        out
    };
    let forward: Vec<&str> = text.lines().collect();
    let backward: Vec<&str> = text.lines().rev().collect();
    assert_eq!(run(forward), run(backward));
}
