// Error handling: request validation, Lingma failure statuses, a logged-out Lingma, failures
// after a stream has started. Every error body must be an OpenAI ErrorResponse, sent with the
// right HTTP status before any stream begins.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import {
  assertSchema, checkChatStream, expectError, parseSimAnswer, parseSse, rawExchange, schemas, startGateway,
} from './helpers.js';

const USER = [{ role: 'user', content: 'hello' }];

const MAX_BODY = 64 * 1024;

describe('request validation', () => {
  let gw;
  let client;
  before(async () => {
    schemas();
    gw = await startGateway({ args: ['--max-body-bytes', String(MAX_BODY)] });
    client = gw.client();
  });
  after(async () => {
    await gw?.stop();
  });

  test('malformed JSON → 400 invalid_request_error', async () => {
    await expectError(await gw.postChat('{"messages": [', {}), { status: 400, type: 'invalid_request_error' });
  });

  test('a body that is not a JSON object → 400', async () => {
    await expectError(await gw.postChat('[]'), { status: 400, type: 'invalid_request_error' });
  });

  test('missing messages → 400 with param "messages"', async () => {
    await expectError(await gw.postChat({ model: 'auto' }), { status: 400, param: 'messages', type: 'invalid_request_error' });
  });

  test('empty messages → 400 with param "messages"', async () => {
    await expectError(await gw.postChat({ messages: [] }), { status: 400, param: 'messages' });
  });

  const wrongTypes = [
    ['messages', { messages: 'hello' }],
    ['model', { model: 42, messages: USER }],
    ['stream', { stream: 'yes', messages: USER }],
    ['temperature', { temperature: 'hot', messages: USER }],
    ['max_tokens', { max_tokens: 'many', messages: USER }],
    ['stream_options', { stream: true, stream_options: 'usage', messages: USER }],
  ];
  for (const [param, body] of wrongTypes) {
    test(`wrong type of ${param} → 400 naming param "${param}"`, async () => {
      await expectError(await gw.postChat(body), { status: 400, param, type: 'invalid_request_error' });
    });
  }

  test('a message without a role → 400 naming the message', async () => {
    const body = await expectError(await gw.postChat({ messages: [{ content: 'x' }] }), { status: 400 });
    assert.match(body.error.param ?? '', /^messages\[0\]/);
  });

  test('an image_url content part → 400 naming the part', async () => {
    const res = await gw.postChat({
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      ] }],
    });
    const body = await expectError(res, { status: 400, type: 'invalid_request_error' });
    assert.match(body.error.param ?? '', /^messages\[0\]\.content\[1\]/);
  });

  test('tools → 400 naming "tools" (SDK BadRequestError), also for stream requests', async () => {
    const request = {
      model: 'auto',
      messages: USER,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    };
    await assert.rejects(client.chat.completions.create(request), (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 400);
      assert.equal(err.param, 'tools');
      assert.ok(err.requestID || err.headers?.get?.('x-request-id'));
      return true;
    });
    await expectError(await gw.postChat({ ...request, stream: true }), { status: 400, param: 'tools' });
  });

  const unsupported = [
    ['n', { n: 2, messages: USER }],
    ['response_format', { response_format: { type: 'json_object' }, messages: USER }],
    ['functions', { functions: [{ name: 'f', parameters: { type: 'object' } }], messages: USER }],
    ['stream_options', { stream_options: { include_usage: true }, messages: USER }], // without stream, as OpenAI
    ['temperature', { temperature: 5, messages: USER }],
  ];
  for (const [param, body] of unsupported) {
    test(`unsupported or out-of-range ${param} → 400 naming "${param}"`, async () => {
      await expectError(await gw.postChat(body), { status: 400, param, type: 'invalid_request_error' });
    });
  }

  test('a conversation ending with an assistant message → 400 naming messages', async () => {
    const body = await expectError(
      await gw.postChat({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] }),
      { status: 400 },
    );
    assert.match(body.error.param ?? '', /^messages/);
  });

  // Announces a body over the limit but sends none of it, so the gateway has nothing unread when
  // it answers and closes: the reply cannot be lost to a connection reset.
  const announceBigBody = (framing) =>
    rawExchange(
      gw.port,
      'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        (framing === 'chunked'
          ? `Transfer-Encoding: chunked\r\n\r\n${(MAX_BODY + 1000).toString(16)}\r\n`
          : `Content-Length: ${MAX_BODY + 1000}\r\n\r\n`),
    );

  test('a chunked body above --max-body-bytes → 413', async () => {
    const { status, body } = await announceBigBody('chunked');
    assert.equal(status, 413, body);
    assertSchema('ErrorResponse', JSON.parse(body));
  });

  test('a body whose Content-Length exceeds --max-body-bytes → 413', async () => {
    const { status, body } = await announceBigBody('content-length');
    assert.equal(status, 413, body);
    assertSchema('ErrorResponse', JSON.parse(body));
  });

  test('errors raised by the HTTP layer (413, malformed request) carry X-Request-Id too', async () => {
    const tooBig = await announceBigBody('chunked');
    assert.match(tooBig.head, /\r\nx-request-id: *\S+/i, tooBig.head);
    const garbage = await rawExchange(gw.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.equal(garbage.status, 400);
    assert.match(garbage.head, /\r\nx-request-id: *\S+/i, garbage.head);
  });

  test('a body just under --max-body-bytes is accepted', async () => {
    const res = await gw.postChat({ messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY - 200) }] });
    assert.equal(res.status, 200);
  });

  test('validation errors of stream requests are plain JSON errors, not SSE', async () => {
    const res = await gw.postChat({ stream: true, messages: [] });
    await expectError(res, { status: 400, param: 'messages' });
  });

  test('unknown model → 404 model_not_found, stream or not', async () => {
    await expectError(await gw.postChat({ model: 'nope', messages: USER }), { status: 404, code: 'model_not_found', param: 'model' });
    await expectError(await gw.postChat({ model: 'nope', stream: true, messages: USER }), { status: 404, code: 'model_not_found' });
  });

  test('unknown endpoint → 404 and wrong method → 405, as OpenAI errors', async () => {
    await expectError(await gw.fetch('/v1/does-not-exist'), { status: 404 });
    await expectError(await gw.fetch('/v1/chat/completions'), { status: 405 });
  });
});

