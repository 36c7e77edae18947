// Shared pieces of the end-to-end suite: a real `lingma-gateway --simulator` process per test
// file, the simulator's control file, raw HTTP/SSE helpers and OpenAPI schema validation.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import OpenAI from 'openai';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Relative paths in LGW_BUILD_DIR / SPEC_DIR are taken relative to tests/e2e.
export const BUILD_DIR = path.resolve(E2E_DIR, process.env.LGW_BUILD_DIR || '../../build/debug');
export const SPEC_DIR = path.resolve(E2E_DIR, process.env.SPEC_DIR || '../../../shared/specs');
export const SPEC_PATH = path.join(SPEC_DIR, 'openai-openapi.yaml');
export const GATEWAY_BIN = path.join(BUILD_DIR, 'lingma-gateway');

const START_TIMEOUT_MS = 15_000;
// Name of the simulator's ask log with startGateway({askLog: true}). Relative: every lingma-sim
// runs in its instance's work dir, so each instance gets a log of its own.
const ASK_LOG_NAME = 'ask.jsonl';
const STOP_TIMEOUT_MS = 10_000;

// Settings the gateway or the simulator would pick up from the environment; the suite passes
// everything it wants explicitly, so stray values from the caller's shell must not leak in.
const GATEWAY_ENV_NAMES = new Set([
  'HOST', 'PORT', 'API_KEYS', 'LOG_LEVEL', 'MAX_BODY_BYTES', 'CORS_ALLOW_ORIGINS',
  'SSE_KEEPALIVE_INTERVAL', 'DEFAULT_MODEL', 'DEFAULT_ASK_MODE', 'SIMULATOR', 'ENV_FILE',
  'ADMIN_API_KEY', 'SESSION_REUSE_ENABLED', 'SESSION_CACHE_MAX_ENTRIES', 'SESSION_CACHE_TTL_SEC',
]);

function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('LINGMA_') || GATEWAY_ENV_NAMES.has(k)) continue;
    env[k] = v;
  }
  // Loopback traffic must never go through a proxy from the caller's shell.
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost';
  return { ...env, ...extra };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function writeJsonAtomic(file, value) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(value));
  fs.renameSync(tmp, file);
}

