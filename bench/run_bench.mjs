#!/usr/bin/env node
// The benchmark table of `make bench`: starts lingma-sim and lingma-gateway (simulator mode),
// drives the scenarios with bench/loadgen through the gateway and, as the baseline, straight to
// the simulator over WebSocket, runs bench/session_reuse.mjs, and prints one table: every row
// with its target, the measured value, the baseline from the same run and their ratio.
//
// Usage: node bench/run_bench.mjs [--build-dir DIR] [--reps N] [--only LIST] … (see --help)
// Needs Node 20 and built binaries (lingma-gateway, lingma-sim, loadgen); builds nothing.
// Exit codes: 0 every scenario ran (targets missed or not: benchmarks print, they do not
// assert), 1 a scenario could not run or the run was aborted, 2 bad command line.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIOS = ['startup', 'c1', 'c64', 'prompt', 'streams', 'slow', 'reuse'];
// These share one simulator and one gateway (and the c=1 scenario's second, polling gateway).
const SMALL_SCENARIOS = new Set(['c1', 'c64', 'prompt']);

// ---------------------------------------------------------------------------------------------
// Command line

const OPTIONS = {
  'build-dir': { value: '', help: 'directory with lingma-gateway, lingma-sim and loadgen (default: build/release)' },
  only: { value: SCENARIOS.join(','), help: `comma-separated scenarios to run: ${SCENARIOS.join(', ')}` },
  reps: { value: 3, int: true, min: 1, help: 'runs per scenario (gateway and direct alternate); the table shows medians' },
  'startup-reps': { value: 3, int: true, min: 1, help: 'gateway starts measured for start-up time and idle RSS' },
  'c1-seconds': { value: 3, num: true, min: 0.5, help: 'non-stream c=1: seconds per run' },
  'c1-busy-poll-us': { value: 200, int: true, min: 1, help: 'non-stream c=1: BUSY_POLL_US of the low-latency gateway (a second gateway runs with the default, 0)' },
  'c64-seconds': { value: 4, num: true, min: 0.5, help: 'non-stream c=64: seconds per run' },
  'c64-concurrency': { value: 64, int: true, min: 1, help: 'concurrency of the throughput scenario' },
  'prompt-kib': { value: 200, int: true, min: 1, help: 'non-stream c=1 with a large prompt: its size in KiB (a long conversation sent whole)' },
  'prompt-seconds': { value: 3, num: true, min: 0.5, help: 'large-prompt scenario: seconds per run' },
  'small-answer-bytes': { value: 64, int: true, min: 8, help: 'answer size of the non-stream scenarios (4 deltas)' },
  streams: { value: 1000, int: true, min: 1, help: 'concurrent streams of the paced-stream scenario' },
  'stream-deltas': { value: 50, int: true, min: 2, help: 'deltas per paced stream' },
  'stream-delta-ms': { value: 20, int: true, min: 0, help: 'simulator wait before every delta of a paced stream' },
  'sim-tick-us': { value: 1000, int: true, min: 0, help: 'paced streams: the simulator\'s decoding step (LINGMA_SIM_TICK_US); 0 = every wait ends exactly when due' },
  'light-streams': { value: 200, int: true, min: 0, help: 'also run the paced streams with this many streams (a load this machine can pace); 0 = skip' },
  'stream-seconds': { value: 5, num: true, min: 1, help: 'paced streams: seconds during which streams are started, per run' },
  'slow-streams': { value: 10000, int: true, min: 1, help: 'concurrent slow streams (capped by the fd limit)' },
  'slow-deltas': { value: 25, int: true, min: 1, help: 'deltas per slow stream' },
  'slow-delta-ms': { value: 1000, int: true, min: 0, help: 'simulator wait before every delta of a slow stream' },
  'slow-ramp-s': { value: 10, num: true, min: 0, help: 'slow streams are opened evenly over this many seconds' },
  'slow-pool-size': { value: 1, int: true, min: 1, help: 'gateway pool size (simulator processes) of the slow-stream scenario' },
  'slow-reps': { value: 1, int: true, min: 1, help: 'runs of the slow-stream scenario (each ~slow-deltas x delay + ramp)' },
  'direct-connections': { value: 1, int: true, min: 1, help: 'WebSocket connections of the direct baseline (the gateway uses one per instance)' },
  'log-level': { value: 'warn', help: 'gateway log level during load (info logs one line per request)' },
  'session-reuse-args': { value: '', help: 'extra arguments for bench/session_reuse.mjs (space-separated)' },
  'max-runtime-s': { value: 900, int: true, min: 30, help: 'the run is aborted (exit 1) after this long' },
  'keep-tmp': { value: false, bool: true, help: 'keep the temporary directory (logs) even on success' },
};

class UsageError extends Error {}

function usage() {
  const lines = ['Usage: node bench/run_bench.mjs [OPTION...]', ''];
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
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
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
  const only = out.only.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of only) if (!SCENARIOS.includes(s)) throw new UsageError(`--only: unknown scenario ${JSON.stringify(s)}`);
  out.only = new Set(only);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const fmt = {
  us: (x) => (x === null ? 'n/a' : `${Math.round(x)} µs`),
  // CPU per event: "19 µs (user 9.6 + kernel 9.1)".
  cpu: (c) => (c.all === null ? 'n/a'
    : `${Math.round(c.all)} µs (user ${c.user?.toFixed(1) ?? 'n/a'} + kernel ${c.sys?.toFixed(1) ?? 'n/a'})`),
  ms: (x) => (x === null ? 'n/a' : `${x.toFixed(x < 10 ? 2 : 1)} ms`),
  ratio: (x) => (x === null || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(2)}x`),
  rps: (x) => (x === null ? 'n/a' : `${Math.round(x)} req/s`),
  kib: (x) => (x === null ? 'n/a' : `${x.toFixed(1)} KiB`),
  mib: (x) => (x === null ? 'n/a' : `${(x / 1024).toFixed(1)} MiB`),
  pct: (x) => (x === null ? 'n/a' : `${Math.round(x)}%`),
  cores: (x) => (x === null ? 'n/a' : x.toFixed(2)),
};
const div = (a, b) => (a === null || b === null || b === 0 ? null : a / b);
const sub = (a, b) => (a === null || b === null ? null : a - b);

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

const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

function shellOut(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// /proc readers (Linux)

const CLK_TCK = Number(shellOut('getconf', ['CLK_TCK'])) || 100;

// A process's CPU time so far, in user space and in the kernel (seconds), or null.
function cpuTimes(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return { user: Number(fields[11]) / CLK_TCK, sys: Number(fields[12]) / CLK_TCK };
  } catch {
    return null;
  }
}

function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// Bytes Lingma (the simulator) sent that the gateway has not read yet, summed over its instances
// (`unread_bytes` in /internal/stats), or null. Read from the gateway rather than from
// /proc/net/tcp: formatting that table walks every socket of the machine, about 9 ms of one core
// at 1,000 streams, which every 250 ms stalled the very streams being measured.
async function gatewayUnread(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/internal/stats`);
    if (!res.ok) return null;
    const body = await res.json();
    return body.instances.reduce((sum, inst) => sum + (inst.unread_bytes ?? 0), 0);
  } catch {
    return null;
  }
}