describe('Lingma failure statuses', () => {
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

  // sim chat/finish status (+ reason) → HTTP status, error code, SDK error class, Retry-After
  const cases = [
    { knobs: { finish_status: 429 }, status: 429, code: 'rate_limit_exceeded', cls: OpenAI.RateLimitError, retryAfter: true },
    { knobs: { finish_status: 403, finish_reason: 'forbidden: model not allowed for this account' }, status: 403, code: 'upstream_forbidden', cls: OpenAI.PermissionDeniedError },
    { knobs: { finish_status: 403 }, status: 429, code: 'insufficient_quota', cls: OpenAI.RateLimitError },
    { knobs: { finish_status: 408 }, status: 504, code: 'upstream_timeout', cls: OpenAI.InternalServerError },
    { knobs: { finish_status: 500 }, status: 502, code: 'upstream_error', cls: OpenAI.InternalServerError },
  ];
  for (const c of cases) {
    test(`sim finish ${JSON.stringify(c.knobs)} → HTTP ${c.status} ${c.code}`, async () => {
      await gw.withControl(c.knobs, async () => {
        const res = await gw.postChat({ model: 'auto', messages: USER });
        if (c.retryAfter) assert.match(res.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After header');
        await expectError(res, { status: c.status, code: c.code });
        // A stream that fails before its first delta is a plain HTTP error too.
        const streamRes = await gw.postChat({ model: 'auto', stream: true, messages: USER });
        if (c.retryAfter) assert.match(streamRes.headers.get('retry-after') ?? '', /^\d+$/);
        await expectError(streamRes, { status: c.status, code: c.code });
        await assert.rejects(client.chat.completions.create({ model: 'auto', messages: USER }), (err) => {
          assert.ok(err instanceof c.cls, `expected ${c.cls.name}, got ${err?.constructor?.name}: ${err}`);
          assert.equal(err.status, c.status);
          assert.equal(err.code, c.code);
          return true;
        });
      });
    });
  }

  for (const status of [406, 601]) {
    test(`sim finish ${status} → 200 with finish_reason content_filter (stream and non-stream)`, async () => {
      await gw.withControl({ finish_status: status }, async () => {
        const data = await client.chat.completions.create({ model: 'auto', messages: USER });
        assertSchema('CreateChatCompletionResponse', data);
        assert.equal(data.choices[0].finish_reason, 'content_filter');
        const res = await gw.postChat({ model: 'auto', stream: true, stream_options: { include_usage: true }, messages: USER });
        const streamed = checkChatStream(parseSse(await res.text()), { includeUsage: true });
        assert.equal(streamed.finishReason, 'content_filter');
      });
    });
  }

  test('a failure after the stream started → an error event, no finish_reason, no [DONE]', async () => {
    await gw.withControl({ finish_status: 500, error_after_deltas: 2, deltas: 4 }, async () => {
      const res = await gw.postChat({ model: 'auto', stream: true, messages: USER });
      assert.equal(res.status, 200);
      const events = parseSse(await res.text());
      assert.ok(!events.some((e) => e.data === '[DONE]'), 'no [DONE] after a failure');
      const last = JSON.parse(events.at(-1).data);
      assertSchema('ErrorResponse', last);
      assert.equal(last.error.code, 'upstream_error');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
      assert.ok(chunks.length >= 2, 'the deltas before the failure were streamed');
      for (const chunk of chunks) {
        assertSchema('CreateChatCompletionStreamResponse', chunk);
        assert.ok(chunk.choices.every((c) => c.finish_reason == null), 'no finish_reason chunk');
      }
      assert.equal(events.filter((e) => JSON.parse(e.data).error).length, 1, 'exactly one error event');
    });
  });

  test('a failure after the stream started makes the SDK iteration throw an APIError', async () => {
    await gw.withControl({ finish_status: 500, error_after_deltas: 2, deltas: 4 }, async () => {
      const stream = await client.chat.completions.create({ model: 'auto', stream: true, messages: USER });
      let content = '';
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
        })(),
        (err) => {
          assert.ok(err instanceof OpenAI.APIError, `got ${err?.constructor?.name}: ${err}`);
          assert.match(err.message, /Lingma/);
          return true;
        },
      );
      assert.ok(content.length > 0, 'content before the failure was delivered');
      // The stream helper rejects as well.
      const runner = client.chat.completions.stream({ model: 'auto', messages: USER });
      runner.on('error', () => {});
      await assert.rejects(runner.finalChatCompletion(), OpenAI.APIError);
    });
  });

  test('the gateway serves normally once the failures stop', async () => {
    const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'recovered' }] });
    assert.equal(parseSimAnswer(data.choices[0].message.content).echo, 'recovered');
  });
});

