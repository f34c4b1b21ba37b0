//! The Zhijian inspection engine.
//!
//! Takes interactions (calls with speaker-turn transcripts, SMS, visit records, notes), the
//! contact history and flags (through an [`EventIndex`]), and a compiled rule pack, and returns
//! findings with evidence, a scorecard score and pass/fail. It does no I/O: packs arrive as
//! text ([`Source`]), interactions as values. It never panics on any input.
//!
//! ```
//! let engine = zhijian_engine::Engine::builtin();
//! let line = r#"{"id":"1","kind":"call","case_id":"C1","agent_id":"A1","client":"示例银行",
//!   "started_at":"2026-03-02T10:00:00+08:00","outcome":"connected","party":"debtor",
//!   "segments":[{"speaker":"agent","start":0,"end":3,"text":"你这个老赖，再不还钱就去你单位闹"}]}"#;
//! let zhijian_domain::Record::Interaction(call) = zhijian_domain::parse_record(&line.replace('\n', "")).unwrap() else { panic!() };
//! let result = engine.inspect(&call);
//! assert!(!result.passed);
//! assert!(result.findings.iter().any(|f| f.category.as_str() == "abuse"));
//! ```

mod compile;
mod entities;
mod error;
pub mod evaluation;
mod event;
mod examples;
mod inspect;
pub mod normalize;
pub mod pack;
mod scan;

use std::cell::RefCell;
use std::collections::HashMap;

use jiff::tz::TimeZone;
use zhijian_domain::{Channel, Finding, InspectionResult, Interaction, Speaker};

pub use compile::{Rule, ScoreItem, Scorecard, Source, build_automaton};
pub use error::{PackError, PackErrors};
pub use event::{EventHit, EventIndex, IndexBuilder};
pub use examples::{ExampleFailure, ExampleReport};
pub use pack::PackMeta;

use compile::{Compiled, Kind};
use inspect::{Call, SCRATCH, prepare};

/// The default pack, `cn-default`, embedded at build time (files under `rules/cn-default/`).
pub const BUILTIN_PACK: &[(&str, &str)] = &[
    (
        "rules/cn-default/pack.toml",
        include_str!("../../../rules/cn-default/pack.toml"),
    ),
    (
        "rules/cn-default/conduct.toml",
        include_str!("../../../rules/cn-default/conduct.toml"),
    ),
    (
        "rules/cn-default/disclosure.toml",
        include_str!("../../../rules/cn-default/disclosure.toml"),
    ),
    (
        "rules/cn-default/business.toml",
        include_str!("../../../rules/cn-default/business.toml"),
    ),
    (
        "rules/cn-default/flow.toml",
        include_str!("../../../rules/cn-default/flow.toml"),
    ),
    (
        "rules/cn-default/timing.toml",
        include_str!("../../../rules/cn-default/timing.toml"),
    ),
    (
        "rules/cn-default/events.toml",
        include_str!("../../../rules/cn-default/events.toml"),
    ),
];

/// A compiled rule pack, ready to inspect. Cheap to share across threads (`&Engine`).
pub struct Engine {
    c: Compiled,
}

thread_local! {
    static TZ_CACHE: RefCell<HashMap<String, TimeZone>> = RefCell::new(HashMap::new());
}

