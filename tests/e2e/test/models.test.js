// GET /v1/models and /v1/models/{id}, and model resolution in chat requests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { assertRequestId, assertSchema, expectError, parseSimAnswer, schemas, startGateway } from './helpers.js';

describe('models', () => {
  let gw;
  let client;
  before(async () => {
    schemas();
    gw = await startGateway();
    client = gw.client();
  });
  after(async () => {
    await gw?.stop();
  });

  test('GET /v1/models validates against ListModelsResponse and lists the Lingma models and aliases', async () => {
    const res = await gw.fetch('/v1/models');
    assert.equal(res.status, 200);
    assertRequestId(res);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const body = await res.json();
    assertSchema('ListModelsResponse', body);
    assert.equal(body.object, 'list');
    const ids = body.data.map((m) => m.id);
    for (const id of ['auto', 'dashscope_qwen3_coder', 'qwen3-coder']) assert.ok(ids.includes(id), `${id} in ${ids}`);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const m of body.data) {
      assertSchema('Model', m);
      assert.equal(m.object, 'model');
      assert.ok(m.owned_by.length > 0);
    }
  });

  test('SDK models.list() pages through the same ids', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    const raw = await (await gw.fetch('/v1/models')).json();
    assert.deepEqual(ids, raw.data.map((m) => m.id));
  });

  test('GET /v1/models/qwen3-coder validates against Model (SDK models.retrieve)', async () => {
    const res = await gw.fetch('/v1/models/qwen3-coder');
    assert.equal(res.status, 200);
    const body = await res.json();
    assertSchema('Model', body);
    assert.equal(body.id, 'qwen3-coder');
    const model = await client.models.retrieve('qwen3-coder');
    assert.equal(model.id, 'qwen3-coder');
    assert.equal(model.object, 'model');
  });

  test('every listed model can be retrieved by id', async () => {
    const { data } = await (await gw.fetch('/v1/models')).json();
    for (const m of data) {
      const res = await gw.fetch(`/v1/models/${encodeURIComponent(m.id)}`);
      assert.equal(res.status, 200, m.id);
      const one = await res.json();
      assertSchema('Model', one);
      assert.equal(one.id, m.id);
    }
  });

  test('unknown model id → 404 model_not_found (SDK NotFoundError)', async () => {
    await expectError(await gw.fetch('/v1/models/nope'), { status: 404, code: 'model_not_found' });
    await assert.rejects(client.models.retrieve('nope'), (err) => {
      assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}`);
      assert.equal(err.code, 'model_not_found');
      return true;
    });
  });

  test('chat with model "nope" → 404 model_not_found (SDK NotFoundError)', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }),
      (err) => {
        assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}`);
        assert.equal(err.status, 404);
        assert.equal(err.code, 'model_not_found');
        assert.equal(err.param, 'model');
        return true;
      },
    );
  });

  test('chat works with every listed model id and reaches the model it names', async () => {
    const { data } = await (await gw.fetch('/v1/models')).json();
    const upstreamKeys = new Set();
    for (const m of data) {
      const reply = await client.chat.completions.create({ model: m.id, messages: [{ role: 'user', content: `model ${m.id}` }] });
      assertSchema('CreateChatCompletionResponse', reply);
      assert.equal(reply.model, m.id);
      const sim = parseSimAnswer(reply.choices[0].message.content);
      upstreamKeys.add(sim.model);
      if (m.id === 'auto' || m.id.startsWith('dashscope_')) assert.equal(sim.model, m.id, 'a Lingma key maps to itself');
      if (m.upstream_key) assert.equal(sim.model, m.upstream_key, `${m.id} reaches its upstream_key`);
    }
    assert.ok(upstreamKeys.has('dashscope_qwen3_coder'));
  });

  test('the schema validator is not vacuous: it rejects bodies that break the spec', () => {
    const chunk = {
      id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'auto',
      choices: [{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: null }],
    };
    assertSchema('CreateChatCompletionStreamResponse', chunk); // nullable fields accept null
    const bad = (name, value) => assert.throws(() => assertSchema(name, value), /schema violation/);
    bad('CreateChatCompletionStreamResponse', { ...chunk, choices: [{ ...chunk.choices[0], finish_reason: 'done' }] });
    bad('CreateChatCompletionStreamResponse', { ...chunk, created: 'now' });
    bad('CreateChatCompletionResponse', { id: 'x', object: 'chat.completion', created: 1, model: 'auto' });
    bad('ErrorResponse', { error: { message: 'm', type: 't' } });
    bad('Model', { id: 'x', object: 'model', owned_by: 'o' });
    bad('ListModelsResponse', { object: 'list', data: [{ id: 'x' }] });
  });

  test('the chat model field omitted → the default model', async () => {
    const res = await gw.postChat({ messages: [{ role: 'user', content: 'default model' }] });
    assert.equal(res.status, 200);
    const data = await res.json();
    assert.equal(parseSimAnswer(data.choices[0].message.content).model, 'auto');
  });
});
