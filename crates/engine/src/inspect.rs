//! Content inspection of one interaction: normalise every segment into one buffer, scan it
//! once with the pack's automaton, work out who is on the line, then evaluate the rules.

use std::cell::RefCell;

use zhijian_domain::{Finding, Interaction, Party, Speaker};

use crate::compile::{Compiled, Kind, ListId, M, Num, Rule};
use crate::entities::{self, Entity};
use crate::normalize::{
    CLAUSE, Flags, NormText, SEGMENT, Sink, is_boundary, normalize_coded, normalize_into,
};
use crate::pack::{ClientDef, EntityKind, TimingCheck, UnlessScope};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub list: ListId,
    pub start: u32,
    pub end: u32,
}

/// One unit of text: a transcript segment, or the body of an SMS / note.
#[derive(Debug, Clone)]
pub(crate) struct Seg {
    /// Index into `segments` (0 for a body text).
    pub idx: usize,
    pub speaker: Speaker,
    pub t0: Option<f64>,
    pub t1: Option<f64>,
    pub lo: usize,
    pub hi: usize,
    pub hits: (usize, usize),
    pub party: Party,
    /// Ordinal among this speaker's turns (0-based).
    pub turn: u32,
    /// Position in `segs`.
    pub pos: usize,
    /// What the text holds (digits, long numbers, 号).
    pub flags: Flags,
}

/// Per-thread scratch buffers reused across inspections.
#[derive(Default)]
pub(crate) struct Scratch {
    pub norm: String,
    pub hits: Vec<Hit>,
    pub segs: Vec<Seg>,
    pub present: Vec<u64>,
    /// Entities per segment: kinds detected so far (bit per kind) and what was found.
    pub ents: Vec<(u8, Vec<Entity>)>,
    pub scan: crate::scan::ScanBuf,
    /// Spans of one rule in one segment (reused by every rule).
    pub spans: std::cell::Cell<Vec<Span>>,
}

thread_local! {
    pub(crate) static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

pub(crate) struct Call<'a> {
    pub c: &'a Compiled,
    pub i: &'a Interaction,
    pub text: &'a str,
    pub hits: &'a [Hit],
    pub segs: &'a [Seg],
    pub present: &'a [u64],
    pub ents: std::cell::RefCell<&'a mut Vec<(u8, Vec<Entity>)>>,
    /// The client's profile in the pack, looked up once.
    profile: Option<&'a ClientDef>,
    spans: &'a std::cell::Cell<Vec<Span>>,
}

type Span = (usize, usize);

/// How far before an exception phrase a negator cancels it (characters).
const UNLESS_NEGATION_WINDOW: u32 = 2;

/// Characters that may stand between an adjacent negator and the words it negates (不会去 …).
const BRIDGE: &[char] = &[
    '会', '要', '再', '去', '能', '敢', '用', '得', '把', '跟', '给', '向', '对', '和', '让', '打',
];

impl<'a> Call<'a> {
    pub fn new(c: &'a Compiled, i: &'a Interaction, sc: &'a mut Scratch) -> Self {
        let Scratch {
            norm,
            hits,
            segs,
            present,
            ents,
            spans,
            ..
        } = sc;
        Call {
            c,
            i,
            text: norm,
            hits,
            segs,
            present,
            ents: std::cell::RefCell::new(ents),
            profile: c.params.clients.get(&i.client),
            spans,
        }
    }

    pub fn has_list(&self, l: ListId) -> bool {
        self.present
            .get(l as usize / 64)
            .is_some_and(|w| w & (1 << (l % 64)) != 0)
    }

    fn seg_hits(&self, s: &Seg) -> &[Hit] {
        &self.hits[s.hits.0..s.hits.1]
    }