// A simulator's .info file (its WebSocket port, then its pid), or null while it is not written.
function readSimInfo(dir) {
  try {
    const [port, pid] = fs.readFileSync(path.join(dir, '.info'), 'utf8').split('\n').map(Number);
    return { port, pid };
  } catch {
    return null;
  }
}

function fdCount(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

const running = new Set(); // ChildProcess objects not yet known to have exited

// Children get the hard fd limit as their soft limit (10,000 streams need 10,000 sockets in the
// gateway and as many in the load generator) through a shell whose `exec` keeps the pid; `raise:
// false` spawns directly (the start-up time must not include a shell).
function spawnRaised(bin, args, options, { raise = true } = {}) {
  const proc = raise
    ? spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', bin, ...args], options)
    : spawn(bin, args, options);
  running.add(proc);
  proc.exitInfo = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    });
    proc.once('error', (err) => {
      running.delete(proc);
      resolve({ code: null, signal: null, error: err });
    });
  });
  return proc;
}

async function stopProcess(proc, graceMs = 10_000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitInfo;
  proc.kill('SIGTERM');
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
  const result = await Promise.race([proc.exitInfo, timeout]);
  clearTimeout(timer);
  if (result !== 'timeout') return result;
  proc.kill('SIGKILL');
  await proc.exitInfo;
  return { code: null, signal: 'SIGKILL', forced: true };
}

// Gateway and simulator settings the caller's shell may hold: never passed on.
function gatewayEnvNames(gatewayBin) {
  const names = new Set(['HOST', 'PORT', 'API_KEYS', 'ADMIN_API_KEY', 'LOG_LEVEL', 'ENV_FILE',
    'SIMULATOR', 'SESSION_REUSE_ENABLED', 'SESSION_CACHE_MAX_ENTRIES', 'SESSION_CACHE_TTL_SEC']);
  const help = shellOut(gatewayBin, ['--help']);
  for (const m of help.matchAll(/\s([A-Z][A-Z0-9_]*), default /g)) names.add(m[1]);
  return names;
}

let DROP_NAMES = new Set();

function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('LINGMA_') || DROP_NAMES.has(k)) continue;
    env[k] = v;
  }
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost';
  return { ...env, ...extra };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// Collects a child's stderr into a log file and a short tail; calls onLine for every line.
function watchStderr(proc, logPath, onLine) {
  const tail = [];
  const log = fs.createWriteStream(logPath);
  let buffered = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (data) => {
    log.write(data);
    buffered += data;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      tail.push(line);
      if (tail.length > 50) tail.shift();
      onLine?.(line);
    }
  });
  proc.once('exit', () => log.end());
  return tail;
}

// Warnings the gateway always logs at start (no API keys, simulator mode): not news.
const EXPECTED_WARNINGS = new Set(['gateway.no_api_keys', 'gateway.simulator']);

class Gateway {
  constructor(label, proc, port, tail, dir) {
    this.label = label;
    this.dir = dir;
    this.proc = proc;
    this.port = port;
    this.tail = tail;
    this.warnings = []; // warn and error log lines other than the expected ones
    this.reported = 0;
  }

  onLine(line) {
    try {
      const entry = JSON.parse(line);
      if ((entry.level === 'warn' || entry.level === 'error') && !EXPECTED_WARNINGS.has(entry.event)) this.warnings.push(line);
    } catch {
      // not a JSON log line
    }
  }

  // Prints (and returns the number of) warnings logged since the last call.
  reportWarnings(ctx, what) {
    const fresh = this.warnings.slice(this.reported);
    this.reported = this.warnings.length;
    if (fresh.length === 0) return 0;
    console.log(`    gateway logged ${fresh.length} warning(s) during ${what}:`);
    for (const line of fresh.slice(0, 5)) console.log(`      ${line.slice(0, 300)}`);
    ctx.problems.push(`${this.label}: ${fresh.length} gateway warning(s) during ${what}, e.g. ${fresh[0].slice(0, 200)}`);
    return fresh.length;
  }

  get pid() {
    return this.proc.pid;
  }

  // The simulator processes of its instances, from their .info files (line 2 is the pid).
  simPids() {
    return this.simInfos().map((info) => info.pid).filter((pid) => pid > 0);
  }

  // The .info of each instance's simulator that has written one, in instance order.
  simInfos() {
    const work = path.join(this.dir, 'work');
    let instances = [];
    try {
      instances = fs.readdirSync(work).sort();
    } catch {
      // no work dir
    }
    return instances.map((inst) => readSimInfo(path.join(work, inst))).filter((info) => info !== null);
  }

  // Throws when the gateway had already died (crash) or does not exit cleanly on SIGTERM.
  stop() {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  async stopOnce() {
    const died = this.proc.exitCode !== null || this.proc.signalCode !== null;
    const r = await stopProcess(this.proc);
    if (died) throw new Error(`${this.label}: gateway exited on its own (code ${r.code}, signal ${r.signal})\n${this.tail.slice(-10).join('\n')}`);
    if (r.forced) throw new Error(`${this.label}: gateway did not exit within 10 s of SIGTERM`);
    if (r.code !== 0) throw new Error(`${this.label}: gateway exited with code ${r.code} signal ${r.signal} after SIGTERM\n${this.tail.slice(-10).join('\n')}`);
  }
}

function gatewayArgs(ctx, dir, port, logLevel, poolSize = 1, extra = []) {
  return [
    '--simulator', '--host', '127.0.0.1', '--port', String(port),
    '--lingma-work-dir', path.join(dir, 'work'), '--env-file', '', '--log-level', logLevel,
    '--session-reuse-enabled=false', '--lingma-pool-size', String(poolSize),
    '--lingma-max-turns-per-instance', '20000', '--lingma-acquire-timeout', '60', ...extra,
  ];
}

async function waitReady(gw, signal, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until && !signal.aborted) {
    if (gw.proc.exitCode !== null || gw.proc.signalCode !== null) {
      last = 'gateway exited';
      break;
    }
    try {
      const res = await fetch(`http://127.0.0.1:${gw.port}/ready`, { signal: AbortSignal.timeout(2000) });
      await res.text();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err?.message ?? err);
    }
    await sleep(20);
  }
  throw new Error(`${gw.label}: GET /ready did not return 200 (last: ${last})\n${gw.tail.slice(-10).join('\n')}`);
}

// Starts a gateway for load (fixed free port, quiet log level) and waits until it is ready.
async function startGateway(ctx, label, simEnv, poolSize = 1, extraArgs = []) {
  const dir = path.join(ctx.tmp, label);
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const proc = spawnRaised(ctx.bins.gateway, gatewayArgs(ctx, dir, port, ctx.opts['log-level'], poolSize, extraArgs), {
    cwd: dir, env: childEnv(simEnv), stdio: ['ignore', 'ignore', 'pipe'],
  });
  let gw = null;
  const tail = watchStderr(proc, path.join(dir, 'gateway.log'), (line) => gw?.onLine(line));
  gw = new Gateway(label, proc, port, tail, dir);
  ctx.stoppers.push(() => gw.stop());
  await waitReady(gw, ctx.signal);
  return gw;
}

