#!/usr/bin/env node
// Soak test: one gateway in simulator mode under a mixed load (chat completions, streams,
// multi-turn conversations, clients that disconnect, bad requests, models/metrics/stats) while a
// fault driver rotates the simulator's control file through error finishes, hangs, crashes and
// odd answer shapes. It samples the gateway's RSS, open fds, threads and child processes every
// few seconds and checks that they stay flat, that every response is one the active fault
// explains, and that the gateway leaves no simulator process behind when it stops.
//
// Usage: node bench/soak.mjs [--minutes N | --seconds N] [--concurrency C] … (see --help)
// No dependencies beyond Node 20 (global fetch). Exit codes: 0 clean, 1 a check failed or the run
// was aborted, 2 bad command line or no binaries (see README.md).
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
  minutes: { value: 2, num: true, min: 0.1, help: 'length of the soak (the faulted part, after the warm-up)' },
  seconds: { value: 0, int: true, min: 0, help: 'length of the soak in seconds; overrides --minutes when > 0' },
  concurrency: { value: 16, int: true, min: 1, help: 'client workers sending requests at once' },
  'pool-size': { value: 2, int: true, min: 1, help: 'Lingma (simulator) processes the gateway runs' },
  'phase-s': { value: 3, num: true, min: 0.5, help: 'length of one fault phase' },
  'crash-every-s': { value: 15, int: true, min: 0, help: 'at most one simulator crash phase per this many seconds; 0 = no crashes' },
  'sample-every-s': { value: 5, num: true, min: 1, help: 'sampling period during the soak' },
  'warmup-s': { value: 10, num: true, min: 0, help: 'fault-free load before the start sample' },
  'quiet-s': { value: 6, num: true, min: 0, help: 'idle time before the start and the end sample (client keep-alive sockets close after 4 s)' },
  'request-timeout-ms': { value: 15000, int: true, min: 1000, help: 'deadline of every HTTP request; hitting it is an unexpected outcome' },
  'cache-entries': { value: 512, int: true, min: 1, help: "the gateway's --session-cache-max-entries (small, so that the cache is full, and evicting, from the warm-up on)" },
  'cache-ttl-s': { value: 60, int: true, min: 1, help: "the gateway's --session-cache-ttl-sec" },
  'rss-growth-pct': { value: 20, num: true, min: 0, help: 'fail if the end RSS exceeds the start RSS by more than this' },
  'fd-slack': { value: 4, int: true, min: 0, help: 'fail if the gateway has more than this many more open fds at the end than at the start' },
  'thread-slack': { value: 2, int: true, min: 0, help: 'fail if the gateway has more than this many more threads at the end than at the start' },
  faults: { value: 'all', help: 'comma-separated fault names to rotate through (see the faults line of the output), or all' },
  seed: { value: 1, int: true, min: 0, help: 'seed of the request mix' },
  'keep-tmp': { value: false, bool: true, help: 'keep the temporary directory (gateway log, control file) even on success' },
};

function usage() {
  const lines = ['Usage: node bench/soak.mjs [OPTION...]', ''];
  for (const [name, o] of Object.entries(OPTIONS)) {
    const flag = o.bool ? `--${name}` : `--${name} ${o.int || o.num ? 'N' : 'VALUE'}`;
    const def = o.bool || o.value === '' ? '' : ` [default: ${o.value}]`;
    lines.push(`  ${flag.padEnd(28)} ${o.help}${def}`);
  }
  lines.push('  -h, --help                   show this help');
  return lines.join('\n');
}

class UsageError extends Error {}

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
  if (out['pool-size'] > 64) throw new UsageError('--pool-size must be <= 64');
  return out;
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
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// Deterministic PRNG (mulberry32), one per worker.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(values, p) {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

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

// Newest modification time of the sources, to warn about binaries built before it.
function newestSource() {
  let newest = { mtime: 0, file: '' };
  const walk = (dir) => {
    let entries = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(cpp|hpp|h|cc)$/.test(e.name)) {
        const t = fs.statSync(p).mtimeMs;
        if (t > newest.mtime) newest = { mtime: t, file: path.relative(REPO_DIR, p) };
      }
    }
  };
  walk(path.join(REPO_DIR, 'src'));
  walk(path.join(REPO_DIR, 'sim'));
  return newest;
}

// ---------------------------------------------------------------------------------------------
// /proc

function readProc(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

// {rssKB, threads, state} or null when the process is gone.
function procStatus(pid) {
  const text = readProc(`/proc/${pid}/status`);
  if (text === null) return null;
  const field = (name) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(text)?.[1];
  return { rssKB: Number(field('VmRSS') ?? 0), threads: Number(field('Threads') ?? 0), state: field('State') ?? '?' };
}

// Open fds of a process: the count, how many are sockets, and the socket inodes.
function fdInfo(pid) {
  let names = [];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return { fds: null, sockets: null, inodes: new Set() };
  }
  const inodes = new Set();
  for (const n of names) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${n}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return { fds: names.length, sockets: inodes.size, inodes };
}

// States of the given socket inodes: ESTABLISHED, LISTEN and CLOSE_WAIT counts (a CLOSE_WAIT
// socket is one whose peer closed and that the gateway has not closed yet), other TCP states,
// Unix sockets (the stderr pipe), and sockets in no table (closed TCP sockets still held open).
function tcpStates(pid, inodes) {
  const out = { established: 0, listen: 0, closeWait: 0, otherTcp: 0, unix: 0, unlisted: 0 };
  const seen = new Set();
  for (const file of ['tcp', 'tcp6']) {
    const text = readProc(`/proc/${pid}/net/${file}`);
    if (!text) continue;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9]) || seen.has(f[9])) continue;
      seen.add(f[9]);
      if (f[3] === '01') out.established++;
      else if (f[3] === '0A') out.listen++;
      else if (f[3] === '08') out.closeWait++;
      else out.otherTcp++;
    }
  }
  const unix = readProc(`/proc/${pid}/net/unix`) ?? '';
  for (const line of unix.split('\n').slice(1)) {
    const inode = line.trim().split(/\s+/)[6];
    if (inode && inodes.has(inode) && !seen.has(inode)) {
      seen.add(inode);
      out.unix++;
    }
  }
  out.unlisted = inodes.size - seen.size;
  return out;
}

// Direct children of a process (all its threads), with their state (Z = zombie: not reaped).
function childrenOf(pid) {
  const kids = [];
  let tasks = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return kids;
  }
  for (const t of tasks) {
    const text = readProc(`/proc/${pid}/task/${t}/children`);
    if (!text) continue;
    for (const c of text.trim().split(/\s+/).filter(Boolean)) {
      kids.push({ pid: Number(c), state: procStatus(c)?.state ?? '?' });
    }
  }
  return kids;
}

// Every process (but the excluded ones) whose command line mentions `needle`.
function processesMentioning(needle, exclude = new Set()) {
  const out = [];
  let pids = [];
  try {
    pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const p of pids) {
    const pid = Number(p);
    if (exclude.has(pid) || pid === process.pid) continue;
    let raw;
    try {
      raw = fs.readFileSync(`/proc/${p}/cmdline`);
    } catch {
      continue;
    }
    const argv = raw.toString('utf8').split('\0');
    if (!argv.some((a) => a.includes(needle))) continue;
    const st = procStatus(pid);
    out.push({ pid, argv0: argv[0], state: st?.state ?? '?', rssKB: st?.rssKB ?? 0 });
  }
  return out;
}

const isSim = (p) => path.basename(p.argv0) === 'lingma-sim';

// ---------------------------------------------------------------------------------------------
// The gateway process

const running = new Set(); // ChildProcess objects not yet known to have exited

