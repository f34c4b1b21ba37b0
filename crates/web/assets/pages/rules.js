// #/rules — the active rule pack, grouped by category and level, filterable by text.

import { api } from '../api.js';
import { t, tv, categoryTitle, levelName } from '../i18n.js';
import { h, mount, fmtNum } from '../util.js';
import { hrefOf } from '../ui.js';
import { levelChip, EVENT_CATEGORIES } from '../transcript.js';


/** Accept the plausible shapes of GET /api/rules: a list, {rules:[…]}, or categories holding
 * their rules (optionally by level). */
export function normalizeRules(d) {
  const catInfo = new Map();
  let rules = [];
  const pushCat = (c) => {
    if (c && (c.id || c.category)) catInfo.set(c.id || c.category, { title: c.title || c.name || null, kind: c.kind || null });
  };
  if (Array.isArray(d)) rules = d;
  else if (d && Array.isArray(d.rules)) rules = d.rules;
  if (d && Array.isArray(d.categories)) {
    for (const c of d.categories) {
      pushCat(c);
      const cid = c.id || c.category;
      if (Array.isArray(c.rules)) for (const r of c.rules) rules.push(Object.assign({ category: cid }, r));
      if (Array.isArray(c.levels)) {
        for (const lv of c.levels) for (const r of lv.rules || []) rules.push(Object.assign({ category: cid, level: lv.level }, r));
      }
    }
  } else if (d && d.categories && typeof d.categories === 'object') {
    for (const [cid, c] of Object.entries(d.categories)) {
      if (Array.isArray(c)) for (const r of c) rules.push(Object.assign({ category: cid }, r));
      else {
        pushCat(Object.assign({ id: cid }, c));
        for (const r of c.rules || []) rules.push(Object.assign({ category: cid }, r));
      }
    }
  }
  const seen = new Set();
  const out = [];
  for (const r of rules) {
    if (!r || !r.id || seen.has(r.id)) continue;
    seen.add(r.id);
    const ex = r.examples || {};
    const hitsRaw = [r.hits, r.hit_count, r.hits_in_store, r.count, r.stats && r.stats.hits].find((v) => typeof v === 'number');
    out.push({
      id: String(r.id),
      category: r.category || '',
      categoryTitle: r.category_title || (catInfo.get(r.category) || {}).title || null,
      kind: r.category_kind || (catInfo.get(r.category) || {}).kind || (EVENT_CATEGORIES.has(r.category) ? 'event_log' : 'content'),
      ruleKind: r.kind || '',
      level: Number(r.level) || 0,
      title: r.title || '',
      description: r.description || '',
      source: r.source || '',
      deduction: r.deduction,
      hits: hitsRaw === undefined ? null : hitsRaw,
      exHit: asExamples(ex.hit || r.examples_hit || r.hit_examples),
      exMiss: asExamples(ex.miss || r.examples_miss || r.miss_examples),
    });
  }
  return { pack: (d && (d.pack || null)) || null, rules: out, catInfo };
}

function asExamples(list) {
  if (!Array.isArray(list)) return [];
  return list.map((e) => (typeof e === 'string'
    ? { text: e }
    : { text: String(e.text ?? e.body ?? ''), speaker: e.speaker || null, why: e.why || null, channel: e.channel || e.kind || null }));
}

function haystack(r) {
  return [r.id, r.title, r.description, r.source, r.category, categoryTitle(r.category, r.categoryTitle), levelName(r.level),
    ...r.exHit.map((e) => e.text), ...r.exMiss.map((e) => e.text)].join('\n').toLowerCase();
}