// Starts `lingma-sim start` for the direct baseline; resolves once its .info names it.
async function startSim(ctx, label, simEnv) {
  const dir = path.join(ctx.tmp, label);
  fs.mkdirSync(dir, { recursive: true });
  const proc = spawnRaised(ctx.bins.sim, ['start', '--workDir', dir], {
    cwd: dir, env: childEnv(simEnv), stdio: ['ignore', 'ignore', 'pipe'],
  });
  const tail = watchStderr(proc, path.join(dir, 'sim.log'));
  ctx.stoppers.push(async () => {
    const died = proc.exitCode !== null || proc.signalCode !== null;
    const r = await stopProcess(proc);
    if (died) throw new Error(`${label}: lingma-sim exited on its own (code ${r.code}, signal ${r.signal})\n${tail.slice(-10).join('\n')}`);
    if (r.forced) throw new Error(`${label}: lingma-sim did not exit within 10 s of SIGTERM`);
  });
  const until = Date.now() + 15_000;
  while (Date.now() < until && !ctx.signal.aborted) {
    if (proc.exitCode !== null || proc.signalCode !== null) break;
    const info = readSimInfo(dir);
    if (info && info.pid === proc.pid && info.port > 0) return { label, dir, proc, pid: info.pid, port: info.port };
    await sleep(10);
  }
  throw new Error(`${label}: lingma-sim did not write ${dir}/.info\n${tail.slice(-10).join('\n')}`);
}

// Starts sse_floor (bench/floor): the same paced streams from a plain epoll server with no
// upstream, so what loadgen measures against it is the cost of the fan-out alone on this machine.
async function startFloor(ctx, label, { deltas, delayMs, contentBytes }) {
  const args = ['--deltas', String(deltas), '--delay-ms', String(delayMs), '--tick-us', String(ctx.opts['sim-tick-us']),
    '--content-bytes', String(contentBytes)];
  const proc = spawnRaised(ctx.bins.floor, args, { cwd: ctx.tmp, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = watchStderr(proc, path.join(ctx.tmp, `${label}.log`));
  ctx.stoppers.push(async () => {
    const died = proc.exitCode !== null || proc.signalCode !== null;
    const r = await stopProcess(proc);
    if (died) throw new Error(`${label}: sse_floor exited on its own (code ${r.code}, signal ${r.signal})\n${tail.slice(-10).join('\n')}`);
  });
  proc.stdout.setEncoding('utf8');
  const port = await new Promise((resolve) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/\{"port":(\d+)\}/);
      if (m) resolve(Number(m[1]));
    });
    proc.exitInfo.then(() => resolve(0));
  });
  if (!port) throw new Error(`${label}: sse_floor did not start\n${tail.slice(-10).join('\n')}`);
  return { pid: proc.pid, port };
}

