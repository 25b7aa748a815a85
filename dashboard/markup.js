// markup.js: WhatsApp's text formatting as a tree of tokens, for the views to build with h()
// (never innerHTML): *bold*, _italic_, ~strike~, `code` and ```monospace```, and links
// (http://, https://, www.). As in WhatsApp, a marker opens only at the start of a word and
// closes only at the end of one, never across a line break, and never with a space inside
// next to the marker.

const MARKERS = { '*': 'bold', _: 'italic', '~': 'strike', '`': 'code' };
const LINK_RE = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
const TRAILING = /[.,;:!?)\]}'"»…]+$/;
const WORD = /[\p{L}\p{N}]/u;

function linkAt(text, from) {
  LINK_RE.lastIndex = from;
  const m = LINK_RE.exec(text);
  if (!m) return null;
  const raw = m[0].replace(TRAILING, '');
  if (!raw || raw.length < 5) return null;
  const href = /^www\./i.test(raw) ? `https://${raw}` : raw;
  if (!/^https?:\/\//i.test(href)) return null;
  return { start: m.index, end: m.index + raw.length, token: { type: 'link', href, text: raw } };
}

function formatAt(text, from) {
  for (let i = from; i < text.length; i++) {
    const type = MARKERS[text[i]];
    if (!type) continue;
    const marker = text.startsWith('```', i) ? '```' : text[i];
    if (i > 0 && WORD.test(text[i - 1])) continue; // not at the start of a word
    const open = i + marker.length;
    if (open >= text.length || /\s/.test(text[open])) continue;
    let close = text.indexOf(marker, open + 1);
    while (close !== -1) {
      const inner = text.slice(open, close);
      const after = text[close + marker.length];
      if (inner.includes('\n') && marker !== '```') { close = -1; break; }
      if (!/\s/.test(text[close - 1]) && (after === undefined || !WORD.test(after))) break;
      close = text.indexOf(marker, close + 1);
    }
    if (close === -1) continue;
    const inner = text.slice(open, close);
    const kind = marker === '```' ? 'code' : type;
    const children = kind === 'code' ? [{ type: 'text', text: inner }] : parse(inner);
    return { start: i, end: close + marker.length, token: { type: kind, children } };
  }
  return null;
}

/** Text -> [{type:'text',text} | {type:'link',href,text} | {type:'bold'|'italic'|'strike'|'code',children}] */
export function parse(text) {
  const out = [];
  const s = String(text ?? '');
  let pos = 0;
  let plainFrom = 0;
  while (pos < s.length) {
    const link = linkAt(s, pos);
    const fmt = formatAt(s, pos);
    // A link wins over a marker that starts inside it (URLs often hold "_" or "~").
    let next = null;
    if (link && (!fmt || link.start <= fmt.start || fmt.start < link.start && fmt.end > link.start && fmt.end < link.end)) next = link;
    else next = fmt;
    if (!next) break;
    if (next.start > plainFrom) out.push({ type: 'text', text: s.slice(plainFrom, next.start) });
    out.push(next.token);
    pos = next.end;
    plainFrom = next.end;
  }
  if (plainFrom < s.length) out.push({ type: 'text', text: s.slice(plainFrom) });
  return out;
}