impl Engine {
    /// Compile a pack from its files. Errors name the file, line, rule and field.
    pub fn from_sources(sources: &[Source<'_>]) -> Result<Engine, PackErrors> {
        normalize::warm_up();
        compile::compile(sources).map(|c| Engine { c })
    }

    /// The embedded `cn-default` pack.
    pub fn builtin() -> Engine {
        let sources: Vec<Source> = BUILTIN_PACK
            .iter()
            .map(|(name, text)| Source { name, text })
            .collect();
        match Engine::from_sources(&sources) {
            Ok(e) => e,
            // The embedded pack is checked by this crate's tests; reaching this is a build bug.
            Err(e) => panic!("embedded pack cn-default is invalid:\n{e}"),
        }
    }

    pub fn meta(&self) -> &PackMeta {
        &self.c.meta
    }

    /// `id@version` of the pack.
    pub fn pack_ref(&self) -> &str {
        &self.c.pack_ref
    }

    pub fn rules(&self) -> &[Rule] {
        &self.c.rules
    }

    /// Every category the pack knows: PRODUCT.md's and its own, with kind and Chinese title.
    pub fn categories(&self) -> impl Iterator<Item = (&str, zhijian_domain::CategoryKind, &str)> {
        self.c
            .categories
            .iter()
            .map(|(k, (kind, t))| (k.as_str(), *kind, t.as_str()))
    }

    pub fn scorecard(&self) -> &Scorecard {
        &self.c.scorecard
    }

    /// Every normalised phrase of the pack (what the automaton searches for).
    pub fn phrases(&self) -> &[String] {
        &self.c.patterns
    }

    /// Inspect one interaction on its own: content rules and the event-log rules that need no
    /// contact history (hours, visits, notes, SMS templates, recordings).
    pub fn inspect(&self, i: &Interaction) -> InspectionResult {
        self.inspect_inner(i, None)
    }

    /// Inspect with the contact history: adds frequency, do-not-call, stop-request and
    /// note-mismatch findings from `index` for the interaction at `ordinal`.
    pub fn inspect_with(
        &self,
        i: &Interaction,
        index: &EventIndex,
        ordinal: u32,
    ) -> InspectionResult {
        self.inspect_inner(i, Some((index, ordinal)))
    }

    fn inspect_inner(
        &self,
        i: &Interaction,
        history: Option<(&EventIndex, u32)>,
    ) -> InspectionResult {
        let mut findings = Vec::new();
        let party = SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let sc = &mut *guard;
            prepare(&self.c, i, sc);
            let call = Call::new(&self.c, i, sc);
            for r in &self.c.rules {
                if !call.rule_applies(r) {
                    continue;
                }
                if matches!(r.kind, Kind::Event { .. }) {
                    if let Some((m, e)) =
                        TZ_CACHE.with(|t| event::single(&self.c, r, i, &mut t.borrow_mut()))
                    {
                        findings.push(inspect::rule_finding(r, m, e, None, None));
                    }
                    continue;
                }
                call.run_rule(r, &mut findings);
            }
            // The party the call ended with, as the engine read it.
            call.segs
                .iter()
                .rev()
                .find(|s| s.speaker == Speaker::Customer)
                .map(|s| s.party)
                .or(i.party)
        });
        if let Some((index, ord)) = history {
            for h in index.hits(ord) {
                if let Some(r) = self.c.rules.get(h.rule as usize) {
                    findings.push(inspect::rule_finding(
                        r,
                        h.message.clone(),
                        h.excerpt.clone(),
                        None,
                        None,
                    ));
                }
            }
        }
        let (score, passed) = self.score(&findings);
        InspectionResult {
            id: i.id.clone(),
            score,
            passed,
            findings,
            party,
            pack: Some(self.c.pack_ref.clone()),
        }
    }

    /// Scorecard: each item starts at its weight and loses each distinct rule's deduction once
    /// (floored at 0); the total is scaled to `base`. A red-line finding fails the interaction.
    pub fn score(&self, findings: &[Finding]) -> (f64, bool) {
        let sc = &self.c.scorecard;
        let mut lost = vec![0f64; sc.items.len()];
        let mut seen: Vec<&str> = Vec::new();
        for f in findings {
            if seen.contains(&f.rule.as_str()) {
                continue;
            }
            seen.push(&f.rule);
            if let Some(r) = self.c.rules.iter().find(|r| r.id == f.rule)
                && let Some(l) = lost.get_mut(r.item)
            {
                *l += f64::from(f.deduction);
            }
        }
        let total_w: f64 = sc.items.iter().map(|i| i.weight).sum();
        let got: f64 = sc
            .items
            .iter()
            .zip(&lost)
            .map(|(i, l)| (i.weight - l).max(0.0))
            .sum();
        let score = if total_w > 0.0 {
            (got / total_w * sc.base * 10.0).round() / 10.0
        } else {
            sc.base
        };
        let red = findings.iter().any(|f| f.level >= sc.red_line);
        (score, score >= sc.pass_score && !red)
    }

    /// Did the customer ask to stop or signal a complaint (a stop-request rule's phrases)?
    /// Only customer turns are normalised and scanned, with the stop phrases alone.
    pub(crate) fn customer_asked_to_stop(&self, i: &Interaction) -> bool {
        let Some(ac) = &self.c.stop_ac else {
            return false;
        };
        thread_local! {
            static BUF: RefCell<String> = const { RefCell::new(String::new()) };
        }
        BUF.with(|b| {
            let mut buf = b.borrow_mut();
            i.segments
                .iter()
                .filter(|s| s.speaker == Speaker::Customer)
                .any(|s| {
                    buf.clear();
                    buf.push(normalize::CLAUSE);
                    normalize::normalize_into(&s.text, &mut buf, None);
                    buf.push(normalize::CLAUSE);
                    ac.is_match(buf.as_str())
                })
        })
    }

    /// Does a note claim that the customer was reached?
    pub(crate) fn note_claims(&self, i: &Interaction) -> bool {
        if i.kind != Channel::Note || self.c.note_claims.is_empty() {
            return false;
        }
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let sc = &mut *guard;
            prepare(&self.c, i, sc);
            let call = Call::new(&self.c, i, sc);
            // A claim that is itself negated ("未接通", "没有联系上") is not a claim.
            call.hits.iter().any(|h| {
                self.c.note_claims.contains(&h.list)
                    && call
                        .segs
                        .first()
                        .is_some_and(|s| !call.negated(s, h.start as usize))
            })
        })
    }

    /// Run every rule's own examples.
    pub fn test_examples(&self) -> ExampleReport {
        examples::run(self)
    }
}
