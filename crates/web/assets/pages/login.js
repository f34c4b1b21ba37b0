// #/login

import { api, ApiError } from '../api.js';
import { t, getLang, setLang } from '../i18n.js';
import { h, mount } from '../util.js';
import { errorBox, showError, clearError, setReady } from '../ui.js';

export async function render(ctx) {
  const user = h('input', {
    id: 'login-username', name: 'username', type: 'text', autocomplete: 'username',
    required: true, spellcheck: 'false', autocapitalize: 'off',
  });
  const pass = h('input', {
    id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));
  const form = h('form', { id: 'login', class: 'login-form', novalidate: true },
    h('h1', { class: 'login-title' }, t('login.title')),
    errorBox(),
    h('label', { for: 'login-username' }, t('login.username')),
    user,
    h('label', { for: 'login-password' }, t('login.password')),
    pass,
    submit,
    h('p', { class: 'login-hint muted' }, t('login.hint')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError();
    if (!user.value.trim() || !pass.value) {
      (user.value.trim() ? pass : user).focus();
      showError(t('err.auth.invalid_credentials'));
      return;
    }
    submit.disabled = true;
    submit.textContent = t('login.busy');
    setReady(false);
    try {
      await api.login(user.value.trim(), pass.value);
      pass.value = '';
      ctx.onLogin();
    } catch (err) {
      showError(err instanceof ApiError ? err.display() : String(err));
      submit.disabled = false;
      submit.textContent = t('login.submit');
      pass.select();
      setReady(true);
    }
  });

  const langSwitch = h('div', { class: 'lang-switch login-lang', role: 'group', 'aria-label': t('nav.lang') },
    ['zh', 'en'].map((l) => h('button', {
      type: 'button',
      class: ['lang-btn', getLang() === l ? 'active' : null],
      dataset: { lang: l },
      'aria-pressed': getLang() === l ? 'true' : 'false',
      on: {
        click: () => {
          setLang(l);
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        },
      },
    }, t('lang.' + l))));

  ctx.root.className = 'login-page';
  mount(ctx.root,
    h('div', { class: 'login-wrap' },
      h('div', { class: 'login-aside' },
        h('div', { class: 'login-brand' },
          h('span', { class: 'brand-mark big', 'aria-hidden': 'true' }, '质'),
          h('div', null,
            h('div', { class: 'login-product' }, t('app.full')),
            h('div', { class: 'login-tagline' }, t('app.tagline'))))),
      h('div', { class: 'login-card' }, langSwitch, form)));
  user.focus();
}
