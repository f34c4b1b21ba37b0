// #/dashboard — KPIs against the seeds' targets, trend, Pareto, heat map, breakdowns.
// Every bar, point and cell drills down to #/interactions with the matching filters.

import { api } from '../api.js';
import { t, has, categoryTitle, levelName } from '../i18n.js';
import { h, mount, buildQuery, parseQuery, defaultRange, addDays, weekStart, fmtNum, fmtPct, esc } from '../util.js';
import { go } from '../ui.js';
import { loadECharts, chart, LEVEL_COLORS, baseText, baseGrid } from '../charts.js';

const FILTER_KEYS = ['from', 'to', 'client', 'branch', 'team', 'agent'];
const BREAKDOWNS = ['branch', 'team', 'tenure', 'region', 'stage', 'client'];

let granularity = 'day'; // trend: 'day' | 'week' (kept while the app runs)
const known = { client: new Map(), branch: new Map(), team: new Map(), agent: new Map() }; // datalist values

export async function render(ctx) {
  const q = ctx.query;
  const range = defaultRange();
  const filter = {};
  for (const k of FILTER_KEYS) filter[k] = q[k] || '';
  const apiQuery = {};
  for (const k of FILTER_KEYS) if (filter[k]) apiQuery[k] = filter[k];
  if (!filter.from) filter.from = range.from;
  if (!filter.to) filter.to = range.to;

  const form = filterForm(filter);
  const kpis = h('div', { id: 'kpis', class: 'kpi-grid' }, h('div', { class: 'muted pad' }, t('common.loading')));
  const trendToggle = h('div', { class: 'seg-toggle', role: 'group', 'aria-label': t('dash.trend') },
    ['day', 'week'].map((g) => h('button', {
      type: 'button',
      class: granularity === g ? 'active' : null,
      dataset: { gran: g },
      'aria-pressed': granularity === g ? 'true' : 'false',
    }, t('dash.trend.' + g))));
  const card = (id, titleKey, extra, wide) => h('section', { class: ['card', 'chart-card', wide ? 'span-2' : null] },
    h('header', { class: 'card-head' }, h('h2', null, t(titleKey)), extra || null),
    h('div', { id, class: 'chart', role: 'img', 'aria-label': t(titleKey) }));

  const agentTable = h('div', { id: 'agent-table', class: 'table-wrap' });
  const root = h('div', { id: 'dashboard', class: 'page' },
    h('div', { class: 'page-head' },
      h('h1', null, t('dash.title')),
      h('span', { class: 'muted small' }, t('dash.drill_hint'))),
    form,
    kpis,
    h('div', { class: 'chart-grid' },
      card('chart-trend', 'dash.trend', trendToggle, true),
      card('chart-pareto', 'dash.pareto', null, true),
      card('chart-heatmap', 'dash.heatmap', null, true),
      ...BREAKDOWNS.map((b) => card('chart-' + b, 'dash.breakdown.' + b)),
      h('section', { class: 'card span-2' },
        h('header', { class: 'card-head' }, h('h2', null, t('dash.breakdown.agent'))),
        agentTable)));
  mount(ctx.root, root);

  const data = await api.get('/api/dashboard' + (Object.keys(apiQuery).length ? '?' + buildQuery(apiQuery) : ''));
  if (!ctx.alive()) return;
  const eff = Object.assign({}, filter);
  if (data && data.filter) {
    for (const k of FILTER_KEYS) if (data.filter[k]) eff[k] = String(data.filter[k]);
    for (const k of ['from', 'to']) if (data.filter[k]) form.elements[k].value = String(data.filter[k]);
  }
  // The base of every drill-down: the dashboard's own effective filter.
  const base = {};
  for (const k of FILTER_KEYS) if (eff[k]) base[k] = eff[k];

  remember(data);
  fillDatalists(form);
  renderKpis(kpis, (data && data.kpis) || {});

  const echarts = await loadECharts();
  if (!ctx.alive()) return;
  const drill = (elementDrill, fallback, extra) => {
    const target = Object.assign({}, base, elementDrill ? parseQuery(elementDrill) : fallback || {});
    for (const [k, v] of Object.entries(extra || {})) if (target[k] === undefined) target[k] = v;
    go('/interactions', target);
  };

  const trend = Array.isArray(data.trend) ? data.trend : [];
  const drawTrend = () => trendChart(echarts, trend, eff, drill);
  drawTrend();
  trendToggle.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-gran]');
    if (!b || b.dataset.gran === granularity) return;
    granularity = b.dataset.gran;
    for (const x of trendToggle.querySelectorAll('button')) {
      x.classList.toggle('active', x.dataset.gran === granularity);
      x.setAttribute('aria-pressed', x.dataset.gran === granularity ? 'true' : 'false');
    }
    drawTrend();
  });
  paretoChart(echarts, Array.isArray(data.pareto) ? data.pareto : [], drill);
  heatmapChart(echarts, Array.isArray(data.heatmap) ? data.heatmap : [], drill);
  const bd = data.breakdowns || {};
  for (const b of BREAKDOWNS) breakdownChart(echarts, b, Array.isArray(bd[b]) ? bd[b] : [], drill);
  renderAgentTable(agentTable, Array.isArray(bd.agent) ? bd.agent : [], drill);
}

