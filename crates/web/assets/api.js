// The JSON API client: same-origin fetch, the session cookie, the CSRF token (kept in memory
// only) on every state-changing request, and one place that reacts to 401.

import { t } from './i18n.js';

export const session = {
  user: null,
  csrf: null,
};

let onUnauthenticated = () => {};

/** Called with no arguments whenever the API answers 401 (except to the login itself). */
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || String(status));
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
  /** The message to show: the dictionary's for a known code, else the server's text. */
  display() {
    if (this.code && t('err.' + this.code) !== 'err.' + this.code) return t('err.' + this.code);
    if (this.status === 429) return t('err.auth.throttled');
    if (this.status === 404) return t('err.not_found');
    if (this.status === 403) return t('err.auth.forbidden');
    if (this.status === 0) return t('err.network');
    return this.serverMessage || t('err.server', { status: this.status });
  }
}

/** Raised for a 401: the app has already navigated to the login page; pages just stop. */
export class Unauthenticated extends ApiError {}

async function request(method, path, body, retried = false) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch (_) { data = null; }
  }
  if (res.ok) return data;
  const err = (data && data.error) || {};
  const code = typeof err === 'string' ? err : err.code;
  const message = typeof err === 'object' ? err.message : undefined;
  const retry = res.headers.get('Retry-After');
  if (res.status === 401 && path !== '/api/login') {
    session.user = null;
    session.csrf = null;
    const e = new Unauthenticated(401, code || 'auth.unauthenticated', message, retry);
    onUnauthenticated();
    throw e;
  }
  if (res.status === 403 && code === 'auth.csrf' && !retried && path !== '/api/login') {
    // The token went stale (e.g. the server restarted the session store): fetch it again once.
    try {
      await api.me();
      return request(method, path, body, true);
    } catch (_) { /* fall through to the error */ }
  }
  const e = new ApiError(res.status, code, message, retry);
  e.serverMessage = message;
  throw e;
}

function userOf(d) {
  if (!d) return null;
  if (d.user) return d.user;
  const u = Object.assign({}, d);
  delete u.csrf_token;
  return u;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body === undefined ? {} : body),

  async me() {
    const d = await request('GET', '/api/me');
    const user = userOf(d);
    session.user = user;
    session.csrf = (d && d.csrf_token) || null;
    return user;
  },

  async login(username, password) {
    const d = await request('POST', '/api/login', { username, password });
    session.user = userOf(d);
    session.csrf = (d && d.csrf_token) || null;
    return session.user;
  },

  async logout() {
    try {
      await request('POST', '/api/logout', {});
    } finally {
      session.user = null;
      session.csrf = null;
    }
  },
};
