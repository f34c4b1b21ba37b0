//! The hand-written evaluation sets (eval/*/; see eval/GUIDE.md) scored with the
//! default pack. The targets are the product's: overall precision ≥ 0.90 and recall ≥ 0.85 on
//! content categories, no category below 0.75 on either. The figures are printed (run with
//! `--nocapture`) and recorded in docs/evaluation.md.

use std::collections::{BTreeSet, HashMap};

use zhijian_domain::{CategoryKind, Record, parse_record};
use zhijian_engine::evaluation::{Evaluation, evaluate};
use zhijian_engine::{Engine, IndexBuilder};

fn score(split: &str) -> Evaluation {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../eval/");
    let calls = std::fs::read_to_string(format!("{root}{split}/calls.jsonl")).expect("calls");
    let labels = std::fs::read_to_string(format!("{root}{split}/labels.jsonl")).expect("labels");
    let engine = Engine::builtin();
    let mut truth: HashMap<String, BTreeSet<String>> = HashMap::new();
    for l in labels.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(l).expect("label line");
        let labels = v["labels"]
            .as_array()
            .expect("labels array")
            .iter()
            .map(|x| x.as_str().expect("label").to_string())
            .collect();
        truth.insert(v["id"].as_str().expect("id").to_string(), labels);
    }
    let interactions: Vec<_> = calls
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match parse_record(l) {
            Ok(Record::Interaction(i)) => *i,
            other => panic!("bad eval line: {other:?}"),
        })
        .collect();
    let mut b = IndexBuilder::new();
    for (k, i) in interactions.iter().enumerate() {
        b.add(&engine, k as u32, i);
    }
    let index = b.finish(&engine);
    let results: Vec<_> = interactions
        .iter()
        .enumerate()
        .map(|(k, i)| engine.inspect_with(i, &index, k as u32))
        .collect();
    let scored: BTreeSet<String> = engine
        .categories()
        .filter(|(_, k, _)| *k == CategoryKind::Content)
        .map(|(n, _, _)| n.to_string())
        .collect();
    let ev = evaluate(&results, &truth, &scored);
    println!("== eval/{split}: {} calls", ev.scored);
    for (c, n) in &ev.per_category {
        println!(
            "{c:<32} tp {:>3} fp {:>3} fn {:>3}  P {:.3}  R {:.3}",
            n.tp,
            n.fp,
            n.fn_,
            n.precision().unwrap_or(f64::NAN),
            n.recall().unwrap_or(f64::NAN)
        );
    }
    println!(
        "overall P {:.3} R {:.3}",
        ev.overall.precision().unwrap_or(0.0),
        ev.overall.recall().unwrap_or(0.0)
    );
    for m in &ev.misses {
        println!("  {} {} {} {}", m.kind, m.id, m.category, m.evidence);
    }
    ev
}

fn check(split: &str, ev: &Evaluation) {
    let p = ev.overall.precision().unwrap_or(0.0);
    let r = ev.overall.recall().unwrap_or(0.0);
    assert!(p >= 0.90, "eval/{split}: overall precision {p:.3} < 0.90");
    assert!(r >= 0.85, "eval/{split}: overall recall {r:.3} < 0.85");
    for (c, n) in &ev.per_category {
        if let Some(p) = n.precision() {
            assert!(p >= 0.75, "eval/{split}: {c}: precision {p:.3} < 0.75");
        }
        if let Some(r) = n.recall() {
            assert!(r >= 0.75, "eval/{split}: {c}: recall {r:.3} < 0.75");
        }
    }
}

/// Every split under `eval/` (a folder with `calls.jsonl` and `labels.jsonl`) meets the targets.
#[test]
fn every_eval_split_meets_targets() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../eval/");
    let mut splits: Vec<String> = std::fs::read_dir(root)
        .expect("eval folder")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("labels.jsonl").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    splits.sort();
    assert!(
        splits.len() >= 3,
        "expected the dev, test and holdout splits, found {splits:?}"
    );
    for split in &splits {
        check(split, &score(split));
    }
}

/// `EVAL_SHOW=dev/dev-010 cargo test -p zhijian-engine --test eval_sets show -- --nocapture`
/// prints the engine's reading of one call (for tuning on the dev split).
#[test]
fn show() {
    let Ok(spec) = std::env::var("EVAL_SHOW") else {
        return;
    };
    let (split, id) = spec.split_once('/').expect("EVAL_SHOW=split/id");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../eval/");
    let calls = std::fs::read_to_string(format!("{root}{split}/calls.jsonl")).expect("calls");
    let engine = Engine::builtin();
    for l in calls.lines() {
        if let Ok(Record::Interaction(i)) = parse_record(l)
            && i.id == id
        {
            let r = engine.inspect(&i);
            println!("party read: {:?}", r.party);
            for f in &r.findings {
                println!(
                    "{} {} seg {:?} «{}» {}",
                    f.rule, f.category, f.segment, f.excerpt, f.message
                );
            }
        }
    }
}
