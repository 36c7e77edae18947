// Hardening: a corpus of hostile and oversized input replayed against a running gateway, slow
// clients on both sides of a request (slowloris, a reader that stops reading a stream), and
// ill-formed UTF-8 coming from Lingma. Each case must end in a 4xx or a closed connection, never a
// crash, a hang or memory that keeps growing; the gateway must serve normally afterwards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';

import {
  GATEWAY_BIN, assertSchema, expectError, parseSimAnswer, parseSse, rawExchange, rssKiB, schemas, startGateway,
} from './helpers.js';

const USER = [{ role: 'user', content: 'hello' }];

function postRaw(port, body, extraHeaders = '') {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head =
    'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    `${extraHeaders}Content-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
  return rawExchange(port, Buffer.concat([Buffer.from(head), bytes]), { timeoutMs: 20_000 });
}

// Resolves with how long the gateway took to close a connection on which `feed` trickles bytes.
function timeUntilClosed(port, { first, trickle, everyMs, giveUpMs }) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const ticker = setInterval(() => socket.write(trickle), everyMs);
    const timer = setTimeout(() => {
      clearInterval(ticker);
      socket.destroy();
      reject(new Error(`the gateway kept a trickling connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.setEncoding('utf8');
    socket.on('data', (d) => { reply += d; });
    socket.on('error', () => {}); // writes after the close may be reset
    socket.on('close', () => {
      clearInterval(ticker);
      clearTimeout(timer);
      resolve({ ms: Date.now() - started, reply });
    });
    socket.write(first);
  });
}

async function assertServesNormally(gw) {
  const health = await gw.fetch('/health');
  assert.equal(health.status, 200);
  const res = await gw.postChat({ messages: USER });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.ok(parseSimAnswer(body.choices[0].message.content), body.choices[0].message.content);
}

// Stops the gateway (and so its simulator, which then writes its counters) and returns the
// counters of instance 0.
async function simStatsAfterStop(gw) {
  await gw.stop({ keepDir: true });
  try {
    return JSON.parse(fs.readFileSync(path.join(gw.dir, 'work', 'inst-0', 'sim-stats.json'), 'utf8'));
  } finally {
    fs.rmSync(gw.dir, { recursive: true, force: true });
  }
}

describe('bad input replayed against a running gateway', () => {
  const READ_TIMEOUT_S = 1;
  let gw;
  before(async () => {
    schemas();
    gw = await startGateway({ args: ['--http-read-timeout', String(READ_TIMEOUT_S)] });
  });
  after(async () => {
    await gw?.stop();
  });

  test('deeply nested JSON (100,000 levels) → 400, at every place it can hide', async () => {
    const deep = (n) => '['.repeat(n) + ']'.repeat(n);
    for (const body of [
      deep(100_000),
      `{"messages":${deep(100_000)}}`,
      `{"messages":[{"role":"user","content":"hi"}],"metadata":{"a":${deep(100_000)}}}`,
      `{"messages":[{"role":"user","content":[${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}]}]}`,
    ]) {
      const { status, body: reply } = await postRaw(gw.port, body);
      assert.equal(status, 400, reply.slice(0, 300));
      assertSchema('ErrorResponse', JSON.parse(reply));
    }
  });

  test('ill-formed UTF-8 in the body → 400 that says so', async () => {
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe4, 0xbd]]) {
      const body = Buffer.concat([
        Buffer.from('{"messages":[{"role":"user","content":"a'),
        Buffer.from(bad),
        Buffer.from('b"}]}'),
      ]);
      const { status, body: reply } = await postRaw(gw.port, body);
      assert.equal(status, 400, reply);
      const error = JSON.parse(reply);
      assertSchema('ErrorResponse', error);
      assert.match(error.error.message, /UTF-8/);
    }
  });

  test('a lone surrogate escape in a string → 400, not a crash or mangled text', async () => {
    const { status, body } = await postRaw(gw.port, '{"messages":[{"role":"user","content":"x\\ud800y"}]}');
    assert.equal(status, 400, body);
    assertSchema('ErrorResponse', JSON.parse(body));
  });

  test('a huge string (8 MB of content) is answered, and memory does not grow with repeats', async () => {
    const content = `HUGE ${'x'.repeat(8 * 1024 * 1024)}`;
    const send = async () => {
      const res = await gw.postChat({ messages: [{ role: 'user', content }] });
      assert.equal(res.status, 200);
      const body = await res.json();
      const answer = parseSimAnswer(body.choices[0].message.content);
      assert.ok(answer, body.choices[0].message.content.slice(0, 200));
      assert.ok(answer.echo.startsWith('HUGE xxx'), answer.echo.slice(0, 100));
    };
    await send();
    const afterOne = rssKiB(gw.proc.pid);
    for (let i = 0; i < 5; i += 1) await send();
    const afterSix = rssKiB(gw.proc.pid);
    // Each request holds the body a few times over (~50 MB at its peak); growth across five
    // more requests beyond one request's worth would mean something is kept.
    assert.ok(afterSix - afterOne < 48 * 1024, `RSS grew from ${afterOne} KiB to ${afterSix} KiB`);
  });

  test('10,000 messages are accepted; 10,001 → 400 naming messages', async () => {
    // Alternating user/assistant turns that end with the user, after `systems` system messages.
    const conversation = (systems, turns) => [
      ...Array.from({ length: systems }, (_, i) => ({ role: 'system', content: `s${i}` })),
      ...Array.from({ length: turns }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `m${i}` })),
    ];
    const most = conversation(1, 9_999);
    assert.equal(most.length, 10_000);
    const ok = await gw.postChat({ messages: most });
    assert.equal(ok.status, 200);
    assert.ok(parseSimAnswer((await ok.json()).choices[0].message.content));
    const tooMany = conversation(2, 9_999);
    assert.equal(tooMany.length, 10_001);
    await expectError(await gw.postChat({ messages: tooMany }), { status: 400, param: 'messages' });
  });

  test('unexpected content parts and wrong types deep inside → 400 naming them', async () => {
    const cases = [
      [[{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }], 'messages[0].content[0].type'],
      [[{ type: 'file', file: { file_id: 'f' } }], 'messages[0].content[0].type'],
      [[{ type: 'no_such_part', text: 'x' }], 'messages[0].content[0].type'],
      [[{ type: 'text', text: 5 }], 'messages[0].content[0].text'],
      [[{ type: 'text' }], 'messages[0].content[0].text'],
      [[null], 'messages[0].content[0]'],
      [{ type: 'text', text: 'an object, not an array' }, 'messages[0].content'],
    ];
    for (const [content, param] of cases) {
      const res = await gw.postChat({ messages: [{ role: 'user', content }] });
      await expectError(res, { status: 400, param });
    }
  });

  test('oversized headers → 431; too many headers → 431', async () => {
    const big = await rawExchange(gw.port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
    assert.equal(big.status, 431);
    const many = Array.from({ length: 10_000 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const lots = await rawExchange(gw.port, `GET /health HTTP/1.1\r\nHost: x\r\n${many}\r\n`);
    assert.equal(lots.status, 431);
  });

  test('slowloris: headers trickling in one byte at a time are cut at the read timeout', async () => {
    const { ms } = await timeUntilClosed(gw.port, {
      first: 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n',
      trickle: 'X',
      everyMs: 100,
      giveUpMs: 10_000,
    });
    assert.ok(ms >= READ_TIMEOUT_S * 1000 - 100, `closed after ${ms} ms, before the read timeout`);
    assert.ok(ms < READ_TIMEOUT_S * 1000 + 3_000, `closed only after ${ms} ms`);
  });

  test('a body trickling in one byte at a time is cut at the read timeout', async () => {
    const { ms } = await timeUntilClosed(gw.port, {
      first: 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{',
      trickle: ' ',
      everyMs: 100,
      giveUpMs: 10_000,
    });
    assert.ok(ms < READ_TIMEOUT_S * 1000 + 3_000, `closed only after ${ms} ms`);
  });

  test('a connection that sends nothing is closed at the read timeout', async () => {
    const { ms } = await timeUntilClosed(gw.port, { first: '', trickle: '', everyMs: 1_000, giveUpMs: 10_000 });
    assert.ok(ms < READ_TIMEOUT_S * 1000 + 3_000, `closed only after ${ms} ms`);
  });

  test('200 connections of random garbage at once → 400 or a close each, nothing else', async () => {
    const garbage = (i) => {
      const bytes = Buffer.alloc(512 + (i % 7) * 300);
      for (let k = 0; k < bytes.length; k += 1) bytes[k] = (i * 7919 + k * 104729) % 256;
      return bytes;
    };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => rawExchange(gw.port, garbage(i), { timeoutMs: 10_000 }).then(
        (r) => r.status,
        (err) => (/no HTTP reply/.test(err.message) ? 'closed' : Promise.reject(err)),
      )),
    );
    for (const r of results) assert.ok(r === 400 || r === 431 || r === 'closed', `unexpected ${r}`);
  });

  test('after all of it the gateway is alive and answers normally', async () => {
    assert.equal(gw.proc.exitCode, null);
    await assertServesNormally(gw);
    // Every connection of the corpus is gone: only this request's own (and perhaps the SDK's
    // kept-alive one) remain.
    const { open_connections: open } = await gw.stats();
    assert.ok(Number.isInteger(open) && open <= 2, `${open} connections still open`);
  });
});

describe('a client that stops reading its stream', () => {
  const TURN_BUFFER = 64;
  // Deltas of 512 characters: a few thousand fill the kernel's socket buffers quickly.
  const PIECE = 'abcdefghijklmnop'.repeat(32);
  const DELTAS = 8_000;
  const FULL = PIECE.repeat(DELTAS);
  const floodGateway = (writeTimeoutS) =>
    startGateway({
      args: ['--lingma-turn-buffer', String(TURN_BUFFER), '--http-write-timeout', String(writeTimeoutS)],
      script: [{ match: 'flood', reply: FULL }],
      control: { deltas: DELTAS },
    });

  // Sends a stream request on a raw socket that reads nothing until resume() is called.
  function stalledStream(port) {
    const socket = net.connect(port, '127.0.0.1');
    const body = JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'flood' }] });
    socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    socket.pause();
    socket.on('error', () => {});
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    return {
      socket,
      // Reads everything the gateway sends until it ends the response.
      async readToEnd() {
        socket.resume();
        await closed;
        return Buffer.concat(chunks).toString('utf8');
      },
    };
  }

  // The body of a chunked HTTP response, de-chunked.
  function dechunk(raw) {
    let rest = raw.slice(raw.indexOf('\r\n\r\n') + 4);
    let out = '';
    for (;;) {
      const nl = rest.indexOf('\r\n');
      if (nl < 0) break;
      const size = parseInt(rest.slice(0, nl), 16);
      if (!size) break;
      out += rest.slice(nl + 2, nl + 2 + size);
      rest = rest.slice(nl + 2 + size + 2);
    }
    return out;
  }

  describe('and reads again later', () => {
    let gw;
    before(async () => {
      gw = await floodGateway(60);
    });
    after(async () => {
      await gw?.stop();
    });

    test('its turn is cut once the buffer fills (chat/stop upstream); then it gets the text so far and an error event', async () => {
      const stream = stalledStream(gw.port);
      const cut = await gw.waitForLog((e) => e.event === 'turn.cut_off', 30_000);
      assert.equal(cut.buffered_pushes, TURN_BUFFER);
      const raw = await stream.readToEnd();
      assert.match(raw, /^HTTP\/1\.1 200/);
      const events = parseSse(dechunk(raw));
      assert.notEqual(events.at(-1).data, '[DONE]', 'a cut stream must not end with [DONE]');
      const last = JSON.parse(events.at(-1).data);
      assert.ok(last.error, `last event: ${events.at(-1).data}`);
      assert.match(last.error.message, /too slowly/);
      const text = events.slice(0, -1).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? '').join('');
      assert.ok(text.length > 0 && text.length < FULL.length, `received ${text.length} of ${FULL.length} characters`);
      assert.ok(FULL.startsWith(text), 'the text received is a prefix of the answer');
      const entry = await gw.waitForLog((e) => e.event === 'http.request' && e.path === '/v1/chat/completions');
      assert.equal(entry.status, 200);
      await assertServesNormally(gw);
      const sim = await simStatsAfterStop(gw);
      // The simulator may already have sent the whole answer when the cut comes; the stop is
      // sent (and counted) either way.
      assert.equal(sim.stops, 1, 'the cut turn was stopped upstream');
    });
  });

  describe('and never reads again', () => {
    const WRITE_TIMEOUT_S = 2;
    let gw;
    before(async () => {
      gw = await floodGateway(WRITE_TIMEOUT_S);
    });
    after(async () => {
      await gw?.stop();
    });

    test('is disconnected after the write timeout, its turn stopped, and the gateway stays small', async () => {
      const rssBefore = rssKiB(gw.proc.pid);
      const stalled = Array.from({ length: 4 }, () => stalledStream(gw.port));
      const chats = () => gw.logEntries('http.request').filter((e) => e.path === '/v1/chat/completions');
      await gw.waitForLog(() => chats().length >= 4, 60_000);
      // The flood fills the turn's buffer of 64 pushes well before the 2 s write timeout: a turn
      // may be cut off first (overloaded) and its error event then wait for the same timeout.
      for (const entry of chats()) {
        assert.ok(['client_gone', 'overloaded'].includes(entry.outcome), JSON.stringify(entry));
      }
      const rssAfter = rssKiB(gw.proc.pid);
      assert.ok(rssAfter - rssBefore < 32 * 1024, `RSS grew from ${rssBefore} KiB to ${rssAfter} KiB`);
      for (const { socket } of stalled) socket.destroy();
      const { open_connections: open } = await gw.stats();
      assert.ok(open <= 2, `${open} connections still open`);
      await assertServesNormally(gw);
      const sim = await simStatsAfterStop(gw);
      assert.equal(sim.stops, 4, 'every abandoned turn was stopped upstream');
      assert.equal(sim.turns_active, 0);
    });
  });
});

describe('ill-formed UTF-8 coming from Lingma', () => {
  let gw;
  before(async () => {
    gw = await startGateway({ control: { invalid_utf8: true } });
  });
  after(async () => {
    await gw?.stop();
  });

  const assertWellFormed = (bytes) => {
    assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'the body is not valid UTF-8');
  };

  test('non-stream: the body is valid UTF-8 JSON with U+FFFD in place of the bad bytes', async () => {
    const res = await gw.postChat({ messages: USER });
    assert.equal(res.status, 200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assertWellFormed(bytes);
    const body = JSON.parse(Buffer.from(bytes).toString('utf8'));
    assertSchema('CreateChatCompletionResponse', body);
    assert.ok(body.choices[0].message.content.includes('\uFFFD'), body.choices[0].message.content);
    assert.ok(parseSimAnswer(body.choices[0].message.content.replaceAll('\uFFFD', '')));
  });

  test('stream: every chunk is valid UTF-8 JSON', async () => {
    const res = await gw.postChat({ messages: USER, stream: true });
    assert.equal(res.status, 200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assertWellFormed(bytes);
    const events = parseSse(Buffer.from(bytes).toString('utf8'));
    assert.equal(events.at(-1).data, '[DONE]');
    const text = events.slice(0, -1).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? '').join('');
    assert.ok(text.includes('\uFFFD'), text);
  });
});

describe('start-up faults', () => {
  test('the HTTP port is taken → exit 1 with a log line naming the address and what to do', async () => {
    const holder = net.createServer();
    await new Promise((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgw-e2e-port-'));
    try {
      const run = spawnSync(
        GATEWAY_BIN,
        ['--simulator', '--port', String(port), '--env-file', '', '--lingma-work-dir', path.join(dir, 'work')],
        { encoding: 'utf8', timeout: 10_000 },
      );
      assert.equal(run.status, 1, run.stderr);
      const line = run.stderr.split('\n').map((l) => { try { return JSON.parse(l); } catch { return null; } })
        .find((e) => e?.event === 'gateway.listen_failed');
      assert.ok(line, run.stderr);
      assert.equal(line.error, `cannot listen on 127.0.0.1:${port}: Address already in use`);
      assert.match(line.hint, /PORT/);
    } finally {
      holder.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
