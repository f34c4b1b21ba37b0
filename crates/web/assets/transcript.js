// Findings and the marked transcript: shared by the detail page and the playground.
//
// A finding's span [start, end) counts Unicode code points of its segment's `text` (or of the
// SMS / note body), not UTF-16 units: text is split with Array.from() before slicing.

import { h } from './util.js';
import { t, tv, categoryTitle, levelName } from './i18n.js';
import { fmtClock } from './util.js';

/** Event-log categories (PRODUCT.md): judged from the contact history, not from a span. */
export const EVENT_CATEGORIES = new Set(['off_hours', 'excessive_frequency', 'do_not_call', 'continued_after_stop_request',
  'visit_rule', 'recording_missing', 'note_mismatch', 'late_submission', 'unapproved_sms_template']);

const num = (v) => (v === null || v === undefined || v === '' || isNaN(Number(v)) ? null : Number(v));

/**
 * One finding in one shape, whatever the producer: the API's detail shape
 * (`segment`, `start`/`end` characters, `t_start`/`t_end` seconds) or the engine's
 * (`span: [from, to]` characters, `start`/`end` seconds).
 */
export function normalizeFinding(f, index) {
  let cs = null;
  let ce = null;
  let ts = num(f.t_start);
  let te = num(f.t_end);
  if (Array.isArray(f.span) && f.span.length === 2) {
    cs = num(f.span[0]);
    ce = num(f.span[1]);
    if (ts === null) ts = num(f.start);
    if (te === null) te = num(f.end);
  } else {
    cs = num(f.start);
    ce = num(f.end);
    if (cs === null && num(f.span_start) !== null) {
      cs = num(f.span_start);
      ce = num(f.span_end);
    }
  }
  return {
    index,
    rule: f.rule || '',
    category: f.category || '',
    level: num(f.level) || 0,
    title: f.title || f.rule_title || '',
    categoryTitle: f.category_title || null,
    source: f.source || '',
    deduction: num(f.deduction),
    segment: num(f.segment),
    cs,
    ce,
    ts,
    te,
    excerpt: f.excerpt || '',
    message: f.message || '',
  };
}

export function levelChip(level, extraClass) {
  const n = Number(level) || 0;
  return h('span', { class: ['lvl', 'lvl-' + n, extraClass], dataset: { level: n }, title: levelName(n) }, levelName(n));
}

/**
 * Wrap spans of `text` in `<mark class="finding">`. `spans`: [{cs, ce, finding}], code-point
 * offsets. Overlapping spans are split into pieces; each piece names every finding covering
 * it (data-finding) and carries the rule and level of the most severe one.
 */
export function markText(text, spans) {
  const chars = Array.from(text || '');
  const n = chars.length;
  const frag = document.createDocumentFragment();
  const valid = [];
  for (const s of spans) {
    if (s.cs === null || s.ce === null) continue;
    const a = Math.max(0, Math.min(n, Math.floor(s.cs)));
    const b = Math.max(0, Math.min(n, Math.floor(s.ce)));
    if (b > a) valid.push({ a, b, f: s.finding });
  }
  if (!valid.length) {
    frag.appendChild(document.createTextNode(chars.join('')));
    return frag;
  }
  const cuts = new Set([0, n]);
  for (const v of valid) {
    cuts.add(v.a);
    cuts.add(v.b);
  }
  const points = [...cuts].sort((x, y) => x - y);
  for (let i = 0; i < points.length - 1; i++) {
    const a = points[i];
    const b = points[i + 1];
    if (b <= a) continue;
    const piece = chars.slice(a, b).join('');
    const cover = valid.filter((v) => v.a <= a && v.b >= b).map((v) => v.f);
    if (!cover.length) {
      frag.appendChild(document.createTextNode(piece));
      continue;
    }
    cover.sort((x, y) => y.level - x.level || x.index - y.index);
    const top = cover[0];
    const titles = cover.map((f) => `${levelName(f.level)} ${categoryTitle(f.category, f.categoryTitle)}：${f.title || f.rule}`);
    frag.appendChild(h('mark', {
      class: ['finding', 'lvl-' + top.level],
      dataset: {
        rule: top.rule,
        level: top.level,
        category: top.category,
        finding: cover.map((f) => f.index).join(' '),
      },
      title: titles.join('\n'),
    }, piece));
  }
  return frag;
}

/**
 * The findings panel: `<ul id="findings">` of `<li data-rule>`. `onSelect(finding)` runs on
 * click or Enter.
 */