// Gateway settings read from the environment (parsed from --help, plus a fallback list): removed
// from the child's environment so that nothing from the caller's shell changes the setup.
function gatewayEnvNames(help) {
  const names = new Set(['HOST', 'PORT', 'API_KEYS', 'ADMIN_API_KEY', 'LOG_LEVEL', 'ENV_FILE',
    'SIMULATOR', 'SESSION_REUSE_ENABLED', 'SESSION_CACHE_MAX_ENTRIES', 'SESSION_CACHE_TTL_SEC']);
  for (const m of help.matchAll(/\s([A-Z][A-Z0-9_]*), default /g)) names.add(m[1]);
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
  constructor(proc, logFile) {
    this.proc = proc;
    this.port = 0;
    this.tail = []; // last stderr lines
    this.levels = new Map(); // log level -> lines
    this.events = new Map(); // "level event" -> lines, for warn and error
    this.exitInfo = null;
    this.logFile = logFile;
    this.exit = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        running.delete(proc);
        this.exitInfo = { code, signal, at: now() };
        resolve(this.exitInfo);
      });
    });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get exited() {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  onLine(line) {
    this.tail.push(line);
    if (this.tail.length > 50) this.tail.shift();
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      this.levels.set('non-JSON', (this.levels.get('non-JSON') ?? 0) + 1);
      return null;
    }
    const level = String(entry.level ?? '?');
    this.levels.set(level, (this.levels.get(level) ?? 0) + 1);
    if (level === 'warn' || level === 'error') {
      const key = `${level} ${entry.event ?? '?'}`;
      this.events.set(key, (this.events.get(key) ?? 0) + 1);
    }
    return entry;
  }

  // SIGTERM, wait up to `waitMs`; SIGKILL after that.
  async stop(waitMs) {
    const sent = now();
    const already = this.exited;
    if (!already) this.proc.kill('SIGTERM');
    let timer;
    const timeout = new Promise((r) => (timer = setTimeout(() => r('timeout'), waitMs)));
    const result = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (result !== 'timeout') return { ...result, ms: Math.max(0, result.at - sent), already };
    this.proc.kill('SIGKILL');
    const r = await this.exit;
    return { ...r, ms: r.at - sent, forced: true };
  }
}

async function startGateway({ bin, argv, env, dir, signal }) {
  const logFile = fs.createWriteStream(path.join(dir, 'gateway.log'));
  const proc = spawn(bin, argv, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(proc);
  const gw = new Gateway(proc, logFile);
  let buffered = '';
  let onListening = null;
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (data) => {
    logFile.write(data);
    buffered += data;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const entry = gw.onLine(line);
      if (entry?.event === 'gateway.listening' && Number.isInteger(entry.port)) onListening?.(entry.port);
    }
  });
  proc.stderr.on('end', () => logFile.end());

  gw.port = await new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      onListening = null;
      fn(v);
    };
    const onAbort = () => finish(reject, new Error('aborted while the gateway was starting'));
    const timer = setTimeout(() => finish(reject, new Error(`no gateway.listening log line within 15 s\n${gw.tail.join('\n')}`)), 15_000);
    signal.addEventListener('abort', onAbort);
    onListening = (port) => finish(resolve, port);
    proc.once('error', (err) => finish(reject, new Error(`cannot start ${bin}: ${err.message}`)));
    proc.once('exit', (code, sig) =>
      finish(reject, new Error(`gateway exited during start-up (code ${code}, signal ${sig})\n${gw.tail.join('\n')}`)),
    );
  }).catch(async (err) => {
    await gw.stop(10_000);
    throw err;
  });
  return gw;
}

// GET a JSON document with a short deadline; null on any failure.
async function getJson(url, timeoutMs = 2000) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: ac.signal });
    const text = await res.text();
    return { status: res.status, json: JSON.parse(text) };
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

