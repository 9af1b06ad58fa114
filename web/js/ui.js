// Small DOM helpers: elements are built with properties and text, never from HTML strings.

// h('a', {href: '#'}, 'text', child): an element with attributes and children.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function badge(text, kind = text) {
  return h('span', { class: `badge ${kind}` }, text);
}

export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleString(undefined, {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }));
}

export function number(n) { return new Intl.NumberFormat().format(n); }

// A button that copies `text`, saying so for screen readers too. Where the clipboard API is not
// offered (a plain-http address other than localhost), it selects `target` for Ctrl+C instead.
export function copyButton(text, what, target) {
  const b = h('button', { type: 'button', class: 'small', 'aria-label': `Copy ${what}` }, 'Copy');
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = 'Copied';
    } catch {
      if (target) window.getSelection().selectAllChildren(target);
      b.textContent = target ? 'Selected: press Ctrl+C' : 'Copy failed';
    }
    setTimeout(() => { b.textContent = 'Copy'; }, 2000);
  });
  return b;
}

export function panel(...children) { return h('section', { class: 'panel' }, ...children); }

export function table(headers, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', { class: 'muted' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map(([text, cls]) => h('th', { scope: 'col', class: cls }, text)))),
    h('tbody', {}, rows)));
}

export function errorBox(err) {
  return h('p', { class: 'notice error', role: 'alert' }, `Could not load: ${err.message}`);
}

// Replaces the view's content.
export function show(view, ...children) { view.replaceChildren(...children.flat().filter(Boolean)); }
