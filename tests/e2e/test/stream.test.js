// Streamed chat completions: raw SSE framing and headers, the usage chunk, and the SDK's
// streaming helpers.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import {
  assertSchema, checkChatStream, checkUsage, parseSimAnswer, parseSse, readSseTimed, schemas, startGateway,
} from './helpers.js';

const THINK_REPLY = '\n````think::{THINK_TIME}\nreasoning here\n````\nanswer';

describe('chat completions (stream)', () => {
  let gw;
  let client;
  before(async () => {
    schemas();
    gw = await startGateway({ script: [{ match: 'REASONING-PROBE', reply: THINK_REPLY }] });
    client = gw.client();
  });
  after(async () => {
    const exit = await gw?.stop();
    assert.equal(exit?.code, 0, `gateway exit after SIGTERM: ${JSON.stringify(exit)}`);
  });

  test('raw SSE: headers, framing, chunk schema, role first, one finish_reason, [DONE] last, no usage', async () => {
    const prompt = 'stream me please';
    const res = await gw.postChat({ model: 'qwen3-coder', stream: true, messages: [{ role: 'user', content: prompt }] });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    // Headers: SSE content type, no caching, no proxy buffering, a request id.
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    assert.match(res.headers.get('cache-control'), /no-cache/);
    assert.equal(res.headers.get('x-accel-buffering'), 'no');
    assert.ok(res.headers.get('x-request-id'));
    // Every event is exactly "data: {...}\n\n".
    for (const block of text.slice(0, -2).split('\n\n')) assert.match(block, /^data: \S/);
    assert.ok(text.endsWith('data: [DONE]\n\n'));
    const streamed = checkChatStream(parseSse(text));
    assert.equal(streamed.finishReason, 'stop');
    assert.equal(streamed.model, 'qwen3-coder');
    const sim = parseSimAnswer(streamed.content);
    assert.equal(sim.echo, prompt);
    assert.equal(sim.model, 'dashscope_qwen3_coder');
    assert.ok(streamed.chunks.length >= 4, 'the answer arrives in several chunks');
  });

  test('stream_options.include_usage: one usage chunk with choices [] right before [DONE]; others "usage": null', async () => {
    const res = await gw.postChat({
      model: 'auto', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'count my tokens' }],
    });
    const streamed = checkChatStream(parseSse(await res.text()), { includeUsage: true });
    assert.ok(streamed.usage.completion_tokens > 0);
  });

  test('stream_options.include_usage false behaves like no stream_options', async () => {
    const res = await gw.postChat({
      model: 'auto', stream: true, stream_options: { include_usage: false },
      messages: [{ role: 'user', content: 'no usage please' }],
    });
    checkChatStream(parseSse(await res.text()));
  });

  test('usage of a stream equals the usage of the same non-stream answer', async () => {
    const messages = [{ role: 'user', content: 'same usage both ways' }];
    const plain = await client.chat.completions.create({ model: 'auto', messages });
    const res = await gw.postChat({ model: 'auto', stream: true, stream_options: { include_usage: true }, messages });
    const streamed = checkChatStream(parseSse(await res.text()), { includeUsage: true });
    assert.equal(streamed.usage.prompt_tokens, plain.usage.prompt_tokens);
    assert.equal(streamed.content.length, plain.choices[0].message.content.length);
  });

  test('SDK: for await over create({stream: true})', async () => {
    const prompt = 'iterate over chunks';
    const stream = await client.chat.completions.create({
      model: 'qwen3-coder', stream: true, messages: [{ role: 'user', content: prompt }],
    });
    let content = '';
    let finish = [];
    let count = 0;
    for await (const chunk of stream) {
      assertSchema('CreateChatCompletionStreamResponse', chunk);
      if (count++ === 0) assert.equal(chunk.choices[0].delta.role, 'assistant');
      content += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.choices[0]?.finish_reason) finish.push(chunk.choices[0].finish_reason);
    }
    assert.deepEqual(finish, ['stop']);
    assert.equal(parseSimAnswer(content).echo, prompt);
  });

  test('SDK: for await with include_usage ends with the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'auto', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'usage through the SDK' }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    checkUsage(last.usage);
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  });

  test('SDK: chat.completions.stream() helper with content events and finalChatCompletion()', async () => {
    const prompt = 'use the stream helper';
    const runner = client.chat.completions.stream({
      model: 'qwen3-coder',
      messages: [{ role: 'user', content: prompt }],
      stream_options: { include_usage: true },
    });
    const deltas = [];
    let lastSnapshot = '';
    runner.on('content', (delta, snapshot) => {
      deltas.push(delta);
      lastSnapshot = snapshot;
    });
    const chunks = [];
    runner.on('chunk', (chunk) => chunks.push(chunk));
    const final = await runner.finalChatCompletion();
    const content = deltas.join('');
    assert.equal(content, lastSnapshot);
    assert.equal(final.choices[0].message.content, content);
    assert.equal(final.choices[0].message.role, 'assistant');
    assert.equal(final.choices[0].finish_reason, 'stop');
    assert.equal(final.model, 'qwen3-coder');
    checkUsage(final.usage);
    assert.equal(parseSimAnswer(content).echo, prompt);
    for (const chunk of chunks) assertSchema('CreateChatCompletionStreamResponse', chunk);
    assert.equal(await runner.finalContent(), content);
  });

  test('reasoning streams as delta.reasoning_content before the content, never inside it', async () => {
    const res = await gw.postChat({ model: 'qwen3-thinking', stream: true, messages: [{ role: 'user', content: 'REASONING-PROBE' }] });
    const streamed = checkChatStream(parseSse(await res.text()));
    assert.equal(streamed.reasoning, 'reasoning here');
    assert.equal(streamed.content.trim(), 'answer');
    assert.equal(streamed.reasoningAfterContent, false);
    for (const c of streamed.chunks) {
      const delta = c.choices[0]?.delta ?? {};
      assert.ok(!(delta.content && delta.reasoning_content), 'a chunk carries content or reasoning, not both');
      assert.doesNotMatch(delta.content ?? '', /````|think::|THINK_TIME/);
    }
    // The SDK stream helper passes the extra field through on chunks.
    const runner = client.chat.completions.stream({ model: 'qwen3-thinking', messages: [{ role: 'user', content: 'REASONING-PROBE' }] });
    let reasoning = '';
    runner.on('chunk', (chunk) => {
      reasoning += chunk.choices[0]?.delta?.reasoning_content ?? '';
    });
    const final = await runner.finalChatCompletion();
    assert.equal(reasoning, 'reasoning here');
    assert.equal(final.choices[0].message.content.trim(), 'answer');
  });

  test('chunks are delivered as Lingma produces them, not buffered to the end', async () => {
    await gw.withControl({ deltas: 4, delta_delay_ms: 150 }, async () => {
      const res = await gw.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'slow deltas please' }] });
      const { events, arrivals } = await readSseTimed(res);
      const streamed = checkChatStream(events);
      assert.equal(parseSimAnswer(streamed.content).echo, 'slow deltas please');
      // events: role, 4 content deltas, finish, [DONE]; the first content delta must arrive
      // well before the last one (3 × 150 ms of sim delay lie between them).
      const contentIdx = events
        .map((e, i) => (e.data !== '[DONE]' && JSON.parse(e.data).choices[0]?.delta?.content ? i : -1))
        .filter((i) => i >= 0);
      assert.ok(contentIdx.length >= 4);
      const spread = arrivals[contentIdx.at(-1)] - arrivals[contentIdx[0]];
      assert.ok(spread >= 300, `content chunks arrived within ${spread.toFixed(0)} ms: the stream is buffered`);
    });
  });

  test('an overwrite from Lingma mid-stream still yields a well-formed stream', async () => {
    await gw.withControl({ overwrite: true }, async () => {
      const res = await gw.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'overwrite stream' }] });
      const streamed = checkChatStream(parseSse(await res.text()));
      assert.ok(streamed.content.endsWith('overwrite stream'));
    });
  });

  test('a finished stream keeps its connection: the next requests run on the same socket', async () => {
    const socket = net.connect(gw.port, '127.0.0.1');
    socket.setEncoding('utf8');
    let received = '';
    socket.on('data', (d) => { received += d; });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    // Waits until `received` holds a complete response; returns it and keeps the rest.
    const nextResponse = async () => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const head = received.indexOf('\r\n\r\n');
        if (head >= 0) {
          const length = /\r\ncontent-length: *(\d+)/i.exec(received.slice(0, head));
          const end = length ? head + 4 + Number(length[1]) : received.indexOf('\r\n0\r\n\r\n', head) + 7;
          if ((length && received.length >= end) || (!length && end >= 7)) {
            const response = received.slice(0, end);
            received = received.slice(end);
            return response;
          }
        }
        assert.ok(Date.now() < deadline, `no complete response: ${JSON.stringify(received.slice(-300))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const post = (body) => {
      const json = JSON.stringify(body);
      socket.write(
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
      );
    };
    for (const content of ['first stream', 'second stream']) {
      post({ stream: true, messages: [{ role: 'user', content }] });
      const response = await nextResponse();
      assert.match(response, /^HTTP\/1\.1 200/);
      assert.match(response, /\r\ntransfer-encoding: chunked\r\n/i);
      assert.doesNotMatch(response, /\r\nconnection: close\r\n/i);
      assert.match(response, /data: \[DONE\]/);
    }
    post({ messages: [{ role: 'user', content: 'then a plain one' }] });
    const plain = await nextResponse();
    assert.match(plain, /^HTTP\/1\.1 200/);
    assert.equal(parseSimAnswer(JSON.parse(plain.slice(plain.indexOf('\r\n\r\n') + 4)).choices[0].message.content).echo, 'then a plain one');
    socket.end();
    await closed;
  });

  test('a client that disconnects mid-stream does not disturb the next request', async () => {
    await gw.withControl({ deltas: 8, delta_delay_ms: 60 }, async () => {
      const res = await gw.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'abandon me' }] });
      const reader = res.body.getReader();
      await reader.read(); // the role chunk
      await reader.cancel();
    });
    const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'after abandon' }] });
    assert.equal(parseSimAnswer(data.choices[0].message.content).echo, 'after abandon');
    // The abandoned turn is wound down: no turn stays active.
    const deadline = Date.now() + 5000;
    let ready;
    do {
      ready = await gw.readyBody();
      if (ready.body.instances.every((i) => i.active_turns === 0)) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    assert.ok(ready.body.instances.every((i) => i.active_turns === 0), JSON.stringify(ready.body));
  });
});

describe('SSE keep-alive while Lingma is silent', () => {
  let gw;
  before(async () => {
    schemas();
    gw = await startGateway({
      args: ['--sse-keepalive-interval', '1', '--lingma-chat-idle-timeout', '10'],
      control: { deltas: 2, delta_delay_ms: 1300 },
    });
  });
  after(async () => {
    await gw?.stop();
  });

  test('keep-alive comments fill the silences, the stream completes and the gateway survives', async () => {
    const prompt = 'quiet thinker';
    let res;
    try {
      res = await gw.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: prompt }] });
      const { text, events } = await readSseTimed(res);
      assert.match(text, /^: ?keep-alive/m, 'a keep-alive comment was sent during the silence');
      // One per second of silence: two silences of 1.3 s make two, give or take one.
      const keepAlives = text.match(/^: ?keep-alive/gm).length;
      assert.ok(keepAlives <= 4, `${keepAlives} keep-alive comments for 2.6 s of silence`);
      const streamed = checkChatStream(events);
      assert.equal(parseSimAnswer(streamed.content).echo, prompt);
    } finally {
      assert.equal(gw.proc.exitCode, null, `gateway exited (signal ${gw.proc.signalCode})`);
      assert.equal(gw.proc.signalCode, null, `gateway died (signal ${gw.proc.signalCode})`);
    }
    // The SDK ignores the comments.
    const stream = await gw.client().chat.completions.create({ model: 'auto', stream: true, messages: [{ role: 'user', content: prompt }] });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(parseSimAnswer(content).echo, prompt);
  });
});

describe('a steady stream of deltas is not silence', () => {
  // Deltas leave as they arrive without waking the turn's loop; its silence timers must still
  // count from the latest delta, not from the last time the loop itself woke up.
  let withKeepAlive;
  let withoutKeepAlive;
  const control = { deltas: 12, delta_delay_ms: 250 };  // 3 s of answer, a delta every 250 ms
  before(async () => {
    schemas();
    withKeepAlive = await startGateway({
      args: ['--sse-keepalive-interval', '1', '--lingma-chat-idle-timeout', '10'],
      control,
    });
    withoutKeepAlive = await startGateway({
      args: ['--sse-keepalive-interval', '0', '--lingma-chat-idle-timeout', '1'],
      control,
    });
  });
  after(async () => {
    await withKeepAlive?.stop();
    await withoutKeepAlive?.stop();
  });

  test('no keep-alive comment while deltas come faster than the keep-alive interval', async () => {
    const prompt = 'steady talker';
    const res = await withKeepAlive.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: prompt }] });
    const { text, events } = await readSseTimed(res);
    assert.doesNotMatch(text, /^: ?keep-alive/m, 'a keep-alive comment interrupted a flowing answer');
    assert.equal(parseSimAnswer(checkChatStream(events).content).echo, prompt);
  });

  test('an answer longer than the idle timeout completes while its deltas keep coming', async () => {
    const prompt = 'long but never idle';
    const res = await withoutKeepAlive.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: prompt }] });
    const { text, events } = await readSseTimed(res);
    assert.doesNotMatch(text, /^: ?keep-alive/m, 'keep-alives are off');
    const streamed = checkChatStream(events);
    assert.equal(parseSimAnswer(streamed.content).echo, prompt);
    // And the whole response (no stream) the same way.
    const whole = await withoutKeepAlive.postChat({ model: 'auto', messages: [{ role: 'user', content: prompt }] });
    const body = await whole.json();
    assert.equal(whole.status, 200, JSON.stringify(body));
    assert.equal(parseSimAnswer(body.choices[0].message.content).echo, prompt);
  });
});
