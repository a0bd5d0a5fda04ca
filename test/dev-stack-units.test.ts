/**
 * The dev stack's rules without starting it: the dev defaults (loopback, the token in the banner,
 * APP_BASE_URL from PORT), the port plan and its checks, and what /readyz tells anonymous callers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { createApp } from '../api/app.ts';
import { DEV_DEFAULTS, loadConfig } from '../config/env.ts';
import { createSql } from '../db/client.ts';
import { banner, checkPorts, DevStartError, planDevStack } from '../scripts/dev.ts';
import { startTemporalDevServer, TemporalDevServerStartError } from '../scripts/services.ts';
import { freePort, portListeners } from '../scripts/tools.ts';

async function hold(port: number, host = '127.0.0.1'): Promise<Server> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve());
  });
  return srv;
}

test('APP_BASE_URL follows PORT when unset, and wins when set', () => {
  assert.equal(loadConfig({}).appBaseUrl, 'http://localhost:3000');
  assert.equal(loadConfig({ PORT: '4100' }).appBaseUrl, 'http://localhost:4100');
  assert.equal(loadConfig({ PORT: '4100', APP_BASE_URL: 'https://learn.example.com/' }).appBaseUrl, 'https://learn.example.com');
});

test('the dev stack binds 127.0.0.1 unless HOST says otherwise; production keeps 0.0.0.0', () => {
  assert.equal(planDevStack({}).host, '127.0.0.1');
  assert.equal(planDevStack({}).env.HOST, '127.0.0.1', 'the API child is told 127.0.0.1');
  assert.equal(planDevStack({ HOST: '' }).host, '127.0.0.1', 'an empty HOST counts as unset');
  assert.equal(planDevStack({ HOST: '0.0.0.0' }).env.HOST, '0.0.0.0');
  assert.equal(loadConfig({}).host, '0.0.0.0', '`npm run api` in a container still listens on every interface');
});

test('the banner prints the default admin token, and never a token the user set', () => {
  const own = 'my-very-own-admin-token-42';
  const withDefault = planDevStack({});
  assert.equal(withDefault.userToken, false);
  assert.match(banner(loadConfig(withDefault.env), false, null), new RegExp(`Admin token\\s+${DEV_DEFAULTS.ADMIN_API_TOKEN}`));
  assert.match(banner(loadConfig(withDefault.env), false, null), /Metrics\s+API http:\/\/localhost:9464\/metrics, worker http:\/\/localhost:9465\/metrics/, 'the metrics endpoints');
  const withOwn = planDevStack({ ADMIN_API_TOKEN: own });
  assert.equal(withOwn.userToken, true);
  const text = banner(loadConfig(withOwn.env), true, null);
  assert.ok(!text.includes(own), 'the user token is not printed');
  assert.match(text, /Admin token\s+your ADMIN_API_TOKEN/);
});

test('the port plan: every port the stack will use, with the variable that moves it', () => {
  const plan = planDevStack({ RECERTIFY_DEV_PG_PORT: '15432', RECERTIFY_DEV_TEMPORAL_PORT: '17233', RECERTIFY_DEV_TEMPORAL_UI_PORT: '18233', PORT: '13000', METRICS_PORT: '19464', WORKER_METRICS_PORT: '19465', RECERTIFY_DATA_DIR: '/tmp/x' });
  assert.deepEqual(plan.ports.map((p) => [p.port, p.variable]), [
    [15432, 'RECERTIFY_DEV_PG_PORT'], [17233, 'RECERTIFY_DEV_TEMPORAL_PORT'], [18233, 'RECERTIFY_DEV_TEMPORAL_UI_PORT'], [13000, 'PORT'], [19464, 'METRICS_PORT'], [19465, 'WORKER_METRICS_PORT'],
  ]);
  assert.equal(plan.dataDir, '/tmp/x');
  assert.deepEqual(planDevStack({}).ports.map((p) => p.port), [5432, 7233, 8233, 3000, 9464, 9465], 'the defaults');
  assert.deepEqual(planDevStack({ METRICS_PORT: '0', WORKER_METRICS_PORT: '0' }).ports.map((p) => p.port), [5432, 7233, 8233, 3000], '0: no metrics endpoint');
  assert.deepEqual(planDevStack({ METRICS_PORT: '0', WORKER_METRICS_PORT: '0' }).env.METRICS_PORT, '0', 'the API child is told 0 (off)');
  assert.deepEqual(
    planDevStack({ DATABASE_URL: 'postgres://u:p@db:5432/r', TEMPORAL_ADDRESS: 'temporal:7233' }).ports.map((p) => p.variable),
    ['PORT', 'METRICS_PORT', 'WORKER_METRICS_PORT'],
    'external servers: only our own ports',
  );
  assert.throws(() => planDevStack({ WORKER_METRICS_PORT: '3000' }), (e: unknown) => e instanceof DevStartError && /PORT and WORKER_METRICS_PORT both say port 3000/.test(e.message));
  assert.throws(() => planDevStack({ RECERTIFY_DEV_PG_PORT: 'five' }), (e: unknown) => e instanceof DevStartError && /RECERTIFY_DEV_PG_PORT=five is not a TCP port/.test(e.message));
  assert.throws(() => planDevStack({ RECERTIFY_DEV_TEMPORAL_UI_PORT: '3000' }), (e: unknown) => e instanceof DevStartError && /RECERTIFY_DEV_TEMPORAL_UI_PORT and PORT both say port 3000/.test(e.message));
  assert.throws(() => planDevStack({ PORT: 'x' }), (e: unknown) => e instanceof DevStartError && /PORT/.test(e.message));
});

test('checkPorts names a taken port, the process holding it, the variable and a free port; [] when all are free', async () => {
  const [pg, temporal, ui, api] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = { RECERTIFY_DEV_PG_PORT: String(pg), RECERTIFY_DEV_TEMPORAL_PORT: String(temporal), RECERTIFY_DEV_TEMPORAL_UI_PORT: String(ui), PORT: String(api), METRICS_PORT: '0', WORKER_METRICS_PORT: '0' };
  if (new Set([pg, temporal, ui, api]).size === 4) assert.deepEqual(await checkPorts(planDevStack(env)), []);
  const srv = await hold(pg);
  try {
    const holders = portListeners(pg);
    assert.deepEqual(holders.map((h) => [h.address, h.pid]), [['127.0.0.1', process.pid]], 'found through /proc');
    const problems = await checkPorts(planDevStack(env));
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', new RegExp(`^port ${pg} \\(PostgreSQL\\) is already in use, by pid ${process.pid} \\(.*node`));
    assert.match(problems[0] ?? '', /To run beside it: RECERTIFY_DEV_PG_PORT=\d+ npm run dev {3}\(\d+ is free\)/);
    assert.match(problems[0] ?? '', new RegExp(`To use that server instead: DATABASE_URL=postgres://USER:PASSWORD@127\\.0\\.0\\.1:${pg}/recertify`));
  } finally {
    await new Promise((r) => srv.close(r));
  }
});

test('checkPorts suggests a different free port for each taken one, never one it already suggested (a fresh tester was told 19466 for both metrics ports)', async () => {
  // Two taken ports side by side (the metrics ports' defaults are 9464 and 9465): the first free port after each is the same one.
  let a = 0;
  let held: Awaited<ReturnType<typeof hold>>[] = [];
  for (let tries = 0; tries < 20 && held.length < 2; tries++) {
    a = await freePort();
    held = [await hold(a)];
    try {
      held.push(await hold(a + 1));
    } catch {
      for (const srv of held) await new Promise((r) => srv.close(r));
      held = [];
    }
  }
  assert.equal(held.length, 2, 'found two free ports side by side');
  try {
    const [pg, temporal, ui, api] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env = { RECERTIFY_DEV_PG_PORT: String(pg), RECERTIFY_DEV_TEMPORAL_PORT: String(temporal), RECERTIFY_DEV_TEMPORAL_UI_PORT: String(ui), PORT: String(api), METRICS_PORT: String(a), WORKER_METRICS_PORT: String(a + 1) };
    const plan = planDevStack(env);
    const problems = await checkPorts(plan);
    const suggested = problems.map((text) => Number(/To run beside it: \w+=(\d+)/.exec(text)?.[1]));
    assert.equal(suggested.length, 2, problems.join('\n'));
    assert.ok(suggested.every((n) => Number.isInteger(n) && n > a + 1), problems.join('\n'));
    assert.notEqual(suggested[0], suggested[1], `two different ports suggested:\n${problems.join('\n')}`);
    for (const n of suggested) assert.ok(!plan.ports.some((p) => p.port === n), `${n} is not a port the plan already uses`);
  } finally {
    for (const srv of held) await new Promise((r) => srv.close(r));
  }
});

test('freePort leaves the port it found in TIME_WAIT, so the kernel does not hand it out again at once, yet it can be bound', async () => {
  const port = await freePort();
  const { readFileSync } = await import('node:fs');
  // /proc/net/tcp: local address as HEX_IP:HEX_PORT, state 06 is TIME_WAIT.
  const timeWait = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === '06' && f[1]?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`));
  assert.ok(timeWait.length >= 1, `port ${port} is held in TIME_WAIT`);
  const srv = await hold(port);
  await new Promise((r) => srv.close(r));
});

test('a Temporal dev server given a taken port fails at once with what the CLI said, and is not retried', async () => {
  const srv = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const address = srv.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const attempts: string[] = [];
  try {
    await assert.rejects(
      startTemporalDevServer({ dbFile: `/tmp/recertify-taken-port-${port}/t.db`, port, log: (m) => { if (m.includes('start-up attempt')) attempts.push(m); } }),
      (e: unknown) => e instanceof TemporalDevServerStartError && !e.retriable && e.message.includes(`can't set frontend port ${port}`) && e.message.includes('address already in use'),
    );
    assert.deepEqual(attempts, [], 'a port the caller chose is the caller\'s to change: no second attempt');
  } finally {
    srv.close();
  }
});

test('/readyz tells anonymous callers only "unavailable"; the cause, with its address, goes to the log', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
  const sql = createSql('postgres://nobody:secret@127.0.0.1:1/none', { max: 1 });
  try {
    const app = createApp({ config: loadConfig({}), sql, client, log });
    const res = await app.request('/readyz');
    assert.equal(res.status, 503);
    const text = await res.text();
    const body = JSON.parse(text) as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
    assert.equal(body.status, 'not_ready');
    assert.deepEqual([body.checks.database?.error, body.checks.temporal?.error], ['unavailable', 'unavailable']);
    assert.doesNotMatch(text, /127\.0\.0\.1|ECONNREFUSED|nobody|:1\b/, `no internal detail in the public body: ${text}`);
    const logged = lines.join('');
    assert.match(logged, /readiness: database unavailable/);
    assert.match(logged, /ECONNREFUSED|127\.0\.0\.1/, 'the detail is in the log');
    // A second failing probe with the same cause logs at debug, not warn again.
    await app.request('/readyz');
    const warns = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((e) => e.msg === 'readiness: database unavailable');
    assert.deepEqual(warns.map((e) => e.level), [40, 20]);
  } finally {
    await sql.end({ timeout: 1 });
  }
});
