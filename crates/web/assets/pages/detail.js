// #/interactions/{id} — one interaction: header, findings, marked transcript with audio,
// case / contact / history / complaints.

import { api, ApiError } from '../api.js';
import { t, tv, categoryTitle } from '../i18n.js';
import { h, mount, fmtTime, fmtClock, fmtNum, fmtMoney } from '../util.js';
import { hrefOf } from '../ui.js';
import { normalizeFinding, renderFindings, renderTranscript, focusFinding, levelChip, EVENT_CATEGORIES } from '../transcript.js';


export async function render(ctx) {
  const id = ctx.params[0];
  let d;
  try {
    d = await api.get('/api/interactions/' + encodeURIComponent(id));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 403)) {
      e.code = 'detail_not_found';
    }
    throw e;
  }
  if (!ctx.alive()) return;
  const it = (d && d.interaction) || {};
  const insp = (d && d.inspection) || null;
  const findings = ((insp && insp.findings) || []).map((f, i) => normalizeFinding(f, i));
  const agent = d.agent || {};

  // ---- audio ----
  let audio = null;
  if (d.recording_url) {
    audio = h('audio', { id: 'player', controls: true, preload: 'metadata', src: d.recording_url });
  }
  const seek = (sec) => {
    if (!audio || sec === null || sec === undefined || isNaN(sec)) return;
    const to = Math.max(0, Number(sec));
    const setTime = () => {
      try { audio.currentTime = to; } catch (_) { /* not seekable yet */ }
    };
    if (audio.readyState >= 1) setTime();
    else audio.addEventListener('loadedmetadata', setTime, { once: true });
    const p = audio.play();
    if (p && p.catch) p.catch(() => {});
  };

  // ---- transcript and findings ----
  const transcript = renderTranscript(it, findings, { onSeek: audio ? (sec) => seek(sec) : null });
  const findingsList = renderFindings(findings, {
    onSelect: (f) => {
      for (const li of findingsList.querySelectorAll('li.selected')) li.classList.remove('selected');
      const li = findingsList.querySelector(`li[data-index="${f.index}"]`);
      if (li) li.classList.add('selected');
      focusFinding(transcript, f);
      const start = f.ts !== null ? f.ts : (f.segment !== null && it.segments && it.segments[f.segment] ? it.segments[f.segment].start : null);
      if (audio && start !== null && start !== undefined) seek(start);
    },
  });
  // A click on a mark points at its finding in the panel.
  transcript.addEventListener('click', (e) => {
    const m = e.target.closest('mark.finding');
    if (!m) return;
    const first = m.dataset.finding.split(' ')[0];
    const li = findingsList.querySelector(`li[data-index="${first}"]`);
    if (li) {
      for (const x of findingsList.querySelectorAll('li.selected')) x.classList.remove('selected');
      li.classList.add('selected');
      li.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
  });

  if (audio && Array.isArray(it.segments) && it.segments.length) {
    let current = -1;
    const lines = [...transcript.querySelectorAll('.seg')];
    const update = () => {
      const ct = audio.currentTime;
      let idx = -1;
      for (let i = 0; i < it.segments.length; i++) {
        const s = it.segments[i];
        if (Number(s.start) <= ct && ct < Number(s.end)) { idx = i; break; }
      }
      if (idx === current) return;
      if (current >= 0 && lines[current]) lines[current].classList.remove('playing');
      current = idx;
      if (idx >= 0 && lines[idx]) {
        lines[idx].classList.add('playing');
        if (!audio.paused) lines[idx].scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      }
    };
    audio.addEventListener('timeupdate', update);
    audio.addEventListener('seeked', update);
    audio.addEventListener('ended', () => {
      if (current >= 0 && lines[current]) lines[current].classList.remove('playing');
      current = -1;
    });
  }

  // ---- header ----
  const inspected = !!insp && insp.score !== undefined && insp.score !== null;
  const passed = inspected ? !!insp.passed : null;
  const meta = [
    ['detail.time', fmtTime(it.started_at, true) + (it.ended_at ? ' – ' + fmtTime(it.ended_at, true).slice(11) : '')],
    ['detail.agent', [agent.name || it.agent_name || '', ' ', h('span', { class: 'muted' }, it.agent_id || agent.id || '')]],
    ['detail.team', agent.team || it.team || ''],
    ['detail.branch', agent.branch || it.branch || ''],
    ['detail.client', it.client || ''],
    ['detail.case', it.case_id || (d.case && d.case.id) || ''],
    ['detail.party', tv('party', it.party || (insp && insp.party) || '') || '–'],
    ['detail.kind', tv('kind', it.kind)],
    it.direction ? ['detail.direction', tv('direction', it.direction)] : null,
    it.outcome ? ['detail.outcome', tv('outcome', it.outcome)] : null,
    durationOf(it) !== null ? ['detail.duration', fmtClock(durationOf(it))] : null,
    insp && insp.pack ? ['detail.pack', insp.pack] : null,
  ].filter(Boolean);
  const header = h('section', { class: 'card detail-head' },
    h('div', { class: 'dh-top' },
      h('a', { href: hrefOf('/interactions'), class: 'back-link' }, '← ' + t('common.back')),
      h('h1', null, t('detail.title'), ' ', h('span', { class: 'mono', id: 'detail-id' }, it.id || id)),
      h('div', { class: 'dh-score' },
        h('span', { class: 'muted small' }, t('detail.score')),
        h('span', { class: ['score-big', passed === false ? 'bad' : 'good'], id: 'detail-score' }, inspected ? fmtNum(insp.score, Number.isInteger(Number(insp.score)) ? 0 : 1) : '–'),
        inspected
          ? h('span', { id: 'detail-result', class: ['badge', 'badge-lg', passed ? 'badge-pass' : 'badge-fail'] }, t(passed ? 'status.passed' : 'status.failed'))
          : h('span', { class: 'badge badge-lg', id: 'detail-result' }, t('list.no_inspection')))),
    h('dl', { class: 'meta-grid' }, meta.map(([k, v]) => h('div', { class: 'meta' }, h('dt', null, t(k)), h('dd', null, v || '–')))));

  // ---- body ----
  const isText = !(Array.isArray(it.segments) && it.segments.length) && typeof it.text === 'string';
  const transcriptCard = h('section', { class: 'card transcript-card' },
    h('header', { class: 'card-head' },
      h('h2', null, t(isText ? 'detail.body' : 'detail.transcript')),
      it.segments && it.segments.length ? h('span', { class: 'muted small' }, t('common.count', { n: it.segments.length })) : null),
    audio ? h('div', { class: 'player-bar' }, audio) : (it.kind === 'call' ? h('div', { class: 'player-bar muted small' }, t('detail.no_recording')) : null),
    h('div', { class: 'transcript-scroll' }, transcript));

  const findingsCard = h('section', { class: 'card findings-card' },
    h('header', { class: 'card-head' },
      h('h2', null, t('detail.findings')),
      h('span', { class: 'muted small' }, t('common.count', { n: findings.length }))),
    findingsList);

  const side = h('div', { class: 'detail-side' },
    findingsCard,
    casePanel(d.case, it.case),
    contactPanel(d.contact, it.contact),
    extraPanel(it),
    complaintsPanel(d.complaints));

  const hasEvent = findings.some((f) => EVENT_CATEGORIES.has(f.category));
  mount(ctx.root, h('div', { id: 'detail', class: 'page', dataset: { id: it.id || id, kind: it.kind || '' } },
    header,
    h('div', { class: 'detail-body' }, h('div', { class: 'detail-main' }, transcriptCard), side),
    historyPanel(d.history, it.id || id, hasEvent)));
}