// ---- filter bar ----

function filterForm(filter) {
  const field = (name, type, listId) => h('div', { class: 'field' },
    h('label', { for: 'dash-' + name }, t('f.' + name)),
    h('input', {
      id: 'dash-' + name, name, type, value: filter[name] || '', list: listId || null,
      autocomplete: 'off', placeholder: type === 'text' ? t('common.all') : null,
    }));
  const form = h('form', { id: 'dash-filters', class: 'filter-bar card', role: 'search' },
    field('from', 'date'),
    field('to', 'date'),
    field('client', 'text', 'dl-client'),
    field('branch', 'text', 'dl-branch'),
    field('team', 'text', 'dl-team'),
    field('agent', 'text', 'dl-agent'),
    h('datalist', { id: 'dl-client' }), h('datalist', { id: 'dl-branch' }),
    h('datalist', { id: 'dl-team' }), h('datalist', { id: 'dl-agent' }),
    h('div', { class: 'field actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.apply')),
      h('button', { type: 'button', class: 'btn', dataset: { action: 'reset' } }, t('common.reset'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = {};
    for (const k of FILTER_KEYS) {
      const v = form.elements[k].value.trim();
      if (v) q[k] = v;
    }
    go('/dashboard', q);
  });
  form.querySelector('[data-action=reset]').addEventListener('click', () => go('/dashboard'));
  return form;
}

function remember(data) {
  const bd = (data && data.breakdowns) || {};
  for (const k of ['client', 'branch', 'team', 'agent']) {
    for (const row of bd[k] || []) {
      if (row && row.key !== undefined && row.key !== null && row.key !== '') known[k].set(String(row.key), String(row.label || row.key));
    }
  }
}

function fillDatalists(form) {
  for (const k of ['client', 'branch', 'team', 'agent']) {
    const dl = form.querySelector('#dl-' + k);
    dl.replaceChildren(...[...known[k]].slice(0, 500).map(([key, label]) => h('option', { value: key, label: label !== key ? label : null })));
  }
}

// ---- KPIs ----

function renderKpis(el, k) {
  const targets = k.targets || {};
  const main = [
    { key: 'compliance_rate', value: fmtPct(k.compliance_rate), raw: k.compliance_rate, target: targets.compliance_rate ?? 0.98, dir: 'ge', fmt: (v) => fmtPct(v, 0), sub: t('dash.sub.compliance_rate') },
    {
      key: 'compliance_per_100_recordings', value: fmtNum(k.compliance_per_100_recordings, 1), raw: k.compliance_per_100_recordings,
      target: targets.compliance_per_100_recordings ?? 2, dir: 'le', fmt: (v) => fmtNum(v, 1),
      sub: t('dash.sub.compliance_per_100_recordings', { f: fmtNum(k.compliance_findings), r: fmtNum(k.recordings) }),
    },
    { key: 'service_standard_rate', value: fmtPct(k.service_standard_rate), raw: k.service_standard_rate, target: targets.service_standard_rate ?? 0.95, dir: 'ge', fmt: (v) => fmtPct(v, 0), sub: t('dash.sub.service_standard_rate') },
    {
      key: 'complaint_rate', value: fmtPct(k.complaint_rate, 2), raw: k.complaint_rate,
      target: targets.complaint_rate ?? null, dir: 'le', fmt: (v) => fmtPct(v, 2),
      sub: t('dash.sub.complaint_rate', { c: fmtNum(k.complaints), n: fmtNum(k.cases) }),
    },
  ];
  const small = ['interactions', 'inspected', 'failed', 'findings', 'compliance_findings', 'recordings', 'connected_calls', 'complaints'];
  mount(el,
    main.map((m) => {
      let status = 'neutral';
      if (m.target !== null && m.target !== undefined && m.raw !== null && m.raw !== undefined && !isNaN(Number(m.raw))) {
        const v = Number(m.raw);
        status = (m.dir === 'ge' ? v >= m.target : v <= m.target) ? 'ok' : 'bad';
      }
      const targetText = m.target === null || m.target === undefined
        ? t('dash.target.none')
        : t('dash.target.' + m.dir, { v: m.fmt(m.target) });
      return h('div', { class: ['kpi', 'kpi-main', 'kpi-' + status], dataset: { kpi: m.key, status } },
        h('div', { class: 'kpi-label' }, t('dash.kpi.' + m.key)),
        h('div', { class: 'kpi-value' }, m.value),
        h('div', { class: 'kpi-target' },
          h('span', null, targetText),
          status !== 'neutral' ? h('span', { class: 'kpi-flag' }, t(status === 'ok' ? 'dash.target.met' : 'dash.target.missed')) : null),
        h('div', { class: 'kpi-sub muted' }, m.sub));
    }),
    h('div', { class: 'kpi-strip' },
      small.map((key) => h('div', { class: 'kpi kpi-small', dataset: { kpi: key } },
        h('div', { class: 'kpi-label' }, t('dash.kpi.' + key)),
        h('div', { class: 'kpi-value' }, fmtNum(k[key]))))));
}

// ---- charts ----

function emptyGraphic() {
  return {
    type: 'text', left: 'center', top: 'middle',
    style: { text: t('common.empty'), fill: '#86909c', fontSize: 13 },
  };
}

const axisCommon = {
  axisLine: { lineStyle: { color: '#c9cdd4' } },
  axisTick: { show: false },
  axisLabel: { color: '#4e5969' },
  splitLine: { lineStyle: { color: '#f0f1f5' } },
};

const TREND_SERIES = [
  { key: 'failed', color: '#f5222d', extra: { status: 'failed' } },
  { key: 'findings', color: '#fa8c16', extra: { status: 'findings' } },
  { key: 'compliance_findings', color: '#722ed1', extra: { status: 'findings' } },
  { key: 'service_findings', color: '#13a8a8', extra: { status: 'findings' } },
  { key: 'complaints', color: '#eb2f96', extra: {} },
];

function trendChart(echarts, rows, eff, drill) {
  const el = document.getElementById('chart-trend');
  let points = rows.map((r) => Object.assign({}, r, { from: r.date, to: r.date, label: r.date }));
  if (granularity === 'week') {
    const byWeek = new Map();
    for (const r of rows) {
      if (!r.date) continue;
      const w = weekStart(r.date);
      let acc = byWeek.get(w);
      if (!acc) {
        let from = w;
        let to = addDays(w, 6);
        if (eff.from && from < eff.from) from = eff.from;
        if (eff.to && to > eff.to) to = eff.to;
        acc = { date: w, from, to, label: t('dash.week_of', { d: w.slice(5) }) };
        byWeek.set(w, acc);
      }
      for (const [k, v] of Object.entries(r)) if (typeof v === 'number') acc[k] = (acc[k] || 0) + v;
    }
    points = [...byWeek.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
  }
  const x = points.map((p) => (granularity === 'week' ? p.label : (p.date || '').slice(5)));
  const series = [
    {
      name: t('m.interactions'), type: 'bar', yAxisIndex: 1, barMaxWidth: 18,
      itemStyle: { color: '#bcd3fb' }, data: points.map((p) => p.interactions ?? 0),
      emphasis: { itemStyle: { color: '#8fb4f7' } },
    },
    ...TREND_SERIES.map((s) => ({
      name: t('m.' + s.key), type: 'line', smooth: false, symbol: 'circle', symbolSize: 6,
      itemStyle: { color: s.color }, lineStyle: { width: 2 }, data: points.map((p) => p[s.key] ?? 0),
    })),
  ];
  chart(echarts, el, {
    textStyle: baseText,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, itemWidth: 14, itemHeight: 8, textStyle: { color: '#4e5969' } },
    grid: baseGrid({ top: 40, left: 16, right: 16, bottom: 8 }),
    xAxis: Object.assign({ type: 'category', data: x }, axisCommon),
    yAxis: [
      Object.assign({ type: 'value', name: t('m.findings'), minInterval: 1 }, axisCommon),
      Object.assign({ type: 'value', name: t('m.interactions'), minInterval: 1, splitLine: { show: false } }, axisCommon, { splitLine: { show: false } }),
    ],
    series,
    graphic: points.length ? [] : [emptyGraphic()],
  }, (p) => {
    const pt = points[p.dataIndex];
    if (!pt) return;
    const s = TREND_SERIES[p.seriesIndex - 1];
    const own = granularity === 'day' ? pt.drill : null;
    drill(own, { from: pt.from, to: pt.to }, s ? s.extra : {});
  });
}

function paretoChart(echarts, rows, drill) {
  const el = document.getElementById('chart-pareto');
  const byCat = new Map();
  for (const r of rows) {
    if (!r || !r.category) continue;
    let c = byCat.get(r.category);
    if (!c) {
      c = { category: r.category, title: r.title, kind: r.kind, total: 0, levels: {}, drills: {} };
      byCat.set(r.category, c);
    }
    const lv = Number(r.level) || 0;
    c.levels[lv] = (c.levels[lv] || 0) + (Number(r.count) || 0);
    c.total += Number(r.count) || 0;
    if (r.drill) c.drills[lv] = r.drill;
  }
  const cats = [...byCat.values()].sort((a, b) => b.total - a.total);
  const grand = cats.reduce((s, c) => s + c.total, 0) || 1;
  let run = 0;
  const cum = cats.map((c) => {
    run += c.total;
    return +(100 * run / grand).toFixed(1);
  });
  const levels = [1, 2, 3, 4].filter((lv) => cats.some((c) => c.levels[lv]));
  const names = cats.map((c) => categoryTitle(c.category, c.title));
  chart(echarts, el, {
    textStyle: baseText,
    tooltip: {
      trigger: 'axis', axisPointer: { type: 'shadow' },
      formatter: (ps) => {
        if (!ps.length) return '';
        const c = cats[ps[0].dataIndex];
        const lines = [`<b>${esc(names[ps[0].dataIndex])}</b> <span style="color:#86909c">${esc(c.category)}</span>`];
        for (const p of ps) {
          if (p.value === null || p.value === undefined || p.value === 0) continue;
          lines.push(`${p.marker}${esc(p.seriesName)}：${esc(p.seriesType === 'line' ? p.value + '%' : fmtNum(p.value))}`);
        }
        return lines.join('<br>');
      },
    },
    legend: { top: 0, itemWidth: 14, itemHeight: 8 },
    grid: baseGrid({ top: 40, left: 16, right: 16, bottom: 8 }),
    xAxis: Object.assign({ type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 8 ? 30 : 0, color: '#4e5969', fontSize: 11 } }, { axisLine: axisCommon.axisLine, axisTick: axisCommon.axisTick }),
    yAxis: [
      Object.assign({ type: 'value', name: t('m.count'), minInterval: 1 }, axisCommon),
      Object.assign({ type: 'value', name: t('dash.pareto.cum'), min: 0, max: 100, axisLabel: { formatter: '{value}%', color: '#4e5969' } }, { axisLine: axisCommon.axisLine, axisTick: axisCommon.axisTick, splitLine: { show: false } }),
    ],
    series: [
      ...levels.map((lv) => ({
        name: levelName(lv), type: 'bar', stack: 'level', barMaxWidth: 36,
        itemStyle: { color: LEVEL_COLORS[lv] }, data: cats.map((c) => c.levels[lv] || 0),
      })),
      {
        name: t('dash.pareto.cum'), type: 'line', yAxisIndex: 1, symbol: 'circle', symbolSize: 6,
        itemStyle: { color: '#1d2129' }, lineStyle: { width: 1.5 }, data: cum,
        markLine: { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: '#86909c' }, data: [{ yAxis: 80 }], label: { formatter: '80%' } },
      },
    ],
    graphic: cats.length ? [] : [emptyGraphic()],
  }, (p) => {
    const c = cats[p.dataIndex];
    if (!c) return;
    if (p.seriesType === 'bar') {
      const lv = levels[p.seriesIndex];
      drill(c.drills[lv], { category: c.category, level: lv }, {});
    } else {
      drill(null, { category: c.category }, {});
    }
  });
}

