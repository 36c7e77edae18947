// Session reuse: which conversation continues which Lingma session, on which instance, and what
// goes upstream. The simulator's answers name the upstream session and its turn number, and its
// ask log (one per instance) records every chat/ask it received.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  assertRequestId, assertSchema, checkChatStream, parseSimAnswer, parseSse, schemas, sleep, startGateway,
} from './helpers.js';

const K1 = 'sk-sessions-key-one';
const K2 = 'sk-sessions-key-two';
// Header brackets deepen when the content itself holds header-like lines (see chat/prompt.cpp).
const TRANSCRIPT = /^\[+(System instructions|Conversation so far)\]+\n/;


// One chat request. mode: raw | raw-stream | sdk | sdk-stream. Returns the HTTP status, the
// X-Lingma-Session header, the request id and, on success, the answer and its parsed sim header.
async function send(gw, messages, { key = K1, headers = {}, body = {}, mode = 'raw' } = {}) {
  const request = { model: 'auto', messages, ...body };
  if (mode === 'sdk' || mode === 'sdk-stream') {
    const client = gw.client({ apiKey: key });
    const stream = mode === 'sdk-stream';
    const { data, response } = await client.chat.completions
      .create({ ...request, stream }, { headers })
      .withResponse();
    let content = '';
    if (stream) {
      for await (const chunk of data) content += chunk.choices[0]?.delta?.content ?? '';
    } else {
      content = data.choices[0].message.content;
    }
    return {
      status: response.status,
      session: response.headers.get('x-lingma-session'),
      requestId: assertRequestId(response),
      content,
      sim: parseSimAnswer(content),
    };
  }
  const stream = mode === 'raw-stream';
  const res = await gw.postChat(stream ? { ...request, stream: true } : request, {
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...headers,
  });
  const out = { status: res.status, session: res.headers.get('x-lingma-session'), requestId: assertRequestId(res) };
  const text = await res.text();
  if (res.status !== 200) return { ...out, text };
  if (stream) {
    const events = parseSse(text);
    const last = JSON.parse(events.at(-1).data === '[DONE]' ? '{}' : events.at(-1).data);
    if (last.error) return { ...out, text, streamError: last.error };
    out.content = checkChatStream(events).content;
  } else {
    out.content = JSON.parse(text).choices[0].message.content;
  }
  out.sim = parseSimAnswer(out.content);
  return out;
}

async function sendOk(gw, messages, options) {
  const r = await send(gw, messages, options);
  assert.equal(r.status, 200, `chat failed: ${r.text}`);
  assert.equal(r.streamError, undefined, `stream failed: ${JSON.stringify(r.streamError)}`);
  assert.match(r.session ?? '', /^(hit|miss|fork|off)$/, 'X-Lingma-Session header');
  return r;
}

// A client that sends the whole history every time, as OpenAI clients do.
class Conversation {
  constructor(gw, { system, ...options } = {}) {
    this.gw = gw;
    this.options = options;
    this.messages = system ? [{ role: 'system', content: system }] : [];
  }

  async say(text, extra = {}) {
    const messages = [...this.messages, { role: 'user', content: text }];
    const r = await sendOk(this.gw, messages, { ...this.options, ...extra });
    this.messages = [...messages, { role: 'assistant', content: r.content }];
    return r;
  }

  // The messages of the next turn without sending them.
  next(text) {
    return [...this.messages, { role: 'user', content: text }];
  }
}

// The one ask-log entry of an upstream session's turn.
function askEntry(gw, session, turn) {
  const found = gw.askLog().filter((e) => e.canonicalSessionId === session && e.turn === turn);
  assert.equal(found.length, 1, `ask log entries for session ${session} turn ${turn}: ${JSON.stringify(found)}`);
  return found[0];
}

function assertHit(r, { session, turn, text }) {
  assert.equal(r.session, 'hit', `expected a hit: ${r.content}`);
  assert.equal(r.sim.session, session, 'a hit continues the cached upstream session');
  assert.equal(r.sim.turn, turn, 'upstream turn number');
  if (text !== undefined) assert.equal(r.sim.echo, text, 'a hit sends only the new user message');
}

