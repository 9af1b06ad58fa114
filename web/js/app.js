// The dashboard's shell: sign-in, the token's scopes, and the hash router that picks a view.
import { api, ApiError, forget, setToken, token, SCOPES } from './api.js';
import { overviewView } from './overview.js';
import { listenersView } from './listeners.js';
import { eventsView } from './events.js';
import { detailView } from './detail.js';

const $ = (id) => document.getElementById(id);
const session = { name: '', scopes: [] };
let stopCurrent = () => {};

export function can(scope) { return session.scopes.includes(scope); }

function signedOut(message) {
  forget();
  stopCurrent();
  $('nav').hidden = true;
  $('who').hidden = true;
  $('view').replaceChildren();
  $('signin').hidden = false;
  const error = $('signin-error');
  error.hidden = !message;
  error.textContent = message || '';
  $('token').focus();
}

// Asks who the token is; false (and the sign-in form again) when it is not accepted.
async function identify() {
  try {
    const me = await api('whoami');
    session.name = me.name;
    session.scopes = me.scopes;
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) signedOut('This token is not known.');
    else if (e instanceof ApiError && e.status === 403) signedOut(`This token lacks ${SCOPES.view}.`);
    else signedOut(`Could not reach the gateway: ${e.message}`);
    return false;
  }
}

function signedIn() {
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('who').hidden = false;
  const role = can(SCOPES.edit) ? '' : ' (view only)';
  $('who-name').textContent = `${session.name}${role}`;
}

// `#/events/ID`, `#/events?listener=…`: the view and its parameters.
function parseHash() {
  const [path, q] = (location.hash.replace(/^#/, '') || '/overview').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(q || '') };
}

function render() {
  if (!token()) { signedOut(); return; }
  stopCurrent();
  const { parts, params } = parseHash();
  const view = $('view');
  const ctx = { view, params, can, onUnauthorized: () => signedOut('The token is no longer accepted.') };
  const name = parts[0] || 'overview';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (name === 'events' && parts[1]) stopCurrent = detailView(ctx, parts[1]);
  else if (name === 'events') stopCurrent = eventsView(ctx, false);
  else if (name === 'system') stopCurrent = eventsView(ctx, true);
  else if (name === 'listeners') stopCurrent = listenersView(ctx);
  else stopCurrent = overviewView(ctx);
}

async function start() {
  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    setToken($('token').value.trim());
    $('token').value = '';
    if (await identify()) { signedIn(); render(); $('main').focus(); }
  });
  $('sign-out').addEventListener('click', () => signedOut());
  window.addEventListener('hashchange', () => { if (token()) render(); });
  if (token() && await identify()) { signedIn(); render(); } else if (!token()) signedOut();
}

start();