function heatmapChart(echarts, rows, drill) {
  const el = document.getElementById('chart-heatmap');
  const hours = Array.from({ length: 24 }, (_, i) => String(i).padStart(2, '0'));
  const days = Array.from({ length: 7 }, (_, i) => t('weekday.' + i));
  const cells = [];
  const index = new Map();
  let max = 0;
  for (const r of rows) {
    const hr = Number(r.hour);
    const wd = Number(r.weekday);
    if (!(hr >= 0 && hr < 24 && wd >= 0 && wd < 7)) continue;
    const n = Number(r.count) || 0;
    max = Math.max(max, n);
    cells.push([hr, wd, n]);
    index.set(hr + ':' + wd, r);
  }
  chart(echarts, el, {
    textStyle: baseText,
    tooltip: {
      position: 'top',
      formatter: (p) => `${esc(days[p.value[1]])} ${esc(hours[p.value[0]])}:00–${esc(hours[p.value[0]])}:59<br>${esc(t('m.count'))}：<b>${esc(fmtNum(p.value[2]))}</b>`,
    },
    grid: baseGrid({ top: 8, left: 16, right: 16, bottom: 48 }),
    xAxis: { type: 'category', data: hours, splitArea: { show: true }, axisTick: { show: false }, axisLine: { show: false } },
    yAxis: { type: 'category', data: days, inverse: true, splitArea: { show: true }, axisTick: { show: false }, axisLine: { show: false } },
    visualMap: {
      min: 0, max: Math.max(1, max), calculable: true, orient: 'horizontal', left: 'center', bottom: 0,
      itemHeight: 180, itemWidth: 10, inRange: { color: ['#f7f8fa', '#ffd8bf', '#fa8c16', '#f5222d', '#a8071a'] },
      textStyle: { color: '#4e5969' },
    },
    series: [{
      type: 'heatmap', data: cells, label: { show: false },
      itemStyle: { borderColor: '#fff', borderWidth: 1 },
      emphasis: { itemStyle: { borderColor: '#1d2129', borderWidth: 1 } },
    }],
    graphic: cells.length ? [] : [emptyGraphic()],
  }, (p) => {
    const [hr, wd] = p.value;
    const r = index.get(hr + ':' + wd);
    drill(r && r.drill, { weekday: wd, hour: hr }, r && r.drill ? {} : { status: 'findings' });
  });
}

