// Page-level state shared by the pages: the error box, the ready flag, navigation.

import { buildQuery } from './util.js';

/** The one error container, `#error`, (re)placed by the router or the login page. */
export function errorBox() {
  let el = document.getElementById('error');
  if (!el) {
    el = document.createElement('div');
    el.id = 'error';
    el.setAttribute('role', 'alert');
    el.setAttribute('aria-live', 'assertive');
    el.className = 'error-box';
    el.hidden = true;
  }
  return el;
}

export function showError(msg) {
  const el = errorBox();
  el.textContent = msg;
  el.hidden = false;
}

export function clearError() {
  const el = errorBox();
  el.textContent = '';
  el.hidden = true;
}

export function setReady(v) {
  document.body.dataset.ready = v ? '1' : '0';
}

/** Go to `#path?query` (query: object or string). */
export function go(path, query) {
  const qs = typeof query === 'string' ? query : buildQuery(query || {});
  const target = '#' + path + (qs ? '?' + qs : '');
  setReady(false);
  if (location.hash === target) {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target;
  }
}

export function hrefOf(path, query) {
  const qs = typeof query === 'string' ? query : buildQuery(query || {});
  return '#' + path + (qs ? '?' + qs : '');
}
