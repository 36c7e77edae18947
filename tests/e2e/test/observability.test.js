// Operator surfaces: Prometheus /metrics (checked by promtool), /internal/stats, and the JSON-lines
// request log, including what must never appear in it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';

import {
  GATEWAY_BIN, assertRequestId, checkChatStream, parseSimAnswer, parseSse, schemas, sleep, startGateway,
} from './helpers.js';

const KEY = 'sk-observability-client-key-5e1f';
const ADMIN_KEY = 'admin-observability-key-93c7';
const WRONG_KEY = 'sk-observability-wrong-key-d40b';
// Distinctive text in every prompt: it must never show up in the logs.
const MARK = 'PROMPT-TEXT-c0ffee';
const SIM_TOKENS = ['pt-sim-secret', 'rt-sim-secret'];


// ---------------------------------------------------------------------------------------------
// Prometheus text format 0.0.4

function parseLabels(text) {
  const labels = {};
  if (!text) return labels;
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
  let m;
  while (re.lastIndex < text.length && (m = re.exec(text))) labels[m[1]] = m[2];
  assert.equal(re.lastIndex, text.length, `malformed label set {${text}}`);
  return labels;
}

function parseValue(text) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const v = Number(text);
  assert.ok(text === 'NaN' || !Number.isNaN(v), `malformed sample value ${text}`);
  return v;
}

// Parses an exposition and checks what a scraper relies on: every sample belongs to a family with
// HELP and TYPE, no series twice, histograms cumulative with +Inf = _count and a _sum.
function parseMetrics(text) {
  const help = new Map();
  const types = new Map();
  const samples = [];
  const seen = new Set();
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line))) {
      assert.ok(!help.has(m[1]), `HELP ${m[1]} twice`);
      help.set(m[1], m[2]);
    } else if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      assert.ok(!types.has(m[1]), `TYPE ${m[1]} twice`);
      types.set(m[1], m[2]);
    } else {
      assert.ok(!line.startsWith('#'), `unexpected comment line: ${line}`);
      m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(m, `malformed sample line: ${JSON.stringify(line)}`);
      const key = `${m[1]}{${m[2] ?? ''}}`;
      assert.ok(!seen.has(key), `series ${key} twice`);
      seen.add(key);
      samples.push({ name: m[1], labels: parseLabels(m[2]), value: parseValue(m[3]) });
    }
  }
  const familyOf = (name) => {
    if (types.has(name)) return name;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return types.get(base) === 'histogram' || types.get(base) === 'summary' ? base : name;
  };
  for (const s of samples) {
    const family = familyOf(s.name);
    assert.ok(types.has(family), `sample ${s.name} has no # TYPE line`);
    assert.ok(help.has(family), `sample ${s.name} has no # HELP line`);
    if (types.get(family) === 'counter') assert.ok(s.value >= 0, `counter ${s.name} is negative`);
  }
  // Histograms: per label set (without le), cumulative buckets ending in +Inf = _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map();
    for (const s of samples.filter((x) => familyOf(x.name) === family)) {
      const { le, ...rest } = s.labels;
      const id = JSON.stringify(Object.entries(rest).sort());
      if (!groups.has(id)) groups.set(id, { buckets: [], sum: undefined, count: undefined });
      const g = groups.get(id);
      if (s.name === `${family}_bucket`) g.buckets.push({ le: parseValue(le), value: s.value });
      else if (s.name === `${family}_sum`) g.sum = s.value;
      else if (s.name === `${family}_count`) g.count = s.value;
      else assert.fail(`unexpected sample ${s.name} in histogram ${family}`);
    }
    for (const [id, g] of groups) {
      assert.ok(g.buckets.length > 0 && g.sum !== undefined && g.count !== undefined, `${family}${id}: buckets, _sum and _count`);
      for (let i = 1; i < g.buckets.length; i++) {
        assert.ok(g.buckets[i].le > g.buckets[i - 1].le, `${family}${id}: le ascending`);
        assert.ok(g.buckets[i].value >= g.buckets[i - 1].value, `${family}${id}: buckets cumulative`);
      }
      assert.equal(g.buckets.at(-1).le, Infinity, `${family}${id}: last bucket is +Inf`);
      assert.equal(g.buckets.at(-1).value, g.count, `${family}${id}: +Inf bucket = _count`);
    }
  }
  // The value of one series (0 when absent); labels must match exactly.
  const get = (name, labels = {}) => {
    const want = Object.entries(labels).sort();
    const found = samples.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(want));
    assert.ok(found.length <= 1);
    return found[0]?.value ?? 0;
  };
  return { help, types, samples, get };
}