function rowLabel(dim, row) {
  if (dim === 'tenure' && has('tenure.' + row.key)) return t('tenure.' + row.key);
  if (row.label !== undefined && row.label !== null && row.label !== '') return String(row.label);
  return String(row.key ?? '');
}

function breakdownChart(echarts, dim, rows, drill) {
  const el = document.getElementById('chart-' + dim);
  let list = rows.filter((r) => r && r.key !== undefined && r.key !== null);
  if (dim !== 'tenure') list = [...list].sort((a, b) => (b.failed || 0) - (a.failed || 0) || (b.interactions || 0) - (a.interactions || 0));
  if (list.length > 15) list = list.slice(0, 15);
  const labels = list.map((r) => rowLabel(dim, r));
  const rate = list.map((r) => (r.interactions ? +(100 * (r.failed || 0) / r.interactions).toFixed(1) : 0));
  chart(echarts, el, {
    textStyle: baseText,
    tooltip: {
      trigger: 'axis', axisPointer: { type: 'shadow' },
      formatter: (ps) => {
        if (!ps.length) return '';
        const r = list[ps[0].dataIndex];
        return [
          `<b>${esc(labels[ps[0].dataIndex])}</b>`,
          `${esc(t('m.interactions'))}：${esc(fmtNum(r.interactions))}`,
          `${esc(t('m.failed'))}：${esc(fmtNum(r.failed))}`,
          `${esc(t('m.findings'))}：${esc(fmtNum(r.findings))}`,
          `${esc(t('m.compliance_findings'))}：${esc(fmtNum(r.compliance_findings))}`,
          `${esc(t('dash.fail_rate'))}：${esc(rate[ps[0].dataIndex])}%`,
        ].join('<br>');
      },
    },
    legend: { top: 0, itemWidth: 14, itemHeight: 8 },
    grid: baseGrid({ top: 40, left: 8, right: 8, bottom: 4 }),
    xAxis: {
      type: 'category', data: labels, axisTick: { show: false }, axisLine: axisCommon.axisLine,
      axisLabel: { interval: 0, rotate: labels.length > 5 ? 30 : 0, color: '#4e5969', fontSize: 11, width: 90, overflow: 'truncate' },
    },
    yAxis: [
      Object.assign({ type: 'value', minInterval: 1 }, axisCommon),
      { type: 'value', axisLabel: { formatter: '{value}%', color: '#4e5969' }, splitLine: { show: false }, axisLine: { show: false } },
    ],
    series: [
      { name: t('m.failed'), type: 'bar', barMaxWidth: 22, itemStyle: { color: '#f5222d' }, data: list.map((r) => r.failed || 0) },
      { name: t('m.compliance_findings'), type: 'bar', barMaxWidth: 22, itemStyle: { color: '#fa8c16' }, data: list.map((r) => r.compliance_findings || 0) },
      { name: t('dash.fail_rate'), type: 'line', yAxisIndex: 1, symbol: 'circle', symbolSize: 5, itemStyle: { color: '#1f6feb' }, data: rate },
    ],
    graphic: list.length ? [] : [emptyGraphic()],
  }, (p) => {
    const r = list[p.dataIndex];
    if (!r) return;
    const extra = p.seriesIndex === 0 ? { status: 'failed' } : p.seriesIndex === 1 ? { status: 'findings' } : {};
    drill(r.drill, { [dim]: r.key }, extra);
  });
}

