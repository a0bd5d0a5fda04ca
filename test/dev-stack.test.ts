/**
 * End-to-end tests of `npm run dev` itself, each run as a developer would: `npm run dev` in a process
 * group of its own, with the data directory and every port pointed at scratch ones through the
 * variables the script reads (RECERTIFY_DATA_DIR, RECERTIFY_DEV_*_PORT, PORT).
 *  - taken ports: it refuses to start, names the port, who holds it and the variable, starts nothing;
 *  - the stack boots (readiness, Temporal UI, search attributes, the demo, dev defaults: loopback
 *    only, the token not printed), stops on SIGTERM to npm alone, boots again on the same data
 *    (no second demo) and stops on SIGINT to the whole group; each stop prints `[dev] stopped`,
 *    frees every port and leaves no process behind.
 * "No process behind" is checked by environment: every process `npm run dev` starts inherits
 * RECERTIFY_DATA_DIR=<this test's scratch directory>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { DEV_DEFAULTS } from '../config/env.ts';
import { freePort, portListeners, portTaken, waitFor } from '../scripts/tools.ts';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';

const TOKEN = 'smoke-test-admin-token-0123456789';

interface Ports {
  pg: number;
  temporal: number;
  ui: number;
  api: number;
  metrics: number;
  workerMetrics: number;
}

/** Pids of live processes whose environment holds RECERTIFY_DATA_DIR=`dataDir` (Linux /proc). */
function processesOf(dataDir: string): number[] {
  const marker = `\0RECERTIFY_DATA_DIR=${dataDir}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (`\0${readFileSync(`/proc/${entry}/environ`, 'latin1')}`.includes(marker)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function describeProcesses(pids: number[]): string {
  return pids
    .map((pid) => {
      try {
        return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')}`;
      } catch {
        return String(pid);
      }
    })
    .join('\n');
}

interface DevRun {
  child: ChildProcess;
  output: () => string;
  /** Resolves when npm has exited and every process sharing its stdout/stderr has closed them. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `npm run dev` as the leader of a new process group, its output collected. */
function npmRunDev(dataDir: string, ports: Ports, extraEnv: Record<string, string> = {}): DevRun {
  let output = '';
  const child = spawn('npm', ['run', 'dev'], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      TEMPORAL_UI_URL: '',
      APP_BASE_URL: '',
      HOST: '',
      ADMIN_API_TOKEN: '',
      RECERTIFY_DATA_DIR: dataDir,
      RECERTIFY_DEV_PG_PORT: String(ports.pg),
      RECERTIFY_DEV_TEMPORAL_PORT: String(ports.temporal),
      RECERTIFY_DEV_TEMPORAL_UI_PORT: String(ports.ui),
      PORT: String(ports.api),
      METRICS_PORT: String(ports.metrics),
      WORKER_METRICS_PORT: String(ports.workerMetrics),
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
  return { child, output: () => output, closed };
}

async function boot(dataDir: string, ports: Ports, extraEnv: Record<string, string> = {}): Promise<DevRun> {
  const run = npmRunDev(dataDir, ports, extraEnv);
  await waitFor('npm run dev to print that it is running', async () => {
    if (run.child.exitCode !== null) throw new Error(`dev exited early:\n${run.output()}`);
    return run.output().includes('Recertify is running');
  }, 240_000, 250).catch((err: unknown) => {
    throw new Error(`${String(err)}\n--- output ---\n${run.output()}`);
  });
  return run;
}

/** After a stop: `[dev] stopped` printed, npm and everything it started exited, every port free. */
async function assertStoppedCleanly(run: DevRun, dataDir: string, ports: Ports, how: string): Promise<void> {
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000).unref());
  const result = await Promise.race([run.closed, timeout]);
  assert.notEqual(result, 'timeout', `${how}: npm run dev and its processes exit within 90 s\n${run.output()}`);
  assert.match(run.output(), /\[dev\] stopped/, `${how}: the orderly shutdown ran to its end`);
  const steps = run.output().split('\n').filter((l) => /^\[dev\] (stopping|(.* )?stopped$)/.test(l)).map((l) => l.replace(/ \(.*\)\.\.\.$/, ''));
  assert.deepEqual(
    steps,
    ['[dev] stopping', '[dev] the worker and the API stopped', '[dev] the Temporal dev server stopped', '[dev] PostgreSQL stopped', '[dev] stopped'],
    `${how}: stopped in order, children first, PostgreSQL last`,
  );
  const left = processesOf(dataDir);
  assert.deepEqual(left, [], `${how}: no process left behind:\n${describeProcesses(left)}`);
  for (const [name, port] of Object.entries(ports)) {
    assert.equal(await portTaken(port, '127.0.0.1'), false, `${how}: port ${port} (${name}) is free again`);
  }
}

