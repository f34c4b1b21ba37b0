// #/interactions — the filterable list. The filter lives in the hash's query string, so links,
// drill-downs and back/forward all work; filters without a form field (drill-downs such as
// weekday/hour, region, stage) are kept and shown as removable chips with the others.

import { api } from '../api.js';
import { t, tv, has, categoryTitle, levelName, CATEGORY_IDS } from '../i18n.js';
import { h, mount, buildQuery, fmtTime, fmtNum, fmtClock } from '../util.js';
import { go, hrefOf } from '../ui.js';
import { levelChip } from '../transcript.js';

const FORM_KEYS = ['from', 'to', 'client', 'branch', 'team', 'agent', 'category', 'level', 'status', 'score_min', 'score_max', 'kind'];
const PAGE_SIZE = 50;

export async function render(ctx) {
  const query = Object.assign({}, ctx.query);
  delete query.cursor;

  const form = filterForm(query);
  const chips = filterChips(query);
  const tbody = h('tbody');
  const table = h('table', { id: 'interactions', class: 'grid-table zebra' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('list.time')),
      h('th', { scope: 'col' }, t('list.agent')),
      h('th', { scope: 'col' }, t('list.team')),
      h('th', { scope: 'col' }, t('list.client')),
      h('th', { scope: 'col' }, t('list.kind')),
      h('th', { scope: 'col', class: 'num' }, t('list.score')),
      h('th', { scope: 'col' }, t('list.result')),
      h('th', { scope: 'col' }, t('list.findings')),
      h('th', { scope: 'col' }, t('list.categories')))),
    tbody);
  const more = h('button', { type: 'button', id: 'more', class: 'btn', hidden: true }, t('common.more'));
  const counter = h('span', { class: 'muted small', id: 'list-count' });

  mount(ctx.root, h('div', { id: 'interactions-page', class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, t('list.title'))),
    form,
    chips,
    h('section', { class: 'card table-card' },
      h('div', { class: 'table-wrap' }, table),
      h('div', { class: 'table-foot' }, counter, more))));

  let shown = 0;
  let cursor = null;
  const load = async () => {
    const q = Object.assign({}, query, { limit: PAGE_SIZE });
    if (cursor) q.cursor = cursor;
    const data = await api.get('/api/interactions?' + buildQuery(q));
    if (!ctx.alive()) return false;
    const items = (data && Array.isArray(data.items)) ? data.items : [];
    if (!shown && !items.length) {
      tbody.appendChild(h('tr', { class: 'empty-row' }, h('td', { colspan: '9', class: 'muted center' }, t('common.empty'))));
    }
    for (const it of items) tbody.appendChild(row(it));
    shown += items.length;
    cursor = data && data.next_cursor ? data.next_cursor : null;
    more.hidden = !cursor;
    counter.textContent = shown ? t('list.shown', { n: shown }) + (cursor ? '' : ' · ' + t('common.no_more')) : '';
    return true;
  };

  more.addEventListener('click', async () => {
    more.disabled = true;
    document.body.dataset.ready = '0';
    try {
      await load();
    } finally {
      more.disabled = false;
      if (ctx.alive()) document.body.dataset.ready = '1';
    }
  });

  await load();
}

function row(it) {
  const href = hrefOf('/interactions/' + encodeURIComponent(it.id));
  const inspected = it.score !== null && it.score !== undefined;
  const cats = Array.isArray(it.categories) ? it.categories : [];
  const score = inspected ? fmtNum(it.score, Number.isInteger(Number(it.score)) ? 0 : 1) : '–';
  const kindCell = [h('span', null, tv('kind', it.kind))];
  if (it.kind === 'call') {
    const parts = [];
    if (it.outcome) parts.push(tv('outcome', it.outcome));
    if (it.duration_s) parts.push(fmtClock(it.duration_s));
    if (parts.length) kindCell.push(h('span', { class: 'muted small' }, ' ' + parts.join(' · ')));
  }
  const tr = h('tr', {
    class: ['clickable', it.passed === false ? 'row-failed' : null],
    tabindex: '0',
    dataset: { id: it.id, passed: inspected ? String(!!it.passed) : null, maxLevel: it.max_level || 0 },
  },
  h('td', { class: 'nowrap' }, h('a', { href, class: 'row-link' }, fmtTime(it.started_at)), h('div', { class: 'muted small mono' }, it.id)),
  h('td', null, it.agent_name || it.agent_id || '', it.agent_name && it.agent_id ? h('div', { class: 'muted small' }, it.agent_id) : null),
  h('td', null, it.team || '', it.branch ? h('div', { class: 'muted small' }, it.branch) : null),
  h('td', { class: 'clip', title: it.client || '' }, it.client || ''),
  h('td', { class: 'nowrap' }, kindCell),
  h('td', { class: ['num', 'score', inspected && Number(it.score) < 60 ? 'score-low' : null] }, score),
  h('td', null, inspected
    ? h('span', { class: ['badge', it.passed ? 'badge-pass' : 'badge-fail'] }, t(it.passed ? 'status.passed' : 'status.failed'))
    : h('span', { class: 'badge' }, t('list.no_inspection'))),
  h('td', { class: 'nowrap' },
    it.finding_count ? [h('span', { class: 'count' }, String(it.finding_count)), ' ', levelChip(it.max_level)] : h('span', { class: 'muted' }, '0')),
  h('td', { class: 'cats' },
    cats.slice(0, 3).map((c) => h('span', { class: 'tag', dataset: { category: c } }, categoryTitle(c))),
    cats.length > 3 ? h('span', { class: 'tag tag-more', title: cats.slice(3).map((c) => categoryTitle(c)).join('、') }, '+' + (cats.length - 3)) : null));
  const open = (e) => {
    if (e && (e.ctrlKey || e.metaKey || e.button === 1)) return; // let the link open a new tab
    if (e && e.target.closest('a')) return; // the link itself navigates
    go('/interactions/' + encodeURIComponent(it.id));
  };
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') go('/interactions/' + encodeURIComponent(it.id));
  });
  return tr;
}

