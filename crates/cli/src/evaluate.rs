//! `zhijian eval`: per-category precision, recall and F1 at interaction level.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde::Deserialize;
use zhijian_domain::{CategoryKind, InspectionResult};
use zhijian_engine::Engine;
use zhijian_engine::evaluation::{Counts, evaluate};

use crate::{CliError, EXIT_CHECKS_FAILED, EXIT_OK, EXIT_PARTIAL};

#[derive(Deserialize)]
struct LabelLine {
    id: String,
    labels: Vec<String>,
}

fn fmt(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.3}"))
        .unwrap_or_else(|| "  n/a".into())
}

pub fn run(
    engine: &Engine,
    input: &Path,
    labels: &Path,
    verbose: bool,
    json: bool,
    min_p: Option<f64>,
    min_r: Option<f64>,
) -> Result<u8, CliError> {
    let f = File::open(labels)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", labels.display())))?;
    let mut truth: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut bad = 0;
    crate::pipeline::for_each_raw_lines(BufReader::new(f), |n, line| {
        match serde_json::from_str::<LabelLine>(line) {
            Ok(l) => {
                truth.insert(l.id, l.labels.into_iter().collect());
            }
            Err(e) => {
                bad += 1;
                eprintln!("{}:{n}: {e} [labels.invalid_line]", labels.display());
            }
        }
    })?;
    let known: BTreeMap<&str, CategoryKind> = engine.categories().map(|(n, k, _)| (n, k)).collect();
    for l in truth.values().flatten() {
        if !known.contains_key(l.as_str()) {
            return Err(CliError::Usage(format!(
                "{}: unknown category `{l}`",
                labels.display()
            )));
        }
    }
    // Scored categories: every content category, plus event-log ones the labels use.
    let mut scored: BTreeSet<String> = known
        .iter()
        .filter(|(_, k)| **k == CategoryKind::Content)
        .map(|(n, _)| n.to_string())
        .collect();
    scored.extend(truth.values().flatten().cloned());

    let mut results: Vec<InspectionResult> = Vec::new();
    let summary = crate::pipeline::inspect_file(
        engine,
        &input.display().to_string(),
        "/dev/null",
        None,
        |r| results.push(r.clone()),
    )?;
    let ev = evaluate(&results, &truth, &scored);
    let (per, total) = (&ev.per_category, ev.overall);
    if json {
        let cats: BTreeMap<&String, serde_json::Value> = per.iter().map(|(k, c)| (k, serde_json::json!({"tp": c.tp, "fp": c.fp, "fn": c.fn_, "precision": c.precision(), "recall": c.recall(), "f1": c.f1()}))).collect();
        crate::say!(
            "{}",
            serde_json::json!({"pack": engine.pack_ref(), "interactions": results.len(), "categories": cats,
            "overall": {"tp": total.tp, "fp": total.fp, "fn": total.fn_, "precision": total.precision(), "recall": total.recall(), "f1": total.f1()}})
        );
    } else {
        crate::say!("{} interactions, pack {}", results.len(), engine.pack_ref());
        crate::say!(
            "{:<32} {:>4} {:>4} {:>4} {:>9} {:>7} {:>6}",
            "category",
            "tp",
            "fp",
            "fn",
            "precision",
            "recall",
            "f1"
        );
        let row = |name: &str, c: &Counts| {
            crate::say!(
                "{:<32} {:>4} {:>4} {:>4} {:>9} {:>7} {:>6}",
                name,
                c.tp,
                c.fp,
                c.fn_,
                fmt(c.precision()),
                fmt(c.recall()),
                fmt(c.f1())
            );
        };
        for (k, c) in per {
            if c.tp + c.fp + c.fn_ > 0 {
                row(k, c);
            }
        }
        row("overall (micro)", &total);
        if verbose {
            for m in &ev.misses {
                crate::say!("{} {} {} {}", m.kind, m.id, m.category, m.evidence);
            }
        }
    }
    if ev.unlabelled > 0 {
        eprintln!(
            "note: {} interactions have no label line and were not scored",
            ev.unlabelled
        );
    }
    let below = min_p.is_some_and(|m| total.precision().unwrap_or(0.0) < m)
        || min_r.is_some_and(|m| total.recall().unwrap_or(0.0) < m);
    Ok(if below {
        EXIT_CHECKS_FAILED
    } else if summary.rejected > 0 || bad > 0 {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}
