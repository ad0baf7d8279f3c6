// prodlab console: the page's words in French (the course's language, the
// default) and English, read from the lab's message catalogue at
// /i18n.json (internal/i18n/messages.json, the one the CLI speaks from).
// The choice is kept in localStorage. Protocol words (mode, sendMode,
// eventId, toxic types) stay as the APIs spell them; the console's error
// sentences come from the same catalogue, in the language the page sends
// in Accept-Language (app.js api()); a producer API's answer, forwarded,
// keeps its own words.
'use strict';

const LANGS = ['fr', 'en'];

// MESSAGES is the catalogue by language, filled once i18nReady resolves;
// until then t() answers the keys.
let MESSAGES = { fr: {}, en: {} };

// i18nReady resolves once the catalogue is read (or could not be: the
// page then shows message ids).
const i18nReady = fetch('i18n.json', { headers: { Accept: 'application/json' } })
  .then(r => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
  .then(m => { MESSAGES = { fr: m.fr || {}, en: m.en || {} }; })
  .catch(() => { /* the lab is restarting: ids stand in for words */ });

const LANG_KEY = 'prodlab.lang';

// lang is the page's language: localStorage's choice, else French.
let lang = (() => {
  try {
    const v = localStorage.getItem(LANG_KEY);
    return LANGS.includes(v) ? v : 'fr';
  } catch { return 'fr'; }
})();

// t returns the message for key in the page's language, with {name}
// placeholders filled from vars.
function t(key, vars = {}) {
  const s = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

// applyStatic translates every element marked data-i18n (its text),
// data-i18n-title, data-i18n-placeholder and data-i18n-aria.
function applyStatic(root = document) {
  document.documentElement.lang = t('html.lang');
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-title]')) e.title = t(e.dataset.i18nTitle);
  for (const e of root.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
  for (const e of root.querySelectorAll('[data-i18n-aria]')) e.setAttribute('aria-label', t(e.dataset.i18nAria));
  for (const b of root.querySelectorAll('#lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
}

// setLang switches the page's language and remembers it.
function setLang(l) {
  if (!LANGS.includes(l)) return;
  lang = l;
  try { localStorage.setItem(LANG_KEY, l); } catch { /* private mode: not remembered */ }
  applyStatic();
}
