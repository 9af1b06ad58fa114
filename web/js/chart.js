// Events per minute as stacked SVG bars: accepted, filtered, refused.
import { h } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';
const SERIES = ['accepted', 'filtered', 'refused'];

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// A rounded-up maximum for the scale: 1, 2, 5, 10, 20, 50, …
function niceMax(n) {
  if (n <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= n);
}

// `width`: the pixels available, so text is drawn at its size rather than stretched.
export function perMinuteChart(minutes, width) {
  const W = Math.max(300, Math.round(width)); const H = 220; const left = 40; const bottom = 22; const top = 8;
  const max = niceMax(Math.max(0, ...minutes.map((m) => m.accepted + m.filtered + m.refused)));
  const plotH = H - bottom - top;
  const step = (W - left) / minutes.length;
  const total = minutes.reduce((t, m) => t + m.accepted + m.filtered + m.refused, 0);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img',
    'aria-label': `Listener requests per minute over the last hour: ${total} in all` });
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH * (1 - f);
    root.append(svg('line', { class: 'axis', x1: left, x2: W, y1: y, y2: y }));
    root.append(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, String(Math.round(max * f))));
  }
  minutes.forEach((m, i) => {
    let y = top + plotH;
    for (const s of SERIES) {
      const hgt = (m[s] / max) * plotH;
      if (hgt > 0) {
        y -= hgt;
        const bar = svg('rect', { class: s, x: left + i * step + 1, y, width: Math.max(1, step - 2), height: hgt });
        bar.append(svg('title', {}, `${new Date(m.minute).toLocaleTimeString()}: ${m[s]} ${s}`));
        root.append(bar);
      }
    }
  });
  const last = minutes.length - 1;
  for (const i of W < 500 ? [0, 30, last] : [0, 15, 30, 45, last]) {
    const label = new Date(minutes[i].minute).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    const anchor = i === 0 ? 'start' : i === last ? 'end' : 'middle';
    const x = i === 0 ? left : i === last ? W : left + i * step + step / 2;
    root.append(svg('text', { x, y: H - 6, 'text-anchor': anchor }, label));
  }
  const legend = h('div', { class: 'legend' }, SERIES.map((s) => h('span', {}, h('span', { class: `swatch ${s}` }), s)));
  return h('figure', { class: 'chart', 'aria-label': 'Events per minute' }, root, legend);
}
