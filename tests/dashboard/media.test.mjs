// The composer's WhatsApp helpers (dashboard/views/composer-media.js) without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillTemplate, uploadErrorText, isWhatsApp } from '../../dashboard/views/composer-media.js';

test('a template body is filled with its parameters; missing ones stay visible', () => {
  assert.equal(fillTemplate('Hi {{1}}, order {{2}} is ready. {{1}}!', ['Theo', 'A-42']), 'Hi Theo, order A-42 is ready. Theo!');
  assert.equal(fillTemplate('Hi {{1}}, order {{2}}', ['Theo', '']), 'Hi Theo, order {{2}}');
});

test('upload failures are told in plain words', () => {
  const file = { name: 'big.png' };
  assert.match(uploadErrorText({ status: 413, message: 'image files may be at most 5 MB on WhatsApp' }, file), /big\.png is too large.*5 MB/);
  assert.match(uploadErrorText({ status: 415, message: 'x' }, file), /does not accept this kind of file \(big\.png\)/);
  assert.match(uploadErrorText({ status: 409, code: 'window_closed' }, file), /send a template/);
  assert.match(uploadErrorText({ status: 0, message: 'Cannot reach handoffd.' }, file), /big\.png was not sent: Cannot reach/);
});

test('web chat sessions have no WhatsApp window', () => {
  assert.equal(isWhatsApp({ channel: 'whatsapp' }), true);
  assert.equal(isWhatsApp({ channel: 'webchat' }), false);
  assert.equal(isWhatsApp(null), false);
});