/** Last resort for a failed test: stop whatever the run started (its group, then by environment). */
async function cleanUp(run: DevRun | undefined, dataDir: string): Promise<void> {
  if (run && run.child.exitCode === null && run.child.signalCode === null && run.child.pid) {
    try {
      process.kill(-run.child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await waitFor('the dev stack to stop', async () => processesOf(dataDir).length === 0, 60_000, 250).catch(() => {
    for (const pid of processesOf(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

async function hold(port: number): Promise<Server> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve());
  });
  return srv;
}

async function freePorts(): Promise<Ports> {
  const ports: number[] = [];
  while (ports.length < 6) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const [pg = 0, temporal = 0, ui = 0, api = 0, metrics = 0, workerMetrics = 0] = ports;
  return { pg, temporal, ui, api, metrics, workerMetrics };
}

test('npm run dev with every port taken says which port, who holds it and which variable moves it, and starts nothing', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'recertify-dev-ports-'));
  const dataDir = join(scratch, 'data');
  const ports = await freePorts();
  const held = await Promise.all(Object.values(ports).map((p) => hold(p)));
  let run: DevRun | undefined;
  try {
    run = npmRunDev(dataDir, ports);
    const { code } = await run.closed;
    const out = run.output();
    assert.notEqual(code, 0, `exits non-zero:\n${out}`);
    assert.doesNotMatch(out, /\bundefined\b/);
    for (const [port, variable] of [[ports.pg, 'RECERTIFY_DEV_PG_PORT'], [ports.temporal, 'RECERTIFY_DEV_TEMPORAL_PORT'], [ports.ui, 'RECERTIFY_DEV_TEMPORAL_UI_PORT'], [ports.api, 'PORT'], [ports.metrics, 'METRICS_PORT'], [ports.workerMetrics, 'WORKER_METRICS_PORT']] as const) {
      assert.match(out, new RegExp(`port ${port} \\([^)]+\\) is already in use, by pid ${process.pid} `), `names port ${port} and this test process holding it:\n${out}`);
      assert.match(out, new RegExp(`\\b${variable}=\\d+ npm run dev`), `says ${variable} moves it`);
    }
    assert.match(out, new RegExp(`DATABASE_URL=postgres://\\S+:${ports.pg}/`), 'offers DATABASE_URL to use the PostgreSQL that is there');
    assert.match(out, new RegExp(`TEMPORAL_ADDRESS=127\\.0\\.0\\.1:${ports.temporal}`), 'offers TEMPORAL_ADDRESS to use the Temporal that is there');
    assert.match(out, /Nothing was started/);
    assert.equal(existsSync(dataDir), false, 'no data directory written');
    assert.deepEqual(processesOf(dataDir), [], 'no process left behind');
  } finally {
    await cleanUp(run, dataDir);
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('npm run dev checks the API port before it starts anything: another stack on PORT stops it, not just the API', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'recertify-dev-api-port-'));
  const dataDir = join(scratch, 'data');
  const ports = await freePorts();
  const other = await hold(ports.api);
  let run: DevRun | undefined;
  try {
    run = npmRunDev(dataDir, ports);
    const { code } = await run.closed;
    const out = run.output();
    assert.notEqual(code, 0, `exits non-zero:\n${out}`);
    assert.match(out, new RegExp(`port ${ports.api} \\(the API\\) is already in use`));
    assert.match(out, /\bPORT=\d+ npm run dev/);
    assert.doesNotMatch(out, /Recertify is running|starting PostgreSQL|starting Temporal/, 'nothing started, nothing seeded');
    assert.equal(existsSync(dataDir), false, 'no data directory written');
    assert.deepEqual(processesOf(dataDir), []);
  } finally {
    await cleanUp(run, dataDir);
    await new Promise((r) => other.close(r));
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('npm run dev boots the stack on loopback, stops on SIGTERM to npm and on SIGINT to its group, in order, and keeps its data', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'recertify-dev-'));
  chmodSync(dataDir, 0o755);
  const ports = await freePorts();
  let run: DevRun | undefined;
  try {
    // 1. The user's own token, HOST unset.
    run = await boot(dataDir, ports, { ADMIN_API_TOKEN: TOKEN });
    const first = run.output();
    const ready = await fetch(`http://127.0.0.1:${ports.api}/readyz`);
    assert.equal(ready.status, 200);
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
    assert.equal(ui.status, 200, 'the Temporal Web UI answers');
    const conn = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const attrs = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
    await conn.close();
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) assert.ok(name in (attrs.customAttributes ?? {}), `search attribute ${name} registered`);
    assert.match(first, /Demo seeded/);
    const certs = await fetch(`http://127.0.0.1:${ports.api}/api/certificates`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(certs.status, 200);
    const certBody = JSON.stringify(await certs.json());
    assert.match(certBody, /Forklift Operator/);
    // Dev defaults: loopback only; the user's token is never printed; PORT alone moves the URLs.
    assert.deepEqual(portListeners(ports.api).map((l) => l.address), ['127.0.0.1'], 'the dev API listens on 127.0.0.1 only');
    assert.ok(!first.includes(TOKEN), 'the banner does not print the token the user set');
    assert.match(first, /Admin token\s+your ADMIN_API_TOKEN/);
    assert.ok(first.includes(`Admin page   http://localhost:${ports.api}/admin`), 'APP_BASE_URL follows PORT');
    // The Prometheus endpoints, on loopback: the API's, and the worker's with the Temporal SDK's metrics.
    assert.ok(first.includes(`Metrics      API http://localhost:${ports.metrics}/metrics, worker http://localhost:${ports.workerMetrics}/metrics`), 'the banner says where the metrics are');
    assert.match(await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text(), /^recertify_http_requests_total\{method="GET",route="\/api\/certificates",status="200"\} [1-9]/m);
    // The worker bundles its workflows at start (no WORKER_BUNDLE_PATH in dev): its pollers may come after the banner.
    const workerMetrics = await waitFor('the worker polling, in its metrics', async () => {
      const text = await (await fetch(`http://127.0.0.1:${ports.workerMetrics}/metrics`)).text();
      return /^temporal_num_pollers\{/m.test(text) ? text : undefined;
    }, 120_000, 500);
    assert.match(workerMetrics, /^recertify_messages_total\{kind="certificate_expiring",outcome="sent"\} \d+$/m, 'ours first');
    assert.match(workerMetrics, /^recertify_temporal_sdk_metrics_up 1$/m, "then the Temporal SDK's");
    assert.deepEqual(portListeners(ports.workerMetrics).map((l) => l.address), ['127.0.0.1'], 'the metrics listen on HOST, loopback in dev');

    // SIGTERM to npm alone, as an IDE, `timeout` or a process manager sends it.
    process.kill(run.child.pid ?? 0, 'SIGTERM');
    await assertStoppedCleanly(run, dataDir, ports, 'SIGTERM to npm');
    assert.ok(existsSync(join(dataDir, 'pg', 'PG_VERSION')), 'the PostgreSQL data is kept');

    // 2. Again on the same data, with the default token and HOST set.
    run = await boot(dataDir, ports, { HOST: '0.0.0.0' });
    const second = run.output();
    assert.match(second, /already has data/, 'the data was kept; no second demo');
    assert.match(second, new RegExp(`Admin token\\s+${DEV_DEFAULTS.ADMIN_API_TOKEN}`), 'the default token is printed when the user set none');
    assert.deepEqual(portListeners(ports.api).map((l) => l.address), ['0.0.0.0'], 'HOST is honoured');
    const again = await fetch(`http://127.0.0.1:${ports.api}/api/certificates`, { headers: { authorization: `Bearer ${DEV_DEFAULTS.ADMIN_API_TOKEN}` } });
    assert.equal(JSON.stringify(await again.json()), certBody, 'the same certificates after a restart');

    // Ctrl-C in a terminal: SIGINT to the whole foreground group (npm, sh, tsx, the launcher).
    process.kill(-(run.child.pid ?? 0), 'SIGINT');
    await assertStoppedCleanly(run, dataDir, ports, 'SIGINT to the group');
    assert.match(run.output(), /stopping \(SIGINT\)/);
  } finally {
    await cleanUp(run, dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