    fn list_hits<'s>(&'s self, s: &'s Seg, l: ListId) -> impl Iterator<Item = &'s Hit> + 's {
        self.seg_hits(s).iter().filter(move |h| h.list == l)
    }

    fn seg_has(&self, s: &Seg, l: ListId) -> bool {
        self.list_hits(s, l).next().is_some()
    }

    fn clause(&self, s: &Seg, start: usize, end: usize) -> Span {
        let b = self.text.as_bytes();
        let mut cs = start;
        while cs > s.lo && !is_boundary(b[cs - 1]) {
            cs -= 1;
        }
        let mut ce = end;
        while ce < s.hi && !is_boundary(b[ce]) {
            ce += 1;
        }
        (cs, ce)
    }

    pub(crate) fn negated(&self, s: &Seg, start: usize) -> bool {
        self.negated_within(s, start, self.c.negation.window)
    }

    /// Whether a negator stands within `window` characters before `start` (in its clause, with
    /// no breaker between), or directly before it.
    fn negated_within(&self, s: &Seg, start: usize, window: u32) -> bool {
        let neg = &self.c.negation;
        let (cs, _) = self.clause(s, start, start);
        // Walk back `window` characters, not past the clause start.
        let mut ws = start;
        for _ in 0..window {
            if ws <= cs {
                break;
            }
            ws -= 1;
            while !self.text.is_char_boundary(ws) {
                ws -= 1;
            }
        }
        // A negator inside an exception word (别人, 不错) does not negate.
        let not_negation = |start: u32, end: u32| {
            self.list_hits(s, neg.exceptions)
                .any(|x| x.start <= start && x.end >= end)
        };
        let last_neg = self
            .list_hits(s, neg.negators)
            .filter(|h| {
                h.end as usize > ws && h.end as usize <= start && !not_negation(h.start, h.end)
            })
            .map(|h| h.end as usize)
            .max();
        if let Some(ne) = last_neg {
            let between = &self.text[ne..start];
            let broken = neg.breakers.iter().any(|b| between.contains(b.as_str()));
            if !broken {
                return true;
            }
        }
        // Adjacent negators: directly before the hit, or before one bridge character.
        let before = &self.text[s.lo..start];
        let bridged = before
            .chars()
            .next_back()
            .filter(|c| BRIDGE.contains(c))
            .map(|c| &before[..before.len() - c.len_utf8()]);
        [Some(before), bridged].into_iter().flatten().any(|b| {
            neg.adjacent.iter().any(|a| {
                b.ends_with(a.as_str())
                    && !not_negation((s.lo + b.len() - a.len()) as u32, (s.lo + b.len()) as u32)
            })
        })
    }

    /// Whether an exception phrase of the rule stands in the clause (or segment) of the hit.
    /// For a negation-aware rule an exception negated right before it does not count: "不用走
    /// 审批" is no hedge like "要走审批". (Only a negator within two characters: in unpunctuated
    /// ASR text the rule's own window would reach into the previous sentence.)
    fn excepted(&self, r: &Rule, s: &Seg, start: usize, end: usize) -> bool {
        let Some(u) = r.unless else { return false };
        let (cs, ce) = match r.unless_scope {
            UnlessScope::Clause => self.clause(s, start, end),
            UnlessScope::Segment => (s.lo, s.hi),
        };
        self.list_hits(s, u).any(|h| {
            h.start as usize >= cs
                && h.end as usize <= ce
                && !(r.negation && self.negated_within(s, h.start as usize, UNLESS_NEGATION_WINDOW))
        })
    }

    fn keep(&self, r: &Rule, s: &Seg, start: usize, end: usize) -> bool {
        !(self.excepted(r, s, start, end) || (r.negation && self.negated(s, start)))
    }

    /// Entities of `kinds` in segment `s`, detected once per segment and kind and cached.
    /// Numeric kinds run only where the text holds a number; dates only where a date word or
    /// a number occurs.
    fn entities(&self, s: &Seg, kinds: &[EntityKind], out: &mut Vec<Entity>) {
        let cache = self.detect_entities(s, kinds);
        out.extend(
            cache[s.pos]
                .1
                .iter()
                .filter(|e| kinds.contains(&e.kind))
                .cloned(),
        );
    }

    /// The spans of the entities of `kinds` in segment `s` (as `entities`, without copies).
    fn entity_spans(&self, s: &Seg, kinds: &[EntityKind], out: &mut Vec<Span>) {
        let cache = self.detect_entities(s, kinds);
        out.extend(
            cache[s.pos]
                .1
                .iter()
                .filter(|e| kinds.contains(&e.kind))
                .map(|e| (e.start, e.end)),
        );
    }

    /// Detect what is still missing of `kinds` in segment `s`; the cache, filled for `s`.
    fn detect_entities(
        &self,
        s: &Seg,
        kinds: &[EntityKind],
    ) -> std::cell::RefMut<'_, &'a mut Vec<(u8, Vec<Entity>)>> {
        let mut cache = self.ents.borrow_mut();
        if cache.len() <= s.pos {
            cache.resize_with(s.pos + 1, Default::default);
        }
        let (done, found) = &mut cache[s.pos];
        let mut todo = [EntityKind::Money; 8];
        let mut n = 0;
        for k in kinds
            .iter()
            .copied()
            .filter(|k| *done & (1 << *k as u8) == 0)
            .filter(|k| match k {
                EntityKind::Date => {
                    s.flags.numeric || self.text[s.lo..s.hi].contains(entities::DATE_CHARS)
                }
                EntityKind::Address => s.flags.hao,
                EntityKind::Money => s.flags.numeric,
                EntityKind::IdNumber
                | EntityKind::BankCard
                | EntityKind::AccountNumber
                | EntityKind::Phone => s.flags.long_number,
            })
        {
            if n < todo.len() {
                todo[n] = k;
                n += 1;
            }
        }
        if n > 0 {
            let before = found.len();
            entities::detect(&self.text[s.lo..s.hi], &todo[..n], found);
            for e in &mut found[before..] {
                e.start += s.lo;
                e.end += s.lo;
            }
        }
        for k in kinds {
            *done |= 1 << *k as u8;
        }
        cache
    }

    /// Spans where matcher `m` hits in segment `s` (for rule `r`'s filters).
    pub fn eval(&self, r: Option<&Rule>, m: &M, s: &Seg, out: &mut Vec<Span>) {
        let keep = |st: usize, en: usize| r.is_none_or(|r| self.keep(r, s, st, en));
        match m {
            M::Any(l) => {
                if !self.has_list(*l) {
                    return;
                }
                for h in self.list_hits(s, *l) {
                    let (st, en) = (h.start as usize, h.end as usize);
                    if keep(st, en) {
                        out.push((st, en));
                    }
                }
            }
            M::Near {
                a,
                b,
                within,
                ordered,
            } => {
                if !self.has_list(*a) || !self.has_list(*b) {
                    return;
                }
                for ha in self.list_hits(s, *a) {
                    for hb in self.list_hits(s, *b) {
                        let (a0, a1, b0, b1) = (
                            ha.start as usize,
                            ha.end as usize,
                            hb.start as usize,
                            hb.end as usize,
                        );
                        if *ordered && b0 < a1 {
                            continue;
                        }
                        // Overlapping hits are not "near": they are the same words.
                        if a0 < b1 && b0 < a1 {
                            continue;
                        }
                        let gap = if b0 >= a1 {
                            &self.text[a1..b0]
                        } else {
                            &self.text[b1..a0]
                        };
                        if gap.chars().count() as u32 <= *within {
                            let span = (a0.min(b0), a1.max(b1));
                            if keep(span.0, span.1) && keep(b0, b1) {
                                out.push(span);
                            }
                        }
                    }
                }
            }
            M::All(ms) => {
                // `out` is the stack: the spans of the first element that is not a `Not` stay
                // at `out[base..first]`; every other element is evaluated after them, checked
                // and dropped.
                let base = out.len();
                let mut first = None;
                for sub in ms {
                    let (inner, negated) = match sub {
                        M::Not(inner) => (&**inner, true),
                        m => (m, false),
                    };
                    let mark = out.len();
                    self.eval(r, inner, s, out);
                    let found = out.len() > mark;
                    if negated || first.is_some() {
                        out.truncate(mark);
                    } else if found {
                        first = Some(out.len());
                    }
                    if found == negated {
                        out.truncate(base);
                        return;
                    }
                }
            }
            M::OneOf(ms) => {
                for sub in ms {
                    self.eval(r, sub, s, out);
                }
            }
            M::Not(inner) => {
                let mark = out.len();
                self.eval(r, inner, s, out);
                let found = out.len() > mark;
                out.truncate(mark);
                if !found {
                    out.push((s.lo, s.lo));
                }
            }
            M::Regex {
                re,
                exclude,
                trigger,
            } => {
                if trigger.is_some_and(|t| !self.seg_has(s, t)) {
                    return;
                }
                let t = &self.text[s.lo..s.hi];
                for mt in re.find_iter(t) {
                    if exclude.as_ref().is_some_and(|x| x.is_match(mt.as_str())) {
                        continue;
                    }
                    let (st, en) = (s.lo + mt.start(), s.lo + mt.end());
                    if keep(st, en) {
                        out.push((st, en));
                    }
                }
            }
            M::Entity(kinds) => {
                let mark = out.len();
                self.entity_spans(s, kinds, out);
                // Keep the spans that pass the rule's filters, in order.
                let mut w = mark;
                for k in mark..out.len() {
                    let (st, en) = out[k];
                    if keep(st, en) {
                        out[w] = (st, en);
                        w += 1;
                    }
                }
                out.truncate(w);
            }
        }
    }

    fn segment_text(&self, s: &Seg) -> &str {
        match self.i.segments.get(s.idx) {
            Some(seg) => &seg.text,
            None => self.i.text.as_deref().unwrap_or(""),
        }
    }

    /// Build a finding for a normalised span in segment `s`. The byte → character map is
    /// rebuilt here, for this one segment (findings are rare; inspection keeps no map).
    pub fn finding(&self, r: &Rule, s: &Seg, span: Span, message: String) -> Finding {
        let orig = self.segment_text(s);
        let n = NormText::of(orig);
        // The segment's text in the call buffer is `|` + normalised text (+ `|`).
        let rel = |p: usize| p.saturating_sub(s.lo + 1).min(n.text.len());
        let (from, to) = if span.1 > span.0 {
            n.orig_span(rel(span.0), rel(span.1))
        } else {
            (0, 0)
        };
        // The excerpt is the clause around the evidence, in the original characters.
        let (cs, ce) = self.clause(s, span.0, span.1.max(span.0));
        let (ea, eb) = if rel(ce) > rel(cs) {
            n.orig_span(rel(cs), rel(ce))
        } else {
            (from, to)
        };
        let excerpt: String = orig.chars().skip(ea).take(eb.saturating_sub(ea)).collect();
        let excerpt = excerpt
            .trim_matches(|c: char| c.is_whitespace() || "，。！？；：、,.!?;:|".contains(c))
            .to_string();
        let time = s.t0.zip(s.t1);
        let seg = (!self.i.segments.is_empty()).then_some(s.idx);
        Finding {
            span: (to > from).then_some([from, to]),
            ..rule_finding(r, message, excerpt, time, seg)
        }
    }

    fn admitted(&self, r: &Rule, s: &Seg) -> bool {
        let sc = &r.scope;
        if !sc.speaker.admits(s.speaker) {
            return false;
        }
        if !sc.parties.is_empty() && !sc.parties.iter().any(|p| p.admits(s.party)) {
            return false;
        }
        if let Some(n) = sc.first_turns
            && s.turn >= n
        {
            return false;
        }
        if let (Some(limit), Some(t0)) = (sc.first_seconds, s.t0)
            && t0 > limit
        {
            return false;
        }
        true
    }

    fn num(&self, n: &Option<Num>, default: f64) -> f64 {
        n.as_ref()
            .and_then(|n| self.c.params.num(&self.i.client, n))
            .unwrap_or(default)
    }

    /// Does the interaction fall in the rule's call-level scope?
    pub fn rule_applies(&self, r: &Rule) -> bool {
        let sc = &r.scope;
        if !sc.channels.is_empty() && !sc.channels.contains(&self.i.kind) {
            return false;
        }
        !self.c.rule_off_for(r, &self.i.client, self.profile)
    }

    fn call_level_ok(&self, r: &Rule) -> bool {
        let sc = &r.scope;
        if sc.connected && !self.i.is_connected() {
            return false;
        }
        if let Some(n) = sc.min_turns
            && (self.i.segments.len() as u32) < n
        {
            return false;
        }
        if let Some(u) = sc.unless_customer
            && self.has_list(u)
            && self
                .segs
                .iter()
                .any(|s| s.speaker == Speaker::Customer && self.seg_has(s, u))
        {
            return false;
        }
        if !sc.parties.is_empty()
            && !self
                .segs
                .iter()
                .any(|s| sc.parties.iter().any(|p| p.admits(s.party)))
        {
            return false;
        }
        !self.segs.is_empty()
    }

    pub fn run_rule(&self, r: &Rule, out: &mut Vec<Finding>) {
        let mut spans = self.spans.take();
        self.run_rule_in(r, out, &mut spans);
        self.spans.set(spans);
    }

    /// `run_rule` with a buffer for spans (empty or not: each use clears it first).
    fn run_rule_in(&self, r: &Rule, out: &mut Vec<Finding>, spans: &mut Vec<Span>) {
        match &r.kind {
            Kind::Content { m } => {
                if let Some(tr) = &r.triggers
                    && !tr.iter().any(|l| self.has_list(*l))
                {
                    return;
                }
                for s in self.segs {
                    if !self.admitted(r, s) {
                        continue;
                    }
                    spans.clear();
                    self.eval(Some(r), m, s, spans);
                    if let Some(&sp) = spans.iter().min_by_key(|sp| sp.0) {
                        out.push(self.finding(r, s, sp, r.title.clone()));
                    }
                }
            }
            Kind::Require { elements } => {
                if !self.call_level_ok(r) {
                    return;
                }
                // Where (segment positions) each element is found. Cheap elements (phrase
                // lists) first; the others are evaluated only where they could still complete
                // a window, or only until first found when there is no window.
                let window = r.scope.window_turns.map(|w| w as usize);
                let admitted: Vec<usize> = (0..self.segs.len())
                    .filter(|&k| self.admitted(r, &self.segs[k]))
                    .collect();
                let mut order: Vec<usize> = (0..elements.len()).collect();
                order.sort_by_key(|&e| !elements[e].1.cheap());
                let mut found: Vec<Vec<usize>> = vec![Vec::new(); elements.len()];
                let mut reach: Option<Vec<bool>> = None;
                for &e in &order {
                    let m = &elements[e].1;
                    for &k in &admitted {
                        if reach.as_ref().is_some_and(|rch| !rch[k]) {
                            continue;
                        }
                        spans.clear();
                        self.eval(Some(r), m, &self.segs[k], spans);
                        if !spans.is_empty() {
                            found[e].push(k);
                            if window.is_none() {
                                break;
                            }
                        }
                    }
                    if let Some(w) = window {
                        // Segments within `w` of a position of this element.
                        let mut next = vec![false; self.segs.len()];
                        for &p in &found[e] {
                            for slot in next
                                .iter_mut()
                                .take((p + w).min(self.segs.len()))
                                .skip(p.saturating_sub(w - 1))
                            {
                                *slot = true;
                            }
                        }
                        reach = Some(match reach {
                            Some(prev) => prev.iter().zip(next).map(|(a, b)| *a && b).collect(),
                            None => next,
                        });
                    }
                }
                let mut missing: Vec<&str> = elements
                    .iter()
                    .zip(&found)
                    .filter(|(_, f)| f.is_empty())
                    .map(|((n, _), _)| n.as_str())
                    .collect();
                if missing.is_empty()
                    && let Some(w) = window
                {
                    // All elements within some window of `w` consecutive turns.
                    let together = found.iter().flatten().any(|&start| {
                        found
                            .iter()
                            .all(|f| f.iter().any(|&k| k >= start && k < start + w))
                    });
                    if !together {
                        missing.push("同一段协商中的金额、日期、渠道");
                    }
                }
                if !missing.is_empty() {
                    let within = match (r.scope.first_turns, r.scope.first_seconds) {
                        (Some(n), _) => format!("（前{n}轮坐席话术内）"),
                        (None, Some(s)) => format!("（前{s}秒内）"),
                        _ => String::new(),
                    };
                    out.push(rule_finding(
                        r,
                        format!("{}：未检测到{}{}", r.title, missing.join("、"), within),
                        String::new(),
                        None,
                        None,
                    ));
                }
            }
            Kind::Order { first, then } => {
                if !self.call_level_ok(r) {
                    return;
                }
                let mut first_at: Option<(usize, usize)> = None;
                for (k, s) in self.segs.iter().enumerate() {
                    if !self.admitted(r, s) {
                        continue;
                    }
                    spans.clear();
                    self.eval(None, first, s, spans);
                    if let Some(p) = spans.iter().map(|x| x.0).min() {
                        first_at = Some((k, p));
                        break;
                    }
                }
                let Some(first_at) = first_at else { return };
                for (k, s) in self.segs.iter().enumerate().take(first_at.0 + 1) {
                    if !self.admitted(r, s) {
                        continue;
                    }
                    spans.clear();
                    self.eval(Some(r), then, s, spans);
                    if let Some(&sp) = spans
                        .iter()
                        .filter(|sp| k < first_at.0 || sp.0 < first_at.1)
                        .min_by_key(|sp| sp.0)
                    {
                        out.push(self.finding(r, s, sp, r.title.clone()));
                        return;
                    }
                }
            }
            Kind::Timing {
                check,
                seconds,
                count,
                rate,
                min_chars,
            } => {
                if !self.call_level_ok(r) {
                    return;
                }
                self.timing(r, *check, seconds, count, rate, min_chars, out);
            }
            Kind::Amount {
                cues,
                cues_after,
                within,
                tolerance,
            } => {
                let Some(balance) = self.i.case.as_ref().and_then(|c| c.balance) else {
                    return;
                };
                let after = cues_after.filter(|l| self.has_list(*l));
                if !self.has_list(*cues) && after.is_none() {
                    return;
                }
                let tol = self.num(&Some(tolerance.clone()), 1.0);
                let near = |a: usize, b: usize| self.text[a..b].chars().count() as u32 <= *within;
                for s in self.segs {
                    let has_cue =
                        self.seg_has(s, *cues) || after.is_some_and(|l| self.seg_has(s, l));
                    if !self.admitted(r, s) || !has_cue {
                        continue;
                    }
                    let mut ents = Vec::new();
                    self.entities(s, &[EntityKind::Money], &mut ents);
                    // "一共欠 8000元" (cue, then the amount) or "8000元的欠款" (the amount, then the cue).
                    let mut stated: Vec<(usize, usize, f64)> = Vec::new();
                    for h in self.list_hits(s, *cues) {
                        let he = h.end as usize;
                        if let Some(e) = ents.iter().find(|e| e.start >= he && near(he, e.start)) {
                            stated.extend(e.value.map(|v| (h.start as usize, e.end, v)));
                        }
                    }
                    for h in after.iter().flat_map(|l| self.list_hits(s, *l)) {
                        let hs = h.start as usize;
                        if let Some(e) = ents.iter().rev().find(|e| e.end <= hs && near(e.end, hs))
                        {
                            stated.extend(e.value.map(|v| (e.start, h.end as usize, v)));
                        }
                    }
                    if let Some(&(st, en, v)) = stated.iter().find(|(st, en, v)| {
                        !amount_fits(&self.text[*st..*en], &self.text[*en..], *v, balance, tol)
                            && self.keep(r, s, *st, *en)
                    }) {
                        out.push(self.finding(
                            r,
                            s,
                            (st, en),
                            format!(
                                "{}：告知{}元，实际欠款{}元",
                                r.title,
                                fmt_yuan(v),
                                fmt_yuan(balance)
                            ),
                        ));
                        return;
                    }
                }
            }
            Kind::Event { .. } => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn timing(
        &self,
        r: &Rule,
        check: TimingCheck,
        seconds: &Option<Num>,
        count: &Option<Num>,
        rate: &Option<Num>,
        min_chars: &Option<Num>,
        out: &mut Vec<Finding>,
    ) {
        let segs = &self.i.segments;
        match check {
            TimingCheck::Silence => {
                let limit = self.num(seconds, 10.0);
                let mut last_end = f64::NAN;
                for (k, s) in segs.iter().enumerate() {
                    if k > 0 && s.start - last_end > limit {
                        out.push(rule_finding(
                            r,
                            format!(
                                "{}：静音{:.1}秒（上限{}秒）",
                                r.title,
                                s.start - last_end,
                                limit
                            ),
                            String::new(),
                            Some((last_end, s.start)),
                            Some(k),
                        ));
                    }
                    last_end = if k == 0 { s.end } else { last_end.max(s.end) };
                }
            }
            TimingCheck::OverTalk => {
                let min_overlap = self.num(seconds, 1.0);
                let min_count = self.num(count, 2.0);
                let mut events = Vec::new();
                for (k, s) in segs.iter().enumerate() {
                    if s.speaker != Speaker::Agent {
                        continue;
                    }
                    // A customer turn that started before and is still going.
                    let cut = segs[..k]
                        .iter()
                        .filter(|c| c.speaker == Speaker::Customer && c.start <= s.start)
                        .map(|c| c.end - s.start)
                        .fold(0.0, f64::max);
                    if cut >= min_overlap {
                        events.push((k, s.start, s.start + cut));
                    }
                }
                if events.len() as f64 >= min_count {
                    let (k, t0, t1) = events[0];
                    let excerpt = segs[k].text.chars().take(40).collect();
                    out.push(rule_finding(
                        r,
                        format!(
                            "{}：坐席抢话{}次（重叠≥{}秒）",
                            r.title,
                            events.len(),
                            min_overlap
                        ),
                        excerpt,
                        Some((t0, t1)),
                        Some(k),
                    ));
                }
            }
            TimingCheck::SpeechRate => {
                let max_rate = self.num(rate, 8.0);
                let min_c = self.num(min_chars, 20.0);
                for (k, s) in segs.iter().enumerate() {
                    if s.speaker != Speaker::Agent {
                        continue;
                    }
                    let d = s.end - s.start;
                    // Cheap upper bound first: all characters, then only letters and digits.
                    // Characters = bytes that do not continue a UTF-8 sequence (no decoding).
                    let all = s.text.bytes().filter(|b| b & 0xC0 != 0x80).count() as f64;
                    if d <= 0.0 || all < min_c || all / d <= max_rate {
                        continue;
                    }
                    let n = s.text.chars().filter(|c| c.is_alphanumeric()).count() as f64;
                    if n >= min_c && n / d > max_rate {
                        out.push(rule_finding(
                            r,
                            format!("{}：语速{:.1}字/秒（上限{}）", r.title, n / d, max_rate),
                            s.text.chars().take(40).collect(),
                            Some((s.start, s.end)),
                            Some(k),
                        ));
                    }
                }
            }
        }
    }
}

/// A finding without a text span (a missing step, a timing or event-log rule).
pub(crate) fn rule_finding(
    r: &Rule,
    message: String,
    excerpt: String,
    t: Option<(f64, f64)>,
    seg: Option<usize>,
) -> Finding {
    Finding {
        rule: r.id.clone(),
        category: r.category.clone(),
        level: r.level,
        segment: seg,
        start: t.map(|t| t.0),
        end: t.map(|t| t.1),
        excerpt,
        message,
        span: None,
        deduction: r.deduction,
    }
}

/// Does the amount `v`, stated as `stated` (the cue and the amount) and followed by `rest`,
/// agree with `balance`? "七千七百多" / "三千来块" / "一万余元" state a lower bound up to the
/// next step of their last digit (7,700–7,800); "八千左右" / "大概八千" / "将近八千" a rounded
/// figure (within that step or 5 %). Anything else must be within `tol`.
pub(crate) fn amount_fits(stated: &str, rest: &str, v: f64, balance: f64, tol: f64) -> bool {
    if (v - balance).abs() <= tol {
        return true;
    }
    let mut step = 1.0;
    let mut n = v.round() as i64;
    while n != 0 && n % 10 == 0 {
        n /= 10;
        step *= 10.0;
    }
    let next: String = rest.chars().take(3).collect();
    let tail = stated.chars().last();
    if matches!(tail, Some('多' | '余' | '来')) || next.starts_with(['多', '余', '来']) {
        return step > 1.0 && balance >= v - tol && balance < v + step + tol;
    }
    let rounded = next.starts_with("左右")
        || next.trim_start_matches(['元', '块']).starts_with("左右")
        || ["大概", "大约", "约", "差不多", "将近", "接近", "快"]
            .iter()
            .any(|w| stated.contains(w));
    rounded && (v - balance).abs() <= step.max(v.abs() * 0.05) + tol
}

pub(crate) fn fmt_yuan(v: f64) -> String {
    if (v - v.round()).abs() < 0.005 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
    }
}