function assertFresh(r, outcome, others = []) {
  assert.equal(r.session, outcome, `expected ${outcome}: ${r.content}`);
  assert.equal(r.sim.turn, 1, `a ${outcome} starts a fresh upstream session`);
  for (const s of others) assert.notEqual(r.sim.session, s, `a ${outcome} must not reuse session ${s}`);
  assert.match(r.sim.echo, TRANSCRIPT, `a ${outcome} with history sends the full transcript`);
}

describe('session reuse', () => {
  let gw;
  before(async () => {
    schemas();
    gw = await startGateway({ apiKeys: [K1, K2], poolSize: 3, askLog: true });
  });
  after(async () => {
    const exit = await gw?.stop();
    assert.equal(exit?.code, 0, `gateway exit: ${JSON.stringify(exit)}`);
  });

  test('a 5-turn conversation: one miss, then hits continuing one upstream session with only the new message', async () => {
    const conv = new Conversation(gw, { system: 'You answer in one line. five-turn system prompt' });
    const modes = ['raw', 'sdk-stream', 'sdk', 'raw-stream', 'raw'];
    const results = [];
    for (let k = 0; k < 5; k++) {
      const text = `five-turn question ${k + 1}`;
      results.push(await conv.say(text, { mode: modes[k] }));
    }
    const first = results[0];
    assert.equal(first.session, 'miss');
    assert.equal(first.sim.turn, 1);
    assert.match(first.sim.echo, /^\[+System instructions\]+\n/, 'turn 1 with a system message goes as a transcript');
    const session = first.sim.session;
    const firstAsk = askEntry(gw, session, 1);
    assert.equal(firstAsk.isReply, false);
    const firstLog = await gw.requestLog(first.requestId);
    assert.equal(firstLog.session, 'miss');
    assert.equal(firstLog.instance, firstAsk.instance, 'the log names the instance whose simulator got the ask');
    assert.equal(firstLog.prompt_bytes, firstAsk.processed_bytes);

    for (let k = 1; k < 5; k++) {
      const text = `five-turn question ${k + 1}`;
      const r = results[k];
      assertHit(r, { session, turn: k + 1, text });
      const ask = askEntry(gw, session, k + 1);
      assert.equal(ask.isReply, true, `turn ${k + 1} goes upstream with isReply=true`);
      assert.equal(ask.sessionId, session);
      assert.equal(ask.processed_bytes, Buffer.byteLength(text), `turn ${k + 1} sends only the new user message`);
      assert.ok(ask.processed_bytes < firstAsk.processed_bytes);
      assert.equal(ask.instance, firstAsk.instance, `turn ${k + 1} stays on the instance that holds the session`);
      const log = await gw.requestLog(r.requestId);
      assert.equal(log.session, 'hit');
      assert.equal(log.session_reason, 'cached session');
      assert.equal(log.instance, firstAsk.instance);
      assert.equal(log.prompt_bytes, Buffer.byteLength(text));
    }
    // The whole response of the last turn still is a valid chat completion.
    const res = await gw.postChat({ model: 'auto', messages: conv.next('five-turn question 6') }, { authorization: `Bearer ${K1}` });
    assert.equal(res.headers.get('x-lingma-session'), 'hit');
    const data = await res.json();
    assertSchema('CreateChatCompletionResponse', data);
    assert.equal(parseSimAnswer(data.choices[0].message.content).turn, 6);
  });

  test('50 concurrent conversations × 5 turns on 3 instances: each continues its own session on its own instance', async () => {
    const N = 50;
    const TURNS = 5;
    const before = await gw.stats();
    const runConversation = async (i) => {
      const conv = new Conversation(gw, i % 3 === 0 ? { system: `system of conversation ${i}` } : {});
      const turns = [];
      for (let k = 1; k <= TURNS; k++) {
        const text = `c${i} t${k} ${'z'.repeat(i % 5)}`;
        turns.push({ text, ...(await conv.say(text, { mode: (i + k) % 2 ? 'raw-stream' : 'raw' })) });
        await sleep((i * 7 + k * 3) % 11);
      }
      return turns;
    };
    const settled = await gw.withControl({ delta_delay_ms: 2 }, () =>
      Promise.allSettled(Array.from({ length: N }, (_, i) => runConversation(i))),
    );
    const failures = settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason?.stack ?? s.reason));
    assert.deepEqual(failures, [], `${failures.length} of ${N} conversations failed`);
    const conversations = settled.map((s) => s.value);

    const askLog = gw.askLog();
    const sessions = new Set();
    const perInstance = [0, 0, 0];
    for (const [i, turns] of conversations.entries()) {
      const session = turns[0].sim.session;
      assert.ok(!sessions.has(session), `conversation ${i} shares upstream session ${session} with another one`);
      sessions.add(session);
      assert.equal(turns[0].session, 'miss', `conversation ${i} turn 1`);
      for (const [k, t] of turns.entries()) {
        assert.equal(t.sim.session, session, `conversation ${i} turn ${k + 1} moved to another session`);
        assert.equal(t.sim.turn, k + 1, `conversation ${i} turn ${k + 1}: upstream turn number`);
        if (k > 0) {
          assert.equal(t.session, 'hit', `conversation ${i} turn ${k + 1}`);
          assert.equal(t.sim.echo, t.text, `conversation ${i} turn ${k + 1} got someone else's answer`);
        }
      }
      const logs = await Promise.all(turns.map((t) => gw.requestLog(t.requestId)));
      const instances = new Set(logs.map((l) => l.instance));
      assert.equal(instances.size, 1, `conversation ${i} was served by instances ${[...instances]}`);
      const asks = askLog.filter((e) => e.canonicalSessionId === session);
      assert.deepEqual(asks.map((e) => e.turn).sort((a, b) => a - b), [1, 2, 3, 4, 5], `conversation ${i}: asks of its session`);
      assert.deepEqual([...new Set(asks.map((e) => e.instance))], [...instances], `conversation ${i}: its asks reached one simulator, the logged one`);
      assert.deepEqual(asks.filter((e) => e.isReply).map((e) => e.turn).sort(), [2, 3, 4, 5]);
      perInstance[logs[0].instance] += 1;
    }
    assert.ok(perInstance.every((n) => n > 0), `every instance took conversations: ${perInstance}`);

    const afterStats = await gw.stats();
    assert.equal(afterStats.session_cache.hits - before.session_cache.hits, N * (TURNS - 1));
    assert.equal(afterStats.session_cache.misses - before.session_cache.misses, N);
    assert.equal(afterStats.session_cache.forks - before.session_cache.forks, 0);
    assert.equal(afterStats.session_cache.in_flight, 0);
    for (const inst of afterStats.instances) {
      assert.equal(inst.in_flight, 0);
      assert.equal(inst.active_turns, 0);
    }
  });

  test('an edited or regenerated assistant answer forks a fresh session; the new branch then hits', async () => {
    const conv = new Conversation(gw, { system: 'fork test system' });
    const t1 = await conv.say('fork: first question');
    const original = t1.sim.session;

    // Edited answer.
    const edited = [...conv.messages];
    edited[edited.length - 1] = { role: 'assistant', content: `${t1.content} (edited by the user)` };
    const branch = new Conversation(gw);
    branch.messages = edited;
    const forked = await branch.say('fork: second question');
    assertFresh(forked, 'fork', [original]);
    assert.equal((await gw.requestLog(forked.requestId)).session_reason, 'answer differs');
    assert.match(forked.sim.echo, /^\[+System instructions\]+\n/);
    const forkAsk = askEntry(gw, forked.sim.session, 1);
    assert.equal(forkAsk.isReply, false);
    assert.ok(forkAsk.processed_bytes > Buffer.byteLength(t1.content), 'the fork carried the whole transcript');

    const cont = await branch.say('fork: third question');
    assertHit(cont, { session: forked.sim.session, turn: 2, text: 'fork: third question' });
    const cont2 = await branch.say('fork: fourth question');
    assertHit(cont2, { session: forked.sim.session, turn: 3, text: 'fork: fourth question' });

    // Regenerated answer: the client asks the first turn again, then continues with the old answer.
    const regen = new Conversation(gw, { system: 'regenerate test system' });
    const a1 = await regen.say('regenerate: first question');
    const again = await sendOk(gw, [{ role: 'system', content: 'regenerate test system' }, { role: 'user', content: 'regenerate: first question' }]);
    assert.equal(again.session, 'miss');
    assert.notEqual(again.sim.session, a1.sim.session);
    const stale = await regen.say('regenerate: continue with the first answer');
    assertFresh(stale, 'fork', [a1.sim.session, again.sim.session]);
    assert.equal((await gw.requestLog(stale.requestId)).session_reason, 'answer differs');
    const staleNext = await regen.say('regenerate: and on');
    assertHit(staleNext, { session: stale.sim.session, turn: 2, text: 'regenerate: and on' });
  });

  test('two concurrent continuations of one prefix: exactly one hit, the other forks; neither corrupts the other', async () => {
    const base = new Conversation(gw, { system: 'race test system' });
    const t1 = await base.say('race: first question');
    const S = t1.sim.session;

    const a = new Conversation(gw);
    const b = new Conversation(gw);
    a.messages = [...base.messages];
    b.messages = [...base.messages];
    // Slow answers keep both turns in flight at once.
    const [ra, rb] = await gw.withControl({ delta_delay_ms: 80 }, () =>
      Promise.all([a.say('race: branch A'), b.say('race: branch B')]),
    );
    assert.deepEqual([ra.session, rb.session].sort(), ['fork', 'hit'], 'one hit and one fork');
    const [hit, hitConv, hitText] = ra.session === 'hit' ? [ra, a, 'A'] : [rb, b, 'B'];
    const [fork, forkConv, forkText] = ra.session === 'hit' ? [rb, b, 'B'] : [ra, a, 'A'];
    assertHit(hit, { session: S, turn: 2, text: `race: branch ${hitText}` });
    assertFresh(fork, 'fork', [S]);
    assert.equal((await gw.requestLog(fork.requestId)).session_reason, 'in use by a concurrent request');

    // Both branches continue in their own sessions.
    const h2 = await hitConv.say(`race: ${hitText} again`);
    assertHit(h2, { session: S, turn: 3, text: `race: ${hitText} again` });
    const f2 = await forkConv.say(`race: ${forkText} again`);
    assertHit(f2, { session: fork.sim.session, turn: 2, text: `race: ${forkText} again` });
    // Only one request ever appended to S.
    const asks = gw.askLog().filter((e) => e.canonicalSessionId === S);
    assert.deepEqual(asks.map((e) => e.turn).sort(), [1, 2, 3]);
  });

  test('a failed turn stores nothing: the retry is a miss with the full transcript, then hits resume', async () => {
    for (const mode of ['raw', 'raw-stream']) {
      const conv = new Conversation(gw, { system: `failure test system (${mode})` });
      const t1 = await conv.say(`fail ${mode}: first question`);
      const S = t1.sim.session;
      const messages = conv.next(`fail ${mode}: second question`);

      const knobs = mode === 'raw' ? { finish_status: 500 } : { finish_status: 500, error_after_deltas: 2 };
      const failed = await gw.withControl(knobs, () => send(gw, messages, { mode }));
      if (mode === 'raw') {
        assert.equal(failed.status, 502, `the failed turn: ${failed.text}`);
        assert.equal(JSON.parse(failed.text).error.code, 'upstream_error');
      } else {
        assert.equal(failed.status, 200, 'the stream had started');
        assert.equal(failed.session, 'hit');
        assert.equal(failed.streamError?.code, 'upstream_error', `the stream ends with an error event: ${failed.text}`);
        assert.doesNotMatch(failed.text, /\[DONE\]/);
      }
      const failedLog = await gw.requestLog(failed.requestId);
      assert.equal(failedLog.session, 'hit', 'the failed turn had continued the session');
      assert.equal(failedLog.outcome, 'upstream_error');
      assert.equal(askEntry(gw, S, 2).isReply, true);

      const retry = await sendOk(gw, messages, { mode });
      assertFresh(retry, 'miss', [S]);
      assert.equal((await gw.requestLog(retry.requestId)).session_reason, 'no cached session');
      assert.equal(askEntry(gw, retry.sim.session, 1).isReply, false);
      conv.messages = [...messages, { role: 'assistant', content: retry.content }];
      const t3 = await conv.say(`fail ${mode}: third question`);
      assertHit(t3, { session: retry.sim.session, turn: 2, text: `fail ${mode}: third question` });
    }
  });

  test('sessions are scoped by API key: the same conversation under another key never hits', async () => {
    const fingerprint = async (r) => (await gw.requestLog(r.requestId)).key;
    for (const headers of [{}, { 'X-Claude-Code-Session-Id': 'shared-client-session-id' }]) {
      const label = Object.keys(headers).length ? 'explicit id' : 'hashed prefix';
      const one = new Conversation(gw, { system: `scope test (${label})`, key: K1, headers });
      const t1 = await one.say('scope: first question');
      const messages = one.next('scope: second question');

      const other = await sendOk(gw, messages, { key: K2, headers });
      assertFresh(other, 'miss', [t1.sim.session]);
      const again = await sendOk(gw, messages, { key: K2, headers });
      assert.notEqual(again.session, 'hit', `${label}: key 2 must never continue key 1's session`);
      assert.notEqual(again.sim.session, t1.sim.session);

      // Key 1's conversation was left alone.
      const t2 = await sendOk(gw, messages, { key: K1, headers });
      assertHit(t2, { session: t1.sim.session, turn: 2, text: 'scope: second question' });

      const fp1 = await fingerprint(t1);
      const fp2 = await fingerprint(other);
      assert.match(fp1, /^key-[0-9a-f]{12}$/);
      assert.match(fp2, /^key-[0-9a-f]{12}$/);
      assert.notEqual(fp1, fp2);
      assert.equal(await fingerprint(t2), fp1);
    }
  });

  test('explicit conversation ids: each id continues its own session, whatever the formatting', async () => {
    // Two conversations with identical text are told apart only by their ids.
    const hints = [
      ['X-Claude-Code-Session-Id', (id) => ({ headers: { 'X-Claude-Code-Session-Id': id } })],
      ['prompt_cache_key', (id) => ({ body: { prompt_cache_key: id } })],
      ['metadata.user_id', (id) => ({ body: { metadata: { user_id: id } } })],
      ['user', (id) => ({ body: { user: id } })],
    ];
    for (const [name, options] of hints) {
      const a = new Conversation(gw, { system: `same text (${name})`, ...options(`${name}-conversation-a`) });
      const b = new Conversation(gw, { system: `same text (${name})`, ...options(`${name}-conversation-b`) });
      const a1 = await a.say('identical question');
      const b1 = await b.say('identical question');
      assert.notEqual(a1.sim.session, b1.sim.session);
      assertHit(await a.say('identical follow-up'), { session: a1.sim.session, turn: 2, text: 'identical follow-up' });
      assertHit(await b.say('identical follow-up'), { session: b1.sim.session, turn: 2, text: 'identical follow-up' });
    }
    // Without ids, identical conversations are one conversation: the later answer replaced the
    // earlier one, so the earlier conversation forks (and the fork abandons the cached session,
    // so the later one starts afresh too).
    const c = new Conversation(gw, { system: 'same text (no id)' });
    const d = new Conversation(gw, { system: 'same text (no id)' });
    const c1 = await c.say('identical question');
    const d1 = await d.say('identical question');
    assertFresh(await c.say('identical follow-up'), 'fork', [c1.sim.session, d1.sim.session]);
    assertFresh(await d.say('identical follow-up'), 'miss', [c1.sim.session, d1.sim.session]);

    // Re-formatted history still hits: content parts instead of strings, the answer re-wrapped.
    const header = { 'X-Claude-Code-Session-Id': 'claude-code-formatting-check' };
    const system = 'formatting check system prompt';
    const conv = new Conversation(gw, { system, headers: header });
    const f1 = await conv.say('formatting: first question');
    const rewrapped = `\n  ${f1.content.replace(/ /g, '\n')}  \n`;
    const parts = (text) => [{ type: 'text', text }];
    const reformatted = [
      { role: 'system', content: parts(system) },
      { role: 'user', content: parts('formatting: first question') },
      { role: 'assistant', content: parts(rewrapped) },
      { role: 'user', content: parts('formatting: second question') },
    ];
    const f2 = await sendOk(gw, reformatted, { headers: header, mode: 'sdk' });
    assertHit(f2, { session: f1.sim.session, turn: 2, text: 'formatting: second question' });
    conv.messages = [...conv.next('formatting: second question'), { role: 'assistant', content: f2.content }];

    // A sub-agent shares the session id but not the history: it never takes the main session.
    const agent = await sendOk(gw, conv.next('formatting: sub-agent question'), {
      headers: { ...header, 'X-Claude-Code-Agent-Id': 'agent-1' },
    });
    assertFresh(agent, 'miss', [f1.sim.session]);
    const f3 = await conv.say('formatting: third question');
    assertHit(f3, { session: f1.sim.session, turn: 3, text: 'formatting: third question' });

    // Same id, but an earlier user turn was edited: the history diverged, so a fresh session.
    const editedHistory = conv.next('formatting: fourth question');
    const userIndex = editedHistory.findIndex((m) => m.role === 'user' && m.content === 'formatting: second question');
    editedHistory[userIndex] = { role: 'user', content: 'formatting: second question, edited' };
    const diverged = await sendOk(gw, editedHistory, { headers: header });
    assertFresh(diverged, 'fork', [f1.sim.session]);
    assert.equal((await gw.requestLog(diverged.requestId)).session_reason, 'history diverged');
  });

  test('an instance killed mid-conversation: the conversation moves on with the full transcript, others keep hitting', async () => {
    const initial = await gw.stats();
    // Three conversations whose first turns run at once land on three different instances.
    const convs = [0, 1, 2].map((i) => new Conversation(gw, { system: `kill test conversation ${i}` }));
    const firsts = await gw.withControl({ delta_delay_ms: 40 }, () => Promise.all(convs.map((c, i) => c.say(`kill ${i}: first`))));
    const instanceOf = async (r) => (await gw.requestLog(r.requestId)).instance;
    const homes = await Promise.all(firsts.map(instanceOf));
    assert.deepEqual([...homes].sort(), [0, 1, 2], `the first turns were spread over the pool: ${homes}`);
    for (const [i, c] of convs.entries()) {
      const r = await c.say(`kill ${i}: second`);
      assertHit(r, { session: firsts[i].sim.session, turn: 2 });
      assert.equal(await instanceOf(r), homes[i]);
    }

    const victim = homes[0];
    const victimPid = initial.instances[victim].pid;
    assert.ok(victimPid > 0);
    process.kill(victimPid, 'SIGKILL');
    // The next turn goes at once, whether or not the gateway has noticed the death yet.
    const moved = await convs[0].say('kill 0: third');
    assertFresh(moved, 'miss', [firsts[0].sim.session]);
    assert.match(moved.sim.echo, /^\[+System instructions\]+\n/);
    const movedLog = await gw.requestLog(moved.requestId);
    assert.ok(
      ['instance restarted', 'instance unavailable', 'no cached session'].includes(movedLog.session_reason),
      `session_reason: ${movedLog.session_reason}`,
    );
    const movedAsk = askEntry(gw, moved.sim.session, 1);
    assert.equal(movedAsk.isReply, false);
    assert.equal(movedAsk.instance, movedLog.instance);
    for (const k of [4, 5]) {
      const r = await convs[0].say(`kill 0: turn ${k}`);
      assertHit(r, { session: moved.sim.session, turn: k - 2, text: `kill 0: turn ${k}` });
      assert.equal(await instanceOf(r), movedLog.instance, 'the moved conversation sticks to its new instance');
    }
    // The conversations on the other instances never noticed.
    for (const i of [1, 2]) {
      const r = await convs[i].say(`kill ${i}: third`);
      assertHit(r, { session: firsts[i].sim.session, turn: 3, text: `kill ${i}: third` });
      assert.equal(await instanceOf(r), homes[i]);
    }

    // The killed instance came back: restarted once, ready, a new process.
    let stats;
    const readyBy = Date.now() + 10_000;
    for (;;) {
      stats = await gw.stats();
      if (stats.instances[victim].state === 'ready' && stats.instances[victim].restarts >= 1) break;
      assert.ok(Date.now() < readyBy, `instance ${victim} did not come back: ${JSON.stringify(stats.instances[victim])}`);
      await sleep(25);
    }
    for (const inst of stats.instances) {
      const expected = initial.instances[inst.index].restarts + (inst.index === victim ? 1 : 0);
      assert.equal(inst.restarts, expected, `restarts of instance ${inst.index}`);
      assert.equal(inst.state, 'ready');
      if (inst.index === victim) assert.notEqual(inst.pid, victimPid);
      else assert.equal(inst.pid, initial.instances[inst.index].pid);
    }
  });
});

