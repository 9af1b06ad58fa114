// Events of one listener (or the gateway's own, on the system view): filtered, newest first,
// one page at a time from the API's paging, refreshed every few seconds.
import { api, ApiError, query, SYSTEM_LISTENER } from './api.js';
import { h, badge, number, panel, show, errorBox, table, time } from './ui.js';

const PAGE = 25;
const REFRESH_MS = 5000;

function deliveryBadges(e) {
  if (!e.deliveries.length) return h('span', { class: 'muted' }, 'none');
  return h('span', { class: 'tags' }, e.deliveries.map((d) => badge(d.status)));
}

function eventRows(events) {
  return events.map((e) => h('tr', {},
    h('td', {}, h('a', { href: `#/events/${encodeURIComponent(e.id)}`, 'aria-label': `Event ${e.id}, ${e.eventType || 'no type'}` }, time(e.receivedAt))),
    h('td', {}, e.eventType || h('span', { class: 'muted' }, '—')),
    h('td', {}, deliveryBadges(e)),
    h('td', { class: 'mono narrow-hide' }, e.sourceIp || '—'),
    h('td', { class: 'mono narrow-hide', title: e.id }, e.id.slice(0, 8))));
}

function go(base, params) { location.hash = `${base}${query(params)}`; }

function select(id, label, options, value, onchange) {
  return h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, onchange }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function filters(ctx, base, state, listeners, types) {
  const set = (key) => (ev) => go(base, { ...state, [key]: ev.target.value, skip: '' });
  const setBefore = (ev) => go(base, { ...state, before: ev.target.value ? new Date(ev.target.value).toISOString() : '', skip: '' });
  const typeList = h('datalist', { id: 'event-types' }, types.map((t) => h('option', { value: t })));
  const typeInput = h('input', { id: 'f-type', list: 'event-types', value: state.type, placeholder: 'any', onchange: set('type') });
  return h('form', { class: 'filters', 'aria-label': 'Filter events', onsubmit: (ev) => ev.preventDefault() },
    listeners ? select('f-listener', 'Listener', listeners.map((l) => [l.integrationAccountWebhookId, `${l.name} (${l.provider})`]), state.listener, set('listener')) : null,
    select('f-status', 'Delivery status', [['', 'any'], ['pending', 'pending'], ['succeeded', 'succeeded'], ['failed', 'failed']], state.status, set('status')),
    h('div', { class: 'field' }, h('label', { for: 'f-type' }, 'Event type'), typeInput, typeList),
    h('div', { class: 'field' }, h('label', { for: 'f-before' }, 'Received before'),
      h('input', { id: 'f-before', type: 'datetime-local', step: 1, value: localInput(state.before), onchange: setBefore })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'f-live', checked: state.live !== 'off',
      onchange: (ev) => go(base, { ...state, live: ev.target.checked ? '' : 'off' }) }), 'Refresh by itself'));
}

function pager(base, state, skip, total) {
  const from = total ? skip + 1 : 0;
  const to = Math.min(total, skip + PAGE);
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('button', { type: 'button', disabled: skip === 0, onclick: () => go(base, { ...state, before: '', skip: Math.max(0, skip - PAGE) || '' }) }, '← Newer'),
    h('span', { class: 'muted', 'data-total': total }, `${number(from)}–${number(to)} of ${number(total)}`),
    h('button', { type: 'button', disabled: to >= total, onclick: () => go(base, { ...state, before: '', skip: skip + PAGE }) }, 'Older →'));
}

// The position (newest first) of the first event received before `before`: a binary search
// over the API's paging, one event per probe, so it costs about log2(total) small calls.
async function positionBefore(path, params, total, before) {
  const limit = Date.parse(before);
  let lo = 0;
  let hi = total;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const probe = await api(`${path}${query({ ...params, take: 1, skip: mid })}`);
    const e = probe.events[0];
    if (!e || Date.parse(e.receivedAt) < limit) hi = mid; else lo = mid + 1;
  }
  return lo;
}

// The value of a datetime-local input for an ISO time, in local time.
function localInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
}

export function eventsView(ctx, system) {
  const base = system ? '#/system' : '#/events';
  const p = ctx.params;
  const state = { listener: system ? '' : p.get('listener') || '', status: p.get('status') || '', type: p.get('type') || '', skip: p.get('skip') || '', before: p.get('before') || '', live: p.get('live') || '' };
  let timer = 0;
  let stopped = false;
  let listeners = null;
  let types = [];
  async function load() {
    try {
      if (!system && !listeners) {
        listeners = await api('integration_account_webhook?take=1000');
        if (!state.listener && listeners.length) state.listener = listeners[0].integrationAccountWebhookId;
        const provider = (listeners.find((l) => l.integrationAccountWebhookId === state.listener) || {}).provider;
        if (provider) types = (await api(`event_types${query({ provider })}`)).eventTypes.map((t) => t.name);
      }
      const id = system ? SYSTEM_LISTENER : state.listener;
      const title = system ? 'System events' : 'Events';
      if (!id) { show(ctx.view, h('h1', {}, title), h('p', { class: 'empty' }, 'No listeners yet.')); return; }
      const path = `integration_account_webhook/${encodeURIComponent(id)}/events`;
      const params = { status: state.status, eventType: state.type };
      if (state.before && !state.skip) {
        const first = await api(`${path}${query({ ...params, take: 1 })}`);
        state.skip = String(await positionBefore(path, params, first.totalEventsCount, state.before));
      }
      const skip = Number(state.skip || 0);
      const page = await api(`${path}${query({ ...params, take: PAGE, skip })}`);
      if (stopped) return;
      const focused = document.activeElement && document.activeElement.id;
      show(ctx.view,
        h('div', { class: 'head' }, h('h1', {}, title), h('span', { class: 'muted' }, 'Newest first')),
        panel(filters(ctx, base, state, system ? null : listeners, types)),
        panel(page.events.length
          ? table([['Received'], ['Event type'], ['Deliveries'], ['Source', 'narrow-hide'], ['Event id', 'narrow-hide']], eventRows(page.events))
          : h('p', { class: 'empty' }, 'No events match.'),
        pager(base, state, skip, page.totalEventsCount)));
      if (focused) { const el = document.getElementById(focused); if (el) el.focus(); }
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) { ctx.onUnauthorized(); return; }
      show(ctx.view, h('h1', {}, system ? 'System events' : 'Events'), errorBox(e));
    }
    if (!stopped && state.live !== 'off') timer = setTimeout(load, REFRESH_MS);
  }
  load();
  return () => { stopped = true; clearTimeout(timer); };
}