// Polls /internal/stats until every instance is ready and exactly `poolSize` simulators run (no
// zombies); returns the time it took, or null after `timeoutMs`.
async function waitPoolReady(ctx, timeoutMs) {
  const t0 = now();
  while (now() - t0 < timeoutMs && !ctx.signal.aborted && !ctx.gw.exited) {
    const stats = await getJson(`${ctx.gw.url}/internal/stats`);
    const instances = stats?.json?.instances;
    if (Array.isArray(instances) && instances.length === ctx.poolSize && instances.every((i) => i.state === 'ready')) {
      const sims = processesMentioning(ctx.tmp, new Set([ctx.gw.proc.pid])).filter(isSim);
      const zombies = childrenOf(ctx.gw.proc.pid).filter((c) => c.state === 'Z');
      if (sims.length === ctx.poolSize && sims.every((s) => s.state !== 'Z') && zombies.length === 0) return now() - t0;
    }
    await sleep(100);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Faults

// The control file is rewritten atomically; the simulator re-reads it on every chat/ask. Each
// fault names what a client may see while it is active: HTTP statuses (before a stream started)
// and OpenAI error codes (in the body or in a stream's error event). codes: null = any code.
const NORMAL = { name: 'normal', control: {} };
const CRASH_EXPECT = { statuses: [502, 503, 504], codes: null };
const FAULT_CYCLE = [
  NORMAL,
  { name: 'err429', control: { finish_status: 429, error_after_deltas: 0 }, statuses: [429], codes: ['rate_limit_exceeded'] },
  { name: 'err500@2', control: { finish_status: 500, error_after_deltas: 2 }, statuses: [502], codes: ['upstream_error'] },
  { name: 'hang', control: { hang: true }, statuses: [504], codes: ['upstream_timeout'] },
  { name: 'crash', control: { exit_after_deltas: 2 }, crash: true, ...CRASH_EXPECT },
  NORMAL,
  { name: 'err403', control: { finish_status: 403, error_after_deltas: 0 }, statuses: [403, 429], codes: ['upstream_forbidden', 'insufficient_quota'] },
  { name: 'err408@2', control: { finish_status: 408, error_after_deltas: 2 }, statuses: [504], codes: ['upstream_timeout'] },
  { name: 'err429@2', control: { finish_status: 429, error_after_deltas: 2 }, statuses: [429], codes: ['rate_limit_exceeded'] },
  { name: 'err500', control: { finish_status: 500, error_after_deltas: 0 }, statuses: [502], codes: ['upstream_error'] },
  { name: 'think', control: { think: true } },
  { name: 'filtered', control: { filtered: true } },
  { name: 'overwrite', control: { overwrite: true } },
];
const RECOVERY = { name: 'recovering', control: {}, ...CRASH_EXPECT };

class Timeline {
  constructor() {
    this.phases = [];
  }

  begin(fault) {
    const t = now();
    const last = this.phases.at(-1);
    if (last) last.end = t;
    this.phases.push({ fault, start: t, end: Infinity });
  }

  current() {
    return this.phases.at(-1)?.fault ?? NORMAL;
  }

  // Phases that overlap [t0, t1] (the simulator reads the control file at some point in between).
  active(t0, t1) {
    const out = [];
    for (let i = this.phases.length - 1; i >= 0; i--) {
      const p = this.phases[i];
      if (p.end < t0) break;
      if (p.start <= t1) out.push(p.fault);
    }
    return out;
  }
}

function writeControl(file, control) {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(control));
  fs.renameSync(tmp, file);
}

// The fault name that explains an error, or null. status null: an error event inside a stream.
// Faults that name their codes are tried before the crash, which accepts any code.
function explain(faults, status, code) {
  const ordered = [...faults.filter((f) => f.codes), ...faults.filter((f) => !f.codes)];
  for (const f of ordered) {
    if (!f.statuses) continue;
    if (status !== null && !f.statuses.includes(status)) continue;
    if (f.codes && !f.codes.includes(code)) continue;
    return f.name;
  }
  return null;
}

const has = (faults, name) => faults.some((f) => f.name === name);

// Rotates the faults until ctx.stopFaults; leaves the control file normal.
async function faultDriver(ctx) {
  const phaseMs = ctx.opts['phase-s'] * 1000;
  const crashEveryMs = ctx.opts['crash-every-s'] * 1000;
  let lastCrash = -Infinity;
  const setFault = (fault) => {
    writeControl(ctx.controlFile, fault.control);
    ctx.timeline.begin(fault);
    ctx.faultRuns.set(fault.name, (ctx.faultRuns.get(fault.name) ?? 0) + 1);
  };
  const wait = async (ms) => {
    const until = now() + ms;
    while (now() < until && !ctx.stopFaults && !ctx.signal.aborted) await sleep(Math.min(100, until - now()));
  };
  for (let i = 0; !ctx.stopFaults && !ctx.signal.aborted; i++) {
    const fault = ctx.cycle[i % ctx.cycle.length];
    if (!fault.crash) {
      setFault(fault);
      await wait(phaseMs);
      continue;
    }
    if (crashEveryMs === 0 || now() - lastCrash < crashEveryMs) continue;
    // Crash: arm exit_after_deltas until a simulator dies (or the phase ends), then disarm and
    // wait for the pool to be whole again.
    lastCrash = now();
    const pids = processesMentioning(ctx.tmp, new Set([ctx.gw.proc.pid])).filter(isSim).map((p) => p.pid);
    setFault(fault);
    const until = now() + phaseMs;
    let crashed = false;
    while (!crashed && now() < until && !ctx.signal.aborted) {
      await sleep(20);
      crashed = pids.some((pid) => {
        const st = procStatus(pid);
        return st === null || st.state.startsWith('Z');
      });
    }
    setFault(RECOVERY);
    if (crashed) ctx.crashes++;
    else ctx.crashesMissed++;
    const ms = await waitPoolReady(ctx, 30_000);
    if (ms === null && !ctx.signal.aborted && !ctx.gw.exited) {
      ctx.stats.add('unexpected', 'pool not whole 30 s after a crash fault', { phases: ['recovering'] });
    } else if (ms !== null) {
      ctx.recoveryMs.push(ms);
    }
    await wait(1000);
  }
  setFault(NORMAL);
}

// ---------------------------------------------------------------------------------------------
// Outcomes

class Stats {
  constructor() {
    this.counts = new Map(); // "class\treason" -> n
    this.byClass = { ok: 0, expected: 0, aborted: 0, unexpected: 0 };
    this.examples = []; // first unexpected outcomes, with details
    this.latency = { chat: [], stream: [] };
    this.sessions = { hit: 0, miss: 0, fork: 0, other: 0 }; // conversation turns >= 2
    this.keepAlives = 0;
    this.wrongPartialStreams = 0;
  }

  add(cls, reason, detail = {}) {
    this.byClass[cls]++;
    const key = `${cls}\t${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (cls === 'unexpected' && this.examples.length < 25) this.examples.push({ reason, ...detail });
  }

  snapshot() {
    return { ...this.byClass };
  }
}

// One HTTP request with a deadline. `abortAfterMs`: the client disconnects after that long;
// `stream`: the body is read as SSE, and with `abortOnContent` the client disconnects as soon as
// the first content delta arrived. Never throws; the result says what happened.
async function request(ctx, { method = 'GET', urlPath, body, stream = false, abortOnContent = false, abortAfterMs = 0 }) {
  const ac = new AbortController();
  const r = {
    t0: now(), t1: 0, status: 0, requestId: '', session: '', contentType: '', text: '',
    sse: null, error: null, why: null,
  };
  const abortWith = (why) => {
    if (r.why) return;
    r.why = why;
    ac.abort();
  };
  const timer = setTimeout(() => abortWith('timeout'), ctx.opts['request-timeout-ms']);
  const early = abortAfterMs > 0 ? setTimeout(() => abortWith('client'), abortAfterMs) : null;
  ctx.inflight.add(abortWith);
  try {
    const res = await fetch(ctx.gw.url + urlPath, {
      method,
      body,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      signal: ac.signal,
    });
    r.status = res.status;
    r.requestId = res.headers.get('x-request-id') ?? '';
    r.session = res.headers.get('x-lingma-session') ?? '';
    r.contentType = res.headers.get('content-type') ?? '';
    if (stream && res.status === 200 && r.contentType.startsWith('text/event-stream')) {
      r.sse = { data: [], comments: 0, junk: [], contentSeen: false };
      await readSse(res, r.sse, abortOnContent ? () => abortWith('client') : null);
    } else {
      r.text = await res.text();
    }
  } catch (err) {
    r.error = err;
  } finally {
    clearTimeout(timer);
    clearTimeout(early);
    ctx.inflight.delete(abortWith);
    r.t1 = now();
  }
  return r;
}

async function readSse(res, sse, onContent) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let idx;
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) sse.comments++;
        else if (line.startsWith('data: ')) {
          const data = line.slice(6);
          sse.data.push(data);
          if (!sse.contentSeen && data.includes('"content":"') && !/"content":""/.test(data)) {
            sse.contentSeen = true;
            if (onContent) {
              onContent();
              await reader.cancel().catch(() => {});
              throw Object.assign(new Error('client disconnect'), { name: 'AbortError' });
            }
          }
        } else if (line !== '') sse.junk.push(line);
      }
    }
  }
  if (buf.trim() !== '') sse.junk.push(buf.slice(0, 200));
}

// A request that failed at the transport level: class and reason, or null if the soak itself
// cancelled it (shutdown).
function transportOutcome(r, what) {
  if (r.why === 'cancel') return null;
  if (r.why === 'client') return { cls: 'aborted', reason: `${what}: client disconnected on purpose` };
  if (r.why === 'timeout') return { cls: 'unexpected', reason: `${what}: no complete response within the request timeout` };
  const code = r.error?.cause?.code ?? r.error?.code ?? r.error?.name ?? 'error';
  return { cls: 'unexpected', reason: `${what}: transport error ${code}`, detail: String(r.error?.cause?.message ?? r.error?.message ?? r.error) };
}

// An HTTP error response: must be OpenAI's error shape; expected if a fault explains it.
function errorOutcome(r, faults, what) {
  let code;
  try {
    const e = JSON.parse(r.text).error;
    if (typeof e?.message !== 'string' || e.message === '') throw new Error('no message');
    code = e.code ?? e.type ?? null;
  } catch {
    return { cls: 'unexpected', reason: `${what}: HTTP ${r.status} without an OpenAI error body`, detail: r.text.slice(0, 200) };
  }
  const fault = explain(faults, r.status, code);
  if (fault) return { cls: 'expected', reason: `${what}: ${r.status} ${code} (${fault})` };
  return { cls: 'unexpected', reason: `${what}: ${r.status} ${code}`, detail: r.text.slice(0, 300) };
}

const ECHO_SESSION = /session=([0-9a-fA-F-]{8,})/;

// The simulator's overwrite fault sends a wrong delta, then the corrected text. A stream cannot
// take back what it sent, so a streamed answer may hold the wrong delta; a JSON answer must not.
const WRONG_PARTIAL = 'SIM-WRONG-PARTIAL';
const echoOf = (content) => ECHO_SESSION.exec(content.replaceAll(WRONG_PARTIAL, ''))?.[1];

// Checks shared by JSON and streamed answers. Returns {reason, detail} of an unexpected outcome,
// or null.
function answerProblem({ content, reasoning, finishReason, faults, req, session, streamed }) {
  const bad = (reason, detail = content?.slice?.(0, 200)) => ({ reason, detail });
  if (typeof content !== 'string' || content === '') return bad('empty answer content');
  if (content.includes('````think') || content.includes('{THINK_TIME}')) return bad("Lingma's think block leaked into content");
  if (content.includes(WRONG_PARTIAL) && !(streamed && has(faults, 'overwrite'))) return bad('a text Lingma overwrote is in the answer');
  if (reasoning && !has(faults, 'think')) return bad('reasoning_content without a think fault');
  if (finishReason === 'content_filter' && !has(faults, 'filtered')) return bad('finish_reason content_filter without a filtered fault');
  if (finishReason !== 'stop' && finishReason !== 'content_filter') return bad(`finish_reason ${finishReason}`);
  // The simulator echoes the start of the question it got: the request's own nonce when the
  // question is the newest user message (a single-message request, or a continued session).
  const text = content.replaceAll(WRONG_PARTIAL, '');
  const checkable = req.messages.length === 1 || session === 'hit';
  if (checkable && !text.includes(req.nonce)) return bad("the answer does not echo this request's message (another request's answer?)");
  if (session === 'hit' && req.prevEcho) {
    const echo = echoOf(content);
    if (echo !== req.prevEcho) return bad('session hit continued another upstream session', `continued ${echo}, the conversation's is ${req.prevEcho}`);
  }
  return null;
}

// One chat completion. req: {messages, nonce, stream, includeUsage, abortOnContent, abortAfterMs,
// prevEcho}. Returns {cls, reason, detail, content, echo, session} (cls null: not counted).
async function chat(ctx, req) {
  const body = { model: 'auto', messages: req.messages, stream: req.stream };
  if (req.stream && req.includeUsage) body.stream_options = { include_usage: true };
  const what = req.stream ? 'chat stream' : 'chat';
  const r = await request(ctx, {
    method: 'POST', urlPath: '/v1/chat/completions', body: JSON.stringify(body), stream: req.stream,
    abortOnContent: req.abortOnContent, abortAfterMs: req.abortAfterMs,
  });
  const faults = ctx.timeline.active(r.t0, r.t1);
  const base = { requestId: r.requestId, session: r.session, phases: faults.map((f) => f.name), ms: Math.round(r.t1 - r.t0) };
  const done = (o) => ({ ...base, ...o, detail: o.detail });

  if (r.error && !(r.sse && r.why === 'client')) {
    if (r.sse && r.why !== 'cancel' && r.why !== 'timeout') {
      const code = r.error?.cause?.code ?? r.error?.name ?? 'error';
      return done({ cls: 'unexpected', reason: `${what}: stream cut by a transport error ${code}`, detail: String(r.error?.cause?.message ?? r.error?.message) });
    }
    const t = transportOutcome(r, what);
    return t ? done(t) : { cls: null };
  }
  if (r.status !== 200) return done(errorOutcome(r, faults, what));

  if (!req.stream) {
    let json;
    try {
      json = JSON.parse(r.text);
    } catch {
      return done({ cls: 'unexpected', reason: 'chat: 200 with a body that is not JSON', detail: r.text.slice(0, 200) });
    }
    const choice = json?.choices?.[0];
    if (json?.error || json?.object !== 'chat.completion' || !choice?.message) {
      return done({ cls: 'unexpected', reason: 'chat: 200 without a chat.completion', detail: r.text.slice(0, 300) });
    }
    const content = choice.message.content;
    const problem = answerProblem({
      content, reasoning: choice.message.reasoning_content, finishReason: choice.finish_reason, faults, req, session: r.session, streamed: false,
    });
    if (problem) return done({ cls: 'unexpected', reason: `chat: ${problem.reason}`, detail: problem.detail });
    ctx.stats.latency.chat.push(r.t1 - r.t0);
    return done({ cls: 'ok', reason: 'chat: 200', content, echo: echoOf(content) });
  }

  // Streamed.
  const sse = r.sse;
  if (!sse) return done({ cls: 'unexpected', reason: `chat stream: 200 with content-type ${r.contentType || '(none)'}`, detail: r.text.slice(0, 200) });
  ctx.stats.keepAlives += sse.comments;
  if (sse.junk.length) return done({ cls: 'unexpected', reason: 'chat stream: a line that is not data or a comment', detail: sse.junk[0].slice(0, 200) });
  let content = '';
  let reasoning = '';
  let finishReason = null;
  let errorEvent = null;
  let doneSeen = false;
  let afterEnd = 0;
  let usage = false;
  const ids = new Set();
  for (const [i, data] of sse.data.entries()) {
    if (doneSeen || errorEvent) {
      afterEnd++;
      continue;
    }
    if (data === '[DONE]') {
      doneSeen = true;
      continue;
    }
    let chunk;
    try {
      chunk = JSON.parse(data);
    } catch {
      return done({ cls: 'unexpected', reason: 'chat stream: a data line that is not JSON', detail: data.slice(0, 200) });
    }
    if (chunk.error) {
      errorEvent = chunk.error;
      continue;
    }
    if (chunk.object !== 'chat.completion.chunk') return done({ cls: 'unexpected', reason: 'chat stream: a chunk that is not chat.completion.chunk', detail: data.slice(0, 200) });
    ids.add(chunk.id);
    if (i === 0 && chunk.choices?.[0]?.delta?.role !== 'assistant') return done({ cls: 'unexpected', reason: 'chat stream: the first chunk has no assistant role', detail: data.slice(0, 200) });
    const choice = chunk.choices?.[0];
    if (chunk.usage) usage = true;
    if (!choice) continue;
    if (typeof choice.delta?.content === 'string') content += choice.delta.content;
    if (typeof choice.delta?.reasoning_content === 'string') reasoning += choice.delta.reasoning_content;
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  if (r.why === 'client') return done({ cls: 'aborted', reason: 'chat stream: client disconnected after the first content chunk' });
  if (ids.size > 1) return done({ cls: 'unexpected', reason: 'chat stream: chunks with different ids' });
  if (afterEnd) return done({ cls: 'unexpected', reason: `chat stream: ${afterEnd} event(s) after ${doneSeen ? '[DONE]' : 'the error event'}` });
  if (errorEvent) {
    const code = errorEvent.code ?? errorEvent.type ?? null;
    if (typeof errorEvent.message !== 'string') return done({ cls: 'unexpected', reason: 'chat stream: error event without a message', detail: JSON.stringify(errorEvent).slice(0, 200) });
    const fault = explain(faults, null, code);
    if (fault) return done({ cls: 'expected', reason: `chat stream: error event ${code} (${fault})` });
    return done({ cls: 'unexpected', reason: `chat stream: error event ${code}`, detail: errorEvent.message.slice(0, 200) });
  }
  if (!doneSeen) {
    return done({ cls: 'unexpected', reason: 'chat stream: ended without [DONE] or an error event', detail: `${sse.data.length} data lines; last: ${String(sse.data.at(-1)).slice(0, 150)}` });
  }
  if (req.includeUsage && !usage) return done({ cls: 'unexpected', reason: 'chat stream: include_usage without a usage chunk' });
  const problem = answerProblem({ content, reasoning, finishReason, faults, req, session: r.session, streamed: true });
  if (problem) return done({ cls: 'unexpected', reason: `chat stream: ${problem.reason}`, detail: problem.detail });
  if (content.includes(WRONG_PARTIAL)) ctx.stats.wrongPartialStreams++;
  ctx.stats.latency.stream.push(r.t1 - r.t0);
  return done({ cls: 'ok', reason: 'chat stream: 200 [DONE]', content, echo: echoOf(content) });
}

function record(ctx, o) {
  // Outcomes after the run was aborted (signal, runtime cap, gateway gone) say nothing more.
  if (!o || o.cls === null || ctx.signal.aborted) return;
  ctx.stats.add(o.cls, o.reason, {
    requestId: o.requestId, phases: o.phases, ms: o.ms, session: o.session, detail: o.detail,
    at: ((now() - ctx.t0) / 1000).toFixed(1),
  });
}

// Requests the gateway must refuse, with the status it must refuse them with.
const BAD_REQUESTS = [
  { name: 'malformed JSON', body: '{"model":"auto","messages":[{"role":"user","content":"x"}', status: 400 },
  { name: 'messages not an array', body: JSON.stringify({ model: 'auto', messages: 'hello' }), status: 400 },
  { name: 'empty messages', body: JSON.stringify({ model: 'auto', messages: [] }), status: 400 },
  { name: 'content not a string', body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 5 }] }), status: 400 },
  { name: 'stream not a boolean', body: JSON.stringify({ model: 'auto', stream: 'yes', messages: [{ role: 'user', content: 'x' }] }), status: 400 },
  { name: 'tools', body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }] }), status: 400 },
  { name: 'body is an array', body: '[]', status: 400 },
  { name: 'unknown model', body: JSON.stringify({ model: 'no-such-model-soak', messages: [{ role: 'user', content: 'x' }] }), status: 404 },
  { name: 'GET on chat', method: 'GET', urlPath: '/v1/chat/completions', status: 405 },
  { name: 'unknown endpoint', method: 'GET', urlPath: '/v1/no-such-endpoint', status: 404 },
];