/// Normalise, scan and segment an interaction into `sc`; returns the data for a `Call`.
pub(crate) fn prepare(c: &Compiled, i: &Interaction, sc: &mut Scratch) {
    sc.norm.clear();
    sc.hits.clear();
    sc.segs.clear();
    sc.present.clear();
    sc.present.resize(c.list_count.div_ceil(64), 0);
    sc.ents.clear();
    sc.scan.clear();
    let mut agent_turns = 0u32;
    let mut cust_turns = 0u32;
    let mut push_seg = |sc: &mut Scratch,
                        idx: usize,
                        speaker: Speaker,
                        t0: Option<f64>,
                        t1: Option<f64>,
                        text: &str| {
        // Each segment is framed by clause marks, so boundary phrases (`|是我|`) work at its edges.
        let lo = sc.norm.len();
        // The scan's code of the text is written in the same pass.
        let flags = match c.scanner.encoder(&mut sc.scan) {
            Some(mut enc) => {
                enc.char_at(CLAUSE, lo);
                sc.norm.push(CLAUSE);
                let flags = normalize_coded(text, &mut sc.norm, &mut enc);
                if !sc.norm.ends_with(CLAUSE) {
                    enc.char_at(CLAUSE, sc.norm.len());
                    sc.norm.push(CLAUSE);
                }
                enc.char_at(SEGMENT, sc.norm.len());
                flags
            }
            None => {
                sc.norm.push(CLAUSE);
                let flags = normalize_into(text, &mut sc.norm, None);
                if !sc.norm.ends_with(CLAUSE) {
                    sc.norm.push(CLAUSE);
                }
                flags
            }
        };
        let hi = sc.norm.len();
        sc.norm.push(SEGMENT);
        let turn = if speaker == Speaker::Agent {
            agent_turns += 1;
            agent_turns - 1
        } else {
            cust_turns += 1;
            cust_turns - 1
        };
        let pos = sc.segs.len();
        sc.segs.push(Seg {
            idx,
            speaker,
            t0,
            t1,
            lo,
            hi,
            hits: (0, 0),
            party: Party::Debtor,
            turn,
            pos,
            flags,
        });
    };
    if i.segments.is_empty() {
        if let Some(t) = &i.text {
            push_seg(sc, 0, Speaker::Agent, None, None, t);
        }
    } else {
        for (k, s) in i.segments.iter().enumerate() {
            push_seg(sc, k, s.speaker, Some(s.start), Some(s.end), &s.text);
        }
    }
    // One scan for every phrase of the pack.
    let Scratch {
        norm,
        hits,
        present,
        scan,
        ..
    } = sc;
    c.scanner.scan(norm, scan, |p, start, end| {
        for &l in &c.pat_lists[c.pat_off[p] as usize..c.pat_off[p + 1] as usize] {
            hits.push(Hit {
                list: l,
                start,
                end,
            });
            present[l as usize / 64] |= 1 << (l % 64);
        }
    });
    // Overlapping matches come in order of their end; no match crosses a segment boundary.
    let mut h = 0;
    for s in sc.segs.iter_mut() {
        while h < sc.hits.len() && (sc.hits[h].end as usize) <= s.lo {
            h += 1;
        }
        let from = h;
        while h < sc.hits.len() && (sc.hits[h].end as usize) <= s.hi {
            h += 1;
        }
        s.hits = (from, h);
    }
    assign_parties(c, i, sc);
}

