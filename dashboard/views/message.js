// views/message.js: one message as a messenger bubble: customer on the left, agent and bot on
// the right, system events centred; time, delivery ticks, and each WhatsApp type shown for what
// it is. Every piece of message data goes through text nodes (dom.js), and every body or name
// is bidi-isolated.

import { h, bidi, icon } from '../dom.js';
import { store, messageTime } from '../state.js';
import { fullDateTime, time, truncate } from '../format.js';
import { parse } from '../markup.js';
import { explainFailure } from '../delivery.js';
import { messageActions } from './message-actions.js';

const MEDIA_LABELS = {
  image: 'Photo',
  video: 'Video',
  audio: 'Audio',
  document: 'Document',
  sticker: 'Sticker',
};

const DELIVERY = {
  queued: { label: 'Queued', text: null, icon: 'clock' },
  sent: { label: 'Sent', text: '✓' },
  delivered: { label: 'Delivered', text: '✓✓' },
  read: { label: 'Read', text: '✓✓' },
  failed: { label: 'Not delivered', text: '!' },
};

/** Which side a message sits on. */
export function sideOf(m) {
  if (m.sender_type === 'system' || m.direction === 'internal') return 'system';
  if (m.sender_type === 'customer' || m.direction === 'in') return 'in';
  return 'out';
}

/**
 * What the chat knows around its messages, for quotes, reactions and button titles:
 * {byWamid: Map(channel_message_id -> MESSAGE), reactions: Map(wamid -> emoji),
 *  hidden: Set(message id) (reactions shown on their message), buttonTitles: Map(id -> title)}.
 */
export function messageContext(list) {
  const byWamid = new Map();
  const buttonTitles = new Map();
  for (const m of list) {
    if (m.channel_message_id) byWamid.set(m.channel_message_id, m);
    const buttons = m.sender_type === 'bot' ? meta(m).buttons : null;
    if (Array.isArray(buttons)) for (const b of buttons) if (b?.id && b?.title) buttonTitles.set(b.id, b.title);
  }
  const reactions = new Map();
  const hidden = new Set();
  const byId = new Map(list.map((m) => [m.id, m]));
  const myReactions = new Map(); // message id -> the agents' reaction (outbound, by message id)
  for (const m of list) {
    if (m.type !== 'reaction') continue;
    if (m.direction === 'out' && typeof meta(m).message_id === 'number') {
      if (!byId.has(meta(m).message_id)) continue;
      hidden.add(m.id);
      if (meta(m).emoji) myReactions.set(meta(m).message_id, meta(m).emoji);
      else myReactions.delete(meta(m).message_id);
      continue;
    }
    const target = meta(m).message_id;
    if (!target || !byWamid.has(target)) continue;
    hidden.add(m.id);
    const emoji = meta(m).removed ? '' : meta(m).emoji || m.content || '';
    if (emoji) reactions.set(target, emoji);
    else reactions.delete(target);
  }
  return { byWamid, byId, reactions, myReactions, hidden, buttonTitles };
}

function quoted(m, ctx) {
  const replyTo = meta(m).reply_to; // an agent's quoted reply: a message id
  if (typeof replyTo === 'number') return ctx.byId?.get(replyTo) || { missing: true };
  const id = meta(m).context?.id;
  return id ? ctx.byWamid?.get(id) || { missing: true } : null;
}

/** Changes whenever the rendering of m would change. */
export function messageSignature(m, ctx) {
  const q = quoted(m, ctx);
  return JSON.stringify([m.delivery_status, m.error, m.content, m.type, m.metadata, m.sent_at, ctx.meId,
    m.sender_type === 'agent' ? authorName(m) : null,
    m.type === 'reaction' ? reactionTarget(m)?.id : null,
    m.channel_message_id ? ctx.reactions?.get(m.channel_message_id) : null,
    q ? [q.id, q.content, q.type] : null, ctx.myReactions?.get(m.id), ctx.session?.status,
    meta(m).id ? ctx.buttonTitles?.get(meta(m).id) : null]);
}