async function badRequest(ctx, bad) {
  const r = await request(ctx, { method: bad.method ?? 'POST', urlPath: bad.urlPath ?? '/v1/chat/completions', body: bad.body });
  const faults = ctx.timeline.active(r.t0, r.t1);
  const base = { requestId: r.requestId, phases: faults.map((f) => f.name), ms: Math.round(r.t1 - r.t0) };
  if (r.error) {
    const t = transportOutcome(r, `bad request (${bad.name})`);
    return t && { ...base, ...t };
  }
  let shaped = false;
  try {
    shaped = typeof JSON.parse(r.text)?.error?.message === 'string';
  } catch {
    // not JSON
  }
  if (r.status === bad.status && shaped) return { ...base, cls: 'expected', reason: `bad request (${bad.name}): ${r.status}` };
  if (r.status === 503 && shaped && explain(faults, 503, null)) return { ...base, cls: 'expected', reason: `bad request (${bad.name}): 503 (${explain(faults, 503, null)})` };
  return { ...base, cls: 'unexpected', reason: `bad request (${bad.name}): ${r.status}${shaped ? '' : ' without an OpenAI error body'}, expected ${bad.status}`, detail: r.text.slice(0, 200) };
}

// GET endpoints: the status they must answer with and a check of the body.
const GETS = [
  { urlPath: '/v1/models', check: (t) => Array.isArray(JSON.parse(t).data) && JSON.parse(t).data.length > 0 },
  { urlPath: '/v1/models/auto', check: (t) => JSON.parse(t).id === 'auto' },
  { urlPath: '/metrics', check: (t) => t.includes('# TYPE lingma_gateway_') },
  { urlPath: '/internal/stats', check: (t) => Array.isArray(JSON.parse(t).instances) },
  { urlPath: '/health', check: () => true },
  { urlPath: '/ready', check: () => true, mayBe503: true },
];

