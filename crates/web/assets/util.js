// Small DOM and formatting helpers. Text from the API only ever reaches the page through
// text nodes (h() children, textContent), never through innerHTML.

import { getLang } from './i18n.js';

/**
 * Create an element. `attrs`: `class`, `dataset` (object), `on` (object of listeners),
 * `style` (string), boolean and string attributes; `null`/`undefined`/`false` values are
 * skipped. Children: nodes, strings (as text), numbers, arrays, null (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'dataset') {
        for (const [dk, dv] of Object.entries(v)) if (dv !== null && dv !== undefined) el.dataset[dk] = String(dv);
      } else if (k === 'on') {
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      } else if (k === 'text') el.textContent = String(v);
      else if (k === 'value') el.value = String(v);
      else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' || k === 'required' || k === 'open') {
        el[k] = !!v;
        if (v) el.setAttribute(k, '');
      } else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replace the children of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** HTML-escape a string (for the rare place where a string of markup is built, e.g. ECharts
 * tooltips, which ECharts inserts as HTML). */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"'`]/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;',
  }[c]));
}

// ---- query strings ----

/** Parse `a=1&b=2` (or `?a=1…`) into a plain object; empty values are dropped. */
export function parseQuery(qs) {
  const out = {};
  const p = new URLSearchParams(qs || '');
  for (const [k, v] of p) if (v !== '') out[k] = v;
  return out;
}

/** Build a query string from an object; empty values are dropped, keys keep their order. */
export function buildQuery(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj || {})) {
    if (v === null || v === undefined || v === '') continue;
    p.append(k, String(v));
  }
  return p.toString();
}

// ---- dates ----

function pad(n) {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DD` of a Date in Asia/Shanghai (the API's day). */
export function shanghaiDate(d) {
  const ms = d.getTime() + 8 * 3600 * 1000;
  const s = new Date(ms);
  return `${s.getUTCFullYear()}-${pad(s.getUTCMonth() + 1)}-${pad(s.getUTCDate())}`;
}

/** Add `days` to a `YYYY-MM-DD` date. */
export function addDays(ymd, days) {
  const [y, m, d] = ymd.split('-').map(Number);
  const dt = new Date(Date.UTC(y, m - 1, d + days));
  return `${dt.getUTCFullYear()}-${pad(dt.getUTCMonth() + 1)}-${pad(dt.getUTCDate())}`;
}

/** Monday of the week of a `YYYY-MM-DD` date. */
export function weekStart(ymd) {
  const [y, m, d] = ymd.split('-').map(Number);
  const dt = new Date(Date.UTC(y, m - 1, d));
  const wd = (dt.getUTCDay() + 6) % 7; // 0 = Monday
  return addDays(ymd, -wd);
}

/** The default dashboard range: the last 30 days, today included. */
export function defaultRange() {
  const to = shanghaiDate(new Date());
  return { from: addDays(to, -29), to };
}

/**
 * Format an RFC 3339 time as it was written (the interaction's own offset is kept, so an
 * agent's 21:40 stays 21:40): `2026-10-01 09:12:00`. Falls back to the raw string.
 */
export function fmtTime(s, withSeconds = false) {
  if (!s) return '';
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?/.exec(String(s));
  if (!m) return String(s);
  return m[1] + ' ' + m[2] + (withSeconds && m[3] ? m[3] : '');
}

/** Seconds → `m:ss` (or `h:mm:ss`). */
export function fmtClock(sec) {
  if (sec === null || sec === undefined || isNaN(sec)) return '';
  const s = Math.max(0, Math.floor(Number(sec)));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return hh ? `${hh}:${pad(mm)}:${pad(ss)}` : `${mm}:${pad(ss)}`;
}

export function fmtNum(n, digits = 0) {
  if (n === null || n === undefined || n === '' || isNaN(Number(n))) return '–';
  return Number(n).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-US', {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  });
}

export function fmtPct(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || isNaN(Number(ratio))) return '–';
  return (Number(ratio) * 100).toFixed(digits) + '%';
}

export function fmtMoney(n) {
  if (n === null || n === undefined || isNaN(Number(n))) return '–';
  return '¥' + fmtNum(n, 2);
}

/** Debounce `fn` by `ms`. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
