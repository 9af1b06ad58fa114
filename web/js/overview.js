// Overview: the last hour's counts, events per minute, receivers in trouble.
import { api, ApiError } from './api.js';
import { perMinuteChart } from './chart.js';
import { h, number, panel, show, errorBox, table, time, badge } from './ui.js';

const CARDS = [
  ['accepted', 'Accepted', (o) => o.lastHour.accepted],
  ['filtered', 'Filtered', (o) => o.lastHour.filtered],
  ['refused', 'Refused', (o) => o.lastHour.refused],
  ['pending', 'Pending deliveries', (o) => o.pending],
  ['failed', 'Failed deliveries', (o) => o.lastHour.failed],
];

function cards(o) {
  return h('div', { class: 'cards' }, CARDS.map(([key, label, value]) => {
    const v = value(o);
    return h('div', { class: `card${key === 'failed' && v > 0 ? ' bad' : ''}`, 'data-count': key },
      h('div', { class: 'label' }, label), h('div', { class: 'value' }, number(v)));
  }));
}

function receivers(list) {
  if (!list.length) return h('p', { class: 'muted' }, 'Every receiver is healthy.');
  return table([['Receiver'], ['Listener', 'narrow-hide'], ['State'], ['Since']], list.map((r) => h('tr', {},
    h('td', { class: 'mono' }, r.url),
    h('td', { class: 'narrow-hide mono' }, r.listenerId),
    h('td', {}, r.pausedAt ? badge('paused', 'bad') : badge('failing', 'warn')),
    h('td', {}, time(r.pausedAt || r.failingSince)))));
}

export function overviewView(ctx) {
  let timer = 0;
  let stopped = false;
  async function load() {
    try {
      const o = await api('overview');
      if (stopped) return;
      show(ctx.view,
        h('div', { class: 'head' }, h('h1', {}, 'Overview'), h('span', { class: 'muted' }, 'Last hour, this gateway process')),
        cards(o),
        panel(h('h2', {}, 'Listener requests per minute'), perMinuteChart(o.perMinute, ctx.view.clientWidth - 34)),
        panel(h('h2', {}, 'Receivers needing attention'), receivers(o.unhealthyReceivers)));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) { ctx.onUnauthorized(); return; }
      show(ctx.view, h('h1', {}, 'Overview'), errorBox(e));
    }
    if (!stopped) timer = setTimeout(load, 10000);
  }
  load();
  return () => { stopped = true; clearTimeout(timer); };
}