function durationOf(it) {
  if (it.duration_s !== undefined && it.duration_s !== null) return Number(it.duration_s);
  if (it.started_at && it.ended_at) {
    const a = Date.parse(it.started_at);
    const b = Date.parse(it.ended_at);
    if (!isNaN(a) && !isNaN(b) && b >= a) return (b - a) / 1000;
  }
  return null;
}

function kv(rows) {
  const items = rows.filter((r) => r && r[1] !== undefined && r[1] !== null && r[1] !== '');
  if (!items.length) return h('p', { class: 'muted pad' }, t('common.none'));
  return h('dl', { class: 'kv' }, items.map(([k, v]) => [h('dt', null, t(k)), h('dd', null, v)]));
}

function casePanel(c, ctxCase) {
  const x = Object.assign({}, ctxCase || {}, c || {});
  if (!c && !ctxCase) return null;
  return h('section', { class: 'card', id: 'case-panel' },
    h('header', { class: 'card-head' }, h('h2', null, t('detail.case_panel')), x.id ? h('span', { class: 'mono muted small' }, x.id) : null),
    kv([
      ['detail.product', x.product],
      ['detail.balance', x.balance !== undefined && x.balance !== null ? fmtMoney(x.balance) : null],
      ['detail.principal', x.principal !== undefined && x.principal !== null ? fmtMoney(x.principal) : null],
      ['detail.dpd', x.days_past_due !== undefined && x.days_past_due !== null ? fmtNum(x.days_past_due) : null],
      ['detail.stage', x.stage],
      ['detail.debtor', x.debtor],
      ['detail.client', x.client],
    ]));
}

function flagList(flags) {
  if (!Array.isArray(flags) || !flags.length) return null;
  return h('div', { class: 'flags' }, flags.map((f) => {
    const name = typeof f === 'string' ? f : (f.flag || f.kind || '');
    return h('span', { class: 'tag tag-warn', title: typeof f === 'object' && f.set_at ? fmtTime(f.set_at) : null }, name);
  }));
}

