// Non-stream chat completions through the official SDK: shape, model resolution, prompt
// building, reasoning and text round trips.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertRequestId, assertSchema, checkChatStream, checkUsage, parseSimAnswer, parseSse, schemas, startGateway,
} from './helpers.js';

const THINK_REPLY = '\n````think::{THINK_TIME}\nreasoning here\n````\nanswer';
const CODE_REPLY = 'Here you go:\n```js\nconsole.log("hi");\n```\nDone.';
const SPECIAL_REPLY = 'quote " backslash \\ tab \t newline \n cr \r ctrl \u0001 sep \u2028 </script> 中文 🙂 end';
const CJK_PROMPT = '你好，世界 😀 ünïcödé';

const SCRIPT = [
  { match: 'REASONING-PROBE', reply: THINK_REPLY },
  { match: 'CODE-PROBE', reply: CODE_REPLY },
  { match: 'SPECIAL-PROBE', reply: SPECIAL_REPLY },
  { regex: 'SYS-MARK[\\s\\S]*USER-ONE[\\s\\S]*ASSIST-ONE[\\s\\S]*USER-TWO', reply: 'transcript in order' },
];

function assertNoThinkMarkup(content) {
  assert.doesNotMatch(content, /````|think::|\{THINK_TIME\}|reasoning here/, `think markup leaked into content: ${JSON.stringify(content)}`);
}

