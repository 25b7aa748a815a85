// views/message-actions.js: quote and react on a WhatsApp message (issue 8): a small toolbar on
// each message that has a WhatsApp id, shown on hover and on keyboard focus (its buttons are
// ordinary buttons in the tab order). "Reply" quotes the message in the composer (sent as
// reply_to); "React" opens a row of emoji (Esc closes it); the agent's own reaction is shown on
// the message and can be taken back. The buttons' visible glyphs come from CSS (data-label), so
// the toolbar adds no text to the message (its text stays what the customer or agent wrote).

import { h } from '../dom.js';

export const REACTIONS = ['👍', '❤️', '😂', '😮', '🙏'];

/**
 * The toolbar for `m`, or null when it cannot be quoted or reacted to. ctx: {session, onQuote(m),
 * onReact(m, emoji), myReactions: Map(message id -> emoji)}.
 */
export function messageActions(m, ctx) {
  const s = ctx.session;
  if (!ctx.onQuote || !s || s.channel === 'webchat' || s.status !== 'active' || !m.channel_message_id) return null;
  if (s.agent_id !== ctx.meId) return null; // only the chat's agent writes to the customer
  if (m.type === 'reaction' || m.type === 'note' || m.type === 'system') return null;
  const mine = ctx.myReactions?.get(m.id) || '';
  const picker = h('div', { class: 'react-picker', role: 'group', 'aria-label': 'Pick a reaction', hidden: true },
    ...REACTIONS.map((e) => h('button', {
      type: 'button', class: 'react-choice', 'data-testid': 'react-choice', 'aria-label': `React ${e}`,
      'aria-pressed': e === mine ? 'true' : 'false',
      'data-label': e, onclick: () => { picker.hidden = true; ctx.onReact(m, e === mine ? '' : e); },
    })));
  picker.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    picker.hidden = true;
    reactBtn.focus();
  });
  const reactBtn = h('button', {
    type: 'button', class: 'btn btn-small', 'data-testid': 'react', 'aria-haspopup': 'true', 'aria-label': 'React to this message',
    onclick: () => {
      picker.hidden = !picker.hidden;
      if (!picker.hidden) picker.querySelector('button')?.focus();
    },
    'data-label': '☺',
  });
  const quoteBtn = h('button', {
    type: 'button', class: 'btn btn-small', 'data-testid': 'quote-reply', 'aria-label': 'Reply to this message',
    onclick: () => ctx.onQuote(m), 'data-label': 'Reply',
  });
  return h('div', { class: 'msg-actions', 'data-testid': 'msg-actions' }, quoteBtn, reactBtn, picker);
}