function contactPanel(c, ctxContact) {
  const x = Object.assign({}, ctxContact || {}, c || {});
  if (!c && !ctxContact) return null;
  return h('section', { class: 'card', id: 'contact-panel' },
    h('header', { class: 'card-head' }, h('h2', null, t('detail.contact_panel')), x.id ? h('span', { class: 'mono muted small' }, x.id) : null),
    kv([
      ['detail.contact_name', x.name],
      ['detail.relation', x.relation ? tv('party', x.relation) : null],
      ['detail.number', x.number ? h('span', { class: 'mono' }, x.number) : null],
    ]),
    flagList(x.flags));
}

function extraPanel(it) {
  if (it.kind === 'visit' && it.visit) {
    const v = it.visit;
    return h('section', { class: 'card', id: 'visit-panel' },
      h('header', { class: 'card-head' }, h('h2', null, t('detail.visit'))),
      kv([
        ['detail.members', Array.isArray(v.members) && v.members.length ? v.members.join('、') : '–'],
        ['detail.photos', Array.isArray(v.photos) ? String(v.photos.length) : '0'],
        ['detail.application', v.application_approved_at ? fmtTime(v.application_approved_at) : '–'],
        ['detail.entered_at', v.entered_at ? fmtTime(v.entered_at) : null],
      ]));
  }
  const rows = [
    it.template_id ? ['detail.template', it.template_id] : null,
    it.submitted_at ? ['detail.submitted_at', fmtTime(it.submitted_at)] : null,
  ].filter(Boolean);
  if (!rows.length) return null;
  return h('section', { class: 'card' }, kv(rows));
}

function complaintsPanel(list) {
  if (!Array.isArray(list) || !list.length) return null;
  return h('section', { class: 'card', id: 'complaints-panel' },
    h('header', { class: 'card-head' }, h('h2', null, t('detail.complaints')), h('span', { class: 'muted small' }, t('common.count', { n: list.length }))),
    h('ul', { class: 'complaints' }, list.map((c) => h('li', { dataset: { id: c.id || '' } },
      h('div', { class: 'cp-head' },
        h('span', { class: 'mono' }, c.id || ''),
        c.source ? h('span', { class: 'tag' }, c.source) : null,
        c.category ? h('span', { class: 'tag tag-warn' }, categoryTitle(c.category)) : null),
      h('div', { class: 'muted small' },
        t('detail.received_at') + '：' + fmtTime(c.received_at),
        c.closed_at ? ' · ' + t('detail.closed_at') + '：' + fmtTime(c.closed_at) : ''),
      c.summary ? h('div', { class: 'cp-sum' }, c.summary) : null))));
}

function historyPanel(list, currentId, emphasise) {
  if (!Array.isArray(list) || !list.length) return null;
  const rows = [...list].sort((a, b) => String(a.started_at || '').localeCompare(String(b.started_at || '')));
  return h('section', { class: ['card', 'history-card', emphasise ? 'emphasis' : null], id: 'history' },
    h('header', { class: 'card-head' },
      h('h2', null, t('detail.history')),
      h('span', { class: 'muted small' }, t('detail.history_hint') + ' · ' + t('common.count', { n: rows.length }))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid-table zebra compact', id: 'history-table' },
      h('thead', null, h('tr', null,
        h('th', null, t('list.time')),
        h('th', null, t('list.kind')),
        h('th', null, t('list.outcome')),
        h('th', { class: 'num' }, t('list.duration')),
        h('th', null, t('list.agent')),
        h('th', { class: 'num' }, t('list.score')),
        h('th', null, t('list.findings')),
        h('th', null, t('list.categories')))),
      h('tbody', null, rows.map((r) => {
        const cur = r.id === currentId;
        return h('tr', { class: cur ? 'current' : null, dataset: { id: r.id } },
          h('td', { class: 'nowrap' }, cur
            ? [fmtTime(r.started_at, true), ' ', h('span', { class: 'tag tag-info' }, t('detail.current'))]
            : h('a', { href: hrefOf('/interactions/' + encodeURIComponent(r.id)) }, fmtTime(r.started_at, true))),
          h('td', null, tv('kind', r.kind)),
          h('td', null, r.outcome ? tv('outcome', r.outcome) : '–'),
          h('td', { class: 'num' }, r.duration_s ? fmtClock(r.duration_s) : '–'),
          h('td', null, r.agent_name || r.agent_id || ''),
          h('td', { class: 'num' }, r.score !== undefined && r.score !== null ? fmtNum(r.score, Number.isInteger(Number(r.score)) ? 0 : 1) : '–'),
          h('td', null, r.finding_count ? [String(r.finding_count), ' ', levelChip(r.max_level)] : '0'),
          h('td', null, (r.categories || []).map((c) => h('span', { class: 'tag' }, categoryTitle(c)))));
      })))));
}