describe('chat completions (non-stream)', () => {
  let gw;
  let client;
  before(async () => {
    schemas(); // fails the file with a clear message when the spec is missing
    gw = await startGateway({ script: SCRIPT });
    client = gw.client();
  });
  after(async () => {
    const exit = await gw?.stop();
    assert.equal(exit?.code, 0, `gateway exit after SIGTERM: ${JSON.stringify(exit)}`);
  });

  test('a lone user message is answered, response validates against CreateChatCompletionResponse', async () => {
    const prompt = 'Say hello to the e2e suite';
    const { data, response } = await client.chat.completions
      .create({ model: 'qwen3-coder', messages: [{ role: 'user', content: prompt }] })
      .withResponse();
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^application\/json/);
    assertRequestId(response);
    assertSchema('CreateChatCompletionResponse', data);
    assert.equal(data.object, 'chat.completion');
    assert.match(data.id, /^chatcmpl-/);
    assert.equal(data.model, 'qwen3-coder', 'the response names the model the client asked for');
    assert.ok(Math.abs(data.created - Date.now() / 1000) < 300, 'created is the current Unix time');
    assert.equal(data.choices.length, 1);
    const [choice] = data.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(choice.message.role, 'assistant');
    const sim = parseSimAnswer(choice.message.content);
    assert.equal(sim.model, 'dashscope_qwen3_coder', 'the alias is resolved to the Lingma model key');
    assert.equal(sim.echo, prompt, 'a lone user message reaches Lingma as is');
    checkUsage(data.usage);
    assert.ok(data.usage.completion_tokens > 0);
  });

  test('every request gets its own X-Request-Id and completion id', async () => {
    const ids = new Set();
    const reqIds = new Set();
    for (let i = 0; i < 3; i++) {
      const { data, response } = await client.chat.completions
        .create({ model: 'auto', messages: [{ role: 'user', content: `id probe ${i}` }] })
        .withResponse();
      ids.add(data.id);
      reqIds.add(assertRequestId(response));
    }
    assert.equal(ids.size, 3);
    assert.equal(reqIds.size, 3);
  });

  test('model omitted → the default model (auto)', async () => {
    const res = await gw.postChat({ messages: [{ role: 'user', content: 'no model given' }] });
    assert.equal(res.status, 200);
    const data = await res.json();
    assertSchema('CreateChatCompletionResponse', data);
    assert.equal(data.model, 'auto');
    assert.equal(parseSimAnswer(data.choices[0].message.content).model, 'auto');
  });

  test('a Lingma model key is accepted as a model id', async () => {
    const data = await client.chat.completions.create({
      model: 'dashscope_qwen3_coder',
      messages: [{ role: 'user', content: 'upstream key' }],
    });
    assertSchema('CreateChatCompletionResponse', data);
    assert.equal(data.model, 'dashscope_qwen3_coder');
    assert.equal(parseSimAnswer(data.choices[0].message.content).model, 'dashscope_qwen3_coder');
  });

  test('a conversation is sent as a transcript holding every message in order', async () => {
    const data = await client.chat.completions.create({
      model: 'auto',
      messages: [
        { role: 'system', content: 'SYS-MARK be terse' },
        { role: 'user', content: 'USER-ONE first question' },
        { role: 'assistant', content: 'ASSIST-ONE first answer' },
        { role: 'user', content: [{ type: 'text', text: 'USER-TWO second question' }] },
      ],
    });
    assertSchema('CreateChatCompletionResponse', data);
    assert.equal(data.choices[0].message.content, 'transcript in order');
  });

  test('common parameters a text backend cannot honour are accepted, not rejected', async () => {
    const data = await client.chat.completions.create({
      model: 'auto',
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'user', content: 'tolerant', name: 'alice' },
      ],
      temperature: 0.2, top_p: 0.9, max_tokens: 100, max_completion_tokens: 100, stop: ['\n\n'],
      presence_penalty: 0, frequency_penalty: 0, seed: 1, user: 'u-1', store: false,
      metadata: { suite: 'e2e' }, tool_choice: 'none', parallel_tool_calls: false, reasoning_effort: 'low',
      response_format: { type: 'text' }, n: 1, logprobs: false,
      some_future_field: { nested: true },
    });
    assertSchema('CreateChatCompletionResponse', data);
    assert.equal(data.choices[0].finish_reason, 'stop');
  });

  test('an inline think block becomes message.reasoning_content, never content', async () => {
    const data = await client.chat.completions.create({
      model: 'qwen3-thinking',
      messages: [{ role: 'user', content: 'REASONING-PROBE' }],
    });
    assertSchema('CreateChatCompletionResponse', data);
    const { message } = data.choices[0];
    assert.equal(message.reasoning_content, 'reasoning here');
    assert.equal(message.content.trim(), 'answer');
    assertNoThinkMarkup(message.content);
    assert.ok(data.usage.completion_tokens_details?.reasoning_tokens > 0, 'reasoning tokens are counted');
  });

  test('the sim think knob (reasoning pushed ahead of the answer) becomes reasoning_content', async () => {
    await gw.withControl({ think: true }, async () => {
      const prompt = 'think knob non-stream';
      const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: prompt }] });
      assertSchema('CreateChatCompletionResponse', data);
      const { message } = data.choices[0];
      assert.ok(message.reasoning_content?.length > 0, 'reasoning_content is present');
      assertNoThinkMarkup(message.content);
      assert.equal(parseSimAnswer(message.content).echo, prompt);

      const res = await gw.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: prompt }] });
      const streamed = checkChatStream(parseSse(await res.text()));
      assert.equal(streamed.reasoning, message.reasoning_content);
      assert.equal(streamed.reasoningAfterContent, false, 'reasoning is streamed before content');
      assertNoThinkMarkup(streamed.content);
    });
  });

  test('without reasoning there is no reasoning_content', async () => {
    const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'plain' }] });
    assert.ok(data.choices[0].message.reasoning_content == null);
  });

  test('fenced code that is not a think block stays in content byte for byte', async () => {
    const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'CODE-PROBE' }] });
    assert.equal(data.choices[0].message.content, CODE_REPLY);
    assert.ok(data.choices[0].message.reasoning_content == null);
  });

  test('quotes, backslashes, control characters and U+2028 survive JSON encoding', async () => {
    const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'SPECIAL-PROBE' }] });
    assert.equal(data.choices[0].message.content, SPECIAL_REPLY);
    const stream = await client.chat.completions.create({
      model: 'auto', stream: true, messages: [{ role: 'user', content: 'SPECIAL-PROBE' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, SPECIAL_REPLY);
  });

  test('CJK and emoji round trip (non-stream and stream)', async () => {
    const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: CJK_PROMPT }] });
    assertSchema('CreateChatCompletionResponse', data);
    assert.equal(parseSimAnswer(data.choices[0].message.content).echo, CJK_PROMPT);

    const res = await gw.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: CJK_PROMPT }] });
    const streamed = checkChatStream(parseSse(await res.text()));
    assert.equal(parseSimAnswer(streamed.content).echo, CJK_PROMPT);
    assert.ok(!streamed.content.includes('\uFFFD'), 'no replacement characters');
  });

  test('a sim-filtered answer (isFiltered) ends with finish_reason content_filter', async () => {
    await gw.withControl({ filtered: true }, async () => {
      const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'filtered' }] });
      assertSchema('CreateChatCompletionResponse', data);
      assert.equal(data.choices[0].finish_reason, 'content_filter');
    });
  });

  test('empty deltas between the real ones change nothing', async () => {
    await gw.withControl({ empty_deltas: true, deltas: 6 }, async () => {
      const prompt = 'empty deltas';
      const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: prompt }] });
      assert.equal(parseSimAnswer(data.choices[0].message.content).echo, prompt);
      const res = await gw.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: prompt }] });
      const streamed = checkChatStream(parseSse(await res.text()));
      assert.equal(parseSimAnswer(streamed.content).echo, prompt);
      for (const c of streamed.chunks.slice(1)) {
        if (c.choices[0]?.finish_reason == null) assert.ok(c.choices[0].delta.content?.length > 0, 'no empty content chunks');
      }
    });
  });

  test('an overwrite from Lingma yields the corrected text in a non-stream answer', async () => {
    await gw.withControl({ overwrite: true }, async () => {
      const prompt = 'overwrite check';
      const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: prompt }] });
      const { content } = data.choices[0].message;
      assert.ok(!content.includes('SIM-WRONG-PARTIAL'), `overwritten text leaked: ${content}`);
      assert.equal(parseSimAnswer(content).echo, prompt);
    });
  });
});

describe('chat through a simulator that splits WebSocket frames at random points', () => {
  let gw;
  let client;
  before(async () => {
    schemas();
    gw = await startGateway({ env: { LINGMA_SIM_SPLIT_FRAMES: 'true', LINGMA_SIM_SPLIT_SEED: '7' } });
    client = gw.client();
  });
  after(async () => {
    await gw?.stop();
  });

  test('CJK and emoji survive split frames (non-stream and stream)', async () => {
    for (let i = 0; i < 5; i++) {
      const prompt = `${CJK_PROMPT} #${i} 漢字かな交じり文 🧪🚀`;
      const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: prompt }] });
      assertSchema('CreateChatCompletionResponse', data);
      assert.equal(parseSimAnswer(data.choices[0].message.content).echo, [...prompt].slice(0, 48).join(''));

      const stream = await client.chat.completions.create({ model: 'auto', stream: true, messages: [{ role: 'user', content: prompt }] });
      let text = '';
      for await (const chunk of stream) {
        assertSchema('CreateChatCompletionStreamResponse', chunk);
        text += chunk.choices[0]?.delta?.content ?? '';
      }
      assert.equal(parseSimAnswer(text).echo, [...prompt].slice(0, 48).join(''));
      assert.ok(!text.includes('\uFFFD'));
    }
  });
});
