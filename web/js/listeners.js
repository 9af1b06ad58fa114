// Listeners: where providers post, what they subscribe to, and how each receiver is doing.
import { api, ApiError, SCOPES, query } from './api.js';
import { h, badge, copyButton, panel, show, errorBox, time } from './ui.js';

function subscriptions(l) {
  const on = Object.entries(l.eventSubscription || {}).filter(([, v]) => v).map(([k]) => k);
  if (!on.length) return h('span', { class: 'muted' }, 'every event type');
  return h('span', { class: 'tags' }, on.map((t) => badge(t)));
}

function receiverHealth(listenerId, r, unhealthy) {
  const bad = unhealthy.find((u) => u.listenerId === listenerId && u.url === r.url);
  if (r.paused) return [badge('paused', 'bad'), bad ? h('span', { class: 'muted' }, ' since ', time(bad.pausedAt)) : null];
  if (bad) return [badge('failing', 'warn'), h('span', { class: 'muted' }, ' since ', time(bad.failingSince))];
  return [badge('healthy', 'ok')];
}

function listenerPanel(ctx, l, unhealthy, reload) {
  const url = (l.listenerUrl || [])[0] || '';
  const shown = h('code', {}, url);
  const receivers = h('ul', { class: 'receivers' }, l.receivers.map((r) => h('li', {},
    h('span', { class: 'mono' }, r.url),
    receiverHealth(l.integrationAccountWebhookId, r, unhealthy),
    r.paused && ctx.can(SCOPES.edit) ? h('button', {
      type: 'button', class: 'small', 'aria-label': `Resume ${r.url}`,
      onclick: async (ev) => {
        ev.target.disabled = true;
        try { await api(`integration_account_webhook/${encodeURIComponent(l.integrationAccountWebhookId)}/resume`, 'POST'); } catch (e) { alert(e.message); }
        reload();
      },
    }, 'Resume') : null)));
  const events = `#/events${query({ listener: l.integrationAccountWebhookId })}`;
  return panel(h('article', { class: 'listener', 'aria-label': l.name },
    h('div', { class: 'title' }, h('h2', {}, l.name),
      l.enabled ? badge('enabled', 'ok') : badge('disabled'),
      badge(l.managedBy === 'config' ? 'listeners.toml' : 'API'),
      h('a', { href: events }, 'Events →')),
    h('dl', { class: 'kv' },
      h('dt', {}, 'Provider'), h('dd', {}, l.provider),
      h('dt', {}, 'Account'), h('dd', { class: 'mono' }, l.integrationAccountId),
      h('dt', {}, 'Listener URL'), h('dd', { class: 'url' }, shown, url ? copyButton(url, `listener URL of ${l.name}`, shown) : null),
      h('dt', {}, 'Subscriptions'), h('dd', {}, subscriptions(l)),
      h('dt', {}, 'Receivers'), h('dd', {}, receivers))));
}

export function listenersView(ctx) {
  let stopped = false;
  async function load() {
    try {
      const [listeners, overview] = await Promise.all([
        api('integration_account_webhook?take=1000'), api('overview'),
      ]);
      if (stopped) return;
      show(ctx.view,
        h('div', { class: 'head' }, h('h1', {}, 'Listeners'), h('span', { class: 'muted' }, `${listeners.length} in service`)),
        listeners.length ? listeners.map((l) => listenerPanel(ctx, l, overview.unhealthyReceivers, load))
          : h('p', { class: 'empty' }, 'No listeners yet.'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) { ctx.onUnauthorized(); return; }
      show(ctx.view, h('h1', {}, 'Listeners'), errorBox(e));
    }
  }
  load();
  return () => { stopped = true; };
}