async function getEndpoint(ctx, g) {
  const r = await request(ctx, { method: 'GET', urlPath: g.urlPath });
  const faults = ctx.timeline.active(r.t0, r.t1);
  const base = { requestId: r.requestId, phases: faults.map((f) => f.name), ms: Math.round(r.t1 - r.t0) };
  const what = `GET ${g.urlPath}`;
  if (r.error) {
    const t = transportOutcome(r, what);
    return t && { ...base, ...t };
  }
  if (r.status === 200) {
    let good = false;
    try {
      good = g.check(r.text);
    } catch {
      good = false;
    }
    return good ? { ...base, cls: 'ok', reason: `${what}: 200` } : { ...base, cls: 'unexpected', reason: `${what}: 200 with an unexpected body`, detail: r.text.slice(0, 200) };
  }
  if (r.status === 503 && g.mayBe503 && explain(faults, 503, null)) return { ...base, cls: 'expected', reason: `${what}: 503 (${explain(faults, 503, null)})` };
  return { ...base, cls: 'unexpected', reason: `${what}: ${r.status}`, detail: r.text.slice(0, 200) };
}

// ---------------------------------------------------------------------------------------------
// Workers

const WORDS = ('review refactor explain the lock order in this parser and why the cache entry ' +
  'outlives its session handle when a retry races the shutdown path of the pool').split(' ');

function userText(rand, nonce, turn) {
  const n = 4 + Math.floor(rand() * 24);
  const words = [];
  for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(rand() * WORDS.length)]);
  return `${nonce} t${turn}: ${words.join(' ')}`;
}

async function worker(ctx, id) {
  const rand = rng(ctx.opts.seed * 7919 + id * 104729 + ctx.round);
  let seq = 0;
  const nonce = () => `w${id}r${ctx.round}n${++seq}`;
  while (!ctx.stopWorkers && !ctx.signal.aborted) {
    const x = rand() * 100;
    if (x < 20) {
      const n = nonce();
      record(ctx, await chat(ctx, { messages: [{ role: 'user', content: userText(rand, n, 1) }], nonce: n, stream: false }));
    } else if (x < 40) {
      const n = nonce();
      record(ctx, await chat(ctx, { messages: [{ role: 'user', content: userText(rand, n, 1) }], nonce: n, stream: true, includeUsage: rand() < 0.3 }));
    } else if (x < 56) {
      // A conversation: the client resends the history each turn, as an OpenAI client does.
      const turns = 3 + Math.floor(rand() * 3);
      const messages = rand() < 0.5 ? [{ role: 'system', content: `You are reviewer ${id}. Be brief.` }] : [];
      let prevEcho = null;
      for (let turn = 1; turn <= turns && !ctx.stopWorkers && !ctx.signal.aborted; turn++) {
        const n = nonce();
        messages.push({ role: 'user', content: userText(rand, n, turn) });
        const o = await chat(ctx, { messages: [...messages], nonce: n, stream: rand() < 0.5, prevEcho: turn > 1 ? prevEcho : null });
        record(ctx, o);
        if (o.cls !== 'ok') break;
        if (turn > 1) {
          const s = ctx.stats.sessions;
          if (o.session in s) s[o.session]++;
          else s.other++;
        }
        messages.push({ role: 'assistant', content: o.content });
        prevEcho = o.echo ?? null;
      }
    } else if (x < 66) {
      const n = nonce();
      record(ctx, await chat(ctx, { messages: [{ role: 'user', content: userText(rand, n, 1) }], nonce: n, stream: true, abortOnContent: true }));
    } else if (x < 71) {
      const n = nonce();
      record(ctx, await chat(ctx, { messages: [{ role: 'user', content: userText(rand, n, 1) }], nonce: n, stream: false, abortAfterMs: 5 + Math.floor(rand() * 30) }));
    } else if (x < 83) {
      record(ctx, await badRequest(ctx, BAD_REQUESTS[Math.floor(rand() * BAD_REQUESTS.length)]));
    } else {
      record(ctx, await getEndpoint(ctx, GETS[Math.floor(rand() * GETS.length)]));
    }
  }
}

async function runLoad(ctx, ms, { faults }) {
  ctx.round++;
  ctx.stopWorkers = false;
  ctx.stopFaults = false;
  const workers = Array.from({ length: ctx.opts.concurrency }, (_, i) => worker(ctx, i + 1));
  const driver = faults ? faultDriver(ctx) : null;
  const sampler = faults ? samplerLoop(ctx) : null;
  const until = now() + ms;
  while (now() < until && !ctx.signal.aborted) await sleep(Math.min(200, until - now()));
  ctx.stopFaults = true;
  await driver;
  ctx.stopWorkers = true;
  await Promise.all(workers);
  ctx.stopSampler = true;
  await sampler;
}