export async function render(ctx) {
  const data = await api.get('/api/rules');
  if (!ctx.alive()) return;
  const { pack, rules } = normalizeRules(data);

  const byCat = new Map();
  for (const r of rules) {
    if (!byCat.has(r.category)) byCat.set(r.category, []);
    byCat.get(r.category).push(r);
  }
  const catOrder = [...byCat.keys()].sort((a, b) => {
    const la = Math.max(...byCat.get(a).map((r) => r.level));
    const lb = Math.max(...byCat.get(b).map((r) => r.level));
    return lb - la || a.localeCompare(b);
  });

  const search = h('input', {
    id: 'rules-filter', name: 'q', type: 'search', value: ctx.query.q || '',
    placeholder: t('rules.filter'), 'aria-label': t('rules.filter'), autocomplete: 'off',
  });
  const levelSel = h('select', { id: 'rules-level', name: 'level', 'aria-label': t('f.level') },
    h('option', { value: '' }, t('rules.all_levels')),
    [4, 3, 2, 1].map((l) => h('option', { value: String(l), selected: ctx.query.level === String(l) }, levelName(l))));
  const catSel = h('select', { id: 'rules-category', name: 'category', 'aria-label': t('f.category') },
    h('option', { value: '' }, t('rules.all_categories')),
    catOrder.map((c) => h('option', { value: c, selected: ctx.query.category === c }, categoryTitle(c, byCat.get(c)[0].categoryTitle))));
  const count = h('span', { class: 'muted small', id: 'rules-count' });
  const none = h('p', { class: 'muted pad', hidden: true }, t('rules.none'));

  const groups = catOrder.map((cat) => {
    const list = byCat.get(cat);
    const levels = [...new Set(list.map((r) => r.level))].sort((a, b) => b - a);
    const totalHits = list.reduce((s, r) => s + (r.hits || 0), 0);
    const first = list[0];
    return h('section', { class: 'card rule-group', dataset: { category: cat } },
      h('header', { class: 'card-head' },
        h('h2', null, categoryTitle(cat, first.categoryTitle), ' ', h('code', { class: 'muted' }, cat)),
        h('span', { class: ['tag', first.kind === 'event_log' ? 'tag-info' : null] }, t(first.kind === 'event_log' ? 'rules.cat_event' : 'rules.cat_content')),
        h('span', { class: 'muted small grow' }, t('rules.count', { n: list.length })),
        list.some((r) => r.hits !== null) ? h('a', { class: 'small', href: hrefOf('/interactions', { category: cat }) }, t('rules.hits', { n: fmtNum(totalHits) })) : null),
      levels.map((lv) => h('div', { class: 'level-group', dataset: { level: lv } },
        h('div', { class: 'level-head' }, levelChip(lv), h('span', { class: 'muted small' }, t('rules.count', { n: list.filter((r) => r.level === lv).length }))),
        list.filter((r) => r.level === lv).sort((a, b) => a.id.localeCompare(b.id)).map(ruleCard))));
  });

  const body = h('div', { id: 'rules-list' }, groups, none);
  mount(ctx.root, h('div', { id: 'rules', class: 'page' },
    h('div', { class: 'page-head' },
      h('h1', null, t('rules.title')),
      pack ? h('span', { class: 'muted small', id: 'rules-pack' }, t('rules.pack') + '：' + packLabel(pack)) : null),
    h('div', { class: 'filter-bar card', role: 'search' },
      h('div', { class: 'field grow' }, search),
      h('div', { class: 'field' }, levelSel),
      h('div', { class: 'field' }, catSel),
      h('div', { class: 'field' }, count)),
    body));

  const apply = () => {
    const q = search.value.trim().toLowerCase();
    const lv = levelSel.value;
    const cat = catSel.value;
    let shown = 0;
    for (const g of body.querySelectorAll('.rule-group')) {
      let inGroup = 0;
      for (const lg of g.querySelectorAll('.level-group')) {
        let inLevel = 0;
        for (const card of lg.querySelectorAll('.rule')) {
          const r = card._rule;
          const ok = (!q || haystack(r).includes(q)) && (!lv || String(r.level) === lv) && (!cat || r.category === cat);
          card.hidden = !ok;
          if (ok) inLevel++;
        }
        lg.hidden = !inLevel;
        inGroup += inLevel;
      }
      g.hidden = !inGroup;
      shown += inGroup;
    }
    none.hidden = shown > 0;
    count.textContent = t('rules.count', { n: shown }) + (shown !== rules.length ? ' / ' + rules.length : '');
  };
  search.addEventListener('input', apply);
  levelSel.addEventListener('change', apply);
  catSel.addEventListener('change', apply);
  apply();
}

function packLabel(p) {
  if (typeof p === 'string') return p;
  return [p.title, p.id && p.version ? `${p.id}@${p.version}` : p.id].filter(Boolean).join(' · ');
}

function ruleCard(r) {
  const exampleList = (list, cls) => h('ul', { class: ['examples', cls] }, list.map((e) => h('li', null,
    e.speaker ? h('span', { class: 'tag' }, t('speaker.' + e.speaker) === 'speaker.' + e.speaker ? e.speaker : t('speaker.' + e.speaker)) : null,
    h('span', { class: 'ex-text' }, e.text),
    e.why ? h('span', { class: 'muted small ex-why' }, ' — ' + e.why) : null)));
  const nEx = r.exHit.length + r.exMiss.length;
  const card = h('article', { class: ['rule', 'lvl-border-' + r.level], dataset: { rule: r.id, level: r.level, category: r.category } },
    h('div', { class: 'rule-head' },
      levelChip(r.level),
      h('span', { class: 'rule-title' }, r.title || r.id),
      h('code', { class: 'rule-id' }, r.id),
      r.ruleKind ? h('span', { class: 'tag', title: r.ruleKind }, tv('rulekind', r.ruleKind)) : null,
      h('span', { class: 'grow' }),
      r.deduction !== undefined && r.deduction !== null ? h('span', { class: 'rule-ded', title: t('rules.deduction') }, t('detail.deduction_v', { n: r.deduction })) : null,
      r.hits !== null ? h('a', {
        class: ['rule-hits', r.hits ? null : 'muted'],
        href: hrefOf('/interactions', { category: r.category, level: r.level }),
        title: t('rules.view_hits'),
      }, t('rules.hits', { n: fmtNum(r.hits) })) : null),
    r.description ? h('p', { class: 'rule-desc' }, r.description) : null,
    r.source ? h('p', { class: 'rule-src muted small' }, t('rules.source') + '：' + r.source) : null,
    nEx ? h('details', { class: 'rule-examples' },
      h('summary', null, `${t('rules.examples')}（${t('rules.examples_hit')} ${r.exHit.length} / ${t('rules.examples_miss')} ${r.exMiss.length}）`),
      h('div', { class: 'ex-cols' },
        h('div', null, h('div', { class: 'ex-label hit' }, '✓ ' + t('rules.examples_hit')), exampleList(r.exHit, 'hit')),
        h('div', null, h('div', { class: 'ex-label miss' }, '✗ ' + t('rules.examples_miss')), exampleList(r.exMiss, 'miss')))) : null);
  card._rule = r;
  return card;
}
