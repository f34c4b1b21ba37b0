//! Re-inspection: run a (new) rule-pack version over stored interactions — all, or a date range
//! and/or one client — and report what changed, rule by rule.
//!
//! Two passes over the store, both in id order: the first builds the event index from the
//! selected interactions and their neighbours (± 1 day, so frequency and stop-request rules see
//! whole days), the second inspects the selected ones, compares with the stored inspection and
//! writes the new results (unless it is a dry run).

use std::collections::BTreeMap;

use serde::Serialize;
use zhijian_domain::{InspectionResult, Interaction, Timestamp};
use zhijian_engine::{Engine, IndexBuilder};
use zhijian_store::{Inspection, ScanFilter, Store, StoreError};

use crate::ServiceError;

/// Which stored interactions to re-inspect.
#[derive(Debug, Clone, Default)]
pub struct ReinspectOptions {
    /// Interactions that started at or after this instant.
    pub from: Option<Timestamp>,
    /// Interactions that started before this instant.
    pub to: Option<Timestamp>,
    pub client: Option<String>,
    /// Compute and report, write nothing.
    pub dry_run: bool,
    /// Interactions per page / per transaction.
    pub page: usize,
}

/// One interaction whose result changed.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub id: String,
    pub before_pack: Option<String>,
    pub before_score: Option<f64>,
    pub after_score: f64,
    pub before_passed: Option<bool>,
    pub after_passed: bool,
    /// Rules that fire now and did not before (with multiplicity).
    pub added: Vec<String>,
    /// Rules that fired before and do not now.
    pub removed: Vec<String>,
}

/// What a re-inspection did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReinspectReport {
    pub pack: String,
    pub dry_run: bool,
    /// Interactions re-inspected.
    pub scanned: u64,
    /// … whose findings, score or pass/fail changed.
    pub changed: u64,
    /// … that had no inspection before.
    pub first_inspection: u64,
    pub newly_failed: u64,
    pub newly_passed: u64,
    pub findings_before: u64,
    pub findings_after: u64,
    /// Findings gained and lost per rule.
    pub added_by_rule: BTreeMap<String, u64>,
    pub removed_by_rule: BTreeMap<String, u64>,
    /// Packs the previous inspections were made with, and how many each.
    pub previous_packs: BTreeMap<String, u64>,
    /// The first changes, for a look at the evidence.
    pub examples: Vec<Change>,
    pub seconds: f64,
}

const DAY_MS: i64 = 86_400_000;
const EXAMPLES: usize = 20;

fn widen(t: Option<Timestamp>, by: i64) -> Option<Timestamp> {
    t.and_then(|t| Timestamp::from_millisecond(t.as_millisecond() + by).ok())
}

fn selected(o: &ReinspectOptions, t: Timestamp) -> bool {
    o.from.is_none_or(|f| t >= f) && o.to.is_none_or(|e| t < e)
}

fn rules_of(r: &InspectionResult) -> BTreeMap<&str, u64> {
    let mut m = BTreeMap::new();
    for f in &r.findings {
        *m.entry(f.rule.as_str()).or_default() += 1;
    }
    m
}

