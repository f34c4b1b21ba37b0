//! Scoring inspection results against human labels: per-category precision, recall and F1 at
//! interaction level (a category is predicted for an interaction when any finding has it).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zhijian_domain::InspectionResult;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> Option<f64> {
        let d = self.tp + self.fp;
        (d > 0).then(|| self.tp as f64 / d as f64)
    }
    pub fn recall(&self) -> Option<f64> {
        let d = self.tp + self.fn_;
        (d > 0).then(|| self.tp as f64 / d as f64)
    }
    pub fn f1(&self) -> Option<f64> {
        let (p, r) = (self.precision()?, self.recall()?);
        (p + r > 0.0).then(|| 2.0 * p * r / (p + r))
    }
    pub fn add(&mut self, o: &Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

/// One disagreement between the engine and the labels.
#[derive(Debug, Clone)]
pub struct Miss {
    pub id: String,
    pub category: String,
    /// `FP` (engine found it, label says no) or `FN` (label says yes, engine missed it).
    pub kind: &'static str,
    pub evidence: String,
}

#[derive(Debug, Default, Clone)]
pub struct Evaluation {
    pub per_category: BTreeMap<String, Counts>,
    pub overall: Counts,
    pub scored: usize,
    pub unlabelled: usize,
    pub misses: Vec<Miss>,
}

/// Score `results` against `truth` (id → categories) over the `scored` categories.
pub fn evaluate(
    results: &[InspectionResult],
    truth: &HashMap<String, BTreeSet<String>>,
    scored: &BTreeSet<String>,
) -> Evaluation {
    let mut ev = Evaluation {
        per_category: scored
            .iter()
            .map(|c| (c.clone(), Counts::default()))
            .collect(),
        ..Default::default()
    };
    for r in results {
        let Some(t) = truth.get(&r.id) else {
            ev.unlabelled += 1;
            continue;
        };
        ev.scored += 1;
        let pred: BTreeSet<&str> = r.findings.iter().map(|f| f.category.as_str()).collect();
        for c in scored {
            let e = ev.per_category.get_mut(c).expect("scored category");
            match (pred.contains(c.as_str()), t.contains(c)) {
                (true, true) => e.tp += 1,
                (true, false) => {
                    e.fp += 1;
                    let evidence: Vec<String> = r
                        .findings
                        .iter()
                        .filter(|f| f.category.as_str() == c)
                        .map(|f| {
                            format!(
                                "{} «{}»",
                                f.rule,
                                if f.excerpt.is_empty() {
                                    &f.message
                                } else {
                                    &f.excerpt
                                }
                            )
                        })
                        .collect();
                    ev.misses.push(Miss {
                        id: r.id.clone(),
                        category: c.clone(),
                        kind: "FP",
                        evidence: evidence.join("; "),
                    });
                }
                (false, true) => {
                    e.fn_ += 1;
                    ev.misses.push(Miss {
                        id: r.id.clone(),
                        category: c.clone(),
                        kind: "FN",
                        evidence: String::new(),
                    });
                }
                (false, false) => {}
            }
        }
    }
    let mut overall = Counts::default();
    for c in ev.per_category.values() {
        overall.add(c);
    }
    ev.overall = overall;
    ev
}