// Runs loadgen once; `watch` is a pid whose CPU (and RSS, fds) is sampled around the run.
// `statsPort`: a gateway whose unread upstream bytes are sampled (see gatewayUnread); a direct run
// samples its own (loadgen's `upstream_unread`).
// `countFds`: also sample the watched processes' open descriptors (a directory listing of every
// descriptor, so only where they are reported: the slow streams).
async function loadgen(ctx, args, { watch = [], statsPort = 0, countFds = false } = {}) {
  const before = watch.map((pid) => ({ pid, cpu: cpuTimes(pid), rss: rssKiB(pid) }));
  const peak = watch.map((pid) => ({ rss: rssKiB(pid) ?? 0, fds: countFds ? fdCount(pid) ?? 0 : 0 }));
  const unread = [];
  let sampling = true;
  const sampler = (async () => {
    let n = 0;
    while (sampling) {
      await sleep(250);
      watch.forEach((pid, i) => {
        peak[i].rss = Math.max(peak[i].rss, rssKiB(pid) ?? 0);
        if (countFds && n % 4 === 0) peak[i].fds = Math.max(peak[i].fds, fdCount(pid) ?? 0);
      });
      if (statsPort) {
        const bytes = await gatewayUnread(statsPort);
        if (bytes !== null) unread.push(bytes);
      }
      n++;
    }
  })();
  const startedAt = performance.now();
  const proc = spawnRaised(ctx.bins.loadgen, ['--quiet', ...args], {
    cwd: ctx.tmp, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const onAbort = () => proc.kill('SIGKILL');
  ctx.signal.addEventListener('abort', onAbort);
  const exit = await proc.exitInfo;
  ctx.signal.removeEventListener('abort', onAbort);
  sampling = false;
  await sampler;
  if (exit.code !== 0) throw new Error(`loadgen ${args.join(' ')} failed (exit ${exit.code ?? exit.signal}): ${stderr.trim()}`);
  const report = JSON.parse(stdout.trim().split('\n').pop());
  report.wall_s = (performance.now() - startedAt) / 1000;
  if (statsPort) report.upstream_unread = unread;
  report.watched = before.map((b, i) => {
    const cpu = cpuTimes(b.pid);
    const known = cpu !== null && b.cpu !== null;
    return {
      pid: b.pid,
      cpu_s: known ? cpu.user + cpu.sys - b.cpu.user - b.cpu.sys : null,
      user_s: known ? cpu.user - b.cpu.user : null,
      sys_s: known ? cpu.sys - b.cpu.sys : null,
      rss_before_kib: b.rss,
      rss_peak_kib: peak[i].rss || null,
      rss_after_kib: rssKiB(b.pid),
      fds_peak: peak[i].fds || null,
    };
  });
  return report;
}

function describeRun(tag, r) {
  const lat = r.latency_us;
  const parts = [
    `${tag.padEnd(22)} ${String(r.ok).padStart(6)} ok ${String(r.errors).padStart(4)} err`,
    `${Math.round(r.rps)} req/s`.padStart(11),
    `lat p50 ${fmt.us(lat.p50)} p99 ${fmt.us(lat.p99)}`,
  ];
  if (r.ttft_us.count) parts.push(`ttft p50 ${fmt.us(r.ttft_us.p50)} p99 ${fmt.us(r.ttft_us.p99)}`);
  if (r.gap_us.count) parts.push(`gap p50 ${fmt.us(r.gap_us.p50)} p99 ${fmt.us(r.gap_us.p99)}`);
  if (r.peak_open > 1) parts.push(`peak open ${r.peak_open}`);
  parts.push(`loadgen cpu ${fmt.pct(r.cpu.pct_of_core)}`);
  for (const w of r.watched) {
    if (w.cpu_s !== null) parts.push(`pid ${w.pid} cpu ${w.cpu_s.toFixed(2)} s`);
  }
  console.log(`  ${parts.join(' | ')}`);
  for (const [kind, n] of Object.entries(r.error_kinds)) {
    console.log(`    error ${kind} x${n}: ${String(r.error_examples[kind] ?? '').slice(0, 200)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Simulator settings

// An ASCII answer of exactly `bytes` bytes (the simulator splits it into its deltas).
function answerText(bytes) {
  const words = 'The gateway relays every delta as soon as the simulator sends it. ';
  let text = '';
  while (text.length < bytes) text += words;
  return text.slice(0, bytes);
}

function simEnv(ctx, label, { deltas, delayMs, answerBytes, paced = false }) {
  const script = path.join(ctx.tmp, `${label}-script.json`);
  fs.writeFileSync(script, JSON.stringify([{ match: '', reply: answerText(answerBytes) }]));
  return {
    LINGMA_SIM_SCRIPT: script,
    LINGMA_SIM_DELTAS: String(deltas),
    LINGMA_SIM_DELTA_DELAY_MS: String(delayMs),
    LINGMA_SIM_PREFILL_US_PER_BYTE: '0',
    // Paced streams model a busy model server: the waits of concurrent turns end on a common
    // tick (one decoding step for every running sequence) and what is due together leaves in
    // one WebSocket message. Both the baseline and the gateway's simulator run this way.
    ...(paced ? {
      LINGMA_SIM_TICK_US: String(ctx.opts['sim-tick-us']),
      LINGMA_SIM_COALESCE_FRAMES: 'true',
    } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios. Each returns rows: {scenario, target, measured, baseline, ratio, verdict, loadgen}.

const row = (scenario, target, measured, baseline, ratio, verdict, loadgenCpu) => ({
  scenario, target, measured, baseline, ratio, verdict, loadgen: loadgenCpu,
});
const atMost = (x, limit) => (x === null ? 'n/a' : x <= limit ? 'meets' : 'MISSES');
const atLeast = (x, limit) => (x === null ? 'n/a' : x >= limit ? 'meets' : 'MISSES');
const cpuPair = (gw, direct) => `${fmt.pct(median(gw))} / ${fmt.pct(median(direct))}`;

async function scenarioStartup(ctx) {
  console.log(`\n## start-up and idle RSS (${ctx.opts['startup-reps']} starts, --log-level info to see gateway.listening)`);
  const listening = [];
  const connect = [];
  const ready = [];
  const rss = [];
  for (let i = 1; i <= ctx.opts['startup-reps']; i++) {
    const dir = path.join(ctx.tmp, `startup-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    const port = await freePort();
    let listenedAt = null;
    const t0 = performance.now();
    const proc = spawnRaised(ctx.bins.gateway, gatewayArgs(ctx, dir, port, 'info'), {
      cwd: dir, env: childEnv(simEnv(ctx, 'startup', { deltas: 4, delayMs: 0, answerBytes: 64 })),
      stdio: ['ignore', 'ignore', 'pipe'],
    }, { raise: false });
    const tail = watchStderr(proc, path.join(dir, 'gateway.log'), (line) => {
      if (listenedAt === null && line.includes('"gateway.listening"')) listenedAt = performance.now();
    });
    const gw = new Gateway(`startup-${i}`, proc, port, tail, dir);
    try {
      // First successful TCP connect, polled as fast as the event loop allows.
      let connectedAt = null;
      const until = Date.now() + 10_000;
      while (connectedAt === null && Date.now() < until && proc.exitCode === null) {
        if (await canConnect(port)) connectedAt = performance.now();
      }
      await waitReady(gw, ctx.signal);
      const readyAt = performance.now();
      await sleep(1000);
      const idle = rssKiB(gw.pid);
      listening.push(listenedAt === null ? null : listenedAt - t0);
      connect.push(connectedAt === null ? null : connectedAt - t0);
      ready.push(readyAt - t0);
      rss.push(idle);
      console.log(`  start ${i}: gateway.listening after ${fmt.ms(listening.at(-1))}, first connect ${fmt.ms(connect.at(-1))}, ` +
        `/ready 200 after ${fmt.ms(ready.at(-1))} (simulator spawned and initialized), idle RSS ${fmt.mib(idle)}`);
    } finally {
      await gw.stop();
    }
  }
  return [
    row('idle RSS (gateway process, after /ready + 1 s)', '≤ 15 MiB', fmt.mib(median(rss)), '—', '—', atMost(median(rss), 15 * 1024), '—'),
    row('start to listening (spawn → gateway.listening)', '≤ 50 ms', fmt.ms(median(listening)), `first connect ${fmt.ms(median(connect))}`, '—', atMost(median(listening), 50), '—'),
  ];
}

// c=1 against two gateways on the same simulator setup: the default one, and one that polls
// BUSY_POLL_US before its event loop sleeps. The target rows are the second's; the first's are
// reported beside them, with what each gateway's polling costs in CPU.
async function scenarioC1(ctx, env, sim, direct, gw, gateway) {
  const { opts } = ctx;
  const pollUs = opts['c1-busy-poll-us'];
  if (!ctx.pollingGateway) {
    const polling = await startGateway(ctx, 'small-gateway-busy-poll', env, 1, ['--busy-poll-us', String(pollUs)]);
    const args = ['--mode', 'gateway', '--port', String(polling.port)];
    await loadgen(ctx, [...args, '--concurrency', '8', '--duration-s', '1']);
    ctx.pollingGateway = { gw: polling, args };
  }
  const polling = ctx.pollingGateway;
  console.log(`\n## non-stream, c=1: ${opts.reps} x (direct, gateway, gateway with BUSY_POLL_US=${pollUs}) of ${opts['c1-seconds']} s`);
  const runs = [];
  for (let rep = 1; rep <= opts.reps; rep++) {
    const common = ['--concurrency', '1', '--duration-s', String(opts['c1-seconds']), '--warmup-ms', '200'];
    const d = await loadgen(ctx, [...direct, ...common, '--label', 'c1-direct'], { watch: [sim.pid] });
    describeRun(`rep ${rep} direct`, d);
    const g = await loadgen(ctx, [...gateway, ...common, '--label', 'c1-gateway'], { watch: [gw.pid, ...gw.simPids()] });
    describeRun(`rep ${rep} gateway`, g);
    gw.reportWarnings(ctx, `c=1 run ${rep}`);
    const p = await loadgen(ctx, [...polling.args, ...common, '--label', 'c1-gateway-busy-poll'], { watch: [polling.gw.pid, ...polling.gw.simPids()] });
    describeRun(`rep ${rep} gateway busy-poll`, p);
    polling.gw.reportWarnings(ctx, `c=1 busy-poll run ${rep}`);
    runs.push({ d, g, p });
  }
  const errors = runs.reduce((a, { d, g, p }) => a + d.errors + g.errors + p.errors, 0);
  if (errors) ctx.problems.push(`non-stream c=1: ${errors} failed turn(s)`);
  const added = (key, q) => median(runs.map((r) => r[key].latency_us[q] - r.d.latency_us[q]));
  const ratio = (key, q) => median(runs.map((r) => div(r[key].latency_us[q], r.d.latency_us[q])));
  const direct50 = median(runs.map(({ d }) => d.latency_us.p50));
  const direct99 = median(runs.map(({ d }) => d.latency_us.p99));
  // Cores the gateway process used while its run lasted (polling shows here).
  const cores = (key) => median(runs.map((r) => div(r[key].watched[0].cpu_s, r[key].wall_s)));
  const lg = (key) => cpuPair(runs.map((r) => r[key].cpu.pct_of_core), runs.map((r) => r.d.cpu.pct_of_core));
  const polled = `, BUSY_POLL_US=${pollUs}`;
  return [
    row(`non-stream c=1${polled}: added latency p50 (gateway − direct)`, '≤ 100 µs', fmt.us(added('p', 'p50')), `direct p50 ${fmt.us(direct50)}`, fmt.ratio(ratio('p', 'p50')), atMost(added('p', 'p50'), 100), lg('p')),
    row(`non-stream c=1${polled}: added latency p99 (gateway − direct)`, '≤ 500 µs', fmt.us(added('p', 'p99')), `direct p99 ${fmt.us(direct99)}`, fmt.ratio(ratio('p', 'p99')), atMost(added('p', 'p99'), 500), lg('p')),
    row('non-stream c=1, default (no busy polling): added latency p50 / p99', 'report', `${fmt.us(added('g', 'p50'))} / ${fmt.us(added('g', 'p99'))}`, `direct ${fmt.us(direct50)} / ${fmt.us(direct99)}`, fmt.ratio(ratio('g', 'p50')), 'report', lg('g')),
    row('non-stream c=1: gateway cores in use, default / busy polling', 'report', `${fmt.cores(cores('g'))} / ${fmt.cores(cores('p'))}`, '—', '—', 'report', lg('g')),
  ];
}

async function scenarioNonStream(ctx, which) {
  const { opts } = ctx;
  const env = simEnv(ctx, 'small', { deltas: 4, delayMs: 0, answerBytes: opts['small-answer-bytes'] });
  if (!ctx.small) {
    console.log(`\n## non-stream, small answers (${opts['small-answer-bytes']} B in 4 deltas, no simulated delay)`);
    const sim = await startSim(ctx, 'small-direct-sim', env);
    const gw = await startGateway(ctx, 'small-gateway', env);
    const direct = ['--mode', 'direct', '--port', String(sim.port), '--connections', String(opts['direct-connections'])];
    const gateway = ['--mode', 'gateway', '--port', String(gw.port)];
    // Warm-up: first connections, first sessions, allocator high-water marks.
    await loadgen(ctx, [...direct, '--concurrency', '8', '--duration-s', '1']);
    await loadgen(ctx, [...gateway, '--concurrency', '8', '--duration-s', '1']);
    ctx.small = { sim, gw, direct, gateway };
  }
  const { sim, gw, direct, gateway } = ctx.small;

  if (which === 'c1') return scenarioC1(ctx, env, sim, direct, gw, gateway);
  if (which === 'prompt') return scenarioLargePrompt(ctx);

  const c = opts['c64-concurrency'];
  console.log(`\n## non-stream, c=${c}: ${opts.reps} x (direct, gateway) of ${opts['c64-seconds']} s`);
  const common = ['--concurrency', String(c), '--duration-s', String(opts['c64-seconds']), '--warmup-ms', '500'];
  const runs = await directThenGateway(ctx, ctx.small, common, 'c64', `non-stream c=${c}`);
  const rps = median(runs.map(({ g }) => g.rps));
  const drps = median(runs.map(({ d }) => d.rps));
  const ratio = median(runs.map(({ d, g }) => div(g.rps, d.rps)));
  const { gwCpu, simCpu, lg } = perRequestCpu(runs);
  const simInGw = median(runs.map(({ g }) => (g.watched[1] ? div(g.watched[1].cpu_s * 1e6, g.started) : null)));
  console.log(`  sim CPU per request behind the gateway: ${fmt.us(simInGw)} (direct: ${fmt.us(simCpu)})`);
  return [
    row(`non-stream c=${c}, small answers: gateway+sim req/s vs direct sim req/s`, '≥ 0.5', fmt.rps(rps), fmt.rps(drps), fmt.ratio(ratio), atLeast(ratio, 0.5), lg),
    row(`non-stream c=${c}: gateway CPU per request`, 'report', fmt.us(gwCpu), `sim CPU/req ${fmt.us(simCpu)}`, fmt.ratio(div(gwCpu, simCpu)), 'report', lg),
  ];
}

// `opts.reps` runs of the same loadgen turns, straight to the simulator and then through the
// gateway; failed turns are reported as problems under `what`. Returns [{ d, g }] per run.
async function directThenGateway(ctx, { sim, direct, gw, gateway }, common, label, what) {
  const runs = [];
  for (let rep = 1; rep <= ctx.opts.reps; rep++) {
    const d = await loadgen(ctx, [...direct, ...common, '--label', `${label}-direct`], { watch: [sim.pid] });
    describeRun(`rep ${rep} direct`, d);
    const g = await loadgen(ctx, [...gateway, ...common, '--label', `${label}-gateway`], { watch: [gw.pid, ...gw.simPids()] });
    describeRun(`rep ${rep} gateway`, g);
    gw.reportWarnings(ctx, `${what} run ${rep}`);
    runs.push({ d, g });
  }
  const errors = runs.reduce((a, { d, g }) => a + d.errors + g.errors, 0);
  if (errors) ctx.problems.push(`${what}: ${errors} failed turn(s)`);
  return runs;
}

// CPU per request over each whole loadgen run (warm-up turns included on both sides), medians:
// the gateway's, the simulator's in the direct runs, and loadgen's own.
function perRequestCpu(runs) {
  return {
    gwCpu: median(runs.map(({ g }) => div(g.watched[0].cpu_s * 1e6, g.started))),
    simCpu: median(runs.map(({ d }) => div(d.watched[0].cpu_s * 1e6, d.started))),
    lg: cpuPair(runs.map((r) => r.g.cpu.pct_of_core), runs.map((r) => r.d.cpu.pct_of_core)),
  };
}

// c=1 with a prompt as large as a long conversation sent whole (a first turn, or reuse off):
// what reading, parsing, estimating, escaping and forwarding it costs the gateway.
async function scenarioLargePrompt(ctx) {
  const { opts } = ctx;
  const kib = opts['prompt-kib'];
  console.log(`\n## non-stream, c=1, ${kib} KiB prompt: ${opts.reps} x (direct, gateway) of ${opts['prompt-seconds']} s`);
  const common = ['--concurrency', '1', '--prompt-bytes', String(kib * 1024), '--duration-s', String(opts['prompt-seconds']), '--warmup-ms', '200'];
  const runs = await directThenGateway(ctx, ctx.small, common, 'prompt', `non-stream c=1, ${kib} KiB prompt`);
  const added = (q) => median(runs.map(({ d, g }) => g.latency_us[q] - d.latency_us[q]));
  const direct50 = median(runs.map(({ d }) => d.latency_us.p50));
  const direct99 = median(runs.map(({ d }) => d.latency_us.p99));
  const ratio = median(runs.map(({ d, g }) => div(g.latency_us.p50, d.latency_us.p50)));
  const { gwCpu, simCpu, lg } = perRequestCpu(runs);
  return [
    row(`non-stream c=1, ${kib} KiB prompt: added latency p50 / p99`, 'report', `${fmt.us(added('p50'))} / ${fmt.us(added('p99'))}`, `direct ${fmt.us(direct50)} / ${fmt.us(direct99)}`, fmt.ratio(ratio), 'report', lg),
    row(`non-stream c=1, ${kib} KiB prompt: gateway CPU per request`, 'report', fmt.us(gwCpu), `sim CPU/req ${fmt.us(simCpu)}`, fmt.ratio(div(gwCpu, simCpu)), 'report', lg),
  ];
}

async function scenarioStreams(ctx, n, variant) {
  const { opts } = ctx;
  const deltas = opts['stream-deltas'];
  const pace = opts['stream-delta-ms'];
  const env = simEnv(ctx, 'paced', { deltas, delayMs: pace, answerBytes: deltas * 8, paced: true });
  const streamMs = deltas * pace;
  const ramp = Math.min(streamMs, 2000);
  const warmup = ramp + streamMs;
  const seconds = Math.max(opts['stream-seconds'], (warmup + 2 * streamMs) / 1000);
  console.log(`\n## ${n} concurrent streams x ${deltas} deltas paced ${pace} ms${variant ? ` (${variant})` : ''}: ${opts.reps} x (direct, gateway, floor); ` +
    `each run starts streams for ${seconds} s (workers ramped over ${ramp} ms, streams starting in the first ${warmup} ms not sampled)`);
  const sim = await startSim(ctx, `paced-${n}-direct-sim`, env);
  const gw = await startGateway(ctx, `paced-${n}-gateway`, env);
  // The simulator splits the answer (deltas * 8 bytes) into deltas of 8 bytes.
  const floor = await startFloor(ctx, `paced-${n}-floor`, { deltas, delayMs: pace, contentBytes: 8 });
  const common = ['--concurrency', String(n), '--duration-s', String(seconds), '--ramp-ms', String(ramp),
    '--warmup-ms', String(warmup), '--expect-deltas', String(deltas), '--timeout-ms', String(streamMs + 30_000)];
  const direct = ['--mode', 'direct', '--port', String(sim.port), '--connections', String(opts['direct-connections']), ...common];
  const gateway = ['--mode', 'gateway', '--stream', '--port', String(gw.port), ...common];
  const floorArgs = ['--mode', 'gateway', '--stream', '--port', String(floor.port), ...common];
  const runs = [];
  for (let rep = 1; rep <= opts.reps; rep++) {
    const d = await loadgen(ctx, [...direct, '--label', 'streams-direct'], { watch: [sim.pid] });
    describeRun(`rep ${rep} direct`, d);
    const g = await loadgen(ctx, [...gateway, '--label', 'streams-gateway'], { watch: [gw.pid, ...gw.simPids()], statsPort: gw.port });
    describeRun(`rep ${rep} gateway`, g);
    gw.reportWarnings(ctx, `${n}-stream run ${rep}`);
    const f = await loadgen(ctx, [...floorArgs, '--label', 'streams-floor'], { watch: [floor.pid] });
    describeRun(`rep ${rep} floor`, f);
    runs.push({ d, g, f });
  }
  const ttft = median(runs.map(({ d, g }) => g.ttft_us.p99 - d.ttft_us.p99));
  const gap = median(runs.map(({ d, g }) => g.gap_us.p99 - d.gap_us.p99));
  const dttft = median(runs.map(({ d }) => d.ttft_us.p99));
  const dgap = median(runs.map(({ d }) => d.gap_us.p99));
  const rttft = median(runs.map(({ d, g }) => div(g.ttft_us.p99, d.ttft_us.p99)));
  const rgap = median(runs.map(({ d, g }) => div(g.gap_us.p99, d.gap_us.p99)));
  // CPU per delta of the first watched process of the gateway (g), floor (f) or direct (d) runs:
  // all, in user space, in the kernel (medians over runs).
  const perDelta = (key) => ({
    all: median(runs.map((r) => div(r[key].watched[0].cpu_s * 1e6, r[key].deltas))),
    user: median(runs.map((r) => div(r[key].watched[0].user_s * 1e6, r[key].deltas))),
    sys: median(runs.map((r) => div(r[key].watched[0].sys_s * 1e6, r[key].deltas))),
  });
  const gwCpuDelta = perDelta('g');
  const cpuDelta = gwCpuDelta.all;
  const simDelta = perDelta('d').all;
  const peak = median(runs.map(({ g }) => g.peak_open));
  const lg = cpuPair(runs.map((r) => r.g.cpu.pct_of_core), runs.map((r) => r.d.cpu.pct_of_core));
  const errors = runs.reduce((a, { d, g }) => a + d.errors + g.errors, 0);
  if (errors) ctx.problems.push(`${n} paced streams: ${errors} failed stream(s)`);
  const floorErrors = runs.reduce((a, { f }) => a + f.errors, 0);
  if (floorErrors) ctx.problems.push(`${n} paced streams: ${floorErrors} failed stream(s) from sse_floor`);
  const fttft = median(runs.map(({ d, f }) => f.ttft_us.p99 - d.ttft_us.p99));
  const fgap = median(runs.map(({ d, f }) => f.gap_us.p99 - d.gap_us.p99));
  const floorCpuDelta = perDelta('f');
  const flg = cpuPair(runs.map((r) => r.f.cpu.pct_of_core), runs.map((r) => r.d.cpu.pct_of_core));
  // The baseline must itself hold the pacing, or "added" measures queueing in an overloaded
  // machine: its median gap within 25% of the pacing, its median first delta within 10 ms of it.
  const dgap50 = median(runs.map(({ d }) => d.gap_us.p50));
  const dttft50 = median(runs.map(({ d }) => d.ttft_us.p50));
  const saturated = dgap50 === null || dttft50 === null ||
    Math.abs(dgap50 - pace * 1000) > pace * 250 || dttft50 > (pace + 10) * 1000;
  console.log(`  gateway: peak ${peak} streams open at once; ${errors} failed streams in all runs (direct and gateway)`);
  // A reader that falls behind the simulator delays every push it has not read yet: first tokens
  // (and chat/ask answers) most visibly, since gaps compare two equally late pushes.
  const unread = (key) => {
    const all = runs.flatMap((r) => r[key].upstream_unread ?? []);
    if (all.length === 0) return 'n/a';
    const sorted = [...all].sort((a, b) => a - b);
    const at = (q) => fmt.kib(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1024);
    return `median ${at(0.5)}, p90 ${at(0.9)}, max ${at(1)} of ${sorted.length} samples`;
  };
  console.log(`  bytes the simulator sent that its reader had not read yet (sampled every 250 ms): ` +
    `gateway ${unread('g')}; loadgen in the direct runs ${unread('d')}`);
  // Every process of a run shares this machine's cores: a path that needs most of them queues.
  const cores = (r) => r.watched.reduce((a, w) => a + (w.cpu_s ?? 0), 0) / r.wall_s + r.cpu.pct_of_core / 100;
  const gwCores = median(runs.map(({ g }) => cores(g)));
  const dCores = median(runs.map(({ d }) => cores(d)));
  const gwOnly = median(runs.map(({ g }) => g.watched[0].cpu_s / g.wall_s));
  console.log(`  CPU in use during the runs (of ${os.cpus().length} cores): gateway path ${gwCores.toFixed(2)} ` +
    `(gateway ${gwOnly.toFixed(2)}, ` +
    `its simulator ${median(runs.map(({ g }) => (g.watched[1]?.cpu_s ?? 0) / g.wall_s)).toFixed(2)}, ` +
    `loadgen ${median(runs.map(({ g }) => g.cpu.pct_of_core / 100)).toFixed(2)}); direct path ${dCores.toFixed(2)}`);
  if (saturated) {
    console.log(`  BASELINE SATURATED: direct gap p50 ${fmt.ms(div(dgap50, 1000))}, first delta p50 ${fmt.ms(div(dttft50, 1000))} ` +
      `(paced at ${pace} ms): the simulator and the load generator alone cannot hold this pace on this machine now, ` +
      'so the added TTFT and gap are not judged');
  }
  const judge = (x) => (saturated ? 'n/a: baseline saturated' : atMost(x, 1000));
  const name = `${n} streams x ${deltas} deltas / ${pace} ms${variant ? ` (${variant})` : ''}`;
  return [
    row(`${name}: added TTFT p99`, '≤ 1 ms', fmt.ms(div(ttft, 1000)), `direct p99 ${fmt.ms(div(dttft, 1000))}`, fmt.ratio(rttft), judge(ttft), lg),
    row(`${name}: added inter-chunk gap p99`, '≤ 1 ms', fmt.ms(div(gap, 1000)), `direct p99 ${fmt.ms(div(dgap, 1000))}`, fmt.ratio(rgap), judge(gap), lg),
    // Not a target: what any single-threaded HTTP server pays here to fan these deltas out.
    row(`${name}: floor (do-nothing paced SSE server, bench/floor): added TTFT p99 / gap p99; CPU per delta`, 'report',
      `${fmt.ms(div(fttft, 1000))} / ${fmt.ms(div(fgap, 1000))}; ${fmt.cpu(floorCpuDelta)}`,
      `gateway ${fmt.ms(div(ttft, 1000))} / ${fmt.ms(div(gap, 1000))}; ${fmt.cpu(gwCpuDelta)}`,
      fmt.ratio(div(cpuDelta, floorCpuDelta.all)), 'report', flg),
    row(`${name}: gateway CPU per delta`, 'report', fmt.cpu(gwCpuDelta), `sim CPU/delta ${fmt.us(simDelta)}`, fmt.ratio(div(cpuDelta, simDelta)), 'report', lg),
    // The gateway runs on one thread: near a whole core it queues, whatever the other core does.
    row(`${name}: cores in use, gateway path (gateway alone) / direct path`, 'report',
      `${gwCores.toFixed(2)} (${gwOnly.toFixed(2)})`, `${dCores.toFixed(2)} of ${os.cpus().length}`, fmt.ratio(div(gwCores, dCores)), 'report', lg),
  ];
}

async function scenarioSlow(ctx) {
  const { opts } = ctx;
  const hard = Number(shellOut('/bin/sh', ['-c', 'ulimit -Hn']));
  let n = opts['slow-streams'];
  // Each side holds one socket per stream plus a few dozen other descriptors.
  if (Number.isFinite(hard) && hard > 0 && n > hard - 200) {
    console.log(`  (fd hard limit ${hard}: slow streams capped at ${hard - 200})`);
    n = hard - 200;
  }
  const deltas = opts['slow-deltas'];
  const env = simEnv(ctx, 'slow', { deltas, delayMs: opts['slow-delta-ms'], answerBytes: deltas * 8 });
  const rampMs = Math.round(opts['slow-ramp-s'] * 1000);
  const streamMs = deltas * opts['slow-delta-ms'];
  console.log(`\n## ${n} concurrent slow streams (${deltas} deltas, one per ${opts['slow-delta-ms']} ms; opened over ${rampMs} ms, ` +
    `each lasts ~${streamMs / 1000} s): ${opts['slow-reps']} x (gateway with pool size ${opts['slow-pool-size']}, direct to one simulator)`);
  const common = ['--concurrency', String(n), '--requests', String(n), '--ramp-ms', String(rampMs),
    '--expect-deltas', String(deltas), '--timeout-ms', String(streamMs + rampMs + 60_000)];
  const runs = [];
  for (let rep = 1; rep <= opts['slow-reps']; rep++) {
    // A fresh gateway and simulator per run: the RSS growth is then all this run's.
    const gw = await startGateway(ctx, `slow-gateway-${rep}`, env, opts['slow-pool-size']);
    let g;
    try {
      g = await loadgen(ctx, ['--mode', 'gateway', '--stream', '--port', String(gw.port), ...common, '--label', 'slow-gateway'],
        { watch: [gw.pid, ...gw.simPids()], countFds: true });
    } finally {
      await gw.stop();
    }
    describeRun(`rep ${rep} gateway`, g);
    gw.reportWarnings(ctx, `${n} slow streams, run ${rep}`);
    const sim = await startSim(ctx, `slow-direct-sim-${rep}`, env);
    const d = await loadgen(ctx, ['--mode', 'direct', '--port', String(sim.port), '--connections', String(opts['direct-connections']),
      ...common, '--label', 'slow-direct'], { watch: [sim.pid] });
    describeRun(`rep ${rep} direct`, d);
    const w = g.watched[0];
    const s = d.watched[0];
    const perStream = div(w.rss_peak_kib - w.rss_before_kib, n);
    const simPerStream = div(s.rss_peak_kib - s.rss_before_kib, n);
    console.log(`  gateway RSS ${fmt.mib(w.rss_before_kib)} before, ${fmt.mib(w.rss_peak_kib)} peak (${fmt.kib(perStream)} per stream), ` +
      `${fmt.mib(w.rss_after_kib)} after; peak fds ${w.fds_peak}; direct sim RSS ${fmt.kib(simPerStream)} per turn`);
    runs.push({ d, g, perStream, simPerStream });
    if (g.errors || d.errors) ctx.problems.push(`${n} slow streams, run ${rep}: ${g.errors} failed through the gateway, ${d.errors} direct`);
  }
  const held = median(runs.map(({ g }) => g.peak_open));
  const ok = median(runs.map(({ g }) => g.ok));
  const dheld = median(runs.map(({ d }) => d.peak_open));
  const errors = median(runs.map(({ g }) => g.errors));
  const derrors = median(runs.map(({ d }) => d.errors));
  const rss = median(runs.map((r) => r.perStream));
  const simRss = median(runs.map((r) => r.simPerStream));
  const lg = cpuPair(runs.map((r) => r.g.cpu.pct_of_core), runs.map((r) => r.d.cpu.pct_of_core));
  const allHeld = held === n && ok === n;
  return [
    row(`${n} slow streams: held (peak open at once; completed)`, `all ${n}`, `${held} open; ${ok} completed`, `direct ${dheld} open`, fmt.ratio(div(held, dheld)), allHeld ? 'meets' : 'MISSES', lg),
    row(`${n} slow streams: errors`, '0', String(errors), `direct ${derrors}`, '—', errors === 0 ? 'meets' : 'MISSES', lg),
    row(`${n} slow streams: gateway RSS per stream`, '≤ 16 KiB', fmt.kib(rss), `sim RSS/turn ${fmt.kib(simRss)}`, fmt.ratio(div(rss, simRss)), atMost(rss, 16), lg),
  ];
}

async function scenarioReuse(ctx) {
  console.log('\n## 10-turn conversation, session reuse on vs off (bench/session_reuse.mjs)\n');
  const extra = ctx.opts['session-reuse-args'].split(/\s+/).filter(Boolean);
  const proc = spawnRaised(process.execPath, [path.join(REPO_DIR, 'bench', 'session_reuse.mjs'), '--build-dir', ctx.buildDir, ...extra], {
    cwd: REPO_DIR, env: process.env, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (d) => {
    out += d;
    process.stdout.write(d);
  });
  const onAbort = () => proc.kill('SIGTERM');
  ctx.signal.addEventListener('abort', onAbort);
  const exit = await proc.exitInfo;
  ctx.signal.removeEventListener('abort', onAbort);
  if (exit.code !== 0) ctx.problems.push(`session_reuse.mjs exited with ${exit.code ?? exit.signal}`);
  // Per-turn medians from its table: | turn | bytes on | ms on | session | bytes off | ms off |
  const turns = new Map();
  for (const line of out.split('\n')) {
    const cells = line.split('|').map((s) => s.trim());
    if (cells.length >= 8 && /^\d+$/.test(cells[1])) {
      turns.set(Number(cells[1]), { on: Number(cells[3]), off: Number(cells[6]) });
    }
  }
  const last = Math.max(...turns.keys());
  if (!turns.has(2) || !Number.isFinite(last) || last < 3) {
    ctx.problems.push('session_reuse.mjs: no per-turn table in its output');
    return [row('10-turn conversation: reuse on, last/turn-2 latency', 'flat', 'n/a', 'n/a', 'n/a', 'n/a', '—')];
  }
  const on = turns.get(last).on / turns.get(2).on;
  const off = turns.get(last).off / turns.get(2).off;
  return [
    row(`${last}-turn conversation: turn-${last} / turn-2 latency, reuse on (off = baseline)`, 'flat (≤ 1.2)', on.toFixed(2),
      `off ${off.toFixed(2)}`, `${fmt.ratio(turns.get(last).off / turns.get(last).on)} off/on at turn ${last}`, atMost(on, 1.2), '—'),
  ];
}

// ---------------------------------------------------------------------------------------------
// Table

function printTable(rows) {
  const header = ['scenario', 'target', 'measured', 'baseline (same run)', 'ratio', 'verdict', 'loadgen CPU gw/direct'];
  const cells = rows.map((r) => [r.scenario, r.target, r.measured, r.baseline, r.ratio, r.verdict, r.loadgen]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((s, i) => s.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

function resolveBuildDir(arg) {
  const dir = path.resolve(arg || path.join(REPO_DIR, 'build', 'release'));
  const bins = { gateway: path.join(dir, 'lingma-gateway'), sim: path.join(dir, 'lingma-sim'), loadgen: path.join(dir, 'loadgen'),
    floor: path.join(dir, 'sse_floor') };
  for (const [name, bin] of Object.entries(bins)) {
    try {
      fs.accessSync(bin, fs.constants.X_OK);
    } catch {
      throw new UsageError(`${bin} not found (${name}); build first: cmake --build --preset release --target lingma-gateway lingma-sim loadgen sse_floor`);
    }
  }
  return { dir, bins };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  const { dir: buildDir, bins } = resolveBuildDir(opts['build-dir']);
  DROP_NAMES = gatewayEnvNames(bins.gateway);

  const abort = new AbortController();
  setTimeout(() => abort.abort(new Error('runtime cap')), opts['max-runtime-s'] * 1000).unref();
  setTimeout(() => {
    console.error('run_bench.mjs: still running 30 s after the runtime cap; exiting');
    process.exit(1);
  }, opts['max-runtime-s'] * 1000 + 30_000).unref();
  let interrupted = null;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      interrupted = sig;
      abort.abort(new Error(sig));
    });
  }

  const { nproc, model } = machine();
  const version = shellOut(bins.gateway, ['--version']) || 'unknown';
  console.log('lingma-gateway benchmarks (make bench)');
  console.log(`machine:  nproc ${nproc}, ${model}, load average ${loadavg()} (at start), fd limit ${shellOut('/bin/sh', ['-c', 'ulimit -Hn'])} (hard)`);
  console.log(`binaries: ${path.relative(process.cwd(), buildDir) || '.'} (${version}), node ${process.version}`);
  console.log(`settings: gateway --simulator, pool size 1, session reuse off (except the reuse row), log level ${opts['log-level']}, ` +
    `max turns per instance 20000; ${opts.reps} runs per scenario (medians), direct baseline over ${opts['direct-connections']} WebSocket connection(s)`);
  console.log('Per-run details follow; latencies from loadgen (µs), gateway CPU from /proc/<pid>/stat, RSS from /proc/<pid>/status.');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lgw-bench-'));
  const ctx = { opts, bins, buildDir, tmp, signal: abort.signal, stoppers: [], problems: [], small: null };
  const rows = [];
  let error = null;
  const stopAll = async () => {
    while (ctx.stoppers.length) {
      try {
        await ctx.stoppers.pop()();
      } catch (err) {
        ctx.problems.push(String(err?.message ?? err));
      }
    }
  };
  try {
    const plan = [
      ['startup', () => scenarioStartup(ctx)],
      ['c1', () => scenarioNonStream(ctx, 'c1')],
      ['c64', () => scenarioNonStream(ctx, 'c64')],
      ['prompt', () => scenarioNonStream(ctx, 'prompt')],
      ['streams', async () => [
        ...(await scenarioStreams(ctx, ctx.opts.streams, '')),
        ...(ctx.opts['light-streams'] > 0 ? (await stopAll(), await scenarioStreams(ctx, ctx.opts['light-streams'], 'scaled down')) : []),
      ]],
      ['slow', () => scenarioSlow(ctx)],
      ['reuse', () => scenarioReuse(ctx)],
    ];
    const selected = plan.filter(([name]) => opts.only.has(name));
    for (const [i, [name, run]] of selected.entries()) {
      if (abort.signal.aborted) break;
      rows.push(...(await run()));
      // Every scenario starts its own processes, except that the small ones share theirs.
      const next = selected[i + 1]?.[0];
      if (!(SMALL_SCENARIOS.has(name) && SMALL_SCENARIOS.has(next))) {
        await stopAll();
        ctx.small = null;
        ctx.pollingGateway = null;
      }
    }
  } catch (err) {
    error = err;
  } finally {
    await stopAll();
  }
  if (abort.signal.aborted) ctx.problems.push(interrupted ? `interrupted by ${interrupted}` : `runtime cap of ${opts['max-runtime-s']} s reached`);
  if (error) ctx.problems.push(`run aborted: ${error?.stack ?? error}`);

  console.log(`\n## Results (load average at end ${loadavg()}; runtime ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  if (rows.length) printTable(rows);
  console.log('\nmeasured = gateway path; baseline = the same turns straight to lingma-sim over WebSocket (loadgen --mode direct),');
  console.log('run alternately with the gateway runs; "added" = gateway − direct per run, then the median over runs.');
  console.log('loadgen CPU = the load generator\'s own CPU (getrusage) as % of one core, gateway runs / direct runs (medians).');
  const keep = opts['keep-tmp'] || ctx.problems.length > 0;
  if (keep) console.log(`temporary files (gateway and simulator logs) kept in ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  if (ctx.problems.length) {
    console.log(`\nPROBLEMS (${ctx.problems.length}):`);
    for (const p of ctx.problems.slice(0, 20)) console.log(`  - ${p}`);
    return error || abort.signal.aborted ? 1 : 0;
  }
  return 0;
}

process.on('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      console.error(`run_bench.mjs: ${err.message}\n\n${usage()}`);
      process.exit(2);
    }
    console.error(`run_bench.mjs: ${err?.stack ?? err}`);
    process.exit(1);
  },
);
