// dom.js: safe DOM construction. Data only ever reaches the page through textContent, text
// nodes and attributes set with setAttribute; this file and the views never use innerHTML.

/**
 * Creates an element. props: class, text, dataset, on<event> handlers, boolean attributes
 * (true sets, false/null omits), anything else as an attribute. Children: nodes or strings
 * (strings become text nodes), nested arrays, null/false skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = String(v);
    } else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/**
 * Text that came from a customer or an agent: its direction is detected on its own
 * (dir="auto") and it is isolated (unicode-bidi: isolate via .bidi), so bidi controls such as
 * U+202E cannot reorder the interface text around it.
 */
export function bidi(tag, text, className = '', props = {}) {
  return h(tag, { ...props, dir: 'auto', class: `bidi ${className}`.trim() }, text ?? '');
}

// --- icons (fixed path data, never data) ----------------------------------------------------
const SVG_NS = 'http://www.w3.org/2000/svg';
const ICONS = {
  clock: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16zm-1 3v6l5 3 .9-1.5-3.9-2.3V7z',
  image: 'M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2v9.6l4-4 3 3 3-3 4 4V7zm10 1.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z',
  video: 'M3 6h12a1 1 0 0 1 1 1v2.5l5-3v11l-5-3V17a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1z',
  audio: 'M12 3a3 3 0 0 1 3 3v6a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3zm-7 9h2a5 5 0 0 0 10 0h2a7 7 0 0 1-6 6.9V21h-2v-2.1A7 7 0 0 1 5 12z',
  document: 'M6 2h8l6 6v13a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm7 1.5V9h5.5zM8 13h8v2H8zm0 4h8v2H8z',
  sticker: 'M12 2a10 10 0 1 0 10 10V11h-5a6 6 0 0 1-6-6V2zm2 .3V5a4 4 0 0 0 4 4h3.7A10 10 0 0 0 14 2.3zM8 13a4 4 0 0 0 8 0z',
  location: 'M12 2a7 7 0 0 1 7 7c0 5-7 13-7 13S5 14 5 9a7 7 0 0 1 7-7zm0 4.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z',
  contact: 'M12 4a4 4 0 1 1 0 8 4 4 0 0 1 0-8zm0 10c4.4 0 8 2 8 4.5V21H4v-2.5C4 16 7.6 14 12 14z',
  warning: 'M12 2 1 21h22zm-1 7h2v6h-2zm0 8h2v2h-2z',
  attach: 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z',
  back: 'M15.4 5.4 14 4l-8 8 8 8 1.4-1.4L8.8 12z',
  info: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm-1 5h2v2h-2zm0 4h2v6h-2z',
  bell: 'M12 22a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.8V3a1.5 1.5 0 0 0-3 0v1.2A7 7 0 0 0 5 11v5l-2 2v1h18v-1z',
  bellOff: 'M20.5 21.9 2.1 3.5l1.4-1.4 18.4 18.4zM19 16v-5a7 7 0 0 0-5.5-6.8V3a1.5 1.5 0 0 0-3 0v1.2c-.8.2-1.6.5-2.2 1L19 16.2zM5 11v5l-2 2v1h13.2L6.1 8.9A7 7 0 0 0 5 11zm7 11a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22z',
  logo: 'M4 4h11a3 3 0 0 1 3 3v5a3 3 0 0 1-3 3H9l-5 4zm16 5h.5A1.5 1.5 0 0 1 22 10.5V21l-3.5-3H11a2 2 0 0 1-2-2h7a4 4 0 0 0 4-4z',
  chat: 'M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H8l-4 4V5a1 1 0 0 1 1-1z',
};

/** A decorative icon (aria-hidden); give the surrounding control the accessible name. */
export function icon(name, className = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon ${className}`.trim());
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name] || ICONS.info);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

// --- keyed lists ----------------------------------------------------------------------------
/**
 * Makes parent's children match items, reusing elements by key so focus and scroll survive.
 * update(el, item) may return a different element to replace el.
 */
export function reconcile(parent, items, { key, create, update }) {
  const old = parent._keyed || new Map();
  const next = new Map();
  let cursor = parent.firstChild;
  for (const item of items) {
    const k = key(item);
    let el = old.get(k);
    if (el && update) {
      const replacement = update(el, item);
      if (replacement && replacement !== el) {
        if (cursor === el) cursor = replacement;
        el.replaceWith(replacement);
        el = replacement;
      }
    } else if (!el) {
      el = create(item);
    }
    next.set(k, el);
    if (el === cursor) cursor = cursor.nextSibling;
    else parent.insertBefore(el, cursor);
  }
  for (const [k, el] of old) if (!next.has(k)) el.remove();
  parent._keyed = next;
}

// --- one shared 1-second ticker for live clocks -------------------------------------------
// Elements are held weakly: a detached element is skipped (it may come back, e.g. a list that
// is re-attached when its tab is shown again) and forgotten once it is garbage collected.
// fn must not capture el itself (it receives it as its argument).
const ticking = new Set();
let tickTimer = null;

/** Runs fn(el) now and every second while el is in the document. */
export function everySecond(el, fn) {
  ticking.add({ ref: new WeakRef(el), fn });
  fn(el);
  if (!tickTimer) tickTimer = setInterval(tick, 1000);
  return el;
}

function tick() {
  for (const entry of ticking) {
    const el = entry.ref.deref();
    if (!el) ticking.delete(entry);
    else if (el.isConnected) entry.fn(el);
  }
}

let uid = 0;
/** A unique id for label/aria wiring. */
export function uniqueId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}
