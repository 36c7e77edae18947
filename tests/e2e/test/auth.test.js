// Inbound API keys: a gateway started with --api-keys k1,k2.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { assertSchema, expectError, parseSimAnswer, schemas, startGateway } from './helpers.js';

const USER = [{ role: 'user', content: 'authenticated hello' }];

describe('API keys', () => {
  let gw;
  before(async () => {
    schemas();
    gw = await startGateway({ apiKeys: ['k1', 'k2'] });
  });
  after(async () => {
    await gw?.stop();
  });

  test('no key → 401 invalid_api_key (SDK AuthenticationError)', async () => {
    await expectError(await gw.postChat({ model: 'auto', messages: USER }), { status: 401, code: 'invalid_api_key' });
    await expectError(await gw.fetch('/v1/models'), { status: 401, code: 'invalid_api_key' });
    const client = gw.client({ defaultHeaders: { Authorization: null } }); // the SDK then sends no key
    await assert.rejects(client.models.list(), (err) => {
      assert.ok(err instanceof OpenAI.AuthenticationError, `got ${err?.constructor?.name}`);
      assert.equal(err.status, 401);
      assert.equal(err.code, 'invalid_api_key');
      return true;
    });
  });

  test('wrong key → 401, as Bearer and as x-api-key, stream or not', async () => {
    const client = gw.client({ apiKey: 'k3' });
    await assert.rejects(client.chat.completions.create({ model: 'auto', messages: USER }), OpenAI.AuthenticationError);
    await assert.rejects(client.chat.completions.create({ model: 'auto', stream: true, messages: USER }), OpenAI.AuthenticationError);
    for (const headers of [{ authorization: 'Bearer k3' }, { authorization: 'Bearer k' }, { authorization: 'Bearer k1x' }, { 'x-api-key': 'K1' }, { authorization: 'k1' }]) {
      await expectError(await gw.postChat({ model: 'auto', messages: USER }, headers), { status: 401, code: 'invalid_api_key' });
    }
  });

  test('the key is checked before the body: an unauthenticated malformed request is 401, not 400', async () => {
    await expectError(await gw.postChat('{not json'), { status: 401, code: 'invalid_api_key' });
  });

  test('Authorization: Bearer k2 is accepted (SDK, stream and non-stream)', async () => {
    const client = gw.client({ apiKey: 'k2' });
    const data = await client.chat.completions.create({ model: 'auto', messages: USER });
    assertSchema('CreateChatCompletionResponse', data);
    assert.equal(parseSimAnswer(data.choices[0].message.content).echo, USER[0].content);
    const stream = await client.chat.completions.create({ model: 'auto', stream: true, messages: USER });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(parseSimAnswer(text).echo, USER[0].content);
    const models = await client.models.list();
    assert.ok(models.data.length > 0);
  });

  test('x-api-key: k1 is accepted (raw fetch)', async () => {
    const res = await gw.postChat({ model: 'auto', messages: USER }, { 'x-api-key': 'k1' });
    assert.equal(res.status, 200);
    const data = await res.json();
    assertSchema('CreateChatCompletionResponse', data);
    const models = await gw.fetch('/v1/models', { headers: { 'x-api-key': 'k1' } });
    assert.equal(models.status, 200);
    assertSchema('ListModelsResponse', await models.json());
  });

  test('the Bearer scheme name is case-insensitive', async () => {
    const res = await gw.fetch('/v1/models', { headers: { authorization: 'bearer k1' } });
    assert.equal(res.status, 200);
  });

  test('/health and /ready need no key', async () => {
    const health = await gw.fetch('/health');
    assert.equal(health.status, 200);
    assert.ok(health.headers.get('x-request-id'));
    const ready = await gw.fetch('/ready');
    assert.equal(ready.status, 200);
    assert.equal((await ready.json()).status, 'ready');
  });

  test('a 401 does not reveal the configured keys', async () => {
    const res = await gw.postChat({ model: 'auto', messages: USER }, { authorization: 'Bearer wrong' });
    const text = await res.text();
    assert.equal(res.status, 401);
    assert.ok(!/\bk1\b|\bk2\b/.test(text.replace(/<key>/g, '')), `keys leaked: ${text}`);
  });
});
