// #/playground — type a dialogue, see the active pack's findings live (admin, qa_lead).

import { api, ApiError, Unauthenticated } from '../api.js';
import { t } from '../i18n.js';
import { h, mount, fmtNum, debounce } from '../util.js';
import { showError, clearError, setReady } from '../ui.js';
import { normalizeFinding, renderFindings, renderTranscript, focusFinding } from '../transcript.js';

let lastText = null; // kept across language switches while the app runs

const PREFIXES = [
  [/^\s*(坐席|催收员|agent|a)\s*[:：]\s*/i, 'agent'],
  [/^\s*(客户|债务人|customer|c)\s*[:：]\s*/i, 'customer'],
];

/** One turn per non-empty line; `坐席:`/`客户:` (or `A:`/`C:`) name the speaker; a line
 * without a prefix continues with the previous speaker (the agent at first). */
export function parseDialogue(text) {
  const segments = [];
  let speaker = 'agent';
  for (const raw of String(text || '').split(/\r?\n/)) {
    let line = raw;
    for (const [re, sp] of PREFIXES) {
      if (re.test(line)) {
        speaker = sp;
        line = line.replace(re, '');
        break;
      }
    }
    line = line.trim();
    if (!line) continue;
    const i = segments.length;
    segments.push({ speaker, start: i * 5, end: i * 5 + 5, text: line });
  }
  return segments;
}

export async function render(ctx) {
  if (lastText === null) lastText = t('pg.sample');
  const area = h('textarea', {
    id: 'pg-text', name: 'text', rows: '12', spellcheck: 'false',
    'aria-describedby': 'pg-help',
  });
  area.value = lastText;
  const run = h('button', { type: 'button', id: 'pg-run', class: 'btn btn-primary' }, t('pg.run'));
  const status = h('span', { class: 'muted small', id: 'pg-status', 'aria-live': 'polite' });
  const summary = h('div', { id: 'pg-summary', class: 'pg-summary' });
  const findingsBox = h('div', { id: 'pg-findings' });
  const transcriptBox = h('div', { id: 'pg-transcript', class: 'transcript-scroll' });

  mount(ctx.root, h('div', { id: 'playground', class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, t('pg.title'))),
    h('div', { class: 'pg-grid' },
      h('section', { class: 'card pg-input' },
        h('header', { class: 'card-head' }, h('h2', null, h('label', { for: 'pg-text' }, t('pg.input')))),
        h('p', { class: 'muted small', id: 'pg-help' }, t('pg.help')),
        area,
        h('div', { class: 'pg-actions' }, run, status)),
      h('section', { class: 'card pg-result' },
        h('header', { class: 'card-head' }, h('h2', null, t('pg.result')), summary),
        findingsBox,
        h('h3', { class: 'sub-head' }, t('detail.transcript')),
        transcriptBox))));

  let seq = 0;
  const inspect = async () => {
    const my = ++seq;
    lastText = area.value;
    const segments = parseDialogue(area.value);
    if (!segments.length) {
      mount(summary);
      mount(findingsBox, h('p', { class: 'muted' }, t('pg.empty')));
      transcriptBox.replaceChildren();
      status.textContent = '';
      return;
    }
    setReady(false);
    status.textContent = t('pg.running');
    run.disabled = true;
    try {
      const res = await api.post('/api/playground', { segments });
      if (my !== seq || !ctx.alive()) return;
      clearError();
      const r = (res && (res.inspection || res.result)) || res || {};
      const findings = (Array.isArray(r.findings) ? r.findings : []).map((f, i) => normalizeFinding(f, i));
      const transcript = renderTranscript({ segments }, findings);
      mount(transcriptBox, transcript);
      mount(findingsBox, renderFindings(findings, { onSelect: (f) => focusFinding(transcript, f) }));
      const passed = r.passed;
      mount(summary,
        r.score !== undefined && r.score !== null ? h('span', { class: 'pg-score' }, t('detail.score') + ' ', h('b', { id: 'pg-score' }, fmtNum(r.score, Number.isInteger(Number(r.score)) ? 0 : 1))) : null,
        passed !== undefined ? h('span', { class: ['badge', passed ? 'badge-pass' : 'badge-fail'], id: 'pg-result' }, t(passed ? 'status.passed' : 'status.failed')) : null,
        h('span', { class: 'muted small' }, t('common.count', { n: findings.length })));
      status.textContent = '';
    } catch (e) {
      if (my !== seq || e instanceof Unauthenticated) return;
      status.textContent = '';
      showError(e instanceof ApiError ? e.display() : String(e));
    } finally {
      if (my === seq && ctx.alive()) {
        run.disabled = false;
        setReady(true);
      }
    }
  };
  const live = debounce(() => { if (ctx.alive()) inspect(); }, 400);
  area.addEventListener('input', () => {
    lastText = area.value;
    setReady(false);
    live();
  });
  run.addEventListener('click', inspect);
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      inspect();
    }
  });
  await inspect();
}