// ---------------------------------------------------------------------------------------------
// Samples

const STATE_LETTER = { ready: 'R', starting: 'S', reconnecting: 'r', failed: 'F', closed: 'C' };

async function takeSample(ctx, label) {
  const pid = ctx.gw.proc.pid;
  // /proc first: the stats request below opens a connection of its own.
  const st = procStatus(pid);
  const fd = fdInfo(pid);
  const tcp = tcpStates(pid, fd.inodes);
  const kids = childrenOf(pid);
  const sims = processesMentioning(ctx.tmp, new Set([pid])).filter(isSim);
  const stats = (await getJson(`${ctx.gw.url}/internal/stats`))?.json ?? null;
  const inFlight = await requestsInFlight(ctx);
  const counts = ctx.stats.snapshot();
  const prev = ctx.samples.at(-1);
  const t = now();
  const s = {
    label,
    t: (t - ctx.t0) / 1000,
    fault: ctx.timeline.current().name,
    rssKB: st?.rssKB ?? null,
    threads: st?.threads ?? null,
    fds: fd.fds,
    sockets: fd.sockets,
    established: tcp.established,
    closeWait: tcp.closeWait,
    // Sockets neither listening nor connected: peers that went away but whose fd is still open.
    deadSockets: fd.sockets === null ? null : tcp.closeWait + tcp.otherTcp + tcp.unlisted,
    children: kids.length,
    zombies: kids.filter((k) => k.state.startsWith('Z')).length,
    sims: sims.length,
    simRssKB: sims.reduce((a, p) => a + p.rssKB, 0),
    instances: stats?.instances ? stats.instances.map((i) => STATE_LETTER[i.state] ?? '?').join('') : 'n/a',
    allReady: Boolean(stats?.instances?.length === ctx.poolSize && stats.instances.every((i) => i.state === 'ready')),
    restarts: stats?.instances ? stats.instances.reduce((a, i) => a + (i.restarts ?? 0), 0) : null,
    cache: stats?.session_cache?.entries ?? null,
    inFlight,
    counts,
    rate: null,
    delta: null,
  };
  if (prev && label === 'soak') {
    const d = {};
    for (const k of Object.keys(counts)) d[k] = counts[k] - prev.counts[k];
    const total = Object.values(d).reduce((a, b) => a + b, 0);
    s.delta = d;
    s.rate = total / ((t - prev.at) / 1000);
  }
  s.at = t;
  ctx.samples.push(s);
  printSampleRow(s);
  return s;
}

