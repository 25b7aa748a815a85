// Unit tests of the store's merge rules (dashboard/state.js): REST loads and events go through
// the same upserts, and stale data never overwrites newer data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSession, mergeMessage, compareMessages, store } from '../../dashboard/state.js';
import { takenBy } from '../../dashboard/actions.js';

test('mergeSession: the life cycle never moves back', () => {
  const active = { id: 1, status: 'active', agent_id: 2, assigned_at: '2026-01-01T10:00:00.000Z' };
  assert.equal(mergeSession(active, { id: 1, status: 'waiting' }), active);
  assert.equal(mergeSession({ id: 1, status: 'ended' }, active).status, 'ended');
  assert.equal(mergeSession(undefined, active), active);
});

test('mergeSession: news (not a snapshot) may put an active chat back in a queue, never reopen one', () => {
  const active = { id: 1, status: 'active', agent_id: 2, assigned_at: '2026-01-01T10:00:00.000Z' };
  const requeued = { id: 1, status: 'waiting', agent_id: null, team_id: 4 };
  assert.equal(mergeSession(active, requeued, true).status, 'waiting');
  assert.equal(mergeSession(active, requeued, true).agent_id, null);
  assert.equal(mergeSession({ id: 1, status: 'ended' }, requeued, true).status, 'ended');
});

test('mergeSession: an older assignment does not replace a newer one', () => {
  const now = { id: 1, status: 'active', agent_id: 3, assigned_at: '2026-01-01T11:00:00.000Z' };
  const old = { id: 1, status: 'active', agent_id: 2, assigned_at: '2026-01-01T10:00:00.000Z' };
  assert.equal(mergeSession(now, old).agent_id, 3);
  assert.equal(mergeSession(old, now).agent_id, 3);
});

test('mergeSession: expiry, last customer message and window only move forward (session.updated)', () => {
  const a = { id: 1, status: 'active', expires_at: '2026-01-02T08:00:00.000Z', last_customer_message_at: '2026-01-01T10:00:00.000Z', window_expires_at: '2026-01-02T10:00:00.000Z' };
  const later = { ...a, expires_at: '2026-01-02T09:00:00.000Z', last_customer_message_at: '2026-01-01T11:00:00.000Z', window_expires_at: '2026-01-02T11:00:00.000Z' };
  assert.deepEqual(mergeSession(a, later), later);
  assert.deepEqual(mergeSession(later, a), later);
  assert.equal(mergeSession({ id: 1, status: 'waiting' }, { id: 1, status: 'waiting', window_expires_at: null }).window_expires_at, null);
});

test('store.extendSession: a session.extended moves the held session\'s timers forward only', () => {
  store.clear();
  const held = { id: 7, status: 'waiting', queue_position: 3, expires_at: '2026-01-02T08:00:00.000Z', last_customer_message_at: '2026-01-01T10:00:00.000Z', window_expires_at: '2026-01-02T10:00:00.000Z' };
  store.upsertSession(held);
  const moved = { session_id: 7, expires_at: '2026-01-02T09:00:00.000Z', last_customer_message_at: '2026-01-01T11:00:00.000Z', window_expires_at: '2026-01-02T11:00:00.000Z' };
  assert.equal(store.extendSession(moved), true);
  assert.deepEqual(store.session(7), { ...held, expires_at: moved.expires_at, last_customer_message_at: moved.last_customer_message_at, window_expires_at: moved.window_expires_at });
  // An older event after a newer one changes nothing; a session not held is not invented.
  assert.equal(store.extendSession({ ...moved, expires_at: held.expires_at, last_customer_message_at: held.last_customer_message_at, window_expires_at: held.window_expires_at }), false);
  assert.equal(store.session(7).expires_at, moved.expires_at);
  assert.equal(store.extendSession({ ...moved, session_id: 8 }), false);
  assert.equal(store.session(8), undefined);
  store.clear();
});

test('mergeMessage: delivery status only moves forward; failed is final', () => {
  const read = { id: 5, delivery_status: 'read' };
  assert.equal(mergeMessage(read, { id: 5, delivery_status: 'sent', channel_message_id: 'w' }).delivery_status, 'read');
  assert.equal(mergeMessage(read, { id: 5, delivery_status: 'sent', channel_message_id: 'w' }).channel_message_id, 'w');
  assert.equal(mergeMessage({ id: 5, delivery_status: 'queued' }, { id: 5, delivery_status: 'failed', error: { code: 1 } }).delivery_status, 'failed');
  assert.deepEqual(mergeMessage({ id: 5, delivery_status: 'failed', error: { code: 1 } }, { id: 5, delivery_status: 'delivered' }).error, { code: 1 });
  // The POST answer (queued, no wamid) arriving after the `sent` event keeps the wamid.
  const sent = { id: 6, delivery_status: 'sent', channel_message_id: 'wamid.X' };
  assert.equal(mergeMessage(sent, { id: 6, delivery_status: 'queued', channel_message_id: null }).channel_message_id, 'wamid.X');
});

test('compareMessages: customer messages by their own time (sent_at), then arrival', () => {
  const agent = { id: 2, direction: 'out', created_at: '2026-01-01T10:05:00.000Z' };
  const late = { id: 3, direction: 'in', sent_at: '2026-01-01T10:01:00.000Z', created_at: '2026-01-01T10:10:00.000Z' };
  const first = { id: 1, direction: 'in', sent_at: null, created_at: '2026-01-01T10:00:00.000Z' };
  assert.deepEqual([agent, late, first].sort(compareMessages).map((m) => m.id), [1, 3, 2]);
  const same = { id: 4, direction: 'in', sent_at: '2026-01-01T10:01:00.000Z', created_at: '2026-01-01T10:11:00.000Z' };
  assert.deepEqual([same, late].sort(compareMessages).map((m) => m.id), [3, 4]);
});

test('store: messagesOf is ordered by compareMessages and deduplicated', () => {
  store.clear();
  store.upsertMessages([
    { id: 2, session_id: 9, direction: 'out', created_at: '2026-01-01T10:05:00.000Z', delivery_status: 'sent' },
    { id: 3, session_id: 9, direction: 'in', sent_at: '2026-01-01T10:01:00.000Z', created_at: '2026-01-01T10:10:00.000Z' },
    { id: 2, session_id: 9, direction: 'out', created_at: '2026-01-01T10:05:00.000Z', delivery_status: 'queued' },
  ]);
  assert.deepEqual(store.messagesOf(9).map((m) => [m.id, m.delivery_status]), [[3, undefined], [2, 'sent']]);
});

test('store: read positions only move forward', () => {
  store.clear();
  store.setReadPositions({ 7: 10 });
  store.setReadPosition(7, 4);
  assert.equal(store.readPositions.get(7), 10);
  store.setReadPosition(7, 12);
  assert.equal(store.readPositions.get(7), 12);
});

test('takenBy: the 409 details name the winner, else the message text', () => {
  assert.equal(takenBy({ details: { agent_id: 2, agent_name: 'Bo Agent' }, message: 'session 1 was taken by someone' }), 'Bo Agent');
  assert.equal(takenBy({ message: 'session 1 was taken by Ana Agent' }), 'Ana Agent');
  assert.equal(takenBy({ message: 'conflict' }), null);
});