export function renderMessage(m, ctx) {
  const side = sideOf(m);
  const el = h('div', {
    class: `msg msg--${side} msg--type-${safeClass(m.type)}`,
    'data-testid': 'message',
    dataset: { messageId: m.id, deliveryStatus: m.delivery_status, senderType: m.sender_type, type: m.type },
  });
  el._sig = messageSignature(m, ctx);

  if (m.type === 'note') {
    // An internal note: only agents see it; it never reaches the customer.
    el.classList.add('msg--note');
    el.append(h('div', { class: 'note-bubble', 'data-testid': 'note' },
      h('span', { class: 'note-head' }, h('span', { class: 'note-label' }, 'Internal note'), ' · ',
        bidi('span', meta(m).author_name || authorName(m), 'msg-sender')),
      text(m.content),
      h('span', { class: 'msg-meta' }, timeEl(m))));
    return el;
  }

  if (side === 'system') {
    el.append(h('div', { class: 'system-note' },
      h('span', { class: 'visually-hidden' }, 'System: '),
      bidi('span', m.content || '', 'msg-text'),
      h('span', { class: 'msg-meta' }, timeEl(m), m.direction === 'out' ? ticks(m) : null)));
    if (m.delivery_status === 'failed') el.append(failure(m));
    return el;
  }

  const bubble = h('div', { class: 'bubble' });
  bubble.append(...[speaker(m, ctx, el)].flat());
  const q = quoted(m, ctx);
  if (q) bubble.append(quote(q, ctx));
  bubble.append(body(m, ctx));
  bubble.append(h('span', { class: 'msg-meta' }, timeEl(m), side === 'out' ? ticks(m) : null));
  el.append(bubble);
  const reacted = m.channel_message_id ? ctx.reactions?.get(m.channel_message_id) : null;
  if (reacted) {
    el.classList.add('has-reaction');
    el.append(h('span', { class: 'msg-reaction', 'data-testid': 'reaction', role: 'img', 'aria-label': `Customer reacted ${reacted}` }, reacted));
  }
  const mine = ctx.myReactions?.get(m.id);
  if (mine) {
    el.classList.add('has-reaction');
    el.append(h('span', { class: 'msg-reaction msg-reaction--mine', 'data-testid': 'my-reaction', role: 'img', 'aria-label': `You reacted ${mine}` }, mine));
  }
  const actions = messageActions(m, ctx);
  if (actions) el.append(actions);
  if (m.delivery_status === 'failed') el.append(failure(m));
  return el;
}

/** The author's name of an agent message: from the agents list by sender_id, never guessed. */
export function authorName(m) {
  const agent = store.agents.get(Number(m.sender_id));
  if (agent?.name) return agent.name;
  if (String(m.sender_id) === String(store.me?.id)) return store.me.name;
  return m.sender_id != null && m.sender_id !== '' ? `Agent #${m.sender_id}` : 'Agent';
}

/** Who speaks: a visible name where it helps, and for screen readers always (customer, agent, bot). */
function speaker(m, ctx, el) {
  if (m.sender_type === 'bot') {
    return [h('span', { class: 'visually-hidden' }, 'Automated '), h('span', { class: 'msg-sender' }, 'Bot'), h('span', { class: 'visually-hidden' }, ': ')];
  }
  if (m.sender_type !== 'agent') return h('span', { class: 'visually-hidden' }, 'Customer: ');
  const name = authorName(m);
  el.dataset.author = name;
  if (String(m.sender_id) === String(ctx.meId)) return h('span', { class: 'visually-hidden' }, 'Agent (you): ');
  return [h('span', { class: 'visually-hidden' }, 'Agent '), bidi('span', name, 'msg-sender', { 'data-testid': 'msg-author' }), h('span', { class: 'visually-hidden' }, ': ')];
}

function quote(q, ctx) {
  if (q.missing) return h('blockquote', { class: 'quote', 'data-testid': 'quote' }, h('span', { class: 'muted' }, 'Reply to an earlier message'));
  const who = q.sender_type === 'customer' ? 'Customer' : q.sender_type === 'agent'
    ? (String(q.sender_id) === String(ctx.meId) ? 'You' : authorName(q)) : q.sender_type === 'bot' ? 'Bot' : '';
  return h('blockquote', { class: 'quote', 'data-testid': 'quote', dataset: { quotedId: q.id } },
    h('span', { class: 'quote-author' }, h('span', { class: 'visually-hidden' }, 'Replying to '), who),
    bidi('span', truncate(q.content || `[${q.type}]`, 140), 'quote-text'));
}

function safeClass(type) {
  return /^[a-z_]+$/.test(type || '') ? type : 'other';
}

function timeEl(m) {
  const at = messageTime(m);
  const title = at !== m.created_at && m.created_at
    ? `Sent ${fullDateTime(at)} · received ${fullDateTime(m.created_at)}` : fullDateTime(at);
  return h('time', { datetime: at, title }, time(at));
}

function ticks(m) {
  const d = DELIVERY[m.delivery_status];
  if (!d) return null;
  const el = h('span', {
    class: `ticks ticks--${m.delivery_status}`,
    role: 'img',
    'aria-label': d.label,
    title: d.label,
  });
  if (d.icon) el.append(icon(d.icon, 'tick-icon'));
  else el.append(d.text);
  return el;
}