/// Who is on the line, segment by segment. The dialler's `party` (or the contact's recorded
/// relation) is only the starting guess: what the customer says overrides it ("你打错了",
/// "我是他爱人", "我就是"), and a hand-over ("我叫他来接") starts a new phase.
fn assign_parties(c: &Compiled, i: &Interaction, sc: &mut Scratch) {
    let base = i
        .party
        .or_else(|| {
            i.contact
                .as_ref()
                .and_then(|k| k.relation.as_deref())
                .and_then(relation_party)
        })
        .unwrap_or(Party::Debtor);
    let pl = &c.party;
    let has = |l: ListId| sc.present[l as usize / 64] & (1 << (l % 64)) != 0;
    let any_signal = pl.signals.iter().any(|(_, l)| has(*l)) || has(pl.debtor) || has(pl.handover);
    if !any_signal {
        for s in sc.segs.iter_mut() {
            s.party = base;
        }
        return;
    }
    let mut phase_start = 0;
    let mut phase_default = base;
    let mut phase_signal: Option<Party> = None;
    // Has the agent asked for the debtor in person in this phase?
    let mut asked = false;
    let n = sc.segs.len();
    for k in 0..n {
        let s = &sc.segs[k];
        let mut handover = false;
        if s.speaker == Speaker::Agent {
            asked |= sc.hits[s.hits.0..s.hits.1]
                .iter()
                .any(|h| h.list == pl.debtor_asked);
        } else if s.speaker == Speaker::Customer {
            let hits = &sc.hits[s.hits.0..s.hits.1];
            // Non-debtor self-identification beats "是我" inside it; the last one wins.
            let mut best: Option<(u32, Party)> = None;
            for h in hits {
                if let Some((p, _)) = pl.signals.iter().find(|(_, l)| *l == h.list)
                    && best.is_none_or(|(e, _)| h.end >= e)
                {
                    best = Some((h.end, *p));
                }
            }
            if best.is_none()
                && (phase_default.is_debtor() || asked)
                && hits.iter().any(|h| h.list == pl.debtor)
            {
                best = Some((0, Party::Debtor));
            }
            if let Some((_, p)) = best {
                phase_signal = Some(p);
            }
            handover = hits.iter().any(|h| h.list == pl.handover);
        }
        if handover || k + 1 == n {
            let p = phase_signal.unwrap_or(phase_default);
            for s in &mut sc.segs[phase_start..=k] {
                s.party = p;
            }
            phase_start = k + 1;
            phase_default = if p.is_debtor() {
                Party::Unknown
            } else {
                Party::Debtor
            };
            phase_signal = None;
            asked = false;
        }
    }
}

fn relation_party(r: &str) -> Option<Party> {
    Some(match r {
        "debtor" | "self" | "本人" => Party::Debtor,
        "spouse" | "配偶" | "夫妻" => Party::Spouse,
        "parent" | "父母" | "父亲" | "母亲" => Party::Parent,
        "relative" | "亲属" | "亲戚" => Party::Relative,
        "colleague" | "同事" => Party::Colleague,
        "friend" | "朋友" => Party::Friend,
        "emergency" | "紧急联系人" => Party::Emergency,
        "unknown" => Party::Unknown,
        _ => return None,
    })
}
