#!/usr/bin/env node
// Session-reuse benchmark: the same multi-turn conversation through two gateways in simulator
// mode, one with session reuse on and one with it off, against a simulator that charges a prefill
// cost per processed prompt byte. With reuse on, later turns send only the newest user message to
// the upstream session, so bytes and latency stay flat; with reuse off, every turn sends the whole
// flattened transcript to a fresh session, so both grow with the conversation.
//
// Usage: node bench/session_reuse.mjs [--build-dir DIR] [--reps N] [--turns N] … (see --help)
// No dependencies beyond Node 20 (global fetch). Exit codes: 0 ok, 1 a request or the run
// failed, 2 bad command line, 3 the run finished but its premise did not hold (see README.md).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// Command line

const OPTIONS = {
  'build-dir': { value: '', help: 'directory with lingma-gateway and lingma-sim (default: build/release if both are there, else build/debug)' },
  reps: { value: 5, int: true, min: 1, help: 'conversations per gateway; latencies are medians over these' },
  turns: { value: 10, int: true, min: 2, help: 'user turns per conversation' },
  'prefill-us-per-byte': { value: 20, num: true, min: 0, help: 'simulated prefill cost per processed prompt byte (µs)' },
  deltas: { value: 8, int: true, min: 1, help: 'answer deltas the simulator streams per turn' },
  'delta-delay-ms': { value: 5, int: true, min: 0, help: 'simulated wait before every delta (ms)' },
  'user-bytes': { value: 1536, int: true, min: 256, help: 'size of every user message (code-like text)' },
  'answer-bytes': { value: 1024, int: true, min: 64, help: 'approximate size of every simulated answer' },
  'request-timeout-ms': { value: 30000, int: true, min: 100, help: 'deadline of every HTTP request' },
  'max-runtime-s': { value: 180, int: true, min: 10, help: 'the whole run is aborted (exit 1) after this long' },
  'keep-tmp': { value: false, bool: true, help: 'keep the temporary directory (logs, ask logs) even on success' },
};

function usage() {
  const lines = ['Usage: node bench/session_reuse.mjs [OPTION...]', ''];
  for (const [name, o] of Object.entries(OPTIONS)) {
    const flag = o.bool ? `--${name}` : `--${name} ${o.int || o.num ? 'N' : 'VALUE'}`;
    const def = o.bool || o.value === '' ? '' : ` [default: ${o.value}]`;
    lines.push(`  ${flag.padEnd(28)} ${o.help}${def}`);
  }
  lines.push('  -h, --help                   show this help');
  return lines.join('\n');
}

function parseArgs(argv) {
  const out = Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, o.value]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      console.log(usage());
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const opt = m && OPTIONS[m[1]];
    if (!opt) throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    let value = m[2];
    if (opt.bool) {
      out[m[1]] = value === undefined ? true : /^(1|true|yes|on)$/i.test(value);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${m[1]} needs a value`);
      value = argv[++i];
    }
    if (opt.int || opt.num) {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || (opt.int && !Number.isInteger(n)) || n < opt.min) {
        throw new UsageError(`--${m[1]} must be ${opt.int ? 'an integer' : 'a number'} >= ${opt.min}, got ${JSON.stringify(value)}`);
      }
      out[m[1]] = n;
    } else {
      out[m[1]] = value;
    }
  }
  return out;
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// Conversation content (deterministic, ASCII: characters = bytes)

const SYSTEM_PROMPT =
  'You are a senior C++ reviewer. Answer concisely: list concrete bugs first, then risky ' +
  'patterns, then a corrected snippet when it helps.';

const pad = (n, width) => String(n).padStart(width, '0');

// A code-review request of exactly `size` bytes; its text is unique per (rep, turn) so that no
// two conversations share a prefix (the gateway identifies a plain client's conversation by it).
function userMessage(tag, turn, size) {
  const head =
    `[${tag}] Turn ${pad(turn, 2)}: review this module for bugs, data races and missing ` +
    'error handling, and tell me what to change first.\n\n```cpp\n';
  const tail = '```\n';
  const block = (i) => {
    const k = turn * 100 + i;
    return [
      `// src/pipeline/stage_${pad(turn, 2)}_${i}.cpp`,
      `std::optional<Batch> Stage${k}::Process(const Request& req, Context& ctx) {`,
      `  if (req.payload.size() > kMaxPayload${i}) return std::nullopt;`,
      '  std::lock_guard<std::mutex> guard(ctx.mutex);',
      `  for (std::size_t j = 0; j < req.items.size(); ++j) ctx.total += req.items[j].weight * ${k};`,
      `  if (ctx.total > ctx.limit) { ctx.metrics.Increment("stage${k}.overflow"); ctx.total = 0; }`,
      '  return Batch{ctx.total, req.id, std::move(ctx.pending)};',
      '}',
      '',
    ];
  };
  let body = head;
  outer: for (let i = 1; ; i++) {
    for (const line of block(i)) {
      if (body.length + line.length + 1 + tail.length + 4 > size) break outer;
      body += line + '\n';
    }
  }
  const rest = size - body.length - tail.length; // >= 4 by the loop's condition
  body += '// ' + '-'.repeat(rest - 4) + '\n' + tail;
  if (Buffer.byteLength(body) !== size) throw new Error(`user message is ${body.length} bytes, not ${size}`);
  return body;
}