// `promtool check metrics` with the exposition on stdin. promtool comes from the Debian package
// `prometheus` (scripts/install-deps.sh installs it).
function promtoolCheck(text) {
  return new Promise((resolve, reject) => {
    const proc = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    proc.once('error', (err) => {
      if (err.code === 'ENOENT') {
        reject(new Error('promtool not found on PATH: install the Debian package "prometheus" (scripts/install-deps.sh does) to run this test'));
      } else {
        reject(err);
      }
    });
    proc.once('close', (code) => resolve({ code, out }));
    proc.stdin.on('error', () => {}); // reported through 'error' / the exit code
    proc.stdin.end(text);
  });
}

// ---------------------------------------------------------------------------------------------

const auth = (key = KEY) => ({ authorization: `Bearer ${key}` });

// A chat request; returns status, headers of interest, the parsed answer and usage.
async function chat(gw, messages, { stream = false, key = KEY, body = {} } = {}) {
  const request = { model: 'auto', messages, ...body, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) };
  const res = await gw.postChat(request, key ? auth(key) : {});
  const out = { status: res.status, session: res.headers.get('x-lingma-session'), requestId: assertRequestId(res) };
  const text = await res.text();
  if (res.status !== 200) return { ...out, text };
  if (stream) {
    const streamed = checkChatStream(parseSse(text), { includeUsage: true });
    return { ...out, content: streamed.content, usage: streamed.usage };
  }
  const data = JSON.parse(text);
  return { ...out, content: data.choices[0].message.content, usage: data.usage };
}