describe('Lingma process faults', () => {
  let gw;
  let client;
  before(async () => {
    schemas();
    gw = await startGateway({ args: ['--lingma-chat-idle-timeout', '1', '--lingma-reconnect-initial-ms', '50'] });
    client = gw.client();
  });
  after(async () => {
    await gw?.stop();
  });

  test('Lingma goes silent mid-turn → 504 (non-stream) / error event (stream) after the idle timeout', async () => {
    await gw.withControl({ hang: true }, async () => {
      await assert.rejects(client.chat.completions.create({ model: 'auto', messages: USER }), (err) => {
        assert.ok(err instanceof OpenAI.APIError);
        assert.equal(err.status, 504);
        assert.equal(err.code, 'upstream_timeout');
        return true;
      });
      const res = await gw.postChat({ model: 'auto', stream: true, messages: USER });
      const events = parseSse(await res.text());
      assert.ok(!events.some((e) => e.data === '[DONE]'));
      const last = JSON.parse(events.at(-1).data);
      assertSchema('ErrorResponse', last);
      assert.equal(last.error.code, 'upstream_timeout');
    });
  });

  test('Lingma crashes mid-stream → error event; the gateway restarts it and serves again', async () => {
    await gw.withControl({ exit_after_deltas: 2, deltas: 4 }, async () => {
      const res = await gw.postChat({ model: 'auto', stream: true, messages: USER });
      const events = parseSse(await res.text());
      assert.ok(!events.some((e) => e.data === '[DONE]'));
      const last = JSON.parse(events.at(-1).data);
      assertSchema('ErrorResponse', last);
      assert.equal(last.error.code, 'upstream_error');
      assert.ok(events.slice(0, -1).every((e) => JSON.parse(e.data).choices[0].finish_reason == null));
    });
    const ready = await gw.waitReady((r) => r.status === 200 && r.body.instances[0].restarts >= 1, 10_000);
    assert.ok(ready.body.instances[0].restarts >= 1);
    const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'after crash' }] });
    assert.equal(parseSimAnswer(data.choices[0].message.content).echo, 'after crash');
  });
});