export function renderFindings(findings, { onSelect } = {}) {
  if (!findings.length) {
    return h('ul', { id: 'findings', class: 'findings empty' }, h('li', { class: 'none' }, t('detail.no_findings')));
  }
  const sorted = [...findings].sort((a, b) => b.level - a.level || a.index - b.index);
  return h('ul', { id: 'findings', class: 'findings' }, sorted.map((f) => {
    const located = f.segment !== null || f.cs !== null || f.ts !== null;
    const select = () => onSelect && onSelect(f);
    return h('li', {
      class: ['finding-item', 'lvl-border-' + f.level, located ? 'located' : 'unlocated'],
      dataset: { rule: f.rule, level: f.level, category: f.category, index: f.index },
      tabindex: '0',
      role: 'button',
      'aria-label': `${levelName(f.level)} ${categoryTitle(f.category, f.categoryTitle)} ${f.title || f.rule}`,
      on: {
        click: select,
        keydown: (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            select();
          }
        },
      },
    },
    h('div', { class: 'fi-head' },
      levelChip(f.level),
      h('span', { class: 'fi-cat' }, categoryTitle(f.category, f.categoryTitle)),
      f.deduction !== null ? h('span', { class: 'fi-ded', title: t('detail.deduction') }, t('detail.deduction_v', { n: f.deduction })) : null,
      f.ts !== null ? h('span', { class: 'fi-time', title: t('detail.play_from', { t: fmtClock(f.ts) }) }, '▶ ' + fmtClock(f.ts)) : null),
    h('div', { class: 'fi-title' }, f.title || null, f.rule ? h('code', { class: ['fi-rule', f.title ? null : 'alone'] }, f.rule) : null),
    f.message ? h('div', { class: 'fi-msg' }, f.message) : null,
    f.excerpt ? h('div', { class: 'fi-excerpt' }, h('span', { class: 'muted' }, t('detail.evidence') + '：'), '“' + f.excerpt + '”') : null,
    !located ? h('div', { class: 'fi-note muted' }, t(EVENT_CATEGORIES.has(f.category) ? 'detail.event_finding' : 'detail.whole_finding')) : null,
    f.source ? h('div', { class: 'fi-src muted' }, t('detail.source') + '：' + f.source) : null);
  }));
}

/**
 * The transcript of an interaction with its findings marked. Segments become speaker
 * bubbles (`.seg[data-seg]`); an SMS or note body becomes one block. `onSeek(seconds, seg)`
 * runs when a line is clicked (the detail page seeks the audio).
 */
export function renderTranscript(interaction, findings, { onSeek } = {}) {
  const segs = Array.isArray(interaction.segments) ? interaction.segments : [];
  const root = h('div', { id: 'transcript', class: 'transcript' });
  if (segs.length) {
    segs.forEach((seg, i) => {
      const mine = findings.filter((f) => f.segment === i);
      const spans = mine.filter((f) => f.cs !== null && f.ce !== null).map((f) => ({ cs: f.cs, ce: f.ce, finding: f }));
      const whole = mine.filter((f) => f.cs === null || f.ce === null || f.ce <= f.cs);
      const speaker = seg.speaker === 'customer' ? 'customer' : 'agent';
      const maxLevel = mine.reduce((m, f) => Math.max(m, f.level), 0);
      const line = h('div', {
        class: ['seg', 'seg-' + speaker, whole.length ? 'seg-flagged lvl-border-' + maxLevel : null],
        dataset: {
          seg: i,
          start: seg.start ?? '',
          end: seg.end ?? '',
          finding: whole.map((f) => f.index).join(' ') || null,
        },
        title: onSeek && seg.start !== undefined ? t('detail.play_from', { t: fmtClock(seg.start) }) : null,
      },
      h('div', { class: 'seg-meta' },
        h('span', { class: 'seg-speaker' }, tv('speaker', speaker)),
        seg.start !== undefined && seg.start !== null ? h('span', { class: 'seg-time' }, fmtClock(seg.start)) : null),
      h('div', { class: 'bubble' }, markText(seg.text || '', spans)));
      if (onSeek) {
        line.addEventListener('click', (e) => {
          if (window.getSelection && String(window.getSelection()).length) return; // selecting text
          if (e.target.closest('a')) return;
          onSeek(Number(seg.start) || 0, i);
        });
      }
      root.appendChild(line);
    });
    return root;
  }
  if (typeof interaction.text === 'string' && interaction.text.length) {
    // SMS / note body: spans count in the body; a finding on "segment 0" of a body-only record
    // points at the body too.
    const spans = findings
      .filter((f) => (f.segment === null || f.segment === 0) && f.cs !== null && f.ce !== null)
      .map((f) => ({ cs: f.cs, ce: f.ce, finding: f }));
    root.appendChild(h('div', { class: 'body-text', dataset: { seg: 'body' } },
      h('div', { class: 'bubble' }, markText(interaction.text, spans))));
    return root;
  }
  root.appendChild(h('p', { class: 'muted empty-note' }, t('detail.no_transcript')));
  return root;
}

/** Scroll to a finding's evidence (its first mark, else its flagged line) and flash it. */
export function focusFinding(root, finding) {
  const idx = String(finding.index);
  const all = [...root.querySelectorAll('[data-finding]')].filter((el) => el.dataset.finding.split(' ').includes(idx));
  let targets = all;
  if (!targets.length && finding.segment !== null) {
    const seg = root.querySelector(`.seg[data-seg="${finding.segment}"]`);
    if (seg) targets = [seg];
  }
  if (!targets.length) return false;
  targets[0].scrollIntoView({ behavior: 'smooth', block: 'center' });
  for (const el of targets) {
    el.classList.remove('flash');
    void el.offsetWidth; // restart the animation
    el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 2100);
  }
  return true;
}