function failure(m) {
  const { kind, text: explanation, details } = explainFailure(m.error);
  return h('p', { class: 'msg-failure', role: 'note', dataset: { failure: kind } }, icon('warning'),
    h('span', {},
      h('span', { class: 'failure-text', 'data-testid': 'failure-text' }, `Not delivered: ${explanation}`),
      details ? h('small', { class: 'failure-reason' }, ' WhatsApp: ', bidi('span', details)) : null));
}

/** WhatsApp-formatted text (markup.js), built node by node. */
function rich(tokens) {
  return tokens.map((t) => {
    switch (t.type) {
      case 'bold': return h('strong', {}, rich(t.children));
      case 'italic': return h('em', {}, rich(t.children));
      case 'strike': return h('s', {}, rich(t.children));
      case 'code': return h('code', {}, rich(t.children));
      case 'link': return h('a', { href: t.href, target: '_blank', rel: 'noopener noreferrer nofollow' }, t.text);
      default: return t.text;
    }
  });
}

function text(content) {
  return bidi('p', rich(parse(content ?? '')), 'msg-text');
}

function meta(m) {
  return m.metadata && typeof m.metadata === 'object' ? m.metadata : {};
}

function body(m, ctx = {}) {
  switch (m.type) {
    case 'text':
      return text(m.content);
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return media(m);
    case 'location':
      return location(m);
    case 'contacts':
      return contacts(m);
    case 'reaction':
      return reaction(m);
    case 'interactive':
    case 'button':
      return m.sender_type === 'bot' || m.direction === 'out' ? menu(m) : reply(m, ctx);
    case 'unsupported':
      return unsupported(m);
    case 'system':
      return text(m.content);
    default:
      return h('div', {}, h('span', { class: 'msg-kind' }, `${m.type || 'Message'}`), m.content ? text(m.content) : null);
  }
}

/** "1.2 MB" for a byte count (decimal units, as WhatsApp shows them). */
export function formatSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
}

/** Only our own media route is ever used as a source (never a URL from a message). */
function mediaUrl(m, md) {
  return md.media_status === 'ready' && md.media_url === `/api/media/${m.id}` ? md.media_url : null;
}

/** The file itself once downloaded: inline image (click to enlarge), player, or a download. */
function mediaView(m, md, url, label) {
  if (m.type === 'image' || m.type === 'sticker') {
    return h('a', { href: url, target: '_blank', rel: 'noopener', class: 'media-open', title: 'Open full size' },
      h('img', { src: url, alt: md.caption || label, loading: 'lazy', class: `media-image media-image--${m.type}`, 'data-testid': 'media-image' }));
  }
  if (m.type === 'audio') return h('audio', { src: url, controls: true, preload: 'metadata', class: 'media-audio', 'data-testid': 'media-audio' });
  if (m.type === 'video') return h('video', { src: url, controls: true, preload: 'metadata', class: 'media-video', 'data-testid': 'media-video' });
  return null;
}

function media(m) {
  const md = meta(m);
  let label = MEDIA_LABELS[m.type];
  if (m.type === 'audio' && md.voice) label = 'Voice message';
  if (m.type === 'sticker' && md.animated) label = 'Animated sticker';
  const details = [md.mime_type || '', md.size_bytes != null ? formatSize(md.size_bytes) : ''].filter(Boolean).join(' · ');
  const caption = md.caption || m.content;
  const url = mediaUrl(m, md);
  const state = md.media_status === 'pending' ? h('span', { class: 'media-state', 'data-testid': 'media-pending' }, 'Downloading…')
    : md.media_status === 'failed' ? h('span', { class: 'media-state media-state--failed', 'data-testid': 'media-failed' }, `Download failed${md.error ? `: ${md.error}` : ''}`)
      : null;
  const card = h('div', { class: 'media-card' },
    h('span', { class: 'media-icon' }, icon(m.type)),
    h('span', { class: 'media-info' },
      h('span', { class: 'msg-kind' }, label),
      md.filename ? bidi('span', md.filename, 'media-filename') : null,
      details ? h('span', { class: 'media-mime' }, details) : null,
      state));
  const view = url ? mediaView(m, md, url, label) : null;
  const download = url && !view ? h('a', { href: url, download: md.filename || '', class: 'media-download', 'data-testid': 'media-download' }, card) : null;
  return h('div', { class: 'media', dataset: { mediaStatus: md.media_status || '' } },
    view, download || card,
    caption ? text(caption) : null);
}

/** A finite number within [min, max], else null. */
function coordinate(value, min, max) {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= min && n <= max ? n : null;
}

export function mapUrl(lat, lon) {
  return `https://www.openstreetmap.org/?mlat=${encodeURIComponent(String(lat))}&mlon=${encodeURIComponent(String(lon))}`;
}

