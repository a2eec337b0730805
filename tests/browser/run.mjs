// The browser tests' entry point (`KOTAE_BIN=target/debug/kotae node tests/browser/run.mjs`):
// build a fresh index of the repository's content/ in a temporary folder, start `kotae serve`
// on a free port, run every *.test.mjs here (node:test) against it in headless Chromium, and
// stop the server whatever happens. Exit status 0 only if every test passed.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

import { OPERATOR } from './harness.mjs';

/** The whole run, index and server included, is given up after this. */
const RUN_LIMIT_MS = 240_000;
/** One test (one scenario) may take this long. */
const TEST_LIMIT_MS = 90_000;

const here = dirname(fileURLToPath(import.meta.url));
const content = resolve(here, '../../content');

const bin = process.env.KOTAE_BIN;
if (!bin) {
  console.error('run.mjs: set KOTAE_BIN to the kotae binary (e.g. KOTAE_BIN=target/debug/kotae)');
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'kotae-browser-'));
const index = join(tmp, 'index');
let server = null;
let serverLog = '';
const abort = new AbortController();

function cleanup() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    abort.abort();
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  console.error(`run.mjs: the browser tests did not finish within ${RUN_LIMIT_MS / 1000} s; stopping`);
  abort.abort();
  setTimeout(() => process.exit(1), 2_000).unref();
}, RUN_LIMIT_MS);
watchdog.unref();

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

function serviceEnv() {
  const env = { ...process.env, KOTAE_OPERATORS: `${OPERATOR.name}:${OPERATOR.token}`, KOTAE_LOG: 'warn' };
  for (const k of ['KOTAE_ADDR', 'KOTAE_INDEX', 'KOTAE_CONTENT', 'KOTAE_BASE_URL']) delete env[k];
  return env;
}

/** Start `kotae serve` and wait until /healthz answers; throws with the server's output if not. */
async function startServer() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // widget.test.mjs serves a page embedding the widget from this second origin.
  let hostPort = await freePort();
  while (hostPort === port) hostPort = await freePort();
  process.env.KOTAE_WIDGET_HOST = `http://127.0.0.1:${hostPort}`;
  server = spawn(bin, ['serve', '--index', index, '--addr', `127.0.0.1:${port}`], {
    env: { ...serviceEnv(), KOTAE_WIDGET_ORIGINS: process.env.KOTAE_WIDGET_HOST },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  const exited = new Promise((r) => server.once('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const gone = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 100))]);
    if (gone) throw new Error(`kotae serve exited (${gone.code ?? gone.signal}) before answering:\n${serverLog}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) {
        const health = await response.json();
        if (health.status !== 'ok' || !(health.pages > 0)) throw new Error(`unexpected /healthz: ${JSON.stringify(health)}`);
        return url;
      }
    } catch (e) {
      if (e.message.startsWith('unexpected')) throw e;
      // not listening yet
    }
  }
  throw new Error(`kotae serve did not answer /healthz within 20 s:\n${serverLog}`);
}

let failed = 0;
let passed = 0;
try {
  const started = Date.now();
  try {
    execFileSync(bin, ['index', '--quiet', '--content', content, '--index', index], {
      env: serviceEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  } catch (e) {
    throw new Error(`kotae index failed: ${e.message}\n${e.stderr ?? ''}`);
  }
  const url = await startServer();
  console.log(`# kotae serves a fresh index of ${content} at ${url} (${Date.now() - started} ms)`);
  process.env.KOTAE_BROWSER_URL = url;

  const files = readdirSync(here)
    .filter((f) => f.endsWith('.test.mjs'))
    .sort()
    .map((f) => join(here, f));
  if (files.length === 0) throw new Error(`no *.test.mjs in ${here}`);
  const stream = run({ files, concurrency: 1, timeout: TEST_LIMIT_MS, signal: abort.signal });
  stream.on('test:pass', () => passed++);
  stream.on('test:fail', () => failed++);
  const report = stream.compose(spec);
  report.pipe(process.stdout, { end: false });
  await new Promise((r) => report.once('end', r));
  if (server.exitCode !== null || server.signalCode !== null) {
    failed++;
    console.error(`kotae serve stopped during the tests:\n${serverLog}`);
  }
} catch (e) {
  failed++;
  console.error(`run.mjs: ${e.stack ?? e}`);
} finally {
  clearTimeout(watchdog);
  cleanup();
}
if (failed > 0 || passed === 0) {
  if (serverLog.trim()) console.error(`# kotae serve's output:\n${serverLog}`);
  console.error(`run.mjs: ${failed} failed, ${passed} passed`);
  process.exitCode = 1;
}