describe('observability', () => {
  let gw;
  before(async () => {
    schemas();
    gw = await startGateway({
      apiKeys: [KEY],
      poolSize: 3,
      args: ['--admin-api-key', ADMIN_KEY, '--log-level', 'debug'],
    });
  });
  after(async () => {
    const exit = await gw?.stop();
    assert.equal(exit?.code, 0, `gateway exit: ${JSON.stringify(exit)}`);
  });

  test('/metrics counts a known sequence of requests by route, status, session outcome and turn', async () => {
    const before = parseMetrics(await gw.metricsText());
    const statsBefore = await gw.stats();

    const models = await gw.fetch('/v1/models', { headers: auth() });
    assert.equal(models.status, 200);
    await models.arrayBuffer();

    // A conversation: miss, hit (stream), hit, a hit that fails upstream, its retry (a miss), and
    // an edited answer that forks.
    const sys = { role: 'system', content: `metrics system prompt ${MARK}` };
    const ok = [];
    let messages = [sys, { role: 'user', content: `metrics turn 1 ${MARK}` }];
    const t1 = await chat(gw, messages);
    ok.push(t1);
    messages = [...messages, { role: 'assistant', content: t1.content }, { role: 'user', content: `metrics turn 2 ${MARK}` }];
    const t2 = await chat(gw, messages, { stream: true });
    ok.push(t2);
    messages = [...messages, { role: 'assistant', content: t2.content }, { role: 'user', content: `metrics turn 3 ${MARK}` }];
    const t3 = await chat(gw, messages);
    ok.push(t3);
    messages = [...messages, { role: 'assistant', content: t3.content }, { role: 'user', content: `metrics turn 4 ${MARK}` }];
    const failed = await gw.withControl({ finish_status: 500 }, () => chat(gw, messages));
    assert.equal(failed.status, 502, failed.text);
    const retry = await chat(gw, messages);
    ok.push(retry);
    const edited = [...messages, { role: 'assistant', content: `${retry.content} edited` }, { role: 'user', content: `metrics branch ${MARK}` }];
    const fork = await chat(gw, edited);
    ok.push(fork);
    assert.deepEqual(ok.map((r) => r.status), [200, 200, 200, 200, 200]);
    assert.deepEqual(ok.map((r) => r.session), ['miss', 'hit', 'hit', 'miss', 'fork']);
    assert.equal((await gw.requestLog(failed.requestId)).session, 'hit');

    // Rejected before any turn: no key, a wrong key, an invalid body.
    const noKey = await chat(gw, [{ role: 'user', content: `no key ${MARK}` }], { key: null });
    const wrongKey = await chat(gw, [{ role: 'user', content: `wrong key ${MARK}` }], { key: WRONG_KEY });
    assert.equal(noKey.status, 401);
    assert.equal(wrongKey.status, 401);
    const invalid = await gw.postChat({ model: 'auto' }, auth());
    assert.equal(invalid.status, 400);
    await invalid.arrayBuffer();

    const text = await gw.metricsText();
    const m = parseMetrics(text);
    const delta = (name, labels) => m.get(name, labels) - before.get(name, labels);
    const route = '/v1/chat/completions';
    const req = (status, r = route) => delta('lingma_gateway_http_requests_total', { route: r, status: String(status) });
    assert.equal(req(200), 5, 'chat 200s');
    assert.equal(req(401), 2, 'chat 401s');
    assert.equal(req(400), 1, 'chat 400s');
    assert.equal(req(502), 1, 'chat 502s');
    assert.equal(req(200, '/v1/models'), 1, 'models 200s');
    assert.equal(req(200, '/metrics'), 1, 'the first scrape is counted by the second');
    assert.equal(delta('lingma_gateway_http_request_duration_seconds_count', { route }), 9, 'every chat request is timed');
    assert.ok(delta('lingma_gateway_http_request_duration_seconds_sum', { route }) > 0);

    assert.equal(delta('lingma_gateway_session_cache_hits_total'), 3, 'hits: turns 2, 3 and the failed turn');
    assert.equal(delta('lingma_gateway_session_cache_misses_total'), 2, 'misses: turn 1 and the retry');
    assert.equal(delta('lingma_gateway_session_cache_forks_total'), 1);
    assert.equal(delta('lingma_gateway_session_cache_evictions_total'), 0);
    assert.equal(delta('lingma_gateway_session_cache_expirations_total'), 0);
    const turns = (outcome, session) => delta('lingma_gateway_turns_total', { outcome, session });
    assert.equal(turns('ok', 'miss'), 2);
    assert.equal(turns('ok', 'hit'), 2);
    assert.equal(turns('ok', 'fork'), 1);
    assert.equal(turns('upstream_error', 'hit'), 1);

    // Six turns reached Lingma; five produced tokens.
    const turnRequests = [...ok, failed];
    const logs = await Promise.all(turnRequests.map((r) => gw.requestLog(r.requestId)));
    const promptBytes = logs.reduce((sum, l) => sum + l.prompt_bytes, 0);
    assert.equal(delta('lingma_gateway_upstream_prompt_bytes_count'), 6);
    assert.equal(delta('lingma_gateway_upstream_prompt_bytes_sum'), promptBytes);
    assert.equal(delta('lingma_gateway_upstream_prompt_bytes_total'), promptBytes);
    assert.equal(delta('lingma_gateway_time_to_first_token_seconds_count'), 5);
    assert.equal(delta('lingma_gateway_tokens_total', { kind: 'prompt' }), ok.reduce((s, r) => s + r.usage.prompt_tokens, 0));
    assert.equal(delta('lingma_gateway_tokens_total', { kind: 'completion' }), ok.reduce((s, r) => s + r.usage.completion_tokens, 0));

    // Gauges.
    assert.equal(m.get('lingma_gateway_instances', { state: 'ready' }), 3);
    for (const state of ['stopped', 'starting', 'reconnecting', 'failed', 'closed']) {
      assert.equal(m.get('lingma_gateway_instances', { state }), 0, `instances{state="${state}"}`);
    }
    assert.equal(m.get('lingma_gateway_instance_restarts_total'), 0);
    assert.equal(m.get('lingma_gateway_requests_waiting'), 0);
    const inFlight = m.get('lingma_gateway_http_requests_in_flight');
    assert.ok(inFlight >= 0 && inFlight <= 1, `in flight while idle (the scrape itself at most): ${inFlight}`);
    // The cache numbers agree with /internal/stats.
    const stats = await gw.stats();
    assert.equal(m.get('lingma_gateway_session_cache_entries'), stats.session_cache.entries);
    assert.equal(m.get('lingma_gateway_session_cache_hits_total'), stats.session_cache.hits);
    assert.equal(m.get('lingma_gateway_session_cache_misses_total'), stats.session_cache.misses);
    assert.equal(m.get('lingma_gateway_session_cache_forks_total'), stats.session_cache.forks);
    assert.equal(stats.session_cache.hits - statsBefore.session_cache.hits, 3);

    // Every family the gateway documents is there, with the right type.
    const expected = {
      lingma_gateway_http_requests_total: 'counter',
      lingma_gateway_http_request_duration_seconds: 'histogram',
      lingma_gateway_time_to_first_token_seconds: 'histogram',
      lingma_gateway_http_requests_in_flight: 'gauge',
      lingma_gateway_instances: 'gauge',
      lingma_gateway_instance_restarts_total: 'counter',
      lingma_gateway_session_cache_hits_total: 'counter',
      lingma_gateway_session_cache_misses_total: 'counter',
      lingma_gateway_session_cache_forks_total: 'counter',
      lingma_gateway_session_cache_evictions_total: 'counter',
      lingma_gateway_session_cache_expirations_total: 'counter',
      lingma_gateway_session_cache_entries: 'gauge',
      lingma_gateway_upstream_prompt_bytes: 'histogram',
      lingma_gateway_upstream_prompt_bytes_total: 'counter',
      lingma_gateway_tokens_total: 'counter',
      lingma_gateway_turns_total: 'counter',
      lingma_gateway_requests_waiting: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) assert.equal(m.types.get(name), type, `# TYPE ${name}`);
  });

  test('promtool check metrics accepts the exposition', async () => {
    // Make sure every kind of series exists: a streamed turn, a 404, a stats call.
    const r = await chat(gw, [{ role: 'user', content: `promtool ${MARK}` }], { stream: true });
    assert.equal(r.status, 200);
    await (await gw.fetch('/no/such/path')).arrayBuffer();
    await gw.stats();
    const res = await gw.fetch('/metrics');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assertRequestId(res);
    const text = await res.text();
    parseMetrics(text);
    const { code, out } = await promtoolCheck(text);
    assert.equal(code, 0, `promtool check metrics failed (exit ${code}):\n${out}`);
  });

  test('/internal/stats: shape, live turn counts and cache numbers', async () => {
    const version = /lingma-gateway (\S+)/.exec(spawnSync(GATEWAY_BIN, ['--version'], { encoding: 'utf8' }).stdout)?.[1];
    assert.ok(version, 'lingma-gateway --version prints a version');
    const idle = await gw.stats();
    assert.deepEqual(Object.keys(idle).sort(), ['instances', 'open_connections', 'requests_waiting', 'session_cache', 'simulator', 'uptime_seconds', 'version']);
    assert.equal(idle.version, version);
    assert.ok(Number.isInteger(idle.uptime_seconds) && idle.uptime_seconds >= 0);
    assert.equal(idle.simulator, true);
    assert.equal(idle.requests_waiting, 0);
    assert.ok(Number.isInteger(idle.open_connections) && idle.open_connections >= 1, 'this request is an open connection');
    assert.equal(idle.instances.length, 3);
    const ready = await gw.readyBody();
    for (const [i, inst] of idle.instances.entries()) {
      assert.deepEqual(Object.keys(inst).sort(), ['active_turns', 'in_flight', 'index', 'last_error', 'logged_in', 'pid', 'port', 'restarts', 'state', 'unread_bytes']);
      assert.equal(inst.index, i);
      assert.equal(inst.state, 'ready');
      assert.ok(Number.isInteger(inst.pid) && inst.pid > 0);
      process.kill(inst.pid, 0); // a live process
      assert.ok(Number.isInteger(inst.port) && inst.port > 0 && inst.port < 65536);
      assert.equal(inst.in_flight, 0);
      assert.equal(inst.active_turns, 0);
      assert.ok(Number.isInteger(inst.unread_bytes) && inst.unread_bytes >= 0);
      assert.equal(inst.restarts, 0);
      assert.equal(inst.logged_in, true);
      assert.equal(inst.last_error, null);
      assert.equal(ready.body.instances[i].pid, inst.pid, '/ready and /internal/stats agree');
    }
    assert.equal(new Set(idle.instances.map((i) => i.pid)).size, 3, 'three simulator processes');
    assert.equal(new Set(idle.instances.map((i) => i.port)).size, 3);
    const cache = idle.session_cache;
    assert.deepEqual(Object.keys(cache).sort(), ['enabled', 'entries', 'evictions', 'expirations', 'forks', 'hits', 'in_flight', 'misses']);
    assert.equal(cache.enabled, true);
    assert.equal(cache.in_flight, 0);
    for (const k of ['entries', 'evictions', 'expirations', 'forks', 'hits', 'misses']) {
      assert.ok(Number.isInteger(cache[k]) && cache[k] >= 0, `session_cache.${k}`);
    }

    // One slow turn: its instance shows it, then everything is idle again.
    const pending = gw.withControl({ deltas: 4, delta_delay_ms: 150 }, () => chat(gw, [{ role: 'user', content: `stats ${MARK}` }]));
    let busy;
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      busy = await gw.stats();
      if (busy.instances.some((i) => i.active_turns > 0)) break;
      await sleep(10);
    }
    const r = await pending;
    assert.equal(r.status, 200);
    const running = busy.instances.filter((i) => i.active_turns > 0);
    assert.equal(running.length, 1, `one instance runs the turn: ${JSON.stringify(busy.instances)}`);
    assert.equal(running[0].active_turns, 1);
    assert.equal(running[0].in_flight, 1);
    assert.equal(busy.session_cache.in_flight, 1);
    assert.equal(running[0].index, (await gw.requestLog(r.requestId)).instance, 'the logged instance ran it');

    const done = await gw.stats();
    assert.equal(done.session_cache.misses - idle.session_cache.misses, 1);
    assert.equal(done.session_cache.entries - idle.session_cache.entries, 1);
    assert.equal(done.session_cache.in_flight, 0);
    assert.ok(done.instances.every((i) => i.in_flight === 0 && i.active_turns === 0));
    assert.ok(done.uptime_seconds >= idle.uptime_seconds);
  });

  test('operator endpoints need no ADMIN_API_KEY from loopback; the admin key is no client key', async () => {
    for (const headers of [{}, auth(), auth(WRONG_KEY)]) {
      for (const path of ['/internal/stats', '/metrics']) {
        const res = await gw.fetch(path, { headers });
        assert.equal(res.status, 200, `${path} with ${JSON.stringify(Object.keys(headers))}`);
        await res.arrayBuffer();
      }
      const login = await gw.fetch('/internal/login', { method: 'POST', headers });
      assert.equal(login.status, 200);
      assert.match((await login.json()).message, /no ready lingma instance needs a login/i);
    }
    const unknown = await gw.fetch('/internal/nothing-here');
    assert.equal(unknown.status, 404);
    await unknown.arrayBuffer();
    const adminAsClient = await gw.fetch('/v1/models', { headers: auth(ADMIN_KEY) });
    assert.equal(adminAsClient.status, 401);
    await adminAsClient.arrayBuffer();
  });

  test('http.request log lines: request id, key fingerprint, instance, session, outcome, timings', async () => {
    const messages = [{ role: 'user', content: `log turn 1 ${MARK}` }];
    const r1 = await chat(gw, messages);
    const r2 = await chat(gw, [...messages, { role: 'assistant', content: r1.content }, { role: 'user', content: `log turn 2 ${MARK}` }], { stream: true });
    const denied = await chat(gw, messages, { key: WRONG_KEY });
    const fingerprints = new Set();
    for (const [r, session] of [[r1, 'miss'], [r2, 'hit']]) {
      assert.equal(r.status, 200);
      assert.equal(r.session, session);
      const log = await gw.requestLog(r.requestId);
      assert.equal(log.level, 'info');
      assert.ok(!Number.isNaN(Date.parse(log.ts)), `ts ${log.ts}`);
      assert.equal(log.request_id, r.requestId, 'request_id = X-Request-Id');
      assert.equal(log.method, 'POST');
      assert.equal(log.path, '/v1/chat/completions');
      assert.equal(log.status, 200);
      assert.match(log.key, /^key-[0-9a-f]{12}$/, 'the key as a fingerprint');
      fingerprints.add(log.key);
      assert.ok(Number.isInteger(log.instance) && log.instance >= 0 && log.instance < 3);
      assert.equal(log.session, session, 'session = X-Lingma-Session');
      assert.equal(log.outcome, 'ok');
      assert.ok(Number.isInteger(log.latency_us) && log.latency_us > 0);
      assert.ok(Number.isInteger(log.ttft_us) && log.ttft_us > 0 && log.ttft_us <= log.latency_us, `ttft_us ${log.ttft_us} vs latency_us ${log.latency_us}`);
      assert.ok(Number.isInteger(log.prompt_bytes) && log.prompt_bytes > 0);
      assert.equal(parseSimAnswer(r.content).turn, session === 'hit' ? 2 : 1);
    }
    assert.equal(fingerprints.size, 1, 'one key, one fingerprint');
    assert.equal((await gw.requestLog(r1.requestId)).instance, (await gw.requestLog(r2.requestId)).instance);
    assert.equal((await gw.requestLog(r2.requestId)).streamed, true);

    assert.equal(denied.status, 401);
    const deniedLog = await gw.requestLog(denied.requestId);
    assert.equal(deniedLog.status, 401);
    assert.ok(!fingerprints.has(deniedLog.key), 'a rejected key is not logged as the valid one');
    assert.equal(deniedLog.session, undefined, 'no turn ran');

    // Every request id is logged once.
    const ids = gw.logEntries('http.request').map((e) => e.request_id);
    assert.equal(new Set(ids).size, ids.length, 'one http.request line per request');
  });

  test('logs never hold API keys, prompts, answers or Lingma tokens', async () => {
    // Also a failing stream and an invalid request carrying prompt text.
    const failed = await gw.withControl({ finish_status: 500, error_after_deltas: 1 }, () =>
      gw.postChat({ model: 'auto', stream: true, messages: [{ role: 'user', content: `failing ${MARK}` }] }, auth()));
    await failed.text();
    const bad = await gw.postChat({ model: 'auto', messages: [{ role: 'user', content: [{ type: 'bogus', text: MARK }] }] }, auth());
    assert.equal(bad.status, 400);
    await bad.text();
    await gw.requestLog(failed.headers.get('x-request-id'));
    await gw.requestLog(bad.headers.get('x-request-id'));

    const lines = gw.stderr;
    assert.ok(lines.length > 20 && lines.length < 5000, `all ${lines.length} log lines are in view`);
    assert.ok(gw.logEntries('config').length > 0, 'debug logging is on, so the check covers it');
    const forbidden = [
      [KEY, 'the client API key'],
      [WRONG_KEY, 'a rejected API key'],
      [ADMIN_KEY, 'the admin key'],
      [MARK, 'prompt text'],
      ['[sim turn=', 'answer text'],
      ...SIM_TOKENS.map((t) => [t, "a token from Lingma's auth/status"]),
    ];
    for (const line of lines) {
      for (const [needle, what] of forbidden) {
        assert.ok(!line.includes(needle), `${what} in a log line: ${line}`);
      }
    }
  });
});

