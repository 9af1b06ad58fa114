// One event: its metadata, the payload pretty-printed, every delivery with every attempt, and
// Retry for a token that may.
import { api, ApiError, SCOPES } from './api.js';
import { h, badge, panel, show, errorBox, table, time } from './ui.js';

function payloadText(e) {
  if (e.payload !== undefined) return JSON.stringify(e.payload, null, 2);
  if (e.payloadBase64 !== undefined) return `(not JSON; base64)\n${e.payloadBase64}`;
  return '(no payload)';
}

function attempts(d) {
  if (!d.attempts.length) return h('p', { class: 'muted' }, 'No attempt yet.');
  return table([['#'], ['Time'], ['Status'], ['Duration'], ['Error'], ['Response', 'narrow-hide']],
    d.attempts.map((a) => h('tr', { 'data-attempt': a.attempt },
      h('td', { class: 'num' }, a.attempt),
      h('td', {}, time(a.startedAt)),
      h('td', { class: 'num' }, a.statusCode ?? '—'),
      h('td', { class: 'num' }, `${a.durationMs} ms`),
      h('td', {}, a.error || '—'),
      h('td', { class: 'narrow-hide' }, a.response ? h('pre', { class: 'excerpt' }, a.response) : '—'))),
    `Attempts to ${d.receiverUrl}`);
}

function delivery(d) {
  return h('div', { class: 'delivery' },
    h('h3', {}, h('span', { class: 'mono' }, d.receiverUrl), ' ', badge(d.status)),
    h('p', { class: 'muted' }, `${d.attemptCount} attempt${d.attemptCount === 1 ? '' : 's'}`,
      d.status === 'pending' && d.nextAttemptAt ? [' · next ', time(d.nextAttemptAt)] : ''),
    attempts(d));
}

function metadata(e) {
  return h('dl', { class: 'kv' },
    h('dt', {}, 'Event id'), h('dd', { class: 'mono' }, e.id),
    h('dt', {}, 'Listener'), h('dd', { class: 'mono' }, e.listenerId),
    h('dt', {}, 'Provider'), h('dd', {}, e.provider),
    h('dt', {}, 'Event type'), h('dd', {}, e.eventType || '—'),
    h('dt', {}, 'Received'), h('dd', {}, time(e.receivedAt)),
    h('dt', {}, 'Source'), h('dd', { class: 'mono' }, e.sourceIp || '—'));
}

export function detailView(ctx, id) {
  let timer = 0;
  let stopped = false;
  let notice = '';
  async function retry(button) {
    button.disabled = true;
    try {
      const r = await api(`events/${encodeURIComponent(id)}/retry`, 'POST');
      notice = `Retry queued for ${r.queued} deliver${r.queued === 1 ? 'y' : 'ies'}.`;
    } catch (e) { notice = `Retry failed: ${e.message}`; }
    clearTimeout(timer);
    load();
  }
  async function load() {
    let e;
    try {
      e = await api(`events/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) { ctx.onUnauthorized(); return; }
      show(ctx.view, h('h1', {}, 'Event'), errorBox(err));
      return;
    }
    if (stopped) return;
    const failed = e.deliveries.some((d) => d.status === 'failed');
    const canRetry = ctx.can(SCOPES.edit);
    const back = e.listenerId === '__system__' ? '#/system' : `#/events?listener=${encodeURIComponent(e.listenerId)}`;
    show(ctx.view,
      h('div', { class: 'head' }, h('h1', {}, 'Event'), h('a', { href: back }, '← Back to events'), h('span', { class: 'spacer' }),
        canRetry ? h('button', { type: 'button', class: failed ? 'primary' : '', disabled: !failed,
          title: failed ? 'Send the failed deliveries again' : 'No delivery has failed',
          onclick: (ev) => retry(ev.target) }, 'Retry') : null),
      notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
      panel(h('h2', {}, 'Details'), metadata(e)),
      panel(h('h2', {}, 'Deliveries'), e.deliveries.length ? e.deliveries.map(delivery) : h('p', { class: 'muted' }, 'No receiver took this event.')),
      panel(h('h2', {}, 'Payload'), h('pre', { class: 'payload', tabindex: 0, 'aria-label': 'Payload' }, payloadText(e))));
    // Follow deliveries still under way.
    if (e.deliveries.some((d) => d.status === 'pending')) timer = setTimeout(load, 1000);
  }
  load();
  return () => { stopped = true; clearTimeout(timer); };
}