export class Gateway {
  constructor({ proc, dir, port, stderr }) {
    this.proc = proc;
    this.dir = dir;
    this.port = port;
    this.stderr = stderr; // every stderr line so far (JSON log lines)
    this.url = `http://127.0.0.1:${port}`;
    this.controlPath = path.join(dir, 'control.json');
    this.exit = new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        resolve({ code: proc.exitCode, signal: proc.signalCode });
      } else {
        proc.once('exit', (code, signal) => resolve({ code, signal }));
      }
    });
  }

  // Knobs of the simulator, re-read by it on every chat/ask.
  setControl(knobs) {
    writeJsonAtomic(this.controlPath, knobs);
  }

  clearControl() {
    fs.rmSync(this.controlPath, { force: true });
  }

  // Runs fn with the given knobs in force, then removes them.
  async withControl(knobs, fn) {
    this.setControl(knobs);
    try {
      return await fn();
    } finally {
      this.clearControl();
    }
  }

  // Every JSON line the gateway logged so far (other stderr lines are skipped).
  logEntries(event) {
    const entries = [];
    for (const line of this.stderr) {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      if (event === undefined || entry.event === event) entries.push(entry);
    }
    return entries;
  }

  // Waits for a log entry matching the predicate (a streamed request is logged after its last
  // byte, and stderr arrives on its own schedule).
  async waitForLog(predicate, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logEntries().find(predicate);
      if (found) return found;
      if (Date.now() >= deadline) {
        throw new Error(`no matching gateway log line within ${timeoutMs} ms; last lines:\n${this.stderr.slice(-10).join('\n')}`);
      }
      await sleep(20);
    }
  }

  // The `http.request` log entry of the response's X-Request-Id.
  async requestLog(requestId, timeoutMs) {
    return this.waitForLog((e) => e.event === 'http.request' && e.request_id === requestId, timeoutMs);
  }

  // The simulators' ask logs (started with askLog: true): one entry per chat/ask, oldest first
  // per instance, each tagged with the index of the instance whose simulator wrote it.
  askLog() {
    const entries = [];
    const work = path.join(this.dir, 'work');
    for (const name of fs.existsSync(work) ? fs.readdirSync(work) : []) {
      const m = /^inst-(\d+)$/.exec(name);
      const file = path.join(work, name, ASK_LOG_NAME);
      if (!m || !fs.existsSync(file)) continue;
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() !== '') entries.push({ ...JSON.parse(line), instance: Number(m[1]) });
      }
    }
    return entries;
  }

  // GET /internal/stats as JSON.
  async stats() {
    const res = await this.fetch('/internal/stats');
    const text = await res.text();
    assert.equal(res.status, 200, `GET /internal/stats: ${text}`);
    return JSON.parse(text);
  }

  // GET /metrics as text.
  async metricsText() {
    const res = await this.fetch('/metrics');
    const text = await res.text();
    assert.equal(res.status, 200, `GET /metrics: ${text}`);
    return text;
  }

  client(options = {}) {
    return new OpenAI({
      apiKey: 'unused',
      baseURL: `${this.url}/v1`,
      maxRetries: 0,
      timeout: 15_000,
      ...options,
    });
  }

  async fetch(urlPath, init = {}) {
    return fetch(this.url + urlPath, { ...init, signal: init.signal ?? AbortSignal.timeout(15_000) });
  }

  // POST /v1/chat/completions with a raw body (object → JSON, string → as is).
  async postChat(body, headers = {}) {
    return this.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async readyBody() {
    const res = await this.fetch('/ready');
    return { status: res.status, body: await res.json() };
  }

  // Waits until the predicate holds for GET /ready (default: HTTP 200).
  async waitReady(predicate = (r) => r.status === 200, timeoutMs = START_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) break;
      try {
        last = await this.readyBody();
        if (predicate(last)) return last;
      } catch (err) {
        last = err;
      }
      await sleep(50);
    }
    throw new Error(
      `gateway on port ${this.port} did not become ready: last /ready = ${JSON.stringify(last?.body ?? String(last))}\n` +
        this.stderr.slice(-20).join('\n'),
    );
  }

  // SIGTERM, then wait for the gateway (which stops its lingma-sim children) to exit.
  async stop({ keepDir = false } = {}) {
    let result;
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      let timer;
      const timeout = new Promise((r) => {
        timer = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS);
      });
      result = await Promise.race([this.exit, timeout]);
      clearTimeout(timer);
      if (result === 'timeout') {
        this.proc.kill('SIGKILL');
        await this.exit;
        throw new Error(`gateway did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
      }
    } else {
      result = await this.exit;
    }
    if (!keepDir) fs.rmSync(this.dir, { recursive: true, force: true });
    return result;
  }
}

// Starts `lingma-gateway --simulator --port 0` in a fresh temporary directory.
//   apiKeys: ['k1', 'k2'] → --api-keys; poolSize → --lingma-pool-size; args: more flags;
//   env: extra environment (e.g. LINGMA_SIM_AUTH); control: initial control-file knobs;
//   script: [{match|regex, reply}] for LINGMA_SIM_SCRIPT;
//   ready: predicate on {status, body} of GET /ready to wait for (default status 200);
//   askLog: true → every simulator keeps an ask log, read with gateway.askLog().
export async function startGateway({ apiKeys, poolSize, args = [], env = {}, control, script, ready, askLog } = {}) {
  if (!fs.existsSync(GATEWAY_BIN)) {
    throw new Error(`gateway binary not found at ${GATEWAY_BIN}; build it or set LGW_BUILD_DIR`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgw-e2e-'));
  const controlPath = path.join(dir, 'control.json');
  if (control) writeJsonAtomic(controlPath, control);
  const extraEnv = { LINGMA_SIM_CONTROL: controlPath, ...(askLog ? { LINGMA_SIM_ASK_LOG: ASK_LOG_NAME } : {}), ...env };
  if (script) {
    const scriptPath = path.join(dir, 'script.json');
    writeJsonAtomic(scriptPath, script);
    extraEnv.LINGMA_SIM_SCRIPT = scriptPath;
  }
  const argv = [
    '--simulator', '--port', '0', '--host', '127.0.0.1',
    '--lingma-work-dir', path.join(dir, 'work'),
    '--env-file', '',
  ];
  if (apiKeys) argv.push('--api-keys', apiKeys.join(','));
  if (poolSize) argv.push('--lingma-pool-size', String(poolSize));
  argv.push(...args);

  const proc = spawn(GATEWAY_BIN, argv, { cwd: dir, env: childEnv(extraEnv), stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = [];
  const port = await new Promise((resolve, reject) => {
    let buffered = '';
    let done = false;
    const finish = (fn, v) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        fn(v);
      }
    };
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      finish(reject, new Error(`gateway did not log gateway.listening within ${START_TIMEOUT_MS} ms:\n${stderr.join('\n')}`));
    }, START_TIMEOUT_MS);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (data) => {
      buffered += data;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        stderr.push(line);
        if (stderr.length > 5000) stderr.splice(0, stderr.length - 5000);
        try {
          const entry = JSON.parse(line);
          if (entry.event === 'gateway.listening') finish(resolve, entry.port);
        } catch {
          // not a JSON log line
        }
      }
    });
    proc.once('error', (err) => finish(reject, err));
    proc.once('exit', (code, signal) =>
      finish(reject, new Error(`gateway exited during start-up (code ${code}, signal ${signal}):\n${stderr.join('\n')}`)),
    );
  });
  const gateway = new Gateway({ proc, dir, port, stderr });
  try {
    await gateway.waitReady(ready);
  } catch (err) {
    await gateway.stop().catch(() => {});
    throw err;
  }
  return gateway;
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

// Sends raw bytes (a string or a Buffer) on a fresh connection and returns the status, head and
// body of the reply; the reply ends at its Content-Length or when the gateway closes.
export function rawExchange(port, request, { timeoutMs = 5_000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete reply within ${timeoutMs} ms: ${JSON.stringify(data.slice(0, 500))}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (d) => {
      data += d;
      const head = data.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(data.slice(0, head));
      if (head >= 0 && length && data.length >= head + 4 + Number(length[1])) finish();
    });
    socket.on('error', () => {}); // a reset after the reply changes nothing
    socket.on('close', () => finish());
    function finish() {
      clearTimeout(timer);
      socket.destroy();
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1]);
      if (!status) reject(new Error(`no HTTP reply: ${JSON.stringify(data.slice(0, 500))}`));
      else resolve({ status, head: data.slice(0, data.indexOf('\r\n\r\n')), body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    }
    socket.write(request);
  });
}

// A memory field of /proc/PID/status in KiB (Linux).
function statusKiB(pid, field) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)[1]);
}

// Resident memory of a process in KiB, now and at its peak so far.
export const rssKiB = (pid) => statusKiB(pid, 'VmRSS');
export const peakRssKiB = (pid) => statusKiB(pid, 'VmHWM');

// ---------------------------------------------------------------------------------------------
// Raw SSE

// Splits an SSE body into events. Each event is {data, comment, raw}; framing is asserted:
// every event, the last one included, ends with a blank line.
export function parseSse(text) {
  assert.ok(text.endsWith('\n\n'), `SSE body must end with a blank line: ${JSON.stringify(text.slice(-80))}`);
  const events = [];
  for (const raw of text.slice(0, -2).split('\n\n')) {
    const data = [];
    const comments = [];
    for (const line of raw.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      else assert.fail(`unexpected SSE line ${JSON.stringify(line)} in ${JSON.stringify(raw)}`);
    }
    if (data.length === 0) continue; // keep-alive comment
    events.push({ data: data.join('\n'), comments, raw });
  }
  return events;
}

// Reads a streamed response to its end, recording when each SSE event arrived.
export async function readSseTimed(res) {
  const decoder = new TextDecoder();
  let text = '';
  const arrivals = [];
  for await (const chunk of res.body) {
    text += decoder.decode(chunk, { stream: true });
    const complete = text.split('\n\n').length - 1;
    while (arrivals.length < complete) arrivals.push(performance.now());
  }
  text += decoder.decode();
  return { text, events: parseSse(text), arrivals };
}

export function assertRequestId(res) {
  const id = res.headers.get('x-request-id');
  assert.ok(id && id.trim().length > 0, `X-Request-Id header missing (status ${res.status})`);
  return id;
}

export function assertSseHeaders(res) {
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
  assert.equal(res.headers.get('x-accel-buffering'), 'no');
  assertRequestId(res);
}

// Checks a complete, successful chat stream: schema of every chunk, role first, exactly one
// finish_reason, the usage chunk rules, [DONE] last. Returns the assembled answer.
export function checkChatStream(events, { includeUsage = false } = {}) {
  assert.ok(events.length >= 3, `too few SSE events: ${events.length}`);
  assert.equal(events.at(-1).data, '[DONE]', 'the last event must be [DONE]');
  assert.equal(events.filter((e) => e.data === '[DONE]').length, 1, 'exactly one [DONE]');
  const chunks = events.slice(0, -1).map((e) => {
    const chunk = JSON.parse(e.data);
    assert.equal(chunk.error, undefined, `unexpected error event: ${e.data}`);
    assertSchema('CreateChatCompletionStreamResponse', chunk);
    assert.equal(chunk.object, 'chat.completion.chunk');
    return chunk;
  });
  const first = chunks[0];
  assert.match(first.id, /^chatcmpl-/);
  assert.equal(first.choices[0]?.delta?.role, 'assistant', 'the first chunk carries delta.role "assistant"');
  for (const c of chunks) {
    assert.equal(c.id, first.id, 'every chunk has the same id');
    assert.equal(c.created, first.created, 'every chunk has the same created');
    assert.equal(c.model, first.model, 'every chunk has the same model');
    for (const choice of c.choices) assert.equal(choice.index, 0);
  }
  const finishing = chunks.filter((c) => c.choices.some((ch) => ch.finish_reason != null));
  assert.equal(finishing.length, 1, 'exactly one chunk carries a finish_reason');

  let usage = null;
  if (includeUsage) {
    const usageChunks = chunks.filter((c) => c.usage != null);
    assert.equal(usageChunks.length, 1, 'exactly one chunk carries usage');
    const last = chunks.at(-1);
    assert.equal(usageChunks[0], last, 'the usage chunk is the last one before [DONE]');
    assert.deepEqual(last.choices, [], 'the usage chunk has choices: []');
    for (const c of chunks.slice(0, -1)) {
      assert.ok('usage' in c && c.usage === null, `chunks before the usage chunk carry "usage": null: ${JSON.stringify(c)}`);
      assert.equal(c.choices.length, 1);
    }
    usage = last.usage;
    checkUsage(usage);
    assert.ok(chunks.indexOf(finishing[0]) === chunks.length - 2, 'the finish chunk comes right before the usage chunk');
  } else {
    for (const c of chunks) {
      assert.ok(c.usage == null, `no usage without stream_options.include_usage: ${JSON.stringify(c)}`);
      assert.equal(c.choices.length, 1);
    }
    assert.equal(finishing[0], chunks.at(-1), 'the finish chunk is the last one before [DONE]');
  }
  let content = '';
  let reasoning = '';
  let sawContent = false;
  let reasoningAfterContent = false;
  for (const c of chunks) {
    for (const ch of c.choices) {
      if (typeof ch.delta.reasoning_content === 'string' && ch.delta.reasoning_content !== '') {
        reasoning += ch.delta.reasoning_content;
        if (sawContent) reasoningAfterContent = true;
      }
      if (typeof ch.delta.content === 'string') {
        content += ch.delta.content;
        if (ch.delta.content !== '') sawContent = true;
      }
    }
  }
  const finishReason = finishing[0].choices.find((ch) => ch.finish_reason != null).finish_reason;
  return { id: first.id, model: first.model, chunks, content, reasoning, finishReason, usage, reasoningAfterContent };
}

export function checkUsage(usage) {
  for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens']) {
    assert.ok(Number.isInteger(usage[k]) && usage[k] >= 0, `usage.${k} must be a non-negative integer`);
  }
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens, 'total = prompt + completion');
  assert.ok(usage.prompt_tokens > 0, 'prompt_tokens > 0');
}

// Asserts an OpenAI error body of the given status, code and (optionally) param.
export async function expectError(res, { status, code, param, type }) {
  const text = await res.text();
  assert.equal(res.status, status, `expected HTTP ${status}, got ${res.status}: ${text}`);
  assertRequestId(res);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text);
  assertSchema('ErrorResponse', body);
  assert.ok(body.error.message.length > 0, 'error.message is not empty');
  if (code !== undefined) assert.equal(body.error.code, code, `error.code in ${text}`);
  if (param !== undefined) assert.equal(body.error.param, param, `error.param in ${text}`);
  if (type !== undefined) assert.equal(body.error.type, type, `error.type in ${text}`);
  return body;
}

// The simulator's default answer: "[sim turn=N session=<uuid> model=<key>] <prompt start>".
export const SIM_ANSWER = /^\[sim turn=(\d+) session=([0-9a-f-]{36}) model=([^\]\s]+)\] ([\s\S]*)$/;

export function parseSimAnswer(text) {
  const m = SIM_ANSWER.exec(text);
  assert.ok(m, `not a simulator answer: ${JSON.stringify(text)}`);
  return { turn: Number(m[1]), session: m[2], model: m[3], echo: m[4] };
}

// ---------------------------------------------------------------------------------------------
// OpenAPI schemas

let validators = null;

// OpenAPI 3.0 `nullable: true` → anyOf [schema, {type: "null"}], recursively.
function rewriteNullable(node) {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'nullable') continue;
    out[k] = rewriteNullable(v);
  }
  if (node.nullable === true) {
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

// components.schemas of the spec, nullable rewritten. Parsing the 3 MB YAML takes about a
// second, so the result is cached in the temp dir, keyed by the spec's content hash.
function loadSpecSchemas() {
  const text = fs.readFileSync(SPEC_PATH, 'utf8');
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
  const cache = path.join(os.tmpdir(), `lingma-gateway-e2e-openapi-v1-${hash}.json`);
  try {
    return JSON.parse(fs.readFileSync(cache, 'utf8'));
  } catch {
    // not cached yet (or unreadable): parse the YAML
  }
  const spec = yaml.load(text);
  const schemas = rewriteNullable(spec?.components?.schemas ?? {});
  try {
    writeJsonAtomic(cache, schemas);
  } catch {
    // a read-only temp dir only costs time
  }
  return schemas;
}

function loadValidators() {
  if (!fs.existsSync(SPEC_PATH)) {
    throw new Error(
      `OpenAI OpenAPI spec not found at ${SPEC_PATH}. The e2e suite validates every response ` +
        'against it; set SPEC_DIR to the directory holding openai-openapi.yaml.',
    );
  }
  const schemas = loadSpecSchemas();
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addFormat('unixtime', { type: 'number', validate: (n) => Number.isInteger(n) && n >= 0 });
  ajv.addSchema({ $id: 'openai.json', components: { schemas } });
  const compiled = new Map();
  // Compiled on first use: each takes a noticeable fraction of a second.
  const get = (name) => {
    if (!compiled.has(name)) {
      assert.ok(schemas[name], `schema ${name} is missing from ${SPEC_PATH}`);
      compiled.set(name, ajv.getSchema(`openai.json#/components/schemas/${name}`));
    }
    return compiled.get(name);
  };
  for (const name of ['CreateChatCompletionResponse', 'CreateChatCompletionStreamResponse', 'ListModelsResponse', 'Model', 'ErrorResponse']) {
    assert.ok(schemas[name], `schema ${name} is missing from ${SPEC_PATH}`);
  }
  return { ajv, get };
}

export function schemas() {
  validators ??= loadValidators();
  return validators;
}

export function assertSchema(name, value) {
  const { ajv, get } = schemas();
  const validate = get(name);
  if (!validate(value)) {
    assert.fail(`${name} schema violation: ${ajv.errorsText(validate.errors, { separator: '; ' })}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`);
  }
}