/// Re-inspect the stored interactions chosen by `opts` with `engine`.
pub async fn reinspect(
    store: &Store,
    engine: &Engine,
    opts: &ReinspectOptions,
) -> Result<ReinspectReport, ServiceError> {
    if let (Some(f), Some(t)) = (opts.from, opts.to)
        && f >= t
    {
        return Err(ServiceError::Input(format!(
            "empty range: from {f} is not before to {t}"
        )));
    }
    let started = std::time::Instant::now();
    let page = opts.page.max(1);
    let wide = ScanFilter {
        from: widen(opts.from, -DAY_MS),
        to: widen(opts.to, DAY_MS),
        client: opts.client.clone(),
    };
    // Pass 1: the event index over the widened range.
    let mut builder = IndexBuilder::new();
    for f in store.flags().await? {
        builder.add_flag(&f);
    }
    let mut ordinal = 0u32;
    let mut pages = Pages::new(store, &wide, page);
    while let Some(rows) = pages.next_page().await? {
        for (i, _) in &rows {
            builder.add(engine, ordinal, i);
            ordinal += 1;
        }
    }
    let index = builder.finish(engine);

    // Pass 2: the same scan, so ordinals agree; inspect the selected ones.
    let mut report = ReinspectReport {
        pack: engine.pack_ref().to_string(),
        dry_run: opts.dry_run,
        ..ReinspectReport::default()
    };
    let now = Timestamp::now();
    let mut ordinal = 0u32;
    let mut pages = Pages::new(store, &wide, page);
    while let Some(rows) = pages.next_page().await? {
        let mut writes = Vec::new();
        for (i, before) in rows {
            let ord = ordinal;
            ordinal += 1;
            if !selected(opts, i.started_at) {
                continue;
            }
            let result = engine.inspect_with(&i, &index, ord);
            report.scanned += 1;
            report.findings_after += result.findings.len() as u64;
            match &before {
                None => {
                    report.first_inspection += 1;
                    report.changed += 1;
                }
                Some(b) => {
                    *report.previous_packs.entry(b.pack.clone()).or_default() += 1;
                    report.findings_before += b.result.findings.len() as u64;
                    let (old, new) = (rules_of(&b.result), rules_of(&result));
                    let mut added = Vec::new();
                    let mut removed = Vec::new();
                    for (rule, &n) in &new {
                        let o = old.get(rule).copied().unwrap_or(0);
                        for _ in o..n {
                            added.push(rule.to_string());
                        }
                    }
                    for (rule, &o) in &old {
                        let n = new.get(rule).copied().unwrap_or(0);
                        for _ in n..o {
                            removed.push(rule.to_string());
                        }
                    }
                    let score_moved = (b.result.score - result.score).abs() > 1e-9;
                    let passed_moved = b.result.passed != result.passed;
                    if !added.is_empty() || !removed.is_empty() || score_moved || passed_moved {
                        report.changed += 1;
                        if passed_moved {
                            if result.passed {
                                report.newly_passed += 1;
                            } else {
                                report.newly_failed += 1;
                            }
                        }
                        for r in &added {
                            *report.added_by_rule.entry(r.clone()).or_default() += 1;
                        }
                        for r in &removed {
                            *report.removed_by_rule.entry(r.clone()).or_default() += 1;
                        }
                        if report.examples.len() < EXAMPLES {
                            report.examples.push(Change {
                                id: i.id.clone(),
                                before_pack: Some(b.pack.clone()),
                                before_score: Some(b.result.score),
                                after_score: result.score,
                                before_passed: Some(b.result.passed),
                                after_passed: result.passed,
                                added,
                                removed,
                            });
                        }
                    }
                }
            }
            if !opts.dry_run {
                writes.push((
                    i.id.clone(),
                    Inspection {
                        pack: report.pack.clone(),
                        inspected_at: now,
                        result,
                    },
                ));
            }
        }
        if !writes.is_empty() {
            store.write_inspections(&writes).await?;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The stored interactions in `filter` (with their current inspections), page by page in id
/// order (keyset paging).
struct Pages<'a> {
    store: &'a Store,
    filter: &'a ScanFilter,
    page: usize,
    after: Option<String>,
    done: bool,
}

impl<'a> Pages<'a> {
    fn new(store: &'a Store, filter: &'a ScanFilter, page: usize) -> Self {
        Pages {
            store,
            filter,
            page,
            after: None,
            done: false,
        }
    }

    async fn next_page(
        &mut self,
    ) -> Result<Option<Vec<(Interaction, Option<Inspection>)>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let rows = self
            .store
            .scan_interactions(self.filter, self.after.as_deref(), self.page)
            .await?;
        let Some((last, _)) = rows.last() else {
            return Ok(None);
        };
        self.after = Some(last.id.clone());
        self.done = rows.len() < self.page;
        Ok(Some(rows))
    }
}