// An address of this machine that is not loopback: connecting to it makes the gateway see a
// non-loopback peer without faking anything.
function externalAddress() {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return null;
}

describe('operator endpoints from a non-loopback peer', () => {
  const address = externalAddress();
  let gw;
  before(async () => {
    if (!address) return;
    gw = await startGateway({ apiKeys: [KEY], args: ['--host', '0.0.0.0', '--admin-api-key', ADMIN_KEY] });
  });
  after(async () => {
    await gw?.stop();
  });

  test('/internal/* and /metrics need ADMIN_API_KEY; the OpenAI API and /health do not', { skip: address ? false : 'this machine has no non-loopback IPv4 address' }, async () => {
    const remote = (path, init = {}) => fetch(`http://${address}:${gw.port}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const routes = [['GET', '/internal/stats'], ['GET', '/metrics'], ['POST', '/internal/login']];
    for (const [method, path] of routes) {
      for (const headers of [{}, auth(), auth(WRONG_KEY)]) {
        const res = await remote(path, { method, headers });
        const text = await res.text();
        assert.equal(res.status, 403, `${method} ${path} from ${address} with ${JSON.stringify(Object.keys(headers))}: ${text}`);
        assertRequestId(res);
        const body = JSON.parse(text);
        assert.equal(body.error.type, 'permission_error');
        assert.equal(body.error.code, 'forbidden');
      }
      for (const headers of [auth(ADMIN_KEY), { 'x-api-key': ADMIN_KEY }]) {
        const res = await remote(path, { method, headers });
        assert.equal(res.status, 200, `${method} ${path} with the admin key: ${await res.clone().text()}`);
        await res.arrayBuffer();
      }
    }
    const stats = await (await remote('/internal/stats', { headers: auth(ADMIN_KEY) })).json();
    assert.equal(stats.instances.length, 1);
    const models = await remote('/v1/models', { headers: auth() });
    assert.equal(models.status, 200);
    await models.arrayBuffer();
    const health = await remote('/health');
    assert.equal(health.status, 200);
    await health.arrayBuffer();
    // The denied calls left no trace of the keys in the log either.
    for (const line of gw.stderr) {
      for (const key of [KEY, WRONG_KEY, ADMIN_KEY]) assert.ok(!line.includes(key), `a key in a log line: ${line}`);
    }
  });
});