// The simulator's answer template ({turn} is expanded by the simulator), about `size` bytes.
function answerTemplate(size) {
  const parts = [
    'Review (turn {turn}).\n\n',
    '1. Data race: ctx.total is read after the guard in the overflow path of another stage; keep ' +
      'every access to ctx under the same mutex, or make total an atomic and drop the lock.\n',
    '2. std::move(ctx.pending) leaves the pending batch empty for the next request; if that is ' +
      'intended, say so in a comment, otherwise copy it or swap with a fresh vector.\n',
    '3. The payload check returns std::nullopt without a reason; callers cannot tell an oversized ' +
      'request from an empty one. Return an error type (std::expected or a status enum).\n',
    '4. weight * constant can overflow for large batches; accumulate in a wider type and clamp.\n\n',
    'Suggested shape:\n\n```cpp\n',
    'std::expected<Batch, StageError> Stage::Process(const Request& req, Context& ctx) {\n' +
      '  if (req.payload.size() > kMaxPayload) return std::unexpected(StageError::kTooLarge);\n' +
      '  std::lock_guard<std::mutex> guard(ctx.mutex);\n' +
      '  ctx.total += Weigh(req.items);\n' +
      '  return Batch{ctx.total, req.id, ctx.pending};\n' +
      '}\n```\n',
  ];
  let text = parts.join('');
  const filler = 'Further notes: add a unit test per failure path and a stress test for the lock. ';
  while (text.length + filler.length <= size) text += filler;
  return text.padEnd(size - 1, '.') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Processes

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const running = new Set(); // gateway ChildProcess objects not yet known to have exited

// Gateway settings read from the environment (parsed from --help, plus a fallback list): removed
// from the child's environment so that nothing from the caller's shell changes the setup.
function gatewayEnvNames(gatewayBin) {
  const names = new Set(['HOST', 'PORT', 'API_KEYS', 'ADMIN_API_KEY', 'LOG_LEVEL', 'ENV_FILE',
    'SIMULATOR', 'SESSION_REUSE_ENABLED', 'SESSION_CACHE_MAX_ENTRIES', 'SESSION_CACHE_TTL_SEC']);
  try {
    const help = execFileSync(gatewayBin, ['--help'], { encoding: 'utf8', timeout: 10_000 });
    for (const m of help.matchAll(/\s([A-Z][A-Z0-9_]*), default /g)) names.add(m[1]);
  } catch {
    // the fallback list will do
  }
  return names;
}

function childEnv(dropNames, extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('LINGMA_') || dropNames.has(k)) continue;
    env[k] = v;
  }
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost';
  return { ...env, ...extra };
}

class Gateway {
  constructor(label, proc, stderrLines) {
    this.label = label;
    this.proc = proc;
    this.stderr = stderrLines;
    this.port = 0;
    this.exit = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        running.delete(proc);
        resolve({ code, signal });
      });
    });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  tail(n = 15) {
    return this.stderr.slice(-n).join('\n');
  }

  // SIGTERM, wait; SIGKILL if it does not exit within 10 s.
  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exit;
    this.proc.kill('SIGTERM');
    let timer;
    const timeout = new Promise((r) => (timer = setTimeout(() => r('timeout'), 10_000)));
    const result = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (result !== 'timeout') return result;
    this.proc.kill('SIGKILL');
    await this.exit;
    return { code: null, signal: 'SIGKILL', forced: true };
  }
}