function renderAgentTable(el, rows, drill) {
  const list = [...rows].filter((r) => r && r.key).sort((a, b) => (b.failed || 0) - (a.failed || 0)).slice(0, 10);
  if (!list.length) {
    mount(el, h('p', { class: 'muted pad' }, t('common.empty')));
    return;
  }
  mount(el, h('table', { class: 'grid-table', id: 'agents' },
    h('thead', null, h('tr', null,
      h('th', null, t('list.agent')),
      h('th', { class: 'num' }, t('m.interactions')),
      h('th', { class: 'num' }, t('m.failed')),
      h('th', { class: 'num' }, t('dash.fail_rate')),
      h('th', { class: 'num' }, t('m.findings')),
      h('th', { class: 'num' }, t('m.compliance_findings')))),
    h('tbody', null, list.map((r) => {
      const tr = h('tr', { class: 'clickable', tabindex: '0', dataset: { agent: r.key } },
        h('td', null, String(r.label || r.key), r.label && r.label !== r.key ? h('span', { class: 'muted small' }, ' ' + r.key) : null),
        h('td', { class: 'num' }, fmtNum(r.interactions)),
        h('td', { class: 'num' }, fmtNum(r.failed)),
        h('td', { class: 'num' }, r.interactions ? fmtPct((r.failed || 0) / r.interactions) : '–'),
        h('td', { class: 'num' }, fmtNum(r.findings)),
        h('td', { class: 'num' }, fmtNum(r.compliance_findings)));
      const open = () => drill(r.drill, { agent: r.key }, { status: 'failed' });
      tr.addEventListener('click', open);
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
      return tr;
    }))));
}

