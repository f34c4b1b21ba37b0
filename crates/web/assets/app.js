// The single-page app: hash router, header and navigation, session handling.

import { api, session, setUnauthenticatedHandler, Unauthenticated, ApiError } from './api.js';
import { t, getLang, setLang, roleName } from './i18n.js';
import { h, mount, parseQuery } from './util.js';
import { errorBox, showError, clearError, setReady, go } from './ui.js';
import { disposeAll } from './charts.js';
import * as loginPage from './pages/login.js';
import * as dashboardPage from './pages/dashboard.js';
import * as interactionsPage from './pages/interactions.js';
import * as detailPage from './pages/detail.js';
import * as rulesPage from './pages/rules.js';
import * as playgroundPage from './pages/playground.js';

const LAB_ROLES = ['admin', 'qa_lead'];

const topbar = document.getElementById('topbar');
const container = document.getElementById('content');
const app = document.getElementById('app');

let navToken = 0;
let returnTo = null;

export function canUsePlayground(user) {
  return !!user && LAB_ROLES.includes(user.role);
}

function parseHash() {
  const raw = (location.hash || '').replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = (q >= 0 ? raw.slice(0, q) : raw) || '/';
  const qs = q >= 0 ? raw.slice(q + 1) : '';
  return { path, qs, query: parseQuery(qs) };
}

setUnauthenticatedHandler(() => {
  const { path } = parseHash();
  if (path !== '/login') {
    returnTo = location.hash;
    go('/login');
  }
});

function renderHeader(path) {
  const user = session.user;
  if (!user || path === '/login') {
    topbar.hidden = true;
    topbar.replaceChildren();
    return;
  }
  topbar.hidden = false;
  const links = [
    ['/dashboard', 'nav.dashboard'],
    ['/interactions', 'nav.interactions'],
    ['/rules', 'nav.rules'],
  ];
  if (canUsePlayground(user)) links.push(['/playground', 'nav.playground']);
  const section = '/' + (path.split('/')[1] || '');
  const langBtn = (l) => h('button', {
    type: 'button',
    class: ['lang-btn', getLang() === l ? 'active' : null],
    dataset: { lang: l },
    'aria-pressed': getLang() === l ? 'true' : 'false',
    on: {
      click: () => {
        if (getLang() === l) return;
        setLang(l);
        route();
      },
    },
  }, t('lang.' + l));
  mount(topbar,
    h('div', { class: 'brand' },
      h('a', { href: '#/dashboard', class: 'brand-link' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '质'),
        h('span', { class: 'brand-name' }, t('app.full')))),
    h('nav', { id: 'main', 'aria-label': t('nav.main') },
      links.map(([href, key]) => h('a', {
        href: '#' + href,
        class: section === href ? 'active' : null,
        'aria-current': section === href ? 'page' : null,
        dataset: { nav: href.slice(1) },
      }, t(key)))),
    h('div', { class: 'user-box' },
      h('span', { class: 'user-name', id: 'user-name' }, user.display_name || user.username || ''),
      h('span', { class: 'role-tag', id: 'user-role', dataset: { role: user.role || '' } }, roleName(user.role)),
      h('div', { class: 'lang-switch', role: 'group', 'aria-label': t('nav.lang') }, langBtn('zh'), langBtn('en')),
      h('button', {
        type: 'button',
        id: 'logout',
        class: 'btn btn-ghost',
        on: {
          click: async () => {
            try { await api.logout(); } catch (_) { /* the session is gone either way */ }
            returnTo = null;
            go('/login');
          },
        },
      }, t('nav.logout'))));
}

const routes = [
  { re: /^\/login$/, page: loginPage, title: 'login.title', open: true },
  { re: /^\/dashboard$/, page: dashboardPage, title: 'nav.dashboard' },
  { re: /^\/interactions$/, page: interactionsPage, title: 'nav.interactions' },
  { re: /^\/interactions\/([^/]+)$/, page: detailPage, title: 'detail.title' },
  { re: /^\/rules$/, page: rulesPage, title: 'nav.rules' },
  { re: /^\/playground$/, page: playgroundPage, title: 'nav.playground', lab: true },
];

async function route() {
  const token = ++navToken;
  const alive = () => token === navToken;
  disposeAll();
  setReady(false);
  clearError();
  const { path, qs, query } = parseHash();
  if (path === '/' || path === '') {
    go('/dashboard');
    return;
  }
  const match = routes.map((r) => ({ r, m: r.re.exec(path) })).find((x) => x.m);

  // Every page but the login needs a session: ask the server once per page load.
  if (!(match && match.r.open) && !session.user) {
    try {
      await api.me();
    } catch (e) {
      if (!alive()) return;
      if (!(e instanceof Unauthenticated)) {
        returnTo = location.hash;
        go('/login');
      }
      return;
    }
    if (!alive()) return;
  }

  renderHeader(path);
  document.body.dataset.page = match ? match.r.title.replace(/^.*\./, '') : 'unknown';
  // The error box sits above the page, except on the login page, which places it itself.
  container.insertBefore(errorBox(), app);
  app.replaceChildren();
  app.className = '';

  if (!match) {
    document.title = t('err.page_not_found') + ' · ' + t('app.full');
    showError(t('err.page_not_found'));
    setReady(true);
    return;
  }
  document.title = t(match.r.title) + ' · ' + t('app.full');
  if (match.r.lab && !canUsePlayground(session.user)) {
    showError(t('err.playground_forbidden'));
    setReady(true);
    return;
  }
  const ctx = {
    root: app,
    path,
    qs,
    query,
    params: match.m.slice(1).map(decodeURIComponent),
    alive,
    user: session.user,
    onLogin: () => {
      const back = returnTo && !returnTo.startsWith('#/login') ? returnTo : '#/dashboard';
      returnTo = null;
      if (location.hash === back) route();
      else location.hash = back;
    },
  };
  try {
    await match.r.page.render(ctx);
    if (alive()) setReady(true);
  } catch (e) {
    if (!alive() || e instanceof Unauthenticated) return;
    if (e instanceof ApiError) showError(e.display());
    else {
      console.error(e);
      showError(String((e && e.message) || e));
    }
    setReady(true);
  }
}

window.addEventListener('hashchange', route);
route();