// HTTP requests the gateway is serving (its in-flight gauge minus this /metrics request).
async function requestsInFlight(ctx) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 2000);
  try {
    const text = await (await fetch(`${ctx.gw.url}/metrics`, { signal: ac.signal })).text();
    const m = /^lingma_gateway_http_requests_in_flight (\S+)$/m.exec(text);
    return m ? Number(m[1]) - 1 : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function samplerLoop(ctx) {
  ctx.stopSampler = false;
  const every = ctx.opts['sample-every-s'] * 1000;
  let next = now() + every;
  while (!ctx.stopSampler && !ctx.signal.aborted) {
    await sleep(Math.max(0, Math.min(100, next - now())));
    if (now() >= next && !ctx.stopSampler) {
      await takeSample(ctx, 'soak');
      next += every;
    }
  }
}

const COLUMNS = [
  ['sample', 6], ['t s', 6], ['fault', 10], ['req/s', 6], ['ok', 6], ['exp', 5], ['abort', 5], ['unexp', 5],
  ['RSS MB', 7], ['fds', 4], ['socks', 5], ['estab', 5], ['dead', 4], ['thr', 4], ['sims', 4], ['kids', 4],
  ['zomb', 4], ['inst', 4], ['rst', 4], ['cache', 6], ['infl', 4], ['simMB', 6],
];

function printSampleHeader(poolSize) {
  COLUMNS.find((c) => c[0] === 'inst')[1] = Math.max(4, poolSize);
  const cells = COLUMNS.map(([h, w], i) => (i <= 2 ? h.padEnd(w) : h.padStart(w)));
  console.log(cells.join(' '));
}

function printSampleRow(s) {
  const mb = (kb) => (kb === null ? 'n/a' : (kb / 1024).toFixed(1));
  const d = s.delta;
  const v = [
    s.label, s.t.toFixed(1), s.fault, s.rate === null ? '-' : s.rate.toFixed(0),
    d ? d.ok : '-', d ? d.expected : '-', d ? d.aborted : '-', d ? d.unexpected : '-',
    mb(s.rssKB), s.fds ?? 'n/a', s.sockets ?? 'n/a', s.established, s.deadSockets ?? 'n/a', s.threads ?? 'n/a', s.sims, s.children,
    s.zombies, s.instances, s.restarts ?? 'n/a', s.cache ?? 'n/a', s.inFlight ?? 'n/a', mb(s.simRssKB),
  ].map(String);
  console.log(v.map((x, i) => (i <= 2 ? x.padEnd(COLUMNS[i][1]) : x.padStart(COLUMNS[i][1]))).join(' '));
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = now();
  const opts = parseArgs(process.argv.slice(2));
  const buildDir = resolveBuildDir(opts['build-dir']);
  const gatewayBin = path.join(buildDir, 'lingma-gateway');
  const soakMs = (opts.seconds > 0 ? opts.seconds : opts.minutes * 60) * 1000;
  // The soak plus the warm-up and the two quiet periods, plus 60 s for start-up and shutdown.
  const capMs = soakMs + (opts['warmup-s'] + 2 * opts['quiet-s']) * 1000 + 60_000;

  let help = '';
  try {
    help = execFileSync(gatewayBin, ['--help'], { encoding: 'utf8', timeout: 10_000 });
  } catch (err) {
    throw new UsageError(`${gatewayBin} --help failed: ${err.message}`);
  }
  const flag = (name) => help.includes(`--${name} `) || help.includes(`--${name}[`);
  for (const f of ['simulator', 'lingma-pool-size', 'lingma-chat-idle-timeout', 'sse-keepalive-interval', 'session-cache-max-entries', 'session-cache-ttl-sec']) {
    if (!flag(f)) throw new UsageError(`${gatewayBin} has no --${f}; the soak needs it`);
  }
  const graceS = flag('shutdown-grace') ? 5 : null;
  let cycle = FAULT_CYCLE;
  if (opts.faults !== 'all') {
    const names = opts.faults.split(',').map((x) => x.trim()).filter(Boolean);
    const unknown = names.filter((n) => !FAULT_CYCLE.some((f) => f.name === n));
    if (unknown.length || names.length === 0) {
      throw new UsageError(`--faults: unknown fault ${unknown.join(', ') || '(none given)'}; known: ${[...new Set(FAULT_CYCLE.map((f) => f.name))].join(', ')}`);
    }
    cycle = FAULT_CYCLE.filter((f) => names.includes(f.name));
  }
  if (opts['crash-every-s'] === 0) cycle = cycle.filter((f) => !f.crash);
  if (!cycle.some((f) => !f.crash)) cycle = [NORMAL, ...cycle];
  const idleTimeoutS = 2;

  const abort = new AbortController();
  const capTimer = setTimeout(() => abort.abort(new Error('runtime cap')), capMs);
  capTimer.unref();
  // Backstop: if stopping the gateway itself hangs, give up 30 s after the cap.
  setTimeout(() => {
    console.error('soak.mjs: still running 30 s after the runtime cap; killing the gateway');
    process.exit(1);
  }, capMs + 30_000).unref();
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
  const binMtime = fs.statSync(gatewayBin).mtimeMs;
  const src = newestSource();

  console.log('Soak test (lingma-gateway --simulator, mixed load with faults)');
  console.log(`machine:  nproc ${nproc}, ${model}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (at start)`);
  console.log(`binaries: ${path.relative(process.cwd(), buildDir) || '.'} (${version}), node ${process.version}`);
  if (src.mtime > binMtime) console.log(`          note: the gateway binary is older than ${src.file}; it may not match the sources`);
  console.log(
    `settings: soak ${(soakMs / 1000).toFixed(0)} s after ${opts['warmup-s']} s warm-up, ${opts.concurrency} clients, pool ${opts['pool-size']}, ` +
      `fault phases ${opts['phase-s']} s, ${opts['crash-every-s'] === 0 ? 'no crashes' : `crash at most every ${opts['crash-every-s']} s`}, ` +
      `samples every ${opts['sample-every-s']} s, quiet ${opts['quiet-s']} s before start/end samples, request timeout ${opts['request-timeout-ms']} ms, ` +
      `runtime cap ${(capMs / 1000).toFixed(0)} s, seed ${opts.seed}`,
  );
  console.log(
    `gateway:  chat idle timeout ${idleTimeoutS} s, SSE keep-alive 1 s, session cache ${opts['cache-entries']} entries / ${opts['cache-ttl-s']} s TTL` +
      `${graceS === null ? '' : `, shutdown grace ${graceS} s`}; sim 8 deltas x 5 ms`,
  );
  console.log(`faults:   ${cycle.map((f) => f.name).join(' -> ')} -> (again)`);
  console.log(
    `limits:   RSS +${opts['rss-growth-pct']}%, fds +${opts['fd-slack']}, threads +${opts['thread-slack']}; ` +
      `${opts['pool-size']} simulators and no zombies at the end, none after shutdown; no unexpected outcome`,
  );

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lgw-soak-'));
  const controlFile = path.join(tmp, 'control.json');
  writeControl(controlFile, NORMAL.control);
  const argv = [
    '--simulator', '--port', '0', '--host', '127.0.0.1',
    '--lingma-work-dir', path.join(tmp, 'work'), '--env-file', '',
    '--lingma-pool-size', String(opts['pool-size']),
    '--lingma-chat-idle-timeout', String(idleTimeoutS),
    '--sse-keepalive-interval', '1',
    '--session-cache-max-entries', String(opts['cache-entries']),
    '--session-cache-ttl-sec', String(opts['cache-ttl-s']),
    // info: the listening port is only logged at info.
    '--log-level', 'info',
    ...(graceS === null ? [] : ['--shutdown-grace', String(graceS)]),
  ];
  const env = childEnv(gatewayEnvNames(help), {
    LINGMA_SIM_CONTROL: controlFile,
    LINGMA_SIM_DELTAS: '8',
    LINGMA_SIM_DELTA_DELAY_MS: '5',
  });

  const ctx = {
    opts, tmp, controlFile, poolSize: opts['pool-size'], signal: abort.signal, gw: null, cycle,
    timeline: new Timeline(), stats: new Stats(), samples: [], inflight: new Set(),
    faultRuns: new Map(), crashes: 0, crashesMissed: 0, recoveryMs: [], round: 0,
    stopWorkers: false, stopFaults: false, stopSampler: false, t0: 0,
  };
  // Cancel every open request when the run is aborted.
  abort.signal.addEventListener('abort', () => {
    for (const cancel of ctx.inflight) cancel('cancel');
  });

  const failures = [];
  let startSample = null;
  let endSample = null;
  let shutdown = null;
  let leftAfterExit = null;
  let gatewayDied = null;
  let soakSeconds = 0;
  try {
    ctx.gw = await startGateway({ bin: gatewayBin, argv, env, dir: tmp, signal: abort.signal });
    ctx.gw.exit.then((info) => {
      // Ctrl-C reaches the gateway too (same process group); that is no crash.
      if (!ctx.stopping && !interrupted) {
        gatewayDied = info;
        abort.abort(new Error('gateway exited'));
      }
    });
    ctx.t0 = now();
    ctx.timeline.begin(NORMAL);
    const readyMs = await waitPoolReady(ctx, 20_000);
    if (readyMs === null) throw new Error(`the pool did not become ready within 20 s\n${ctx.gw.tail.slice(-10).join('\n')}`);

    console.log('');
    printSampleHeader(ctx.poolSize);
    await runLoad(ctx, opts['warmup-s'] * 1000, { faults: false });
    if (!abort.signal.aborted) await sleep(opts['quiet-s'] * 1000);
    if (!abort.signal.aborted) startSample = await takeSample(ctx, 'start');

    const soakStart = now();
    if (!abort.signal.aborted) await runLoad(ctx, soakMs, { faults: true });
    soakSeconds = (now() - soakStart) / 1000;
    writeControl(controlFile, NORMAL.control);
    if (!abort.signal.aborted) {
      if ((await waitPoolReady(ctx, 30_000)) === null && !abort.signal.aborted) failures.push('the pool was not whole (all ready, one live simulator each) 30 s after the load stopped');
    }
    if (!abort.signal.aborted) await sleep(opts['quiet-s'] * 1000);
    if (!abort.signal.aborted) endSample = await takeSample(ctx, 'end');
  } catch (err) {
    failures.push(`run aborted: ${err?.message ?? err}`);
  } finally {
    ctx.stopping = true;
    ctx.stopWorkers = ctx.stopFaults = ctx.stopSampler = true;
    for (const cancel of ctx.inflight) cancel('cancel');
    if (ctx.gw) {
      const pid = ctx.gw.proc.pid;
      shutdown = await ctx.gw.stop((graceS ?? 10) * 1000 + 5000);
      // The gateway must have stopped its simulators before exiting; allow a moment for the
      // kernel to finish tearing down processes that are already exiting.
      let left = processesMentioning(tmp, new Set([pid]));
      const atExit = left.length;
      for (let i = 0; i < 20 && left.length > 0; i++) {
        await sleep(100);
        left = processesMentioning(tmp, new Set([pid]));
      }
      leftAfterExit = { atExit, after2s: left };
      for (const p of left) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Summary

  const checks = []; // [ok, text]
  const check = (ok, text) => checks.push([ok, text]);
  const mb = (kb) => (kb / 1024).toFixed(1);
  console.log('');
  if (startSample && endSample) {
    const rssGrowth = ((endSample.rssKB - startSample.rssKB) / startSample.rssKB) * 100;
    console.log(`start vs end (both idle, after ${opts['quiet-s']} s quiet with the control file normal):`);
    const rows = [
      ['gateway RSS MB', mb(startSample.rssKB), mb(endSample.rssKB), `${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)}%`],
      ['open fds', startSample.fds, endSample.fds, `${endSample.fds - startSample.fds >= 0 ? '+' : ''}${endSample.fds - startSample.fds}`],
      ['  sockets', startSample.sockets, endSample.sockets, ''],
      ['  dead (not listening/estab.)', startSample.deadSockets, endSample.deadSockets, ''],
      ['  of which CLOSE_WAIT', startSample.closeWait, endSample.closeWait, ''],
      ['threads', startSample.threads, endSample.threads, `${endSample.threads - startSample.threads >= 0 ? '+' : ''}${endSample.threads - startSample.threads}`],
      ['lingma-sim processes', startSample.sims, endSample.sims, ''],
      ['gateway children (zombies)', `${startSample.children} (${startSample.zombies})`, `${endSample.children} (${endSample.zombies})`, ''],
      ['instances', startSample.instances, endSample.instances, ''],
      ['instance restarts', startSample.restarts, endSample.restarts, ''],
      ['session cache entries', startSample.cache, endSample.cache, ''],
      ['HTTP requests in flight', startSample.inFlight, endSample.inFlight, ''],
      ['simulators RSS MB (sum)', mb(startSample.simRssKB), mb(endSample.simRssKB), ''],
    ];
    for (const [name, a, b, c] of rows) console.log(`  ${name.padEnd(30)} ${String(a).padStart(10)} ${String(b).padStart(10)} ${String(c).padStart(8)}`);
    check(rssGrowth <= opts['rss-growth-pct'], `gateway RSS grew ${rssGrowth.toFixed(1)}% (limit ${opts['rss-growth-pct']}%)`);
    check(endSample.fds - startSample.fds <= opts['fd-slack'], `open fds ${startSample.fds} -> ${endSample.fds} (limit +${opts['fd-slack']})`);
    check(endSample.deadSockets <= startSample.deadSockets,
      `TCP sockets neither listening nor established ${startSample.deadSockets} -> ${endSample.deadSockets} (${endSample.closeWait} in CLOSE_WAIT at the end; want no growth)`);
    check(endSample.threads - startSample.threads <= opts['thread-slack'], `threads ${startSample.threads} -> ${endSample.threads} (limit +${opts['thread-slack']})`);
    check(endSample.sims === ctx.poolSize && endSample.children === ctx.poolSize && endSample.zombies === 0,
      `${endSample.sims} simulators, ${endSample.children} children, ${endSample.zombies} zombies at the end (want ${ctx.poolSize}, ${ctx.poolSize}, 0)`);
    check(endSample.allReady, `instances at the end: ${endSample.instances} (want all ready)`);
    check(endSample.inFlight === 0, `${endSample.inFlight ?? 'unknown'} HTTP request(s) in flight at the end (want 0)`);
  } else {
    check(false, `no ${startSample ? 'end' : 'start'} sample (the run did not get that far)`);
  }

  const c = ctx.stats.byClass;
  const total = c.ok + c.expected + c.aborted + c.unexpected;
  const wall = (now() - started) / 1000;
  console.log('');
  console.log(`outcomes: ${total} requests (warm-up and soak); ok ${c.ok}, expected ${c.expected}, aborted ${c.aborted} (intended client disconnects), unexpected ${c.unexpected}`);
  const byReason = [...ctx.stats.counts].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [key, n] of byReason) {
    const [cls, reason] = key.split('\t');
    console.log(`  ${cls.padEnd(10)} ${String(n).padStart(7)}  ${reason}`);
  }
  if (ctx.stats.examples.length) {
    console.log('  first unexpected outcomes:');
    for (const e of ctx.stats.examples.slice(0, 15)) {
      console.log(`    t=${e.at}s ${e.reason} [faults ${(e.phases ?? []).join(',') || '-'}; ${e.ms ?? '?'} ms; ${e.requestId || 'no request id'}${e.session ? `; session ${e.session}` : ''}]${e.detail ? `: ${e.detail}` : ''}`);
    }
  }
  check(c.unexpected === 0, `${c.unexpected} unexpected outcome(s)`);
  const s = ctx.stats.sessions;
  console.log(`conversation turns 2+: session hit ${s.hit}, fork ${s.fork}, miss ${s.miss}${s.other ? `, other ${s.other}` : ''}`);
  const p = (arr, q) => (arr.length ? `${percentile(arr, q).toFixed(0)}` : 'n/a');
  console.log(
    `latency of ok answers (ms): non-stream p50 ${p(ctx.stats.latency.chat, 50)} p99 ${p(ctx.stats.latency.chat, 99)} max ${p(ctx.stats.latency.chat, 100)}; ` +
      `stream p50 ${p(ctx.stats.latency.stream, 50)} p99 ${p(ctx.stats.latency.stream, 99)} max ${p(ctx.stats.latency.stream, 100)}`,
  );
  console.log(`SSE keep-alive comments received: ${ctx.stats.keepAlives}; complete streams that carried an overwritten (wrong) delta: ${ctx.stats.wrongPartialStreams}`);
  const runs = [...ctx.faultRuns].map(([k, v]) => `${k} ${v}`).join(', ');
  const rec = ctx.recoveryMs.length ? `, pool whole again after ${ctx.recoveryMs.map((m) => (m / 1000).toFixed(1)).join('/')} s` : '';
  console.log(`fault phases run: ${runs || 'none'}; simulator crashes caused ${ctx.crashes}${ctx.crashesMissed ? ` (${ctx.crashesMissed} crash phase(s) saw no crash)` : ''}${rec}`);

  if (gatewayDied) check(false, `the gateway exited during the run (code ${gatewayDied.code}, signal ${gatewayDied.signal})`);
  if (shutdown?.already && !gatewayDied) {
    console.log(`shutdown: the gateway had exited before the SIGTERM (code ${shutdown.code}, signal ${shutdown.signal})`);
  } else if (shutdown && !gatewayDied) {
    const graceMs = (graceS ?? 10) * 1000;
    console.log(`shutdown: SIGTERM -> exit code ${shutdown.code}${shutdown.signal ? ` signal ${shutdown.signal}` : ''} after ${(shutdown.ms / 1000).toFixed(2)} s${shutdown.forced ? ' (killed: did not exit in time)' : ''}`);
    check(!shutdown.forced && shutdown.code === 0 && shutdown.ms <= graceMs + 2000, `gateway exit after SIGTERM: code ${shutdown.code}, ${(shutdown.ms / 1000).toFixed(2)} s (want 0 within the ${graceMs / 1000} s grace + 2 s)`);
  }
  if (leftAfterExit) {
    const left = leftAfterExit.after2s;
    console.log(`processes naming the work dir after the gateway exited: ${leftAfterExit.atExit} at once, ${left.length} after 2 s${left.length ? `: ${left.map((x) => `${x.pid} ${path.basename(x.argv0)} ${x.state}`).join(', ')} (killed)` : ''}`);
    check(left.length === 0, `${left.length} process(es) left behind after shutdown`);
  }
  const levels = [...ctx.gw?.levels ?? []].map(([k, v]) => `${k} ${v}`).join(', ');
  const events = [...ctx.gw?.events ?? []].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`gateway log lines: ${levels || 'none'}${events ? `; warn/error events: ${events}` : ''}`);

  if (abort.signal.aborted && !gatewayDied) {
    check(false, interrupted ? `interrupted by ${interrupted}` : abort.signal.reason?.message === 'runtime cap' ? `runtime cap of ${capMs / 1000} s reached` : `aborted: ${abort.signal.reason?.message ?? abort.signal.reason}`);
  }
  for (const f of failures) check(false, f);

  console.log(`runtime ${wall.toFixed(1)} s (soak ${soakSeconds.toFixed(1)} s); load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const failed = checks.filter(([ok]) => !ok);
  const keep = opts['keep-tmp'] || failed.length > 0;
  if (keep) console.log(`temporary files (gateway.log, control.json, simulator logs) kept in ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  console.log('');
  if (failed.length) {
    console.log(`FAILED: ${failed.length} check(s)`);
    for (const [, text] of failed) console.log(`  - ${text}`);
    return 1;
  }
  console.log(`PASSED: ${checks.map(([, t]) => t).join('; ')}`);
  return 0;
}

// Last resort: a gateway still running when Node exits is killed (its simulators die with it).
process.on('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      console.error(`soak.mjs: ${err.message}\n\n${usage()}`);
      process.exit(2);
    }
    console.error(`soak.mjs: ${err?.stack ?? err}`);
    process.exit(1);
  },
);