describe('Lingma not logged in', () => {
  let gw;
  let client;
  before(async () => {
    schemas();
    gw = await startGateway({
      // The sim logs in 300 ms after the first login URL is asked for (see the last test).
      env: { LINGMA_SIM_AUTH: 'logged_out', LINGMA_SIM_LOGIN_AFTER_MS: '300' },
      // /ready is 503 while nobody is logged in: wait until the instance itself runs.
      ready: (r) => r.body?.instances?.length > 0 && r.body.instances.every((i) => i.state === 'ready'),
    });
    client = gw.client();
  });
  after(async () => {
    await gw?.stop();
  });

  test('GET /ready → 503 explaining the login, with Retry-After', async () => {
    const res = await gw.fetch('/ready');
    assert.equal(res.status, 503);
    assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
    const body = await res.json();
    assert.equal(body.instances[0].logged_in, false);
    assert.match(body.message, /log(ged)? ?in|sign in/i);
  });

  test('chat → 503 lingma_not_logged_in whose message says how to log in, with Retry-After', async () => {
    for (const stream of [false, true]) {
      const res = await gw.postChat({ model: 'auto', stream, messages: USER });
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After header');
      const body = await expectError(res, { status: 503, code: 'lingma_not_logged_in' });
      assert.match(body.error.message, /sign in|log in/i);
      assert.match(body.error.message, /Lingma/);
    }
    await assert.rejects(client.chat.completions.create({ model: 'auto', messages: USER }), (err) => {
      assert.ok(err instanceof OpenAI.InternalServerError, `got ${err?.constructor?.name}`);
      assert.equal(err.status, 503);
      return true;
    });
  });

  test('/v1/models → 503 with Retry-After', async () => {
    const res = await gw.fetch('/v1/models');
    assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
    await expectError(res, { status: 503 });
  });

  test('/health stays 200', async () => {
    const res = await gw.fetch('/health');
    assert.equal(res.status, 200);
  });

  test('following the login hint of the 503 message logs Lingma in and chat works', async () => {
    const res = await gw.postChat({ model: 'auto', messages: USER });
    const { error } = await res.json();
    // The message names the gateway endpoint that returns Lingma's browser login URL.
    const hint = /POST\s+https?:\/\/[^/\s`]+(\/[^\s`'"]+)/.exec(error.message);
    assert.ok(hint, `the message names no login endpoint: ${error.message}`);
    const login = await gw.fetch(hint[1], { method: 'POST' });
    assert.equal(login.status, 200);
    const body = await login.json();
    assert.match(body.login_url, /^https?:\/\//);
    await gw.waitReady((r) => r.status === 200, 5000);
    const data = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'logged in now' }] });
    assert.equal(parseSimAnswer(data.choices[0].message.content).echo, 'logged in now');
  });
});
