// Unit tests of the dashboard's pure functions (node --test tests/dashboard/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../dashboard/markup.js';
import { explainFailure, windowState } from '../../dashboard/delivery.js';

test('markup: bold, italic, strike, code', () => {
  assert.deepEqual(parse('a *b* c'), [{ type: 'text', text: 'a ' }, { type: 'bold', children: [{ type: 'text', text: 'b' }] }, { type: 'text', text: ' c' }]);
  assert.deepEqual(parse('_it_'), [{ type: 'italic', children: [{ type: 'text', text: 'it' }] }]);
  assert.deepEqual(parse('~x y~.'), [{ type: 'strike', children: [{ type: 'text', text: 'x y' }] }, { type: 'text', text: '.' }]);
  assert.deepEqual(parse('*_both_*'), [{ type: 'bold', children: [{ type: 'italic', children: [{ type: 'text', text: 'both' }] }] }]);
  assert.deepEqual(parse('```a*b*```'), [{ type: 'code', children: [{ type: 'text', text: 'a*b*' }] }]);
});

test('markup: markers inside words, with spaces or across lines stay text', () => {
  for (const s of ['2*3*4', 'snake_case_name', '* not bold*', '*not bold *', '*a\nb*', 'a * b', '**']) {
    assert.deepEqual(parse(s), [{ type: 'text', text: s }], s);
  }
});

test('markup: links, with trailing punctuation left out and underscores kept', () => {
  assert.deepEqual(parse('see https://ex.com/a_b_c.'), [
    { type: 'text', text: 'see ' }, { type: 'link', href: 'https://ex.com/a_b_c', text: 'https://ex.com/a_b_c' }, { type: 'text', text: '.' }]);
  assert.deepEqual(parse('www.ex.com'), [{ type: 'link', href: 'https://www.ex.com', text: 'www.ex.com' }]);
  assert.deepEqual(parse('*https://ex.com*'), [{ type: 'bold', children: [{ type: 'link', href: 'https://ex.com', text: 'https://ex.com' }] }]);
  assert.deepEqual(parse('javascript:alert(1)'), [{ type: 'text', text: 'javascript:alert(1)' }]);
});

test('failure explanations per Meta error class', () => {
  assert.equal(explainFailure({ code: 131047, title: 'Re-engagement message' }).text,
    'The customer has not written for 24 hours; send a template.');
  assert.equal(explainFailure({ code: 131047, title: 'Re-engagement message' }).details, 'Re-engagement message · code 131047');
  for (const code of [130429, 131048, 131056]) assert.equal(explainFailure({ code }).kind, 'throttled');
  assert.match(explainFailure({ code: '131026' }).text, /not be on WhatsApp/);
  assert.equal(explainFailure({ code: 131051 }).kind, 'unsupported');
  assert.equal(explainFailure({ code: 1 }).text, 'Delivery failed.');
  assert.equal(explainFailure(null).text, 'Delivery failed.');
});

test('window: open by the clock, closed when the customer never wrote, elapsed, or refused with 131047', () => {
  const now = Date.parse('2026-01-02T12:00:00Z');
  const s = { last_customer_message_at: '2026-01-02T10:00:00.000Z' };
  assert.deepEqual(windowState(s, [], now).open, true);
  assert.equal(windowState({}, [], now).reason, 'never');
  assert.equal(windowState({ last_customer_message_at: '2026-01-01T10:00:00.000Z' }, [], now).reason, 'elapsed');
  assert.equal(windowState({ ...s, window_expires_at: '2026-01-02T11:00:00.000Z' }, [], now).open, false);
  const failed = { delivery_status: 'failed', error: { code: 131047 }, created_at: '2026-01-02T11:00:00.000Z' };
  assert.equal(windowState(s, [failed], now).reason, 'rejected');
  // A customer message after the failure opens it again.
  assert.equal(windowState({ last_customer_message_at: '2026-01-02T11:30:00.000Z' }, [failed], now).open, true);
  // ... also when only the message list knows of it yet.
  const wrote = { direction: 'in', type: 'text', created_at: '2026-01-02T11:40:00.000Z' };
  assert.equal(windowState(s, [failed, wrote], now).open, true);
  assert.equal(windowState({ ...s, window_expires_at: '2026-01-02T11:00:00.000Z' }, [wrote], now).open, true);
});
