// views/message.js: one message as a messenger bubble: customer on the left, agent and bot on
// the right, system events centred; time, delivery ticks, and each WhatsApp type shown for what
// it is. Every piece of message data goes through text nodes (dom.js), and every body or name
// is bidi-isolated.

import { h, bidi, icon } from '../dom.js';
import { store } from '../state.js';
import { fullDateTime, time, truncate } from '../format.js';

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

/** Changes whenever the rendering of m would change. */
export function messageSignature(m, ctx) {
  return JSON.stringify([m.delivery_status, m.error, m.content, m.type, m.metadata, ctx.meId,
    m.type === 'reaction' ? reactionTarget(m)?.id : null]);
}

export function renderMessage(m, ctx) {
  const side = sideOf(m);
  const el = h('div', {
    class: `msg msg--${side} msg--type-${safeClass(m.type)}`,
    'data-testid': 'message',
    dataset: { messageId: m.id, deliveryStatus: m.delivery_status, senderType: m.sender_type, type: m.type },
  });
  el._sig = messageSignature(m, ctx);

  if (side === 'system') {
    el.append(h('div', { class: 'system-note' },
      bidi('span', m.content || '', 'msg-text'),
      h('span', { class: 'msg-meta' }, timeEl(m), m.direction === 'out' ? ticks(m) : null)));
    if (m.delivery_status === 'failed') el.append(failure(m));
    return el;
  }

  const bubble = h('div', { class: 'bubble' });
  const label = senderLabel(m, ctx);
  if (label) bubble.append(label);
  bubble.append(body(m));
  bubble.append(h('span', { class: 'msg-meta' }, timeEl(m), side === 'out' ? ticks(m) : null));
  el.append(bubble);
  if (m.delivery_status === 'failed') el.append(failure(m));
  return el;
}

function safeClass(type) {
  return /^[a-z_]+$/.test(type || '') ? type : 'other';
}

function senderLabel(m, ctx) {
  if (m.sender_type === 'bot') return h('span', { class: 'msg-sender' }, 'Bot');
  if (m.sender_type !== 'agent') return null;
  if (String(m.sender_id) === String(ctx.meId)) return null;
  const agent = store.agents.get(Number(m.sender_id));
  const name = agent?.name || ctx.session?.agent_name || 'Agent';
  return bidi('span', name, 'msg-sender');
}

function timeEl(m) {
  return h('time', { datetime: m.created_at, title: fullDateTime(m.created_at) }, time(m.created_at));
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
  const err = m.error || {};
  const parts = [err.title || 'WhatsApp did not accept this message'];
  if (err.code !== undefined && err.code !== null && err.code !== '') parts.push(`(code ${err.code})`);
  return h('p', { class: 'msg-failure', role: 'note' }, icon('warning'), h('span', {}, 'Not delivered: ', bidi('span', parts.join(' '), 'failure-reason')));
}

function text(content) {
  return bidi('p', content, 'msg-text');
}

function meta(m) {
  return m.metadata && typeof m.metadata === 'object' ? m.metadata : {};
}

function body(m) {
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
      return reply(m);
    case 'unsupported':
      return unsupported(m);
    case 'system':
      return text(m.content);
    default:
      return h('div', {}, h('span', { class: 'msg-kind' }, `${m.type || 'Message'}`), m.content ? text(m.content) : null);
  }
}

function media(m) {
  const md = meta(m);
  let label = MEDIA_LABELS[m.type];
  if (m.type === 'audio' && md.voice) label = 'Voice message';
  if (m.type === 'sticker' && md.animated) label = 'Animated sticker';
  const details = md.mime_type || '';
  const caption = md.caption || m.content;
  return h('div', { class: 'media' },
    h('div', { class: 'media-card' },
      h('span', { class: 'media-icon' }, icon(m.type)),
      h('span', { class: 'media-info' },
        h('span', { class: 'msg-kind' }, label),
        md.filename ? bidi('span', md.filename, 'media-filename') : null,
        details ? h('span', { class: 'media-mime' }, details) : null)),
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

function reply(m) {
  const md = meta(m);
  const kinds = { button_reply: 'Button reply', list_reply: 'List reply', nfm_reply: 'Form reply' };
  const label = m.type === 'button' ? 'Button' : kinds[md.interactive_type] || 'Interactive';
  return h('div', { class: 'reply' },
    h('span', { class: 'msg-kind' }, label),
    text(m.content || md.title || md.text || ''),
    md.description ? bidi('span', md.description, 'media-mime') : null);
}

function unsupported(m) {
  const md = meta(m);
  const kind = md.unsupported_type || md.wa_type || 'unknown';
  return h('div', { class: 'unsupported' },
    icon('warning'),
    h('span', {}, 'Unsupported message: ', bidi('span', kind, 'unsupported-type')));
}