describe('session reuse disabled', () => {
  let gw;
  before(async () => {
    gw = await startGateway({ args: ['--session-reuse-enabled=false'], askLog: true });
  });
  after(async () => {
    await gw?.stop();
  });

  test('every response says off, every turn is a fresh session, and the prompts grow', async () => {
    const conv = new Conversation(gw, { key: null, headers: { 'X-Claude-Code-Session-Id': 'ignored-when-off' } });
    const results = [];
    for (let k = 1; k <= 4; k++) {
      results.push(await conv.say(`off: question ${k}`, { mode: k % 2 ? 'raw' : 'raw-stream' }));
    }
    const sessions = new Set();
    let lastBytes = 0;
    for (const [k, r] of results.entries()) {
      assert.equal(r.session, 'off', `turn ${k + 1}`);
      assert.equal(r.sim.turn, 1, `turn ${k + 1} starts a fresh upstream session`);
      sessions.add(r.sim.session);
      if (k > 0) assert.match(r.sim.echo, TRANSCRIPT);
      const ask = askEntry(gw, r.sim.session, 1);
      assert.equal(ask.isReply, false);
      assert.ok(ask.processed_bytes > lastBytes, `turn ${k + 1} sends more than turn ${k}: ${ask.processed_bytes} <= ${lastBytes}`);
      lastBytes = ask.processed_bytes;
      const log = await gw.requestLog(r.requestId);
      assert.equal(log.session, 'off');
      assert.equal(log.session_reason, 'session reuse disabled');
    }
    assert.equal(sessions.size, 4);
    const stats = await gw.stats();
    assert.equal(stats.session_cache.enabled, false);
    assert.equal(stats.session_cache.entries, 0);
    assert.equal(stats.session_cache.hits, 0);
  });

  test('Lingma keeps none of those sessions: each is deleted once its turn ended', async () => {
    // The simulator writes its counters, live sessions among them, when the gateway stops it.
    const conv = new Conversation(gw, { key: null });
    for (let k = 1; k <= 3; k++) await conv.say(`off again: question ${k}`, { mode: k % 2 ? 'raw' : 'raw-stream' });
    await gw.stop({ keepDir: true });
    try {
      const sim = JSON.parse(fs.readFileSync(path.join(gw.dir, 'work', 'inst-0', 'sim-stats.json'), 'utf8'));
      assert.ok(sim.turns_finished >= 7, JSON.stringify(sim));  // 3 turns here, 4 in the test above
      assert.equal(sim.sessions, 0, JSON.stringify(sim));
    } finally {
      fs.rmSync(gw.dir, { recursive: true, force: true });
      gw = null;
    }
  });
});