function location(m) {
  const md = meta(m);
  const lat = coordinate(md.latitude, -90, 90);
  const lon = coordinate(md.longitude, -180, 180);
  const name = md.name || (m.content && m.content !== 'Location' ? m.content : '');
  return h('div', { class: 'location' },
    h('span', { class: 'media-icon' }, icon('location')),
    h('span', { class: 'media-info' },
      h('span', { class: 'msg-kind' }, 'Location'),
      name ? bidi('span', name, 'location-name') : null,
      md.address && md.address !== name ? bidi('span', md.address, 'location-address') : null,
      lat !== null && lon !== null
        ? h('a', { class: 'map-link', href: mapUrl(lat, lon), target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'map-link' },
          `Open map (${lat.toFixed(5)}, ${lon.toFixed(5)})`)
        : h('span', { class: 'media-mime' }, 'No coordinates')));
}

function contacts(m) {
  const cards = Array.isArray(meta(m).contacts) ? meta(m).contacts : [];
  if (!cards.length) return h('div', {}, h('span', { class: 'msg-kind' }, 'Contact'), text(m.content));
  return h('div', { class: 'contacts' },
    h('span', { class: 'msg-kind' }, cards.length === 1 ? 'Contact' : `${cards.length} contacts`),
    h('ul', { class: 'contact-list' }, cards.map((card) => {
      const n = card?.name || {};
      const name = n.formatted_name || [n.first_name, n.last_name].filter(Boolean).join(' ') || 'Unnamed contact';
      const phones = Array.isArray(card?.phones) ? card.phones : [];
      const emails = Array.isArray(card?.emails) ? card.emails : [];
      const org = card?.org?.company;
      return h('li', { class: 'contact-card' },
        h('span', { class: 'media-icon' }, icon('contact')),
        h('span', { class: 'media-info' },
          bidi('span', name, 'contact-name'),
          org ? bidi('span', org, 'media-mime') : null,
          phones.map((p) => bidi('span', [p?.phone || p?.wa_id, p?.type ? `(${p.type})` : ''].filter(Boolean).join(' '), 'contact-detail')),
          emails.map((e) => bidi('span', e?.email || '', 'contact-detail'))));
    })));
}

function reactionTarget(m) {
  const target = meta(m).message_id;
  if (!target) return null;
  return store.messagesOf(m.session_id).find((x) => x.channel_message_id === target) || null;
}

function reaction(m) {
  const md = meta(m);
  const target = reactionTarget(m);
  const what = target ? h('span', { class: 'reaction-target' }, ' to ', bidi('q', truncate(target.content || `[${target.type}]`, 60))) : ' to a message';
  if (md.removed || !(md.emoji || m.content)) {
    return h('p', { class: 'reaction' }, h('span', { class: 'msg-kind' }, 'Removed a reaction'), what);
  }
  return h('p', { class: 'reaction' },
    h('span', { class: 'reaction-emoji', role: 'img', 'aria-label': `Reaction ${md.emoji || m.content}` }, md.emoji || m.content),
    h('span', { class: 'msg-kind' }, ' Reacted'), what);
}

/** What the bot showed: its text and the buttons the customer could tap. */
function menu(m) {
  const buttons = Array.isArray(meta(m).buttons) ? meta(m).buttons : [];
  return h('div', { class: 'bot-menu' },
    m.content ? text(m.content) : null,
    buttons.length ? h('ul', { class: 'menu-buttons', 'aria-label': 'Buttons offered', 'data-testid': 'menu-buttons' },
      buttons.map((b) => h('li', { class: 'menu-button' }, bidi('span', b?.title || b?.id || '')))) : null);
}

/** What the customer tapped (a reply button, a list row, a template button) or sent from a form. */
function reply(m, ctx) {
  const md = meta(m);
  if (md.interactive_type === 'nfm_reply') {
    return h('div', { class: 'reply' }, h('span', { class: 'msg-kind' }, 'Sent a form'), md.body ? text(md.body) : null);
  }
  const id = md.id || md.payload;
  let title = md.title || m.content || md.text || '';
  if ((!title || title === id) && id && ctx.buttonTitles?.has(id)) title = ctx.buttonTitles.get(id);
  return h('div', { class: 'reply' },
    h('span', { class: 'msg-kind' }, md.interactive_type === 'list_reply' ? 'Chose' : 'Tapped'),
    h('span', { class: 'tapped-button', 'data-testid': 'tapped-button' }, bidi('span', title || 'a button')),
    md.description ? bidi('span', md.description, 'media-mime') : null);
}

function unsupported(m) {
  const md = meta(m);
  const kind = md.unsupported_type || md.wa_type || 'unknown';
  return h('div', { class: 'unsupported' },
    icon('warning'),
    h('span', {}, 'Unsupported message: ', bidi('span', kind, 'unsupported-type')));
}