async function startGateway({ label, bin, dir, reuse, simEnv, dropNames, deadline, signal }) {
  const argv = [
    '--simulator', '--port', '0', '--host', '127.0.0.1',
    '--lingma-work-dir', path.join(dir, 'work'), '--env-file', '',
    `--session-reuse-enabled=${reuse}`, '--lingma-pool-size', '1', '--log-level', 'info',
  ];
  const proc = spawn(bin, argv, { cwd: dir, env: childEnv(dropNames, simEnv), stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(proc);
  const stderr = [];
  const gw = new Gateway(label, proc, stderr);
  const logFile = fs.createWriteStream(path.join(dir, 'gateway.log'));
  gw.port = await new Promise((resolve, reject) => {
    let buffered = '';
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      fn(v);
    };
    const onAbort = () => finish(reject, new Error(`${label}: aborted while starting`));
    const timer = setTimeout(
      () => finish(reject, new Error(`${label}: no gateway.listening log line within 15 s\n${gw.tail()}`)),
      Math.max(0, Math.min(15_000, deadline - Date.now())),
    );
    signal.addEventListener('abort', onAbort);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (data) => {
      logFile.write(data);
      buffered += data;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        stderr.push(line);
        if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
        try {
          const entry = JSON.parse(line);
          if (entry.event === 'gateway.listening' && Number.isInteger(entry.port)) finish(resolve, entry.port);
        } catch {
          // not a JSON log line
        }
      }
    });
    proc.once('error', (err) => finish(reject, new Error(`${label}: cannot start ${bin}: ${err.message}`)));
    proc.once('exit', (code, sig) =>
      finish(reject, new Error(`${label}: gateway exited during start-up (code ${code}, signal ${sig})\n${gw.tail()}`)),
    );
  }).catch(async (err) => {
    await gw.stop();
    throw err;
  });

  // GET /ready until 200.
  const readyBy = Math.min(Date.now() + 15_000, deadline);
  let last = 'no answer';
  while (true) {
    if (signal.aborted) last = 'aborted';
    else if (proc.exitCode !== null || proc.signalCode !== null) last = 'gateway exited';
    else {
      try {
        const res = await fetch(`${gw.url}/ready`, { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]) });
        const body = await res.text();
        if (res.status === 200) return gw;
        last = `HTTP ${res.status} ${body.slice(0, 300)}`;
      } catch (err) {
        last = String(err?.message ?? err);
      }
      if (Date.now() < readyBy) {
        await sleep(50);
        continue;
      }
    }
    await gw.stop();
    throw new Error(`${label}: GET /ready did not return 200 (last: ${last})\n${gw.tail()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement

// New lines of the simulator's ask log since the last call.
class AskLogReader {
  constructor(file) {
    this.file = file;
    this.offset = 0;
    this.partial = '';
  }

  next() {
    let data = '';
    try {
      const fd = fs.openSync(this.file, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        if (size > this.offset) {
          const buf = Buffer.alloc(size - this.offset);
          fs.readSync(fd, buf, 0, buf.length, this.offset);
          this.offset = size;
          data = buf.toString('utf8');
        }
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    const text = this.partial + data;
    const lines = text.split('\n');
    this.partial = lines.pop();
    return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  }
}

// One POST /v1/chat/completions; returns {ms, session, content} or throws.
async function chatTurn(gw, messages, timeoutMs, signal) {
  const body = JSON.stringify({ model: 'auto', messages, stream: false });
  const t0 = performance.now();
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  const json = JSON.parse(text);
  const content = json?.choices?.[0]?.message?.content;
  if (typeof content !== 'string' || content === '') throw new Error(`no answer content: ${text.slice(0, 300)}`);
  return { ms, session: res.headers.get('x-lingma-session') ?? '', content };
}

// A conversation of `turns` user turns; the client resends the whole history every turn.
// Returns per-turn samples; stops at the first failed turn (the history would be wrong after it).
async function runConversation(gw, asks, { tag, turns, userBytes, timeoutMs, signal, failures }) {
  const messages = [{ role: 'system', content: SYSTEM_PROMPT }];
  const samples = [];
  asks.next(); // drop anything left over
  for (let turn = 1; turn <= turns; turn++) {
    messages.push({ role: 'user', content: userMessage(tag, turn, userBytes) });
    let result;
    try {
      result = await chatTurn(gw, messages, timeoutMs, signal);
    } catch (err) {
      failures.push(`${gw.label} ${tag} turn ${turn}: ${err?.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : err?.message ?? err}`);
      return samples;
    }
    messages.push({ role: 'assistant', content: result.content });
    const lines = asks.next();
    const accepted = lines.filter((l) => l.error === '');
    samples.push({
      turn,
      ms: result.ms,
      session: result.session,
      askCount: lines.length,
      processed: accepted.length === 1 ? accepted[0].processed_bytes : null,
      prompt: accepted.length === 1 ? accepted[0].prompt_bytes : null,
    });
  }
  return samples;
}

function median(values) {
  const v = values.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// "hit" when every rep agrees, else "hit 4/5, miss 1/5".
function summarizeStrings(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  if (counts.size === 1) return values[0] || '(none)';
  return [...counts].map(([v, c]) => `${v || '(none)'} ${c}/${values.length}`).join(', ');
}

// Median, or "median (min..max)" when the reps disagree (bytes should never vary).
function summarizeBytes(values) {
  const v = values.filter((x) => x !== null);
  if (v.length === 0) return 'n/a';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const missing = v.length < values.length ? ` [${values.length - v.length} missing]` : '';
  return (lo === hi ? String(lo) : `${median(v)} (${lo}..${hi})`) + missing;
}

function printTable(header, rows, align) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const cell = (s, i) => (align[i] === 'r' ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  console.log(`| ${header.map(cell).join(' | ')} |`);
  console.log(`|${widths.map((w, i) => (align[i] === 'r' ? '-'.repeat(w + 1) + ':' : ':' + '-'.repeat(w + 1))).join('|')}|`);
  for (const r of rows) console.log(`| ${r.map(cell).join(' | ')} |`);
}

// ---------------------------------------------------------------------------------------------
// Machine

function machine() {
  let nproc = String(os.availableParallelism?.() ?? os.cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    // keep Node's count
  }
  let model = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    model = os.cpus()[0]?.model ?? 'unknown';
  }
  return { nproc, model };
}

function resolveBuildDir(arg) {
  const has = (dir) => ['lingma-gateway', 'lingma-sim'].every((b) => {
    try {
      fs.accessSync(path.join(dir, b), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (arg) {
    const dir = path.resolve(arg);
    if (!has(dir)) throw new UsageError(`--build-dir ${arg}: lingma-gateway and lingma-sim not both found in ${dir}`);
    return dir;
  }
  for (const name of ['release', 'debug']) {
    const dir = path.join(REPO_DIR, 'build', name);
    if (has(dir)) return dir;
  }
  throw new UsageError('no built binaries in build/release or build/debug; build first or pass --build-dir');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  const buildDir = resolveBuildDir(opts['build-dir']);
  const gatewayBin = path.join(buildDir, 'lingma-gateway');
  const deadline = started + opts['max-runtime-s'] * 1000;

  const abort = new AbortController();
  const capTimer = setTimeout(() => abort.abort(new Error('runtime cap')), opts['max-runtime-s'] * 1000);
  capTimer.unref();
  // Backstop: if stopping the gateways itself hangs, give up 30 s after the cap.
  setTimeout(() => {
    console.error('session_reuse.mjs: still running 30 s after the runtime cap; killing the gateways');
    process.exit(1);
  }, opts['max-runtime-s'] * 1000 + 30_000).unref();
  let interrupted = null;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      interrupted = sig;
      abort.abort(new Error(sig));
    });
  }

  let version = 'unknown';
  try {
    version = execFileSync(gatewayBin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    // reported as unknown
  }
  const { nproc, model } = machine();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const answer = answerTemplate(opts['answer-bytes']);

  console.log('Session-reuse benchmark (lingma-gateway --simulator)');
  console.log(`machine:  nproc ${nproc}, ${model}, load average ${load} (at start)`);
  console.log(`binaries: ${path.relative(process.cwd(), buildDir) || '.'} (${version}), node ${process.version}`);
  console.log(
    `settings: ${opts.reps} reps x ${opts.turns} turns per gateway (non-stream, full history each turn); ` +
      `user messages ${opts['user-bytes']} B of code, system prompt ${SYSTEM_PROMPT.length} B, ` +
      `answers ~${answer.length} B; sim prefill ${opts['prefill-us-per-byte']} us/processed byte, ` +
      `${opts.deltas} deltas x ${opts['delta-delay-ms']} ms; request timeout ${opts['request-timeout-ms']} ms, ` +
      `runtime cap ${opts['max-runtime-s']} s`,
  );

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lgw-bench-session-reuse-'));
  const dropNames = gatewayEnvNames(gatewayBin);
  const failures = [];
  const gateways = [];
  let data = null;
  let error = null;
  try {
    const setups = [
      { label: 'reuse-on', reuse: true },
      { label: 'reuse-off', reuse: false },
    ];
    for (const s of setups) {
      const dir = path.join(tmp, s.label);
      fs.mkdirSync(dir);
      const scriptPath = path.join(dir, 'script.json');
      fs.writeFileSync(scriptPath, JSON.stringify([{ match: '', reply: answer }]));
      s.askLog = path.join(dir, 'asks.jsonl');
      const simEnv = {
        LINGMA_SIM_PREFILL_US_PER_BYTE: String(opts['prefill-us-per-byte']),
        LINGMA_SIM_DELTAS: String(opts.deltas),
        LINGMA_SIM_DELTA_DELAY_MS: String(opts['delta-delay-ms']),
        LINGMA_SIM_SCRIPT: scriptPath,
        LINGMA_SIM_ASK_LOG: s.askLog,
      };
      s.gw = await startGateway({ label: s.label, bin: gatewayBin, dir, reuse: s.reuse, simEnv, dropNames, deadline, signal: abort.signal });
      gateways.push(s.gw);
      s.asks = new AskLogReader(s.askLog);
      s.reps = [];
    }

    // One unmeasured request per gateway (first connection, first session).
    for (const s of setups) {
      try {
        await chatTurn(s.gw, [{ role: 'user', content: userMessage('warm-up', 1, opts['user-bytes']) }], opts['request-timeout-ms'], abort.signal);
      } catch (err) {
        failures.push(`${s.label} warm-up: ${err?.message ?? err}`);
      }
    }

    // Reps alternate between the gateways, so background load hits both alike.
    for (let rep = 1; rep <= opts.reps && !abort.signal.aborted; rep++) {
      for (const s of setups) {
        if (abort.signal.aborted) break;
        s.reps.push(
          await runConversation(s.gw, s.asks, {
            tag: `conversation ${pad(rep, 3)}`,
            turns: opts.turns,
            userBytes: opts['user-bytes'],
            timeoutMs: opts['request-timeout-ms'],
            signal: abort.signal,
            failures,
          }),
        );
      }
    }
    data = setups;
  } catch (err) {
    error = err;
  } finally {
    for (const gw of gateways) {
      const r = await gw.stop();
      if (r.forced) failures.push(`${gw.label}: did not exit within 10 s of SIGTERM (killed)`);
      else if (r.code !== 0) failures.push(`${gw.label}: exited with code ${r.code} signal ${r.signal} after SIGTERM`);
    }
  }
  if (abort.signal.aborted) {
    failures.push(interrupted ? `interrupted by ${interrupted}` : `runtime cap of ${opts['max-runtime-s']} s reached`);
  }

  // Table.
  const checks = [];
  if (data) {
    const [on, off] = data;
    const column = (s, turn, key) => s.reps.map((r) => r.find((x) => x.turn === turn)?.[key] ?? null);
    const rows = [];
    const med = {};
    for (let turn = 1; turn <= opts.turns; turn++) {
      const onMs = median(column(on, turn, 'ms'));
      const offMs = median(column(off, turn, 'ms'));
      const onBytes = median(column(on, turn, 'processed'));
      const offBytes = median(column(off, turn, 'processed'));
      med[turn] = { onMs, offMs, onBytes, offBytes };
      const onSessions = column(on, turn, 'session').filter((x) => x !== null);
      const offSessions = column(off, turn, 'session').filter((x) => x !== null);
      rows.push([
        String(turn),
        summarizeBytes(column(on, turn, 'processed')),
        onMs === null ? 'n/a' : onMs.toFixed(1),
        onSessions.length ? summarizeStrings(onSessions) : 'n/a',
        summarizeBytes(column(off, turn, 'processed')),
        offMs === null ? 'n/a' : offMs.toFixed(1),
      ]);
      const expected = turn === 1 ? 'miss' : 'hit';
      if (onSessions.some((x) => x !== expected)) checks.push(`reuse on, turn ${turn}: X-Lingma-Session ${summarizeStrings(onSessions)}, expected ${expected}`);
      if (offSessions.some((x) => x !== 'off')) checks.push(`reuse off, turn ${turn}: X-Lingma-Session ${summarizeStrings(offSessions)}, expected off`);
      for (const s of data) {
        const bad = column(s, turn, 'askCount').filter((n) => n !== null && n !== 1).length;
        if (bad) checks.push(`${s.label}, turn ${turn}: ${bad} request(s) without exactly one accepted chat/ask in the ask log`);
      }
    }
    console.log('');
    console.log(
      `latency = client wall time of one POST /v1/chat/completions (request sent to body read), median of ` +
        `${opts.reps} reps; upstream bytes = questionText bytes of the chat/ask (ask log processed_bytes)`,
    );
    printTable(
      ['turn', 'upstream prompt bytes (on)', 'latency ms median (on)', 'X-Lingma-Session (on)', 'upstream prompt bytes (off)', 'latency ms median (off)'],
      rows,
      ['r', 'r', 'r', 'l', 'r', 'r'],
    );
    const last = opts.turns;
    const ratio = (a, b) => (a === null || b === null || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`);
    console.log('');
    console.log(`turn-${last} ratio off/on: latency ${ratio(med[last].offMs, med[last].onMs)}, upstream prompt bytes ${ratio(med[last].offBytes, med[last].onBytes)}`);
    console.log(`reuse-on flatness: turn-${last} latency / turn-2 latency = ${ratio(med[last].onMs, med[2].onMs).replace(/x$/, '')} (1.00 = flat)`);
    // What the simulator's latency model alone charges at the last turn; the measured latency
    // minus this is gateway, simulator and HTTP overhead.
    const cost = (bytes) =>
      bytes === null ? 'n/a' : `${((bytes * opts['prefill-us-per-byte']) / 1000 + opts.deltas * opts['delta-delay-ms']).toFixed(1)} ms`;
    console.log(`sim latency model at turn ${last} (processed bytes x prefill + deltas x delay): ${cost(med[last].onBytes)} (on), ${cost(med[last].offBytes)} (off)`);
    const ctx = median(column(on, last, 'prompt'));
    if (ctx !== null) console.log(`reuse on, turn ${last}: the upstream session holds ${ctx} B of context (ask log prompt_bytes); only the new message was sent`);
    const sent = (s) => s.reps.flat().reduce((a, x) => a + (x.processed ?? 0), 0);
    const n = (s) => s.reps.flat().length;
    console.log(`requests measured: ${n(on)} (on), ${n(off)} (off); upstream bytes sent in all: ${sent(on)} (on), ${sent(off)} (off)`);
    for (const s of data) {
      const short = s.reps.filter((r) => r.length < opts.turns).length;
      if (short) checks.push(`${s.label}: ${short} conversation(s) ended early`);
    }
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; runtime ${seconds} s`);
  if (error) failures.push(`run aborted: ${error?.message ?? error}`);
  const keep = opts['keep-tmp'] || failures.length > 0 || checks.length > 0;
  if (keep) console.log(`temporary files (gateway logs, ask logs) kept in ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  if (failures.length) {
    console.log(`\nFAILED: ${failures.length} problem(s)`);
    for (const f of failures.slice(0, 20)) console.log(`  - ${f}`);
    return 1;
  }
  if (checks.length) {
    console.log(`\nPREMISE NOT MET: ${checks.length} check(s) failed`);
    for (const c of checks.slice(0, 20)) console.log(`  - ${c}`);
    return 3;
  }
  return 0;
}

// Last resort: a gateway still running when Node exits is killed (its simulator children die
// with it).
process.on('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      console.error(`session_reuse.mjs: ${err.message}\n\n${usage()}`);
      process.exit(2);
    }
    console.error(`session_reuse.mjs: ${err?.stack ?? err}`);
    process.exit(1);
  },
);