function select(name, options, value) {
  const opts = [h('option', { value: '' }, t('common.all'))];
  const seen = new Set();
  for (const [v, label] of options) {
    seen.add(String(v));
    opts.push(h('option', { value: v, selected: String(value) === String(v) }, label));
  }
  if (value && !seen.has(String(value))) opts.push(h('option', { value, selected: true }, String(value)));
  return h('select', { id: 'f-' + name, name }, opts);
}

function filterForm(query) {
  const field = (name, control) => h('div', { class: 'field', dataset: { field: name } }, h('label', { for: 'f-' + name }, t('f.' + name)), control);
  const input = (name, type, extra) => h('input', Object.assign({ id: 'f-' + name, name, type, value: query[name] || '', autocomplete: 'off' }, extra || {}));
  const form = h('form', { id: 'filters', class: 'filter-bar card', role: 'search' },
    field('from', input('from', 'date')),
    field('to', input('to', 'date')),
    field('client', input('client', 'text', { placeholder: t('common.all') })),
    field('branch', input('branch', 'text', { placeholder: t('common.all') })),
    field('team', input('team', 'text', { placeholder: t('common.all') })),
    field('agent', input('agent', 'text', { placeholder: t('common.all') })),
    field('category', select('category', CATEGORY_IDS.map((c) => [c, categoryTitle(c)]), query.category)),
    field('level', select('level', [4, 3, 2, 1].map((l) => [String(l), levelName(l)]), query.level)),
    field('status', select('status', ['failed', 'findings', 'passed'].map((s) => [s, t('status.' + s)]), query.status)),
    field('kind', select('kind', ['call', 'sms', 'visit', 'note'].map((k) => [k, tv('kind', k)]), query.kind)),
    field('score_min', input('score_min', 'number', { min: '0', max: '100', step: 'any', class: 'narrow' })),
    field('score_max', input('score_max', 'number', { min: '0', max: '100', step: 'any', class: 'narrow' })),
    h('div', { class: 'field actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.apply')),
      h('button', { type: 'button', class: 'btn', dataset: { action: 'reset' } }, t('common.reset'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    // Keep the drill-down filters that have no field; take the fields from the form.
    const q = {};
    for (const [k, v] of Object.entries(query)) if (!FORM_KEYS.includes(k)) q[k] = v;
    for (const k of FORM_KEYS) {
      const v = String(form.elements[k].value || '').trim();
      if (v) q[k] = v;
    }
    go('/interactions', q);
  });
  form.querySelector('[data-action=reset]').addEventListener('click', () => go('/interactions'));
  return form;
}

function chipValue(k, v) {
  switch (k) {
    case 'category': return categoryTitle(v);
    case 'level': return levelName(v);
    case 'status': return tv('status', v);
    case 'kind': return tv('kind', v);
    case 'weekday': return has('weekday.' + v) ? t('weekday.' + v) : v;
    case 'hour': return String(v).padStart(2, '0') + ':00–' + String(v).padStart(2, '0') + ':59';
    case 'tenure': return has('tenure.' + v) ? t('tenure.' + v) : v;
    case 'party': return tv('party', v);
    default: return v;
  }
}

function filterChips(query) {
  const keys = Object.keys(query).filter((k) => k !== 'limit');
  const box = h('div', { id: 'drill', class: 'chips', 'aria-label': t('list.active') });
  if (!keys.length) {
    box.hidden = true;
    return box;
  }
  box.appendChild(h('span', { class: 'chips-label muted small' }, t('list.active') + '：'));
  for (const k of keys) {
    const name = has('f.' + k) ? t('f.' + k) : k;
    const rest = Object.assign({}, query);
    delete rest[k];
    box.appendChild(h('span', { class: 'chip', dataset: { param: k } },
      h('span', { class: 'chip-k' }, name),
      h('span', { class: 'chip-v' }, chipValue(k, query[k])),
      h('button', {
        type: 'button',
        class: 'chip-x',
        title: t('common.remove_filter', { name }),
        'aria-label': t('common.remove_filter', { name }),
        on: { click: () => go('/interactions', rest) },
      }, '×')));
  }
  if (keys.length > 1) {
    box.appendChild(h('button', { type: 'button', class: 'btn btn-link small', on: { click: () => go('/interactions') } }, t('common.reset')));
  }
  return box;
}
